"""Aggregation of evaluated synthetic claims per region: the metrics of a simulation and its cost drivers.

Sums are taken in integer cents, so totals never lose a cent; the drivers (count × value lines)
add up to the insurer cost, the co-payments and the provider income exactly.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
from pandas.api.types import union_categoricals

from engine.evaluate.vectorized.output import Output
from engine.money import cents
from engine.policy.policies import PolicySet
from engine.policy.regions import Regions
from engine.policy.rules import rules_of
from engine.simulation.breakdown import metric_table, population
from engine.simulation.patients import CARE_SESSIONS, CENTS, Cohort, joined, patient_table
from engine.simulation.synthetic import Draw


@dataclass(frozen=True)
class Metric:
    """A result column: its label, unit, meaning, and how regions add up (sum, ratio or flag).

    A label or description may hold placeholders ({care}) filled, in each language, by `names`
    (placeholder -> language -> text, from the policy files).
    """

    label: str
    unit: str
    description: str
    total: str = "sum"
    names: Mapping[str, Mapping[str, str]] = field(default_factory=dict)

    def values(self, lang: str = "en") -> dict[str, str]:
        """The texts of the placeholders in a language (en, fr, nl)."""
        return {key: texts[lang] for key, texts in self.names.items()}


METRICS: dict[str, Metric] = {
    "population": Metric("Inhabitants", "persons", "inhabitants of the region (all ages)"),
    "patients": Metric("Patients", "persons", "patients with at least one covered convention session in the year"),
    "sessions": Metric("Sessions", "sessions", "covered convention sessions in the year"),
    "sessions_individual": Metric("Individual sessions", "sessions", "covered individual sessions"),
    "sessions_group": Metric("Group sessions (participants)", "sessions", "covered group-session participations"),
    "care_paths": Metric("Care paths started", "care paths", "periods (care paths) opened in the year"),
    "sessions_per_care_path": Metric("Sessions per care path", "sessions per care path",
                                     "covered sessions of the care paths opened in the year, also after its end, "
                                     "per care path", "ratio"),
    "refused_quota": Metric("Refused by quota", "sessions", "sessions refused because no quota bundle had room"),
    "refused_other": Metric("Refused otherwise", "sessions",
                            "sessions refused for another reason (age band, one session per day, network switch)"),
    "insurer_cost": Metric("Insurer cost", "EUR", "session fees minus co-payments, plus care-path fees"),
    "care_path_fees": Metric("Care-path fees", "EUR", "care-path fees paid in the year (once per patient per period)"),
    "patient_copay": Metric("Patient co-payments", "EUR", "co-payments of covered convention sessions"),
    "provider_income": Metric("Provider income", "EUR", "fees of covered convention sessions (insurer + patient)"),
    "supplement_patients": Metric("Supplement patients", "persons",
                                  "mutuality members reimbursed outside the convention by a supplementary benefit"),
    "supplement_sessions": Metric("Supplement sessions", "sessions",
                                  "sessions outside the convention with a mutuality's supplementary benefit"),
    "supplements": Metric("Mutuality supplements", "EUR",
                          "supplementary benefits the mutualities pay outside the convention"),
    "out_of_pocket": Metric("Out of pocket", "EUR",
                            "what patients pay: co-payments of covered convention sessions and fees outside the "
                            "convention, after mutuality supplements"),
    "cost_per_inhabitant": Metric("Insurer cost per inhabitant", "EUR per inhabitant", "insurer cost / inhabitants",
                                  "ratio"),
    "network_average": Metric(
        "Network average of sessions per patient", "sessions per patient",
        "network-level average of covered sessions of a category the convention caps on average (its "
        "quota.networks.*.network_average) per care path opened in the year (counting its sessions after the year "
        "too), for the network type and category closest to its cap", "ratio"),
    "network_average_cap": Metric("Network average cap", "sessions per patient",
                              "the convention's network-level average cap of that network type", "ratio"),
    "cap_exceeded": Metric("Average cap exceeded", "flag", "whether the network-level average exceeds its cap", "flag"),
}
"""The result columns every simulation has; `metrics_of` adds the covered sessions of each care type."""
CARE_METRIC = Metric("Sessions in {care}", "sessions", "covered sessions in {care}")
"""The column of a care type's covered sessions (CARE_SESSIONS), its name in each language from the care type's
`name` in the convention file."""


def metrics_of(policies: PolicySet) -> dict[str, Metric]:
    """The result columns of a simulation under `policies`: the fixed ones, with the covered sessions of each care
    type the conventions declare after the group sessions."""
    names: dict[str, Mapping[str, str]] = {}
    for conv in rules_of(policies).conventions:
        for care in policies.doc(conv.id)["care_types"]:
            names.setdefault(care["id"], care["name"])
    items = list(METRICS.items())
    at = list(METRICS).index("sessions_group") + 1
    care = [(CARE_SESSIONS.format(care=c), replace(CARE_METRIC, names={"care": n})) for c, n in names.items()]
    return dict(items[:at] + care + items[at:])


def result_columns(policies: PolicySet) -> list[str]:
    """The columns of a simulation's results under `policies`: scenario, region, then its metrics."""
    return ["scenario", "region", *metrics_of(policies)]


def summed(columns: Iterable[str]) -> list[str]:
    """The result columns among `columns` that add up over regions and groups (counts and amounts)."""
    prefix = CARE_SESSIONS.format(care="")
    return [c for c in columns if (METRICS[c].total == "sum" if c in METRICS else c.startswith(prefix))]


DRIVER_COLUMNS = ["scenario", "region", "line", "kind", "path", "value", "count", "amount"]


class _Frame:
    """One scenario's evaluation of a cohort as plain arrays (text as categorical codes), for counting driver lines."""

    def __init__(self, cohort: Cohort, out: Output):
        self.region = cohort.region.astype(np.int64)
        self.text = {c: cohort.categorical(c) for c in ("kind", "network", "group_id", "co_lead")}
        self.text["rule"] = out.rules.column(out.copay_rule + out.benefit_rule)
        self.text["scheme"] = out.schemes.column(out.scheme)
        self.day = cohort.day
        self.convention = cohort.convention
        self.covered = self.convention & out.covered
        self.money = {"patient_copay": out.copay, "care_path_fee": out.care_path}
        self.tariff_row, self.co_lead_row, self.tariffs = out.tariff_row, out.co_lead_row, out.tariffs.index

    @staticmethod
    def joined(frames: list[_Frame]) -> _Frame:
        """The rows of several frames (of disjoint patients and groups) one after another."""
        if len(frames) == 1:
            return frames[0]
        out = _Frame.__new__(_Frame)
        tariffs = frames[0].tariffs
        for f in frames[1:]:
            if f.tariffs != tariffs:
                raise ValueError("frames of different tariff rows cannot be joined")
        for name in ("region", "day", "convention", "covered", "tariff_row", "co_lead_row"):
            setattr(out, name, np.concatenate([getattr(f, name) for f in frames]))
        out.text = {c: union_categoricals([f.text[c] for f in frames]) for c in frames[0].text}
        out.money = {c: np.concatenate([f.money[c] for f in frames]) for c in frames[0].money}
        out.tariffs = tariffs
        return out

    def is_(self, column: str, value: str) -> np.ndarray:
        """Rows whose text column equals `value`."""
        cat = self.text[column]
        if value not in cat.categories:
            return np.zeros(len(cat), bool)
        return cat.codes == cat.categories.get_loc(value)

    def codes(self, column: str, rows: np.ndarray) -> tuple[np.ndarray, list[str]]:
        """The codes of a text column on `rows`, and its categories."""
        cat = self.text[column]
        return cat.codes[rows], list(cat.categories)


def network_caps(policies: PolicySet, draw: Draw) -> dict[tuple[str, str], float]:
    """The network-level caps on the average sessions per care path of the convention in force on the reference day,
    per (network type, category)."""
    conv = rules_of(policies).convention_on(draw.reference_day)
    return {(network, category): float(policies.value_at(path, draw.reference_day).value)
            for network, caps in conv.network_average.items() for category, path in caps.items()}


def averaged(policies: PolicySet) -> str:
    """What the network-level average caps of the conventions count, by their categories' labels (for notes)."""
    labels = {c.label: None for conv in rules_of(policies).conventions for c in conv.categories
              if any(c.id in caps for caps in conv.network_average.values())}
    return " or ".join(labels)


Part = tuple[Cohort, Output, pd.DataFrame | None]
"""Some of a scenario's patients: their cohort, its evaluation, and the per-patient table of the evaluation that one
re-priced (whose counts it keeps), or None."""


def patients_of(parts: Sequence[Part], policies: PolicySet) -> pd.DataFrame:
    """The per-patient table of a scenario evaluated in `parts` (see `aggregate`)."""
    draw = parts[0][0].draw
    declared = {c.id: c for c in rules_of(policies).convention_on(draw.reference_day).categories}
    averaged = tuple((network, declared[c]) for network, c in network_caps(policies, draw))
    return joined([patient_table(cohort, out, rules_of(policies).care_types, averaged, decided)
                   for cohort, out, decided in parts])


def aggregate(scenario: str, parts: Sequence[Part], region_ids: tuple[str, ...], data: Regions, policies: PolicySet,
              drivers: bool = True) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame | None]:
    """The per-patient table, the results (one row per region) and the drivers (count × value lines) of one scenario,
    from the evaluations of its patients, in one part or several (patients of several draws, engine/simulation/
    synthetic.py); no drivers (None) unless `drivers`."""
    patients = patients_of(parts, policies)
    caps = network_caps(policies, parts[0][0].draw)
    results = results_by(patients, ("region",), data, region_ids, caps, scenario, metrics_of(policies))
    results["population"] = results["population"].astype(np.int64)
    if not drivers:
        return patients, results, None
    lines = _drivers(scenario, _Frame.joined([_Frame(cohort, out) for cohort, out, _ in parts]), region_ids, policies)
    _check(results, lines)
    return patients, results, lines


MONEY_COLUMNS = ["scenario", "region", "population", *CENTS, "cost_per_inhabitant"]
"""The columns of `money`: the result columns in euros, with what a cost per inhabitant needs."""


def money(scenario: str, parts: Sequence[Part], region_ids: tuple[str, ...], data: Regions) -> pd.DataFrame:
    """The money columns of a scenario's results (MONEY_COLUMNS, one row per region), summed from its sessions
    without a per-patient table: the same figures as `aggregate`'s results (a patient's sessions are all in its
    region), for what needs only costs (a seed band) at a fraction of the work."""
    n = len(region_ids)
    sums = {name: np.zeros(n, np.int64) for name in CENTS}
    for cohort, out, _ in parts:
        part = _cents_by_region(cohort, out, n)
        sums = {name: sums[name] + part[name] for name in CENTS}
    inhabitants = population(pd.Index(region_ids, name="region"), ("region",), data).astype(np.int64)
    table = pd.DataFrame({"region": pd.Series(region_ids, dtype=object), "population": inhabitants,
                          **{name: values / 100 for name, values in sums.items()}})
    table.insert(0, "scenario", scenario)  # as in results_by
    table["cost_per_inhabitant"] = np.round(table["insurer_cost"] / table["population"], 2)
    return table[MONEY_COLUMNS]


def _cents_by_region(cohort: Cohort, out: Output, n: int) -> dict[str, np.ndarray]:
    """The money columns (CENTS) of one evaluated cohort per region index, in whole cents, as patient_table sums them."""
    convention, outside = cohort.convention, cohort.in_year & cohort.outside
    covered = convention & out.covered
    care_path = cohort.region_sums(out.care_path, convention, n)
    fee, copay = cohort.region_sums(out.fee, covered, n), cohort.region_sums(out.copay, covered, n)
    supplements = cohort.region_sums(out.supplement, outside, n)
    return {"insurer_cost": fee - copay + care_path, "care_path_fees": care_path, "patient_copay": copay,
            "provider_income": fee, "supplements": supplements,
            "out_of_pocket": copay + cohort.region_sums(out.copay, outside, n) - supplements}


def results_by(patients: pd.DataFrame, dims: tuple[str, ...], data: Regions, region_ids: tuple[str, ...],
               caps: dict[tuple[str, str], float], scenario: str, metrics: Iterable[str]) -> pd.DataFrame:
    """The result metrics of one scenario per group of `dims`: the scenario, the dimensions, then `metrics`."""
    table = metric_table(patients, dims, data, region_ids, caps, list(metrics))
    table.insert(0, "scenario", scenario)
    return table


class _Lines:
    """Driver lines being counted: each row of a part adds one unit of (region, line, value)."""

    def __init__(self, scenario: str, f: _Frame, region_ids: tuple[str, ...]):
        self.scenario, self.f, self.region_ids = scenario, f, region_ids
        self.lines: list[tuple[str, str, str]] = []  # (name, kind, path)
        self.counted: list[tuple[np.ndarray, ...]] = []  # the distinct (region, line, cents) of each call to `add`
        self.counts: list[np.ndarray] = []  # and how many rows each

    def add(self, rows: np.ndarray, line: np.ndarray, names: list[tuple[str, str, str]], cents: np.ndarray) -> None:
        """Count the frame's `rows` under line `line` (indexes into `names`) at value `cents` (one per row)."""
        self.add_counted(self.f.region[rows], line, names, cents, None)

    def add_counted(self, region: np.ndarray, line: np.ndarray, names: list[tuple[str, str, str]], cents: np.ndarray,
                    counts: np.ndarray | None) -> None:
        """Count `counts` units (one each when None) of each (region index, line, value in `cents`)."""
        base, width = len(self.lines), max(len(names), 1)
        self.lines += names
        keys, counted = _tally(region * width + line, cents.astype(np.int64), counts)  # (region, line) dense
        cell = keys >> 32
        self.counted.append((cell // width, base + cell % width, keys & 0xFFFFFFFF))
        self.counts.append(counted)  # lines of different calls never meet: each call adds lines of its own

    def frame(self) -> pd.DataFrame:
        empty = np.zeros(0, np.int64)
        region, line, cents = (np.concatenate(c) for c in zip(*self.counted, strict=True)) if self.counted else (empty,) * 3
        counts = np.concatenate(self.counts) if self.counts else empty
        order = np.lexsort((cents, line, region))  # few distinct lines: sorted after counting
        region, line, cents, counts = region[order], line[order], cents[order], counts[order]
        name, kind, path = (np.array([x[i] for x in self.lines], dtype=object)[line] for i in range(3))
        return pd.DataFrame({
            "scenario": self.scenario, "region": np.asarray(self.region_ids, dtype=object)[region], "line": name,
            "kind": kind, "path": path, "value": cents / 100, "count": counts, "amount": cents * counts / 100,
        }, columns=DRIVER_COLUMNS)


def _tally(group: np.ndarray, cents: np.ndarray, counts: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The distinct keys (group << 32) + cents of rows, and how many units they hold (`counts` per row, else one;
    whole counts weighted by whole counts are exact floats below 2**53): counted in a table of the groups and values
    when they span few (a line's values are a few fees or co-payments), else hashed."""
    if not len(group):
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    low, high = int(cents.min()), int(cents.max())
    first = int(group.min())
    span, groups = high - low + 1, int(group.max()) - first + 1
    if span * groups <= max(4 * len(cents), 1 << 16):
        counted = np.bincount((group - first) * span + (cents - low), counts, minlength=span * groups).astype(np.int64)
        at = np.flatnonzero(counted)
        return ((at // span + first) << 32) + at % span + low, counted[at]
    codes, keys = pd.factorize((group << 32) + cents)
    return keys, np.bincount(codes, counts, minlength=len(keys)).astype(np.int64)


def _drivers(scenario: str, f: _Frame, region_ids: tuple[str, ...], policies: PolicySet) -> pd.DataFrame:
    """Fee, co-payment and care-path lines whose signed sum is the insurer cost of each region.

    Each session is counted under the convention version (its `scheme`) and the tariff rows (lead
    and co-lead) the evaluator applied to it, so a year in which a version takes over mid-year has the
    lines of both, and a tariff row chosen by a condition (an age, a setting) has a line of its own.
    """
    lines = _Lines(scenario, f, region_ids)
    for conv in rules_of(policies).conventions:
        version = f.is_("scheme", conv.id)
        if not (f.convention & version).any():
            continue
        covered = f.covered & version
        individual = covered & f.is_("kind", "individual")
        sessions = np.flatnonzero(covered & f.is_("kind", "group"))
        _, first = np.unique(f.text["group_id"].codes[sessions], return_index=True)
        groups = np.zeros(len(covered), bool)
        groups[sessions[first]] = True  # a group's fee once, at its first covered session
        place = np.full(len(f.tariffs), -1, np.int64)  # a tariff row's code -> its place in this version's tariff
        place[[f.tariffs[row.id] for row in conv.tariff]] = np.arange(len(conv.tariff))
        _fee_lines(lines, np.flatnonzero(individual), place[f.tariff_row[individual]], conv, policies)
        grouped = np.flatnonzero(groups)
        _fee_lines(lines, grouped, place[f.tariff_row[grouped]], conv, policies, "lead")
        co_lead = f.text["co_lead"]
        for code, name in enumerate(co_lead.categories):
            if name:
                co_led = grouped[co_lead.codes[grouped] == code]
                _fee_lines(lines, co_led, place[f.co_lead_row[co_led]], conv, policies, f"co-lead {name}")
        rules = {r.id: r for r in conv.copayment}
        copaid = np.flatnonzero(covered)
        codes, names = f.codes("rule", copaid)
        lines.add(copaid, codes, [(f"co-payment: {rules[n].label}", "copay", rules[n].amount) if n in rules else
                                  (n, "copay", "") for n in names], f.money["patient_copay"][copaid])
        paid = np.flatnonzero(f.convention & version & (f.money["care_path_fee"] > 0))
        label = policies.doc(conv.id)["premiums"]["care_path_fee"]["label"]
        lines.add(paid, np.zeros(len(paid), np.int64), [(label, "care_path_fee", conv.care_path_fee)],
                  f.money["care_path_fee"][paid])
    return lines.frame()


def _fee_lines(lines: _Lines, rows: np.ndarray, at: np.ndarray, conv, policies: PolicySet, role: str = "") -> None:
    """The fee lines of the sessions `rows`, one per tariff row of the version: each session under the row at its place
    `at` in the version's tariff (-1: no line), at that row's fee on its day. The sessions are counted per region, row
    and day first, so that each fee is looked up, and each line counted, once per cell rather than per session."""
    if not (at >= 0).all():
        rows, at = rows[at >= 0], at[at >= 0]
    day = lines.f.day[rows].astype("datetime64[D]", copy=False).view(np.int64)
    low = int(day.min()) if len(day) else 0
    span, width = int(day.max(initial=low)) - low + 1, len(conv.tariff)
    counted = np.bincount((lines.f.region[rows] * width + at) * span + (day - low),
                          minlength=len(lines.region_ids) * width * span)
    cells = np.flatnonzero(counted)
    region, row, day = cells // (width * span), cells // span % width, cells % span
    fees = np.zeros((width, span), np.int64)  # each row's fee in cents on each day of its sessions
    for i, tariff_row in enumerate(conv.tariff):
        days = np.unique(day[row == i])
        if len(days):
            dated = policies.dated(tariff_row.amount)
            fees[i, days] = cents(dated.values())[dated.entries_on((days + low).astype("datetime64[D]"))]
    lines.add_counted(region, row, [(f"fee: {r.label}" + (f" ({role})" if role else ""), "fee", r.amount)
                                    for r in conv.tariff], fees[row, day], counted[cells])


def _check(results: pd.DataFrame, drivers: pd.DataFrame) -> None:
    """The drivers must rebuild the money columns to the cent; anything else is a defect of the engine."""
    region = pd.Index(results["region"]).get_indexer(drivers["region"])
    if (region < 0).any():
        raise AssertionError(f"drivers of regions the results do not have: {sorted(set(drivers['region'][region < 0]))}")
    kind, amount = drivers["kind"].to_numpy(), cents(drivers["amount"])
    fee, copay = kind == "fee", kind == "copay"
    signed = np.where(copay, -amount, np.where(fee | (kind == "care_path_fee"), amount, 0))

    def per_region(values: np.ndarray) -> np.ndarray:
        sums = np.zeros(len(results), np.int64)
        np.add.at(sums, region, values)
        return sums

    rebuilt = {"insurer_cost": signed, "patient_copay": np.where(copay, amount, 0), "provider_income": np.where(fee, amount, 0)}
    for column, values in rebuilt.items():
        expected, got = cents(results[column]), per_region(values)
        if not np.array_equal(expected, got):
            raise AssertionError(f"drivers do not add up to {column}: {expected} vs {got}")
