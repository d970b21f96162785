"""Scenario overlays: named changes to dated policy values and to utilisation assumptions, as data.

A scenario is checked completely against the loaded policies (and the region data) before anything
is applied, so that an analyst sees every mistake of a file at once and never half a scenario.
"""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import itertools
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from engine.dates import parse_date
from engine.errors import InputError, PolicyError, Problem, ResolveError, did_you_mean
from engine.money import rounded
from engine.policy.dated import DAY, DatedValue, Entry
from engine.policy.files import check_file, default_policy_dir, display, read_json, schema_errors, schema_problems
from engine.policy.policies import PolicySet, dated_nodes
from engine.policy.provenance import Provenance, provenance
from engine.policy.regions import TOLERANCE, Regions, load_regions
from engine.policy.schema_messages import found

BASELINE = "baseline"
SESSIONS = "sessions"


@dataclass(frozen=True)
class Change(Provenance):
    """A change to one dated value: `value`, or the old value times `factor`, from `start` to `end`."""

    index: int
    path: str
    start: dt.date
    end: dt.date | None
    value: float | bool | None
    factor: float | None
    decimals: int | None
    unit: str


@dataclass(frozen=True)
class UtilisationChange(Provenance):
    """A change to a utilisation figure (uptake, sessions, a share) for the people and dates it names."""

    index: int
    what: str
    start: dt.date
    end: dt.date | None
    factor: float | None
    value: float | None
    ages: tuple[int, int] | None
    regions: tuple[str, ...] | None
    care: str | None
    kind: str | None

    def in_force(self, day: dt.date) -> bool:
        """Whether the change applies on `day`."""
        return self.start <= day and (self.end is None or day <= self.end)


@dataclass(frozen=True)
class ScenarioInfo:
    """A bundled scenario as listed for the CLI and Excel."""

    name: str
    title: str
    description: str
    path: Path


@dataclass(frozen=True)
class Scenario:
    """A checked scenario file: its changes to dated values and to utilisation assumptions."""

    id: str
    title: str
    description: str
    file: Path
    changes: tuple[Change, ...]
    utilisation: tuple[UtilisationChange, ...]

    def adjust(self, what: str, base, day: dt.date, *, age=None, region: str | None = None,
               care: str | None = None, kind: str | None = None):
        """A utilisation figure under this scenario: `base` (a number or an array) with the changes in force.

        `age` is an int or an array broadcastable with `base`. A change limited to some ages, regions,
        care types or kinds needs that dimension from the caller; without it a ValueError is raised,
        never a silent skip. Changes apply in file order: `value` replaces, `factor` multiplies.
        """
        out = np.array(base, dtype=float)
        for u in self.utilisation:
            if u.what != what or not u.in_force(day):
                continue
            for name, limit, given in (("region", u.regions, region), ("care", u.care, care), ("kind", u.kind, kind)):
                if limit is not None and given is None:
                    raise ValueError(f"scenario {self.id}: utilisation change {u.index} on {what!r} needs a {name}")
            if (u.regions is not None and region not in u.regions) or (u.care is not None and care != u.care) \
                    or (u.kind is not None and kind != u.kind):
                continue
            if u.ages is not None and age is None:
                raise ValueError(f"scenario {self.id}: utilisation change {u.index} on {what!r} needs ages")
            mask = True if u.ages is None else (np.asarray(age) >= u.ages[0]) & (np.asarray(age) <= u.ages[1])
            out = np.where(mask, out * u.factor if u.factor is not None else u.value, out)
        return float(out) if out.ndim == 0 else out


def scenario_folder(policies_root: Path | str | None = None) -> Path:
    """The folder of the bundled scenarios of a policy folder."""
    return Path(policies_root if policies_root is not None else default_policy_dir()) / "scenarios"


def list_scenarios(policies_root: Path | str | None = None) -> list[ScenarioInfo]:
    """The bundled scenarios, baseline first, then by name."""
    infos = []
    for path in sorted(scenario_folder(policies_root).glob("*.json")):
        data, problems = read_json(path)
        if problems:
            raise PolicyError(problems)
        data = data if isinstance(data, dict) else {}
        infos.append(ScenarioInfo(path.stem, str(data.get("title", "")), str(data.get("description", "")), path))
    return sorted(infos, key=lambda s: (s.name != BASELINE, s.name))


def scenario_path(name_or_path: str | Path, policies_root: Path | str | None = None) -> Path:
    """The file of a bundled scenario name, or the given path of a scenario file."""
    text = str(name_or_path)
    if isinstance(name_or_path, Path) or text.endswith(".json") or "/" in text or "\\" in text:
        path = Path(text)
        if not path.is_file():
            raise InputError(f"{display(path)}: /: expected a scenario file, found nothing at this path")
        return path
    path = scenario_folder(policies_root) / f"{text}.json"
    if path.is_file():
        return path
    known = [s.name for s in list_scenarios(policies_root)]
    raise InputError(f"unknown scenario {text!r}{did_you_mean(text, known)} (known: {', '.join(known)})")


def load_scenario(name_or_path: str | Path, policies: PolicySet) -> Scenario:
    """Read a bundled scenario by name, or a scenario file by path, and check it against `policies`.

    Raises PolicyError with every problem of the file, each naming its JSON pointer.
    """
    path = scenario_path(name_or_path, policies.root)
    name = display(path)
    data, problems = check_file(path, set(policies.sources))
    if problems and (not isinstance(data, dict) or schema_problems(path, data)):
        raise PolicyError(problems)  # the changes cannot be read; otherwise their problems are told with the file's
    if data.get("kind") != "scenario":
        raise PolicyError([*problems, Problem(name, "/$schema", f"expected a scenario file (scenario-1.0.schema.json), "
                                              f"found a file of kind {found(data.get('kind'))}")])
    changes = tuple(_change(i, c) for i, c in enumerate(data["changes"]))
    problems += change_problems(name, changes, policies)
    if not problems:
        problems = range_problems(name, changes, policies, _overlaid(policies, changes, data["id"]))
    regions = load_regions(policies.root) if data["utilisation"] else None
    unread = _utilisation_problems(name, data["utilisation"], regions)
    utilisation = () if unread else tuple(utilisation_change(j, u, regions) for j, u in enumerate(data["utilisation"]))
    scenario = Scenario(data["id"], data["title"], data["description"], path, changes, utilisation)
    problems += unread + (_figure_problems(name, scenario, regions) if utilisation else [])
    if problems:
        raise PolicyError(problems)
    return scenario


def apply(policies: PolicySet, scenario: Scenario) -> PolicySet:
    """The policies with the scenario's changes applied, in file order; checked first, all or nothing."""
    problems = change_problems(display(scenario.file), scenario.changes, policies)
    if problems:
        raise PolicyError(problems)
    changed = _overlaid(policies, scenario.changes, scenario.id)
    problems = range_problems(display(scenario.file), scenario.changes, policies, changed)
    if problems:
        raise PolicyError(problems)
    name = scenario.id if policies.scenario == BASELINE else f"{policies.scenario}+{scenario.id}"
    return policies.with_values(changed, name, (*policies.overlays, scenario))


def _overlaid(policies: PolicySet, changes: tuple[Change, ...], scenario_id: str) -> dict[str, DatedValue]:
    """The dated values the changes touch, with the changes applied in file order."""
    changed: dict[str, DatedValue] = {}
    for change in changes:
        changed[change.path] = overlay(changed.get(change.path) or policies.dated(change.path), change, scenario_id)
    return changed


def range_problems(file: str, changes: tuple[Change, ...], policies: PolicySet, changed: dict[str, DatedValue]) -> list[Problem]:
    """Every value a scenario makes that leaves its field's range, as the policy schema declares it.

    Each changed history is put back in its policy document and the document checked against its
    schema; a value out of range is named at the change that made it (the last one in force on its date).
    """
    problems = []
    for doc_id in dict.fromkeys(path.split(".", 1)[0] for path in changed):
        doc = policies.doc(doc_id)
        nodes = dated_nodes(doc_id, doc)
        placed = {(*nodes[path][0], "history"): path for path in changed if path in nodes}
        histories = {at: [{"from": e.start.isoformat(), "value": e.value, "source": e.source, "status": e.status}
                          for e in changed[path].entries] for at, path in placed.items()}
        for where, validator, schema in _errors_with(doc, histories):
            path = placed.get(where[:-2])
            if path is None or where[-1] != "value" or validator not in ("minimum", "maximum", "type"):
                continue
            entry = changed[path].entries[where[-2]]
            change = next((c for c in reversed(changes) if c.path == path and c.start <= entry.start
                           and (c.end is None or entry.start <= c.end)), None)
            if change is not None:
                problems.append(Problem(file, f"/changes/{change.index}/{'factor' if change.factor is not None else 'value'}",
                                        f"expected a result within the range of {path} ({_allowed(schema)}), "
                                        f"found {entry.value!r} from {entry.start}"))
    return list(dict.fromkeys(problems))


_CHECKED: dict[tuple[int, str], tuple[dict, list[tuple[tuple, str, dict]]]] = {}
"""Schema errors of a policy document with some histories replaced, by (document, histories), with the document kept
alive so that its id stays its own: a run checks the same scenario on the same policies for every seed, year and
sensitivity point. Emptied when it grows large (an Excel session editing scenarios)."""
_CHECKED_AT_MOST = 256


def _errors_with(doc: dict, histories: dict[tuple, list[dict]]) -> list[tuple[tuple, str, dict]]:
    """(JSON path, validator, schema) of each schema error of `doc` with the histories at these paths replaced."""
    key = (id(doc), json.dumps([[list(at), history] for at, history in histories.items()], default=str))
    if key not in _CHECKED:
        changed = copy.deepcopy(doc)
        for at, history in histories.items():
            node = changed
            for part in at[:-1]:
                node = node[part]
            node[at[-1]] = history
        if len(_CHECKED) >= _CHECKED_AT_MOST:
            _CHECKED.clear()
        _CHECKED[key] = (doc, [(tuple(e.absolute_path), e.validator, e.schema) for e in schema_errors(changed)])
    return _CHECKED[key][1]


def _allowed(schema: dict) -> str:
    """The range a value schema allows, as an analyst reads it: `a percentage, or null: a number from 0 to 100`."""
    types = schema.get("type") if isinstance(schema.get("type"), list) else [schema.get("type")]
    kind = "a whole number" if "integer" in types else "a number"
    low, high = schema.get("minimum"), schema.get("maximum")
    bounds = (f" from {low} to {high}" if low is not None and high is not None
              else f" of at least {low}" if low is not None else f" of at most {high}" if high is not None else "")
    title = f"{schema['title']}: " if isinstance(schema.get("title"), str) else ""
    return f"{title}{kind}{bounds}"


def with_scenario(policies: PolicySet, scenario: str | Path | None) -> PolicySet:
    """The policies under a scenario (a bundled name or a scenario file), or as they are when none is named."""
    return apply(policies, load_scenario(scenario, policies)) if scenario else policies


def overlay(dated: DatedValue, change: Change, scenario_id: str) -> DatedValue:
    """The dated value under one change: each entry is cut at the change's start and end.

    Parts before the start and after the end keep their value; the part within takes the change's
    value (one entry) or its own value times the factor. One entry stays in force on any date.
    """
    first, last = change.start, change.end
    note = f"scenario {scenario_id}" + (f": {change.note}" if change.note else "")
    out: list[Entry] = []
    window = None  # the index of the entry a `value` change sets
    for e in dated.entries:
        if e.start < first:
            out.append(dataclasses.replace(e, end=_earlier(e.end, first - DAY)))
        if e.overlaps(first, last):
            start, end = max(e.start, first), _earlier(e.end, last)
            if change.factor is not None:
                out.append(Entry(start, end, _scaled(e.value, change), source=change.source, status=change.status,
                                 note=note))
            elif window is not None:
                out[window] = dataclasses.replace(out[window], end=end)
            else:
                window = len(out)
                out.append(Entry(start, end, change.value, source=change.source, status=change.status, note=note))
        if last is not None and (e.end is None or e.end > last):
            out.append(dataclasses.replace(e, start=max(e.start, last + DAY)))
    return DatedValue(dated.path, dated.unit, tuple(out))


def _earlier(a: dt.date | None, b: dt.date | None) -> dt.date | None:
    return b if a is None else a if b is None else min(a, b)


def _scaled(value, change: Change):
    product = value * change.factor
    if change.decimals is None:
        return product
    return rounded(product, change.decimals)


def _is_number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _change(index: int, node: dict) -> Change:
    return Change(index, node["path"], parse_date(node["from"]), parse_date(node["to"]) if "to" in node else None,
                  node.get("value"), node.get("factor"), node.get("decimals"), node["unit"], **provenance(node))


def change_problems(file: str, changes: tuple[Change, ...], policies: PolicySet) -> list[Problem]:
    """Every problem of a scenario's changes against the loaded policies (none: safe to apply)."""
    problems = []
    for c in changes:
        problems += _one_change_problems(file, c, policies)
    return problems


def _one_change_problems(file: str, c: Change, policies: PolicySet) -> list[Problem]:
    at = f"/changes/{c.index}"
    problems = []
    if c.factor is not None and c.value is not None:
        problems.append(Problem(file, at, "expected either value or factor, found both"))
    if c.decimals is not None and c.factor is None:
        problems.append(Problem(file, f"{at}/decimals", "expected decimals only with factor, found it with value"))
    if c.path not in policies.values:
        hint = did_you_mean(c.path, list(policies.values))
        return [*problems, Problem(file, f"{at}/path", f"expected the path of a dated value of the loaded "
                                   f"policies, found unknown {c.path!r}{hint}")]
    dated = policies.values[c.path]
    if c.unit != dated.unit:
        problems.append(Problem(file, f"{at}/unit", f"expected {dated.unit!r} (the unit of {c.path}), found {c.unit!r}"))
    last = dated.entries[-1].end
    if not _covers(dated, c.start):
        problems.append(Problem(file, f"{at}/from", f"expected a date within the coverage of {c.path} "
                                f"({dated.coverage()}), found {c.start}"))
    if c.end is not None and c.end < c.start:
        problems.append(Problem(file, f"{at}/to", f"expected a date on or after from ({c.start}), found {c.end}"))
    elif c.end is not None and last is not None and c.end > last:
        problems.append(Problem(file, f"{at}/to", f"expected a date within the coverage of {c.path} "
                                f"({dated.coverage()}), found {c.end}"))
    flag = any(isinstance(e.value, bool) for e in dated.entries)
    if c.factor is None and flag and not isinstance(c.value, bool):
        problems.append(Problem(file, f"{at}/value", f"expected true or false ({c.path} is a flag), found {found(c.value)}"))
    elif c.factor is None and not flag and isinstance(c.value, bool):
        problems.append(Problem(file, f"{at}/value", f"expected a number or null ({c.path} is in {dated.unit}), "
                                f"found {found(c.value)}"))
    if c.factor is not None:
        end = c.end if c.end is not None else last
        for e in (e for e in dated.entries if e.overlaps(c.start, end)):
            if not _is_number(e.value):
                problems.append(Problem(file, f"{at}/factor", f"expected a numeric value to multiply, found "
                                        f"{found(e.value)} in {c.path} from {e.start}"))
                break
    return problems


def _covers(dated: DatedValue, day: dt.date) -> bool:
    try:
        dated.entry_at(day)
    except ResolveError:
        return False
    return True


def utilisation_change(index: int, node: dict, regions: Regions) -> UtilisationChange:
    """The utilisation change of a scenario file's entry `index` (`node`, checked), its regions as ids."""
    names = tuple(regions.region(r).id for r in node["regions"]) if "regions" in node else None
    return UtilisationChange(index, node["what"], parse_date(node["from"]),
                             parse_date(node["to"]) if "to" in node else None, node.get("factor"),
                             node.get("value"), tuple(node["ages"]) if "ages" in node else None, names,
                             node.get("care"), node.get("kind"), **provenance(node))


def _utilisation_problems(file: str, items: list[dict], regions: Regions | None) -> list[Problem]:
    problems = []
    for j, u in enumerate(items):
        at = f"/utilisation/{j}"
        if "factor" in u and "value" in u:
            problems.append(Problem(file, at, "expected either factor or value, found both"))
        if "to" in u and parse_date(u["to"]) < parse_date(u["from"]):
            problems.append(Problem(file, f"{at}/to", f"expected a date on or after from ({u['from']}), found {u['to']}"))
        ages = u.get("ages")
        if ages is not None and ages[0] > ages[1]:
            problems.append(Problem(file, f"{at}/ages", f"expected [lowest, highest] with lowest <= highest, found {ages}"))
        for k, name in enumerate(u.get("regions", [])):
            try:
                regions.region(name)
            except ResolveError as exc:
                problems.append(Problem(file, f"{at}/regions/{k}", f"expected a region of {display(regions.root / 'regions')}, "
                                        f"found {str(exc).removeprefix('unknown region ')}"))
        problems += _what_problems(file, at, u, regions)
    return problems


def _what_problems(file: str, at: str, u: dict, regions: Regions) -> list[Problem]:
    what = u["what"]
    known = [*regions.figures, SESSIONS]
    if what not in known:
        return [Problem(file, f"{at}/what", f"expected a utilisation figure ({', '.join(known)}), "
                        f"found {what!r}{did_you_mean(what, known)}")]
    if what == SESSIONS:
        problems = []
        if "value" in u:
            problems.append(Problem(file, f"{at}/value", "expected factor for 'sessions' (a distribution of counts), "
                                    "found value"))
        wanted = [(c, k) for c, k in regions.sessions
                  if u.get("care", c) == c and u.get("kind", k) == k]
        if not wanted:
            problems.append(Problem(file, at, f"expected care and kind of a session distribution "
                                    f"({', '.join(f'{c}/{k}' for c, k in regions.sessions)}), "
                                    f"found {u.get('care', 'any')}/{u.get('kind', 'any')}"))
        return problems
    return [Problem(file, f"{at}/{key}", f"expected {key} only on 'sessions', found {found(u[key])} on {what!r}")
            for key in ("care", "kind") if key in u]


def _figure_problems(file: str, scenario: Scenario, regions: Regions) -> list[Problem]:
    """The figures a scenario changes stay rates and shares: each at most 1 at every age, and the shares of a choice
    (engine/policy/regions.py) adding up to 1 at most, on every day and in every region, with all the changes in force
    there (they compose: a value, then a factor). Each problem names the change to blame (`_blamed`), once, and where
    (the region, when a change of its figures names some)."""
    changes = [u for u in scenario.utilisation if u.what != SESSIONS]
    named = list(dict.fromkeys(r for u in changes for r in u.regions or ()))
    others = [r for r in regions.names() if r not in named]  # figures have no region: one of them stands for all
    days = sorted({u.start for u in changes} | {u.end + DAY for u in changes if u.end is not None})
    ages = np.arange(regions.max_age + 1)
    checked = [(what, (what,)) for what in dict.fromkeys(u.what for u in changes)]
    checked += [(f"the shares of choice {name!r} ({' + '.join(figures)})", figures)
                for name, choice in regions.choices.items()
                if len(figures := tuple(figure for _, figure in choice.shares)) > 1
                and any(u.what in figures for u in changes)]
    problems: dict[tuple[int, str], Problem] = {}
    for day, place in itertools.product(days, [*others[:1], *named]):  # where no change names a region first
        values = {f: np.asarray(scenario.adjust(f, regions.figure_by_age(f), day, age=ages, region=place))
                  for _, figures in checked for f in figures}
        alone = np.zeros(len(ages), bool)  # ages where one figure is over 1: not told again as its choice's total
        for label, figures in checked:
            total = sum(values[f] for f in figures)
            over = total > 1 + TOLERANCE
            if len(figures) == 1:
                alone |= over
            else:
                over &= ~alone
            for age in np.flatnonzero(over):
                applied = [u for u in changes if u.what in figures and u.in_force(day)
                           and (u.regions is None or place in u.regions)
                           and (u.ages is None or u.ages[0] <= age <= u.ages[1])]
                blamed = _blamed(applied, regions, int(age))
                if blamed is None or (blamed.index, label) in problems:
                    continue
                where = "" if not any(u.regions for u in changes if u.what in figures) else \
                    f" in {place}" if place in named else f" in the regions no change names (such as {place})"
                problems[blamed.index, label] = Problem(
                    file, f"/utilisation/{blamed.index}/{'value' if blamed.factor is None else 'factor'}",
                    f"expected changes keeping {label} at or below 1, found {total[age]:g} at age {age}{where} "
                    f"from {day} (with the changes in force then)")
    return [problems[key] for key in sorted(problems)]  # in file order


def _blamed(applied: list[UtilisationChange], regions: Regions, age: int) -> UtilisationChange | None:
    """Of the changes that make a figure (or a choice's shares) at one age, in file order, the last that raises its
    figure there: a factor above 1, or a value above what it replaces; the last of them when none does."""
    now = {u.what: regions.figure_by_age(u.what)[age] for u in applied}
    raising = None
    for u in applied:
        after = now[u.what] * u.factor if u.factor is not None else u.value
        raising = u if after > now[u.what] else raising
        now[u.what] = after
    return raising or (applied[-1] if applied else None)
