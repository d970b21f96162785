"""The evaluation of a claims frame: validity, the convention and the benefits per part of the patients, group fees."""

from __future__ import annotations

import numpy as np
import pandas as pd

from engine.evaluate.groups import share_cents
from engine.evaluate.vectorized import threads
from engine.evaluate.vectorized.benefits import benefits
from engine.evaluate.vectorized.claims import Claims
from engine.evaluate.vectorized.convention import convention
from engine.evaluate.vectorized.days import in_force
from engine.evaluate.vectorized.epochs import Epochs, epochs_of
from engine.evaluate.vectorized.invalid import invalid_reasons
from engine.evaluate.vectorized.layout import layout
from engine.evaluate.vectorized.output import Output, R
from engine.policy.policies import PolicySet
from engine.policy.rules import rules_of


def evaluate_vectorized(claims: pd.DataFrame, policies: PolicySet) -> pd.DataFrame:
    """Evaluate a normalized claims frame; same results as the reference evaluator, in input order."""
    return evaluate_arrays(Claims(claims), policies).frame(claims)


def evaluate_arrays(c: Claims, policies: PolicySet, benefits_of: Output | None = None) -> Output:
    """Evaluate claims as arrays: the result arrays (amounts in cents, texts as codes) in input order.

    `benefits_of`, an evaluation of the same claims under policies whose supplementary benefits read
    the same (`same_benefits`), gives the results of the sessions outside the convention as they are:
    nothing of the convention acts on them.

    The simulation prepares a `Claims` once per draw and evaluates it under every scenario.
    """
    out = Output(len(c.day))
    evaluate_valid(c, np.flatnonzero(invalid_reasons(c, out)), policies, out, benefits_of)
    return out


def evaluate_valid(c: Claims, valid: np.ndarray, policies: PolicySet, out: Output,
                   benefits_of: Output | None = None) -> None:
    """Evaluate the valid rows `valid` (every claim of their patients, marked by `invalid_reasons`) into `out`, then
    share the group fees of every row of `out`.

    Large sets of rows are split into parts of whole patients, evaluated on two threads (numpy releases
    the GIL) when a core is free for the second (engine/evaluate/vectorized/threads.py); group fees are
    shared once all are done, as groups span patients.
    """
    valid = valid.astype(np.int32 if len(c.day) < 2**31 else np.int64)
    rules = rules_of(policies)
    out.know(rules)
    epochs = epochs_of(policies)
    outside = c.text["network"].equals("")
    if len(valid) < threads.THREADED:
        _evaluate_rows(c, valid, outside, rules, epochs, out, benefits_of)
    else:  # parts of whole patients (ranges of patient codes: near rows when codes follow the rows), two at a time
        parts = max(2, -(-len(valid) // threads.PART))
        patient = c.patient[valid].astype(np.int64)
        part = (patient * parts // (int(patient.max()) + 1)).astype(np.int16)
        bounds = np.r_[0, np.cumsum(np.bincount(part, minlength=parts))]
        valid = valid[np.argsort(part, kind="stable")]
        list(threads.mapper(len(valid))(
            lambda i: _evaluate_rows(c, valid[bounds[i]:bounds[i + 1]], outside, rules, epochs, out, benefits_of),
            range(parts)))
    share_group_fees(c, outside, out)


def _evaluate_rows(c: Claims, rows: np.ndarray, outside: np.ndarray, rules, epochs: Epochs, out: Output,
                   benefits_of: Output | None) -> None:
    """Evaluate the valid rows `rows` (all claims of their patients) into `out`."""
    conv_rows = rows[~outside[rows]]
    reason = np.full(len(conv_rows), R["not_in_force"], np.int32)
    for conv in rules.conventions:
        mine = (reason == R["not_in_force"]) & in_force(c.day[conv_rows], conv)
        if mine.any():
            convention(c, layout(c, conv_rows[mine]), conv, epochs, out)
            reason[mine] = 0
    out.reason[conv_rows[reason > 0]] = reason[reason > 0]
    benefit_rows = rows[outside[rows]]
    if benefits_of is not None:
        out.take(benefits_of, benefit_rows)
    elif len(benefit_rows):
        benefits(c, benefit_rows, rules.supplementary, epochs, out)


def share_group_fees(c: Claims, outside: np.ndarray, out: Output) -> None:
    """Share each group's fee among its covered participants to the cent; then cap the co-payments at the fee."""
    g = np.flatnonzero(out.covered & (c.group >= 0) & ~outside)
    if len(g):
        out.fee[g] = share_cents(c.group[g], c.id_order(g), out.fee[g])
    np.minimum(out.copay, out.fee, out=out.copay)
    np.subtract(out.fee, out.copay, out=out.insurer)
