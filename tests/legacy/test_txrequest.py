"""legacy/txrequest.py: TxRequestTracker's selection rules (upstream: txrequest_tests.cpp and
the txrequest fuzz target's invariants). Times are microseconds."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from common.nodeid import NodeId
from common.primitives.transaction import GenTxid
from common.uint256 import uint256
from legacy.txrequest import State, TxRequestTracker

A, B, C = NodeId(0), NodeId(1), NodeId(2)
TX1 = uint256(b"\x01" * 32)
TX2 = uint256(b"\x02" * 32)


def wtx(h: uint256) -> GenTxid:
    return GenTxid.Wtxid(h)


def test_candidate_becomes_requestable_at_its_reqtime() -> None:
    tracker = TxRequestTracker(True)
    tracker.ReceivedInv(A, wtx(TX1), False, 2_000_000)
    assert tracker.GetRequestable(A, 1_999_999) == []
    assert tracker.GetRequestable(A, 2_000_000) == [wtx(TX1)]
    assert tracker.CountCandidates(A) == 1
    tracker.SanityCheck()
    tracker.PostGetRequestableSanityCheck(2_000_000)


def test_preferred_announcer_is_selected_over_non_preferred() -> None:
    tracker = TxRequestTracker(True)
    tracker.ReceivedInv(A, wtx(TX1), False, 0)
    tracker.ReceivedInv(B, wtx(TX1), True, 0)
    assert tracker.GetRequestable(A, 0) == []
    assert tracker.GetRequestable(B, 0) == [wtx(TX1)]
    tracker.SanityCheck()


def test_ties_are_broken_by_the_salted_priority() -> None:
    tracker = TxRequestTracker(True)
    for peer in (A, B, C):
        tracker.ReceivedInv(peer, wtx(TX1), False, 0)
    best = max((A, B, C), key=lambda p: tracker.ComputePriority(TX1, p, False))
    for peer in (A, B, C):
        assert tracker.GetRequestable(peer, 0) == ([wtx(TX1)] if peer == best else [])


def test_expired_request_reports_and_moves_on_to_the_next_announcer() -> None:
    tracker = TxRequestTracker(True)
    tracker.ReceivedInv(A, wtx(TX1), True, 0)
    tracker.ReceivedInv(B, wtx(TX1), False, 0)
    assert tracker.GetRequestable(A, 0) == [wtx(TX1)]
    tracker.RequestedTx(A, TX1, 60_000_000)
    assert tracker.CountInFlight(A) == 1
    # While requested from A, nobody else is asked.
    assert tracker.GetRequestable(B, 59_999_999) == []
    expired: list[tuple[NodeId, GenTxid]] = []
    assert tracker.GetRequestable(B, 60_000_000, expired) == [wtx(TX1)]
    assert expired == [(A, wtx(TX1))]
    # A is never asked again for it.
    assert tracker.GetRequestable(A, 60_000_000) == []
    assert tracker.Count(A) == 1 and tracker.CountCandidates(A) == 0
    tracker.SanityCheck()


def test_response_completes_and_only_completed_announcements_are_forgotten() -> None:
    tracker = TxRequestTracker(True)
    tracker.ReceivedInv(A, wtx(TX1), False, 0)
    tracker.ReceivedInv(B, wtx(TX1), False, 0)
    tracker.ReceivedResponse(A, TX1)
    assert tracker.Size() == 2
    tracker.ReceivedResponse(B, TX1)
    assert tracker.Size() == 0
    assert tracker.Count(A) == tracker.Count(B) == 0


def test_disconnect_of_the_requested_peer_reselects() -> None:
    tracker = TxRequestTracker(True)
    tracker.ReceivedInv(A, wtx(TX1), True, 0)
    tracker.ReceivedInv(B, wtx(TX1), False, 0)
    tracker.GetRequestable(A, 0)
    tracker.RequestedTx(A, TX1, 10)
    tracker.DisconnectedPeer(A)
    assert tracker.GetRequestable(B, 1) == [wtx(TX1)]
    tracker.SanityCheck()


def test_requests_come_in_announcement_order_and_time_can_go_backwards() -> None:
    tracker = TxRequestTracker(True)
    tracker.ReceivedInv(A, wtx(TX2), False, 5)
    tracker.ReceivedInv(A, wtx(TX1), False, 5)
    assert tracker.GetRequestable(A, 5) == [wtx(TX2), wtx(TX1)]
    # The clock goes back before the reqtime: the candidates wait again.
    assert tracker.GetRequestable(A, 4) == []
    tracker.PostGetRequestableSanityCheck(4)
    assert tracker.m_by_peer[(A, TX1)].m_state == State.CANDIDATE_DELAYED


def test_a_peer_announces_a_hash_once_whether_as_txid_or_wtxid() -> None:
    tracker = TxRequestTracker(True)
    tracker.ReceivedInv(A, GenTxid.Txid(TX1), False, 0)
    tracker.ReceivedInv(A, wtx(TX1), False, 0)
    assert tracker.Size() == 1
    assert tracker.GetRequestable(A, 0) == [GenTxid.Txid(TX1)]


_peers = st.sampled_from([A, B, C])
_hashes = st.sampled_from([TX1, TX2])
_ops = st.lists(
    st.one_of(
        st.tuples(st.just("inv"), _peers, _hashes, st.booleans(), st.integers(0, 20)),
        st.tuples(st.just("req"), _peers, _hashes, st.integers(0, 40)),
        st.tuples(st.just("resp"), _peers, _hashes),
        st.tuples(st.just("disc"), _peers),
        st.tuples(st.just("forget"), _hashes),
        st.tuples(st.just("get"), _peers, st.integers(0, 40)),
    ),
    max_size=40,
)


@given(_ops)
def test_invariants_hold_under_any_sequence_of_operations(ops: list[tuple[object, ...]]) -> None:
    tracker = TxRequestTracker(True)
    for op in ops:
        match op:
            case ("inv", peer, txhash, preferred, reqtime):
                tracker.ReceivedInv(peer, wtx(txhash), preferred, reqtime)  # type: ignore[arg-type]
            case ("req", peer, txhash, expiry):
                tracker.RequestedTx(peer, txhash, expiry)  # type: ignore[arg-type]
            case ("resp", peer, txhash):
                tracker.ReceivedResponse(peer, txhash)  # type: ignore[arg-type]
            case ("disc", peer):
                tracker.DisconnectedPeer(peer)  # type: ignore[arg-type]
            case ("forget", txhash):
                tracker.ForgetTxHash(txhash)  # type: ignore[arg-type]
            case ("get", peer, now):
                selected = tracker.GetRequestable(peer, now)  # type: ignore[arg-type]
                tracker.PostGetRequestableSanityCheck(now)  # type: ignore[arg-type]
                # Never two requests outstanding for one hash.
                assert len({g.ToUint256() for g in selected}) == len(selected)
        tracker.SanityCheck()
