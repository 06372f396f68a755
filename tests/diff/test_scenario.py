"""Scenarios as data: JSON round trips, replay-file wrapping, and readable event lines."""

from __future__ import annotations

import json

import pytest

from common.connection_types import ConnectionType
from common.net_permissions import NetPermissionFlags
from netsplit.diff import scenario as sc
from netsplit.diff.scenario import (
    AddNode,
    ClearBanned,
    ClockAdvances,
    DisconnectNode,
    MineBlocks,
    PeerAnswersPing,
    PeerConnects,
    PeerDisconnects,
    PeerLabel,
    PeerSends,
    Scenario,
    ScenarioFormatError,
    SetBan,
    SetNetworkActive,
    SubmitTransaction,
)

P0 = PeerLabel(0)

EVERY_EVENT = (
    PeerConnects(P0, ConnectionType.INBOUND, "1.2.3.4:18444", NetPermissionFlags.NoBan),
    PeerConnects(PeerLabel(1), ConnectionType.BLOCK_RELAY, "[2a01:4f8::1]:8333"),
    PeerSends(P0, b"\xfa\xbf\xb5\xda\x00"),
    PeerAnswersPing(P0),
    PeerDisconnects(P0),
    ClockAdvances(1200),
    DisconnectNode(P0, by_address=True),
    SetBan("1.2.3.0/24", "add", 3600),
    ClearBanned(),
    AddNode(PeerLabel(2), "20.0.0.1:18444", "onetry"),
    SetNetworkActive(False),
    MineBlocks(3),
    SubmitTransaction(b"\x02\x00\x00\x00\x00\x00\x00\x00\x00\x00"),
)


def test_every_event_type_round_trips_through_json() -> None:
    scenario = Scenario(EVERY_EVENT, seed=7, start_time=1_600_000_000, max_connections=30)
    again = sc.loads(sc.dumps(scenario))
    assert again == scenario
    assert {type(e).__name__ for e in again.events} == set(sc.EVENT_TYPES)


def test_json_names_enums_and_hex_encodes_bytes() -> None:
    obj = sc.scenario_to_json(Scenario(EVERY_EVENT[:3]))
    assert obj["events"][0] == {
        "type": "PeerConnects",
        "peer": 0,
        "conn_type": "INBOUND",
        "address": "1.2.3.4:18444",
        "permissions": int(NetPermissionFlags.NoBan),
    }
    assert obj["events"][2] == {"type": "PeerSends", "peer": 0, "data": "fabfb5da00"}


def test_a_replay_file_loads_as_its_scenario() -> None:
    scenario = Scenario((ClockAdvances(5),), seed=3)
    wrapped = {"format": "netsplit-diff-replay", "scenario": sc.scenario_to_json(scenario)}
    assert sc.loads(json.dumps(wrapped)) == scenario


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[]", "a scenario file holds a JSON object"),
        ('{"format": "other"}', "not a netsplit-diff-scenario file"),
        (
            '{"format": "netsplit-diff-scenario", "version": 1, "seed": 0, "start_time": 0,'
            ' "events": [{"type": "Teleport"}]}',
            "unknown event type 'Teleport'",
        ),
        (
            '{"format": "netsplit-diff-scenario", "version": 1, "seed": 0, "start_time": 0,'
            ' "events": [{"type": "PeerConnects", "peer": 0, "conn_type": "SIDEWAYS",'
            ' "address": "x"}]}',
            "bad field conn_type='SIDEWAYS' in PeerConnects",
        ),
    ],
)
def test_malformed_scenario_files_name_the_problem(text: str, message: str) -> None:
    with pytest.raises(ScenarioFormatError, match=message.replace("[", r"\[")):
        sc.loads(text)


def test_describe_shortens_bytes_and_names_permissions() -> None:
    assert sc.describe(EVERY_EVENT[0]) == (
        "PeerConnects(peer=0, conn_type=INBOUND, address='1.2.3.4:18444', "
        "permissions=noban,download)"
    )
    long = PeerSends(P0, bytes(100))
    assert sc.describe(long) == f"PeerSends(peer=0, data={'00' * 20}...(100 bytes))"


def test_prefix_and_then_keep_seed_and_settings() -> None:
    scenario = Scenario(EVERY_EVENT, seed=9, max_connections=20)
    assert scenario.prefix(2) == Scenario(EVERY_EVENT[:2], seed=9, max_connections=20)
    assert scenario.prefix(0).then(ClearBanned()).events == (ClearBanned(),)
