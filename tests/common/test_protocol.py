"""common.protocol: message header, type names, service flags, CAddress and CInv."""

from __future__ import annotations

import pytest

from common.hash import hash256
from common.netaddress import CNetAddr, CService
from common.primitives.transaction import GenTxid
from common.protocol import (
    ALL_NET_MESSAGE_TYPES,
    MSG_BLOCK,
    MSG_CMPCT_BLOCK,
    MSG_FILTERED_BLOCK,
    MSG_TX,
    MSG_TYPE_MASK,
    MSG_WITNESS_BLOCK,
    MSG_WITNESS_FLAG,
    MSG_WITNESS_TX,
    MSG_WTX,
    NODE_BLOOM,
    NODE_COMPACT_FILTERS,
    NODE_NETWORK,
    NODE_NETWORK_LIMITED,
    NODE_NONE,
    NODE_P2P_V2,
    NODE_WITNESS,
    CAddress,
    CInv,
    CMessageHeader,
    GetDataMsg,
    MayHaveUsefulAddressDB,
    NetMsgType,
    SeedsServiceFlags,
    ServiceFlags,
    ToGenTxid,
    serviceFlagsToStr,
)
from common.serialize import DataStream, SerializationError
from common.uint256 import uint256

MAINNET_MAGIC = bytes.fromhex("f9beb4d9")
REGTEST_MAGIC = bytes.fromhex("fabfb5da")
LOOPBACK6 = bytes(15) + b"\x01"


def v1_service(addr16: bytes, port: int) -> CService:
    return CService(CNetAddr.UnserializeV1Array(addr16), port)


# -- CMessageHeader ------------------------------------------------------------------------------


def test_header_constants_match_upstream() -> None:
    assert CMessageHeader.MESSAGE_TYPE_SIZE == 12
    assert CMessageHeader.MESSAGE_SIZE_SIZE == 4
    assert CMessageHeader.CHECKSUM_SIZE == 4
    assert CMessageHeader.MESSAGE_SIZE_OFFSET == 16
    assert CMessageHeader.CHECKSUM_OFFSET == 20
    assert CMessageHeader.HEADER_SIZE == 24


def test_header_of_mainnet_verack_is_byte_exact() -> None:
    hdr = CMessageHeader(MAINNET_MAGIC, NetMsgType.VERACK, 0, hash256(b"")[:4])
    raw = bytes.fromhex("f9beb4d9" "76657261636b000000000000" "00000000" "5df6e0e2")  # fmt: skip
    assert hdr.serialize() == raw


def test_header_with_checksum_round_trips() -> None:
    payload = bytes.fromhex("0102030405060708")
    hdr = CMessageHeader(REGTEST_MAGIC, NetMsgType.PING, len(payload), hash256(payload)[:4])
    raw = hdr.serialize()
    assert raw == (
        REGTEST_MAGIC + b"ping" + bytes(8) + bytes.fromhex("08000000") + hash256(payload)[:4]
    )
    back = CMessageHeader.deserialize(DataStream(raw))
    assert back == hdr
    assert back.GetMessageType() == "ping"
    assert back.nMessageSize == 8
    assert back.pchChecksum == hash256(payload)[:4]


def test_header_default_has_max_size_and_empty_type() -> None:
    hdr = CMessageHeader()
    assert hdr.nMessageSize == 0xFFFFFFFF
    assert hdr.GetMessageType() == ""
    assert hdr.serialize() == bytes(16) + b"\xff\xff\xff\xff" + bytes(4)


def test_header_rejects_message_type_longer_than_12() -> None:
    with pytest.raises(AssertionError):
        CMessageHeader(REGTEST_MAGIC, "abcdefghijklm", 0)
    assert CMessageHeader(REGTEST_MAGIC, "sendtxrcncl", 0).GetMessageType() == "sendtxrcncl"
    assert CMessageHeader(REGTEST_MAGIC, "abcdefghijkl", 0).m_msg_type == b"abcdefghijkl"


def test_header_truncated_raises_serialization_error() -> None:
    raw = CMessageHeader(REGTEST_MAGIC, "tx", 5).serialize()
    for n in range(len(raw)):
        with pytest.raises(SerializationError):
            CMessageHeader.deserialize(DataStream(raw[:n]))


@pytest.mark.parametrize(
    ("raw_type", "valid"),
    [
        (b"version" + bytes(5), True),
        (b"abcdefghijkl", True),
        (bytes(12), True),
        (b" ~" + bytes(10), True),
        (b"ver\x00sion" + bytes(4), False),  # a character after the first NUL
        (b"version" + bytes(4) + b"x", False),
        (b"ver\x1fsion" + bytes(4), False),  # control character
        (b"ver\x7fsion" + bytes(4), False),  # DEL
        (b"ver\x80sion" + bytes(4), False),  # not ASCII
    ],
)
def test_is_message_type_valid(raw_type: bytes, valid: bool) -> None:
    raw = REGTEST_MAGIC + raw_type + bytes(8)
    assert CMessageHeader.deserialize(DataStream(raw)).IsMessageTypeValid() is valid


def test_get_message_type_stops_at_first_nul_and_keeps_raw_bytes() -> None:
    raw = REGTEST_MAGIC + b"ab\xffc\x00zz" + bytes(5) + bytes(8)
    assert CMessageHeader.deserialize(DataStream(raw)).GetMessageType() == "ab\xffc"


# -- NetMsgType ----------------------------------------------------------------------------------


def test_all_net_message_types_lists_the_35_types_in_upstream_order() -> None:
    assert ALL_NET_MESSAGE_TYPES == (
        "version", "verack", "addr", "addrv2", "sendaddrv2", "inv", "getdata", "merkleblock",
        "getblocks", "getheaders", "tx", "headers", "block", "getaddr", "mempool", "ping", "pong",
        "notfound", "filterload", "filteradd", "filterclear", "sendheaders", "feefilter",
        "sendcmpct", "cmpctblock", "getblocktxn", "blocktxn", "getcfilters", "cfilter",
        "getcfheaders", "cfheaders", "getcfcheckpt", "cfcheckpt", "wtxidrelay", "sendtxrcncl",
    )  # fmt: skip
    assert all(len(t) <= CMessageHeader.MESSAGE_TYPE_SIZE for t in ALL_NET_MESSAGE_TYPES)
    assert NetMsgType.SENDTXRCNCL == "sendtxrcncl"
    assert NetMsgType.WTXIDRELAY == "wtxidrelay"


# -- service flags -------------------------------------------------------------------------------


def test_service_flag_values_match_upstream() -> None:
    assert (NODE_NONE, NODE_NETWORK, NODE_BLOOM, NODE_WITNESS) == (0, 1, 4, 8)
    assert (NODE_COMPACT_FILTERS, NODE_NETWORK_LIMITED, NODE_P2P_V2) == (64, 1024, 2048)


def test_service_flags_to_str_names_known_and_unknown_bits() -> None:
    assert serviceFlagsToStr(0) == []
    assert serviceFlagsToStr(NODE_NETWORK | NODE_WITNESS | NODE_NETWORK_LIMITED) == [
        "NETWORK",
        "WITNESS",
        "NETWORK_LIMITED",
    ]
    assert serviceFlagsToStr((1 << 1) | NODE_BLOOM | NODE_P2P_V2 | (1 << 63)) == [
        "UNKNOWN[2^1]",
        "BLOOM",
        "P2P_V2",
        "UNKNOWN[2^63]",
    ]
    assert serviceFlagsToStr(NODE_COMPACT_FILTERS) == ["COMPACT_FILTERS"]


def test_service_flags_keep_unknown_bits() -> None:
    flags = ServiceFlags((1 << 63) | (1 << 24) | 1)
    assert int(flags) == (1 << 63) | (1 << 24) | 1


def test_seeds_service_flags_and_may_have_useful_address_db() -> None:
    assert SeedsServiceFlags() == NODE_NETWORK | NODE_WITNESS
    assert MayHaveUsefulAddressDB(NODE_NETWORK)
    assert MayHaveUsefulAddressDB(NODE_NETWORK_LIMITED | NODE_WITNESS)
    assert not MayHaveUsefulAddressDB(NODE_WITNESS | NODE_BLOOM)
    assert not MayHaveUsefulAddressDB(NODE_NONE)


# -- CAddress ------------------------------------------------------------------------------------

# netbase_tests.cpp's fixture: three loopback addresses probing port, services and time edges.
FIXTURE = [
    CAddress(v1_service(LOOPBACK6, 0), NODE_NONE, 0x4966BC61),
    CAddress(v1_service(LOOPBACK6, 0x00F1), NODE_NETWORK, 0x83766279),
    CAddress(
        v1_service(LOOPBACK6, 0xF1F2),
        NODE_WITNESS | NODE_COMPACT_FILTERS | NODE_NETWORK_LIMITED,
        0xFFFFFFFF,
    ),
]
FIXTURE_V1 = bytes.fromhex(
    "61bc6649" "0000000000000000" "00000000000000000000000000000001" "0000"
    "79627683" "0100000000000000" "00000000000000000000000000000001" "00f1"
    "ffffffff" "4804000000000000" "00000000000000000000000000000001" "f1f2"
)  # fmt: skip
FIXTURE_V2 = bytes.fromhex(
    "61bc6649" "00" "02" "10" "00000000000000000000000000000001" "0000"
    "79627683" "01" "02" "10" "00000000000000000000000000000001" "00f1"
    "ffffffff" "fd4804" "02" "10" "00000000000000000000000000000001" "f1f2"
)  # fmt: skip


def test_caddress_v1_network_serialization_matches_upstream_fixture() -> None:
    assert b"".join(a.serialize(CAddress.V1_NETWORK) for a in FIXTURE) == FIXTURE_V1
    assert b"".join(a.serialize() for a in FIXTURE) == FIXTURE_V1
    s = DataStream(FIXTURE_V1)
    assert [CAddress.deserialize(s, CAddress.V1_NETWORK) for _ in range(3)] == FIXTURE
    assert s.empty()


def test_caddress_v2_network_serialization_matches_upstream_fixture() -> None:
    assert b"".join(a.serialize(CAddress.V2_NETWORK) for a in FIXTURE) == FIXTURE_V2
    s = DataStream(FIXTURE_V2)
    assert [CAddress.deserialize(s, CAddress.V2_NETWORK) for _ in range(3)] == FIXTURE
    assert s.empty()


def test_caddress_v1_ipv4_is_mapped_into_ipv6() -> None:
    mapped = bytes(10) + b"\xff\xff" + bytes([1, 2, 3, 4])
    addr = CAddress(v1_service(mapped, 8333), NODE_NETWORK, 7)
    assert addr.IsIPv4()
    assert addr.serialize(CAddress.V1_NETWORK) == bytes.fromhex(
        "07000000" "0100000000000000" "00000000000000000000ffff01020304" "208d"
    )  # fmt: skip
    assert addr.serialize(CAddress.V2_NETWORK) == bytes.fromhex(
        "07000000" "01" "01" "04" "01020304" "208d"
    )  # fmt: skip


def test_caddress_v2_services_take_the_full_64_bits() -> None:
    raw = bytes.fromhex("00000000ff000000000000008001047f0000010001")
    addr = CAddress.deserialize(DataStream(raw), CAddress.V2_NETWORK)
    assert int(addr.nServices) == 1 << 63
    assert addr.serialize(CAddress.V2_NETWORK) == raw


def test_caddress_v2_rejects_non_canonical_services() -> None:
    raw = bytes.fromhex("00000000fd010001047f0000010001")
    with pytest.raises(SerializationError):
        CAddress.deserialize(DataStream(raw), CAddress.V2_NETWORK)


def test_caddress_disk_formats_carry_a_version_field() -> None:
    addr = FIXTURE[1]
    v1 = addr.serialize(CAddress.V1_DISK)
    assert v1[:4] == (220000).to_bytes(4, "little")
    assert v1[4:] == addr.serialize(CAddress.V1_NETWORK)
    v2 = addr.serialize(CAddress.V2_DISK)
    assert v2[:4] == (220000 | 1 << 29).to_bytes(4, "little")
    assert v2[4:] == addr.serialize(CAddress.V2_NETWORK)
    assert CAddress.deserialize(DataStream(v1), CAddress.V1_DISK) == addr
    # V2_DISK permits either encoding; the stored version decides.
    assert CAddress.deserialize(DataStream(v1), CAddress.V2_DISK) == addr
    assert CAddress.deserialize(DataStream(v2), CAddress.V2_DISK) == addr


def test_caddress_disk_rejects_v2_without_permission_and_unknown_versions() -> None:
    v2 = FIXTURE[1].serialize(CAddress.V2_DISK)
    with pytest.raises(SerializationError, match="Unsupported CAddress disk format version"):
        CAddress.deserialize(DataStream(v2), CAddress.V1_DISK)
    unknown = (1 << 28).to_bytes(4, "little") + v2[4:]
    with pytest.raises(SerializationError, match="Unsupported CAddress disk format version"):
        CAddress.deserialize(DataStream(unknown), CAddress.V2_DISK)
    # The low bits are ignored whatever they hold.
    low_bits = (0x7FFFF).to_bytes(4, "little") + FIXTURE[1].serialize(CAddress.V1_NETWORK)
    assert CAddress.deserialize(DataStream(low_bits), CAddress.V1_DISK) == FIXTURE[1]


def test_caddress_without_time_is_26_bytes() -> None:
    addr = CAddress(v1_service(LOOPBACK6, 8333), NODE_NETWORK)
    raw = addr.serialize_without_time()
    assert raw == bytes.fromhex("010000000000000000000000000000000000000000000001208d")
    back = CAddress.deserialize_without_time(DataStream(raw))
    assert back == addr
    assert back.nTime == CAddress.TIME_INIT


def test_caddress_equality_covers_time_services_and_service() -> None:
    base = FIXTURE[1]
    assert base == CAddress(v1_service(LOOPBACK6, 0x00F1), NODE_NETWORK, 0x83766279)
    assert base != CAddress(v1_service(LOOPBACK6, 0x00F1), NODE_NETWORK, 0x83766278)
    assert base != CAddress(v1_service(LOOPBACK6, 0x00F1), NODE_WITNESS, 0x83766279)
    assert base != CAddress(v1_service(LOOPBACK6, 0x00F2), NODE_NETWORK, 0x83766279)


def test_caddress_defaults_as_upstream() -> None:
    addr = CAddress()
    assert addr.nTime == 100000000
    assert addr.nServices == NODE_NONE
    assert addr.port == 0


def test_caddress_truncated_raises_serialization_error() -> None:
    for params in (CAddress.V1_NETWORK, CAddress.V2_NETWORK, CAddress.V1_DISK, CAddress.V2_DISK):
        raw = FIXTURE[2].serialize(params)
        for n in range(len(raw)):
            with pytest.raises(SerializationError):
                CAddress.deserialize(DataStream(raw[:n]), params)


# -- CInv ----------------------------------------------------------------------------------------

HASH = uint256.FromHex("000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f")


def test_getdatamsg_values_match_the_protocol() -> None:
    assert (MSG_TX, MSG_BLOCK, MSG_FILTERED_BLOCK, MSG_CMPCT_BLOCK, MSG_WTX) == (1, 2, 3, 4, 5)
    assert MSG_WITNESS_FLAG == 0x40000000
    assert MSG_TYPE_MASK == 0x3FFFFFFF
    assert int(MSG_WITNESS_BLOCK) == 0x40000002
    assert int(MSG_WITNESS_TX) == 0x40000001
    assert int(GetDataMsg.UNDEFINED) == 0
    assert int(GetDataMsg.MSG_FILTERED_WITNESS_BLOCK) == 0x40000003


def test_cinv_serialization_is_byte_exact() -> None:
    inv = CInv(MSG_WITNESS_BLOCK, HASH)
    raw = inv.serialize()
    assert raw == bytes.fromhex("02000040") + bytes.fromhex(HASH.GetHex())[::-1]
    assert CInv.deserialize(DataStream(raw)) == inv
    assert CInv().serialize() == bytes(36)


def test_cinv_truncated_raises_serialization_error() -> None:
    raw = CInv(MSG_TX, HASH).serialize()
    for n in range(len(raw)):
        with pytest.raises(SerializationError):
            CInv.deserialize(DataStream(raw[:n]))


@pytest.mark.parametrize(
    ("inv_type", "name"),
    [
        (MSG_TX, "tx"),
        (MSG_WTX, "wtx"),
        (MSG_BLOCK, "block"),
        (MSG_FILTERED_BLOCK, "merkleblock"),
        (MSG_CMPCT_BLOCK, "cmpctblock"),
        (MSG_WITNESS_TX, "witness-tx"),
        (MSG_WITNESS_BLOCK, "witness-block"),
        (MSG_FILTERED_BLOCK | MSG_WITNESS_FLAG, "witness-merkleblock"),
        (0x80000001, "tx"),  # the top bit is outside MSG_TYPE_MASK and ignored, as upstream
    ],
)
def test_cinv_message_type_and_to_string(inv_type: int, name: str) -> None:
    inv = CInv(inv_type, HASH)
    assert inv.GetMessageType() == name
    assert inv.ToString() == f"{name} {HASH.GetHex()}"


@pytest.mark.parametrize("inv_type", [0, 6, 0x80000007, MSG_WITNESS_FLAG])
def test_cinv_unknown_type_formats_as_hex(inv_type: int) -> None:
    inv = CInv(inv_type, HASH)
    with pytest.raises(ValueError, match="unknown type"):
        inv.GetMessageType()
    assert inv.ToString() == f"0x{inv_type:08x} {HASH.GetHex()}"


def test_cinv_predicates() -> None:
    kinds: list[int] = [MSG_TX, MSG_BLOCK, MSG_WTX, MSG_FILTERED_BLOCK, MSG_CMPCT_BLOCK]
    kinds += [MSG_WITNESS_BLOCK, MSG_WITNESS_TX, 0, 99]
    table = {
        t: (
            CInv(t).IsMsgTx(), CInv(t).IsMsgBlk(), CInv(t).IsMsgWtx(), CInv(t).IsMsgFilteredBlk(),
            CInv(t).IsMsgCmpctBlk(), CInv(t).IsMsgWitnessBlk(), CInv(t).IsGenTxMsg(),
            CInv(t).IsGenBlkMsg(),
        )
        for t in kinds
    }  # fmt: skip
    T, F = True, False
    assert table == {
        MSG_TX: (T, F, F, F, F, F, T, F),
        MSG_BLOCK: (F, T, F, F, F, F, F, T),
        MSG_WTX: (F, F, T, F, F, F, T, F),
        MSG_FILTERED_BLOCK: (F, F, F, T, F, F, F, T),
        MSG_CMPCT_BLOCK: (F, F, F, F, T, F, F, T),
        MSG_WITNESS_BLOCK: (F, F, F, F, F, T, F, T),
        MSG_WITNESS_TX: (F, F, F, F, F, F, T, F),
        0: (F, F, F, F, F, F, F, F),
        99: (F, F, F, F, F, F, F, F),
    }


def test_cinv_orders_by_type_then_hash() -> None:
    low, high = uint256.FromInt(1), uint256.FromInt(2)
    assert CInv(MSG_TX, high) < CInv(MSG_BLOCK, low)
    assert CInv(MSG_TX, low) < CInv(MSG_TX, high)
    assert not CInv(MSG_TX, high) < CInv(MSG_TX, high)
    assert sorted([CInv(2, low), CInv(1, high), CInv(1, low)]) == [
        CInv(1, low),
        CInv(1, high),
        CInv(2, low),
    ]


def test_to_gen_txid_tags_wtx_as_wtxid_and_tx_as_txid() -> None:
    assert ToGenTxid(CInv(MSG_TX, HASH)) == GenTxid.Txid(HASH)
    assert ToGenTxid(CInv(MSG_WITNESS_TX, HASH)) == GenTxid.Txid(HASH)
    assert ToGenTxid(CInv(MSG_WTX, HASH)) == GenTxid.Wtxid(HASH)
    with pytest.raises(AssertionError):
        ToGenTxid(CInv(MSG_BLOCK, HASH))
