"""The simulation reads care types, network types and quota categories from the policy files, not from their names.

A category, care type or network type under another id simulates exactly as the bundled one; a third care type
with its share in the region data is drawn, evaluated and counted in a column of its own; region data that shares
care paths between care types the conventions do not declare, or leaves one out, is refused by `validate` with
its file and JSON pointer, never simulated into zeros.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from conftest import POLICY_DIR
from policy_folders import UTILISATION, add_care_type, rename_care_type, rename_category, rename_network_type
from test_fields import edit, first_copay_rule_on, validate_lines

from carepolicy.cli import main
from engine.policy.policies import load_policies
from engine.policy.validation import validate
from engine.simulation.run import simulate

CONVENTION = "riziv-psy-2021.json"
SMALL = {"year": 2027, "regions": ["luxemburg"], "workers": 1}


def _folder(tmp_path, change):
    folder = tmp_path / "policy"
    shutil.copytree(POLICY_DIR, folder)
    change(folder)
    assert [p for report in validate([folder]) for p in report.problems] == []
    return folder


@pytest.fixture(scope="module")
def bundled(policies):
    return simulate(policies, ["adult-quota-10"], by=["network", "care"], **SMALL)


def test_a_renamed_category_simulates_alike(tmp_path, bundled):
    folder = _folder(tmp_path, lambda f: rename_category(f, "specialised_individual", "psy_specialised"))
    renamed = simulate(load_policies(folder), ["adult-quota-10"], **SMALL)
    assert (bundled.results["network_average"] > 0).all()
    pd.testing.assert_frame_equal(renamed.results, bundled.results)


def test_a_renamed_care_type_simulates_alike_under_its_own_column(tmp_path, bundled):
    folder = _folder(tmp_path, lambda f: rename_care_type(f, "first_line", "support"))
    renamed = simulate(load_policies(folder), ["adult-quota-10"], by=["network", "care"], **SMALL)
    assert list(renamed.metrics)[4:7] == ["sessions_group", "sessions_support", "sessions_specialised"]
    assert (renamed.results["sessions_support"] > 0).all()
    pd.testing.assert_frame_equal(renamed.results.rename(columns={"sessions_support": "sessions_first_line"}),
                                  bundled.results)
    assert set(renamed.breakdown["care"]) == {"support", "specialised", "none"}


def test_renamed_network_types_simulate_alike(tmp_path, bundled):
    def change(folder):
        rename_network_type(folder, "children", "youth")
        rename_network_type(folder, "adults", "grown_ups")

    renamed = simulate(load_policies(_folder(tmp_path, change)), ["adult-quota-10"], by=["network", "care"], **SMALL)
    pd.testing.assert_frame_equal(renamed.results, bundled.results)
    shown = bundled.breakdown.replace({"network": {"children": "youth", "adults": "grown_ups"}})
    pd.testing.assert_frame_equal(renamed.breakdown, shown)


def test_a_third_care_type_is_drawn_and_counted(tmp_path, bundled):
    folder = _folder(tmp_path, lambda f: add_care_type(f, "crisis", cap=4, share=0.1))
    sim = simulate(load_policies(folder), ["adult-quota-10"], **SMALL)
    r = sim.results
    cares = ["sessions_first_line", "sessions_specialised", "sessions_crisis"]
    assert list(sim.metrics)[5:8] == cares
    assert (r[cares] > 0).all().all()  # no zeros from a name the draw does not know
    assert (r[cares].sum(axis=1) == r["sessions"]).all()
    assert (r["sessions"] == r["sessions_individual"] + r["sessions_group"]).all()
    # a tenth of the care paths move to crisis care, from the rest (first-line); the same patients draw specialised care
    base = bundled.results
    assert (r["sessions_first_line"] < base["sessions_first_line"]).all()
    assert (r["sessions_specialised"] == base["sessions_specialised"]).all()
    assert sim.metrics["sessions_crisis"].values("fr") == {"care": "soins crisis"}
    out = tmp_path / "results.csv"
    assert main(["simulate", "-q", "--policy", str(folder), "--year", "2027", "-r", "luxemburg", "-o", str(out)]) == 0
    written = pd.read_csv(out)
    assert list(written.columns[6:10]) == ["sessions_group", *cares]
    assert written[cares].sum(axis=1).equals(written["sessions"])


def test_a_scenario_changes_the_sessions_of_a_third_care_type(tmp_path):
    folder = _folder(tmp_path, lambda f: add_care_type(f, "crisis", cap=40, share=0.1))
    more = {"what": "sessions", "care": "crisis", "kind": "individual", "from": "2027-01-01", "factor": 2.0,
            "source": "scenario-hypothesis", "status": "assumed"}
    doc = {"$schema": "../schema/scenario-1.0.schema.json", "id": "more-crisis", "kind": "scenario",
           "title": "more crisis sessions", "description": "test", "changes": [], "utilisation": [more]}
    (folder / "scenarios" / "more-crisis.json").write_text(json.dumps(doc), encoding="utf-8")
    assert _problems(folder) == []
    r = simulate(load_policies(folder), ["more-crisis"], **SMALL).results.set_index("scenario")
    assert r.loc["more-crisis", "sessions_crisis"] > 1.2 * r.loc["baseline", "sessions_crisis"]
    assert r.loc["more-crisis", "sessions_first_line"] == r.loc["baseline", "sessions_first_line"]
    doc["utilisation"][0]["care"] = "crises"
    (folder / "scenarios" / "more-crisis.json").write_text(json.dumps(doc), encoding="utf-8")
    assert [p.split(": ", 1)[1] for p in _problems(folder)] == [
        "/utilisation/0: expected care and kind of a session distribution (first_line/individual, first_line/group, "
        "specialised/individual, specialised/group, outside_convention/individual, crisis/individual), found crises/individual"]


def _problems(folder: Path) -> list[str]:
    return [str(p) for report in validate([folder]) for p in report.problems]


def test_validate_refuses_region_data_with_an_undeclared_care_type(policy_copy, monkeypatch):
    monkeypatch.chdir(policy_copy.parent)
    rename_care_type(policy_copy, "first_line", "support", region_data=False)
    file = f"policy/{UTILISATION}"
    assert _problems(Path("policy")) == [
        f"{file}: /choices/care/rest: expected a care type the conventions declare (support, specialised), found "
        "'first_line'",
        f"{file}: /choices/care: expected a share (or the rest) for every care type the conventions declare, found "
        "none for support",
        f"{file}: /sessions: expected a session distribution for every quota category the conventions declare (care "
        "type/kind), found none for support/individual, support/group"]


def test_validate_refuses_region_data_without_a_declared_care_type(policy_copy, monkeypatch):
    monkeypatch.chdir(policy_copy.parent)
    add_care_type(policy_copy, "crisis", cap=4)
    edit(policy_copy / UTILISATION, lambda d: (d["choices"]["care"]["shares"].pop("crisis"), d["sessions"].pop()))
    file = f"policy/{UTILISATION}"
    assert _problems(Path("policy")) == [
        f"{file}: /choices/care: expected a share (or the rest) for every care type the conventions declare, found "
        "none for crisis",
        f"{file}: /sessions: expected a session distribution for every quota category the conventions declare (care "
        "type/kind), found none for crisis/individual"]


def test_validate_refuses_shares_over_one_and_figures_it_does_not_have(policy_copy, monkeypatch, capsys):
    monkeypatch.chdir(policy_copy.parent)
    add_care_type(policy_copy, "crisis", cap=4, share=0.85)
    file = f"policy/{UTILISATION}"
    assert _problems(Path("policy")) == [
        f"{file}: /choices/care/shares: expected shares adding up to 1 at most at every age, found 1.05 at age 0"]
    edit(policy_copy / UTILISATION, lambda d: d["choices"]["care"]["shares"].__setitem__("crisis", "crisis_shares"))
    code, lines = validate_lines(Path("policy"), capsys)
    assert code == 2 and lines[0] == (
        f"{file}: /choices/care/shares/crisis: expected a figure of /figures (uptake, specialised_share, group_share, "
        "children_network_share, clb_location_share, clb_employed_share, outside_uptake, crisis_share), found "
        "'crisis_shares' — did you mean 'crisis_share'?")


def test_validate_refuses_network_types_the_files_do_not_declare(policy_copy, monkeypatch):
    monkeypatch.chdir(policy_copy.parent)
    edit(policy_copy / CONVENTION, lambda d: d["eligibility"]["age_bands"].__setitem__(
        "youth", d["eligibility"]["age_bands"].pop("children")))
    edit(policy_copy / UTILISATION, lambda d: d["choices"]["setting"].__setitem__("networks", ["kids"]))
    assert _problems(Path("policy")) == [
        f"policy/{CONVENTION}: /eligibility/age_bands/youth: expected a network type the file declares in "
        "network_types (children, adults), found 'youth'",
        f"policy/{CONVENTION}: /network_types/0/id: expected the age band of network type 'children' in "
        "eligibility.age_bands, found none"]
    shutil.copy(POLICY_DIR / CONVENTION, policy_copy / CONVENTION)
    assert _problems(Path("policy")) == [
        f"policy/{UTILISATION}: /choices/setting/networks/0: expected a network type the conventions declare "
        "(children, adults), found 'kids'"]


def test_validate_refuses_a_condition_on_an_undeclared_network_type(policy_copy, monkeypatch):
    monkeypatch.chdir(policy_copy.parent)
    edit(policy_copy / CONVENTION, first_copay_rule_on("network", "==", "kids"))
    assert _problems(Path("policy")) == [
        f"policy/{CONVENTION}: /copayment/rules/0/when/value: expected one of children, adults (the network_types the "
        "file declares) for network, found 'kids'"]


def test_every_convention_version_declares_the_same_network_types(policy_copy, monkeypatch):
    monkeypatch.chdir(policy_copy.parent)
    doc = json.loads((policy_copy / CONVENTION).read_text(encoding="utf-8"))
    doc.update(id="riziv-psy-2030", version="2030-01-01", valid={"from": "2030-01-01", "source": "seed-002",
                                                                  "status": "assumed"})
    doc["network_types"].append({"id": "elderly", "label": "networks for the elderly", "source": "seed-002",
                                 "status": "assumed"})
    doc["eligibility"]["age_bands"]["elderly"] = doc["eligibility"]["age_bands"]["adults"]
    doc["quota"]["networks"]["elderly"] = doc["quota"]["networks"]["adults"]
    (policy_copy / "riziv-psy-2030.json").write_text(json.dumps(doc), encoding="utf-8")

    def none_choose_elderly(use):
        use["figures"]["elderly_network_share"] = {**use["figures"]["children_network_share"],
                                                   "by_age": [{"ages": [0, 99], "value": 0.0}]}
        use["choices"]["network"]["shares"]["elderly"] = "elderly_network_share"

    edit(policy_copy / UTILISATION, none_choose_elderly)
    assert ("policy/riziv-psy-2030.json: /network_types: expected the network types of riziv-psy-2021 (children, "
            "adults), as every convention version of a folder declares the same, found children, adults, elderly"
            in _problems(Path("policy")))


def test_claims_name_the_declared_network_types(tmp_path, capsys):
    folder = _folder(tmp_path, lambda f: rename_network_type(f, "adults", "grown_ups"))
    claims, out = tmp_path / "claims.csv", tmp_path / "results.csv"
    claims.write_text("claim_id,patient_id,birth_date,session_date,kind,network,care\n"
                      "c1,p1,1990-01-01,2024-06-01,individual,grown_ups,first_line\n"
                      "c2,p2,1990-01-01,2024-06-08,individual,adults,first_line\n", encoding="utf-8")
    code = main(["evaluate", str(claims), "--out", str(out), "--policy", str(folder)])
    assert code == 3 and "Traceback" not in capsys.readouterr().err
    results = pd.read_csv(out, keep_default_na=False)
    assert list(results["covered"]) == [True, False]
    assert results["reason"][1] == "invalid: network: expected children|grown_ups or empty, found 'adults'"


def test_the_command_line_refuses_region_data_for_undeclared_care_types(policy_copy):
    rename_care_type(policy_copy, "first_line", "support", region_data=False)
    done = subprocess.run([sys.executable, "-m", "carepolicy", "simulate", "--policy", str(policy_copy), "--year",
                           "2027", "-r", "luxemburg"], capture_output=True, text=True, check=False)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "/choices/care/rest: expected a care type the conventions declare (support, specialised), found " \
           "'first_line'" in done.stderr


def test_care_type_columns_are_labelled_in_every_language_of_the_workbooks(bundled):
    from workbooks.labels import Labels

    metric = bundled.metrics["sessions_first_line"]
    shown = {lang: Labels(lang)(metric.label, **metric.values(lang)) for lang in ("en", "fr", "nl")}
    assert shown == {"en": "Sessions in first-line care", "fr": "Séances en soins de première ligne",
                     "nl": "Sessies in eerstelijnszorg"}
    assert Labels("fr")(metric.description, **metric.values("fr")) == "séances couvertes en soins de première ligne"
