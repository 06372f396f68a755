"""Runtime guard: no CNode object ever reaches split's net_processing.

The import contracts show that split/net_processing.py never imports or names CNode; this shows
that none arrives at run time either, through an argument of any PeerManagerImpl or Peer method
or through a result of the requests it makes of net (NetManagerEvents). Every directed
scenario of the differential harness runs against split with every such entry point watched.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from netsplit.diff.campaign import run_directed
from netsplit.diff.report import render_text
from netsplit.diff.variant import Variant, VariantSpec, load


class Watch:
    """Records every CNode seen crossing into the peer manager, and how many crossings it saw."""

    def __init__(self, cnode_type: type) -> None:
        self.cnode_type = cnode_type
        self.crossings = 0
        self.violations: list[str] = []

    def _cnodes(self, value: object, depth: int = 0) -> Iterator[object]:
        if isinstance(value, self.cnode_type):
            yield value
        elif depth < 2 and isinstance(value, list | tuple | set | frozenset):
            for item in value:
                yield from self._cnodes(item, depth + 1)
        elif depth < 2 and isinstance(value, dict):
            for item in value.values():
                yield from self._cnodes(item, depth + 1)

    def check(self, where: str, values: tuple[object, ...]) -> None:
        self.crossings += 1
        for value in values:
            for node in self._cnodes(value):
                self.violations.append(f"{where}: a {type(node).__name__}")

    def arguments(self, where: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(fn)
        def watched(*args: Any, **kwargs: Any) -> Any:
            self.check(where, (*args[1:], *kwargs.values()))
            return fn(*args, **kwargs)

        return watched

    def results(self, where: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(fn)
        def watched(*args: Any, **kwargs: Any) -> Any:
            result = fn(*args, **kwargs)
            self.check(where, (result,))
            return result

        return watched


def _methods(cls: type) -> Iterator[tuple[str, Callable[..., Any]]]:
    for klass in cls.__mro__:
        if klass is object:
            continue
        for name, value in vars(klass).items():
            if inspect.isfunction(value) and not name.startswith("__"):
                yield name, value


def watch_split(split: Variant, monkeypatch: pytest.MonkeyPatch) -> Watch:
    np = split.net_processing
    interfaces = __import__(f"{split.package}.interfaces", fromlist=["NetManagerEvents"])
    watch = Watch(split.net.CNode)
    for cls in (np.PeerManagerImpl, np.Peer):
        seen: set[str] = set()
        for name, fn in _methods(cls):
            if name not in seen:
                seen.add(name)
                monkeypatch.setattr(cls, name, watch.arguments(f"{cls.__name__}.{name}", fn))
    requests = {name for name, _ in _methods(interfaces.NetManagerEvents)}
    connman_cls = split.net.CConnman
    wrapped: set[str] = set()
    for name, fn in _methods(connman_cls):
        if name in requests and name not in wrapped:
            wrapped.add(name)
            monkeypatch.setattr(connman_cls, name, watch.results(f"CConnman.{name}", fn))
    return watch


@pytest.fixture()
def variants() -> tuple[Variant, Variant]:
    return load(VariantSpec("legacy", "legacy")), load(VariantSpec("split", "split"))


def test_no_cnode_reaches_split_peer_manager_in_any_directed_scenario(
    variants: tuple[Variant, Variant], monkeypatch: pytest.MonkeyPatch
) -> None:
    legacy, split = variants
    watch = watch_split(split, monkeypatch)
    count, divergence = run_directed(legacy, split)
    assert divergence is None, render_text(divergence)
    assert count >= 40
    assert watch.crossings > 1000  # the guard watched real traffic, not nothing
    assert watch.violations == []


def test_the_guard_reports_a_cnode_handed_to_the_peer_manager(
    variants: tuple[Variant, Variant], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, split = variants
    watch = watch_split(split, monkeypatch)
    node = split.net.CNode.__new__(split.net.CNode)
    peer = split.net_processing.Peer.__new__(split.net_processing.Peer)
    with pytest.raises(Exception):  # noqa: B017 (the half-built Peer fails; the call is seen)
        split.net_processing.Peer.SetAddrLocal(peer, node)
    assert watch.violations and "Peer.SetAddrLocal" in watch.violations[0]
