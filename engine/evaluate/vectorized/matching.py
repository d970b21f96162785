"""The first rule of a list whose condition holds on each claim, and its amount (tariff rows, co-payment rules)."""

from __future__ import annotations

import numpy as np

from engine.evaluate.vectorized.epochs import Dated
from engine.money import cents
from engine.policy.conditions import Coded, leaves, mask
from engine.policy.rules import Priced

ROWS_PER_COMBINATION = 8  # rules are evaluated per combination of values when there are this many rows per combination


def first_match(rules: tuple[Priced, ...], ctx: dict, dated: Dated, where: np.ndarray,
                memo: dict | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(rule index or -1, amount in cents) of the first rule whose condition holds, on rows `where`.

    When the fields the rules read (and the epoch, for dated thresholds) take few combinations of
    values, the rules are evaluated once per combination and each row looks its combination up.
    `memo`, kept by a caller that matches rules reading the same fields on the same field values
    again (re-pricing), holds each row's combination of field values from one call to the next.
    """
    conditions = [leaf for r in rules for leaf in leaves(r.when)]
    fields = sorted({leaf.field for leaf in conditions})
    dated_levels = any(leaf.path for leaf in conditions)
    remembered = memo is not None and memo.get("fields") == fields
    levels = [] if remembered else [_levels(ctx[f]) for f in fields]
    domains = memo["domains"] if remembered else [domain for _, domain in levels]
    epochs = len(dated.epochs.first)
    shape = [len(domain) for domain in domains if domain is not None] + ([epochs] if dated_levels else [])
    if not shape or any(domain is None for domain in domains) or np.prod(shape, dtype=float) * ROWS_PER_COMBINATION > len(where):
        chosen = _first_rule(rules, ctx, dated, where)
    else:
        if remembered:
            combination = memo["combination"]
        else:
            combination = np.ravel_multi_index([level for level, _ in levels], shape[:len(fields)]) if fields else None
            if memo is not None:
                memo.update(fields=fields, domains=domains, combination=combination)
        grid = np.unravel_index(np.arange(int(np.prod(shape))), shape)
        combos = {f: domain.take(at) if isinstance(domain, Coded) else domain[at]
                  for f, domain, at in zip(fields, domains, grid[:len(fields)], strict=True)}
        per_combo = _first_rule(rules, combos, dated.on_epochs(grid[-1]) if dated_levels else dated, np.ones(len(grid[0]), bool))
        key = combination  # each row's combination of field values, with its epoch when a threshold is dated
        if dated_levels:
            key = dated.epoch if combination is None else combination * epochs + dated.epoch
        chosen = np.where(where, per_combo[key], -1).astype(np.int8)
    amounts = np.concatenate([cents(dated.per_epoch(r.amount)) for r in rules]
                             + [np.zeros(epochs, np.int64)])
    at = np.where(chosen < 0, len(rules), chosen).astype(np.int32) * epochs + dated.epoch
    return chosen, amounts[at]


def _levels(values) -> tuple[np.ndarray, object]:
    """(each row's position in the field's domain, the domain), or (None, None) for a field with many values."""
    if isinstance(values, Coded):
        return values.codes.astype(np.int32) + 1, Coded(np.arange(-1, len(values.categories)), values.categories)
    if values.dtype == bool:
        return values.view(np.int8), np.array([False, True])
    if values.dtype.kind == "i" and len(values):
        low, high = int(values.min()), int(values.max())
        if high - low >= len(values):  # more possible values than rows: no table pays off
            return None, None
        return (values - low).astype(np.int32), np.arange(low, high + 1, dtype=values.dtype)
    return None, None


def _first_rule(rules: tuple[Priced, ...], ctx: dict, dated: Dated, where: np.ndarray) -> np.ndarray:
    """The index of the first rule whose condition holds on each row of `where`, else -1."""
    chosen = np.full(len(where), -1, np.int8)
    left = where.copy()
    for i, rule in enumerate(rules):
        if not left.any():
            break
        hit = left & mask(rule.when, ctx, dated)
        np.copyto(chosen, i, where=hit)
        left &= ~hit
    return chosen
