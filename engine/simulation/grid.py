"""Grids of simulation runs (years × seeds × sensitivity points), submitted to dask.distributed.

Each point of a grid is one ordinary `simulate` run of the baseline and the scenarios, so within a
point the scenarios share their patients. Points are independent: they go to a dask cluster, a
running one by address or a local cluster of processes, and come back as one long table whose rows
do not depend on where they ran. A single point runs in this process, whose own pool evaluates the
scenarios side by side (faster than starting a cluster for one run).
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from engine.allocator import keep_freed_memory
from engine.errors import InputError
from engine.policy.policies import PolicySet, load_policies
from engine.policy.regions import load_regions
from engine.policy.scenarios import BASELINE, scenario_path
from engine.simulation.breakdown import parse_by
from engine.simulation.run import simulate
from engine.simulation.variation import Variation

KEYS = ["year", "seed", "figure", "side", "factor"]
"""The columns that name a grid point, first in the grid's table (figure, side and factor only with variations)."""
TABLES = ("results", "impact")
"""What a grid point returns: its results (per region, or per group of `by`), or its impact table against the
baseline (national, or per group of `by`)."""


@dataclass(frozen=True)
class Point:
    """One run of a grid: a year, a seed and, for a sensitivity point, a varied figure and its side (low, high, central)."""

    year: int
    seed: int
    variation: Variation | None = None
    side: str = ""


def points(years: Sequence[int], seeds: Sequence[int],
           variations: Sequence[tuple[Variation | None, str]] = ((None, ""),)) -> list[Point]:
    """Every combination of years, seeds and variations (with the side each variation stands for)."""
    return [Point(y, s, v, side) for v, side in variations for y in years for s in seeds]


def run_point(root: str, scenarios: tuple[str, ...], regions: tuple[str, ...] | None, point: Point,
              workers: int | None = 1, progress: Callable[[float], None] | None = None, by: tuple[str, ...] = (),
              table: str = "results") -> pd.DataFrame:
    """The `table` of one grid point (see TABLES), with its keys as the first columns (the task a dask worker runs).

    A dask worker runs it with `workers=1`: its processes may not start processes of their own.
    """
    keep_freed_memory()  # a dask worker is a process of its own
    policies = load_policies(root)
    data = point.variation.apply(load_regions(root)) if point.variation else None
    impact = table == "impact"
    sim = simulate(policies, scenarios, year=point.year, regions=regions, seed=point.seed, workers=workers,
                   progress=progress, data=data, by=() if impact else by, impact=by if impact else None,
                   drivers=False)
    rows = sim.impact if impact else sim.breakdown if by else sim.results
    keys = {"year": point.year, "seed": point.seed}
    if point.side:
        varied = point.variation
        keys.update(figure=varied.name if varied else "", side=point.side, factor=varied.factor if varied else 1.0)
    return rows.assign(**keys)[[*keys, *rows.columns]]


def run_grid(policies: PolicySet, scenarios: Sequence[str | Path], grid: Sequence[Point], *,
             regions: Sequence[str] | None = None, scheduler: str | None = None, executor: str = "auto",
             progress: Callable[[float], None] | None = None, by: Sequence[str] = (),
             table: str = "results") -> pd.DataFrame:
    """Run every point of `grid` and return their `table` (results, per group of `by` if given, or impact) in grid order.

    `scheduler` is the address of a running dask scheduler (e.g. tcp://10.0.0.5:8786); its workers
    need carepolicy installed and the policy folder at the same path. Without it, `executor` decides:
    `dask` starts a local cluster of processes, `pool` runs the points one after another in this
    process (each with its own pool over the scenarios), `auto` takes the pool for a single point
    and a local cluster otherwise.
    """
    if not grid:
        raise InputError("grid: expected at least one run, found none")
    if executor not in ("auto", "dask", "pool"):
        raise InputError(f"executor: expected auto, dask or pool, found {executor!r}")
    if table not in TABLES:
        raise InputError(f"table: expected {' or '.join(TABLES)}, found {table!r}")
    # check the names up front, in this process, so that a mistake is one clear error and not a failed task
    names = tuple(str(scenario_path(s, policies.root).resolve()) for s in scenarios)
    if table == "impact" and not set(names) - {str(scenario_path(BASELINE, policies.root).resolve())}:
        raise InputError(f"scenario: expected a scenario other than {BASELINE!r} to compare with it, found "
                         f"{'only ' + repr(BASELINE) if names else 'none'}")
    data = load_regions(policies.root)
    region_ids = tuple(dict.fromkeys(data.region(r).id for r in regions)) if regions else None
    args = (str(policies.root), names, region_ids)
    what = {"by": parse_by(by), "table": table}
    if scheduler is None and (executor == "pool" or (executor == "auto" and len(grid) == 1)):
        tables = [run_point(*args, point, workers=None, progress=None if progress is None else
                            (lambda f, i=i: progress((i + f) / len(grid))), **what) for i, point in enumerate(grid)]
    else:
        tables = _on_dask(args, grid, scheduler, progress, what)
    return pd.concat(tables, ignore_index=True)


def _on_dask(args: tuple, grid: Sequence[Point], scheduler: str | None, progress: Callable[[float], None] | None,
             what: dict) -> list[pd.DataFrame]:
    import dask
    from distributed import Client, LocalCluster, as_completed

    if scheduler is None:
        workers = min(len(grid), os.cpu_count() or 1)
        # a fork server starts each worker from a clean process in a fraction of a second; a plain fork would copy
        # this process's threads' locks (the evaluator's thread pool, a caller's threads) and can hang, and
        # spawned workers re-import everything (seconds each)
        method = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
        with dask.config.set({"distributed.worker.multiprocessing-method": method}):
            cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None)
    else:
        cluster = None
    try:
        with Client(cluster if cluster is not None else scheduler, set_as_default=False) as client:
            futures = client.map(run_point, *(([a] * len(grid)) for a in args), list(grid), pure=False, **what)
            for done, _ in enumerate(as_completed(futures, loop=client.loop), 1):
                if progress:
                    progress(done / len(grid))
            return client.gather(futures)
    except OSError as exc:
        raise InputError(f"scheduler: expected the address of a running dask scheduler, found {scheduler!r} ({exc})") \
            from None
    finally:
        if cluster is not None:
            cluster.close()
