"""What a benchmark returns, and the project's performance targets evaluated over it.

A :class:`Figure` is one measured number: which benchmark, what was measured, on which variant,
in which unit, and which direction is better. Ratios are figures too (``variant="ratio"``):
``value`` is the variant's performance relative to legacy's, computed so that 1.0 is a tie and
above 1.0 is better whatever the underlying unit (legacy's time divided by the variant's, or the
variant's rate divided by legacy's). The targets read ratios and absolute figures by name; they
are printed as PASS/FAIL lines, not enforced.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Final


@dataclass(frozen=True, slots=True)
class Figure:
    """One measured number. ``variant`` is "legacy", "split", "stage:K", "bcoin",
    "framing-limit", "ratio" or another label the benchmark documents; for a ratio, ``name``
    says what is compared ("block 1000 tx: split/legacy")."""

    bench: str
    name: str
    variant: str
    value: float
    unit: str
    higher_is_better: bool = True
    note: str = ""


RATIO: Final = "ratio"
#: The unit of every ratio figure.
RATIO_UNIT: Final = "x"


def ratio_name(metric: str, variant: str, baseline: str = "legacy") -> str:
    """The name of a ratio figure: ``"<metric>: <variant>/<baseline>"``."""
    return f"{metric}: {variant}/{baseline}"


def parse_ratio_name(name: str) -> tuple[str, str, str] | None:
    """(metric, variant, baseline) of a ratio name, or None if ``name`` is not one."""
    metric, sep, pair = name.rpartition(": ")
    variant, slash, baseline = pair.partition("/")
    if not sep or not slash or not variant or not baseline:
        return None
    return metric, variant, baseline


def relative(variant: Figure, baseline: Figure) -> float:
    """How much better ``variant`` did than ``baseline`` (1.0 = the same, above = better)."""
    if variant.value <= 0 or baseline.value <= 0:
        return 0.0
    if variant.higher_is_better:
        return variant.value / baseline.value
    return baseline.value / variant.value


def ratios(figures: Sequence[Figure], baseline: str = "legacy") -> list[Figure]:
    """A ratio figure for every (bench, name) measured on ``baseline`` and on other variants
    (split, stages; not bcoin or the framing limit, which are not variants of this code)."""
    base = {(f.bench, f.name): f for f in figures if f.variant == baseline}
    out: list[Figure] = []
    for f in figures:
        if f.variant == baseline or not is_code_variant(f.variant):
            continue
        b = base.get((f.bench, f.name))
        if b is None or b.unit != f.unit:
            continue
        out.append(
            Figure(
                f.bench,
                ratio_name(f.name, f.variant, baseline),
                RATIO,
                round(relative(f, b), 4),
                RATIO_UNIT,
                True,
                f"{f.variant} {f.value:.6g} {f.unit} vs {baseline} {b.value:.6g} {b.unit}",
            )
        )
    return out


def is_code_variant(variant: str) -> bool:
    """legacy, split or a migration stage: the variants whose code this project holds."""
    return variant in ("legacy", "split") or variant.startswith("stage:")


def stage_number(variant: str) -> int | None:
    if variant.startswith("stage:") and variant.removeprefix("stage:").isdigit():
        return int(variant.removeprefix("stage:"))
    return None


# -- targets -------------------------------------------------------------------------------------


class Verdict(Enum):
    PASS = "PASS"
    FAIL = "FAIL"
    #: Nothing was measured that the target reads (a benchmark not run, bcoin missing, ...).
    NA = "N/A"


@dataclass(frozen=True, slots=True)
class TargetResult:
    key: str
    statement: str
    verdict: Verdict
    detail: str

    def line(self) -> str:
        return f"{self.verdict.value:<4} {self.key}: {self.statement} ({self.detail})"


@dataclass(frozen=True, slots=True)
class Target:
    key: str
    statement: str
    check: Callable[[Sequence[Figure]], tuple[Verdict, str]]

    def evaluate(self, figures: Sequence[Figure]) -> TargetResult:
        verdict, detail = self.check(figures)
        return TargetResult(self.key, self.statement, verdict, detail)


#: The issue's thresholds.
SPLIT_RATIO_MIN: Final = 0.95
B4_PEERS: Final = 500
B4_SECONDS_MAX: Final = 10.0
B4_RSS_MB_MAX: Final = 300.0
B5_BUILD_SECONDS_MAX: Final = 60.0
B5_REBUILD_SECONDS_MAX: Final = 10.0

#: Names of B5's figures, which the targets read.
B5_FULL_BUILD: Final = "full build of split/ from legacy/"
B5_REBUILD: Final = "rebuild after one step's arguments change"


def _verdict(ok: bool) -> Verdict:
    return Verdict.PASS if ok else Verdict.FAIL


def _split_ratio_check(bench: str) -> Callable[[Sequence[Figure]], tuple[Verdict, str]]:
    def check(figures: Sequence[Figure]) -> tuple[Verdict, str]:
        found: list[tuple[float, str]] = []
        for f in figures:
            parsed = parse_ratio_name(f.name) if f.variant == RATIO else None
            if f.bench == bench and parsed is not None and parsed[1:] == ("split", "legacy"):
                found.append((f.value, parsed[0]))
        if not found:
            return Verdict.NA, f"no split/legacy ratio measured in {bench}"
        worst, metric = min(found)
        return (
            _verdict(worst >= SPLIT_RATIO_MIN),
            f"worst of {len(found)}: {worst:.3f} on {metric}",
        )

    return check


def _against(
    bench: str, ours: Iterable[str], theirs: str, pick: Callable[[Figure], bool], what: str
) -> Callable[[Sequence[Figure]], tuple[Verdict, str]]:
    """Each of our variants at least as good as ``theirs`` on every figure ``pick`` selects
    that both measured."""
    mine = tuple(ours)

    def check(figures: Sequence[Figure]) -> tuple[Verdict, str]:
        chosen = [f for f in figures if f.bench == bench and pick(f)]
        other = {f.name: f for f in chosen if f.variant == theirs}
        pairs = [(f, other[f.name]) for f in chosen if f.variant in mine and f.name in other]
        if not pairs:
            return Verdict.NA, f"{what}: not measured against {theirs}"
        parts = [f"{f.variant} {relative(f, o):.2f}x {theirs} on {f.name}" for f, o in pairs]
        ok = all(relative(f, o) >= 1.0 for f, o in pairs)
        return _verdict(ok), "; ".join(parts)

    return check


def _framing_fraction(figures: Sequence[Figure]) -> tuple[Verdict, str]:
    """B1 reports our throughput as a fraction of the framing limit: a figure of the
    framing limit next to ours under the same name, or a figure in a fraction unit."""
    b1 = [f for f in figures if f.bench == "B1"]
    limits = {f.name: f for f in b1 if f.variant == "framing-limit"}
    parts = [
        f"{f.variant} {f.value / limits[f.name].value:.1%} of the limit on {f.name}"
        for f in b1
        if is_code_variant(f.variant)
        and f.name in limits
        and limits[f.name].value > 0
        and f.unit == limits[f.name].unit
    ]
    parts += [
        f"{f.variant} {f.name} {f.value:.3g}{f.unit}"
        for f in b1
        if f.unit in ("fraction", "%") and "limit" in f.name
    ]
    if not parts:
        return Verdict.NA, "B1 reported no framing-limit figure"
    return Verdict.PASS, "; ".join(parts)


def _threshold(
    bench: str, pick: Callable[[Figure], bool], limit: float, what: str
) -> Callable[[Sequence[Figure]], tuple[Verdict, str]]:
    """Every figure ``pick`` selects is at most ``limit`` (for lower-is-better figures)."""

    def check(figures: Sequence[Figure]) -> tuple[Verdict, str]:
        chosen = [f for f in figures if f.bench == bench and pick(f)]
        if not chosen:
            return Verdict.NA, f"{what}: not measured"
        worst = max(chosen, key=lambda f: f.value)
        detail = f"worst {worst.value:.3g} {worst.unit} ({worst.variant}: {worst.name})"
        if len(chosen) > 1:
            detail += f" of {len(chosen)}"
        return _verdict(worst.value <= limit), detail

    return check


def _is_b4_time(f: Figure) -> bool:
    return is_code_variant(f.variant) and f.unit == "s"


def _is_b4_rss(f: Figure) -> bool:
    return is_code_variant(f.variant) and f.unit in ("MB", "MiB") and "rss" in f.name.lower()


def _at_full_scale(
    pick: Callable[[Figure], bool], limit: float, what: str
) -> Callable[[Sequence[Figure]], tuple[Verdict, str]]:
    """A B4 threshold, read only from figures measured with B4_PEERS peers: a quick run's
    smaller count says nothing about the target, so it is shown but not judged."""
    full = _threshold("B4", lambda f: pick(f) and f"{B4_PEERS} peers" in f.name, limit, what)

    def check(figures: Sequence[Figure]) -> tuple[Verdict, str]:
        verdict, detail = full(figures)
        if verdict is not Verdict.NA:
            return verdict, detail
        smaller = [f for f in figures if f.bench == "B4" and pick(f)]
        if not smaller:
            return verdict, detail
        shown = "; ".join(f"{f.variant} {f.value:.3g} {f.unit} ({f.name})" for f in smaller)
        return Verdict.NA, f"not measured at {B4_PEERS} peers; measured: {shown}"

    return check


TARGETS: Final[tuple[Target, ...]] = (
    Target("B1 split", "split within 5% of legacy on B1 (ratio >= 0.95)", _split_ratio_check("B1")),
    Target("B2 split", "split within 5% of legacy on B2 (ratio >= 0.95)", _split_ratio_check("B2")),
    Target("B3 split", "split within 5% of legacy on B3 (ratio >= 0.95)", _split_ratio_check("B3")),
    Target(
        "B1 bcoin",
        "our node answers a ping flood at least as fast as bcoin",
        _against("B1", ("legacy", "split"), "bcoin", lambda f: "ping" in f.name, "ping flood"),
    ),
    Target(
        "B1 framing",
        "B1 reports throughput as a fraction of the Python framing limit",
        _framing_fraction,
    ),
    Target(
        "B3 bcoin",
        "our node syncs from bcoin no slower than bcoin syncs from bcoin",
        _against("B3", ("legacy", "split"), "bcoin", lambda f: "from bcoin" in f.name, "sync"),
    ),
    Target(
        "B4 time",
        f"{B4_PEERS} peers connected in <= {B4_SECONDS_MAX:g} s",
        _at_full_scale(_is_b4_time, B4_SECONDS_MAX, "connection time"),
    ),
    Target(
        "B4 memory",
        f"peak RSS with {B4_PEERS} peers <= {B4_RSS_MB_MAX:g} MB",
        _at_full_scale(_is_b4_rss, B4_RSS_MB_MAX, "peak RSS"),
    ),
    Target(
        "B5 build",
        f"full build of split/ <= {B5_BUILD_SECONDS_MAX:g} s",
        _threshold("B5", lambda f: f.name == B5_FULL_BUILD, B5_BUILD_SECONDS_MAX, "full build"),
    ),
    Target(
        "B5 rebuild",
        f"rebuild after one step <= {B5_REBUILD_SECONDS_MAX:g} s",
        _threshold("B5", lambda f: f.name == B5_REBUILD, B5_REBUILD_SECONDS_MAX, "rebuild"),
    ),
)


def evaluate_targets(
    figures: Sequence[Figure], targets: Sequence[Target] = TARGETS
) -> list[TargetResult]:
    return [t.evaluate(figures) for t in targets]
