"""Policy folders we did not write: new convention versions, more mutualities, other period lengths.

Each helper edits a copy of the bundled folder (the `policy_copy` fixture) as an analyst would,
through new or changed JSON files only; the result must pass `carepolicy validate`.
"""

from __future__ import annotations

import json
from pathlib import Path

CONVENTION = "riziv-psy-2021.json"
BENEFIT = "cm-psychotherapy.json"
UTILISATION = "regions/utilisation-be.json"


def _read(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def _write(path: Path, doc: dict) -> None:
    path.write_text(json.dumps(doc, indent=2), encoding="utf-8")


def _dated(node):
    """Every dated value (a dict with unit and history) below a node."""
    if isinstance(node, dict):
        if "history" in node and "unit" in node:
            yield node
        else:
            for child in node.values():
                yield from _dated(child)
    elif isinstance(node, list):
        for child in node:
            yield from _dated(child)


def history(*entries: tuple[str, float | None]) -> list[dict]:
    return [{"from": day, "value": value, "source": "seed-002", "status": "assumed"} for day, value in entries]


def add_version(folder: Path, start: str, fee: float, months: int) -> str:
    """A new convention version from `start`: the last values of the 2021 file, with another fee and period length."""
    doc = _read(folder / CONVENTION)
    doc["id"] = f"riziv-psy-{start}"
    doc["version"] = start
    doc["valid"] = {"from": start, "source": "seed-002", "status": "assumed"}
    for dated in _dated(doc):
        dated["history"] = history((start, dated["history"][-1]["value"]))
    doc["tariff"]["rows"][0]["fee"]["history"] = history((start, fee))
    doc["quota"]["period"]["months"]["history"] = history((start, months))
    _write(folder / f"{doc['id']}.json", doc)
    return doc["id"]


def set_period_months(folder: Path, *entries: tuple[str, int]) -> None:
    """The 2021 convention's period length, changing over time."""
    doc = _read(folder / CONVENTION)
    doc["quota"]["period"]["months"]["history"] = history(*entries)
    _write(folder / CONVENTION, doc)


def add_mutuality(folder: Path, mutuality: str, lifetime_cap: int, gap_months: int, percent: float) -> str:
    """Another mutuality's benefit (the CM file's rules with other caps, gap and percentage) and its members' figures."""
    doc = _read(folder / BENEFIT)
    like = doc["mutuality"]
    doc["id"] = f"{mutuality}-psychotherapy"
    doc["mutuality"] = mutuality
    doc["lifetime_cap"]["history"] = history(("2018-01-01", lifetime_cap))
    doc["treatment"]["new_after_gap_months"]["history"] = history(("2018-01-01", gap_months))
    for benefit in doc["benefits"]:
        if "percent_of_fee" in benefit:
            benefit["percent_of_fee"]["history"] = history(("2018-01-01", percent))
    _write(folder / f"{doc['id']}.json", doc)
    use = _read(folder / UTILISATION)
    use["mutualities"][mutuality] = {**use["mutualities"][like], "label": f"mutuality {mutuality}",
                                     "member_share": {"value": 0.01, "source": "scenario-hypothesis", "status": "assumed"}}
    _write(folder / UTILISATION, use)
    return doc["id"]


def add_care_type(folder: Path, care: str, cap: int, share: float = 0.1) -> str:
    """A third care type with one category (its individual sessions): a bundle of its own in each network type,
    and room in the first bundle beside the first-line sessions; its first session of a period is free like the
    other individual sessions. In the region data, `share` of the care paths at every age, and the first-line
    distribution of individual sessions. Returns the category's id."""
    doc = _read(folder / CONVENTION)
    category = f"{care}_individual"
    doc["care_types"].append({"id": care, "label": f"care type {care}", "name": names(care),
                              "source": "scenario-hypothesis", "status": "assumed"})
    doc["quota"]["categories"].append({"id": category, "care": care, "kind": "individual", "label": f"{care} individual",
                                       "source": "scenario-hypothesis", "status": "assumed"})
    doc["quota"]["first_individual_of_period"]["categories"].append(category)
    for spec in doc["quota"]["networks"].values():
        sessions = {"unit": "sessions", "history": history(("2021-09-01", cap))}
        spec["bundles"][0]["caps"][category] = json.loads(json.dumps(sessions))
        spec["bundles"].append({"id": care, "label": f"{care} only", "caps": {category: sessions}})
    _write(folder / CONVENTION, doc)
    use = _read(folder / UTILISATION)
    _add_option(use, "care", care, share, f"Share of care paths in {care} care.")
    like = next(d for d in use["sessions"] if d["care"] == use["choices"]["care"]["rest"] and d["kind"] == "individual")
    use["sessions"].append({**like, "id": f"{care}-individual", "care": care})
    _write(folder / UTILISATION, use)
    return category


def _add_option(use: dict, choice: str, option: str, share: float, description: str) -> None:
    """An option of a choice of the region data, with its share at every age in a figure `<option>_share`."""
    use["figures"][f"{option}_share"] = {"description": description, "unit": "share", "source": "scenario-hypothesis",
                                         "status": "assumed", "by_age": [{"ages": [0, 99], "value": share}]}
    use["choices"][choice]["shares"][option] = f"{option}_share"


def names(text: str) -> dict[str, str]:
    """A name in the three languages of the workbooks."""
    return {"en": f"{text} care", "fr": f"soins {text}", "nl": f"{text}zorg"}


def rename_care_type(folder: Path, old: str, new: str, region_data: bool = True) -> None:
    """A care type under another name: in care_types and in the categories of that care type, and (with
    `region_data`) in the region data's care shares and session distributions."""
    doc = _read(folder / CONVENTION)
    for item in [*doc["care_types"], *doc["quota"]["categories"]]:
        for key in ("id", "care"):
            if item.get(key) == old and (key == "care" or "care" not in item):
                item[key] = new
    _write(folder / CONVENTION, doc)
    if region_data:
        use = _read(folder / UTILISATION)
        _rename_option(use["choices"]["care"], old, new)
        for dist in use["sessions"]:
            dist["care"] = new if dist["care"] == old else dist["care"]
        _write(folder / UTILISATION, use)


def rename_network_type(folder: Path, old: str, new: str) -> None:
    """A network type under another name: declared, its age band and bundles, the region data's network shares and
    settings, and the bundled scenarios' paths."""
    doc = _read(folder / CONVENTION)
    for item in doc["network_types"]:
        item["id"] = new if item["id"] == old else item["id"]
    for table in (doc["eligibility"]["age_bands"], doc["quota"]["networks"]):
        renamed = {new if k == old else k: v for k, v in table.items()}
        table.clear()
        table.update(renamed)
    _write(folder / CONVENTION, doc)
    use = _read(folder / UTILISATION)
    _rename_option(use["choices"]["network"], old, new)
    setting = use["choices"]["setting"]
    setting["networks"] = [new if n == old else n for n in setting["networks"]]
    _write(folder / UTILISATION, use)
    for path in (folder / "scenarios").glob("*.json"):
        text = path.read_text(encoding="utf-8").replace(f".networks.{old}.", f".networks.{new}.")
        path.write_text(text.replace(f".age_bands.{old}.", f".age_bands.{new}."), encoding="utf-8")


def _rename_option(choice: dict, old: str, new: str) -> None:
    choice["shares"] = {new if k == old else k: v for k, v in choice["shares"].items()}
    choice["rest"] = new if choice["rest"] == old else choice["rest"]


def rename_category(folder: Path, old: str, new: str) -> None:
    """A quota category under another id: declared, in the first-session list, in bundle caps and network averages."""
    doc = _read(folder / CONVENTION)
    quota = doc["quota"]
    for category in quota["categories"]:
        if category["id"] == old:
            category["id"] = new
    listed = quota["first_individual_of_period"]["categories"]
    listed[:] = [new if c == old else c for c in listed]
    for network in quota["networks"].values():
        for table in [*(b["caps"] for b in network["bundles"]), network.get("network_average", {})]:
            if old in table:
                table[new] = table.pop(old)
    _write(folder / CONVENTION, doc)


OVERRIDES = ("clb-collaboration.json",)
CO_LEADS = "group_co_lead"


def _rename_in_conditions(node, field: str, old: str, new: str) -> None:
    """The value `old` of every condition on `field` below a node (in lists of `in` and `not_in` too) as `new`."""
    if isinstance(node, dict):
        if node.get("field") == field:
            value = node["value"]
            node["value"] = [new if v == old else v for v in value] if isinstance(value, list) else (
                new if value == old else value)
        for child in node.values():
            _rename_in_conditions(child, field, old, new)
    elif isinstance(node, list):
        for child in node:
            _rename_in_conditions(child, field, old, new)


def _declare(doc: dict, key: str, old: str, new: str) -> None:
    for item in doc[key]:
        item["id"] = new if item["id"] == old else item["id"]


def rename_leader(folder: Path, old: str, new: str) -> None:
    """A leader under another id: declared, as the tariff's lead, in the tariff rows' conditions on leader, and in the
    region data's mix of co-leads."""
    doc = _read(folder / CONVENTION)
    _declare(doc, "leaders", old, new)
    doc["tariff"]["lead"] = new if doc["tariff"]["lead"] == old else doc["tariff"]["lead"]
    _rename_in_conditions(doc["tariff"], "leader", old, new)
    _write(folder / CONVENTION, doc)
    use = _read(folder / UTILISATION)
    shares = use["mixes"][CO_LEADS]["shares"]
    use["mixes"][CO_LEADS]["shares"] = {new if k == old else k: v for k, v in shares.items()}
    _write(folder / UTILISATION, use)


def rename_setting(folder: Path, old: str, new: str) -> None:
    """A setting under another id: declared, in the conditions on setting of the convention and its co-payment
    overrides (the CLB file), and in the region data's setting choice."""
    doc = _read(folder / CONVENTION)
    _declare(doc, "settings", old, new)
    _rename_in_conditions(doc, "setting", old, new)
    _write(folder / CONVENTION, doc)
    for name in OVERRIDES:
        override = _read(folder / name)
        _rename_in_conditions(override["rules"], "setting", old, new)
        _write(folder / name, override)
    use = _read(folder / UTILISATION)
    _rename_option(use["choices"]["setting"], old, new)
    _write(folder / UTILISATION, use)


def add_leader(folder: Path, leader: str, fee: float, share: float = 0.05) -> str:
    """Another leader who may co-lead a group session, paid `fee` by a tariff row of its own, and co-leading `share` of
    the simulated groups (taken from the groups without a funded co-lead). Returns the row's id."""
    doc = _read(folder / CONVENTION)
    doc["leaders"].append({"id": leader, "label": f"leader {leader}", "source": "scenario-hypothesis",
                           "status": "assumed"})
    row = f"group_{leader}"
    doc["tariff"]["rows"].append({"id": row, "label": f"group session co-led by {leader}",
                                  "when": {"all": [{"field": "kind", "op": "==", "value": "group"},
                                                   {"field": "leader", "op": "==", "value": leader}]},
                                  "fee": {"unit": "EUR", "history": history(("2021-09-01", fee))}})
    _write(folder / CONVENTION, doc)
    use = _read(folder / UTILISATION)
    shares = use["mixes"][CO_LEADS]["shares"]
    shares["none"] = round(shares["none"] - share, 10)
    shares[leader] = share
    _write(folder / UTILISATION, use)
    return row


def add_setting(folder: Path, setting: str, copay: float, share: float = 0.05) -> str:
    """Another setting (not the default) whose sessions have a co-payment of `copay` by a rule of their own, first in
    precedence, and `share` of the care paths of the network types the region data draws settings for. Returns the
    rule's id."""
    doc = _read(folder / CONVENTION)
    doc["settings"].append({"id": setting, "label": f"setting {setting}", "source": "scenario-hypothesis",
                            "status": "assumed"})
    doc["copayment"]["rules"].insert(0, {"id": setting, "label": f"a session in setting {setting}",
                                         "when": {"field": "setting", "op": "==", "value": setting},
                                         "amount": {"unit": "EUR", "history": history(("2021-09-01", copay))}})
    _write(folder / CONVENTION, doc)
    use = _read(folder / UTILISATION)
    _add_option(use, "setting", setting, share, f"Share of care paths in setting {setting}.")
    _write(folder / UTILISATION, use)
    return setting
