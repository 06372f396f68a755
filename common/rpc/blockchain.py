"""Chain RPC methods (src/rpc/blockchain.cpp): getblockcount, getbestblockhash, getblockhash,
getblock, getblockheader, getblockchaininfo, getchaintips, getdifficulty.

They read the chain through the node context's ``chainman`` (common/validation.py's
ChainstateManager) under cs_main, as upstream. There is no pruning: block data is always
available once received.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..chain import (
    BLOCK_FAILED_MASK,
    BLOCK_HAVE_DATA,
    BLOCK_HAVE_UNDO,
    BLOCK_VALID_SCRIPTS,
    BLOCK_VALID_TREE,
    CBlockIndex,
    cs_main,
)
from ..core_io import TxToUniv, TxVerbosity
from ..pow import DeriveTarget
from ..primitives.block import CBlock
from ..serialize import DataStream, SerializationError
from ..uint256 import ZERO, uint256
from ..univalue import UniValue, getInt
from .protocol import (
    RPC_INTERNAL_ERROR,
    RPC_INVALID_ADDRESS_OR_KEY,
    RPC_INVALID_PARAMETER,
    RPC_MISC_ERROR,
    JSONRPCError,
)
from .request import JSONRPCRequest
from .server import CRPCCommand, CRPCTable, IsDeprecatedRPCEnabled
from .server_util import EnsureAnyChainman, EnsureAnyNodeContext
from .util import (
    CHECK_NONFATAL,
    UNIX_EPOCH_TIME,
    HelpExampleCli,
    HelpExampleRpc,
    ParseHashV,
    ParseVerbosity,
    RPCArg,
    RPCArgOptions,
    RPCExamples,
    RPCHelpMan,
    RPCResult,
)

if TYPE_CHECKING:
    from ..blockstorage import BlockManager

CURRENCY_UNIT = "BTC"
LIST_CHAIN_NAMES = "main, test, testnet4, signet, regtest"

T = RPCResult.Type

_EXAMPLE_BLOCK_HASH = '"00000000c937983704a73af28acdec37b049d214adbda81d7e2a3dd146f6ed09"'


def GetDifficulty(blockindex: CBlockIndex) -> float:
    """The difficulty as a multiple of the minimum (powLimit of mainnet), in doubles as
    upstream computes it."""
    nShift = (blockindex.nBits >> 24) & 0xFF
    dDiff = float(0x0000FFFF) / float(blockindex.nBits & 0x00FFFFFF)
    while nShift < 29:
        dDiff *= 256.0
        nShift += 1
    while nShift > 29:
        dDiff /= 256.0
        nShift -= 1
    return dDiff


def GetTarget(blockindex: CBlockIndex, pow_limit: uint256) -> str:
    """The target ``nBits`` encodes, as 64 hex digits."""
    target = DeriveTarget(blockindex.nBits, pow_limit)
    CHECK_NONFATAL(target is not None, "DeriveTarget(blockindex.nBits, pow_limit)")
    assert target is not None
    return f"{target:064x}"


def ComputeNextBlockAndDepth(
    tip: CBlockIndex, blockindex: CBlockIndex
) -> tuple[int, CBlockIndex | None]:
    """Confirmations of ``blockindex`` (-1 off the active chain) and its successor there."""
    next_ = tip.GetAncestor(blockindex.nHeight + 1)
    if next_ is not None and next_.pprev is blockindex:
        return tip.nHeight - blockindex.nHeight + 1, next_
    return (1 if blockindex is tip else -1), None


def blockheaderToJSON(
    tip: CBlockIndex, blockindex: CBlockIndex, pow_limit: uint256
) -> dict[str, Any]:
    confirmations, pnext = ComputeNextBlockAndDepth(tip, blockindex)
    result: dict[str, Any] = {
        "hash": blockindex.GetBlockHash().GetHex(),
        "confirmations": confirmations,
        "height": blockindex.nHeight,
        "version": blockindex.nVersion,
        "versionHex": f"{blockindex.nVersion & 0xFFFFFFFF:08x}",
        "merkleroot": blockindex.hashMerkleRoot.GetHex(),
        "time": blockindex.nTime,
        "mediantime": blockindex.GetMedianTimePast(),
        "nonce": blockindex.nNonce,
        "bits": f"{blockindex.nBits:08x}",
        "target": GetTarget(blockindex, pow_limit),
        "difficulty": GetDifficulty(blockindex),
        "chainwork": f"{blockindex.nChainWork:064x}",
        "nTx": blockindex.nTx,
    }
    if blockindex.pprev is not None:
        result["previousblockhash"] = blockindex.pprev.GetBlockHash().GetHex()
    if pnext is not None:
        result["nextblockhash"] = pnext.GetBlockHash().GetHex()
    return result


def blockToJSON(
    blockman: BlockManager,
    block: CBlock,
    tip: CBlockIndex,
    blockindex: CBlockIndex,
    verbosity: TxVerbosity,
    pow_limit: uint256,
) -> dict[str, Any]:
    result = blockheaderToJSON(tip, blockindex, pow_limit)
    stripped = len(block.serialize(with_witness=False))
    size = len(block.serialize(with_witness=True))
    result["strippedsize"] = stripped
    result["size"] = size
    result["weight"] = stripped * 3 + size
    txs: list[Any] = []
    if verbosity == TxVerbosity.SHOW_TXID:
        txs = [tx.GetHash().GetHex() for tx in block.vtx]
    else:
        with cs_main:
            have_undo = not blockman.IsBlockPruned(blockindex) and bool(
                blockindex.nStatus & BLOCK_HAVE_UNDO
            )
        block_undo = blockman.ReadBlockUndo(blockindex) if have_undo else None
        if have_undo and block_undo is None:
            raise JSONRPCError(
                RPC_INTERNAL_ERROR,
                "Undo data expected but can't be read. This could be due to disk corruption or "
                "a conflict with a pruning event.",
            )
        for i, tx in enumerate(block.vtx):
            # The coinbase has no undo data.
            txundo = block_undo.vtxundo[i - 1] if block_undo is not None and i > 0 else None
            txs.append(TxToUniv(tx, ZERO, True, txundo, verbosity))
    result["tx"] = txs
    return result


def ParseHashOrHeight(param: UniValue, chainman: Any) -> CBlockIndex:
    with cs_main:
        active_chain = chainman.ActiveChain()
        if isinstance(param, int) and not isinstance(param, bool):
            height = getInt(param)
            if height < 0:
                raise JSONRPCError(
                    RPC_INVALID_PARAMETER, f"Target block height {height} is negative"
                )
            current_tip = active_chain.Height()
            if height > current_tip:
                raise JSONRPCError(
                    RPC_INVALID_PARAMETER,
                    f"Target block height {height} after current tip {current_tip}",
                )
            pindex: CBlockIndex | None = active_chain[height]
            assert pindex is not None
            return pindex
        hash_ = ParseHashV(param, "hash_or_height")
        pindex = chainman.m_blockman.LookupBlockIndex(hash_)
        if pindex is None:
            raise JSONRPCError(RPC_INVALID_ADDRESS_OR_KEY, "Block not found")
        return pindex


def getblockcount() -> RPCHelpMan:
    def impl(self: RPCHelpMan, request: JSONRPCRequest) -> UniValue:
        chainman = EnsureAnyChainman(request.context)
        with cs_main:
            return chainman.ActiveChain().Height()

    return RPCHelpMan(
        "getblockcount",
        "Returns the height of the most-work fully-validated chain.\n"
        "The genesis block has height 0.\n",
        [],
        RPCResult(T.NUM, "", "The current block count"),
        RPCExamples(HelpExampleCli("getblockcount", "") + HelpExampleRpc("getblockcount", "")),
        impl,
    )


def getbestblockhash() -> RPCHelpMan:
    def impl(self: RPCHelpMan, request: JSONRPCRequest) -> UniValue:
        chainman = EnsureAnyChainman(request.context)
        with cs_main:
            return chainman.ActiveChain().Tip().GetBlockHash().GetHex()

    return RPCHelpMan(
        "getbestblockhash",
        "Returns the hash of the best (tip) block in the most-work fully-validated chain.\n",
        [],
        RPCResult(T.STR_HEX, "", "the block hash, hex-encoded"),
        RPCExamples(
            HelpExampleCli("getbestblockhash", "") + HelpExampleRpc("getbestblockhash", "")
        ),
        impl,
    )


def getdifficulty() -> RPCHelpMan:
    def impl(self: RPCHelpMan, request: JSONRPCRequest) -> UniValue:
        chainman = EnsureAnyChainman(request.context)
        with cs_main:
            return GetDifficulty(chainman.ActiveChain().Tip())

    return RPCHelpMan(
        "getdifficulty",
        "Returns the proof-of-work difficulty as a multiple of the minimum difficulty.\n",
        [],
        RPCResult(
            T.NUM, "", "the proof-of-work difficulty as a multiple of the minimum difficulty."
        ),
        RPCExamples(HelpExampleCli("getdifficulty", "") + HelpExampleRpc("getdifficulty", "")),
        impl,
    )


def getblockhash() -> RPCHelpMan:
    def impl(self: RPCHelpMan, request: JSONRPCRequest) -> UniValue:
        chainman = EnsureAnyChainman(request.context)
        with cs_main:
            active_chain = chainman.ActiveChain()
            nHeight = getInt(request.params[0])
            if nHeight < 0 or nHeight > active_chain.Height():
                raise JSONRPCError(RPC_INVALID_PARAMETER, "Block height out of range")
            return active_chain[nHeight].GetBlockHash().GetHex()

    return RPCHelpMan(
        "getblockhash",
        "Returns hash of block in best-block-chain at height provided.\n",
        [RPCArg("height", RPCArg.Type.NUM, RPCArg.Optional.NO, "The height index")],
        RPCResult(T.STR_HEX, "", "The block hash"),
        RPCExamples(
            HelpExampleCli("getblockhash", "1000") + HelpExampleRpc("getblockhash", "1000")
        ),
        impl,
    )


def getblockheader() -> RPCHelpMan:
    def impl(self: RPCHelpMan, request: JSONRPCRequest) -> UniValue:
        hash_ = ParseHashV(request.params[0], "hash")
        fVerbose = self.Arg("verbose", bool)
        chainman = EnsureAnyChainman(request.context)
        with cs_main:
            pblockindex = chainman.m_blockman.LookupBlockIndex(hash_)
            tip = chainman.ActiveChain().Tip()
        if pblockindex is None:
            raise JSONRPCError(RPC_INVALID_ADDRESS_OR_KEY, "Block not found")
        if not fVerbose:
            return pblockindex.GetBlockHeader().serialize_header().hex()
        return blockheaderToJSON(tip, pblockindex, chainman.GetConsensus().powLimit)

    return RPCHelpMan(
        "getblockheader",
        "If verbose is false, returns a string that is serialized, hex-encoded data for "
        "blockheader 'hash'.\n"
        "If verbose is true, returns an Object with information about blockheader <hash>.\n",
        [
            RPCArg("blockhash", RPCArg.Type.STR_HEX, RPCArg.Optional.NO, "The block hash"),
            RPCArg(
                "verbose",
                RPCArg.Type.BOOL,
                RPCArg.Default(True),
                "true for a json object, false for the hex-encoded data",
            ),
        ],
        [
            RPCResult(
                T.OBJ,
                "",
                "",
                [
                    RPCResult(T.STR_HEX, "hash", "the block hash (same as provided)"),
                    RPCResult(
                        T.NUM,
                        "confirmations",
                        "The number of confirmations, or -1 if the block is not on the main chain",
                    ),
                    RPCResult(T.NUM, "height", "The block height or index"),
                    RPCResult(T.NUM, "version", "The block version"),
                    RPCResult(
                        T.STR_HEX, "versionHex", "The block version formatted in hexadecimal"
                    ),
                    RPCResult(T.STR_HEX, "merkleroot", "The merkle root"),
                    RPCResult(T.NUM_TIME, "time", "The block time expressed in " + UNIX_EPOCH_TIME),
                    RPCResult(
                        T.NUM_TIME,
                        "mediantime",
                        "The median block time expressed in " + UNIX_EPOCH_TIME,
                    ),
                    RPCResult(T.NUM, "nonce", "The nonce"),
                    RPCResult(
                        T.STR_HEX,
                        "bits",
                        "nBits: compact representation of the block difficulty target",
                    ),
                    RPCResult(T.STR_HEX, "target", "The difficulty target"),
                    RPCResult(T.NUM, "difficulty", "The difficulty"),
                    RPCResult(
                        T.STR_HEX,
                        "chainwork",
                        "Expected number of hashes required to produce the current chain",
                    ),
                    RPCResult(T.NUM, "nTx", "The number of transactions in the block"),
                    RPCResult(
                        T.STR_HEX,
                        "previousblockhash",
                        "The hash of the previous block (if available)",
                        optional=True,
                    ),
                    RPCResult(
                        T.STR_HEX,
                        "nextblockhash",
                        "The hash of the next block (if available)",
                        optional=True,
                    ),
                ],
                cond="for verbose = true",
            ),
            RPCResult(
                T.STR_HEX,
                "",
                "A string that is serialized, hex-encoded data for block 'hash'",
                cond="for verbose=false",
            ),
        ],
        RPCExamples(
            HelpExampleCli("getblockheader", _EXAMPLE_BLOCK_HASH)
            + HelpExampleRpc("getblockheader", _EXAMPLE_BLOCK_HASH)
        ),
        impl,
    )


def CheckBlockDataAvailability(
    blockman: BlockManager, blockindex: CBlockIndex, check_for_undo: bool
) -> None:
    flag = BLOCK_HAVE_UNDO if check_for_undo else BLOCK_HAVE_DATA
    if not blockindex.nStatus & flag:
        if blockman.IsBlockPruned(blockindex):
            what = "Undo data" if check_for_undo else "Block"
            raise JSONRPCError(RPC_MISC_ERROR, f"{what} not available (pruned data)")
        if check_for_undo:
            raise JSONRPCError(RPC_MISC_ERROR, "Undo data not available")
        raise JSONRPCError(RPC_MISC_ERROR, "Block not available (not fully downloaded)")


def GetRawBlockChecked(blockman: BlockManager, blockindex: CBlockIndex) -> bytes:
    with cs_main:
        CheckBlockDataAvailability(blockman, blockindex, check_for_undo=False)
    data = blockman.ReadRawBlock(blockindex)
    if data is None:
        raise JSONRPCError(RPC_MISC_ERROR, "Block not found on disk")
    return data


_SCRIPT_PUB_KEY_DOC = [
    RPCResult(T.STR, "asm", "Disassembly of the output script"),
    RPCResult(T.STR, "desc", "Inferred descriptor for the output"),
    RPCResult(T.STR_HEX, "hex", "The raw output script bytes, hex-encoded"),
    RPCResult(
        T.STR,
        "address",
        "The Bitcoin address (only if a well-defined address exists)",
        optional=True,
    ),
    RPCResult(
        T.STR,
        "type",
        "The type (one of: nonstandard, pubkey, pubkeyhash, scripthash, multisig, nulldata, "
        "anchor, witness_v0_scripthash, witness_v0_keyhash, witness_v1_taproot, "
        "witness_unknown)",
    ),
]


def getblock() -> RPCHelpMan:
    def impl(self: RPCHelpMan, request: JSONRPCRequest) -> UniValue:
        hash_ = ParseHashV(request.params[0], "blockhash")
        verbosity = ParseVerbosity(
            request.params[1] if len(request.params) > 1 else None, 1, allow_bool=True
        )
        chainman = EnsureAnyChainman(request.context)
        with cs_main:
            pblockindex = chainman.m_blockman.LookupBlockIndex(hash_)
            tip = chainman.ActiveChain().Tip()
            if pblockindex is None:
                raise JSONRPCError(RPC_INVALID_ADDRESS_OR_KEY, "Block not found")
        block_data = GetRawBlockChecked(chainman.m_blockman, pblockindex)
        if verbosity <= 0:
            return block_data.hex()
        try:
            block = CBlock.deserialize(DataStream(block_data))
        except SerializationError as e:
            raise JSONRPCError(RPC_MISC_ERROR, str(e)) from e
        if verbosity == 1:
            tx_verbosity = TxVerbosity.SHOW_TXID
        elif verbosity == 2:
            tx_verbosity = TxVerbosity.SHOW_DETAILS
        else:
            tx_verbosity = TxVerbosity.SHOW_DETAILS_AND_PREVOUT
        return blockToJSON(
            chainman.m_blockman,
            block,
            tip,
            pblockindex,
            tx_verbosity,
            chainman.GetConsensus().powLimit,
        )

    verbose1 = [
        RPCResult(T.STR_HEX, "hash", "the block hash (same as provided)"),
        RPCResult(
            T.NUM,
            "confirmations",
            "The number of confirmations, or -1 if the block is not on the main chain",
        ),
        RPCResult(T.NUM, "size", "The block size"),
        RPCResult(T.NUM, "strippedsize", "The block size excluding witness data"),
        RPCResult(T.NUM, "weight", "The block weight as defined in BIP 141"),
        RPCResult(T.NUM, "height", "The block height or index"),
        RPCResult(T.NUM, "version", "The block version"),
        RPCResult(T.STR_HEX, "versionHex", "The block version formatted in hexadecimal"),
        RPCResult(T.STR_HEX, "merkleroot", "The merkle root"),
        RPCResult(
            T.ARR,
            "tx",
            "The transaction ids",
            [RPCResult(T.STR_HEX, "", "The transaction id")],
        ),
        RPCResult(T.NUM_TIME, "time", "The block time expressed in " + UNIX_EPOCH_TIME),
        RPCResult(
            T.NUM_TIME, "mediantime", "The median block time expressed in " + UNIX_EPOCH_TIME
        ),
        RPCResult(T.NUM, "nonce", "The nonce"),
        RPCResult(
            T.STR_HEX, "bits", "nBits: compact representation of the block difficulty target"
        ),
        RPCResult(T.STR_HEX, "target", "The difficulty target"),
        RPCResult(T.NUM, "difficulty", "The difficulty"),
        RPCResult(
            T.STR_HEX,
            "chainwork",
            "Expected number of hashes required to produce the chain up to this block (in hex)",
        ),
        RPCResult(T.NUM, "nTx", "The number of transactions in the block"),
        RPCResult(
            T.STR_HEX,
            "previousblockhash",
            "The hash of the previous block (if available)",
            optional=True,
        ),
        RPCResult(
            T.STR_HEX, "nextblockhash", "The hash of the next block (if available)", optional=True
        ),
    ]
    getblock_vin = RPCResult(
        T.ARR,
        "vin",
        "",
        [
            RPCResult(
                T.OBJ,
                "",
                "",
                [
                    RPCResult(T.ELISION, "", "The same output as verbosity = 2"),
                    RPCResult(
                        T.OBJ,
                        "prevout",
                        "(Only if undo information is available)",
                        [
                            RPCResult(T.BOOL, "generated", "Coinbase or not"),
                            RPCResult(T.NUM, "height", "The height of the prevout"),
                            RPCResult(T.STR_AMOUNT, "value", "The value in " + CURRENCY_UNIT),
                            RPCResult(T.OBJ, "scriptPubKey", "", _SCRIPT_PUB_KEY_DOC),
                        ],
                    ),
                ],
            ),
        ],
    )
    return RPCHelpMan(
        "getblock",
        "If verbosity is 0, returns a string that is serialized, hex-encoded data for block "
        "'hash'.\n"
        "If verbosity is 1, returns an Object with information about block <hash>.\n"
        "If verbosity is 2, returns an Object with information about block <hash> and "
        "information about each transaction.\n"
        "If verbosity is 3, returns an Object with information about block <hash> and "
        "information about each transaction, including prevout information for inputs (only "
        "for unpruned blocks in the current best chain).\n",
        [
            RPCArg("blockhash", RPCArg.Type.STR_HEX, RPCArg.Optional.NO, "The block hash"),
            RPCArg(
                "verbosity|verbose",
                RPCArg.Type.NUM,
                RPCArg.Default(1),
                "0 for hex-encoded data, 1 for a JSON object, 2 for JSON object with transaction "
                "data, and 3 for JSON object with transaction data including prevout "
                "information for inputs",
                opts=RPCArgOptions(skip_type_check=True),
            ),
        ],
        [
            RPCResult(
                T.STR_HEX,
                "",
                "A string that is serialized, hex-encoded data for block 'hash'",
                cond="for verbosity = 0",
            ),
            RPCResult(T.OBJ, "", "", verbose1, cond="for verbosity = 1"),
            RPCResult(
                T.OBJ,
                "",
                "",
                [
                    RPCResult(T.ELISION, "", "Same output as verbosity = 1"),
                    RPCResult(
                        T.ARR,
                        "tx",
                        "",
                        [
                            RPCResult(
                                T.OBJ,
                                "",
                                "",
                                [
                                    RPCResult(
                                        T.ELISION,
                                        "",
                                        "The transactions in the format of the getrawtransaction "
                                        'RPC. Different from verbosity = 1 "tx" result',
                                    ),
                                    RPCResult(
                                        T.NUM,
                                        "fee",
                                        "The transaction fee in "
                                        + CURRENCY_UNIT
                                        + ", omitted if block undo data is not available",
                                    ),
                                ],
                            ),
                        ],
                    ),
                ],
                cond="for verbosity = 2",
            ),
            RPCResult(
                T.OBJ,
                "",
                "",
                [
                    RPCResult(T.ELISION, "", "Same output as verbosity = 2"),
                    RPCResult(T.ARR, "tx", "", [RPCResult(T.OBJ, "", "", [getblock_vin])]),
                ],
                cond="for verbosity = 3",
            ),
        ],
        RPCExamples(
            HelpExampleCli("getblock", _EXAMPLE_BLOCK_HASH)
            + HelpExampleRpc("getblock", _EXAMPLE_BLOCK_HASH)
        ),
        impl,
    )


def _CalculateCurrentUsage(blockman: Any) -> int:
    """Bytes of stored block data (upstream: the size of the blk and rev files)."""
    calculate = getattr(blockman, "CalculateCurrentUsage", None)
    if calculate is not None:
        return int(calculate())
    block_data: dict[int, bytes] = getattr(blockman, "m_block_data", {})
    # Each record is the 4-byte network magic, a 4-byte length and the block.
    return sum(8 + len(data) for data in block_data.values())


def GetWarningsForRpc(node: object, use_deprecated: bool) -> UniValue:
    """The node's warnings: the latest as a string (-deprecatedrpc=warnings), else all."""
    warnings = getattr(node, "warnings", None)
    messages: list[str] = list(warnings.GetMessages()) if warnings is not None else []
    if use_deprecated:
        return messages[-1] if messages else ""
    return messages


def getblockchaininfo() -> RPCHelpMan:
    def impl(self: RPCHelpMan, request: JSONRPCRequest) -> UniValue:
        chainman = EnsureAnyChainman(request.context)
        with cs_main:
            tip = chainman.ActiveChain().Tip()
            CHECK_NONFATAL(tip is not None, "active_chainstate.m_chain.Tip()")
            best_header = chainman.m_best_header
            blockman = chainman.m_blockman
            obj: dict[str, Any] = {
                "chain": chainman.GetParams().GetChainTypeString(),
                "blocks": tip.nHeight,
                "headers": best_header.nHeight if best_header is not None else -1,
                "bestblockhash": tip.GetBlockHash().GetHex(),
                "bits": f"{tip.nBits:08x}",
                "target": GetTarget(tip, chainman.GetConsensus().powLimit),
                "difficulty": GetDifficulty(tip),
                "time": tip.GetBlockTime(),
                "mediantime": tip.GetMedianTimePast(),
                "verificationprogress": float(chainman.GuessVerificationProgress(tip)),
                "initialblockdownload": bool(chainman.IsInitialBlockDownload()),
                "chainwork": f"{tip.nChainWork:064x}",
                "size_on_disk": _CalculateCurrentUsage(blockman),
                "pruned": bool(blockman.IsPruneMode()),
            }
        node = EnsureAnyNodeContext(request.context)
        obj["warnings"] = GetWarningsForRpc(node, IsDeprecatedRPCEnabled("warnings"))
        return obj

    warnings_doc = (
        RPCResult(T.STR, "warnings", "any network and blockchain warnings (DEPRECATED)")
        if IsDeprecatedRPCEnabled("warnings")
        else RPCResult(
            T.ARR,
            "warnings",
            "any network and blockchain warnings (run with `-deprecatedrpc=warnings` to return "
            "the latest warning as a single string)",
            [RPCResult(T.STR, "", "warning")],
        )
    )
    return RPCHelpMan(
        "getblockchaininfo",
        "Returns an object containing various state info regarding blockchain processing.\n",
        [],
        RPCResult(
            T.OBJ,
            "",
            "",
            [
                RPCResult(T.STR, "chain", "current network name (" + LIST_CHAIN_NAMES + ")"),
                RPCResult(
                    T.NUM,
                    "blocks",
                    "the height of the most-work fully-validated chain. The genesis block has "
                    "height 0",
                ),
                RPCResult(T.NUM, "headers", "the current number of headers we have validated"),
                RPCResult(T.STR, "bestblockhash", "the hash of the currently best block"),
                RPCResult(
                    T.STR_HEX,
                    "bits",
                    "nBits: compact representation of the block difficulty target",
                ),
                RPCResult(T.STR_HEX, "target", "The difficulty target"),
                RPCResult(T.NUM, "difficulty", "the current difficulty"),
                RPCResult(T.NUM_TIME, "time", "The block time expressed in " + UNIX_EPOCH_TIME),
                RPCResult(
                    T.NUM_TIME,
                    "mediantime",
                    "The median block time expressed in " + UNIX_EPOCH_TIME,
                ),
                RPCResult(
                    T.NUM, "verificationprogress", "estimate of verification progress [0..1]"
                ),
                RPCResult(
                    T.BOOL,
                    "initialblockdownload",
                    "(debug information) estimate of whether this node is in Initial Block "
                    "Download mode",
                ),
                RPCResult(
                    T.STR_HEX, "chainwork", "total amount of work in active chain, in hexadecimal"
                ),
                RPCResult(
                    T.NUM, "size_on_disk", "the estimated size of the block and undo files on disk"
                ),
                RPCResult(T.BOOL, "pruned", "if the blocks are subject to pruning"),
                RPCResult(
                    T.NUM,
                    "pruneheight",
                    "height of the last block pruned, plus one (only present if pruning is "
                    "enabled)",
                    optional=True,
                ),
                RPCResult(
                    T.BOOL,
                    "automatic_pruning",
                    "whether automatic pruning is enabled (only present if pruning is enabled)",
                    optional=True,
                ),
                RPCResult(
                    T.NUM,
                    "prune_target_size",
                    "the target size used by pruning (only present if automatic pruning is "
                    "enabled)",
                    optional=True,
                ),
                RPCResult(
                    T.STR_HEX,
                    "signet_challenge",
                    "the block challenge (aka. block script), in hexadecimal (only present if "
                    "the current network is a signet)",
                    optional=True,
                ),
                warnings_doc,
            ],
        ),
        RPCExamples(
            HelpExampleCli("getblockchaininfo", "") + HelpExampleRpc("getblockchaininfo", "")
        ),
        impl,
    )


def getchaintips() -> RPCHelpMan:
    def impl(self: RPCHelpMan, request: JSONRPCRequest) -> UniValue:
        chainman = EnsureAnyChainman(request.context)
        with cs_main:
            active_chain = chainman.ActiveChain()
            # The tips: the active tip, plus every block off the active chain that no other
            # such block builds on.
            orphans: list[CBlockIndex] = []
            prevs: set[int] = set()
            for block_index in chainman.BlockIndex().values():
                if not active_chain.Contains(block_index):
                    orphans.append(block_index)
                    if block_index.pprev is not None:
                        prevs.add(id(block_index.pprev))
            tips = {id(b): b for b in orphans if id(b) not in prevs}
            active_tip = active_chain.Tip()
            tips[id(active_tip)] = active_tip
            # Highest first (upstream's CompareBlocksByHeight; ties in hash order here).
            ordered = sorted(tips.values(), key=lambda b: (-b.nHeight, b.GetBlockHash().data[::-1]))
            res: list[Any] = []
            for block in ordered:
                fork = active_chain.FindFork(block)
                assert fork is not None
                if active_chain.Contains(block):
                    status = "active"
                elif block.nStatus & BLOCK_FAILED_MASK:
                    status = "invalid"
                elif not block.HaveNumChainTxs():
                    status = "headers-only"
                elif block.IsValid(BLOCK_VALID_SCRIPTS):
                    status = "valid-fork"
                elif block.IsValid(BLOCK_VALID_TREE):
                    status = "valid-headers"
                else:
                    status = "unknown"
                res.append(
                    {
                        "height": block.nHeight,
                        "hash": block.GetBlockHash().GetHex(),
                        "branchlen": block.nHeight - fork.nHeight,
                        "status": status,
                    }
                )
            return res

    return RPCHelpMan(
        "getchaintips",
        "Return information about all known tips in the block tree, including the main chain "
        "as well as orphaned branches.\n",
        [],
        RPCResult(
            T.ARR,
            "",
            "",
            [
                RPCResult(
                    T.OBJ,
                    "",
                    "",
                    [
                        RPCResult(T.NUM, "height", "height of the chain tip"),
                        RPCResult(T.STR_HEX, "hash", "block hash of the tip"),
                        RPCResult(
                            T.NUM,
                            "branchlen",
                            "zero for main chain, otherwise length of branch connecting the tip "
                            "to the main chain",
                        ),
                        RPCResult(
                            T.STR,
                            "status",
                            'status of the chain, "active" for the main chain\n'
                            "Possible values for status:\n"
                            '1.  "invalid"               This branch contains at least one '
                            "invalid block\n"
                            '2.  "headers-only"          Not all blocks for this branch are '
                            "available, but the headers are valid\n"
                            '3.  "valid-headers"         All blocks are available for this '
                            "branch, but they were never fully validated\n"
                            '4.  "valid-fork"            This branch is not part of the active '
                            "chain, but is fully validated\n"
                            '5.  "active"                This is the tip of the active main '
                            "chain, which is certainly valid",
                        ),
                    ],
                ),
            ],
        ),
        RPCExamples(HelpExampleCli("getchaintips", "") + HelpExampleRpc("getchaintips", "")),
        impl,
    )


def RegisterBlockchainRPCCommands(t: CRPCTable) -> None:
    commands = [
        CRPCCommand("blockchain", getblockchaininfo),
        CRPCCommand("blockchain", getbestblockhash),
        CRPCCommand("blockchain", getblockcount),
        CRPCCommand("blockchain", getblock),
        CRPCCommand("blockchain", getblockhash),
        CRPCCommand("blockchain", getblockheader),
        CRPCCommand("blockchain", getchaintips),
        CRPCCommand("blockchain", getdifficulty),
    ]
    for c in commands:
        t.appendCommand(c.name, c)
