"""Money in whole cents: amounts are exact integers until they are written out in euros."""

from __future__ import annotations

import numpy as np


def cents(euros: float) -> int:
    """Euros from a policy file as whole cents."""
    return int(round(euros * 100))


def percent_of(cents_amount, percent):
    """`percent` % of an amount in cents, rounded half up to a cent (scalars or arrays)."""
    exact = np.asarray(cents_amount, dtype=np.int64) * np.asarray(percent, dtype=np.float64) / 100.0
    out = np.floor(exact + 0.5 + 1e-9).astype(np.int64)
    return int(out) if out.ndim == 0 else out


def share(total_cents: int, n: int) -> list[int]:
    """Split an amount over n parts that add up to it exactly; earlier parts get the spare cents."""
    base, spare = divmod(total_cents, n)
    return [base + (1 if i < spare else 0) for i in range(n)]
