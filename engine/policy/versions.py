"""Versions of a scheme take over by date, and every dated value of a version has a value on every day the
version is in force.

A version is in force from its `valid.from` to its `valid.to`, or to the day before the next version
of its scheme takes over (`rules.taking_over`), or without end. A history that starts later or ends
earlier would leave the engine without a value on some day of the version: the evaluation of any claim
on that day would stop. Two versions of one scheme starting on the same day would leave it to the order
of their ids which one is ever in force. `validate` names both instead.
"""

from __future__ import annotations

import datetime as dt

from engine.dates import parse_date
from engine.errors import Problem
from engine.policy.files import display
from engine.policy.policies import PolicySet, dated_nodes
from engine.policy.rules import rules_of
from engine.policy.schema_messages import pointer


def in_force(policies: PolicySet) -> dict[str, tuple[dt.date, dt.date | None]]:
    """The days each policy document is in force, by id: a scheme's versions as they take over, a co-payment
    override as its convention, the others by their own `valid`."""
    rules = rules_of(policies)
    versions = [*rules.conventions, *(s for schemes in rules.supplementary.values() for s in schemes)]
    out = {v.id: (v.start, v.end) for v in versions}
    for doc_id, doc in policies.docs.items():
        if doc["kind"] == "copayment_override":
            out[doc_id] = out[doc["applies_to"]]  # its rules are read whenever its convention prices a session
        elif doc_id not in out and "valid" in doc:
            valid = doc["valid"]
            out[doc_id] = (parse_date(valid["from"]), parse_date(valid["to"]) if "to" in valid else None)
    return out


def short_histories(policies: PolicySet) -> list[Problem]:
    """A problem for each history that starts after its version starts or ends before its version ends."""
    problems = []
    for doc_id, (start, end) in in_force(policies).items():
        file = display(policies.files[doc_id])
        for at, node in dated_nodes(doc_id, policies.docs[doc_id]).values():
            history = node["history"]
            first, last = history[0], history[-1]
            if parse_date(first["from"]) > start:
                problems.append(Problem(file, pointer([*at, "history", 0, "from"]), f"expected a date on or before "
                                        f"{start} (the first day of its version: a value is needed on every day the "
                                        f"version is in force), found {first['from']}"))
            if "to" in last and (end is None or parse_date(last["to"]) < end):
                wanted = f"a date on or after {end} (the last day of its version)" if end else \
                    "no 'to' (its version has no end)"
                problems.append(Problem(file, pointer([*at, "history", len(history) - 1, "to"]), f"expected {wanted}: "
                                        f"a value is needed on every day the version is in force, found {last['to']}"))
    return problems


def same_day_versions(policies: PolicySet) -> list[Problem]:
    """A problem for each version that starts on the day another version of its scheme starts (the convention's
    versions are one scheme, a mutuality's benefit files one scheme per mutuality)."""
    problems = []
    first: dict[tuple, str] = {}
    for doc_id, doc in sorted(policies.docs.items()):
        if doc["kind"] not in ("convention", "supplementary_benefit"):
            continue
        key = (doc["kind"], doc.get("mutuality"), doc["valid"]["from"])
        if key in first:
            problems.append(Problem(display(policies.files[doc_id]), "/valid/from", f"expected a day on which no "
                                    f"other version of its scheme starts (versions take over by date), found "
                                    f"{doc['valid']['from']}, the valid.from of {display(policies.files[first[key]])}"))
        first.setdefault(key, doc_id)
    return problems


def short_overrides(policies: PolicySet) -> list[Problem]:
    """A problem for each co-payment override whose validity does not cover its convention's: the evaluators read
    its rules on every day the convention prices a session."""
    problems = []
    days = in_force(policies)
    for doc in policies.of_kind("copayment_override"):
        start, end = days[doc["applies_to"]]
        file, valid, why = display(policies.files[doc["id"]]), doc["valid"], (
            f"an override applies on every day its convention {doc['applies_to']} is in force")
        if parse_date(valid["from"]) > start:
            problems.append(Problem(file, "/valid/from", f"expected a date on or before {start} ({why}), found "
                                    f"{valid['from']}"))
        if "to" in valid and (end is None or parse_date(valid["to"]) < end):
            wanted = f"a date on or after {end}" if end else "no 'to'"
            problems.append(Problem(file, "/valid/to", f"expected {wanted} ({why}), found {valid['to']}"))
    return problems
