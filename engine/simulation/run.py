"""Budget microsimulation: synthetic patients per region, evaluated under the baseline and each scenario.

The claims come from engine/simulation/synthetic.py and go through the same vectorized evaluator as real claims,
so quotas, periods, the free first session and group fees act on the budget exactly as on a claim.
Results are aggregated per region; `drivers` breaks each insurer cost into fee, co-payment and
care-path lines (count × value) so that a spreadsheet can rebuild the cost with native formulas.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from engine.errors import InputError
from engine.evaluate.vectorized import evaluate_vectorized
from engine.policy.policies import PolicySet
from engine.policy.regions import Regions, load_regions
from engine.policy.rules import rules_of
from engine.policy.scenarios import BASELINE, Scenario, apply, load_scenario
from engine.simulation.projection import for_year
from engine.simulation.synthetic import Draw, Synthesizer
from engine.simulation.totals import DRIVER_COLUMNS, METRICS, RESULT_COLUMNS, Metric, aggregate

__all__ = ["DRIVER_COLUMNS", "METRICS", "RESULT_COLUMNS", "Metric", "Simulation", "simulate"]

DEFAULT_YEAR = dt.date.today().year + 1
"""The next budget year, simulated when no year is given."""
DEFAULT_SEED = 1


@dataclass(frozen=True, eq=False)
class Simulation:
    """The outcome of one simulation run: scenarios, their policies, the region data and the result tables."""

    year: int
    seed: int
    scenarios: tuple[Scenario, ...]
    policies: dict[str, PolicySet]
    regions: Regions
    region_ids: tuple[str, ...]
    results: pd.DataFrame
    drivers: pd.DataFrame

    def result(self, scenario: str, metric: str) -> float:
        """A national total (sum over the simulated regions) of a metric for one scenario."""
        rows = self.results[self.results["scenario"] == scenario]
        if rows.empty or metric not in METRICS:
            raise InputError(f"expected a scenario ({', '.join(s.id for s in self.scenarios)}) and a metric "
                             f"({', '.join(METRICS)}), found {scenario!r} and {metric!r}")
        return float(rows[metric].sum())


def _scenarios(policies: PolicySet, names: Sequence[str | Path]) -> list[Scenario]:
    loaded = [load_scenario(BASELINE, policies)]
    for name in names:
        scenario = load_scenario(name, policies)
        if all(s.id != scenario.id for s in loaded):
            loaded.append(scenario)
    return loaded


def _check_year(policies: PolicySet, year: int, seed: int) -> None:
    if seed < 0:
        raise InputError(f"seed: expected a whole number of 0 or more, found {seed}")
    try:
        in_force = rules_of(policies).convention_on(Draw(year, seed).reference_day)
    except ValueError:  # beyond the calendar's dates
        raise InputError(f"year: expected a year of four digits, found {year}") from None
    if in_force is None:
        starts = sorted(c.start for c in rules_of(policies).conventions)
        raise InputError(f"year: expected a year in which a convention is in force on 1 July, the reference day of "
                         f"a simulated year (the first convention starts {starts[0]}), found {year}")


def simulate(policies: PolicySet, scenarios: Sequence[str | Path] = (), *, year: int = DEFAULT_YEAR,
             regions: Sequence[str] | None = None, seed: int = DEFAULT_SEED,
             progress: Callable[[float], None] | None = None, workers: int | None = None,
             data: Regions | None = None) -> Simulation:
    """Simulate `year` for the baseline and `scenarios` (bundled names or paths) in the given regions (all by default).

    The baseline always comes first. Scenarios without utilisation changes share the baseline's
    synthetic claims; every scenario is evaluated on its own policies. `workers` processes evaluate
    scenarios side by side (default: one per core, at most one per scenario). The year's population,
    uptake and fees follow the policy folder's projection; `data` replaces its region data (a sensitivity point).
    """
    data = data if data is not None else load_regions(policies.root)
    region_ids = tuple(dict.fromkeys(data.region(r).id for r in regions)) if regions else tuple(data.names())
    loaded = _scenarios(policies, scenarios)
    _check_year(policies, year, seed)
    policies, data = for_year(policies, data, year)
    applied = {s.id: apply(policies, s) for s in loaded}
    draw = Draw(year, seed)
    workers = min(len(loaded), workers or os.cpu_count() or 1)
    if "fork" not in multiprocessing.get_all_start_methods():
        workers = 1  # workers inherit the drawn claims by forking; elsewhere (Windows) run in-process
    done = 0

    def tick() -> None:
        nonlocal done
        done += 1
        if progress:
            progress(done / (len(loaded) + 1))  # drawing the patients counts as one step

    shared = (loaded, applied, _draw_claims(loaded, applied, data, region_ids, draw), region_ids, data, draw)
    tick()
    if workers > 1:
        global _SHARED
        _SHARED = shared  # forked workers inherit the drawn claims: nothing is pickled
        try:
            with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
                tables = [*_ticking(pool.map(_run_shared, range(len(loaded))), tick)]
        finally:
            _SHARED = None
    else:  # in-process runs keep their own inputs, so that runs in several threads never mix
        tables = [*_ticking((_run(shared, i) for i in range(len(loaded))), tick)]
    results = pd.concat([t[0] for t in tables], ignore_index=True)
    drivers = pd.concat([t[1] for t in tables], ignore_index=True)
    return Simulation(year, seed, tuple(loaded), applied, data, region_ids, results, drivers)


def _ticking(tables, tick: Callable[[], None]):
    for table in tables:
        tick()
        yield table


def _draw_claims(loaded: list[Scenario], applied: dict[str, PolicySet], data: Regions, region_ids: tuple[str, ...],
                 draw: Draw) -> dict[str, tuple[pd.DataFrame, np.ndarray]]:
    """Synthetic claims per scenario; scenarios with the same utilisation and age bands share one draw."""
    drawn: dict[tuple, tuple[pd.DataFrame, np.ndarray]] = {}
    claims = {}
    for scenario in loaded:
        synthesizer = Synthesizer(applied[scenario.id], data, draw)
        key = (tuple(u for u in scenario.utilisation if u.in_force(draw.reference_day)), repr(synthesizer.bands))
        if key not in drawn:
            drawn[key] = synthesizer.claims(scenario, list(region_ids))
        claims[scenario.id] = drawn[key]
    return claims


_SHARED: tuple | None = None


def _run_shared(index: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Evaluate and aggregate scenario `index` of the run in progress, in a forked worker."""
    return _run(_SHARED, index)


def _run(shared: tuple, index: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Evaluate and aggregate scenario `index` of a run's drawn claims."""
    loaded, applied, drawn, region_ids, data, draw = shared
    scenario = loaded[index]
    claims, region = drawn[scenario.id]
    policies = applied[scenario.id]
    return aggregate(scenario.id, claims, evaluate_vectorized(claims, policies), region, region_ids, data, policies, draw)


def national(results: pd.DataFrame) -> pd.DataFrame:
    """National totals per scenario: sums of the counts and amounts, recomputed ratios (no network averages)."""
    keyed = results.groupby("scenario", sort=False)
    sums = keyed[[m for m, x in METRICS.items() if x.total == "sum"]].sum()
    sums["cost_per_inhabitant"] = (sums["insurer_cost"] / sums["population"]).round(2)
    weighted = (results["sessions_per_care_path"] * results["care_paths"]).groupby(results["scenario"], sort=False).sum()
    sums["sessions_per_care_path"] = (weighted / sums["care_paths"]).round(2)
    sums["cap_exceeded"] = keyed["cap_exceeded"].any()
    return sums.reset_index()
