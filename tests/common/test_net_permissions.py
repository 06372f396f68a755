"""-whitebind / -whitelist permissions (upstream's netbase_tests.cpp netpermissions_test)."""

from __future__ import annotations

import pytest

from common.net_permissions import (
    ConnectionDirection,
    NetPermissionFlags,
    NetPermissions,
    NetWhitebindPermissions,
    NetWhitelistPermissions,
)

F = NetPermissionFlags


def whitebind(text: str) -> NetWhitebindPermissions:
    parsed = NetWhitebindPermissions.TryParse(text)
    assert isinstance(parsed, NetWhitebindPermissions), parsed
    return parsed


def whitelist(text: str) -> tuple[NetWhitelistPermissions, ConnectionDirection]:
    parsed = NetWhitelistPermissions.TryParse(text)
    assert isinstance(parsed, tuple), parsed
    return parsed


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("", "Cannot resolve -whitebind address: ''"),
        ("127.0.0.1", "Need to specify a port with -whitebind: '127.0.0.1'"),
        ("noban@localhost:8333", "Cannot resolve -whitebind address: 'localhost:8333'"),
        (
            "out,forcerelay@1.2.3.4:32",
            'whitebind may only be used for incoming connections ("out" was passed)',
        ),
        ("bloom,forcerelay,oopsie@1.2.3.4:32", "Invalid P2P permission: 'oopsie'"),
        ("in@1.2.3.4:32", "Only direction was set, no permissions: 'in@1.2.3.4:32'"),
    ],
)
def test_whitebind_errors(text: str, error: str) -> None:
    assert NetWhitebindPermissions.TryParse(text) == error


def test_whitebind_without_flags_is_implicit() -> None:
    parsed = whitebind("1.2.3.4:32")
    assert parsed.m_flags == F.Implicit
    assert parsed.m_service.ToStringAddrPort() == "1.2.3.4:32"
    assert NetPermissions.HasFlag(parsed.m_flags, F.Implicit)
    flags = NetPermissions.ClearFlag(parsed.m_flags, F.Implicit)
    assert not NetPermissions.HasFlag(flags, F.Implicit)
    assert flags == F.None_
    flags = NetPermissions.AddFlag(flags, F.Implicit)
    assert NetPermissions.HasFlag(flags, F.Implicit)


@pytest.mark.parametrize(
    ("text", "flags"),
    [
        ("bloom@1.2.3.4:32", F.BloomFilter),
        ("@1.2.3.4:32", F.None_),
        ("noban@1.2.3.4:32", F.NoBan),
        ("noban,download@1.2.3.4:32", F.NoBan),
        ("download,noban@1.2.3.4:32", F.NoBan),
        ("download@1.2.3.4:32", F.Download),
        ("bloom,forcerelay@1.2.3.4:32", F.BloomFilter | F.ForceRelay | F.Relay),
        ("bloom,relay,noban@1.2.3.4:32", F.BloomFilter | F.Relay | F.NoBan),
        ("bloom,forcerelay,noban@1.2.3.4:32", F.BloomFilter | F.ForceRelay | F.NoBan),
        ("all@1.2.3.4:32", F.All),
        ("bloomfilter,mempool,addr@1.2.3.4:32", F.BloomFilter | F.Mempool | F.Addr),
        # duplicates and empty entries are fine
        ("bloom,relay,noban,noban@1.2.3.4:32", F.BloomFilter | F.Relay | F.NoBan | F.Download),
        ("bloom,relay,,noban@1.2.3.4:32", F.BloomFilter | F.Relay | F.NoBan),
        (",@1.2.3.4:32", F.None_),
        (",,@1.2.3.4:32", F.None_),
        ("in,relay@1.2.3.4:32", F.Relay),
        ("relay@[::1]:32", F.Relay),
    ],
)
def test_whitebind_flags(text: str, flags: NetPermissionFlags) -> None:
    assert whitebind(text).m_flags == flags


def test_noban_implies_download_but_not_the_reverse() -> None:
    noban = whitebind("noban@1.2.3.4:32").m_flags
    assert NetPermissions.HasFlag(noban, F.Download)
    assert NetPermissions.HasFlag(noban, F.NoBan)
    download = whitebind("download@1.2.3.4:32").m_flags
    assert NetPermissions.HasFlag(download, F.Download)
    assert not NetPermissions.HasFlag(download, F.NoBan)


def test_forcerelay_implies_relay_but_not_the_reverse() -> None:
    assert NetPermissions.HasFlag(F.ForceRelay, F.Relay)
    assert not NetPermissions.HasFlag(F.Relay, F.ForceRelay)


@pytest.mark.parametrize(
    ("text", "error"),
    [
        (
            "bloom,forcerelay,noban@1.2.3.4:32",
            "Invalid netmask specified in -whitelist: '1.2.3.4:32'",
        ),
        ("bloom,oops@1.2.3.4", "Invalid P2P permission: 'oops'"),
        ("in,out@1.2.3.4", "Only direction was set, no permissions: 'in,out@1.2.3.4'"),
        ("noban@", "Invalid netmask specified in -whitelist: ''"),
    ],
)
def test_whitelist_errors(text: str, error: str) -> None:
    assert NetWhitelistPermissions.TryParse(text) == error


def test_whitelist_parsing() -> None:
    perms, direction = whitelist("noban@1.2.3.4")
    assert perms.m_flags == F.NoBan
    assert NetPermissions.HasFlag(perms.m_flags, F.NoBan)
    assert direction == ConnectionDirection.In

    perms, direction = whitelist("bloom,forcerelay,noban,relay@1.2.3.4/32")
    assert perms.m_flags == F.BloomFilter | F.ForceRelay | F.NoBan | F.Relay
    assert perms.m_subnet.ToString() == "1.2.3.4/32"
    whitelist("bloom,forcerelay,noban,relay,mempool@1.2.3.4/32")

    assert whitelist("in,relay@1.2.3.4")[1] == ConnectionDirection.In
    assert whitelist("out,bloom@1.2.3.4")[1] == ConnectionDirection.Out
    assert whitelist("in,out,bloom@1.2.3.4")[1] == ConnectionDirection.Both

    perms, direction = whitelist("10.0.0.0/8")
    assert perms.m_flags == F.Implicit and direction == ConnectionDirection.In
    assert perms.m_subnet.ToString() == "10.0.0.0/8"


def test_tostrings_lists_every_permission_of_all() -> None:
    assert NetPermissions.ToStrings(F.All) == [
        "bloomfilter",
        "noban",
        "forcerelay",
        "relay",
        "mempool",
        "download",
        "addr",
    ]
    assert NetPermissions.ToStrings(F.None_) == []
    assert NetPermissions.ToStrings(F.Implicit) == []
    assert NetPermissions.ToStrings(F.NoBan) == ["noban", "download"]


def test_clearflag_is_only_for_implicit() -> None:
    with pytest.raises(AssertionError):
        NetPermissions.ClearFlag(F.ForceRelay, F.Relay)


def test_flag_values_match_upstream_bits() -> None:
    assert [int(f) for f in (F.None_, F.BloomFilter, F.Relay, F.ForceRelay)] == [0, 2, 8, 12]
    assert [int(f) for f in (F.Download, F.NoBan, F.Mempool, F.Addr)] == [64, 80, 32, 128]
    assert int(F.Implicit) == 1 << 31
    assert int(F.All) == 0xFE
