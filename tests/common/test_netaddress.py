"""CNetAddr, CService, CSubNet (upstream's net_tests.cpp cnetaddr_* and netbase_tests.cpp)."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from common.netaddress import (
    ADDR_CJDNS_SIZE,
    ADDR_I2P_SIZE,
    ADDR_INTERNAL_SIZE,
    ADDR_IPV4_SIZE,
    ADDR_IPV6_SIZE,
    ADDR_TORV3_SIZE,
    INTERNAL_IN_IPV6_PREFIX,
    IPV4_IN_IPV6_PREFIX,
    NET_CJDNS,
    NET_I2P,
    NET_INTERNAL,
    NET_IPV4,
    NET_IPV6,
    NET_ONION,
    NET_UNROUTABLE,
    REACH_DEFAULT,
    REACH_IPV4,
    REACH_IPV6_STRONG,
    REACH_IPV6_WEAK,
    REACH_PRIVATE,
    REACH_TEREDO,
    REACH_UNREACHABLE,
    TORV2_IN_IPV6_PREFIX,
    CNetAddr,
    CService,
    CServiceHash,
    CSubNet,
    DecodeBase32,
    EncodeBase32,
    Network,
)
from common.netbase import LookupHost
from common.serialize import DataStream, SerializationError
from common.siphash import CSipHasher

TORV3_ADDR = "pg6mmjiyjmcrsslvykfwnntlaru7p5svn6y2ymmju6nubxndf4pscryd.onion"
TORV3_PUBKEY = "79bcc625184b05194975c28b66b66b0469f7f6556fb1ac3189a79b40dda32f1f"
I2P_ADDR = "ukeu3k5oycgaauneqgtnvselmt4yemvoilkln7jpvamvfx7dnkdq.b32.i2p"
I2P_BYTES = "a2894dabaec08c0051a481a6dac88b64f98232ae42d4b6fd2fa81952dfe36a87"


def ResolveIP(ip: str) -> CNetAddr:
    addr = LookupHost(ip, False)
    return addr if addr is not None else CNetAddr()


def CreateInternal(host: str) -> CNetAddr:
    addr = CNetAddr()
    addr.SetInternal(host)
    return addr


def make(net: Network, raw: bytes) -> CNetAddr:
    addr = CNetAddr()
    addr.m_net = net
    addr.m_addr = raw
    return addr


def v2(net_id: str, size: str, address: str) -> CNetAddr:
    """Read one BIP155 address given as hex: network id, CompactSize length, address."""
    s = DataStream(bytes.fromhex(net_id + size + address))
    addr = CNetAddr.UnserializeV2Stream(s)
    assert s.empty()
    return addr


# --- construction and text ---------------------------------------------------------------


def test_default_cnetaddr_is_unspecified_ipv6_and_invalid() -> None:
    addr = CNetAddr()
    assert addr.m_net == NET_IPV6
    assert addr.m_addr == bytes(16)
    assert addr.m_scope_id == 0
    assert not addr.IsValid()
    assert addr.ToStringAddr() == "::"


def test_cnetaddr_from_in6_addr_reads_legacy_prefixes() -> None:
    assert CNetAddr(IPV4_IN_IPV6_PREFIX + b"\x01\x02\x03\x04") == CNetAddr(b"\x01\x02\x03\x04")
    internal = CNetAddr(INTERNAL_IN_IPV6_PREFIX + bytes(range(10)))
    assert internal.m_net == NET_INTERNAL and internal.m_addr == bytes(range(10))
    torv2 = CNetAddr(TORV2_IN_IPV6_PREFIX + bytes(range(10)))
    assert torv2 == CNetAddr() and not torv2.IsValid()
    scoped = CNetAddr(bytes.fromhex("fe800000000000000000000000000001"), 7)
    assert scoped.m_scope_id == 7 and scoped.ToStringAddr() == "fe80::1%7"


def test_cnetaddr_rejects_raw_address_of_wrong_size() -> None:
    with pytest.raises(ValueError, match="4 \\(in_addr\\) or 16 \\(in6_addr\\)"):
        CNetAddr(b"\x01\x02\x03")


def test_cnetaddr_basic_ipv4_ipv6_and_scoped() -> None:
    addr = ResolveIP("0.0.0.0")
    assert not addr.IsValid() and addr.IsIPv4() and addr.IsBindAny()
    assert addr.IsAddrV1Compatible() and addr.ToStringAddr() == "0.0.0.0"

    addr = ResolveIP("255.255.255.255")
    assert not addr.IsValid() and addr.IsIPv4() and not addr.IsBindAny()
    assert addr.IsAddrV1Compatible() and addr.ToStringAddr() == "255.255.255.255"

    addr = ResolveIP("12.34.56.78")
    assert addr.IsValid() and addr.IsIPv4() and not addr.IsBindAny()
    assert addr.IsAddrV1Compatible() and addr.ToStringAddr() == "12.34.56.78"

    addr = ResolveIP("::")
    assert not addr.IsValid() and addr.IsIPv6() and addr.IsBindAny()
    assert addr.IsAddrV1Compatible() and addr.ToStringAddr() == "::"

    addr = ResolveIP("1122:3344:5566:7788:9900:aabb:ccdd:eeff")
    assert addr.IsValid() and addr.IsIPv6() and not addr.IsBindAny()
    assert addr.IsAddrV1Compatible()
    assert addr.ToStringAddr() == "1122:3344:5566:7788:9900:aabb:ccdd:eeff"

    addr = ResolveIP("fe80::1%32")
    assert addr.IsValid() and addr.IsIPv6() and not addr.IsBindAny()
    assert addr.ToStringAddr() == "fe80::1%32"


def test_setspecial_parses_torv3_and_rejects_broken_onions() -> None:
    addr = CNetAddr()
    assert not addr.SetSpecial("6hzph5hv6337r6p2.onion")  # TORv2, no longer supported
    assert addr.SetSpecial(TORV3_ADDR)
    assert addr.IsValid() and addr.IsTor() and not addr.IsI2P() and not addr.IsBindAny()
    assert not addr.IsAddrV1Compatible()
    assert addr.ToStringAddr() == TORV3_ADDR
    assert addr.m_addr.hex() == TORV3_PUBKEY

    # wrong checksum, wrong version, embedded NUL, bogus length, invalid base32
    assert not addr.SetSpecial("pg6mmjiyjmcrsslvykfwnntlaru7p5svn6y2ymmju6nubxndf4pscsad.onion")
    assert not addr.SetSpecial("pg6mmjiyjmcrsslvykfwnntlaru7p5svn6y2ymmju6nubxndf4pscrye.onion")
    assert not addr.SetSpecial(
        "pg6mmjiyjmcrsslvykfwnntlaru7p5svn6y2ymmju6nubxndf4pscryd\0wtf.onion"
    )
    assert not addr.SetSpecial("mfrggzak.onion")
    assert not addr.SetSpecial("mf*g zak.onion")
    # A failed parse leaves the address as it was.
    assert addr.ToStringAddr() == TORV3_ADDR


def test_setspecial_parses_i2p_and_rejects_broken_names() -> None:
    addr = CNetAddr()
    upper = "UDHDrtrcetjm5sxzskjyr5ztpeszydbh4dpl3pl4utgqqw2v4jna.b32.I2P"
    assert addr.SetSpecial(upper)
    assert addr.IsValid() and addr.IsI2P() and not addr.IsTor() and not addr.IsBindAny()
    assert not addr.IsAddrV1Compatible()
    assert addr.ToStringAddr() == upper.lower()

    assert not addr.SetSpecial("udhdrtrcetjm5sxzskjyr5ztpeszydbh4dpl3pl4utgqqw2v4jn=.b32.i2p")
    assert not addr.SetSpecial("udhdrtrcetjm5sxzskjyr5ztpeszydbh4dpl3pl4utgqqw2v4jna=.b32.i2p")
    assert not addr.SetSpecial("udhdrtrcetjm5sxzskjyr5ztpeszydbh4dpl3pl4utgqqw2v\0wtf.b32.i2p")
    # 56 base32 characters: an encrypted lease set, valid I2P but not supported
    assert not addr.SetSpecial("pg6mmjiyjmcrsslvykfwnntlaru7p5svn6y2ymmju6nubxndf4pscsad.b32.i2p")
    assert not addr.SetSpecial("tp*szydbh4dp.b32.i2p")
    assert not addr.SetSpecial("totally bogus")


def test_setinternal_names_a_host_by_its_hash() -> None:
    addr = CNetAddr()
    assert not addr.SetInternal("")
    assert addr.SetInternal("esffpp")
    assert not addr.IsValid() and addr.IsInternal() and not addr.IsBindAny()
    assert addr.IsAddrV1Compatible()
    assert addr.ToStringAddr() == "esffpvrt3wpeaygy.internal"
    assert len(addr.m_addr) == ADDR_INTERNAL_SIZE


CANONICAL_IPV6 = {
    "0000:0000:0000:0000:0000:0000:0000:0000": "::",
    "000:0000:000:00:0:00:000:0000": "::",
    "000:000:000:000:000:000:000:000": "::",
    "00:00:00:00:00:00:00:00": "::",
    "0:0:0:0:0:0:0:0": "::",
    "0:0:0:0:0:0:0:1": "::1",
    "2001:0:0:1:0:0:0:1": "2001:0:0:1::1",
    "2001:0db8:0:0:1:0:0:1": "2001:db8::1:0:0:1",
    "2001:0db8:85a3:0000:0000:8a2e:0370:7334": "2001:db8:85a3::8a2e:370:7334",
    "2001:0db8::0001": "2001:db8::1",
    "2001:0db8::0001:0000": "2001:db8::1:0",
    "2001:0db8::1:0:0:1": "2001:db8::1:0:0:1",
    "2001:db8:0000:0:1::1": "2001:db8::1:0:0:1",
    "2001:db8:0000:1:1:1:1:1": "2001:db8:0:1:1:1:1:1",
    "2001:db8:0:0:0:0:2:1": "2001:db8::2:1",
    "2001:db8:0:0:0::1": "2001:db8::1",
    "2001:db8:0:0:1:0:0:1": "2001:db8::1:0:0:1",
    "2001:db8:0:0:1::1": "2001:db8::1:0:0:1",
    "2001:DB8:0:0:1::1": "2001:db8::1:0:0:1",
    "2001:db8:0:0::1": "2001:db8::1",
    "2001:db8:0:0:aaaa::1": "2001:db8::aaaa:0:0:1",
    "2001:db8:0:1:1:1:1:1": "2001:db8:0:1:1:1:1:1",
    "2001:db8:0::1": "2001:db8::1",
    "2001:db8:85a3:0:0:8a2e:370:7334": "2001:db8:85a3::8a2e:370:7334",
    "2001:db8::0:1": "2001:db8::1",
    "2001:db8::0:1:0:0:1": "2001:db8::1:0:0:1",
    "2001:DB8::1": "2001:db8::1",
    "2001:db8::1": "2001:db8::1",
    "2001:db8::1:0:0:1": "2001:db8::1:0:0:1",
    "2001:db8::1:1:1:1:1": "2001:db8:0:1:1:1:1:1",
    "2001:db8::aaaa:0:0:1": "2001:db8::aaaa:0:0:1",
    "2001:db8:aaaa:bbbb:cccc:dddd:0:1": "2001:db8:aaaa:bbbb:cccc:dddd:0:1",
    "2001:db8:aaaa:bbbb:cccc:dddd::1": "2001:db8:aaaa:bbbb:cccc:dddd:0:1",
    "2001:db8:aaaa:bbbb:cccc:dddd:eeee:0001": "2001:db8:aaaa:bbbb:cccc:dddd:eeee:1",
    "2001:db8:aaaa:bbbb:cccc:dddd:eeee:001": "2001:db8:aaaa:bbbb:cccc:dddd:eeee:1",
    "2001:db8:aaaa:bbbb:cccc:dddd:eeee:01": "2001:db8:aaaa:bbbb:cccc:dddd:eeee:1",
    "2001:db8:aaaa:bbbb:cccc:dddd:eeee:1": "2001:db8:aaaa:bbbb:cccc:dddd:eeee:1",
    "2001:db8:aaaa:bbbb:cccc:dddd:eeee:aaaa": "2001:db8:aaaa:bbbb:cccc:dddd:eeee:aaaa",
    "2001:db8:aaaa:bbbb:cccc:dddd:eeee:AAAA": "2001:db8:aaaa:bbbb:cccc:dddd:eeee:aaaa",
    "2001:db8:aaaa:bbbb:cccc:dddd:eeee:AaAa": "2001:db8:aaaa:bbbb:cccc:dddd:eeee:aaaa",
}


@pytest.mark.parametrize(("text", "canonical"), sorted(CANONICAL_IPV6.items()))
def test_ipv6_text_is_rfc5952_canonical(text: str, canonical: str) -> None:
    addr = ResolveIP(text)
    assert addr.IsIPv6()
    assert addr.ToStringAddr() == canonical


def test_ipv6_text_never_uses_a_dotted_quad_tail() -> None:
    assert make(NET_IPV6, bytes(10) + b"\xff\xfe\x01\x02\x03\x04").ToStringAddr() == (
        "::fffe:102:304"
    )
    assert make(NET_CJDNS, bytes.fromhex("fc000001000200030004000500060007")).ToStringAddr() == (
        "fc00:1:2:3:4:5:6:7"
    )


def test_base32_matches_upstream_alphabet_padding_and_strictness() -> None:
    assert EncodeBase32(b"") == ""
    assert EncodeBase32(b"f") == "my======"
    assert EncodeBase32(b"foobar") == "mzxw6ytboi======"
    assert EncodeBase32(b"foobar", pad=False) == "mzxw6ytboi"
    assert DecodeBase32("MZXW6YTBOI======") == b"foobar"
    assert DecodeBase32("mzxw6ytboi======") == b"foobar"
    assert DecodeBase32("mzxw6ytb") == b"fooba"
    assert DecodeBase32("mzxw6yt") is None  # not a multiple of 8
    assert DecodeBase32("mzxw6ytbo=======") is None  # 7 '=' is never valid padding
    assert DecodeBase32("mzxw6ytboj======") is None  # non-zero stray bits
    assert DecodeBase32("mzxw6yt!") is None


# --- classification ----------------------------------------------------------------------


def test_netbase_networks() -> None:
    assert ResolveIP("127.0.0.1").GetNetwork() == NET_UNROUTABLE
    assert ResolveIP("::1").GetNetwork() == NET_UNROUTABLE
    assert ResolveIP("8.8.8.8").GetNetwork() == NET_IPV4
    assert ResolveIP("2001::8888").GetNetwork() == NET_IPV6
    assert ResolveIP(TORV3_ADDR).GetNetwork() == NET_ONION
    assert CreateInternal("foo.com").GetNetwork() == NET_INTERNAL


@pytest.mark.parametrize(
    ("text", "predicate"),
    [
        ("127.0.0.1", "IsIPv4"),
        ("::FFFF:192.168.1.1", "IsIPv4"),
        ("::1", "IsIPv6"),
        ("10.0.0.1", "IsRFC1918"),
        ("192.168.1.1", "IsRFC1918"),
        ("172.31.255.255", "IsRFC1918"),
        ("198.18.0.0", "IsRFC2544"),
        ("198.19.255.255", "IsRFC2544"),
        ("2001:0DB8::", "IsRFC3849"),
        ("169.254.1.1", "IsRFC3927"),
        ("2002::1", "IsRFC3964"),
        ("FC00::", "IsRFC4193"),
        ("2001::2", "IsRFC4380"),
        ("2001:10::", "IsRFC4843"),
        ("2001:20::", "IsRFC7343"),
        ("FE80::", "IsRFC4862"),
        ("64:FF9B::", "IsRFC6052"),
        ("::FFFF:0:102:304", "IsRFC6145"),
        ("100.64.0.1", "IsRFC6598"),
        ("100.127.255.255", "IsRFC6598"),
        ("192.0.2.1", "IsRFC5737"),
        ("198.51.100.1", "IsRFC5737"),
        ("203.0.113.1", "IsRFC5737"),
        ("2001:470:abcd::1", "IsHeNet"),
        (TORV3_ADDR, "IsTor"),
        (I2P_ADDR, "IsI2P"),
        ("127.0.0.1", "IsLocal"),
        ("0.1.2.3", "IsLocal"),
        ("::1", "IsLocal"),
        ("8.8.8.8", "IsRoutable"),
        ("2001::1", "IsRoutable"),
        (TORV3_ADDR, "IsRoutable"),
        ("127.0.0.1", "IsValid"),
    ],
)
def test_netbase_properties(text: str, predicate: str) -> None:
    assert getattr(ResolveIP(text), predicate)() is True


@pytest.mark.parametrize(
    ("text", "predicate"),
    [
        ("172.32.0.1", "IsRFC1918"),
        ("172.15.255.255", "IsRFC1918"),
        ("198.20.0.0", "IsRFC2544"),
        ("100.128.0.1", "IsRFC6598"),
        ("2001:30::", "IsRFC4843"),
        ("2001:470:abcd::1", "IsRFC4380"),  # 2001:470::/32 is not Teredo's 2001::/32
        ("10.0.0.1", "IsRoutable"),
        ("fe80::1", "IsRoutable"),
        ("fc00::1", "IsRoutable"),
        ("2001:db8::1", "IsValid"),
    ],
)
def test_netbase_properties_negative(text: str, predicate: str) -> None:
    assert getattr(ResolveIP(text), predicate)() is False


def test_internal_addresses_are_internal_and_invalid() -> None:
    assert CreateInternal("FD6B:88C0:8724:edb1:8e4:3588:e546:35ca").IsInternal()
    internal = CreateInternal("bar.com")
    assert internal.IsInternal() and not internal.IsValid() and not internal.IsRoutable()
    assert internal.GetNetClass() == NET_INTERNAL
    assert not internal.IsRelayable()


def test_cjdns_address_without_fc_prefix_is_invalid() -> None:
    assert make(NET_CJDNS, bytes.fromhex("fc000001000200030004000500060007")).IsValid()
    assert not make(NET_CJDNS, bytes.fromhex("aa000001000200030004000500060007")).IsValid()


def test_embedded_ipv4_prints_as_ipv4() -> None:
    addr1 = ResolveIP("1.2.3.4")
    addr2 = ResolveIP("::FFFF:0102:0304")
    assert addr2.IsIPv4()
    assert addr1.ToStringAddr() == addr2.ToStringAddr() == "1.2.3.4"


@pytest.mark.parametrize(
    ("text", "linked"),
    [
        ("1.2.3.4", 0x01020304),
        ("::FFFF:0:102:304", 0x01020304),  # RFC6145
        ("64:FF9B::102:304", 0x01020304),  # RFC6052
        ("2002:102:304:9999:9999:9999:9999:9999", 0x01020304),  # RFC3964 (6to4)
        ("2001:0:9999:9999:9999:9999:FEFD:FCFB", 0x01020304),  # RFC4380 (Teredo), bit-flipped
    ],
)
def test_linked_ipv4_of_tunnelled_forms(text: str, linked: int) -> None:
    addr = ResolveIP(text)
    assert addr.HasLinkedIPv4()
    assert addr.GetLinkedIPv4() == linked
    assert addr.GetNetClass() == NET_IPV4


def test_unroutable_address_has_no_linked_ipv4() -> None:
    assert not ResolveIP("10.0.0.1").HasLinkedIPv4()
    assert not ResolveIP("2001:470::1").HasLinkedIPv4()
    with pytest.raises(AssertionError):
        ResolveIP("2001:470::1").GetLinkedIPv4()


def test_relayable_networks() -> None:
    assert ResolveIP("10.0.0.1").IsRelayable()
    assert ResolveIP("::").IsRelayable()
    assert ResolveIP(TORV3_ADDR).IsRelayable()
    assert ResolveIP(I2P_ADDR).IsRelayable()
    assert make(NET_CJDNS, b"\xfc" + bytes(15)).IsRelayable()
    assert not CreateInternal("a").IsRelayable()


@pytest.mark.parametrize(
    ("ours", "theirs", "score"),
    [
        ("10.0.0.1", "8.8.8.8", REACH_UNREACHABLE),
        ("8.8.8.8", "8.8.4.4", REACH_IPV4),
        ("2001:470::1", "8.8.8.8", REACH_DEFAULT),
        ("2001:470::1", "2001:470::2", REACH_IPV6_STRONG),
        ("2002:102:304::1", "2001:470::2", REACH_IPV6_WEAK),
        ("2001::1", "2001:470::2", REACH_TEREDO),
        ("8.8.8.8", "2001:470::2", REACH_IPV4),
        (TORV3_ADDR, TORV3_ADDR, REACH_PRIVATE),
        ("8.8.8.8", TORV3_ADDR, REACH_IPV4),
        ("2001:470::1", TORV3_ADDR, REACH_DEFAULT),
        (I2P_ADDR, I2P_ADDR, REACH_PRIVATE),
        ("8.8.8.8", I2P_ADDR, REACH_DEFAULT),
        ("2001:470::1", "2001::2", REACH_IPV6_WEAK),
        ("2001::1", "2001::2", REACH_TEREDO),
        ("8.8.8.8", "10.0.0.1", REACH_IPV4),
        (TORV3_ADDR, "10.0.0.1", REACH_PRIVATE),
        (I2P_ADDR, "10.0.0.1", REACH_DEFAULT),
    ],
)
def test_reachability_from_partner(ours: str, theirs: str, score: int) -> None:
    assert ResolveIP(ours).GetReachabilityFrom(ResolveIP(theirs)) == score


# --- ordering, equality, hashing --------------------------------------------------------


def test_cnetaddr_equality_ignores_scope_id() -> None:
    a = CNetAddr(bytes.fromhex("fe800000000000000000000000000001"), 1)
    b = CNetAddr(bytes.fromhex("fe800000000000000000000000000001"), 2)
    assert a == b and hash(a) == hash(b)
    assert (a != b) is False


def test_cnetaddr_orders_by_network_then_bytes() -> None:
    addrs = [ResolveIP("::2"), ResolveIP("2.0.0.0"), ResolveIP("::1"), ResolveIP("1.0.0.0")]
    assert [a.ToStringAddr() for a in sorted(addrs)] == ["1.0.0.0", "2.0.0.0", "::1", "::2"]
    assert ResolveIP("255.255.255.255") < ResolveIP("::")  # NET_IPV4 < NET_IPV6


def test_cservice_equality_and_order_include_the_port() -> None:
    ip = ResolveIP("1.2.3.4")
    a, b = CService(ip, 1), CService(ip, 2)
    assert a != b and a < b and not (b < a)
    assert CService(ip, 1) == a and hash(CService(ip, 1)) == hash(a)
    assert CService(ResolveIP("1.2.3.3"), 9) < a
    assert len({a, b, CService(ip, 1)}) == 2


def test_cservice_against_plain_cnetaddr_compares_the_address_only() -> None:
    ip = ResolveIP("1.2.3.4")
    assert CService(ip, 8333) == ip
    assert ip == CService(ip, 8333)
    assert CService(ResolveIP("1.2.3.5"), 1) != ip


def test_cservice_text_brackets_ipv6_and_cjdns_only() -> None:
    assert CService(ResolveIP("1.2.3.4"), 8333).ToStringAddrPort() == "1.2.3.4:8333"
    assert CService(ResolveIP("::1"), 8333).ToStringAddrPort() == "[::1]:8333"
    assert CService(ResolveIP(TORV3_ADDR), 0).ToStringAddrPort() == TORV3_ADDR + ":0"
    assert CService(ResolveIP(I2P_ADDR), 0).ToStringAddrPort() == I2P_ADDR + ":0"
    assert CService(CreateInternal("a"), 1).ToStringAddrPort().endswith(".internal:1")
    cjdns = make(NET_CJDNS, bytes.fromhex("fc000001000200030004000500060007"))
    assert CService(cjdns, 1).ToStringAddrPort() == "[fc00:1:2:3:4:5:6:7]:1"


def test_cservice_getkey_is_v1_bytes_then_big_endian_port() -> None:
    assert CService(ResolveIP("1.2.3.4"), 0x1234).GetKey().hex() == (
        "00000000000000000000ffff010203041234"
    )
    assert CService(ResolveIP(TORV3_ADDR), 0xF1F2).GetKey().hex() == TORV3_PUBKEY + "f1f2"


def test_cservice_socket_address_round_trip() -> None:
    service = CService(ResolveIP("fe80::1%3"), 8333)
    sockaddr = service.GetSockAddr()
    assert sockaddr == ("fe80::1", 8333, 0, 3)
    back = CService()
    assert sockaddr is not None and back.SetSockAddr(sockaddr, service.GetSAFamily())
    assert back == service and back.m_scope_id == 3
    v4 = CService()
    assert v4.SetSockAddr(("1.2.3.4", 1), 2)  # AF_INET
    assert v4.ToStringAddrPort() == "1.2.3.4:1"
    assert not v4.SetSockAddr(("not an address", 1), 2)
    assert CService(ResolveIP(TORV3_ADDR), 1).GetSockAddr() is None


# --- ADDRv1 -------------------------------------------------------------------------------


def test_cnetaddr_serialize_v1() -> None:
    assert CNetAddr().SerializeV1Array().hex() == "00000000000000000000000000000000"
    assert ResolveIP("1.2.3.4").SerializeV1Array().hex() == "00000000000000000000ffff01020304"
    assert ResolveIP("1a1b:2a2b:3a3b:4a4b:5a5b:6a6b:7a7b:8a8b").SerializeV1Array().hex() == (
        "1a1b2a2b3a3b4a4b5a5b6a6b7a7b8a8b"
    )
    assert ResolveIP(TORV3_ADDR).SerializeV1Array().hex() == "00000000000000000000000000000000"
    assert CreateInternal("a").SerializeV1Array().hex() == "fd6b88c08724ca978112ca1bbdcafac2"


def test_cnetaddr_unserialize_v1_reads_embedded_forms() -> None:
    assert CNetAddr.UnserializeV1Array(bytes.fromhex("00000000000000000000ffff01020304")) == (
        ResolveIP("1.2.3.4")
    )
    internal = CNetAddr.UnserializeV1Array(bytes.fromhex("fd6b88c08724ca978112ca1bbdcafac2"))
    assert internal == CreateInternal("a")
    torv2 = CNetAddr.UnserializeV1Array(bytes.fromhex("fd87d87eeb430102030405060708090a"))
    assert torv2 == CNetAddr() and not torv2.IsValid()


def test_cservice_v1_is_address_then_big_endian_port() -> None:
    service = CService(ResolveIP("1.2.3.4"), 0x20A1)
    assert service.serialize_v1().hex() == "00000000000000000000ffff0102030420a1"
    s = DataStream(service.serialize_v1())
    back = CService.deserialize_v1(s)
    assert back == service and s.empty()


# --- ADDRv2 (BIP155) ----------------------------------------------------------------------


def test_cnetaddr_serialize_v2() -> None:
    assert CNetAddr().SerializeV2Stream().hex() == "021000000000000000000000000000000000"
    assert ResolveIP("1.2.3.4").SerializeV2Stream().hex() == "010401020304"
    assert ResolveIP("1a1b:2a2b:3a3b:4a4b:5a5b:6a6b:7a7b:8a8b").SerializeV2Stream().hex() == (
        "02101a1b2a2b3a3b4a4b5a5b6a6b7a7b8a8b"
    )
    tor = CNetAddr()
    assert tor.SetSpecial("kpgvmscirrdqpekbqjsvw5teanhatztpp2gl6eee4zkowvwfxwenqaid.onion")
    assert tor.SerializeV2Stream().hex() == (
        "042053cd5648488c4707914182655b7664034e09e66f7e8cbf1084e654eb56c5bd88"
    )
    assert CreateInternal("a").SerializeV2Stream().hex() == "0210fd6b88c08724ca978112ca1bbdcafac2"


def test_unserialize_v2_valid_networks() -> None:
    addr = v2("01", "04", "01020304")
    assert addr.IsValid() and addr.IsIPv4() and addr.IsAddrV1Compatible()
    assert addr.ToStringAddr() == "1.2.3.4"

    addr = v2("02", "10", "0102030405060708090a0b0c0d0e0f10")
    assert addr.IsValid() and addr.IsIPv6() and addr.IsAddrV1Compatible()
    assert addr.ToStringAddr() == "102:304:506:708:90a:b0c:d0e:f10"

    # 0xfd + sha256("bitcoin")[0:5] + sha256(name)[0:10]: "internal" embedded in IPv6
    addr = v2("02", "10", "fd6b88c08724ca978112ca1bbdcafac2")
    assert addr.IsInternal() and addr.IsAddrV1Compatible()
    assert addr.ToStringAddr() == "zklycewkdo64v6wc.internal"

    addr = v2("04", "20", TORV3_PUBKEY)
    assert addr.IsValid() and addr.IsTor() and not addr.IsAddrV1Compatible()
    assert addr.ToStringAddr() == TORV3_ADDR

    addr = v2("05", "20", I2P_BYTES)
    assert addr.IsValid() and addr.IsI2P() and not addr.IsAddrV1Compatible()
    assert addr.ToStringAddr() == I2P_ADDR

    addr = v2("06", "10", "fc000001000200030004000500060007")
    assert addr.IsValid() and addr.IsCJDNS() and not addr.IsAddrV1Compatible()
    assert addr.ToStringAddr() == "fc00:1:2:3:4:5:6:7"


@pytest.mark.parametrize(
    ("net_id", "size", "address"),
    [
        ("02", "10", "00000000000000000000ffff01020304"),  # IPv4 embedded in IPv6
        ("02", "10", "fd87d87eeb430102030405060708090a"),  # TORv2 embedded in IPv6
        ("03", "0a", "f1f2f3f4f5f6f7f8f9fa"),  # TORv2, no longer supported
        ("aa", "04", "01020304"),  # unknown network id
        ("aa", "00", ""),  # unknown network id, empty address
    ],
)
def test_unserialize_v2_reads_unsupported_addresses_as_invalid(
    net_id: str, size: str, address: str
) -> None:
    addr = v2(net_id, size, address)
    assert not addr.IsValid()
    assert addr == CNetAddr()


def test_unserialize_v2_keeps_cjdns_with_wrong_prefix_as_invalid_cjdns() -> None:
    addr = v2("06", "10", "aa000001000200030004000500060007")
    assert addr.IsCJDNS() and not addr.IsValid()


@pytest.mark.parametrize(
    ("net_id", "size", "address", "reason"),
    [
        ("01", "04", "0102", "end of data"),
        ("01", "05", "01020304", "BIP155 IPv4 address with length 5 (should be 4)"),
        ("01", "fd0102", "01020304", "Address too long: 513 > 512"),
        ("02", "04", "00", "BIP155 IPv6 address with length 4 (should be 16)"),
        ("04", "00", "00", "BIP155 TORv3 address with length 0 (should be 32)"),
        ("05", "03", "00", "BIP155 I2P address with length 3 (should be 32)"),
        ("06", "01", "00", "BIP155 CJDNS address with length 1 (should be 16)"),
        ("aa", "fe00000002", "01020304050607", "Address too long: 33554432 > 512"),
        ("aa", "fe01000002", "", "size too large"),  # CompactSize above MAX_SIZE
        ("aa", "08", "0102", "end of data"),  # unknown id, address cut short
        ("", "", "", "end of data"),
        ("01", "", "", "end of data"),
    ],
)
def test_unserialize_v2_rejects_malformed_input(
    net_id: str, size: str, address: str, reason: str
) -> None:
    s = DataStream(bytes.fromhex(net_id + size + address))
    with pytest.raises(SerializationError, match=re.escape(reason)):
        CNetAddr.UnserializeV2Stream(s)


def test_unserialize_v2_reads_consecutive_addresses_past_unknown_ones() -> None:
    encoded = ["aa", "03", "010203", "01", "04", "01020304", "06", "10", "fc" * 16]
    s = DataStream(bytes.fromhex("".join(encoded)))
    got = [CNetAddr.UnserializeV2Stream(s) for _ in range(3)]
    assert s.empty()
    assert [a.IsValid() for a in got] == [False, True, True]
    assert got[1].ToStringAddr() == "1.2.3.4"
    assert got[2].IsCJDNS()


def test_cservice_v2_is_bip155_address_then_big_endian_port() -> None:
    service = CService(ResolveIP("::1"), 0xF1F2)
    assert service.serialize_v2().hex() == "".join(
        ["02", "10", "00000000000000000000000000000001", "f1f2"]
    )
    s = DataStream(service.serialize_v2())
    assert CService.deserialize_v2(s) == service and s.empty()


_NET_SIZES = {
    NET_IPV4: ADDR_IPV4_SIZE,
    NET_IPV6: ADDR_IPV6_SIZE,
    NET_ONION: ADDR_TORV3_SIZE,
    NET_I2P: ADDR_I2P_SIZE,
    NET_CJDNS: ADDR_CJDNS_SIZE,
    NET_INTERNAL: ADDR_INTERNAL_SIZE,
}


@st.composite
def netaddrs(draw: st.DrawFn) -> CNetAddr:
    net = draw(st.sampled_from(sorted(_NET_SIZES)))
    raw = draw(st.binary(min_size=_NET_SIZES[net], max_size=_NET_SIZES[net]))
    if net == NET_IPV6:
        # IPv6 that would carry another network in ADDRv1 form is read back as that network.
        for prefix in (IPV4_IN_IPV6_PREFIX, TORV2_IN_IPV6_PREFIX, INTERNAL_IN_IPV6_PREFIX):
            if raw.startswith(prefix):
                raw = b"\x20" + raw[1:]
    return make(net, raw)


@given(netaddrs(), st.integers(min_value=0, max_value=0xFFFF))
def test_addrv2_round_trips_every_network(addr: CNetAddr, port: int) -> None:
    s = DataStream(addr.SerializeV2Stream())
    back = CNetAddr.UnserializeV2Stream(s)
    assert s.empty()
    assert back == addr and back.m_net == addr.m_net and back.m_addr == addr.m_addr
    service = CService(addr, port)
    s = DataStream(service.serialize_v2())
    assert CService.deserialize_v2(s) == service and s.empty()


@given(netaddrs())
def test_addrv1_round_trips_v1_compatible_addresses(addr: CNetAddr) -> None:
    encoded = addr.SerializeV1Array()
    assert len(encoded) == 16
    back = CNetAddr.UnserializeV1Array(encoded)
    if addr.IsAddrV1Compatible():
        assert back == addr
    else:
        assert back == CNetAddr()


@given(st.binary(max_size=64))
def test_unserialize_v2_raises_only_serializationerror(data: bytes) -> None:
    s = DataStream(data)
    try:
        addr = CNetAddr.UnserializeV2Stream(s)
    except SerializationError:
        return
    # Whatever parses serializes to something that parses the same.
    again = CNetAddr.UnserializeV2Stream(DataStream(addr.SerializeV2Stream()))
    assert again == addr


# --- CSubNet ------------------------------------------------------------------------------


def test_subnet_constructors_and_text() -> None:
    assert CSubNet(ResolveIP("127.0.0.1")).IsValid()
    assert CSubNet(ResolveIP("127.0.0.1")).Match(ResolveIP("127.0.0.1"))
    assert not CSubNet(ResolveIP("127.0.0.1")).Match(ResolveIP("127.0.0.2"))
    assert CSubNet(ResolveIP("127.0.0.1")).ToString() == "127.0.0.1/32"

    assert CSubNet(ResolveIP("1.2.3.4"), 32).ToString() == "1.2.3.4/32"
    assert CSubNet(ResolveIP("1.2.3.4"), 8).ToString() == "1.0.0.0/8"
    assert CSubNet(ResolveIP("1.2.3.4"), 0).ToString() == "0.0.0.0/0"

    assert CSubNet(ResolveIP("1.2.3.4"), ResolveIP("255.255.255.255")).ToString() == "1.2.3.4/32"
    assert CSubNet(ResolveIP("1.2.3.4"), ResolveIP("255.0.0.0")).ToString() == "1.0.0.0/8"
    assert CSubNet(ResolveIP("1.2.3.4"), ResolveIP("0.0.0.0")).ToString() == "0.0.0.0/0"

    assert CSubNet(ResolveIP("1:2:3:4:5:6:7:8")).IsValid()
    assert CSubNet(ResolveIP("1:2:3:4:5:6:7:8")).Match(ResolveIP("1:2:3:4:5:6:7:8"))
    assert not CSubNet(ResolveIP("1:2:3:4:5:6:7:8")).Match(ResolveIP("1:2:3:4:5:6:7:9"))
    assert CSubNet(ResolveIP("1:2:3:4:5:6:7:8")).ToString() == "1:2:3:4:5:6:7:8/128"

    # An IPv4 address with an IPv6 netmask, or the other way around.
    assert not CSubNet(ResolveIP("1.1.1.1"), ResolveIP("ffff::")).IsValid()
    assert not CSubNet(ResolveIP("::1"), ResolveIP("255.0.0.0")).IsValid()
    # Prefix lengths beyond the address size.
    assert not CSubNet(ResolveIP("1.2.3.4"), 33).IsValid()
    assert not CSubNet(ResolveIP("::1"), 129).IsValid()


def test_invalid_subnet_matches_nothing() -> None:
    assert not CSubNet().IsValid()
    assert not CSubNet().Match(ResolveIP("1.2.3.4"))
    assert not CSubNet().Match(CNetAddr())
    assert CSubNet().ToString() == "::/0"
    assert not CSubNet(CreateInternal("a")).IsValid()


def test_subnet_of_non_ip_host() -> None:
    tor_addr = ResolveIP(TORV3_ADDR)
    subnet = CSubNet(tor_addr)
    assert subnet.IsValid()
    assert subnet.ToString() == tor_addr.ToStringAddr()
    assert subnet.Match(tor_addr)
    assert not subnet.Match(
        ResolveIP("kpgvmscirrdqpekbqjsvw5teanhatztpp2gl6eee4zkowvwfxwenqaid.onion")
    )
    assert not subnet.Match(ResolveIP("1.2.3.4"))
    assert not CSubNet(tor_addr, 200).IsValid()
    assert not CSubNet(tor_addr, ResolveIP("255.0.0.0")).IsValid()


def test_subnet_equality_hash_and_order() -> None:
    a = CSubNet(ResolveIP("1.2.3.4"), 24)
    b = CSubNet(ResolveIP("1.2.3.99"), ResolveIP("255.255.255.0"))
    assert a == b and hash(a) == hash(b)
    assert a != CSubNet(ResolveIP("1.2.3.4"), 25)
    assert CSubNet(ResolveIP("1.2.3.0"), 24) < CSubNet(ResolveIP("1.2.3.0"), 25)
    assert CSubNet(ResolveIP("1.2.2.0"), 25) < CSubNet(ResolveIP("1.2.3.0"), 24)


def test_cservicehash_is_siphash_of_network_port_and_address() -> None:
    service = CService(ResolveIP("1.2.3.4"), 8333)
    expected = (
        CSipHasher(1, 2)
        .Write(int(NET_IPV4).to_bytes(8, "little"))
        .Write((8333).to_bytes(8, "little"))
        .Write(bytes([1, 2, 3, 4]))
        .Finalize()
    )
    assert CServiceHash(1, 2)(service) == expected
    assert CServiceHash(1, 2)(CService(ResolveIP("1.2.3.4"), 8334)) != expected
    assert CServiceHash(1, 3)(service) != expected
