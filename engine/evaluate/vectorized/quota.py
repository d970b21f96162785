"""Quota bundles as a transition table over the count vectors a period can hold, and the walk through a period."""

from __future__ import annotations

import functools
import os
import threading

import numpy as np

from engine.evaluate.vectorized.days import NO_DAY
from engine.evaluate.vectorized.epochs import Dated, param
from engine.evaluate.vectorized.layout import Layout
from engine.policy.rules import Convention


def caps_of(conv: Convention, nets: list[str], dated: Dated, claims: int) -> tuple[np.ndarray, np.ndarray]:
    """Caps [regime, bundle, category] and totals [regime, bundle] of every (network type, epoch), bounded for a
    patient with at most `claims` claims (no count can exceed them).

    A total is bounded by the sum of its bundle's caps, which it can never pass. The bound is the most any
    bundle can hold when that is at most twice `claims`, so that the parts of an evaluation, whose
    patients have a few claims more or less, share one table of moves (`quota_moves`); else `claims`.
    """
    n_epochs = len(dated.epochs.first)
    width = max(len(conv.bundles[x]) for x in nets)
    ids = [c.id for c in conv.categories]
    caps = np.zeros((len(nets), n_epochs, width, len(ids)))
    totals = np.zeros((len(nets), n_epochs, width))  # a missing bundle (padding) admits nothing
    for i, name in enumerate(nets):
        for b, bundle in enumerate(conv.bundles[name]):
            for cat, path in bundle.caps.items():
                caps[i, :, b, ids.index(cat)] = param(dated, path, 0)
            totals[i, :, b] = param(dated, bundle.total, np.inf)
    totals = np.minimum(totals, caps.sum(axis=3))
    held = totals.max(initial=0)
    bound = max(held, 1) if held <= 2 * claims else claims  # at least 1: a cap of 1 or more still allows
    caps = np.minimum(caps, bound).astype(np.int32).reshape(-1, width, len(ids))
    return caps, np.minimum(totals, bound).astype(np.int32).reshape(-1, width)


@functools.cache
def _building() -> threading.Lock:
    return threading.Lock()


if hasattr(os, "register_at_fork"):  # a forked process (the simulation's workers) has none of the parent's threads
    os.register_at_fork(after_in_child=_building.cache_clear)


def quota_moves(caps_bytes: bytes, totals_bytes: bytes, shape: tuple):
    """The table of moves of `quota_table`, made once: a part evaluated on another thread waits for it."""
    with _building():
        return quota_table(caps_bytes, totals_bytes, shape)


@functools.lru_cache(maxsize=32)
def quota_table(caps_bytes: bytes, totals_bytes: bytes, shape: tuple):
    """The count vectors a period can hold, and each claim's move between them.

    caps[r, b, c] is the cap of category c in bundle b under regime r, totals[r, b] the bundle's total.
    Returns (vectors [state, category], move [regime, state, category] -> next state or -1 when no
    bundle has room, fitting [regime, state, category] -> the first bundle with room, allowed [regime,
    state, category] -> whether some bundle has a cap of at least 1 for every category of the grown
    vector). State 0 is empty.
    """
    caps = np.frombuffer(caps_bytes, np.int32).reshape(shape)
    totals = np.frombuffer(totals_bytes, np.int32).reshape(shape[:2])
    rows = np.concatenate([caps.reshape(shape[0], -1), totals], axis=1)
    _, first_of, regime_of = np.unique(rows, axis=0, return_index=True, return_inverse=True)
    caps, totals = caps[first_of], totals[first_of]  # each distinct regime once: most epochs repeat their caps
    n_cats = shape[2]
    step = np.eye(n_cats, dtype=np.int32)

    def fits(v: np.ndarray) -> np.ndarray:  # [vector, regime, bundle]
        return (v[:, None, None, :] <= caps).all(axis=3) & (v.sum(axis=1)[:, None, None] <= totals)

    level = np.zeros((1, n_cats), np.int32)
    levels = [level]
    for _ in range(int(totals.max(initial=0))):  # a state counts at most the largest total
        grown = np.unique((level[:, None, :] + step).reshape(-1, n_cats), axis=0)
        level = grown[fits(grown).any(axis=(1, 2))]
        if not len(level):
            break
        levels.append(level)
    vectors = np.concatenate(levels)
    radix = int(caps.max(initial=0)) + 1  # a vector that fits holds at most the largest cap (others: no move)
    weights = radix ** np.arange(n_cats, dtype=np.int64)
    codes = vectors @ weights
    by_code = np.argsort(codes)
    grown = (vectors[:, None, :] + step).reshape(-1, n_cats)  # [state * category]
    room = fits(grown)
    has_room = room.any(axis=2)
    found = np.minimum(np.searchsorted(codes[by_code], grown @ weights), len(codes) - 1)
    target = by_code[found]
    move = np.where(has_room, target[:, None], -1).astype(np.int32)
    first = room.argmax(axis=2).astype(np.int8)
    allowed = ((grown[:, None, None, :] == 0) | (caps >= 1)).all(axis=3).any(axis=2)
    n_states = len(vectors)
    regimes, every = len(caps), regime_of.reshape(-1)
    move, first, allowed = (a.reshape(n_states, n_cats, regimes).transpose(2, 0, 1)[every] for a in (move, first, allowed))
    return vectors, move, first, allowed


def walk(lay: Layout, day, net, eligible, at, move, fitting, cats: int, period_end, conv: Convention):
    """Step through every patient's claims in date order, carrying the period and its counts."""
    n, p = lay.n, lay.patients
    covered, same_day, switch = np.zeros(n, bool), np.zeros(n, bool), np.zeros(n, bool)
    quota_ok, in_period = np.ones(n, bool), np.zeros(n, bool)
    state_before = np.zeros(n, np.int32)
    bundle = np.zeros(n, np.int8)
    start = np.full(n, NO_DAY, np.int32)
    last = np.full(p, NO_DAY, np.int32)  # last covered day
    p_start, p_end = np.full(p, NO_DAY, np.int32), np.full(p, NO_DAY, np.int32)
    p_net = np.full(p, -1, np.int8)
    state = np.zeros(p, np.int32)
    for lo, hi, m in lay.steps():
        d, ok = day[lo:hi], eligible[lo:hi].copy()
        if conv.one_session_per_day:
            same = ok & (last[:m] == d)
            ok &= ~same
            same_day[lo:hi] = same
        inside = d < p_end[:m]
        in_period[lo:hi] = inside
        if conv.one_network_type_per_period:
            other = ok & inside & (p_net[:m] != net[lo:hi])
            ok &= ~other
            switch[lo:hi] = other
        before = np.where(inside, state[:m], 0)
        state_before[lo:hi] = before
        t = at[lo:hi] + before * cats
        nxt = move[t]
        room = nxt >= 0
        quota_ok[lo:hi] = room | ~ok
        cov = ok & room
        covered[lo:hi] = cov
        bundle[lo:hi] = fitting[t]
        start[lo:hi] = p_start[:m]
        np.copyto(state[:m], nxt, where=cov)
        np.copyto(last[:m], d, where=cov)
        opens = cov & ~inside
        np.copyto(p_start[:m], d, where=opens)
        np.copyto(p_end[:m], period_end[lo:hi], where=opens)
        np.copyto(p_net[:m], net[lo:hi], where=opens)
    return covered, same_day, switch, quota_ok, in_period, state_before, bundle, start
