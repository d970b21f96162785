"""Several budget years: one simulation per year (and seed), each priced by the policies in force on its dates.

A year's population, uptake and fees follow the policy folder's projection; each row says what they
rest on (`population_basis`, `uptake_basis`: a figure and its status, or the two figures it is
interpolated between). Scenario changes act from their own dates, so a reform starting in 2027 leaves
2025 and 2026 as the baseline.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from pathlib import Path

import pandas as pd

from engine.errors import InputError
from engine.policy.policies import PolicySet
from engine.policy.projection import Projection, load_projection
from engine.simulation.grid import points, run_grid

_RANGE = re.compile(r"^\s*(\d{4})\s*(?:-\s*(\d{4})\s*)?$")


def year_range(text: str) -> list[int]:
    """The years of `2025-2030` (both included) or of a single `2027`."""
    match = _RANGE.match(str(text))
    if not match:
        raise InputError(f"years: expected FIRST-LAST such as 2025-2030, or one year, found {text!r}")
    first, last = int(match[1]), int(match[2] or match[1])
    if first > last:
        raise InputError(f"years: expected the first year on or before the last, found {first}-{last} "
                         f"(did you mean {last}-{first}?)")
    return list(range(first, last + 1))


def check_years(policies: PolicySet, years: Sequence[int]) -> Projection | None:
    """Refuse years the policy folder's projection does not cover (before any run starts); the projection."""
    projection = load_projection(policies.root)
    if projection is not None:
        for year in (years[0], years[-1]):
            projection.check_year(year)
    return projection


def simulate_years(policies: PolicySet, scenarios: Sequence[str | Path] = (), *, years: Sequence[int],
                   seeds: int = 1, seed: int = 1, regions: Sequence[str] | None = None, scheduler: str | None = None,
                   executor: str = "auto", progress: Callable[[float], None] | None = None, by: Sequence[str] = (),
                   table: str = "results") -> pd.DataFrame:
    """One row per year, seed, scenario and region (or group of `by`): `year`, `seed`, the bases of the year, then
    the results; with `table="impact"`, the winners and losers of each scenario against the baseline instead
    (engine/simulation/impact.py), nationally or per group of `by`."""
    if isinstance(seeds, bool) or not isinstance(seeds, int) or seeds < 1:
        raise InputError(f"seeds: expected a whole number of 1 or more, found {seeds!r}")
    projection = check_years(policies, years)
    table = run_grid(policies, scenarios, points(years, range(seed, seed + seeds)), regions=regions,
                     scheduler=scheduler, executor=executor, progress=progress, by=by, table=table)
    if projection is not None:
        bases = pd.DataFrame([{"year": y, **projection.basis(y)} for y in years])
        table = table.merge(bases, on="year", how="left", validate="many_to_one")
        first = ["year", "seed", "population_basis", "uptake_basis"]
        table = table[[*first, *(c for c in table.columns if c not in first)]]
    return table
