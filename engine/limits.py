"""The documented limits of carepolicy's input, read from the bundled `policy/schema/limits.json`."""

from __future__ import annotations

import datetime as dt
import functools
import json
from dataclasses import dataclass
from pathlib import Path

LIMITS_FILE = Path(__file__).resolve().parents[1] / "policy" / "schema" / "limits.json"


@dataclass(frozen=True)
class Limits:
    """What an input may hold: supported dates, the largest number and amount, nesting depth, file size."""

    first_date: dt.date
    last_date: dt.date
    largest_number: int
    largest_amount_eur: int
    nesting: int
    file_bytes: int


@functools.cache
def limits() -> Limits:
    """The bundled limits (read once)."""
    data = json.loads(LIMITS_FILE.read_text(encoding="utf-8"))
    return Limits(dt.date.fromisoformat(data["dates"]["first"]), dt.date.fromisoformat(data["dates"]["last"]),
                  data["largest_number"], data["largest_amount_eur"], data["nesting"], data["file_bytes"])
