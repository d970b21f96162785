"""A scenario keeps the utilisation figures rates and shares: each at most 1, the shares of a choice adding up to 1
at most, with its changes composed in every region and period; otherwise it is refused, naming the change."""

from __future__ import annotations

import datetime as dt
import itertools
import shutil
from pathlib import Path

import numpy as np
import pytest
from conftest import POLICY_DIR
from hypothesis import event, given, settings
from hypothesis import strategies as st
from policy_folders import add_care_type
from test_scenarios import HYPOTHESIS, write

from engine.errors import PolicyError
from engine.policy.policies import load_policies
from engine.policy.regions import load_regions
from engine.policy.scenarios import Scenario, load_scenario, utilisation_change


def _refused(folder: Path, utilisation: list[dict]) -> list[str]:
    write(folder, "figures", [], utilisation)
    with pytest.raises(PolicyError) as refused:
        load_scenario("figures", load_policies(folder))
    return str(refused.value).splitlines()


def test_two_shares_of_a_choice_pushed_past_1_together_are_refused(policy_copy, monkeypatch):
    monkeypatch.chdir(policy_copy.parent)
    lines = _refused(policy_copy, [
        {"what": "clb_location_share", "from": "2027-01-01", "value": 0.8, **HYPOTHESIS},
        {"what": "clb_employed_share", "from": "2027-01-01", "factor": 8, **HYPOTHESIS}])
    assert lines == ["policy/scenarios/figures.json: /utilisation/1/factor: expected changes keeping the shares of "
                     "choice 'setting' (clb_location_share + clb_employed_share) at or below 1, found 1.04 at age 3 "
                     "from 2027-01-01 (with the changes in force then)"]


def test_a_value_then_a_factor_compose_where_and_when_both_apply(policy_copy, monkeypatch):
    monkeypatch.chdir(policy_copy.parent)
    value = {"what": "uptake", "from": "2028-01-01", "to": "2028-12-31", "value": 0.5, "ages": [20, 30],
             "regions": ["antwerpen"], **HYPOTHESIS}
    factor = {"what": "uptake", "from": "2028-06-01", "factor": 3, **HYPOTHESIS}
    assert _refused(policy_copy, [value, factor]) == [
        "policy/scenarios/figures.json: /utilisation/1/factor: expected changes keeping uptake at or below 1, found 1.5 "
        "at age 20 in antwerpen from 2028-06-01 (with the changes in force then)"]
    write(policy_copy, "figures", [], [value, {**factor, "from": "2029-01-01"}])  # after the value's end: 0.039 × 3
    assert load_scenario("figures", load_policies(policy_copy)).utilisation[1].factor == 3


def test_a_change_that_ends_can_leave_another_past_1(policy_copy, monkeypatch):
    monkeypatch.chdir(policy_copy.parent)
    share = {"what": "children_network_share", "from": "2027-01-01", **HYPOTHESIS}  # 0.85 at 15-17
    assert _refused(policy_copy, [{**share, "to": "2027-12-31", "factor": 0.5}, {**share, "factor": 1.5}]) == [
        "policy/scenarios/figures.json: /utilisation/1/factor: expected changes keeping children_network_share at or "
        "below 1, found 1.275 at age 15 from 2028-01-01 (with the changes in force then)"]


def test_a_change_in_some_regions_is_checked_beside_the_others(policy_copy, monkeypatch):
    monkeypatch.chdir(policy_copy.parent)  # specialised_share is 0.2: × 8 is too much, except where 0.1 replaces it
    lines = _refused(policy_copy, [{"what": "specialised_share", "from": "2027-01-01", "factor": 8, **HYPOTHESIS},
                                   {"what": "specialised_share", "from": "2027-01-01", "value": 0.1,
                                    "regions": ["Antwerpen"], **HYPOTHESIS}])
    assert lines == ["policy/scenarios/figures.json: /utilisation/0/factor: expected changes keeping specialised_share "
                     "at or below 1, found 1.6 at age 0 in the regions no change names (such as limburg) from "
                     "2027-01-01 (with the changes in force then)"]
    uptake = {"what": "uptake", "from": "2027-01-01", "value": 0.01, "regions": ["luik"], **HYPOTHESIS}
    share = {"what": "specialised_share", "from": "2027-01-01", **HYPOTHESIS}
    assert _refused(policy_copy, [{**share, "factor": 8}, uptake])[0].endswith(  # not about where: everywhere
        "found 1.6 at age 0 from 2027-01-01 (with the changes in force then)")
    assert _refused(policy_copy, [{**share, "value": 0.15, "regions": ["luik"]}, {**share, "factor": 8}])[0].endswith(
        "found 1.6 at age 0 in the regions no change names (such as antwerpen) from 2027-01-01 (with the changes in "
        "force then)")  # told once, where no change names a region first


def test_every_change_to_blame_is_told_once_and_a_lowering_one_never(policy_copy, monkeypatch):
    monkeypatch.chdir(policy_copy.parent)  # uptake 0.039 at 20-29, 0.03 at 30-64, 0.008 from 65
    lines = _refused(policy_copy, [
        {"what": "uptake", "from": "2027-01-01", "factor": 10, "ages": [20, 29], **HYPOTHESIS},
        {"what": "uptake", "from": "2027-01-01", "factor": 10, "ages": [20, 70], **HYPOTHESIS},
        {"what": "uptake", "from": "2027-01-01", "factor": 0.9, **HYPOTHESIS}])
    assert lines == ["policy/scenarios/figures.json: /utilisation/1/factor: expected changes keeping uptake at or below "
                     "1, found 3.51 at age 20 from 2027-01-01 (with the changes in force then)"]
    lines = _refused(policy_copy, [
        {"what": "clb_location_share", "from": "2027-01-01", "value": 0.99, **HYPOTHESIS},
        {"what": "clb_employed_share", "from": "2027-01-01", "factor": 0.5, **HYPOTHESIS},
        {"what": "children_network_share", "from": "2027-01-01", "factor": 2, "ages": [15, 16], **HYPOTHESIS},
        {"what": "children_network_share", "from": "2027-01-01", "factor": 1.5, "ages": [17, 23], **HYPOTHESIS}])
    assert [line.split(": ")[1] for line in lines] == ["/utilisation/0/value", "/utilisation/2/factor",
                                                       "/utilisation/3/factor"]
    assert "found 1.005 at age 3" in lines[0] and "found 1.7 at age 15" in lines[1] and "found 1.275 at age 17" in lines[2]


def test_a_share_over_1_alone_is_not_told_again_as_its_choice(policy_copy, monkeypatch):
    monkeypatch.chdir(policy_copy.parent)
    add_care_type(policy_copy, "extra", 20, 0.3)  # the care choice: specialised 0.2 + extra 0.3
    lines = _refused(policy_copy, [{"what": "specialised_share", "from": "2027-01-01", "factor": 6, **HYPOTHESIS}])
    assert [line.split(": ", 2)[2] for line in lines] == [
        "expected changes keeping specialised_share at or below 1, found 1.2 at age 0 from 2027-01-01 (with the changes "
        "in force then)"]
    lines = _refused(policy_copy, [{"what": "specialised_share", "from": "2027-01-01", "factor": 4, **HYPOTHESIS}])
    assert [line.split(": ", 2)[2] for line in lines] == [
        "expected changes keeping the shares of choice 'care' (specialised_share + extra_share) at or below 1, found "
        "1.1 at age 0 from 2027-01-01 (with the changes in force then)"]


def test_the_figures_are_checked_beside_the_other_problems(policy_copy, monkeypatch):
    monkeypatch.chdir(policy_copy.parent)
    write(policy_copy, "figures", [{"path": "riziv-psy-2021.tariff.rows.individual.fe", "from": "2027-01-01",
                                    "value": 80, "unit": "EUR", **HYPOTHESIS}],
          [{"what": "children_network_share", "from": "2027-01-01", "factor": 2, **HYPOTHESIS}])
    with pytest.raises(PolicyError) as refused:
        load_scenario("figures", load_policies(policy_copy))
    assert [p.where for p in refused.value.problems] == ["/changes/0/path", "/utilisation/0/factor"]


def test_a_factor_is_checked_on_the_ages_it_names_only(policy_copy):
    # the children's network share is 0.85 at 15-17 and 0.35 at 18-23: doubled at 18-23 it stays a share
    share = {"what": "children_network_share", "from": "2027-01-01", "factor": 2, **HYPOTHESIS}
    write(policy_copy, "figures", [], [{**share, "ages": [18, 23]}])
    assert load_scenario("figures", load_policies(policy_copy)).utilisation[0].ages == (18, 23)
    assert _refused(policy_copy, [{**share, "ages": [17, 23]}])[0].endswith(
        "found 1.7 at age 17 from 2027-01-01 (with the changes in force then)")


FIGURES = ("uptake", "specialised_share", "extra_share", "group_share", "children_network_share",
           "clb_location_share", "clb_employed_share")
DAYS = ("2027-01-01", "2027-07-01", "2028-01-01")
ENDS = ("2027-03-31", "2027-12-31", "2028-06-30")  # the days after them are no change's first day
REGIONS = ("antwerpen", "brussel", "luik")


@st.composite
def changes(draw) -> list[dict]:
    """Utilisation changes on the figures (two choices with two shares each), some limited to ages, regions and days."""
    out = []
    for _ in range(draw(st.integers(1, 4))):
        change = {"what": draw(st.sampled_from(FIGURES)), "from": draw(st.sampled_from(DAYS)), **HYPOTHESIS}
        if draw(st.booleans()):
            change["factor"] = draw(st.sampled_from([0.5, 1.5, 3, 8, 10]))
        else:
            change["value"] = draw(st.sampled_from([0, 0.2, 0.6, 0.9, 1]))
        if draw(st.booleans()):
            low = draw(st.integers(0, 60))
            change["ages"] = [low, low + draw(st.integers(0, 40))]
        if draw(st.booleans()):
            change["regions"] = draw(st.lists(st.sampled_from(REGIONS), min_size=1, max_size=2, unique=True))
        if draw(st.booleans()):
            change["to"] = draw(st.sampled_from([d for d in ENDS if d >= change["from"]]))
        out.append(change)
    return out


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    """The bundled policies with a third care type, so that the care choice has two shares."""
    target = tmp_path_factory.mktemp("figures") / "policy"
    shutil.copytree(POLICY_DIR, target)
    add_care_type(target, "extra", 20, 0.3)
    return target


SEGMENTS = [dt.date.fromisoformat(d) for d in (*DAYS, "2027-04-01", "2028-07-01")]  # every from, every day after a to


@settings(max_examples=60, deadline=None)
@given(utilisation=changes())
def test_a_scenario_loads_exactly_when_its_figures_stay_shares(folder, utilisation):
    write(folder, "figures", [], utilisation)
    regions = load_regions(folder)
    try:
        load_scenario("figures", load_policies(folder))
        refused = False
    except PolicyError as error:
        assert all(p.where.startswith("/utilisation/") for p in error.problems)
        refused = True
    scenario = Scenario("figures", "", "", folder, (), tuple(utilisation_change(j, u, regions)
                                                             for j, u in enumerate(utilisation)))
    over, ages = False, np.arange(regions.max_age + 1)  # every figure and choice, in every region and period
    for region, day in itertools.product(regions.names(), SEGMENTS):
        values = {what: scenario.adjust(what, regions.figure_by_age(what), day, age=ages, region=region) for what in FIGURES}
        totals = [*values.values(), *(sum(values[f] for _, f in c.shares) for c in regions.choices.values())]
        over |= any(bool((t > 1 + 1e-6).any()) for t in totals)
    event(f"refused={refused}")
    assert refused == over
