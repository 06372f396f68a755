"""Receiver resolution: what annotation-based typing knows, and where it stops."""

from __future__ import annotations

import textwrap

import libcst as cst

from migration.adapters.codemods.index import index_modules
from migration.adapters.codemods.scopes import ModuleAnalysis

SOURCE = textwrap.dedent(
    """
    from __future__ import annotations

    from collections import deque


    class CNode:
        fDisconnect: bool


    class Peer:
        class TxRelay:
            m_relay_txs: bool

        m_tx_relay: Peer.TxRelay | None


    class CConnman:
        m_nodes: list[CNode]
        m_queue: deque[CNode]
        m_by_id: dict[int, CNode]

        def FindNode(self, id: int) -> CNode | None:
            return None

        def Loop(self) -> None:
            for pnode in self.m_nodes:
                pnode.fDisconnect = True
            first = self.m_queue[0]
            first.fDisconnect = True
            found = self.FindNode(1)
            if found is not None:
                found.fDisconnect = True
            byid = self.m_by_id.get(3)
            byid.fDisconnect = True
            hinted: CNode = object()
            hinted.fDisconnect = True

            def inner(node: CNode) -> None:
                node.fDisconnect = True
                self.m_nodes[0].fDisconnect = True

            inner(first)
            seen = [n.fDisconnect for n in self.m_nodes]
            lam = lambda x: x.fDisconnect
            a, b = self.m_nodes[0], self.m_nodes[1]
            a.fDisconnect = True


    def relay(peer: Peer) -> bool:
        tx = peer.m_tx_relay
        return tx is not None and tx.m_relay_txs
    """
)


def _receivers() -> dict[str, str]:
    tree = cst.parse_module(SOURCE)
    index = index_modules([("m", "m.py", tree)])
    analysis = ModuleAnalysis(index, "m", tree)
    out: dict[str, str] = {}
    for use in analysis.uses:
        if use.node.attr.value in ("fDisconnect", "m_relay_txs"):
            code = tree.code_for_node(use.node.value)
            t = analysis.type_of(use.node.value, use.scope)
            out[code] = t.name if t is not None else "?"
    return out


def test_annotations_resolve_loops_subscripts_returns_locals_and_closures() -> None:
    got = _receivers()
    for receiver in ("pnode", "first", "found", "byid", "hinted", "node", "self.m_nodes[0]", "n"):
        assert got[receiver] == "m.CNode", receiver


def test_nested_classes_and_optional_members_resolve() -> None:
    assert _receivers()["tx"] == "m.Peer.TxRelay"


def test_lambda_parameters_and_tuple_targets_stay_unknown() -> None:
    got = _receivers()
    assert got["x"] == "?"
    assert got["a"] == "?"
