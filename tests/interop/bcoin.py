"""bcoin for the interop tests: installing it (npm, project-local) and running it on loopback.

The install is ``npm ci --ignore-scripts`` in tests/interop (package.json and package-lock.json
are committed; node_modules is not), done once per machine, under a file lock so parallel test
workers do not race. bcoin runs through bcoin_node.js, which keeps it on loopback with discovery
off. Without npm the tests skip, and the reason says so in capitals.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import signal
import subprocess
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from common.base58 import EncodeBase58Check
from common.hash import Hash160
from netsplit.nodeproc import RPCClient, free_port, wait_until
from netsplit.optrue import OP_TRUE

HERE = Path(__file__).resolve().parent
LAUNCHER = HERE / "bcoin_node.js"
#: bcoin's regtest script-hash prefix is 0x26 (Bitcoin Core's is 0xc4): the same
#: P2SH(OP_TRUE) script as netsplit.optrue's, as bcoin spells its address.
BCOIN_OP_TRUE_P2SH_ADDRESS = EncodeBase58Check(b"\x26" + Hash160(OP_TRUE))
#: bcoin's user agent and protocol version.
BCOIN_SUBVER = "/bcoin:v1.0.2/"
BCOIN_PROTOCOL_VERSION = 70015

INSTALL_TIMEOUT = 600


def npm_missing_reason() -> str | None:
    for tool in ("npm", "node"):
        if shutil.which(tool) is None:
            return (
                f"BCOIN INTEROP TESTS NOT RUN: `{tool}` is not installed, so bcoin (npm package "
                "bcoin 1.0.2) cannot be installed. Install Node.js 20 and npm to run them."
            )
    return None


def ensure_bcoin_installed() -> None:
    """``npm ci`` into tests/interop/node_modules unless the lockfile's install is there.
    Skips (loudly) without npm; fails if npm is there but the install fails."""
    reason = npm_missing_reason()
    if reason is not None:
        # A warning too, so that the reason shows in every run's summary, not only with -rs.
        warnings.warn(pytest.PytestWarning(reason), stacklevel=2)
        pytest.skip(reason)
    marker = HERE / "node_modules" / ".netsplit-installed"
    lockfile = HERE / "package-lock.json"
    with open(HERE / ".install.lock", "w") as lock:
        fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
        if marker.exists() and marker.read_text() == lockfile.read_text():
            return
        result = subprocess.run(
            ["npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund"],
            cwd=HERE,
            capture_output=True,
            text=True,
            timeout=INSTALL_TIMEOUT,
            stdin=subprocess.DEVNULL,
        )
        if result.returncode != 0:
            pytest.fail(f"npm ci failed in {HERE}:\n{result.stdout}\n{result.stderr}")
        marker.write_text(lockfile.read_text())


@dataclass(slots=True)
class BcoinProcess:
    """bcoin.FullNode in a child process: regtest, in memory, P2P and HTTP JSON-RPC on
    127.0.0.1. ``connect`` makes it dial that address (and only that one)."""

    workdir: Path
    connect: str | None = None
    port: int = field(default_factory=free_port)
    http_port: int = field(default_factory=free_port)
    api_key: str = "netsplit-interop"
    process: subprocess.Popen[bytes] | None = None

    @property
    def p2p_addr(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def log_path(self) -> Path:
        return self.workdir / "bcoin.log"

    def start(self, timeout: float = 60.0) -> BcoinProcess:
        self.workdir.mkdir(parents=True, exist_ok=True)
        args = [
            "node",
            str(LAUNCHER),
            f"--p2p-port={self.port}",
            f"--http-port={self.http_port}",
            f"--api-key={self.api_key}",
            "--log-level=info",
        ]
        if self.connect is not None:
            args.append(f"--connect={self.connect}")
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                args, cwd=HERE, stdin=subprocess.DEVNULL, stdout=log, stderr=log, env=os.environ
            )

        def ready() -> bool:
            assert self.process is not None
            if self.process.poll() is not None:
                raise RuntimeError(f"bcoin exited during startup:\n{self.log()}")
            return "ready\n" in self.log()

        try:
            wait_until(ready, timeout, "bcoin to start")
        except BaseException:
            self.stop()
            raise
        return self

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def rpc(self, timeout: float = 60.0) -> RPCClient:
        return RPCClient(self.http_port, "x", self.api_key, timeout)

    def stop(self, timeout: float = 15.0) -> None:
        process = self.process
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)


def wait_for(predicate: object, timeout: float, what: str) -> float:
    """wait_until, returning how long it took (seconds)."""
    start = time.monotonic()
    assert callable(predicate)
    wait_until(predicate, timeout, what)
    return time.monotonic() - start
