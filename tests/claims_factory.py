"""Build normalized claims frames (engine/claims.py contract) from short row dicts, for tests."""

from __future__ import annotations

import numpy as np
import pandas as pd

from engine.claims import DEFAULTS, OPTIONAL

FILL = {"network": "", "care": "", "group_id": "", "co_lead": "", "mutuality": "", "provider": "",
        "fee_charged": np.nan, **DEFAULTS}


def claims_frame(rows: list[dict]) -> pd.DataFrame:
    """A normalized frame: defaults filled, dates parsed, every row valid unless it says otherwise."""
    data = []
    for i, row in enumerate(rows, start=1):
        full = {"row": i, **{k: FILL[k] for k in OPTIONAL}, "invalid": "", **row}
        data.append(full)
    frame = pd.DataFrame(data)
    for col in ("birth_date", "session_date"):
        frame[col] = pd.to_datetime(frame[col])
    frame["claim_id"] = frame["claim_id"].astype(str)
    frame["patient_id"] = frame["patient_id"].astype(str)
    frame["increased_reimbursement"] = frame["increased_reimbursement"].astype(bool)
    frame["fee_charged"] = frame["fee_charged"].astype(float)
    frame["earlier_cm_sessions"] = frame["earlier_cm_sessions"].astype(np.int64)
    return frame
