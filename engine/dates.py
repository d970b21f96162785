"""Date parsing and calendar-month arithmetic shared by the rules."""

from __future__ import annotations

import calendar
import datetime as dt

import numpy as np

from engine.limits import limits

Date = dt.date


def parse_date(text: str) -> Date:
    """Parse an ISO date (YYYY-MM-DD) within the supported dates; raise ValueError naming what is wrong."""
    if isinstance(text, dt.datetime):
        text = text.date()
    if isinstance(text, dt.date):
        return supported(text)
    try:
        day = dt.date.fromisoformat(str(text).strip())
    except ValueError:
        raise ValueError(f"expected a date YYYY-MM-DD, found {text!r}") from None
    return supported(day)


def supported(day: Date) -> Date:
    """The date itself when the engine supports it (see policy/schema/limits.json); a ValueError otherwise."""
    bounds = limits()
    if not bounds.first_date <= day <= bounds.last_date:
        raise ValueError(f"expected a date from {bounds.first_date} to {bounds.last_date} (the dates carepolicy "
                         f"supports), found {day}")
    return day


def add_months(day: Date, months: int) -> Date:
    """The same day `months` calendar months later, clipped to the month's last day."""
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return dt.date(year, month + 1, min(day.day, last))


def age_on(birth: Date, day: Date) -> int:
    """Age in whole years on `day`."""
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def add_months_days(days: np.ndarray, months: np.ndarray) -> np.ndarray:
    """Vectorized add_months on datetime64[D] arrays (months per element)."""
    d = days.astype("datetime64[D]")
    month = d.astype("datetime64[M]")
    day_index = (d - month.astype("datetime64[D]")).astype(np.int64)
    target = month + np.asarray(months, dtype=np.int64).astype("timedelta64[M]")
    length = ((target + 1).astype("datetime64[D]") - target.astype("datetime64[D]")).astype(np.int64)
    return target.astype("datetime64[D]") + np.minimum(day_index, length - 1).astype("timedelta64[D]")


def civil(days: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(year, month, day) of datetime64[D] arrays, in integer arithmetic (proleptic Gregorian)."""
    z = days.astype("datetime64[D]").astype(np.int64) + 719468
    era = z // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    day = doy - (153 * mp + 2) // 5 + 1
    month = np.where(mp < 10, mp + 3, mp - 9)
    return yoe + era * 400 + (month <= 2), month, day


def _date_keys(days: np.ndarray) -> np.ndarray:
    """year * 512 + month * 32 + day of int64 day numbers: keys in date order whose difference, shifted right by 9
    bits, is a whole number of years (a month and day never reach 512)."""
    year, month, day = civil(days.view("datetime64[D]"))
    return year * 512 + month * 32 + day


def age_in_days(births: np.ndarray, days: np.ndarray) -> np.ndarray:
    """Vectorized age_on for integer day numbers (days since 1970-01-01, int32 or int64): age in whole years (int32
    through the table, int64 otherwise).

    The keys come from a table of the dates' span when that is shorter than the arrays (birth dates
    and session dates of claims span a century or so), so each age costs two look-ups.
    """
    if not len(births):
        return np.zeros(0, np.int64)
    first = min(int(births.min()), int(days.min()))
    span = max(int(births.max()), int(days.max())) - first + 1
    if span > len(births) + len(days):
        return (_date_keys(days.astype(np.int64)) - _date_keys(births.astype(np.int64))) >> 9
    keys = _date_keys(np.arange(first, first + span, dtype=np.int64)).astype(np.int32)
    return (keys[days - first] - keys[births - first]) >> 9


def ages_on(births: np.ndarray, days: np.ndarray) -> np.ndarray:
    """Vectorized age_on for datetime64[D] arrays (int64)."""
    return age_in_days(births.astype("datetime64[D]").view(np.int64),
                       days.astype("datetime64[D]").view(np.int64)).astype(np.int64, copy=False)
