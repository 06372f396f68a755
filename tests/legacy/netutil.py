"""Shared pieces of the legacy/net tests: a recording NetEventsInterface double, node and connman
factories, and a CThreadInterrupt whose sleeps are short."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from common.addrman import AddrMan
from common.chainparams import Params
from common.connection_types import ConnectionType
from common.netbase import LookupNumeric
from common.netgroup import NetGroupManager
from common.nodeid import NodeId
from common.protocol import NODE_NONE, CAddress, NetMsgType, ServiceFlags
from common.serialize import DataStream
from common.sock import Sock
from legacy.net import (
    PROTOCOL_VERSION,
    CConnman,
    CNode,
    CNodeOptions,
    CSerializedNetMsg,
    CThreadInterrupt,
    NetEventsInterface,
)
from legacy.net_test_util import ConnmanTestMsg


@dataclass(slots=True)
class Received:
    """One message a RecordingMsgProc took from a node."""

    node: NodeId
    msg_type: str
    payload: bytes


@dataclass(slots=True)
class RecordingMsgProc(NetEventsInterface):
    """A NetEventsInterface test double: records every call, takes one message per
    ProcessMessages, answers version (sets nVersion and the common version), verack (marks the
    node connected) and, given a connman, ping (with a pong)."""

    connman: CConnman | None = None
    desirable: Callable[[ServiceFlags], bool] = lambda services: True
    calls: list[tuple[str, NodeId]] = field(default_factory=list)
    received: list[Received] = field(default_factory=list)
    finalized: list[CNode] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def InitializeNode(self, node: CNode, our_services: ServiceFlags) -> None:
        with self.lock:
            self.calls.append(("InitializeNode", node.GetId()))

    def FinalizeNode(self, node: CNode) -> None:
        with self.lock:
            self.calls.append(("FinalizeNode", node.GetId()))
            self.finalized.append(node)

    def HasAllDesirableServiceFlags(self, services: ServiceFlags) -> bool:
        return self.desirable(services)

    def ProcessMessages(self, pnode: CNode, interrupt: threading.Event) -> bool:
        polled = pnode.PollMessage()
        if polled is None:
            return False
        msg, more = polled
        payload = msg.m_recv.read_rest()
        with self.lock:
            self.calls.append(("ProcessMessages", pnode.GetId()))
            self.received.append(Received(pnode.GetId(), msg.m_type, payload))
        if msg.m_type == NetMsgType.VERSION:
            version = DataStream(payload).read_i32()
            pnode.nVersion = version
            pnode.SetCommonVersion(min(version, PROTOCOL_VERSION))
        elif msg.m_type == NetMsgType.VERACK:
            pnode.fSuccessfullyConnected = True
        elif msg.m_type == NetMsgType.PING and self.connman is not None:
            self.connman.PushMessage(pnode, CSerializedNetMsg(payload, NetMsgType.PONG))
        return more

    def SendMessages(self, pnode: CNode) -> bool:
        with self.lock:
            self.calls.append(("SendMessages", pnode.GetId()))
        return False

    def types_from(self, node: NodeId) -> list[str]:
        with self.lock:
            return [r.msg_type for r in self.received if r.node == node]


class FastInterrupt(CThreadInterrupt):
    """A CThreadInterrupt whose sleeps last at most 2 ms: the connection threads' 500 ms and
    60 s pauses would only slow the tests down; the order of events stays the same."""

    __slots__ = ()

    def sleep_for(self, rel_time: int) -> bool:
        return super().sleep_for(min(rel_time, 2))


def make_connman(msgproc: NetEventsInterface | None = None) -> ConnmanTestMsg:
    netgroupman = NetGroupManager()
    connman = ConnmanTestMsg(
        0x1337, 0x1337, AddrMan(netgroupman, deterministic=True), netgroupman, Params()
    )
    if msgproc is not None:
        connman.SetMsgProc(msgproc)
    return connman


def make_node(
    node_id: int,
    addr: str = "1.2.3.4:8333",
    conn_type: ConnectionType = ConnectionType.INBOUND,
    sock: Sock | None = None,
    opts: CNodeOptions | None = None,
    name: str = "",
) -> CNode:
    return CNode(
        NodeId(node_id),
        sock,
        CAddress(LookupNumeric(addr), NODE_NONE),
        0,
        node_id,
        LookupNumeric("127.0.0.1:18444"),
        name,
        conn_type,
        False,
        opts,
    )


def wait_until(predicate: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.005)
