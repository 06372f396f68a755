"""The two interfaces between net and the peer manager, and the data that crosses them.

After the split, net (CConnman, CNode, the transports and threads) and net_processing
(PeerManager, Peer, CNodeState) import only this module and common/, never each other:

- NetEventsInterface: connection events from net to the peer manager (a connection starts or
  ends, messages arrived, a send buffer filled up, eviction needs the protocol's inputs);
- NetManagerEvents: requests from the peer manager to net, keyed by NodeId (send, poll,
  disconnect, addresses, outbound-connection management).

The composition root (init.AppInitMain) creates both sides and hands each the other as its
interface. The names follow upstream (NetEventsInterface, net.h) and theuni's multiprocess_p2p
prototype (interfaces::NetManagerEvents, PeerOptions).
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import ClassVar, Final

from common.connection_types import ConnectionType, TransportProtocolType
from common.net_permissions import NetPermissionFlags
from common.netaddress import CNetAddr, CService, CSubNet, Network
from common.nodeid import NodeId
from common.protocol import CAddress, ServiceFlags
from common.serialize import DataStream
from common.siphash import CSipHasher

# -------------------------------------------------------------------------------------------------
# Constants both sides use (net.h, node/protocol_version.h)

#: Time after which to disconnect, after waiting for a ping response (or inactivity); seconds
#: (upstream: std::chrono::minutes{20}).
TIMEOUT_INTERVAL: Final = 20 * 60
#: Maximum length of the user agent string in `version` message.
MAX_SUBVERSION_LENGTH: Final = 256
#: Default for blocks only.
DEFAULT_BLOCKSONLY: Final = False
#: Initial protocol version, to be increased after version/verack negotiation.
INIT_PROTO_VERSION: Final = 209
#: The protocol version we speak.
PROTOCOL_VERSION: Final = 70016
#: std::chrono::microseconds::max(), the minimum ping time before any pong.
_MICROSECONDS_MAX: Final = (1 << 63) - 1

# -------------------------------------------------------------------------------------------------
# Messages: what the peer manager sends (CSerializedNetMsg) and receives (CNetMessage)


def _MallocUsage(alloc: int) -> int:
    """memusage::MallocUsage on a 64-bit glibc: what allocating ``alloc`` bytes really costs."""
    if alloc == 0:
        return 0
    return ((alloc + 31) >> 4) << 4


def _StringUsage(s: str) -> int:
    """memusage::DynamicUsage(std::string): nothing while the small-string buffer (15 bytes in
    libstdc++) holds it, else its heap block (capacity + NUL)."""
    n = len(s.encode("utf-8", "surrogateescape"))
    return 0 if n <= 15 else _MallocUsage(n + 1)


# sizeof() of the upstream objects on a 64-bit libstdc++ build: the memory accounting that drives
# fPauseSend/fPauseRecv is upstream's model, not CPython's.
_SIZEOF_STRING: Final = 32
_SIZEOF_VECTOR: Final = 24
_SIZEOF_DATASTREAM: Final = _SIZEOF_VECTOR + 8
_SIZEOF_CSERIALIZEDNETMSG: Final = _SIZEOF_VECTOR + _SIZEOF_STRING
_SIZEOF_CNETMESSAGE: Final = _SIZEOF_DATASTREAM + 8 + 4 + 4 + _SIZEOF_STRING


@dataclass(slots=True)
class CSerializedNetMsg:
    """A message ready for a transport: its type and serialized payload. Upstream forbids copies
    (moves only); here the payload is immutable ``bytes``, so sharing is harmless."""

    data: bytes = b""
    m_type: str = ""

    def Copy(self) -> CSerializedNetMsg:
        return CSerializedNetMsg(data=self.data, m_type=self.m_type)

    def GetMemoryUsage(self) -> int:
        """Own size plus heap usage, upstream's 64-bit figures (capacity taken to equal size)."""
        return _SIZEOF_CSERIALIZEDNETMSG + _StringUsage(self.m_type) + _MallocUsage(len(self.data))


class CNetMessage:
    """A received message, independent of the transport: payload, receive time, type, sizes."""

    __slots__ = ("m_message_size", "m_raw_message_size", "m_recv", "m_time", "m_type")

    m_recv: DataStream  # received message data
    m_time: int  # microseconds: time of message receipt
    m_message_size: int  # size of the payload
    m_raw_message_size: int  # used wire size of the message (including header/checksum)
    m_type: str

    def __init__(self, recv_in: DataStream) -> None:
        self.m_recv = recv_in
        self.m_time = 0
        self.m_message_size = 0
        self.m_raw_message_size = 0
        self.m_type = ""

    def GetMemoryUsage(self) -> int:
        """Own size plus heap usage, upstream's 64-bit figures (upstream counts the DataStream
        object twice: once in sizeof(*this), once in its own GetMemoryUsage)."""
        buffer_len = self.m_recv.tell() + self.m_recv.size()
        return (
            _SIZEOF_CNETMESSAGE
            + _StringUsage(self.m_type)
            + _SIZEOF_DATASTREAM
            + _MallocUsage(buffer_len)
        )


# -------------------------------------------------------------------------------------------------
# net -> peer manager


@dataclass(frozen=True, slots=True)
class PeerOptions:
    """What the peer manager is told about a new connection, handed over as data.

    Upstream's InitializeNode takes the CNode and the peer manager copies what it needs; here
    net copies it (theuni's multiprocess_p2p prototype has a PeerOptions of the same kind)."""

    conn_type: ConnectionType
    addr: CAddress
    permission_flags: NetPermissionFlags
    connected: int  # seconds
    inbound_onion: bool
    local_nonce: int
    #: The transport the connection speaks. Fixed at connection time here, where every
    #: transport is v1; with BIP324 a detecting transport would report the outcome later.
    transport_type: TransportProtocolType


@dataclass(frozen=True, slots=True)
class PeerEvictionInputs:
    """What inbound eviction needs from the peer manager, handed over as data.

    Upstream reads these straight from CNode, where net_processing writes them; here they are
    the peer manager's own state, and CConnman asks for a copy instead of reading it."""

    m_min_ping_time: int = _MICROSECONDS_MAX
    m_last_block_time: int = 0  # seconds
    m_last_tx_time: int = 0  # seconds
    fRelevantServices: bool = False
    m_relay_txs: bool = False
    fBloomFilter: bool = False


class NetEventsInterface(ABC):
    """Interface for message handling (implemented by PeerManager)."""

    __slots__ = ()

    #: Mutex for anything that is only accessed via the msg processing thread. CConnman's
    #: ThreadMessageHandler holds it; ProcessMessages and SendMessages require it.
    g_msgproc_mutex: ClassVar[threading.Lock] = threading.Lock()

    @abstractmethod
    def InitializeNode(
        self, nodeid: NodeId, options: PeerOptions, our_services: ServiceFlags
    ) -> None:
        """Initialize a peer (setup state) from what net knows of the connection."""

    @abstractmethod
    def FinalizeNode(self, nodeid: NodeId) -> None:
        """Handle removal of a peer (clear state)."""

    @abstractmethod
    def HasAllDesirableServiceFlags(self, services: ServiceFlags) -> bool:
        """Whether the given service flags are sufficient for a peer to be "relevant"."""

    @abstractmethod
    def WakeMessageHandler(self) -> None:
        """Received messages are waiting for the message handler."""

    @abstractmethod
    def StartMessageHandler(self) -> None:
        """Start the message handler thread (CConnman::Start, where it started its own)."""

    @abstractmethod
    def InterruptMessageHandler(self) -> None:
        """Ask the message handler thread to stop (CConnman::Interrupt)."""

    @abstractmethod
    def StopMessageHandler(self) -> None:
        """Wait for the message handler thread to end (CConnman::StopThreads)."""

    @abstractmethod
    def MarkSendBufferFull(self, nodeid: NodeId, full: bool) -> None:
        """The connection's send buffer went over (or back under) its limit. Called with net's
        send lock held, so it must not take locks that are held while sending."""

    @abstractmethod
    def GetEvictionInputs(self, nodeid: NodeId) -> PeerEvictionInputs:
        """The eviction inputs of the peer with this id (defaults for an unknown one)."""

    @abstractmethod
    def ProcessMessages(self, nodeid: NodeId, interrupt: threading.Event) -> bool:
        """Process protocol messages received from the peer with this id; True if there is
        more work.
        ``interrupt`` is upstream's ``std::atomic<bool>&`` (set when threads must stop)."""

    @abstractmethod
    def SendMessages(self, nodeid: NodeId) -> bool:
        """Send queued protocol messages to the peer with this id; True if there is more work."""


# -------------------------------------------------------------------------------------------------
# peer manager -> net


class NetManagerEvents(ABC):
    """What the peer manager asks of net, implemented by CConnman (theuni's
    interfaces::NetManagerEvents). Connections are named by NodeId; a request about a
    connection that is gone does nothing and says so (False, None, or an empty result)."""

    __slots__ = ()

    @abstractmethod
    def CheckIncomingNonce(self, nonce: int) -> bool:
        """False if ``nonce`` is one of our own pending outbound version nonces."""

    @abstractmethod
    def DisconnectNode(self, node: str | CSubNet | CNetAddr | NodeId) -> bool:
        """Upstream's four overloads: by address string (a node's name), by subnet, by address,
        or by id. Sets fDisconnect; the socket thread does the rest."""

    @abstractmethod
    def GetAddresses(
        self, requestor_id: NodeId, max_addresses: int, max_pct: int
    ) -> list[CAddress]:
        """Addresses from the per-requestor cache (filled on first use and when it expires):
        safe for untrusted callers. ``max_addresses`` and ``max_pct`` only apply when the cache
        is (re)filled. The requestor is named by id (upstream passes the CNode); none once it
        is gone."""

    @abstractmethod
    def GetAddressesUnsafe(
        self,
        max_addresses: int,
        max_pct: int,
        network: Network | None,
        filtered: bool = True,
    ) -> list[CAddress]:
        """Random addrman addresses (0 = no limit), banned and discouraged ones removed. Does
        not use the response cache: for trusted callers only (RPC, peers with addr permission)."""

    @abstractmethod
    def GetConnectedNodeIds(self) -> list[NodeId]:
        """The ids of the connections not being disconnected, in m_nodes order: the ones the
        message handler serves."""

    @abstractmethod
    def GetDeterministicRandomizer(self, id: int) -> CSipHasher:
        """Get a unique deterministic randomizer."""

    @abstractmethod
    def GetExtraBlockRelayCount(self) -> int:
        """Count the block-relay-only peers we have over our limit."""

    @abstractmethod
    def GetExtraFullOutboundCount(self) -> int:
        """Full-relay outbound peers over the target, not counting peers marked for disconnect,
        short-lived ones, or ones still in the handshake (so we never evict a good peer just
        because some connections are still coming or going)."""

    @abstractmethod
    def GetFullyConnectedNodeIds(self) -> list[NodeId]:
        """The ids of the connections ForEachNode would visit (handshake done, not being
        disconnected), in m_nodes order: the peer manager iterates its own Peers by them."""

    @abstractmethod
    def GetLocalAddrForPeer(self, nodeid: NodeId, addr_local: CService) -> CService | None:
        """GetLocalAddrForPeer for the connection with this id; None once it is gone."""

    @abstractmethod
    def GetMappedAS(self, addr: CNetAddr) -> int: ...

    @abstractmethod
    def GetNetworkActive(self) -> bool: ...

    @abstractmethod
    def GetTryNewOutboundPeer(self) -> bool: ...

    @abstractmethod
    def GetUseAddrmanOutgoing(self) -> bool: ...

    @abstractmethod
    def MarkHandshakeComplete(self, nodeid: NodeId) -> None:
        """The peer manager finished the version handshake with this peer: net's own
        fSuccessfullyConnected, for the handshake timeout, the outbound counts and ForEachNode."""

    @abstractmethod
    def MultipleManualOrFullOutboundConns(self, net: Network) -> bool:
        """EXCLUSIVE_LOCKS_REQUIRED(m_nodes_mutex)."""

    @abstractmethod
    def OutboundTargetReached(self, historicalBlockServingLimit: bool) -> bool:
        """Whether the upload target is reached; with ``historicalBlockServingLimit``, whether
        serving historical blocks would eat into the buffer kept for relaying new ones."""

    @abstractmethod
    def PollMessage(self, nodeid: NodeId) -> tuple[CNetMessage, bool] | None:
        """CNode.PollMessage of the connection with this id: the next received message and
        whether more are queued; None when there is none or the connection is gone."""

    @abstractmethod
    def PushMessage(self, nodeid: NodeId, msg: CSerializedNetMsg) -> bool:
        """Queue ``msg`` for the connection with this id; False once it is gone. The peer
        manager's only way to send (upstream passes the CNode)."""

    @abstractmethod
    def RequestDisconnect(self, nodeid: NodeId) -> bool:
        """The peer manager asks for a connection to be closed; it has logged why. Sets
        fDisconnect like DisconnectNode(id), without its log line; the socket thread does the
        rest. False when no connection has this id (it is already gone)."""

    @abstractmethod
    def SetTryNewOutboundPeer(self, flag: bool) -> None:
        """Allow temporarily exceeding m_max_outbound_full_relay, to find a better peer."""

    @abstractmethod
    def ShouldRunInactivityChecks(self, nodeid: NodeId, now: int) -> bool:
        """True once the connection with this id is older than the peer connect timeout;
        ``now`` in seconds. False once it is gone."""

    @abstractmethod
    def StartExtraBlockRelayPeers(self) -> None: ...

    @abstractmethod
    def SeenLocal(self, addr: CService) -> bool:
        """A peer saw us at ``addr``: a vote for that local address (net's SeenLocal)."""

    @abstractmethod
    def CaptureMessage(self, addr: CAddress, msg_type: str, data: bytes, is_incoming: bool) -> None:
        """Record a message for -capturemessages (net's CaptureMessage)."""

    @abstractmethod
    def GetSubVersion(self) -> str:
        """The user agent we announce in VERSION (net's strSubVersion)."""

    @abstractmethod
    def GetListen(self) -> bool:
        """Whether we accept inbound connections (net's fListen), so advertise our address."""
