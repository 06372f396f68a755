"""The layering-debt chart (``netsplit migrate census --plot``), drawn with matplotlib."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from migration.application.layering import StageDebt


def plot_debt(debts: Sequence[StageDebt], out: Path) -> None:
    """A step chart of the debt per stage, written as PNG to ``out``."""
    if not debts:
        raise ValueError("no stages to plot")
    stages = [d.stage for d in debts]
    values = [d.debt for d in debts]
    # A Figure without pyplot: no global backend state, nothing left open.
    fig = Figure(figsize=(10, 4.5), dpi=100)
    ax = fig.subplots()
    # Each stage's value holds until the next stage; the last one for half a stage.
    xs, ys = [*stages, stages[-1] + 0.5], [*values, values[-1]]
    ax.step(xs, ys, where="post", color="#b03030", linewidth=2)
    ax.fill_between(xs, ys, step="post", color="#b03030", alpha=0.12)
    ax.plot(stages, values, "o", color="#b03030", markersize=3)
    ax.set_xlabel("stage (0 = legacy/, K = legacy/ + steps 1..K)")
    ax.set_ylabel("CNode accesses from net_processing")
    ax.set_title(
        f"Layering debt per stage: {values[0]} at legacy/, {values[-1]} after "
        f"{len(debts) - 1} step(s)"
    )
    ax.set_xlim(stages[0] - 0.5, max(stages[-1], stages[0] + 1) + 0.5)
    ax.set_ylim(0, max(values) * 1.2 + 1)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.grid(True, alpha=0.3)
    for d, side in ((debts[0], "left"), (debts[-1], "right")):
        ax.annotate(
            f"{d.debt}\n{d.step_id}",
            (d.stage, d.debt),
            textcoords="offset points",
            xytext=(4 if side == "left" else -4, 14),
            horizontalalignment=side,
            fontsize=8,
        )
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, format="png")
