"""Divergence reports: a plain-text rendering, and replay files.

A report shows the scenario up to the first differing event, with what peers sent and what the
node wrote back (decoded), then the differing event side by side. A replay file is the scenario
as JSON with the divergence's summary; ``netsplit diff --replay FILE`` runs it again.
"""

from __future__ import annotations

import difflib
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from . import scenario as scenario_mod
from .compare import Divergence, compare
from .frames import describe_sent
from .scenario import PeerSends, Scenario, describe
from .trace import Json, Step, Trace, frame_lines

REPLAY_FORMAT: Final = "netsplit-diff-replay"
#: Events shown before the divergent one.
DEFAULT_CONTEXT: Final = 4
_INDENT: Final = "      "


@dataclass(frozen=True, slots=True)
class DiffResult:
    """Two variants' traces of one scenario, and where they first differ (None: they agree)."""

    scenario: Scenario
    label_a: str
    label_b: str
    trace_a: Trace
    trace_b: Trace
    divergence: Divergence | None

    @property
    def agrees(self) -> bool:
        return self.divergence is None


def make_result(scenario: Scenario, a: Trace, b: Trace) -> DiffResult:
    return DiffResult(scenario, a.variant, b.variant, a, b, compare(scenario, a, b))


def _json_short(value: Json) -> str:
    text = json.dumps(value, sort_keys=True)
    return text if len(text) <= 160 else text[:157] + "..."


def _sent_lines(data: bytes) -> list[str]:
    return describe_sent(data) or ["(no bytes)"]


def _step_lines(
    event_text: str, index: int, sent: bytes | None, step: Step, marker: str
) -> list[str]:
    lines = [f"{marker}#{index} {event_text}"]
    if sent is not None:
        for line in _sent_lines(sent):
            lines.append(f"{_INDENT}peer -> node: {line}")
    for out in step.outputs:
        for line in frame_lines(out.data):
            lines.append(f"{_INDENT}node -> peer {out.peer}: {line}")
    if step.disconnected:
        lines.append(f"{_INDENT}disconnected: peers {', '.join(map(str, step.disconnected))}")
    if step.error:
        lines.append(f"{_INDENT}raised: {step.error}")
    if "rpc" in step.state:
        lines.append(f"{_INDENT}rpc result: {_json_short(step.state['rpc'])}")
    return lines


def render_text(result: DiffResult, context: int = DEFAULT_CONTEXT) -> str:
    """The report a person reads: scenario context, then the first divergence in detail."""
    d = result.divergence
    sc = result.scenario
    a_name, b_name = result.label_a, result.label_b
    head = f"{a_name} vs {b_name}: {len(sc.events)} events, seed {sc.seed}, start {sc.start_time}"
    if d is None:
        return f"{head}\nno divergence: every event gave the same observations\n"
    lines = [head, f"FIRST DIVERGENCE {d.summary()}", ""]
    first = max(0, d.index - context)
    if first > 0:
        lines.append(f"  ... {first} earlier events agree")
    for i in range(first, max(0, d.index)):
        ev = sc.events[i]
        sent = ev.data if isinstance(ev, PeerSends) else None
        lines += [
            "  " + line for line in _step_lines(describe(ev), i, sent, result.trace_a.steps[i], "")
        ]
    lines.append("")
    if d.index < 0:
        lines.append(">> node startup (state before the first event)")
    elif d.event is not None:
        lines.append(f">> #{d.index} {describe(d.event)}")
        if isinstance(d.event, PeerSends):
            for line in _sent_lines(d.event.data):
                lines.append(f"{_INDENT}peer -> node: {line}")
    else:
        lines.append(f">> #{d.index}: one trace has more steps than the other")
    for od in d.outputs:
        lines.append(f"{_INDENT}messages to peer {od.peer} differ from frame {od.first_frame}:")
        diff = difflib.unified_diff(
            list(od.a), list(od.b), fromfile=a_name, tofile=b_name, lineterm="", n=2
        )
        lines += [f"{_INDENT}  {line}" for line in diff]
    if d.disconnected is not None:
        da, db = d.disconnected
        lines.append(
            f"{_INDENT}disconnected: {a_name} {list(map(int, da))}, {b_name} {list(map(int, db))}"
        )
    if d.error is not None:
        lines.append(f"{_INDENT}raised: {a_name}: {d.error[0]}")
        lines.append(f"{_INDENT}        {b_name}: {d.error[1]}")
    if d.state:
        lines.append(f"{_INDENT}RPC-visible state differs:")
        for sd in d.state:
            lines.append(
                f"{_INDENT}  {sd.path}: {a_name}={_json_short(sd.a)}  {b_name}={_json_short(sd.b)}"
            )
    if 0 <= d.index < len(result.trace_a.steps) and 0 <= d.index < len(result.trace_b.steps):
        sa, sb = result.trace_a.steps[d.index], result.trace_b.steps[d.index]
        same_outputs = [o for o in sa.outputs if o in sb.outputs]
        for out in same_outputs:
            for line in frame_lines(out.data):
                lines.append(f"{_INDENT}(both) node -> peer {out.peer}: {line}")
    return "\n".join(lines) + "\n"


def replay_json(
    result: DiffResult, text: str | None = None, variants: tuple[str, str] | None = None
) -> dict[str, Any]:
    """``variants``: how to name the two variants again on the command line (default: their
    labels)."""
    d = result.divergence
    return {
        "format": REPLAY_FORMAT,
        "variants": list(variants) if variants is not None else [result.label_a, result.label_b],
        "labels": [result.label_a, result.label_b],
        "divergence": None if d is None else d.summary(),
        "divergent_event": None if d is None else d.index,
        "scenario": scenario_mod.scenario_to_json(result.scenario),
        "report": (text if text is not None else render_text(result)).splitlines(),
    }


def scenario_digest(scenario: Scenario) -> str:
    return hashlib.sha256(scenario_mod.dumps(scenario).encode()).hexdigest()[:12]


def save_replay(
    result: DiffResult, directory: Path, variants: tuple[str, str] | None = None
) -> Path:
    """Write ``divergence-<digest>.json`` (replayable) and ``.txt`` (the report); return the
    JSON file's path."""
    directory.mkdir(parents=True, exist_ok=True)
    text = render_text(result)
    stem = f"divergence-{scenario_digest(result.scenario)}"
    path = directory / f"{stem}.json"
    obj = replay_json(result, text, variants)
    path.write_text(json.dumps(obj, indent=1) + "\n", encoding="utf-8")
    (directory / f"{stem}.txt").write_text(text, encoding="utf-8")
    return path


def replay_variants(path: Path) -> tuple[str, str] | None:
    """The two variants a replay file was recorded against, if it says."""
    try:
        obj = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return None
    variants = obj.get("variants") if isinstance(obj, dict) else None
    if (
        isinstance(variants, list)
        and len(variants) == 2
        and all(isinstance(v, str) for v in variants)
    ):
        return variants[0], variants[1]
    return None
