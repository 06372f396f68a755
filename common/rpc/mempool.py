"""Mempool RPC methods (src/rpc/mempool.cpp): sendrawtransaction, getrawmempool,
getmempoolinfo; with BroadcastTransaction (src/node/transaction.cpp) and IsRBFOptIn
(src/policy/rbf.cpp), which they use.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum
from typing import Any, Final

from ..chain import cs_main
from ..consensus_validation import TxValidationResult, TxValidationState
from ..core_io import DecodeHexTx, ValueFromAmount
from ..feerate import CFeeRate
from ..mempool_entry import CTxMemPoolEntry
from ..primitives.transaction import COIN, COutPoint, CTransaction
from ..script import OP_NOP10, GetOp, IsUnspendable
from ..txmempool import CTxMemPool, MempoolAcceptResult
from ..uint256 import uint256
from ..univalue import UniValue, get_bool, get_str
from .protocol import (
    RPC_DESERIALIZATION_ERROR,
    RPC_INVALID_PARAMETER,
    RPC_MISC_ERROR,
    RPC_TRANSACTION_ERROR,
    RPC_TRANSACTION_REJECTED,
    RPC_VERIFY_ALREADY_IN_UTXO_SET,
    JSONRPCError,
)
from .request import JSONRPCRequest
from .server import CRPCCommand, CRPCTable
from .server_util import EnsureAnyMemPool, EnsureAnyNodeContext, EnsureChainman, EnsureMemPool
from .util import (
    AmountFromValue,
    HelpExampleCli,
    HelpExampleRpc,
    RPCArg,
    RPCExamples,
    RPCHelpMan,
    RPCResult,
)

T = RPCResult.Type
CURRENCY_UNIT: Final = "BTC"

#: node/transaction.h: the default -maxfeerate of sendrawtransaction, in sat/kvB (0.10 BTC).
DEFAULT_MAX_RAW_TX_FEE_RATE: Final = CFeeRate(COIN // 10)
#: node/transaction.h: the default maxburnamount (no burning).
DEFAULT_MAX_BURN_AMOUNT: Final = 0
#: policy/policy.h: the default -datacarriersize.
MAX_OP_RETURN_RELAY: Final = 100_000
#: policy/policy.h: DEFAULT_PERMIT_BAREMULTISIG.
DEFAULT_PERMIT_BAREMULTISIG: Final = True


def FormatMoney(n: int) -> str:
    """util/moneystr.cpp: at least two decimals, trailing zeros beyond them removed."""
    quotient, remainder = divmod(abs(n), COIN)
    text = f"{quotient}.{remainder:08d}".rstrip("0")
    if len(text.split(".")[1]) < 2:
        text += "0" * (2 - len(text.split(".")[1]))
    return ("-" if n < 0 else "") + text


# --- node/types.h: TransactionError ---------------------------------------------------------------


class TransactionError(Enum):
    OK = 0
    MISSING_INPUTS = 1
    ALREADY_IN_UTXO_SET = 2
    MEMPOOL_REJECTED = 3
    MEMPOOL_ERROR = 4
    MAX_FEE_EXCEEDED = 5
    MAX_BURN_EXCEEDED = 6
    INVALID_PACKAGE = 7


def TransactionErrorString(err: TransactionError) -> str:
    return {
        TransactionError.OK: "No error",
        TransactionError.MISSING_INPUTS: "Inputs missing or spent",
        TransactionError.ALREADY_IN_UTXO_SET: "Transaction outputs already in utxo set",
        TransactionError.MEMPOOL_REJECTED: "Transaction rejected by mempool",
        TransactionError.MEMPOOL_ERROR: "Mempool internal error",
        TransactionError.MAX_FEE_EXCEEDED: (
            "Fee exceeds maximum configured by user (e.g. -maxtxfee, maxfeerate)"
        ),
        TransactionError.MAX_BURN_EXCEEDED: (
            "Unspendable output exceeds maximum configured by user (maxburnamount)"
        ),
        TransactionError.INVALID_PACKAGE: "Transaction rejected due to invalid package",
    }[err]


def RPCErrorFromTransactionError(terr: TransactionError) -> int:
    if terr == TransactionError.MEMPOOL_REJECTED:
        return RPC_TRANSACTION_REJECTED
    if terr == TransactionError.ALREADY_IN_UTXO_SET:
        return RPC_VERIFY_ALREADY_IN_UTXO_SET
    return RPC_TRANSACTION_ERROR


def JSONRPCTransactionError(terr: TransactionError, err_string: str = "") -> JSONRPCError:
    return JSONRPCError(
        RPCErrorFromTransactionError(terr), err_string or TransactionErrorString(terr)
    )


def HandleATMPError(state: TxValidationState) -> tuple[TransactionError, str]:
    err_string = state.ToString()
    if state.IsInvalid():
        if state.GetResult() == TxValidationResult.TX_MISSING_INPUTS:
            return TransactionError.MISSING_INPUTS, err_string
        return TransactionError.MEMPOOL_REJECTED, err_string
    return TransactionError.MEMPOOL_ERROR, err_string


def BroadcastTransaction(
    node: object, tx: CTransaction, max_tx_fee: int, relay: bool, wait_callback: bool
) -> tuple[TransactionError, str]:
    """Add ``tx`` to the mempool (unless it is there already) and announce it to peers:
    ``(error, error string)``. A transaction whose outputs are in the UTXO set is already
    confirmed. With ``max_tx_fee`` > 0, a test acceptance first refuses higher fees."""
    chainman = EnsureChainman(node)
    mempool = EnsureMemPool(node)
    txid = tx.GetHash()
    wtxid = tx.GetWitnessHash()
    callback_done: Callable[[], None] | None = None
    with cs_main:
        view = chainman.ActiveChainstate().CoinsTip()
        for o in range(len(tx.vout)):
            # IsSpent means the output does not exist; one that exists is confirmed.
            if not view.AccessCoin(COutPoint(txid, o)).IsSpent():
                return TransactionError.ALREADY_IN_UTXO_SET, ""
        mempool_tx = mempool.get(txid)
        if mempool_tx is not None:
            # Same txid already there: re-announce the mempool's version (its wtxid).
            wtxid = mempool_tx.GetWitnessHash()
        else:
            if max_tx_fee > 0:
                result: MempoolAcceptResult = chainman.ProcessTransaction(tx, test_accept=True)
                if result.m_result_type != MempoolAcceptResult.ResultType.VALID:
                    return HandleATMPError(result.m_state)
                assert result.m_base_fees is not None
                if result.m_base_fees > max_tx_fee:
                    return TransactionError.MAX_FEE_EXCEEDED, ""
            result = chainman.ProcessTransaction(tx, test_accept=False)
            if result.m_result_type != MempoolAcceptResult.ResultType.VALID:
                return HandleATMPError(result.m_state)
            if relay:
                # Tracked until a peer asks for it (best-effort initial broadcast).
                mempool.AddUnbroadcastTx(txid)
            signals = getattr(node, "validation_signals", None)
            if wait_callback and signals is not None:
                callback_done = signals.SyncWithValidationInterfaceQueue
    if callback_done is not None:
        # Subscribers have seen the transaction enter the mempool before the reply.
        callback_done()
    peerman = getattr(node, "peerman", None)
    if relay and peerman is not None:
        peerman.RelayTransaction(txid, wtxid)
    return TransactionError.OK, ""


def _HasValidOps(script: bytes) -> bool:
    pc = 0
    while pc < len(script):
        ok, pc, opcode, _ = GetOp(script, pc)
        if not ok or opcode > OP_NOP10:
            return False
    return True


def ParseFeeRate(json: UniValue) -> CFeeRate:
    """BTC/kvB as a fee rate; 1 BTC/kvB and above are refused."""
    val = AmountFromValue(json)
    if val >= COIN:
        raise JSONRPCError(
            RPC_INVALID_PARAMETER, "Fee rates larger than or equal to 1BTC/kvB are not accepted"
        )
    return CFeeRate(val)


def sendrawtransaction() -> RPCHelpMan:
    def impl(self: RPCHelpMan, request: JSONRPCRequest) -> UniValue:
        params = request.params
        max_burn_amount = 0 if len(params) < 3 or params[2] is None else AmountFromValue(params[2])
        tx = DecodeHexTx(get_str(params[0]))
        if tx is None:
            raise JSONRPCError(
                RPC_DESERIALIZATION_ERROR,
                "TX decode failed. Make sure the tx has at least one input.",
            )
        for out in tx.vout:
            unspendable = IsUnspendable(out.scriptPubKey) or not _HasValidOps(out.scriptPubKey)
            if unspendable and out.nValue > max_burn_amount:
                raise JSONRPCTransactionError(TransactionError.MAX_BURN_EXCEEDED)
        max_raw_tx_fee_rate = ParseFeeRate(self.Arg("maxfeerate"))
        virtual_size = (tx.GetWeight() + 3) // 4
        max_raw_tx_fee = max_raw_tx_fee_rate.GetFee(virtual_size)
        node = EnsureAnyNodeContext(request.context)
        err, err_string = BroadcastTransaction(node, tx, max_raw_tx_fee, True, True)
        if err != TransactionError.OK:
            raise JSONRPCTransactionError(err, err_string)
        return tx.GetHash().GetHex()

    return RPCHelpMan(
        "sendrawtransaction",
        "Submit a raw transaction (serialized, hex-encoded) to local node and network.\n"
        "\nThe transaction will be sent unconditionally to all peers, so using "
        "sendrawtransaction\n"
        "for manual rebroadcast may degrade privacy by leaking the transaction's origin, as\n"
        "nodes will normally not rebroadcast non-wallet transactions already in their mempool.\n"
        "\nA specific exception, RPC_TRANSACTION_ALREADY_IN_UTXO_SET, may throw if the "
        "transaction cannot be added to the mempool.\n"
        "\nRelated RPCs: createrawtransaction, signrawtransactionwithkey\n",
        [
            RPCArg(
                "hexstring",
                RPCArg.Type.STR_HEX,
                RPCArg.Optional.NO,
                "The hex string of the raw transaction",
            ),
            RPCArg(
                "maxfeerate",
                RPCArg.Type.AMOUNT,
                RPCArg.Default(FormatMoney(DEFAULT_MAX_RAW_TX_FEE_RATE.GetFeePerK())),
                "Reject transactions whose fee rate is higher than the specified value, "
                "expressed in " + CURRENCY_UNIT + "/kvB.\nFee rates larger than 1BTC/kvB are "
                "rejected.\nSet to 0 to accept any fee rate.",
            ),
            RPCArg(
                "maxburnamount",
                RPCArg.Type.AMOUNT,
                RPCArg.Default(FormatMoney(DEFAULT_MAX_BURN_AMOUNT)),
                "Reject transactions with provably unspendable outputs (e.g. 'datacarrier' "
                "outputs that use the OP_RETURN opcode) greater than the specified value, "
                "expressed in " + CURRENCY_UNIT + ".\n"
                "If burning funds through unspendable outputs is desired, increase this value.\n"
                "This check is based on heuristics and does not guarantee spendability of "
                "outputs.\n",
            ),
        ],
        RPCResult(T.STR_HEX, "", "The transaction hash in hex"),
        RPCExamples(
            "\nCreate a transaction\n"
            + HelpExampleCli(
                "createrawtransaction",
                '"[{\\"txid\\" : \\"mytxid\\",\\"vout\\":0}]" "{\\"myaddress\\":0.01}"',
            )
            + "Sign the transaction, and get back the hex\n"
            + HelpExampleCli("signrawtransactionwithwallet", '"myhex"')
            + "\nSend the transaction (signed hex)\n"
            + HelpExampleCli("sendrawtransaction", '"signedhex"')
            + "\nAs a JSON-RPC call\n"
            + HelpExampleRpc("sendrawtransaction", '"signedhex"')
        ),
        impl,
    )


# --- policy/rbf.cpp -------------------------------------------------------------------------------

#: BIP125: an nSequence at or below this signals replaceability.
MAX_BIP125_RBF_SEQUENCE: Final = 0xFFFFFFFD


class RBFTransactionState(Enum):
    UNKNOWN = 0  # not in the mempool
    REPLACEABLE_BIP125 = 1  # it or an in-mempool ancestor signals BIP125
    FINAL = 2  # neither it nor its ancestors signal


def SignalsOptInRBF(tx: CTransaction) -> bool:
    return any(txin.nSequence <= MAX_BIP125_RBF_SEQUENCE for txin in tx.vin)


def _Relatives(entry: CTxMemPoolEntry, children: bool) -> list[CTxMemPoolEntry]:
    """The in-mempool ancestors (or descendants) of ``entry``, not including it."""
    seen: dict[uint256, CTxMemPoolEntry] = {}
    stack = [entry]
    while stack:
        e = stack.pop()
        links = e.GetMemPoolChildrenConst() if children else e.GetMemPoolParentsConst()
        for key, other in links.items():
            if key not in seen:
                seen[key] = other
                stack.append(other)
    return list(seen.values())


def IsRBFOptIn(tx: CTransaction, pool: CTxMemPool) -> RBFTransactionState:
    if SignalsOptInRBF(tx):
        return RBFTransactionState.REPLACEABLE_BIP125
    entry = pool.GetEntry(tx.GetHash())
    if entry is None:
        return RBFTransactionState.UNKNOWN
    if any(SignalsOptInRBF(a.GetTx()) for a in _Relatives(entry, children=False)):
        return RBFTransactionState.REPLACEABLE_BIP125
    return RBFTransactionState.FINAL


# --- getrawmempool, getmempoolinfo ----------------------------------------------------------------


def MempoolEntryDescription() -> list[RPCResult]:
    return [
        RPCResult(
            T.NUM,
            "vsize",
            "virtual transaction size as defined in BIP 141. This is different from actual "
            "serialized size for witness transactions as witness data is discounted.",
        ),
        RPCResult(T.NUM, "weight", "transaction weight as defined in BIP 141."),
        RPCResult(
            T.NUM_TIME,
            "time",
            "local time transaction entered pool in seconds since 1 Jan 1970 GMT",
        ),
        RPCResult(T.NUM, "height", "block height when transaction entered pool"),
        RPCResult(
            T.NUM,
            "descendantcount",
            "number of in-mempool descendant transactions (including this one)",
        ),
        RPCResult(
            T.NUM,
            "descendantsize",
            "virtual transaction size of in-mempool descendants (including this one)",
        ),
        RPCResult(
            T.NUM,
            "ancestorcount",
            "number of in-mempool ancestor transactions (including this one)",
        ),
        RPCResult(
            T.NUM,
            "ancestorsize",
            "virtual transaction size of in-mempool ancestors (including this one)",
        ),
        RPCResult(T.STR_HEX, "wtxid", "hash of serialized transaction, including witness data"),
        RPCResult(
            T.OBJ,
            "fees",
            "",
            [
                RPCResult(T.STR_AMOUNT, "base", "transaction fee, denominated in " + CURRENCY_UNIT),
                RPCResult(
                    T.STR_AMOUNT,
                    "modified",
                    "transaction fee with fee deltas used for mining priority, denominated in "
                    + CURRENCY_UNIT,
                ),
                RPCResult(
                    T.STR_AMOUNT,
                    "ancestor",
                    "transaction fees of in-mempool ancestors (including this one) with fee "
                    "deltas used for mining priority, denominated in " + CURRENCY_UNIT,
                ),
                RPCResult(
                    T.STR_AMOUNT,
                    "descendant",
                    "transaction fees of in-mempool descendants (including this one) with fee "
                    "deltas used for mining priority, denominated in " + CURRENCY_UNIT,
                ),
            ],
        ),
        RPCResult(
            T.ARR,
            "depends",
            "unconfirmed transactions used as inputs for this transaction",
            [RPCResult(T.STR_HEX, "transactionid", "parent transaction id")],
        ),
        RPCResult(
            T.ARR,
            "spentby",
            "unconfirmed transactions spending outputs from this transaction",
            [RPCResult(T.STR_HEX, "transactionid", "child transaction id")],
        ),
        RPCResult(
            T.BOOL,
            "bip125-replaceable",
            "Whether this transaction signals BIP125 replaceability or has an unconfirmed "
            "ancestor signaling BIP125 replaceability. (DEPRECATED)\n",
        ),
        RPCResult(
            T.BOOL,
            "unbroadcast",
            "Whether this transaction is currently unbroadcast (initial broadcast not yet "
            "acknowledged by any peers)",
        ),
    ]


def entryToJSON(pool: CTxMemPool, e: CTxMemPoolEntry) -> dict[str, Any]:
    """One mempool entry as getrawmempool's verbose output shows it (pool.cs held)."""
    ancestors = _Relatives(e, children=False)
    descendants = _Relatives(e, children=True)
    tx = e.GetTx()
    info: dict[str, Any] = {
        "vsize": e.GetTxSize(),
        "weight": e.GetTxWeight(),
        "time": e.GetTime(),
        "height": e.GetHeight(),
        "descendantcount": 1 + len(descendants),
        "descendantsize": e.GetTxSize() + sum(d.GetTxSize() for d in descendants),
        "ancestorcount": 1 + len(ancestors),
        "ancestorsize": e.GetTxSize() + sum(a.GetTxSize() for a in ancestors),
        "wtxid": tx.GetWitnessHash().GetHex(),
        "fees": {
            "base": ValueFromAmount(e.GetFee()),
            "modified": ValueFromAmount(e.GetModifiedFee()),
            "ancestor": ValueFromAmount(
                e.GetModifiedFee() + sum(a.GetModifiedFee() for a in ancestors)
            ),
            "descendant": ValueFromAmount(
                e.GetModifiedFee() + sum(d.GetModifiedFee() for d in descendants)
            ),
        },
    }
    depends = sorted(
        {txin.prevout.hash.GetHex() for txin in tx.vin if pool.exists(txin.prevout.hash)}
    )
    info["depends"] = depends
    info["spentby"] = [
        child.GetTx().GetHash().GetHex() for child in e.GetMemPoolChildrenConst().values()
    ]
    rbf_state = IsRBFOptIn(tx, pool)
    if rbf_state == RBFTransactionState.UNKNOWN:
        raise JSONRPCError(RPC_MISC_ERROR, "Transaction is not in mempool")
    info["bip125-replaceable"] = rbf_state == RBFTransactionState.REPLACEABLE_BIP125
    info["unbroadcast"] = pool.IsUnbroadcastTx(tx.GetHash())
    return info


def MempoolToJSON(pool: CTxMemPool, verbose: bool, include_mempool_sequence: bool) -> UniValue:
    if verbose:
        if include_mempool_sequence:
            raise JSONRPCError(
                RPC_INVALID_PARAMETER,
                "Verbose results cannot contain mempool sequence values.",
            )
        with pool.cs:
            return {e.GetTx().GetHash().GetHex(): entryToJSON(pool, e) for e in pool.entryAll()}
    with pool.cs:
        txids = [e.GetTx().GetHash().GetHex() for e in pool.entryAll()]
        mempool_sequence = pool.GetSequence()
    if not include_mempool_sequence:
        return txids
    return {"txids": txids, "mempool_sequence": mempool_sequence}


def getrawmempool() -> RPCHelpMan:
    def impl(self: RPCHelpMan, request: JSONRPCRequest) -> UniValue:
        params = request.params
        fVerbose = get_bool(params[0]) if len(params) > 0 and params[0] is not None else False
        include_mempool_sequence = (
            get_bool(params[1]) if len(params) > 1 and params[1] is not None else False
        )
        return MempoolToJSON(EnsureAnyMemPool(request.context), fVerbose, include_mempool_sequence)

    return RPCHelpMan(
        "getrawmempool",
        "Returns all transaction ids in memory pool as a json array of string transaction ids.\n"
        "\nHint: use getmempoolentry to fetch a specific transaction from the mempool.\n",
        [
            RPCArg(
                "verbose",
                RPCArg.Type.BOOL,
                RPCArg.Default(False),
                "True for a json object, false for array of transaction ids",
            ),
            RPCArg(
                "mempool_sequence",
                RPCArg.Type.BOOL,
                RPCArg.Default(False),
                "If verbose=false, returns a json object with transaction list and mempool "
                "sequence number attached.",
            ),
        ],
        [
            RPCResult(
                T.ARR,
                "",
                "",
                [RPCResult(T.STR_HEX, "", "The transaction id")],
                cond="for verbose = false",
            ),
            RPCResult(
                T.OBJ_DYN,
                "",
                "",
                [RPCResult(T.OBJ, "transactionid", "", MempoolEntryDescription())],
                cond="for verbose = true",
            ),
            RPCResult(
                T.OBJ,
                "",
                "",
                [
                    RPCResult(T.ARR, "txids", "", [RPCResult(T.STR_HEX, "", "The transaction id")]),
                    RPCResult(T.NUM, "mempool_sequence", "The mempool sequence value."),
                ],
                cond="for verbose = false and mempool_sequence = true",
            ),
        ],
        RPCExamples(
            HelpExampleCli("getrawmempool", "true") + HelpExampleRpc("getrawmempool", "true")
        ),
        impl,
    )


def MempoolInfoToJSON(pool: CTxMemPool) -> dict[str, Any]:
    """getmempoolinfo's object, read atomically under pool.cs."""
    with pool.cs:
        opts = pool.m_opts
        min_fee = pool.GetMinFee()
        mempoolminfee = max(min_fee.GetFeePerK(), opts.min_relay_feerate.GetFeePerK())
        return {
            "loaded": bool(pool.GetLoadTried()),
            "size": pool.size(),
            "bytes": pool.GetTotalTxSize(),
            "usage": pool.DynamicMemoryUsage(),
            "total_fee": ValueFromAmount(pool.GetTotalFee()),
            "maxmempool": opts.max_size_bytes,
            "mempoolminfee": ValueFromAmount(mempoolminfee),
            "minrelaytxfee": ValueFromAmount(opts.min_relay_feerate.GetFeePerK()),
            "incrementalrelayfee": ValueFromAmount(opts.incremental_relay_feerate.GetFeePerK()),
            "unbroadcastcount": len(pool.GetUnbroadcastTxs()),
            "fullrbf": True,
            "permitbaremultisig": bool(
                getattr(opts, "permit_bare_multisig", DEFAULT_PERMIT_BAREMULTISIG)
            ),
            "maxdatacarriersize": int(
                getattr(opts, "max_datacarrier_bytes", MAX_OP_RETURN_RELAY) or 0
            ),
        }


def getmempoolinfo() -> RPCHelpMan:
    def impl(self: RPCHelpMan, request: JSONRPCRequest) -> UniValue:
        return MempoolInfoToJSON(EnsureAnyMemPool(request.context))

    return RPCHelpMan(
        "getmempoolinfo",
        "Returns details on the active state of the TX memory pool.",
        [],
        RPCResult(
            T.OBJ,
            "",
            "",
            [
                RPCResult(
                    T.BOOL,
                    "loaded",
                    "True if the initial load attempt of the persisted mempool finished",
                ),
                RPCResult(T.NUM, "size", "Current tx count"),
                RPCResult(
                    T.NUM,
                    "bytes",
                    "Sum of all virtual transaction sizes as defined in BIP 141. Differs from "
                    "actual serialized size because witness data is discounted",
                ),
                RPCResult(T.NUM, "usage", "Total memory usage for the mempool"),
                RPCResult(
                    T.STR_AMOUNT,
                    "total_fee",
                    "Total fees for the mempool in "
                    + CURRENCY_UNIT
                    + ", ignoring modified fees through prioritisetransaction",
                ),
                RPCResult(T.NUM, "maxmempool", "Maximum memory usage for the mempool"),
                RPCResult(
                    T.STR_AMOUNT,
                    "mempoolminfee",
                    "Minimum fee rate in "
                    + CURRENCY_UNIT
                    + "/kvB for tx to be accepted. Is the maximum of minrelaytxfee and minimum "
                    "mempool fee",
                ),
                RPCResult(
                    T.STR_AMOUNT, "minrelaytxfee", "Current minimum relay fee for transactions"
                ),
                RPCResult(
                    T.NUM,
                    "incrementalrelayfee",
                    "minimum fee rate increment for mempool limiting or replacement in "
                    + CURRENCY_UNIT
                    + "/kvB",
                ),
                RPCResult(
                    T.NUM,
                    "unbroadcastcount",
                    "Current number of transactions that haven't passed initial broadcast yet",
                ),
                RPCResult(
                    T.BOOL,
                    "fullrbf",
                    "True if the mempool accepts RBF without replaceability signaling "
                    "inspection (DEPRECATED)",
                ),
                RPCResult(
                    T.BOOL,
                    "permitbaremultisig",
                    "True if the mempool accepts transactions with bare multisig outputs",
                ),
                RPCResult(
                    T.NUM,
                    "maxdatacarriersize",
                    "Maximum number of bytes that can be used by OP_RETURN outputs in the mempool",
                ),
            ],
        ),
        RPCExamples(HelpExampleCli("getmempoolinfo", "") + HelpExampleRpc("getmempoolinfo", "")),
        impl,
    )


def RegisterMempoolRPCCommands(t: CRPCTable) -> None:
    commands = [
        CRPCCommand("rawtransactions", sendrawtransaction),
        CRPCCommand("blockchain", getmempoolinfo),
        CRPCCommand("blockchain", getrawmempool),
    ]
    for c in commands:
        t.appendCommand(c.name, c)
