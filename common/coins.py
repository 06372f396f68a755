"""The UTXO set (src/coins.{h,cpp}) and undo data (src/undo.h).

A stand-in for upstream's coins views: CCoinsViewCache is a layer of changes over a base view,
and the bottom layer (the chainstate's "database") is an in-memory map, rebuilt at start-up by
reconnecting the stored blocks. There is no LevelDB, no flushing policy and no memory
accounting; ``Flush`` only pushes a layer's changes down, as ConnectBlock's temporary view does.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .primitives.transaction import COutPoint, CTransaction, CTxOut
from .script import IsUnspendable
from .uint256 import ZERO, uint256

#: The null output (nValue -1) a spent or missing coin holds.
_NULL_TXOUT = CTxOut()


@dataclass(frozen=True, slots=True)
class Coin:
    """An unspent output with the height and coinbase-ness of its transaction. Immutable here:
    upstream moves coins around and clears them; the empty coin is ``Coin()``."""

    out: CTxOut = _NULL_TXOUT
    nHeight: int = 0
    fCoinBase: bool = False

    def IsCoinBase(self) -> bool:
        return self.fCoinBase

    def IsSpent(self) -> bool:
        """Either never existed or was spent: the output is null (nValue -1)."""
        return self.out.nValue == -1


#: Bytes counted per cached coin by DynamicMemoryUsage (upstream's usage for a typical coin).
_ENTRY_OVERHEAD = 128

#: The coin AccessCoin returns for a missing outpoint (upstream's coinEmpty).
coinEmpty = Coin()


class CCoinsView:
    """The abstract view: an empty UTXO set."""

    __slots__ = ()

    def GetCoin(self, outpoint: COutPoint) -> Coin | None:
        """The unspent coin at ``outpoint``, or None (upstream: std::optional<Coin>)."""
        return None

    def HaveCoin(self, outpoint: COutPoint) -> bool:
        return self.GetCoin(outpoint) is not None

    def GetBestBlock(self) -> uint256:
        """The block hash this view's state is at."""
        return ZERO


class CCoinsViewBacked(CCoinsView):
    """A view that passes everything through to another."""

    __slots__ = ("base",)

    base: CCoinsView

    def __init__(self, viewIn: CCoinsView) -> None:
        self.base = viewIn

    def GetCoin(self, outpoint: COutPoint) -> Coin | None:
        return self.base.GetCoin(outpoint)

    def GetBestBlock(self) -> uint256:
        return self.base.GetBestBlock()

    def SetBackend(self, viewIn: CCoinsView) -> None:
        self.base = viewIn


class CCoinsViewCache(CCoinsViewBacked):
    """A layer of changes over a base view. ``cacheCoins`` maps an outpoint to its coin, or to
    None where this layer spent a coin the base still has."""

    __slots__ = ("cacheCoins", "hashBlock")

    cacheCoins: dict[COutPoint, Coin | None]
    hashBlock: uint256 | None

    def __init__(self, baseIn: CCoinsView | None = None) -> None:
        super().__init__(baseIn if baseIn is not None else CCoinsView())
        self.cacheCoins = {}
        self.hashBlock = None

    def GetCoin(self, outpoint: COutPoint) -> Coin | None:
        if outpoint in self.cacheCoins:
            return self.cacheCoins[outpoint]
        return self.base.GetCoin(outpoint)

    def HaveCoin(self, outpoint: COutPoint) -> bool:
        return self.GetCoin(outpoint) is not None

    def HaveCoinInCache(self, outpoint: COutPoint) -> bool:
        return self.cacheCoins.get(outpoint) is not None

    def AccessCoin(self, outpoint: COutPoint) -> Coin:
        """The coin at ``outpoint``, or the empty (spent) coin."""
        coin = self.GetCoin(outpoint)
        return coin if coin is not None else coinEmpty

    def GetBestBlock(self) -> uint256:
        if self.hashBlock is None:
            self.hashBlock = self.base.GetBestBlock()
        return self.hashBlock

    def SetBestBlock(self, hashBlock: uint256) -> None:
        self.hashBlock = hashBlock

    def AddCoin(self, outpoint: COutPoint, coin: Coin, possible_overwrite: bool) -> None:
        """Add an unspent coin. Unspendable outputs never enter the set. Overwriting an unspent
        coin is a logic error unless ``possible_overwrite`` says it may happen."""
        assert not coin.IsSpent()
        if IsUnspendable(coin.out.scriptPubKey):
            return
        if not possible_overwrite and self.HaveCoin(outpoint):
            raise RuntimeError(
                "Attempted to overwrite an unspent coin (when possible_overwrite is false)"
            )
        self.cacheCoins[outpoint] = coin

    def SpendCoin(self, outpoint: COutPoint) -> Coin | None:
        """Spend the coin at ``outpoint``; returns it (upstream moves it into ``moveto``), or
        None when there was no unspent coin there."""
        coin = self.GetCoin(outpoint)
        if coin is None:
            return None
        self.cacheCoins[outpoint] = None
        return coin

    def HaveInputs(self, tx: CTransaction) -> bool:
        """Whether every input of a non-coinbase transaction is unspent in this view."""
        if tx.IsCoinBase():
            return True
        return all(self.HaveCoin(txin.prevout) for txin in tx.vin)

    def GetCacheSize(self) -> int:
        """Entries in this layer; for the bottom layer, the number of unspent coins."""
        return sum(1 for c in self.cacheCoins.values() if c is not None)

    def DynamicMemoryUsage(self) -> int:
        """An estimate in bytes: a fixed size per entry (upstream sums allocator usage)."""
        return _ENTRY_OVERHEAD * len(self.cacheCoins)

    def Flush(self) -> bool:
        """Push this layer's changes into the base (which must be a CCoinsViewCache) and empty
        this layer."""
        base = self.base
        assert isinstance(base, CCoinsViewCache)
        for outpoint, coin in self.cacheCoins.items():
            if coin is None:
                if isinstance(base, CCoinsViewDB):
                    base.cacheCoins.pop(outpoint, None)
                else:
                    base.cacheCoins[outpoint] = None
            else:
                base.cacheCoins[outpoint] = coin
        if self.hashBlock is not None:
            base.hashBlock = self.hashBlock
        self.cacheCoins = {}
        return True


class CCoinsViewDB(CCoinsViewCache):
    """The bottom of the stack: the whole UTXO set in memory, spent coins erased (upstream's
    LevelDB-backed view under its cache)."""

    __slots__ = ()

    def SpendCoin(self, outpoint: COutPoint) -> Coin | None:
        return self.cacheCoins.pop(outpoint, None)

    def GetBestBlock(self) -> uint256:
        return self.hashBlock if self.hashBlock is not None else ZERO

    def GetCacheSize(self) -> int:
        return len(self.cacheCoins)  # spent coins are erased, never kept as None


def AddCoins(cache: CCoinsViewCache, tx: CTransaction, nHeight: int, check: bool = False) -> None:
    """Add all of ``tx``'s outputs to ``cache``. Only a coinbase can overwrite an unspent coin
    (pre-BIP30 duplicate coinbases), unless ``check`` asks to look."""
    fCoinbase = tx.IsCoinBase()
    txid = tx.GetHash()
    for i, out in enumerate(tx.vout):
        outpoint = COutPoint(txid, i)
        overwrite = cache.HaveCoin(outpoint) if check else fCoinbase
        cache.AddCoin(outpoint, Coin(out, nHeight, fCoinbase), overwrite)


# --- undo.h ------------------------------------------------------------------------------------


@dataclass(slots=True)
class CTxUndo:
    """The coins a transaction spent, in input order, to restore on disconnect."""

    vprevout: list[Coin] = field(default_factory=list)


@dataclass(slots=True)
class CBlockUndo:
    """Undo data for every transaction of a block but the coinbase."""

    vtxundo: list[CTxUndo] = field(default_factory=list)
