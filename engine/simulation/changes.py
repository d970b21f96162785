"""Each patient's year under a scenario against the same patient's baseline, and the impact table it sums to.

A patient whose out-of-pocket changes by one cent or less is unchanged. Groups add whole cents, so
the national row equals the difference of the `simulate` totals to the cent. The simulation makes
the table in the process that ran each scenario (engine/simulation/run.py); engine/simulation/impact.py
runs it for the `impact` command.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from engine.simulation.breakdown import group_sums
from engine.simulation.patients import COMPARED, PERSON

CHANGES = dict(zip(COMPARED, ("out_of_pocket_change", "insurer_cost_change", "supplement_change", "sessions_change",
                              "refused_change"), strict=True))
"""The per-patient columns compared, and the name of their change in the impact table."""
IMPACT_METRICS = ["patients", "better_off", "worse_off", "unchanged", "out_of_pocket_change", "mean_change_better_off",
                  "mean_change_worse_off", "insurer_cost_change", "supplement_change", "sessions_change",
                  "refused_change"]
"""The columns of an impact table after `scenario` and the dimensions; amounts in EUR."""
MONEY = ("out_of_pocket_change", "mean_change_better_off", "mean_change_worse_off", "insurer_cost_change",
         "supplement_change")
_ONE_CENT = 1


def patient_changes(base: pd.DataFrame, other: pd.DataFrame) -> pd.DataFrame:
    """One row per patient of either per-patient table: who the patient is (from the baseline where drawn there)
    and the change of each compared column (counts, whole cents); a patient missing from a table counts zero there."""
    known, drawn = base["patient_id"].to_numpy(), other["patient_id"].to_numpy()  # both sorted
    people = base[list(PERSON)]
    if np.array_equal(known, drawn):  # the same draw: the same patients in the same rows
        ids, at_base = known, np.arange(len(known))
        at_other = at_base
    else:
        at = np.minimum(np.searchsorted(known, drawn), max(len(known) - 1, 0))
        new = (known[at] != drawn) if len(known) else np.ones(len(drawn), bool)
        if new.any():
            people = pd.concat([people, other.loc[new, list(PERSON)]], ignore_index=True).sort_values("patient_id",
                                                                                                ignore_index=True)
        ids = people["patient_id"].to_numpy()
        at_base = np.arange(len(known)) if not new.any() else np.searchsorted(ids, known)
        at_other = np.searchsorted(ids, drawn)  # each table's rows in `people`, found once for every column

    def spread(table: pd.DataFrame, rows: np.ndarray, column: str) -> np.ndarray:
        out = np.zeros(len(ids), np.int64)
        out[rows] = table[column].to_numpy()
        return out

    changes = {column: spread(other, at_other, column) - spread(base, at_base, column) for column in CHANGES}
    return pd.DataFrame({**{name: people[name].array for name in PERSON}, **changes}, copy=False)


def _counted(changes: pd.DataFrame) -> dict[str, np.ndarray]:
    """The per-patient columns whose sums per group make the impact table."""
    change = changes["out_of_pocket"].to_numpy()
    better, worse = change < -_ONE_CENT, change > _ONE_CENT
    return {
        "patients": np.ones(len(changes), np.int64), "better_off": better.astype(np.int64),
        "worse_off": worse.astype(np.int64), "unchanged": (~better & ~worse).astype(np.int64),
        **{CHANGES[c]: changes[c].to_numpy() for c in CHANGES},
        "better_sum": np.where(better, change, 0), "worse_sum": np.where(worse, change, 0),
    }


def impact_table(changes: pd.DataFrame, dims: Sequence[str], data, region_ids: Sequence[str],
                 scenario: str) -> pd.DataFrame:
    """The impact metrics per group of `dims` (one national row when there are none)."""
    return impact_from_sums(impact_sums(changes, dims, data, region_ids), dims, scenario)


def impact_sums(changes: pd.DataFrame, dims: Sequence[str], data, region_ids: Sequence[str]) -> pd.DataFrame:
    """The whole sums (counts, cents) the impact table of `changes` is made of, per group of `dims` (the index; with
    only population dimensions every group, also without patients), or in one row: the sums of two sets of patients
    add up to those of both."""
    counted = _counted(changes)
    if not dims:
        return pd.DataFrame({name: [values.sum()] for name, values in counted.items()})
    keyed = pd.DataFrame({**{name: changes[name].array for name in PERSON}, **counted}, copy=False)
    return group_sums(keyed, dims, data, region_ids, list(counted))


def impact_from_sums(sums: pd.DataFrame, dims: Sequence[str], scenario: str) -> pd.DataFrame:
    """The impact table of a scenario from its `impact_sums`: the groups with patients, amounts in EUR."""
    if dims:
        sums = sums[sums["patients"] > 0]
        table = sums.index.to_frame(index=False).astype(object)
        values = sums.reset_index(drop=True)
    else:
        table = pd.DataFrame(index=[0])
        values = sums
    for column in IMPACT_METRICS:
        if column.startswith("mean_change_"):
            side = "better" if column.endswith("better_off") else "worse"
            count = values[f"{side}_off"].to_numpy(float)
            total = values[f"{side}_sum"].to_numpy(float)
            table[column] = np.divide(total, count, out=np.full(len(count), np.nan), where=count > 0) / 100
        else:
            column_values = values[column].to_numpy()
            table[column] = column_values / 100 if column in MONEY else column_values
    table.insert(0, "scenario", scenario)
    return table[["scenario", *dims, *IMPACT_METRICS]]
