"""legacy/init.py: the composition root builds and wires the P2P components as init.cpp does."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import legacy.net as net
from common.clock import SetMockTime
from common.net_permissions import NetPermissionFlags
from common.protocol import NODE_NETWORK, NODE_WITNESS, ServiceFlags
from legacy.init import AppInitMain, FormatSubVersion, InitError, InitOptions, Shutdown
from legacy.net import CConnman
from legacy.net_processing import PeerManagerImpl

T0 = 1_700_000_000


@pytest.fixture(autouse=True)
def _restore_net_globals() -> Iterator[None]:
    SetMockTime(T0)
    yield
    net.gArgs.ClearArgs()
    net.fListen = net.DEFAULT_LISTEN
    net.strSubVersion = ""


def test_format_sub_version_is_bip14() -> None:
    assert FormatSubVersion("Satoshi", 300000, []) == "/Satoshi:30.0.0/"
    assert FormatSubVersion("Satoshi", 300100, ["a", "b"]) == "/Satoshi:30.1.0(a; b)/"


def test_app_init_main_wires_peerman_between_connman_and_chain(tmp_path: Path) -> None:
    node = AppInitMain(InitOptions(datadir=tmp_path, deterministic=True, uacomment=["test"]))
    assert isinstance(node.connman, CConnman)
    assert isinstance(node.peerman, PeerManagerImpl)
    # PeerManager holds the very components the node context owns.
    assert node.peerman.m_connman is node.connman
    assert node.peerman.m_addrman is node.addrman is node.connman.addrman
    assert node.peerman.m_banman is node.banman
    assert node.peerman.m_chainman is node.chainman
    assert node.peerman.m_mempool is node.mempool
    # It hears validation events, knows the best block, and is the connman's message handler.
    assert node.peerman in node.validation_signals.m_list.values()
    assert node.peerman.m_best_height == 0
    assert node.conn_options.m_msgproc is node.peerman
    assert node.conn_options.m_banman is node.banman
    assert node.conn_options.m_local_services == ServiceFlags(NODE_NETWORK | NODE_WITNESS)
    assert node.conn_options.bind_on_any
    assert net.strSubVersion == "/Satoshi:30.0.0(test)/"
    Shutdown(node)
    assert node.peerman not in node.validation_signals.m_list.values()
    assert (tmp_path / "regtest" / "banlist.json").exists()


def test_whitelist_and_connect_options_reach_connman_options(tmp_path: Path) -> None:
    node = AppInitMain(
        InitOptions(
            datadir=tmp_path,
            deterministic=True,
            whitelist=["noban@127.0.0.1", "out,addr@10.0.0.0/8"],
            connect=["127.0.0.1:18444"],
            bind=["127.0.0.1:19000"],
        )
    )
    incoming = node.conn_options.vWhitelistedRangeIncoming
    outgoing = node.conn_options.vWhitelistedRangeOutgoing
    assert [w.m_subnet.ToString() for w in incoming] == ["127.0.0.1/32"]
    assert incoming[0].m_flags & NetPermissionFlags.NoBan
    assert [w.m_subnet.ToString() for w in outgoing] == ["10.0.0.0/8"]
    assert not node.conn_options.m_use_addrman_outgoing
    assert node.conn_options.m_specified_outgoing == ["127.0.0.1:18444"]
    assert [b.ToStringAddrPort() for b in node.conn_options.vBinds] == ["127.0.0.1:19000"]
    assert not node.conn_options.bind_on_any


def test_bad_whitelist_is_an_init_error_with_upstreams_message(tmp_path: Path) -> None:
    with pytest.raises(InitError, match=r"Invalid netmask specified in -whitelist: 'nonsense'"):
        AppInitMain(InitOptions(datadir=tmp_path, deterministic=True, whitelist=["nonsense"]))
