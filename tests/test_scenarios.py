"""Scenario overlays: every bundled scenario applies; a broken one is refused whole, each problem named."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path

import pytest

from carepolicy.cli import main
from engine.errors import InputError, PolicyError
from engine.policy.policies import load_policies
from engine.policy.scenarios import BASELINE, apply, list_scenarios, load_scenario

D = dt.date.fromisoformat
COPAY = "riziv-psy-2021.copayment.rules.individual.amount"
FEE = "riziv-psy-2021.tariff.rows.individual.fee"
HYPOTHESIS = {"source": "scenario-hypothesis", "status": "assumed"}


def write(folder: Path, name: str, changes: list[dict], utilisation: list[dict] | None = None) -> Path:
    path = folder / "scenarios" / f"{name}.json"
    path.write_text(json.dumps({"$schema": "../schema/scenario-1.0.schema.json", "id": name, "kind": "scenario",
                                "title": name, "description": "a test scenario", "changes": changes,
                                "utilisation": utilisation or []}, indent=2), encoding="utf-8")
    return path


@pytest.fixture
def copy(policy_copy: Path, monkeypatch):
    """The policies of a writable copy, with the working directory above it so messages say `policy/…`."""
    monkeypatch.chdir(policy_copy.parent)
    return load_policies(policy_copy)


def test_every_bundled_scenario_loads_and_applies(policies):
    infos = list_scenarios(policies.root)
    assert infos[0].name == BASELINE and len(infos) >= 5
    for info in infos:
        scenario = load_scenario(info.name, policies)
        changed = apply(policies, scenario)
        assert changed.scenario == info.name and changed.overlays == (scenario,)
        assert {c.path for c in scenario.changes} <= set(changed.values)
        for change in scenario.changes:
            assert changed.value_at(change.path, change.start).source == change.source


def test_baseline_changes_nothing(policies):
    base = apply(policies, load_scenario(BASELINE, policies))
    assert base.values == policies.values


@pytest.mark.parametrize(("name", "path", "before", "after"), [
    ("copay-15", COPAY, 11.0, 15),
    ("index-2pct", FEE, 81.74, 83.37),
    ("adult-quota-10", "riziv-psy-2021.quota.networks.adults.bundles.fl.caps.first_line_individual", 8, 10),
    ("free-until-25", "riziv-psy-2021.copayment.rules.youth_free.when.age", 23, 25),
])
def test_bundled_scenarios_change_what_they_say(policies, name, path, before, after):
    changed = apply(policies, load_scenario(name, policies))
    start = changed.value_at(path, D("2027-01-01"))
    assert changed.value_at(path, D("2026-12-31")).value == before
    assert (start.value, start.source, start.status) == (after, "scenario-hypothesis", "assumed")
    assert start.note.startswith(f"scenario {name}")
    assert policies.value_at(path, D("2027-01-01")).value == before


def test_a_window_cuts_the_history_and_the_old_value_resumes(copy):
    write(copy.root, "window", [{"path": COPAY, "from": "2025-01-01", "to": "2025-12-31", "value": 20, "unit": "EUR", **HYPOTHESIS}])
    changed = apply(copy, load_scenario("window", copy))
    assert [changed.value_at(COPAY, D(d)).value for d in ("2024-12-31", "2025-01-01", "2025-12-31", "2026-01-01")] == [
        11.0, 20, 20, 11.0]
    resumed = changed.value_at(COPAY, D("2026-01-01"))
    assert (resumed.source, resumed.start) == ("seed-002", D("2026-01-01"))
    assert changed.value_at(COPAY, D("2024-12-31")).end == D("2024-12-31")


def test_a_factor_scales_every_value_in_the_window_rounded_to_its_decimals(copy):
    write(copy.root, "scaled", [{"path": FEE, "from": "2022-01-01", "to": "2023-06-30", "factor": 1.02, "decimals": 2,
                                 "unit": "EUR", **HYPOTHESIS}])
    changed = apply(copy, load_scenario("scaled", copy))
    assert [changed.value_at(FEE, D(d)).value for d in ("2021-12-31", "2022-06-01", "2023-03-01", "2023-07-01")] == [
        75.0, 76.5, 83.37, 81.74]


def test_a_factor_with_zero_decimals_gives_whole_numbers(copy):
    cap = "riziv-psy-2021.quota.networks.adults.bundles.fl.caps.first_line_individual"
    write(copy.root, "more", [{"path": cap, "from": "2025-01-01", "factor": 1.3, "decimals": 0, "unit": "sessions", **HYPOTHESIS}])
    value = apply(copy, load_scenario("more", copy)).value_at(cap, D("2025-01-01")).value
    assert value == 10 and isinstance(value, int)


def test_scenarios_stack_and_changes_apply_in_file_order(copy):
    write(copy.root, "twice", [{"path": COPAY, "from": "2025-01-01", "value": 20, "unit": "EUR", **HYPOTHESIS},
                               {"path": COPAY, "from": "2026-01-01", "factor": 0.5, "unit": "EUR", **HYPOTHESIS}])
    once = apply(copy, load_scenario("twice", copy))
    assert [once.value_at(COPAY, D(d)).value for d in ("2025-06-01", "2026-06-01")] == [20, 10.0]
    both = apply(once, load_scenario("copay-15", copy))
    assert both.scenario == "twice+copay-15" and both.value_at(COPAY, D("2027-01-01")).value == 15


def test_a_broken_scenario_names_every_problem_by_file_and_pointer(copy):
    write(copy.root, "broken", [
        {"path": "riziv-psy-2021.copayment.rules.individual.amout", "from": "2025-01-01", "value": 15, "unit": "EUR", **HYPOTHESIS},
        {"path": COPAY, "from": "2025-01-01", "value": 15, "unit": "sessions", **HYPOTHESIS},
        {"path": FEE, "from": "2020-01-01", "value": 90, "unit": "EUR", **HYPOTHESIS},
        {"path": "riziv-psy-2021.copayment.rules.group.amount", "from": "2025-01-01", "value": 3, "factor": 1.1,
         "unit": "EUR", **HYPOTHESIS},
    ], [{"what": "uptake", "from": "2027-01-01", "factor": 1.1, "regions": ["Antwerpn"], **HYPOTHESIS}])
    with pytest.raises(PolicyError) as err:
        load_scenario("broken", copy)
    lines = str(err.value).splitlines()
    assert all(line.startswith("policy/scenarios/broken.json: /") for line in lines)
    where = [line.split(": ")[1] for line in lines]
    assert where == ["/changes/0/path", "/changes/1/unit", "/changes/2/from", "/changes/3", "/utilisation/0/regions/0"]
    assert "did you mean 'riziv-psy-2021.copayment.rules.individual.amount'?" in lines[0]
    assert lines[1].endswith("expected 'EUR' (the unit of riziv-psy-2021.copayment.rules.individual.amount), found 'sessions'")
    assert lines[2].endswith(f"expected a date within the coverage of {FEE} (2021-09-01 onwards), found 2020-01-01")
    assert lines[3].endswith("/changes/3: expected either value or factor, found both")
    assert "found 'Antwerpn'" in lines[4] and "did you mean 'antwerpen'?" in lines[4]


def test_nothing_is_applied_when_one_change_is_wrong(policies):
    good = load_scenario("copay-15", policies)
    bad = dataclasses.replace(good.changes[0], index=1, path=FEE, unit="sessions")
    with pytest.raises(PolicyError) as err:
        apply(policies, dataclasses.replace(good, changes=(*good.changes, bad)))
    assert [p.where for p in err.value.problems] == ["/changes/1/unit"]
    assert policies.value_at(COPAY, D("2027-01-01")).value == 11.0


def test_schema_problems_come_first_and_whole(copy):
    path = write(copy.root, "typo", [{"path": COPAY, "form": "2025-01-01", "value": 15, "unit": "EUR", **HYPOTHESIS}])
    with pytest.raises(PolicyError) as err:
        load_scenario(path, copy)
    assert sorted(str(p) for p in err.value.problems) == [
        "policy/scenarios/typo.json: /changes/0/form: expected one of the keys decimals, factor, from, note, path, source, "
        "status, to, unit, value, found unknown key 'form' — did you mean 'from'?",
        "policy/scenarios/typo.json: /changes/0: expected the key 'from', found it missing"]


def test_file_name_and_id_must_agree(copy):
    path = write(copy.root, "named", [])
    path.rename(path.with_name("renamed.json"))
    with pytest.raises(PolicyError, match=r"renamed.json: /id: expected 'renamed' \(the file name\), found 'named'"):
        load_scenario("renamed", copy)


def test_unknown_scenario_name_suggests_the_closest(policies):
    with pytest.raises(InputError, match="unknown scenario 'copay15' — did you mean 'copay-15'"):
        load_scenario("copay15", policies)


def test_utilisation_change_applies_to_the_ages_and_dates_it_names(policies):
    scenario = load_scenario("free-until-25-uptake", policies)
    assert scenario.adjust("uptake", 0.1, D("2027-01-01"), age=24) == pytest.approx(0.11)
    assert scenario.adjust("uptake", 0.1, D("2027-01-01"), age=26) == 0.1
    assert scenario.adjust("uptake", 0.1, D("2026-12-31"), age=24) == 0.1
    assert list(scenario.adjust("uptake", [0.1, 0.1], D("2027-01-01"), age=[23, 25])) == pytest.approx([0.1, 0.11])
    with pytest.raises(ValueError, match="needs ages"):
        scenario.adjust("uptake", 0.1, D("2027-01-01"))


def test_validate_command_on_one_scenario(capsys, monkeypatch, policy_copy):
    monkeypatch.chdir(policy_copy.parent)
    assert main(["validate", "policy/scenarios/copay-15.json"]) == 0
    assert capsys.readouterr().out.splitlines() == ["policy/scenarios/copay-15.json: ok (scenario, copay-15)", "1 file(s) valid"]
    write(policy_copy, "copay-15", [{"path": COPAY, "from": "2027-01-01", "value": 15, "unit": "EUR", "source": "nowhere",
                                     "status": "assumed"}])
    assert main(["validate", "policy/scenarios/copay-15.json"]) == 2
    assert capsys.readouterr().err.splitlines()[0] == (
        "policy/scenarios/copay-15.json: /changes/0/source: expected a key of sources.json, found unknown source 'nowhere'")
