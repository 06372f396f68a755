"""Banning and discouragement of peers (src/banman.h, src/banman.cpp).

Two related but distinct things:

1. Banning, set by the user (the ``setban`` RPC): no inbound connection is accepted from a banned
   address or subnet, no outbound one is made to it, and it is not gossiped. Bans persist in
   banlist.json across restarts.
2. Discouragement, for misbehaving peers (net_processing's Misbehaving): they may still connect
   inbound but are first in line for eviction, we never connect to them and do not gossip them.
   It lives in a rolling bloom filter, so it is probabilistic, unlistable and cannot be undone;
   it cannot grow without bound either, which a ban map fed by misbehaviour could.

Neither protects against denial of service, since an attacker just changes address.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Final, Protocol

from .addrdb import CBanDB, CBanEntry, banmap_t
from .bloom import CRollingBloomFilter
from .clock import GetTime
from .logging import BCLog, LogDebug, LogInfo
from .netaddress import CNetAddr, CSubNet

__all__ = [
    "DEFAULT_MISBEHAVING_BANTIME",
    "DUMP_BANS_INTERVAL",
    "BanMan",
    "CBanEntry",
    "CClientUIInterface",
    "banmap_t",
]

#: Default ban time in seconds: 24 hours (rpcnet's setban help says "24h").
DEFAULT_MISBEHAVING_BANTIME: Final = 60 * 60 * 24

#: How often the ban list is saved to disk, in seconds (upstream: std::chrono::minutes{15}; seconds
#: here, as every other time in this module).
DUMP_BANS_INTERVAL: Final = 15 * 60


class CClientUIInterface(Protocol):
    """The two notifications BanMan sends to the user interface (node/interface_ui.h)."""

    def InitMessage(self, message: str) -> None: ...

    def BannedListChanged(self) -> None: ...


#: Upstream's function-static ``dump_mutex``: one dump at a time, across every BanMan.
_dump_mutex: Final = threading.Lock()


class BanMan:
    """The ban list and the discouragement filter.

    ``ban_file`` is the ban list's path without extension (upstream passes ``<datadir>/banlist``
    and the database adds ``.json``); None keeps bans in memory only. ``default_ban_time`` is in
    seconds. ``m_banned_mutex`` is upstream's Mutex, a threading.Lock. Upstream's destructor
    saves the list; Python has no reliable destructor, so the owner calls :meth:`DumpBanlist` at
    shutdown.
    """

    __slots__ = (
        "m_ban_db",
        "m_banned",
        "m_banned_mutex",
        "m_client_interface",
        "m_default_ban_time",
        "m_discouraged",
        "m_is_dirty",
    )

    m_banned_mutex: threading.Lock
    m_banned: banmap_t
    m_is_dirty: bool
    m_client_interface: CClientUIInterface | None
    m_ban_db: CBanDB | None
    m_default_ban_time: int
    m_discouraged: CRollingBloomFilter

    def __init__(
        self,
        ban_file: Path | str | None,
        client_interface: CClientUIInterface | None = None,
        default_ban_time: int = DEFAULT_MISBEHAVING_BANTIME,
    ) -> None:
        self.m_banned_mutex = threading.Lock()
        self.m_banned = {}
        self.m_is_dirty = False
        self.m_client_interface = client_interface
        self.m_ban_db = CBanDB(ban_file) if ban_file is not None else None
        self.m_default_ban_time = default_ban_time
        self.m_discouraged = CRollingBloomFilter(50000, 0.000001)
        self.LoadBanlist()
        self.DumpBanlist()

    def LoadBanlist(self) -> None:
        with self.m_banned_mutex:
            if self.m_client_interface is not None:
                self.m_client_interface.InitMessage("Loading banlist…")

            if self.m_ban_db is None:
                return
            start = time.monotonic()
            banned: banmap_t = {}
            if self.m_ban_db.Read(banned):
                self.m_banned = banned
                self.SweepBanned()  # sweep out unused entries
                LogDebug(
                    BCLog.NET,
                    "Loaded %d banned node addresses/subnets  %dms\n",
                    len(self.m_banned),
                    int((time.monotonic() - start) * 1000),
                )
            else:
                LogInfo("Recreating the banlist database")
                self.m_banned = {}
                self.m_is_dirty = True

    def DumpBanlist(self) -> None:
        """Save the ban list if it changed since the last save."""
        with _dump_mutex:
            with self.m_banned_mutex:
                self.SweepBanned()
                if not self.m_is_dirty:
                    return
                banmap = _copy_banmap(self.m_banned)
                self.m_is_dirty = False

            if self.m_ban_db is None:
                return
            start = time.monotonic()
            if not self.m_ban_db.Write(banmap):
                with self.m_banned_mutex:
                    self.m_is_dirty = True

            LogDebug(
                BCLog.NET,
                "Flushed %d banned node addresses/subnets to disk  %dms\n",
                len(banmap),
                int((time.monotonic() - start) * 1000),
            )

    def ClearBanned(self) -> None:
        with self.m_banned_mutex:
            self.m_banned.clear()
            self.m_is_dirty = True
        self.DumpBanlist()  # store banlist to disk
        if self.m_client_interface is not None:
            self.m_client_interface.BannedListChanged()

    def IsDiscouraged(self, net_addr: CNetAddr) -> bool:
        """Whether ``net_addr`` is discouraged (false positives possible, by design)."""
        with self.m_banned_mutex:
            return self.m_discouraged.contains(bytes(net_addr.GetAddrBytes()))

    def IsBanned(self, addr: CNetAddr | CSubNet) -> bool:
        """For an address: whether any current ban covers it. For a subnet: whether exactly that
        subnet is banned. (Upstream's two overloads.)"""
        current_time = GetTime()
        with self.m_banned_mutex:
            if isinstance(addr, CSubNet):
                ban_entry = self.m_banned.get(addr)
                return ban_entry is not None and current_time < ban_entry.nBanUntil
            for sub_net, ban_entry in self.m_banned.items():
                if current_time < ban_entry.nBanUntil and sub_net.Match(addr):
                    return True
            return False

    def Ban(
        self, addr: CNetAddr | CSubNet, ban_time_offset: int = 0, since_unix_epoch: bool = False
    ) -> None:
        """Ban an address (as a single-address subnet) or a subnet, for ``ban_time_offset``
        seconds from now, or until that absolute time with ``since_unix_epoch``; an offset of 0
        or less means the default ban time from now. A ban never shortens an existing one."""
        sub_net = addr if isinstance(addr, CSubNet) else CSubNet(addr)
        ban_entry = CBanEntry(nCreateTime=GetTime())

        normalized_ban_time_offset = ban_time_offset
        normalized_since_unix_epoch = since_unix_epoch
        if ban_time_offset <= 0:
            normalized_ban_time_offset = self.m_default_ban_time
            normalized_since_unix_epoch = False
        ban_entry.nBanUntil = (
            0 if normalized_since_unix_epoch else GetTime()
        ) + normalized_ban_time_offset

        with self.m_banned_mutex:
            # std::map::operator[]: a missing subnet gets a default entry first.
            existing = self.m_banned.setdefault(sub_net, CBanEntry())
            if existing.nBanUntil < ban_entry.nBanUntil:
                self.m_banned[sub_net] = ban_entry
                self.m_is_dirty = True
            else:
                return
        if self.m_client_interface is not None:
            self.m_client_interface.BannedListChanged()

        # store banlist to disk immediately
        self.DumpBanlist()

    def Discourage(self, net_addr: CNetAddr) -> None:
        with self.m_banned_mutex:
            self.m_discouraged.insert(bytes(net_addr.GetAddrBytes()))

    def Unban(self, addr: CNetAddr | CSubNet) -> bool:
        """Lift the ban on exactly this address or subnet; False if there was none."""
        sub_net = addr if isinstance(addr, CSubNet) else CSubNet(addr)
        with self.m_banned_mutex:
            if self.m_banned.pop(sub_net, None) is None:
                return False
            self.m_is_dirty = True
        if self.m_client_interface is not None:
            self.m_client_interface.BannedListChanged()
        self.DumpBanlist()  # store banlist to disk immediately
        return True

    def GetBanned(self) -> banmap_t:
        """A copy of the current bans (upstream fills an out-parameter), expired ones swept
        first."""
        with self.m_banned_mutex:
            self.SweepBanned()
            return _copy_banmap(self.m_banned)

    def SweepBanned(self) -> None:
        """Drop expired and invalid entries. ``m_banned_mutex`` must be held."""
        now = GetTime()
        notify_ui = False
        # In std::map order, so the log lines come out as upstream's.
        for sub_net, ban_entry in sorted(self.m_banned.items(), key=lambda item: item[0]):
            if not sub_net.IsValid() or now > ban_entry.nBanUntil:
                del self.m_banned[sub_net]
                self.m_is_dirty = True
                notify_ui = True
                LogDebug(BCLog.NET, "Removed banned node address/subnet: %s\n", sub_net.ToString())

        # update UI
        if notify_ui and self.m_client_interface is not None:
            self.m_client_interface.BannedListChanged()


def _copy_banmap(banmap: banmap_t) -> banmap_t:
    return {
        sub_net: CBanEntry(e.nVersion, e.nCreateTime, e.nBanUntil)
        for sub_net, e in sorted(banmap.items(), key=lambda item: item[0])
    }
