"""Group sessions: consistency of the rows sharing a group_id, and the fee shares of a group."""

from __future__ import annotations

import numpy as np
import pandas as pd

MISSING_GROUP = "invalid: group_id: expected a group id for a group session, found ''"


def several_in_group(group: np.ndarray, *values: np.ndarray) -> np.ndarray:
    """Per row, whether the row's group (integer codes, -1 for none) holds more than one of any `values`."""
    mine = group >= 0
    g = group[mine]
    bad = np.zeros(int(g.max()) + 1 if len(g) else 0, bool)
    for v in values:
        v = v[mine].astype(np.int64)
        low = np.full(len(bad), np.iinfo(np.int64).max)
        high = np.full(len(bad), np.iinfo(np.int64).min)
        np.minimum.at(low, g, v)
        np.maximum.at(high, g, v)
        bad |= low != high
    out = np.zeros(len(group), bool)
    out[mine] = bad[g]
    return out


def inconsistent_groups(group: np.ndarray, day: np.ndarray, lead: np.ndarray, ids) -> dict[int, str]:
    """The `invalid: …` text of each row whose group (codes as for several_in_group) disagrees on date or co-lead.

    `ids(row)` gives the group id of a row; the text names what disagrees.
    """
    dates, leads = several_in_group(group, day), several_in_group(group, lead)
    found = {(True, False): "several session_dates", (False, True): "several co_leads",
             (True, True): "several session_dates and co_leads"}
    return {int(i): f"invalid: group_id: expected one session_date and one co_lead for group {ids(i)!r}, "
                    f"found {found[bool(dates[i]), bool(leads[i])]}"
            for i in np.flatnonzero(dates | leads)}


def group_problems(claims: pd.DataFrame) -> pd.Series:
    """An `invalid: …` text for group rows that cannot be priced, else ""; indexed like `claims`.

    Every group session needs a group_id, and the rows of one group share one date and co-lead.
    """
    out = np.full(len(claims), "", dtype=object)
    group = ((claims["invalid"] == "") & (claims["kind"] == "group")).to_numpy(bool)
    ids = claims["group_id"].to_numpy(object)
    missing = group & (ids == "")
    out[missing] = MISSING_GROUP
    checked = group & ~missing
    if checked.any():
        codes = np.full(len(claims), -1)
        codes[checked] = pd.factorize(ids[checked])[0]
        day = claims["session_date"].to_numpy().astype("datetime64[D]").astype(np.int64)
        lead = pd.factorize(claims["co_lead"].to_numpy(object))[0]
        for i, text in inconsistent_groups(codes, day, lead, ids.__getitem__).items():
            out[i] = text
    return pd.Series(out, index=claims.index, dtype=object)


def share_cents(group_codes: np.ndarray, claim_order: np.ndarray, total: np.ndarray) -> np.ndarray:
    """Each participant's share of its group's fee; shares of a group add up to the fee exactly.

    `group_codes` identifies the group of each covered participant, `claim_order` ranks the rows
    (distinct integers; spare cents go to the earliest claim ids), `total` is the group fee in cents on each row.
    """
    n = len(group_codes)
    if n == 0:
        return np.zeros(0, np.int64)
    key = group_codes.astype(np.int64) * (int(claim_order.max()) + 1) + claim_order
    order = np.argsort(key)
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
