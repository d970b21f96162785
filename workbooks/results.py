"""The Results sheet: the engine's figures per scenario and region, to the cent, and where each column sits.

The other sheets read Results with SUMIFS formulas; `ResultsLayout` writes those formulas and
computes their values from the same table, so every formula is stored with its result.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from workbooks.context import Context
from workbooks.styles import COUNT, DECIMAL, EUR, Column, column

KEYS = ("scenario", "region")


def metric_format(ctx: Context, name: str) -> str | None:
    """The number format of a results column: euros, a ratio with decimals, a count, or none (flags, keys)."""
    unit = ctx.sim.metrics[name].unit if name in ctx.sim.metrics else None
    if unit is None or unit == "flag":
        return None
    if unit.startswith("EUR"):
        return EUR
    return DECIMAL if " per " in unit else COUNT


def header(ctx: Context, name: str) -> str:
    """A metric's column header with its unit, once: 'Insurer cost (EUR)', 'Patients'."""
    L = ctx.labels
    if name in KEYS:
        return L(name.capitalize())
    unit = ctx.sim.metrics[name].unit
    return f"{ctx.metric_label(name)} ({L(unit)})" if unit.startswith("EUR") else ctx.metric_label(name)


@dataclass
class ResultsLayout:
    """Where each results column sits (zero-based data rows), for formulas that read the Results sheet."""

    sheet: str
    columns: dict[str, int]
    first: int
    last: int
    table: pd.DataFrame

    def __post_init__(self) -> None:
        numbers = self.table.select_dtypes("number")
        keyed = pd.concat([self.table[list(KEYS)], numbers], axis=1)
        self._cells = keyed.set_index(list(KEYS)).to_dict("index")
        self._sums = numbers.groupby(self.table["scenario"], sort=False).sum().to_dict("index")

    def range(self, name: str) -> str:
        """The absolute range of one results column's data, e.g. Results!$M$2:$M$67."""
        letter = column(self.columns[name])
        return f"{self.sheet}!${letter}${self.first + 1}:${letter}${self.last + 1}"

    def sumifs(self, name: str, scenario: str, region: str | None = None) -> str:
        """SUMIFS over one column for a scenario (and a region); the criteria are cell references or quoted text."""
        text = f"SUMIFS({self.range(name)},{self.range('scenario')},{scenario}"
        if region is not None:
            text += f",{self.range('region')},{region}"
        return text + ")"

    def total(self, name: str, scenario: str, region: str | None = None) -> float:
        """What `sumifs` evaluates to."""
        if region is None:
            return float(self._sums[scenario][name])
        return float(self._cells[(scenario, region)][name])


def results_sheet(ctx: Context) -> None:
    """The engine's results as an Excel table, one row per scenario and region (the last sheet)."""
    name = ctx.labels("Results")
    sheet = ctx.book.sheet(name)
    table = ctx.sim.results
    names = list(table.columns)
    columns = [Column(header(ctx, n), metric_format(ctx, n)) for n in names]
    sheet.table("Results", columns, table.itertuples(index=False))
    sheet.ws.freeze_panes(1, 2)
    sheet.printable((0, 0))


def quoted(name: str) -> str:
    """A sheet name as a formula refers to it."""
    return name if name.replace("_", "").isalnum() else "'" + name.replace("'", "''") + "'"
