"""Several seeds of the budget simulation and the band they span: how much of a result is sampling noise.

Each seed is one ordinary `simulate` run, so within a seed the scenarios share their patients (common
random numbers). A scenario's difference to the baseline is therefore taken per seed and only then
summarised: its band is much narrower than the band of the levels, which move with the drawn patients.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from engine.errors import InputError
from engine.policy.policies import PolicySet
from engine.policy.regions import load_regions
from engine.policy.scenarios import BASELINE
from engine.simulation.processes import Beside, per_seed, workers_for
from engine.simulation.run import DEFAULT_SEED, DEFAULT_YEAR, METRICS, national, region_ids_of, simulate, summed


def simulate_seeds(policies: PolicySet, scenarios: Sequence[str | Path] = (), *, seeds: int = 1,
                   seed: int = DEFAULT_SEED, year: int = DEFAULT_YEAR, regions: Sequence[str] | None = None,
                   progress: Callable[[float], None] | None = None, workers: int | None = None,
                   by: Sequence[str] = ()) -> pd.DataFrame:
    """The results of `seeds` runs with seeds `seed`, `seed` + 1, ...: one row per seed, scenario and region
    (or group of the dimensions `by`), `seed` first."""
    _check_seeds(seeds)
    one = _one_seed(policies, scenarios, seed, year, regions, by)
    return seed_table(per_seed(one, seeds, workers, progress))


def seeds_beside(policies: PolicySet, scenarios: Sequence[str | Path] = (), *, seeds: int = 1,
                 seed: int = DEFAULT_SEED, year: int = DEFAULT_YEAR, regions: Sequence[str] | None = None,
                 workers: int | None = None, money_only: bool = False) -> Beside:
    """The runs of `simulate_seeds`, started in worker processes (at most one per seed) that run beside what this
    process does next: `seed_table(started.results())` is the table of `simulate_seeds`, or its money columns
    (MONEY_COLUMNS, at a fraction of the work) with `money_only`.

    Each seed runs region by region, the most populous regions of every seed first: a region's patients are drawn
    from streams of its own (engine/simulation/split.py), so its results are those of the whole run. The regions
    no worker has started when this process asks for the results, the smallest, are run here beside them.
    """
    _check_seeds(seeds)
    data = load_regions(policies.root)
    region_ids = region_ids_of(data, regions)
    items = [(i, region) for region in sorted(region_ids, key=lambda r: -data.population(r, None))
             for i in range(seeds)]

    def run(item: tuple[int, str]) -> pd.DataFrame:
        i, region = item
        return _one_seed(policies, scenarios, seed, year, [region], (), money_only)(i, 1, None)

    return Beside(run, items, workers_for(seeds, workers),
                  join=lambda frames: [_in_run_order([f for f, (i, _) in zip(frames, items, strict=True) if i == seed_i],
                                                     region_ids) for seed_i in range(seeds)])


def _in_run_order(frames: list[pd.DataFrame], region_ids: tuple[str, ...]) -> pd.DataFrame:
    """The results of one seed's regions as one run's: scenario by scenario in the order they were run, each in the
    order of `region_ids`."""
    table = pd.concat(frames, ignore_index=True)
    scenario = {s: k for k, s in enumerate(dict.fromkeys(table["scenario"]))}
    place = {r: k for k, r in enumerate(region_ids)}
    order = np.lexsort((table["region"].map(place).to_numpy(), table["scenario"].map(scenario).to_numpy()))
    return table.take(order).reset_index(drop=True)


def seed_table(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """The results of several seeds as one table, `seed` first."""
    table = pd.concat(frames, ignore_index=True)
    return table[["seed", *(c for c in table.columns if c != "seed")]]


def _check_seeds(seeds: int) -> None:
    if isinstance(seeds, bool) or not isinstance(seeds, int) or seeds < 1:
        raise InputError(f"seeds: expected a whole number of 1 or more, found {seeds!r}")


def _one_seed(policies: PolicySet, scenarios: Sequence[str | Path], seed: int, year: int,
              regions: Sequence[str] | None, by: Sequence[str], money_only: bool = False):
    """The run of seed `seed` + i, as a function of (i, workers, progress): its results (by `by`; of money only with
    `money_only`), with a seed column."""
    def one(i: int, workers: int | None, progress: Callable[[float], None] | None) -> pd.DataFrame:
        sim = simulate(policies, scenarios, year=year, regions=regions, seed=seed + i, by=by, workers=workers,
                       progress=progress, drivers=False, money_only=money_only)
        return (sim.results if sim.breakdown is None else sim.breakdown).assign(seed=seed + i)
    return one


def national_by_seed(table: pd.DataFrame) -> pd.DataFrame:
    """National totals per seed and scenario, with each metric's difference to the same seed's baseline.

    The differences (`<metric>_vs_baseline`) cover every national total except the flags.
    """
    frames = []
    for seed, rows in table.groupby("seed", sort=True):
        nation = national(rows)
        base = nation[nation["scenario"] == BASELINE]
        if base.empty:
            raise InputError(f"seed {seed}: expected a {BASELINE!r} row to compare the scenarios with, found "
                             f"{', '.join(nation['scenario'])}")
        for metric in [c for c in nation.columns if c in summed([c]) or c in METRICS and METRICS[c].total == "ratio"]:
            nation[f"{metric}_vs_baseline"] = (nation[metric] - base[metric].iloc[0]).round(2)
        frames.append(nation.assign(seed=seed))
    both = pd.concat(frames, ignore_index=True)
    return both[["seed", *(c for c in both.columns if c != "seed")]]


def band(table: pd.DataFrame) -> pd.DataFrame:
    """Mean, lowest and highest national value over the seeds of a `simulate_seeds` table, per scenario and metric.

    Metrics are the result columns followed by the differences to the baseline; a flag's mean is the
    share of seeds in which it is set.
    """
    per_seed = national_by_seed(table)
    metrics = [c for c in per_seed.columns if c not in ("seed", "scenario")]
    grouped = per_seed[metrics].astype(float).groupby(per_seed["scenario"], sort=False)
    stats = {name: getattr(grouped, name)().stack() for name in ("mean", "min", "max")}
    out = pd.DataFrame({"mean": stats["mean"], "low": stats["min"], "high": stats["max"]})
    out.index.names = ["scenario", "metric"]
    return out.reset_index()
