"""A simulation split by region (engine/simulation/split.py): groups of regions simulated whole in worker processes
give the tables of one run over every region, on the bundled folder and on one the project did not ship."""

from __future__ import annotations

import json
import pickle
import shutil

import pandas as pd
import pytest
from conftest import POLICY_DIR
from policy_folders import add_version
from test_simulation_properties import scenario_file
from test_simulation_uptake import CHANGES

import engine.simulation.run as simulation_run
from engine.errors import PolicyError, Problem
from engine.policy.policies import load_policies
from engine.policy.regions import load_regions
from engine.policy.scenarios import list_scenarios
from engine.simulation.processes import Count, side_by_side
from engine.simulation.run import simulate
from engine.simulation.split import added, in_region_order, region_groups, splits

REGIONS = ["luxemburg", "waals_brabant", "namen"]


@pytest.fixture(scope="module")
def unshipped(tmp_path_factory):
    """The bundled folder with a convention version from 2027-04-01 and scenarios that raise and lower uptake."""
    root = tmp_path_factory.mktemp("split") / "policy"
    shutil.copytree(POLICY_DIR, root)
    add_version(root, "2027-04-01", 85.83, 12)
    for name, changes in CHANGES.items():
        scenario_file(root / "scenarios", name, changes)
    return root


def test_groups_hold_every_region_once_in_region_order_with_about_equal_population():
    data = load_regions(POLICY_DIR)
    ids = list(data.names())
    for parts in (1, 2, 3, 11, 20):
        groups = region_groups(ids, data, parts)
        assert len(groups) == min(parts, len(ids)) and all(groups)
        assert sorted(r for g in groups for r in g) == sorted(ids)
        assert all(list(g) == [r for r in ids if r in g] for g in groups)
    sizes = [sum(data.population(r, None) for r in g) for g in region_groups(ids, data, 2)]
    assert max(sizes) / sum(sizes) < 0.52


def test_only_tables_that_add_up_over_regions_are_split():
    assert splits((), False, None) and splits((), False, ()) and splits((), False, ("age_band",))
    assert not splits(("age_band",), False, None)  # a breakdown's ratios span regions
    assert not splits((), True, None)  # per-patient tables
    assert not splits((), False, ("region", "age_band"))  # groups some regions do not have
    assert not splits((), False, ("network",))


def simulated(policies, names, workers: int, monkeypatch, **options):
    """The simulation on `workers` processes, and the groups of regions it was split into."""
    made = []
    groups = simulation_run.region_groups
    monkeypatch.setattr(simulation_run, "region_groups", lambda *a: made.append(groups(*a)) or made[-1])
    return simulate(policies, names, regions=REGIONS, year=2027, seed=3, workers=workers, **options), made


def same_tables(whole, split) -> None:
    for table in ("results", "drivers", "impact"):
        if getattr(whole, table) is None:
            assert getattr(split, table) is None
        else:
            pd.testing.assert_frame_equal(getattr(split, table), getattr(whole, table), check_exact=True)


@pytest.mark.parametrize("impact", [("age_band",), (), None])
def test_split_by_region_equals_one_run_over_every_region(policies, impact, monkeypatch):
    names = [s.name for s in list_scenarios(POLICY_DIR) if s.name != "baseline"]
    whole, alone = simulated(policies, names, 1, monkeypatch, impact=impact)
    split, groups = simulated(policies, names, 2, monkeypatch, impact=impact)
    assert [len(g) for g in alone[0]] == [3] and sorted(len(g) for g in groups[0]) == [1, 2]
    same_tables(whole, split)


def test_split_on_an_unshipped_folder_with_uptake_changes_and_money_only(unshipped, monkeypatch):
    policies = load_policies(unshipped)
    names = [s.name for s in list_scenarios(unshipped) if s.name != "baseline"]
    same_tables(simulated(policies, names, 1, monkeypatch, impact=("age_band",))[0],
                simulated(policies, names, 2, monkeypatch, impact=("age_band",))[0])
    same_tables(simulated(policies, names, 1, monkeypatch, money_only=True)[0],
                simulated(policies, names, 3, monkeypatch, money_only=True)[0])


def test_progress_counts_each_groups_draw_and_scenarios_to_the_end(policies):
    """Two groups, each with its draw, the baseline and copay-15: six steps, reported as the workers count them."""
    seen: list[float] = []
    simulate(policies, ["copay-15"], regions=REGIONS, year=2027, workers=2, progress=seen.append)
    assert seen[-1] == 1.0 and seen == sorted(set(seen)) and len(seen) >= 2
    assert all(round(value * 6, 9) == round(value * 6) for value in seen)


def test_a_count_adds_up_what_forked_workers_add():
    count = Count()
    seen: list[float] = []
    side_by_side(lambda steps: count.add(steps), [1, 2, 3], 2, watch=count.watcher(seen.append, 6))
    assert count.value == 6 and seen[-1] == 1.0 and seen == sorted(set(seen))


class Inhabitants:
    """Region data that knows only the inhabitants of each region."""

    def __init__(self, counts: dict[str, float]):
        self.counts = counts

    def population(self, region: str, ages) -> float:
        return self.counts[region]


def test_regions_without_inhabitants_still_fill_every_group():
    data = Inhabitants({"a": 10, "b": 0, "c": 0})
    assert region_groups(["a", "b", "c"], data, 3) == [("a",), ("b",), ("c",)]
    assert region_groups(["c", "b", "a"], data, 2) == [("a",), ("c", "b")]


def test_a_group_without_rows_leaves_the_text_columns_of_the_others_as_they_are():
    filled = pd.DataFrame({"region": ["namen", "luxemburg"], "line": ["fee", "fee"]})
    empty = pd.DataFrame({"region": pd.Series([], dtype=object), "line": pd.Series([], dtype=object)})
    joined = in_region_order([filled, empty], ["luxemburg", "waals_brabant", "namen"])
    pd.testing.assert_frame_equal(joined, filled.iloc[[1, 0]].reset_index(drop=True))
    pd.testing.assert_frame_equal(in_region_order([empty, empty], ["namen"]), empty)


def test_impact_sums_of_different_groups_are_refused_not_added():
    one = pd.DataFrame({"patients": [1, 2]}, index=pd.Index(["a", "b"], name="age_band"))
    assert added([one, one])["patients"].tolist() == [2, 4]
    with pytest.raises(ValueError):
        added([one, one.iloc[:1]])


def test_a_policy_error_in_a_worker_reaches_the_user_as_its_problems(tmp_path):
    """A folder whose region data lacks a mutuality with a benefit: the same message on one process or two."""
    problem = PolicyError([Problem("regions.json", "/mutualities", "expected a mutuality")])
    assert pickle.loads(pickle.dumps(problem)).problems == problem.problems
    root = tmp_path / "policy"
    shutil.copytree(POLICY_DIR, root)
    path = root / "regions" / "utilisation-be.json"
    doc = json.loads(path.read_text(encoding="utf-8"))
    del doc["mutualities"]["cm"]
    path.write_text(json.dumps(doc), encoding="utf-8")
    policies = load_policies(root)
    messages = []
    for workers in (1, 2):
        with pytest.raises(PolicyError) as raised:
            simulate(policies, ["copay-15"], regions=REGIONS, year=2027, workers=workers)
        messages.append(str(raised.value))
    assert messages[0] == messages[1] and "mutuality 'cm'" in messages[0] and "\n" not in messages[0]
