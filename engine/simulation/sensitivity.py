"""How much the budget moves with each assumption: every assumed figure varied over its range, one at a time.

A sensitivity run is a grid: the central point (the data as they are) and, per assumed figure of the
region data, a low and a high point, each an ordinary simulation of the baseline and the scenarios.
The tornado table gives, per figure, the baseline's national insurer cost at the low and high end
and each scenario's difference to the baseline there, sorted by the baseline's swing. With several
seeds, every point runs each seed and the tornado holds the means; the central point's spread over
the seeds says how much of a swing is sampling noise.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from engine.errors import InputError
from engine.policy.policies import PolicySet
from engine.policy.regions import load_regions
from engine.policy.scenarios import BASELINE
from engine.simulation.grid import points, run_grid
from engine.simulation.variation import Assumed, Variation, assumed_figures

CENTRAL = "central"
METRIC = "insurer_cost"


@dataclass(frozen=True, eq=False)
class Sensitivity:
    """A sensitivity run: the long table of every point and seed, the tornado, and the central figures."""

    year: int
    seeds: tuple[int, ...]
    scenarios: tuple[str, ...]
    figures: tuple[Assumed, ...]
    table: pd.DataFrame
    tornado: pd.DataFrame
    central: pd.DataFrame  # per scenario: mean, low and high over the seeds at the central point


def sensitivity(policies: PolicySet, scenarios: Sequence[str | Path] = (), *, year: int, seeds: int = 1, seed: int = 1,
                regions: Sequence[str] | None = None, scheduler: str | None = None, executor: str = "auto",
                progress: Callable[[float], None] | None = None) -> Sensitivity:
    """Vary every assumed figure of the region data over its range and tabulate the national insurer cost."""
    if isinstance(seeds, bool) or not isinstance(seeds, int) or seeds < 1:
        raise InputError(f"seeds: expected a whole number of 1 or more, found {seeds!r}")
    figures = tuple(assumed_figures(load_regions(policies.root)))
    sides = [(None, CENTRAL)]
    for f in figures:
        sides += [(Variation(f.kind, f.name, f.low), "low"), (Variation(f.kind, f.name, f.high), "high")]
    grid = points([year], range(seed, seed + seeds), sides)
    table = run_grid(policies, scenarios, grid, regions=regions, scheduler=scheduler, executor=executor,
                     progress=progress)
    ids = tuple(table["scenario"].unique())
    return Sensitivity(year, tuple(range(seed, seed + seeds)), ids, figures, table, tornado(table, figures, ids),
                       central(table, ids))


def _national(table: pd.DataFrame) -> pd.DataFrame:
    """National insurer cost per point, seed and scenario; scenarios as their difference to the baseline."""
    nation = table.groupby(["figure", "side", "seed", "scenario"], sort=False)[METRIC].sum().unstack("scenario")
    for scenario in nation.columns:
        if scenario != BASELINE:
            nation[scenario] = nation[scenario] - nation[BASELINE]
    return nation


def central(table: pd.DataFrame, scenarios: Sequence[str]) -> pd.DataFrame:
    """The central point per scenario (baseline: its cost; others: their difference): mean, low and high over seeds."""
    nation = _national(table).xs(CENTRAL, level="side")[list(scenarios)]
    return pd.DataFrame({"mean": nation.mean(), "low": nation.min(), "high": nation.max()}).round(2)


def tornado(table: pd.DataFrame, figures: Sequence[Assumed], scenarios: Sequence[str]) -> pd.DataFrame:
    """One row per assumed figure, sorted by the swing of the baseline's insurer cost (largest first).

    Columns: figure, label, where (file and JSON pointer), factor_low, factor_high, baseline_low,
    baseline_high, swing, and per scenario `<scenario>_low` and `<scenario>_high`, its difference to
    the baseline at the figure's low and high end (means over the seeds).
    """
    means = _national(table).groupby(level=["figure", "side"]).mean()
    rows = []
    for f in figures:
        low, high = means.loc[(f.name, "low")], means.loc[(f.name, "high")]
        row = {"figure": f.name, "label": f.label, "where": f"{f.file}#{f.pointer}", "factor_low": f.low,
               "factor_high": f.high, "baseline_low": low[BASELINE], "baseline_high": high[BASELINE],
               "swing": abs(high[BASELINE] - low[BASELINE])}
        for s in scenarios:
            if s != BASELINE:
                row[f"{s}_low"], row[f"{s}_high"] = low[s], high[s]
        rows.append(row)
    out = pd.DataFrame(rows)
    money = [c for c in out.columns if c not in ("figure", "label", "where", "factor_low", "factor_high")]
    out[money] = out[money].astype(float).round(2)
    return out.sort_values("swing", ascending=False, kind="stable").reset_index(drop=True)
