"""Connection types and transport protocol types (src/node/connection_types.{h,cpp}).

Both are ``enum class`` upstream, so they are plain :class:`enum.Enum` here rather than
``IntEnum``: a connection type never silently compares equal to an integer.
"""

from __future__ import annotations

from enum import Enum


class ConnectionType(Enum):
    """What we know about a connection when it is opened or accepted.

    Every type except INBOUND is a connection we initiated. The RPC help texts and the
    ``-netinfo`` descriptions list these too and must be kept in step with them.
    """

    #: Opened by the peer. Until messages are exchanged, that is all we know about it.
    INBOUND = 0
    #: Our default outbound connections: blocks, transactions and addresses are all relayed.
    #: We try to keep MAX_OUTBOUND_FULL_RELAY_CONNECTIONS of them, picked from AddrMan.
    OUTBOUND_FULL_RELAY = 1
    #: Opened because the user asked for it (addnode RPC, -addnode, -connect). Misbehaviour
    #: never gets such a peer disconnected automatically or discouraged.
    MANUAL = 2
    #: A short-lived probe, made about every FEELER_INTERVAL, to learn whether an address is
    #: alive: it either settles an AddrMan tried-table collision (test-before-evict) or
    #: promotes an address from the new table to the tried table.
    FEELER = 3
    #: Relays blocks only, never transactions or addresses, which makes these links harder
    #: to spot from outside and so hardens the node against partition attacks. Anchors from
    #: anchors.dat are tried first, then AddrMan until MAX_BLOCK_RELAY_ONLY_CONNECTIONS.
    BLOCK_RELAY = 4
    #: A short-lived connection whose only purpose is to ask for addresses: to -seednode
    #: targets, or when AddrMan has run dry.
    ADDR_FETCH = 5


_CONNECTION_TYPE_STRINGS: dict[ConnectionType, str] = {
    ConnectionType.INBOUND: "inbound",
    ConnectionType.MANUAL: "manual",
    ConnectionType.FEELER: "feeler",
    ConnectionType.OUTBOUND_FULL_RELAY: "outbound-full-relay",
    ConnectionType.BLOCK_RELAY: "block-relay-only",
    ConnectionType.ADDR_FETCH: "addr-fetch",
}


def ConnectionTypeAsString(conn_type: ConnectionType) -> str:
    """The name RPC (getpeerinfo ``connection_type``) and the logs use for ``conn_type``."""
    return _CONNECTION_TYPE_STRINGS[conn_type]


class TransportProtocolType(Enum):
    """Which P2P transport a connection speaks (``uint8_t`` enum class upstream)."""

    #: Not known yet: the peer may turn out to speak v1 or v2.
    DETECTING = 0
    #: The unencrypted, plaintext protocol.
    V1 = 1
    #: The BIP324 encrypted protocol.
    V2 = 2


_TRANSPORT_TYPE_STRINGS: dict[TransportProtocolType, str] = {
    TransportProtocolType.DETECTING: "detecting",
    TransportProtocolType.V1: "v1",
    TransportProtocolType.V2: "v2",
}


def TransportTypeAsString(transport_type: TransportProtocolType) -> str:
    """The name getpeerinfo's ``transport_protocol_type`` shows."""
    return _TRANSPORT_TYPE_STRINGS[transport_type]
