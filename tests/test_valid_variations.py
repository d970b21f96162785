"""A folder that validates is safe: valid-looking variations of the bundled folder, and what they found.

The property test varies the bundled folder within the schema (values at the edges of their ranges,
extra history entries, a second convention version, other mutualities, conditions on every field a rule
kind provides, scenarios, region data at its edges; see valid_variations.py). Whenever `validate`
accepts the result, the cheap commands and the Excel functions' lookups run on it in this process; a
handful of fixed variations run the simulation, impact and comparison too. Every command exits 0, 2 or 3
without a traceback, the amounts add up as the rules say, the reference and vectorized evaluators agree
(on one thread and threaded) and a breakdown adds up to its national figures (command_checks.py). The tests after it hold each defect the
variations found.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import policy_folders
import pytest
from command_checks import EXPENSIVE, claims_csv, failures, run_commands
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from valid_variations import POPULATION, DrawPick, RandomPick, read, scenario_file, vary, write

from carepolicy.cli import main
from engine.policy.files import PACKAGE_ROOT

POLICY_DIR = PACKAGE_ROOT / "policy"
CONVENTION = "riziv-psy-2021.json"
YOUTH_AGE = "riziv-psy-2021.copayment.rules.youth_free.when.age"


def _copy(tmp_path: Path) -> Path:
    folder = tmp_path / "policy"
    shutil.copytree(POLICY_DIR, folder)
    return folder


def _accepted(folder: Path, capsys) -> bool:
    code = main(["validate", str(folder)])
    err = capsys.readouterr().err
    assert code in (0, 2) and "Traceback" not in err, err
    return code == 0


@settings(max_examples=8, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_a_valid_variation_of_the_folder_runs_every_cheap_command(tmp_path_factory, data, capsys):
    work = tmp_path_factory.mktemp("variation")
    folder = _copy(work)
    pick = DrawPick(data.draw)
    done = vary(folder, pick)
    if not _accepted(folder, capsys):
        return
    scenario = None
    if pick.choice([True, False]):
        done.append(scenario_file(folder, pick))
        scenario = str(folder / "scenarios" / "fuzzed.json")
    found = failures(run_commands(folder, work, scenario=scenario))
    assert found == [], "\n".join([*done, *found])


def _second_version_mid_year(folder: Path) -> None:
    """A version taking over on 1 July 2027 with a 6-month period, the old period changing on 1 March."""
    policy_folders.set_period_months(folder, ("2021-09-01", 12), ("2027-03-01", 1))
    policy_folders.add_version(folder, "2027-07-01", 90.0, 6)


def _other_mutuality_and_care_type(folder: Path) -> None:
    """A mutuality whose benefit reads every field a benefit provides, all its members increased, a third care
    type under a cap of 1."""
    doc_id = policy_folders.add_mutuality(folder, "zz", 1000, 0, 100)
    doc = read(folder / f"{doc_id}.json")
    doc["benefits"][0]["when"] = {"any": [{"all": []}, {"field": "mutuality", "op": "in", "value": ["zz"]},
                                          {"field": "provider", "op": "!=", "value": "psychotherapist"},
                                          {"field": "session_date", "op": ">=", "value": "2027-02-28"}]}
    write(folder / f"{doc_id}.json", doc)
    population = read(folder / POPULATION)
    next(r for r in population["regions"] if r["id"] == "luxemburg")["bim_share"]["value"] = 1
    write(folder / POPULATION, population)
    policy_folders.add_care_type(folder, "third", 1)


def _tiny_region_and_empty_quotas(folder: Path) -> None:
    """A region of one inhabitant per age group, the adults' first-line caps at 0 and a co-payment above the fee."""
    population = read(folder / POPULATION)
    region = next(r for r in population["regions"] if r["id"] == "luxemburg")
    region["population"]["counts"] = dict.fromkeys(region["population"]["counts"], 1)
    region["population"]["total"] = len(region["population"]["counts"])
    population["totals"][0]["total"] = sum(r["population"]["total"] for r in population["regions"])
    write(folder / POPULATION, population)
    doc = read(folder / CONVENTION)
    for bundle in doc["quota"]["networks"]["adults"]["bundles"]:
        for cap in bundle["caps"].values():
            cap["history"][-1]["value"] = 0
    doc["copayment"]["rules"][3]["amount"]["history"][-1]["value"] = 250.0
    write(folder / CONVENTION, doc)


def _renamed_and_more_leaders_and_settings(folder: Path) -> None:
    """Every leader and setting under another id, then one more of each, drawn by some simulated care paths."""
    doc = read(folder / CONVENTION)
    for key, rename in (("leaders", policy_folders.rename_leader), ("settings", policy_folders.rename_setting)):
        for item in doc[key]:
            rename(folder, item["id"], f"{item['id']}_2")
    policy_folders.add_leader(folder, "nurse", 150.0, 0.1)
    policy_folders.add_setting(folder, "home", 5.0, 0.2)


@pytest.mark.parametrize("variation", [_second_version_mid_year, _other_mutuality_and_care_type,
                                       _tiny_region_and_empty_quotas, _renamed_and_more_leaders_and_settings])
def test_a_valid_variation_simulates_impacts_and_compares(tmp_path, variation, capsys):
    folder = _copy(tmp_path)
    variation(folder)
    assert _accepted(folder, capsys)
    done = next(scenario for seed in range(7, 100)
                if (scenario := scenario_file(folder, RandomPick(seed))) and _accepted(folder, capsys))
    log = run_commands(folder, tmp_path, EXPENSIVE, str(folder / "scenarios" / "fuzzed.json"), (2027, 2028))
    refused = [line for line in log if line.startswith(("refused simulate", "refused impact", "refused compare"))]
    assert failures(log) + refused == [], "\n".join([done, *failures(log), *refused])


# -- defects found ---------------------------------------------------------------------------------------


def _evaluate(folder: Path, tmp_path: Path, capsys, *extra: str) -> list[str]:
    claims = tmp_path / "claims.csv"
    claims.write_text(claims_csv(["first_line", "specialised"]), encoding="utf-8")
    out = tmp_path / "out.csv"
    code = main(["evaluate", str(claims), "-o", str(out), "--policy", str(folder), *extra])
    assert code == 0, capsys.readouterr().err
    capsys.readouterr()
    return out.read_text(encoding="utf-8").splitlines()


def test_a_dated_condition_written_as_a_single_leaf_is_read_like_the_same_in_a_list(tmp_path, capsys):
    """`when: {field, op, value}` is as valid as `when: {all: [{field, op, value}]}`; its dated value keeps
    its path (scenarios name it) and the evaluators find it there."""
    bundled = _evaluate(POLICY_DIR, tmp_path, capsys, "--scenario", "free-until-25")
    folder = _copy(tmp_path)
    doc = read(folder / CONVENTION)
    rule = doc["copayment"]["rules"][0]
    rule["when"] = rule["when"]["all"][0]
    write(folder / CONVENTION, doc)
    assert _accepted(folder, capsys)
    assert _evaluate(folder, tmp_path, capsys, "--scenario", "free-until-25") == bundled
    assert main(["value", YOUTH_AGE, "2024-06-01", "--policy", str(folder)]) == 0
    assert capsys.readouterr().out.startswith(f"{YOUTH_AGE} = 23 years [from 2024-02-01")


def test_two_dated_thresholds_on_one_field_are_each_read_at_their_own_path(tmp_path, capsys):
    """A co-payment rule free from one dated age to another, the upper one nested in an `any`: both
    thresholds are parameters of their own, and each decides."""
    folder = _copy(tmp_path)
    doc = read(folder / CONVENTION)
    rule = doc["copayment"]["rules"][0]
    upper = rule["when"]["all"][0]
    lower = {"field": "age", "op": ">=", "value": {"unit": "years", "history": [
        {"from": "2021-09-01", "value": 18, "source": "seed-002", "status": "assumed"}]}}
    rule["when"] = {"all": [lower, {"any": [upper, {"field": "kind", "op": "==", "value": "group"}]}]}
    write(folder / CONVENTION, doc)
    assert _accepted(folder, capsys)
    assert main(["list", "parameters", "--policy", str(folder)]) == 0
    listed = [line.split()[0] for line in capsys.readouterr().out.splitlines() if ".youth_free.when" in line]
    assert sorted(listed) == ["riziv-psy-2021.copayment.rules.youth_free.when.1.age", YOUTH_AGE], listed
    rows = {line.split(",")[1].strip('"'): line for line in _evaluate(folder, tmp_path, capsys)[1:]}
    assert '"youth_free"' in rows["n1-3"]  # born 2003-02-28, 23 on 2026-12-31: between the thresholds
    assert '"youth_free"' not in rows["n2-3"]  # born 2012-02-29: under the lower threshold


def _refusals(folder: Path, capsys) -> list[str]:
    assert main(["validate", str(folder)]) == 2
    return [line for line in capsys.readouterr().err.splitlines() if ": /" in line]


def _refusals_of_edit(tmp_path: Path, monkeypatch, capsys, name: str, edit, *more) -> list[str]:
    """The lines of validate (run beside the folder) on a copy whose file `name` was changed by `edit(doc)`
    (and further files by further pairs of name and edit)."""
    monkeypatch.chdir(tmp_path)
    folder = _copy(tmp_path)
    for file, change in zip((name, *more[::2]), (edit, *more[1::2]), strict=True):
        doc = read(folder / file)
        change(doc)
        write(folder / file, doc)
    return _refusals(folder, capsys)


def test_a_history_that_ends_before_its_version_is_refused(tmp_path, capsys, monkeypatch):
    """A `to` on a benefit's last entry left evaluate without a value on the later days of an open version
    ('no value on 2027-02-28'), for every claim of the file."""
    def benefit(doc):
        doc["benefits"][3]["cap"]["history"][-1]["to"] = "2027-01-01"

    def convention(doc):
        doc["valid"]["to"] = "2027-12-31"
        doc["tariff"]["rows"][0]["fee"]["history"][-1]["to"] = "2027-12-30"

    assert _refusals_of_edit(tmp_path, monkeypatch, capsys, "cm-psychotherapy.json", benefit, CONVENTION,
                             convention) == [
        "policy/cm-psychotherapy.json: /benefits/3/cap/history/1/to: expected no 'to' (its version has no end): a "
        "value is needed on every day the version is in force, found 2027-01-01",
        "policy/riziv-psy-2021.json: /tariff/rows/0/fee/history/1/to: expected a date on or after 2027-12-31 (the "
        "last day of its version): a value is needed on every day the version is in force, found 2027-12-30"]


def test_a_history_that_starts_after_its_version_is_refused(tmp_path, capsys, monkeypatch):
    def edit(doc):
        doc["payment"]["settings"]["home"]["month_offset"]["history"][0]["from"] = "2010-01-01"

    assert _refusals_of_edit(tmp_path, monkeypatch, capsys, "vsb-care-budget.json", edit) == [
        "policy/vsb-care-budget.json: /payment/settings/home/month_offset/history/0/from: expected a date on or "
        "before 2009-03-01 (the first day of its version: a value is needed on every day the version is in force), "
        "found 2010-01-01"]


def test_histories_may_end_where_the_next_version_takes_over(tmp_path, capsys):
    """Without a `valid.to`, a version ends the day before the next one of its scheme starts: its values
    need not go further."""
    folder = _copy(tmp_path)
    policy_folders.add_version(folder, "2027-07-01", 90.0, 12)
    doc = read(folder / CONVENTION)
    for dated in (doc["tariff"]["rows"][0]["fee"], doc["quota"]["period"]["months"]):
        dated["history"][-1]["to"] = "2027-06-30"
    write(folder / CONVENTION, doc)
    assert _accepted(folder, capsys)
    assert failures(run_commands(folder, tmp_path)) == []


def test_two_versions_of_a_scheme_from_the_same_day_are_refused(tmp_path, capsys, monkeypatch):
    """Which of two versions starting on one day was in force followed the order of their ids: the other one
    validated and was never read."""
    monkeypatch.chdir(tmp_path)
    folder = _copy(tmp_path)
    for name, new in ((CONVENTION, "riziv-psy-b"), ("cm-psychotherapy.json", "cm-psychotherapy-b")):
        doc = read(folder / name)
        doc["id"] = new
        write(folder / f"{new}.json", doc)
    assert _refusals(folder, capsys) == [
        "policy/cm-psychotherapy-b.json: /valid/from: expected a day on which no other version of its scheme starts "
        "(versions take over by date), found 2018-01-01, the valid.from of policy/cm-psychotherapy.json",
        "policy/riziv-psy-b.json: /valid/from: expected a day on which no other version of its scheme starts "
        "(versions take over by date), found 2021-09-01, the valid.from of policy/riziv-psy-2021.json"]


def test_a_category_named_twice_as_first_individual_is_named(tmp_path, capsys, monkeypatch):
    def edit(doc):
        doc["quota"]["first_individual_of_period"]["categories"].append("first_line_individual")

    assert _refusals_of_edit(tmp_path, monkeypatch, capsys, CONVENTION, edit) == [
        'policy/riziv-psy-2021.json: /quota/first_individual_of_period/categories: expected each item once, found '
        '"first_line_individual" more than once']


def test_a_care_budget_schedule_ends_with_its_allowance(tmp_path, capsys):
    """An allowance whose version ends (valid.to) validated, then every schedule running past its end stopped
    with 'vsb-care-budget.amount: no value on 2027-05-01'."""
    folder = _copy(tmp_path)
    doc = read(folder / "vsb-care-budget.json")
    doc["valid"]["to"] = "2027-06-30"
    for at in ("amount", "start_delay_months"):
        doc[at]["history"][-1]["to"] = "2027-06-30"
    write(folder / "vsb-care-budget.json", doc)
    assert _accepted(folder, capsys)
    common = ["care-budget", "--setting", "residential", "--proof", "residence", "--policy", str(folder)]
    assert main([*common, "--application-date", "2027-01-31", "--months", "12"]) == 0
    out = capsys.readouterr().out
    assert "2027-06     140.00  2027-07-24" in out and "\n2027-07 " not in out
    assert "total       280.00  (2 months)" in out, out
    assert main([*common, "--application-date", "2027-03-05"]) == 0
    assert capsys.readouterr().out.startswith(
        "not eligible: vsb-care-budget ends on 2027-06-30, before the first entitled month 2027-07")


@pytest.mark.parametrize(("name", "value", "message"), [
    ("group_size", 0, "/amounts/group_size/value: expected a number >= 2 (the persons of a group: a whole number from "
                      "2 to 1000), found a number 0"),
    ("group_size", 1, "/amounts/group_size/value: expected a number >= 2 (the persons of a group: a whole number from "
                      "2 to 1000), found a number 1"),
    ("session_interval_min", 0, "/amounts/session_interval_min/value: expected a number >= 1 (a number of days: a "
                                "whole number from 1 to 366), found a number 0"),
    ("session_interval_max", 100000, "/amounts/session_interval_max/value: expected a number <= 366 (a number of "
                                     "days: a whole number from 1 to 366), found a number 100000"),
    ("session_interval_max", 3, "/amounts/session_interval_max/value: expected at least 7 days (the "
                                "session_interval_min), found 3"),
    ("fee_outside_convention", 1e9, "/amounts/fee_outside_convention/value: expected a number <= 100000 (an amount "
                                    "in EUR), found a number 1000000000.0"),
], ids=["group-of-0", "group-of-1", "interval-0", "interval-of-274-years", "max-below-min", "fee-1e9"])
def test_simulation_amounts_beyond_what_a_care_path_can_be_are_refused(tmp_path, capsys, monkeypatch, name, value,
                                                                        message):
    """These validated, then simulated nonsense: a group of 0 or 1 paid a group fee per patient, an interval below
    its minimum or of centuries changed who had sessions, a private fee of a billion was charged."""
    def edit(use):
        use["amounts"][name]["value"] = value

    file = "regions/utilisation-be.json"
    assert _refusals_of_edit(tmp_path, monkeypatch, capsys, file, edit) == [f"policy/{file}: {message}"]


@pytest.mark.parametrize(("name", "to", "message"), [
    ("cm-psychotherapy.json", "2017-12-31", "/valid/to: expected a date on or after 2018-01-01 (valid.from: a version "
                                            "that ends before it starts is never in force), found 2017-12-31"),
    ("clb-collaboration.json", "2027-06-30", "/valid/to: expected no 'to' (an override applies on every day its "
                                             "convention riziv-psy-2021 is in force), found 2027-06-30"),
], ids=["before-its-start", "override-before-its-convention"])
def test_a_version_that_ends_too_early_is_refused(tmp_path, capsys, monkeypatch, name, to, message):
    """A version ending before it starts was never in force (every session of its scheme went unpaid). The
    evaluators read an override's rules on every day its convention prices a session: an override with an
    earlier valid.to stopped evaluate and simulate with 'clb-collaboration.rules.clb_employed.amount: no value
    on 2027-07-01'."""
    def edit(doc):
        doc["valid"]["to"] = to

    assert _refusals_of_edit(tmp_path, monkeypatch, capsys, name, edit) == [f"policy/{name}: {message}"]


def test_a_group_fee_of_zero_is_explained(tmp_path, capsys):
    """A fee of 0 is within the schema's range: explaining a co-led group session under it divided by the group's
    fee (ZeroDivisionError)."""
    folder = _copy(tmp_path)
    doc = read(folder / CONVENTION)
    doc["tariff"]["rows"][1]["fee"]["history"][-1]["value"] = 0
    write(folder / CONVENTION, doc)
    assert _accepted(folder, capsys)
    claims = tmp_path / "claims.csv"
    claims.write_text(claims_csv(["first_line", "specialised"]), encoding="utf-8")
    assert main(["explain", str(claims), "n0-3", "--policy", str(folder)]) == 0
    assert ("group fee EUR 0.00 (lead EUR 0.00 + co-lead EUR 0.00) shared by 2 covered participants: this "
            "participant's share EUR 0.00 (EUR 0.00 of the lead's fee, EUR 0.00 of the co-lead's)") in capsys.readouterr().out
    assert failures(run_commands(folder, tmp_path)) == []
