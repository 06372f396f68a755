from __future__ import annotations

from common.hash import hash256
from common.merkle import ComputeMerkleRoot
from common.uint256 import ZERO, uint256


def _h(i: int) -> uint256:
    return uint256.FromInt(i)


def test_single_leaf_is_its_own_root() -> None:
    assert ComputeMerkleRoot([_h(5)]) == (_h(5), False)


def test_empty_tree_has_zero_root() -> None:
    assert ComputeMerkleRoot([]) == (ZERO, False)


def test_odd_level_duplicates_last_hash_without_flagging_mutation() -> None:
    a, b, c = _h(1), _h(2), _h(3)
    ab = hash256(a.data + b.data)
    cc = hash256(c.data + c.data)
    root, mutated = ComputeMerkleRoot([a, b, c])
    assert root == uint256(hash256(ab + cc))
    assert not mutated


def test_duplicated_adjacent_leaves_are_reported_as_mutation() -> None:
    a, b, c = _h(1), _h(2), _h(3)
    root3, _ = ComputeMerkleRoot([a, b, c])
    root4, mutated = ComputeMerkleRoot([a, b, c, c])
    assert root3 == root4  # CVE-2012-2459: same root for a different list
    assert mutated
