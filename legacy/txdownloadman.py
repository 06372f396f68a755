"""Transaction download: what to request from whom, and what to do with what arrives
(src/node/txdownloadman.h, src/node/txdownloadman_impl.{h,cpp}).

TxDownloadManager decides which announced transactions to request (through a
TxRequestTracker, with delays for non-preferred, txid-announcing and overloaded peers), whether a
received transaction should be validated (rolling bloom filters remember what was recently
rejected or confirmed), and how orphans are resolved (a TxOrphanage, the missing parents
requested from the orphan's announcers). Upstream hides TxDownloadManagerImpl behind a pimpl;
here TxDownloadManager is the implementation. Not thread-safe: PeerManagerImpl holds
m_tx_download_mutex around every call. Times are microseconds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

from common.bloom import CRollingBloomFilter
from common.clock import GetTimeMicros
from common.consensus_validation import TxValidationResult, TxValidationState
from common.hash import sha256
from common.logging import BCLog, LogDebug
from common.nodeid import NodeId
from common.primitives.block import CBlock
from common.primitives.transaction import CTransaction, GenTxid
from common.random import FastRandomContext
from common.txmempool import CTxMemPool
from common.uint256 import uint256

from .txorphanage import MakeTxOrphanage, OrphanInfo, TxOrphanage
from .txrequest import TxRequestTracker

#: Maximum number of in-flight transaction requests from a peer. Not a hard limit, but the
#: threshold at which OVERLOADED_PEER_TX_DELAY kicks in.
MAX_PEER_TX_REQUEST_IN_FLIGHT: Final = 100
#: Maximum number of transactions to consider for requesting, per peer: a DoS limit on the
#: memory spent on announcements that still covers a peer sending invs at our own maximum rate
#: (INVENTORY_BROADCAST_PER_SECOND) for several minutes without the transactions arriving.
MAX_PEER_TX_ANNOUNCEMENTS: Final = 5000
#: How long to delay requesting transactions via txids, if we have wtxid-relaying peers
#: (microseconds).
TXID_RELAY_DELAY: Final = 2 * 1_000_000
#: How long to delay requesting transactions from non-preferred peers (microseconds).
NONPREF_PEER_TX_DELAY: Final = 2 * 1_000_000
#: How long to delay requesting transactions from overloaded peers (microseconds).
OVERLOADED_PEER_TX_DELAY: Final = 2 * 1_000_000
#: How long to wait before downloading a transaction from an additional peer (microseconds).
GETDATA_TX_INTERVAL: Final = 60 * 1_000_000

#: policy/packages.h: a package is an ordered list of transactions.
Package = list[CTransaction]


def GetPackageHash(transactions: Package) -> uint256:
    """policy/packages.cpp: SHA256 of the wtxids, sorted as numbers (their byte strings read
    backwards), concatenated."""
    wtxids = sorted((tx.GetWitnessHash() for tx in transactions), key=lambda w: w.data[::-1])
    return uint256(sha256(b"".join(w.data for w in wtxids)))


@dataclass(slots=True)
class TxDownloadOptions:
    #: Read-only reference to mempool.
    m_mempool: CTxMemPool
    #: RNG provided by caller.
    m_rng: FastRandomContext
    #: Instantiate TxRequestTracker as deterministic (used for tests).
    m_deterministic_txrequest: bool = False


@dataclass(frozen=True, slots=True)
class TxDownloadConnectionInfo:
    #: Whether this peer is preferred for transaction download.
    m_preferred: bool
    #: Whether this peer has Relay permissions.
    m_relay_permissions: bool
    #: Whether this peer supports wtxid relay.
    m_wtxid_relay: bool


@dataclass(slots=True)
class PackageToValidate:
    """A 1-parent-1-child package and who sent each transaction."""

    m_txns: Package
    m_senders: list[NodeId]

    @classmethod
    def Make(
        cls,
        parent: CTransaction,
        child: CTransaction,
        parent_sender: NodeId,
        child_sender: NodeId,
    ) -> PackageToValidate:
        return cls([parent, child], [parent_sender, child_sender])

    def ToString(self) -> str:
        assert len(self.m_txns) == 2
        parent, child = self.m_txns
        return (
            f"parent {parent.GetHash().ToString()} (wtxid={parent.GetWitnessHash().ToString()}, "
            f"sender={self.m_senders[0]}) + child {child.GetHash().ToString()} "
            f"(wtxid={child.GetWitnessHash().ToString()}, sender={self.m_senders[1]})"
        )


@dataclass(slots=True)
class RejectedTxTodo:
    m_should_add_extra_compact_tx: bool
    m_unique_parents: list[uint256] = field(default_factory=list)
    m_package_to_validate: PackageToValidate | None = None


class TxDownloadManager:
    """Decides what transactions to request and, once downloaded, whether and how to validate
    them (see the module docstring). The caller reports chain events, peers connecting and
    disconnecting, mempool results, and inv / notfound / tx messages, and asks which getdata
    to send."""

    __slots__ = (
        "m_lazy_recent_confirmed_transactions",
        "m_lazy_recent_rejects",
        "m_lazy_recent_rejects_reconsiderable",
        "m_num_wtxid_peers",
        "m_opts",
        "m_orphanage",
        "m_peer_info",
        "m_txrequest",
    )

    m_opts: TxDownloadOptions
    #: Manages unvalidated tx data (orphans for which we are downloading ancestors).
    m_orphanage: TxOrphanage
    #: Tracks candidates for requesting and downloading transaction data.
    m_txrequest: TxRequestTracker
    #: Wtxids (and, when the witness cannot matter, txids) the mempool recently rejected; not
    #: requested again until the tip changes, which resets it. 120,000 entries at a one in a
    #: million false positive rate: two minutes of a flood of minimal transactions.
    m_lazy_recent_rejects: CRollingBloomFilter | None
    #: Wtxids rejected as TX_RECONSIDERABLE (not downloaded alone again, but maybe in a
    #: package) and the hashes of packages rejected already; reset on tip change.
    m_lazy_recent_rejects_reconsiderable: CRollingBloomFilter | None
    #: Txids and wtxids of recently confirmed transactions (about six blocks' worth).
    m_lazy_recent_confirmed_transactions: CRollingBloomFilter | None
    #: Connection info of the peers we may download transactions from (no block-relay-only or
    #: temporary connections).
    m_peer_info: dict[NodeId, TxDownloadConnectionInfo]
    #: Number of wtxid relay peers we have in m_peer_info.
    m_num_wtxid_peers: int

    def __init__(self, options: TxDownloadOptions) -> None:
        self.m_opts = options
        self.m_orphanage = MakeTxOrphanage()
        self.m_txrequest = TxRequestTracker(options.m_deterministic_txrequest)
        self.m_lazy_recent_rejects = None
        self.m_lazy_recent_rejects_reconsiderable = None
        self.m_lazy_recent_confirmed_transactions = None
        self.m_peer_info = {}
        self.m_num_wtxid_peers = 0

    def RecentRejectsFilter(self) -> CRollingBloomFilter:
        if self.m_lazy_recent_rejects is None:
            self.m_lazy_recent_rejects = CRollingBloomFilter(120_000, 0.000_001)
        return self.m_lazy_recent_rejects

    def RecentRejectsReconsiderableFilter(self) -> CRollingBloomFilter:
        if self.m_lazy_recent_rejects_reconsiderable is None:
            self.m_lazy_recent_rejects_reconsiderable = CRollingBloomFilter(120_000, 0.000_001)
        return self.m_lazy_recent_rejects_reconsiderable

    def RecentConfirmedTransactionsFilter(self) -> CRollingBloomFilter:
        if self.m_lazy_recent_confirmed_transactions is None:
            self.m_lazy_recent_confirmed_transactions = CRollingBloomFilter(48_000, 0.000_001)
        return self.m_lazy_recent_confirmed_transactions

    # -- chain events (called through PeerManager) --------------------------------------------

    def ActiveTipChange(self) -> None:
        self.RecentRejectsFilter().reset()
        self.RecentRejectsReconsiderableFilter().reset()

    def BlockConnected(self, pblock: CBlock) -> None:
        self.m_orphanage.EraseForBlock(pblock)

        for ptx in pblock.vtx:
            self.RecentConfirmedTransactionsFilter().insert(ptx.GetHash())
            if ptx.HasWitness():
                self.RecentConfirmedTransactionsFilter().insert(ptx.GetWitnessHash())
            self.m_txrequest.ForgetTxHash(ptx.GetHash())
            self.m_txrequest.ForgetTxHash(ptx.GetWitnessHash())

    def BlockDisconnected(self) -> None:
        # To avoid relay problems with transactions that were previously confirmed, clear our
        # filter of recently confirmed transactions whenever there's a reorg. After a 1-block
        # reorg the filter holds one block's worth, which suffices: a confirmed transaction is
        # mostly relayed just after the block containing it.
        self.RecentConfirmedTransactionsFilter().reset()

    # -- queries -------------------------------------------------------------------------------

    def AlreadyHaveTx(self, gtxid: GenTxid, include_reconsiderable: bool) -> bool:
        """Whether the transaction is in the mempool, the orphanage, or one of the recent
        rejects (reconsiderable ones only if asked) or recently confirmed filters."""
        hash = gtxid.ToUint256()

        # Never query the orphanage by txid: an orphan with the same txid but another witness
        # would give a false positive, letting an attacker block a download with a malleated
        # copy. A non-segwit transaction's txid is its wtxid, so querying the hash as a wtxid
        # finds those with no false positives.
        if self.m_orphanage.HaveTx(hash):
            return True

        if include_reconsiderable and self.RecentRejectsReconsiderableFilter().contains(hash):
            return True

        if self.RecentConfirmedTransactionsFilter().contains(hash):
            return True

        return self.RecentRejectsFilter().contains(hash) or self.m_opts.m_mempool.exists(gtxid)

    def ConnectedPeer(self, nodeid: NodeId, info: TxDownloadConnectionInfo) -> None:
        # If already connected (shouldn't happen in practice), exit early.
        if nodeid in self.m_peer_info:
            return
        self.m_peer_info[nodeid] = info
        if info.m_wtxid_relay:
            self.m_num_wtxid_peers += 1

    def DisconnectedPeer(self, nodeid: NodeId) -> None:
        """Deletes all txrequest announcements and orphans for a given peer."""
        self.m_orphanage.EraseForPeer(nodeid)
        self.m_txrequest.DisconnectedPeer(nodeid)

        info = self.m_peer_info.pop(nodeid, None)
        if info is not None and info.m_wtxid_relay:
            self.m_num_wtxid_peers -= 1

    def AddTxAnnouncement(self, peer: NodeId, gtxid: GenTxid, now: int) -> bool:
        """Consider adding this tx hash to txrequest (an inv arrived). Returns true if this was
        a dropped inv (we already have the tx), false otherwise."""
        # If this is an orphan we are trying to resolve, consider this peer as an orphan
        # resolution candidate instead.
        if gtxid.IsWtxid():
            wtxid = gtxid.ToUint256()
            orphan_tx = self.m_orphanage.GetTx(wtxid)
            if orphan_tx is not None:
                unique_parents = [
                    txid
                    for txid in self.GetUniqueParents(orphan_tx)
                    if not self.AlreadyHaveTx(GenTxid.Txid(txid), False)
                ]

                # The missing parents may have all been rejected or accepted since the orphan
                # was added. Do not delete from the orphanage: it may be queued for processing.
                if not unique_parents:
                    return True

                if self.MaybeAddOrphanResolutionCandidate(unique_parents, wtxid, peer, now):
                    self.m_orphanage.AddAnnouncer(orphan_tx.GetWitnessHash(), peer)

                # Return even if the peer isn't an orphan resolution candidate. This would be
                # caught by AlreadyHaveTx.
                return True

        # If this is an inv received from a peer and we already have it, we can drop it.
        if self.AlreadyHaveTx(gtxid, True):
            return True

        info = self.m_peer_info.get(peer)
        if info is None:
            return False
        if (
            not info.m_relay_permissions
            and self.m_txrequest.Count(peer) >= MAX_PEER_TX_ANNOUNCEMENTS
        ):
            # Too many queued announcements for this peer
            return False
        # Decide the TxRequestTracker parameters for this announcement:
        # - "preferred": if fPreferredDownload is set (= outbound, or NoBan permission)
        # - "reqtime": current time plus delays for announcements from non-preferred
        #   connections (NONPREF_PEER_TX_DELAY), txid announcements while wtxid peers are
        #   available (TXID_RELAY_DELAY), and peers with at least MAX_PEER_TX_REQUEST_IN_FLIGHT
        #   requests in flight, unless they have the Relay permission (OVERLOADED_PEER_TX_DELAY).
        delay = 0
        if not info.m_preferred:
            delay += NONPREF_PEER_TX_DELAY
        if not gtxid.IsWtxid() and self.m_num_wtxid_peers > 0:
            delay += TXID_RELAY_DELAY
        overloaded = (
            not info.m_relay_permissions
            and self.m_txrequest.CountInFlight(peer) >= MAX_PEER_TX_REQUEST_IN_FLIGHT
        )
        if overloaded:
            delay += OVERLOADED_PEER_TX_DELAY

        self.m_txrequest.ReceivedInv(peer, gtxid, info.m_preferred, now + delay)

        return False

    def MaybeAddOrphanResolutionCandidate(
        self, unique_parents: list[uint256], wtxid: uint256, nodeid: NodeId, now: int
    ) -> bool:
        """If this peer is an orphan resolution candidate for the transaction, treat its
        missing parents as announced by the peer. Whether it was a candidate."""
        info = self.m_peer_info.get(nodeid)
        if info is None:
            return False
        if self.m_orphanage.HaveTxFromPeer(wtxid, nodeid):
            return False

        if not info.m_relay_permissions:  # noqa: SIM102 (upstream's nesting)
            # Mirror AddTxAnnouncement's limit: each resolution is at least one request, which
            # may or may not be tracked already, so count the parents too.
            if self.m_txrequest.Count(nodeid) + len(unique_parents) > MAX_PEER_TX_ANNOUNCEMENTS:
                return False

        delay = 0
        if not info.m_preferred:
            delay += NONPREF_PEER_TX_DELAY
        # Parents are requested by txid; a parent announced alongside its child may still
        # arrive within a few seconds, cancelling the request.
        if self.m_num_wtxid_peers > 0:
            delay += TXID_RELAY_DELAY
        overloaded = (
            not info.m_relay_permissions
            and self.m_txrequest.CountInFlight(nodeid) >= MAX_PEER_TX_REQUEST_IN_FLIGHT
        )
        if overloaded:
            delay += OVERLOADED_PEER_TX_DELAY

        # Treat finding an orphan resolution candidate as the peer announcing all missing
        # parents.
        for parent_txid in unique_parents:
            self.m_txrequest.ReceivedInv(
                nodeid, GenTxid.Txid(parent_txid), info.m_preferred, now + delay
            )

        LogDebug(
            BCLog.TXPACKAGES,
            "added peer=%d as a candidate for resolving orphan %s\n",
            nodeid,
            wtxid.ToString(),
        )
        return True

    def GetRequestsToSend(self, nodeid: NodeId, current_time: int) -> list[GenTxid]:
        """The transactions to request from ``nodeid`` now (marked as requested until
        GETDATA_TX_INTERVAL from now)."""
        requests: list[GenTxid] = []
        expired: list[tuple[NodeId, GenTxid]] = []
        requestable = self.m_txrequest.GetRequestable(nodeid, current_time, expired)
        for expired_nodeid, gtxid in expired:
            LogDebug(
                BCLog.NET,
                "timeout of inflight %s %s from peer=%d\n",
                "wtx" if gtxid.IsWtxid() else "tx",
                gtxid.ToUint256().ToString(),
                expired_nodeid,
            )
        for gtxid in requestable:
            if not self.AlreadyHaveTx(gtxid, False):
                LogDebug(
                    BCLog.NET,
                    "Requesting %s %s peer=%d\n",
                    "wtx" if gtxid.IsWtxid() else "tx",
                    gtxid.ToUint256().ToString(),
                    nodeid,
                )
                requests.append(gtxid)
                self.m_txrequest.RequestedTx(
                    nodeid, gtxid.ToUint256(), current_time + GETDATA_TX_INTERVAL
                )
            else:
                # We have already seen this transaction, no need to download (belt and
                # suspenders: this is already done whenever a tx becomes AlreadyHaveTx).
                self.m_txrequest.ForgetTxHash(gtxid.ToUint256())
        return requests

    def ReceivedNotFound(self, nodeid: NodeId, gtxids: list[GenTxid]) -> None:
        for gtxid in gtxids:
            # A NOTFOUND for a tx we requested completes its announcement.
            self.m_txrequest.ReceivedResponse(nodeid, gtxid.ToUint256())

    def Find1P1CPackage(self, ptx: CTransaction, nodeid: NodeId) -> PackageToValidate | None:
        """A child of ``ptx`` in the orphanage, from the same peer, forming a 1-parent-1-child
        package not tried before; or None."""
        parent_wtxid = ptx.GetWitnessHash()

        assert self.RecentRejectsReconsiderableFilter().contains(parent_wtxid)

        # Only children from this peer: an attacker sending many fake children cannot crowd
        # out the honest peer's real one. (Every announcer of an orphan is tracked, so parent
        # and child requested from different peers are still found.) Newest first: among
        # children replacing each other, the most recent is probably the best.
        cpfp_candidates_same_peer = self.m_orphanage.GetChildrenFromSamePeer(ptx, nodeid)

        for child in cpfp_candidates_same_peer:
            maybe_cpfp_package = [ptx, child]
            if not self.RecentRejectsReconsiderableFilter().contains(
                GetPackageHash(maybe_cpfp_package)
            ) and not self.RecentRejectsFilter().contains(child.GetHash()):
                return PackageToValidate.Make(ptx, child, nodeid, nodeid)
        return None

    def MempoolAcceptedTx(self, tx: CTransaction) -> None:
        # This version of the transaction was acceptable: forget any requests for it.
        self.m_txrequest.ForgetTxHash(tx.GetHash())
        self.m_txrequest.ForgetTxHash(tx.GetWitnessHash())

        self.m_orphanage.AddChildrenToWorkSet(tx, self.m_opts.m_rng)
        # If it came from the orphanage, remove it. No-op if the tx is not in txorphanage.
        self.m_orphanage.EraseTx(tx.GetWitnessHash())

    def GetUniqueParents(self, tx: CTransaction) -> list[uint256]:
        """The deduplicated txids of the transaction's inputs, sorted."""
        return sorted({txin.prevout.hash for txin in tx.vin})

    def MempoolRejectedTx(
        self,
        ptx: CTransaction,
        state: TxValidationState,
        nodeid: NodeId,
        first_time_failure: bool,
    ) -> RejectedTxTodo:
        """Respond to a transaction the mempool rejected: keep an orphan and ask for its
        parents, or remember the rejection."""
        tx = ptx
        # Whether we should call AddToCompactExtraTransactions at the end
        add_extra_compact_tx = first_time_failure
        # Hashes to pass to AddKnownTx later
        unique_parents: list[uint256] = []
        # Populated if failure is reconsiderable and eligible package is found.
        package_to_validate: PackageToValidate | None = None

        if state.GetResult() == TxValidationResult.TX_MISSING_INPUTS:
            # Only process a new orphan on a first time failure; otherwise it must be in the
            # orphanage already or come from 1p1c processing.
            if first_time_failure and not self.RecentRejectsFilter().contains(ptx.GetWitnessHash()):
                # It may be the case that the orphan's parents have all been rejected
                fRejectedParents = False

                # Deduplicate parent txids, so that we don't have to loop over the same parent
                # txid more than once down below.
                unique_parents = self.GetUniqueParents(tx)

                # Up to 1 parent may be in the reconsiderable rejects (1p1c packages can still
                # work); any parent in the plain rejects is fatal.
                rejected_parent_reconsiderable: uint256 | None = None
                for parent_txid in unique_parents:
                    if self.RecentRejectsFilter().contains(parent_txid):
                        fRejectedParents = True
                        break
                    elif self.RecentRejectsReconsiderableFilter().contains(
                        parent_txid
                    ) and not self.m_opts.m_mempool.exists(parent_txid):
                        # More than 1 parent in m_lazy_recent_rejects_reconsiderable: 1p1c will
                        # not be sufficient to accept this package, so just give up here.
                        if rejected_parent_reconsiderable is not None:
                            fRejectedParents = True
                            break
                        rejected_parent_reconsiderable = parent_txid
                if not fRejectedParents:
                    # Filter parents that we already have. Reconsiderable rejects stay: the
                    # missing parent may have been too low feerate, and this orphan may CPFP it.
                    unique_parents = [
                        txid
                        for txid in unique_parents
                        if not self.AlreadyHaveTx(GenTxid.Txid(txid), False)
                    ]
                    now = GetTimeMicros()
                    wtxid = ptx.GetWitnessHash()
                    # Potentially flip add_extra_compact_tx to false if tx is already in the
                    # orphanage, which means it was already added to vExtraTxnForCompact.
                    add_extra_compact_tx &= not self.m_orphanage.HaveTx(wtxid)

                    # Without an orphan resolution candidate AddTx is not called: a peer
                    # overloading us with invs and orphans eventually cannot add more.
                    # Search by txid and, if the tx has a witness, wtxid.
                    orphan_resolution_candidates: list[NodeId] = [nodeid]
                    self.m_txrequest.GetCandidatePeers(ptx.GetHash(), orphan_resolution_candidates)
                    if ptx.HasWitness():
                        self.m_txrequest.GetCandidatePeers(
                            ptx.GetWitnessHash(), orphan_resolution_candidates
                        )

                    for candidate in orphan_resolution_candidates:
                        if self.MaybeAddOrphanResolutionCandidate(
                            unique_parents, ptx.GetWitnessHash(), candidate, now
                        ):
                            self.m_orphanage.AddTx(ptx, candidate)

                    # Once added to the orphan pool, a tx is considered AlreadyHave, and we
                    # shouldn't request it anymore.
                    self.m_txrequest.ForgetTxHash(tx.GetHash())
                    self.m_txrequest.ForgetTxHash(tx.GetWitnessHash())
                else:
                    unique_parents = []
                    LogDebug(
                        BCLog.MEMPOOL,
                        "not keeping orphan with rejected parents %s (wtxid=%s)\n",
                        tx.GetHash().ToString(),
                        tx.GetWitnessHash().ToString(),
                    )
                    # It has rejected parents, so whatever its witness we will keep rejecting
                    # it: add the txid and the wtxid so no peer makes us download it again.
                    self.RecentRejectsFilter().insert(tx.GetHash())
                    self.RecentRejectsFilter().insert(tx.GetWitnessHash())
                    self.m_txrequest.ForgetTxHash(tx.GetHash())
                    self.m_txrequest.ForgetTxHash(tx.GetWitnessHash())
        elif state.GetResult() == TxValidationResult.TX_WITNESS_STRIPPED:
            add_extra_compact_tx = False
        else:
            # Add the wtxid to the reject filter, but not the txid of a witness (or witness
            # stripped) transaction: it may have been malleated, and rejecting the txid could
            # block relay of the valid transaction from non-wtxidrelay peers
            # (bitcoin/bitcoin#8279).
            if state.GetResult() == TxValidationResult.TX_RECONSIDERABLE:
                # Not to be downloaded or submitted alone again, but maybe in a package later.
                self.RecentRejectsReconsiderableFilter().insert(ptx.GetWitnessHash())

                if first_time_failure:
                    # A matching child in the orphanage may make it succeed as a package.
                    LogDebug(
                        BCLog.TXPACKAGES,
                        "tx %s (wtxid=%s) failed but reconsiderable, looking for child in "
                        "orphanage\n",
                        ptx.GetHash().ToString(),
                        ptx.GetWitnessHash().ToString(),
                    )

                    package_to_validate = self.Find1P1CPackage(ptx, nodeid)
            else:
                self.RecentRejectsFilter().insert(ptx.GetWitnessHash())
            self.m_txrequest.ForgetTxHash(ptx.GetWitnessHash())
            # TX_INPUTS_NOT_STANDARD depends only on the txid (the spent scriptPubKeys), so the
            # witness was irrelevant: reject the txid too (when it differs from the wtxid), so
            # that fetching parents by txid for later children does not process it again.
            if state.GetResult() == TxValidationResult.TX_INPUTS_NOT_STANDARD and ptx.HasWitness():
                self.RecentRejectsFilter().insert(ptx.GetHash())
                self.m_txrequest.ForgetTxHash(ptx.GetHash())

        # A tx that failed in ProcessOrphanTx leaves the orphanage unless it still misses
        # inputs (no-op for a tx not in the orphanage).
        if state.GetResult() != TxValidationResult.TX_MISSING_INPUTS and self.m_orphanage.EraseTx(
            ptx.GetWitnessHash()
        ):
            LogDebug(
                BCLog.TXPACKAGES,
                "   removed orphan tx %s (wtxid=%s)\n",
                ptx.GetHash().ToString(),
                ptx.GetWitnessHash().ToString(),
            )

        return RejectedTxTodo(add_extra_compact_tx, unique_parents, package_to_validate)

    def MempoolRejectedPackage(self, package: Package) -> None:
        self.RecentRejectsReconsiderableFilter().insert(GetPackageHash(package))

    def ReceivedTx(
        self, nodeid: NodeId, ptx: CTransaction
    ) -> tuple[bool, PackageToValidate | None]:
        """Mark the response in txrequest. Returns whether to validate the tx and, if not,
        maybe a package to validate instead."""
        txid = ptx.GetHash()
        wtxid = ptx.GetWitnessHash()

        # Mark that we have received a response
        self.m_txrequest.ReceivedResponse(nodeid, txid)
        if ptx.HasWitness():
            self.m_txrequest.ReceivedResponse(nodeid, wtxid)

        # Check AlreadyHaveTx by wtxid: the rejects filter may hold the wtxid but rarely the
        # txid of a rejected segwit transaction. (A malleated witness may make us miss one we
        # have with another witness; mempool validation looks the txid up itself.)
        if self.AlreadyHaveTx(GenTxid.Wtxid(wtxid), False):
            # A tx caught by the rejects filter is ignored without a DoS score: the filter has
            # false positives and also holds policy rejections, so its relayer is not
            # punished.
            return False, None
        elif self.RecentRejectsReconsiderableFilter().contains(wtxid):
            # Not submitted alone again, but a matching child in the orphanage may make it
            # succeed as a package.
            LogDebug(
                BCLog.TXPACKAGES,
                "found tx %s (wtxid=%s) in reconsiderable rejects, looking for child in "
                "orphanage\n",
                txid.ToString(),
                wtxid.ToString(),
            )
            return False, self.Find1P1CPackage(ptx, nodeid)

        return True, None

    def HaveMoreWork(self, nodeid: NodeId) -> bool:
        """Whether there are any orphans to reconsider for this peer."""
        return self.m_orphanage.HaveTxToReconsider(nodeid)

    def GetTxToReconsider(self, nodeid: NodeId) -> CTransaction | None:
        return self.m_orphanage.GetTxToReconsider(nodeid)

    def CheckIsEmpty(self, nodeid: NodeId | None = None) -> None:
        """Without ``nodeid``: all data structures are empty. With it: nothing tracked for
        that peer (upstream's two overloads)."""
        if nodeid is not None:
            assert self.m_txrequest.Count(nodeid) == 0
            assert self.m_orphanage.UsageByPeer(nodeid) == 0
            return
        assert self.m_orphanage.TotalOrphanUsage() == 0
        assert self.m_orphanage.CountUniqueOrphans() == 0
        assert self.m_txrequest.Size() == 0
        assert self.m_num_wtxid_peers == 0

    def GetOrphanTransactions(self) -> list[OrphanInfo]:
        return self.m_orphanage.GetOrphanTransactions()
