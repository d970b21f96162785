"""The registry of condition fields: the schema agrees with it, validate enforces it, every evaluator reads it."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from claims_factory import claims_frame
from test_differential import same

from carepolicy.cli import main
from engine.errors import ResolveError
from engine.evaluate import lookups
from engine.evaluate.reference import evaluate_reference
from engine.evaluate.vectorized import evaluate_vectorized
from engine.policy.fields import FIELDS, RULE_KINDS
from engine.policy.files import PACKAGE_ROOT
from engine.policy.policies import load_policies

SCHEMA = PACKAGE_ROOT / "policy" / "schema" / "policy-1.0.schema.json"
CONVENTION = "riziv-psy-2021.json"


def test_the_schema_lists_exactly_the_fields_of_the_registry():
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    assert sorted(schema["$defs"]["condition_leaf"]["properties"]["field"]["enum"]) == sorted(FIELDS)
    assert {f for kind in RULE_KINDS.values() for f in kind.fields} == set(FIELDS)


def test_every_field_says_where_its_value_comes_from():
    for field in FIELDS.values():
        assert bool(field.column) != bool(field.derived), field.name
        assert field.type in ("text", "number", "flag", "date") and field.meaning


def edit(path: Path, change) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(json.dumps(data, indent=2), encoding="utf-8")


def first_copay_rule_on(field: str, op: str, value):
    def change(doc):
        doc["copayment"]["rules"].insert(0, {
            "id": "on_field", "label": "a rule on another field", "when": {"field": field, "op": op, "value": value},
            "amount": {"unit": "EUR", "history": [{"from": "2021-09-01", "value": 1.0, "source": "seed-002",
                                                   "status": "assumed"}]}})
    return change


def validate_lines(folder: Path, capsys) -> tuple[int, list[str]]:
    code = main(["validate", str(folder)])
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, err.splitlines()[:-1]


def refused_lines(folder: Path, file: str, change, capsys) -> list[str]:
    """What validate says of the folder (a relative path) once `change` is made to one of its files; it must refuse."""
    edit(folder / file, change)
    code, lines = validate_lines(folder, capsys)
    assert code == 2
    return lines


def test_validate_refuses_a_field_the_rule_kind_does_not_provide(policy_copy, capsys, monkeypatch):
    monkeypatch.chdir(policy_copy.parent)
    edit(policy_copy / CONVENTION, first_copay_rule_on("provider", "==", "coach"))
    code, lines = validate_lines(Path("policy"), capsys)
    assert code == 2
    assert lines == [
        "policy/riziv-psy-2021.json: /copayment/rules/0/when/field: expected a field that a co-payment rule provides "
        "(kind, network, care, setting, increased_reimbursement, session_date, age, first_individual_of_period), "
        "found 'provider'"]


def test_validate_refuses_a_youth_condition_on_a_session_field(policy_copy, capsys, monkeypatch):
    monkeypatch.chdir(policy_copy.parent)
    edit(policy_copy / "cm-psychotherapy.json", lambda d: d["youth"].update(when={"all": [
        {"field": "age", "op": "<", "value": 18}]}))
    code, lines = validate_lines(Path("policy"), capsys)
    assert code == 2
    assert lines == ["policy/cm-psychotherapy.json: /youth/when/all/0/field: expected a field that a youth condition "
                     "provides (age_at_treatment_start), found 'age'"]


@pytest.mark.parametrize(("field", "op", "value", "message"), [
    ("care", "==", "first", "expected one of first_line, specialised (the care_types the file declares) for care, found "
     "'first' — did you mean 'first_line'?"),
    ("age", "<=", "23", "expected a number for age, found '23'"),
    ("increased_reimbursement", "==", "yes", "expected a flag for increased_reimbursement, found 'yes'"),
    ("session_date", ">=", "2024-13-01", "expected a date YYYY-MM-DD for session_date, found '2024-13-01'"),
    ("kind", "in", "group", 'expected a non-empty list of values for \'in\', found a string "group"'),
    ("kind", "<", "group", "expected == or != (or in, not_in) for the text kind, found '<'"),
])
def test_validate_refuses_a_value_of_the_wrong_type(policy_copy, capsys, monkeypatch, field, op, value, message):
    monkeypatch.chdir(policy_copy.parent)
    edit(policy_copy / CONVENTION, first_copay_rule_on(field, op, value))
    code, lines = validate_lines(Path("policy"), capsys)
    assert code == 2
    assert lines == [f"policy/riziv-psy-2021.json: /copayment/rules/0/when/value: {message}"]


def test_a_copayment_rule_on_care_is_answered_everywhere(policy_copy):
    edit(policy_copy / CONVENTION, first_copay_rule_on("care", "==", "first_line"))
    policies = load_policies(policy_copy)
    day = __import__("datetime").date(2024, 6, 1)
    with pytest.raises(ResolveError, match=r"^riziv-psy-2021: co-payment rule 'on_field' reads care \(the care type "
                       r"of a convention session\), which this question was not given: give care$"):
        lookups.copay(policies, 40, "individual", day)
    assert lookups.copay(policies, 40, "individual", day, care="first_line").rule == "on_field"
    assert lookups.copay(policies, 40, "individual", day, care="specialised").rule == "individual"
    frame = claims_frame([
        {"claim_id": f"c{i}{k}", "patient_id": f"p{i}", "birth_date": "1980-01-01", "session_date": f"2024-0{k + 1}-01",
         "kind": "individual", "network": "adults", "care": care}
        for i, care in enumerate(["first_line", "specialised"]) for k in range(2)])
    ref, _ = evaluate_reference(frame, policies)
    assert list(ref["rule"]) == ["on_field", "on_field", "first_individual_free", "individual"]
    assert list(ref["patient_copay"]) == [1.0, 1.0, 0.0, 11.0]
    same(ref, evaluate_vectorized(frame, policies))


def test_a_benefit_on_provider_evaluates_and_explains(policy_copy, tmp_path, capsys):
    def change(doc):
        doc["benefits"][1]["when"] = {"all": [doc["benefits"][1]["when"],
                                              {"field": "provider", "op": "==", "value": "clinical_sexologist"}]}
    edit(policy_copy / "cm-psychotherapy.json", change)
    policies = load_policies(policy_copy)
    rows = [{"claim_id": f"s{i}", "patient_id": f"p{i}", "birth_date": "2010-01-01", "session_date": "2023-03-01",
             "kind": "individual", "mutuality": "cm", "provider": provider, "fee_charged": 60.0}
            for i, provider in enumerate(["psychotherapist", "clinical_sexologist"])]
    frame = claims_frame(rows)
    ref, _ = evaluate_reference(frame, policies)
    same(ref, evaluate_vectorized(frame, policies))
    assert list(ref["rule"]) == ["adult", "youth"]
    claims = tmp_path / "c.csv"
    claims.write_text("claim_id,patient_id,birth_date,session_date,kind,mutuality,provider,fee_charged\n"
                      + "".join(f"{r['claim_id']},{r['patient_id']},{r['birth_date']},{r['session_date']},individual,cm,"
                                f"{r['provider']},60\n" for r in rows))
    assert main(["explain", str(claims), "s1", "--policy", str(policy_copy)]) == 0
    assert "benefit rule 'youth'" in capsys.readouterr().out
    assert main(["evaluate", str(claims), "-o", str(tmp_path / "r.csv"), "--policy", str(policy_copy)]) == 0


def test_who_leads_is_read_from_the_convention(policy_copy):
    """A group's lead is the convention's tariff.lead: set to other, the lead's fee comes from the row for other."""
    group = [{"claim_id": f"c{i}", "patient_id": f"p{i}", "birth_date": "1990-01-01", "session_date": "2024-06-03",
              "kind": "group", "network": "adults", "care": "first_line", "group_id": "g", "co_lead": "psychologist"}
             for i in (1, 2)]
    before = evaluate_reference(claims_frame(group), load_policies(policy_copy))[0]
    path = policy_copy / "riziv-psy-2021.json"
    doc = json.loads(path.read_text(encoding="utf-8"))
    doc["tariff"]["lead"] = "other"
    path.write_text(json.dumps(doc), encoding="utf-8")
    policies = load_policies(policy_copy)
    assert lookups.convention_on(policies, dt.date(2024, 6, 3)).lead == "other"
    after, _ = evaluate_reference(claims_frame(group), policies)
    assert list(before["tariff_row"]) == ["group_clinical"] * 2 and list(after["tariff_row"]) == ["group_other"] * 2
    same(after, evaluate_vectorized(claims_frame(group), policies))
