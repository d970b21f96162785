"""Invariants of the microsimulation for any seed: exact drivers, common random numbers, one region per patient.

One small region (Luxembourg) keeps a run under a second; the example counts stay modest.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.dates import ages_on
from engine.errors import CarePolicyError
from engine.evaluate.vectorized import evaluate_vectorized
from engine.policy.files import PACKAGE_ROOT
from engine.policy.regions import load_regions
from engine.policy.rules import rules_of
from engine.policy.scenarios import BASELINE, load_scenario
from engine.simulation.patients import Cohort
from engine.simulation.projection import for_year
from engine.simulation.run import MONEY_COLUMNS, national, simulate
from engine.simulation.synthetic import Draw, Synthesizer
from engine.simulation.totals import _tally

REFERENCE = load_regions(PACKAGE_ROOT / "policy").reference_day

SMALL = "luxemburg"
PAIR = ["luxemburg", "waals_brabant"]
BUNDLED = ["copay-15", "adult-quota-10", "free-until-25", "index-2pct", "free-until-25-uptake"]
MONEY = ["insurer_cost", "care_path_fees", "patient_copay", "provider_income", "supplements", "out_of_pocket"]
SIGN = {"fee": 1, "copay": -1, "care_path_fee": 1}

seeds = st.integers(0, 2**31 - 1)
FEW = settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
VERY_FEW = settings(max_examples=3, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def cents(values) -> np.ndarray:
    return np.round(np.asarray(values, dtype=float) * 100).astype(np.int64)


def scenario_file(folder: Path, name: str, utilisation: list[dict]) -> Path:
    """A scenario file without changes to dated values, with the given utilisation changes."""
    path = folder / f"{name}.json"
    path.write_text(json.dumps({
        "$schema": "../schema/scenario-1.0.schema.json", "id": name, "kind": "scenario", "title": name,
        "description": "test scenario", "changes": [], "utilisation": utilisation}))
    return path


def drawn(policies, scenario, regions: list[str], seed: int, year: int = 2027):
    """The synthetic claims of a run, their region index and their evaluation (the year's projected data and fees)."""
    policies, data = for_year(policies, load_regions(policies.root), year)
    claims, region = Synthesizer(policies, data, Draw(year, seed, REFERENCE)).claims(scenario, regions)
    return claims, region, evaluate_vectorized(claims, policies)


@settings(max_examples=200, deadline=None)
@given(rows=st.lists(st.tuples(st.integers(0, 11 * 4096 - 1), st.integers(0, 2**32 - 1)), max_size=60),
       narrow=st.booleans(), repeat=st.integers(1, 3))
def test_driver_lines_count_every_row_once_by_table_and_by_hash(rows, narrow, repeat):
    """A line's (region, line, value) keys and their counts, whether counted in a table (few values) or hashed."""
    if narrow:  # a few fees or co-payments: the table
        rows = [(group % 40, value % 300) for group, value in rows]
    rows = rows * repeat
    group = np.array([g for g, _ in rows], np.int64)
    value = np.array([v for _, v in rows], np.int64)
    keys, counts = _tally(group, value)
    expected: dict[int, int] = {}
    for g, v in rows:
        expected[(g << 32) + v] = expected.get((g << 32) + v, 0) + 1
    assert dict(zip(keys.tolist(), counts.tolist(), strict=True)) == expected
    assert len(keys) == len(expected)


@FEW
@given(seed=seeds, scenario=st.sampled_from(BUNDLED))
def test_drivers_rebuild_every_region_to_the_cent(policies, seed, scenario):
    sim = simulate(policies, [scenario], regions=[SMALL], seed=seed, workers=1)
    d = sim.drivers
    for (name, region), rows in d.groupby(["scenario", "region"]):
        result = sim.results[(sim.results["scenario"] == name) & (sim.results["region"] == region)].iloc[0]
        amount = cents(rows["amount"])
        assert (amount == cents(rows["value"]) * rows["count"].to_numpy()).all()
        kind = rows["kind"].to_numpy()
        assert (amount * pd.Series(kind).map(SIGN).to_numpy()).sum() == cents(result["insurer_cost"])
        assert amount[kind == "copay"].sum() == cents(result["patient_copay"])
        assert amount[kind == "fee"].sum() == cents(result["provider_income"])
        assert amount[kind == "care_path_fee"].sum() == cents(result["care_path_fees"])
        # one co-payment rule per covered session, one care-path fee per care path opened in the year
        assert rows.loc[rows["kind"] == "copay", "count"].sum() == result["sessions"]
        assert rows.loc[rows["kind"] == "care_path_fee", "count"].sum() == result["care_paths"]
        individual = rows["path"].str.endswith("rows.individual.fee")
        assert rows.loc[individual, "count"].sum() == result["sessions_individual"]
    money = sim.results[MONEY].to_numpy(float) * 100
    assert np.allclose(money, np.round(money), atol=1e-6), "money columns are whole cents"


@pytest.fixture(scope="module")
def neutral(tmp_path_factory) -> Path:
    return scenario_file(tmp_path_factory.mktemp("scenarios"), "no-change", [])


@FEW
@given(seed=seeds, year=st.integers(2023, 2030))
def test_a_scenario_without_changes_equals_the_baseline(policies, neutral, seed, year):
    sim = simulate(policies, [neutral], regions=[SMALL], seed=seed, year=year, workers=1)
    base, same = (t.set_index("scenario") for t in (sim.results, sim.drivers))
    assert base.loc[["no-change"]].reset_index(drop=True).equals(base.loc[[BASELINE]].reset_index(drop=True))
    assert same.loc[["no-change"]].reset_index(drop=True).equals(same.loc[[BASELINE]].reset_index(drop=True))


@FEW
@given(seed=seeds, factor=st.floats(1.0, 3.0), lo=st.integers(0, 99), span=st.integers(0, 99))
def test_more_uptake_keeps_every_patient_and_session_of_the_baseline(policies, seed, factor, lo, span):
    ages = [lo, min(lo + span, 99)]
    with tempfile.TemporaryDirectory() as folder:
        more = scenario_file(Path(folder), "more-uptake", [{
            "what": "uptake", "from": "2020-01-01", "factor": factor, "ages": ages,
            "source": "scenario-hypothesis", "status": "assumed"}])
        sim = simulate(policies, [more], regions=[SMALL], seed=seed, workers=1)
        scenarios = [load_scenario(BASELINE, policies), load_scenario(more, policies)]
    assert sim.result("more-uptake", "patients") >= sim.result(BASELINE, "patients")
    frames = [Synthesizer(policies, sim.regions, Draw(sim.year, seed, REFERENCE)).claims(s, [SMALL])[0] for s in scenarios]
    keys = [set(zip(f.loc[f["kind"] == "individual", "patient_id"], f.loc[f["kind"] == "individual", "session_date"],
                    strict=True)) for f in frames]
    assert keys[0] <= keys[1]


@FEW
@given(seed=seeds, scenario=st.sampled_from(BUNDLED), pair=st.booleans())
def test_money_only_gives_the_money_columns_of_the_full_results(policies, seed, scenario, pair):
    regions = PAIR if pair else [SMALL]
    full = simulate(policies, [scenario], regions=regions, seed=seed, workers=1, drivers=False).results
    lean = simulate(policies, [scenario], regions=regions, seed=seed, workers=1, money_only=True).results
    assert list(lean.columns) == MONEY_COLUMNS
    pd.testing.assert_frame_equal(lean, full[MONEY_COLUMNS])
    assert national(lean).equals(national(full)[national(lean).columns])


def test_money_only_has_no_breakdown_and_no_patients(policies):
    for extra in ({"by": ["network"]}, {"patients": True}):
        with pytest.raises(ValueError, match="money only has no breakdown"):
            simulate(policies, regions=[SMALL], money_only=True, **extra)
    assert simulate(policies, regions=[SMALL], money_only=True).drivers is None


@settings(max_examples=60, deadline=None)
@given(regions=st.lists(st.integers(0, 4), max_size=40), data=st.data())
def test_region_sums_add_up_each_region_exactly(regions, data):
    """Sums run by run of one region (in any order, regions without sessions too) equal counting session by session."""
    n = len(regions)
    values = np.array(data.draw(st.lists(st.integers(-2**40, 2**40), min_size=n, max_size=n)), np.int64)
    rows = np.array(data.draw(st.lists(st.booleans(), min_size=n, max_size=n)), bool)
    cohort = Cohort.__new__(Cohort)
    cohort.region = np.array(regions, np.int8)
    expected = np.zeros(6, np.int64)
    for region, value, row in zip(regions, values, rows, strict=True):
        expected[region] += value if row else 0
    assert cohort.region_sums(values, rows, 6).tolist() == expected.tolist()


@VERY_FEW
@given(seed=seeds)
def test_the_number_of_worker_processes_does_not_matter(policies, seed):
    runs = [simulate(policies, ["copay-15", "adult-quota-10"], regions=[SMALL], seed=seed, workers=w) for w in (1, 2)]
    assert runs[0].results.equals(runs[1].results)
    assert runs[0].drivers.equals(runs[1].drivers)


@FEW
@given(seed=seeds)
def test_every_patient_belongs_to_one_region_and_is_counted_once(policies, seed):
    baseline = load_scenario(BASELINE, policies)
    claims, region, evaluated = drawn(policies, baseline, PAIR, seed)
    assert (pd.Series(region).groupby(claims["patient_id"].to_numpy()).nunique() == 1).all()
    pair = simulate(policies, regions=PAIR, seed=seed, workers=1)
    in_year = claims["session_date"].dt.year.to_numpy() == pair.year
    counted = evaluated["covered"].to_numpy(bool) & in_year & (claims["network"] != "").to_numpy()
    assert pair.result(BASELINE, "patients") == claims.loc[counted, "patient_id"].nunique()
    alone = simulate(policies, regions=[SMALL], seed=seed, workers=1).results
    assert alone.equals(pair.results[pair.results["region"] == SMALL].reset_index(drop=True))


@FEW
@given(seed=seeds, year=st.integers(2023, 2030))
def test_only_the_sessions_of_the_year_are_counted(policies, seed, year):
    baseline = load_scenario(BASELINE, policies)
    claims, _, evaluated = drawn(policies, baseline, [SMALL], seed, year)
    sim = simulate(policies, regions=[SMALL], seed=seed, year=year, workers=1)
    convention = (claims["network"] != "").to_numpy()
    covered = evaluated["covered"].to_numpy(bool) & convention
    dates = claims["session_date"].dt
    assert sim.result(BASELINE, "sessions") == (covered & (dates.year == year).to_numpy()).sum()
    assert sim.result(BASELINE, "refused_quota") == (
        convention & (evaluated["reason"] == "quota_exhausted").to_numpy() & (dates.year == year).to_numpy()).sum()
    # care paths drawn around the year reach into both neighbouring years, so the boundaries are exercised
    assert (dates.year == year - 1).any() and (dates.year == year + 1).any()


@FEW
@given(seed=seeds)
def test_one_group_id_per_group_session_and_all_members_attend_it(policies, seed):
    baseline = load_scenario(BASELINE, policies)
    claims, _, _ = drawn(policies, baseline, [SMALL], seed)
    size = Synthesizer(policies, load_regions(policies.root), Draw(2027, seed, REFERENCE)).group_size
    group = claims[claims["kind"] == "group"].astype({"group_id": str, "network": str, "care": str, "co_lead": str})
    assert (group["group_id"] != "").all()
    per = group.groupby("group_id")
    assert (per["session_date"].nunique() == 1).all()
    assert (per[["network", "care", "co_lead"]].nunique() == 1).all().all()
    assert (per["patient_id"].nunique() == per.size()).all(), "a member attends a group session once"
    assert per.size().max() <= size
    # every member attends every session of their group, except those held before the member was born
    members = per["patient_id"].apply(frozenset)
    met = group["group_id"].map(members)
    birth = dict(zip(group["patient_id"], group["birth_date"], strict=False))
    for patient, sessions in group.groupby("patient_id"):
        everyone = frozenset().union(*met[sessions.index])
        for gid in sessions["group_id"]:
            day = group.loc[group["group_id"] == gid, "session_date"].iloc[0]
            assert all(birth[m] > day for m in everyone - members[gid]), (patient, gid)
    assert (claims.loc[claims["kind"] == "individual", "group_id"] == "").all()


def test_the_network_type_is_open_at_the_start_of_each_care_path(policies):
    seed = 1
    baseline = load_scenario(BASELINE, policies)
    claims, _, _ = drawn(policies, baseline, [SMALL], seed)
    conv = claims[claims["network"] != ""]
    first = conv.sort_values("session_date").groupby("patient_id", sort=False).head(1)
    ages = ages_on(first["birth_date"].to_numpy().astype("datetime64[D]"),
                   first["session_date"].to_numpy().astype("datetime64[D]"))
    convention = rules_of(policies).convention_on(Draw(2027, seed, REFERENCE).reference_day)
    for net, band in convention.age_bands.items():
        on = (first["network"] == net).to_numpy()
        limits = {k: policies.value_at(path, Draw(2027, seed, REFERENCE).reference_day).value for k, path in band.items()}
        assert (ages[on] >= limits.get("min_age", 0)).all() and (ages[on] <= limits.get("max_age", 200)).all(), net


def test_cm_members_outside_the_convention_include_increased_reimbursement(policies):
    baseline = load_scenario(BASELINE, policies)
    claims, _, _ = drawn(policies, baseline, [SMALL], 1)
    outside = claims[claims["network"] == ""].drop_duplicates("patient_id")
    assert outside["increased_reimbursement"].any()


def test_a_region_named_twice_is_counted_once(policies):
    try:
        sim = simulate(policies, regions=[SMALL, "Luxembourg"], workers=1)
    except CarePolicyError:
        return
    alone = simulate(policies, regions=[SMALL], workers=1)
    assert sim.results.equals(alone.results)
