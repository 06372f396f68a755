"""B1 and B4 (netsplit.bench.loopback): the framing they share, the two reference loops, a tiny
run of each benchmark against real node processes, and B1's floods in pytest-benchmark's form
(one flood per round on a fresh handshaken connection; wall-clock time, since the work happens
in the node process).
"""

from __future__ import annotations

import struct
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytest_benchmark.fixture import BenchmarkFixture

from netsplit.bench.framing import (
    BARRIER_NONCE,
    BARRIER_PAYLOAD,
    PING,
    PONG,
    FrameError,
    FrameSplitter,
    LoopServer,
    checksum,
    frame,
    ping_frame,
)
from netsplit.bench.loopback import (
    MINE_ADDRESS,
    PING_FLOOD,
    B1Settings,
    B4Settings,
    Flood,
    FloodClient,
    inv_flood,
    measure_b1,
    measure_b4,
    percentile,
    ping_flood,
)
from netsplit.bench.model import RATIO
from netsplit.nodeproc import NodeProcess

#: Messages per flood in the pytest-benchmark rounds.
BENCH_PINGS = 2000
BENCH_INVS = 500


def test_ping_frame_is_the_v1_frame_of_the_nonce() -> None:
    payload = struct.pack("<Q", 7)
    assert (
        ping_frame(7)
        == (
            bytes.fromhex("fabfb5da")
            + b"ping"
            + bytes(8)
            + struct.pack("<I", 8)
            + checksum(payload)
        )
        + payload
    )


def test_splitter_keeps_a_partial_frame_for_the_next_feed() -> None:
    data = ping_frame(1) + frame(b"inv", b"\x00")
    splitter = FrameSplitter()
    assert splitter.feed(data[:30]) == [] and bytes(splitter.buf) == data[:30]
    assert splitter.feed(data[30:40]) == [(PING, struct.pack("<Q", 1))]
    assert splitter.feed(data[40:]) == [(b"inv".ljust(12, b"\0"), b"\x00")]
    assert splitter.buf == bytearray()


def test_splitter_rejects_a_bad_checksum_only_when_verifying() -> None:
    bad = bytearray(ping_frame(1))
    bad[-1] ^= 1
    with pytest.raises(FrameError):
        FrameSplitter().feed(bytes(bad))
    assert len(FrameSplitter(verify=False).feed(bytes(bad))) == 1


def test_floods_end_with_the_barrier_ping_once_whatever_the_scale() -> None:
    flood = ping_flood(3)
    assert flood.count == 3 and flood.body == ping_frame(1) + ping_frame(2) + ping_frame(3)
    assert flood.data(2) == flood.body * 2 + ping_frame(BARRIER_NONCE)
    invs = FrameSplitter().feed(inv_flood(4).body)
    assert len(invs) == 4
    assert all(len(payload) == 1 + 36 and payload[1:5] == b"\x01\0\0\0" for _, payload in invs)
    assert len({payload for _, payload in invs}) == 4


def test_percentile_interpolates_between_ranks() -> None:
    values = [4.0, 1.0, 3.0, 2.0]
    assert percentile(values, 0) == 1.0
    assert percentile(values, 50) == 2.5
    assert percentile(values, 100) == 4.0


def test_framing_limit_answers_only_the_barrier_and_two_thread_loop_every_ping() -> None:
    for mode, pongs in (("framing-limit", 1), ("two-thread-loop", 11)):
        server = LoopServer(mode).start()
        try:
            client = FloodClient.connect(server.port, 10)
            try:
                result = client.flood(ping_flood(10).data(), 10)
            finally:
                client.close()
        finally:
            server.stop()
        assert result.received == {b"pong": pongs}, mode
        assert result.seconds > 0


def test_barrier_pong_payload_is_the_barrier_nonce() -> None:
    assert frame(PONG, BARRIER_PAYLOAD)[24:] == struct.pack("<Q", BARRIER_NONCE)


def test_tiny_b1_measures_every_target_and_the_ratios() -> None:
    messages: list[str] = []
    figures = measure_b1(B1Settings(pings=200, invs=100, repetitions=1, warmup=50), messages.append)
    rates = {(f.name, f.variant): f for f in figures if f.variant != RATIO}
    for variant in ("legacy", "split", "framing-limit", "two-thread-loop"):
        for name in ("ping flood", "inv flood"):
            figure = rates[(name, variant)]
            assert figure.unit == "msg/s" and figure.value > 0 and figure.higher_is_better
    if ("ping flood", "bcoin") not in rates:
        assert any("bcoin not measured" in m for m in messages)
    names = {f.name for f in figures if f.variant == RATIO}
    assert {"ping flood: split/legacy", "inv flood: split/legacy"} <= names
    assert "ping flood: legacy/framing-limit" in names


def test_tiny_b4_connects_the_peers_and_times_their_pings() -> None:
    figures = measure_b4(B4Settings(peers=10, pings=1, window=0.2), lambda what: None)
    got = {(f.name, f.variant): f for f in figures if f.variant != RATIO}
    for variant in ("legacy", "split"):
        assert got[("time to 10 peers", variant)].unit == "s"
        assert got[("node CPU time to 10 peers", variant)].unit == "CPU-s"
        assert got[("ping p50 (10 peers)", variant)].unit == "ms"
        assert got[("ping p99 (10 peers)", variant)].unit == "ms"
        assert got[("peak RSS (10 peers)", variant)].unit == "MB"
    # The CPU clock ticks in 10 ms: ten handshakes may take less than one tick.
    assert all(f.value > 0 for f in got.values() if f.unit != "CPU-s")
    assert (
        got[("ping p99 (10 peers)", "legacy")].value >= got[("ping p50 (10 peers)", "legacy")].value
    )


@pytest.fixture(scope="module", params=["legacy", "split"])
def node(request: pytest.FixtureRequest) -> Iterator[NodeProcess]:
    with tempfile.TemporaryDirectory(prefix="netsplit-bench-test-") as tmp:
        started = NodeProcess(Path(tmp) / request.param, variant=request.param)
        try:
            started.start()
            started.rpc().generatetoaddress(1, MINE_ADDRESS)
            yield started
        finally:
            started.stop()


def _flood_rounds(benchmark: BenchmarkFixture, node: NodeProcess, flood: Flood) -> None:
    data = flood.data()
    clients: list[FloodClient] = []

    def setup() -> tuple[tuple[FloodClient], dict[str, object]]:
        client = FloodClient.connect(node.port, 60)
        client.handshake()
        clients.append(client)
        return (client,), {}

    def run(client: FloodClient) -> int:
        return client.flood(data, 60).received[b"pong"]

    try:
        pongs = benchmark.pedantic(  # type: ignore[no-untyped-call]
            run, setup=setup, rounds=5, iterations=1, warmup_rounds=1
        )
    finally:
        for client in clients:
            client.close()
    assert pongs == (flood.count + 1 if flood.kind == PING_FLOOD else 1)


def test_ping_flood(benchmark: BenchmarkFixture, node: NodeProcess) -> None:
    _flood_rounds(benchmark, node, ping_flood(BENCH_PINGS))


def test_inv_flood(benchmark: BenchmarkFixture, node: NodeProcess) -> None:
    _flood_rounds(benchmark, node, inv_flood(BENCH_INVS))
