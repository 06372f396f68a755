"""The two-node demo: two nodes of any variants (legacy, split, stage:K) on loopback connect,
mine, relay a transaction, and agree on the tip.

:func:`run_two_node_demo` returns what it saw as a :class:`DemoResult`; rendering is the
caller's (``netsplit tour``). The nodes are child processes with their own temporary data
directories and free ports, and are always stopped before it returns.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .node import ROOT
from .nodeproc import NodeProcess, RPCClient, wait_until
from .optrue import INITIAL_SUBSIDY, OP_TRUE_P2SH_ADDRESS, spend_op_true

#: Blocks A mines first: one coinbase to spend, and 100 more for it to mature.
MATURITY_BLOCKS = 101
#: How long each wait may take, in seconds.
STEP_TIMEOUT = 60.0


@dataclass(slots=True)
class DemoResult:
    variant_a: str
    variant_b: str
    #: Each node's best block hash and height at the end.
    tip_a: str = ""
    tip_b: str = ""
    height_a: int = -1
    height_b: int = -1
    #: The relayed transaction, and whether B had it in its mempool before any block held it.
    txid: str = ""
    tx_relayed: bool = False
    #: Whether the block B mined with that transaction reached A.
    tx_confirmed_on_a: bool = False
    #: (address, connection_type) of the peer each node reports.
    peers_a: list[tuple[str, str]] = field(default_factory=list)
    peers_b: list[tuple[str, str]] = field(default_factory=list)
    #: (what happened, seconds it took), in order.
    steps: list[tuple[str, float]] = field(default_factory=list)

    @property
    def agree(self) -> bool:
        return bool(self.tip_a) and self.tip_a == self.tip_b and self.height_a == self.height_b


def default_demo_variants(root: Path = ROOT) -> tuple[str, str]:
    """legacy and split; two legacy nodes while split/ has no node yet."""
    return (
        ("legacy", "split") if (root / "split" / "bitcoind.py").exists() else ("legacy", "legacy")
    )


def run_two_node_demo(
    variant_a: str = "legacy", variant_b: str = "legacy", workdir: Path | None = None
) -> DemoResult:
    """Start A and B, connect A to B (addnode), mine on A until a coinbase matures, wait for B
    to sync, relay a transaction spending it from A to B, mine it on B, and wait for A to sync.
    Raises when a step does not happen in time (the message names the step)."""
    result = DemoResult(variant_a, variant_b)
    with tempfile.TemporaryDirectory(prefix="netsplit-demo-", dir=workdir) as tmp:
        a = NodeProcess(Path(tmp) / "a", variant=variant_a)
        b = NodeProcess(Path(tmp) / "b", variant=variant_b)
        try:
            _run(result, a, b)
        finally:
            b.stop()
            a.stop()
    return result


def _run(result: DemoResult, a: NodeProcess, b: NodeProcess) -> None:
    def step(what: str, fn: Callable[[], None]) -> None:
        start = time.monotonic()
        fn()
        result.steps.append((what, time.monotonic() - start))

    def start() -> None:
        a.start()
        b.start()

    step(f"start A ({a.variant}) and B ({b.variant})", start)
    ra, rb = a.rpc(), b.rpc()

    def connect() -> None:
        ra.addnode(b.p2p_addr, "add")
        wait_until(lambda: _handshaken(ra) and _handshaken(rb), STEP_TIMEOUT, "A and B to connect")

    step("A connects to B (addnode)", connect)
    result.peers_a = [(p["addr"], p["connection_type"]) for p in ra.getpeerinfo()]
    result.peers_b = [(p["addr"], p["connection_type"]) for p in rb.getpeerinfo()]

    hashes: list[str] = []

    def mine_on_a() -> None:
        hashes.extend(ra.generatetoaddress(MATURITY_BLOCKS, OP_TRUE_P2SH_ADDRESS))
        wait_until(lambda: rb.getbestblockhash() == hashes[-1], STEP_TIMEOUT, "B to sync")

    step(f"A mines {MATURITY_BLOCKS} blocks, B syncs", mine_on_a)

    def relay() -> None:
        coinbase_txid = ra.getblock(hashes[0])["tx"][0]
        raw, txid = spend_op_true(coinbase_txid, 0, INITIAL_SUBSIDY)
        result.txid = txid
        assert ra.sendrawtransaction(raw) == txid
        wait_until(lambda: txid in rb.getrawmempool(), STEP_TIMEOUT, "the transaction at B")
        result.tx_relayed = True

    step("A relays a transaction to B", relay)

    def mine_on_b() -> None:
        tip = rb.generatetoaddress(1, OP_TRUE_P2SH_ADDRESS)[-1]
        wait_until(lambda: ra.getbestblockhash() == tip, STEP_TIMEOUT, "A to sync")
        result.tx_confirmed_on_a = result.txid in ra.getblock(tip)["tx"]

    step("B mines the transaction, A syncs", mine_on_b)
    result.tip_a, result.height_a = ra.getbestblockhash(), ra.getblockcount()
    result.tip_b, result.height_b = rb.getbestblockhash(), rb.getblockcount()


def _handshaken(rpc: RPCClient) -> bool:
    peers = rpc.getpeerinfo()
    return len(peers) == 1 and peers[0]["version"] != 0
