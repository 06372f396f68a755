"""The stochastic address manager (src/addrman.h, src/addrman_impl.h, src/addrman.cpp).

Upstream splits the class in two, ``AddrMan`` (the public face) and ``AddrManImpl`` (a pimpl
holding the state and the logic), only to keep the implementation out of the header. Python has
no headers, so the two are one class here, :class:`AddrMan`: the public methods take ``cs`` and
run the consistency check around the private ``*_`` methods, as ``AddrManImpl``'s do, and every
member and method keeps its ``AddrManImpl`` name.

Times are ints in seconds since the epoch (upstream's ``NodeSeconds``); a ``time`` argument left
at None means now, as upstream's ``Now<NodeSeconds>()`` default.
"""

from __future__ import annotations

import threading
import time as _time
from dataclasses import dataclass
from typing import ClassVar, Final

from .clock import GetTime
from .hash import hash256
from .logging import BCLog, LogDebug, LogPrintf
from .netaddress import CNetAddr, CService, Network
from .netgroup import NetGroupManager
from .protocol import CAddress, ServiceFlags
from .random import FastRandomContext
from .serialize import (
    DataStream,
    SerializationError,
    ser_bytes,
    ser_i32,
    ser_i64,
    ser_u8,
    ser_u64,
)
from .uint256 import uint256

#: Upstream's CLIENT_NAME (bitcoin-build-config.h), used in error strings.
CLIENT_NAME: Final = "Bitcoin Core"

#: Default for -checkaddrman.
DEFAULT_ADDRMAN_CONSISTENCY_CHECKS: Final = 0

#: Total number of buckets for tried addresses.
ADDRMAN_TRIED_BUCKET_COUNT_LOG2: Final = 8
ADDRMAN_TRIED_BUCKET_COUNT: Final = 1 << ADDRMAN_TRIED_BUCKET_COUNT_LOG2
#: Total number of buckets for new addresses.
ADDRMAN_NEW_BUCKET_COUNT_LOG2: Final = 10
ADDRMAN_NEW_BUCKET_COUNT: Final = 1 << ADDRMAN_NEW_BUCKET_COUNT_LOG2
#: Maximum number of entries in a bucket, new or tried.
ADDRMAN_BUCKET_SIZE_LOG2: Final = 6
ADDRMAN_BUCKET_SIZE: Final = 1 << ADDRMAN_BUCKET_SIZE_LOG2

#: Over how many buckets the tried addresses of one group (/16 for IPv4) are spread.
ADDRMAN_TRIED_BUCKETS_PER_GROUP: Final = 8
#: Over how many buckets the new addresses from one source group are spread.
ADDRMAN_NEW_BUCKETS_PER_SOURCE_GROUP: Final = 64
#: How many times at most an address can occur in the new table.
ADDRMAN_NEW_BUCKETS_PER_ADDRESS: Final = 8
#: How old an address can be at most (seconds).
ADDRMAN_HORIZON: Final = 30 * 24 * 60 * 60
#: After how many failed attempts we give up on a new node.
ADDRMAN_RETRIES: Final = 3
#: How many successive failures are allowed ...
ADDRMAN_MAX_FAILURES: Final = 10
#: ... in at least this long (seconds).
ADDRMAN_MIN_FAIL: Final = 7 * 24 * 60 * 60
#: How recent a successful connection must be to keep an entry from being evicted from tried (s).
ADDRMAN_REPLACEMENT: Final = 4 * 60 * 60
#: How many tried-table collisions are kept at most.
ADDRMAN_SET_TRIED_COLLISION_SIZE: Final = 10
#: The longest we spend trying to resolve a tried-table collision (seconds).
ADDRMAN_TEST_WINDOW: Final = 40 * 60

#: Upstream's nid_type (int64_t): the id of an entry; -1 marks an empty bucket position.
nid_type = int


class InvalidAddrManVersionError(SerializationError):
    """peers.dat written by a newer, incompatible version (upstream derives it from
    std::ios_base::failure, the failure every other corruption raises)."""


def _cheap_hash(data: bytes) -> int:
    """``HashWriter{} << ... ).GetCheapHash()``: the first 8 bytes of SHA256d, little-endian."""
    return int.from_bytes(hash256(data)[:8], "little")


def _service_key(addr: CService) -> tuple[int, bytes, int]:
    """What makes two CServices equal (network, address bytes, port): the key of ``mapAddr``.

    Upstream's ``std::unordered_map<CService, nid_type>`` compares as CService even when handed a
    CAddress; a plain tuple keeps CAddress's richer equality (time, services) out of the lookup."""
    return (int(addr.m_net), bytes(addr.m_addr), addr.port)


def _same_netaddr(a: CNetAddr, b: CNetAddr) -> bool:
    """CNetAddr's operator==: network and address bytes, whatever else the objects carry."""
    return a.m_net == b.m_net and bytes(a.m_addr) == bytes(b.m_addr)


@dataclass(frozen=True, slots=True)
class AddressPosition:
    """Where an address sits in AddrMan (tests only).

    ``multiplicity`` is 1 in tried and 1..ADDRMAN_NEW_BUCKETS_PER_ADDRESS in new; in new, bucket
    and position are those of the first source, which in corner cases may not be where the entry
    is now."""

    tried: bool
    multiplicity: int
    bucket: int
    position: int


class AddrInfo(CAddress):
    """A CAddress with AddrMan's statistics about it."""

    __slots__ = (
        "fInTried",
        "m_last_count_attempt",
        "m_last_success",
        "m_last_try",
        "nAttempts",
        "nRandomPos",
        "nRefCount",
        "source",
    )

    #: Last attempt of any kind by us (memory only; seconds).
    m_last_try: int
    #: Last counted attempt (memory only; seconds).
    m_last_count_attempt: int
    #: Where we first heard of this address.
    source: CNetAddr
    #: Last successful connection by us (seconds).
    m_last_success: int
    #: Connection attempts since the last success.
    nAttempts: int
    #: How many new buckets reference it (memory only).
    nRefCount: int
    #: Whether it is in the tried table (memory only).
    fInTried: bool
    #: Its index in vRandom.
    nRandomPos: int

    def __init__(self, addrIn: CAddress | None = None, addrSource: CNetAddr | None = None) -> None:
        if addrIn is None:
            super().__init__()
        else:
            super().__init__(addrIn, addrIn.nServices, addrIn.nTime)
        # A plain CNetAddr copy: upstream slices a CService source to its CNetAddr.
        self.source = CNetAddr(addrSource) if addrSource is not None else CNetAddr()
        self.m_last_try = 0
        self.m_last_count_attempt = 0
        self.m_last_success = 0
        self.nAttempts = 0
        self.nRefCount = 0
        self.fInTried = False
        self.nRandomPos = -1

    def copy(self) -> AddrInfo:
        """A copy with every statistic (upstream copies AddrInfo by value)."""
        info = AddrInfo(self, self.source)
        info.m_last_try = self.m_last_try
        info.m_last_count_attempt = self.m_last_count_attempt
        info.m_last_success = self.m_last_success
        info.nAttempts = self.nAttempts
        info.nRefCount = self.nRefCount
        info.fInTried = self.fInTried
        info.nRandomPos = self.nRandomPos
        return info

    def to_caddress(self) -> CAddress:
        """The CAddress part alone, as a copy (upstream's slicing copy)."""
        return CAddress(self, self.nServices, self.nTime)

    # -- serialization (SERIALIZE_METHODS: the CAddress, source, m_last_success, nAttempts) --

    def serialize(self, params: CAddress.SerParams | None = None) -> bytes:
        """The peers.dat form (V2_DISK unless told otherwise); the source follows the stream's
        encoding, as upstream's ParamsStream passes it on."""
        params = params if params is not None else CAddress.V2_DISK
        source = (
            self.source.SerializeV2Stream() if params.use_v2 else self.source.SerializeV1Array()
        )
        return (
            CAddress.serialize(self, params)
            + source
            + ser_i64(self.m_last_success)
            + ser_i32(self.nAttempts)
        )

    @classmethod
    def deserialize(cls, s: DataStream, params: CAddress.SerParams | None = None) -> AddrInfo:
        params = params if params is not None else CAddress.V2_DISK
        addr = CAddress.deserialize(s, params)
        if params.use_v2:
            source = CNetAddr.UnserializeV2Stream(s)
        else:
            source = CNetAddr.UnserializeV1Array(s.read(16))
        info = cls(addr, source)
        info.m_last_success = s.read_i64()
        info.nAttempts = s.read_i32()
        return info

    # -- bucketing ------------------------------------------------------------------------------

    def GetTriedBucket(self, nKey: uint256, netgroupman: NetGroupManager) -> int:
        """The tried bucket this entry belongs in."""
        hash1 = _cheap_hash(nKey.data + ser_bytes(self.GetKey()))
        hash2 = _cheap_hash(
            nKey.data
            + ser_bytes(netgroupman.GetGroup(self))
            + ser_u64(hash1 % ADDRMAN_TRIED_BUCKETS_PER_GROUP)
        )
        return hash2 % ADDRMAN_TRIED_BUCKET_COUNT

    def GetNewBucket(
        self,
        nKey: uint256,
        src: CNetAddr | NetGroupManager,
        netgroupman: NetGroupManager | None = None,
    ) -> int:
        """The new bucket this entry belongs in for a source; ``GetNewBucket(nKey, netgroupman)``
        (upstream's second overload) uses the entry's own source."""
        if isinstance(src, NetGroupManager):
            netgroupman, src = src, self.source
        assert netgroupman is not None
        vchSourceGroupKey = ser_bytes(netgroupman.GetGroup(src))
        hash1 = _cheap_hash(nKey.data + ser_bytes(netgroupman.GetGroup(self)) + vchSourceGroupKey)
        hash2 = _cheap_hash(
            nKey.data + vchSourceGroupKey + ser_u64(hash1 % ADDRMAN_NEW_BUCKETS_PER_SOURCE_GROUP)
        )
        return hash2 % ADDRMAN_NEW_BUCKET_COUNT

    def GetBucketPosition(self, nKey: uint256, fNew: bool, bucket: int) -> int:
        """The position in ``bucket`` this entry goes to."""
        hash1 = _cheap_hash(
            nKey.data
            + ser_u8(ord("N") if fNew else ord("K"))
            + ser_i32(bucket)
            + ser_bytes(self.GetKey())
        )
        return hash1 % ADDRMAN_BUCKET_SIZE

    def IsTerrible(self, now: int | None = None) -> bool:
        """Whether the statistics are bad enough that the entry can just be deleted."""
        if now is None:
            now = GetTime()
        if now - self.m_last_try <= 60:  # never remove things tried in the last minute
            return False
        if self.nTime > now + 10 * 60:  # came in a flying DeLorean
            return True
        if now - self.nTime > ADDRMAN_HORIZON:  # not seen in recent history
            return True
        if self.m_last_success == 0 and self.nAttempts >= ADDRMAN_RETRIES:
            # tried N times and never a success
            return True
        # N successive failures in the last week
        return (
            now - self.m_last_success > ADDRMAN_MIN_FAIL and self.nAttempts >= ADDRMAN_MAX_FAILURES
        )

    def GetChance(self, now: int | None = None) -> float:
        """The relative chance this entry gets when selecting nodes to connect to."""
        if now is None:
            now = GetTime()
        fChance = 1.0
        # deprioritize very recent attempts
        if now - self.m_last_try < 10 * 60:
            fChance *= 0.01
        # 66% less after each failed attempt, at most down to 0.66^8 (about 1/28)
        fChance *= pow(0.66, min(self.nAttempts, 8))
        return fChance

    def __repr__(self) -> str:
        return (
            f"AddrInfo({self.ToStringAddrPort()}, source={self.source.ToStringAddr()}, "
            f"nTime={self.nTime}, nAttempts={self.nAttempts}, nRefCount={self.nRefCount}, "
            f"fInTried={self.fInTried})"
        )


@dataclass(slots=True)
class NewTriedCount:
    n_new: int = 0
    n_tried: int = 0


class AddrMan:
    """Stochastic address manager.

    Addresses we have not connected to live in 1024 "new" buckets of 64: the source's group picks
    64 of them, the address's own group one of those, and the full address the position. An
    address may sit in up to 8 new buckets. Addresses we connected to live in 256 "tried" buckets:
    each group gets 8, the full address picks one. A collision in tried is settled by testing the
    old entry first (test-before-evict, :meth:`ResolveCollisions`). Bucketing hashes with a secret
    key ``nKey``, so a localized attacker cannot fill the tables.

    ``cs`` is upstream's Mutex, a threading.Lock. ``deterministic`` (tests only) gives nKey = 1 and
    a zero-key FastRandomContext, so bucket placement and every random choice replay upstream's.
    """

    __slots__ = (
        "cs",
        "insecure_rand",
        "m_consistency_check_ratio",
        "m_last_good",
        "m_netgroupman",
        "m_network_counts",
        "m_tried_collisions",
        "mapAddr",
        "mapInfo",
        "nIdCount",
        "nKey",
        "nNew",
        "nTried",
        "vRandom",
        "vvNew",
        "vvTried",
    )

    # Serialization format versions (upstream's enum Format).
    V0_HISTORICAL: ClassVar[int] = 0  # historic format, before commit e6b343d88
    V1_DETERMINISTIC: ClassVar[int] = 1  # for pre-asmap files
    V2_ASMAP: ClassVar[int] = 2  # for files including asmap version
    V3_BIP155: ClassVar[int] = 3  # same as V2_ASMAP plus addresses are in BIP155 format
    V4_MULTIPORT: ClassVar[int] = 4  # adds support for multiple ports per IP

    #: The newest format this code reads, and the one it always writes.
    FILE_FORMAT: ClassVar[int] = V4_MULTIPORT
    #: Base of the "lowest compatible format" byte (it took the place of a key size of 32).
    INCOMPATIBILITY_BASE: ClassVar[int] = 32

    cs: threading.Lock
    insecure_rand: FastRandomContext
    nKey: uint256
    nIdCount: nid_type
    mapInfo: dict[nid_type, AddrInfo]
    mapAddr: dict[tuple[int, bytes, int], nid_type]
    vRandom: list[nid_type]
    nTried: int
    vvTried: list[list[nid_type]]
    nNew: int
    vvNew: list[list[nid_type]]
    m_last_good: int
    m_tried_collisions: set[nid_type]
    m_consistency_check_ratio: int
    m_netgroupman: NetGroupManager
    m_network_counts: dict[Network, NewTriedCount]

    def __init__(
        self,
        netgroupman: NetGroupManager,
        deterministic: bool = False,
        consistency_check_ratio: int = DEFAULT_ADDRMAN_CONSISTENCY_CHECKS,
    ) -> None:
        self.cs = threading.Lock()
        self.insecure_rand = FastRandomContext(deterministic)
        self.nKey = uint256.FromInt(1) if deterministic else self.insecure_rand.rand256()
        self.nIdCount = 0
        self.mapInfo = {}
        self.mapAddr = {}
        self.vRandom = []
        self.nTried = 0
        self.vvTried = [[-1] * ADDRMAN_BUCKET_SIZE for _ in range(ADDRMAN_TRIED_BUCKET_COUNT)]
        self.nNew = 0
        self.vvNew = [[-1] * ADDRMAN_BUCKET_SIZE for _ in range(ADDRMAN_NEW_BUCKET_COUNT)]
        # Initially 1 so that "never" is strictly worse.
        self.m_last_good = 1
        self.m_tried_collisions = set()
        self.m_consistency_check_ratio = consistency_check_ratio
        self.m_netgroupman = netgroupman
        self.m_network_counts = {}

    # -- serialization ------------------------------------------------------------------------

    def Serialize(self) -> bytes:
        """peers.dat's body, always in FILE_FORMAT:

        format byte, INCOMPATIBILITY_BASE + lowest compatible format, nKey, nNew, nTried,
        ADDRMAN_NEW_BUCKET_COUNT ^ (1 << 30), the new entries, the tried entries, then per new
        bucket its entry count and the indexes (into the new entries) it holds, and the asmap
        checksum. The xor makes the v0 reader, which checked no version, reject the file. vvNew,
        vvTried, mapInfo, mapAddr and vRandom are rebuilt on reading."""
        with self.cs:
            params = CAddress.V2_DISK
            out: list[bytes] = [ser_u8(self.FILE_FORMAT)]
            # Raise `lowest_compatible` only when a new format cannot be read by older code.
            lowest_compatible = self.V4_MULTIPORT
            out.append(ser_u8(self.INCOMPATIBILITY_BASE + lowest_compatible))
            out.append(self.nKey.serialize())
            out.append(ser_i32(self.nNew))
            out.append(ser_i32(self.nTried))
            nUBuckets = ADDRMAN_NEW_BUCKET_COUNT ^ (1 << 30)
            out.append(ser_i32(nUBuckets))
            mapUnkIds: dict[nid_type, int] = {}
            nIds = 0
            for nid, info in self.mapInfo.items():
                mapUnkIds[nid] = nIds
                if info.nRefCount:
                    assert nIds != self.nNew  # nNew was wrong
                    out.append(info.serialize(params))
                    nIds += 1
            nIds = 0
            for info in self.mapInfo.values():
                if info.fInTried:
                    assert nIds != self.nTried  # nTried was wrong
                    out.append(info.serialize(params))
                    nIds += 1
            for bucket in range(ADDRMAN_NEW_BUCKET_COUNT):
                ids = [i for i in self.vvNew[bucket] if i != -1]
                out.append(ser_i32(len(ids)))
                for nid in ids:
                    out.append(ser_i32(mapUnkIds[nid]))
            # The asmap checksum goes after the buckets so that older readers can ignore it.
            out.append(self.m_netgroupman.GetAsmapChecksum().serialize())
            return b"".join(out)

    def Unserialize(self, s: DataStream) -> None:
        """Read what :meth:`Serialize` writes (or an older format) into this empty AddrMan.

        Raises SerializationError on corrupt data and InvalidAddrManVersionError on a file from
        an incompatible newer version; the AddrMan is then unusable, as upstream's."""
        with self.cs:
            assert not self.vRandom
            fmt = s.read_u8()
            params = CAddress.V2_DISK if fmt >= self.V3_BIP155 else CAddress.V1_DISK

            compat = s.read_u8()
            if compat < self.INCOMPATIBILITY_BASE:
                raise SerializationError(
                    f"Corrupted addrman database: The compat value ({compat}) is lower than the "
                    f"expected minimum value {self.INCOMPATIBILITY_BASE}."
                )
            lowest_compatible = compat - self.INCOMPATIBILITY_BASE
            if lowest_compatible > self.FILE_FORMAT:
                raise InvalidAddrManVersionError(
                    f"Unsupported format of addrman database: {fmt}. It is compatible with "
                    f"formats >={lowest_compatible}, but the maximum supported by this version "
                    f"of {CLIENT_NAME} is {self.FILE_FORMAT}."
                )

            self.nKey = uint256.deserialize(s)
            self.nNew = s.read_i32()
            self.nTried = s.read_i32()
            nUBuckets = s.read_i32()
            if fmt >= self.V1_DETERMINISTIC:
                nUBuckets ^= 1 << 30

            max_new = ADDRMAN_NEW_BUCKET_COUNT * ADDRMAN_BUCKET_SIZE
            if self.nNew > max_new or self.nNew < 0:
                raise SerializationError(
                    f"Corrupt AddrMan serialization: nNew={self.nNew}, should be in [0, {max_new}]"
                )
            max_tried = ADDRMAN_TRIED_BUCKET_COUNT * ADDRMAN_BUCKET_SIZE
            if self.nTried > max_tried or self.nTried < 0:
                raise SerializationError(
                    f"Corrupt AddrMan serialization: nTried={self.nTried}, should be in "
                    f"[0, {max_tried}]"
                )

            # The new table's entries.
            for n in range(self.nNew):
                info = AddrInfo.deserialize(s, params)
                self.mapInfo[n] = info
                self.mapAddr[_service_key(info)] = n
                info.nRandomPos = len(self.vRandom)
                self.vRandom.append(n)
                self._counts(info.GetNetwork()).n_new += 1
            self.nIdCount = self.nNew

            # The tried table's entries.
            nLost = 0
            for _ in range(self.nTried):
                info = AddrInfo.deserialize(s, params)
                nKBucket = info.GetTriedBucket(self.nKey, self.m_netgroupman)
                nKBucketPos = info.GetBucketPosition(self.nKey, False, nKBucket)
                if info.IsValid() and self.vvTried[nKBucket][nKBucketPos] == -1:
                    info.nRandomPos = len(self.vRandom)
                    info.fInTried = True
                    self.vRandom.append(self.nIdCount)
                    self.mapInfo[self.nIdCount] = info
                    self.mapAddr[_service_key(info)] = self.nIdCount
                    self.vvTried[nKBucket][nKBucketPos] = self.nIdCount
                    self.nIdCount += 1
                    self._counts(info.GetNetwork()).n_tried += 1
                else:
                    nLost += 1
            self.nTried -= nLost

            # The new buckets' contents, applied below. An entry may be in up to
            # ADDRMAN_NEW_BUCKETS_PER_ADDRESS buckets, so keep every (bucket, index) pair.
            bucket_entries: list[tuple[int, int]] = []
            for bucket in range(nUBuckets):
                num_entries = s.read_i32()
                for _ in range(num_entries):
                    entry_index = s.read_i32()
                    if 0 <= entry_index < self.nNew:
                        bucket_entries.append((bucket, entry_index))

            # With the same bucket count and asmap, entries go back where they were.
            supplied_asmap_checksum = self.m_netgroupman.GetAsmapChecksum()
            serialized_asmap_checksum = uint256()
            if fmt >= self.V2_ASMAP:
                serialized_asmap_checksum = uint256.deserialize(s)
            restore_bucketing = (
                nUBuckets == ADDRMAN_NEW_BUCKET_COUNT
                and serialized_asmap_checksum == supplied_asmap_checksum
            )

            if not restore_bucketing:
                LogDebug(
                    BCLog.ADDRMAN,
                    "Bucketing method was updated, re-bucketing addrman entries from disk\n",
                )

            for bucket, entry_index in bucket_entries:
                info = self.mapInfo[entry_index]
                # An address our addrman would not hold stays out of the buckets.
                if not info.IsValid():
                    continue
                # Already in as many buckets as allowed: skip this one.
                if info.nRefCount >= ADDRMAN_NEW_BUCKETS_PER_ADDRESS:
                    continue
                bucket_position = info.GetBucketPosition(self.nKey, True, bucket)
                if restore_bucketing and self.vvNew[bucket][bucket_position] == -1:
                    # Bucketing has not changed: the entry goes back where it was.
                    self.vvNew[bucket][bucket_position] = entry_index
                    info.nRefCount += 1
                else:
                    # Otherwise it gets one reference from its primary source.
                    bucket = info.GetNewBucket(self.nKey, self.m_netgroupman)
                    bucket_position = info.GetBucketPosition(self.nKey, True, bucket)
                    if self.vvNew[bucket][bucket_position] == -1:
                        self.vvNew[bucket][bucket_position] = entry_index
                        info.nRefCount += 1

            # Drop new entries left without a reference (collisions, invalid addresses).
            nLostUnk = 0
            for nid, info in list(self.mapInfo.items()):
                if not info.fInTried and info.nRefCount == 0:
                    self.Delete(nid)
                    nLostUnk += 1
            if nLost + nLostUnk > 0:
                LogDebug(
                    BCLog.ADDRMAN,
                    "addrman lost %i new and %i tried addresses due to collisions or invalid "
                    "addresses\n",
                    nLostUnk,
                    nLost,
                )

            check_code = self.CheckAddrman()
            if check_code != 0:
                raise SerializationError(
                    f"Corrupt data. Consistency check failed with code {check_code}"
                )

    # -- internals (upstream's private members; cs held) -----------------------------------

    def _counts(self, net: Network) -> NewTriedCount:
        """``m_network_counts[net]``, created on first use as std::unordered_map::operator[]."""
        counts = self.m_network_counts.get(net)
        if counts is None:
            counts = self.m_network_counts[net] = NewTriedCount()
        return counts

    def Find(self, addr: CService) -> tuple[AddrInfo | None, nid_type]:
        """The entry for ``addr`` and its id, or (None, -1). Upstream returns the id through an
        out-parameter."""
        nid = self.mapAddr.get(_service_key(addr))
        if nid is None:
            return None, -1
        return self.mapInfo.get(nid), nid

    def Create(self, addr: CAddress, addrSource: CNetAddr) -> tuple[AddrInfo, nid_type]:
        """A new entry in mapInfo, mapAddr and vRandom, counted in nNew."""
        nId = self.nIdCount
        self.nIdCount += 1
        info = AddrInfo(addr, addrSource)
        self.mapInfo[nId] = info
        self.mapAddr[_service_key(addr)] = nId
        info.nRandomPos = len(self.vRandom)
        self.vRandom.append(nId)
        self.nNew += 1
        self._counts(addr.GetNetwork()).n_new += 1
        return info, nId

    def SwapRandom(self, nRndPos1: int, nRndPos2: int) -> None:
        """Swap two elements of vRandom."""
        if nRndPos1 == nRndPos2:
            return
        assert nRndPos1 < len(self.vRandom) and nRndPos2 < len(self.vRandom)
        nId1 = self.vRandom[nRndPos1]
        nId2 = self.vRandom[nRndPos2]
        info1 = self.mapInfo[nId1]
        info2 = self.mapInfo[nId2]
        info1.nRandomPos = nRndPos2
        info2.nRandomPos = nRndPos1
        self.vRandom[nRndPos1] = nId2
        self.vRandom[nRndPos2] = nId1

    def Delete(self, nId: nid_type) -> None:
        """Delete an entry; it must not be in tried and must have no references left."""
        assert nId in self.mapInfo
        info = self.mapInfo[nId]
        assert not info.fInTried
        assert info.nRefCount == 0
        self.SwapRandom(info.nRandomPos, len(self.vRandom) - 1)
        self._counts(info.GetNetwork()).n_new -= 1
        self.vRandom.pop()
        # std::unordered_map::erase: a key already gone (duplicates in a corrupt file) is no error.
        self.mapAddr.pop(_service_key(info), None)
        del self.mapInfo[nId]
        self.nNew -= 1

    def ClearNew(self, nUBucket: int, nUBucketPos: int) -> None:
        """Empty a position of the new table: the only place entries are really deleted."""
        nIdDelete = self.vvNew[nUBucket][nUBucketPos]
        if nIdDelete != -1:
            infoDelete = self.mapInfo[nIdDelete]
            assert infoDelete.nRefCount > 0
            infoDelete.nRefCount -= 1
            self.vvNew[nUBucket][nUBucketPos] = -1
            LogDebug(
                BCLog.ADDRMAN,
                "Removed %s from new[%i][%i]\n",
                infoDelete.ToStringAddrPort(),
                nUBucket,
                nUBucketPos,
            )
            if infoDelete.nRefCount == 0:
                self.Delete(nIdDelete)

    def MakeTried(self, info: AddrInfo, nId: nid_type) -> None:
        """Move an entry from the new table(s) to the tried table."""
        # Take it out of every new bucket.
        start_bucket = info.GetNewBucket(self.nKey, self.m_netgroupman)
        for n in range(ADDRMAN_NEW_BUCKET_COUNT):
            bucket = (start_bucket + n) % ADDRMAN_NEW_BUCKET_COUNT
            pos = info.GetBucketPosition(self.nKey, True, bucket)
            if self.vvNew[bucket][pos] == nId:
                self.vvNew[bucket][pos] = -1
                info.nRefCount -= 1
                if info.nRefCount == 0:
                    break
        self.nNew -= 1
        self._counts(info.GetNetwork()).n_new -= 1

        assert info.nRefCount == 0

        nKBucket = info.GetTriedBucket(self.nKey, self.m_netgroupman)
        nKBucketPos = info.GetBucketPosition(self.nKey, False, nKBucket)

        # Make room first: the entry there goes back to new, replacing whatever is there.
        if self.vvTried[nKBucket][nKBucketPos] != -1:
            nIdEvict = self.vvTried[nKBucket][nKBucketPos]
            assert nIdEvict in self.mapInfo
            infoOld = self.mapInfo[nIdEvict]

            infoOld.fInTried = False
            self.vvTried[nKBucket][nKBucketPos] = -1
            self.nTried -= 1
            self._counts(infoOld.GetNetwork()).n_tried -= 1

            nUBucket = infoOld.GetNewBucket(self.nKey, self.m_netgroupman)
            nUBucketPos = infoOld.GetBucketPosition(self.nKey, True, nUBucket)
            self.ClearNew(nUBucket, nUBucketPos)
            assert self.vvNew[nUBucket][nUBucketPos] == -1

            infoOld.nRefCount = 1
            self.vvNew[nUBucket][nUBucketPos] = nIdEvict
            self.nNew += 1
            self._counts(infoOld.GetNetwork()).n_new += 1
            LogDebug(
                BCLog.ADDRMAN,
                "Moved %s from tried[%i][%i] to new[%i][%i] to make space\n",
                infoOld.ToStringAddrPort(),
                nKBucket,
                nKBucketPos,
                nUBucket,
                nUBucketPos,
            )
        assert self.vvTried[nKBucket][nKBucketPos] == -1

        self.vvTried[nKBucket][nKBucketPos] = nId
        self.nTried += 1
        info.fInTried = True
        self._counts(info.GetNetwork()).n_tried += 1

    def _mapped_as_suffix(self, addr: CNetAddr) -> str:
        mapped_as = self.m_netgroupman.GetMappedAS(addr)
        return f" mapped to AS{mapped_as}" if mapped_as else ""

    def AddSingle(self, addr: CAddress, source: CNetAddr, time_penalty: int) -> bool:
        """Try to add one address to the new table (see :meth:`Add`)."""
        if not addr.IsRoutable():
            return False

        pinfo, nId = self.Find(addr)

        # A source announcing itself gets no penalty.
        if _same_netaddr(addr, source):
            time_penalty = 0

        if pinfo is not None:
            # Update nTime now and then.
            currently_online = GetTime() - addr.nTime < 24 * 60 * 60
            update_interval = 60 * 60 if currently_online else 24 * 60 * 60
            if pinfo.nTime < addr.nTime - update_interval - time_penalty:
                pinfo.nTime = max(0, addr.nTime - time_penalty)

            # Add services.
            pinfo.nServices = ServiceFlags(pinfo.nServices | addr.nServices)

            # Nothing new to learn.
            if addr.nTime <= pinfo.nTime:
                return False
            # Already in tried.
            if pinfo.fInTried:
                return False
            # Already in as many buckets as allowed.
            if pinfo.nRefCount == ADDRMAN_NEW_BUCKETS_PER_ADDRESS:
                return False
            # Stochastic test: with nRefCount == N, 2^N times harder to add one more.
            if pinfo.nRefCount > 0:
                nFactor = 1 << pinfo.nRefCount
                if self.insecure_rand.randrange(nFactor) != 0:
                    return False
        else:
            pinfo, nId = self.Create(addr, source)
            pinfo.nTime = max(0, pinfo.nTime - time_penalty)

        nUBucket = pinfo.GetNewBucket(self.nKey, source, self.m_netgroupman)
        nUBucketPos = pinfo.GetBucketPosition(self.nKey, True, nUBucket)
        fInsert = self.vvNew[nUBucket][nUBucketPos] == -1
        if self.vvNew[nUBucket][nUBucketPos] != nId:
            if not fInsert:
                infoExisting = self.mapInfo[self.vvNew[nUBucket][nUBucketPos]]
                if infoExisting.IsTerrible() or (
                    infoExisting.nRefCount > 1 and pinfo.nRefCount == 0
                ):
                    # Overwrite the existing entry.
                    fInsert = True
            if fInsert:
                self.ClearNew(nUBucket, nUBucketPos)
                pinfo.nRefCount += 1
                self.vvNew[nUBucket][nUBucketPos] = nId
                LogDebug(
                    BCLog.ADDRMAN,
                    "Added %s%s to new[%i][%i]\n",
                    addr.ToStringAddrPort(),
                    self._mapped_as_suffix(addr),
                    nUBucket,
                    nUBucketPos,
                )
            elif pinfo.nRefCount == 0:
                self.Delete(nId)
        return fInsert

    def Good_(self, addr: CService, test_before_evict: bool, time: int) -> bool:
        self.m_last_good = time

        info, nId = self.Find(addr)
        if info is None:
            return False

        info.m_last_success = time
        info.m_last_try = time
        info.nAttempts = 0
        # nTime is left alone, so as not to leak which peers we are connected to.

        # Already in tried: nothing else to do.
        if info.fInTried:
            return False

        # Not in new either: something went wrong (upstream's Assume).
        if not info.nRefCount > 0:
            return False

        tried_bucket = info.GetTriedBucket(self.nKey, self.m_netgroupman)
        tried_bucket_pos = info.GetBucketPosition(self.nKey, False, tried_bucket)

        # Would moving it to tried evict another entry?
        if test_before_evict and self.vvTried[tried_bucket][tried_bucket_pos] != -1:
            if len(self.m_tried_collisions) < ADDRMAN_SET_TRIED_COLLISION_SIZE:
                self.m_tried_collisions.add(nId)
            colliding_entry = self.mapInfo.get(self.vvTried[tried_bucket][tried_bucket_pos])
            LogDebug(
                BCLog.ADDRMAN,
                "Collision with %s while attempting to move %s to tried table. Collisions=%d\n",
                colliding_entry.ToStringAddrPort() if colliding_entry is not None else "",
                addr.ToStringAddrPort(),
                len(self.m_tried_collisions),
            )
            return False
        self.MakeTried(info, nId)
        LogDebug(
            BCLog.ADDRMAN,
            "Moved %s%s to tried[%i][%i]\n",
            addr.ToStringAddrPort(),
            self._mapped_as_suffix(addr),
            tried_bucket,
            tried_bucket_pos,
        )
        return True

    def Add_(self, vAddr: list[CAddress], source: CNetAddr, time_penalty: int) -> bool:
        added = 0
        for addr in vAddr:
            added += 1 if self.AddSingle(addr, source, time_penalty) else 0
        if added > 0:
            LogDebug(
                BCLog.ADDRMAN,
                "Added %i addresses (of %i) from %s: %i tried, %i new\n",
                added,
                len(vAddr),
                source.ToStringAddr(),
                self.nTried,
                self.nNew,
            )
        return added > 0

    def Attempt_(self, addr: CService, fCountFailure: bool, time: int) -> None:
        info, _ = self.Find(addr)
        if info is None:
            return
        info.m_last_try = time
        if fCountFailure and info.m_last_count_attempt < self.m_last_good:
            info.m_last_count_attempt = time
            info.nAttempts += 1

    def Select_(self, new_only: bool, networks: frozenset[Network]) -> tuple[CAddress, int]:
        if not self.vRandom:
            return CAddress(), 0

        new_count = self.nNew
        tried_count = self.nTried

        if networks:
            new_count = 0
            tried_count = 0
            for network in networks:
                counts = self.m_network_counts.get(network)
                if counts is None:
                    continue
                new_count += counts.n_new
                tried_count += counts.n_tried

        if new_only and new_count == 0:
            return CAddress(), 0
        if new_count + tried_count == 0:
            return CAddress(), 0

        # Search new or tried; when both are possible, each with a 50% chance.
        if new_only or tried_count == 0:
            search_tried = False
        elif new_count == 0:
            search_tried = True
        else:
            search_tried = self.insecure_rand.randbool()

        table = self.vvTried if search_tried else self.vvNew
        bucket_count = ADDRMAN_TRIED_BUCKET_COUNT if search_tried else ADDRMAN_NEW_BUCKET_COUNT

        chance_factor = 1.0
        while True:
            # A bucket, and a starting position in it.
            bucket = self.insecure_rand.randrange(bucket_count)
            initial_position = self.insecure_rand.randrange(ADDRMAN_BUCKET_SIZE)

            # Walk the bucket from there, wrapping around, to the first suitable entry.
            row = table[bucket]
            node_id = -1
            for i in range(ADDRMAN_BUCKET_SIZE):
                candidate = row[(initial_position + i) % ADDRMAN_BUCKET_SIZE]
                if candidate != -1 and (
                    not networks or self.mapInfo[candidate].GetNetwork() in networks
                ):
                    node_id = candidate
                    break
            # Nothing in this bucket: start over with another.
            if node_id == -1:
                continue

            info = self.mapInfo[node_id]
            # Take it with probability GetChance() * chance_factor.
            if self.insecure_rand.randbits(30) < chance_factor * info.GetChance() * (1 << 30):
                LogDebug(
                    BCLog.ADDRMAN,
                    "Selected %s from %s\n",
                    info.ToStringAddrPort(),
                    "tried" if search_tried else "new",
                )
                return info.to_caddress(), info.m_last_try

            # Otherwise start over, a little more lenient.
            chance_factor *= 1.2

    def GetEntry(self, use_tried: bool, bucket: int, position: int) -> nid_type:
        """The id at a table position, or -1 when empty or out of range."""
        if use_tried:
            if 0 <= position < ADDRMAN_BUCKET_SIZE and 0 <= bucket < ADDRMAN_TRIED_BUCKET_COUNT:
                return self.vvTried[bucket][position]
        elif 0 <= position < ADDRMAN_BUCKET_SIZE and 0 <= bucket < ADDRMAN_NEW_BUCKET_COUNT:
            return self.vvNew[bucket][position]
        return -1

    def GetAddr_(
        self, max_addresses: int, max_pct: int, network: Network | None, filtered: bool = True
    ) -> list[CAddress]:
        nNodes = len(self.vRandom)
        if max_pct != 0:
            max_pct = min(max_pct, 100)
            nNodes = max_pct * nNodes // 100
        if max_addresses != 0:
            nNodes = min(nNodes, max_addresses)

        # A random sample, skipping low-quality entries.
        now = GetTime()
        addresses: list[CAddress] = []
        for n in range(len(self.vRandom)):
            if len(addresses) >= nNodes:
                break
            nRndPos = self.insecure_rand.randrange(len(self.vRandom) - n) + n
            self.SwapRandom(n, nRndPos)
            ai = self.mapInfo[self.vRandom[n]]

            # Optional network filter.
            if network is not None and ai.GetNetClass() != network:
                continue
            # Quality filter.
            if ai.IsTerrible(now) and filtered:
                continue
            addresses.append(ai.to_caddress())
        LogDebug(BCLog.ADDRMAN, "GetAddr returned %d random addresses\n", len(addresses))
        return addresses

    def GetEntries_(self, from_tried: bool) -> list[tuple[AddrInfo, AddressPosition]]:
        bucket_count = ADDRMAN_TRIED_BUCKET_COUNT if from_tried else ADDRMAN_NEW_BUCKET_COUNT
        infos: list[tuple[AddrInfo, AddressPosition]] = []
        for bucket in range(bucket_count):
            for position in range(ADDRMAN_BUCKET_SIZE):
                nid = self.GetEntry(from_tried, bucket, position)
                if nid >= 0:
                    info = self.mapInfo[nid].copy()
                    location = AddressPosition(
                        from_tried, 1 if from_tried else info.nRefCount, bucket, position
                    )
                    infos.append((info, location))
        return infos

    def Connected_(self, addr: CService, time: int) -> None:
        info, _ = self.Find(addr)
        if info is None:
            return
        update_interval = 20 * 60
        if time - info.nTime > update_interval:
            info.nTime = time

    def SetServices_(self, addr: CService, nServices: ServiceFlags) -> None:
        info, _ = self.Find(addr)
        if info is None:
            return
        info.nServices = ServiceFlags(nServices)

    def ResolveCollisions_(self) -> None:
        # std::set iterates in ascending order.
        for id_new in sorted(self.m_tried_collisions):
            erase_collision = False

            info_new = self.mapInfo.get(id_new)
            if info_new is None:
                # No longer in mapInfo.
                erase_collision = True
            else:
                tried_bucket = info_new.GetTriedBucket(self.nKey, self.m_netgroupman)
                tried_bucket_pos = info_new.GetBucketPosition(self.nKey, False, tried_bucket)
                if not info_new.IsValid():
                    # id_new may no longer be a valid address.
                    erase_collision = True
                elif self.vvTried[tried_bucket][tried_bucket_pos] != -1:
                    # The entry being tested for eviction.
                    id_old = self.vvTried[tried_bucket][tried_bucket_pos]
                    info_old = self.mapInfo[id_old]

                    current_time = GetTime()

                    if current_time - info_old.m_last_success < ADDRMAN_REPLACEMENT:
                        # Connected recently: keep it.
                        erase_collision = True
                    elif current_time - info_old.m_last_try < ADDRMAN_REPLACEMENT:
                        # Tried and failed recently; give it at least 60 seconds to connect.
                        if current_time - info_old.m_last_try > 60:
                            LogDebug(
                                BCLog.ADDRMAN,
                                "Replacing %s with %s in tried table\n",
                                info_old.ToStringAddrPort(),
                                info_new.ToStringAddrPort(),
                            )
                            self.Good_(info_new, False, current_time)
                            erase_collision = True
                    elif current_time - info_new.m_last_success > ADDRMAN_TEST_WINDOW:
                        # Unresolved for too long: we must not be able to reach the old entry.
                        LogDebug(
                            BCLog.ADDRMAN,
                            "Unable to test; replacing %s with %s in tried table anyway\n",
                            info_old.ToStringAddrPort(),
                            info_new.ToStringAddrPort(),
                        )
                        self.Good_(info_new, False, current_time)
                        erase_collision = True
                else:
                    # The position is free now: no collision any more.
                    self.Good_(info_new, False, GetTime())
                    erase_collision = True

            if erase_collision:
                self.m_tried_collisions.discard(id_new)

    def SelectTriedCollision_(self) -> tuple[CAddress, int]:
        if not self.m_tried_collisions:
            return CAddress(), 0

        ordered = sorted(self.m_tried_collisions)
        id_new = ordered[self.insecure_rand.randrange(len(ordered))]

        newInfo = self.mapInfo.get(id_new)
        if newInfo is None:
            self.m_tried_collisions.discard(id_new)
            return CAddress(), 0

        tried_bucket = newInfo.GetTriedBucket(self.nKey, self.m_netgroupman)
        tried_bucket_pos = newInfo.GetBucketPosition(self.nKey, False, tried_bucket)

        info_old = self.mapInfo.get(self.vvTried[tried_bucket][tried_bucket_pos])
        if info_old is None:
            # Upstream's mapInfo[] would default-construct an entry here; it cannot happen,
            # since a tried position, once filled, is only ever refilled.
            return CAddress(), 0
        return info_old.to_caddress(), info_old.m_last_try

    def FindAddressEntry_(self, addr: CAddress) -> AddressPosition | None:
        addr_info, _ = self.Find(addr)
        if addr_info is None:
            return None
        if addr_info.fInTried:
            bucket = addr_info.GetTriedBucket(self.nKey, self.m_netgroupman)
            return AddressPosition(
                True, 1, bucket, addr_info.GetBucketPosition(self.nKey, False, bucket)
            )
        bucket = addr_info.GetNewBucket(self.nKey, self.m_netgroupman)
        return AddressPosition(
            False,
            addr_info.nRefCount,
            bucket,
            addr_info.GetBucketPosition(self.nKey, True, bucket),
        )

    def Size_(self, net: Network | None, in_new: bool | None) -> int:
        if net is None:
            if in_new is not None:
                return self.nNew if in_new else self.nTried
            return len(self.vRandom)
        counts = self.m_network_counts.get(net)
        if counts is not None:
            if in_new is not None:
                return counts.n_new if in_new else counts.n_tried
            return counts.n_new + counts.n_tried
        return 0

    def Check(self) -> None:
        """Run :meth:`CheckAddrman` once in m_consistency_check_ratio calls, if enabled; a
        failure is fatal (upstream asserts)."""
        if self.m_consistency_check_ratio == 0:
            return
        if self.insecure_rand.randrange(self.m_consistency_check_ratio) >= 1:
            return
        err = self.CheckAddrman()
        if err:
            LogPrintf("ADDRMAN CONSISTENCY CHECK FAILED!!! err=%i\n", err)
            raise AssertionError(f"ADDRMAN CONSISTENCY CHECK FAILED!!! err={err}")

    def CheckAddrman(self) -> int:
        """Check every invariant, whatever m_consistency_check_ratio: 0, or an error code."""
        # LOG_TIME_MILLIS_WITH_CATEGORY_MSG_ONCE: a "started" line, then "completed" with the time.
        LogDebug(
            BCLog.ADDRMAN,
            "%s: %s started\n",
            "CheckAddrman",
            f"new {self.nNew}, tried {self.nTried}, total {len(self.vRandom)}",
        )
        start = _time.monotonic()
        try:
            return self._check_addrman()
        finally:
            LogDebug(
                BCLog.ADDRMAN,
                "%s: %s (%.2fms)\n",
                "CheckAddrman",
                "completed",
                (_time.monotonic() - start) * 1000.0,
            )

    def _check_addrman(self) -> int:
        setTried: set[nid_type] = set()
        mapNew: dict[nid_type, int] = {}
        local_counts: dict[Network, NewTriedCount] = {}

        if len(self.vRandom) != self.nTried + self.nNew:
            return -7

        for n, info in self.mapInfo.items():
            counts = local_counts.setdefault(info.GetNetwork(), NewTriedCount())
            if info.fInTried:
                if not info.m_last_success:
                    return -1
                if info.nRefCount:
                    return -2
                setTried.add(n)
                counts.n_tried += 1
            else:
                if info.nRefCount < 0 or info.nRefCount > ADDRMAN_NEW_BUCKETS_PER_ADDRESS:
                    return -3
                if not info.nRefCount:
                    return -4
                mapNew[n] = info.nRefCount
                counts.n_new += 1
            if self.mapAddr.get(_service_key(info)) != n:
                return -5
            if (
                info.nRandomPos < 0
                or info.nRandomPos >= len(self.vRandom)
                or self.vRandom[info.nRandomPos] != n
            ):
                return -14
            if info.m_last_try < 0:
                return -6
            if info.m_last_success < 0:
                return -8

        if len(setTried) != self.nTried:
            return -9
        if len(mapNew) != self.nNew:
            return -10

        for n in range(ADDRMAN_TRIED_BUCKET_COUNT):
            for i, nid in enumerate(self.vvTried[n]):
                if nid == -1:
                    continue
                if nid not in setTried:
                    return -11
                entry = self.mapInfo.get(nid)
                if entry is None or entry.GetTriedBucket(self.nKey, self.m_netgroupman) != n:
                    return -17
                if entry.GetBucketPosition(self.nKey, False, n) != i:
                    return -18
                setTried.discard(nid)

        for n in range(ADDRMAN_NEW_BUCKET_COUNT):
            for i, nid in enumerate(self.vvNew[n]):
                if nid == -1:
                    continue
                if nid not in mapNew:
                    return -12
                entry = self.mapInfo.get(nid)
                if entry is None or entry.GetBucketPosition(self.nKey, True, n) != i:
                    return -19
                mapNew[nid] -= 1
                if mapNew[nid] == 0:
                    del mapNew[nid]

        if setTried:
            return -13
        if mapNew:
            return -15
        if self.nKey.IsNull():
            return -16

        # m_network_counts may keep all-zero entries for networks whose addresses came and went.
        if len(self.m_network_counts) < len(local_counts):
            return -20
        for net, count in self.m_network_counts.items():
            local = local_counts.get(net, NewTriedCount())
            if local.n_new != count.n_new or local.n_tried != count.n_tried:
                return -21

        return 0

    # -- public interface ---------------------------------------------------------------------

    def Size(self, net: Network | None = None, in_new: bool | None = None) -> int:
        """How many unique addresses, optionally of one network (None: all) and one table
        (True: new, False: tried, None: both)."""
        with self.cs:
            self.Check()
            ret = self.Size_(net, in_new)
            self.Check()
            return ret

    def Add(self, vAddr: list[CAddress], source: CNetAddr, time_penalty: int = 0) -> bool:
        """Add addresses to the new table, or update what we know of them.

        ``time_penalty`` (seconds) is taken off each record's nTime. Returns whether at least one
        address was added, or added to one more bucket; updates alone do not count."""
        with self.cs:
            self.Check()
            ret = self.Add_(vAddr, source, time_penalty)
            self.Check()
            return ret

    def Good(self, addr: CService, time: int | None = None) -> bool:
        """Mark an address reachable and try to move it to tried; True if it moved."""
        if time is None:
            time = GetTime()
        with self.cs:
            self.Check()
            ret = self.Good_(addr, True, time)
            self.Check()
            return ret

    def Attempt(self, addr: CService, fCountFailure: bool, time: int | None = None) -> None:
        """Record a connection attempt."""
        if time is None:
            time = GetTime()
        with self.cs:
            self.Check()
            self.Attempt_(addr, fCountFailure, time)
            self.Check()

    def ResolveCollisions(self) -> None:
        """Settle the tried-table collisions whose old entry has been tested."""
        with self.cs:
            self.Check()
            self.ResolveCollisions_()
            self.Check()

    def SelectTriedCollision(self) -> tuple[CAddress, int]:
        """A random tried entry another address wants to evict, and its last try (seconds);
        ``(CAddress(), 0)`` when there is none."""
        with self.cs:
            self.Check()
            ret = self.SelectTriedCollision_()
            self.Check()
            return ret

    def Select(
        self, new_only: bool = False, networks: set[Network] | frozenset[Network] = frozenset()
    ) -> tuple[CAddress, int]:
        """An address to connect to and its last try (seconds), or ``(CAddress(), 0)``.

        ``new_only`` picks from the new table only; ``networks`` (empty: all) restricts the
        networks, which may slow the search."""
        with self.cs:
            self.Check()
            addrRet = self.Select_(new_only, frozenset(networks))
            self.Check()
            return addrRet

    def GetAddr(
        self, max_addresses: int, max_pct: int, network: Network | None, filtered: bool = True
    ) -> list[CAddress]:
        """Up to ``max_addresses`` (0: no limit) and ``max_pct`` percent (0: no limit) randomly
        chosen addresses, optionally of one network, skipping terrible ones when ``filtered``."""
        with self.cs:
            self.Check()
            addresses = self.GetAddr_(max_addresses, max_pct, network, filtered)
            self.Check()
            return addresses

    def GetEntries(self, from_tried: bool) -> list[tuple[AddrInfo, AddressPosition]]:
        """Every entry of one table with where it sits; a new entry once per bucket it is in."""
        with self.cs:
            self.Check()
            addrInfos = self.GetEntries_(from_tried)
            self.Check()
            return addrInfos

    def Connected(self, addr: CService, time: int | None = None) -> None:
        """We were connected to this peer until ``time``: refresh its nTime (at most every 20
        minutes). net_processing calls it at disconnection, so as not to leak current peers."""
        if time is None:
            time = GetTime()
        with self.cs:
            self.Check()
            self.Connected_(addr, time)
            self.Check()

    def SetServices(self, addr: CService, nServices: ServiceFlags) -> None:
        """Overwrite an entry's service bits."""
        with self.cs:
            self.Check()
            self.SetServices_(addr, nServices)
            self.Check()

    def FindAddressEntry(self, addr: CAddress) -> AddressPosition | None:
        """Where an address sits, or None if unknown (tests only)."""
        with self.cs:
            self.Check()
            entry = self.FindAddressEntry_(addr)
            self.Check()
            return entry
