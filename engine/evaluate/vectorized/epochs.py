"""Dated values resolved once per epoch (a stretch of days in which no dated value changes), per claim."""

from __future__ import annotations

import datetime as dt
import weakref

import numpy as np

from engine.evaluate.vectorized.days import as_dates, per_day
from engine.money import cents
from engine.policy.policies import PolicySet


class Epochs:
    """Every dated value of a policy set resolved once per epoch; cached per policy set."""

    def __init__(self, policies: PolicySet):
        self.policies = policies
        entries = [e for v in policies.values.values() for e in v.entries]
        edges = [e.start for e in entries] + [e.end + dt.timedelta(days=1) for e in entries if e.end]
        self.bounds = np.unique(np.array(edges, "datetime64[D]").astype(np.int32))
        # one day inside each epoch: epoch 0 lies before every history
        self.first = as_dates(np.r_[self.bounds[0] - 1, self.bounds].astype(np.int32))
        self.tables: dict[str, tuple[np.ndarray, np.ndarray]] = {}

    def of(self, days: np.ndarray) -> np.ndarray:
        """The epoch of each day (int32 day numbers)."""
        return np.searchsorted(self.bounds, days, side="right").astype(np.int16)

    def table(self, path: str) -> tuple[np.ndarray, np.ndarray]:
        """(value per epoch, NaN where null or undefined; whether the value is defined on the epoch)."""
        if path not in self.tables:
            dated = self.policies.dated(path)
            entry, defined = dated.entries_in_force(self.first)
            self.tables[path] = np.append(dated.values(), np.nan)[np.where(defined, entry, -1)], defined
        return self.tables[path]


_epochs: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def epochs_of(policies: PolicySet) -> Epochs:
    if policies not in _epochs:
        _epochs[policies] = Epochs(policies)
    return _epochs[policies]


class Dated:
    """Dated values on the dates of a set of claims (one element per claim)."""

    def __init__(self, epochs: Epochs, days: np.ndarray):
        self.epochs, self.days = epochs, days
        self.epoch = per_day(days, epochs.of)
        self.used = np.bincount(self.epoch, minlength=len(epochs.first)) > 0

    def per_epoch(self, path: str) -> np.ndarray:
        """The value on each epoch; a ResolveError, as from DatedValue.on_dates, if a claim's date has none."""
        values, defined = self.epochs.table(path)
        if not defined[self.used].all():
            self.epochs.policies.dated(path).on_dates(as_dates(self.days))  # raises with the first such date
        return values

    def take(self, rows: np.ndarray) -> Dated:
        """The same values on some of the claims."""
        part = Dated.__new__(Dated)
        part.epochs, part.days, part.epoch, part.used = self.epochs, self.days[rows], self.epoch[rows], self.used
        return part

    def on_epochs(self, epochs: np.ndarray) -> Dated:
        """Values for one row per given epoch (for rules evaluated once per combination of values)."""
        part = Dated.__new__(Dated)
        part.epochs, part.days, part.epoch, part.used = self.epochs, self.days, epochs, self.used
        return part

    def __call__(self, path: str) -> np.ndarray:
        return self.per_epoch(path)[self.epoch]

    def cents(self, path: str, none: int = 0) -> np.ndarray:
        """An amount on each claim's date in whole cents (converted once per epoch); `none` where it is null."""
        values = self.per_epoch(path)
        return np.where(np.isnan(values), none, cents(values))[self.epoch]


def param(dated: Dated, path: str | None, fill: float) -> np.ndarray:
    """A parameter per epoch, `fill` where it is null or the rule does not name it."""
    if path is None:
        return np.full(len(dated.epochs.first), fill)
    values = dated.per_epoch(path)
    return np.where(np.isnan(values), fill, values)
