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
from engine.evaluate.pipeline import normalized
from engine.policy.policies import PolicySet

COLUMNS = REQUIRED + OPTIONAL
SAMPLE_CSV = ("claim_id,patient_id,birth_date,session_date,kind,network,care,increased_reimbursement,group_id,co_lead,"
              "setting,mutuality,provider,fee_charged,earlier_sessions\n") + """\
c1,p1,1990-05-01,2024-03-01,individual,adults,first_line,false,,,,,,,
c2,p1,1990-05-01,2024-03-08,individual,adults,first_line,true,,,,,,,
c3,p2,2012-02-10,2024-04-01,group,children,specialised,false,g1,psychologist,,,,,
c4,p3,2010-07-07,2024-04-01,group,children,specialised,false,g1,psychologist,,,,,
c5,p4,2004-01-01,2023-06-01,individual,children,first_line,false,,,clb_location,,,,
c6,p5,1985-01-01,2024-05-01,individual,,,,,,,cm,psychotherapist,70.00,3
c7,p6,2009-01-01,2024-05-01,individual,,,true,,,,cm,clinical_sexologist,55.50,
"""
"""A claims file with a row of each scheme: convention individual and group, CLB location, CM benefits."""


def as_text(value) -> str:
    """A value as a claims file would hold it."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.date):
        return value.isoformat()[:10]
    return str(value)


def claims_frame(rows: list[dict], policies: PolicySet | None = None) -> pd.DataFrame:
    """A normalized frame of the rows (row numbers from 1), with every malformed value marked invalid; the care
    types are those of `policies` (default: the bundled folder)."""
    unknown = sorted({k for row in rows for k in row} - set(COLUMNS))
    if unknown:
        raise KeyError(f"unknown claims columns {unknown}")
    table = pa.table({name: pa.array([as_text(row.get(name)) for row in rows], pa.string()) for name in COLUMNS})
    return normalized(table, policies)
