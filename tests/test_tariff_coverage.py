"""Every session a convention may cover finds a tariff row: validate refuses a folder where one does not.

The evaluators can then never meet such a session; on a folder that was not validated they stop
with the same problem instead of pricing the session at 0.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from claims_factory import claims_frame

from carepolicy.cli import main
from engine.errors import PolicyError
from engine.evaluate.reference import evaluate_reference
from engine.evaluate.vectorized import evaluate_vectorized
from engine.policy.policies import load_policies

CONVENTION = "riziv-psy-2021.json"
WHERE = "policy/riziv-psy-2021.json: /tariff/rows: expected a tariff row for every session the convention may cover, found none for "


def edit_rows(folder: Path, change) -> None:
    path = folder / CONVENTION
    doc = json.loads(path.read_text(encoding="utf-8"))
    change(doc["tariff"]["rows"])
    path.write_text(json.dumps(doc, indent=2), encoding="utf-8")


def no_other_leader(rows: list) -> None:
    other = next(r for r in rows if r["id"] == "group_other")
    other["when"]["all"][1] = {"field": "leader", "op": "==", "value": "doctor"}


def adults_only(rows: list) -> None:
    rows[0]["when"]["all"].append({"field": "age", "op": ">=", "value": 18})


def until_2023(rows: list) -> None:
    rows[0]["when"]["all"].append({"field": "session_date", "op": "<", "value": "2023-01-01"})
    rows.append({**rows[0], "id": "later", "when": {"all": [{"field": "kind", "op": "==", "value": "individual"},
                                                            {"field": "session_date", "op": ">", "value": "2023-01-01"}]}})


def age_from_2022(rows: list) -> None:
    rows[0]["when"]["all"].append({"field": "age", "op": ">=", "value": {"unit": "years", "history": [
        {"from": "2021-09-01", "value": None, "source": "seed-002", "status": "assumed"},
        {"from": "2022-01-01", "value": 0, "source": "seed-002", "status": "assumed"}]}})


@pytest.fixture
def folder(policy_copy: Path, monkeypatch) -> Path:
    monkeypatch.chdir(policy_copy.parent)
    return policy_copy


@pytest.mark.parametrize(("change", "gap"), [
    (no_other_leader, "kind group, leader other on 2021-09-01"),
    (adults_only, "age 0, kind individual, leader psychologist on 2021-09-01"),
    (until_2023, "kind individual, leader psychologist on 2023-01-01"),
    (age_from_2022, "age 0, kind individual, leader psychologist on 2021-09-01"),
], ids=["no-row-for-a-co-lead", "no-row-for-children", "a-day-between-two-rows", "a-threshold-not-yet-in-force"])
def test_validate_refuses_tariff_rows_that_leave_a_covered_session_unpriced(folder, capsys, change, gap):
    edit_rows(folder, change)
    assert main(["validate", "policy"]) == 2
    _, err = capsys.readouterr()
    assert err.splitlines()[0] == WHERE + gap


def test_the_bundled_rows_price_every_covered_session(folder, capsys):
    assert main(["validate", "policy"]) == 0


GROUP = [{"claim_id": f"g{i}", "patient_id": f"p{i}", "birth_date": "1990-01-01", "session_date": "2022-03-01",
          "kind": "group", "network": "adults", "care": "first_line", "group_id": "G1", "co_lead": "other"} for i in range(2)]


def test_the_evaluators_refuse_an_unpriced_session_instead_of_pricing_it_at_zero(folder):
    edit_rows(folder, no_other_leader)
    policies, frame = load_policies(folder), claims_frame(GROUP)
    for evaluate in (evaluate_reference, evaluate_vectorized):
        with pytest.raises(PolicyError) as err:
            evaluate(frame, policies)
        assert str(err.value.problems[0]) == WHERE + "kind group, leader other on 2022-03-01"


def test_evaluate_names_the_unpriced_session_and_writes_nothing(folder, capsys):
    edit_rows(folder, no_other_leader)
    claims = folder.parent / "claims.csv"
    claims.write_text("claim_id,patient_id,birth_date,session_date,kind,network,care,group_id,co_lead\n"
                      "g0,p0,1990-01-01,2022-03-01,group,adults,first_line,G1,other\n", encoding="utf-8")
    assert main(["evaluate", str(claims), "-o", "out.csv", "--policy", "policy"]) == 2
    _, err = capsys.readouterr()
    assert WHERE + "kind group, leader other on 2022-03-01" in err and "Traceback" not in err
    assert not (folder.parent / "out.csv").exists()
