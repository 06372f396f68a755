"""Interop with bcoin 1.0.2, a full node no one here wrote: each node variant and bcoin, on
loopback, see each other as peers, sync each other's blocks and relay transactions both ways.

bcoin dials our node (it downloads only from outbound peers), speaks protocol 70015 (no
wtxidrelay, addrv2 or BIP324), announces blocks with inv, and activates segwit on regtest only
at height 432, so it mines its 500 blocks before our node mines any (ours carry a witness
commitment, which bcoin refuses before activation).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from netsplit.nodeproc import NodeProcess, RPCClient
from netsplit.optrue import INITIAL_SUBSIDY, OP_TRUE_P2SH_ADDRESS, spend_op_true
from tests.interop.bcoin import (
    BCOIN_OP_TRUE_P2SH_ADDRESS,
    BCOIN_PROTOCOL_VERSION,
    BCOIN_SUBVER,
    BcoinProcess,
    ensure_bcoin_installed,
    wait_for,
)

ROOT = Path(__file__).resolve().parent.parent.parent
VARIANTS = ["legacy"] + (["split"] if (ROOT / "split" / "bitcoind.py").exists() else [])
BCOIN_BLOCKS = 500
TIMEOUT = 60.0


@dataclass(slots=True)
class Pair:
    ours: NodeProcess
    bcoin: BcoinProcess
    #: The blocks bcoin mined before our node connected (heights 1..BCOIN_BLOCKS).
    bcoin_hashes: list[str]
    #: Seconds our node took to sync them.
    sync_seconds: float

    @property
    def r(self) -> RPCClient:
        return self.ours.rpc(timeout=TIMEOUT)

    @property
    def b(self) -> RPCClient:
        return self.bcoin.rpc(timeout=TIMEOUT)


@pytest.fixture(scope="module", params=VARIANTS)
def pair(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Pair]:
    """bcoin mines BCOIN_BLOCKS blocks, then our node starts with -addnode=<bcoin> and syncs
    them. (bcoin answers getheaders only once its tip is recent, so it mines first.)"""
    ensure_bcoin_installed()
    variant: str = request.param
    workdir = tmp_path_factory.mktemp(f"bcoin-{variant}")
    bcoin = BcoinProcess(workdir / "bcoin")
    ours: NodeProcess | None = None
    try:
        bcoin.start()
        hashes = bcoin.rpc(timeout=TIMEOUT).generatetoaddress(
            BCOIN_BLOCKS, BCOIN_OP_TRUE_P2SH_ADDRESS
        )
        ours = NodeProcess(
            workdir / "ours",
            variant=variant,
            extra_args=["-debug=net", f"-addnode={bcoin.p2p_addr}"],
        )
        ours.start()
        rpc = ours.rpc(timeout=TIMEOUT)
        seconds = wait_for(
            lambda: rpc.getbestblockhash() == hashes[-1], TIMEOUT, "our node to sync bcoin's chain"
        )
        yield Pair(ours, bcoin, hashes, seconds)
    finally:
        bcoin.stop()
        if ours is not None:
            ours.stop()


def test_both_report_each_other_in_getpeerinfo(pair: Pair) -> None:
    (peer,) = pair.r.getpeerinfo()
    assert peer["addr"] == pair.bcoin.p2p_addr
    assert peer["subver"] == BCOIN_SUBVER
    assert peer["version"] == BCOIN_PROTOCOL_VERSION
    assert peer["inbound"] is False
    assert peer["connection_type"] == "manual"
    assert peer["transport_protocol_type"] == "v1"
    assert "NETWORK" in peer["servicesnames"]
    assert pair.r.getaddednodeinfo() == [
        {
            "addednode": pair.bcoin.p2p_addr,
            "connected": True,
            "addresses": [{"address": pair.bcoin.p2p_addr, "connected": "outbound"}],
        }
    ]
    (theirs,) = pair.b.getpeerinfo()
    assert theirs["inbound"] is True
    assert theirs["subver"] == "/Satoshi:30.0.0/"
    assert theirs["version"] == 70016


def test_our_node_syncs_500_blocks_mined_by_bcoin(pair: Pair) -> None:
    assert pair.r.getblockcount() >= BCOIN_BLOCKS
    assert [pair.r.getblockhash(h) for h in range(1, BCOIN_BLOCKS + 1)] == pair.bcoin_hashes
    info = pair.r.getblockchaininfo()
    assert info["initialblockdownload"] is False
    assert info["blocks"] == info["headers"]
    assert pair.sync_seconds < TIMEOUT


def test_bcoin_syncs_blocks_mined_by_our_node(pair: Pair) -> None:
    mined = pair.r.generatetoaddress(5, OP_TRUE_P2SH_ADDRESS)
    wait_for(lambda: pair.b.getbestblockhash() == mined[-1], TIMEOUT, "bcoin to sync our blocks")
    height = pair.r.getblockcount()
    assert pair.b.getblockcount() == height
    assert [pair.b.getblockhash(h) for h in range(height - 4, height + 1)] == mined


def test_transaction_relays_from_our_node_to_bcoin(pair: Pair) -> None:
    coinbase = pair.r.getblock(pair.bcoin_hashes[0])["tx"][0]
    raw, txid = spend_op_true(coinbase, 0, INITIAL_SUBSIDY)
    assert pair.r.sendrawtransaction(raw) == txid
    wait_for(lambda: txid in pair.b.getrawmempool(), TIMEOUT, "bcoin to take our transaction")


def test_transaction_relays_from_bcoin_to_our_node(pair: Pair) -> None:
    coinbase = pair.r.getblock(pair.bcoin_hashes[1])["tx"][0]
    raw, txid = spend_op_true(coinbase, 0, INITIAL_SUBSIDY)
    assert pair.b.sendrawtransaction(raw) == txid
    wait_for(
        lambda: txid in pair.r.getrawmempool(), TIMEOUT, "our node to take bcoin's transaction"
    )
