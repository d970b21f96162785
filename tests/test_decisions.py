"""The evaluators' decisions as result columns, the two quota reasons, the group explanation, and versions taking over."""

from __future__ import annotations

import datetime as dt
import json

from claims_factory import claims_frame
from policy_folders import add_version
from test_differential import same

from engine.evaluate.explain import explain
from engine.evaluate.reference import evaluate_reference
from engine.evaluate.vectorized import evaluate_vectorized
from engine.policy.policies import load_policies


def adult(claim_id: str, day: str, care: str = "first_line", kind: str = "individual", **more) -> dict:
    return {"claim_id": claim_id, "patient_id": more.pop("patient", "p"), "birth_date": "1980-01-01",
            "session_date": day, "kind": kind, "network": "adults", "care": care, **more}


def both(frame, policies):
    ref, outcomes = evaluate_reference(frame, policies)
    same(ref, evaluate_vectorized(frame, policies))
    return ref.set_index("claim_id"), outcomes


def steps_of(frame, policies, claim_id: str) -> list[str]:
    return explain(frame, claim_id, policies).text.splitlines()


def test_decisions_are_result_columns(policies):
    rows = [adult("i1", "2024-03-01"), adult("i2", "2024-03-08", increased_reimbursement=True),
            adult("g1", "2024-03-15", kind="group", group_id="G", co_lead="doctor"),
            adult("g2", "2024-03-15", kind="group", group_id="G", co_lead="doctor", patient="q"),
            {"claim_id": "m1", "patient_id": "r", "birth_date": "1980-01-01", "session_date": "2024-03-01",
             "kind": "individual", "mutuality": "cm", "provider": "psychotherapist", "fee_charged": 60.0}]
    out, _ = both(claims_frame(rows), policies)
    columns = ["scheme", "version", "bundle", "tariff_row", "co_lead_tariff_row", "copayment_rule", "benefit_rule", "rule"]
    assert out[columns].to_dict("index") == {
        "i1": dict(zip(columns, ["riziv-psy-2021", "2021-09-01", "fl", "individual", "", "first_individual_free", "",
                                 "first_individual_free"], strict=True)),
        "i2": dict(zip(columns, ["riziv-psy-2021", "2021-09-01", "fl", "individual", "", "individual_increased", "",
                                 "individual_increased"], strict=True)),
        "g1": dict(zip(columns, ["riziv-psy-2021", "2021-09-01", "fl", "group_clinical", "group_clinical", "group", "",
                                 "group"], strict=True)),
        "g2": dict(zip(columns, ["riziv-psy-2021", "2021-09-01", "fl", "group_clinical", "group_clinical", "group", "",
                                 "group"], strict=True)),
        "m1": dict(zip(columns, ["cm-psychotherapy", "2022-01-01", "", "", "", "", "adult", "adult"], strict=True)),
    }


def test_a_full_bundle_is_quota_exhausted_and_a_mix_no_bundle_holds_is_not_allowed(policies):
    rows = [adult(f"a{i}", (dt.date(2024, 1, 1) + dt.timedelta(days=7 * i)).isoformat()) for i in range(9)]
    rows += [adult("s1", "2024-04-01", care="specialised", patient="q"),
             adult("f1", "2024-03-01", patient="q")]
    frame = claims_frame(rows)
    out, _ = both(frame, policies)
    assert list(out["reason"]) == [""] * 8 + ["quota_exhausted", "combination_not_allowed", ""]
    assert ("  - no room left: the adults bundles that allow first_line_individual are full: 'fl' (first line) used "
            "first_line_individual 8 of 8, 8 of 13 in all; 'fl_sp' (first line + specialised) used first_line_individual "
            "8 of 8") in steps_of(frame, policies, "a8")
    assert ("  - no bundle of the adults network type allows first_line_individual with specialised_individual in one "
            "period (bundles possible for the period before this session: 'fl' (first line), 'fl_sp' (first line + "
            "specialised))") in steps_of(frame, policies, "s1")
    assert ("  - bundle 'fl' (first line) has room: used first_line_individual 2 of 8, 2 of 13 in all before this "
            "session") in steps_of(frame, policies, "a2")


def test_a_category_no_bundle_holds_alone_is_not_allowed(policy_copy):
    path = policy_copy / "riziv-psy-2021.json"
    doc = json.loads(path.read_text(encoding="utf-8"))
    for bundle in doc["quota"]["networks"]["adults"]["bundles"]:
        bundle["caps"].pop("specialised_group", None)
    path.write_text(json.dumps(doc), encoding="utf-8")
    policies = load_policies(policy_copy)
    frame = claims_frame([adult("g", "2024-03-01", care="specialised", kind="group", group_id="G")])
    out, _ = both(frame, policies)
    assert out.loc["g", "reason"] == "combination_not_allowed"
    assert ("  - no bundle of the adults network type allows specialised_group in one period (bundles possible for the "
            "period before this session: 'fl' (first line), 'fl_sp' (first line + specialised), 'sp' (specialised), "
            "'sp_fl' (specialised + first line))") in steps_of(frame, policies, "g")


def test_group_explain_names_the_lead_and_the_co_lead_with_fee_and_share(policies):
    rows = [adult(f"g{i}", "2024-03-15", kind="group", group_id="G", co_lead="other", patient=f"p{i}") for i in range(3)]
    frame = claims_frame(rows)
    lines = steps_of(frame, policies, "g0")
    assert ("  - lead (psychologist): tariff 'group_clinical' (group session, led by a clinical psychologist/orthopedagogue "
            "or a doctor (90-120 min)), fee EUR 217.99") in lines
    assert ("  - co-lead (other): tariff 'group_other' (group session, co-led by another care provider or an experience "
            "expert), fee EUR 137.34") in lines
    assert ("  - group fee EUR 355.33 (lead EUR 217.99 + co-lead EUR 137.34) shared by 3 covered participants: this "
            "participant's share EUR 118.45 (EUR 72.67 of the lead's fee, EUR 45.78 of the co-lead's)") in lines


def test_a_new_version_takes_over_from_its_first_day_and_opens_a_new_period(policy_copy):
    add_version(policy_copy, "2027-04-01", fee=90.0, months=6)
    policies = load_policies(policy_copy)
    days = ["2027-01-04", "2027-03-31", "2027-04-01", "2027-06-01", "2027-10-01"]
    frame = claims_frame([adult(f"c{i}", d) for i, d in enumerate(days)])
    out, _ = both(frame, policies)
    assert list(out["scheme"]) == ["riziv-psy-2021"] * 2 + ["riziv-psy-2027-04-01"] * 3
    assert list(out["version"]) == ["2021-09-01"] * 2 + ["2027-04-01"] * 3
    assert list(out["provider_fee"]) == [81.74, 81.74, 90.0, 90.0, 90.0]
    # the 2021 period of 2027-01-04 ends at the change; the new version's 6-month period starts on 2027-04-01
    assert [str(d.date()) for d in out["period_start"]] == ["2027-01-04"] * 2 + ["2027-04-01"] * 2 + ["2027-10-01"]
    assert list(out["care_path_fee"] > 0) == [True, False, True, False, True]
    assert list(out["rule"]) == ["first_individual_free", "individual", "first_individual_free", "individual",
                                 "first_individual_free"]
