"""CBlockIndex, CChain and locators (upstream's skiplist_tests and chain_tests, scaled down)."""

from __future__ import annotations

import random

import pytest

from common.chain import (
    BLOCK_FAILED_CHILD,
    BLOCK_FAILED_VALID,
    BLOCK_HAVE_DATA,
    BLOCK_VALID_CHAIN,
    BLOCK_VALID_SCRIPTS,
    BLOCK_VALID_TRANSACTIONS,
    BLOCK_VALID_TREE,
    CBlockIndex,
    CChain,
    GetLocator,
    LastCommonAncestor,
    LocatorEntries,
)
from common.primitives.block import CBlockHeader
from common.uint256 import uint256


def build_chain(n: int, base: CBlockIndex | None = None, tag: int = 0) -> list[CBlockIndex]:
    """``n`` linked indexes after ``base``, with distinct fake hashes and rising times."""
    out: list[CBlockIndex] = []
    prev = base
    for _ in range(n):
        b = CBlockIndex()
        b.pprev = prev
        b.nHeight = prev.nHeight + 1 if prev is not None else 0
        b.nTime = 1_600_000_000 + 10 * b.nHeight
        b.nTimeMax = b.nTime
        b.phashBlock = uint256.FromInt((tag << 32) | b.nHeight)
        b.BuildSkip()
        out.append(b)
        prev = b
    return out


def test_get_ancestor_follows_skip_pointers_to_the_right_block() -> None:
    chain = build_chain(5000)
    for b in chain[1:]:
        assert b.pskip is not None and b.pskip.nHeight < b.nHeight
    rng = random.Random(7)
    for _ in range(500):
        i = rng.randrange(5000)
        h = rng.randrange(i + 1)
        assert chain[i].GetAncestor(h) is chain[h]
    assert chain[10].GetAncestor(11) is None
    assert chain[10].GetAncestor(-1) is None
    assert chain[10].GetAncestor(10) is chain[10]


def test_cchain_accessors() -> None:
    blocks = build_chain(10)
    c = CChain()
    assert (c.Genesis(), c.Tip(), c.Height()) == (None, None, -1)
    c.SetTip(blocks[9])
    assert c.Genesis() is blocks[0]
    assert c.Tip() is blocks[9]
    assert c.Height() == 9
    assert c[5] is blocks[5]
    assert c[-1] is None and c[10] is None
    assert c.Contains(blocks[3])
    assert c.Next(blocks[3]) is blocks[4]
    assert c.Next(blocks[9]) is None


def test_set_tip_to_a_fork_rewrites_back_to_the_fork_point() -> None:
    main = build_chain(20)
    side = build_chain(15, main[9], tag=1)  # heights 10..24
    c = CChain()
    c.SetTip(main[19])
    c.SetTip(side[-1])
    assert c.Height() == 24
    assert all(c[h] is main[h] for h in range(10))
    assert all(c[10 + i] is side[i] for i in range(15))
    assert not c.Contains(main[15])
    assert c.Next(main[15]) is None
    c.SetTip(main[12])
    assert c.Height() == 12 and c[11] is main[11] and c.Contains(main[12])


def test_find_fork_and_last_common_ancestor() -> None:
    main = build_chain(100)
    side = build_chain(50, main[59], tag=1)
    c = CChain()
    c.SetTip(main[-1])
    assert c.FindFork(side[-1]) is main[59]
    assert c.FindFork(main[42]) is main[42]
    assert c.FindFork(None) is None
    assert LastCommonAncestor(side[-1], main[-1]) is main[59]
    assert LastCommonAncestor(main[80], side[3]) is main[59]
    assert LastCommonAncestor(main[30], main[70]) is main[30]


def test_locator_is_dense_near_the_tip_then_doubles_back_to_genesis() -> None:
    chain = build_chain(1000)
    heights = [int.from_bytes(h.data[:4], "little") for h in LocatorEntries(chain[999])]
    assert heights == [*range(999, 987, -1), 986, 982, 974, 958, 926, 862, 734, 478, 0]
    assert GetLocator(chain[999]).vHave == LocatorEntries(chain[999])
    assert LocatorEntries(None) == []
    assert [int.from_bytes(h.data[:4], "little") for h in LocatorEntries(chain[3])] == [3, 2, 1, 0]


def test_find_earliest_at_least_uses_time_max_and_height() -> None:
    chain = build_chain(100)
    c = CChain()
    c.SetTip(chain[-1])
    assert c.FindEarliestAtLeast(1_600_000_000 + 10 * 37, 0) is chain[37]
    assert c.FindEarliestAtLeast(1_600_000_000 + 10 * 37 - 5, 0) is chain[37]
    assert c.FindEarliestAtLeast(0, 50) is chain[50]
    assert c.FindEarliestAtLeast(1_600_000_000 + 10**6, 0) is None


def test_median_time_past_is_the_median_of_the_last_eleven() -> None:
    chain = build_chain(20)
    times = [5, 1, 9, 3, 7, 2, 8, 4, 6, 10, 0, 11, 30, 20, 25, 15, 12, 13, 14, 16]
    for b, t in zip(chain, times, strict=True):
        b.nTime = t
    assert chain[0].GetMedianTimePast() == 5
    assert chain[2].GetMedianTimePast() == 5  # median of 5, 1, 9
    assert chain[19].GetMedianTimePast() == sorted(times[9:20])[5]


def test_validity_levels_rise_and_failed_blocks_are_never_valid() -> None:
    b = CBlockIndex()
    assert not b.IsValid(BLOCK_VALID_TREE)
    assert b.RaiseValidity(BLOCK_VALID_TREE)
    assert not b.RaiseValidity(BLOCK_VALID_TREE)
    b.nStatus |= BLOCK_HAVE_DATA
    assert b.RaiseValidity(BLOCK_VALID_TRANSACTIONS)
    assert b.IsValid(BLOCK_VALID_TREE) and b.IsValid(BLOCK_VALID_TRANSACTIONS)
    assert not b.IsValid(BLOCK_VALID_CHAIN)
    assert b.nStatus == BLOCK_HAVE_DATA | BLOCK_VALID_TRANSACTIONS
    b.nStatus |= BLOCK_FAILED_CHILD
    assert not b.IsValid(BLOCK_VALID_TREE)
    assert not b.RaiseValidity(BLOCK_VALID_SCRIPTS)
    with pytest.raises(AssertionError):
        b.IsValid(BLOCK_FAILED_VALID)


def test_block_header_round_trips_through_the_index() -> None:
    parent = CBlockIndex(CBlockHeader(nVersion=1, nTime=100, nBits=0x207FFFFF))
    parent.phashBlock = parent.GetBlockHeader().GetHash()
    header = CBlockHeader(4, parent.GetBlockHash(), uint256.FromInt(9), 1234, 0x207FFFFF, 77)
    child = CBlockIndex(header)
    child.pprev = parent
    assert child.GetBlockHeader() == header
    child.phashBlock = header.GetHash()
    assert child.ToString().startswith("CBlockIndex(pprev=0x")
    assert child.ToString().endswith(f"hashBlock={header.GetHash().GetHex()})")
    assert "nHeight=0, merkle=" + uint256.FromInt(9).GetHex() in child.ToString()
