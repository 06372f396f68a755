"""The P2P wire protocol's vocabulary (src/protocol.{h,cpp}, kernel/messagestartchars.h).

Message header, message type names, service bits, the peer address record CAddress and the
inventory vector CInv. Deserialization raises :class:`~common.serialize.SerializationError` only.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import ClassVar, Final

from .netaddress import CService, Encoding
from .primitives.transaction import GenTxid
from .serialize import (
    DataStream,
    SerializationError,
    ser_compact_size,
    ser_u32,
    ser_u64,
)
from .uint256 import ZERO, uint256

#: kernel/messagestartchars.h: the four network magic bytes that open every v1 message.
MessageStartChars = bytes


class CMessageHeader:
    """The 24-byte v1 message header: magic, message type, payload size, checksum.

    ``m_msg_type`` keeps the raw 12 bytes (NUL padded) so :meth:`IsMessageTypeValid` can judge
    exactly what arrived, as upstream's ``char[12]`` does.
    """

    __slots__ = ("m_msg_type", "nMessageSize", "pchChecksum", "pchMessageStart")

    MESSAGE_TYPE_SIZE: ClassVar[int] = 12
    MESSAGE_SIZE_SIZE: ClassVar[int] = 4
    CHECKSUM_SIZE: ClassVar[int] = 4
    MESSAGE_SIZE_OFFSET: ClassVar[int] = 4 + MESSAGE_TYPE_SIZE
    CHECKSUM_OFFSET: ClassVar[int] = MESSAGE_SIZE_OFFSET + MESSAGE_SIZE_SIZE
    HEADER_SIZE: ClassVar[int] = 4 + MESSAGE_TYPE_SIZE + MESSAGE_SIZE_SIZE + CHECKSUM_SIZE

    pchMessageStart: MessageStartChars
    m_msg_type: bytes
    nMessageSize: int
    pchChecksum: bytes

    def __init__(
        self,
        pchMessageStartIn: MessageStartChars = b"\x00" * 4,
        msg_type: str = "",
        nMessageSizeIn: int = 0xFFFFFFFF,
        pchChecksum: bytes = b"\x00" * 4,
    ) -> None:
        """Upstream has a default constructor (size UINT32_MAX) and one taking magic, type and
        size; both are this one. A type longer than 12 characters is a programming error, as
        upstream's assert."""
        raw_type = msg_type.encode("latin-1")
        assert len(raw_type) <= self.MESSAGE_TYPE_SIZE, f"message type too long: {msg_type!r}"
        assert len(pchMessageStartIn) == 4 and len(pchChecksum) == self.CHECKSUM_SIZE
        self.pchMessageStart = bytes(pchMessageStartIn)
        self.m_msg_type = raw_type.ljust(self.MESSAGE_TYPE_SIZE, b"\x00")
        self.nMessageSize = nMessageSizeIn
        self.pchChecksum = bytes(pchChecksum)

    def GetMessageType(self) -> str:
        """The type up to the first NUL. Bytes map one to one onto characters (latin-1), as the
        C++ std::string holds raw bytes; callers sanitize before logging, as upstream does."""
        return self.m_msg_type.split(b"\x00", 1)[0].decode("latin-1")

    def IsMessageTypeValid(self) -> bool:
        """Printable ASCII, then only NUL padding: no character may follow the first NUL."""
        name, _, padding = self.m_msg_type.partition(b"\x00")
        if any(c < 0x20 or c > 0x7E for c in name):
            return False
        return not any(padding)

    def serialize(self) -> bytes:
        return (
            self.pchMessageStart + self.m_msg_type + ser_u32(self.nMessageSize) + self.pchChecksum
        )

    @classmethod
    def deserialize(cls, s: DataStream) -> CMessageHeader:
        hdr = cls()
        hdr.pchMessageStart = s.read(4)
        hdr.m_msg_type = s.read(cls.MESSAGE_TYPE_SIZE)
        hdr.nMessageSize = s.read_u32()
        hdr.pchChecksum = s.read(cls.CHECKSUM_SIZE)
        return hdr

    def __eq__(self, other: object) -> bool:
        return isinstance(other, CMessageHeader) and self.serialize() == other.serialize()

    def __hash__(self) -> int:
        return hash(self.serialize())

    def __repr__(self) -> str:
        return (
            f"CMessageHeader(pchMessageStart={self.pchMessageStart.hex()}, "
            f"m_msg_type={self.GetMessageType()!r}, nMessageSize={self.nMessageSize}, "
            f"pchChecksum={self.pchChecksum.hex()})"
        )


class NetMsgType:
    """The message type strings (upstream's ``namespace NetMsgType``)."""

    VERSION: Final = "version"
    VERACK: Final = "verack"
    ADDR: Final = "addr"
    ADDRV2: Final = "addrv2"  # BIP155
    SENDADDRV2: Final = "sendaddrv2"  # BIP155
    INV: Final = "inv"
    GETDATA: Final = "getdata"
    MERKLEBLOCK: Final = "merkleblock"  # BIP37
    GETBLOCKS: Final = "getblocks"
    GETHEADERS: Final = "getheaders"
    TX: Final = "tx"
    HEADERS: Final = "headers"
    BLOCK: Final = "block"
    GETADDR: Final = "getaddr"
    MEMPOOL: Final = "mempool"  # BIP35
    PING: Final = "ping"
    PONG: Final = "pong"  # BIP31
    NOTFOUND: Final = "notfound"
    FILTERLOAD: Final = "filterload"  # BIP37
    FILTERADD: Final = "filteradd"  # BIP37
    FILTERCLEAR: Final = "filterclear"  # BIP37
    SENDHEADERS: Final = "sendheaders"  # BIP130
    FEEFILTER: Final = "feefilter"  # BIP133
    SENDCMPCT: Final = "sendcmpct"  # BIP152
    CMPCTBLOCK: Final = "cmpctblock"  # BIP152
    GETBLOCKTXN: Final = "getblocktxn"  # BIP152
    BLOCKTXN: Final = "blocktxn"  # BIP152
    GETCFILTERS: Final = "getcfilters"  # BIP157
    CFILTER: Final = "cfilter"  # BIP157
    GETCFHEADERS: Final = "getcfheaders"  # BIP157
    CFHEADERS: Final = "cfheaders"  # BIP157
    GETCFCHECKPT: Final = "getcfcheckpt"  # BIP157
    CFCHECKPT: Final = "cfcheckpt"  # BIP157
    WTXIDRELAY: Final = "wtxidrelay"  # BIP339
    SENDTXRCNCL: Final = "sendtxrcncl"  # BIP330


#: Every known message type, in the order NetMsgType declares them.
ALL_NET_MESSAGE_TYPES: Final[tuple[str, ...]] = (
    NetMsgType.VERSION,
    NetMsgType.VERACK,
    NetMsgType.ADDR,
    NetMsgType.ADDRV2,
    NetMsgType.SENDADDRV2,
    NetMsgType.INV,
    NetMsgType.GETDATA,
    NetMsgType.MERKLEBLOCK,
    NetMsgType.GETBLOCKS,
    NetMsgType.GETHEADERS,
    NetMsgType.TX,
    NetMsgType.HEADERS,
    NetMsgType.BLOCK,
    NetMsgType.GETADDR,
    NetMsgType.MEMPOOL,
    NetMsgType.PING,
    NetMsgType.PONG,
    NetMsgType.NOTFOUND,
    NetMsgType.FILTERLOAD,
    NetMsgType.FILTERADD,
    NetMsgType.FILTERCLEAR,
    NetMsgType.SENDHEADERS,
    NetMsgType.FEEFILTER,
    NetMsgType.SENDCMPCT,
    NetMsgType.CMPCTBLOCK,
    NetMsgType.GETBLOCKTXN,
    NetMsgType.BLOCKTXN,
    NetMsgType.GETCFILTERS,
    NetMsgType.CFILTER,
    NetMsgType.GETCFHEADERS,
    NetMsgType.CFHEADERS,
    NetMsgType.GETCFCHECKPT,
    NetMsgType.CFCHECKPT,
    NetMsgType.WTXIDRELAY,
    NetMsgType.SENDTXRCNCL,
)


class ServiceFlags(enum.IntFlag):
    """nServices bits. Unknown bits are kept (IntFlag's KEEP boundary), as a uint64_t keeps them."""

    NODE_NONE = 0
    #: Serves the complete block chain.
    NODE_NETWORK = 1 << 0
    #: Handles bloom-filtered connections (BIP37, BIP111).
    NODE_BLOOM = 1 << 2
    #: Serves blocks and transactions with witness data (BIP144).
    NODE_WITNESS = 1 << 3
    #: Serves basic block filters (BIP157, BIP158).
    NODE_COMPACT_FILTERS = 1 << 6
    #: Serves only the last 288 blocks (BIP159).
    NODE_NETWORK_LIMITED = 1 << 10
    #: Supports the BIP324 v2 transport.
    NODE_P2P_V2 = 1 << 11


NODE_NONE: Final = ServiceFlags.NODE_NONE
NODE_NETWORK: Final = ServiceFlags.NODE_NETWORK
NODE_BLOOM: Final = ServiceFlags.NODE_BLOOM
NODE_WITNESS: Final = ServiceFlags.NODE_WITNESS
NODE_COMPACT_FILTERS: Final = ServiceFlags.NODE_COMPACT_FILTERS
NODE_NETWORK_LIMITED: Final = ServiceFlags.NODE_NETWORK_LIMITED
NODE_P2P_V2: Final = ServiceFlags.NODE_P2P_V2

_SERVICE_FLAG_NAMES: Final[dict[int, str]] = {
    NODE_NETWORK: "NETWORK",
    NODE_BLOOM: "BLOOM",
    NODE_WITNESS: "WITNESS",
    NODE_COMPACT_FILTERS: "COMPACT_FILTERS",
    NODE_NETWORK_LIMITED: "NETWORK_LIMITED",
    NODE_P2P_V2: "P2P_V2",
}


def serviceFlagToStr(bit: int) -> str:
    """The name of service bit ``bit`` (the flag 1 << bit), or UNKNOWN[2^bit]."""
    return _SERVICE_FLAG_NAMES.get(1 << bit, f"UNKNOWN[2^{bit}]")


def serviceFlagsToStr(flags: int) -> list[str]:
    """Every set bit of a 64-bit service mask, lowest first, by name."""
    return [serviceFlagToStr(bit) for bit in range(64) if flags & (1 << bit)]


def SeedsServiceFlags() -> ServiceFlags:
    """Services every seed node is expected to offer, whatever our own state."""
    return NODE_NETWORK | NODE_WITNESS


def MayHaveUsefulAddressDB(services: int) -> bool:
    """Whether a peer with these services may keep a useful address database."""
    return bool(services & NODE_NETWORK or services & NODE_NETWORK_LIMITED)


class CAddress(CService):
    """A CService with what we know about it as a peer: its services and when it was last seen.

    ``nTime`` is in seconds since the epoch (upstream's NodeSeconds). Upstream chooses between the
    four encodings through serialization parameters; here :class:`CAddress.SerParams` plays that
    part, passed to :meth:`serialize` and :meth:`deserialize`.
    """

    __slots__ = ("nServices", "nTime")

    #: TIME_INIT: the time of an address nobody has given a time yet (seconds).
    TIME_INIT: ClassVar[int] = 100000000
    #: Disk format: the first field's low bits are ignored, its high bits select the encoding.
    DISK_VERSION_INIT: ClassVar[int] = 220000
    DISK_VERSION_IGNORE_MASK: ClassVar[int] = 0b00000000_00000111_11111111_11111111
    DISK_VERSION_ADDRV2: ClassVar[int] = 1 << 29

    class Format(enum.Enum):
        Disk = enum.auto()
        Network = enum.auto()

    @dataclass(frozen=True, slots=True)
    class SerParams:
        """CAddress::SerParams: the address encoding and whether a disk version field leads."""

        enc: Encoding
        fmt: CAddress.Format

        @property
        def use_v2(self) -> bool:
            return self.enc is Encoding.V2

    V1_NETWORK: ClassVar[CAddress.SerParams]
    V2_NETWORK: ClassVar[CAddress.SerParams]
    V1_DISK: ClassVar[CAddress.SerParams]
    V2_DISK: ClassVar[CAddress.SerParams]

    nTime: int
    nServices: ServiceFlags

    def __init__(
        self,
        ipIn: CService | None = None,
        nServicesIn: int = NODE_NONE,
        time: int = TIME_INIT,
    ) -> None:
        ip = ipIn if ipIn is not None else CService()
        super().__init__(ip, ip.port)
        self.nServices = ServiceFlags(nServicesIn)
        self.nTime = time

    # -- serialization -------------------------------------------------------------------------

    def serialize(self, params: CAddress.SerParams | None = None) -> bytes:
        params = params if params is not None else CAddress.V1_NETWORK
        use_v2 = params.use_v2
        parts: list[bytes] = []
        if params.fmt is CAddress.Format.Disk:
            version = self.DISK_VERSION_INIT | (self.DISK_VERSION_ADDRV2 if use_v2 else 0)
            parts.append(ser_u32(version))
        parts.append(ser_u32(self.nTime))
        if use_v2:
            parts += [ser_compact_size(self.nServices), self.serialize_v2()]
        else:
            parts += [ser_u64(self.nServices), self.serialize_v1()]
        return b"".join(parts)

    @classmethod
    def deserialize(cls, s: DataStream, params: CAddress.SerParams | None = None) -> CAddress:
        params = params if params is not None else CAddress.V1_NETWORK
        if params.fmt is CAddress.Format.Disk:
            stored = s.read_u32() & ~cls.DISK_VERSION_IGNORE_MASK
            if stored == 0:
                use_v2 = False
            elif stored == cls.DISK_VERSION_ADDRV2 and params.use_v2:
                use_v2 = True
            else:
                raise SerializationError("Unsupported CAddress disk format version")
        else:
            use_v2 = params.use_v2
        nTime = s.read_u32()
        if use_v2:
            nServices = s.ReadCompactSize(range_check=False)
            return cls(CService.deserialize_v2(s), nServices, nTime)
        nServices = s.read_u64()
        return cls(CService.deserialize_v1(s), nServices, nTime)

    def serialize_without_time(self) -> bytes:
        """The 26-byte form of the version message: services, then the v1 CService."""
        return ser_u64(self.nServices) + self.serialize_v1()

    @classmethod
    def deserialize_without_time(cls, s: DataStream) -> CAddress:
        """Read the version message's form; the time is TIME_INIT, as for a new CAddress."""
        nServices = s.read_u64()
        return cls(CService.deserialize_v1(s), nServices)

    # -- comparison ----------------------------------------------------------------------------

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, CAddress):
            return NotImplemented
        return (
            self.nTime == other.nTime
            and self.nServices == other.nServices
            and CService.__eq__(self, other) is True
        )

    def __ne__(self, other: object) -> bool:
        result = self.__eq__(other)
        return result if result is NotImplemented else not result

    # Equal CAddresses are equal CServices, so the CService hash stays consistent.
    __hash__ = CService.__hash__

    def __repr__(self) -> str:
        try:
            where = self.ToStringAddrPort()
        except AssertionError:  # a malformed address built by hand, not one read from the wire
            where = f"<{self.m_net!r} {self.m_addr.hex()}>:{self.port}"
        return f"CAddress({where}, nServices={int(self.nServices):#x}, nTime={self.nTime})"


CAddress.V1_NETWORK = CAddress.SerParams(Encoding.V1, CAddress.Format.Network)
CAddress.V2_NETWORK = CAddress.SerParams(Encoding.V2, CAddress.Format.Network)
CAddress.V1_DISK = CAddress.SerParams(Encoding.V1, CAddress.Format.Disk)
CAddress.V2_DISK = CAddress.SerParams(Encoding.V2, CAddress.Format.Disk)


#: getdata message type flags
MSG_WITNESS_FLAG: Final = 1 << 30
MSG_TYPE_MASK: Final = 0xFFFFFFFF >> 2


class GetDataMsg(enum.IntEnum):
    """inv / getdata object types; the numbers are fixed by the protocol."""

    UNDEFINED = 0
    MSG_TX = 1
    MSG_BLOCK = 2
    MSG_WTX = 5  # BIP339
    # Only in getdata; an inv uses TX/WTX or BLOCK.
    MSG_FILTERED_BLOCK = 3  # BIP37
    MSG_CMPCT_BLOCK = 4  # BIP152
    MSG_WITNESS_BLOCK = MSG_BLOCK | MSG_WITNESS_FLAG  # BIP144
    MSG_WITNESS_TX = MSG_TX | MSG_WITNESS_FLAG  # BIP144
    #: Reserved by BIP144 and unused; upstream keeps it as a comment, listed here for decoding.
    MSG_FILTERED_WITNESS_BLOCK = MSG_FILTERED_BLOCK | MSG_WITNESS_FLAG


UNDEFINED: Final = GetDataMsg.UNDEFINED
MSG_TX: Final = GetDataMsg.MSG_TX
MSG_BLOCK: Final = GetDataMsg.MSG_BLOCK
MSG_WTX: Final = GetDataMsg.MSG_WTX
MSG_FILTERED_BLOCK: Final = GetDataMsg.MSG_FILTERED_BLOCK
MSG_CMPCT_BLOCK: Final = GetDataMsg.MSG_CMPCT_BLOCK
MSG_WITNESS_BLOCK: Final = GetDataMsg.MSG_WITNESS_BLOCK
MSG_WITNESS_TX: Final = GetDataMsg.MSG_WITNESS_TX
MSG_FILTERED_WITNESS_BLOCK: Final = GetDataMsg.MSG_FILTERED_WITNESS_BLOCK

_INV_MESSAGE_TYPES: Final[dict[int, str]] = {
    MSG_TX: NetMsgType.TX,
    # WTX names an inv type only, no message.
    MSG_WTX: "wtx",
    MSG_BLOCK: NetMsgType.BLOCK,
    MSG_FILTERED_BLOCK: NetMsgType.MERKLEBLOCK,
    MSG_CMPCT_BLOCK: NetMsgType.CMPCTBLOCK,
}


@dataclass(frozen=True, slots=True)
class CInv:
    """An inventory vector: an object type (a GetDataMsg, kept as a plain uint32 because peers
    may send any value) and its hash."""

    type: int = 0
    hash: uint256 = ZERO

    def serialize(self) -> bytes:
        return ser_u32(self.type) + self.hash.data

    @classmethod
    def deserialize(cls, s: DataStream) -> CInv:
        return cls(s.read_u32(), uint256(s.read(32)))

    def __lt__(self, other: CInv) -> bool:
        return self.type < other.type or (self.type == other.type and self.hash < other.hash)

    def GetMessageType(self) -> str:
        """The message an object of this type travels in; ValueError for an unknown type
        (upstream throws std::out_of_range)."""
        prefix = "witness-" if self.type & MSG_WITNESS_FLAG else ""
        name = _INV_MESSAGE_TYPES.get(self.type & MSG_TYPE_MASK)
        if name is None:
            raise ValueError(f"CInv::GetMessageType(): type={self.type} unknown type")
        return prefix + name

    def ToString(self) -> str:
        try:
            return f"{self.GetMessageType()} {self.hash.ToString()}"
        except ValueError:
            return f"0x{self.type:08x} {self.hash.ToString()}"

    def IsMsgTx(self) -> bool:
        return self.type == MSG_TX

    def IsMsgBlk(self) -> bool:
        return self.type == MSG_BLOCK

    def IsMsgWtx(self) -> bool:
        return self.type == MSG_WTX

    def IsMsgFilteredBlk(self) -> bool:
        return self.type == MSG_FILTERED_BLOCK

    def IsMsgCmpctBlk(self) -> bool:
        return self.type == MSG_CMPCT_BLOCK

    def IsMsgWitnessBlk(self) -> bool:
        return self.type == MSG_WITNESS_BLOCK

    def IsGenTxMsg(self) -> bool:
        return self.type in (MSG_TX, MSG_WTX, MSG_WITNESS_TX)

    def IsGenBlkMsg(self) -> bool:
        return self.type in (MSG_BLOCK, MSG_FILTERED_BLOCK, MSG_CMPCT_BLOCK, MSG_WITNESS_BLOCK)

    def __repr__(self) -> str:
        return f"CInv({self.ToString()})"


def ToGenTxid(inv: CInv) -> GenTxid:
    """The transaction id a TX, WITNESS_TX or WTX inventory names."""
    assert inv.IsGenTxMsg()
    return GenTxid.Wtxid(inv.hash) if inv.IsMsgWtx() else GenTxid.Txid(inv.hash)
