"""Mining RPC methods (src/rpc/mining.cpp): generatetoaddress, generateblock, submitblock, and
the retired ``generate``.

Templates, nonce grinding and block submission are common/mining.py's (node/miner.cpp and the
helpers of rpc/mining.cpp); these methods parse arguments and map failures to upstream's
errors. Descriptors are understood only in the forms a wallet-less node can expand: addr()
and raw(), with or without checksum.
"""

from __future__ import annotations

from typing import Any

from ..addresstype import GetScriptForDestination, IsValidDestination
from ..args import CLIENT_NAME
from ..chain import cs_main
from ..core_io import DecodeHexBlk, DecodeHexTx, DescriptorChecksum
from ..key_io import DecodeDestination
from ..mining import (
    DEFAULT_MAX_TRIES,
    BlockAssembler,
    GenerateBlock,
    RegenerateCommitments,
    SubmitBlock,
    generateBlocks,
)
from ..primitives.transaction import CTransaction
from ..strencodings import IsHex
from ..uint256 import uint256
from ..univalue import UniValue, get_array, get_str, getInt
from ..validation import TestBlockValidity
from .protocol import (
    RPC_DESERIALIZATION_ERROR,
    RPC_INTERNAL_ERROR,
    RPC_INVALID_ADDRESS_OR_KEY,
    RPC_METHOD_NOT_FOUND,
    RPC_MISC_ERROR,
    RPC_VERIFY_ERROR,
    JSONRPCError,
)
from .request import JSONRPCRequest
from .server import CRPCCommand, CRPCTable
from .server_util import EnsureAnyNodeContext, EnsureChainman, EnsureMemPool
from .util import (
    CHECK_NONFATAL,
    HelpExampleCli,
    HelpExampleRpc,
    RPCArg,
    RPCExamples,
    RPCHelpMan,
    RPCResult,
)

T = RPCResult.Type


def getScriptFromDescriptor(descriptor: str) -> tuple[bool, bytes, str]:
    """The single script an addr() or raw() descriptor stands for: ``(ok, script, error)``.
    Other descriptors need key and script parsing this node does not have."""
    desc = descriptor
    if "#" in desc:
        desc, checksum = desc.split("#", 1)
        computed = DescriptorChecksum(desc)
        if checksum != computed:
            return (
                False,
                b"",
                (f"Provided checksum '{checksum}' does not match computed checksum '{computed}'"),
            )
    if desc.startswith("addr(") and desc.endswith(")"):
        dest = DecodeDestination(desc[5:-1])
        if not IsValidDestination(dest):
            return False, b"", "Address is not valid"
        return True, GetScriptForDestination(dest), ""
    if desc.startswith("raw(") and desc.endswith(")"):
        hex_script = desc[4:-1]
        if hex_script and not IsHex(hex_script):
            return False, b"", "Raw script is not hex"
        return True, bytes.fromhex(hex_script), ""
    return False, b"", f"'{descriptor}' is not a valid descriptor function"


def _generate_blocks(node: object, script: bytes, num_blocks: int, max_tries: int) -> UniValue:
    chainman = EnsureChainman(node)
    mempool = getattr(node, "mempool", None)
    try:
        hashes = generateBlocks(chainman, mempool, script, num_blocks, max_tries)
    except RuntimeError as e:
        # GenerateBlock: "ProcessNewBlock, block not accepted".
        raise JSONRPCError(RPC_INTERNAL_ERROR, str(e)) from e
    return [h.GetHex() for h in hashes]


def generatetoaddress() -> RPCHelpMan:
    def impl(self: RPCHelpMan, request: JSONRPCRequest) -> UniValue:
        num_blocks = getInt(request.params[0])
        max_tries = (
            DEFAULT_MAX_TRIES
            if len(request.params) < 3 or request.params[2] is None
            else getInt(request.params[2])
        )
        destination = DecodeDestination(get_str(request.params[1]))
        if not IsValidDestination(destination):
            raise JSONRPCError(RPC_INVALID_ADDRESS_OR_KEY, "Error: Invalid address")
        node = EnsureAnyNodeContext(request.context)
        return _generate_blocks(node, GetScriptForDestination(destination), num_blocks, max_tries)

    return RPCHelpMan(
        "generatetoaddress",
        "Mine to a specified address and return the block hashes.",
        [
            RPCArg(
                "nblocks", RPCArg.Type.NUM, RPCArg.Optional.NO, "How many blocks are generated."
            ),
            RPCArg(
                "address",
                RPCArg.Type.STR,
                RPCArg.Optional.NO,
                "The address to send the newly generated bitcoin to.",
            ),
            RPCArg(
                "maxtries",
                RPCArg.Type.NUM,
                RPCArg.Default(DEFAULT_MAX_TRIES),
                "How many iterations to try.",
            ),
        ],
        RPCResult(T.ARR, "", "hashes of blocks generated", [RPCResult(T.STR_HEX, "", "blockhash")]),
        RPCExamples(
            "\nGenerate 11 blocks to myaddress\n"
            + HelpExampleCli("generatetoaddress", '11 "myaddress"')
            + "If you are using the "
            + CLIENT_NAME
            + " wallet, you can get a new address to send the newly generated bitcoin to with:\n"
            + HelpExampleCli("getnewaddress", "")
        ),
        impl,
    )


def generatetodescriptor() -> RPCHelpMan:
    def impl(self: RPCHelpMan, request: JSONRPCRequest) -> UniValue:
        num_blocks = self.Arg("num_blocks", int)
        max_tries = self.Arg("maxtries", int, bits=64, signed=False)
        ok, script, error = getScriptFromDescriptor(self.Arg("descriptor", str))
        if not ok:
            raise JSONRPCError(RPC_INVALID_ADDRESS_OR_KEY, error)
        return _generate_blocks(
            EnsureAnyNodeContext(request.context), script, num_blocks, max_tries
        )

    return RPCHelpMan(
        "generatetodescriptor",
        "Mine to a specified descriptor and return the block hashes.",
        [
            RPCArg(
                "num_blocks", RPCArg.Type.NUM, RPCArg.Optional.NO, "How many blocks are generated."
            ),
            RPCArg(
                "descriptor",
                RPCArg.Type.STR,
                RPCArg.Optional.NO,
                "The descriptor to send the newly generated bitcoin to.",
            ),
            RPCArg(
                "maxtries",
                RPCArg.Type.NUM,
                RPCArg.Default(DEFAULT_MAX_TRIES),
                "How many iterations to try.",
            ),
        ],
        RPCResult(T.ARR, "", "hashes of blocks generated", [RPCResult(T.STR_HEX, "", "blockhash")]),
        RPCExamples(
            "\nGenerate 11 blocks to mydesc\n"
            + HelpExampleCli("generatetodescriptor", '11 "mydesc"')
        ),
        impl,
    )


def generate() -> RPCHelpMan:
    def impl(self: RPCHelpMan, request: JSONRPCRequest) -> UniValue:
        raise JSONRPCError(RPC_METHOD_NOT_FOUND, self.ToString())

    return RPCHelpMan(
        "generate",
        "has been replaced by the -generate cli option. Refer to -help for more information.",
        [],
        [],
        RPCExamples(""),
        impl,
    )


def generateblock() -> RPCHelpMan:
    def impl(self: RPCHelpMan, request: JSONRPCRequest) -> UniValue:
        address_or_descriptor = get_str(request.params[0])
        ok, coinbase_output_script, _ = getScriptFromDescriptor(address_or_descriptor)
        if not ok:
            destination = DecodeDestination(address_or_descriptor)
            if not IsValidDestination(destination):
                raise JSONRPCError(
                    RPC_INVALID_ADDRESS_OR_KEY, "Error: Invalid address or descriptor"
                )
            coinbase_output_script = GetScriptForDestination(destination)

        node = EnsureAnyNodeContext(request.context)
        mempool = EnsureMemPool(node)
        txs: list[CTransaction] = []
        for item in get_array(request.params[1]):
            text = get_str(item)
            txid = uint256.FromHex(text) if len(text) == 64 and IsHex(text) else None
            if txid is not None:
                tx = mempool.get(txid)
                if tx is None:
                    raise JSONRPCError(
                        RPC_INVALID_ADDRESS_OR_KEY, f"Transaction {text} not in mempool."
                    )
                txs.append(tx)
                continue
            decoded = DecodeHexTx(text)
            if decoded is None:
                raise JSONRPCError(
                    RPC_DESERIALIZATION_ERROR,
                    f"Transaction decode failed for {text}. Make sure the tx has at least one "
                    "input.",
                )
            txs.append(decoded)

        process_new_block = self.Arg("submit", bool)
        chainman = EnsureChainman(node)
        with cs_main:
            options = BlockAssembler.Options(
                coinbase_output_script=coinbase_output_script, use_mempool=False
            )
            block = (
                BlockAssembler(chainman.ActiveChainstate(), None, options).CreateNewBlock().block
            )
            CHECK_NONFATAL(len(block.vtx) == 1, "block.vtx.size() == 1")
            block.vtx.extend(txs)
            RegenerateCommitments(block, chainman)
            state = TestBlockValidity(
                chainman.ActiveChainstate(), block, check_pow=False, check_merkle_root=False
            )
            if not state.IsValid():
                raise JSONRPCError(
                    RPC_VERIFY_ERROR, f"TestBlockValidity failed: {state.ToString()}"
                )

        try:
            ok, block_out, _ = GenerateBlock(chainman, block, DEFAULT_MAX_TRIES, process_new_block)
        except RuntimeError as e:
            raise JSONRPCError(RPC_INTERNAL_ERROR, str(e)) from e
        if not ok or block_out is None:
            raise JSONRPCError(RPC_MISC_ERROR, "Failed to make block.")
        obj: dict[str, Any] = {"hash": block_out.GetHash().GetHex()}
        if not process_new_block:
            obj["hex"] = block_out.serialize(with_witness=True).hex()
        return obj

    return RPCHelpMan(
        "generateblock",
        "Mine a set of ordered transactions to a specified address or descriptor and return the "
        "block hash.",
        [
            RPCArg(
                "output",
                RPCArg.Type.STR,
                RPCArg.Optional.NO,
                "The address or descriptor to send the newly generated bitcoin to.",
            ),
            RPCArg(
                "transactions",
                RPCArg.Type.ARR,
                RPCArg.Optional.NO,
                "An array of hex strings which are either txids or raw transactions.\n"
                "Txids must reference transactions currently in the mempool.\n"
                "All transactions must be valid and in valid order, otherwise the block will be "
                "rejected.",
                [RPCArg("rawtx/txid", RPCArg.Type.STR_HEX, RPCArg.Optional.OMITTED, "")],
            ),
            RPCArg(
                "submit",
                RPCArg.Type.BOOL,
                RPCArg.Default(True),
                "Whether to submit the block before the RPC call returns or to return it as hex.",
            ),
        ],
        RPCResult(
            T.OBJ,
            "",
            "",
            [
                RPCResult(T.STR_HEX, "hash", "hash of generated block"),
                RPCResult(
                    T.STR_HEX,
                    "hex",
                    "hex of generated block, only present when submit=false",
                    optional=True,
                ),
            ],
        ),
        RPCExamples(
            "\nGenerate a block to myaddress, with txs rawtx and mempool_txid\n"
            + HelpExampleCli("generateblock", '"myaddress" \'["rawtx", "mempool_txid"]\'')
        ),
        impl,
    )


def submitblock() -> RPCHelpMan:
    # Two arguments for BIP22 compliance; the second is ignored.
    def impl(self: RPCHelpMan, request: JSONRPCRequest) -> UniValue:
        block = DecodeHexBlk(get_str(request.params[0]))
        if block is None:
            raise JSONRPCError(RPC_DESERIALIZATION_ERROR, "Block decode failed")
        chainman = EnsureChainman(EnsureAnyNodeContext(request.context))
        try:
            return SubmitBlock(chainman, block)
        except RuntimeError as e:
            # BIP22ValidationResult of an error state.
            raise JSONRPCError(RPC_VERIFY_ERROR, str(e)) from e

    return RPCHelpMan(
        "submitblock",
        "Attempts to submit new block to network.\n"
        "See https://en.bitcoin.it/wiki/BIP_0022 for full specification.\n",
        [
            RPCArg(
                "hexdata",
                RPCArg.Type.STR_HEX,
                RPCArg.Optional.NO,
                "the hex-encoded block data to submit",
            ),
            RPCArg(
                "dummy",
                RPCArg.Type.STR,
                RPCArg.DefaultHint("ignored"),
                "dummy value, for compatibility with BIP22. This value is ignored.",
            ),
        ],
        [
            RPCResult(T.NONE, "", "", cond="If the block was accepted"),
            RPCResult(T.STR, "", "According to BIP22", cond="Otherwise"),
        ],
        RPCExamples(
            HelpExampleCli("submitblock", '"mydata"') + HelpExampleRpc("submitblock", '"mydata"')
        ),
        impl,
    )


def RegisterMiningRPCCommands(t: CRPCTable) -> None:
    commands = [
        CRPCCommand("mining", submitblock),
        CRPCCommand("hidden", generatetoaddress),
        CRPCCommand("hidden", generatetodescriptor),
        CRPCCommand("hidden", generateblock),
        CRPCCommand("hidden", generate),
    ]
    for c in commands:
        t.appendCommand(c.name, c)
