"""Per-patient outcome of one simulated year: who the patient is, and what the year brought and cost them.

One row per synthetic patient with a session in the year. The descriptive columns (region, age,
network, care, increased, mutuality) are the breakdown dimensions; the others are counts and whole
cents that add up to the region totals exactly, so any grouping of the patients sums to the national
figures to the cent, and two scenarios can be compared patient by patient (common random numbers).

Who the patients are depends on the draw only: a `Cohort` indexes it once, and every scenario
evaluated on the same draw adds its counts and cents to it from the evaluator's arrays.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from pandas.api.types import union_categoricals

from engine.dates import ages_on
from engine.evaluate.vectorized.claims import Claims
from engine.evaluate.vectorized.output import Output, R
from engine.policy.categories import Category
from engine.policy.regions import Regions
from engine.simulation.synthetic import Draw

NONE = "none"
"""The value of a descriptive column that does not apply to the patient (e.g. no convention session)."""
YES_NO = ("no", "yes")

COUNTS = ("patients", "sessions", "sessions_individual", "sessions_group", "care_paths", "path_sessions",
          "refused_quota", "refused_other", "supplement_patients", "supplement_sessions")
"""Whole-number columns, with CARE_SESSIONS of each care type after `sessions_group`. `patients` is 1 for a patient
with a covered convention session in the year, `path_sessions` counts the covered sessions of care paths opened in
the year (also after its end)."""
CARE_SESSIONS = "sessions_{care}"
"""The column of the covered sessions of one care type (by its id in the convention files)."""
CENTS = ("insurer_cost", "care_path_fees", "patient_copay", "provider_income", "supplements", "out_of_pocket")
"""Money columns in whole cents. `out_of_pocket` is what the patient pays after mutuality supplements."""
AVERAGE_SESSIONS, AVERAGE_PATHS = "average_sessions", "average_paths"
"""Columns `average_sessions:<network>:<category>` and `average_paths:<network>:<category>` carry the inputs of a
network-level average cap: the covered sessions of that category in care paths opened in the year, and those paths."""
PERSON = ("patient_id", "region", "age", "network", "care", "increased", "mutuality")
"""Who a patient is: the first columns of a per-patient table (a Cohort's `people`)."""
COMPARED = ("out_of_pocket", "insurer_cost", "supplements", "sessions", "refused_quota")
"""The columns in which two scenarios' years of a patient are compared (engine/simulation/impact.py)."""


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
    distinct = pd.unique(patient.astype(np.int64) * span + (period - period.min()))  # hashing: no sort needed
    return np.bincount(distinct // span, minlength=n)


class _Earliest:
    """Per patient, its earliest row among some rows: one sort of all rows by (patient, day), shared."""

    def __init__(self, patient: np.ndarray, day: np.ndarray, n: int):
        days = day.astype(np.int64)
        low = int(days.min(initial=0))
        key = patient.astype(np.int64) * (int(days.max(initial=0)) - low + 1) + (days - low)
        self.order = np.argsort(key, kind="stable")  # runs of sorted rows (each patient's schedule): fast, ties by row
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
    used = np.flatnonzero(np.bincount(codes, minlength=len(names)))
    shown = sorted(set(names[used]))  # as pd.Categorical orders text, without making a string per patient
    position = np.zeros(len(names), np.int64)
    position[used] = [shown.index(name) for name in names[used]]
    return pd.Categorical.from_codes(position[codes], categories=shown)


@dataclass(eq=False)
class Cohort:
    """The sessions of one draw indexed by patient: the same for every scenario evaluated on the draw.

    `claims` is the evaluator's view of the claims frame, prepared once; `people` holds the
    descriptive columns of the patients with a session in the year (`keep`), by patient id, made
    when first asked for (a run of money only never asks).
    """

    frame: pd.DataFrame
    region: np.ndarray
    region_ids: tuple[str, ...]
    draw: Draw
    max_age: int
    claims: Claims
    patient: np.ndarray
    patient_ids: np.ndarray
    day: np.ndarray
    in_year: np.ndarray
    outside: np.ndarray
    _masks: dict[tuple[str, str], np.ndarray] = field(default_factory=dict)
    _categoricals: dict[str, pd.Categorical] = field(default_factory=dict)

    @classmethod
    def of(cls, claims: pd.DataFrame, region: np.ndarray, region_ids: tuple[str, ...], draw: Draw,
           data: Regions) -> Cohort:
        """Index a drawn claims frame (and each claim's region index into `region_ids`)."""
        patient, patient_ids = pd.factorize(claims["patient_id"].to_numpy(), sort=True)
        day = claims["session_date"].to_numpy().astype("datetime64[D]")
        in_year = (day >= draw.first) & (day <= draw.last)
        return cls(claims, region, region_ids, draw, data.max_age, Claims(claims, patient), patient, patient_ids, day,
                   in_year, _is(claims["network"], ""))

    @property
    def n(self) -> int:
        """How many patients the draw has (with a session in the year or not)."""
        return len(self.patient_ids)

    @functools.cached_property
    def keep(self) -> np.ndarray:
        """The patients with a session in the year (a mask by patient): those of the per-patient tables."""
        return np.bincount(self.patient[self.in_year], minlength=self.n) > 0

    @functools.cached_property
    def people(self) -> pd.DataFrame:
        """Who each kept patient is: id, region, age on the reference day, network and care type of the first
        convention session of the year, increased reimbursement and mutuality of the first session."""
        claims, keep, n = self.frame, self.keep, self.n
        in_year = self.in_year
        earliest = _Earliest(self.patient, self.day, n)
        first, first_convention = earliest.of(in_year), earliest.of(in_year & ~self.outside)
        first_member = earliest.of(in_year & ~_is(claims["mutuality"], ""))
        birth = claims["birth_date"].to_numpy().astype("datetime64[D]")
        reference = np.datetime64(self.draw.reference_day, "D")
        age = ages_on(birth[first[keep]], np.full(int(keep.sum()), reference)).clip(0, self.max_age)
        increased = claims["increased_reimbursement"].to_numpy(bool)[first[keep]]
        return pd.DataFrame({
            "patient_id": self.patient_ids[keep],
            "region": pd.Categorical.from_codes(self.region.astype(np.int64)[first[keep]],
                                                categories=list(self.region_ids)),
            "age": age.astype(np.int16),
            "network": _label(claims["network"], first_convention[keep]),
            "care": _label(claims["care"], first_convention[keep]),
            "increased": pd.Categorical.from_codes(increased.astype(np.int8), categories=list(YES_NO)),
            "mutuality": _label(claims["mutuality"], first_member[keep]),
        })

    @functools.cached_property
    def convention(self) -> np.ndarray:
        """The sessions of the year in the convention (a mask)."""
        return self.in_year & ~self.outside

    @functools.cached_property
    def beyond(self) -> tuple[np.ndarray, np.ndarray]:
        """The sessions of the year outside the convention (their rows), and their patients: few, and summed by every
        scenario."""
        rows = np.flatnonzero(self.in_year & self.outside)
        return rows, self.patient[rows]

    @functools.cached_property
    def _runs(self) -> tuple[np.ndarray, np.ndarray]:
        """The first session of each run of sessions in one region (the draw makes them region by region), and its
        region."""
        starts = np.flatnonzero(np.r_[True, self.region[1:] != self.region[:-1]]) if len(self.region) else \
            np.zeros(0, np.int64)
        return starts, self.region[starts].astype(np.int64)

    def region_sums(self, values: np.ndarray, rows: np.ndarray, regions: int) -> np.ndarray:
        """Per region index (`regions` of them) the sum of the whole numbers `values` over the sessions `rows` (a mask):
        summed run by run of sessions in one region, exact and faster than counting session by session."""
        starts, region = self._runs
        sums = np.zeros(regions, np.int64)
        if len(starts):
            np.add.at(sums, region, np.add.reduceat(values * rows, starts))  # a product: no branch per session
        return sums

    def rows(self, column: str, value: str) -> np.ndarray:
        """Sessions whose text column equals `value` (kept: every scenario asks the same)."""
        if (column, value) not in self._masks:
            self._masks[column, value] = _is(self.frame[column], value)
        return self._masks[column, value]

    def categorical(self, column: str) -> pd.Categorical:
        """A text column of the claims as a categorical (kept: every scenario asks the same)."""
        if column not in self._categoricals:
            values = self.frame[column]
            self._categoricals[column] = (values.array if isinstance(values.dtype, pd.CategoricalDtype)
                                          else pd.Categorical(values))
        return self._categoricals[column]

    def category(self, category: Category) -> np.ndarray:
        """Sessions of a quota category: its care type and session kind."""
        return self.rows("care", category.care) & self.rows("kind", category.kind)


def joined(tables: list[pd.DataFrame]) -> pd.DataFrame:
    """Per-patient tables of different patients as one, in patient id order (as one cohort's table would be)."""
    if len(tables) == 1:
        return tables[0]
    columns = {}
    for name in tables[0].columns:
        parts = [t[name].array for t in tables]
        if isinstance(parts[0], pd.Categorical):
            same = all(list(p.categories) == list(parts[0].categories) for p in parts)
            columns[name] = union_categoricals(parts, sort_categories=not same)  # a label's values are sorted
        else:
            columns[name] = np.concatenate([np.asarray(p) for p in parts])
    order = np.argsort(columns["patient_id"], kind="stable")
    return pd.DataFrame({name: values[order] for name, values in columns.items()}, copy=False)


def patient_table(cohort: Cohort, out: Output, care_types: tuple[str, ...],
                  network_caps: tuple[tuple[str, Category], ...] = (), decided: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per patient with a session in the year (by patient id): the dimensions, counts and cents of its year.

    `out` is the evaluation of the cohort's claims under one scenario; each of `care_types` has a column of its
    covered sessions (CARE_SESSIONS). `network_caps` names the
    (network type, quota category) pairs whose average number of sessions per care path is capped:
    their inputs are kept per patient so that any group can compute its average. `decided`, the table of an
    evaluation whose decisions `out` kept (a re-pricing, engine/evaluate/vectorized/reprice.py), gives the counts.
    """
    c = cohort
    at = np.flatnonzero(c.convention & out.covered)  # the covered sessions, found once for their counts and sums
    owner = c.patient[at]
    counts = (decided[[n for n in decided.columns if n not in PERSON and n not in CENTS]] if decided is not None
              else pd.DataFrame({n: v[c.keep] for n, v in _counts(c, out, at, owner, care_types, network_caps).items()},
                                copy=False))
    cents = pd.DataFrame({n: v[c.keep] for n, v in _cents(c, out, at, owner).items()}, copy=False)
    return pd.concat([c.people, counts, cents], axis=1)


def _counts(c: Cohort, out: Output, at: np.ndarray, owner: np.ndarray, care_types: tuple[str, ...],
            network_caps: tuple[tuple[str, Category], ...]) -> dict[str, np.ndarray]:
    """The count columns of every patient: what the evaluator decided (covered, refused, periods opened)."""
    patient, n = c.patient, c.n
    first, last = c.draw.first.astype(np.int64), c.draw.last.astype(np.int64)
    convention = c.convention
    ok = out.covered
    period = out.period_start.astype(np.int64)
    opened = (period >= first) & (period <= last) & ~c.outside & ok
    beyond, owners = c.beyond
    benefit = np.bincount(owners[out.supplement[beyond] > 0], minlength=n)

    def count(rows: np.ndarray) -> np.ndarray:
        return np.bincount(patient[rows], minlength=n)

    def covered_count(rows: np.ndarray) -> np.ndarray:
        return np.bincount(owner[rows[at]], minlength=n)

    reason_quota = out.reason == R["quota_exhausted"]
    sessions = np.bincount(owner, minlength=n)
    columns: dict[str, np.ndarray] = {
        "patients": (sessions > 0).astype(np.int64),
        "sessions": sessions,
        "sessions_individual": covered_count(c.rows("kind", "individual")),
        "sessions_group": covered_count(c.rows("kind", "group")),
        **{CARE_SESSIONS.format(care=care): covered_count(c.rows("care", care)) for care in care_types},
        "care_paths": _pairs(patient[opened], period[opened], n),
        "path_sessions": count(opened),
        "refused_quota": count(convention & reason_quota),
        "refused_other": count(convention & ~ok & ~reason_quota),
        "supplement_patients": (benefit > 0).astype(np.int64),
        "supplement_sessions": benefit,
    }
    for network, category in network_caps:
        rows = opened & c.category(category) & c.rows("network", network)
        columns[f"{AVERAGE_SESSIONS}:{network}:{category.id}"] = count(rows)
        columns[f"{AVERAGE_PATHS}:{network}:{category.id}"] = _pairs(patient[rows], period[rows], n)
    return columns


def _cents(c: Cohort, out: Output, at: np.ndarray, owner: np.ndarray) -> dict[str, np.ndarray]:
    """The money columns of every patient, in whole cents: what the evaluator priced.

    A session's insurer amount is its fee minus its co-payment, and supplements are paid outside the
    convention only, so the insurer cost and what the patient pays follow from three sums of the
    covered sessions and two of those outside.
    """
    patient, n = c.patient, c.n
    beyond, owners = c.beyond

    def outside_sum(values: np.ndarray) -> np.ndarray:
        return np.bincount(owners, weights=values[beyond], minlength=n).round().astype(np.int64)

    def covered_sum(values: np.ndarray) -> np.ndarray:
        return np.bincount(owner, weights=values[at], minlength=n).round().astype(np.int64)

    paid = np.flatnonzero(out.care_path)  # once per care path: few sessions
    paid = paid[c.convention[paid]]
    care_path = np.bincount(patient[paid], weights=out.care_path[paid], minlength=n).round().astype(np.int64)
    fee, copay, supplements = covered_sum(out.fee), covered_sum(out.copay), outside_sum(out.supplement)
    return {
        "insurer_cost": fee - copay + care_path,
        "care_path_fees": care_path,
        "patient_copay": copay,
        "provider_income": fee,
        "supplements": supplements,
        "out_of_pocket": copay + outside_sum(out.copay) - supplements,
    }
