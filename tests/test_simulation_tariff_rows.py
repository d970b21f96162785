"""The simulation's cost drivers follow the tariff rows the evaluator applied, not a row looked up once.

A convention whose individual fee depends on the patient's age (a row for those under 18 before the
general row) validates; its simulation then has a fee line per applied row, and the lines add up to
the provider income and the insurer cost.
"""

from __future__ import annotations

import json
import shutil

from conftest import POLICY_DIR

from engine.policy.policies import load_policies
from engine.policy.validation import validate
from engine.simulation.run import simulate

YOUTH = {"id": "individual_youth", "label": "individual session, under 18",
         "when": {"all": [{"field": "kind", "op": "==", "value": "individual"},
                          {"field": "age", "op": "<", "value": 18}]},
         "fee": {"unit": "EUR", "history": [{"from": "2021-09-01", "value": 80.0, "source": "seed-004",
                                             "status": "assumed"}]}}


def test_a_fee_chosen_by_age_has_its_own_driver_line(tmp_path):
    folder = tmp_path / "policy"
    shutil.copytree(POLICY_DIR, folder)
    path = folder / "riziv-psy-2021.json"
    doc = json.loads(path.read_text())
    doc["tariff"]["rows"].insert(0, YOUTH)
    path.write_text(json.dumps(doc))
    assert [p for report in validate([folder]) for p in report.problems] == []
    sim = simulate(load_policies(folder), year=2027, regions=["luxemburg"], workers=1)
    fees = sim.drivers[sim.drivers["kind"] == "fee"]
    youth = fees[fees["line"] == "fee: individual session, under 18"]
    assert youth["count"].sum() > 0 and set(youth["value"]) == {80.0}
    assert round(fees["amount"].sum(), 2) == round(sim.results["provider_income"].sum(), 2)
