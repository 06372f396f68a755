"""Fuzz targets, in the manner of upstream's src/test/fuzz/ (p2p_transport_serialization.cpp,
process_message.cpp): each takes one raw fuzz input and the name of a node variant, and raises
:class:`FuzzFinding` when an invariant fails or an exception escapes that should not.

The same functions run under hypothesis (tests/netsplit/test_fuzz_targets.py), under atheris
(``netsplit fuzz``) and when saved inputs are replayed.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Iterator
from typing import Any, Final

from common.chainparams import Params
from common.connection_types import ConnectionType
from common.hash import hash256
from common.logging import BCLog, LogInstance
from common.messages import decode_message, msg_ping, msg_pong
from common.net_permissions import NetPermissionFlags
from common.nodeid import NodeId
from common.protocol import (
    ALL_NET_MESSAGE_TYPES,
    NODE_NETWORK,
    NODE_NETWORK_LIMITED,
    NODE_WITNESS,
    CMessageHeader,
    ServiceFlags,
)
from common.serialize import DataStream, SerializationError
from netsplit.diff import directed, frames
from netsplit.diff.adapter import MAX_SETTLE_ROUNDS
from netsplit.diff.driver import run_scenario
from netsplit.diff.frames import Frame
from netsplit.diff.scenario import (
    ClockAdvances,
    Event,
    MineBlocks,
    PeerConnects,
    PeerLabel,
    PeerSends,
    Scenario,
)
from netsplit.diff.trace import Trace
from netsplit.diff.variant import Variant, load, resolve

from .provider import FuzzedDataProvider

#: A target: raw fuzz input and a variant name ("legacy", "split", "stage:K", ...).
FuzzTarget = Callable[[bytes, str], None]

HEADER_SIZE: Final = CMessageHeader.HEADER_SIZE
CHECKSUM_SIZE: Final = CMessageHeader.CHECKSUM_SIZE
MESSAGE_TYPE_SIZE: Final = CMessageHeader.MESSAGE_TYPE_SIZE
#: net.h's MAX_PROTOCOL_MESSAGE_LENGTH (bytes).
MAX_PROTOCOL_MESSAGE_LENGTH: Final = 4 * 1000 * 1000
#: The receive time handed to GetReceivedMessage (microseconds; upstream passes int64's max).
RECEIVE_TIME: Final = (1 << 63) - 1


class FuzzFinding(AssertionError):
    """A target found a bug: an invariant does not hold, or an exception escaped."""


def check(condition: bool, what: str) -> None:
    """Like upstream's assert in a fuzz target, but it survives ``python -O``."""
    if not condition:
        raise FuzzFinding(what)


_variants: dict[str, Variant] = {}


def variant_named(name: str) -> Variant:
    """The variant by its command-line name, loaded once per process."""
    if name not in _variants:
        _variants[name] = load(resolve(name))
    return _variants[name]


# -- frame: the v1 frame parser --------------------------------------------------------------


def message_type_valid(raw: bytes) -> bool:
    """protocol.cpp's IsMessageTypeValid, written again from its definition (printable ASCII,
    then NUL padding only) so the target does not check the parser against itself."""
    name, _, padding = raw.partition(b"\0")
    return all(0x20 <= c <= 0x7E for c in name) and padding.count(0) == len(padding)


def frame_input(
    payload: bytes, header: bytes = b"", *, checksum_assist: bool, magic_assist: bool, chunk: int
) -> bytes:
    """An input for :func:`frame`: the assist flags and chunk size, the header bytes the
    assists leave to the input, then the rest of the wire."""
    return bytes([int(checksum_assist), int(magic_assist), chunk & 0xFF]) + header + payload


def frame(data: bytes, variant: str = "legacy") -> None:
    """Bytes into a V1Transport receiver, as upstream's p2p_transport_serialization target:
    optionally the network magic and the payload's checksum are filled in, so that most inputs
    get past the header. The wire is fed whole or in chunks of 1..255 bytes.

    Checks: the transport consumes bytes and hands back exactly the rest; it fails only on a
    header with the wrong magic or an oversize length, and accepts every other one; a complete
    message has the type, sizes, time and payload its bytes say, and is rejected exactly when
    its checksum or its type is bad; the header re-serializes to its bytes; and a sender
    transport turns the message back into a frame that equals the original when it was valid.
    """
    net = variant_named(variant).net
    provider = FuzzedDataProvider(data)
    checksum_assist = provider.ConsumeBool()
    magic_assist = provider.ConsumeBool()
    chunk = provider.ConsumeIntegral(8)
    magic = Params().MessageStart()

    wire = bytearray()
    header_remaining = HEADER_SIZE
    if magic_assist:
        wire += magic
        header_remaining -= len(magic)
    if checksum_assist:
        header_remaining -= CHECKSUM_SIZE
    wire += provider.ConsumeBytes(header_remaining)
    payload = provider.ConsumeRemainingBytes()
    if checksum_assist and len(wire) == CMessageHeader.CHECKSUM_OFFSET:
        wire += hash256(payload)[:CHECKSUM_SIZE]
    wire += payload
    feed_frames(net, bytes(wire), chunk, magic)


def feed_frames(net: Any, wire: bytes, chunk: int, magic: bytes) -> None:
    """The frame target's checks on ``wire`` fed to ``net.V1Transport`` (``net`` is a variant's
    net module, or anything with its V1Transport and CSerializedNetMsg)."""
    recv = net.V1Transport(NodeId(0))
    send = net.V1Transport(NodeId(1))
    view = memoryview(wire)
    pos = 0  # bytes the receiver consumed so far
    msg_start = 0  # where the message being received begins
    while pos < len(wire):
        end = len(wire) if chunk == 0 else min(len(wire), pos + chunk)
        piece = view[pos:end]
        ok, rest = recv.ReceivedBytes(piece)
        if not ok:
            hdr = wire[msg_start : msg_start + HEADER_SIZE]
            check(len(hdr) == HEADER_SIZE, f"transport failed on a partial header at {msg_start}")
            size = int.from_bytes(hdr[16:20], "little")
            check(
                hdr[:4] != magic or size > MAX_PROTOCOL_MESSAGE_LENGTH,
                f"transport failed on a good header {hdr.hex()}",
            )
            return
        consumed = len(piece) - len(rest)
        check(consumed > 0, f"transport consumed nothing of {len(piece)} bytes at {pos}")
        check(bytes(rest) == bytes(piece[consumed:]), "transport handed back the wrong rest")
        pos += consumed
        if pos >= msg_start + HEADER_SIZE:
            _check_header(wire[msg_start : msg_start + HEADER_SIZE], magic)
        if recv.ReceivedMessageComplete():
            _check_message(net, recv, send, wire, msg_start, pos)
            msg_start = pos
        else:
            check(
                pos < _frame_end(wire, msg_start),
                "a whole frame arrived but the transport says the message is incomplete",
            )


def _frame_end(wire: bytes, msg_start: int) -> int:
    """Where the frame starting at ``msg_start`` ends, by its header; past the wire's end while
    the header is not complete."""
    if len(wire) < msg_start + HEADER_SIZE:
        return len(wire) + 1
    size = int.from_bytes(wire[msg_start + 16 : msg_start + 20], "little")
    return msg_start + HEADER_SIZE + size


def _check_header(hdr: bytes, magic: bytes) -> None:
    """A header the transport accepted: it is a good one, and CMessageHeader reads it and
    writes the same bytes back."""
    parsed = CMessageHeader.deserialize(DataStream(hdr))
    check(parsed.serialize() == hdr, f"CMessageHeader does not round-trip {hdr.hex()}")
    check(parsed.pchMessageStart == magic, f"transport accepted wrong magic {hdr[:4].hex()}")
    check(
        parsed.nMessageSize <= MAX_PROTOCOL_MESSAGE_LENGTH,
        f"transport accepted an oversize length {parsed.nMessageSize}",
    )
    check(
        parsed.IsMessageTypeValid() == message_type_valid(hdr[4:16]),
        f"IsMessageTypeValid wrong for {hdr[4:16]!r}",
    )


def _check_message(net: Any, recv: Any, send: Any, wire: bytes, msg_start: int, pos: int) -> None:
    msg, reject = recv.GetReceivedMessage(RECEIVE_TIME)
    hdr = wire[msg_start : msg_start + HEADER_SIZE]
    size = int.from_bytes(hdr[16:20], "little")
    payload = wire[msg_start + HEADER_SIZE : msg_start + HEADER_SIZE + size]
    check(pos == msg_start + HEADER_SIZE + size, "message complete before or after its frame")
    check(msg.m_message_size == size, f"m_message_size {msg.m_message_size} != {size}")
    check(
        msg.m_raw_message_size == HEADER_SIZE + msg.m_message_size,
        "m_raw_message_size is not header plus payload",
    )
    check(msg.m_raw_message_size <= len(wire), "m_raw_message_size exceeds what arrived")
    check(msg.m_time == RECEIVE_TIME, "m_time is not the receive time")
    raw_type = msg.m_type.encode("latin-1")
    check(len(raw_type) <= MESSAGE_TYPE_SIZE, f"message type too long: {msg.m_type!r}")
    check(raw_type == hdr[4:16].split(b"\0", 1)[0], f"wrong message type {msg.m_type!r}")
    received = msg.m_recv.read_rest()
    check(received == payload, "payload differs from the bytes that arrived")
    checksum_ok = hash256(payload)[:CHECKSUM_SIZE] == hdr[20:24]
    check(
        reject == (not checksum_ok or not message_type_valid(hdr[4:16])),
        f"reject_message={reject} with checksum_ok={checksum_ok} for type {hdr[4:16]!r}",
    )
    check(not recv.ReceivedMessageComplete(), "transport not reset after GetReceivedMessage")

    # Send it back out, draining the sender as upstream's target does.
    queued = send.SetMessageToSend(net.CSerializedNetMsg(data=received, m_type=msg.m_type))
    check(bool(queued), "sender refused a message while idle")
    out = bytearray()
    known_more: bool | None = None
    while True:
        to_send, more, _msg_type = send.GetBytesToSend(False)
        if known_more is not None:
            check(bool(len(to_send)) == known_more, "GetBytesToSend's 'more' was wrong")
        if not len(to_send):
            break
        out += bytes(to_send)
        send.MarkBytesSent(len(to_send))
        known_more = bool(more)
    expected = (
        hdr[:4]
        + raw_type.ljust(MESSAGE_TYPE_SIZE, b"\0")
        + size.to_bytes(4, "little")
        + hash256(payload)[:CHECKSUM_SIZE]
        + payload
    )
    check(bytes(out) == expected, "sender's frame is not the message's frame")
    if not reject:
        check(bytes(out) == wire[msg_start:pos], "a valid frame does not round-trip")


# -- process_message: one arbitrary message from a handshaken peer ----------------------------

#: Connection types the fuzzed peer can have (upstream's ConsumeNode draws any of them).
FUZZ_CONN_TYPES: Final = (
    ConnectionType.INBOUND,
    ConnectionType.OUTBOUND_FULL_RELAY,
    ConnectionType.BLOCK_RELAY,
    ConnectionType.MANUAL,
    ConnectionType.ADDR_FETCH,
    ConnectionType.FEELER,
)
#: One input bit each; they apply to inbound and manual peers, as -whitebind / -whitelist.
FUZZ_PERMISSIONS: Final = (
    NetPermissionFlags.BloomFilter,
    NetPermissionFlags.Relay,
    NetPermissionFlags.ForceRelay,
    NetPermissionFlags.Download,
    NetPermissionFlags.NoBan,
    NetPermissionFlags.Mempool,
    NetPermissionFlags.Addr,
)
#: Handshake option bits.
OPT_FEATURES: Final = 1 << 0  # wtxidrelay and sendaddrv2 before verack
OPT_NO_RELAY: Final = 1 << 1  # version says relay=false
OPT_PRUNED: Final = 1 << 2  # NODE_NETWORK_LIMITED instead of NODE_NETWORK
OPT_IN_IBD: Final = 1 << 3  # the node stays at genesis, in initial block download
#: The clock advances by the input's byte times this many seconds before the message (up to
#: 34 minutes: across the ping and inactivity timeouts).
CLOCK_STEP: Final = 8

FUZZED: Final = PeerLabel(0)
HONEST: Final = PeerLabel(1)
FUZZED_ADDRESS: Final = "10.0.0.1:18444"
OUTBOUND_ADDRESS: Final = "20.0.0.1:18444"
HONEST_ADDRESS: Final = "10.9.9.9:18444"
FUZZED_PING_NONCE: Final = 0x66757A7A6564
HONEST_PING_NONCE: Final = 0x686F6E657374
#: Exceptions ProcessMessages may catch: what malformed payloads raise by contract.
EXPECTED_EXCEPTIONS: Final = frozenset({SerializationError.__name__, ValueError.__name__})

_EXCEPTION_LINE: Final = re.compile(
    r"ProcessMessages\((?P<type>.*), (?P<size>\d+) bytes\): "
    r"(?:Exception '(?P<what>.*)' \((?P<name>[\w.]+)\)|(?P<unknown>Unknown exception)) caught"
)


def process_message_input(
    msgtype: str | bytes,
    payload: bytes = b"",
    *,
    conn_type: ConnectionType = ConnectionType.INBOUND,
    permissions: int = 0,
    options: int = OPT_FEATURES,
    clock_units: int = 0,
) -> bytes:
    """An input for :func:`process_message`. ``msgtype`` as str picks a known type; raw bytes
    are an arbitrary 12-byte type field. ``permissions`` is the bit set over FUZZ_PERMISSIONS."""
    head = bytes(
        [FUZZ_CONN_TYPES.index(conn_type), permissions & 0xFF, options & 0xFF, clock_units & 0xFF]
    )
    if isinstance(msgtype, str):
        return head + bytes([ALL_NET_MESSAGE_TYPES.index(msgtype)]) + payload
    return head + b"\xff" + msgtype[:MESSAGE_TYPE_SIZE].ljust(MESSAGE_TYPE_SIZE, b"\0") + payload


def process_message_scenario(data: bytes) -> Scenario:
    """The scenario an input stands for: the node mines a block (and so leaves initial block
    download, where it would drop transactions unread) unless the input says not to; the
    fuzzed peer connects and completes the handshake; the clock may advance; an honest inbound
    peer connects; the fuzzed peer sends one message (a valid frame: as upstream's
    ReceiveMsgFrom, the frame itself is not fuzzed here); then both peers ping."""
    provider = FuzzedDataProvider(data)
    conn_type = provider.PickValueInArray(FUZZ_CONN_TYPES)
    perm_bits = provider.ConsumeIntegral(8)
    options = provider.ConsumeIntegral(8)
    clock = provider.ConsumeIntegral(8) * CLOCK_STEP
    type_choice = provider.ConsumeIntegral(8)
    if type_choice < len(ALL_NET_MESSAGE_TYPES):
        raw_type = ALL_NET_MESSAGE_TYPES[type_choice].encode("ascii")
    else:
        raw_type = provider.ConsumeBytes(MESSAGE_TYPE_SIZE)
    payload = provider.ConsumeRemainingBytes()

    permissions = NetPermissionFlags.None_
    for bit, flag in enumerate(FUZZ_PERMISSIONS):
        if perm_bits >> bit & 1:
            permissions |= flag
    address = FUZZED_ADDRESS if conn_type == ConnectionType.INBOUND else OUTBOUND_ADDRESS
    services = ServiceFlags(
        (NODE_NETWORK_LIMITED if options & OPT_PRUNED else NODE_NETWORK) | NODE_WITNESS
    )
    events: list[Event] = [] if options & OPT_IN_IBD else [MineBlocks(1)]
    events += [
        PeerConnects(FUZZED, conn_type, address, permissions),
        directed.handshake(
            FUZZED,
            services=services,
            relay=not options & OPT_NO_RELAY,
            extras=bool(options & OPT_FEATURES),
        ),
    ]
    if clock:
        events.append(ClockAdvances(clock))
    events += [
        directed.inbound(HONEST, HONEST_ADDRESS),
        directed.handshake(HONEST),
        PeerSends(FUZZED, frames.frame(raw_type, payload)),
        directed.sends(HONEST, msg_ping(HONEST_PING_NONCE)),
        directed.sends(FUZZED, msg_ping(FUZZED_PING_NONCE)),
    ]
    return Scenario(tuple(events), note="netsplit fuzz process_message")


@contextlib.contextmanager
def caught_exceptions() -> Iterator[list[str]]:
    """The exceptions ProcessMessages catches while the block runs, as "Type: message", read
    from the line it logs for each (so it works for any variant without a hook in it). The
    net category is enabled for the block and restored after; a process that never started
    its logger gets one that writes nowhere, as upstream's fuzz setup (NoLogFileContext)."""
    logger = LogInstance()
    if logger.m_buffering:
        logger.DisableLogging()
    caught: list[str] = []

    def on_line(line: str) -> None:
        if "ProcessMessages(" not in line:
            return
        m = _EXCEPTION_LINE.search(line)
        if m is not None:
            name = m.group("name") or "unknown exception"
            caught.append(f"{name}: {m.group('what') or ''}")

    was_enabled = logger.WillLogCategory(BCLog.LogFlags.NET)
    logger.EnableCategory(BCLog.LogFlags.NET)
    handle = logger.PushBackCallback(on_line)
    try:
        yield caught
    finally:
        logger.DeleteCallback(handle)
        if not was_enabled:
            logger.DisableCategory(BCLog.LogFlags.NET)


def _pong_to(trace: Trace, step: int, peer: PeerLabel, nonce: int) -> bool:
    for item in frames.decode_wire(trace.steps[step].output_to(peer)):
        if isinstance(item, Frame) and item.msgtype == msg_pong.msgtype:
            with contextlib.suppress(SerializationError):
                if msg_pong.deserialize(item.payload).nonce == nonce:
                    return True
    return False


def _check_node_output(index: int, peer: PeerLabel, data: bytes) -> None:
    """What the node writes is whole, valid frames of known types whose payloads decode."""
    for item in frames.decode_wire(data):
        check(isinstance(item, Frame), f"event {index}: node wrote {item.text} to peer {peer}")
        assert isinstance(item, Frame)
        try:
            decoded = decode_message(item.msgtype, item.payload)
        except SerializationError as e:
            raise FuzzFinding(
                f"event {index}: node sent an undecodable {item.msgtype} to peer {peer}: {e}"
            ) from e
        check(decoded is not None, f"event {index}: node sent unknown type {item.msgtype!r}")


def process_message(data: bytes, variant: str = "legacy") -> None:
    """One arbitrary message from a handshaken peer, through the differential driver (the
    stable way to run any variant): the node's socket and message-handler rounds, so
    ProcessMessages and SendMessages, run until it is quiet (or the driver's round bound).

    Checks: no exception escapes the node's rounds or its RPC-visible state; ProcessMessages
    catches only what malformed payloads raise by contract (SerializationError, ValueError) --
    anything else (AttributeError, IndexError, TypeError, AssertionError, ...) is a bug that
    in upstream's C++ would be undefined behaviour or a crash; the honest peer still gets its
    pong, and so does the fuzzed peer unless it was disconnected or the node is still working
    through its requests; and everything the node writes is whole frames of known types whose
    payloads decode.
    """
    scenario = process_message_scenario(data)
    with caught_exceptions() as caught:
        trace = run_scenario(variant_named(variant), scenario)
    errors = [f"event {s.index}: {s.error}" for s in trace.steps if s.error is not None] + [
        f"event {s.index}: snapshot: {s.state['snapshot_error']}"
        for s in trace.steps
        if "snapshot_error" in s.state
    ]
    check(not errors, "exception escaped the node: " + "; ".join(errors))
    unexpected = [c for c in caught if c.split(":", 1)[0] not in EXPECTED_EXCEPTIONS]
    check(not unexpected, "ProcessMessages caught: " + "; ".join(unexpected))
    for step in trace.steps:
        for output in step.outputs:
            _check_node_output(step.index, output.peer, output.data)

    last = len(trace.steps) - 1
    honest_ping, fuzzed_ping = last - 1, last
    gone_before = {p for s in trace.steps[:fuzzed_ping] for p in s.disconnected}
    check(HONEST not in gone_before, "the honest peer was disconnected")
    check(
        _pong_to(trace, honest_ping, HONEST, HONEST_PING_NONCE),
        "the honest peer got no pong",
    )
    # A getdata of 50,000 unknown-type entries is served one entry per message-handler round,
    # as upstream does: the node may still be busy with the fuzzed peer's queue when the
    # driver's round limit is reached. The honest peer must be served in between regardless.
    busy = trace.steps[fuzzed_ping].rounds >= MAX_SETTLE_ROUNDS
    gone = FUZZED in gone_before or FUZZED in trace.steps[fuzzed_ping].disconnected
    if not busy and not gone:
        check(
            _pong_to(trace, fuzzed_ping, FUZZED, FUZZED_PING_NONCE),
            "the fuzzed peer is still connected but got no pong",
        )


#: The targets by name: ``netsplit fuzz NAME``.
TARGETS: Final[dict[str, FuzzTarget]] = {
    "frame": frame,
    "process_message": process_message,
}
