"""Writing a small result table (a simulation, a schedule) to .csv, .parquet or .xlsx, atomically.

Text is always written as text (a value starting with '=' never becomes a formula in Excel), and
euro columns get a euro number format in xlsx.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from engine.errors import InputError
from engine.io.atomic import atomic_path
from engine.policy.files import display

FORMATS = (".csv", ".parquet", ".xlsx")
EURO_FORMAT = '#,##0.00 "€"'


def check_output(path: Path | str) -> Path:
    """The output path, if its extension is one we write; a clear error otherwise."""
    path = Path(path)
    if path.suffix.lower() not in FORMATS:
        raise InputError(f"{display(path)}: expected an output file ending in {', '.join(FORMATS)}, "
                         f"found {path.suffix or 'no extension'!r}")
    return path


def write_table(frame: pd.DataFrame, path: Path | str, euro_columns: Iterable[str] = (), sheet: str = "results") -> Path:
    """Write `frame` to `path` (format from the extension); the file appears whole or not at all.

    `euro_columns` are amounts in euros: rounded to the cent, written with two decimals in CSV and
    with a euro format in xlsx."""
    path = check_output(path)
    suffix = path.suffix.lower()
    money = [c for c in euro_columns if c in frame.columns]
    with atomic_path(path) as tmp:
        if suffix == ".csv":
            frame.assign(**{c: frame[c].astype(float).map(_two_decimals) for c in money}).to_csv(tmp, index=False)
        elif suffix == ".parquet":
            frame.assign(**{c: frame[c].astype(float).round(2) for c in money}).to_parquet(tmp, index=False)
        else:
            _write_xlsx(frame, tmp, set(money), sheet)
    return path


def _two_decimals(value: float) -> str:
    return "" if math.isnan(value) else f"{value:.2f}"


def _write_xlsx(frame: pd.DataFrame, path: Path, euros: set[str], sheet: str) -> None:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    ws = book.create_sheet(sheet)
    ws.freeze_panes = "A2"
    ws.append(list(frame.columns))
    formats = [EURO_FORMAT if c in euros else None for c in frame.columns]
    for record in frame.itertuples(index=False):
        row = []
        for value, fmt in zip(record, formats, strict=True):
            row.append(_cell(ws, value, fmt))
        ws.append(row)
    book.save(path)


def _cell(ws, value, number_format: str | None):
    from openpyxl.cell import WriteOnlyCell

    if hasattr(value, "item"):
        value = value.item()
    cell = WriteOnlyCell(ws, value=None)
    if isinstance(value, str):
        cell.value = value
        cell.data_type = "s"  # text stays text, even when it starts with '='
    else:
        cell.value = None if value != value else value  # NaN → empty
        if number_format:
            cell.number_format = number_format
    return cell
