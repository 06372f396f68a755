"""``python -m legacy``: bitcoind's command line, bitcoin.conf, debug.log, signals and exit codes.

Every node here is a child process on 127.0.0.1 with free ports and a temporary data
directory, stopped by the fixture whatever the test does.
"""

from __future__ import annotations

import re
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from netsplit.nodeproc import ROOT, NodeProcess, RPCClient, free_port, wait_until
from tests.legacy.node_harness import NodeFactory, node_factory, run_node_cli

__all__ = ["node_factory"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-foo"], "Error: Error parsing command line arguments: Invalid parameter -foo"),
        (
            ["--nosuchoption=1"],
            "Error: Error parsing command line arguments: Invalid parameter --nosuchoption=1",
        ),
        (
            ["-regtest.port=1"],
            "Error: Error parsing command line arguments: Invalid parameter -regtest.port=1",
        ),
        (["-port=0"], "Error: Invalid port specified in -port: '0'"),
        (["-rpcport=70000"], "Error: Invalid port specified in -rpcport: '70000'"),
        (["-maxconnections=-1"], "Error: -maxconnections must be greater or equal than zero"),
        (["-peertimeout=0"], "Error: peertimeout must be a positive integer."),
        (["-maxuploadtarget=abc"], "Error: Unable to parse -maxuploadtarget: 'abc'"),
        (["-debug=bogus"], "Error: Unsupported logging category -debug=bogus."),
        (["-bind=127.0.0.1:99999"], "Error: Invalid port specified in -bind: '127.0.0.1:99999'"),
        (["-whitelist=bogus@1.2.3.4"], "Error: Invalid P2P permission: 'bogus'"),
        (["-whitelist=notanip"], "Error: Invalid netmask specified in -whitelist: 'notanip'"),
        (["-whitebind=127.0.0.1"], "Error: Need to specify a port with -whitebind: '127.0.0.1'"),
        (
            ["stray"],
            "Error: Command line contains unexpected token 'stray', see bitcoind -h for a list "
            "of options.",
        ),
        (
            ["-testnet"],
            "Error: Chain test is not supported: netsplit runs regtest only. Use -regtest (the "
            "default) or -chain=regtest.",
        ),
    ],
)
def test_bad_option_exits_1_with_upstream_error_on_stderr(
    tmp_path: Path, args: list[str], message: str
) -> None:
    result = run_node_cli(
        [f"-datadir={tmp_path}", "-printtoconsole=0", f"-port={free_port()}", *args]
        + ([] if any(a.startswith("-rpcport") for a in args) else [f"-rpcport={free_port()}"])
    )
    assert result.returncode == 1
    assert result.stderr == message + "\n"
    assert result.stdout == ""


def test_missing_conf_file_is_an_error(tmp_path: Path) -> None:
    result = run_node_cli([f"-datadir={tmp_path}", f"-conf={tmp_path / 'nope.conf'}"])
    assert result.returncode == 1
    assert result.stderr == (
        "Error: Error reading configuration file: specified config file "
        f'"{tmp_path / "nope.conf"}" could not be opened.\n'
    )


def test_help_prints_bitcoind_options_and_exits_0(tmp_path: Path) -> None:
    result = run_node_cli(["-help"])
    assert result.returncode == 0
    assert result.stdout.startswith("Bitcoin Core daemon version v30.0.0\n")
    for option in (
        "  -datadir=<dir>\n",
        "  -bind=<addr>[:<port>]\n",
        "  -connect=<ip>\n",
        "  -debug=<category>\n",
        "  -rpcport=<port>\n",
        "  -whitelist=<[permissions@]IP address or network>\n",
        "Connection options:\n",
        "RPC server options:\n",
    ):
        assert option in result.stdout
    # Nothing was written: help comes before the data directory is touched.
    assert list(tmp_path.iterdir()) == []


def test_bitcoin_conf_regtest_section_sets_ports(node_factory: NodeFactory, tmp_path: Path) -> None:
    datadir = tmp_path / "conf"
    datadir.mkdir()
    port, rpcport = free_port(), free_port()
    (datadir / "bitcoin.conf").write_text(
        "# the default section is ignored for network-only options on regtest\n"
        "port=1\n"
        "[regtest]\n"
        f"port={port}\n"
        f"rpcport={rpcport}\n"
        "printtoconsole=0\n"
        "uacomment=fromconf\n"
    )
    # Only -datadir on the command line: everything else comes from bitcoin.conf.
    node = NodeProcess(datadir, port=port, rpcport=rpcport, conf_only=True)
    try:
        node.start()
        info = node.rpc().getnetworkinfo()
        assert info["subversion"] == "/Satoshi:30.0.0(fromconf)/"
        with socket.create_connection(("127.0.0.1", port), timeout=5):
            pass  # the P2P port from [regtest] listens
    finally:
        node.stop()


def test_sigterm_shuts_down_cleanly_and_writes_state(node_factory: NodeFactory) -> None:
    node = node_factory("n", ["-debug=net"])
    assert node.process is not None
    assert (node.netdir / ".cookie").exists()
    assert (node.netdir / "bitcoind.pid").read_text() == f"{node.process.pid}\n"
    node.process.send_signal(signal.SIGTERM)
    assert node.wait_exit(30) == 0
    log = (node.netdir / "debug.log").read_text()
    assert log.rstrip("\n").endswith("Shutdown done")
    assert "Shutdown in progress..." in log
    assert "is still running" not in log  # every thread was joined
    assert "[net] Flushed 0 addresses to peers.dat" in log
    for name in ("peers.dat", "anchors.dat", "banlist.json"):
        assert (node.netdir / name).exists(), name
    # What the running node owned is gone: the cookie and the pid file.
    assert not (node.netdir / ".cookie").exists()
    assert not (node.netdir / "bitcoind.pid").exists()


def test_sigint_shuts_down_cleanly(node_factory: NodeFactory) -> None:
    node = node_factory("n")
    assert node.process is not None
    node.process.send_signal(signal.SIGINT)
    assert node.wait_exit(30) == 0
    assert (node.netdir / "debug.log").read_text().rstrip("\n").endswith("Shutdown done")


def test_second_node_on_the_same_datadir_is_refused(node_factory: NodeFactory) -> None:
    node = node_factory("n")
    result = run_node_cli(
        [f"-datadir={node.datadir}", f"-port={free_port()}", f"-rpcport={free_port()}"]
    )
    assert result.returncode == 1
    assert result.stderr == (
        f"Error: Cannot obtain a lock on directory {node.netdir}. Bitcoin Core is probably "
        "already running.\n"
    )
    assert node.rpc().getblockcount() == 0  # the first one is unaffected


def test_debug_log_has_upstream_format_and_net_category(node_factory: NodeFactory) -> None:
    a = node_factory("a", ["-debug=net"])
    b = node_factory("b")
    a.rpc().addnode(b.p2p_addr, "onetry")
    wait_until(lambda: len(b.rpc().getpeerinfo()) == 1, 20, "the connection")
    a.rpc().ping()
    wait_until(lambda: "[net] received: pong" in (a.netdir / "debug.log").read_text(), 20, "a pong")
    lines = (a.netdir / "debug.log").read_text().splitlines()
    stamp = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"
    assert all(re.fullmatch(stamp + r" .*", line) for line in lines if line)
    text = "\n".join(lines)
    assert re.search(stamp + r" Bitcoin Core version v30\.0\.0 \(release build\)", text)
    assert re.search(stamp + r" Bound to 127\.0\.0\.1:" + str(a.port), text)
    assert re.search(stamp + r" \[net\] sending version \(\d+ bytes\) peer=0", text)
    assert re.search(
        stamp + r" \[net\] receive version message: /Satoshi:30\.0\.0/: version 70016, "
        r"blocks=0, us=\S+, txrelay=1, peer=0",
        text,
    )
    assert re.search(stamp + r" \[net\] received: verack \(0 bytes\) peer=0", text)
    # A node without -debug=net writes no [net] lines.
    assert "[net]" not in (b.netdir / "debug.log").read_text()


def test_rpcbind_is_ignored_without_rpcallowip(node_factory: NodeFactory) -> None:
    node = node_factory("n", ["-rpcbind=0.0.0.0"])
    log = (node.netdir / "debug.log").read_text()
    assert (
        "WARNING: option -rpcbind was ignored because -rpcallowip was not specified, refusing "
        "to allow everyone to connect" in log
    )
    assert f"Binding RPC on address 127.0.0.1 port {node.rpcport}" in log
    assert isinstance(node.rpc(), RPCClient)


def test_netsplit_node_rejects_an_unknown_variant() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "netsplit", "node", "--variant", "bogus", "-help"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=str(ROOT),
    )
    assert result.returncode == 2
    assert result.stderr.startswith(
        "Error: unknown variant 'bogus': expected legacy, split or stage:K (see netsplit node "
        "-help)\n"
    )


def test_netsplit_node_runs_a_migration_stage(tmp_path: Path) -> None:
    node = NodeProcess(tmp_path / "stage", variant="stage:1")
    try:
        node.start(timeout=120)
        assert node.process is not None
        assert node.process.args[3:6] == ["node", "--variant", "stage:1"]  # type: ignore[index]
        assert node.rpc().getnetworkinfo()["subversion"] == "/Satoshi:30.0.0/"
        assert node.rpc().stop() == "Bitcoin Core stopping"
        assert node.wait_exit(30) == 0
    finally:
        node.stop()
