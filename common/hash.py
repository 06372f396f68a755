"""Hashing helpers (src/hash.h): double SHA-256 and HASH160."""

from __future__ import annotations

import hashlib

from .uint256 import uint256


def sha256(b: bytes) -> bytes:
    return hashlib.sha256(b).digest()


def Hash(b: bytes) -> uint256:
    """Upstream's ``Hash()``: SHA256d, returned as a uint256."""
    return uint256(hashlib.sha256(hashlib.sha256(b).digest()).digest())


def hash256(b: bytes) -> bytes:
    """SHA256d as raw bytes (serialization order)."""
    return hashlib.sha256(hashlib.sha256(b).digest()).digest()


def Hash160(b: bytes) -> bytes:
    return hashlib.new("ripemd160", hashlib.sha256(b).digest()).digest()


def MurmurHash3(nHashSeed: int, vDataToHash: bytes) -> int:
    """MurmurHash3 (x86, 32-bit), as BIP37 bloom filters and the rolling bloom filter use it."""
    m = 0xFFFFFFFF
    h1 = nHashSeed & m
    c1 = 0xCC9E2D51
    c2 = 0x1B873593
    n = len(vDataToHash)
    nblocks = n // 4
    for i in range(0, nblocks * 4, 4):
        k1 = int.from_bytes(vDataToHash[i : i + 4], "little")
        k1 = (k1 * c1) & m
        k1 = ((k1 << 15) | (k1 >> 17)) & m
        k1 = (k1 * c2) & m
        h1 ^= k1
        h1 = ((h1 << 13) | (h1 >> 19)) & m
        h1 = (h1 * 5 + 0xE6546B64) & m
    tail = vDataToHash[nblocks * 4 :]
    if tail:
        k1 = int.from_bytes(tail, "little")
        k1 = (k1 * c1) & m
        k1 = ((k1 << 15) | (k1 >> 17)) & m
        k1 = (k1 * c2) & m
        h1 ^= k1
    h1 ^= n & m
    h1 ^= h1 >> 16
    h1 = (h1 * 0x85EBCA6B) & m
    h1 ^= h1 >> 13
    h1 = (h1 * 0xC2B2AE35) & m
    h1 ^= h1 >> 16
    return h1
