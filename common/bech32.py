"""Bech32 and Bech32m (src/bech32.h/.cpp, BIP173 and BIP350), with upstream's error location.

LocateErrors finds up to two substituted characters from the checksum's syndrome in GF(1024),
so that an address typo gets "Invalid Bech32 checksum" and the positions to fix.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum, IntEnum
from typing import Final


class Encoding(Enum):
    INVALID = 0  # failed decoding
    BECH32 = 1  # BIP173
    BECH32M = 2  # BIP350


class CharLimit(IntEnum):
    #: BIP173/350's limit for addresses; guarantees locating up to 4 errors.
    BECH32 = 90


CHARSET: Final = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
_CHARSET_REV: Final = {c: i for i, c in enumerate(CHARSET)} | {
    c.upper(): i for i, c in enumerate(CHARSET)
}
SEPARATOR: Final = "1"
CHECKSUM_SIZE: Final = 6


def _GenerateGFTables() -> tuple[list[int], list[int]]:
    """GF(1024) as a degree-2 extension of GF(32) (x^5 + x^3 + 1), with defining polynomial
    x^2 + 9x + 23: exp and log tables of its primitive element."""
    gf32_exp = [0] * 31
    gf32_log = [0] * 32
    fmod = 41
    gf32_exp[0] = 1
    gf32_log[0] = -1
    gf32_log[1] = 0
    v = 1
    for i in range(1, 31):
        v <<= 1
        if v & 32:
            v ^= fmod
        gf32_exp[i] = v
        gf32_log[v] = i

    gf1024_exp = [0] * 1023
    gf1024_log = [0] * 1024
    gf1024_exp[0] = 1
    gf1024_log[0] = -1
    gf1024_log[1] = 0
    v = 1
    for i in range(1, 1023):
        v0 = v & 31
        v1 = v >> 5
        v0n = gf32_exp[(gf32_log[v1] + gf32_log[23]) % 31] if v1 else 0
        v1n = (gf32_exp[(gf32_log[v1] + gf32_log[9]) % 31] if v1 else 0) ^ v0
        v = v1n << 5 | v0n
        gf1024_exp[i] = v
        gf1024_log[v] = i
    return gf1024_exp, gf1024_log


GF1024_EXP, GF1024_LOG = _GenerateGFTables()


def _GenerateSyndromeConstants() -> list[int]:
    consts = [0] * 25
    for k in range(1, 6):
        for shift in range(5):
            b = GF1024_LOG[1 << shift]
            c0 = GF1024_EXP[(997 * k + b) % 1023]
            c1 = GF1024_EXP[(998 * k + b) % 1023]
            c2 = GF1024_EXP[(999 * k + b) % 1023]
            consts[5 * (k - 1) + shift] = c2 << 20 | c1 << 10 | c0
    return consts


SYNDROME_CONSTS: Final = _GenerateSyndromeConstants()


def EncodingConstant(encoding: Encoding) -> int:
    assert encoding in (Encoding.BECH32, Encoding.BECH32M)
    return 1 if encoding == Encoding.BECH32 else 0x2BC830A3


def PolyMod(v: list[int]) -> int:
    """The checksum polynomial's remainder: 6 five-bit values packed in 30 bits."""
    c = 1
    for v_i in v:
        c0 = c >> 25
        c = ((c & 0x1FFFFFF) << 5) ^ v_i
        if c0 & 1:
            c ^= 0x3B6A57B2
        if c0 & 2:
            c ^= 0x26508E6D
        if c0 & 4:
            c ^= 0x1EA119FA
        if c0 & 8:
            c ^= 0x3D4233DD
        if c0 & 16:
            c ^= 0x2A1462B3
    return c


def Syndrome(residue: int) -> int:
    """The values s_997, s_998 and s_999 of the residue, 10 bits each."""
    low = residue & 0x1F
    result = low ^ (low << 10) ^ (low << 20)
    for i in range(25):
        if (residue >> (5 + i)) & 1:
            result ^= SYNDROME_CONSTS[i]
    return result


def _LowerCase(c: str) -> str:
    return chr(ord(c) + 32) if "A" <= c <= "Z" else c


def CheckCharacters(s: str, errors: list[int]) -> bool:
    """Positions of characters outside 33..126, or of a case that differs from the first
    letter's."""
    lower = upper = False
    for i, ch in enumerate(s):
        c = ord(ch)
        if ord("a") <= c <= ord("z"):
            if upper:
                errors.append(i)
            else:
                lower = True
        elif ord("A") <= c <= ord("Z"):
            if lower:
                errors.append(i)
            else:
                upper = True
        elif c < 33 or c > 126:
            errors.append(i)
    return not errors


def PreparePolynomialCoefficients(hrp: str, values: list[int]) -> list[int]:
    return [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 0x1F for c in hrp] + list(values)


def VerifyChecksum(hrp: str, values: list[int]) -> Encoding:
    check = PolyMod(PreparePolynomialCoefficients(hrp, values))
    if check == EncodingConstant(Encoding.BECH32):
        return Encoding.BECH32
    if check == EncodingConstant(Encoding.BECH32M):
        return Encoding.BECH32M
    return Encoding.INVALID


def CreateChecksum(encoding: Encoding, hrp: str, values: list[int]) -> list[int]:
    enc = PreparePolynomialCoefficients(hrp, values) + [0] * CHECKSUM_SIZE
    mod = PolyMod(enc) ^ EncodingConstant(encoding)
    return [(mod >> (5 * (5 - i))) & 31 for i in range(CHECKSUM_SIZE)]


def Encode(encoding: Encoding, hrp: str, values: list[int]) -> str:
    """``hrp`` must be lower case; ``values`` are 5-bit."""
    assert not any("A" <= c <= "Z" for c in hrp)
    checksum = CreateChecksum(encoding, hrp, values)
    return hrp + SEPARATOR + "".join(CHARSET[v] for v in values + checksum)


@dataclass(slots=True)
class DecodeResult:
    encoding: Encoding = Encoding.INVALID
    hrp: str = ""
    data: list[int] = field(default_factory=list)


def Decode(s: str, limit: int = CharLimit.BECH32) -> DecodeResult:
    """The encoding, lower-cased HRP and data (checksum removed); INVALID on any error."""
    errors: list[int] = []
    if not CheckCharacters(s, errors):
        return DecodeResult()
    pos = s.rfind(SEPARATOR)
    if len(s) > limit:
        return DecodeResult()
    if pos == -1 or pos == 0 or pos + CHECKSUM_SIZE >= len(s):
        return DecodeResult()
    values = []
    for c in s[pos + 1 :]:
        rev = _CHARSET_REV.get(c)
        if rev is None:
            return DecodeResult()
        values.append(rev)
    hrp = "".join(_LowerCase(c) for c in s[:pos])
    result = VerifyChecksum(hrp, values)
    if result == Encoding.INVALID:
        return DecodeResult()
    return DecodeResult(result, hrp, values[:-CHECKSUM_SIZE])


def LocateErrors(s: str, limit: int = CharLimit.BECH32) -> tuple[str, list[int]]:
    """Why ``s`` is not valid Bech32(m), and the positions at fault (empty message if valid)."""
    error_locations: list[int] = []
    if len(s) > limit:
        return "Bech32 string too long", list(range(limit, len(s)))
    if not CheckCharacters(s, error_locations):
        return "Invalid character or mixed case", error_locations
    pos = s.rfind(SEPARATOR)
    if pos == -1:
        return "Missing separator", []
    if pos == 0 or pos + CHECKSUM_SIZE >= len(s):
        return "Invalid separator position", [pos]
    hrp = "".join(_LowerCase(c) for c in s[:pos])
    length = len(s) - 1 - pos
    values = []
    for i in range(pos + 1, len(s)):
        rev = _CHARSET_REV.get(s[i])
        if rev is None:
            return "Invalid Base 32 character", [i]
        values.append(rev)

    error_encoding: Encoding | None = None
    for encoding in (Encoding.BECH32, Encoding.BECH32M):
        possible_errors: list[int] = []
        residue = PolyMod(PreparePolynomialCoefficients(hrp, values)) ^ EncodingConstant(encoding)
        if residue == 0:
            return "", []
        syn = Syndrome(residue)
        s0 = syn & 0x3FF
        s1 = (syn >> 10) & 0x3FF
        s2 = syn >> 20
        l_s0 = GF1024_LOG[s0]
        l_s1 = GF1024_LOG[s1]
        l_s2 = GF1024_LOG[s2]
        if l_s0 != -1 and l_s1 != -1 and l_s2 != -1 and (2 * l_s1 - l_s2 - l_s0 + 2046) % 1023 == 0:
            # One error: its position and magnitude follow from the syndrome.
            p1 = (l_s1 - l_s0 + 1023) % 1023
            l_e1 = l_s0 + (1023 - 997) * p1
            if p1 < length and not l_e1 % 33:
                possible_errors.append(len(s) - p1 - 1)
        else:
            # Two errors: try each first position.
            for p1 in range(length):
                s2_s1p1 = s2 ^ (0 if s1 == 0 else GF1024_EXP[(l_s1 + p1) % 1023])
                if s2_s1p1 == 0:
                    continue
                l_s2_s1p1 = GF1024_LOG[s2_s1p1]
                s1_s0p1 = s1 ^ (0 if s0 == 0 else GF1024_EXP[(l_s0 + p1) % 1023])
                if s1_s0p1 == 0:
                    continue
                l_s1_s0p1 = GF1024_LOG[s1_s0p1]
                p2 = (l_s2_s1p1 - l_s1_s0p1 + 1023) % 1023
                if p2 >= length or p1 == p2:
                    continue
                s1_s0p2 = s1 ^ (0 if s0 == 0 else GF1024_EXP[(l_s0 + p2) % 1023])
                if s1_s0p2 == 0:
                    continue
                l_s1_s0p2 = GF1024_LOG[s1_s0p2]
                inv_p1_p2 = 1023 - GF1024_LOG[GF1024_EXP[p1] ^ GF1024_EXP[p2]]
                l_e2 = l_s1_s0p1 + inv_p1_p2 + (1023 - 997) * p2
                if l_e2 % 33:
                    continue
                l_e1 = l_s1_s0p2 + inv_p1_p2 + (1023 - 997) * p1
                if l_e1 % 33:
                    continue
                if p1 > p2:
                    possible_errors += [len(s) - p1 - 1, len(s) - p2 - 1]
                else:
                    possible_errors += [len(s) - p2 - 1, len(s) - p1 - 1]
                break
        if not error_locations or (possible_errors and len(possible_errors) < len(error_locations)):
            error_locations = possible_errors
            if error_locations:
                error_encoding = encoding
    if error_encoding == Encoding.BECH32M:
        error_message = "Invalid Bech32m checksum"
    elif error_encoding == Encoding.BECH32:
        error_message = "Invalid Bech32 checksum"
    else:
        error_message = "Invalid checksum"
    return error_message, error_locations
