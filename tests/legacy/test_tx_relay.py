"""Transaction relay in legacy/net_processing.py: announcements (wtxid relay), the download
scheduler's delays, trickling, the fee filter, notfound, orphans and the mempool message,
driven single-threaded through ConnmanTestMsg with mock time and seeded randomness (upstream:
p2p_tx_download.py, p2p_feefilter.py, p2p_orphan_handling.py, p2p_wtxid_relay.py,
p2p_mempool.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from common.clock import SetMockTime
from common.connection_types import ConnectionType
from common.logging import BCLog, LogInstance
from common.messages import msg_feefilter, msg_getdata, msg_inv, msg_notfound, msg_tx
from common.mining import (
    OP_TRUE_SCRIPT,
    GetCoinbaseAt,
    MakeSpendingTransaction,
    generateBlocks,
)
from common.primitives.transaction import CTransaction
from common.protocol import MSG_TX, MSG_WITNESS_TX, MSG_WTX, CInv
from common.random import SeedRandomStateForTest
from legacy.net import CNode
from legacy.net_processing import Peer
from legacy.txdownloadman import GETDATA_TX_INTERVAL, NONPREF_PEER_TX_DELAY, TXID_RELAY_DELAY

from .nodepair import node_pair
from .peerman_util import PEER_SERVICES, T0, Harness, capture_log, logged, make_harness

#: Blocks mined before each test: block 1's coinbase is mature from height 101 on.
CHAIN_LENGTH = 101


@pytest.fixture
def h(tmp_path: Path) -> Iterator[Harness]:
    SeedRandomStateForTest()
    SetMockTime(T0)
    for harness in make_harness(tmp_path):
        generateBlocks(harness.node.chainman, harness.node.mempool, OP_TRUE_SCRIPT, CHAIN_LENGTH)
        yield harness
    SeedRandomStateForTest(None)


@pytest.fixture
def log() -> Iterator[list[str]]:
    for lines in capture_log():
        LogInstance().EnableCategory(BCLog.MEMPOOL)
        LogInstance().EnableCategory(BCLog.TXPACKAGES)
        yield lines


def spend(h: Harness, height: int = 1, fee: int = 1000) -> CTransaction:
    """A transaction spending the coinbase at ``height``, with a witness (wtxid != txid)."""
    coinbase = GetCoinbaseAt(h.node.chainman, height)
    return MakeSpendingTransaction(coinbase, fee=fee, witness=(b"\x01",))


def tx_peer(
    h: Harness,
    node_id: int,
    wtxidrelay: bool = True,
    conn_type: ConnectionType = ConnectionType.INBOUND,
) -> CNode:
    """A peer past the handshake that relays transactions (and wtxids, if asked), with
    everything we sent so far taken."""
    pnode = h.add_peer(
        node_id, f"1.2.3.{node_id + 4}:18444", conn_type, addr_services=PEER_SERVICES
    )
    h.send_messages(pnode)
    h.version_from(pnode)
    if wtxidrelay:
        h.deliver(pnode, "wtxidrelay")
    h.deliver(pnode, "verack")
    h.send_messages(pnode)
    h.take(pnode)
    return pnode


def peer_of(h: Harness, pnode: CNode) -> Peer:
    peer = h.peerman.GetPeerRef(pnode.GetId())
    assert peer is not None
    return peer


def next_inv_time(h: Harness, pnode: CNode) -> int:
    """When the trickle timer next lets us announce transactions to ``pnode`` (seconds, rounded
    up; mock time has whole seconds)."""
    tx_relay = peer_of(h, pnode).GetTxRelay()
    assert tx_relay is not None
    return -(-tx_relay.m_next_inv_send_time // 1_000_000)


def getdata(*invs: CInv) -> bytes:
    return msg_getdata(list(invs)).serialize()


def inv(*invs: CInv) -> bytes:
    return msg_inv(list(invs)).serialize()


def test_tx_announced_by_wtxid_is_requested_after_the_nonpreferred_delay(h: Harness) -> None:
    tx = spend(h)
    pnode = tx_peer(h, 0)
    h.deliver(pnode, "inv", inv(CInv(MSG_WTX, tx.GetWitnessHash())))
    h.send_messages(pnode)
    assert h.take(pnode) == []
    SetMockTime(T0 + NONPREF_PEER_TX_DELAY // 1_000_000)
    h.send_messages(pnode)
    assert h.take(pnode) == [("getdata", getdata(CInv(MSG_WTX, tx.GetWitnessHash())))]
    # Not asked twice, even after the request expired.
    SetMockTime(T0 + (NONPREF_PEER_TX_DELAY + GETDATA_TX_INTERVAL) // 1_000_000 + 1)
    h.send_messages(pnode)
    assert h.take(pnode) == []


def test_outbound_peer_is_asked_at_once_and_txid_announcements_wait_for_wtxid_peers(
    h: Harness,
) -> None:
    tx = spend(h)
    wtxid_peer = tx_peer(h, 0)
    outbound = tx_peer(h, 1, wtxidrelay=False, conn_type=ConnectionType.OUTBOUND_FULL_RELAY)
    h.deliver(outbound, "inv", inv(CInv(MSG_TX, tx.GetHash())))
    h.send_messages(outbound)
    assert h.take(outbound) == []
    SetMockTime(T0 + TXID_RELAY_DELAY // 1_000_000)
    h.send_messages(outbound)
    assert h.take(outbound) == [("getdata", getdata(CInv(MSG_WITNESS_TX, tx.GetHash())))]
    assert h.take(wtxid_peer) == []


def test_invs_not_matching_the_wtxidrelay_setting_are_ignored(h: Harness) -> None:
    tx = spend(h)
    pnode = tx_peer(h, 0)
    h.deliver(pnode, "inv", inv(CInv(MSG_TX, tx.GetHash())))
    SetMockTime(T0 + 10)
    h.send_messages(pnode)
    assert h.take(pnode) == []


def test_tx_is_accepted_and_relayed_to_other_peers_after_the_trickle(
    h: Harness, log: list[str]
) -> None:
    tx = spend(h)
    sender, receiver, legacy_receiver = tx_peer(h, 0), tx_peer(h, 1), tx_peer(h, 2, False)
    h.deliver(sender, "inv", inv(CInv(MSG_WTX, tx.GetWitnessHash())))
    SetMockTime(T0 + 2)
    h.send_messages(sender)
    assert h.take(sender) == [("getdata", getdata(CInv(MSG_WTX, tx.GetWitnessHash())))]

    h.deliver(sender, "tx", msg_tx(tx).serialize())
    assert h.node.mempool.exists(tx.GetHash())
    assert logged(
        log,
        f"AcceptToMemoryPool: peer=0: accepted {tx.GetHash().ToString()} "
        f"(wtxid={tx.GetWitnessHash().ToString()}) (poolsz 1 txn, 0 kB)",
    )

    # Inbound peers share one Poisson timer; nothing goes out before it fires.
    for pnode in (receiver, legacy_receiver):
        h.send_messages(pnode)
        assert h.take(pnode) == []
    SetMockTime(next_inv_time(h, receiver))
    h.send_messages(receiver)
    assert h.take(receiver) == [("inv", inv(CInv(MSG_WTX, tx.GetWitnessHash())))]
    h.send_messages(legacy_receiver)
    assert h.take(legacy_receiver) == [("inv", inv(CInv(MSG_TX, tx.GetHash())))]
    # The sender knows it already.
    SetMockTime(next_inv_time(h, sender) + 1)
    h.send_messages(sender)
    assert h.take(sender) == []

    # The announcement is answered.
    h.deliver(receiver, "getdata", getdata(CInv(MSG_WTX, tx.GetWitnessHash())))
    assert h.take(receiver) == [("tx", tx.serialize())]
    h.deliver(legacy_receiver, "getdata", getdata(CInv(MSG_TX, tx.GetHash())))
    assert h.take(legacy_receiver) == [("tx", tx.serialize(with_witness=False))]


def test_getdata_for_a_tx_not_announced_yet_gets_notfound(h: Harness) -> None:
    tx = spend(h)
    submitter, pnode = tx_peer(h, 0), tx_peer(h, 1)
    h.deliver(submitter, "tx", msg_tx(tx).serialize())
    h.deliver(pnode, "getdata", getdata(CInv(MSG_WTX, tx.GetWitnessHash())))
    assert h.take(pnode) == [
        ("notfound", msg_notfound([CInv(MSG_WTX, tx.GetWitnessHash())]).serialize())
    ]


def test_feefilter_above_the_tx_feerate_suppresses_the_announcement(h: Harness) -> None:
    cheap, dear = spend(h, 1, fee=200), spend(h, 2, fee=50_000)
    sender, receiver = tx_peer(h, 0), tx_peer(h, 1)
    # 10,000 sat/kvB: above the cheap transaction's feerate, below the dear one's.
    h.deliver(receiver, "feefilter", msg_feefilter(10_000).serialize())
    for tx in (cheap, dear):
        h.deliver(sender, "tx", msg_tx(tx).serialize())
    SetMockTime(next_inv_time(h, receiver))
    h.send_messages(receiver)
    assert h.take(receiver) == [("inv", inv(CInv(MSG_WTX, dear.GetWitnessHash())))]


def test_notfound_lets_the_next_announcer_be_asked(h: Harness) -> None:
    tx = spend(h)
    first, second = tx_peer(h, 0), tx_peer(h, 1)
    for pnode in (first, second):
        h.deliver(pnode, "inv", inv(CInv(MSG_WTX, tx.GetWitnessHash())))
    SetMockTime(T0 + 2)
    asked = []
    for pnode in (first, second):
        h.send_messages(pnode)
        if h.take(pnode):
            asked.append(pnode)
    assert len(asked) == 1
    other = second if asked[0] is first else first
    h.deliver(asked[0], "notfound", msg_notfound([CInv(MSG_WTX, tx.GetWitnessHash())]).serialize())
    h.send_messages(other)
    assert h.take(other) == [("getdata", getdata(CInv(MSG_WTX, tx.GetWitnessHash())))]


def test_orphan_is_kept_its_parent_fetched_by_txid_and_then_accepted(
    h: Harness, log: list[str]
) -> None:
    parent = spend(h)
    child = MakeSpendingTransaction(parent, fee=1000, witness=(b"\x02",))
    pnode = tx_peer(h, 0)
    h.deliver(pnode, "tx", msg_tx(child).serialize())
    assert not h.node.mempool.exists(child.GetHash())
    assert [o.tx for o in h.peerman.GetOrphanTransactions()] == [child]
    assert logged(
        log,
        f"added peer=0 as a candidate for resolving orphan {child.GetWitnessHash().ToString()}",
    )
    # The parent is requested by txid from the orphan's sender, after the non-preferred and
    # txid delays (there is a wtxid peer).
    SetMockTime(T0 + (NONPREF_PEER_TX_DELAY + TXID_RELAY_DELAY) // 1_000_000 - 1)
    h.send_messages(pnode)
    assert h.take(pnode) == []
    SetMockTime(T0 + (NONPREF_PEER_TX_DELAY + TXID_RELAY_DELAY) // 1_000_000)
    h.send_messages(pnode)
    assert h.take(pnode) == [("getdata", getdata(CInv(MSG_WITNESS_TX, parent.GetHash())))]

    h.deliver(pnode, "tx", msg_tx(parent).serialize())
    assert h.node.mempool.exists(parent.GetHash())
    assert not h.node.mempool.exists(child.GetHash())
    # The orphan is reconsidered on the next ProcessMessages call.
    assert h.connman.ProcessMessagesOnce(pnode) is True  # an orphan was processed
    assert h.node.mempool.exists(child.GetHash())
    assert h.peerman.GetOrphanTransactions() == []


def test_mempool_message_without_bloom_filters_disconnects(h: Harness) -> None:
    pnode = tx_peer(h, 0)
    h.deliver(pnode, "mempool")
    assert pnode.fDisconnect


def test_mempool_message_from_a_permitted_peer_announces_the_mempool(h: Harness) -> None:
    from common.net_permissions import NetPermissionFlags

    tx = spend(h)
    submitter = tx_peer(h, 0)
    h.deliver(submitter, "tx", msg_tx(tx).serialize())
    pnode = h.add_peer(5, "1.2.3.9:18444", permissions=NetPermissionFlags.Mempool)
    h.send_messages(pnode)
    h.version_from(pnode)
    h.deliver(pnode, "wtxidrelay")
    h.deliver(pnode, "verack")
    h.send_messages(pnode)
    h.take(pnode)
    h.deliver(pnode, "mempool")
    SetMockTime(next_inv_time(h, pnode))
    h.send_messages(pnode)
    assert h.take(pnode) == [("inv", inv(CInv(MSG_WTX, tx.GetWitnessHash())))]


def test_two_nodes_relay_a_transaction_by_wtxid(tmp_path: Path) -> None:
    SeedRandomStateForTest()
    SetMockTime(T0)
    with node_pair(tmp_path) as pair:
        generateBlocks(pair.a.node.chainman, pair.a.node.mempool, OP_TRUE_SCRIPT, CHAIN_LENGTH)
        pair.pump()
        tx = spend(pair.a)
        # What sendrawtransaction does: accept, then announce.
        assert pair.a.node.chainman.ProcessTransaction(tx).m_state.IsValid()
        pair.a.peerman.RelayTransaction(tx.GetHash(), tx.GetWitnessHash())
        pair.traffic.clear()
        now = T0
        while not pair.b.node.mempool.exists(tx.GetHash()):
            now += 1
            assert now < T0 + 60, "the transaction did not reach b within a minute"
            SetMockTime(now)
            pair.pump()
        assert [(s, t, p) for s, t, p in pair.traffic if t in ("inv", "getdata", "tx")] == [
            ("a", "inv", inv(CInv(MSG_WTX, tx.GetWitnessHash()))),
            ("b", "getdata", getdata(CInv(MSG_WTX, tx.GetWitnessHash()))),
            ("a", "tx", tx.serialize()),
        ]
    SeedRandomStateForTest(None)
