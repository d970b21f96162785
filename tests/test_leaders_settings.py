"""Leaders and settings are data: the convention declares who may lead or co-lead a session and where a session may
take place (the first setting is the default of an empty one). Under other ids everything prices and simulates
as before; one more of each validates and prices; validate refuses a file that names an undeclared one, with its
file and JSON pointer; a claim that names one is invalid, naming the values allowed."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
from claims_factory import claims_frame
from command_checks import declared_claims_csv
from conftest import POLICY_DIR
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from policy_folders import UTILISATION, add_leader, add_setting, add_version, rename_leader, rename_setting
from strategies import claims_frames
from test_differential import same
from test_fields import edit, refused_lines, validate_lines

from carepolicy.cli import main
from engine.claims.contract import CHOICES
from engine.errors import InputError
from engine.evaluate import lookups
from engine.evaluate.reference import evaluate_reference
from engine.evaluate.vectorized import evaluate_vectorized
from engine.policy.files import PACKAGE_ROOT
from engine.policy.policies import load_policies

CONVENTION = "riziv-psy-2021.json"
OVERRIDE = "clb-collaboration.json"
SCHEMAS = PACKAGE_ROOT / "policy" / "schema"
RENAMED = {"co_lead": {"psychologist": "clinician", "doctor": "physician", "other": "peer"},
           "setting": {"standard": "regular", "clb_location": "school_place", "clb_employed": "school_staff"}}
DAY = dt.date(2024, 6, 3)
SETTINGS = settings(max_examples=25, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


def _copy(tmp_path_factory, name: str) -> Path:
    folder = tmp_path_factory.mktemp(name) / "policy"
    shutil.copytree(POLICY_DIR, folder)
    return folder


@pytest.fixture(scope="module")
def renamed_folder(tmp_path_factory) -> Path:
    """The bundled folder with every leader and setting under another id."""
    folder = _copy(tmp_path_factory, "renamed")
    for old, new in RENAMED["co_lead"].items():
        rename_leader(folder, old, new)
    for old, new in RENAMED["setting"].items():
        rename_setting(folder, old, new)
    assert main(["validate", str(folder)]) == 0
    return folder


@pytest.fixture(scope="module")
def renamed(renamed_folder):
    return load_policies(renamed_folder)


@pytest.fixture(scope="module")
def extra_folder(tmp_path_factory) -> Path:
    """The bundled folder with one more leader (`nurse`, EUR 150 a group session) and one more setting (`home`, a
    co-payment of EUR 5 before every other rule)."""
    folder = _copy(tmp_path_factory, "extra")
    add_leader(folder, "nurse", 150.0)
    add_setting(folder, "home", 5.0)
    assert main(["validate", str(folder)]) == 0
    return folder


def _renamed_rows(rows: list[dict]) -> list[dict]:
    return [{k: RENAMED[k].get(v, v) if k in RENAMED else v for k, v in row.items()} for row in rows]


def test_the_schemas_fix_no_leader_or_setting():
    policy = json.loads((SCHEMAS / "policy-1.0.schema.json").read_text(encoding="utf-8"))["$defs"]
    for name in ("leader", "setting"):
        assert set(policy[name]["properties"]) == {"id", "label", "source", "status", "note"}
    assert "enum" not in policy["convention_file"]["properties"]["tariff"]["properties"]["lead"]
    assert {"leaders", "settings"} <= set(policy["convention_file"]["required"])
    case = json.loads((SCHEMAS / "case-1.0.schema.json").read_text(encoding="utf-8"))["$defs"]
    for node in (case["claim_row"]["properties"]["co_lead"], case["claim_row"]["properties"]["setting"],
                 case["fee_inputs"]["properties"]["leader"], case["copay_inputs"]["properties"]["setting"]):
        assert "enum" not in node
    assert CHOICES == {"kind": ("individual", "group")}


def test_the_bundled_convention_declares_its_leaders_and_settings_with_sources(policies):
    doc = policies.doc("riziv-psy-2021")
    assert [item["id"] for item in doc["leaders"]] == ["psychologist", "doctor", "other"]
    assert [item["id"] for item in doc["settings"]] == ["standard", "clb_location", "clb_employed"]
    assert {item["source"] for item in doc["leaders"]} == {"seed-002"}
    assert {item["source"] for item in doc["settings"]} == {"seed-004"}
    assert doc["tariff"]["lead"] == "psychologist"


def test_renamed_leaders_and_settings_evaluate_the_claims_alike(renamed_folder, tmp_path, capsys):
    outputs = []
    for folder in (POLICY_DIR, renamed_folder):
        claims = tmp_path / f"claims-{len(outputs)}.csv"
        claims.write_text(declared_claims_csv(folder), encoding="utf-8")
        for chunks in ([], ["--chunk-rows", "7"]):
            out = tmp_path / f"out-{len(outputs)}.csv"
            assert main(["evaluate", str(claims), "-o", str(out), "-q", "--policy", str(folder), *chunks]) == 0
            outputs.append(out.read_text(encoding="utf-8"))
    assert "clinician" in (tmp_path / "claims-2.csv").read_text(encoding="utf-8")
    assert "school_staff" in (tmp_path / "claims-2.csv").read_text(encoding="utf-8")
    assert outputs[0] == outputs[1] == outputs[2] == outputs[3]
    assert "Traceback" not in capsys.readouterr().err


def test_renamed_leaders_and_settings_price_the_bundled_cases_alike(renamed, policies):
    cases = [c for path in sorted((POLICY_DIR / "cases").glob("*.json"))
             for c in json.loads(path.read_text(encoding="utf-8"))["cases"] if c["kind"] == "claims"]
    assert any(row.get("setting") for c in cases for row in c["claims"])
    for case in cases:
        bundled, _ = evaluate_reference(claims_frame(case["claims"], policies), policies)
        frame = claims_frame(_renamed_rows(case["claims"]), renamed)
        ref, _ = evaluate_reference(frame, renamed)
        pd.testing.assert_frame_equal(ref, bundled)
        same(ref, evaluate_vectorized(frame, renamed))


@SETTINGS
@given(data=st.data())
def test_renamed_leaders_and_settings_evaluate_alike_in_both_evaluators(renamed, policies, data):
    frame = data.draw(claims_frames(policies=policies))
    shown = frame.assign(**{column: frame[column].cat.rename_categories(names) for column, names in RENAMED.items()})
    bundled, _ = evaluate_reference(frame, policies)
    ref, _ = evaluate_reference(shown, renamed)
    pd.testing.assert_frame_equal(ref, bundled)
    same(ref, evaluate_vectorized(shown, renamed))


def test_renamed_leaders_and_settings_simulate_alike(renamed_folder, tmp_path):
    tables = []
    for folder in (POLICY_DIR, renamed_folder):
        out = tmp_path / f"sim-{len(tables)}.csv"
        assert main(["simulate", "--policy", str(folder), "--year", "2027", "-r", "luxemburg", "-s", "copay-15", "-q",
                     "-o", str(out)]) == 0
        tables.append(out.read_text(encoding="utf-8"))
    assert tables[0] == tables[1]


def test_lookups_take_the_renamed_leaders_and_settings(renamed, policies):
    assert lookups.fee(renamed, "group", "peer", DAY) == lookups.fee(policies, "group", "other", DAY)
    assert lookups.copay(renamed, 40, "individual", DAY) == lookups.copay(policies, 40, "individual", DAY)
    assert lookups.copay(renamed, 40, "individual", DAY, setting="School_Staff") == lookups.copay(
        policies, 40, "individual", DAY, setting="clb_employed")
    with pytest.raises(InputError, match=r"^leader: expected one of clinician, physician, peer, found 'other'$"):
        lookups.fee(renamed, "group", "other", DAY)
    with pytest.raises(InputError, match=r"^setting: expected one of regular, school_place, school_staff, found "
                                         r"'standard'$"):
        lookups.copay(renamed, 40, "individual", DAY, setting="standard")


def test_the_excel_functions_take_the_renamed_leaders_and_settings(renamed_folder):
    import xl_addin.functions as fx

    fx.SESSION.use(renamed_folder)
    try:
        assert fx.CP_FEE("group", "peer", DAY) == 137.34
        assert fx.CP_FEE("group", None, DAY) == 217.99
        assert fx.CP_COPAY(40, "individual", None, None, DAY, None) == 11
        assert fx.CP_COPAY(40, "individual", None, None, DAY, "school_place") == 0
        assert fx.CP_COPAY(40, "individual", None, None, DAY, "clb_location").startswith(
            "CP error: setting: expected one of regular, school_place, school_staff")
    finally:
        fx.SESSION.use(None)


def test_claims_naming_an_undeclared_leader_or_setting_are_invalid(renamed, policies):
    group = {"claim_id": "c1", "patient_id": "p1", "birth_date": "1990-01-01", "session_date": "2024-06-03",
             "kind": "group", "network": "adults", "care": "first_line", "group_id": "g1", "co_lead": "nurse"}
    assert claims_frame([group], policies)["invalid"][0] == (
        "invalid: co_lead: expected psychologist|doctor|other or empty, found 'nurse'")
    single = {**group, "kind": "individual", "group_id": "", "co_lead": "", "setting": "clb_employed"}
    assert claims_frame([single], policies)["invalid"][0] == ""
    assert claims_frame([single], renamed)["invalid"][0] == (
        "invalid: setting: expected regular|school_place|school_staff or empty, found 'clb_employed'")


def test_an_empty_setting_is_the_first_the_convention_declares(policy_copy, capsys):
    edit(policy_copy / CONVENTION, lambda d: d["settings"].insert(0, d["settings"].pop()))
    assert validate_lines(policy_copy, capsys)[0] == 0
    policies = load_policies(policy_copy)
    row = {"claim_id": "c1", "patient_id": "p1", "birth_date": "1990-01-01", "session_date": "2024-06-03",
           "kind": "individual", "network": "adults", "care": "first_line"}
    frame = claims_frame([row, {**row, "claim_id": "c2", "session_date": "2024-06-10", "setting": "standard"}], policies)
    assert list(frame["setting"]) == ["clb_employed", "standard"]
    ref, _ = evaluate_reference(frame, policies)
    assert list(ref["copayment_rule"]) == ["clb_employed", "individual"]
    same(ref, evaluate_vectorized(frame, policies))
    assert lookups.copay(policies, 40, "individual", DAY).rule == "clb_employed"


def test_one_more_leader_and_setting_validate_and_price(extra_folder, tmp_path):
    policies = load_policies(extra_folder)
    assert lookups.fee(policies, "group", "nurse", DAY).value == 150.0
    assert (lookups.copay(policies, 40, "individual", DAY, setting="home").value,
            lookups.copay(policies, 40, "individual", DAY, setting="home").rule) == (5.0, "home")
    adult = {"birth_date": "1990-01-01", "session_date": "2024-06-03", "network": "adults", "care": "first_line"}
    rows = [{**adult, "claim_id": f"g{i}", "patient_id": f"p{i}", "kind": "group", "group_id": "G", "co_lead": "nurse"}
            for i in range(2)]
    rows.append({**adult, "claim_id": "h1", "patient_id": "q", "kind": "individual", "setting": "home"})
    frame = claims_frame(rows, policies)
    assert list(frame["invalid"]) == ["", "", ""]
    ref, _ = evaluate_reference(frame, policies)
    same(ref, evaluate_vectorized(frame, policies))
    assert list(ref["co_lead_tariff_row"]) == ["group_nurse", "group_nurse", ""]
    assert round(ref["provider_fee"][:2].sum(), 2) == 217.99 + 150.0
    assert (ref["copayment_rule"][2], ref["patient_copay"][2]) == ("home", 5.0)
    out = tmp_path / "sim.csv"
    assert main(["simulate", "--policy", str(extra_folder), "--year", "2027", "-r", "luxemburg", "-q",
                 "-o", str(out)]) == 0
    assert pd.read_csv(out)["insurer_cost"].gt(0).all()


@pytest.mark.parametrize(("file", "change", "line"), [
    (CONVENTION, lambda d: d["tariff"].__setitem__("lead", "nurse"),
     "/tariff/lead: expected a leader the file declares in leaders (psychologist, doctor, other), found 'nurse'"),
    (CONVENTION, lambda d: d["tariff"]["rows"][2]["when"]["all"][1].__setitem__("value", "others"),
     "/tariff/rows/2/when/all/1/value: expected one of psychologist, doctor, other (the leaders the file declares) "
     "for leader, found 'others' — did you mean 'other'?"),
    (CONVENTION, lambda d: d["tariff"]["rows"][1]["when"]["all"][1]["value"].append("nurse"),
     "/tariff/rows/1/when/all/1/value: expected one of psychologist, doctor, other (the leaders the file declares) "
     "for leader, found 'nurse'"),
    (OVERRIDE, lambda d: d["rules"][0]["when"]["all"][0].__setitem__("value", "clb_employd"),
     "/rules/0/when/all/0/value: expected one of standard, clb_location, clb_employed (the settings the file "
     "declares) for setting, found 'clb_employd' — did you mean 'clb_employed'?"),
    (UTILISATION, lambda d: d["choices"]["setting"].__setitem__("rest", "standrd"),
     "/choices/setting/rest: expected a setting the conventions declare (standard, clb_location, clb_employed), "
     "found 'standrd' — did you mean 'standard'?"),
    (UTILISATION, lambda d: d["choices"]["setting"]["shares"].__setitem__("school", "clb_location_share"),
     "/choices/setting/shares/school: expected a setting the conventions declare (standard, clb_location, "
     "clb_employed), found 'school'"),
    (UTILISATION, lambda d: d["mixes"]["group_co_lead"]["shares"].__setitem__(
        "nurse", d["mixes"]["group_co_lead"]["shares"].pop("doctor")),
     "/mixes/group_co_lead/shares/nurse: expected a leader the conventions declare or 'none' (psychologist, "
     "doctor, other, none), found 'nurse'"),
])
def test_validate_refuses_an_undeclared_leader_or_setting(policy_copy, capsys, monkeypatch, file, change, line):
    monkeypatch.chdir(policy_copy.parent)
    assert refused_lines(Path("policy"), file, change, capsys) == [f"policy/{file}: {line}"]


def test_a_leader_no_tariff_row_pays_is_named(policy_copy, capsys, monkeypatch):
    monkeypatch.chdir(policy_copy.parent)
    nurse = {"id": "nurse", "label": "a nurse", "source": "seed-002", "status": "assumed"}
    assert refused_lines(Path("policy"), CONVENTION, lambda d: d["leaders"].append(nurse), capsys) == [
        f"policy/{CONVENTION}: /tariff/rows: expected a tariff row for every session the convention may cover, found "
        "none for kind group, leader nurse on 2021-09-01"]


def test_every_convention_version_declares_the_same_leaders_and_settings(policy_copy, capsys, monkeypatch):
    monkeypatch.chdir(policy_copy.parent)
    version = add_version(policy_copy, "2030-01-01", 90.0, 12)
    assert validate_lines(Path("policy"), capsys)[0] == 0

    def change(doc):
        doc["leaders"].reverse()
        doc["settings"].append({"id": "home", "label": "at home", "source": "seed-004", "status": "assumed"})

    edit(policy_copy / f"{version}.json", change)
    code, lines = validate_lines(Path("policy"), capsys)
    assert code == 2
    assert lines == [
        f"policy/{version}.json: /leaders: expected the leaders of riziv-psy-2021 (psychologist, doctor, other), as "
        "every convention version of a folder declares the same, found other, doctor, psychologist",
        f"policy/{version}.json: /settings: expected the settings of riziv-psy-2021 (standard, clb_location, "
        "clb_employed), as every convention version of a folder declares the same, found standard, clb_location, "
        "clb_employed, home"]
