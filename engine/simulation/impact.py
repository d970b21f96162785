"""Winners and losers of a reform: each synthetic patient's year under a scenario against the same patient's baseline.

The scenarios of one run share their patients (common random numbers), so the difference is taken
patient by patient (engine/simulation/changes.py): who pays more or less out of pocket (after
mutuality supplements), and how the insurer cost, the supplements, the covered and the refused
sessions move.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import pandas as pd

from engine.errors import InputError
from engine.policy.policies import PolicySet
from engine.policy.scenarios import BASELINE
from engine.simulation.breakdown import parse_by
from engine.simulation.changes import CHANGES, IMPACT_METRICS, MONEY, impact_table, patient_changes
from engine.simulation.processes import per_seed
from engine.simulation.run import DEFAULT_SEED, DEFAULT_YEAR, Simulation, simulate

__all__ = ["CHANGES", "IMPACT_METRICS", "MONEY", "impact", "impact_band", "impact_of", "impact_table",
           "patient_changes"]


def impact_of(sim: Simulation, dims: Sequence[str] = ()) -> pd.DataFrame:
    """The impact table of every scenario of a simulation run with per-patient tables, against its baseline."""
    if sim.patients is None:
        raise InputError("impact: expected a simulation that kept its per-patient tables (patients=True)")
    base = sim.patients[BASELINE]
    tables = [impact_table(patient_changes(base, sim.patients[s.id]), dims, sim.regions, sim.region_ids, s.id)
              for s in sim.scenarios if s.id != BASELINE]
    return pd.concat(tables, ignore_index=True)


def impact(policies: PolicySet, scenarios: Sequence[str | Path], *, year: int = DEFAULT_YEAR, seed: int = DEFAULT_SEED,
           regions: Sequence[str] | None = None, by: str | Sequence[str] | None = None, seeds: int = 1,
           progress: Callable[[float], None] | None = None, workers: int | None = None) -> pd.DataFrame:
    """Winners and losers of each scenario against the baseline, nationally or per group of `by`.

    With `seeds` > 1, one table per seed `seed`, `seed` + 1, ... with a `seed` column first.
    """
    if not scenarios:
        raise InputError("scenario: expected at least one scenario to compare with the baseline, found none")
    if isinstance(seeds, bool) or not isinstance(seeds, int) or seeds < 1:
        raise InputError(f"seeds: expected a whole number of 1 or more, found {seeds!r}")
    dims = parse_by(by)

    def one(i: int, workers: int | None, progress: Callable[[float], None] | None) -> pd.DataFrame:
        sim = simulate(policies, scenarios, year=year, regions=regions, seed=seed + i, impact=dims, workers=workers,
                       progress=progress, drivers=False)
        if len(sim.scenarios) == 1:
            raise InputError(f"scenario: expected a scenario other than {BASELINE!r} to compare with it, found only "
                             f"{BASELINE!r}")
        table = sim.impact
        return table if seeds == 1 else table.assign(seed=seed + i)

    table = pd.concat(per_seed(one, seeds, workers, progress), ignore_index=True)
    return table if seeds == 1 else table[["seed", *(c for c in table.columns if c != "seed")]]


def impact_band(table: pd.DataFrame) -> pd.DataFrame:
    """Mean, lowest and highest value over the seeds of a several-seed impact table, per scenario, group and metric."""
    keys = [c for c in table.columns if c not in ("seed", *IMPACT_METRICS)]
    grouped = table[IMPACT_METRICS].astype(float).groupby([table[k] for k in keys], sort=False)
    stats = {name: getattr(grouped, name)().stack() for name in ("mean", "min", "max")}
    out = pd.DataFrame({"mean": stats["mean"], "low": stats["min"], "high": stats["max"]})
    out.index.names = [*keys, "metric"]
    return out.reset_index()
