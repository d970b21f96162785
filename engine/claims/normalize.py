"""Text claims tables to the normalized claims frame of engine/claims/contract.py, without a Python loop per row.

Each column is trimmed of spaces; code columns (kind, network, care, co_lead, setting, mutuality, provider,
increased_reimbursement) are case-insensitive. Dates, codes and numbers are parsed once per
distinct value (a million claims have a few thousand distinct dates), then spread to the rows.
A malformed row is kept: `invalid` names its first bad column (in column order), what was expected
and what was found, and `row` gives its data row number. Text that a spreadsheet would run as a
formula (starting with =, +, @ or -), unless it is a plain number such as -5 or 75,50, or that holds a
control character (TAB, LF and CR included) or a text-direction mark (U+202E and kin) is malformed in
every column. Values are trimmed of spaces only.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from engine.cells import DATE_HELP, DECIMAL, FLAG_HELP, read_date, read_flag
from engine.claims.contract import OPTIONAL, REQUIRED, choices, default
from engine.claims.read import IDENTIFIERS as IDS
from engine.limits import limits
from engine.money import cents

CODES = ("mutuality", "provider")
DATES = ("birth_date", "session_date")
HIDDEN = "\x00-\x1f\x7f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
"""Control characters (TAB, LF and CR too) and the marks that reverse or isolate text direction (U+202E and kin)."""
PLAIN_NUMBER = r"^-?[0-9]+([.,][0-9]+)?$"
"""A value that may start with '-' and is still safe (no other trigger or hidden character can be in it)."""
UNSAFE_TEXT = ("a plain number or text that is not a formula (no leading =, +, @ or -) and has no control or "
               "text-direction characters")
SPACE = " "
"""What values are trimmed of: spaces only, so that a TAB, LF or CR at either end stays visible and is refused."""
COUNT = re.compile(r"\d+")
ISO_DAY = r"^\d{4}-\d{2}-\d{2}$"
SHOWN = 60


@dataclass
class Check:
    """Rows of one column that fail one expectation."""

    column: str
    bad: np.ndarray
    expected: str | Callable[[int], str]


@dataclass
class Encoded:
    """A low-cardinality text column: its distinct trimmed values (as text and as an Arrow array) and each row's
    position among them."""

    index: np.ndarray
    values: list[str]
    distinct: pa.Array

    def text(self, row: int) -> str:
        return self.values[self.index[row]]

    def rows(self, per_value: list) -> np.ndarray:
        """A per-value result spread to the rows."""
        values = np.asarray(per_value)
        if not len(values) or (values.dtype == bool and not values.any()):  # nothing to spread (a check no row fails)
            return np.zeros(len(self.index), bool)
        return values[self.index]


@dataclass
class Plain:
    """A high-cardinality text column (identifiers), trimmed."""

    array: pa.Array

    def text(self, row: int) -> str:
        return self.array[row].as_py()


def normalize(table: pa.Table, declared: Mapping[str, tuple[str, ...]], first_row: int = 1) -> pd.DataFrame:
    """The normalized frame of a text table (canonical column names); `row` counts from `first_row`.

    `declared` holds the allowed values of the network, care, co_lead and setting columns: those the policies in use
    declare (an empty setting takes the first)."""
    n = table.num_rows
    text = {name: _plain(table, name, n) if name in IDS else _encoded(table, name, n) for name in REQUIRED + OPTIONAL}
    checks = [Check(name, _unsafe(column), UNSAFE_TEXT) for name, column in text.items()]
    out: dict[str, object] = {"row": np.arange(first_row, first_row + n, dtype=np.int64)}
    for name in IDS:
        out[name] = text[name].array.to_pandas().array
        if name != "group_id":
            checks.append(Check(name, _empty(text[name].array), f"a {name.replace('_', ' ')}"))
    for name in DATES:
        days, unread, outside = _dates(text[name].values)
        out[name] = text[name].rows(days).astype("datetime64[ns]")
        outside = text[name].rows(outside)
        checks.append(Check(name, text[name].rows(unread), DATE_HELP))
        checks.append(Check(name, outside, f"a date from {limits().first_date} to {limits().last_date} "
                                           "(the dates carepolicy supports)"))
    before = out["session_date"] < out["birth_date"]
    birth = out["birth_date"]
    checks.append(Check("session_date", before, lambda i: f"a date on or after birth_date {str(birth[i])[:10]}"))
    for name, allowed_values in choices(declared).items():
        out[name], bad = _choice(text[name], allowed_values, name)
        allowed = "|".join(allowed_values) + ("" if name == "kind" else " or empty")
        checks.append(Check(name, bad, allowed))
    for name in CODES:
        out[name] = _code(text[name])
    out["increased_reimbursement"], bad = _by_value(text["increased_reimbursement"], _boolean, False)
    checks.append(Check("increased_reimbursement", bad, FLAG_HELP))
    out["fee_charged"], bad = _by_value(text["fee_charged"], _amount, np.nan)
    large = text["fee_charged"].rows([_too_large(v) for v in text["fee_charged"].values]).astype(bool)
    checks.append(Check("fee_charged", bad & ~large, "an amount of 0 or more, like 75.50 or 75,50, without thousands separators"))
    checks.append(Check("fee_charged", large, f"an amount of at most {limits().largest_amount_eur:,} "
                                              "(the largest amount carepolicy takes)"))
    out["earlier_sessions"], bad = _by_value(text["earlier_sessions"], _count, 0)
    out["earlier_sessions"] = out["earlier_sessions"].astype(np.int64)
    checks.append(Check("earlier_sessions", bad, "a whole number of 0 or more"))
    order = {name: i for i, name in enumerate(REQUIRED + OPTIONAL)}
    checks.sort(key=lambda c: order[c.column])  # stable: within a column, unsafe text is reported first
    out["invalid"] = pd.Series(_messages(checks, text, n), dtype=object, copy=False)
    frame = pd.DataFrame(out, copy=False)
    return frame[["row", *REQUIRED, *OPTIONAL, "invalid"]]


def duplicate_problems(claim_ids: pa.Array, rows: np.ndarray, invalid: np.ndarray) -> np.ndarray:
    """An `invalid: claim_id: …` text for every later row repeating a claim id, else "".

    `rows` must be increasing. Rows already invalid keep their reason; the first row with an id
    is never the duplicate.
    """
    claim_ids = pa.array(claim_ids, pa.string()) if not isinstance(claim_ids, pa.Array) else claim_ids
    out = np.full(len(claim_ids), "", dtype=object)
    if _increasing(claim_ids):  # every id distinct, seen at a glance (files are often in claim id order)
        return out
    encoded = pc.dictionary_encode(claim_ids)
    if len(encoded.dictionary) == len(claim_ids):  # every id distinct
        return out
    index = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    # codes are numbered in order of first appearance: a row opens a new code when it exceeds every code before it
    seen = np.maximum.accumulate(index)
    first_of = np.flatnonzero(index > np.concatenate([[-1], seen[:-1]]))
    repeated = (first_of[index] != np.arange(len(index))) & ~_empty(claim_ids) & (invalid == "")
    for i in np.flatnonzero(repeated):
        out[i] = (f"invalid: claim_id: expected a claim id used once, found {_shown(claim_ids[i].as_py())} "
                  f"(first on row {rows[first_of[index[i]]]})")
    return out


def _increasing(texts: pa.Array) -> bool:
    """Whether every text is greater than the one before it (compared as bytes)."""
    if len(texts) < 2 or texts.null_count:
        return len(texts) < 2
    return bool(pc.all(pc.greater(texts.slice(1), texts.slice(0, len(texts) - 1))).as_py())


def mark_duplicates(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with repeated claim ids marked invalid (a whole file in memory)."""
    ids = pa.array(frame["claim_id"].array, pa.string())
    problems = duplicate_problems(ids, frame["row"].to_numpy(), frame["invalid"].to_numpy(object))
    hit = problems != ""
    if hit.any():
        invalid = frame["invalid"].to_numpy(object).copy()
        invalid[hit] = problems[hit]
        frame = frame.assign(invalid=invalid)
    return frame


def _encoded(table: pa.Table, name: str, n: int) -> Encoded:
    if name not in table.column_names:
        return Encoded(np.zeros(n, np.int32), [""], pa.array([""], pa.string()))
    column = table.column(name)
    if not pa.types.is_dictionary(column.type):
        column = column.dictionary_encode()
    column = column.unify_dictionaries().combine_chunks() if column.num_chunks else column.combine_chunks()
    if not isinstance(column, pa.DictionaryArray):
        column = column.dictionary_encode()
    distinct = column.dictionary.cast(pa.string())
    if _has_bytes(distinct, SPACE.encode()):
        distinct = pc.utf8_trim(distinct, SPACE)
    return Encoded(column.indices.to_numpy(zero_copy_only=False), distinct.to_pylist(), distinct)


def _plain(table: pa.Table, name: str, n: int) -> Plain:
    if name not in table.column_names:
        return Plain(pa.array(np.full(n, "", dtype=object), pa.string()))
    array = table.column(name).combine_chunks()
    if pa.types.is_dictionary(array.type):
        array = array.cast(pa.string())
    if _has_bytes(array, SPACE.encode()):
        array = pc.utf8_trim(array, SPACE)
    return Plain(array)


def string_buffers(array: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """(data bytes, value offsets) of a string array, without copying."""
    offsets = np.frombuffer(array.buffers()[1], np.int32)[array.offset: array.offset + len(array) + 1]
    data = array.buffers()[2]
    return (np.frombuffer(data, np.uint8) if data is not None else np.zeros(0, np.uint8)), offsets


def _has_bytes(array: pa.Array, wanted: bytes, below: int = 0) -> bool:
    """Whether any value holds one of the `wanted` bytes or a byte below `below` (a quick look at the data buffer)."""
    data, offsets = string_buffers(array)
    if len(offsets) < 2:
        return False
    data = data[offsets[0]: offsets[-1]]
    return bool((below and (data < below).any()) or any((data == byte).any() for byte in wanted))


def is_unsafe(value: str) -> bool:
    """Whether a trimmed value is neither a plain number nor free of formula triggers and hidden characters."""
    return bool(_unsafe_texts(pa.array([value], pa.string()))[0])


def _unsafe(column: Encoded | Plain) -> np.ndarray:
    if isinstance(column, Encoded):
        return column.rows(_unsafe_texts(column.distinct))
    return _unsafe_texts(column.array)


def _unsafe_texts(array: pa.Array) -> np.ndarray:
    """is_unsafe of each text of an Arrow string array, by a look at the first bytes and, where needed, Arrow's
    regular expressions."""
    data, offsets = string_buffers(array)
    length = np.diff(offsets)
    first = np.where(length > 0, data[np.minimum(offsets[:-1], len(data) - 1)] if len(data) else 0, 0)
    bad = np.isin(first, np.frombuffer(b"=+@", np.uint8))
    candidates = first == ord("-")
    if _has_bytes(array, b"\x7f\xd8\xe2", below=32):  # ASCII controls; lead bytes of U+061C, U+200E-U+2069
        candidates |= pc.match_substring_regex(array, f"[{HIDDEN}]").to_numpy(zero_copy_only=False)
    if candidates.any():
        plain = pc.match_substring_regex(array, PLAIN_NUMBER).to_numpy(zero_copy_only=False)
        bad |= candidates & ~plain
    return bad


def _empty(values: pa.Array) -> np.ndarray:
    return np.diff(string_buffers(values)[1]) == 0


def _by_value(column: Encoded, parse: Callable[[str], tuple[object, bool]], fill) -> tuple[np.ndarray, np.ndarray]:
    """Parse each distinct text once; (values per row, bad per row). `parse` returns (value, ok); "" gives `fill`."""
    parsed = [(fill, True) if v == "" else parse(v) for v in column.values]
    return column.rows([v for v, _ in parsed]), ~column.rows([ok for _, ok in parsed]).astype(bool)


def _dates(values: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(day, not a date, a date outside the supported range) of each distinct date text; NaT where no day.

    A plain ISO date in the supported range is read by Arrow (and kept only when it prints back as
    written, so that 2023-02-30 is not rolled over); every other text goes through engine.cells.read_date.
    """
    first, last = np.datetime64(limits().first_date, "D"), np.datetime64(limits().last_date, "D")
    texts = pa.array(values, pa.string())
    parsed = pc.strptime(texts, format="%Y-%m-%d", unit="s", error_is_null=True)
    exact = pc.and_(pc.match_substring_regex(texts, ISO_DAY), pc.equal(pc.strftime(parsed, format="%Y-%m-%d"), texts))
    days = parsed.cast(pa.date32()).to_numpy(zero_copy_only=False).astype("datetime64[D]")
    fast = pc.fill_null(exact, False).to_numpy(zero_copy_only=False) & (days >= first) & (days <= last)
    days[~fast] = np.datetime64("NaT", "D")
    unread, outside = np.zeros(len(values), bool), np.zeros(len(values), bool)
    for i in np.flatnonzero(~fast):
        day = read_date(values[i]) if values[i] else None
        if day is None:
            unread[i] = True
        elif first <= np.datetime64(day, "D") <= last:
            days[i] = np.datetime64(day, "D")
        else:
            outside[i] = True
    return days, unread, outside


def _boolean(text: str) -> tuple[bool, bool]:
    value = read_flag(text)
    return (False, False) if value is None else (value, True)


def _amount(text: str) -> tuple[float, bool]:
    if not DECIMAL.fullmatch(text):
        return np.nan, False
    if _too_large(text):
        return np.nan, False
    amount = cents(text)  # rounded to the cent once, here, by the one rule
    return (amount / 100, True) if amount >= 0 else (np.nan, False)


def _too_large(text: str) -> bool:
    """An amount above the largest one carepolicy takes (compared in exact cents, before any float)."""
    return bool(DECIMAL.fullmatch(text)) and cents(text) > limits().largest_amount_eur * 100


def _count(text: str) -> tuple[int, bool]:
    return (int(text), True) if COUNT.fullmatch(text) else (0, False)


def _choice(column: Encoded, choices: tuple[str, ...], name: str) -> tuple[pd.Categorical, np.ndarray]:
    """A categorical of the allowed codes ("" for empty, or the column's default) and the rows with another value."""
    categories = list(dict.fromkeys([default(name, choices), *choices]))
    position = {c: i for i, c in enumerate(categories)}
    codes = [position.get(v.lower(), 0) for v in column.values]
    required = name in REQUIRED
    bad = column.rows([v.lower() not in choices and (required or v != "") for v in column.values]).astype(bool)
    return pd.Categorical.from_codes(column.rows(codes).astype(np.int8), categories=categories), bad


def _code(column: Encoded) -> pd.Categorical:
    """A free code column (mutuality, provider), lower-cased, as a categorical."""
    lowered = [v.lower() for v in column.values]
    categories = list(dict.fromkeys(lowered))
    position = {c: i for i, c in enumerate(categories)}
    return pd.Categorical.from_codes(column.rows([position[v] for v in lowered]).astype(np.int32), categories=categories)


def _messages(checks: list[Check], text: dict[str, Encoded | Plain], n: int) -> np.ndarray:
    """The first failing check per row as `invalid: <column>: expected …, found '<value>'`, else ""."""
    first = np.full(n, -1, np.int32)
    for i in range(len(checks) - 1, -1, -1):
        first[checks[i].bad] = i
    out = np.full(n, "", dtype=object)
    for row in np.flatnonzero(first >= 0):
        check = checks[first[row]]
        expected = check.expected(row) if callable(check.expected) else check.expected
        out[row] = f"invalid: {check.column}: expected {expected}, found {_shown(text[check.column].text(row))}"
    return out


def _shown(value: str) -> str:
    """A value quoted for a message; long values are cut, control characters escaped."""
    value = value if len(value) <= SHOWN else value[: SHOWN - 1] + "…"
    return "'" + re.sub(r"[\x00-\x1f\x7f]", lambda m: f"\\x{ord(m.group()):02x}", value) + "'"
