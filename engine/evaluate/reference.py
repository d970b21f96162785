"""The reference evaluator: one patient at a time, one claim at a time, in date order.

It reads like the rules and is the oracle the vectorized evaluator is tested against; it also
records, for each claim, the rule path and every parameter value used (for `explain`).
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from engine.claims.contract import RESULT_COLUMNS
from engine.dates import add_months, age_on
from engine.errors import PolicyError
from engine.evaluate.groups import group_problems
from engine.money import cents, percent_of, share
from engine.policy.conditions import holds
from engine.policy.coverage import no_tariff_row
from engine.policy.dated import Resolved
from engine.policy.fields import context
from engine.policy.policies import PolicySet
from engine.policy.rules import Convention, Rules, Supplementary, rules_of
from engine.quantities import euro_cents


@dataclass
class Outcome:
    """What one claim settles, in cents, and how the rules got there."""

    scheme: str = ""
    covered: bool = False
    reason: str = ""
    route: str = ""
    fee: int = 0
    copay_rule_amount: int = 0
    copay: int = 0
    care_path_fee: int = 0
    supplement: int = 0
    period_start: dt.date | None = None
    bundle: str = ""
    rule: str = ""
    tariff_row: str = ""
    co_lead_tariff_row: str = ""
    version: str = ""
    group_fee: int = 0
    lead_fee: int = 0
    co_lead_fee: int = 0
    steps: list[str] = field(default_factory=list)
    used: list[Resolved] = field(default_factory=list)


@dataclass
class ConventionState:
    """A patient's running state under the convention."""

    convention: str = ""
    period_start: dt.date | None = None
    period_end: dt.date | None = None
    network: str = ""
    counts: dict[str, int] = field(default_factory=dict)  # covered sessions in the period, by category
    covered_days: set = field(default_factory=set)


@dataclass
class BenefitState:
    """A patient's running state under a mutuality's supplementary benefit."""

    last_session: dt.date | None = None
    youth: bool = False
    reimbursed: int = 0
    paid_days: set = field(default_factory=set)
    year: int = 0  # the calendar year of the sessions counted in year_sessions and year_amount
    year_sessions: int = 0
    year_amount: int = 0  # cents


class Evaluation:
    """Evaluates claims with one policy set; `value` records every parameter it reads."""

    def __init__(self, policies: PolicySet):
        self.policies = policies
        self.rules: Rules = rules_of(policies)

    def value(self, out: Outcome, path: str, day: dt.date):
        resolved = self.policies.value_at(path, day)
        out.used.append(resolved)
        return resolved.value

    # -- the convention -------------------------------------------------------------------------
    def convention_claim(self, claim, state: ConventionState) -> Outcome:
        day, out = claim.session_date, Outcome(route="convention")
        conv = self.rules.convention_on(day)
        if conv is None:
            out.reason = "not_in_force"
            out.steps.append(f"no convention is in force on {day}")
            return out
        out.scheme, out.version = conv.id, conv.version
        if claim.care == "":
            out.reason = "care_missing"
            out.steps.append(f"the claim names no care type; {conv.id} declares {', '.join(conv.care_types)}")
            return out
        category = conv.category(claim.care, claim.kind)
        if category is None:
            out.reason = "no_category"
            out.steps.append(f"{conv.id} has no quota category of {claim.care} {claim.kind} sessions (its categories: "
                             f"{', '.join(c.id for c in conv.categories)})")
            return out
        age = age_on(claim.birth_date, day)
        if not self.age_eligible(out, conv, claim.network, age, day):
            out.reason = "age_not_eligible"
            return out
        if conv.one_session_per_day and day in state.covered_days:
            out.reason = "one_session_per_day"
            out.steps.append(f"the patient already had a covered session on {day}")
            return out
        in_period = (state.convention == conv.id and state.period_end is not None
                     and state.period_start <= day < state.period_end)
        if in_period:
            out.period_start = state.period_start
            out.steps.append(f"period {state.period_start} to {state.period_end - dt.timedelta(days=1)}")
            if conv.one_network_type_per_period and claim.network != state.network:
                out.reason = "network_switch"
                out.steps.append(f"this period is under the {state.network} network type")
                return out
        before = dict(state.counts) if in_period else dict.fromkeys((c.id for c in conv.categories), 0)
        counts = {**before, category.id: before[category.id] + 1}
        bundle, refusal = self.fitting_bundle(out, conv, claim.network, before, category.id, day)
        if not bundle:
            out.reason = refusal
            return out
        out.covered, out.bundle = True, bundle
        first_individual = category.id in conv.first_individual and sum(counts[c] for c in conv.first_individual) == 1
        if not in_period:
            months = int(self.value(out, conv.period_months, day))
            state.convention, state.network = conv.id, claim.network
            state.period_start, state.period_end = day, add_months(day, months)
            out.period_start = day
            out.care_path_fee = cents(self.value(out, conv.care_path_fee, day))
            out.steps.append(f"first covered session: opens a period of {months} months from {day}; "
                             f"care-path fee paid once for the period")
        state.counts = counts
        state.covered_days.add(day)
        column = functools.partial(getattr, claim)
        derived = {"age": age, "first_individual_of_period": first_individual, "leader": conv.lead}
        lead_role = "" if claim.kind == "individual" else f"lead ({conv.lead}): "
        out.tariff_row, lead = self.tariff(out, conv, context("tariff_row", column, derived), day, lead_role)
        if claim.kind == "individual":
            out.fee = lead
        else:
            out.group_fee = out.lead_fee = lead
            if claim.co_lead:
                out.co_lead_tariff_row, out.co_lead_fee = self.tariff(
                    out, conv, context("tariff_row", column, {**derived, "leader": claim.co_lead}), day,
                    f"co-lead ({claim.co_lead}): ")
                out.group_fee += out.co_lead_fee
        ctx = context("copayment_rule", column, derived)
        for rule in conv.copayment:
            if holds(rule.when, ctx, self.policies, day):
                out.rule = rule.id
                out.copay_rule_amount = cents(self.value(out, rule.amount, day))
                out.steps.append(f"co-payment rule '{rule.id}' ({rule.label}) applies")
                break
        out.copay = min(out.copay_rule_amount, out.fee)
        return out

    def age_eligible(self, out: Outcome, conv: Convention, network: str, age: int, day: dt.date) -> bool:
        band = conv.age_bands[network]
        low = self.value(out, band["min_age"], day) if "min_age" in band else None
        high = self.value(out, band["max_age"], day) if "max_age" in band else None
        ok = (low is None or age >= low) and (high is None or age <= high)
        out.steps.append(f"age {age} on {day}: {'within' if ok else 'outside'} the {network} band ({_ages(low, high)})")
        return ok

    def fitting_bundle(self, out: Outcome, conv: Convention, network: str, before: dict, category: str,
                       day: dt.date) -> tuple[str, str]:
        """The first bundle with room for the period's sessions and this one, or "" and the reason.

        A bundle allows a combination of categories when it has a cap of at least 1 for each; when
        none does, the session cannot join the period at all (combination_not_allowed); when some
        do but all are full, the quota is exhausted.
        """
        counts = {**before, category: before[category] + 1}
        used = [c for c in counts if counts[c]]
        full, earlier = [], []
        for bundle in conv.bundles[network]:
            caps = {c: self.value(out, p, day) for c, p in bundle.caps.items()}
            total = self.value(out, bundle.total, day) if bundle.total else None

            def allows(categories, caps=caps) -> bool:
                return all((caps.get(c) or 0) >= 1 for c in categories)

            if allows(c for c in before if before[c]):
                earlier.append(f"'{bundle.id}' ({bundle.label})")
            if not allows(used):
                continue
            room = all(n <= (caps.get(c) or 0) for c, n in counts.items())
            room = room and (total is None or sum(counts.values()) <= total)
            usage = ", ".join(f"{c} {before[c]} of {caps[c]:g}" for c in used)
            if total is not None:
                usage += f", {sum(before.values())} of {total:g} in all"
            if room:
                out.steps.append(f"bundle '{bundle.id}' ({bundle.label}) has room: used {usage} before this session")
                return bundle.id, ""
            full.append(f"'{bundle.id}' ({bundle.label}) used {usage}")
        combination = " with ".join(used)
        if full:
            out.steps.append(f"no room left: the {network} bundles that allow {combination} are full: {'; '.join(full)}")
            return "", "quota_exhausted"
        out.steps.append(f"no bundle of the {network} network type allows {combination} in one period "
                         f"(bundles possible for the period before this session: {', '.join(earlier) or 'none'})")
        return "", "combination_not_allowed"

    def tariff(self, out: Outcome, conv: Convention, ctx: dict, day: dt.date, role: str = "") -> tuple[str, int]:
        """The first tariff row that holds, and its fee in cents; `role` names a group's lead or co-lead."""
        for row in conv.tariff:
            if holds(row.when, ctx, self.policies, day):
                fee = cents(self.value(out, row.amount, day))
                out.steps.append(f"{role}tariff '{row.id}' ({row.label}), fee {euro_cents(fee)}")
                return row.id, fee
        raise PolicyError([no_tariff_row(self.policies, conv, ctx, day)])  # validate refuses such a folder

    # -- supplementary benefits -----------------------------------------------------------------
    def benefit_claim(self, claim, state: BenefitState, earlier: int) -> Outcome:
        day, out = claim.session_date, Outcome(route="benefit")
        out.fee = cents(claim.fee_charged) if not np.isnan(claim.fee_charged) else 0
        out.copay = out.fee  # outside the convention the patient pays the provider's price
        plan = self.rules.supplementary_on(claim.mutuality, day) if claim.mutuality else None
        if plan is None:
            out.reason = "no_scheme"
            out.steps.append("outside the convention, and no supplementary benefit of the "
                             f"mutuality {claim.mutuality or '(none)'} on {day}")
            return out
        out.scheme, out.version = plan.id, plan.version
        new_treatment = state.last_session is None or day > add_months(
            state.last_session, int(self.value(out, plan.gap_months, day)))
        state.last_session = day
        age = age_on(claim.birth_date, day)
        column = functools.partial(getattr, claim)
        if new_treatment:
            state.youth = holds(plan.youth, context("youth", column, {"age_at_treatment_start": age}), self.policies, day)
            out.steps.append(f"a treatment starts on {day}: age {age}, "
                             f"{'youth' if state.youth else 'adult'} status for the treatment")
        if not self.recognised(out, plan, claim.provider, day):
            out.reason = "provider_not_recognised"
            return out
        if np.isnan(claim.fee_charged):
            out.reason = "fee_missing"
            return out
        if plan.one_per_day and day in state.paid_days:
            out.reason = "one_session_per_day"
            return out
        cap = self.value(out, plan.lifetime_cap, day) if plan.lifetime_cap else None
        if cap is not None and earlier + state.reimbursed >= cap:
            out.reason = "lifetime_cap_reached"
            out.steps.append(f"{earlier} earlier + {state.reimbursed} reimbursed sessions reach the cap {cap}")
            return out
        if state.year != day.year:
            state.year, state.year_sessions, state.year_amount = day.year, 0, 0
        ctx = context("benefit", column, {"age": age, "youth": state.youth})
        for benefit in plan.benefits:
            if not holds(benefit.when, ctx, self.policies, day):
                continue
            amount = self.benefit_amount(out, benefit, out.fee, day)
            if amount is None:
                continue
            out.steps.append(f"benefit rule '{benefit.id}' ({benefit.label})")
            left = self.left_this_year(out, benefit, state, day)
            if left is not None and left <= 0:
                out.reason = "year_cap_reached"
                return out
            amount = amount if left is None else min(amount, left)
            out.covered, out.rule, out.supplement = True, benefit.id, amount
            state.reimbursed += 1
            state.year_sessions += 1
            state.year_amount += amount
            state.paid_days.add(day)
            return out
        out.reason = "no_benefit_rule"
        return out

    def left_this_year(self, out: Outcome, benefit, state: BenefitState, day: dt.date) -> int | None:
        """Cents the rule may still pay in the session's calendar year (0 when its session limit is reached)."""
        sessions = self.value(out, benefit.year_sessions, day) if benefit.year_sessions else None
        amount = self.value(out, benefit.year_amount, day) if benefit.year_amount else None
        if sessions is not None and state.year_sessions >= sessions:
            out.steps.append(f"{state.year_sessions} sessions reimbursed in {day.year} reach the limit of {sessions} a year")
            return 0
        if amount is None:
            return None
        left = cents(amount) - state.year_amount
        out.steps.append(f"{state.year_amount / 100:.2f} of {amount:.2f} EUR a year reimbursed in {day.year}: "
                         f"{max(left, 0) / 100:.2f} left")
        return left

    def recognised(self, out: Outcome, plan: Supplementary, provider: str, day: dt.date) -> bool:
        ok = provider in plan.providers and bool(self.value(out, plan.providers[provider], day))
        out.steps.append(f"provider '{provider or '(none)'}' {'is' if ok else 'is not'} recognised on {day}")
        return ok

    def benefit_amount(self, out: Outcome, benefit, fee: int, day: dt.date) -> int | None:
        flat = self.value(out, benefit.flat, day) if benefit.flat else None
        if flat is not None:
            return min(cents(flat), fee)
        percent = self.value(out, benefit.percent, day) if benefit.percent else None
        if percent is None:
            return None
        amount = percent_of(fee, percent)
        cap = self.value(out, benefit.cap, day) if benefit.cap else None
        return min(amount, cents(cap)) if cap is not None else amount


def _ages(low: int | None, high: int | None) -> str:
    """An age band as an analyst writes it: 18 to 64, up to 23, 18 and over, any age."""
    if low is None:
        return f"up to {high}" if high is not None else "any age"
    return f"{low} to {high}" if high is not None else f"{low} and over"


def evaluate_reference(claims: pd.DataFrame, policies: PolicySet) -> tuple[pd.DataFrame, dict[int, Outcome]]:
    """Evaluate a normalized claims frame; returns the results (input order) and each row's Outcome."""
    claims = claims.copy()
    problems = group_problems(claims)
    claims.loc[problems != "", "invalid"] = problems[problems != ""]
    run = Evaluation(policies)
    outcomes: dict[int, Outcome] = {}
    valid = claims[claims["invalid"] == ""].sort_values(["patient_id", "session_date", "claim_id"])
    for _, rows in valid.groupby("patient_id", sort=False):
        conv_state, benefit_state = ConventionState(), BenefitState()
        earlier = int(rows.loc[rows["network"] == "", "earlier_sessions"].to_numpy().max(initial=0))
        for claim in rows.itertuples():
            claim = claim._replace(session_date=claim.session_date.date(), birth_date=claim.birth_date.date())
            if claim.network:
                outcomes[claim.Index] = run.convention_claim(claim, conv_state)
            else:
                outcomes[claim.Index] = run.benefit_claim(claim, benefit_state, earlier)
    settle_groups(valid, outcomes)
    return results_frame(claims, outcomes), outcomes


def settle_groups(valid: pd.DataFrame, outcomes: dict[int, Outcome]) -> None:
    """Share each group's fee among its covered participants, to the cent."""
    members: dict[str, list[int]] = {}
    for i in valid.index[valid["kind"] == "group"]:
        if outcomes[i].covered and valid.at[i, "network"]:
            members.setdefault(valid.at[i, "group_id"], []).append(i)
    for rows in members.values():
        rows.sort(key=lambda i: valid.at[i, "claim_id"])
        total = outcomes[rows[0]].group_fee
        for i, part in zip(rows, share(total, len(rows)), strict=True):
            o = outcomes[i]
            o.fee = part
            o.copay = min(o.copay_rule_amount, part)
            leads = f"lead {euro_cents(o.lead_fee)}"
            parts = ""
            if o.co_lead_tariff_row:
                lead_part = (2 * part * o.lead_fee + total) // (2 * total) if total else 0  # a fee of 0 is valid
                leads += f" + co-lead {euro_cents(o.co_lead_fee)}"
                parts = f" ({euro_cents(lead_part)} of the lead's fee, {euro_cents(part - lead_part)} of the co-lead's)"
            o.steps.append(f"group fee {euro_cents(total)} ({leads}) shared by {len(rows)} covered participants: "
                           f"this participant's share {euro_cents(part)}{parts}")


def results_frame(claims: pd.DataFrame, outcomes: dict[int, Outcome]) -> pd.DataFrame:
    """The result table in input order; invalid rows keep their `invalid: …` reason."""
    blank = Outcome()
    picked = [outcomes.get(i, blank) for i in claims.index]
    as_euros = lambda values: np.asarray(values, dtype=np.int64) / 100  # noqa: E731
    fee = [o.fee for o in picked]
    copay = [o.copay for o in picked]
    insurer = [o.fee - o.copay if o.covered and o.route == "convention" else 0 for o in picked]
    supplement = [o.supplement for o in picked]
    return pd.DataFrame({
        "claim_id": claims["claim_id"].to_numpy(),
        "scheme": [o.scheme for o in picked],
        "covered": np.array([o.covered for o in picked], dtype=bool),
        "reason": [o.reason if i in outcomes else inv for o, i, inv in zip(picked, claims.index, claims["invalid"], strict=True)],
        "provider_fee": as_euros(fee),
        "patient_copay": as_euros(copay),
        "insurer_amount": as_euros(insurer),
        "care_path_fee": as_euros([o.care_path_fee for o in picked]),
        "supplement_amount": as_euros(supplement),
        "patient_pays": as_euros([c - s for c, s in zip(copay, supplement, strict=True)]),
        "period_start": pd.to_datetime([o.period_start for o in picked]),
        "bundle": [o.bundle for o in picked],
        "rule": [o.rule for o in picked],
        "tariff_row": [o.tariff_row for o in picked],
        "co_lead_tariff_row": [o.co_lead_tariff_row for o in picked],
        "copayment_rule": [o.rule if o.route == "convention" else "" for o in picked],
        "benefit_rule": [o.rule if o.route == "benefit" else "" for o in picked],
        "version": [o.version for o in picked],
    }, columns=RESULT_COLUMNS, index=claims.index)
