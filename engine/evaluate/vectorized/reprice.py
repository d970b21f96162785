"""An evaluation under policies that differ from another's only in amounts: the decisions stay, the cents follow.

A scenario that changes nothing but the amounts of convention tariff rows, co-payment rules or the
care-path fee (an indexation, a new co-payment) leaves every decision of the evaluator as it was:
which sessions are covered and why not, their periods and bundles, the tariff rows and co-payment
rules that apply. Its evaluation is the other evaluation with those amounts read again on each
session's date, then the group fees shared and the co-payments capped as in every evaluation. The
simulation uses it for such scenarios; tests hold it equal to a full evaluation.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator

import numpy as np

from engine.evaluate.vectorized.claims import Claims
from engine.evaluate.vectorized.epochs import Dated, epochs_of
from engine.evaluate.vectorized.output import Output
from engine.evaluate.vectorized.run import share_group_fees
from engine.policy.policies import PolicySet
from engine.policy.rules import Priced, Rules, rules_of


def amounts_only(base: PolicySet, other: PolicySet) -> bool:
    """Whether `other` differs from `base` only in dated values that no decision of the evaluator reads."""
    if base.docs is not other.docs and base.docs != other.docs:
        return False
    changed = {p for p in base.values.keys() | other.values.keys() if base.values.get(p) != other.values.get(p)}
    return changed <= _amount_paths(rules_of(base)) and changed <= _amount_paths(rules_of(other))


def _amount_paths(rules: Rules) -> set[str]:
    """Paths the conventions read only as amounts: read as an amount, and nowhere else in the rules."""
    amounts = {r.amount for conv in rules.conventions for r in (*conv.tariff, *conv.copayment)}
    amounts |= {conv.care_path_fee for conv in rules.conventions}
    try:
        return amounts - set(_texts(_without_amounts(rules)))
    except TypeError:  # rules holding something unforeseen: no path counts as an amount only
        return set()


def _without_amounts(rules: Rules) -> Rules:
    return dataclasses.replace(rules, conventions=tuple(
        dataclasses.replace(conv, tariff=_unpriced(conv.tariff), copayment=_unpriced(conv.copayment), care_path_fee="")
        for conv in rules.conventions))


def _unpriced(rules: tuple[Priced, ...]) -> tuple[Priced, ...]:
    return tuple(dataclasses.replace(r, amount="") for r in rules)


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
    """The evaluation of `c` under `policies`, from its evaluation `base` under policies that differ only in amounts
    (`amounts_only`): `base`'s decisions with the convention's amounts read from `policies`."""
    out = Output.__new__(Output)
    out.__dict__.update(base.__dict__)
    out.fee, out.copay, out.care_path = base.fee.copy(), base.copay.copy(), base.care_path.copy()
    out.insurer = base.insurer.copy()
    epochs = epochs_of(policies)
    for conv in rules_of(policies).conventions:
        mine = base.covered & (base.scheme == out.schemes.index.get(conv.id, -1))
        if not mine.any():
            continue
        for amounts in (out.fee, out.copay, out.care_path):
            amounts[mine] = 0
        _amounts(out.fee, mine, base.tariff_row, out.tariffs.index, conv.tariff, c, epochs)
        _amounts(out.fee, mine, base.co_lead_row, out.tariffs.index, conv.tariff, c, epochs)
        _amounts(out.copay, mine, base.copay_rule, out.rules.index, conv.copayment, c, epochs)
        opened = np.flatnonzero(mine & base.opened)
        out.care_path[opened] = Dated(epochs, c.day[opened]).cents(conv.care_path_fee)
    share_group_fees(c, c.text["network"].equals(""), out)
    return out


def _amounts(into: np.ndarray, rows: np.ndarray, chosen: np.ndarray, codes: dict[str, int],
             rules: tuple[Priced, ...], c: Claims, epochs) -> None:
    """Add the amount of each row's chosen rule (by code) on its date to `into`."""
    for rule in rules:
        at = np.flatnonzero(rows & (chosen == codes[rule.id]))
        if len(at):
            into[at] += Dated(epochs, c.day[at]).cents(rule.amount)  # NaN (null) is 0, as in pricing.settle
