"""The census: who touches which CNode member, and how that compares with upstream.

An access is a member-access expression on a receiver whose annotation says CNode: a read
(``pfrom.nVersion``), a write (``pfrom.fDisconnect = True``) or a call (``pfrom.GetId()``). The
side of an access is the layer its module belongs to: ``net`` (the module that defines CNode),
``net_processing`` (the module that defines Peer) or ``other``. The layering debt is the number of
accesses from net_processing; the migration drives it to zero and no step may raise it.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Any


class AccessKind(Enum):
    READ = "read"
    WRITE = "write"
    CALL = "call"


class Side(Enum):
    NET = "net"
    NET_PROCESSING = "net_processing"
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class Site:
    path: str
    line: int
    function: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line} ({self.function})"


@dataclass(frozen=True, slots=True)
class Access:
    member: str
    kind: AccessKind
    side: Side
    site: Site


@dataclass(frozen=True, slots=True)
class Unresolved:
    """An access to a name CNode has, on a receiver no annotation resolves: it may or may not be
    a CNode, and nothing may silently assume either."""

    member: str
    receiver: str
    side: Side
    site: Site


@dataclass(frozen=True, slots=True)
class MemberUsage:
    member: str
    is_method: bool
    #: Whether CNode still has the member at this stage.
    present: bool
    counts: Mapping[tuple[Side, AccessKind], int]

    def count(self, side: Side, kind: AccessKind | None = None) -> int:
        if kind is None:
            return sum(n for (s, _), n in self.counts.items() if s == side)
        return self.counts.get((side, kind), 0)


@dataclass(frozen=True, slots=True)
class Census:
    members: tuple[MemberUsage, ...]
    accesses: tuple[Access, ...]
    unresolved: tuple[Unresolved, ...]

    @property
    def debt(self) -> int:
        """CNode accesses from net_processing."""
        return sum(1 for a in self.accesses if a.side is Side.NET_PROCESSING)

    def member(self, name: str) -> MemberUsage | None:
        for usage in self.members:
            if usage.member == name:
                return usage
        return None

    def to_json(self) -> dict[str, Any]:
        return {
            "debt": self.debt,
            "members": [
                {
                    "member": m.member,
                    "kind": "method" if m.is_method else "field",
                    "present_in_CNode": m.present,
                    **{
                        side.value: {kind.value: m.count(side, kind) for kind in AccessKind}
                        for side in Side
                    },
                }
                for m in self.members
            ],
            "unresolved": [
                {
                    "member": u.member,
                    "receiver": u.receiver,
                    "side": u.side.value,
                    "at": str(u.site),
                }
                for u in self.unresolved
            ],
        }


def tally(
    members: Iterable[tuple[str, bool, bool]],
    accesses: Sequence[Access],
    unresolved: Sequence[Unresolved],
) -> Census:
    """The census from raw accesses. ``members`` is (name, is_method, present) for every member
    to report, in the order to report them."""
    counter: Counter[tuple[str, Side, AccessKind]] = Counter(
        (a.member, a.side, a.kind) for a in accesses
    )
    usages = []
    for name, is_method, present in members:
        counts = {
            (side, kind): counter[(name, side, kind)]
            for side in Side
            for kind in AccessKind
            if counter[(name, side, kind)]
        }
        usages.append(MemberUsage(name, is_method, present, counts))
    return Census(tuple(usages), tuple(accesses), tuple(unresolved))


@dataclass(frozen=True, slots=True)
class UpstreamUsage:
    """One member in the upstream census (read from v30.0 by hand; small errors expected)."""

    member: str
    is_method: bool
    np_reads: int = 0
    np_writes: int = 0
    np_calls: int = 0
    net_uses_approx: int | None = None
    classification: str = ""


#: The upstream net-side numbers are approximate (the inventory says ±2).
NET_TOLERANCE = 2


def parse_upstream(section: Mapping[str, Any]) -> dict[str, UpstreamUsage]:
    """The inventory's ``cnode_usage_by_net_processing`` section as usages by member."""
    out: dict[str, UpstreamUsage] = {}
    for entry in section.get("fields", []):
        out[entry["name"]] = UpstreamUsage(
            member=entry["name"],
            is_method=False,
            np_reads=int(entry.get("reads", 0)),
            np_writes=int(entry.get("writes", 0)),
            net_uses_approx=_leading_int(entry.get("net_cpp_uses_approx")),
            classification=str(entry.get("classification", "")),
        )
    for entry in section.get("methods", []):
        name = str(entry["name"]).split("(")[0].strip()
        if name == "CNode" or not name:
            continue
        out[name] = UpstreamUsage(
            member=name,
            is_method=True,
            np_calls=int(entry.get("calls", 0)),
            net_uses_approx=_leading_int(entry.get("net_cpp_uses_approx")),
            classification=str(entry.get("classification", "")),
        )
    return out


def _leading_int(value: object) -> int | None:
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        match = re.match(r"\s*(\d+)", value)
        return int(match.group(1)) if match else None
    return None


@dataclass(frozen=True, slots=True)
class Difference:
    member: str
    measure: str
    port: int
    upstream: int
    note: str = ""


@dataclass(frozen=True, slots=True)
class Comparison:
    differences: tuple[Difference, ...]
    #: CNode members upstream has that the port's CNode lacks at this stage.
    missing_in_port: tuple[str, ...] = ()
    #: CNode members the port has that upstream's inventory does not list.
    extra_in_port: tuple[str, ...] = field(default_factory=tuple)


def compare(census: Census, upstream: Mapping[str, UpstreamUsage]) -> Comparison:
    """Where the port's usage differs from upstream's: net_processing's reads, writes and calls
    exactly; net's uses within the inventory's stated tolerance."""
    diffs: list[Difference] = []
    for name, up in upstream.items():
        usage = census.member(name)
        if usage is None:
            continue
        np = Side.NET_PROCESSING
        note = "" if usage.present else "no longer a CNode member at this stage"
        if up.is_method:
            pairs = [("net_processing calls", usage.count(np, AccessKind.CALL), up.np_calls)]
        else:
            pairs = [
                ("net_processing reads", usage.count(np, AccessKind.READ), up.np_reads),
                ("net_processing writes", usage.count(np, AccessKind.WRITE), up.np_writes),
            ]
        for measure, port, theirs in pairs:
            if port != theirs:
                diffs.append(Difference(name, measure, port, theirs, note))
        if up.net_uses_approx is not None:
            port_net = usage.count(Side.NET)
            if abs(port_net - up.net_uses_approx) > NET_TOLERANCE:
                diffs.append(Difference(name, "net uses (±2)", port_net, up.net_uses_approx, note))
    present = {m.member for m in census.members if m.present}
    return Comparison(
        differences=tuple(diffs),
        missing_in_port=tuple(sorted(set(upstream) - present)),
        extra_in_port=tuple(sorted(present - set(upstream))),
    )
