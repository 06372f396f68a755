"""Network groups for peer diversity (src/netgroup.h/.cpp), without asmap.

This node has no -asmap: a NetGroupManager is always built without a map, so GetMappedAS()
returns 0 (AS0 is reserved, RFC 7607, so it means "not found") and GetGroup() groups by prefix.
"""

from __future__ import annotations

from collections.abc import Sequence

from .netaddress import (
    ADDR_INTERNAL_SIZE,
    INTERNAL_IN_IPV6_PREFIX,
    NET_IPV4,
    NET_IPV6,
    CNetAddr,
)
from .uint256 import uint256


class NetGroupManager:
    """Assigns addresses to network groups so that one attacker cannot cheaply own many.

    ``asmap`` is upstream's compressed IP->ASN map; only an empty one is supported."""

    __slots__ = ("m_asmap",)
    m_asmap: tuple[bool, ...]

    def __init__(self, asmap: Sequence[bool] = ()) -> None:
        if len(asmap) != 0:
            raise ValueError("asmap is not supported: NetGroupManager takes an empty asmap")
        self.m_asmap = tuple(asmap)

    def GetAsmapChecksum(self) -> uint256:
        """The checksum of the asmap in use: null, since there is none."""
        return uint256()

    def GetGroup(self, address: CNetAddr) -> bytes:
        """The canonical network group of ``address``: its net class, then a prefix (/16 for
        addresses with a linked IPv4, /32 for IPv6, /36 for he.net, 4 bits for Tor and I2P,
        12 for CJDNS, all 10 bytes for "internal"). No two outbound connections share one."""
        asn = self.GetMappedAS(address)
        if asn != 0:
            # IPv4 and IPv6 with the same ASN share a group.
            return bytes((NET_IPV6,)) + asn.to_bytes(4, "little")

        ret = bytearray((address.GetNetClass(),))
        start_byte = 0
        bits = 0
        if address.IsLocal():
            pass  # all local addresses belong to one group
        elif address.IsInternal():
            # Each internal address is its own group; skip the prefix GetAddrBytes() adds.
            start_byte = len(INTERNAL_IN_IPV6_PREFIX)
            bits = ADDR_INTERNAL_SIZE * 8
        elif not address.IsRoutable():
            pass  # all other unroutable addresses belong to one group
        elif address.HasLinkedIPv4():
            # IPv4, and IPv6 forms that carry an IPv4 address, use /16 of that address.
            ipv4 = address.GetLinkedIPv4()
            ret.append((ipv4 >> 24) & 0xFF)
            ret.append((ipv4 >> 16) & 0xFF)
            return bytes(ret)
        elif address.IsTor() or address.IsI2P():
            bits = 4
        elif address.IsCJDNS():
            # Random bytes like Tor and I2P, after the constant first byte (CJDNS_PREFIX).
            bits = 12
        elif address.IsHeNet():
            bits = 36
        else:
            bits = 32

        addr_bytes = address.GetAddrBytes()
        num_bytes = bits // 8
        ret += addr_bytes[start_byte : start_byte + num_bytes]
        bits %= 8
        # The last, partial byte: its top `bits` bits, the rest set to 1.
        if bits > 0:
            if num_bytes >= len(addr_bytes):
                raise AssertionError("network group prefix longer than the address")
            ret.append(addr_bytes[num_bytes + start_byte] | ((1 << (8 - bits)) - 1))
        return bytes(ret)

    def GetMappedAS(self, address: CNetAddr) -> int:
        """The AS on the BGP path to ``address``; 0 (not found) without an asmap."""
        net_class = address.GetNetClass()
        if len(self.m_asmap) == 0 or (net_class != NET_IPV4 and net_class != NET_IPV6):
            return 0
        raise AssertionError("unreachable: NetGroupManager never holds an asmap")

    def UsingASMap(self) -> bool:
        """Whether an asmap is used for clearnet bucketing: never here."""
        return len(self.m_asmap) > 0
