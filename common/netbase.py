"""Address lookup and network names (src/netbase.h/.cpp), for a node without proxies or DNS.

Lookups parse numeric addresses only: the default resolver, :func:`WrappedGetAddrInfo`, always
asks getaddrinfo(3) with AI_NUMERICHOST, so a name that needs DNS resolves to nothing, whatever
``fAllowLookup`` says. Tor and I2P names still become their network addresses (SetSpecial), as
upstream. Tests may replace the resolver through ``dns_lookup_function`` or :data:`g_dns_lookup`,
as upstream's tests do.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable
from enum import IntFlag
from typing import Final, overload

from .logging import LogPrintf
from .netaddress import (
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

#: -timeout default, in milliseconds.
DEFAULT_CONNECT_TIMEOUT: Final = 5000
#: -dns default.
DEFAULT_NAME_LOOKUP: Final = True

#: Connect timeout in milliseconds (-timeout).
nConnectTimeout: int = DEFAULT_CONNECT_TIMEOUT
#: Whether names may be looked up (-dns). Lookups here never reach DNS either way.
fNameLookup: bool = DEFAULT_NAME_LOOKUP


class ConnectionDirection(IntFlag):
    """Which connections a -whitelist entry applies to. ``None_`` stands for upstream's
    ``ConnectionDirection::None``, since ``None`` is a Python keyword."""

    None_ = 0
    In = 1 << 0
    Out = 1 << 1
    Both = In | Out


class ReachableNets:
    """The networks we can reach; all of them by default (``m_mutex`` became a
    ``threading.Lock``)."""

    __slots__ = ("m_mutex", "m_reachable")
    m_mutex: threading.Lock
    m_reachable: set[Network]

    def __init__(self) -> None:
        self.m_mutex = threading.Lock()
        self.m_reachable = self.DefaultNets()

    def Add(self, net: Network) -> None:
        with self.m_mutex:
            self.m_reachable.add(net)

    def Remove(self, net: Network) -> None:
        with self.m_mutex:
            self.m_reachable.discard(net)

    def RemoveAll(self) -> None:
        with self.m_mutex:
            self.m_reachable.clear()

    def Reset(self) -> None:
        with self.m_mutex:
            self.m_reachable = self.DefaultNets()

    def Contains(self, net: Network | CNetAddr) -> bool:
        """Whether ``net`` (or the network of an address, by GetNetwork()) is reachable."""
        if isinstance(net, CNetAddr):
            net = net.GetNetwork()
        with self.m_mutex:
            return net in self.m_reachable

    def All(self) -> set[Network]:
        with self.m_mutex:
            return set(self.m_reachable)

    @staticmethod
    def DefaultNets() -> set[Network]:
        return {
            NET_UNROUTABLE,
            NET_IPV4,
            NET_IPV6,
            NET_ONION,
            NET_I2P,
            NET_CJDNS,
            NET_INTERNAL,
        }


g_reachable_nets: Final = ReachableNets()

#: A resolver: (name, allow_lookup) -> addresses (upstream's DNSLookupFn).
DNSLookupFn = Callable[[str, bool], list[CNetAddr]]


def WrappedGetAddrInfo(name: str, allow_lookup: bool) -> list[CNetAddr]:
    """getaddrinfo(3) with AI_NUMERICHOST: numeric IPv4 (in every form inet_aton takes) and
    IPv6 (with a zone id) only. Upstream drops AI_NUMERICHOST when ``allow_lookup``; this node
    never resolves names, so ``allow_lookup`` changes nothing."""
    del allow_lookup
    try:
        infos = socket.getaddrinfo(
            name.encode("utf-8", "surrogateescape"),
            None,
            socket.AF_UNSPEC,
            socket.SOCK_STREAM,
            socket.IPPROTO_TCP,
            socket.AI_NUMERICHOST,
        )
    except (OSError, UnicodeError, ValueError):
        return []
    resolved: list[CNetAddr] = []
    for family, _type, _proto, _canonname, sockaddr in infos:
        host = sockaddr[0]
        if not isinstance(host, str):
            continue
        if family == socket.AF_INET:
            resolved.append(CNetAddr(socket.inet_pton(socket.AF_INET, host)))
        elif family == socket.AF_INET6:
            # Python may show the zone in the host text as well ("fe80::1%eth0").
            packed = socket.inet_pton(socket.AF_INET6, host.split("%", 1)[0])
            scope = sockaddr[3] if len(sockaddr) == 4 else 0
            resolved.append(CNetAddr(packed, int(scope)))
    return resolved


#: The resolver the Lookup functions use unless given one; replaceable, as upstream's.
g_dns_lookup: DNSLookupFn = WrappedGetAddrInfo


def _ascii_lower(s: str) -> str:
    """util/strencodings' ToLower: only A-Z change."""
    return s.translate(_ASCII_LOWER)


_ASCII_LOWER: Final = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def _to_uint(s: str, maximum: int) -> int | None:
    """util/strencodings' ToIntegral for an unsigned type: ASCII decimal digits only (no sign,
    no spaces), within ``maximum``."""
    if not s or not s.isascii() or not s.isdigit():
        return None
    value = int(s)
    return value if value <= maximum else None


def ParseNetwork(net_in: str) -> Network:
    """A network by its -onlynet name, case-insensitive; NET_UNROUTABLE if unknown."""
    net = _ascii_lower(net_in)
    if net == "ipv4":
        return NET_IPV4
    if net == "ipv6":
        return NET_IPV6
    if net == "onion":
        return NET_ONION
    if net == "tor":
        LogPrintf(
            "Warning: net name 'tor' is deprecated and will be removed in the future. "
            "You should use 'onion' instead.\n"
        )
        return NET_ONION
    if net == "i2p":
        return NET_I2P
    if net == "cjdns":
        return NET_CJDNS
    return NET_UNROUTABLE


def GetNetworkName(net: Network) -> str:
    name = _NETWORK_NAMES.get(net)
    if name is None:
        raise AssertionError(f"no name for network {net!r}")
    return name


_NETWORK_NAMES: Final = {
    NET_UNROUTABLE: "not_publicly_routable",
    NET_IPV4: "ipv4",
    NET_IPV6: "ipv6",
    NET_ONION: "onion",
    NET_I2P: "i2p",
    NET_CJDNS: "cjdns",
    NET_INTERNAL: "internal",
}


def GetNetworkNames(append_unroutable: bool = False) -> list[str]:
    """The names of the publicly routable networks, then optionally NET_UNROUTABLE's."""
    names = [
        GetNetworkName(Network(n))
        for n in range(NET_MAX)
        if n != NET_UNROUTABLE and n != NET_INTERNAL
    ]
    if append_unroutable:
        names.append(GetNetworkName(NET_UNROUTABLE))
    return names


def SplitHostPort(in_: str, portOut: int) -> tuple[bool, int, str]:
    """Split "host:port", "[host]:port" or "host" (util/strencodings' SplitHostPort).

    Returns ``(valid, port, host)``: ``port`` is ``portOut`` unless the input has a port that
    parses; ``valid`` is False if a port was given but is not a number in 1..65535."""
    valid = False
    colon = in_.rfind(":")
    have_colon = colon != -1
    # A colon separates the port if it follows "[...]" or is the only colon.
    bracketed = have_colon and in_[0] == "[" and in_[colon - 1] == "]"
    multi_colon = have_colon and colon != 0 and in_.rfind(":", 0, colon) != -1
    if have_colon and (colon == 0 or bracketed or not multi_colon):
        n = _to_uint(in_[colon + 1 :], 0xFFFF)
        if n is not None:
            in_ = in_[:colon]
            portOut = n
            valid = portOut != 0
    else:
        valid = True
    if len(in_) > 0 and in_[0] == "[" and in_[-1] == "]":
        host = in_[1:-1]
    else:
        host = in_
    return valid, portOut, host


def _LookupIntern(
    name: str, nMaxSolutions: int, fAllowLookup: bool, dns_lookup_function: DNSLookupFn
) -> list[CNetAddr]:
    if "\0" in name:
        return []
    # Onion and I2P names are encodings of an address, like dotted quads, not host names.
    addr = CNetAddr()
    if addr.SetSpecial(name):
        return [addr]
    addresses: list[CNetAddr] = []
    for resolved in dns_lookup_function(name, fAllowLookup):
        if nMaxSolutions > 0 and len(addresses) >= nMaxSolutions:
            break
        # Never resolve to an "internal" address.
        if not resolved.IsInternal():
            addresses.append(resolved)
    return addresses


@overload
def LookupHost(
    name: str,
    fAllowLookup: bool = ...,
    *,
    nMaxSolutions: None = ...,
    dns_lookup_function: DNSLookupFn | None = ...,
) -> CNetAddr | None: ...
@overload
def LookupHost(
    name: str,
    fAllowLookup: bool = ...,
    *,
    nMaxSolutions: int,
    dns_lookup_function: DNSLookupFn | None = ...,
) -> list[CNetAddr]: ...
def LookupHost(
    name: str,
    fAllowLookup: bool = False,
    *,
    nMaxSolutions: int | None = None,
    dns_lookup_function: DNSLookupFn | None = None,
) -> CNetAddr | list[CNetAddr] | None:
    """Resolve a host (a bracketed IPv6 address is fine) to its addresses.

    Without ``nMaxSolutions``: the first address or None (upstream's std::optional overload).
    With it: a list of at most that many (0 means no limit), as upstream's vector overload."""
    fn = g_dns_lookup if dns_lookup_function is None else dns_lookup_function
    limit = 1 if nMaxSolutions is None else nMaxSolutions
    addresses: list[CNetAddr] = []
    if "\0" not in name and name:
        host = name
        if host[0] == "[" and host[-1] == "]":
            host = host[1:-1]
        addresses = _LookupIntern(host, limit, fAllowLookup, fn)
    if nMaxSolutions is not None:
        return addresses
    return addresses[0] if addresses else None


@overload
def Lookup(
    name: str,
    portDefault: int,
    fAllowLookup: bool = ...,
    *,
    nMaxSolutions: None = ...,
    dns_lookup_function: DNSLookupFn | None = ...,
) -> CService | None: ...
@overload
def Lookup(
    name: str,
    portDefault: int,
    fAllowLookup: bool = ...,
    *,
    nMaxSolutions: int,
    dns_lookup_function: DNSLookupFn | None = ...,
) -> list[CService]: ...
def Lookup(
    name: str,
    portDefault: int,
    fAllowLookup: bool = False,
    *,
    nMaxSolutions: int | None = None,
    dns_lookup_function: DNSLookupFn | None = None,
) -> CService | list[CService] | None:
    """Resolve "host", "host:port" or "[ipv6]:port" to services, ``portDefault`` where the
    string has no port. Without ``nMaxSolutions``: the first service or None; with it: a list
    (0 means no limit), as upstream's two overloads."""
    fn = g_dns_lookup if dns_lookup_function is None else dns_lookup_function
    limit = 1 if nMaxSolutions is None else nMaxSolutions
    services: list[CService] = []
    if name and "\0" not in name:
        _valid, port, hostname = SplitHostPort(name, portDefault)
        services = [
            CService(addr, port) for addr in _LookupIntern(hostname, limit, fAllowLookup, fn)
        ]
    if nMaxSolutions is not None:
        return services
    return services[0] if services else None


def LookupNumeric(
    name: str, portDefault: int = 0, dns_lookup_function: DNSLookupFn | None = None
) -> CService:
    """Resolve a numeric service; ``[::]:0`` if it does not resolve (never None)."""
    if "\0" in name:
        return CService()
    # An address that does not resolve gives [::]:0, even when the port parsed.
    service = Lookup(name, portDefault, False, dns_lookup_function=dns_lookup_function)
    return service if service is not None else CService()


def LookupSubNet(subnet_str: str) -> CSubNet:
    """Parse "address", "address/bits" or "address/netmask" ("2001:db8::/32",
    "192.0.2.0/255.255.255.0", "8.8.8.8"); the result may be invalid."""
    subnet = CSubNet()
    if "\0" in subnet_str:
        return subnet
    slash_pos = subnet_str.rfind("/")
    str_addr = subnet_str if slash_pos == -1 else subnet_str[:slash_pos]
    addr = LookupHost(str_addr, False)
    if addr is None:
        return subnet
    addr = CNetAddr(MaybeFlipIPv6toCJDNS(CService(addr, 0)))
    if slash_pos != -1:
        netmask_str = subnet_str[slash_pos + 1 :]
        netmask = _to_uint(netmask_str, 0xFF)
        if netmask is not None:
            # A number: a CIDR prefix length.
            subnet = CSubNet(addr, netmask)
        else:
            # Otherwise a full netmask; never looked up.
            full_netmask = LookupHost(netmask_str, False)
            if full_netmask is not None:
                subnet = CSubNet(addr, full_netmask)
    else:
        # A single address: <ipv4>/32 or <ipv6>/128 (or one Tor/I2P/CJDNS host).
        subnet = CSubNet(addr)
    return subnet


def IsBadPort(port: int) -> bool:
    """Whether a port belongs to a well-known service we should not connect peers to
    (doc/p2p-bad-ports.md)."""
    return port in _BAD_PORTS


_BAD_PORTS: Final = frozenset(
    (
        1, 7, 9, 11, 13, 15, 17, 19, 20, 21, 22, 23, 25, 37, 42, 43, 53, 69, 77, 79, 87, 95,
        101, 102, 103, 104, 109, 110, 111, 113, 115, 117, 119, 123, 135, 137, 139, 143, 161,
        179, 389, 427, 465, 512, 513, 514, 515, 526, 530, 531, 532, 540, 548, 554, 556, 563,
        587, 601, 636, 989, 990, 993, 995, 1719, 1720, 1723, 2049, 3306, 3389, 3659, 4045,
        5060, 5061, 5432, 5900, 6000, 6566, 6665, 6666, 6667, 6668, 6669, 6697, 10080, 27017,
    )
)  # fmt: skip


def MaybeFlipIPv6toCJDNS(service: CService) -> CService:
    """A copy of ``service``, turned into CJDNS if it is IPv6 in fc00::/8 and CJDNS is
    reachable."""
    ret = CService(service, service.port)
    if ret.IsIPv6() and ret.HasCJDNSPrefix() and g_reachable_nets.Contains(NET_CJDNS):
        ret.m_net = NET_CJDNS
    return ret


def HaveNameProxy() -> bool:
    """Whether a name proxy (-proxy for host names) is set: never, this node has no proxies."""
    return False


def IsProxy(addr: CNetAddr) -> bool:
    """Whether ``addr`` is one of our proxies: never, this node has no proxies."""
    del addr
    return False
