"""Single-session questions answered from the rules: a fee, a co-payment, the caps of a category."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from engine.claims.contract import CHOICES
from engine.errors import InputError, ResolveError, did_you_mean
from engine.policy.conditions import holds
from engine.policy.policies import PolicySet
from engine.policy.rules import Convention, Priced, rules_of


@dataclass(frozen=True)
class Answer:
    """An amount (or count) with the rule that produced it and the source of its value."""

    value: float
    rule: str
    source: str
    status: str


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


def tariff_row(policies: PolicySet, kind: str, leader: str, day: dt.date) -> Priced:
    """The tariff row of one session kind and leader type on a date (a group's lead or co-lead)."""
    kind = choice("kind", kind)
    leader = choice("leader", leader, CHOICES["co_lead"])
    conv = convention_on(policies, day)
    for row in conv.tariff:
        if holds(row.when, {"kind": kind, "leader": leader}, policies, day):
            return row
    raise ResolveError(f"{conv.id}: no tariff row for a {kind} session led by a {leader}")


def fee(policies: PolicySet, kind: str, leader: str, day: dt.date) -> Answer:
    """The provider fee of one session kind and leader type on a date, with its rule and source."""
    row = tariff_row(policies, kind, leader, day)
    r = policies.value_at(row.amount, day)
    return Answer(r.value, row.id, r.source, r.status)


def copay(policies: PolicySet, age: int, kind: str, day: dt.date, increased: bool = False,
          first_session: bool = False, setting: str = "standard") -> Answer:
    """The co-payment of one covered session: the first rule in order of precedence that applies."""
    kind = choice("kind", kind)
    setting = choice("setting", setting)
    conv = convention_on(policies, day)
    ctx = {"age": age, "kind": kind, "increased_reimbursement": bool(increased), "setting": setting,
           "first_individual_of_period": bool(first_session) and kind == "individual", "session_date": day}
    fee_answer = fee(policies, kind, "psychologist", day)
    for rule in conv.copayment:
        if holds(rule.when, ctx, policies, day):
            r = policies.value_at(rule.amount, day)
            return Answer(min(r.value, fee_answer.value), rule.id, r.source, r.status)
    raise ResolveError(f"{conv.id}: no co-payment rule applies to a {kind} session")


def quota(policies: PolicySet, network: str, care: str, kind: str, day: dt.date) -> list[tuple[str, float | None]]:
    """Each bundle of a network type with its cap for one category (None: not allowed in that bundle)."""
    network = choice("network", network)
    category = f"{choice('care', care)}_{choice('kind', kind)}"
    conv = convention_on(policies, day)
    out = []
    for bundle in conv.bundles[network]:
        path = bundle.caps.get(category)
        out.append((bundle.id, policies.value_at(path, day).value if path else None))
    return out
