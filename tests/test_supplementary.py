"""Supplementary benefits of several mutualities: the limits a calendar year hold (both evaluators agree: test_differential)."""

from __future__ import annotations

import pandas as pd
from hypothesis import HealthCheck, given, settings
from strategies import benefit_claims

from engine.evaluate.vectorized import evaluate_vectorized

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(benefit_claims())
def test_the_limits_a_calendar_year_hold(policies, frame):
    out = evaluate_vectorized(frame, policies).join(frame[["patient_id", "session_date", "mutuality"]])
    out["year"] = pd.to_datetime(out["session_date"]).dt.year
    covered = out[out["covered"]]
    for (_, _, mutuality), rows in covered.groupby(["patient_id", "year", "mutuality"]):
        if mutuality in ("solidaris", "helan"):
            assert len(rows) <= 12
        if mutuality == "lm":
            assert rows["supplement_amount"].sum() <= (60 if set(rows["rule"]) == {"adult"} else 120) + 1e-9
    assert set(out.loc[out["reason"] == "year_cap_reached", "mutuality"]) <= {"solidaris", "lm", "helan"}
