"""Microsimulation: reproducible, responsive to scenarios in the right direction, calibrated, and exact in its drivers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from engine.errors import CarePolicyError
from engine.policy.files import PACKAGE_ROOT
from engine.policy.regions import load_regions
from engine.simulation.patients import COMPARED
from engine.simulation.run import METRICS, national, result_columns, simulate
from engine.simulation.synthetic import Draw, Synthesizer
from engine.simulation.totals import _check

REFERENCE = load_regions(PACKAGE_ROOT / "policy").reference_day

SMALL = ["luxemburg", "waals_brabant"]


@pytest.fixture(scope="module")
def small(policies):
    return simulate(policies, ["copay-15", "adult-quota-10", "free-until-25", "index-2pct", "free-until-25-uptake"],
                    regions=SMALL, year=2027)


def total(sim, scenario, metric):
    return sim.result(scenario, metric)


def test_tables_have_the_documented_columns(small, policies):
    columns = result_columns(policies)
    assert list(small.results.columns) == columns
    assert set(columns[2:]) == {*METRICS, "sessions_first_line", "sessions_specialised"} == set(small.metrics)
    assert columns.index("sessions_first_line") == columns.index("sessions_group") + 1
    assert list(small.results["scenario"].unique()) == ["baseline", "copay-15", "adult-quota-10", "free-until-25",
                                                        "index-2pct", "free-until-25-uptake"]
    assert list(small.results["region"].unique()) == SMALL


def test_same_seed_same_tables_and_workers_do_not_matter(policies, small):
    again = simulate(policies, ["copay-15", "adult-quota-10", "free-until-25", "index-2pct", "free-until-25-uptake"],
                     regions=SMALL, year=2027, workers=1)
    assert again.results.equals(small.results)
    assert again.drivers.equals(small.drivers)


def test_a_run_without_drivers_or_with_patients_has_the_same_results(policies, small):
    lean = simulate(policies, ["copay-15", "adult-quota-10", "free-until-25", "index-2pct", "free-until-25-uptake"],
                    regions=SMALL, year=2027, drivers=False, patients=True)
    assert lean.drivers is None
    assert lean.results.equals(small.results)
    person = ["patient_id", "region", "age", "network", "care", "increased", "mutuality"]
    assert {list(t.columns) == [*person, *COMPARED] for t in lean.patients.values()} == {True}


def test_another_seed_draws_other_patients(policies, small):
    other = simulate(policies, regions=SMALL, year=2027, seed=2)
    assert total(other, "baseline", "sessions") != total(small, "baseline", "sessions")


def test_higher_copayment_lowers_insurer_cost_and_raises_copayments(small):
    assert total(small, "copay-15", "insurer_cost") < total(small, "baseline", "insurer_cost")
    assert total(small, "copay-15", "patient_copay") > total(small, "baseline", "patient_copay")
    assert total(small, "copay-15", "sessions") == total(small, "baseline", "sessions")


def test_higher_cap_covers_more_sessions_and_refuses_fewer(small):
    assert total(small, "adult-quota-10", "sessions") > total(small, "baseline", "sessions")
    assert total(small, "adult-quota-10", "refused_quota") < total(small, "baseline", "refused_quota")


def test_free_care_until_25_lowers_copayments(small):
    assert total(small, "free-until-25", "patient_copay") < total(small, "baseline", "patient_copay")
    assert total(small, "free-until-25", "insurer_cost") > total(small, "baseline", "insurer_cost")


def test_indexed_fees_raise_provider_income_by_about_two_percent(small):
    ratio = total(small, "index-2pct", "provider_income") / total(small, "baseline", "provider_income")
    assert 1.015 < ratio < 1.025


def test_more_uptake_keeps_every_baseline_patient(policies):
    """Common random numbers: a scenario raising uptake adds patients to the baseline's draw, and changes nothing of
    the baseline's sessions (their groups included)."""
    draw, sim = Draw(2027, 1, REFERENCE), simulate(policies, ["free-until-25-uptake"], regions=["luxemburg"], workers=1)
    base, more = (Synthesizer(sim.policies[s.id], sim.regions, draw).claims(s, ["luxemburg"])[0] for s in sim.scenarios)
    assert len(more) > len(base)
    key = ["patient_id", "session_date", "birth_date", "kind", "network", "care", "group_id", "co_lead"]
    merged = base[key].astype(str).merge(more[key].astype(str), how="left", indicator=True)
    assert (merged["_merge"] == "both").all()
    assert total(sim, "free-until-25-uptake", "patients") > total(sim, "baseline", "patients")


def test_drivers_rebuild_the_money_to_the_cent(small):
    d = small.drivers
    sign = d["kind"].map({"fee": 1, "copay": -1, "care_path_fee": 1})
    for (scenario, region), rows in d.groupby(["scenario", "region"]):
        result = small.results[(small.results["scenario"] == scenario) & (small.results["region"] == region)].iloc[0]
        assert round((rows["amount"] * sign[rows.index]).sum(), 2) == pytest.approx(result["insurer_cost"], abs=0.005)
        assert round(rows.loc[rows["kind"] == "copay", "amount"].sum(), 2) == pytest.approx(result["patient_copay"],
                                                                                            abs=0.005)
    copay15 = d[(d["scenario"] == "copay-15") & d["path"].str.endswith("copayment.rules.individual.amount")]
    assert set(copay15["value"]) == {15.0}


@pytest.mark.parametrize("column", ["insurer_cost", "patient_copay", "provider_income"])
def test_drivers_a_cent_off_are_a_defect(small, column):
    """The aggregation checks its own drivers: lines that miss a money column by a cent in one region stop the run."""
    results = small.results[small.results["scenario"] == "copay-15"].reset_index(drop=True)
    drivers = small.drivers[small.drivers["scenario"] == "copay-15"].reset_index(drop=True)
    _check(results, drivers)
    off = results.copy()
    off.loc[1, column] += 0.01
    with pytest.raises(AssertionError, match=column):
        _check(off, drivers)
    elsewhere = drivers.iloc[[0]].assign(region="elsewhere", count=0, amount=0.0)  # of a region the results lack
    with pytest.raises(AssertionError):
        _check(results, pd.concat([drivers, elsewhere], ignore_index=True))


def test_money_is_consistent_per_region(small):
    r = small.results
    assert np.allclose(r["insurer_cost"], r["provider_income"] - r["patient_copay"] + r["care_path_fees"], atol=0.01)
    assert (r["sessions"] == r["sessions_individual"] + r["sessions_group"]).all()
    assert (r["sessions"] == r["sessions_first_line"] + r["sessions_specialised"]).all()
    assert np.allclose(r["cost_per_inhabitant"], r["insurer_cost"] / r["population"], atol=0.005)


def test_unknown_scenario_and_region_are_named(policies):
    with pytest.raises(CarePolicyError, match="did you mean 'copay-15'"):
        simulate(policies, ["copay15"], regions=["luxemburg"])
    with pytest.raises(CarePolicyError, match="unknown region 'Antwrp'.*antwerpen"):
        simulate(policies, regions=["Antwrp"])
    with pytest.raises(CarePolicyError, match="year: expected a year in which a convention is in force on 1 July.*"
                                              "starts 2021-09-01.*found 2019"):
        simulate(policies, regions=["luxemburg"], year=2019)
    with pytest.raises(CarePolicyError, match="^year: expected a year of four digits, found 20277$"):
        simulate(policies, regions=["luxemburg"], year=20277)


def test_2024_baseline_reproduces_the_published_figures(policies):
    sim = simulate(policies, year=2024)
    nation = national(sim.results).iloc[0]
    patients = sim.regions.target("patients-2024").value
    per_path = sim.regions.target("sessions-per-care-path").value
    assert abs(nation["patients"] / patients - 1) < 0.05
    assert abs(nation["sessions_per_care_path"] / per_path - 1) < 0.05


def test_every_convention_session_of_the_year_is_covered_or_refused(policies, small):
    """No refused session drops out of the tables: covered + refused (quota) + refused (other) = all sessions."""
    draw = Draw(2027, 1, REFERENCE)
    baseline = small.scenarios[0]
    claims, _ = Synthesizer(small.policies["baseline"], small.regions, draw).claims(baseline, SMALL)
    day = claims["session_date"].to_numpy().astype("datetime64[D]")
    in_year = (day >= draw.first) & (day <= draw.last) & (claims["network"] != "").to_numpy()
    rows = small.results[small.results["scenario"] == "baseline"]
    assert (rows["sessions"] + rows["refused_quota"] + rows["refused_other"]).sum() == in_year.sum()
    assert rows["refused_other"].sum() > 0
