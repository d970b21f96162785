"""Claims columns read in bulk agree with reading them one value at a time: dates (Arrow for plain ISO dates)
with the one reader, engine.cells.read_date; repeated claim ids with a scan from the top."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.cells import read_date
from engine.claims.normalize import _dates, duplicate_problems
from engine.limits import limits

TRICKY = ["2024-02-29", "2023-02-29", "2023-02-30", "2024-04-31", "2024-13-01", "2024-00-10", "2024-01-00",
          "0000-01-01", "0001-01-01", "1899-12-31", "1900-01-01", "2199-12-31", "9999-12-31", "2024-1-05",
          "05/03/2024", "5/3/2024", "31/02/2024", "2024-03-04 10:00", "2024-03-04T10:00:00", "", "２０２４-03-04",
          "2024-03-04\n", "+2024-03-04", "20240304", "2024/03/04"]


def expected(values: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    first, last = limits().first_date, limits().last_date
    days, unread, outside = [], [], []
    for value in values:
        day = read_date(value) if value else None
        inside = day is not None and first <= day <= last
        days.append(np.datetime64(day, "D") if inside else np.datetime64("NaT", "D"))
        unread.append(day is None)
        outside.append(day is not None and not inside)
    return np.array(days, "datetime64[D]"), np.array(unread), np.array(outside)


def check(values: list[str]) -> None:
    got, want = _dates(values), expected(values)
    for g, w in zip(got, want, strict=True):
        np.testing.assert_array_equal(g, w)


def test_tricky_dates_read_as_the_one_reader_reads_them():
    check(TRICKY)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.dates().map(str), st.dates().map(lambda d: d.strftime("%d/%m/%Y")),
                          st.text(alphabet="0123456789-/. T:", max_size=19)), max_size=30))
def test_any_date_text_reads_as_the_one_reader_reads_it(values):
    check(values)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["", "a", "b", "c", "=d", "é"]), st.booleans()), max_size=40))
def test_a_repeated_claim_id_is_named_on_every_later_row_with_its_first(rows):
    ids = [i for i, _ in rows]
    invalid = np.array(["invalid: kind: …" if bad else "" for _, bad in rows], dtype=object)
    numbers = np.arange(5, 5 + len(rows))
    first: dict[str, int] = {}
    want = []
    for claim_id, number, reason in zip(ids, numbers, invalid, strict=True):
        seen = first.setdefault(claim_id, number)
        repeated = claim_id != "" and seen != number and reason == ""
        want.append(f"invalid: claim_id: expected a claim id used once, found '{claim_id}' (first on row {seen})"
                    if repeated else "")
    assert duplicate_problems(ids, numbers, invalid).tolist() == want


@pytest.mark.parametrize("ids, repeated", [(["C1", "C2", "C3"], []), (["C1", "C2", "C2"], [2]), (["", ""], []),
                                           (["C2", "C1", "C2"], [2]), (["C10", "C9", "C10"], [2])])
def test_ids_in_increasing_order_are_known_distinct_and_others_are_compared(ids, repeated):
    problems = duplicate_problems(ids, np.arange(1, len(ids) + 1), np.full(len(ids), "", dtype=object))
    assert [i for i, p in enumerate(problems) if p] == repeated
