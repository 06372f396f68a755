"""String helpers (src/util/strencodings.h/.cpp, src/util/string.h), the ones the argument
parser, the HTTP/RPC server and the address codecs need.

Upstream works on byte strings; these work on ``str`` and treat characters beyond ASCII as
non-digits, non-hex and non-space, which is what the byte-wise C++ does for their UTF-8 bytes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from enum import IntEnum
from typing import Final

_CHARS_ALPHA_NUM: Final = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


class SafeChars(IntEnum):
    """Which character set SanitizeString keeps."""

    SAFE_CHARS_DEFAULT = 0
    SAFE_CHARS_UA_COMMENT = 1
    SAFE_CHARS_FILENAME = 2
    SAFE_CHARS_URI = 3


SAFE_CHARS_DEFAULT: Final = SafeChars.SAFE_CHARS_DEFAULT
SAFE_CHARS_UA_COMMENT: Final = SafeChars.SAFE_CHARS_UA_COMMENT
SAFE_CHARS_FILENAME: Final = SafeChars.SAFE_CHARS_FILENAME
SAFE_CHARS_URI: Final = SafeChars.SAFE_CHARS_URI

_SAFE_CHARS: Final = (
    frozenset(_CHARS_ALPHA_NUM + " .,;-_/:?@()"),
    frozenset(_CHARS_ALPHA_NUM + " .,;-_?@"),
    frozenset(_CHARS_ALPHA_NUM + ".-_"),
    frozenset(_CHARS_ALPHA_NUM + "!*'();:@&=+$,/?#[]-_.~%"),
)

#: The characters upstream's IsSpace accepts (the "C" locale's isspace).
_SPACES: Final = " \f\n\r\t\v"
_HEXDIGITS: Final = frozenset("0123456789abcdefABCDEF")


def SanitizeString(s: str, rule: int = SAFE_CHARS_DEFAULT) -> str:
    """Drop every character not in the rule's safe set."""
    safe = _SAFE_CHARS[rule]
    return "".join(c for c in s if c in safe)


def IsSpace(c: str) -> bool:
    return c != "" and c in _SPACES


def IsDigit(c: str) -> bool:
    return "0" <= c <= "9"


def IsHex(s: str) -> bool:
    """Non-empty, an even number of characters, all hex digits."""
    return len(s) > 0 and len(s) % 2 == 0 and all(c in _HEXDIGITS for c in s)


def TryParseHex(s: str) -> bytes | None:
    """Hex pairs, with whitespace allowed between (not inside) them; None if malformed."""
    out = bytearray()
    i = 0
    n = len(s)
    while i < n:
        if IsSpace(s[i]):
            i += 1
            continue
        if i + 1 >= n or s[i] not in _HEXDIGITS or s[i + 1] not in _HEXDIGITS:
            return None
        out.append(int(s[i : i + 2], 16))
        i += 2
    return bytes(out)


def ParseHex(s: str) -> bytes:
    """TryParseHex, or empty bytes on malformed input (as upstream)."""
    parsed = TryParseHex(s)
    return parsed if parsed is not None else b""


def HexStr(b: bytes) -> str:
    return b.hex()


def TrimString(s: str, pattern: str = _SPACES) -> str:
    return s.strip(pattern)


def ToLower(s: str) -> str:
    """ASCII-only lower case (upstream's ToLower ignores the locale)."""
    return "".join(chr(ord(c) + 32) if "A" <= c <= "Z" else c for c in s)


def ToUpper(s: str) -> str:
    return "".join(chr(ord(c) - 32) if "a" <= c <= "z" else c for c in s)


def Capitalize(s: str) -> str:
    return ToUpper(s[:1]) + s[1:] if s else s


def Join(items: Iterable[str], separator: str) -> str:
    return separator.join(items)


def TimingResistantEqual(a: str | bytes, b: str | bytes) -> bool:
    """Compare without an early exit on the first difference (upstream's TimingResistantEqual)."""
    ab = a.encode() if isinstance(a, str) else a
    bb = b.encode() if isinstance(b, str) else b
    if len(bb) == 0:
        return len(ab) == 0
    accumulator = len(ab) ^ len(bb)
    for i in range(len(ab)):
        accumulator |= ab[i] ^ bb[i % len(bb)]
    return accumulator == 0


def LocaleIndependentAtoi(s: str, bits: int = 64) -> int:
    """``atoi`` in the "C" locale, saturating at the bounds of a signed ``bits``-bit integer:
    leading/trailing whitespace and one leading '+' are skipped, and parsing stops at the first
    non-digit ("12abc" is 12, "abc" is 0)."""
    t = TrimString(s)
    if t.startswith("+"):
        if t[1:2] == "-":
            return 0
        t = t[1:]
    end = 1 if t.startswith("-") else 0
    while end < len(t) and IsDigit(t[end]):
        end += 1
    digits = t[:end]
    if digits in ("", "-"):
        return 0
    value = int(digits)
    lo, hi = -(1 << (bits - 1)), (1 << (bits - 1)) - 1
    return max(lo, min(hi, value))


def ToIntegral(s: str, lo: int, hi: int) -> int | None:
    """Strict decimal parse (an optional '-' then digits only) within [lo, hi], else None
    (upstream's ToIntegral<T>, with T's bounds passed in)."""
    body = s[1:] if s.startswith("-") else s
    if body == "" or not all(IsDigit(c) for c in body):
        return None
    value = int(s)
    return value if lo <= value <= hi else None


#: Largest mantissa ParseFixedPoint accepts: 10^18 - 1 fits a signed 64-bit integer.
_UPPER_BOUND: Final = 10**18 - 1


def ParseFixedPoint(val: str, decimals: int) -> int | None:
    """Parse a JSON number (as text) into a fixed-point integer with ``decimals`` places; None if
    it is malformed, has more precision than ``decimals``, or its magnitude reaches
    10^(18-decimals)."""
    mantissa = 0
    exponent = 0
    mantissa_tzeros = 0
    ptr = 0
    end = len(val)
    point_ofs = 0

    def process_digit(ch: str) -> bool:
        nonlocal mantissa, mantissa_tzeros
        if ch == "0":
            mantissa_tzeros += 1
            return True
        for _ in range(mantissa_tzeros + 1):
            if mantissa > _UPPER_BOUND // 10:
                return False
            mantissa *= 10
        mantissa += ord(ch) - 48
        mantissa_tzeros = 0
        return True

    mantissa_sign = ptr < end and val[ptr] == "-"
    if mantissa_sign:
        ptr += 1
    if ptr < end:
        if val[ptr] == "0":
            ptr += 1
        elif "1" <= val[ptr] <= "9":
            while ptr < end and IsDigit(val[ptr]):
                if not process_digit(val[ptr]):
                    return None
                ptr += 1
        else:
            return None
    else:
        return None
    if ptr < end and val[ptr] == ".":
        ptr += 1
        if not (ptr < end and IsDigit(val[ptr])):
            return None
        while ptr < end and IsDigit(val[ptr]):
            if not process_digit(val[ptr]):
                return None
            ptr += 1
            point_ofs += 1
    if ptr < end and val[ptr] in "eE":
        ptr += 1
        exponent_sign = False
        if ptr < end and val[ptr] == "+":
            ptr += 1
        elif ptr < end and val[ptr] == "-":
            exponent_sign = True
            ptr += 1
        if not (ptr < end and IsDigit(val[ptr])):
            return None
        while ptr < end and IsDigit(val[ptr]):
            if exponent > _UPPER_BOUND // 10:
                return None
            exponent = exponent * 10 + ord(val[ptr]) - 48
            ptr += 1
        if exponent_sign:
            exponent = -exponent
    if ptr != end:
        return None

    exponent = exponent - point_ofs + mantissa_tzeros
    if mantissa_sign:
        mantissa = -mantissa
    exponent += decimals
    if exponent < 0 or exponent >= 18:
        return None
    for _ in range(exponent):
        if mantissa > _UPPER_BOUND // 10 or mantissa < -(_UPPER_BOUND // 10):
            return None
        mantissa *= 10
    if mantissa > _UPPER_BOUND or mantissa < -_UPPER_BOUND:
        return None
    return mantissa


def FormatParagraph(s: str, width: int = 79, indent: int = 0) -> str:
    """Word-wrap ``s`` at ``width`` columns, indenting continuation lines by ``indent``; existing
    newlines are kept and restart the column count."""
    assert width >= indent
    out: list[str] = []
    ptr = 0
    indented = 0
    n = len(s)
    while ptr < n:
        lineend = s.find("\n", ptr)
        if lineend == -1:
            lineend = n
        linelen = lineend - ptr
        rem_width = width - indented
        if linelen <= rem_width:
            out.append(s[ptr : lineend + 1])
            ptr = lineend + 1
            indented = 0
            continue
        finalspace = max(
            s.rfind(" ", 0, ptr + rem_width + 1), s.rfind("\n", 0, ptr + rem_width + 1)
        )
        if finalspace == -1 or finalspace < ptr:
            # No place to break: take the whole word.
            candidates = [i for i in (s.find("\n", ptr), s.find(" ", ptr)) if i != -1]
            if not candidates:
                out.append(s[ptr:])
                break
            finalspace = min(candidates)
        out.append(s[ptr:finalspace] + "\n")
        if s[finalspace] == "\n":
            indented = 0
        elif indent:
            out.append(" " * indent)
            indented = indent
        ptr = finalspace + 1
    return "".join(out)


_BASE64_CHARS: Final = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
_BASE64_DECODE: Final = {c: i for i, c in enumerate(_BASE64_CHARS)}


def ConvertBits(
    frombits: int,
    tobits: int,
    pad: bool,
    data: Iterable[int],
    infn: Callable[[int], int] | None = None,
) -> list[int] | None:
    """Regroup ``frombits``-bit values into ``tobits``-bit values (upstream's ConvertBits
    template). ``infn`` maps each input to its value, -1 marking an invalid input. Without
    ``pad``, leftover bits must be fewer than ``frombits`` and all zero. None on failure."""
    acc = 0
    bits = 0
    maxv = (1 << tobits) - 1
    max_acc = (1 << (frombits + tobits - 1)) - 1
    out: list[int] = []
    for item in data:
        v = infn(item) if infn is not None else item
        if v < 0:
            return None
        acc = ((acc << frombits) | v) & max_acc
        bits += frombits
        while bits >= tobits:
            bits -= tobits
            out.append((acc >> bits) & maxv)
    if pad:
        if bits:
            out.append((acc << (tobits - bits)) & maxv)
    elif bits >= frombits or ((acc << (tobits - bits)) & maxv):
        return None
    return out


def EncodeBase64(data: bytes) -> str:
    groups = ConvertBits(8, 6, True, data)
    assert groups is not None
    s = "".join(_BASE64_CHARS[v] for v in groups)
    return s + "=" * (-len(s) % 4)


def DecodeBase64(s: str) -> bytes | None:
    """Strict base64: length a multiple of 4, at most two trailing '=', no whitespace."""
    if len(s) % 4 != 0:
        return None
    for _ in range(2):
        if s.endswith("="):
            s = s[:-1]
    out = ConvertBits(6, 8, False, (ord(c) for c in s), lambda o: _BASE64_DECODE.get(chr(o), -1))
    return bytes(out) if out is not None else None
