"""AddrMan: bucketing, collisions, selection, GetAddr, statistics and serialization.

Ported from upstream's src/test/addrman_tests.cpp. The deterministic AddrMan (nKey = 1, zero-key
randomness) makes bucket placement and every random choice the same as upstream's, so the
expected numbers (buckets 40 and 786, 2006 addresses, the 19/36 collision) are upstream's.
The asmap cases are left out: there is no asmap here.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import given
from hypothesis import strategies as st

from common.addrdb import ReadFromStream
from common.addrman import (
    ADDRMAN_BUCKET_SIZE,
    ADDRMAN_NEW_BUCKET_COUNT,
    ADDRMAN_TRIED_BUCKET_COUNT,
    AddressPosition,
    AddrInfo,
    AddrMan,
    InvalidAddrManVersionError,
)
from common.chainparams import Params
from common.clock import GetTime, SetMockTime
from common.hash import Hash
from common.netaddress import CNetAddr, CService, Network
from common.netbase import Lookup, LookupHost
from common.netgroup import NetGroupManager
from common.protocol import (
    NODE_NETWORK,
    NODE_NETWORK_LIMITED,
    NODE_NONE,
    NODE_P2P_V2,
    CAddress,
)
from common.serialize import DataStream, SerializationError, ser_i32, ser_u8
from common.uint256 import uint256

EMPTY_NETGROUPMAN = NetGroupManager()
DETERMINISTIC = True
#: Upstream's tests run with -checkaddrman=100.
CHECK_RATIO = 100

I2P_1 = "udhdrtrcetjm5sxzskjyr5ztpeszydbh4dpl3pl4utgqqw2v4jna.b32.i2p"
I2P_2 = "c4gfnttsuwqomiygupdqqqyy5y5emnk5c73hrfvatri67prd7vyq.b32.i2p"


@pytest.fixture(autouse=True)
def _real_time() -> Iterator[None]:
    SetMockTime(0)
    yield
    SetMockTime(0)


def ResolveIP(ip: str) -> CNetAddr:
    addr = LookupHost(ip)
    assert addr is not None, f"failed to resolve: {ip}"
    return addr


def ResolveService(ip: str, port: int = 0) -> CService:
    serv = Lookup(ip, port)
    assert serv is not None, f"failed to resolve: {ip}:{port}"
    return serv


def new_addrman(deterministic: bool = DETERMINISTIC) -> AddrMan:
    return AddrMan(EMPTY_NETGROUPMAN, deterministic, CHECK_RATIO)


def entries(addrman: AddrMan, from_tried: bool) -> list[tuple[str, int, AddressPosition]]:
    return [
        (info.ToStringAddrPort(), info.nAttempts, pos)
        for info, pos in addrman.GetEntries(from_tried)
    ]


# -- AddrInfo bucketing -----------------------------------------------------------------------


def test_get_tried_bucket_matches_upstream_and_spreads_a_group_over_8_buckets() -> None:
    addr1 = CAddress(ResolveService("250.1.1.1", 8333), NODE_NONE)
    addr2 = CAddress(ResolveService("250.1.1.1", 9999), NODE_NONE)
    source1 = ResolveIP("250.1.1.1")
    info1 = AddrInfo(addr1, source1)

    nKey1 = Hash(ser_i32(1))
    nKey2 = Hash(ser_i32(2))

    assert info1.GetTriedBucket(nKey1, EMPTY_NETGROUPMAN) == 40
    # The key randomizes placement.
    assert info1.GetTriedBucket(nKey1, EMPTY_NETGROUPMAN) != info1.GetTriedBucket(
        nKey2, EMPTY_NETGROUPMAN
    )
    # Same IP, another port: another key, another bucket.
    info2 = AddrInfo(addr2, source1)
    assert info1.GetKey() != info2.GetKey()
    assert info1.GetTriedBucket(nKey1, EMPTY_NETGROUPMAN) != info2.GetTriedBucket(
        nKey1, EMPTY_NETGROUPMAN
    )

    buckets = {
        AddrInfo(
            CAddress(ResolveService(f"250.1.1.{i}"), NODE_NONE), ResolveIP(f"250.1.1.{i}")
        ).GetTriedBucket(nKey1, EMPTY_NETGROUPMAN)
        for i in range(255)
    }
    # One /16 never gets more than 8 tried buckets.
    assert len(buckets) == 8

    buckets = {
        AddrInfo(
            CAddress(ResolveService(f"250.{j}.1.1"), NODE_NONE), ResolveIP(f"250.{j}.1.1")
        ).GetTriedBucket(nKey1, EMPTY_NETGROUPMAN)
        for j in range(255)
    }
    assert len(buckets) == 160


def test_get_new_bucket_matches_upstream_and_ignores_the_port() -> None:
    addr1 = CAddress(ResolveService("250.1.2.1", 8333), NODE_NONE)
    addr2 = CAddress(ResolveService("250.1.2.1", 9999), NODE_NONE)
    source1 = ResolveIP("250.1.2.1")
    info1 = AddrInfo(addr1, source1)

    nKey1 = Hash(ser_i32(1))
    nKey2 = Hash(ser_i32(2))

    assert info1.GetNewBucket(nKey1, EMPTY_NETGROUPMAN) == 786
    assert info1.GetNewBucket(nKey1, source1, EMPTY_NETGROUPMAN) == 786
    assert info1.GetNewBucket(nKey1, EMPTY_NETGROUPMAN) != info1.GetNewBucket(
        nKey2, EMPTY_NETGROUPMAN
    )

    info2 = AddrInfo(addr2, source1)
    assert info1.GetKey() != info2.GetKey()
    assert info1.GetNewBucket(nKey1, EMPTY_NETGROUPMAN) == info2.GetNewBucket(
        nKey1, EMPTY_NETGROUPMAN
    )

    # Same group, same source group: one bucket.
    buckets = {
        AddrInfo(
            CAddress(ResolveService(f"250.1.1.{i}"), NODE_NONE), ResolveIP(f"250.1.1.{i}")
        ).GetNewBucket(nKey1, EMPTY_NETGROUPMAN)
        for i in range(255)
    }
    assert len(buckets) == 1

    # One source group spreads over at most 64 buckets.
    buckets = {
        AddrInfo(
            CAddress(ResolveService(f"{250 + j // 255}.{j % 256}.1.1"), NODE_NONE),
            ResolveIP("251.4.1.1"),
        ).GetNewBucket(nKey1, EMPTY_NETGROUPMAN)
        for j in range(4 * 255)
    }
    assert len(buckets) <= 64

    # Different source groups spread over more.
    buckets = {
        AddrInfo(
            CAddress(ResolveService("250.1.1.1"), NODE_NONE), ResolveIP(f"250.{p}.1.1")
        ).GetNewBucket(nKey1, EMPTY_NETGROUPMAN)
        for p in range(255)
    }
    assert len(buckets) > 64


def test_addrinfo_is_terrible_and_get_chance_follow_upstream_rules() -> None:
    now = 1_700_000_000
    info = AddrInfo(CAddress(ResolveService("250.1.1.1", 8333), NODE_NONE, now), CNetAddr())
    assert not info.IsTerrible(now)
    assert info.GetChance(now) == 1.0

    info.nTime = now + 10 * 60 + 1  # from the future
    assert info.IsTerrible(now)
    info.nTime = now - 30 * 24 * 60 * 60 - 1  # older than the horizon
    assert info.IsTerrible(now)
    info.m_last_try = now - 30  # tried in the last minute: never terrible
    assert not info.IsTerrible(now)

    info.nTime = now
    info.m_last_try = now - 61
    info.nAttempts = 3  # three failures and never a success
    assert info.IsTerrible(now)
    info.m_last_success = now - 8 * 24 * 60 * 60
    assert not info.IsTerrible(now)
    info.nAttempts = 10  # ten failures, last success over a week ago
    assert info.IsTerrible(now)

    info.nAttempts = 2
    info.m_last_try = now - 5 * 60  # tried recently
    assert info.GetChance(now) == pytest.approx(0.01 * 0.66**2)
    info.nAttempts = 20
    info.m_last_try = now - 3600
    assert info.GetChance(now) == pytest.approx(0.66**8)


# -- Add, Select, Good --------------------------------------------------------------------------


def test_addrman_simple() -> None:
    addrman = new_addrman()
    source = ResolveIP("252.2.2.2")

    assert addrman.Size() == 0
    assert addrman.Select()[0].ToStringAddrPort() == "[::]:0"

    addr1 = ResolveService("250.1.1.1", 8333)
    assert addrman.Add([CAddress(addr1, NODE_NONE)], source)
    assert addrman.Size() == 1
    assert addrman.Select()[0].ToStringAddrPort() == "250.1.1.1:8333"

    # A duplicate is not added.
    assert not addrman.Add([CAddress(ResolveService("250.1.1.1", 8333), NODE_NONE)], source)
    assert addrman.Size() == 1

    assert addrman.Add([CAddress(ResolveService("250.1.1.2", 8333), NODE_NONE)], source)
    assert addrman.Size() == 2

    addrman = new_addrman()
    vAddr = [
        CAddress(ResolveService("250.1.1.3", 8333), NODE_NONE),
        CAddress(ResolveService("250.1.1.4", 8333), NODE_NONE),
    ]
    assert addrman.Add(vAddr, source)
    assert addrman.Size() == 2


def test_addrman_rejects_unroutable_addresses() -> None:
    addrman = new_addrman()
    source = ResolveIP("252.2.2.2")
    assert not addrman.Add([CAddress(ResolveService("10.0.0.1", 8333), NODE_NONE)], source)
    assert not addrman.Add([CAddress(ResolveService("127.0.0.1", 8333), NODE_NONE)], source)
    assert addrman.Size() == 0


def test_addrman_ports_are_separate_entries() -> None:
    addrman = new_addrman()
    source = ResolveIP("252.2.2.2")

    addr1 = ResolveService("250.1.1.1", 8333)
    assert addrman.Add([CAddress(addr1, NODE_NONE)], source)
    assert addrman.Size() == 1

    addr1_port = ResolveService("250.1.1.1", 8334)
    assert addrman.Add([CAddress(addr1_port, NODE_NONE)], source)
    assert addrman.Size() == 2
    assert addrman.Select()[0].ToStringAddrPort() in ("250.1.1.1:8333", "250.1.1.1:8334")

    # Good moves the entry with that port to tried, not the other one.
    addrman.Good(CAddress(addr1_port, NODE_NONE))
    assert addrman.Size() == 2
    assert addrman.Select(new_only=True)[0].ToStringAddrPort() == "250.1.1.1:8333"


def test_addrman_select_from_new_and_tried() -> None:
    addrman = new_addrman()
    assert not addrman.Select(False)[0].IsValid()
    assert not addrman.Select(True)[0].IsValid()

    source = ResolveIP("252.2.2.2")
    addr1 = ResolveService("250.1.1.1", 8333)
    assert addrman.Add([CAddress(addr1, NODE_NONE)], source)
    assert addrman.Size() == 1
    assert addrman.Select(new_only=True)[0] == CAddress(addr1, NODE_NONE)
    assert addrman.Select(new_only=False)[0] == CAddress(addr1, NODE_NONE)

    # To tried.
    assert addrman.Good(CAddress(addr1, NODE_NONE))
    assert addrman.Size() == 1
    assert not addrman.Select(new_only=True)[0].IsValid()
    assert addrman.Select()[0] == CAddress(addr1, NODE_NONE)

    addr2 = ResolveService("250.3.1.1", 8333)
    assert addrman.Add([CAddress(addr2, NODE_NONE)], addr2)
    assert addrman.Select(new_only=True)[0] == CAddress(addr2, NODE_NONE)

    addr3 = ResolveService("250.3.2.2", 9999)
    addr4 = ResolveService("250.3.3.3", 9999)
    assert addrman.Add([CAddress(addr3, NODE_NONE)], addr2)
    assert addrman.Add([CAddress(addr4, NODE_NONE)], ResolveService("250.4.1.1", 8333))

    addr5 = ResolveService("250.4.4.4", 8333)
    addr6 = ResolveService("250.4.5.5", 7777)
    addr7 = ResolveService("250.4.6.6", 8333)
    assert addrman.Add([CAddress(addr5, NODE_NONE)], addr3)
    assert addrman.Good(CAddress(addr5, NODE_NONE))
    assert addrman.Add([CAddress(addr6, NODE_NONE)], addr3)
    assert addrman.Good(CAddress(addr6, NODE_NONE))
    assert addrman.Add([CAddress(addr7, NODE_NONE)], ResolveService("250.1.1.3", 8333))
    assert addrman.Good(CAddress(addr7, NODE_NONE))

    assert addrman.Size() == 7
    assert addrman.Size(in_new=True) == 3
    assert addrman.Size(in_new=False) == 4

    # Select draws from both tables, whatever the port.
    ports = {addrman.Select()[0].GetPort() for _ in range(20)}
    assert ports == {7777, 8333, 9999}


def test_addrman_select_by_network() -> None:
    addrman = new_addrman()
    ipv4 = frozenset({Network.NET_IPV4})
    assert not addrman.Select(True, ipv4)[0].IsValid()
    assert not addrman.Select(False, ipv4)[0].IsValid()

    source = ResolveIP("252.2.2.2")
    addr1 = CAddress(ResolveService("250.1.1.1", 8333), NODE_NONE)
    assert addrman.Add([addr1], source)

    assert addrman.Select(True, ipv4)[0] == addr1
    assert addrman.Select(False, ipv4)[0] == addr1
    for net in (Network.NET_IPV6, Network.NET_ONION, Network.NET_I2P, Network.NET_CJDNS):
        assert not addrman.Select(False, {net})[0].IsValid()
    assert not addrman.Select(True, {Network.NET_CJDNS})[0].IsValid()
    assert addrman.Select(False)[0] == addr1

    i2p_addr = CAddress(CService(ResolveIP(I2P_1), 0), NODE_NONE)
    assert addrman.Add([i2p_addr], source)

    assert addrman.Select(True, {Network.NET_I2P})[0] == i2p_addr
    assert addrman.Select(False, {Network.NET_I2P})[0] == i2p_addr
    assert addrman.Select(False, ipv4)[0] == addr1
    assert addrman.Select(False, {Network.NET_IPV4, Network.NET_I2P})[0].IsValid()
    without_entries = {Network.NET_IPV6, Network.NET_ONION, Network.NET_CJDNS}
    assert not addrman.Select(False, without_entries)[0].IsValid()

    # I2P address to tried.
    assert addrman.Good(i2p_addr)
    assert not addrman.Select(True, {Network.NET_I2P})[0].IsValid()
    assert addrman.Select(False, {Network.NET_I2P})[0] == i2p_addr

    i2p_addr2 = CAddress(CService(ResolveIP(I2P_2), 0), NODE_NONE)
    assert addrman.Add([i2p_addr2], source)
    assert addrman.Select(True, {Network.NET_I2P})[0] == i2p_addr2

    # Both tables get picked.
    seen = set()
    for _ in range(255):
        selected = addrman.Select(False, {Network.NET_I2P})[0]
        assert selected in (i2p_addr, i2p_addr2)
        seen.add(selected.ToStringAddrPort())
        if len(seen) == 2:
            break
    assert len(seen) == 2


def test_addrman_select_special_picks_the_only_table_holding_the_network() -> None:
    # Not deterministic, so a pass is not down to the seed.
    addrman = new_addrman(deterministic=False)
    source = ResolveIP("252.2.2.2")

    i2p_addr = CAddress(CService(ResolveIP(I2P_1), 0), NODE_NONE)
    assert addrman.Add([i2p_addr], source)
    assert addrman.Good(i2p_addr)

    addr1 = CAddress(ResolveService("250.1.1.3", 8333), NODE_NONE)
    assert addrman.Add([addr1], source)

    for _ in range(10):
        assert addrman.Select(False, {Network.NET_IPV4})[0] == addr1


def test_addrman_new_collisions() -> None:
    addrman = new_addrman()
    source = ResolveIP("252.2.2.2")

    # 250.1.1.1 - 250.1.1.22 do not collide in new with the deterministic key.
    for num_addrs in range(1, 23):
        addr = ResolveService(f"250.1.1.{num_addrs}")
        assert addrman.Add([CAddress(addr, NODE_NONE)], source)
        assert addrman.Size() == num_addrs

    # 250.1.1.23 collides: it replaces nothing, and is not kept.
    assert addrman.Add([CAddress(ResolveService("250.1.1.23"), NODE_NONE)], source)
    assert addrman.Size() == 22

    assert addrman.Add([CAddress(ResolveService("250.1.1.24"), NODE_NONE)], source)
    assert addrman.Size() == 23


def test_addrman_new_multiplicity_grows_only_with_newer_time() -> None:
    addrman = new_addrman()
    start_time = GetTime()
    addr = CAddress(ResolveService("253.3.3.3", 8333), NODE_NONE, start_time)

    # The same nTime over and over: multiplicity stays 1.
    for i in range(1, 20):
        addrman.Add([addr], ResolveIP(f"{i % 256}.{i >> 8}.1.1"))
    pos = addrman.FindAddressEntry(addr)
    assert pos is not None
    assert pos.multiplicity == 1
    assert addrman.Size() == 1

    # A newer nTime: up to 8 buckets, ever harder to get into.
    for i in range(1, 400):
        addr.nTime = start_time + i
        addrman.Add([addr], ResolveIP(f"{i % 256}.{i >> 8}.1.1"))
    pos = addrman.FindAddressEntry(addr)
    assert pos is not None
    assert pos.multiplicity == 8
    assert addrman.Size() == 1


def test_addrman_tried_collisions() -> None:
    addrman = new_addrman()
    source = ResolveIP("252.2.2.2")

    # 250.1.1.1 - 250.1.1.35 do not collide in tried with the deterministic key.
    for num_addrs in range(1, 36):
        addr = ResolveService(f"250.1.1.{num_addrs}")
        assert addrman.Add([CAddress(addr, NODE_NONE)], source)
        assert addrman.Good(CAddress(addr, NODE_NONE))

    # 36 collides.
    addr36 = ResolveService("250.1.1.36")
    assert addrman.Add([CAddress(addr36, NODE_NONE)], source)
    assert not addrman.Good(CAddress(addr36, NODE_NONE))

    addr37 = ResolveService("250.1.1.37")
    assert addrman.Add([CAddress(addr37, NODE_NONE)], source)
    assert addrman.Good(CAddress(addr37, NODE_NONE))


def test_addrman_selecttriedcollision_ignores_duplicates() -> None:
    addrman = new_addrman()
    assert addrman.Size() == 0
    assert addrman.SelectTriedCollision()[0].ToStringAddrPort() == "[::]:0"

    source = ResolveIP("252.2.2.2")
    for i in range(1, 23):
        addr = ResolveService(f"250.1.1.{i}")
        assert addrman.Add([CAddress(addr, NODE_NONE)], source)
        assert addrman.Good(addr)
        assert addrman.SelectTriedCollision()[0].ToStringAddrPort() == "[::]:0"

    # Good on an address already in tried is no collision.
    for i in range(1, 23):
        addr = ResolveService(f"250.1.1.{i}")
        assert not addrman.Good(addr)
        assert addrman.SelectTriedCollision()[0].ToStringAddrPort() == "[::]:0"


def test_addrman_noevict_keeps_a_recently_good_tried_entry() -> None:
    addrman = new_addrman()
    source = ResolveIP("252.2.2.2")
    for i in range(1, 36):
        addr = ResolveService(f"250.1.1.{i}")
        assert addrman.Add([CAddress(addr, NODE_NONE)], source)
        assert addrman.Good(addr)

    # 36 collides with 19 in tried.
    addr36 = ResolveService("250.1.1.36")
    assert addrman.Add([CAddress(addr36, NODE_NONE)], source)
    assert not addrman.Good(addr36)
    assert addrman.SelectTriedCollision()[0].ToStringAddrPort() == "250.1.1.19:0"

    # 19 was good just now: 36 is dropped from the collisions and stays in new.
    addrman.ResolveCollisions()
    assert addrman.SelectTriedCollision()[0].ToStringAddrPort() == "[::]:0"

    for i in range(37, 59):
        addr = ResolveService(f"250.1.1.{i}")
        assert addrman.Add([CAddress(addr, NODE_NONE)], source)
        assert addrman.Good(addr)

    # 59 collides with 10.
    addr59 = ResolveService("250.1.1.59")
    assert addrman.Add([CAddress(addr59, NODE_NONE)], source)
    assert not addrman.Good(addr59)
    assert addrman.SelectTriedCollision()[0].ToStringAddrPort() == "250.1.1.10:0"

    # 36 again: already in new, and still colliding with 19.
    assert not addrman.Add([CAddress(addr36, NODE_NONE)], source)
    assert not addrman.Good(addr36)
    assert addrman.SelectTriedCollision()[0].ToStringAddrPort() != "[::]:0"

    addrman.ResolveCollisions()
    assert addrman.SelectTriedCollision()[0].ToStringAddrPort() == "[::]:0"


def test_addrman_evictionworks_replaces_an_unreachable_tried_entry() -> None:
    addrman = new_addrman()
    assert addrman.SelectTriedCollision()[0].ToStringAddrPort() == "[::]:0"

    source = ResolveIP("252.2.2.2")
    for i in range(1, 36):
        addr = ResolveService(f"250.1.1.{i}")
        assert addrman.Add([CAddress(addr, NODE_NONE)], source)
        assert addrman.Good(addr)

    addr = ResolveService("250.1.1.36")
    assert addrman.Add([CAddress(addr, NODE_NONE)], source)
    assert not addrman.Good(addr)

    info, _ = addrman.SelectTriedCollision()
    assert info.ToStringAddrPort() == "250.1.1.19:0"

    # The test of 19 fails: its last success is long ago, its last try over a minute ago.
    assert not addrman.Good(info, 1)
    addrman.Attempt(info, False, GetTime() - 61)

    # 36 takes 19's place.
    addrman.ResolveCollisions()
    assert addrman.SelectTriedCollision()[0].ToStringAddrPort() == "[::]:0"
    addr_pos = addrman.FindAddressEntry(CAddress(addr, NODE_NONE))
    assert addr_pos is not None and addr_pos.tried

    # 36 is in tried now: a duplicate, not a collision.
    assert not addrman.Good(addr)
    assert addrman.SelectTriedCollision()[0].ToStringAddrPort() == "[::]:0"

    # 19 now collides with 36.
    addr19 = ResolveService("250.1.1.19")
    assert not addrman.Good(addr19)
    assert addrman.SelectTriedCollision()[0].ToStringAddrPort() == "250.1.1.36:0"

    # Too long since the last try: eviction anyway.
    SetMockTime(GetTime() + 4 * 60 * 60)
    addrman.ResolveCollisions()
    assert addrman.SelectTriedCollision()[0].ToStringAddrPort() == "[::]:0"
    pos19 = addrman.FindAddressEntry(CAddress(addr19, NODE_NONE))
    pos36 = addrman.FindAddressEntry(CAddress(addr, NODE_NONE))
    assert pos19 is not None and pos19.tried
    assert pos36 is not None and not pos36.tried


# -- GetAddr --------------------------------------------------------------------------------------


def test_addrman_getaddr_returns_23_percent() -> None:
    addrman = new_addrman()
    assert addrman.Size() == 0
    assert addrman.GetAddr(0, 0, None) == []

    now = GetTime()
    addr1 = CAddress(ResolveService("250.250.2.1", 8333), NODE_NONE, now)
    addr2 = CAddress(ResolveService("250.251.2.2", 9999), NODE_NONE, now)
    addr3 = CAddress(ResolveService("251.252.2.3", 8333), NODE_NONE, now)
    addr4 = CAddress(ResolveService("252.253.3.4", 8333), NODE_NONE, now)
    addr5 = CAddress(ResolveService("252.254.4.5", 8333), NODE_NONE, now)
    source1 = ResolveIP("250.1.2.1")
    source2 = ResolveIP("250.2.3.3")

    assert addrman.Add([addr1, addr3, addr5], source1)
    assert addrman.Add([addr2, addr4], source2)

    assert len(addrman.GetAddr(0, 0, None)) == 5
    # net_processing asks for 23%: 23% of 5 rounds down to 1.
    assert len(addrman.GetAddr(2500, 23, None)) == 1

    assert addrman.Good(CAddress(addr1, NODE_NONE))
    assert addrman.Good(CAddress(addr2, NODE_NONE))
    assert len(addrman.GetAddr(0, 0, None)) == 5
    assert len(addrman.GetAddr(2500, 23, None)) == 1

    for i in range(1, 8 * 256):
        str_addr = f"{i % 256}.{i >> 8}.1.23"
        addr = CAddress(ResolveService(str_addr), NODE_NONE, GetTime())
        addrman.Add([addr], ResolveIP(str_addr))
        if i % 8 == 0:
            addrman.Good(addr)
    vAddr = addrman.GetAddr(2500, 23, None)

    assert len(vAddr) == addrman.Size() * 23 // 100
    assert len(vAddr) == 461
    # Fewer than added: collisions.
    assert addrman.Size() == 2006


def test_addrman_getaddr_filters_by_network_and_max_addresses() -> None:
    addrman = new_addrman()
    now = GetTime()
    source = ResolveIP("252.2.2.2")
    v4 = [CAddress(ResolveService(f"250.{i}.1.1", 8333), NODE_NONE, now) for i in range(1, 6)]
    assert addrman.Add(v4, source)
    i2p = CAddress(CService(ResolveIP(I2P_1), 0), NODE_NONE, now)
    assert addrman.Add([i2p], source)

    assert addrman.Size() == 6
    assert [a.ToStringAddrPort() for a in addrman.GetAddr(0, 0, Network.NET_I2P)] == [
        i2p.ToStringAddrPort()
    ]
    assert len(addrman.GetAddr(0, 0, Network.NET_IPV4)) == 5
    assert len(addrman.GetAddr(3, 0, None)) == 3
    assert len(addrman.GetAddr(0, 50, None)) == 3


def test_getaddr_unfiltered_includes_terrible_addresses() -> None:
    addrman = new_addrman()

    # A time: not terrible.
    addr1 = CAddress(ResolveService("250.250.2.1", 8333), NODE_NONE, GetTime())
    # The default time (1973): terrible.
    addr2 = CAddress(ResolveService("250.251.2.2", 9999), NODE_NONE)
    source = ResolveIP("250.1.2.1")
    assert addrman.Add([addr1, addr2], source)

    addr3 = CAddress(ResolveService("250.251.2.3", 9998), NODE_NONE, GetTime())
    addrman.Good(addr3, GetTime())
    assert addrman.Add([addr3], source)
    # Three failed attempts, none in the last minute: terrible.
    for _ in range(3):
        addrman.Attempt(addr3, True, GetTime() - 61)

    assert len(addrman.GetAddr(0, 0, None)) == 1
    assert len(addrman.GetAddr(0, 0, None, filtered=False)) == 3


# -- statistics -------------------------------------------------------------------------------


def test_attempt_counts_one_failure_per_good_interval() -> None:
    addrman = new_addrman()
    source = ResolveIP("252.2.2.2")
    addr = CAddress(ResolveService("250.1.1.1", 8333), NODE_NONE, GetTime())
    str_addr = "250.1.1.1:8333"
    assert addrman.Add([addr], source)

    now = GetTime()
    addrman.Attempt(addr, True, now - 100)
    # Only the first counted attempt after the last Good counts.
    addrman.Attempt(addr, True, now - 50)
    addrman.Attempt(addr, False, now - 10)
    ((info, _),) = addrman.GetEntries(False)
    assert (info.nAttempts, info.m_last_try, info.m_last_count_attempt) == (1, now - 10, now - 100)

    # A Good on any address opens another interval; Good on this one resets its count.
    assert addrman.Add([CAddress(ResolveService("250.2.1.1", 8333), NODE_NONE)], source)
    addrman.Good(ResolveService("250.2.1.1", 8333), now - 5)
    addrman.Attempt(addr, True, now - 1)
    ((info, _),) = [e for e in addrman.GetEntries(False) if e[0].ToStringAddrPort() == str_addr]
    assert info.nAttempts == 2
    assert addrman.Good(addr, now)
    ((info, _),) = [e for e in addrman.GetEntries(True) if e[0].ToStringAddrPort() == str_addr]
    assert (info.nAttempts, info.m_last_success, info.m_last_try) == (0, now, now)
    # Good does not touch nTime, so as not to leak current peers.
    assert info.nTime == addr.nTime


def test_addrman_update_address_services_and_time() -> None:
    addrman = new_addrman()
    source = ResolveIP("252.2.2.2")
    start_time = GetTime() - 10000
    addr = CAddress(ResolveService("250.1.1.1", 8333), NODE_NONE, start_time)
    assert addrman.Add([addr], source)
    assert addrman.Size() == 1

    # Another port is another entry: nothing changes.
    addr_diff_port = CAddress(ResolveService("250.1.1.1", 8334), NODE_NONE, start_time)
    addrman.Connected(addr_diff_port)
    addrman.SetServices(addr_diff_port, NODE_NETWORK_LIMITED)
    vAddr1 = addrman.GetAddr(0, 0, None)
    assert len(vAddr1) == 1
    assert vAddr1[0].nTime == start_time
    assert vAddr1[0].nServices == NODE_NONE

    # The right port: updated.
    addrman.Connected(addr)
    addrman.SetServices(addr, NODE_NETWORK_LIMITED)
    vAddr2 = addrman.GetAddr(0, 0, None)
    assert len(vAddr2) == 1
    assert vAddr2[0].nTime >= start_time + 10000
    assert vAddr2[0].nServices == NODE_NETWORK_LIMITED

    # Add (gossip) can add services, never remove them.
    addr_v2 = CAddress(ResolveService("250.1.1.1", 8333), NODE_P2P_V2, start_time)
    assert not addrman.Add([addr_v2], source)
    vAddr3 = addrman.GetAddr(0, 0, None)
    assert vAddr3[0].nServices == NODE_P2P_V2 | NODE_NETWORK_LIMITED

    # SetServices (we connected) overwrites.
    addrman.SetServices(addr, NODE_NETWORK)
    assert addrman.GetAddr(0, 0, None)[0].nServices == NODE_NETWORK

    # Moving to tried keeps the services.
    assert addrman.Good(addr)
    assert addrman.GetAddr(0, 0, None)[0].nServices == NODE_NETWORK

    # Add still adds services to a tried entry.
    assert not addrman.Add([addr_v2], source)
    assert addrman.GetAddr(0, 0, None)[0].nServices == NODE_NETWORK | NODE_P2P_V2


def test_connected_updates_time_at_most_every_20_minutes() -> None:
    addrman = new_addrman()
    now = GetTime()
    addr = CAddress(ResolveService("250.1.1.1", 8333), NODE_NONE, now - 1000)
    assert addrman.Add([addr], ResolveIP("252.2.2.2"))
    addrman.Connected(addr, now)
    assert addrman.GetAddr(0, 0, None)[0].nTime == now - 1000
    addrman.Connected(addr, now + 300)
    assert addrman.GetAddr(0, 0, None)[0].nTime == now + 300


def test_add_applies_time_penalty_except_to_self_announcements() -> None:
    addrman = new_addrman()
    now = GetTime()
    source = ResolveIP("252.2.2.2")
    addr = CAddress(ResolveService("250.1.1.1", 8333), NODE_NONE, now)
    assert addrman.Add([addr], source, 2 * 60 * 60)
    self_addr = CAddress(ResolveService("252.2.2.2", 8333), NODE_NONE, now)
    assert addrman.Add([self_addr], source, 2 * 60 * 60)
    times = {a.ToStringAddrPort(): a.nTime for a in addrman.GetAddr(0, 0, None)}
    assert times == {"250.1.1.1:8333": now - 2 * 60 * 60, "252.2.2.2:8333": now}


def test_addrman_size_by_network_and_table() -> None:
    addrman = new_addrman()
    source = ResolveIP("252.2.2.2")

    assert addrman.Size(None, None) == 0
    assert addrman.Size(Network.NET_IPV4, None) == 0
    assert addrman.Size(None, True) == 0
    assert addrman.Size(Network.NET_IPV4, False) == 0

    addr1 = CAddress(ResolveService("250.1.1.1", 8333), NODE_NONE)
    assert addrman.Add([addr1], source)
    assert addrman.Good(addr1)
    addr2 = CAddress(ResolveService("250.1.1.2", 8333), NODE_NONE)
    assert addrman.Add([addr2], source)

    assert addrman.Size(None, None) == 2
    assert addrman.Size(Network.NET_IPV4, None) == 2
    assert addrman.Size(None, True) == 1
    assert addrman.Size(None, False) == 1
    assert addrman.Size(Network.NET_IPV4, True) == 1
    assert addrman.Size(Network.NET_IPV4, False) == 1

    addr3 = CAddress(CService(ResolveIP(I2P_1), 0), NODE_NONE)
    assert addrman.Add([addr3], source)
    assert addrman.Size(None, None) == 3
    assert addrman.Size(Network.NET_IPV4, None) == 2
    assert addrman.Size(Network.NET_I2P, None) == 1
    assert addrman.Size(Network.NET_I2P, True) == 1
    assert addrman.Size(None, True) == 2
    assert addrman.Size(None, False) == 1


def test_deterministic_addrman_replays_the_same_choices() -> None:
    def run() -> list[str]:
        addrman = new_addrman()
        source = ResolveIP("252.2.2.2")
        for i in range(1, 30):
            addrman.Add([CAddress(ResolveService(f"250.{i}.1.1", 8333), NODE_NONE)], source)
        return [addrman.Select()[0].ToStringAddrPort() for _ in range(10)]

    assert run() == run()
    assert new_addrman().nKey == uint256.FromInt(1)


def test_check_addrman_reports_inconsistency() -> None:
    addrman = new_addrman()
    assert addrman.Add([CAddress(ResolveService("250.1.1.1", 8333), NODE_NONE)], CNetAddr())
    with addrman.cs:
        assert addrman.CheckAddrman() == 0
        addrman.nNew += 1
        assert addrman.CheckAddrman() == -7


# -- serialization ------------------------------------------------------------------------------


def AddrmanToStream(addrman: AddrMan) -> DataStream:
    return DataStream(Params().MessageStart() + addrman.Serialize())


def test_empty_addrman_serializes_in_upstream_format() -> None:
    data = new_addrman().Serialize()
    expected = (
        bytes([4, 32 + 4])
        + uint256.FromInt(1).data
        + ser_i32(0)
        + ser_i32(0)
        + ser_i32(ADDRMAN_NEW_BUCKET_COUNT ^ (1 << 30))
        + ser_i32(0) * ADDRMAN_NEW_BUCKET_COUNT
        + bytes(32)  # asmap checksum: none
    )
    assert data == expected


def test_addrman_entry_serializes_as_v2_disk_addrinfo() -> None:
    addrman = new_addrman()
    addr = CAddress(ResolveService("250.1.1.1", 8333), NODE_NETWORK, 1_700_000_000)
    assert addrman.Add([addr], ResolveIP("252.2.2.2"))
    data = addrman.Serialize()
    entry = (
        (220000 | (1 << 29)).to_bytes(4, "little")  # disk version with the ADDRV2 flag
        + (1_700_000_000).to_bytes(4, "little")
        + bytes([1])  # services as CompactSize
        + bytes([1, 4, 250, 1, 1, 1])  # BIP155 IPv4
        + (8333).to_bytes(2, "big")
        + bytes([1, 4, 252, 2, 2, 2])  # source
        + (0).to_bytes(8, "little")  # m_last_success
        + (0).to_bytes(4, "little")  # nAttempts
    )
    header = 2 + 32 + 4 + 4 + 4
    assert data[header : header + len(entry)] == entry
    assert data[header + 4 : header + 8] == (1_700_000_000).to_bytes(4, "little")


def test_addrman_serialization_round_trip_keeps_positions() -> None:
    addrman = new_addrman()
    source = ResolveIP("252.2.2.2")
    for i in range(1, 40):
        addr = CAddress(ResolveService(f"250.{i}.1.1", 8333), NODE_NETWORK, GetTime() - i)
        addrman.Add([addr], ResolveIP(f"251.{i % 7}.1.1"))
        if i % 3 == 0:
            addrman.Good(addr)
    addrman.Attempt(ResolveService("250.1.1.1", 8333), True)
    assert addrman.Add([CAddress(CService(ResolveIP(I2P_1), 0), NODE_NONE)], source)

    addrman2 = new_addrman()
    addrman2.Unserialize(DataStream(addrman.Serialize()))

    assert addrman2.Size() == addrman.Size()
    assert addrman2.Size(in_new=False) == addrman.Size(in_new=False)
    assert entries(addrman2, True) == entries(addrman, True)
    assert entries(addrman2, False) == entries(addrman, False)
    # A second round trip is byte for byte stable.
    addrman3 = new_addrman()
    addrman3.Unserialize(DataStream(addrman2.Serialize()))
    assert addrman3.Serialize() == addrman2.Serialize()


def test_unserialize_into_another_key_rebuckets_nothing_but_keeps_the_file_key() -> None:
    addrman = new_addrman()
    addr = CAddress(ResolveService("250.1.1.1"), NODE_NONE)
    addrman.Add([addr], CNetAddr())
    random_key = new_addrman(deterministic=False)
    random_key.Unserialize(DataStream(addrman.Serialize()))
    assert random_key.nKey == uint256.FromInt(1)
    assert random_key.FindAddressEntry(addr) == addrman.FindAddressEntry(addr)


def test_load_addrman_from_stream() -> None:
    addrman = new_addrman()
    addr1 = Lookup("250.7.1.1", 8333)
    addr2 = Lookup("250.7.2.2", 9999)
    addr3 = Lookup("250.7.3.3", 9999)
    assert addr1 is not None and addr2 is not None and addr3 is not None
    assert Lookup("250.7.3.3\0example.com", 9999) is None

    source = Lookup("252.5.1.1", 8333)
    assert source is not None
    assert addrman.Add(
        [CAddress(addr1, NODE_NONE), CAddress(addr2, NODE_NONE), CAddress(addr3, NODE_NONE)],
        source,
    )
    assert addrman.Size() == 3

    ssPeers1 = AddrmanToStream(addrman)
    addrman1 = new_addrman(deterministic=False)
    assert addrman1.Size() == 0
    ssPeers1.read(4)
    addrman1.Unserialize(ssPeers1)
    assert addrman1.Size() == 3

    addrman2 = new_addrman(deterministic=False)
    ReadFromStream(addrman2, AddrmanToStream(addrman))
    assert addrman2.Size() == 3


def MakeCorruptPeersDat() -> DataStream:
    """A peers.dat that claims 10 new and 10 tried addresses but holds one."""
    serv = Lookup("252.1.1.1", 7777)
    assert serv is not None
    info = AddrInfo(CAddress(serv, NODE_NONE), ResolveIP("252.2.2.2"))
    data = (
        Params().MessageStart()
        + ser_u8(1)
        + ser_u8(32)
        + uint256.FromInt(1).data
        + ser_i32(10)
        + ser_i32(10)
        + ser_i32(ADDRMAN_NEW_BUCKET_COUNT ^ (1 << 30))
        + info.serialize(CAddress.V1_DISK)
    )
    return DataStream(data)


def test_load_addrman_corrupted_raises() -> None:
    ssPeers1 = MakeCorruptPeersDat()
    addrman1 = new_addrman(deterministic=False)
    ssPeers1.read(4)
    with pytest.raises(SerializationError):
        addrman1.Unserialize(ssPeers1)

    addrman2 = new_addrman(deterministic=False)
    with pytest.raises(SerializationError):
        ReadFromStream(addrman2, MakeCorruptPeersDat())


def test_unserialize_rejects_bad_headers_with_upstream_messages() -> None:
    body = new_addrman().Serialize()
    with pytest.raises(SerializationError) as exc:
        new_addrman().Unserialize(DataStream(body[:1] + bytes([0]) + body[2:]))
    assert str(exc.value) == (
        "Corrupted addrman database: The compat value (0) is lower than the expected minimum "
        "value 32."
    )
    with pytest.raises(InvalidAddrManVersionError) as vexc:
        new_addrman().Unserialize(DataStream(body[:1] + bytes([32 + 5]) + body[2:]))
    assert str(vexc.value) == (
        "Unsupported format of addrman database: 4. It is compatible with formats >=5, but the "
        "maximum supported by this version of Bitcoin Core is 4."
    )
    max_new = ADDRMAN_NEW_BUCKET_COUNT * ADDRMAN_BUCKET_SIZE
    with pytest.raises(SerializationError) as exc:
        new_addrman().Unserialize(DataStream(body[:34] + ser_i32(max_new + 1) + body[38:]))
    assert str(exc.value) == (
        f"Corrupt AddrMan serialization: nNew={max_new + 1}, should be in [0, {max_new}]"
    )
    max_tried = ADDRMAN_TRIED_BUCKET_COUNT * ADDRMAN_BUCKET_SIZE
    with pytest.raises(SerializationError) as exc:
        new_addrman().Unserialize(DataStream(body[:38] + ser_i32(-1) + body[42:]))
    assert str(exc.value) == (
        f"Corrupt AddrMan serialization: nTried=-1, should be in [0, {max_tried}]"
    )
    with pytest.raises(SerializationError) as exc:
        new_addrman().Unserialize(DataStream(body[:2] + bytes(32) + body[34:]))
    assert str(exc.value) == "Corrupt data. Consistency check failed with code -16"
    with pytest.raises(SerializationError):
        new_addrman().Unserialize(DataStream(body[:-1]))


def test_remove_invalid_entries_on_unserialize() -> None:
    addrman = new_addrman()
    new1 = CAddress(ResolveService("5.5.5.5"), NODE_NONE)
    new2 = CAddress(ResolveService("6.6.6.6"), NODE_NONE)
    tried1 = CAddress(ResolveService("7.7.7.7"), NODE_NONE)
    tried2 = CAddress(ResolveService("8.8.8.8"), NODE_NONE)

    addrman.Add([new1, tried1, new2, tried2], CNetAddr())
    addrman.Good(tried1)
    addrman.Good(tried2)
    assert addrman.Size() == 4

    data = bytearray(addrman.Serialize())
    pos = data.find(bytes([6, 6, 6, 6]))
    assert pos != -1
    data[pos : pos + 4] = bytes([0, 0, 0, 0])  # 0.0.0.0 is not valid
    pos = data.find(bytes([8, 8, 8, 8]))
    assert pos != -1
    data[pos : pos + 4] = bytes([255, 255, 255, 255])  # nor is 255.255.255.255

    addrman = new_addrman()
    addrman.Unserialize(DataStream(bytes(data)))
    assert addrman.Size() == 2


def test_unserialize_reads_v1_format_files() -> None:
    """A format-1 file (addresses in the pre-BIP155 form, no asmap checksum) is still read."""
    serv = ResolveService("250.1.1.1", 8333)
    info = AddrInfo(CAddress(serv, NODE_NETWORK, 1_600_000_000), ResolveIP("252.2.2.2"))
    bucket = info.GetNewBucket(uint256.FromInt(1), EMPTY_NETGROUPMAN)
    buckets = b"".join(
        ser_i32(1) + ser_i32(0) if b == bucket else ser_i32(0)
        for b in range(ADDRMAN_NEW_BUCKET_COUNT)
    )
    data = (
        ser_u8(1)
        + ser_u8(32)
        + uint256.FromInt(1).data
        + ser_i32(1)
        + ser_i32(0)
        + ser_i32(ADDRMAN_NEW_BUCKET_COUNT ^ (1 << 30))
        + info.serialize(CAddress.V1_DISK)
        + buckets
    )
    addrman = new_addrman()
    addrman.Unserialize(DataStream(data))
    assert addrman.Size() == 1
    pos = addrman.FindAddressEntry(CAddress(serv, NODE_NONE))
    assert pos == AddressPosition(
        False, 1, bucket, info.GetBucketPosition(uint256.FromInt(1), True, bucket)
    )
    ((got, _),) = addrman.GetEntries(False)
    assert (got.nTime, got.nServices) == (1_600_000_000, NODE_NETWORK)


def test_unserialize_tolerates_duplicate_unreferenced_entries() -> None:
    """Two copies of one address in no bucket are both pruned; erasing the second's mapAddr key
    after the first's is no error (std::unordered_map::erase)."""
    info = AddrInfo(CAddress(ResolveService("250.1.1.1", 8333), NODE_NONE), CNetAddr())
    data = (
        ser_u8(4)
        + ser_u8(32 + 4)
        + uint256.FromInt(1).data
        + ser_i32(2)
        + ser_i32(0)
        + ser_i32(ADDRMAN_NEW_BUCKET_COUNT ^ (1 << 30))
        + info.serialize() * 2
        + ser_i32(0) * ADDRMAN_NEW_BUCKET_COUNT
        + bytes(32)
    )
    addrman = new_addrman()
    addrman.Unserialize(DataStream(data))
    assert addrman.Size() == 0


@given(st.data())
def test_unserialize_of_damaged_data_raises_only_serialization_error(data: st.DataObject) -> None:
    addrman = new_addrman()
    source = ResolveIP("252.2.2.2")
    for i in range(1, 6):
        addr = CAddress(ResolveService(f"250.{i}.1.1", 8333), NODE_NETWORK, 1_700_000_000)
        addrman.Add([addr], source)
        if i % 2:
            addrman.Good(addr, 1_700_000_000)
    raw = bytearray(addrman.Serialize())
    for _ in range(data.draw(st.integers(1, 4))):
        pos = data.draw(st.integers(0, len(raw) - 1))
        raw[pos] = data.draw(st.integers(0, 255))
    cut = data.draw(st.integers(0, len(raw)))
    loaded = AddrMan(EMPTY_NETGROUPMAN, True, 0)
    try:
        loaded.Unserialize(DataStream(bytes(raw[:cut])))
    except SerializationError:
        return
    # What does load is consistent.
    with loaded.cs:
        assert loaded.CheckAddrman() == 0
