"""Breakdowns of a simulated year: the result metrics per group of patients (region, age band, network, ...).

Every patient belongs to exactly one group of every dimension, and groups add up whole cents, so the
rows of any breakdown sum to the national totals to the cent. Age bands are those of the region data
(`policy_bands`), taken at the patient's age on the reference day of the simulated year.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from engine.errors import InputError, did_you_mean
from engine.policy.regions import Regions
from engine.simulation.dimensions import DIMENSIONS, POPULATION_DIMENSIONS
from engine.simulation.patients import AVERAGE_PATHS, AVERAGE_SESSIONS, CENTS, NONE, YES_NO


def parse_by(by: str | Sequence[str] | None) -> tuple[str, ...]:
    """Dimension names from a comma list or a sequence, checked and without repeats; () when empty."""
    if by is None:
        return ()
    names = by.split(",") if isinstance(by, str) else [part for item in by for part in str(item).split(",")]
    dims = []
    for raw in names:
        name = raw.strip().lower()
        if not name:
            continue
        if name not in DIMENSIONS:
            prefixed = [d for d in DIMENSIONS if d.startswith(name)]
            hint = did_you_mean(name, list(DIMENSIONS)) or (f" — did you mean '{prefixed[0]}'?" if prefixed else "")
            raise InputError(f"by: unknown dimension {raw.strip()!r}{hint} (known: {', '.join(DIMENSIONS)})")
        if name not in dims:
            dims.append(name)
    return tuple(dims)


def age_band_of(ages: np.ndarray, data: Regions) -> pd.Categorical:
    """The age-band id of each age, from the region data's bands ('' for an age in none), as a categorical: made
    from codes, not from hundreds of thousands of strings."""
    bands = [*data.policy_bands, ""]
    lookup = np.full(data.max_age + 1, len(bands) - 1, np.int64)
    for code, (lo, hi) in enumerate(data.policy_bands.values()):
        lookup[lo:min(hi, data.max_age) + 1] = code
    codes = lookup[np.clip(np.asarray(ages, dtype=np.int64), 0, data.max_age)]
    return pd.Categorical.from_codes(codes, categories=bands).remove_unused_categories()


def _ordered(values: pd.Series, first: Sequence[str]) -> pd.Categorical:
    """Values as a categorical: the known `first` values in their order, then others sorted, NONE last."""
    cat = values.array if isinstance(values.dtype, pd.CategoricalDtype) else pd.Categorical(values.astype(object))
    seen = {str(c) for c in cat.categories}
    rest = sorted(v for v in seen if v not in first and v != NONE)
    return cat.set_categories([*first, *rest, *([NONE] if NONE in seen else [])])


def dimension_columns(patients: pd.DataFrame, dims: Sequence[str], data: Regions,
                      region_ids: Sequence[str]) -> dict[str, pd.Categorical]:
    """The group of every patient along each dimension, as ordered categoricals."""
    known = {"region": list(region_ids), "age_band": list(data.policy_bands), "increased": list(YES_NO),
             "mutuality": list(data.mutualities)}
    out = {}
    for dim in dims:
        values = (pd.Series(age_band_of(patients["age"].to_numpy(), data), copy=False) if dim == "age_band"
                  else patients[dim].reset_index(drop=True))
        out[dim] = _ordered(values, known.get(dim, []))
    return out


def group_sums(patients: pd.DataFrame, dims: Sequence[str], data: Regions, region_ids: Sequence[str],
               columns: Sequence[str]) -> pd.DataFrame:
    """Sums of `columns` per group (groups as the index, in dimension order): the groups and index pandas' groupby of
    the dimension columns makes, sums of whole numbers as int64.

    With only population dimensions every group appears, also without patients; otherwise the groups
    that have patients. The rows are sorted once by group (a radix sort of small codes) and each column
    summed run by run: exact, and a fraction of a groupby's fixed cost, which every scenario pays.
    """
    cats = list(dimension_columns(patients, dims, data, region_ids).values())
    sizes = [len(c.categories) for c in cats]
    cell = np.zeros(len(patients), np.int64)
    for cat, size in zip(cats, sizes, strict=True):
        cell = cell * size + cat.codes
    known = np.all([cat.codes >= 0 for cat in cats], axis=0) if len(patients) else np.ones(0, bool)
    cells = int(np.prod(sizes))
    order = np.flatnonzero(known)  # a row without a value of a dimension is in no group, as in a groupby
    order = order[np.argsort(cell[order].astype(np.min_scalar_type(max(cells - 1, 0))), kind="stable")]
    ordered = cell[order]
    starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]]) if len(ordered) else np.zeros(0, np.int64)
    present = ordered[starts]
    groups = np.arange(cells) if all(d in POPULATION_DIMENSIONS for d in dims) else present
    at = np.searchsorted(groups, present)
    sums = {}
    for name in columns:
        values = patients[name].to_numpy()
        sums[name] = np.zeros(len(groups), np.add.reduce(values[:0]).dtype)  # whole numbers as int64 (flags counted)
        if len(starts):
            sums[name][at] = np.add.reduceat(values[order], starts)
    codes = np.unravel_index(groups, sizes)
    index = pd.CategoricalIndex(pd.Categorical.from_codes(codes[0], categories=cats[0].categories), name=dims[0]) \
        if len(dims) == 1 else pd.MultiIndex(levels=[pd.CategoricalIndex(c.categories, categories=c.categories) for c in cats],
                                             codes=list(codes), names=list(dims))
    return pd.DataFrame(sums, index=index, copy=False)


def population(groups: pd.MultiIndex | pd.Index, dims: Sequence[str], data: Regions) -> np.ndarray:
    """Inhabitants of each group of population dimensions (NaN when a dimension has no population)."""
    if not all(d in POPULATION_DIMENSIONS for d in dims):
        return np.full(len(groups), np.nan)
    frame = groups.to_frame(index=False)
    regions = frame["region"] if "region" in dims else [None] * len(frame)
    bands = [data.policy_bands[b] for b in frame["age_band"]] if "age_band" in dims else [None] * len(frame)
    return np.asarray([round(data.population(r, b)) for r, b in zip(regions, bands, strict=True)], dtype=float)


def network_average(sums: pd.DataFrame, caps: dict[tuple[str, str], float]) -> dict[str, np.ndarray]:
    """Per group, the (network type, category) whose average of sessions per care path is closest to its cap."""
    n = len(sums)
    best = {"network_average": np.zeros(n), "network_average_cap": np.zeros(n), "ratio": np.full(n, -1.0)}
    for (network, category), cap in caps.items():
        sessions = sums[f"{AVERAGE_SESSIONS}:{network}:{category}"].to_numpy(float)
        paths = sums[f"{AVERAGE_PATHS}:{network}:{category}"].to_numpy(float)
        average = np.divide(sessions, paths, out=np.zeros(n), where=paths > 0)
        better = average / cap > best["ratio"]
        for key, value in (("network_average", average), ("network_average_cap", cap), ("ratio", average / cap)):
            best[key] = np.where(better, value, best[key])
    return {"network_average": best["network_average"].round(2), "network_average_cap": best["network_average_cap"],
            "cap_exceeded": best["network_average"] > best["network_average_cap"]}


def metric_table(patients: pd.DataFrame, dims: Sequence[str], data: Regions, region_ids: Sequence[str],
                 caps: dict[tuple[str, str], float], metrics: Sequence[str]) -> pd.DataFrame:
    """The result metrics per group: one row per group, the dimensions first, money in euros."""
    summed = [c for c in patients.columns if c not in ("patient_id", "age", *DIMENSIONS)]
    sums = group_sums(patients, dims, data, region_ids, summed)
    table: dict[str, np.ndarray | pd.Series] = dict(sums.index.to_frame(index=False).astype(object).items())
    for column in summed:
        values = sums[column].to_numpy()
        table[column] = values / 100 if column in CENTS else values
    table["population"] = population(sums.index, dims, data)
    with np.errstate(divide="ignore", invalid="ignore"):  # a region without inhabitants: inf or NaN, as pandas gives
        table["cost_per_inhabitant"] = np.round(table["insurer_cost"] / table["population"], 2)
    paths = table["care_paths"].astype(float)
    table["sessions_per_care_path"] = np.round(np.divide(table["path_sessions"].astype(float), paths,
                                                         out=np.zeros(len(paths)), where=paths > 0), 2)
    table.update(network_average(sums, caps))
    return pd.DataFrame({name: table[name] for name in [*dims, *metrics]})
