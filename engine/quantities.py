"""Values with their units as analysts write them: `EUR 12.50`, `4 months`, `1 month`, `the 24th`, `yes`, `not in force`.

Every command and message that prints a policy value goes through `quantity`, so that no raw
`None`, `True` or `1 months` reaches a reader.
"""

from __future__ import annotations

from engine.money import cents

NOT_IN_FORCE = "not in force"
COUNTED = {"sessions": "session", "months": "month", "years": "year", "points": "point", "providers": "provider"}
"""Units counted in whole things: plural and singular."""


def number(value: float) -> str:
    """A number without a needless '.0': 13, 5.5, 1,234."""
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,}"


def amount(cents_amount: int) -> str:
    """Whole cents as a number of euros with thousands separators, exactly: 1,234.50, -2.50."""
    whole, rest = divmod(abs(int(cents_amount)), 100)
    return f"{'-' if cents_amount < 0 else ''}{whole:,}.{rest:02d}"


def euro_cents(cents_amount: int) -> str:
    """Whole cents as an analyst writes the amount, exactly: EUR 1,234.50, -EUR 2.50."""
    return f"{'-' if cents_amount < 0 else ''}EUR {amount(abs(int(cents_amount)))}"


def euros(value: float) -> str:
    """A euro amount (a policy value or a result column): EUR 12.50, EUR 1,234.00, -EUR 2.50."""
    return euro_cents(cents(value))


def ordinal(day: int) -> str:
    """1st, 2nd, 3rd, 4th, 11th, 12th, 13th, 21st, ..."""
    teen = f"{day:02d}"[-2] == "1"  # 11th, 12th, 13th
    suffix = "th" if teen else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
    return f"{day}{suffix}"


def quantity(value, unit: str) -> str:
    """A policy value with its unit, as an analyst writes it."""
    if value is None:
        return NOT_IN_FORCE
    if isinstance(value, bool) or unit == "flag":
        return "yes" if value else "no"
    if not isinstance(value, int | float):
        return f"{value} {unit}"
    if unit == "EUR":
        return euros(value)
    if unit == "EUR/month":
        return f"{euros(value)} a month"
    if unit == "day" and float(value).is_integer():
        return f"the {ordinal(int(value))}"
    if unit == "percent":
        return f"{number(value)}%"
    if unit == "share":
        return f"{number(round(value * 100, 6))}%"
    if unit == "factor":
        return f"× {number(value)}"
    if unit in COUNTED:
        return f"{number(value)} {COUNTED[unit] if value == 1 else unit}"
    return f"{number(value)} {unit}"
