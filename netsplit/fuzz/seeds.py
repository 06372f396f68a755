"""Seed inputs: well-formed starting points, so the fuzzer spends its time near valid messages
instead of rediscovering the wire format byte by byte."""

from __future__ import annotations

import hashlib

from common.chainparams import Params
from common.connection_types import ConnectionType
from common.messages import (
    MESSAGE_CLASSES,
    NetMessage,
    msg_addr,
    msg_addrv2,
    msg_block,
    msg_feefilter,
    msg_getdata,
    msg_getheaders,
    msg_headers,
    msg_inv,
    msg_ping,
    msg_sendcmpct,
    msg_tx,
    msg_version,
)
from common.netbase import LookupNumeric
from common.primitives.block import CBlockLocator
from common.protocol import MSG_BLOCK, MSG_TX, MSG_WTX, CAddress, CInv
from netsplit.diff import directed, frames
from netsplit.diff.chainops import PeerChain
from netsplit.diff.scenario import DEFAULT_START_TIME

from .targets import OPT_FEATURES, OPT_IN_IBD, frame_input, process_message_input


def _messages() -> list[NetMessage]:
    """Every message type with its default fields, then ones that carry real content."""
    chain = PeerChain(DEFAULT_START_TIME)
    genesis = Params().GenesisBlock()
    tx = chain.spend(1, 1000)
    addr = CAddress(LookupNumeric("44.55.66.77:8333"), directed.PEER_SERVICES, DEFAULT_START_TIME)
    msgs: list[NetMessage] = [cls() for cls in MESSAGE_CLASSES.values()]
    msgs += [
        msg_version(),
        directed.version(),
        msg_ping(1),
        msg_feefilter(1000),
        msg_sendcmpct(True, 2),
        msg_addr([addr]),
        msg_addrv2([addr]),
        msg_inv([CInv(MSG_BLOCK, chain.block(1).GetHash()), CInv(MSG_WTX, tx.GetWitnessHash())]),
        msg_getdata([CInv(MSG_BLOCK, genesis.GetHash()), CInv(MSG_TX, tx.GetHash())]),
        msg_getheaders(CBlockLocator([genesis.GetHash()])),
        msg_headers(chain.headers(1, 3)),
        msg_block(chain.block(1)),
        msg_tx(tx),
    ]
    return msgs


def process_message_seeds() -> list[bytes]:
    out = [process_message_input(m.msgtype, m.serialize()) for m in _messages()]
    for conn_type in (ConnectionType.OUTBOUND_FULL_RELAY, ConnectionType.BLOCK_RELAY):
        out.append(process_message_input("headers", b"\x00", conn_type=conn_type))
    for msg in (msg_headers(), msg_tx(), msg_inv()):
        out.append(
            process_message_input(msg.msgtype, msg.serialize(), options=OPT_FEATURES | OPT_IN_IBD)
        )
    out.append(process_message_input(b"foo", b"", options=OPT_FEATURES))
    return out


def frame_seeds() -> list[bytes]:
    out: list[bytes] = []
    for msg in (msg_ping(1), msg_version(), msg_headers()):
        wire = frames.frame_message(msg)
        out.append(frame_input(wire, checksum_assist=False, magic_assist=False, chunk=0))
        out.append(frame_input(wire + wire, checksum_assist=False, magic_assist=False, chunk=5))
        payload = msg.serialize()
        out.append(
            frame_input(payload, wire[4:20], checksum_assist=True, magic_assist=True, chunk=0)
        )
    return out


SEEDS = {"frame": frame_seeds, "process_message": process_message_seeds}


def seed_name(data: bytes) -> str:
    """libFuzzer's corpus file name: the input's SHA-1."""
    return hashlib.sha1(data).hexdigest()
