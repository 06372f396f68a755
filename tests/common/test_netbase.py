"""Lookups, subnets, network names, reachability (upstream's netbase_tests.cpp, net_tests.cpp)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from common.netaddress import (
    NET_CJDNS,
    NET_I2P,
    NET_INTERNAL,
    NET_IPV4,
    NET_IPV6,
    NET_MAX,
    NET_ONION,
    NET_UNROUTABLE,
    CNetAddr,
    CService,
    CSubNet,
    Network,
)
from common.netbase import (
    DEFAULT_CONNECT_TIMEOUT,
    ConnectionDirection,
    GetNetworkName,
    GetNetworkNames,
    HaveNameProxy,
    IsBadPort,
    IsProxy,
    Lookup,
    LookupHost,
    LookupNumeric,
    LookupSubNet,
    MaybeFlipIPv6toCJDNS,
    ParseNetwork,
    ReachableNets,
    SplitHostPort,
    WrappedGetAddrInfo,
    g_reachable_nets,
    nConnectTimeout,
)

TORV3_ADDR = "pg6mmjiyjmcrsslvykfwnntlaru7p5svn6y2ymmju6nubxndf4pscryd.onion"


@pytest.fixture(autouse=True)
def reset_reachable_nets() -> Iterator[None]:
    g_reachable_nets.Reset()
    yield
    g_reachable_nets.Reset()


def ResolveIP(ip: str) -> CNetAddr:
    addr = LookupHost(ip, False)
    return addr if addr is not None else CNetAddr()


# --- SplitHostPort, LookupNumeric ---------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "host", "port", "valid"),
    [
        ("www.bitcoincore.org", "www.bitcoincore.org", 0, True),
        ("[www.bitcoincore.org]", "www.bitcoincore.org", 0, True),
        ("www.bitcoincore.org:80", "www.bitcoincore.org", 80, True),
        ("[www.bitcoincore.org]:80", "www.bitcoincore.org", 80, True),
        ("127.0.0.1", "127.0.0.1", 0, True),
        ("127.0.0.1:8333", "127.0.0.1", 8333, True),
        ("[127.0.0.1]", "127.0.0.1", 0, True),
        ("[127.0.0.1]:8333", "127.0.0.1", 8333, True),
        ("::ffff:127.0.0.1", "::ffff:127.0.0.1", 0, True),
        ("[::ffff:127.0.0.1]:8333", "::ffff:127.0.0.1", 8333, True),
        ("[::]:8333", "::", 8333, True),
        ("::8333", "::8333", 0, True),
        (":8333", "", 8333, True),
        ("[]:8333", "", 8333, True),
        ("", "", 0, True),
        (":65535", "", 65535, True),
        (":65536", ":65536", 0, False),
        (":-1", ":-1", 0, False),
        ("[]:70001", "[]:70001", 0, False),
        ("[]:-1", "[]:-1", 0, False),
        ("[]:-0", "[]:-0", 0, False),
        ("[]:0", "", 0, False),
        ("[]:1/2", "[]:1/2", 0, False),
        ("[]:1E2", "[]:1E2", 0, False),
        ("127.0.0.1:65536", "127.0.0.1:65536", 0, False),
        ("127.0.0.1:0", "127.0.0.1", 0, False),
        ("127.0.0.1:", "127.0.0.1:", 0, False),
        ("127.0.0.1:1/2", "127.0.0.1:1/2", 0, False),
        ("127.0.0.1:1E2", "127.0.0.1:1E2", 0, False),
        ("www.bitcoincore.org:65536", "www.bitcoincore.org:65536", 0, False),
        ("www.bitcoincore.org:0", "www.bitcoincore.org", 0, False),
        ("www.bitcoincore.org:", "www.bitcoincore.org:", 0, False),
        ("127.0.0.1:+80", "127.0.0.1:+80", 0, False),
        ("127.0.0.1: 80", "127.0.0.1: 80", 0, False),
        ("127.0.0.1:\u0668\u0660", "127.0.0.1:\u0668\u0660", 0, False),  # non-ASCII digits
    ],
)
def test_splithostport(text: str, host: str, port: int, valid: bool) -> None:
    assert SplitHostPort(text, 0) == (valid, port, host)


def test_splithostport_keeps_the_given_port_when_none_parses() -> None:
    assert SplitHostPort("127.0.0.1", 18444) == (True, 18444, "127.0.0.1")
    assert SplitHostPort("127.0.0.1:x", 18444) == (False, 18444, "127.0.0.1:x")


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("127.0.0.1", "127.0.0.1:65535"),
        ("127.0.0.1:8333", "127.0.0.1:8333"),
        ("::ffff:127.0.0.1", "127.0.0.1:65535"),
        ("::", "[::]:65535"),
        ("[::]:8333", "[::]:8333"),
        ("[127.0.0.1]", "127.0.0.1:65535"),
        (":::", "[::]:0"),
        # an "internal" address never resolves ...
        ("[fd6b:88c0:8724:1:2:3:4:5]", "[::]:0"),
        # ... but one differing in a single bit does
        ("[fd6c:88c0:8724:1:2:3:4:5]", "[fd6c:88c0:8724:1:2:3:4:5]:65535"),
        ("1.2.3.4.5:345", "[::]:0"),
        ("www.bitcoincore.org:8333", "[::]:0"),  # no DNS
        (TORV3_ADDR + ":8333", TORV3_ADDR + ":8333"),
    ],
)
def test_lookupnumeric(text: str, canonical: str) -> None:
    assert LookupNumeric(text, 65535).ToStringAddrPort() == canonical


def test_lookup_never_resolves_host_names() -> None:
    assert LookupHost("localhost", True) is None
    assert Lookup("localhost:8333", 1, True) is None
    assert WrappedGetAddrInfo("localhost", True) == []
    assert LookupHost("www.bitcoincore.org", True, nMaxSolutions=0) == []


def test_lookup_uses_the_given_resolver_and_drops_internal_results() -> None:
    internal = CNetAddr()
    internal.SetInternal("seed.example")
    results = [internal, ResolveIP("1.1.1.1"), ResolveIP("2.2.2.2"), ResolveIP("3.3.3.3")]
    calls: list[tuple[str, bool]] = []

    def fake(name: str, allow_lookup: bool) -> list[CNetAddr]:
        calls.append((name, allow_lookup))
        return results

    got = LookupHost("example.com", True, nMaxSolutions=2, dns_lookup_function=fake)
    assert [a.ToStringAddr() for a in got] == ["1.1.1.1", "2.2.2.2"]
    assert LookupHost("[example.com]", dns_lookup_function=fake) == ResolveIP("1.1.1.1")
    services = Lookup("example.com:9", 1, True, nMaxSolutions=0, dns_lookup_function=fake)
    assert [s.ToStringAddrPort() for s in services] == ["1.1.1.1:9", "2.2.2.2:9", "3.3.3.3:9"]
    assert calls == [("example.com", True), ("example.com", False), ("example.com", True)]
    # Onion names never reach the resolver.
    assert LookupHost(TORV3_ADDR, dns_lookup_function=fake) == ResolveIP(TORV3_ADDR)
    assert len(calls) == 3


def test_lookup_handles_special_names_and_empty_input() -> None:
    addr = LookupHost("[" + TORV3_ADDR + "]")
    assert addr is not None and addr.IsTor()
    assert LookupHost("") is None
    assert Lookup("", 1) is None
    assert Lookup("", 1, nMaxSolutions=0) == []
    assert LookupHost("[]") is None


def test_scoped_ipv6_lookup_keeps_the_zone() -> None:
    service = Lookup("[fe80::1%5]:18444", 0)
    assert service is not None
    assert service.m_scope_id == 5
    assert service.ToStringAddrPort() == "[fe80::1%5]:18444"


def test_dont_resolve_strings_with_embedded_nul_characters() -> None:
    assert LookupHost("127.0.0.1", False) is not None
    assert LookupHost("127.0.0.1\0", False) is None
    assert LookupHost("127.0.0.1\0example.com", False) is None
    assert LookupHost("127.0.0.1\0example.com\0", False) is None
    assert Lookup("127.0.0.1\0:1", 1) is None
    assert LookupNumeric("127.0.0.1\0", 1) == CService()

    assert LookupSubNet("1.2.3.0/24").IsValid()
    assert not LookupSubNet("1.2.3.0/24\0").IsValid()
    assert not LookupSubNet("1.2.3.0/24\0example.com").IsValid()
    assert not LookupSubNet("1.2.3.0/24\0example.com\0").IsValid()
    assert LookupSubNet(TORV3_ADDR).IsValid()
    assert not LookupSubNet(TORV3_ADDR + "\0").IsValid()
    assert not LookupSubNet(TORV3_ADDR + "\0example.com").IsValid()
    assert not LookupSubNet(TORV3_ADDR + "\0example.com\0").IsValid()


# --- LookupSubNet -------------------------------------------------------------------------


def test_subnet_matching() -> None:
    assert LookupSubNet("1.2.3.0/24") == LookupSubNet("1.2.3.0/255.255.255.0")
    assert LookupSubNet("1.2.3.0/24") != LookupSubNet("1.2.4.0/255.255.255.0")
    assert LookupSubNet("1.2.3.0/24").Match(ResolveIP("1.2.3.4"))
    assert not LookupSubNet("1.2.2.0/24").Match(ResolveIP("1.2.3.4"))
    assert LookupSubNet("1.2.3.4").Match(ResolveIP("1.2.3.4"))
    assert LookupSubNet("1.2.3.4/32").Match(ResolveIP("1.2.3.4"))
    assert not LookupSubNet("1.2.3.4").Match(ResolveIP("5.6.7.8"))
    assert not LookupSubNet("1.2.3.4/32").Match(ResolveIP("5.6.7.8"))
    assert LookupSubNet("::ffff:127.0.0.1").Match(ResolveIP("127.0.0.1"))
    assert LookupSubNet("1:2:3:4:5:6:7:8").Match(ResolveIP("1:2:3:4:5:6:7:8"))
    assert not LookupSubNet("1:2:3:4:5:6:7:8").Match(ResolveIP("1:2:3:4:5:6:7:9"))
    assert LookupSubNet("1:2:3:4:5:6:7:0/112").Match(ResolveIP("1:2:3:4:5:6:7:1234"))
    assert LookupSubNet("192.168.0.1/24").Match(ResolveIP("192.168.0.2"))
    assert LookupSubNet("192.168.0.20/29").Match(ResolveIP("192.168.0.18"))
    assert LookupSubNet("1.2.2.1/24").Match(ResolveIP("1.2.2.4"))
    assert LookupSubNet("1.2.2.110/31").Match(ResolveIP("1.2.2.111"))
    assert LookupSubNet("1.2.2.20/26").Match(ResolveIP("1.2.2.63"))
    # The all-matching IPv6 subnet matches any IPv6 address ...
    assert LookupSubNet("::/0").Match(ResolveIP("1:2:3:4:5:6:7:1234"))
    # ... but not :: or 0.0.0.0, which are invalid addresses
    assert not LookupSubNet("::/0").Match(ResolveIP("::"))
    assert not LookupSubNet("::/0").Match(ResolveIP("0.0.0.0"))
    # An IPv4 address is in no IPv6 subnet, and the other way around.
    assert not LookupSubNet("::/0").Match(ResolveIP("1.2.3.4"))
    assert not LookupSubNet("0.0.0.0/0").Match(ResolveIP("1:2:3:4:5:6:7:1234"))
    # Invalid subnets match nothing, not even invalid addresses.
    assert not CSubNet().Match(ResolveIP("1.2.3.4"))
    assert not LookupSubNet("").Match(ResolveIP("4.5.6.7"))
    assert not LookupSubNet("bloop").Match(ResolveIP("0.0.0.0"))
    assert not LookupSubNet("bloop").Match(ResolveIP("hab"))


@pytest.mark.parametrize(
    ("text", "valid"),
    [
        ("1.2.3.0/0", True),
        ("1.2.3.0/-1", False),
        ("1.2.3.0/+24", False),
        ("1.2.3.0/32", True),
        ("1.2.3.0/33", False),
        ("1.2.3.0/300", False),
        ("1:2:3:4:5:6:7:8/0", True),
        ("1:2:3:4:5:6:7:8/33", True),
        ("1:2:3:4:5:6:7:8/-1", False),
        ("1:2:3:4:5:6:7:8/128", True),
        ("1:2:3:4:5:6:7:8/129", False),
        ("fuzzy", False),
        ("1.2.3.4/255.255.232.0", False),
        ("1.2.3.4/255.0.255.255", False),
        ("1:2:3:4:5:6:7:8/ffff:ffff:ffff:fffe:ffff:ffff:ffff:ff0f", False),
        ("1.2.3.4/www.bitcoincore.org", False),
    ],
)
def test_subnet_validity(text: str, valid: bool) -> None:
    assert LookupSubNet(text).IsValid() is valid


@pytest.mark.parametrize(
    ("netmask", "canonical"),
    [
        ("255.255.255.255", "1.2.3.4/32"),
        ("255.255.255.254", "1.2.3.4/31"),
        ("255.255.255.252", "1.2.3.4/30"),
        ("255.255.255.248", "1.2.3.0/29"),
        ("255.255.255.240", "1.2.3.0/28"),
        ("255.255.255.224", "1.2.3.0/27"),
        ("255.255.255.192", "1.2.3.0/26"),
        ("255.255.255.128", "1.2.3.0/25"),
        ("255.255.255.0", "1.2.3.0/24"),
        ("255.255.254.0", "1.2.2.0/23"),
        ("255.255.252.0", "1.2.0.0/22"),
        ("255.255.248.0", "1.2.0.0/21"),
        ("255.255.240.0", "1.2.0.0/20"),
        ("255.255.224.0", "1.2.0.0/19"),
        ("255.255.192.0", "1.2.0.0/18"),
        ("255.255.128.0", "1.2.0.0/17"),
        ("255.255.0.0", "1.2.0.0/16"),
        ("255.254.0.0", "1.2.0.0/15"),
        ("255.252.0.0", "1.0.0.0/14"),
        ("255.248.0.0", "1.0.0.0/13"),
        ("255.240.0.0", "1.0.0.0/12"),
        ("255.224.0.0", "1.0.0.0/11"),
        ("255.192.0.0", "1.0.0.0/10"),
        ("255.128.0.0", "1.0.0.0/9"),
        ("255.0.0.0", "1.0.0.0/8"),
        ("254.0.0.0", "0.0.0.0/7"),
        ("252.0.0.0", "0.0.0.0/6"),
        ("248.0.0.0", "0.0.0.0/5"),
        ("240.0.0.0", "0.0.0.0/4"),
        ("224.0.0.0", "0.0.0.0/3"),
        ("192.0.0.0", "0.0.0.0/2"),
        ("128.0.0.0", "0.0.0.0/1"),
        ("0.0.0.0", "0.0.0.0/0"),
    ],
)
def test_subnet_from_ipv4_netmask(netmask: str, canonical: str) -> None:
    assert LookupSubNet("1.2.3.4/" + netmask).ToString() == canonical


@pytest.mark.parametrize(
    ("netmask", "canonical"),
    [
        ("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "1:2:3:4:5:6:7:8/128"),
        ("ffff:0000:0000:0000:0000:0000:0000:0000", "1::/16"),
        ("0000:0000:0000:0000:0000:0000:0000:0000", "::/0"),
    ],
)
def test_subnet_from_ipv6_netmask(netmask: str, canonical: str) -> None:
    assert LookupSubNet("1:2:3:4:5:6:7:8/" + netmask).ToString() == canonical


def test_subnet_in_cjdns_range_follows_reachability() -> None:
    # With CJDNS reachable fc00::/8 is CJDNS, and CJDNS subnets are single hosts only.
    host = LookupSubNet("fc00::1")
    assert host.IsValid() and host.network.IsCJDNS() and host.ToString() == "fc00::1"
    assert not LookupSubNet("fc00::/8").IsValid()
    g_reachable_nets.Remove(NET_CJDNS)
    subnet = LookupSubNet("fc00::/8")
    assert subnet.IsValid() and subnet.network.IsIPv6() and subnet.ToString() == "fc00::/8"


# --- CJDNS flip ---------------------------------------------------------------------------


def test_maybe_flip_ipv6_to_cjdns_only_when_reachable() -> None:
    service = Lookup("[fc00:1:2:3:4:5:6:7]:8333", 0)
    assert service is not None and service.IsIPv6()
    flipped = MaybeFlipIPv6toCJDNS(service)
    assert flipped.IsCJDNS() and flipped.port == 8333
    assert service.IsIPv6()  # the argument is left alone
    g_reachable_nets.Remove(NET_CJDNS)
    assert MaybeFlipIPv6toCJDNS(service).IsIPv6()
    g_reachable_nets.Add(NET_CJDNS)
    other = Lookup("[2001:470::1]:8333", 0)
    assert other is not None and MaybeFlipIPv6toCJDNS(other) == other
    assert MaybeFlipIPv6toCJDNS(other).IsIPv6()


# --- network names ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "net"),
    [
        ("ipv4", NET_IPV4),
        ("ipv6", NET_IPV6),
        ("onion", NET_ONION),
        ("tor", NET_ONION),
        ("i2p", NET_I2P),
        ("cjdns", NET_CJDNS),
        ("IPv4", NET_IPV4),
        ("IPv6", NET_IPV6),
        ("ONION", NET_ONION),
        ("TOR", NET_ONION),
        ("I2P", NET_I2P),
        ("CJDNS", NET_CJDNS),
        (":)", NET_UNROUTABLE),
        ("tÖr", NET_UNROUTABLE),
        ("\xfe\xff", NET_UNROUTABLE),
        ("", NET_UNROUTABLE),
        ("internal", NET_UNROUTABLE),
    ],
)
def test_parsenetwork(name: str, net: Network) -> None:
    assert ParseNetwork(name) == net


def test_network_names() -> None:
    assert [GetNetworkName(Network(n)) for n in range(NET_MAX)] == [
        "not_publicly_routable",
        "ipv4",
        "ipv6",
        "onion",
        "i2p",
        "cjdns",
        "internal",
    ]
    assert GetNetworkNames() == ["ipv4", "ipv6", "onion", "i2p", "cjdns"]
    assert GetNetworkNames(True) == [
        "ipv4",
        "ipv6",
        "onion",
        "i2p",
        "cjdns",
        "not_publicly_routable",
    ]
    with pytest.raises(AssertionError):
        GetNetworkName(NET_MAX)


# --- reachability -------------------------------------------------------------------------


def test_reachable_networks_add_remove() -> None:
    nets = [NET_IPV4, NET_IPV6, NET_ONION, NET_I2P, NET_CJDNS]
    assert all(g_reachable_nets.Contains(n) for n in nets)
    for n in nets:
        g_reachable_nets.Remove(n)
    assert not any(g_reachable_nets.Contains(n) for n in nets)
    for n in nets:
        g_reachable_nets.Add(n)
    assert all(g_reachable_nets.Contains(n) for n in nets)


def test_reachable_unroutable_and_internal_by_default() -> None:
    assert g_reachable_nets.Contains(NET_UNROUTABLE)
    assert g_reachable_nets.Contains(NET_INTERNAL)
    g_reachable_nets.RemoveAll()
    assert not g_reachable_nets.Contains(NET_UNROUTABLE)
    assert not g_reachable_nets.Contains(NET_INTERNAL)
    assert g_reachable_nets.All() == set()
    g_reachable_nets.Reset()
    assert g_reachable_nets.All() == set(ReachableNets.DefaultNets())
    assert len(g_reachable_nets.All()) == 7


def test_reachable_address_goes_by_its_network() -> None:
    addr = CNetAddr(b"\x01\x01\x01\x01")
    assert g_reachable_nets.Contains(addr)
    g_reachable_nets.Remove(NET_IPV4)
    assert not g_reachable_nets.Contains(addr)
    # An unroutable IPv4 address belongs to NET_UNROUTABLE, which is still reachable.
    assert g_reachable_nets.Contains(CNetAddr(b"\x0a\x00\x00\x01"))


def test_all_returns_a_copy() -> None:
    nets = g_reachable_nets.All()
    nets.clear()
    assert g_reachable_nets.Contains(NET_IPV4)


# --- the rest ---------------------------------------------------------------------------


def test_isbadport() -> None:
    assert IsBadPort(1)
    assert IsBadPort(22)
    assert IsBadPort(6000)
    assert not IsBadPort(80)
    assert not IsBadPort(443)
    assert not IsBadPort(8333)
    assert sum(1 for port in range(1, 65536) if IsBadPort(port)) == 85


def test_connection_direction_flags() -> None:
    assert ConnectionDirection.In | ConnectionDirection.Out == ConnectionDirection.Both
    assert ConnectionDirection.Both & ConnectionDirection.In
    assert not (ConnectionDirection.None_ & ConnectionDirection.In)
    assert int(ConnectionDirection.None_) == 0


def test_node_without_proxies() -> None:
    assert not HaveNameProxy()
    assert not IsProxy(ResolveIP("127.0.0.1"))
    assert nConnectTimeout == DEFAULT_CONNECT_TIMEOUT == 5000
