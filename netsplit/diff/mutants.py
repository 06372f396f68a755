"""Semantic mutants of a variant: small behaviour changes the harness must report.

Each mutant is one edit of a copy of the variant's package, saved under a new package name so
it loads next to the original: a constant set to another value (found by name in the module's
AST), or a piece of code replaced inside one named function (found through the AST too, so the
edit cannot land in the wrong place). A mutant whose target text is gone raises
:class:`StaleMutant`: the code it was written against has changed and the mutant must follow.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

from .variant import VariantSpec, copy_package


class StaleMutant(Exception):
    """The code a mutant edits is not there any more."""


@dataclass(frozen=True, slots=True)
class SetConstant:
    """Give a module-level constant another value (Python source of the new value)."""

    name: str
    value: str


@dataclass(frozen=True, slots=True)
class Replace:
    """Replace the ``occurrence``-th (1-based) ``old`` inside function ``within`` (a dotted
    qualified name such as ``PeerManagerImpl.ProcessMessage``; empty for the whole module)."""

    old: str
    new: str
    within: str = ""
    occurrence: int = 1


Edit = SetConstant | Replace


@dataclass(frozen=True, slots=True)
class Mutant:
    name: str
    description: str
    #: The variant module edited: "net" or "net_processing".
    module: str
    edits: tuple[Edit, ...]


def _constant_span(tree: ast.Module, name: str) -> ast.expr:
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == name for t in node.targets
        ):
            return node.value
        if (
            isinstance(node, ast.AnnAssign)
            and isinstance(node.target, ast.Name)
            and node.target.id == name
            and node.value is not None
        ):
            return node.value
    raise StaleMutant(f"no module-level constant {name}")


def _offsets(source: str) -> list[int]:
    """Character offset of the start of each line (1-based line numbers index it)."""
    starts = [0, 0]
    for line in source.splitlines(keepends=True):
        starts.append(starts[-1] + len(line))
    return starts


def _function_span(tree: ast.Module, qualname: str, source: str) -> tuple[int, int]:
    parts = qualname.split(".")
    body: list[ast.stmt] = tree.body
    found: ast.AST | None = None
    for part in parts:
        found = next(
            (
                n
                for n in body
                if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
                and n.name == part
            ),
            None,
        )
        if found is None:
            raise StaleMutant(f"no {qualname} (missing {part})")
        assert isinstance(found, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
        body = found.body
    assert isinstance(found, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
    starts = _offsets(source)
    end_line = found.end_lineno if found.end_lineno is not None else found.lineno
    return starts[found.lineno], starts[end_line + 1]


def apply_edit(source: str, edit: Edit) -> str:
    tree = ast.parse(source)
    if isinstance(edit, SetConstant):
        value = _constant_span(tree, edit.name)
        starts = _offsets(source)
        assert value.end_lineno is not None and value.end_col_offset is not None
        lo = starts[value.lineno] + value.col_offset
        hi = starts[value.end_lineno] + value.end_col_offset
        return source[:lo] + edit.value + source[hi:]
    lo, hi = (0, len(source)) if not edit.within else _function_span(tree, edit.within, source)
    segment = source[lo:hi]
    old, new = edit.old, edit.new
    pos = -1
    for _ in range(edit.occurrence):
        pos = segment.find(old, pos + 1)
        if pos < 0:
            where = edit.within or "the module"
            raise StaleMutant(f"{edit.old!r} not found (occurrence {edit.occurrence}) in {where}")
    segment = segment[:pos] + new + segment[pos + len(old) :]
    return source[:lo] + segment + source[hi:]


def apply(mutant: Mutant, source: str) -> str:
    for edit in mutant.edits:
        source = apply_edit(source, edit)
    ast.parse(source)  # a mutant must still be Python
    return source


def materialize(mutant: Mutant, src: Path, dest_parent: Path, package: str) -> VariantSpec:
    """Copy the package at ``src`` to ``dest_parent/package`` and apply ``mutant``."""
    spec = copy_package(src, dest_parent, package)
    path = dest_parent / package / f"{mutant.module}.py"
    path.write_text(apply(mutant, path.read_text(encoding="utf-8")), encoding="utf-8")
    return VariantSpec(f"mutant:{mutant.name}", spec.package, spec.search_path)


NP = "net_processing"
PROCESS_MESSAGE = "PeerManagerImpl.ProcessMessage"


def _off(name: str, description: str, module: str, old: str, new: str, within: str) -> Mutant:
    return Mutant(name, description, module, (Replace(old, new, within),))


#: The mutants of legacy the power test applies. Each is a behaviour a reviewer would want a
#: migration step never to change by accident.
MUTANTS: tuple[Mutant, ...] = (
    # -- timeouts ---------------------------------------------------------------------------------
    Mutant(
        "ping-interval",
        "PING_INTERVAL 2 min -> 3 min",
        NP,
        (SetConstant("PING_INTERVAL", "3 * 60 * 1_000_000"),),
    ),
    Mutant(
        "timeout-interval",
        "TIMEOUT_INTERVAL 20 min -> 21 min",
        "net",
        (SetConstant("TIMEOUT_INTERVAL", "21 * 60"),),
    ),
    Mutant(
        "peer-connect-timeout",
        "DEFAULT_PEER_CONNECT_TIMEOUT 60 s -> 61 s (handshake timeout)",
        "net",
        (SetConstant("DEFAULT_PEER_CONNECT_TIMEOUT", "61"),),
    ),
    _off(
        "send-timeout-off-by-one",
        "inactivity check disconnects at exactly TIMEOUT_INTERVAL after the last send",
        "net",
        "if now > last_send + TIMEOUT_INTERVAL:",
        "if now >= last_send + TIMEOUT_INTERVAL:",
        "CConnman.InactivityCheck",
    ),
    # -- ping / pong ------------------------------------------------------------------------------
    _off(
        "dropped-pong",
        "a ping is never answered",
        NP,
        "self.MakeAndPushMessage(pfrom, NetMsgType.PONG, ser_u64(nonce))",
        "pass",
        PROCESS_MESSAGE,
    ),
    _off(
        "pong-nonce-ignored",
        "any pong ends the outstanding ping, whatever its nonce",
        NP,
        "if pong_nonce == peer.m_ping_nonce_sent:",
        "if True:",
        PROCESS_MESSAGE,
    ),
    # -- handshake --------------------------------------------------------------------------------
    Mutant(
        "handshake-reordered",
        "sendaddrv2 sent before wtxidrelay in the handshake",
        NP,
        (
            Replace(
                "MakeAndPushMessage(pfrom, NetMsgType.WTXIDRELAY)",
                "MakeAndPushMessage(pfrom, NetMsgType.SENDADDRV2)",
                PROCESS_MESSAGE,
            ),
            Replace(
                "MakeAndPushMessage(pfrom, NetMsgType.SENDADDRV2)",
                "MakeAndPushMessage(pfrom, NetMsgType.WTXIDRELAY)",
                PROCESS_MESSAGE,
                occurrence=2,
            ),
        ),
    ),
    _off(
        "starting-height-off-by-one",
        "our version message announces one block more than we have",
        NP,
        "nNodeStartingHeight = self.m_best_height",
        "nNodeStartingHeight = self.m_best_height + 1",
        "PeerManagerImpl.PushNodeVersion",
    ),
    _off(
        "time-offset-sign",
        "the peer's clock offset is recorded with the wrong sign",
        NP,
        "peer.m_time_offset = nTime - GetTime()",
        "peer.m_time_offset = GetTime() - nTime",
        PROCESS_MESSAGE,
    ),
    _off(
        "feeler-kept",
        "a feeler connection is not closed after the handshake",
        NP,
        "pfrom.fDisconnect = True\n            return",
        "pass\n            return",
        PROCESS_MESSAGE,
    ),
    # -- misbehaviour -----------------------------------------------------------------------------
    _off(
        "skipped-inv-penalty",
        "an oversized inv is not punished",
        NP,
        'self.Misbehaving(peer, f"inv message size = {len(vInv)}")',
        "pass",
        PROCESS_MESSAGE,
    ),
    _off(
        "noban-punished",
        "peers with the noban permission are disconnected and discouraged",
        NP,
        "if pnode.HasPermission(NetPermissionFlags.NoBan):",
        "if False:",
        "PeerManagerImpl.MaybeDiscourageAndDisconnect",
    ),
    Mutant("max-inv-size", "MAX_INV_SZ 50000 -> 50001", NP, (SetConstant("MAX_INV_SZ", "50001"),)),
    Mutant(
        "max-locator-size",
        "MAX_LOCATOR_SZ 101 -> 102",
        NP,
        (SetConstant("MAX_LOCATOR_SZ", "102"),),
    ),
    # -- address relay ----------------------------------------------------------------------------
    Mutant(
        "addr-relay-one-more",
        "a reachable address is relayed to three peers instead of two",
        NP,
        (
            Replace("nRelayNodes = 2 if", "nRelayNodes = 3 if", "PeerManagerImpl.RelayAddress"),
            Replace(
                "= [(0, None), (0, None)]",
                "= [(0, None), (0, None), (0, None)]",
                "PeerManagerImpl.RelayAddress",
            ),
        ),
    ),
    Mutant(
        "getaddr-percent",
        "MAX_PCT_ADDR_TO_SEND 23 -> 50 (getaddr answers with more of addrman)",
        NP,
        (SetConstant("MAX_PCT_ADDR_TO_SEND", "50"),),
    ),
    Mutant(
        "max-addr-to-send",
        "MAX_ADDR_TO_SEND 1000 -> 1001",
        NP,
        (SetConstant("MAX_ADDR_TO_SEND", "1001"),),
    ),
    # -- eviction and connection slots ------------------------------------------------------------
    _off(
        "inbound-slots-off-by-one",
        "one inbound connection more than the slots allow before evicting",
        "net",
        "if nInbound >= self.m_max_inbound:",
        "if nInbound > self.m_max_inbound:",
        "CConnman.CreateNodeFromAcceptedSocket",
    ),
    _off(
        "eviction-noban-unprotected",
        "noban peers lose their protection from eviction",
        "net",
        "m_noban=node.HasPermission(NetPermissionFlags.NoBan),",
        "m_noban=False,",
        "CConnman.AttemptToEvictConnection",
    ),
    # -- transport --------------------------------------------------------------------------------
    _off(
        "bad-checksum-accepted",
        "a message with a wrong checksum is processed",
        "net",
        "if hash_.data[: CMessageHeader.CHECKSUM_SIZE] != self.hdr.pchChecksum:",
        "if False:",
        "V1Transport.GetReceivedMessage",
    ),
    _off(
        "wrong-magic-accepted",
        "another network's magic does not disconnect",
        "net",
        "if self.hdr.pchMessageStart != self.m_magic_bytes:",
        "if False:",
        "V1Transport.readHeader",
    ),
    # -- relay state ------------------------------------------------------------------------------
    _off(
        "feefilter-ignored",
        "a peer's feefilter is not recorded",
        NP,
        "feefilter_tx_relay.m_fee_filter_received = newFeeFilter",
        "pass",
        PROCESS_MESSAGE,
    ),
)
