"""Port of src/test/net_peer_eviction_tests.cpp, plus the two cases upstream leaves untested."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pytest

from common.connection_types import ConnectionType
from common.eviction import (
    CompareNodeBlockTime,
    CompareNodeNetworkTime,
    CompareNodeTXTime,
    EraseLastKElements,
    NodeEvictionCandidate,
    ProtectEvictionCandidatesByRatio,
    ReverseCompareNodeMinPingTime,
    SelectNodeToEvict,
)
from common.netaddress import Network
from common.nodeid import NodeId
from common.random import FastRandomContext

# test/util/net.h ALL_NETWORKS
ALL_NETWORKS = [
    Network.NET_UNROUTABLE,
    Network.NET_IPV4,
    Network.NET_IPV6,
    Network.NET_ONION,
    Network.NET_I2P,
    Network.NET_CJDNS,
    Network.NET_INTERNAL,
]

IPV4 = Network.NET_IPV4
IPV6 = Network.NET_IPV6
ONION = Network.NET_ONION
I2P = Network.NET_I2P
CJDNS = Network.NET_CJDNS


def GetRandomNodeEvictionCandidates(
    n_candidates: int, random_context: FastRandomContext
) -> list[NodeEvictionCandidate]:
    """test/util/net.cpp: random inbound candidates, drawn in upstream's field order."""
    candidates = []
    for id_ in range(n_candidates):
        candidates.append(
            NodeEvictionCandidate(
                id=NodeId(id_),
                m_connected=random_context.randrange(100),
                m_min_ping_time=random_context.randrange(100),
                m_last_block_time=random_context.randrange(100),
                m_last_tx_time=random_context.randrange(100),
                fRelevantServices=random_context.randbool(),
                m_relay_txs=random_context.randbool(),
                fBloomFilter=random_context.randbool(),
                nKeyedNetGroup=random_context.randrange(100),
                prefer_evict=random_context.randbool(),
                m_is_local=random_context.randbool(),
                m_network=ALL_NETWORKS[random_context.randrange(len(ALL_NETWORKS))],
                m_noban=False,
                m_conn_type=ConnectionType.INBOUND,
            )
        )
    return candidates


def _candidate(id_: int, **fields: object) -> NodeEvictionCandidate:
    c = NodeEvictionCandidate(
        id=NodeId(id_),
        m_connected=0,
        m_min_ping_time=0,
        m_last_block_time=0,
        m_last_tx_time=0,
        fRelevantServices=False,
        m_relay_txs=True,
        fBloomFilter=False,
        nKeyedNetGroup=0,
        prefer_evict=False,
        m_is_local=False,
        m_network=IPV4,
        m_noban=False,
        m_conn_type=ConnectionType.INBOUND,
    )
    for name, value in fields.items():
        setattr(c, name, value)
    return c


# --- ProtectEvictionCandidatesByRatio ------------------------------------------------------------


@dataclass(frozen=True)
class RatioCase:
    """One IsProtected() check of peer_protection_test.

    ``uptime``: "id" sets m_connected = id (lower ids connected longer), "reverse" sets
    m_connected = num_peers - id, None keeps the random value. ``local`` are the m_is_local ids;
    ``networks`` map ids to a network, every other id gets ``default``.
    """

    name: str
    num_peers: int
    protected: frozenset[int]
    unprotected: frozenset[int]
    uptime: str | None = "id"
    local: frozenset[int] = frozenset()
    networks: dict[int, Network] = field(default_factory=dict)
    default: Network = IPV4

    def setup(self, c: NodeEvictionCandidate) -> None:
        if self.uptime == "id":
            c.m_connected = c.id
        elif self.uptime == "reverse":
            c.m_connected = self.num_peers - c.id
        c.m_is_local = c.id in self.local
        c.m_network = self.networks.get(c.id, self.default)


def _on(network: Network, ids: range | list[int]) -> dict[int, Network]:
    return dict.fromkeys(ids, network)


def _ids(*ids: int) -> frozenset[int]:
    return frozenset(ids)


RATIO_CASES = [
    RatioCase("uptime_only_ipv4", 12, _ids(0, 1, 2, 3, 4, 5), _ids(6, 7, 8, 9, 10, 11)),
    RatioCase(
        "uptime_only_reversed",
        12,
        _ids(6, 7, 8, 9, 10, 11),
        _ids(0, 1, 2, 3, 4, 5),
        uptime="reverse",
        default=IPV6,
    ),
    RatioCase("onion_quarter", 12, _ids(3, 8, 9), _ids(), None, networks=_on(ONION, [3, 8, 9])),
    RatioCase(
        "onion_quarter_and_uptime_quarter",
        12,
        _ids(0, 1, 2, 3, 8, 9),
        _ids(4, 5, 6, 7, 10, 11),
        networks=_on(ONION, [3, 8, 9, 10, 11]),
        default=IPV6,
    ),
    RatioCase("localhost_quarter", 12, _ids(1, 9, 11), _ids(), None, local=_ids(1, 9, 11)),
    RatioCase(
        "localhost_quarter_and_uptime_quarter",
        12,
        _ids(0, 1, 2, 7, 8, 9),
        _ids(3, 4, 5, 6, 10, 11),
        local=frozenset(range(7, 12)),
        default=IPV6,
    ),
    RatioCase("i2p_quarter", 12, _ids(2, 7, 10), _ids(), None, networks=_on(I2P, [2, 7, 10])),
    RatioCase(
        "i2p_quarter_and_uptime_quarter",
        12,
        _ids(0, 1, 2, 4, 9, 10),
        _ids(3, 5, 6, 7, 8, 11),
        networks=_on(I2P, [4, 9, 10, 11]),
        default=IPV6,
    ),
    RatioCase("cjdns_quarter", 12, _ids(2, 7, 10), _ids(), None, networks=_on(CJDNS, [2, 7, 10])),
    RatioCase(
        "cjdns_quarter_and_uptime_quarter",
        12,
        _ids(0, 1, 2, 4, 9, 10),
        _ids(3, 5, 6, 7, 8, 11),
        networks=_on(CJDNS, [4, 9, 10, 11]),
        default=IPV6,
    ),
    # Two networks.
    RatioCase(
        "1_local_1_onion_of_4_local_wins_tie",
        4,
        _ids(0, 4),
        _ids(1, 2),
        local=_ids(4),
        networks={3: ONION},
    ),
    RatioCase(
        "1_local_1_onion_of_7_local_wins_tie",
        7,
        _ids(0, 1, 6),
        _ids(2, 3, 4, 5),
        local=_ids(6),
        networks={5: ONION},
    ),
    RatioCase(
        "1_local_1_onion_of_8",
        8,
        _ids(0, 1, 5, 6),
        _ids(2, 3, 4, 7),
        local=_ids(6),
        networks={5: ONION},
    ),
    RatioCase(
        "3_local_3_onion_of_12",
        12,
        _ids(0, 1, 2, 6, 7, 9),
        _ids(3, 4, 5, 8, 10, 11),
        local=_ids(6, 9, 11),
        networks=_on(ONION, [7, 8, 10]),
        default=IPV6,
    ),
    RatioCase(
        "4_local_1_onion_of_12",
        12,
        _ids(0, 1, 2, 5, 6, 10),
        _ids(3, 4, 7, 8, 9, 11),
        local=_ids(5, 6, 7, 8),
        networks={10: ONION},
    ),
    RatioCase(
        "4_local_2_onion_of_16",
        16,
        _ids(0, 1, 2, 3, 6, 8, 9, 10),
        _ids(4, 5, 7, 11, 12, 13, 14, 15),
        local=_ids(6, 9, 11, 12),
        networks=_on(ONION, [8, 10]),
        default=IPV6,
    ),
    RatioCase(
        "5_local_1_onion_of_16_local_recovers_onion_slot",
        16,
        _ids(0, 1, 2, 3, 10, 11, 12, 13),
        _ids(4, 5, 6, 7, 8, 9, 14, 15),
        local=frozenset(range(11, 16)),
        networks={10: ONION},
    ),
    RatioCase(
        "1_local_4_onion_of_16_onion_recovers_local_slot",
        16,
        _ids(0, 1, 2, 3, 7, 8, 9, 15),
        _ids(5, 6, 10, 11, 12, 13, 14),
        local=_ids(15),
        networks=_on(ONION, range(7, 11)),
        default=IPV6,
    ),
    RatioCase(
        "2_onion_4_i2p_of_12_fewer_candidates_first",
        12,
        _ids(0, 1, 2, 6, 8, 10),
        _ids(3, 4, 5, 7, 9, 11),
        networks={**_on(ONION, [8, 10]), **_on(I2P, [6, 9, 11, 12])},
    ),
    # Three networks.
    RatioCase(
        "1_local_1_i2p_1_onion_of_4_i2p_wins_tie",
        4,
        _ids(0, 3),
        _ids(1, 2),
        local=_ids(2),
        networks={3: I2P, 1: ONION},
        default=IPV6,
    ),
    RatioCase(
        "1_local_1_i2p_1_onion_of_7_i2p_wins_tie",
        7,
        _ids(0, 1, 6),
        _ids(2, 3, 4, 5),
        local=_ids(4),
        networks={6: I2P, 5: ONION},
        default=IPV6,
    ),
    RatioCase(
        "1_local_1_i2p_1_onion_of_8_i2p_then_local",
        8,
        _ids(0, 1, 5, 6),
        _ids(2, 3, 4, 7),
        local=_ids(6),
        networks={5: I2P, 4: ONION},
        default=IPV6,
    ),
    RatioCase(
        "4_local_2_i2p_2_onion_of_16",
        16,
        _ids(0, 1, 2, 3, 6, 7, 9, 11),
        _ids(4, 5, 8, 10, 12, 13, 14, 15),
        local=_ids(6, 12, 13, 14, 15),
        networks={**_on(I2P, [7, 11]), **_on(ONION, [9, 10])},
    ),
    RatioCase(
        "1_local_8_i2p_1_onion_of_24",
        24,
        _ids(0, 1, 2, 3, 4, 5, 12, 15, 16, 17, 18, 23),
        _ids(6, 7, 8, 9, 10, 11, 13, 14, 19, 20, 21, 22),
        local=_ids(12),
        networks={**_on(I2P, range(15, 23)), 23: ONION},
        default=IPV6,
    ),
    RatioCase(
        "1_local_3_i2p_6_onion_of_24_i2p_gets_unused_local_slot",
        24,
        _ids(0, 1, 2, 3, 4, 5, 12, 14, 15, 17, 18, 19),
        _ids(6, 7, 8, 9, 10, 11, 13, 16, 20, 21, 22, 23),
        local=_ids(15),
        networks={**_on(I2P, [12, 14, 17]), **_on(ONION, range(18, 24))},
    ),
    RatioCase(
        "1_local_7_i2p_4_onion_of_24",
        24,
        _ids(0, 1, 2, 3, 4, 5, 12, 13, 14, 15, 17, 18),
        _ids(6, 7, 8, 9, 10, 11, 16, 19, 20, 21, 22, 23),
        local=_ids(13),
        networks={**_on(I2P, range(17, 24)), **_on(ONION, [12, 14, 15, 16])},
        default=IPV6,
    ),
    RatioCase(
        "8_local_4_cjdns_3_onion_of_24",
        24,
        _ids(0, 1, 2, 3, 4, 5, 7, 8, 11, 12, 16, 17),
        _ids(6, 9, 10, 13, 14, 15, 18, 19, 20, 21, 22, 23),
        local=frozenset(range(16, 24)),
        networks={**_on(CJDNS, range(11, 15)), **_on(ONION, range(7, 10))},
    ),
    # Four networks.
    RatioCase(
        "1_each_of_5_cjdns_wins_tie",
        5,
        _ids(0, 4),
        _ids(1, 2, 3),
        local=_ids(3),
        networks={4: CJDNS, 1: I2P, 2: ONION},
        default=IPV6,
    ),
    RatioCase(
        "1_each_of_7_cjdns_wins_tie",
        7,
        _ids(0, 1, 6),
        _ids(2, 3, 4, 5),
        local=_ids(4),
        networks={6: CJDNS, 5: I2P, 3: ONION},
    ),
    RatioCase(
        "1_each_of_8_cjdns_then_i2p",
        8,
        _ids(0, 1, 5, 6),
        _ids(2, 3, 4, 7),
        local=_ids(3),
        networks={5: CJDNS, 6: I2P, 3: ONION},
        default=IPV6,
    ),
    RatioCase(
        "2_cjdns_2_i2p_4_local_2_onion_of_16",
        16,
        _ids(0, 1, 2, 3, 6, 8, 10, 11),
        _ids(4, 5, 7, 9, 12, 13, 14, 15),
        local=frozenset(range(6, 16)),
        networks={**_on(CJDNS, [11, 15]), **_on(I2P, [10, 14]), **_on(ONION, [8, 9])},
    ),
    RatioCase(
        "6_cjdns_1_i2p_1_local_4_onion_of_24",
        24,
        _ids(0, 1, 2, 3, 4, 5, 12, 13, 14, 17, 18, 19),
        _ids(6, 7, 8, 9, 10, 11, 15, 16, 20, 21, 22, 23),
        local=_ids(13),
        networks={**_on(CJDNS, range(18, 24)), 17: I2P, **_on(ONION, [12, 14, 15, 16])},
        default=IPV6,
    ),
]


def IsProtected(case: RatioCase, random_context: FastRandomContext) -> bool:
    """Upstream's helper: after protection, none of ``case.protected`` and all of
    ``case.unprotected`` are still eviction candidates. (Ids may name peers that do not exist,
    as in upstream's 4-peer cases; those count as protected.)"""
    candidates = GetRandomNodeEvictionCandidates(case.num_peers, random_context)
    for c in candidates:
        case.setup(c)
    random_context.shuffle(candidates)
    size = len(candidates)
    ProtectEvictionCandidatesByRatio(candidates)
    assert len(candidates) == size - size // 2  # half of them protected
    remaining = {c.id for c in candidates}
    return not (case.protected & remaining) and case.unprotected <= remaining


@pytest.mark.parametrize("case", RATIO_CASES, ids=[c.name for c in RATIO_CASES])
def test_protect_by_ratio_protects_exact_peers(case: RatioCase) -> None:
    assert IsProtected(case, FastRandomContext(deterministic=True))


def test_protect_by_ratio_runs_upstreams_cases_in_sequence_on_one_rng() -> None:
    # peer_protection_test threads one deterministic context through every check.
    random_context = FastRandomContext(deterministic=True)
    for case in RATIO_CASES:
        assert IsProtected(case, random_context), case.name


def test_protect_by_ratio_with_one_or_no_candidate_protects_none() -> None:
    for n in (0, 1):
        candidates = [_candidate(i) for i in range(n)]
        ProtectEvictionCandidatesByRatio(candidates)
        assert [c.id for c in candidates] == list(range(n))


def test_protect_by_ratio_leaves_survivors_youngest_first() -> None:
    candidates = [_candidate(i, m_connected=i) for i in (3, 0, 5, 1, 4, 2)]
    ProtectEvictionCandidatesByRatio(candidates)
    assert [c.id for c in candidates] == [5, 4, 3]


# --- SelectNodeToEvict ---------------------------------------------------------------------------


def IsEvicted(
    number_of_nodes: int,
    candidate_setup_fn: Callable[[NodeEvictionCandidate], None],
    node_ids: set[int],
    random_context: FastRandomContext,
) -> bool:
    candidates = GetRandomNodeEvictionCandidates(number_of_nodes, random_context)
    for c in candidates:
        candidate_setup_fn(c)
    random_context.shuffle(candidates)
    evicted = SelectNodeToEvict(candidates)
    return evicted is not None and evicted in node_ids


def _peer_eviction_checks(number_of_nodes: int, random_context: FastRandomContext) -> None:
    n = number_of_nodes

    def netgroup(c: NodeEvictionCandidate) -> None:
        c.nKeyedNetGroup = n - c.id

    def ping(c: NodeEvictionCandidate) -> None:
        c.m_min_ping_time = c.id

    def tx_time(c: NodeEvictionCandidate) -> None:
        c.m_last_tx_time = n - c.id

    def block_relay_only(c: NodeEvictionCandidate) -> None:
        c.m_last_block_time = n - c.id
        if c.id <= 7:
            c.m_relay_txs = False
            c.fRelevantServices = True

    def block_time(c: NodeEvictionCandidate) -> None:
        c.m_last_block_time = n - c.id

    def everything(c: NodeEvictionCandidate) -> None:
        c.nKeyedNetGroup = n - c.id
        c.m_min_ping_time = c.id
        c.m_last_tx_time = n - c.id
        c.m_last_block_time = n - c.id

    # 4 by netgroup, 8 by ping, 4 by tx, up to 8 block-relay-only, 4 by block time.
    assert not IsEvicted(n, netgroup, set(range(4)), random_context)
    assert not IsEvicted(n, ping, set(range(8)), random_context)
    assert not IsEvicted(n, tx_time, set(range(4)), random_context)
    assert not IsEvicted(n, block_relay_only, set(range(8)), random_context)
    assert not IsEvicted(n, block_time, set(range(4)), random_context)
    assert not IsEvicted(n, block_relay_only, set(range(12)), random_context)
    assert not IsEvicted(n, everything, set(range(20)), random_context)

    # At most 4 + 8 + 4 + 8 + 4 = 28 are protected before the ratio step; at least 20.
    if n >= 29:
        assert SelectNodeToEvict(GetRandomNodeEvictionCandidates(n, random_context)) is not None
    if n <= 20:
        assert SelectNodeToEvict(GetRandomNodeEvictionCandidates(n, random_context)) is None


#: Upstream loops over every size from 0 to 199. Every size up to 40 (where the 20 and 29
#: thresholds lie) and every 8th beyond keep this test fast in pure Python.
PEER_EVICTION_SIZES = [*range(41), *range(47, 200, 8)]


def test_select_node_to_evict_respects_every_protection_for_0_to_199_candidates() -> None:
    random_context = FastRandomContext(deterministic=True)
    for number_of_nodes in PEER_EVICTION_SIZES:
        _peer_eviction_checks(number_of_nodes, random_context)


def _winners() -> list[NodeEvictionCandidate]:
    """20 peers (ids 100..119) that each clearly win one fixed protection: 4 by netgroup key,
    8 by ping, 4 by transaction time, 4 by block time."""
    winners = []
    for i in range(20):
        c = _candidate(100 + i, nKeyedNetGroup=5000 + i, m_min_ping_time=1000)
        if i < 4:
            c.nKeyedNetGroup = 10_000 + i
        elif i < 12:
            c.m_min_ping_time = 0
        elif i < 16:
            c.m_last_tx_time = 50
        else:
            c.m_last_block_time = 50
        winners.append(c)
    return winners


def _ordinary(groups: list[int]) -> list[NodeEvictionCandidate]:
    """Peers 0..n-1 that win nothing; peer i connected at 10*i, in netgroup groups[i]."""
    return [
        _candidate(i, m_connected=10 * i, m_min_ping_time=1000, nKeyedNetGroup=g)
        for i, g in enumerate(groups)
    ]


def test_select_node_to_evict_protects_the_twenty_fixed_winners() -> None:
    # 20 winners plus one ordinary peer: the ratio step protects 0 of 1, so it goes.
    assert SelectNodeToEvict(_winners() + _ordinary([1])) == 0
    assert SelectNodeToEvict(_winners()) is None


def test_select_node_to_evict_never_picks_noban_or_outbound() -> None:
    rest = _ordinary([1] * 10)
    rest[9].m_noban = True
    rest[8].m_conn_type = ConnectionType.OUTBOUND_FULL_RELAY
    # Inbound, not noban: 0..7; the ratio step protects 0..3; the youngest left is 7.
    assert SelectNodeToEvict(_winners() + rest) == 7
    rest[8].m_conn_type = ConnectionType.INBOUND
    assert SelectNodeToEvict(_winners() + rest) == 8
    for c in rest:
        c.m_noban = True
    assert SelectNodeToEvict(rest) is None


@pytest.mark.parametrize("conn_type", [t for t in ConnectionType if t != ConnectionType.INBOUND])
def test_select_node_to_evict_ignores_every_outbound_type(conn_type: ConnectionType) -> None:
    rest = _ordinary([1] * 8)
    rest[7].m_conn_type = conn_type
    assert SelectNodeToEvict(_winners() + rest) == 6


def test_select_node_to_evict_prefers_peers_marked_prefer_evict() -> None:
    rest = _ordinary([1] * 8)
    rest[5].prefer_evict = True
    assert SelectNodeToEvict(_winners() + rest) == 5


def test_select_node_to_evict_ignores_prefer_evict_of_protected_peers() -> None:
    rest = _ordinary([1] * 8)
    rest[1].prefer_evict = True  # among the oldest half, protected by uptime
    _winners_list = _winners()
    _winners_list[0].prefer_evict = True
    assert SelectNodeToEvict(_winners_list + rest) == 7


def test_select_node_to_evict_picks_youngest_of_the_largest_netgroup() -> None:
    # After uptime protection of 0..3: 4, 5, 6 share netgroup 2; 7 is alone in netgroup 1.
    rest = _ordinary([3, 3, 3, 3, 2, 2, 2, 1])
    assert SelectNodeToEvict(_winners() + rest) == 6


def test_select_node_to_evict_breaks_netgroup_size_tie_by_youngest_member() -> None:
    # Left after uptime protection: 4 and 6 in netgroup 1, 5 and 7 in netgroup 2. Equal sizes;
    # netgroup 2 holds the youngest peer (7), so its youngest goes.
    rest = _ordinary([1, 2, 1, 2, 1, 2, 1, 2])
    assert SelectNodeToEvict(_winners() + rest) == 7
    # Sizes decide first: 4, 5, 6 in netgroup 1 outnumber 7 alone in netgroup 2.
    rest = _ordinary([3, 3, 3, 3, 1, 1, 1, 2])
    assert SelectNodeToEvict(_winners() + rest) == 6


def test_select_node_to_evict_leaves_the_callers_list_alone() -> None:
    candidates = GetRandomNodeEvictionCandidates(40, FastRandomContext(deterministic=True))
    before = list(candidates)
    SelectNodeToEvict(candidates)
    assert candidates == before


# --- EraseLastKElements and comparators ---------------------------------------------------------


def test_erase_last_k_elements_sorts_then_drops_matching_tail() -> None:
    candidates = [_candidate(i, m_min_ping_time=p) for i, p in enumerate([5, 1, 9, 3, 7])]
    EraseLastKElements(
        candidates, ReverseCompareNodeMinPingTime, 3, lambda c: c.m_min_ping_time != 3
    )
    # Sorted by descending ping: 9,7,5,3,1; of the last three (5,3,1) all but ping 3 go.
    assert [c.m_min_ping_time for c in candidates] == [9, 7, 3]


def test_erase_last_k_elements_with_k_zero_only_sorts() -> None:
    candidates = [_candidate(i, m_min_ping_time=p) for i, p in enumerate([5, 1, 9])]
    EraseLastKElements(candidates, ReverseCompareNodeMinPingTime, 0)
    assert [c.m_min_ping_time for c in candidates] == [9, 5, 1]


def test_erase_last_k_elements_with_k_beyond_size_erases_all() -> None:
    candidates = [_candidate(i) for i in range(3)]
    EraseLastKElements(candidates, ReverseCompareNodeMinPingTime, 8)
    assert candidates == []


def test_compare_node_block_time_falls_through_to_services_then_uptime() -> None:
    a = _candidate(1, m_last_block_time=5, fRelevantServices=False, m_connected=10)
    b = _candidate(2, m_last_block_time=5, fRelevantServices=True, m_connected=20)
    assert CompareNodeBlockTime(a, b) and not CompareNodeBlockTime(b, a)
    c = _candidate(3, m_last_block_time=5, fRelevantServices=False, m_connected=5)
    assert CompareNodeBlockTime(a, c)  # a is younger, so it sorts first (less protected)


def test_compare_node_tx_time_orders_relay_then_bloom() -> None:
    no_relay = _candidate(1, m_relay_txs=False)
    relay = _candidate(2, m_relay_txs=True)
    assert CompareNodeTXTime(no_relay, relay)
    bloom = _candidate(3, fBloomFilter=True)
    plain = _candidate(4, fBloomFilter=False)
    assert CompareNodeTXTime(bloom, plain)


def test_compare_node_network_time_puts_matching_network_last() -> None:
    cmp = CompareNodeNetworkTime(False, ONION)
    onion = _candidate(1, m_network=ONION, m_connected=0)
    ipv4 = _candidate(2, m_network=IPV4, m_connected=0)
    assert cmp(ipv4, onion) and not cmp(onion, ipv4)
    local = CompareNodeNetworkTime(True, Network.NET_MAX)
    assert local(ipv4, _candidate(3, m_is_local=True))
