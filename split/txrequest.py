"""Scheduling of transaction downloads from peers (src/txrequest.{h,cpp}).

TxRequestTracker keeps one *announcement* per (peer, txhash): a CANDIDATE (announced, waiting
for its reqtime, then eligible), REQUESTED (asked for, until its expiry) or COMPLETED (answered,
failed or timed out; kept only so the same peer is never asked twice). For each txhash at most
one announcement is *selected*: the REQUESTED one, or else the CANDIDATE_BEST, the highest
priority among the eligible candidates, where preferred peers beat non-preferred ones and ties
are broken by a salted hash of (txhash, peer). When only COMPLETED announcements remain for a
txhash, they are all forgotten.

Upstream keeps the announcements in a boost multi_index with three orderings (by peer, by
txhash and state and priority, by time) and reasons about neighbours in them. Here they are
kept in dicts by (peer, txhash) and by txhash, and each neighbour query is answered by looking
at the txhash's announcements directly; the resulting states are the same. Upstream's by-time
ordering becomes two heaps (the waiting announcements by time, the selectable ones by time
reversed) and its by-peer lookup of CANDIDATE_BEST a dict per peer, so that SetTimePoint and
GetRequestable cost what upstream's do (the changes they make, not the number of announcements
tracked). Heap entries are dropped lazily: an entry counts only while its announcement still
exists, is in that heap's states and has that time. Times are microseconds.
"""

from __future__ import annotations

import enum
import heapq
from dataclasses import dataclass

from common.nodeid import NodeId
from common.primitives.transaction import GenTxid
from common.random import FastRandomContext
from common.siphash import CSipHasher
from common.uint256 import uint256


class State(enum.IntEnum):
    """The states of an announcement. The order matters: upstream sorts a txhash's announcements
    by it."""

    #: A CANDIDATE announcement whose reqtime is in the future.
    CANDIDATE_DELAYED = 0
    #: A CANDIDATE announcement that's not CANDIDATE_DELAYED or CANDIDATE_BEST.
    CANDIDATE_READY = 1
    #: The best CANDIDATE for a given txhash; only if there is no REQUESTED announcement already
    #: for that txhash. It has the highest priority among the CANDIDATE_READY (and _BEST) ones.
    CANDIDATE_BEST = 2
    #: A REQUESTED announcement.
    REQUESTED = 3
    #: A COMPLETED announcement.
    COMPLETED = 4


@dataclass(slots=True, eq=False)
class Announcement:
    """The data we track for each txid or wtxid that is announced to us by each peer."""

    #: Txid or wtxid that was announced.
    m_gtxid: GenTxid
    #: For CANDIDATE_{DELAYED,BEST,READY} the reqtime; for REQUESTED the expiry (microseconds).
    m_time: int
    #: What peer the request was from.
    m_peer: NodeId
    #: What sequence number this announcement has.
    m_sequence: int
    #: Whether the request is preferred.
    m_preferred: bool
    #: What state this announcement is in.
    m_state: State = State.CANDIDATE_DELAYED

    def GetState(self) -> State:
        return self.m_state

    def SetState(self, state: State) -> None:
        self.m_state = state

    def IsSelected(self) -> bool:
        """Whether this announcement is selected. There can be at most 1 selected peer per
        txhash."""
        return self.m_state in (State.CANDIDATE_BEST, State.REQUESTED)

    def IsWaiting(self) -> bool:
        """Whether this announcement is waiting for a certain time to pass."""
        return self.m_state in (State.REQUESTED, State.CANDIDATE_DELAYED)

    def IsSelectable(self) -> bool:
        """Whether this announcement can feasibly be selected if the current IsSelected() one
        disappears."""
        return self.m_state in (State.CANDIDATE_READY, State.CANDIDATE_BEST)


class PriorityComputer:
    """Computes the priority of an announcement with an embedded salt; higher priorities are
    selected first. Preferred announcements have the top bit set."""

    __slots__ = ("m_k0", "m_k1")

    m_k0: int
    m_k1: int

    def __init__(self, deterministic: bool) -> None:
        self.m_k0 = 0 if deterministic else FastRandomContext().rand64()
        self.m_k1 = 0 if deterministic else FastRandomContext().rand64()

    def __call__(self, txhash: uint256, peer: NodeId, preferred: bool) -> int:
        low_bits = CSipHasher(self.m_k0, self.m_k1).Write(txhash.data).Write(peer).Finalize() >> 1
        return low_bits | (int(preferred) << 63)

    def of(self, ann: Announcement) -> int:
        return self(ann.m_gtxid.ToUint256(), ann.m_peer, ann.m_preferred)


@dataclass(slots=True)
class PeerInfo:
    """Per-peer statistics."""

    #: Total number of announcements for this peer.
    m_total: int = 0
    #: Number of COMPLETED announcements for this peer.
    m_completed: int = 0
    #: Number of REQUESTED announcements for this peer.
    m_requested: int = 0


class TxRequestTracker:
    """Data structure to keep track of, and schedule, transaction downloads from peers (see the
    module docstring; upstream's header documents the rules and their rationale)."""

    __slots__ = (
        "m_best_by_peer",
        "m_by_peer",
        "m_by_txhash",
        "m_computer",
        "m_current_sequence",
        "m_peerinfo",
        "m_selectable_by_time",
        "m_waiting_by_time",
    )

    m_current_sequence: int
    m_computer: PriorityComputer
    #: Every announcement, by (peer, txhash): at most one per pair.
    m_by_peer: dict[tuple[NodeId, uint256], Announcement]
    #: The announcements of each txhash (txid and wtxid alike), in insertion order.
    m_by_txhash: dict[uint256, list[Announcement]]
    m_peerinfo: dict[NodeId, PeerInfo]
    #: (m_time, m_sequence, ann) of CANDIDATE_DELAYED and REQUESTED announcements: a min-heap,
    #: the front of upstream's ByTime index.
    m_waiting_by_time: list[tuple[int, int, Announcement]]
    #: (-m_time, -m_sequence, ann) of CANDIDATE_READY and CANDIDATE_BEST announcements: a
    #: min-heap, so the latest first, the back of upstream's ByTime index.
    m_selectable_by_time: list[tuple[int, int, Announcement]]
    #: Each peer's CANDIDATE_BEST announcements, by sequence number (upstream's ByPeer index
    #: with the "is CANDIDATE_BEST" key part).
    m_best_by_peer: dict[NodeId, dict[int, Announcement]]

    def __init__(self, deterministic: bool = False) -> None:
        self.m_current_sequence = 0
        self.m_computer = PriorityComputer(deterministic)
        self.m_by_peer = {}
        self.m_by_txhash = {}
        self.m_peerinfo = {}
        self.m_waiting_by_time = []
        self.m_selectable_by_time = []
        self.m_best_by_peer = {}

    # -- internals ---------------------------------------------------------------------------

    def _Erase(self, ann: Announcement) -> None:
        if ann.m_state == State.CANDIDATE_BEST:
            self._unindex_best(ann)
        peerinfo = self.m_peerinfo[ann.m_peer]
        peerinfo.m_completed -= ann.m_state == State.COMPLETED
        peerinfo.m_requested -= ann.m_state == State.REQUESTED
        peerinfo.m_total -= 1
        if peerinfo.m_total == 0:
            del self.m_peerinfo[ann.m_peer]
        txhash = ann.m_gtxid.ToUint256()
        del self.m_by_peer[(ann.m_peer, txhash)]
        group = self.m_by_txhash[txhash]
        group.remove(ann)
        if not group:
            del self.m_by_txhash[txhash]

    def _Modify(self, ann: Announcement, state: State, time: int | None = None) -> None:
        """Change an announcement's state (and time), keeping the per-peer counts."""
        peerinfo = self.m_peerinfo[ann.m_peer]
        peerinfo.m_completed -= ann.m_state == State.COMPLETED
        peerinfo.m_requested -= ann.m_state == State.REQUESTED
        if ann.m_state == State.CANDIDATE_BEST:
            self._unindex_best(ann)
        ann.m_state = state
        if time is not None:
            ann.m_time = time
        peerinfo.m_completed += ann.m_state == State.COMPLETED
        peerinfo.m_requested += ann.m_state == State.REQUESTED
        self._index_by_time(ann)
        if state == State.CANDIDATE_BEST:
            self.m_best_by_peer.setdefault(ann.m_peer, {})[ann.m_sequence] = ann

    def _unindex_best(self, ann: Announcement) -> None:
        best = self.m_best_by_peer[ann.m_peer]
        del best[ann.m_sequence]
        if not best:
            del self.m_best_by_peer[ann.m_peer]

    def _index_by_time(self, ann: Announcement) -> None:
        """Enter an announcement that just took its state (or time) into its time heap."""
        if ann.IsWaiting():
            heap = self.m_waiting_by_time
            heapq.heappush(heap, (ann.m_time, ann.m_sequence, ann))
        elif ann.IsSelectable():
            heap = self.m_selectable_by_time
            heapq.heappush(heap, (-ann.m_time, -ann.m_sequence, ann))
        else:
            return
        if len(heap) > 2 * len(self.m_by_peer) + 64:
            self._compact_time_heaps()

    def _is_live(self, ann: Announcement) -> bool:
        return self.m_by_peer.get((ann.m_peer, ann.m_gtxid.ToUint256())) is ann

    def _compact_time_heaps(self) -> None:
        """Drop the entries that no longer count (amortized: the heaps stay within twice the
        number of announcements)."""
        self.m_waiting_by_time = [
            (ann.m_time, ann.m_sequence, ann) for ann in self.m_by_peer.values() if ann.IsWaiting()
        ]
        heapq.heapify(self.m_waiting_by_time)
        self.m_selectable_by_time = [
            (-ann.m_time, -ann.m_sequence, ann)
            for ann in self.m_by_peer.values()
            if ann.IsSelectable()
        ]
        heapq.heapify(self.m_selectable_by_time)

    def _Group(self, ann: Announcement) -> list[Announcement]:
        return self.m_by_txhash[ann.m_gtxid.ToUint256()]

    def _BestReady(self, ann: Announcement) -> Announcement | None:
        """The highest-priority CANDIDATE_READY announcement of ann's txhash other than ann
        (upstream: the ByTxHash neighbour just before a selected announcement)."""
        best: Announcement | None = None
        best_priority = -1
        for other in self._Group(ann):
            if other is not ann and other.m_state == State.CANDIDATE_READY:
                priority = self.m_computer.of(other)
                if priority > best_priority:
                    best, best_priority = other, priority
        return best

    def PromoteCandidateReady(self, ann: Announcement) -> None:
        """Convert a CANDIDATE_DELAYED announcement into a CANDIDATE_READY. If this makes it the
        new best CANDIDATE_READY (and no REQUESTED exists) and better than the CANDIDATE_BEST
        (if any), it becomes the new CANDIDATE_BEST."""
        assert ann.m_state == State.CANDIDATE_DELAYED
        self._Modify(ann, State.CANDIDATE_READY)
        others = [o for o in self._Group(ann) if o is not ann]
        if not any(o.m_state in (State.CANDIDATE_BEST, State.REQUESTED) for o in others):
            # No selected announcement (and so, by the invariants, no other READY one): this
            # one becomes the best.
            self._Modify(ann, State.CANDIDATE_BEST)
            return
        current_best = next((o for o in others if o.m_state == State.CANDIDATE_BEST), None)
        if current_best is not None:
            priority_old = self.m_computer.of(current_best)
            priority_new = self.m_computer.of(ann)
            if priority_new > priority_old:
                # There is a CANDIDATE_BEST announcement already, but this one is better.
                self._Modify(current_best, State.CANDIDATE_READY)
                self._Modify(ann, State.CANDIDATE_BEST)

    def ChangeAndReselect(self, ann: Announcement, new_state: State) -> None:
        """Change the state of an announcement to something non-IsSelected(). If it was
        IsSelected(), the next best announcement will be marked CANDIDATE_BEST."""
        assert new_state in (State.COMPLETED, State.CANDIDATE_DELAYED)
        if ann.IsSelected():
            # The best remaining CANDIDATE_READY becomes the new CANDIDATE_BEST.
            successor = self._BestReady(ann)
            if successor is not None:
                self._Modify(successor, State.CANDIDATE_BEST)
        self._Modify(ann, new_state)

    def IsOnlyNonCompleted(self, ann: Announcement) -> bool:
        """Whether ann is the only non-COMPLETED announcement for its txhash."""
        assert ann.m_state != State.COMPLETED  # Not allowed to call this on COMPLETED ones.
        return all(o is ann or o.m_state == State.COMPLETED for o in self._Group(ann))

    def MakeCompleted(self, ann: Announcement) -> bool:
        """Convert any announcement to a COMPLETED one. If there are no non-COMPLETED
        announcements left for this txhash, they are deleted. If this was a REQUESTED
        announcement, and there are other CANDIDATEs left, the best one is made CANDIDATE_BEST.
        Returns whether the announcement still exists."""
        if ann.m_state == State.COMPLETED:
            return True
        if self.IsOnlyNonCompleted(ann):
            # This is the last non-COMPLETED announcement for this txhash: delete them all.
            for other in list(self._Group(ann)):
                self._Erase(other)
            return False
        # Mark the announcement COMPLETED, and select the next best announcement (the first
        # CANDIDATE_READY) if needed.
        self.ChangeAndReselect(ann, State.COMPLETED)
        return True

    def SetTimePoint(self, now: int, expired: list[tuple[NodeId, GenTxid]] | None) -> None:
        """Make the data structure consistent with a given point in time: DELAYED announcements
        whose reqtime passed become READY (or BEST), REQUESTED ones whose expiry passed become
        COMPLETED (reported in ``expired``), and selectable ones with a reqtime in the future
        (the clock went backwards) become DELAYED again."""
        if expired is not None:
            expired.clear()
        # Iterate over all CANDIDATE_DELAYED and REQUESTED from old to new, as long as they're
        # in the past, and convert them to CANDIDATE_READY and COMPLETED respectively.
        due: dict[Announcement, None] = {}
        waiting = self.m_waiting_by_time
        while waiting and waiting[0][0] <= now:
            t, _, ann = heapq.heappop(waiting)
            if ann.IsWaiting() and ann.m_time == t and self._is_live(ann):
                due[ann] = None
        for ann in due:
            if self.m_by_peer.get((ann.m_peer, ann.m_gtxid.ToUint256())) is not ann:
                continue  # deleted along with its txhash
            if ann.m_state == State.CANDIDATE_DELAYED:
                self.PromoteCandidateReady(ann)
            elif ann.m_state == State.REQUESTED:
                if expired is not None:
                    expired.append((ann.m_peer, ann.m_gtxid))
                self.MakeCompleted(ann)

        # Iterate over all CANDIDATE_BEST and CANDIDATE_READY from new to old, as long as
        # they're in the future, and convert them back to CANDIDATE_DELAYED.
        future: dict[Announcement, None] = {}
        selectable = self.m_selectable_by_time
        while selectable and -selectable[0][0] > now:
            neg_t, _, ann = heapq.heappop(selectable)
            if ann.IsSelectable() and ann.m_time == -neg_t and self._is_live(ann):
                future[ann] = None
        for ann in future:
            self.ChangeAndReselect(ann, State.CANDIDATE_DELAYED)

    # -- the interface -------------------------------------------------------------------------

    def ReceivedInv(self, peer: NodeId, gtxid: GenTxid, preferred: bool, reqtime: int) -> None:
        """Adds a new CANDIDATE announcement, unless one exists for (txhash, peer) already
        (whatever its state, and whether it was for a txid or a wtxid)."""
        txhash = gtxid.ToUint256()
        if (peer, txhash) in self.m_by_peer:
            return
        ann = Announcement(gtxid, reqtime, peer, self.m_current_sequence, preferred)
        self.m_by_peer[(peer, txhash)] = ann
        self.m_by_txhash.setdefault(txhash, []).append(ann)
        self.m_peerinfo.setdefault(peer, PeerInfo()).m_total += 1
        self.m_current_sequence += 1
        self._index_by_time(ann)

    def DisconnectedPeer(self, peer: NodeId) -> None:
        """Deletes all announcements for a given peer (it went offline)."""
        for ann in [a for (p, _), a in self.m_by_peer.items() if p == peer]:
            # Mark it COMPLETED (which deletes every announcement of the txhash when this was
            # the last non-COMPLETED one, and reselects otherwise), then erase it.
            if self.MakeCompleted(ann):
                self._Erase(ann)

    def ForgetTxHash(self, txhash: uint256) -> None:
        """Deletes all announcements for a given txhash (both txid and wtxid ones)."""
        for ann in list(self.m_by_txhash.get(txhash, [])):
            self._Erase(ann)

    def GetCandidatePeers(self, txhash: uint256, result_peers: list[NodeId]) -> None:
        """Append the peers with non-COMPLETED announcements for ``txhash`` (upstream's out
        parameter), in upstream's order: by state, then READY ones by priority."""
        group = [a for a in self.m_by_txhash.get(txhash, []) if a.m_state != State.COMPLETED]
        group.sort(
            key=lambda a: (
                a.m_state,
                self.m_computer.of(a) if a.m_state == State.CANDIDATE_READY else 0,
            )
        )
        result_peers.extend(a.m_peer for a in group)

    def GetRequestable(
        self, peer: NodeId, now: int, expired: list[tuple[NodeId, GenTxid]] | None = None
    ) -> list[GenTxid]:
        """The txhashes to request from ``peer`` now: its CANDIDATE_BEST announcements after
        moving to time ``now``, in announcement order. Expired requests go to ``expired``."""
        self.SetTimePoint(now, expired)
        selected = self.m_best_by_peer.get(peer, {})
        return [selected[sequence].m_gtxid for sequence in sorted(selected)]

    def RequestedTx(self, peer: NodeId, txhash: uint256, expiry: int) -> None:
        """Marks a CANDIDATE announcement as requested, until ``expiry``. Another REQUESTED
        announcement for the txhash (an unexpected request) becomes COMPLETED."""
        ann = self.m_by_peer.get((peer, txhash))
        if ann is None:
            return
        if ann.m_state != State.CANDIDATE_BEST:
            # It was not the best: if it is not a candidate at all, there is nothing to do.
            if ann.m_state not in (State.CANDIDATE_DELAYED, State.CANDIDATE_READY):
                return
            # Demote the selected announcement of the txhash: the CANDIDATE_BEST back to
            # CANDIDATE_READY, or the REQUESTED to COMPLETED (no longer waited for).
            for old in self.m_by_txhash[txhash]:
                if old.m_state == State.CANDIDATE_BEST:
                    self._Modify(old, State.CANDIDATE_READY)
                elif old.m_state == State.REQUESTED:
                    self._Modify(old, State.COMPLETED)
        self._Modify(ann, State.REQUESTED, expiry)

    def ReceivedResponse(self, peer: NodeId, txhash: uint256) -> None:
        """Converts a CANDIDATE or REQUESTED announcement to a COMPLETED one (a transaction or
        NOTFOUND arrived)."""
        ann = self.m_by_peer.get((peer, txhash))
        if ann is not None:
            self.MakeCompleted(ann)

    def CountInFlight(self, peer: NodeId) -> int:
        """How many REQUESTED announcements a peer has."""
        info = self.m_peerinfo.get(peer)
        return info.m_requested if info is not None else 0

    def CountCandidates(self, peer: NodeId) -> int:
        """How many CANDIDATE announcements a peer has."""
        info = self.m_peerinfo.get(peer)
        if info is None:
            return 0
        return info.m_total - info.m_requested - info.m_completed

    def Count(self, peer: NodeId) -> int:
        """How many announcements a peer has (REQUESTED, CANDIDATE and COMPLETED)."""
        info = self.m_peerinfo.get(peer)
        return info.m_total if info is not None else 0

    def Size(self) -> int:
        """How many announcements are tracked in total."""
        return len(self.m_by_peer)

    def ComputePriority(self, txhash: uint256, peer: NodeId, preferred: bool) -> int:
        """Access to the internal priority computation (testing only)."""
        return self.m_computer(txhash, peer, preferred)

    def SanityCheck(self) -> None:
        """Internal consistency check (testing only)."""
        recomputed: dict[NodeId, PeerInfo] = {}
        for ann in self.m_by_peer.values():
            info = recomputed.setdefault(ann.m_peer, PeerInfo())
            info.m_total += 1
            info.m_requested += ann.m_state == State.REQUESTED
            info.m_completed += ann.m_state == State.COMPLETED
        assert recomputed == self.m_peerinfo
        # The indexes: each peer's CANDIDATE_BEST, and a time-heap entry that counts for every
        # waiting and every selectable announcement.
        best_by_peer: dict[NodeId, dict[int, Announcement]] = {}
        for ann in self.m_by_peer.values():
            if ann.m_state == State.CANDIDATE_BEST:
                best_by_peer.setdefault(ann.m_peer, {})[ann.m_sequence] = ann
        assert best_by_peer == self.m_best_by_peer
        waiting = {id(a) for t, _, a in self.m_waiting_by_time if a.m_time == t}
        selectable = {id(a) for t, _, a in self.m_selectable_by_time if a.m_time == -t}
        for ann in self.m_by_peer.values():
            if ann.IsWaiting():
                assert id(ann) in waiting
            elif ann.IsSelectable():
                assert id(ann) in selectable
        for txhash, group in self.m_by_txhash.items():
            assert group
            states = [a.m_state for a in group]
            # Cannot have only COMPLETED peers (txhash should have been forgotten already).
            assert any(s != State.COMPLETED for s in states)
            # Can have at most 1 CANDIDATE_BEST/REQUESTED peer.
            selected = states.count(State.CANDIDATE_BEST) + states.count(State.REQUESTED)
            assert selected <= 1
            # If there are any CANDIDATE_READY announcements, there must be exactly one
            # CANDIDATE_BEST or REQUESTED announcement.
            if State.CANDIDATE_READY in states:
                assert selected == 1
            # If there is both a CANDIDATE_READY and a CANDIDATE_BEST announcement, the
            # CANDIDATE_BEST one must be at least as good (equal or higher priority) as the
            # best CANDIDATE_READY.
            ready = [self.m_computer.of(a) for a in group if a.m_state == State.CANDIDATE_READY]
            best = [self.m_computer.of(a) for a in group if a.m_state == State.CANDIDATE_BEST]
            if ready and best:
                assert best[0] >= max(ready)
            # No txhash can have been announced by the same peer twice.
            peers = [a.m_peer for a in group]
            assert len(peers) == len(set(peers))
            assert all(self.m_by_peer[(a.m_peer, txhash)] is a for a in group)

    def PostGetRequestableSanityCheck(self, now: int) -> None:
        """Time-dependent consistency check, right after GetRequestable with the same ``now``
        (testing only)."""
        for ann in self.m_by_peer.values():
            if ann.IsWaiting():
                # REQUESTED and CANDIDATE_DELAYED must have a time in the future (they should
                # have been converted to COMPLETED/CANDIDATE_READY respectively).
                assert ann.m_time > now
            elif ann.IsSelectable():
                # CANDIDATE_READY and CANDIDATE_BEST cannot have a time in the future (they
                # should have remained CANDIDATE_DELAYED, or should have been converted back to
                # it if time went backwards).
                assert ann.m_time <= now
