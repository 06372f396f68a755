"""The node's main (src/bitcoind.cpp), with the parts of init.cpp and init/common.cpp around
the P2P composition root in init.py: the options (SetupServerArgs), parameter interaction,
logging, the RPC server, the data-directory lock, signals, and the shutdown sequence.

``python -m legacy`` (and the same for every variant: this module names no package) runs
:func:`main`. Errors a user can cause end as upstream's: "Error: <message>" on stderr and exit
code 1. Where this node departs from bitcoind on purpose:

- regtest is the only chain (common.args says so when another is asked for);
- without -bind or -whitebind the P2P port listens on 127.0.0.1 only, not on every interface
  (the RPC port is loopback-only by default upstream too);
- no -daemon, wallet, REST, ZMQ, Tor, I2P, UPnP/PCP, DNS seeds or proxies, so their options are
  unknown here;
- blocks are written as they arrive (common/blockstorage.py), so there is no chainstate flush on
  shutdown, and a restart after ``kill -9`` replays what was written.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from types import FrameType
from typing import IO, Final

from common import httprpc, httpserver, logging
from common.args import (
    ArgsManager,
    GetDefaultDataDir,
    HelpRequested,
    InitConfig,
    IsSwitchChar,
    OptionsCategory,
    SetupChainParamsBaseOptions,
    SetupHelpOptions,
    gArgs,
)
from common.banman import DEFAULT_MISBEHAVING_BANTIME
from common.clock import FormatISO8601DateTime, GetTime
from common.logging import LogError, LogInfo, LogInstance, LogWarning
from common.net_permissions import NET_PERMISSIONS_DOC
from common.netbase import SplitHostPort
from common.rpc import server as rpcserver
from common.rpc.register import RegisterAllCoreRPCCommands
from common.rpc.server import tableRPC
from common.rpc.util import CLIENT_VERSION_STRING
from common.scheduler import CScheduler
from common.strencodings import FormatParagraph, ToIntegral

from . import init as node_init
from .init import InitError, InitOptions, NodeContext
from .net import (
    DEFAULT_BLOCKSONLY,
    DEFAULT_DNSSEED,
    DEFAULT_FIXEDSEEDS,
    DEFAULT_LISTEN,
    DEFAULT_MAX_PEER_CONNECTIONS,
    DEFAULT_MAX_UPLOAD_TARGET,
    DEFAULT_MAXRECEIVEBUFFER,
    DEFAULT_MAXSENDBUFFER,
    DEFAULT_PEER_CONNECT_TIMEOUT,
    DEFAULT_WHITELISTFORCERELAY,
    DEFAULT_WHITELISTRELAY,
    MAX_ADDNODE_CONNECTIONS,
)
from .rpc_net import RegisterNetRPCCommands

CLIENT_NAME: Final = "Bitcoin Core"
BITCOIN_PID_FILENAME: Final = "bitcoind.pid"
#: The regtest P2P port, for the help text.
_REGTEST_PORT: Final = 18444
#: Where the P2P port listens when neither -bind nor -whitebind is given.
DEFAULT_LOOPBACK_BIND: Final = "127.0.0.1"


# --- init/common.cpp ------------------------------------------------------------------------------


def AddLoggingArgs(argsman: ArgsManager) -> None:
    A = ArgsManager
    D = OptionsCategory.DEBUG_TEST
    argsman.AddArg(
        "-debuglogfile=<file>",
        f"Specify location of debug log file (default: {logging.DEFAULT_DEBUGLOGFILE}). Relative "
        "paths will be prefixed by a net-specific datadir location. Pass -nodebuglogfile to "
        "disable writing the log to a file.",
        A.ALLOW_ANY,
        OptionsCategory.OPTIONS,
    )
    argsman.AddArg(
        "-debug=<category>",
        "Output debug and trace logging (default: -nodebug, supplying <category> is optional). "
        'If <category> is not supplied or if <category> is 1 or "all", output all debug '
        'logging. If <category> is 0 or "none", any other categories are ignored. Other valid '
        "values for <category> are: "
        + LogInstance().LogCategoriesString()
        + ". This option can be specified multiple times to output multiple categories.",
        A.ALLOW_ANY,
        D,
    )
    argsman.AddArg(
        "-debugexclude=<category>",
        "Exclude debug and trace logging for a category. Can be used in conjunction with "
        "-debug=1 to output debug and trace logging for all categories except the specified "
        "category. This option can be specified multiple times to exclude multiple categories. "
        'This takes priority over "-debug"',
        A.ALLOW_ANY,
        D,
    )
    argsman.AddArg(
        "-logips",
        f"Include IP addresses in debug output (default: {int(logging.DEFAULT_LOGIPS)})",
        A.ALLOW_ANY,
        D,
    )
    argsman.AddArg(
        "-logtimestamps",
        f"Prepend debug output with timestamp (default: {int(logging.DEFAULT_LOGTIMESTAMPS)})",
        A.ALLOW_ANY,
        D,
    )
    argsman.AddArg(
        "-logthreadnames",
        "Prepend debug output with name of the originating thread (default: "
        f"{int(logging.DEFAULT_LOGTHREADNAMES)})",
        A.ALLOW_ANY,
        D,
    )
    argsman.AddArg(
        "-logsourcelocations",
        "Prepend debug output with name of the originating source location (source file, line "
        f"number and function name) (default: {int(logging.DEFAULT_LOGSOURCELOCATIONS)})",
        A.ALLOW_ANY,
        D,
    )
    argsman.AddArg(
        "-logtimemicros",
        "Add microsecond precision to debug timestamps (default: "
        f"{int(logging.DEFAULT_LOGTIMEMICROS)})",
        A.ALLOW_ANY | A.DEBUG_ONLY,
        D,
    )
    argsman.AddArg(
        "-loglevelalways",
        f"Always prepend a category and level (default: {int(logging.DEFAULT_LOGLEVELALWAYS)})",
        A.ALLOW_ANY,
        D,
    )
    argsman.AddArg(
        "-printtoconsole",
        "Send trace/debug info to console (default: 1 when no -daemon. To disable logging to "
        "file, set -nodebuglogfile)",
        A.ALLOW_ANY,
        D,
    )
    argsman.AddArg(
        "-shrinkdebugfile",
        "Shrink debug.log file on client startup (default: 1 when no -debug)",
        A.ALLOW_ANY,
        D,
    )


def SetLoggingOptions(args: ArgsManager) -> None:
    log = LogInstance()
    log.m_print_to_file = not args.IsArgNegated("-debuglogfile")
    debuglogfile = args.GetPathArg("-debuglogfile", logging.DEFAULT_DEBUGLOGFILE)
    if debuglogfile is not None:
        if not debuglogfile.is_absolute():
            datadir = args.GetDataDirNet()
            debuglogfile = (datadir if datadir is not None else Path()) / debuglogfile
        log.m_file_path = debuglogfile
    log.m_print_to_console = args.GetBoolArg("-printtoconsole", True)
    log.m_log_timestamps = args.GetBoolArg("-logtimestamps", logging.DEFAULT_LOGTIMESTAMPS)
    log.m_log_time_micros = args.GetBoolArg("-logtimemicros", logging.DEFAULT_LOGTIMEMICROS)
    log.m_log_threadnames = args.GetBoolArg("-logthreadnames", logging.DEFAULT_LOGTHREADNAMES)
    log.m_log_sourcelocations = args.GetBoolArg(
        "-logsourcelocations", logging.DEFAULT_LOGSOURCELOCATIONS
    )
    log.m_always_print_category_level = args.GetBoolArg(
        "-loglevelalways", logging.DEFAULT_LOGLEVELALWAYS
    )
    logging.fLogIPs = args.GetBoolArg("-logips", logging.DEFAULT_LOGIPS)


def SetLoggingCategories(args: ArgsManager) -> str | None:
    """Enable -debug's categories, then disable -debugexclude's; an error message, or None."""
    categories = args.GetArgs("-debug")
    # Categories before the last -debug=0/none are disregarded.
    last_none = max((i for i, cat in enumerate(categories) if cat in ("0", "none")), default=-1)
    for cat in categories[last_none + 1 :]:
        if not LogInstance().EnableCategory(cat):
            return f"Unsupported logging category -debug={cat}."
    for cat in args.GetArgs("-debugexclude"):
        if not LogInstance().DisableCategory(cat):
            return f"Unsupported logging category -debugexclude={cat}."
    return None


def StartLogging(args: ArgsManager) -> bool:
    log = LogInstance()
    if log.m_print_to_file and args.GetBoolArg("-shrinkdebugfile", log.DefaultShrinkDebugFile()):
        # First: it reads much of debug.log, and must happen before anything else is written.
        log.ShrinkDebugFile()
    if not log.StartLogging():
        return InitErrorMsg(f"Could not open debug log file {log.m_file_path}")

    if not log.m_log_timestamps:
        LogInfo("Startup time: %s", FormatISO8601DateTime(GetTime()))
    LogInfo("Default data directory %s", GetDefaultDataDir())
    LogInfo("Using data directory %s", args.GetDataDirNet())

    config_file_path = args.GetConfigFilePath()
    if args.IsArgNegated("-conf"):
        LogInfo("Config file: <disabled>")
    elif config_file_path is not None and config_file_path.is_dir():
        LogWarning("Config file: %s (is directory, not file)", config_file_path)
    elif config_file_path is not None and config_file_path.exists():
        LogInfo("Config file: %s", config_file_path)
    elif args.IsArgSet("-conf"):
        InitWarning(f"The specified config file {config_file_path} does not exist")
    else:
        LogInfo("Config file: %s (not found, skipping)", config_file_path)

    args.LogArgs()
    return True


def LogPackageVersion() -> None:
    LogInfo("%s version %s (release build)", CLIENT_NAME, CLIENT_VERSION_STRING)


# --- noui.cpp: messages to the user ---------------------------------------------------------------


def InitErrorMsg(message: str) -> bool:
    """InitError: log "Error: ..." and print it on stderr; always False, as upstream's."""
    LogError("%s\n", message)
    print(f"Error: {message}", file=sys.stderr, flush=True)
    return False


def InitWarning(message: str) -> None:
    LogWarning("%s\n", message)
    print(f"Warning: {message}", file=sys.stderr, flush=True)


# --- init.cpp -------------------------------------------------------------------------------------


def SetupServerArgs(argsman: ArgsManager) -> None:
    """Register the options this node understands, with bitcoind's names and help texts."""
    A = ArgsManager
    O = OptionsCategory.OPTIONS
    C = OptionsCategory.CONNECTION
    SetupHelpOptions(argsman)
    argsman.AddArg(
        "-help-debug",
        "Print help message with debugging options and exit",
        A.ALLOW_ANY,
        OptionsCategory.DEBUG_TEST,
    )
    argsman.AddArg("-version", "Print version and exit", A.ALLOW_ANY, O)
    argsman.AddArg(
        "-blocksonly",
        "Whether to reject transactions from network peers. Disables automatic broadcast and "
        "rebroadcast of transactions, unless the source peer has the 'forcerelay' permission. "
        f"RPC transactions are not affected. (default: {int(DEFAULT_BLOCKSONLY)})",
        A.ALLOW_ANY,
        O,
    )
    argsman.AddArg(
        "-conf=<file>",
        "Specify path to read-only configuration file. Relative paths will be prefixed by "
        "datadir location (only useable from command line, not configuration file) (default: "
        "bitcoin.conf)",
        A.ALLOW_ANY,
        O,
    )
    argsman.AddArg("-datadir=<dir>", "Specify data directory", A.ALLOW_ANY | A.DISALLOW_NEGATION, O)
    argsman.AddArg(
        "-includeconf=<file>",
        "Specify additional configuration file, relative to the -datadir path (only useable "
        "from configuration file, not command line)",
        A.ALLOW_ANY,
        O,
    )
    argsman.AddArg(
        "-allowignoredconf",
        "For backwards compatibility, treat an unused bitcoin.conf file in the datadir as a "
        "warning, not an error.",
        A.ALLOW_ANY,
        O,
    )
    argsman.AddArg(
        "-pid=<file>",
        "Specify pid file. Relative paths will be prefixed by a net-specific datadir location. "
        f"(default: {BITCOIN_PID_FILENAME})",
        A.ALLOW_ANY,
        O,
    )
    argsman.AddArg(
        "-settings=<file>",
        "Specify path to dynamic settings data file. Can be disabled with -nosettings. File is "
        "written at runtime and not meant to be edited by users (use bitcoin.conf instead for "
        "custom settings). Relative paths will be prefixed by datadir location. (default: "
        "settings.json)",
        A.ALLOW_ANY,
        O,
    )

    argsman.AddArg(
        "-addnode=<ip>",
        "Add a node to connect to and attempt to keep the connection open (see the addnode RPC "
        "help for more info). This option can be specified multiple times to add multiple "
        f"nodes; connections are limited to {MAX_ADDNODE_CONNECTIONS} at a time and are "
        "counted separately from the -maxconnections limit.",
        A.ALLOW_ANY | A.NETWORK_ONLY,
        C,
    )
    argsman.AddArg(
        "-bantime=<n>",
        "Default duration (in seconds) of manually configured bans (default: "
        f"{DEFAULT_MISBEHAVING_BANTIME})",
        A.ALLOW_ANY,
        C,
    )
    argsman.AddArg(
        "-bind=<addr>[:<port>]",
        f"Bind to given address and always listen on it (default: {DEFAULT_LOOPBACK_BIND}). "
        "Use [host]:port notation for IPv6.",
        A.ALLOW_ANY | A.NETWORK_ONLY,
        C,
    )
    argsman.AddArg(
        "-connect=<ip>",
        "Connect only to the specified node; -noconnect disables automatic connections (the "
        "rules for this peer are the same as for -addnode). This option can be specified "
        "multiple times to connect to multiple nodes.",
        A.ALLOW_ANY | A.NETWORK_ONLY,
        C,
    )
    argsman.AddArg(
        "-dnsseed",
        "Query for peer addresses via DNS lookup, if low on addresses (default: "
        f"{int(DEFAULT_DNSSEED)} unless -connect used or -maxconnections=0)",
        A.ALLOW_ANY,
        C,
    )
    argsman.AddArg(
        "-fixedseeds",
        f"Allow fixed seeds if DNS seeds don't provide peers (default: {int(DEFAULT_FIXEDSEEDS)})",
        A.ALLOW_ANY,
        C,
    )
    argsman.AddArg(
        "-listen",
        "Accept connections from outside (default: "
        f"{int(DEFAULT_LISTEN)} if no -proxy, -connect or -maxconnections=0)",
        A.ALLOW_ANY,
        C,
    )
    argsman.AddArg(
        "-maxconnections=<n>",
        "Maintain at most <n> automatic connections to peers (default: "
        f"{DEFAULT_MAX_PEER_CONNECTIONS}). This limit does not apply to connections manually "
        "added via -addnode or the addnode RPC, which have a separate limit of "
        f"{MAX_ADDNODE_CONNECTIONS}.",
        A.ALLOW_ANY,
        C,
    )
    argsman.AddArg(
        "-maxreceivebuffer=<n>",
        "Maximum per-connection receive buffer, <n>*1000 bytes (default: "
        f"{DEFAULT_MAXRECEIVEBUFFER})",
        A.ALLOW_ANY,
        C,
    )
    argsman.AddArg(
        "-maxsendbuffer=<n>",
        "Maximum per-connection memory usage for the send buffer, <n>*1000 bytes (default: "
        f"{DEFAULT_MAXSENDBUFFER})",
        A.ALLOW_ANY,
        C,
    )
    argsman.AddArg(
        "-maxuploadtarget=<n>",
        "Tries to keep outbound traffic under the given target per 24h. Limit does not apply "
        "to peers with 'download' permission or blocks created within past week. 0 = no limit "
        f"(default: {DEFAULT_MAX_UPLOAD_TARGET}). Optional suffix units [k|K|m|M|g|G|t|T] "
        "(default: M). Lowercase is 1000 base while uppercase is 1024 base",
        A.ALLOW_ANY,
        C,
    )
    argsman.AddArg(
        "-port=<port>",
        f"Listen for connections on <port> (default: regtest: {_REGTEST_PORT}).",
        A.ALLOW_ANY | A.NETWORK_ONLY,
        C,
    )
    argsman.AddArg(
        "-seednode=<ip>",
        "Connect to a node to retrieve peer addresses, and disconnect. This option can be "
        "specified multiple times to connect to multiple nodes. During startup, seednodes will "
        "be tried before dnsseeds.",
        A.ALLOW_ANY,
        C,
    )
    argsman.AddArg(
        "-networkactive",
        "Enable all P2P network activity (default: 1). Can be changed by the setnetworkactive "
        "RPC command",
        A.ALLOW_ANY,
        C,
    )
    argsman.AddArg(
        "-peertimeout=<n>",
        "Specify a p2p connection timeout delay in seconds. After connecting to a peer, wait "
        "this amount of time before considering disconnection based on inactivity (minimum: 1, "
        f"default: {DEFAULT_PEER_CONNECT_TIMEOUT})",
        A.ALLOW_ANY | A.DEBUG_ONLY,
        C,
    )
    argsman.AddArg(
        "-whitebind=<[permissions@]addr>",
        "Bind to the given address and add permission flags to the peers connecting to it. "
        "Use [host]:port notation for IPv6. Allowed permissions: "
        + ", ".join(NET_PERMISSIONS_DOC)
        + ". Specify multiple permissions separated by commas (default: "
        "download,noban,mempool,relay). Can be specified multiple times.",
        A.ALLOW_ANY,
        C,
    )
    argsman.AddArg(
        "-whitelist=<[permissions@]IP address or network>",
        "Add permission flags to the peers using the given IP address (e.g. 1.2.3.4) or "
        "CIDR-notated network (e.g. 1.2.3.0/24). Uses the same permissions as -whitebind. "
        'Additional flags "in" and "out" control whether permissions apply to incoming '
        "connections and/or manual (default: incoming only). Can be specified multiple times.",
        A.ALLOW_ANY,
        C,
    )

    D = OptionsCategory.DEBUG_TEST
    argsman.AddArg(
        "-capturemessages", "Capture all P2P messages to disk", A.ALLOW_ANY | A.DEBUG_ONLY, D
    )
    argsman.AddArg(
        "-deprecatedrpc=<method>",
        "Allows deprecated RPC method(s) to be used",
        A.ALLOW_ANY | A.DEBUG_ONLY,
        D,
    )
    argsman.AddArg("-uacomment=<cmt>", "Append comment to the user agent string", A.ALLOW_ANY, D)
    AddLoggingArgs(argsman)
    SetupChainParamsBaseOptions(argsman)

    R = OptionsCategory.NODE_RELAY
    argsman.AddArg(
        "-whitelistforcerelay",
        "Add 'forcerelay' permission to whitelisted peers with default permissions. This will "
        "relay transactions even if the transactions were already in the mempool. (default: "
        f"{int(DEFAULT_WHITELISTFORCERELAY)})",
        A.ALLOW_ANY,
        R,
    )
    argsman.AddArg(
        "-whitelistrelay",
        "Add 'relay' permission to whitelisted peers with default permissions. This will accept "
        "relayed transactions even when not relaying transactions (default: "
        f"{int(DEFAULT_WHITELISTRELAY)})",
        A.ALLOW_ANY,
        R,
    )
    httprpc.add_rpc_server_args(argsman)


def InitParameterInteraction(args: ArgsManager) -> None:
    """Options that imply others, unless the user set those (init.cpp's, for the options this
    node has)."""
    # An explicit bind address is meant to be listened on, even with -connect.
    if args.GetArgs("-bind") and args.SoftSetBoolArg("-listen", True):
        LogInfo("parameter interaction: -bind set -> setting -listen=1\n")
    if args.GetArgs("-whitebind") and args.SoftSetBoolArg("-listen", True):
        LogInfo("parameter interaction: -whitebind set -> setting -listen=1\n")

    if (
        args.GetArgs("-connect")
        or args.IsArgNegated("-connect")
        or args.GetIntArg("-maxconnections", DEFAULT_MAX_PEER_CONNECTIONS) <= 0
    ):
        # Only trusted nodes, or no connections at all: no seeding, and no listening by default.
        if args.SoftSetBoolArg("-dnsseed", False):
            LogInfo(
                "parameter interaction: -connect or -maxconnections=0 set -> setting -dnsseed=0\n"
            )
        if args.SoftSetBoolArg("-listen", False):
            LogInfo(
                "parameter interaction: -connect or -maxconnections=0 set -> setting -listen=0\n"
            )

    if args.GetBoolArg("-blocksonly", DEFAULT_BLOCKSONLY) and args.SoftSetBoolArg(
        "-whitelistrelay", False
    ):
        LogInfo("parameter interaction: -blocksonly=1 -> setting -whitelistrelay=0\n")


def InvalidPortErrMsg(optname: str, invalid_value: str) -> str:
    return f"Invalid port specified in {optname}: '{invalid_value}'"


def CheckHostPortOptions(args: ArgsManager) -> bool:
    for port_option in ("-port", "-rpcport"):
        port = args.GetArg(port_option)
        if port is not None:
            n = ToIntegral(port, 0, 0xFFFF)
            if not n:
                return InitErrorMsg(InvalidPortErrMsg(port_option, port))
    # (option, "=suffix" allowed)
    for param_name, suffix_allowed in (("-bind", True), ("-rpcbind", False), ("-whitebind", False)):
        for param_value in args.GetArgs(param_name):
            hostport = param_value
            if suffix_allowed and "=" in param_value:
                hostport = param_value[: param_value.rfind("=")]
            valid, _, _ = SplitHostPort(hostport, 0)
            if not valid:
                return InitErrorMsg(InvalidPortErrMsg(param_name, param_value))
    return True


_BYTE_UNITS: Final = {
    "k": 1000,
    "K": 1024,
    "m": 1000**2,
    "M": 1024**2,
    "g": 1000**3,
    "G": 1024**3,
    "t": 1000**4,
    "T": 1024**4,
}


def ParseByteUnits(s: str, default_multiplier: int) -> int | None:
    """util/strencodings's ParseByteUnits: digits with an optional unit suffix (lowercase
    powers of 1000, uppercase of 1024); None if malformed or out of range."""
    multiplier = default_multiplier
    if s and s[-1] in _BYTE_UNITS:
        multiplier = _BYTE_UNITS[s[-1]]
        s = s[:-1]
    elif s and not s[-1].isdigit():
        return None
    if not s or not s.isascii() or not s.isdigit():
        return None
    value = int(s)
    if value * multiplier > 0xFFFFFFFFFFFFFFFF:
        return None
    return value * multiplier


def _int_option(args: ArgsManager, name: str, default: int) -> int:
    return args.GetIntArg(name, default)


def AppInitParameterInteraction(args: ArgsManager) -> InitOptions | None:
    """Check the options and turn them into the P2P layer's InitOptions; None after an
    InitError."""
    for section in args.GetUnrecognizedSections():
        InitWarning(
            f"{section.m_file}:{section.m_line} Section [{section.m_name}] is not recognized."
        )
    datadir = args.GetDataDirBase()
    assert datadir is not None

    user_max_connection = _int_option(args, "-maxconnections", DEFAULT_MAX_PEER_CONNECTIONS)
    if user_max_connection < 0:
        InitErrorMsg("-maxconnections must be greater or equal than zero")
        return None

    peer_connect_timeout = _int_option(args, "-peertimeout", DEFAULT_PEER_CONNECT_TIMEOUT)
    if peer_connect_timeout <= 0:
        InitErrorMsg("peertimeout must be a positive integer.")
        return None

    if not CheckHostPortOptions(args):
        return None

    max_upload = ParseByteUnits(
        args.GetArg("-maxuploadtarget", DEFAULT_MAX_UPLOAD_TARGET), _BYTE_UNITS["M"]
    )
    if max_upload is None:
        InitErrorMsg(f"Unable to parse -maxuploadtarget: '{args.GetArg('-maxuploadtarget', '')}'")
        return None

    port = args.GetIntArg("-port") if args.IsArgSet("-port") else None
    connect = args.GetArgs("-connect")
    binds = args.GetArgs("-bind")
    whitebinds = args.GetArgs("-whitebind")
    listen = args.GetBoolArg("-listen", DEFAULT_LISTEN)
    if listen and not binds and not whitebinds:
        # Loopback unless the user names an address (bitcoind binds every interface).
        binds = [DEFAULT_LOOPBACK_BIND]
        LogInfo("No -bind or -whitebind: listening on %s only\n", DEFAULT_LOOPBACK_BIND)

    return InitOptions(
        datadir=datadir,
        listen=listen,
        port=port,
        bind=binds,
        whitebind=whitebinds,
        whitelist=args.GetArgs("-whitelist"),
        connect=connect,
        noconnect=args.IsArgNegated("-connect"),
        addnode=args.GetArgs("-addnode"),
        seednode=args.GetArgs("-seednode"),
        maxconnections=user_max_connection,
        bantime=_int_option(args, "-bantime", DEFAULT_MISBEHAVING_BANTIME),
        networkactive=args.GetBoolArg("-networkactive", True),
        peertimeout=peer_connect_timeout,
        maxsendbuffer=_int_option(args, "-maxsendbuffer", DEFAULT_MAXSENDBUFFER),
        maxreceivebuffer=_int_option(args, "-maxreceivebuffer", DEFAULT_MAXRECEIVEBUFFER),
        maxuploadtarget=max_upload,
        whitelistrelay=args.GetBoolArg("-whitelistrelay", DEFAULT_WHITELISTRELAY),
        whitelistforcerelay=args.GetBoolArg("-whitelistforcerelay", DEFAULT_WHITELISTFORCERELAY),
        blocksonly=args.GetBoolArg("-blocksonly", DEFAULT_BLOCKSONLY),
        uacomment=args.GetArgs("-uacomment"),
        capturemessages=args.GetBoolArg("-capturemessages", False),
    )


# --- noui.cpp -------------------------------------------------------------------------------------


class NoUI:
    """What bitcoind connects to the UI signals (noui.cpp): messages go to the log and, for
    errors and warnings, to stderr."""

    __slots__ = ()

    def ThreadSafeMessageBox(self, message: str, caption: str, style: int) -> bool:
        prefix = "Error: " if style & 2 else "Warning: " if style & 1 else ""
        if prefix == "Error: ":
            LogError("%s\n", message)
        elif prefix:
            LogWarning("%s\n", message)
        else:
            LogInfo("%s\n", message)
        print(prefix + message, file=sys.stderr, flush=True)
        return False

    def InitMessage(self, message: str) -> None:
        LogInfo("init message: %s\n", message)

    def NotifyNumConnectionsChanged(self, newNumConnections: int) -> None:
        pass

    def NotifyNetworkActiveChanged(self, networkActive: bool) -> None:
        pass

    def BannedListChanged(self) -> None:
        pass


# --- the node's process ---------------------------------------------------------------------------


class BitcoindNode:
    """One node process: what upstream's main() keeps in its NodeContext beyond the P2P
    components (the shutdown signal, the scheduler, the data-directory lock, the pid file)."""

    __slots__ = (
        "args",
        "context",
        "http_started",
        "lock_file",
        "pid_file",
        "rpc_started",
        "scheduler",
        "shutdown_signal",
    )

    args: ArgsManager
    #: The P2P components once init.AppInitMain built them.
    context: NodeContext | None
    #: Set by SIGINT/SIGTERM and the stop RPC (upstream's node.shutdown_signal).
    shutdown_signal: threading.Event
    scheduler: CScheduler | None
    lock_file: IO[bytes] | None
    pid_file: Path | None
    http_started: bool
    rpc_started: bool

    def __init__(self, args: ArgsManager) -> None:
        self.args = args
        self.context = None
        self.shutdown_signal = threading.Event()
        self.scheduler = None
        self.lock_file = None
        self.pid_file = None
        self.http_started = False
        self.rpc_started = False

    def shutdown_request(self) -> bool:
        """Ask for a clean shutdown (the stop RPC, a signal)."""
        self.shutdown_signal.set()
        return True


def AppInitBasicSetup(node: BitcoindNode) -> None:
    """Signals: SIGTERM and SIGINT ask for a shutdown, SIGHUP reopens debug.log."""

    def handle_shutdown(signum: int, frame: FrameType | None) -> None:
        node.shutdown_request()

    def handle_sighup(signum: int, frame: FrameType | None) -> None:
        LogInstance().m_reopen_file = True

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, handle_shutdown)
        signal.signal(signal.SIGINT, handle_shutdown)
        if hasattr(signal, "SIGHUP"):
            signal.signal(signal.SIGHUP, handle_sighup)


def AppInitLockDirectories(node: BitcoindNode) -> bool:
    """Hold a lock on <datadir>/regtest/.lock for the process's life, so that a second node on
    the same data directory refuses to start."""
    datadir = node.args.GetDataDirNet()
    assert datadir is not None
    import fcntl

    try:
        lock_file = open(datadir / ".lock", "ab")  # noqa: SIM115 (held until exit)
    except OSError as e:
        return InitErrorMsg(f"Cannot write to directory '{datadir}'; check permissions. ({e})")
    try:
        fcntl.flock(lock_file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        lock_file.close()
        return InitErrorMsg(
            f"Cannot obtain a lock on directory {datadir}. {CLIENT_NAME} is probably already "
            "running."
        )
    node.lock_file = lock_file
    return True


def CreatePidFile(node: BitcoindNode) -> bool:
    pid = node.args.GetPathArg("-pid", BITCOIN_PID_FILENAME)
    if pid is None:
        return True
    if not pid.is_absolute():
        datadir = node.args.GetDataDirNet()
        assert datadir is not None
        pid = datadir / pid
    try:
        pid.write_text(f"{os.getpid()}\n", encoding="utf-8")
    except OSError as e:
        return InitErrorMsg(f"Unable to create the PID file '{pid}': {e.strerror}")
    node.pid_file = pid
    return True


def RemovePidFile(node: BitcoindNode) -> None:
    if node.pid_file is None:
        return
    try:
        node.pid_file.unlink(missing_ok=True)
    except OSError as e:
        LogWarning("Unable to remove PID file (%s): %s", node.pid_file, e.strerror)
    node.pid_file = None


def AppInitServers(node: BitcoindNode) -> bool:
    """The HTTP server with the JSON-RPC handler, already answering (with RPC_IN_WARMUP until
    the node is up)."""
    if not httpserver.InitHTTPServer(node.shutdown_signal, node.args):
        return False
    node.http_started = True
    rpcserver.StartRPC()
    node.rpc_started = True
    if not httprpc.StartHTTPRPC(None):
        return False
    httpserver.StartHTTPServer()
    return True


def AppInitMain(node: BitcoindNode, options: InitOptions) -> bool:
    """Step 4a to step 13 of init.cpp's AppInitMain, around init.AppInitMain (the P2P steps)."""
    args = node.args
    if not CreatePidFile(node):
        return False
    if not StartLogging(args):
        return False
    LogPackageVersion()
    LogInfo("Using at most %i automatic connections", options.maxconnections)

    # The lightweight task scheduler thread.
    scheduler = CScheduler()
    scheduler.m_service_thread = threading.Thread(
        target=scheduler.serviceQueue, name="scheduler", daemon=True
    )
    scheduler.m_service_thread.start()
    node.scheduler = scheduler

    if "getpeerinfo" not in tableRPC.mapCommands:
        RegisterAllCoreRPCCommands(tableRPC)
        RegisterNetRPCCommands(tableRPC)

    # The RPC server answers from now on (RPC_IN_WARMUP until step 13).
    if args.GetBoolArg("-server", False):
        rpcserver.SetRPCWarmupStatus("Starting network threads…")
        if not AppInitServers(node):
            return InitErrorMsg("Unable to start HTTP server. See debug log for details.")

    try:
        context = node_init.AppInitMain(options)
    except InitError as e:
        return InitErrorMsg(str(e))
    context.args = args
    context.scheduler = scheduler
    context.shutdown_request = node.shutdown_request
    context.conn_options.uiInterface = NoUI()
    node.context = context
    if httprpc.g_http_rpc is not None:
        httprpc.g_http_rpc.m_context = context

    if not node_init.StartNode(context, scheduler):
        return False

    # ********************************************************* Step 13: finished
    rpcserver.SetRPCWarmupFinished()
    LogInfo("init message: %s\n", "Done loading")
    return True


def Interrupt(node: BitcoindNode) -> None:
    """init.cpp's Interrupt: new RPC requests are refused and the network threads wind down."""
    httpserver.InterruptHTTPServer()
    httprpc.InterruptHTTPRPC()
    rpcserver.InterruptRPC()
    if node.context is not None:
        node_init.Interrupt(node.context)


def Shutdown(node: BitcoindNode) -> None:
    """init.cpp's Shutdown: stop the RPC server, then the P2P layer (which writes peers.dat,
    anchors.dat and banlist.json), then the scheduler; every thread is joined."""
    LogInfo("Shutdown in progress...")
    httprpc.StopHTTPRPC()
    if node.rpc_started:
        rpcserver.StopRPC(node.args)
        node.rpc_started = False
    if node.http_started:
        httpserver.StopHTTPServer()
        node.http_started = False
    if node.context is not None:
        node_init.Shutdown(node.context)
    if node.scheduler is not None:
        node.scheduler.stop()
        node.scheduler = None
    RemovePidFile(node)
    if node.lock_file is not None:
        node.lock_file.close()
        node.lock_file = None
    # Every thread the node started has been joined; say so if one was not.
    for thread in threading.enumerate():
        if thread is not threading.current_thread() and thread.is_alive():
            LogWarning("Shutdown: thread %s is still running", thread.name)
    LogInfo("Shutdown done")


def _usage(args: ArgsManager) -> str:
    return (
        f"{CLIENT_NAME} daemon version {CLIENT_VERSION_STRING}\n\n"
        + FormatParagraph(
            "netsplit's port of the Bitcoin Core node, on regtest: the P2P layer of bitcoind "
            "v30.0 with a regtest chain stand-in and bitcoind's JSON-RPC interface."
        )
        + "\n\nUsage: python -m <package of the node variant> [options]\n\n"
        + args.GetHelpMessage()
    )


def SetupEnvironment() -> None:
    """common/system.cpp's SetupEnvironment, the part that applies here: files the node creates
    (debug.log, the cookie, peers.dat, banlist.json, ...) are readable by their owner only
    (umask 0077). The malloc arena and locale fixes have no Python counterpart."""
    if os.name == "posix":
        os.umask(0o077)


def main(argv: Sequence[str] | None = None) -> int:
    """bitcoind's main: parse the options, start the node, wait for a shutdown request, shut
    down. Returns the process's exit code."""
    argv = list(sys.argv if argv is None else argv)
    args = gArgs
    SetupEnvironment()
    threading.current_thread().name = "init"

    SetupServerArgs(args)
    ok, error = args.ParseParameters(argv)
    if not ok:
        InitErrorMsg(f"Error parsing command line arguments: {error}")
        return 1
    # Help and version before anything touches the data directory.
    if HelpRequested(args) or args.GetBoolArg("-version", False):
        if args.GetBoolArg("-version", False):
            print(f"{CLIENT_NAME} daemon version {CLIENT_VERSION_STRING}")
        else:
            sys.stdout.write(_usage(args))
        return 0
    config_error = InitConfig(args)
    if config_error is not None:
        InitErrorMsg(config_error.message)
        for detail in config_error.details:
            print(detail, file=sys.stderr)
        return 1
    for token in argv[1:]:
        if not token or not IsSwitchChar(token[0]):
            InitErrorMsg(
                f"Command line contains unexpected token '{token}', see bitcoind -h for a list "
                "of options."
            )
            return 1
    # net.py reads the data directory through -datadir: make the default explicit.
    args.SoftSetArg("-datadir", str(args.GetDataDirBase()))

    node = BitcoindNode(args)
    exit_status = 0
    try:
        args.SoftSetBoolArg("-server", True)
        SetLoggingOptions(args)
        category_error = SetLoggingCategories(args)
        if category_error is not None:
            InitErrorMsg(category_error)
            return 1
        InitParameterInteraction(args)
        AppInitBasicSetup(node)
        options = AppInitParameterInteraction(args)
        if options is None or not AppInitLockDirectories(node) or not AppInitMain(node, options):
            exit_status = 1
        else:
            # Wake up now and then so that signal handlers run promptly.
            while not node.shutdown_signal.wait(0.5):
                pass
    finally:
        Interrupt(node)
        Shutdown(node)
    return exit_status
