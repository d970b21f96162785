"""The table of quota moves: the count vectors a period can hold and each claim's move, built once for the parts of an
evaluation, small however large the caps."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from claims_factory import claims_frame
from test_reprice import one_changed
from test_requota import individual_session, quota_paths

from engine.evaluate.reference import evaluate_reference
from engine.evaluate.vectorized import convention as convention_module
from engine.evaluate.vectorized import threads
from engine.evaluate.vectorized.claims import Claims
from engine.evaluate.vectorized.output import R
from engine.evaluate.vectorized.quota import quota_moves, quota_table
from engine.evaluate.vectorized.run import evaluate_arrays
from engine.simulation.run import run_one


def moves(caps: list[list[list[int]]], totals: list[list[int]]):
    caps_array, totals_array = np.array(caps, np.int32), np.array(totals, np.int32)
    return quota_moves(caps_array.tobytes(), totals_array.tobytes(), caps_array.shape)


def test_every_move_adds_one_session_of_its_category_and_a_full_bundle_refuses():
    """One bundle of caps (2, 1) and total 3: every vector up to (2, 1) is a state, each move adds one session of its
    category, and the full bundle has no move left."""
    vectors, move, fitting, _ = moves([[[2, 1]]], [[3]])
    assert sorted(map(tuple, vectors)) == [(a, b) for a in range(3) for b in range(2)]
    for state, vector in enumerate(vectors):
        for category in range(2):
            grown = vector + np.eye(2, dtype=np.int32)[category]
            if move[0, state, category] < 0:
                assert grown[0] > 2 or grown[1] > 1
            else:
                assert tuple(vectors[move[0, state, category]]) == tuple(grown)
                assert fitting[0, state, category] == 0


def test_a_total_below_the_caps_refuses_the_last_session():
    vectors, move, _, _ = moves([[[2, 1]]], [[2]])
    assert (2, 1) not in set(map(tuple, vectors))
    full = [tuple(v) for v in vectors].index((2, 0))
    assert list(move[0, full]) == [-1, -1]


def test_the_parts_of_an_evaluation_share_one_table(monkeypatch, policies):
    """Parts whose patients have different numbers of claims, evaluated on two threads, use one table per convention."""
    monkeypatch.setattr(threads, "THREADED", 1_000)
    monkeypatch.setattr(threads, "PART", 3_000)
    claims_of_parts = []
    caps_of = convention_module.caps_of

    def spied(conv, nets, dated, claims):
        claims_of_parts.append((conv.id, claims))
        return caps_of(conv, nets, dated, claims)

    monkeypatch.setattr(convention_module, "caps_of", spied)
    quota_table.cache_clear()
    run_one(policies, year=2027, regions=["luxemburg"])
    conventions = {conv for conv, _ in claims_of_parts}
    assert len(set(claims_of_parts)) > len(conventions)  # parts of different sizes
    assert quota_table.cache_info().misses == len(conventions)


@pytest.mark.parametrize("cap", [1_000, 1_000_000])
def test_caps_far_above_any_patients_claims_keep_the_table_small(monkeypatch, policies, cap):
    """A cap no patient can reach is bounded by the claims of the patient with the most (8): the table holds the count
    vectors of at most 8 sessions, and every session is covered."""
    other = policies
    for path in quota_paths(policies):
        other = one_changed(other, path, cap)
    states = []

    def spied(*args):
        table = quota_moves(*args)
        states.append(table[0])
        return table

    monkeypatch.setattr(convention_module, "quota_moves", spied)
    frame = claims_frame([individual_session("A", f"2024-03-{day:02d}", f"a{day}") for day in range(4, 12)])
    out = evaluate_arrays(Claims(frame), other)
    assert out.covered.all()
    assert [int(vectors.sum(axis=1).max()) for vectors in states] == [8]


def test_bundles_that_hold_nothing_refuse_by_quota_as_the_reference_does(policies):
    """Every total 0 (and every cap 0 where a bundle has no total): a session is refused because the quota is
    exhausted, not because its combination is not allowed, as the reference evaluator says."""
    paths = quota_paths(policies)
    totalled = {p.rsplit(".total", 1)[0] for p in paths if p.endswith(".total")}
    closed = policies
    for path in paths:
        if path.endswith(".total") or path.split(".caps.")[0] not in totalled:
            closed = one_changed(closed, path, 0, dt.date(2021, 1, 1))
    frame = claims_frame([individual_session("A", "2024-03-04", "a1")])
    out = evaluate_arrays(Claims(frame), closed)
    reference, _ = evaluate_reference(frame, closed)
    assert not out.covered[0] and out.reason[0] == R["quota_exhausted"]
    assert reference["reason"].tolist() == ["quota_exhausted"]
