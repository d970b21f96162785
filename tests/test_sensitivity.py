"""Sensitivity: the assumed figures and their ranges come from the data, each is varied alone, the tornado is sorted."""

from __future__ import annotations

import dataclasses
import datetime as dt
import shutil

import numpy as np
import pytest
from conftest import POLICY_DIR
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from policy_folders import UTILISATION
from valid_variations import DrawPick, other_mutuality, read, region_edge, third_care_type, write

from carepolicy.cli import main
from engine.policy.regions import load_regions
from engine.policy.scenarios import Scenario, UtilisationChange
from engine.policy.validation import validate
from engine.simulation import sensitivity as module
from engine.simulation.sensitivity import sensitivity
from engine.simulation.synthetic import Figures
from engine.simulation.variation import Variation, assumed_figures


@pytest.fixture(scope="module")
def data(policies):
    return load_regions(policies.root)


def test_every_assumed_figure_is_listed_with_its_range(data):
    figures = {f.name: f for f in assumed_figures(data)}
    assumed_tables = {n for n, t in data.figures.items() if t.status == "assumed"}
    assert assumed_tables <= set(figures)
    assert {f"{c}/{k}" for (c, k), d in data.sessions.items() if d.status == "assumed"} <= set(figures)
    assert {n for n, a in data.amounts.items() if a.status == "assumed"} <= set(figures)
    assert (figures["fee_outside_convention"].low, figures["fee_outside_convention"].high) == (0.77, 1.23)  # its own
    assert (figures["uptake"].low, figures["uptake"].high) == (0.9, 1.1)  # the file's default
    assert figures["bim_share"].label == "bim_share (10 regions without their own figure)"
    assert {n for n, m in data.mutualities.items() if m.share.status == "assumed"} == {"cm", "solidaris", "lm", "helan"}
    assert figures["cm"].label == "Christian mutualities (CM / MC): member share"
    assert figures["cm"].pointer == "/mutualities/cm/member_share"


def test_a_variation_moves_its_figure_only(data):
    up = Variation("figure", "uptake", 1.1).apply(data)
    assert [v for *_, v in up.figure("uptake").rows] == pytest.approx([v * 1.1 for *_, v in data.figure("uptake").rows])
    assert up.figure("group_share") == data.figure("group_share")
    assert up.population("limburg") == data.population("limburg")
    bim = Variation("bim_share", "bim_share", 0.9).apply(data)
    assert bim.region("limburg").bim_share.value == pytest.approx(data.region("limburg").bim_share.value * 0.9)
    assert bim.region("brussel").bim_share == data.region("brussel").bim_share  # confirmed: not varied
    size = Variation("amount", "group_size", 1.1).apply(data)
    assert size.amount("group_size").value == round(data.amount("group_size").value * 1.1)
    longer = Variation("sessions", "first_line/individual", 1.1).apply(data)
    assert longer.distribution("first_line", "individual").mean() == pytest.approx(
        data.distribution("first_line", "individual").mean() * 1.1)


def test_a_member_share_moves_within_what_the_other_mutualities_leave(data):
    more = Variation("member_share", "lm", 1.1).apply(data)
    assert more.mutualities["lm"].share_in("limburg") == pytest.approx(data.mutualities["lm"].share_in("limburg") * 1.1)
    assert more.mutualities["cm"] == data.mutualities["cm"]
    everyone = Variation("member_share", "cm", 10).apply(data)
    for region in data.regions:
        assert sum(m.share_in(region) for m in everyone.mutualities.values()) == pytest.approx(1.0)


def test_rates_and_shares_never_exceed_one(data):
    huge = Variation("figure", "specialised_share", 10).apply(data)
    assert max(v for *_, v in huge.figure("specialised_share").rows) == 1.0
    assert max(v for *_, v in Variation("figure", "uptake", 40).apply(data).figure("uptake").rows) == 1.0


def test_a_scenario_raising_a_varied_figure_stops_it_at_one(policies, data):
    raised = Variation("figure", "children_network_share", 1.1).apply(data)  # 0.935 at 15-17
    scenario = Scenario("raised", "", "", policies.root, (), (UtilisationChange(
        index=0, what="children_network_share", start=dt.date(2027, 1, 1), end=None, factor=1.1, value=None, ages=None,
        regions=None, care=None, kind=None, source="scenario-hypothesis", status="assumed"),))  # 0.85 × 1.1 on the data
    shares = Figures(raised, scenario, "limburg", dt.date(2027, 1, 1)).by_age("children_network_share")
    assert list(shares[14:25]) == pytest.approx([0, 1, 1, 1, *[0.35 * 1.1 * 1.1] * 6, 0])


def test_a_mix_varied_from_a_single_option_shares_the_rest_alike(data):
    alone = dataclasses.replace(data.mixes["group_co_lead"], shares={"psychologist": 1, "doctor": 0, "other": 0,
                                                                       "none": 0})
    point = Variation("mix", "group_co_lead", 0.7).apply(dataclasses.replace(data, mixes={"group_co_lead": alone}))
    assert point.mixes["group_co_lead"].shares == pytest.approx({"psychologist": 0.7, "doctor": 0.1, "other": 0.1,
                                                                 "none": 0.1})
    one = dataclasses.replace(alone, shares={"psychologist": 1})
    assert Variation("mix", "group_co_lead", 0.7).apply(dataclasses.replace(data, mixes={"group_co_lead": one})).mixes[
        "group_co_lead"].shares == {"psychologist": 1}


def test_a_share_moves_within_what_the_other_shares_of_its_choice_leave(data):
    clb = Variation("figure", "clb_employed_share", 40).apply(data)  # 0.03 × 40, beside clb_location_share 0.01
    assert clb.figure("clb_employed_share").rows == ((3, 18, pytest.approx(0.99)),)
    assert clb.figure("clb_location_share") == data.figure("clb_location_share")
    assert Variation("figure", "clb_employed_share", 10).apply(data).figure("clb_employed_share").rows == (
        (3, 18, pytest.approx(0.3)),)


@pytest.fixture(scope="module")
def result(policies, data):
    chosen = [f for f in assumed_figures(data) if f.name in ("uptake", "fee_outside_convention", "group_share")]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(module, "assumed_figures", lambda _: chosen)
        yield sensitivity(policies, ["copay-15"], year=2027, regions=["luxemburg"], executor="pool")


def test_the_tornado_is_sorted_by_swing_and_moves_the_right_way(result):
    tornado = result.tornado.set_index("figure")
    assert list(result.tornado["swing"]) == sorted(result.tornado["swing"], reverse=True)
    central = result.central.loc["baseline", "mean"]
    assert tornado.loc["uptake", "baseline_low"] < central < tornado.loc["uptake", "baseline_high"]
    assert tornado.loc["uptake", "copay-15_low"] > tornado.loc["uptake", "copay-15_high"]  # more patients, more saved
    # the fee outside the convention moves the CM's benefits, never the insurer's cost
    assert tornado.loc["fee_outside_convention", "swing"] == 0
    assert list(result.tornado.columns) == ["figure", "label", "where", "factor_low", "factor_high", "baseline_low",
                                            "baseline_high", "swing", "copay-15_low", "copay-15_high"]


def test_the_central_point_is_the_ordinary_simulation(policies, result):
    from engine.simulation.run import simulate

    sim = simulate(policies, ["copay-15"], regions=["luxemburg"], year=2027)
    assert result.central.loc["baseline", "mean"] == round(sim.result("baseline", "insurer_cost"), 2)


def test_the_command_prints_the_tornado(capsys, monkeypatch, data):
    chosen = [f for f in assumed_figures(data) if f.name in ("uptake",)]
    monkeypatch.setattr(module, "assumed_figures", lambda _: chosen)
    assert main(["sensitivity", "-s", "copay-15", "--year", "2027", "-r", "luxemburg", "--seeds", "2"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Sensitivity of 2027, mean over seeds 1–2: 1 assumed figures, each varied over its range")
    assert "sampling noise at the central point" in out
    assert "\nuptake " in out and "×0.9–1.1" in out


REGION_VARIATIONS = (region_edge, third_care_type, other_mutuality)


@settings(max_examples=25, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_every_point_of_a_valid_folder_keeps_its_figures_valid(tmp_path_factory, data):
    """Over region data the project did not ship (edges, a third care type, another mutuality, wide ranges), every
    assumed figure at either end of its range leaves rates, shares, choices and member shares within 1."""
    folder = tmp_path_factory.mktemp("points") / "policy"
    shutil.copytree(POLICY_DIR, folder)
    pick = DrawPick(data.draw)
    for _ in range(pick.integer(1, 2)):
        pick.choice(REGION_VARIATIONS)(folder, pick)
    use = read(folder / UTILISATION)
    for mix in pick.choice([[], sorted(use["mixes"])]):  # the varied first option takes every share
        use["mixes"][mix]["shares"] = {k: int(i == 0) for i, k in enumerate(use["mixes"][mix]["shares"])}
    for name in pick.choice([[], sorted(use["figures"])[:3], sorted(use["figures"])]):
        use["figures"][name]["range"] = {"low": pick.choice([0, 0.5]), "high": pick.choice([2, 10])}
    write(folder / UTILISATION, use)
    if any(report.problems for report in validate([folder])):
        return
    regions = load_regions(folder)
    for figure in assumed_figures(regions):
        for factor in (figure.low, figure.high):
            point = Variation(figure.kind, figure.name, factor).apply(regions)
            assert all(v <= 1 for table in point.figures.values() for *_, v in table.rows), (figure, factor)
            for choice in point.choices.values():
                total = sum((point.figure_by_age(f) for _, f in choice.shares), np.zeros(point.max_age + 1))
                assert (total <= 1 + 1e-9).all(), (figure, factor, choice)
            for region in point.regions:
                assert sum(m.share_in(region) for m in point.mutualities.values()) <= 1 + 1e-9, (figure, factor)
                assert point.regions[region].bim_share.value <= 1
            assert all(abs(sum(m.shares.values()) - 1) < 1e-9 for m in point.mixes.values()), (figure, factor)
