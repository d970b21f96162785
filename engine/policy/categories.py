"""Care types and quota categories: declared by each convention file, never named in code.

A convention lists its care types (the values of the claims' `care` column) and its quota
categories (one care type and one session kind each, capped by the bundles under their id). The
categories in `quota.first_individual_of_period` say which sessions count for the field of that
name. `category_problems` refuses a file whose bundles, averages or conditions name what it does
not declare, with the JSON pointer of each.
"""

from __future__ import annotations

from dataclasses import dataclass

from engine.errors import Problem, did_you_mean
from engine.policy.schema_messages import pointer


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


def category_problems(file: str, doc: dict) -> list[Problem]:
    """What a convention file names without declaring it: a category's care type, a category a bundle
    caps or a network average names, a category of first_individual_of_period; a care type no category
    uses; two categories of one care type and session kind."""
    if doc.get("kind") != "convention":
        return []
    cares = care_types_of(doc)
    quota = doc["quota"]
    declared = [c["id"] for c in quota["categories"]]
    problems, seen = [], {}
    for i, cat in enumerate(quota["categories"]):
        where = ["quota", "categories", i]
        if cat["care"] not in cares:
            problems.append(_unknown(file, [*where, "care"], "a care type the file declares in care_types", cares,
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
            problems += [_unknown(file, [*at, "bundles", b, "caps", c], "a category the file declares in "
                                  "quota.categories", declared, c) for c in bundle["caps"] if c not in declared]
        problems += [_unknown(file, [*at, "network_average", c], "a category the file declares in quota.categories",
                              declared, c) for c in spec.get("network_average", {}) if c not in declared]
    problems += [_unknown(file, ["quota", "first_individual_of_period", "categories", i], "a category the file "
                          "declares in quota.categories", declared, c)
                 for i, c in enumerate(quota["first_individual_of_period"]["categories"]) if c not in declared]
    return problems


def _unknown(file: str, parts: list, expected: str, allowed, found: str) -> Problem:
    allowed = list(allowed)
    return Problem(file, pointer(parts), f"expected {expected} ({', '.join(allowed)}), found {found!r}"
                   f"{did_you_mean(found, allowed)}")
