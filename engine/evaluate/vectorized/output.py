"""Result arrays for every input row, texts coded into vocabularies, and the result frame made from them."""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd

from engine.claims.contract import REASONS, RESULT_COLUMNS
from engine.evaluate.vectorized import threads
from engine.evaluate.vectorized.days import NO_DAY
from engine.policy.rules import Rules

R = {name: i + 1 for i, name in enumerate(REASONS)}  # reason codes; 0 is "" (covered)


class Words:
    """A vocabulary of result texts, so result columns are integer codes until the end."""

    def __init__(self, words=()):
        self.index = {"": 0}
        for w in words:
            self.code(w)

    def code(self, word: str) -> int:
        return self.index.setdefault(word, len(self.index))

    def codes(self, words) -> np.ndarray:
        return np.array([self.code(w) for w in words], dtype=np.int32)

    def column(self, codes: np.ndarray) -> pd.Categorical:
        return pd.Categorical.from_codes(codes, dtype=_categories(tuple(self.index)))


@functools.lru_cache(maxsize=256)
def _categories(words: tuple[str, ...]) -> pd.CategoricalDtype:
    return pd.CategoricalDtype(list(words))


class Output:
    """Result arrays for every input row, in input order; texts as codes into vocabularies."""

    def __init__(self, n: int):
        self.schemes, self.bundles, self.rules, self.tariffs = Words(), Words(), Words(), Words()
        self.versions: dict[str, str] = {}  # scheme -> version
        self.reasons = Words(REASONS)
        self.reason = np.zeros(n, np.int32)
        self.scheme = np.zeros(n, np.int16)
        self.covered = np.zeros(n, bool)
        self.fee = np.zeros(n, np.int64)
        self.copay = np.zeros(n, np.int64)
        self.insurer = np.zeros(n, np.int64)
        self.care_path = np.zeros(n, np.int64)
        self.supplement = np.zeros(n, np.int64)
        self.period_start = np.full(n, NO_DAY, np.int32)
        self.opened = np.zeros(n, bool)  # a convention session that opens its period (and pays the care-path fee)
        self.first_individual = np.zeros(n, bool)  # the first covered session of the period's counted categories
        self.bundle = np.zeros(n, np.int16)
        self.copay_rule = np.zeros(n, np.int16)
        self.benefit_rule = np.zeros(n, np.int16)
        self.tariff_row = np.zeros(n, np.int16)
        self.co_lead_row = np.zeros(n, np.int16)

    def take(self, other: Output, rows: np.ndarray) -> None:
        """The results of `rows` from another evaluation of the same claims whose texts have the same codes."""
        for name, values in vars(self).items():
            if isinstance(values, np.ndarray):
                values[rows] = getattr(other, name)[rows]

    def know(self, rules: Rules) -> None:
        """Give every scheme, bundle and rule its code up front, so that codes do not depend on thread timing."""
        for conv in rules.conventions:
            self.schemes.code(conv.id)
            self.versions[conv.id] = conv.version
            self.bundles.codes(b.id for bundles in conv.bundles.values() for b in bundles)
            self.rules.codes(r.id for r in conv.copayment)
            self.tariffs.codes(r.id for r in conv.tariff)
        for plan in (p for versions in rules.supplementary.values() for p in versions):
            self.schemes.code(plan.id)
            self.versions[plan.id] = plan.version
            self.rules.codes(b.id for b in plan.benefits)

    def frame(self, claims: pd.DataFrame) -> pd.DataFrame:
        """The result frame; each array is let go once its column is made, to keep the peak memory low."""
        columns = {
            "claim_id": claims["claim_id"].array, "scheme": self.schemes.column(self.scheme),
            "covered": self.covered, "reason": self.reasons.column(self.reason),
            "bundle": self.bundles.column(self.bundle), "rule": self.rules.column(self.copay_rule + self.benefit_rule),
            "tariff_row": self.tariffs.column(self.tariff_row), "co_lead_tariff_row": self.tariffs.column(self.co_lead_row),
            "copayment_rule": self.rules.column(self.copay_rule), "benefit_rule": self.rules.column(self.benefit_rule),
            "version": self._versions(),
            "patient_pays": (self.copay - self.supplement) / 100,
        }
        names = {"period_start": "period_start", "provider_fee": "fee", "patient_copay": "copay",
                 "insurer_amount": "insurer", "care_path_fee": "care_path", "supplement_amount": "supplement"}
        columns.update(zip(names, threads.mapper(len(self.covered))(self._column, names.values()), strict=True))
        return pd.DataFrame(columns, columns=RESULT_COLUMNS, index=claims.index, copy=False)  # copy=False: no consolidation

    def _versions(self) -> pd.Categorical:
        """The version of each row's scheme (several schemes may share a version text)."""
        words = Words()
        per_scheme = words.codes(self.versions.get(s, "") for s in self.schemes.index)
        return words.column(per_scheme[self.scheme])

    def _column(self, name: str) -> np.ndarray:
        values = getattr(self, name)
        setattr(self, name, None)
        if name != "period_start":
            return values / 100
        days = values.astype(np.int64)
        days[values == NO_DAY] = np.iinfo(np.int64).min  # NaT
        return days.view("datetime64[D]").astype("datetime64[ns]")
