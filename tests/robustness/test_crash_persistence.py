"""State on disk survives SIGKILL at any moment, for both variants.

A node process (``python -m legacy`` / ``python -m split``) runs in one data directory and is
killed with SIGKILL, again and again, at random moments while it writes: the ban list
(banlist.json, written on every setban), blocks (blocks/blocks.dat, appended as they are mined),
and, during a clean shutdown, addrman (peers.dat), anchors (anchors.dat) and the ban list again.
After each kill the node is started again and the test checks that

- it starts: every file loads (a damaged block file tail, from a kill mid-append, is cut off
  as designed; nothing else may be damaged);
- everything acknowledged before the kill is there: every ban and unban setban answered, every
  block generatetoaddress returned, and, when the shutdown finished, every address addrman held
  and the block-relay-only peer as the one anchor;
- anything not acknowledged is either wholly there or wholly absent.

The number of kills per variant is ``NETSPLIT_CRASH_KILLS`` (default 20) and the random seed
``NETSPLIT_CRASH_SEED``; ``NETSPLIT_CRASH_KILLS=300`` makes a long run.

Loopback only: addresses put into addrman are in 20.0.0.0/8, which is banned first, so the node
never connects to them (OpenNetworkConnection skips banned addresses); the one outbound peer is
a stub on 127.0.0.1.

A second test kills a process that does nothing but rewrite banlist.json, peers.dat and
anchors.dat and append blocks, so that kills land inside the writes themselves.
"""

from __future__ import annotations

import contextlib
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import pytest

from common.addrdb import CBanDB, DeserializeFileDB, LoadAddrman, banmap_t
from common.args import gArgs
from common.blockstorage import BlockManager
from common.chainparams import Params
from common.netgroup import NetGroupManager
from common.protocol import CAddress
from common.serialize import DataStream
from legacy import init, net
from netsplit.nodeproc import ROOT, NodeProcess, RPCClient, RPCError, wait_until

from .faultsock import LoopbackPeer, PeerClosedError

VARIANTS = ("legacy", "split")

KILLS = int(os.environ.get("NETSPLIT_CRASH_KILLS", "20"))
SEED = int(os.environ.get("NETSPLIT_CRASH_SEED", "20251009"))

#: A regtest P2WPKH address (the zero key hash) to mine to.
MINE_ADDRESS = "bcrt1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqdku202"

#: Banned before anything else and never lifted: addrman's addresses live here, so the node
#: never tries to reach them.
ADDRMAN_NET = "20.0.0.0/8"

#: The subnets setban adds and removes at random.
BAN_POOL = [f"10.{i}.0.0/16" for i in range(12)]

#: Lines that must never appear in debug.log after a restart.
LOAD_ERRORS = (
    "EXCEPTION",
    "Cannot load banlist",
    "Cannot parse banlist",
    "Invalid or corrupt peers.dat",
    "Failed to rename invalid peers.dat",
)


class StubPeer:
    """A loopback P2P peer the node connects to (its block-relay-only peer, hence its anchor):
    it answers the handshake and pings, and takes any number of connections."""

    __slots__ = ("_conns", "_listener", "_thread", "port")

    _listener: socket.socket
    _conns: list[socket.socket]
    _thread: threading.Thread
    port: int

    def __init__(self) -> None:
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(8)
        self.port = int(self._listener.getsockname()[1])
        self._conns = []
        self._thread = threading.Thread(target=self._accept_loop, daemon=True)
        self._thread.start()

    @property
    def addr(self) -> str:
        return f"127.0.0.1:{self.port}"

    def _accept_loop(self) -> None:
        while True:
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return  # closed
            self._conns.append(conn)
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    @staticmethod
    def _serve(conn: socket.socket) -> None:
        peer = LoopbackPeer(conn)
        with contextlib.suppress(PeerClosedError, TimeoutError, OSError, AssertionError):
            peer.answer_handshake()
            while True:
                msg_type, payload = peer.recv_msg(timeout=3600)
                if msg_type == "ping":
                    peer.send_msg("pong", payload)

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept
        self._listener.close()
        for conn in self._conns:
            with contextlib.suppress(OSError):
                conn.close()
        self._thread.join(5)


# ---------------------------------------------------------------------------------------------
# What must be on disk


@dataclass(slots=True)
class Expected:
    """What the data directory must hold, as far as the test knows it."""

    #: The best block known to be stored: height and hash (hashes chain, so one is enough).
    tip: tuple[int, str] = (0, "")
    #: Blocks generatetoaddress returned in this session, in order.
    acked_blocks: list[str] = field(default_factory=list)
    #: Ban state per subnet: True banned, False not, None unknown (an unanswered setban).
    bans: dict[str, bool | None] = field(default_factory=dict)
    #: The addresses in peers.dat, exactly.
    peers_file: set[str] = field(default_factory=set)
    #: Addresses addrman took in this session (in memory until a shutdown writes them).
    session_addrs: set[str] = field(default_factory=set)
    #: The anchors in anchors.dat when the session started (None: no file).
    anchors_file: list[str] | None = None


@dataclass(slots=True)
class Outcome:
    """How a session ended: "run" (killed while running), "stop-killed" (killed during the
    shutdown stop asked for) or "stop-clean" (the shutdown finished first)."""

    kind: str
    #: The block-relay-only peer connected when stop was asked for.
    anchor: str | None = None


def stored_anchors(netdir: Path) -> list[str] | None:
    """anchors.dat's addresses, None when there is no file. A file that does not deserialize
    (bad magic, short, bad checksum) fails the test."""
    path = netdir / "anchors.dat"
    if not path.exists():
        return None
    anchors: list[CAddress] = []

    def read(s: DataStream) -> None:
        anchors.extend(s.read_vector(lambda st: CAddress.deserialize(st, CAddress.V2_DISK)))

    DeserializeFileDB(path, read)  # what ReadAnchors does, without hiding an error
    return [a.ToStringAddrPort() for a in anchors]


def stored_addrs(netdir: Path, scratch: Path) -> set[str]:
    """The addresses in peers.dat, loaded as the node loads it (from a copy)."""
    copydir = scratch / "peers"
    shutil.rmtree(copydir, ignore_errors=True)
    copydir.mkdir()
    if (netdir / "peers.dat").exists():
        shutil.copyfile(netdir / "peers.dat", copydir / "peers.dat")
    addrman = LoadAddrman(NetGroupManager(), copydir)
    return {a.ToStringAddrPort() for a in addrman.GetAddr(0, 0, None, filtered=False)}


def check_disk_after_kill(node: NodeProcess, exp: Expected, out: Outcome, scratch: Path) -> str:
    """The files the dead node left, against what it acknowledged; updates ``exp`` to what is
    now known to be there. Returns a note for failure messages."""
    anchors = stored_anchors(node.netdir)
    allowed_anchors: list[list[str] | None] = [exp.anchors_file, None]
    if out.kind == "stop-clean":
        allowed_anchors = [[out.anchor] if out.anchor else []]
    elif out.kind == "stop-killed":
        allowed_anchors.append([out.anchor] if out.anchor else [])
    assert anchors in allowed_anchors, (out, anchors)
    exp.anchors_file = anchors

    addrs = stored_addrs(node.netdir, scratch)
    flushed = exp.peers_file | exp.session_addrs
    allowed_addrs = {
        "run": [exp.peers_file],
        "stop-killed": [exp.peers_file, flushed],
        "stop-clean": [flushed],
    }[out.kind]
    assert addrs in allowed_addrs, (out, sorted(addrs ^ flushed))
    exp.peers_file = addrs
    exp.session_addrs = set()
    return f"{out.kind}: anchors={anchors} addrs={len(addrs)}"


def check_restarted_node(node: NodeProcess, exp: Expected, log_offset: int, note: str) -> None:
    """The restarted node holds every acknowledged block and ban, loaded every file without
    error (a torn block record at the end of the block file, from a kill mid-append, is cut
    off by design), and tries the anchors anchors.dat held. Updates ``exp``."""
    rpc = node.rpc()
    count = int(rpc.getblockcount())
    height, tip_hash = exp.tip
    if exp.acked_blocks:
        height, tip_hash = height + len(exp.acked_blocks), exp.acked_blocks[-1]
    assert count >= height, note
    if height:
        assert rpc.getblockhash(height) == tip_hash, note
    exp.tip = (count, str(rpc.getbestblockhash()))
    exp.acked_blocks = []

    banned = {str(b["address"]) for b in rpc.listbanned()}
    for subnet, state in exp.bans.items():
        if state is not None:
            assert (subnet in banned) == state, (note, subnet, state)
    assert banned <= set(exp.bans), note
    exp.bans = {subnet: subnet in banned for subnet in exp.bans}

    log = (node.netdir / "debug.log").read_bytes()[log_offset:].decode(errors="replace")
    for bad in LOAD_ERRORS:
        assert bad not in log, (note, bad)
    tried = len(exp.anchors_file or [])
    assert f"{tried} block-relay-only anchors will be tried for connections." in log, note
    assert not (node.netdir / "anchors.dat").exists()  # read once, then deleted
    exp.anchors_file = None


# ---------------------------------------------------------------------------------------------
# Sessions: start, write, SIGKILL


def _handshaken_block_relay(rpc: RPCClient) -> str | None:
    for peer in rpc.getpeerinfo():
        if peer["connection_type"] == "block-relay-only" and "verack" in peer["bytesrecv_per_msg"]:
            return str(peer["addr"])
    return None


class Writer:
    """The RPC calls of one session, each recorded in ``exp`` only once answered. Runs until
    ``stop`` is set or the node goes away."""

    __slots__ = ("exp", "lock", "rng", "rpc", "stop")

    def __init__(self, node: NodeProcess, exp: Expected, rng: random.Random) -> None:
        self.rpc = node.rpc(timeout=10)
        self.exp = exp
        self.rng = random.Random(rng.getrandbits(64))
        self.lock = threading.Lock()
        self.stop = threading.Event()

    def mine(self) -> None:
        (block_hash,) = self.rpc.generatetoaddress(1, MINE_ADDRESS)
        self.exp.acked_blocks.append(str(block_hash))

    def ban_or_unban(self) -> None:
        subnet = self.rng.choice(BAN_POOL)
        add = self.rng.random() < 0.6
        with self.lock:
            self.exp.bans[subnet] = None  # unknown until answered
        try:
            self.rpc.setban(subnet, "add" if add else "remove")
        except RPCError as e:
            # "already banned" / "not previously manually banned": answered, nothing changed.
            assert "already banned" in e.message or "not previously" in e.message, e
        with self.lock:
            self.exp.bans[subnet] = add

    def add_address(self) -> None:
        addr = f"20.{self.rng.randrange(256)}.{self.rng.randrange(256)}.1"
        if self.rpc.addpeeraddress(addr, 8333)["success"]:
            self.exp.session_addrs.add(f"{addr}:8333")

    def loop(self, step: Callable[[], None], times: int) -> None:
        """Repeat ``step`` up to ``times`` times until stopped; an error once the node is gone
        ends it quietly."""
        for _ in range(times):
            if self.stop.is_set():
                return
            try:
                step()
            except (OSError, RPCError, ValueError):
                if self.stop.is_set():
                    return
                raise


def run_session(node: NodeProcess, exp: Expected, stub: StubPeer, rng: random.Random) -> Outcome:
    """One life of the node: writes, then SIGKILL at a random moment, either while it runs or
    during the shutdown that ``stop`` started."""
    writer = Writer(node, exp, rng)
    if ADDRMAN_NET not in exp.bans:
        writer.rpc.setban(ADDRMAN_NET, "add")
        exp.bans[ADDRMAN_NET] = True
    if rng.random() < 0.5:
        errors: list[BaseException] = []

        def work(step: Callable[[], None], times: int) -> None:
            try:
                writer.loop(step, times)
            except BaseException as e:
                errors.append(e)

        # Few blocks per life: every start replays the block file, and should stay quick.
        steps = ((writer.mine, 6), (writer.ban_or_unban, 1000), (writer.add_address, 1000))
        threads = [threading.Thread(target=work, args=step, daemon=True) for step in steps]
        for t in threads:
            t.start()
        time.sleep(rng.uniform(0.02, 0.4))
        writer.stop.set()
        node.kill()
        for t in threads:
            t.join(15)
        assert errors == [], errors
        return Outcome("run")

    # Acknowledged writes, then a clean shutdown killed somewhere along the way.
    for _ in range(rng.randrange(1, 4)):
        writer.mine()
        writer.ban_or_unban()
        writer.add_address()
    rpc = writer.rpc
    if exp.anchors_file:
        # The node reconnects to its anchor by itself; give it a moment.
        with contextlib.suppress(TimeoutError):
            wait_until(lambda: _handshaken_block_relay(rpc) is not None, 3, "the anchor")
    if _handshaken_block_relay(rpc) is None:
        rpc.addconnection(stub.addr, "block-relay-only", False)
        wait_until(lambda: _handshaken_block_relay(rpc) is not None, 10, "block-relay peer")
    anchor = _handshaken_block_relay(rpc)
    assert rpc.stop() == "Bitcoin Core stopping"
    # Now and then let the shutdown finish, however slow the machine: a clean exit is one of
    # the outcomes to check.
    delay = 30.0 if rng.random() < 0.25 else rng.uniform(0.0, 0.3)
    with contextlib.suppress(subprocess.TimeoutExpired):
        node.wait_exit(delay)
    node.kill()
    assert node.process is not None
    kind = "stop-clean" if node.process.returncode == 0 else "stop-killed"
    return Outcome(kind, anchor)


@pytest.mark.parametrize("variant", VARIANTS)
def test_what_was_written_before_a_sigkill_is_there_after_restart(
    variant: str, tmp_path: Path
) -> None:
    rng = random.Random(f"{SEED}-{variant}")
    node = NodeProcess(tmp_path / "node", variant=variant, extra_args=["-debug=net"])
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    stub = StubPeer()
    exp = Expected()
    kinds: dict[str, int] = {}
    try:
        node.start()
        for kill in range(KILLS):
            out = run_session(node, exp, stub, rng)
            kinds[out.kind] = kinds.get(out.kind, 0) + 1
            assert node.process is not None and node.process.returncode in (0, -signal.SIGKILL)
            note = f"seed {SEED}, kill {kill}: " + check_disk_after_kill(node, exp, out, scratch)
            log_offset = (node.netdir / "debug.log").stat().st_size
            node.start()
            check_restarted_node(node, exp, log_offset, note)
        assert "Traceback" not in node.stderr()
    finally:
        node.stop()
        stub.close()
    # Every way of dying was exercised (with the default seed and count).
    if KILLS >= 20:
        assert set(kinds) == {"run", "stop-killed", "stop-clean"}, kinds
    assert exp.tip[0] > 0 and any(exp.bans.values()) and exp.peers_file


# ---------------------------------------------------------------------------------------------
# Kills inside the writes themselves

#: A process that only writes: rounds of banlist.json, peers.dat, anchors.dat and a block
#: appended to blocks.dat, each round bigger than the last. Before a round it prints what the
#: files will hold ("begin"), after it what they hold ("done"), so the parent knows, at any
#: kill, the two states each file may be in.
WRITER_PROCESS = r"""
import sys
from pathlib import Path
from common.addrdb import CBanDB, CBanEntry, DumpAnchors, DumpPeerAddresses
from common.addrman import AddrMan
from common.blockstorage import BlockManager
from common.chainparams import Params
from common.netaddress import CNetAddr
from common.netbase import LookupNumeric, LookupSubNet
from common.netgroup import NetGroupManager
from common.primitives.block import CBlock
from common.protocol import NODE_NETWORK, CAddress

netdir = Path(sys.argv[1])
genesis = Params().GenesisBlock()
blockman = BlockManager(Params().MessageStart(), netdir / "blocks")
stored = len(blockman.ReadStoredBlocks())
addrman = AddrMan(NetGroupManager(), True, 0)
source = CNetAddr()
bans = {}
for n in range(400):
    bans[LookupSubNet(f"10.{n // 256}.{n % 256}.0/24")] = CBanEntry(1, 1, 2_000_000_000)
anchors = []
for i in range(1_000_000):
    bans[LookupSubNet(f"11.{i // 256 % 256}.{i % 256}.0/24")] = CBanEntry(1, 1, 2_000_000_000)
    for n in range(i * 20, i * 20 + 20):
        service = LookupNumeric(f"20.{n // 256 % 256}.{n % 256}.1:8333")
        addrman.Add([CAddress(service, NODE_NETWORK, 1_700_000_000)], source)
    anchors = [CAddress(LookupNumeric(f"30.0.{k}.1:8333"), NODE_NETWORK, 0) for k in range(i % 3)]
    block = CBlock(genesis.nVersion, genesis.hashPrevBlock, genesis.hashMerkleRoot,
                   genesis.nTime, genesis.nBits, i, genesis.vtx * 100)
    state = f"bans={len(bans)} addrs={addrman.Size()} anchors={len(anchors)} blocks={stored + 1}"
    print("begin", state, flush=True)
    CBanDB(netdir / "banlist").Write(bans)
    DumpPeerAddresses(netdir, addrman)
    DumpAnchors(netdir / "anchors.dat", anchors)
    blockman.WriteBlock(block, 0)
    stored += 1
    print("done", state, flush=True)
"""


def _started(out_path: Path) -> bool:
    return out_path.stat().st_size > 0


def _state(line: str) -> dict[str, int]:
    return {k: int(v) for k, v in (item.split("=") for item in line.split()[1:])}


def test_kills_inside_the_writes_leave_every_file_loadable_and_whole(tmp_path: Path) -> None:
    rng = random.Random(f"{SEED}-writes")
    netdir = tmp_path / "regtest"
    netdir.mkdir()
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    #: What the files held after the last kill (None: nothing written yet).
    on_disk: dict[str, int] | None = None
    for kill in range(max(KILLS // 3, 5)):
        out_path = tmp_path / f"out{kill}.txt"
        with open(out_path, "wb") as out:
            child = subprocess.Popen(
                [sys.executable, "-c", WRITER_PROCESS, str(netdir)],
                stdout=out,
                stderr=subprocess.STDOUT,
                cwd=str(ROOT),
                env=env,
            )
            # Let it get past its imports, then kill it somewhere in its rounds.
            wait_until(partial(_started, out_path), 30, "the writer to start")
            time.sleep(rng.uniform(0.0, 0.4))
            child.kill()
            child.wait(10)
        lines = out_path.read_text().splitlines()
        assert all(line.startswith(("begin ", "done ")) for line in lines), lines[-3:]
        done = [_state(line) for line in lines if line.startswith("done ")]
        begun = _state(next(line for line in reversed(lines) if line.startswith("begin ")))
        before = done[-1] if done else on_disk
        note = f"seed {SEED}, kill {kill}: after {len(done)} rounds, writing {begun}"

        def allowed(
            key: str, begun: dict[str, int] = begun, before: dict[str, int] | None = before
        ) -> set[int]:
            """The round being written, or the one before (or nothing at all, at first)."""
            return {begun[key], before[key] if before is not None else 0}

        # Each file holds the last complete version or the one being written: never a torn
        # or a mixed one, and every checksum holds.
        banmap: banmap_t = {}
        if (netdir / "banlist.json").exists():
            assert CBanDB(netdir / "banlist").Read(banmap), note
        assert len(banmap) in allowed("bans"), note
        addrs = stored_addrs(netdir, tmp_path)
        assert len(addrs) in allowed("addrs"), note
        anchors = stored_anchors(netdir) or []
        assert len(anchors) in allowed("anchors"), note
        # blocks.dat is appended to: every block appended before the kill is read back; a torn
        # last record is cut off (as at the node's start), and the next writer appends after it.
        blockman = BlockManager(Params().MessageStart(), netdir / "blocks")
        stored = len(blockman.ReadStoredBlocks())
        assert stored in allowed("blocks"), note
        on_disk = {"bans": len(banmap), "addrs": len(addrs), "anchors": len(anchors)}
        on_disk["blocks"] = stored
    assert on_disk is not None and on_disk["bans"] > 400  # the writer did get going


# ---------------------------------------------------------------------------------------------
# The block file is committed to disk at shutdown (upstream: ForceFlushStateToDisk -> FileCommit)


def test_flush_block_file_fsyncs_the_file_and_its_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blockman = BlockManager(Params().MessageStart(), tmp_path / "blocks")
    assert blockman.FlushBlockFile()  # no file yet: nothing to do
    blockman.WriteBlock(Params().GenesisBlock(), 0)
    synced: list[tuple[int, int]] = []
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        st = os.fstat(fd)
        synced.append((st.st_dev, st.st_ino))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    assert blockman.FlushChainstateBlockFile(0)
    expected = [os.stat(p) for p in (tmp_path / "blocks" / "blocks.dat", tmp_path / "blocks")]
    assert synced == [(st.st_dev, st.st_ino) for st in expected]


def test_shutdown_commits_the_block_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """legacy/init.Shutdown flushes every chainstate after the P2P layer stopped, as init.cpp's
    Shutdown does (split/ gets it when regenerated)."""
    flushed: list[int] = []

    def record(self: BlockManager, tip_height: int) -> bool:
        flushed.append(tip_height)
        return True

    monkeypatch.setattr(BlockManager, "FlushChainstateBlockFile", record)
    context = init.AppInitMain(init.InitOptions(datadir=tmp_path, listen=False))
    try:
        init.Shutdown(context)
        assert flushed == [0]
    finally:
        gArgs.ClearArgs()
        net.fListen = net.DEFAULT_LISTEN
        net.strSubVersion = ""
