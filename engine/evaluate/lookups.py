"""Single-session questions answered from the rules: a fee, a co-payment, the caps of a category."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from engine.claims.contract import CHOICES
from engine.errors import InputError, ResolveError, did_you_mean
from engine.policy.conditions import holds, leaves
from engine.policy.fields import RULE_KINDS, question_context
from engine.policy.policies import PolicySet
from engine.policy.provenance import Provenance
from engine.policy.rules import Convention, Priced, rules_of


@dataclass(frozen=True)
class Answer(Provenance):
    """An amount (or count) with the rule that produced it and the source of its value."""

    value: float
    rule: str


def choice(column: str, value: str, allowed: tuple[str, ...] | None = None) -> str:
    """Check a text argument against its allowed values, with a 'did you mean'."""
    allowed = allowed or CHOICES[column]
    text = str(value or "").strip().lower()
    if text not in allowed:
        raise InputError(f"{column}: expected one of {', '.join(allowed)}, found {value!r}{did_you_mean(text, list(allowed))}")
    return text


def convention_on(policies: PolicySet, day: dt.date) -> Convention:
    """The convention in force on a date, or a clear error."""
    conv = rules_of(policies).convention_on(day)
    if conv is None:
        raise ResolveError(f"no convention is in force on {day}")
    return conv


def _first(rules: tuple[Priced, ...], kind: str, conv: Convention, given: Mapping[str, Any], policies: PolicySet,
           day: dt.date) -> Priced | None:
    """The first rule whose condition holds for the question's arguments; a field it needs and lacks is an error."""
    label = RULE_KINDS[kind].label
    for rule in rules:
        needed = {leaf.field for leaf in leaves(rule.when)}
        ctx = question_context(kind, f"{conv.id}: {label} {rule.id!r}", needed, given)
        if holds(rule.when, ctx, policies, day):
            return rule
    return None


def tariff_row(policies: PolicySet, kind: str, leader: str, day: dt.date, given: Mapping[str, Any] | None = None) -> Priced:
    """The tariff row of one session kind and leader type on a date (a group's lead or co-lead).

    `given` holds the other arguments of the question (age, network, care, ...), for rows that read them.
    """
    kind = choice("kind", kind)
    conv = convention_on(policies, day)
    leader = choice("leader", leader, conv.leaders)
    row = _first(conv.tariff, "tariff_row", conv, {**(given or {}), "kind": kind, "leader": leader, "on_date": day},
                 policies, day)
    if row is None:
        raise ResolveError(f"{conv.id}: no tariff row for a {kind} session led by a {leader}")
    return row


def fee(policies: PolicySet, kind: str, leader: str, day: dt.date, given: Mapping[str, Any] | None = None) -> Answer:
    """The provider fee of one session kind and leader type on a date, with its rule and source."""
    row = tariff_row(policies, kind, leader, day, given)
    r = policies.value_at(row.amount, day)
    return Answer(r.value, row.id, source=r.source, status=r.status, note=r.note)


def copay(policies: PolicySet, age: int, kind: str, day: dt.date, increased: bool = False,
          first_session: bool = False, setting: str | None = None, network: str | None = None,
          care: str | None = None) -> Answer:
    """The co-payment of one covered session: the first rule in order of precedence that applies.

    `setting` is one the convention in force declares (empty: its default, the first); `network` and `care` are
    needed only by rules (or tariff rows) that read them.
    """
    kind = choice("kind", kind)
    conv = convention_on(policies, day)
    given = {"age": age, "kind": kind, "increased": bool(increased),
             "setting": choice("setting", setting, conv.settings) if setting else conv.settings[0],
             "first_session": bool(first_session) and kind == "individual", "on_date": day,
             "network": None}
    given["network"] = choice("network", network, conv.network_types) if network else None
    given["care"] = choice("care", care, conv.care_types) if care else None
    fee_answer = fee(policies, kind, conv.lead, day, given)
    rule = _first(conv.copayment, "copayment_rule", conv, given, policies, day)
    if rule is None:
        raise ResolveError(f"{conv.id}: no co-payment rule applies to a {kind} session")
    r = policies.value_at(rule.amount, day)
    return Answer(min(r.value, fee_answer.value), rule.id, source=r.source, status=r.status, note=r.note)


def quota(policies: PolicySet, network: str, care: str, kind: str, day: dt.date) -> list[tuple[str, float | None]]:
    """Each bundle of a network type with its cap for one category (None: not allowed in that bundle)."""
    conv = convention_on(policies, day)
    network = choice("network", network, conv.network_types)
    care, kind = choice("care", care, conv.care_types), choice("kind", kind)
    category = conv.category(care, kind)
    if category is None:
        raise ResolveError(f"{conv.id}: no quota category of {care} {kind} sessions (its categories: "
                           f"{', '.join(c.id for c in conv.categories)})")
    out = []
    for bundle in conv.bundles[network]:
        path = bundle.caps.get(category.id)
        out.append((bundle.id, policies.value_at(path, day).value if path else None))
    return out
