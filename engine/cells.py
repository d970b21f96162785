"""Values as analysts type them in Belgian spreadsheets: dates, yes/no and decimal numbers, one reader each.

Claims files (engine/claims/normalize.py), Excel arguments (xl_addin/convert.py) and command-line
options read through these, so that a value accepted in one place is accepted in all. A Dutch,
French or English Excel saves dates as DD/MM/YYYY and booleans as WAAR/ONWAAR, VRAI/FAUX or
TRUE/FALSE; a decimal comma is as common as a decimal point.
"""

from __future__ import annotations

import datetime as dt
import re

YES = ("true", "1", "yes", "y", "waar", "ja", "vrai", "oui")
NO = ("false", "0", "no", "n", "onwaar", "nee", "faux", "non")
_FLAGS = {**dict.fromkeys(YES, True), **dict.fromkeys(NO, False)}
FLAG_HELP = "yes/no (true/false, 1/0, waar/onwaar, ja/nee, vrai/faux, oui/non)"

_TIME = r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?)?"
_ISO = re.compile(r"(\d{4})-(\d{2})-(\d{2})" + _TIME)
_DAY_FIRST = re.compile(r"(\d{1,2})([/.-])(\d{1,2})\2(\d{4})" + _TIME)
DATE_HELP = "a date YYYY-MM-DD or DD/MM/YYYY"

DECIMAL = re.compile(r"-?\d+(\.\d+|,\d{1,2})?")
"""A plain number with a decimal point or comma; a decimal comma takes at most two digits, so '1,000' is ambiguous."""


def read_flag(text: str) -> bool | None:
    """True or False for a yes/no word of any case (see YES and NO), None for anything else."""
    return _FLAGS.get(text.strip().lower())


def read_date(text: str) -> dt.date | None:
    """The date of 'YYYY-MM-DD' or day-first 'D/M/YYYY' (also with '.' or '-'), a time of day ignored; None otherwise."""
    text = text.strip()
    iso = _ISO.fullmatch(text)
    if iso:
        year, month, day = iso.group(1, 2, 3)
    else:
        day_first = _DAY_FIRST.fullmatch(text)
        if not day_first:
            return None
        day, _, month, year = day_first.groups()
    try:
        return dt.date(int(year), int(month), int(day))
    except ValueError:
        return None


def read_decimal(text: str) -> float | None:
    """The number of '13', '13.5' or '13,5' (see DECIMAL), None for anything else."""
    text = text.strip()
    return float(text.replace(",", ".")) if DECIMAL.fullmatch(text) else None
