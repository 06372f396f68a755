"""bcoin (bcoin 1.0.2, a full node in JavaScript) as a benchmark peer.

The interop tests' install (tests/interop: package.json, package-lock.json, ``npm ci``) and
launcher (tests/interop/bcoin_node.js: regtest, in memory, loopback only, discovery off) are
reused as they are; this module only runs them without pytest. bcoin logs at "warning" here,
so that its logging does not cost it time a benchmark would count.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from netsplit.nodeproc import ROOT, free_port

INTEROP: Final = ROOT / "tests" / "interop"
LAUNCHER: Final = INTEROP / "bcoin_node.js"
INSTALL_TIMEOUT: Final = 600.0


def ensure_installed() -> str | None:
    """Install bcoin into tests/interop/node_modules if it is not there (``npm ci``, under the
    same file lock and marker as the interop tests). None when bcoin can run, else why not."""
    for tool in ("node", "npm"):
        if shutil.which(tool) is None:
            return f"`{tool}` is not installed (bcoin needs Node.js and npm)"
    if not LAUNCHER.exists():
        return f"{LAUNCHER} is missing"
    marker = INTEROP / "node_modules" / ".netsplit-installed"
    lockfile = INTEROP / "package-lock.json"
    with open(INTEROP / ".install.lock", "w") as lock:
        fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
        if marker.exists() and marker.read_text() == lockfile.read_text():
            return None
        try:
            result = subprocess.run(
                ["npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund"],
                cwd=INTEROP,
                capture_output=True,
                text=True,
                timeout=INSTALL_TIMEOUT,
                stdin=subprocess.DEVNULL,
            )
        except subprocess.TimeoutExpired:
            return f"npm ci in {INTEROP} took longer than {INSTALL_TIMEOUT:.0f} s"
        if result.returncode != 0:
            return f"npm ci failed in {INTEROP}: {result.stderr.strip()[-500:]}"
        marker.write_text(lockfile.read_text())
    return None


@dataclass(slots=True)
class BcoinNode:
    """bcoin.FullNode in a child process, listening on 127.0.0.1:``port``."""

    workdir: Path
    port: int = field(default_factory=free_port)
    http_port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def log_path(self) -> Path:
        return self.workdir / "bcoin.log"

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def start(self, timeout: float = 60.0) -> BcoinNode:
        self.workdir.mkdir(parents=True, exist_ok=True)
        args = [
            "node",
            str(LAUNCHER),
            f"--p2p-port={self.port}",
            f"--http-port={self.http_port}",
            "--api-key=netsplit-bench",
            "--log-level=warning",
        ]
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                args, cwd=INTEROP, stdin=subprocess.DEVNULL, stdout=log, stderr=log, env=os.environ
            )
        deadline = time.monotonic() + timeout
        while "ready\n" not in self.log():
            if self.process.poll() is not None:
                raise RuntimeError(f"bcoin exited during startup:\n{self.log()}")
            if time.monotonic() > deadline:
                self.stop()
                raise TimeoutError(f"bcoin did not start within {timeout:.0f} s:\n{self.log()}")
            time.sleep(0.05)
        return self

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
