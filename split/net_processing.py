"""The P2P protocol logic: PeerManager, Peer and CNodeState (src/net_processing.{h,cpp}).

After the split: the peer manager keeps everything it needs about a connection in its Peer,
runs the message handler loop over its Peers, and talks to net only through interfaces.py,
by NodeId (NetManagerEvents for its requests, NetEventsInterface for net's events). It imports
nothing from net.

How the Python differs from the C++, everywhere in this module:

* Times are ints: microseconds where upstream has ``std::chrono::microseconds`` or a
  ``NodeClock::time_point``, seconds where it has ``std::chrono::seconds`` / ``NodeSeconds``.
  Each constant says its unit.
* ``Mutex`` / ``RecursiveMutex`` are ``threading.Lock`` / ``threading.RLock`` under upstream's
  names; ``std::atomic`` members are plain attributes (a single load or store is atomic under
  the GIL). ``GUARDED_BY`` annotations became comments where they matter.
* ``PeerRef`` (``std::shared_ptr<Peer>``) is a plain reference; ``GetPeerRef`` returns
  ``Peer | None``.
* ``vRecv >> x`` reads from a :class:`~common.serialize.DataStream`; a malformed payload raises
  :class:`~common.serialize.SerializationError`, which ProcessMessages catches and logs, as
  upstream catches ``std::ios_base::failure``.
* Collaborators upstream keeps in their own translation units are sibling modules under
  upstream's file names: headerssync.py (low-work headers sync), blockencodings.py (compact
  blocks), merkleblock.py (BIP37 merkle blocks), txdownloadman.py, txrequest.py and
  txorphanage.py (transaction download). Validation and the mempool are common/'s chain
  stand-in; it has no package validation, so ProcessNewPackage below rejects every package.
"""

from __future__ import annotations

import bisect
import enum
import functools
import threading
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Final, Protocol

import common.logging
from common.addrman import AddrMan
from common.banman import BanMan
from common.bloom import CBloomFilter, CRollingBloomFilter
from common.chain import (
    BLOCK_HAVE_DATA,
    BLOCK_VALID_CHAIN,
    BLOCK_VALID_SCRIPTS,
    BLOCK_VALID_TRANSACTIONS,
    BLOCK_VALID_TREE,
    CBlockIndex,
    CChain,
    ChainstateRole,
    FlatFilePos,
    GetBlockProofEquivalentTime,
    GetLocator,
    LastCommonAncestor,
    cs_main,
)
from common.chainparams import CChainParams, Consensus
from common.clock import GetTime, GetTimeMicros, NodeClock
from common.connection_types import (
    ConnectionType,
    ConnectionTypeAsString,
    TransportProtocolType,
    TransportTypeAsString,
)
from common.consensus import MAX_MONEY, MoneyRange
from common.consensus_validation import (
    BlockValidationResult,
    BlockValidationState,
    TxValidationResult,
    TxValidationState,
)
from common.feerate import CFeeRate
from common.logging import BCLog, LogAcceptCategory, LogDebug, LogInfo, LogPrintf
from common.messages import CMerkleBlock
from common.net_permissions import NetPermissionFlags, NetPermissions
from common.netaddress import CService, CServiceHash
from common.netbase import IsProxy, g_reachable_nets
from common.nodeid import NodeId
from common.pow import GetBlockProof
from common.primitives.block import CBlock, CBlockHeader, CBlockLocator
from common.primitives.transaction import CTransaction, GenTxid
from common.protocol import (
    MSG_BLOCK,
    MSG_CMPCT_BLOCK,
    MSG_TX,
    MSG_WITNESS_BLOCK,
    MSG_WITNESS_FLAG,
    MSG_WTX,
    NODE_BLOOM,
    NODE_COMPACT_FILTERS,
    NODE_NETWORK,
    NODE_NETWORK_LIMITED,
    NODE_NONE,
    NODE_WITNESS,
    CAddress,
    CInv,
    MayHaveUsefulAddressDB,
    NetMsgType,
    ServiceFlags,
)
from common.random import FastRandomContext
from common.serialize import (
    DataStream,
    SerializationError,
    ser_bool,
    ser_compact_size,
    ser_i32,
    ser_i64,
    ser_string,
    ser_u32,
    ser_u64,
    ser_vector,
)
from common.strencodings import SanitizeString
from common.thread import TraceThread
from common.txmempool import DEFAULT_MIN_RELAY_TX_FEE, CTxMemPool, MempoolAcceptResult
from common.uint256 import ZERO, uint256
from common.validation import MIN_BLOCKS_TO_KEEP, Chainstate, ChainstateManager
from common.validation_checks import (
    CalculateClaimedHeadersWork,
    DeploymentActiveAfter,
    DeploymentActiveAt,
    HasValidProofOfWork,
    IsBlockMutated,
)
from common.validationinterface import CValidationInterface

from .blockencodings import (
    READ_STATUS_FAILED,
    READ_STATUS_INVALID,
    READ_STATUS_OK,
    BlockTransactions,
    BlockTransactionsRequest,
    CBlockHeaderAndShortTxIDs,
    PartiallyDownloadedBlock,
)
from .headerssync import HeadersSyncState
from .interfaces import (
    DEFAULT_BLOCKSONLY,
    INIT_PROTO_VERSION,
    MAX_SUBVERSION_LENGTH,
    PROTOCOL_VERSION,
    TIMEOUT_INTERVAL,
    CSerializedNetMsg,
    NetEventsInterface,
    NetManagerEvents,
    PeerEvictionInputs,
    PeerOptions,
)
from .merkleblock import MakeMerkleBlock
from .txdownloadman import (
    MAX_PEER_TX_ANNOUNCEMENTS,
    Package,
    PackageToValidate,
    TxDownloadConnectionInfo,
    TxDownloadManager,
    TxDownloadOptions,
)
from .txorphanage import OrphanInfo

# ---------------------------------------------------------------------------------------------
# node/protocol_version.h (PROTOCOL_VERSION comes from net.py, which needs it too) and the
# other small headers net_processing.cpp includes for a constant or two.

#: The message handler's wait for new work, on the steady clock; milliseconds.
_MSGPROC_WAIT_MILLISECONDS: Final = 100

#: std::chrono::microseconds::max()
_MICROSECONDS_MAX: Final = (1 << 63) - 1

MIN_PEER_PROTO_VERSION: Final = 31800
BIP0031_VERSION: Final = 60000
SENDHEADERS_VERSION: Final = 70012
FEEFILTER_VERSION: Final = 70013
SHORT_IDS_BLOCKS_VERSION: Final = 70014
INVALID_CB_NO_BAN_VERSION: Final = 70015
WTXID_RELAY_VERSION: Final = 70016

#: script/script.h
MAX_SCRIPT_ELEMENT_SIZE: Final = 520
#: node/txreconciliation.h
TXRECONCILIATION_VERSION: Final = 1
#: blockfilter.h's BlockFilterType::BASIC, and the spacing of getcfcheckpt headers.
BLOCK_FILTER_TYPE_BASIC: Final = 0
CFCHECKPT_INTERVAL: Final = 1000


# ---------------------------------------------------------------------------------------------
# net_processing.h

#: Whether transaction reconciliation protocol should be enabled by default.
DEFAULT_TXRECONCILIATION_ENABLE: Final = False
#: Default number of non-mempool transactions to keep around for block reconstruction.
DEFAULT_BLOCK_RECONSTRUCTION_EXTRA_TXN: Final = 100
DEFAULT_PEERBLOOMFILTERS: Final = False
DEFAULT_PEERBLOCKFILTERS: Final = False
#: Maximum number of outstanding CMPCTBLOCK requests for the same block.
MAX_CMPCTBLOCKS_INFLIGHT_PER_BLOCK: Final = 3
#: Number of headers sent in one getheaders result; fewer means the peer reached its tip.
MAX_HEADERS_RESULTS: Final = 2000


@dataclass(slots=True)
class CNodeStateStats:
    """Per-peer sync and relay state for RPC (getpeerinfo)."""

    nSyncHeight: int = -1
    nCommonHeight: int = -1
    m_starting_height: int = -1
    #: microseconds
    m_ping_wait: int = 0
    vHeightInFlight: list[int] = field(default_factory=list)
    m_relay_txs: bool = False
    m_fee_filter_received: int = 0
    m_addr_processed: int = 0
    m_addr_rate_limited: int = 0
    m_addr_relay_enabled: bool = False
    their_services: ServiceFlags = NODE_NONE
    presync_height: int = -1
    #: seconds
    time_offset: int = 0
    # We requested high bandwidth connection to peer
    m_bip152_highbandwidth_to: bool = False
    # Peer requested high bandwidth connection
    m_bip152_highbandwidth_from: bool = False
    cleanSubVer: str = ""
    nVersion: int = 0
    addrLocal: str = ""
    m_last_ping_time: int = 0  # microseconds
    m_min_ping_time: int = _MICROSECONDS_MAX
    m_last_tx_time: int = 0  # seconds
    m_last_block_time: int = 0  # seconds


@dataclass(slots=True)
class PeerManagerInfo:
    #: seconds
    median_outbound_time_offset: int = 0
    ignores_incoming_txs: bool = False


class CScheduler(Protocol):
    """What StartScheduledTasks needs from upstream's CScheduler. Delays are in seconds, as in
    net.py's CScheduler; upstream's millisecond jitter is truncated to whole seconds."""

    def scheduleEvery(self, f: Callable[[], None], delta: int) -> None: ...

    def scheduleFromNow(self, f: Callable[[], None], delta: int) -> None: ...


class PeerManager(CValidationInterface, NetEventsInterface, ABC):
    """The protocol logic's public face (abstract; PeerManagerImpl implements it)."""

    __slots__ = ()

    @dataclass(slots=True)
    class Options:
        #: Whether this node is running in -blocksonly mode.
        ignore_incoming_txs: bool = DEFAULT_BLOCKSONLY
        #: Whether transaction reconciliation protocol is enabled.
        reconcile_txs: bool = DEFAULT_TXRECONCILIATION_ENABLE
        #: Number of non-mempool transactions to keep around for block reconstruction.
        max_extra_txs: int = DEFAULT_BLOCK_RECONSTRUCTION_EXTRA_TXN
        #: Whether all P2P messages are captured to disk.
        capture_messages: bool = False
        #: Whether the internal RNG behaves deterministically (test-only).
        deterministic_rng: bool = False
        #: Number of headers sent in one getheaders message result (test-only).
        max_headers_result: int = MAX_HEADERS_RESULTS

    @staticmethod
    def make(
        connman: NetManagerEvents,
        addrman: AddrMan,
        banman: BanMan | None,
        chainman: ChainstateManager,
        pool: CTxMemPool,
        warnings: Warnings,
        opts: PeerManager.Options,
    ) -> PeerManager:
        return PeerManagerImpl(connman, addrman, banman, chainman, pool, warnings, opts)

    @abstractmethod
    def FetchBlock(self, peer_id: NodeId, block_index: CBlockIndex) -> str | None:
        """Ask one peer for a block whose header we have; None on success, else the error."""

    @abstractmethod
    def StartScheduledTasks(self, scheduler: CScheduler) -> None:
        """Begin running background tasks; call once."""

    @abstractmethod
    def GetNodeStateStats(self, nodeid: NodeId, stats: CNodeStateStats) -> bool:
        """Fill ``stats`` (upstream's out parameter); False if the peer is unknown."""

    @abstractmethod
    def GetOrphanTransactions(self) -> list[OrphanInfo]: ...

    @abstractmethod
    def GetInfo(self) -> PeerManagerInfo: ...

    @abstractmethod
    def RelayTransaction(self, txid: uint256, wtxid: uint256) -> None:
        """Relay transaction to all peers."""

    @abstractmethod
    def SendPings(self) -> None:
        """Send ping message to all peers."""

    @abstractmethod
    def SetBestBlock(self, height: int, time: int) -> None:
        """Set the height of the best block and its time (seconds since epoch)."""

    @abstractmethod
    def UnitTestMisbehaving(self, peer_id: NodeId) -> None: ...

    @abstractmethod
    def CheckForStaleTipAndEvictPeers(self) -> None:
        """Evict extra outbound peers; if our tip may be stale, connect to an extra outbound."""

    @abstractmethod
    def ProcessMessage(
        self,
        peer: Peer,
        msg_type: str,
        vRecv: DataStream,
        time_received: int,
        interruptMsgProc: threading.Event,
    ) -> None:
        """Process a single message from a peer (``time_received`` in microseconds)."""

    @abstractmethod
    def UpdateLastBlockAnnounceTime(self, node: NodeId, time_in_seconds: int) -> None: ...

    @abstractmethod
    def GetDesirableServiceFlags(self, services: ServiceFlags) -> ServiceFlags:
        """The services a peer must offer to be worth one of our few outbound slots."""


# ---------------------------------------------------------------------------------------------
# net_processing.cpp: constants

#: Headers download timeout: base + per_header * (expected number of headers) (microseconds).
HEADERS_DOWNLOAD_TIMEOUT_BASE: Final = 15 * 60 * 1_000_000
HEADERS_DOWNLOAD_TIMEOUT_PER_HEADER: Final = 1_000
#: How long to wait for a peer to respond to a getheaders request (seconds).
HEADERS_RESPONSE_TIME: Final = 2 * 60
#: Protect at least this many outbound peers from disconnection due to slow/behind headers chain.
MAX_OUTBOUND_PEERS_TO_PROTECT_FROM_DISCONNECT: Final = 4
#: Timeout for (unprotected) outbound peers to sync to our chainwork (seconds).
CHAIN_SYNC_TIMEOUT: Final = 20 * 60
#: How frequently to check for stale tips (seconds).
STALE_CHECK_INTERVAL: Final = 10 * 60
#: How frequently to check for extra outbound peers and disconnect (seconds).
EXTRA_PEER_CHECK_INTERVAL: Final = 45
#: Minimum time an outbound-peer-eviction candidate must be connected for, to evict (seconds).
MINIMUM_CONNECT_TIME: Final = 30
#: SHA256("main address relay")[0:8]
RANDOMIZER_ID_ADDRESS_RELAY: Final = 0x3CAC0035B5866B90
#: Age after which a stale block is no longer served, against fingerprinting (seconds).
STALE_RELAY_AGE_LIMIT: Final = 30 * 24 * 60 * 60
#: Age after which a block counts as historical for upload limiting (seconds).
HISTORICAL_BLOCK_AGE: Final = 7 * 24 * 60 * 60
#: Time between pings automatically sent out for latency probing and keepalive (microseconds).
PING_INTERVAL: Final = 2 * 60 * 1_000_000
#: The maximum number of entries in a locator.
MAX_LOCATOR_SZ: Final = 101
#: The maximum number of entries in an 'inv' protocol message.
MAX_INV_SZ: Final = 50000
#: Limit to avoid sending big packets; not applied to incoming GETDATA.
MAX_GETDATA_SZ: Final = 1000
#: Number of blocks that can be requested at any given time from a single peer.
MAX_BLOCKS_IN_TRANSIT_PER_PEER: Final = 16
#: Default time a peer may stall block download before it is disconnected (seconds).
BLOCK_STALLING_TIMEOUT_DEFAULT: Final = 2
#: Maximum timeout for stalling block download (seconds).
BLOCK_STALLING_TIMEOUT_MAX: Final = 64
#: Maximum depth of blocks we're willing to serve as compact blocks.
MAX_CMPCTBLOCK_DEPTH: Final = 5
#: Maximum depth of blocks we're willing to respond to GETBLOCKTXN requests for.
MAX_BLOCKTXN_DEPTH: Final = 10
assert MAX_BLOCKTXN_DEPTH <= MIN_BLOCKS_TO_KEEP, "MAX_BLOCKTXN_DEPTH too high"
#: Size of the block download window: how far ahead of our current height we fetch.
BLOCK_DOWNLOAD_WINDOW: Final = 1024
#: Block download timeout base, in multiples of the block interval.
BLOCK_DOWNLOAD_TIMEOUT_BASE: Final = 1.0
#: Additional block download timeout per parallel downloading peer.
BLOCK_DOWNLOAD_TIMEOUT_PER_PEER: Final = 0.5
#: Maximum number of headers to announce when relaying blocks with headers message.
MAX_BLOCKS_TO_ANNOUNCE: Final = 8
#: Minimum blocks required to signal NODE_NETWORK_LIMITED.
NODE_NETWORK_LIMITED_MIN_BLOCKS: Final = 288
#: Window, in blocks, for connecting to NODE_NETWORK_LIMITED peers.
NODE_NETWORK_LIMITED_ALLOW_CONN_BLOCKS: Final = 144
#: Average delay between local address broadcasts (microseconds).
AVG_LOCAL_ADDRESS_BROADCAST_INTERVAL: Final = 24 * 60 * 60 * 1_000_000
#: Average delay between peer address broadcasts (microseconds).
AVG_ADDRESS_BROADCAST_INTERVAL: Final = 30 * 1_000_000
#: Delay between rotating the peers we relay a particular address to (seconds).
ROTATE_ADDR_RELAY_DEST_INTERVAL: Final = 24 * 60 * 60
#: Average delay between trickled inventory transmissions for inbound peers (seconds).
INBOUND_INVENTORY_BROADCAST_INTERVAL: Final = 5
#: Average delay between trickled inventory transmissions for outbound peers (microseconds).
OUTBOUND_INVENTORY_BROADCAST_INTERVAL: Final = 2 * 1_000_000
#: Maximum rate of inventory items to send per second.
INVENTORY_BROADCAST_PER_SECOND: Final = 14
#: Target number of tx inventory items to send per transmission.
INVENTORY_BROADCAST_TARGET: Final = (
    INVENTORY_BROADCAST_PER_SECOND * INBOUND_INVENTORY_BROADCAST_INTERVAL
)
#: Maximum number of inventory items to send per transmission.
INVENTORY_BROADCAST_MAX: Final = 1000
assert INVENTORY_BROADCAST_MAX >= INVENTORY_BROADCAST_TARGET, "INVENTORY_BROADCAST_MAX too low"
assert INVENTORY_BROADCAST_MAX <= MAX_PEER_TX_ANNOUNCEMENTS, "INVENTORY_BROADCAST_MAX too high"
#: Average delay between feefilter broadcasts (microseconds).
AVG_FEEFILTER_BROADCAST_INTERVAL: Final = 10 * 60 * 1_000_000
#: Maximum feefilter broadcast delay after significant change (microseconds).
MAX_FEEFILTER_CHANGE_DELAY: Final = 5 * 60 * 1_000_000
#: Maximum number of compact filters that may be requested with one getcfilters (BIP 157).
MAX_GETCFILTERS_SIZE: Final = 1000
#: Maximum number of cf hashes that may be requested with one getcfheaders (BIP 157).
MAX_GETCFHEADERS_SIZE: Final = 2000
#: The maximum percentage of addresses from our addrman to return in response to a getaddr.
MAX_PCT_ADDR_TO_SEND: Final = 23
#: The maximum number of address records permitted in an ADDR message.
MAX_ADDR_TO_SEND: Final = 1000
#: The maximum rate of address records we're willing to process on average (per second);
#: NetPermissionFlags::Addr bypasses it.
MAX_ADDR_RATE_PER_SECOND: Final = 0.1
#: The soft limit of the address processing token bucket (the +MAX_ADDR_TO_SEND following our
#: GETADDR is exempt from it).
MAX_ADDR_PROCESSING_TOKEN_BUCKET: Final = MAX_ADDR_TO_SEND
#: The compactblocks version we support (BIP 152).
CMPCTBLOCKS_VERSION: Final = 2

#: The final alert (alert system retired), sent to peers old enough to know the alert message.
_FINAL_ALERT: Final = bytes.fromhex(
    "60010000000000000000000000ffffff7f00000000ffffff7ffeffff7f01ffffff7f00000000ffffff7f00ffffff"
    "7f002f555247454e543a20416c657274206b657920636f6d70726f6d697365642c2075706772616465207265717569"
    "726564004630440220653febd6410f470f6bae11cad19c48413becb1ac2c17f908fd0fd53bdc3abd5202206d0e9c96"
    "fe88d4a0f01ed9dedae2b6f9e00da94cad0fecaae66ecf689bf71b50"
)


# ---------------------------------------------------------------------------------------------
# Stand-ins for collaborators upstream keeps in other translation units. Each has the surface
# net_processing calls, under upstream's names.


class Warnings:
    """node/warnings.h: the warnings shown to the user (only the clock warning is raised here)."""

    __slots__ = ("m_mutex", "m_warnings")

    m_mutex: threading.Lock
    m_warnings: dict[str, str]

    def __init__(self) -> None:
        self.m_mutex = threading.Lock()
        self.m_warnings = {}

    def Set(self, id: str, message: str) -> bool:
        with self.m_mutex:
            new = id not in self.m_warnings
            self.m_warnings[id] = message
            return new

    def Unset(self, id: str) -> bool:
        with self.m_mutex:
            return self.m_warnings.pop(id, None) is not None

    def GetMessages(self) -> list[str]:
        with self.m_mutex:
            return list(self.m_warnings.values())


#: node::Warning::CLOCK_OUT_OF_SYNC
CLOCK_OUT_OF_SYNC: Final = "CLOCK_OUT_OF_SYNC"


class TimeOffsets:
    """node/timeoffsets.h: the last MAX_SIZE outbound peers' clock offsets (seconds)."""

    __slots__ = ("m_mutex", "m_offsets", "m_warnings")

    MAX_SIZE: Final = 50
    #: minutes, as upstream's std::chrono::minutes
    WARN_THRESHOLD: Final = 10

    m_mutex: threading.Lock
    m_offsets: deque[int]
    m_warnings: Warnings

    def __init__(self, warnings: Warnings) -> None:
        self.m_mutex = threading.Lock()
        self.m_offsets = deque()
        self.m_warnings = warnings

    def Add(self, offset: int) -> None:
        with self.m_mutex:
            if len(self.m_offsets) >= self.MAX_SIZE:
                self.m_offsets.popleft()
            self.m_offsets.append(offset)
            LogDebug(
                BCLog.NET,
                "Added time offset %+ds, total samples %d\n",
                offset,
                len(self.m_offsets),
            )

    def Median(self) -> int:
        with self.m_mutex:
            # Only calculate the median if we have 5 or more offsets.
            if len(self.m_offsets) < 5:
                return 0
            sorted_copy = sorted(self.m_offsets)
            return sorted_copy[len(sorted_copy) // 2]

    def WarnIfOutOfSync(self) -> bool:
        median = self.Median()
        if abs(median) <= self.WARN_THRESHOLD * 60:
            self.m_warnings.Unset(CLOCK_OUT_OF_SYNC)
            return False
        msg = (
            f"Your computer's date and time appear to be more than {self.WARN_THRESHOLD} minutes "
            "out of sync with "
            "the network, this may lead to consensus failure. After you've confirmed your "
            "computer's clock, this message should no longer appear when you restart your node. "
            "Without a restart, it should stop showing automatically after you've connected to a "
            "sufficient number of new outbound peers, which may take some time. You can inspect "
            "the `timeoffset` field of the `getpeerinfo` and `getnetworkinfo` RPC methods to get "
            "more info."
        )
        common.logging.LogWarning("%s\n", msg)
        self.m_warnings.Set(CLOCK_OUT_OF_SYNC, msg)
        return True


class FeeFilterRounder:
    """policy/fees.h: quantize the fee filter we announce, for privacy. Shares PeerManagerImpl's
    m_rng, as upstream passes it by reference."""

    __slots__ = ("insecure_rand", "m_fee_set", "m_insecure_rand_mutex")

    MAX_FILTER_FEERATE: Final = 1e7
    FEE_FILTER_SPACING: Final = 1.1

    m_fee_set: list[float]
    m_insecure_rand_mutex: threading.Lock
    insecure_rand: FastRandomContext

    def __init__(self, min_incremental_fee: int, rng: FastRandomContext) -> None:
        """``min_incremental_fee`` is upstream's CFeeRate, in satoshis per kvB."""
        fee_set = {0.0}
        min_fee_limit = max(1, min_incremental_fee // 2)
        bucket_boundary = float(min_fee_limit)
        while bucket_boundary <= self.MAX_FILTER_FEERATE:
            fee_set.add(bucket_boundary)
            bucket_boundary *= self.FEE_FILTER_SPACING
        self.m_fee_set = sorted(fee_set)
        self.m_insecure_rand_mutex = threading.Lock()
        self.insecure_rand = rng

    def round(self, currentMinFee: int) -> int:
        """Quantize a minimum fee for privacy purpose before broadcast."""
        # std::set::lower_bound: the first element not less than currentMinFee.
        it = bisect.bisect_left(self.m_fee_set, currentMinFee)
        if it == len(self.m_fee_set):
            it = len(self.m_fee_set) - 1
        elif it != 0:
            with self.m_insecure_rand_mutex:
                if self.insecure_rand.rand32() % 3 != 0:
                    it -= 1
        return int(self.m_fee_set[it])


class PackageValidationResult(enum.IntEnum):
    """policy/packages.h: why a package was invalid."""

    PCKG_RESULT_UNSET = 0
    PCKG_POLICY = 1
    PCKG_TX = 2
    PCKG_MEMPOOL_ERROR = 3


@dataclass(slots=True)
class PackageMempoolAcceptResult:
    """validation.h: the result of submitting a package: a package-wide state and the results
    of the transactions validation finished, by wtxid (empty after a package-wide error)."""

    m_state: PackageValidationResult
    m_reject_reason: str = ""
    m_tx_results: dict[uint256, MempoolAcceptResult] = field(default_factory=dict)

    def IsInvalid(self) -> bool:
        return self.m_state != PackageValidationResult.PCKG_RESULT_UNSET

    def ToString(self) -> str:
        return self.m_reject_reason if self.IsInvalid() else "Valid"


def ProcessNewPackage(
    active_chainstate: Chainstate,
    pool: CTxMemPool,
    txns: Package,
    test_accept: bool,
    client_maxfeerate: CFeeRate | None,
) -> PackageMempoolAcceptResult:
    """validation.h's package submission. The mempool stand-in validates transactions one at a
    time only, so every package fails as a whole (PCKG_POLICY "package-not-supported"), as a
    package upstream fails when its feerate does not suffice."""
    return PackageMempoolAcceptResult(PackageValidationResult.PCKG_POLICY, "package-not-supported")


# ---------------------------------------------------------------------------------------------
# Internal stuff


@dataclass(slots=True, eq=False)
class QueuedBlock:
    """A block in flight, or in the queue to be downloaded. Compared by identity, as the list
    iterators upstream keeps in mapBlocksInFlight."""

    #: BlockIndex. We only request blocks whose header we validated.
    pindex: CBlockIndex
    #: Optional, used for CMPCTBLOCK downloads.
    partialBlock: PartiallyDownloadedBlock | None = None


class Peer:
    """Per-peer protocol state that does not need cs_main. Upstream owns it through shared
    pointers (PeerRef); here a plain reference, alive while anyone holds it.

    The mutexes inside must not be held when taking PeerManagerImpl.m_peer_mutex."""

    __slots__ = (
        "m_id",
        "m_our_services",
        "m_their_services",
        "m_is_inbound",
        "addr",
        "m_permission_flags",
        "m_conn_type",
        "m_connected",
        "m_inbound_onion",
        "nLocalHostNonce",
        "m_misbehavior_mutex",
        "m_should_discourage",
        "m_block_inv_mutex",
        "m_blocks_for_inv_relay",
        "m_blocks_for_headers_relay",
        "m_continuation_block",
        "m_outbound_version_message_sent",
        "m_starting_height",
        "m_ping_nonce_sent",
        "m_ping_start",
        "m_disconnecting",
        "m_transport_type",
        "m_send_buffer_full",
        "m_addr_local",
        "m_addr_local_mutex",
        "m_handshake_complete",
        "m_last_ping_time",
        "m_min_ping_time",
        "m_ping_queued",
        "m_wtxid_relay",
        "m_fee_filter_sent",
        "m_next_send_feefilter",
        "m_addrs_to_send",
        "m_addr_known",
        "m_addr_relay_enabled",
        "m_getaddr_sent",
        "m_addr_send_times_mutex",
        "m_next_addr_send",
        "m_next_local_addr_send",
        "m_wants_addrv2",
        "m_getaddr_recvd",
        "m_addr_token_bucket",
        "m_addr_token_timestamp",
        "m_addr_rate_limited",
        "m_addr_processed",
        "m_inv_triggered_getheaders_before_sync",
        "m_getdata_requests_mutex",
        "m_getdata_requests",
        "m_last_getheaders_timestamp",
        "m_headers_sync_mutex",
        "m_headers_sync",
        "m_sent_sendheaders",
        "m_headers_sync_timeout",
        "m_prefers_headers",
        "m_time_offset",
        "m_bip152_highbandwidth_to",
        "m_bip152_highbandwidth_from",
        "m_subver_mutex",
        "cleanSubVer",
        "nVersion",
        "m_greatest_common_version",
        "m_tx_relay_mutex",
        "m_tx_relay",
        "m_has_all_wanted_services",
        "m_relays_txs",
        "m_bloom_filter_loaded",
        "m_last_block_time",
        "m_last_tx_time",
    )

    #: Same id as the CNode object for this peer.
    m_id: NodeId
    #: Services we offered to this peer; fixed at InitializeNode.
    m_our_services: ServiceFlags
    #: Services this peer offered to us.
    m_their_services: ServiceFlags
    #: Whether this peer is an inbound connection.
    m_is_inbound: bool
    #: Address of this peer.
    addr: CAddress
    m_permission_flags: NetPermissionFlags
    m_conn_type: ConnectionType
    #: Unix epoch time at peer connection; seconds.
    m_connected: int
    #: Whether this peer is an inbound onion, i.e. connected via our Tor onion service.
    m_inbound_onion: bool
    nLocalHostNonce: int

    #: Protects misbehavior data members.
    m_misbehavior_mutex: threading.Lock
    #: Whether this peer should be disconnected and marked as discouraged (unless it has
    #: NetPermissionFlags::NoBan). GUARDED_BY(m_misbehavior_mutex)
    m_should_discourage: bool

    #: Protects block inventory data members.
    m_block_inv_mutex: threading.Lock
    #: Blocks to announce via ``inv``, in the order requested. GUARDED_BY(m_block_inv_mutex)
    m_blocks_for_inv_relay: list[uint256]
    #: Blocks to announce via ``headers`` (falling back to ``inv``). GUARDED_BY(m_block_inv_mutex)
    m_blocks_for_headers_relay: list[uint256]
    #: The last hash of a getblocks batch; when it is requested we inv our tip so the peer asks
    #: for more. GUARDED_BY(m_block_inv_mutex)
    m_continuation_block: uint256

    #: Our VERSION message was sent (only relevant for outbound peers).
    m_outbound_version_message_sent: bool

    #: This peer's reported block height when we connected.
    m_starting_height: int

    #: The pong reply we're expecting, or 0 if no pong expected.
    m_ping_nonce_sent: int
    #: When the last ping was sent, or 0 if no ping was ever sent (microseconds).
    m_ping_start: int
    #: Whether net_processing has asked net to close this connection (upstream reads CNode's
    #: fDisconnect, which net_processing also writes; each side now keeps its own).
    m_disconnecting: bool
    #: The transport the connection speaks, from PeerOptions (for the handshake log line).
    m_transport_type: TransportProtocolType
    #: Whether the connection's send buffer is over its limit (net's fPauseSend, reported by
    #: MarkSendBufferFull): stop reading this peer's requests until it drains.
    m_send_buffer_full: bool
    #: The address the peer says it sees us at (from its VERSION message).
    #: GUARDED_BY(m_addr_local_mutex)
    m_addr_local: CService
    m_addr_local_mutex: threading.Lock
    #: Whether the version handshake completed (VERACK received). Upstream reads and writes
    #: CNode's fSuccessfullyConnected; net keeps that one, told by MarkHandshakeComplete.
    m_handshake_complete: bool
    #: Last measured round-trip time; microseconds. Used only for RPC stats.
    m_last_ping_time: int
    #: Lowest measured round-trip time; microseconds. Inbound eviction criterion.
    m_min_ping_time: int
    #: Whether a ping has been requested by the user.
    m_ping_queued: bool

    #: Whether this peer relays txs via wtxid.
    m_wtxid_relay: bool
    #: The feerate in the most recent BIP133 ``feefilter`` we sent (satoshis per kvB).
    m_fee_filter_sent: int
    #: When we will send the next BIP133 ``feefilter`` (microseconds).
    m_next_send_feefilter: int

    #: Addresses to send to the peer, limited to MAX_ADDR_TO_SEND.
    m_addrs_to_send: list[CAddress]
    #: Addresses recently relayed with this peer; present exactly when address relay is on.
    m_addr_known: CRollingBloomFilter | None
    #: Whether we are participating in address relay with this connection.
    m_addr_relay_enabled: bool
    #: Whether a getaddr request to this peer is outstanding.
    m_getaddr_sent: bool
    #: Guards address sending timers.
    m_addr_send_times_mutex: threading.Lock
    #: Time point to send the next ADDR message to this peer (microseconds).
    #: GUARDED_BY(m_addr_send_times_mutex)
    m_next_addr_send: int
    #: Time point to possibly re-announce our local address to this peer (microseconds).
    #: GUARDED_BY(m_addr_send_times_mutex)
    m_next_local_addr_send: int
    #: Whether the peer has signaled support for receiving ADDRv2 (BIP155) messages.
    m_wants_addrv2: bool
    #: Whether this peer has already sent us a getaddr message.
    m_getaddr_recvd: bool
    #: Number of addresses that can be processed from this peer; starts at 1 to permit
    #: self-announcement.
    m_addr_token_bucket: float
    #: When m_addr_token_bucket was last updated (microseconds).
    m_addr_token_timestamp: int
    #: Total number of addresses that were dropped due to rate limiting.
    m_addr_rate_limited: int
    #: Total number of addresses that were processed (excludes rate-limited ones).
    m_addr_processed: int

    #: Whether we've sent this peer a getheaders in response to an inv prior to initial-headers
    #: sync completing.
    m_inv_triggered_getheaders_before_sync: bool

    #: Protects m_getdata_requests.
    m_getdata_requests_mutex: threading.Lock
    #: Work queue of items requested by this peer. GUARDED_BY(m_getdata_requests_mutex)
    m_getdata_requests: deque[CInv]

    #: Time of the last getheaders message to this peer (NodeClock, microseconds).
    m_last_getheaders_timestamp: int

    #: Protects m_headers_sync.
    m_headers_sync_mutex: threading.Lock
    #: Headers-sync state for this peer (eg for initial sync, or syncing large reorgs).
    #: GUARDED_BY(m_headers_sync_mutex)
    m_headers_sync: HeadersSyncState | None

    #: Whether we've sent our peer a sendheaders message.
    m_sent_sendheaders: bool

    #: When to potentially disconnect peer for stalling headers download (microseconds).
    m_headers_sync_timeout: int

    #: Whether this peer wants invs or headers (when possible) for block announcements.
    m_prefers_headers: bool

    #: Time offset computed during the version handshake from the peer's timestamp (seconds).
    m_time_offset: int
    #: We selected peer as (compact blocks) high-bandwidth peer (BIP152).
    m_bip152_highbandwidth_to: bool
    #: Peer selected us as (compact blocks) high-bandwidth peer (BIP152).
    m_bip152_highbandwidth_from: bool
    m_subver_mutex: threading.Lock
    #: GUARDED_BY(m_subver_mutex): sanitized user agent, safe to log or display.
    cleanSubVer: str
    nVersion: int
    m_greatest_common_version: int

    # private:
    m_tx_relay_mutex: threading.Lock
    #: Transaction relay data; None for peers we do not relay transactions with.
    #: GUARDED_BY(m_tx_relay_mutex)
    m_tx_relay: Peer.TxRelay | None
    #: Whether this peer provides all services that we want. Used for eviction decisions.
    m_has_all_wanted_services: bool
    #: Whether we should relay transactions to this peer; only ever goes from false to true.
    m_relays_txs: bool
    #: Whether this peer has loaded a bloom filter. Used only in inbound eviction logic.
    m_bloom_filter_loaded: bool
    #: Last novel block from this peer that passed preliminary checks; seconds (eviction).
    m_last_block_time: int
    #: Last novel transaction from this peer accepted to the mempool; seconds (eviction).
    m_last_tx_time: int

    class TxRelay:
        """Transaction relay state, present only for peers we relay transactions with."""

        __slots__ = (
            "m_bloom_filter_mutex",
            "m_relay_txs",
            "m_bloom_filter",
            "m_tx_inventory_mutex",
            "m_tx_inventory_known_filter",
            "m_tx_inventory_to_send",
            "m_send_mempool",
            "m_next_inv_send_time",
            "m_last_inv_sequence",
            "m_fee_filter_received",
        )

        m_bloom_filter_mutex: threading.RLock
        #: Whether we relay transactions to this peer. GUARDED_BY(m_bloom_filter_mutex)
        m_relay_txs: bool
        #: A bloom filter for which transactions to announce to the peer (BIP37).
        #: GUARDED_BY(m_bloom_filter_mutex)
        m_bloom_filter: CBloomFilter | None

        m_tx_inventory_mutex: threading.RLock
        #: The (w)txids the peer announced to us or we announced to it.
        #: GUARDED_BY(m_tx_inventory_mutex)
        m_tx_inventory_known_filter: CRollingBloomFilter
        #: wtxids we still have to announce. GUARDED_BY(m_tx_inventory_mutex)
        m_tx_inventory_to_send: set[uint256]
        #: Whether the peer asked for our complete mempool (BIP35).
        #: GUARDED_BY(m_tx_inventory_mutex)
        m_send_mempool: bool
        #: When we will next send an ``inv`` with transaction announcements (microseconds);
        #: 0 until the handshake completes. GUARDED_BY(m_tx_inventory_mutex)
        m_next_inv_send_time: int
        #: The mempool sequence at our last ``inv`` to this peer.
        m_last_inv_sequence: int
        #: Minimum fee rate with which to filter transaction announcements (BIP133).
        m_fee_filter_received: int

        def __init__(self) -> None:
            self.m_bloom_filter_mutex = threading.RLock()
            self.m_relay_txs = False
            self.m_bloom_filter = None
            self.m_tx_inventory_mutex = threading.RLock()
            self.m_tx_inventory_known_filter = CRollingBloomFilter(50000, 0.000001)
            self.m_tx_inventory_to_send = set()
            self.m_send_mempool = False
            self.m_next_inv_send_time = 0
            self.m_last_inv_sequence = 1
            self.m_fee_filter_received = 0

    def __init__(self, id: NodeId, our_services: ServiceFlags, is_inbound: bool) -> None:
        self.m_id = id
        self.m_our_services = our_services
        self.m_their_services = NODE_NONE
        self.m_is_inbound = is_inbound
        self.addr = CAddress()
        self.m_permission_flags = NetPermissionFlags.None_
        self.m_conn_type = ConnectionType.INBOUND
        self.m_connected = 0
        self.m_inbound_onion = False
        self.nLocalHostNonce = 0
        self.m_misbehavior_mutex = threading.Lock()
        self.m_should_discourage = False
        self.m_block_inv_mutex = threading.Lock()
        self.m_blocks_for_inv_relay = []
        self.m_blocks_for_headers_relay = []
        self.m_continuation_block = ZERO
        self.m_outbound_version_message_sent = False
        self.m_starting_height = -1
        self.m_ping_nonce_sent = 0
        self.m_ping_start = 0
        self.m_disconnecting = False
        self.m_transport_type = TransportProtocolType.V1
        self.m_send_buffer_full = False
        self.m_addr_local = CService()
        self.m_addr_local_mutex = threading.Lock()
        self.m_handshake_complete = False
        self.m_last_ping_time = 0
        self.m_min_ping_time = _MICROSECONDS_MAX
        self.m_ping_queued = False
        self.m_wtxid_relay = False
        self.m_fee_filter_sent = 0
        self.m_next_send_feefilter = 0
        self.m_addrs_to_send = []
        self.m_addr_known = None
        self.m_addr_relay_enabled = False
        self.m_getaddr_sent = False
        self.m_addr_send_times_mutex = threading.Lock()
        self.m_next_addr_send = 0
        self.m_next_local_addr_send = 0
        self.m_wants_addrv2 = False
        self.m_getaddr_recvd = False
        self.m_addr_token_bucket = 1.0
        self.m_addr_token_timestamp = GetTimeMicros()
        self.m_addr_rate_limited = 0
        self.m_addr_processed = 0
        self.m_inv_triggered_getheaders_before_sync = False
        self.m_getdata_requests_mutex = threading.Lock()
        self.m_getdata_requests = deque()
        self.m_last_getheaders_timestamp = 0
        self.m_headers_sync_mutex = threading.Lock()
        self.m_headers_sync = None
        self.m_sent_sendheaders = False
        self.m_headers_sync_timeout = 0
        self.m_prefers_headers = False
        self.m_time_offset = 0
        self.m_bip152_highbandwidth_to = False
        self.m_bip152_highbandwidth_from = False
        self.m_subver_mutex = threading.Lock()
        self.cleanSubVer = ""
        self.nVersion = 0
        self.m_greatest_common_version = INIT_PROTO_VERSION
        self.m_tx_relay_mutex = threading.Lock()
        self.m_tx_relay = None
        self.m_has_all_wanted_services = False
        self.m_relays_txs = False
        self.m_bloom_filter_loaded = False
        self.m_last_block_time = 0
        self.m_last_tx_time = 0

    def IsOutboundOrBlockRelayConn(self) -> bool:
        return self.m_conn_type in (ConnectionType.OUTBOUND_FULL_RELAY, ConnectionType.BLOCK_RELAY)

    def ExpectServicesFromConn(self) -> bool:
        """Whether we connected to this peer for the services it advertised to us."""
        return self.m_conn_type in (
            ConnectionType.OUTBOUND_FULL_RELAY,
            ConnectionType.BLOCK_RELAY,
            ConnectionType.ADDR_FETCH,
        )

    def ConnectionTypeAsString(self) -> str:
        return ConnectionTypeAsString(self.m_conn_type)

    def GetAddrLocal(self) -> CService:
        with self.m_addr_local_mutex:
            return self.m_addr_local

    def SetAddrLocal(self, addrLocalIn: CService) -> None:
        """May not be called more than once."""
        with self.m_addr_local_mutex:
            # Addr local can only be set once during version msg processing (Assume()).
            if not self.m_addr_local.IsValid():
                self.m_addr_local = addrLocalIn

    def LogIP(self, log_ip: bool) -> str:
        """ " peeraddr=..." when ``log_ip``, else "" (CNode::LogIP, from Peer's copy of addr)."""
        return f" peeraddr={self.addr.ToStringAddrPort()}" if log_ip else ""

    def DisconnectMsg(self, log_ip: bool) -> str:
        """ "disconnecting peer=..." and, with ``log_ip``, the address (CNode::DisconnectMsg)."""
        return f"disconnecting peer={self.m_id}{self.LogIP(log_ip)}"

    def PongReceived(self, ping_time: int) -> None:
        """A ping-pong round trip completed; ``ping_time`` in microseconds."""
        self.m_last_ping_time = ping_time
        self.m_min_ping_time = min(self.m_min_ping_time, ping_time)

    def SetTxRelay(self) -> Peer.TxRelay:
        """Initialize the TxRelay state; at most once per peer."""
        with self.m_tx_relay_mutex:
            assert self.m_tx_relay is None
            self.m_tx_relay = Peer.TxRelay()
            return self.m_tx_relay

    def GetTxRelay(self) -> Peer.TxRelay | None:
        with self.m_tx_relay_mutex:
            return self.m_tx_relay

    def HasPermission(self, permission: NetPermissionFlags) -> bool:
        return NetPermissions.HasFlag(self.m_permission_flags, permission)

    def IsFullOutboundConn(self) -> bool:
        return self.m_conn_type == ConnectionType.OUTBOUND_FULL_RELAY

    def IsManualConn(self) -> bool:
        return self.m_conn_type == ConnectionType.MANUAL

    def IsBlockOnlyConn(self) -> bool:
        return self.m_conn_type == ConnectionType.BLOCK_RELAY

    def IsFeelerConn(self) -> bool:
        return self.m_conn_type == ConnectionType.FEELER

    def IsAddrFetchConn(self) -> bool:
        return self.m_conn_type == ConnectionType.ADDR_FETCH

    def IsInboundConn(self) -> bool:
        return self.m_conn_type == ConnectionType.INBOUND

    def GetLocalNonce(self) -> int:
        return self.nLocalHostNonce

    def SetCommonVersion(self, greatest_common_version: int) -> None:
        # Assume(): set once, during the version handshake.
        self.m_greatest_common_version = greatest_common_version

    def GetCommonVersion(self) -> int:
        return self.m_greatest_common_version


#: std::shared_ptr<Peer>
PeerRef = Peer


class CNodeState:
    """Validation-specific per-peer state, guarded by cs_main rather than by CNode's locks."""

    __slots__ = (
        "pindexBestKnownBlock",
        "hashLastUnknownBlock",
        "pindexLastCommonBlock",
        "pindexBestHeaderSent",
        "fSyncStarted",
        "m_stalling_since",
        "vBlocksInFlight",
        "m_downloading_since",
        "fPreferredDownload",
        "m_requested_hb_cmpctblocks",
        "m_provides_cmpctblocks",
        "m_chain_sync",
        "m_last_block_announcement",
    )

    #: The best known block we know this peer has announced.
    pindexBestKnownBlock: CBlockIndex | None
    #: The hash of the last unknown block this peer has announced.
    hashLastUnknownBlock: uint256
    #: The last full block we both have.
    pindexLastCommonBlock: CBlockIndex | None
    #: The best header we have sent our peer.
    pindexBestHeaderSent: CBlockIndex | None
    #: Whether we've started headers synchronization with this peer.
    fSyncStarted: bool
    #: Since when we're stalling block download progress, or 0 (microseconds).
    m_stalling_since: int
    #: std::list<QueuedBlock>
    vBlocksInFlight: list[QueuedBlock]
    #: When the first entry in vBlocksInFlight started downloading (microseconds).
    m_downloading_since: int
    #: Whether we consider this a preferred download peer.
    fPreferredDownload: bool
    #: Whether this peer wants invs or cmpctblocks (when possible) for block announcements.
    m_requested_hb_cmpctblocks: bool
    #: Whether this peer will send us cmpctblocks if we request them.
    m_provides_cmpctblocks: bool
    #: State used to enforce CHAIN_SYNC_TIMEOUT and EXTRA_PEER_CHECK_INTERVAL logic.
    m_chain_sync: CNodeState.ChainSyncTimeoutState
    #: Time of last new block announcement (seconds).
    m_last_block_announcement: int

    @dataclass(slots=True)
    class ChainSyncTimeoutState:
        """Outbound chain-sync timeout bookkeeping: a peer whose best known block has less work
        than our tip gets CHAIN_SYNC_TIMEOUT to catch up, then one getheaders and
        HEADERS_RESPONSE_TIME, then is disconnected. Protected peers are exempt."""

        #: A timeout used for checking whether our peer has sufficiently synced (seconds).
        m_timeout: int = 0
        #: A header with the work we require on our peer's chain.
        m_work_header: CBlockIndex | None = None
        #: After timeout is reached, set to true after sending getheaders.
        m_sent_getheaders: bool = False
        #: Whether this peer is protected from disconnection due to a bad/slow chain.
        m_protect: bool = False

    def __init__(self) -> None:
        self.pindexBestKnownBlock = None
        self.hashLastUnknownBlock = ZERO
        self.pindexLastCommonBlock = None
        self.pindexBestHeaderSent = None
        self.fSyncStarted = False
        self.m_stalling_since = 0
        self.vBlocksInFlight = []
        self.m_downloading_since = 0
        self.fPreferredDownload = False
        self.m_requested_hb_cmpctblocks = False
        self.m_provides_cmpctblocks = False
        self.m_chain_sync = CNodeState.ChainSyncTimeoutState()
        self.m_last_block_announcement = 0


# Upstream's file-static functions, defined among PeerManagerImpl's methods there.


#: Per peer in a low-work headers sync: the work it proved, and (height, timestamp) of its last
#: header while in PRESYNC (None in REDOWNLOAD).
HeadersPresyncStats = tuple[int, tuple[int, int] | None]


def _presync_key(stats: HeadersPresyncStats) -> tuple[int, tuple[int, ...]]:
    """Upstream compares HeadersPresyncStats as a std::pair: work first, then the optional
    (an empty optional is the smallest)."""
    work, presync = stats
    return work, (() if presync is None else (1, *presync))


def IsAddrCompatible(peer: Peer, addr: CAddress) -> bool:
    """Whether the peer supports the address: a peer that does not implement BIP155 cannot
    receive Tor v3 addresses, which need ADDRv2 encoding."""
    return peer.m_wants_addrv2 or addr.IsAddrV1Compatible()


def AddKnownTx(peer: Peer, hash: uint256) -> None:
    tx_relay = peer.GetTxRelay()
    if tx_relay is None:
        return
    with tx_relay.m_tx_inventory_mutex:
        tx_relay.m_tx_inventory_known_filter.insert(hash)


def CanServeBlocks(peer: Peer) -> bool:
    """Whether this peer can serve us blocks."""
    return bool(peer.m_their_services & (NODE_NETWORK | NODE_NETWORK_LIMITED))


def IsLimitedPeer(peer: Peer) -> bool:
    """Whether this peer can only serve limited recent blocks (e.g. because it prunes)."""
    return not (peer.m_their_services & NODE_NETWORK) and bool(
        peer.m_their_services & NODE_NETWORK_LIMITED
    )


def CanServeWitnesses(peer: Peer) -> bool:
    """Whether this peer can serve us witness data."""
    return bool(peer.m_their_services & NODE_WITNESS)


def PeerHasHeader(state: CNodeState, pindex: CBlockIndex | None) -> bool:
    if pindex is None:
        return False
    if state.pindexBestKnownBlock is not None and pindex is state.pindexBestKnownBlock.GetAncestor(
        pindex.nHeight
    ):
        return True
    return state.pindexBestHeaderSent is not None and (
        pindex is state.pindexBestHeaderSent.GetAncestor(pindex.nHeight)
    )


def ToGenTxid(inv: CInv) -> GenTxid:
    """protocol.h: the GenTxid an inv of a transaction type names."""
    assert inv.IsGenTxMsg()
    return GenTxid.Wtxid(inv.hash) if inv.IsMsgWtx() else GenTxid.Txid(inv.hash)


def _div_trunc(a: int, b: int) -> int:
    """C++ integer division (truncates toward zero)."""
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b > 0) else -q


class TxReconciliationTracker(Protocol):
    """node/txreconciliation.h (Erlay), only created with -txreconciliation. Not ported: the
    option stays off, so m_txreconciliation is always None; the calls keep upstream's shape."""

    def PreRegisterPeer(self, peer_id: NodeId) -> int: ...

    def RegisterPeer(
        self, peer_id: NodeId, is_peer_inbound: bool, peer_recon_version: int, remote_salt: int
    ) -> int: ...

    def IsPeerRegistered(self, peer_id: NodeId) -> bool: ...

    def ForgetPeer(self, peer_id: NodeId) -> None: ...


#: ReconciliationRegisterResult (node/txreconciliation.h).
NOT_FOUND: Final = 0
SUCCESS: Final = 1
ALREADY_REGISTERED: Final = 2
PROTOCOL_VIOLATION: Final = 3


class PeerManagerImpl(PeerManager):
    """The implementation of PeerManager (and of NetEventsInterface and CValidationInterface).

    Methods follow the order of their definitions in net_processing.cpp."""

    __slots__ = (
        "m_rng",
        "m_fee_filter_rounder",
        "m_chainparams",
        "m_connman",
        "m_addrman",
        "m_banman",
        "m_chainman",
        "m_mempool",
        "m_tx_download_mutex",
        "m_txdownloadman",
        "m_txreconciliation",
        "m_best_height",
        "m_best_block_time",
        "m_stale_tip_check_time",
        "m_warnings",
        "m_outbound_time_offsets",
        "m_opts",
        "m_initial_sync_finished",
        "m_peer_mutex",
        "m_peer_map",
        "fMsgProcWake",
        "condMsgProc",
        "mutexMsgProc",
        "flagInterruptMsgProc",
        "threadMessageHandler",
        "m_node_states",
        "m_next_inv_to_inbounds",
        "nSyncStarted",
        "m_last_block_inv_triggering_headers_sync",
        "mapBlockSource",
        "m_wtxid_relay_peers",
        "m_outbound_peers_with_protect_from_disconnect",
        "m_num_preferred_download_peers",
        "m_block_stalling_timeout",
        "m_most_recent_block_mutex",
        "m_most_recent_block",
        "m_most_recent_compact_block",
        "m_most_recent_block_hash",
        "m_most_recent_block_txs",
        "m_headers_presync_mutex",
        "m_headers_presync_stats",
        "m_headers_presync_bestpeer",
        "m_headers_presync_should_signal",
        "m_highest_fast_announce",
        "mapBlocksInFlight",
        "m_last_tip_update",
        "lNodesAnnouncingHeaderAndIDs",
        "m_peers_downloading_from",
        "vExtraTxnForCompact",
        "vExtraTxnForCompactIt",
    )

    m_rng: FastRandomContext
    m_fee_filter_rounder: FeeFilterRounder
    m_chainparams: CChainParams
    m_connman: NetManagerEvents
    m_addrman: AddrMan
    #: This node's banman; may be None.
    m_banman: BanMan | None
    m_chainman: ChainstateManager
    m_mempool: CTxMemPool
    #: Synchronizes tx download (TxRequestTracker, rejection filters, TxOrphanage).
    m_tx_download_mutex: threading.Lock
    m_txdownloadman: TxDownloadManager
    m_txreconciliation: TxReconciliationTracker | None
    #: The height of the best chain.
    m_best_height: int
    #: The time of the best chain tip block (seconds).
    m_best_block_time: int
    #: Next time to check for stale tip (seconds). GUARDED_BY(cs_main)
    m_stale_tip_check_time: int
    m_warnings: Warnings
    m_outbound_time_offsets: TimeOffsets
    m_opts: PeerManager.Options
    #: Whether we've completed initial sync yet, for turning on extra block-relay-only peers.
    m_initial_sync_finished: bool
    #: Protects m_peer_map; must not be taken while holding a lock inside a Peer.
    m_peer_mutex: threading.Lock
    #: All Peer objects, keyed by peer id. GUARDED_BY(m_peer_mutex)
    m_peer_map: dict[NodeId, Peer]
    #: Flag for waking the message handler. GUARDED_BY(mutexMsgProc).
    fMsgProcWake: bool
    mutexMsgProc: threading.Lock
    condMsgProc: threading.Condition
    #: Upstream's std::atomic<bool>; an Event so ProcessMessages can read it by reference.
    flagInterruptMsgProc: threading.Event
    threadMessageHandler: threading.Thread | None
    #: Per-node state. GUARDED_BY(cs_main)
    m_node_states: dict[NodeId, CNodeState]
    #: microseconds
    m_next_inv_to_inbounds: int
    #: Number of nodes with fSyncStarted. GUARDED_BY(cs_main)
    nSyncStarted: int
    #: Hash of the last block we received via INV.
    m_last_block_inv_triggering_headers_sync: uint256
    #: Sources of received blocks, to punish them once processing finishes: hash -> (peer,
    #: whether to punish). GUARDED_BY(cs_main)
    mapBlockSource: dict[uint256, tuple[NodeId, bool]]
    #: Number of peers with wtxid relay.
    m_wtxid_relay_peers: int
    #: Number of outbound peers with m_chain_sync.m_protect. GUARDED_BY(cs_main)
    m_outbound_peers_with_protect_from_disconnect: int
    #: Number of preferable block download peers. GUARDED_BY(cs_main)
    m_num_preferred_download_peers: int
    #: Stalling timeout for blocks in IBD (seconds).
    m_block_stalling_timeout: int
    m_most_recent_block_mutex: threading.Lock
    m_most_recent_block: CBlock | None
    m_most_recent_compact_block: CBlockHeaderAndShortTxIDs | None
    m_most_recent_block_hash: uint256
    #: The most recent block's transactions by txid and by wtxid (upstream keys by GenTxid).
    m_most_recent_block_txs: dict[uint256, CTransaction] | None
    m_headers_presync_mutex: threading.Lock
    #: Per peer: (verified work, (height, timestamp) or None in the redownload phase).
    m_headers_presync_stats: dict[NodeId, HeadersPresyncStats]
    m_headers_presync_bestpeer: NodeId
    m_headers_presync_should_signal: bool
    #: Height of the highest block announced using BIP 152 high-bandwidth mode.
    m_highest_fast_announce: int
    #: Upstream's multimap hash -> (peer, list iterator), in insertion order per hash.
    #: GUARDED_BY(cs_main)
    mapBlocksInFlight: dict[uint256, list[tuple[NodeId, QueuedBlock]]]
    #: When our tip was last updated (seconds).
    m_last_tip_update: int
    #: Stack of nodes which we have set to announce using compact blocks. GUARDED_BY(cs_main)
    lNodesAnnouncingHeaderAndIDs: list[NodeId]
    #: Number of peers from which we're downloading blocks. GUARDED_BY(cs_main)
    m_peers_downloading_from: int
    #: Recent orphan/conflicted/rejected transactions kept for compact block reconstruction,
    #: a ring buffer of (wtxid, tx).
    vExtraTxnForCompact: list[tuple[uint256, CTransaction] | None]
    vExtraTxnForCompactIt: int

    # -- inline in the class declaration upstream ---------------------------------------------

    def SetBestBlock(self, height: int, time: int) -> None:
        self.m_best_height = height
        self.m_best_block_time = time

    def UnitTestMisbehaving(self, peer_id: NodeId) -> None:
        peer: Peer | None = self.GetPeerRef(peer_id)
        assert peer is not None
        self.Misbehaving(peer, "")

    def PushMessage(self, peer: Peer, msg: CSerializedNetMsg) -> None:
        """Send a message to a peer, through CConnman by the peer's id."""
        self.m_connman.PushMessage(peer.m_id, msg)

    def MakeAndPushMessage(self, peer: Peer, msg_type: str, *args: bytes) -> None:
        """``NetMsg::Make(msg_type, args...)`` then push: each argument is already serialized,
        in the order upstream passes them."""
        self.m_connman.PushMessage(
            peer.m_id, CSerializedNetMsg(data=b"".join(args), m_type=msg_type)
        )

    # -- net_processing.cpp ------------------------------------------------------------------

    def State(self, pnode: NodeId) -> CNodeState | None:
        return self.m_node_states.get(pnode)

    def AddAddressKnown(self, peer: Peer, addr: CAddress) -> None:
        assert peer.m_addr_known is not None
        peer.m_addr_known.insert(addr.GetKey())

    def PushAddress(self, peer: Peer, addr: CAddress) -> None:
        # Known checking here is only to save space from duplicates; MaybeSendAddr filters again
        # for addresses learnt after this push.
        assert peer.m_addr_known is not None
        if (
            addr.IsValid()
            and not peer.m_addr_known.contains(addr.GetKey())
            and IsAddrCompatible(peer, addr)
        ):
            if len(peer.m_addrs_to_send) >= MAX_ADDR_TO_SEND:
                peer.m_addrs_to_send[self.m_rng.randrange(len(peer.m_addrs_to_send))] = addr
            else:
                peer.m_addrs_to_send.append(addr)

    def NextInvToInbounds(self, now: int, average_interval: int) -> int:
        """One shared Poisson timer for inv to all inbound peers, so that several connections
        from one spy learn no more than one would. ``now`` in microseconds, ``average_interval``
        in seconds; returns microseconds."""
        if self.m_next_inv_to_inbounds < now:
            # Only the message handler thread calls this, so the update cannot race.
            self.m_next_inv_to_inbounds = now + self.m_rng.rand_exp_duration(
                average_interval * 1_000_000
            )
        return self.m_next_inv_to_inbounds

    def IsBlockRequested(self, hash: uint256) -> bool:
        return hash in self.mapBlocksInFlight

    def IsBlockRequestedFromOutbound(self, hash: uint256) -> bool:
        for nodeid, _block_it in self.mapBlocksInFlight.get(hash, []):
            peer: Peer | None = self.GetPeerRef(nodeid)
            if peer is not None and not peer.m_is_inbound:
                return True
        return False

    def RemoveBlockRequest(self, hash: uint256, from_peer: NodeId | None) -> None:
        """Forget a block request (received, or timed out); with ``from_peer`` only that peer's
        request, so one peer's traffic cannot touch another's state."""
        entries = self.mapBlocksInFlight.get(hash)
        if not entries:
            # Block was not requested from any peer
            return

        remaining: list[tuple[NodeId, QueuedBlock]] = []
        for node_id, list_it in entries:
            if from_peer is not None and from_peer != node_id:
                remaining.append((node_id, list_it))
                continue

            state = self.State(node_id)
            assert state is not None

            if state.vBlocksInFlight and state.vBlocksInFlight[0] is list_it:
                # First block on the queue was received, update the start download time for the
                # next one
                state.m_downloading_since = max(state.m_downloading_since, GetTimeMicros())
            state.vBlocksInFlight.remove(list_it)

            if not state.vBlocksInFlight:
                # Last validated block on the queue for this peer was received.
                self.m_peers_downloading_from -= 1
            state.m_stalling_since = 0
        if remaining:
            self.mapBlocksInFlight[hash] = remaining
        else:
            del self.mapBlocksInFlight[hash]

    def BlockRequested(
        self, nodeid: NodeId, block: CBlockIndex, pit: list[QueuedBlock] | None = None
    ) -> bool:
        """Mark a block as in flight. False (still filling ``pit``) if it already was, from the
        same peer. ``pit`` is upstream's iterator out-parameter: the QueuedBlock is appended."""
        hash = block.GetBlockHash()

        state = self.State(nodeid)
        assert state is not None

        # Short-circuit most stuff in case it is from the same node
        for node_id, list_it in self.mapBlocksInFlight.get(hash, []):
            if node_id == nodeid:
                if pit is not None:
                    pit.append(list_it)
                return False

        # Make sure it's not being fetched already from same peer.
        self.RemoveBlockRequest(hash, nodeid)

        it = QueuedBlock(
            block, PartiallyDownloadedBlock(self.m_mempool) if pit is not None else None
        )
        state.vBlocksInFlight.append(it)
        if len(state.vBlocksInFlight) == 1:
            # We're starting a block download (batch) from this peer.
            state.m_downloading_since = GetTimeMicros()
            self.m_peers_downloading_from += 1
        self.mapBlocksInFlight.setdefault(hash, []).append((nodeid, it))
        if pit is not None:
            pit.append(it)
        return True

    def MaybeSetPeerAsAnnouncingHeaderAndIDs(self, nodeid: NodeId) -> None:
        """When a peer sends us a valid block, ask it to announce blocks with CMPCTBLOCK
        (high-bandwidth), keeping at most 3 such peers."""
        # In -blocksonly mode our mempool cannot reconstruct compact blocks.
        if self.m_opts.ignore_incoming_txs:
            return

        nodestate = self.State(nodeid)
        peer: Peer | None = self.GetPeerRef(nodeid)
        if nodestate is None or not nodestate.m_provides_cmpctblocks:
            # Don't request compact blocks if the peer has not signalled support
            return

        num_outbound_hb_peers = 0
        for i, it in enumerate(self.lNodesAnnouncingHeaderAndIDs):
            if it == nodeid:
                del self.lNodesAnnouncingHeaderAndIDs[i]
                self.lNodesAnnouncingHeaderAndIDs.append(nodeid)
                return
            peer_ref: Peer | None = self.GetPeerRef(it)
            if peer_ref is not None and not peer_ref.m_is_inbound:
                num_outbound_hb_peers += 1
        if peer is not None and peer.m_is_inbound:  # noqa: SIM102 (upstream's nesting)
            # If we're adding an inbound HB peer, make sure we're not removing our last outbound
            # HB peer in the process.
            if len(self.lNodesAnnouncingHeaderAndIDs) >= 3 and num_outbound_hb_peers == 1:
                remove_peer: Peer | None = self.GetPeerRef(self.lNodesAnnouncingHeaderAndIDs[0])
                if remove_peer is not None and not remove_peer.m_is_inbound:
                    # Put the HB outbound peer in the second slot, so that it doesn't get removed.
                    hb = self.lNodesAnnouncingHeaderAndIDs
                    hb[0], hb[1] = hb[1], hb[0]

        def announce(peer: Peer) -> bool:
            if len(self.lNodesAnnouncingHeaderAndIDs) >= 3:
                # As per BIP152, we only get 3 of our peers to announce blocks using compact
                # encodings.
                def demote(peer: Peer) -> bool:
                    self.MakeAndPushMessage(
                        peer,
                        NetMsgType.SENDCMPCT,
                        ser_bool(False),
                        ser_u64(CMPCTBLOCKS_VERSION),
                    )
                    # save BIP152 bandwidth state: we select peer to be low-bandwidth
                    peer.m_bip152_highbandwidth_to = False
                    return True

                self.ForPeer(self.lNodesAnnouncingHeaderAndIDs[0], demote)
                self.lNodesAnnouncingHeaderAndIDs.pop(0)
            self.MakeAndPushMessage(
                peer, NetMsgType.SENDCMPCT, ser_bool(True), ser_u64(CMPCTBLOCKS_VERSION)
            )
            # save BIP152 bandwidth state: we select peer to be high-bandwidth
            peer.m_bip152_highbandwidth_to = True
            self.lNodesAnnouncingHeaderAndIDs.append(peer.m_id)
            return True

        self.ForPeer(nodeid, announce)

    def TipMayBeStale(self) -> bool:
        consensusParams = self.m_chainparams.GetConsensus()
        if self.m_last_tip_update == 0:
            self.m_last_tip_update = GetTime()
        return (
            self.m_last_tip_update < GetTime() - consensusParams.nPowTargetSpacing * 3
            and not self.mapBlocksInFlight
        )

    def ApproximateBestBlockDepth(self) -> int:
        """Estimated blocks between our best block and the network's tip, from the best block's
        time and the block spacing."""
        return _div_trunc(
            GetTime() - self.m_best_block_time,
            self.m_chainparams.GetConsensus().nPowTargetSpacing,
        )

    def CanDirectFetch(self) -> bool:
        tip = self.m_chainman.ActiveChain().Tip()
        assert tip is not None
        return tip.GetBlockTime() * 1_000_000 > NodeClock.now() - (
            self.m_chainparams.GetConsensus().PowTargetSpacing() * 20 * 1_000_000
        )

    def ProcessBlockAvailability(self, nodeid: NodeId) -> None:
        """Check whether the last unknown block a peer advertised is not yet known."""
        state = self.State(nodeid)
        assert state is not None

        if not state.hashLastUnknownBlock.IsNull():
            pindex = self.m_chainman.m_blockman.LookupBlockIndex(state.hashLastUnknownBlock)
            if pindex is not None and pindex.nChainWork > 0:
                if (
                    state.pindexBestKnownBlock is None
                    or pindex.nChainWork >= state.pindexBestKnownBlock.nChainWork
                ):
                    state.pindexBestKnownBlock = pindex
                state.hashLastUnknownBlock = ZERO

    def UpdateBlockAvailability(self, nodeid: NodeId, hash: uint256) -> None:
        """Update tracking information about which blocks a peer is assumed to have."""
        state = self.State(nodeid)
        assert state is not None

        self.ProcessBlockAvailability(nodeid)

        pindex = self.m_chainman.m_blockman.LookupBlockIndex(hash)
        if pindex is not None and pindex.nChainWork > 0:
            # An actually better block was announced.
            if (
                state.pindexBestKnownBlock is None
                or pindex.nChainWork >= state.pindexBestKnownBlock.nChainWork
            ):
                state.pindexBestKnownBlock = pindex
        else:
            # An unknown block was announced; just assume that the latest one is the best one.
            state.hashLastUnknownBlock = hash

    def FindNextBlocksToDownload(
        self, peer: Peer, count: int, vBlocks: list[CBlockIndex], nodeStaller: list[NodeId]
    ) -> None:
        """Append to ``vBlocks`` up to ``count`` blocks to download from ``peer``.
        ``nodeStaller`` is upstream's out parameter: it receives the id of the peer whose
        in-flight block holds up the download window, if any."""
        if count == 0:
            return

        state = self.State(peer.m_id)
        assert state is not None

        # Make sure pindexBestKnownBlock is up to date, we'll need it.
        self.ProcessBlockAvailability(peer.m_id)

        tip = self.m_chainman.ActiveChain().Tip()
        assert tip is not None
        best_known = state.pindexBestKnownBlock
        if (
            best_known is None
            or best_known.nChainWork < tip.nChainWork
            or best_known.nChainWork < self.m_chainman.MinimumChainWork()
        ):
            # This peer has nothing interesting.
            return

        # With an assumeutxo snapshot whose base is not in the peer's best chain we could not
        # reorg to that chain (no undo data until the background sync finishes).
        snap_base = self.m_chainman.GetSnapshotBaseBlock()
        if snap_base is not None and best_known.GetAncestor(snap_base.nHeight) is not snap_base:
            LogDebug(
                BCLog.NET,
                "Not downloading blocks from peer=%d, which doesn't have the snapshot block in "
                "its best chain.\n",
                peer.m_id,
            )
            return

        # Bootstrap quickly by guessing a parent of our best tip is the forking point. Guessing
        # wrong in either direction is not a problem. Also reset pindexLastCommonBlock after a
        # snapshot was loaded, so that blocks after the snapshot will be prioritised.
        if state.pindexLastCommonBlock is None or (
            snap_base is not None and state.pindexLastCommonBlock.nHeight < snap_base.nHeight
        ):
            state.pindexLastCommonBlock = self.m_chainman.ActiveChain()[
                min(best_known.nHeight, self.m_chainman.ActiveChain().Height())
            ]
        assert state.pindexLastCommonBlock is not None

        # If the peer reorganized, our previous pindexLastCommonBlock may not be an ancestor of
        # its current tip anymore. Go back enough to fix that.
        state.pindexLastCommonBlock = LastCommonAncestor(state.pindexLastCommonBlock, best_known)
        if state.pindexLastCommonBlock is best_known:
            return

        pindexWalk = state.pindexLastCommonBlock
        # Never fetch further than the best block we know the peer has, or more than
        # BLOCK_DOWNLOAD_WINDOW + 1 beyond the last linked block we have in common with this
        # peer. The +1 is so we can detect stalling, namely if we would be able to download that
        # next block if the window were 1 larger.
        nWindowEnd = state.pindexLastCommonBlock.nHeight + BLOCK_DOWNLOAD_WINDOW

        self.FindNextBlocks(
            vBlocks,
            peer,
            state,
            pindexWalk,
            count,
            nWindowEnd,
            self.m_chainman.ActiveChain(),
            nodeStaller,
        )

    def TryDownloadingHistoricalBlocks(
        self,
        peer: Peer,
        count: int,
        vBlocks: list[CBlockIndex],
        from_tip: CBlockIndex,
        target_block: CBlockIndex,
    ) -> None:
        """Blocks for the background chainstate of an assumeutxo snapshot, toward its base.
        The chain stand-in has no snapshots, so SendMessages never gets here."""
        if len(vBlocks) >= count:
            return

        state = self.State(peer.m_id)
        assert state is not None

        if (
            state.pindexBestKnownBlock is None
            or state.pindexBestKnownBlock.GetAncestor(target_block.nHeight) is not target_block
        ):
            # This peer can't provide us the complete series of blocks leading up to the
            # assumeutxo snapshot base; other logic decides whether we disconnect it.
            return

        self.FindNextBlocks(
            vBlocks,
            peer,
            state,
            from_tip,
            count,
            min(from_tip.nHeight + BLOCK_DOWNLOAD_WINDOW, target_block.nHeight),
        )

    def FindNextBlocks(
        self,
        vBlocks: list[CBlockIndex],
        peer: Peer,
        state: CNodeState,
        pindexWalk: CBlockIndex,
        count: int,
        nWindowEnd: int,
        activeChain: CChain | None = None,
        nodeStaller: list[NodeId] | None = None,
    ) -> None:
        """Walk the peer's best chain from ``pindexWalk`` and append the blocks we neither have
        nor have in flight, within the window; advance pindexLastCommonBlock on the way."""
        best_known = state.pindexBestKnownBlock
        assert best_known is not None
        nMaxHeight = min(best_known.nHeight, nWindowEnd + 1)
        is_limited_peer = IsLimitedPeer(peer)
        waitingfor = NodeId(-1)
        walk: CBlockIndex = pindexWalk
        while walk.nHeight < nMaxHeight:
            # Read up to 128 (or more, if more blocks than that are needed) successors of
            # pindexWalk (towards pindexBestKnownBlock) into vToFetch. 128, because GetAncestor
            # may be as expensive as iterating over ~100 entries anyway.
            nToFetch = min(nMaxHeight - walk.nHeight, max(count - len(vBlocks), 128))
            ancestor = best_known.GetAncestor(walk.nHeight + nToFetch)
            assert ancestor is not None
            walk = ancestor
            vToFetch: list[CBlockIndex] = [walk] * nToFetch
            for i in range(nToFetch - 1, 0, -1):
                prev = vToFetch[i].pprev
                assert prev is not None
                vToFetch[i - 1] = prev

            # Iterate over those blocks in vToFetch (in forward direction), adding the ones that
            # are not yet downloaded and not in flight to vBlocks. In the meantime, update
            # pindexLastCommonBlock as long as all ancestors are already downloaded, or if it's
            # already part of our chain (and therefore don't need it even if pruned).
            for pindex in vToFetch:
                if not pindex.IsValid(BLOCK_VALID_TREE):
                    # We consider the chain that this peer is on invalid.
                    return

                if not CanServeWitnesses(peer) and DeploymentActiveAt(
                    pindex, self.m_chainman, Consensus.DEPLOYMENT_SEGWIT
                ):
                    # We wouldn't download this block or its descendants from this peer.
                    return

                if pindex.nStatus & BLOCK_HAVE_DATA or (
                    activeChain is not None and activeChain.Contains(pindex)
                ):
                    if activeChain is not None and pindex.HaveNumChainTxs():
                        state.pindexLastCommonBlock = pindex
                    continue

                # Is block in-flight?
                if self.IsBlockRequested(pindex.GetBlockHash()):
                    if waitingfor == -1:
                        # This is the first already-in-flight block.
                        waitingfor = self.mapBlocksInFlight[pindex.GetBlockHash()][0][0]
                    continue

                # The block is not already downloaded, and not yet in flight.
                if pindex.nHeight > nWindowEnd:
                    # We reached the end of the window.
                    if not vBlocks and waitingfor != peer.m_id:  # noqa: SIM102
                        # We aren't able to fetch anything, but we would be if the download
                        # window was one larger.
                        if nodeStaller is not None:
                            nodeStaller[:] = [waitingfor]
                    return

                # Don't request blocks that go further than what limited peers can provide
                # (two blocks buffer for possible races).
                if (
                    is_limited_peer
                    and best_known.nHeight - pindex.nHeight >= NODE_NETWORK_LIMITED_MIN_BLOCKS - 2
                ):
                    continue

                vBlocks.append(pindex)
                if len(vBlocks) == count:
                    return

    def PushNodeVersion(self, peer: Peer) -> None:
        """Send our version message to a peer."""
        my_services = peer.m_our_services
        nTime = GetTime()
        nonce = peer.GetLocalNonce()
        nNodeStartingHeight = self.m_best_height
        nodeid = peer.m_id
        addr = peer.addr

        addr_you = (
            addr
            if addr.IsRoutable() and not IsProxy(addr) and addr.IsAddrV1Compatible()
            else CService()
        )
        your_services = addr.nServices

        tx_relay = not self.RejectIncomingTxs(peer)
        self.MakeAndPushMessage(
            peer,
            NetMsgType.VERSION,
            ser_i32(PROTOCOL_VERSION),
            ser_u64(my_services),
            ser_i64(nTime),
            # Together the pre-version-31402 serialization of CAddress "addrYou" (without nTime)
            ser_u64(your_services),
            addr_you.serialize_v1(),
            # Together the pre-version-31402 serialization of CAddress "addrMe" (without nTime)
            ser_u64(my_services),
            CService().serialize_v1(),
            ser_u64(nonce),
            ser_string(self.m_connman.GetSubVersion()),
            ser_i32(nNodeStartingHeight),
            ser_bool(tx_relay),
        )

        if common.logging.fLogIPs:
            LogDebug(
                BCLog.NET,
                "send version message: version %d, blocks=%d, them=%s, txrelay=%d, peer=%d\n",
                PROTOCOL_VERSION,
                nNodeStartingHeight,
                addr_you.ToStringAddrPort(),
                tx_relay,
                nodeid,
            )
        else:
            LogDebug(
                BCLog.NET,
                "send version message: version %d, blocks=%d, txrelay=%d, peer=%d\n",
                PROTOCOL_VERSION,
                nNodeStartingHeight,
                tx_relay,
                nodeid,
            )

    def UpdateLastBlockAnnounceTime(self, node: NodeId, time_in_seconds: int) -> None:
        with cs_main:
            state = self.State(node)
            if state is not None:
                state.m_last_block_announcement = time_in_seconds

    def InitializeNode(
        self, nodeid: NodeId, options: PeerOptions, our_services: ServiceFlags
    ) -> None:
        with cs_main:  # For m_node_states
            self.m_node_states.setdefault(nodeid, CNodeState())
        with self.m_tx_download_mutex:
            self.m_txdownloadman.CheckIsEmpty(nodeid)

        if NetPermissions.HasFlag(options.permission_flags, NetPermissionFlags.BloomFilter):
            our_services = ServiceFlags(our_services | NODE_BLOOM)

        peer: Peer = Peer(nodeid, our_services, options.conn_type == ConnectionType.INBOUND)
        peer.nLocalHostNonce = options.local_nonce
        peer.addr = options.addr
        peer.m_inbound_onion = options.inbound_onion
        peer.m_connected = options.connected
        peer.m_conn_type = options.conn_type
        peer.m_permission_flags = options.permission_flags
        peer.m_transport_type = options.transport_type
        with self.m_peer_mutex:
            self.m_peer_map.setdefault(nodeid, peer)

    def ReattemptInitialBroadcast(self, scheduler: CScheduler) -> None:
        """Retrieve unbroadcast transactions from the mempool and reattempt sending to peers,
        then run again in 10-15 minutes."""
        unbroadcast_txids = self.m_mempool.GetUnbroadcastTxs()

        for txid in unbroadcast_txids:
            tx = self.m_mempool.get(txid)

            if tx is not None:
                self.RelayTransaction(txid, tx.GetWitnessHash())
            else:
                self.m_mempool.RemoveUnbroadcastTx(txid, True)

        # Schedule next run for 10-15 minutes in the future. We add randomness on every cycle
        # to avoid the possibility of P2P fingerprinting.
        delta = 10 * 60 + FastRandomContext().randrange(5 * 60 * 1000) // 1000
        scheduler.scheduleFromNow(lambda: self.ReattemptInitialBroadcast(scheduler), delta)

    def FinalizeNode(self, nodeid: NodeId) -> None:
        # Not while the message handler is in a round: it may be serving this peer.
        with NetEventsInterface.g_msgproc_mutex:
            self._FinalizeNode(nodeid)

    def _FinalizeNode(self, nodeid: NodeId) -> None:
        node_peer = self.GetPeerRef(nodeid)
        assert node_peer is not None
        with cs_main:
            # We remove the Peer from m_peer_map here; another thread may still hold a reference,
            # so nothing here may assume the Peer won't change before it goes away.
            peer: Peer | None = self.RemovePeer(nodeid)
            assert peer is not None
            self.m_wtxid_relay_peers -= int(peer.m_wtxid_relay)
            assert self.m_wtxid_relay_peers >= 0
            state = self.State(nodeid)
            assert state is not None

            if state.fSyncStarted:
                self.nSyncStarted -= 1

            for entry in state.vBlocksInFlight:
                block_hash = entry.pindex.GetBlockHash()
                others = [e for e in self.mapBlocksInFlight.get(block_hash, []) if e[0] != nodeid]
                if others:
                    self.mapBlocksInFlight[block_hash] = others
                else:
                    self.mapBlocksInFlight.pop(block_hash, None)
            with self.m_tx_download_mutex:
                self.m_txdownloadman.DisconnectedPeer(nodeid)
            if self.m_txreconciliation is not None:
                self.m_txreconciliation.ForgetPeer(nodeid)
            self.m_num_preferred_download_peers -= int(state.fPreferredDownload)
            self.m_peers_downloading_from -= int(bool(state.vBlocksInFlight))
            assert self.m_peers_downloading_from >= 0
            self.m_outbound_peers_with_protect_from_disconnect -= int(state.m_chain_sync.m_protect)
            assert self.m_outbound_peers_with_protect_from_disconnect >= 0

            del self.m_node_states[nodeid]

            if not self.m_node_states:
                # Do a consistency check after the last peer is removed.
                assert not self.mapBlocksInFlight
                assert self.m_num_preferred_download_peers == 0
                assert self.m_peers_downloading_from == 0
                assert self.m_outbound_peers_with_protect_from_disconnect == 0
                assert self.m_wtxid_relay_peers == 0
                with self.m_tx_download_mutex:
                    self.m_txdownloadman.CheckIsEmpty()
        if (
            node_peer.m_handshake_complete
            and not node_peer.IsBlockOnlyConn()
            and not node_peer.IsInboundConn()
        ):
            # Only change visible addrman state for full outbound peers. Feelers never get
            # fSuccessfullyConnected, so they never get here.
            self.m_addrman.Connected(node_peer.addr)
        with self.m_headers_presync_mutex:
            self.m_headers_presync_stats.pop(nodeid, None)
        LogDebug(BCLog.NET, "Cleared nodestate for peer=%d\n", nodeid)

    def HasAllDesirableServiceFlags(self, services: ServiceFlags) -> bool:
        # Shortcut for (services & GetDesirableServiceFlags(services)) == GetDesirableServiceFlags
        return not (int(self.GetDesirableServiceFlags(services)) & ~int(services))

    def RequestDisconnect(self, peer: Peer) -> None:
        """Ask net to close the connection (upstream writes ``fDisconnect = true`` into the CNode)
        and remember that we asked, for the checks that skip a peer on its way out."""
        peer.m_disconnecting = True
        self.m_connman.RequestDisconnect(peer.m_id)

    def ThreadMessageHandler(self) -> None:
        """Process and send messages of every peer (thread "msghand"; upstream runs it in
        CConnman over its nodes). Each round serves the connections net is not closing, in a
        random order so a peer gains nothing from several consecutive connections. A round
        holds g_msgproc_mutex, which FinalizeNode also takes, so a peer is never finalized in
        the middle of its turn (upstream's snapshot holds a reference on each node instead)."""
        while not self.flagInterruptMsgProc.is_set():
            fMoreWork = False
            with NetEventsInterface.g_msgproc_mutex:
                peers = [
                    peer
                    for nodeid in self.m_connman.GetConnectedNodeIds()
                    if (peer := self.GetPeerRef(nodeid)) is not None
                ]
                FastRandomContext().shuffle(peers)
                for peer in peers:
                    # Receive messages
                    fMoreNodeWork = self.ProcessMessages(peer.m_id, self.flagInterruptMsgProc)
                    fMoreWork |= fMoreNodeWork and not peer.m_send_buffer_full
                    if self.flagInterruptMsgProc.is_set():
                        return
                    # Send messages
                    self.SendMessages(peer.m_id)
                    if self.flagInterruptMsgProc.is_set():
                        return

            with self.mutexMsgProc:
                if not fMoreWork:
                    # Up to 100 ms on the steady clock, or until WakeMessageHandler().
                    self.condMsgProc.wait_for(
                        lambda: self.fMsgProcWake, timeout=_MSGPROC_WAIT_MILLISECONDS / 1000
                    )
                self.fMsgProcWake = False

    def WakeMessageHandler(self) -> None:
        with self.mutexMsgProc:
            self.fMsgProcWake = True
            self.condMsgProc.notify()

    def StartMessageHandler(self) -> None:
        self.flagInterruptMsgProc.clear()
        with self.mutexMsgProc:
            self.fMsgProcWake = False
        self.threadMessageHandler = TraceThread("msghand", self.ThreadMessageHandler)

    def InterruptMessageHandler(self) -> None:
        with self.mutexMsgProc:
            self.flagInterruptMsgProc.set()
            self.condMsgProc.notify_all()

    def StopMessageHandler(self) -> None:
        thread = self.threadMessageHandler
        if thread is not None and thread.is_alive():
            thread.join()
        self.threadMessageHandler = None

    def ForEachPeer(self, func: Callable[[Peer], object]) -> None:
        """Call ``func`` on every fully connected peer, in net's connection order (upstream's
        ForEachNode, which net_processing no longer calls). "Fully connected" is net's view:
        handshake done and not being disconnected for any reason, which net reports by id."""
        for nodeid in self.m_connman.GetFullyConnectedNodeIds():
            peer = self.GetPeerRef(nodeid)
            if peer is not None:
                func(peer)

    def ForPeer(self, nodeid: NodeId, func: Callable[[Peer], bool]) -> bool:
        """``func`` on the peer with this id if it is fully connected; whether it was called
        and returned True (upstream's ForNode)."""
        if nodeid not in self.m_connman.GetFullyConnectedNodeIds():
            return False
        peer = self.GetPeerRef(nodeid)
        return peer is not None and func(peer)

    def MarkSendBufferFull(self, nodeid: NodeId, full: bool) -> None:
        # No m_peer_mutex: net calls this with its send lock held, and we push messages with
        # m_peer_mutex held. A dict read and a flag write are atomic here.
        peer = self.m_peer_map.get(nodeid)
        if peer is not None:
            peer.m_send_buffer_full = full

    def GetEvictionInputs(self, nodeid: NodeId) -> PeerEvictionInputs:
        peer = self.GetPeerRef(nodeid)
        if peer is None:
            return PeerEvictionInputs()
        return PeerEvictionInputs(
            m_min_ping_time=peer.m_min_ping_time,
            m_last_block_time=peer.m_last_block_time,
            m_last_tx_time=peer.m_last_tx_time,
            fRelevantServices=peer.m_has_all_wanted_services,
            m_relay_txs=peer.m_relays_txs,
            fBloomFilter=peer.m_bloom_filter_loaded,
        )

    def GetDesirableServiceFlags(self, services: ServiceFlags) -> ServiceFlags:
        if services & NODE_NETWORK_LIMITED:  # noqa: SIM102 (upstream's nesting)
            # Limited peers are desirable when we are close to the tip.
            if self.ApproximateBestBlockDepth() < NODE_NETWORK_LIMITED_ALLOW_CONN_BLOCKS:
                return ServiceFlags(NODE_NETWORK_LIMITED | NODE_WITNESS)
        return ServiceFlags(NODE_NETWORK | NODE_WITNESS)

    def GetPeerRef(self, id: NodeId) -> Peer | None:
        """The Peer object, or None (upstream: an empty shared_ptr) if it can't be found."""
        with self.m_peer_mutex:
            return self.m_peer_map.get(id)

    def RemovePeer(self, id: NodeId) -> Peer | None:
        """Take the Peer object out of m_peer_map; None if it can't be found."""
        with self.m_peer_mutex:
            return self.m_peer_map.pop(id, None)

    def GetNodeStateStats(self, nodeid: NodeId, stats: CNodeStateStats) -> bool:
        with cs_main:
            state = self.State(nodeid)
            if state is None:
                return False
            stats.nSyncHeight = (
                state.pindexBestKnownBlock.nHeight if state.pindexBestKnownBlock else -1
            )
            stats.nCommonHeight = (
                state.pindexLastCommonBlock.nHeight if state.pindexLastCommonBlock else -1
            )
            for queue in state.vBlocksInFlight:
                stats.vHeightInFlight.append(queue.pindex.nHeight)

        peer: Peer | None = self.GetPeerRef(nodeid)
        if peer is None:
            return False
        stats.their_services = peer.m_their_services
        stats.m_starting_height = peer.m_starting_height
        # A ping that is taking unusually long shows up here before the pong arrives, so a
        # caller can see a lagging peer at once.
        ping_wait = 0
        if peer.m_ping_nonce_sent != 0 and peer.m_ping_start != 0:
            ping_wait = GetTimeMicros() - peer.m_ping_start

        tx_relay = peer.GetTxRelay()
        if tx_relay is not None:
            with tx_relay.m_bloom_filter_mutex:
                stats.m_relay_txs = tx_relay.m_relay_txs
            stats.m_fee_filter_received = tx_relay.m_fee_filter_received
        else:
            stats.m_relay_txs = False
            stats.m_fee_filter_received = 0

        stats.m_ping_wait = ping_wait
        stats.m_addr_processed = peer.m_addr_processed
        stats.m_addr_rate_limited = peer.m_addr_rate_limited
        stats.m_addr_relay_enabled = peer.m_addr_relay_enabled
        with peer.m_headers_sync_mutex:
            if peer.m_headers_sync is not None:
                stats.presync_height = peer.m_headers_sync.GetPresyncHeight()
        stats.time_offset = peer.m_time_offset
        stats.m_bip152_highbandwidth_to = peer.m_bip152_highbandwidth_to
        stats.m_bip152_highbandwidth_from = peer.m_bip152_highbandwidth_from
        with peer.m_subver_mutex:
            stats.cleanSubVer = peer.cleanSubVer
        stats.nVersion = peer.nVersion
        # Leave string empty if addrLocal invalid (not filled in yet)
        addr_local = peer.GetAddrLocal()
        stats.addrLocal = addr_local.ToStringAddrPort() if addr_local.IsValid() else ""
        stats.m_last_ping_time = peer.m_last_ping_time
        stats.m_min_ping_time = peer.m_min_ping_time
        stats.m_last_tx_time = peer.m_last_tx_time
        stats.m_last_block_time = peer.m_last_block_time

        return True

    def GetOrphanTransactions(self) -> list[OrphanInfo]:
        with self.m_tx_download_mutex:
            return self.m_txdownloadman.GetOrphanTransactions()

    def GetInfo(self) -> PeerManagerInfo:
        return PeerManagerInfo(
            median_outbound_time_offset=self.m_outbound_time_offsets.Median(),
            ignores_incoming_txs=self.m_opts.ignore_incoming_txs,
        )

    def AddToCompactExtraTransactions(self, tx: CTransaction) -> None:
        if self.m_opts.max_extra_txs <= 0:
            return
        if not self.vExtraTxnForCompact:
            self.vExtraTxnForCompact = [None] * self.m_opts.max_extra_txs
        self.vExtraTxnForCompact[self.vExtraTxnForCompactIt] = (tx.GetWitnessHash(), tx)
        self.vExtraTxnForCompactIt = (self.vExtraTxnForCompactIt + 1) % self.m_opts.max_extra_txs

    def Misbehaving(self, peer: Peer, message: str) -> None:
        """Mark a peer as misbehaving: the next SendMessages disconnects it and discourages its
        address."""
        with peer.m_misbehavior_mutex:
            message_prefixed = "" if not message else (": " + message)
            peer.m_should_discourage = True
            LogDebug(BCLog.NET, "Misbehaving: peer=%d%s\n", peer.m_id, message_prefixed)

    def MaybePunishNodeForBlock(
        self,
        nodeid: NodeId,
        state: BlockValidationState,
        via_compact_block: bool,
        message: str = "",
    ) -> None:
        """Maybe discourage a peer for an invalid block (a compact block with a valid header but
        invalid transactions is not the peer's fault, BIP 152)."""
        peer: Peer | None = self.GetPeerRef(nodeid)
        result = state.GetResult()
        if result in (BlockValidationResult.BLOCK_CONSENSUS, BlockValidationResult.BLOCK_MUTATED):
            # The node is providing invalid data:
            if not via_compact_block:
                if peer is not None:
                    self.Misbehaving(peer, message)
                return
        elif result == BlockValidationResult.BLOCK_CACHED_INVALID:
            # Discourage outbound (but not inbound) peers if on an invalid chain. Exempt HB
            # compact block peers. Manual connections are always protected from discouragement.
            if peer is not None and not via_compact_block and not peer.m_is_inbound:
                self.Misbehaving(peer, message)
                return
        elif result in (
            BlockValidationResult.BLOCK_INVALID_HEADER,
            BlockValidationResult.BLOCK_INVALID_PREV,
            # Conflicting (but not necessarily invalid) data or different policy:
            BlockValidationResult.BLOCK_MISSING_PREV,
        ):
            if peer is not None:
                self.Misbehaving(peer, message)
            return
        # BLOCK_RESULT_UNSET, BLOCK_HEADER_LOW_WORK, BLOCK_TIME_FUTURE: nothing to punish.
        if message != "":
            LogDebug(BCLog.NET, "peer=%d: %s\n", nodeid, message)

    def BlockRequestAllowed(self, pindex: CBlockIndex) -> bool:
        """Against fingerprinting: serve blocks/headers off the active chain only if at most a
        month older (in time and in equivalent work) than our best header, and fully validated."""
        if self.m_chainman.ActiveChain().Contains(pindex):
            return True
        best_header = self.m_chainman.m_best_header
        return (
            pindex.IsValid(BLOCK_VALID_SCRIPTS)
            and best_header is not None
            and best_header.GetBlockTime() - pindex.GetBlockTime() < STALE_RELAY_AGE_LIMIT
            and GetBlockProofEquivalentTime(
                best_header, pindex, best_header, self.m_chainparams.GetConsensus()
            )
            < STALE_RELAY_AGE_LIMIT
        )

    def FetchBlock(self, peer_id: NodeId, block_index: CBlockIndex) -> str | None:
        if self.m_chainman.m_blockman.LoadingBlocks():
            return "Loading blocks ..."

        # Ensure this peer exists and hasn't been disconnected
        peer: Peer | None = self.GetPeerRef(peer_id)
        if peer is None:
            return "Peer does not exist"

        # Ignore pre-segwit peers
        if not CanServeWitnesses(peer):
            return "Pre-SegWit peer"

        with cs_main:
            # Forget about all prior requests
            self.RemoveBlockRequest(block_index.GetBlockHash(), None)

            # Mark block as in-flight
            if not self.BlockRequested(peer_id, block_index):
                return "Already requested from this peer"

            # Construct message to request the block
            hash = block_index.GetBlockHash()
            invs = [CInv(MSG_BLOCK | MSG_WITNESS_FLAG, hash)]

            # Send block request message to the peer
            def request(target: Peer) -> bool:
                self.MakeAndPushMessage(
                    target, NetMsgType.GETDATA, ser_vector(invs, CInv.serialize)
                )
                return True

            success = self.ForPeer(peer_id, request)

            if not success:
                return "Peer not fully connected"

            LogDebug(BCLog.NET, "Requesting block %s from peer=%d\n", hash.ToString(), peer_id)
            return None

    def __init__(
        self,
        connman: NetManagerEvents,
        addrman: AddrMan,
        banman: BanMan | None,
        chainman: ChainstateManager,
        pool: CTxMemPool,
        warnings: Warnings,
        opts: PeerManager.Options,
    ) -> None:
        self.m_rng = FastRandomContext(opts.deterministic_rng)
        self.m_fee_filter_rounder = FeeFilterRounder(DEFAULT_MIN_RELAY_TX_FEE, self.m_rng)
        self.m_chainparams = chainman.GetParams()
        self.m_connman = connman
        self.m_addrman = addrman
        self.m_banman = banman
        self.m_chainman = chainman
        self.m_mempool = pool
        self.m_tx_download_mutex = threading.Lock()
        self.m_txdownloadman = TxDownloadManager(
            TxDownloadOptions(pool, self.m_rng, opts.deterministic_rng)
        )
        # While Erlay support is incomplete, it must be enabled explicitly via
        # -txreconciliation; it is not ported, so it stays off whatever opts.reconcile_txs says.
        self.m_txreconciliation = None
        self.m_best_height = -1
        self.m_best_block_time = 0
        self.m_stale_tip_check_time = 0
        self.m_warnings = warnings
        self.m_outbound_time_offsets = TimeOffsets(warnings)
        self.m_opts = opts
        self.m_initial_sync_finished = False
        self.m_peer_mutex = threading.Lock()
        self.m_peer_map = {}
        self.fMsgProcWake = False
        self.mutexMsgProc = threading.Lock()
        self.condMsgProc = threading.Condition(self.mutexMsgProc)
        self.flagInterruptMsgProc = threading.Event()
        self.threadMessageHandler = None
        self.m_node_states = {}
        self.m_next_inv_to_inbounds = 0
        self.nSyncStarted = 0
        self.m_last_block_inv_triggering_headers_sync = ZERO
        self.mapBlockSource = {}
        self.m_wtxid_relay_peers = 0
        self.m_outbound_peers_with_protect_from_disconnect = 0
        self.m_num_preferred_download_peers = 0
        self.m_block_stalling_timeout = BLOCK_STALLING_TIMEOUT_DEFAULT
        self.m_most_recent_block_mutex = threading.Lock()
        self.m_most_recent_block = None
        self.m_most_recent_compact_block = None
        self.m_most_recent_block_hash = ZERO
        self.m_most_recent_block_txs = None
        self.m_headers_presync_mutex = threading.Lock()
        self.m_headers_presync_stats = {}
        self.m_headers_presync_bestpeer = NodeId(-1)
        self.m_headers_presync_should_signal = False
        self.m_highest_fast_announce = 0
        self.mapBlocksInFlight = {}
        self.m_last_tip_update = 0
        self.lNodesAnnouncingHeaderAndIDs = []
        self.m_peers_downloading_from = 0
        self.vExtraTxnForCompact = []
        self.vExtraTxnForCompactIt = 0

    def StartScheduledTasks(self, scheduler: CScheduler) -> None:
        # Stale tip checking and peer eviction are on two different timers, but we don't want
        # them to get out of sync due to drift in the scheduler, so we combine them in one
        # function and schedule at the quicker (peer-eviction) timer.
        assert EXTRA_PEER_CHECK_INTERVAL < STALE_CHECK_INTERVAL
        scheduler.scheduleEvery(self.CheckForStaleTipAndEvictPeers, EXTRA_PEER_CHECK_INTERVAL)

        # schedule next run for 10-15 minutes in the future
        delta = 10 * 60 + FastRandomContext().randrange(5 * 60 * 1000) // 1000
        scheduler.scheduleFromNow(lambda: self.ReattemptInitialBroadcast(scheduler), delta)

    # -- CValidationInterface ------------------------------------------------------------------

    def ActiveTipChange(self, new_tip: CBlockIndex, is_ibd: bool) -> None:
        if not is_ibd:
            with self.m_tx_download_mutex:
                # A changed tip may make previously rejected transactions valid (timelocks):
                # reset the rejection filters.
                self.m_txdownloadman.ActiveTipChange()

    def BlockConnected(
        self, role: ChainstateRole, pblock: CBlock, pindexConnected: CBlockIndex
    ) -> None:
        """Remember the tip update time, relax a raised stalling timeout, and tell transaction
        download about the block."""
        # Update this for all chainstate roles so that we don't mistakenly see peers helping us
        # do background IBD as having a stale tip.
        self.m_last_tip_update = GetTime()

        # In case the dynamic timeout was doubled once or more, reduce it slowly back to its
        # default value
        stalling_timeout = self.m_block_stalling_timeout
        if stalling_timeout != BLOCK_STALLING_TIMEOUT_DEFAULT:
            new_timeout = max(int(stalling_timeout * 0.85), BLOCK_STALLING_TIMEOUT_DEFAULT)
            self.m_block_stalling_timeout = new_timeout
            LogDebug(BCLog.NET, "Decreased stalling timeout to %d seconds\n", new_timeout)

        # We don't maintain a mempool for the background chainstate.
        if role == ChainstateRole.BACKGROUND:
            return
        with self.m_tx_download_mutex:
            self.m_txdownloadman.BlockConnected(pblock)

    def BlockDisconnected(self, block: CBlock, pindex: CBlockIndex) -> None:
        with self.m_tx_download_mutex:
            self.m_txdownloadman.BlockDisconnected()

    def NewPoWValidBlock(self, pindex: CBlockIndex, pblock: CBlock) -> None:
        """A block building on our tip passed its header and merkle checks: cache it as the
        most recent block and announce it at once, as a compact block, to the peers that asked
        for high-bandwidth announcements and have its parent (BIP 152)."""
        pcmpctblock = CBlockHeaderAndShortTxIDs.FromBlock(pblock, FastRandomContext().rand64())

        with cs_main:
            if pindex.nHeight <= self.m_highest_fast_announce:
                return
            self.m_highest_fast_announce = pindex.nHeight

            if not DeploymentActiveAt(pindex, self.m_chainman, Consensus.DEPLOYMENT_SEGWIT):
                return

            hashBlock = pblock.GetHash()
            # Serialized at most once, on first use (upstream's deferred std::async).
            lazy_ser: list[bytes] = []

            most_recent_block_txs: dict[uint256, CTransaction] = {}
            for tx in pblock.vtx:
                most_recent_block_txs[tx.GetHash()] = tx
                most_recent_block_txs[tx.GetWitnessHash()] = tx

            with self.m_most_recent_block_mutex:
                self.m_most_recent_block_hash = hashBlock
                self.m_most_recent_block = pblock
                self.m_most_recent_compact_block = pcmpctblock
                self.m_most_recent_block_txs = most_recent_block_txs

            def announce(peer: Peer) -> None:
                if peer.GetCommonVersion() < INVALID_CB_NO_BAN_VERSION or peer.m_disconnecting:
                    return
                self.ProcessBlockAvailability(peer.m_id)
                state = self.State(peer.m_id)
                assert state is not None
                # If the peer has, or we announced to them the previous block already, but we
                # don't think they have this one, go ahead and announce it
                if (
                    state.m_requested_hb_cmpctblocks
                    and not PeerHasHeader(state, pindex)
                    and PeerHasHeader(state, pindex.pprev)
                ):
                    LogDebug(
                        BCLog.NET,
                        "%s sending header-and-ids %s to peer=%d\n",
                        "PeerManager::NewPoWValidBlock",
                        hashBlock.ToString(),
                        peer.m_id,
                    )

                    if not lazy_ser:
                        lazy_ser.append(pcmpctblock.serialize())
                    self.MakeAndPushMessage(peer, NetMsgType.CMPCTBLOCK, lazy_ser[0])
                    state.pindexBestHeaderSent = pindex

            self.ForEachPeer(announce)

    def UpdatedBlockTip(
        self, pindexNew: CBlockIndex, pindexFork: CBlockIndex | None, fInitialDownload: bool
    ) -> None:
        """Update our best height and queue the blocks not previously in the active chain for
        announcement to every peer."""
        self.SetBestBlock(pindexNew.nHeight, pindexNew.GetBlockTime())

        # Don't relay inventory during initial block download.
        if fInitialDownload:
            return

        # Find the hashes of all blocks that weren't previously in the best chain.
        vHashes: list[uint256] = []
        pindexToAnnounce: CBlockIndex | None = pindexNew
        while pindexToAnnounce is not None and pindexToAnnounce is not pindexFork:
            vHashes.append(pindexToAnnounce.GetBlockHash())
            pindexToAnnounce = pindexToAnnounce.pprev
            if len(vHashes) == MAX_BLOCKS_TO_ANNOUNCE:
                # Limit announcements in case of a huge reorganization. Rely on the peer's
                # synchronization mechanism in that case.
                break

        with self.m_peer_mutex:
            peer: Peer
            for peer in self.m_peer_map.values():
                with peer.m_block_inv_mutex:
                    peer.m_blocks_for_headers_relay.extend(reversed(vHashes))

        self.WakeMessageHandler()

    def BlockChecked(self, block: CBlock, state: BlockValidationState) -> None:
        """Punish the source of an invalid block; ask the source of a valid new tip for
        high-bandwidth compact block announcements."""
        with cs_main:
            hash = block.GetHash()
            it = self.mapBlockSource.get(hash)

            # If the block failed validation, we know where it came from and we're still
            # connected to that peer, maybe punish.
            if state.IsInvalid() and it is not None and self.State(it[0]) is not None:
                self.MaybePunishNodeForBlock(it[0], state, not it[1])
            # Valid, not in IBD, and (as no other block is in flight) currently our best block.
            elif (  # noqa: SIM102 (upstream's nesting)
                state.IsValid()
                and not self.m_chainman.IsInitialBlockDownload()
                and len(self.mapBlocksInFlight.get(hash, []))
                == sum(len(v) for v in self.mapBlocksInFlight.values())
            ):
                if it is not None:
                    self.MaybeSetPeerAsAnnouncingHeaderAndIDs(it[0])
            if it is not None:
                del self.mapBlockSource[hash]

    # -- Messages ------------------------------------------------------------------------------

    def AlreadyHaveBlock(self, block_hash: uint256) -> bool:
        return self.m_chainman.m_blockman.LookupBlockIndex(block_hash) is not None

    def SendPings(self) -> None:
        with self.m_peer_mutex:
            peer: Peer
            for peer in self.m_peer_map.values():
                peer.m_ping_queued = True

    def RelayTransaction(self, txid: uint256, wtxid: uint256) -> None:
        with self.m_peer_mutex:
            peer: Peer
            for peer in self.m_peer_map.values():
                tx_relay = peer.GetTxRelay()
                if tx_relay is None:
                    continue

                with tx_relay.m_tx_inventory_mutex:
                    # Only queue transactions for announcement once the version handshake is
                    # completed, else their arrival time could leak to a spy that can tell
                    # handshake-time announcements from the rest.
                    if tx_relay.m_next_inv_send_time == 0:
                        continue

                    hash = wtxid if peer.m_wtxid_relay else txid
                    if not tx_relay.m_tx_inventory_known_filter.contains(hash):
                        tx_relay.m_tx_inventory_to_send.add(wtxid)

    def RelayAddress(self, originator: NodeId, addr: CAddress, fReachable: bool) -> None:
        """Gossip an address to 2 peers (1 or 2 when unreachable), the same ones for 24 hours so
        their m_addr_known filters stop repeats: a peer cannot buy an address better propagation
        by sending it again."""
        if not fReachable and not addr.IsRelayable():
            return

        # Relay to a limited number of other nodes. Use deterministic randomness to send to the
        # same nodes for 24 hours at a time so the m_addr_knowns of the chosen nodes prevent
        # repeats.
        hash_addr = CServiceHash(0, 0)(addr)
        current_time = GetTime()
        # Adding address hash makes exact rotation time different per address, while preserving
        # periodicity.
        time_addr = ((current_time + hash_addr) & 0xFFFFFFFFFFFFFFFF) // (
            ROTATE_ADDR_RELAY_DEST_INTERVAL
        )
        hasher = (
            self.m_connman.GetDeterministicRandomizer(RANDOMIZER_ID_ADDRESS_RELAY)
            .Write(hash_addr)
            .Write(time_addr)
        )

        # Relay reachable addresses to 2 peers. Unreachable addresses are relayed randomly to 1
        # or 2 peers.
        nRelayNodes = 2 if (fReachable or (hasher.Finalize() & 1)) else 1

        best: list[tuple[int, Peer | None]] = [(0, None), (0, None)]
        assert nRelayNodes <= len(best)

        with self.m_peer_mutex:
            peer: Peer
            for id, peer in self.m_peer_map.items():
                if peer.m_addr_relay_enabled and id != originator and IsAddrCompatible(peer, addr):
                    hashKey = hasher.copy().Write(id).Finalize()
                    for i in range(nRelayNodes):
                        if hashKey > best[i][0]:
                            best[i + 1 : nRelayNodes] = best[i : nRelayNodes - 1]
                            best[i] = (hashKey, peer)
                            break

            for i in range(nRelayNodes):
                if best[i][0] == 0:
                    break
                best_peer: Peer | None = best[i][1]
                assert best_peer is not None
                self.PushAddress(best_peer, addr)

    def ProcessGetBlockData(self, peer: Peer, inv: CInv) -> None:
        """Serve one requested block: as a block, a merkle block (BIP37) or a compact block,
        within the anti-fingerprinting, upload-target and NODE_NETWORK_LIMITED rules."""
        with self.m_most_recent_block_mutex:
            a_recent_block = self.m_most_recent_block
            a_recent_compact_block = self.m_most_recent_compact_block

        need_activate_chain = False
        with cs_main:
            pindex = self.m_chainman.m_blockman.LookupBlockIndex(inv.hash)
            if (  # noqa: SIM102 (upstream's nesting)
                pindex is not None
            ):
                if (
                    pindex.HaveNumChainTxs()
                    and not pindex.IsValid(BLOCK_VALID_SCRIPTS)
                    and pindex.IsValid(BLOCK_VALID_TREE)
                ):
                    # We have the block and all its parents but have not validated it yet: we
                    # may be in the middle of connecting it (between AcceptBlock and
                    # ActivateBestChain). Activate the best chain before checking the relay
                    # conditions below.
                    need_activate_chain = True
        # release cs_main before calling ActivateBestChain
        if need_activate_chain:
            activate_state = BlockValidationState()
            if not self.m_chainman.ActiveChainstate().ActivateBestChain(
                activate_state, a_recent_block
            ):
                LogDebug(BCLog.NET, "failed to activate chain (%s)\n", activate_state.ToString())

        with cs_main:
            pindex = self.m_chainman.m_blockman.LookupBlockIndex(inv.hash)
            if pindex is None:
                return
            if not self.BlockRequestAllowed(pindex):
                LogDebug(
                    BCLog.NET,
                    "%s: ignoring request from peer=%i for old block that isn't in the main "
                    "chain\n",
                    "ProcessGetBlockData",
                    peer.m_id,
                )
                return
            best_header = self.m_chainman.m_best_header
            # disconnect node in case we have reached the outbound limit for serving historical
            # blocks
            if (
                self.m_connman.OutboundTargetReached(True)
                and (
                    (
                        best_header is not None
                        and best_header.GetBlockTime() - pindex.GetBlockTime()
                        > HISTORICAL_BLOCK_AGE
                    )
                    or inv.IsMsgFilteredBlk()
                )
                # nodes with the download permission may exceed target
                and not peer.HasPermission(NetPermissionFlags.Download)
            ):
                LogDebug(
                    BCLog.NET,
                    "historical block serving limit reached, %s\n",
                    peer.DisconnectMsg(common.logging.fLogIPs),
                )
                self.RequestDisconnect(peer)
                return
            tip = self.m_chainman.ActiveChain().Tip()
            assert tip is not None
            # Avoid leaking prune-height by never sending blocks below the
            # NODE_NETWORK_LIMITED threshold (with two blocks buffer for possible races)
            if not peer.HasPermission(NetPermissionFlags.NoBan) and (
                (peer.m_our_services & NODE_NETWORK_LIMITED) == NODE_NETWORK_LIMITED
                and (peer.m_our_services & NODE_NETWORK) != NODE_NETWORK
                and tip.nHeight - pindex.nHeight > NODE_NETWORK_LIMITED_MIN_BLOCKS + 2
            ):
                LogDebug(
                    BCLog.NET,
                    "Ignore block request below NODE_NETWORK_LIMITED threshold, %s\n",
                    peer.DisconnectMsg(common.logging.fLogIPs),
                )
                # disconnect node and prevent it from stalling (would otherwise wait for the
                # missing block)
                self.RequestDisconnect(peer)
                return
            # Pruned nodes may have deleted the block, so check whether it's available before
            # trying to send.
            if not (pindex.nStatus & BLOCK_HAVE_DATA):
                return
            can_direct_fetch = self.CanDirectFetch()
            block_pos = pindex.GetBlockPos()

        pblock: CBlock | None = None
        if a_recent_block is not None and a_recent_block.GetHash() == inv.hash:
            pblock = a_recent_block
        elif inv.IsMsgWitnessBlk():
            # Fast-path: serve the block directly from disk, as the network format matches the
            # format on disk
            block_data = self.m_chainman.m_blockman.ReadRawBlock(block_pos)
            if block_data is None:
                self._log_block_read_failure(peer, pindex)
                return
            self.MakeAndPushMessage(peer, NetMsgType.BLOCK, block_data)
            # Don't set pblock as we've sent the block
        else:
            # Send block from disk
            pblock = self.m_chainman.m_blockman.ReadBlock(block_pos, inv.hash)
            if pblock is None:
                self._log_block_read_failure(peer, pindex)
                return
        if pblock is not None:
            if inv.IsMsgBlk():
                self.MakeAndPushMessage(
                    peer, NetMsgType.BLOCK, pblock.serialize(with_witness=False)
                )
            elif inv.IsMsgWitnessBlk():
                self.MakeAndPushMessage(peer, NetMsgType.BLOCK, pblock.serialize())
            elif inv.IsMsgFilteredBlk():
                merkleBlock: CMerkleBlock | None = None
                vMatchedTxn: list[tuple[int, uint256]] = []
                filtered_tx_relay = peer.GetTxRelay()
                if filtered_tx_relay is not None:
                    with filtered_tx_relay.m_bloom_filter_mutex:
                        if filtered_tx_relay.m_bloom_filter is not None:
                            merkleBlock, vMatchedTxn = MakeMerkleBlock(
                                pblock, filtered_tx_relay.m_bloom_filter
                            )
                if merkleBlock is not None:
                    self.MakeAndPushMessage(peer, NetMsgType.MERKLEBLOCK, merkleBlock.serialize())
                    # The merkle block holds only hashes: also push the matched transactions,
                    # saving the peer a round trip (it has no way to request single ones).
                    # Duplicates of transactions it already saw are allowed.
                    for tx_idx, _ in vMatchedTxn:
                        self.MakeAndPushMessage(
                            peer, NetMsgType.TX, pblock.vtx[tx_idx].serialize(with_witness=False)
                        )
                # else: no response
            elif inv.IsMsgCmpctBlk():
                # A peer asking for old blocks almost surely has no mempool to match a compact
                # block against, so it gets the full block instead.
                if can_direct_fetch and pindex.nHeight >= tip.nHeight - MAX_CMPCTBLOCK_DEPTH:
                    if (
                        a_recent_compact_block is not None
                        and a_recent_compact_block.header.GetHash() == inv.hash
                    ):
                        self.MakeAndPushMessage(
                            peer, NetMsgType.CMPCTBLOCK, a_recent_compact_block.serialize()
                        )
                    else:
                        cmpctblock = CBlockHeaderAndShortTxIDs.FromBlock(
                            pblock, self.m_rng.rand64()
                        )
                        self.MakeAndPushMessage(peer, NetMsgType.CMPCTBLOCK, cmpctblock.serialize())
                else:
                    self.MakeAndPushMessage(peer, NetMsgType.BLOCK, pblock.serialize())

        with peer.m_block_inv_mutex:
            # Trigger the peer node to send a getblocks request for the next batch of inventory
            if inv.hash == peer.m_continuation_block:
                # Send immediately. This must send even if redundant, and we want it right after
                # the last block so they don't wait for other stuff first.
                vInv = [CInv(MSG_BLOCK, tip.GetBlockHash())]
                self.MakeAndPushMessage(peer, NetMsgType.INV, ser_vector(vInv, CInv.serialize))
                peer.m_continuation_block = ZERO

    def _log_block_read_failure(self, peer: Peer, pindex: CBlockIndex) -> None:
        """ProcessGetBlockData's handling of a block it could not read: log and disconnect."""
        with self.m_chainman.GetMutex():
            pruned = self.m_chainman.m_blockman.IsBlockPruned(pindex)
        if pruned:
            LogDebug(
                BCLog.NET,
                "Block was pruned before it could be read, %s\n",
                peer.DisconnectMsg(common.logging.fLogIPs),
            )
        else:
            common.logging.LogError(
                "Cannot load block from disk, %s\n", peer.DisconnectMsg(common.logging.fLogIPs)
            )
        self.RequestDisconnect(peer)

    def FindTxForGetData(self, tx_relay: Peer.TxRelay, gtxid: GenTxid) -> CTransaction | None:
        """The transaction a peer may request, or None: one in our mempool since before our
        last inv to the peer, or one of the most recent block."""
        # If a tx was in the mempool prior to the last INV for this peer, permit the request.
        txinfo = self.m_mempool.info_for_relay(gtxid, tx_relay.m_last_inv_sequence)
        if txinfo is not None:
            return txinfo.tx

        # Or it might be from the most recent block
        with self.m_most_recent_block_mutex:
            if self.m_most_recent_block_txs is not None:
                return self.m_most_recent_block_txs.get(gtxid.ToUint256())

        return None

    def ProcessGetData(self, peer: Peer, interruptMsgProc: threading.Event) -> None:
        """Serve the front of the peer's getdata queue: as many transactions as the send buffer
        takes, then at most one block. Requires peer.m_getdata_requests_mutex."""
        tx_relay = peer.GetTxRelay()

        requests = peer.m_getdata_requests
        it = 0
        vNotFound: list[CInv] = []

        # Process as many TX items from the front of the getdata queue as possible, since
        # they're common and it's efficient to batch process them.
        while it < len(requests) and requests[it].IsGenTxMsg():
            if interruptMsgProc.is_set():
                return
            # The send buffer provides backpressure. If there's no space in the buffer, pause
            # processing until the next call.
            if peer.m_send_buffer_full:
                break

            inv = requests[it]
            it += 1

            if tx_relay is None:
                # Ignore GETDATA requests for transactions from block-relay-only peers and peers
                # that asked us not to announce transactions.
                continue

            tx = self.FindTxForGetData(tx_relay, ToGenTxid(inv))
            if tx is not None:
                # WTX and WITNESS_TX imply we serialize with witness
                self.MakeAndPushMessage(
                    peer, NetMsgType.TX, tx.serialize(with_witness=not inv.IsMsgTx())
                )
                self.m_mempool.RemoveUnbroadcastTx(tx.GetHash())
            else:
                vNotFound.append(inv)

        # Only process one BLOCK item per call, since they're uncommon and can be expensive to
        # process.
        if it < len(requests) and not peer.m_send_buffer_full:
            inv = requests[it]
            it += 1
            if inv.IsGenBlkMsg():
                self.ProcessGetBlockData(peer, inv)
            # else: an unknown type at the front is dropped, and the queue processed on the next
            # call (never stalling on it: https://bitcoincore.org/en/2024/07/03/disclose-getdata-cpu).

        for _ in range(it):
            requests.popleft()

        if vNotFound:
            # Let the peer know that we didn't find what it asked for, so it doesn't have to
            # wait around forever (SPV clients walking dependencies, and nodes that may ask
            # another peer, rely on it).
            self.MakeAndPushMessage(
                peer, NetMsgType.NOTFOUND, ser_vector(vNotFound, CInv.serialize)
            )

    def GetFetchFlags(self, peer: Peer) -> int:
        nFetchFlags = 0
        if CanServeWitnesses(peer):
            nFetchFlags |= MSG_WITNESS_FLAG
        return nFetchFlags

    def SendBlockTransactions(
        self, peer: Peer, block: CBlock, req: BlockTransactionsRequest
    ) -> None:
        """Answer a getblocktxn with the requested transactions of ``block``; an index out of
        range is misbehaviour."""
        txn: list[CTransaction] = []
        tx_requested_size = 0
        for index in req.indexes:
            if index >= len(block.vtx):
                self.Misbehaving(peer, "getblocktxn with out-of-bounds tx indices")
                return
            txn.append(block.vtx[index])
            tx_requested_size += block.vtx[index].GetTotalSize()
        resp = BlockTransactions(req.blockhash, txn)

        LogDebug(
            BCLog.CMPCTBLOCK,
            "Peer %d sent us a GETBLOCKTXN for block %s, sending a BLOCKTXN with %u txns. (%u "
            "bytes)\n",
            peer.m_id,
            block.GetHash().ToString(),
            len(resp.txn),
            tx_requested_size,
        )
        self.MakeAndPushMessage(peer, NetMsgType.BLOCKTXN, resp.serialize())

    def CheckHeadersPoW(
        self, headers: list[CBlockHeader], consensusParams: Consensus.Params, peer: Peer
    ) -> bool:
        """Whether the headers have the proof of work they claim and connect to each other;
        misbehaving if not."""
        # Do these headers have proof-of-work matching what's claimed?
        if not HasValidProofOfWork(headers, consensusParams):
            self.Misbehaving(peer, "header with invalid proof of work")
            return False

        # Are these headers connected to each other?
        if not self.CheckHeadersAreContinuous(headers):
            self.Misbehaving(peer, "non-continuous headers sequence")
            return False
        return True

    def GetAntiDoSWorkThreshold(self) -> int:
        """The work a headers chain must have before we store it: our tip's work less a
        144-block buffer (so forks near the tip pass), and at least the minimum chain work."""
        near_chaintip_work = 0
        with cs_main:
            tip = self.m_chainman.ActiveChain().Tip()
            if tip is not None:
                # Use a 144 block buffer, so that we'll accept headers that fork from near our
                # tip.
                near_chaintip_work = tip.nChainWork - min(144 * GetBlockProof(tip), tip.nChainWork)
        return max(near_chaintip_work, self.m_chainman.MinimumChainWork())

    def HandleUnconnectingHeaders(self, peer: Peer, headers: list[CBlockHeader]) -> None:
        """Headers whose first one does not connect may be a BIP 130 announcement after blocks
        we missed: ask for the headers in between."""
        # Try to fill in the missing headers.
        with cs_main:
            best_header = self.m_chainman.m_best_header
        assert best_header is not None
        if self.MaybeSendGetHeaders(GetLocator(best_header), peer):
            LogDebug(
                BCLog.NET,
                "received header %s: missing prev block %s, sending getheaders (%d) to end "
                "(peer=%d)\n",
                headers[0].GetHash().ToString(),
                headers[0].hashPrevBlock.ToString(),
                best_header.nHeight,
                peer.m_id,
            )

        # Set hashLastUnknownBlock for this peer, so that if we eventually get the headers -
        # even from a different peer - we can use this peer to download.
        with cs_main:
            self.UpdateBlockAvailability(peer.m_id, headers[-1].GetHash())

    def CheckHeadersAreContinuous(self, headers: list[CBlockHeader]) -> bool:
        """Whether the headers connect to each other."""
        hashLastBlock = ZERO
        for header in headers:
            if not hashLastBlock.IsNull() and header.hashPrevBlock != hashLastBlock:
                return False
            hashLastBlock = header.GetHash()
        return True

    def IsContinuationOfLowWorkHeadersSync(self, peer: Peer, headers: list[CBlockHeader]) -> bool:
        """Feed the headers to a low-work headers sync under way with this peer: whether they
        were a valid continuation. ``headers`` is replaced by the headers ready for full
        validation (upstream swaps the vector). Requires peer.m_headers_sync_mutex."""
        if peer.m_headers_sync is not None:
            result = peer.m_headers_sync.ProcessNextHeaders(
                headers, len(headers) == self.m_opts.max_headers_result
            )
            # If it is a valid continuation, we should treat the existing getheaders request as
            # responded to.
            if result.success:
                peer.m_last_getheaders_timestamp = 0
            if result.request_more:
                locator = peer.m_headers_sync.NextHeadersRequestLocator()
                # We were instructed to ask for a locator: it is not empty, and processing was
                # successful (Assume upstream).
                if locator.vHave:
                    # This cannot fail: we just cleared the last getheaders timestamp.
                    self.MaybeSendGetHeaders(locator, peer)
                    LogDebug(
                        BCLog.NET,
                        "more getheaders (from %s) to peer=%d\n",
                        locator.vHave[0].ToString(),
                        peer.m_id,
                    )

            if peer.m_headers_sync.GetState() == HeadersSyncState.State.FINAL:
                peer.m_headers_sync = None

                # Delete this peer's entry in m_headers_presync_stats. If this is
                # m_headers_presync_bestpeer, it will be replaced later by the next peer that
                # triggers the else branch below.
                with self.m_headers_presync_mutex:
                    self.m_headers_presync_stats.pop(peer.m_id, None)
            else:
                # Build statistics for this peer's sync.
                presync: tuple[int, int] | None = None
                if peer.m_headers_sync.GetState() == HeadersSyncState.State.PRESYNC:
                    presync = (
                        peer.m_headers_sync.GetPresyncHeight(),
                        peer.m_headers_sync.GetPresyncTime(),
                    )
                stats: HeadersPresyncStats = (peer.m_headers_sync.GetPresyncWork(), presync)

                # Update statistics in stats.
                with self.m_headers_presync_mutex:
                    self.m_headers_presync_stats[peer.m_id] = stats
                    best = self.m_headers_presync_stats.get(self.m_headers_presync_bestpeer)
                    best_updated = False
                    if best is None:
                        # The cached best peer is outdated: find the best of the remaining ones
                        # (including the one just updated).
                        peer_best = NodeId(-1)
                        stat_best: HeadersPresyncStats | None = None
                        for stat_peer, stat in self.m_headers_presync_stats.items():
                            if stat_best is None or _presync_key(stat) > _presync_key(stat_best):
                                peer_best = stat_peer
                                stat_best = stat
                        self.m_headers_presync_bestpeer = peer_best
                        best_updated = peer_best == peer.m_id
                    elif self.m_headers_presync_bestpeer == peer.m_id or _presync_key(
                        stats
                    ) > _presync_key(best):
                        # pfrom was and remains the best peer, or pfrom just became best.
                        self.m_headers_presync_bestpeer = peer.m_id
                        best_updated = True
                    if best_updated and stats[1] is not None:
                        # If the best peer updated, and it is in its first phase, signal.
                        self.m_headers_presync_should_signal = True

            if result.success:
                # We only overwrite the headers passed in if processing was successful.
                headers[:] = result.pow_validated_headers

            return result.success
        # Either we didn't have a sync in progress, or something went wrong processing these
        # headers, or we are returning headers to the caller to process.
        return False

    def TryLowWorkHeadersSync(
        self,
        peer: Peer,
        chain_start_header: CBlockIndex,
        headers: list[CBlockHeader],
    ) -> bool:
        """If the headers' chain has less work than our anti-DoS threshold, don't store them:
        start a low-work headers sync when the message was full, else ignore the chain. True
        (and ``headers`` emptied) in both cases; False to process the headers normally."""
        # Calculate the claimed total work on this chain.
        total_work = chain_start_header.nChainWork + CalculateClaimedHeadersWork(headers)

        # Our dynamic anti-DoS threshold (minimum work required on a headers chain before we'll
        # store it)
        minimum_chain_work = self.GetAntiDoSWorkThreshold()

        # Avoid DoS via low-difficulty-headers by only processing if the headers are part of a
        # chain with sufficient work.
        if total_work < minimum_chain_work:
            # Only try to sync with this peer if their headers message was full; otherwise they
            # don't have more headers after this so no point in trying to sync their
            # too-little-work chain.
            if len(headers) == self.m_opts.max_headers_result:
                # (Starting at the first header is fine even if we know it: ProcessHeadersMessage
                # already skips this when all the headers are known.)
                with peer.m_headers_sync_mutex:
                    peer.m_headers_sync = HeadersSyncState(
                        peer.m_id,
                        self.m_chainparams.GetConsensus(),
                        chain_start_header,
                        minimum_chain_work,
                    )

                    # Process the headers with the new sync as normal; failures are handled
                    # inside IsContinuationOfLowWorkHeadersSync.
                    self.IsContinuationOfLowWorkHeadersSync(peer, headers)
            else:
                LogDebug(
                    BCLog.NET,
                    "Ignoring low-work chain (height=%u) from peer=%d\n",
                    chain_start_header.nHeight + len(headers),
                    peer.m_id,
                )

            # The peer has not yet given us a chain that meets our work threshold, so we want to
            # prevent further processing of the headers in any case.
            headers.clear()
            return True

        return False

    def IsAncestorOfBestHeaderOrTip(self, header: CBlockIndex | None) -> bool:
        """Whether the header is an ancestor of m_chainman.m_best_header or of our tip."""
        if header is None:
            return False
        best_header = self.m_chainman.m_best_header
        if best_header is not None and header is best_header.GetAncestor(header.nHeight):
            return True
        return bool(self.m_chainman.ActiveChain().Contains(header))

    def MaybeSendGetHeaders(self, locator: CBlockLocator, peer: Peer) -> bool:
        """Send a getheaders with ``locator``, unless one went out less than
        HEADERS_RESPONSE_TIME ago. True if it was sent."""
        current_time = NodeClock.now()

        # Only allow a new getheaders message to go out if we don't have a recent one already
        # in-flight
        if current_time - peer.m_last_getheaders_timestamp > HEADERS_RESPONSE_TIME * 1_000_000:
            self.MakeAndPushMessage(
                peer, NetMsgType.GETHEADERS, locator.serialize(), ZERO.serialize()
            )
            peer.m_last_getheaders_timestamp = current_time
            return True
        return False

    def HeadersDirectFetchBlocks(self, peer: Peer, last_header: CBlockIndex) -> None:
        """Given a new headers tip with at least our tip's work, request the blocks toward it
        when we are close to synced (CanDirectFetch)."""
        with cs_main:
            nodestate = self.State(peer.m_id)
            assert nodestate is not None
            tip = self.m_chainman.ActiveChain().Tip()
            assert tip is not None

            if (
                self.CanDirectFetch()
                and last_header.IsValid(BLOCK_VALID_TREE)
                and tip.nChainWork <= last_header.nChainWork
            ):
                vToFetch: list[CBlockIndex] = []
                pindexWalk: CBlockIndex | None = last_header
                # Calculate all the blocks we'd need to switch to last_header, up to a limit.
                while (
                    pindexWalk is not None
                    and not self.m_chainman.ActiveChain().Contains(pindexWalk)
                    and len(vToFetch) <= MAX_BLOCKS_IN_TRANSIT_PER_PEER
                ):
                    if (
                        not (pindexWalk.nStatus & BLOCK_HAVE_DATA)
                        and not self.IsBlockRequested(pindexWalk.GetBlockHash())
                        and (
                            not DeploymentActiveAt(
                                pindexWalk, self.m_chainman, Consensus.DEPLOYMENT_SEGWIT
                            )
                            or CanServeWitnesses(peer)
                        )
                    ):
                        # We don't have this block, and it's not yet in flight.
                        vToFetch.append(pindexWalk)
                    pindexWalk = pindexWalk.pprev
                # If pindexWalk still isn't on our main chain, we're looking at a very large
                # reorg at a time we think we're close to caught up to the main chain -- this
                # shouldn't really happen. Bail out on the direct fetch and rely on parallel
                # download instead.
                if pindexWalk is None or not self.m_chainman.ActiveChain().Contains(pindexWalk):
                    LogDebug(
                        BCLog.NET,
                        "Large reorg, won't direct fetch to %s (%d)\n",
                        last_header.GetBlockHash().ToString(),
                        last_header.nHeight,
                    )
                else:
                    vGetData: list[CInv] = []
                    # Download as much as possible, from earliest to latest.
                    for pindex in reversed(vToFetch):
                        if len(nodestate.vBlocksInFlight) >= MAX_BLOCKS_IN_TRANSIT_PER_PEER:
                            # Can't download any more from this peer
                            break
                        nFetchFlags = self.GetFetchFlags(peer)
                        vGetData.append(CInv(MSG_BLOCK | nFetchFlags, pindex.GetBlockHash()))
                        self.BlockRequested(peer.m_id, pindex)
                        LogDebug(
                            BCLog.NET,
                            "Requesting block %s from  peer=%d\n",
                            pindex.GetBlockHash().ToString(),
                            peer.m_id,
                        )
                    if len(vGetData) > 1:
                        LogDebug(
                            BCLog.NET,
                            "Downloading blocks toward %s (%d) via headers direct fetch\n",
                            last_header.GetBlockHash().ToString(),
                            last_header.nHeight,
                        )
                    if vGetData:
                        assert last_header.pprev is not None
                        if (
                            not self.m_opts.ignore_incoming_txs
                            and nodestate.m_provides_cmpctblocks
                            and len(vGetData) == 1
                            and len(self.mapBlocksInFlight) == 1
                            and last_header.pprev.IsValid(BLOCK_VALID_CHAIN)
                        ):
                            # In any case, we want to download using a compact block, not a
                            # regular one
                            vGetData[0] = CInv(MSG_CMPCT_BLOCK, vGetData[0].hash)
                        self.MakeAndPushMessage(
                            peer, NetMsgType.GETDATA, ser_vector(vGetData, CInv.serialize)
                        )

    def UpdatePeerStateForReceivedHeaders(
        self,
        peer: Peer,
        last_header: CBlockIndex,
        received_new_header: bool,
        may_have_more_headers: bool,
    ) -> None:
        """After a headers message ending in ``last_header``: the peer's best known block, its
        last announcement time, disconnection of useless outbound peers during IBD, and
        protection of good outbound peers from eviction."""
        with cs_main:
            nodestate = self.State(peer.m_id)
            assert nodestate is not None
            tip = self.m_chainman.ActiveChain().Tip()
            assert tip is not None

            self.UpdateBlockAvailability(peer.m_id, last_header.GetBlockHash())

            # From here, pindexBestKnownBlock should be guaranteed to be non-null, because it is
            # set in UpdateBlockAvailability. Some None checks are still present, however, as
            # belt-and-suspenders.

            if received_new_header and last_header.nChainWork > tip.nChainWork:
                nodestate.m_last_block_announcement = GetTime()

            # If we're in IBD, we want outbound peers that will serve us a useful chain.
            # Disconnect peers that are on chains with insufficient work.
            if self.m_chainman.IsInitialBlockDownload() and not may_have_more_headers:  # noqa: SIM102
                # If the peer has no more headers to give us, then we know we have their tip.
                if (  # noqa: SIM102 (upstream's nesting)
                    nodestate.pindexBestKnownBlock is not None
                    and nodestate.pindexBestKnownBlock.nChainWork
                    < self.m_chainman.MinimumChainWork()
                ):
                    # This peer has too little work on their headers chain to help us sync --
                    # disconnect if it is an outbound disconnection candidate. (Compared with
                    # the minimum chain work, not our tip: we don't download blocks before a
                    # headers chain has that much work, as an anti-DoS measure.)
                    if peer.IsOutboundOrBlockRelayConn():
                        LogInfo(
                            "outbound peer headers chain has insufficient work, %s\n",
                            peer.DisconnectMsg(common.logging.fLogIPs),
                        )
                        self.RequestDisconnect(peer)

            # If this is an outbound full-relay peer, check to see if we should protect it from
            # the bad/lagging chain logic. Outbound block-relay peers are excluded from this
            # protection, and thus always subject to eviction under the bad/lagging chain logic.
            if (  # noqa: SIM102 (upstream's nesting)
                not peer.m_disconnecting
                and peer.IsFullOutboundConn()
                and nodestate.pindexBestKnownBlock is not None
            ):
                if (
                    self.m_outbound_peers_with_protect_from_disconnect
                    < MAX_OUTBOUND_PEERS_TO_PROTECT_FROM_DISCONNECT
                    and nodestate.pindexBestKnownBlock.nChainWork >= tip.nChainWork
                    and not nodestate.m_chain_sync.m_protect
                ):
                    LogDebug(BCLog.NET, "Protecting outbound peer=%d from eviction\n", peer.m_id)
                    nodestate.m_chain_sync.m_protect = True
                    self.m_outbound_peers_with_protect_from_disconnect += 1

    def ProcessHeadersMessage(
        self, peer: Peer, headers: list[CBlockHeader], via_compact_block: bool
    ) -> None:
        """Process a headers message (or a compact block's header): anti-DoS checks and the
        low-work headers sync, then validation, then peer state and direct fetch. ``headers``
        is taken over (upstream moves it in) and may be changed."""
        nCount = len(headers)

        if nCount == 0:
            # Nothing interesting. Stop asking this peers for more headers. Mid headers sync,
            # an empty headers message suggests that the peer suddenly has nothing to give us
            # (perhaps it reorged to our chain): clear download state for this peer.
            with peer.m_headers_sync_mutex:
                if peer.m_headers_sync is not None:
                    peer.m_headers_sync = None
                    with self.m_headers_presync_mutex:
                        self.m_headers_presync_stats.pop(peer.m_id, None)
            # A headers message with no headers cannot be an announcement, so assume it is a
            # response to our last getheaders request, if there is one.
            peer.m_last_getheaders_timestamp = 0
            return

        # Before we do any processing, make sure these pass basic sanity checks. We'll rely on
        # headers having valid proof-of-work further down, as an anti-DoS criteria (note: this
        # check is required before passing any headers into HeadersSyncState).
        if not self.CheckHeadersPoW(headers, self.m_chainparams.GetConsensus(), peer):
            # Misbehaving() calls are handled within CheckHeadersPoW(). (Even a header announced
            # via compact block must itself be valid, so this can always be punished.)
            return

        pindexLast: list[CBlockIndex | None] = [None]

        # already_validated_work becomes true when these headers were processed as part of a
        # low-work headers sync in progress (PRESYNC or REDOWNLOAD): headers it returns to us
        # (during REDOWNLOAD) need no further anti-DoS checks.
        already_validated_work = False

        # If we're in the middle of headers sync, let it do its magic.
        have_headers_sync = False
        with peer.m_headers_sync_mutex:
            already_validated_work = self.IsContinuationOfLowWorkHeadersSync(peer, headers)

            # The headers we passed in may have been untouched (no headers sync in progress, or
            # a failure), erased (processed, nothing more to do, e.g. still in PRESYNC) or
            # replaced with headers ready for validation (REDOWNLOAD). So just check whether we
            # still have headers that we need to process, or not.
            if not headers:
                return

            have_headers_sync = peer.m_headers_sync is not None

        # Do these headers connect to something in our block index?
        with cs_main:
            chain_start_header = self.m_chainman.m_blockman.LookupBlockIndex(
                headers[0].hashPrevBlock
            )
        headers_connect_blockindex = chain_start_header is not None

        if not headers_connect_blockindex:
            # This could be a BIP 130 block announcement, use special logic for handling headers
            # that don't connect, as this could be benign.
            self.HandleUnconnectingHeaders(peer, headers)
            return
        assert chain_start_header is not None

        # If headers connect, assume that this is in response to any outstanding getheaders
        # request we may have sent, and clear out the time of our last request. Non-connecting
        # headers cannot be a response to a getheaders request.
        peer.m_last_getheaders_timestamp = 0

        # If the headers we received are already in memory and an ancestor of m_best_header or
        # our tip, skip anti-DoS checks. These headers will not use any more memory (and we are
        # not leaking information that could be used to fingerprint us).
        with cs_main:
            last_received_header = self.m_chainman.m_blockman.LookupBlockIndex(
                headers[-1].GetHash()
            )
            if self.IsAncestorOfBestHeaderOrTip(last_received_header):
                already_validated_work = True

        # If our peer has NetPermissionFlags::NoBan privileges, then bypass our anti-DoS logic
        # (this saves bandwidth when we connect to a trusted peer on startup).
        if peer.HasPermission(NetPermissionFlags.NoBan):
            already_validated_work = True

        # At this point, the headers connect to something in our block index. Do anti-DoS
        # checks to determine if we should process or store for later processing.
        if not already_validated_work and self.TryLowWorkHeadersSync(
            peer, chain_start_header, headers
        ):
            # If we successfully started a low-work headers sync, then there should be no
            # headers to process any further.
            assert not headers  # Assume upstream
            return

        # At this point, we have a set of headers with sufficient work on them which can be
        # processed.

        # If we don't have the last header, then this peer will have given us something new
        # (if these headers are valid).
        received_new_header = last_received_header is None

        # Now process all the headers.
        state = BlockValidationState()
        processed = self.m_chainman.ProcessNewBlockHeaders(headers, True, state, pindexLast)
        if not processed and state.IsInvalid():
            self.MaybePunishNodeForBlock(
                peer.m_id, state, via_compact_block, "invalid header received"
            )
            return
        last = pindexLast[0]
        assert last is not None

        if processed and received_new_header:
            self.LogBlockHeader(last, peer, False)

        # Consider fetching more headers if we are not using our headers-sync mechanism.
        if nCount == self.m_opts.max_headers_result and not have_headers_sync:  # noqa: SIM102
            # Headers message had its maximum size; the peer may have more headers.
            if self.MaybeSendGetHeaders(GetLocator(last), peer):
                LogDebug(
                    BCLog.NET,
                    "more getheaders (%d) to end to peer=%d (startheight:%d)\n",
                    last.nHeight,
                    peer.m_id,
                    peer.m_starting_height,
                )

        self.UpdatePeerStateForReceivedHeaders(
            peer, last, received_new_header, nCount == self.m_opts.max_headers_result
        )

        # Consider immediately downloading blocks.
        self.HeadersDirectFetchBlocks(peer, last)

    def ProcessInvalidTx(
        self,
        nodeid: NodeId,
        ptx: CTransaction,
        state: TxValidationState,
        first_time_failure: bool,
    ) -> PackageToValidate | None:
        """Handle a transaction the mempool rejected: let transaction download decide about
        orphans and reject filters, keep it for compact blocks, and note its parents as known
        to the peer. Returns a package to try, if one was found. Requires
        m_tx_download_mutex."""
        peer: Peer | None = self.GetPeerRef(nodeid)

        LogDebug(
            BCLog.MEMPOOLREJ,
            "%s (wtxid=%s) from peer=%d was not accepted: %s\n",
            ptx.GetHash().ToString(),
            ptx.GetWitnessHash().ToString(),
            nodeid,
            state.ToString(),
        )

        todo = self.m_txdownloadman.MempoolRejectedTx(ptx, state, nodeid, first_time_failure)

        # RecursiveDynamicUsage approximated by the serialized size.
        if todo.m_should_add_extra_compact_tx and ptx.GetTotalSize() < 100000:
            self.AddToCompactExtraTransactions(ptx)
        for parent_txid in todo.m_unique_parents:
            if peer is not None:
                AddKnownTx(peer, parent_txid)

        return todo.m_package_to_validate

    def ProcessValidTx(
        self, nodeid: NodeId, tx: CTransaction, replaced_transactions: list[CTransaction]
    ) -> None:
        """Handle a transaction the mempool accepted: relay it and wake its orphans. Requires
        m_tx_download_mutex."""
        self.m_txdownloadman.MempoolAcceptedTx(tx)

        LogDebug(
            BCLog.MEMPOOL,
            "AcceptToMemoryPool: peer=%d: accepted %s (wtxid=%s) (poolsz %u txn, %u kB)\n",
            nodeid,
            tx.GetHash().ToString(),
            tx.GetWitnessHash().ToString(),
            self.m_mempool.size(),
            self.m_mempool.DynamicMemoryUsage() // 1000,
        )

        self.RelayTransaction(tx.GetHash(), tx.GetWitnessHash())

        for removedTx in replaced_transactions:
            self.AddToCompactExtraTransactions(removedTx)

    def ProcessPackageResult(
        self, package_to_validate: PackageToValidate, package_result: PackageMempoolAcceptResult
    ) -> None:
        """Handle the result of package validation, transaction by transaction. Requires
        m_tx_download_mutex."""
        package = package_to_validate.m_txns
        senders = package_to_validate.m_senders

        if package_result.IsInvalid():
            self.m_txdownloadman.MempoolRejectedPackage(package)
        # We currently only expect to process 1-parent-1-child packages.
        if len(package) != 2:
            return

        # Iterate backwards to erase in-package descendants from the orphanage before they
        # become relevant in AddChildrenToWorkSet.
        for tx, nodeid in zip(reversed(package), reversed(senders), strict=True):
            # It is not guaranteed that a result exists for every transaction.
            tx_result = package_result.m_tx_results.get(tx.GetWitnessHash())
            if tx_result is None:
                continue
            ResultType = MempoolAcceptResult.ResultType
            if tx_result.m_result_type == ResultType.VALID:
                self.ProcessValidTx(nodeid, tx, tx_result.m_replaced_transactions)
            elif tx_result.m_result_type in (ResultType.INVALID, ResultType.DIFFERENT_WITNESS):
                # Not added to vExtraTxnForCompact: that happened when it entered the orphanage
                # or was rejected for TX_RECONSIDERABLE.
                self.ProcessInvalidTx(nodeid, tx, tx_result.m_state, False)
            # MEMPOOL_ENTRY: AlreadyHaveTx() should be catching transactions in the mempool.

    def ProcessOrphanTx(self, peer: Peer) -> bool:
        """Reconsider orphans from the peer's work set until one is decided (accepted, or
        invalid for a reason other than missing inputs). Whether one was. One at a time: the
        unbounded loop this used to be let a peer stall the node
        (https://bitcoincore.org/en/2024/07/03/disclose-orphan-dos)."""
        with cs_main, self.m_tx_download_mutex:
            while (porphanTx := self.m_txdownloadman.GetTxToReconsider(peer.m_id)) is not None:
                result = self.m_chainman.ProcessTransaction(porphanTx)
                state = result.m_state
                orphanHash = porphanTx.GetHash()
                orphan_wtxid = porphanTx.GetWitnessHash()

                if result.m_result_type == MempoolAcceptResult.ResultType.VALID:
                    LogDebug(
                        BCLog.TXPACKAGES,
                        "   accepted orphan tx %s (wtxid=%s)\n",
                        orphanHash.ToString(),
                        orphan_wtxid.ToString(),
                    )
                    self.ProcessValidTx(peer.m_id, porphanTx, result.m_replaced_transactions)
                    return True
                elif state.GetResult() != TxValidationResult.TX_MISSING_INPUTS:
                    LogDebug(
                        BCLog.TXPACKAGES,
                        "   invalid orphan tx %s (wtxid=%s) from peer=%d. %s\n",
                        orphanHash.ToString(),
                        orphan_wtxid.ToString(),
                        peer.m_id,
                        state.ToString(),
                    )

                    if state.IsInvalid() and state.GetResult() not in (
                        TxValidationResult.TX_UNKNOWN,
                        TxValidationResult.TX_NO_MEMPOOL,
                        TxValidationResult.TX_RESULT_UNSET,
                    ):
                        self.ProcessInvalidTx(peer.m_id, porphanTx, state, False)
                    return True

        return False

    def _validate_package(self, package_to_validate: PackageToValidate) -> None:
        """What ProcessMessage's TX handler does with a package to validate (written out twice
        upstream): submit it, log the outcome, and process the result."""
        package_result = ProcessNewPackage(
            self.m_chainman.ActiveChainstate(),
            self.m_mempool,
            package_to_validate.m_txns,
            False,
            None,
        )
        LogDebug(
            BCLog.TXPACKAGES,
            "package evaluation for %s: %s\n",
            package_to_validate.ToString(),
            "package rejected" if package_result.IsInvalid() else "package accepted",
        )
        self.ProcessPackageResult(package_to_validate, package_result)

    def PrepareBlockFilterRequest(
        self,
        peer: Peer,
        filter_type: int,
        start_height: int,
        stop_hash: uint256,
        max_height_diff: int,
    ) -> tuple[CBlockIndex, object] | None:
        """Validate a BIP157 request; disconnects on a bad one. Returns (stop_index,
        filter_index), upstream's out-parameters, or None if the request can't be served."""
        supported_filter_type = filter_type == BLOCK_FILTER_TYPE_BASIC and bool(
            peer.m_our_services & NODE_COMPACT_FILTERS
        )
        if not supported_filter_type:
            LogDebug(
                BCLog.NET,
                "peer requested unsupported block filter type: %d, %s\n",
                filter_type,
                peer.DisconnectMsg(common.logging.fLogIPs),
            )
            self.RequestDisconnect(peer)
            return None

        with cs_main:
            stop_index = self.m_chainman.m_blockman.LookupBlockIndex(stop_hash)

            # Check that the stop block exists and the peer would be allowed to fetch it.
            if stop_index is None or not self.BlockRequestAllowed(stop_index):
                LogDebug(
                    BCLog.NET,
                    "peer requested invalid block hash: %s, %s\n",
                    stop_hash.ToString(),
                    peer.DisconnectMsg(common.logging.fLogIPs),
                )
                self.RequestDisconnect(peer)
                return None

        stop_height = stop_index.nHeight
        if start_height > stop_height:
            LogDebug(
                BCLog.NET,
                "peer sent invalid getcfilters/getcfheaders with start height %d and stop height "
                "%d, %s\n",
                start_height,
                stop_height,
                peer.DisconnectMsg(common.logging.fLogIPs),
            )
            self.RequestDisconnect(peer)
            return None
        if stop_height - start_height >= max_height_diff:
            LogDebug(
                BCLog.NET,
                "peer requested too many cfilters/cfheaders: %d / %d, %s\n",
                stop_height - start_height + 1,
                max_height_diff,
                peer.DisconnectMsg(common.logging.fLogIPs),
            )
            self.RequestDisconnect(peer)
            return None

        # GetBlockFilterIndex: no block filter index is ported (-blockfilterindex), so there is
        # never one to serve from.
        LogDebug(BCLog.NET, "Filter index for supported type %s not found\n", "basic")
        return None

    def ProcessGetCFilters(self, peer: Peer, vRecv: DataStream) -> None:
        """Handle a getcfilters request; may disconnect the peer for a bad one."""
        filter_type_ser = vRecv.read_u8()
        start_height = vRecv.read_u32()
        stop_hash = uint256.deserialize(vRecv)

        if (
            self.PrepareBlockFilterRequest(
                peer, filter_type_ser, start_height, stop_hash, MAX_GETCFILTERS_SIZE
            )
            is None
        ):
            return
        # Serving filters needs a block filter index, which is not ported.

    def ProcessGetCFHeaders(self, peer: Peer, vRecv: DataStream) -> None:
        """Handle a getcfheaders request; may disconnect the peer for a bad one."""
        filter_type_ser = vRecv.read_u8()
        start_height = vRecv.read_u32()
        stop_hash = uint256.deserialize(vRecv)

        if (
            self.PrepareBlockFilterRequest(
                peer, filter_type_ser, start_height, stop_hash, MAX_GETCFHEADERS_SIZE
            )
            is None
        ):
            return
        # Serving filter headers needs a block filter index, which is not ported.

    def ProcessGetCFCheckPt(self, peer: Peer, vRecv: DataStream) -> None:
        """Handle a getcfcheckpt request; may disconnect the peer for a bad one."""
        filter_type_ser = vRecv.read_u8()
        stop_hash = uint256.deserialize(vRecv)

        if (
            self.PrepareBlockFilterRequest(
                peer,
                filter_type_ser,
                0,
                stop_hash,
                0xFFFFFFFF,  # numeric_limits<uint32_t>
            )
            is None
        ):
            return
        # Serving checkpoints needs a block filter index, which is not ported.

    def ProcessBlock(
        self, peer: Peer, block: CBlock, force_processing: bool, min_pow_checked: bool
    ) -> None:
        """Hand a block to validation; for a new block, note the time on the peer and forget
        every request for it (it may have come from another peer than we asked)."""
        _, new_block = self.m_chainman.ProcessNewBlock(block, force_processing, min_pow_checked)
        if new_block:
            peer.m_last_block_time = GetTime()
            # In case this block came from a different peer than we requested from, we can
            # erase the block request now anyway (as we just stored this block to disk).
            with cs_main:
                self.RemoveBlockRequest(block.GetHash(), None)
        else:
            with cs_main:
                self.mapBlockSource.pop(block.GetHash(), None)

    def ProcessCompactBlockTxns(self, peer: Peer, block_transactions: BlockTransactions) -> None:
        """Complete a compact block we asked this peer about with the transactions of its
        blocktxn; on a short id collision fall back to requesting the full block."""
        pblock = CBlock()
        fBlockRead = False
        with cs_main:
            range_flight = self.mapBlocksInFlight.get(block_transactions.blockhash, [])
            already_in_flight = len(range_flight)
            requested_block_from_this_peer = False

            # The multimap keeps requests in order: ours is either absent or first in line.
            first_in_flight = already_in_flight == 0 or range_flight[0][0] == peer.m_id

            queued: QueuedBlock | None = None
            for node_id, block_it in range_flight:
                if node_id == peer.m_id and block_it.partialBlock is not None:
                    requested_block_from_this_peer = True
                    queued = block_it
                    break

            if not requested_block_from_this_peer:
                LogDebug(
                    BCLog.NET,
                    "Peer %d sent us block transactions for block we weren't expecting\n",
                    peer.m_id,
                )
                return
            assert queued is not None and queued.partialBlock is not None

            partialBlock = queued.partialBlock

            if partialBlock.header.IsNull():
                # A previous FillBlock wiped the header but left the PartiallyDownloadedBlock
                # (no RemoveBlockRequest): don't look the null header up.
                self.RemoveBlockRequest(block_transactions.blockhash, peer.m_id)
                self.Misbehaving(peer, "previous compact block reconstruction attempt failed")
                LogDebug(
                    BCLog.NET,
                    "Peer %d sent compact block transactions multiple times",
                    peer.m_id,
                )
                return

            # We should not have gotten this far in compact block processing unless it's
            # attached to a known header
            prev_block = self.m_chainman.m_blockman.LookupBlockIndex(
                partialBlock.header.hashPrevBlock
            )
            status = partialBlock.FillBlock(
                pblock,
                block_transactions.txn,
                DeploymentActiveAfter(prev_block, self.m_chainman, Consensus.DEPLOYMENT_SEGWIT),
            )
            if status == READ_STATUS_INVALID:
                # Reset in-flight state in case Misbehaving does not result in a disconnect
                self.RemoveBlockRequest(block_transactions.blockhash, peer.m_id)
                self.Misbehaving(peer, "invalid compact block/non-matching block transactions")
                return
            elif status == READ_STATUS_FAILED:
                if first_in_flight:
                    # Might have collided, fall back to getdata now :( The failed partialBlock
                    # stays, so no other compact block announcement from this peer for this
                    # block is processed; the full block download continues under the same
                    # m_downloading_since timer.
                    invs = [
                        CInv(MSG_BLOCK | self.GetFetchFlags(peer), block_transactions.blockhash)
                    ]
                    self.MakeAndPushMessage(
                        peer, NetMsgType.GETDATA, ser_vector(invs, CInv.serialize)
                    )
                else:
                    self.RemoveBlockRequest(block_transactions.blockhash, peer.m_id)
                    LogDebug(
                        BCLog.NET,
                        "Peer %d sent us a compact block but it failed to reconstruct, waiting "
                        "on first download to complete\n",
                        peer.m_id,
                    )
                    return
            else:
                # Block is okay for further processing
                self.RemoveBlockRequest(block_transactions.blockhash, peer.m_id)
                fBlockRead = True
                # mapBlockSource is for punishing peers and picking compact block peers, so the
                # race with ProcessNewBlock is fine. BIP 152 lets peers relay compact blocks
                # after validating the header only: don't punish if the block turns out
                # invalid.
                self.mapBlockSource.setdefault(block_transactions.blockhash, (peer.m_id, False))
        # Don't hold cs_main when we call into ProcessNewBlock
        if fBlockRead:
            # We requested this block (it was in mapBlocksInFlight): force processing even if
            # it would not be a candidate for a new tip. That bypasses some anti-DoS logic in
            # AcceptBlock, which the compact block handler's own checks make safe.
            self.ProcessBlock(peer, pblock, True, True)

    def LogBlockHeader(self, index: CBlockIndex, peer: Peer, via_compact_block: bool) -> None:
        """Log a new, valid header (useful against selfish mining): always outside IBD."""
        cmpct = "cmpctblock " if via_compact_block else ""
        msg = (
            f"Saw new {cmpct}header hash={index.GetBlockHash().ToString()} "
            f"height={index.nHeight} peer={peer.m_id}{peer.LogIP(common.logging.fLogIPs)}"
        )
        if self.m_chainman.IsInitialBlockDownload():
            LogDebug(BCLog.VALIDATION, "%s", msg)
        else:
            LogInfo("%s", msg)

    def ProcessMessage(
        self,
        peer: Peer,
        msg_type: str,
        vRecv: DataStream,
        time_received: int,
        interruptMsgProc: threading.Event,
    ) -> None:
        """Handle one message. Requires g_msgproc_mutex. ``time_received`` in microseconds."""
        LogDebug(
            BCLog.NET,
            "received: %s (%u bytes) peer=%d\n",
            SanitizeString(msg_type),
            vRecv.size(),
            peer.m_id,
        )

        if msg_type == NetMsgType.VERSION:
            if peer.nVersion != 0:
                LogDebug(BCLog.NET, "redundant version message from peer=%d\n", peer.m_id)
                return

            nNonce = 1
            cleanSubVer = ""
            starting_height = -1
            fRelay = True

            nVersion = vRecv.read_i32()
            nServices = ServiceFlags(vRecv.read_u64())
            nTime = vRecv.read_i64()
            if nTime < 0:
                nTime = 0
            vRecv.read(8)  # Ignore the addrMe service bits sent by the peer
            addrMe = CService.deserialize_v1(vRecv)
            if not peer.IsInboundConn():
                # Overwrites potentially existing services. In contrast to this, unvalidated
                # services received via gossip relay in ADDR/ADDRV2 messages are only ever added
                # but cannot replace existing ones.
                self.m_addrman.SetServices(peer.addr, nServices)
            if peer.ExpectServicesFromConn() and not self.HasAllDesirableServiceFlags(nServices):
                LogDebug(
                    BCLog.NET,
                    "peer does not offer the expected services (%08x offered, %08x expected), %s\n",
                    nServices,
                    self.GetDesirableServiceFlags(nServices),
                    peer.DisconnectMsg(common.logging.fLogIPs),
                )
                self.RequestDisconnect(peer)
                return

            if nVersion < MIN_PEER_PROTO_VERSION:
                # disconnect from peers older than this proto version
                LogDebug(
                    BCLog.NET,
                    "peer using obsolete version %i, %s\n",
                    nVersion,
                    peer.DisconnectMsg(common.logging.fLogIPs),
                )
                self.RequestDisconnect(peer)
                return

            if not vRecv.empty():
                # The sending node's own address, which we don't use: 8 bytes of service bits,
                # 16 bytes of ipv6 address, 2 bytes of port.
                vRecv.read(26)
                nNonce = vRecv.read_u64()
            if not vRecv.empty():
                # LIMITED_STRING(strSubVer, MAX_SUBVERSION_LENGTH)
                size = vRecv.ReadCompactSize()
                if size > MAX_SUBVERSION_LENGTH:
                    raise SerializationError("String length limit exceeded")
                strSubVer = vRecv.read(size).decode("latin-1")
                cleanSubVer = SanitizeString(strSubVer)
            if not vRecv.empty():
                starting_height = vRecv.read_i32()
            if not vRecv.empty():
                fRelay = vRecv.read_bool()
            # Disconnect if we connected to ourself
            if peer.IsInboundConn() and not self.m_connman.CheckIncomingNonce(nNonce):
                LogPrintf("connected to self at %s, disconnecting\n", peer.addr.ToStringAddrPort())
                self.RequestDisconnect(peer)
                return

            if peer.IsInboundConn() and addrMe.IsRoutable():
                self.m_connman.SeenLocal(addrMe)

            # Inbound peers send us their version message when they connect.
            # We send our version message in response.
            if peer.IsInboundConn():
                self.PushNodeVersion(peer)

            # Change version
            greatest_common_version = min(nVersion, PROTOCOL_VERSION)
            peer.SetCommonVersion(greatest_common_version)
            peer.nVersion = nVersion

            if greatest_common_version >= WTXID_RELAY_VERSION:
                self.MakeAndPushMessage(peer, NetMsgType.WTXIDRELAY)

            # Signal ADDRv2 support (BIP155).
            if greatest_common_version >= 70016:
                # BIP155 defines addrv2 and sendaddrv2 for all protocol versions, but some
                # implementations reject messages they don't know. As a courtesy, don't send it
                # to nodes with a version before 70016, as no software is known to support BIP155
                # that doesn't announce at least that protocol version number.
                self.MakeAndPushMessage(peer, NetMsgType.SENDADDRV2)

            peer.m_has_all_wanted_services = self.HasAllDesirableServiceFlags(nServices)
            peer.m_their_services = nServices
            peer.SetAddrLocal(addrMe)
            with peer.m_subver_mutex:
                peer.cleanSubVer = cleanSubVer
            peer.m_starting_height = starting_height

            # Only initialize the Peer::TxRelay m_relay_txs data structure if:
            # - this isn't an outbound block-relay-only connection, and
            # - this isn't an outbound feeler connection, and
            # - fRelay=true (the peer wishes to receive transaction announcements)
            #   or we're offering NODE_BLOOM to this peer. NODE_BLOOM means that
            #   the peer may turn on transaction relay later.
            if (
                not peer.IsBlockOnlyConn()
                and not peer.IsFeelerConn()
                and (fRelay or (peer.m_our_services & NODE_BLOOM))
            ):
                tx_relay = peer.SetTxRelay()
                with tx_relay.m_bloom_filter_mutex:
                    # set to true after we get the first filter* message
                    tx_relay.m_relay_txs = fRelay
                if fRelay:
                    peer.m_relays_txs = True

            if greatest_common_version >= WTXID_RELAY_VERSION and self.m_txreconciliation:
                # Per BIP-330, we announce txreconciliation support if:
                # - protocol version per the peer's VERSION message supports WTXID_RELAY;
                # - transaction relay is supported per the peer's VERSION message
                # - this is not a block-relay-only connection and not a feeler
                # - this is not an addr fetch connection;
                # - we are not in -blocksonly mode.
                recon_tx_relay = peer.GetTxRelay()
                if (
                    recon_tx_relay is not None
                    and recon_tx_relay.m_relay_txs
                    and not peer.IsAddrFetchConn()
                    and not self.m_opts.ignore_incoming_txs
                ):
                    recon_salt = self.m_txreconciliation.PreRegisterPeer(peer.m_id)
                    self.MakeAndPushMessage(
                        peer,
                        NetMsgType.SENDTXRCNCL,
                        ser_u32(TXRECONCILIATION_VERSION),
                        ser_u64(recon_salt),
                    )

            self.MakeAndPushMessage(peer, NetMsgType.VERACK)

            # Potentially mark this peer as a preferred download peer.
            with cs_main:
                state = self.State(peer.m_id)
                assert state is not None
                state.fPreferredDownload = (
                    (not peer.IsInboundConn() or peer.HasPermission(NetPermissionFlags.NoBan))
                    and not peer.IsAddrFetchConn()
                    and CanServeBlocks(peer)
                )
                self.m_num_preferred_download_peers += int(state.fPreferredDownload)

            # Attempt to initialize address relay for outbound peers and use result to decide
            # whether to send GETADDR, so that we don't send it to inbound or outbound
            # block-relay-only peers.
            send_getaddr = False
            if not peer.IsInboundConn():
                send_getaddr = self.SetupAddressRelay(peer)
            if send_getaddr:
                # Do a one-time address fetch to help populate/update our addrman. We skip this
                # for block-relay-only peers, to avoid leaking addr information and indicating
                # that we will participate in addr relay.
                self.MakeAndPushMessage(peer, NetMsgType.GETADDR)
                peer.m_getaddr_sent = True
                # When requesting a getaddr, accept an additional MAX_ADDR_TO_SEND addresses in
                # response (bypassing the MAX_ADDR_PROCESSING_TOKEN_BUCKET limit).
                peer.m_addr_token_bucket += MAX_ADDR_TO_SEND

            if not peer.IsInboundConn():
                # For non-inbound connections, record the connection success in addrman (New to
                # Tried, resolving collisions). Block-relay-only peers are moved too, but
                # Connected() is never called for them (see FinalizeNode), limiting the leak.
                self.m_addrman.Good(peer.addr)

            mapped_as = self.m_connman.GetMappedAS(peer.addr)
            LogDebug(
                BCLog.NET,
                "receive version message: %s: version %d, blocks=%d, us=%s, txrelay=%d, "
                "peer=%d%s%s\n",
                cleanSubVer,
                peer.nVersion,
                peer.m_starting_height,
                addrMe.ToStringAddrPort(),
                fRelay,
                peer.m_id,
                peer.LogIP(common.logging.fLogIPs),
                f", mapped_as={mapped_as}" if mapped_as else "",
            )

            peer.m_time_offset = nTime - GetTime()
            if not peer.IsInboundConn():
                # Don't use timedata samples from inbound peers to make it harder for others to
                # create false warnings about our clock being out of sync.
                self.m_outbound_time_offsets.Add(peer.m_time_offset)
                self.m_outbound_time_offsets.WarnIfOutOfSync()

            # If the peer is old enough to have the old alert system, send it the final alert.
            if greatest_common_version <= 70012:
                self.MakeAndPushMessage(peer, "alert", _FINAL_ALERT)

            # Feeler connections exist only to verify if address is online.
            if peer.IsFeelerConn():
                LogDebug(
                    BCLog.NET,
                    "feeler connection completed, %s\n",
                    peer.DisconnectMsg(common.logging.fLogIPs),
                )
                self.RequestDisconnect(peer)
            return

        if peer.nVersion == 0:
            # Must have a version message before anything else
            LogDebug(
                BCLog.NET,
                'non-version message before version handshake. Message "%s" from peer=%d\n',
                SanitizeString(msg_type),
                peer.m_id,
            )
            return

        if msg_type == NetMsgType.VERACK:
            if peer.m_handshake_complete:
                LogDebug(BCLog.NET, "ignoring redundant verack message from peer=%d\n", peer.m_id)
                return

            # Log successful connections unconditionally for outbound, but not for inbound as
            # those can be triggered by an attacker at high rate.
            if not peer.IsInboundConn() or LogAcceptCategory(BCLog.NET, BCLog.Level.Debug):
                mapped_as = self.m_connman.GetMappedAS(peer.addr)
                LogPrintf(
                    "New %s %s peer connected: version: %d, blocks=%d, peer=%d%s%s\n",
                    peer.ConnectionTypeAsString(),
                    TransportTypeAsString(peer.m_transport_type),
                    peer.nVersion,
                    peer.m_starting_height,
                    peer.m_id,
                    peer.LogIP(common.logging.fLogIPs),
                    f", mapped_as={mapped_as}" if mapped_as else "",
                )

            if peer.GetCommonVersion() >= SHORT_IDS_BLOCKS_VERSION:
                # Tell our peer we are willing to provide version 2 cmpctblocks. However, we do
                # not request new block announcements using cmpctblock messages. We send this to
                # non-NODE NETWORK peers as well, because they may wish to request compact blocks
                # from us
                self.MakeAndPushMessage(
                    peer, NetMsgType.SENDCMPCT, ser_bool(False), ser_u64(CMPCTBLOCKS_VERSION)
                )

            if self.m_txreconciliation is not None:  # noqa: SIM102 (upstream's nesting)
                if not peer.m_wtxid_relay or not self.m_txreconciliation.IsPeerRegistered(
                    peer.m_id
                ):
                    # We could have optimistically pre-registered/registered the peer. In that
                    # case, we should forget about the reconciliation state here if this wasn't
                    # followed by WTXIDRELAY (since WTXIDRELAY can't be announced later).
                    self.m_txreconciliation.ForgetPeer(peer.m_id)

            # TxRelay::m_tx_inventory_to_send must be empty and m_next_inv_send_time unset until
            # the handshake completes, or transactions received during it would be announced at
            # once, leaking their arrival time to a spy (Assume upstream: not enforced).

            with cs_main, self.m_tx_download_mutex:
                verack_state = self.State(peer.m_id)
                assert verack_state is not None
                self.m_txdownloadman.ConnectedPeer(
                    peer.m_id,
                    TxDownloadConnectionInfo(
                        m_preferred=verack_state.fPreferredDownload,
                        m_relay_permissions=peer.HasPermission(NetPermissionFlags.Relay),
                        m_wtxid_relay=peer.m_wtxid_relay,
                    ),
                )

            peer.m_handshake_complete = True
            self.m_connman.MarkHandshakeComplete(peer.m_id)
            return

        if msg_type == NetMsgType.SENDHEADERS:
            peer.m_prefers_headers = True
            return

        if msg_type == NetMsgType.SENDCMPCT:
            sendcmpct_hb = vRecv.read_bool()
            sendcmpct_version = vRecv.read_u64()

            # Only support compact block relay with witnesses
            if sendcmpct_version != CMPCTBLOCKS_VERSION:
                return

            with cs_main:
                nodestate = self.State(peer.m_id)
                assert nodestate is not None
                nodestate.m_provides_cmpctblocks = True
                nodestate.m_requested_hb_cmpctblocks = sendcmpct_hb
                # save whether peer selects us as BIP152 high-bandwidth peer (receiving
                # sendcmpct(1) signals high-bandwidth, sendcmpct(0) low-bandwidth)
                peer.m_bip152_highbandwidth_from = sendcmpct_hb
            return

        # BIP339 defines feature negotiation of wtxidrelay, which must happen between VERSION and
        # VERACK to avoid relay problems from switching after a connection is up.
        if msg_type == NetMsgType.WTXIDRELAY:
            if peer.m_handshake_complete:
                # Disconnect peers that send a wtxidrelay message after VERACK.
                LogDebug(
                    BCLog.NET,
                    "wtxidrelay received after verack, %s\n",
                    peer.DisconnectMsg(common.logging.fLogIPs),
                )
                self.RequestDisconnect(peer)
                return
            if peer.GetCommonVersion() >= WTXID_RELAY_VERSION:
                if not peer.m_wtxid_relay:
                    peer.m_wtxid_relay = True
                    self.m_wtxid_relay_peers += 1
                else:
                    LogDebug(BCLog.NET, "ignoring duplicate wtxidrelay from peer=%d\n", peer.m_id)
            else:
                LogDebug(
                    BCLog.NET,
                    "ignoring wtxidrelay due to old common version=%d from peer=%d\n",
                    peer.GetCommonVersion(),
                    peer.m_id,
                )
            return

        # BIP155 defines feature negotiation of addrv2 and sendaddrv2, which must happen between
        # VERSION and VERACK.
        if msg_type == NetMsgType.SENDADDRV2:
            if peer.m_handshake_complete:
                # Disconnect peers that send a SENDADDRV2 message after VERACK.
                LogDebug(
                    BCLog.NET,
                    "sendaddrv2 received after verack, %s\n",
                    peer.DisconnectMsg(common.logging.fLogIPs),
                )
                self.RequestDisconnect(peer)
                return
            peer.m_wants_addrv2 = True
            return

        # Received from a peer demonstrating readiness to announce transactions via
        # reconciliations. This feature negotiation must happen between VERSION and VERACK.
        if msg_type == NetMsgType.SENDTXRCNCL:
            if self.m_txreconciliation is None:
                LogDebug(
                    BCLog.NET,
                    "sendtxrcncl from peer=%d ignored, as our node does not have "
                    "txreconciliation enabled\n",
                    peer.m_id,
                )
                return

            if peer.m_handshake_complete:
                LogDebug(
                    BCLog.NET,
                    "sendtxrcncl received after verack, %s\n",
                    peer.DisconnectMsg(common.logging.fLogIPs),
                )
                self.RequestDisconnect(peer)
                return

            # Peer must not offer us reconciliations if we specified no tx relay support in
            # VERSION.
            if self.RejectIncomingTxs(peer):
                LogDebug(
                    BCLog.NET,
                    "sendtxrcncl received to which we indicated no tx relay, %s\n",
                    peer.DisconnectMsg(common.logging.fLogIPs),
                )
                self.RequestDisconnect(peer)
                return

            # Peer must not offer us reconciliations if they specified no tx relay support in
            # VERSION. With the RejectIncomingTxs check above, this flag says exactly that.
            rcncl_tx_relay = peer.GetTxRelay()
            if rcncl_tx_relay is None or not rcncl_tx_relay.m_relay_txs:
                LogDebug(
                    BCLog.NET,
                    "sendtxrcncl received which indicated no tx relay to us, %s\n",
                    peer.DisconnectMsg(common.logging.fLogIPs),
                )
                self.RequestDisconnect(peer)
                return

            peer_txreconcl_version = vRecv.read_u32()
            remote_salt = vRecv.read_u64()

            result = self.m_txreconciliation.RegisterPeer(
                peer.m_id, peer.IsInboundConn(), peer_txreconcl_version, remote_salt
            )
            if result == NOT_FOUND:
                LogDebug(
                    BCLog.NET,
                    "Ignore unexpected txreconciliation signal from peer=%d\n",
                    peer.m_id,
                )
            elif result == ALREADY_REGISTERED:
                LogDebug(
                    BCLog.NET,
                    "txreconciliation protocol violation (sendtxrcncl received from already "
                    "registered peer), %s\n",
                    peer.DisconnectMsg(common.logging.fLogIPs),
                )
                self.RequestDisconnect(peer)
                return
            elif result == PROTOCOL_VIOLATION:
                LogDebug(
                    BCLog.NET,
                    "txreconciliation protocol violation, %s\n",
                    peer.DisconnectMsg(common.logging.fLogIPs),
                )
                self.RequestDisconnect(peer)
                return
            return

        if not peer.m_handshake_complete:
            LogDebug(
                BCLog.NET,
                'Unsupported message "%s" prior to verack from peer=%d\n',
                SanitizeString(msg_type),
                peer.m_id,
            )
            return

        if msg_type == NetMsgType.ADDR or msg_type == NetMsgType.ADDRV2:
            # The V2 parameter tells CNetAddr and CAddress that an address in v2 format comes.
            ser_params = (
                CAddress.V2_NETWORK if msg_type == NetMsgType.ADDRV2 else CAddress.V1_NETWORK
            )

            vAddr: list[CAddress] = vRecv.read_vector(lambda s: CAddress.deserialize(s, ser_params))

            if not self.SetupAddressRelay(peer):
                LogDebug(
                    BCLog.NET,
                    "ignoring %s message from %s peer=%d\n",
                    msg_type,
                    peer.ConnectionTypeAsString(),
                    peer.m_id,
                )
                return

            if len(vAddr) > MAX_ADDR_TO_SEND:
                self.Misbehaving(peer, f"{msg_type} message size = {len(vAddr)}")
                return

            # Store the new addresses
            vAddrOk: list[CAddress] = []
            current_a_time = GetTime()

            # Update/increment addr rate limiting bucket.
            current_time = GetTimeMicros()
            if peer.m_addr_token_bucket < MAX_ADDR_PROCESSING_TOKEN_BUCKET:
                # Don't increment bucket if it's already full
                time_diff = max(current_time - peer.m_addr_token_timestamp, 0)
                increment = time_diff / 1_000_000 * MAX_ADDR_RATE_PER_SECOND
                peer.m_addr_token_bucket = min(
                    peer.m_addr_token_bucket + increment, float(MAX_ADDR_PROCESSING_TOKEN_BUCKET)
                )
            peer.m_addr_token_timestamp = current_time

            rate_limited = not peer.HasPermission(NetPermissionFlags.Addr)
            num_proc = 0
            num_rate_limit = 0
            self.m_rng.shuffle(vAddr)
            for addr in vAddr:
                if interruptMsgProc.is_set():
                    return

                # Apply rate limiting.
                if peer.m_addr_token_bucket < 1.0:
                    if rate_limited:
                        num_rate_limit += 1
                        continue
                else:
                    peer.m_addr_token_bucket -= 1.0
                # We only bother storing full nodes, though this may include things which we
                # would not make an outbound connection to, in part because we may make feeler
                # connections to them.
                if not MayHaveUsefulAddressDB(addr.nServices) and not (
                    self.HasAllDesirableServiceFlags(addr.nServices)
                ):
                    continue

                if addr.nTime <= 100000000 or addr.nTime > current_a_time + 10 * 60:
                    addr.nTime = current_a_time - 5 * 24 * 60 * 60
                self.AddAddressKnown(peer, addr)
                if self.m_banman is not None and (
                    self.m_banman.IsDiscouraged(addr) or self.m_banman.IsBanned(addr)
                ):
                    # Do not process banned/discouraged addresses beyond remembering we received
                    # them
                    continue
                num_proc += 1
                reachable = g_reachable_nets.Contains(addr)
                if (
                    addr.nTime > current_a_time - 10 * 60
                    and not peer.m_getaddr_sent
                    and len(vAddr) <= 10
                    and addr.IsRoutable()
                ):
                    # Relay to a limited number of other nodes
                    self.RelayAddress(peer.m_id, addr, reachable)
                # Do not store addresses outside our network
                if reachable:
                    vAddrOk.append(addr)
            peer.m_addr_processed += num_proc
            peer.m_addr_rate_limited += num_rate_limit
            LogDebug(
                BCLog.NET,
                "Received addr: %u addresses (%u processed, %u rate-limited) from peer=%d\n",
                len(vAddr),
                num_proc,
                num_rate_limit,
                peer.m_id,
            )

            self.m_addrman.Add(vAddrOk, peer.addr, 2 * 60 * 60)
            if len(vAddr) < 1000:
                peer.m_getaddr_sent = False

            # AddrFetch: Require multiple addresses to avoid disconnecting on self-announcements
            if peer.IsAddrFetchConn() and len(vAddr) > 1:
                LogDebug(
                    BCLog.NET,
                    "addrfetch connection completed, %s\n",
                    peer.DisconnectMsg(common.logging.fLogIPs),
                )
                self.RequestDisconnect(peer)
            return

        if msg_type == NetMsgType.INV:
            vInv: list[CInv] = vRecv.read_vector(CInv.deserialize)
            if len(vInv) > MAX_INV_SZ:
                self.Misbehaving(peer, f"inv message size = {len(vInv)}")
                return

            reject_tx_invs = self.RejectIncomingTxs(peer)

            with cs_main, self.m_tx_download_mutex:
                current_time = GetTimeMicros()
                best_block: uint256 | None = None

                for inv in vInv:
                    if interruptMsgProc.is_set():
                        return

                    # Ignore INVs that don't match wtxidrelay setting. Orphan parent fetching
                    # always uses MSG_TX GETDATAs regardless of the wtxidrelay setting; no INV
                    # messages are involved in that.
                    if peer.m_wtxid_relay:
                        if inv.IsMsgTx():
                            continue
                    elif inv.IsMsgWtx():
                        continue

                    if inv.IsMsgBlk():
                        fAlreadyHave = self.AlreadyHaveBlock(inv.hash)
                        LogDebug(
                            BCLog.NET,
                            "got inv: %s  %s peer=%d\n",
                            inv.ToString(),
                            "have" if fAlreadyHave else "new",
                            peer.m_id,
                        )

                        self.UpdateBlockAvailability(peer.m_id, inv.hash)
                        if (
                            not fAlreadyHave
                            and not self.m_chainman.m_blockman.LoadingBlocks()
                            and not self.IsBlockRequested(inv.hash)
                        ):
                            # Headers-first is the primary method of announcement on the network.
                            # A block inv may mean a re-org, or that we haven't completed initial
                            # headers sync. The final block hash provided should be the highest,
                            # so send a getheaders and then fetch the blocks we need to catch up.
                            best_block = inv.hash
                    elif inv.IsGenTxMsg():
                        if reject_tx_invs:
                            LogDebug(
                                BCLog.NET,
                                "transaction (%s) inv sent in violation of protocol, %s\n",
                                inv.hash.ToString(),
                                peer.DisconnectMsg(common.logging.fLogIPs),
                            )
                            self.RequestDisconnect(peer)
                            return
                        AddKnownTx(peer, inv.hash)

                        if not self.m_chainman.IsInitialBlockDownload():
                            fAlreadyHave = self.m_txdownloadman.AddTxAnnouncement(
                                peer.m_id, ToGenTxid(inv), current_time
                            )
                            LogDebug(
                                BCLog.NET,
                                "got inv: %s  %s peer=%d\n",
                                inv.ToString(),
                                "have" if fAlreadyHave else "new",
                                peer.m_id,
                            )
                    else:
                        LogDebug(
                            BCLog.NET,
                            'Unknown inv type "%s" received from peer=%d\n',
                            inv.ToString(),
                            peer.m_id,
                        )

                if best_block is not None:
                    # If we haven't started initial headers-sync with this peer, then consider
                    # sending a getheaders now. We try initial headers sync with one peer at a
                    # time (long timeout), but as new blocks are found we add one new peer per
                    # block to sync with as well, to sync quicker if our initial peer is
                    # unresponsive.
                    inv_state = self.State(peer.m_id)
                    assert inv_state is not None
                    if inv_state.fSyncStarted or (
                        not peer.m_inv_triggered_getheaders_before_sync
                        and best_block != self.m_last_block_inv_triggering_headers_sync
                    ):
                        best_header = self.m_chainman.m_best_header
                        assert best_header is not None
                        if self.MaybeSendGetHeaders(GetLocator(best_header), peer):
                            LogDebug(
                                BCLog.NET,
                                "getheaders (%d) %s to peer=%d\n",
                                best_header.nHeight,
                                best_block.ToString(),
                                peer.m_id,
                            )
                        if not inv_state.fSyncStarted:
                            peer.m_inv_triggered_getheaders_before_sync = True
                            # Update the last block hash that triggered a new headers sync, so
                            # that we don't turn on headers sync with more than 1 new peer every
                            # new block.
                            self.m_last_block_inv_triggering_headers_sync = best_block

            return

        if msg_type == NetMsgType.GETDATA:
            getdata_inv: list[CInv] = vRecv.read_vector(CInv.deserialize)
            if len(getdata_inv) > MAX_INV_SZ:
                self.Misbehaving(peer, f"getdata message size = {len(getdata_inv)}")
                return

            LogDebug(
                BCLog.NET,
                "received getdata (%u invsz) peer=%d\n",
                len(getdata_inv),
                peer.m_id,
            )

            if len(getdata_inv) > 0:
                LogDebug(
                    BCLog.NET,
                    "received getdata for: %s peer=%d\n",
                    getdata_inv[0].ToString(),
                    peer.m_id,
                )

            with peer.m_getdata_requests_mutex:
                peer.m_getdata_requests.extend(getdata_inv)
                self.ProcessGetData(peer, interruptMsgProc)

            return

        if msg_type == NetMsgType.GETBLOCKS:
            locator = CBlockLocator.deserialize(vRecv)
            hashStop = uint256.deserialize(vRecv)

            if len(locator.vHave) > MAX_LOCATOR_SZ:
                LogDebug(
                    BCLog.NET,
                    "getblocks locator size %d > %d, %s\n",
                    len(locator.vHave),
                    MAX_LOCATOR_SZ,
                    peer.DisconnectMsg(common.logging.fLogIPs),
                )
                self.RequestDisconnect(peer)
                return

            # We might have announced the currently-being-connected tip using a compact block,
            # which resulted in the peer sending a getblocks request, which we would otherwise
            # respond to without the new block. To avoid this we make sure we are on our best
            # known chain now (overkill, but no known node supports compact blocks and still
            # uses getblocks).
            with self.m_most_recent_block_mutex:
                getblocks_recent_block = self.m_most_recent_block
            getblocks_state = BlockValidationState()
            if not self.m_chainman.ActiveChainstate().ActivateBestChain(
                getblocks_state, getblocks_recent_block
            ):
                LogDebug(BCLog.NET, "failed to activate chain (%s)\n", getblocks_state.ToString())

            with cs_main:
                # Find the last block the caller has in the main chain
                getblocks_pindex = self.m_chainman.ActiveChainstate().FindForkInGlobalIndex(locator)

                # Send the rest of the chain
                if getblocks_pindex is not None:
                    getblocks_pindex = self.m_chainman.ActiveChain().Next(getblocks_pindex)
                nLimit = 500
                LogDebug(
                    BCLog.NET,
                    "getblocks %d to %s limit %d from peer=%d\n",
                    getblocks_pindex.nHeight if getblocks_pindex is not None else -1,
                    "end" if hashStop.IsNull() else hashStop.ToString(),
                    nLimit,
                    peer.m_id,
                )
                while getblocks_pindex is not None:
                    if getblocks_pindex.GetBlockHash() == hashStop:
                        LogDebug(
                            BCLog.NET,
                            "  getblocks stopping at %d %s\n",
                            getblocks_pindex.nHeight,
                            getblocks_pindex.GetBlockHash().ToString(),
                        )
                        break
                    # If pruning, don't inv blocks unless we have on disk and are likely to
                    # still have for some reasonable time window (1 hour) that block relay
                    # might require.
                    nPrunedBlocksLikelyToHave = MIN_BLOCKS_TO_KEEP - _div_trunc(
                        3600, self.m_chainparams.GetConsensus().nPowTargetSpacing
                    )
                    getblocks_tip = self.m_chainman.ActiveChain().Tip()
                    assert getblocks_tip is not None
                    if self.m_chainman.m_blockman.IsPruneMode() and (
                        not (getblocks_pindex.nStatus & BLOCK_HAVE_DATA)
                        or getblocks_pindex.nHeight
                        <= getblocks_tip.nHeight - nPrunedBlocksLikelyToHave
                    ):
                        LogDebug(
                            BCLog.NET,
                            " getblocks stopping, pruned or too old block at %d %s\n",
                            getblocks_pindex.nHeight,
                            getblocks_pindex.GetBlockHash().ToString(),
                        )
                        break
                    with peer.m_block_inv_mutex:
                        peer.m_blocks_for_inv_relay.append(getblocks_pindex.GetBlockHash())
                    nLimit -= 1
                    if nLimit <= 0:
                        # When this block is requested, we'll send an inv that'll trigger the
                        # peer to getblocks the next batch of inventory.
                        LogDebug(
                            BCLog.NET,
                            "  getblocks stopping at limit %d %s\n",
                            getblocks_pindex.nHeight,
                            getblocks_pindex.GetBlockHash().ToString(),
                        )
                        with peer.m_block_inv_mutex:
                            peer.m_continuation_block = getblocks_pindex.GetBlockHash()
                        break
                    getblocks_pindex = self.m_chainman.ActiveChain().Next(getblocks_pindex)
            return

        if msg_type == NetMsgType.GETBLOCKTXN:
            req = BlockTransactionsRequest.deserialize(vRecv)

            recent_block: CBlock | None = None
            with self.m_most_recent_block_mutex:
                if self.m_most_recent_block_hash == req.blockhash:
                    recent_block = self.m_most_recent_block
                # Unlock m_most_recent_block_mutex to avoid cs_main lock inversion
            if recent_block is not None:
                self.SendBlockTransactions(peer, recent_block, req)
                return

            getblocktxn_pos: FlatFilePos | None = None
            with cs_main:
                getblocktxn_pindex = self.m_chainman.m_blockman.LookupBlockIndex(req.blockhash)
                if getblocktxn_pindex is None or not (getblocktxn_pindex.nStatus & BLOCK_HAVE_DATA):
                    LogDebug(
                        BCLog.NET,
                        "Peer %d sent us a getblocktxn for a block we don't have\n",
                        peer.m_id,
                    )
                    return

                if (
                    getblocktxn_pindex.nHeight
                    >= self.m_chainman.ActiveChain().Height() - MAX_BLOCKTXN_DEPTH
                ):
                    getblocktxn_pos = getblocktxn_pindex.GetBlockPos()

            if getblocktxn_pos is not None and not getblocktxn_pos.IsNull():
                getblocktxn_block = self.m_chainman.m_blockman.ReadBlock(
                    getblocktxn_pos, req.blockhash
                )
                # Within MAX_BLOCKTXN_DEPTH the block cannot have been pruned meanwhile, so
                # this read never fails.
                assert getblocktxn_block is not None

                self.SendBlockTransactions(peer, getblocktxn_block, req)
                return

            # An older block was requested (should never happen in practice, but can happen in
            # tests): send the full block instead of blocktxn. A peer sending many such
            # requests to trigger expensive disk reads then has to receive all that data.
            LogDebug(
                BCLog.NET,
                "Peer %d sent us a getblocktxn for a block > %i deep\n",
                peer.m_id,
                MAX_BLOCKTXN_DEPTH,
            )
            getblocktxn_inv = CInv(MSG_WITNESS_BLOCK, req.blockhash)
            with peer.m_getdata_requests_mutex:
                peer.m_getdata_requests.append(getblocktxn_inv)
            # The message processing loop will go around again (without pausing) and we'll
            # respond then
            return

        if msg_type == NetMsgType.GETHEADERS:
            getheaders_locator = CBlockLocator.deserialize(vRecv)
            getheaders_hashStop = uint256.deserialize(vRecv)

            if len(getheaders_locator.vHave) > MAX_LOCATOR_SZ:
                LogDebug(
                    BCLog.NET,
                    "getheaders locator size %d > %d, %s\n",
                    len(getheaders_locator.vHave),
                    MAX_LOCATOR_SZ,
                    peer.DisconnectMsg(common.logging.fLogIPs),
                )
                self.RequestDisconnect(peer)
                return

            if self.m_chainman.m_blockman.LoadingBlocks():
                LogDebug(
                    BCLog.NET,
                    "Ignoring getheaders from peer=%d while importing/reindexing\n",
                    peer.m_id,
                )
                return

            with cs_main:
                # Don't serve headers from our active chain until our chainwork is at least the
                # minimum chain work. This prevents us from starting a low-work headers sync
                # that will inevitably be aborted by our peer.
                active_tip = self.m_chainman.ActiveTip()
                if active_tip is None or (
                    active_tip.nChainWork < self.m_chainman.MinimumChainWork()
                    and not peer.HasPermission(NetPermissionFlags.Download)
                ):
                    LogDebug(
                        BCLog.NET,
                        "Ignoring getheaders from peer=%d because active chain has too little "
                        "work; sending empty response\n",
                        peer.m_id,
                    )
                    # Just respond with an empty headers message, to tell the peer to go away
                    # but not treat us as unresponsive.
                    self.MakeAndPushMessage(peer, NetMsgType.HEADERS, ser_compact_size(0))
                    return

                getheaders_state = self.State(peer.m_id)
                assert getheaders_state is not None
                getheaders_pindex: CBlockIndex | None = None
                if getheaders_locator.IsNull():
                    # If locator is null, return the hashStop block
                    getheaders_pindex = self.m_chainman.m_blockman.LookupBlockIndex(
                        getheaders_hashStop
                    )
                    if getheaders_pindex is None:
                        return

                    if not self.BlockRequestAllowed(getheaders_pindex):
                        LogDebug(
                            BCLog.NET,
                            "%s: ignoring request from peer=%i for old block header that isn't "
                            "in the main chain\n",
                            "ProcessMessage",
                            peer.m_id,
                        )
                        return
                else:
                    # Find the last block the caller has in the main chain
                    getheaders_pindex = self.m_chainman.ActiveChainstate().FindForkInGlobalIndex(
                        getheaders_locator
                    )
                    if getheaders_pindex is not None:
                        getheaders_pindex = self.m_chainman.ActiveChain().Next(getheaders_pindex)

                # Headers are sent as CBlocks without transactions: each carries the 0x00 tx
                # count a bare CBlockHeader would lack.
                vHeaders: list[CBlockHeader] = []
                nLimit = self.m_opts.max_headers_result
                LogDebug(
                    BCLog.NET,
                    "getheaders %d to %s from peer=%d\n",
                    getheaders_pindex.nHeight if getheaders_pindex is not None else -1,
                    "end" if getheaders_hashStop.IsNull() else getheaders_hashStop.ToString(),
                    peer.m_id,
                )
                while getheaders_pindex is not None:
                    vHeaders.append(getheaders_pindex.GetBlockHeader())
                    nLimit -= 1
                    if nLimit <= 0 or getheaders_pindex.GetBlockHash() == getheaders_hashStop:
                        break
                    getheaders_pindex = self.m_chainman.ActiveChain().Next(getheaders_pindex)
                # getheaders_pindex is None either if we sent our tip or if the peer has our
                # tip (and we send an empty headers message); in both cases it's safe to set
                # pindexBestHeaderSent to our tip. It is reset here, not max()ed: we might have
                # announced the currently-being-connected tip with a compact block, and the peer
                # then asked for headers, which we answer without the new block; resetting makes
                # SendMessages announce the new block again.
                getheaders_state.pindexBestHeaderSent = (
                    getheaders_pindex
                    if getheaders_pindex is not None
                    else self.m_chainman.ActiveChain().Tip()
                )
                self.MakeAndPushMessage(peer, NetMsgType.HEADERS, _ser_headers(vHeaders))
            return

        if msg_type == NetMsgType.TX:
            if self.RejectIncomingTxs(peer):
                LogDebug(
                    BCLog.NET,
                    "transaction sent in violation of protocol, %s",
                    peer.DisconnectMsg(common.logging.fLogIPs),
                )
                self.RequestDisconnect(peer)
                return

            # Stop processing the transaction early if we are still in IBD since we don't have
            # enough information to validate it yet. Sending unsolicited transactions is not
            # considered a protocol violation, so don't punish the peer.
            if self.m_chainman.IsInitialBlockDownload():
                return

            ptx = CTransaction.deserialize(vRecv)

            txid = ptx.GetHash()
            wtxid = ptx.GetWitnessHash()

            AddKnownTx(peer, wtxid if peer.m_wtxid_relay else txid)

            with cs_main, self.m_tx_download_mutex:
                should_validate, package_to_validate = self.m_txdownloadman.ReceivedTx(
                    peer.m_id, ptx
                )
                if not should_validate:
                    if peer.HasPermission(NetPermissionFlags.ForceRelay):
                        # Always relay transactions received from peers with forcerelay
                        # permission, even if they were already in the mempool, allowing the
                        # node to function as a gateway for nodes hidden behind it.
                        if not self.m_mempool.exists(txid):
                            LogPrintf(
                                "Not relaying non-mempool transaction %s (wtxid=%s) from "
                                "forcerelay peer=%d\n",
                                txid.ToString(),
                                wtxid.ToString(),
                                peer.m_id,
                            )
                        else:
                            LogPrintf(
                                "Force relaying tx %s (wtxid=%s) from peer=%d\n",
                                txid.ToString(),
                                wtxid.ToString(),
                                peer.m_id,
                            )
                            self.RelayTransaction(txid, wtxid)

                    if package_to_validate is not None:
                        self._validate_package(package_to_validate)
                    return

                # ReceivedTx should not be telling us to validate the tx and a package.
                assert package_to_validate is None

                tx_result = self.m_chainman.ProcessTransaction(ptx)
                tx_state = tx_result.m_state

                if tx_result.m_result_type == MempoolAcceptResult.ResultType.VALID:
                    self.ProcessValidTx(peer.m_id, ptx, tx_result.m_replaced_transactions)
                    peer.m_last_tx_time = GetTime()
                if tx_state.IsInvalid():
                    invalid_package = self.ProcessInvalidTx(peer.m_id, ptx, tx_state, True)
                    if invalid_package is not None:
                        self._validate_package(invalid_package)
            return

        if msg_type == NetMsgType.CMPCTBLOCK:
            # Ignore cmpctblock received while importing
            if self.m_chainman.m_blockman.LoadingBlocks():
                LogDebug(
                    BCLog.NET,
                    "Unexpected cmpctblock message received from peer %d\n",
                    peer.m_id,
                )
                return

            cmpctblock = CBlockHeaderAndShortTxIDs.deserialize(vRecv)
            received_new_header = False
            blockhash = cmpctblock.header.GetHash()

            with cs_main:
                cmpct_prev_block = self.m_chainman.m_blockman.LookupBlockIndex(
                    cmpctblock.header.hashPrevBlock
                )
                if cmpct_prev_block is None:
                    # Doesn't connect (or is genesis): rather than DoS in AcceptBlockHeader,
                    # request deeper headers.
                    if not self.m_chainman.IsInitialBlockDownload():
                        self.MaybeSendGetHeaders(GetLocator(self.m_chainman.m_best_header), peer)
                    return
                elif (
                    cmpct_prev_block.nChainWork + CalculateClaimedHeadersWork([cmpctblock.header])
                    < self.GetAntiDoSWorkThreshold()
                ):
                    # If we get a low-work header in a compact block, we can ignore it.
                    LogDebug(
                        BCLog.NET,
                        "Ignoring low-work compact block from peer %d\n",
                        peer.m_id,
                    )
                    return

                if self.m_chainman.m_blockman.LookupBlockIndex(blockhash) is None:
                    received_new_header = True

            cmpct_pindex: list[CBlockIndex | None] = [None]
            cmpct_state = BlockValidationState()
            if not self.m_chainman.ProcessNewBlockHeaders(  # noqa: SIM102 (upstream's nesting)
                [cmpctblock.header], True, cmpct_state, cmpct_pindex
            ):
                if cmpct_state.IsInvalid():
                    self.MaybePunishNodeForBlock(
                        peer.m_id, cmpct_state, True, "invalid header via cmpctblock"
                    )
                    return

            # If AcceptBlockHeader returned true, it set pindex
            pindex = cmpct_pindex[0]
            assert pindex is not None
            if received_new_header:
                self.LogBlockHeader(pindex, peer, True)

            fProcessBLOCKTXN = False

            # If we end up treating this as a plain headers message, call that as well without
            # cs_main.
            fRevertToHeaderProcessing = False

            # Keep a CBlock for "optimistic" compactblock reconstructions (see below)
            cmpct_block = CBlock()
            fBlockReconstructed = False

            with cs_main:
                self.UpdateBlockAvailability(peer.m_id, pindex.GetBlockHash())

                cmpct_nodestate = self.State(peer.m_id)
                assert cmpct_nodestate is not None
                cmpct_tip = self.m_chainman.ActiveChain().Tip()
                assert cmpct_tip is not None

                # If this was a new header with more work than our tip, update the peer's last
                # block announcement time
                if received_new_header and pindex.nChainWork > cmpct_tip.nChainWork:
                    cmpct_nodestate.m_last_block_announcement = GetTime()

                if pindex.nStatus & BLOCK_HAVE_DATA:  # Nothing to do here
                    return

                range_flight = self.mapBlocksInFlight.get(pindex.GetBlockHash(), [])
                already_in_flight = len(range_flight)
                # The multimap keeps requests in order: ours is either absent or first in line.
                first_in_flight = already_in_flight == 0 or range_flight[0][0] == peer.m_id
                requested_block_from_this_peer = any(
                    node_id == peer.m_id for node_id, _ in range_flight
                )

                if (
                    pindex.nChainWork <= cmpct_tip.nChainWork  # We know something better
                    or pindex.nTx != 0  # We had this block at some point, but pruned it
                ):
                    if requested_block_from_this_peer:
                        # We requested this block for some reason, but our mempool will
                        # probably be useless so we just grab the block via normal getdata
                        cmpct_vInv = [CInv(MSG_BLOCK | self.GetFetchFlags(peer), blockhash)]
                        self.MakeAndPushMessage(
                            peer, NetMsgType.GETDATA, ser_vector(cmpct_vInv, CInv.serialize)
                        )
                    return

                # If we're not close to tip yet, give up and let parallel block fetch work its
                # magic
                if not already_in_flight and not self.CanDirectFetch():
                    return

                # We want to be a bit conservative just to be extra careful about DoS
                # possibilities in compact block processing...
                if pindex.nHeight <= self.m_chainman.ActiveChain().Height() + 2:
                    if (
                        already_in_flight < MAX_CMPCTBLOCKS_INFLIGHT_PER_BLOCK
                        and len(cmpct_nodestate.vBlocksInFlight) < MAX_BLOCKS_IN_TRANSIT_PER_PEER
                    ) or requested_block_from_this_peer:
                        queuedBlockIt: list[QueuedBlock] = []
                        if not self.BlockRequested(peer.m_id, pindex, queuedBlockIt):
                            if queuedBlockIt[0].partialBlock is None:
                                queuedBlockIt[0].partialBlock = PartiallyDownloadedBlock(
                                    self.m_mempool
                                )
                            else:
                                # The block was already in flight using compact blocks from the
                                # same peer
                                LogDebug(
                                    BCLog.NET,
                                    "Peer sent us compact block we were already syncing!\n",
                                )
                                return

                        partialBlock = queuedBlockIt[0].partialBlock
                        assert partialBlock is not None
                        status = partialBlock.InitData(cmpctblock, self.vExtraTxnForCompact)
                        if status == READ_STATUS_INVALID:
                            # Reset in-flight state in case Misbehaving does not result in a
                            # disconnect
                            self.RemoveBlockRequest(pindex.GetBlockHash(), peer.m_id)
                            self.Misbehaving(peer, "invalid compact block")
                            return
                        elif status == READ_STATUS_FAILED:
                            if first_in_flight:
                                # Duplicate txindexes, the block is now in-flight, so just
                                # request it
                                cmpct_vInv = [CInv(MSG_BLOCK | self.GetFetchFlags(peer), blockhash)]
                                self.MakeAndPushMessage(
                                    peer,
                                    NetMsgType.GETDATA,
                                    ser_vector(cmpct_vInv, CInv.serialize),
                                )
                            else:
                                # Give up for this peer and wait for other peer(s)
                                self.RemoveBlockRequest(pindex.GetBlockHash(), peer.m_id)
                            return

                        cmpct_req = BlockTransactionsRequest()
                        for i in range(cmpctblock.BlockTxCount()):
                            if not partialBlock.IsTxAvailable(i):
                                cmpct_req.indexes.append(i)
                        if not cmpct_req.indexes:
                            fProcessBLOCKTXN = True
                        elif first_in_flight:
                            # We will try to round-trip any compact blocks we get on failure,
                            # as long as it's first...
                            cmpct_req.blockhash = pindex.GetBlockHash()
                            self.MakeAndPushMessage(
                                peer, NetMsgType.GETBLOCKTXN, cmpct_req.serialize()
                            )
                        elif peer.m_bip152_highbandwidth_to and (
                            not peer.IsInboundConn()
                            or self.IsBlockRequestedFromOutbound(blockhash)
                            or already_in_flight < MAX_CMPCTBLOCKS_INFLIGHT_PER_BLOCK - 1
                        ):
                            # ... or it's a hb relay peer and: the peer is outbound, or an
                            # outbound attempt is in flight already (we take what we can get),
                            # or it's not the final parallel download slot (which we may
                            # reserve for the first outbound)
                            cmpct_req.blockhash = pindex.GetBlockHash()
                            self.MakeAndPushMessage(
                                peer, NetMsgType.GETBLOCKTXN, cmpct_req.serialize()
                            )
                        else:
                            # Give up for this peer and wait for other peer(s)
                            self.RemoveBlockRequest(pindex.GetBlockHash(), peer.m_id)
                    else:
                        # The block is in flight from a different peer, or this peer has too
                        # many blocks outstanding: optimistically try to reconstruct anyway,
                        # since we might be able to without any round trips.
                        tempBlock = PartiallyDownloadedBlock(self.m_mempool)
                        status = tempBlock.InitData(cmpctblock, self.vExtraTxnForCompact)
                        if status != READ_STATUS_OK:
                            # TODO: don't ignore failures
                            return
                        status = tempBlock.FillBlock(
                            cmpct_block,
                            [],
                            DeploymentActiveAfter(
                                cmpct_prev_block, self.m_chainman, Consensus.DEPLOYMENT_SEGWIT
                            ),
                        )
                        if status == READ_STATUS_OK:
                            fBlockReconstructed = True
                else:
                    if requested_block_from_this_peer:
                        # We requested this block, but it's far into the future, so our mempool
                        # will probably be useless - request the block normally
                        cmpct_vInv = [CInv(MSG_BLOCK | self.GetFetchFlags(peer), blockhash)]
                        self.MakeAndPushMessage(
                            peer, NetMsgType.GETDATA, ser_vector(cmpct_vInv, CInv.serialize)
                        )
                        return
                    else:
                        # If this was an announce-cmpctblock, we want the same treatment as a
                        # header message
                        fRevertToHeaderProcessing = True
            # release cs_main

            if fProcessBLOCKTXN:
                self.ProcessCompactBlockTxns(peer, BlockTransactions(blockhash, []))
                return

            if fRevertToHeaderProcessing:
                # Headers from HB compact block peers may be relayed before full validation
                # (BIP 152): don't disconnect if the header is for an invalid block. A peer
                # building on an invalid chain is still detected and disconnected.
                self.ProcessHeadersMessage(peer, [cmpctblock.header], True)
                return

            if fBlockReconstructed:
                # We optimistically reconstructed a block that is in flight from another peer.
                with cs_main:
                    self.mapBlockSource.setdefault(cmpct_block.GetHash(), (peer.m_id, False))
                # force_processing bypasses AcceptBlock's filter of unrequested blocks; safe,
                # since we only reconstruct when close to the tip (CanDirectFetch), never
                # download before a chain has the minimum work, and ignore compact blocks with
                # less work than our tip: treat reconstructed blocks as requested.
                self.ProcessBlock(peer, cmpct_block, True, True)
                with cs_main:  # hold cs_main for CBlockIndex::IsValid()
                    if pindex.IsValid(BLOCK_VALID_TRANSACTIONS):
                        # Clear download state for this block, which is in process from some
                        # other peer. Only after ProcessNewBlock, so that a malleated cmpctblock
                        # announcement can't be used to interfere with block relay.
                        self.RemoveBlockRequest(cmpct_block.GetHash(), None)
            return

        if msg_type == NetMsgType.BLOCKTXN:
            # Ignore blocktxn received while importing
            if self.m_chainman.m_blockman.LoadingBlocks():
                LogDebug(
                    BCLog.NET,
                    "Unexpected blocktxn message received from peer %d\n",
                    peer.m_id,
                )
                return

            resp = BlockTransactions.deserialize(vRecv)

            self.ProcessCompactBlockTxns(peer, resp)
            return

        if msg_type == NetMsgType.HEADERS:
            # Ignore headers received while importing
            if self.m_chainman.m_blockman.LoadingBlocks():
                LogDebug(
                    BCLog.NET,
                    "Unexpected headers message received from peer %d\n",
                    peer.m_id,
                )
                return

            # Bypass the normal CBlock deserialization, as we don't want to risk deserializing
            # 2000 full blocks.
            nCount = vRecv.ReadCompactSize()
            if nCount > self.m_opts.max_headers_result:
                self.Misbehaving(peer, f"headers message size = {nCount}")
                return
            headers: list[CBlockHeader] = []
            for _ in range(nCount):
                headers.append(CBlockHeader.deserialize(vRecv))
                vRecv.ReadCompactSize()  # ignore tx count; assume it is 0.

            self.ProcessHeadersMessage(peer, headers, False)

            # Check if the headers presync progress needs to be reported to validation. This
            # needs to be done without holding the m_headers_presync_mutex lock.
            should_signal = self.m_headers_presync_should_signal
            self.m_headers_presync_should_signal = False
            if should_signal:
                presync_stats: HeadersPresyncStats = (0, None)
                with self.m_headers_presync_mutex:
                    best_stats = self.m_headers_presync_stats.get(self.m_headers_presync_bestpeer)
                    if best_stats is not None:
                        presync_stats = best_stats
                if presync_stats[1] is not None:
                    self.m_chainman.ReportHeadersPresync(
                        presync_stats[0], presync_stats[1][0], presync_stats[1][1]
                    )
            return

        if msg_type == NetMsgType.BLOCK:
            # Ignore block received while importing
            if self.m_chainman.m_blockman.LoadingBlocks():
                LogDebug(BCLog.NET, "Unexpected block message received from peer %d\n", peer.m_id)
                return

            pblock = CBlock.deserialize(vRecv)

            LogDebug(
                BCLog.NET,
                "received block %s peer=%d\n",
                pblock.GetHash().ToString(),
                peer.m_id,
            )

            with self.m_chainman.GetMutex():
                prev_block = self.m_chainman.m_blockman.LookupBlockIndex(pblock.hashPrevBlock)

            # Check for possible mutation if it connects to something we know so we can check
            # for DEPLOYMENT_SEGWIT being active
            if prev_block is not None and IsBlockMutated(
                pblock,
                DeploymentActiveAfter(prev_block, self.m_chainman, Consensus.DEPLOYMENT_SEGWIT),
            ):
                LogDebug(BCLog.NET, "Received mutated block from peer=%d\n", peer.m_id)
                self.Misbehaving(peer, "mutated block")
                with cs_main:
                    self.RemoveBlockRequest(pblock.GetHash(), peer.m_id)
                return

            forceProcessing = False
            block_hash = pblock.GetHash()
            min_pow_checked = False
            with cs_main:
                # Always process the block if we requested it, since we may need it even when
                # it's not a candidate for a new best tip.
                forceProcessing = self.IsBlockRequested(block_hash)
                self.RemoveBlockRequest(block_hash, peer.m_id)
                # mapBlockSource is only used for punishing peers and setting which peers send
                # us compact blocks, so the race between here and cs_main in ProcessNewBlock is
                # fine.
                self.mapBlockSource.setdefault(block_hash, (peer.m_id, True))

                # Check claimed work on this block against our anti-dos thresholds.
                if (
                    prev_block is not None
                    and prev_block.nChainWork
                    + CalculateClaimedHeadersWork([pblock.GetBlockHeader()])
                    >= self.GetAntiDoSWorkThreshold()
                ):
                    min_pow_checked = True
            self.ProcessBlock(peer, pblock, forceProcessing, min_pow_checked)
            return

        if msg_type == NetMsgType.GETADDR:
            # This asymmetric behavior for inbound and outbound connections prevents a
            # fingerprinting attack: an attacker could send specific fake addresses to a node's
            # AddrMan and later request them by sending getaddr. Nodes behind NAT, which only
            # make outgoing connections, thus ignore getaddr.
            if not peer.IsInboundConn():
                LogDebug(
                    BCLog.NET,
                    'Ignoring "getaddr" from %s connection. peer=%d\n',
                    peer.ConnectionTypeAsString(),
                    peer.m_id,
                )
                return

            # Since this must be an inbound connection, SetupAddressRelay will never fail.
            self.SetupAddressRelay(peer)

            # Only send one GetAddr response per connection to reduce resource waste and
            # discourage addr stamping of INV announcements.
            if peer.m_getaddr_recvd:
                LogDebug(BCLog.NET, 'Ignoring repeated "getaddr". peer=%d\n', peer.m_id)
                return
            peer.m_getaddr_recvd = True

            peer.m_addrs_to_send.clear()
            if peer.HasPermission(NetPermissionFlags.Addr):
                getaddr_addrs = self.m_connman.GetAddressesUnsafe(
                    MAX_ADDR_TO_SEND, MAX_PCT_ADDR_TO_SEND, None
                )
            else:
                getaddr_addrs = self.m_connman.GetAddresses(
                    peer.m_id, MAX_ADDR_TO_SEND, MAX_PCT_ADDR_TO_SEND
                )
            for getaddr_addr in getaddr_addrs:
                self.PushAddress(peer, getaddr_addr)
            return

        if msg_type == NetMsgType.MEMPOOL:
            # Only process received mempool messages if we advertise NODE_BLOOM or if the peer
            # has mempool permissions.
            if not (peer.m_our_services & NODE_BLOOM) and not peer.HasPermission(
                NetPermissionFlags.Mempool
            ):
                if not peer.HasPermission(NetPermissionFlags.NoBan):
                    LogDebug(
                        BCLog.NET,
                        "mempool request with bloom filters disabled, %s\n",
                        peer.DisconnectMsg(common.logging.fLogIPs),
                    )
                    self.RequestDisconnect(peer)
                return

            if self.m_connman.OutboundTargetReached(False) and not peer.HasPermission(
                NetPermissionFlags.Mempool
            ):
                if not peer.HasPermission(NetPermissionFlags.NoBan):
                    LogDebug(
                        BCLog.NET,
                        "mempool request with bandwidth limit reached, %s\n",
                        peer.DisconnectMsg(common.logging.fLogIPs),
                    )
                    self.RequestDisconnect(peer)
                return

            mempool_tx_relay = peer.GetTxRelay()
            if mempool_tx_relay is not None:
                with mempool_tx_relay.m_tx_inventory_mutex:
                    mempool_tx_relay.m_send_mempool = True
            return

        if msg_type == NetMsgType.PING:
            if peer.GetCommonVersion() > BIP0031_VERSION:
                nonce = vRecv.read_u64()
                # Echo the message back with the nonce. This allows for two useful features:
                #
                # 1) A remote node can quickly check if the connection is operational
                # 2) Remote nodes can measure the latency of the network thread. If this node is
                #    overloaded it won't respond to pings quickly and the remote node can avoid
                #    sending us more work, like chain download requests.
                #
                # The nonce stops the remote getting confused between different pings: without
                # it, if the remote node sends a ping once per second and this node takes 5
                # seconds to respond to each, the 5th ping the remote sends would appear to
                # return very quickly.
                self.MakeAndPushMessage(peer, NetMsgType.PONG, ser_u64(nonce))
            return

        if msg_type == NetMsgType.PONG:
            ping_end = time_received
            pong_nonce = 0
            nAvail = vRecv.size()
            bPingFinished = False
            sProblem = ""

            if nAvail >= 8:
                pong_nonce = vRecv.read_u64()

                # Only process pong message if there is an outstanding ping (old ping without
                # nonce should never pong)
                if peer.m_ping_nonce_sent != 0:
                    if pong_nonce == peer.m_ping_nonce_sent:
                        # Matching pong received, this ping is no longer outstanding
                        bPingFinished = True
                        ping_time = ping_end - peer.m_ping_start
                        if ping_time >= 0:
                            # Let connman know about this successful ping-pong
                            peer.PongReceived(ping_time)
                        else:
                            # This should never happen
                            sProblem = "Timing mishap"
                    else:
                        # Nonce mismatches are normal when pings are overlapping
                        sProblem = "Nonce mismatch"
                        if pong_nonce == 0:
                            # This is most likely a bug in another implementation somewhere;
                            # cancel this ping
                            bPingFinished = True
                            sProblem = "Nonce zero"
                else:
                    sProblem = "Unsolicited pong without ping"
            else:
                # This is most likely a bug in another implementation somewhere; cancel this ping
                bPingFinished = True
                sProblem = "Short payload"

            if sProblem:
                LogDebug(
                    BCLog.NET,
                    "pong peer=%d: %s, %x expected, %x received, %u bytes\n",
                    peer.m_id,
                    sProblem,
                    peer.m_ping_nonce_sent,
                    pong_nonce,
                    nAvail,
                )
            if bPingFinished:
                peer.m_ping_nonce_sent = 0
            return

        if msg_type == NetMsgType.FILTERLOAD:
            if not (peer.m_our_services & NODE_BLOOM):
                LogDebug(
                    BCLog.NET,
                    "filterload received despite not offering bloom services, %s\n",
                    peer.DisconnectMsg(common.logging.fLogIPs),
                )
                self.RequestDisconnect(peer)
                return
            bloom_filter = CBloomFilter.deserialize(vRecv)

            if not bloom_filter.IsWithinSizeConstraints():
                # There is no excuse for sending a too-large filter
                self.Misbehaving(peer, "too-large bloom filter")
            else:
                filterload_tx_relay = peer.GetTxRelay()
                if filterload_tx_relay is not None:
                    with filterload_tx_relay.m_bloom_filter_mutex:
                        filterload_tx_relay.m_bloom_filter = bloom_filter
                        filterload_tx_relay.m_relay_txs = True
                    peer.m_bloom_filter_loaded = True
                    peer.m_relays_txs = True
            return

        if msg_type == NetMsgType.FILTERADD:
            if not (peer.m_our_services & NODE_BLOOM):
                LogDebug(
                    BCLog.NET,
                    "filteradd received despite not offering bloom services, %s\n",
                    peer.DisconnectMsg(common.logging.fLogIPs),
                )
                self.RequestDisconnect(peer)
                return
            vData = vRecv.read_bytes()

            # Nodes must NEVER send a data item > MAX_SCRIPT_ELEMENT_SIZE bytes (the max size
            # for a script data object, and thus, the maximum size any matched object can have)
            # in a filteradd message
            bad = False
            if len(vData) > MAX_SCRIPT_ELEMENT_SIZE:
                bad = True
            else:
                filteradd_tx_relay = peer.GetTxRelay()
                if filteradd_tx_relay is not None:
                    with filteradd_tx_relay.m_bloom_filter_mutex:
                        if filteradd_tx_relay.m_bloom_filter is not None:
                            filteradd_tx_relay.m_bloom_filter.insert(vData)
                        else:
                            bad = True
            if bad:
                self.Misbehaving(peer, "bad filteradd message")
            return

        if msg_type == NetMsgType.FILTERCLEAR:
            if not (peer.m_our_services & NODE_BLOOM):
                LogDebug(
                    BCLog.NET,
                    "filterclear received despite not offering bloom services, %s\n",
                    peer.DisconnectMsg(common.logging.fLogIPs),
                )
                self.RequestDisconnect(peer)
                return
            filterclear_tx_relay = peer.GetTxRelay()
            if filterclear_tx_relay is None:
                return

            with filterclear_tx_relay.m_bloom_filter_mutex:
                filterclear_tx_relay.m_bloom_filter = None
                filterclear_tx_relay.m_relay_txs = True
            peer.m_bloom_filter_loaded = False
            peer.m_relays_txs = True
            return

        if msg_type == NetMsgType.FEEFILTER:
            newFeeFilter = vRecv.read_i64()
            if MoneyRange(newFeeFilter):
                feefilter_tx_relay = peer.GetTxRelay()
                if feefilter_tx_relay is not None:
                    feefilter_tx_relay.m_fee_filter_received = newFeeFilter
                LogDebug(
                    BCLog.NET,
                    "received: feefilter of %s from peer=%d\n",
                    CFeeRate(newFeeFilter).ToString(),
                    peer.m_id,
                )
            return

        if msg_type == NetMsgType.GETCFILTERS:
            self.ProcessGetCFilters(peer, vRecv)
            return

        if msg_type == NetMsgType.GETCFHEADERS:
            self.ProcessGetCFHeaders(peer, vRecv)
            return

        if msg_type == NetMsgType.GETCFCHECKPT:
            self.ProcessGetCFCheckPt(peer, vRecv)
            return

        if msg_type == NetMsgType.NOTFOUND:
            notfound_inv: list[CInv] = vRecv.read_vector(CInv.deserialize)
            tx_invs: list[GenTxid] = []
            if len(notfound_inv) <= MAX_PEER_TX_ANNOUNCEMENTS + MAX_BLOCKS_IN_TRANSIT_PER_PEER:
                for inv in notfound_inv:
                    if inv.IsGenTxMsg():
                        tx_invs.append(ToGenTxid(inv))
            with self.m_tx_download_mutex:
                self.m_txdownloadman.ReceivedNotFound(peer.m_id, tx_invs)
            return

        # Ignore unknown commands for extensibility
        LogDebug(
            BCLog.NET,
            'Unknown command "%s" from peer=%d\n',
            SanitizeString(msg_type),
            peer.m_id,
        )
        return

    def MaybeDiscourageAndDisconnect(self, peer: Peer) -> bool:
        """Disconnect a misbehaving peer and discourage its address, with upstream's exemptions.
        True if the peer was marked for disconnection here."""
        with peer.m_misbehavior_mutex:
            # There's nothing to do if the m_should_discourage flag isn't set
            if not peer.m_should_discourage:
                return False

            peer.m_should_discourage = False

        if peer.HasPermission(NetPermissionFlags.NoBan):
            # We never disconnect or discourage peers for bad behavior if they have
            # NetPermissionFlags::NoBan permission
            LogPrintf("Warning: not punishing noban peer %d!\n", peer.m_id)
            return False

        if peer.IsManualConn():
            # We never disconnect or discourage manual peers for bad behavior
            LogPrintf("Warning: not punishing manually connected peer %d!\n", peer.m_id)
            return False

        if peer.addr.IsLocal():
            # We disconnect local peers for bad behavior but don't discourage (since that would
            # discourage all peers on the same local address)
            LogDebug(
                BCLog.NET,
                "Warning: disconnecting but not discouraging %s peer %d!\n",
                "inbound onion" if peer.m_inbound_onion else "local",
                peer.m_id,
            )
            self.RequestDisconnect(peer)
            return True

        # Normal case: Disconnect the peer and discourage all nodes sharing the address
        LogDebug(BCLog.NET, "Disconnecting and discouraging peer %d!\n", peer.m_id)
        if self.m_banman is not None:
            self.m_banman.Discourage(peer.addr)
        self.m_connman.DisconnectNode(peer.addr)
        return True

    def ProcessMessages(self, nodeid: NodeId, interruptMsgProc: threading.Event) -> bool:
        """Serve queued getdata, then process at most one message. True if there is more work.
        Requires g_msgproc_mutex."""
        peer: Peer | None = self.GetPeerRef(nodeid)
        if peer is None:
            return False

        # For outbound connections, ensure that the initial VERSION message has been sent first
        # before processing any incoming messages
        if not peer.IsInboundConn() and not peer.m_outbound_version_message_sent:
            return False

        with peer.m_getdata_requests_mutex:
            if peer.m_getdata_requests:
                self.ProcessGetData(peer, interruptMsgProc)

        processed_orphan = self.ProcessOrphanTx(peer)

        if peer.m_disconnecting:
            return False

        if processed_orphan:
            return True

        # this maintains the order of responses and prevents m_getdata_requests to grow unbounded
        with peer.m_getdata_requests_mutex:
            if peer.m_getdata_requests:
                return True

        # Don't bother if send buffer is too full to respond anyway
        if peer.m_send_buffer_full:
            return False

        poll_result = self.m_connman.PollMessage(peer.m_id)
        if poll_result is None:
            # No message to process
            return False

        msg, fMoreWork = poll_result

        if self.m_opts.capture_messages:
            # DataStream has no peek: take the payload and give the message a fresh stream.
            payload = msg.m_recv.read_rest()
            msg.m_recv = DataStream(payload)
            self.m_connman.CaptureMessage(peer.addr, msg.m_type, payload, True)

        try:
            self.ProcessMessage(peer, msg.m_type, msg.m_recv, msg.m_time, interruptMsgProc)
            if interruptMsgProc.is_set():
                return False
            with peer.m_getdata_requests_mutex:
                if peer.m_getdata_requests:
                    fMoreWork = True
            # Does this peer have an orphan ready to reconsider? (A parent provided here for
            # another peer's orphan may go unnoticed, costing at most a 100ms delay.)
            with self.m_tx_download_mutex:
                if self.m_txdownloadman.HaveMoreWork(peer.m_id):
                    fMoreWork = True
        except Exception as e:
            LogDebug(
                BCLog.NET,
                "%s(%s, %u bytes): Exception '%s' (%s) caught\n",
                "ProcessMessages",
                SanitizeString(msg.m_type),
                msg.m_message_size,
                e,
                type(e).__name__,
            )

        return fMoreWork

    def ConsiderEviction(self, peer: Peer, time_in_seconds: int) -> None:
        """Consider evicting an outbound peer whose best known block has stayed behind our tip:
        CHAIN_SYNC_TIMEOUT, then one getheaders and HEADERS_RESPONSE_TIME, then disconnect."""
        state = self.State(peer.m_id)
        assert state is not None
        tip = self.m_chainman.ActiveChain().Tip()
        assert tip is not None

        if (
            not state.m_chain_sync.m_protect
            and peer.IsOutboundOrBlockRelayConn()
            and state.fSyncStarted
        ):
            # This is an outbound peer subject to disconnection if they don't announce a block
            # with as much work as the current tip within CHAIN_SYNC_TIMEOUT +
            # HEADERS_RESPONSE_TIME seconds (note: if their chain has more work than ours, we
            # should sync to it, unless it's invalid, in which case we should find that out and
            # disconnect from them elsewhere).
            if (
                state.pindexBestKnownBlock is not None
                and state.pindexBestKnownBlock.nChainWork >= tip.nChainWork
            ):
                # The outbound peer has sent us a block with at least as much work as our
                # current tip, so reset the timeout if it was set
                if state.m_chain_sync.m_timeout != 0:
                    state.m_chain_sync.m_timeout = 0
                    state.m_chain_sync.m_work_header = None
                    state.m_chain_sync.m_sent_getheaders = False
            elif state.m_chain_sync.m_timeout == 0 or (
                state.m_chain_sync.m_work_header is not None
                and state.pindexBestKnownBlock is not None
                and state.pindexBestKnownBlock.nChainWork
                >= state.m_chain_sync.m_work_header.nChainWork
            ):
                # Our peer's tip is behind ours (or it never sent one), and either we notice
                # this for the first time, or it caught up with the tip we measured against but
                # we have advanced since. Either way, set a new timeout based on our current tip.
                state.m_chain_sync.m_timeout = time_in_seconds + CHAIN_SYNC_TIMEOUT
                state.m_chain_sync.m_work_header = tip
                state.m_chain_sync.m_sent_getheaders = False
            elif (
                state.m_chain_sync.m_timeout > 0 and time_in_seconds > state.m_chain_sync.m_timeout
            ):
                # No evidence yet that our peer has synced to a chain with work equal to that of
                # our tip, when we first detected it was behind. Send a single getheaders message
                # to give the peer a chance to update us.
                if state.m_chain_sync.m_sent_getheaders:
                    # They've run out of time to catch up!
                    LogInfo(
                        "Outbound peer has old chain, best known block = %s, %s\n",
                        state.pindexBestKnownBlock.GetBlockHash().ToString()
                        if state.pindexBestKnownBlock is not None
                        else "<none>",
                        peer.DisconnectMsg(common.logging.fLogIPs),
                    )
                    self.RequestDisconnect(peer)
                else:
                    work_header = state.m_chain_sync.m_work_header
                    assert work_header is not None
                    # Here, we assume that the getheaders message goes out, because it'll either
                    # go out or be skipped because of a getheaders in-flight already, in which
                    # case the peer should still respond to us with a sufficiently high work
                    # chain tip.
                    self.MaybeSendGetHeaders(GetLocator(work_header.pprev), peer)
                    LogDebug(
                        BCLog.NET,
                        "sending getheaders to outbound peer=%d to verify chain work (current "
                        "best known block:%s, benchmark blockhash: %s)\n",
                        peer.m_id,
                        state.pindexBestKnownBlock.GetBlockHash().ToString()
                        if state.pindexBestKnownBlock is not None
                        else "<none>",
                        work_header.GetBlockHash().ToString(),
                    )
                    state.m_chain_sync.m_sent_getheaders = True
                    # Bump the timeout to allow a response, which could clear the timeout (if
                    # the response shows the peer has synced), reset the timeout (if the peer
                    # syncs to the required work but not to our tip), or result in disconnect (if
                    # we advance to the timeout and pindexBestKnownBlock has not sufficiently
                    # progressed)
                    state.m_chain_sync.m_timeout = time_in_seconds + HEADERS_RESPONSE_TIME

    def EvictExtraOutboundPeers(self, now: int) -> None:
        """If we have extra outbound peers, disconnect the one that least recently announced a
        block. ``now`` in seconds. Requires cs_main."""
        # If we have any extra block-relay-only peers, disconnect the youngest unless it's given
        # us a block -- in which case, compare with the second-youngest, and out of those two,
        # disconnect the peer who least recently gave us a block. The youngest block-relay-only
        # peer would be the extra peer we connected to temporarily in order to sync our tip; see
        # net.cpp. Note that we use higher nodeid as a measure for most recent connection.
        if self.m_connman.GetExtraBlockRelayCount() > 0:
            youngest_peer: tuple[NodeId, int] = (NodeId(-1), 0)
            next_youngest_peer: tuple[NodeId, int] = (NodeId(-1), 0)

            def find_youngest(peer: Peer) -> None:
                nonlocal youngest_peer, next_youngest_peer
                if not peer.IsBlockOnlyConn() or peer.m_disconnecting:
                    return
                if peer.m_id > youngest_peer[0]:
                    next_youngest_peer = youngest_peer
                    youngest_peer = (peer.m_id, peer.m_last_block_time)

            self.ForEachPeer(find_youngest)
            to_disconnect = youngest_peer[0]
            if youngest_peer[1] > next_youngest_peer[1]:
                # Our newest block-relay-only peer gave us a block more recently; disconnect our
                # second youngest.
                to_disconnect = next_youngest_peer[0]

            def evict_block_relay(peer: Peer) -> bool:
                # Make sure we're not getting a block right now, and that we've been connected
                # long enough for this eviction to happen at all. Note that we only request
                # blocks from a peer if we learn of a valid headers chain with at least as much
                # work as our tip.
                node_state = self.State(peer.m_id)
                if node_state is None or (
                    now - peer.m_connected >= MINIMUM_CONNECT_TIME
                    and not node_state.vBlocksInFlight
                ):
                    self.RequestDisconnect(peer)
                    LogDebug(
                        BCLog.NET,
                        "disconnecting extra block-relay-only peer=%d (last block received at "
                        "time %d)\n",
                        peer.m_id,
                        peer.m_last_block_time,
                    )
                    return True
                else:
                    LogDebug(
                        BCLog.NET,
                        "keeping block-relay-only peer=%d chosen for eviction (connect time: %d, "
                        "blocks_in_flight: %d)\n",
                        peer.m_id,
                        peer.m_connected,
                        len(node_state.vBlocksInFlight),
                    )
                return False

            self.ForPeer(to_disconnect, evict_block_relay)

        # Check whether we have too many outbound-full-relay peers
        if self.m_connman.GetExtraFullOutboundCount() > 0:
            # If we have more outbound-full-relay peers than we target, disconnect one. Pick the
            # outbound-full-relay peer that least recently announced us a new block, with ties
            # broken by choosing the more recent connection (higher node id). Protect peers from
            # eviction if we don't have another connection to their network, counting both
            # outbound-full-relay and manual peers.
            worst_peer = NodeId(-1)
            oldest_block_announcement = (1 << 63) - 1  # std::numeric_limits<int64_t>::max()

            def find_worst(peer: Peer) -> None:
                nonlocal worst_peer, oldest_block_announcement
                # Only consider outbound-full-relay peers that are not already marked for
                # disconnection
                if not peer.IsFullOutboundConn() or peer.m_disconnecting:
                    return
                state = self.State(peer.m_id)
                if state is None:
                    return  # shouldn't be possible, but just in case
                # Don't evict our protected peers
                if state.m_chain_sync.m_protect:
                    return
                # If this is the only connection on a particular network that is
                # OUTBOUND_FULL_RELAY or MANUAL, protect it.
                if not self.m_connman.MultipleManualOrFullOutboundConns(peer.addr.GetNetwork()):
                    return
                if state.m_last_block_announcement < oldest_block_announcement or (
                    state.m_last_block_announcement == oldest_block_announcement
                    and peer.m_id > worst_peer
                ):
                    worst_peer = peer.m_id
                    oldest_block_announcement = state.m_last_block_announcement

            self.ForEachPeer(find_worst)
            if worst_peer != -1:

                def evict_full_outbound(peer: Peer) -> bool:
                    # Only disconnect a peer that has been connected to us for some reasonable
                    # fraction of our check-frequency, to give it time for new information to
                    # have arrived. Also don't disconnect any peer we're trying to download a
                    # block from.
                    state = self.State(peer.m_id)
                    assert state is not None
                    if now - peer.m_connected > MINIMUM_CONNECT_TIME and not state.vBlocksInFlight:
                        LogDebug(
                            BCLog.NET,
                            "disconnecting extra outbound peer=%d (last block announcement "
                            "received at time %d)\n",
                            peer.m_id,
                            oldest_block_announcement,
                        )
                        self.RequestDisconnect(peer)
                        return True
                    else:
                        LogDebug(
                            BCLog.NET,
                            "keeping outbound peer=%d chosen for eviction (connect time: %d, "
                            "blocks_in_flight: %d)\n",
                            peer.m_id,
                            peer.m_connected,
                            len(state.vBlocksInFlight),
                        )
                        return False

                disconnected = self.ForPeer(worst_peer, evict_full_outbound)
                if disconnected:
                    # If we disconnected an extra peer, that means we successfully connected to
                    # at least one peer after the last time we detected a stale tip. Don't try
                    # any more extra peers until we next detect a stale tip, to limit the load we
                    # put on the network from these extra connections.
                    self.m_connman.SetTryNewOutboundPeer(False)

    def CheckForStaleTipAndEvictPeers(self) -> None:
        with cs_main:
            now = GetTime()

            self.EvictExtraOutboundPeers(now)

            if now > self.m_stale_tip_check_time:
                # Check whether our tip is stale, and if so, allow using an extra outbound peer
                if (
                    not self.m_chainman.m_blockman.LoadingBlocks()
                    and self.m_connman.GetNetworkActive()
                    and self.m_connman.GetUseAddrmanOutgoing()
                    and self.TipMayBeStale()
                ):
                    LogPrintf(
                        "Potential stale tip detected, will try using extra outbound peer (last "
                        "tip update: %d seconds ago)\n",
                        now - self.m_last_tip_update,
                    )
                    self.m_connman.SetTryNewOutboundPeer(True)
                elif self.m_connman.GetTryNewOutboundPeer():
                    self.m_connman.SetTryNewOutboundPeer(False)
                self.m_stale_tip_check_time = now + STALE_CHECK_INTERVAL

            if not self.m_initial_sync_finished and self.CanDirectFetch():
                self.m_connman.StartExtraBlockRelayPeers()
                self.m_initial_sync_finished = True

    def MaybeSendPing(self, peer: Peer, now: int) -> None:
        """Send a ping every PING_INTERVAL or when RPC asked for one; disconnect a peer whose
        ping went unanswered for TIMEOUT_INTERVAL. ``now`` (microseconds) is mockable, so
        setmocktime may time pings out."""
        if (
            self.m_connman.ShouldRunInactivityChecks(peer.m_id, now // 1_000_000)
            and peer.m_ping_nonce_sent
            and now > peer.m_ping_start + TIMEOUT_INTERVAL * 1_000_000
        ):
            # The ping timeout is using mocktime. To disable the check during testing, increase
            # -peertimeout.
            LogDebug(
                BCLog.NET,
                "ping timeout: %fs, %s",
                0.000001 * (now - peer.m_ping_start),
                peer.DisconnectMsg(common.logging.fLogIPs),
            )
            self.RequestDisconnect(peer)
            return

        pingSend = False

        if peer.m_ping_queued:
            # RPC ping request by user
            pingSend = True

        if peer.m_ping_nonce_sent == 0 and now > peer.m_ping_start + PING_INTERVAL:
            # Ping automatically sent as a latency probe & keepalive.
            pingSend = True

        if pingSend:
            nonce = 0
            while nonce == 0:
                nonce = FastRandomContext().rand64()
            peer.m_ping_queued = False
            peer.m_ping_start = now
            if peer.GetCommonVersion() > BIP0031_VERSION:
                peer.m_ping_nonce_sent = nonce
                self.MakeAndPushMessage(peer, NetMsgType.PING, ser_u64(nonce))
            else:
                # Peer is too old to support ping command with nonce, pong will never arrive.
                peer.m_ping_nonce_sent = 0
                self.MakeAndPushMessage(peer, NetMsgType.PING)

    def MaybeSendAddr(self, peer: Peer, current_time: int) -> None:
        """Send ``addr`` messages on a Poisson schedule, and our own address about daily.
        ``current_time`` in microseconds."""
        # Nothing to do for non-address-relay peers
        if not peer.m_addr_relay_enabled:
            return
        addr_known = peer.m_addr_known
        assert addr_known is not None

        with peer.m_addr_send_times_mutex:
            # Periodically advertise our local address to the peer.
            if (
                self.m_connman.GetListen()
                and not self.m_chainman.IsInitialBlockDownload()
                and peer.m_next_local_addr_send < current_time
            ):
                # If we've sent before, clear the bloom filter for the peer, so that our
                # self-announcement will actually go out. This might be unnecessary if the bloom
                # filter has already rolled over since our last self-announcement, but there is
                # only a small bandwidth cost that we can incur by doing this (which happens once
                # a day on average).
                if peer.m_next_local_addr_send != 0:
                    addr_known.reset()
                local_service = self.m_connman.GetLocalAddrForPeer(peer.m_id, peer.GetAddrLocal())
                if local_service is not None:
                    local_addr = CAddress(local_service, peer.m_our_services, GetTime())
                    self.PushAddress(peer, local_addr)
                peer.m_next_local_addr_send = current_time + self.m_rng.rand_exp_duration(
                    AVG_LOCAL_ADDRESS_BROADCAST_INTERVAL
                )

            # We sent an `addr` message to this peer recently. Nothing more to do.
            if current_time <= peer.m_next_addr_send:
                return

            peer.m_next_addr_send = current_time + self.m_rng.rand_exp_duration(
                AVG_ADDRESS_BROADCAST_INTERVAL
            )

            if len(peer.m_addrs_to_send) > MAX_ADDR_TO_SEND:
                # Should be impossible since we always check size before adding to
                # m_addrs_to_send. Recover by trimming the vector.
                del peer.m_addrs_to_send[MAX_ADDR_TO_SEND:]

            # Remove addr records that the peer already knows about, and add new addrs to the
            # m_addr_known filter on the same pass.
            def addr_already_known(addr: CAddress) -> bool:
                ret = addr_known.contains(addr.GetKey())
                if not ret:
                    addr_known.insert(addr.GetKey())
                return ret

            peer.m_addrs_to_send[:] = [
                addr for addr in peer.m_addrs_to_send if not addr_already_known(addr)
            ]

            # No addr messages to send
            if not peer.m_addrs_to_send:
                return

            if peer.m_wants_addrv2:
                self.MakeAndPushMessage(
                    peer,
                    NetMsgType.ADDRV2,
                    ser_vector(peer.m_addrs_to_send, lambda a: a.serialize(CAddress.V2_NETWORK)),
                )
            else:
                self.MakeAndPushMessage(
                    peer,
                    NetMsgType.ADDR,
                    ser_vector(peer.m_addrs_to_send, lambda a: a.serialize(CAddress.V1_NETWORK)),
                )
            peer.m_addrs_to_send.clear()

    def MaybeSendSendHeaders(self, peer: Peer) -> None:
        """Send a single ``sendheaders`` (BIP 130) once initial headers sync with this peer is
        done: headers announcements during that sync would confuse its state tracking."""
        if not peer.m_sent_sendheaders and peer.GetCommonVersion() >= SENDHEADERS_VERSION:
            with cs_main:
                state = self.State(peer.m_id)
                assert state is not None
                if (
                    state.pindexBestKnownBlock is not None
                    and state.pindexBestKnownBlock.nChainWork > self.m_chainman.MinimumChainWork()
                ):
                    # Tell our peer we prefer to receive headers rather than inv's. We send this
                    # to non-NODE NETWORK peers as well, because even non-NODE NETWORK peers can
                    # announce blocks (such as pruning nodes)
                    self.MakeAndPushMessage(peer, NetMsgType.SENDHEADERS)
                    peer.m_sent_sendheaders = True

    def MaybeSendFeefilter(self, peer: Peer, current_time: int) -> None:
        """Send ``feefilter`` (BIP133) on a Poisson schedule, sooner after a big change.
        ``current_time`` in microseconds."""
        if self.m_opts.ignore_incoming_txs:
            return
        if peer.GetCommonVersion() < FEEFILTER_VERSION:
            return
        # peers with the forcerelay permission should not filter txs to us
        if peer.HasPermission(NetPermissionFlags.ForceRelay):
            return
        # Don't send feefilter messages to outbound block-relay-only peers since they should
        # never announce transactions to us, regardless of feefilter state.
        if peer.IsBlockOnlyConn():
            return

        currentFilter = self.m_mempool.GetMinFee().GetFeePerK()

        if self.m_chainman.IsInitialBlockDownload():
            # Received tx-inv messages are discarded when the active chainstate is in IBD, so
            # tell the peer to not send them.
            currentFilter = MAX_MONEY
        else:
            # Upstream caches this in a function-local static; MAX_MONEY is above every bucket,
            # so rounding it always yields the top bucket and draws no randomness.
            MAX_FILTER = self.m_fee_filter_rounder.round(MAX_MONEY)
            if peer.m_fee_filter_sent == MAX_FILTER:
                # Send the current filter if we sent MAX_FILTER previously and made it out of
                # IBD.
                peer.m_next_send_feefilter = 0
        if current_time > peer.m_next_send_feefilter:
            filterToSend = self.m_fee_filter_rounder.round(currentFilter)
            # We always have a fee filter of at least the min relay fee
            filterToSend = max(filterToSend, self.m_mempool.m_opts.min_relay_feerate.GetFeePerK())
            if filterToSend != peer.m_fee_filter_sent:
                self.MakeAndPushMessage(peer, NetMsgType.FEEFILTER, ser_i64(filterToSend))
                peer.m_fee_filter_sent = filterToSend
            peer.m_next_send_feefilter = current_time + self.m_rng.rand_exp_duration(
                AVG_FEEFILTER_BROADCAST_INTERVAL
            )
        # If the fee filter has changed substantially and it's still more than
        # MAX_FEEFILTER_CHANGE_DELAY until scheduled broadcast, then move the broadcast to within
        # MAX_FEEFILTER_CHANGE_DELAY.
        elif current_time + MAX_FEEFILTER_CHANGE_DELAY < peer.m_next_send_feefilter and (
            currentFilter < _div_trunc(3 * peer.m_fee_filter_sent, 4)
            or currentFilter > _div_trunc(4 * peer.m_fee_filter_sent, 3)
        ):
            peer.m_next_send_feefilter = current_time + self.m_rng.randrange(
                MAX_FEEFILTER_CHANGE_DELAY
            )

    def RejectIncomingTxs(self, peer: Peer) -> bool:
        """Whether we reject transactions (and tx invs) from this peer."""
        # block-relay-only peers may never send txs to us
        if peer.IsBlockOnlyConn():
            return True
        if peer.IsFeelerConn():
            return True
        # In -blocksonly mode, peers need the 'relay' permission to send txs to us
        return self.m_opts.ignore_incoming_txs and not peer.HasPermission(NetPermissionFlags.Relay)

    def SetupAddressRelay(self, peer: Peer) -> bool:
        """Whether address relay is permitted with the peer; turns it on (with its m_addr_known
        filter) on first use."""
        # We don't participate in addr relay with outbound block-relay-only connections to
        # prevent providing adversaries with the additional information of addr traffic to infer
        # the link.
        if peer.IsBlockOnlyConn():
            return False

        if not peer.m_addr_relay_enabled:
            peer.m_addr_relay_enabled = True
            # During version message processing (non-block-relay-only outbound peers) or on
            # first addr-related message we have received (inbound peers), initialize
            # m_addr_known.
            peer.m_addr_known = CRollingBloomFilter(5000, 0.001)

        return True

    def SendMessages(self, nodeid: NodeId) -> bool:
        """Everything we send on our own initiative, in upstream's order. Requires
        g_msgproc_mutex."""
        peer: Peer | None = self.GetPeerRef(nodeid)
        if peer is None:
            return False
        consensusParams = self.m_chainparams.GetConsensus()

        # We must call MaybeDiscourageAndDisconnect first, to ensure that we'll disconnect
        # misbehaving peers even before the version handshake is complete.
        if self.MaybeDiscourageAndDisconnect(peer):
            return True

        # Initiate version handshake for outbound connections
        if not peer.IsInboundConn() and not peer.m_outbound_version_message_sent:
            self.PushNodeVersion(peer)
            peer.m_outbound_version_message_sent = True

        # Don't send anything until the version handshake is complete
        if not peer.m_handshake_complete or peer.m_disconnecting:
            return True

        current_time = GetTimeMicros()

        if (
            peer.IsAddrFetchConn()
            and current_time - peer.m_connected * 1_000_000 > 10 * AVG_ADDRESS_BROADCAST_INTERVAL
        ):
            LogDebug(
                BCLog.NET,
                "addrfetch connection timeout, %s\n",
                peer.DisconnectMsg(common.logging.fLogIPs),
            )
            self.RequestDisconnect(peer)
            return True

        self.MaybeSendPing(peer, current_time)

        # MaybeSendPing may have marked peer for disconnection
        if peer.m_disconnecting:
            return True

        self.MaybeSendAddr(peer, current_time)

        self.MaybeSendSendHeaders(peer)

        with cs_main:
            state = self.State(peer.m_id)
            assert state is not None

            # Start block sync
            if self.m_chainman.m_best_header is None:
                self.m_chainman.m_best_header = self.m_chainman.ActiveChain().Tip()
            best_header = self.m_chainman.m_best_header
            assert best_header is not None

            # Determine whether we might try initial headers sync or parallel block download from
            # this peer -- this mostly affects behavior while in IBD (once out of IBD, we sync
            # from all peers).
            sync_blocks_and_headers_from_peer = False
            if state.fPreferredDownload:
                sync_blocks_and_headers_from_peer = True
            elif CanServeBlocks(peer) and not peer.IsAddrFetchConn():  # noqa: SIM102 (upstream's nesting)
                # Typically an inbound peer. If we have no outbound peers, or download no blocks
                # from them, download from this one too: if it is our only source of the latest
                # blocks, we must not wait for an outbound peer forever.
                if self.m_num_preferred_download_peers == 0 or not self.mapBlocksInFlight:
                    sync_blocks_and_headers_from_peer = True

            if (  # noqa: SIM102 (upstream's nesting)
                not state.fSyncStarted
                and CanServeBlocks(peer)
                and not self.m_chainman.m_blockman.LoadingBlocks()
            ):
                # Only actively request headers from a single peer, unless we're close to today.
                if (
                    self.nSyncStarted == 0 and sync_blocks_and_headers_from_peer
                ) or best_header.GetBlockTime() * 1_000_000 > NodeClock.now() - (
                    24 * 60 * 60 * 1_000_000
                ):
                    # Start at the block before our best header if possible, so that an
                    # up-to-date peer answers with at least one header, from which we learn its
                    # best block.
                    pindexStart = best_header
                    if pindexStart.pprev is not None:
                        pindexStart = pindexStart.pprev
                    if self.MaybeSendGetHeaders(GetLocator(pindexStart), peer):
                        LogDebug(
                            BCLog.NET,
                            "initial getheaders (%d) to peer=%d (startheight:%d)\n",
                            pindexStart.nHeight,
                            peer.m_id,
                            peer.m_starting_height,
                        )

                        state.fSyncStarted = True
                        # HEADERS_DOWNLOAD_TIMEOUT_PER_HEADER is scaled in microseconds to keep
                        # precision.
                        peer.m_headers_sync_timeout = (
                            current_time
                            + HEADERS_DOWNLOAD_TIMEOUT_BASE
                            + _div_trunc(
                                HEADERS_DOWNLOAD_TIMEOUT_PER_HEADER
                                * (
                                    (NodeClock.now() - best_header.GetBlockTime() * 1_000_000)
                                    // 1_000_000
                                ),
                                consensusParams.nPowTargetSpacing,
                            )
                        )
                        self.nSyncStarted += 1

            #
            # Try sending block announcements via headers
            #
            with peer.m_block_inv_mutex:
                # With no more than MAX_BLOCKS_TO_ANNOUNCE hashes to relay and a peer that wants
                # headers announcements, send from the first header the peer lacks but that
                # connects. If none would connect, there are too many, or the peer doesn't want
                # headers, queue an inv instead.
                vHeaders: list[CBlockHeader] = []
                fRevertToInv = (
                    not peer.m_prefers_headers
                    and (
                        not state.m_requested_hb_cmpctblocks
                        or len(peer.m_blocks_for_headers_relay) > 1
                    )
                ) or len(peer.m_blocks_for_headers_relay) > MAX_BLOCKS_TO_ANNOUNCE
                pBestIndex: CBlockIndex | None = None  # last header queued for delivery
                # ensure pindexBestKnownBlock is up-to-date
                self.ProcessBlockAvailability(peer.m_id)

                if not fRevertToInv:
                    fFoundStartingHeader = False
                    # Find the first header our peer doesn't have, then send all headers past
                    # that one. Give up on any header not in our active chain.
                    for hash in peer.m_blocks_for_headers_relay:
                        pindex = self.m_chainman.m_blockman.LookupBlockIndex(hash)
                        assert pindex is not None
                        if self.m_chainman.ActiveChain()[pindex.nHeight] is not pindex:
                            # Bail out if we reorged away from this block
                            fRevertToInv = True
                            break
                        if pBestIndex is not None and pindex.pprev is not pBestIndex:
                            # The blocks to announce don't connect to each other. Reorgs should
                            # be caught by the previous check, but invalidateblock /
                            # reconsiderblock repeated on the tip can queue a block twice: fall
                            # back to an inv.
                            fRevertToInv = True
                            break
                        pBestIndex = pindex
                        if fFoundStartingHeader:
                            # add this to the headers message
                            vHeaders.append(pindex.GetBlockHeader())
                        elif PeerHasHeader(state, pindex):
                            continue  # keep looking for the first new block
                        elif pindex.pprev is None or PeerHasHeader(state, pindex.pprev):
                            # Peer doesn't have this header but they do have the prior one.
                            # Start sending headers.
                            fFoundStartingHeader = True
                            vHeaders.append(pindex.GetBlockHeader())
                        else:
                            # Peer doesn't have this header or the prior one -- nothing will
                            # connect, so bail out.
                            fRevertToInv = True
                            break
                if not fRevertToInv and vHeaders:
                    assert pBestIndex is not None
                    if len(vHeaders) == 1 and state.m_requested_hb_cmpctblocks:
                        # We only send up to 1 block as header-and-ids, as otherwise probably
                        # means we're doing an initial-ish-sync or they're slow
                        LogDebug(
                            BCLog.NET,
                            "%s sending header-and-ids %s to peer=%d\n",
                            "SendMessages",
                            vHeaders[0].GetHash().ToString(),
                            peer.m_id,
                        )

                        cached_cmpctblock_msg: bytes | None = None
                        with self.m_most_recent_block_mutex:
                            if (
                                self.m_most_recent_block_hash == pBestIndex.GetBlockHash()
                                and self.m_most_recent_compact_block is not None
                            ):
                                cached_cmpctblock_msg = self.m_most_recent_compact_block.serialize()
                        if cached_cmpctblock_msg is not None:
                            self.MakeAndPushMessage(
                                peer, NetMsgType.CMPCTBLOCK, cached_cmpctblock_msg
                            )
                        else:
                            announce_block = self.m_chainman.m_blockman.ReadBlock(pBestIndex)
                            assert announce_block is not None
                            announce_cmpctblock = CBlockHeaderAndShortTxIDs.FromBlock(
                                announce_block, self.m_rng.rand64()
                            )
                            self.MakeAndPushMessage(
                                peer, NetMsgType.CMPCTBLOCK, announce_cmpctblock.serialize()
                            )
                        state.pindexBestHeaderSent = pBestIndex
                    elif peer.m_prefers_headers:
                        if len(vHeaders) > 1:
                            LogDebug(
                                BCLog.NET,
                                "%s: %u headers, range (%s, %s), to peer=%d\n",
                                "SendMessages",
                                len(vHeaders),
                                vHeaders[0].GetHash().ToString(),
                                vHeaders[-1].GetHash().ToString(),
                                peer.m_id,
                            )
                        else:
                            LogDebug(
                                BCLog.NET,
                                "%s: sending header %s to peer=%d\n",
                                "SendMessages",
                                vHeaders[0].GetHash().ToString(),
                                peer.m_id,
                            )
                        self.MakeAndPushMessage(peer, NetMsgType.HEADERS, _ser_headers(vHeaders))
                        state.pindexBestHeaderSent = pBestIndex
                    else:
                        fRevertToInv = True
                if fRevertToInv:  # noqa: SIM102 (upstream's nesting)
                    # If falling back to using an inv, just try to inv the tip. The last entry
                    # in m_blocks_for_headers_relay was our tip at some point in the past.
                    if peer.m_blocks_for_headers_relay:
                        hashToAnnounce = peer.m_blocks_for_headers_relay[-1]
                        announce_index = self.m_chainman.m_blockman.LookupBlockIndex(hashToAnnounce)
                        assert announce_index is not None

                        # Warn if we're announcing a block that is not on the main chain. This
                        # should be very rare and could be optimized out. Just log for now.
                        if (
                            self.m_chainman.ActiveChain()[announce_index.nHeight]
                            is not announce_index
                        ):
                            LogDebug(
                                BCLog.NET,
                                "Announcing block %s not on main chain (tip=%s)\n",
                                hashToAnnounce.ToString(),
                                _tip_hash_string(self.m_chainman.ActiveChain()),
                            )

                        # If the peer's chain has this block, don't inv it back.
                        if not PeerHasHeader(state, announce_index):
                            peer.m_blocks_for_inv_relay.append(hashToAnnounce)
                            LogDebug(
                                BCLog.NET,
                                "%s: sending inv peer=%d hash=%s\n",
                                "SendMessages",
                                peer.m_id,
                                hashToAnnounce.ToString(),
                            )
                peer.m_blocks_for_headers_relay.clear()

            #
            # Message: inventory
            #
            vInv: list[CInv] = []
            with peer.m_block_inv_mutex:
                # Add blocks
                for hash in peer.m_blocks_for_inv_relay:
                    vInv.append(CInv(MSG_BLOCK, hash))
                    if len(vInv) == MAX_INV_SZ:
                        self.MakeAndPushMessage(
                            peer, NetMsgType.INV, ser_vector(vInv, CInv.serialize)
                        )
                        vInv.clear()
                peer.m_blocks_for_inv_relay.clear()

            tx_relay = peer.GetTxRelay()
            if tx_relay is not None:
                with tx_relay.m_tx_inventory_mutex:
                    # Check whether periodic sends should happen
                    fSendTrickle = peer.HasPermission(NetPermissionFlags.NoBan)
                    if tx_relay.m_next_inv_send_time < current_time:
                        fSendTrickle = True
                        if peer.IsInboundConn():
                            tx_relay.m_next_inv_send_time = self.NextInvToInbounds(
                                current_time, INBOUND_INVENTORY_BROADCAST_INTERVAL
                            )
                        else:
                            tx_relay.m_next_inv_send_time = (
                                current_time
                                + self.m_rng.rand_exp_duration(
                                    OUTBOUND_INVENTORY_BROADCAST_INTERVAL
                                )
                            )

                    # Time to send but the peer has requested we not relay transactions.
                    if fSendTrickle:
                        with tx_relay.m_bloom_filter_mutex:
                            if not tx_relay.m_relay_txs:
                                tx_relay.m_tx_inventory_to_send.clear()

                    # Respond to BIP35 mempool requests
                    if fSendTrickle and tx_relay.m_send_mempool:
                        vtxinfo = self.m_mempool.infoAll()
                        tx_relay.m_send_mempool = False
                        mempool_filterrate = CFeeRate(tx_relay.m_fee_filter_received)

                        with tx_relay.m_bloom_filter_mutex:
                            for txinfo in vtxinfo:
                                mempool_txid = txinfo.tx.GetHash()
                                mempool_wtxid = txinfo.tx.GetWitnessHash()
                                mempool_inv = (
                                    CInv(MSG_WTX, mempool_wtxid)
                                    if peer.m_wtxid_relay
                                    else CInv(MSG_TX, mempool_txid)
                                )
                                tx_relay.m_tx_inventory_to_send.discard(mempool_wtxid)

                                # Don't send transactions that peers will not put into their
                                # mempool
                                if txinfo.fee < mempool_filterrate.GetFee(txinfo.vsize):
                                    continue
                                if (
                                    tx_relay.m_bloom_filter is not None
                                    and not tx_relay.m_bloom_filter.IsRelevantAndUpdate(txinfo.tx)
                                ):
                                    continue
                                tx_relay.m_tx_inventory_known_filter.insert(mempool_inv.hash)
                                vInv.append(mempool_inv)
                                if len(vInv) == MAX_INV_SZ:
                                    self.MakeAndPushMessage(
                                        peer, NetMsgType.INV, ser_vector(vInv, CInv.serialize)
                                    )
                                    vInv.clear()

                    # Determine transactions to relay
                    if fSendTrickle:
                        # All candidates for sending, sorted topologically and by feerate for
                        # privacy and priority reasons: fewest ancestors and highest feerate
                        # first (upstream pops them from a heap, so that only the ones sent
                        # get sorted).
                        vInvTx = sorted(
                            tx_relay.m_tx_inventory_to_send,
                            key=functools.cmp_to_key(self._compare_inv_mempool_order),
                        )
                        filterrate = CFeeRate(tx_relay.m_fee_filter_received)
                        # No reason to drain out at many times the network's capacity, especially
                        # since we have many peers and some will draw much shorter delays.
                        nRelayedTransactions = 0
                        with tx_relay.m_bloom_filter_mutex:
                            broadcast_max = INVENTORY_BROADCAST_TARGET + (
                                len(tx_relay.m_tx_inventory_to_send) // 1000 * 5
                            )
                            broadcast_max = min(INVENTORY_BROADCAST_MAX, broadcast_max)
                            for inv_wtxid in vInvTx:
                                if nRelayedTransactions >= broadcast_max:
                                    break
                                # Remove it from the to-be-sent set
                                tx_relay.m_tx_inventory_to_send.discard(inv_wtxid)
                                # Not in the mempool anymore? don't bother sending it.
                                inv_txinfo = self.m_mempool.info(GenTxid.Wtxid(inv_wtxid))
                                if inv_txinfo is None:
                                    continue
                                # m_tx_inventory_known_filter holds txids or wtxids, as the peer
                                # relays: build the inv first, then check its hash.
                                relay_inv = (
                                    CInv(MSG_WTX, inv_wtxid)
                                    if peer.m_wtxid_relay
                                    else CInv(MSG_TX, inv_txinfo.tx.GetHash())
                                )
                                # Check if not in the filter already
                                if tx_relay.m_tx_inventory_known_filter.contains(relay_inv.hash):
                                    continue
                                # Peer told you to not send transactions at that feerate? Don't
                                # bother sending it.
                                if inv_txinfo.fee < filterrate.GetFee(inv_txinfo.vsize):
                                    continue
                                if (
                                    tx_relay.m_bloom_filter is not None
                                    and not tx_relay.m_bloom_filter.IsRelevantAndUpdate(
                                        inv_txinfo.tx
                                    )
                                ):
                                    continue
                                # Send
                                vInv.append(relay_inv)
                                nRelayedTransactions += 1
                                if len(vInv) == MAX_INV_SZ:
                                    self.MakeAndPushMessage(
                                        peer, NetMsgType.INV, ser_vector(vInv, CInv.serialize)
                                    )
                                    vInv.clear()
                                tx_relay.m_tx_inventory_known_filter.insert(relay_inv.hash)

                        # Ensure we'll respond to GETDATA requests for anything we've just
                        # announced
                        with self.m_mempool.cs:
                            tx_relay.m_last_inv_sequence = self.m_mempool.GetSequence()
            if vInv:
                self.MakeAndPushMessage(peer, NetMsgType.INV, ser_vector(vInv, CInv.serialize))

            # Detect whether we're stalling
            stalling_timeout = self.m_block_stalling_timeout
            if (
                state.m_stalling_since
                and state.m_stalling_since < current_time - stalling_timeout * 1_000_000
            ):
                # Stalling only triggers when the block download window cannot move. During
                # normal steady state, the download window should be much larger than the
                # to-be-downloaded set of blocks, so disconnection should only happen during
                # initial block download.
                LogInfo(
                    "Peer is stalling block download, %s\n",
                    peer.DisconnectMsg(common.logging.fLogIPs),
                )
                self.RequestDisconnect(peer)
                # Increase timeout for the next peer so that we don't disconnect multiple peers
                # if our own bandwidth is insufficient.
                new_timeout = min(2 * stalling_timeout, BLOCK_STALLING_TIMEOUT_MAX)
                if stalling_timeout != new_timeout:
                    self.m_block_stalling_timeout = new_timeout
                    LogDebug(
                        BCLog.NET,
                        "Increased stalling timeout temporarily to %d seconds\n",
                        new_timeout,
                    )
                return True
            # In case there is a block that has been in flight from this peer for block_interval
            # * (1 + 0.5 * N) (with N the number of peers from which we're downloading validated
            # blocks), disconnect due to timeout. We compensate for other peers to prevent
            # killing off peers due to our own downstream link being saturated. We only count
            # validated in-flight blocks so peers can't advertise non-existing block hashes to
            # unreasonably increase our timeout.
            if state.vBlocksInFlight:
                queuedBlock = state.vBlocksInFlight[0]
                nOtherPeersWithValidatedDownloads = self.m_peers_downloading_from - 1
                # Compared as doubles, as upstream's duration<double> is.
                if current_time > state.m_downloading_since + (
                    consensusParams.nPowTargetSpacing
                    * 1_000_000
                    * (
                        BLOCK_DOWNLOAD_TIMEOUT_BASE
                        + BLOCK_DOWNLOAD_TIMEOUT_PER_PEER * nOtherPeersWithValidatedDownloads
                    )
                ):
                    LogInfo(
                        "Timeout downloading block %s, %s\n",
                        queuedBlock.pindex.GetBlockHash().ToString(),
                        peer.DisconnectMsg(common.logging.fLogIPs),
                    )
                    self.RequestDisconnect(peer)
                    return True
            # Check for headers sync timeouts
            if state.fSyncStarted and peer.m_headers_sync_timeout < _MICROSECONDS_MAX:
                # Detect whether this is a stalling initial-headers-sync peer
                if best_header.GetBlockTime() * 1_000_000 <= NodeClock.now() - (
                    24 * 60 * 60 * 1_000_000
                ):
                    if (
                        current_time > peer.m_headers_sync_timeout
                        and self.nSyncStarted == 1
                        and (
                            self.m_num_preferred_download_peers - int(state.fPreferredDownload) >= 1
                        )
                    ):
                        # Disconnect a peer (without NetPermissionFlags::NoBan permission) if it
                        # is our only sync peer, and we have others we could be using instead.
                        # Note: If all our peers are inbound, then we won't disconnect our sync
                        # peer for stalling; we have bigger problems if we can't get any outbound
                        # peers.
                        if not peer.HasPermission(NetPermissionFlags.NoBan):
                            LogInfo(
                                "Timeout downloading headers, %s\n",
                                peer.DisconnectMsg(common.logging.fLogIPs),
                            )
                            self.RequestDisconnect(peer)
                            return True
                        else:
                            LogInfo(
                                "Timeout downloading headers from noban peer, not %s\n",
                                peer.DisconnectMsg(common.logging.fLogIPs),
                            )
                            # Reset the headers sync state so that we have a chance to try
                            # downloading from a different peer. Note: this will also result in
                            # at least one more getheaders message to be sent to this peer
                            # (eventually).
                            state.fSyncStarted = False
                            self.nSyncStarted -= 1
                            peer.m_headers_sync_timeout = 0
                else:
                    # After we've caught up once, reset the timeout so we can't trigger
                    # disconnect later.
                    peer.m_headers_sync_timeout = _MICROSECONDS_MAX

            # Check that outbound peers have reasonable chains. GetTime() is used by this
            # anti-DoS logic so we can test this using mocktime
            self.ConsiderEviction(peer, GetTime())

            #
            # Message: getdata (blocks)
            #
            vGetData: list[CInv] = []
            if (
                CanServeBlocks(peer)
                and (
                    (sync_blocks_and_headers_from_peer and not IsLimitedPeer(peer))
                    or not self.m_chainman.IsInitialBlockDownload()
                )
                and len(state.vBlocksInFlight) < MAX_BLOCKS_IN_TRANSIT_PER_PEER
            ):
                vToDownload: list[CBlockIndex] = []
                staller: list[NodeId] = []

                def get_inflight_budget() -> int:
                    return max(0, MAX_BLOCKS_IN_TRANSIT_PER_PEER - len(state.vBlocksInFlight))

                # If a snapshot chainstate is in use, we want to find its next blocks before the
                # background chainstate to prioritize getting to network tip.
                self.FindNextBlocksToDownload(peer, get_inflight_budget(), vToDownload, staller)
                if self.m_chainman.BackgroundSyncInProgress() and not IsLimitedPeer(peer):
                    # If the background tip is not an ancestor of the snapshot block, we need to
                    # start requesting blocks from their last common ancestor. (The chain
                    # stand-in has no assumeutxo snapshot, so this never runs.)
                    background_tip = self.m_chainman.GetBackgroundSyncTip()
                    snapshot_base = self.m_chainman.GetSnapshotBaseBlock()
                    assert background_tip is not None and snapshot_base is not None
                    self.TryDownloadingHistoricalBlocks(
                        peer,
                        get_inflight_budget(),
                        vToDownload,
                        LastCommonAncestor(background_tip, snapshot_base),
                        snapshot_base,
                    )
                for pindex in vToDownload:
                    nFetchFlags = self.GetFetchFlags(peer)
                    vGetData.append(CInv(MSG_BLOCK | nFetchFlags, pindex.GetBlockHash()))
                    self.BlockRequested(peer.m_id, pindex)
                    LogDebug(
                        BCLog.NET,
                        "Requesting block %s (%d) peer=%d\n",
                        pindex.GetBlockHash().ToString(),
                        pindex.nHeight,
                        peer.m_id,
                    )
                if not state.vBlocksInFlight and staller and staller[0] != -1:
                    staller_state = self.State(staller[0])
                    assert staller_state is not None
                    if staller_state.m_stalling_since == 0:
                        staller_state.m_stalling_since = current_time
                        LogDebug(BCLog.NET, "Stall started peer=%d\n", staller[0])

            #
            # Message: getdata (transactions)
            #
            with self.m_tx_download_mutex:
                for gtxid in self.m_txdownloadman.GetRequestsToSend(peer.m_id, current_time):
                    vGetData.append(
                        CInv(
                            MSG_WTX if gtxid.IsWtxid() else (MSG_TX | self.GetFetchFlags(peer)),
                            gtxid.ToUint256(),
                        )
                    )
                    if len(vGetData) >= MAX_GETDATA_SZ:
                        self.MakeAndPushMessage(
                            peer, NetMsgType.GETDATA, ser_vector(vGetData, CInv.serialize)
                        )
                        vGetData.clear()

            if vGetData:
                self.MakeAndPushMessage(
                    peer, NetMsgType.GETDATA, ser_vector(vGetData, CInv.serialize)
                )
        # release cs_main
        self.MaybeSendFeefilter(peer, current_time)
        return True

    def _compare_inv_mempool_order(self, a: uint256, b: uint256) -> int:
        """Upstream's CompareInvMempoolOrder as a sort comparison of wtxids: fewest ancestors,
        then highest feerate, first (and those no longer in the mempool before all)."""
        if self.m_mempool.CompareDepthAndScore(a, b):
            return -1
        return 1 if self.m_mempool.CompareDepthAndScore(b, a) else 0


def _tip_hash_string(chain: CChain) -> str:
    """The hex hash of a chain's tip, for log lines."""
    tip = chain.Tip()
    assert tip is not None
    return tip.GetBlockHash().ToString()


def _ser_headers(headers: list[CBlockHeader]) -> bytes:
    """A ``headers`` payload: upstream serializes the headers as CBlocks without transactions,
    so each is followed by a zero transaction count."""
    return ser_compact_size(len(headers)) + b"".join(
        h.serialize_header() + b"\x00" for h in headers
    )
