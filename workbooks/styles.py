"""Cell writing for the generated workbooks: text that stays text, number formats, tables, widths.

Every value that comes from a policy or scenario file goes through `put`, which writes strings as
strings (never as formulas) and marks the ones Excel would otherwise re-read as a formula on edit.
"""

from __future__ import annotations

import datetime as dt
import textwrap
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.table import Table, TableStyleInfo
from openpyxl.worksheet.worksheet import Worksheet

EUR = '[$€-813] #,##0.00;[Red]-[$€-813] #,##0.00'
COUNT = '#,##0;[Red]-#,##0'
DECIMAL = '#,##0.00;[Red]-#,##0.00'
FACTOR = '0.0000'
PERCENT = '0.0%;[Red]-0.0%'
SHARE = '0.00%'
DATE = 'yyyy-mm-dd'
TIMESTAMP = 'yyyy-mm-dd hh:mm:ss'

ASSUMED_FILL = PatternFill("solid", fgColor="FCE4D6")
INPUT_FILL = PatternFill("solid", fgColor="FFF2CC")
TOTAL_FILL = PatternFill("solid", fgColor="D9E1F2")
TITLE_FONT = Font(bold=True, size=14)
HEADING_FONT = Font(bold=True, size=11)
BOLD = Font(bold=True)
NOTE_FONT = Font(italic=True, color="595959")
THIN = Side(style="thin", color="8EA9DB")
INPUT_BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
WRAP = Alignment(wrap_text=True, vertical="top")
TOP = Alignment(vertical="top")

_FORMULA_STARTS = ("=", "+", "-", "@")
_MAX_WIDTH = 60


def clean_text(text: str) -> str:
    """Text as a cell can hold it: control characters that XML forbids become visible escapes."""
    return ILLEGAL_CHARACTERS_RE.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def put(cell: Cell, value, number_format: str | None = None) -> Cell:
    """Write a value; strings always as text, even when they start with '='."""
    if isinstance(value, str):
        cell.value = clean_text(value)
        cell.data_type = "s"
        if value.startswith(_FORMULA_STARTS):
            cell.quotePrefix = True
    else:
        cell.value = value
    if number_format is not None:
        cell.number_format = number_format
    elif isinstance(value, dt.datetime):
        cell.number_format = TIMESTAMP
    elif isinstance(value, dt.date):
        cell.number_format = DATE
    return cell


def formula(cell: Cell, text: str, number_format: str | None = None) -> Cell:
    """Write a formula built by this package (never from file contents)."""
    cell.value = text
    if number_format is not None:
        cell.number_format = number_format
    return cell


@dataclass(frozen=True)
class Column:
    """A column of a written table: header text, number format, and whether long text wraps."""

    header: str
    number_format: str | None = None
    wrap: bool = False
    width: float | None = None


def write_table(ws: Worksheet, name: str, columns: Sequence[Column], rows: Iterable[Sequence],
                *, top: int = 1, left: int = 1, style: str = "TableStyleMedium2") -> tuple[int, int]:
    """Write a header and rows as an Excel table named `name`; returns (first data row, last data row).

    A row value that is a `Formula` is written as a formula; every other value goes through `put`.
    A table needs at least one data row, so an empty `rows` writes one empty row.
    """
    for j, col in enumerate(columns):
        header = put(ws.cell(top, left + j), col.header)
        header.font = BOLD
        header.alignment = WRAP
    last = top
    for last, row in enumerate(rows, start=top + 1):
        for j, (col, value) in enumerate(zip(columns, row, strict=True)):
            cell = ws.cell(last, left + j)
            if isinstance(value, Formula):
                formula(cell, value.text, col.number_format)
            else:
                put(cell, value, col.number_format)
            if col.wrap:
                cell.alignment = WRAP
    if last == top:
        last = top + 1
    ref = f"{get_column_letter(left)}{top}:{get_column_letter(left + len(columns) - 1)}{last}"
    table = Table(displayName=name, ref=ref)
    table.tableStyleInfo = TableStyleInfo(name=style, showRowStripes=True)
    ws.add_table(table)
    return top + 1, last


@dataclass(frozen=True)
class Formula:
    """A formula to write into a table cell."""

    text: str


def fit_widths(ws: Worksheet, columns: dict[int, Column] | None = None, *, minimum: float = 8, first_row: int = 1) -> None:
    """Set each column's width from its longest value from `first_row` on (capped; the longest word of wrapped
    text), or as given; then the heights of rows with wrapped text."""
    widths: dict[int, float] = {}
    for row in ws.iter_rows(min_row=first_row):
        for cell in row:
            if cell.value is None or (isinstance(cell.value, str) and cell.data_type == "f"):
                continue
            text = _shown(cell)
            parts = text.split() if cell.alignment.wrap_text else text.splitlines()
            longest = max((len(part) for part in parts), default=0)
            widths[cell.column] = max(widths.get(cell.column, minimum), longest * 1.1 + 2)
    for index, width in widths.items():
        given = (columns or {}).get(index)
        width = given.width if given is not None and given.width is not None else min(width, _MAX_WIDTH)
        ws.column_dimensions[get_column_letter(index)].width = width
    fit_heights(ws)


def fit_heights(ws: Worksheet, *, line_height: float = 15) -> None:
    """Give rows with wrapped text the height of their longest cell (spreadsheets do not always do it on load)."""
    for row in ws.iter_rows():
        lines = 1
        for cell in row:
            if not (isinstance(cell.value, str) and cell.alignment.wrap_text):
                continue
            width = ws.column_dimensions[cell.column_letter].width or 10
            per_line = max(int(width * (0.9 if cell.font.b else 1.05)), 1)
            lines = max(lines, sum(len(textwrap.wrap(part, per_line)) or 1 for part in cell.value.splitlines()))
        if lines > 1:
            ws.row_dimensions[row[0].row].height = min(lines * line_height, 409)


def _shown(cell: Cell) -> str:
    value = cell.value
    if isinstance(value, float):
        return f"{value:,.2f} €" if "€" in cell.number_format else f"{value:,.4g}"
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def mark_row(ws: Worksheet, row: int, first: int, last: int, fill: PatternFill) -> None:
    """Fill the cells of one row between two columns."""
    for col in range(first, last + 1):
        ws.cell(row, col).fill = fill


def heading(ws: Worksheet, row: int, text: str, *, font: Font = HEADING_FONT) -> Cell:
    """A section heading in column A."""
    cell = put(ws.cell(row, 1), text)
    cell.font = font
    return cell


def printable(ws: Worksheet, title_rows: str | None = None) -> None:
    """Print (and export to PDF) landscape, one page wide, repeating the header rows on every page."""
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    if title_rows:
        ws.print_title_rows = title_rows
