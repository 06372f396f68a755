"""P2P permissions of whitelisted peers (src/net_permissions.h/.cpp): -whitebind and -whitelist.

``NetPermissionFlags.None_`` stands for upstream's ``NetPermissionFlags::None`` (``None`` is a
Python keyword). Upstream's TryParse functions return bool and fill out-parameters; here they
return the parsed result or the error text (upstream's untranslated message, exactly).
"""

from __future__ import annotations

from enum import IntFlag
from typing import Final

from .netaddress import CService, CSubNet
from .netbase import ConnectionDirection, Lookup, LookupSubNet

__all__ = [
    "DEFAULT_WHITELISTFORCERELAY",
    "DEFAULT_WHITELISTRELAY",
    "NET_PERMISSIONS_DOC",
    "ConnectionDirection",
    "NetPermissionFlags",
    "NetPermissions",
    "NetWhitebindPermissions",
    "NetWhitelistPermissions",
]

NET_PERMISSIONS_DOC: Final = (
    "bloomfilter (allow requesting BIP37 filtered blocks and transactions)",
    "noban (do not ban for misbehavior; implies download)",
    "forcerelay (relay transactions that are already in the mempool; implies relay)",
    "relay (relay even in -blocksonly mode, and unlimited transaction announcements)",
    "mempool (allow requesting BIP35 mempool contents)",
    "download (allow getheaders during IBD, no disconnect after maxuploadtarget limit)",
    "addr (responses to GETADDR avoid hitting the cache and contain random records with the "
    "most up-to-date info)",
)

#: Default for -whitelistrelay.
DEFAULT_WHITELISTRELAY: Final = True
#: Default for -whitelistforcerelay.
DEFAULT_WHITELISTFORCERELAY: Final = False


class NetPermissionFlags(IntFlag):
    """Permission bits. ForceRelay includes Relay and NoBan includes Download, as upstream."""

    None_ = 0
    #: May request bloom filters even with -peerbloomfilters=0.
    BloomFilter = 1 << 1
    #: Relay and accept transactions even with -blocksonly; no limit on tracked tx INVs.
    Relay = 1 << 3
    #: Relay transactions even if already in the mempool (implies Relay).
    ForceRelay = (1 << 2) | Relay
    #: getheaders during IBD, block download past -maxuploadtarget.
    Download = 1 << 6
    #: Never banned, disconnected or discouraged for misbehaviour (implies Download).
    NoBan = (1 << 4) | Download
    #: May query the mempool.
    Mempool = 1 << 5
    #: getaddr answers skip the privacy cache; unlimited addr from this peer.
    Addr = 1 << 7
    #: The user gave no explicit permissions for this -whitebind/-whitelist entry.
    Implicit = 1 << 31
    All = BloomFilter | ForceRelay | Relay | NoBan | Mempool | Download | Addr


class NetPermissions:
    """Upstream mutates ``flags`` through a reference in AddFlag/ClearFlag; here they return
    the new value."""

    __slots__ = ("m_flags",)
    m_flags: NetPermissionFlags

    def __init__(self, m_flags: NetPermissionFlags = NetPermissionFlags.None_) -> None:
        self.m_flags = m_flags

    @staticmethod
    def ToStrings(flags: NetPermissionFlags) -> list[str]:
        return [name for flag, name in _FLAG_NAMES if NetPermissions.HasFlag(flags, flag)]

    @staticmethod
    def HasFlag(flags: NetPermissionFlags, f: NetPermissionFlags) -> bool:
        return (flags & f) == f

    @staticmethod
    def AddFlag(flags: NetPermissionFlags, f: NetPermissionFlags) -> NetPermissionFlags:
        return flags | f

    @staticmethod
    def ClearFlag(flags: NetPermissionFlags, f: NetPermissionFlags) -> NetPermissionFlags:
        """Only for Implicit: clearing a bit of a multi-bit flag (Relay out of ForceRelay)
        would leave a value that is none of the flags."""
        if f != NetPermissionFlags.Implicit:
            raise AssertionError("ClearFlag is only for NetPermissionFlags.Implicit")
        return flags & ~f


_FLAG_NAMES: Final = (
    (NetPermissionFlags.BloomFilter, "bloomfilter"),
    (NetPermissionFlags.NoBan, "noban"),
    (NetPermissionFlags.ForceRelay, "forcerelay"),
    (NetPermissionFlags.Relay, "relay"),
    (NetPermissionFlags.Mempool, "mempool"),
    (NetPermissionFlags.Download, "download"),
    (NetPermissionFlags.Addr, "addr"),
)

_PERMISSION_BY_NAME: Final = {
    "bloomfilter": NetPermissionFlags.BloomFilter,
    "bloom": NetPermissionFlags.BloomFilter,
    "noban": NetPermissionFlags.NoBan,
    "forcerelay": NetPermissionFlags.ForceRelay,
    "mempool": NetPermissionFlags.Mempool,
    "download": NetPermissionFlags.Download,
    "all": NetPermissionFlags.All,
    "relay": NetPermissionFlags.Relay,
    "addr": NetPermissionFlags.Addr,
}


def _TryParsePermissionFlags(
    s: str, allow_out: bool
) -> tuple[NetPermissionFlags, ConnectionDirection, int] | str:
    """Parse "perm1,perm2@rest": the flags, the direction and the offset of "rest", or an
    error. Without '@' the flags are Implicit and "rest" is all of ``s``. ``allow_out`` is
    False for -whitebind (upstream passes a null direction pointer)."""
    flags = NetPermissionFlags.None_
    direction = ConnectionDirection.None_
    at_separator = s.find("@")
    if at_separator == -1:
        # No '@': the caller applies its implicit permissions.
        flags = NetPermissions.AddFlag(flags, NetPermissionFlags.Implicit)
        readen = 0
    else:
        for permission in s[:at_separator].split(","):
            flag = _PERMISSION_BY_NAME.get(permission)
            if flag is not None:
                flags = NetPermissions.AddFlag(flags, flag)
            elif permission == "in":
                direction |= ConnectionDirection.In
            elif permission == "out":
                if not allow_out:
                    return 'whitebind may only be used for incoming connections ("out" was passed)'
                direction |= ConnectionDirection.Out
            elif len(permission) == 0:
                pass  # empty entries are allowed
            else:
                return f"Invalid P2P permission: '{permission}'"
        readen = at_separator + 1
    # A whitelist entry applies to incoming connections unless it says otherwise.
    if direction == ConnectionDirection.None_:
        direction = ConnectionDirection.In
    elif flags == NetPermissionFlags.None_:
        return f"Only direction was set, no permissions: '{s}'"
    return flags, direction, readen


class NetWhitebindPermissions(NetPermissions):
    """A -whitebind entry: permissions for peers connecting to ``m_service``."""

    __slots__ = ("m_service",)
    m_service: CService

    def __init__(
        self,
        m_flags: NetPermissionFlags = NetPermissionFlags.None_,
        m_service: CService | None = None,
    ) -> None:
        super().__init__(m_flags)
        self.m_service = CService() if m_service is None else m_service

    @staticmethod
    def TryParse(s: str) -> NetWhitebindPermissions | str:
        """Parse "[perms@]addr:port"; the error text if it does not parse."""
        parsed = _TryParsePermissionFlags(s, allow_out=False)
        if isinstance(parsed, str):
            return parsed
        flags, _direction, offset = parsed
        str_bind = s[offset:]
        addr_bind = Lookup(str_bind, 0, False)
        if addr_bind is None:
            return f"Cannot resolve -whitebind address: '{str_bind}'"
        if addr_bind.GetPort() == 0:
            return f"Need to specify a port with -whitebind: '{str_bind}'"
        return NetWhitebindPermissions(flags, addr_bind)

    def __repr__(self) -> str:
        return f"NetWhitebindPermissions({self.m_flags!r}, {self.m_service!r})"


class NetWhitelistPermissions(NetPermissions):
    """A -whitelist entry: permissions for peers in ``m_subnet``."""

    __slots__ = ("m_subnet",)
    m_subnet: CSubNet

    def __init__(
        self,
        m_flags: NetPermissionFlags = NetPermissionFlags.None_,
        m_subnet: CSubNet | None = None,
    ) -> None:
        super().__init__(m_flags)
        self.m_subnet = CSubNet() if m_subnet is None else m_subnet

    @staticmethod
    def TryParse(s: str) -> tuple[NetWhitelistPermissions, ConnectionDirection] | str:
        """Parse "[perms@]subnet": the entry and the directions it applies to (upstream's
        ``output_connection_direction``), or the error text."""
        parsed = _TryParsePermissionFlags(s, allow_out=True)
        if isinstance(parsed, str):
            return parsed
        flags, direction, offset = parsed
        net = s[offset:]
        subnet = LookupSubNet(net)
        if not subnet.IsValid():
            return f"Invalid netmask specified in -whitelist: '{net}'"
        return NetWhitelistPermissions(flags, subnet), direction

    def __repr__(self) -> str:
        return f"NetWhitelistPermissions({self.m_flags!r}, {self.m_subnet!r})"
