"""Breakdowns of a simulation: every grouping adds up to the national totals to the cent; bands come from the data."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from carepolicy.cli import main
from engine.errors import CarePolicyError
from engine.policy.policies import load_policies
from engine.simulation.breakdown import metric_table, parse_by
from engine.simulation.dimensions import DIMENSIONS
from engine.simulation.run import METRICS, national, run_one, simulate
from engine.simulation.totals import network_caps

PAIR = ["luxemburg", "waals_brabant"]
SUMS = [m for m, x in METRICS.items() if x.total == "sum" and m != "population"]
FEW = settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def cents(values) -> np.ndarray:
    return np.round(np.asarray(values, dtype=float) * 100).astype(np.int64)


@FEW
@given(seed=st.integers(0, 2**31 - 1), scenario=st.sampled_from(["copay-15", "adult-quota-10", "free-until-25-uptake"]),
       dims=st.lists(st.sampled_from(list(DIMENSIONS)), min_size=1, max_size=3, unique=True))
def test_every_breakdown_adds_up_to_the_national_totals_to_the_cent(policies, seed, scenario, dims):
    sim = simulate(policies, [scenario], regions=PAIR, seed=seed, workers=1, by=dims)
    nation = national(sim.results).set_index("scenario")
    for name, rows in sim.breakdown.groupby("scenario", sort=False):
        assert not rows.duplicated(dims).any()
        for metric in SUMS:
            assert cents(rows[metric]).sum() == cents([nation.loc[name, metric]])[0], metric
        # the groups' ratios are rounded to 0.01 (their weighted mean is within 0.005 of the true ratio); the national
        # one is the weighted mean of the regions' rounded ratios, rounded again (within 0.01): 0.015 apart at most
        paths = rows["care_paths"].sum()
        weighted = (rows["sessions_per_care_path"] * rows["care_paths"]).sum() / paths
        assert weighted == pytest.approx(nation.loc[name, "sessions_per_care_path"], abs=0.015)


def test_population_breakdowns_list_every_group_with_its_inhabitants(policies):
    sim = simulate(policies, regions=PAIR, workers=1, by=["region", "age_band"])
    rows = sim.breakdown
    bands = list(sim.regions.policy_bands)
    assert bands == ["0-14", "15-17", "18-23", "24-25", "26-44", "45-64", "65+"]
    assert list(rows["region"]) == [r for r in PAIR for _ in bands]
    assert list(rows["age_band"]) == bands * len(PAIR)
    assert rows["population"].sum() == pytest.approx(sim.results["population"].sum(), abs=len(rows))
    assert (rows["cost_per_inhabitant"] > 0).all()


def test_other_dimensions_have_no_population(policies):
    rows = simulate(policies, regions=["luxemburg"], workers=1, by=["network", "care"]).breakdown
    assert rows["population"].isna().all() and rows["cost_per_inhabitant"].isna().all()
    assert {"children", "adults"} <= set(rows["network"])
    # members reimbursed outside the convention only: no network, no care type, no convention money
    outside = rows[rows["network"] == "none"]
    assert list(outside["care"]) == ["none"] and outside["insurer_cost"].sum() == 0
    assert outside["supplements"].sum() > 0


def test_age_bands_are_read_from_the_region_data(policy_copy):
    path = policy_copy / "regions" / "utilisation-be.json"
    doc = json.loads(path.read_text())
    doc["policy_bands"] = [{"id": "young", "ages": [0, 29]}, {"id": "older", "ages": [30, 99]}]
    path.write_text(json.dumps(doc))
    run = run_one(load_policies(policy_copy), year=2027, regions=["luxemburg"])
    rows = run.by(["age_band"])
    assert list(rows["age_band"]) == ["young", "older"]
    young = run.patients["age"] <= 29
    assert rows["patients"].iloc[0] == run.patients.loc[young, "patients"].sum()


def test_one_run_is_the_simulation_of_its_scenario(policies):
    sim = simulate(policies, ["copay-15"], regions=["luxemburg"], workers=1)
    one = run_one(policies, "copay-15", regions=["luxemburg"])
    assert one.results.equals(sim.results[sim.results["scenario"] == "copay-15"].reset_index(drop=True))
    assert one.patients["patient_id"].is_unique
    assert one.patients["patients"].sum() == one.results["patients"].sum()


class _Nobody:
    """Region data in which one region has no inhabitants (a population file may say so)."""

    def __init__(self, data, region: str):
        self._data, self._region = data, region

    def __getattr__(self, name: str):
        return getattr(self._data, name)

    def population(self, region=None, ages=None) -> float:
        return 0.0 if region == self._region else self._data.population(region, ages)


def test_a_region_without_inhabitants_has_no_cost_per_inhabitant_and_no_warning(policies):
    run = run_one(policies, "copay-15", year=2027, regions=["luxemburg", "namen"])
    _, data, region_ids, draw = run._context
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nothing on stderr
        table = metric_table(run.patients, ("region",), _Nobody(data, "luxemburg"), region_ids,
                             network_caps(run._context[0], draw), ["population", "insurer_cost", "cost_per_inhabitant"])
    rows = table.set_index("region")
    assert rows.loc["luxemburg", "population"] == 0 and rows.loc["luxemburg", "insurer_cost"] > 0
    assert rows.loc["luxemburg", "cost_per_inhabitant"] == np.inf
    assert rows.loc["namen", "cost_per_inhabitant"] == run.results.set_index("region").loc["namen", "cost_per_inhabitant"]


def test_unknown_dimension_is_named_with_a_suggestion(capsys):
    with pytest.raises(CarePolicyError) as caught:
        parse_by("region,agebands")
    assert str(caught.value) == ("by: unknown dimension 'agebands' — did you mean 'age_band'? "
                                 "(known: region, age_band, network, care, increased, mutuality)")
    assert parse_by(" Region , network,region") == ("region", "network")
    assert main(["simulate", "-r", "luxemburg", "--by", "netwrk"]) == 2
    assert "did you mean 'network'?" in capsys.readouterr().err


def test_simulate_by_writes_and_prints_the_groups(tmp_path, capsys):
    target = tmp_path / "by.csv"
    assert main(["simulate", "-r", "luxemburg", "-s", "copay-15", "--by", "increased", "-o", str(target)]) == 0
    table = pd.read_csv(target)
    assert list(table.columns[:2]) == ["scenario", "increased"]
    assert list(table["increased"]) == ["no", "yes", "no", "yes"]
    assert main(["simulate", "-r", "luxemburg", "--by", "care"]) == 0
    out = capsys.readouterr().out
    assert "by care" in out and "first_line" in out and "specialised" in out and "\ntotal" in out
