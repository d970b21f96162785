"""Build normalized claims frames (engine/claims/contract.py contract) from short row dicts, through the real normalizer.

Values are written as the text a claims file would hold (dates as YYYY-MM-DD, booleans as
true/false, empty for None), so tests see exactly the frame that `carepolicy evaluate` builds.
"""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd
import pyarrow as pa

from engine.claims.contract import OPTIONAL, REQUIRED
from engine.claims.normalize import mark_duplicates, normalize

COLUMNS = REQUIRED + OPTIONAL


def as_text(value) -> str:
    """A value as a claims file would hold it."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.date):
        return value.isoformat()[:10]
    return str(value)


def claims_frame(rows: list[dict]) -> pd.DataFrame:
    """A normalized frame of the rows (row numbers from 1), with every malformed value marked invalid."""
    unknown = sorted({k for row in rows for k in row} - set(COLUMNS))
    if unknown:
        raise KeyError(f"unknown claims columns {unknown}")
    table = pa.table({name: pa.array([as_text(row.get(name)) for row in rows], pa.string()) for name in COLUMNS})
    return mark_duplicates(normalize(table))
