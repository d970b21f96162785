"""Sessions outside the convention: what the patient pays the provider and the mutualities' supplementary benefits."""

from __future__ import annotations

import numpy as np

from engine.dates import civil
from engine.evaluate.vectorized.claims import Claims, columns
from engine.evaluate.vectorized.days import NO_DAY, add_months, ages, as_dates, in_force, per_day
from engine.evaluate.vectorized.epochs import Dated, Epochs
from engine.evaluate.vectorized.layout import Layout, layout
from engine.evaluate.vectorized.output import Output, R
from engine.money import percent_of
from engine.policy.conditions import mask
from engine.policy.fields import context
from engine.policy.rules import Supplementary

NO_LIMIT = np.iinfo(np.int64).max // 4  # cents: no limit a year


def benefits(c: Claims, rows: np.ndarray, plans: dict[str, tuple[Supplementary, ...]], epochs: Epochs, out: Output) -> None:
    """Sessions outside the convention: the patient pays the provider; a mutuality may pay a benefit."""
    out.fee[rows] = c.fee[rows]
    out.copay[rows] = c.fee[rows]
    earlier = np.zeros(int(c.patient.max()) + 1, np.int64)
    np.maximum.at(earlier, c.patient[rows], c.earlier[rows])
    plan_of = np.full(len(rows), -1, np.int16)
    all_plans = [plan for versions in plans.values() for plan in versions]
    day = c.day[rows]
    for i, plan in enumerate(all_plans):
        plan_of[(plan_of < 0) & c.text["mutuality"].equals(plan.mutuality)[rows] & in_force(day, plan)] = i
    out.reason[rows[plan_of < 0]] = R["no_scheme"]
    if (plan_of >= 0).any():
        _plans(c, layout(c, rows[plan_of >= 0]), all_plans, earlier, epochs, out)


def _plans(c: Claims, lay: Layout, plans: list[Supplementary], earlier, epochs: Epochs, out: Output) -> None:
    rows, n = lay.rows, lay.n
    day = c.day[rows]
    fee_missing, fee = c.fee_missing[rows], c.fee[rows]
    text = {f: c.text[f].take(rows) for f in ("mutuality", "provider")}
    age = ages(c.birth[rows], day)
    plan_of = np.zeros(n, np.int16)
    for i, plan in enumerate(plans):
        plan_of[text["mutuality"].equals(plan.mutuality) & in_force(day, plan)] = i
    gap = np.zeros(n, np.int64)
    youth_if_start, recognised = np.zeros(n, bool), np.zeros(n, bool)
    cap, one_per_day = np.zeros(n), np.zeros(n, bool)
    rule = {True: np.full(n, -1, np.int16), False: np.full(n, -1, np.int16)}
    amount = {True: np.zeros(n, np.int64), False: np.zeros(n, np.int64)}
    year_sessions = {True: np.full(n, np.inf), False: np.full(n, np.inf)}  # the chosen rule's limits a year
    year_cents = {True: np.full(n, NO_LIMIT), False: np.full(n, NO_LIMIT)}
    rule_codes = np.zeros(0, np.int32)
    for i, plan in enumerate(plans):
        idx = np.flatnonzero(plan_of == i)
        if not len(idx):
            continue
        here = Dated(epochs, day[idx])  # the plan's claims only: its histories need not cover other plans' dates
        column = columns(c, rows[idx], {}, day[idx])
        gap[idx] = here(plan.gap_months)
        youth_if_start[idx] = mask(plan.youth, context("youth", column, {"age_at_treatment_start": age[idx]}), here)
        provider = text["provider"].take(idx)
        for name, path in plan.providers.items():
            hit = provider.equals(name)
            recognised[idx[hit]] = here(path)[hit] == 1
        cap[idx] = here(plan.lifetime_cap) if plan.lifetime_cap else np.inf
        one_per_day[idx] = plan.one_per_day
        offset = len(rule_codes)
        rule_codes = np.r_[rule_codes, out.rules.codes(b.id for b in plan.benefits)]
        values = [_benefit_amounts(benefit, fee[idx], here) for benefit in plan.benefits]
        limits = [_year_limits(benefit, here) for benefit in plan.benefits]
        for youth in (True, False):
            ctx = context("benefit", column, {"age": age[idx], "youth": np.full(len(idx), youth)})
            chosen = np.full(len(idx), -1, np.int16)
            for k, (benefit, value, (sessions, euros)) in enumerate(zip(plan.benefits, values, limits, strict=True)):
                hit = (chosen < 0) & (value >= 0) & mask(benefit.when, ctx, here)
                chosen[hit] = offset + k
                at = idx[hit]
                amount[youth][at], year_sessions[youth][at], year_cents[youth][at] = value[hit], sessions[hit], euros[hit]
            rule[youth][idx] = chosen
        out.scheme[rows[idx]] = out.schemes.code(plan.id)
    # a treatment starts at a patient's first session or after a gap; its youth status holds throughout
    previous = lay.previous(day, NO_DAY)
    seen = previous != NO_DAY
    starts = ~seen | (day > add_months(np.where(seen, previous, day), gap))
    eligible = recognised & ~fee_missing
    covered, same_day, capped, youth_used = np.zeros(n, bool), np.zeros(n, bool), np.zeros(n, bool), np.zeros(n, bool)
    year_capped, supplement = np.zeros(n, bool), np.zeros(n, np.int64)
    year = per_day(day, lambda d: civil(as_dates(d))[0])
    p = lay.patients
    youth, reimbursed, last = np.zeros(p, bool), np.zeros(p, np.int64), np.full(p, NO_DAY, np.int32)
    counted_year, year_count, year_paid = np.zeros(p, year.dtype), np.zeros(p, np.int64), np.zeros(p, np.int64)
    prior = earlier[c.patient[rows]]
    has_rule = {y: rule[y] >= 0 for y in (True, False)}
    for lo, hi, m in lay.steps():
        d = day[lo:hi]
        young = np.where(starts[lo:hi], youth_if_start[lo:hi], youth[:m])
        youth[:m] = young
        youth_used[lo:hi] = young
        ok = eligible[lo:hi].copy()
        same = ok & one_per_day[lo:hi] & (last[:m] == d)
        ok &= ~same
        full = ok & (prior[lo:hi] + reimbursed[:m] >= cap[lo:hi])
        ok &= ~full
        has = np.where(young, has_rule[True][lo:hi], has_rule[False][lo:hi])
        # limits per calendar year: counts restart with the first session of a later year
        fresh = counted_year[:m] != year[lo:hi]
        count, paid = np.where(fresh, 0, year_count[:m]), np.where(fresh, 0, year_paid[:m])
        left = np.where(young, year_cents[True][lo:hi], year_cents[False][lo:hi]) - paid
        over = ok & has & ((count >= np.where(young, year_sessions[True][lo:hi], year_sessions[False][lo:hi]))
                           | (left <= 0))
        cov = ok & has & ~over
        pay = np.where(cov, np.minimum(np.where(young, amount[True][lo:hi], amount[False][lo:hi]), left), 0)
        same_day[lo:hi], capped[lo:hi], year_capped[lo:hi], covered[lo:hi] = same, full, over, cov
        supplement[lo:hi] = pay
        reimbursed[:m] += cov
        np.copyto(last[:m], d, where=cov)
        np.copyto(year_count[:m], count + 1, where=cov)
        np.copyto(year_paid[:m], paid + pay, where=cov)
        np.copyto(counted_year[:m], year[lo:hi], where=cov)
    chosen = np.where(youth_used, rule[True], rule[False])
    why = np.select([~recognised, fee_missing, same_day, capped, year_capped, ~covered],
                    [R["provider_not_recognised"], R["fee_missing"], R["one_session_per_day"], R["lifetime_cap_reached"],
                     R["year_cap_reached"], R["no_benefit_rule"]], 0)
    out.covered[rows] = covered
    out.reason[rows] = why
    out.benefit_rule[rows[covered]] = rule_codes[chosen[covered]]
    out.supplement[rows] = supplement


def _year_limits(benefit, dated: Dated) -> tuple[np.ndarray, np.ndarray]:
    """A rule's limits per calendar year on each claim's date: sessions (inf: none) and cents (NO_LIMIT: none)."""
    n = len(dated.days)
    sessions = dated(benefit.year_sessions) if benefit.year_sessions else np.full(n, np.nan)
    amount = dated.cents(benefit.year_amount, NO_LIMIT) if benefit.year_amount else np.full(n, NO_LIMIT)
    return np.where(np.isnan(sessions), np.inf, sessions), amount


def _benefit_amounts(benefit, fee: np.ndarray, dated: Dated) -> np.ndarray:
    """The benefit in cents per claim, or -1 where the rule has no amount on that date."""
    n = len(fee)
    flat = dated.cents(benefit.flat, -1) if benefit.flat else np.full(n, -1)
    percent = dated(benefit.percent) if benefit.percent else np.full(n, np.nan)
    cap = dated.cents(benefit.cap, NO_LIMIT) if benefit.cap else np.full(n, NO_LIMIT)
    by_percent = np.minimum(percent_of(fee, np.nan_to_num(percent)), cap)
    value = np.where(flat >= 0, np.minimum(flat, fee), np.where(~np.isnan(percent), by_percent, -1))
    return value.astype(np.int64)
