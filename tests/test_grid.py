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

