from __future__ import annotations

import pytest

from common.connection_types import (
    ConnectionType,
    ConnectionTypeAsString,
    TransportProtocolType,
    TransportTypeAsString,
)


@pytest.mark.parametrize(
    ("conn_type", "expected"),
    [
        (ConnectionType.INBOUND, "inbound"),
        (ConnectionType.OUTBOUND_FULL_RELAY, "outbound-full-relay"),
        (ConnectionType.MANUAL, "manual"),
        (ConnectionType.FEELER, "feeler"),
        (ConnectionType.BLOCK_RELAY, "block-relay-only"),
        (ConnectionType.ADDR_FETCH, "addr-fetch"),
    ],
)
def test_connection_type_strings_match_getpeerinfo(
    conn_type: ConnectionType, expected: str
) -> None:
    assert ConnectionTypeAsString(conn_type) == expected


def test_connection_types_are_upstreams_six_in_declaration_order() -> None:
    assert [t.name for t in ConnectionType] == [
        "INBOUND",
        "OUTBOUND_FULL_RELAY",
        "MANUAL",
        "FEELER",
        "BLOCK_RELAY",
        "ADDR_FETCH",
    ]
    assert [t.value for t in ConnectionType] == [0, 1, 2, 3, 4, 5]


def test_connection_type_never_equals_an_integer() -> None:
    assert ConnectionType.INBOUND != 0  # type: ignore[comparison-overlap]


@pytest.mark.parametrize(
    ("transport_type", "expected"),
    [
        (TransportProtocolType.DETECTING, "detecting"),
        (TransportProtocolType.V1, "v1"),
        (TransportProtocolType.V2, "v2"),
    ],
)
def test_transport_type_strings_match_getpeerinfo(
    transport_type: TransportProtocolType, expected: str
) -> None:
    assert TransportTypeAsString(transport_type) == expected


def test_transport_types_are_detecting_v1_v2() -> None:
    assert [(t.name, t.value) for t in TransportProtocolType] == [
        ("DETECTING", 0),
        ("V1", 1),
        ("V2", 2),
    ]
