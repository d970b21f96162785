"""Writing claims results (and claims themselves) to .csv, .parquet or .xlsx, atomically.

Results keep the input order and carry the input `row` first, then engine.claims.contract.RESULT_COLUMNS.
Amounts are euros with two decimals: exact decimals in CSV (`4.00`), floats rounded to the cent in
Parquet, numbers with a euro format in xlsx. In xlsx every text is written as text, also when it
starts with `=`, so that a claim id never becomes a formula.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from engine.claims.contract import OPTIONAL, REQUIRED, RESULT_COLUMNS
from engine.claims.read import claims_format
from engine.errors import InputError
from engine.io.atomic import atomic_path
from engine.policy.files import display

AMOUNTS = ("provider_fee", "patient_copay", "insurer_amount", "care_path_fee", "supplement_amount", "patient_pays")
OUTPUT_COLUMNS = ["row", *RESULT_COLUMNS]
EURO_FORMAT = '#,##0.00 "€"'
XLSX_DATA_ROWS = 1_048_575
"""Rows a spreadsheet holds under its header row (Excel's sheet limit, 2**20 rows)."""
DATE_FORMAT = "yyyy-mm-dd"
CLAIM_COLUMNS = [*REQUIRED, *OPTIONAL]


def cents(euros: pd.Series | np.ndarray) -> np.ndarray:
    """Euro amounts of a results frame as whole cents."""
    return np.round(np.asarray(euros, dtype=float) * 100).astype(np.int64)


def _decimal(values: np.ndarray) -> pa.Array:
    """Whole cents as an exact decimal128(18, 2) array (the cents are its unscaled value)."""
    amount = cents(values)
    words = np.empty((len(amount), 2), np.int64)
    words[:, 0] = amount
    words[:, 1] = amount >> 63
    return pa.Array.from_buffers(pa.decimal128(18, 2), len(amount), [None, pa.py_buffer(words)])


def _text(values) -> pa.Array:
    array = values.array if isinstance(values, pd.Series) else values
    if isinstance(array, pd.Categorical):
        return pa.array(np.asarray(array.categories, dtype=object), pa.string()).take(pa.array(array.codes))
    return pa.array(array, pa.string())


def _day(values: pd.Series) -> pa.Array:
    days = values.to_numpy().astype("datetime64[D]")
    return pa.array(days, pa.date32(), mask=np.isnat(days))


def results_table(results: pd.DataFrame, exact: bool) -> pa.Table:
    """A results frame (with `row`) as an Arrow table: amounts as decimals (`exact`) or floats rounded to cents."""
    columns = {}
    for name in OUTPUT_COLUMNS:
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
            columns[name] = _text(values)
    return pa.table(columns)


class ResultsWriter:
    """Appends results frames, in order, to one output file that appears only when complete."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.suffix = claims_format(self.path, "results")
        self._stack = contextlib.ExitStack()
        self._sink = None

    def __enter__(self) -> ResultsWriter:
        tmp = self._stack.enter_context(atomic_path(self.path))
        try:
            self._sink = SINKS[self.suffix](tmp, self.path)
        except BaseException as failure:
            self._stack.__exit__(type(failure), failure, failure.__traceback__)
            raise
        return self

    def write(self, results: pd.DataFrame) -> None:
        """Append the next rows of results (columns `row` and RESULT_COLUMNS)."""
        self._sink.write(results)

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

    def __init__(self, tmp: Path, target: Path):
        self.tmp, self.writer = tmp, None

    def _open(self, schema: pa.Schema):
        raise NotImplementedError

    def write(self, results: pd.DataFrame) -> None:
        table = results_table(results, exact=self.exact)
        if self.writer is None:
            self.writer = self._open(table.schema)
        self.writer.write_table(table)

    def close(self) -> None:
        if self.writer is None:
            self.write(_empty_results())
        self.writer.close()

    def abort(self) -> None:
        """Let go of the half-written file (the caller removes it)."""
        if self.writer is not None:
            self.writer.close()


class _CsvSink(_ArrowSink):
    def _open(self, schema: pa.Schema):
        return pacsv.CSVWriter(self.tmp, schema, write_options=pacsv.WriteOptions(quoting_style="needed"))


class _ParquetSink(_ArrowSink):
    exact = False

    def _open(self, schema: pa.Schema):
        return pq.ParquetWriter(self.tmp, schema)


class _XlsxSink:
    def __init__(self, tmp: Path, target: Path):
        from openpyxl import Workbook

        self.tmp, self.target = tmp, target
        self.book = Workbook(write_only=True)
        self.sheet = self.book.create_sheet("results")
        self.sheet.append(OUTPUT_COLUMNS)
        self.rows = 0

    def write(self, results: pd.DataFrame) -> None:
        self.rows += len(results)
        if self.rows > XLSX_DATA_ROWS:
            raise InputError(f"{display(self.target)}: expected at most {XLSX_DATA_ROWS:,} result rows, "
                             f"the most a sheet holds under its header, found more; write .csv or .parquet instead")
        columns = []
        for name in OUTPUT_COLUMNS:
            values = results[name]
            if name in AMOUNTS:
                columns.append([self._formatted(v, EURO_FORMAT) for v in (cents(values) / 100).tolist()])
            elif name == "period_start":
                days = values.to_numpy().astype("datetime64[D]")
                columns.append([None if np.isnat(d) else self._formatted(d.item(), DATE_FORMAT) for d in days])
            elif name in ("row", "covered"):
                columns.append(values.tolist())
            else:
                columns.append([text_cell(self.sheet, v) for v in values.astype(object).tolist()])
        for row in zip(*columns, strict=True):
            self.sheet.append(row)

    def _formatted(self, value, number_format: str):
        from openpyxl.cell import WriteOnlyCell

        cell = WriteOnlyCell(self.sheet, value=value)
        cell.number_format = number_format
        return cell

    def close(self) -> None:
        self.book.save(self.tmp)

    def abort(self) -> None:
        """End the sheet's row stream now, rather than when it is garbage-collected after its file is gone."""
        self.sheet.close()


def text_cell(sheet, value):
    """A value for a write-only sheet; text starting with '=' becomes a text cell, never a formula."""
    if isinstance(value, str) and value.startswith("="):
        from openpyxl.cell import WriteOnlyCell

        cell = WriteOnlyCell(sheet, value=value)
        cell.data_type = "s"
        return cell
    return value


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
        elif name == "earlier_cm_sessions":
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
