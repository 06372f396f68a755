"""B1's two reference loops, and the v1 framing that they and the flooding client share.

The *framing limit* is the least a Python receiver must do with B1's bytes: read them from a
socket, split them into frames, check each frame's magic and double-SHA256 checksum, and do
nothing else. It answers only the flood's final ping (the barrier), so that the client knows
when everything before it has been read. The *two-thread loop* adds the shape of a node without
any of its logic: a socket thread frames the bytes and hands each message over a queue to a
processing thread, which answers every ping with a pong. A node cannot beat the first and should
not expect to beat the second.

Both run as a child process (``python -m netsplit.bench.framing --mode M``), like the node, so
the client's Python and theirs do not share a GIL. One connection at a time is served, each on
its own thread(s); the process lives until SIGTERM.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import queue
import signal
import socket
import struct
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

#: The project root: ``python -m netsplit.bench.framing`` runs from there.
ROOT: Final = Path(__file__).resolve().parents[2]

#: magic, message type (NUL-padded), payload size, checksum: CMessageHeader's layout.
HEADER: Final = struct.Struct("<4s12sI4s")
HEADER_SIZE: Final = HEADER.size
PING: Final = b"ping".ljust(12, b"\0")
PONG: Final = b"pong".ljust(12, b"\0")
#: The nonce of the ping that ends every flood (any value that is never a flood's own).
BARRIER_NONCE: Final = 0xB1B1_B1B1_B1B1_B1B1
BARRIER_PAYLOAD: Final = struct.pack("<Q", BARRIER_NONCE)
#: How much one recv() may read: large, so a flood is read in few system calls.
RECV_SIZE: Final = 256 * 1024
#: The regtest magic (chainparams' pchMessageStart), which bcoin's regtest shares.
REGTEST_MAGIC: Final = bytes.fromhex("fabfb5da")

MODES: Final = ("framing-limit", "two-thread-loop")


def checksum(payload: bytes | memoryview) -> bytes:
    """The first four bytes of the payload's double SHA-256."""
    return hashlib.sha256(hashlib.sha256(payload).digest()).digest()[:4]


def frame(msgtype: bytes, payload: bytes, magic: bytes = REGTEST_MAGIC) -> bytes:
    """A v1 frame; ``msgtype`` is the 12-byte NUL-padded type (or shorter, padded here)."""
    return HEADER.pack(magic, msgtype.ljust(12, b"\0"), len(payload), checksum(payload)) + payload


def ping_frame(nonce: int) -> bytes:
    return frame(PING, struct.pack("<Q", nonce))


class FrameError(ValueError):
    """Bytes that are not a v1 frame of the expected network (wrong magic or checksum)."""


@dataclass(slots=True)
class FrameSplitter:
    """Splits a byte stream into (message type, payload) pairs, keeping a partial frame for the
    next :meth:`feed`. With ``verify`` the magic and checksum of every frame are checked."""

    magic: bytes = REGTEST_MAGIC
    verify: bool = True
    buf: bytearray = field(default_factory=bytearray)

    def feed(self, data: bytes | memoryview) -> list[tuple[bytes, bytes]]:
        buf = self.buf
        buf += data
        out: list[tuple[bytes, bytes]] = []
        pos = 0
        end = len(buf)
        unpack = HEADER.unpack_from
        while end - pos >= HEADER_SIZE:
            magic, msgtype, size, check = unpack(buf, pos)
            start = pos + HEADER_SIZE
            if end - start < size:
                break
            payload = bytes(buf[start : start + size])
            if self.verify and (magic != self.magic or checksum(payload) != check):
                raise FrameError(f"bad frame at offset {pos}: magic {magic.hex()}")
            out.append((msgtype, payload))
            pos = start + size
        if pos:
            del buf[:pos]
        return out


# -- the two loops ---------------------------------------------------------------------------------


def serve_framing_limit(conn: socket.socket) -> None:
    """Read, frame and checksum everything; answer only the barrier ping."""
    splitter = FrameSplitter()
    barrier_pong = frame(PONG, BARRIER_PAYLOAD)
    view = memoryview(bytearray(RECV_SIZE))
    while True:
        n = conn.recv_into(view)
        if n == 0:
            return
        for msgtype, payload in splitter.feed(view[:n]):
            if msgtype == PING and payload == BARRIER_PAYLOAD:
                conn.sendall(barrier_pong)


def serve_two_thread_loop(conn: socket.socket) -> None:
    """A socket thread frames the bytes and queues each message; this thread takes them off the
    queue and answers pings. queue.Queue (a lock and a condition variable) is the handover, as
    CNode's receive queue and WakeMessageHandler's condition variable are in a node."""
    messages: queue.Queue[tuple[bytes, bytes] | None] = queue.Queue()

    def socket_thread() -> None:
        splitter = FrameSplitter()
        view = memoryview(bytearray(RECV_SIZE))
        try:
            while True:
                n = conn.recv_into(view)
                if n == 0:
                    return
                for item in splitter.feed(view[:n]):
                    messages.put(item)
        except OSError:
            return
        finally:
            messages.put(None)

    reader = threading.Thread(target=socket_thread, name="bench-socket", daemon=True)
    reader.start()
    while (item := messages.get()) is not None:
        msgtype, payload = item
        if msgtype == PING:
            conn.sendall(frame(PONG, payload))
    reader.join()


SERVE: Final = {"framing-limit": serve_framing_limit, "two-thread-loop": serve_two_thread_loop}


def _serve_connection(conn: socket.socket, mode: str) -> None:
    with conn, contextlib.suppress(OSError, FrameError):
        SERVE[mode](conn)


def serve(mode: str, port: int = 0) -> None:
    """Listen on 127.0.0.1, print ``listening <port>``, serve every connection on its own
    thread until the process is terminated."""
    with socket.create_server(("127.0.0.1", port), backlog=16) as server:
        print(f"listening {server.getsockname()[1]}", flush=True)
        while True:
            conn, _ = server.accept()
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            threading.Thread(
                target=_serve_connection, args=(conn, mode), name=f"bench-{mode}", daemon=True
            ).start()


@dataclass(slots=True)
class LoopServer:
    """One of the two loops in a child process on loopback."""

    mode: str
    port: int = 0
    process: subprocess.Popen[str] | None = None

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def start(self, timeout: float = 30.0) -> LoopServer:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "netsplit.bench.framing", "--mode", self.mode],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            text=True,
            cwd=str(ROOT),
        )
        assert self.process.stdout is not None
        timer = threading.Timer(timeout, self.process.kill)
        timer.start()
        try:
            line = self.process.stdout.readline()
        finally:
            timer.cancel()
        if not line.startswith("listening "):
            self.stop()
            raise RuntimeError(f"the {self.mode} loop did not start (printed {line!r})")
        self.port = int(line.split()[1])
        return self

    def stop(self, timeout: float = 10.0) -> None:
        process = self.process
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m netsplit.bench.framing", description=__doc__)
    parser.add_argument("--mode", choices=MODES, required=True)
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, lambda signum, stack: sys.exit(0))
    with contextlib.suppress(KeyboardInterrupt):
        serve(args.mode, args.port)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
