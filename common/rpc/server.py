"""The RPC dispatch table and the server's own methods (src/rpc/server.h/.cpp).

:data:`tableRPC` maps method names to commands; :func:`JSONRPCExec` runs a parsed request
against it. Named parameters become positional ones as upstream's transformNamedArguments does,
and errors carry upstream's codes: an unknown method is RPC_METHOD_NOT_FOUND, a UniValue type
error RPC_TYPE_ERROR, any other exception (a wrong argument count's help text included)
RPC_MISC_ERROR. While the node starts, every call fails with RPC_IN_WARMUP.

Upstream's GlobalMutex and std::atomic globals are module globals behind a threading.Lock.
StopRPC may run more than once (upstream guards it with a once_flag for the GUI), so that a
process can start and stop the server repeatedly, as the tests do.
"""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Final

from ..args import CLIENT_NAME, ArgsManager, gArgs
from ..clock import GetTime, SteadyClock, UninterruptibleSleep
from ..logging import BCLog, LogDebug, LogInstance
from ..strencodings import Capitalize
from ..univalue import UniValue, get_str, getInt, isNum, type_error
from .protocol import (
    RPC_CLIENT_NOT_CONNECTED,
    RPC_IN_WARMUP,
    RPC_INVALID_PARAMETER,
    RPC_METHOD_NOT_FOUND,
    RPC_MISC_ERROR,
    RPC_TYPE_ERROR,
    JSONRPCError,
)
from .request import DeleteAuthCookie, JSONRPCReplyObj, JSONRPCRequest
from .server_util import EnsureAnyNodeContext
from .util import (
    CHECK_NONFATAL,
    HelpExampleCli,
    HelpExampleRpc,
    HelpResult,
    RPCArg,
    RPCArgOptions,
    RPCExamples,
    RPCHelpMan,
    RPCResult,
)

_g_rpc_warmup_mutex: Final = threading.Lock()
_g_rpc_running: bool = False
_fRPCInWarmup: bool = True
_rpcWarmupStatus: str = "RPC server started"

#: Seconds since the epoch when the process started (common/system.cpp's nStartupTime).
_nStartupTime: Final = GetTime()


def GetStartupTime() -> int:
    return _nStartupTime


@dataclass(slots=True)
class RPCCommandExecutionInfo:
    method: str
    #: SteadyClock microseconds.
    start: int


class _RPCServerInfo:
    __slots__ = ("active_commands", "mutex")

    mutex: threading.Lock
    active_commands: list[RPCCommandExecutionInfo]

    def __init__(self) -> None:
        self.mutex = threading.Lock()
        self.active_commands = []


_g_rpc_server_info: Final = _RPCServerInfo()


class RPCCommandExecution:
    """Lists a command in getrpcinfo's active_commands while it runs (a context manager where
    upstream uses an RAII object)."""

    __slots__ = ("info",)

    info: RPCCommandExecutionInfo

    def __init__(self, method: str) -> None:
        self.info = RPCCommandExecutionInfo(method, SteadyClock.now())

    def __enter__(self) -> RPCCommandExecution:
        with _g_rpc_server_info.mutex:
            _g_rpc_server_info.active_commands.append(self.info)
        return self

    def __exit__(self, *exc: object) -> None:
        with _g_rpc_server_info.mutex:
            _g_rpc_server_info.active_commands.remove(self.info)


#: The table running the current call, so that ``help`` lists the table it was called through
#: (upstream always lists tableRPC, the only table there).
_current_table: contextvars.ContextVar[CRPCTable] = contextvars.ContextVar("_current_table")

#: Runs a request: ``(handled, result)``. ``last_handler`` says no other command of the same
#: name follows.
Actor = Callable[[JSONRPCRequest, bool], tuple[bool, UniValue]]
RpcMethodFnType = Callable[[], RPCHelpMan]


class CRPCCommand:
    """A method in the table: its help category, name, how to run it, and its parameter names
    (for named arguments). Build one from an RPCHelpMan factory, as upstream's
    ``CRPCCommand(category, fn)``; commands with the same ``unique_id`` are aliases."""

    __slots__ = ("actor", "argNames", "category", "name", "unique_id")

    category: str
    name: str
    actor: Actor
    argNames: list[tuple[str, bool]]
    unique_id: int

    def __init__(
        self,
        category: str,
        fn: RpcMethodFnType | None = None,
        *,
        name: str | None = None,
        actor: Actor | None = None,
        args: Sequence[tuple[str, bool]] = (),
        unique_id: int | None = None,
    ) -> None:
        self.category = category
        if fn is not None:
            helpman = fn()
            self.name = helpman.m_name
            self.argNames = helpman.GetArgNames()
            self.unique_id = id(fn)

            def run(request: JSONRPCRequest, last_handler: bool) -> tuple[bool, UniValue]:
                return True, fn().HandleRequest(request)

            self.actor = run
        else:
            assert name is not None and actor is not None
            self.name = name
            self.actor = actor
            self.argNames = list(args)
            self.unique_id = unique_id if unique_id is not None else id(actor)


class CRPCTable:
    """The RPC dispatch table."""

    __slots__ = ("mapCommands",)

    mapCommands: dict[str, list[CRPCCommand]]

    def __init__(self) -> None:
        self.mapCommands = {}
        for c in _vRPCCommands():
            self.appendCommand(c.name, c)

    def help(self, strCommand: str, helpreq: JSONRPCRequest) -> str:
        """Every command's one-line synopsis grouped by category, or one command's full
        help."""
        strRet = ""
        category = ""
        setDone: set[int] = set()
        vCommands = sorted(
            ((cmds[0].category + name, cmds[0]) for name, cmds in self.mapCommands.items()),
            key=lambda entry: entry[0],
        )
        jreq = helpreq.copy()
        jreq.mode = JSONRPCRequest.Mode.GET_HELP
        jreq.params = []
        for _, pcmd in vCommands:
            strMethod = pcmd.name
            if (strCommand != "" or pcmd.category == "hidden") and strMethod != strCommand:
                continue
            jreq.strMethod = strMethod
            try:
                if pcmd.unique_id not in setDone:
                    setDone.add(pcmd.unique_id)
                    pcmd.actor(jreq, True)
            except HelpResult as e:
                strHelp = str(e)
                if strCommand == "":
                    if "\n" in strHelp:
                        strHelp = strHelp[: strHelp.find("\n")]
                    if category != pcmd.category:
                        if category:
                            strRet += "\n"
                        category = pcmd.category
                        strRet += "== " + Capitalize(category) + " ==\n"
                strRet += strHelp + "\n"
        if strRet == "":
            strRet = f"help: unknown command: {strCommand}\n"
        return strRet[:-1]

    def execute(self, request: JSONRPCRequest) -> UniValue:
        """Run a request; raises JSONRPCError (RPC_IN_WARMUP while starting,
        RPC_METHOD_NOT_FOUND for an unknown method)."""
        with _g_rpc_warmup_mutex:
            if _fRPCInWarmup:
                raise JSONRPCError(RPC_IN_WARMUP, _rpcWarmupStatus)
        commands = self.mapCommands.get(request.strMethod)
        if commands:
            token = _current_table.set(self)
            try:
                handled, result = _ExecuteCommands(commands, request)
            finally:
                _current_table.reset(token)
            if handled:
                return result
        raise JSONRPCError(RPC_METHOD_NOT_FOUND, "Method not found")

    def listCommands(self) -> list[str]:
        return sorted(self.mapCommands)

    def dumpArgMap(self, args_request: JSONRPCRequest) -> list[Any]:
        """Every named parameter and whether it is a string (for bitcoin-cli -named)."""
        request = args_request.copy()
        request.mode = JSONRPCRequest.Mode.GET_ARGS
        ret: list[Any] = []
        for name in sorted(self.mapCommands):
            handled, result = _ExecuteCommands(self.mapCommands[name], request)
            if handled:
                ret.extend(result)
        return ret

    def appendCommand(self, name: str, pcmd: CRPCCommand) -> None:
        """Add a command; only before the server runs."""
        CHECK_NONFATAL(not IsRPCRunning(), "!IsRPCRunning()")
        self.mapCommands.setdefault(name, []).append(pcmd)

    def removeCommand(self, name: str, pcmd: CRPCCommand) -> bool:
        commands = self.mapCommands.get(name)
        if commands is not None and pcmd in commands:
            commands[:] = [c for c in commands if c is not pcmd]
            return True
        return False


def _ExecuteCommands(
    commands: Sequence[CRPCCommand], request: JSONRPCRequest
) -> tuple[bool, UniValue]:
    for i, command in enumerate(commands):
        handled, result = ExecuteCommand(command, request, i == len(commands) - 1)
        if handled:
            return True, result
    return False, None


def ExecuteCommand(
    command: CRPCCommand, request: JSONRPCRequest, last_handler: bool
) -> tuple[bool, UniValue]:
    try:
        with RPCCommandExecution(request.strMethod):
            if isinstance(request.params, dict):
                return command.actor(
                    transformNamedArguments(request, command.argNames), last_handler
                )
            return command.actor(request, last_handler)
    except JSONRPCError:
        raise
    except type_error as e:
        raise JSONRPCError(RPC_TYPE_ERROR, str(e)) from e
    except Exception as e:
        raise JSONRPCError(RPC_MISC_ERROR, str(e)) from e


def transformNamedArguments(
    in_: JSONRPCRequest, argNames: Sequence[tuple[str, bool]]
) -> JSONRPCRequest:
    """Turn named parameters into positional ones per the command's parameter list: gaps
    before a given parameter become nulls, named-only options are gathered into their options
    object, and an "args" array supplies leading positional values."""
    out = in_.copy()
    out.params = []
    params: dict[str, Any] = in_.params
    duplicates = getattr(params, "m_duplicate_keys", [])
    if duplicates:
        raise JSONRPCError(
            RPC_INVALID_PARAMETER, f"Parameter {duplicates[0]} specified multiple times"
        )
    argsIn: dict[str, Any] = dict(params)

    hole = 0
    initial_hole_size = 0
    initial_param: str | None = None
    options: dict[str, Any] = {}
    for argNamePattern, named_only in argNames:
        found: str | None = None
        for argName in argNamePattern.split("|"):
            if argName in argsIn:
                found = argName
                break

        if named_only:
            if found is not None:
                if found in options:
                    raise JSONRPCError(
                        RPC_INVALID_PARAMETER, f"Parameter {found} specified multiple times"
                    )
                options[found] = argsIn.pop(found)
            continue

        if options or found is not None:
            # Fill the gap before this parameter with nulls (never after the last one, for
            # methods that look at the number of parameters).
            out.params.extend([None] * hole)
            hole = 0
            if initial_param is None:
                initial_param = argNamePattern
        else:
            hole += 1
            if not out.params:
                initial_hole_size = hole

        if found is not None:
            if options:
                raise JSONRPCError(
                    RPC_INVALID_PARAMETER,
                    f"Parameter {found} conflicts with parameter {next(iter(options))}",
                )
            out.params.append(argsIn.pop(found))
        if options:
            out.params.append(options)
            options = {}

    positional_args = argsIn.pop("args", None) if "args" in argsIn else None
    if isinstance(positional_args, list):
        if initial_hole_size < len(positional_args) and initial_param is not None:
            raise JSONRPCError(
                RPC_INVALID_PARAMETER,
                f"Parameter {initial_param} specified twice both as positional and named argument",
            )
        named_args = out.params
        out.params = list(positional_args)
        out.params.extend(named_args[len(out.params) :])
    if argsIn:
        raise JSONRPCError(RPC_INVALID_PARAMETER, f"Unknown named parameter {next(iter(argsIn))}")
    return out


# --- the server's own methods ---------------------------------------------------------------------


def help() -> RPCHelpMan:
    def impl(self: RPCHelpMan, jsonRequest: JSONRPCRequest) -> UniValue:
        strCommand = ""
        if len(jsonRequest.params) > 0:
            strCommand = get_str(jsonRequest.params[0])
        table = _current_table.get(None) or tableRPC
        if strCommand == "dump_all_command_conversions":
            # Testing only, undocumented.
            return table.dumpArgMap(jsonRequest)
        return table.help(strCommand, jsonRequest)

    return RPCHelpMan(
        "help",
        "List all commands, or get help for a specified command.\n",
        [
            RPCArg(
                "command",
                RPCArg.Type.STR,
                RPCArg.DefaultHint("all commands"),
                "The command to get help on",
            ),
        ],
        [
            RPCResult(RPCResult.Type.STR, "", "The help text"),
            RPCResult(RPCResult.Type.ANY, "", ""),
        ],
        RPCExamples(""),
        impl,
    )


_STOP_RESULT: Final = CLIENT_NAME + " stopping"


def stop() -> RPCHelpMan:
    def impl(self: RPCHelpMan, jsonRequest: JSONRPCRequest) -> UniValue:
        # The HTTP server finishes the current requests, so this reply reaches the client.
        node = EnsureAnyNodeContext(jsonRequest.context)
        shutdown_request = getattr(node, "shutdown_request", None)
        CHECK_NONFATAL(shutdown_request is not None, "node.shutdown_request")
        assert shutdown_request is not None
        CHECK_NONFATAL(shutdown_request(), "shutdown_request()")
        if len(jsonRequest.params) > 0 and isNum(jsonRequest.params[0]):
            UninterruptibleSleep(getInt(jsonRequest.params[0]) * 1000)
        return _STOP_RESULT

    return RPCHelpMan(
        "stop",
        f"Request a graceful shutdown of {CLIENT_NAME}.",
        [
            # Hidden: 'stop 1000' waits a second before replying (for tests).
            RPCArg(
                "wait",
                RPCArg.Type.NUM,
                RPCArg.Optional.OMITTED,
                "how long to wait in ms",
                opts=RPCArgOptions(hidden=True),
            ),
        ],
        RPCResult(RPCResult.Type.STR, "", f"A string with the content '{_STOP_RESULT}'"),
        RPCExamples(""),
        impl,
    )


def uptime() -> RPCHelpMan:
    def impl(self: RPCHelpMan, request: JSONRPCRequest) -> UniValue:
        return GetTime() - GetStartupTime()

    return RPCHelpMan(
        "uptime",
        "Returns the total uptime of the server.\n",
        [],
        RPCResult(RPCResult.Type.NUM, "", "The number of seconds that the server has been running"),
        RPCExamples(HelpExampleCli("uptime", "") + HelpExampleRpc("uptime", "")),
        impl,
    )


def getrpcinfo() -> RPCHelpMan:
    def impl(self: RPCHelpMan, request: JSONRPCRequest) -> UniValue:
        with _g_rpc_server_info.mutex:
            now = SteadyClock.now()
            active_commands = [
                {"method": info.method, "duration": now - info.start}
                for info in _g_rpc_server_info.active_commands
            ]
        return {"active_commands": active_commands, "logpath": str(LogInstance().m_file_path)}

    return RPCHelpMan(
        "getrpcinfo",
        "Returns details of the RPC server.\n",
        [],
        RPCResult(
            RPCResult.Type.OBJ,
            "",
            "",
            [
                RPCResult(
                    RPCResult.Type.ARR,
                    "active_commands",
                    "All active commands",
                    [
                        RPCResult(
                            RPCResult.Type.OBJ,
                            "",
                            "Information about an active command",
                            [
                                RPCResult(
                                    RPCResult.Type.STR, "method", "The name of the RPC command"
                                ),
                                RPCResult(
                                    RPCResult.Type.NUM,
                                    "duration",
                                    "The running time in microseconds",
                                ),
                            ],
                        ),
                    ],
                ),
                RPCResult(RPCResult.Type.STR, "logpath", "The complete file path to the debug log"),
            ],
        ),
        RPCExamples(HelpExampleCli("getrpcinfo", "") + HelpExampleRpc("getrpcinfo", "")),
        impl,
    )


def _vRPCCommands() -> list[CRPCCommand]:
    return [
        CRPCCommand("control", getrpcinfo),
        CRPCCommand("control", help),
        CRPCCommand("control", stop),
        CRPCCommand("control", uptime),
    ]


# --- server state ---------------------------------------------------------------------------------


def StartRPC() -> None:
    global _g_rpc_running
    LogDebug(BCLog.RPC, "Starting RPC\n")
    _g_rpc_running = True


def InterruptRPC() -> None:
    global _g_rpc_running
    if _g_rpc_running:
        LogDebug(BCLog.RPC, "Interrupting RPC\n")
    # Interrupt e.g. running longpolls.
    _g_rpc_running = False


def StopRPC(args: ArgsManager | None = None) -> None:
    """After InterruptRPC: delete the auth cookie of ``args`` (gArgs by default)."""
    assert not _g_rpc_running
    LogDebug(BCLog.RPC, "Stopping RPC\n")
    DeleteAuthCookie(args)
    LogDebug(BCLog.RPC, "RPC stopped.\n")


def IsRPCRunning() -> bool:
    return _g_rpc_running


def RpcInterruptionPoint() -> None:
    """Raise if the server is shutting down (for long-running methods)."""
    if not IsRPCRunning():
        raise JSONRPCError(RPC_CLIENT_NOT_CONNECTED, "Shutting down")


def SetRPCWarmupStatus(newStatus: str) -> None:
    global _rpcWarmupStatus
    with _g_rpc_warmup_mutex:
        _rpcWarmupStatus = newStatus


def SetRPCWarmupStarting() -> None:
    global _fRPCInWarmup
    with _g_rpc_warmup_mutex:
        _fRPCInWarmup = True


def SetRPCWarmupFinished() -> None:
    """Calls are served from now on."""
    global _fRPCInWarmup
    with _g_rpc_warmup_mutex:
        assert _fRPCInWarmup
        _fRPCInWarmup = False


def RPCIsInWarmup() -> tuple[bool, str]:
    """``(in_warmup, status)``."""
    with _g_rpc_warmup_mutex:
        return _fRPCInWarmup, _rpcWarmupStatus


def IsDeprecatedRPCEnabled(method: str) -> bool:
    return method in gArgs.GetArgs("-deprecatedrpc")


def JSONRPCExec(
    jreq: JSONRPCRequest, catch_errors: bool, table: CRPCTable | None = None
) -> UniValue:
    """Execute ``jreq`` and build its reply object. With ``catch_errors`` (JSON-RPC 2.0, and
    batches) an error becomes an error reply; otherwise the JSONRPCError propagates, for the
    HTTP layer to answer with an HTTP error status."""
    t = table if table is not None else tableRPC
    if catch_errors:
        try:
            result = t.execute(jreq)
        except JSONRPCError as e:
            return JSONRPCReplyObj(None, e.obj(), jreq.id, jreq.m_json_version)
        except Exception as e:
            return JSONRPCReplyObj(
                None, JSONRPCError(RPC_MISC_ERROR, str(e)).obj(), jreq.id, jreq.m_json_version
            )
    else:
        result = t.execute(jreq)
    return JSONRPCReplyObj(result, None, jreq.id, jreq.m_json_version)


#: The process's RPC table (upstream's tableRPC).
tableRPC: Final = CRPCTable()
