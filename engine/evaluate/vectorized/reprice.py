"""An evaluation under policies that differ from another's only in what pricing reads: the decisions stay, the prices
follow.

A scenario that changes nothing but the convention's pricing rules (the amounts and conditions of
tariff rows and co-payment rules, the care-path fee: an indexation, a new co-payment, a free
session for more ages) leaves every other decision of the evaluator as it was: which sessions are
covered and why not, their periods and bundles, the first session of each period. Its evaluation
is the other evaluation priced again by the evaluator's own pricing (engine/evaluate/vectorized/pricing.py),
then the group fees shared and the co-payments capped as in every evaluation. The simulation uses
it for such scenarios; tests hold it equal to a full evaluation.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import weakref
from collections.abc import Iterator

import numpy as np

from engine.evaluate.vectorized.claims import Claims, columns
from engine.evaluate.vectorized.epochs import Dated, epochs_of
from engine.evaluate.vectorized.output import Output
from engine.evaluate.vectorized.pricing import price
from engine.evaluate.vectorized.run import share_group_fees
from engine.policy.policies import PolicySet
from engine.policy.rules import rules_of

PRICED = ("tariff_row", "co_lead_row", "copay_rule", "fee", "copay", "care_path", "insurer")
"""The result arrays pricing writes; the others are decisions, kept."""


def pricing_only(base: PolicySet, other: PolicySet) -> bool:
    """Whether `other` differs from `base` only in dated values that nothing but the convention's pricing reads."""
    changed = changed_paths(base, other)
    return changed is not None and all(changed <= read_only_in(p, PRICING) for p in (base, other))


def changed_paths(base: PolicySet, other: PolicySet) -> set[str] | None:
    """The paths of the dated values `other` changes from `base`; None when they are not made of the same files."""
    if not base.same_files(other):
        return None
    return {p for p in base.values.keys() | other.values.keys() if base.values.get(p) != other.values.get(p)}


def same_benefits(base: PolicySet, other: PolicySet) -> bool:
    """Whether the supplementary benefits read the same under `other` as under `base`: the same files, and no changed
    dated value among those they read (engine/evaluate/vectorized/run.py then takes `base`'s results outside the
    convention)."""
    read = _read(rules_of(base).supplementary)
    if not base.same_files(other) or read is None:  # rules holding something unforeseen: not known to read the same
        return False
    return not any(base.values.get(p) != other.values.get(p) for p in read)


PRICING = ("tariff", "copayment", "care_path_fee")
"""The fields of a convention that only pricing reads."""


def read_only_in(policies: PolicySet, fields: tuple[str, ...]) -> frozenset[str]:
    """Paths the conventions of `policies` read in `fields` (such as PRICING) and nowhere else in their rules; none
    when the rules hold something unforeseen. Kept per policy set: a simulation asks it of every pair of scenarios."""
    known = _ONLY.setdefault(policies, {})
    if fields not in known:
        rules = rules_of(policies)
        read = _read([tuple(getattr(c, f) for f in fields) for c in rules.conventions])
        elsewhere = _read(dataclasses.replace(rules, conventions=tuple(
            dataclasses.replace(c, **{f: type(getattr(c, f))() for f in fields}) for c in rules.conventions)))
        known[fields] = frozenset() if read is None or elsewhere is None else frozenset(read - elsewhere)
    return known[fields]


_ONLY: weakref.WeakKeyDictionary[PolicySet, dict[tuple[str, ...], frozenset[str]]] = weakref.WeakKeyDictionary()


def _read(node) -> set[str] | None:
    """Every text compiled rules hold (the paths they read among them), or None when they hold something unforeseen."""
    try:
        return set(_texts(node))
    except TypeError:
        return None


def _texts(node) -> Iterator[str]:
    """Every text held anywhere in compiled rules (dataclass fields, tuples, dicts): the paths they read among them."""
    if isinstance(node, str):
        yield node
    elif dataclasses.is_dataclass(node) and not isinstance(node, type):
        for f in dataclasses.fields(node):
            yield from _texts(getattr(node, f.name))
    elif isinstance(node, dict):
        for key, value in node.items():
            yield from _texts(key)
            yield from _texts(value)
    elif isinstance(node, tuple | list | set | frozenset):
        for item in node:
            yield from _texts(item)
    elif not isinstance(node, bool | int | float | dt.date | type(None)):
        raise TypeError(f"unexpected {type(node).__name__} in compiled rules")


def reprice(c: Claims, base: Output, policies: PolicySet) -> Output:
    """The evaluation of `c` under `policies`, from its evaluation `base` under policies that differ only in what
    pricing reads (`pricing_only`): `base`'s decisions, priced under `policies`."""
    out = Output.__new__(Output)
    out.__dict__.update(base.__dict__)
    for name in PRICED:
        setattr(out, name, getattr(base, name).copy())
    epochs = epochs_of(policies)
    read = _READ.setdefault(base, {})
    for conv in rules_of(policies).conventions:
        if conv.id not in read or read[conv.id].claims is not c:
            read[conv.id] = _Read(c, np.flatnonzero(base.scheme == out.schemes.index.get(conv.id, -1)))
        seen = read[conv.id]
        if len(seen.rows):
            price(c, seen.rows, conv, Dated(epochs, seen.day), seen.column, seen.age, out, seen.memo)
    share_group_fees(c, c.text["network"].equals(""), out)
    return out


class _Read:
    """What every re-pricing of one evaluation reads alike for one convention: its rows, their days, ages and claims
    columns, and each row's combination of the values the pricing rules read (`memo`)."""

    def __init__(self, c: Claims, rows: np.ndarray):
        self.claims, self.rows, self.day, self.age = c, rows, c.day[rows], c.ages(rows)
        self.column = columns(c, rows, {}, self.day)
        self.memo: dict = {}


_READ: weakref.WeakKeyDictionary[Output, dict[str, _Read]] = weakref.WeakKeyDictionary()
"""Per evaluation re-priced from (while it lives), per convention id."""
