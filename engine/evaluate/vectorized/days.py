"""Dates as int32 day numbers (days since 1970-01-01): conversions, ages, months added, validity."""

from __future__ import annotations

import numpy as np
import pandas as pd

from engine.dates import add_months_days, age_in_days

NO_DAY = np.iinfo(np.int32).min  # "no date" in int32 day numbers


def as_dates(days: np.ndarray) -> np.ndarray:
    """int32 day numbers as datetime64[D]."""
    return days.astype(np.int64).view("datetime64[D]")


def day_numbers(column: pd.Series) -> np.ndarray:
    """Dates as int32 days since 1970-01-01 (NaT becomes NO_DAY)."""
    days = column.to_numpy().astype("datetime64[D]").view(np.int64)
    return np.maximum(days, NO_DAY).astype(np.int32)


def ages(birth: np.ndarray, days: np.ndarray) -> np.ndarray:
    """Age in whole years on each day (int32 day numbers): the one age computation of engine.dates."""
    return age_in_days(birth, days).astype(np.int16)


def per_day(days: np.ndarray, fn, axis: int = 0) -> np.ndarray:
    """fn(days), computed once per distinct day when the days span fewer dates than there are rows."""
    if not len(days):
        return fn(days)
    first = int(days.min())
    span = int(days.max()) - first + 1
    if span >= len(days):
        return fn(days)
    return np.take(fn(np.arange(first, first + span, dtype=np.int32)), days - first, axis=axis)


def add_months(days: np.ndarray, months: np.ndarray | int) -> np.ndarray:
    """add_months on int32 day numbers; `months` one number, or one per day with few distinct values."""
    def shifted(d: np.ndarray, m: int) -> np.ndarray:
        return per_day(d, lambda x: _as_days(add_months_days(as_dates(x), np.full(len(x), m))))
    if np.ndim(months) == 0:
        return shifted(days, int(months))
    out = np.empty_like(days)
    for m in np.unique(months):
        on = months == m
        out[on] = shifted(days[on], int(m))
    return out


def _as_days(dates: np.ndarray) -> np.ndarray:
    return dates.astype("datetime64[D]").astype(np.int32)


def in_force(day: np.ndarray, rule) -> np.ndarray:
    """Claims whose date falls in a convention's or benefit's validity."""
    ok = day >= np.datetime64(rule.start, "D").astype(np.int64)
    return ok & (day <= np.datetime64(rule.end, "D").astype(np.int64)) if rule.end else ok
