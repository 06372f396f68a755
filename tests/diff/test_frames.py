"""Wire frames: builders for well-formed and malformed input, and the never-raising decoder."""

from __future__ import annotations

from common.messages import msg_ping, msg_verack
from netsplit.diff import frames
from netsplit.diff.frames import Frame, Garbage, decode_wire

REGTEST_MAGIC = bytes.fromhex("fabfb5da")
PING = frames.frame_message(msg_ping(0x0102030405060708))


def test_frame_message_writes_magic_type_size_checksum_payload() -> None:
    assert (
        REGTEST_MAGIC
        + b"ping"
        + bytes(8)
        + bytes.fromhex("08000000")
        + bytes.fromhex("3b5a7513")
        + bytes.fromhex("0807060504030201")
    ) == PING


def test_decode_wire_splits_consecutive_frames() -> None:
    data = frames.frame_message(msg_verack()) + PING
    assert decode_wire(data) == [
        Frame("verack", b""),
        Frame("ping", bytes.fromhex("0807060504030201")),
    ]
    assert decode_wire(data)[1].text == "msg_ping(nonce=72623859790382856)"


def test_bad_magic_is_garbage_to_the_end() -> None:
    data = frames.bad_magic("ping", bytes(8)) + PING
    items = decode_wire(data)
    assert len(items) == 1
    assert isinstance(items[0], Garbage)
    assert items[0].reason == "wrong magic"
    assert items[0].data == data


def test_bad_checksum_flips_the_first_checksum_byte_and_decoding_goes_on() -> None:
    bad = frames.bad_checksum("ping", bytes(8))
    assert bad[20] == frames.checksum(bytes(8))[0] ^ 0xFF
    assert bad[21:24] == frames.checksum(bytes(8))[1:]
    items = decode_wire(bad + PING)
    assert [type(i) for i in items] == [Garbage, Frame]
    assert isinstance(items[0], Garbage) and items[0].reason == "bad checksum"


def test_oversize_announces_one_byte_over_the_limit_without_payload() -> None:
    data = frames.oversize("block")
    assert len(data) == 24
    assert int.from_bytes(data[16:20], "little") == 4_000_001
    assert decode_wire(data) == [Garbage(data, "partial payload")]


def test_truncated_keeps_a_strict_prefix() -> None:
    assert frames.truncated(PING, 10) == PING[:10]
    assert frames.truncated(PING, 1000) == PING[:-1]
    assert decode_wire(PING[:10]) == [Garbage(PING[:10], "partial header")]


def test_unknown_and_invalid_commands_are_valid_frames_with_odd_types() -> None:
    assert decode_wire(frames.unknown_command("foo", b"ab")) == [Frame("foo", b"ab")]
    items = decode_wire(frames.invalid_command())
    assert items == [Frame("ver\x01sion", b"")]
    assert "<unknown type>" in items[0].text


def test_undecodable_payload_of_a_known_type_renders_its_error() -> None:
    item = decode_wire(frames.frame("ping", b"\x01"))[0]
    assert isinstance(item, Frame)
    assert item.text.startswith("ping <undecodable: ")
    assert item.text.endswith(" 01")
