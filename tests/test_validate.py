"""`carepolicy validate`: every kind of broken policy file gives exit 2 and one precise line per problem."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from carepolicy.cli import main

LINE = re.compile(r"^policy/[\w./-]+\.\w+: (/\S*|line \d+ column \d+): expected .+, found .+$")
SUMMARY = re.compile(r"^\d+ problem\(s\) in \d+ of \d+ file\(s\)$")
TARIFF = "policy/riziv-psy-2021.json"


@pytest.fixture
def folder(policy_copy: Path, monkeypatch) -> Path:
    """A broken-able policy folder, with the working directory above it so messages say `policy/…`."""
    monkeypatch.chdir(policy_copy.parent)
    return policy_copy


def edit(path: Path, change) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(json.dumps(data, indent=2), encoding="utf-8")


def fee_history(doc: dict, row: int = 0) -> list[dict]:
    return doc["tariff"]["rows"][row]["fee"]["history"]


def problems(capsys, *args: str) -> list[str]:
    """Run validate; assert exit 2, no traceback, a final count line; return the problem lines."""
    code = main(["validate", *args])
    out, err = capsys.readouterr()
    assert code == 2, out + err
    assert "Traceback" not in err
    lines = err.splitlines()
    assert SUMMARY.match(lines[-1]), lines[-1]
    assert lines[-1].startswith(f"{len(lines) - 1} problem(s)")
    for line in lines[:-1]:
        assert LINE.match(line), line
    return lines[:-1]


def only(capsys, *args: str) -> str:
    lines = problems(capsys, *args)
    assert len(lines) == 1, lines
    return lines[0]


def test_bundled_folder_is_valid_with_one_summary_per_file(folder, capsys):
    assert main(["validate", "policy"]) == 0
    out, err = capsys.readouterr()
    files = sorted(str(p.relative_to(folder.parent)) for p in folder.rglob("*.json") if "schema" not in p.parts)
    lines = out.splitlines()
    assert [line.split(": ok (")[0] for line in lines[:-1]] == files
    assert all(line.endswith(")") for line in lines[:-1])
    assert lines[-1] == f"{len(files)} file(s) valid"
    assert err == ""


def test_summary_names_kind_id_and_dated_values(folder, capsys):
    assert main(["validate", TARIFF]) == 0
    first = capsys.readouterr().out.splitlines()[0]
    assert first.startswith(f"{TARIFF}: ok (convention, riziv-psy-2021, version 2021-09-01, valid from 2021-09-01, ")
    assert first.endswith(" dated values)")


def test_invalid_json_names_line_and_column(folder, capsys):
    path = folder / "vsb-care-budget.json"
    text = path.read_text(encoding="utf-8")
    broken = text.replace('"kind": ', '"kind" ', 1)
    path.write_text(broken, encoding="utf-8")
    before = broken[:broken.index('"kind" ')]
    line_no = before.count("\n") + 1
    column = len(before) - before.rfind("\n") + len('"kind" ')
    line = only(capsys, "policy/vsb-care-budget.json")
    assert line == (f"policy/vsb-care-budget.json: line {line_no} column {column}: expected valid JSON "
                    "(Expecting ':' delimiter), found something else there")
    assert "monthly_allowance" not in line  # the file is named, never quoted


@pytest.mark.parametrize(("name", "found"), [("clb-collaboration.json", "']'"), ("sources.json", "'}'")])
def test_trailing_comma_is_named_where_the_comma_is(folder, capsys, name, found):
    path = folder / name
    text = path.read_text(encoding="utf-8")
    cut = text.rstrip().rindex(found[1], 0, len(text.rstrip()) - 1)  # the last closing bracket or brace but the file's own
    cut = len(text[:cut].rstrip())
    path.write_text(text[:cut] + "," + text[cut:], encoding="utf-8")
    line_no = text[:cut].count("\n") + 1
    column = cut - text.rfind("\n", 0, cut)
    assert only(capsys, f"policy/{name}") == (f"policy/{name}: line {line_no} column {column}: "
                                              f"expected a value after the comma, found {found}: remove the trailing comma")


def test_truncated_json_names_the_end_of_the_file(folder, capsys):
    path = folder / "clb-collaboration.json"
    text = path.read_text(encoding="utf-8")
    path.write_text(text[:text.index('\n  "applies_to"')], encoding="utf-8")
    line = only(capsys, "policy/clb-collaboration.json")
    assert re.search(r": line \d+ column \d+: expected valid JSON \(.+\), found the end of the file$", line)


def test_empty_file(folder, capsys):
    (folder / "clb-collaboration.json").write_text("", encoding="utf-8")
    assert only(capsys, "policy") == ("policy/clb-collaboration.json: line 1 column 1: "
                                      "expected valid JSON (Expecting value), found the end of the file")


@pytest.mark.parametrize(("change", "expected"), [
    (lambda d: fee_history(d)[0].update(status="maybe"),
     '/tariff/rows/0/fee/history/0/status: expected one of "confirmed", "assumed", found a string "maybe"'),
    (lambda d: fee_history(d, 1)[0].update(value="200"),
     '/tariff/rows/1/fee/history/0/value: expected number, found a string "200": write 200 without quotes'),
    (lambda d: d["quota"]["period"].update(anchor="sometimes"),
     '/quota/period/anchor: expected one of "first_covered_session", "rolling", found a string "sometimes"'),
    (lambda d: d["copayment"]["rules"][0]["when"]["all"][0].update(op="=~"),
     '/copayment/rules/0/when/all/0/op: expected one of "==", "!=", "<", "<=", ">", ">=", "in", "not_in", '
     'found a string "=~"'),
    (lambda d: fee_history(d)[1].update({"from": "2024-13-01"}),
     '/tariff/rows/0/fee/history/1/from: expected a date YYYY-MM-DD, found a string "2024-13-01"'),
    (lambda d: d["valid"].update({"from": "1-9-2021"}),
     '/valid/from: expected a date YYYY-MM-DD, found a string "1-9-2021"'),
    (lambda d: fee_history(d, 1)[0].update(value=-5),
     "/tariff/rows/1/fee/history/0/value: expected a number >= 0 (an amount in EUR), found a number -5"),
    (lambda d: fee_history(d, 2)[0].update(colour="red"),
     "/tariff/rows/2/fee/history/0/colour: expected one of the keys from, note, source, status, to, value, "
     "found unknown key 'colour'"),
    (lambda d: fee_history(d)[0].pop("source"),
     "/tariff/rows/0/fee/history/0: expected the key 'source', found it missing"),
], ids=["status", "type", "anchor", "operator", "date-2024-13-01", "date-format", "negative", "unknown-key",
        "missing-source"])
def test_schema_violation_is_one_precise_line(folder, capsys, change, expected):
    edit(folder / "riziv-psy-2021.json", change)
    assert only(capsys, "policy") == f"{TARIFF}: {expected}"


def test_several_unknown_keys_in_one_object_are_named_together(folder, capsys):
    edit(folder / "riziv-psy-2021.json", lambda d: fee_history(d)[0].update(colour="red", size=3))
    assert only(capsys, TARIFF) == (f"{TARIFF}: /tariff/rows/0/fee/history/0: expected one of the keys from, note, source, "
                                    "status, to, value, found unknown keys 'colour', 'size'")


def test_unknown_source_key(folder, capsys):
    edit(folder / "riziv-psy-2021.json", lambda d: d["copayment"]["rules"][1]["amount"]["history"][0].update(source="seed-999"))
    assert only(capsys, "policy") == (f"{TARIFF}: /copayment/rules/1/amount/history/0/source: "
                                      "expected a key of sources.json, found unknown source 'seed-999'")


def test_missing_source_registry(folder, capsys):
    (folder / "sources.json").unlink()
    assert only(capsys, "policy") == ("policy/sources.json: /sources: expected a readable registry of the sources "
                                      "that values cite, found none")


def test_overlapping_dates(folder, capsys):
    def overlap(d):
        history = d["premiums"]["care_path_fee"]["amount"]["history"]
        history[0]["to"] = "2021-12-31"
        history.append({"from": "2021-10-01", "value": 61.0, "source": "seed-004", "status": "confirmed"})
    edit(folder / "riziv-psy-2021.json", overlap)
    assert only(capsys, TARIFF) == (f"{TARIFF}: /premiums/care_path_fee/amount/history/1/from: expected a date after "
                                    "2021-12-31 (the previous value's end: dates must not overlap), found 2021-10-01")


def test_unordered_dates(folder, capsys):
    edit(folder / "riziv-psy-2021.json", lambda d: fee_history(d, 1)[1].update({"from": "2021-01-01"}))
    assert only(capsys, TARIFF) == (f"{TARIFF}: /tariff/rows/1/fee/history/1/from: expected a date after 2021-09-01 "
                                    "(histories are in date order), found 2021-01-01")


def test_end_before_start(folder, capsys):
    edit(folder / "vsb-care-budget.json", lambda d: d["amount"]["history"][0].update(to="2009-01-31"))
    assert only(capsys, "policy/vsb-care-budget.json") == (
        "policy/vsb-care-budget.json: /amount/history/0/to: expected a date on or after 2009-03-01, found 2009-01-31")


def test_duplicate_ids_in_a_list(folder, capsys):
    edit(folder / "riziv-psy-2021.json", lambda d: d["tariff"]["rows"][2].update(id="individual"))
    assert only(capsys, TARIFF) == (f"{TARIFF}: /tariff/rows/2/id: expected a unique id, found 'individual' again "
                                    "(first at /tariff/rows/0)")


def test_an_id_is_its_file_name(folder, capsys):
    (folder / "cm-copy.json").write_text((folder / "cm-psychotherapy.json").read_text(encoding="utf-8"), encoding="utf-8")
    assert only(capsys, "policy") == "policy/cm-copy.json: /id: expected 'cm-copy' (the file name), found 'cm-psychotherapy'"


@pytest.mark.parametrize(("text", "expected"), [
    ("[]", "/: expected an object, found an array"),
    ('{"id": "x", "kind": "convention"}', "/$schema: expected the path of one of "),
    ('{"$schema": "./schema/nope.json", "id": "x"}', '/$schema: expected the path of one of '),
])
def test_file_without_a_known_schema(folder, capsys, text, expected):
    (folder / "x.json").write_text(text, encoding="utf-8")
    assert only(capsys, "policy/x.json").startswith(f"policy/x.json: {expected}")


def test_every_problem_of_every_file_is_listed(folder, capsys):
    def break_tariff(d):
        fee_history(d)[1]["from"] = "2024-13-01"
        fee_history(d, 1)[0]["value"] = -5
        fee_history(d, 2)[0]["colour"] = "red"
    edit(folder / "riziv-psy-2021.json", break_tariff)
    (folder / "clb-collaboration.json").write_text("{", encoding="utf-8")
    lines = problems(capsys, "policy")
    assert [line.split(": ")[0] for line in lines] == ["policy/clb-collaboration.json"] + [TARIFF] * 3
    assert [line.split(": ")[1] for line in lines[1:]] == [
        "/tariff/rows/0/fee/history/1/from", "/tariff/rows/1/fee/history/0/value", "/tariff/rows/2/fee/history/0/colour"]


def test_missing_path(folder, capsys):
    assert only(capsys, "policy/nothing.json") == (
        "policy/nothing.json: /: expected a policy file or folder, found nothing at this path")


def test_command_line_prints_no_traceback(folder):
    edit(folder / "riziv-psy-2021.json", lambda d: fee_history(d)[1].update({"from": "2024-13-01"}))
    (folder / "sources.json").write_text('{"sources": 3\n', encoding="utf-8")
    run = subprocess.run([sys.executable, "-m", "carepolicy", "validate", "policy"], capture_output=True, text=True,
                         cwd=folder.parent, check=False)
    assert run.returncode == 2
    assert "Traceback" not in run.stderr
    assert run.stderr.splitlines()[:2] == [
        f"{TARIFF}: /tariff/rows/0/fee/history/1/from: expected a date YYYY-MM-DD, found a string \"2024-13-01\"",
        "policy/sources.json: line 2 column 1: expected valid JSON (Expecting ',' delimiter), found the end of the file",
    ]


def test_scenario_is_checked_against_the_policies(folder, capsys):
    def misspell(d):
        d["changes"][0]["path"] = "riziv-psy-2021.copayment.rules.individul.amount"

    edit(folder / "scenarios" / "copay-15.json", misspell)
    assert problems(capsys, "policy") == [
        "policy/scenarios/copay-15.json: /changes/0/path: expected the path of a dated value of the loaded policies, "
        "found unknown 'riziv-psy-2021.copayment.rules.individul.amount' — did you mean "
        "'riziv-psy-2021.copayment.rules.individual.amount'?"]


def test_scenario_alone_is_not_passed_when_its_policies_do_not_load(folder, capsys):
    edit(folder / "riziv-psy-2021.json", lambda d: fee_history(d)[1].update({"from": "2024-13-01"}))
    assert problems(capsys, "policy/scenarios/copay-15.json") == [
        "policy/scenarios/copay-15.json: /changes: expected policies in policy that load, to check the changes against, "
        "found problems in policy/riziv-psy-2021.json (carepolicy validate policy lists them)"]


def test_broken_policy_is_reported_once_when_the_whole_folder_is_checked(folder, capsys):
    edit(folder / "riziv-psy-2021.json", lambda d: fee_history(d)[1].update({"from": "2024-13-01"}))
    assert problems(capsys, "policy") == [f"{TARIFF}: /tariff/rows/0/fee/history/1/from: expected a date YYYY-MM-DD, "
                                          "found a string \"2024-13-01\""]


def test_a_file_that_is_not_json_is_named_as_such(folder, capsys):
    (folder / "claims.csv").write_text("claim_id,patient_id\n", encoding="utf-8")
    assert only(capsys, "policy/claims.csv") == "policy/claims.csv: /: expected a policy file ending in .json, found '.csv'"


def test_a_region_problem_is_said_once_even_when_a_scenario_needs_the_region_data(folder, capsys):
    """A broken mix in the region data: the utilisation file's line says so, the scenarios do not repeat it."""
    edit(folder / "regions" / "utilisation-be.json", lambda d: d["mixes"]["group_co_lead"]["shares"].update(none=0.5))
    assert main(["validate", "policy"]) == 2
    lines = [line for line in capsys.readouterr().err.splitlines() if "/mixes/group_co_lead" in line]
    assert len(lines) == 1 and lines[0].startswith("policy/regions/utilisation-be.json: /mixes/group_co_lead")


def test_a_scenario_checked_alone_names_the_region_data_it_cannot_load(folder, capsys):
    edit(folder / "regions" / "utilisation-be.json", lambda d: d["mixes"]["group_co_lead"]["shares"].update(none=0.5))
    assert main(["validate", "policy/scenarios/free-until-25-uptake.json"]) == 2
    assert capsys.readouterr().err.splitlines()[0] == (
        "policy/scenarios/free-until-25-uptake.json: /utilisation: expected region data in policy that loads, to check "
        "the changes against, found problems in policy/regions/utilisation-be.json (carepolicy validate policy lists them)")


def test_a_fee_written_with_a_decimal_comma_is_named_with_the_fix(folder, capsys):
    tariff = folder / "riziv-psy-2021.json"
    text = tariff.read_text(encoding="utf-8")
    tariff.write_text(text.replace('"value": 81.74', '"value": "81,74"', 1), encoding="utf-8")
    assert main(["validate", "policy"]) == 2
    assert ('policy/riziv-psy-2021.json: /tariff/rows/0/fee/history/1/value: expected number, found a string "81,74": '
            "write 81.74 without quotes, with a decimal point") in capsys.readouterr().err.splitlines()
    tariff.write_text(text.replace('"value": 81.74', '"value": 81,74', 1), encoding="utf-8")
    assert main(["validate", "policy"]) == 2
    line = next(n for n, t in enumerate(text.splitlines(), 1) if '"value": 81.74' in t)
    assert (f"policy/riziv-psy-2021.json: line {line} column 27: expected a number with a decimal point, found '81,74': "
            "write 81.74") in capsys.readouterr().err.splitlines()


def test_a_scenario_file_gets_all_its_problems_at_once(folder, capsys):
    scenario = folder / "scenarios" / "copay-15.json"
    edit(scenario, lambda d: (d.update(id="copay-13"), d["changes"][0].update(path=d["changes"][0]["path"] + "x")))
    assert main(["validate", "policy/scenarios/copay-15.json"]) == 2
    lines = capsys.readouterr().err.splitlines()
    assert lines[0] == "policy/scenarios/copay-15.json: /id: expected 'copay-15' (the file name), found 'copay-13'"
    assert lines[1].startswith("policy/scenarios/copay-15.json: /changes/0/path: expected the path of a dated value")
    assert lines[2] == "2 problem(s) in 1 of 1 file(s)"


def test_a_broken_convention_is_the_only_problem_evaluate_names(folder, capsys, tmp_path):
    """The override that applies to the broken convention is not blamed for it."""
    edit(folder / TARIFF.removeprefix("policy/"), lambda d: fee_history(d, 0)[0].update(value="75"))
    claims = tmp_path / "claims.csv"
    claims.write_text("claim_id,patient_id,birth_date,session_date,kind\nc1,p1,1990-01-01,2024-03-01,individual\n")
    assert main(["evaluate", str(claims), "-o", str(tmp_path / "out.csv"), "--policy", "policy"]) == 2
    assert capsys.readouterr().err.splitlines() == [
        'policy/riziv-psy-2021.json: /tariff/rows/0/fee/history/0/value: expected number, found a string "75": '
        "write 75 without quotes"]
