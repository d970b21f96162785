"""Writing claims results (and claims themselves) to .csv, .parquet or .xlsx, atomically.

Results keep the input order and carry the input `row` first, then engine.claims.contract.RESULT_COLUMNS.
Amounts are euros with two decimals: exact decimals in CSV (`4.00`), floats rounded to the cent in
Parquet, numbers with a euro format in xlsx (engine.io.xlsx, which writes every text as text, also
when it starts with `=`, so that a claim id never becomes a formula).
"""

from __future__ import annotations

import contextlib
import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from engine.claims.contract import OPTIONAL, REQUIRED, RESULT_COLUMNS
from engine.claims.read import claims_format
from engine.errors import InputError
from engine.io.atomic import atomic_path
from engine.io.csv_rows import csv_header, csv_lines
from engine.money import cents
from engine.policy.files import display

AMOUNTS = ("provider_fee", "patient_copay", "insurer_amount", "care_path_fee", "supplement_amount", "patient_pays")
OUTPUT_COLUMNS = ["row", *RESULT_COLUMNS]
XLSX_DATA_ROWS = 1_048_575
"""Rows a spreadsheet holds under its header row (Excel's sheet limit, 2**20 rows)."""
DATE_FORMAT = "yyyy-mm-dd"
INPUT_BATCH = 100_000
"""Rows of the input read at a time to carry its columns beside the results (--keep-input)."""
CSV_DIALECTS = {"excel": (",", "."), "excel-be": (";", ",")}
"""CSV field separator and decimal mark per dialect: `excel-be` is what a Belgian (Dutch or French) Excel opens."""
CLAIM_COLUMNS = [*REQUIRED, *OPTIONAL]


def _decimal(values: np.ndarray) -> pa.Array:
    """Whole cents as an exact decimal128(18, 2) array (the cents are its unscaled value)."""
    amount = cents(values)
    words = np.empty((len(amount), 2), np.int64)
    words[:, 0] = amount
    words[:, 1] = amount >> 63
    return pa.Array.from_buffers(pa.decimal128(18, 2), len(amount), [None, pa.py_buffer(words)])


def _text(values, categories: bool = False) -> pa.Array:
    array = values.array if isinstance(values, pd.Series) else values
    if isinstance(array, pd.Categorical) and categories:
        return pa.DictionaryArray.from_arrays(pa.array(array.codes, mask=array.codes < 0),
                                              pa.array(np.asarray(array.categories, dtype=object), pa.string()))
    if isinstance(array, pd.Categorical):
        return pa.array(np.asarray(array.categories, dtype=object), pa.string()).take(pa.array(array.codes))
    return pa.array(array, pa.string())


def _day(values: pd.Series) -> pa.Array:
    days = values.to_numpy().astype("datetime64[D]")
    return pa.array(days, pa.date32(), mask=np.isnat(days))


def results_table(results: pd.DataFrame, exact: bool, extra: list[str] = (), categories: bool = False) -> pa.Table:
    """A results frame (with `row`) as an Arrow table: amounts as decimals (`exact`) or floats rounded to cents;
    `extra` columns (the input's, kept) as text; categorical text as dictionary arrays when `categories`."""
    columns = {}
    for name in [*OUTPUT_COLUMNS, *extra]:
        values = results[name]
        if name == "row":
            columns[name] = pa.array(values.to_numpy(np.int64))
        elif name == "covered":
            columns[name] = pa.array(values.to_numpy(bool))
        elif name in AMOUNTS:
            columns[name] = _decimal(values.to_numpy()) if exact else pa.array(cents(values) / 100)
        elif name == "period_start":
            columns[name] = _day(values)
        else:
            columns[name] = _text(values, categories)
    return pa.table(columns)


class ResultsWriter:
    """Appends results frames, in order, to one output file that appears only when complete."""

    def __init__(self, path: Path, keep_input: Path | None = None, csv_dialect: str = "excel"):
        """`keep_input`: the claims file whose columns follow the results, as `input_<column>` text (the
        results must then be written in input order, every row once). A CSV is written in `csv_dialect`
        (CSV_DIALECTS)."""
        self.path = Path(path)
        self.suffix = claims_format(self.path, "results")
        self.csv_dialect = csv_dialect
        self._stack = contextlib.ExitStack()
        self._sink = None
        self._input = _InputRows(Path(keep_input)) if keep_input is not None else None

    def __enter__(self) -> ResultsWriter:
        tmp = self._stack.enter_context(atomic_path(self.path))
        try:
            extra = self._input.columns if self._input is not None else []
            sink = SINKS[self.suffix]
            self._sink = sink(tmp, self.path, extra, self.csv_dialect) if sink is _CsvSink else sink(tmp, self.path, extra)
        except BaseException as failure:
            self._stack.__exit__(type(failure), failure, failure.__traceback__)
            raise
        return self

    def write(self, results: pd.DataFrame) -> None:
        """Append the next rows of results (columns `row` and RESULT_COLUMNS)."""
        if self._input is not None:
            results = self._input.beside(results)
        self._sink.write(results)

    def add_sheet(self, name: str, frame: pd.DataFrame, euros: list[str] = ()) -> None:
        """Add a table as a further sheet after the results, with its `euros` columns in a euro format; only an
        .xlsx file has sheets, other formats skip it."""
        if self.suffix == ".xlsx":
            self._sink.add_sheet(name, frame, euros)

    def __exit__(self, kind, exc, tb) -> None:
        """Close the sink and publish the file; a failure here (or before) leaves the previous file as it was."""
        if kind is not None:
            if self._sink is not None:
                with contextlib.suppress(Exception):  # the first error is the one to report
                    self._sink.abort()
            self._stack.__exit__(kind, exc, tb)
            return
        try:
            self._sink.close()
        except BaseException as failure:  # closing failed (full disk, Ctrl-C while saving): never publish
            self._stack.__exit__(type(failure), failure, failure.__traceback__)
            raise
        self._stack.__exit__(None, None, None)


def write_results(results: pd.DataFrame, path: Path) -> None:
    """Write a whole results frame to a .csv, .parquet or .xlsx file."""
    with ResultsWriter(path) as writer:
        writer.write(results)


class _ArrowSink:
    """Results written by an Arrow writer, opened with the first block's schema."""

    exact = True  # amounts as exact decimals (CSV) or as floats rounded to the cent (Parquet)

    def __init__(self, tmp: Path, target: Path, extra: list[str]):
        self.tmp, self.writer, self.extra = tmp, None, extra

    def _open(self, schema: pa.Schema):
        raise NotImplementedError

    def _table(self, results: pd.DataFrame) -> pa.Table:
        return results_table(results, exact=self.exact, extra=self.extra)

    def write(self, results: pd.DataFrame) -> None:
        table = self._table(results)
        if self.writer is None:
            self.writer = self._open(table.schema)
        self.writer.write_table(table)

    def close(self) -> None:
        if self.writer is None:
            self.write(_empty_results().assign(**dict.fromkeys(self.extra, "")))
        self.writer.close()

    def abort(self) -> None:
        """Let go of the half-written file (the caller removes it)."""
        if self.writer is not None:
            self.writer.close()


class _CsvSink(_ArrowSink):
    def __init__(self, tmp: Path, target: Path, extra: list[str], dialect: str = "excel"):
        super().__init__(tmp, target, extra)
        self.separator, self.decimal_mark = CSV_DIALECTS[dialect]

    def _open(self, schema: pa.Schema):
        return _CsvFile(self.tmp, schema, self.separator)

    def _table(self, results: pd.DataFrame) -> pa.Table:
        table = results_table(results, exact=True, extra=self.extra, categories=True)
        if self.decimal_mark != ".":
            for name in AMOUNTS:  # each distinct amount is written with the decimal mark once
                amounts = pc.dictionary_encode(table.column(name).combine_chunks())
                marked = pc.replace_substring(amounts.dictionary.cast(pa.string()), ".", self.decimal_mark)
                table = table.set_column(table.schema.get_field_index(name), name,
                                         pa.DictionaryArray.from_arrays(amounts.indices, marked))
        return table


class _CsvFile:
    """A CSV file with the text Arrow's CSV writer would write (quoting "needed"), made by engine.io.csv_rows."""

    def __init__(self, path: Path, schema: pa.Schema, separator: str):
        self.separator = separator
        self.file = open(path, "wb")  # noqa: SIM115 (closed by close(), also after a failure)
        self.file.write(csv_header(schema.names, separator))

    def write_table(self, table: pa.Table) -> None:
        for text in csv_lines(table, self.separator):
            self.file.write(text)

    def close(self) -> None:
        self.file.close()


class _ParquetSink(_ArrowSink):
    exact = False

    def _open(self, schema: pa.Schema):
        return pq.ParquetWriter(self.tmp, schema)


class _XlsxSink:
    """Results streamed into a workbook (engine.io.xlsx) a block of rows at a time, with a frozen header and an
    Excel table `results` over every row (filter buttons, banded rows); text is always text. Further sheets
    (add_sheet) follow the results, each an Excel table of its own."""

    def __init__(self, tmp: Path, target: Path, extra: list[str]):
        from engine.io import xlsx

        self.target = target
        self.columns = [*OUTPUT_COLUMNS, *extra]
        if len(self.columns) > xlsx.MAX_COLUMNS:
            raise InputError(f"{display(target)}: expected at most {xlsx.MAX_COLUMNS:,} columns, the most a sheet holds, "
                             f"found {len(self.columns):,} with the input's; write .csv or .parquet instead")
        self.book = xlsx.StreamingWorkbook(tmp)
        self.book.start_sheet("results", self.columns, ["euro" if c in AMOUNTS else None for c in self.columns])
        self.rows = 0
        self.extra: list[tuple[str, pd.DataFrame, list[str]]] = []

    def write(self, results: pd.DataFrame) -> None:
        if self.rows + len(results) > XLSX_DATA_ROWS:
            raise InputError(f"{display(self.target)}: expected at most {XLSX_DATA_ROWS:,} result rows, "
                             f"the most a sheet holds under its header, found more; write .csv or .parquet instead")
        self.book.append(results_table(results, exact=True, extra=self.columns[len(OUTPUT_COLUMNS):], categories=True))
        self.rows += len(results)

    def add_sheet(self, name: str, frame: pd.DataFrame, euros: list[str] = ()) -> None:
        """A further sheet (a summary table, say), written after the results; `euros`: its columns of amounts."""
        self.extra.append((name, frame, list(euros)))

    def close(self) -> None:
        self.book.end_sheet("results")
        for name, frame, euros in self.extra:
            self.book.start_sheet(name, [str(c) for c in frame.columns], ["euro" if c in euros else None for c in frame.columns])
            self.book.append(_sheet_table(frame))
            self.book.end_sheet(name)
        self.book.close()

    def abort(self) -> None:
        """Let go of the half-written workbook (the caller removes the file)."""
        self.book.abort()


def _sheet_table(frame: pd.DataFrame) -> pa.Table:
    """A small frame as an Arrow table for a sheet: booleans, numbers and dates as they are, anything else as
    text (None and NaN empty)."""
    columns = {}
    for i in range(frame.shape[1]):
        values = frame.iloc[:, i]
        if pd.api.types.is_bool_dtype(values) or pd.api.types.is_numeric_dtype(values):
            columns[str(i)] = pa.array(values.to_numpy())
        elif pd.api.types.is_datetime64_dtype(values):
            columns[str(i)] = _day(values)
        else:
            columns[str(i)] = pa.array([None if v is None or v != v else str(v) for v in values.tolist()], pa.string())
    return pa.table(columns)


def text_cell(sheet, value):
    """A value for a write-only sheet; text starting with '=' becomes a text cell, never a formula."""
    if isinstance(value, str) and value.startswith("="):
        from openpyxl.cell import WriteOnlyCell

        cell = WriteOnlyCell(sheet, value=value)
        cell.data_type = "s"
        return cell
    return value


class _InputRows:
    """The text columns of a claims file, handed out in order beside the results of the same rows."""

    def __init__(self, claims: Path):
        from engine.claims.read import claims_batches, read_claims_table

        whole = claims.suffix.lower() == ".xlsx"
        self._batches = iter([read_claims_table(claims)]) if whole else claims_batches(claims, INPUT_BATCH)
        self._pending = next(self._batches, None)
        self.names = self._pending.column_names if self._pending is not None else []
        self.columns = [f"input_{name}" for name in self.names]

    def beside(self, results: pd.DataFrame) -> pd.DataFrame:
        """`results` with the input columns of the same number of next rows."""
        parts, need = [], len(results)
        while need:
            if self._pending is None or self._pending.num_rows == 0:
                self._pending = next(self._batches)
                continue
            take = self._pending.slice(0, need)
            parts.append(take)
            self._pending, need = self._pending.slice(take.num_rows), need - take.num_rows
        rows = pa.concat_tables([p.cast(parts[0].schema) for p in parts]) if parts else None
        kept = {f"input_{n}": (rows.column(n).cast(pa.string()).to_pandas().array if rows is not None else []) for n in self.names}
        return results.assign(**kept)


SINKS = {".csv": _CsvSink, ".parquet": _ParquetSink, ".xlsx": _XlsxSink}
"""The writer of each results format, by suffix."""


def _empty_results() -> pd.DataFrame:
    frame = pd.DataFrame({name: pd.Series([], dtype=object) for name in OUTPUT_COLUMNS})
    frame["row"] = frame["row"].astype(np.int64)
    frame["covered"] = frame["covered"].astype(bool)
    for name in AMOUNTS:
        frame[name] = frame[name].astype(float)
    frame["period_start"] = frame["period_start"].astype("datetime64[ns]")
    return frame


# -- claims files (for generated benchmarks data and round trips) -------------------------------------

def claims_table(frame: pd.DataFrame) -> pa.Table:
    """A normalized claims frame as a typed Arrow table of the input columns."""
    columns = {}
    for name in CLAIM_COLUMNS:
        values = frame[name]
        if name in ("birth_date", "session_date"):
            columns[name] = _day(values)
        elif name == "increased_reimbursement":
            columns[name] = pa.array(values.to_numpy(bool))
        elif name == "fee_charged":
            fee = values.to_numpy(float)
            columns[name] = pa.array(fee, mask=np.isnan(fee))
        elif name == "earlier_sessions":
            columns[name] = pa.array(values.to_numpy(np.int64))
        else:
            columns[name] = _text(values)
    return pa.table(columns)


def write_claims(frame: pd.DataFrame, path: Path) -> None:
    """Write a normalized claims frame as a claims input file (.csv, .parquet or .xlsx), atomically."""
    path = Path(path)
    suffix = claims_format(path, "claims")
    table = claims_table(frame)
    with atomic_path(path) as tmp:
        if suffix == ".csv":
            pacsv.write_csv(table, tmp, write_options=pacsv.WriteOptions(quoting_style="needed"))
        elif suffix == ".parquet":
            pq.write_table(table, tmp)
        else:
            _write_claims_xlsx(table, tmp)


def _write_claims_xlsx(table: pa.Table, tmp: Path) -> None:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    book = Workbook(write_only=True)
    sheet = book.create_sheet("claims")
    sheet.append(CLAIM_COLUMNS)

    def cell(value):
        if isinstance(value, dt.date):
            out = WriteOnlyCell(sheet, value=value)
            out.number_format = DATE_FORMAT
            return out
        return text_cell(sheet, value)

    for row in zip(*(table.column(name).to_pylist() for name in CLAIM_COLUMNS), strict=True):
        sheet.append([cell(v) for v in row])
    book.save(tmp)
