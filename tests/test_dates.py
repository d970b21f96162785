"""The vectorized age equals the rule's age (engine.dates.age_on) on every date, by both of its paths."""

from __future__ import annotations

import calendar
import datetime as dt

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.dates import age_in_days, age_on, ages_on
from engine.evaluate.vectorized.days import ages

EPOCH = dt.date(1970, 1, 1)
dates = st.dates(dt.date(1900, 1, 1), dt.date(2100, 12, 31))
leap_days = st.sampled_from([dt.date(y, 2, 29) for y in (1904, 1960, 2000, 2004, 2024)])
near_birthdays = st.sampled_from([dt.date(y, m, d) for y in (2023, 2024, 2025, 2100) for m, d in
                                  ((2, 28), (2, 29), (3, 1), (12, 31), (1, 1))
                                  if not (m == 2 and d == 29 and not calendar.isleap(y))])


def _numbers(days: list[dt.date]) -> np.ndarray:
    return np.array([(d - EPOCH).days for d in days], np.int64)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.one_of(dates, leap_days), st.one_of(dates, near_birthdays)), min_size=1, max_size=40),
       st.integers(0, 3))
def test_ages_equal_the_rules_age_by_the_table_and_without(pairs, repeat):
    """Repeating the pairs makes the arrays longer than the dates' span, so the ages come from a table of keys; a few
    pairs over a wide span are computed directly."""
    pairs = pairs * (1 + repeat * 2000)
    births, days = _numbers([b for b, _ in pairs]), _numbers([d for _, d in pairs])
    expected = np.array([age_on(b, d) for b, d in pairs[:40]])
    assert np.array_equal(age_in_days(births, days)[:40], expected)
    assert np.array_equal(age_in_days(births.astype(np.int32), days.astype(np.int32))[:40], expected)
    assert np.array_equal(ages(births.astype(np.int32), days.astype(np.int32))[:40], expected)
    assert np.array_equal(ages_on(births.view("datetime64[D]"), days.view("datetime64[D]"))[:40], expected)


def test_the_day_before_a_birthday_and_the_birthday():
    born = [dt.date(2004, 2, 29), dt.date(2004, 2, 29), dt.date(2004, 2, 29), dt.date(1990, 12, 31),
            dt.date(1990, 12, 31)]
    on = [dt.date(2025, 2, 28), dt.date(2025, 3, 1), dt.date(2028, 2, 29), dt.date(2025, 12, 30),
          dt.date(2025, 12, 31)]
    assert age_in_days(_numbers(born), _numbers(on)).tolist() == [20, 21, 24, 34, 35]
    assert age_in_days(np.zeros(0, np.int32), np.zeros(0, np.int32)).tolist() == []
