"""One churning loopback peer of the soak (:mod:`netsplit.soak`), speaking v1 P2P over asyncio.

A peer repeats sessions until told to stop: connect, complete the version handshake, flood the
node for a few seconds (pings, invs of unknown transactions and blocks, addr messages), then
either leave (close the socket) or misbehave and wait to be dropped. Misbehaviour is what a
node must survive without keeping anything of the peer: bytes that are no frame at all, a frame
with another network's magic, a header announcing more than MAX_PROTOCOL_MESSAGE_LENGTH, an
addr message over MAX_ADDR_TO_SEND (each of these ends the connection), and a frame with a bad
checksum (dropped, the connection stays). Pings from the node are answered; half of its
getdata requests get a notfound and the rest time out in the node; everything else it sends is
read and counted, so its send buffers never fill.

Frames are built with common.protocol.CMessageHeader and common.messages.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Final

from common.chainparams import Params
from common.hash import hash256
from common.messages import (
    msg_addr,
    msg_getdata,
    msg_inv,
    msg_notfound,
    msg_ping,
    msg_pong,
    msg_verack,
    msg_version,
)
from common.netaddress import CService
from common.netbase import LookupNumeric
from common.protocol import MSG_BLOCK, MSG_TX, CAddress, CInv, CMessageHeader, ServiceFlags
from common.uint256 import uint256

#: net.h's MAX_PROTOCOL_MESSAGE_LENGTH and net_processing's MAX_ADDR_TO_SEND.
MAX_PROTOCOL_MESSAGE_LENGTH: Final = 4 * 1000 * 1000
MAX_ADDR_TO_SEND: Final = 1000
PROTOCOL_VERSION: Final = 70016
USER_AGENT: Final = "/netsplit-soak:0.1/"
#: How long a peer waits for the node: to connect, to finish the handshake, to drop it.
NODE_TIMEOUT: Final = 15.0

#: Misbehaviours, and whether the node ends the connection for each.
MISBEHAVIOURS: Final[dict[str, bool]] = {
    "garbage": True,
    "bad_magic": True,
    "oversize": True,
    "addr_flood": True,
    "bad_checksum": False,
}


@dataclass(slots=True)
class PeerConfig:
    """How every peer behaves. Rates are per peer; durations in seconds."""

    host: str
    port: int
    #: Messages a second during a session's flood.
    rate: float = 4.0
    session_min: float = 2.0
    session_max: float = 8.0
    #: Pause between a session's end and the next connect.
    pause_max: float = 1.0
    #: Chance that a session ends in misbehaviour rather than a clean close.
    misbehave_chance: float = 0.3


@dataclass(slots=True)
class PeerStats:
    """What all peers did, summed (one event loop, so no lock)."""

    connects: int = 0
    handshakes: int = 0
    closes: int = 0
    sent: Counter[str] = field(default_factory=Counter)
    received: Counter[str] = field(default_factory=Counter)
    misbehaviours: Counter[str] = field(default_factory=Counter)
    #: Misbehaviours after which the node ended the connection, as it should.
    dropped_by_node: Counter[str] = field(default_factory=Counter)
    #: Misbehaviours after which the node should have, but the connection stayed open.
    not_dropped: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)

    def as_dict(self) -> dict[str, object]:
        return {
            "connects": self.connects,
            "handshakes": self.handshakes,
            "closes": self.closes,
            "sent": dict(sorted(self.sent.items())),
            "received": dict(sorted(self.received.items())),
            "misbehaviours": dict(sorted(self.misbehaviours.items())),
            "dropped_by_node": dict(sorted(self.dropped_by_node.items())),
            "not_dropped": dict(sorted(self.not_dropped.items())),
            "errors": dict(sorted(self.errors.items())),
        }


def frame(msgtype: str, payload: bytes, magic: bytes | None = None) -> bytes:
    """A v1 frame: header (magic, type, size, checksum) and payload."""
    start = Params().MessageStart() if magic is None else magic
    checksum = hash256(payload)[: CMessageHeader.CHECKSUM_SIZE]
    return CMessageHeader(start, msgtype, len(payload), checksum).serialize() + payload


def address_pool(size: int = 256) -> list[CService]:
    """Routable addresses to announce: a fixed pool, so the node's addrman reaches a steady
    size instead of growing for the whole run (the soak's node makes no outbound
    connections)."""
    return [LookupNumeric(f"1.{i // 250}.{i % 250}.1", 18444) for i in range(size)]


class ProtocolError(Exception):
    """The node sent something a v1 peer cannot read."""


class SoakPeer:
    """One peer's loop of sessions; :meth:`run` returns when ``stop`` is set."""

    __slots__ = ("config", "index", "pool", "rng", "stats", "stop")

    config: PeerConfig
    index: int
    rng: random.Random
    stats: PeerStats
    stop: asyncio.Event
    pool: list[CService]

    def __init__(
        self,
        index: int,
        config: PeerConfig,
        stats: PeerStats,
        stop: asyncio.Event,
        seed: int,
        pool: list[CService],
    ) -> None:
        self.index = index
        self.config = config
        self.rng = random.Random(seed)
        self.stats = stats
        self.stop = stop
        self.pool = pool

    async def run(self) -> None:
        # Spread the first connects over a second, as peers of a real node arrive.
        await self._sleep(self.rng.uniform(0, 1.0))
        while not self.stop.is_set():
            try:
                await self.session()
            except (OSError, EOFError, TimeoutError, ProtocolError) as e:
                self.stats.errors[type(e).__name__] += 1
            await self._sleep(self.rng.uniform(0, self.config.pause_max))

    async def _sleep(self, seconds: float) -> None:
        """Sleep, but wake at once when the soak stops."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.stop.wait(), seconds)

    async def session(self) -> None:
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection(self.config.host, self.config.port), NODE_TIMEOUT
        )
        self.stats.connects += 1
        closed = asyncio.Event()
        handshake = asyncio.Event()
        reading = asyncio.create_task(self._read(reader, writer, handshake, closed))
        try:
            writer.write(frame("version", self._version().serialize()))
            await writer.drain()
            await asyncio.wait_for(handshake.wait(), NODE_TIMEOUT)
            writer.write(frame("verack", msg_verack().serialize()))
            self.stats.handshakes += 1
            end = time.monotonic() + self.rng.uniform(
                self.config.session_min, self.config.session_max
            )
            while time.monotonic() < end and not closed.is_set() and not self.stop.is_set():
                writer.write(self._flood_message())
                await writer.drain()
                await self._sleep(self.rng.expovariate(self.config.rate))
            if closed.is_set() or self.stop.is_set():
                return
            if self.rng.random() < self.config.misbehave_chance:
                await self._misbehave(writer, closed)
            else:
                self.stats.closes += 1
        finally:
            reading.cancel()
            writer.close()
            with contextlib.suppress(OSError, TimeoutError):
                await asyncio.wait_for(writer.wait_closed(), NODE_TIMEOUT)

    def _version(self) -> msg_version:
        them = CAddress(LookupNumeric(self.config.host, self.config.port), ServiceFlags.NODE_NONE)
        return msg_version(
            nVersion=PROTOCOL_VERSION,
            nServices=ServiceFlags.NODE_NONE,
            nTime=int(time.time()),
            addrTo=them,
            addrFrom=CAddress(),
            nNonce=self.rng.getrandbits(64),
            strSubVer=USER_AGENT,
            nStartingHeight=0,
            relay=True,
        )

    def _flood_message(self) -> bytes:
        kind = self.rng.choices(("ping", "inv", "addr"), (4, 4, 1))[0]
        self.stats.sent[kind] += 1
        if kind == "ping":
            return frame("ping", msg_ping(self.rng.getrandbits(64)).serialize())
        if kind == "inv":
            count = self.rng.randint(1, 16)
            invs = [
                CInv(self.rng.choice((MSG_TX, MSG_TX, MSG_BLOCK)), uint256(self.rng.randbytes(32)))
                for _ in range(count)
            ]
            return frame("inv", msg_inv(invs).serialize())
        now = int(time.time())
        addrs = [
            CAddress(address, ServiceFlags.NODE_NETWORK, now - self.rng.randint(0, 3600))
            for address in self.rng.sample(self.pool, self.rng.randint(1, 10))
        ]
        return frame("addr", msg_addr(addrs).serialize())

    async def _misbehave(self, writer: asyncio.StreamWriter, closed: asyncio.Event) -> None:
        """Send one kind of bad input; where the node must drop the peer, wait for it to."""
        kind = self.rng.choice(tuple(MISBEHAVIOURS))
        self.stats.misbehaviours[kind] += 1
        if kind == "garbage":
            data = self.rng.randbytes(self.rng.randint(24, 512))
        elif kind == "bad_magic":
            data = frame("ping", msg_ping(1).serialize(), magic=b"\xf9\xbe\xb4\xd9")
        elif kind == "oversize":
            checksum = b"\x00" * CMessageHeader.CHECKSUM_SIZE
            header = CMessageHeader(
                Params().MessageStart(), "inv", MAX_PROTOCOL_MESSAGE_LENGTH + 1, checksum
            )
            data = header.serialize() + b"\x00" * 64
        elif kind == "addr_flood":
            now = int(time.time())
            addrs = [CAddress(self.pool[0], ServiceFlags.NODE_NETWORK, now)] * (
                MAX_ADDR_TO_SEND + 1
            )
            data = frame("addr", msg_addr(addrs).serialize())
        else:
            payload = msg_ping(2).serialize()
            data = frame("ping", payload)
            data = data[:20] + bytes([data[20] ^ 0xFF]) + data[21:]
        try:
            writer.write(data)
            await writer.drain()
        except OSError:
            pass  # dropped while writing: that is the expected outcome
        if not MISBEHAVIOURS[kind]:
            self.stats.closes += 1
            return
        try:
            await asyncio.wait_for(closed.wait(), NODE_TIMEOUT)
            self.stats.dropped_by_node[kind] += 1
        except TimeoutError:
            self.stats.not_dropped[kind] += 1

    async def _read(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        handshake: asyncio.Event,
        closed: asyncio.Event,
    ) -> None:
        """Read frames until the node closes: count them, answer pings, note the handshake."""
        got_version = got_verack = False
        try:
            while True:
                raw = await reader.readexactly(CMessageHeader.HEADER_SIZE)
                msgtype = raw[4:16].split(b"\x00", 1)[0].decode("latin-1")
                size = int.from_bytes(raw[16:20], "little")
                if size > MAX_PROTOCOL_MESSAGE_LENGTH:
                    raise ProtocolError(f"{msgtype} of {size} bytes")
                payload = await reader.readexactly(size)
                self.stats.received[msgtype] += 1
                if msgtype == "version":
                    got_version = True
                elif msgtype == "verack":
                    got_verack = True
                elif msgtype == "ping" and len(payload) == 8:
                    nonce = msg_ping.deserialize(payload).nonce
                    writer.write(frame("pong", msg_pong(nonce).serialize()))
                elif msgtype == "getdata" and self.rng.random() < 0.5:
                    # Half the requests get a notfound, the rest time out in the node.
                    wanted = msg_getdata.deserialize(payload).inv
                    writer.write(frame("notfound", msg_notfound(wanted).serialize()))
                    self.stats.sent["notfound"] += 1
                if got_version and got_verack:
                    handshake.set()
        except (asyncio.IncompleteReadError, OSError, ProtocolError):
            pass
        finally:
            closed.set()
