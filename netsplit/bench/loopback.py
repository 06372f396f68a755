"""B1 (message throughput) and B4 (connection scale) over loopback TCP, through a node's real
threads.

Every node runs as a child process (``python -m legacy`` / ``python -m split``, through
:class:`netsplit.nodeproc.NodeProcess`): the node's socket and message-handler threads then
run exactly as they do for a user, and the client's Python runs under another GIL, so the
client's own work does not slow the node down (it takes the machine's other core instead).

B1 floods one inbound connection with messages written back to back. A *ping flood* is N pings,
each answered with a pong; its rate is N over the time from the first byte sent to the last
pong read. An *inv flood* is N inv messages, each announcing one new txid, followed by a ping;
its rate is N over the time until that ping's pong arrives, which the node writes only after it
has processed every inv before it. The node has mined one block first, so it is out of initial
block download and tracks every announcement as a synced node does. Every flood ends with the
same barrier ping, so the same client measures the node, bcoin (:mod:`.bcoin`) and the two
reference loops of :mod:`.framing`: the framing limit and the two-thread loop. The targets that
are not our nodes get each flood several times over (:data:`SCALE`), so that their floods last
long enough to time. Each flood runs on a fresh, handshaken connection, and the targets take
turns flood by flood, so a change in machine load hits them alike; a figure is the median over
the repetitions. Each rate is also given per second of the target process's CPU time (user +
system, all threads, from /proc), which a busy machine disturbs less than wall-clock time.

B4 connects P inbound peers at once (500, or 100 in quick mode), each completing the version
handshake, and times how long until the node has processed the last peer's verack (the pong to
a ping sent right after it). Then every peer pings at random moments over a few seconds and
the pong latencies give p50 and p99. The node's peak RSS is VmHWM from /proc/<pid>/status.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import secrets
import socket
import statistics
import struct
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from common.messages import msg_version
from common.protocol import CAddress, ServiceFlags
from netsplit.nodeproc import NodeProcess, RPCError

from .bcoin import BcoinNode, ensure_installed
from .framing import (
    BARRIER_NONCE,
    BARRIER_PAYLOAD,
    PING,
    PONG,
    RECV_SIZE,
    FrameSplitter,
    LoopServer,
    frame,
    ping_frame,
)
from .model import RATIO, RATIO_UNIT, Figure, is_code_variant, ratio_name, ratios, relative

Progress = Callable[[str], None]

#: The protocol version the client announces (v30.0's PROTOCOL_VERSION).
CLIENT_VERSION: Final = 70016
#: NODE_NETWORK | NODE_WITNESS, as a full node announces.
CLIENT_SERVICES: Final = ServiceFlags(1 | 8)
CLIENT_SUBVER: Final = "/netsplit-bench:0.1/"
VERSION: Final = b"version"
VERACK: Final = b"verack"
INV: Final = b"inv"
#: CInv type of a transaction announced by txid (GetDataMsg.MSG_TX).
MSG_TX: Final = 1
PING_FLOOD: Final = "ping flood"
INV_FLOOD: Final = "inv flood"


def version_frame(nonce: int) -> bytes:
    msg = msg_version(
        CLIENT_VERSION,
        CLIENT_SERVICES,
        int(time.time()),
        CAddress(),
        CAddress(),
        nonce,
        CLIENT_SUBVER,
        0,
        True,
    )
    return frame(VERSION, msg.serialize())


CLK_TCK: Final = os.sysconf("SC_CLK_TCK")


def process_cpu_seconds(pid: int) -> float:
    """User plus system CPU time of a process, all its threads (from /proc/<pid>/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


@dataclass(frozen=True, slots=True)
class Flood:
    """A flood's messages (without the barrier) and how many there are."""

    kind: str
    body: bytes
    count: int

    def data(self, scale: int = 1) -> bytes:
        """The messages ``scale`` times over, then the barrier ping."""
        return self.body * scale + ping_frame(BARRIER_NONCE)


def ping_flood(n: int) -> Flood:
    """N pings, nonces 1..N (bcoin ignores a ping with nonce 0)."""
    return Flood(PING_FLOOD, b"".join(ping_frame(i) for i in range(1, n + 1)), n)


def inv_flood(n: int) -> Flood:
    """N inv messages of one random txid each."""
    inv = b"\x01" + struct.pack("<I", MSG_TX)
    return Flood(
        INV_FLOOD, b"".join(frame(INV, inv + secrets.token_bytes(32)) for _ in range(n)), n
    )


class FloodTimeout(TimeoutError):
    """The barrier's pong did not arrive in time."""


@dataclass(frozen=True, slots=True)
class FloodResult:
    seconds: float
    #: Messages the target wrote during the flood, by type (the pongs, and anything else).
    received: Counter[bytes]


@dataclass(slots=True)
class FloodClient:
    """One connection to a target. :meth:`handshake` does the version handshake (not for the
    reference loops, which know none); :meth:`flood` writes a flood and times it."""

    sock: socket.socket
    splitter: FrameSplitter = field(default_factory=lambda: FrameSplitter(verify=False))

    @classmethod
    def connect(cls, port: int, timeout: float) -> FloodClient:
        sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return cls(sock)

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.close()

    def _read(self, until: bytes, payload: bytes | None = None) -> Counter[bytes]:
        """Read until a message of type ``until`` (with ``payload``, if given) arrives; answer
        the target's pings meanwhile. Returns every type read, counted."""
        seen: Counter[bytes] = Counter()
        while True:
            data = self.sock.recv(RECV_SIZE)
            if not data:
                raise ConnectionError("the target closed the connection")
            for msgtype, body in self.splitter.feed(data):
                name = msgtype.rstrip(b"\0")
                seen[name] += 1
                if msgtype == PING:
                    self.sock.sendall(frame(PONG, body))
                if name == until and (payload is None or body == payload):
                    return seen

    def handshake(self) -> None:
        """version, the target's version and verack, our verack, then a barrier ping so that
        whatever the target sends right after the handshake is read before any flood."""
        self.sock.sendall(version_frame(secrets.randbits(64)))
        self._read(VERACK)
        self.sock.sendall(frame(VERACK, b""))
        self.sync()

    def sync(self) -> None:
        self.sock.sendall(ping_frame(BARRIER_NONCE))
        self._read(PONG.rstrip(b"\0"), BARRIER_PAYLOAD)

    def flood(self, data: bytes, timeout: float) -> FloodResult:
        """Write ``data`` (which ends with the barrier ping) while a second thread reads, and
        time until the barrier's pong. The reader only frames what it reads (no checksums),
        so the client keeps up with any target on loopback."""
        received: Counter[bytes] = Counter()
        done = threading.Event()
        end = [0.0]
        failure: list[BaseException] = []
        barrier = PONG.rstrip(b"\0")

        def reader() -> None:
            view = memoryview(bytearray(RECV_SIZE))
            try:
                while True:
                    n = self.sock.recv_into(view)
                    if n == 0:
                        raise ConnectionError("the target closed the connection")
                    for msgtype, body in self.splitter.feed(view[:n]):
                        name = msgtype.rstrip(b"\0")
                        received[name] += 1
                        if name == barrier and body == BARRIER_PAYLOAD:
                            end[0] = time.perf_counter()
                            return
            except BaseException as e:
                failure.append(e)
            finally:
                done.set()

        self.sock.settimeout(timeout)
        thread = threading.Thread(target=reader, name="bench-flood-reader", daemon=True)
        thread.start()
        start = time.perf_counter()
        self.sock.sendall(data)
        if not done.wait(timeout):
            self.close()
            raise FloodTimeout(f"no answer to the barrier ping within {timeout:.0f} s")
        thread.join()
        if failure:
            raise failure[0]
        return FloodResult(end[0] - start, received)


# -- B1 ------------------------------------------------------------------------------------------

B1: Final = "B1"
FRAMING_LIMIT: Final = "framing-limit"
TWO_THREAD_LOOP: Final = "two-thread-loop"
BCOIN: Final = "bcoin"
#: FloodTarget.scale of the targets that are not nodes of ours (which get 1).
SCALE: Final = {BCOIN: 10, TWO_THREAD_LOOP: 20, FRAMING_LIMIT: 50}
#: A regtest address (the zero P2WPKH key hash) to mine the block that ends initial block
#: download, so that the node handles tx announcements as a synced node does.
MINE_ADDRESS: Final = "bcrt1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqdku202"


@dataclass(frozen=True, slots=True)
class B1Settings:
    #: Pings per ping flood, invs per inv flood.
    pings: int
    invs: int
    #: Floods per target and kind; figures are medians over them.
    repetitions: int
    #: Pings in the warm-up flood each target gets first (not counted).
    warmup: int
    variants: tuple[str, ...] = ("legacy", "split")
    timeout: float = 120.0

    @classmethod
    def for_mode(cls, quick: bool) -> B1Settings:
        if quick:
            return cls(pings=4000, invs=1500, repetitions=3, warmup=500)
        # 5000 invs is MAX_PEER_TX_ANNOUNCEMENTS: every announcement of a flood is tracked.
        return cls(pings=20000, invs=5000, repetitions=5, warmup=2000)


@dataclass(slots=True)
class FloodTarget:
    """Something that answers a flood: a node, bcoin, or a reference loop."""

    label: str
    port: int
    pid: int
    #: Whether it speaks the version handshake (the reference loops do not).
    handshake: bool
    #: Whether it answers every ping (the framing limit answers only the barrier).
    answers_pings: bool
    #: How many times over this target gets each flood's messages: the fast targets get more,
    #: so that a flood lasts long enough to time.
    scale: int = 1
    kinds: tuple[str, ...] = (PING_FLOOD, INV_FLOOD)
    #: Messages per second of each flood, by kind.
    samples: dict[str, list[float]] = field(default_factory=dict)
    #: Messages per second of the target's CPU time (all its threads), by kind.
    cpu_samples: dict[str, list[float]] = field(default_factory=dict)

    def run(self, flood: Flood, timeout: float) -> tuple[float, float]:
        """Flood a fresh connection; the rate in messages per second of wall-clock time and per
        second of the target's CPU time."""
        client = FloodClient.connect(self.port, timeout)
        try:
            if self.handshake:
                client.handshake()
            cpu_before = process_cpu_seconds(self.pid)
            result = client.flood(flood.data(self.scale), timeout)
            cpu = process_cpu_seconds(self.pid) - cpu_before
        finally:
            client.close()
        count = flood.count * self.scale
        pongs = result.received[PONG.rstrip(b"\0")]
        expected = count + 1 if flood.kind == PING_FLOOD and self.answers_pings else 1
        if pongs != expected:
            raise RuntimeError(
                f"{self.label}: {pongs} pongs to a {flood.kind} of {count}, not {expected}"
            )
        # The CPU clock ticks in 1/CLK_TCK s: never less than one tick.
        return count / result.seconds, count / max(cpu, 1 / CLK_TCK)


def start_b1_targets(
    settings: B1Settings, workdir: Path, stack: contextlib.ExitStack, progress: Progress
) -> list[FloodTarget]:
    """Every target that starts, each stopped when ``stack`` closes. A node that does not start
    (or bcoin, when Node.js is missing) is reported through ``progress`` and left out."""
    targets: list[FloodTarget] = []
    for variant in settings.variants:
        node = NodeProcess(workdir / variant, variant=variant)
        stack.callback(node.stop)
        try:
            node.start()
            # One block with a recent time ends initial block download: tx announcements are
            # then tracked and requested, as on a synced node.
            node.rpc().generatetoaddress(1, MINE_ADDRESS)
        except (OSError, RuntimeError, RPCError) as e:
            progress(f"{B1}: {variant} did not start: {e}")
            continue
        assert node.process is not None
        targets.append(FloodTarget(variant, node.port, node.process.pid, True, True))
    for mode in (FRAMING_LIMIT, TWO_THREAD_LOOP):
        loop = LoopServer(mode)
        stack.callback(loop.stop)
        loop.start()
        targets.append(
            FloodTarget(mode, loop.port, loop.pid, False, mode == TWO_THREAD_LOOP, SCALE[mode])
        )
    reason = ensure_installed()
    if reason is None:
        bcoin = BcoinNode(workdir / BCOIN)
        stack.callback(bcoin.stop)
        try:
            bcoin.start()
        except (OSError, RuntimeError) as e:
            reason = str(e)
        else:
            targets.append(
                FloodTarget(BCOIN, bcoin.port, bcoin.pid, True, True, SCALE[BCOIN], (PING_FLOOD,))
            )
    if reason is not None:
        progress(f"{B1}: bcoin not measured: {reason}")
    return targets


def flood_targets(targets: Sequence[FloodTarget], settings: B1Settings, progress: Progress) -> None:
    """A warm-up flood for each target, then the repetitions, targets taking turns."""
    warmup = ping_flood(settings.warmup)
    for target in targets:
        target.run(warmup, settings.timeout)
    pings = ping_flood(settings.pings)
    for rep in range(settings.repetitions):
        # Fresh txids each round (each flood is on a fresh connection anyway).
        for flood in (pings, inv_flood(settings.invs)):
            for target in targets:
                if flood.kind in target.kinds:
                    rate, cpu_rate = target.run(flood, settings.timeout)
                    target.samples.setdefault(flood.kind, []).append(rate)
                    target.cpu_samples.setdefault(flood.kind, []).append(cpu_rate)
        progress(f"{B1}: round {rep + 1}/{settings.repetitions}")


_WHAT: Final = {
    FRAMING_LIMIT: "read, framed and checksummed only",
    TWO_THREAD_LOOP: "socket thread + processing thread over a queue, pongs only",
    BCOIN: "bcoin 1.0.2 on Node.js",
}


def b1_figures(targets: Sequence[FloodTarget], settings: B1Settings, note: str) -> list[Figure]:
    counts = {PING_FLOOD: settings.pings, INV_FLOOD: settings.invs}
    units = {PING_FLOOD: "pings", INV_FLOOD: "invs of one txid"}
    figures: list[Figure] = []
    for target in targets:
        for kind, samples in target.samples.items():
            count = counts[kind] * target.scale
            detail = f"median of {len(samples)} floods of {count} {units[kind]}"
            if target.label in _WHAT:
                detail += f"; {_WHAT[target.label]}"
            if note:
                detail += f"; {note}"
            rate = statistics.median(samples)
            cpu_rate = statistics.median(target.cpu_samples[kind])
            figures.append(Figure(B1, kind, target.label, round(rate, 1), "msg/s", True, detail))
            figures.append(
                Figure(
                    B1,
                    f"{kind} per CPU second",
                    target.label,
                    round(cpu_rate, 1),
                    "msg/CPU-s",
                    True,
                    f"messages over the CPU time of the target process (all threads); {detail}",
                )
            )
    return figures


def b1_ratios(figures: Sequence[Figure]) -> list[Figure]:
    """split/legacy; every target as a fraction of the framing limit; our nodes against bcoin."""
    out = ratios(figures)
    by = {(f.name, f.variant): f for f in figures}
    for (name, variant), f in by.items():
        for baseline in (FRAMING_LIMIT, BCOIN):
            base = by.get((name, baseline))
            if base is None or variant in (baseline, FRAMING_LIMIT):
                continue
            if baseline == BCOIN and not is_code_variant(variant):
                continue
            out.append(
                Figure(
                    B1,
                    ratio_name(name, variant, baseline),
                    RATIO,
                    round(relative(f, base), 4),
                    RATIO_UNIT,
                    True,
                    f"{variant} {f.value:.6g} {f.unit} vs {baseline} {base.value:.6g} {base.unit}",
                )
            )
    return out


def run_b1(quick: bool, progress: Progress = lambda what: None) -> list[Figure]:
    return measure_b1(B1Settings.for_mode(quick), progress, "quick run" if quick else "")


def measure_b1(settings: B1Settings, progress: Progress, note: str = "") -> list[Figure]:
    with (
        tempfile.TemporaryDirectory(prefix="netsplit-bench-b1-") as tmp,
        contextlib.ExitStack() as stack,
    ):
        targets = start_b1_targets(settings, Path(tmp), stack, progress)
        flood_targets(targets, settings, progress)
    figures = b1_figures(targets, settings, note)
    return figures + b1_ratios(figures)


# -- B4 ------------------------------------------------------------------------------------------

B4: Final = "B4"


@dataclass(frozen=True, slots=True)
class B4Settings:
    peers: int
    #: Pings each peer sends, at random moments within ``window`` seconds.
    pings: int
    window: float
    variants: tuple[str, ...] = ("legacy", "split")
    timeout: float = 120.0

    @classmethod
    def for_mode(cls, quick: bool) -> B4Settings:
        if quick:
            return cls(peers=100, pings=2, window=2.0)
        return cls(peers=500, pings=4, window=8.0)


def raise_fd_limit(wanted: int) -> int:
    """Raise this process's soft limit on open files to ``wanted`` (at most the hard limit);
    the soft limit now in force."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        new = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (new, hard))
        soft = new
    return int(soft)


def peak_rss_mb(pid: int) -> float:
    """VmHWM (peak resident set size) of a process, in MB (10^6 bytes)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024 / 1e6
    raise RuntimeError(f"no VmHWM in /proc/{pid}/status")


@dataclass(slots=True)
class ScalePeer:
    """One inbound peer of B4: handshakes, answers the node's pings, and times its own."""

    index: int
    reader: asyncio.StreamReader | None = None
    writer: asyncio.StreamWriter | None = None
    splitter: FrameSplitter = field(default_factory=lambda: FrameSplitter(verify=False))
    #: perf_counter() when the pong to the ping sent right after our verack arrived: the node
    #: had processed the verack by then.
    handshaken_at: float = 0.0
    handshaken: asyncio.Event = field(default_factory=asyncio.Event)
    #: Nonce -> perf_counter() at sending, for pings not answered yet.
    pending: dict[int, float] = field(default_factory=dict)
    latencies: list[float] = field(default_factory=list)

    async def connect(self, port: int) -> None:
        self.reader, self.writer = await asyncio.open_connection("127.0.0.1", port)
        self.writer.write(version_frame(secrets.randbits(64)))

    def send(self, data: bytes) -> None:
        assert self.writer is not None
        self.writer.write(data)

    def ping(self, nonce: int) -> None:
        self.pending[nonce] = time.perf_counter()
        self.send(ping_frame(nonce))

    async def read_loop(self) -> None:
        assert self.reader is not None
        while data := await self.reader.read(RECV_SIZE):
            now = time.perf_counter()
            for msgtype, body in self.splitter.feed(data):
                if msgtype == PING:
                    self.send(frame(PONG, body))
                elif msgtype == PONG:
                    (nonce,) = struct.unpack("<Q", body)
                    if nonce == BARRIER_NONCE and not self.handshaken.is_set():
                        self.handshaken_at = now
                        self.handshaken.set()
                    elif nonce in self.pending:
                        self.latencies.append(now - self.pending.pop(nonce))
                elif msgtype.rstrip(b"\0") == VERACK:
                    self.send(frame(VERACK, b"") + ping_frame(BARRIER_NONCE))

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


@dataclass(frozen=True, slots=True)
class ScaleResult:
    #: From the first connect() to the last peer's handshake, and to the first one's (seconds).
    connect_seconds: float
    first_seconds: float
    #: The node's CPU time (all threads) from the first connect() to the last handshake.
    connect_cpu_seconds: float
    #: Ping round trips (seconds).
    latencies: list[float]
    #: VmRSS before the peers connected and VmHWM after the pings (MB).
    rss_before_mb: float
    peak_rss_mb: float


async def _connect_and_ping(
    port: int, pid: int, settings: B4Settings, seed: int
) -> tuple[float, float, float, list[float]]:
    loop = asyncio.get_running_loop()
    peers = [ScalePeer(i) for i in range(settings.peers)]
    readers: list[asyncio.Task[None]] = []
    try:
        cpu_start = process_cpu_seconds(pid)
        start = time.perf_counter()
        await asyncio.gather(*(peer.connect(port) for peer in peers))
        readers = [asyncio.create_task(peer.read_loop()) for peer in peers]
        try:
            await asyncio.wait_for(
                asyncio.gather(*(peer.handshaken.wait() for peer in peers)), settings.timeout
            )
        except TimeoutError:
            done = sum(peer.handshaken.is_set() for peer in peers)
            raise TimeoutError(
                f"{done} of {settings.peers} peers handshaken after {settings.timeout:.0f} s"
            ) from None
        connect_cpu = process_cpu_seconds(pid) - cpu_start
        handshakes = [peer.handshaken_at - start for peer in peers]

        rng = random.Random(seed)

        async def pinger(peer: ScalePeer) -> None:
            moments = sorted(rng.uniform(0, settings.window) for _ in range(settings.pings))
            begin = loop.time()
            for nonce, moment in enumerate(moments, start=1):
                await asyncio.sleep(max(0.0, begin + moment - loop.time()))
                peer.ping(nonce)

        await asyncio.gather(*(pinger(peer) for peer in peers))
        deadline = loop.time() + settings.timeout
        while any(peer.pending for peer in peers):
            if loop.time() > deadline:
                missing = sum(len(peer.pending) for peer in peers)
                raise TimeoutError(f"{missing} pings unanswered after {settings.timeout:.0f} s")
            await asyncio.sleep(0.02)
        latencies = [x for p in peers for x in p.latencies]
        return max(handshakes), min(handshakes), connect_cpu, latencies
    finally:
        for peer in peers:
            peer.close()
        for task in readers:
            task.cancel()
        await asyncio.gather(*readers, return_exceptions=True)


def vm_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024 / 1e6
    raise RuntimeError(f"no VmRSS in /proc/{pid}/status")


def measure_scale(variant: str, settings: B4Settings, workdir: Path, seed: int) -> ScaleResult:
    """One node of ``variant``, ``settings.peers`` inbound peers."""
    raise_fd_limit(settings.peers * 2 + 256)
    node = NodeProcess(
        workdir / variant,
        variant=variant,
        extra_args=[f"-maxconnections={settings.peers + 64}"],
    )
    try:
        node.start()
        assert node.process is not None
        pid = node.process.pid
        before = vm_rss_mb(pid)
        last, first, cpu, latencies = asyncio.run(_connect_and_ping(node.port, pid, settings, seed))
        peak = peak_rss_mb(pid)
    finally:
        node.stop()
    return ScaleResult(last, first, cpu, latencies, before, peak)


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0..100), linear between the closest ranks."""
    ordered = sorted(values)
    if not ordered:
        raise ValueError("no values")
    pos = (len(ordered) - 1) * q / 100
    low = int(pos)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


def b4_figures(variant: str, result: ScaleResult, settings: B4Settings, note: str) -> list[Figure]:
    n = settings.peers
    suffix = f"; {note}" if note else ""
    samples = (
        f"{len(result.latencies)} pings, {settings.pings} per peer at random moments "
        f"over {settings.window:g} s"
    )
    return [
        Figure(
            B4,
            f"time to {n} peers",
            variant,
            round(result.connect_seconds, 3),
            "s",
            False,
            "all connect at once; until the node has processed the last verack "
            f"(the first after {result.first_seconds:.3f} s){suffix}",
        ),
        Figure(
            B4,
            f"node CPU time to {n} peers",
            variant,
            round(result.connect_cpu_seconds, 2),
            "CPU-s",
            False,
            "user + system CPU time of the node process (all threads) over the same interval; "
            f"varies less with machine load than the wall-clock time{suffix}",
        ),
        Figure(
            B4,
            f"ping p50 ({n} peers)",
            variant,
            round(percentile(result.latencies, 50) * 1e3, 3),
            "ms",
            False,
            samples + suffix,
        ),
        Figure(
            B4,
            f"ping p99 ({n} peers)",
            variant,
            round(percentile(result.latencies, 99) * 1e3, 3),
            "ms",
            False,
            samples + suffix,
        ),
        Figure(
            B4,
            f"peak RSS ({n} peers)",
            variant,
            round(result.peak_rss_mb, 1),
            "MB",
            False,
            f"VmHWM of the node process; {result.rss_before_mb:.1f} MB before the peers "
            f"connected{suffix}",
        ),
    ]


def run_b4(quick: bool, progress: Progress = lambda what: None) -> list[Figure]:
    settings = B4Settings.for_mode(quick)
    note = (
        f"quick run: {settings.peers} peers, not {B4Settings.for_mode(False).peers}"
        if quick
        else ""
    )
    return measure_b4(settings, progress, note)


def measure_b4(settings: B4Settings, progress: Progress, note: str = "") -> list[Figure]:
    figures: list[Figure] = []
    with tempfile.TemporaryDirectory(prefix="netsplit-bench-b4-") as tmp:
        for seed, variant in enumerate(settings.variants):
            try:
                result = measure_scale(variant, settings, Path(tmp), seed)
            except (OSError, RuntimeError, RPCError) as e:
                progress(f"{B4}: {variant} not measured: {e}")
                continue
            figures += b4_figures(variant, result, settings, note)
            progress(f"{B4}: {variant}: {settings.peers} peers in {result.connect_seconds:.2f} s")
    return figures + ratios(figures)
