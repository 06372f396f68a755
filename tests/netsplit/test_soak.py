"""``netsplit soak``: a short run against a real node process (10 peers, ~15 seconds), the
verdict's arithmetic on made-up samples, and the command's registration."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from netsplit.cli import build_parser
from netsplit.soak import (
    Sample,
    SoakConfig,
    SoakReport,
    Tolerance,
    judge,
    judge_growth,
    render_summary,
    run_soak,
)

SAMPLE_FIELDS = {
    "t",
    "phase",
    "threads",
    "fds",
    "fds_excess",
    "rss_kb",
    "cpu_s",
    "peers",
    "rpc_ok",
    "rpc_ms",
}
CHECKS = [
    "threads",
    "fds_excess",
    "rss_kb",
    "rpc_answered",
    "peers_bounded",
    "drained",
    "misbehaviour_dropped",
]


@pytest.fixture(scope="module")
def short_soak(tmp_path_factory: pytest.TempPathFactory) -> tuple[SoakReport, Path]:
    out = tmp_path_factory.mktemp("soak")
    config = SoakConfig(variant="legacy", minutes=0.25, peers=10, interval=1.0, out=out)
    return run_soak(config), out


def test_short_soak_writes_json_with_samples_and_checks(
    short_soak: tuple[SoakReport, Path],
) -> None:
    report, out = short_soak
    data = json.loads((out / "soak-legacy.json").read_text())
    assert set(data) == {
        "config",
        "machine",
        "node_pid",
        "node_exit",
        "verdict",
        "ok",
        "checks",
        "baseline",
        "drained",
        "samples",
        "peer_stats",
        "files",
    }
    assert data["config"]["peers"] == 10 and data["config"]["variant"] == "legacy"
    assert set(data["machine"]) >= {"nproc", "cpu_model", "python"}
    assert data["node_exit"] is None
    churn = [s for s in data["samples"] if s["phase"] == "churn"]
    assert len(churn) >= 10
    for sample in [*data["samples"], data["baseline"], data["drained"]]:
        assert set(sample) == SAMPLE_FIELDS
        assert sample["threads"] > 0 and sample["fds"] > 0 and sample["rss_kb"] > 0
    assert [c["name"] for c in data["checks"]] == CHECKS
    assert data["ok"] == report.ok and data["verdict"] in ("bounded", "growth or failure")
    assert (out / "soak-legacy.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert data["files"] == {
        "json": str(out / "soak-legacy.json"),
        "png": str(out / "soak-legacy.png"),
    }


def test_short_soak_node_answered_throughout_and_peers_churned(
    short_soak: tuple[SoakReport, Path],
) -> None:
    report, _ = short_soak
    assert report.samples and all(s.rpc_ok for s in report.samples)
    checks = {c.name: c for c in report.checks}
    assert checks["rpc_answered"].ok is True
    assert max(s.peers or 0 for s in report.churn) >= 5
    stats = report.peer_stats
    assert stats["handshakes"] > 10 and stats["connects"] >= stats["handshakes"]
    assert stats["sent"]["ping"] > 0 and stats["sent"]["inv"] > 0
    assert stats["received"]["pong"] > 0
    # Once the peers left, the node dropped back to zero peers.
    assert report.drained is not None and report.drained.peers == 0
    assert checks["drained"].ok is True


def _samples(values: list[float], name: str = "threads") -> list[Sample]:
    samples = []
    for i, v in enumerate(values):
        s = Sample(float(i), "churn", 10, 20, 1000, 0.0, 5, True, 1.0)
        setattr(s, name, int(v))
        samples.append(s)
    return samples


def test_growth_beyond_tolerance_between_the_thirds_is_flagged() -> None:
    tolerance = Tolerance(absolute=2, relative=0.05)
    flat = judge_growth(_samples([10, 10, 11, 10, 10, 11, 10, 10, 11]), "threads", tolerance)
    assert (flat.ok, flat.middle, flat.last) == (True, 10.33, 10.33)
    # The first third (warm-up) does not count.
    warmup = judge_growth(_samples([1, 1, 1, 10, 10, 10, 11, 11, 11]), "threads", tolerance)
    assert warmup.ok is True
    growing = judge_growth(_samples([10, 11, 12, 13, 14, 15, 16, 17, 18]), "threads", tolerance)
    assert (growing.ok, growing.middle, growing.last, growing.limit) == (False, 14.0, 17.0, 2.0)
    relative = judge_growth(
        _samples([0, 0, 100, 100, 100, 104, 104, 104], "rss_kb"), "rss_kb", tolerance
    )
    assert relative.ok is True and relative.limit == 5.0
    assert judge_growth(_samples([1, 2, 3]), "threads", tolerance).ok is None


def test_a_failed_rpc_or_undrained_node_fails_the_verdict() -> None:
    samples = _samples([10] * 9)
    samples[4].rpc_ok, samples[4].peers = False, None
    drained = Sample(20.0, "drained", 10, 25, 1000, 0.0, 3, True, 1.0)
    report = SoakReport(
        {},
        {},
        1,
        Sample(-1.0, "baseline", 10, 10, 900, 0.0, 0, True, 1.0),
        samples,
        drained,
        {"not_dropped": {"garbage": 1}},
        [],
    )
    checks = {c.name: c.ok for c in judge(report, peers=5)}
    assert checks == {
        "threads": True,
        "fds_excess": True,
        "rss_kb": True,
        "rpc_answered": False,
        "peers_bounded": True,
        "drained": False,
        "misbehaviour_dropped": False,
    }


def test_summary_names_the_machine_every_check_and_the_verdict(
    short_soak: tuple[SoakReport, Path],
) -> None:
    report, _ = short_soak
    lines = render_summary(report)
    assert lines[0].startswith("soak legacy: 10 peers for 0.25 min")
    assert lines[1].startswith("machine: ")
    for name in CHECKS:
        assert any(line.lstrip().startswith("[") and f"] {name}: " in line for line in lines)
    assert any(line.startswith("verdict: ") for line in lines)


def test_soak_subcommand_parses_minutes_peers_variant_and_out() -> None:
    args = build_parser().parse_args(
        ["soak", "--minutes", "0.5", "--peers", "7", "--variant", "split", "--out", "x"]
    )
    assert (args.minutes, args.peers, args.variant, args.out) == (0.5, 7, "split", Path("x"))
    defaults = build_parser().parse_args(["soak"])
    assert (defaults.minutes, defaults.peers, defaults.variant) == (10.0, 100, "legacy")
