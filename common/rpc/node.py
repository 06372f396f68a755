"""Node-control RPC methods (src/rpc/node.cpp): setmocktime."""

from __future__ import annotations

from typing import Final

from ..chain import cs_main
from ..chainparams import Params
from ..clock import SetMockTime
from ..univalue import UniValue
from .protocol import RPC_INVALID_PARAMETER, JSONRPCError
from .request import JSONRPCRequest
from .server import CRPCCommand, CRPCTable
from .server_util import EnsureAnyNodeContext
from .util import UNIX_EPOCH_TIME, RPCArg, RPCExamples, RPCHelpMan, RPCResult

#: The largest mock time: std::chrono::nanoseconds::max() in seconds.
_MAX_MOCK_TIME: Final = ((1 << 63) - 1) // 1_000_000_000


def setmocktime() -> RPCHelpMan:
    def impl(self: RPCHelpMan, request: JSONRPCRequest) -> UniValue:
        if not Params().IsMockableChain():
            raise RuntimeError("setmocktime is for regression testing (-regtest mode) only")
        # Not in the middle of validation: mempool expiry and IsInitialBlockDownload read the
        # clock.
        with cs_main:
            time = self.Arg("timestamp", int, bits=64)
            if time < 0 or time > _MAX_MOCK_TIME:
                raise JSONRPCError(
                    RPC_INVALID_PARAMETER,
                    f"Mocktime must be in the range [0, {_MAX_MOCK_TIME}], not {time}.",
                )
            SetMockTime(time)
            EnsureAnyNodeContext(request.context)
        return None

    return RPCHelpMan(
        "setmocktime",
        "Set the local time to given timestamp (-regtest only)\n",
        [
            RPCArg(
                "timestamp",
                RPCArg.Type.NUM,
                RPCArg.Optional.NO,
                UNIX_EPOCH_TIME + "\nPass 0 to go back to using the system time.",
            ),
        ],
        RPCResult(RPCResult.Type.NONE, "", ""),
        RPCExamples(""),
        impl,
    )


def RegisterNodeRPCCommands(t: CRPCTable) -> None:
    for command in (CRPCCommand("hidden", setmocktime),):
        t.appendCommand(command.name, command)
