"""Reading claims files (.csv, .parquet, .xlsx) as Arrow tables of text columns, whole or in batches.

Every column is read as text, so that nothing is silently coerced (a claim id `007` stays `007`,
a bad date stays visible); engine.claims.normalize turns the text into the normalized frame.
Column names are matched after trimming and lower-casing; a missing required column or an
unknown column is an error naming the file and the column, with a did-you-mean hint.
"""

from __future__ import annotations

import csv
import datetime as dt
import errno
import io
import os
import re
import stat
import sys
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from engine.claims.contract import OPTIONAL, RENAMED, REQUIRED
from engine.errors import InputError, did_you_mean
from engine.policy.files import display

FORMATS = (".csv", ".parquet", ".xlsx")
KNOWN = REQUIRED + OPTIONAL
IDENTIFIERS = ("claim_id", "patient_id", "group_id")
"""High-cardinality columns; the others are read dictionary-encoded (few distinct values, parsed once each)."""
SNIFF_BYTES = 1 << 16


def claims_format(path: Path, role: str) -> str:
    """The file's suffix when it is a supported format, else an InputError naming the file."""
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise InputError(f"{display(path)}: expected a {role} file ending in {', '.join(FORMATS)}, "
                         f"found {suffix or 'no extension'!r}")
    return suffix


def check_input(path: Path) -> str:
    """The format of an existing, readable claims file; an InputError otherwise."""
    suffix = claims_format(path, "claims")
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise InputError(f"{display(path)}: expected a claims file, found nothing at this path") from None
    except OSError as exc:
        raise InputError(f"{display(path)}: expected a claims file that can be read, found {_os_reason(exc)}") from None
    if not stat.S_ISREG(mode):
        raise InputError(f"{display(path)}: expected a claims file, found {_kind_of(mode)}")
    try:
        os.close(os.open(path, os.O_RDONLY))
    except OSError as exc:
        raise InputError(f"{display(path)}: expected a claims file that can be read, found {_os_reason(exc)}") from None
    return suffix


def _kind_of(mode: int) -> str:
    """What a path that is not a regular file is, in words."""
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO); save the claims to a file first"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "a device, not a file"


def _os_reason(exc: OSError) -> str:
    if exc.errno in (errno.EACCES, errno.EPERM):
        return "no permission to read it"
    return exc.strerror or type(exc).__name__


def column_names(path: Path, found: list[str]) -> list[str]:
    """Canonical column names for a file's header; every problem of the header in one InputError."""
    names = [str(name if name is not None else "").strip().lower() for name in found]
    nul = next((i for i, name in enumerate(names) if "\x00" in name), None)
    if nul is not None:
        raise InputError(f"{display(path)}: header: expected column names, found a NUL character in column {nul + 1} "
                         f"({names[nul][:40]!r}); is the file UTF-16 or binary? save it as CSV UTF-8")
    if {"covered", "reason", "insurer_amount"} <= set(names):
        raise InputError(f"{display(path)}: header: expected a claims file, found the columns of a results file "
                         f"(covered, reason, insurer_amount, ...); evaluate reads claims such as {', '.join(REQUIRED)}")
    for old in [n for n in names if n in RENAMED and RENAMED[n] not in names]:
        print(f"note: {display(path)}: column {old!r} is read as {RENAMED[old]!r}, its name since it counts the "
              f"earlier sessions with any mutuality's benefit", file=sys.stderr)
        names = [RENAMED[old] if n == old else n for n in names]
    problems = []
    unknown = [n for n in names if n not in KNOWN]
    for name in unknown:
        problems.append(f"unknown column {name!r}{did_you_mean(name, [k for k in KNOWN if k not in names])}")
    if unknown:
        problems.append(f"the known columns are {', '.join(KNOWN)}")
    for name in dict.fromkeys(n for n in names if names.count(n) > 1):
        problems.append(f"column {name!r} appears more than once")
    for name in REQUIRED:
        if name not in names:
            problems.append(f"missing required column {name!r}{did_you_mean(name, unknown)}")
    if problems:
        raise InputError("\n".join(f"{display(path)}: header: {p}" for p in problems))
    return names


def read_claims_table(path: Path) -> pa.Table:
    """The whole claims file as a table of text columns with canonical names."""
    suffix = check_input(path)
    if suffix == ".xlsx":
        return _read_xlsx(path)
    return _read_parquet(path) if suffix == ".parquet" else _read_csv(path)


def claims_batches(path: Path, rows: int | None) -> Iterator[pa.Table]:
    """A .csv or .parquet claims file in batches of about `rows` rows (None: one batch), text columns."""
    suffix = check_input(path)
    if suffix == ".csv":
        if rows is None:
            yield _read_csv(path)
            return
        delimiter, header = _csv_header(path)
        names = column_names(path, header)
        sample = max(1, _bytes_per_row(path))
        ragged = _Ragged(path)
        options = _csv_options(header, names, delimiter, ragged, block_size=max(1 << 20, rows * sample))
        try:
            with pacsv.open_csv(path, *options) as reader:
                for batch in reader:
                    yield _renamed(pa.Table.from_batches([batch]), names)
        except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
            raise InputError(f"{display(path)}: {_csv_failure(path, ragged, exc)}") from None
    elif suffix == ".parquet" and rows is None:
        yield _read_parquet(path)
    elif suffix == ".parquet":
        try:
            parquet = pq.ParquetFile(path)
            names = column_names(path, parquet.schema_arrow.names)
            for batch in parquet.iter_batches(batch_size=rows):
                yield _as_text(_renamed(pa.Table.from_batches([batch]), names), path)
        except (pa.ArrowInvalid, OSError) as exc:
            raise InputError(f"{display(path)}: expected a Parquet file, found one that cannot be read "
                             f"({_arrow_message(exc)})") from None
    else:
        raise InputError(f"{display(path)}: reading in batches needs a .csv or .parquet file, found {suffix!r}")


def estimated_rows(path: Path) -> int:
    """The number of data rows of a .csv or .parquet file: exact for Parquet, estimated from a sample of lines for CSV."""
    if check_input(path) == ".parquet":
        try:
            return pq.ParquetFile(path).metadata.num_rows
        except (pa.ArrowInvalid, OSError):
            return 0
    return path.stat().st_size // _bytes_per_row(path)


def _csv_header(path: Path) -> tuple[str, list[str]]:
    """The delimiter (',' or ';', as spreadsheet exports in Belgium often use) and the header fields."""
    with open(path, "rb") as f:
        head = f.read(SNIFF_BYTES)
    try:
        text = head.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 4:
            raise InputError(f"{display(path)}: {_not_utf8(path)}") from None
        text = head[: exc.start].decode("utf-8-sig")
    first = text.splitlines()[0] if text.strip() else ""
    if not first.strip():
        raise InputError(f"{display(path)}: expected a header line with the column names, found an empty file")
    delimiter = ";" if first.count(";") > first.count(",") else ","
    return delimiter, next(csv.reader(io.StringIO(first), delimiter=delimiter))


def _bytes_per_row(path: Path) -> int:
    with open(path, "rb") as f:
        lines = f.read(SNIFF_BYTES).splitlines()[1:-1]
    return max(1, sum(len(line) + 1 for line in lines) // len(lines)) if lines else 100


class _Ragged:
    """Remembers the first line with the wrong number of fields, so the error can name it."""

    def __init__(self, path: Path) -> None:
        self.path, self.message = path, ""

    def __call__(self, row) -> str:
        if not self.message:
            number = row.number if row.number is not None and row.number >= 0 else self._line_of(row.text)
            where = f"line {number}: " if number else ""
            self.message = (f"{where}expected {row.expected_columns} fields as in the header, found "
                            f"{row.actual_columns}: {row.text[:80]!r}")
        return "error"

    def _line_of(self, text: str) -> int | None:
        """The first line of the file that reads `text` (the reader does not count lines when threaded)."""
        with self.path.open(encoding="utf-8-sig", errors="replace") as f:
            return next((i for i, line in enumerate(f, start=1) if line.rstrip("\r\n") == text), None)


def _csv_options(header: list[str], names: list[str], delimiter: str, ragged: _Ragged, block_size: int = 1 << 24):
    types = {h: pa.string() if n in IDENTIFIERS else pa.dictionary(pa.int32(), pa.string())
             for h, n in zip(header, names, strict=True)}
    return (pacsv.ReadOptions(block_size=block_size, encoding="utf8"),
            pacsv.ParseOptions(delimiter=delimiter, invalid_row_handler=ragged),
            pacsv.ConvertOptions(column_types=types, strings_can_be_null=False,
                                 quoted_strings_can_be_null=False))


def _read_csv(path: Path) -> pa.Table:
    delimiter, header = _csv_header(path)
    names = column_names(path, header)
    ragged = _Ragged(path)
    try:
        table = pacsv.read_csv(path, *_csv_options(header, names, delimiter, ragged))
    except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
        raise InputError(f"{display(path)}: {_csv_failure(path, ragged, exc)}") from None
    return _renamed(table, names)


def _csv_failure(path: Path, ragged: _Ragged, exc: Exception) -> str:
    """Why a CSV file cannot be read, by line where possible."""
    return ragged.message or (_not_utf8(path) if "utf8" in str(exc).lower() else None) or _arrow_message(exc)


def _not_utf8(path: Path) -> str | None:
    """The first line that is not UTF-8, as the message to show (a spreadsheet's "CSV UTF-8" export avoids it)."""
    with path.open("rb") as f:
        for number, line in enumerate(f, start=1):
            try:
                line.decode("utf-8")
            except UnicodeDecodeError as exc:
                shown = line.rstrip(b"\r\n").decode("utf-8", errors="replace")[:80]
                return (f"line {number}: expected UTF-8 text, found byte {line[exc.start]:#x} in {shown!r} "
                        f"(save the file as CSV UTF-8)")
    return None


def _read_parquet(path: Path) -> pa.Table:
    try:
        table = pq.read_table(path)
    except (pa.ArrowInvalid, OSError) as exc:
        raise InputError(f"{display(path)}: expected a Parquet file, found one that cannot be read "
                         f"({_arrow_message(exc)})") from None
    return _as_text(_renamed(table, column_names(path, table.column_names)), path)


def _arrow_message(exc: Exception) -> str:
    text = str(exc).splitlines()[0]
    if "UTF8" in text or "utf8" in text.lower():
        return f"expected UTF-8 text, found other bytes ({text})"
    return text


def _renamed(table: pa.Table, names: list[str]) -> pa.Table:
    return table.rename_columns(names)


def _as_text(table: pa.Table, path: Path) -> pa.Table:
    """Typed Parquet columns as text: dates and timestamps as YYYY-MM-DD, numbers and booleans as written."""
    columns = []
    for name, column in zip(table.column_names, table.columns, strict=True):
        kind = column.type
        if pa.types.is_dictionary(kind):
            kind = kind.value_type
        if not (pa.types.is_string(kind) or pa.types.is_large_string(kind) or pa.types.is_integer(kind)
                or pa.types.is_floating(kind) or pa.types.is_decimal(kind) or pa.types.is_boolean(kind)
                or pa.types.is_timestamp(kind) or pa.types.is_date(kind) or pa.types.is_null(kind)):
            raise InputError(f"{display(path)}: column {name!r}: expected text, numbers, booleans or dates, found "
                             f"Parquet type {kind}")
        kind = column.type
        if pa.types.is_dictionary(kind):
            column, kind = column.cast(kind.value_type), kind.value_type
        if pa.types.is_timestamp(kind) or pa.types.is_date(kind):
            column = column.cast(pa.date32())
        if not pa.types.is_string(column.type):
            column = column.cast(pa.string())
        columns.append(pc.fill_null(column, ""))
    return pa.table(columns, names=table.column_names)


def _read_xlsx(path: Path) -> pa.Table:
    """The first sheet of a workbook, every row and column that holds a value (whatever its <dimension> says);
    cells as text (dates as YYYY-MM-DD, formulas as their stored value); blank rows are skipped.

    python-calamine never expands XML entities: a DOCTYPE entity (billion laughs, XXE) or broken XML
    is refused as a workbook that cannot be read.
    """
    from python_calamine import CalamineWorkbook

    check_sheet_rows(path)
    try:
        book = CalamineWorkbook.from_path(str(path))
        sheet = book.get_sheet_by_index(0)
    except Exception as exc:  # calamine raises several kinds (zip, XML, password, no sheet) for a file that is not a workbook
        raise InputError(f"{display(path)}: expected an .xlsx workbook, found a file that cannot be read "
                         f"({_first_line(exc)})") from None
    try:
        if sheet.height - 1 > XLSX_ROWS:
            raise InputError(_too_many_rows(path))
        (top, left), rows = sheet.start or (0, 0), sheet.iter_rows()
        pad = ("",) * left
        header = [*pad, *next(rows, [])] if top == 0 else []
        if all(v in ("", None) for v in header):
            raise InputError(f"{display(path)}: expected a header row with the column names, found an empty sheet")
        width = max(i for i, v in enumerate(header) if v not in ("", None)) + 1
        names = column_names(path, [None if v == "" else v for v in header[:width]])
        columns: list[list[str]] = [[] for _ in range(width)]
        for values in rows:
            texts = [v if type(v) is str else _cell_text(v) for v in (*pad, *values)[:width]]
            if not any(texts):
                continue
            texts += [""] * (width - len(texts))
            for column, text in zip(columns, texts, strict=True):
                column.append(text)
    finally:
        book.close()
    return pa.table([pa.array(c, pa.string()) for c in columns], names=names)


def check_sheet_rows(path: Path) -> None:
    """Refuse, before reading it, a workbook whose first sheet has more rows than XLSX_ROWS under its header.

    The rows are counted in the sheet's XML as it is unzipped, and the count stops at the limit, so
    a huge sheet is refused in a moment rather than read for minutes.
    """
    import zipfile

    try:
        with zipfile.ZipFile(path) as archive:
            member = _first_sheet(archive)
            if member is None:
                return
            rows, tail = 0, b""
            with archive.open(member) as xml:
                while chunk := xml.read(1 << 22):
                    block = tail + chunk
                    rows += _ROW_TAG.subn(b"", block[: len(block) - 16])[1] if len(block) > 16 else 0
                    tail = block[-16:] if len(block) > 16 else block
                    if rows - 1 > XLSX_ROWS:
                        raise InputError(_too_many_rows(path))
    except (zipfile.BadZipFile, OSError, KeyError, RuntimeError, EOFError):
        return  # the reader names what is wrong with the file


def _first_sheet(archive) -> str | None:
    """The zip member of a workbook's first sheet, found without an XML parser (the file is untrusted)."""
    try:
        workbook = archive.read("xl/workbook.xml").decode("utf-8", "replace")
        rels = archive.read("xl/_rels/workbook.xml.rels").decode("utf-8", "replace")
    except KeyError:
        return None
    sheet = re.search(r'<(?:\w+:)?sheet\b[^>]*?\b\w+:id="([^"]+)"', workbook)
    if sheet is None:
        return None
    for tag in re.findall(r"<(?:\w+:)?Relationship\b[^>]*>", rels):
        if f'Id="{sheet.group(1)}"' in tag and (target := re.search(r'Target="([^"]+)"', tag)):
            name = target.group(1).lstrip("/")
            return name if name.startswith("xl/") else f"xl/{name}"
    return None


_ROW_TAG = re.compile(rb"<(?:\w+:)?row[\s>/]")
XLSX_ROWS = 1_048_575
"""Rows of an .xlsx input under its header: the most a sheet holds (Excel's limit of 2**20 rows)."""


def _too_many_rows(path: Path) -> str:
    return (f"{display(path)}: expected at most {XLSX_ROWS:,} claim rows in an .xlsx file (the most a sheet holds), "
            f"found more; save the claims as .csv or .parquet instead")


def _first_line(exc: Exception) -> str:
    text = str(exc).splitlines()[0] if str(exc) else ""
    return f"{type(exc).__name__}: {text[:120]}" if text else type(exc).__name__


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
