"""RPC method descriptions and argument helpers (src/rpc/util.h/.cpp, util/check.h's
CHECK_NONFATAL, core_io's ValueFromAmount).

An :class:`RPCHelpMan` describes a method (arguments, results, examples) and runs it: it checks
the argument count and JSON types with upstream's messages, renders the ``help`` text in
upstream's layout, and gives the implementation its arguments through :meth:`RPCHelpMan.Arg` /
:meth:`RPCHelpMan.MaybeArg` (``self.Arg("nblocks", int)`` is upstream's
``self.Arg<int>("nblocks")``).
"""

from __future__ import annotations

import inspect
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import Enum, IntEnum
from typing import Any, Final, overload

from ..args import CLIENT_NAME, gArgs
from ..primitives.transaction import MAX_MONEY
from ..strencodings import IsHex, ParseFixedPoint, TrimString
from ..uint256 import uint256
from ..univalue import (
    UniValue,
    VType,
    get_bool,
    get_real,
    get_str,
    getInt,
    getType,
    getValStr,
    uvTypeName,
    write,
)
from .protocol import (
    RPC_INVALID_PARAMETER,
    RPC_TYPE_ERROR,
    JSONRPCError,
)
from .request import JSONRPCRequest

#: DEFAULT_RPC_DOC_CHECK: release builds do not check results against their documentation;
#: -rpcdoccheck turns the check on.
DEFAULT_RPC_DOC_CHECK: Final = False

UNIX_EPOCH_TIME: Final = "UNIX epoch time"
#: Deliberately invalid example addresses for help texts.
EXAMPLE_ADDRESS: Final = (
    "bc1q09vm5lfy0j5reeulh4x5752q25uqqvz34hufdl",
    "bc1q02ad21edsxd23d32dfgqqsz4vv4nmtfzuklhy3",
)
CLIENT_BUGREPORT: Final = "https://github.com/bitcoin/bitcoin/issues"
#: FormatFullVersion() of the release this port follows.
CLIENT_VERSION_STRING: Final = "v30.0.0"


# --- util/check.h ---------------------------------------------------------------------------------


def StrFormatInternalBug(msg: str, file: str, line: int, func: str) -> str:
    return (
        f"Internal bug detected: {msg}\n{file}:{line} ({func})\n"
        f"{CLIENT_NAME} {CLIENT_VERSION_STRING}\n"
        f"Please report this issue here: {CLIENT_BUGREPORT}\n"
    )


class NonFatalCheckError(RuntimeError):
    """A broken assumption in RPC code: reported to the caller, not fatal to the node."""


def CHECK_NONFATAL(condition: object, assertion: str = "") -> None:
    if not condition:
        caller = inspect.stack()[1]
        raise NonFatalCheckError(
            StrFormatInternalBug(
                assertion or "CHECK_NONFATAL", os.path.basename(caller.filename), caller.lineno,
                caller.function,
            )
        )  # fmt: skip


def NONFATAL_UNREACHABLE() -> NonFatalCheckError:
    caller = inspect.stack()[1]
    return NonFatalCheckError(
        StrFormatInternalBug(
            "Unreachable code reached (non-fatal)", os.path.basename(caller.filename),
            caller.lineno, caller.function,
        )
    )  # fmt: skip


class HelpResult(RuntimeError):
    """Raised with a method's help text, for ``help <method>`` and for a wrong argument
    count."""


# --- value helpers --------------------------------------------------------------------------------


class UniValueType:
    """An expected JSON type, or "any" (RPCTypeCheckObj)."""

    __slots__ = ("type", "typeAny")

    typeAny: bool
    type: VType

    def __init__(self, type_: VType | None = None) -> None:
        self.typeAny = type_ is None
        self.type = type_ if type_ is not None else VType.VNULL


def RPCTypeCheckObj(
    o: dict[str, Any],
    typesExpected: dict[str, UniValueType],
    fAllowNull: bool = False,
    fStrict: bool = False,
) -> None:
    for key, expected in typesExpected.items():
        v = o.get(key)
        if not fAllowNull and v is None:
            raise JSONRPCError(RPC_TYPE_ERROR, f"Missing {key}")
        if not (expected.typeAny or getType(v) == expected.type or (fAllowNull and v is None)):
            raise JSONRPCError(
                RPC_TYPE_ERROR,
                f"JSON value of type {uvTypeName(getType(v))} for field {key} is not of expected "
                f"type {uvTypeName(expected.type)}",
            )
    if fStrict:
        for k in o:
            if k not in typesExpected:
                raise JSONRPCError(RPC_TYPE_ERROR, f"Unexpected key {k}")


def ParseVerbosity(arg: UniValue, default_verbosity: int, allow_bool: bool) -> int:
    """An integer verbosity, or a boolean one where ``allow_bool`` (true is 1)."""
    if arg is None:
        return default_verbosity
    if isinstance(arg, bool):
        if not allow_bool:
            raise JSONRPCError(RPC_TYPE_ERROR, "Verbosity was boolean but only integer allowed")
        return int(arg)
    return getInt(arg)


def MoneyRange(nValue: int) -> bool:
    return 0 <= nValue <= MAX_MONEY


def AmountFromValue(value: UniValue, decimals: int = 8) -> int:
    """Satoshis from a JSON number or string of BTC ("0.0001" or 0.0001)."""
    if getType(value) not in (VType.VNUM, VType.VSTR):
        raise JSONRPCError(RPC_TYPE_ERROR, "Amount is not a number or string")
    amount = ParseFixedPoint(getValStr(value), decimals)
    if amount is None:
        raise JSONRPCError(RPC_TYPE_ERROR, "Invalid amount")
    if not MoneyRange(amount):
        raise JSONRPCError(RPC_TYPE_ERROR, "Amount out of range")
    return amount


def ParseHashV(v: UniValue, name: str) -> uint256:
    """A 64-digit hex hash argument, with upstream's errors for a wrong length or non-hex."""
    strHex = get_str(v)
    if len(strHex) == 64 and IsHex(strHex):
        return uint256.FromHex(strHex)
    if len(strHex) != 64:
        raise JSONRPCError(
            RPC_INVALID_PARAMETER,
            f"{name} must be of length 64 (not {len(strHex)}, for '{strHex}')",
        )
    raise JSONRPCError(RPC_INVALID_PARAMETER, f"{name} must be hexadecimal string (not '{strHex}')")


def ParseHashO(o: dict[str, Any], strKey: str) -> uint256:
    return ParseHashV(o.get(strKey), strKey)


def ParseHexV(v: UniValue, name: str) -> bytes:
    strHex = v if isinstance(v, str) else ""
    if not IsHex(strHex):
        raise JSONRPCError(
            RPC_INVALID_PARAMETER, f"{name} must be hexadecimal string (not '{strHex}')"
        )
    return bytes.fromhex(strHex)


def ParseHexO(o: dict[str, Any], strKey: str) -> bytes:
    return ParseHexV(o.get(strKey), strKey)


def _ShellQuoteIfNeeded(s: str) -> str:
    if any(ch in " '\"" for ch in s):
        return "'" + s.replace("'", "'\\''") + "'"
    return s


def HelpExampleCli(methodname: str, args: str) -> str:
    return "> bitcoin-cli " + methodname + " " + args + "\n"


def HelpExampleCliNamed(methodname: str, args: Sequence[tuple[str, UniValue]]) -> str:
    result = "> bitcoin-cli -named " + methodname
    for name, value in args:
        text = value if isinstance(value, str) else write(value)
        result += " " + name + "=" + _ShellQuoteIfNeeded(text)
    return result + "\n"


def HelpExampleRpc(methodname: str, args: str) -> str:
    return (
        '> curl --user myusername --data-binary \'{"jsonrpc": "2.0", "id": "curltest", '
        '"method": "' + methodname + '", "params": [' + args + "]}' -H 'content-type: "
        "application/json' http://127.0.0.1:8332/\n"
    )


def HelpExampleRpcNamed(methodname: str, args: Sequence[tuple[str, UniValue]]) -> str:
    params = dict(args)
    return (
        '> curl --user myusername --data-binary \'{"jsonrpc": "2.0", "id": "curltest", '
        '"method": "' + methodname + '", "params": ' + write(params) + "}' -H 'content-type: "
        "application/json' http://127.0.0.1:8332/\n"
    )


# --- help rendering -------------------------------------------------------------------------------


class OuterType(Enum):
    """What a described value is nested in (the top level is NONE)."""

    ARR = 0
    OBJ = 1
    NONE = 2


@dataclass(slots=True)
class Section:
    """A left part (a name or brace) and its description, aligned with the others later."""

    m_left: str
    m_right: str


@dataclass(slots=True)
class Sections:
    m_sections: list[Section] = field(default_factory=list)
    m_max_pad: int = 0

    def PushSection(self, s: Section) -> None:
        self.m_max_pad = max(self.m_max_pad, len(s.m_left))
        self.m_sections.append(s)

    def Push(
        self, arg: RPCArg, current_indent: int = 5, outer_type: OuterType = OuterType.NONE
    ) -> None:
        """The sections of an argument and, recursively, its inner arguments."""
        indent = " " * current_indent
        indent_next = " " * (current_indent + 2)
        push_name = outer_type == OuterType.OBJ
        is_top_level_arg = outer_type == OuterType.NONE
        T = RPCArg.Type
        if arg.m_type in (T.STR_HEX, T.STR, T.NUM, T.AMOUNT, T.RANGE, T.BOOL, T.OBJ_NAMED_PARAMS):
            if is_top_level_arg:
                return
            left = indent
            if arg.m_opts.type_str and push_name:
                left += '"' + arg.GetName() + '": ' + arg.m_opts.type_str[0]
            else:
                left += arg.ToStringObj(False) if push_name else arg.ToString(False)
            left += ","
            self.PushSection(Section(left, arg.ToDescriptionString(push_name)))
        elif arg.m_type in (T.OBJ, T.OBJ_USER_KEYS):
            right = "" if is_top_level_arg else arg.ToDescriptionString(push_name)
            name = ('"' + arg.GetName() + '": ') if push_name else ""
            self.PushSection(Section(indent + name + "{", right))
            for arg_inner in arg.m_inner:
                self.Push(arg_inner, current_indent + 2, OuterType.OBJ)
            if arg.m_type != T.OBJ:
                self.PushSection(Section(indent_next + "...", ""))
            self.PushSection(Section(indent + "}" + ("" if is_top_level_arg else ","), ""))
        else:  # ARR
            left = indent + (('"' + arg.GetName() + '": ') if push_name else "") + "["
            right = "" if is_top_level_arg else arg.ToDescriptionString(push_name)
            self.PushSection(Section(left, right))
            for arg_inner in arg.m_inner:
                self.Push(arg_inner, current_indent + 2, OuterType.ARR)
            self.PushSection(Section(indent_next + "...", ""))
            self.PushSection(Section(indent + "]" + ("" if is_top_level_arg else ","), ""))

    def ToString(self) -> str:
        """All sections, descriptions aligned 4 columns after the longest left part."""
        ret = ""
        pad = self.m_max_pad + 4
        for s in self.m_sections:
            CHECK_NONFATAL("\n" not in s.m_left, "s.m_left.find('\\n') == std::string::npos")
            if not s.m_right:
                ret += s.m_left + "\n"
                continue
            ret += s.m_left.ljust(pad)
            right = ""
            begin = 0
            new_line_pos = s.m_right.find("\n")
            while True:
                right += s.m_right[begin:] if new_line_pos == -1 else s.m_right[begin:new_line_pos]
                if new_line_pos == -1:
                    break
                right += "\n" + " " * pad
                begin = _find_first_not_of(s.m_right, " ", new_line_pos + 1)
                if begin == -1:
                    break
                new_line_pos = s.m_right.find("\n", begin + 1)
            ret += right + "\n"
        return ret


def _find_first_not_of(s: str, chars: str, start: int) -> int:
    for i in range(start, len(s)):
        if s[i] not in chars:
            return i
    return -1


@dataclass(frozen=True, slots=True)
class RPCArgOptions:
    skip_type_check: bool = False
    #: Replaces the generated one-line summary, when set.
    oneline_description: str = ""
    #: Empty, or two strings overriding the type in a key-value pair and in the description.
    type_str: tuple[str, ...] = ()
    #: For testing only: this and every later argument are left out of the help.
    hidden: bool = False
    #: A named-only option may share its name with a positional parameter.
    also_positional: bool = False


class RPCArg:
    """One argument: names ("a|b" for aliases), type, whether/how it is optional, help."""

    class Type(IntEnum):
        OBJ = 0
        ARR = 1
        STR = 2
        NUM = 3
        BOOL = 4
        #: Like OBJ, but its keys may also be passed as top-level named parameters.
        OBJ_NAMED_PARAMS = 5
        #: An object whose keys the user chooses (e.g. addresses).
        OBJ_USER_KEYS = 6
        #: A number or a string, as an amount.
        AMOUNT = 7
        #: A string of hex characters.
        STR_HEX = 8
        #: A number or [number, number].
        RANGE = 9

    class Optional(IntEnum):
        NO = 0  # required
        #: Optional; its default is left out of the help (null in a dict, or obvious).
        OMITTED = 1

    @dataclass(frozen=True, slots=True)
    class DefaultHint:
        """A description of the default, for arguments whose default is not a constant."""

        text: str

    @dataclass(frozen=True, slots=True)
    class Default:
        """A constant default value."""

        value: UniValue

    __slots__ = ("m_description", "m_fallback", "m_inner", "m_names", "m_opts", "m_type")

    m_names: str
    m_type: RPCArg.Type
    m_inner: list[RPCArg]
    m_fallback: RPCArg.Optional | RPCArg.DefaultHint | RPCArg.Default
    m_description: str
    m_opts: RPCArgOptions

    def __init__(
        self,
        name: str,
        type: RPCArg.Type,
        fallback: RPCArg.Optional | RPCArg.DefaultHint | RPCArg.Default,
        description: str,
        inner: Sequence[RPCArg] | None = None,
        opts: RPCArgOptions | None = None,
    ) -> None:
        container = type in (
            RPCArg.Type.ARR,
            RPCArg.Type.OBJ,
            RPCArg.Type.OBJ_NAMED_PARAMS,
            RPCArg.Type.OBJ_USER_KEYS,
        )
        CHECK_NONFATAL(container == (inner is not None), "inner arguments only for containers")
        self.m_names = name
        self.m_type = type
        self.m_inner = list(inner) if inner is not None else []
        self.m_fallback = fallback
        self.m_description = description
        self.m_opts = opts if opts is not None else RPCArgOptions()

    def IsOptional(self) -> bool:
        return not (
            isinstance(self.m_fallback, RPCArg.Optional) and self.m_fallback == RPCArg.Optional.NO
        )

    def MatchesType(self, request: UniValue) -> bool | str:
        """True, or the type mismatch message."""
        if self.m_opts.skip_type_check:
            return True
        if self.IsOptional() and request is None:
            return True
        exp_type = _ExpectedArgType(self.m_type)
        if exp_type is None:
            return True
        if exp_type != getType(request):
            return (
                f"JSON value of type {uvTypeName(getType(request))} is not of expected type "
                f"{uvTypeName(exp_type)}"
            )
        return True

    def GetFirstName(self) -> str:
        return self.m_names.split("|", 1)[0]

    def GetName(self) -> str:
        CHECK_NONFATAL("|" not in self.m_names, "std::string::npos == m_names.find('|')")
        return self.m_names

    def ToString(self, oneline: bool) -> str:
        if oneline and self.m_opts.oneline_description:
            return self.m_opts.oneline_description
        T = RPCArg.Type
        if self.m_type in (T.STR_HEX, T.STR):
            return '"' + self.GetFirstName() + '"'
        if self.m_type in (T.NUM, T.RANGE, T.AMOUNT, T.BOOL):
            return self.GetFirstName()
        if self.m_type in (T.OBJ, T.OBJ_NAMED_PARAMS, T.OBJ_USER_KEYS):
            res = ",".join(i.ToStringObj(oneline) for i in self.m_inner)
            return "{" + res + "}" if self.m_type == T.OBJ else "{" + res + ",...}"
        return "[" + "".join(i.ToString(oneline) + "," for i in self.m_inner) + "...]"

    def ToStringObj(self, oneline: bool) -> str:
        res = '"' + self.GetFirstName() + ('":' if oneline else '": ')
        T = RPCArg.Type
        suffix = {
            T.STR: '"str"',
            T.STR_HEX: '"hex"',
            T.NUM: "n",
            T.RANGE: "n or [n,n]",
            T.AMOUNT: "amount",
            T.BOOL: "bool",
        }.get(self.m_type)
        if suffix is not None:
            return res + suffix
        if self.m_type == T.ARR:
            return res + "[" + "".join(i.ToString(oneline) + "," for i in self.m_inner) + "...]"
        raise NONFATAL_UNREACHABLE()

    def ToDescriptionString(self, is_named_arg: bool) -> str:
        ret = "("
        if self.m_opts.type_str:
            ret += self.m_opts.type_str[1]
        else:
            T = RPCArg.Type
            ret += {
                T.STR_HEX: "string",
                T.STR: "string",
                T.NUM: "numeric",
                T.AMOUNT: "numeric or string",
                T.RANGE: "numeric or array",
                T.BOOL: "boolean",
                T.OBJ: "json object",
                T.OBJ_NAMED_PARAMS: "json object",
                T.OBJ_USER_KEYS: "json object",
                T.ARR: "json array",
            }[self.m_type]
        fallback = self.m_fallback
        if isinstance(fallback, RPCArg.DefaultHint):
            ret += ", optional, default=" + fallback.text
        elif isinstance(fallback, RPCArg.Default):
            ret += ", optional, default=" + write(fallback.value)
        elif fallback == RPCArg.Optional.OMITTED:
            if is_named_arg:
                ret += ", optional"
        else:
            ret += ", required"
        ret += ")"
        if self.m_type == RPCArg.Type.OBJ_NAMED_PARAMS:
            ret += " Options object that can be used to pass named arguments, listed below."
        if self.m_description:
            ret += " " + self.m_description
        return ret


def _ExpectedArgType(type_: RPCArg.Type) -> VType | None:
    T = RPCArg.Type
    return {
        T.STR_HEX: VType.VSTR,
        T.STR: VType.VSTR,
        T.NUM: VType.VNUM,
        T.AMOUNT: None,  # a number or a string, checked by AmountFromValue
        T.RANGE: None,  # a number or an array, checked by ParseRange
        T.BOOL: VType.VBOOL,
        T.OBJ: VType.VOBJ,
        T.OBJ_NAMED_PARAMS: VType.VOBJ,
        T.OBJ_USER_KEYS: VType.VOBJ,
        T.ARR: VType.VARR,
    }[type_]


class RPCResult:
    """One documented result shape (a value, or an object/array with inner results)."""

    class Type(IntEnum):
        OBJ = 0
        ARR = 1
        STR = 2
        NUM = 3
        BOOL = 4
        NONE = 5
        ANY = 6  # disables type checks (testing only)
        STR_AMOUNT = 7  # an amount
        STR_HEX = 8  # a string of hex characters
        OBJ_DYN = 9  # an object whose keys are not literals
        ARR_FIXED = 10  # an array with a fixed number of entries
        NUM_TIME = 11  # a UNIX epoch time
        ELISION = 12  # "..." in the help

    __slots__ = (
        "m_cond",
        "m_description",
        "m_inner",
        "m_key_name",
        "m_optional",
        "m_skip_type_check",
        "m_type",
    )

    m_type: RPCResult.Type
    m_key_name: str
    m_inner: list[RPCResult]
    m_optional: bool
    m_skip_type_check: bool
    m_description: str
    m_cond: str

    def __init__(
        self,
        type: RPCResult.Type,
        m_key_name: str,
        description: str,
        inner: Sequence[RPCResult] = (),
        *,
        optional: bool = False,
        skip_type_check: bool = False,
        cond: str = "",
    ) -> None:
        self.m_type = type
        self.m_key_name = m_key_name
        self.m_inner = list(inner)
        self.m_optional = optional
        self.m_skip_type_check = skip_type_check
        self.m_description = description
        self.m_cond = cond
        self.CheckInnerDoc()

    def CheckInnerDoc(self) -> None:
        if self.m_type == RPCResult.Type.OBJ:
            return
        T = RPCResult.Type
        inner_needed = self.m_type in (T.ARR, T.ARR_FIXED, T.OBJ_DYN)
        CHECK_NONFATAL(inner_needed != (not self.m_inner), "inner_needed != m_inner.empty()")

    def ToSections(
        self, sections: Sections, outer_type: OuterType = OuterType.NONE, current_indent: int = 0
    ) -> None:
        indent = " " * current_indent
        indent_next = " " * (current_indent + 2)
        maybe_separator = "," if outer_type != OuterType.NONE else ""
        maybe_key = '"' + self.m_key_name + '" : ' if outer_type == OuterType.OBJ else ""

        def Description(type_: str) -> str:
            return (
                "("
                + type_
                + (", optional" if self.m_optional else "")
                + ")"
                + ("" if not self.m_description else " " + self.m_description)
            )

        T = RPCResult.Type
        t = self.m_type
        if t == T.ELISION:
            sections.PushSection(Section(indent + "..." + maybe_separator, self.m_description))
            return
        if t == T.ANY:
            raise NONFATAL_UNREACHABLE()
        simple = {
            T.NONE: ("null", "json null"),
            T.STR: ('"str"', "string"),
            T.STR_AMOUNT: ("n", "numeric"),
            T.STR_HEX: ('"hex"', "string"),
            T.NUM: ("n", "numeric"),
            T.NUM_TIME: ("xxx", "numeric"),
            T.BOOL: ("true|false", "boolean"),
        }
        if t in simple:
            left, type_name = simple[t]
            if t == T.NONE:
                sections.PushSection(
                    Section(indent + "null" + maybe_separator, Description(type_name))
                )
            else:
                sections.PushSection(
                    Section(indent + maybe_key + left + maybe_separator, Description(type_name))
                )
            return
        if t in (T.ARR_FIXED, T.ARR):
            sections.PushSection(Section(indent + maybe_key + "[", Description("json array")))
            for i in self.m_inner:
                i.ToSections(sections, OuterType.ARR, current_indent + 2)
            CHECK_NONFATAL(bool(self.m_inner), "!m_inner.empty()")
            if t == T.ARR and self.m_inner[-1].m_type != T.ELISION:
                sections.PushSection(Section(indent_next + "...", ""))
            else:
                # No comma after the last element.
                sections.m_sections[-1].m_left = sections.m_sections[-1].m_left[:-1]
            sections.PushSection(Section(indent + "]" + maybe_separator, ""))
            return
        # OBJ_DYN, OBJ
        if not self.m_inner:
            sections.PushSection(
                Section(indent + maybe_key + "{}", Description("empty JSON object"))
            )
            return
        sections.PushSection(Section(indent + maybe_key + "{", Description("json object")))
        for i in self.m_inner:
            i.ToSections(sections, OuterType.OBJ, current_indent + 2)
        if t == T.OBJ_DYN and self.m_inner[-1].m_type != T.ELISION:
            sections.PushSection(Section(indent_next + "...", ""))
        else:
            sections.m_sections[-1].m_left = sections.m_sections[-1].m_left[:-1]
        sections.PushSection(Section(indent + "}" + maybe_separator, ""))

    def MatchesType(self, result: UniValue) -> UniValue:
        """True if ``result`` fits this description, else what does not fit (for
        -rpcdoccheck)."""
        if self.m_skip_type_check:
            return True
        exp_type = _ExpectedResultType(self.m_type)
        if exp_type is None:
            return True
        if exp_type != getType(result):
            return (
                f"returned type is {uvTypeName(getType(result))}, but declared as "
                f"{uvTypeName(exp_type)} in doc"
            )
        if exp_type == VType.VARR:
            errors: dict[str, Any] = {}
            for i, item in enumerate(result):
                doc_inner = self.m_inner[min(len(self.m_inner) - 1, i)]
                match = doc_inner.MatchesType(item)
                if match is not True:
                    errors[str(i)] = match
            return errors if errors else True
        if exp_type == VType.VOBJ:
            if self.m_inner and self.m_inner[0].m_type == RPCResult.Type.ELISION:
                return True
            errors = {}
            if self.m_type == RPCResult.Type.OBJ_DYN:
                doc_inner = self.m_inner[0]
                for key, item in result.items():
                    match = doc_inner.MatchesType(item)
                    if match is not True:
                        errors[key] = match
                return errors if errors else True
            doc_keys = {d.m_key_name for d in self.m_inner}
            for key in sorted(result):
                if key not in doc_keys:
                    errors[key] = "key returned that was not in doc"
            for doc_entry in self.m_inner:
                if doc_entry.m_key_name not in result:
                    if not doc_entry.m_optional:
                        errors[doc_entry.m_key_name] = (
                            "key missing, despite not being optional in doc"
                        )
                    continue
                match = doc_entry.MatchesType(result[doc_entry.m_key_name])
                if match is not True:
                    errors[doc_entry.m_key_name] = match
            return errors if errors else True
        return True


def _ExpectedResultType(type_: RPCResult.Type) -> VType | None:
    T = RPCResult.Type
    return {
        T.ELISION: None,
        T.ANY: None,
        T.NONE: VType.VNULL,
        T.STR: VType.VSTR,
        T.STR_HEX: VType.VSTR,
        T.NUM: VType.VNUM,
        T.STR_AMOUNT: VType.VNUM,
        T.NUM_TIME: VType.VNUM,
        T.BOOL: VType.VBOOL,
        T.ARR_FIXED: VType.VARR,
        T.ARR: VType.VARR,
        T.OBJ_DYN: VType.VOBJ,
        T.OBJ: VType.VOBJ,
    }[type_]


class RPCResults:
    __slots__ = ("m_results",)

    m_results: list[RPCResult]

    def __init__(self, results: RPCResult | Sequence[RPCResult]) -> None:
        self.m_results = [results] if isinstance(results, RPCResult) else list(results)

    def ToDescriptionString(self) -> str:
        result = ""
        for r in self.m_results:
            if r.m_type == RPCResult.Type.ANY:
                continue  # testing only
            result += "\nResult:\n" if not r.m_cond else "\nResult (" + r.m_cond + "):\n"
            sections = Sections()
            r.ToSections(sections)
            result += sections.ToString()
        return result


class RPCExamples:
    __slots__ = ("m_examples",)

    m_examples: str

    def __init__(self, examples: str) -> None:
        self.m_examples = examples

    def ToDescriptionString(self) -> str:
        return self.m_examples if not self.m_examples else "\nExamples:\n" + self.m_examples


RPCMethodImpl = Callable[["RPCHelpMan", JSONRPCRequest], UniValue]


class RPCHelpMan:
    """A method's description and implementation. One is built per call (as upstream's
    ``fn().HandleRequest(request)``), so the request it holds during the call is its own."""

    __slots__ = ("m_args", "m_description", "m_examples", "m_fun", "m_name", "m_req", "m_results")

    m_name: str
    m_fun: RPCMethodImpl | None
    m_description: str
    m_args: list[RPCArg]
    m_results: RPCResults
    m_examples: RPCExamples
    #: The request, for the duration of m_fun.
    m_req: JSONRPCRequest | None

    def __init__(
        self,
        name: str,
        description: str,
        args: Sequence[RPCArg],
        results: RPCResults | RPCResult | Sequence[RPCResult],
        examples: RPCExamples,
        fun: RPCMethodImpl | None = None,
    ) -> None:
        self.m_name = name
        self.m_fun = fun
        self.m_description = description
        self.m_args = list(args)
        self.m_results = results if isinstance(results, RPCResults) else RPCResults(results)
        self.m_examples = examples
        self.m_req = None
        # Parameter names must be unique, except a positional and a named-only one may share a
        # name when the named-only one says also_positional.
        POSITIONAL, NAMED, NAMED_ONLY = 1, 2, 4
        param_names: dict[str, int] = {}
        for arg in self.m_args:
            for name_ in arg.m_names.split("|"):
                param_type = param_names.get(name_, 0)
                CHECK_NONFATAL(not param_type & POSITIONAL, "!(param_type & POSITIONAL)")
                CHECK_NONFATAL(not param_type & NAMED_ONLY, "!(param_type & NAMED_ONLY)")
                param_names[name_] = param_type | POSITIONAL
            if arg.m_type == RPCArg.Type.OBJ_NAMED_PARAMS:
                for inner in arg.m_inner:
                    for inner_name in inner.m_names.split("|"):
                        param_type = param_names.get(inner_name, 0)
                        CHECK_NONFATAL(
                            not param_type & POSITIONAL or inner.m_opts.also_positional,
                            "!(param_type & POSITIONAL) || inner.m_opts.also_positional",
                        )
                        CHECK_NONFATAL(not param_type & NAMED, "!(param_type & NAMED)")
                        CHECK_NONFATAL(not param_type & NAMED_ONLY, "!(param_type & NAMED_ONLY)")
                        param_names[inner_name] = param_type | (
                            NAMED if inner.m_opts.also_positional else NAMED_ONLY
                        )
            # A constant default must have the argument's type.
            if isinstance(arg.m_fallback, RPCArg.Default):
                vtype = getType(arg.m_fallback.value)
                T = RPCArg.Type
                allowed = {
                    VType.VOBJ: (T.OBJ,),
                    VType.VARR: (T.ARR,),
                    VType.VSTR: (T.STR, T.STR_HEX, T.AMOUNT),
                    VType.VNUM: (T.NUM, T.AMOUNT, T.RANGE),
                    VType.VBOOL: (T.BOOL,),
                }.get(vtype)
                CHECK_NONFATAL(allowed is None or arg.m_type in allowed, "default matches type")

    def HandleRequest(self, request: JSONRPCRequest) -> UniValue:
        """Run the method: help when asked (or on a wrong argument count), a type error for
        arguments of the wrong JSON type, else the implementation."""
        if request.mode == JSONRPCRequest.Mode.GET_ARGS:
            return self.GetArgMap()
        params = request.params
        if request.mode == JSONRPCRequest.Mode.GET_HELP or not self.IsValidNumArgs(len(params)):
            raise HelpResult(self.ToString())
        arg_mismatch: dict[str, Any] = {}
        for i, arg in enumerate(self.m_args):
            match = arg.MatchesType(params[i] if i < len(params) else None)
            if match is not True:
                arg_mismatch[f"Position {i + 1} ({arg.m_names})"] = match
        if arg_mismatch:
            raise JSONRPCError(RPC_TYPE_ERROR, "Wrong type passed:\n" + write(arg_mismatch, 4))
        CHECK_NONFATAL(self.m_req is None, "m_req == nullptr")
        assert self.m_fun is not None
        self.m_req = request
        try:
            ret = self.m_fun(self, request)
        finally:
            self.m_req = None
        if gArgs.GetBoolArg("-rpcdoccheck", DEFAULT_RPC_DOC_CHECK):
            mismatch: list[Any] | None = []
            for res in self.m_results.m_results:
                match = res.MatchesType(ret)
                if match is True:
                    mismatch = None
                    break
                assert mismatch is not None
                mismatch.append(match)
            if mismatch is not None:
                explain = (
                    "no possible results defined"
                    if not mismatch
                    else write(mismatch[0], 4)
                    if len(mismatch) == 1
                    else write(mismatch, 4)
                )
                raise RuntimeError(
                    f'Internal bug detected: RPC call "{self.m_name}" returned incorrect type:\n'
                    f"{explain}\n{CLIENT_NAME} {CLIENT_VERSION_STRING}\n"
                    f"Please report this issue here: {CLIENT_BUGREPORT}\n"
                )
        return ret

    # -- arguments inside m_fun ------------------------------------------------------------------

    def _DetailMaybeArg(self, key: str, required_or_default: bool) -> UniValue:
        i = self.GetParamIndex(key)
        req = self.m_req
        CHECK_NONFATAL(req is not None, "req")
        assert req is not None
        param = self.m_args[i]
        if required_or_default:
            required = (
                isinstance(param.m_fallback, RPCArg.Optional)
                and param.m_fallback == RPCArg.Optional.NO
            )
            CHECK_NONFATAL(
                required or isinstance(param.m_fallback, RPCArg.Default),
                "required || std::holds_alternative<RPCArg::Default>(param.m_fallback)",
            )
        arg = req.params[i] if i < len(req.params) else None
        if arg is not None:
            return arg
        if isinstance(param.m_fallback, RPCArg.Default):
            return param.m_fallback.value
        return None

    @overload
    def Arg(self, key: str, type_: type[bool]) -> bool: ...
    @overload
    def Arg(self, key: str, type_: type[int], *, bits: int = 32, signed: bool = True) -> int: ...
    @overload
    def Arg(self, key: str, type_: type[str]) -> str: ...
    @overload
    def Arg(self, key: str, type_: None = None) -> UniValue: ...
    def Arg(
        self, key: str, type_: type | None = None, *, bits: int = 32, signed: bool = True
    ) -> UniValue:
        """A required argument, or one with a constant default: its value converted to
        ``type_`` (int is int32_t unless ``bits``/``signed`` say otherwise), or the raw JSON
        value."""
        value = self._DetailMaybeArg(key, required_or_default=True)
        CHECK_NONFATAL(value is not None, "maybe_arg")
        return _convert(value, type_, bits, signed)

    @overload
    def MaybeArg(self, key: str, type_: type[bool]) -> bool | None: ...
    @overload
    def MaybeArg(
        self, key: str, type_: type[int], *, bits: int = 32, signed: bool = True
    ) -> int | None: ...
    @overload
    def MaybeArg(self, key: str, type_: type[str]) -> str | None: ...
    @overload
    def MaybeArg(self, key: str, type_: type[float]) -> float | None: ...
    @overload
    def MaybeArg(self, key: str, type_: None = None) -> UniValue: ...
    def MaybeArg(
        self, key: str, type_: type | None = None, *, bits: int = 32, signed: bool = True
    ) -> UniValue:
        """An optional argument without a default: its value, or None when not passed."""
        value = self._DetailMaybeArg(key, required_or_default=False)
        if value is None:
            return None
        return _convert(value, type_, bits, signed)

    def IsValidNumArgs(self, num_args: int) -> bool:
        num_required_args = 0
        for n in range(len(self.m_args), 0, -1):
            if not self.m_args[n - 1].IsOptional():
                num_required_args = n
                break
        return num_required_args <= num_args <= len(self.m_args)

    def GetArgNames(self) -> list[tuple[str, bool]]:
        """Each parameter name pattern and whether it is named-only."""
        ret: list[tuple[str, bool]] = []
        for arg in self.m_args:
            if arg.m_type == RPCArg.Type.OBJ_NAMED_PARAMS:
                ret.extend((inner.m_names, True) for inner in arg.m_inner)
            ret.append((arg.m_names, False))
        return ret

    def GetParamIndex(self, key: str) -> int:
        for i, arg in enumerate(self.m_args):
            if arg.GetName() == key:
                return i
        raise NONFATAL_UNREACHABLE()

    def GetArgMap(self) -> list[list[Any]]:
        """[method, position, name, is-string] per parameter name (for bitcoin-cli -named)."""
        arr: list[list[Any]] = []
        T = RPCArg.Type
        for i, arg in enumerate(self.m_args):
            for arg_name in arg.m_names.split("|"):
                arr.append([self.m_name, i, arg_name, arg.m_type in (T.STR, T.STR_HEX)])
                if arg.m_type == T.OBJ_NAMED_PARAMS:
                    for inner in arg.m_inner:
                        for inner_name in inner.m_names.split("|"):
                            arr.append(
                                [self.m_name, i, inner_name, inner.m_type in (T.STR, T.STR_HEX)]
                            )
        return arr

    def ToString(self) -> str:
        """The help text: the one-line synopsis, description, arguments, results, examples."""
        ret = self.m_name
        was_optional = False
        for arg in self.m_args:
            if arg.m_opts.hidden:
                break  # and every later argument
            optional = arg.IsOptional()
            ret += " "
            if optional:
                if not was_optional:
                    ret += "( "
                was_optional = True
            else:
                if was_optional:
                    ret += ") "
                was_optional = False
            ret += arg.ToString(True)
        if was_optional:
            ret += " )"

        CHECK_NONFATAL(not self.m_description.startswith("\n"), "!m_description.starts_with('\\n')")
        ret += "\n\n" + TrimString(self.m_description) + "\n"

        sections = Sections()
        named_only_sections = Sections()
        for i, arg in enumerate(self.m_args):
            if arg.m_opts.hidden:
                break
            sections.m_sections.append(
                Section(f"{i + 1}. {arg.GetFirstName()}", arg.ToDescriptionString(True))
            )
            sections.m_max_pad = max(sections.m_max_pad, len(sections.m_sections[-1].m_left))
            sections.Push(arg)
            if arg.m_type == RPCArg.Type.OBJ_NAMED_PARAMS:
                for arg_inner in arg.m_inner:
                    named_only_sections.PushSection(
                        Section(arg_inner.GetFirstName(), arg_inner.ToDescriptionString(True))
                    )
                    named_only_sections.Push(arg_inner)
        if sections.m_sections:
            ret += "\nArguments:\n"
        ret += sections.ToString()
        if named_only_sections.m_sections:
            ret += "\nNamed Arguments:\n"
        ret += named_only_sections.ToString()
        ret += self.m_results.ToDescriptionString()
        ret += self.m_examples.ToDescriptionString()
        return ret


def _convert(value: UniValue, type_: type | None, bits: int, signed: bool) -> UniValue:
    if type_ is None:
        return value
    if type_ is bool:
        return get_bool(value)
    if type_ is int:
        return getInt(value, bits, signed)
    if type_ is str:
        return get_str(value)
    if type_ is float:
        return get_real(value)
    raise TypeError(f"unsupported argument type {type_!r}")


def PushWarnings(warnings: Sequence[str], obj: dict[str, Any]) -> None:
    """Add a "warnings" array to ``obj`` unless there are none."""
    if warnings:
        obj["warnings"] = list(warnings)
