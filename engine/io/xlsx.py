"""A streaming .xlsx writer that builds the sheet XML a block of columns at a time.

General-purpose writers (xlsxwriter, openpyxl) make one Python call per cell, a few thousand rows a
second; here each block of rows becomes XML through Arrow's string kernels, column by column, and
goes straight into the zip archive, so memory stays flat however many rows are written. The
workbook's other parts (styles, shared strings, tables, content types) are written at the end,
when the final ranges are known, so a sheet can be a real Excel table over all its rows.

What is guaranteed:
- text is always text: a string cell (`t="s"` or `t="inlineStr"`) never a formula, whatever it starts with;
- XML is escaped (`& < >`), and the characters XML 1.0 cannot hold (control characters, CR) are written
  as Excel writes them, `_xHHHH_`, with a literal `_xHHHH_` in the text protected as `_x005F_xHHHH_`;
- numbers are written as Arrow formats them (decimals exactly, `4.00`), dates as day serials with a date format;
- a null (or NaN, or empty text) is an empty cell.

Repeated text (codes, reasons, schemes) goes to the shared-string table; text that rarely repeats
(identifiers) is written inline, so that the table stays small.
"""

from __future__ import annotations

import contextlib
import re
import zipfile
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

MAX_ROWS = 1_048_576
"""Rows of a sheet, header included (Excel's limit, 2**20)."""
MAX_COLUMNS = 16_384
BLOCK_ROWS = 1 << 16
"""Rows turned into XML at a time: bounds the memory of a block whatever the caller hands over."""
SAMPLE = 4096
"""Values of a text column looked at to decide between shared and inline text: shared when they repeat."""
SHARED_LIMIT = 1 << 16
"""Distinct strings kept in the shared-string table; further text is written inline."""
EURO = '#,##0.00 "€"'
DATE = "yyyy-mm-dd"
STYLES = {"euro": 1, "date": 2}
"""Cell style index of each number format in styles.xml (0 is the default style)."""
EXCEL_EPOCH_DAYS = 25_569
"""Excel's day serial of 1970-01-01 (serials count from 1899-12-30)."""
TABLE_STYLE = "TableStyleLight9"

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
NEEDS_CARE = "[\x00-\x08\x0b-\x1f\ufffe\uffff]|_[xX][0-9A-Fa-f]{4}_"
"""Text that plain XML escaping does not make safe: characters XML 1.0 forbids (CR too: parsers turn it
into LF), and literal `_xHHHH_`, which Excel would read as an escaped character."""
_LITERAL = re.compile("_(?=[xX][0-9A-Fa-f]{4}_)")
_FORBIDDEN = re.compile("[\x00-\x08\x0b-\x1f\ufffe\uffff]")


def column_letter(index: int) -> str:
    """The letters of a 0-based column index: 0 → A, 26 → AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def xstring(text: str) -> str:
    """Text as an Excel string value (ST_Xstring): forbidden characters as `_xHHHH_`, a literal `_xHHHH_`
    kept literal, then XML-escaped."""
    text = _LITERAL.sub("_x005F_", text)
    text = _FORBIDDEN.sub(lambda m: f"_x{ord(m.group()):04X}_", text)
    return escape(text)


def _xstrings(values: pa.Array) -> pa.Array:
    """xstring over a string array, in Arrow's kernels; the rare values that need more than `& < >`
    escaping are done one by one."""
    careful = pc.fill_null(pc.match_substring_regex(values, NEEDS_CARE), False)
    escaped = values
    if pc.any(pc.match_substring_regex(values, "[&<>]")).as_py():
        for char, entity in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;")):
            escaped = pc.replace_substring(escaped, char, entity)
    if pc.any(careful).as_py():
        at = pa.array(np.flatnonzero(careful.to_numpy(zero_copy_only=False)))
        fixed = pa.array([xstring(v) for v in values.take(at).to_pylist()], pa.string())
        escaped = pc.replace_with_mask(escaped, careful, fixed)
    return escaped


@dataclass
class _Sheet:
    name: str
    headers: list[str]
    styles: list[str | None]
    rows: int = 0
    table: str | None = None


@dataclass
class _Shared:
    """The shared-string table: each distinct text once, in order of first use."""

    index: dict[str, int] = field(default_factory=dict)

    def ids(self, texts: list[str]) -> list[int] | None:
        """The ids of `texts` (added when new), or None when the table is full."""
        new = [t for t in texts if t not in self.index]
        if len(self.index) + len(new) > SHARED_LIMIT:
            return None
        for text in new:
            self.index[text] = len(self.index)
        return [self.index[t] for t in texts]

    def xml(self) -> str:
        items = "".join(f'<si><t xml:space="preserve">{xstring(t)}</t></si>' for t in self.index)
        return f'{HEAD}<sst xmlns="{MAIN}" count="{len(self.index)}" uniqueCount="{len(self.index)}">{items}</sst>'


class StreamingWorkbook:
    """An .xlsx file written sheet by sheet: `start_sheet`, `append` blocks of rows (Arrow tables), then
    `end_sheet` (as an Excel table, or with filter buttons), and `close`. One sheet is open at a time;
    each sheet has a frozen header row."""

    def __init__(self, path: Path | str):
        self.archive = zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1)
        self.sheets: list[_Sheet] = []
        self.shared = _Shared()
        self._stream = None
        self._compressor = ThreadPoolExecutor(1, thread_name_prefix="xlsx-deflate")
        self._pending: Future | None = None

    def start_sheet(self, name: str, headers: list[str], styles: list[str | None] | None = None) -> None:
        """Open the next sheet and write its header row; `styles` gives each column's number format (`euro`,
        `date` or None)."""
        if len(headers) > MAX_COLUMNS:
            raise ValueError(f"expected at most {MAX_COLUMNS:,} columns, found {len(headers):,}")
        sheet = _Sheet(name, [str(h) for h in headers], list(styles or [None] * len(headers)))
        self.sheets.append(sheet)
        self._stream = self.archive.open(f"xl/worksheets/sheet{len(self.sheets)}.xml", "w", force_zip64=True)
        widths = "".join(f'<col min="{i + 1}" max="{i + 1}" width="{max(10, min(len(h) + 3, 60))}" customWidth="1"/>'
                         for i, h in enumerate(sheet.headers))
        selected = ' tabSelected="1"' if len(self.sheets) == 1 else ""
        ids = self.shared.ids(sheet.headers)
        if ids is not None:
            header = "".join(f'<c r="{column_letter(i)}1" t="s"><v>{n}</v></c>' for i, n in enumerate(ids))
        else:  # the shared table is full: the header goes inline
            header = "".join(f'<c r="{column_letter(i)}1" t="inlineStr"><is><t xml:space="preserve">{xstring(h)}</t></is></c>'
                             for i, h in enumerate(sheet.headers))
        self._write(f'{HEAD}<worksheet xmlns="{MAIN}" xmlns:r="{RELS}"><sheetViews><sheetView{selected} workbookViewId="0">'
                    '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
                    '<selection pane="bottomLeft" activeCell="A2" sqref="A2"/></sheetView></sheetViews>'
                    f'<sheetFormatPr defaultRowHeight="15"/><cols>{widths}</cols><sheetData><row r="1">{header}</row>')

    def append(self, table: pa.Table) -> None:
        """Write the rows of `table` (its columns in the sheet's order) below those already written."""
        sheet = self.sheets[-1]
        if table.num_columns != len(sheet.headers):
            raise ValueError(f"expected {len(sheet.headers)} columns, found {table.num_columns}")
        if sheet.rows + 1 + table.num_rows > MAX_ROWS:
            raise ValueError(f"expected at most {MAX_ROWS - 1:,} rows under the header, found more")
        for start in range(0, table.num_rows, BLOCK_ROWS):
            self._block(table.slice(start, BLOCK_ROWS))

    def _block(self, table: pa.Table) -> None:
        sheet = self.sheets[-1]
        n = table.num_rows
        if not n:
            return
        numbers = pc.cast(pa.array(np.arange(sheet.rows + 2, sheet.rows + 2 + n, dtype=np.int64)), pa.string())
        pieces: list = ['<row r="', numbers, '">']
        for i, style in enumerate(sheet.styles):
            pieces += self._cells(column_letter(i), numbers, table.column(i).combine_chunks(), style)
        rows = pc.binary_join_element_wise(*pieces, "</row>", "", null_handling="replace")
        _, offsets, data = rows.buffers()
        bounds = np.frombuffer(offsets, np.int32)[[rows.offset, rows.offset + n]]
        self._send(memoryview(data)[bounds[0]: bounds[1]])
        sheet.rows += n

    def _send(self, data) -> None:
        """Hand a block of XML to the compressing thread, once it has finished the previous one (whose
        failure, a full disk say, is raised here): the next block is built while this one is compressed."""
        self._wait()
        self._pending = self._compressor.submit(self._stream.write, data)

    def _wait(self) -> None:
        pending, self._pending = self._pending, None
        if pending is not None:
            pending.result()

    def _cells(self, letter: str, numbers: pa.Array, values: pa.Array, style: str | None) -> list:
        """One column's cells as pieces of the rows' XML: the cell's parts, or the whole cells (null where the
        cell is empty) when some are empty."""
        kind = values.type
        s = f' s="{STYLES[style]}"' if style else ""
        if pa.types.is_dictionary(kind) and _is_text(kind.value_type):
            return self._text(letter, numbers, values)
        if pa.types.is_dictionary(kind):
            values = values.cast(kind.value_type)
            kind = values.type
        if pa.types.is_boolean(kind):
            body, attrs = pc.if_else(values, "1", "0"), ' t="b"'
        elif pa.types.is_date(kind) or pa.types.is_timestamp(kind):
            days = values.cast(pa.date32()).cast(pa.int32()).cast(pa.int64())
            body, attrs = pc.cast(pc.add(days, EXCEL_EPOCH_DAYS), pa.string()), s or f' s="{STYLES["date"]}"'
        elif pa.types.is_integer(kind) or pa.types.is_decimal(kind):
            body, attrs = pc.cast(values, pa.string()), s
        elif pa.types.is_floating(kind):
            body, attrs = pc.if_else(pc.is_finite(values), pc.cast(values, pa.string()), pa.scalar(None, pa.string())), s
        else:
            return self._text(letter, numbers, values.cast(pa.string()))
        return _cell(f'<c r="{letter}', numbers, f'"{attrs}><v>', body, "</v></c>")

    def _text(self, letter: str, numbers: pa.Array, values: pa.Array) -> list:
        """Text cells: repeated text by its id in the shared-string table, the rest inline."""
        if not pa.types.is_dictionary(values.type):
            sample = values.slice(0, SAMPLE)
            if pc.count_distinct(sample).as_py() * 8 <= len(sample) or len(values) <= 64:
                values = pc.dictionary_encode(values)
        if pa.types.is_dictionary(values.type):
            distinct = values.dictionary.to_pylist()
            ids = self.shared.ids([d for d in distinct if d is not None and d != ""])
            if ids is not None:
                found = iter(ids)
                by_code = pa.array([None if d is None or d == "" else next(found) for d in distinct], pa.int64())
                body = pc.cast(by_code.take(values.indices), pa.string())
                return _cell(f'<c r="{letter}', numbers, '" t="s"><v>', body, "</v></c>")
            values = values.cast(pa.string())
        values = pc.if_else(pc.equal(values, ""), pa.scalar(None, pa.string()), values)
        return _cell(f'<c r="{letter}', numbers, '" t="inlineStr"><is><t xml:space="preserve">', _xstrings(values),
                     "</t></is></c>")

    def end_sheet(self, table: str | None = None) -> None:
        """Close the open sheet: an Excel table named `table` over the header and every row (a header alone
        gets filter buttons instead, as a table needs a row)."""
        sheet = self.sheets[-1]
        tail = "</sheetData>"
        if table and sheet.rows:
            sheet.table = table
            tail += '<tableParts count="1"><tablePart r:id="rId1"/></tableParts>'
        else:
            tail += f'<autoFilter ref="{self._range(sheet)}"/>'
        self._write(tail + "</worksheet>")
        self._wait()
        self._stream.close()
        self._stream = None

    @staticmethod
    def _range(sheet: _Sheet) -> str:
        return f"A1:{column_letter(len(sheet.headers) - 1)}{sheet.rows + 1}"

    def _write(self, text: str) -> None:
        self._send(text.encode("utf-8"))

    def close(self) -> None:
        """Write the workbook's other parts and finish the file."""
        if self._stream is not None:
            self.end_sheet()
        put = self.archive.writestr
        tables = [(i, s) for i, s in enumerate(self.sheets, start=1) if s.table]
        for number, (i, sheet) in enumerate(tables, start=1):
            columns = "".join(f'<tableColumn id="{j}" name={quoteattr(xstring(h))}/>'
                              for j, h in enumerate(sheet.headers, start=1))
            ref = self._range(sheet)
            put(f"xl/tables/table{number}.xml",
                f'{HEAD}<table xmlns="{MAIN}" id="{number}" name={quoteattr(sheet.table)} displayName={quoteattr(sheet.table)} '
                f'ref="{ref}" totalsRowShown="0"><autoFilter ref="{ref}"/><tableColumns count="{len(sheet.headers)}">'
                f'{columns}</tableColumns><tableStyleInfo name="{TABLE_STYLE}" showFirstColumn="0" showLastColumn="0" '
                'showRowStripes="1" showColumnStripes="0"/></table>')
            put(f"xl/worksheets/_rels/sheet{i}.xml.rels",
                f'{HEAD}<Relationships xmlns="{PACKAGE_RELS}"><Relationship Id="rId1" Type="{RELS}/table" '
                f'Target="../tables/table{number}.xml"/></Relationships>')
        put("xl/styles.xml", _styles())
        put("xl/sharedStrings.xml", self.shared.xml())
        sheets = "".join(f'<sheet name={quoteattr(s.name)} sheetId="{i}" r:id="rId{i}"/>' for i, s in enumerate(self.sheets, start=1))
        filters = "".join(f'<definedName name="_xlnm._FilterDatabase" localSheetId="{i}" hidden="1">'
                          f"{escape(_quoted(s.name))}!{_absolute(self._range(s))}</definedName>"
                          for i, s in enumerate(self.sheets) if not s.table)
        put("xl/workbook.xml", f'{HEAD}<workbook xmlns="{MAIN}" xmlns:r="{RELS}"><bookViews><workbookView/></bookViews>'
                               f'<sheets>{sheets}</sheets>' + (f"<definedNames>{filters}</definedNames>" if filters else "")
                               + "</workbook>")
        n = len(self.sheets)
        links = "".join(f'<Relationship Id="rId{i}" Type="{RELS}/worksheet" Target="worksheets/sheet{i}.xml"/>'
                        for i in range(1, n + 1))
        put("xl/_rels/workbook.xml.rels",
            f'{HEAD}<Relationships xmlns="{PACKAGE_RELS}">{links}'
            f'<Relationship Id="rId{n + 1}" Type="{RELS}/styles" Target="styles.xml"/>'
            f'<Relationship Id="rId{n + 2}" Type="{RELS}/sharedStrings" Target="sharedStrings.xml"/></Relationships>')
        put("_rels/.rels", f'{HEAD}<Relationships xmlns="{PACKAGE_RELS}"><Relationship Id="rId1" '
                           f'Type="{RELS}/officeDocument" Target="xl/workbook.xml"/></Relationships>')
        kind = "application/vnd.openxmlformats-officedocument.spreadsheetml"
        parts = [("/xl/workbook.xml", f"{kind}.sheet.main+xml"), ("/xl/styles.xml", f"{kind}.styles+xml"),
                 ("/xl/sharedStrings.xml", f"{kind}.sharedStrings+xml"),
                 *((f"/xl/worksheets/sheet{i}.xml", f"{kind}.worksheet+xml") for i in range(1, n + 1)),
                 *((f"/xl/tables/table{i}.xml", f"{kind}.table+xml") for i in range(1, len(tables) + 1))]
        overrides = "".join(f'<Override PartName="{p}" ContentType="{t}"/>' for p, t in parts)
        put("[Content_Types].xml",
            f'{HEAD}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            f'<Default Extension="xml" ContentType="application/xml"/>{overrides}</Types>')
        self.archive.close()
        self._compressor.shutdown()

    def abort(self) -> None:
        """Let go of the half-written file (the caller removes it)."""
        try:
            with contextlib.suppress(Exception):  # the first failure is the one reported
                self._wait()
            if self._stream is not None:
                self._stream.close()
        finally:
            self._compressor.shutdown()
            self.archive.close()


def _is_text(kind: pa.DataType) -> bool:
    return pa.types.is_string(kind) or pa.types.is_large_string(kind)


def _cell(*parts) -> list:
    """A cell's XML as pieces of the row join, or whole (null where the value is null) when some values are null."""
    body = parts[3]
    return [pc.binary_join_element_wise(*parts, "")] if body.null_count else list(parts)


def _quoted(sheet: str) -> str:
    """A sheet name as a formula reference writes it."""
    return sheet if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.]*", sheet) else "'" + sheet.replace("'", "''") + "'"


def _absolute(ref: str) -> str:
    """A1:T9 → $A$1:$T$9."""
    return ":".join(re.sub(r"([A-Z]+)(\d+)", r"$\1$\2", part) for part in ref.split(":"))


def _styles() -> str:
    return (f'{HEAD}<styleSheet xmlns="{MAIN}"><numFmts count="2"><numFmt numFmtId="164" formatCode={quoteattr(EURO)}/>'
            f'<numFmt numFmtId="165" formatCode={quoteattr(DATE)}/></numFmts>'
            '<fonts count="1"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>'
            '<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>'
            '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
            '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
            '<cellXfs count="3"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
            '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
            '<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>'
            '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
            '<dxfs count="0"/><tableStyles count="0" defaultTableStyle="TableStyleMedium9" defaultPivotStyle="PivotStyleLight16"/>'
            "</styleSheet>")
