"""Evaluating again only the patients a quota change can reach equals evaluating in full, and is used only where it may
be.

`requota` keeps the results of the patients with no more claims of the convention than the smallest
changed cap (old or new) and no group session; the simulation uses it for scenarios that change
nothing but quota caps and totals (`quota_only`). Checked against the full evaluation on generated
claims, on policy folders we did not write, under random changes of any cap or total (from any date,
to any count, also to null), by hand on a group whose fee a change re-shares, and in the simulation,
whose tables must not depend on it.
"""

from __future__ import annotations

import datetime as dt

import pytest
from claims_factory import claims_frame
from conftest import POLICY_DIR
from hypothesis import given
from hypothesis import strategies as st
from strategies import claims_frames
from test_differential_policies import MUTUALITIES, written  # noqa: F401 (written: a fixture)
from test_reprice import SETTINGS, changed, one_changed, same_arrays

from engine.evaluate.vectorized.claims import Claims
from engine.evaluate.vectorized.requota import quota_only, requota
from engine.evaluate.vectorized.run import evaluate_arrays
from engine.policy.conditions import leaves
from engine.policy.rules import rules_of
from engine.policy.scenarios import Change, apply, list_scenarios, load_scenario, overlay

CHILD_GROUP_CAPS = ("riziv-psy-2021.quota.networks.children.bundles.fl.caps.first_line_group",
                    "riziv-psy-2021.quota.networks.children.bundles.sp_fl.caps.first_line_group")
"""The bundles that admit a child's first-line group sessions, 8 of them."""


def quota_paths(policies) -> list[str]:
    """Every cap and total of the quota bundles of every convention."""
    return sorted({p for conv in rules_of(policies).conventions for bundles in conv.bundles.values()
                   for b in bundles for p in (*b.caps.values(), *([b.total] if b.total else []))})


def requoted(policies, picks: list[tuple[int, dt.date, int | None]]):
    """The policies with some quota caps or totals set from a date (None: null)."""
    paths = quota_paths(policies)
    values = {}
    for i, (pick, start, value) in enumerate(picks):
        path = paths[pick % len(paths)]
        change = Change(source="scenario-hypothesis", status="assumed", index=i, path=path, start=start, end=None,
                        value=value, factor=None, decimals=0, unit="sessions")
        values[path] = overlay(values.get(path) or policies.dated(path), change, "generated")
    return policies.with_values(values, "generated", ())


caps = st.lists(st.tuples(st.integers(0, 99), st.dates(dt.date(2021, 6, 1), dt.date(2026, 6, 1)),
                          st.sampled_from([*range(3, 31), 0, 1, None])), min_size=1, max_size=3)
"""Changes of caps and totals: mostly counts that some patients stay within, now and then 0, 1 or null."""


@SETTINGS
@given(frame=claims_frames(mutualities=MUTUALITIES), picks=caps, alone=st.integers(0, 3))
def test_requoted_equals_evaluated_on_written_folders(written, frame, picks, alone):  # noqa: F811 (a fixture)
    """Also with some patients' group sessions left out (every `alone`-th patient's, none for 0), so that patients
    within every changed cap keep their results."""
    if alone:
        codes = frame["patient_id"].astype("category").cat.codes
        frame = frame[~((codes % alone == 0) & (frame["kind"] == "group"))].reset_index(drop=True)
    other = requoted(written, picks)
    least = quota_only(written, other)
    assert least is not None
    claims = Claims(frame)
    same_arrays(requota(claims, evaluate_arrays(claims, written), other, least), evaluate_arrays(Claims(frame), other))


def test_a_change_of_anything_else_is_not_quota_only(policies):
    rules = rules_of(policies)
    conv = rules.conventions[0]
    for path in [conv.period_months, *(p for band in conv.age_bands.values() for p in band.values()),
                 *(r.amount for r in conv.tariff), conv.care_path_fee,
                 *(p for caps in conv.network_average.values() for p in caps.values()),
                 *(leaf.path for r in conv.copayment for leaf in leaves(r.when) if leaf.path)]:
        assert quota_only(policies, one_changed(policies, path, 3)) is None, path
    both = one_changed(changed(policies, [(0, dt.date(2024, 1, 1), 11.2, None)]), CHILD_GROUP_CAPS[0], 3)
    assert quota_only(policies, both) is None  # a quota change with a price change
    assert quota_only(policies, policies) is None  # no change


def test_the_smallest_changed_value_old_or_new_bounds_the_patients_evaluated_again(policies):
    assert quota_only(policies, one_changed(policies, CHILD_GROUP_CAPS[0], 3)) == 3  # from 8
    assert quota_only(policies, one_changed(policies, CHILD_GROUP_CAPS[0], 12)) == 8
    nulled = requoted(policies, [(quota_paths(policies).index(CHILD_GROUP_CAPS[0]), dt.date(2024, 1, 1), None)])
    assert quota_only(policies, nulled) == 0  # a value that is not a number reaches every patient


@pytest.mark.parametrize("name", [s.name for s in list_scenarios(POLICY_DIR)])
def test_only_the_bundled_quota_scenario_is_requoted(policies, name):
    base = apply(policies, load_scenario("baseline", policies))
    least = quota_only(base, apply(policies, load_scenario(name, policies)))
    assert least == (8 if name == "adult-quota-10" else None)


def group_session(patient: str, day: str, group: str, claim: str) -> dict:
    return {"claim_id": claim, "patient_id": patient, "birth_date": "2015-03-01", "session_date": day,
            "kind": "group", "increased_reimbursement": False, "setting": "standard", "network": "children",
            "care": "first_line", "group_id": group, "co_lead": ""}


def individual_session(patient: str, day: str, claim: str) -> dict:
    return group_session(patient, day, "", claim) | {"kind": "individual", "group_id": None, "co_lead": None}


def test_a_group_fee_is_shared_again_among_the_participants_a_change_leaves(policies):
    """Child A's second group session is refused once the caps fall to 1: child B, with one session and so within every
    changed cap, is then the group's only covered participant and carries its whole fee."""
    frame = claims_frame([group_session("A", "2024-03-04", "G1", "a1"), group_session("A", "2024-03-11", "G2", "a2"),
                          group_session("B", "2024-03-11", "G2", "b1")])
    other = one_changed(one_changed(policies, CHILD_GROUP_CAPS[0], 1), CHILD_GROUP_CAPS[1], 1)
    claims = Claims(frame)
    base = evaluate_arrays(claims, policies)
    got = requota(claims, base, other, quota_only(policies, other))
    assert list(base.covered) == [True, True, True] and list(got.covered) == [True, False, True]
    assert got.fee[2] == base.fee[1] + base.fee[2] > base.fee[2] > 0  # the whole fee, which A and B shared
    same_arrays(got, evaluate_arrays(Claims(frame), other))


def test_a_patient_with_one_claim_more_than_the_smallest_changed_cap_is_evaluated_again(policies):
    """Child A's second individual session is refused once the caps of first-line individual sessions fall to 1; child
    B's one session stays covered."""
    caps = ["riziv-psy-2021.quota.networks.children.bundles.fl.caps.first_line_individual",
            "riziv-psy-2021.quota.networks.children.bundles.fl_sp.caps.first_line_individual"]
    other = one_changed(one_changed(policies, caps[0], 1), caps[1], 1)
    frame = claims_frame([individual_session("A", "2024-03-04", "a1"), individual_session("A", "2024-03-11", "a2"),
                          individual_session("B", "2024-03-11", "b1")])
    claims = Claims(frame)
    got = requota(claims, evaluate_arrays(claims, policies), other, quota_only(policies, other))
    assert list(got.covered) == [True, False, True]
    same_arrays(got, evaluate_arrays(Claims(frame), other))
