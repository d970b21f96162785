"""Care types, network types, leaders, settings and quota categories: declared by each convention file, never
named in code.

A convention lists its care types (the values of the claims' `care` column), its network types
(the values of the `network` column, each with its age band and its bundles), its leaders (who may
lead or co-lead a session: `tariff.lead` and the `co_lead` column), its settings (the `setting`
column; the first is the default of an empty one) and its quota categories (one care type and one
session kind each, capped by the bundles under their id). The categories in
`quota.first_individual_of_period` say which sessions count for the field of that name.
`category_problems` refuses a file whose bundles, averages, age bands, lead or conditions name what
it does not declare, with the JSON pointer of each.
"""

from __future__ import annotations

from dataclasses import dataclass

from engine.errors import Problem
from engine.policy.schema_messages import pointer, undeclared


@dataclass(frozen=True)
class Category:
    """A quota category: the sessions of one care type and one session kind."""

    id: str
    care: str
    kind: str
    label: str


def categories_of(doc: dict) -> tuple[Category, ...]:
    """The quota categories a convention file declares, in file order."""
    return tuple(Category(c["id"], c["care"], c["kind"], c["label"]) for c in doc["quota"]["categories"])


def care_types_of(doc: dict) -> tuple[str, ...]:
    """The care types a convention file declares, in file order."""
    return tuple(t["id"] for t in doc["care_types"])


def network_types_of(doc: dict) -> tuple[str, ...]:
    """The network types a convention file declares, in file order."""
    return tuple(t["id"] for t in doc["network_types"])


def leaders_of(doc: dict) -> tuple[str, ...]:
    """Who may lead or co-lead a session under a convention file, in file order."""
    return tuple(t["id"] for t in doc["leaders"])


def settings_of(doc: dict) -> tuple[str, ...]:
    """The settings a convention file declares, in file order: the first is the default of an empty setting."""
    return tuple(t["id"] for t in doc["settings"])


def category_problems(file: str, doc: dict) -> list[Problem]:
    """What a convention file names without declaring it: a category's care type, a category a bundle
    caps or a network average names, a category of first_individual_of_period, a network type's age band
    or bundles, the tariff's lead; a care type no category uses, a network type without its age band or bundles; two
    categories of one care type and session kind."""
    if doc.get("kind") != "convention":
        return []
    problems = _network_problems(file, doc)
    leaders = leaders_of(doc)
    if doc["tariff"]["lead"] not in leaders:
        problems.append(undeclared(file, ["tariff", "lead"], "a leader the file declares in leaders", leaders,
                                 doc["tariff"]["lead"]))
    cares = care_types_of(doc)
    quota = doc["quota"]
    declared = [c["id"] for c in quota["categories"]]
    seen: dict[tuple, list] = {}
    for i, cat in enumerate(quota["categories"]):
        where = ["quota", "categories", i]
        if cat["care"] not in cares:
            problems.append(undeclared(file, [*where, "care"], "a care type the file declares in care_types", cares,
                                     cat["care"]))
        pair = (cat["care"], cat["kind"])
        if pair in seen:
            problems.append(Problem(file, pointer(where), f"expected one category per care type and session kind, "
                                    f"found {cat['care']} {cat['kind']} again (first at {pointer(seen[pair])})"))
        seen.setdefault(pair, where)
    for i, care in enumerate(cares):
        if not any(c["care"] == care for c in quota["categories"]):
            problems.append(Problem(file, pointer(["care_types", i, "id"]), f"expected a quota category of care type "
                                    f"{care!r} in quota.categories, found none"))
    for network, spec in quota["networks"].items():
        at = ["quota", "networks", network]
        for b, bundle in enumerate(spec["bundles"]):
            problems += [undeclared(file, [*at, "bundles", b, "caps", c], "a category the file declares in "
                                  "quota.categories", declared, c) for c in bundle["caps"] if c not in declared]
        problems += [undeclared(file, [*at, "network_average", c], "a category the file declares in quota.categories",
                              declared, c) for c in spec.get("network_average", {}) if c not in declared]
    problems += [undeclared(file, ["quota", "first_individual_of_period", "categories", i], "a category the file "
                          "declares in quota.categories", declared, c)
                 for i, c in enumerate(quota["first_individual_of_period"]["categories"]) if c not in declared]
    return problems


def _network_problems(file: str, doc: dict) -> list[Problem]:
    """Every declared network type has an age band and bundles; the age bands and bundles name declared ones."""
    networks = network_types_of(doc)
    problems = []
    for where, what in ((["eligibility", "age_bands"], "age band"), (["quota", "networks"], "bundles")):
        node = doc[where[0]][where[1]]
        problems += [undeclared(file, [*where, n], "a network type the file declares in network_types", networks, n)
                     for n in node if n not in networks]
        problems += [Problem(file, pointer(["network_types", i, "id"]), f"expected the {what} of network type {n!r} "
                             f"in {'.'.join(where)}, found none") for i, n in enumerate(networks) if n not in node]
    return problems
