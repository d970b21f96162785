"""Winners and losers: the right people gain or lose under each reform, and the national rows equal `simulate`'s."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from carepolicy.cli import main
from engine.dates import ages_on
from engine.evaluate.vectorized import evaluate_vectorized
from engine.policy.files import PACKAGE_ROOT
from engine.policy.regions import load_regions
from engine.policy.scenarios import BASELINE
from engine.simulation.impact import CHANGES, IMPACT_METRICS, impact, impact_band, impact_of, patient_changes
from engine.simulation.run import national, simulate
from engine.simulation.synthetic import Draw, Synthesizer

REFERENCE = load_regions(PACKAGE_ROOT / "policy").reference_day

REGION = ["luxemburg"]
YEAR = 2027


def cents(values) -> np.ndarray:
    return np.round(np.asarray(values, dtype=float) * 100).astype(np.int64)


@pytest.fixture(scope="module")
def runs(policies):
    return simulate(policies, ["copay-15", "free-until-25"], regions=REGION, year=YEAR, workers=1, patients=True)


def changes(sim, scenario: str) -> pd.DataFrame:
    return patient_changes(sim.patients[BASELINE], sim.patients[scenario])


def year_claims(sim, scenario: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The scenario's synthetic claims of the year, covered by the convention, with their evaluation."""
    claims, _ = Synthesizer(sim.policies[scenario], sim.regions, Draw(YEAR, sim.seed, REFERENCE)).claims(sim.scenarios[0], REGION)
    evaluated = evaluate_vectorized(claims, sim.policies[scenario])
    day = claims["session_date"].to_numpy().astype("datetime64[D]")
    draw = Draw(YEAR, sim.seed, REFERENCE)
    keep = (day >= draw.first) & (day <= draw.last) & evaluated["covered"].to_numpy(bool) & (claims["network"] != "")
    return claims[keep], evaluated[keep]


def test_copay_15_makes_no_one_better_off_and_its_losers_pay_the_individual_copayment(runs):
    moved = changes(runs, "copay-15")
    change = moved["out_of_pocket"].to_numpy()
    assert (change >= -1).all(), "no one is better off"
    losers = set(moved.loc[change > 1, "patient_id"])
    assert len(losers) > 100
    claims, evaluated = year_claims(runs, "copay-15")
    individual = evaluated["rule"].to_numpy(object) == "individual"
    payers = claims.loc[individual & (claims["network"] == "adults").to_numpy(), "patient_id"]
    assert losers <= set(payers)
    assert not (moved.loc[change > 1, "increased"] == "yes").any()
    row = impact_of(runs).set_index("scenario").loc["copay-15"]
    assert row["better_off"] == 0 and row["worse_off"] == len(losers)
    assert row["mean_change_worse_off"] == pytest.approx(change[change > 1].mean() / 100, abs=0.005)


def test_free_until_25_makes_no_one_worse_off_and_its_winners_are_24_or_25(runs):
    moved = changes(runs, "free-until-25")
    change = moved["out_of_pocket"].to_numpy()
    assert (change <= 1).all(), "no one is worse off"
    winners = set(moved.loc[change < -1, "patient_id"])
    assert len(winners) > 100
    claims, _ = year_claims(runs, "free-until-25")
    age = ages_on(claims["birth_date"].to_numpy().astype("datetime64[D]"),
                  claims["session_date"].to_numpy().astype("datetime64[D]"))
    aged = set(claims.loc[(age >= 24) & (age <= 25), "patient_id"])
    assert winners <= aged
    by_band = impact_of(runs, ["age_band"]).set_index(["scenario", "age_band"]).loc["free-until-25"]
    assert by_band["worse_off"].sum() == 0
    assert by_band["better_off"].idxmax() == "24-25"
    assert by_band.loc[["0-14", "15-17", "45-64", "65+"], "better_off"].sum() == 0


@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**31 - 1),
       scenario=st.sampled_from(["copay-15", "adult-quota-10", "free-until-25-uptake", "index-2pct"]),
       dims=st.lists(st.sampled_from(["region", "age_band", "network", "care", "increased", "mutuality"]),
                     max_size=2, unique=True))
def test_national_rows_equal_the_differences_of_simulate_to_the_cent(policies, seed, scenario, dims):
    sim = simulate(policies, [scenario], regions=["luxemburg", "namen"], seed=seed, workers=1, patients=True)
    nation = national(sim.results).set_index("scenario")
    table = impact_of(sim, dims)
    for metric, column in CHANGES.items():
        expected = cents([nation.loc[scenario, metric] - nation.loc[BASELINE, metric]])[0]
        assert cents(table[column]).sum() == expected, column
    assert (table["better_off"] + table["worse_off"] + table["unchanged"] == table["patients"]).all()
    assert table["patients"].sum() == len(patient_changes(sim.patients[BASELINE], sim.patients[scenario]))


def test_a_patient_only_drawn_under_the_scenario_counts_from_zero(policies):
    sim = simulate(policies, ["free-until-25-uptake"], regions=REGION, workers=1, patients=True)
    base, more = sim.patients[BASELINE], sim.patients["free-until-25-uptake"]
    new = set(more["patient_id"]) - set(base["patient_id"])
    assert new
    moved = patient_changes(base, more).set_index("patient_id")
    one = next(iter(new))
    assert moved.loc[one, "sessions"] == more.set_index("patient_id").loc[one, "sessions"]


def test_several_seeds_give_a_band(policies):
    table = impact(policies, ["copay-15"], regions=REGION, year=YEAR, seeds=2)
    assert list(table.columns) == ["seed", "scenario", *IMPACT_METRICS]
    assert list(table["seed"]) == [1, 2]
    bands = impact_band(table).set_index(["scenario", "metric"])
    row = bands.loc[("copay-15", "worse_off")]
    assert row["low"] <= row["mean"] <= row["high"] and row["low"] < row["high"]
    assert bands.loc[("copay-15", "better_off"), "high"] == 0


def test_impact_command_prints_and_writes(tmp_path, capsys):
    assert main(["impact", "-s", "copay-15", "-r", "luxemburg", "--year", "2027", "--by", "increased"]) == 0
    out = capsys.readouterr().out
    assert "Impact in 2027 against the baseline, by increased" in out and "\ntotal" in out
    assert main(["impact", "-s", "copay-15", "-r", "luxemburg", "--year", "2027"]) == 0
    national_line = next(line for line in capsys.readouterr().out.splitlines() if line.startswith("national"))
    total_line = next(line for line in out.splitlines() if line.startswith("total"))
    assert total_line.split()[1:] == national_line.split()[1:]  # the total of the groups is the national line, to the cent
    target = tmp_path / "impact.csv"
    assert main(["impact", "-s", "free-until-25", "-r", "luxemburg", "-o", str(target)]) == 0
    table = pd.read_csv(target)
    assert list(table.columns) == ["scenario", *IMPACT_METRICS]
    assert table.loc[0, "worse_off"] == 0 and table.loc[0, "better_off"] > 0
    text = pd.read_csv(target, dtype=str).loc[0]
    assert all(len(text[c].split(".")[1]) == 2 for c in ["out_of_pocket_change", "mean_change_better_off"])


def test_impact_mistakes_are_one_line(capsys):
    assert main(["impact", "-s", "copay-15", "-r", "luxemburg", "--by", "age"]) == 2
    err = capsys.readouterr().err
    assert err == ("error: by: unknown dimension 'age' — did you mean 'age_band'? "
                   "(known: region, age_band, network, care, increased, mutuality)\n")
    assert main(["impact", "-s", "baseline", "-r", "luxemburg"]) == 2
    assert "expected a scenario other than 'baseline'" in capsys.readouterr().err
