"""The driver: what a node of the legacy variant shows the world, exactly and repeatably."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from common.connection_types import ConnectionType
from common.messages import msg_ping
from netsplit.diff import directed, frames
from netsplit.diff import scenario as sc
from netsplit.diff import trace as trace_mod
from netsplit.diff.driver import describe_exception, run_scenario
from netsplit.diff.frames import Frame
from netsplit.diff.scenario import (
    ClockAdvances,
    PeerAnswersPing,
    PeerConnects,
    PeerLabel,
    PeerSends,
    Scenario,
    SetBan,
)
from netsplit.diff.variant import Variant, VariantSpec, load

ROOT = Path(__file__).resolve().parents[2]
P0 = PeerLabel(0)
HANDSHAKE = directed.handshake(0)


@pytest.fixture(scope="module")
def legacy() -> Variant:
    return load(VariantSpec("legacy", "legacy"))


def _types(data: bytes) -> list[str]:
    return [item.msgtype for item in frames.decode_wire(data) if isinstance(item, Frame)]


def test_inbound_peer_gets_our_version_and_feature_negotiation_in_order(legacy: Variant) -> None:
    scenario = Scenario((directed.inbound(0, "1.2.3.4:18444"), HANDSHAKE))
    trace = run_scenario(legacy, scenario)
    assert trace.steps[0].outputs == ()
    assert _types(trace.steps[1].output_to(P0)) == [
        "version",
        "wtxidrelay",
        "sendaddrv2",
        "verack",
        "sendcmpct",
        "ping",
        "getheaders",
        "feefilter",
    ]
    peer = trace.steps[1].state["peers"]
    assert isinstance(peer, list) and isinstance(peer[0], dict)
    assert peer[0]["peer"] == 0
    assert peer[0]["connection_type"] == "inbound"
    assert peer[0]["version"] == 70016
    assert peer[0]["pingwait"] is None  # shown only once a ping has been waiting


def test_outbound_peer_gets_our_version_as_soon_as_we_connect(legacy: Variant) -> None:
    scenario = Scenario(
        (PeerConnects(P0, ConnectionType.OUTBOUND_FULL_RELAY, "20.0.0.1:18444"), HANDSHAKE)
    )
    trace = run_scenario(legacy, scenario)
    assert _types(trace.steps[0].output_to(P0)) == ["version"]
    assert "getaddr" in _types(trace.steps[1].output_to(P0))


def test_answered_ping_sets_ping_time_in_microseconds(legacy: Variant) -> None:
    scenario = Scenario(
        (directed.inbound(0, "1.2.3.4:18444"), HANDSHAKE, ClockAdvances(5), PeerAnswersPing(P0))
    )
    trace = run_scenario(legacy, scenario)
    peers = trace.steps[3].state["peers"]
    assert isinstance(peers, list) and isinstance(peers[0], dict)
    assert peers[0]["pingtime"] == 5_000_000
    assert peers[0]["pingwait"] is None


def test_peer_silent_past_the_handshake_timeout_is_disconnected_then(legacy: Variant) -> None:
    timeout = int(str(legacy.constant("DEFAULT_PEER_CONNECT_TIMEOUT")))
    scenario = Scenario(
        (
            directed.inbound(0, "1.2.3.4:18444"),
            ClockAdvances(timeout),
            ClockAdvances(1),
        )
    )
    trace = run_scenario(legacy, scenario)
    assert [s.disconnected for s in trace.steps] == [(), (), (P0,)]
    assert trace.steps[2].state["peers"] == []


def test_banned_address_is_refused_at_connect(legacy: Variant) -> None:
    scenario = Scenario((SetBan("1.2.3.4"), directed.inbound(0, "1.2.3.4:18444")))
    trace = run_scenario(legacy, scenario)
    assert trace.steps[0].state["rpc"] is None
    banned = trace.steps[0].state["banned"]
    assert isinstance(banned, list) and isinstance(banned[0], dict)
    assert banned[0]["address"] == "1.2.3.4/32"
    assert trace.steps[1].disconnected == (P0,)


def test_bytes_to_a_closed_connection_go_nowhere(legacy: Variant) -> None:
    ping = frames.frame_message(msg_ping(1))
    scenario = Scenario(
        (
            directed.inbound(0, "1.2.3.4:18444"),
            PeerSends(P0, frames.bad_magic("ping")),
            PeerSends(P0, ping),
        )
    )
    trace = run_scenario(legacy, scenario)
    assert trace.steps[1].disconnected == (P0,)
    assert trace.steps[2].outputs == () and trace.steps[2].disconnected == ()


def test_exception_text_drops_the_variant_package_name() -> None:
    variant = Variant(VariantSpec("x", "mutant_07"), *(sys,) * 4)  # modules unused here
    err = AttributeError("module 'mutant_07.net' has no attribute 'Foo'")
    assert describe_exception(err, variant) == (
        "AttributeError: module '<variant>.net' has no attribute 'Foo'"
    )


def _sample() -> Scenario:
    return Scenario(
        (
            directed.inbound(0, "1.2.3.4:18444"),
            HANDSHAKE,
            PeerConnects(PeerLabel(1), ConnectionType.BLOCK_RELAY, "20.0.0.2:18444"),
            directed.handshake(1),
            ClockAdvances(130),
            PeerAnswersPing(P0),
            ClockAdvances(1300),
        ),
        seed=42,
    )


def test_same_scenario_gives_the_same_trace_twice(legacy: Variant) -> None:
    first = run_scenario(legacy, _sample())
    second = run_scenario(legacy, _sample())
    assert first == second
    assert trace_mod.dumps(first) == trace_mod.dumps(second)


def test_same_scenario_gives_the_same_trace_in_a_fresh_process(
    legacy: Variant, tmp_path: Path
) -> None:
    path = tmp_path / "scenario.json"
    path.write_text(sc.dumps(_sample()))
    code = (
        "import sys\n"
        "from netsplit.diff import scenario, trace\n"
        "from netsplit.diff.driver import run_scenario\n"
        "from netsplit.diff.variant import VariantSpec, load\n"
        "t = run_scenario(load(VariantSpec('legacy', 'legacy')), scenario.load("
        f"__import__('pathlib').Path({str(path)!r})))\n"
        "sys.stdout.write(trace.dumps(t))\n"
    )
    env = dict(os.environ, PYTHONHASHSEED="12345")
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, check=True, text=True
    ).stdout
    here = run_scenario(legacy, _sample())
    assert json.loads(out) == json.loads(trace_mod.dumps(here))
    assert trace_mod.loads(out) == here
