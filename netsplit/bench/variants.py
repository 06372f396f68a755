"""The variants a benchmark compares: legacy, split, and every migration stage between them,
loaded through the differential harness's resolver (:mod:`netsplit.diff.variant`)."""

from __future__ import annotations

from dataclasses import dataclass

from netsplit.diff.variant import Variant, VariantError, load, resolve


@dataclass(frozen=True, slots=True)
class Loaded:
    """A variant ready to run, and the label figures carry ("legacy", "split", "stage:7")."""

    label: str
    variant: Variant


def stage_count() -> int:
    """How many steps the migration plan has (0 without the toolkit)."""
    try:
        from migration.api import engine
    except ImportError:
        return 0
    return len(engine().plan)


def labels(stages: bool = True) -> list[str]:
    """legacy, then stage:1 .. stage:N-1 (with ``stages``), then split. Stage 0 is legacy and
    stage N is split itself, so they are not repeated."""
    out = ["legacy"]
    if stages:
        out += [f"stage:{k}" for k in range(1, stage_count())]
    out.append("split")
    return out


def load_variants(names: list[str]) -> tuple[list[Loaded], list[str]]:
    """The variants that load, and a line for each that does not."""
    loaded: list[Loaded] = []
    problems: list[str] = []
    for name in names:
        try:
            loaded.append(Loaded(name, load(resolve(name))))
        except (VariantError, ImportError) as e:
            problems.append(f"{name}: {e}")
    return loaded, problems
