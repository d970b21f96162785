"""The vectorized bulk evaluator: the reference evaluator's semantics over numpy arrays.

Claims are sorted by patient, date and claim id; then step k evaluates every patient's k-th
claim at once against per-patient state arrays (period, network type, counts per category), so
quotas that carry over a 12-month period cost a few array operations per step, not a Python
loop per claim. Amounts are whole cents until the result frame.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from engine.claims import REASONS, RESULT_COLUMNS
from engine.conditions import mask
from engine.dates import add_months_days, ages_on
from engine.groups import group_problems, share_cents
from engine.money import percent_of
from engine.policies import PolicySet
from engine.rules import CATEGORIES, Convention, Priced, Supplementary, rules_of

STRING_FIELDS = ("kind", "network", "care", "setting", "co_lead", "mutuality", "provider")
NAT = np.datetime64("NaT", "D")
R = {name: i + 1 for i, name in enumerate(REASONS)}  # reason codes; 0 is "" (covered)


def _cents(values: np.ndarray) -> np.ndarray:
    return np.round(values * 100).astype(np.int64)


@dataclass
class Columns:
    """The claims of one route as arrays, sorted by patient, date and claim id."""

    index: np.ndarray  # positions in the input frame
    patient: np.ndarray  # patient codes 0..n_patients-1
    day: np.ndarray  # datetime64[D]
    age: np.ndarray
    ctx: dict

    @property
    def n(self) -> int:
        return len(self.index)


def _ordered(frame: pd.DataFrame, rows: np.ndarray, patient_codes: np.ndarray,
             days: np.ndarray) -> np.ndarray:
    """Positions `rows` sorted by (patient, date, claim id) without sorting every claim id."""
    patient = patient_codes[rows].astype(np.int64)
    day = days[rows].astype(np.int64)
    key = patient * (1 << 24) + (day - (day.min() if len(day) else 0))
    order = np.argsort(key, kind="stable")
    skey = key[order]
    tie = np.zeros(len(order), bool)
    if len(order) > 1:
        same = skey[1:] == skey[:-1]
        tie[1:] |= same
        tie[:-1] |= same
    if tie.any():
        pos = np.flatnonzero(tie)
        ids = frame["claim_id"].to_numpy()[rows[order[pos]]].astype(str)
        resort = np.lexsort((ids, skey[pos]))
        order[pos] = order[pos][resort]
    return rows[order]


@dataclass
class Prepared:
    """Whole-frame arrays converted once: categoricals for the text fields, dates as days."""

    patient: np.ndarray
    day: np.ndarray
    birth: np.ndarray
    text: dict[str, pd.Categorical]
    increased: np.ndarray


def _prepare(frame: pd.DataFrame) -> Prepared:
    text = {f: _categorical(frame[f]) for f in STRING_FIELDS}
    return Prepared(pd.factorize(frame["patient_id"])[0], frame["session_date"].to_numpy().astype("datetime64[D]"),
                    frame["birth_date"].to_numpy().astype("datetime64[D]"), text,
                    frame["increased_reimbursement"].to_numpy(bool))


def _categorical(column: pd.Series) -> pd.Categorical:
    return column.array if isinstance(column.dtype, pd.CategoricalDtype) else column.astype("category").array


def _columns(frame: pd.DataFrame, prep: Prepared, rows: np.ndarray) -> Columns:
    rows = _ordered(frame, rows, prep.patient, prep.day)
    patient = pd.factorize(prep.patient[rows])[0]
    day = prep.day[rows]
    ctx = {f: cat[rows] for f, cat in prep.text.items()}
    ctx["increased_reimbursement"] = prep.increased[rows]
    ctx["session_date"] = day
    return Columns(rows, patient, day, ages_on(prep.birth[rows], day), ctx)


def _equals(ctx_value: pd.Categorical, text: str) -> np.ndarray:
    cats = list(ctx_value.categories)
    return (ctx_value.codes == cats.index(text)) if text in cats else np.zeros(len(ctx_value), bool)


def _first_match(rules: tuple[Priced, ...], ctx: dict, policies: PolicySet, day: np.ndarray,
                 where: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(rule index or -1, amount in cents) of the first rule whose condition holds, on rows `where`."""
    n = len(day)
    chosen = np.full(n, -1)
    amount = np.zeros(n, np.int64)
    rows = np.flatnonzero(where)
    if not len(rows):
        return chosen, amount
    sub = {k: v[rows] for k, v in ctx.items()}
    left = np.ones(len(rows), bool)
    for i, rule in enumerate(rules):
        hit = left & mask(rule.when, sub, policies, day[rows])
        if hit.any():
            chosen[rows[hit]] = i
            amount[rows[hit]] = _cents(policies.dated(rule.amount).on_dates(day[rows[hit]]))
            left &= ~hit
    return chosen, amount


class Words:
    """A vocabulary of result texts, so result columns are integer codes until the end."""

    def __init__(self, words=()):
        self.index = {"": 0}
        for w in words:
            self.code(w)

    def code(self, word: str) -> int:
        return self.index.setdefault(word, len(self.index))

    def codes(self, words) -> np.ndarray:
        return np.array([self.code(w) for w in words], dtype=np.int32)

    def column(self, codes: np.ndarray) -> pd.Categorical:
        return pd.Categorical.from_codes(codes, categories=list(self.index))


class Output:
    """Result arrays for every input row, in input order; texts as codes into vocabularies."""

    def __init__(self, n: int, invalid: np.ndarray):
        self.schemes, self.bundles, self.rules = Words(), Words(), Words()
        self.reasons = Words(REASONS)
        found, uniques = pd.factorize(invalid)
        self.reason = self.reasons.codes(uniques)[found] if n else np.zeros(0, np.int32)
        self.scheme = np.zeros(n, np.int32)
        self.covered = np.zeros(n, bool)
        self.fee = np.zeros(n, np.int64)
        self.copay = np.zeros(n, np.int64)
        self.insurer = np.zeros(n, np.int64)
        self.care_path = np.zeros(n, np.int64)
        self.supplement = np.zeros(n, np.int64)
        self.period_start = np.full(n, NAT)
        self.bundle = np.zeros(n, np.int32)
        self.rule = np.zeros(n, np.int32)

    def frame(self, claims: pd.DataFrame) -> pd.DataFrame:
        return pd.DataFrame({
            "claim_id": claims["claim_id"].array, "scheme": self.schemes.column(self.scheme),
            "covered": self.covered, "reason": self.reasons.column(self.reason),
            "provider_fee": self.fee / 100, "patient_copay": self.copay / 100,
            "insurer_amount": self.insurer / 100, "care_path_fee": self.care_path / 100,
            "supplement_amount": self.supplement / 100, "patient_pays": (self.copay - self.supplement) / 100,
            "period_start": self.period_start.astype("datetime64[ns]"),
            "bundle": self.bundles.column(self.bundle), "rule": self.rules.column(self.rule),
        }, columns=RESULT_COLUMNS, index=claims.index)


def evaluate_vectorized(claims: pd.DataFrame, policies: PolicySet) -> pd.DataFrame:
    """Evaluate a normalized claims frame; same results as the reference evaluator, in input order."""
    problems = group_problems(claims).to_numpy()
    invalid = np.where(problems != "", problems, claims["invalid"].to_numpy(object))
    out = Output(len(claims), invalid)
    valid = invalid == ""
    prep = _prepare(claims)
    outside = _equals(prep.text["network"], "")
    rules = rules_of(policies)
    conv_rows = np.flatnonzero(valid & ~outside)
    benefit_rows = np.flatnonzero(valid & outside)
    if len(conv_rows):
        _convention_route(claims, _columns(claims, prep, conv_rows), rules.conventions, policies, out)
    if len(benefit_rows):
        _benefit_route(claims, _columns(claims, prep, benefit_rows), rules.supplementary, policies, out)
    return out.frame(claims)


# -- the convention ---------------------------------------------------------------------------------

def _convention_route(claims, c: Columns, conventions, policies, out: Output) -> None:
    reason = np.full(c.n, R["not_in_force"], np.int32)
    covered = np.zeros(c.n, bool)
    for ci, conv in enumerate(conventions):
        rows = np.flatnonzero(_in_force(c.day, conv) & (reason == R["not_in_force"]))
        if len(rows):
            _one_convention(claims, c, rows, ci, conv, policies, out, reason, covered)
    idx = c.index
    out.reason[idx] = np.where(covered, 0, reason)
    out.covered[idx] = covered


def _one_convention(claims, c: Columns, rows, ci: int, conv: Convention, policies: PolicySet,
                    out: Output, reason: np.ndarray, covered_all: np.ndarray) -> None:
    n = len(rows)
    day, age, patient = c.day[rows], c.age[rows], c.patient[rows]
    ctx = {k: v[rows] for k, v in c.ctx.items()}
    out.scheme[c.index[rows]] = out.schemes.code(conv.id)
    net_codes = {net: _equals(ctx["network"], net) for net in conv.bundles}
    care_ok = ~_equals(ctx["care"], "")
    category = np.full(n, -1)
    for k, name in enumerate(CATEGORIES):
        care, kind = name.rsplit("_", 1)
        category[_equals(ctx["care"], care) & _equals(ctx["kind"], kind)] = k
    # parameters per distinct date, looked up per claim: (network, date) -> caps of each bundle
    days, day_at = _day_table(day)
    n_bundles = max(len(b) for b in conv.bundles.values())
    caps = np.zeros((len(conv.bundles), len(days), n_bundles, len(CATEGORIES) + 1), np.int32)
    band = np.zeros((len(conv.bundles), len(days), 2))
    for i, net in enumerate(conv.bundles):
        limits = conv.age_bands[net]
        band[i, :, 0] = _param(policies, limits.get("min_age"), days, -np.inf)
        band[i, :, 1] = _param(policies, limits.get("max_age"), days, np.inf)
        caps[i, :, :, -1] = np.iinfo(np.int32).max
        for b, bundle in enumerate(conv.bundles[net]):
            for cat, path in bundle.caps.items():
                caps[i, :, b, CATEGORIES.index(cat)] = _param(policies, path, days, 0)
            if bundle.total:
                caps[i, :, b, -1] = _param(policies, bundle.total, days, np.iinfo(np.int32).max)
    net_index = np.zeros(n, np.int8)
    for i, net in enumerate(conv.bundles):
        net_index[net_codes[net]] = i
    limits = band[net_index, day_at]
    age_ok = (age >= limits[:, 0]) & (age <= limits[:, 1])
    static = np.where(~care_ok, R["care_missing"], np.where(~age_ok, R["age_not_eligible"], 0))
    months = policies.dated(conv.period_months).on_dates(days).astype(np.int64)[day_at]
    # step through each patient's k-th claim
    state = _PatientState(int(c.patient.max()) + 1)
    covered = np.zeros(n, bool)
    why = static.astype(np.int32)
    bundle_of = np.full(n, -1)
    period_start = np.full(n, NAT)
    opens = np.zeros(n, bool)
    first_ind = np.zeros(n, bool)
    individual = _equals(ctx["kind"], "individual")
    for step in _steps(patient):
        p, d = patient[step], day[step]
        ok = static[step] == 0
        same_day = ok & conv.one_session_per_day & (state.last_day[p] == d)
        ok &= ~same_day
        in_period = (state.conv[p] == ci) & (d >= state.start[p]) & (d < state.end[p])
        switch = ok & in_period & conv.one_network_type_per_period & (state.net[p] != net_index[step])
        ok &= ~switch
        base = np.where(in_period[:, None], state.counts[p], 0)
        new = base.copy()
        has_cat = category[step] >= 0
        new[np.flatnonzero(has_cat), category[step][has_cat]] += 1
        new[:, -1] = new[:, :-1].sum(axis=1)
        fits = (new[:, None, :] <= caps[net_index[step], day_at[step]]).all(axis=2)
        fit_any = fits.any(axis=1)
        cov = ok & fit_any
        reached = ok | switch
        period_start[step] = np.where(reached & in_period, state.start[p], NAT)
        why[step] = np.select([same_day, switch, ok & ~fit_any],
                              [R["one_session_per_day"], R["network_switch"], R["quota_exhausted"]], why[step])
        covered[step] = cov
        bundle_of[step] = np.where(cov, fits.argmax(axis=1), -1)
        new_period = cov & ~in_period
        opens[step] = new_period
        first_ind[step] = cov & individual[step] & (base[:, 0] + base[:, 2] == 0)
        pc = p[cov]
        state.counts[pc] = new[cov]
        state.last_day[pc] = d[cov]
        po, do = p[new_period], d[new_period]
        state.conv[po] = ci
        state.start[po] = do
        state.end[po] = add_months_days(do, months[step][new_period])
        state.net[po] = net_index[step][new_period]
        period_start[step[new_period]] = do
    reason[rows] = np.where(covered, 0, why)
    covered_all[rows] = covered
    _settle(claims, c, rows, conv, policies, out, covered, bundle_of, period_start, opens, first_ind, age, ctx)


def _settle(claims, c: Columns, rows, conv: Convention, policies, out: Output, covered, bundle_of,
            period_start, opens, first_ind, age, ctx) -> None:
    """Fees, group shares, co-payments and the care-path fee of the covered claims."""
    idx = c.index[rows]
    day = c.day[rows]
    out.period_start[idx] = period_start
    names = {net: out.bundles.codes(b.id for b in bundles) for net, bundles in conv.bundles.items()}
    for net, ids in names.items():
        on = covered & _equals(ctx["network"], net)
        out.bundle[idx[on]] = ids[bundle_of[on]]
    full = {**ctx, "age": age, "first_individual_of_period": first_ind,
            "leader": pd.Categorical.from_codes(np.zeros(len(rows), np.int8), ["psychologist"])}
    _, fee = _first_match(conv.tariff, full, policies, day, covered)
    group = covered & _equals(ctx["kind"], "group")
    co = group & ~_equals(ctx["co_lead"], "")
    if co.any():
        _, extra = _first_match(conv.tariff, {**full, "leader": ctx["co_lead"]}, policies, day, co)
        fee = fee + extra
    if group.any():
        g = np.flatnonzero(group)
        gid = claims["group_id"].to_numpy(object)[idx[g]]
        codes = pd.factorize(gid)[0]
        order = np.argsort(np.argsort(claims["claim_id"].array.take(idx[g]).astype(str), kind="stable"))
        fee[g] = share_cents(codes, order, fee[g])
    chosen, amount = _first_match(conv.copayment, full, policies, day, covered)
    copay = np.minimum(amount, fee)
    rule_ids = out.rules.codes(r.id for r in conv.copayment)
    out.rule[idx[covered]] = rule_ids[chosen[covered]]
    out.fee[idx] = np.where(covered, fee, 0)
    out.copay[idx] = np.where(covered, copay, 0)
    out.insurer[idx] = np.where(covered, fee - copay, 0)
    if opens.any():
        out.care_path[idx[opens]] = _cents(policies.dated(conv.care_path_fee).on_dates(day[opens]))


class _PatientState:
    """Per-patient running state, one array element per patient."""

    def __init__(self, n: int):
        self.conv = np.full(n, -1)
        self.start = np.full(n, NAT)
        self.end = np.full(n, NAT)
        self.net = np.full(n, -1, np.int8)
        self.counts = np.zeros((n, len(CATEGORIES) + 1), np.int32)  # per category, then the total
        self.last_day = np.full(n, NAT)
        self.last_session = np.full(n, NAT)
        self.youth = np.zeros(n, bool)
        self.reimbursed = np.zeros(n, np.int64)


def _steps(patient: np.ndarray):
    """Row positions of every patient's k-th claim, for k = 0, 1, …; rows are sorted by patient."""
    n = len(patient)
    if not n:
        return
    starts = np.r_[0, np.flatnonzero(patient[1:] != patient[:-1]) + 1]
    rank = np.arange(n) - np.repeat(starts, np.diff(np.r_[starts, n]))
    order = np.argsort(rank, kind="stable")
    bounds = np.searchsorted(rank[order], np.arange(rank.max() + 2))
    for k in range(rank.max() + 1):
        yield order[bounds[k]:bounds[k + 1]]


def _in_force(day: np.ndarray, rule) -> np.ndarray:
    """Rows whose date falls in a convention's or benefit's validity."""
    ok = day >= np.datetime64(rule.start)
    return ok & (day <= np.datetime64(rule.end)) if rule.end else ok


def _day_table(day: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The dates from the first to the last claim, and each claim's position among them."""
    if not len(day):
        return day, np.zeros(0, np.int64)
    first = day.min()
    offset = (day - first).astype(np.int64)
    return first + np.arange(offset.max() + 1).astype("timedelta64[D]"), offset


def _param(policies: PolicySet, path: str | None, days: np.ndarray, fill: float) -> np.ndarray:
    """A parameter on each date, `fill` where it is null or the rule does not name it."""
    if path is None:
        return np.full(len(days), fill)
    values = policies.dated(path).on_dates(days)
    return np.where(np.isnan(values), fill, values)


# -- supplementary benefits ------------------------------------------------------------------------

def _benefit_route(claims, c: Columns, plans: dict[str, tuple[Supplementary, ...]], policies, out: Output) -> None:
    fee_charged = claims["fee_charged"].to_numpy(float)[c.index]
    fee = np.where(np.isnan(fee_charged), 0, _cents(np.nan_to_num(fee_charged)))
    out.fee[c.index] = fee
    out.copay[c.index] = fee
    reason = np.full(c.n, R["no_scheme"], np.int32)
    earlier = claims["earlier_cm_sessions"].to_numpy(np.int64)[c.index]
    earlier_by_patient = np.zeros(int(c.patient.max()) + 1, np.int64)
    np.maximum.at(earlier_by_patient, c.patient, earlier)
    for mutuality, versions in plans.items():
        mine = _equals(c.ctx["mutuality"], mutuality)
        for plan in versions:
            rows = np.flatnonzero(mine & _in_force(c.day, plan))
            if len(rows):
                _one_plan(c, rows, plan, policies, out, fee, np.isnan(fee_charged), earlier_by_patient, reason)
    out.reason[c.index] = reason


def _one_plan(c: Columns, rows, plan: Supplementary, policies, out: Output, fee_all, missing_all,
              earlier_by_patient, reason_all) -> None:
    n = len(rows)
    day, patient, fee = c.day[rows], c.patient[rows], fee_all[rows]
    ctx = {k: v[rows] for k, v in c.ctx.items()}
    out.scheme[c.index[rows]] = out.schemes.code(plan.id)
    gap = policies.dated(plan.gap_months).on_dates(day).astype(np.int64)
    youth_if_start = mask(plan.youth, {"age_at_treatment_start": c.age[rows]}, policies, day)
    recognised = np.zeros(n, bool)
    for provider, path in plan.providers.items():
        on = _equals(ctx["provider"], provider)
        recognised[on] = policies.dated(path).on_dates(day[on]) == 1
    fee_missing = missing_all[rows]
    cap = policies.dated(plan.lifetime_cap).on_dates(day)
    # the benefit each claim would get as youth and as adult
    amounts = {}
    for youth in (True, False):
        sub = {**ctx, "youth": np.full(n, youth)}
        rule = np.full(n, -1)
        amount = np.zeros(n, np.int64)
        for i, benefit in enumerate(plan.benefits):
            left = (rule < 0) & mask(benefit.when, sub, policies, day)
            value = _benefit_amounts(benefit, fee, day, policies)
            hit = left & (value >= 0)
            rule[hit], amount[hit] = i, value[hit]
        amounts[youth] = (rule, amount)
    state = _PatientState(int(c.patient.max()) + 1)
    why = np.zeros(n, np.int32)
    youth_used = np.zeros(n, bool)
    covered = np.zeros(n, bool)
    for step in _steps(patient):
        p, d = patient[step], day[step]
        last = state.last_session[p]
        new = np.isnat(last) | (d > add_months_days(np.where(np.isnat(last), d, last), gap[step]))
        state.youth[p[new]] = youth_if_start[step][new]
        state.last_session[p] = d
        youth = state.youth[p]
        youth_used[step] = youth
        rule = np.where(youth, amounts[True][0][step], amounts[False][0][step])
        ok = recognised[step] & ~fee_missing[step]
        same_day = ok & plan.one_per_day & (state.last_day[p] == d)
        ok &= ~same_day
        capped = ok & (earlier_by_patient[p] + state.reimbursed[p] >= cap[step])
        ok &= ~capped
        no_rule = ok & (rule < 0)
        cov = ok & ~no_rule
        why[step] = np.select(
            [~recognised[step], fee_missing[step], same_day, capped, no_rule],
            [R["provider_not_recognised"], R["fee_missing"], R["one_session_per_day"], R["lifetime_cap_reached"],
             R["no_benefit_rule"]], 0)
        covered[step] = cov
        state.reimbursed[p[cov]] += 1
        state.last_day[p[cov]] = d[cov]
    rule = np.where(youth_used, amounts[True][0], amounts[False][0])
    amount = np.where(youth_used, amounts[True][1], amounts[False][1])
    idx = c.index[rows]
    ids = out.rules.codes(b.id for b in plan.benefits)
    out.covered[idx] = covered
    out.rule[idx[covered]] = ids[rule[covered]]
    out.supplement[idx] = np.where(covered, amount, 0)
    reason_all[rows] = np.where(covered, 0, why)


def _benefit_amounts(benefit, fee: np.ndarray, day: np.ndarray, policies: PolicySet) -> np.ndarray:
    """The benefit in cents per claim, or -1 where the rule has no amount on that date."""
    n = len(fee)
    flat = policies.dated(benefit.flat).on_dates(day) if benefit.flat else np.full(n, np.nan)
    percent = policies.dated(benefit.percent).on_dates(day) if benefit.percent else np.full(n, np.nan)
    cap = policies.dated(benefit.cap).on_dates(day) if benefit.cap else np.full(n, np.nan)
    by_percent = percent_of(fee, np.nan_to_num(percent))
    by_percent = np.where(np.isnan(cap), by_percent, np.minimum(by_percent, _cents(np.nan_to_num(cap))))
    value = np.where(~np.isnan(flat), np.minimum(_cents(np.nan_to_num(flat)), fee),
                     np.where(~np.isnan(percent), by_percent, -1))
    return value.astype(np.int64)
