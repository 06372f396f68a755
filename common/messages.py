"""One class per P2P message payload, in the shape of Bitcoin Core's functional test framework
(test/functional/test_framework/messages.py): ``msgtype``, ``serialize()``, ``deserialize()``, a
``__repr__`` that shows the fields, and equality by fields.

``deserialize`` reads a message the way net_processing's ``ProcessMessage`` reads it from its
``DataStream``, and raises :class:`~common.serialize.SerializationError` for anything malformed.

Two upstream behaviours hold for every message:

* Trailing bytes after a complete payload are ignored: upstream never checks that a payload was
  consumed to the end. Messages without fields (verack, getaddr, ...) accept any payload.
* Size limits that net_processing enforces after reading (MAX_INV_SZ for inv/getdata,
  MAX_ADDR_TO_SEND for addr/addrv2, the headers count, MAX_LOCATOR_SZ, bloom filter sizes) are
  not checked here: ProcessMessage misbehaves or disconnects, which is not a decoding error.

The BIP37 and BIP152 wire structures (CPartialMerkleTree, CMerkleBlock, PrefilledTransaction,
CBlockHeaderAndShortTxIDs, BlockTransactionsRequest, BlockTransactions) are defined here with
their serialization only; upstream's are in merkleblock.h and blockencodings.h.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar, Final, Self

from .primitives.block import CBlock, CBlockHeader, CBlockLocator
from .primitives.transaction import CTransaction, ser_tx_vector
from .protocol import NODE_NONE, CAddress, CInv, NetMsgType, ServiceFlags
from .serialize import (
    DataStream,
    SerializationError,
    ser_bool,
    ser_bytes,
    ser_compact_size,
    ser_i32,
    ser_i64,
    ser_string,
    ser_u8,
    ser_u32,
    ser_u64,
    ser_vector,
)
from .uint256 import ZERO, uint256

#: net.h's MAX_SUBVERSION_LENGTH: the longest user agent a version message may carry (bytes).
MAX_SUBVERSION_LENGTH: Final = 256
#: BIP157 filter type of the basic filter (blockfilter.h's BlockFilterType::BASIC).
FILTER_TYPE_BASIC: Final = 0


def _read_uint256(s: DataStream) -> uint256:
    return uint256(s.read(32))


def _ser_uint256(h: uint256) -> bytes:
    return h.data


# -- BIP37 (merkleblock.h) ---------------------------------------------------------------------


@dataclass(slots=True)
class CPartialMerkleTree:
    """The wire form of a partial merkle tree: ``vBits`` comes back padded to whole bytes, as
    upstream's BytesToBits returns it."""

    nTransactions: int = 0
    vHash: list[uint256] = field(default_factory=list)
    vBits: list[bool] = field(default_factory=list)

    def serialize(self) -> bytes:
        packed = bytearray((len(self.vBits) + 7) // 8)
        for i, bit in enumerate(self.vBits):
            packed[i // 8] |= bit << (i % 8)
        return (
            ser_u32(self.nTransactions)
            + ser_vector(self.vHash, _ser_uint256)
            + ser_bytes(bytes(packed))
        )

    @classmethod
    def deserialize(cls, s: DataStream) -> CPartialMerkleTree:
        nTransactions = s.read_u32()
        vHash = s.read_vector(_read_uint256)
        packed = s.read_bytes()
        vBits = [bool(packed[i // 8] & (1 << (i % 8))) for i in range(len(packed) * 8)]
        return cls(nTransactions, vHash, vBits)


@dataclass(slots=True)
class CMerkleBlock:
    header: CBlockHeader = field(default_factory=CBlockHeader)
    txn: CPartialMerkleTree = field(default_factory=CPartialMerkleTree)

    def serialize(self) -> bytes:
        return self.header.serialize_header() + self.txn.serialize()

    @classmethod
    def deserialize(cls, s: DataStream) -> CMerkleBlock:
        return cls(CBlockHeader.deserialize(s), CPartialMerkleTree.deserialize(s))


# -- BIP152 (blockencodings.h) -----------------------------------------------------------------

#: The largest index a uint16_t holds; BIP152 indexes and transaction counts must fit in it.
_UINT16_MAX: Final = 0xFFFF


@dataclass(slots=True)
class PrefilledTransaction:
    """A transaction sent in full inside a cmpctblock. ``index`` is as on the wire: the offset
    from the previous prefilled transaction (differential), not the position in the block."""

    index: int = 0
    tx: CTransaction = field(default_factory=CTransaction)

    def serialize(self) -> bytes:
        return ser_compact_size(self.index) + self.tx.serialize(with_witness=True)

    @classmethod
    def deserialize(cls, s: DataStream) -> PrefilledTransaction:
        index = s.ReadCompactSize()
        if index > _UINT16_MAX:
            raise SerializationError("CompactSize exceeds limit of type")
        return cls(index, CTransaction.deserialize(s))


@dataclass(slots=True)
class CBlockHeaderAndShortTxIDs:
    """A compact block: header, the nonce keying the short ids, 6-byte short ids and the
    prefilled transactions. Building one from a block (short id computation) is not here."""

    SHORTTXIDS_LENGTH: ClassVar[int] = 6

    header: CBlockHeader = field(default_factory=CBlockHeader)
    nonce: int = 0
    shorttxids: list[int] = field(default_factory=list)
    prefilledtxn: list[PrefilledTransaction] = field(default_factory=list)

    def BlockTxCount(self) -> int:
        return len(self.shorttxids) + len(self.prefilledtxn)

    def serialize(self) -> bytes:
        for shortid in self.shorttxids:
            if not 0 <= shortid < 1 << (8 * self.SHORTTXIDS_LENGTH):
                raise SerializationError("CustomUintFormatter value out of range")
        return (
            self.header.serialize_header()
            + ser_u64(self.nonce)
            + ser_vector(self.shorttxids, lambda i: i.to_bytes(self.SHORTTXIDS_LENGTH, "little"))
            + ser_vector(self.prefilledtxn, PrefilledTransaction.serialize)
        )

    @classmethod
    def deserialize(cls, s: DataStream) -> CBlockHeaderAndShortTxIDs:
        header = CBlockHeader.deserialize(s)
        nonce = s.read_u64()
        shorttxids = s.read_vector(
            lambda s: int.from_bytes(s.read(cls.SHORTTXIDS_LENGTH), "little")
        )
        prefilledtxn = s.read_vector(PrefilledTransaction.deserialize)
        if len(shorttxids) + len(prefilledtxn) > _UINT16_MAX:
            raise SerializationError("indexes overflowed 16 bits")
        return cls(header, nonce, shorttxids, prefilledtxn)


@dataclass(slots=True)
class BlockTransactionsRequest:
    """getblocktxn's payload. ``indexes`` are absolute positions in the block, as upstream keeps
    them; the wire carries each as the gap after the previous one (DifferenceFormatter), so they
    must be strictly increasing and at most 65535."""

    blockhash: uint256 = ZERO
    indexes: list[int] = field(default_factory=list)

    def serialize(self) -> bytes:
        parts = [self.blockhash.data, ser_compact_size(len(self.indexes))]
        shift = 0
        for index in self.indexes:
            if index < shift:
                raise SerializationError("differential value overflow")
            parts.append(ser_compact_size(index - shift))
            shift = index + 1
        return b"".join(parts)

    @classmethod
    def deserialize(cls, s: DataStream) -> BlockTransactionsRequest:
        blockhash = _read_uint256(s)
        count = s.ReadCompactSize()
        if count > s.size():
            raise SerializationError(f"vector of {count} elements in {s.size()} bytes")
        indexes: list[int] = []
        shift = 0
        for _ in range(count):
            shift += s.ReadCompactSize()
            if shift > _UINT16_MAX:
                raise SerializationError("differential value overflow")
            indexes.append(shift)
            shift += 1
        return cls(blockhash, indexes)


@dataclass(slots=True)
class BlockTransactions:
    """blocktxn's payload: the requested transactions, with witness."""

    blockhash: uint256 = ZERO
    txn: list[CTransaction] = field(default_factory=list)

    def serialize(self) -> bytes:
        return self.blockhash.data + ser_tx_vector(self.txn, with_witness=True)

    @classmethod
    def deserialize(cls, s: DataStream) -> BlockTransactions:
        return cls(_read_uint256(s), s.read_vector(CTransaction.deserialize))


# -- messages ----------------------------------------------------------------------------------


class NetMessage:
    """What every payload class offers; MESSAGE_CLASSES maps a type string to its class."""

    __slots__ = ()
    msgtype: ClassVar[str]

    def serialize(self) -> bytes:
        raise NotImplementedError

    @classmethod
    def deserialize(cls, data: bytes) -> Self:
        raise NotImplementedError


class _EmptyMessage(NetMessage):
    """A message whose meaning is its type; any payload is ignored, as upstream reads none."""

    __slots__ = ()

    def serialize(self) -> bytes:
        return b""

    @classmethod
    def deserialize(cls, data: bytes) -> Self:
        return cls()


@dataclass(slots=True)
class msg_version(NetMessage):
    """The version handshake message.

    Everything after ``addrTo`` is optional on the wire and read only while bytes remain, as
    ProcessMessage does: ``None`` means absent, and ProcessMessage applies upstream's defaults
    (nonce 1, empty user agent, starting height -1, relay true). ``addrFrom`` and ``nNonce`` are
    one group (upstream skips 26 bytes then reads the nonce). ``serialize`` writes the optional
    fields in order up to the first absent one. The version message carries no address times,
    so decoded addresses have ``nTime == CAddress.TIME_INIT``.

    A user agent longer than MAX_SUBVERSION_LENGTH bytes is a decoding error, as upstream's
    LIMITED_STRING; it is decoded as UTF-8 with surrogateescape so any bytes round-trip.
    """

    msgtype: ClassVar[str] = NetMsgType.VERSION

    nVersion: int = 0
    nServices: ServiceFlags = NODE_NONE
    #: Seconds since the epoch, signed (upstream's int64_t nTime).
    nTime: int = 0
    addrTo: CAddress = field(default_factory=CAddress)
    addrFrom: CAddress | None = field(default_factory=CAddress)
    nNonce: int | None = 0
    strSubVer: str | None = ""
    nStartingHeight: int | None = -1
    relay: bool | None = True

    def serialize(self) -> bytes:
        parts = [
            ser_i32(self.nVersion),
            ser_u64(self.nServices),
            ser_i64(self.nTime),
            self.addrTo.serialize_without_time(),
        ]
        if self.addrFrom is None or self.nNonce is None:
            return b"".join(parts)
        parts += [self.addrFrom.serialize_without_time(), ser_u64(self.nNonce)]
        if self.strSubVer is None:
            return b"".join(parts)
        parts.append(ser_string(self.strSubVer))
        if self.nStartingHeight is None:
            return b"".join(parts)
        parts.append(ser_i32(self.nStartingHeight))
        if self.relay is not None:
            parts.append(ser_bool(self.relay))
        return b"".join(parts)

    @classmethod
    def deserialize(cls, data: bytes) -> Self:
        s = DataStream(data)
        nVersion, nServices, nTime = s.read_i32(), ServiceFlags(s.read_u64()), s.read_i64()
        addrTo = CAddress.deserialize_without_time(s)
        msg = cls(nVersion, nServices, nTime, addrTo, None, None, None, None, None)
        if not s.empty():
            msg.addrFrom = CAddress.deserialize_without_time(s)
            msg.nNonce = s.read_u64()
        if not s.empty():
            size = s.ReadCompactSize()
            if size > MAX_SUBVERSION_LENGTH:
                raise SerializationError("String length limit exceeded")
            msg.strSubVer = s.read(size).decode("utf-8", "surrogateescape")
        if not s.empty():
            msg.nStartingHeight = s.read_i32()
        if not s.empty():
            msg.relay = s.read_bool()
        return msg


@dataclass(slots=True)
class msg_verack(_EmptyMessage):
    msgtype: ClassVar[str] = NetMsgType.VERACK


@dataclass(slots=True)
class msg_addr(NetMessage):
    """Addresses in the v1 encoding, each with its time. More than MAX_ADDR_TO_SEND (1000) is
    ProcessMessage's to punish, not a decoding error."""

    msgtype: ClassVar[str] = NetMsgType.ADDR

    addrs: list[CAddress] = field(default_factory=list)

    def serialize(self) -> bytes:
        return ser_vector(self.addrs, lambda a: a.serialize(CAddress.V1_NETWORK))

    @classmethod
    def deserialize(cls, data: bytes) -> Self:
        s = DataStream(data)
        return cls(s.read_vector(lambda s: CAddress.deserialize(s, CAddress.V1_NETWORK)))


@dataclass(slots=True)
class msg_addrv2(NetMessage):
    """Addresses in the BIP155 encoding (services as CompactSize). Addresses of unknown networks
    decode as invalid ones, as upstream; more than 1000 is ProcessMessage's to punish."""

    msgtype: ClassVar[str] = NetMsgType.ADDRV2

    addrs: list[CAddress] = field(default_factory=list)

    def serialize(self) -> bytes:
        return ser_vector(self.addrs, lambda a: a.serialize(CAddress.V2_NETWORK))

    @classmethod
    def deserialize(cls, data: bytes) -> Self:
        s = DataStream(data)
        return cls(s.read_vector(lambda s: CAddress.deserialize(s, CAddress.V2_NETWORK)))


@dataclass(slots=True)
class msg_sendaddrv2(_EmptyMessage):
    msgtype: ClassVar[str] = NetMsgType.SENDADDRV2


@dataclass(slots=True)
class msg_inv(NetMessage):
    """An inventory announcement. More than MAX_INV_SZ (50000) entries decodes fine: upstream
    reads the whole vector, then ProcessMessage misbehaves."""

    msgtype: ClassVar[str] = NetMsgType.INV

    inv: list[CInv] = field(default_factory=list)

    def serialize(self) -> bytes:
        return ser_vector(self.inv, CInv.serialize)

    @classmethod
    def deserialize(cls, data: bytes) -> Self:
        return cls(DataStream(data).read_vector(CInv.deserialize))


@dataclass(slots=True)
class msg_getdata(NetMessage):
    """A request for objects. Over MAX_INV_SZ (50000) entries is ProcessMessage's to punish."""

    msgtype: ClassVar[str] = NetMsgType.GETDATA

    inv: list[CInv] = field(default_factory=list)

    def serialize(self) -> bytes:
        return ser_vector(self.inv, CInv.serialize)

    @classmethod
    def deserialize(cls, data: bytes) -> Self:
        return cls(DataStream(data).read_vector(CInv.deserialize))


@dataclass(slots=True)
class msg_merkleblock(NetMessage):
    msgtype: ClassVar[str] = NetMsgType.MERKLEBLOCK

    merkleblock: CMerkleBlock = field(default_factory=CMerkleBlock)

    def serialize(self) -> bytes:
        return self.merkleblock.serialize()

    @classmethod
    def deserialize(cls, data: bytes) -> Self:
        return cls(CMerkleBlock.deserialize(DataStream(data)))


@dataclass(slots=True)
class msg_getblocks(NetMessage):
    """A locator and a stop hash. A locator over MAX_LOCATOR_SZ (101) is ProcessMessage's to
    handle (disconnect)."""

    msgtype: ClassVar[str] = NetMsgType.GETBLOCKS

    locator: CBlockLocator = field(default_factory=CBlockLocator)
    hashstop: uint256 = ZERO

    def serialize(self) -> bytes:
        return self.locator.serialize() + self.hashstop.data

    @classmethod
    def deserialize(cls, data: bytes) -> Self:
        s = DataStream(data)
        return cls(CBlockLocator.deserialize(s), _read_uint256(s))


@dataclass(slots=True)
class msg_getheaders(NetMessage):
    """As getblocks, answered with headers."""

    msgtype: ClassVar[str] = NetMsgType.GETHEADERS

    locator: CBlockLocator = field(default_factory=CBlockLocator)
    hashstop: uint256 = ZERO

    def serialize(self) -> bytes:
        return self.locator.serialize() + self.hashstop.data

    @classmethod
    def deserialize(cls, data: bytes) -> Self:
        s = DataStream(data)
        return cls(CBlockLocator.deserialize(s), _read_uint256(s))


@dataclass(slots=True)
class msg_tx(NetMessage):
    """A transaction, serialized with witness when it has one (TX_WITH_WITNESS)."""

    msgtype: ClassVar[str] = NetMsgType.TX

    tx: CTransaction = field(default_factory=CTransaction)

    def serialize(self) -> bytes:
        return self.tx.serialize(with_witness=True)

    @classmethod
    def deserialize(cls, data: bytes) -> Self:
        return cls(CTransaction.deserialize(DataStream(data)))


@dataclass(slots=True)
class msg_headers(NetMessage):
    """Block headers, each followed by a transaction count that is read and ignored (upstream
    assumes 0 and writes 0).

    Upstream checks the count against max_headers_result *before* reading the headers, so an
    oversized count with a short payload misbehaves rather than fails to decode. ProcessMessage
    gets that order with :meth:`read_count` ahead of :meth:`deserialize`.
    """

    msgtype: ClassVar[str] = NetMsgType.HEADERS

    headers: list[CBlockHeader] = field(default_factory=list)

    def serialize(self) -> bytes:
        return ser_compact_size(len(self.headers)) + b"".join(
            h.serialize_header() + b"\x00" for h in self.headers
        )

    @staticmethod
    def read_count(data: bytes) -> int:
        """The number of headers the payload announces, reading nothing else."""
        return DataStream(data).ReadCompactSize()

    @classmethod
    def deserialize(cls, data: bytes) -> Self:
        s = DataStream(data)
        count = s.ReadCompactSize()
        if count > s.size():
            raise SerializationError(f"{count} headers in {s.size()} bytes")
        headers = []
        for _ in range(count):
            headers.append(CBlockHeader.deserialize(s))
            s.ReadCompactSize()  # the transaction count, ignored
        return cls(headers)


@dataclass(slots=True)
class msg_block(NetMessage):
    """A full block, with witness (TX_WITH_WITNESS)."""

    msgtype: ClassVar[str] = NetMsgType.BLOCK

    block: CBlock = field(default_factory=CBlock)

    def serialize(self) -> bytes:
        return self.block.serialize(with_witness=True)

    @classmethod
    def deserialize(cls, data: bytes) -> Self:
        return cls(CBlock.deserialize(DataStream(data)))


@dataclass(slots=True)
class msg_getaddr(_EmptyMessage):
    msgtype: ClassVar[str] = NetMsgType.GETADDR


@dataclass(slots=True)
class msg_mempool(_EmptyMessage):
    msgtype: ClassVar[str] = NetMsgType.MEMPOOL


@dataclass(slots=True)
class msg_ping(NetMessage):
    """A ping with its nonce. Upstream reads the nonce only when the common version is above
    BIP0031_VERSION; for older peers ProcessMessage does not decode the payload at all."""

    msgtype: ClassVar[str] = NetMsgType.PING

    nonce: int = 0

    def serialize(self) -> bytes:
        return ser_u64(self.nonce)

    @classmethod
    def deserialize(cls, data: bytes) -> Self:
        return cls(DataStream(data).read_u64())


@dataclass(slots=True)
class msg_pong(NetMessage):
    """The answer to a ping. A payload shorter than 8 bytes is not an error upstream ("Short
    payload" cancels the ping): ``nonce`` is then None."""

    msgtype: ClassVar[str] = NetMsgType.PONG

    nonce: int | None = 0

    def serialize(self) -> bytes:
        return b"" if self.nonce is None else ser_u64(self.nonce)

    @classmethod
    def deserialize(cls, data: bytes) -> Self:
        s = DataStream(data)
        return cls(s.read_u64() if s.size() >= 8 else None)


@dataclass(slots=True)
class msg_notfound(NetMessage):
    """Objects a peer could not serve. Any number decodes; ProcessMessage ignores long ones."""

    msgtype: ClassVar[str] = NetMsgType.NOTFOUND

    vec: list[CInv] = field(default_factory=list)

    def serialize(self) -> bytes:
        return ser_vector(self.vec, CInv.serialize)

    @classmethod
    def deserialize(cls, data: bytes) -> Self:
        return cls(DataStream(data).read_vector(CInv.deserialize))


@dataclass(slots=True)
class msg_filterload(NetMessage):
    """A BIP37 bloom filter (upstream reads a CBloomFilter). A filter over MAX_BLOOM_FILTER_SIZE
    or MAX_HASH_FUNCS is ProcessMessage's to punish."""

    msgtype: ClassVar[str] = NetMsgType.FILTERLOAD

    data: bytes = b""
    nHashFuncs: int = 0
    nTweak: int = 0
    nFlags: int = 0

    def serialize(self) -> bytes:
        return (
            ser_bytes(self.data) + ser_u32(self.nHashFuncs) + ser_u32(self.nTweak)
            + ser_u8(self.nFlags)
        )  # fmt: skip

    @classmethod
    def deserialize(cls, data: bytes) -> Self:
        s = DataStream(data)
        return cls(s.read_bytes(), s.read_u32(), s.read_u32(), s.read_u8())


@dataclass(slots=True)
class msg_filteradd(NetMessage):
    """One element to add to the bloom filter; over 520 bytes is ProcessMessage's to punish."""

    msgtype: ClassVar[str] = NetMsgType.FILTERADD

    data: bytes = b""

    def serialize(self) -> bytes:
        return ser_bytes(self.data)

    @classmethod
    def deserialize(cls, data: bytes) -> Self:
        return cls(DataStream(data).read_bytes())


@dataclass(slots=True)
class msg_filterclear(_EmptyMessage):
    msgtype: ClassVar[str] = NetMsgType.FILTERCLEAR


@dataclass(slots=True)
class msg_sendheaders(_EmptyMessage):
    msgtype: ClassVar[str] = NetMsgType.SENDHEADERS


@dataclass(slots=True)
class msg_feefilter(NetMessage):
    """The minimum fee rate, in satoshis per kvB, signed as upstream's CAmount (ProcessMessage
    ignores values outside MoneyRange)."""

    msgtype: ClassVar[str] = NetMsgType.FEEFILTER

    feerate: int = 0

    def serialize(self) -> bytes:
        return ser_i64(self.feerate)

    @classmethod
    def deserialize(cls, data: bytes) -> Self:
        return cls(DataStream(data).read_i64())


@dataclass(slots=True)
class msg_sendcmpct(NetMessage):
    """BIP152 negotiation: high-bandwidth flag (any non-zero byte is true) and version."""

    msgtype: ClassVar[str] = NetMsgType.SENDCMPCT

    announce: bool = False
    version: int = 1

    def serialize(self) -> bytes:
        return ser_bool(self.announce) + ser_u64(self.version)

    @classmethod
    def deserialize(cls, data: bytes) -> Self:
        s = DataStream(data)
        return cls(s.read_bool(), s.read_u64())


@dataclass(slots=True)
class msg_cmpctblock(NetMessage):
    msgtype: ClassVar[str] = NetMsgType.CMPCTBLOCK

    header_and_shortids: CBlockHeaderAndShortTxIDs = field(
        default_factory=CBlockHeaderAndShortTxIDs
    )

    def serialize(self) -> bytes:
        return self.header_and_shortids.serialize()

    @classmethod
    def deserialize(cls, data: bytes) -> Self:
        return cls(CBlockHeaderAndShortTxIDs.deserialize(DataStream(data)))


@dataclass(slots=True)
class msg_getblocktxn(NetMessage):
    msgtype: ClassVar[str] = NetMsgType.GETBLOCKTXN

    block_txn_request: BlockTransactionsRequest = field(default_factory=BlockTransactionsRequest)

    def serialize(self) -> bytes:
        return self.block_txn_request.serialize()

    @classmethod
    def deserialize(cls, data: bytes) -> Self:
        return cls(BlockTransactionsRequest.deserialize(DataStream(data)))


@dataclass(slots=True)
class msg_blocktxn(NetMessage):
    msgtype: ClassVar[str] = NetMsgType.BLOCKTXN

    block_transactions: BlockTransactions = field(default_factory=BlockTransactions)

    def serialize(self) -> bytes:
        return self.block_transactions.serialize()

    @classmethod
    def deserialize(cls, data: bytes) -> Self:
        return cls(BlockTransactions.deserialize(DataStream(data)))


@dataclass(slots=True)
class msg_getcfilters(NetMessage):
    msgtype: ClassVar[str] = NetMsgType.GETCFILTERS

    filter_type: int = FILTER_TYPE_BASIC
    start_height: int = 0
    stop_hash: uint256 = ZERO

    def serialize(self) -> bytes:
        return ser_u8(self.filter_type) + ser_u32(self.start_height) + self.stop_hash.data

    @classmethod
    def deserialize(cls, data: bytes) -> Self:
        s = DataStream(data)
        return cls(s.read_u8(), s.read_u32(), _read_uint256(s))


@dataclass(slots=True)
class msg_cfilter(NetMessage):
    """A BIP158 filter (upstream's BlockFilter on the wire). Only its framing is read: upstream
    never receives one, so the GCS decoding checks of BlockFilter's Unserialize are not made."""

    msgtype: ClassVar[str] = NetMsgType.CFILTER

    filter_type: int = FILTER_TYPE_BASIC
    block_hash: uint256 = ZERO
    filter_data: bytes = b""

    def serialize(self) -> bytes:
        return ser_u8(self.filter_type) + self.block_hash.data + ser_bytes(self.filter_data)

    @classmethod
    def deserialize(cls, data: bytes) -> Self:
        s = DataStream(data)
        return cls(s.read_u8(), _read_uint256(s), s.read_bytes())


@dataclass(slots=True)
class msg_getcfheaders(NetMessage):
    msgtype: ClassVar[str] = NetMsgType.GETCFHEADERS

    filter_type: int = FILTER_TYPE_BASIC
    start_height: int = 0
    stop_hash: uint256 = ZERO

    def serialize(self) -> bytes:
        return ser_u8(self.filter_type) + ser_u32(self.start_height) + self.stop_hash.data

    @classmethod
    def deserialize(cls, data: bytes) -> Self:
        s = DataStream(data)
        return cls(s.read_u8(), s.read_u32(), _read_uint256(s))


@dataclass(slots=True)
class msg_cfheaders(NetMessage):
    msgtype: ClassVar[str] = NetMsgType.CFHEADERS

    filter_type: int = FILTER_TYPE_BASIC
    stop_hash: uint256 = ZERO
    prev_header: uint256 = ZERO
    hashes: list[uint256] = field(default_factory=list)

    def serialize(self) -> bytes:
        return (
            ser_u8(self.filter_type) + self.stop_hash.data + self.prev_header.data
            + ser_vector(self.hashes, _ser_uint256)
        )  # fmt: skip

    @classmethod
    def deserialize(cls, data: bytes) -> Self:
        s = DataStream(data)
        return cls(s.read_u8(), _read_uint256(s), _read_uint256(s), s.read_vector(_read_uint256))


@dataclass(slots=True)
class msg_getcfcheckpt(NetMessage):
    msgtype: ClassVar[str] = NetMsgType.GETCFCHECKPT

    filter_type: int = FILTER_TYPE_BASIC
    stop_hash: uint256 = ZERO

    def serialize(self) -> bytes:
        return ser_u8(self.filter_type) + self.stop_hash.data

    @classmethod
    def deserialize(cls, data: bytes) -> Self:
        s = DataStream(data)
        return cls(s.read_u8(), _read_uint256(s))


@dataclass(slots=True)
class msg_cfcheckpt(NetMessage):
    msgtype: ClassVar[str] = NetMsgType.CFCHECKPT

    filter_type: int = FILTER_TYPE_BASIC
    stop_hash: uint256 = ZERO
    headers: list[uint256] = field(default_factory=list)

    def serialize(self) -> bytes:
        return (
            ser_u8(self.filter_type) + self.stop_hash.data + ser_vector(self.headers, _ser_uint256)
        )

    @classmethod
    def deserialize(cls, data: bytes) -> Self:
        s = DataStream(data)
        return cls(s.read_u8(), _read_uint256(s), s.read_vector(_read_uint256))


@dataclass(slots=True)
class msg_wtxidrelay(_EmptyMessage):
    msgtype: ClassVar[str] = NetMsgType.WTXIDRELAY


@dataclass(slots=True)
class msg_sendtxrcncl(NetMessage):
    """BIP330 negotiation: reconciliation version and this side's salt."""

    msgtype: ClassVar[str] = NetMsgType.SENDTXRCNCL

    version: int = 0
    salt: int = 0

    def serialize(self) -> bytes:
        return ser_u32(self.version) + ser_u64(self.salt)

    @classmethod
    def deserialize(cls, data: bytes) -> Self:
        s = DataStream(data)
        return cls(s.read_u32(), s.read_u64())


#: Every message class by its type string, in NetMsgType's order.
MESSAGE_CLASSES: Final[dict[str, type[NetMessage]]] = {
    cls.msgtype: cls
    for cls in (
        msg_version, msg_verack, msg_addr, msg_addrv2, msg_sendaddrv2, msg_inv, msg_getdata,
        msg_merkleblock, msg_getblocks, msg_getheaders, msg_tx, msg_headers, msg_block,
        msg_getaddr, msg_mempool, msg_ping, msg_pong, msg_notfound, msg_filterload,
        msg_filteradd, msg_filterclear, msg_sendheaders, msg_feefilter, msg_sendcmpct,
        msg_cmpctblock, msg_getblocktxn, msg_blocktxn, msg_getcfilters, msg_cfilter,
        msg_getcfheaders, msg_cfheaders, msg_getcfcheckpt, msg_cfcheckpt, msg_wtxidrelay,
        msg_sendtxrcncl,
    )
}  # fmt: skip


def decode_message(msgtype: str, payload: bytes) -> NetMessage | None:
    """Decode a payload by its type. None for a type we do not know: upstream ignores those
    ("Unknown command"), so they are not a decoding error."""
    cls = MESSAGE_CLASSES.get(msgtype)
    return None if cls is None else cls.deserialize(payload)
