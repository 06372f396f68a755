"""``netsplit soak``: one node process under churn for minutes, watched for growth.

The node (``python -m legacy`` or ``python -m split``) runs on loopback with no outbound
connections (-connect=0) and one block mined, so that it is out of initial block download and
requests the transactions it hears of. In this process, ``--peers`` peers (asyncio,
:mod:`netsplit.soakpeer`) connect, handshake, flood pings, invs and addrs, misbehave,
disconnect and come back, at a steady rate, for ``--minutes``. Every ``--interval`` seconds the
soak samples the node process: its thread count and resident memory (/proc/<pid>/status:
Threads, VmRSS), its open file descriptors (/proc/<pid>/fd), its CPU time, and its peer count
(the getconnectioncount RPC, whose answer and latency also show the node still serves RPC).
When the churn ends, the peers leave and the soak waits for the node to drop to zero peers,
then samples once more.

The verdict compares the last third of the churn samples with the middle third (the first third
is warm-up): a metric that grows by more than its tolerance is reported as unbounded. File
descriptors are judged without the peers' sockets (fds minus peers), since the peer count moves
with the churn. After the drain, peers must be back to zero and threads and descriptors back
near the idle baseline. The report is data (:class:`SoakReport`); it is written as JSON and
plotted to PNG (matplotlib, the ``plot`` extra), and the CLI prints :func:`render_summary`.
Ctrl-C or SIGTERM ends a run early: the peers close, the node is stopped, no report is written.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shutil
import signal
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any, Final

from .nodeproc import NodeProcess, RPCClient
from .soakpeer import PeerConfig, PeerStats, SoakPeer, address_pool

Progress = Callable[[str], None]

#: Upstream's DEFAULT_MAX_PEER_CONNECTIONS; raised when more soak peers than inbound slots.
DEFAULT_MAX_PEER_CONNECTIONS: Final = 125
#: Bounds on the end of the run: the peers' goodbyes, then the node's drop to zero peers.
PEERS_STOP_TIMEOUT: Final = 30.0
DRAIN_TIMEOUT: Final = 60.0
#: A regtest P2WPKH address (the zero key hash) for the block that ends IBD.
MINE_ADDRESS: Final = "bcrt1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqdku202"
#: Fewer churn samples than this and there are no thirds to compare.
MIN_SAMPLES_TO_JUDGE: Final = 6


@dataclass(frozen=True, slots=True)
class Tolerance:
    """How much a metric's mean may rise from the middle third to the last: the larger of an
    absolute amount (in the metric's unit) and a fraction of the middle third's mean."""

    absolute: float
    relative: float


#: Per metric: threads (count), fds_excess (descriptors not held by peer sockets), rss_kb (kB).
TOLERANCES: Final[dict[str, Tolerance]] = {
    "threads": Tolerance(2, 0.05),
    "fds_excess": Tolerance(10, 0.10),
    "rss_kb": Tolerance(8 * 1024, 0.10),
}
#: After the drain, how far threads and descriptors may stay above the idle baseline.
DRAIN_SLACK: Final[dict[str, int]] = {"threads": 2, "fds": 10}


@dataclass(slots=True)
class SoakConfig:
    variant: str = "legacy"
    minutes: float = 10.0
    peers: int = 100
    #: Seconds between samples.
    interval: float = 5.0
    out: Path = Path("soak-results")
    seed: int = 1
    #: Messages a second, per peer, while flooding.
    rate: float = 4.0
    session_min: float = 2.0
    session_max: float = 8.0
    misbehave_chance: float = 0.3


@dataclass(slots=True)
class Sample:
    """One look at the node process. ``t`` is seconds since the churn started (negative for
    the idle baseline); ``peers`` is None when the RPC did not answer."""

    t: float
    phase: str
    threads: int
    fds: int
    rss_kb: int
    cpu_s: float
    peers: int | None
    rpc_ok: bool
    rpc_ms: float | None

    @property
    def fds_excess(self) -> int:
        return self.fds - (self.peers or 0)


@dataclass(slots=True)
class Check:
    """One line of the verdict. ``ok`` is None when there was too little data to judge."""

    name: str
    ok: bool | None
    detail: str
    middle: float | None = None
    last: float | None = None
    limit: float | None = None


@dataclass(slots=True)
class SoakReport:
    config: dict[str, Any]
    machine: dict[str, Any]
    node_pid: int
    baseline: Sample
    samples: list[Sample]
    drained: Sample | None
    peer_stats: dict[str, Any]
    checks: list[Check]
    node_exit: int | None = None
    files: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return all(c.ok is not False for c in self.checks)

    @property
    def churn(self) -> list[Sample]:
        return [s for s in self.samples if s.phase == "churn"]

    def as_dict(self) -> dict[str, Any]:
        return {
            "config": self.config,
            "machine": self.machine,
            "node_pid": self.node_pid,
            "node_exit": self.node_exit,
            "verdict": "bounded" if self.ok else "growth or failure",
            "ok": self.ok,
            "checks": [asdict(c) for c in self.checks],
            "baseline": _sample_dict(self.baseline),
            "drained": None if self.drained is None else _sample_dict(self.drained),
            "samples": [_sample_dict(s) for s in self.samples],
            "peer_stats": self.peer_stats,
            "files": self.files,
        }


def _sample_dict(s: Sample) -> dict[str, Any]:
    d = asdict(s)
    d["fds_excess"] = s.fds_excess
    return d


def machine_info() -> dict[str, Any]:
    """What the figures were measured on: cores, CPU model, Python, OS."""
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "nproc": os.cpu_count(),
        "cpu_model": model or platform.processor(),
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
    }


# --- sampling -------------------------------------------------------------------------------------

_CLK_TCK: Final = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _proc_status(pid: int) -> dict[str, str]:
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        fields[name] = value.strip()
    return fields


def _cpu_seconds(pid: int) -> float:
    """User plus system time of the whole process (/proc/<pid>/stat fields 14 and 15)."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / _CLK_TCK


def sample_process(pid: int, rpc: RPCClient, t: float, phase: str) -> Sample:
    """Read the process's figures from /proc, then ask it for its peer count."""
    status = _proc_status(pid)
    threads = int(status["Threads"])
    rss_kb = int(status["VmRSS"].split()[0])
    fds = len(os.listdir(f"/proc/{pid}/fd"))
    cpu = _cpu_seconds(pid)
    start = time.monotonic()
    try:
        peers: int | None = int(rpc.getconnectioncount())
        rpc_ok = True
        rpc_ms: float | None = (time.monotonic() - start) * 1000
    except Exception:  # any failure to answer is the finding, not a crash of the soak
        peers, rpc_ok, rpc_ms = None, False, None
    return Sample(round(t, 3), phase, threads, fds, rss_kb, round(cpu, 3), peers, rpc_ok, rpc_ms)


# --- the verdict ----------------------------------------------------------------------------------


def _metric(s: Sample, name: str) -> float:
    value: float = getattr(s, name)
    return value


def judge_growth(churn: Sequence[Sample], name: str, tolerance: Tolerance) -> Check:
    """Compare the mean of the last third of the churn samples with the middle third's."""
    if len(churn) < MIN_SAMPLES_TO_JUDGE:
        return Check(name, None, f"{len(churn)} samples: too few to judge")
    n = len(churn)
    middle = statistics.fmean(_metric(s, name) for s in churn[n // 3 : 2 * n // 3])
    last = statistics.fmean(_metric(s, name) for s in churn[2 * n // 3 :])
    limit = max(tolerance.absolute, tolerance.relative * middle)
    growth = last - middle
    ok = growth <= limit
    detail = f"middle third {middle:.1f}, last third {last:.1f} ({growth:+.1f}, limit +{limit:.1f})"
    return Check(name, ok, detail, round(middle, 2), round(last, 2), round(limit, 2))


def judge(report: SoakReport, peers: int) -> list[Check]:
    churn = report.churn
    checks = [judge_growth(churn, name, tol) for name, tol in TOLERANCES.items()]
    answered = [s for s in report.samples if s.rpc_ok]
    checks.append(
        Check(
            "rpc_answered",
            bool(report.samples) and len(answered) == len(report.samples),
            f"{len(answered)} of {len(report.samples)} samples answered getconnectioncount",
        )
    )
    counts = [s.peers for s in churn if s.peers is not None]
    peak = max(counts, default=0)
    checks.append(
        Check("peers_bounded", peak <= peers, f"peak {peak} peers with {peers} soak peers")
    )
    drained = report.drained
    if drained is None:
        checks.append(Check("drained", False, "no sample after the drain"))
    else:
        base = report.baseline
        extra_threads = drained.threads - base.threads
        extra_fds = drained.fds - base.fds
        ok = (
            drained.peers == 0
            and extra_threads <= DRAIN_SLACK["threads"]
            and extra_fds <= DRAIN_SLACK["fds"]
        )
        checks.append(
            Check(
                "drained",
                ok,
                f"after the churn: {drained.peers} peers, threads {extra_threads:+d} and fds "
                f"{extra_fds:+d} against the idle baseline (slack {DRAIN_SLACK['threads']}, "
                f"{DRAIN_SLACK['fds']})",
            )
        )
    not_dropped = report.peer_stats.get("not_dropped", {})
    checks.append(
        Check(
            "misbehaviour_dropped",
            not not_dropped,
            "every misbehaving peer was disconnected"
            if not not_dropped
            else f"still connected after: {not_dropped}",
        )
    )
    if report.node_exit is not None:
        checks.append(Check("node_alive", False, f"node exited with code {report.node_exit}"))
    return checks


# --- the run --------------------------------------------------------------------------------------


def _node_args(config: SoakConfig) -> list[str]:
    """Loopback only, no outbound connections (-connect=0 would also turn listening off, hence
    -listen=1), and enough inbound slots for every soak peer."""
    inbound_needed = config.peers + 25
    args = ["-connect=0", "-listen=1"]
    if inbound_needed > DEFAULT_MAX_PEER_CONNECTIONS:
        args.append(f"-maxconnections={inbound_needed}")
    return args


async def _churn(
    config: SoakConfig, node: NodeProcess, rpc: RPCClient, progress: Progress
) -> tuple[list[Sample], Sample | None, PeerStats, int | None]:
    """Run the peers for the configured time while sampling; then stop them and drain."""
    assert node.process is not None
    pid = node.process.pid
    stats = PeerStats()
    stop = asyncio.Event()
    peer_config = PeerConfig(
        "127.0.0.1",
        node.port,
        rate=config.rate,
        session_min=config.session_min,
        session_max=config.session_max,
        misbehave_chance=config.misbehave_chance,
    )
    pool = address_pool()
    peers = [
        SoakPeer(i, peer_config, stats, stop, config.seed * 1_000_003 + i, pool)
        for i in range(config.peers)
    ]
    tasks = [asyncio.create_task(p.run(), name=f"peer{p.index}") for p in peers]
    samples: list[Sample] = []
    start = time.monotonic()
    duration = config.minutes * 60
    node_exit: int | None = None

    async def take(phase: str) -> Sample:
        s = await asyncio.to_thread(sample_process, pid, rpc, time.monotonic() - start, phase)
        samples.append(s)
        return s

    next_at = start + config.interval
    while time.monotonic() - start < duration:
        await asyncio.sleep(max(0.0, next_at - time.monotonic()))
        next_at += config.interval
        if node.process.poll() is not None:
            node_exit = node.process.returncode
            break
        s = await take("churn")
        progress(
            f"t={s.t:6.0f}s peers={s.peers} threads={s.threads} fds={s.fds} "
            f"rss={s.rss_kb / 1024:.1f}MB rpc={'ok' if s.rpc_ok else 'FAILED'}"
        )
    stop.set()
    _, pending = await asyncio.wait(tasks, timeout=PEERS_STOP_TIMEOUT)
    for task in pending:
        task.cancel()
    if pending:
        stats.errors["peer did not stop in time"] += len(pending)
        await asyncio.wait(pending)
    drained: Sample | None = None
    if node_exit is None:
        deadline = time.monotonic() + DRAIN_TIMEOUT
        while True:
            s = await take("drain")
            if s.peers == 0 or time.monotonic() > deadline or node.process.poll() is not None:
                break
            await asyncio.sleep(1.0)
        # Let the node finish closing the last sockets before the final look.
        await asyncio.sleep(min(2.0, config.interval))
        if node.process.poll() is None:
            drained = await take("drained")
        else:
            node_exit = node.process.returncode
    return samples, drained, stats, node_exit


def run_soak(config: SoakConfig, progress: Progress | None = None) -> SoakReport:
    """Start the node, churn, sample, drain, stop the node; write JSON and PNG to
    ``config.out``."""
    say: Progress = progress if progress is not None else (lambda line: None)
    datadir = Path(tempfile.mkdtemp(prefix=f"netsplit-soak-{config.variant}-"))
    node = NodeProcess(datadir / "node", variant=config.variant, extra_args=_node_args(config))
    try:
        node.start()
        assert node.process is not None
        rpc = node.rpc()
        # One block with the current time ends initial block download, so the node also
        # requests the transactions the peers announce (it ignores tx invs during IBD).
        rpc.generatetoaddress(1, MINE_ADDRESS)
        say(
            f"soak: {config.variant} node pid {node.process.pid}, {config.peers} peers, "
            f"{config.minutes:g} min, a sample every {config.interval:g} s"
        )
        time.sleep(min(1.0, config.interval))
        baseline = sample_process(node.process.pid, rpc, -1.0, "baseline")
        samples, drained, stats, node_exit = asyncio.run(_churn(config, node, rpc, say))
        report = SoakReport(
            config=_config_dict(config),
            machine=machine_info(),
            node_pid=node.process.pid,
            baseline=baseline,
            samples=samples,
            drained=drained,
            peer_stats=stats.as_dict(),
            checks=[],
            node_exit=node_exit,
        )
        report.checks = judge(report, config.peers)
    finally:
        exit_code = node.stop()
        shutil.rmtree(datadir, ignore_errors=True)
    if report.node_exit is None and exit_code not in (0, None):
        report.node_exit = exit_code
        report.checks = judge(report, config.peers)
    write_outputs(report, config.out)
    return report


def _config_dict(config: SoakConfig) -> dict[str, Any]:
    d = asdict(config)
    d["out"] = str(config.out)
    return d


# --- output ---------------------------------------------------------------------------------------


def write_outputs(report: SoakReport, out: Path) -> None:
    """``soak-<variant>.json`` always; ``soak-<variant>.png`` when matplotlib is installed."""
    out.mkdir(parents=True, exist_ok=True)
    variant = report.config["variant"]
    json_path = out / f"soak-{variant}.json"
    png_path = out / f"soak-{variant}.png"
    if plot(report, png_path):
        report.files["png"] = str(png_path)
    report.files["json"] = str(json_path)
    json_path.write_text(json.dumps(report.as_dict(), indent=1) + "\n")


def plot(report: SoakReport, path: Path) -> bool:
    """Four panels over time: threads, file descriptors, RSS, peers; the thirds the verdict
    compares are shaded. False when matplotlib is missing."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    samples = [s for s in report.samples if s.phase in ("churn", "drain")]
    if report.drained is not None:
        samples.append(report.drained)
    minutes = [s.t / 60 for s in samples]
    churn = report.churn
    fig, axes = plt.subplots(2, 2, figsize=(11, 7), sharex=True)
    panels: list[tuple[Any, str, list[tuple[str, list[float]]]]] = [
        (axes[0][0], "threads", [("threads", [s.threads for s in samples])]),
        (
            axes[0][1],
            "open file descriptors",
            [
                ("fds", [s.fds for s in samples]),
                ("fds minus peers", [s.fds_excess for s in samples]),
            ],
        ),
        (axes[1][0], "RSS (MB)", [("VmRSS", [s.rss_kb / 1024 for s in samples])]),
        (
            axes[1][1],
            "peers (getconnectioncount)",
            [("peers", [float("nan") if s.peers is None else s.peers for s in samples])],
        ),
    ]
    for ax, title, series in panels:
        for label, values in series:
            ax.plot(minutes, values, label=label, linewidth=1.2)
        if churn:
            ax.axvline(churn[-1].t / 60, color="grey", linestyle="--", lw=0.8)
        ax.axhline(_baseline_value(report.baseline, title), color="grey", linestyle=":", lw=1)
        if len(churn) >= MIN_SAMPLES_TO_JUDGE:
            n = len(churn)
            ax.axvspan(churn[n // 3].t / 60, churn[2 * n // 3].t / 60, color="C0", alpha=0.06)
            ax.axvspan(churn[2 * n // 3].t / 60, churn[-1].t / 60, color="C1", alpha=0.08)
        ax.set_title(title, fontsize=10)
        ax.grid(True, alpha=0.3)
        if len(series) > 1:
            ax.legend(fontsize=8)
    for ax in axes[1]:
        ax.set_xlabel("minutes since the churn started")
    config, machine = report.config, report.machine
    fig.suptitle(
        f"netsplit soak: {config['variant']}, {config['peers']} churning peers, "
        f"{config['minutes']:g} min; verdict: {'bounded' if report.ok else 'GROWTH OR FAILURE'}\n"
        f"{machine['nproc']} x {machine['cpu_model']}, Python {machine['python']} "
        "(dotted: idle baseline; shaded: the thirds compared; dashed: peers leave)",
        fontsize=10,
    )
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return True


def _baseline_value(base: Sample, title: str) -> float:
    if title.startswith("threads"):
        return base.threads
    if title.startswith("open"):
        return base.fds
    if title.startswith("RSS"):
        return base.rss_kb / 1024
    return base.peers or 0


def render_summary(report: SoakReport) -> list[str]:
    """The lines the CLI prints."""
    churn = report.churn
    config, machine, stats = report.config, report.machine, report.peer_stats
    lines = [
        f"soak {config['variant']}: {config['peers']} peers for {config['minutes']:g} min, "
        f"{len(churn)} samples every {config['interval']:g} s",
        f"machine: {machine['nproc']} x {machine['cpu_model']}, Python {machine['python']}",
        f"peers: {stats['connects']} connects, {stats['handshakes']} handshakes, "
        f"{stats['closes']} clean closes, misbehaviours {stats['misbehaviours']}, "
        f"errors {stats['errors']}",
        f"sent {stats['sent']}",
    ]
    if churn:
        last = churn[-1]
        rpc_ms = [s.rpc_ms for s in churn if s.rpc_ms is not None]
        lines.append(
            f"node: baseline threads={report.baseline.threads} fds={report.baseline.fds} "
            f"rss={report.baseline.rss_kb / 1024:.1f}MB; at the end of the churn "
            f"threads={last.threads} fds={last.fds} rss={last.rss_kb / 1024:.1f}MB "
            f"peers={last.peers}; CPU {last.cpu_s - report.baseline.cpu_s:.0f} s; "
            f"RPC latency max {max(rpc_ms, default=0):.0f} ms"
        )
    for check in report.checks:
        mark = {True: "ok  ", False: "FAIL", None: "n/a "}[check.ok]
        lines.append(f"  [{mark}] {check.name}: {check.detail}")
    lines.append(
        "verdict: "
        + ("nothing grows without bound" if report.ok else "growth or failure (see FAIL above)")
    )
    for kind, path in sorted(report.files.items()):
        lines.append(f"{kind}: {path}")
    return lines


# --- the command ----------------------------------------------------------------------------------


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--minutes", type=float, default=10.0, help="churn time (default 10)")
    parser.add_argument("--peers", type=int, default=100, help="churning peers (default 100)")
    parser.add_argument("--variant", choices=("legacy", "split"), default="legacy")
    parser.add_argument(
        "--out", type=Path, default=Path("soak-results"), help="where the JSON and PNG go"
    )
    parser.add_argument(
        "--interval", type=float, default=5.0, help="seconds between samples (default 5)"
    )
    parser.add_argument("--seed", type=int, default=1, help="the peers' randomness")


def run(args: argparse.Namespace) -> int:
    """``netsplit soak``: print progress and the summary; exit 1 unless the verdict is
    "bounded"."""
    config = SoakConfig(
        variant=args.variant,
        minutes=args.minutes,
        peers=args.peers,
        interval=args.interval,
        out=args.out,
        seed=args.seed,
    )
    if config.peers < 1 or config.minutes <= 0 or config.interval <= 0:
        print("netsplit soak: --peers, --minutes and --interval must be positive")
        return 2

    def interrupt(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    # SIGTERM ends the soak as Ctrl-C does: the peers close and the node is stopped.
    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        report = run_soak(config, progress=lambda line: print(line, flush=True))
    except KeyboardInterrupt:
        print("netsplit soak: interrupted; the node was stopped, no report written", flush=True)
        return 130
    finally:
        signal.signal(signal.SIGTERM, previous)
    for line in render_summary(report):
        print(line, flush=True)
    return 0 if report.ok else 1
