"""The normalized claims frame as arrays: integer patients and days, coded text, a column reader."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from engine.evaluate.vectorized.days import ages, as_dates, day_numbers
from engine.money import cents
from engine.policy.conditions import Coded

if TYPE_CHECKING:
    from engine.evaluate.vectorized.layout import Layout

TEXT_FIELDS = ("kind", "network", "care", "setting", "co_lead", "mutuality", "provider")


def coded(column: pd.Series, rows: np.ndarray | None = None) -> Coded:
    """A text column (or some of its rows) as codes: categoricals as they are, other columns factorized."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        codes = column.array.codes
        return Coded(codes if rows is None else codes[rows], column.dtype.categories.to_numpy(dtype=object))
    values = column.array
    if rows is not None:  # pandas takes slowly from chunked arrow arrays; arrow itself does not
        values = (pd.arrays.ArrowStringArray(values.__arrow_array__().take(rows))
                  if isinstance(values, pd.arrays.ArrowStringArray) else values.take(rows))
    codes, uniques = pd.factorize(values)
    small = np.int8 if len(uniques) < 127 else np.int32
    return Coded(codes.astype(small), np.asarray(uniques, dtype=object))


class Claims:
    """The normalized claims frame as arrays: integer patients and days, coded text."""

    def __init__(self, frame: pd.DataFrame, patient: np.ndarray | None = None):
        """`patient`: a code per row that tells the patients apart, when the caller has factorized the ids already."""
        self.frame = frame
        ids = frame["patient_id"]
        self.patient = (patient.astype(np.int32) if patient is not None
                        else ids.array.codes if isinstance(ids.dtype, pd.CategoricalDtype)
                        else pd.factorize(ids)[0].astype(np.int32))
        self.day = day_numbers(frame["session_date"])
        self.birth = day_numbers(frame["birth_date"])
        self.text = {f: coded(frame[f]) for f in TEXT_FIELDS}
        self.increased = frame["increased_reimbursement"].to_numpy(bool)
        self.group = np.full(len(frame), -1, np.int32)  # group codes of valid group sessions (set with the invalid rows)
        fee = frame["fee_charged"].to_numpy(float)
        self.fee_missing = np.isnan(fee)
        self.fee = cents(fee)  # 0 where missing
        self.earlier = frame["earlier_sessions"].to_numpy(np.int64)
        ids = frame["claim_id"].array
        self.claim_ids = ids.__arrow_array__() if isinstance(ids, pd.arrays.ArrowStringArray) else ids  # taken from fast
        self._ages: np.ndarray | None = None
        self.layouts: dict[bytes, Layout] = {}  # step-major layouts of row sets (engine/evaluate/vectorized/layout.py)

    def ages(self, rows: np.ndarray) -> np.ndarray:
        """Each row's age on its date; computed once for all rows (re-pricing asks for it under every scenario)."""
        if self._ages is None:
            self._ages = ages(self.birth, self.day)
        return self._ages[rows]

    def ids(self, rows: np.ndarray) -> np.ndarray:
        """The claim ids of some rows, in their own type (as the reference sorts them)."""
        if isinstance(self.claim_ids, pa.ChunkedArray):
            return self.claim_ids.take(rows).to_numpy()
        return np.asarray(self.claim_ids.take(rows))

    def id_order(self, rows: np.ndarray) -> np.ndarray:
        """Distinct ranks of `rows` (ascending positions) by claim id; ties keep row order."""
        if len(rows) < 2:
            return np.arange(len(rows))
        if isinstance(self.claim_ids, pa.ChunkedArray):
            ids = self.claim_ids.take(rows)
            if pc.all(pc.greater_equal(ids[1:], ids[:-1])).as_py():
                return np.arange(len(rows))
            order = pc.sort_indices(ids).to_numpy()  # a stable sort
        else:
            ids = np.asarray(self.claim_ids.take(rows))
            if (ids[1:] >= ids[:-1]).all():
                return np.arange(len(rows))
            order = np.argsort(ids, kind="stable")
        rank = np.empty(len(rows), np.int64)
        rank[order] = np.arange(len(rows))
        return rank


def columns(c: Claims, rows: np.ndarray, taken: dict[str, Coded], day: np.ndarray):
    """A reader of claims columns on `rows`, for the field registry (text already taken is reused)."""
    def column(name: str):
        if name == "session_date":
            return as_dates(day)
        if name == "increased_reimbursement":
            return c.increased[rows]
        if name not in taken:
            taken[name] = c.text[name].take(rows)
        return taken[name]
    return column
