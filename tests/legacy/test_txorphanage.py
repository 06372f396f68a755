"""legacy/txorphanage.py: orphan storage, announcers, work sets and the DoS limits (upstream:
orphanage_tests.cpp)."""

from __future__ import annotations

from common.nodeid import NodeId
from common.primitives.block import CBlock
from common.primitives.transaction import COutPoint, CTransaction, CTxIn, CTxOut
from common.random import FastRandomContext
from common.uint256 import uint256
from legacy.txorphanage import MakeTxOrphanage

A, B = NodeId(0), NodeId(1)


def tx_spending(*prevouts: COutPoint, tag: int = 0) -> CTransaction:
    vin = [CTxIn(p, b"", 0xFFFFFFFF, (bytes([tag]),)) for p in prevouts]
    return CTransaction(vin, [CTxOut(1000, b"\x51"), CTxOut(1000, b"\x51")])


def missing_parent(n: int) -> COutPoint:
    return COutPoint(uint256(bytes([n]) * 32), 0)


def test_orphans_are_stored_once_with_every_announcer() -> None:
    orphanage = MakeTxOrphanage()
    tx = tx_spending(missing_parent(1))
    assert orphanage.AddTx(tx, A)
    assert not orphanage.AddTx(tx, A)
    assert not orphanage.AddTx(tx, B)  # not new: B only joins the announcers
    assert orphanage.HaveTx(tx.GetWitnessHash())
    assert orphanage.HaveTxFromPeer(tx.GetWitnessHash(), B)
    assert orphanage.CountAnnouncements() == 2
    assert orphanage.CountUniqueOrphans() == 1
    (info,) = orphanage.GetOrphanTransactions()
    assert info.tx == tx and info.announcers == {A, B}
    orphanage.SanityCheck()

    # A disconnecting leaves B's announcement; B's takes the orphan with it.
    orphanage.EraseForPeer(A)
    assert orphanage.HaveTx(tx.GetWitnessHash())
    orphanage.EraseForPeer(B)
    assert not orphanage.HaveTx(tx.GetWitnessHash())
    assert orphanage.TotalOrphanUsage() == 0
    orphanage.SanityCheck()


def test_add_announcer_needs_the_orphan() -> None:
    orphanage = MakeTxOrphanage()
    tx = tx_spending(missing_parent(1))
    assert not orphanage.AddAnnouncer(tx.GetWitnessHash(), A)
    orphanage.AddTx(tx, A)
    assert orphanage.AddAnnouncer(tx.GetWitnessHash(), B)
    assert not orphanage.AddAnnouncer(tx.GetWitnessHash(), B)


def test_children_of_an_accepted_parent_join_one_announcers_work_set() -> None:
    orphanage = MakeTxOrphanage()
    parent = tx_spending(missing_parent(9))
    child = tx_spending(COutPoint(parent.GetHash(), 1))
    orphanage.AddTx(child, A)
    orphanage.AddTx(child, B)
    assert orphanage.GetChildrenFromSamePeer(parent, A) == [child]
    work = orphanage.AddChildrenToWorkSet(parent, FastRandomContext(True))
    assert len(work) == 1 and work[0][0] == child.GetWitnessHash()
    chosen = work[0][1]
    assert orphanage.HaveTxToReconsider(chosen)
    assert not orphanage.HaveTxToReconsider(B if chosen == A else A)
    # Not added twice while it waits.
    assert orphanage.AddChildrenToWorkSet(parent, FastRandomContext(True)) == []
    orphanage.SanityCheck()
    assert orphanage.GetTxToReconsider(chosen) == child
    assert orphanage.GetTxToReconsider(chosen) is None


def test_block_erases_included_and_conflicting_orphans() -> None:
    orphanage = MakeTxOrphanage()
    included = tx_spending(missing_parent(1))
    conflicting = tx_spending(missing_parent(2), tag=1)
    unrelated = tx_spending(missing_parent(3))
    for tx in (included, conflicting, unrelated):
        orphanage.AddTx(tx, A)
    block = CBlock(vtx=[included, tx_spending(missing_parent(2), tag=2)])
    orphanage.EraseForBlock(block)
    assert [o.tx for o in orphanage.GetOrphanTransactions()] == [unrelated]
    orphanage.SanityCheck()


def test_over_the_global_latency_limit_the_worst_peers_oldest_orphans_go_first() -> None:
    # A latency budget of 4: one announcement each from A fills it.
    orphanage = MakeTxOrphanage(max_global_latency_score=4, reserved_peer_usage=10**9)
    txs = [tx_spending(missing_parent(i)) for i in range(1, 6)]
    for tx in txs[:4]:
        orphanage.AddTx(tx, A)
    assert orphanage.CountUniqueOrphans() == 4
    orphanage.AddTx(txs[4], A)
    # The oldest announcement of the (only, so worst) peer was evicted.
    assert not orphanage.HaveTx(txs[0].GetWitnessHash())
    assert all(orphanage.HaveTx(tx.GetWitnessHash()) for tx in txs[1:])
    # A second peer's single orphan is within its share: A's go instead.
    extra = tx_spending(missing_parent(7))
    orphanage.AddTx(extra, B)
    assert orphanage.HaveTx(extra.GetWitnessHash())
    assert orphanage.AnnouncementsFromPeer(A) == 3
    orphanage.SanityCheck()


def test_oversized_orphans_are_not_stored() -> None:
    orphanage = MakeTxOrphanage()
    big = CTransaction([CTxIn(missing_parent(1))], [CTxOut(1, b"\x51" * 100_001)])
    assert not orphanage.AddTx(big, A)
    assert not orphanage.HaveTx(big.GetWitnessHash())
