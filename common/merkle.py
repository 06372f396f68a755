"""Merkle roots (src/consensus/merkle.cpp)."""

from __future__ import annotations

from collections.abc import Sequence

from .hash import hash256
from .primitives.block import CBlock
from .uint256 import ZERO, uint256


def ComputeMerkleRoot(hashes: Sequence[uint256]) -> tuple[uint256, bool]:
    """Returns the root and whether the tree is *mutated* (CVE-2012-2459: two identical adjacent
    hashes at some level let a different transaction list give the same root)."""
    if not hashes:
        return ZERO, False
    level = [h.data for h in hashes]
    mutated = False
    while len(level) > 1:
        mutated |= any(level[i] == level[i + 1] for i in range(0, len(level) - 1, 2))
        if len(level) & 1:
            level.append(level[-1])
        level = [hash256(level[i] + level[i + 1]) for i in range(0, len(level), 2)]
    return uint256(level[0]), mutated


def BlockMerkleRoot(block: CBlock) -> tuple[uint256, bool]:
    return ComputeMerkleRoot([tx.GetHash() for tx in block.vtx])


def BlockWitnessMerkleRoot(block: CBlock) -> uint256:
    # The coinbase's wtxid is taken as zero (BIP141).
    leaves = [ZERO] + [tx.GetWitnessHash() for tx in block.vtx[1:]]
    return ComputeMerkleRoot(leaves)[0]
