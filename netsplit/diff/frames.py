"""v1 wire frames: builders for what a peer sends (well-formed and malformed), and a tolerant
decoder for what a node writes.

The builders make the bytes a :class:`~netsplit.diff.scenario.PeerSends` event carries. The
decoder never raises: a node that writes a broken frame is a behaviour to report, not a crash
of the harness, so anything that is not a whole valid frame comes back as a :class:`Garbage`
item with its bytes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from common.chainparams import Params
from common.hash import hash256
from common.messages import NetMessage, decode_message
from common.protocol import CMessageHeader
from common.serialize import SerializationError, ser_u32

HEADER_SIZE: Final = CMessageHeader.HEADER_SIZE
#: net.h's MAX_PROTOCOL_MESSAGE_LENGTH (bytes); a header announcing more is rejected at once.
MAX_PROTOCOL_MESSAGE_LENGTH: Final = 4 * 1000 * 1000


def magic() -> bytes:
    """The regtest network magic every frame starts with."""
    return Params().MessageStart()


def checksum(payload: bytes) -> bytes:
    return hash256(payload)[: CMessageHeader.CHECKSUM_SIZE]


def header(
    msgtype: str | bytes,
    size: int,
    check: bytes,
    start: bytes | None = None,
) -> bytes:
    """A 24-byte header; ``msgtype`` as raw bytes lets a test write any 12 bytes."""
    raw = msgtype.encode("latin-1") if isinstance(msgtype, str) else msgtype
    raw = raw[: CMessageHeader.MESSAGE_TYPE_SIZE].ljust(CMessageHeader.MESSAGE_TYPE_SIZE, b"\0")
    return (magic() if start is None else start) + raw + ser_u32(size) + check


def frame(msgtype: str | bytes, payload: bytes = b"") -> bytes:
    """A well-formed frame of any type and payload."""
    return header(msgtype, len(payload), checksum(payload)) + payload


def frame_message(msg: NetMessage) -> bytes:
    """The frame of a message object from :mod:`common.messages`."""
    return frame(msg.msgtype, msg.serialize())


# -- malformed frames ---------------------------------------------------------------------------


def bad_magic(msgtype: str, payload: bytes = b"", start: bytes = b"\xf9\xbe\xb4\xd9") -> bytes:
    """A frame with another network's magic (mainnet's by default): the node disconnects."""
    return header(msgtype, len(payload), checksum(payload), start) + payload


def bad_checksum(msgtype: str, payload: bytes = b"") -> bytes:
    """A frame whose checksum does not match: the node drops the message and goes on."""
    good = checksum(payload)
    wrong = bytes([good[0] ^ 0xFF]) + good[1:]
    return header(msgtype, len(payload), wrong) + payload


def oversize(msgtype: str, size: int = MAX_PROTOCOL_MESSAGE_LENGTH + 1) -> bytes:
    """A header announcing a payload over the limit (no payload follows): disconnect."""
    return header(msgtype, size, bytes(4))


def truncated(data: bytes, keep: int) -> bytes:
    """The first ``keep`` bytes of ``data``: the node waits for the rest, which never comes."""
    return data[: max(0, min(keep, len(data) - 1))]


def unknown_command(name: str = "foo", payload: bytes = b"") -> bytes:
    """A valid frame of a type nobody knows: ignored."""
    return frame(name, payload)


def invalid_command(payload: bytes = b"") -> bytes:
    """A frame whose type has a non-printable character: the message is dropped."""
    return frame(b"ver\x01sion", payload)


# -- decoding what a node wrote ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Frame:
    """One whole, valid frame: its type, payload, and the decoded message for display."""

    msgtype: str
    payload: bytes

    @property
    def text(self) -> str:
        return render_payload(self.msgtype, self.payload)


@dataclass(frozen=True, slots=True)
class Garbage:
    """Bytes that are not a whole valid frame (bad magic or checksum, or cut short)."""

    data: bytes
    reason: str

    @property
    def text(self) -> str:
        shown = self.data.hex()
        if len(shown) > 96:
            shown = f"{shown[:96]}...({len(self.data)} bytes)"
        return f"<{self.reason}: {shown}>"


WireItem = Frame | Garbage


def render_payload(msgtype: str, payload: bytes) -> str:
    """The message's repr, or why it does not decode; for unknown types, its hex."""
    try:
        msg = decode_message(msgtype, payload)
    except SerializationError as e:
        return f"{msgtype} <undecodable: {e}> {payload.hex()}"
    if msg is None:
        return f"{msgtype!r} <unknown type> {payload.hex()}"
    return repr(msg)


def decode_wire(data: bytes) -> list[WireItem]:
    """Split bytes into frames; the first bad frame and everything after it is garbage (a
    receiver could not resynchronise either)."""
    items: list[WireItem] = []
    pos = 0
    start = magic()
    while pos < len(data):
        rest = data[pos:]
        if len(rest) < HEADER_SIZE:
            items.append(Garbage(rest, "partial header"))
            break
        if rest[:4] != start:
            items.append(Garbage(rest, "wrong magic"))
            break
        raw_type = rest[4:16]
        size = int.from_bytes(rest[16:20], "little")
        check = rest[20:24]
        if len(rest) < HEADER_SIZE + size:
            items.append(Garbage(rest, "partial payload"))
            break
        payload = rest[HEADER_SIZE : HEADER_SIZE + size]
        if checksum(payload) != check:
            items.append(Garbage(rest[: HEADER_SIZE + size], "bad checksum"))
        else:
            items.append(Frame(raw_type.split(b"\0", 1)[0].decode("latin-1"), payload))
        pos += HEADER_SIZE + size
    return items


def describe_sent(data: bytes) -> list[str]:
    """What a PeerSends event carries, one line per frame, for reports."""
    lines = []
    for item in decode_wire(data):
        lines.append(item.text)
    return lines
