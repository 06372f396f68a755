"""common.messages: byte-exact payloads, round trips for all 35 types, and malformed input."""

from __future__ import annotations

import contextlib
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from common.messages import (
    MAX_SUBVERSION_LENGTH,
    MESSAGE_CLASSES,
    BlockTransactions,
    BlockTransactionsRequest,
    CBlockHeaderAndShortTxIDs,
    CMerkleBlock,
    CPartialMerkleTree,
    NetMessage,
    PrefilledTransaction,
    decode_message,
    msg_addr,
    msg_addrv2,
    msg_block,
    msg_blocktxn,
    msg_cfcheckpt,
    msg_cfheaders,
    msg_cfilter,
    msg_cmpctblock,
    msg_feefilter,
    msg_filteradd,
    msg_filterclear,
    msg_filterload,
    msg_getaddr,
    msg_getblocks,
    msg_getblocktxn,
    msg_getcfcheckpt,
    msg_getcfheaders,
    msg_getcfilters,
    msg_getdata,
    msg_getheaders,
    msg_headers,
    msg_inv,
    msg_mempool,
    msg_merkleblock,
    msg_notfound,
    msg_ping,
    msg_pong,
    msg_sendaddrv2,
    msg_sendcmpct,
    msg_sendheaders,
    msg_sendtxrcncl,
    msg_tx,
    msg_verack,
    msg_version,
    msg_wtxidrelay,
)
from common.netaddress import CNetAddr, CService
from common.primitives.block import CBlock, CBlockHeader, CBlockLocator
from common.primitives.transaction import COutPoint, CTransaction, CTxIn, CTxOut
from common.protocol import (
    ALL_NET_MESSAGE_TYPES,
    MSG_BLOCK,
    MSG_TX,
    NODE_NETWORK,
    NODE_NONE,
    CAddress,
    CInv,
    ServiceFlags,
)
from common.serialize import DataStream, SerializationError, ser_compact_size
from common.uint256 import uint256

# -- strategies ----------------------------------------------------------------------------------

u8 = st.integers(0, 0xFF)
u32 = st.integers(0, 0xFFFFFFFF)
u64 = st.integers(0, 0xFFFFFFFFFFFFFFFF)
i32 = st.integers(-(1 << 31), (1 << 31) - 1)
i64 = st.integers(-(1 << 63), (1 << 63) - 1)
hashes = st.binary(min_size=32, max_size=32).map(uint256)
small_bytes = st.binary(max_size=40)
services = u64.map(ServiceFlags)

# Plain IPv4 (mapped into IPv6) and global IPv6 round-trip through both encodings; the special
# IPv6 prefixes (Tor v2, internal, IPv4-mapped) are netaddress's business.
ipv4_v1 = st.binary(min_size=4, max_size=4).map(lambda b: bytes(10) + b"\xff\xff" + b)
ipv6_v1 = st.binary(min_size=15, max_size=15).map(lambda b: b"\x20" + b)
v1_addrs = st.one_of(ipv4_v1, ipv6_v1).map(CNetAddr.UnserializeV1Array)
v2_addrs = st.one_of(
    st.binary(min_size=4, max_size=4).map(lambda b: b"\x01\x04" + b),
    st.binary(min_size=15, max_size=15).map(lambda b: b"\x02\x10\x20" + b),
    st.binary(min_size=32, max_size=32).map(lambda b: b"\x04\x20" + b),
    st.binary(min_size=32, max_size=32).map(lambda b: b"\x05\x20" + b),
    st.binary(min_size=15, max_size=15).map(lambda b: b"\x06\x10\xfc" + b),
).map(lambda raw: CNetAddr.UnserializeV2Stream(DataStream(raw)))


def caddresses(
    addrs: st.SearchStrategy[CNetAddr], times: st.SearchStrategy[int]
) -> st.SearchStrategy[CAddress]:
    return st.builds(
        lambda a, port, serv, t: CAddress(CService(a, port), serv, t),
        addrs, st.integers(0, 0xFFFF), services, times,
    )  # fmt: skip


v1_caddresses = caddresses(v1_addrs, u32)
v2_caddresses = caddresses(v2_addrs, u32)
version_caddresses = caddresses(v1_addrs, st.just(CAddress.TIME_INIT))

witness_stacks = st.lists(small_bytes, max_size=3).map(tuple)
txins = st.builds(
    lambda h, n, script, seq, wit: CTxIn(COutPoint(h, n), script, seq, wit),
    hashes, u32, small_bytes, u32, witness_stacks,
)  # fmt: skip
txouts = st.builds(CTxOut, i64, small_bytes)
# At least one input: an empty vin reads as the segwit marker, upstream as here.
transactions = st.builds(
    lambda vin, vout, lock, ver: CTransaction(vin, vout, lock, ver),
    st.lists(txins, min_size=1, max_size=2), st.lists(txouts, max_size=2), u32, u32,
)  # fmt: skip
headers = st.builds(CBlockHeader, i32, hashes, hashes, u32, u32, u32)
blocks = st.builds(
    lambda h, vtx: CBlock(h.nVersion, h.hashPrevBlock, h.hashMerkleRoot, h.nTime, h.nBits,
                          h.nNonce, vtx),
    headers, st.lists(transactions, max_size=2),
)  # fmt: skip
locators = st.lists(hashes, max_size=4).map(CBlockLocator)
invs = st.builds(CInv, u32, hashes)


def unpack_bits(packed: bytes) -> list[bool]:
    return [bool(packed[i // 8] >> (i % 8) & 1) for i in range(len(packed) * 8)]


merkleblocks = st.builds(
    lambda h, n, vh, packed: CMerkleBlock(h, CPartialMerkleTree(n, vh, unpack_bits(packed))),
    headers, u32, st.lists(hashes, max_size=3), st.binary(max_size=4),
)  # fmt: skip
cmpctblocks = st.builds(
    CBlockHeaderAndShortTxIDs,
    headers,
    u64,
    st.lists(st.integers(0, (1 << 48) - 1), max_size=5),
    st.lists(st.builds(PrefilledTransaction, st.integers(0, 0xFFFF), transactions), max_size=2),
)
blocktxn_requests = st.builds(
    BlockTransactionsRequest, hashes, st.sets(st.integers(0, 0xFFFF), max_size=6).map(sorted)
)


@st.composite
def versions(draw: st.DrawFn) -> msg_version:
    msg = msg_version(
        draw(i32), draw(services), draw(i64), draw(version_caddresses),
        draw(version_caddresses), draw(u64),
        draw(st.binary(max_size=MAX_SUBVERSION_LENGTH)).decode("utf-8", "surrogateescape"),
        draw(i32), draw(st.booleans()),
    )  # fmt: skip
    # Cut the optional tail at a random point: everything from there on is absent.
    cut = draw(st.integers(0, 4))
    if cut <= 0:
        msg.addrFrom = msg.nNonce = None
    if cut <= 1:
        msg.strSubVer = None
    if cut <= 2:
        msg.nStartingHeight = None
    if cut <= 3:
        msg.relay = None
    return msg


STRATEGIES: dict[str, st.SearchStrategy[NetMessage]] = {
    "version": versions(),
    "verack": st.just(msg_verack()),
    "addr": st.lists(v1_caddresses, max_size=3).map(msg_addr),
    "addrv2": st.lists(v2_caddresses, max_size=3).map(msg_addrv2),
    "sendaddrv2": st.just(msg_sendaddrv2()),
    "inv": st.lists(invs, max_size=4).map(msg_inv),
    "getdata": st.lists(invs, max_size=4).map(msg_getdata),
    "merkleblock": merkleblocks.map(msg_merkleblock),
    "getblocks": st.builds(msg_getblocks, locators, hashes),
    "getheaders": st.builds(msg_getheaders, locators, hashes),
    "tx": transactions.map(msg_tx),
    "headers": st.lists(headers, max_size=3).map(msg_headers),
    "block": blocks.map(msg_block),
    "getaddr": st.just(msg_getaddr()),
    "mempool": st.just(msg_mempool()),
    "ping": u64.map(msg_ping),
    "pong": st.one_of(st.none(), u64).map(msg_pong),
    "notfound": st.lists(invs, max_size=4).map(msg_notfound),
    "filterload": st.builds(msg_filterload, small_bytes, u32, u32, u8),
    "filteradd": small_bytes.map(msg_filteradd),
    "filterclear": st.just(msg_filterclear()),
    "sendheaders": st.just(msg_sendheaders()),
    "feefilter": i64.map(msg_feefilter),
    "sendcmpct": st.builds(msg_sendcmpct, st.booleans(), u64),
    "cmpctblock": cmpctblocks.map(msg_cmpctblock),
    "getblocktxn": blocktxn_requests.map(msg_getblocktxn),
    "blocktxn": st.builds(BlockTransactions, hashes, st.lists(transactions, max_size=2)).map(
        msg_blocktxn
    ),
    "getcfilters": st.builds(msg_getcfilters, u8, u32, hashes),
    "cfilter": st.builds(msg_cfilter, u8, hashes, small_bytes),
    "getcfheaders": st.builds(msg_getcfheaders, u8, u32, hashes),
    "cfheaders": st.builds(msg_cfheaders, u8, hashes, hashes, st.lists(hashes, max_size=3)),
    "getcfcheckpt": st.builds(msg_getcfcheckpt, u8, hashes),
    "cfcheckpt": st.builds(msg_cfcheckpt, u8, hashes, st.lists(hashes, max_size=3)),
    "wtxidrelay": st.just(msg_wtxidrelay()),
    "sendtxrcncl": st.builds(msg_sendtxrcncl, u32, u64),
}

# -- fixed examples, one per type, with every field set ----------------------------------------

H1 = uint256.FromHex("11" * 32)
H2 = uint256.FromHex("22" * 32)
TX = CTransaction(
    [CTxIn(COutPoint(H1, 3), b"\x51", 0xFFFFFFFE, (b"\x01\x02", b""))], [CTxOut(5000, b"\x6a")], 9
)
HEADER = CBlockHeader(4, H1, H2, 1296688602, 0x207FFFFF, 2)


def v1_service(addr16: bytes, port: int) -> CService:
    return CService(CNetAddr.UnserializeV1Array(addr16), port)


IPV4_127_0_0_1 = bytes(10) + b"\xff\xff\x7f\x00\x00\x01"
ADDR = CAddress(v1_service(IPV4_127_0_0_1, 18444), NODE_NETWORK, 1700000000)

VERSION = msg_version(
    70016, NODE_NETWORK, 1700000000, CAddress(v1_service(IPV4_127_0_0_1, 18444)),
    CAddress(v1_service(IPV4_127_0_0_1, 18445)), 42, "/netsplit:0.1/", 7, False,
)  # fmt: skip

EXAMPLES: dict[str, NetMessage] = {
    "version": VERSION,
    "verack": msg_verack(),
    "addr": msg_addr([ADDR, ADDR]),
    "addrv2": msg_addrv2([ADDR]),
    "sendaddrv2": msg_sendaddrv2(),
    "inv": msg_inv([CInv(MSG_TX, H1), CInv(MSG_BLOCK, H2)]),
    "getdata": msg_getdata([CInv(MSG_TX, H1)]),
    "merkleblock": msg_merkleblock(
        CMerkleBlock(HEADER, CPartialMerkleTree(3, [H1, H2], [True, False] * 4))
    ),
    "getblocks": msg_getblocks(CBlockLocator([H1, H2]), H2),
    "getheaders": msg_getheaders(CBlockLocator([H1]), H1),
    "tx": msg_tx(TX),
    "headers": msg_headers([HEADER, HEADER]),
    "block": msg_block(
        CBlock(HEADER.nVersion, H1, H2, HEADER.nTime, HEADER.nBits, HEADER.nNonce, [TX])
    ),
    "getaddr": msg_getaddr(),
    "mempool": msg_mempool(),
    "ping": msg_ping(0x0102030405060708),
    "pong": msg_pong(0x0102030405060708),
    "notfound": msg_notfound([CInv(MSG_TX, H1)]),
    "filterload": msg_filterload(b"\xaa\xbb", 11, 0xDEADBEEF, 1),
    "filteradd": msg_filteradd(b"\x01\x02\x03"),
    "filterclear": msg_filterclear(),
    "sendheaders": msg_sendheaders(),
    "feefilter": msg_feefilter(1000),
    "sendcmpct": msg_sendcmpct(True, 2),
    "cmpctblock": msg_cmpctblock(
        CBlockHeaderAndShortTxIDs(HEADER, 77, [1, (1 << 48) - 1], [PrefilledTransaction(0, TX)])
    ),
    "getblocktxn": msg_getblocktxn(BlockTransactionsRequest(H1, [0, 1, 3, 4])),
    "blocktxn": msg_blocktxn(BlockTransactions(H1, [TX])),
    "getcfilters": msg_getcfilters(0, 100, H1),
    "cfilter": msg_cfilter(0, H1, b"\x01\x02"),
    "getcfheaders": msg_getcfheaders(0, 100, H1),
    "cfheaders": msg_cfheaders(0, H1, H2, [H1, H2]),
    "getcfcheckpt": msg_getcfcheckpt(0, H1),
    "cfcheckpt": msg_cfcheckpt(0, H1, [H2]),
    "wtxidrelay": msg_wtxidrelay(),
    "sendtxrcncl": msg_sendtxrcncl(1, 0x1122334455667788),
}


# -- the table -----------------------------------------------------------------------------------


def test_message_classes_cover_all_net_message_types_in_order() -> None:
    assert tuple(MESSAGE_CLASSES) == ALL_NET_MESSAGE_TYPES
    assert set(STRATEGIES) == set(ALL_NET_MESSAGE_TYPES)
    assert set(EXAMPLES) == set(ALL_NET_MESSAGE_TYPES)
    for msgtype, cls in MESSAGE_CLASSES.items():
        assert cls.msgtype == msgtype
        assert cls.__name__ == f"msg_{msgtype}"


@pytest.mark.parametrize("msgtype", ALL_NET_MESSAGE_TYPES)
def test_message_objects_have_slots_only(msgtype: str) -> None:
    msg = EXAMPLES[msgtype]
    assert not hasattr(msg, "__dict__")
    with pytest.raises(AttributeError):
        msg.not_a_field = 1  # type: ignore[attr-defined]


def test_decode_message_dispatches_by_type_and_ignores_unknown_types() -> None:
    assert decode_message("ping", bytes(8)) == msg_ping(0)
    assert decode_message("verack", b"") == msg_verack()
    assert decode_message("feature", b"\x01") is None
    assert decode_message("VERSION", b"") is None


def test_repr_shows_fields() -> None:
    assert repr(msg_ping(5)) == "msg_ping(nonce=5)"
    assert repr(msg_sendtxrcncl(1, 2)) == "msg_sendtxrcncl(version=1, salt=2)"
    assert repr(msg_verack()) == "msg_verack()"
    assert repr(msg_inv([CInv(MSG_TX, H1)])) == f"msg_inv(inv=[CInv(tx {H1.GetHex()})])"


def test_equality_is_by_type_and_fields() -> None:
    assert msg_ping(1) == msg_ping(1)
    assert msg_ping(1) != msg_ping(2)
    ping: NetMessage = msg_ping(1)
    verack: NetMessage = msg_verack()
    assert ping != msg_pong(1)
    assert verack != msg_sendheaders()


# -- byte-exact vectors --------------------------------------------------------------------------

# The version message of the Bitcoin developer reference (Satoshi 0.9.3, protocol 70002).
REFERENCE_VERSION = bytes.fromhex(
    "72110100" "0100000000000000" "bc8f5e5400000000"
    "0100000000000000" "00000000000000000000ffffc61b6409" "208d"
    "0100000000000000" "00000000000000000000ffffcb0071c0" "208d"
    "128035cbc97953f8" "0f" "2f5361746f7368693a302e392e332f" "cf050500" "01"
)  # fmt: skip


def test_reference_version_message_decodes_and_reencodes_byte_exact() -> None:
    msg = msg_version.deserialize(REFERENCE_VERSION)
    assert msg.nVersion == 70002
    assert msg.nServices == NODE_NETWORK
    assert msg.nTime == 1415483324
    assert msg.addrTo.ToStringAddrPort() == "198.27.100.9:8333"
    assert msg.addrTo.nServices == NODE_NETWORK
    assert msg.addrFrom is not None
    assert msg.addrFrom.ToStringAddrPort() == "203.0.113.192:8333"
    assert msg.nNonce == 0xF85379C9CB358012
    assert msg.strSubVer == "/Satoshi:0.9.3/"
    assert msg.nStartingHeight == 329167
    assert msg.relay is True
    assert msg.serialize() == REFERENCE_VERSION


def test_version_optional_fields_are_absent_when_the_payload_ends() -> None:
    msg = msg_version.deserialize(REFERENCE_VERSION[:46])
    assert (msg.addrFrom, msg.nNonce, msg.strSubVer, msg.nStartingHeight, msg.relay) == (
        None, None, None, None, None,
    )  # fmt: skip
    assert msg.serialize() == REFERENCE_VERSION[:46]
    msg = msg_version.deserialize(REFERENCE_VERSION[:-1])
    assert msg.nStartingHeight == 329167
    assert msg.relay is None
    assert msg.serialize() == REFERENCE_VERSION[:-1]


def test_version_serialize_stops_at_the_first_absent_field() -> None:
    msg = msg_version.deserialize(REFERENCE_VERSION)
    msg.strSubVer = None
    assert msg.serialize() == REFERENCE_VERSION[:80]
    msg.nNonce = None
    assert msg.serialize() == REFERENCE_VERSION[:46]


def test_version_user_agent_is_limited_to_256_bytes() -> None:
    head = REFERENCE_VERSION[:80]
    at_limit = head + ser_compact_size(256) + b"a" * 256
    assert msg_version.deserialize(at_limit).strSubVer == "a" * 256
    over = head + ser_compact_size(257) + b"a" * 257
    with pytest.raises(SerializationError, match="String length limit exceeded"):
        msg_version.deserialize(over)


def test_version_user_agent_keeps_non_utf8_bytes() -> None:
    raw = REFERENCE_VERSION[:80] + b"\x03\xff\xfe/"
    msg = msg_version.deserialize(raw)
    assert msg.serialize() == raw


def test_version_relay_is_true_for_any_non_zero_byte() -> None:
    assert msg_version.deserialize(REFERENCE_VERSION[:-1] + b"\x02").relay is True
    assert msg_version.deserialize(REFERENCE_VERSION[:-1] + b"\x00").relay is False


PAYLOAD_VECTORS: list[tuple[NetMessage, str]] = [
    (msg_ping(0x0102030405060708), "0807060504030201"),
    (msg_pong(1), "0100000000000000"),
    (msg_pong(None), ""),
    (msg_sendcmpct(True, 2), "01" "0200000000000000"),
    (msg_feefilter(1000), "e803000000000000"),
    (msg_feefilter(-1), "ffffffffffffffff"),
    (msg_sendtxrcncl(1, 0x1122334455667788), "01000000" "8877665544332211"),
    (msg_filterload(b"\xaa\xbb", 11, 0xDEADBEEF, 1), "02aabb" "0b000000" "efbeadde" "01"),
    (msg_filteradd(b"\x01\x02\x03"), "03010203"),
    (msg_inv([CInv(MSG_TX, H1)]), "01" "01000000" + "11" * 32),
    (msg_notfound([]), "00"),
    (msg_getcfilters(0, 100, H1), "00" "64000000" + "11" * 32),
    (msg_getcfcheckpt(0, H2), "00" + "22" * 32),
    (msg_cfilter(0, H1, b"\x01\x02"), "00" + "11" * 32 + "020102"),
    (msg_cfheaders(0, H1, H2, [H1]), "00" + "11" * 32 + "22" * 32 + "01" + "11" * 32),
    (msg_cfcheckpt(0, H1, []), "00" + "11" * 32 + "00"),
    (msg_getheaders(CBlockLocator([H1]), H2), "80110100" "01" + "11" * 32 + "22" * 32),
    (msg_getblocktxn(BlockTransactionsRequest(H1, [0, 1, 3, 4])), "11" * 32 + "04" "00000100"),
    (msg_getblocktxn(BlockTransactionsRequest(H1, [0xFFFF])), "11" * 32 + "01" "fdffff"),
    (msg_verack(), ""),
    (msg_wtxidrelay(), ""),
]  # fmt: skip


@pytest.mark.parametrize(("msg", "hex_payload"), PAYLOAD_VECTORS)
def test_payload_is_byte_exact(msg: NetMessage, hex_payload: str) -> None:
    raw = bytes.fromhex(hex_payload)
    assert msg.serialize() == raw
    assert type(msg).deserialize(raw) == msg


def test_addr_and_addrv2_match_upstream_netbase_fixture() -> None:
    loopback = bytes(15) + b"\x01"
    addrs = [
        CAddress(v1_service(loopback, 0), NODE_NONE, 0x4966BC61),
        CAddress(v1_service(loopback, 0x00F1), NODE_NETWORK, 0x83766279),
        CAddress(v1_service(loopback, 0xF1F2), ServiceFlags(0x448), 0xFFFFFFFF),
    ]
    v1 = bytes.fromhex(
        "03"
        "61bc6649" "0000000000000000" "00000000000000000000000000000001" "0000"
        "79627683" "0100000000000000" "00000000000000000000000000000001" "00f1"
        "ffffffff" "4804000000000000" "00000000000000000000000000000001" "f1f2"
    )  # fmt: skip
    v2 = bytes.fromhex(
        "03"
        "61bc6649" "00" "02" "10" "00000000000000000000000000000001" "0000"
        "79627683" "01" "02" "10" "00000000000000000000000000000001" "00f1"
        "ffffffff" "fd4804" "02" "10" "00000000000000000000000000000001" "f1f2"
    )  # fmt: skip
    assert msg_addr(addrs).serialize() == v1
    assert msg_addr.deserialize(v1) == msg_addr(addrs)
    assert msg_addrv2(addrs).serialize() == v2
    assert msg_addrv2.deserialize(v2) == msg_addrv2(addrs)


def test_headers_write_a_zero_transaction_count_and_ignore_it_on_read() -> None:
    raw = msg_headers([HEADER]).serialize()
    assert raw == b"\x01" + HEADER.serialize_header() + b"\x00"
    with_count = b"\x01" + HEADER.serialize_header() + b"\xfd\xe8\x03"
    assert msg_headers.deserialize(with_count) == msg_headers([HEADER])
    with pytest.raises(SerializationError):
        # The ignored count is still a CompactSize, range checked as upstream's ReadCompactSize.
        msg_headers.deserialize(b"\x01" + HEADER.serialize_header() + b"\xfe\x00\x00\x00\x04")


def test_cmpctblock_layout_is_byte_exact() -> None:
    msg = EXAMPLES["cmpctblock"]
    assert msg.serialize() == (
        HEADER.serialize_header()
        + (77).to_bytes(8, "little")
        + b"\x02" + bytes.fromhex("010000000000") + b"\xff" * 6
        + b"\x01" + b"\x00" + TX.serialize(with_witness=True)
    )  # fmt: skip


def test_merkleblock_bits_are_packed_least_significant_first() -> None:
    tree = CPartialMerkleTree(3, [H1], [True, False, True])
    raw = tree.serialize()
    assert raw == bytes.fromhex("03000000" "01") + H1.data + bytes.fromhex("01" "05")  # fmt: skip
    back = CPartialMerkleTree.deserialize(DataStream(raw))
    assert back.vBits == [True, False, True, False, False, False, False, False]


# -- upstream's limits: what decoding rejects and what it leaves to ProcessMessage ---------------


def test_inv_getdata_notfound_decode_more_than_max_inv_sz() -> None:
    payload = ser_compact_size(50001) + CInv(MSG_TX, H1).serialize() * 50001
    for cls in (msg_inv, msg_getdata, msg_notfound):
        assert len(cls.deserialize(payload).serialize()) == len(payload)


def test_addr_decodes_more_than_max_addr_to_send() -> None:
    payload = ser_compact_size(1001) + ADDR.serialize(CAddress.V1_NETWORK) * 1001
    assert len(msg_addr.deserialize(payload).addrs) == 1001


def test_headers_decode_more_than_2000_and_read_count_reads_only_the_count() -> None:
    payload = msg_headers([HEADER] * 2001).serialize()
    assert len(msg_headers.deserialize(payload).headers) == 2001
    assert msg_headers.read_count(ser_compact_size(5000)) == 5000
    with pytest.raises(SerializationError):
        msg_headers.deserialize(ser_compact_size(5000))


def test_getblocktxn_rejects_index_overflow_like_upstream() -> None:
    # blockencodings_tests' TransactionsRequestDeserializationOverflowTest.
    raw = H1.data + b"\x03" + ser_compact_size(0x7000) + ser_compact_size(0x10000 - 0x7000 - 2)
    with pytest.raises(SerializationError, match="differential value overflow"):
        msg_getblocktxn.deserialize(raw + b"\x00")
    with pytest.raises(SerializationError, match="differential value overflow"):
        msg_getblocktxn.deserialize(H1.data + b"\x01" + ser_compact_size(0x10000))


def test_getblocktxn_serialize_rejects_unordered_indexes() -> None:
    for indexes in ([1, 1], [3, 2]):
        with pytest.raises(SerializationError, match="differential value overflow"):
            BlockTransactionsRequest(H1, indexes).serialize()


def test_cmpctblock_rejects_prefilled_index_above_uint16() -> None:
    raw = (
        HEADER.serialize_header() + bytes(8) + b"\x00"
        + b"\x01" + ser_compact_size(0x10000) + TX.serialize()
    )  # fmt: skip
    with pytest.raises(SerializationError, match="CompactSize exceeds limit of type"):
        msg_cmpctblock.deserialize(raw)


def test_cmpctblock_rejects_more_than_65535_transactions() -> None:
    head = HEADER.serialize_header() + bytes(8)
    ok = head + ser_compact_size(0xFFFF) + bytes(6 * 0xFFFF) + b"\x00"
    assert msg_cmpctblock.deserialize(ok).header_and_shortids.BlockTxCount() == 0xFFFF
    over = head + ser_compact_size(0xFFFF) + bytes(6 * 0xFFFF)
    over += b"\x01\x00" + TX.serialize()
    with pytest.raises(SerializationError, match="indexes overflowed 16 bits"):
        msg_cmpctblock.deserialize(over)


def test_cmpctblock_serialize_rejects_short_ids_over_48_bits() -> None:
    with pytest.raises(SerializationError):
        CBlockHeaderAndShortTxIDs(HEADER, 0, [1 << 48]).serialize()


def test_pong_shorter_than_a_nonce_is_not_an_error() -> None:
    for n in range(8):
        assert msg_pong.deserialize(bytes(n)) == msg_pong(None)


def test_sendcmpct_announce_is_true_for_any_non_zero_byte() -> None:
    assert msg_sendcmpct.deserialize(b"\x02" + bytes(8)) == msg_sendcmpct(True, 0)


def test_addrv2_rejects_addresses_longer_than_512_bytes() -> None:
    raw = b"\x01" + bytes(4) + b"\x00" + b"\x07" + ser_compact_size(513) + bytes(513) + bytes(2)
    with pytest.raises(SerializationError):
        msg_addrv2.deserialize(raw)


def test_tx_with_superfluous_witness_marker_is_rejected() -> None:
    # version, segwit marker and flag, one input with no script, no outputs, an empty witness.
    raw = bytes.fromhex("02000000" "0001" "01") + bytes(36)  # fmt: skip
    raw += bytes.fromhex("00" "ffffffff" "00" "00" "00000000")  # fmt: skip
    with pytest.raises(SerializationError, match="Superfluous witness record"):
        msg_tx.deserialize(raw)


# -- every type: round trips, trailing bytes, truncation, garbage ------------------------------


@pytest.mark.parametrize("msgtype", ALL_NET_MESSAGE_TYPES)
@given(data=st.data())
def test_round_trip_is_identity_and_byte_exact(msgtype: str, data: st.DataObject) -> None:
    msg = data.draw(STRATEGIES[msgtype])
    raw = msg.serialize()
    back = MESSAGE_CLASSES[msgtype].deserialize(raw)
    assert back == msg
    assert back.serialize() == raw


@pytest.mark.parametrize("msgtype", ALL_NET_MESSAGE_TYPES)
def test_trailing_bytes_after_a_complete_payload_are_ignored(msgtype: str) -> None:
    msg = EXAMPLES[msgtype]
    assert MESSAGE_CLASSES[msgtype].deserialize(msg.serialize() + b"\xde\xad\xbe\xef") == msg


def _tolerated_prefixes(msgtype: str, raw: bytes) -> set[int]:
    """Prefix lengths upstream reads without error: where an optional field may end."""
    if msgtype == "version":
        subver = 1 + len("/netsplit:0.1/")
        return {46, 80, 80 + subver, 80 + subver + 4}
    if msgtype == "pong":
        return set(range(8))
    return set()


@pytest.mark.parametrize("msgtype", ALL_NET_MESSAGE_TYPES)
def test_every_truncation_raises_serialization_error(msgtype: str) -> None:
    cls = MESSAGE_CLASSES[msgtype]
    raw = EXAMPLES[msgtype].serialize()
    tolerated = _tolerated_prefixes(msgtype, raw)
    for n in range(len(raw)):
        if n in tolerated:
            assert cls.deserialize(raw[:n]).serialize() == raw[:n] or msgtype == "pong"
        else:
            with pytest.raises(SerializationError):
                cls.deserialize(raw[:n])


def _decode_or_serialization_error(decode: Callable[[bytes], object], raw: bytes) -> None:
    with contextlib.suppress(SerializationError):
        decode(raw)


@pytest.mark.parametrize("msgtype", ALL_NET_MESSAGE_TYPES)
@given(raw=st.binary(max_size=200))
def test_random_bytes_raise_nothing_but_serialization_error(msgtype: str, raw: bytes) -> None:
    _decode_or_serialization_error(MESSAGE_CLASSES[msgtype].deserialize, raw)


@given(
    msgtype=st.sampled_from(ALL_NET_MESSAGE_TYPES),
    data=st.data(),
    edits=st.lists(
        st.tuples(st.integers(0, 10_000), u8, st.integers(0, 2)),
        min_size=1,
        max_size=4,
    ),
)
def test_mutated_payloads_raise_nothing_but_serialization_error(
    msgtype: str, data: st.DataObject, edits: list[tuple[int, int, int]]
) -> None:
    raw = bytearray(data.draw(STRATEGIES[msgtype]).serialize())
    for pos, byte, op in edits:
        at = pos % (len(raw) + 1)
        if op == 0 and at < len(raw):
            raw[at] = byte
        elif op == 1:
            raw.insert(at, byte)
        elif at < len(raw):
            del raw[at]
    _decode_or_serialization_error(MESSAGE_CLASSES[msgtype].deserialize, bytes(raw))
