"""Convention sessions: eligibility, the quota period and its bundles, then the prices."""

from __future__ import annotations

import numpy as np

from engine.evaluate.vectorized.claims import Claims, columns
from engine.evaluate.vectorized.days import NO_DAY, add_months, ages
from engine.evaluate.vectorized.epochs import Dated, Epochs, param
from engine.evaluate.vectorized.layout import Layout
from engine.evaluate.vectorized.output import Output, R
from engine.evaluate.vectorized.pricing import price
from engine.evaluate.vectorized.quota import caps_of, quota_moves, walk
from engine.policy.conditions import Coded
from engine.policy.rules import Convention


def convention(c: Claims, lay: Layout, conv: Convention, epochs: Epochs, out: Output) -> None:
    rows = lay.rows
    day = c.day[rows]
    dated = Dated(epochs, day)
    text = {f: c.text[f].take(rows) for f in ("kind", "network", "care", "setting", "co_lead")}
    age = ages(c.birth[rows], day)
    nets = list(conv.bundles)
    net = text["network"].lookup({x: i for i, x in enumerate(nets)}, -1, np.int8)
    category, care_named = _categories(conv, text["care"], text["kind"])
    # regimes: (network type, epoch) -> age band, caps of each bundle
    n_epochs = len(epochs.first)
    regime = net.astype(np.int32) * n_epochs + dated.epoch
    low = np.concatenate([param(dated, conv.age_bands[x].get("min_age"), -np.inf) for x in nets])
    high = np.concatenate([param(dated, conv.age_bands[x].get("max_age"), np.inf) for x in nets])
    low, high = (np.clip(np.ceil(low), -9999, 9999).astype(np.int16), np.clip(np.floor(high), -9999, 9999).astype(np.int16))
    age_ok = (age >= low[regime]) & (age <= high[regime])  # whole ages: a band's bounds as whole numbers
    static = np.select([~care_named, category < 0, ~age_ok], [R["care_missing"], R["no_category"], R["age_not_eligible"]],
                       0).astype(np.int32)
    caps, totals = caps_of(conv, nets, dated, len(lay.starts) - 1)  # the most claims of one patient
    vectors, move, fitting, allowed = quota_moves(caps.tobytes(), totals.tobytes(), caps.shape)
    n_states = len(vectors)
    move, fitting, allowed = move.ravel(), fitting.ravel(), allowed.ravel()
    cats = len(conv.categories)
    at = (regime * n_states) * cats + np.maximum(category, 0)
    months = np.nan_to_num(dated.per_epoch(conv.period_months)).astype(np.int64)
    distinct = np.unique(months[dated.used])
    period_end = add_months(day, distinct[0] if len(distinct) == 1 else months[dated.epoch])
    covered, same_day, switch, quota_ok, in_period, state_before, bundle, start = walk(
        lay, day, net, static == 0, at, move, fitting, cats, period_end, conv)
    full = allowed[at + state_before * cats]
    why = np.select([same_day, switch, ~quota_ok & full, ~quota_ok],
                    [R["one_session_per_day"], R["network_switch"], R["quota_exhausted"], R["combination_not_allowed"]],
                    static)
    reached = ~same_day & (static == 0)
    opens = covered & ~in_period
    period_start = np.where(opens, day, np.where(reached & in_period, start, NO_DAY))
    counted = np.array([c.id in conv.first_individual for c in conv.categories])
    none_counted = (vectors[:, counted].sum(axis=1) == 0)
    out.scheme[rows] = out.schemes.code(conv.id)
    out.covered[rows] = covered
    out.reason[rows] = np.where(covered, 0, why)
    out.period_start[rows] = period_start
    out.opened[rows] = opens
    out.first_individual[rows] = covered & counted[np.maximum(category, 0)] & none_counted[state_before]
    names = [out.bundles.codes(b.id for b in conv.bundles[x]) for x in nets]
    width = max(len(x) for x in names)
    table = np.concatenate([np.pad(x, (0, width - len(x))) for x in names])
    out.bundle[rows] = np.where(covered, table[np.maximum(net, 0).astype(np.int32) * width + bundle], 0)
    price(c, rows, conv, dated, columns(c, rows, text, day), age, out)


def _categories(conv: Convention, care: Coded, kind: Coded) -> tuple[np.ndarray, np.ndarray]:
    """Each row's index in the convention's categories (-1: none for its care type and kind), and whether it names a care type."""
    cares, kinds = (list(dict.fromkeys(getattr(c, part) for c in conv.categories)) for part in ("care", "kind"))
    by_parts = np.full((len(cares) + 1, len(kinds) + 1), -1, np.int16)  # last row and column: other values
    for k, cat in enumerate(conv.categories):
        by_parts[cares.index(cat.care), kinds.index(cat.kind)] = k
    category = by_parts[care.lookup({x: i for i, x in enumerate(cares)}, -1, np.int16),
                        kind.lookup({x: i for i, x in enumerate(kinds)}, -1, np.int16)]
    return category, care.lookup({x: x != "" for x in care.categories}, False, bool)
