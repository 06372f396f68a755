from __future__ import annotations

import json
from pathlib import Path

from migration.adapters.census_probe import CstCensus
from migration.domain.census import AccessKind, Side, compare, parse_upstream

from .fixtures import write_package

ROOT = Path(__file__).resolve().parents[2]


def test_census_counts_reads_writes_and_calls_by_layer(tmp_path: Path) -> None:
    census = CstCensus().census(write_package(tmp_path))
    disconnect = census.member("fDisconnect")
    assert disconnect is not None
    # net: the initializer and CConnman.DisconnectInbound; net_processing: ProcessMessage.
    assert disconnect.count(Side.NET, AccessKind.WRITE) == 2
    assert disconnect.count(Side.NET_PROCESSING, AccessKind.WRITE) == 1
    common = census.member("GetCommonVersion")
    assert common is not None and common.is_method
    assert common.count(Side.NET_PROCESSING, AccessKind.CALL) == 2
    bip152 = census.member("m_bip152_highbandwidth_from")
    assert bip152 is not None
    assert (
        bip152.count(Side.NET, AccessKind.READ),
        bip152.count(Side.NET, AccessKind.WRITE),
        bip152.count(Side.NET_PROCESSING, AccessKind.READ),
        bip152.count(Side.NET_PROCESSING, AccessKind.WRITE),
    ) == (1, 1, 1, 1)


def test_layering_debt_is_every_cnode_access_from_net_processing(tmp_path: Path) -> None:
    census = CstCensus().census(write_package(tmp_path))
    np_sites = sorted(
        (a.site.line, a.member) for a in census.accesses if a.side is Side.NET_PROCESSING
    )
    assert census.debt == len(np_sites) == 10
    assert (55, "m_bip152_highbandwidth_from") in np_sites


def test_unresolved_receivers_are_listed_not_guessed(tmp_path: Path) -> None:
    package = write_package(tmp_path)
    with (package / "net_processing.py").open("a") as f:
        f.write("\n\ndef stray(node) -> bool:\n    return node.fDisconnect\n")
    census = CstCensus().census(package)
    assert [(u.member, u.receiver, str(u.site)) for u in census.unresolved] == [
        ("fDisconnect", "node", "fixture/net_processing.py:70 (stray)")
    ]


def test_comparison_with_the_upstream_census_names_each_difference(tmp_path: Path) -> None:
    inventory = json.loads((ROOT / "migration" / "data" / "core_net_inventory.json").read_text())
    upstream = parse_upstream(inventory["cnode_usage_by_net_processing"])
    assert upstream["fDisconnect"].np_writes == 39
    assert upstream["GetId"].np_calls == 131
    census = CstCensus().census(write_package(tmp_path))
    comparison = compare(census, upstream)
    by_key = {(d.member, d.measure): (d.port, d.upstream) for d in comparison.differences}
    assert by_key[("fDisconnect", "net_processing writes")] == (1, 39)
    assert by_key[("GetId", "net_processing calls")] == (2, 131)
    assert "m_conn_inbound" in comparison.extra_in_port
    assert "m_transport" in comparison.missing_in_port
