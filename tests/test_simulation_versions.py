"""A convention version that takes over mid-year: the year simulates, each session priced by its own version."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from engine.policy.policies import load_policies
from engine.simulation.run import simulate

OLD, NEW = "riziv-psy-2021", "riziv-psy-2027"
TAKEOVER = "2027-04-01"


def _from_takeover(node):
    """Every dated history of a document reduced to its last entry, starting on the takeover day."""
    if isinstance(node, dict):
        if "history" in node:
            node["history"] = [{**node["history"][-1], "from": TAKEOVER}]
        for value in node.values():
            _from_takeover(value)
    elif isinstance(node, list):
        for value in node:
            _from_takeover(value)


@pytest.fixture
def folders(policy_copy: Path, tmp_path: Path) -> tuple[Path, Path]:
    """The bundled policies without their projection (fees as the files state them), and the same with a second
    convention version from 2027-04-01 whose fees are 10 % higher."""
    shutil.rmtree(policy_copy / "projection")
    one = tmp_path / "one-version"
    shutil.copytree(policy_copy, one)
    path = policy_copy / f"{OLD}.json"
    old = json.loads(path.read_text())
    new = json.loads(json.dumps(old))
    old["valid"]["to"] = "2027-03-31"
    path.write_text(json.dumps(old))
    new.update(id=NEW, version=TAKEOVER, valid={"from": TAKEOVER, "source": "scenario-hypothesis", "status": "assumed"})
    _from_takeover(new)
    for row in new["tariff"]["rows"]:
        row["fee"]["history"][0]["value"] = round(row["fee"]["history"][0]["value"] * 1.1, 2)
    (policy_copy / f"{NEW}.json").write_text(json.dumps(new))
    return one, policy_copy


def test_a_year_with_a_new_version_from_april_simulates_with_both(folders):
    one, two = (load_policies(folder) for folder in folders)
    sim = simulate(two, regions=["luxemburg"], year=2027, workers=1)
    lines = sim.drivers
    fees = lines[lines["kind"] == "fee"]
    individual = fees[fees["path"].str.endswith("tariff.rows.individual.fee")].set_index("path")
    old_fee = one.value_at(f"{OLD}.tariff.rows.individual.fee", dt.date(2027, 3, 31)).value
    assert individual.loc[f"{OLD}.tariff.rows.individual.fee", "value"] == old_fee
    assert individual.loc[f"{NEW}.tariff.rows.individual.fee", "value"] == round(old_fee * 1.1, 2)
    # about a quarter of the year's sessions fall before the takeover
    share = individual["count"] / individual["count"].sum()
    assert 0.15 < share.loc[f"{OLD}.tariff.rows.individual.fee"] < 0.35
    assert set(lines.loc[lines["kind"] == "care_path_fee", "path"]) == {
        f"{OLD}.premiums.care_path_fee.amount", f"{NEW}.premiums.care_path_fee.amount"}
    same = simulate(one, regions=["luxemburg"], year=2027, workers=1)
    seen = ["sessions", "refused_quota", "refused_other"]
    assert sim.results[seen].sum(axis=1).equals(same.results[seen].sum(axis=1)), "the same sessions are evaluated"
    ratio = sim.result("baseline", "provider_income") / same.result("baseline", "provider_income")
    assert 1.05 < ratio < 1.1
    signed = lines["amount"] * lines["kind"].map({"fee": 1, "copay": -1, "care_path_fee": 1})
    assert np.isclose(signed.sum(), sim.result("baseline", "insurer_cost"), atol=0.005)
