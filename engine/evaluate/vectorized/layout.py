"""The step-major layout of one scheme's claims (see the package docstring)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np

from engine.evaluate.vectorized.claims import Claims


@dataclass
class Layout:
    """Rows of one scheme in step-major order: step k is rows[starts[k]:starts[k+1]]."""

    rows: np.ndarray  # input positions
    starts: list[int]

    @property
    def n(self) -> int:
        return len(self.rows)

    @property
    def patients(self) -> int:
        return self.starts[1] - self.starts[0] if len(self.starts) > 1 else 0

    def steps(self):
        """(lo, hi, m) per step: the slice of the step's claims and how many patients are active."""
        for lo, hi in zip(self.starts[:-1], self.starts[1:], strict=True):
            yield lo, hi, hi - lo

    def previous(self, values: np.ndarray, none) -> np.ndarray:
        """The value of each claim's predecessor of the same patient (`none` for first claims)."""
        out = np.full(self.n, none, dtype=values.dtype)
        for k in range(1, len(self.starts) - 1):
            lo, hi, before = self.starts[k], self.starts[k + 1], self.starts[k - 1]
            out[lo:hi] = values[before:before + hi - lo]
        return out


def layout(claims: Claims, rows: np.ndarray) -> Layout:
    """Lay out `rows` step-major (see the module docstring); kept on `claims`, which the simulation evaluates under
    every scenario, so the same rows are laid out once."""
    key = hashlib.blake2b(rows.tobytes(), digest_size=16).digest()
    if key not in claims.layouts:
        claims.layouts[key] = _layout(claims, rows)
    return claims.layouts[key]


def _layout(claims: Claims, rows: np.ndarray) -> Layout:
    n = len(rows)
    if not n:
        return Layout(rows, [0])
    day = claims.day[rows]
    first, span = int(day.min()), int(day.max()) - int(day.min()) + 1
    key = claims.patient[rows].astype(np.int64) * span + (day - first)
    if int(key.max()) < 2**32:
        key = key.astype(np.uint32)
    order = np.argsort(key)
    skey = key[order]
    del key, day
    tie = np.flatnonzero(skey[1:] == skey[:-1])
    if len(tie):  # the same patient and day: by claim id
        pos = np.unique(np.r_[tie, tie + 1])
        order[pos] = order[pos][np.lexsort((claims.ids(rows[order[pos]]), skey[pos]))]
    sp = skey // span  # the patient of each sorted claim
    starts = np.r_[0, np.flatnonzero(sp[1:] != sp[:-1]) + 1]
    del sp, skey
    counts = np.diff(np.r_[starts, n])
    slot = np.empty(len(counts), np.int64)
    slot[np.argsort(-counts, kind="stable")] = np.arange(len(counts))
    active = len(counts) - np.cumsum(np.bincount(counts))[:-1]  # patients with more than k claims
    offset = np.r_[0, np.cumsum(active)]
    at = np.arange(n) - np.repeat(starts, counts)  # rank of each claim among its patient's
    at = offset[at] + np.repeat(slot, counts)
    out = np.empty(n, rows.dtype)
    out[at] = rows[order]
    return Layout(out, offset.tolist())
