"""Wiring of the P2P layer (the network steps of src/init.cpp's AppInitMain, and node/context.h).

One composition root for the tests and the command line: :func:`AppInitMain` builds the
components in upstream's order (step 6: netgroupman, addrman, banman, connman; step 7: chainman
and mempool; step 8: peerman, registered for validation events; step 12: the best block and
CConnman.Options), and :func:`StartNode` starts the connection threads. Options carry bitcoind's
names; only the ones that concern the P2P layer exist.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from common import scheduler as schedulerlib
from common.addrdb import LoadAddrman
from common.addrman import AddrMan
from common.args import ArgsManager, gArgs
from common.banman import DEFAULT_MISBEHAVING_BANTIME, DUMP_BANS_INTERVAL, BanMan
from common.chainparams import Params
from common.logging import LogInfo
from common.net_permissions import (
    ConnectionDirection,
    NetWhitebindPermissions,
    NetWhitelistPermissions,
)
from common.netbase import Lookup
from common.netgroup import NetGroupManager
from common.protocol import NODE_NETWORK, NODE_WITNESS, ServiceFlags
from common.random import FastRandomContext
from common.txmempool import CTxMemPool, MemPoolOptions
from common.validation import ChainstateManager
from common.validationinterface import ValidationSignals

from . import net
from .net import (
    DEFAULT_BLOCKSONLY,
    DEFAULT_LISTEN,
    DEFAULT_MAX_PEER_CONNECTIONS,
    DEFAULT_MAXRECEIVEBUFFER,
    DEFAULT_MAXSENDBUFFER,
    DEFAULT_PEER_CONNECT_TIMEOUT,
    DEFAULT_WHITELISTFORCERELAY,
    DEFAULT_WHITELISTRELAY,
    CConnman,
)
from .net_processing import CScheduler, PeerManager, Warnings

#: clientversion.h: the user agent name and the version it reports (CLIENT_VERSION 30.0.0).
UA_NAME = "Satoshi"
CLIENT_VERSION = 300000


def FormatSubVersion(name: str, nClientVersion: int, comments: list[str]) -> str:
    """clientversion.cpp: the BIP 14 user agent, "/Satoshi:30.0.0(comment; comment)/"."""
    version = f"{nClientVersion // 10000}.{nClientVersion // 100 % 100}.{nClientVersion % 100}"
    comment = f"({'; '.join(comments)})" if comments else ""
    return f"/{name}:{version}{comment}/"


class InitError(Exception):
    """What upstream reports with InitError() and a false return from AppInitMain."""


@dataclass(slots=True)
class InitOptions:
    """The P2P options, under bitcoind's names (``-maxconnections`` is ``maxconnections``)."""

    #: -datadir (the regtest network directory lives inside it, as upstream's "regtest/").
    datadir: Path
    listen: bool = DEFAULT_LISTEN
    #: -port; None means the chain's default port.
    port: int | None = None
    bind: list[str] = field(default_factory=list)
    whitebind: list[str] = field(default_factory=list)
    whitelist: list[str] = field(default_factory=list)
    connect: list[str] = field(default_factory=list)
    #: -noconnect (upstream: -connect negated).
    noconnect: bool = False
    addnode: list[str] = field(default_factory=list)
    seednode: list[str] = field(default_factory=list)
    maxconnections: int = DEFAULT_MAX_PEER_CONNECTIONS
    #: seconds
    bantime: int = DEFAULT_MISBEHAVING_BANTIME
    networkactive: bool = True
    #: seconds
    peertimeout: int = DEFAULT_PEER_CONNECT_TIMEOUT
    #: kilobytes, as upstream
    maxsendbuffer: int = DEFAULT_MAXSENDBUFFER
    maxreceivebuffer: int = DEFAULT_MAXRECEIVEBUFFER
    #: bytes per 24h, 0 = unlimited
    maxuploadtarget: int = 0
    whitelistrelay: bool = DEFAULT_WHITELISTRELAY
    whitelistforcerelay: bool = DEFAULT_WHITELISTFORCERELAY
    blocksonly: bool = DEFAULT_BLOCKSONLY
    uacomment: list[str] = field(default_factory=list)
    capturemessages: bool = False
    #: Test-only: fixed connman seeds, deterministic addrman and PeerManager randomness.
    deterministic: bool = False


@dataclass(slots=True)
class NodeContext:
    """node/context.h: the node's components, each owned here, wired by AppInitMain."""

    options: InitOptions
    netgroupman: NetGroupManager
    addrman: AddrMan
    banman: BanMan
    connman: CConnman
    chainman: ChainstateManager
    mempool: CTxMemPool
    validation_signals: ValidationSignals
    warnings: Warnings
    peerman: PeerManager
    #: The CConnman.Options StartNode passes to CConnman.Start.
    conn_options: CConnman.Options
    #: The process's options (what AppInitMain forced into them, on top of the user's).
    args: ArgsManager = field(default_factory=lambda: gArgs)
    #: Runs the periodic tasks once the node runs (StartNode's scheduler); stopped by Shutdown.
    scheduler: schedulerlib.CScheduler | None = None
    #: Asks the node to shut down (the ``stop`` RPC); True when the request was taken.
    shutdown_request: Callable[[], bool] | None = None


def GetDataDirNet(options: InitOptions) -> Path:
    """The regtest network directory inside -datadir (upstream's GetDataDirNet)."""
    return Path(options.datadir) / "regtest"


def AppInitMain(
    options: InitOptions, connman_type: Callable[..., CConnman] = CConnman
) -> NodeContext:
    """Build and wire the P2P components in upstream's order, without starting any thread.
    ``connman_type`` lets tests pass ConnmanTestMsg (upstream's TestingSetup does the same).
    Raises InitError for a bad option, with upstream's message."""
    chainparams = Params()
    datadir_net = GetDataDirNet(options)
    datadir_net.mkdir(parents=True, exist_ok=True)
    net.gArgs.ForceSetArg("-datadir", str(options.datadir))
    net.gArgs.ClearPathCache()
    net.gArgs.ForceSetArg("-bind", options.bind)
    net.gArgs.ForceSetArg("-whitebind", options.whitebind)
    if options.port is not None:
        net.gArgs.ForceSetArg("-port", str(options.port))
    net.gArgs.ForceSetArg("-seednode", options.seednode)
    net.gArgs.ForceSetArg("-capturemessages", "1" if options.capturemessages else "0")

    # ********************************************************* Step 6: network initialization
    net.strSubVersion = FormatSubVersion(UA_NAME, CLIENT_VERSION, options.uacomment)
    net.fListen = options.listen

    peerman_opts = PeerManager.Options(
        ignore_incoming_txs=options.blocksonly,
        capture_messages=options.capturemessages,
        deterministic_rng=options.deterministic,
    )

    LogInfo("Using /16 prefix for IP bucketing")
    netgroupman = NetGroupManager()
    addrman = LoadAddrman(netgroupman, datadir_net, deterministic=options.deterministic)

    rng = FastRandomContext(options.deterministic)
    banman = BanMan(datadir_net / "banlist", None, options.bantime)
    if options.deterministic:
        nSeed0, nSeed1 = 0x1337, 0x1337
    else:
        nSeed0, nSeed1 = rng.rand64(), rng.rand64()
    connman = connman_type(nSeed0, nSeed1, addrman, netgroupman, chainparams, options.networkactive)

    # ********************************************************* Step 7: load block chain
    validation_signals = ValidationSignals()
    mempool = CTxMemPool(MemPoolOptions(signals=validation_signals))
    chainman = ChainstateManager(
        chainparams, validation_signals, mempool=mempool, datadir=datadir_net
    )

    # ********************************************************* Step 8: start indexers
    warnings = Warnings()
    peerman = PeerManager.make(connman, addrman, banman, chainman, mempool, warnings, peerman_opts)
    validation_signals.RegisterValidationInterface(peerman)

    # ********************************************************* Step 12: start node
    tip = chainman.ActiveChain().Tip()
    assert tip is not None
    LogInfo("nBestHeight = %d", tip.nHeight)
    peerman.SetBestBlock(tip.nHeight, tip.GetBlockTime())

    conn_options = CConnman.Options()
    conn_options.m_local_services = ServiceFlags(NODE_NETWORK | NODE_WITNESS)
    conn_options.m_max_automatic_connections = options.maxconnections
    conn_options.m_banman = banman
    conn_options.m_msgproc = peerman
    conn_options.nSendBufferMaxSize = 1000 * options.maxsendbuffer
    conn_options.nReceiveFloodSize = 1000 * options.maxreceivebuffer
    conn_options.m_added_nodes = list(options.addnode)
    conn_options.nMaxOutboundLimit = options.maxuploadtarget
    conn_options.m_peer_connect_timeout = options.peertimeout
    conn_options.whitelist_forcerelay = options.whitelistforcerelay
    conn_options.whitelist_relay = options.whitelistrelay

    # Port to bind to if `-bind=addr` is provided without a `:port` suffix.
    default_bind_port = options.port if options.port is not None else chainparams.GetDefaultPort()
    for bind_arg in options.bind:
        bind_addr = Lookup(bind_arg, default_bind_port, False)
        if bind_addr is None:
            raise InitError(f"Cannot resolve -bind address: '{bind_arg}'")
        conn_options.vBinds.append(bind_addr)

    for strBind in options.whitebind:
        whitebind = NetWhitebindPermissions.TryParse(strBind)
        if isinstance(whitebind, str):
            raise InitError(whitebind)
        conn_options.vWhiteBinds.append(whitebind)

    # If the user did not specify -bind= or -whitebind= then we bind on any address.
    conn_options.bind_on_any = not options.bind and not options.whitebind

    for whitelist_arg in options.whitelist:
        parsed = NetWhitelistPermissions.TryParse(whitelist_arg)
        if isinstance(parsed, str):
            raise InitError(parsed)
        subnet, connection_direction = parsed
        if connection_direction & ConnectionDirection.In:
            conn_options.vWhitelistedRangeIncoming.append(subnet)
        if connection_direction & ConnectionDirection.Out:
            conn_options.vWhitelistedRangeOutgoing.append(subnet)

    conn_options.vSeedNodes = list(options.seednode)

    if options.connect or options.noconnect:
        # Do not initiate other outgoing connections when connecting to trusted nodes, or when
        # -noconnect is specified.
        conn_options.m_use_addrman_outgoing = False
        if options.connect != ["0"]:
            conn_options.m_specified_outgoing = list(options.connect)

    return NodeContext(
        options=options,
        netgroupman=netgroupman,
        addrman=addrman,
        banman=banman,
        connman=connman,
        chainman=chainman,
        mempool=mempool,
        validation_signals=validation_signals,
        warnings=warnings,
        peerman=peerman,
        conn_options=conn_options,
    )


def StartNode(node: NodeContext, scheduler: CScheduler | None = None) -> bool:
    """Step 12's end and step 13: start CConnman's threads, then PeerManager's scheduled tasks
    when a scheduler is given."""
    if not node.connman.Start(scheduler, node.conn_options):
        return False
    if scheduler is not None:
        scheduler.scheduleEvery(node.banman.DumpBanlist, DUMP_BANS_INTERVAL)
        node.peerman.StartScheduledTasks(scheduler)
    return True


def Interrupt(node: NodeContext) -> None:
    """init.cpp's Interrupt: ask the connection threads to stop."""
    node.connman.Interrupt()


def Shutdown(node: NodeContext) -> None:
    """The P2P part of init.cpp's Shutdown, in its order: unregister peerman, stop connman,
    stop the scheduler, write the ban list, then flush the chainstate (the block file)."""
    node.validation_signals.UnregisterValidationInterface(node.peerman)
    node.connman.Stop()
    # After everything that schedules tasks has stopped, before the last writes.
    if node.scheduler is not None:
        node.scheduler.stop()
    node.banman.DumpBanlist()
    for chainstate in node.chainman.GetAll():
        chainstate.ForceFlushStateToDisk()
