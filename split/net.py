"""Connections: CNode, the v1 transport, CConnman and its threads (src/net.h, src/net.cpp).

Definitions follow upstream's order: net.h's constants and declarations first, then net.cpp's
file-local constants and the implementations, each method inside its class.

Representation choices, the same everywhere in this module:

- ``std::atomic<T>`` members are plain attributes: a single read or write of a Python attribute is
  atomic. Read-modify-write updates (``nRefCount++``, ``nLastNodeId.fetch_add``) take
  ``_g_atomic_lock``.
- ``Mutex`` is ``threading.Lock`` and ``RecursiveMutex`` is ``threading.RLock``, under upstream's
  names; ``GUARDED_BY`` annotations are comments.
- Out-parameters become return values (``ReceiveMsgBytes`` returns ``(ok, complete)``,
  ``ReceivedBytes`` returns ``(ok, rest)``), except where upstream fills a caller's object
  (``CopyStats``, ``GetNodeStats``).
- Times are ints: seconds for ``std::chrono::seconds``/``minutes``/``hours`` (the comment says so),
  microseconds for ``std::chrono::microseconds``, milliseconds for the socket waits.
- BIP324 (``V2Transport``), Tor/I2P proxies and sessions, DNS seeds and UPnP/PCP are not ported:
  every connection speaks v1 and connects directly.
"""

from __future__ import annotations

import hashlib
import os
import socket
import threading
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar, Final, Protocol

from common import logging as bclogging
from common import netbase
from common import sock as socklib
from common.addrdb import DumpAnchors, DumpPeerAddresses, ReadAnchors
from common.addrman import AddrMan
from common.args import gArgs as gArgs  # re-exported: net.gArgs, as upstream's global
from common.banman import BanMan
from common.chainparams import CChainParams, Params
from common.clock import GetTime, GetTimeMicros, NodeClock, SteadyClock
from common.connection_types import ConnectionType, TransportProtocolType
from common.connection_types import ConnectionTypeAsString as _ConnectionTypeAsString
from common.eviction import NodeEvictionCandidate, SelectNodeToEvict
from common.logging import BCLog, LogDebug, LogInfo, LogPrintf, LogPrintLevel
from common.net_permissions import (
    ConnectionDirection,
    NetPermissionFlags,
    NetPermissions,
    NetWhitebindPermissions,
    NetWhitelistPermissions,
)
from common.netaddress import CNetAddr, CService, CSubNet, Network
from common.netbase import (
    GetNetworkName,
    HaveNameProxy,
    IsBadPort,
    Lookup,
    LookupNumeric,
    MaybeFlipIPv6toCJDNS,
    g_reachable_nets,
)
from common.netgroup import NetGroupManager
from common.nodeid import NodeId
from common.protocol import (
    ALL_NET_MESSAGE_TYPES,
    NODE_NONE,
    NODE_P2P_V2,
    CAddress,
    CMessageHeader,
    MayHaveUsefulAddressDB,
    MessageStartChars,
    SeedsServiceFlags,
    ServiceFlags,
)
from common.random import FastRandomContext
from common.serialize import MAX_SIZE, DataStream, SerializationError, ser_u32, ser_u64
from common.siphash import CSipHasher
from common.sock import (
    MSG_DONTWAIT,
    MSG_MORE,
    MSG_NOSIGNAL,
    SOCKET_ERROR,
    WSAEADDRINUSE,
    WSAEINPROGRESS,
    WSAEINTR,
    WSAEMSGSIZE,
    WSAEWOULDBLOCK,
    Events,
    EventsPerSock,
    NetworkErrorString,
    Sock,
    SockEvent,
    WSAGetLastError,
    service_from_sockaddr,
)
from common.thread import TraceThread
from common.uint256 import uint256

from .interfaces import (
    TIMEOUT_INTERVAL,
    CNetMessage,
    CSerializedNetMsg,
    NetEventsInterface,
    NetManagerEvents,
    PeerEvictionInputs,
    PeerOptions,
)

# -------------------------------------------------------------------------------------------------
# net.h: constants

#: Run the feeler connection loop once every 2 minutes; seconds (upstream: 2min).
FEELER_INTERVAL: Final = 2 * 60
#: Run the extra block-relay-only connection loop once every 5 minutes; seconds (upstream: 5min).
EXTRA_BLOCK_RELAY_ONLY_PEER_INTERVAL: Final = 5 * 60
#: Maximum length of incoming protocol messages (no message over 4 MB is currently acceptable).
MAX_PROTOCOL_MESSAGE_LENGTH: Final = 4 * 1000 * 1000
#: Automatic outgoing connections over which everything (blocks, txs, addrs) is relayed.
MAX_OUTBOUND_FULL_RELAY_CONNECTIONS: Final = 8
#: Maximum number of addnode outgoing nodes.
MAX_ADDNODE_CONNECTIONS: Final = 8
#: Maximum number of block-relay-only outgoing connections.
MAX_BLOCK_RELAY_ONLY_CONNECTIONS: Final = 2
#: Maximum number of feeler connections.
MAX_FEELER_CONNECTIONS: Final = 1
#: -listen default.
DEFAULT_LISTEN: Final = True
#: The maximum number of peer connections to maintain.
DEFAULT_MAX_PEER_CONNECTIONS: Final = 125
#: The default for -maxuploadtarget. 0 = Unlimited.
DEFAULT_MAX_UPLOAD_TARGET: Final = "0M"
#: -peertimeout default; seconds.
DEFAULT_PEER_CONNECT_TIMEOUT: Final = 60
#: Number of file descriptors required for message capture.
NUM_FDS_MESSAGE_CAPTURE: Final = 1
#: Interval for ASMap Health Check; seconds (upstream: std::chrono::hours{24}).
ASMAP_HEALTH_CHECK_INTERVAL: Final = 24 * 60 * 60

DEFAULT_FORCEDNSSEED: Final = False
DEFAULT_DNSSEED: Final = True
DEFAULT_FIXEDSEEDS: Final = True
DEFAULT_MAXRECEIVEBUFFER: Final = 5 * 1000
DEFAULT_MAXSENDBUFFER: Final = 1 * 1000

DEFAULT_V2_TRANSPORT: Final = True

# node/protocol_version.h and net_permissions.h values net.cpp uses.
DEFAULT_WHITELISTRELAY: Final = True
DEFAULT_WHITELISTFORCERELAY: Final = False
#: consensus/consensus.h: the largest serialized block, used by the upload-target buffer.
MAX_BLOCK_SERIALIZED_SIZE: Final = 4_000_000
#: clientversion.h's CLIENT_NAME, as the bind error message names it.
CLIENT_NAME: Final = "Bitcoin Core"

#: RMW updates of upstream's std::atomic members (reference counts, id counter, byte totals).
_g_atomic_lock: Final = threading.Lock()

_MICROS_PER_SECOND: Final = 1_000_000


@dataclass(slots=True)
class AddedNodeParams:
    m_added_node: str
    m_use_v2transport: bool


@dataclass(slots=True)
class AddedNodeInfo:
    m_params: AddedNodeParams
    resolvedAddress: CService
    fConnected: bool
    fInbound: bool


# -------------------------------------------------------------------------------------------------
# Stand-ins for util/ classes net.h uses: CThreadInterrupt, CountingSemaphoreGrant. (gArgs is
# common.args's ArgsManager, imported above.)


def _datadir_net() -> Path | None:
    """``gArgs.GetDataDirNet()`` where net.cpp reads it (peers.dat, anchors.dat, captured
    messages), or None when no -datadir is set: a CConnman that a unit test builds without a
    data directory writes no files (upstream's test setups always set one; the node's main sets
    -datadir before building anything)."""
    if not gArgs.IsArgSet("-datadir"):
        return None
    return gArgs.GetDataDirNet()


class CThreadInterrupt:
    """util/threadinterrupt.h: a flag threads poll, and interruptible sleeps.

    ``sleep_for`` waits on the steady clock (never mock time), as upstream's condition variable
    does; the duration is in milliseconds. Returns False when interrupted."""

    __slots__ = ("_event",)

    _event: threading.Event

    def __init__(self) -> None:
        self._event = threading.Event()

    def __bool__(self) -> bool:
        return self._event.is_set()

    def reset(self) -> None:
        self._event.clear()

    def __call__(self) -> None:
        self._event.set()

    def sleep_for(self, rel_time: int) -> bool:
        """Sleep ``rel_time`` milliseconds unless interrupted first; True if not interrupted."""
        return not self._event.wait(max(rel_time, 0) / 1000)


class CountingSemaphoreGrant:
    """semaphore_grant.h: a grant of one slot of a ``std::counting_semaphore``
    (``threading.Semaphore`` here). Upstream releases it in the destructor; Python callers
    release explicitly (``try/finally``), and ``move()`` stands for ``std::move``."""

    __slots__ = ("fHaveGrant", "sem")

    sem: threading.Semaphore | None
    fHaveGrant: bool

    def __init__(self, sema: threading.Semaphore | None = None, fTry: bool = False) -> None:
        self.sem = sema
        self.fHaveGrant = False
        if sema is not None:
            if fTry:
                self.TryAcquire()
            else:
                self.Acquire()

    def Acquire(self) -> None:
        if self.fHaveGrant:
            return
        assert self.sem is not None
        self.sem.acquire()
        self.fHaveGrant = True

    def Release(self) -> None:
        if not self.fHaveGrant:
            return
        assert self.sem is not None
        self.sem.release()
        self.fHaveGrant = False

    def TryAcquire(self) -> bool:
        if not self.fHaveGrant and self.sem is not None and self.sem.acquire(blocking=False):
            self.fHaveGrant = True
        return self.fHaveGrant

    def move(self) -> CountingSemaphoreGrant:
        """The move constructor: a new grant takes over this one's slot; this one is left empty."""
        other = CountingSemaphoreGrant()
        other.sem = self.sem
        other.fHaveGrant = self.fHaveGrant
        self.fHaveGrant = False
        self.sem = None
        return other

    def __bool__(self) -> bool:
        return self.fHaveGrant


class CClientUIInterface(Protocol):
    """The part of node/interface_ui.h that CConnman notifies."""

    def NotifyNumConnectionsChanged(self, newNumConnections: int) -> None: ...

    def NotifyNetworkActiveChanged(self, networkActive: bool) -> None: ...

    def ThreadSafeMessageBox(self, message: str, caption: str, style: int) -> bool: ...

    def InitMessage(self, message: str) -> None: ...


#: CClientUIInterface::MSG_ERROR.
MSG_ERROR: Final = 0x10000000 | 2


class CScheduler(Protocol):
    """The part of scheduler.h that CConnman::Start uses; ``delta`` is in seconds."""

    def scheduleEvery(self, f: Callable[[], None], delta: int) -> None: ...


# -------------------------------------------------------------------------------------------------
# net.h: messages, local addresses


def Discover() -> None:
    """Look up our interfaces' addresses and advertise them. Not ported: a workbench node
    advertises only what -bind and peers tell it (``fDiscover`` still gates AddLocal)."""
    if not fDiscover:
        return


def GetListenPort() -> int:
    # -bind=addr:port sets it (the first one that has a port).
    for bind_arg in gArgs.GetArgs("-bind"):
        dummy_port = 0
        bind_addr = Lookup(bind_arg, dummy_port, False)
        if bind_addr is not None and bind_addr.GetPort() != dummy_port:
            return bind_addr.GetPort()

    # Else a -whitebind without NoBan (it always has a port).
    for whitebind_arg in gArgs.GetArgs("-whitebind"):
        whitebind = NetWhitebindPermissions.TryParse(whitebind_arg)
        if not isinstance(whitebind, str) and not NetPermissions.HasFlag(
            whitebind.m_flags, NetPermissionFlags.NoBan
        ):
            return whitebind.m_service.GetPort()

    # Else -port, else the network's default port.
    return gArgs.GetIntArg("-port", Params().GetDefaultPort()) & 0xFFFF


LOCAL_NONE: Final = 0  # unknown
LOCAL_IF: Final = 1  # address a local interface listens on
LOCAL_BIND: Final = 2  # address explicit bound to
LOCAL_MAPPED: Final = 3  # address reported by PCP
LOCAL_MANUAL: Final = 4  # address explicitly specified (-externalip=)
LOCAL_MAX: Final = 5


def _NetAddrOf(addr: CNetAddr) -> CNetAddr:
    """``static_cast<CNetAddr>(addr)``: the address part of a CService or CAddress, for use as a
    key or in comparisons that must ignore the port."""
    return CNetAddr(addr) if type(addr) is not CNetAddr else addr


def _ServiceOf(addr: CService) -> CService:
    """``static_cast<CService>(addr)``: address and port, dropping CAddress's time/services."""
    return CService(addr, addr.GetPort()) if type(addr) is not CService else addr


@dataclass(slots=True)
class LocalServiceInfo:
    nScore: int = 0
    nPort: int = 0


fDiscover: bool = True
fListen: bool = True
#: Subversion as sent to the P2P network in `version` messages.
strSubVersion: str = ""

g_maplocalhost_mutex: Final = threading.Lock()
#: Our own addresses and their scores. GUARDED_BY(g_maplocalhost_mutex). Keys are plain CNetAddr
#: (the port lives in the value), as upstream's std::map<CNetAddr, ...> slices a CService key.
mapLocalHost: Final[dict[CNetAddr, LocalServiceInfo]] = {}

NET_MESSAGE_TYPE_OTHER: Final = "*other*"
#: Message type -> total bytes (upstream's std::map; kept sorted when copied into stats).
mapMsgTypeSize = dict[str, int]


def _GetLocal(peer: CNode) -> CService | None:
    """Determine the "best" local address for a particular peer (upstream's static GetLocal)."""
    if not fListen:
        return None

    addr: CService | None = None
    nBestScore = -1
    nBestReachability = -1
    with g_maplocalhost_mutex:
        # std::map iterates in CNetAddr order; ties keep the first, so the order matters.
        for local_addr in sorted(mapLocalHost):
            local_service_info = mapLocalHost[local_addr]
            # Don't advertise a privacy-network address to other networks, nor the other way.
            if local_addr.GetNetwork() != peer.ConnectedThroughNetwork() and (
                local_addr.IsPrivacyNet() or peer.IsConnectedThroughPrivacyNet()
            ):
                continue
            nScore = local_service_info.nScore
            nReachability = local_addr.GetReachabilityFrom(peer.addr)
            if nReachability > nBestReachability or (
                nReachability == nBestReachability and nScore > nBestScore
            ):
                addr = CService(local_addr, local_service_info.nPort)
                nBestReachability = nReachability
                nBestScore = nScore
    return addr


def ConvertSeeds(vSeedsIn: bytes) -> list[CAddress]:
    """Turn the serialized fixed seeds into addresses, last seen one to two weeks ago."""
    one_week = 7 * 24 * 60 * 60
    vSeedsOut: list[CAddress] = []
    rng = FastRandomContext()
    s = DataStream(vSeedsIn)
    while not s.empty():
        endpoint = CService.deserialize_v2(s)
        addr = CAddress(endpoint, SeedsServiceFlags())
        addr.nTime = rng.rand_uniform_delay(GetTime() - one_week, -one_week)
        LogDebug(BCLog.NET, "Added hardcoded seed: %s\n", addr.ToStringAddrPort())
        vSeedsOut.append(addr)
    return vSeedsOut


def GetLocalAddress(peer: CNode) -> CService:
    """The best local address for ``peer``, or 0.0.0.0 on the listen port if there is none."""
    local = _GetLocal(peer)
    return local if local is not None else CService(CNetAddr(), GetListenPort())


def _GetnScore(addr: CService) -> int:
    with g_maplocalhost_mutex:
        info = mapLocalHost.get(_NetAddrOf(addr))
        return info.nScore if info is not None else 0


def _IsPeerAddrLocalGood(pnode: CNode, addrLocal: CService) -> bool:
    """Is our peer's addrLocal potentially useful as an external IP source?"""
    return (
        fDiscover
        and pnode.addr.IsRoutable()
        and addrLocal.IsRoutable()
        and g_reachable_nets.Contains(addrLocal)
    )


def GetLocalAddrForPeer(node: CNode, addr_local: CService) -> CService | None:
    """The local address to advertise to ``node``, or None (unroutable: don't advertise).
    ``addr_local`` is the address the peer says it sees us at; the peer manager keeps it."""
    addrLocal = GetLocalAddress(node)
    # With discovery on, sometimes use what the peer says it sees us as instead.
    rng = FastRandomContext()
    if _IsPeerAddrLocalGood(node, addr_local) and (
        not addrLocal.IsRoutable()
        or rng.randbits(3 if _GetnScore(addrLocal) > LOCAL_MANUAL else 1) == 0
    ):
        if node.IsInboundConn():
            # Inbound: the peer saw both our address and our port.
            addrLocal = _ServiceOf(addr_local)
        else:
            # Outbound: the peer saw our address, but not our listening port.
            addrLocal = CService(addr_local, addrLocal.GetPort())
    if addrLocal.IsRoutable():
        LogDebug(
            BCLog.NET,
            "Advertising address %s to peer=%d\n",
            addrLocal.ToStringAddrPort(),
            node.GetId(),
        )
        return addrLocal
    return None


def ClearLocal() -> None:
    with g_maplocalhost_mutex:
        mapLocalHost.clear()


def AddLocal(addr_: CNetAddr, nScore: int = LOCAL_NONE) -> bool:
    """Learn a new local address. A plain CNetAddr gets the listen port (upstream's overload)."""
    if not isinstance(addr_, CService):
        return AddLocal(CService(addr_, GetListenPort()), nScore)
    addr = MaybeFlipIPv6toCJDNS(addr_)

    if not addr.IsRoutable():
        return False

    if not fDiscover and nScore < LOCAL_MANUAL:
        return False

    if not g_reachable_nets.Contains(addr):
        return False

    LogPrintf("AddLocal(%s,%i)\n", addr.ToStringAddrPort(), nScore)

    with g_maplocalhost_mutex:
        key = _NetAddrOf(addr)
        info = mapLocalHost.get(key)
        is_newly_added = info is None
        if info is None:
            info = mapLocalHost[key] = LocalServiceInfo()
        if is_newly_added or nScore >= info.nScore:
            info.nScore = nScore + (0 if is_newly_added else 1)
            info.nPort = addr.GetPort()

    return True


def RemoveLocal(addr: CService) -> None:
    with g_maplocalhost_mutex:
        LogPrintf("RemoveLocal(%s)\n", addr.ToStringAddrPort())
        mapLocalHost.pop(_NetAddrOf(addr), None)


def SeenLocal(addr: CService) -> bool:
    """Vote for a local address."""
    with g_maplocalhost_mutex:
        info = mapLocalHost.get(_NetAddrOf(addr))
        if info is None:
            return False
        info.nScore += 1
        return True


def IsLocal(addr: CService) -> bool:
    """Check whether a given address is potentially local."""
    with g_maplocalhost_mutex:
        return _NetAddrOf(addr) in mapLocalHost


# -------------------------------------------------------------------------------------------------
# net.h: CNodeStats, CNetMessage, Transport


@dataclass(slots=True)
class CNodeStats:
    """A snapshot of one connection for RPC (getpeerinfo) and the GUI."""

    nodeid: NodeId = NodeId(0)  # noqa: RUF009 (NewType: no call at runtime worth caching)
    m_last_send: int = 0  # seconds
    m_last_recv: int = 0  # seconds
    m_connected: int = 0  # seconds
    m_addr_name: str = ""
    fInbound: bool = False
    m_starting_height: int = 0
    nSendBytes: int = 0
    mapSendBytesPerMsgType: mapMsgTypeSize = field(default_factory=dict)
    nRecvBytes: int = 0
    mapRecvBytesPerMsgType: mapMsgTypeSize = field(default_factory=dict)
    m_permission_flags: NetPermissionFlags = NetPermissionFlags.None_
    # Our address, as reported by the peer
    # Address of this peer
    addr: CAddress = field(default_factory=CAddress)
    # Bind address of our side of the connection
    addrBind: CService = field(default_factory=CService)
    # Network the peer connected through
    m_network: Network = Network.NET_UNROUTABLE
    m_mapped_as: int = 0
    m_conn_type: ConnectionType = ConnectionType.INBOUND
    #: Transport protocol type.
    m_transport_type: TransportProtocolType = TransportProtocolType.V1
    #: BIP324 session id string in hex, if any.
    m_session_id: str = ""


#: Transport::BytesToSend: (bytes to send, whether more will follow, message type or "").
BytesToSend = tuple[memoryview, bool, str]


class Transport(ABC):
    """Converts one connection's sent messages to wire bytes, and received bytes back.

    Only the v1 transport is ported; BIP324's V2Transport would implement this same interface."""

    __slots__ = ()

    @dataclass(frozen=True, slots=True)
    class Info:
        transport_type: TransportProtocolType
        session_id: uint256 | None

    @abstractmethod
    def GetInfo(self) -> Transport.Info:
        """Retrieve information about this transport."""

    # 1. Receiver side: wire bytes to transport-agnostic CNetMessage objects.

    @abstractmethod
    def ReceivedMessageComplete(self) -> bool:
        """Whether the current message is complete (so GetReceivedMessage can be called)."""

    @abstractmethod
    def ReceivedBytes(self, msg_bytes: memoryview) -> tuple[bool, memoryview]:
        """Feed wire bytes. Returns (False, ...) if some were invalid (the transport is then
        unusable), and the bytes not consumed (upstream chops the span in place)."""

    @abstractmethod
    def GetReceivedMessage(self, time: int) -> tuple[CNetMessage, bool]:
        """The completed message and ``reject_message`` (the message itself is invalid, but the
        transport is still consistent). ``time`` is in microseconds."""

    # 2. Sending side: messages to wire bytes.

    @abstractmethod
    def SetMessageToSend(self, msg: CSerializedNetMsg) -> bool:
        """Set the next message to send; False if none can be set now."""

    @abstractmethod
    def GetBytesToSend(self, have_next_message: bool) -> BytesToSend:
        """The bytes to send now, whether more will follow (with ``have_next_message`` saying
        a further message is ready), and the message type they belong to. Does not change the
        transport's observable state."""

    @abstractmethod
    def MarkBytesSent(self, bytes_sent: int) -> None:
        """Report how many bytes of the last GetBytesToSend() result were sent."""

    @abstractmethod
    def GetSendMemoryUsage(self) -> int:
        """Memory usage of this transport attributable to buffered data to send."""

    # 3. Miscellaneous.

    @abstractmethod
    def ShouldReconnectV1(self) -> bool:
        """Whether upon disconnection, a reconnect with V1 is warranted."""


def HexStr(b: bytes) -> str:
    """util/strencodings.h: lower-case hex."""
    return b.hex()


#: util/strencodings.h SAFE_CHARS_DEFAULT.
_SAFE_CHARS_DEFAULT: Final = frozenset(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,;-_/:?@()"
)


def SanitizeString(s: str) -> str:
    """util/strencodings.h SanitizeString with SAFE_CHARS_DEFAULT: drop every other character."""
    return "".join(c for c in s if c in _SAFE_CHARS_DEFAULT)


class V1Transport(Transport):
    """The unencrypted v1 wire format: 24-byte header (magic, type, size, checksum) + payload.

    ``hasher`` is upstream's CHash256 (double SHA-256), fed as payload bytes arrive."""

    __slots__ = (
        "data_hash",
        "hasher",
        "hdr",
        "hdrbuf",
        "in_data",
        "m_bytes_sent",
        "m_header_to_send",
        "m_magic_bytes",
        "m_message_to_send",
        "m_node_id",
        "m_recv_mutex",
        "m_send_mutex",
        "m_sending_header",
        "nDataPos",
        "nHdrPos",
        "vRecv",
    )

    m_magic_bytes: MessageStartChars
    m_node_id: NodeId  # Only for logging
    m_recv_mutex: threading.Lock  # Lock for receive state
    hasher: hashlib._Hash  # GUARDED_BY(m_recv_mutex)
    data_hash: uint256  # GUARDED_BY(m_recv_mutex); null until computed
    in_data: bool  # GUARDED_BY(m_recv_mutex): parsing header (False) or data (True)
    hdrbuf: bytearray  # GUARDED_BY(m_recv_mutex): partially received header
    hdr: CMessageHeader  # GUARDED_BY(m_recv_mutex): complete header
    vRecv: bytearray  # GUARDED_BY(m_recv_mutex): received message data
    nHdrPos: int  # GUARDED_BY(m_recv_mutex)
    nDataPos: int  # GUARDED_BY(m_recv_mutex)
    m_send_mutex: threading.Lock  # Lock for sending state
    m_header_to_send: bytes  # GUARDED_BY(m_send_mutex): header of the message being sent
    m_message_to_send: CSerializedNetMsg  # GUARDED_BY(m_send_mutex)
    m_sending_header: bool  # GUARDED_BY(m_send_mutex): sending header bytes or message bytes
    m_bytes_sent: int  # GUARDED_BY(m_send_mutex): sent so far of the header or of the data

    def __init__(self, node_id: NodeId) -> None:
        self.m_magic_bytes = Params().MessageStart()
        self.m_node_id = node_id
        self.m_recv_mutex = threading.Lock()
        self.hdr = CMessageHeader()
        self.m_send_mutex = threading.Lock()
        self.m_header_to_send = b""
        self.m_message_to_send = CSerializedNetMsg()
        self.m_sending_header = False
        self.m_bytes_sent = 0
        with self.m_recv_mutex:
            self.Reset()

    def Reset(self) -> None:
        """EXCLUSIVE_LOCKS_REQUIRED(m_recv_mutex)."""
        self.vRecv = bytearray()
        self.hdrbuf = bytearray(24)
        self.in_data = False
        self.nHdrPos = 0
        self.nDataPos = 0
        self.data_hash = uint256()
        self.hasher = hashlib.sha256()

    def CompleteInternal(self) -> bool:
        """EXCLUSIVE_LOCKS_REQUIRED(m_recv_mutex)."""
        if not self.in_data:
            return False
        return self.hdr.nMessageSize == self.nDataPos

    def ReceivedMessageComplete(self) -> bool:
        with self.m_recv_mutex:
            return self.CompleteInternal()

    def GetInfo(self) -> Transport.Info:
        return Transport.Info(transport_type=TransportProtocolType.V1, session_id=None)

    def ReceivedBytes(self, msg_bytes: memoryview) -> tuple[bool, memoryview]:
        with self.m_recv_mutex:
            ret = self.readData(msg_bytes) if self.in_data else self.readHeader(msg_bytes)
            if ret < 0:
                self.Reset()
            else:
                msg_bytes = msg_bytes[ret:]
            return ret >= 0, msg_bytes

    def readHeader(self, msg_bytes: memoryview) -> int:
        """EXCLUSIVE_LOCKS_REQUIRED(m_recv_mutex). Bytes consumed, or -1 to disconnect."""
        # copy data to temporary parsing buffer
        nRemaining = CMessageHeader.HEADER_SIZE - self.nHdrPos
        nCopy = min(nRemaining, len(msg_bytes))

        self.hdrbuf[self.nHdrPos : self.nHdrPos + nCopy] = msg_bytes[:nCopy]
        self.nHdrPos += nCopy

        # if header incomplete, exit
        if self.nHdrPos < CMessageHeader.HEADER_SIZE:
            return nCopy

        # deserialize to CMessageHeader
        try:
            self.hdr = CMessageHeader.deserialize(DataStream(self.hdrbuf))
        except SerializationError:
            LogDebug(BCLog.NET, "Header error: Unable to deserialize, peer=%d\n", self.m_node_id)
            return -1

        # Check start string, network magic
        if self.hdr.pchMessageStart != self.m_magic_bytes:
            LogDebug(
                BCLog.NET,
                "Header error: Wrong MessageStart %s received, peer=%d\n",
                HexStr(self.hdr.pchMessageStart),
                self.m_node_id,
            )
            return -1

        # Reject messages larger than MAX_SIZE or MAX_PROTOCOL_MESSAGE_LENGTH: before that check
        # a peer could make us allocate 32MiB per connection.
        if self.hdr.nMessageSize > MAX_SIZE or self.hdr.nMessageSize > MAX_PROTOCOL_MESSAGE_LENGTH:
            LogDebug(
                BCLog.NET,
                "Header error: Size too large (%s, %u bytes), peer=%d\n",
                SanitizeString(self.hdr.GetMessageType()),
                self.hdr.nMessageSize,
                self.m_node_id,
            )
            return -1

        # switch state to reading message data
        self.in_data = True

        return nCopy

    def readData(self, msg_bytes: memoryview) -> int:
        """EXCLUSIVE_LOCKS_REQUIRED(m_recv_mutex). Bytes consumed."""
        nRemaining = self.hdr.nMessageSize - self.nDataPos
        nCopy = min(nRemaining, len(msg_bytes))

        chunk = msg_bytes[:nCopy]
        self.hasher.update(chunk)
        self.vRecv += chunk
        self.nDataPos += nCopy

        return nCopy

    def GetMessageHash(self) -> uint256:
        """EXCLUSIVE_LOCKS_REQUIRED(m_recv_mutex)."""
        assert self.CompleteInternal()
        if self.data_hash.IsNull():
            self.data_hash = uint256(hashlib.sha256(self.hasher.digest()).digest())
        return self.data_hash

    def GetReceivedMessage(self, time: int) -> tuple[CNetMessage, bool]:
        reject_message = False
        # decompose a single CNetMessage from the TransportDeserializer
        with self.m_recv_mutex:
            msg = CNetMessage(DataStream(self.vRecv))

            # store message type string, time, and sizes
            msg.m_type = self.hdr.GetMessageType()
            msg.m_time = time
            msg.m_message_size = self.hdr.nMessageSize
            msg.m_raw_message_size = self.hdr.nMessageSize + CMessageHeader.HEADER_SIZE

            hash_ = self.GetMessageHash()

            # Check checksum and header message type string
            if hash_.data[: CMessageHeader.CHECKSUM_SIZE] != self.hdr.pchChecksum:
                LogDebug(
                    BCLog.NET,
                    "Header error: Wrong checksum (%s, %u bytes), expected %s was %s, peer=%d\n",
                    SanitizeString(msg.m_type),
                    msg.m_message_size,
                    HexStr(hash_.data[: CMessageHeader.CHECKSUM_SIZE]),
                    HexStr(self.hdr.pchChecksum),
                    self.m_node_id,
                )
                reject_message = True
            elif not self.hdr.IsMessageTypeValid():
                LogDebug(
                    BCLog.NET,
                    "Header error: Invalid message type (%s, %u bytes), peer=%d\n",
                    SanitizeString(self.hdr.GetMessageType()),
                    msg.m_message_size,
                    self.m_node_id,
                )
                reject_message = True

            # Always reset the network deserializer (prepare for the next message)
            self.Reset()
            return msg, reject_message

    def SetMessageToSend(self, msg: CSerializedNetMsg) -> bool:
        with self.m_send_mutex:
            # Determine whether a new message can be set.
            if self.m_sending_header or self.m_bytes_sent < len(self.m_message_to_send.data):
                return False

            # create dbl-sha256 checksum
            checksum = hashlib.sha256(hashlib.sha256(msg.data).digest()).digest()

            # create header
            hdr = CMessageHeader(
                self.m_magic_bytes,
                msg.m_type,
                len(msg.data),
                checksum[: CMessageHeader.CHECKSUM_SIZE],
            )

            # serialize header
            self.m_header_to_send = hdr.serialize()

            # update state (a copy: the payload is dropped once sent, and the caller's object
            # may be queued to other peers too)
            self.m_message_to_send = msg.Copy()
            self.m_sending_header = True
            self.m_bytes_sent = 0
            return True

    def GetBytesToSend(self, have_next_message: bool) -> BytesToSend:
        with self.m_send_mutex:
            if self.m_sending_header:
                return (
                    memoryview(self.m_header_to_send)[self.m_bytes_sent :],
                    # More follows the header if the message has a payload, or if another
                    # message is ready.
                    have_next_message or len(self.m_message_to_send.data) > 0,
                    self.m_message_to_send.m_type,
                )
            return (
                memoryview(self.m_message_to_send.data)[self.m_bytes_sent :],
                # More follows this payload only if another message is ready.
                have_next_message,
                self.m_message_to_send.m_type,
            )

    def MarkBytesSent(self, bytes_sent: int) -> None:
        with self.m_send_mutex:
            self.m_bytes_sent += bytes_sent
            if self.m_sending_header and self.m_bytes_sent == len(self.m_header_to_send):
                # The header is out: switch to sending the payload.
                self.m_sending_header = False
                self.m_bytes_sent = 0
            elif not self.m_sending_header and self.m_bytes_sent == len(
                self.m_message_to_send.data
            ):
                # The payload is out: drop it to free memory (ClearShrink).
                self.m_message_to_send.data = b""
                self.m_bytes_sent = 0

    def GetSendMemoryUsage(self) -> int:
        with self.m_send_mutex:
            # The other send-side fields are small and bounded.
            return self.m_message_to_send.GetMemoryUsage()

    def ShouldReconnectV1(self) -> bool:
        return False


# -------------------------------------------------------------------------------------------------
# net.h: CNodeOptions, CNode


@dataclass(slots=True)
class CNodeOptions:
    permission_flags: NetPermissionFlags = NetPermissionFlags.None_
    #: Upstream's std::unique_ptr<i2p::sam::Session>; I2P sessions are not ported, always None.
    i2p_sam_session: object | None = None
    prefer_evict: bool = False
    recv_flood_size: int = DEFAULT_MAXRECEIVEBUFFER * 1000
    use_v2transport: bool = False


class CNode:
    """Information about a peer: one connection, owned by CConnman.

    Members are in upstream's declaration order (public first, then private). ``std::atomic``
    members are plain attributes; locks keep upstream's names."""

    __slots__ = (
        "m_transport",
        "m_permission_flags",
        "m_sock",
        "m_send_memusage",
        "nSendBytes",
        "vSendMsg",
        "cs_vSend",
        "m_sock_mutex",
        "cs_vRecv",
        "nRecvBytes",
        "m_last_send",
        "m_last_recv",
        "m_connected",
        "addr",
        "addrBind",
        "m_addr_name",
        "m_dest",
        "m_inbound_onion",
        "m_prefer_evict",
        "fSuccessfullyConnected",
        "fDisconnect",
        "grantOutbound",
        "nRefCount",
        "nKeyedNetGroup",
        "fPauseRecv",
        "fPauseSend",
        "m_conn_type",
        # private:
        "id",
        "nLocalHostNonce",
        "m_recv_flood_size",
        "vRecvMsg",
        "m_msg_process_queue_mutex",
        "m_msg_process_queue",
        "m_msg_process_queue_size",
        "mapSendBytesPerMsgType",
        "mapRecvBytesPerMsgType",
        "m_i2p_sam_session",
    )

    #: Transport serializer/deserializer: receive side used under cs_vRecv, send side under
    #: cs_vSend.
    m_transport: Transport
    m_permission_flags: NetPermissionFlags
    #: GUARDED_BY(m_sock_mutex). None after CloseSocketDisconnect() (or in tests without one).
    m_sock: Sock | None
    #: GUARDED_BY(cs_vSend): sum of GetMemoryUsage of all vSendMsg entries.
    m_send_memusage: int
    #: GUARDED_BY(cs_vSend): total number of bytes sent on the wire to this peer.
    nSendBytes: int
    #: GUARDED_BY(cs_vSend): messages still to be fed to m_transport.SetMessageToSend.
    vSendMsg: deque[CSerializedNetMsg]
    cs_vSend: threading.Lock
    m_sock_mutex: threading.Lock
    cs_vRecv: threading.Lock
    #: GUARDED_BY(cs_vRecv).
    nRecvBytes: int
    m_last_send: int  # seconds
    m_last_recv: int  # seconds
    #: Unix epoch time at peer connection; seconds.
    m_connected: int
    #: Address of this peer.
    addr: CAddress
    #: Bind address of our side of the connection.
    addrBind: CService
    m_addr_name: str
    #: The pszDest argument provided to ConnectNode(). Only used for reconnections.
    m_dest: str
    #: Whether this peer is an inbound onion, i.e. connected via our Tor onion service.
    m_inbound_onion: bool
    #: This peer is preferred for eviction.
    m_prefer_evict: bool
    #: Set to true on receiving VERACK from the peer.
    fSuccessfullyConnected: bool
    #: Setting fDisconnect to true disconnects the node the next time DisconnectNodes() runs.
    fDisconnect: bool
    grantOutbound: CountingSemaphoreGrant
    nRefCount: int
    nKeyedNetGroup: int
    fPauseRecv: bool
    fPauseSend: bool
    m_conn_type: ConnectionType
    id: NodeId
    nLocalHostNonce: int
    m_recv_flood_size: int
    #: Completed messages not yet handed to processing. Used only by the socket handler thread.
    vRecvMsg: deque[CNetMessage]
    m_msg_process_queue_mutex: threading.Lock
    #: GUARDED_BY(m_msg_process_queue_mutex).
    m_msg_process_queue: deque[CNetMessage]
    #: GUARDED_BY(m_msg_process_queue_mutex).
    m_msg_process_queue_size: int
    #: GUARDED_BY(m_addr_local_mutex): our address, as reported by the peer.
    #: GUARDED_BY(cs_vSend).
    mapSendBytesPerMsgType: mapMsgTypeSize
    #: GUARDED_BY(cs_vRecv).
    mapRecvBytesPerMsgType: mapMsgTypeSize
    #: GUARDED_BY(m_sock_mutex). Transient I2P session of an outbound I2P connection; I2P is not
    #: ported, so this stays None.
    m_i2p_sam_session: object | None

    def __init__(
        self,
        idIn: NodeId,
        sock: Sock | None,
        addrIn: CAddress,
        nKeyedNetGroupIn: int,
        nLocalHostNonceIn: int,
        addrBindIn: CService,
        addrNameIn: str,
        conn_type_in: ConnectionType,
        inbound_onion: bool,
        node_opts: CNodeOptions | None = None,
    ) -> None:
        if node_opts is None:
            node_opts = CNodeOptions()
        self.m_transport = MakeTransport(
            idIn, node_opts.use_v2transport, conn_type_in == ConnectionType.INBOUND
        )
        self.m_permission_flags = node_opts.permission_flags
        self.m_sock = sock
        self.m_send_memusage = 0
        self.nSendBytes = 0
        self.vSendMsg = deque()
        self.cs_vSend = threading.Lock()
        self.m_sock_mutex = threading.Lock()
        self.cs_vRecv = threading.Lock()
        self.nRecvBytes = 0
        self.m_last_send = 0
        self.m_last_recv = 0
        self.m_connected = GetTime()
        self.addr = addrIn
        self.addrBind = addrBindIn
        self.m_addr_name = addrNameIn if addrNameIn else self.addr.ToStringAddrPort()
        self.m_dest = addrNameIn
        self.m_inbound_onion = inbound_onion
        self.m_prefer_evict = node_opts.prefer_evict
        self.fSuccessfullyConnected = False
        self.fDisconnect = False
        self.grantOutbound = CountingSemaphoreGrant()
        self.nRefCount = 0
        self.nKeyedNetGroup = nKeyedNetGroupIn
        self.fPauseRecv = False
        self.fPauseSend = False
        self.m_conn_type = conn_type_in
        self.id = idIn
        self.nLocalHostNonce = nLocalHostNonceIn
        self.m_recv_flood_size = node_opts.recv_flood_size
        self.vRecvMsg = deque()
        self.m_msg_process_queue_mutex = threading.Lock()
        self.m_msg_process_queue = deque()
        self.m_msg_process_queue_size = 0
        self.mapSendBytesPerMsgType = {}
        self.mapRecvBytesPerMsgType = {}
        self.m_i2p_sam_session = node_opts.i2p_sam_session

        if inbound_onion:
            assert conn_type_in == ConnectionType.INBOUND

        for msg in ALL_NET_MESSAGE_TYPES:
            self.mapRecvBytesPerMsgType[msg] = 0
        self.mapRecvBytesPerMsgType[NET_MESSAGE_TYPE_OTHER] = 0

        if bclogging.fLogIPs:
            LogDebug(BCLog.NET, "Added connection to %s peer=%d\n", self.m_addr_name, self.id)
        else:
            LogDebug(BCLog.NET, "Added connection peer=%d\n", self.id)

    def __repr__(self) -> str:
        return f"CNode(id={self.id}, addr={self.m_addr_name}, {self.ConnectionTypeAsString()})"

    def HasPermission(self, permission: NetPermissionFlags) -> bool:
        return NetPermissions.HasFlag(self.m_permission_flags, permission)

    def MarkReceivedMsgsForProcessing(self) -> None:
        """Move all messages from the received queue to the processing queue."""
        nSizeAdded = 0
        for msg in self.vRecvMsg:
            # vRecvMsg holds only complete messages; a partial one stays in the transport.
            nSizeAdded += msg.GetMemoryUsage()

        with self.m_msg_process_queue_mutex:
            self.m_msg_process_queue.extend(self.vRecvMsg)
            self.vRecvMsg.clear()
            self.m_msg_process_queue_size += nSizeAdded
            self.fPauseRecv = self.m_msg_process_queue_size > self.m_recv_flood_size

    def PollMessage(self) -> tuple[CNetMessage, bool] | None:
        """The next message to process and whether more are queued, or None if none is."""
        with self.m_msg_process_queue_mutex:
            if not self.m_msg_process_queue:
                return None

            # Just take one message
            msg = self.m_msg_process_queue.popleft()
            self.m_msg_process_queue_size -= msg.GetMemoryUsage()
            self.fPauseRecv = self.m_msg_process_queue_size > self.m_recv_flood_size

            return msg, len(self.m_msg_process_queue) > 0

    def AccountForSentBytes(self, msg_type: str, sent_bytes: int) -> None:
        """Per-message-type sent byte stats. EXCLUSIVE_LOCKS_REQUIRED(cs_vSend)."""
        self.mapSendBytesPerMsgType[msg_type] = (
            self.mapSendBytesPerMsgType.get(msg_type, 0) + sent_bytes
        )

    def IsOutboundOrBlockRelayConn(self) -> bool:
        return _IS_OUTBOUND_OR_BLOCK_RELAY[self.m_conn_type]

    def IsFullOutboundConn(self) -> bool:
        return self.m_conn_type == ConnectionType.OUTBOUND_FULL_RELAY

    def IsManualConn(self) -> bool:
        return self.m_conn_type == ConnectionType.MANUAL

    def IsManualOrFullOutboundConn(self) -> bool:
        return _IS_MANUAL_OR_FULL_OUTBOUND[self.m_conn_type]

    def IsBlockOnlyConn(self) -> bool:
        return self.m_conn_type == ConnectionType.BLOCK_RELAY

    def IsFeelerConn(self) -> bool:
        return self.m_conn_type == ConnectionType.FEELER

    def IsAddrFetchConn(self) -> bool:
        return self.m_conn_type == ConnectionType.ADDR_FETCH

    def IsInboundConn(self) -> bool:
        return self.m_conn_type == ConnectionType.INBOUND

    def ExpectServicesFromConn(self) -> bool:
        return _EXPECT_SERVICES_FROM_CONN[self.m_conn_type]

    def ConnectedThroughNetwork(self) -> Network:
        """NET_ONION for inbound onion connections, the address's network class otherwise."""
        return Network.NET_ONION if self.m_inbound_onion else self.addr.GetNetClass()

    def IsConnectedThroughPrivacyNet(self) -> bool:
        """Whether this peer connected through a privacy network."""
        return self.m_inbound_onion or self.addr.IsPrivacyNet()

    def GetId(self) -> NodeId:
        return self.id

    def GetLocalNonce(self) -> int:
        return self.nLocalHostNonce

    def GetRefCount(self) -> int:
        assert self.nRefCount >= 0
        return self.nRefCount

    def ReceiveMsgBytes(self, msg_bytes: bytes | bytearray | memoryview) -> tuple[bool, bool]:
        """Feed socket bytes to the transport and collect completed messages.

        Returns (keep the peer connected, at least one message is complete): upstream's return
        value and its ``complete`` out-parameter."""
        complete = False
        time = GetTimeMicros()
        view = memoryview(msg_bytes)
        with self.cs_vRecv:
            self.m_last_recv = time // _MICROS_PER_SECOND
            self.nRecvBytes += len(view)
            while len(view) > 0:
                # absorb network data
                ok, view = self.m_transport.ReceivedBytes(view)
                if not ok:
                    # Serious transport problem, disconnect from the peer.
                    return False, complete

                if self.m_transport.ReceivedMessageComplete():
                    # decompose a transport agnostic CNetMessage from the deserializer
                    msg, reject_message = self.m_transport.GetReceivedMessage(time)
                    if reject_message:
                        # Drop the corrupt message but keep the peer; count its size.
                        self.mapRecvBytesPerMsgType[NET_MESSAGE_TYPE_OTHER] += (
                            msg.m_raw_message_size
                        )
                        continue

                    # Store received bytes per message type. Only known types get their own
                    # entry, so a peer cannot grow the map.
                    key = (
                        msg.m_type
                        if msg.m_type in self.mapRecvBytesPerMsgType
                        else NET_MESSAGE_TYPE_OTHER
                    )
                    self.mapRecvBytesPerMsgType[key] += msg.m_raw_message_size

                    # push the message to the process queue,
                    self.vRecvMsg.append(msg)

                    complete = True

        return True, complete

    def AddRef(self) -> CNode:
        with _g_atomic_lock:
            self.nRefCount += 1
        return self

    def Release(self) -> None:
        with _g_atomic_lock:
            self.nRefCount -= 1

    def CloseSocketDisconnect(self) -> None:
        self.fDisconnect = True
        with self.m_sock_mutex:
            if self.m_sock is not None:
                LogDebug(
                    BCLog.NET,
                    "Resetting socket for peer=%d%s",
                    self.GetId(),
                    self.LogIP(bclogging.fLogIPs),
                )
                # Like resetting the shared_ptr: the descriptor closes when the last reference
                # (possibly a poll in another thread) goes.
                self.m_sock = None
            self.m_i2p_sam_session = None

    def CopyStats(self, stats: CNodeStats) -> None:
        stats.nodeid = self.GetId()
        stats.addr = self.addr
        stats.addrBind = self.addrBind
        stats.m_network = self.ConnectedThroughNetwork()
        stats.m_last_send = self.m_last_send
        stats.m_last_recv = self.m_last_recv
        stats.m_connected = self.m_connected
        stats.m_addr_name = self.m_addr_name
        stats.fInbound = self.IsInboundConn()
        with self.cs_vSend:
            stats.mapSendBytesPerMsgType = dict(sorted(self.mapSendBytesPerMsgType.items()))
            stats.nSendBytes = self.nSendBytes
        with self.cs_vRecv:
            stats.mapRecvBytesPerMsgType = dict(sorted(self.mapRecvBytesPerMsgType.items()))
            stats.nRecvBytes = self.nRecvBytes
            info = self.m_transport.GetInfo()
            stats.m_transport_type = info.transport_type
            if info.session_id is not None:
                stats.m_session_id = info.session_id.GetHex()
        stats.m_permission_flags = self.m_permission_flags

        stats.m_conn_type = self.m_conn_type

    def ConnectionTypeAsString(self) -> str:
        return _ConnectionTypeAsString(self.m_conn_type)

    def LogIP(self, log_ip: bool) -> str:
        """ " peeraddr=..." when ``log_ip``, else ""."""
        return f" peeraddr={self.addr.ToStringAddrPort()}" if log_ip else ""

    def DisconnectMsg(self, log_ip: bool) -> str:
        """ "disconnecting peer=..." and, with ``log_ip``, " peeraddr=..."."""
        return f"disconnecting peer={self.GetId()}{self.LogIP(log_ip)}"


# The switch statements of IsOutboundOrBlockRelayConn, IsManualOrFullOutboundConn and
# ExpectServicesFromConn, as tables with an entry for every ConnectionType.
_IS_OUTBOUND_OR_BLOCK_RELAY: Final[dict[ConnectionType, bool]] = {
    ConnectionType.OUTBOUND_FULL_RELAY: True,
    ConnectionType.BLOCK_RELAY: True,
    ConnectionType.INBOUND: False,
    ConnectionType.MANUAL: False,
    ConnectionType.ADDR_FETCH: False,
    ConnectionType.FEELER: False,
}
_IS_MANUAL_OR_FULL_OUTBOUND: Final[dict[ConnectionType, bool]] = {
    ConnectionType.INBOUND: False,
    ConnectionType.FEELER: False,
    ConnectionType.BLOCK_RELAY: False,
    ConnectionType.ADDR_FETCH: False,
    ConnectionType.OUTBOUND_FULL_RELAY: True,
    ConnectionType.MANUAL: True,
}
_EXPECT_SERVICES_FROM_CONN: Final[dict[ConnectionType, bool]] = {
    ConnectionType.INBOUND: False,
    ConnectionType.MANUAL: False,
    ConnectionType.FEELER: False,
    ConnectionType.OUTBOUND_FULL_RELAY: True,
    ConnectionType.BLOCK_RELAY: True,
    ConnectionType.ADDR_FETCH: True,
}


def MakeTransport(id: NodeId, use_v2transport: bool, inbound: bool) -> Transport:
    """Upstream picks V2Transport when ``use_v2transport``; BIP324 is not ported, so every
    connection speaks v1 (and we never advertise NODE_P2P_V2)."""
    return V1Transport(id)


# -------------------------------------------------------------------------------------------------
# net.h: NetEventsInterface


def PeerOptionsFor(node: CNode) -> PeerOptions:
    """The PeerOptions of a connection, from net's side of it."""
    return PeerOptions(
        conn_type=node.m_conn_type,
        addr=node.addr,
        permission_flags=node.m_permission_flags,
        connected=node.m_connected,
        inbound_onion=node.m_inbound_onion,
        local_nonce=node.nLocalHostNonce,
        transport_type=node.m_transport.GetInfo().transport_type,
    )


# -------------------------------------------------------------------------------------------------
# net.cpp: file-local constants

#: Maximum number of block-relay-only anchor connections.
MAX_BLOCK_RELAY_ONLY_ANCHORS: Final = 2
assert MAX_BLOCK_RELAY_ONLY_ANCHORS <= MAX_BLOCK_RELAY_ONLY_CONNECTIONS
#: Anchor IP address database file name.
ANCHORS_DATABASE_FILENAME: Final = "anchors.dat"

#: How often to dump addresses to peers.dat; seconds (upstream: std::chrono::minutes{15}).
DUMP_PEERS_INTERVAL: Final = 15 * 60

#: Number of DNS seeds to query when the number of connections is low.
DNSSEEDS_TO_QUERY_AT_ONCE: Final = 3

#: Minimum number of outbound connections under which we will keep fetching our address seeds.
SEED_OUTBOUND_CONNECTION_THRESHOLD: Final = 2

#: How long to wait before querying DNS seeds, with few and with many addrman entries; seconds.
DNSSEEDS_DELAY_FEW_PEERS: Final = 11
DNSSEEDS_DELAY_MANY_PEERS: Final = 5 * 60
DNSSEEDS_DELAY_PEER_THRESHOLD: Final = 1000  # "many" vs "few" peers

#: The default timeframe for -maxuploadtarget. 1 day; seconds.
MAX_UPLOAD_TIMEFRAME: Final = 60 * 60 * 24

#: Random delay (0 to 1 s) before a feeler connection, against synchronization; milliseconds.
FEELER_SLEEP_WINDOW: Final = 1000

#: Frequency to attempt extra connections to reachable networks we're not connected to yet;
#: seconds (upstream: 5min).
EXTRA_NETWORK_PEER_INTERVAL: Final = 5 * 60

#: Flags for Bind() (upstream's enum BindFlags).
BF_NONE: Final = 0
BF_REPORT_ERROR: Final = 1 << 0
#: Do not AddLocal() special addresses (e.g. for incoming Tor connections), so they are not
#: gossiped.
BF_DONT_ADVERTISE: Final = 1 << 1

#: The set of sockets cannot change while waiting, so the wait is short: new sockets must not
#: stall. Milliseconds.
SELECT_TIMEOUT_MILLISECONDS: Final = 50

RANDOMIZER_ID_NETGROUP: Final = 0x6C0EDD8036EF4036  # SHA256("netgroup")[0:8]
RANDOMIZER_ID_LOCALHOSTNONCE: Final = 0xD93E69E2BBFA5735  # SHA256("localhostnonce")[0:8]
RANDOMIZER_ID_ADDRCACHE: Final = 0x1CF2E4DDD306DDA9  # SHA256("addrcache")[0:8]


def _GetBindAddress(sock: Sock) -> CService:
    """Get the bind address for a socket as CService."""
    addr_bind = CService()
    sockaddr_bind = sock.GetSockName()
    if sockaddr_bind is not None:
        service = service_from_sockaddr(sockaddr_bind)
        if service is not None:
            addr_bind = service
    else:
        LogPrintLevel(BCLog.NET, BCLog.Level.Warning, "getsockname failed\n")
    return addr_bind


# -------------------------------------------------------------------------------------------------
# net.h: CConnman


class CConnman(NetManagerEvents):
    """Owns the sockets and the CNode of every connection, and runs the network threads."""

    @dataclass(slots=True)
    class Options:
        m_local_services: ServiceFlags = NODE_NONE
        m_max_automatic_connections: int = 0
        uiInterface: CClientUIInterface | None = None
        m_msgproc: NetEventsInterface | None = None
        m_banman: BanMan | None = None
        nSendBufferMaxSize: int = 0
        nReceiveFloodSize: int = 0
        nMaxOutboundLimit: int = 0
        m_peer_connect_timeout: int = DEFAULT_PEER_CONNECT_TIMEOUT  # seconds
        vSeedNodes: list[str] = field(default_factory=list)
        vWhitelistedRangeIncoming: list[NetWhitelistPermissions] = field(default_factory=list)
        vWhitelistedRangeOutgoing: list[NetWhitelistPermissions] = field(default_factory=list)
        vWhiteBinds: list[NetWhitebindPermissions] = field(default_factory=list)
        vBinds: list[CService] = field(default_factory=list)
        onion_binds: list[CService] = field(default_factory=list)
        #: True if the user did not specify -bind= or -whitebind= and thus we should bind on
        #: 0.0.0.0 (IPv4) and :: (IPv6).
        bind_on_any: bool = False
        m_use_addrman_outgoing: bool = True
        m_specified_outgoing: list[str] = field(default_factory=list)
        m_added_nodes: list[str] = field(default_factory=list)
        m_i2p_accept_incoming: bool = False
        whitelist_forcerelay: bool = DEFAULT_WHITELISTFORCERELAY
        whitelist_relay: bool = DEFAULT_WHITELISTRELAY

    class ListenSocket:
        __slots__ = ("m_permissions", "sock")

        sock: Sock
        m_permissions: NetPermissionFlags

        def __init__(self, sock_: Sock, permissions_: NetPermissionFlags) -> None:
            self.sock = sock_
            self.m_permissions = permissions_

        def AddSocketPermissionFlags(self, flags: NetPermissionFlags) -> NetPermissionFlags:
            """Upstream adds to its ``flags`` out-parameter; here the result is returned."""
            return NetPermissions.AddFlag(flags, self.m_permissions)

    @dataclass(slots=True)
    class CachedAddrResponse:
        """Cache of addr responses, to limit what real-time scraping reveals about us."""

        m_addrs_response_cache: list[CAddress] = field(default_factory=list)
        m_cache_entry_expiration: int = 0  # microseconds

    @dataclass(slots=True)
    class ReconnectionInfo:
        """Entries of m_reconnections."""

        addr_connect: CAddress
        grant: CountingSemaphoreGrant
        destination: str
        conn_type: ConnectionType
        use_v2transport: bool

    class NodesSnapshot:
        """Atomically copy ``m_nodes`` and take a reference on each node; the references are
        released on leaving the ``with`` block (upstream's RAII destructor)."""

        __slots__ = ("m_nodes_copy",)

        m_nodes_copy: list[CNode]

        def __init__(self, connman: CConnman, shuffle: bool) -> None:
            node: CNode
            with connman.m_nodes_mutex:
                self.m_nodes_copy = list(connman.m_nodes)
                for node in self.m_nodes_copy:
                    node.AddRef()
            if shuffle:
                FastRandomContext().shuffle(self.m_nodes_copy)

        def __enter__(self) -> CConnman.NodesSnapshot:
            return self

        def __exit__(self, *exc: object) -> None:
            node: CNode
            for node in self.m_nodes_copy:
                node.Release()
            self.m_nodes_copy = []

        def Nodes(self) -> list[CNode]:
            return self.m_nodes_copy

    #: Cap on the size of m_unused_i2p_sessions.
    MAX_UNUSED_I2P_SESSIONS_SIZE: ClassVar[int] = 10

    __slots__ = (
        "m_total_bytes_sent_mutex",
        "nTotalBytesRecv",
        "nTotalBytesSent",
        "nMaxOutboundTotalBytesSentInCycle",
        "nMaxOutboundCycleStartTime",
        "nMaxOutboundLimit",
        "m_peer_connect_timeout",
        "vWhitelistedRangeIncoming",
        "vWhitelistedRangeOutgoing",
        "nSendBufferMaxSize",
        "nReceiveFloodSize",
        "vhListenSocket",
        "fNetworkActive",
        "fAddressesInitialized",
        "addrman",
        "m_netgroupman",
        "m_addr_fetches",
        "m_addr_fetches_mutex",
        "m_added_node_params",
        "m_added_nodes_mutex",
        "m_nodes",
        "m_nodes_disconnected",
        "m_nodes_mutex",
        "nLastNodeId",
        "nPrevNodeCount",
        "m_network_conn_counts",
        "m_addr_response_caches",
        "m_local_services",
        "semOutbound",
        "semAddnode",
        "m_max_automatic_connections",
        "m_max_outbound_full_relay",
        "m_max_outbound_block_relay",
        "m_max_addnode",
        "m_max_feeler",
        "m_max_automatic_outbound",
        "m_max_inbound",
        "m_use_addrman_outgoing",
        "m_client_interface",
        "m_msgproc",
        "m_banman",
        "m_anchors",
        "nSeed0",
        "nSeed1",
        "interruptNet",
        "m_i2p_sam_session",
        "threadDNSAddressSeed",
        "threadSocketHandler",
        "threadOpenAddedConnections",
        "threadOpenConnections",
        "threadI2PAcceptIncoming",
        "threadScheduler",
        "m_try_another_outbound_peer",
        "m_start_extra_block_relay_peers",
        "m_onion_binds",
        "whitelist_forcerelay",
        "whitelist_relay",
        "m_unused_i2p_sessions_mutex",
        "m_unused_i2p_sessions",
        "m_reconnections_mutex",
        "m_reconnections",
        "m_params",
    )

    # Network usage totals
    m_total_bytes_sent_mutex: threading.Lock
    nTotalBytesRecv: int
    nTotalBytesSent: int  # GUARDED_BY(m_total_bytes_sent_mutex)
    # outbound limit & stats
    nMaxOutboundTotalBytesSentInCycle: int  # GUARDED_BY(m_total_bytes_sent_mutex)
    nMaxOutboundCycleStartTime: int  # seconds; GUARDED_BY(m_total_bytes_sent_mutex)
    nMaxOutboundLimit: int  # GUARDED_BY(m_total_bytes_sent_mutex)
    #: P2P timeout; seconds.
    m_peer_connect_timeout: int
    #: Any node connecting from these ranges is whitelisted (as well as those connecting to
    #: whitelisted binds).
    vWhitelistedRangeIncoming: list[NetWhitelistPermissions]
    #: Whitelisted ranges for outgoing connections.
    vWhitelistedRangeOutgoing: list[NetWhitelistPermissions]
    nSendBufferMaxSize: int
    nReceiveFloodSize: int
    vhListenSocket: list[CConnman.ListenSocket]
    fNetworkActive: bool
    fAddressesInitialized: bool
    addrman: AddrMan
    m_netgroupman: NetGroupManager
    m_addr_fetches: deque[str]  # GUARDED_BY(m_addr_fetches_mutex)
    m_addr_fetches_mutex: threading.Lock
    #: Connection string and whether to use v2 p2p. GUARDED_BY(m_added_nodes_mutex).
    m_added_node_params: list[AddedNodeParams]
    m_added_nodes_mutex: threading.Lock
    m_nodes: list[CNode]  # GUARDED_BY(m_nodes_mutex)
    m_nodes_disconnected: list[CNode]
    m_nodes_mutex: threading.RLock
    nLastNodeId: int
    nPrevNodeCount: int
    #: Number of full-tx connections (outbound and manual) per network. GUARDED_BY(m_nodes_mutex).
    m_network_conn_counts: list[int]
    #: Addr responses per (network, local socket), so a multi-homed node cannot be linked.
    m_addr_response_caches: dict[int, CConnman.CachedAddrResponse]
    #: Services this node offers (replicated in each Peer).
    m_local_services: ServiceFlags
    semOutbound: threading.Semaphore | None
    semAddnode: threading.Semaphore | None
    #: Automatic connections permitted, excluding manual connections but including inbounds.
    m_max_automatic_connections: int
    #: How many full-relay (tx, block, addr) outbound peers we want.
    m_max_outbound_full_relay: int
    #: How many block-relay only outbound peers we want (no tx or addr relay with them).
    m_max_outbound_block_relay: int
    m_max_addnode: int
    m_max_feeler: int
    m_max_automatic_outbound: int
    m_max_inbound: int
    m_use_addrman_outgoing: bool
    m_client_interface: CClientUIInterface | None
    m_msgproc: NetEventsInterface | None
    #: This node's banman; may be None.
    m_banman: BanMan | None
    #: Addresses saved at the previous clean shutdown; block-relay-only connections go there.
    m_anchors: list[CAddress]
    #: SipHasher seeds for deterministic randomness.
    nSeed0: int
    nSeed1: int
    #: Signaled when network activity should cease.
    interruptNet: CThreadInterrupt
    #: I2P SAM session (not ported: always None).
    m_i2p_sam_session: object | None
    threadDNSAddressSeed: threading.Thread | None
    threadSocketHandler: threading.Thread | None
    threadOpenAddedConnections: threading.Thread | None
    threadOpenConnections: threading.Thread | None
    threadI2PAcceptIncoming: threading.Thread | None
    #: Runs the scheduled DumpAddresses when Start() gets no CScheduler (not upstream).
    threadScheduler: threading.Thread | None
    #: Allow one outbound full-relay peer beyond m_max_outbound_full_relay, in place of a
    #: feeler.
    m_try_another_outbound_peer: bool
    #: Open extra, short-lived block-relay-only connections (only after initial sync).
    m_start_extra_block_relay_peers: bool
    #: -bind=<address>:<port>=onion: binds designated for incoming Tor connections.
    m_onion_binds: list[CService]
    #: Add 'forcerelay' to whitelisted inbound and manual peers with default permissions.
    whitelist_forcerelay: bool
    #: Add 'relay' to whitelisted inbound and manual peers with default permissions.
    whitelist_relay: bool
    m_unused_i2p_sessions_mutex: threading.Lock
    #: GUARDED_BY(m_unused_i2p_sessions_mutex). I2P is not ported: stays empty.
    m_unused_i2p_sessions: deque[object]
    m_reconnections_mutex: threading.Lock
    #: Reconnections we have to make. GUARDED_BY(m_reconnections_mutex).
    m_reconnections: deque[CConnman.ReconnectionInfo]
    m_params: CChainParams

    def Init(self, connOptions: CConnman.Options) -> None:
        self.m_local_services = connOptions.m_local_services
        self.m_max_automatic_connections = connOptions.m_max_automatic_connections
        self.m_max_outbound_full_relay = min(
            MAX_OUTBOUND_FULL_RELAY_CONNECTIONS, self.m_max_automatic_connections
        )
        self.m_max_outbound_block_relay = min(
            MAX_BLOCK_RELAY_ONLY_CONNECTIONS,
            self.m_max_automatic_connections - self.m_max_outbound_full_relay,
        )
        self.m_max_automatic_outbound = (
            self.m_max_outbound_full_relay + self.m_max_outbound_block_relay + self.m_max_feeler
        )
        self.m_max_inbound = max(
            0, self.m_max_automatic_connections - self.m_max_automatic_outbound
        )
        self.m_use_addrman_outgoing = connOptions.m_use_addrman_outgoing
        self.m_client_interface = connOptions.uiInterface
        self.m_banman = connOptions.m_banman
        self.m_msgproc = connOptions.m_msgproc
        self.nSendBufferMaxSize = connOptions.nSendBufferMaxSize
        self.nReceiveFloodSize = connOptions.nReceiveFloodSize
        self.m_peer_connect_timeout = connOptions.m_peer_connect_timeout
        with self.m_total_bytes_sent_mutex:
            self.nMaxOutboundLimit = connOptions.nMaxOutboundLimit
        self.vWhitelistedRangeIncoming = list(connOptions.vWhitelistedRangeIncoming)
        self.vWhitelistedRangeOutgoing = list(connOptions.vWhitelistedRangeOutgoing)
        with self.m_added_nodes_mutex:
            # Try v2 if we support it; we reconnect with v1 if the peer does not.
            use_v2transport = bool(self.GetLocalServices() & NODE_P2P_V2)
            for added_node in connOptions.m_added_nodes:
                self.m_added_node_params.append(AddedNodeParams(added_node, use_v2transport))
        self.m_onion_binds = list(connOptions.onion_binds)
        self.whitelist_forcerelay = connOptions.whitelist_forcerelay
        self.whitelist_relay = connOptions.whitelist_relay

    def __init__(
        self,
        nSeed0In: int,
        nSeed1In: int,
        addrman_in: AddrMan,
        netgroupman: NetGroupManager,
        params: CChainParams,
        network_active: bool = True,
    ) -> None:
        self.m_total_bytes_sent_mutex = threading.Lock()
        self.nTotalBytesRecv = 0
        self.nTotalBytesSent = 0
        self.nMaxOutboundTotalBytesSentInCycle = 0
        self.nMaxOutboundCycleStartTime = 0
        self.nMaxOutboundLimit = 0
        self.m_peer_connect_timeout = DEFAULT_PEER_CONNECT_TIMEOUT
        self.vWhitelistedRangeIncoming = []
        self.vWhitelistedRangeOutgoing = []
        self.nSendBufferMaxSize = 0
        self.nReceiveFloodSize = 0
        self.vhListenSocket = []
        self.fNetworkActive = True
        self.fAddressesInitialized = False
        self.addrman = addrman_in
        self.m_netgroupman = netgroupman
        self.m_addr_fetches = deque()
        self.m_addr_fetches_mutex = threading.Lock()
        self.m_added_node_params = []
        self.m_added_nodes_mutex = threading.Lock()
        self.m_nodes = []
        self.m_nodes_disconnected = []
        self.m_nodes_mutex = threading.RLock()
        self.nLastNodeId = 0
        self.nPrevNodeCount = 0
        self.m_network_conn_counts = [0] * int(Network.NET_MAX)
        self.m_addr_response_caches = {}
        self.m_local_services = NODE_NONE
        self.semOutbound = None
        self.semAddnode = None
        self.m_max_automatic_connections = 0
        self.m_max_outbound_full_relay = 0
        self.m_max_outbound_block_relay = 0
        self.m_max_addnode = MAX_ADDNODE_CONNECTIONS
        self.m_max_feeler = MAX_FEELER_CONNECTIONS
        self.m_max_automatic_outbound = 0
        self.m_max_inbound = 0
        self.m_use_addrman_outgoing = True
        self.m_client_interface = None
        self.m_msgproc = None
        self.m_banman = None
        self.m_anchors = []
        self.nSeed0 = nSeed0In
        self.nSeed1 = nSeed1In
        self.interruptNet = CThreadInterrupt()
        self.m_i2p_sam_session = None
        self.threadDNSAddressSeed = None
        self.threadSocketHandler = None
        self.threadOpenAddedConnections = None
        self.threadOpenConnections = None
        self.threadI2PAcceptIncoming = None
        self.threadScheduler = None
        self.m_try_another_outbound_peer = False
        self.m_start_extra_block_relay_peers = False
        self.m_onion_binds = []
        self.whitelist_forcerelay = DEFAULT_WHITELISTFORCERELAY
        self.whitelist_relay = DEFAULT_WHITELISTRELAY
        self.m_unused_i2p_sessions_mutex = threading.Lock()
        self.m_unused_i2p_sessions = deque()
        self.m_reconnections_mutex = threading.Lock()
        self.m_reconnections = deque()
        self.m_params = params

        self.SetTryNewOutboundPeer(False)

        connOptions = CConnman.Options()
        self.Init(connOptions)
        self.SetNetworkActive(network_active)

    def Stop(self) -> None:
        self.StopThreads()
        self.StopNodes()

    def GetNetworkActive(self) -> bool:
        return self.fNetworkActive

    def GetUseAddrmanOutgoing(self) -> bool:
        return self.m_use_addrman_outgoing

    def GetNodesMutex(self) -> threading.RLock:
        """Upstream's alias for thread-safety annotations; here it returns m_nodes_mutex."""
        return self.m_nodes_mutex

    def ForEachNode(self, func: Callable[[CNode], None]) -> None:
        """Run ``func`` on every fully connected node, under m_nodes_mutex."""
        node: CNode
        with self.m_nodes_mutex:
            for node in self.m_nodes:
                if CConnman.NodeFullyConnected(node):
                    func(node)

    def AddLocalServices(self, services: ServiceFlags) -> None:
        """Add services this node advertises to peers during the connection handshake."""
        self.m_local_services = ServiceFlags(self.m_local_services | services)

    def RemoveLocalServices(self, services: ServiceFlags) -> None:
        self.m_local_services = ServiceFlags(self.m_local_services & ~services)

    # ---------------------------------------------------------------------------------------------
    # net.cpp, in upstream's order

    def AddAddrFetch(self, strDest: str) -> None:
        with self.m_addr_fetches_mutex:
            self.m_addr_fetches.append(strDest)

    def FindNode(self, target: CNetAddr | str) -> CNode | None:
        """Upstream's three overloads: by address (a CService also matches the port), or by
        name (a string)."""
        pnode: CNode
        with self.m_nodes_mutex:
            if isinstance(target, str):
                for pnode in self.m_nodes:
                    if pnode.m_addr_name == target:
                        return pnode
            elif isinstance(target, CService):
                service = _ServiceOf(target)
                for pnode in self.m_nodes:
                    if _ServiceOf(pnode.addr) == service:
                        return pnode
            else:
                ip = _NetAddrOf(target)
                for pnode in self.m_nodes:
                    if _NetAddrOf(pnode.addr) == ip:
                        return pnode
        return None

    def AlreadyConnectedToAddress(self, addr: CAddress) -> bool:
        """Whether we're already connected to this address (by IP only, any port)."""
        return self.FindNode(_NetAddrOf(addr)) is not None

    def CheckIncomingNonce(self, nonce: int) -> bool:
        """False if ``nonce`` is one of our own pending outbound version nonces."""
        pnode: CNode
        with self.m_nodes_mutex:
            for pnode in self.m_nodes:
                if (
                    not pnode.fSuccessfullyConnected
                    and not pnode.IsInboundConn()
                    and pnode.GetLocalNonce() == nonce
                ):
                    return False
        return True

    def ConnectNode(
        self,
        addrConnect: CAddress,
        pszDest: str | None,
        fCountFailure: bool,
        conn_type: ConnectionType,
        use_v2transport: bool,
    ) -> CNode | None:
        assert conn_type != ConnectionType.INBOUND

        if pszDest is None:
            if IsLocal(addrConnect):
                return None

            # Look for an existing connection
            pnode: CNode | None = self.FindNode(_ServiceOf(addrConnect))
            if pnode is not None:
                LogPrintf("Failed to open new connection, already connected\n")
                return None

        LogPrintLevel(
            BCLog.NET,
            BCLog.Level.Debug,
            "trying %s connection %s lastseen=%.1fhrs\n",
            "v2" if use_v2transport else "v1",
            pszDest if pszDest is not None else addrConnect.ToStringAddrPort(),
            0.0 if pszDest is not None else (GetTime() - addrConnect.nTime) / 3600,
        )

        # Resolve
        default_port = (
            self.GetDefaultPort(pszDest) if pszDest is not None else self.m_params.GetDefaultPort()
        )

        # Addresses to try: what pszDest resolves to, or addrConnect.
        connect_to: list[CAddress] = []
        if pszDest is not None:
            resolved = Lookup(
                pszDest,
                default_port,
                netbase.fNameLookup and not HaveNameProxy(),
                nMaxSolutions=256,
            )
            if resolved:
                FastRandomContext().shuffle(resolved)
                # A name may resolve to several addresses: connect to none if we are already
                # connected to one of them.
                for r in resolved:
                    addrConnect = CAddress(MaybeFlipIPv6toCJDNS(r), NODE_NONE)
                    if not addrConnect.IsValid():
                        LogDebug(
                            BCLog.NET,
                            "Resolver returned invalid address %s for %s\n",
                            addrConnect.ToStringAddrPort(),
                            pszDest,
                        )
                        return None
                    # We may already be connected to the IP/port pszDest resolved to.
                    with self.m_nodes_mutex:
                        pnode = self.FindNode(_ServiceOf(addrConnect))
                        if pnode is not None:
                            LogPrintf(
                                "Not opening a connection to %s, already connected to %s\n",
                                pszDest,
                                addrConnect.ToStringAddrPort(),
                            )
                            return None
                    connect_to.append(addrConnect)
            else:
                # For resolution via proxy
                connect_to.append(addrConnect)
        else:
            # Connect via addrConnect directly
            connect_to.append(addrConnect)

        # Connect
        sock: Sock | None = None
        addr_bind = CService()
        assert not addr_bind.IsValid()

        for target_addr in connect_to:
            if target_addr.IsValid():
                # No proxies are ported (Tor, I2P, SOCKS5): every connection is direct.
                proxyConnectionFailed = False
                sock = socklib.ConnectDirectly(target_addr, conn_type == ConnectionType.MANUAL)
                if not proxyConnectionFailed:
                    # A connection was attempted, and any failure was not the proxy's: mark
                    # this as an attempt.
                    self.addrman.Attempt(target_addr, fCountFailure)
            # (Upstream: an unresolved name may still go through a name proxy; none is ported.)

            # Check any other resolved address (if any) if we fail to connect
            if sock is None:
                continue

            permission_flags = NetPermissionFlags.None_
            whitelist_permissions = (
                self.vWhitelistedRangeOutgoing if conn_type == ConnectionType.MANUAL else []
            )
            permission_flags = self.AddWhitelistPermissionFlags(
                permission_flags, target_addr, whitelist_permissions
            )

            # Add node
            id = self.GetNewNodeId()
            nonce = (
                self.GetDeterministicRandomizer(RANDOMIZER_ID_LOCALHOSTNONCE).Write(id).Finalize()
            )
            if not addr_bind.IsValid():
                addr_bind = _GetBindAddress(sock)
            pnode = CNode(
                id,
                sock,
                target_addr,
                self.CalculateKeyedNetGroup(target_addr),
                nonce,
                addr_bind,
                pszDest if pszDest is not None else "",
                conn_type,
                False,  # inbound_onion
                CNodeOptions(
                    permission_flags=permission_flags,
                    i2p_sam_session=None,
                    recv_flood_size=self.nReceiveFloodSize,
                    use_v2transport=use_v2transport,
                ),
            )
            pnode.AddRef()

            # (Upstream harvests entropy from the time here: RandAddEvent.)
            return pnode

        return None

    def AddWhitelistPermissionFlags(
        self,
        flags: NetPermissionFlags,
        addr: CNetAddr | None,
        ranges: Sequence[NetWhitelistPermissions],
    ) -> NetPermissionFlags:
        """Upstream updates ``flags`` in place; here the updated flags are returned."""
        for subnet in ranges:
            if addr is not None and subnet.m_subnet.Match(addr):
                flags = NetPermissions.AddFlag(flags, subnet.m_flags)
        if NetPermissions.HasFlag(flags, NetPermissionFlags.Implicit):
            flags = NetPermissions.ClearFlag(flags, NetPermissionFlags.Implicit)
            if self.whitelist_forcerelay:
                flags = NetPermissions.AddFlag(flags, NetPermissionFlags.ForceRelay)
            if self.whitelist_relay:
                flags = NetPermissions.AddFlag(flags, NetPermissionFlags.Relay)
            flags = NetPermissions.AddFlag(flags, NetPermissionFlags.Mempool)
            flags = NetPermissions.AddFlag(flags, NetPermissionFlags.NoBan)
        return flags

    def SocketSendData(self, node: CNode) -> tuple[int, bool]:
        """(Try to) send data from node's vSendMsg. Returns (bytes_sent, data_left).

        EXCLUSIVE_LOCKS_REQUIRED(node.cs_vSend)."""
        it = 0  # index into node.vSendMsg of the first message not yet handed to the transport
        nSentSize = 0
        data_left = False  # second return value (whether unsent data remains)
        expected_more: bool | None = None

        while True:
            if it < len(node.vSendMsg):
                # Move one message from the queue to the transport, if it takes one now (not
                # while a message is still being sent).
                memusage = node.vSendMsg[it].GetMemoryUsage()
                if node.m_transport.SetMessageToSend(node.vSendMsg[it]):
                    # Update memory usage of send buffer (the message leaves the queue).
                    node.m_send_memusage -= memusage
                    it += 1
            data, more, msg_type = node.m_transport.GetBytesToSend(it < len(node.vSendMsg))
            # The 'more' of the previous round predicted whether bytes would be left now.
            if expected_more is not None:
                assert (len(data) > 0) == expected_more  # Assume()
            expected_more = more
            data_left = len(data) > 0  # overwritten on the next loop if all of data gets sent
            nBytes = 0
            if len(data) > 0:
                with node.m_sock_mutex:
                    # No socket once disconnected, or in tests without real connections: leave
                    # everything in the queue and the transport.
                    if node.m_sock is None:
                        break
                    flags = MSG_NOSIGNAL | MSG_DONTWAIT
                    if more:
                        flags |= MSG_MORE
                    nBytes = node.m_sock.Send(data, flags)
            if nBytes > 0:
                node.m_last_send = GetTime()
                node.nSendBytes += nBytes
                # Notify transport that bytes have been processed.
                node.m_transport.MarkBytesSent(nBytes)
                # Update statistics per message type.
                if msg_type:  # don't report v2 handshake bytes for now
                    node.AccountForSentBytes(msg_type, nBytes)
                nSentSize += nBytes
                if nBytes != len(data):
                    # could not send full message; stop sending more
                    break
            else:
                if nBytes < 0:
                    # error
                    nErr = WSAGetLastError()
                    if nErr not in (WSAEWOULDBLOCK, WSAEMSGSIZE, WSAEINTR, WSAEINPROGRESS):
                        LogDebug(
                            BCLog.NET,
                            "socket send error, %s: %s\n",
                            node.DisconnectMsg(bclogging.fLogIPs),
                            NetworkErrorString(nErr),
                        )
                        node.CloseSocketDisconnect()
                break

        self._SetPauseSend(
            node,
            node.m_send_memusage + node.m_transport.GetSendMemoryUsage() > self.nSendBufferMaxSize,
        )

        if it == len(node.vSendMsg):
            assert node.m_send_memusage == 0
        for _ in range(it):
            node.vSendMsg.popleft()
        return nSentSize, data_left

    def AttemptToEvictConnection(self) -> bool:
        """Try to find a connection to evict when the node is full.

        A few peers are protected for each of several characteristics that are hard to forge, so
        an attacker must beat honest peers at all of them at once to partition the node."""
        node: CNode
        pnode: CNode
        vEvictionCandidates: list[NodeEvictionCandidate] = []
        with self.m_nodes_mutex:
            candidates = [node for node in self.m_nodes if not node.fDisconnect]
        # The peer manager's inputs are asked for outside m_nodes_mutex: it takes its own locks.
        for node in candidates:
            inputs: PeerEvictionInputs = (
                self.m_msgproc.GetEvictionInputs(node.GetId())
                if self.m_msgproc is not None
                else PeerEvictionInputs()
            )
            candidate = NodeEvictionCandidate(
                id=node.GetId(),
                m_connected=node.m_connected,
                m_min_ping_time=inputs.m_min_ping_time,
                m_last_block_time=inputs.m_last_block_time,
                m_last_tx_time=inputs.m_last_tx_time,
                fRelevantServices=inputs.fRelevantServices,
                m_relay_txs=inputs.m_relay_txs,
                fBloomFilter=inputs.fBloomFilter,
                nKeyedNetGroup=node.nKeyedNetGroup,
                prefer_evict=node.m_prefer_evict,
                m_is_local=node.addr.IsLocal(),
                m_network=node.ConnectedThroughNetwork(),
                m_noban=node.HasPermission(NetPermissionFlags.NoBan),
                m_conn_type=node.m_conn_type,
            )
            vEvictionCandidates.append(candidate)
        node_id_to_evict = SelectNodeToEvict(vEvictionCandidates)
        if node_id_to_evict is None:
            return False
        with self.m_nodes_mutex:
            for pnode in self.m_nodes:
                if pnode.GetId() == node_id_to_evict:
                    LogDebug(
                        BCLog.NET,
                        "selected %s connection for eviction, %s",
                        pnode.ConnectionTypeAsString(),
                        pnode.DisconnectMsg(bclogging.fLogIPs),
                    )
                    pnode.fDisconnect = True
                    return True
        return False

    def AcceptConnection(self, hListenSocket: CConnman.ListenSocket) -> None:
        accepted = hListenSocket.sock.Accept()

        if accepted is None:
            nErr = WSAGetLastError()
            if nErr != WSAEWOULDBLOCK:
                LogPrintf("socket error accept failed: %s\n", NetworkErrorString(nErr))
            return
        sock, sockaddr = accepted

        addr = CService()
        service = service_from_sockaddr(sockaddr)
        if service is None:
            LogPrintLevel(BCLog.NET, BCLog.Level.Warning, "Unknown socket family\n")
        else:
            addr = MaybeFlipIPv6toCJDNS(service)

        addr_bind = MaybeFlipIPv6toCJDNS(_GetBindAddress(sock))

        permission_flags = NetPermissionFlags.None_
        permission_flags = hListenSocket.AddSocketPermissionFlags(permission_flags)

        self.CreateNodeFromAcceptedSocket(sock, permission_flags, addr_bind, addr)

    def CreateNodeFromAcceptedSocket(
        self,
        sock: Sock,
        permission_flags: NetPermissionFlags,
        addr_bind: CService,
        addr: CService,
    ) -> None:
        """Create a CNode for a just-accepted socket and add it to m_nodes."""
        pnode: CNode
        nInbound = 0

        inbound_onion = addr_bind in self.m_onion_binds

        # Tor inbound connections do not reveal the peer's address: no address-based
        # whitelisting for them.
        permission_flags = self.AddWhitelistPermissionFlags(
            permission_flags, None if inbound_onion else addr, self.vWhitelistedRangeIncoming
        )

        with self.m_nodes_mutex:
            for pnode in self.m_nodes:
                if pnode.IsInboundConn():
                    nInbound += 1

        if not self.fNetworkActive:
            LogDebug(
                BCLog.NET,
                "connection from %s dropped: not accepting new connections\n",
                addr.ToStringAddrPort(),
            )
            return

        if not sock.IsSelectable():
            LogPrintf(
                "connection from %s dropped: non-selectable socket\n", addr.ToStringAddrPort()
            )
            return

        # TCP_NODELAY is not inherited by accepted sockets everywhere: set it again.
        if sock.SetSockOpt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1) == SOCKET_ERROR:
            LogDebug(
                BCLog.NET,
                "connection from %s: unable to set TCP_NODELAY, continuing anyway\n",
                addr.ToStringAddrPort(),
            )

        # Don't accept connections from banned peers.
        banned = self.m_banman is not None and self.m_banman.IsBanned(addr)
        if not NetPermissions.HasFlag(permission_flags, NetPermissionFlags.NoBan) and banned:
            LogDebug(BCLog.NET, "connection from %s dropped (banned)\n", addr.ToStringAddrPort())
            return

        # Only accept connections from discouraged peers if our inbound slots aren't (almost)
        # full.
        discouraged = self.m_banman is not None and self.m_banman.IsDiscouraged(addr)
        if (
            not NetPermissions.HasFlag(permission_flags, NetPermissionFlags.NoBan)
            and nInbound + 1 >= self.m_max_inbound
            and discouraged
        ):
            LogDebug(
                BCLog.NET, "connection from %s dropped (discouraged)\n", addr.ToStringAddrPort()
            )
            return

        if nInbound >= self.m_max_inbound:  # noqa: SIM102 (upstream's nesting)
            if not self.AttemptToEvictConnection():
                # No connection to evict, disconnect the new connection
                LogDebug(
                    BCLog.NET,
                    "failed to find an eviction candidate - connection dropped (full)\n",
                )
                return

        id = self.GetNewNodeId()
        nonce = self.GetDeterministicRandomizer(RANDOMIZER_ID_LOCALHOSTNONCE).Write(id).Finalize()

        # V2Transport falls back to v1 for v1 peers, so upstream uses it whenever it signals
        # NODE_P2P_V2.
        local_services = self.GetLocalServices()
        use_v2transport = bool(local_services & NODE_P2P_V2)

        pnode = CNode(
            id,
            sock,
            CAddress(addr, NODE_NONE),
            self.CalculateKeyedNetGroup(addr),
            nonce,
            addr_bind,
            "",  # addrNameIn
            ConnectionType.INBOUND,
            inbound_onion,
            CNodeOptions(
                permission_flags=permission_flags,
                prefer_evict=discouraged,
                recv_flood_size=self.nReceiveFloodSize,
                use_v2transport=use_v2transport,
            ),
        )
        pnode.AddRef()
        assert self.m_msgproc is not None
        self.m_msgproc.InitializeNode(pnode.GetId(), PeerOptionsFor(pnode), local_services)
        with self.m_nodes_mutex:
            self.m_nodes.append(pnode)
        LogDebug(BCLog.NET, "connection from %s accepted\n", addr.ToStringAddrPort())

        # (Upstream harvests entropy from the time here: RandAddEvent.)

    def AddConnection(
        self, address: str, conn_type: ConnectionType, use_v2transport: bool = False
    ) -> bool:
        """Open a connection of the given type if its slots allow (tests only upstream).

        False if the type is not supported (inbound, manual), or if the total outbound capacity
        or that type's capacity is full."""
        node: CNode
        max_connections: int | None = None
        if conn_type in (ConnectionType.INBOUND, ConnectionType.MANUAL):
            return False
        if conn_type == ConnectionType.OUTBOUND_FULL_RELAY:
            max_connections = self.m_max_outbound_full_relay
        elif conn_type == ConnectionType.BLOCK_RELAY:
            max_connections = self.m_max_outbound_block_relay
        # no limit for ADDR_FETCH (-seednode has none either) nor for the short-lived FEELER

        # Count existing connections
        with self.m_nodes_mutex:
            existing_connections = 0
            for node in self.m_nodes:
                if node.m_conn_type == conn_type:
                    existing_connections += 1

        # Max connections of specified type already exist
        if max_connections is not None and existing_connections >= max_connections:
            return False

        # Max total outbound connections already exist
        assert self.semOutbound is not None
        grant = CountingSemaphoreGrant(self.semOutbound, True)
        try:
            if not grant:
                return False

            self.OpenNetworkConnection(
                CAddress(), False, grant, address, conn_type, use_v2transport
            )
            return True
        finally:
            grant.Release()

    def DisconnectNodes(self) -> None:
        # Reconnections are collected here so m_reconnections_mutex is not taken while holding
        # m_nodes_mutex.
        pnode: CNode
        reconnections_to_add: list[CConnman.ReconnectionInfo] = []

        with self.m_nodes_mutex:
            network_active = self.fNetworkActive
            if not network_active:
                # Disconnect any connected nodes
                for pnode in self.m_nodes:
                    if not pnode.fDisconnect:
                        LogDebug(
                            BCLog.NET,
                            "Network not active, %s\n",
                            pnode.DisconnectMsg(bclogging.fLogIPs),
                        )
                        pnode.fDisconnect = True

            # Disconnect unused nodes
            nodes_copy: list[CNode] = list(self.m_nodes)
            for pnode in nodes_copy:
                if pnode.fDisconnect:
                    # remove from m_nodes
                    self.m_nodes.remove(pnode)

                    # Queue a v1 reconnection if appropriate; not here, since connecting can
                    # block for seconds and this is the socket handler thread.
                    if network_active and pnode.m_transport.ShouldReconnectV1():
                        reconnections_to_add.append(
                            CConnman.ReconnectionInfo(
                                addr_connect=pnode.addr,
                                grant=pnode.grantOutbound.move(),
                                destination=pnode.m_dest,
                                conn_type=pnode.m_conn_type,
                                use_v2transport=False,
                            )
                        )
                        LogDebug(
                            BCLog.NET,
                            "retrying with v1 transport protocol for peer=%d\n",
                            pnode.GetId(),
                        )

                    # release outbound grant (if any)
                    pnode.grantOutbound.Release()

                    # close socket and cleanup
                    pnode.CloseSocketDisconnect()

                    # update connection count by network
                    if pnode.IsManualOrFullOutboundConn():
                        self.m_network_conn_counts[pnode.addr.GetNetwork()] -= 1

                    # hold in disconnected pool until all refs are released
                    pnode.Release()
                    self.m_nodes_disconnected.append(pnode)

        # Delete disconnected nodes
        nodes_disconnected_copy: list[CNode] = list(self.m_nodes_disconnected)
        for pnode in nodes_disconnected_copy:
            # Destroy the object only after other threads have stopped using it.
            if pnode.GetRefCount() <= 0:
                self.m_nodes_disconnected.remove(pnode)
                self.DeleteNode(pnode)

        # Move entries from reconnections_to_add to m_reconnections.
        with self.m_reconnections_mutex:
            self.m_reconnections.extend(reconnections_to_add)

    def NotifyNumConnectionsChanged(self) -> None:
        with self.m_nodes_mutex:
            nodes_size = len(self.m_nodes)
        if nodes_size != self.nPrevNodeCount:
            self.nPrevNodeCount = nodes_size
            if self.m_client_interface is not None:
                self.m_client_interface.NotifyNumConnectionsChanged(nodes_size)

    def ShouldRunInactivityChecks(self, nodeid: NodeId, now: int) -> bool:
        """True once the connection with this id is older than the peer connect timeout;
        ``now`` in seconds. False once it is gone."""
        pnode = self._NodeById(nodeid)
        return pnode is not None and self._ShouldRunInactivityChecks(pnode, now)

    def _ShouldRunInactivityChecks(self, node: CNode, now: int) -> bool:
        return node.m_connected + self.m_peer_connect_timeout < now

    def InactivityCheck(self, node: CNode) -> bool:
        """Return true if the peer is inactive and should be disconnected."""
        # Tests that mock time can start nodes with a large timeout (-peertimeout=999999999).
        now = GetTime()
        last_send = node.m_last_send
        last_recv = node.m_last_recv

        if not self._ShouldRunInactivityChecks(node, now):
            return False

        has_received = last_recv != 0
        has_sent = last_send != 0

        if not has_received or not has_sent:
            has_never = ""
            if not has_received:
                has_never += ", never received from peer"
            if not has_sent:
                has_never += ", never sent to peer"
            LogDebug(
                BCLog.NET,
                "socket no message in first %i seconds%s, %s\n",
                self.m_peer_connect_timeout,
                has_never,
                node.DisconnectMsg(bclogging.fLogIPs),
            )
            return True

        if now > last_send + TIMEOUT_INTERVAL:
            LogDebug(
                BCLog.NET,
                "socket sending timeout: %is, %s\n",
                now - last_send,
                node.DisconnectMsg(bclogging.fLogIPs),
            )
            return True

        if now > last_recv + TIMEOUT_INTERVAL:
            LogDebug(
                BCLog.NET,
                "socket receive timeout: %is, %s\n",
                now - last_recv,
                node.DisconnectMsg(bclogging.fLogIPs),
            )
            return True

        if not node.fSuccessfullyConnected:
            if node.m_transport.GetInfo().transport_type == TransportProtocolType.DETECTING:
                LogDebug(
                    BCLog.NET, "V2 handshake timeout, %s\n", node.DisconnectMsg(bclogging.fLogIPs)
                )
            else:
                LogDebug(
                    BCLog.NET,
                    "version handshake timeout, %s\n",
                    node.DisconnectMsg(bclogging.fLogIPs),
                )
            return True

        return False

    def GenerateWaitSockets(self, nodes: Sequence[CNode]) -> EventsPerSock:
        """The sockets to check for I/O readiness: listeners, and ``nodes``' sockets."""
        pnode: CNode
        events_per_sock: EventsPerSock = {}

        for hListenSocket in self.vhListenSocket:
            events_per_sock[hListenSocket.sock] = Events(SockEvent.RECV)

        for pnode in nodes:
            select_recv = not pnode.fPauseRecv
            with pnode.cs_vSend:
                # Sending is possible if there are bytes to send now, or will be once a message
                # from vSendMsg is handed to the transport; GetBytesToSend tells both.
                to_send, more, _msg_type = pnode.m_transport.GetBytesToSend(len(pnode.vSendMsg) > 0)
                select_send = len(to_send) > 0 or more
            if not select_recv and not select_send:
                continue

            with pnode.m_sock_mutex:
                if pnode.m_sock is not None:
                    event = (SockEvent.SEND if select_send else SockEvent(0)) | (
                        SockEvent.RECV if select_recv else SockEvent(0)
                    )
                    events_per_sock[pnode.m_sock] = Events(event)

        return events_per_sock

    def SocketHandler(self) -> None:
        """Wait for readiness of the connected and listening sockets, and service them."""
        with CConnman.NodesSnapshot(self, shuffle=False) as snap:
            timeout = SELECT_TIMEOUT_MILLISECONDS

            # One readiness wait (poll(2)) for connected and listening sockets; if none are
            # ready (or there are none), sleep a little and go on with empty sets.
            events_per_sock = self.GenerateWaitSockets(snap.Nodes())
            if not events_per_sock or not next(iter(events_per_sock)).WaitMany(
                timeout, events_per_sock
            ):
                self.interruptNet.sleep_for(timeout)

            # Service (send/receive) each of the already connected nodes.
            self.SocketHandlerConnected(snap.Nodes(), events_per_sock)

        # Accept new connections from listening sockets.
        self.SocketHandlerListening(events_per_sock)

    def SocketHandlerConnected(
        self, nodes: Sequence[CNode], events_per_sock: EventsPerSock
    ) -> None:
        """Do the reads and writes of the connected sockets that are ready."""
        pnode: CNode
        for pnode in nodes:
            if self.interruptNet:
                return

            #
            # Receive
            #
            recvSet = False
            sendSet = False
            errorSet = False
            with pnode.m_sock_mutex:
                if pnode.m_sock is None:
                    continue
                events = events_per_sock.get(pnode.m_sock)
                if events is not None:
                    recvSet = bool(events.occurred & SockEvent.RECV)
                    sendSet = bool(events.occurred & SockEvent.SEND)
                    errorSet = bool(events.occurred & SockEvent.ERR)

            if sendSet:
                # Send data
                with pnode.cs_vSend:
                    bytes_sent, data_left = self.SocketSendData(pnode)
                if bytes_sent:
                    self.RecordBytesSent(bytes_sent)

                    # Sending went first. If it did not drain the queue, don't receive: let TCP
                    # flow control slow a peer that is slow to receive. Only after a send that
                    # made progress, else both sides could wait on each other forever.
                    if data_left:
                        recvSet = False

            if recvSet or errorSet:
                # typical socket buffer is 8K-64K
                with pnode.m_sock_mutex:
                    if pnode.m_sock is None:
                        continue
                    received = pnode.m_sock.Recv(0x10000, MSG_DONTWAIT)
                if received is not None and len(received) > 0:
                    ok, notify = pnode.ReceiveMsgBytes(received)
                    if not ok:
                        LogDebug(
                            BCLog.NET,
                            "receiving message bytes failed, %s\n",
                            pnode.DisconnectMsg(bclogging.fLogIPs),
                        )
                        pnode.CloseSocketDisconnect()
                    self.RecordBytesRecv(len(received))
                    if notify:
                        pnode.MarkReceivedMsgsForProcessing()
                        if self.m_msgproc is not None:
                            self.m_msgproc.WakeMessageHandler()
                elif received is not None:
                    # socket closed gracefully
                    if not pnode.fDisconnect:
                        LogDebug(
                            BCLog.NET,
                            "socket closed, %s\n",
                            pnode.DisconnectMsg(bclogging.fLogIPs),
                        )
                    pnode.CloseSocketDisconnect()
                else:
                    # error
                    nErr = WSAGetLastError()
                    if nErr not in (WSAEWOULDBLOCK, WSAEMSGSIZE, WSAEINTR, WSAEINPROGRESS):
                        if not pnode.fDisconnect:
                            LogDebug(
                                BCLog.NET,
                                "socket recv error, %s: %s\n",
                                pnode.DisconnectMsg(bclogging.fLogIPs),
                                NetworkErrorString(nErr),
                            )
                        pnode.CloseSocketDisconnect()

            if self.InactivityCheck(pnode):
                pnode.fDisconnect = True

    def SocketHandlerListening(self, events_per_sock: EventsPerSock) -> None:
        """Accept incoming connections, one from each read-ready listening socket."""
        for listen_socket in self.vhListenSocket:
            if self.interruptNet:
                return
            events = events_per_sock.get(listen_socket.sock)
            if events is not None and events.occurred & SockEvent.RECV:
                self.AcceptConnection(listen_socket)

    def ThreadSocketHandler(self) -> None:
        while not self.interruptNet:
            self.DisconnectNodes()
            self.NotifyNumConnectionsChanged()
            self.SocketHandler()

    # ThreadDNSAddressSeed is not ported: a workbench node has no DNS seeds. Start() never
    # launches it and logs "DNS seeding disabled".

    def DumpAddresses(self) -> None:
        start = SteadyClock.now()

        datadir = _datadir_net()
        if datadir is None:
            return  # no data directory (tests): nothing to write to
        DumpPeerAddresses(datadir, self.addrman)

        LogDebug(
            BCLog.NET,
            "Flushed %d addresses to peers.dat  %dms\n",
            self.addrman.Size(),
            (SteadyClock.now() - start) // 1000,
        )

    def ProcessAddrFetch(self) -> None:
        with self.m_addr_fetches_mutex:
            if not self.m_addr_fetches:
                return
            strDest = self.m_addr_fetches.popleft()
        # Try v2 if we support it; we reconnect with v1 if the peer does not.
        use_v2transport = bool(self.GetLocalServices() & NODE_P2P_V2)
        addr = CAddress()
        assert self.semOutbound is not None
        grant = CountingSemaphoreGrant(self.semOutbound, True)
        try:
            if grant:
                self.OpenNetworkConnection(
                    addr, False, grant, strDest, ConnectionType.ADDR_FETCH, use_v2transport
                )
        finally:
            grant.Release()

    def GetTryNewOutboundPeer(self) -> bool:
        return self.m_try_another_outbound_peer

    def SetTryNewOutboundPeer(self, flag: bool) -> None:
        """Allow temporarily exceeding m_max_outbound_full_relay, to find a better peer."""
        self.m_try_another_outbound_peer = flag
        LogDebug(BCLog.NET, "setting try another outbound peer=%s\n", "true" if flag else "false")

    def StartExtraBlockRelayPeers(self) -> None:
        LogDebug(BCLog.NET, "enabling extra block-relay-only peers\n")
        self.m_start_extra_block_relay_peers = True

    def GetFullOutboundConnCount(self) -> int:
        """Count the outbound connections that are full relay (not blocks only)."""
        pnode: CNode
        nRelevant = 0
        with self.m_nodes_mutex:
            for pnode in self.m_nodes:
                if pnode.fSuccessfullyConnected and pnode.IsFullOutboundConn():
                    nRelevant += 1
        return nRelevant

    def GetExtraFullOutboundCount(self) -> int:
        """Full-relay outbound peers over the target, not counting peers marked for disconnect,
        short-lived ones, or ones still in the handshake (so we never evict a good peer just
        because some connections are still coming or going)."""
        pnode: CNode
        full_outbound_peers = 0
        with self.m_nodes_mutex:
            for pnode in self.m_nodes:
                if (
                    pnode.fSuccessfullyConnected
                    and not pnode.fDisconnect
                    and pnode.IsFullOutboundConn()
                ):
                    full_outbound_peers += 1
        return max(full_outbound_peers - self.m_max_outbound_full_relay, 0)

    def GetExtraBlockRelayCount(self) -> int:
        """Count the block-relay-only peers we have over our limit."""
        pnode: CNode
        block_relay_peers = 0
        with self.m_nodes_mutex:
            for pnode in self.m_nodes:
                if (
                    pnode.fSuccessfullyConnected
                    and not pnode.fDisconnect
                    and pnode.IsBlockOnlyConn()
                ):
                    block_relay_peers += 1
        return max(block_relay_peers - self.m_max_outbound_block_relay, 0)

    def GetReachableEmptyNetworks(self) -> set[Network]:
        """Reachable networks with no address in addrman, which may need fixed seeds."""
        networks: set[Network] = set()
        for n in range(int(Network.NET_MAX)):
            net = Network(n)
            if net in (Network.NET_UNROUTABLE, Network.NET_INTERNAL):
                continue
            if g_reachable_nets.Contains(net) and self.addrman.Size(net, None) == 0:
                networks.add(net)
        return networks

    def MultipleManualOrFullOutboundConns(self, net: Network) -> bool:
        """EXCLUSIVE_LOCKS_REQUIRED(m_nodes_mutex)."""
        return self.m_network_conn_counts[net] > 1

    def MaybePickPreferredNetwork(self) -> Network | None:
        """A reachable network with addrman entries but no full-relay or manual connection yet,
        or None. (Upstream returns a bool and fills an optional out-parameter.)"""
        nets = [
            Network.NET_IPV4,
            Network.NET_IPV6,
            Network.NET_ONION,
            Network.NET_I2P,
            Network.NET_CJDNS,
        ]
        FastRandomContext().shuffle(nets)

        with self.m_nodes_mutex:
            for net in nets:
                if (
                    g_reachable_nets.Contains(net)
                    and self.m_network_conn_counts[net] == 0
                    and self.addrman.Size(net) != 0
                ):
                    return net

        return None

    def ThreadOpenConnections(self, connect: list[str], seed_nodes: list[str]) -> None:
        """The automatic outbound connection policy (thread "opencon")."""
        pnode: CNode
        rng = FastRandomContext()
        # Connect to specific addresses
        if connect:
            # Try v2 if we support it; we reconnect with v1 if the peer does not.
            use_v2transport = bool(self.GetLocalServices() & NODE_P2P_V2)
            nLoop = 0
            while True:
                for strAddr in connect:
                    addr = CAddress(CService(), NODE_NONE)
                    self.OpenNetworkConnection(
                        addr,
                        False,
                        CountingSemaphoreGrant(),
                        strAddr,
                        ConnectionType.MANUAL,
                        use_v2transport,
                    )
                    i = 0
                    while i < 10 and i < nLoop:
                        if not self.interruptNet.sleep_for(500):
                            return
                        i += 1
                if not self.interruptNet.sleep_for(500):
                    return
                self.PerformReconnections()
                nLoop += 1

        # Initiate network connections
        start = GetTimeMicros()

        # Minimum time before next feeler connection (in microseconds).
        next_feeler = start + rng.rand_exp_duration(FEELER_INTERVAL * _MICROS_PER_SECOND)
        next_extra_block_relay = start + rng.rand_exp_duration(
            EXTRA_BLOCK_RELAY_ONLY_PEER_INTERVAL * _MICROS_PER_SECOND
        )
        next_extra_network_peer = start + rng.rand_exp_duration(
            EXTRA_NETWORK_PEER_INTERVAL * _MICROS_PER_SECOND
        )
        dnsseed = gArgs.GetBoolArg("-dnsseed", DEFAULT_DNSSEED)
        add_fixed_seeds = gArgs.GetBoolArg("-fixedseeds", DEFAULT_FIXEDSEEDS)
        use_seednodes = len(gArgs.GetArgs("-seednode")) > 0

        seed_nodes = list(seed_nodes)
        seed_node_timer = NodeClock.now()  # microseconds
        add_addr_fetch = self.addrman.Size() == 0 and len(seed_nodes) > 0
        ADD_NEXT_SEEDNODE = 10  # seconds

        if not add_fixed_seeds:
            LogPrintf("Fixed seeds are disabled\n")

        while not self.interruptNet:
            if add_addr_fetch:
                add_addr_fetch = False
                seed = seed_nodes.pop()
                self.AddAddrFetch(seed)

                if self.addrman.Size() == 0:
                    LogInfo("Empty addrman, adding seednode (%s) to addrfetch\n", seed)
                else:
                    LogInfo(
                        "Couldn't connect to peers from addrman after %d seconds. Adding "
                        "seednode (%s) to addrfetch\n",
                        ADD_NEXT_SEEDNODE,
                        seed,
                    )

            self.ProcessAddrFetch()

            if not self.interruptNet.sleep_for(500):
                return

            self.PerformReconnections()

            assert self.semOutbound is not None
            grant = CountingSemaphoreGrant(self.semOutbound)
            # Upstream's grant is released by its destructor at the end of every iteration,
            # including each `continue`; here the `finally` does it.
            try:
                if self.interruptNet:
                    return

                fixed_seed_networks = self.GetReachableEmptyNetworks()
                if add_fixed_seeds and fixed_seed_networks:
                    # With an empty peers.dat, -dnsseed, -seednode and -addnode come before the
                    # fixed seeds: they get 60 seconds to fill addrman, unless none of them is
                    # configured.
                    add_fixed_seeds_now = False
                    # It is cheapest to check if enough time has passed first.
                    if GetTime() > start // _MICROS_PER_SECOND + 60:
                        add_fixed_seeds_now = True
                        LogPrintf(
                            "Adding fixed seeds as 60 seconds have passed and addrman is empty "
                            "for at least one reachable network\n"
                        )
                    # Perform cheap checks before locking a mutex.
                    elif not dnsseed and not use_seednodes:
                        with self.m_added_nodes_mutex:
                            if not self.m_added_node_params:
                                add_fixed_seeds_now = True
                                LogPrintf(
                                    "Adding fixed seeds as -dnsseed=0 (or IPv4/IPv6 connections "
                                    "are disabled via -onlynet) and neither -addnode nor "
                                    "-seednode are provided\n"
                                )

                    if add_fixed_seeds_now:
                        seed_addrs = ConvertSeeds(b"".join(self.m_params.FixedSeeds()))
                        # Unreachable networks (e.g. -onlynet) get no fixed seeds; they are loaded
                        # later only for networks that have no addresses.
                        seed_addrs = [
                            a for a in seed_addrs if a.GetNetwork() in fixed_seed_networks
                        ]
                        local = CNetAddr()
                        local.SetInternal("fixedseeds")
                        self.addrman.Add(seed_addrs, local)
                        add_fixed_seeds = False
                        LogPrintf(
                            "Added %d fixed seeds from reachable networks.\n", len(seed_addrs)
                        )

                #
                # Choose an address to connect to based on most recently seen
                #
                addrConnect = CAddress()

                # Only connect out to one peer per ipv4/ipv6 network group (/16 for IPv4).
                nOutboundFullRelay = 0
                nOutboundBlockRelay = 0
                outbound_privacy_network_peers = 0
                outbound_ipv46_peer_netgroups: set[bytes] = set()

                with self.m_nodes_mutex:
                    for pnode in self.m_nodes:
                        if pnode.IsFullOutboundConn():
                            nOutboundFullRelay += 1
                        if pnode.IsBlockOnlyConn():
                            nOutboundBlockRelay += 1

                        # Persistent outbound slots to ipv4/ipv6 peers go to distinct netgroups.
                        # Inbound connections don't count (an attacker could make them to keep us
                        # from certain peers), nor do short-lived addr-fetch and feeler connections.
                        if pnode.m_conn_type in (
                            ConnectionType.MANUAL,
                            ConnectionType.OUTBOUND_FULL_RELAY,
                            ConnectionType.BLOCK_RELAY,
                        ):
                            address = pnode.addr
                            if address.IsTor() or address.IsI2P() or address.IsCJDNS():
                                # Addrman groups of these networks are random and unrelated to the
                                # route to the peer: no netgroup diversity for them.
                                outbound_privacy_network_peers += 1
                            else:
                                outbound_ipv46_peer_netgroups.add(
                                    self.m_netgroupman.GetGroup(address)
                                )

                if seed_nodes and nOutboundFullRelay < SEED_OUTBOUND_CONNECTION_THRESHOLD:  # noqa: SIM102
                    if NodeClock.now() > seed_node_timer + ADD_NEXT_SEEDNODE * _MICROS_PER_SECOND:
                        seed_node_timer = NodeClock.now()
                        add_addr_fetch = True

                conn_type = ConnectionType.OUTBOUND_FULL_RELAY
                now = GetTimeMicros()
                anchor = False
                fFeeler = False
                preferred_net: Network | None = None

                # Which connection type to open: block-relay-only to anchors first, then full-relay
                # up to capacity, then block-relay-only up to capacity; an extra full-relay one when
                # SetTryNewOutboundPeer asked for it (stale tip); else, when their timers are due,
                # an extra block-relay-only peer, a feeler, or an extra peer on a network we lack.
                if self.m_anchors and nOutboundBlockRelay < self.m_max_outbound_block_relay:
                    conn_type = ConnectionType.BLOCK_RELAY
                    anchor = True
                elif nOutboundFullRelay < self.m_max_outbound_full_relay:
                    # OUTBOUND_FULL_RELAY
                    pass
                elif nOutboundBlockRelay < self.m_max_outbound_block_relay:
                    conn_type = ConnectionType.BLOCK_RELAY
                elif self.GetTryNewOutboundPeer():
                    # OUTBOUND_FULL_RELAY
                    pass
                elif now > next_extra_block_relay and self.m_start_extra_block_relay_peers:
                    # Every few minutes, a short-lived block-relay-only peer from addrman: it stays
                    # just long enough to sync headers, and is dropped unless it taught us something
                    # new (net_processing's EvictExtraOutboundPeers). A new header source every few
                    # minutes makes eclipse attacks hard, at little cost in bandwidth.
                    next_extra_block_relay = now + rng.rand_exp_duration(
                        EXTRA_BLOCK_RELAY_ONLY_PEER_INTERVAL * _MICROS_PER_SECOND
                    )
                    conn_type = ConnectionType.BLOCK_RELAY
                elif now > next_feeler:
                    next_feeler = now + rng.rand_exp_duration(FEELER_INTERVAL * _MICROS_PER_SECOND)
                    conn_type = ConnectionType.FEELER
                    fFeeler = True
                elif (
                    nOutboundFullRelay == self.m_max_outbound_full_relay
                    and self.m_max_outbound_full_relay == MAX_OUTBOUND_FULL_RELAY_CONNECTIONS
                    and now > next_extra_network_peer
                    and (preferred_net := self.MaybePickPreferredNetwork()) is not None
                ):
                    # Try for at least one outbound peer on every reachable network: an extra
                    # connection, whose network outbound eviction then protects. Not with a lowered
                    # -maxconnections, where it would interfere with the protected outbound peers.
                    next_extra_network_peer = now + rng.rand_exp_duration(
                        EXTRA_NETWORK_PEER_INTERVAL * _MICROS_PER_SECOND
                    )
                else:
                    # skip to next iteration of while loop
                    continue

                self.addrman.ResolveCollisions()

                current_time = NodeClock.now()  # microseconds
                nTries = 0
                reachable_nets = g_reachable_nets.All()

                assert self.m_msgproc is not None
                while not self.interruptNet:
                    if anchor and self.m_anchors:
                        addr = self.m_anchors.pop()
                        if (
                            not addr.IsValid()
                            or IsLocal(addr)
                            or not g_reachable_nets.Contains(addr)
                            or not self.m_msgproc.HasAllDesirableServiceFlags(addr.nServices)
                            or self.m_netgroupman.GetGroup(addr) in outbound_ipv46_peer_netgroups
                        ):
                            continue
                        addrConnect = addr
                        LogDebug(
                            BCLog.NET,
                            "Trying to make an anchor connection to %s\n",
                            addrConnect.ToStringAddrPort(),
                        )
                        break

                    # After 100 addrman addresses without a suitable one, let the outer loop run
                    # again (sleep, seed nodes, recount the connected netgroups) before trying more.
                    nTries += 1
                    if nTries > 100:
                        break

                    addr_last_try = 0  # seconds

                    if fFeeler:
                        # First a tried-table collision, if any (else an invalid address).
                        addr, addr_last_try = self.addrman.SelectTriedCollision()

                        if not addr.IsValid():
                            # No tried table collisions. Select a new table address for our feeler.
                            addr, addr_last_try = self.addrman.Select(True, reachable_nets)
                        elif self.AlreadyConnectedToAddress(addr):
                            # Test-before-evict would connect to a peer we are already connected to:
                            # mark it Good() instead (we can't connect anyway, and this keeps a
                            # connected peer from being evicted), and feel out a new table address.
                            self.addrman.Good(addr)
                            addr, addr_last_try = self.addrman.Select(True, reachable_nets)
                    else:
                        # Not a feeler. With a preferred network, the extra peer comes from it
                        # (outbound eviction in net_processing then drops a peer of another
                        # network).
                        addr, addr_last_try = (
                            self.addrman.Select(False, {preferred_net})
                            if preferred_net is not None
                            else self.addrman.Select(False, reachable_nets)
                        )

                    # Outbound IPv4/IPv6 connections other than feelers go to distinct network
                    # groups.
                    if (
                        not fFeeler
                        and self.m_netgroupman.GetGroup(addr) in outbound_ipv46_peer_netgroups
                    ):
                        continue

                    # if we selected an invalid or local address, restart
                    if not addr.IsValid() or IsLocal(addr):
                        break

                    if not g_reachable_nets.Contains(addr):
                        continue

                    # only consider very recently tried nodes after 30 failed attempts
                    if (
                        current_time - addr_last_try * _MICROS_PER_SECOND < 600 * _MICROS_PER_SECOND
                        and (nTries < 30)
                    ):
                        continue

                    # Non-feelers need all the services we want; feelers only a full node (most SPV
                    # clients have no useful address database).
                    if (
                        not fFeeler
                        and not self.m_msgproc.HasAllDesirableServiceFlags(addr.nServices)
                    ) or (fFeeler and not MayHaveUsefulAddressDB(addr.nServices)):
                        continue

                    # Do not connect to bad ports, unless 50 invalid addresses have been selected
                    # already.
                    if (
                        nTries < 50
                        and (addr.IsIPv4() or addr.IsIPv6())
                        and IsBadPort(addr.GetPort())
                    ):
                        continue

                    # Addnode peers get manual connections with their protections, not our automatic
                    # outbound slots.
                    if self.AddedNodesContain(addr):
                        LogPrintLevel(
                            BCLog.NET,
                            BCLog.Level.Debug,
                            "Not making automatic %s%s connection to %s peer selected for manual "
                            "(addnode) connection%s\n",
                            "network-specific " if preferred_net is not None else "",
                            _ConnectionTypeAsString(conn_type),
                            GetNetworkName(addr.GetNetwork()),
                            f": {addr.ToStringAddrPort()}" if bclogging.fLogIPs else "",
                        )
                        continue

                    addrConnect = addr
                    break

                if addrConnect.IsValid():
                    if fFeeler:
                        # Add small amount of random noise before connection to avoid
                        # synchronization.
                        if not self.interruptNet.sleep_for(
                            rng.rand_uniform_duration(FEELER_SLEEP_WINDOW)
                        ):
                            return
                        LogDebug(
                            BCLog.NET,
                            "Making feeler connection to %s\n",
                            addrConnect.ToStringAddrPort(),
                        )

                    if preferred_net is not None:
                        LogDebug(
                            BCLog.NET,
                            "Making network specific connection to %s on %s.\n",
                            addrConnect.ToStringAddrPort(),
                            GetNetworkName(preferred_net),
                        )

                    # Count addrman failures only with at least 2 persistent outbound peers in
                    # distinct ipv4/ipv6 netgroups plus the Tor/I2P/CJDNS ones: not while offline,
                    # when all local connections share one netgroup.
                    count_failures = (
                        len(outbound_ipv46_peer_netgroups) + outbound_privacy_network_peers
                    ) >= min(self.m_max_automatic_connections - 1, 2)
                    # Use BIP324 transport when both us and them have NODE_V2_P2P set.
                    use_v2transport = bool(
                        addrConnect.nServices & self.GetLocalServices() & NODE_P2P_V2
                    )
                    self.OpenNetworkConnection(
                        addrConnect, count_failures, grant, None, conn_type, use_v2transport
                    )
            finally:
                grant.Release()

    def GetCurrentBlockRelayOnlyConns(self) -> list[CAddress]:
        """The addresses of the current BLOCK_RELAY peers."""
        pnode: CNode
        ret: list[CAddress] = []
        with self.m_nodes_mutex:
            for pnode in self.m_nodes:
                if pnode.IsBlockOnlyConn():
                    ret.append(pnode.addr)
        return ret

    def GetAddedNodeInfo(self, include_connected: bool) -> list[AddedNodeInfo]:
        pnode: CNode
        ret: list[AddedNodeInfo] = []

        with self.m_added_nodes_mutex:
            lAddresses = list(self.m_added_node_params)

        # Connected addresses by IP:port and by name: (inbound, resolved CService).
        mapConnected: dict[CService, bool] = {}
        mapConnectedByName: dict[str, tuple[bool, CService]] = {}
        with self.m_nodes_mutex:
            for pnode in self.m_nodes:
                if pnode.addr.IsValid():
                    mapConnected[_ServiceOf(pnode.addr)] = pnode.IsInboundConn()
                addrName = pnode.m_addr_name
                if addrName:
                    mapConnectedByName[addrName] = (pnode.IsInboundConn(), _ServiceOf(pnode.addr))

        for addr in lAddresses:
            service = MaybeFlipIPv6toCJDNS(
                LookupNumeric(addr.m_added_node, self.GetDefaultPort(addr.m_added_node))
            )
            addedNode = AddedNodeInfo(addr, CService(), False, False)
            if service.IsValid():
                # strAddNode is an IP:port
                inbound = mapConnected.get(service)
                if inbound is not None:
                    if not include_connected:
                        continue
                    addedNode.resolvedAddress = service
                    addedNode.fConnected = True
                    addedNode.fInbound = inbound
            else:
                # strAddNode is a name
                by_name = mapConnectedByName.get(addr.m_added_node)
                if by_name is not None:
                    if not include_connected:
                        continue
                    addedNode.resolvedAddress = by_name[1]
                    addedNode.fConnected = True
                    addedNode.fInbound = by_name[0]
            ret.append(addedNode)

        return ret

    def ThreadOpenAddedConnections(self) -> None:
        """Keep connections to the -addnode / addnode RPC entries (thread "addcon")."""
        while True:
            assert self.semAddnode is not None
            grant = CountingSemaphoreGrant(self.semAddnode)
            # The `finally` stands for the grant's destructor at the end of each iteration.
            try:
                vInfo = self.GetAddedNodeInfo(include_connected=False)
                tried = False
                for info in vInfo:
                    if not grant:
                        # Used up our grant: don't wait for another here, the added nodes'
                        # state may change meanwhile.
                        break
                    tried = True
                    addr = CAddress(CService(), NODE_NONE)
                    self.OpenNetworkConnection(
                        addr,
                        False,
                        grant,
                        info.m_params.m_added_node,
                        ConnectionType.MANUAL,
                        info.m_params.m_use_v2transport,
                    )
                    if not self.interruptNet.sleep_for(500):
                        return
                    grant.Release()  # the move assignment releases what it overwrites
                    grant = CountingSemaphoreGrant(self.semAddnode, True)
                # See if any reconnections are desired.
                self.PerformReconnections()
                # Retry every 60 seconds if a connection was attempted, otherwise two seconds
                if not self.interruptNet.sleep_for(60_000 if tried else 2_000):
                    return
            finally:
                grant.Release()

    def OpenNetworkConnection(
        self,
        addrConnect: CAddress,
        fCountFailure: bool,
        grant_outbound: CountingSemaphoreGrant,
        pszDest: str | None,
        conn_type: ConnectionType,
        use_v2transport: bool,
    ) -> None:
        """Open an outbound connection. On success the node takes over ``grant_outbound`` (it is
        left empty); otherwise the caller still holds it and releases it."""
        pnode: CNode | None
        assert conn_type != ConnectionType.INBOUND

        #
        # Initiate outbound network connection
        #
        if self.interruptNet:
            return
        if not self.fNetworkActive:
            return
        if pszDest is None:
            banned_or_discouraged = self.m_banman is not None and (
                self.m_banman.IsDiscouraged(addrConnect) or self.m_banman.IsBanned(addrConnect)
            )
            if (
                IsLocal(addrConnect)
                or banned_or_discouraged
                or self.AlreadyConnectedToAddress(addrConnect)
            ):
                return
        elif self.FindNode(pszDest) is not None:
            return

        pnode = self.ConnectNode(addrConnect, pszDest, fCountFailure, conn_type, use_v2transport)

        if pnode is None:
            return
        pnode.grantOutbound.Release()
        pnode.grantOutbound = grant_outbound.move()

        assert self.m_msgproc is not None
        self.m_msgproc.InitializeNode(pnode.GetId(), PeerOptionsFor(pnode), self.m_local_services)
        with self.m_nodes_mutex:
            self.m_nodes.append(pnode)

            # update connection count by network
            if pnode.IsManualOrFullOutboundConn():
                self.m_network_conn_counts[pnode.addr.GetNetwork()] += 1

    # ThreadI2PAcceptIncoming is not ported (no I2P SAM session).

    def BindListenPort(
        self, addrBind: CService, permissions: NetPermissionFlags
    ) -> tuple[bool, str]:
        """Open a listening socket on ``addrBind``. Returns (success, strError); upstream fills
        a bilingual_str out-parameter."""
        nOne = 1

        # Create socket for listening for incoming connections
        sockaddr = addrBind.GetSockAddr()
        if sockaddr is None:
            strError = f"Bind address family for {addrBind.ToStringAddrPort()} not supported"
            LogPrintLevel(BCLog.NET, BCLog.Level.Error, "%s\n", strError)
            return False, strError

        sock = socklib.CreateSock(addrBind.GetSAFamily(), socket.SOCK_STREAM, socket.IPPROTO_TCP)
        if sock is None:
            strError = (
                "Couldn't open socket for incoming connections (socket returned error "
                f"{NetworkErrorString(WSAGetLastError())})"
            )
            LogPrintLevel(BCLog.NET, BCLog.Level.Error, "%s\n", strError)
            return False, strError

        # Allow binding if the port is still in TIME_WAIT state after a restart.
        if sock.SetSockOpt(socket.SOL_SOCKET, socket.SO_REUSEADDR, nOne) == SOCKET_ERROR:
            strError = (
                "Error setting SO_REUSEADDR on socket: "
                f"{NetworkErrorString(WSAGetLastError())}, continuing anyway"
            )
            LogPrintf("%s\n", strError)

        # Some systems lack IPV6_V6ONLY but are always v6only; where the option exists, turn it
        # on.
        if addrBind.IsIPv6() and hasattr(socket, "IPV6_V6ONLY"):  # noqa: SIM102
            if sock.SetSockOpt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, nOne) == SOCKET_ERROR:
                strError = (
                    "Error setting IPV6_V6ONLY on socket: "
                    f"{NetworkErrorString(WSAGetLastError())}, continuing anyway"
                )
                LogPrintf("%s\n", strError)

        if sock.Bind(sockaddr) == SOCKET_ERROR:
            nErr = WSAGetLastError()
            if nErr == WSAEADDRINUSE:
                strError = (
                    f"Unable to bind to {addrBind.ToStringAddrPort()} on this computer. "
                    f"{CLIENT_NAME} is probably already running."
                )
            else:
                strError = (
                    f"Unable to bind to {addrBind.ToStringAddrPort()} on this computer (bind "
                    f"returned error {NetworkErrorString(nErr)})"
                )
            LogPrintLevel(BCLog.NET, BCLog.Level.Error, "%s\n", strError)
            return False, strError
        LogPrintf("Bound to %s\n", addrBind.ToStringAddrPort())

        # Listen for incoming connections
        if sock.Listen(socket.SOMAXCONN) == SOCKET_ERROR:
            strError = (
                "Listening for incoming connections failed (listen returned error "
                f"{NetworkErrorString(WSAGetLastError())})"
            )
            LogPrintLevel(BCLog.NET, BCLog.Level.Error, "%s\n", strError)
            return False, strError

        self.vhListenSocket.append(CConnman.ListenSocket(sock, permissions))
        return True, ""

    def SetNetworkActive(self, active: bool) -> None:
        LogPrintf("%s: %s\n", "SetNetworkActive", "true" if active else "false")

        if self.fNetworkActive == active:
            return

        self.fNetworkActive = active

        if self.m_client_interface is not None:
            self.m_client_interface.NotifyNetworkActiveChanged(self.fNetworkActive)

    def GetNewNodeId(self) -> NodeId:
        with _g_atomic_lock:
            id = self.nLastNodeId
            self.nLastNodeId += 1
        return NodeId(id)

    def GetDefaultPort(self, net_or_addr: Network | str) -> int:
        """Upstream's two overloads: by network, or by an address string (I2P gets the SAM 3.1
        port, everything else the chain's default port)."""
        if isinstance(net_or_addr, str):
            a = CNetAddr()
            return (
                self.GetDefaultPort(a.GetNetwork())
                if a.SetSpecial(net_or_addr)
                else self.m_params.GetDefaultPort()
            )
        return I2P_SAM31_PORT if net_or_addr == Network.NET_I2P else self.m_params.GetDefaultPort()

    def Bind(self, addr_: CService, flags: int, permissions: NetPermissionFlags) -> bool:
        addr = MaybeFlipIPv6toCJDNS(addr_)

        ok, strError = self.BindListenPort(addr, permissions)
        if not ok:
            if (flags & BF_REPORT_ERROR) and self.m_client_interface is not None:
                self.m_client_interface.ThreadSafeMessageBox(strError, "", MSG_ERROR)
            return False

        if (
            addr.IsRoutable()
            and fDiscover
            and not (flags & BF_DONT_ADVERTISE)
            and not NetPermissions.HasFlag(permissions, NetPermissionFlags.NoBan)
        ):
            AddLocal(addr, LOCAL_BIND)

        return True

    def InitBinds(self, options: CConnman.Options) -> bool:
        for addrBind in options.vBinds:
            if not self.Bind(addrBind, BF_REPORT_ERROR, NetPermissionFlags.None_):
                return False
        for whiteBind in options.vWhiteBinds:
            if not self.Bind(whiteBind.m_service, BF_REPORT_ERROR, whiteBind.m_flags):
                return False
        for addr_bind in options.onion_binds:
            if not self.Bind(
                addr_bind, BF_REPORT_ERROR | BF_DONT_ADVERTISE, NetPermissionFlags.None_
            ):
                return False
        if options.bind_on_any:
            # Failing to bind "::" is not fatal: the host may lack IPv6, and the user did not
            # ask for it explicitly.
            ipv6_any = CService(LookupNumeric("::", 0), GetListenPort())  # ::
            self.Bind(ipv6_any, BF_NONE, NetPermissionFlags.None_)

            ipv4_any = CService(LookupNumeric("0.0.0.0", 0), GetListenPort())  # 0.0.0.0
            if not self.Bind(ipv4_any, BF_REPORT_ERROR, NetPermissionFlags.None_):
                return False
        return True

    def Start(self, scheduler: CScheduler | None, connOptions: CConnman.Options) -> bool:
        """Bind, load anchors, and start the threads. Without a ``scheduler`` the periodic
        DumpAddresses runs on a thread of its own ("scheduler", joined by StopThreads)."""
        self.Init(connOptions)

        if fListen and not self.InitBinds(connOptions):
            if self.m_client_interface is not None:
                self.m_client_interface.ThreadSafeMessageBox(
                    "Failed to listen on any port. Use -listen=0 if you want this.", "", MSG_ERROR
                )
            return False

        # (No I2P SAM session: I2P is not ported.)

        # Shuffle the seed nodes, so a restart does not always query the same one first.
        seed_nodes = list(connOptions.vSeedNodes)
        if seed_nodes:
            FastRandomContext().shuffle(seed_nodes)

        if self.m_use_addrman_outgoing:
            # Load addresses from anchors.dat
            datadir = _datadir_net()
            self.m_anchors = (
                ReadAnchors(datadir / ANCHORS_DATABASE_FILENAME) if datadir is not None else []
            )
            if len(self.m_anchors) > MAX_BLOCK_RELAY_ONLY_ANCHORS:
                del self.m_anchors[MAX_BLOCK_RELAY_ONLY_ANCHORS:]
            LogPrintf(
                "%i block-relay-only anchors will be tried for connections.\n",
                len(self.m_anchors),
            )

        if self.m_client_interface is not None:
            self.m_client_interface.InitMessage("Starting network threads…")

        self.fAddressesInitialized = True

        if self.semOutbound is None:
            # initialize semaphore
            self.semOutbound = threading.Semaphore(
                min(self.m_max_automatic_outbound, self.m_max_automatic_connections)
            )
        if self.semAddnode is None:
            # initialize semaphore
            self.semAddnode = threading.Semaphore(self.m_max_addnode)

        #
        # Start threads
        #
        assert self.m_msgproc is not None
        self.interruptNet.reset()

        # Send and receive from sockets, accept connections
        self.threadSocketHandler = TraceThread("net", self.ThreadSocketHandler)

        # ThreadDNSAddressSeed is not ported: there are no DNS seeds.
        LogPrintf("DNS seeding disabled\n")

        # Initiate manual connections
        self.threadOpenAddedConnections = TraceThread("addcon", self.ThreadOpenAddedConnections)

        if connOptions.m_use_addrman_outgoing and connOptions.m_specified_outgoing:
            if self.m_client_interface is not None:
                self.m_client_interface.ThreadSafeMessageBox(
                    "Cannot provide specific connections and have addrman find outgoing "
                    "connections at the same time.",
                    "",
                    MSG_ERROR,
                )
            return False
        if connOptions.m_use_addrman_outgoing or connOptions.m_specified_outgoing:
            connect = list(connOptions.m_specified_outgoing)
            self.threadOpenConnections = TraceThread(
                "opencon", lambda: self.ThreadOpenConnections(connect, seed_nodes)
            )

        # Process messages: the peer manager runs the loop over its peers.
        self.m_msgproc.StartMessageHandler()

        # Dump network addresses
        if scheduler is not None:
            scheduler.scheduleEvery(self.DumpAddresses, DUMP_PEERS_INTERVAL)
        else:
            self.threadScheduler = TraceThread("scheduler", self._RunScheduledTasks)

        # Run the ASMap Health check once and then schedule it to run every 24h.
        if self.m_netgroupman.UsingASMap():
            self.ASMapHealthCheck()
            if scheduler is not None:
                scheduler.scheduleEvery(self.ASMapHealthCheck, ASMAP_HEALTH_CHECK_INTERVAL)

        return True

    def _RunScheduledTasks(self) -> None:
        """What Start() schedules, for when it has no CScheduler: DumpAddresses every
        DUMP_PEERS_INTERVAL (and the ASMap health check every 24h, when an asmap is loaded)."""
        elapsed = 0
        while self.interruptNet.sleep_for(DUMP_PEERS_INTERVAL * 1000):
            elapsed += DUMP_PEERS_INTERVAL
            self.DumpAddresses()
            if self.m_netgroupman.UsingASMap() and elapsed % ASMAP_HEALTH_CHECK_INTERVAL == 0:
                self.ASMapHealthCheck()

    def Interrupt(self) -> None:
        if self.m_msgproc is not None:
            self.m_msgproc.InterruptMessageHandler()

        self.interruptNet()
        # (No SOCKS5 proxy to interrupt: g_socks5_interrupt.)

        if self.semOutbound is not None:
            for _ in range(self.m_max_automatic_outbound):
                self.semOutbound.release()

        if self.semAddnode is not None:
            for _ in range(self.m_max_addnode):
                self.semAddnode.release()

    def StopThreads(self) -> None:
        if self.m_msgproc is not None:
            self.m_msgproc.StopMessageHandler()
        for thread in (
            self.threadI2PAcceptIncoming,
            self.threadOpenConnections,
            self.threadOpenAddedConnections,
            self.threadDNSAddressSeed,
            self.threadSocketHandler,
            self.threadScheduler,
        ):
            if thread is not None and thread.is_alive():
                thread.join()
        self.threadI2PAcceptIncoming = None
        self.threadOpenConnections = None
        self.threadOpenAddedConnections = None
        self.threadDNSAddressSeed = None
        self.threadSocketHandler = None
        self.threadScheduler = None

    def StopNodes(self) -> None:
        pnode: CNode
        if self.fAddressesInitialized:
            self.DumpAddresses()
            self.fAddressesInitialized = False

            if self.m_use_addrman_outgoing:
                # Anchor connections are only dumped during clean shutdown.
                anchors_to_dump = self.GetCurrentBlockRelayOnlyConns()
                if len(anchors_to_dump) > MAX_BLOCK_RELAY_ONLY_ANCHORS:
                    del anchors_to_dump[MAX_BLOCK_RELAY_ONLY_ANCHORS:]
                datadir = _datadir_net()
                if datadir is not None:
                    DumpAnchors(datadir / ANCHORS_DATABASE_FILENAME, anchors_to_dump)

        # Delete peer connections.
        with self.m_nodes_mutex:
            nodes: list[CNode] = self.m_nodes
            self.m_nodes = []
        for pnode in nodes:
            LogDebug(BCLog.NET, "Stopping node, %s", pnode.DisconnectMsg(bclogging.fLogIPs))
            pnode.CloseSocketDisconnect()
            self.DeleteNode(pnode)

        for pnode in self.m_nodes_disconnected:
            self.DeleteNode(pnode)
        self.m_nodes_disconnected.clear()
        self.vhListenSocket.clear()
        self.semOutbound = None
        self.semAddnode = None

    def DeleteNode(self, pnode: CNode) -> None:
        assert pnode is not None
        assert self.m_msgproc is not None
        self.m_msgproc.FinalizeNode(pnode.GetId())
        # (Upstream deletes the object; the outbound grant goes with it.)
        pnode.grantOutbound.Release()

    def __del__(self) -> None:
        """~CConnman: interrupt and stop everything."""
        try:
            self.Interrupt()
            self.Stop()
        except Exception:  # pragma: no cover - interpreter shutdown
            pass

    def GetAddressesUnsafe(
        self,
        max_addresses: int,
        max_pct: int,
        network: Network | None,
        filtered: bool = True,
    ) -> list[CAddress]:
        """Random addrman addresses (0 = no limit), banned and discouraged ones removed. Does
        not use the response cache: for trusted callers only (RPC, peers with addr permission)."""
        addresses = self.addrman.GetAddr(max_addresses, max_pct, network, filtered)
        if self.m_banman is not None:
            banman = self.m_banman
            addresses = [
                addr
                for addr in addresses
                if not (banman.IsDiscouraged(addr) or banman.IsBanned(addr))
            ]
        return addresses

    def GetLocalAddrForPeer(self, nodeid: NodeId, addr_local: CService) -> CService | None:
        """GetLocalAddrForPeer for the connection with this id; None once it is gone."""
        pnode = self._NodeById(nodeid)
        return GetLocalAddrForPeer(pnode, addr_local) if pnode is not None else None

    def GetAddresses(
        self, requestor_id: NodeId, max_addresses: int, max_pct: int
    ) -> list[CAddress]:
        """Addresses from the per-requestor cache (filled on first use and when it expires):
        safe for untrusted callers. ``max_addresses`` and ``max_pct`` only apply when the cache
        is (re)filled. The requestor is named by id (upstream passes the CNode); none once it
        is gone."""
        requestor = self._NodeById(requestor_id)
        if requestor is None:
            return []
        local_socket_bytes = requestor.addrBind.GetAddrBytes()
        cache_id = (
            self.GetDeterministicRandomizer(RANDOMIZER_ID_ADDRCACHE)
            .Write(int(requestor.ConnectedThroughNetwork()))
            .Write(local_socket_bytes)
            # An outbound connection's local port is chosen by the OS: useless as a seed.
            .Write(requestor.addrBind.GetPort() if requestor.IsInboundConn() else 0)
            .Finalize()
        )
        current_time = GetTimeMicros()
        cache_entry = self.m_addr_response_caches.setdefault(
            cache_id, CConnman.CachedAddrResponse()
        )
        if cache_entry.m_cache_entry_expiration < current_time:  # a new entry has expiration 0
            cache_entry.m_addrs_response_cache = self.GetAddressesUnsafe(
                max_addresses, max_pct, None
            )
            # The lifetime trades privacy against freshness. Scraping a 100,000-entry addrman
            # takes a few hundred requests; with ~24 h caching, timestamps are old by the time
            # it is done, so they leak little topology. Network churn is low and addresses only
            # count as terrible after 30 days, so a day of staleness costs honest peers little.
            cache_entry.m_cache_entry_expiration = (
                current_time
                + 21 * 60 * 60 * _MICROS_PER_SECOND
                + FastRandomContext().randrange(6 * 60 * 60 * _MICROS_PER_SECOND)
            )
        return list(cache_entry.m_addrs_response_cache)

    def AddNode(self, add: AddedNodeParams) -> bool:
        """Add an addnode entry; False if it (or the address it names) is already there."""
        resolved = LookupNumeric(add.m_added_node, self.GetDefaultPort(add.m_added_node))
        resolved_is_valid = resolved.IsValid()

        with self.m_added_nodes_mutex:
            for it in self.m_added_node_params:
                if add.m_added_node == it.m_added_node or (
                    resolved_is_valid
                    and resolved
                    == LookupNumeric(it.m_added_node, self.GetDefaultPort(it.m_added_node))
                ):
                    return False

            self.m_added_node_params.append(add)
            return True

    def RemoveAddedNode(self, strNode: str) -> bool:
        with self.m_added_nodes_mutex:
            for i, it in enumerate(self.m_added_node_params):
                if strNode == it.m_added_node:
                    del self.m_added_node_params[i]
                    return True
        return False

    def AddedNodesContain(self, addr: CAddress) -> bool:
        """Whether ``addr`` (with or without port) is an addnode entry."""
        addr_str = addr.ToStringAddr()
        addr_port_str = addr.ToStringAddrPort()
        with self.m_added_nodes_mutex:
            return len(self.m_added_node_params) < 24 and any(  # bound the query
                p.m_added_node in (addr_str, addr_port_str) for p in self.m_added_node_params
            )

    def GetNodeCount(self, flags: ConnectionDirection) -> int:
        pnode: CNode
        with self.m_nodes_mutex:
            if flags == ConnectionDirection.Both:  # Shortcut if we want total
                return len(self.m_nodes)

            nNum = 0
            for pnode in self.m_nodes:
                if flags & (
                    ConnectionDirection.In if pnode.IsInboundConn() else ConnectionDirection.Out
                ):
                    nNum += 1

            return nNum

    def getNetLocalAddresses(self) -> dict[CNetAddr, LocalServiceInfo]:
        with g_maplocalhost_mutex:
            return {
                addr: LocalServiceInfo(info.nScore, info.nPort)
                for addr, info in sorted(mapLocalHost.items())
            }

    def GetMappedAS(self, addr: CNetAddr) -> int:
        return self.m_netgroupman.GetMappedAS(addr)

    def GetNodeStats(self, vstats: list[CNodeStats]) -> None:
        pnode: CNode
        vstats.clear()
        with self.m_nodes_mutex:
            for pnode in self.m_nodes:
                vstats.append(CNodeStats())
                pnode.CopyStats(vstats[-1])
                vstats[-1].m_mapped_as = self.GetMappedAS(pnode.addr)

    def MarkHandshakeComplete(self, nodeid: NodeId) -> None:
        """The peer manager finished the version handshake with this peer: net's own
        fSuccessfullyConnected, for the handshake timeout, the outbound counts and ForEachNode."""
        pnode = self._NodeById(nodeid)
        if pnode is not None:
            pnode.fSuccessfullyConnected = True

    def RequestDisconnect(self, nodeid: NodeId) -> bool:
        """The peer manager asks for a connection to be closed; it has logged why. Sets
        fDisconnect like DisconnectNode(id), without its log line; the socket thread does the
        rest. False when no connection has this id (it is already gone)."""
        pnode = self._NodeById(nodeid)
        if pnode is None:
            return False
        pnode.fDisconnect = True
        return True

    def DisconnectNode(self, node: str | CSubNet | CNetAddr | NodeId) -> bool:
        """Upstream's four overloads: by address string (a node's name), by subnet, by address,
        or by id. Sets fDisconnect; the socket thread does the rest."""
        pnode: CNode | None
        if isinstance(node, str):
            strNode = node
            with self.m_nodes_mutex:
                pnode = self.FindNode(strNode)
                if pnode is not None:
                    LogDebug(
                        BCLog.NET,
                        "disconnect by address%s match, %s",
                        f"={strNode}" if bclogging.fLogIPs else "",
                        pnode.DisconnectMsg(bclogging.fLogIPs),
                    )
                    pnode.fDisconnect = True
                    return True
            return False
        if isinstance(node, CSubNet):
            subnet = node
            disconnected = False
            with self.m_nodes_mutex:
                for pnode in self.m_nodes:
                    if subnet.Match(pnode.addr):
                        LogDebug(
                            BCLog.NET,
                            "disconnect by subnet%s match, %s",
                            f"={subnet.ToString()}" if bclogging.fLogIPs else "",
                            pnode.DisconnectMsg(bclogging.fLogIPs),
                        )
                        pnode.fDisconnect = True
                        disconnected = True
            return disconnected
        if isinstance(node, CNetAddr):
            return self.DisconnectNode(CSubNet(_NetAddrOf(node)))
        id = node
        with self.m_nodes_mutex:
            for pnode in self.m_nodes:
                if id == pnode.GetId():
                    LogDebug(
                        BCLog.NET,
                        "disconnect by id, %s",
                        pnode.DisconnectMsg(bclogging.fLogIPs),
                    )
                    pnode.fDisconnect = True
                    return True
        return False

    def RecordBytesRecv(self, bytes: int) -> None:
        with _g_atomic_lock:
            self.nTotalBytesRecv += bytes

    def RecordBytesSent(self, bytes: int) -> None:
        with self.m_total_bytes_sent_mutex:
            self.nTotalBytesSent += bytes

            now = GetTime()
            if self.nMaxOutboundCycleStartTime + MAX_UPLOAD_TIMEFRAME < now:
                # timeframe expired, reset cycle
                self.nMaxOutboundCycleStartTime = now
                self.nMaxOutboundTotalBytesSentInCycle = 0

            self.nMaxOutboundTotalBytesSentInCycle += bytes

    def GetMaxOutboundTarget(self) -> int:
        with self.m_total_bytes_sent_mutex:
            return self.nMaxOutboundLimit

    def GetMaxOutboundTimeframe(self) -> int:
        """Seconds."""
        return MAX_UPLOAD_TIMEFRAME

    def GetMaxOutboundTimeLeftInCycle(self) -> int:
        """Seconds left in the current upload cycle; 0 without an upload target."""
        with self.m_total_bytes_sent_mutex:
            return self.GetMaxOutboundTimeLeftInCycle_()

    def GetMaxOutboundTimeLeftInCycle_(self) -> int:
        """EXCLUSIVE_LOCKS_REQUIRED(m_total_bytes_sent_mutex). Seconds."""
        if self.nMaxOutboundLimit == 0:
            return 0

        if self.nMaxOutboundCycleStartTime == 0:
            return MAX_UPLOAD_TIMEFRAME

        cycleEndTime = self.nMaxOutboundCycleStartTime + MAX_UPLOAD_TIMEFRAME
        now = GetTime()
        return 0 if cycleEndTime < now else cycleEndTime - now

    def OutboundTargetReached(self, historicalBlockServingLimit: bool) -> bool:
        """Whether the upload target is reached; with ``historicalBlockServingLimit``, whether
        serving historical blocks would eat into the buffer kept for relaying new ones."""
        with self.m_total_bytes_sent_mutex:
            if self.nMaxOutboundLimit == 0:
                return False

            if historicalBlockServingLimit:
                # keep a large enough buffer to at least relay each block once
                timeLeftInCycle = self.GetMaxOutboundTimeLeftInCycle_()
                buffer = timeLeftInCycle // 600 * MAX_BLOCK_SERIALIZED_SIZE
                if (
                    buffer >= self.nMaxOutboundLimit
                    or self.nMaxOutboundTotalBytesSentInCycle >= self.nMaxOutboundLimit - buffer
                ):
                    return True
            elif self.nMaxOutboundTotalBytesSentInCycle >= self.nMaxOutboundLimit:
                return True

            return False

    def GetOutboundTargetBytesLeft(self) -> int:
        """Bytes left in the current upload cycle; 0 without an upload target."""
        with self.m_total_bytes_sent_mutex:
            if self.nMaxOutboundLimit == 0:
                return 0

            return (
                0
                if self.nMaxOutboundTotalBytesSentInCycle >= self.nMaxOutboundLimit
                else self.nMaxOutboundLimit - self.nMaxOutboundTotalBytesSentInCycle
            )

    def GetTotalBytesRecv(self) -> int:
        return self.nTotalBytesRecv

    def GetTotalBytesSent(self) -> int:
        with self.m_total_bytes_sent_mutex:
            return self.nTotalBytesSent

    def GetLocalServices(self) -> ServiceFlags:
        """The services offered to peers when they connect (used by PushNodeVersion)."""
        return self.m_local_services

    @staticmethod
    def NodeFullyConnected(pnode: CNode | None) -> bool:
        """Whether the node should be passed out in ForEach* callbacks."""
        return pnode is not None and pnode.fSuccessfullyConnected and not pnode.fDisconnect

    def PushMessage(self, nodeid: NodeId, msg: CSerializedNetMsg) -> bool:
        """Queue ``msg`` for the connection with this id; False once it is gone. The peer
        manager's only way to send (upstream passes the CNode)."""
        pnode = self._NodeById(nodeid)
        if pnode is None:
            return False
        self._PushMessage(pnode, msg)
        return True

    def SeenLocal(self, addr: CService) -> bool:
        return SeenLocal(addr)

    def CaptureMessage(self, addr: CAddress, msg_type: str, data: bytes, is_incoming: bool) -> None:
        CaptureMessage(addr, msg_type, data, is_incoming)

    def GetSubVersion(self) -> str:
        return strSubVersion

    def GetListen(self) -> bool:
        return fListen

    def GetConnectedNodeIds(self) -> list[NodeId]:
        """The ids of the connections not being disconnected, in m_nodes order: the ones the
        message handler serves."""
        with self.m_nodes_mutex:
            return [pnode.GetId() for pnode in self.m_nodes if not pnode.fDisconnect]

    def GetFullyConnectedNodeIds(self) -> list[NodeId]:
        """The ids of the connections ForEachNode would visit (handshake done, not being
        disconnected), in m_nodes order: the peer manager iterates its own Peers by them."""
        with self.m_nodes_mutex:
            return [pnode.GetId() for pnode in self.m_nodes if self.NodeFullyConnected(pnode)]

    def PollMessage(self, nodeid: NodeId) -> tuple[CNetMessage, bool] | None:
        """CNode.PollMessage of the connection with this id: the next received message and
        whether more are queued; None when there is none or the connection is gone."""
        pnode = self._NodeById(nodeid)
        if pnode is None:
            return None
        return pnode.PollMessage()

    def _SetPauseSend(self, node: CNode, pause: bool) -> None:
        """Set fPauseSend and tell the peer manager when it changes, which reads it as its own
        Peer.m_send_buffer_full (theuni's MarkSendBufferFull). Called with cs_vSend held."""
        if node.fPauseSend != pause:
            node.fPauseSend = pause
            if self.m_msgproc is not None:
                self.m_msgproc.MarkSendBufferFull(node.GetId(), pause)

    def _NodeById(self, nodeid: NodeId) -> CNode | None:
        """The connection with this id, while it is in m_nodes. A scan: a handful of peers on
        regtest, and at most a few hundred anywhere."""
        with self.m_nodes_mutex:
            for pnode in self.m_nodes:
                if pnode.GetId() == nodeid:
                    return pnode
        return None

    def _PushMessage(self, pnode: CNode, msg: CSerializedNetMsg) -> None:
        nMessageSize = len(msg.data)
        LogDebug(
            BCLog.NET, "sending %s (%d bytes) peer=%d\n", msg.m_type, nMessageSize, pnode.GetId()
        )
        if gArgs.GetBoolArg("-capturemessages", False):
            CaptureMessage(pnode.addr, msg.m_type, msg.data, False)

        nBytesSent = 0
        with pnode.cs_vSend:
            # Does the transport still have unsent bytes? Tell it another message is coming.
            to_send, more, _msg_type = pnode.m_transport.GetBytesToSend(True)
            queue_was_empty = len(to_send) == 0 and len(pnode.vSendMsg) == 0

            # Update memory usage of send buffer.
            pnode.m_send_memusage += msg.GetMemoryUsage()
            if (
                pnode.m_send_memusage + pnode.m_transport.GetSendMemoryUsage()
                > self.nSendBufferMaxSize
            ):
                self._SetPauseSend(pnode, True)
            # Move message to vSendMsg queue.
            pnode.vSendMsg.append(msg)

            # If nothing was queued before and there is something to send now ("more"), send
            # from this thread right away ("optimistic write") instead of waiting up to
            # SELECT_TIMEOUT_MILLISECONDS for the socket thread. (With v1, "more" is always
            # true here; a v2 transport may still be in its handshake.)
            if queue_was_empty and more:
                nBytesSent, _ = self.SocketSendData(pnode)
        if nBytesSent:
            self.RecordBytesSent(nBytesSent)

    def ForNode(self, id: NodeId, func: Callable[[CNode], bool]) -> bool:
        """Run ``func`` on the node with this id if it is fully connected; its result, or False."""
        pnode: CNode
        found: CNode | None = None
        with self.m_nodes_mutex:
            for pnode in self.m_nodes:
                if pnode.GetId() == id:
                    found = pnode
                    break
            return found is not None and CConnman.NodeFullyConnected(found) and func(found)

    def GetDeterministicRandomizer(self, id: int) -> CSipHasher:
        """Get a unique deterministic randomizer."""
        return CSipHasher(self.nSeed0, self.nSeed1).Write(id)

    def CalculateKeyedNetGroup(self, address: CNetAddr) -> int:
        vchNetGroup = self.m_netgroupman.GetGroup(address)

        return self.GetDeterministicRandomizer(RANDOMIZER_ID_NETGROUP).Write(vchNetGroup).Finalize()

    def PerformReconnections(self) -> None:
        """Attempt reconnections, if m_reconnections non-empty."""
        while True:
            # Take the first element of m_reconnections.
            with self.m_reconnections_mutex:
                if not self.m_reconnections:
                    break
                item = self.m_reconnections.popleft()

            try:
                self.OpenNetworkConnection(
                    item.addr_connect,
                    # The first attempt connected, and only failed after the CNode existed: a
                    # connection is possible, so don't count a failure to reconnect.
                    False,
                    item.grant,
                    item.destination if item.destination else None,
                    item.conn_type,
                    item.use_v2transport,
                )
            finally:
                item.grant.Release()

    def ASMapHealthCheck(self) -> None:
        v4_addrs = self.GetAddressesUnsafe(0, 0, Network.NET_IPV4, False)
        v6_addrs = self.GetAddressesUnsafe(0, 0, Network.NET_IPV6, False)
        clearnet_addrs = [_NetAddrOf(addr) for addr in v4_addrs + v6_addrs]
        # NetGroupManager here has no asmap support, hence no ASMapHealthCheck; UsingASMap() is
        # always false, so Start() never gets here.
        health_check: Callable[[list[CNetAddr]], None] | None = getattr(
            self.m_netgroupman, "ASMapHealthCheck", None
        )
        if health_check is not None:
            health_check(clearnet_addrs)


#: i2p.h: I2P's SAM 3.1 and earlier have no ports; the default is used.
I2P_SAM31_PORT: Final = 0


def CaptureMessageToFile(addr: CAddress, msg_type: str, data: bytes, is_incoming: bool) -> None:
    """Append a message to <datadir>/message_capture/<addr>/msgs_{recv,sent}.dat (-capturemessages):
    time (µs, 8 bytes LE), type (12 bytes, NUL padded), size (4 bytes LE), payload. Captured when
    processed, not when on the socket, so the file is in application-layer order."""
    now = GetTimeMicros()

    # Windows folder names cannot include a colon
    clean_addr = addr.ToStringAddrPort().replace(":", "_")

    datadir = _datadir_net()
    if datadir is None:
        return
    base_path = datadir / "message_capture" / clean_addr
    os.makedirs(base_path, exist_ok=True)

    path = base_path / ("msgs_recv.dat" if is_incoming else "msgs_sent.dat")
    type_bytes = msg_type.encode("latin-1")
    with open(path, "ab") as f:
        f.write(
            ser_u64(now)
            + type_bytes.ljust(CMessageHeader.MESSAGE_TYPE_SIZE, b"\x00")
            + ser_u32(len(data))
            + data
        )


#: Defaults to CaptureMessageToFile(), but can be overridden by unit tests.
CaptureMessage: Callable[[CAddress, str, bytes, bool], None] = CaptureMessageToFile
