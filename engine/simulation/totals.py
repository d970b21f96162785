"""Aggregation of evaluated synthetic claims per region: the metrics of a simulation and its cost drivers.

Sums are taken in integer cents, so totals never lose a cent; the drivers (count × value lines)
add up to the insurer cost, the co-payments and the provider income exactly.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from engine.evaluate.lookups import tariff_row
from engine.policy.policies import PolicySet
from engine.policy.regions import Regions
from engine.policy.rules import rules_of
from engine.simulation.synthetic import Draw


@dataclass(frozen=True)
class Metric:
    """A result column: its label, unit, meaning, and how regions add up (sum, ratio or flag)."""

    label: str
    unit: str
    description: str
    total: str = "sum"


METRICS: dict[str, Metric] = {
    "population": Metric("Inhabitants", "persons", "inhabitants of the region (all ages)"),
    "patients": Metric("Patients", "persons", "patients with at least one covered convention session in the year"),
    "sessions": Metric("Sessions", "sessions", "covered convention sessions in the year"),
    "sessions_individual": Metric("Individual sessions", "sessions", "covered individual sessions"),
    "sessions_group": Metric("Group sessions (participants)", "sessions", "covered group-session participations"),
    "sessions_first_line": Metric("First-line sessions", "sessions", "covered sessions in first-line care"),
    "sessions_specialised": Metric("Specialised sessions", "sessions", "covered sessions in specialised care"),
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
    "cm_patients": Metric("CM benefit patients", "persons", "CM members reimbursed outside the convention"),
    "cm_sessions": Metric("CM benefit sessions", "sessions", "sessions outside the convention with a CM benefit"),
    "cm_supplements": Metric("CM supplements", "EUR", "supplementary benefits the CM pays outside the convention"),
    "cost_per_inhabitant": Metric("Insurer cost per inhabitant", "EUR per inhabitant", "insurer cost / inhabitants",
                                  "ratio"),
    "specialised_average": Metric(
        "Specialised individual sessions per patient", "sessions per patient",
        "network-level average of covered specialised individual sessions per care path opened in the year "
        "(counting its sessions after the year too), for the network type closest to its cap", "ratio"),
    "specialised_cap": Metric("Network average cap", "sessions per patient",
                              "the convention's network-level average cap of that network type", "ratio"),
    "cap_exceeded": Metric("Average cap exceeded", "flag", "whether the network-level average exceeds its cap", "flag"),
}
RESULT_COLUMNS = ["scenario", "region", *METRICS]
DRIVER_COLUMNS = ["scenario", "region", "line", "kind", "path", "value", "count", "amount"]
_MONEY = ("insurer_cost", "care_path_fees", "patient_copay", "provider_income", "cm_supplements")


def _cents(values) -> np.ndarray:
    return np.round(np.asarray(values, dtype=float) * 100).astype(np.int64)


class _Frame:
    """The evaluated claims as plain arrays (text as categorical codes), with per-region counting helpers."""

    def __init__(self, claims: pd.DataFrame, evaluated: pd.DataFrame, region: np.ndarray, n_regions: int, draw: Draw):
        self.region, self.n = region.astype(np.int64), n_regions
        self.text = {c: pd.Categorical(claims[c]) for c in ("kind", "network", "care", "group_id", "co_lead")}
        self.text.update({c: pd.Categorical(evaluated[c]) for c in ("rule", "reason")})
        self.day = claims["session_date"].to_numpy().astype("datetime64[D]")
        self.patient = claims["patient_id"].to_numpy()
        in_year = (self.day >= draw.first) & (self.day <= draw.last)
        outside = self.is_("network", "")
        self.convention = in_year & ~outside
        self.covered = self.convention & evaluated["covered"].to_numpy(bool)
        self.outside = in_year & outside
        started = evaluated["period_start"].to_numpy().astype("datetime64[D]")
        self.path_opened = (started >= draw.first) & (started <= draw.last) & ~outside \
            & evaluated["covered"].to_numpy(bool)
        self.period = started
        self.money = {c: _cents(evaluated[c]) for c in ("provider_fee", "patient_copay", "insurer_amount",
                                                         "care_path_fee", "supplement_amount")}

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

    def count(self, mask: np.ndarray) -> np.ndarray:
        return np.bincount(self.region[mask], minlength=self.n)

    def cents(self, column: str, mask: np.ndarray) -> np.ndarray:
        return np.bincount(self.region[mask], weights=self.money[column][mask], minlength=self.n).round().astype(np.int64)

    def care_paths(self, mask: np.ndarray) -> np.ndarray:
        """Distinct (patient, period start) pairs per region."""
        patient = pd.factorize(self.patient[mask])[0].astype(np.int64)
        period = self.period[mask].astype(np.int64)
        _, first = np.unique(patient * (int(period.max(initial=0)) + 1) + (period - period.min(initial=0)),
                             return_index=True)
        return np.bincount(self.region[mask][first], minlength=self.n)

    def people(self, mask: np.ndarray) -> np.ndarray:
        _, first = np.unique(self.patient[mask], return_index=True)
        return np.bincount(self.region[mask][first], minlength=self.n)


def aggregate(scenario: str, claims: pd.DataFrame, evaluated: pd.DataFrame, region: np.ndarray,
              region_ids: tuple[str, ...], data: Regions, policies: PolicySet,
              draw: Draw) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The results (one row per region) and drivers (count × value lines per region) of one scenario."""
    f = _Frame(claims, evaluated, region, len(region_ids), draw)
    cov = f.covered
    cents = {
        "insurer_cost": f.cents("insurer_amount", cov) + f.cents("care_path_fee", f.convention),
        "care_path_fees": f.cents("care_path_fee", f.convention),
        "patient_copay": f.cents("patient_copay", cov),
        "provider_income": f.cents("provider_fee", cov),
        "cm_supplements": f.cents("supplement_amount", f.outside),
    }
    benefit = f.outside & (f.money["supplement_amount"] > 0)
    population = np.array([data.population(r) for r in region_ids])
    table = {
        "scenario": scenario, "region": list(region_ids), "population": population.round().astype(np.int64),
        "patients": f.people(cov), "sessions": f.count(cov),
        "sessions_individual": f.count(cov & f.is_("kind", "individual")),
        "sessions_group": f.count(cov & f.is_("kind", "group")),
        "sessions_first_line": f.count(cov & f.is_("care", "first_line")),
        "sessions_specialised": f.count(cov & f.is_("care", "specialised")),
        "refused_quota": f.count(f.convention & f.is_("reason", "quota_exhausted")),
        "refused_other": f.count(f.convention & ~f.covered & ~f.is_("reason", "quota_exhausted")),
        **{k: v / 100 for k, v in cents.items()},
        "cm_patients": f.people(benefit), "cm_sessions": f.count(benefit),
    }
    table["cost_per_inhabitant"] = np.round(cents["insurer_cost"] / 100 / population, 2)
    table["care_paths"] = f.care_paths(f.path_opened)
    table["sessions_per_care_path"] = np.round(np.divide(f.count(f.path_opened), table["care_paths"],
                                                         out=np.zeros(f.n), where=table["care_paths"] > 0), 2)
    table.update(_network_average(f, policies, draw))
    results = pd.DataFrame(table, columns=RESULT_COLUMNS)
    drivers = _drivers(scenario, f, region_ids, policies, draw)
    _check(results, drivers)
    return results, drivers


def _network_average(f: _Frame, policies: PolicySet, draw: Draw) -> dict[str, np.ndarray]:
    """Per region, the network type whose average of specialised individual sessions per care path is closest to its cap.

    The cap is an average over the patients' 12-month periods, so the care paths opened in the year are
    followed to their end rather than cut at the year's end.
    """
    conv = rules_of(policies).convention_on(draw.reference_day)
    base = f.path_opened & f.is_("care", "specialised") & f.is_("kind", "individual")
    best = {"specialised_average": np.zeros(f.n), "specialised_cap": np.zeros(f.n), "ratio": np.full(f.n, -1.0)}
    for network, caps in conv.network_average.items():
        if "specialised_individual" not in caps:
            continue
        cap = float(policies.value_at(caps["specialised_individual"], draw.reference_day).value)
        mask = base & f.is_("network", network)
        paths = f.care_paths(mask)
        average = np.divide(f.count(mask), paths, out=np.zeros(f.n), where=paths > 0)
        better = average / cap > best["ratio"]
        for key, value in (("specialised_average", average), ("specialised_cap", cap), ("ratio", average / cap)):
            best[key] = np.where(better, value, best[key])
    return {"specialised_average": best["specialised_average"].round(2), "specialised_cap": best["specialised_cap"],
            "cap_exceeded": best["specialised_average"] > best["specialised_cap"]}


class _Lines:
    """Driver lines being counted: each row of a part adds one unit of (region, line, value)."""

    def __init__(self, scenario: str, f: _Frame, region_ids: tuple[str, ...]):
        self.scenario, self.f, self.region_ids = scenario, f, region_ids
        self.lines: list[tuple[str, str, str]] = []  # (name, kind, path)
        self.keys: list[np.ndarray] = []

    def add(self, rows: np.ndarray, line: np.ndarray, names: list[tuple[str, str, str]], cents: np.ndarray) -> None:
        """Count `rows` under line `line` (indexes into `names`) at value `cents` (one per row)."""
        base = len(self.lines)
        self.lines += names
        region = self.f.region[rows]
        self.keys.append(((region * 4096 + base + line) << 32) + cents.astype(np.int64))

    def frame(self) -> pd.DataFrame:
        keys, counts = np.unique(np.concatenate(self.keys) if self.keys else np.zeros(0, np.int64), return_counts=True)
        cents = keys & 0xFFFFFFFF
        line = (keys >> 32) % 4096
        region = (keys >> 32) // 4096
        name, kind, path = (np.array([x[i] for x in self.lines], dtype=object)[line] for i in range(3))
        return pd.DataFrame({
            "scenario": self.scenario, "region": np.asarray(self.region_ids, dtype=object)[region], "line": name,
            "kind": kind, "path": path, "value": cents / 100, "count": counts, "amount": cents * counts / 100,
        }, columns=DRIVER_COLUMNS)


def _drivers(scenario: str, f: _Frame, region_ids: tuple[str, ...], policies: PolicySet, draw: Draw) -> pd.DataFrame:
    """Fee, co-payment and care-path lines whose signed sum is the insurer cost of each region."""
    day = draw.reference_day
    lines = _Lines(scenario, f, region_ids)
    individual = np.flatnonzero(f.covered & f.is_("kind", "individual"))
    _fee_lines(lines, individual, tariff_row(policies, "individual", "psychologist", day), policies)
    sessions = np.flatnonzero(f.covered & f.is_("kind", "group"))
    _, first = np.unique(f.text["group_id"].codes[sessions], return_index=True)
    groups = sessions[first]
    _fee_lines(lines, groups, tariff_row(policies, "group", "psychologist", day), policies, "lead")
    codes, co_leads = f.codes("co_lead", groups)
    for code, co_lead in enumerate(co_leads):
        if co_lead and (codes == code).any():
            _fee_lines(lines, groups[codes == code], tariff_row(policies, "group", co_lead, day), policies,
                       f"co-lead {co_lead}")
    rules = {r.id: r for conv in rules_of(policies).conventions for r in conv.copayment}
    copaid = np.flatnonzero(f.covered)
    codes, names = f.codes("rule", copaid)
    lines.add(copaid, codes, [(f"co-payment: {rules[n].label}", "copay", rules[n].amount) if n in rules else
                              (n, "copay", "") for n in names], f.money["patient_copay"][copaid])
    paid = np.flatnonzero(f.convention & (f.money["care_path_fee"] > 0))
    conv = rules_of(policies).convention_on(day)
    label = policies.doc(conv.id)["premiums"]["care_path_fee"]["label"]
    lines.add(paid, np.zeros(len(paid), np.int64), [(label, "care_path_fee", conv.care_path_fee)],
              f.money["care_path_fee"][paid])
    return lines.frame()


def _fee_lines(lines: _Lines, rows: np.ndarray, row, policies: PolicySet, role: str = "") -> None:
    values = _cents(policies.dated(row.amount).on_dates(lines.f.day[rows]))
    name = f"fee: {row.label}" + (f" ({role})" if role else "")
    lines.add(rows, np.zeros(len(rows), np.int64), [(name, "fee", row.amount)], values)


def _check(results: pd.DataFrame, drivers: pd.DataFrame) -> None:
    """The drivers must rebuild the money columns to the cent; anything else is a defect of the engine."""
    signed = drivers["amount"] * drivers["kind"].map({"fee": 1, "copay": -1, "care_path_fee": 1})
    by_region = {
        "insurer_cost": signed.groupby(drivers["region"]).sum(),
        "patient_copay": drivers["amount"].where(drivers["kind"] == "copay", 0).groupby(drivers["region"]).sum(),
        "provider_income": drivers["amount"].where(drivers["kind"] == "fee", 0).groupby(drivers["region"]).sum(),
    }
    for column, sums in by_region.items():
        expected = _cents(results.set_index("region")[column])
        got = _cents(sums.reindex(results["region"]).fillna(0))
        if not np.array_equal(expected, got):
            raise AssertionError(f"drivers do not add up to {column}: {expected} vs {got}")
