from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from common.serialize import (
    MAX_SIZE,
    DataStream,
    SerializationError,
    ser_bytes,
    ser_compact_size,
    ser_i64,
    ser_u16,
    ser_u32,
    ser_u64,
)
from common.uint256 import uint256


@pytest.mark.parametrize(
    ("n", "encoded"),
    [
        (0, "00"),
        (252, "fc"),
        (253, "fdfd00"),
        (0xFFFF, "fdffff"),
        (0x10000, "fe00000100"),
        (0xFFFFFFFF, "feffffffff"),
        (0x100000000, "ff0000000001000000"),
    ],
)
def test_compactsize_encodes_at_each_width_boundary(n: int, encoded: str) -> None:
    assert ser_compact_size(n).hex() == encoded
    assert DataStream(bytes.fromhex(encoded)).ReadCompactSize(range_check=False) == n


@pytest.mark.parametrize("encoded", ["fdfc00", "feffff0000", "ffffffffff00000000"])
def test_compactsize_rejects_non_canonical_encoding(encoded: str) -> None:
    with pytest.raises(SerializationError, match="non-canonical"):
        DataStream(bytes.fromhex(encoded)).ReadCompactSize()


def test_compactsize_over_max_size_is_rejected_unless_range_check_is_off() -> None:
    data = ser_compact_size(MAX_SIZE + 1)
    with pytest.raises(SerializationError, match="size too large"):
        DataStream(data).ReadCompactSize()
    assert DataStream(data).ReadCompactSize(range_check=False) == MAX_SIZE + 1


def test_integers_are_little_endian() -> None:
    assert ser_u16(0x0102).hex() == "0201"
    assert ser_u32(0x01020304).hex() == "04030201"
    assert ser_u64(1).hex() == "0100000000000000"
    assert ser_i64(-1).hex() == "ffffffffffffffff"
    s = DataStream(bytes.fromhex("040302010100000000000000ffffffffffffffff"))
    assert s.read_u32() == 0x01020304
    assert s.read_u64() == 1
    assert s.read_i64() == -1
    assert s.empty()


def test_truncated_reads_raise_serialization_error_with_context() -> None:
    s = DataStream(b"\x01\x02")
    with pytest.raises(SerializationError, match="wanted 4 bytes, 2 left"):
        s.read_u32()


def test_vector_count_larger_than_payload_is_rejected_before_reading() -> None:
    with pytest.raises(SerializationError, match="vector of 1000 elements in 2 bytes"):
        DataStream(ser_compact_size(1000) + b"\x00\x00").read_vector(lambda s: s.read_u8())


def test_uint256_hex_is_byte_reversed() -> None:
    h = uint256.FromHex("00" * 31 + "01")
    assert h.data == b"\x01" + b"\x00" * 31
    assert int(h) == 1
    assert h.GetHex() == "00" * 31 + "01"
    # Ordering is memcmp over the stored bytes, as upstream's operator<, not numeric.
    assert uint256.FromInt(256) < uint256.FromInt(1)
    assert uint256.FromInt(1) < uint256.FromInt(2)


@given(st.binary(max_size=300))
def test_byte_vectors_round_trip(b: bytes) -> None:
    s = DataStream(ser_bytes(b))
    assert s.read_bytes() == b
    assert s.empty()


@given(st.integers(min_value=0, max_value=2**64 - 1))
def test_compactsize_round_trips(n: int) -> None:
    assert DataStream(ser_compact_size(n)).ReadCompactSize(range_check=False) == n
