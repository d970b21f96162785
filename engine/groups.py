"""Group sessions: consistency of the rows sharing a group_id."""

from __future__ import annotations

import numpy as np
import pandas as pd


def group_problems(claims: pd.DataFrame) -> pd.Series:
    """An `invalid: …` text for group rows that cannot be priced, else ""; indexed like `claims`.

    Every group session needs a group_id, and the rows of one group share one date and co-lead.
    """
    out = pd.Series("", index=claims.index, dtype=object)
    ok = claims["invalid"] == ""
    group = ok & (claims["kind"] == "group")
    missing = group & (claims["group_id"] == "")
    out[missing] = "invalid: group_id: expected a group id for a group session, found ''"
    rows = claims.loc[group & ~missing, ["group_id", "session_date", "co_lead"]]
    if len(rows):
        keyed = rows.groupby("group_id")
        dates = keyed["session_date"].transform("nunique")
        leads = keyed["co_lead"].transform("nunique")
        bad = rows.index[(dates > 1).to_numpy() | (leads > 1).to_numpy()]
        for i in bad:
            gid = claims.at[i, "group_id"]
            out[i] = (f"invalid: group_id: expected one session_date and co_lead for group {gid!r}, "
                      f"found several")
    return out


def share_cents(group_codes: np.ndarray, claim_order: np.ndarray, total: np.ndarray) -> np.ndarray:
    """Each participant's share of its group's fee; shares of a group add up to the fee exactly.

    `group_codes` identifies the group of each covered participant, `claim_order` ranks the rows
    (spare cents go to the earliest claim ids), `total` is the group fee in cents on each row.
    """
    n = len(group_codes)
    if n == 0:
        return np.zeros(0, np.int64)
    order = np.lexsort((claim_order, group_codes))
    codes = group_codes[order]
    starts = np.r_[0, np.flatnonzero(codes[1:] != codes[:-1]) + 1]
    sizes = np.diff(np.r_[starts, n])
    rank = np.arange(n) - np.repeat(starts, sizes)
    size = np.repeat(sizes, sizes)
    tot = total[order]
    base, spare = tot // size, tot % size
    out = np.empty(n, np.int64)
    out[order] = base + (rank < spare)
    return out
