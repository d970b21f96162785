"""Re-pricing an evaluation under changed pricing rules equals evaluating in full, and is used only where it may be.

`reprice` keeps another evaluation's decisions and prices them again; the simulation uses it for
scenarios that change nothing but what pricing reads (`pricing_only`). Checked against the full
evaluation on generated claims, on policy folders we did not write (two convention versions, more
mutualities, other period lengths), under random changes of amounts (by value and by factor, from
any date) and of the thresholds of pricing conditions, and in the simulation, whose tables must
not depend on it.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from conftest import POLICY_DIR
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies import claims_frames
from test_differential_policies import MUTUALITIES, written  # noqa: F401 (written: a fixture)

import engine.simulation.run as simulation_run
from engine.evaluate.vectorized import matching
from engine.evaluate.vectorized.claims import Claims
from engine.evaluate.vectorized.reprice import _texts, pricing_only, reprice, same_benefits
from engine.evaluate.vectorized.requota import requota
from engine.evaluate.vectorized.run import evaluate_arrays
from engine.policy.conditions import leaves
from engine.policy.regions import load_regions
from engine.policy.rules import rules_of
from engine.policy.scenarios import Change, apply, list_scenarios, load_scenario, overlay
from engine.simulation.projection import for_year
from engine.simulation.run import simulate
from engine.simulation.synthetic import Draw, Synthesizer

SETTINGS = settings(max_examples=30, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
PRICING_ONLY = {"copay-15", "index-2pct", "free-until-25", "free-until-25-uptake"}
"""The bundled scenarios whose policy changes touch only what pricing reads; the other changes a quota."""


def pricing_paths(policies) -> list[tuple[str, bool]]:
    """(path, whether it is an amount) of every dated value the pricing rules read: amounts and numeric thresholds."""
    rules = rules_of(policies)
    amounts = {r.amount for c in rules.conventions for r in (*c.tariff, *c.copayment)}
    amounts |= {c.care_path_fee for c in rules.conventions}
    thresholds = {leaf.path for c in rules.conventions for r in (*c.tariff, *c.copayment) for leaf in leaves(r.when)
                  if leaf.path and all(isinstance(e.value, int | float | None) and not isinstance(e.value, bool)
                                       for e in policies.dated(leaf.path).entries)}
    return sorted([(p, True) for p in amounts] + [(p, False) for p in thresholds])


def changed(policies, picks: list[tuple[int, dt.date, float, float | None]]):
    """The policies with some pricing values changed from a date: an amount by value or factor, a threshold by value."""
    paths = pricing_paths(policies)
    values = {}
    for i, (pick, start, value, factor) in enumerate(picks):
        path, amount = paths[pick % len(paths)]
        if not amount:
            value, factor = float(int(value) % 40), None
        change = Change(source="scenario-hypothesis", status="assumed", index=i, path=path, start=start, end=None,
                        value=None if factor is not None else value, factor=factor, decimals=2, unit="EUR")
        values[path] = overlay(values.get(path) or policies.dated(path), change, "generated")
    return policies.with_values(values, "generated", ())


def same_arrays(got, expected) -> None:
    for name, value in vars(expected).items():
        if isinstance(value, np.ndarray):
            np.testing.assert_array_equal(getattr(got, name), value, err_msg=name)


changes = st.lists(st.tuples(st.integers(0, 99), st.dates(dt.date(2021, 6, 1), dt.date(2026, 6, 1)),
                             st.sampled_from([0.0, 5.0, 11.2, 18.0, 26.0, 40.0, 120.0]),
                             st.sampled_from([None, 0.5, 0.98, 1.02, 1.5])), min_size=1, max_size=4)


@SETTINGS
@given(frame=claims_frames(mutualities=MUTUALITIES), picks=changes)
def test_repriced_equals_evaluated_on_written_folders(written, frame, picks):  # noqa: F811 (a fixture)
    other = changed(written, picks)
    assert pricing_only(written, other)
    claims = Claims(frame)
    same_arrays(reprice(claims, evaluate_arrays(claims, written), other), evaluate_arrays(Claims(frame), other))


@SETTINGS
@given(frame=claims_frames(mutualities=MUTUALITIES), picks=st.lists(changes, min_size=2, max_size=4))
def test_successive_repricings_of_one_evaluation_equal_evaluated(written, frame, picks):  # noqa: F811 (a fixture)
    """Re-pricings of one evaluation share what they read alike (rows, columns, the combinations of values the rules
    read, also when the rules are matched per combination, as on large frames); each must still equal its own full
    evaluation."""
    for per_combination in (False, True):
        with pytest.MonkeyPatch.context() as patch:
            if per_combination:
                patch.setattr(matching, "ROWS_PER_COMBINATION", 0)
            claims = Claims(frame)
            base = evaluate_arrays(claims, written)
            for changes_of_one in picks:
                other = changed(written, changes_of_one)
                same_arrays(reprice(claims, base, other), evaluate_arrays(Claims(frame), other))


@pytest.mark.parametrize("order", [sorted(PRICING_ONLY), sorted(PRICING_ONLY, reverse=True)])
def test_repricings_under_every_bundled_scenario_one_after_another(policies, order, monkeypatch):
    """The bundled scenarios' re-pricings of one evaluation of a simulated region, in turn, matched per combination."""
    monkeypatch.setattr(matching, "ROWS_PER_COMBINATION", 0)
    applied, data = for_year(policies, load_regions(policies.root), 2027)
    frame = Synthesizer(applied, data, Draw(2027, 3, data.reference_day)).claims(
        load_scenario("baseline", policies), ["luxemburg"])[0]
    claims = Claims(frame)
    base = evaluate_arrays(claims, policies)
    for name in order:
        other = apply(policies, load_scenario(name, policies))
        same_arrays(reprice(claims, base, other), evaluate_arrays(Claims(frame), other))


@pytest.mark.parametrize("name", [s.name for s in list_scenarios(POLICY_DIR)])
def test_only_scenarios_that_change_pricing_are_repriced(policies, name):
    base = apply(policies, load_scenario("baseline", policies))
    assert pricing_only(base, apply(policies, load_scenario(name, policies))) == (name in PRICING_ONLY | {"baseline"})


@SETTINGS
@given(frame=claims_frames(), name=st.sampled_from(sorted(PRICING_ONLY)))
def test_repriced_equals_evaluated_under_bundled_scenarios(policies, frame, name):
    other = apply(policies, load_scenario(name, policies))
    claims = Claims(frame)
    same_arrays(reprice(claims, evaluate_arrays(claims, policies), other), evaluate_arrays(Claims(frame), other))


def one_changed(policies, path: str, value: float, start: dt.date = dt.date(2024, 1, 1)):
    """The policies with one dated value set to `value` from `start`."""
    change = Change(source="scenario-hypothesis", status="assumed", index=9, path=path, start=start, end=None,
                    value=value, factor=None, decimals=0, unit="")
    return policies.with_values({path: overlay(policies.dated(path), change, "generated")}, "generated", ())


def test_a_change_a_decision_reads_is_not_pricing_only(policies):
    decided = decided_paths(policies)
    assert len(decided) > 3
    for path in decided:
        assert not pricing_only(policies, one_changed(policies, path, 30)), path


def decided_paths(policies) -> list[str]:
    """The dated values the convention's decisions read: quota caps, the period length, the age bands' limits."""
    conv = rules_of(policies).conventions[0]
    decided = [p for caps in conv.bundles.values() for b in caps for p in b.caps.values()]
    return decided + [conv.period_months, *(p for band in conv.age_bands.values() for p in band.values())]


@SETTINGS
@given(frame=claims_frames(mutualities=MUTUALITIES), pick=st.integers(0, 99), value=st.integers(0, 30),
       start=st.dates(dt.date(2021, 6, 1), dt.date(2026, 6, 1)), prices=changes)
def test_benefits_taken_from_another_evaluation_equal_evaluated(written, frame, pick, value, start, prices):  # noqa: F811
    """A change of the convention's decisions and prices leaves the sessions outside the convention as they were."""
    paths = decided_paths(written)
    other = one_changed(changed(written, prices), paths[pick % len(paths)], value, start)
    assert same_benefits(written, other)
    claims = Claims(frame)
    same_arrays(evaluate_arrays(claims, other, evaluate_arrays(claims, written)), evaluate_arrays(Claims(frame), other))


def test_a_change_a_benefit_reads_is_not_same_benefits(policies):
    read = sorted(p for p in set(_texts(rules_of(policies).supplementary)) if p in policies.values)
    assert len(read) > 10
    for path in read:
        assert not same_benefits(policies, one_changed(policies, path, 3)), path
    for name in (s.name for s in list_scenarios(POLICY_DIR)):  # the bundled scenarios change the convention only
        assert same_benefits(policies, apply(policies, load_scenario(name, policies))), name


@pytest.mark.parametrize("workers", [1, 2])
def test_simulation_tables_do_not_depend_on_repricing_requoting_or_benefits_taken(policies, monkeypatch, tmp_path, workers):
    """Also on two workers, which write down what they re-price and take in a file of their own."""
    names = [s.name for s in list_scenarios(POLICY_DIR) if s.name != "baseline"]
    done = tmp_path / "done"

    def noted(what: str, scenario: str) -> None:
        with done.open("a") as file:
            file.write(f"{what} {scenario}\n")

    monkeypatch.setattr(simulation_run, "reprice", lambda c, base, applied: noted("repriced", applied.scenario)
                        or reprice(c, base, applied))
    monkeypatch.setattr(simulation_run, "evaluate_arrays", lambda c, applied, of=None: (
        noted("taking", applied.scenario) if of is not None else None) or evaluate_arrays(c, applied, of))
    monkeypatch.setattr(simulation_run, "requota", lambda c, base, applied, least: noted("requoted", applied.scenario)
                        or requota(c, base, applied, least))
    repriced = simulate(policies, names, year=2027, regions=["luxemburg", "limburg"], workers=workers, patients=True)
    lines = done.read_text().split("\n")
    # the uptake scenario's baseline patients too, re-priced once for free-until-25 and it (the same policies)
    assert sorted(line.split()[1] for line in lines if line.startswith("repriced")) == sorted(
        PRICING_ONLY - {"free-until-25"})
    # only its patients with more than 8 claims of the convention evaluated again, with the baseline's results
    # outside the convention
    assert [line for line in lines if line.startswith(("taking", "requoted"))] == ["requoted adult-quota-10"]
    assert repriced.result("baseline", "supplements") > 0
    monkeypatch.setattr(simulation_run, "pricing_only", lambda base, other: False)
    monkeypatch.setattr(simulation_run, "same_benefits", lambda base, other: False)
    monkeypatch.setattr(simulation_run, "quota_only", lambda base, other: None)
    full = simulate(policies, names, year=2027, regions=["luxemburg", "limburg"], workers=workers, patients=True)
    pd.testing.assert_frame_equal(repriced.results, full.results)
    pd.testing.assert_frame_equal(repriced.drivers, full.drivers)
    for name in repriced.patients:
        pd.testing.assert_frame_equal(repriced.patients[name], full.patients[name])
