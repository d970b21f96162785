"""Hand cases from DOMAIN.md, each checked on both evaluators."""

from __future__ import annotations

import pandas as pd
import pytest
from claims_factory import claims_frame
from test_differential import same

from engine.evaluate.reference import evaluate_reference
from engine.evaluate.vectorized import evaluate_vectorized


@pytest.fixture
def run(policies):
    def evaluate(rows: list[dict]) -> pd.DataFrame:
        frame = claims_frame(rows)
        ref, _ = evaluate_reference(frame, policies)
        same(ref, evaluate_vectorized(frame, policies))
        return ref.set_index("claim_id")
    return evaluate


def adult(claim_id: str, day: str, **kw) -> dict:
    return {"claim_id": claim_id, "patient_id": kw.pop("patient_id", "a"), "birth_date": kw.pop("birth", "1980-06-15"),
            "session_date": day, "kind": "individual", "network": "adults", "care": "first_line", **kw}


def monthly(n: int, start_month: int = 1, year: int = 2024, **kw) -> list[dict]:
    return [adult(f"c{i:02d}", f"{year + (start_month + i - 1) // 12}-{(start_month + i - 1) % 12 + 1:02d}-05", **kw)
            for i in range(n)]


def test_first_individual_session_free_then_eleven_and_ninth_refused(run):
    out = run(monthly(9))
    assert list(out["patient_copay"]) == [0.0] + [11.0] * 7 + [0.0]
    assert out.loc["c00", "rule"] == "first_individual_free"
    assert out.loc["c00", "care_path_fee"] == 60.0 and out.loc["c01", "care_path_fee"] == 0.0
    assert out.loc["c08", "reason"] == "quota_exhausted" and not out.loc["c08", "covered"]
    assert (out.loc["c01":"c07", "insurer_amount"] == 81.74 - 11.0).all()


def test_increased_reimbursement_pays_four(run):
    out = run(monthly(2, increased_reimbursement=True))
    assert list(out["patient_copay"]) == [0.0, 4.0]


def test_fee_changes_on_2023_01_01(run):
    out = run([adult("a1", "2022-12-31"), adult("a2", "2023-01-01")])
    assert list(out["provider_fee"]) == [75.0, 81.74]


def test_free_youth_care_from_2024_02_01(run):
    rows = [adult("y1", "2024-01-02", birth="2004-01-01"), adult("y2", "2024-01-31", birth="2004-01-01"),
            adult("y3", "2024-02-01", birth="2004-01-01")]
    out = run(rows)
    assert list(out["patient_copay"]) == [0.0, 11.0, 0.0]
    assert out.loc["y3", "rule"] == "youth_free"


def test_turning_24_ends_the_children_network_and_free_care(run):
    birth = "2000-03-15"
    rows = [dict(adult("k1", "2024-03-14", birth=birth), network="children"),
            dict(adult("k2", "2024-03-15", birth=birth, patient_id="b"), network="children"),
            adult("k3", "2024-03-15", birth=birth, patient_id="c"), adult("k4", "2024-04-15", birth=birth, patient_id="c")]
    out = run(rows)
    assert out.loc["k1", "covered"] and out.loc["k1", "rule"] == "youth_free"
    assert out.loc["k2", "reason"] == "age_not_eligible"
    assert out.loc["k4", "patient_copay"] == 11.0


def test_fourteen_year_old_is_not_eligible_in_adult_network(run):
    out = run([adult("t1", "2024-03-14", birth="2010-01-01")])
    assert out.loc["t1", "reason"] == "age_not_eligible"


def test_session_on_the_anniversary_opens_a_new_period(run):
    rows = [adult("p1", "2022-03-10"), adult("p2", "2023-03-09"), adult("p3", "2023-03-10")]
    out = run(rows)
    assert list(out["period_start"].astype(str)) == ["2022-03-10", "2022-03-10", "2023-03-10"]
    assert list(out["patient_copay"]) == [0.0, 11.0, 0.0]
    assert list(out["care_path_fee"]) == [60.0, 0.0, 60.0]


def test_refused_session_uses_no_quota_and_bundles_exclude_other_categories(run):
    rows = [adult("s1", "2024-01-05", care="specialised"), adult("s2", "2024-01-12"),
            adult("s3", "2024-01-19", care="specialised"),
            dict(adult("s4", "2024-01-26"), kind="group", group_id="g", care="first_line")]
    out = run(rows)
    assert out.loc["s1", "bundle"] == "sp"
    assert out.loc["s2", "reason"] == "combination_not_allowed"  # no bundle holds first-line with specialised individual
    assert out.loc["s3", "covered"] and out.loc["s4", "bundle"] == "sp_fl"


def test_first_line_total_cap_of_thirteen_for_adults(run):
    rows = [adult(f"i{i}", f"2024-01-{i + 1:02d}") for i in range(8)]
    rows += [dict(adult(f"g{i}", f"2024-02-{i + 1:02d}"), kind="group", group_id=f"g{i}") for i in range(6)]
    out = run(rows)
    assert out["covered"].sum() == 13
    assert out.loc["g5", "reason"] == "quota_exhausted"


def test_one_session_per_day_keeps_the_first_claim_id(run):
    out = run([adult("b", "2024-01-05"), adult("a", "2024-01-05")])
    assert out.loc["a", "covered"] and out.loc["b", "reason"] == "one_session_per_day"


def test_one_network_type_per_period(run):
    birth = "2005-01-01"
    rows = [dict(adult("n1", "2023-01-10", birth=birth), network="children"),
            adult("n2", "2023-02-10", birth=birth), adult("n3", "2024-01-10", birth=birth)]
    out = run(rows)
    assert out.loc["n2", "reason"] == "network_switch"
    assert out.loc["n3", "covered"] and str(out.loc["n3", "period_start"].date()) == "2024-01-10"


def test_group_fee_shared_to_the_cent_among_covered_participants(run):
    kids = [{"claim_id": f"g{i}", "patient_id": f"k{i}", "birth_date": "2012-01-01", "session_date": "2023-03-01",
             "kind": "group", "network": "children", "care": "first_line", "group_id": "G1", "co_lead": "other"}
            for i in range(4)]
    kids[3]["birth_date"] = "1990-01-01"  # too old for the children network: refused, not sharing
    out = run(kids)
    shares = out.loc[["g0", "g1", "g2"], "provider_fee"]
    assert round(shares.sum(), 2) == round(217.99 + 137.34, 2)
    assert list(shares) == [118.45, 118.44, 118.44]
    assert out.loc["g3", "reason"] == "age_not_eligible" and out.loc["g3", "provider_fee"] == 0
    assert (out.loc[["g0", "g1", "g2"], "patient_copay"] == 2.5).all()


def test_group_without_co_lead_is_paid_the_lead_fee_only(run):
    rows = [dict(adult("g1", "2022-05-05"), kind="group", group_id="G"),
            dict(adult("g2", "2022-05-05", patient_id="z"), kind="group", group_id="G")]
    out = run(rows)
    assert list(out["provider_fee"]) == [100.0, 100.0]


def test_clb_settings_drop_the_co_payment(run):
    rows = [adult("c1", "2023-01-05", setting="clb_employed"), adult("c2", "2023-02-05", setting="clb_location"),
            adult("c3", "2023-03-05")]
    out = run(rows)
    assert list(out["rule"]) == ["clb_employed", "clb_location", "individual"]
    assert list(out["patient_copay"]) == [0.0, 0.0, 11.0]


def test_group_session_without_group_id_is_kept_as_invalid(run):
    out = run([dict(adult("x", "2023-01-05"), kind="group")])
    assert out.loc["x", "reason"].startswith("invalid: group_id")
    assert not out.loc["x", "covered"]


def cm(claim_id: str, day: str, fee: float, **kw) -> dict:
    return {"claim_id": claim_id, "patient_id": kw.pop("patient_id", "m"), "birth_date": kw.pop("birth", "1980-01-01"),
            "session_date": day, "kind": "individual", "mutuality": kw.pop("mutuality", "cm"),
            "provider": kw.pop("provider", "psychotherapist"), "fee_charged": fee, **kw}


def test_cm_adult_amounts_change_on_2023_01_01(run):
    rows = [cm("m1", "2022-12-31", 60.0), cm("m2", "2023-01-01", 60.0),
            cm("m3", "2023-01-01", 60.0, patient_id="bim", increased_reimbursement=True),
            cm("m4", "2023-01-01", 9.99, patient_id="cheap")]
    out = run(rows)
    assert list(out["supplement_amount"]) == [10.0, 10.0, 15.0, 9.99]
    assert out.loc["m2", "patient_pays"] == 50.0 and out.loc["m2", "insurer_amount"] == 0.0


def test_cm_youth_percentage_with_cap(run):
    rows = [cm("y1", "2023-05-01", 50.0, birth="2005-01-01"), cm("y2", "2023-06-01", 80.0, birth="2005-01-01"),
            cm("y3", "2023-06-01", 80.0, birth="2005-01-01", patient_id="b", increased_reimbursement=True)]
    out = run(rows)
    assert list(out["supplement_amount"]) == [25.0, 30.0, 45.0]


def test_cm_youth_status_fixed_at_treatment_start_until_a_gap_of_more_than_three_months(run):
    birth = "1998-07-01"  # 25 on 2023-07-01
    rows = [cm("t1", "2023-06-01", 80.0, birth=birth), cm("t2", "2023-08-01", 80.0, birth=birth),
            cm("t3", "2023-11-01", 80.0, birth=birth), cm("t4", "2024-02-02", 80.0, birth=birth)]
    out = run(rows)
    assert list(out["rule"]) == ["youth", "youth", "youth", "adult"]


def test_cm_lifetime_cap_counts_earlier_sessions(run):
    rows = [cm("l1", "2023-01-05", 70.0, earlier_sessions=23), cm("l2", "2023-01-12", 70.0, earlier_sessions=23)]
    out = run(rows)
    assert out.loc["l1", "covered"] and out.loc["l2", "reason"] == "lifetime_cap_reached"
    assert out.loc["l2", "patient_pays"] == 70.0


def test_cm_recognises_clinical_sexologists_from_2023(run):
    rows = [cm("s1", "2022-12-30", 70.0, provider="clinical_sexologist"),
            cm("s2", "2023-01-02", 70.0, provider="clinical_sexologist")]
    out = run(rows)
    assert out.loc["s1", "reason"] == "provider_not_recognised" and out.loc["s2", "covered"]


def test_cm_one_benefit_per_day_and_none_for_convention_sessions(run):
    rows = [cm("d1", "2023-03-01", 70.0), cm("d2", "2023-03-01", 70.0),
            adult("d3", "2023-03-02", patient_id="m", mutuality="cm")]
    out = run(rows)
    assert out.loc["d2", "reason"] == "one_session_per_day"
    assert out.loc["d3", "scheme"] == "riziv-psy-2021" and out.loc["d3", "supplement_amount"] == 0.0


def test_other_mutuality_has_no_scheme(run):
    out = run([cm("o1", "2023-03-01", 70.0, mutuality="other")])
    assert out.loc["o1", "reason"] == "no_scheme" and out.loc["o1", "patient_pays"] == 70.0


@pytest.mark.parametrize(("second", "found"), [
    ({"co_lead": "other"}, "several co_leads"),
    ({"session_date": "2024-02-06"}, "several session_dates"),
    ({"session_date": "2024-02-06", "co_lead": "doctor"}, "several session_dates and co_leads"),
])
def test_group_whose_rows_disagree_names_what_disagrees_and_other_groups_go_on(run, second, found):
    rows = [dict(adult("a", "2024-02-05"), kind="group", group_id="G1"),
            dict(adult("b", "2024-02-05", patient_id="q"), kind="group", group_id="G1", **second),
            dict(adult("c", "2024-02-05", patient_id="r"), kind="group", group_id="G2")]
    out = run(rows)
    message = f"invalid: group_id: expected one session_date and one co_lead for group 'G1', found {found}"
    assert list(out["reason"]) == [message, message, ""]
    assert list(out["covered"]) == [False, False, True]
