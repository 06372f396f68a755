"""The chain, mining, mempool and node-control RPC methods on a small mined regtest chain.

Every call runs with -rpcdoccheck, so each result is also checked against its documented
shape, as upstream's functional tests run. Expected values follow upstream's functional tests
(rpc_blockchain.py, mining_basic.py, rpc_generate.py, mempool_accept.py, rpc_rawtransaction.py).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from common.addresstype import WitnessV0KeyHash
from common.args import ArgsManager, OptionsCategory, Settings, gArgs
from common.chainparams import REGTEST_GENESIS_HASH, Params
from common.clock import GetTime, SetMockTime
from common.core_io import DescriptorChecksum
from common.httprpc import HTTPRPC, add_rpc_server_args
from common.httpserver import HTTPServer
from common.key_io import EncodeDestination
from common.mining import GetCoinbaseAt, MakeSpendingTransaction
from common.pow import CheckProofOfWork
from common.primitives.block import CBlock
from common.primitives.transaction import COutPoint, CTransaction, CTxIn, CTxOut
from common.rpc import server
from common.rpc.protocol import JSONRPCError
from common.rpc.register import RegisterAllCoreRPCCommands
from common.rpc.request import JSONRPCRequest
from common.rpc.server import CRPCTable
from common.serialize import DataStream
from common.txmempool import CTxMemPool, MemPoolOptions
from common.uint256 import uint256
from common.univalue import read, write
from common.validation import ChainstateManager
from common.validationinterface import ValidationSignals

T0 = 1_700_000_000
ADDRESS = EncodeDestination(WitnessV0KeyHash(bytes(range(20))))
OP_TRUE_DESC = "raw(51)#" + DescriptorChecksum("raw(51)")


class Warnings:
    def __init__(self) -> None:
        self.messages: list[str] = []

    def GetMessages(self) -> list[str]:
        return list(self.messages)


class PeerManager:
    """Records what would be announced to peers."""

    def __init__(self) -> None:
        self.relayed: list[tuple[str, str]] = []

    def RelayTransaction(self, txid: uint256, wtxid: uint256) -> None:
        self.relayed.append((txid.GetHex(), wtxid.GetHex()))


@dataclass
class Node:
    """The node context the methods see (the chain stand-in and a recording PeerManager)."""

    chainman: ChainstateManager
    mempool: CTxMemPool
    validation_signals: ValidationSignals
    warnings: Warnings = field(default_factory=Warnings)
    peerman: PeerManager = field(default_factory=PeerManager)


@pytest.fixture(autouse=True)
def _mock_time_and_doc_check() -> Iterator[None]:
    SetMockTime(T0)
    gArgs.ForceSetArg("-rpcdoccheck", "1")
    in_warmup, _ = server.RPCIsInWarmup()
    if in_warmup:
        server.SetRPCWarmupFinished()
    yield

    def drop(settings: Settings) -> None:
        settings.forced_settings.pop("rpcdoccheck", None)

    gArgs.LockSettings(drop)
    SetMockTime(0)


@pytest.fixture
def node() -> Node:
    signals = ValidationSignals()
    mempool = CTxMemPool(MemPoolOptions(signals=signals))
    chainman = ChainstateManager(Params(), signals, mempool=mempool)
    return Node(chainman, mempool, signals)


@pytest.fixture
def table() -> CRPCTable:
    t = CRPCTable()
    RegisterAllCoreRPCCommands(t)
    return t


class RPC:
    def __init__(self, table: CRPCTable, node: Node) -> None:
        self.table = table
        self.node = node

    def __call__(self, method: str, *params: Any, **named: Any) -> Any:
        request = JSONRPCRequest()
        request.strMethod = method
        request.params = dict(named) if named else list(params)
        request.context = self.node
        return self.table.execute(request)

    def error(self, method: str, *params: Any) -> tuple[int, str]:
        with pytest.raises(JSONRPCError) as excinfo:
            self(method, *params)
        return excinfo.value.code, excinfo.value.message


@pytest.fixture
def rpc(table: CRPCTable, node: Node) -> RPC:
    return RPC(table, node)


# --- chain queries --------------------------------------------------------------------------------


def test_fresh_chain_is_the_regtest_genesis(rpc: RPC) -> None:
    assert rpc("getblockcount") == 0
    assert rpc("getbestblockhash") == REGTEST_GENESIS_HASH.GetHex()
    assert rpc("getblockhash", 0) == REGTEST_GENESIS_HASH.GetHex()
    assert write(rpc("getdifficulty")) == "4.656542373906925e-10"  # as bitcoind prints it


def test_generatetoaddress_mines_blocks_paying_the_address(rpc: RPC) -> None:
    hashes = rpc("generatetoaddress", 3, ADDRESS)
    assert len(hashes) == 3
    assert rpc("getblockcount") == 3
    assert [rpc("getblockhash", h) for h in (1, 2, 3)] == hashes
    block = rpc("getblock", hashes[0], 2)
    coinbase_out = block["tx"][0]["vout"][0]
    assert coinbase_out["value"] == Decimal("50.00000000")
    assert coinbase_out["scriptPubKey"]["address"] == ADDRESS
    assert coinbase_out["scriptPubKey"]["type"] == "witness_v0_keyhash"


def test_generate_errors(rpc: RPC) -> None:
    assert rpc.error("generatetoaddress", 1, "not-an-address") == (-5, "Error: Invalid address")
    assert rpc.error("generatetodescriptor", 1, "raw(51)#00000000") == (
        -5,
        f"Provided checksum '00000000' does not match computed checksum "
        f"'{DescriptorChecksum('raw(51)')}'",
    )
    code, message = rpc.error("generate", 1)
    assert code == -1  # a wrong argument count answers with the help text
    assert message.startswith("generate\n\nhas been replaced by the -generate cli option.")


def test_getblockhash_out_of_range(rpc: RPC) -> None:
    assert rpc.error("getblockhash", 1) == (-8, "Block height out of range")
    assert rpc.error("getblockhash", -1) == (-8, "Block height out of range")


def test_getblock_verbosity_levels(rpc: RPC, node: Node) -> None:
    h1, h2 = rpc("generatetoaddress", 2, ADDRESS)
    raw = rpc("getblock", h1, 0)
    block = CBlock.deserialize(DataStream(bytes.fromhex(raw)))
    assert block.GetHash().GetHex() == h1

    header_fields = [
        "hash", "confirmations", "height", "version", "versionHex", "merkleroot", "time",
        "mediantime", "nonce", "bits", "target", "difficulty", "chainwork", "nTx",
        "previousblockhash", "nextblockhash",
    ]  # fmt: skip
    verbose = rpc("getblock", h1)
    assert list(verbose) == [*header_fields, "strippedsize", "size", "weight", "tx"]
    assert verbose["confirmations"] == 2
    assert verbose["height"] == 1
    assert verbose["previousblockhash"] == REGTEST_GENESIS_HASH.GetHex()
    assert verbose["nextblockhash"] == h2
    assert verbose["tx"] == [block.vtx[0].GetHash().GetHex()]
    assert verbose["size"] == len(bytes.fromhex(raw))
    assert verbose["bits"] == "207fffff"
    assert verbose["target"] == "7fffff" + "0" * 58
    assert verbose["chainwork"] == f"{4:064x}"
    assert verbose["time"] == T0  # max(median time past + 1, now)
    assert rpc("getblock", h1, True) == verbose
    assert rpc("getblock", h1, False) == raw

    detailed = rpc("getblock", h1, 2)
    tx = detailed["tx"][0]
    assert list(tx) == [
        "txid", "hash", "version", "size", "vsize", "weight", "locktime", "vin", "vout", "hex",
    ]  # fmt: skip
    assert tx["vin"][0]["coinbase"] == "5100"
    assert rpc("getblock", h1, 3)["tx"][0] == tx  # the coinbase has no prevouts


def test_getblock_shows_fee_and_prevouts_from_undo_data(rpc: RPC, node: Node) -> None:
    rpc("generatetodescriptor", 101, OP_TRUE_DESC)
    spend = MakeSpendingTransaction(GetCoinbaseAt(node.chainman, 1), 0, 12345)
    rpc("sendrawtransaction", spend.serialize().hex())
    (block_hash,) = rpc("generatetoaddress", 1, ADDRESS)
    tx = rpc("getblock", block_hash, 3)["tx"][1]
    assert tx["fee"] == Decimal("0.00012345")
    assert tx["vin"][0]["prevout"] == {
        "generated": True,
        "height": 1,
        "value": Decimal("50.00000000"),
        "scriptPubKey": {
            "asm": "1",
            "desc": OP_TRUE_DESC,
            "hex": "51",
            "type": "nonstandard",
        },
    }
    assert "prevout" not in rpc("getblock", block_hash, 2)["tx"][1]["vin"][0]


def test_getblock_errors(rpc: RPC) -> None:
    assert rpc.error("getblock", "00" * 32) == (-5, "Block not found")
    assert rpc.error("getblock", "abc") == (
        -8,
        "blockhash must be of length 64 (not 3, for 'abc')",
    )
    assert rpc.error("getblock", "zz" * 32) == (
        -8,
        f"blockhash must be hexadecimal string (not '{'zz' * 32}')",
    )


def test_getblockheader_verbose_and_hex(rpc: RPC) -> None:
    (h1,) = rpc("generatetoaddress", 1, ADDRESS)
    header_hex = rpc("getblockheader", h1, False)
    assert len(header_hex) == 160
    assert rpc("getblock", h1, 0).startswith(header_hex)
    header = rpc("getblockheader", h1)
    block = rpc("getblock", h1)
    assert header == {k: v for k, v in block.items() if k not in ("strippedsize", "size",
                                                                   "weight", "tx")}  # fmt: skip
    assert "nextblockhash" not in header
    assert rpc.error("getblockheader", "11" * 32) == (-5, "Block not found")


def test_getblockchaininfo(rpc: RPC, node: Node) -> None:
    hashes = rpc("generatetoaddress", 2, ADDRESS)
    node.warnings.messages.append("clock is off")
    info = rpc("getblockchaininfo")
    assert info == {
        "chain": "regtest",
        "blocks": 2,
        "headers": 2,
        "bestblockhash": hashes[-1],
        "bits": "207fffff",
        "target": "7fffff" + "0" * 58,
        "difficulty": info["difficulty"],
        "time": T0 + 1,
        "mediantime": T0,
        "verificationprogress": info["verificationprogress"],
        "initialblockdownload": False,
        "chainwork": f"{6:064x}",
        "size_on_disk": info["size_on_disk"],
        "pruned": False,
        "warnings": ["clock is off"],
    }
    assert 0 < info["verificationprogress"] <= 1
    assert write(info["difficulty"]) == "4.656542373906925e-10"
    assert info["size_on_disk"] > 0


def test_getchaintips_reports_a_stale_branch(rpc: RPC) -> None:
    # A block on genesis that is never the tip.
    stale = rpc("generateblock", OP_TRUE_DESC, [], False)
    _a1, a2 = rpc("generatetoaddress", 2, ADDRESS)
    assert rpc("submitblock", stale["hex"]) == "inconclusive"
    assert rpc("getchaintips") == [
        {"height": 2, "hash": a2, "branchlen": 0, "status": "active"},
        {"height": 1, "hash": stale["hash"], "branchlen": 1, "status": "valid-headers"},
    ]
    assert rpc("getblock", stale["hash"])["confirmations"] == -1


# --- block submission -----------------------------------------------------------------------------


def test_submitblock_results_follow_bip22(rpc: RPC, node: Node) -> None:
    template = rpc("generateblock", ADDRESS, [], False)
    assert rpc("getblockcount") == 0
    assert rpc("submitblock", template["hex"]) is None
    assert rpc("getbestblockhash") == template["hash"]
    assert rpc("submitblock", template["hex"]) == "duplicate"
    assert rpc.error("submitblock", "00") == (-22, "Block decode failed")

    block = CBlock.deserialize(
        DataStream(bytes.fromhex(rpc("generateblock", ADDRESS, [], False)["hex"]))
    )
    block.hashMerkleRoot = block.vtx[0].GetWitnessHash()  # wrong merkle root
    assert rpc("submitblock", block.serialize().hex()) == "bad-txnmrklroot"

    block = CBlock.deserialize(
        DataStream(bytes.fromhex(rpc("generateblock", ADDRESS, [], False)["hex"]))
    )
    while CheckProofOfWork(block.GetHash(), block.nBits, node.chainman.GetConsensus()):
        block.nNonce += 1
    assert rpc("submitblock", block.serialize().hex()) == "high-hash"


def test_generateblock_with_mempool_and_raw_transactions(rpc: RPC, node: Node) -> None:
    rpc("generatetodescriptor", 101, OP_TRUE_DESC)
    in_mempool = MakeSpendingTransaction(GetCoinbaseAt(node.chainman, 1), 0, 1000)
    raw_only = MakeSpendingTransaction(GetCoinbaseAt(node.chainman, 2), 0, 1000)
    rpc("sendrawtransaction", in_mempool.serialize().hex())
    result = rpc(
        "generateblock", ADDRESS, [in_mempool.GetHash().GetHex(), raw_only.serialize().hex()]
    )
    block = rpc("getblock", result["hash"])
    assert block["tx"][1:] == [in_mempool.GetHash().GetHex(), raw_only.GetHash().GetHex()]
    assert rpc("getrawmempool") == []

    missing = "ab" * 32
    assert rpc.error("generateblock", ADDRESS, [missing]) == (
        -5,
        f"Transaction {missing} not in mempool.",
    )
    assert rpc.error("generateblock", ADDRESS, ["00"]) == (
        -22,
        "Transaction decode failed for 00. Make sure the tx has at least one input.",
    )
    assert rpc.error("generateblock", "nope", []) == (-5, "Error: Invalid address or descriptor")
    double_spend = MakeSpendingTransaction(GetCoinbaseAt(node.chainman, 1), 0, 2000)
    code, message = rpc.error("generateblock", ADDRESS, [double_spend.serialize().hex()])
    assert code == -25 and message.startswith("TestBlockValidity failed: ")


# --- mempool --------------------------------------------------------------------------------------


def test_sendrawtransaction_enters_the_mempool_and_is_relayed(rpc: RPC, node: Node) -> None:
    rpc("generatetodescriptor", 101, OP_TRUE_DESC)
    tx = MakeSpendingTransaction(GetCoinbaseAt(node.chainman, 1), 0, 10_000)
    txid = tx.GetHash().GetHex()
    assert rpc("sendrawtransaction", tx.serialize().hex()) == txid
    assert rpc("getrawmempool") == [txid]
    assert rpc("getrawmempool", False, True) == {"txids": [txid], "mempool_sequence": 2}
    entry = rpc("getrawmempool", True)[txid]
    vsize = (tx.GetWeight() + 3) // 4
    assert entry == {
        "vsize": vsize,
        "weight": tx.GetWeight(),
        "time": T0,
        "height": 101,
        "descendantcount": 1,
        "descendantsize": vsize,
        "ancestorcount": 1,
        "ancestorsize": vsize,
        "wtxid": tx.GetWitnessHash().GetHex(),
        "fees": {
            "base": Decimal("0.00010000"),
            "modified": Decimal("0.00010000"),
            "ancestor": Decimal("0.00010000"),
            "descendant": Decimal("0.00010000"),
        },
        "depends": [],
        "spentby": [],
        "bip125-replaceable": False,
        "unbroadcast": True,
    }
    info = rpc("getmempoolinfo")
    assert (info["size"], info["bytes"], info["total_fee"]) == (1, vsize, Decimal("0.00010000"))
    assert info["unbroadcastcount"] == 1
    assert info["minrelaytxfee"] == Decimal("0.00000100")
    # A resubmission is not an error, and announces the transaction again.
    assert rpc("sendrawtransaction", tx.serialize().hex()) == txid
    wtxid = tx.GetWitnessHash().GetHex()
    assert node.peerman.relayed == [(txid, wtxid), (txid, wtxid)]


def test_mempool_entry_links_parent_and_child(rpc: RPC, node: Node) -> None:
    rpc("generatetodescriptor", 101, OP_TRUE_DESC)
    parent = MakeSpendingTransaction(GetCoinbaseAt(node.chainman, 1), 0, 1000)
    child = MakeSpendingTransaction(parent, 0, 1000)
    rpc("sendrawtransaction", parent.serialize().hex())
    rpc("sendrawtransaction", child.serialize().hex())
    pool = rpc("getrawmempool", True)
    p, c = pool[parent.GetHash().GetHex()], pool[child.GetHash().GetHex()]
    assert p["spentby"] == [child.GetHash().GetHex()] and p["descendantcount"] == 2
    assert c["depends"] == [parent.GetHash().GetHex()] and c["ancestorcount"] == 2
    assert c["fees"]["ancestor"] == Decimal("0.00002000")
    assert rpc.error("getrawmempool", True, True) == (
        -8,
        "Verbose results cannot contain mempool sequence values.",
    )


def test_sendrawtransaction_errors(rpc: RPC, node: Node) -> None:
    rpc("generatetodescriptor", 101, OP_TRUE_DESC)
    coinbase = GetCoinbaseAt(node.chainman, 1)
    assert rpc.error("sendrawtransaction", "00") == (
        -22,
        "TX decode failed. Make sure the tx has at least one input.",
    )
    expensive = MakeSpendingTransaction(coinbase, 0, 10**8)
    assert rpc.error("sendrawtransaction", expensive.serialize().hex()) == (
        -25,
        "Fee exceeds maximum configured by user (e.g. -maxtxfee, maxfeerate)",
    )
    assert rpc("sendrawtransaction", expensive.serialize().hex(), 0) == expensive.GetHash().GetHex()
    orphan = MakeSpendingTransaction(MakeSpendingTransaction(coinbase, 0, 5), 0, 5)
    assert rpc.error("sendrawtransaction", orphan.serialize().hex()) == (
        -25,
        "bad-txns-inputs-missingorspent",
    )
    burn = CTransaction(
        [CTxIn(COutPoint(GetCoinbaseAt(node.chainman, 2).GetHash(), 0))],
        [CTxOut(1000, bytes.fromhex("6a00"))],
    )
    assert rpc.error("sendrawtransaction", burn.serialize().hex()) == (
        -25,
        "Unspendable output exceeds maximum configured by user (maxburnamount)",
    )
    assert rpc("sendrawtransaction", burn.serialize().hex(), 0, 1) == burn.GetHash().GetHex()
    assert rpc.error("sendrawtransaction", expensive.serialize().hex(), 1) == (
        -8,
        "Fee rates larger than or equal to 1BTC/kvB are not accepted",
    )
    rpc("generatetoaddress", 1, ADDRESS)  # confirms `expensive`
    assert rpc.error("sendrawtransaction", expensive.serialize().hex()) == (
        -27,
        "Transaction outputs already in utxo set",
    )


# --- node control ---------------------------------------------------------------------------------


def test_setmocktime_moves_the_node_clock(rpc: RPC) -> None:
    assert rpc("setmocktime", T0 + 1000) is None
    assert GetTime() == T0 + 1000
    assert rpc("uptime") == T0 + 1000 - server.GetStartupTime()
    assert rpc.error("setmocktime", -1) == (
        -8,
        "Mocktime must be in the range [0, 9223372036], not -1.",
    )


def test_named_parameters_work_for_chain_methods(rpc: RPC) -> None:
    (h1,) = rpc("generatetoaddress", nblocks=1, address=ADDRESS)
    assert rpc("getblockhash", height=1) == h1
    assert rpc("getblock", blockhash=h1, verbose=0) == rpc("getblock", h1, 0)
    assert rpc("getblockheader", blockhash=h1, verbose=False) == rpc("getblockheader", h1, False)


def test_help_lists_the_core_methods(rpc: RPC) -> None:
    text = rpc("help")
    for line in (
        "== Blockchain ==",
        'getblock "blockhash" ( verbosity )',
        "getblockchaininfo",
        "getrawmempool ( verbose mempool_sequence )",
        "== Mining ==",
        'submitblock "hexdata" ( "dummy" )',
        "== Rawtransactions ==",
        'sendrawtransaction "hexstring" ( maxfeerate maxburnamount )',
    ):
        assert line in text.split("\n")
    assert "generatetoaddress" not in text  # hidden, as upstream
    assert rpc("help", "generatetoaddress").startswith(
        'generatetoaddress nblocks "address" ( maxtries )\n'
    )


# --- over HTTP ------------------------------------------------------------------------------------


def test_a_jsonrpc_client_mines_and_queries_over_http(
    tmp_path: Path, table: CRPCTable, node: Node
) -> None:
    import base64
    import http.client

    args = ArgsManager()
    add_rpc_server_args(args)
    args.AddArg("-datadir=<dir>", "", ArgsManager.ALLOW_ANY, OptionsCategory.OPTIONS)
    (tmp_path / "regtest").mkdir()
    args.ParseParameters(
        ["x", f"-datadir={tmp_path}", "-rpcbind=127.0.0.1", "-rpcallowip=127.0.0.1",
         "-rpcport=0", "-rpcthreads=1"]
    )  # fmt: skip
    http_server = HTTPServer(args)
    assert http_server.InitHTTPServer(threading.Event())
    endpoint = HTTPRPC(args, table)
    assert endpoint.StartHTTPRPC(node, http_server)
    http_server.StartHTTPServer()
    cookie = (tmp_path / "regtest" / ".cookie").read_text()
    host, port = http_server.bound_addresses()[0]
    try:
        conn = http.client.HTTPConnection(host, port, timeout=10)
        auth = {"Authorization": "Basic " + base64.b64encode(cookie.encode()).decode()}
        body = (
            '[{"jsonrpc":"2.0","id":1,"method":"generatetoaddress","params":[2,"'
            + ADDRESS
            + '"]},{"jsonrpc":"2.0","id":2,"method":"getblockcount"}]'
        )
        conn.request("POST", "/", body, auth)
        ok, reply = read(conn.getresponse().read())
        assert ok
        assert reply[1] == {"jsonrpc": "2.0", "result": 2, "id": 2}
        assert len(reply[0]["result"]) == 2
        conn.request("POST", "/", '{"method":"getmempoolinfo","id":3}', auth)
        text = conn.getresponse().read().decode()
        assert '"total_fee":0.00000000' in text and '"minrelaytxfee":0.00000100' in text
        conn.close()
    finally:
        http_server.InterruptHTTPServer()
        endpoint.StopHTTPRPC()
        http_server.StopHTTPServer()
    assert write(Decimal("0.00000100")) == "0.00000100"
