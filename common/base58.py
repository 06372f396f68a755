"""Base58 and Base58Check (src/base58.h/.cpp): legacy addresses and keys.

Decoding is as lenient as upstream's: leading and trailing whitespace is skipped, and
``max_ret_len`` bounds the decoded size so an over-long input fails early.
"""

from __future__ import annotations

from typing import Final

from .hash import hash256
from .strencodings import IsSpace

pszBase58: Final = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_mapBase58: Final = {c: i for i, c in enumerate(pszBase58)}


def EncodeBase58(data: bytes) -> str:
    zeroes = len(data) - len(data.lstrip(b"\0"))
    n = int.from_bytes(data[zeroes:], "big")
    digits = []
    while n:
        n, rem = divmod(n, 58)
        digits.append(pszBase58[rem])
    return "1" * zeroes + "".join(reversed(digits))


def DecodeBase58(s: str, max_ret_len: int) -> bytes | None:
    """The bytes ``s`` encodes, or None if it has a non-Base58 character (inner whitespace
    included) or decodes to more than ``max_ret_len`` bytes."""
    if "\0" in s:
        return None
    i = 0
    n = len(s)
    while i < n and IsSpace(s[i]):
        i += 1
    zeroes = 0
    while i < n and s[i] == "1":
        zeroes += 1
        if zeroes > max_ret_len:
            return None
        i += 1
    value = 0
    length = 0
    while i < n and not IsSpace(s[i]):
        digit = _mapBase58.get(s[i])
        if digit is None:
            return None
        value = value * 58 + digit
        length = (value.bit_length() + 7) // 8
        if length + zeroes > max_ret_len:
            return None
        i += 1
    while i < n and IsSpace(s[i]):
        i += 1
    if i != n:
        return None
    return b"\0" * zeroes + (value.to_bytes(length, "big") if length else b"")


def EncodeBase58Check(data: bytes) -> str:
    """Base58 of ``data`` followed by the first 4 bytes of its double SHA-256."""
    return EncodeBase58(data + hash256(data)[:4])


def DecodeBase58Check(s: str, max_ret_len: int) -> bytes | None:
    """The payload of a Base58Check string (checksum verified and removed), or None."""
    decoded = DecodeBase58(s, max_ret_len + 4 if max_ret_len <= (1 << 31) - 5 else (1 << 31) - 1)
    if decoded is None or len(decoded) < 4:
        return None
    payload, checksum = decoded[:-4], decoded[-4:]
    if hash256(payload)[:4] != checksum:
        return None
    return payload
