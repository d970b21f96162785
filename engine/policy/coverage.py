"""Every session a convention may cover finds a tariff row, on every date of the convention.

The sessions are enumerated over the values of the fields the tariff rows read: the leaders and
settings the convention declares, both values of a flag, and for an age or a date the values
around each threshold the conditions name (dated thresholds on each date they change). A session
is one the convention may cover when its network type is the convention's, its age is within the
network type's age band and some bundle gives its category a cap above 0 on that date.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterator

from engine.errors import Problem, ResolveError
from engine.policy.conditions import holds, leaves
from engine.policy.files import display
from engine.policy.policies import PolicySet
from engine.policy.rules import Convention, rules_of

DAY = dt.timedelta(days=1)


def tariff_gaps(policies: PolicySet) -> list[Problem]:
    """A problem for each convention with a session it may cover that no tariff row prices (the first found)."""
    problems = []
    for conv in rules_of(policies).conventions:
        gap = next(uncovered(policies, conv), None)
        if gap is not None:
            problems.append(no_tariff_row(policies, conv, *gap))
    return problems


def no_tariff_row(policies: PolicySet, conv: Convention, session: dict, day: dt.date) -> Problem:
    """The problem of a session no tariff row prices, naming its values of the fields the rows read."""
    values = ", ".join(f"{name} {_shown(session[name])}" for name in _read(conv) if name != "session_date")
    return Problem(display(policies.files[conv.id]), "/tariff/rows",
                   f"expected a tariff row for every session the convention may cover, found none for {values} on {day}")


def uncovered(policies: PolicySet, conv: Convention) -> Iterator[tuple[dict, dt.date]]:
    """(field values, date) of each session the convention may cover that no tariff row prices."""
    for day in _dates(policies, conv):
        for session in _sessions(policies, conv, _read(conv), day):
            if not any(_holds(row.when, session, policies, day) for row in conv.tariff):
                yield session, day


def _holds(condition, session: dict, policies: PolicySet, day: dt.date) -> bool:
    """Whether a row's condition holds; a dated threshold with no value on the day holds for no session."""
    try:
        return holds(condition, session, policies, day)
    except ResolveError:
        return False


def _read(conv: Convention) -> list[str]:
    """The fields the tariff rows read, and the session's kind."""
    return sorted({leaf.field for row in conv.tariff for leaf in leaves(row.when)} | {"kind"})


def _sessions(policies: PolicySet, conv: Convention, read: list[str], day: dt.date) -> Iterator[dict]:
    """Every session the convention may cover on `day`, by the values of the fields in `read`."""
    for network in conv.network_types:
        low, high = (_value(policies, conv.age_bands.get(network, {}).get(key), day) for key in ("min_age", "max_age"))
        ages = _ages(policies, conv, day, low, high) if "age" in read else [low or 0]
        for category in conv.categories:
            if not _allowed(policies, conv, network, category.id, day):
                continue
            care, kind = category.care, category.kind
            leaders = [conv.lead, *conv.leaders] if kind == "group" and "leader" in read else [conv.lead]
            firsts = [False, True] if category.id in conv.first_individual and "first_individual_of_period" in read else [False]
            settings = conv.settings if "setting" in read else conv.settings[:1]
            increases = (False, True) if "increased_reimbursement" in read else (False,)
            for age, leader, first, setting, increased in itertools.product(
                    ages, dict.fromkeys(leaders), firsts, settings, increases):
                yield {"kind": kind, "network": network, "care": care, "setting": setting,
                       "increased_reimbursement": increased, "session_date": day, "age": age, "leader": leader,
                       "first_individual_of_period": first}


def _allowed(policies: PolicySet, conv: Convention, network: str, category: str, day: dt.date) -> bool:
    """Whether some bundle of the network type gives the category a cap above 0 on `day`."""
    return any((_value(policies, b.caps.get(category), day) or 0) > 0 for b in conv.bundles[network])


def _ages(policies: PolicySet, conv: Convention, day: dt.date, low, high) -> list[int]:
    """The band's bounds and the ages around each age threshold of the tariff rows, within the band."""
    points = {0 if low is None else int(low)} | ({int(high)} if high is not None else set())
    for leaf in (leaf for row in conv.tariff for leaf in leaves(row.when) if leaf.field == "age"):
        for value in _listed(leaf.value(policies, day) if not leaf.path else _value(policies, leaf.path, day)):
            points |= {int(value) - 1, int(value), int(value) + 1}
    return sorted(a for a in points if (low is None or a >= low) and (high is None or a <= high))


def _dates(policies: PolicySet, conv: Convention) -> list[dt.date]:
    """The convention's first day and each day within its validity on which a value or a date condition changes."""
    days = {conv.start}
    for path, dated in policies.values.items():
        if path.startswith(f"{conv.id}."):
            days |= {e.start for e in dated.entries} | {e.end + DAY for e in dated.entries if e.end}
    for leaf in (leaf for row in conv.tariff for leaf in leaves(row.when) if leaf.field == "session_date"):
        days |= {d + shift for d in _listed(leaf.literal) for shift in (-DAY, dt.timedelta(0), DAY)}
    return sorted(d for d in days if conv.in_force(d))


def _listed(value) -> list:
    return [v for v in (value if isinstance(value, list) else [value]) if v is not None]


def _value(policies: PolicySet, path: str | None, day: dt.date):
    """A parameter on a date; None when the rule does not name it or it is null or undefined then."""
    if path is None:
        return None
    try:
        return policies.value_at(path, day).value
    except ResolveError:
        return None


def _shown(value) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)
