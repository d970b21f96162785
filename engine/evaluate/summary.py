"""What an evaluation adds up to: rows and amounts by month, scheme and outcome, and the malformed rows by problem.

Totals have one meaning: **they count covered sessions only**. For a covered session
`patient_pays` is what the patient pays (the co-payment under the convention; the fee less the
mutuality's benefit outside it). A refused session is in no scheme's totals, whatever its row
holds (outside the convention it carries the full fee in `patient_pays`, in the convention 0);
it is counted under its reason, with the fees charged for it (`provider_fee`), and its other
amounts count as 0 here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from engine.money import cents

AMOUNTS = ("insurer_amount", "care_path_fee", "patient_pays", "supplement_amount", "provider_fee")
COVERED = "covered"
KEYS = ["month", "scheme", "outcome"]
SHEET = "summary"
"""The name of the summary's sheet (and Excel table) in an .xlsx results file."""
UNKNOWN_MONTH = "?"
"""The month of a row whose session date could not be read."""


def problem(reason: str) -> str:
    """A malformed row's reason without the value found: 'session_date: expected a date …'."""
    return reason.removeprefix("invalid: ").split(", found ", 1)[0]


def found(reason: str) -> str:
    """The value a malformed row's reason quotes, or ''."""
    parts = reason.split(", found ", 1)
    return parts[1] if len(parts) == 2 else ""


def outcome(reason: str) -> str:
    """`covered`, a refusal reason, or `invalid: <column>` for a malformed row."""
    if not reason:
        return COVERED
    return "invalid: " + problem(reason).split(":", 1)[0] if reason.startswith("invalid:") else reason


@dataclass
class Malformed:
    """Malformed rows of one problem: how many, and the first (lowest) row with its reason."""

    count: int
    first_row: int
    reason: str


@dataclass
class Tally:
    """Counts of an evaluation, added block by block (blocks may come in any row order)."""

    blocks: list[pd.DataFrame] = field(default_factory=list)
    malformed: dict[str, Malformed] = field(default_factory=dict)

    def add(self, results: pd.DataFrame, session_dates: np.ndarray) -> None:
        """Count one block of results (with `row`) and the session dates of its rows.

        Rows are grouped on integer codes (month number, scheme and outcome codes); texts are made
        for the groups only, so that a million rows cost a sort and a few sums.
        """
        reason = categorical(results["reason"])
        scheme = categorical(results["scheme"])
        covered = results["covered"].to_numpy(bool)
        outcomes, outcome_codes = np.unique(np.array([outcome(str(c)) for c in reason.categories] + [COVERED], dtype=object),
                                            return_inverse=True)
        row_outcome = outcome_codes[np.where(covered, len(reason.categories), reason.codes)]
        days = np.asarray(session_dates).astype("datetime64[D]")
        unknown = np.isnat(days)
        month = days.astype("datetime64[M]").astype(np.int64)
        first = int(month[~unknown].min()) if (~unknown).any() else 0
        month = np.where(unknown, -1, month - first)  # -1: a session date that could not be read
        width_s, width_o = len(scheme.categories) + 1, len(outcomes)
        key = ((month + 1) * width_s + scheme.codes.astype(np.int64) + 1) * width_o + row_outcome
        groups, at = _groups(key)
        group_month, rest = np.divmod(groups, width_s * width_o)
        group_scheme, group_outcome = np.divmod(rest, width_o)
        labels = np.datetime_as_string((group_month - 1 + first).astype("datetime64[M]"), unit="M").astype(object)
        labels[group_month == 0] = UNKNOWN_MONTH
        schemes = np.array(["", *scheme.categories], dtype=object)  # code -1: no scheme
        frame = pd.DataFrame({"month": labels, "scheme": schemes[group_scheme], "outcome": outcomes[group_outcome],
                              "rows": np.bincount(at, minlength=len(groups))})
        for name in AMOUNTS:  # a refused or malformed session counts only with the fee charged for it
            amount = cents(results[name].to_numpy(float))
            if name != "provider_fee":
                amount = np.where(covered, amount, 0)
            frame[name] = _sums(at, amount, len(groups))
        self.blocks.append(frame)
        self._malformed(reason, results["row"].to_numpy(np.int64))

    def _malformed(self, reason: pd.Categorical, rows: np.ndarray) -> None:
        invalid = np.flatnonzero(reason.categories.str.startswith("invalid:"))
        hit = np.isin(reason.codes, invalid)
        if not hit.any():
            return
        codes, rows = reason.codes[hit], rows[hit]
        for code in np.unique(codes):
            at = rows[codes == code]
            text = str(reason.categories[code])
            key, first = problem(text), int(at.min())
            known = self.malformed.get(key)
            if known is None:
                self.malformed[key] = Malformed(len(at), first, text)
            else:
                known.count += len(at)
                if first < known.first_row:
                    known.first_row, known.reason = first, text

    def table(self) -> pd.DataFrame:
        """Rows and amounts in cents by month, scheme and outcome, sorted by month, scheme, then covered first."""
        columns = [*KEYS, "rows", *AMOUNTS]
        if not self.blocks:
            return pd.DataFrame(columns=columns)
        table = pd.concat(self.blocks, ignore_index=True).groupby(KEYS, observed=True).sum().reset_index()
        order = table["outcome"].ne(COVERED)
        return (table.assign(_order=order).sort_values(["month", "scheme", "_order", "outcome"])
                .drop(columns="_order").reset_index(drop=True)[columns])

    def most_common(self, n: int = 3) -> list[Malformed]:
        """The `n` problems with the most malformed rows (ties: the earlier first row)."""
        return sorted(self.malformed.values(), key=lambda m: (-m.count, m.first_row))[:n]


def in_euros(table: pd.DataFrame) -> pd.DataFrame:
    """A Tally table with its amounts in euros rather than cents (for a file or a sheet)."""
    out = table.copy()
    for name in AMOUNTS:
        out[name] = out[name].astype(np.int64) / 100
    return out


CAUSES = {
    "birth_date": "the file's dates are likely in a format not understood",
    "session_date": "the file's dates are likely in a format not understood",
    "increased_reimbursement": "its yes/no values are likely in a form not understood",
    "fee_charged": "its amounts likely carry thousands separators or a currency",
    "earlier_sessions": "its session counts are likely not whole numbers",
    "claim_id": "its claim ids are likely missing or repeated",
    "patient_id": "its patient ids are likely missing",
    "group_id": "its group sessions likely disagree on date or co-lead",
}


def likely_cause(reason: str) -> str:
    """Why a whole file might fail with this malformed-row reason, in a few words."""
    column = problem(reason).split(":", 1)[0]
    if "not a formula" in reason:
        return "its cells likely hold formulas or control characters"
    if column in CAUSES:
        return CAUSES[column]
    return f"its {column} values are likely in another language, spelling or format"


def categorical(column: pd.Series) -> pd.Categorical:
    """A text column as a categorical (results in memory already are one)."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        return column.array
    return pd.Categorical(column.astype(str))


def _sums(at: np.ndarray, cents: np.ndarray, n: int) -> np.ndarray:
    """Exact integer sums of `cents` per group index `at`."""
    out = np.zeros(n, np.int64)
    np.add.at(out, at, cents)
    return out


def _groups(key: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(the distinct keys in order, each row's group index): by counting when the keys span little, else by sorting."""
    size = int(key.max(initial=0)) + 1
    if size > 4 * len(key) + 4096:
        groups, at = np.unique(key, return_inverse=True)
        return groups, at.ravel()
    groups = np.flatnonzero(np.bincount(key, minlength=size))
    index = np.zeros(size, np.int64)
    index[groups] = np.arange(len(groups))
    return groups, index[key]
