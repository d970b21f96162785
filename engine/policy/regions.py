"""Region data from policy/regions/: population per region by age, and the utilisation assumptions.

The microsimulation draws its patients from these figures; every figure keeps its source and status
so that a result can say which assumptions produced it.
"""

from __future__ import annotations

import datetime as dt
import functools
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from engine.dates import parse_date
from engine.errors import PolicyError, Problem, ResolveError, did_you_mean
from engine.policy.files import default_policy_dir, display, source_keys_for, unique_documents
from engine.policy.provenance import Provenance, provenance
from engine.policy.schema_messages import pointer, undeclared

if TYPE_CHECKING:
    from engine.policy.rules import Rules

Ages = tuple[int, int]
TOLERANCE = 1e-6  # shares may add up to this much more than 1 (rounding in the data)
CO_LEADS = "group_co_lead"
"""The mix of who co-leads a group session: a share per leader the conventions declare, and NO_CO_LEAD's."""
NO_CO_LEAD = "none"


@dataclass(frozen=True)
class Sourced(Provenance):
    """A single figure with where it comes from."""

    value: float
    date: dt.date | None = None


@dataclass(frozen=True)
class Region:
    """One region (a province or Brussels): its names and inhabitants by age band."""

    id: str
    name_nl: str
    aliases: tuple[str, ...]
    community_region: str
    counts: dict[str, int]
    total: int
    population: Sourced
    bim_share: Sourced
    names: dict[str, str] = field(default_factory=dict)

    def name(self, lang: str = "nl") -> str:
        """The display name in a language of the region data (nl, fr, en)."""
        return self.names.get(lang, self.name_nl)


@dataclass(frozen=True)
class AgeTable(Provenance):
    """A rate or share by age: rows of (lowest age, highest age, value); ages without a row have none."""

    name: str
    description: str
    unit: str
    rows: tuple[tuple[int, int, float], ...]

    def at(self, age: int, default: float | None = None) -> float | None:
        """The value at one age, or `default` where no row covers it."""
        return next((v for lo, hi, v in self.rows if lo <= age <= hi), default)

    def array(self, max_age: int) -> np.ndarray:
        """Values for ages 0..max_age (NaN where no row covers the age)."""
        out = np.full(max_age + 1, np.nan)
        for lo, hi, value in self.rows:
            out[lo:min(hi, max_age) + 1] = value
        return out


@dataclass(frozen=True)
class SessionDistribution(Provenance):
    """How many sessions of one care type and kind a patient seeks in one care path."""

    id: str
    care: str
    kind: str
    sessions: tuple[int, ...]
    shares: tuple[float, ...]

    def mean(self) -> float:
        """The average number of sessions sought."""
        return float(np.dot(self.sessions, self.shares))


@dataclass(frozen=True)
class Mix(Provenance):
    """Shares of the options of one choice (e.g. who co-leads a group session), summing to 1."""

    name: str
    description: str
    shares: dict[str, float]


@dataclass(frozen=True)
class Choice:
    """How drawn care paths are shared between the options of one choice (care types, network types, settings).

    Each option of `shares` takes the share a figure gives at the patient's age, in order; `rest` takes the
    remainder. `networks`, for settings, names the network types whose care paths the shares apply to.
    """

    description: str
    shares: tuple[tuple[str, str], ...]  # (option, figure name)
    rest: str
    networks: tuple[str, ...] = ()

    @property
    def options(self) -> tuple[str, ...]:
        """Every option: those with a share, then the rest."""
        return (*(option for option, _ in self.shares), self.rest)


@dataclass(frozen=True)
class Mutuality:
    """A mutuality as the simulation draws its members: their share of the inhabitants (per region where the
    data gives one) and what their sessions outside the convention are drawn from."""

    id: str
    label: str
    share: Sourced
    regional: dict[str, Sourced]
    outside_uptake: str  # a figure name
    sessions: str  # a session distribution id
    provider: str

    def share_in(self, region: str) -> float:
        """The members' share of the inhabitants of a region."""
        return float(self.regional.get(region, self.share).value)


@dataclass(frozen=True)
class Target(Provenance):
    """A published figure that the calibrated baseline should reproduce."""

    id: str
    description: str
    value: float
    unit: str
    year: int
    ages: Ages | None


@dataclass(frozen=True, eq=False)
class Regions:
    """The population and utilisation data of a policy folder, with lookups by name."""

    root: Path
    date: dt.date
    age_bands: dict[str, Ages]
    regions: dict[str, Region]
    totals: dict[str, Sourced]
    year: int
    policy_bands: dict[str, Ages]
    figures: dict[str, AgeTable]
    sessions: dict[tuple[str, str], SessionDistribution]
    mixes: dict[str, Mix]
    amounts: dict[str, Sourced]
    targets: dict[str, Target]
    files: dict[str, Path]
    _by_age: dict[str, np.ndarray] = field(repr=False, default_factory=dict)
    _names: dict[str, str] = field(repr=False, default_factory=dict)
    reference_day: tuple[int, int] = field(kw_only=True)  # (month, day) on which a simulated year is read
    mutualities: dict[str, Mutuality] = field(kw_only=True)
    choices: dict[str, Choice] = field(kw_only=True)  # "care", "network" and (optional) "setting"

    @property
    def max_age(self) -> int:
        """The oldest single year of age the population is spread over."""
        return max(hi for _, hi in self.age_bands.values())

    def names(self) -> list[str]:
        """The region ids, in file order."""
        return list(self.regions)

    def region(self, name: str) -> Region:
        """A region by id, Dutch name or alias (case and accents ignored); 'did you mean' otherwise."""
        key = _normal(name)
        if key in self._names:
            return self.regions[self._names[key]]
        hint = did_you_mean(key, self.names()) or did_you_mean(name, list(self._names))
        raise ResolveError(f"unknown region {name!r}{hint} (known: {', '.join(self.names())})")

    def population_by_age(self, region: str | None = None) -> np.ndarray:
        """Inhabitants by single year of age 0..max_age, of one region or of all (assumed split)."""
        if region is None:
            return np.sum(list(self._by_age.values()), axis=0)
        return self._by_age[self.region(region).id].copy()

    def population(self, region: str | None = None, ages: Ages | None = None) -> float:
        """Inhabitants of one region (or all) in an age range (both ends included; all ages when None)."""
        by_age = self.population_by_age(region)
        lo, hi = ages if ages is not None else (0, self.max_age)
        return float(by_age[lo:hi + 1].sum())

    def population_by_band(self, region: str | None = None) -> dict[str, float]:
        """Inhabitants per band the policies need (policy_bands: 0-14, 15-23, ...)."""
        return {band: self.population(region, ages) for band, ages in self.policy_bands.items()}

    def figure(self, what: str) -> AgeTable:
        """A figure by age (uptake, specialised_share, ...) by name."""
        try:
            return self.figures[what]
        except KeyError:
            raise ResolveError(f"unknown utilisation figure {what!r}{did_you_mean(what, list(self.figures))} "
                               f"(known: {', '.join(self.figures)})") from None

    def figure_by_age(self, what: str) -> np.ndarray:
        """A figure for every age 0..max_age, 0 where no row covers the age (nobody there has it)."""
        return np.nan_to_num(self.figure(what).array(self.max_age), nan=0.0)

    def rate(self, what: str, age: int) -> float | None:
        """One figure at one age; None where the figure does not apply to that age."""
        return self.figure(what).at(age)

    def distribution(self, care: str, kind: str) -> SessionDistribution:
        """The session-count distribution of a care type and kind."""
        try:
            return self.sessions[(care, kind)]
        except KeyError:
            known = ", ".join(f"{c}/{k}" for c, k in self.sessions)
            raise ResolveError(f"no session distribution for care {care!r} and kind {kind!r} "
                               f"(known: {known})") from None

    def mix(self, name: str) -> Mix:
        """A mix of options by name."""
        try:
            return self.mixes[name]
        except KeyError:
            raise ResolveError(f"unknown mix {name!r}{did_you_mean(name, list(self.mixes))}") from None

    def amount(self, name: str) -> Sourced:
        """An amount (e.g. fee_outside_convention) by name."""
        try:
            return self.amounts[name]
        except KeyError:
            raise ResolveError(f"unknown amount {name!r}{did_you_mean(name, list(self.amounts))}") from None

    def session_distribution(self, dist_id: str) -> SessionDistribution:
        """A session-count distribution by its id."""
        found = next((d for d in self.sessions.values() if d.id == dist_id), None)
        if found is None:
            known = [d.id for d in self.sessions.values()]
            raise ResolveError(f"unknown session distribution {dist_id!r}{did_you_mean(dist_id, known)}")
        return found

    def target(self, target_id: str) -> Target:
        """A calibration target by id."""
        try:
            return self.targets[target_id]
        except KeyError:
            raise ResolveError(f"unknown target {target_id!r}{did_you_mean(target_id, list(self.targets))}") from None


def _normal(name: str) -> str:
    text = unicodedata.normalize("NFKD", str(name)).encode("ascii", "ignore").decode()
    return "_".join(text.strip().lower().replace("-", " ").split())


def _sourced(node: dict, value_key: str = "value") -> Sourced:
    date = parse_date(node["date"]) if "date" in node else None
    return Sourced(node[value_key], date, **provenance(node))


def load_regions(policies_root: Path | str | None = None) -> Regions:
    """Load and check the region files of a policy folder (its `regions/`); cached until a file changes.

    Raises PolicyError listing every problem in every file.
    """
    root = Path(policies_root if policies_root is not None else default_policy_dir()).resolve()
    folder = root / "regions"
    files = sorted(folder.glob("*.json")) if folder.is_dir() else []
    signature = tuple((p.name, p.stat().st_mtime_ns, p.stat().st_size) for p in files)
    return _load(root, signature)


@functools.lru_cache(maxsize=8)
def _load(root: Path, signature: tuple) -> Regions:
    docs, problems = unique_documents(
        (root / "regions" / name for name, *_ in signature), source_keys_for(root), "kind",
        lambda kind, first: f"expected one {kind} file in the folder, found a second beside {display(first)}")
    for kind in ("population", "utilisation"):
        if kind not in docs and not problems:
            problems.append(Problem(display(root / "regions"), "/",
                                    f"expected a region file of kind '{kind}', found none"))
    if problems:
        raise PolicyError(problems)
    (pop_path, pop), (use_path, use) = docs["population"], docs["utilisation"]
    problems = _population_problems(display(pop_path), pop) + _utilisation_problems(display(use_path), use, pop)
    if problems:
        raise PolicyError(problems)
    return _build(root, pop_path, pop, use_path, use)


def _range_problems(file: str, where: list, rows: list[dict], cover: Ages | None) -> list[Problem]:
    """Age ranges that are reversed or overlap, or (with `cover`) leave a gap in it."""
    problems = []
    ordered = sorted(range(len(rows)), key=lambda i: rows[i]["ages"][0])
    previous_hi = None
    for i in ordered:
        lo, hi = rows[i]["ages"]
        at = pointer([*where, i, "ages"])
        if lo > hi:
            problems.append(Problem(file, at, f"expected [lowest, highest] with lowest <= highest, found [{lo}, {hi}]"))
        elif previous_hi is not None and lo <= previous_hi:
            problems.append(Problem(file, at, f"expected ages after {previous_hi} (ranges must not overlap), found [{lo}, {hi}]"))
        elif cover is not None and lo != (cover[0] if previous_hi is None else previous_hi + 1):
            start = cover[0] if previous_hi is None else previous_hi + 1
            problems.append(Problem(file, at, f"expected ages from {start} (no gaps in {cover[0]}-{cover[1]}), found [{lo}, {hi}]"))
        previous_hi = hi if previous_hi is None else max(previous_hi, hi)
    if cover is not None and not problems and previous_hi != cover[1]:
        problems.append(Problem(file, pointer(where), f"expected ages up to {cover[1]}, found up to {previous_hi}"))
    return problems


def _sum_problem(file: str, where: list, shares, what: str) -> list[Problem]:
    total = float(sum(shares))
    if abs(total - 1) > TOLERANCE:
        return [Problem(file, pointer(where), f"expected {what} summing to 1, found {total:g}")]
    return []


def _counts_problems(file: str, where: list, node: dict, bands: list[str]) -> list[Problem]:
    if sorted(node["counts"]) != sorted(bands):
        return [Problem(file, pointer([*where, "counts"]),
                        f"expected the age bands {', '.join(bands)}, found {', '.join(node['counts'])}")]
    added = sum(node["counts"].values())
    if added != node["total"]:
        return [Problem(file, pointer([*where, "total"]),
                        f"expected the sum of the age bands ({added}), found {node['total']}")]
    return []


def _population_problems(file: str, pop: dict) -> list[Problem]:
    bands = [b["id"] for b in pop["age_bands"]]
    problems = _range_problems(file, ["age_bands"], pop["age_bands"], (0, max(b["ages"][1] for b in pop["age_bands"])))
    split = pop["age_split"]["bands"]
    if sorted(split) != sorted(bands):
        problems.append(Problem(file, "/age_split/bands",
                                f"expected the age bands {', '.join(bands)}, found {', '.join(split)}"))
    for band in pop["age_bands"]:
        parts = split.get(band["id"], [])
        where = ["age_split", "bands", band["id"]]
        problems += _range_problems(file, where, parts, tuple(band["ages"])) if parts else []
        problems += _sum_problem(file, where, [p["share"] for p in parts], "shares") if parts else []
    for i, region in enumerate(pop["regions"]):
        problems += _counts_problems(file, ["regions", i, "population"], region["population"], bands)
    for i, total in enumerate(pop.get("totals", [])):
        if "counts" in total:
            problems += _counts_problems(file, ["totals", i], total, bands)
        if total["area"] == "belgium" and total["date"] == pop["date"]:
            added = sum(r["population"]["total"] for r in pop["regions"])
            if added != total["total"]:
                problems.append(Problem(file, pointer(["totals", i, "total"]),
                                        f"expected the sum of the regions ({added}), found {total['total']}"))
    return problems


def _utilisation_problems(file: str, use: dict, pop: dict) -> list[Problem]:
    cover = (0, max(b["ages"][1] for b in pop["age_bands"]))
    problems = _range_problems(file, ["policy_bands"], use["policy_bands"], cover)
    for name, figure in use["figures"].items():
        full = cover if name == "uptake" else None
        problems += _range_problems(file, ["figures", name, "by_age"], figure["by_age"], full)
    if "uptake" not in use["figures"]:
        problems.append(Problem(file, "/figures", "expected the figure 'uptake', found it missing"))
    seen: dict[tuple, int] = {}
    for i, dist in enumerate(use["sessions"]):
        slot = (dist["care"], dist["kind"])
        if slot in seen:
            problems.append(Problem(file, pointer(["sessions", i]), f"expected one distribution per care and kind, "
                                    f"found {slot[0]}/{slot[1]} again (first at /sessions/{seen[slot]})"))
        seen.setdefault(slot, i)
        counts = [c["sessions"] for c in dist["counts"]]
        if len(set(counts)) != len(counts):
            problems.append(Problem(file, pointer(["sessions", i, "counts"]),
                                    "expected each number of sessions once, found repeats"))
        problems += _sum_problem(file, ["sessions", i, "counts"], [c["share"] for c in dist["counts"]], "shares")
    for name, mix in use.get("mixes", {}).items():
        problems += _sum_problem(file, ["mixes", name, "shares"], mix["shares"].values(), "shares")
    return (problems + _choice_problems(file, use, cover[1]) + _interval_problems(file, use)
            + _reference_day_problems(file, use) + _mutuality_problems(file, use, pop))


def _choice_problems(file: str, use: dict, max_age: int) -> list[Problem]:
    """A choice's shares must name figures of /figures and add up to 1 at most at every age; its rest is not among
    its shares."""
    problems = []
    for name, choice in use["choices"].items():
        at = ["choices", name]
        for option, figure in choice["shares"].items():
            if figure not in use["figures"]:
                problems.append(Problem(file, pointer([*at, "shares", option]), f"expected a figure of /figures "
                                        f"({', '.join(use['figures'])}), found {figure!r}"
                                        f"{did_you_mean(figure, list(use['figures']))}"))
        if choice["rest"] in choice["shares"]:
            problems.append(Problem(file, pointer([*at, "rest"]), f"expected an option without a share of its own "
                                    f"(the rest), found {choice['rest']!r}, which is also under shares"))
        if problems:
            continue
        total = np.zeros(max_age + 1)
        for figure in choice["shares"].values():
            for row in use["figures"][figure]["by_age"]:
                lo, hi = row["ages"]
                total[lo:min(hi, max_age) + 1] += row["value"]
        over = np.flatnonzero(total > 1 + TOLERANCE)
        if len(over):
            problems.append(Problem(file, pointer([*at, "shares"]), f"expected shares adding up to 1 at most at "
                                    f"every age, found {total[over[0]]:g} at age {int(over[0])}"))
    return problems


def _interval_problems(file: str, use: dict) -> list[Problem]:
    """A care path draws the days between its sessions from session_interval_min to session_interval_max."""
    amounts = use.get("amounts", {})
    low, high = (amounts.get(f"session_interval_{end}", {}).get("value") for end in ("min", "max"))
    if low is None or high is None or high >= low:
        return []
    return [Problem(file, "/amounts/session_interval_max/value", f"expected at least {low:g} days (the "
                    f"session_interval_min), found {high:g}")]


def _reference_day_problems(file: str, use: dict) -> list[Problem]:
    day = use["reference_day"]
    try:
        dt.date(2001, day["month"], day["day"])  # a day every year has (29 February is not)
    except ValueError:
        return [Problem(file, "/reference_day", f"expected a day that every year has, found month {day['month']} "
                        f"day {day['day']}")]
    return []


def _mutuality_problems(file: str, use: dict, pop: dict) -> list[Problem]:
    """Mutualities must name figures, distributions and regions that exist; member shares add up to 1 at most."""
    problems = []
    distributions = [d["id"] for d in use["sessions"]]
    region_ids = [r["id"] for r in pop["regions"]]
    mutualities = use.get("mutualities", {})
    for name, m in mutualities.items():
        at = ["mutualities", name]
        if m["outside_uptake"] not in use["figures"]:
            problems.append(Problem(file, pointer([*at, "outside_uptake"]), f"expected a figure of /figures "
                                    f"({', '.join(use['figures'])}), found {m['outside_uptake']!r}"))
        if m["sessions"] not in distributions:
            problems.append(Problem(file, pointer([*at, "sessions"]), f"expected the id of a session distribution "
                                    f"({', '.join(distributions)}), found {m['sessions']!r}"))
        for region in m.get("regions", {}):
            if region not in region_ids:
                problems.append(Problem(file, pointer([*at, "regions", region]), f"expected a region id "
                                        f"({', '.join(region_ids)}), found {region!r}"))
    for region in region_ids:
        total = sum(m.get("regions", {}).get(region, m["member_share"])["value"] for m in mutualities.values())
        if total > 1 + TOLERANCE:
            problems.append(Problem(file, "/mutualities", f"expected member shares adding up to 1 at most in each "
                                    f"region, found {total:g} in {region}"))
            break
    return problems


def benefit_problems(regions: Regions, mutualities: list[str]) -> list[Problem]:
    """Every mutuality with a supplementary benefit needs its members' figures in the region data."""
    file = display(regions.files["utilisation"])
    return [Problem(file, pointer(["mutualities"]), f"expected the members' figures of mutuality {m!r}, which has a "
                    f"supplementary benefit file (member_share, outside_uptake, sessions, provider), found none")
            for m in mutualities if m not in regions.mutualities]


def choice_problems(regions: Regions, rules: Rules) -> list[Problem]:
    """The care types and network types of the choices must be those the conventions declare, every one of them
    (the rest included); the settings of the setting choice, its network types and the co-leads of the mix
    group_co_lead must be declared; every quota category (care type and kind) needs its session distribution."""
    file = display(regions.files["utilisation"])
    declared = {"care": rules.care_types, "network": rules.network_types, "setting": rules.settings}
    kinds = {"care": "care type", "network": "network type", "setting": "setting"}
    problems = []
    for name in ("care", "network", "setting"):
        choice = regions.choices.get(name)
        if choice is None:
            continue
        places = [*((o, ["choices", name, "shares", o]) for o, _ in choice.shares), (choice.rest, ["choices", name, "rest"])]
        problems += [undeclared(file, where, f"a {kinds[name]} the conventions declare", declared[name], option)
                     for option, where in places if option not in declared[name]]
        missing = [t for t in declared[name] if t not in choice.options]
        if missing and name != "setting":
            problems.append(Problem(file, pointer(["choices", name]), f"expected a share (or the rest) for every "
                                    f"{kinds[name]} the conventions declare, found none for {', '.join(missing)}"))
    setting = regions.choices.get("setting")
    problems += [undeclared(file, ["choices", "setting", "networks", i], "a network type the conventions declare",
                             rules.network_types, network)
                 for i, network in enumerate(setting.networks if setting else ()) if network not in rules.network_types]
    co_leads = regions.mixes.get(CO_LEADS)
    allowed = (*rules.leaders, NO_CO_LEAD)
    problems += [undeclared(file, ["mixes", CO_LEADS, "shares", leader], f"a leader the conventions declare or "
                             f"{NO_CO_LEAD!r}", allowed, leader)
                 for leader in (co_leads.shares if co_leads else ()) if leader not in allowed]
    wanted = dict.fromkeys((c.care, c.kind) for conv in rules.conventions for c in conv.categories)
    lacking = [f"{care}/{kind}" for care, kind in wanted if (care, kind) not in regions.sessions]
    if lacking:
        problems.append(Problem(file, "/sessions", f"expected a session distribution for every quota category the "
                                f"conventions declare (care type/kind), found none for {', '.join(lacking)}"))
    return problems


def _spread(pop: dict, region: dict, max_age: int) -> np.ndarray:
    out = np.zeros(max_age + 1)
    for band in pop["age_bands"]:
        count = region["population"]["counts"][band["id"]]
        for part in pop["age_split"]["bands"][band["id"]]:
            lo, hi = part["ages"]
            out[lo:hi + 1] += count * part["share"] / (hi - lo + 1)
    return out


def _build(root: Path, pop_path: Path, pop: dict, use_path: Path, use: dict) -> Regions:
    age_bands = {b["id"]: tuple(b["ages"]) for b in pop["age_bands"]}
    max_age = max(hi for _, hi in age_bands.values())
    regions, by_age, names = {}, {}, {}
    for r in pop["regions"]:
        people = r["population"]
        regions[r["id"]] = Region(r["id"], r["name_nl"], tuple(r.get("aliases", ())), r["community_region"],
                                  dict(people["counts"]), people["total"], _sourced(people, "total"),
                                  _sourced(r["bim_share"]), {lang: r[f"name_{lang}"] for lang in ("nl", "fr", "en")})
        by_age[r["id"]] = _spread(pop, r, max_age)
        for alias in (r["id"], r["name_nl"], r["name_fr"], r["name_en"], *r.get("aliases", ())):
            names.setdefault(_normal(alias), r["id"])
    totals = {t["id"]: _sourced(t, "total") for t in pop.get("totals", [])}
    figures = {name: AgeTable(name, f["description"], f["unit"],
                              tuple((a["ages"][0], a["ages"][1], a["value"]) for a in f["by_age"]),
                              **provenance(f))
               for name, f in use["figures"].items()}
    sessions = {(d["care"], d["kind"]): SessionDistribution(
        d["id"], d["care"], d["kind"], tuple(c["sessions"] for c in d["counts"]),
        tuple(c["share"] for c in d["counts"]), **provenance(d)) for d in use["sessions"]}
    mixes = {n: Mix(n, m["description"], dict(m["shares"]), **provenance(m))
             for n, m in use.get("mixes", {}).items()}
    amounts = {n: _sourced(a) for n, a in use.get("amounts", {}).items()}
    targets = {t["id"]: Target(t["id"], t["description"], t["value"], t["unit"], t["year"],
                               tuple(t["ages"]) if "ages" in t else None, **provenance(t))
               for t in use.get("targets", [])}
    mutualities = {n: Mutuality(n, m["label"], _sourced(m["member_share"]),
                                {r: _sourced(v) for r, v in m.get("regions", {}).items()}, m["outside_uptake"],
                                m["sessions"], m["provider"]) for n, m in use.get("mutualities", {}).items()}
    choices = {n: Choice(c["description"], tuple(c["shares"].items()), c["rest"], tuple(c.get("networks", ())))
               for n, c in use["choices"].items()}
    day = use["reference_day"]
    return Regions(root, parse_date(pop["date"]), age_bands, regions, totals, use["year"],
                   {b["id"]: tuple(b["ages"]) for b in use["policy_bands"]}, figures, sessions, mixes, amounts,
                   targets, {"population": pop_path, "utilisation": use_path}, by_age, names,
                   reference_day=(day["month"], day["day"]), mutualities=mutualities, choices=choices)
