"""A scenario's results stay within each field's range as the policy schema declares it.

A factor or value whose result leaves the range (a percentage of 50 × 10, a fee pushed above the
largest amount by a later factor) is refused by `validate` and by every command that takes a
scenario, naming the scenario file, the change's JSON pointer, the parameter, the result and the range.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from carepolicy.cli import main
from engine.errors import PolicyError

PERCENT = ("policy/scenarios/wild.json: /changes/0/factor: expected a result within the range of "
           "cm-psychotherapy.benefits.youth.percent_of_fee (a percentage, or null: a number from 0 to 100), "
           "found 500 from 2024-01-01")
FEE = ("policy/scenarios/wild.json: /changes/2/factor: expected a result within the range of "
       "riziv-psy-2021.tariff.rows.individual.fee (an amount in EUR: a number from 0 to 100000), "
       "found 150000 from 2025-01-01")
HYPOTHESIS = {"source": "scenario-hypothesis", "status": "assumed"}


@pytest.fixture
def folder(policy_copy: Path, monkeypatch) -> Path:
    """A policy folder with a scenario whose first and third changes leave their fields' ranges."""
    monkeypatch.chdir(policy_copy.parent)
    fee = "riziv-psy-2021.tariff.rows.individual.fee"
    changes = [
        {"path": "cm-psychotherapy.benefits.youth.percent_of_fee", "from": "2024-01-01", "factor": 10, "unit": "percent"},
        {"path": fee, "from": "2024-01-01", "value": 50000, "unit": "EUR"},
        {"path": fee, "from": "2025-01-01", "to": "2025-12-31", "factor": 3, "unit": "EUR"},
    ]
    (policy_copy / "scenarios" / "wild.json").write_text(json.dumps({
        "$schema": "../schema/scenario-1.0.schema.json", "id": "wild", "kind": "scenario", "title": "t",
        "description": "d", "utilisation": [], "changes": [{**c, **HYPOTHESIS} for c in changes]}), encoding="utf-8")
    (policy_copy.parent / "claims.csv").write_text(
        "claim_id,patient_id,birth_date,session_date,kind,network,care\na,p1,1990-01-01,2025-03-01,individual,adults,first_line\n",
        encoding="utf-8")
    return policy_copy


def refusal(capsys, args: list[str]) -> list[str]:
    code = main(args)
    out, err = capsys.readouterr()
    assert code == 2, out + err
    assert "Traceback" not in err
    return [line for line in err.splitlines() if line.startswith("policy/scenarios/wild.json")]


def test_validate_refuses_a_scenario_whose_results_leave_the_ranges(folder, capsys):
    assert refusal(capsys, ["validate", "policy"]) == [PERCENT, FEE]


@pytest.mark.parametrize("command", [
    ["evaluate", "claims.csv", "-o", "out.csv"],
    ["explain", "claims.csv", "a"],
    ["value", "riziv-psy-2021.tariff.rows.individual.fee", "2025-06-01"],
    ["list", "parameters"],
    ["simulate", "--year", "2025", "-r", "luxemburg"],
    ["impact", "--year", "2025", "-r", "luxemburg"],
], ids=lambda c: c[0])
def test_every_command_with_a_scenario_refuses_it(folder, capsys, command):
    assert refusal(capsys, [*command, "-s", "policy/scenarios/wild.json", "--policy", "policy"]) == [PERCENT, FEE]
    assert not (folder.parent / "out.csv").exists()


def test_a_scenario_within_the_ranges_still_applies(folder, capsys):
    path = folder / "scenarios" / "wild.json"
    doc = json.loads(path.read_text(encoding="utf-8"))
    doc["changes"][0]["factor"] = 2
    doc["changes"][2]["factor"] = 2
    path.write_text(json.dumps(doc), encoding="utf-8")
    assert main(["value", "riziv-psy-2021.tariff.rows.individual.fee", "2025-06-01", "-s", str(path), "--policy", "policy"]) == 0
    assert "fee = EUR 100,000.00 [from 2025-01-01 to 2025-12-31, source scenario-hypothesis" in capsys.readouterr().out


def test_a_check_remembered_for_one_scenario_does_not_answer_for_another(folder, capsys):
    from engine.policy.policies import load_policies
    from engine.policy.scenarios import load_scenario

    policies = load_policies(folder)
    path = folder / "scenarios" / "wild.json"
    wild = path.read_text(encoding="utf-8")
    for _ in range(2):  # the second time from what the first one remembered
        with pytest.raises(PolicyError) as refused:
            load_scenario(path, policies)
        assert [str(p) for p in refused.value.problems] == [PERCENT, FEE]
    doc = json.loads(wild)
    doc["changes"][0]["factor"] = 2
    doc["changes"][2]["factor"] = 2
    path.write_text(json.dumps(doc), encoding="utf-8")
    assert load_scenario(path, policies).id == "wild"
    path.write_text(wild, encoding="utf-8")
    with pytest.raises(PolicyError):
        load_scenario(path, policies)
