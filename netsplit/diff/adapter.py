"""Driving one variant's node through its public API, single-threaded.

The driver speaks in scenario terms (a peer connects, bytes arrive, an RPC runs); this adapter
turns each into calls on the variant's CConnman, PeerManager, BanMan and chain stand-in,
exactly where upstream's threads and RPC handlers would make them:

* the node is built by the variant's own composition root (``init.AppInitMain``), with
  ConnmanTestMsg as the connman and CConnman.Init plus the semaphores standing in for
  ``Start`` (which would launch threads);
* an inbound peer arrives through ``CreateNodeFromAcceptedSocket`` (ban checks, eviction), an
  outbound one through ``AddConnection`` / ``OpenNetworkConnection`` with ``CreateSock``
  handing out the peer's fake socket, as upstream's tests replace it;
* I/O goes through ``SocketHandlerConnected`` and ``DisconnectNodes`` (the socket thread's
  round), messages through ``ProcessMessages`` / ``SendMessages`` for each node (the message
  handler's round), and the scheduler's tasks run from a mock scheduler when due.

Everything a variant may change about its internals stays behind this class; a variant whose
public API differs (split/, once the message loop moves to PeerManager) gets its own adapter.
"""

from __future__ import annotations

import dataclasses
import heapq
import itertools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import common.sock
from common.clock import GetTime
from common.connection_types import ConnectionType, ConnectionTypeAsString, TransportTypeAsString
from common.net_permissions import NetPermissionFlags, NetPermissions, NetWhitelistPermissions
from common.netaddress import CNetAddr, CService, CSubNet
from common.netbase import (
    GetNetworkName,
    LookupHost,
    LookupNumeric,
    LookupSubNet,
    MaybeFlipIPv6toCJDNS,
)
from common.nodeid import NodeId
from common.protocol import serviceFlagsToStr
from common.sock import Events, Sock, SockEvent

from . import chainops
from .fakesock import ScriptedSock
from .scenario import PeerLabel
from .trace import Json
from .variant import Variant

#: Where our side of every connection is bound.
LOCAL_BIND: Final = "127.0.0.1:18444"
#: Upper bound on socket+message rounds while a node settles after an event.
MAX_SETTLE_ROUNDS: Final = 400
UNBAN_FAILED: Final = (
    "Error: Unban failed. Requested address/subnet was not previously manually banned."
)
#: Default port of regtest peers named without one.
DEFAULT_PORT: Final = 18444


class MockScheduler:
    """Upstream's CScheduler over mock time: tasks run when the driver says time has come.

    Delays are in seconds (what the variants pass). A task that fell due several times during
    one clock jump runs once, then is rescheduled from the new time, as a scheduler that was
    busy would."""

    __slots__ = ("_queue", "_seq")

    _queue: list[tuple[int, int, Callable[[], None], int | None]]
    _seq: itertools.count[int]

    def __init__(self) -> None:
        self._queue = []
        self._seq = itertools.count()

    def scheduleEvery(self, f: Callable[[], None], delta: int) -> None:
        heapq.heappush(self._queue, (GetTime() + delta, next(self._seq), f, delta))

    def scheduleFromNow(self, f: Callable[[], None], delta: int) -> None:
        heapq.heappush(self._queue, (GetTime() + delta, next(self._seq), f, None))

    def run_due(self, now: int) -> int:
        """Run every task due at ``now`` or earlier, in due order; how many ran."""
        due = []
        while self._queue and self._queue[0][0] <= now:
            due.append(heapq.heappop(self._queue))
        for _when, _seq, f, every in due:
            f()
            if every is not None:
                heapq.heappush(self._queue, (now + every, next(self._seq), f, every))
        return len(due)


@dataclass(slots=True)
class _Connection:
    label: PeerLabel
    sock: ScriptedSock
    node_id: NodeId | None


@dataclass(slots=True)
class LegacyLayoutAdapter:
    """A node of any variant with legacy's public API (legacy itself and migration stages)."""

    variant: Variant
    datadir: Path
    max_connections: int
    ctx: Any = None
    connman: Any = None
    peerman: Any = None
    scheduler: MockScheduler = field(default_factory=MockScheduler)
    #: Every connection the scenario opened, by peer label.
    connections: dict[PeerLabel, _Connection] = field(default_factory=dict)

    # -- life cycle -----------------------------------------------------------------------------

    def start(self) -> None:
        net, init, test_util = self.variant.net, self.variant.init, self.variant.net_test_util
        clear_local = getattr(net, "ClearLocal", None)
        if callable(clear_local):
            clear_local()  # mapLocalHost is per process; a run starts without local addresses
        options = init.InitOptions(
            datadir=self.datadir,
            listen=False,
            deterministic=True,
            maxconnections=self.max_connections,
        )
        self.ctx = init.AppInitMain(options, connman_type=test_util.ConnmanTestMsg)
        self.connman = self.ctx.connman
        self.peerman = self.ctx.peerman
        # CConnman.Start without its threads: the options, then the connection semaphores.
        self.connman.Init(self.ctx.conn_options)
        self.connman.semOutbound = _semaphore(
            min(self.connman.m_max_automatic_outbound, self.connman.m_max_automatic_connections)
        )
        self.connman.semAddnode = _semaphore(self.connman.m_max_addnode)
        self.peerman.StartScheduledTasks(self.scheduler)

    def stop(self) -> None:
        """Disconnect everything now, so nothing is left for a garbage collector to finalize
        in the middle of a later run."""
        if self.connman is not None:
            self.connman.Interrupt()
            self.connman.StopNodes()
        if self.ctx is not None:
            self.ctx.validation_signals.UnregisterValidationInterface(self.peerman)

    # -- connections ----------------------------------------------------------------------------

    def connect(
        self,
        label: PeerLabel,
        conn_type: ConnectionType,
        address: str,
        permissions: NetPermissionFlags,
    ) -> _Connection:
        sock = ScriptedSock()
        conn = _Connection(label, sock, None)
        self.connections[label] = conn
        service = LookupNumeric(address, DEFAULT_PORT)
        if conn_type == ConnectionType.INBOUND:
            self.connman.CreateNodeFromAcceptedSocket(
                sock, permissions, LookupNumeric(LOCAL_BIND), service
            )
        elif conn_type == ConnectionType.MANUAL:
            self.add_node_onetry(address, sock, permissions)
        else:
            with _create_sock_returns(sock):
                self.connman.AddConnection(address, conn_type)
        conn.node_id = self._node_id_of(sock)
        return conn

    def add_node_onetry(
        self,
        address: str,
        sock: ScriptedSock,
        permissions: NetPermissionFlags = NetPermissionFlags.None_,
    ) -> None:
        """``addnode <address> onetry``: a manual connection at once, outside the added-node
        list. Permissions come from a -whitelist=out range for exactly this address."""
        saved = list(self.connman.vWhitelistedRangeOutgoing)
        if permissions:
            entry = NetWhitelistPermissions()
            entry.m_flags = permissions
            entry.m_subnet = LookupSubNet(LookupNumeric(address, DEFAULT_PORT).ToStringAddr())
            self.connman.vWhitelistedRangeOutgoing = [*saved, entry]
        try:
            with _create_sock_returns(sock):
                self.connman.OpenNetworkConnection(
                    _net_caddress(self.variant),
                    False,
                    self.variant.net.CountingSemaphoreGrant(),
                    address,
                    ConnectionType.MANUAL,
                    False,
                )
        finally:
            self.connman.vWhitelistedRangeOutgoing = saved

    def _node_id_of(self, sock: ScriptedSock) -> NodeId | None:
        for node in list(self.connman.m_nodes):
            if node.m_sock is sock:
                return NodeId(int(node.GetId()))
        return None

    def live_node_ids(self) -> set[NodeId]:
        return {NodeId(int(n.GetId())) for n in list(self.connman.m_nodes)}

    # -- bookkeeping a leak check reads (not RPC-visible) ---------------------------------------

    def peer_counts(self) -> dict[str, int]:
        """How many connections each layer still holds: CConnman's live and disconnected
        nodes, PeerManager's Peers and CNodeStates. Once a peer is gone, each returns to what
        it was before the peer came; anything more is a leak."""
        return {
            "nodes": len(self.connman.m_nodes),
            "nodes_disconnected": len(self.connman.m_nodes_disconnected),
            "peers": len(self.peerman.m_peer_map),
            "node_states": len(self.peerman.m_node_states),
        }

    def is_discouraged(self, address: str) -> bool:
        """BanMan::IsDiscouraged for a peer's "ip:port" (discouragement is not in listbanned)."""
        return bool(self.ctx.banman.IsDiscouraged(LookupNumeric(address, DEFAULT_PORT)))

    def flow_control(self, label: PeerLabel) -> dict[str, Json] | None:
        """A live peer's CNode flow control: fPauseRecv / fPauseSend and the bytes they are
        computed from (the process queue's memory usage; the send queue's and the transport's).
        None once the peer is gone."""
        conn = self.connections.get(label)
        for node in list(self.connman.m_nodes):
            if conn is not None and node.m_sock is conn.sock:
                return {
                    "fPauseRecv": bool(node.fPauseRecv),
                    "fPauseSend": bool(node.fPauseSend),
                    "recv_queue_bytes": int(node.m_msg_process_queue_size),
                    "send_queue_bytes": int(
                        node.m_send_memusage + node.m_transport.GetSendMemoryUsage()
                    ),
                }
        return None

    def orphans(self, labels: dict[NodeId, PeerLabel]) -> list[Json]:
        """getorphantxs (verbosity 1): each orphan's wtxid, weight and announcing peers (as
        scenario labels), sorted by wtxid."""
        from common.consensus_validation import GetTransactionWeight

        rows: list[tuple[str, Json]] = []
        for info in self.peerman.GetOrphanTransactions():
            wtxid = info.tx.GetWitnessHash().GetHex()
            announcers = sorted(int(labels.get(NodeId(int(n)), -1)) for n in info.announcers)
            rows.append(
                (
                    wtxid,
                    {
                        "wtxid": wtxid,
                        "weight": int(GetTransactionWeight(info.tx)),
                        "from": list[Json](announcers),
                    },
                )
            )
        return [row for _, row in sorted(rows, key=lambda r: r[0])]

    # -- running ---------------------------------------------------------------------------------

    def socket_round(self) -> tuple[int, int]:
        """One round of the socket thread: drop disconnected nodes, then send and receive on
        every ready socket. Returns (bytes received, bytes sent)."""
        connman = self.connman
        connman.DisconnectNodes()
        nodes = list(connman.m_nodes)
        before_recv = connman.GetTotalBytesRecv()
        before_sent = connman.GetTotalBytesSent()
        events = connman.GenerateWaitSockets(nodes)
        for sock, ev in events.items():
            if isinstance(sock, ScriptedSock):
                occurred = sock.Wait(0, ev.requested)
                ev.occurred = occurred if occurred is not None else SockEvent(0)
        # Inactivity checks run for every node, ready or not, as after a poll timeout.
        for node in nodes:
            if node.m_sock is not None and node.m_sock not in events:
                events[node.m_sock] = Events(SockEvent(0))
        connman.SocketHandlerConnected(nodes, events)
        return (
            connman.GetTotalBytesRecv() - before_recv,
            connman.GetTotalBytesSent() - before_sent,
        )

    def message_round(self) -> bool:
        """One round of the message handler over every node; whether any has more work."""
        more = False
        for node in list(self.connman.m_nodes):
            if node.fDisconnect:
                continue
            more_node = self.connman.ProcessMessagesOnce(node)
            more |= bool(more_node) and not node.fPauseSend
            self.connman.SendMessagesOnce(node)
        return more

    def settle(self) -> int:
        """Rounds of I/O and message handling until nothing moves; how many ran."""
        rounds = 0
        quiet = 0
        while rounds < MAX_SETTLE_ROUNDS:
            rounds += 1
            nodes_before = len(self.connman.m_nodes)
            received, sent = self.socket_round()
            more = self.message_round()
            moved = received or sent or more or len(self.connman.m_nodes) != nodes_before
            # Two quiet rounds in a row: the second flushes what the first queued.
            quiet = 0 if moved else quiet + 1
            if quiet >= 2:
                break
        self.connman.DisconnectNodes()
        return rounds

    def run_due_tasks(self) -> int:
        return self.scheduler.run_due(GetTime())

    # -- RPC -------------------------------------------------------------------------------------

    def disconnectnode(self, label: PeerLabel, by_address: bool) -> Json:
        conn = self.connections.get(label)
        if conn is None or conn.node_id is None:
            return {"error": "Node not found in connected nodes"}
        if by_address:
            target: Any = self._address_of(conn)
            if target is None:
                return {"error": "Node not found in connected nodes"}
        else:
            target = conn.node_id
        ok = self.connman.DisconnectNode(target)
        return None if ok else {"error": "Node not found in connected nodes"}

    def _address_of(self, conn: _Connection) -> str | None:
        for node in list(self.connman.m_nodes):
            if int(node.GetId()) == conn.node_id:
                name = node.m_addr_name
                return str(name) if name else str(node.addr.ToStringAddrPort())
        return None

    def setban(self, subnet_text: str, command: str, bantime: int) -> Json:
        """rpc/net.cpp's setban: ban (and disconnect) or unban an address or a subnet."""
        banman = self.ctx.banman
        target: CNetAddr | CSubNet
        if "/" in subnet_text:
            target = LookupSubNet(subnet_text)
            valid = target.IsValid()
        else:
            host = LookupHost(subnet_text, False)
            target = CNetAddr() if host is None else MaybeFlipIPv6toCJDNS(CService(host, 0))
            valid = host is not None and target.IsValid()
        if not valid:
            return {"error": "Error: Invalid IP/Subnet"}
        if command == "add":
            if banman.IsBanned(target):
                return {"error": "Error: IP/Subnet already banned"}
            banman.Ban(target, bantime, False)
            self.connman.DisconnectNode(target)
            return None
        if not banman.Unban(target):
            return {"error": UNBAN_FAILED}
        return None

    def clearbanned(self) -> Json:
        self.ctx.banman.ClearBanned()
        return None

    def addnode(self, label: PeerLabel, address: str, command: str) -> Json:
        net = self.variant.net
        if command == "onetry":
            sock = ScriptedSock()
            conn = _Connection(label, sock, None)
            self.connections[label] = conn
            self.add_node_onetry(address, sock)
            conn.node_id = self._node_id_of(sock)
            return None
        if command == "add":
            if not self.connman.AddNode(net.AddedNodeParams(address, False)):
                return {"error": "Error: Node already added"}
            return None
        if not self.connman.RemoveAddedNode(address):
            return {"error": "Error: Node could not be removed. It has not been added previously."}
        return None

    def setnetworkactive(self, active: bool) -> Json:
        self.connman.SetNetworkActive(active)
        return bool(self.connman.GetNetworkActive())

    def mine(self, n: int) -> Json:
        return chainops.mine(self.ctx, n)

    def submit_transaction(self, tx: bytes) -> Json:
        return chainops.submit_transaction(self.ctx, tx)

    # -- what RPC shows --------------------------------------------------------------------------

    def snapshot(self, labels: dict[NodeId, PeerLabel]) -> dict[str, Json]:
        return {
            "peers": self._peer_info(labels),
            "net": self._net_totals(),
            "banned": self._banned(),
            "added_nodes": self._added_nodes(),
            "chain": chainops.chain_state(self.ctx),
            "mempool": chainops.mempool_state(self.ctx),
            "addrman": _addrman_state(self.ctx.addrman),
        }

    def _peer_info(self, labels: dict[NodeId, PeerLabel]) -> list[Json]:
        net, np = self.variant.net, self.variant.net_processing
        vstats: list[Any] = []
        self.connman.GetNodeStats(vstats)
        out: list[Json] = []
        for stats in sorted(vstats, key=lambda s: int(s.nodeid)):
            state = np.CNodeStateStats()
            have_state = bool(self.peerman.GetNodeStateStats(stats.nodeid, state))
            out.append(_getpeerinfo(stats, state if have_state else None, labels, net))
        return out

    def _net_totals(self) -> dict[str, Json]:
        c = self.connman
        from common.netbase import ConnectionDirection

        return {
            "connections_in": int(c.GetNodeCount(ConnectionDirection.In)),
            "connections_out": int(c.GetNodeCount(ConnectionDirection.Out)),
            "networkactive": bool(c.GetNetworkActive()),
            "totalbytesrecv": int(c.GetTotalBytesRecv()),
            "totalbytessent": int(c.GetTotalBytesSent()),
            "localservices": int(c.GetLocalServices()),
        }

    def _banned(self) -> list[Json]:
        out: list[Json] = []
        for subnet, entry in self.ctx.banman.GetBanned().items():
            out.append(
                {
                    "address": subnet.ToString(),
                    "ban_created": int(entry.nCreateTime),
                    "banned_until": int(entry.nBanUntil),
                }
            )
        return out

    def _added_nodes(self) -> list[Json]:
        out: list[Json] = []
        for info in self.connman.GetAddedNodeInfo(True):
            out.append(
                {
                    "addednode": info.m_params.m_added_node,
                    "connected": bool(info.fConnected),
                    "inbound": bool(info.fInbound) if info.fConnected else None,
                    "resolved": info.resolvedAddress.ToStringAddrPort()
                    if info.fConnected
                    else None,
                }
            )
        return out


def _semaphore(n: int) -> Any:
    import threading

    return threading.Semaphore(n)


def _net_caddress(variant: Variant) -> Any:
    from common.protocol import NODE_NONE, CAddress

    return CAddress(CService(), NODE_NONE)


@contextmanager
def _create_sock_returns(sock: Sock) -> Iterator[None]:
    """Replace common.sock.CreateSock (upstream's test seam) so the next connection attempt
    gets ``sock``; anything after the first gets nothing (a failed connect)."""
    handed: list[Sock] = [sock]

    def create(domain: int, type_: int, protocol: int) -> Sock | None:
        return handed.pop() if handed else None

    saved = common.sock.CreateSock
    common.sock.CreateSock = create
    try:
        yield
    finally:
        common.sock.CreateSock = saved


_MICROS_MAX: Final = (1 << 63) - 1


class _Stats:
    """One peer's CNodeStats and CNodeStateStats seen as one record: a field is read from
    whichever struct has it. A migration may move a field from one to the other (when it moves
    from CNode to Peer); getpeerinfo shows it all the same, and so does the trace."""

    __slots__ = ("_values",)

    def __init__(self, *sources: Any) -> None:
        values: dict[str, Any] = {}
        for source in reversed([s for s in sources if s is not None]):
            values.update(_fields_of(source))
        self._values = values

    def __getattr__(self, name: str) -> Any:
        try:
            return self._values[name]
        except KeyError:
            raise AttributeError(f"neither CNodeStats nor CNodeStateStats has {name}") from None


def _fields_of(obj: Any) -> dict[str, Any]:
    if dataclasses.is_dataclass(obj):
        return {f.name: getattr(obj, f.name) for f in dataclasses.fields(obj)}
    names: list[str] = []
    for cls in type(obj).__mro__:
        names += list(getattr(cls, "__slots__", ()))
    out = {n: getattr(obj, n) for n in names if hasattr(obj, n)}
    out.update(getattr(obj, "__dict__", {}))
    return out


def _getpeerinfo(
    stats_: Any, state_: Any, labels: dict[NodeId, PeerLabel], net: Any
) -> dict[str, Json]:
    """rpc/net.cpp's getpeerinfo entry, under its field names, in exact integer units
    (microseconds for ping times, where RPC shows seconds as a float)."""
    s = _Stats(stats_, state_)
    node_id = NodeId(int(s.nodeid))
    label = labels.get(node_id)
    obj: dict[str, Json] = {
        "peer": None if label is None else int(label),
        "id": int(node_id),
        "addr": s.m_addr_name or s.addr.ToStringAddrPort(),
        "addrbind": s.addrBind.ToStringAddrPort() if s.addrBind.IsValid() else None,
        "addrlocal": s.addrLocal or None,
        "network": GetNetworkName(s.m_network),
        "mapped_as": int(s.m_mapped_as),
        "lastsend": int(s.m_last_send),
        "lastrecv": int(s.m_last_recv),
        "last_transaction": int(s.m_last_tx_time),
        "last_block": int(s.m_last_block_time),
        "bytessent": int(s.nSendBytes),
        "bytesrecv": int(s.nRecvBytes),
        "conntime": int(s.m_connected),
        "pingtime": int(s.m_last_ping_time) if s.m_last_ping_time > 0 else None,
        "minping": int(s.m_min_ping_time) if s.m_min_ping_time < _MICROS_MAX else None,
        "version": int(s.nVersion),
        "subver": str(s.cleanSubVer),
        "inbound": bool(s.fInbound),
        "bip152_hb_to": bool(s.m_bip152_highbandwidth_to),
        "bip152_hb_from": bool(s.m_bip152_highbandwidth_from),
        "permissions": list[Json](NetPermissions.ToStrings(s.m_permission_flags)),
        "bytessent_per_msg": {k: int(v) for k, v in sorted(s.mapSendBytesPerMsgType.items())},
        "bytesrecv_per_msg": {k: int(v) for k, v in sorted(s.mapRecvBytesPerMsgType.items())},
        "connection_type": ConnectionTypeAsString(s.m_conn_type),
        "transport_protocol_type": TransportTypeAsString(s.m_transport_type),
        "session_id": str(s.m_session_id),
    }
    if state_ is not None:
        obj.update(
            {
                "services": f"{int(s.their_services):016x}",
                "servicesnames": list[Json](serviceFlagsToStr(int(s.their_services))),
                "relaytxes": bool(s.m_relay_txs),
                "timeoffset": int(s.time_offset),
                "pingwait": int(s.m_ping_wait) if s.m_ping_wait > 0 else None,
                "startingheight": int(s.m_starting_height),
                "presynced_headers": int(s.presync_height),
                "synced_headers": int(s.nSyncHeight),
                "synced_blocks": int(s.nCommonHeight),
                "inflight": [int(h) for h in s.vHeightInFlight],
                "addr_relay_enabled": bool(s.m_addr_relay_enabled),
                "addr_processed": int(s.m_addr_processed),
                "addr_rate_limited": int(s.m_addr_rate_limited),
                "minfeefilter": int(s.m_fee_filter_received),
            }
        )
    return obj


def _addrman_state(addrman: Any) -> dict[str, Json]:
    """What getnodeaddresses / getrawaddrman would show: every address with its services,
    time, table and attempt counters. Read directly from the shared AddrMan's map, because its
    public getters either draw from its random generator (GetAddr: that would change what the
    node does next) or walk every bucket (GetEntries: too slow to run after every event)."""
    with addrman.cs:
        infos = list(addrman.mapInfo.values())
    addresses: list[Json] = []
    addresses += sorted(
        f"{a.ToStringAddrPort()} services={int(a.nServices):x} time={int(a.nTime)} "
        f"tried={int(bool(a.fInTried))} attempts={int(a.nAttempts)} "
        f"last_try={int(a.m_last_try)} last_success={int(a.m_last_success)} "
        f"source={a.source.ToStringAddr()}"
        for a in infos
    )
    return {"size": len(infos), "addresses": addresses}
