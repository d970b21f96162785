"""The loader and resolver: values on a date with their source, refusals, the cache, overlays."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import numpy as np
import pytest

from carepolicy.cli import main
from engine.errors import PolicyError, ResolveError
from engine.policy.dated import DatedValue, Entry
from engine.policy.policies import load_policies

FEE = "riziv-psy-2021.tariff.rows.individual.fee"
D = dt.date.fromisoformat


def test_value_on_a_date_with_its_source_and_status(policies):
    before = policies.value_at(FEE, D("2022-06-01"))
    assert (before.value, before.unit, before.source, before.status) == (75.0, "EUR", "seed-004", "confirmed")
    assert (before.start, before.end) == (D("2021-09-01"), D("2022-12-31"))
    after = policies.value_at(FEE, D("2024-06-01"))
    assert (after.value, after.source, after.status, after.start) == (81.74, "seed-002", "assumed", D("2023-01-01"))
    assert "effective date" in after.note
    assert policies.sources[after.source]["title"]


def test_value_changes_exactly_on_its_start_date(policies):
    assert policies.value_at("vsb-care-budget.amount", D("2022-12-31")).value == 130.0
    assert policies.value_at("vsb-care-budget.amount", D("2023-01-01")).value == 135.0
    assert policies.value_at("vsb-care-budget.amount", D("2024-01-01")).value == 140.0


def test_describe_reads_like_a_sentence(policies):
    text = policies.value_at(FEE, D("2024-06-01")).describe()
    assert text == f"{FEE} = EUR 81.74 [from 2023-01-01, source seed-002 (assumed)]"


def test_date_before_the_history_is_refused_clearly(policies):
    with pytest.raises(ResolveError) as err:
        policies.value_at(FEE, D("2021-08-31"))
    assert str(err.value) == f"{FEE}: no value on 2021-08-31: its history covers 2021-09-01 onwards"


def test_date_after_an_ended_history_is_refused(policies):
    dated = DatedValue("x.y", "EUR", (Entry(D("2020-01-01"), D("2020-12-31"), 1.0, source="seed-002", status="confirmed"),))
    assert dated.value_at(D("2020-12-31")).value == 1.0
    with pytest.raises(ResolveError, match=r"^x.y: no value on 2021-01-01: its history covers 2020-01-01 to 2020-12-31$"):
        dated.value_at(D("2021-01-01"))
    with pytest.raises(ResolveError, match="no value on 2021-01-01"):
        dated.on_dates(np.array(["2020-06-01", "2021-01-01"], dtype="datetime64[D]"))


def test_on_dates_agrees_with_value_at(policies):
    days = np.array(["2021-09-01", "2022-12-31", "2023-01-01", "2030-01-01"], dtype="datetime64[D]")
    values = policies.dated(FEE).on_dates(days)
    assert list(values) == [policies.value_at(FEE, d.astype(dt.date)).value for d in days]


def test_unknown_path_suggests_the_closest(policies):
    with pytest.raises(ResolveError, match=r"unknown parameter 'riziv-psy-2021.tariff.rows.individual.fe' "
                                           r"— did you mean 'riziv-psy-2021.tariff.rows.individual.fee'\?"):
        policies.value_at("riziv-psy-2021.tariff.rows.individual.fe", D("2024-01-01"))
    with pytest.raises(ResolveError, match="unknown policy 'cm-psychotherapie' — did you mean 'cm-psychotherapy'"):
        policies.doc("cm-psychotherapie")


def test_paths_name_list_items_by_id_and_conditions_by_field(policies):
    assert policies.value_at("riziv-psy-2021.copayment.rules.youth_free.when.age", D("2024-02-01")).value == 23
    assert policies.value_at("riziv-psy-2021.copayment.rules.youth_free.when.age", D("2024-01-31")).value is None
    assert policies.value_at("riziv-psy-2021.quota.networks.adults.bundles.fl.total", D("2024-01-01")).value == 13
    assert {d["id"] for d in policies.of_kind("convention")} == {"riziv-psy-2021"}


def test_cache_returns_the_same_object_while_files_are_unchanged(policy_copy):
    assert load_policies(policy_copy) is load_policies(policy_copy)
    assert load_policies(str(policy_copy)) is load_policies(policy_copy / ".." / "policy")


def test_cache_reloads_after_a_file_changes(policy_copy):
    first = load_policies(policy_copy)
    path = policy_copy / "vsb-care-budget.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    data["amount"]["history"][-1]["value"] = 141.5
    path.write_text(json.dumps(data, indent=2), encoding="utf-8")
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    second = load_policies(policy_copy)
    assert second is not first
    assert second.value_at("vsb-care-budget.amount", D("2024-06-01")).value == 141.5
    assert first.value_at("vsb-care-budget.amount", D("2024-06-01")).value == 140.0


def test_broken_folder_raises_every_problem(policy_copy):
    path = policy_copy / "riziv-psy-2021.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    data["tariff"]["rows"][0]["fee"]["history"][1]["from"] = "2024-13-01"
    path.write_text(json.dumps(data), encoding="utf-8")
    (policy_copy / "clb-collaboration.json").write_text("{", encoding="utf-8")
    with pytest.raises(PolicyError) as err:
        load_policies(policy_copy)
    assert [(p.file.rsplit("/", 1)[-1], p.where) for p in err.value.problems] == [
        ("clb-collaboration.json", "line 1 column 2"), ("riziv-psy-2021.json", "/tariff/rows/0/fee/history/1/from")]


def test_override_must_name_a_loaded_convention(policy_copy):
    path = policy_copy / "clb-collaboration.json"
    path.write_text(path.read_text(encoding="utf-8").replace('"applies_to": "riziv-psy-2021"',
                                                             '"applies_to": "riziv-psy-2024"'), encoding="utf-8")
    with pytest.raises(PolicyError, match=r"clb-collaboration.json: /applies_to: expected the id of a loaded "
                                          r"convention \(riziv-psy-2021\), found 'riziv-psy-2024' \(no loaded file\)"):
        load_policies(policy_copy)


def test_missing_folder(tmp_path: Path):
    with pytest.raises(PolicyError, match="expected a policy folder, found none"):
        load_policies(tmp_path / "nowhere")


def test_with_values_replaces_only_the_given_values(policies):
    changed = DatedValue(FEE, "EUR", (Entry(D("2021-09-01"), None, 90.0, source="scenario-hypothesis", status="assumed"),))
    variant = policies.with_values({FEE: changed}, "test", ("overlay",))
    assert variant.value_at(FEE, D("2022-06-01")).value == 90.0
    assert policies.value_at(FEE, D("2022-06-01")).value == 75.0
    assert (variant.scenario, variant.overlays, policies.scenario) == ("test", ("overlay",), "baseline")
    assert variant.docs is policies.docs and variant.sources is policies.sources
    unchanged = set(policies.values) - {FEE}
    assert all(variant.values[p] is policies.values[p] for p in unchanged)


def test_same_values_sets_sources_and_notes_aside(policies):
    import dataclasses

    entries = policies.dated(FEE).entries

    def variant(**changes) -> object:
        last = dataclasses.replace(entries[-1], **changes)
        return policies.with_values({FEE: DatedValue(FEE, "EUR", (*entries[:-1], last))}, "test", ())

    assert policies.same_values(variant(source="scenario-hypothesis", status="assumed", note="another note"))
    for changed in ({"value": 81.75}, {"start": entries[-1].start + dt.timedelta(days=1)}, {"end": D("2040-01-01")}):
        assert not policies.same_values(variant(**changed)), changed
    assert not policies.same_values(policies.with_values({FEE: DatedValue(FEE, "EUR cents", entries)}, "test", ()))


def test_value_command(capsys):
    assert main(["value", FEE, "2022-06-01"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == f"{FEE} = EUR 75.00 [from 2021-09-01 to 2022-12-31, source seed-004]"
    assert out[1].startswith("  source seed-004: ")


@pytest.mark.parametrize(("args", "message"), [
    ([FEE, "2021-08-31"], "error: riziv-psy-2021.tariff.rows.individual.fee: no value on 2021-08-31"),
    ([FEE, "2024-13-01"], "error: DATE: expected a date YYYY-MM-DD or DD/MM/YYYY, found '2024-13-01'"),
    (["riziv-psy-2021.tarif.rows.individual.fee", "2024-01-01"], "did you mean 'riziv-psy-2021.tariff.rows.individual.fee'"),
])
def test_value_command_refuses_with_one_line(capsys, args, message):
    assert main(["value", *args]) == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and message in err


def test_a_policy_id_is_its_file_name(policy_copy, monkeypatch):
    monkeypatch.chdir(policy_copy.parent)
    (policy_copy / "zz-copy.json").write_text((policy_copy / "cm-psychotherapy.json").read_text(encoding="utf-8"),
                                              encoding="utf-8")
    with pytest.raises(PolicyError) as err:
        load_policies(policy_copy)
    assert [str(p) for p in err.value.problems] == [
        "policy/zz-copy.json: /id: expected 'zz-copy' (the file name), found 'cm-psychotherapy'"]
