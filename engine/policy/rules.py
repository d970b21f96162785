"""The rules of the policy documents compiled into plain structures the evaluators walk.

Numbers stay in the PolicySet: rules hold parameter paths, so scenario overlays apply to them.
"""

from __future__ import annotations

import datetime as dt
import weakref
from dataclasses import dataclass, replace

from engine.dates import parse_date
from engine.policy.categories import Category, care_types_of, categories_of, leaders_of, network_types_of, settings_of
from engine.policy.conditions import Condition, compile_condition
from engine.policy.policies import PolicySet


@dataclass(frozen=True)
class Priced:
    """A rule with a condition and an amount (a tariff row or a co-payment rule)."""

    id: str
    label: str
    when: Condition
    amount: str  # parameter path
    doc: str


@dataclass(frozen=True)
class Bundle:
    id: str
    label: str
    caps: dict[str, str]  # category -> parameter path; categories not named are not allowed
    total: str | None


@dataclass(frozen=True)
class Convention:
    id: str
    version: str
    start: dt.date
    end: dt.date | None
    age_bands: dict[str, dict[str, str]]  # network -> {"min_age"/"max_age": path}
    network_types: tuple[str, ...]
    care_types: tuple[str, ...]
    leaders: tuple[str, ...]  # who may lead or co-lead a session
    settings: tuple[str, ...]  # where a session may take place; the first is the default
    categories: tuple[Category, ...]
    first_individual: frozenset[str]  # the categories that count for first_individual_of_period
    one_session_per_day: bool
    one_network_type_per_period: bool
    tariff: tuple[Priced, ...]
    lead: str  # who leads an individual session and a group's lead, for the rows' `leader` condition
    copayment: tuple[Priced, ...]
    period_anchor: str
    period_months: str
    bundles: dict[str, tuple[Bundle, ...]]
    network_average: dict[str, dict[str, str]]
    care_path_fee: str

    def in_force(self, day: dt.date) -> bool:
        return self.start <= day and (self.end is None or day <= self.end)

    def category(self, care: str, kind: str) -> Category | None:
        """The quota category of a care type and session kind; None when the convention declares none."""
        return next((c for c in self.categories if c.care == care and c.kind == kind), None)


@dataclass(frozen=True)
class Benefit:
    id: str
    label: str
    when: Condition
    percent: str | None
    cap: str | None
    flat: str | None
    year_sessions: str | None  # at most this many reimbursed sessions in the session's calendar year
    year_amount: str | None  # at most this many euros reimbursed in the session's calendar year


@dataclass(frozen=True)
class Supplementary:
    """A mutuality's supplementary benefit for sessions outside the convention."""

    id: str
    version: str
    mutuality: str
    start: dt.date
    end: dt.date | None
    providers: dict[str, str]  # provider kind -> path of its dated 'recognised' flag
    one_per_day: bool
    lifetime_cap: str | None
    gap_months: str
    youth: Condition
    benefits: tuple[Benefit, ...]

    def in_force(self, day: dt.date) -> bool:
        return self.start <= day and (self.end is None or day <= self.end)


@dataclass(frozen=True)
class Rules:
    conventions: tuple[Convention, ...]
    supplementary: dict[str, tuple[Supplementary, ...]]  # by mutuality

    def convention_on(self, day: dt.date) -> Convention | None:
        return next((c for c in self.conventions if c.in_force(day)), None)

    def supplementary_on(self, mutuality: str, day: dt.date) -> Supplementary | None:
        return next((s for s in self.supplementary.get(mutuality, ()) if s.in_force(day)), None)

    @property
    def care_types(self) -> tuple[str, ...]:
        """The care types a claim may name: those of every convention, in the order they are declared."""
        return tuple(dict.fromkeys(t for c in self.conventions for t in c.care_types))

    @property
    def network_types(self) -> tuple[str, ...]:
        """The network types a claim may name: those of every convention, in the order they are declared."""
        return tuple(dict.fromkeys(t for c in self.conventions for t in c.network_types))

    @property
    def leaders(self) -> tuple[str, ...]:
        """The leaders a claim's co_lead may name: those of every convention, in the order they are declared."""
        return tuple(dict.fromkeys(t for c in self.conventions for t in c.leaders))

    @property
    def settings(self) -> tuple[str, ...]:
        """The settings a claim may name: those of every convention, in the order they are declared (the first is
        the default of an empty setting)."""
        return tuple(dict.fromkeys(t for c in self.conventions for t in c.settings))


_cache: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def rules_of(policies: PolicySet) -> Rules:
    """The compiled rules of a policy set (cached per policy set)."""
    if policies not in _cache:
        _cache[policies] = _compile(policies)
    return _cache[policies]


def _priced(doc_id: str, prefix: str, rows: list[dict], amount_key: str) -> tuple[Priced, ...]:
    return tuple(Priced(r["id"], r["label"], compile_condition(r["when"], f"{doc_id}.{prefix}.{r['id']}.when"),
                        f"{doc_id}.{prefix}.{r['id']}.{amount_key}", doc_id) for r in rows)


def _validity(doc: dict) -> tuple[dt.date, dt.date | None]:
    valid = doc["valid"]
    return parse_date(valid["from"]), parse_date(valid["to"]) if "to" in valid else None


def _convention(doc: dict, overrides: list[dict]) -> Convention:
    cid = doc["id"]
    copay = _priced(cid, "copayment.rules", doc["copayment"]["rules"], "amount")
    for o in overrides:
        extra = _priced(o["id"], "rules", o["rules"], "amount")
        copay = extra + copay if o["precedence"] == "before" else copay + extra
    quota = doc["quota"]
    bundles, averages = {}, {}
    for network, spec in quota["networks"].items():
        base = f"{cid}.quota.networks.{network}"
        bundles[network] = tuple(
            Bundle(b["id"], b["label"], {c: f"{base}.bundles.{b['id']}.caps.{c}" for c in b["caps"]},
                   f"{base}.bundles.{b['id']}.total" if "total" in b else None)
            for b in spec["bundles"])
        averages[network] = {c: f"{base}.network_average.{c}" for c in spec.get("network_average", {})}
    elig = doc["eligibility"]
    bands = {net: {k: f"{cid}.eligibility.age_bands.{net}.{k}" for k in ("min_age", "max_age") if k in band}
             for net, band in elig["age_bands"].items()}
    return Convention(
        cid, doc["version"], *_validity(doc), bands, network_types_of(doc), care_types_of(doc), leaders_of(doc),
        settings_of(doc), categories_of(doc),
        frozenset(quota["first_individual_of_period"]["categories"]), elig["one_session_per_day"]["value"],
        elig["one_network_type_per_period"]["value"], _priced(cid, "tariff.rows", doc["tariff"]["rows"], "fee"), doc["tariff"]["lead"],
        copay, quota["period"]["anchor"], f"{cid}.quota.period.months", bundles, averages,
        f"{cid}.premiums.care_path_fee.amount")


def _supplementary(doc: dict) -> Supplementary:
    sid = doc["id"]
    def path(b: dict, *keys: str) -> str | None:
        node = b
        for k in keys:
            if k not in node:
                return None
            node = node[k]
        return ".".join((sid, "benefits", b["id"], *keys))
    benefits = tuple(
        Benefit(b["id"], b["label"], compile_condition(b["when"], f"{sid}.benefits.{b['id']}.when"),
                path(b, "percent_of_fee"), path(b, "cap"), path(b, "flat"),
                path(b, "per_year", "sessions"), path(b, "per_year", "amount"))
        for b in doc["benefits"])
    return Supplementary(
        sid, doc["version"], doc["mutuality"], *_validity(doc),
        {p: f"{sid}.providers.{p}.recognised" for p in doc["providers"]},
        doc["one_per_day"]["value"], f"{sid}.lifetime_cap" if "lifetime_cap" in doc else None,
        f"{sid}.treatment.new_after_gap_months",
        compile_condition(doc["youth"]["when"], f"{sid}.youth.when"), benefits)


def taking_over(versions) -> tuple:
    """Versions of one scheme in date order, each ending the day before the next one starts.

    A new version file with `valid.from` D takes over from the previous version from D on, whatever
    the previous version's own `valid.to` says (an earlier `to` is kept: the scheme then has a gap).
    """
    ordered = sorted(versions, key=lambda v: v.start)
    out = []
    for version, following in zip(ordered, [*ordered[1:], None], strict=True):
        if following is not None:
            last = following.start - dt.timedelta(days=1)
            version = replace(version, end=min(version.end, last) if version.end else last)
        out.append(version)
    return tuple(out)


def _compile(policies: PolicySet) -> Rules:
    overrides = policies.of_kind("copayment_override")
    conventions = taking_over(_convention(d, [o for o in overrides if o["applies_to"] == d["id"]])
                              for d in policies.of_kind("convention"))
    supplementary: dict[str, list[Supplementary]] = {}
    for d in policies.of_kind("supplementary_benefit"):
        supplementary.setdefault(d["mutuality"], []).append(_supplementary(d))
    return Rules(conventions, {m: taking_over(s) for m, s in supplementary.items()})
