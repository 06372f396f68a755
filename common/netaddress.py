"""Network addresses (src/netaddress.h/.cpp): CNetAddr, CService, CSubNet and BIP155 encodings.

``m_addr`` is an immutable ``bytes`` (upstream's ``prevector``), so every setter rebinds it. The
objects stay mutable like upstream's, and hash by value: do not mutate one while it is a dict key.
Equality, ordering and hashing use the same fields as upstream's operators (network and address
bytes, plus the port for CService; never the scope id).

Text is handled as upstream handles ``std::string``: Tor and I2P names are checked on their UTF-8
bytes, so lengths and suffixes mean the same thing in both code bases.
"""

from __future__ import annotations

import hashlib
import socket
from enum import Enum, IntEnum
from typing import Any, Final, Self

from .random import FastRandomContext
from .serialize import DataStream, SerializationError, ser_compact_size
from .siphash import CSipHasher


class Network(IntEnum):
    """A network type. An address may belong to more than one (10.0.0.1 is both NET_UNROUTABLE
    and NET_IPV4); the values are sequential from 0 with NET_MAX last, as upstream relies on."""

    NET_UNROUTABLE = 0
    NET_IPV4 = 1
    NET_IPV6 = 2
    NET_ONION = 3
    NET_I2P = 4
    NET_CJDNS = 5
    NET_INTERNAL = 6
    NET_MAX = 7


# Upstream's Network is an unscoped C enum: its values are names in their own right.
NET_UNROUTABLE: Final = Network.NET_UNROUTABLE
NET_IPV4: Final = Network.NET_IPV4
NET_IPV6: Final = Network.NET_IPV6
NET_ONION: Final = Network.NET_ONION
NET_I2P: Final = Network.NET_I2P
NET_CJDNS: Final = Network.NET_CJDNS
NET_INTERNAL: Final = Network.NET_INTERNAL
NET_MAX: Final = Network.NET_MAX


class BIP155Network(IntEnum):
    """BIP155 network ids this software knows (upstream's nested ``CNetAddr::BIP155Network``)."""

    IPV4 = 1
    IPV6 = 2
    TORV2 = 3
    TORV3 = 4
    I2P = 5
    CJDNS = 6


class Encoding(Enum):
    """Which address encoding a stream uses (upstream's nested ``CNetAddr::Encoding``)."""

    V1 = 1
    V2 = 2  # BIP155


#: ADDRv1 prefix of an IPv6 address carrying an IPv4 address.
IPV4_IN_IPV6_PREFIX: Final = bytes((0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF))
#: ADDRv1 prefix of an IPv6 address carrying a TORv2 address (inside fc00::/7, so unroutable).
TORV2_IN_IPV6_PREFIX: Final = bytes((0xFD, 0x87, 0xD8, 0x7E, 0xEB, 0x43))
#: ADDRv1 prefix of an "internal" address: 0xFD followed by SHA256("bitcoin")[0:5].
INTERNAL_IN_IPV6_PREFIX: Final = bytes((0xFD, 0x6B, 0x88, 0xC0, 0x87, 0x24))
#: First byte of every CJDNS address.
CJDNS_PREFIX: Final = 0xFC

ADDR_IPV4_SIZE: Final = 4
ADDR_IPV6_SIZE: Final = 16
#: A TORv3 address as BIP155 carries it: the public key, without checksum and version.
ADDR_TORV3_SIZE: Final = 32
ADDR_I2P_SIZE: Final = 32
ADDR_CJDNS_SIZE: Final = 16
ADDR_INTERNAL_SIZE: Final = 10

#: SAM 3.1 and earlier cannot carry a port and force it to 0.
I2P_SAM31_PORT: Final = 0

_IPV6_ANY: Final = bytes(ADDR_IPV6_SIZE)
_IPV6_LOOPBACK: Final = bytes(15) + b"\x01"
_IPV4_NONE: Final = b"\xff\xff\xff\xff"
_IPV4_ANY: Final = bytes(4)

_PREFIX_RFC3849: Final = bytes((0x20, 0x01, 0x0D, 0xB8))
_PREFIX_RFC3964: Final = bytes((0x20, 0x02))
_PREFIX_RFC6052: Final = bytes((0x00, 0x64, 0xFF, 0x9B, 0, 0, 0, 0, 0, 0, 0, 0))
_PREFIX_RFC4380: Final = bytes((0x20, 0x01, 0x00, 0x00))
_PREFIX_RFC4862: Final = bytes((0xFE, 0x80, 0, 0, 0, 0, 0, 0))
_PREFIX_RFC6145: Final = bytes((0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF, 0, 0))
_PREFIX_RFC4843_7343: Final = bytes((0x20, 0x01, 0x00))
_PREFIX_HENET: Final = bytes((0x20, 0x01, 0x04, 0x70))

_ADDR_SIZE_OF_NET: Final = {
    NET_IPV4: ADDR_IPV4_SIZE,
    NET_IPV6: ADDR_IPV6_SIZE,
    NET_ONION: ADDR_TORV3_SIZE,
    NET_I2P: ADDR_I2P_SIZE,
    NET_CJDNS: ADDR_CJDNS_SIZE,
    NET_INTERNAL: ADDR_INTERNAL_SIZE,
}

# --- base32, as util/strencodings (lower-case alphabet, optional '=' padding) -------------------

_BASE32_ALPHABET: Final = b"abcdefghijklmnopqrstuvwxyz234567"
# Decoding accepts either case.
_BASE32_DECODE: Final = {c: i for i, c in enumerate(_BASE32_ALPHABET)} | {
    c: i for i, c in enumerate(_BASE32_ALPHABET.upper())
}


def EncodeBase32(data: bytes, pad: bool = True) -> str:
    """util/strencodings' EncodeBase32: RFC 4648 alphabet in lower case."""
    out = bytearray()
    acc = 0
    bits = 0
    for byte in data:
        acc = ((acc << 8) | byte) & 0xFFF
        bits += 8
        while bits >= 5:
            bits -= 5
            out.append(_BASE32_ALPHABET[(acc >> bits) & 31])
    if bits:
        out.append(_BASE32_ALPHABET[(acc << (5 - bits)) & 31])
    if pad:
        while len(out) % 8:
            out.append(ord("="))
    return out.decode("ascii")


def DecodeBase32(text: str | bytes) -> bytes | None:
    """util/strencodings' DecodeBase32: None unless the input is a whole number of 8-character
    groups with 1, 3, 4 or 6 '=' of padding and no stray bits."""
    raw = text.encode("utf-8", "surrogateescape") if isinstance(text, str) else text
    if len(raw) % 8 != 0:
        return None
    if raw.endswith(b"="):
        raw = raw[:-1]
    if raw.endswith(b"=="):
        raw = raw[:-2]
    if raw.endswith(b"="):
        raw = raw[:-1]
    if raw.endswith(b"=="):
        raw = raw[:-2]
    out = bytearray()
    acc = 0
    bits = 0
    for c in raw:
        v = _BASE32_DECODE.get(c)
        if v is None:
            return None
        acc = ((acc << 5) | v) & 0xFFF
        bits += 5
        if bits >= 8:
            bits -= 8
            out.append((acc >> bits) & 0xFF)
    if bits >= 5 or (acc << (8 - bits)) & 0xFF:
        return None
    return bytes(out)


# --- TORv3 (rend-spec-v3): onion_address = base32(PUBKEY | CHECKSUM | VERSION) + ".onion" ------

_TORV3_CHECKSUM_LEN: Final = 2
_TORV3_VERSION: Final = b"\x03"
_TORV3_TOTAL_LEN: Final = ADDR_TORV3_SIZE + _TORV3_CHECKSUM_LEN + len(_TORV3_VERSION)


def _torv3_checksum(addr_pubkey: bytes) -> bytes:
    """CHECKSUM = SHA3-256(".onion checksum" | PUBKEY | VERSION)[:2]."""
    digest = hashlib.sha3_256(b".onion checksum" + addr_pubkey + _TORV3_VERSION).digest()
    return digest[:_TORV3_CHECKSUM_LEN]


def OnionToString(addr: bytes) -> str:
    return EncodeBase32(addr + _torv3_checksum(addr) + _TORV3_VERSION) + ".onion"


def _ipv4_to_string(a: bytes) -> str:
    return f"{a[0]}.{a[1]}.{a[2]}.{a[3]}"


def _ipv6_to_string(a: bytes, scope_id: int) -> str:
    """RFC 5952 text: lower-case hex, the first longest run (2+ groups) of zeros becomes '::'.
    Never a dotted-quad tail, as upstream."""
    groups = [(a[i] << 8) | a[i + 1] for i in range(0, ADDR_IPV6_SIZE, 2)]
    longest_start = longest_len = 0
    cur_start = cur_len = 0
    for i, g in enumerate(groups):
        if g != 0:
            cur_start, cur_len = i + 1, 0
            continue
        cur_len += 1
        if cur_len > longest_len:
            longest_start, longest_len = cur_start, cur_len
    if longest_len >= 2:
        head = ":".join(f"{g:x}" for g in groups[:longest_start])
        tail = ":".join(f"{g:x}" for g in groups[longest_start + longest_len :])
        r = head + "::" + tail
    else:
        r = ":".join(f"{g:x}" for g in groups)
    if scope_id != 0:
        r += f"%{scope_id}"
    return r


def _ascii_lower(b: bytes) -> bytes:
    """util/strencodings' ToLower: only A-Z change, whatever the locale."""
    return b.translate(_ASCII_LOWER)


_ASCII_LOWER: Final = bytes(range(256)).translate(
    bytes.maketrans(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ", b"abcdefghijklmnopqrstuvwxyz")
)


# Reachability scores of GetReachabilityFrom (upstream's function-local enum Reachability).
REACH_UNREACHABLE: Final = 0
REACH_DEFAULT: Final = 1
REACH_TEREDO: Final = 2
REACH_IPV6_WEAK: Final = 3
REACH_IPV4: Final = 4
REACH_IPV6_STRONG: Final = 5
REACH_PRIVATE: Final = 6

# GetExtNetwork's private extension of Network, used only by GetReachabilityFrom.
_NET_TEREDO: Final = int(NET_MAX)


class CNetAddr:
    """A network address. ``m_addr`` is in network byte order for IPv4/IPv6.

    The constructor covers upstream's overloads: ``CNetAddr()`` is the unspecified IPv6 ``::``
    (not IsValid()); ``CNetAddr(b4)`` is an ``in_addr``; ``CNetAddr(b16, scope)`` an ``in6_addr``
    (read with SetLegacyIPv6, so ``::ffff:a.b.c.d`` becomes IPv4); ``CNetAddr(other)`` copies the
    address part of any CNetAddr (upstream's slicing copy).
    """

    __slots__ = ("m_addr", "m_net", "m_scope_id")
    m_addr: bytes
    m_net: Network
    #: Scope id of a scoped/link-local IPv6 address (RFC 4007).
    m_scope_id: int

    #: Size of an address in ADDRv1 (pre-BIP155) form.
    V1_SERIALIZATION_SIZE: Final = ADDR_IPV6_SIZE
    #: The largest address BIP155 allows (the address only, not its framing).
    MAX_ADDRV2_SIZE: Final = 512

    def __init__(self, addr: CNetAddr | bytes | None = None, scope: int = 0) -> None:
        if addr is None:
            self.m_addr = _IPV6_ANY
            self.m_net = NET_IPV6
            self.m_scope_id = 0
        elif isinstance(addr, CNetAddr):
            self.m_addr = addr.m_addr
            self.m_net = addr.m_net
            self.m_scope_id = addr.m_scope_id
        elif len(addr) == ADDR_IPV4_SIZE:
            self.m_addr = bytes(addr)
            self.m_net = NET_IPV4
            self.m_scope_id = 0
        elif len(addr) == ADDR_IPV6_SIZE:
            self.m_scope_id = 0
            self.SetLegacyIPv6(addr)
            self.m_scope_id = scope
        else:
            raise ValueError(f"CNetAddr takes 4 (in_addr) or 16 (in6_addr) bytes, got {len(addr)}")

    def SetIP(self, ip: CNetAddr) -> None:
        """Copy network and address (not the scope id) from ``ip``."""
        expected = _ADDR_SIZE_OF_NET.get(ip.m_net)
        if expected is None or len(ip.m_addr) != expected:
            raise AssertionError(f"SetIP from a malformed address ({ip.m_net!r})")
        self.m_net = ip.m_net
        self.m_addr = ip.m_addr

    def SetLegacyIPv6(self, ipv6: bytes) -> None:
        """Set from a 16-byte ADDRv1 address, which may carry IPv4, TORv2 or "internal"."""
        if len(ipv6) != ADDR_IPV6_SIZE:
            raise AssertionError(f"SetLegacyIPv6 needs 16 bytes, got {len(ipv6)}")
        ipv6 = bytes(ipv6)
        if ipv6.startswith(IPV4_IN_IPV6_PREFIX):
            self.m_net = NET_IPV4
            self.m_addr = ipv6[len(IPV4_IN_IPV6_PREFIX) :]
        elif ipv6.startswith(TORV2_IN_IPV6_PREFIX):
            # TORv2 is gone: read it as the invalid default address, so it is never gossiped.
            self.m_net = NET_IPV6
            self.m_addr = _IPV6_ANY
        elif ipv6.startswith(INTERNAL_IN_IPV6_PREFIX):
            self.m_net = NET_INTERNAL
            self.m_addr = ipv6[len(INTERNAL_IN_IPV6_PREFIX) :]
        else:
            self.m_net = NET_IPV6
            self.m_addr = ipv6

    def SetInternal(self, name: str) -> bool:
        """Make this the "internal" address standing for ``name`` (AddrMan uses these to track
        DNS seeds): the first 10 bytes of SHA256(name)."""
        if not name:
            return False
        self.m_net = NET_INTERNAL
        digest = hashlib.sha256(name.encode("utf-8", "surrogateescape")).digest()
        self.m_addr = digest[:ADDR_INTERNAL_SIZE]
        return True

    def SetSpecial(self, addr: str) -> bool:
        """Parse a TORv3 ``.onion`` or an I2P ``.b32.i2p`` name into this address."""
        if "\0" in addr:
            return False
        raw = addr.encode("utf-8", "surrogateescape")
        return self.SetTor(raw) or self.SetI2P(raw)

    def SetTor(self, addr: str | bytes) -> bool:
        raw = addr.encode("utf-8", "surrogateescape") if isinstance(addr, str) else addr
        suffix = b".onion"
        if len(raw) <= len(suffix) or not raw.endswith(suffix):
            return False
        decoded = DecodeBase32(raw[: -len(suffix)])
        if decoded is None or len(decoded) != _TORV3_TOTAL_LEN:
            return False
        pubkey = decoded[:ADDR_TORV3_SIZE]
        checksum = decoded[ADDR_TORV3_SIZE : ADDR_TORV3_SIZE + _TORV3_CHECKSUM_LEN]
        version = decoded[ADDR_TORV3_SIZE + _TORV3_CHECKSUM_LEN :]
        if version != _TORV3_VERSION or checksum != _torv3_checksum(pubkey):
            return False
        self.m_net = NET_ONION
        self.m_addr = pubkey
        return True

    def SetI2P(self, addr: str | bytes) -> bool:
        """Only the 52-character base32 form (a hash of the destination) is supported."""
        raw = addr.encode("utf-8", "surrogateescape") if isinstance(addr, str) else addr
        b32_len = 52
        suffix = b".b32.i2p"
        if len(raw) != b32_len + len(suffix) or _ascii_lower(raw[b32_len:]) != suffix:
            return False
        decoded = DecodeBase32(raw[:b32_len] + b"====")
        if decoded is None or len(decoded) != ADDR_I2P_SIZE:
            return False
        self.m_net = NET_I2P
        self.m_addr = decoded
        return True

    # --- classification ---------------------------------------------------------------------

    def IsBindAny(self) -> bool:
        """INADDR_ANY or in6addr_any."""
        if self.m_net != NET_IPV4 and self.m_net != NET_IPV6:
            return False
        return not any(self.m_addr)

    def IsIPv4(self) -> bool:
        return self.m_net == NET_IPV4

    def IsIPv6(self) -> bool:
        return self.m_net == NET_IPV6

    def IsRFC1918(self) -> bool:
        """IPv4 private networks: 10.0.0.0/8, 192.168.0.0/16, 172.16.0.0/12."""
        a = self.m_addr
        return self.m_net == NET_IPV4 and (
            a[0] == 10 or (a[0] == 192 and a[1] == 168) or (a[0] == 172 and 16 <= a[1] <= 31)
        )

    def IsRFC2544(self) -> bool:
        """IPv4 inter-network communications: 198.18.0.0/15."""
        a = self.m_addr
        return self.m_net == NET_IPV4 and a[0] == 198 and (a[1] == 18 or a[1] == 19)

    def IsRFC3927(self) -> bool:
        """IPv4 autoconfig: 169.254.0.0/16."""
        return self.m_net == NET_IPV4 and self.m_addr.startswith(b"\xa9\xfe")

    def IsRFC6598(self) -> bool:
        """IPv4 ISP-level NAT: 100.64.0.0/10."""
        a = self.m_addr
        return self.m_net == NET_IPV4 and a[0] == 100 and 64 <= a[1] <= 127

    def IsRFC5737(self) -> bool:
        """IPv4 documentation: 192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24."""
        return self.m_net == NET_IPV4 and self.m_addr[:3] in (
            b"\xc0\x00\x02",
            b"\xc6\x33\x64",
            b"\xcb\x00\x71",
        )

    def IsRFC3849(self) -> bool:
        """IPv6 documentation: 2001:db8::/32."""
        return self.m_net == NET_IPV6 and self.m_addr.startswith(_PREFIX_RFC3849)

    def IsRFC3964(self) -> bool:
        """IPv6 6to4 tunnelling: 2002::/16."""
        return self.m_net == NET_IPV6 and self.m_addr.startswith(_PREFIX_RFC3964)

    def IsRFC4193(self) -> bool:
        """IPv6 unique local: fc00::/7."""
        return self.m_net == NET_IPV6 and (self.m_addr[0] & 0xFE) == 0xFC

    def IsRFC4380(self) -> bool:
        """IPv6 Teredo tunnelling: 2001::/32."""
        return self.m_net == NET_IPV6 and self.m_addr.startswith(_PREFIX_RFC4380)

    def IsRFC4843(self) -> bool:
        """IPv6 ORCHID (deprecated): 2001:10::/28."""
        return (
            self.m_net == NET_IPV6
            and self.m_addr.startswith(_PREFIX_RFC4843_7343)
            and (self.m_addr[3] & 0xF0) == 0x10
        )

    def IsRFC7343(self) -> bool:
        """IPv6 ORCHIDv2: 2001:20::/28."""
        return (
            self.m_net == NET_IPV6
            and self.m_addr.startswith(_PREFIX_RFC4843_7343)
            and (self.m_addr[3] & 0xF0) == 0x20
        )

    def IsRFC4862(self) -> bool:
        """IPv6 autoconfig: fe80::/64."""
        return self.m_net == NET_IPV6 and self.m_addr.startswith(_PREFIX_RFC4862)

    def IsRFC6052(self) -> bool:
        """IPv6 well-known prefix for IPv4-embedded addresses: 64:ff9b::/96."""
        return self.m_net == NET_IPV6 and self.m_addr.startswith(_PREFIX_RFC6052)

    def IsRFC6145(self) -> bool:
        """IPv6 IPv4-translated address: ::ffff:0:0:0/96."""
        return self.m_net == NET_IPV6 and self.m_addr.startswith(_PREFIX_RFC6145)

    def IsHeNet(self) -> bool:
        """IPv6 Hurricane Electric: 2001:470::/36."""
        return self.m_net == NET_IPV6 and self.m_addr.startswith(_PREFIX_HENET)

    def IsTor(self) -> bool:
        return self.m_net == NET_ONION

    def IsI2P(self) -> bool:
        return self.m_net == NET_I2P

    def IsCJDNS(self) -> bool:
        return self.m_net == NET_CJDNS

    def HasCJDNSPrefix(self) -> bool:
        return self.m_addr[0] == CJDNS_PREFIX

    def IsLocal(self) -> bool:
        """Loopback: 127.0.0.0/8, 0.0.0.0/8 or ::1."""
        if self.m_net == NET_IPV4:
            return self.m_addr[0] == 127 or self.m_addr[0] == 0
        return self.m_net == NET_IPV6 and self.m_addr == _IPV6_LOOPBACK

    def IsValid(self) -> bool:
        """Whether this could name an actual host (a superset of IsRoutable())."""
        net = self.m_net
        if net == NET_IPV6:
            return self.m_addr != _IPV6_ANY and not self.m_addr.startswith(_PREFIX_RFC3849)
        if net == NET_IPV4:
            return self.m_addr != _IPV4_ANY and self.m_addr != _IPV4_NONE
        if net == NET_CJDNS:
            return self.m_addr[0] == CJDNS_PREFIX
        return net != NET_INTERNAL

    def IsRoutable(self) -> bool:
        """Whether this is publicly routable on the global internet."""
        if not self.IsValid():
            return False
        net = self.m_net
        if net == NET_IPV4:
            return not (
                self.IsRFC1918()
                or self.IsRFC2544()
                or self.IsRFC3927()
                or self.IsRFC6598()
                or self.IsRFC5737()
                or self.IsLocal()
            )
        if net == NET_IPV6:
            return not (
                self.IsRFC4862()
                or self.IsRFC4193()
                or self.IsRFC4843()
                or self.IsRFC7343()
                or self.IsLocal()
            )
        return net != NET_INTERNAL

    def IsInternal(self) -> bool:
        """Whether this is a stand-in for a name (see SetInternal)."""
        return self.m_net == NET_INTERNAL

    def IsPrivacyNet(self) -> bool:
        return self.m_net == NET_ONION or self.m_net == NET_I2P

    def IsAddrV1Compatible(self) -> bool:
        """Whether the pre-BIP155 16-byte form can carry this address."""
        net = self.m_net
        if net in (NET_IPV4, NET_IPV6, NET_INTERNAL):
            return True
        if net in (NET_ONION, NET_I2P, NET_CJDNS):
            return False
        raise AssertionError(f"address with network {net!r}")

    def IsRelayable(self) -> bool:
        """Whether to relay this to peers even if we cannot reach it ourselves."""
        return self.m_net in _RELAYABLE_NETS

    def GetNetwork(self) -> Network:
        if self.m_net == NET_INTERNAL:
            return NET_INTERNAL
        if not self.IsRoutable():
            return NET_UNROUTABLE
        return self.m_net

    def ToStringAddr(self) -> str:
        net = self.m_net
        if net == NET_IPV4:
            return _ipv4_to_string(self.m_addr)
        if net == NET_IPV6:
            return _ipv6_to_string(self.m_addr, self.m_scope_id)
        if net == NET_ONION:
            return OnionToString(self.m_addr)
        if net == NET_I2P:
            return EncodeBase32(self.m_addr, pad=False) + ".b32.i2p"
        if net == NET_CJDNS:
            return _ipv6_to_string(self.m_addr, 0)
        if net == NET_INTERNAL:
            return EncodeBase32(self.m_addr) + ".internal"
        raise AssertionError(f"address with network {net!r}")

    def GetInAddr(self) -> bytes | None:
        """The 4 bytes of an IPv4 address, else None (upstream: bool and an out-parameter)."""
        return self.m_addr if self.m_net == NET_IPV4 else None

    def GetIn6Addr(self) -> bytes | None:
        """The 16 bytes of an IPv6 or CJDNS address, else None."""
        if self.m_net != NET_IPV6 and self.m_net != NET_CJDNS:
            return None
        return self.m_addr

    def GetNetClass(self) -> Network:
        """Like GetNetwork(), but addresses with a linked IPv4 address count as NET_IPV4.
        Returns NET_IPV6 only if IsIPv6(); callers rely on that."""
        if self.m_net == NET_INTERNAL:
            return NET_INTERNAL
        if not self.IsRoutable():
            return NET_UNROUTABLE
        if self.HasLinkedIPv4():
            return NET_IPV4
        return self.m_net

    def HasLinkedIPv4(self) -> bool:
        return self.IsRoutable() and (
            self.m_net == NET_IPV4
            or self.IsRFC6145()
            or self.IsRFC6052()
            or self.IsRFC3964()
            or self.IsRFC4380()
        )

    def GetLinkedIPv4(self) -> int:
        """The IPv4 address (as an int) that an IPv4, SIIT, NAT64, 6to4 or Teredo address names."""
        a = self.m_addr
        if self.m_net == NET_IPV4:
            return int.from_bytes(a, "big")
        if self.IsRFC6052() or self.IsRFC6145():
            return int.from_bytes(a[12:16], "big")
        if self.IsRFC3964():
            return int.from_bytes(a[2:6], "big")
        if self.IsRFC4380():
            # Teredo keeps the client address bit-flipped in the last 4 bytes.
            return int.from_bytes(a[12:16], "big") ^ 0xFFFFFFFF
        raise AssertionError("GetLinkedIPv4 on an address without a linked IPv4 address")

    def GetAddrBytes(self) -> bytes:
        """The 16-byte ADDRv1 form where there is one, else the raw address."""
        if self.IsAddrV1Compatible():
            return self.SerializeV1Array()
        return self.m_addr

    def GetReachabilityFrom(self, paddrPartner: CNetAddr) -> int:
        """How well a peer at ``paddrPartner`` can reach this (one of the REACH_* scores)."""
        if not self.IsRoutable() or self.m_net == NET_INTERNAL:
            return REACH_UNREACHABLE
        our_net = _GetExtNetwork(self)
        their_net = _GetExtNetwork(paddrPartner)
        tunnel = self.IsRFC3964() or self.IsRFC6052() or self.IsRFC6145()
        if their_net == NET_IPV4:
            return REACH_IPV4 if our_net == NET_IPV4 else REACH_DEFAULT
        if their_net == NET_IPV6:
            if our_net == _NET_TEREDO:
                return REACH_TEREDO
            if our_net == NET_IPV4:
                return REACH_IPV4
            if our_net == NET_IPV6:
                # Prefer giving out our IPv6 address only if it is not tunnelled.
                return REACH_IPV6_WEAK if tunnel else REACH_IPV6_STRONG
            return REACH_DEFAULT
        if their_net == NET_ONION:
            if our_net == NET_IPV4:
                return REACH_IPV4  # Tor users can reach IPv4 too
            if our_net == NET_ONION:
                return REACH_PRIVATE
            return REACH_DEFAULT
        if their_net == NET_I2P:
            return REACH_PRIVATE if our_net == NET_I2P else REACH_DEFAULT
        if their_net == NET_CJDNS:
            return REACH_PRIVATE if our_net == NET_CJDNS else REACH_DEFAULT
        if their_net == _NET_TEREDO:
            if our_net == _NET_TEREDO:
                return REACH_TEREDO
            if our_net == NET_IPV6:
                return REACH_IPV6_WEAK
            if our_net == NET_IPV4:
                return REACH_IPV4
            return REACH_DEFAULT
        # NET_UNROUTABLE and anything else
        if our_net == _NET_TEREDO:
            return REACH_TEREDO
        if our_net == NET_IPV6:
            return REACH_IPV6_WEAK
        if our_net == NET_IPV4:
            return REACH_IPV4
        if our_net == NET_ONION:
            return REACH_PRIVATE  # either from Tor, or our address does not matter
        return REACH_DEFAULT

    # --- comparison -------------------------------------------------------------------------

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, CNetAddr):
            return NotImplemented
        return self.m_net == other.m_net and self.m_addr == other.m_addr

    def __ne__(self, other: object) -> bool:
        if not isinstance(other, CNetAddr):
            return NotImplemented
        return self.m_net != other.m_net or self.m_addr != other.m_addr

    def __lt__(self, other: CNetAddr) -> bool:
        return (self.m_net, self.m_addr) < (other.m_net, other.m_addr)

    def __le__(self, other: CNetAddr) -> bool:
        return (self.m_net, self.m_addr) <= (other.m_net, other.m_addr)

    def __gt__(self, other: CNetAddr) -> bool:
        return (self.m_net, self.m_addr) > (other.m_net, other.m_addr)

    def __ge__(self, other: CNetAddr) -> bool:
        return (self.m_net, self.m_addr) >= (other.m_net, other.m_addr)

    def __hash__(self) -> int:
        return hash((self.m_net, self.m_addr))

    def __repr__(self) -> str:
        try:
            text = self.ToStringAddr()
        except AssertionError:
            text = f"<{self.m_net!r} {self.m_addr.hex()}>"
        return f"{type(self).__name__}({text!r})"

    # --- serialization ----------------------------------------------------------------------

    def GetBIP155Network(self) -> BIP155Network:
        """The BIP155 id of this address; never TORV2. Not for "internal" addresses."""
        bip155 = _BIP155_OF_NET.get(self.m_net)
        if bip155 is None:
            raise AssertionError(f"no BIP155 network id for {self.m_net!r}")
        return bip155

    def SetNetFromBIP155Network(self, possible_bip155_net: int, address_size: int) -> bool:
        """Set ``m_net`` from a BIP155 id. False for ids we do not know (skip the address);
        SerializationError for a known id with the wrong address size."""
        known = _NET_OF_BIP155.get(possible_bip155_net)
        if known is None:
            return False
        net, expected, name = known
        if address_size != expected:
            raise SerializationError(
                f"BIP155 {name} address with length {address_size} (should be {expected})"
            )
        self.m_net = net
        return True

    def SerializeV1Array(self) -> bytes:
        """The 16-byte ADDRv1 form: IPv6 as is, IPv4 and "internal" behind their prefixes,
        Tor, I2P and CJDNS as all zeros."""
        net = self.m_net
        if net == NET_IPV6:
            return self.m_addr
        if net == NET_IPV4:
            return IPV4_IN_IPV6_PREFIX + self.m_addr
        if net == NET_INTERNAL:
            return INTERNAL_IN_IPV6_PREFIX + self.m_addr
        if net in (NET_ONION, NET_I2P, NET_CJDNS):
            return _IPV6_ANY
        raise AssertionError(f"address with network {net!r}")

    def SerializeV1Stream(self) -> bytes:
        return self.SerializeV1Array()

    def SerializeV2Stream(self) -> bytes:
        """BIP155: network id, CompactSize length, address. "internal" addresses travel as
        IPv6 in their ADDRv1 form, since addrman writes them to disk."""
        if self.m_net == NET_INTERNAL:
            return _V2_IPV6_HEADER + self.SerializeV1Array()
        return bytes((self.GetBIP155Network(),)) + ser_compact_size(len(self.m_addr)) + self.m_addr

    @classmethod
    def UnserializeV1Array(cls, arr: bytes) -> Self:
        """Read the 16-byte ADDRv1 form (a new object; upstream fills ``*this``)."""
        obj = cls()
        obj.SetLegacyIPv6(arr)
        return obj

    @classmethod
    def UnserializeV1Stream(cls, s: DataStream) -> Self:
        return cls.UnserializeV1Array(s.read(cls.V1_SERIALIZATION_SIZE))

    @classmethod
    def UnserializeV2Stream(cls, s: DataStream) -> Self:
        """Read a BIP155 address (a new object; upstream fills ``*this``).

        An unknown network id, an IPv6 address that embeds IPv4 or TORv2, and TORV2 itself
        (no longer supported) read as the invalid default address, so the caller can go on to
        the next one; a known id with the wrong size or a size over MAX_ADDRV2_SIZE raises
        SerializationError."""
        obj = cls()
        bip155_net = s.read_u8()
        address_size = s.ReadCompactSize()
        if address_size > cls.MAX_ADDRV2_SIZE:
            raise SerializationError(f"Address too long: {address_size} > {cls.MAX_ADDRV2_SIZE}")
        if obj.SetNetFromBIP155Network(bip155_net, address_size):
            addr = s.read(address_size)
            if obj.m_net != NET_IPV6:
                obj.m_addr = addr
                return obj
            # "internal" embedded in IPv6 is never gossiped, but addrman may read it from disk.
            if addr.startswith(INTERNAL_IN_IPV6_PREFIX):
                obj.m_net = NET_INTERNAL
                obj.m_addr = addr[len(INTERNAL_IN_IPV6_PREFIX) :]
                return obj
            if not addr.startswith(IPV4_IN_IPV6_PREFIX) and not addr.startswith(
                TORV2_IN_IPV6_PREFIX
            ):
                obj.m_addr = addr
                return obj
            # IPv4 and TORv2 must not be embedded in IPv6 in BIP155: read as invalid.
        else:
            s.read(address_size)
        obj.m_net = NET_IPV6
        obj.m_addr = _IPV6_ANY
        return obj


_RELAYABLE_NETS: Final = frozenset((NET_IPV4, NET_IPV6, NET_ONION, NET_I2P, NET_CJDNS))

_BIP155_OF_NET: Final = {
    NET_IPV4: BIP155Network.IPV4,
    NET_IPV6: BIP155Network.IPV6,
    NET_ONION: BIP155Network.TORV3,
    NET_I2P: BIP155Network.I2P,
    NET_CJDNS: BIP155Network.CJDNS,
}

# BIP155 id -> (network, required address size, name in error messages). TORV2 is absent on
# purpose: like an unknown id, it is skipped whatever its size.
_NET_OF_BIP155: Final[dict[int, tuple[Network, int, str]]] = {
    BIP155Network.IPV4: (NET_IPV4, ADDR_IPV4_SIZE, "IPv4"),
    BIP155Network.IPV6: (NET_IPV6, ADDR_IPV6_SIZE, "IPv6"),
    BIP155Network.TORV3: (NET_ONION, ADDR_TORV3_SIZE, "TORv3"),
    BIP155Network.I2P: (NET_I2P, ADDR_I2P_SIZE, "I2P"),
    BIP155Network.CJDNS: (NET_CJDNS, ADDR_CJDNS_SIZE, "CJDNS"),
}

_V2_IPV6_HEADER: Final = bytes((BIP155Network.IPV6,)) + ser_compact_size(ADDR_IPV6_SIZE)


def _GetExtNetwork(addr: CNetAddr) -> int:
    """GetNetwork(), with Teredo told apart (upstream's file-local GetExtNetwork)."""
    if addr.IsRFC4380():
        return _NET_TEREDO
    return int(addr.GetNetwork())


def _NetmaskBits(x: int) -> int:
    """The number of leading 1-bits of a netmask byte, or -1 if it is not a valid mask byte."""
    return _NETMASK_BITS.get(x, -1)


_NETMASK_BITS: Final = {(0xFF << (8 - n)) & 0xFF: n for n in range(9)}


class CSubNet:
    """A network (base address) and a netmask, or a single non-IP address.

    ``CSubNet()`` is invalid and matches nothing; ``CSubNet(addr, bits)`` takes a CIDR prefix
    length, ``CSubNet(addr, mask)`` a netmask address of the same network, ``CSubNet(addr)`` a
    single host (Tor, I2P and CJDNS too). ``netmask`` is always 16 bytes, network byte order."""

    __slots__ = ("netmask", "network", "valid")
    network: CNetAddr
    netmask: bytes
    #: False only to signal a parse error.
    valid: bool

    def __init__(self, addr: CNetAddr | None = None, mask: int | CNetAddr | None = None) -> None:
        self.network = CNetAddr()
        self.netmask = bytes(16)
        self.valid = False
        if addr is None:
            return
        if mask is None:
            self._init_single(addr)
        elif isinstance(mask, CNetAddr):
            self._init_netmask(addr, mask)
        else:
            self._init_cidr(addr, mask)

    def _init_cidr(self, addr: CNetAddr, mask: int) -> None:
        self.valid = mask >= 0 and (
            (addr.m_net == NET_IPV4 and mask <= ADDR_IPV4_SIZE * 8)
            or (addr.m_net == NET_IPV6 and mask <= ADDR_IPV6_SIZE * 8)
        )
        if not self.valid:
            return
        netmask = bytearray(16)
        n = mask
        for i in range(len(addr.m_addr)):
            bits = min(n, 8)
            netmask[i] = (0xFF << (8 - bits)) & 0xFF
            n -= bits
        self.netmask = bytes(netmask)
        self.network = _masked(addr, self.netmask)

    def _init_netmask(self, addr: CNetAddr, mask: CNetAddr) -> None:
        self.valid = (addr.m_net == NET_IPV4 or addr.m_net == NET_IPV6) and addr.m_net == mask.m_net
        if not self.valid:
            return
        # A valid netmask has no 1-bit after a 0-bit.
        zeros_found = False
        for b in mask.m_addr:
            num_bits = _NetmaskBits(b)
            if num_bits == -1 or (zeros_found and num_bits != 0):
                self.valid = False
                return
            if num_bits < 8:
                zeros_found = True
        self.netmask = mask.m_addr + bytes(16 - len(mask.m_addr))
        self.network = _masked(addr, self.netmask)

    def _init_single(self, addr: CNetAddr) -> None:
        net = addr.m_net
        if net in (NET_IPV4, NET_IPV6):
            self.valid = True
            self.netmask = b"\xff" * len(addr.m_addr) + bytes(16 - len(addr.m_addr))
        elif net in (NET_ONION, NET_I2P, NET_CJDNS):
            self.valid = True
        else:
            return
        self.network = CNetAddr(addr)

    def Match(self, addr: CNetAddr) -> bool:
        """Whether this subnet is valid, ``addr`` is valid and ``addr`` is in the subnet."""
        network = self.network
        if not self.valid or not addr.IsValid() or network.m_net != addr.m_net:
            return False
        net = network.m_net
        if net in (NET_IPV4, NET_IPV6):
            size = len(addr.m_addr)
            if len(network.m_addr) != size:
                raise AssertionError("subnet and address of one network differ in size")
            value = int.from_bytes(addr.m_addr, "big")
            mask = int.from_bytes(self.netmask[:size], "big")
            return (value & mask) == int.from_bytes(network.m_addr, "big")
        if net in (NET_ONION, NET_I2P, NET_CJDNS, NET_INTERNAL):
            return addr == network
        return False

    def ToString(self) -> str:
        suffix = ""
        if self.network.m_net == NET_IPV4 or self.network.m_net == NET_IPV6:
            cidr = 0
            for b in self.netmask[: len(self.network.m_addr)]:
                if b == 0x00:
                    break
                cidr += _NetmaskBits(b)
            suffix = f"/{cidr}"
        return self.network.ToStringAddr() + suffix

    def IsValid(self) -> bool:
        return self.valid

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, CSubNet):
            return NotImplemented
        return (
            self.valid == other.valid
            and self.network == other.network
            and self.netmask == other.netmask
        )

    def __ne__(self, other: object) -> bool:
        if not isinstance(other, CSubNet):
            return NotImplemented
        return not self == other

    def __lt__(self, other: CSubNet) -> bool:
        return self.network < other.network or (
            self.network == other.network and self.netmask < other.netmask
        )

    def __hash__(self) -> int:
        return hash((self.valid, self.network.m_net, self.network.m_addr, self.netmask))

    def __repr__(self) -> str:
        if not self.valid:
            return "CSubNet()"
        return f"CSubNet({self.ToString()!r})"


def _masked(addr: CNetAddr, netmask: bytes) -> CNetAddr:
    """A copy of ``addr`` with the bits outside ``netmask`` cleared."""
    network = CNetAddr(addr)
    network.m_addr = bytes(b & m for b, m in zip(addr.m_addr, netmask, strict=False))
    return network


class CService(CNetAddr):
    """A network address and a TCP port (host order).

    ``CService(ip, port)`` takes a CNetAddr, or raw ``in_addr``/``in6_addr`` bytes as upstream's
    overloads do. Against another CService, equality, ordering and hashing include the port;
    against a plain CNetAddr they compare the address only (upstream's slicing)."""

    __slots__ = ("port",)
    port: int

    def __init__(self, ip: CNetAddr | bytes | None = None, port: int = 0) -> None:
        if ip is None:
            self.m_addr = _IPV6_ANY
            self.m_net = NET_IPV6
            self.m_scope_id = 0
        elif isinstance(ip, CNetAddr):
            self.m_addr = ip.m_addr
            self.m_net = ip.m_net
            self.m_scope_id = ip.m_scope_id
        else:
            CNetAddr.__init__(self, ip)
        self.port = port

    def GetPort(self) -> int:
        return self.port

    def GetSAFamily(self) -> int:
        """The socket address family, AF_UNSPEC for networks without one."""
        if self.m_net == NET_IPV4:
            return socket.AF_INET
        if self.m_net == NET_IPV6 or self.m_net == NET_CJDNS:
            return socket.AF_INET6
        return socket.AF_UNSPEC

    def GetSockAddr(self) -> tuple[str, int] | tuple[str, int, int, int] | None:
        """The address in Python's socket form, ``(host, port)`` for IPv4 and
        ``(host, port, flowinfo, scope_id)`` for IPv6/CJDNS; None for other networks (upstream
        fills a ``sockaddr`` and returns bool)."""
        if self.m_net == NET_IPV4:
            return (_ipv4_to_string(self.m_addr), self.port)
        if self.m_net == NET_IPV6 or self.m_net == NET_CJDNS:
            return (socket.inet_ntop(socket.AF_INET6, self.m_addr), self.port, 0, self.m_scope_id)
        return None

    def SetSockAddr(self, paddr: tuple[Any, ...], family: int) -> bool:
        """Set from a Python socket address of ``family`` (upstream: a ``sockaddr`` and its
        length). False for other families or a malformed address."""
        if family == socket.AF_INET and len(paddr) == 2:
            host, port = paddr
            scope = 0
        elif family == socket.AF_INET6 and len(paddr) == 4:
            host, port, _flowinfo, scope = paddr
        else:
            return False
        if not (isinstance(host, str) and isinstance(port, int) and isinstance(scope, int)):
            return False
        try:
            # Python may show the zone in the host text as well ("fe80::1%eth0").
            packed = socket.inet_pton(family, host.split("%", 1)[0])
        except (OSError, ValueError):
            return False
        CNetAddr.__init__(self, packed, scope)
        self.port = port
        return True

    def GetKey(self) -> bytes:
        """An identifier unique to this address and port: GetAddrBytes() and the port, BE."""
        return self.GetAddrBytes() + bytes((self.port >> 8, self.port & 0xFF))

    def ToStringAddrPort(self) -> str:
        net = self.m_net
        if net in (NET_IPV4, NET_ONION, NET_I2P, NET_INTERNAL):
            return f"{self.ToStringAddr()}:{self.port}"
        return f"[{self.ToStringAddr()}]:{self.port}"

    # --- serialization (upstream's SERIALIZE_METHODS: the address, then a big-endian port) ---

    def serialize_v1(self) -> bytes:
        """ADDRv1: the 16-byte address and the port, big-endian (18 bytes)."""
        return self.SerializeV1Array() + self.port.to_bytes(2, "big")

    def serialize_v2(self) -> bytes:
        """BIP155: the address as SerializeV2Stream writes it, then the port, big-endian."""
        return self.SerializeV2Stream() + self.port.to_bytes(2, "big")

    @classmethod
    def deserialize_v1(cls, s: DataStream) -> Self:
        obj = cls.UnserializeV1Stream(s)
        obj.port = int.from_bytes(s.read(2), "big")
        return obj

    @classmethod
    def deserialize_v2(cls, s: DataStream) -> Self:
        obj = cls.UnserializeV2Stream(s)
        obj.port = int.from_bytes(s.read(2), "big")
        return obj

    # --- comparison -------------------------------------------------------------------------

    def __eq__(self, other: object) -> bool:
        if isinstance(other, CService):
            return (
                self.port == other.port
                and self.m_net == other.m_net
                and self.m_addr == other.m_addr
            )
        if isinstance(other, CNetAddr):
            return self.m_net == other.m_net and self.m_addr == other.m_addr
        return NotImplemented

    def __ne__(self, other: object) -> bool:
        if isinstance(other, CService):
            return (
                self.port != other.port or self.m_net != other.m_net or self.m_addr != other.m_addr
            )
        if isinstance(other, CNetAddr):
            return self.m_net != other.m_net or self.m_addr != other.m_addr
        return NotImplemented

    def __lt__(self, other: CNetAddr) -> bool:
        if isinstance(other, CService):
            return (self.m_net, self.m_addr, self.port) < (other.m_net, other.m_addr, other.port)
        return CNetAddr.__lt__(self, other)

    def __le__(self, other: CNetAddr) -> bool:
        if isinstance(other, CService):
            return (self.m_net, self.m_addr, self.port) <= (other.m_net, other.m_addr, other.port)
        return CNetAddr.__le__(self, other)

    def __gt__(self, other: CNetAddr) -> bool:
        if isinstance(other, CService):
            return (self.m_net, self.m_addr, self.port) > (other.m_net, other.m_addr, other.port)
        return CNetAddr.__gt__(self, other)

    def __ge__(self, other: CNetAddr) -> bool:
        if isinstance(other, CService):
            return (self.m_net, self.m_addr, self.port) >= (other.m_net, other.m_addr, other.port)
        return CNetAddr.__ge__(self, other)

    def __hash__(self) -> int:
        return hash((self.m_net, self.m_addr, self.port))

    def __repr__(self) -> str:
        try:
            text = self.ToStringAddrPort()
        except AssertionError:
            text = f"<{self.m_net!r} {self.m_addr.hex()}>:{self.port}"
        return f"{type(self).__name__}({text!r})"


class CServiceHash:
    """A salted SipHash of a CService (network, port, address bytes), for hash tables that an
    attacker must not be able to flood. Random salts unless given."""

    __slots__ = ("m_salt_k0", "m_salt_k1")
    m_salt_k0: int
    m_salt_k1: int

    def __init__(self, salt_k0: int | None = None, salt_k1: int | None = None) -> None:
        self.m_salt_k0 = FastRandomContext().rand64() if salt_k0 is None else salt_k0
        self.m_salt_k1 = FastRandomContext().rand64() if salt_k1 is None else salt_k1

    def __call__(self, a: CService) -> int:
        hasher = CSipHasher(self.m_salt_k0, self.m_salt_k1)
        hasher.Write(int(a.m_net))
        hasher.Write(a.port)
        hasher.Write(a.m_addr)
        return hasher.Finalize()
