"""Fixtures for the tests that run the node as a child process on loopback."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import pytest

from netsplit.nodeproc import ROOT, NodeProcess

#: A regtest P2WPKH address (the zero key hash) that generatetoaddress can mine to.
MINE_ADDRESS = "bcrt1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqdku202"

NodeFactory = Callable[..., NodeProcess]


@pytest.fixture
def node_factory(tmp_path: Path) -> Iterator[NodeFactory]:
    """Start nodes in ``tmp_path/<name>``; every one is stopped (SIGTERM, then SIGKILL) at the
    end of the test, whatever happened."""
    nodes: list[NodeProcess] = []

    def start(
        name: str = "node",
        extra_args: Sequence[str] = (),
        *,
        rpc_user: str | None = None,
        rpc_password: str | None = None,
    ) -> NodeProcess:
        node = NodeProcess(
            tmp_path / name, extra_args=extra_args, rpc_user=rpc_user, rpc_password=rpc_password
        )
        nodes.append(node)
        return node.start()

    try:
        yield start
    finally:
        for node in nodes:
            node.stop()


def run_node_cli(args: Sequence[str], timeout: float = 30.0) -> subprocess.CompletedProcess[str]:
    """``python -m legacy <args>`` to completion (for options that make it exit at once)."""
    return subprocess.run(
        [sys.executable, "-m", "legacy", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=str(ROOT),
        stdin=subprocess.DEVNULL,
    )
