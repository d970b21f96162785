"""Excel-shaped arguments in, plain Python values out, and back to cells.

Excel hands a function numbers as floats (`24.0`), dates as datetimes or as serial numbers (when
the cell is not formatted as a date), booleans as TRUE/FALSE or 1/0, empty cells as None and ranges
as lists of rows (a single cell as a scalar, a single row as a flat list). Every reader here takes
the argument's name, so that a mistake comes back as `<name>: expected …, found …`.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from engine.cells import DECIMAL, FLAG_HELP, read_date, read_flag
from engine.dates import age_on
from engine.errors import InputError

_EPOCH = dt.date(1899, 12, 30)  # serial 0 in Excel's 1900 date system, for serials after 1900-02-28
_FAKE_LEAP_DAY = 60  # Excel's serial for 1900-02-29, a day that does not exist
_LAST_SERIAL = (dt.date(9999, 12, 31) - _EPOCH).days
DATE_HELP = "a date (a date cell, a date serial number or YYYY-MM-DD or DD/MM/YYYY text)"
OLDEST_AGE = 130
"""A number up to this is an age in years; a larger one is a birth date's serial number."""


def shown(value: Any) -> str:
    """A cell value as an analyst would recognise it in a message."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return "an empty cell"
    if isinstance(value, bool | np.bool_):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime) and value.time() == dt.time():
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return f"a range of {len(value)} rows"
    return repr(value)


def is_empty(value: Any) -> bool:
    """An empty cell: None, blank text, or NaN."""
    return value is None or (isinstance(value, str) and not value.strip()) or (isinstance(value, float) and math.isnan(value))


def single(value: Any, name: str) -> Any:
    """The one value of a one-cell range; a larger range is a mistake."""
    if isinstance(value, list | tuple):
        cells = [c for row in value for c in (row if isinstance(row, list | tuple) else [row])]
        if len(cells) != 1:
            raise InputError(f"{name}: expected a single cell, found a range of {len(cells)} cells")
        return cells[0]
    return value


def text(value: Any, name: str, default: str | None = None) -> str:
    """A text argument, stripped; an empty cell gives `default` (or an error when required)."""
    value = single(value, name)
    if is_empty(value):
        if default is None:
            raise InputError(f"{name}: expected a value, found an empty cell")
        return default
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def serial_to_date(serial: float, name: str) -> dt.date:
    """A date from an Excel serial number (1900 date system; the time of day is ignored)."""
    whole = math.floor(serial)
    if whole == _FAKE_LEAP_DAY:
        raise InputError(f"{name}: expected {DATE_HELP}, found serial 60, Excel's 1900-02-29, a day that does not exist")
    if whole < 1 or whole > _LAST_SERIAL:
        raise InputError(f"{name}: expected {DATE_HELP}, found the number {shown(serial)}, not a date serial")
    return _EPOCH + dt.timedelta(days=whole + (1 if whole < _FAKE_LEAP_DAY else 0))


def date_to_serial(day: dt.date) -> int:
    """The Excel serial number of a date (1900 date system, after 1900-02-28)."""
    return (day - _EPOCH).days


def day(value: Any, name: str, default: dt.date | None = None) -> dt.date:
    """A date argument: a datetime, a serial number or date text (see engine.cells); an empty cell gives `default`."""
    value = single(value, name)
    if is_empty(value):
        if default is None:
            raise InputError(f"{name}: expected {DATE_HELP}, found an empty cell")
        return default
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, bool | np.bool_):
        raise InputError(f"{name}: expected {DATE_HELP}, found {shown(value)}")
    if isinstance(value, int | float | np.integer | np.floating):
        return serial_to_date(float(value), name)
    found = read_date(str(value))
    if found is None:
        raise InputError(f"{name}: expected {DATE_HELP}, found {shown(value)}")
    return found


def integer(value: Any, name: str, default: int | None = None) -> int:
    """A whole-number argument: 24, 24.0 or '24'; an empty cell gives `default`."""
    result = _numeric(value, name, default, "a whole number")
    if not float(result).is_integer():
        raise InputError(f"{name}: expected a whole number, found {shown(value)}")
    return int(result)


def number(value: Any, name: str, default: float | None = None) -> float:
    """A number argument: 13, 13.5, '13.5' or '13,5'; an empty cell gives `default`."""
    return _numeric(value, name, default, "a number")


def _numeric(value: Any, name: str, default: float | None, expected: str) -> float:
    value = single(value, name)
    if is_empty(value):
        if default is None:
            raise InputError(f"{name}: expected {expected}, found an empty cell")
        return default
    if isinstance(value, bool | np.bool_ | dt.date):
        raise InputError(f"{name}: expected {expected}, found {shown(value)}")
    if isinstance(value, str) and "," in value and not DECIMAL.fullmatch(value.strip()):
        raise InputError(f"{name}: expected {expected} without thousands separators (a decimal comma takes at most "
                         f"two digits), found {shown(value)}")
    try:
        result = float(str(value).strip().replace(",", ".")) if isinstance(value, str) else float(value)
    except ValueError:
        raise InputError(f"{name}: expected {expected}, found {shown(value)}") from None
    if not math.isfinite(result):
        raise InputError(f"{name}: expected {expected}, found {shown(value)}")
    return result


def age(value: Any, name: str, on: dt.date) -> int:
    """An age on a date from an age in years (24 or 24.0) or a birth date (a date, serial or ISO text)."""
    value = single(value, name)
    if isinstance(value, str) and value.strip().isdigit():  # an age typed as text
        value = int(value.strip())
    is_number = isinstance(value, int | float | np.integer | np.floating) and not isinstance(value, bool | np.bool_)
    if is_number and 0 <= value <= OLDEST_AGE:
        return integer(value, name)
    if is_number and value < 0:
        raise InputError(f"{name}: expected a birth date or an age in years, found {shown(value)}")
    try:
        birth = day(value, name)
    except InputError:
        raise InputError(f"{name}: expected an age in years or a birth date: {DATE_HELP}, found {shown(value)}") from None
    if birth > on:
        raise InputError(f"{name}: expected a birth date on or before {on}, found {birth}")
    return age_on(birth, on)


def flag(value: Any, name: str, default: bool = False) -> bool:
    """A yes/no argument: TRUE/FALSE, 1/0 or a yes/no word of Dutch, French or English Excel; an empty cell gives `default`."""
    value = single(value, name)
    if is_empty(value):
        return default
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | float | np.integer | np.floating) and value in (0, 1):
        return bool(value)
    found = read_flag(str(value))
    if found is None:
        raise InputError(f"{name}: expected {FLAG_HELP}, found {shown(value)}")
    return found


def rows(value: Any, name: str) -> list[list[Any]]:
    """A range as a list of rows: a single cell becomes one row of one cell, a flat list one row."""
    if value is None:
        raise InputError(f"{name}: expected a range, found an empty cell")
    if not isinstance(value, list | tuple):
        return [[value]]
    if not value:
        raise InputError(f"{name}: expected a range, found an empty one")
    if not isinstance(value[0], list | tuple):
        return [list(value)]
    return [list(row) for row in value]


def names(value: Any) -> list[str]:
    """Names from one cell ('a, b; c') or from a range of cells; empty cells are skipped."""
    cells = value if isinstance(value, list | tuple) else [value]
    flat: Iterable = (c for row in cells for c in (row if isinstance(row, list | tuple) else [row]))
    out = []
    for cell in flat:
        if is_empty(cell):
            continue
        out += [part.strip() for part in str(cell).replace(";", ",").split(",") if part.strip()]
    return out


def table(value: Any, name: str) -> dict[str, list[Any]]:
    """A range with its header row as columns of raw cell values, keyed by lower-case column name.

    Blank rows after the last filled row are left out (a range is often selected larger than its
    data); every other row is kept, in order, so that results line up with the input rows.
    """
    grid = rows(value, name)
    header = [text(h, f"{name}: header of column {i + 1}", "") for i, h in enumerate(grid[0])]
    if not any(header):
        raise InputError(f"{name}: expected a header row with column names, found an empty first row")
    body = grid[1:]
    while body and all(is_empty(c) for c in body[-1]):
        body.pop()
    width = len(header)
    if any(len(r) != width for r in body):
        body = [(r + [None] * width)[:width] for r in body]
    columns = list(zip(*body, strict=True)) if body else [()] * width
    out: dict[str, list[Any]] = {}
    for i, column in enumerate(columns):
        key = header[i].lower()
        if not key:
            if any(not is_empty(c) for c in column):
                raise InputError(f"{name}: expected a column name above every filled column, found none above column {i + 1}")
            continue
        if key in out:
            raise InputError(f"{name}: expected each column name once, found {header[i]!r} twice")
        out[key] = list(column)
    return out


def cell_text(value: Any, is_date: bool = False) -> str:
    """A cell as the text a claims file would hold: dates as YYYY-MM-DD (serials too, in a date
    column), whole floats without '.0', booleans as true/false, empty cells as ''."""
    if is_empty(value):
        return ""
    if isinstance(value, bool | np.bool_):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if is_date and isinstance(value, int | float) and 1 <= value <= _LAST_SERIAL and math.floor(value) != _FAKE_LEAP_DAY:
        return serial_to_date(value, "").isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def text_column(values: list[Any], is_date: bool = False) -> pa.Array:
    """cell_text of every value of a column, as an Arrow string array.

    A column of one type (text; datetimes in a date column; booleans; numbers outside a date
    column) is converted by Arrow in one go; a mixed column value by value, each distinct value once.
    """
    kinds = set(map(type, values)) - {type(None)}
    if kinds <= {str}:
        return pc.fill_null(pa.array(values, pa.string()), "")
    if is_date and kinds <= {dt.datetime}:
        return pc.fill_null(pa.array(values, pa.timestamp("us")).cast(pa.date32()).cast(pa.string()), "")
    if kinds <= {bool} or (not is_date and kinds <= {float, int}):
        typed = pa.array(values, pa.bool_() if kinds <= {bool} else pa.float64())
        return pc.fill_null(typed.cast(pa.string()), "")
    seen: dict[Any, str] = {}
    out = []
    for value in values:
        try:
            out.append(seen[value])
        except KeyError:
            seen[value] = cell_text(value, is_date)
            out.append(seen[value])
        except TypeError:  # an unhashable value
            out.append(cell_text(value, is_date))
    return pa.array(out, pa.string())


def cell(value: Any) -> Any:
    """A Python or numpy value as Excel can show it: NaN/None/NaT as an empty cell, dates as datetimes."""
    if value is None or value is pd.NaT:
        return ""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return ""
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day)
    return value


def column_cells(column: pd.Series) -> list[Any]:
    """A frame column as cell values (see `cell`), converted column-wise for speed."""
    values = column.to_numpy()
    if values.dtype.kind in "biu":
        return values.tolist()
    if values.dtype.kind == "f":
        missing = np.isnan(values)
        if not missing.any():
            return values.tolist()
        out = values.astype(object)
        out[missing] = ""
        return out.tolist()
    if values.dtype.kind == "M":
        out = values.astype("datetime64[us]").astype(object)
        out[pd.isna(values)] = ""
        return out.tolist()
    if set(map(type, values)) <= {str}:
        return values.tolist()
    return [cell(v) for v in values]


def spill(frame: pd.DataFrame, header: list[str] | None = None) -> list[list[Any]]:
    """A frame as rows for Excel to spill: a header row, then one row per frame row."""
    columns = [column_cells(frame[c]) for c in frame.columns]
    return [list(header or frame.columns), *(list(row) for row in zip(*columns, strict=True))]
