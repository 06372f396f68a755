"""NetGroupManager without asmap (upstream's netbase_tests.cpp netbase_getgroup)."""

from __future__ import annotations

import pytest

from common.netaddress import (
    NET_CJDNS,
    NET_I2P,
    NET_INTERNAL,
    NET_IPV4,
    NET_IPV6,
    NET_ONION,
    CNetAddr,
)
from common.netbase import LookupHost
from common.netgroup import NetGroupManager
from common.uint256 import uint256


def ResolveIP(ip: str) -> CNetAddr:
    addr = LookupHost(ip, False)
    return addr if addr is not None else CNetAddr()


@pytest.mark.parametrize(
    ("text", "group"),
    [
        ("127.0.0.1", bytes([0])),  # local -> !IsRoutable()
        ("257.0.0.1", bytes([0])),  # does not parse: the invalid default address
        ("10.0.0.1", bytes([0])),  # RFC1918 -> !IsRoutable()
        ("169.254.1.1", bytes([0])),  # RFC3927 -> !IsRoutable()
        ("1.2.3.4", bytes([NET_IPV4, 1, 2])),
        ("::FFFF:0:102:304", bytes([NET_IPV4, 1, 2])),  # RFC6145
        ("64:FF9B::102:304", bytes([NET_IPV4, 1, 2])),  # RFC6052
        ("2002:102:304:9999:9999:9999:9999:9999", bytes([NET_IPV4, 1, 2])),  # RFC3964
        ("2001:0:9999:9999:9999:9999:FEFD:FCFB", bytes([NET_IPV4, 1, 2])),  # RFC4380
        ("2001:470:abcd:9999:9999:9999:9999:9999", bytes([NET_IPV6, 32, 1, 4, 112, 175])),  # he.net
        ("2001:2001:9999:9999:9999:9999:9999:9999", bytes([NET_IPV6, 32, 1, 32, 1])),
    ],
)
def test_getgroup(text: str, group: bytes) -> None:
    assert NetGroupManager().GetGroup(ResolveIP(text)) == group


def test_getgroup_of_internal_address_is_its_whole_hash() -> None:
    # sha256("baz.net") = 12929400eb4607c4ac075f087167e75286b179c693eb059a01774b864e8fe505
    addr = CNetAddr()
    addr.SetInternal("baz.net")
    assert NetGroupManager().GetGroup(addr) == bytes(
        [NET_INTERNAL, 0x12, 0x92, 0x94, 0x00, 0xEB, 0x46, 0x07, 0xC4, 0xAC, 0x07]
    )


def test_getgroup_of_privacy_networks_uses_four_bits() -> None:
    tor = ResolveIP("pg6mmjiyjmcrsslvykfwnntlaru7p5svn6y2ymmju6nubxndf4pscryd.onion")
    # First address byte 0x79: keep its top nibble, set the rest to 1s.
    assert NetGroupManager().GetGroup(tor) == bytes([NET_ONION, 0x7F])
    i2p = ResolveIP("ukeu3k5oycgaauneqgtnvselmt4yemvoilkln7jpvamvfx7dnkdq.b32.i2p")
    assert NetGroupManager().GetGroup(i2p) == bytes([NET_I2P, 0xAF])  # first byte 0xa2


def test_getgroup_of_cjdns_skips_the_constant_prefix() -> None:
    cjdns = CNetAddr()
    cjdns.m_net = NET_CJDNS
    cjdns.m_addr = bytes.fromhex("fc123456000000000000000000000001")
    assert NetGroupManager().GetGroup(cjdns) == bytes([NET_CJDNS, 0xFC, 0x1F])


def test_no_asmap() -> None:
    netgroupman = NetGroupManager([])
    assert not netgroupman.UsingASMap()
    assert netgroupman.GetAsmapChecksum() == uint256()
    assert netgroupman.GetMappedAS(ResolveIP("1.2.3.4")) == 0
    assert netgroupman.GetMappedAS(ResolveIP("2001:470::1")) == 0
    with pytest.raises(ValueError, match="asmap is not supported"):
        NetGroupManager([True, False])
