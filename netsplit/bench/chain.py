"""Deterministic regtest chains for the benchmarks, built here rather than mined by a node so
that every variant (and bcoin) receives the same bytes.

Blocks are valid under the chain stand-in's rules and bcoin's: a BIP34 coinbase paying the
height's subsidy to OP_TRUE, no witness data (so no witness commitment is needed), timestamps one
second apart ending at ``tip_time`` (so median-time-past always advances, and a recent tip takes
a node out of initial block download). A block with transactions spends the coinbase of the block
100 below it (COINBASE_MATURITY) into ``fanout`` outputs, then spends each of those outputs in its
own transaction: ``fanout + 2`` transactions of realistic shape, checked input by input against
the UTXO set when connected.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from common.chainparams import Params
from common.consensus import COINBASE_MATURITY
from common.merkle import BlockMerkleRoot
from common.pow import CheckProofOfWork
from common.primitives.block import CBlock
from common.primitives.transaction import COutPoint, CTransaction, CTxIn, CTxOut
from common.uint256 import ZERO
from common.validation_checks import GetBlockSubsidy

OP_TRUE = b"\x51"
#: Regtest's proof-of-work limit, compact.
REGTEST_BITS = 0x207FFFFF


def _script_num(n: int) -> bytes:
    """``CScript() << n``: OP_1..OP_16, else a minimal little-endian push."""
    if 1 <= n <= 16:
        return bytes([0x50 + n])
    data = n.to_bytes((n.bit_length() + 8) // 8, "little")
    return bytes([len(data)]) + data


def coinbase(height: int, value: int) -> CTransaction:
    # OP_0 after the height keeps the scriptSig at least two bytes long (bad-cb-length).
    script_sig = _script_num(height) + b"\x00"
    return CTransaction(
        [CTxIn(COutPoint(), script_sig, 0xFFFFFFFF)], [CTxOut(value, OP_TRUE)], 0, 2
    )


def fan_out(prev: CTransaction, fanout: int) -> list[CTransaction]:
    """``prev``'s first output split ``fanout`` ways, then each part spent on its own."""
    value = prev.vout[0].nValue
    part = value // fanout
    split = CTransaction(
        [CTxIn(COutPoint(prev.GetHash(), 0), b"", 0xFFFFFFFE)],
        [CTxOut(part, OP_TRUE) for _ in range(fanout)],
        0,
        2,
    )
    txid = split.GetHash()
    spends = [
        CTransaction([CTxIn(COutPoint(txid, i), b"", 0xFFFFFFFE)], [CTxOut(part, OP_TRUE)], 0, 2)
        for i in range(fanout)
    ]
    return [split, *spends]


def solve(block: CBlock) -> CBlock:
    """Grind nNonce until the header meets its target (about two tries on regtest)."""
    consensus = Params().GetConsensus()
    while not CheckProofOfWork(block.GetHash(), block.nBits, consensus):
        block.nNonce += 1
    return block


@dataclass(slots=True)
class Chain:
    """Blocks 1..n on the regtest genesis block, the last one timed ``tip_time``."""

    tip_time: int
    blocks: list[CBlock] = field(default_factory=list)

    @property
    def height(self) -> int:
        return len(self.blocks)

    def tip_hash(self) -> str:
        return self.blocks[-1].GetHash().GetHex() if self.blocks else ""


def build_chain(tip_time: int, plain: int, full: int = 0, fanout: int = 0) -> Chain:
    """``plain`` coinbase-only blocks, then ``full`` blocks of ``fanout + 2`` transactions
    (``plain`` must be at least COINBASE_MATURITY for those to have a coin to spend). The last
    block's time is ``tip_time``; each earlier block is one second older."""
    if full and plain < COINBASE_MATURITY:
        raise ValueError(f"blocks with transactions need {COINBASE_MATURITY} blocks before them")
    total = plain + full
    chain = Chain(tip_time)
    first_time = tip_time - total + 1
    consensus = Params().GetConsensus()
    prev = Params().GenesisBlock()
    for i in range(total):
        height = i + 1
        txs: list[CTransaction] = [coinbase(height, GetBlockSubsidy(height, consensus))]
        if i >= plain and fanout:
            txs += fan_out(chain.blocks[height - COINBASE_MATURITY - 1].vtx[0], fanout)
        block = CBlock(0x20000000, prev.GetHash(), ZERO, first_time + i, REGTEST_BITS, 0, txs)
        block.hashMerkleRoot = BlockMerkleRoot(block)[0]
        chain.blocks.append(solve(block))
        prev = block
    return chain
