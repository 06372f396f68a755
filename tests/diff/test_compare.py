"""Comparing traces and rendering the first divergence: pure data, no node involved."""

from __future__ import annotations

from pathlib import Path

from common.messages import msg_ping, msg_pong, msg_verack
from netsplit.diff import frames
from netsplit.diff import scenario as sc
from netsplit.diff.compare import compare, diff_json
from netsplit.diff.report import make_result, render_text, replay_variants, save_replay
from netsplit.diff.scenario import ClockAdvances, PeerLabel, PeerSends, Scenario
from netsplit.diff.trace import Json, PeerOutput, Step, Trace

P0 = PeerLabel(0)
PING = frames.frame_message(msg_ping(7))
PONG = frames.frame_message(msg_pong(7))
SCENARIO = Scenario(
    (PeerSends(P0, PING), ClockAdvances(120), ClockAdvances(1)), seed=5, note="example"
)


def _state(pingwait: Json = None) -> dict[str, Json]:
    return {"peers": [{"id": 0, "pingwait": pingwait}], "banned": []}


def _trace(variant: str, second_output: bytes, disconnected: bool = False) -> Trace:
    steps = (
        Step(0, (PeerOutput(P0, PONG),), (), _state()),
        Step(1, (PeerOutput(P0, second_output),), (), _state(5)),
        Step(2, (), (P0,) if disconnected else (), _state(6)),
    )
    return Trace({"peers": []}, steps, variant)


def test_identical_traces_of_different_variants_agree() -> None:
    a = _trace("legacy", PING)
    b = _trace("copy", PING)
    assert a == b  # the variant's name is not an observation
    assert compare(SCENARIO, a, b) is None


def test_first_differing_step_is_reported_with_the_frame_index() -> None:
    a = _trace("legacy", PING + PONG)
    b = _trace("mutant", PING + frames.frame_message(msg_verack()), disconnected=True)
    d = compare(SCENARIO, a, b)
    assert d is not None
    assert d.index == 1
    assert d.event == ClockAdvances(120)
    assert [(o.peer, o.first_frame) for o in d.outputs] == [(0, 1)]
    assert d.disconnected is None  # the disconnection differs only later
    assert d.summary() == "event 1: messages to peer 0"


def test_state_differences_list_json_paths() -> None:
    diffs = diff_json(
        {"peers": [{"id": 0, "pingwait": 5}], "tip": {"height": 1}},
        {"peers": [{"id": 0, "pingwait": None}], "tip": {"height": 1}, "extra": 1},
    )
    assert [(d.path, d.a, d.b) for d in diffs] == [
        ("extra", None, 1),
        ("peers[0].pingwait", 5, None),
    ]


def test_startup_state_difference_is_event_minus_one() -> None:
    a = Trace({"chain": {"height": 0}}, (), "a")
    b = Trace({"chain": {"height": 1}}, (), "b")
    d = compare(Scenario(), a, b)
    assert d is not None and d.index == -1
    assert d.summary() == "before the first event: state chain"


def test_report_shows_context_and_both_sides(tmp_path: Path) -> None:
    result = make_result(SCENARIO, _trace("legacy", PING), _trace("mutant", b""))
    text = render_text(result)
    assert "FIRST DIVERGENCE event 1: messages to peer 0" in text
    assert "#0 PeerSends(peer=0, data=" in text
    assert "peer -> node: msg_ping(nonce=7)" in text
    assert "node -> peer 0: msg_pong(nonce=7)" in text
    assert ">> #1 ClockAdvances(seconds=120)" in text
    assert "-msg_ping(nonce=7)" in text
    path = save_replay(result, tmp_path)
    assert sc.load(path) == SCENARIO
    assert replay_variants(path) == ("legacy", "mutant")
    assert path.with_suffix(".txt").read_text() == text


def test_report_of_agreeing_traces_says_so() -> None:
    result = make_result(SCENARIO, _trace("a", PING), _trace("b", PING))
    assert result.agrees
    assert render_text(result).endswith("no divergence: every event gave the same observations\n")
