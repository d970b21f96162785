"""The runner for analyst-written cases: every case of every file in policy/cases/ is one pytest item.

A case file that does not validate becomes one failing item listing its problems, so that a
mistake in a case file is reported as clearly as one in a policy file.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from claims_factory import claims_frame
from conftest import POLICY_DIR

from carepolicy.cli import main
from engine.claims.contract import CHOICES, OPTIONAL, REQUIRED, RESULT_COLUMNS
from engine.dates import parse_date
from engine.errors import CarePolicyError
from engine.evaluate.lookups import copay, fee, quota
from engine.evaluate.reference import evaluate_reference
from engine.evaluate.vectorized import evaluate_vectorized
from engine.policy.files import check_file, source_keys_for
from engine.policy.schema_messages import found

CASES = POLICY_DIR / "cases"
SCHEMA = POLICY_DIR / "schema" / "case-1.0.schema.json"
QUESTIONS = {"fee": fee, "copay": copay, "quota": quota}
MONEY = ["provider_fee", "patient_copay", "insurer_amount", "care_path_fee", "supplement_amount", "patient_pays"]
EVALUATORS = {"reference": lambda frame, p: evaluate_reference(frame, p)[0], "vectorized": evaluate_vectorized}


def discover(folder: Path) -> list:
    """One pytest parameter per case, or one per case file that does not validate."""
    keys = source_keys_for(folder.parent)
    params = []
    for path in sorted(folder.glob("*.json")):
        data, problems = check_file(path, keys)
        if problems or data.get("kind") != "cases":
            lines = [str(p) for p in problems] or [f"{path.name}: /kind: expected \"cases\", found {found(data.get('kind'))}"]
            params.append(pytest.param(path, None, "\n".join(lines), id=f"{path.name}::invalid"))
            continue
        params += [pytest.param(path, case, "", id=f"{path.name}::{case['id']}") for case in data["cases"]]
    return params


@pytest.mark.parametrize(("path", "case", "problems"), discover(CASES))
def test_case(policies, path: Path, case: dict | None, problems: str):
    if case is None:
        pytest.fail(f"case file does not validate:\n{problems}", pytrace=False)
    failures = RUNNERS[case["kind"]](policies, case)
    if failures:
        pytest.fail(f"{path.name}::{case['id']}: " + "; ".join(failures), pytrace=False)


def run_value(policies, case: dict) -> list[str]:
    """A parameter on a date: value, unit, source and status as given, or the refusal."""
    expected = case["expected"]
    try:
        resolved = policies.value_at(case["path"], parse_date(case["date"]))
    except CarePolicyError as exc:
        return refused(expected, exc)
    if "error" in expected:
        return [f"expected a refusal containing {expected['error']!r}, found {resolved.describe()}"]
    return compare(expected, {"value": resolved.value, "unit": resolved.unit, "source": resolved.source,
                              "status": resolved.status})


def run_lookup(policies, case: dict) -> list[str]:
    """A fee, co-payment or quota question on a date, answered by engine.evaluate.lookups."""
    expected = case["expected"]
    try:
        answer = QUESTIONS[case["question"]](policies, day=parse_date(case["date"]), **case["inputs"])
    except CarePolicyError as exc:
        return refused(expected, exc)
    if "error" in expected:
        return [f"expected a refusal containing {expected['error']!r}, found {answer}"]
    if case["question"] == "quota":
        return compare(expected, {"caps": dict(answer)})
    return compare(expected, {"value": answer.value, "rule": answer.rule, "source": answer.source,
                              "status": answer.status})


def run_claims(policies, case: dict) -> list[str]:
    """A claims table through both evaluators; each must give the expected columns per claim_id."""
    ids = [row["claim_id"] for row in case["claims"]]
    problems = [f"claim_id {i!r} appears twice in claims" for i in sorted({i for i in ids if ids.count(i) > 1})]
    problems += [f"expected names claim_id {i!r}, which is not in claims" for i in case["expected"] if i not in ids]
    if problems:
        return problems
    frame = claims_frame(case["claims"])
    failures = []
    for name, evaluate in EVALUATORS.items():
        out = evaluate(frame, policies).set_index("claim_id")
        for claim_id, columns in case["expected"].items():
            actual = {col: cell(out.loc[claim_id, col], col) for col in columns}
            failures += [f"{name}: claim {claim_id}: {m}" for m in compare(columns, actual)]
    return failures


RUNNERS = {"value": run_value, "lookup": run_lookup, "claims": run_claims}


def cell(value, column: str):
    """A result cell as the case file writes it: cents compared exactly, dates as text, NaT as null."""
    if column == "period_start":
        return None if pd.isna(value) else str(pd.Timestamp(value).date())
    if column in MONEY:
        return round(float(value) * 100)
    if column == "covered":
        return bool(value)
    return str(value)


def compare(expected: dict, actual: dict) -> list[str]:
    """One line per expected key whose actual value differs (money in cents, a boolean only equals a boolean)."""
    failures = []
    for key, want in expected.items():
        got = actual[key]
        if key in MONEY:
            want = round(want * 100)
        if got != want or type(got) is bool and type(want) is not bool:
            failures.append(f"{key}: expected {show(key, want)}, found {show(key, got)}")
    return failures


def show(key: str, value) -> str:
    return f"{value / 100:.2f}" if key in MONEY else json.dumps(value)


def refused(expected: dict, exc: CarePolicyError) -> list[str]:
    if "error" not in expected:
        return [f"expected {json.dumps(expected)}, found the refusal {str(exc)!r}"]
    return [] if expected["error"] in str(exc) else [f"expected a refusal containing {expected['error']!r}, found {str(exc)!r}"]


# -- the runner itself ---------------------------------------------------------------------------


def test_claim_row_columns_follow_the_claims_contract():
    defs = json.loads(SCHEMA.read_text(encoding="utf-8"))["$defs"]
    row, result = defs["claim_row"], defs["claim_result"]
    assert list(row["properties"]) == [*REQUIRED, *OPTIONAL]
    assert row["required"] == REQUIRED
    for column, allowed in CHOICES.items():
        if column in row["properties"]:
            assert {v for v in row["properties"][column]["enum"] if v} == set(allowed), column
    assert list(result["properties"]) == RESULT_COLUMNS[1:]


def test_every_kind_of_case_is_bundled():
    kinds = {(c["kind"], c.get("question")) for p in CASES.glob("*.json") for c in json.loads(p.read_text())["cases"]}
    assert {"value", "lookup", "claims"} <= {k for k, _ in kinds}
    assert {"fee", "copay", "quota"} <= {q for _, q in kinds if q}


def write(folder: Path, cases: list[dict]) -> Path:
    folder.mkdir(exist_ok=True)
    path = folder / "pinned.json"
    path.write_text(json.dumps({"$schema": "../schema/case-1.0.schema.json", "id": "pinned", "kind": "cases",
                                "title": "t", "cases": cases}), encoding="utf-8")
    return path


FEE_CASE = {"id": "fee", "kind": "value", "path": "riziv-psy-2021.tariff.rows.individual.fee", "date": "2022-06-01",
            "expected": {"value": 75.0}}


def test_a_wrong_expectation_fails_with_what_was_found(policies):
    case = {**FEE_CASE, "expected": {"value": 76.0, "source": "seed-002"}}
    assert run_value(policies, case) == ["value: expected 76.0, found 75.0", 'source: expected "seed-002", found "seed-004"']
    lookup = {"id": "l", "kind": "lookup", "question": "copay", "date": "2024-06-01",
              "inputs": {"age": 40, "kind": "individual"}, "expected": {"value": 4.0, "rule": "individual_increased"}}
    assert run_lookup(policies, lookup) == ["value: expected 4.0, found 11.0",
                                            'rule: expected "individual_increased", found "individual"']


def test_a_wrong_claims_expectation_fails_on_both_evaluators(policies):
    row = {"claim_id": "c1", "patient_id": "a", "birth_date": "1980-01-01", "session_date": "2024-01-05",
           "kind": "individual", "network": "adults", "care": "first_line"}
    case = {"id": "c", "kind": "claims", "claims": [row], "expected": {"c1": {"patient_copay": 11.0, "covered": True}}}
    assert run_claims(policies, case) == [f"{e}: claim c1: patient_copay: expected 11.00, found 0.00" for e in EVALUATORS]
    bad = {**case, "claims": [row, row], "expected": {"c9": {"covered": True}}}
    assert run_claims(policies, bad) == ["claim_id 'c1' appears twice in claims",
                                         "expected names claim_id 'c9', which is not in claims"]


def test_a_refusal_that_was_not_expected_fails(policies):
    case = {**FEE_CASE, "date": "2021-01-01"}
    assert run_value(policies, case)[0].startswith('expected {"value": 75.0}, found the refusal ')
    assert run_value(policies, {**FEE_CASE, "expected": {"error": "no value"}})[0].startswith(
        "expected a refusal containing 'no value', found riziv-psy-2021.tariff.rows.individual.fee = EUR 75.00")


def test_a_broken_case_file_is_one_failing_item_naming_the_problem(policy_copy):
    write(policy_copy / "cases", [{**FEE_CASE, "date": "2022-13-01", "expected": {"value": 75.0, "colour": "red"}}])
    params = [p for p in discover(policy_copy / "cases") if p.id.startswith("pinned")]
    assert [p.id for p in params] == ["pinned.json::invalid"]
    lines = params[0].values[2].splitlines()
    assert [line.split("/cases/pinned.json: ")[1] for line in lines] == [
        '/cases/0/date: expected a date YYYY-MM-DD, found a string "2022-13-01"',
        "/cases/0/expected/colour: expected one of the keys error, source, status, unit, value, found unknown key 'colour'"]


def test_a_file_of_another_kind_in_cases_is_reported(policy_copy):
    (policy_copy / "cases" / "sources.json").write_text((policy_copy / "sources.json").read_text(encoding="utf-8"))
    params = [p for p in discover(policy_copy / "cases") if p.id.startswith("sources")]
    assert [p.id for p in params] == ["sources.json::invalid"]
    assert params[0].values[2] == 'sources.json: /kind: expected "cases", found a string "sources"'


def test_validate_reports_a_broken_case_file_by_pointer(policy_copy, monkeypatch, capsys):
    def dup(case):
        return {**case, "expected": {**case["expected"], "source": "seed-999"}}
    write(policy_copy / "cases", [FEE_CASE, dup(FEE_CASE)])
    monkeypatch.chdir(policy_copy.parent)
    assert main(["validate", "policy/cases"]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err[:-1] == ["policy/cases/pinned.json: /cases/1/id: expected a unique id, found 'fee' again (first at /cases/0)",
                        "policy/cases/pinned.json: /cases/1/expected/source: expected a key of sources.json, "
                        "found unknown source 'seed-999'"]
