"""The RPC table, method descriptions and argument handling (rpc/server.cpp, rpc/util.cpp,
rpc/request.cpp, univalue), without HTTP.

Cases come from upstream's src/test/rpc_tests.cpp (named-argument conversion, help layout,
ParseHashV, AmountFromValue, ValueFromAmount) and src/univalue/test.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

from common.core_io import ValueFromAmount
from common.rpc import server
from common.rpc.protocol import (
    RPC_IN_WARMUP,
    RPC_INVALID_PARAMETER,
    RPC_INVALID_REQUEST,
    RPC_METHOD_NOT_FOUND,
    RPC_MISC_ERROR,
    RPC_TYPE_ERROR,
    JSONRPCError,
)
from common.rpc.request import NO_ID, JSONRPCReplyObj, JSONRPCRequest, JSONRPCVersion
from common.rpc.server import CRPCCommand, CRPCTable, JSONRPCExec, transformNamedArguments
from common.rpc.util import (
    AmountFromValue,
    HelpExampleCli,
    ParseHashV,
    RPCArg,
    RPCArgOptions,
    RPCExamples,
    RPCHelpMan,
    RPCResult,
)
from common.univalue import JSONObject, read, write


@pytest.fixture(autouse=True)
def _rpc_out_of_warmup() -> Iterator[None]:
    """Calls are served (the node finished starting)."""
    in_warmup, _ = server.RPCIsInWarmup()
    if in_warmup:
        server.SetRPCWarmupFinished()
    yield


def echo_args() -> RPCHelpMan:
    """A method with required, defaulted, optional and named-only arguments."""

    def impl(self: RPCHelpMan, request: JSONRPCRequest) -> Any:
        return {
            "params": request.params,
            "count": self.Arg("count", int),
            "label": self.Arg("label", str),
            "flag": self.MaybeArg("flag", bool),
        }

    return RPCHelpMan(
        "echoargs",
        "Echo the arguments.\nSecond line.",
        [
            RPCArg("count", RPCArg.Type.NUM, RPCArg.Optional.NO, "How many"),
            RPCArg("label", RPCArg.Type.STR, RPCArg.Default("none"), "A label"),
            RPCArg("flag", RPCArg.Type.BOOL, RPCArg.Optional.OMITTED, "A flag"),
            RPCArg(
                "options",
                RPCArg.Type.OBJ_NAMED_PARAMS,
                RPCArg.Optional.OMITTED,
                "",
                [RPCArg("extra", RPCArg.Type.NUM, RPCArg.Default(0), "More")],
            ),
        ],
        RPCResult(RPCResult.Type.ANY, "", ""),
        RPCExamples(HelpExampleCli("echoargs", "1")),
        impl,
    )


@pytest.fixture
def table() -> CRPCTable:
    t = CRPCTable()
    t.appendCommand("echoargs", CRPCCommand("test", echo_args))
    return t


def call(table: CRPCTable, method: str, params: Any) -> Any:
    request = JSONRPCRequest()
    request.strMethod = method
    request.params = params
    return table.execute(request)


def rpc_error(table: CRPCTable, method: str, params: Any) -> tuple[int, str]:
    with pytest.raises(JSONRPCError) as excinfo:
        call(table, method, params)
    return excinfo.value.code, excinfo.value.message


# --- execution ------------------------------------------------------------------------------------


def test_positional_arguments_reach_the_method_with_defaults(table: CRPCTable) -> None:
    assert call(table, "echoargs", [5]) == {
        "params": [5],
        "count": 5,
        "label": "none",
        "flag": None,
    }


def test_named_arguments_become_positional_with_null_holes(table: CRPCTable) -> None:
    result = call(table, "echoargs", {"count": 2, "flag": True})
    assert result["params"] == [2, None, True]
    assert result["flag"] is True
    assert call(table, "echoargs", {"count": 1, "extra": 7})["params"] == [
        1,
        None,
        None,
        {"extra": 7},
    ]


def test_args_member_supplies_leading_positional_arguments(table: CRPCTable) -> None:
    assert call(table, "echoargs", {"args": [3, "x"], "flag": False})["params"] == [3, "x", False]
    assert rpc_error(table, "echoargs", {"args": [3], "count": 3}) == (
        RPC_INVALID_PARAMETER,
        "Parameter count specified twice both as positional and named argument",
    )


def test_unknown_or_duplicate_named_parameters_are_invalid(table: CRPCTable) -> None:
    assert rpc_error(table, "echoargs", {"count": 1, "bogus": 2}) == (
        RPC_INVALID_PARAMETER,
        "Unknown named parameter bogus",
    )
    ok, params = read('{"count": 1, "count": 2}')
    assert ok and isinstance(params, JSONObject)
    assert rpc_error(table, "echoargs", params) == (
        RPC_INVALID_PARAMETER,
        "Parameter count specified multiple times",
    )


def test_named_only_option_conflicts_with_the_options_object(table: CRPCTable) -> None:
    request = JSONRPCRequest()
    request.params = {"count": 1, "extra": 2, "options": {}}
    with pytest.raises(JSONRPCError) as excinfo:
        transformNamedArguments(request, echo_args().GetArgNames())
    assert excinfo.value.message == "Parameter options conflicts with parameter extra"


def test_wrong_json_type_is_rpc_type_error_listing_positions(table: CRPCTable) -> None:
    assert rpc_error(table, "echoargs", ["5", 7]) == (
        RPC_TYPE_ERROR,
        "Wrong type passed:\n"
        "{\n"
        '    "Position 1 (count)": "JSON value of type string is not of expected type number",\n'
        '    "Position 2 (label)": "JSON value of type number is not of expected type string"\n'
        "}",
    )


def test_wrong_argument_count_answers_with_the_help_text(table: CRPCTable) -> None:
    code, message = rpc_error(table, "echoargs", [])
    assert code == RPC_MISC_ERROR
    assert message.startswith('echoargs count ( "label" flag {"extra":n,...} )\n')


def test_non_integer_number_is_out_of_range(table: CRPCTable) -> None:
    assert rpc_error(table, "echoargs", [Decimal("1.5")]) == (
        RPC_MISC_ERROR,
        "JSON integer out of range",
    )
    assert rpc_error(table, "echoargs", [1 << 31]) == (RPC_MISC_ERROR, "JSON integer out of range")


def test_unknown_method_is_method_not_found(table: CRPCTable) -> None:
    assert rpc_error(table, "nosuchmethod", []) == (RPC_METHOD_NOT_FOUND, "Method not found")


def test_calls_fail_with_warmup_status_while_starting(table: CRPCTable) -> None:
    server.SetRPCWarmupStarting()
    server.SetRPCWarmupStatus("Loading block index…")
    try:
        assert rpc_error(table, "uptime", []) == (RPC_IN_WARMUP, "Loading block index…")
    finally:
        server.SetRPCWarmupStatus("RPC server started")
        server.SetRPCWarmupFinished()


def test_stop_requests_shutdown_through_the_context(table: CRPCTable) -> None:
    requested: list[bool] = []

    class Node:
        def shutdown_request(self) -> bool:
            requested.append(True)
            return True

    request = JSONRPCRequest()
    request.strMethod = "stop"
    request.context = Node()
    assert table.execute(request) == "Bitcoin Core stopping"
    assert requested == [True]
    request.context = None
    with pytest.raises(JSONRPCError) as excinfo:
        table.execute(request)
    assert (excinfo.value.code, excinfo.value.message) == (-32603, "Node context not found")


# --- help -----------------------------------------------------------------------------------------


def test_help_lists_commands_by_category(table: CRPCTable) -> None:
    assert call(table, "help", []) == (
        "== Control ==\n"
        "getrpcinfo\n"
        'help ( "command" )\n'
        "stop\n"
        "uptime\n"
        "\n"
        "== Test ==\n"
        'echoargs count ( "label" flag {"extra":n,...} )'
    )
    assert call(table, "help", ["nosuch"]) == "help: unknown command: nosuch"


def test_help_for_one_command_has_upstreams_layout(table: CRPCTable) -> None:
    assert call(table, "help", ["echoargs"]) == (
        'echoargs count ( "label" flag {"extra":n,...} )\n'
        "\n"
        "Echo the arguments.\n"
        "Second line.\n"
        "\n"
        "Arguments:\n"
        "1. count      (numeric, required) How many\n"
        '2. label      (string, optional, default="none") A label\n'
        "3. flag       (boolean, optional) A flag\n"
        "4. options    (json object, optional) Options object that can be used to pass named "
        "arguments, listed below.\n"
        "\n"
        "Named Arguments:\n"
        "extra    (numeric, optional, default=0) More\n"
        "\n"
        "Examples:\n"
        "> bitcoin-cli echoargs 1\n"
    )


def test_hidden_arguments_are_left_out_of_help() -> None:
    text = server.stop().ToString()
    assert text.startswith("stop\n\nRequest a graceful shutdown of Bitcoin Core.\n")
    assert "wait" not in text


def test_result_documentation_layout() -> None:
    help_text = RPCHelpMan(
        "getthing",
        "Get a thing.",
        [RPCArg("verbose", RPCArg.Type.BOOL, RPCArg.Default(False), "More")],
        [
            RPCResult(RPCResult.Type.STR_HEX, "", "The hash", cond="for verbose = false"),
            RPCResult(
                RPCResult.Type.OBJ,
                "",
                "",
                [
                    RPCResult(RPCResult.Type.NUM, "height", "The height"),
                    RPCResult(
                        RPCResult.Type.ARR,
                        "tx",
                        "The txids",
                        [RPCResult(RPCResult.Type.STR_HEX, "", "A txid")],
                    ),
                    RPCResult(RPCResult.Type.STR, "note", "Maybe", optional=True),
                ],
                cond="for verbose = true",
            ),
        ],
        RPCExamples(""),
    ).ToString()
    assert help_text == (
        "getthing ( verbose )\n"
        "\n"
        "Get a thing.\n"
        "\n"
        "Arguments:\n"
        "1. verbose    (boolean, optional, default=false) More\n"
        "\n"
        "Result (for verbose = false):\n"
        '"hex"    (string) The hash\n'
        "\n"
        "Result (for verbose = true):\n"
        "{                    (json object)\n"
        '  "height" : n,      (numeric) The height\n'
        '  "tx" : [           (json array) The txids\n'
        '    "hex",           (string) A txid\n'
        "    ...\n"
        "  ],\n"
        '  "note" : "str"     (string, optional) Maybe\n'
        "}\n"
    )


def test_result_type_check_reports_mismatches() -> None:
    doc = RPCResult(
        RPCResult.Type.OBJ,
        "",
        "",
        [
            RPCResult(RPCResult.Type.NUM, "a", ""),
            RPCResult(RPCResult.Type.STR, "b", "", optional=True),
        ],
    )
    assert doc.MatchesType({"a": 1}) is True
    assert doc.MatchesType({"a": "x", "c": 1}) == {
        "c": "key returned that was not in doc",
        "a": "returned type is string, but declared as number in doc",
    }


def test_argument_options_hidden_and_type_str() -> None:
    arg = RPCArg(
        "x", RPCArg.Type.NUM, RPCArg.Optional.OMITTED, "d", opts=RPCArgOptions(hidden=True)
    )
    assert arg.IsOptional()
    assert arg.ToDescriptionString(True) == "(numeric, optional) d"


# --- JSON-RPC request and reply objects -----------------------------------------------------------


def test_reply_objects_differ_between_versions() -> None:
    v1, v2 = JSONRPCVersion.V1_LEGACY, JSONRPCVersion.V2
    assert write(JSONRPCReplyObj(1, None, 7, v1)) == '{"result":1,"error":null,"id":7}'
    assert write(JSONRPCReplyObj(1, None, 7, v2)) == '{"jsonrpc":"2.0","result":1,"id":7}'
    err = JSONRPCError(-1, "x").obj()
    assert write(JSONRPCReplyObj(None, err, None, v1)) == (
        '{"result":null,"error":{"code":-1,"message":"x"},"id":null}'
    )
    assert write(JSONRPCReplyObj(None, err, NO_ID, v2)) == (
        '{"jsonrpc":"2.0","error":{"code":-1,"message":"x"}}'
    )


@pytest.mark.parametrize(
    ("request_obj", "message"),
    [
        ([], "Invalid Request object"),
        ({"id": 1}, "Missing method"),
        ({"method": 5}, "Method must be a string"),
        ({"method": "x", "params": 5}, "Params must be an array or object"),
        ({"method": "x", "jsonrpc": 2}, "jsonrpc field must be a string"),
        ({"method": "x", "jsonrpc": "3.0"}, "JSON-RPC version not supported"),
    ],
)
def test_malformed_request_objects_are_invalid_requests(request_obj: Any, message: str) -> None:
    request = JSONRPCRequest()
    with pytest.raises(JSONRPCError) as excinfo:
        request.parse(request_obj)
    assert (excinfo.value.code, excinfo.value.message) == (RPC_INVALID_REQUEST, message)


def test_notification_is_a_v2_request_without_id() -> None:
    request = JSONRPCRequest()
    request.parse({"method": "uptime", "jsonrpc": "2.0"})
    assert request.IsNotification()
    request.parse({"method": "uptime"})
    assert not request.IsNotification()
    assert request.id is NO_ID


def test_jsonrpcexec_catches_errors_only_when_asked(table: CRPCTable) -> None:
    request = JSONRPCRequest()
    request.parse({"method": "nosuch", "id": "a", "jsonrpc": "2.0"})
    assert JSONRPCExec(request, True, table) == {
        "jsonrpc": "2.0",
        "error": {"code": -32601, "message": "Method not found"},
        "id": "a",
    }
    with pytest.raises(JSONRPCError):
        JSONRPCExec(request, False, table)


# --- value helpers --------------------------------------------------------------------------------


def test_parse_hash_v_errors_are_upstreams() -> None:
    good = "00" * 31 + "01"
    assert ParseHashV(good, "blockhash").GetHex() == good
    with pytest.raises(JSONRPCError) as excinfo:
        ParseHashV("abc", "blockhash")
    assert excinfo.value.message == "blockhash must be of length 64 (not 3, for 'abc')"
    with pytest.raises(JSONRPCError) as excinfo:
        ParseHashV("zz" * 32, "blockhash")
    assert excinfo.value.message == f"blockhash must be hexadecimal string (not '{'zz' * 32}')"
    assert excinfo.value.code == RPC_INVALID_PARAMETER


def test_value_from_amount_prints_eight_decimals() -> None:
    assert write(ValueFromAmount(0)) == "0.00000000"
    assert write(ValueFromAmount(1)) == "0.00000001"
    assert write(ValueFromAmount(-1)) == "-0.00000001"
    assert write(ValueFromAmount(50 * 100_000_000)) == "50.00000000"
    assert write(ValueFromAmount(2_100_000_000_000_000)) == "21000000.00000000"
    assert write([ValueFromAmount(123456789)]) == "[1.23456789]"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Decimal("0.00000001"), 1),
        ("0.00000001", 1),
        (1, 100_000_000),
        (Decimal("1e-8"), 1),
        (Decimal("20999999.9999999"), 2_099_999_999_999_990),
        (Decimal("0.000000019"), None),
        (Decimal("-0.00000001"), None),
        (Decimal("21000000.00000001"), None),
        ("1 ", None),
        (True, None),
    ],
)
def test_amount_from_value_parses_fixed_point(value: Any, expected: int | None) -> None:
    if expected is not None:
        assert AmountFromValue(value) == expected
        return
    with pytest.raises(JSONRPCError) as excinfo:
        AmountFromValue(value)
    assert excinfo.value.code == RPC_TYPE_ERROR


def test_univalue_reads_strictly_and_writes_compactly() -> None:
    assert read(b'{"a": [1, 2.50, "x\\u0000"], "b": null}') == (
        True,
        {"a": [1, Decimal("2.50"), "x\0"], "b": None},
    )
    for bad in (b"{", b"[1,]", b"NaN", b"[Infinity]", b"1 2", b"\xff", b'"\\ud800"', b"[" * 600):
        assert read(bad) == (False, None)
    assert write({"a": [1, Decimal("2.50"), "x\0\x7f\n"], "b": None, "c": 0.1}) == (
        '{"a":[1,2.50,"x\\u0000\\u007f\\n"],"b":null,"c":0.1}'
    )
    assert write({"k": [True]}, 4) == '{\n    "k": [\n        true\n    ]\n}'
    assert write(4.656542373906925e-10) == "4.656542373906925e-10"
    assert write(1.0) == "1"
