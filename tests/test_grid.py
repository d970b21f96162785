"""Grids of runs: several years priced by the policies in force, identical tables whatever the executor, clear errors."""

from __future__ import annotations

import pandas as pd
import pytest
from distributed import LocalCluster

from carepolicy.cli import main
from engine.errors import InputError
from engine.simulation.grid import points, run_grid
from engine.simulation.years import simulate_years, year_range

REGION = ["luxemburg"]


@pytest.fixture(scope="module")
def two_years(policies):
    """2026 and 2027 (the bundled scenarios start on 2027-01-01), two seeds, run in this process."""
    return run_grid(policies, ["copay-15", "index-2pct"], points([2026, 2027], [1, 2]), regions=REGION, executor="pool")


def national(table: pd.DataFrame, year: int, seed: int, scenario: str, metric: str = "insurer_cost") -> float:
    rows = table[(table["year"] == year) & (table["seed"] == seed) & (table["scenario"] == scenario)]
    return float(rows[metric].sum())


def test_each_year_is_priced_by_the_policies_in_force_on_its_dates(two_years):
    for seed in (1, 2):
        base26, base27 = (national(two_years, y, seed, "baseline") for y in (2026, 2027))
        assert national(two_years, 2026, seed, "copay-15") == base26  # the reform starts in 2027
        assert national(two_years, 2026, seed, "index-2pct") == base26
        assert national(two_years, 2027, seed, "copay-15") < base27
        assert national(two_years, 2027, seed, "index-2pct") > base27


def test_same_seed_same_table_and_another_seed_another(policies, two_years):
    again = run_grid(policies, ["copay-15", "index-2pct"], points([2027], [2]), regions=REGION, executor="pool")
    pd.testing.assert_frame_equal(again, two_years[two_years["year"].eq(2027) & two_years["seed"].eq(2)]
                                  .reset_index(drop=True))
    assert national(two_years, 2027, 1, "baseline") != national(two_years, 2027, 2, "baseline")


def test_a_local_cluster_of_threads_gives_the_same_table(policies, two_years):
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None) as cluster:
        on_dask = run_grid(policies, ["copay-15", "index-2pct"], points([2026, 2027], [1, 2]), regions=REGION,
                           scheduler=cluster.scheduler_address)
    pd.testing.assert_frame_equal(on_dask, two_years)


def test_a_local_cluster_of_processes_gives_the_same_table(policies, two_years):
    on_dask = run_grid(policies, ["copay-15", "index-2pct"], points([2026, 2027], [1, 2]), regions=REGION,
                       executor="dask")
    pd.testing.assert_frame_equal(on_dask, two_years)


@pytest.mark.parametrize(("text", "years"), [("2025-2030", [2025, 2026, 2027, 2028, 2029, 2030]), ("2027", [2027]),
                                             (" 2026 - 2027 ", [2026, 2027])])
def test_year_ranges(text, years):
    assert year_range(text) == years


@pytest.mark.parametrize(("text", "message"), [
    ("2030-2025", "years: expected the first year on or before the last, found 2030-2025 (did you mean 2025-2030?)"),
    ("2025..2030", "years: expected FIRST-LAST such as 2025-2030, or one year, found '2025..2030'"),
    ("", "years: expected FIRST-LAST such as 2025-2030, or one year, found ''"),
])
def test_malformed_year_ranges_are_named(text, message):
    with pytest.raises(InputError) as caught:
        year_range(text)
    assert str(caught.value) == message


def test_years_outside_the_projection_are_refused_before_any_run(policies):
    with pytest.raises(InputError, match=r"^year: expected a year the projection covers \(2022-2035, .*\), found 2040$"):
        simulate_years(policies, years=year_range("2030-2040"), regions=REGION)


def test_simulate_years_writes_a_year_column_and_the_bases(tmp_path, capsys):
    target = tmp_path / "years.csv"
    assert main(["simulate", "--years", "2026-2027", "-r", "luxemburg", "-s", "copay-15", "-o", str(target)]) == 0
    table = pd.read_csv(target)
    assert list(table.columns[:5]) == ["year", "population_basis", "uptake_basis", "scenario", "region"]
    assert table["year"].tolist() == [2026, 2026, 2027, 2027]
    assert table["population_basis"].tolist()[0] == "interpolated 2025 (confirmed) - 2030 (assumed)"
    assert main(["simulate", "--years", "2026-2027", "-r", "luxemburg", "-s", "copay-15"]) == 0
    out = capsys.readouterr().out
    assert "Simulated 2026–2027, 1 region(s): national insurer cost (EUR)" in out
    assert "2026: interpolated 2025 (confirmed) - 2030 (assumed); interpolated 2025 (assumed) - 2030 (assumed)" in out


@pytest.mark.parametrize(("argv", "message"), [
    (["--years", "2030-2025"], "error: years: expected the first year on or before the last, found 2030-2025 "
                               "(did you mean 2025-2030?)"),
    (["--years", "2019-2021"], "error: year: expected a year the projection covers (2022-2035, "),
])
def test_simulate_years_errors_are_one_line(capsys, argv, message):
    assert main(["simulate", "-r", "luxemburg", *argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith(message) and err.count("\n") == 1



def test_years_by_a_dimension_add_up_to_the_national_totals_per_year(policies, two_years):
    by = simulate_years(policies, ["copay-15", "index-2pct"], years=[2026, 2027], seeds=2, regions=REGION,
                        executor="pool", by=("age_band", "increased"))
    assert {"age_band", "increased", "year", "seed"} <= set(by.columns) and "region" not in by.columns
    cents = ["insurer_cost", "patient_copay", "supplements", "out_of_pocket"]
    keys = ["year", "seed", "scenario"]
    summed = (by.groupby(keys)[cents].sum() * 100).round()
    national = (two_years.groupby(keys)[cents].sum() * 100).round()
    pd.testing.assert_frame_equal(summed, national)
    assert by.groupby(keys)["patients"].sum().equals(two_years.groupby(keys)["patients"].sum())


def test_cli_simulate_years_by_region_sums_to_the_national_per_year(tmp_path, capsys):
    plain, by = tmp_path / "plain.csv", tmp_path / "by.csv"
    regions = ["-r", "luxemburg,namen", "-s", "copay-15"]
    assert main(["simulate", "--years", "2026-2027", *regions, "-o", str(plain)]) == 0
    assert main(["simulate", "--years", "2026-2027", *regions, "--by", "region,age_band", "-o", str(by)]) == 0
    plain, by = pd.read_csv(plain), pd.read_csv(by)
    sums = by.groupby(["year", "scenario", "region"])[["insurer_cost", "patients"]].sum()
    expected = plain.set_index(["year", "scenario", "region"])[["insurer_cost", "patients"]]
    assert ((sums.loc[expected.index] - expected).abs() < 0.005).all().all()
    assert main(["simulate", "--years", "2026-2027", *regions, "--by", "age_band"]) == 0
    out = capsys.readouterr().out
    assert "Simulated 2026–2027, 2 region(s): national insurer cost (EUR)" in out
    assert "Insurer cost (EUR) by age_band and year" in out and "24-25" in out


def test_impact_over_years_equals_the_single_year_impact(tmp_path):
    """`impact --years 2027-2028` gives, for 2027, the rows of `impact --year 2027` to the cent (the grid runs on a
    local cluster of processes)."""
    years, one = tmp_path / "years.csv", tmp_path / "one.csv"
    args = ["-s", "copay-15,free-until-25", "-r", "luxemburg", "--by", "age_band"]
    assert main(["impact", "--years", "2027-2028", *args, "-o", str(years)]) == 0
    assert main(["impact", "--year", "2027", *args, "-o", str(one)]) == 0
    years, one = pd.read_csv(years), pd.read_csv(one)
    assert list(years.columns[:5]) == ["year", "population_basis", "uptake_basis", "scenario", "age_band"]
    assert sorted(years["year"].unique()) == [2027, 2028]
    same = years[years["year"] == 2027].drop(columns=["year", "population_basis", "uptake_basis"])
    pd.testing.assert_frame_equal(same.reset_index(drop=True), one)
    later = years[years["year"] == 2028]
    assert later["worse_off"].sum() > 0 and later.loc[later["scenario"] == "copay-15", "better_off"].sum() == 0


def test_impact_years_needs_a_scenario_besides_the_baseline(policies):
    with pytest.raises(InputError, match=r"^scenario: expected a scenario other than 'baseline' to compare with it, "
                                         r"found only 'baseline'$"):
        simulate_years(policies, ["baseline"], years=[2027], regions=REGION, table="impact")
