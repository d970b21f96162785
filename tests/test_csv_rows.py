"""CSV results are the bytes Arrow's CSV writer writes, also on values that are hard to write: the fast text of
engine.io.csv_rows against pyarrow.csv.write_csv, and the results writer against the writer it replaced."""

from __future__ import annotations

import datetime as dt
import decimal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.claims.write import AMOUNTS, CSV_DIALECTS, OUTPUT_COLUMNS, ResultsWriter, results_table
from engine.errors import InputError
from engine.io import csv_rows
from engine.io.csv_rows import csv_header, csv_lines

HARD_TEXT = ["", "plain", 'say "hi"', '"', '""', "a;b", "a,b", "line\nbreak", "cr\r\nlf", "=SUM(A1:A9)", "+32 2 555",
             "@cmd", "-5", "=cmd|' /C calc'!A0", "tab\there", "  spaced  ", "é ü 🙂", "\u202eevil", "1.234,56", "null"]
DELIMITERS = [",", ";"]


def arrow_text(table: pa.Table, delimiter: str) -> bytes:
    out = pa.BufferOutputStream()
    pacsv.write_csv(table, out, pacsv.WriteOptions(quoting_style="needed", delimiter=delimiter))
    return out.getvalue().to_pybytes()


def fast_text(table: pa.Table, delimiter: str) -> bytes:
    return csv_header(table.column_names, delimiter) + b"".join(b.to_pybytes() for b in csv_lines(table, delimiter))


def cents_array(values: list[int | None]) -> pa.Array:
    return pa.array([None if v is None else decimal.Decimal(v).scaleb(-2) for v in values], pa.decimal128(18, 2))


texts = st.one_of(st.sampled_from(HARD_TEXT), st.text(max_size=8))
maybe = lambda s: st.one_of(st.none(), s)  # noqa: E731


@st.composite
def tables(draw) -> pa.Table:
    """A table of every kind of column the results hold, with few distinct values so that rows repeat."""
    n = draw(st.integers(0, 40))
    pick = lambda pool: [draw(st.sampled_from(pool)) for _ in range(n)]  # noqa: E731
    kinds = draw(st.lists(st.sampled_from(["int", "text", "dict", "bool", "cents", "date", "float"]), min_size=1, max_size=7))
    columns = {}
    for i, kind in enumerate(kinds):
        if kind == "int":
            values = pa.array(pick(draw(st.lists(maybe(st.integers(-10**12, 10**12)), min_size=1, max_size=4))), pa.int64())
        elif kind == "text":
            values = pa.array(pick(draw(st.lists(maybe(texts), min_size=1, max_size=4))), pa.string())
        elif kind == "dict":
            values = pa.array(pick(draw(st.lists(maybe(texts), min_size=1, max_size=4))), pa.string()).dictionary_encode()
        elif kind == "bool":
            values = pa.array(pick([True, False, None]), pa.bool_())
        elif kind == "cents":
            values = cents_array(pick(draw(st.lists(maybe(st.integers(-10**9, 10**9)), min_size=1, max_size=5))))
        elif kind == "date":
            days = draw(st.lists(maybe(st.dates(dt.date(1900, 1, 1), dt.date(2100, 12, 31))), min_size=1, max_size=4))
            values = pa.array(pick(days), pa.date32())
        else:
            values = pa.array(pick([0.5, -1.25, float("nan"), None, 1e21]), pa.float64())
        columns[f"{kind} {i}"] = values
    return pa.table(columns)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tables(), st.sampled_from(DELIMITERS))
def test_the_text_is_arrows_for_any_table(table, delimiter):
    assert fast_text(table, delimiter) == arrow_text(table, delimiter)


def test_hard_text_is_quoted_and_escaped_as_arrow_does(monkeypatch):
    monkeypatch.setattr(csv_rows, "CELLS_AT_ONCE", 7 * 5)  # blocks of 7 rows
    n = len(HARD_TEXT)
    table = pa.table({"id": pa.array(HARD_TEXT), "code": pa.array(HARD_TEXT[::-1]).dictionary_encode(),
                      "amount": cents_array([1, -1, -250, 0, None, 12345678, 5] * 3)[:n],
                      "day": pa.array([dt.date(2024, 2, 29), None] * (n // 2), pa.date32()),
                      "flag": pa.array([True, False, None, True] * (n // 4), pa.bool_())})
    for delimiter in DELIMITERS:
        text = fast_text(table, delimiter)
        assert text == arrow_text(table, delimiter)
    assert b'"say ""hi"""' in text and b'"line\nbreak"' in text and b'"=SUM(A1:A9)"' in text
    assert b";-0.01;" in text and b";-2.50;" in text and b";123456.78;" in text


def test_many_distinct_combinations_are_renumbered_before_the_key_overflows():
    rng = np.random.default_rng(5)
    n = 3000
    columns = {f"c{i}": cents_array(rng.integers(-10**6, 10**6, n).tolist()) for i in range(6)}  # 6 × ~3000 values: > 2**62
    columns["day"] = pa.array(rng.integers(0, 40000, n).astype("datetime64[D]"), pa.date32())
    table = pa.table(columns)
    assert fast_text(table, ",") == arrow_text(table, ",")


def test_an_empty_table_is_its_header():
    table = pa.table({"row": pa.array([], pa.int64()), "name": pa.array([], pa.string())})
    assert fast_text(table, ";") == arrow_text(table, ";") == b'"row";"name"\n'


def results_frame(n: int = 60) -> pd.DataFrame:
    """Results with the values a writer gets wrong most easily: single cents, half cents away from a float, NaN,
    negative amounts, text with separators, quotes, line breaks and formula triggers, dates and no dates."""
    rng = np.random.default_rng(3)
    frame = pd.DataFrame({"row": np.arange(1, n + 1), "claim_id": [HARD_TEXT[i % len(HARD_TEXT)] + str(i) for i in range(n)]})
    for name in OUTPUT_COLUMNS[2:]:
        if name in AMOUNTS:
            frame[name] = rng.choice([0.0, 0.01, 0.1, 75.5, 81.74, -12.34, 1234567.89, np.nan, 0.29, 1.005, -0.0], n)
        elif name == "covered":
            frame[name] = rng.choice([True, False], n)
        elif name == "period_start":
            frame[name] = pd.to_datetime(rng.choice(["2024-01-01", "2023-12-31", None], n))
        else:
            frame[name] = pd.Categorical(rng.choice(HARD_TEXT[:12], n))
    return frame


def previous_csv(results: pd.DataFrame, path, dialect: str) -> None:
    """The results CSV as it was written before the fast text: Arrow's writer on the table of plain text."""
    separator, mark = CSV_DIALECTS[dialect]
    table = results_table(results, exact=True)
    if mark != ".":
        for name in AMOUNTS:
            table = table.set_column(table.schema.get_field_index(name), name,
                                     pc.replace_substring(table.column(name).cast(pa.string()), ".", mark))
    pacsv.write_csv(table, path, pacsv.WriteOptions(quoting_style="needed", delimiter=separator))


@pytest.mark.parametrize("dialect", list(CSV_DIALECTS))
def test_results_csv_is_what_the_previous_writer_wrote(tmp_path, dialect, monkeypatch):
    monkeypatch.setattr(csv_rows, "CELLS_AT_ONCE", 16 * len(OUTPUT_COLUMNS))  # blocks of 16 rows
    results = results_frame()
    previous_csv(results, tmp_path / "before.csv", dialect)
    with ResultsWriter(tmp_path / "now.csv", csv_dialect=dialect) as writer:
        for start in range(0, len(results), 25):  # in slices, as evaluate writes them
            writer.write(results.iloc[start: start + 25])
    now = (tmp_path / "now.csv").read_bytes()
    assert now == (tmp_path / "before.csv").read_bytes()
    mark = CSV_DIALECTS[dialect][1]
    assert f"0{mark}01".encode() in now and f"-12{mark}34".encode() in now and b'"=SUM(A1:A9)' in now


def test_a_failure_making_the_text_keeps_the_previous_file(tmp_path, monkeypatch):
    from engine.claims import write

    made = []

    def failing(table, delimiter):
        made.append(table.num_rows)
        if len(made) == 3:
            raise OSError(28, "No space left on device")
        return csv_lines(table, delimiter)

    monkeypatch.setattr(write, "csv_lines", failing)
    (tmp_path / "r.csv").write_bytes(b"previous")
    results = results_frame(100)
    with pytest.raises(InputError, match="r.csv: expected a file that can be written, found no space left on the device"), \
            ResultsWriter(tmp_path / "r.csv") as writer:
        for start in range(0, 100, 10):
            writer.write(results.iloc[start: start + 10])
    assert (tmp_path / "r.csv").read_bytes() == b"previous" and [p.name for p in tmp_path.iterdir()] == ["r.csv"]
