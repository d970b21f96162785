"""Dated values: a history of {from, to, value, source, status} and their resolution on a date.

Periods are explicit once loaded: every entry carries its effective end (the day before the next entry
starts, or the version's end), so that exactly one entry is in force on any date of the history.
"""

from __future__ import annotations

import bisect
import datetime as dt
import functools
from dataclasses import dataclass

import numpy as np

from engine.dates import parse_date
from engine.errors import ResolveError
from engine.policy.provenance import Provenance, provenance
from engine.quantities import quantity


@dataclass(frozen=True)
class Entry(Provenance):
    """One period of a dated value's history."""

    start: dt.date
    end: dt.date | None
    value: float | bool | None

    def overlaps(self, first: dt.date, last: dt.date | None) -> bool:
        """Whether the entry is in force on some day from `first` to `last` (None: no end)."""
        return (last is None or self.start <= last) and (self.end is None or self.end >= first)


DAY = dt.timedelta(days=1)


@dataclass(frozen=True)
class Resolved(Provenance):
    """A dated value on one date, with where it comes from."""

    path: str
    date: dt.date
    value: float | bool | None
    unit: str
    start: dt.date
    end: dt.date | None

    def describe(self) -> str:
        """The value as an analyst reads it: value, unit, validity and source."""
        until = f" to {self.end}" if self.end else ""
        status = " (assumed)" if self.status == "assumed" else ""
        return (f"{self.path} = {quantity(self.value, self.unit)} "
                f"[from {self.start}{until}, source {self.source}{status}]")


@dataclass(frozen=True)
class DatedValue:
    """A parameter whose value changes on fixed dates; entries are ordered and do not overlap."""

    path: str
    unit: str
    entries: tuple[Entry, ...]

    @classmethod
    def from_json(cls, path: str, data: dict, until: dt.date | None = None) -> DatedValue:
        """A dated value of a policy file; `until` is the version's last day (None: open-ended).

        An entry without `to` ends the day before the next one starts, the last one on `until`.
        """
        history = data["history"]
        starts = [parse_date(e["from"]) for e in history]
        ends = [*(s - DAY for s in starts[1:]), until]
        entries = tuple(
            Entry(start, parse_date(e["to"]) if "to" in e else end, e["value"], **provenance(e))
            for start, end, e in zip(starts, ends, history, strict=True)
        )
        return cls(path, data["unit"], entries)

    def entry_at(self, day: dt.date) -> Entry:
        """The entry in force on `day`; a clear error outside the history."""
        i = bisect.bisect_right(self._starts, day) - 1
        found = self.entries[i] if i >= 0 else None
        if found is None or (found.end is not None and day > found.end):
            raise ResolveError(
                f"{self.path}: no value on {day}: its history covers {self.coverage()}")
        return found

    @functools.cached_property
    def _starts(self) -> list[dt.date]:
        return [e.start for e in self.entries]

    def value_at(self, day: dt.date) -> Resolved:
        """The value in force on `day`, with its source."""
        e = self.entry_at(day)
        return Resolved(self.path, day, e.value, self.unit, e.start, e.end, source=e.source, status=e.status, note=e.note)

    def coverage(self) -> str:
        """The dates the history covers, for messages."""
        last = self.entries[-1].end
        return f"{self.entries[0].start} to {last}" if last else f"{self.entries[0].start} onwards"

    def on_dates(self, days: np.ndarray) -> np.ndarray:
        """Values on an array of datetime64[D] dates (float, NaN where the value is null).

        Raises ResolveError when a date falls outside the history, like value_at.
        """
        return self.values()[self.entries_on(days)]

    def values(self) -> np.ndarray:
        """The value of each entry (float, NaN where the value is null)."""
        return np.array([np.nan if e.value is None else float(e.value) for e in self.entries])

    def entries_on(self, days: np.ndarray) -> np.ndarray:
        """The entry in force on each of an array of datetime64[D] dates (its index into `entries`); a ResolveError
        when a date falls outside the history, like value_at."""
        idx, known = self.entries_in_force(days)
        if not known.all():
            first = days[~known].min()
            raise ResolveError(
                f"{self.path}: no value on {first}: its history covers {self.coverage()}")
        return idx

    def entries_in_force(self, days: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The entry in force on each of an array of datetime64[D] dates (its index into `entries`), and whether one
        is: not on a date outside the history."""
        starts = np.array([e.start for e in self.entries], dtype="datetime64[D]")
        idx = np.searchsorted(starts, days, side="right") - 1
        ends = np.array([e.end or dt.date.max for e in self.entries], dtype="datetime64[D]")
        return idx, (idx >= 0) & (days <= ends[np.clip(idx, 0, None)])
