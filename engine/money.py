"""Money in whole cents: amounts are exact integers from reading until they are written out in euros.

One rounding rule holds everywhere (policy/readings.md, "Rounding to the cent"): an amount is
rounded to the cent once, half up, when it is read (a policy value, a scenario's result, a claims
file's text) or computed (a percentage of a fee). `cents` is the one conversion of euros to cents.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import numpy as np

PERCENT_SCALE = 10**6
"""A percentage counts to this fraction of a percent (six decimals); `percent_of` is exact at this scale."""
_ON_A_CENT = 1e-6  # how far from a whole cent a float amount in cents may be and still be that cent


def cents(euros):
    """Euros as whole cents, rounded half up: the one conversion of an amount in euros.

    Takes the text of a claims file ("75,50", "75.505"), a number of a policy file or scenario, or
    an array of floats (NaN, no amount, counts 0); returns an int, or an int64 array. A float is
    taken as the shortest decimal that reads back as it (75.505 is 75.505, not 75.50499…).
    """
    if isinstance(euros, np.ndarray | list | tuple) or hasattr(euros, "to_numpy"):
        return _cents_array(np.asarray(euros, dtype=np.float64))
    return int(_decimal(euros).scaleb(2).to_integral_value(ROUND_HALF_UP))


def rounded(value: float, decimals: int) -> float | int:
    """A number rounded half up to `decimals` places by the same rule (a scenario's `decimals`: 2 is cents)."""
    exact = _decimal(value).quantize(Decimal(1).scaleb(-decimals), ROUND_HALF_UP)
    return int(exact) if decimals == 0 else float(exact)


def _decimal(value) -> Decimal:
    """The decimal a text, number or float stands for (a float: its shortest decimal)."""
    if isinstance(value, str):
        return Decimal(value.strip().replace(",", "."))
    if isinstance(value, Decimal | int):
        return Decimal(value)
    return Decimal(repr(float(value)))


def _cents_array(euros: np.ndarray) -> np.ndarray:
    """`cents` of each float; amounts on a whole cent (nearly all) take the fast path, the others one by one."""
    hundredfold = np.nan_to_num(euros) * 100
    whole = np.rint(hundredfold)
    out = whole.astype(np.int64)
    off = np.flatnonzero(np.abs(hundredfold - whole) > _ON_A_CENT)
    if len(off):
        values, at = np.unique(euros[off], return_inverse=True)
        out[off] = np.array([cents(float(v)) for v in values], dtype=np.int64)[at]
    return out


def percent_of(cents_amount, percent):
    """`percent` % of an amount in cents, rounded half up to a cent, exactly (scalars or arrays).

    The percentage counts to PERCENT_SCALE (six decimals, itself rounded half up); the product is
    taken in integers, so a half cent is recognised as one and rounded up, whatever its size.
    """
    amount = np.asarray(cents_amount, dtype=np.int64)
    scaled = np.floor(np.asarray(percent, dtype=np.float64) * PERCENT_SCALE + 0.5).astype(np.int64)
    whole = 100 * PERCENT_SCALE
    out = (2 * amount * scaled + whole) // (2 * whole)
    return int(out) if out.ndim == 0 else out


def share(total_cents: int, n: int) -> list[int]:
    """Split an amount over n parts that add up to it exactly; earlier parts get the spare cents."""
    base, spare = divmod(total_cents, n)
    return [base + (1 if i < spare else 0) for i in range(n)]
