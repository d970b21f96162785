"""The Several years sheet: the national insurer cost of every scenario per year, as lines, with the table below.

Fed by the long table of engine.simulation.years.simulate_years (one run per year, each priced by the
policies in force on its dates). The first chart shows the levels, the second each scenario's change
against the baseline, where effects of a few per cent stay visible. Figures in EUR million.
"""

from __future__ import annotations

import math

import pandas as pd

from engine.policy.scenarios import BASELINE
from workbooks.context import Context
from workbooks.differences import SERIES_COLOURS, chart_font, insert, reserve
from workbooks.styles import MILLION, NOTE, SIGNED_MILLION, TITLE, Column, Formula, cell

CHART_HEIGHT = 300


def national_years(table: pd.DataFrame) -> pd.DataFrame:
    """National insurer cost (EUR) per year (rows) and scenario (columns, in the table's order)."""
    nation = table.groupby(["year", "scenario"], sort=False)["insurer_cost"].sum().unstack("scenario")
    return nation[list(table["scenario"].unique())].sort_index()


def years_sheet(ctx: Context, table: pd.DataFrame) -> None:
    """Lines of the insurer cost per scenario and of each change against the baseline, per year; the table below."""
    L = ctx.labels
    nation = national_years(table)
    scenarios = list(nation.columns)
    others = [s for s in scenarios if s != BASELINE]
    years = list(nation.index)
    sheet = ctx.book.sheet(L("Several years"))
    sheet.text(0, 0, L("Insurer cost per scenario and year, {first}–{last}", first=years[0], last=years[-1]), TITLE)
    seed = int(table["seed"].iloc[0]) if "seed" in table else ctx.sim.seed
    sheet.text(1, 0, L("One simulation per year (seed {seed}), each priced by the policies in force on its dates; "
                       "population, uptake and fees follow the projection (the basis of each year is in the last "
                       "column). EUR million.", seed=seed), NOTE)
    levels = reserve(3, CHART_HEIGHT)
    changes = reserve(levels.row + levels.rows, CHART_HEIGHT)
    head = changes.row + changes.rows
    columns = [Column(L("Year")), *[Column(f"{s} ({L('EUR million')})", MILLION, width=14) for s in scenarios],
               *[Column(f"{s} {L('vs baseline')} ({L('EUR million')})", SIGNED_MILLION, width=14) for s in others],
               Column(L("Basis (population; uptake)"), wrap=True, width=60)]
    bases = table.drop_duplicates("year").set_index("year")
    rows = []
    for i, year in enumerate(years):
        r = head + 1 + i
        base_cell = cell(r, 1 + scenarios.index(BASELINE))
        row: list = [str(year), *[float(nation.loc[year, s]) / 1e6 for s in scenarios]]
        row += [Formula(f"={cell(r, 1 + scenarios.index(s))}-{base_cell}",
                        float(nation.loc[year, s] - nation.loc[year, BASELINE]) / 1e6) for s in others]
        row.append(f"{bases.loc[year, 'population_basis']}; {bases.loc[year, 'uptake_basis']}"
                   if "population_basis" in bases else "")
        rows.append(row)
    first, last = sheet.table("Years", columns, rows, top=head, style="Table Style Light 9")
    lowest = float(nation.min().min()) / 1e6
    insert(sheet, _lines(ctx, sheet, scenarios, 1, first, last,
                         L("National insurer cost per scenario ({first}–{last}, EUR million)",
                           first=years[0], last=years[-1]), floor=_floor(lowest)), levels, CHART_HEIGHT)
    insert(sheet, _lines(ctx, sheet, others, 1 + len(scenarios), first, last,
                         L("Change in insurer cost against the baseline ({first}–{last}, EUR million)",
                           first=years[0], last=years[-1]), SERIES_COLOURS[1:]), changes, CHART_HEIGHT)
    sheet.ws.freeze_panes(head + 1, 1)
    sheet.ws.set_h_pagebreaks([head])  # both charts on the first printed page, the table after them
    sheet.printable()


def _floor(lowest: float) -> float:
    """A round lower bound of the value axis below the lowest level, so that lines a few per cent apart stay apart."""
    if lowest <= 0:
        return 0.0
    step = 10 ** math.floor(math.log10(lowest))
    return math.floor(lowest * 0.9 / step) * step


def _lines(ctx: Context, sheet, names: list[str], col: int, first: int, last: int, title: str,
           colours=SERIES_COLOURS, floor: float | None = None):
    """A line chart of columns col, col + 1, ... (one series per name) over the years in column A; the value axis
    starts at `floor` when given."""
    L = ctx.labels
    chart = ctx.book.chart({"type": "line"})
    for j, name in enumerate(names):
        colour = colours[j % len(colours)]
        chart.add_series({"name": name, "categories": [sheet.name, first, 0, last, 0],
                          "values": [sheet.name, first, col + j, last, col + j],
                          "line": {"color": colour, "width": 2.25},
                          "marker": {"type": "circle", "size": 5, "fill": {"color": colour},
                                     "border": {"color": colour}}})
    chart.set_title({"name": title, "name_font": chart_font(12, True)})
    chart.set_x_axis({"label_position": "low", "num_font": chart_font()})
    chart.set_y_axis({"num_format": "#,##0.0", "num_font": chart_font(), "name": L("EUR million"),
                      "name_font": chart_font(9), "major_gridlines": {"visible": True, "line": {"color": "#D9D9D9"}},
                      **({"min": floor} if floor else {})})
    chart.set_legend({"position": "bottom", "font": chart_font()})
    return chart
