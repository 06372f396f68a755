"""B2 in pytest-benchmark's form: one block at a time through a node of legacy and of split
(see netsplit/bench/process_message.py for what is measured and why).

Each round hands the node the next block of a prepared chain (a block is processed only once),
so the number of rounds is fixed by the chain, not calibrated by pytest-benchmark. As in
``netsplit bench``, the timer is the process's CPU time and the garbage collector is off while a
block is timed, so other load on the machine moves the figures less.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from itertools import count

import pytest
from pytest_benchmark.fixture import BenchmarkFixture

from common.messages import msg_block
from common.primitives.block import CBlock
from netsplit.bench.chain import Chain, build_chain
from netsplit.bench.process_message import PLAIN_BLOCKS, BlockNode
from netsplit.bench.variants import load_variants
from netsplit.diff.frames import frame_message
from netsplit.diff.scenario import DEFAULT_START_TIME

pytestmark = pytest.mark.benchmark(timer=time.process_time, disable_gc=True)

VARIANTS = ["legacy", "split"]
#: Small blocks handed over untimed before the timed ones (caches, first-time code paths).
WARMUP = 10
SMALL_ROUNDS = 40
LARGE_ROUNDS = 8
FANOUT = 1000


@pytest.fixture(scope="module")
def chain() -> Chain:
    return build_chain(DEFAULT_START_TIME - 60, PLAIN_BLOCKS, LARGE_ROUNDS, FANOUT)


@pytest.fixture(params=VARIANTS)
def node(request: pytest.FixtureRequest) -> Iterator[BlockNode]:
    loaded, problems = load_variants([request.param])
    assert not problems, problems
    started = BlockNode.start(loaded[0], "10.0.0.1:18444")
    try:
        yield started
    finally:
        started.stop()


def _feed(node: BlockNode, blocks: list[CBlock]) -> None:
    for block in blocks:
        node.process_message(msg_block(block).serialize())


def _pedantic(
    benchmark: BenchmarkFixture,
    blocks: list[CBlock],
    deliver: Callable[[bytes], float],
    socket: bool,
) -> None:
    taken = count()

    def setup() -> tuple[tuple[bytes], dict[str, object]]:
        block = blocks[next(taken)]
        data = frame_message(msg_block(block)) if socket else msg_block(block).serialize()
        return (data,), {}

    benchmark.pedantic(  # type: ignore[no-untyped-call]
        deliver, setup=setup, rounds=len(blocks), iterations=1
    )


def test_b2_process_message_small_block(
    benchmark: BenchmarkFixture, node: BlockNode, chain: Chain
) -> None:
    _feed(node, chain.blocks[:WARMUP])
    timed = chain.blocks[WARMUP : WARMUP + SMALL_ROUNDS]
    _pedantic(benchmark, timed, node.process_message, socket=False)
    assert node.tip_height() == WARMUP + SMALL_ROUNDS


def test_b2_socket_loop_small_block(
    benchmark: BenchmarkFixture, node: BlockNode, chain: Chain
) -> None:
    _feed(node, chain.blocks[:WARMUP])
    timed = chain.blocks[WARMUP : WARMUP + SMALL_ROUNDS]
    _pedantic(benchmark, timed, node.socket_loop, socket=True)
    assert node.tip_height() == WARMUP + SMALL_ROUNDS


def test_b2_process_message_large_block(
    benchmark: BenchmarkFixture, node: BlockNode, chain: Chain
) -> None:
    _feed(node, chain.blocks[:PLAIN_BLOCKS])
    _pedantic(benchmark, chain.blocks[PLAIN_BLOCKS:], node.process_message, socket=False)
    assert node.tip_height() == chain.height
    assert len(chain.blocks[-1].vtx) == FANOUT + 2
