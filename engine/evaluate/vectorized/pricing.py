"""The prices of covered convention sessions: tariff rows (lead and co-lead), co-payment rule, care-path fee."""

from __future__ import annotations

import numpy as np

from engine.errors import PolicyError
from engine.evaluate.vectorized.claims import Claims
from engine.evaluate.vectorized.days import as_dates
from engine.evaluate.vectorized.epochs import Dated
from engine.evaluate.vectorized.matching import first_match
from engine.evaluate.vectorized.output import Output
from engine.policy.conditions import Coded
from engine.policy.coverage import no_tariff_row
from engine.policy.fields import context
from engine.policy.rules import Convention


def price(c: Claims, rows: np.ndarray, conv: Convention, dated: Dated, column, age: np.ndarray, out: Output,
          memo: dict | None = None) -> None:
    """The prices of a convention's rows from its decisions in `out` (covered, opening a period, first individual
    session of the period): the fields the pricing rules read, then `settle`.

    `column` reads claims columns on `rows`; `age` is each row's age on its date; `memo` is kept by a caller that
    prices the same rows with the same decisions again (re-pricing, engine/evaluate/vectorized/matching.py).
    """
    derived = {"age": age, "first_individual_of_period": out.first_individual[rows],
               "leader": Coded(np.zeros(len(rows), np.int8), np.array([conv.lead], object))}
    settle(c, rows, conv, dated, column, derived, out.covered[rows], out.opened[rows], out, memo)


def settle(c: Claims, rows: np.ndarray, conv: Convention, dated: Dated, column, derived: dict, covered, opens,
           out: Output, memo: dict | None = None) -> None:
    """Fees (a group's whole fee), co-payment rules and the care-path fee of the covered claims (`memo`: see
    `price`)."""
    def kept(kind: str) -> dict | None:
        return None if memo is None else memo.setdefault(kind, {})

    tariff = context("tariff_row", column, derived)
    tariff_codes = np.append(out.tariffs.codes(r.id for r in conv.tariff), 0)
    lead, fee = first_match(conv.tariff, tariff, dated, covered, kept("tariff_row"))
    _priced(conv, tariff, dated, covered & (lead < 0))
    out.tariff_row[rows] = tariff_codes[lead]
    co = np.flatnonzero(covered & column("kind").equals("group") & ~column("co_lead").equals(""))
    if len(co):
        sub = {k: v.take(co) if isinstance(v, Coded) else v[co] for k, v in tariff.items()}
        sub["leader"] = column("co_lead").take(co)
        second, extra = first_match(conv.tariff, sub, dated.take(co), np.ones(len(co), bool))
        _priced(conv, sub, dated.take(co), second < 0)
        fee[co] += extra
        out.co_lead_row[rows[co]] = tariff_codes[second]
    chosen, amount = first_match(conv.copayment, context("copayment_rule", column, derived), dated, covered,
                                 kept("copayment_rule"))
    rule_ids = np.append(out.rules.codes(r.id for r in conv.copayment), 0)
    out.copay_rule[rows] = rule_ids[chosen]
    out.fee[rows] = np.where(covered, fee, 0)  # a group's whole fee until it is shared
    out.copay[rows] = amount  # the rule's amount until capped at the fee
    out.care_path[rows] = np.where(opens, dated.cents(conv.care_path_fee), 0)


def _priced(conv: Convention, ctx: dict, dated: Dated, unpriced: np.ndarray) -> None:
    """Refuse, naming the session, when a covered session finds no tariff row (validate refuses such a folder)."""
    if unpriced.any():
        i = int(np.flatnonzero(unpriced)[0])
        session = {name: v.categories[v.codes[i]] if isinstance(v, Coded) else np.asarray(v)[i].item()
                   for name, v in ctx.items()}
        day = as_dates(dated.days[i:i + 1])[0].item()
        raise PolicyError([no_tariff_row(dated.epochs.policies, conv, session, day)])
