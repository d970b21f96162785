"""Care types and quota categories are data: each convention declares them, validate holds files to them,
the evaluators, lookups and the claims contract read them from the policies in use."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
from claims_factory import claims_frame
from conftest import POLICY_DIR
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from policy_folders import add_care_type, rename_care_type, rename_network_type
from strategies import claims_frames
from test_differential import same
from test_fields import edit, refused_lines, validate_lines

from carepolicy.cli import main
from engine.claims.contract import CHOICES
from engine.errors import InputError
from engine.evaluate import lookups
from engine.evaluate.reference import evaluate_reference
from engine.evaluate.vectorized import evaluate_vectorized, threads
from engine.policy.categories import Category
from engine.policy.files import PACKAGE_ROOT
from engine.policy.policies import load_policies
from engine.policy.rules import rules_of

SCHEMA = PACKAGE_ROOT / "policy" / "schema" / "policy-1.0.schema.json"
CONVENTION = "riziv-psy-2021.json"
PROVENANCE = {"source", "status", "note"}
SETTINGS = settings(max_examples=30, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


NAMES = {"en": "crisis care", "fr": "soins de crise", "nl": "crisiszorg"}


def test_the_schema_declares_what_the_code_reads_of_a_category():
    defs = json.loads(SCHEMA.read_text(encoding="utf-8"))["$defs"]
    category = defs["quota_category"]
    assert set(category["properties"]) == {f.name for f in dataclasses.fields(Category)} | PROVENANCE
    assert set(category["required"]) == {f.name for f in dataclasses.fields(Category)} | (PROVENANCE - {"note"})
    assert tuple(category["properties"]["kind"]["enum"]) == CHOICES["kind"]
    assert set(defs["care_type"]["properties"]) == {"id", "label", "name"} | PROVENANCE
    assert set(defs["network_type"]["properties"]) == {"id", "label"} | PROVENANCE
    assert "care" not in CHOICES and "network" not in CHOICES  # the policies declare the care and network types


def test_the_bundled_convention_declares_its_four_categories_with_sources(policies):
    conv = rules_of(policies).conventions[0]
    assert conv.care_types == ("first_line", "specialised")
    assert [(c.id, c.care, c.kind) for c in conv.categories] == [
        ("first_line_individual", "first_line", "individual"), ("first_line_group", "first_line", "group"),
        ("specialised_individual", "specialised", "individual"), ("specialised_group", "specialised", "group")]
    assert conv.first_individual == {"first_line_individual", "specialised_individual"}
    doc = policies.doc(conv.id)
    assert {c["source"] for c in doc["quota"]["categories"]} == {"seed-002"}
    assert doc["quota"]["first_individual_of_period"]["source"] == "seed-001"


@pytest.mark.parametrize(("change", "line"), [
    (lambda d: d["quota"]["networks"]["adults"]["bundles"][0]["caps"].__setitem__(
        "first_line_individul", d["quota"]["networks"]["adults"]["bundles"][0]["caps"].pop("first_line_individual")),
     "/quota/networks/adults/bundles/0/caps/first_line_individul: expected a category the file declares in "
     "quota.categories (first_line_individual, first_line_group, specialised_individual, specialised_group), found "
     "'first_line_individul' — did you mean 'first_line_individual'?"),
    (lambda d: d["quota"]["networks"]["children"]["network_average"].__setitem__(
        "urgent", d["quota"]["networks"]["children"]["network_average"].pop("specialised_individual")),
     "/quota/networks/children/network_average/urgent: expected a category the file declares in "
     "quota.categories (first_line_individual, first_line_group, specialised_individual, specialised_group), found "
     "'urgent'"),
    (lambda d: d["quota"]["categories"][3].__setitem__("care", "specialized"),
     "/quota/categories/3/care: expected a care type the file declares in care_types (first_line, specialised), "
     "found 'specialized' — did you mean 'specialised'?"),
    (lambda d: d["quota"]["categories"][1].__setitem__("kind", "individual"),
     "/quota/categories/1: expected one category per care type and session kind, found first_line individual again "
     "(first at /quota/categories/0)"),
    (lambda d: d["quota"]["first_individual_of_period"]["categories"].append("individual"),
     "/quota/first_individual_of_period/categories/2: expected a category the file declares in quota.categories "
     "(first_line_individual, first_line_group, specialised_individual, specialised_group), found 'individual' — did "
     "you mean 'first_line_individual'?"),
    (lambda d: d["care_types"].append({"id": "crisis", "label": "crisis care", "name": NAMES, "source": "seed-002",
                                       "status": "assumed"}),
     "/care_types/2/id: expected a quota category of care type 'crisis' in quota.categories, found none"),
])
def test_validate_refuses_what_the_file_does_not_declare(policy_copy, capsys, monkeypatch, change, line):
    monkeypatch.chdir(policy_copy.parent)
    assert refused_lines(Path("policy"), CONVENTION, change, capsys) == [f"policy/{CONVENTION}: {line}"]


def test_a_category_id_the_schema_cannot_take_is_refused(policy_copy, capsys, monkeypatch):
    monkeypatch.chdir(policy_copy.parent)
    edit(policy_copy / CONVENTION, lambda d: d["quota"]["categories"][0].__setitem__("id", "First line"))
    code, lines = validate_lines(Path("policy"), capsys)
    assert code == 2 and lines[0].startswith(f"policy/{CONVENTION}: /quota/categories/0/id: ")


@pytest.fixture(scope="module")
def third_care(tmp_path_factory):
    """The bundled folder with a third care type, `crisis`, of individual sessions only."""
    folder = tmp_path_factory.mktemp("third") / "policy"
    shutil.copytree(POLICY_DIR, folder)
    add_care_type(folder, "crisis", cap=4)
    assert main(["validate", str(folder)]) == 0
    return load_policies(folder)


@pytest.fixture(scope="module")
def renamed(tmp_path_factory):
    """The bundled folder with first-line care named `support`."""
    folder = tmp_path_factory.mktemp("renamed") / "policy"
    shutil.copytree(POLICY_DIR, folder)
    rename_care_type(folder, "first_line", "support")
    assert main(["validate", str(folder)]) == 0
    return load_policies(folder)


@SETTINGS
@given(data=st.data())
def test_a_third_care_type_evaluates_alike_in_both_evaluators(third_care, data):
    frame = data.draw(claims_frames(cares=("first_line", "specialised", "crisis", "crisis"), policies=third_care))
    ref, _ = evaluate_reference(frame, third_care)
    same(ref, evaluate_vectorized(frame, third_care))


@SETTINGS
@given(data=st.data())
def test_a_third_care_type_evaluates_alike_on_the_threaded_path(third_care, monkeypatch, data):
    monkeypatch.setattr(threads, "THREADED", 1)
    monkeypatch.setattr(threads, "PART", 7)
    frame = data.draw(claims_frames(max_patients=20, cares=("first_line", "specialised", "crisis"), policies=third_care))
    ref, _ = evaluate_reference(frame, third_care)
    same(ref, evaluate_vectorized(frame, third_care))


@SETTINGS
@given(data=st.data())
def test_a_renamed_care_type_evaluates_alike_in_both_evaluators(renamed, data):
    frame = data.draw(claims_frames(cares=("support", "specialised", "first_line"), policies=renamed))
    ref, _ = evaluate_reference(frame, renamed)
    same(ref, evaluate_vectorized(frame, renamed))


@pytest.fixture(scope="module")
def renamed_networks(tmp_path_factory):
    """The bundled folder with the network types named `youth` and `grown_ups`."""
    folder = tmp_path_factory.mktemp("networks") / "policy"
    shutil.copytree(POLICY_DIR, folder)
    rename_network_type(folder, "children", "youth")
    rename_network_type(folder, "adults", "grown_ups")
    assert main(["validate", str(folder)]) == 0
    return load_policies(folder)


@SETTINGS
@given(data=st.data())
def test_renamed_network_types_evaluate_as_the_bundled_ones_in_both_evaluators(renamed_networks, policies, data):
    frame = data.draw(claims_frames(policies=policies))
    renamed = frame.assign(network=frame["network"].cat.rename_categories({"children": "youth", "adults": "grown_ups"}))
    bundled, _ = evaluate_reference(frame, policies)
    ref, _ = evaluate_reference(renamed, renamed_networks)
    pd.testing.assert_frame_equal(ref, bundled)
    same(ref, evaluate_vectorized(renamed, renamed_networks))


ADULT = {"patient_id": "p1", "birth_date": "1990-01-01", "network": "adults"}


def test_a_claim_of_the_new_care_type_is_priced_and_its_first_session_is_free(third_care):
    rows = [{**ADULT, "claim_id": f"c{i}", "session_date": f"2024-06-{i + 1:02d}", "kind": kind, "care": care}
            for i, (kind, care) in enumerate([("individual", "crisis"), ("individual", "crisis"), ("group", "crisis"),
                                             ("individual", "specialised")])]
    rows[2] |= {"group_id": "g1", "co_lead": ""}
    frame = claims_frame(rows, third_care)
    ref, _ = evaluate_reference(frame, third_care)
    same(ref, evaluate_vectorized(frame, third_care))
    assert list(ref["covered"]) == [True, True, False, False]
    assert list(ref["reason"]) == ["", "", "no_category", "combination_not_allowed"]
    assert list(ref["bundle"][:2]) == ["fl", "fl"]
    assert list(ref["provider_fee"][:2]) == [81.74, 81.74]
    assert list(ref["copayment_rule"][:2]) == ["first_individual_free", "individual"]


def test_the_claims_contract_takes_the_care_types_of_the_policies(third_care, renamed, policies):
    row = {**ADULT, "claim_id": "c1", "session_date": "2024-06-01", "kind": "individual", "care": "crisis"}
    assert claims_frame([row], third_care)["invalid"][0] == ""
    assert claims_frame([row], policies)["invalid"][0] == (
        "invalid: care: expected first_line|specialised or empty, found 'crisis'")
    assert claims_frame([row], renamed)["invalid"][0] == (
        "invalid: care: expected support|specialised or empty, found 'crisis'")


def test_lookups_name_the_care_types_of_the_convention(third_care):
    day = dt.date(2024, 6, 1)
    assert lookups.quota(third_care, "adults", "crisis", "individual", day)[-1] == ("crisis", 4)
    assert lookups.quota(third_care, "adults", "crisis", "individual", day)[0] == ("fl", 4)
    with pytest.raises(InputError, match=r"^care: expected one of first_line, specialised, crisis, found 'crises' "
                                         r"— did you mean 'crisis'\?$"):
        lookups.quota(third_care, "adults", "crises", "individual", day)
    with pytest.raises(Exception, match=r"^riziv-psy-2021: no quota category of crisis group sessions \(its categories: "
                                        r"first_line_individual, first_line_group, specialised_individual, "
                                        r"specialised_group, crisis_individual\)$"):
        lookups.quota(third_care, "adults", "crisis", "group", day)


def test_validate_refuses_an_override_condition_on_a_care_type_its_convention_does_not_declare(policy_copy, capsys,
                                                                                            monkeypatch):
    monkeypatch.chdir(policy_copy.parent)
    edit(policy_copy / "clb-collaboration.json",
         lambda d: d["rules"][0]["when"]["all"].append({"field": "care", "op": "==", "value": "crisis"}))
    code, lines = validate_lines(Path("policy"), capsys)
    assert code == 2
    assert lines == ["policy/clb-collaboration.json: /rules/0/when/all/1/value: expected one of first_line, specialised "
                     "(the care_types the file declares) for care, found 'crisis'"]
    add_care_type(policy_copy, "crisis", cap=4)
    assert validate_lines(Path("policy"), capsys)[0] == 0


@pytest.mark.parametrize("chunks", [[], ["--chunk-rows", "2"]])
def test_carepolicy_evaluate_prices_the_new_care_type(third_care, tmp_path, capsys, chunks):
    claims, out = tmp_path / "claims.csv", tmp_path / "results.csv"
    claims.write_text("claim_id,patient_id,birth_date,session_date,kind,network,care\n"
                      "c1,p1,1990-01-01,2024-06-01,individual,adults,crisis\n"
                      "c2,p1,1990-01-01,2024-06-08,individual,adults,Crisis\n"
                      "c3,p2,1990-01-01,2024-06-08,individual,adults,crises\n", encoding="utf-8")
    folder = third_care.files["riziv-psy-2021"].parent
    code = main(["evaluate", str(claims), "--out", str(out), "--policy", str(folder), *chunks])
    assert code == 3 and "Traceback" not in capsys.readouterr().err
    results = pd.read_csv(out, keep_default_na=False)
    assert list(results["covered"]) == [True, True, False]
    assert list(results["provider_fee"]) == [81.74, 81.74, 0]
    assert list(results["patient_copay"]) == [0, 11, 0]
    assert results["reason"][2] == "invalid: care: expected first_line|specialised|crisis or empty, found 'crises'"


def test_explain_names_the_care_types_and_categories_of_the_convention(third_care, tmp_path, capsys):
    claims = tmp_path / "claims.csv"
    claims.write_text("claim_id,patient_id,birth_date,session_date,kind,network,care,group_id\n"
                      "c1,p1,1990-01-01,2024-06-01,group,adults,crisis,g1\n"
                      "c2,p2,1990-01-01,2024-06-01,individual,adults,,\n", encoding="utf-8")
    folder = str(third_care.files["riziv-psy-2021"].parent)
    main(["explain", str(claims), "c1", "--policy", folder])
    main(["explain", str(claims), "c2", "--policy", folder])
    lines = capsys.readouterr().out.splitlines()
    assert "  - riziv-psy-2021 has no quota category of crisis group sessions (its categories: first_line_individual, " \
           "first_line_group, specialised_individual, specialised_group, crisis_individual)" in lines
    assert "  - the claim names no care type; riziv-psy-2021 declares first_line, specialised, crisis" in lines
