"""The vectorized evaluator equals the reference evaluator, and both keep the invariants."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies import benefit_claims, claims_frames

from engine.evaluate.reference import evaluate_reference
from engine.evaluate.vectorized import evaluate_vectorized, matching

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    for col in a.columns:
        left, right = a[col].to_numpy(), b[col].to_numpy()
        if col == "period_start":
            left, right = pd.to_datetime(left).astype(str), pd.to_datetime(right).astype(str)
        assert list(left) == list(right), f"column {col} differs"


@SETTINGS
@given(st.one_of(claims_frames(), benefit_claims()))
def test_vectorized_equals_reference(policies, frame):
    ref, _ = evaluate_reference(frame, policies)
    same(ref, evaluate_vectorized(frame, policies))


@SETTINGS
@given(st.one_of(claims_frames(), benefit_claims()))
def test_money_invariants(policies, frame):
    out = evaluate_vectorized(frame, policies)
    conv = out[out["insurer_amount"] > 0]
    cents = (out[["provider_fee", "patient_copay", "insurer_amount", "supplement_amount"]] * 100).round()
    assert (out["patient_copay"] <= out["provider_fee"] + 1e-9).all()
    assert (out["supplement_amount"] <= out["provider_fee"] + 1e-9).all()
    assert (out["patient_pays"] >= -1e-9).all()
    conv = out["scheme"].str.startswith("riziv")
    assert (cents.loc[conv, "insurer_amount"] + cents.loc[conv, "patient_copay"]
            == cents.loc[conv, "provider_fee"]).all()
    assert (~out["covered"] | (out["reason"] == "")).all()
    assert (out["covered"] | (out["reason"] != "")).all()


@SETTINGS
@given(claims_frames())
def test_row_order_does_not_matter(policies, frame):
    out = evaluate_vectorized(frame, policies).set_index("claim_id").sort_index()
    shuffled = frame.sample(frac=1.0, random_state=7).reset_index(drop=True)
    again = evaluate_vectorized(shuffled, policies).set_index("claim_id").sort_index()
    same(out, again)


@SETTINGS
@given(claims_frames())
def test_each_patient_alone_gives_the_same_coverage(policies, frame):
    """Coverage is per patient; amounts of a group are shared, so only whole groups are compared."""
    out = evaluate_vectorized(frame, policies).set_index("claim_id")
    for _, rows in frame.groupby("patient_id"):
        alone = evaluate_vectorized(rows.reset_index(drop=True), policies).set_index("claim_id")
        cols = ["covered", "reason", "bundle", "rule", "period_start", "care_path_fee"]
        same(out.loc[alone.index, cols], alone[cols])
        solo = (rows["kind"] == "individual").to_numpy()
        same(out.loc[alone.index[solo]], alone[solo])


@SETTINGS
@given(claims_frames())
def test_no_bundle_is_ever_exceeded(policies, frame):
    """Covered convention sessions per patient and period always fit the bundle of the last one."""
    out = evaluate_vectorized(frame, policies)
    merged = frame.join(out.drop(columns="claim_id"))
    covered = merged[merged["covered"] & merged["scheme"].str.startswith("riziv")]
    conv = policies.doc("riziv-psy-2021")
    for (_, start), rows in covered.groupby(["patient_id", "period_start"]):
        network = rows["network"].iloc[0]
        assert (rows["network"] == network).all()
        counts = (rows["care"].astype(str) + "_" + rows["kind"].astype(str)).value_counts().to_dict()
        day = rows["session_date"].max().date()
        ok = False
        for bundle in conv["quota"]["networks"][network]["bundles"]:
            path = f"riziv-psy-2021.quota.networks.{network}.bundles.{bundle['id']}"
            caps = {c: policies.value_at(f"{path}.caps.{c}", day).value for c in bundle["caps"]}
            total = policies.value_at(f"{path}.total", day).value if "total" in bundle else np.inf
            if all(n <= caps.get(c, 0) for c, n in counts.items()) and sum(counts.values()) <= total:
                ok = True
        assert ok, f"period {start} of {rows['patient_id'].iloc[0]} exceeds every bundle: {counts}"
        assert (rows["session_date"] < pd.Timestamp(start) + pd.DateOffset(months=12)).all()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(claims_frames())
def test_rules_by_combination_of_values_equal_the_reference(policies, monkeypatch, frame):
    """Large frames price co-payments once per combination of values; force that path on small ones."""
    monkeypatch.setattr(matching, "ROWS_PER_COMBINATION", 0)
    ref, _ = evaluate_reference(frame, policies)
    same(ref, evaluate_vectorized(frame, policies))
