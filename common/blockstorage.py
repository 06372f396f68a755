"""The block index and block store (src/node/blockstorage.{h,cpp}).

A stand-in for upstream's blk/rev files and block-index database: blocks are kept in memory,
serialized (with witness), and, when a blocks directory is given, appended to
``<blocks dir>/blocks.dat`` in upstream's blk*.dat record format (network magic, 4-byte
little-endian size, block). There is one file, no undo files (undo data stays in memory) and no
block-index database: at start-up the chainstate replays the file through block acceptance,
which rebuilds the index, the UTXO set and the undo data. Pruning and reindexing do not exist.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Final

from .chain import (
    BLOCK_VALID_TREE,
    CBlockIndex,
    FlatFilePos,
)
from .coins import CBlockUndo
from .logging import LogError, LogInfo
from .pow import GetBlockProof
from .primitives.block import CBlock, CBlockHeader
from .serialize import DataStream, SerializationError
from .uint256 import uint256

#: The one block file's name inside the blocks directory.
BLOCKS_FILE_NAME: Final = "blocks.dat"
#: Bytes in front of each stored block: magic and size (upstream's STORAGE_HEADER_BYTES).
STORAGE_HEADER_BYTES: Final = 8


def _DirectoryCommit(dirname: Path) -> None:
    """fsync a directory, so a file just created in it survives a power cut (util/fs_helpers'
    DirectoryCommit; a no-op where directories cannot be opened)."""
    try:
        fd = os.open(dirname, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def CBlockIndexWorkComparator(pa: CBlockIndex, pb: CBlockIndex) -> bool:
    """Whether ``pa`` is a worse tip candidate than ``pb``: less work, or as much work but
    received later. Upstream breaks remaining ties by address; here by block hash (bytewise,
    the larger is better), which is deterministic."""
    return _WorkKey(pa) < _WorkKey(pb)


def _WorkKey(p: CBlockIndex) -> tuple[int, int, bytes]:
    """Sort key for CBlockIndexWorkComparator: a larger key is a better candidate."""
    return (p.nChainWork, -p.nSequenceId, p.GetBlockHash().data)


class BlockManager:
    """Owns the block index (``m_block_index``: hash -> CBlockIndex) and the stored blocks.

    ``blocks_dir`` None keeps everything in memory; positions are then still the byte offsets
    the records would have in the file."""

    __slots__ = (
        "m_block_data",
        "m_block_index",
        "m_block_undo",
        "m_blockfiles_indexed",
        "m_blocks_dir",
        "m_blocks_unlinked",
        "m_have_pruned",
        "m_importing",
        "m_message_start",
        "m_next_pos",
    )

    m_block_index: dict[uint256, CBlockIndex]
    #: Blocks whose data we have but whose parent's transactions we do not (yet): parent ->
    #: children (upstream's multimap).
    m_blocks_unlinked: dict[CBlockIndex, list[CBlockIndex]]
    #: Stored blocks, serialized with witness, by their position's nPos.
    m_block_data: dict[int, bytes]
    #: Undo data of connected blocks, by block hash (memory only).
    m_block_undo: dict[uint256, CBlockUndo]
    m_blocks_dir: Path | None
    m_message_start: bytes
    #: Where the next record's block bytes start.
    m_next_pos: int
    #: True while replaying stored blocks at start-up (upstream: importing or reindexing).
    m_importing: bool
    m_blockfiles_indexed: bool
    #: Never true: there is no pruning.
    m_have_pruned: bool

    def __init__(self, message_start: bytes, blocks_dir: Path | str | None = None) -> None:
        self.m_block_index = {}
        self.m_blocks_unlinked = {}
        self.m_block_data = {}
        self.m_block_undo = {}
        self.m_blocks_dir = Path(blocks_dir) if blocks_dir is not None else None
        self.m_message_start = message_start
        self.m_next_pos = 0
        self.m_importing = False
        self.m_blockfiles_indexed = True
        self.m_have_pruned = False

    # -- the index ---------------------------------------------------------------------------

    def LookupBlockIndex(self, hash: uint256) -> CBlockIndex | None:
        return self.m_block_index.get(hash)

    def GetAllBlockIndices(self) -> list[CBlockIndex]:
        return list(self.m_block_index.values())

    def AddToBlockIndex(
        self, block: CBlockHeader, best_header: CBlockIndex | None
    ) -> tuple[CBlockIndex, CBlockIndex | None]:
        """Add a header's index entry (or find the existing one). Returns it and the best header
        (upstream updates ``best_header`` through a reference)."""
        hash = block.GetHash()
        existing = self.m_block_index.get(hash)
        if existing is not None:
            return existing, best_header
        pindexNew = CBlockIndex(block)
        # Sequence ids are assigned when the full block arrives, so a miner gains nothing from
        # withholding a block while announcing its header.
        pindexNew.nSequenceId = 0
        pindexNew.phashBlock = hash
        self.m_block_index[hash] = pindexNew
        pprev = self.m_block_index.get(block.hashPrevBlock)
        if pprev is not None:
            pindexNew.pprev = pprev
            pindexNew.nHeight = pprev.nHeight + 1
            pindexNew.BuildSkip()
        pindexNew.nTimeMax = max(pprev.nTimeMax, pindexNew.nTime) if pprev else pindexNew.nTime
        pindexNew.nChainWork = (pprev.nChainWork if pprev else 0) + GetBlockProof(pindexNew)
        pindexNew.RaiseValidity(BLOCK_VALID_TREE)
        if best_header is None or best_header.nChainWork < pindexNew.nChainWork:
            best_header = pindexNew
        return pindexNew, best_header

    # -- state -------------------------------------------------------------------------------

    def LoadingBlocks(self) -> bool:
        return self.m_importing

    def IsPruneMode(self) -> bool:
        return False

    def IsBlockPruned(self, block: CBlockIndex) -> bool:
        return False

    # -- block data --------------------------------------------------------------------------

    def _file(self) -> Path | None:
        return self.m_blocks_dir / BLOCKS_FILE_NAME if self.m_blocks_dir is not None else None

    def WriteBlock(self, block: CBlock, nHeight: int) -> FlatFilePos:
        """Store a block; returns its position (the offset of its bytes in the file)."""
        data = block.serialize(with_witness=True)
        pos = FlatFilePos(0, self.m_next_pos + STORAGE_HEADER_BYTES)
        path = self._file()
        if path is not None:
            record = self.m_message_start + len(data).to_bytes(4, "little") + data
            path.parent.mkdir(parents=True, exist_ok=True)
            with open(path, "ab") as f:
                f.write(record)
        self.m_block_data[pos.nPos] = data
        self.m_next_pos = pos.nPos + len(data)
        return pos

    def FlushBlockFile(self, fFinalize: bool = False, finalize_undo: bool = False) -> bool:
        """Commit the block file to disk: fsync it, then its directory (upstream's
        FlatFileSeq::Flush with FileCommit and DirectoryCommit). There is one file and nothing
        to finalize; undo data lives in memory. False, with upstream's error, if it fails."""
        path = self._file()
        if path is None or not path.exists():
            return True
        try:
            with open(path, "ab") as f:
                os.fsync(f.fileno())
            _DirectoryCommit(path.parent)
        except OSError:
            LogError("%s: failed to commit file %d\n", "Flush", 0)
            LogError(
                "Flushing block file to disk failed. This is likely the result of an I/O error.\n"
            )
            return False
        return True

    def FlushChainstateBlockFile(self, tip_height: int) -> bool:
        """Commit the block file the active chainstate writes to (there is only one)."""
        return self.FlushBlockFile(fFinalize=False, finalize_undo=False)

    def ReadRawBlock(self, pos: FlatFilePos | CBlockIndex) -> bytes | None:
        """The stored serialization (with witness), or None when there is none."""
        if isinstance(pos, CBlockIndex):
            pos = pos.GetBlockPos()
        if pos.IsNull():
            return None
        return self.m_block_data.get(pos.nPos)

    def ReadBlock(
        self, pos: FlatFilePos | CBlockIndex, expected_hash: uint256 | None = None
    ) -> CBlock | None:
        """A fresh copy of a stored block, or None (upstream: false and an error log). With an
        index, the block's hash must match it."""
        if isinstance(pos, CBlockIndex):
            expected_hash = pos.GetBlockHash()
            pos = pos.GetBlockPos()
        raw = self.ReadRawBlock(pos)
        if raw is None:
            LogError("ReadBlock: no block data at %s\n", pos.ToString())
            return None
        block = CBlock.deserialize(DataStream(raw))
        if expected_hash is not None and block.GetHash() != expected_hash:
            LogError(
                "GetHash() doesn't match index for %s at %s\n",
                expected_hash.ToString(),
                pos.ToString(),
            )
            return None
        return block

    def WriteBlockUndo(self, blockundo: CBlockUndo, block: CBlockIndex) -> bool:
        self.m_block_undo[block.GetBlockHash()] = blockundo
        return True

    def ReadBlockUndo(self, index: CBlockIndex) -> CBlockUndo | None:
        return self.m_block_undo.get(index.GetBlockHash())

    def ReadStoredBlocks(self) -> list[tuple[FlatFilePos, CBlock]]:
        """Every block in the file, in the order written. A damaged tail (a crash mid-write) is
        cut off so later records line up again."""
        path = self._file()
        if path is None or not path.exists():
            return []
        data = path.read_bytes()
        out: list[tuple[FlatFilePos, CBlock]] = []
        offset = 0
        while offset < len(data):
            try:
                if data[offset : offset + 4] != self.m_message_start or offset + 8 > len(data):
                    raise SerializationError("bad record header")
                size = int.from_bytes(data[offset + 4 : offset + 8], "little")
                raw = data[offset + 8 : offset + 8 + size]
                if len(raw) != size:
                    raise SerializationError("truncated record")
                s = DataStream(raw)
                block = CBlock.deserialize(s)
                if not s.empty():
                    raise SerializationError("trailing bytes in record")
            except SerializationError as e:
                LogInfo("Ignoring damaged block file tail at offset %d: %s\n", offset, e)
                with open(path, "r+b") as f:
                    f.truncate(offset)
                    os.fsync(f.fileno())
                break
            pos = FlatFilePos(0, offset + STORAGE_HEADER_BYTES)
            self.m_block_data[pos.nPos] = raw
            out.append((pos, block))
            offset += STORAGE_HEADER_BYTES + size
        self.m_next_pos = offset
        return out
