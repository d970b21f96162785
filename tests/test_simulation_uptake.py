"""Scenarios that change uptake: the baseline's patients stay as they are, the added ones are drawn on their own.

A scenario raising uptake is simulated as the baseline's patients (re-priced) plus the patients it
adds, drawn and evaluated apart; a scenario that also lowers uptake somewhere has a draw of its own.
Both must give exactly the tables of the scenario's whole draw (`Synthesizer.claims` with both layers).
"""

from __future__ import annotations

import shutil

import pandas as pd
import pytest
from conftest import POLICY_DIR
from test_simulation_properties import scenario_file

import engine.simulation.run as simulation_run
from engine.policy.policies import load_policies
from engine.policy.regions import load_regions
from engine.policy.scenarios import list_scenarios
from engine.simulation.impact import impact_of
from engine.simulation.projection import for_year
from engine.simulation.run import MONEY_COLUMNS, run_one, simulate
from engine.simulation.synthetic import Draw, Synthesizer

REGIONS = ["luxemburg", "waals_brabant"]


def uptake(factor: float, ages: list[int], what: str = "uptake") -> dict:
    return {"what": what, "from": "2027-01-01", "factor": factor, "ages": ages, "source": "scenario-hypothesis",
            "status": "assumed"}


CHANGES = {
    "more-young": [uptake(1.3, [18, 30])],
    "more-outside": [uptake(1.5, [0, 120], "outside_uptake")],
    "fewer-old": [uptake(0.7, [50, 120])],
    "more-and-fewer": [uptake(1.4, [10, 20]), uptake(0.8, [60, 70])],
    "more-and-none": [uptake(1.4, [10, 20]), uptake(0.0, [60, 70])],
}


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    root = tmp_path_factory.mktemp("uptake") / "policy"
    shutil.copytree(POLICY_DIR, root)
    for name, changes in CHANGES.items():
        scenario_file(root / "scenarios", name, changes)
    return root


@pytest.fixture(scope="module")
def policies(folder):
    return load_policies(folder)


def whole_draws(monkeypatch) -> None:
    """Every scenario that changes uptake simulated on its own whole draw, as `run_one` does."""
    monkeypatch.setattr(simulation_run._State, "_added", lambda self, scenario, cohort: None)


ADDS_ONLY = {"more-young": True, "more-outside": True, "fewer-old": False, "more-and-fewer": False,
             "more-and-none": False, "free-until-25-uptake": True}
"""Whether a scenario only adds patients (its added patients are drawn apart), or also removes some (its own draw)."""


@pytest.mark.parametrize("name", ADDS_ONLY)
def test_added_patients_give_the_tables_of_the_whole_draw(policies, name, monkeypatch):
    drawn = []
    added_to = simulation_run._State._added
    monkeypatch.setattr(simulation_run._State, "_added", lambda self, scenario, cohort: drawn.append(
        added_to(self, scenario, cohort)) or drawn[-1])
    added = simulate(policies, ["copay-15", name], regions=REGIONS, year=2027, seed=5, workers=1, patients=True,
                     by=["age_band", "network"])
    assert [d is not None for d in drawn] == [ADDS_ONLY[name]]  # the way taken: added patients apart, or its own draw
    whole_draws(monkeypatch)
    whole = simulate(policies, ["copay-15", name], regions=REGIONS, year=2027, seed=5, workers=1, patients=True,
                     by=["age_band", "network"])
    pd.testing.assert_frame_equal(added.results, whole.results)
    pd.testing.assert_frame_equal(added.drivers, whole.drivers)
    pd.testing.assert_frame_equal(added.breakdown, whole.breakdown)
    for scenario in added.patients:
        pd.testing.assert_frame_equal(added.patients[scenario], whole.patients[scenario])
    one = run_one(policies, name, year=2027, seed=5, regions=REGIONS)
    pd.testing.assert_frame_equal(one.results, added.results[added.results["scenario"] == name].reset_index(drop=True))


@pytest.mark.parametrize("name", ["more-young", "more-outside"])
def test_raising_uptake_keeps_every_baseline_patient_as_they_are(policies, name):
    sim = simulate(policies, [name], regions=REGIONS, year=2027, seed=2, workers=1, patients=True)
    base, more = sim.patients["baseline"], sim.patients[name]
    assert len(more) > len(base)
    kept = more[more["patient_id"].isin(base["patient_id"])].reset_index(drop=True)
    pd.testing.assert_frame_equal(kept, base)  # no policy change: the same year for every baseline patient
    applied, data = for_year(policies, load_regions(policies.root), 2027)
    synthesizer = Synthesizer(applied, data, Draw(2027, 2, data.reference_day))
    baseline_claims = synthesizer.claims(sim.scenarios[0], REGIONS)[0]
    first_layer = synthesizer.claims(sim.scenarios[1], REGIONS, (0,))[0]
    pd.testing.assert_frame_equal(first_layer, baseline_claims)
    assert not synthesizer.lowered


def test_lowering_uptake_keeps_only_baseline_patients(policies):
    sim = simulate(policies, ["fewer-old"], regions=REGIONS, year=2027, seed=2, workers=1, patients=True)
    base, fewer = sim.patients["baseline"], sim.patients["fewer-old"]
    assert fewer["patient_id"].isin(base["patient_id"]).all()
    younger = base["age"] < 50  # the age on the reference day, by which uptake is given
    assert base.loc[younger, "patient_id"].isin(fewer["patient_id"]).all()
    assert 0.6 < base.loc[~younger, "patient_id"].isin(fewer["patient_id"]).mean() < 0.8


def test_money_only_gives_the_money_columns_of_every_scenario(policies, folder):
    """Every way a scenario is simulated (its own evaluation, re-priced, added patients apart, its own draw), in money
    only, on two workers."""
    names = [s.name for s in list_scenarios(folder) if s.name != "baseline"]
    full = simulate(policies, names, regions=REGIONS, year=2027, seed=3, drivers=False)
    lean = simulate(policies, names, regions=REGIONS, year=2027, seed=3, money_only=True)
    pd.testing.assert_frame_equal(lean.results, full.results[MONEY_COLUMNS])


@pytest.mark.parametrize(("names", "dims"), [
    ("all", ("age_band",)), ("all", ()), (["adult-quota-10"], ("region", "increased")), (["fewer-old"], ("age_band",))])
@pytest.mark.parametrize("workers", [1, 2])
def test_impact_made_where_each_scenario_runs_equals_the_impact_of_the_per_patient_tables(policies, folder, names,
                                                                                          dims, workers, monkeypatch):
    """Every way a scenario is simulated, with the baseline's evaluation shared by the workers (made where each
    scenario runs) or not (made here from the per-patient tables they send)."""
    if names == "all":
        names = [s.name for s in list_scenarios(folder) if s.name != "baseline"]
    kept = simulate(policies, names, regions=REGIONS, year=2027, seed=4, drivers=False, patients=True, workers=workers)
    made_here: list[str] = []  # the impact tables made in this process (a worker's list is its own)
    made_by = simulation_run.impact_table
    monkeypatch.setattr(simulation_run, "impact_table", lambda *a: made_here.append(a[-1]) or made_by(*a))
    made = simulate(policies, names, regions=REGIONS, year=2027, seed=4, drivers=False, impact=dims, workers=workers)
    pd.testing.assert_frame_equal(made.impact, impact_of(kept, dims))
    shared = names != ["adult-quota-10"]  # its own evaluation: the baseline's is not made before the workers start
    assert sorted(made_here) == ([] if workers == 2 and shared else sorted(names))
    assert made.patients is None
    assert simulate(policies, [], regions=REGIONS, year=2027, seed=4, drivers=False, impact=dims).impact is None


def test_twins_share_one_re_pricing_and_leave_none_behind(policies, monkeypatch):
    """The scenarios that only change uptake are re-priced alike from the baseline (twins). Those that only raise it
    take one re-pricing, in one task, which none keeps once the task is done; those that may lower it draw their own
    patients (when they do) and run as tasks of their own, side by side."""
    names = list(CHANGES)
    left, repriced = [], []
    run_all, reprice = simulation_run._State.run_all, simulation_run.reprice
    monkeypatch.setattr(simulation_run._State, "run_all", lambda self, task: run_all(self, task) if not left.append(
        (task, self)) else None)
    monkeypatch.setattr(simulation_run, "reprice", lambda *a: repriced.append(a[2].scenario) or reprice(*a))
    simulate(policies, names, regions=REGIONS, year=2027, seed=4, drivers=False, workers=1)
    tasks = sorted(task for task, _ in left)
    raising = (names.index("more-young") + 1, names.index("more-outside") + 1)
    assert tasks == sorted([(0,), raising, *((j,) for j in range(1, len(names) + 1) if j not in raising)])
    assert len(repriced) == 1 and not left[0][1].repriced
