"""Per-patient outcome of one simulated year: who the patient is, and what the year brought and cost them.

One row per synthetic patient with a session in the year. The descriptive columns (region, age,
network, care, increased, mutuality) are the breakdown dimensions; the others are counts and whole
cents that add up to the region totals exactly, so any grouping of the patients sums to the national
figures to the cent, and two scenarios can be compared patient by patient (common random numbers).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from engine.dates import ages_on
from engine.money import cents
from engine.policy.regions import Regions
from engine.simulation.synthetic import Draw

NONE = "none"
"""The value of a descriptive column that does not apply to the patient (e.g. no convention session)."""
YES_NO = ("no", "yes")

COUNTS = ("patients", "sessions", "sessions_individual", "sessions_group", "sessions_first_line",
          "sessions_specialised", "care_paths", "path_sessions", "refused_quota", "refused_other",
          "supplement_patients", "supplement_sessions")
"""Whole-number columns. `patients` is 1 for a patient with a covered convention session in the year,
`path_sessions` counts the covered sessions of care paths opened in the year (also after its end)."""
CENTS = ("insurer_cost", "care_path_fees", "patient_copay", "provider_income", "supplements", "out_of_pocket")
"""Money columns in whole cents. `out_of_pocket` is what the patient pays after mutuality supplements."""
AVERAGE_SESSIONS, AVERAGE_PATHS = "average_sessions", "average_paths"
"""Columns `average_sessions:<network>:<category>` and `average_paths:<network>:<category>` carry the inputs of a
network-level average cap: the covered sessions of that category in care paths opened in the year, and those paths."""


def _is(column: pd.Series, value: str) -> np.ndarray:
    """Rows equal to `value`: on the codes of a categorical, else by comparing the text."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        categories = column.cat.categories
        if value not in categories:
            return np.zeros(len(column), bool)
        return column.cat.codes.to_numpy() == categories.get_loc(value)
    return (column == value).to_numpy(dtype=bool, na_value=False)


def _values(column: pd.Series) -> list[str]:
    """The distinct values of a text column (a categorical's categories)."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        return [str(c) for c in column.cat.categories]
    return [str(v) for v in pd.unique(column)]


def _pairs(patient: np.ndarray, period: np.ndarray, n: int) -> np.ndarray:
    """Distinct (patient, period start) pairs, counted per patient."""
    if not len(patient):
        return np.zeros(n, np.int64)
    span = int(period.max() - period.min()) + 1
    _, first = np.unique(patient * span + (period - period.min()), return_index=True)
    return np.bincount(patient[first], minlength=n)


class _Earliest:
    """Per patient, its earliest row among some rows: one sort of all rows by (patient, day), shared."""

    def __init__(self, patient: np.ndarray, day: np.ndarray, n: int):
        days = day.astype(np.int64)
        low = int(days.min(initial=0))
        self.order = np.argsort(patient.astype(np.int64) * (int(days.max(initial=0)) - low + 1) + (days - low))
        self.patient, self.n = patient, n

    def of(self, rows: np.ndarray) -> np.ndarray:
        """The index of each patient's earliest row among `rows` (-1 where it has none)."""
        picked = self.order[rows[self.order]]
        owner = self.patient[picked]
        first = np.flatnonzero(np.r_[True, owner[1:] != owner[:-1]]) if len(owner) else np.zeros(0, np.int64)
        out = np.full(self.n, -1, np.int64)
        out[owner[first]] = picked[first]
        return out


def _label(column: pd.Series, at: np.ndarray) -> pd.Categorical:
    """The text of each patient's chosen row, NONE where there is none or it is empty."""
    cat = pd.Categorical(column) if not isinstance(column.dtype, pd.CategoricalDtype) else column.array
    names = np.asarray([NONE if c == "" else str(c) for c in cat.categories] + [NONE], dtype=object)
    codes = np.where(at >= 0, cat.codes[np.maximum(at, 0)], len(names) - 1)
    codes = np.where(codes < 0, len(names) - 1, codes)
    return pd.Categorical(names[codes])


def _category(claims: pd.DataFrame, category: str) -> np.ndarray:
    """Rows of a quota category: its name is the care type and the session kind joined by '_'."""
    out = np.zeros(len(claims), bool)
    for care in _values(claims["care"]):
        for kind in _values(claims["kind"]):
            if care and f"{care}_{kind}" == category:
                out |= _is(claims["care"], care) & _is(claims["kind"], kind)
    return out


def patient_table(claims: pd.DataFrame, evaluated: pd.DataFrame, region: np.ndarray, region_ids: tuple[str, ...],
                  draw: Draw, data: Regions, network_caps: tuple[tuple[str, str], ...] = ()) -> pd.DataFrame:
    """One row per patient with a session in the year (by patient id): the dimensions, counts and cents of its year.

    `network_caps` names the (network type, quota category) pairs whose average number of sessions per
    care path is capped: their inputs are kept per patient so that any group can compute its average.
    """
    patient, patient_ids = pd.factorize(claims["patient_id"].to_numpy(), sort=True)
    n = len(patient_ids)
    day = claims["session_date"].to_numpy().astype("datetime64[D]")
    in_year = (day >= draw.first) & (day <= draw.last)
    outside = _is(claims["network"], "")
    convention = in_year & ~outside
    ok = evaluated["covered"].to_numpy(bool)
    covered = convention & ok
    period = evaluated["period_start"].to_numpy().astype("datetime64[D]").astype(np.int64)
    opened = (period >= draw.first.astype(np.int64)) & (period <= draw.last.astype(np.int64)) & ~outside & ok
    supplement = cents(evaluated["supplement_amount"])
    benefit = in_year & outside & (supplement > 0)
    kind, care = claims["kind"], claims["care"]

    def count(rows: np.ndarray) -> np.ndarray:
        return np.bincount(patient[rows], minlength=n)

    def per_patient(values: np.ndarray, rows: np.ndarray) -> np.ndarray:
        return np.bincount(patient[rows], weights=values[rows], minlength=n).round().astype(np.int64)

    reason_quota = _is(evaluated["reason"], "quota_exhausted")
    copay, fee = cents(evaluated["patient_copay"]), cents(evaluated["provider_fee"])
    care_path = cents(evaluated["care_path_fee"])
    columns: dict[str, np.ndarray] = {
        "patients": (count(covered) > 0).astype(np.int64),
        "sessions": count(covered),
        "sessions_individual": count(covered & _is(kind, "individual")),
        "sessions_group": count(covered & _is(kind, "group")),
        "sessions_first_line": count(covered & _is(care, "first_line")),
        "sessions_specialised": count(covered & _is(care, "specialised")),
        "care_paths": _pairs(patient[opened], period[opened], n),
        "path_sessions": count(opened),
        "refused_quota": count(convention & reason_quota),
        "refused_other": count(convention & ~ok & ~reason_quota),
        "supplement_patients": (count(benefit) > 0).astype(np.int64),
        "supplement_sessions": count(benefit),
        "insurer_cost": per_patient(cents(evaluated["insurer_amount"]), covered) + per_patient(care_path, convention),
        "care_path_fees": per_patient(care_path, convention),
        "patient_copay": per_patient(copay, covered),
        "provider_income": per_patient(fee, covered),
        "supplements": per_patient(supplement, in_year & outside),
        "out_of_pocket": per_patient(cents(evaluated["patient_pays"]), covered | (in_year & outside)),
    }
    for network, category in network_caps:
        rows = opened & _category(claims, category) & _is(claims["network"], network)
        columns[f"{AVERAGE_SESSIONS}:{network}:{category}"] = count(rows)
        columns[f"{AVERAGE_PATHS}:{network}:{category}"] = _pairs(patient[rows], period[rows], n)
    keep = count(in_year) > 0
    earliest = _Earliest(patient, day, n)
    first, first_convention = earliest.of(in_year), earliest.of(convention)
    first_member = earliest.of(in_year & ~_is(claims["mutuality"], ""))
    birth = claims["birth_date"].to_numpy().astype("datetime64[D]")
    reference = np.datetime64(draw.reference_day, "D")
    age = ages_on(birth[first[keep]], np.full(int(keep.sum()), reference)).clip(0, data.max_age)
    increased = claims["increased_reimbursement"].to_numpy(bool)[first[keep]]
    table = pd.DataFrame({
        "patient_id": patient_ids[keep],
        "region": pd.Categorical.from_codes(region.astype(np.int64)[first[keep]], categories=list(region_ids)),
        "age": age.astype(np.int16),
        "network": _label(claims["network"], first_convention[keep]),
        "care": _label(claims["care"], first_convention[keep]),
        "increased": pd.Categorical.from_codes(increased.astype(np.int8), categories=list(YES_NO)),
        "mutuality": _label(claims["mutuality"], first_member[keep]),
        **{name: values[keep] for name, values in columns.items()},
    })
    return table
