"""The workbook's labels in English, French and Dutch: sheet names, titles, headers and notes.

`labels.json` maps each English label to its French and Dutch text; a label with placeholders
({year}) is formatted after translation. English is the default and the key, so the code reads as
the workbook does; a test builds the workbook in every language and checks every label used has
all three.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

LANGUAGES = ("en", "fr", "nl")
FILE = Path(__file__).resolve().parent / "labels.json"
USED: set[str] = set()
"""Every label asked for since the process started (for the test that checks the translations)."""


@functools.cache
def table() -> dict[str, dict[str, str]]:
    return json.loads(FILE.read_text(encoding="utf-8"))


class Labels:
    """Labels in one language: `labels("Insurer cost")`, `labels("Scenarios, {year}", year=2027)`."""

    def __init__(self, lang: str = "en") -> None:
        if lang not in LANGUAGES:
            raise ValueError(f"language: expected one of {', '.join(LANGUAGES)}, found {lang!r}")
        self.lang = lang

    def __call__(self, text: str, **values) -> str:
        USED.add(text)
        shown = text if self.lang == "en" else table().get(text, {}).get(self.lang, text)
        return shown.format(**values) if values else shown
