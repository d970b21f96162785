"""Dated values per epoch: the table the vectorized evaluator reads equals the value in force on each epoch's day."""

from __future__ import annotations

import datetime as dt
import json
import math

import pytest

from engine.errors import ResolveError
from engine.evaluate.vectorized.epochs import Epochs
from engine.policy.policies import PolicySet, load_policies
from engine.policy.scenarios import apply, list_scenarios, load_scenario


def _check(policies: PolicySet) -> int:
    """Compare every path's table with value_at on each epoch's day; the number of epochs without a value."""
    epochs, undefined = Epochs(policies), 0
    for path, dated in policies.values.items():
        values, defined = epochs.table(path)
        for e, day in enumerate(epochs.first.tolist()):
            try:
                value = dated.value_at(day).value
            except ResolveError:  # before the history starts or after it ends
                assert not defined[e] and math.isnan(values[e]), (path, day)
                undefined += 1
                continue
            assert defined[e], (path, day)
            assert (math.isnan(values[e]) if value is None else values[e] == float(value)), (path, day)
    return undefined


@pytest.mark.parametrize("name", [s.name for s in list_scenarios()])
def test_each_epoch_holds_the_value_in_force_on_its_day(policies, name):
    _check(apply(policies, load_scenario(name, policies)))


def test_a_value_that_ends_has_none_after_its_last_day(policy_copy):
    """A history whose last entry has a `to`: the epochs after it have no value (NaN, not defined)."""
    file = policy_copy / "cm-psychotherapy.json"
    doc = json.loads(file.read_text(encoding="utf-8"))
    doc["lifetime_cap"]["history"][-1]["to"] = "2027-06-30"
    file.write_text(json.dumps(doc), encoding="utf-8")
    policies = load_policies(policy_copy)
    assert policies.values["cm-psychotherapy.lifetime_cap"].entries[-1].end == dt.date(2027, 6, 30)
    assert _check(policies) > _check(load_policies())
