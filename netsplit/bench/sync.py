"""B3: block sync between two nodes over loopback, time to tip.

One node (the source) holds a regtest chain; a fresh node (the target) is told to connect to it
(``addnode <source> onetry``) and the clock runs from that call until the target's best block is
the chain's tip. Pairs: legacy from legacy, split from split, each of them from bcoin 1.0.2, and
bcoin from bcoin, the external anchor. Every pair syncs the same chain (:mod:`.chain`: coinbase-
only blocks, built here and loaded into the source with batched ``submitblock`` calls, which
both our RPC server and bcoin's accept), so only the nodes differ.

Our nodes are child processes (:class:`netsplit.nodeproc.NodeProcess`, ``python -m legacy`` /
``python -m split``, logging as they do by default); bcoin runs as B1 runs it
(:mod:`.bcoin`: tests/interop/bcoin_node.js, in memory, on loopback, its default log level).
The target is polled for its tip every 50 ms, the resolution of these figures.
"""

from __future__ import annotations

import json
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Protocol

from netsplit.nodeproc import NodeProcess, RPCClient

from .bcoin import BcoinNode, ensure_installed
from .chain import Chain, build_chain
from .model import Figure, ratios

BENCH: Final = "B3"
FULL_BLOCKS: Final = 2000
QUICK_BLOCKS: Final = 300
#: submitblock calls per JSON-RPC batch.
BATCH: Final = 100
POLL_SECONDS: Final = 0.05
#: Fresh targets per pair (the figure is their median): one sync of a few hundred blocks is
#: over in about a second, where a busy machine moves single samples by half.
REPEATS: Final = 3
#: The API key :class:`.bcoin.BcoinNode` starts bcoin with.
BCOIN_API_KEY: Final = "netsplit-bench"


class Node(Protocol):
    @property
    def p2p_addr(self) -> str: ...

    def rpc(self, timeout: float = ...) -> RPCClient: ...

    def stop(self, timeout: float = ...) -> Any: ...


def sync_timeout(blocks: int) -> float:
    """Generous: a Python node syncs hundreds of blocks a second."""
    return 60.0 + blocks * 0.1


def submit_chain(rpc: RPCClient, chain: Chain) -> None:
    """Every block of ``chain`` through batched ``submitblock``; raises on a rejection."""
    hexes = [b.serialize().hex() for b in chain.blocks]
    for first in range(0, len(hexes), BATCH):
        batch = [
            {"jsonrpc": "1.0", "id": first + i, "method": "submitblock", "params": [h]}
            for i, h in enumerate(hexes[first : first + BATCH])
        ]
        reply = rpc.post(json.dumps(batch).encode())
        results = json.loads(reply.body)
        if not isinstance(results, list):
            raise RuntimeError(f"submitblock batch: HTTP {reply.status}: {reply.body[:200]!r}")
        for item in results:
            if item.get("error") is not None or item.get("result") not in (None, "inconclusive"):
                raise RuntimeError(f"submitblock of block {item.get('id')} failed: {item}")
    tip = rpc.getbestblockhash()
    if tip != chain.tip_hash():
        raise RuntimeError(f"after submitting the chain the tip is {tip}, not {chain.tip_hash()}")


def time_to_tip(target: Node, source: Node, tip: str, blocks: int) -> float:
    """``addnode <source> onetry`` on ``target``; seconds until its best block is ``tip``."""
    rpc = target.rpc(timeout=30.0)
    started = time.perf_counter()
    rpc.addnode(source.p2p_addr, "onetry")
    deadline = started + sync_timeout(blocks)
    while rpc.getbestblockhash() != tip:
        if time.perf_counter() > deadline:
            raise TimeoutError(
                f"no sync to the tip in {sync_timeout(blocks):.0f}s "
                f"(at height {rpc.getblockcount()} of {blocks})"
            )
        time.sleep(POLL_SECONDS)
    return time.perf_counter() - started


class BcoinPeer(BcoinNode):
    """bcoin as B1 runs it (:class:`.bcoin.BcoinNode`: logging at "warning", its launcher's
    default), with the address and JSON-RPC client this benchmark needs."""

    @property
    def p2p_addr(self) -> str:
        return f"127.0.0.1:{self.port}"

    def rpc(self, timeout: float = 60.0) -> RPCClient:
        # bcoin's HTTP server takes any user name with the API key as the password.
        return RPCClient(self.http_port, "x", BCOIN_API_KEY, timeout)


@contextmanager
def started(kind: str, workdir: Path) -> Iterator[Node]:
    """A running node of ``kind`` ("legacy", "split" or "bcoin"), stopped on exit."""
    node: Any
    if kind == "bcoin":
        node = BcoinPeer(workdir)
    else:
        node = NodeProcess(workdir, variant=kind)
    node.start()
    try:
        yield node
    finally:
        node.stop()


@dataclass(frozen=True, slots=True)
class Pair:
    source: str
    target: str

    def name(self, blocks: int) -> str:
        origin = "bcoin" if self.source == "bcoin" else "a node of the same variant"
        return f"time to tip, {blocks} blocks from {origin}"


def pairs(with_bcoin: bool) -> list[Pair]:
    out = [Pair("legacy", "legacy"), Pair("split", "split")]
    if with_bcoin:
        out += [Pair("bcoin", "legacy"), Pair("bcoin", "split"), Pair("bcoin", "bcoin")]
    return out


def measure_pair(pair: Pair, chain: Chain, workdir: Path, repeats: int) -> list[float]:
    """Seconds to tip for ``repeats`` fresh targets, one after another, from one source."""
    times: list[float] = []
    with started(pair.source, workdir / "source") as source:
        submit_chain(source.rpc(timeout=120.0), chain)
        for i in range(repeats):
            with started(pair.target, workdir / f"target{i}") as target:
                times.append(time_to_tip(target, source, chain.tip_hash(), chain.height))
    return times


def run_b3(
    quick: bool,
    progress: Callable[[str], None] = lambda what: None,
    kinds: Sequence[Pair] | None = None,
) -> list[Figure]:
    blocks = QUICK_BLOCKS if quick else FULL_BLOCKS
    repeats = REPEATS
    why_not = ensure_installed()
    if why_not is not None:
        progress(f"B3: bcoin not available: {why_not}; only our own pairs run")
    chosen = list(kinds) if kinds is not None else pairs(why_not is None)
    # Real nodes run on the real clock: the chain ends a minute ago, so it is recent.
    chain = build_chain(int(time.time()) - 60, blocks)
    note = f"quick run: {blocks} blocks instead of {FULL_BLOCKS}" if quick else ""
    # Rounds, not one pair after another: the machine drifts over a run, and a fixed order
    # would hand that drift to whichever pair always goes last. Each round runs every pair
    # once, in an order that turns by one each round.
    times: dict[Pair, list[float]] = {pair: [] for pair in chosen}
    for round_ in range(repeats):
        shift = round_ % max(len(chosen), 1)
        for pair in chosen[shift:] + chosen[:shift]:
            progress(f"B3: {pair.target} syncs {blocks} blocks from {pair.source} ({round_ + 1})")
            with tempfile.TemporaryDirectory(prefix="netsplit-bench-b3-") as tmp:
                try:
                    times[pair] += measure_pair(pair, chain, Path(tmp), 1)
                except (RuntimeError, TimeoutError, OSError) as e:
                    progress(f"B3: {pair.target} from {pair.source} failed: {e}")
    figures: list[Figure] = []
    for pair in chosen:
        if not times[pair]:
            continue
        detail = (
            f"{pair.target} from {pair.source}, addnode to tip, polled every 50 ms; "
            f"median of {len(times[pair])} rounds (pairs take turns): "
            + ", ".join(f"{t:.2f}" for t in times[pair])
            + " s"
        )
        figures.append(
            Figure(
                BENCH,
                pair.name(blocks),
                pair.target,
                statistics.median(times[pair]),
                "s",
                False,
                f"{detail}; {note}" if note else detail,
            )
        )
    return figures + ratios(figures)
