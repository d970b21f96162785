"""Synthetic claims for the microsimulation: patients and their session histories, drawn from the region data.

Every figure comes from policy/regions/ (uptake, care type, group paths, network choice, CLB settings,
session counts and intervals) and from the convention's age bands. Draws are reproducible and shared
between scenarios (common random numbers): each (region, age) cell has its own random stream, and
candidate i of a cell gets the same uniforms whatever the number of candidates, so differences between
scenarios are not drowned in sampling noise.

A scenario that changes how many people seek care (the uptake figures, `Synthesizer.drawn`) draws in
two layers. The first holds the patients of its base, the scenario without those changes, as they
are, group members included (fewer where it lowers uptake: those left form groups anew). The second
holds the patients it adds, who form groups among themselves. A scenario that raises uptake thus
keeps every patient of the baseline with the same sessions, and only adds.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from engine.claims.contract import CHOICES
from engine.dates import add_months, ages_on
from engine.errors import PolicyError
from engine.policy.policies import PolicySet
from engine.policy.regions import (
    CO_LEADS,
    NO_CO_LEAD,
    Choice,
    Mutuality,
    Regions,
    SessionDistribution,
    benefit_problems,
    choice_problems,
)
from engine.policy.rules import rules_of
from engine.policy.scenarios import Scenario

# Columns of the per-patient uniforms (one row per candidate patient).
_BIRTH, _NETWORK, _CARE, _GROUP, _CLB, _BIM, _COUNT, _START, _INTERVAL, _GROUP_COUNT, _CO_LEAD, _ROUND = range(12)
_CONVENTION_DRAWS = 12
_O_BIRTH, _O_COUNT, _O_START, _O_INTERVAL, _O_ROUND, _O_BIM = range(6)
_OUTSIDE_DRAWS = 6
_CONVENTION_STREAM, _OUTSIDE_STREAM = 0, 1

TEXT = {"kind": CHOICES["kind"]}
"""The values of the claims contract the synthetic claims use, per text column, in code order; the network, care and
setting columns take the network types, care types and settings the conventions declare (the first setting is the
default), the co_lead, mutuality and provider columns their values from the region data."""


@dataclass(frozen=True)
class Draw:
    """Who is drawn: the simulated year, the seed, and the (month, day) of the year's reference day (region data)."""

    year: int
    seed: int
    reference: tuple[int, int]

    @property
    def first(self) -> np.datetime64:
        return np.datetime64(f"{self.year}-01-01", "D")

    @property
    def last(self) -> np.datetime64:
        return np.datetime64(f"{self.year}-12-31", "D")

    @property
    def reference_day(self) -> dt.date:
        return dt.date(self.year, *self.reference)


@dataclass
class Patients:
    """Patients of one region as parallel arrays (one row per patient)."""

    age: np.ndarray
    u: np.ndarray  # uniforms, one row per patient
    ident: np.ndarray  # stable patient ids: the same candidate has the same id in every scenario

    def __len__(self) -> int:
        return len(self.age)

    @property
    def rank(self) -> np.ndarray:
        """Each patient's place among the candidates of its age (0 for the first)."""
        return self.ident & _RANKS

    def take(self, rows: np.ndarray) -> Patients:
        return Patients(self.age[rows], self.u[rows], self.ident[rows])


_RANKS = (1 << 32) - 1  # the bits of an id that hold the candidate's place in its (stream, region, age) cell


def _cells(expected: np.ndarray, seed: int, region_index: int, stream: int):
    """Per age with candidates expected: its random stream, and its number of candidates (`expected` randomly
    rounded by the stream's first uniform)."""
    for age in np.flatnonzero(expected > 0):
        rng = np.random.Generator(np.random.PCG64([seed, region_index, int(age), stream]))  # default_rng's, sooner
        yield int(age), rng, int(np.floor(expected[age] + rng.random()))


def counts(expected: np.ndarray, seed: int, region_index: int, stream: int) -> np.ndarray:
    """The number of candidates of every age, as `candidates` draws them (without their uniforms)."""
    out = np.zeros(len(expected), np.int64)
    for age, _, count in _cells(expected, seed, region_index, stream):
        out[age] = count
    return out


def candidates(regions: Regions, region_index: int, expected: np.ndarray, seed: int, stream: int,
               draws: int) -> Patients:
    """The patients of a region by age: round(expected[age]) of them, each with `draws` uniforms.

    The rounding and the uniforms of candidate i depend only on (seed, region, age, stream, i), so a
    larger `expected` keeps every patient of a smaller one.
    """
    ages, uniforms, idents = [], [], []
    for age, rng, count in _cells(expected, seed, region_index, stream):
        if count:
            ages.append(np.full(count, age, np.int16))
            uniforms.append(rng.random((count, draws)))
            idents.append((((stream * 256 + region_index) * 256 + int(age)) << 32) + np.arange(count, dtype=np.int64))
    if not ages:
        return Patients(np.zeros(0, np.int16), np.zeros((0, draws)), np.zeros(0, np.int64))
    return Patients(np.concatenate(ages), np.concatenate(uniforms), np.concatenate(idents))


class Figures:
    """The utilisation figures of one region under one scenario, by single year of age."""

    def __init__(self, regions: Regions, scenario: Scenario, region: str, day: dt.date):
        self.regions, self.scenario, self.region, self.day = regions, scenario, region, day
        self.ages = np.arange(regions.max_age + 1)

    def by_age(self, what: str) -> np.ndarray:
        """A figure for every age (0 where no row covers the age), with the scenario's changes, at most 1: a checked
        scenario keeps it there on the region data, but not always on a sensitivity point's (a share raised by
        both), where it stops at 1 as the point's own figures do (engine/simulation/variation.py)."""
        return np.minimum(self.scenario.adjust(what, self.regions.figure_by_age(what), self.day, age=self.ages,
                                               region=self.region), 1.0)

    def session_factor(self, care: str, kind: str) -> np.ndarray:
        """The scenario's factor on the session counts of a care type and kind, by age."""
        ones = np.ones(len(self.ages))
        return np.asarray(self.scenario.adjust("sessions", ones, self.day, age=self.ages, region=self.region,
                                               care=care, kind=kind))


def _counts(dist: SessionDistribution, u: np.ndarray, u_round: np.ndarray, factor: np.ndarray) -> np.ndarray:
    """Session counts by inverse CDF of the distribution, scaled by a factor with random rounding (at least 1)."""
    cdf = np.cumsum(dist.shares)
    picked = np.asarray(dist.sessions)[np.minimum(np.searchsorted(cdf / cdf[-1], u, side="right"), len(cdf) - 1)]
    return np.maximum(np.floor(picked * factor + u_round), 1).astype(np.int64)


def _schedule(count: np.ndarray, start: np.ndarray, interval: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Session dates start + j·interval for j < count: (owner row, day number) per session.

    Care paths are drawn whole, also past the year's end, so that sessions per care path can be
    measured; results count only the sessions in the year.
    """
    owner = np.repeat(np.arange(len(count)), count)
    step = np.arange(len(owner)) - np.repeat(np.cumsum(count) - count, count)
    return owner, start[owner] + step * interval[owner]


@dataclass
class Sessions:
    """Synthetic sessions as code arrays; `frame()` turns them into a normalized claims frame."""

    patient: np.ndarray
    birth: np.ndarray  # days since 1970-01-01
    day: np.ndarray
    codes: dict[str, np.ndarray]
    increased: np.ndarray
    group: np.ndarray  # group number + 1, 0 for individual sessions
    co_lead: np.ndarray  # index into CO_LEADS
    fee: np.ndarray
    region: np.ndarray

    @staticmethod
    def concat(parts: list[Sessions]) -> Sessions:
        """The sessions of all parts, in narrower types that hold them (days and group numbers int32, text codes int16
        as the frame takes them, co-leads int32): a frame of millions of sessions is written once, in a third of
        the memory."""
        def joined(arrays: list[np.ndarray], dtype=None) -> np.ndarray:
            return np.concatenate(arrays, dtype=dtype, casting="same_kind")
        return Sessions(joined([p.patient for p in parts]),
                        *(joined([getattr(p, f) for p in parts], np.int32) for f in ("birth", "day")),
                        {k: joined([p.codes[k] for p in parts], np.int16) for k in parts[0].codes},
                        joined([p.increased for p in parts]), joined([p.group for p in parts], np.int32),
                        joined([p.co_lead for p in parts], np.int32), joined([p.fee for p in parts]),
                        joined([p.region for p in parts]))

    def frame(self, text_values: dict[str, tuple[str, ...]], co_leads: tuple[str, ...], first: int = 1) -> pd.DataFrame:
        """The normalized claims frame of engine/claims/contract.py (integer ids, categorical text columns); its rows
        and claims are numbered from `first`."""
        n = len(self.patient)
        groups = int(self.group.max()) if n else 0
        text = {k: pd.Categorical.from_codes(self.codes[k].astype(np.int16, copy=False), categories=list(v))
                for k, v in text_values.items()}
        numbers = np.arange(first, first + n)
        return pd.DataFrame({
            "row": numbers, "claim_id": numbers, "patient_id": self.patient,
            "birth_date": self.birth.astype("datetime64[D]").astype("datetime64[s]"),
            "session_date": self.day.astype("datetime64[D]").astype("datetime64[s]"),
            **{k: text[k] for k in ("kind", "network", "care")},
            "increased_reimbursement": self.increased,
            "group_id": pd.Categorical.from_codes(self.group, categories=["", *(f"g{i}" for i in range(1, groups + 1))]),
            "co_lead": pd.Categorical.from_codes(self.co_lead, categories=list(co_leads)),
            **{k: text[k] for k in ("setting", "mutuality", "provider")},
            "fee_charged": self.fee, "earlier_sessions": np.zeros(n, np.int64),
            "invalid": pd.Categorical.from_codes(np.zeros(n, np.int8), categories=[""]),
        }, copy=False)  # copy=False: the columns stay as they are, not consolidated into blocks


class Synthesizer:
    """Draws the synthetic claims of regions for one simulated year under one scenario's utilisation."""

    def __init__(self, policies: PolicySet, regions: Regions, draw: Draw):
        self.policies, self.regions, self.draw = policies, regions, draw
        day = draw.reference_day
        conv = rules_of(policies).convention_on(day)
        self.bands = {net: {k: policies.value_at(path, day).value for k, path in band.items()}
                      for net, band in conv.age_bands.items()}
        amount = regions.amount
        self.interval = (int(amount("session_interval_min").value), int(amount("session_interval_max").value))
        self.group_size = int(amount("group_size").value)
        self.fee_outside = amount("fee_outside_convention").value
        mix = regions.mix(CO_LEADS).shares
        self.co_leads = ("", *(k for k in mix if k != NO_CO_LEAD))
        self.co_lead_cdf = np.cumsum([mix.get(NO_CO_LEAD, 0.0), *(mix[k] for k in self.co_leads[1:])])
        self.groups_drawn = 0
        self.lowered = False  # whether the last draw (`claims`) met a scenario that also removes patients
        rules = rules_of(policies)
        missing = benefit_problems(regions, list(rules.supplementary)) + choice_problems(regions, rules)
        if missing:
            raise PolicyError(missing)
        # the (care type, kind) of every quota category: each draws its session counts from its distribution
        self.categories = tuple(dict.fromkeys((c.care, c.kind) for conv in rules.conventions for c in conv.categories))
        # members of every mutuality of the region data; those with a benefit also have sessions outside the convention
        self.members = list(regions.mutualities.values())
        self.benefits = [(stream, m) for stream, m in enumerate(self.members, _OUTSIDE_STREAM)
                         if m.id in rules_of(policies).supplementary]
        self.text = {**TEXT, "network": ("", *rules.network_types), "care": ("", *rules.care_types),
                     "setting": rules.settings,
                     "mutuality": ("", *(m.id for m in self.members)),
                     "provider": ("", *dict.fromkeys(m.provider for _, m in self.benefits))}
        ref = draw.reference_day
        self.birthdays = np.array([np.datetime64(add_months(ref, -12 * a), "D").astype(np.int64)
                                   for a in range(regions.max_age + 2)])  # birthday `a` years before the reference day

    @property
    def drawn(self) -> tuple[str, ...]:
        """The figures that say how many people seek care: convention uptake, and each benefit's outside uptake."""
        return ("uptake", *(m.outside_uptake for _, m in self.benefits))

    def base(self, scenario: Scenario) -> Scenario:
        """The scenario without its changes to the `drawn` figures: whose patients the first layer holds."""
        kept = tuple(u for u in scenario.utilisation if u.what not in self.drawn)
        return scenario if len(kept) == len(scenario.utilisation) else dataclasses.replace(scenario, utilisation=kept)

    def claims(self, scenario: Scenario, region_ids: list[str], layers: tuple[int, ...] = (0, 1), groups: int = 0,
               first: int = 1) -> tuple[pd.DataFrame, np.ndarray]:
        """The claims frame of the regions, and each claim's region index (into `region_ids`): the first layer of
        every region, then the second (see the module's docstring), or the `layers` asked for. Groups are numbered
        after `groups`, claims from `first`."""
        self.groups_drawn, self.lowered = groups, False
        base = self.base(scenario)
        sessions = Sessions.concat([part for layer in layers for r, name in enumerate(region_ids)
                                    for part in self.region(scenario, base, name, r, layer)])
        return sessions.frame(self.text, self.co_leads, first), sessions.region

    def region(self, scenario: Scenario, base: Scenario, name: str, r: int, layer: int) -> list[Sessions]:
        """The sessions of one region's layer in parts: convention patients, then the members of each mutuality with a
        benefit who have sessions outside the convention (each mutuality its own random stream, by its place in the
        data). The first layer is drawn with the base's figures, the second with the scenario's."""
        if layer and base is scenario:
            return []
        day = self.draw.reference_day
        own = Figures(self.regions, scenario, name, day)
        before = own if base is scenario else Figures(self.regions, base, name, day)
        figures = own if layer else before
        index = self.regions.names().index(name)
        population = self.regions.population_by_age(name)

        def layered(figure: str, share: float, stream: int, draws: int) -> Patients:
            expected = population * share * own.by_age(figure)
            if base is scenario:
                return candidates(self.regions, index, expected, self.draw.seed, stream, draws)
            base_expected = population * share * before.by_age(figure)
            changed = expected != base_expected  # the ages whose patients it changes
            if layer:  # only those can have patients added
                expected = np.where(changed, expected, 0.0)
            drawn = candidates(self.regions, index, expected, self.draw.seed, stream, draws)
            known = counts(np.where(changed, base_expected, 0.0), self.draw.seed, index, stream)  # the base's, there
            self.lowered |= bool((np.bincount(drawn.age, minlength=len(known)) < known).any())
            first = ~changed[drawn.age] | (drawn.rank < known[drawn.age])
            return drawn.take(first if layer == 0 else ~first)

        inside = layered("uptake", 1.0, _CONVENTION_STREAM, _CONVENTION_DRAWS)
        bim = self.regions.region(name).bim_share.value
        parts = self._convention(inside, figures, bim, self._membership(inside.ident, name))
        for stream, mutuality in self.benefits:
            members = layered(mutuality.outside_uptake, mutuality.share_in(name), stream, _OUTSIDE_DRAWS)
            parts.append(self._outside(members, figures, bim, mutuality))
        for part in parts:
            part.region = np.full(len(part.patient), r, np.int16)
        return parts

    def _birth(self, age: np.ndarray, u: np.ndarray) -> np.ndarray:
        """Birth days, uniform over the days that give the age `age` on the reference day."""
        latest, earliest = self.birthdays[age], self.birthdays[age + 1] + 1
        return latest - np.floor(u * (latest - earliest + 1)).astype(np.int64)

    def _path(self, count: np.ndarray, u_start: np.ndarray, u_interval: np.ndarray, birth: np.ndarray):
        """Start day and interval of care paths, placed so that each has a session in the year, none before birth."""
        lo, hi = self.interval
        interval = lo + np.floor(u_interval * (hi - lo + 1)).astype(np.int64)
        first, last = self.draw.first.astype(np.int64), self.draw.last.astype(np.int64)
        earliest = np.maximum(first - (count - 1) * interval, birth)
        start = earliest + np.floor(u_start * (last - earliest + 1)).astype(np.int64)
        return start, interval

    def _choose(self, choice: Choice, column: str, u: np.ndarray, figures: Figures, age: np.ndarray,
                among: dict[str, np.ndarray] | None = None) -> np.ndarray:
        """Each care path's option of a choice (as the code of `column`): the first option whose running sum of
        shares at the age exceeds the uniform `u`, else the rest. With `among` (option -> rows where it is
        possible), only the possible options take their share."""
        code = self.text[column].index
        out = np.full(len(u), code(choice.rest), np.int64)
        chosen = np.zeros(len(u), bool)
        running = None
        for option, figure in choice.shares:
            share = figures.by_age(figure)[age]
            if among is not None:
                share = np.where(among[option], share, 0.0)
            running = share if running is None else running + share
            picked = ~chosen & (u < running)
            out[picked], chosen = code(option), chosen | picked
        return out

    def _network(self, age: np.ndarray, u: np.ndarray, figures: Figures) -> np.ndarray:
        """The network type's code: the one the age bands open at the age (at the care path's start); where they open
        several, chosen by the shares of those open, the remainder to the rest (or, where the rest is not open, to the
        first open network type)."""
        choice, code = self.regions.choices["network"], self.text["network"].index
        ok = {net: (age >= band.get("min_age", 0)) & (age <= band.get("max_age", age.max(initial=0)))
              for net, band in self.bands.items()}
        first_open = np.full(len(age), code(choice.rest), np.int64)
        for net in reversed(list(ok)):
            first_open = np.where(ok[net], code(net), first_open)
        out = self._choose(choice, "network", u, figures, age, ok)
        return np.where((out == code(choice.rest)) & ~ok[choice.rest], first_open, out)

    def _membership(self, ident: np.ndarray, region: str) -> np.ndarray:
        """Each patient's mutuality code, drawn by the member shares of the region (0: none of the data's).

        The uniform comes from the patient's id, so the other draws of the patient do not move.
        """
        shares = np.cumsum([m.share_in(region) for m in self.members])
        if not len(shares):
            return np.zeros(len(ident), np.int64)
        return np.searchsorted(shares, _uniform_of(ident), side="right") + 1

    def _convention(self, p: Patients, figures: Figures, bim: float, mutuality: np.ndarray) -> list[Sessions]:
        """Convention patients: their individual sessions, then the group sessions of those in a group path."""
        age, u = p.age.astype(np.int64), p.u
        care = self._choose(self.regions.choices["care"], "care", u[:, _CARE], figures, age)
        count = self._count_of(care, "individual", u[:, _COUNT], u[:, _ROUND], figures, age)
        birth = self._birth(age, u[:, _BIRTH])
        start, interval = self._path(count, u[:, _START], u[:, _INTERVAL], birth)
        at_start = ages_on(birth.astype("datetime64[D]"), start.astype("datetime64[D]")).clip(0, self.regions.max_age)
        network = self._network(at_start, u[:, _NETWORK], figures)
        setting = np.zeros(len(p), np.int64)  # the default setting, the first declared
        if "setting" in self.regions.choices:
            choice = self.regions.choices["setting"]
            served = np.isin(network, [self.text["network"].index(n) for n in choice.networks])
            drawn = self._choose(choice, "setting", u[served, _CLB], figures, at_start[served])
            setting = np.full(len(p), self.text["setting"].index(choice.rest), np.int64)
            setting[served] = drawn
        owner, day = _schedule(count, start, interval)
        member = np.where(mutuality > len(self.members), 0, mutuality)
        person = (birth, network, care, setting, u[:, _BIM] < bim, member)
        individual = self._sessions(p, owner, day, *person)
        in_group = np.flatnonzero(u[:, _GROUP] < figures.by_age("group_share")[age])
        grouped = self._groups(p, in_group, figures, start + interval // 2, interval, person)
        return [individual, grouped]

    def _count_of(self, care: np.ndarray, kind: str, u: np.ndarray, u_round: np.ndarray, figures: Figures,
                  age: np.ndarray) -> np.ndarray:
        """Sessions sought in each care path of a kind, from the distribution of its care type's category (none for
        a care type without a category of that kind)."""
        count = np.zeros(len(care), np.int64)
        for care_name, of_kind in self.categories:
            if of_kind == kind:
                rows = care == self.text["care"].index(care_name)
                count[rows] = _counts(self.regions.distribution(care_name, kind), u[rows], u_round[rows],
                                      figures.session_factor(care_name, kind)[age[rows]])
        return count

    def _sessions(self, p: Patients, owner, day, birth, network, care, setting, increased, mutuality,
                  kind: str = "individual") -> Sessions:
        n = len(owner)
        codes = {"kind": np.full(n, TEXT["kind"].index(kind)), "network": network[owner], "care": care[owner],
                 "setting": setting[owner], "mutuality": mutuality[owner], "provider": np.zeros(n, np.int64)}
        return Sessions(p.ident[owner], birth[owner], day, codes, increased[owner], np.zeros(n, np.int64),
                        np.zeros(n, np.int64), np.full(n, np.nan), np.zeros(n, np.int16))

    def _groups(self, p: Patients, members: np.ndarray, figures: Figures, start, interval, person) -> Sessions:
        """Group paths: members of one network and care type, in order of start, form groups that meet together."""
        network, care = person[1], person[2]
        members = members[np.lexsort((start[members], care[members], network[members]))]
        key = network[members] * len(self.text["care"]) + care[members]
        # a new group at every `group_size` members and wherever the network or care type changes
        new = np.ones(len(members), bool)
        if len(members):
            block = np.concatenate([[0], np.cumsum(key[1:] != key[:-1])])
            first_of_block = np.concatenate([[0], np.flatnonzero(np.diff(block)) + 1])
            rank = np.arange(len(members)) - np.repeat(first_of_block, np.bincount(block))
            new = rank % self.group_size == 0
        group_of = np.cumsum(new) - 1
        leader = members[new]
        age = p.age[leader].astype(np.int64)
        count = self._count_of(care[leader], "group", p.u[leader, _GROUP_COUNT], p.u[leader, _ROUND], figures, age)
        co_lead = np.searchsorted(self.co_lead_cdf / self.co_lead_cdf[-1], p.u[leader, _CO_LEAD], side="right")
        g_owner, g_day = _schedule(count, start[leader], interval[leader])
        # every member attends every session of its group (members are in group order)
        per_group = np.bincount(group_of, minlength=len(leader))
        rep = per_group[g_owner]
        session_idx = np.repeat(np.arange(len(g_owner)), rep)
        group_start = np.cumsum(per_group) - per_group
        within = np.arange(len(session_idx)) - np.repeat(np.cumsum(rep) - rep, rep)
        owner = members[group_start[g_owner[session_idx]] + within]
        born = g_day[session_idx] >= person[0][owner]  # nobody attends a group before being born
        owner, session_idx = owner[born], session_idx[born]
        out = self._sessions(p, owner, g_day[session_idx], *person, kind="group")
        out.group = self.groups_drawn + session_idx + 1  # one group_id per group session
        out.co_lead = np.minimum(co_lead, len(self.co_leads) - 1)[g_owner[session_idx]]
        self.groups_drawn += len(g_owner)
        return out

    def _outside(self, p: Patients, figures: Figures, bim: float, mutuality: Mutuality) -> Sessions:
        """A mutuality's members with sessions outside the convention, reimbursed by its supplementary benefit."""
        age, u = p.age.astype(np.int64), p.u
        dist = self.regions.session_distribution(mutuality.sessions)
        count = _counts(dist, u[:, _O_COUNT], u[:, _O_ROUND], figures.session_factor(dist.care, dist.kind)[age])
        birth = self._birth(age, u[:, _O_BIRTH])
        start, interval = self._path(count, u[:, _O_START], u[:, _O_INTERVAL], birth)
        owner, day = _schedule(count, start, interval)
        n = len(owner)
        codes = {"kind": np.full(n, TEXT["kind"].index(dist.kind)), "network": np.zeros(n, np.int64),
                 "care": np.zeros(n, np.int64), "setting": np.zeros(n, np.int64),
                 "mutuality": np.full(n, self.text["mutuality"].index(mutuality.id)),
                 "provider": np.full(n, self.text["provider"].index(mutuality.provider))}
        return Sessions(p.ident[owner], birth[owner], day, codes, (u[:, _O_BIM] < bim)[owner],
                        np.zeros(n, np.int64), np.zeros(n, np.int64), np.full(n, self.fee_outside),
                        np.zeros(n, np.int16))


def _uniform_of(ident: np.ndarray) -> np.ndarray:
    """A uniform in [0, 1) per id (splitmix64 of the id): reproducible and independent of the id's other draws."""
    x = ident.astype(np.uint64) + np.uint64(0x9E3779B97F4A7C15)
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    x = x ^ (x >> np.uint64(31))
    return (x >> np.uint64(11)).astype(np.float64) / float(2**53)
