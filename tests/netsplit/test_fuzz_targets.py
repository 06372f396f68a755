"""The fuzz targets: what each checks, that each catches a planted bug, hypothesis over raw
bytes for both variants, and every saved regression input replayed for both variants."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import legacy.net
from common.connection_types import ConnectionType
from common.messages import NetMessage, msg_ping, msg_version
from netsplit.diff import directed, frames, strategies
from netsplit.diff.mutants import MUTANTS, materialize
from netsplit.fuzz.command import regression_dir, saved_inputs
from netsplit.fuzz.provider import FuzzedDataProvider
from netsplit.fuzz.seeds import SEEDS
from netsplit.fuzz.targets import (
    TARGETS,
    FuzzFinding,
    caught_exceptions,
    feed_frames,
    frame,
    frame_input,
    process_message,
    process_message_input,
    process_message_scenario,
)

ROOT = Path(__file__).resolve().parents[2]
VARIANTS = ("legacy", "split")
MAGIC = frames.magic()
SHM = "/dev/shm"


@pytest.fixture(scope="module", autouse=True)
def _datadirs_in_memory() -> Iterator[None]:
    """Every process_message input starts a node in a fresh data directory, which writes and
    fsyncs peers.dat: on a RAM disk, where there is one, an input takes a third of the time."""
    with pytest.MonkeyPatch.context() as mp:
        if os.access(SHM, os.W_OK):
            mp.setattr(tempfile, "tempdir", SHM)
        yield


def test_provider_takes_choices_from_the_front_in_order() -> None:
    p = FuzzedDataProvider(b"\x03\x01\x02abcdef")
    assert p.ConsumeBool() is True
    assert p.ConsumeIntegralInRange(0, 300) == 0x0102
    assert p.ConsumeBytes(2) == b"ab"
    assert p.ConsumeRemainingBytes() == b"cdef"
    assert p.remaining_bytes() == 0


def test_provider_returns_smallest_values_once_input_runs_out() -> None:
    p = FuzzedDataProvider(b"")
    assert p.ConsumeBool() is False
    assert p.ConsumeIntegralInRange(5, 9) == 5
    assert p.PickValueInArray(["a", "b"]) == "a"
    assert p.ConsumeBytes(4) == b""


def test_process_message_input_encodes_the_scenario_it_stands_for() -> None:
    data = process_message_input(
        "ping", b"12345678", conn_type=ConnectionType.MANUAL, permissions=0b10000, clock_units=2
    )
    scenario = process_message_scenario(data)
    connect = scenario.events[1]
    assert connect.conn_type == ConnectionType.MANUAL  # type: ignore[union-attr]
    assert scenario.events[3].seconds == 16  # type: ignore[union-attr]
    assert frames.frame("ping", b"12345678") in [getattr(e, "data", b"") for e in scenario.events]


# -- frame -----------------------------------------------------------------------------------


@pytest.mark.parametrize("variant", VARIANTS)
def test_frame_accepts_valid_frames_whole_and_in_chunks(variant: str) -> None:
    wire = frames.frame_message(msg_ping(7)) + frames.frame_message(msg_version())
    for chunk in (0, 1, 7, 24, 255):
        frame(frame_input(wire, checksum_assist=False, magic_assist=False, chunk=chunk), variant)


def test_frame_passes_bad_checksum_bad_type_wrong_magic_and_oversize() -> None:
    for wire in (
        frames.bad_checksum("ping", bytes(8)),
        frames.invalid_command(b"xy"),
        frames.bad_magic("ping", bytes(8)),
        frames.oversize("block"),
        frames.truncated(frames.frame("tx", bytes(50)), 30),
    ):
        frame(frame_input(wire, checksum_assist=False, magic_assist=False, chunk=3))


class _NeverRejects(legacy.net.V1Transport):
    """A planted bug: a bad checksum goes unnoticed."""

    __slots__ = ()

    def GetReceivedMessage(self, time: int) -> tuple[legacy.net.CNetMessage, bool]:
        msg, _reject = super().GetReceivedMessage(time)
        return msg, False


def test_frame_reports_a_transport_that_misses_a_bad_checksum() -> None:
    net = SimpleNamespace(V1Transport=_NeverRejects, CSerializedNetMsg=legacy.net.CSerializedNetMsg)
    with pytest.raises(FuzzFinding, match="reject_message=False with checksum_ok=False"):
        feed_frames(net, frames.bad_checksum("ping", bytes(8)), 0, MAGIC)


@settings(max_examples=60)
@given(data=st.binary(max_size=300))
@pytest.mark.parametrize("variant", VARIANTS)
def test_frame_holds_for_arbitrary_bytes(variant: str, data: bytes) -> None:
    frame(data, variant)


# -- process_message -------------------------------------------------------------------------


@pytest.mark.parametrize("variant", VARIANTS)
def test_process_message_passes_every_seed(variant: str) -> None:
    for data in SEEDS["process_message"]():
        process_message(data, variant)


def test_malformed_payload_is_caught_as_serialization_error_and_passes() -> None:
    data = process_message_input("ping", b"\x01\x02\x03")  # 3 bytes where 8 are read
    with caught_exceptions() as caught:
        process_message(data)
    assert caught == ["SerializationError: end of data: wanted 8 bytes, 3 left"]


def test_process_message_reports_a_python_error_that_processmessages_swallows(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import legacy.net_processing as np

    original = np.PeerManagerImpl.ProcessMessage

    def broken(self: np.PeerManagerImpl, pfrom: object, msg_type: str, *args: object) -> None:
        if msg_type == "feefilter":
            raise AttributeError("'CNode' object has no attribute 'm_fee'")
        original(self, pfrom, msg_type, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(np.PeerManagerImpl, "ProcessMessage", broken)
    with pytest.raises(FuzzFinding, match="ProcessMessages caught: AttributeError"):
        process_message(process_message_input("feefilter", bytes(8)))


def test_process_message_reports_a_node_that_stops_answering_pings(tmp_path: Path) -> None:
    mutant = next(m for m in MUTANTS if m.name == "dropped-pong")
    materialize(mutant, ROOT / "legacy", tmp_path, "legacy_fuzz_dropped_pong")
    with pytest.raises(FuzzFinding, match="the honest peer got no pong"):
        process_message(
            process_message_input("verack"), f"path:{tmp_path / 'legacy_fuzz_dropped_pong'}"
        )


def test_a_peer_disconnected_for_misbehaving_need_not_get_a_pong() -> None:
    # A second version message is misbehaviour: the peer is disconnected, the node serves on.
    process_message(process_message_input("version", directed.version().serialize()))


@settings(max_examples=25)
@given(data=st.binary(max_size=200))
@pytest.mark.parametrize("variant", VARIANTS)
def test_process_message_holds_for_arbitrary_bytes(variant: str, data: bytes) -> None:
    process_message(data, variant)


@settings(max_examples=15)
@given(msg=strategies.messages(), keep=st.none() | st.integers(0, 100))
@pytest.mark.parametrize("variant", VARIANTS)
def test_process_message_holds_for_generated_and_truncated_messages(
    variant: str, msg: NetMessage, keep: int | None
) -> None:
    payload = msg.serialize()
    process_message(process_message_input(msg.msgtype, payload[:keep]), variant)


# -- saved regression inputs -----------------------------------------------------------------


def _saved() -> list[tuple[str, Path]]:
    return [
        (target, path)
        for target in sorted(TARGETS)
        for path in saved_inputs([regression_dir(target, ROOT)])
        if regression_dir(target, ROOT).is_dir()
    ]


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize(("target", "path"), _saved(), ids=[f"{t}/{p.name}" for t, p in _saved()])
def test_saved_fuzz_input_passes(target: str, path: Path, variant: str) -> None:
    TARGETS[target](path.read_bytes(), variant)
