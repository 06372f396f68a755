"""Orphan transactions: ones that failed with TX_MISSING_INPUTS, kept while their parents are
fetched (src/node/txorphanage.{h,cpp}).

An *announcement* is one (wtxid, peer) pair; an orphan stays while it has an announcer. Each
peer has a reserved share of the global limits (a latency score counting announcements and
inputs, and memory counted as transaction weight); when the global limits are exceeded, the
oldest announcements of the peer with the worst DoS score (its usage over its share) are evicted,
non-reconsiderable ones first, until the orphanage is within limits again.

Upstream keeps announcements in a boost multi_index ordered by (wtxid, peer) and by (peer,
reconsider, sequence); here they are dicts keyed the same way, sorted where the order matters.
Not thread-safe: the caller holds m_tx_download_mutex.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Final

from common.consensus_validation import GetTransactionWeight
from common.logging import BCLog, LogDebug
from common.nodeid import NodeId
from common.primitives.block import CBlock
from common.primitives.transaction import COutPoint, CTransaction
from common.random import FastRandomContext
from common.uint256 import uint256

#: Default value for m_reserved_usage_per_peer (transaction weight).
DEFAULT_RESERVED_ORPHAN_WEIGHT_PER_PEER: Final = 404_000
#: Default value for m_max_global_latency_score.
DEFAULT_MAX_ORPHANAGE_LATENCY_SCORE: Final = 3000
#: policy/policy.h: the largest weight of a standard transaction.
MAX_STANDARD_TX_WEIGHT: Final = 400_000


@dataclass(slots=True)
class OrphanInfo:
    """Orphan information for callers (getorphantxs): the transaction and its announcers."""

    tx: CTransaction
    announcers: set[NodeId] = field(default_factory=set)


@dataclass(slots=True, eq=False)
class Announcement:
    """One orphan announcement: a unique (wtxid, peer) combination."""

    m_tx: CTransaction
    #: Which peer announced this tx.
    m_announcer: NodeId
    #: What order this transaction entered the orphanage.
    m_entry_sequence: int
    #: Whether this tx should be reconsidered; a peer's workset is its announcements with
    #: m_reconsider set.
    m_reconsider: bool = False

    def GetMemUsage(self) -> int:
        """An approximation of memory usage: the transaction's weight (it covers the outpoint
        index too, as inputs get no witness discount)."""
        return GetTransactionWeight(self.m_tx)

    def GetLatencyScore(self) -> int:
        """How much this announcement adds to the work of EraseForBlock and EraseForPeer: 1,
        plus 1 per 10 inputs."""
        return 1 + len(self.m_tx.vin) // 10


def _FeeFrac(fee: int, size: int) -> tuple[Fraction, int]:
    """util/feefrac.h's FeeFrac ordering as a sort key: by ratio, then the smaller size is the
    greater."""
    return Fraction(fee, size), -size


@dataclass(slots=True)
class PeerDoSInfo:
    m_total_usage: int = 0
    m_count_announcements: int = 0
    m_total_latency_score: int = 0

    def Add(self, ann: Announcement) -> None:
        self.m_total_usage += ann.GetMemUsage()
        self.m_total_latency_score += ann.GetLatencyScore()
        self.m_count_announcements += 1

    def Subtract(self, ann: Announcement) -> bool:
        """Whether the peer has no announcements left."""
        self.m_total_usage -= ann.GetMemUsage()
        self.m_total_latency_score -= ann.GetLatencyScore()
        self.m_count_announcements -= 1
        return self.m_count_announcements == 0

    def GetDosScore(
        self, max_peer_latency_score: int, max_peer_memory: int
    ) -> tuple[Fraction, int]:
        """The larger of the latency and memory ratios over the peer's share (a FeeFrac key); above
        1 means the peer uses more than its share."""
        assert max_peer_latency_score > 0
        assert max_peer_memory > 0
        latency_score = _FeeFrac(self.m_total_latency_score, max_peer_latency_score)
        mem_score = _FeeFrac(self.m_total_usage, max_peer_memory)
        return max(latency_score, mem_score)


_ONE: Final = _FeeFrac(1, 1)


class TxOrphanage:
    """Tracks orphan transactions (upstream: the TxOrphanage interface and TxOrphanageImpl)."""

    __slots__ = (
        "m_by_peer",
        "m_by_wtxid",
        "m_current_sequence",
        "m_max_global_latency_score",
        "m_outpoint_to_orphan_wtxids",
        "m_peer_orphanage_info",
        "m_reconsiderable_wtxids",
        "m_reserved_usage_per_peer",
        "m_unique_orphan_usage",
        "m_unique_orphans",
        "m_unique_rounded_input_scores",
    )

    m_current_sequence: int
    #: Announcements by wtxid, then by peer.
    m_by_wtxid: dict[uint256, dict[NodeId, Announcement]]
    #: Announcements by peer, then by wtxid.
    m_by_peer: dict[NodeId, dict[uint256, Announcement]]
    m_max_global_latency_score: int
    m_reserved_usage_per_peer: int
    #: Number of unique orphans by wtxid.
    m_unique_orphans: int
    #: Memory used by orphans, deduplicated by wtxid.
    m_unique_orphan_usage: int
    #: Sum of each unique orphan's latency score minus 1 (the announcements count separately).
    m_unique_rounded_input_scores: int
    #: The orphans spending each outpoint, to find children and block conflicts.
    m_outpoint_to_orphan_wtxids: dict[COutPoint, set[uint256]]
    #: Wtxids for which (exactly) one announcement has m_reconsider set.
    m_reconsiderable_wtxids: set[uint256]
    #: Per-peer statistics; its size is the number of peers for the global limits.
    m_peer_orphanage_info: dict[NodeId, PeerDoSInfo]

    def __init__(
        self,
        max_global_latency_score: int = DEFAULT_MAX_ORPHANAGE_LATENCY_SCORE,
        reserved_peer_usage: int = DEFAULT_RESERVED_ORPHAN_WEIGHT_PER_PEER,
    ) -> None:
        self.m_current_sequence = 0
        self.m_by_wtxid = {}
        self.m_by_peer = {}
        self.m_max_global_latency_score = max_global_latency_score
        self.m_reserved_usage_per_peer = reserved_peer_usage
        self.m_unique_orphans = 0
        self.m_unique_orphan_usage = 0
        self.m_unique_rounded_input_scores = 0
        self.m_outpoint_to_orphan_wtxids = {}
        self.m_reconsiderable_wtxids = set()
        self.m_peer_orphanage_info = {}

    # -- internals ---------------------------------------------------------------------------

    def _Insert(self, tx: CTransaction, peer: NodeId) -> Announcement | None:
        """Add an announcement; None if (wtxid, peer) exists already."""
        wtxid = tx.GetWitnessHash()
        by_peer = self.m_by_wtxid.setdefault(wtxid, {})
        if peer in by_peer:
            return None
        ann = Announcement(tx, peer, self.m_current_sequence)
        by_peer[peer] = ann
        self.m_by_peer.setdefault(peer, {})[wtxid] = ann
        self.m_current_sequence += 1
        self.m_peer_orphanage_info.setdefault(peer, PeerDoSInfo()).Add(ann)
        return ann

    def Erase(self, ann: Announcement) -> None:
        """Erase one announcement, updating the per-peer and per-orphan bookkeeping."""
        info = self.m_peer_orphanage_info[ann.m_announcer]
        if info.Subtract(ann):
            del self.m_peer_orphanage_info[ann.m_announcer]
        wtxid = ann.m_tx.GetWitnessHash()
        if self.IsUnique(wtxid):
            self.m_unique_orphans -= 1
            self.m_unique_rounded_input_scores -= ann.GetLatencyScore() - 1
            self.m_unique_orphan_usage -= ann.GetMemUsage()
            # Remove references in m_outpoint_to_orphan_wtxids
            for txin in ann.m_tx.vin:
                wtxids = self.m_outpoint_to_orphan_wtxids.get(txin.prevout)
                if wtxids is not None:
                    wtxids.discard(wtxid)
                    if not wtxids:
                        del self.m_outpoint_to_orphan_wtxids[txin.prevout]
        # If this was the (unique) reconsiderable announcement for its wtxid, the wtxid has no
        # reconsiderable announcement left.
        if ann.m_reconsider:
            self.m_reconsiderable_wtxids.discard(wtxid)
        del self.m_by_wtxid[wtxid][ann.m_announcer]
        if not self.m_by_wtxid[wtxid]:
            del self.m_by_wtxid[wtxid]
        del self.m_by_peer[ann.m_announcer][wtxid]
        if not self.m_by_peer[ann.m_announcer]:
            del self.m_by_peer[ann.m_announcer]

    def IsUnique(self, wtxid: uint256) -> bool:
        """Whether exactly one announcement exists for the wtxid."""
        return len(self.m_by_wtxid.get(wtxid, {})) == 1

    def _PeerOrder(self, peer: NodeId) -> list[Announcement]:
        """A peer's announcements in upstream's ByPeer order: non-reconsiderable first, then
        oldest first."""
        return sorted(
            self.m_by_peer.get(peer, {}).values(),
            key=lambda a: (a.m_reconsider, a.m_entry_sequence),
        )

    def NeedsTrim(self) -> bool:
        return (
            self.TotalLatencyScore() > self.MaxGlobalLatencyScore()
            or self.TotalOrphanUsage() > self.MaxGlobalUsage()
        )

    def LimitOrphans(self) -> None:
        """If over the global limits, evict the oldest announcements (non-reconsiderable first)
        of the peer with the highest DoS score, repeatedly, until within limits. A peer within
        its share is never evicted for another peer's usage."""
        if not self.NeedsTrim():
            return
        original_unique_txns = self.CountUniqueOrphans()

        # Consistent limits throughout, even if the number of peers changes meanwhile.
        max_lat = self.MaxPeerLatencyScore()
        max_mem = self.ReservedPeerUsage()

        # A max-heap of peers by DoS score; ties go to the more recent peer (higher NodeId).
        heap: list[_MaxHeapItem] = []
        for nodeid, entry in self.m_peer_orphanage_info.items():
            # Performance optimization: only consider peers with a DoS score > 1.
            dos_score = entry.GetDosScore(max_lat, max_mem)
            if dos_score[0] > 1:
                heap.append(_MaxHeapItem(dos_score, nodeid))
        heapq.heapify(heap)

        num_erased = 0
        while True:
            assert heap  # If it needs trimming, some peer has a DoS score above 1.
            worst = heapq.heappop(heap)
            worst_peer = worst.nodeid
            # Trim until this peer is no longer the worst one or within its share; evict its
            # oldest announcements, non-reconsiderable first.
            dos_threshold = heap[0].score if heap else _ONE
            num_erased_this_round = 0
            starting_num_ann = self.m_peer_orphanage_info[worst_peer].m_count_announcements
            for ann in self._PeerOrder(worst_peer):
                if not self.NeedsTrim():
                    break
                self.Erase(ann)
                num_erased += 1
                num_erased_this_round += 1
                info = self.m_peer_orphanage_info.get(worst_peer)
                if info is None or info.GetDosScore(max_lat, max_mem) <= dos_threshold:
                    break
            LogDebug(
                BCLog.TXPACKAGES,
                "peer=%d orphanage overflow, removed %u of %u announcements\n",
                worst_peer,
                num_erased_this_round,
                starting_num_ann,
            )
            if not self.NeedsTrim():
                break
            # Unless this peer is empty, put it back: it may be selected again.
            info = self.m_peer_orphanage_info.get(worst_peer)
            if info is not None and info.m_count_announcements > 0:
                heapq.heappush(heap, _MaxHeapItem(info.GetDosScore(max_lat, max_mem), worst_peer))
        remaining_unique_orphans = self.CountUniqueOrphans()
        LogDebug(
            BCLog.TXPACKAGES,
            "orphanage overflow, removed %u tx (%u announcements)\n",
            original_unique_txns - remaining_unique_orphans,
            num_erased,
        )

    def EraseTxInternal(self, wtxid: uint256) -> bool:
        anns = self.m_by_wtxid.get(wtxid)
        if not anns:
            return False
        txid = next(iter(anns.values())).m_tx.GetHash()
        num_ann = 0
        for peer in sorted(anns):
            self.Erase(anns[peer])
            num_ann += 1
        LogDebug(
            BCLog.TXPACKAGES,
            "removed orphan tx %s (wtxid=%s) (%u announcements)\n",
            txid.ToString(),
            wtxid.ToString(),
            num_ann,
        )
        return True

    # -- the interface -------------------------------------------------------------------------

    def AddTx(self, tx: CTransaction, peer: NodeId) -> bool:
        """Add a new orphan transaction; whether it was new (not just a new announcer)."""
        wtxid = tx.GetWitnessHash()
        txid = tx.GetHash()

        # Ignore transactions above max standard size to avoid a send-big-orphans memory
        # exhaustion attack.
        sz = GetTransactionWeight(tx)
        if sz > MAX_STANDARD_TX_WEIGHT:
            LogDebug(
                BCLog.TXPACKAGES,
                "ignoring large orphan tx (size: %u, txid: %s, wtxid: %s)\n",
                sz,
                txid.ToString(),
                wtxid.ToString(),
            )
            return False

        # We will return false if the tx already exists under a different peer.
        brand_new = not self.HaveTx(wtxid)

        ann = self._Insert(tx, peer)
        # If the announcement (same wtxid, same peer) already exists, return false.
        if ann is None:
            return False

        if brand_new:
            for txin in tx.vin:
                self.m_outpoint_to_orphan_wtxids.setdefault(txin.prevout, set()).add(wtxid)
            self.m_unique_orphans += 1
            self.m_unique_orphan_usage += ann.GetMemUsage()
            self.m_unique_rounded_input_scores += ann.GetLatencyScore() - 1
            LogDebug(
                BCLog.TXPACKAGES,
                "stored orphan tx %s (wtxid=%s), weight: %u (mapsz %u outsz %u)\n",
                txid.ToString(),
                wtxid.ToString(),
                sz,
                self.CountAnnouncements(),
                len(self.m_outpoint_to_orphan_wtxids),
            )
        else:
            LogDebug(
                BCLog.TXPACKAGES,
                "added peer=%d as announcer of orphan tx %s (wtxid=%s)\n",
                peer,
                txid.ToString(),
                wtxid.ToString(),
            )

        # DoS prevention: do not allow m_orphanage to grow unbounded (see CVE-2012-3789)
        self.LimitOrphans()
        return brand_new

    def AddAnnouncer(self, wtxid: uint256, peer: NodeId) -> bool:
        """Add an additional announcer to an orphan if it exists. Otherwise, do nothing."""
        anns = self.m_by_wtxid.get(wtxid)
        # We can't create an entry if we don't have the tx data.
        if not anns:
            return False
        ptx = anns[min(anns)].m_tx
        if self._Insert(ptx, peer) is None:
            return False
        LogDebug(
            BCLog.TXPACKAGES,
            "added peer=%d as announcer of orphan tx %s (wtxid=%s)\n",
            peer,
            ptx.GetHash().ToString(),
            wtxid.ToString(),
        )
        # DoS prevention: do not allow m_orphanage to grow unbounded (see CVE-2012-3789)
        self.LimitOrphans()
        return True

    def GetTx(self, wtxid: uint256) -> CTransaction | None:
        anns = self.m_by_wtxid.get(wtxid)
        return anns[min(anns)].m_tx if anns else None

    def HaveTx(self, wtxid: uint256) -> bool:
        return wtxid in self.m_by_wtxid

    def HaveTxFromPeer(self, wtxid: uint256, peer: NodeId) -> bool:
        return peer in self.m_by_wtxid.get(wtxid, {})

    def GetTxToReconsider(self, peer: NodeId) -> CTransaction | None:
        """Take the oldest transaction from a peer's work set (flipping it back to
        non-reconsiderable), or None."""
        candidates = [a for a in self._PeerOrder(peer) if a.m_reconsider]
        if not candidates:
            return None
        ann = candidates[0]
        # Even if this transaction stays in the orphanage, it shouldn't be reconsidered again
        # until there is a new reason to do so.
        ann.m_reconsider = False
        self.m_reconsiderable_wtxids.discard(ann.m_tx.GetWitnessHash())
        return ann.m_tx

    def EraseTx(self, wtxid: uint256) -> bool:
        """Erase an orphan by wtxid, with all its announcements; whether it existed."""
        ret = self.EraseTxInternal(wtxid)
        # Deletions can cause the orphanage's MaxGlobalUsage to decrease, so we may need to trim.
        self.LimitOrphans()
        return ret

    def EraseForPeer(self, peer: NodeId) -> None:
        """Erase all announcements by this peer (an orphan another peer also announced stays)."""
        anns = self._PeerOrder(peer)
        if not anns:
            return
        for ann in anns:
            self.Erase(ann)
        LogDebug(
            BCLog.TXPACKAGES, "Erased %d orphan transaction(s) from peer=%d\n", len(anns), peer
        )
        self.LimitOrphans()

    def EraseForBlock(self, block: CBlock) -> None:
        """Erase all orphans included in or invalidated by a new block."""
        if not self.m_by_wtxid:
            return
        wtxids_to_erase: set[uint256] = set()
        for block_tx in block.vtx:
            # Which orphan pool entries must we evict?
            for txin in block_tx.vin:
                wtxids_to_erase |= self.m_outpoint_to_orphan_wtxids.get(txin.prevout, set())
        num_erased = 0
        for wtxid in sorted(wtxids_to_erase):
            num_erased += int(self.EraseTxInternal(wtxid))
        if num_erased != 0:
            LogDebug(
                BCLog.TXPACKAGES,
                "Erased %d orphan transaction(s) included or conflicted by block\n",
                num_erased,
            )
        self.LimitOrphans()

    def AddChildrenToWorkSet(
        self, tx: CTransaction, rng: FastRandomContext
    ) -> list[tuple[uint256, NodeId]]:
        """Put each orphan spending an output of ``tx`` into the work set of one of its
        announcers, chosen at random (so no one peer can hold up its processing)."""
        ret: list[tuple[uint256, NodeId]] = []
        txid = tx.GetHash()
        for i in range(len(tx.vout)):
            wtxids = self.m_outpoint_to_orphan_wtxids.get(COutPoint(txid, i))
            if wtxids is None:
                continue
            for wtxid in sorted(wtxids):
                # If a reconsiderable announcement for this wtxid already exists, skip it.
                if wtxid in self.m_reconsiderable_wtxids:
                    continue
                anns = self.m_by_wtxid.get(wtxid)
                if not anns:
                    continue
                announcers = sorted(anns)
                ann = anns[announcers[rng.randrange(len(announcers))]]
                assert not ann.m_reconsider
                ann.m_reconsider = True
                ret.append((wtxid, ann.m_announcer))
                self.m_reconsiderable_wtxids.add(wtxid)
                LogDebug(
                    BCLog.TXPACKAGES,
                    "added %s (wtxid=%s) to peer %d workset\n",
                    ann.m_tx.GetHash().ToString(),
                    wtxid.ToString(),
                    ann.m_announcer,
                )
        return ret

    def HaveTxToReconsider(self, peer: NodeId) -> bool:
        return any(a.m_reconsider for a in self.m_by_peer.get(peer, {}).values())

    def GetChildrenFromSamePeer(self, parent: CTransaction, nodeid: NodeId) -> list[CTransaction]:
        """The orphans from ``nodeid`` spending ``parent``: reconsiderable before
        non-reconsiderable, then most recent first."""
        parent_txid = parent.GetHash()
        return [
            ann.m_tx
            for ann in reversed(self._PeerOrder(nodeid))
            if any(txin.prevout.hash == parent_txid for txin in ann.m_tx.vin)
        ]

    def GetOrphanTransactions(self) -> list[OrphanInfo]:
        """Every orphan with its announcers, by wtxid."""
        return [
            OrphanInfo(next(iter(anns.values())).m_tx, set(anns))
            for _, anns in sorted(self.m_by_wtxid.items(), key=lambda item: item[0])
        ]

    def TotalOrphanUsage(self) -> int:
        return self.m_unique_orphan_usage

    def UsageByPeer(self, peer: NodeId) -> int:
        info = self.m_peer_orphanage_info.get(peer)
        return info.m_total_usage if info is not None else 0

    def CountAnnouncements(self) -> int:
        return sum(len(anns) for anns in self.m_by_wtxid.values())

    def CountUniqueOrphans(self) -> int:
        return self.m_unique_orphans

    def AnnouncementsFromPeer(self, peer: NodeId) -> int:
        info = self.m_peer_orphanage_info.get(peer)
        return info.m_count_announcements if info is not None else 0

    def LatencyScoreFromPeer(self, peer: NodeId) -> int:
        info = self.m_peer_orphanage_info.get(peer)
        return info.m_total_latency_score if info is not None else 0

    def MaxGlobalLatencyScore(self) -> int:
        return self.m_max_global_latency_score

    def TotalLatencyScore(self) -> int:
        return self.m_unique_rounded_input_scores + self.CountAnnouncements()

    def ReservedPeerUsage(self) -> int:
        return self.m_reserved_usage_per_peer

    def MaxPeerLatencyScore(self) -> int:
        return self.m_max_global_latency_score // max(len(self.m_peer_orphanage_info), 1)

    def MaxGlobalUsage(self) -> int:
        return self.m_reserved_usage_per_peer * max(len(self.m_peer_orphanage_info), 1)

    def SanityCheck(self) -> None:
        """Recompute the cached counters and check they match (testing only)."""
        reconstructed: dict[NodeId, PeerDoSInfo] = {}
        unique: dict[uint256, Announcement] = {}
        outpoints: set[COutPoint] = set()
        reconsiderable: set[uint256] = set()
        for wtxid, anns in self.m_by_wtxid.items():
            for peer, ann in anns.items():
                assert self.m_by_peer[peer][wtxid] is ann
                outpoints.update(txin.prevout for txin in ann.m_tx.vin)
                unique.setdefault(wtxid, ann)
                reconstructed.setdefault(peer, PeerDoSInfo()).Add(ann)
                if ann.m_reconsider:
                    # Only ever 1 announcement per wtxid with m_reconsider set.
                    assert wtxid not in reconsiderable
                    reconsiderable.add(wtxid)
        assert reconstructed == self.m_peer_orphanage_info
        assert reconsiderable == self.m_reconsiderable_wtxids
        assert outpoints == set(self.m_outpoint_to_orphan_wtxids)
        for wtxids in self.m_outpoint_to_orphan_wtxids.values():
            assert wtxids <= set(unique)
        assert len(unique) == self.m_unique_orphans
        assert sum(a.GetMemUsage() for a in unique.values()) == self.m_unique_orphan_usage
        assert (
            sum(a.GetLatencyScore() - 1 for a in unique.values())
            == self.m_unique_rounded_input_scores
        )
        assert not self.NeedsTrim()


@dataclass(slots=True)
class _MaxHeapItem:
    """heapq is a min-heap: order so that the worst peer (highest DoS score, then the higher
    NodeId) pops first."""

    score: tuple[Fraction, int]
    nodeid: NodeId

    def __lt__(self, other: _MaxHeapItem) -> bool:
        return (self.score, self.nodeid) > (other.score, other.nodeid)


def MakeTxOrphanage(
    max_global_latency_score: int = DEFAULT_MAX_ORPHANAGE_LATENCY_SCORE,
    reserved_peer_usage: int = DEFAULT_RESERVED_ORPHAN_WEIGHT_PER_PEER,
) -> TxOrphanage:
    return TxOrphanage(max_global_latency_score, reserved_peer_usage)
