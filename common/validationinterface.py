"""Validation events (src/validationinterface.{h,cpp}).

Subscribers derive from CValidationInterface and override the callbacks they want; validation and
the mempool fire them through ValidationSignals.

Upstream runs most callbacks (UpdatedBlockTip, TransactionAddedToMempool,
TransactionRemovedFromMempool, MempoolTransactionsRemovedForBlock, BlockConnected,
BlockDisconnected, ChainStateFlushed) later, on the scheduler thread, and only ActiveTipChange,
BlockChecked and NewPoWValidBlock synchronously. Here every callback runs synchronously, on the
caller's thread, at the moment upstream would enqueue it: subscribers see events in the order
validation generates them (one of the orders upstream can produce), deterministically, with
validation's locks held. FlushBackgroundCallbacks, SyncWithValidationInterfaceQueue and
CallbacksPending remain for callers written against the queue; there is never anything pending.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from .logging import BCLog, LogAcceptCategory, LogDebug
from .mempool_entry import RemovalReasonToString

if TYPE_CHECKING:
    from .chain import CBlockIndex, ChainstateRole
    from .consensus_validation import BlockValidationState
    from .mempool_entry import (
        MemPoolRemovalReason,
        NewMempoolTransactionInfo,
        RemovedMempoolTransactionInfo,
    )
    from .primitives.block import CBlock, CBlockLocator
    from .primitives.transaction import CTransaction


class CValidationInterface:
    """Implement this to subscribe to events from validation and the mempool. Every callback
    does nothing by default. A subscriber sees its callbacks one at a time, in the order the
    events happened."""

    __slots__ = ()

    def UpdatedBlockTip(
        self, pindexNew: CBlockIndex, pindexFork: CBlockIndex | None, fInitialDownload: bool
    ) -> None:
        """The active chain's tip advanced (called once for the final tip when several blocks
        connect at once; subscribe to BlockConnected for every block)."""

    def ActiveTipChange(self, new_tip: CBlockIndex, is_ibd: bool) -> None:
        """The tip changed (always synchronous upstream too)."""

    def TransactionAddedToMempool(
        self, tx: NewMempoolTransactionInfo, mempool_sequence: int
    ) -> None:
        """A transaction entered the mempool."""

    def TransactionRemovedFromMempool(
        self, tx: CTransaction, reason: MemPoolRemovalReason, mempool_sequence: int
    ) -> None:
        """A transaction left the mempool for any reason but inclusion in a block (those are
        reported by MempoolTransactionsRemovedForBlock). For conflicts with a new block, this
        fires before that block's BlockConnected."""

    def MempoolTransactionsRemovedForBlock(
        self, txs_removed_for_block: list[RemovedMempoolTransactionInfo], nBlockHeight: int
    ) -> None:
        """Transactions left the mempool because a block including them connected; fires
        before BlockConnected."""

    def BlockConnected(self, role: ChainstateRole, block: CBlock, pindex: CBlockIndex) -> None:
        """A block was connected to the chain."""

    def BlockDisconnected(self, block: CBlock, pindex: CBlockIndex) -> None:
        """A block was disconnected from the active chain."""

    def ChainStateFlushed(self, role: ChainstateRole, locator: CBlockLocator) -> None:
        """The chain state was written to disk; ``locator`` describes the best chain."""

    def BlockChecked(self, block: CBlock, state: BlockValidationState) -> None:
        """A block was validated; if ``state`` is valid it was the best block at that moment."""

    def NewPoWValidBlock(self, pindex: CBlockIndex, block: CBlock) -> None:
        """A block building on our tip arrived and joined the header tree, before full
        validation."""


class ValidationSignals:
    """The subscriber list and the signal methods that call every subscriber in registration
    order. (Upstream takes a task runner; every event here runs synchronously, see the module
    docstring.)"""

    __slots__ = ("m_list", "m_mutex")

    #: Guards m_list (upstream's ValidationSignalsImpl::m_mutex).
    m_mutex: threading.Lock
    #: Registered subscribers, keyed by identity, in registration order.
    m_list: dict[int, CValidationInterface]

    def __init__(self) -> None:
        self.m_mutex = threading.Lock()
        self.m_list = {}

    # -- registration ----------------------------------------------------------------------

    def RegisterValidationInterface(self, callbacks: CValidationInterface) -> None:
        with self.m_mutex:
            self.m_list[id(callbacks)] = callbacks

    def UnregisterValidationInterface(self, callbacks: CValidationInterface) -> None:
        with self.m_mutex:
            self.m_list.pop(id(callbacks), None)

    def UnregisterAllValidationInterfaces(self) -> None:
        with self.m_mutex:
            self.m_list.clear()

    # Upstream's shared-pointer variants; there is no lifetime to manage in Python.
    RegisterSharedValidationInterface = RegisterValidationInterface
    UnregisterSharedValidationInterface = UnregisterValidationInterface

    def FlushBackgroundCallbacks(self) -> None:
        """Nothing is ever queued."""

    def CallbacksPending(self) -> int:
        return 0

    def CallFunctionInValidationInterfaceQueue(self, func: Callable[[], None]) -> None:
        """Run ``func`` now: every earlier event has already been delivered."""
        func()

    def SyncWithValidationInterfaceQueue(self) -> None:
        """Returns at once: every event has already been delivered."""

    def _Iterate(self, f: Callable[[CValidationInterface], None]) -> None:
        # Call each subscriber without holding m_mutex (a callback may (un)register); one that
        # was unregistered by an earlier callback of this event is skipped.
        with self.m_mutex:
            snapshot = list(self.m_list.items())
        for key, callbacks in snapshot:
            with self.m_mutex:
                if self.m_list.get(key) is not callbacks:
                    continue
            f(callbacks)

    # -- the signals ------------------------------------------------------------------------
    # Each logs as upstream's LOG_EVENT does: "Enqueuing ..." for the queued kinds, then the
    # event itself; the arguments are only computed when the validation category is on.

    def UpdatedBlockTip(
        self, pindexNew: CBlockIndex, pindexFork: CBlockIndex | None, fInitialDownload: bool
    ) -> None:
        _LOG_EVENT(
            True,
            "%s: new block hash=%s fork block hash=%s (in IBD=%s)\n",
            lambda: (
                "UpdatedBlockTip",
                pindexNew.GetBlockHash().ToString(),
                pindexFork.GetBlockHash().ToString() if pindexFork is not None else "null",
                "true" if fInitialDownload else "false",
            ),
        )
        self._Iterate(lambda cb: cb.UpdatedBlockTip(pindexNew, pindexFork, fInitialDownload))

    def ActiveTipChange(self, new_tip: CBlockIndex, is_ibd: bool) -> None:
        _LOG_EVENT(
            False,
            "%s: new block hash=%s block height=%d\n",
            lambda: ("ActiveTipChange", new_tip.GetBlockHash().ToString(), new_tip.nHeight),
        )
        self._Iterate(lambda cb: cb.ActiveTipChange(new_tip, is_ibd))

    def TransactionAddedToMempool(
        self, tx: NewMempoolTransactionInfo, mempool_sequence: int
    ) -> None:
        _LOG_EVENT(
            True,
            "%s: txid=%s wtxid=%s\n",
            lambda: (
                "TransactionAddedToMempool",
                tx.info.m_tx.GetHash().ToString(),
                tx.info.m_tx.GetWitnessHash().ToString(),
            ),
        )
        self._Iterate(lambda cb: cb.TransactionAddedToMempool(tx, mempool_sequence))

    def TransactionRemovedFromMempool(
        self, tx: CTransaction, reason: MemPoolRemovalReason, mempool_sequence: int
    ) -> None:
        _LOG_EVENT(
            True,
            "%s: txid=%s wtxid=%s reason=%s\n",
            lambda: (
                "TransactionRemovedFromMempool",
                tx.GetHash().ToString(),
                tx.GetWitnessHash().ToString(),
                RemovalReasonToString(reason),
            ),
        )
        self._Iterate(lambda cb: cb.TransactionRemovedFromMempool(tx, reason, mempool_sequence))

    def MempoolTransactionsRemovedForBlock(
        self, txs_removed_for_block: list[RemovedMempoolTransactionInfo], nBlockHeight: int
    ) -> None:
        _LOG_EVENT(
            True,
            "%s: block height=%s txs removed=%s\n",
            lambda: (
                "MempoolTransactionsRemovedForBlock",
                nBlockHeight,
                len(txs_removed_for_block),
            ),
        )
        self._Iterate(
            lambda cb: cb.MempoolTransactionsRemovedForBlock(txs_removed_for_block, nBlockHeight)
        )

    def BlockConnected(self, role: ChainstateRole, block: CBlock, pindex: CBlockIndex) -> None:
        _LOG_EVENT(
            True,
            "%s: block hash=%s block height=%d\n",
            lambda: ("BlockConnected", block.GetHash().ToString(), pindex.nHeight),
        )
        self._Iterate(lambda cb: cb.BlockConnected(role, block, pindex))

    def BlockDisconnected(self, block: CBlock, pindex: CBlockIndex) -> None:
        _LOG_EVENT(
            True,
            "%s: block hash=%s block height=%d\n",
            lambda: ("BlockDisconnected", block.GetHash().ToString(), pindex.nHeight),
        )
        self._Iterate(lambda cb: cb.BlockDisconnected(block, pindex))

    def ChainStateFlushed(self, role: ChainstateRole, locator: CBlockLocator) -> None:
        _LOG_EVENT(
            True,
            "%s: block hash=%s\n",
            lambda: (
                "ChainStateFlushed",
                "null" if locator.IsNull() else locator.vHave[0].ToString(),
            ),
        )
        self._Iterate(lambda cb: cb.ChainStateFlushed(role, locator))

    def BlockChecked(self, block: CBlock, state: BlockValidationState) -> None:
        _LOG_EVENT(
            False,
            "%s: block hash=%s state=%s\n",
            lambda: ("BlockChecked", block.GetHash().ToString(), state.ToString()),
        )
        self._Iterate(lambda cb: cb.BlockChecked(block, state))

    def NewPoWValidBlock(self, pindex: CBlockIndex, block: CBlock) -> None:
        _LOG_EVENT(
            False,
            "%s: block hash=%s\n",
            lambda: ("NewPoWValidBlock", block.GetHash().ToString()),
        )
        self._Iterate(lambda cb: cb.NewPoWValidBlock(pindex, block))


def _LOG_EVENT(queued: bool, fmt: str, make_args: Callable[[], tuple[object, ...]]) -> None:
    if not LogAcceptCategory(BCLog.VALIDATION, BCLog.Level.Debug):
        return
    args = make_args()
    if queued:
        LogDebug(BCLog.VALIDATION, "Enqueuing " + fmt, *args)
    LogDebug(BCLog.VALIDATION, fmt, *args)
