"""Valid-looking variations of the bundled policy folder: values at the edges of the schema's ranges, extra
history entries, a second convention version, other mutualities, conditions on every field a rule kind
provides, scenarios changing any dated value, region data at its edges.

Each variation edits a copy of the folder as an analyst could, through its JSON files only. Choices are made
by a `Pick` (hypothesis draws in the tests, a seeded random generator in a long campaign), so that the same
variations serve both. A variation returns a short description of what it changed, for failure reports.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol

import policy_folders
from policy_folders import CONVENTION, UTILISATION, history

from engine.policy.fields import FIELDS, RULE_KINDS, declared_texts

BENEFITS = ["cm-psychotherapy.json", "helan-psychotherapy.json", "lm-psychotherapy.json",
            "solidaris-psychotherapy.json"]
OVERRIDE = "clb-collaboration.json"
ALLOWANCE = "vsb-care-budget.json"
POPULATION = "regions/population-be.json"
DATED_FILES = [CONVENTION, *BENEFITS, OVERRIDE, ALLOWANCE]
SIMULATED_YEAR = 2027
EDGE_DAYS = ["2021-09-01", "2024-02-29", "2026-12-31", "2027-01-01", "2027-02-28", "2027-03-01", "2027-07-01",
             "2027-12-31", "2028-02-29"]
"""Days at the edges: the convention's first day, leap days, the simulated year's first, middle and last."""

EDGES: dict[str, list[Any]] = {
    "EUR": [0, 0.01, 0.005, 1e-9, 4.0, 99999.99, 100000, None],
    "EUR/month": [0, 0.01, 100000],
    "sessions": [0, 1, 2, 1000],
    "months": [0, 1, 2, 12, 120],
    "years": [0, 1, 14, 15, 23, 24, 25, 99, 130, None],
    "percent": [0, 0.001, 50, 100, None],
    "points": [0, 0.5, 1000],
    "day": [1, 28, 29, 30, 31],
    "flag": [True, False],
}


class Pick(Protocol):
    """Where a variation's choices come from."""

    def choice(self, items: Sequence[Any]) -> Any: ...

    def integer(self, low: int, high: int) -> int: ...


class RandomPick:
    """Choices from a seeded random generator (a long campaign outside the suite)."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)

    def choice(self, items: Sequence[Any]) -> Any:
        return self.rng.choice(list(items))

    def integer(self, low: int, high: int) -> int:
        return self.rng.randint(low, high)


class DrawPick:
    """Choices drawn by hypothesis (shrinkable)."""

    def __init__(self, draw: Callable) -> None:
        from hypothesis import strategies as st

        self.draw, self.st = draw, st

    def choice(self, items: Sequence[Any]) -> Any:
        return self.draw(self.st.sampled_from(list(items)))

    def integer(self, low: int, high: int) -> int:
        return self.draw(self.st.integers(low, high))


def read(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def write(path: Path, doc: dict) -> None:
    path.write_text(json.dumps(doc, indent=1), encoding="utf-8")


def _dated(node, at=()):
    """(pointer parts, dated value) of every dated value below a node."""
    if isinstance(node, dict):
        if "history" in node and "unit" in node:
            yield at, node
            return
        for key, child in node.items():
            yield from _dated(child, (*at, key))
    elif isinstance(node, list):
        for i, child in enumerate(node):
            yield from _dated(child, (*at, i))


def _some_dated(folder: Path, pick: Pick) -> tuple[str, dict, tuple, dict]:
    name = pick.choice(DATED_FILES)
    doc = read(folder / name)
    at, dated = pick.choice(list(_dated(doc)))
    return name, doc, at, dated


def _edge(dated: dict, pick: Pick) -> Any:
    return pick.choice(EDGES.get(dated["unit"], [0, 1]))


def edge_value(folder: Path, pick: Pick) -> str:
    """One entry of a dated value at an edge of its unit's range."""
    name, doc, at, dated = _some_dated(folder, pick)
    i = pick.integer(0, len(dated["history"]) - 1)
    dated["history"][i]["value"] = _edge(dated, pick)
    write(folder / name, doc)
    return f"{name} {at} history[{i}] = {dated['history'][i]['value']!r}"


def split_history(folder: Path, pick: Pick) -> str:
    """A new history entry from an edge day (a value changing mid-year, on 29 February, on the last day)."""
    name, doc, at, dated = _some_dated(folder, pick)
    day = pick.choice(EDGE_DAYS)
    entries = dated["history"]
    if day <= entries[0]["from"] or any(e["from"] == day for e in entries):
        return f"{name} {at}: no split on {day}"
    new = {"from": day, "value": _edge(dated, pick), "source": "seed-002", "status": "assumed"}
    entries.append(new)
    entries.sort(key=lambda e: e["from"])
    for e in entries:
        e.pop("to", None)
    write(folder / name, doc)
    return f"{name} {at}: from {day} {new['value']!r}"


def close_history(folder: Path, pick: Pick) -> str:
    """A `to` on a dated value's last entry, or on the version (its `valid.to`)."""
    name = pick.choice(DATED_FILES)
    doc = read(folder / name)
    day = pick.choice(EDGE_DAYS)
    if pick.choice([True, False]):
        if day < doc["valid"]["from"]:
            return f"{name}: no valid.to {day}"
        doc["valid"]["to"] = day
        where = "valid.to"
    else:
        at, dated = pick.choice(list(_dated(doc)))
        if day < dated["history"][-1]["from"]:
            return f"{name} {at}: no to {day}"
        dated["history"][-1]["to"] = day
        where = f"{at} last to"
    write(folder / name, doc)
    return f"{name} {where} {day}"


def copayment_above_fee(folder: Path, pick: Pick) -> str:
    """A co-payment above the fee (the convention caps it at the fee)."""
    doc = read(folder / CONVENTION)
    rule = pick.choice(doc["copayment"]["rules"])
    amount = pick.choice([90.0, 250.0, 100000])
    rule["amount"]["history"][-1]["value"] = amount
    write(folder / CONVENTION, doc)
    return f"co-payment {rule['id']} = {amount}"


def quota_edge(folder: Path, pick: Pick) -> str:
    """A bundle cap, total or network average of 0 or 1 (or the most), or a bundle without its total."""
    doc = read(folder / CONVENTION)
    network = pick.choice(sorted(doc["quota"]["networks"]))
    spec = doc["quota"]["networks"][network]
    bundle = pick.choice(spec["bundles"])
    tables = [("caps", bundle["caps"]), ("average", spec.get("network_average", {}))]
    what, table = pick.choice([t for t in tables if t[1]])
    category = pick.choice(sorted(table))
    value = pick.choice([0, 1, 1000])
    table[category]["history"][-1]["value"] = value
    if "total" in bundle and pick.choice([True, False]):
        bundle["total"]["history"][-1]["value"] = pick.choice([0, 1])
    write(folder / CONVENTION, doc)
    return f"{network} {bundle['id']} {what} {category} = {value}"


def period_edge(folder: Path, pick: Pick) -> str:
    """A quota period of 1 month or 10 years, from the start or changing mid-year."""
    months = pick.choice([1, 2, 120])
    if pick.choice([True, False]):
        policy_folders.set_period_months(folder, ("2021-09-01", months))
        return f"period {months} months"
    day = pick.choice(EDGE_DAYS[1:])
    policy_folders.set_period_months(folder, ("2021-09-01", 12), (day, months))
    return f"period 12 months, {months} from {day}"


def age_band_edge(folder: Path, pick: Pick) -> str:
    """Network age bands of one year, with no overlap, or overlapping entirely."""
    doc = read(folder / CONVENTION)
    bands = doc["eligibility"]["age_bands"]
    children, adults = pick.choice([(15, 15), (0, 130), (23, 24), (130, 0), (14, 15), (0, 0)])
    bands["children"]["max_age"]["history"][-1]["value"] = children
    bands["adults"]["min_age"]["history"][-1]["value"] = adults
    if pick.choice([True, False]):
        bands["children"]["min_age"] = {"unit": "years", "history": history(("2021-09-01", children))}
    write(folder / CONVENTION, doc)
    return f"children up to {children}, adults from {adults}"


def second_version(folder: Path, pick: Pick) -> str:
    """A second convention version taking over on an edge day, with another fee and period length."""
    start = pick.choice(["2027-01-01", "2027-02-28", "2027-07-01", "2027-12-31", "2028-02-29", "2024-02-29"])
    fee = pick.choice([0.01, 90.0, 100000])
    months = pick.choice([1, 6, 12, 120])
    new = policy_folders.add_version(folder, start, fee, months)
    if pick.choice([True, False]):
        doc = read(folder / CONVENTION)
        doc["valid"]["to"] = (dt.date.fromisoformat(start) - dt.timedelta(days=1)).isoformat()
        write(folder / CONVENTION, doc)
    return f"version {new} fee {fee} period {months}"


def _leaf(name: str, pick: Pick, declared: dict[str, tuple]) -> dict:
    spec = FIELDS[name]
    if spec.type == "number":
        op = pick.choice(["==", "!=", "<", "<=", ">", ">="])
        value: Any = pick.choice([0, 1, 15, 23, 24, 25, 130])
        if pick.choice([True, False, False]):
            value = {"unit": "years", "history": history(("2018-01-01", value), ("2027-07-01", pick.choice([0, 25])))}
        return {"field": name, "op": op, "value": value}
    if spec.type == "flag":
        return {"field": name, "op": pick.choice(["==", "!="]), "value": pick.choice([True, False])}
    if spec.type == "date":
        return {"field": name, "op": pick.choice(["<", ">=", "=="]), "value": pick.choice(EDGE_DAYS)}
    choices = declared.get(name) or spec.choices or ("cm", "helan", "lm", "solidaris", "psychotherapist",
                                                    "clinical_sexologist", "x")
    if pick.choice([True, False]):
        return {"field": name, "op": pick.choice(["in", "not_in"]), "value": list(choices[:pick.integer(1, len(choices))])}
    return {"field": name, "op": pick.choice(["==", "!="]), "value": pick.choice(choices)}


def condition(fields: Sequence[str], pick: Pick, declared: dict[str, tuple], depth: int = 0) -> dict:
    """A condition over some of `fields`: a leaf, or all/any (possibly empty, possibly nested)."""
    if depth > 2 or pick.integer(0, 2) == 0:
        return _leaf(pick.choice(fields), pick, declared)
    mode = pick.choice(["all", "any"])
    return {mode: [condition(fields, pick, declared, depth + 1) for _ in range(pick.integer(0, 3))]}


def _rule_places(doc: dict) -> list[tuple[str, list]]:
    out = []
    for kind in RULE_KINDS.values():
        for doc_kind, keys in kind.places:
            if doc["kind"] == doc_kind and keys[-2] == "*":
                node = doc
                for key in keys[:-2]:
                    node = node.get(key, {})
                if isinstance(node, list):
                    out.append((kind.name, node))
    return out


def random_conditions(folder: Path, pick: Pick) -> str:
    """A rule's condition replaced by one over every field its rule kind provides, with all/any nesting."""
    name = pick.choice([CONVENTION, OVERRIDE, *BENEFITS])
    doc = read(folder / name)
    declared = declared_texts(read(folder / CONVENTION))
    kind, rules = pick.choice(_rule_places(doc))
    rule = pick.choice(rules)
    fields = RULE_KINDS[kind].fields
    if pick.choice([True, False]):
        rule["when"] = {"all": [_leaf(f, pick, declared) for f in fields]}
    else:
        rule["when"] = condition(fields, pick, declared)
    write(folder / name, doc)
    return f"{name} {kind} {rule['id']} when {json.dumps(rule['when'])}"


def other_mutuality(folder: Path, pick: Pick) -> str:
    """Another mutuality's benefit, with edge caps, gap and percentage, its rules conditioned on every field."""
    mutuality = pick.choice(["zz", "ovm"])
    doc_id = policy_folders.add_mutuality(folder, mutuality, pick.choice([0, 1, 1000]), pick.choice([0, 1, 120]),
                                          pick.choice([0, 100]))
    if pick.choice([True, False]):
        path = folder / f"{doc_id}.json"
        doc = read(path)
        fields = RULE_KINDS["benefit"].fields
        for rule in doc["benefits"]:
            rule["when"] = condition(fields, pick, {"mutuality": (mutuality, "cm")})
        write(path, doc)
    return f"mutuality {doc_id}"


def empty_lists(folder: Path, pick: Pick) -> str:
    """Lists the schema lets be empty: a condition's all/any, a proof's settings, the region figures' aliases."""
    name = pick.choice([CONVENTION, OVERRIDE, *BENEFITS])
    doc = read(folder / name)
    kind, rules = pick.choice(_rule_places(doc))
    rule = pick.choice(rules)
    rule["when"] = {pick.choice(["all", "any"]): []}
    write(folder / name, doc)
    return f"{name} {rule['id']} when {rule['when']}"


def tariff_lead(folder: Path, pick: Pick) -> str:
    """Another lead of individual sessions, among the declared leaders."""
    doc = read(folder / CONVENTION)
    doc["tariff"]["lead"] = pick.choice([leader["id"] for leader in doc["leaders"]])
    write(folder / CONVENTION, doc)
    return f"lead {doc['tariff']['lead']}"


def scenario_file(folder: Path, pick: Pick) -> str:
    """A scenario changing some dated values by factor or value from an edge day, sometimes until another."""
    from engine.policy.policies import load_policies

    policies = load_policies(folder)
    changes = []
    for _ in range(pick.integer(1, 3)):
        path = pick.choice(sorted(policies.values))
        dated = policies.values[path]
        change = {"path": path, "from": pick.choice(EDGE_DAYS), "unit": dated.unit,
                  "source": "scenario-hypothesis", "status": "assumed"}
        if pick.choice([True, False]):
            change["factor"] = pick.choice([0, 0.5, 1.02, 10])
            if pick.choice([True, False]):
                change["decimals"] = pick.choice([0, 2, 6])
        else:
            change["value"] = pick.choice(EDGES.get(dated.unit, [0, 1]))
        if pick.choice([True, False]):
            change["to"] = pick.choice([d for d in EDGE_DAYS if d >= change["from"]])
        changes.append(change)
    utilisation = []
    figures = sorted(read(folder / UTILISATION)["figures"])
    for _ in range(pick.integer(0, 2)):  # any figure: uptake, a share of a choice, ...
        change = {"what": pick.choice(figures), "from": pick.choice(EDGE_DAYS),
                  "ages": pick.choice([[0, 130], [15, 17], [24, 25], [99, 99]]),
                  "source": "scenario-hypothesis", "status": "assumed"}
        if pick.choice([True, False]):
            change["factor"] = pick.choice([0, 0.01, 1.5, 10])
        else:
            change["value"] = pick.choice([0, 0.5, 1])
        utilisation.append(change)
    doc = {"$schema": "../schema/scenario-1.0.schema.json", "id": "fuzzed", "kind": "scenario", "title": "fuzzed",
           "description": "a generated scenario", "changes": changes, "utilisation": utilisation}
    write(folder / "scenarios" / "fuzzed.json", doc)
    return f"scenario {json.dumps(changes)} {json.dumps(utilisation)}"


def region_edge(folder: Path, pick: Pick) -> str:
    """Region data at its edges: a share of 0 or 1, an uptake of 0, a tiny population, one session count."""
    what = pick.choice(["share", "uptake", "population", "bim", "member", "counts", "amount", "mix"])
    if what in ("amount", "mix"):
        doc = read(folder / UTILISATION)
        if what == "amount":
            name = pick.choice(sorted(doc["amounts"]))
            amount = doc["amounts"][name]
            amount["value"] = pick.choice({"EUR": [0, 0.01, 100000], "days": [1, 366], "persons": [2, 1000]}[amount["unit"]])
            if name == "session_interval_min":
                doc["amounts"]["session_interval_max"]["value"] = max(amount["value"], 21)
            if name == "session_interval_max":
                doc["amounts"]["session_interval_min"]["value"] = min(amount["value"], 7)
        else:
            mix = pick.choice(sorted(doc["mixes"]))
            shares = doc["mixes"][mix]["shares"]
            only = pick.choice(sorted(shares))
            doc["mixes"][mix]["shares"] = {k: 1 if k == only else 0 for k in shares}
            name, amount = mix, {"value": only}
        write(folder / UTILISATION, doc)
        return f"region {what} {name} = {amount['value']}"
    if what == "population":
        doc = read(folder / POPULATION)
        region = next(r for r in doc["regions"] if r["id"] == "luxemburg")
        counts = region["population"]["counts"]
        size = pick.choice([0, 1, 2])
        for key in counts:
            counts[key] = size
        region["population"]["total"] = size * len(counts)
        doc["totals"][0]["total"] = sum(r["population"]["total"] for r in doc["regions"])
        write(folder / POPULATION, doc)
        return f"luxemburg population {size} per group"
    if what == "bim":
        doc = read(folder / POPULATION)
        region = next(r for r in doc["regions"] if r["id"] == "luxemburg")
        region["bim_share"]["value"] = pick.choice([0, 1])
        write(folder / POPULATION, doc)
        return f"luxemburg bim share {region['bim_share']['value']}"
    doc = read(folder / UTILISATION)
    if what == "member":
        mutuality = pick.choice(sorted(doc["mutualities"]))
        doc["mutualities"][mutuality]["member_share"]["value"] = pick.choice([0, 1])
        write(folder / UTILISATION, doc)
        return f"member share of {mutuality} {doc['mutualities'][mutuality]['member_share']['value']}"
    if what == "counts":
        sessions = pick.choice(doc["sessions"])
        sessions["counts"] = [{"sessions": pick.choice([1, 30]), "share": 1}]
        write(folder / UTILISATION, doc)
        return f"sessions {sessions['id']} {sessions['counts']}"
    figure = "uptake" if what == "uptake" else pick.choice(sorted(doc["figures"]))
    value = 0 if what == "uptake" else pick.choice([0, 1])
    for band in doc["figures"][figure]["by_age"]:
        band["value"] = value
    write(folder / UTILISATION, doc)
    return f"figure {figure} = {value}"


def benefit_amounts(folder: Path, pick: Pick) -> str:
    """A benefit rule with some of its amounts left out (percentage, cap, flat amount) and limits per year."""
    name = pick.choice(BENEFITS)
    doc = read(folder / name)
    rule = pick.choice(doc["benefits"])
    for key in ("percent_of_fee", "cap", "flat"):
        if key in rule and pick.choice([True, False]):
            del rule[key]
    if pick.choice([True, False]):
        rule["per_year"] = {"sessions": {"unit": "sessions", "history": history(("2018-01-01", pick.choice([0, 1, 2])))},
                            "amount": {"unit": "EUR", "history": history(("2018-01-01", pick.choice([0, 0.01, 15, None])))}}
    write(folder / name, doc)
    return f"{name} benefit {rule['id']}: {sorted(k for k in rule if k not in ('id', 'label', 'when'))}"


def third_care_type(folder: Path, pick: Pick) -> str:
    """A third care type with a bundle of its own, under a cap at an edge."""
    category = policy_folders.add_care_type(folder, "third", pick.choice([0, 1, 12]))
    return f"care type with category {category}"


def quota_structure(folder: Path, pick: Pick) -> str:
    """Other quota settings the schema allows: a rolling period, no first individual session, no network
    average, a bundle without its total, a care-path fee per consultation."""
    doc = read(folder / CONVENTION)
    quota = doc["quota"]
    what = pick.choice(["rolling", "no_first", "no_average", "no_total", "per_consultation"])
    if what == "rolling":
        quota["period"]["anchor"] = "rolling"
    elif what == "no_first":
        quota["first_individual_of_period"]["categories"] = []
    elif what == "no_average":
        for spec in quota["networks"].values():
            spec.pop("network_average", None)
    elif what == "no_total":
        for spec in quota["networks"].values():
            for bundle in spec["bundles"]:
                bundle.pop("total", None)
    else:
        doc["premiums"]["care_path_fee"]["per"] = "consultation"
    write(folder / CONVENTION, doc)
    return f"quota {what}"


def renamed_leaders_and_settings(folder: Path, pick: Pick) -> str:
    """A leader and a setting under other ids, everywhere the folder names them."""
    doc = read(folder / CONVENTION)
    leader, setting = (pick.choice([item["id"] for item in doc[key]]) for key in ("leaders", "settings"))
    policy_folders.rename_leader(folder, leader, f"{leader}_x")
    policy_folders.rename_setting(folder, setting, f"{setting}_x")
    return f"leader {leader} and setting {setting} renamed"


def another_leader_and_setting(folder: Path, pick: Pick) -> str:
    """One more leader, with a tariff row of its own, and one more setting, with a co-payment rule of its own."""
    row = policy_folders.add_leader(folder, "nurse", pick.choice([0, 150.0, 100000]), pick.choice([0, 0.05, 0.15]))
    rule = policy_folders.add_setting(folder, "home", pick.choice([0, 5.0, 250.0]), pick.choice([0, 0.5]))
    return f"tariff row {row}, co-payment rule {rule}"


VARIATIONS = [quota_structure, benefit_amounts, third_care_type, edge_value, split_history, close_history, copayment_above_fee,
              quota_edge, period_edge, age_band_edge, second_version, random_conditions, other_mutuality, empty_lists,
              tariff_lead, region_edge, renamed_leaders_and_settings, another_leader_and_setting]
"""Variations of the folder itself; `scenario_file` is applied last, on the varied folder."""


def vary(folder: Path, pick: Pick) -> list[str]:
    """One to three variations of the folder; what was changed."""
    return [pick.choice(VARIATIONS)(folder, pick) for _ in range(pick.integer(1, 3))]
