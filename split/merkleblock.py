"""Building BIP 37 merkle blocks (src/merkleblock.{h,cpp}): the partial merkle tree that proves
which of a block's transactions match a peer's bloom filter.

The wire classes (CMerkleBlock, CPartialMerkleTree) live in common.messages; this module builds
them, as upstream's constructors do.
"""

from __future__ import annotations

from common.bloom import CBloomFilter
from common.hash import Hash
from common.messages import CMerkleBlock, CPartialMerkleTree
from common.primitives.block import CBlock
from common.uint256 import uint256


class _PartialMerkleTreeBuilder:
    """CPartialMerkleTree's constructor from txids and match flags (depth-first traversal)."""

    __slots__ = ("nTransactions", "vBits", "vHash")

    nTransactions: int
    vBits: list[bool]
    vHash: list[uint256]

    def __init__(self, vTxid: list[uint256], vMatch: list[bool]) -> None:
        self.nTransactions = len(vTxid)
        self.vBits = []
        self.vHash = []
        # calculate height of tree
        nHeight = 0
        while self.CalcTreeWidth(nHeight) > 1:
            nHeight += 1
        # traverse the partial tree
        self.TraverseAndBuild(nHeight, 0, vTxid, vMatch)

    def CalcTreeWidth(self, height: int) -> int:
        """The number of nodes at a height (0 = the transactions)."""
        return (self.nTransactions + (1 << height) - 1) >> height

    def CalcHash(self, height: int, pos: int, vTxid: list[uint256]) -> uint256:
        if height == 0:
            # hash at height 0 is the txids themselves
            return vTxid[pos]
        # calculate left hash
        left = self.CalcHash(height - 1, pos * 2, vTxid)
        # calculate right hash if not beyond the end of the array - copy left hash otherwise
        if pos * 2 + 1 < self.CalcTreeWidth(height - 1):
            right = self.CalcHash(height - 1, pos * 2 + 1, vTxid)
        else:
            right = left
        return Hash(left.data + right.data)

    def TraverseAndBuild(
        self, height: int, pos: int, vTxid: list[uint256], vMatch: list[bool]
    ) -> None:
        # whether this node is the parent of at least one matched txid
        fParentOfMatch = any(
            vMatch[p] for p in range(pos << height, min((pos + 1) << height, self.nTransactions))
        )
        # store as flag bit
        self.vBits.append(fParentOfMatch)
        if height == 0 or not fParentOfMatch:
            # if at height 0, or nothing interesting below, store hash and stop
            self.vHash.append(self.CalcHash(height, pos, vTxid))
        else:
            # otherwise, don't store any hash, but descend into the subtrees
            self.TraverseAndBuild(height - 1, pos * 2, vTxid, vMatch)
            if pos * 2 + 1 < self.CalcTreeWidth(height - 1):
                self.TraverseAndBuild(height - 1, pos * 2 + 1, vTxid, vMatch)


def MakePartialMerkleTree(vTxid: list[uint256], vMatch: list[bool]) -> CPartialMerkleTree:
    """Upstream's ``CPartialMerkleTree(vTxid, vMatch)``."""
    builder = _PartialMerkleTreeBuilder(vTxid, vMatch)
    return CPartialMerkleTree(builder.nTransactions, builder.vHash, builder.vBits)


def MakeMerkleBlock(
    block: CBlock, filter: CBloomFilter | None
) -> tuple[CMerkleBlock, list[tuple[int, uint256]]]:
    """Upstream's ``CMerkleBlock(block, filter)``: the merkle block and its vMatchedTxn (the
    position and txid of every transaction the filter matched, which updates the filter)."""
    vMatch: list[bool] = []
    vHashes: list[uint256] = []
    vMatchedTxn: list[tuple[int, uint256]] = []
    for i, tx in enumerate(block.vtx):
        txid = tx.GetHash()
        if filter is not None and filter.IsRelevantAndUpdate(tx):
            vMatch.append(True)
            vMatchedTxn.append((i, txid))
        else:
            vMatch.append(False)
        vHashes.append(txid)
    return CMerkleBlock(block.GetBlockHeader(), MakePartialMerkleTree(vHashes, vMatch)), vMatchedTxn
