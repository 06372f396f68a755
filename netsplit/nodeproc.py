"""Nodes as child processes on loopback, driven over JSON-RPC: what the two-node demo and the
node tests share.

A :class:`NodeProcess` runs ``python -m netsplit node --variant V`` in its own data directory
with free loopback ports, waits until its RPC server answers, and always ends the process
(SIGTERM, then SIGKILL after a bound) in :meth:`NodeProcess.stop`. :class:`RPCClient` is a
minimal Bitcoin Core JSON-RPC client (HTTP Basic auth with the cookie or -rpcuser/-rpcpassword).
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class RPCError(Exception):
    """A JSON-RPC error reply: upstream's code and message."""

    code: int
    message: str
    http_status: int

    def __init__(self, code: int, message: str, http_status: int) -> None:
        super().__init__(f"RPC error {code}: {message}")
        self.code = code
        self.message = message
        self.http_status = http_status


@dataclass(frozen=True, slots=True)
class HTTPReply:
    status: int
    body: bytes
    headers: dict[str, str]


class RPCClient:
    """JSON-RPC 1.0 over HTTP POST to "/", as bitcoin-cli speaks it."""

    __slots__ = ("timeout", "url", "user", "password")

    def __init__(self, port: int, user: str, password: str, timeout: float = 30.0) -> None:
        self.url = f"http://127.0.0.1:{port}/"
        self.user = user
        self.password = password
        self.timeout = timeout

    def post(self, body: bytes, auth: tuple[str, str] | None = None) -> HTTPReply:
        """One raw POST; any HTTP status comes back as a reply, not an exception."""
        user, password = auth if auth is not None else (self.user, self.password)
        token = base64.b64encode(f"{user}:{password}".encode()).decode()
        request = urllib.request.Request(
            self.url,
            data=body,
            headers={"Authorization": f"Basic {token}", "Content-Type": "application/json"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return HTTPReply(response.status, response.read(), dict(response.headers))
        except urllib.error.HTTPError as e:
            return HTTPReply(e.code, e.read(), dict(e.headers))

    def call(self, method: str, *params: Any) -> Any:
        body = json.dumps({"jsonrpc": "1.0", "id": method, "method": method, "params": params})
        reply = self.post(body.encode())
        if not reply.body:
            raise RPCError(0, f"HTTP {reply.status} with no body", reply.status)
        obj = json.loads(reply.body, parse_float=Decimal)
        if obj.get("error") is not None:
            err = obj["error"]
            raise RPCError(int(err["code"]), str(err["message"]), reply.status)
        return obj["result"]

    def __getattr__(self, method: str) -> Callable[..., Any]:
        if method.startswith("_"):
            raise AttributeError(method)
        return lambda *params: self.call(method, *params)


def wait_until(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(0.05)


@dataclass(slots=True)
class NodeProcess:
    """A node child process. ``extra_args`` are bitcoind options added to the defaults
    (-datadir, -port, -rpcport, -printtoconsole=0)."""

    datadir: Path
    variant: str = "legacy"
    extra_args: Sequence[str] = ()
    port: int = field(default_factory=free_port)
    rpcport: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    rpc_user: str | None = None
    rpc_password: str | None = None
    #: Pass only -datadir (and ``extra_args``): ports and the rest come from bitcoin.conf.
    conf_only: bool = False

    @property
    def netdir(self) -> Path:
        return self.datadir / "regtest"

    @property
    def p2p_addr(self) -> str:
        return f"127.0.0.1:{self.port}"

    def command(self) -> list[str]:
        args = [f"-datadir={self.datadir}"]
        if not self.conf_only:
            args += [f"-port={self.port}", f"-rpcport={self.rpcport}", "-printtoconsole=0"]
        args += self.extra_args
        if self.rpc_user is not None:
            args.append(f"-rpcuser={self.rpc_user}")
        if self.rpc_password is not None:
            args.append(f"-rpcpassword={self.rpc_password}")
        if self.variant in ("legacy", "split"):
            return [sys.executable, "-m", self.variant, *args]
        return [sys.executable, "-m", "netsplit", "node", "--variant", self.variant, *args]

    def start(self, timeout: float = 60.0) -> NodeProcess:
        self.datadir.mkdir(parents=True, exist_ok=True)
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
        stderr_path = self.datadir / "stderr.txt"
        with open(stderr_path, "ab") as stderr:
            self.process = subprocess.Popen(
                self.command(),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=stderr,
                cwd=str(ROOT),
                env=env,
            )
        try:
            self.wait_for_rpc(timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def stderr(self) -> str:
        path = self.datadir / "stderr.txt"
        return path.read_text(errors="replace") if path.exists() else ""

    def rpc(self, timeout: float = 30.0) -> RPCClient:
        if self.rpc_password is not None:
            return RPCClient(self.rpcport, self.rpc_user or "", self.rpc_password, timeout)
        cookie = (self.netdir / ".cookie").read_text().strip()
        user, _, password = cookie.partition(":")
        return RPCClient(self.rpcport, user, password, timeout)

    def wait_for_rpc(self, timeout: float) -> None:
        def ready() -> bool:
            assert self.process is not None
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"node exited with {self.process.returncode} during startup: {self.stderr()}"
                )
            try:
                self.rpc(timeout=5).getblockcount()
            except (OSError, RPCError, ValueError):
                return False
            return True

        wait_until(ready, timeout, f"the RPC server of {self.variant} on port {self.rpcport}")

    def stop(self, timeout: float = 30.0) -> int | None:
        """End the process: SIGTERM (a clean shutdown), SIGKILL if it is still there after
        ``timeout``. Returns its exit code."""
        process = self.process
        if process is None:
            return None
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(10)
        return process.returncode

    def kill(self) -> None:
        """SIGKILL: no shutdown at all."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)

    def wait_exit(self, timeout: float) -> int:
        assert self.process is not None
        return self.process.wait(timeout)
