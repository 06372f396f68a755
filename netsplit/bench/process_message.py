"""B2: a block message processed by a node of each variant, per message and per byte.

Upstream's src/bench/ has no net_processing benchmark; its fuzz targets process_message and
process_messages drive a node the way this does: ConnmanTestMsg's ReceiveMsgFrom (the peer's
bytes through the node's own transport) then ProcessMessagesOnce until the node has no more work.
That is the first measurement, "ProcessMessage". The second, "socket loop", puts the same kind of
block on the peer's fake socket and lets the node settle: the socket handler's round, the message
handler's round and SendMessages, as the node's threads would run them.

Each variant's node is built by the differential harness (:class:`netsplit.diff.driver.Run`:
the variant's own ``init.AppInitMain`` with ConnmanTestMsg, mock time, fake sockets) and has one
inbound peer that has completed the handshake. Every block extends the node's tip (a block is
processed once; a second copy is a no-op), so the chain (:mod:`.chain`) holds one block per
sample. Variants take turns block by block (each round starting with the next one), so a change
in machine load hits all of them alike.
The per-message figure is the median over blocks; the per-byte figure divides it by the frame's
size. Times are the process's CPU time (everything here runs on one thread, with no I/O), so
other processes competing for the machine do not inflate them, and the cyclic garbage collector
runs between rounds rather than inside a timed block (see :func:`measure`).
"""

from __future__ import annotations

import cProfile
import gc
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from common.connection_types import ConnectionType
from common.messages import msg_block
from common.primitives.block import CBlock
from netsplit.diff.directed import handshake
from netsplit.diff.driver import Run
from netsplit.diff.frames import frame_message
from netsplit.diff.scenario import DEFAULT_START_TIME, PeerConnects, PeerLabel

from .chain import Chain, build_chain
from .model import Figure, ratios
from .variants import Loaded, labels, load_variants

BENCH: Final = "B2"
PEER: Final = PeerLabel(0)
#: Coinbase-only blocks before the first spend (COINBASE_MATURITY); they are the small-block
#: samples.
PLAIN_BLOCKS: Final = 100
#: The first small blocks warm the node up (caches, first-time imports) and are not counted.
WARMUP_BLOCKS: Final = 10
#: Transactions per large block: the split transaction and its ``FANOUT`` spends.
FANOUT: Final = 1000
#: Rounds of small blocks between two runs of the garbage collector.
GC_EVERY: Final = 10
#: A quick run's large blocks are smaller, so that as many samples fit in less time.
QUICK_FANOUT: Final = 250


@dataclass(frozen=True, slots=True)
class B2Settings:
    full_blocks: int
    stages: bool = True
    fanout: int = FANOUT

    @classmethod
    def for_mode(cls, quick: bool) -> B2Settings:
        return cls(full_blocks=12, fanout=QUICK_FANOUT) if quick else cls(full_blocks=60)


@dataclass(slots=True)
class BlockNode:
    """One variant's node with a connected inbound peer, fed one block at a time."""

    loaded: Loaded
    tmp: tempfile.TemporaryDirectory[str]
    run: Run
    #: Seconds per block, by (kind, mode).
    samples: dict[tuple[str, str], list[float]] = field(default_factory=dict)
    sizes: dict[str, int] = field(default_factory=dict)
    #: Profiles what is timed, and nothing else (see :mod:`.profiling`).
    profiler: cProfile.Profile | None = None

    @classmethod
    def start(cls, loaded: Loaded, address: str) -> BlockNode:
        tmp = tempfile.TemporaryDirectory(prefix="netsplit-bench-b2-")
        run = Run(loaded.variant, 1, DEFAULT_START_TIME, 16, Path(tmp.name))
        run.start()
        run.step(PeerConnects(PEER, ConnectionType.INBOUND, address))
        run.step(handshake(PEER))
        return cls(loaded, tmp, run)

    def stop(self) -> None:
        try:
            self.run.stop()
        finally:
            self.tmp.cleanup()

    def _pnode(self) -> Any:
        conn = self.run.adapter.connections[PEER]
        for node in self.run.adapter.connman.TestNodes():
            if node.m_sock is conn.sock:
                return node
        raise RuntimeError(f"{self.loaded.label}: the peer was disconnected")

    def process_message(self, payload: bytes) -> float:
        """ReceiveMsgFrom then ProcessMessagesOnce until done; seconds taken."""
        adapter = self.run.adapter
        adapter.socket_round()  # send what is queued, so the transport can frame our message
        connman = adapter.connman
        pnode = self._pnode()
        msg = self.loaded.variant.net.CSerializedNetMsg(data=payload, m_type=msg_block.msgtype)
        with self._timed() as elapsed:
            connman.ReceiveMsgFrom(pnode, msg)
            while connman.ProcessMessagesOnce(pnode):
                pass
        return elapsed[0]

    def socket_loop(self, wire: bytes) -> float:
        """The frame arrives on the socket; the node settles. Seconds taken."""
        adapter = self.run.adapter
        conn = adapter.connections[PEER]
        with self._timed() as elapsed:
            conn.sock.inbox += wire
            adapter.settle()
        return elapsed[0]

    @contextmanager
    def _timed(self) -> Iterator[list[float]]:
        """CPU seconds of the block, into the list it yields; the profiler, if any, runs only
        inside."""
        elapsed = [0.0]
        if self.profiler is not None:
            self.profiler.enable()
        started = time.process_time()
        try:
            yield elapsed
        finally:
            elapsed[0] = time.process_time() - started
            if self.profiler is not None:
                self.profiler.disable()

    def tip_height(self) -> int:
        return int(self.run.adapter.ctx.chainman.ActiveChain().Height())


#: (kind, mode) of every measurement, with the name its figures carry.
KINDS: Final = ("small", "large")
MODES: Final = ("ProcessMessage", "socket loop")


def _kind_name(kind: str, fanout: int) -> str:
    if kind == "small":
        return "block (coinbase only)"
    return f"block ({fanout + 2} tx)"


def _deliver_round(
    nodes: list[BlockNode], block: CBlock, kind: str, mode: str, counted: bool
) -> None:
    payload = msg_block(block).serialize()
    wire = frame_message(msg_block(block))
    for node in nodes:
        if mode == MODES[0]:
            seconds = node.process_message(payload)
        else:
            seconds = node.socket_loop(wire)
        if counted:
            node.samples.setdefault((kind, mode), []).append(seconds)
            node.sizes[kind] = len(wire)


def measure(
    loaded: list[Loaded],
    chain: Chain,
    settings: B2Settings,
    progress: Callable[[str], None] = lambda what: None,
    profiler: cProfile.Profile | None = None,
) -> list[BlockNode]:
    """Feed ``chain`` to one node per variant, block by block, alternating the two modes;
    ``profiler`` profiles the timed part of every node's work."""
    nodes: list[BlockNode] = []
    try:
        for i, item in enumerate(loaded):
            nodes.append(BlockNode.start(item, f"10.0.{i // 250}.{i % 250 + 1}:18444"))
            nodes[-1].profiler = profiler
        # Every node shares this process's heap, so a collection of the cyclic garbage
        # collector walks all of them and its cost would land on whichever variant happened to
        # trigger it: it is paused while blocks are processed, and the young generations are
        # collected between rounds instead. What exists now (the chain, the nodes) is frozen out
        # of collection altogether.
        gc.collect()
        gc.freeze()
        gc.disable()
        for height, block in enumerate(chain.blocks, start=1):
            kind = "small" if height <= PLAIN_BLOCKS else "large"
            mode = MODES[height % 2]
            counted = height > WARMUP_BLOCKS
            # Each round starts with the next variant: none is always the first after the
            # collector ran, or always the last.
            shift = height % len(nodes)
            _deliver_round(nodes[shift:] + nodes[:shift], block, kind, mode, counted)
            if kind == "large" or height % GC_EVERY == 0:
                gc.collect(1)
            if height % 50 == 0 or kind == "large":
                progress(f"B2 block {height}/{chain.height}")
        for node in nodes:
            if node.tip_height() != chain.height:
                raise RuntimeError(
                    f"{node.loaded.label}: tip at height {node.tip_height()} after "
                    f"{chain.height} blocks (a block was rejected)"
                )
        return nodes
    finally:
        gc.unfreeze()
        gc.enable()
        for node in nodes:
            node.stop()


def figures_of(nodes: list[BlockNode], settings: B2Settings, note: str = "") -> list[Figure]:
    out: list[Figure] = []
    for node in nodes:
        for (kind, mode), samples in sorted(node.samples.items()):
            median = statistics.median(samples)
            size = node.sizes[kind]
            what = f"{mode}: {_kind_name(kind, settings.fanout)}"
            detail = f"median of {len(samples)} blocks of {size} bytes"
            if note:
                detail += f"; {note}"
            out.append(
                Figure(
                    BENCH,
                    f"{what}, per message",
                    node.loaded.label,
                    median * 1e6,
                    "us",
                    False,
                    detail,
                )
            )
            out.append(
                Figure(
                    BENCH,
                    f"{what}, per byte",
                    node.loaded.label,
                    median * 1e9 / size,
                    "ns/B",
                    False,
                    detail,
                )
            )
    return out


def run_b2(quick: bool, progress: Callable[[str], None] = lambda what: None) -> list[Figure]:
    settings = B2Settings.for_mode(quick)
    loaded, problems = load_variants(labels(settings.stages))
    for problem in problems:
        progress(f"B2: variant not available: {problem}")
    if not loaded:
        return []
    chain = build_chain(
        DEFAULT_START_TIME - 60, PLAIN_BLOCKS, settings.full_blocks, settings.fanout
    )
    nodes = measure(loaded, chain, settings, progress)
    figures = figures_of(nodes, settings, "quick run" if quick else "")
    # Per byte divides both sides by the same size: its ratio is the per-message one.
    return figures + [r for r in ratios(figures) if "per byte" not in r.name]
