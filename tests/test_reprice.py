"""Re-pricing an evaluation under changed amounts equals evaluating in full, and is used only where it may be.

`reprice` keeps another evaluation's decisions and reads the convention's amounts again; the
simulation uses it for scenarios that change nothing else (`amounts_only`). Checked against the full
evaluation on generated claims, on policy folders we did not write (two convention versions, more
mutualities, other period lengths), under random changes of amounts (by value and by factor, from
any date), and in the simulation, whose tables must not depend on it.
"""

from __future__ import annotations

import datetime as dt
import shutil

import numpy as np
import pandas as pd
import pytest
from conftest import POLICY_DIR
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies import claims_frames
from test_differential_policies import FOLDERS, MUTUALITIES

import engine.simulation.run as simulation_run
from engine.evaluate.vectorized.claims import Claims
from engine.evaluate.vectorized.reprice import amounts_only, reprice
from engine.evaluate.vectorized.run import evaluate_arrays
from engine.policy.conditions import leaves
from engine.policy.policies import load_policies
from engine.policy.rules import rules_of
from engine.policy.scenarios import Change, apply, list_scenarios, load_scenario, overlay
from engine.policy.validation import validate
from engine.simulation.run import simulate

SETTINGS = settings(max_examples=30, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
AMOUNTS_ONLY = {"copay-15", "index-2pct"}
"""The bundled scenarios that change only amounts; the others change conditions, quotas or utilisation."""


@pytest.fixture(scope="module", params=list(FOLDERS))
def written(request, tmp_path_factory):
    folder = tmp_path_factory.mktemp(request.param) / "policy"
    shutil.copytree(POLICY_DIR, folder)
    FOLDERS[request.param](folder)
    assert [p for report in validate([folder]) for p in report.problems] == []
    return load_policies(folder)


def amount_paths(policies) -> list[str]:
    rules = rules_of(policies)
    return sorted({r.amount for c in rules.conventions for r in (*c.tariff, *c.copayment)}
                  | {c.care_path_fee for c in rules.conventions})


def changed(policies, picks: list[tuple[int, dt.date, float | None, float | None]]):
    """The policies with some amount paths changed from a date, by value or by factor."""
    paths = amount_paths(policies)
    values = {}
    for i, (pick, start, value, factor) in enumerate(picks):
        path = paths[pick % len(paths)]
        change = Change(source="scenario-hypothesis", status="assumed", index=i, path=path, start=start, end=None,
                        value=value, factor=factor, decimals=2, unit="EUR")
        values[path] = overlay(values.get(path) or policies.dated(path), change, "generated")
    return policies.with_values(values, "generated", ())


def same_arrays(got, expected) -> None:
    for name, value in vars(expected).items():
        if isinstance(value, np.ndarray):
            np.testing.assert_array_equal(getattr(got, name), value, err_msg=name)


changes = st.lists(st.tuples(st.integers(0, 99), st.dates(dt.date(2021, 6, 1), dt.date(2026, 6, 1)),
                             st.one_of(st.none(), st.sampled_from([0.0, 5.0, 11.2, 40.0, 120.0])),
                             st.sampled_from([0.5, 0.98, 1.02, 1.5])), min_size=1, max_size=4) \
    .map(lambda picks: [(p, d, v, None if v is not None else f) for p, d, v, f in picks])


@SETTINGS
@given(frame=claims_frames(mutualities=MUTUALITIES), picks=changes)
def test_repriced_equals_evaluated_on_written_folders(written, frame, picks):
    other = changed(written, picks)
    assert amounts_only(written, other)
    claims = Claims(frame)
    same_arrays(reprice(claims, evaluate_arrays(claims, written), other), evaluate_arrays(Claims(frame), other))


@pytest.mark.parametrize("name", [s.name for s in list_scenarios(POLICY_DIR)])
def test_only_scenarios_that_change_amounts_are_repriced(policies, name):
    base = apply(policies, load_scenario("baseline", policies))
    assert amounts_only(base, apply(policies, load_scenario(name, policies))) == (name in AMOUNTS_ONLY | {"baseline"})


@SETTINGS
@given(frame=claims_frames(), name=st.sampled_from(sorted(AMOUNTS_ONLY)))
def test_repriced_equals_evaluated_under_bundled_scenarios(policies, frame, name):
    other = apply(policies, load_scenario(name, policies))
    claims = Claims(frame)
    same_arrays(reprice(claims, evaluate_arrays(claims, policies), other), evaluate_arrays(Claims(frame), other))


def test_a_change_a_decision_reads_is_not_amounts_only(policies):
    rules = rules_of(policies)
    conv = rules.conventions[0]
    decided = [leaf.path for r in conv.copayment for leaf in leaves(r.when) if leaf.path]
    decided += [p for caps in conv.bundles.values() for b in caps for p in b.caps.values()]
    decided += [conv.period_months]
    assert decided
    for path in decided:
        change = Change(source="scenario-hypothesis", status="assumed", index=0, path=path, start=dt.date(2024, 1, 1),
                        end=None, value=30, factor=None, decimals=0, unit="")
        other = policies.with_values({path: overlay(policies.dated(path), change, "generated")}, "generated", ())
        assert not amounts_only(policies, other), path


def test_simulation_tables_do_not_depend_on_repricing(policies, monkeypatch):
    names = [s.name for s in list_scenarios(POLICY_DIR) if s.name != "baseline"]
    repriced_ids = []
    monkeypatch.setattr(simulation_run, "reprice", lambda c, base, applied: repriced_ids.append(applied.scenario)
                        or reprice(c, base, applied))
    repriced = simulate(policies, names, year=2027, regions=["luxemburg", "limburg"], workers=1, patients=True)
    assert sorted(repriced_ids) == sorted(AMOUNTS_ONLY)
    monkeypatch.setattr(simulation_run, "amounts_only", lambda base, other: False)
    full = simulate(policies, names, year=2027, regions=["luxemburg", "limburg"], workers=1, patients=True)
    pd.testing.assert_frame_equal(repriced.results, full.results)
    pd.testing.assert_frame_equal(repriced.drivers, full.drivers)
    for name in repriced.patients:
        pd.testing.assert_frame_equal(repriced.patients[name], full.patients[name])
