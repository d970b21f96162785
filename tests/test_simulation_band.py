"""Several seeds: each seed is an ordinary run, the band spans them, differences are banded per seed."""

from __future__ import annotations

import argparse
import multiprocessing
import os
import time

import pandas as pd
import pytest

from carepolicy.cli import main
from engine.errors import InputError
from engine.policy.policies import load_policies
from engine.simulation.band import band, national_by_seed, seed_table, seeds_beside, simulate_seeds
from engine.simulation.processes import Beside
from engine.simulation.run import DEFAULT_YEAR, MONEY_COLUMNS, simulate

REGION = ["luxemburg"]


@pytest.fixture(scope="module")
def policies():
    return load_policies()


@pytest.fixture(scope="module")
def table(policies):
    return simulate_seeds(policies, ["copay-15"], seeds=3, seed=4, regions=REGION)


def test_each_seed_is_a_single_run(policies, table):
    assert table.columns[0] == "seed"
    assert sorted(table["seed"].unique()) == [4, 5, 6]
    for seed in (4, 6):
        alone = simulate(policies, ["copay-15"], regions=REGION, seed=seed).results
        rows = table[table["seed"] == seed].drop(columns="seed").reset_index(drop=True)
        pd.testing.assert_frame_equal(rows, alone)


def test_band_lies_around_its_mean(table):
    bands = band(table)
    assert (bands["low"] <= bands["mean"]).all() and (bands["mean"] <= bands["high"]).all()
    assert list(bands["scenario"].unique()) == ["baseline", "copay-15"]
    levels = bands.set_index(["scenario", "metric"])
    cost = levels.loc[("baseline", "insurer_cost")]
    assert cost["low"] < cost["high"]  # the seeds draw different patients


def test_difference_is_banded_per_seed(table):
    by_seed = table.groupby(["seed", "scenario"])["insurer_cost"].sum().unstack()
    differences = by_seed["copay-15"] - by_seed["baseline"]
    row = band(table).set_index(["scenario", "metric"]).loc[("copay-15", "insurer_cost_vs_baseline")]
    assert row["mean"] == pytest.approx(differences.mean(), abs=0.01)
    assert row["low"] == pytest.approx(differences.min(), abs=0.01)
    assert row["high"] == pytest.approx(differences.max(), abs=0.01)
    levels = by_seed.max() - by_seed.min()
    assert row["high"] - row["low"] < levels["copay-15"] / 5  # common random numbers: the difference barely moves
    baseline = band(table).set_index(["scenario", "metric"]).loc[("baseline", "insurer_cost_vs_baseline")]
    assert (baseline == 0).all()


def test_national_by_seed_needs_the_baseline(table):
    with pytest.raises(InputError, match="seed 4: expected a 'baseline' row"):
        national_by_seed(table[table["scenario"] != "baseline"])


def test_progress_runs_across_the_seeds(policies):
    seen = []
    simulate_seeds(policies, seeds=2, regions=REGION, progress=seen.append, workers=1)
    assert seen == sorted(seen) and 0.5 in seen and seen[-1] == 1


@pytest.mark.parametrize("seeds", [0, -1, 1.5, True])
def test_engine_refuses_a_seed_count_below_one(policies, seeds):
    with pytest.raises(InputError, match="seeds: expected a whole number of 1 or more"):
        simulate_seeds(policies, seeds=seeds, regions=REGION)


def test_cli_refuses_bad_seed_counts_in_one_line(capsys):
    assert main(["simulate", "-r", "luxemburg", "--seeds", "0"]) == 2
    assert main(["simulate", "-r", "luxemburg", "--seeds", "x"]) == 2
    captured = capsys.readouterr()
    assert captured.err.strip().splitlines() == [
        "error: seeds: expected a whole number of 1 or more, found 0",
        "error: seeds: expected a whole number of 1 or more, found 'x'",
    ]
    assert captured.out == ""


def test_cli_writes_a_seed_column(tmp_path, capsys):
    target = tmp_path / "out.csv"
    assert main(["simulate", "-r", "luxemburg", "-s", "copay-15", "--seed", "5", "--seeds", "2", "-o", str(target)]) == 0
    written = pd.read_csv(target)
    assert list(written.columns[:3]) == ["seed", "scenario", "region"]
    assert list(written["seed"]) == [5, 5, 6, 6]
    assert list(written["scenario"]) == ["baseline", "copay-15"] * 2
    assert "wrote 4 rows (2 seeds × 2 scenarios × 1 region)" in capsys.readouterr().out


def test_cli_prints_the_band(table, capsys):
    assert main(["simulate", "-r", "luxemburg", "-s", "copay-15", "--seed", "4", "--seeds", "3"]) == 0
    out = capsys.readouterr().out
    inhabitants = int(table["population"].iloc[0])  # Luxemburg in that year, as the projection moves it
    assert out.startswith(f"Simulated {DEFAULT_YEAR} (seeds 4–6), 1 region(s), {inhabitants:,} inhabitants")
    row = band(table).set_index(["scenario", "metric"]).loc[("copay-15", "insurer_cost_vs_baseline")]
    expected = "".join(f"{v:>+17,.0f}" for v in row[["mean", "low", "high"]])
    assert f"{'':<24}{'insurer vs base':<20}{expected}" in out.splitlines()
    assert sum(line.startswith("copay-15") for line in out.splitlines()) == 1


def test_one_seed_is_as_without_the_flag(tmp_path, capsys):
    runs = []
    for extra in ([], ["--seeds", "1"]):
        target = tmp_path / f"out{len(runs)}.csv"
        assert main(["simulate", "-r", "luxemburg", "-s", "copay-15", *extra]) == 0
        assert main(["simulate", "-r", "luxemburg", "-s", "copay-15", *extra, "-o", str(target)]) == 0
        runs.append((capsys.readouterr().out.replace(str(target), "OUT"), target.read_bytes()))
    assert runs[0] == runs[1]
    assert b"seed" not in runs[0][1].splitlines()[0]


def test_seeds_started_beside_give_the_table_of_simulate_seeds(policies, table):
    with seeds_beside(policies, ["copay-15"], seeds=3, seed=4, regions=REGION, workers=2) as started:
        fractions = []
        frames = started.results(fractions.append)
    pd.testing.assert_frame_equal(seed_table(frames), table)
    assert fractions == sorted(fractions) and fractions[-1] == 1  # one region: an item per seed
    assert {round(f * 3, 9) for f in fractions} <= {1, 2, 3}


def test_seeds_beside_run_region_by_region_as_whole_runs(policies):
    """Split into regions (the most populous first) and put back together, the seeds' results are those of whole runs
    over the regions, scenario by scenario in region order."""
    regions = ["namen", "luxemburg", "waals_brabant"]
    whole = simulate_seeds(policies, ["copay-15", "adult-quota-10"], seeds=2, seed=7, regions=regions)
    with seeds_beside(policies, ["copay-15", "adult-quota-10"], seeds=2, seed=7, regions=regions,
                      workers=1) as started:
        assert [i for i, _ in started.items] == [0, 1, 0, 1, 0, 1]
        assert [r for _, r in started.items][::2] == ["namen", "waals_brabant", "luxemburg"]  # by population
        pd.testing.assert_frame_equal(seed_table(started.results()), whole)


def test_seeds_beside_of_money_only_band_the_costs_as_the_full_runs(policies, table):
    with seeds_beside(policies, ["copay-15"], seeds=3, seed=4, regions=REGION, workers=2, money_only=True) as started:
        lean = seed_table(started.results())
    pd.testing.assert_frame_equal(lean, table[["seed", *MONEY_COLUMNS]])
    full = band(table)
    money = band(lean)
    assert set(money["metric"]) == {*MONEY_COLUMNS[2:], *(f"{m}_vs_baseline" for m in MONEY_COLUMNS[2:])}
    pd.testing.assert_frame_equal(money, full[full["metric"].isin(money["metric"])].reset_index(drop=True))


def test_compare_prints_the_band_of_the_full_runs(table, tmp_path, capsys):
    assert main(["compare", "-r", "luxemburg", "-s", "copay-15", "--seed", "4", "--seeds", "3", "-q",
                 "-o", str(tmp_path / "band.xlsx")]) == 0
    row = band(table).set_index(["scenario", "metric"]).loc[("copay-15", "insurer_cost_vs_baseline")]
    line = next(line for line in capsys.readouterr().out.splitlines() if line.startswith("copay-15"))
    assert line.endswith(f"{row['low']:+,.0f} to {row['high']:+,.0f}")


def test_seeds_beside_need_a_whole_number_of_seeds(policies):
    with pytest.raises(InputError, match="seeds: expected a whole number of 1 or more, found 0"):
        seeds_beside(policies, ["copay-15"], seeds=0, regions=REGION)


def _slow(i: int) -> int:
    time.sleep(60)
    return i


_STARTED = multiprocessing.get_context("fork").Event()  # set by a task when it starts in a worker process


def _gone(i: int) -> int:
    _STARTED.set()
    os._exit(1)  # a worker killed, as by the system when out of memory


_RELEASED = multiprocessing.get_context("fork").Event()  # set by the test when a task in a worker may end


def _pid(i: int) -> int:
    """The process that ran item `i`: the first one keeps a worker busy until the test releases it."""
    if i == 0:
        _STARTED.set()
        assert _RELEASED.wait(60)
    return os.getpid()


def test_a_failing_block_stops_the_processes_started_beside():
    start = time.monotonic()
    with pytest.raises(RuntimeError, match="the block failed"), Beside(_slow, range(2), 2) as started:
        workers = list(started.pool._processes.values())
        assert workers and all(w.is_alive() for w in workers)
        raise RuntimeError("the block failed")
    assert not any(w.is_alive() for w in workers)
    assert time.monotonic() - start < 30


def test_a_worker_that_dies_is_an_error_not_a_wait():
    start = time.monotonic()
    _STARTED.clear()
    with pytest.raises(InputError, match="a worker process ended before its run did"), Beside(_gone, [1], 1) as started:
        assert _STARTED.wait(30)  # taken by the worker, not by this process
        started.results()
    assert time.monotonic() - start < 30


def test_this_process_runs_the_items_no_worker_has_started_when_it_asks_for_the_results():
    _STARTED.clear()
    _RELEASED.clear()

    def progress(fraction: float) -> None:
        if fraction >= 3 / 4:  # this process has run the three others
            _RELEASED.set()

    with Beside(_pid, range(4), 1) as started:
        assert _STARTED.wait(30)  # the worker is busy with the first item
        ran = started.results(progress)
        assert started.results() is ran  # made once
    assert ran[0] != os.getpid() and ran[1:] == [os.getpid()] * 3


def _fails_first(i: int) -> int:
    if i == 0:
        raise ValueError("the first item failed")
    time.sleep(0.5)
    return i


def test_a_failed_worker_is_told_before_this_process_runs_the_other_items():
    start = time.monotonic()
    with pytest.raises(ValueError, match="the first item failed"), Beside(_fails_first, range(12), 1) as started:
        while not started.started[0].done():
            time.sleep(0.01)
        started.results()
    assert time.monotonic() - start < 3  # not the 5.5 s of running the eleven others here


def test_what_the_results_are_made_of_is_joined_in_item_order():
    with Beside(abs, [-3, 1, -2], 1, join=lambda results: [sum(results), results]) as started:
        assert started.results() == [6, [3, 1, 2]]


@pytest.mark.parametrize(("cores", "seeds", "band", "left"),
                         [(2, 2, 1, 1), (2, 3, 1, 1), (4, 3, 2, 2), (8, 3, 2, 6), (8, 9, 7, 1), (1, 3, 1, 1)])
def test_compare_s_band_leaves_a_core_to_its_first_seed(policies, monkeypatch, cores, seeds, band, left):
    """No more processes compute than there are cores (two on one core): the band's workers leave one to the first
    seed's run, which takes the rest."""
    from carepolicy.commands import compare

    monkeypatch.setattr("os.cpu_count", lambda: cores)
    args = argparse.Namespace(scenario=["copay-15"], seed=4, year=2027, region=[REGION[0]])
    with compare._more_seeds(policies, args, seeds) as started:
        assert (started.workers, compare._cores_left(started)) == (band, left)
        assert len(started.results()) == seeds - 1
    assert compare._cores_left(None) is None
