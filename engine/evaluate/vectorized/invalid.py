"""Rows the evaluator does not price: those the claims reader marked invalid, and unpriceable groups."""

from __future__ import annotations

import numpy as np
import pandas as pd

from engine.evaluate.groups import MISSING_GROUP, inconsistent_groups
from engine.evaluate.vectorized.claims import Claims, coded
from engine.evaluate.vectorized.output import Output


def invalid_reasons(c: Claims, out: Output) -> np.ndarray:
    """Reason codes of malformed rows (the frame's own and unpriceable groups); returns the valid rows."""
    given = c.frame["invalid"]
    if isinstance(given.dtype, pd.CategoricalDtype):
        marks = coded(given)
        out.reason[:] = np.append(out.reasons.codes(marks.categories), 0)[marks.codes]
        valid = np.append(marks.categories == "", False)[marks.codes]
    else:
        text = given.to_numpy(object)
        bad = np.flatnonzero(text != "")
        codes, uniques = pd.factorize(text[bad])
        out.reason[bad] = out.reasons.codes(uniques)[codes]
        valid = np.ones(len(text), bool)
        valid[bad] = False
    group = np.flatnonzero(valid & c.text["kind"].equals("group"))
    ids = coded(c.frame["group_id"], group)
    empty = ids.equals("")
    c.group[group] = np.where(empty, -1, ids.codes)
    missing = group[empty]
    bad = np.zeros(len(valid), bool)
    for i, text in inconsistent_groups(c.group, c.day, c.text["co_lead"].codes, lambda i: ids.categories[c.group[i]]).items():
        out.reason[i] = out.reasons.code(text)
        bad[i] = True
    out.reason[missing] = out.reasons.code(MISSING_GROUP)
    valid[missing] = False
    return valid & ~bad
