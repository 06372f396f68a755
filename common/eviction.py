"""Inbound eviction: which peer to drop when the inbound slots are full (src/node/eviction.{h,cpp}).

CConnman::AttemptToEvictConnection builds one :class:`NodeEvictionCandidate` per connection and
asks :func:`SelectNodeToEvict` for a victim. Peers with hard-to-forge merits (distinct netgroups,
low latency, useful transactions and blocks, long uptime, disadvantaged networks) are protected
first; the victim comes from the most populous netgroup among what is left.

Comparators are upstream's strict-weak "less than" functions; :func:`EraseLastKElements` sorts
with them through a key whose ``<`` is the comparator. Python's sort is stable where
``std::sort`` is not, so candidates that compare equal keep their incoming order; upstream leaves
that order unspecified.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .connection_types import ConnectionType
from .netaddress import Network
from .nodeid import NodeId

#: A strict-weak ordering: True when ``a`` sorts before ``b``.
Comparator = Callable[["NodeEvictionCandidate", "NodeEvictionCandidate"], bool]
Predicate = Callable[["NodeEvictionCandidate"], bool]


@dataclass(slots=True)
class NodeEvictionCandidate:
    """What eviction knows about one connection; a snapshot taken by CConnman."""

    id: NodeId
    m_connected: int  # seconds (std::chrono::seconds): when the connection was made
    m_min_ping_time: int  # microseconds (std::chrono::microseconds)
    m_last_block_time: int  # seconds: last novel block from this peer, 0 if none
    m_last_tx_time: int  # seconds: last novel mempool transaction from this peer, 0 if none
    fRelevantServices: bool
    m_relay_txs: bool
    fBloomFilter: bool
    nKeyedNetGroup: int  # uint64_t
    prefer_evict: bool
    m_is_local: bool
    m_network: Network
    m_noban: bool
    m_conn_type: ConnectionType


def ReverseCompareNodeMinPingTime(a: NodeEvictionCandidate, b: NodeEvictionCandidate) -> bool:
    return a.m_min_ping_time > b.m_min_ping_time


def ReverseCompareNodeTimeConnected(a: NodeEvictionCandidate, b: NodeEvictionCandidate) -> bool:
    return a.m_connected > b.m_connected


def CompareNetGroupKeyed(a: NodeEvictionCandidate, b: NodeEvictionCandidate) -> bool:
    return a.nKeyedNetGroup < b.nKeyedNetGroup


def CompareNodeBlockTime(a: NodeEvictionCandidate, b: NodeEvictionCandidate) -> bool:
    # Many peers have relayed no block yet, hence the tie-breakers.
    if a.m_last_block_time != b.m_last_block_time:
        return a.m_last_block_time < b.m_last_block_time
    if a.fRelevantServices != b.fRelevantServices:
        return b.fRelevantServices
    return a.m_connected > b.m_connected


def CompareNodeTXTime(a: NodeEvictionCandidate, b: NodeEvictionCandidate) -> bool:
    # Many peers have relayed no transaction yet, hence the tie-breakers.
    if a.m_last_tx_time != b.m_last_tx_time:
        return a.m_last_tx_time < b.m_last_tx_time
    if a.m_relay_txs != b.m_relay_txs:
        return b.m_relay_txs
    if a.fBloomFilter != b.fBloomFilter:
        return a.fBloomFilter
    return a.m_connected > b.m_connected


def CompareNodeBlockRelayOnlyTime(a: NodeEvictionCandidate, b: NodeEvictionCandidate) -> bool:
    """Non-tx-relay peers last, and among them the most recent block senders last."""
    if a.m_relay_txs != b.m_relay_txs:
        return a.m_relay_txs
    if a.m_last_block_time != b.m_last_block_time:
        return a.m_last_block_time < b.m_last_block_time
    if a.fRelevantServices != b.fRelevantServices:
        return b.fRelevantServices
    return a.m_connected > b.m_connected


class CompareNodeNetworkTime:
    """Orders candidates so that the ones to protect for ``network`` (or localhost) come last.

    First the candidates that are neither local (when ``is_local``) nor on ``network``, then those
    that are; each part from most recently connected to longest connected.
    """

    __slots__ = ("m_is_local", "m_network")

    m_is_local: bool
    m_network: Network

    def __init__(self, is_local: bool, network: Network) -> None:
        self.m_is_local = is_local
        self.m_network = network

    def __call__(self, a: NodeEvictionCandidate, b: NodeEvictionCandidate) -> bool:
        if self.m_is_local and a.m_is_local != b.m_is_local:
            return b.m_is_local
        if (a.m_network == self.m_network) != (b.m_network == self.m_network):
            return b.m_network == self.m_network
        return a.m_connected > b.m_connected


class _ComparatorKey:
    """A sort key whose ``<`` is a comparator: list.sort only ever asks "less than"."""

    __slots__ = ("c", "less")

    c: NodeEvictionCandidate
    less: Comparator

    def __init__(self, c: NodeEvictionCandidate, less: Comparator) -> None:
        self.c = c
        self.less = less

    def __lt__(self, other: _ComparatorKey) -> bool:
        return self.less(self.c, other.c)


def EraseLastKElements(
    elements: list[NodeEvictionCandidate],
    comparator: Comparator,
    k: int,
    predicate: Predicate = lambda n: True,
) -> None:
    """Sort ``elements`` in place by ``comparator``, then drop those of the last ``k`` for which
    ``predicate`` holds (dropping a candidate protects it from eviction)."""
    elements.sort(key=lambda c: _ComparatorKey(c, comparator))
    erase_size = min(k, len(elements))
    start = len(elements) - erase_size
    elements[start:] = [n for n in elements[start:] if not predicate(n)]


def ProtectNoBanConnections(eviction_candidates: list[NodeEvictionCandidate]) -> None:
    eviction_candidates[:] = [n for n in eviction_candidates if not n.m_noban]


def ProtectOutboundConnections(eviction_candidates: list[NodeEvictionCandidate]) -> None:
    eviction_candidates[:] = [
        n for n in eviction_candidates if n.m_conn_type == ConnectionType.INBOUND
    ]


@dataclass(slots=True)
class _Net:
    """One disadvantaged network (or localhost) competing for the reserved protected slots."""

    is_local: bool
    id: Network
    count: int

    def matches(self, c: NodeEvictionCandidate) -> bool:
        return c.m_is_local if self.is_local else c.m_network == self.id


def ProtectEvictionCandidatesByRatio(eviction_candidates: list[NodeEvictionCandidate]) -> None:
    """Protect (remove from ``eviction_candidates``, in place) half of them by uptime.

    Up to half of those protected slots, a quarter of all candidates, go first to peers on
    networks that otherwise lose out on latency: CJDNS, I2P, localhost (hidden services that were
    not bound with ``=onion`` show up as local) and onion, each taken by longest uptime within its
    network. Networks with fewer candidates get the first chance at slots another left unused.
    The rest of the half goes to the longest-connected remaining candidates overall.
    """
    initial_size = len(eviction_candidates)
    total_protect_size = initial_size // 2

    # On equal counts, the earlier entry here gets the first pick of leftover slots.
    networks = [
        _Net(False, Network.NET_CJDNS, 0),
        _Net(False, Network.NET_I2P, 0),
        _Net(True, Network.NET_MAX, 0),  # localhost
        _Net(False, Network.NET_ONION, 0),
    ]
    for n in networks:
        n.count = sum(1 for c in eviction_candidates if n.matches(c))
    networks.sort(key=lambda n: n.count)  # stable, as upstream's std::stable_sort

    max_protect_by_network = total_protect_size // 2
    num_protected = 0

    while num_protected < max_protect_by_network:
        num_networks = sum(1 for n in networks if n.count)
        if num_networks == 0:
            break
        disadvantaged_to_protect = max_protect_by_network - num_protected
        protect_per_network = max(disadvantaged_to_protect // num_networks, 1)
        protected_at_least_one = False

        for n in networks:
            if n.count == 0:
                continue
            before = len(eviction_candidates)
            EraseLastKElements(
                eviction_candidates,
                CompareNodeNetworkTime(n.is_local, n.id),
                protect_per_network,
                n.matches,
            )
            after = len(eviction_candidates)
            if before > after:
                protected_at_least_one = True
                delta = before - after
                num_protected += delta
                if num_protected >= max_protect_by_network:
                    break
                n.count -= delta
        if not protected_at_least_one:
            break

    assert num_protected == initial_size - len(eviction_candidates)
    remaining_to_protect = total_protect_size - num_protected
    EraseLastKElements(eviction_candidates, ReverseCompareNodeTimeConnected, remaining_to_protect)


def _block_relay_only_with_services(n: NodeEvictionCandidate) -> bool:
    return not n.m_relay_txs and n.fRelevantServices


def SelectNodeToEvict(vEvictionCandidates: list[NodeEvictionCandidate]) -> NodeId | None:
    """Pick an inbound peer to evict, or None when every candidate ends up protected.

    Upstream takes the vector by rvalue reference; here the caller's list is left untouched and a
    copy is whittled down. ``std::optional<NodeId>`` became ``NodeId | None``.
    """
    candidates = list(vEvictionCandidates)

    ProtectNoBanConnections(candidates)
    ProtectOutboundConnections(candidates)

    # 4 by keyed netgroup: an attacker cannot predict which netgroups win.
    EraseLastKElements(candidates, CompareNetGroupKeyed, 4)
    # 8 by lowest minimum ping: only moving closer to us improves it.
    EraseLastKElements(candidates, ReverseCompareNodeMinPingTime, 8)
    # 4 that most recently gave us novel mempool transactions: that takes useful work.
    EraseLastKElements(candidates, CompareNodeTXTime, 4)
    # Up to 8 non-tx-relay peers (with the services we want) that sent us novel blocks.
    EraseLastKElements(
        candidates, CompareNodeBlockRelayOnlyTime, 8, _block_relay_only_with_services
    )
    # 4 that most recently gave us novel blocks: that takes useful work too.
    EraseLastKElements(candidates, CompareNodeBlockTime, 4)

    ProtectEvictionCandidatesByRatio(candidates)

    if not candidates:
        return None

    # A peer that is best by the criteria above is kept even if it prefers eviction; among the
    # rest, only those preferring eviction are considered when there are any.
    if any(n.prefer_evict for n in candidates):
        candidates = [n for n in candidates if n.prefer_evict]

    # The netgroup with most connections, ties going to the one whose youngest member is
    # youngest. The list is in reverse connect-time order, so group[0] is the youngest.
    naMostConnections = 0
    nMostConnections = 0
    nMostConnectionsTime = 0  # seconds
    mapNetGroupNodes: dict[int, list[NodeEvictionCandidate]] = {}
    for node in candidates:
        group = mapNetGroupNodes.setdefault(node.nKeyedNetGroup, [])
        group.append(node)
        grouptime = group[0].m_connected
        if len(group) > nMostConnections or (
            len(group) == nMostConnections and grouptime > nMostConnectionsTime
        ):
            nMostConnections = len(group)
            nMostConnectionsTime = grouptime
            naMostConnections = node.nKeyedNetGroup

    # Evict the youngest member of that netgroup.
    return mapNetGroupNodes[naMostConnections][0].id
