"""Reference and vectorized evaluators agree on policies we did not write, and on the threaded path.

The folders: the baseline (with its mutualities), every bundled scenario, a second convention
version (another fee and period length), two more mutualities, a period length that changes over time, and all of these at
once. Each must pass `validate` first. The threaded path runs with its thresholds forced small, so
that patients are split into several parts evaluated on two threads.
"""

from __future__ import annotations

import shutil

import pytest
from conftest import POLICY_DIR
from hypothesis import HealthCheck, given, settings
from policy_folders import add_mutuality, add_version, set_period_months
from strategies import claims_frames
from test_differential import same

from engine.evaluate.reference import evaluate_reference
from engine.evaluate.vectorized import evaluate_vectorized, threads
from engine.policy.policies import load_policies
from engine.policy.scenarios import apply, list_scenarios, load_scenario
from engine.policy.validation import validate

MUTUALITIES = ("cm", "solidaris", "lm", "helan", "north", "south", "other")


def two_versions(folder):
    add_version(folder, "2025-01-01", fee=90.0, months=6)


def mutualities(folder):
    add_mutuality(folder, "north", lifetime_cap=6, gap_months=2, percent=60.0)
    add_mutuality(folder, "south", lifetime_cap=12, gap_months=6, percent=40.0)


def period_lengths(folder):
    set_period_months(folder, ("2021-09-01", 12), ("2023-01-01", 6), ("2024-07-01", 18), ("2026-01-01", 3))


def everything(folder):
    period_lengths(folder)
    two_versions(folder)
    mutualities(folder)


FOLDERS = {"baseline": lambda folder: None, "two_versions": two_versions, "mutualities": mutualities,
           "period_lengths": period_lengths, "everything": everything}
SCENARIOS = [s.name for s in list_scenarios(POLICY_DIR)]
SETTINGS = settings(max_examples=40, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module", params=list(FOLDERS))
def written(request, tmp_path_factory):
    """A policy folder written by someone else, checked by validate."""
    folder = tmp_path_factory.mktemp(request.param) / "policy"
    shutil.copytree(POLICY_DIR, folder)
    FOLDERS[request.param](folder)
    assert [p for report in validate([folder]) for p in report.problems] == []
    return load_policies(folder)


@pytest.fixture(scope="module", params=SCENARIOS)
def scenario(request, policies):
    return apply(policies, load_scenario(request.param, policies))


@SETTINGS
@given(frame=claims_frames(mutualities=MUTUALITIES))
def test_vectorized_equals_reference_on_written_folders(written, frame):
    ref, _ = evaluate_reference(frame, written)
    same(ref, evaluate_vectorized(frame, written))


@SETTINGS
@given(frame=claims_frames())
def test_vectorized_equals_reference_under_every_scenario(scenario, frame):
    ref, _ = evaluate_reference(frame, scenario)
    same(ref, evaluate_vectorized(frame, scenario))


@SETTINGS
@given(frame=claims_frames(max_patients=20, mutualities=MUTUALITIES))
def test_the_threaded_path_equals_the_reference(written, monkeypatch, frame):
    monkeypatch.setattr(threads, "THREADED", 1)
    monkeypatch.setattr(threads, "PART", 7)
    ref, _ = evaluate_reference(frame, written)
    same(ref, evaluate_vectorized(frame, written))
