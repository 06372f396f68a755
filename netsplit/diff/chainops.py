"""The chain side of scenarios: a peer's own block chain for generated messages, and the node's
chain stand-in seen through RPC (mine, submit a transaction, the tip, the mempool).

Blocks a peer sends are built here, deterministically, on the regtest genesis block: the same
scenario always carries the same bytes, and both variants receive them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final

from common.chainparams import Params
from common.merkle import BlockMerkleRoot
from common.pow import CheckProofOfWork
from common.primitives.block import CBlock, CBlockHeader
from common.primitives.transaction import COutPoint, CTransaction, CTxIn, CTxOut
from common.protocol import MSG_TX, MSG_WTX, CInv
from common.uint256 import ZERO

from .trace import Json

COIN: Final = 100_000_000
#: Regtest's proof-of-work limit in compact form.
REGTEST_BITS: Final = 0x207FFFFF
OP_TRUE: Final = b"\x51"


def _script_num(n: int) -> bytes:
    """``CScript() << n`` for a block height: OP_1..OP_16, else a minimal number push."""
    if 1 <= n <= 16:
        return bytes([0x50 + n])
    data = n.to_bytes((n.bit_length() + 8) // 8, "little")
    return bytes([len(data)]) + data


def coinbase(height: int, value: int = 50 * COIN, tag: bytes = b"") -> CTransaction:
    """A coinbase paying to OP_TRUE, with the BIP34 height (and OP_0 to make it long enough)."""
    script_sig = _script_num(height) + b"\x00" + tag
    return CTransaction(
        [CTxIn(COutPoint(), script_sig, 0xFFFFFFFF)], [CTxOut(value, OP_TRUE)], 0, 2
    )


def solve(block: CBlock) -> CBlock:
    """Grind nNonce until the header meets its target (about two tries on regtest)."""
    params = Params().GetConsensus()
    while not CheckProofOfWork(block.GetHash(), block.nBits, params):
        block.nNonce += 1
    return block


def make_block(prev: CBlockHeader, height: int, time: int, txs: list[CTransaction]) -> CBlock:
    block = CBlock(
        0x20000000, prev.GetHash(), ZERO, time, REGTEST_BITS, 0, [coinbase(height), *txs]
    )
    block.hashMerkleRoot = BlockMerkleRoot(block)[0]
    return solve(block)


#: How far ahead of the node a peer's chain reaches, at most, in generated scenarios.
PEER_CHAIN_LENGTH: Final = 12


@dataclass(slots=True)
class PeerChain:
    """A chain a peer has and the node may not: blocks 1.. on top of regtest genesis.

    ``old`` chains carry 2011-era timestamps (the node stays in initial block download);
    otherwise block times end near the scenario's start, so the node leaves IBD once it has
    them."""

    start_time: int
    old: bool = False
    blocks: list[CBlock] = field(default_factory=list)

    def block(self, height: int) -> CBlock:
        """Block at ``height`` (1-based; 0 is genesis)."""
        genesis = Params().GenesisBlock()
        if height == 0:
            return genesis
        while len(self.blocks) < height:
            prev = self.blocks[-1] if self.blocks else genesis
            h = len(self.blocks) + 1
            if self.old:
                when = genesis.nTime + 600 * h
            else:
                when = self.start_time - 2 * 3600 + 60 * h
            self.blocks.append(make_block(prev, h, when, []))
        return self.blocks[height - 1]

    def headers(self, first: int, last: int) -> list[CBlockHeader]:
        return [self.block(h).GetBlockHeader() for h in range(first, last + 1)]

    def spend(self, height: int, fee: int) -> CTransaction:
        """A transaction spending the coinbase of block ``height`` of this chain to OP_TRUE."""
        cb = self.block(height).vtx[0]
        return CTransaction(
            [CTxIn(COutPoint(cb.GetHash(), 0), b"", 0xFFFFFFFE)],
            [CTxOut(cb.vout[0].nValue - fee, OP_TRUE)],
            0,
            2,
        )

    def inv_of(self, tx: CTransaction, wtxid: bool) -> CInv:
        return CInv(MSG_WTX, tx.GetWitnessHash()) if wtxid else CInv(MSG_TX, tx.GetHash())


# -- the node's chain, through RPC-like calls ----------------------------------------------------


def mine(ctx: Any, n: int) -> Json:
    """``generatetodescriptor n raw(51)``: mine ``n`` blocks paying OP_TRUE on the node's tip,
    each connected through the chain stand-in (which tells PeerManager at once, as validation
    signals do)."""
    from common.mining import OP_TRUE_SCRIPT, generateBlocks

    hashes = generateBlocks(ctx.chainman, ctx.mempool, OP_TRUE_SCRIPT, n)
    return [h.GetHex() for h in hashes]


def submit_transaction(ctx: Any, tx_bytes: bytes) -> Json:
    """``sendrawtransaction`` without a fee limit: decode, accept to the mempool, relay
    (node/transaction.cpp's BroadcastTransaction)."""
    from common.rpc.mempool import BroadcastTransaction, TransactionError
    from common.serialize import DataStream, SerializationError

    try:
        s = DataStream(tx_bytes)
        tx = CTransaction.deserialize(s)
    except SerializationError:
        return {"error": "TX decode failed"}
    err, err_string = BroadcastTransaction(ctx, tx, 0, True, True)
    if err != TransactionError.OK:
        return {"error": err.name, "message": err_string}
    return tx.GetHash().GetHex()


def chain_state(ctx: Any) -> dict[str, Json]:
    """getblockchaininfo's blocks, headers and best block hash."""
    chainman = ctx.chainman
    tip = chainman.ActiveChain().Tip()
    best_header = chainman.m_best_header
    return {
        "blocks": int(tip.nHeight),
        "bestblockhash": tip.GetBlockHash().GetHex(),
        "headers": None if best_header is None else int(best_header.nHeight),
        "initialblockdownload": bool(chainman.IsInitialBlockDownload()),
    }


def mempool_state(ctx: Any) -> list[Json]:
    """getrawmempool: the txids, sorted."""
    return sorted(info.tx.GetHash().GetHex() for info in ctx.mempool.infoAll())
