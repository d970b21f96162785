"""Date parsing and calendar-month arithmetic shared by the rules."""

from __future__ import annotations

import calendar
import datetime as dt

Date = dt.date


def parse_date(text: str) -> Date:
    """Parse an ISO date (YYYY-MM-DD); raise ValueError with the text otherwise."""
    if isinstance(text, dt.datetime):
        return text.date()
    if isinstance(text, dt.date):
        return text
    try:
        return dt.date.fromisoformat(str(text).strip())
    except ValueError:
        raise ValueError(f"expected a date YYYY-MM-DD, found {text!r}") from None


def add_months(day: Date, months: int) -> Date:
    """The same day `months` calendar months later, clipped to the month's last day."""
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return dt.date(year, month + 1, min(day.day, last))


def age_on(birth: Date, day: Date) -> int:
    """Age in whole years on `day`."""
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))
