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
