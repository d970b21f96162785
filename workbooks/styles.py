"""Cell writing for the generated workbooks (xlsxwriter): text that stays text, formulas with their
computed values, number formats, tables, widths and heights.

Every string goes through `Sheet.text`, which writes it as a string (never as a formula) and marks
the ones Excel would otherwise re-read as a formula on edit. Every formula is written with the value
Python computed for it, so a file preview, pandas or openpyxl's `data_only` see the numbers before
any spreadsheet recalculates. One vertical alignment rule holds for every cell: top.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import textwrap
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import xlsxwriter
from xlsxwriter.utility import xl_col_to_name, xl_rowcol_to_cell
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

FONT = "Arial"
"""Named on every cell and chart: LibreOffice maps it to Liberation Sans, never to a serif."""
SIZE = 10

# Number formats: the unit is in the column header, never in the cell.
EUR = "#,##0.00;[Red]-#,##0.00"
EUR_ROUND = "#,##0;[Red]-#,##0"
MILLION = "#,##0.0;[Red]-#,##0.0"
SIGNED_MILLION = "+#,##0.0;[Red]-#,##0.0;0.0"
SIGNED_THOUSAND = "+#,##0;[Red]-#,##0;0"
SIGNED_EUR = "+#,##0.00;[Red]-#,##0.00;0.00"
COUNT = "#,##0;[Red]-#,##0"
SIGNED_COUNT = "+#,##0;[Red]-#,##0;0"
DECIMAL = "#,##0.00;[Red]-#,##0.00"
FACTOR = "0.0000"
PERCENT = "0.0%;[Red]-0.0%"
SIGNED_PERCENT = "+0.00%;[Red]-0.00%;0.00%"
SHARE = "0.0%"
DATE = "yyyy-mm-dd"
TIMESTAMP = "yyyy-mm-dd hh:mm:ss"

# Styles: xlsxwriter format properties, combined by `Book.format`.
BOLD = {"bold": True}
TITLE = {"bold": True, "font_size": 14}
HEADING = {"bold": True, "font_size": 11}
NOTE = {"italic": True, "font_color": "#595959"}
WRAP = {"text_wrap": True}
ASSUMED = {"bg_color": "#FCE4D6"}
CHANGED = {"bg_color": "#E2EFDA"}
INPUT = {"bg_color": "#FFF2CC", "border": 1, "border_color": "#8EA9DB", "locked": False}
TOTAL = {"bg_color": "#D9E1F2", "bold": True}
HEADER = {"bold": True, "text_wrap": True, "bottom": 1}
CHECK_OK = {"bold": True, "font_color": "#375623", "bg_color": "#E2EFDA"}
CHECK_BAD = {"bold": True, "font_color": "#9C0006", "bg_color": "#FFC7CE"}

_FORMULA_STARTS = ("=", "+", "-", "@")
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_MAX_WIDTH = 60
LINE_HEIGHT = 13.5
PIXELS_PER_CHAR = 7  # xlsxwriter's conversion of a column width in characters to pixels (Arial 10, approximately)


def clean_text(text: str) -> str:
    """Text as a cell can hold it: control characters that XML forbids become visible escapes."""
    return _ILLEGAL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def cell(row: int, col: int, absolute: bool = False) -> str:
    """A1 notation of a zero-based (row, col)."""
    return xl_rowcol_to_cell(row, col, row_abs=absolute, col_abs=absolute)


def column(col: int) -> str:
    """The letter of a zero-based column."""
    return xl_col_to_name(col)


@dataclass(frozen=True)
class Formula:
    """A formula built by this package (never from file contents) with the value Python computed for it."""

    text: str
    value: float | str | bool


class Book:
    """An xlsxwriter workbook held in memory, with a cache of formats that all name the same font."""

    def __init__(self, target) -> None:
        self.wb: Workbook = xlsxwriter.Workbook(target, {
            "in_memory": True, "strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False,
            "nan_inf_to_errors": False})
        self.wb.formats[0].set_font_name(FONT)
        self.wb.formats[0].set_font_size(SIZE)
        self._formats: dict[tuple, object] = {}
        self.sheets: dict[str, Sheet] = {}

    def format(self, *styles: dict | None, num_format: str | None = None):
        """The format combining `styles` (later ones win), the named font, top alignment and a number format."""
        props = {"font_name": FONT, "font_size": SIZE, "valign": "top"}
        for style in styles:
            props.update(style or {})
        if num_format:
            props["num_format"] = num_format
        key = tuple(sorted(props.items()))
        if key not in self._formats:
            self._formats[key] = self.wb.add_format(props)
        return self._formats[key]

    def sheet(self, name: str) -> Sheet:
        sheet = Sheet(self, self.wb.add_worksheet(name), name)
        self.sheets[name] = sheet
        return sheet

    def chart(self, options: dict):
        """A chart whose title, axes and legend use the named font."""
        return self.wb.add_chart(options)

    def close(self) -> None:
        for sheet in self.sheets.values():
            sheet.finish()
        self.wb.close()


@dataclass
class Column:
    """A column of a written table: header text, number format, whether long text wraps, a fixed width."""

    header: str
    number_format: str | None = None
    wrap: bool = False
    width: float | None = None
    style: dict | None = None


@dataclass
class Placed:
    """A rectangle of cells on a sheet (zero-based, inclusive): a table, a block of text or a chart."""

    kind: str
    name: str
    first_row: int
    first_col: int
    last_row: int
    last_col: int


@dataclass
class Sheet:
    """One worksheet and what was written on it: shown text per column (for widths), wrapped cells (for heights)."""

    book: Book
    ws: Worksheet
    name: str
    shown: dict[int, float] = field(default_factory=dict)
    widths: dict[int, float] = field(default_factory=dict)
    wrapped: dict[tuple[int, int], tuple[str, bool]] = field(default_factory=dict)
    spans: dict[tuple[int, int], int] = field(default_factory=dict)
    placed: list[Placed] = field(default_factory=list)
    heights: dict[int, float] = field(default_factory=dict)
    hidden: set[int] = field(default_factory=set)
    fit: bool = True

    def text(self, row: int, col: int, value: str, *styles: dict | None, wrap: bool = False) -> None:
        """A string, always as text; one that starts like a formula gets Excel's quote prefix."""
        value = clean_text(str(value))
        prefix = {"quote_prefix": True} if value.startswith(_FORMULA_STARTS) else None
        style = [*styles, prefix, WRAP if wrap else None]
        self.ws.write_string(row, col, value, self.book.format(*style))
        if not any(s in (TITLE, HEADING, NOTE) for s in styles):  # titles and notes run over the next columns
            self._note(row, col, value, wrap, any(s and s.get("bold") for s in styles))

    def value(self, row: int, col: int, value, number_format: str | None = None, *styles: dict | None,
              wrap: bool = False) -> None:
        """Any value: text as text, numbers, dates, flags; None as an empty (formatted) cell."""
        if isinstance(value, Formula):
            self.formula(row, col, value, number_format, *styles)
        elif isinstance(value, str) and value:
            self.text(row, col, value, *styles, wrap=wrap)
        elif value is None or value == "" or (isinstance(value, float) and math.isnan(value)):
            self.ws.write_blank(row, col, None, self.book.format(*styles, num_format=number_format))
        elif isinstance(value, bool):
            self.ws.write_boolean(row, col, value, self.book.format(*styles))
            self._note(row, col, str(value).upper(), False, False)
        elif isinstance(value, dt.date):
            shown = TIMESTAMP if isinstance(value, dt.datetime) else DATE
            moment = value if isinstance(value, dt.datetime) else dt.datetime(value.year, value.month, value.day)
            self.ws.write_datetime(row, col, moment, self.book.format(*styles, num_format=number_format or shown))
            self._note(row, col, "2000-01-01 00:00:00" if shown == TIMESTAMP else "2000-01-01", False, False)
        else:
            if hasattr(value, "item"):
                value = value.item()
            self.ws.write_number(row, col, value, self.book.format(*styles, num_format=number_format))
            self._note(row, col, _shown_number(value, number_format), False, False)

    def formula(self, row: int, col: int, f: Formula, number_format: str | None = None, *styles: dict | None) -> None:
        """A formula with its computed value cached."""
        value = f.value
        if hasattr(value, "item"):
            value = value.item()
        self.ws.write_formula(row, col, f.text, self.book.format(*styles, num_format=number_format), value)
        self._note(row, col, _shown_number(value, number_format) if isinstance(value, int | float) else str(value),
                   False, False)

    def merged(self, row: int, first_col: int, last_col: int, text: str, *styles: dict | None) -> None:
        """Wrapped text across columns of one row (a sentence or a note), as text."""
        text = clean_text(text)
        prefix = {"quote_prefix": True} if text.startswith(_FORMULA_STARTS) else None
        fmt = self.book.format(*styles, prefix, WRAP)
        self.ws.merge_range(row, first_col, row, last_col, "", fmt)
        self.ws.write_string(row, first_col, text, fmt)
        self.wrapped[(row, first_col)] = (text, any(s and s.get("bold") for s in styles))
        self.spans[(row, first_col)] = last_col

    def _note(self, row: int, col: int, shown: str, wrap: bool, bold: bool) -> None:
        if wrap:
            self.wrapped[(row, col)] = (shown, bold)
            longest = max((len(w) for w in shown.split()), default=0)
        else:
            longest = max((len(line) for line in shown.splitlines()), default=0)
        width = longest * (1.15 if bold else 1.05) + 2
        self.shown[col] = max(self.shown.get(col, 0), width)

    def place(self, kind: str, name: str, first_row: int, first_col: int, last_row: int, last_col: int) -> None:
        self.placed.append(Placed(kind, name, first_row, first_col, last_row, last_col))

    def table(self, name: str, columns: Sequence[Column], rows: Iterable[Sequence], *, top: int = 0, left: int = 0,
              style: str = "Table Style Medium 2", row_styles: Sequence[dict | None] | None = None) -> tuple[int, int]:
        """A header and rows as an Excel table named `name`; returns (first data row, last data row), zero-based.

        A table needs at least one data row, so an empty `rows` writes one empty row. `row_styles`
        gives a fill per data row (assumed values, scenario changes).
        """
        rows = list(rows)
        last = top + max(len(rows), 1)
        self.ws.add_table(top, left, last, left + len(columns) - 1, {
            "name": name, "style": style, "autofilter": True,
            "columns": [{"header": c.header, "header_format": self.book.format(HEADER)} for c in columns]})
        for j, col in enumerate(columns):
            self.text(top, left + j, col.header, HEADER, wrap=True)
            if col.width is not None:
                self.widths[left + j] = col.width
        for i, row in enumerate(rows, start=top + 1):
            extra = row_styles[i - top - 1] if row_styles else None
            for j, (col, value) in enumerate(zip(columns, row, strict=True)):
                self.value(i, left + j, value, col.number_format, col.style, extra, wrap=col.wrap)
        self.place("table", name, top, left, last, left + len(columns) - 1)
        return top + 1, last

    def set_width(self, col: int, width: float) -> None:
        self.widths[col] = width

    def hide(self, first: int, last: int) -> None:
        """Hide columns (helper values a formula looks up)."""
        self.hidden.update(range(first, last + 1))

    def finish(self) -> None:
        """Column widths from what was written (or as set), then row heights for wrapped text."""
        final: dict[int, float] = {}
        for col in sorted(set(self.shown) | set(self.widths)):
            width = self.widths.get(col)
            if width is None and self.fit:
                width = min(max(self.shown.get(col, 8), 8), _MAX_WIDTH)
            if width is not None:
                final[col] = width
                self.ws.set_column(col, col, width, None, {"hidden": col in self.hidden})
        lines: dict[int, int] = {}
        for (row, col), (shown, bold) in self.wrapped.items():
            width = sum(final.get(c, 8.43) for c in range(col, self.spans.get((row, col), col) + 1))
            per_line = max(int(width * (1.1 if bold else 1.25)), 1)
            count = sum(len(textwrap.wrap(part, per_line)) or 1 for part in shown.splitlines())
            lines[row] = max(lines.get(row, 1), count)
        for row, count in lines.items():
            if count > 1 or row in self.heights:
                self.heights[row] = max(self.heights.get(row, 0), min(count * LINE_HEIGHT + 2, 409))
        for row, height in self.heights.items():
            self.ws.set_row(row, height)
        self.final_widths = final

    def printable(self, title_rows: tuple[int, int] | None = None) -> None:
        """Print (and export to PDF) landscape on A4, one page wide, repeating the header rows on every page."""
        self.ws.set_landscape()
        self.ws.set_paper(9)
        self.ws.fit_to_pages(1, 0)
        if title_rows:
            self.ws.repeat_rows(*title_rows)


def _shown_number(value, number_format: str | None) -> str:
    if not isinstance(value, int | float) or isinstance(value, bool):
        return str(value)
    if number_format and "%" in number_format:
        return f"{value:+.2%}"
    if number_format and "0.0000" in number_format:
        return f"{value:.4f}"
    if number_format and ".0" in number_format:
        return f"{value:+,.2f}"
    return f"{value:+,.0f}"
