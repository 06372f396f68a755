"""JSON values as the RPC layer sees them (src/univalue): parsing, writing and typed getters.

UniValue becomes plain Python values: None, bool, int, str, list, dict, plus two number kinds
that keep their text: :class:`decimal.Decimal` for numbers read with a fraction or exponent and
for amounts (``ValueFromAmount`` writes "0.00001000", as upstream), and ``float`` for computed
doubles, written with 16 significant digits like UniValue's ``setFloat``. Reading is strict where
UniValue is (NaN/Infinity, trailing data, invalid UTF-8 and nesting deeper than 512 fail); an
object read with a repeated key is a :class:`JSONObject` that remembers the repetition, so the
named-argument check can report it as upstream does.
"""

from __future__ import annotations

import json
from decimal import Decimal
from enum import IntEnum
from typing import Any, Final, TypeAlias

#: A JSON value (UniValue). Recursive aliases do not fit invariant containers well, hence Any.
UniValue: TypeAlias = Any

#: UniValue's nesting limit when reading.
MAX_JSON_DEPTH: Final = 512


class VType(IntEnum):
    VNULL = 0
    VOBJ = 1
    VARR = 2
    VSTR = 3
    VNUM = 4
    VBOOL = 5


class type_error(RuntimeError):
    """A getter met a value of another JSON type; the RPC server answers RPC_TYPE_ERROR."""


class JSONObject(dict[str, Any]):
    """A JSON object as read from the wire; ``m_duplicate_keys`` lists keys that appeared more
    than once (the first value is kept, as UniValue's find_value returns the first)."""

    __slots__ = ("m_duplicate_keys",)

    m_duplicate_keys: list[str]

    def __init__(self) -> None:
        super().__init__()
        self.m_duplicate_keys = []


def uvTypeName(t: VType) -> str:
    return {
        VType.VNULL: "null",
        VType.VBOOL: "bool",
        VType.VOBJ: "object",
        VType.VARR: "array",
        VType.VSTR: "string",
        VType.VNUM: "number",
    }[t]


def getType(v: UniValue) -> VType:
    if v is None:
        return VType.VNULL
    if isinstance(v, bool):
        return VType.VBOOL
    if isinstance(v, int | float | Decimal):
        return VType.VNUM
    if isinstance(v, str):
        return VType.VSTR
    if isinstance(v, list | tuple):
        return VType.VARR
    if isinstance(v, dict):
        return VType.VOBJ
    raise TypeError(f"not a JSON value: {type(v).__name__}")


def checkType(v: UniValue, expected: VType) -> None:
    typ = getType(v)
    if typ != expected:
        raise type_error(
            f"JSON value of type {uvTypeName(typ)} is not of expected type {uvTypeName(expected)}"
        )


def isNull(v: UniValue) -> bool:
    return v is None


def isNum(v: UniValue) -> bool:
    return getType(v) == VType.VNUM


def isStr(v: UniValue) -> bool:
    return isinstance(v, str)


def getValStr(v: UniValue) -> str:
    """The value's text: a string's contents, a number's digits, "" otherwise."""
    if isinstance(v, str):
        return v
    if isinstance(v, bool) or v is None:
        return "1" if v is True else ""
    if isinstance(v, int | float | Decimal):
        return _number_text(v)
    return ""


def get_str(v: UniValue) -> str:
    checkType(v, VType.VSTR)
    assert isinstance(v, str)
    return v


def get_bool(v: UniValue) -> bool:
    checkType(v, VType.VBOOL)
    return bool(v)


def getInt(v: UniValue, bits: int = 32, signed: bool = True) -> int:
    """``getInt<intN_t>()`` / ``getInt<uintN_t>()``: a number written as an integer that fits
    the type; anything else (a fraction, an exponent, out of range) is "JSON integer out of
    range", as std::from_chars refuses it."""
    checkType(v, VType.VNUM)
    if isinstance(v, int):
        lo, hi = (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if signed else (0, (1 << bits) - 1)
        if lo <= v <= hi:
            return v
    raise RuntimeError("JSON integer out of range")


def get_real(v: UniValue) -> float:
    checkType(v, VType.VNUM)
    result = float(v)
    if result != result or result in (float("inf"), float("-inf")):
        raise RuntimeError("JSON double out of range")
    return result


def get_obj(v: UniValue) -> dict[str, Any]:
    checkType(v, VType.VOBJ)
    assert isinstance(v, dict)
    return v


def get_array(v: UniValue) -> list[Any]:
    checkType(v, VType.VARR)
    return list(v)


# --- reading --------------------------------------------------------------------------------------


def _reject_constant(name: str) -> Any:
    raise ValueError(f"invalid JSON constant {name}")


def _object_pairs(pairs: list[tuple[str, Any]]) -> JSONObject:
    obj = JSONObject()
    for key, value in pairs:
        if key in obj:
            obj.m_duplicate_keys.append(key)
        else:
            obj[key] = value
    return obj


def _depth_ok(value: UniValue) -> bool:
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        v, depth = stack.pop()
        if isinstance(v, list | dict):
            if depth > MAX_JSON_DEPTH:
                return False
            children = v.values() if isinstance(v, dict) else v
            stack.extend((c, depth + 1) for c in children if isinstance(c, list | dict))
    return True


def _has_lone_surrogate(value: UniValue) -> bool:
    stack: list[Any] = [value]
    while stack:
        v = stack.pop()
        if isinstance(v, str):
            if any("\ud800" <= c <= "\udfff" for c in v):
                return True
        elif isinstance(v, dict):
            stack.extend(v.keys())
            stack.extend(v.values())
        elif isinstance(v, list):
            stack.extend(v)
    return False


def read(data: str | bytes) -> tuple[bool, UniValue]:
    """UniValue::read: ``(True, value)`` for one valid JSON text, ``(False, None)`` otherwise."""
    try:
        text = data.decode("utf-8") if isinstance(data, bytes) else data
        value = json.loads(
            text,
            parse_float=Decimal,
            parse_constant=_reject_constant,
            object_pairs_hook=_object_pairs,
        )
    except (ValueError, RecursionError, UnicodeDecodeError):
        return False, None
    if not _depth_ok(value) or _has_lone_surrogate(value):
        return False, None
    return True, value


# --- writing --------------------------------------------------------------------------------------

_ESCAPES: Final = {i: f"\\u{i:04x}" for i in range(0x20)} | {
    0x08: "\\b",
    0x09: "\\t",
    0x0A: "\\n",
    0x0C: "\\f",
    0x0D: "\\r",
    0x22: '\\"',
    0x5C: "\\\\",
    0x7F: "\\u007f",
}


def json_escape(s: str) -> str:
    return s.translate(_ESCAPES)


def _number_text(v: int | float | Decimal) -> str:
    if isinstance(v, Decimal):
        # Positional notation keeps "0.00000001" from becoming "1E-8"; a number read with a
        # huge exponent keeps its exponent form.
        exponent = v.as_tuple().exponent
        if isinstance(exponent, int) and -100 <= exponent <= 100:
            return format(v, "f")
        return str(v).lower()
    if isinstance(v, float):
        # std::ostringstream with setprecision(16), as UniValue::setFloat.
        return format(v, ".16g")
    return str(v)


def write(v: UniValue, prettyIndent: int = 0, indentLevel: int = 0) -> str:
    """UniValue::write: compact without ``prettyIndent``, else one member per line."""
    out: list[str] = []
    _write(v, prettyIndent, indentLevel or 1, out)
    return "".join(out)


def _write(v: UniValue, pretty: int, level: int, out: list[str]) -> None:
    typ = getType(v)
    if typ == VType.VNULL:
        out.append("null")
    elif typ == VType.VBOOL:
        out.append("true" if v else "false")
    elif typ == VType.VNUM:
        out.append(_number_text(v))
    elif typ == VType.VSTR:
        out.append('"' + json_escape(v) + '"')
    elif typ == VType.VARR:
        out.append("[")
        if pretty:
            out.append("\n")
        items = list(v)
        for i, item in enumerate(items):
            if pretty:
                out.append(" " * (pretty * level))
            _write(item, pretty, level + 1, out)
            if i != len(items) - 1:
                out.append(",")
            if pretty:
                out.append("\n")
        if pretty:
            out.append(" " * (pretty * (level - 1)))
        out.append("]")
    else:
        out.append("{")
        if pretty:
            out.append("\n")
        entries = list(v.items())
        for i, (key, item) in enumerate(entries):
            if pretty:
                out.append(" " * (pretty * level))
            out.append('"' + json_escape(key) + '":')
            if pretty:
                out.append(" ")
            _write(item, pretty, level + 1, out)
            if i != len(entries) - 1:
                out.append(",")
            if pretty:
                out.append("\n")
        if pretty:
            out.append(" " * (pretty * (level - 1)))
        out.append("}")
