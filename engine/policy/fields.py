"""The registry of condition fields: per rule kind, the fields its conditions may read.

A field is declared once: its name, type and meaning, the claims column its value is read from
(or how the evaluators derive it), and the argument of a single-session question that gives it.
The reference evaluator, the vectorized evaluator and the lookups build their field values from
this registry; `validate` refuses a condition on a field its rule kind does not provide; the
policy schema's list of fields equals the registry's (tests/test_fields.py).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from engine.claims.contract import CHOICES
from engine.errors import Problem, ResolveError, did_you_mean
from engine.policy.schema_messages import pointer


@dataclass(frozen=True)
class Field:
    """One field a condition may read."""

    name: str
    type: str  # "text", "number", "flag" or "date"
    meaning: str
    column: str = ""  # the claims column the value is read from; "" when the evaluator derives it
    derived: str = ""  # how the evaluator derives it, when not read from a column
    question: str = ""  # the argument of a single-session question that gives it; "" when none does
    choices: tuple[str, ...] = ()  # the allowed texts, when fixed by the claims contract
    declared: str = ""  # the key of a convention file's list that declares the allowed texts, when the file does


FIELDS: dict[str, Field] = {f.name: f for f in (
    Field("kind", "text", "the session kind", column="kind", question="kind", choices=CHOICES["kind"]),
    Field("network", "text", "the network type of a convention session", column="network", question="network",
          declared="network_types"),
    Field("care", "text", "the care type of a convention session", column="care", question="care",
          declared="care_types"),
    Field("setting", "text", "where the session takes place", column="setting", question="setting",
          declared="settings"),
    Field("increased_reimbursement", "flag", "whether the patient has increased reimbursement",
          column="increased_reimbursement", question="increased"),
    Field("session_date", "date", "the date of the session", column="session_date", question="on_date"),
    Field("mutuality", "text", "the patient's mutuality", column="mutuality"),
    Field("provider", "text", "the kind of provider outside the convention", column="provider"),
    Field("age", "number", "the patient's age in whole years on the session date",
          derived="from birth_date on session_date", question="age"),
    Field("leader", "text", "who leads the session: the convention's tariff.lead for an individual session and a "
          "group's lead, the co_lead column for a group's co-lead",
          derived="the convention's tariff.lead for the lead, co_lead for the co-lead",
          question="leader", declared="leaders"),
    Field("first_individual_of_period", "flag", "whether the session is the first covered individual session "
          "of its period (the first in the categories the convention's quota.first_individual_of_period names)",
          derived="from the patient's covered sessions in the period", question="first_session"),
    Field("youth", "flag", "whether the treatment the session belongs to started under the youth condition",
          derived="the youth condition at the treatment's first session"),
    Field("age_at_treatment_start", "number", "the patient's age in whole years at the first session of the treatment",
          derived="from birth_date on the treatment's first session"),
)}


@dataclass(frozen=True)
class RuleKind:
    """A kind of rule that has a condition: the fields it provides, and where its conditions are in a file."""

    name: str
    label: str
    fields: tuple[str, ...]
    places: tuple[tuple[str, tuple[str, ...]], ...]  # (document kind, keys to the `when`; "*" for each list item)


_SESSION = ("kind", "network", "care", "setting", "increased_reimbursement", "session_date", "age")

RULE_KINDS: dict[str, RuleKind] = {k.name: k for k in (
    RuleKind("tariff_row", "tariff row", (*_SESSION, "leader", "first_individual_of_period"),
             (("convention", ("tariff", "rows", "*", "when")),)),
    RuleKind("copayment_rule", "co-payment rule", (*_SESSION, "first_individual_of_period"),
             (("convention", ("copayment", "rules", "*", "when")), ("copayment_override", ("rules", "*", "when")))),
    RuleKind("benefit", "benefit rule", ("kind", "increased_reimbursement", "session_date", "age", "mutuality",
                                         "provider", "youth"),
             (("supplementary_benefit", ("benefits", "*", "when")),)),
    RuleKind("youth", "youth condition", ("age_at_treatment_start",),
             (("supplementary_benefit", ("youth", "when")),)),
)}


def context(kind: str, column: Callable[[str], Any], derived: Mapping[str, Any]) -> dict[str, Any]:
    """The field values of a rule kind for a claim (or for arrays of claims).

    `column(name)` reads a claims column; `derived` holds the fields the evaluator derives. A
    derived field missing from `derived` is a defect of the evaluator, not of the policy.
    """
    out = {}
    for name in RULE_KINDS[kind].fields:
        spec = FIELDS[name]
        out[name] = column(spec.column) if spec.column else derived[name]
    return out


def question_context(kind: str, rule: str, needed: set[str], given: Mapping[str, Any]) -> dict[str, Any]:
    """The field values of a single-session question, by argument name (`given`).

    A field the rule reads that the question does not give is an error naming the argument to give.
    """
    out = {}
    for name in sorted(needed):
        spec = FIELDS[name]
        if given.get(spec.question) is None:
            how = f"give {spec.question}" if spec.question else "only a claims evaluation can answer it"
            raise ResolveError(f"{rule} reads {name} ({spec.meaning}), which this question was not given: {how}")
        out[name] = given[spec.question]
    return out


# -- validation --------------------------------------------------------------------------------------

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_TYPES = {"text": (str,), "number": (int, float), "flag": (bool,), "date": (str,)}


def condition_problems(file: str, data: dict, declared: Mapping[str, tuple[str, ...]] | None = None) -> list[Problem]:
    """Conditions on fields their rule kind does not provide, or with a value of the wrong type.

    The texts a field allows are the contract's, or those `declared` gives (default: the lists the file itself
    declares, such as a convention's care_types, network_types, leaders and settings)."""
    problems = []
    declared = declared_texts(data) if declared is None else declared
    for kind in RULE_KINDS.values():
        for doc_kind, keys in kind.places:
            if data.get("kind") != doc_kind:
                continue
            for parts, node in _at(data, keys, []):
                problems += _leaf_problems(file, kind, node, parts, declared)
    return problems


def declared_texts(doc: dict) -> dict[str, tuple[str, ...]]:
    """The texts a document declares for fields whose allowed values are data (a convention's care_types,
    network_types, leaders and settings), by field."""
    return {spec.name: tuple(item["id"] for item in doc[spec.declared]) for spec in FIELDS.values()
            if spec.declared and isinstance(doc.get(spec.declared), list)}


def _at(node: Any, keys: tuple[str, ...], parts: list) -> Iterator[tuple[list, Any]]:
    if not keys:
        yield parts, node
    elif keys[0] == "*" and isinstance(node, list):
        for i, item in enumerate(node):
            yield from _at(item, keys[1:], [*parts, i])
    elif isinstance(node, dict) and keys[0] in node:
        yield from _at(node[keys[0]], keys[1:], [*parts, keys[0]])


def _leaf_problems(file: str, kind: RuleKind, node: Any, parts: list, declared: Mapping[str, tuple]) -> list[Problem]:
    if not isinstance(node, dict):
        return []
    if "field" not in node:
        return [p for mode in ("all", "any") for i, child in enumerate(node.get(mode, []))
                for p in _leaf_problems(file, kind, child, [*parts, mode, i], declared)]
    name = node["field"]
    if name not in kind.fields:
        allowed = ", ".join(kind.fields)
        return [Problem(file, pointer([*parts, "field"]), f"expected a field that a {kind.label} provides "
                        f"({allowed}), found {name!r}{did_you_mean(name, list(kind.fields))}")]
    return _value_problems(file, FIELDS[name], node, parts, declared.get(name, FIELDS[name].choices))


def _value_problems(file: str, spec: Field, node: dict, parts: list, choices: tuple[str, ...]) -> list[Problem]:
    """A value of the wrong type, or a text outside `choices` (the contract's, or those the file declares)."""
    value, where = node.get("value"), pointer([*parts, "value"])
    if isinstance(value, dict):  # a dated value: numbers only
        if spec.type != "number":
            return [Problem(file, where, f"expected a {spec.type} for {spec.name} (dated values are for number "
                            f"fields), found a dated value")]
        return []
    items = value if isinstance(value, list) else [value]
    if isinstance(value, list) != (node.get("op") in ("in", "not_in")):
        return []  # a list where one value belongs (or the reverse) is named with every condition's operand
    for item in items:
        if item is None and node.get("op") not in ("in", "not_in"):
            continue  # null: the rule is not in force
        if not isinstance(item, _TYPES[spec.type]) or (spec.type == "number" and isinstance(item, bool)):
            return [Problem(file, where, f"expected a {spec.type} for {spec.name}, found {item!r}")]
        if choices and item not in choices:
            declared = f" (the {spec.declared} the file declares)" if spec.declared else ""
            return [Problem(file, where, f"expected one of {', '.join(choices)}{declared} for {spec.name}, found "
                            f"{item!r}{did_you_mean(item, list(choices))}")]
        if spec.type == "date" and not _is_date(item):
            return [Problem(file, where, f"expected a date YYYY-MM-DD for {spec.name}, found {item!r}")]
        if spec.type in ("text", "flag") and node.get("op") in ("<", "<=", ">", ">="):
            return [Problem(file, where, f"expected == or != (or in, not_in) for the {spec.type} {spec.name}, "
                            f"found {node.get('op')!r}")]
    return []


def _is_date(text: str) -> bool:
    try:
        dt.date.fromisoformat(text)
    except ValueError:
        return False
    return bool(_ISO_DATE.fullmatch(text))
