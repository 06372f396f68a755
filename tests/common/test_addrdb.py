"""peers.dat, anchors.dat and banlist.json on disk (addrdb.cpp).

The corrupt-file cases are those of upstream's test/functional/feature_addrman.py, with the same
hand-built files; the anchors cases follow feature_anchors.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from common.addrdb import (
    CBanDB,
    CBanEntry,
    DumpAnchors,
    DumpPeerAddresses,
    LoadAddrman,
    LoadAddrmanError,
    ReadAnchors,
    ReadFromStream,
    SerializeFileDB,
    banmap_t,
)
from common.addrman import (
    ADDRMAN_BUCKET_SIZE,
    ADDRMAN_NEW_BUCKET_COUNT,
    ADDRMAN_TRIED_BUCKET_COUNT,
    AddressPosition,
    AddrMan,
)
from common.chainparams import Params
from common.clock import SetMockTime
from common.hash import hash256
from common.logging import BCLog, LogInstance
from common.netaddress import CService
from common.netbase import Lookup, LookupHost, LookupSubNet
from common.netgroup import NetGroupManager
from common.protocol import NODE_NETWORK, NODE_P2P_V2, NODE_WITNESS, CAddress
from common.serialize import DataStream

NETGROUPMAN = NetGroupManager()
T0 = 1_700_000_000
BUGREPORT = "https://github.com/bitcoin/bitcoin/issues"


@pytest.fixture(autouse=True)
def _mock_time() -> Iterator[None]:
    SetMockTime(T0)
    yield
    SetMockTime(0)


@pytest.fixture
def debug_log() -> Iterator[list[str]]:
    """Every log line while the test runs, with the addrman category on."""
    logger = LogInstance()
    mask = logger.GetCategoryMask()
    was_buffering = logger.m_buffering
    if was_buffering:
        assert logger.StartLogging()
    lines: list[str] = []
    handle = logger.PushBackCallback(lines.append)
    logger.EnableCategory(BCLog.ADDRMAN)
    yield lines
    logger.DisableCategory(BCLog.LogFlags.ALL)
    logger.EnableCategory(BCLog.LogFlags(mask))
    if was_buffering:
        logger.DisconnectTestLogger()
    else:
        logger.DeleteCallback(handle)


def logged(lines: list[str], message: str) -> bool:
    return any(message in line for line in lines)


def service(s: str, port: int = 8333) -> CService:
    serv = Lookup(s, port)
    assert serv is not None
    return serv


def filled_addrman() -> AddrMan:
    addrman = AddrMan(NETGROUPMAN, True, 100)
    source = LookupHost("252.2.2.2")
    assert source is not None
    for i in range(1, 25):
        addr = CAddress(service(f"250.{i}.1.1"), NODE_NETWORK, T0 - 60 * i)
        assert addrman.Add([addr], source)
        if i % 4 == 0:
            assert addrman.Good(addr, T0 - i)
    addrman.Attempt(service("250.1.1.1"), True, T0 - 5)
    return addrman


def snapshot(addrman: AddrMan) -> list[tuple[str, int, int, int, int, AddressPosition]]:
    return [
        (
            info.ToStringAddrPort(),
            info.nTime,
            info.nServices,
            info.nAttempts,
            info.m_last_success,
            pos,
        )
        for tried in (False, True)
        for info, pos in addrman.GetEntries(tried)
    ]


def serialize_addrman(
    *,
    format: int = 1,
    lowest_compatible: int = 4,
    net_magic: bytes | None = None,
    bucket_key: int = 1,
    len_new: int | None = None,
    len_tried: int | None = None,
    mock_checksum: bytes | None = None,
) -> bytes:
    """feature_addrman.py's hand-built, empty peers.dat."""
    r = net_magic if net_magic is not None else Params().MessageStart()
    r += format.to_bytes(1, "little")
    r += ((32 + lowest_compatible) & 0xFF).to_bytes(1, "little")
    r += bucket_key.to_bytes(32, "little")
    r += (len_new or 0).to_bytes(4, "little", signed=True)
    r += (len_tried or 0).to_bytes(4, "little", signed=True)
    r += (ADDRMAN_NEW_BUCKET_COUNT ^ (1 << 30)).to_bytes(4, "little", signed=True)
    r += (0).to_bytes(4, "little", signed=True) * ADDRMAN_NEW_BUCKET_COUNT
    return r + (mock_checksum or hash256(r))


def init_error(peers_dat: Path, reason: str) -> str:
    return (
        f"Invalid or corrupt peers.dat ({reason}). If you believe this is a bug, please report it "
        f'to {BUGREPORT}. As a workaround, you can move the file ("{peers_dat}") out of the way '
        "(rename, move, or delete) to have a new one created on the next start."
    )


# -- peers.dat ------------------------------------------------------------------------------------


def test_peers_dat_is_magic_addrman_and_checksum(tmp_path: Path) -> None:
    addrman = filled_addrman()
    assert DumpPeerAddresses(tmp_path, addrman)
    data = (tmp_path / "peers.dat").read_bytes()
    body = Params().MessageStart() + addrman.Serialize()
    assert data == body + hash256(body)
    # The temporary file was renamed into place.
    assert [p.name for p in tmp_path.iterdir()] == ["peers.dat"]


def test_addrman_survives_a_restart(tmp_path: Path, debug_log: list[str]) -> None:
    addrman = filled_addrman()
    assert DumpPeerAddresses(tmp_path, addrman)

    loaded = LoadAddrman(NETGROUPMAN, tmp_path, check_addrman=1, deterministic=True)
    assert logged(debug_log, f"Loaded {addrman.Size()} addresses from peers.dat  ")
    assert loaded.Size() == addrman.Size() == 24
    assert loaded.Size(in_new=False) == addrman.Size(in_new=False) == 6
    assert snapshot(loaded) == snapshot(addrman)


def test_missing_peers_dat_is_created(tmp_path: Path, debug_log: list[str]) -> None:
    addrman = LoadAddrman(NETGROUPMAN, tmp_path)
    assert addrman.Size() == 0
    assert logged(
        debug_log,
        f'Creating peers.dat because the file was not found ("{tmp_path / "peers.dat"}")',
    )
    assert (tmp_path / "peers.dat").exists()
    debug_log.clear()
    assert LoadAddrman(NETGROUPMAN, tmp_path).Size() == 0
    assert logged(debug_log, "Loaded 0 addresses from peers.dat  ")


def test_hand_built_peers_dat_is_valid(tmp_path: Path, debug_log: list[str]) -> None:
    (tmp_path / "peers.dat").write_bytes(serialize_addrman())
    assert LoadAddrman(NETGROUPMAN, tmp_path, check_addrman=1).Size() == 0
    assert logged(debug_log, "Loaded 0 addresses from peers.dat")


@pytest.mark.parametrize(
    ("contents", "reason"),
    [
        (
            serialize_addrman(lowest_compatible=-32),
            "Corrupted addrman database: The compat value (0) is lower than the expected "
            "minimum value 32.",
        ),
        (serialize_addrman()[:-1], "end of data: wanted 32 bytes, 31 left"),
        (serialize_addrman(net_magic=bytes.fromhex("0a03cf40")), "Invalid network magic number"),
        (serialize_addrman(mock_checksum=b"ab" * 32), "Checksum mismatch, data corrupted"),
        (
            serialize_addrman(len_tried=-1),
            "Corrupt AddrMan serialization: nTried=-1, should be in [0, "
            f"{ADDRMAN_TRIED_BUCKET_COUNT * ADDRMAN_BUCKET_SIZE}]",
        ),
        (
            serialize_addrman(len_tried=ADDRMAN_TRIED_BUCKET_COUNT * ADDRMAN_BUCKET_SIZE + 1),
            f"Corrupt AddrMan serialization: nTried={ADDRMAN_TRIED_BUCKET_COUNT * 64 + 1}, "
            f"should be in [0, {ADDRMAN_TRIED_BUCKET_COUNT * 64}]",
        ),
        (
            serialize_addrman(len_new=-1),
            "Corrupt AddrMan serialization: nNew=-1, should be in [0, "
            f"{ADDRMAN_NEW_BUCKET_COUNT * ADDRMAN_BUCKET_SIZE}]",
        ),
        (
            serialize_addrman(len_new=ADDRMAN_NEW_BUCKET_COUNT * ADDRMAN_BUCKET_SIZE + 1),
            f"Corrupt AddrMan serialization: nNew={ADDRMAN_NEW_BUCKET_COUNT * 64 + 1}, "
            f"should be in [0, {ADDRMAN_NEW_BUCKET_COUNT * 64}]",
        ),
        (serialize_addrman(bucket_key=0), "Corrupt data. Consistency check failed with code -16"),
    ],
)
def test_corrupt_peers_dat_refuses_to_start(tmp_path: Path, contents: bytes, reason: str) -> None:
    peers_dat = tmp_path / "peers.dat"
    peers_dat.write_bytes(contents)
    with pytest.raises(LoadAddrmanError) as exc:
        LoadAddrman(NETGROUPMAN, tmp_path)
    assert str(exc.value) == init_error(peers_dat, reason)
    # The file is left for the user.
    assert peers_dat.read_bytes() == contents


def test_peers_dat_from_the_future_is_backed_up_and_replaced(
    tmp_path: Path, debug_log: list[str]
) -> None:
    peers_dat = tmp_path / "peers.dat"
    future = serialize_addrman(lowest_compatible=111)
    peers_dat.write_bytes(future)
    addrman = LoadAddrman(NETGROUPMAN, tmp_path)
    assert addrman.Size() == 0
    assert logged(
        debug_log,
        f'Creating new peers.dat because the file version was not compatible ("{peers_dat}"). '
        "Original backed up to peers.dat.bak",
    )
    assert (tmp_path / "peers.dat.bak").read_bytes() == future
    assert LoadAddrman(NETGROUPMAN, tmp_path).Size() == 0


def test_read_from_stream_skips_the_checksum() -> None:
    addrman = filled_addrman()
    fresh = AddrMan(NETGROUPMAN, False, 0)
    ReadFromStream(fresh, DataStream(Params().MessageStart() + addrman.Serialize()))
    assert fresh.Size() == 24


def test_serialize_file_db_reports_an_unwritable_directory(
    tmp_path: Path, debug_log: list[str]
) -> None:
    assert not SerializeFileDB("peers", tmp_path / "missing" / "peers.dat", lambda: b"")
    assert logged(debug_log, "SerializeFileDB: Failed to open file")


# -- anchors.dat ----------------------------------------------------------------------------------


def anchors() -> list[CAddress]:
    return [
        CAddress(service("1.2.3.4"), NODE_NETWORK | NODE_WITNESS, T0 - 10),
        CAddress(service("2001:db8::1", 18444), NODE_NETWORK | NODE_P2P_V2, T0 - 20),
    ]


def test_anchors_are_read_once_and_deleted(tmp_path: Path, debug_log: list[str]) -> None:
    path = tmp_path / "anchors.dat"
    DumpAnchors(path, anchors())
    assert logged(
        debug_log, "DumpAnchors: Flush 2 outbound block-relay-only peer addresses to anchors.dat"
    )
    body = Params().MessageStart() + bytes([2])
    body += b"".join(a.serialize(CAddress.V2_DISK) for a in anchors())
    assert path.read_bytes() == body + hash256(body)

    read = ReadAnchors(path)
    assert [(a.ToStringAddrPort(), a.nServices, a.nTime) for a in read] == [
        (a.ToStringAddrPort(), a.nServices, a.nTime) for a in anchors()
    ]
    assert logged(debug_log, 'Loaded 2 addresses from "anchors.dat"')
    assert not path.exists()
    assert ReadAnchors(path) == []


def test_corrupt_anchors_are_dropped_and_deleted(tmp_path: Path) -> None:
    path = tmp_path / "anchors.dat"
    DumpAnchors(path, anchors())
    data = bytearray(path.read_bytes())
    data[10] ^= 0xFF
    path.write_bytes(bytes(data))
    assert ReadAnchors(path) == []
    assert not path.exists()


# -- banlist.json ---------------------------------------------------------------------------------


def test_ban_db_round_trip(tmp_path: Path) -> None:
    db = CBanDB(tmp_path / "banlist")
    bans = {
        LookupSubNet("1.2.3.4"): CBanEntry(1, T0, T0 + 100),
        LookupSubNet("10.0.0.0/8"): CBanEntry(1, T0 - 5, T0 + 50),
    }
    assert db.Write(bans)
    read: banmap_t = {}
    assert db.Read(read)
    assert read == bans


def test_ban_db_without_file_reads_false(tmp_path: Path) -> None:
    assert not CBanDB(tmp_path / "banlist").Read({})
