"""The Winners and losers sheet: per scenario and age band, the patients better and worse off than under the
baseline, with a chart of both on top. Fed by an impact table by age band (engine.simulation.impact)."""

from __future__ import annotations

import pandas as pd

from workbooks.context import Context
from workbooks.differences import chart_font, insert, reserve
from workbooks.styles import COUNT, NOTE, SIGNED_EUR, TITLE, Column

BETTER, WORSE = "#70AD47", "#C00000"
CHART_HEIGHT = 380


def national_winners(table: pd.DataFrame) -> dict[str, tuple[int, int]]:
    """Per scenario the patients better and worse off, summed over the groups of an impact table."""
    sums = table.groupby("scenario", sort=False)[["better_off", "worse_off"]].sum()
    return {s: (int(r.better_off), int(r.worse_off)) for s, r in sums.iterrows()}


def winners_sheet(ctx: Context, table: pd.DataFrame) -> None:
    """The impact table by age band, with a clustered-column chart of better and worse off per group."""
    L = ctx.labels
    sheet = ctx.book.sheet(L("Winners and losers"))
    sheet.text(0, 0, L("Patients better and worse off than under the baseline, by age band, {year}", year=ctx.sim.year),
               TITLE)
    sheet.text(1, 0, L("Better or worse off: the patient pays more than one cent less or more out of pocket in the year, "
                       "after mutuality supplements (the same synthetic patients under both)."), NOTE)
    slot = reserve(3, CHART_HEIGHT)
    columns = [Column(L("Group")), Column(L("Scenario")), Column(L("Age band")), Column(L("Patients"), COUNT),
               Column(L("Better off"), COUNT), Column(L("Worse off"), COUNT), Column(L("Unchanged"), COUNT),
               Column(L("Out-of-pocket change (EUR)"), SIGNED_EUR),
               Column(L("Mean change, better off (EUR)"), SIGNED_EUR),
               Column(L("Mean change, worse off (EUR)"), SIGNED_EUR),
               Column(L("Insurer cost change (EUR)"), SIGNED_EUR)]
    rows = [[f"{r.scenario} · {r.age_band}", r.scenario, str(r.age_band), r.patients, r.better_off, r.worse_off,
             r.unchanged, r.out_of_pocket_change, r.mean_change_better_off, r.mean_change_worse_off, r.insurer_cost_change]
            for r in table.itertuples(index=False)]
    first, last = sheet.table("Winners", columns, rows, top=slot.row + slot.rows)
    chart = ctx.book.chart({"type": "column"})
    for col, colour in ((4, BETTER), (5, WORSE)):
        chart.add_series({"name": [sheet.name, first - 1, col], "categories": [sheet.name, first, 0, last, 0],
                          "values": [sheet.name, first, col, last, col], "fill": {"color": colour}, "gap": 50})
    chart.set_title({"name": L("Patients better and worse off, by scenario and age band ({year})", year=ctx.sim.year),
                     "name_font": chart_font(12, True)})
    chart.set_x_axis({"label_position": "low", "num_font": {**chart_font(8), "rotation": -45}})
    chart.set_y_axis({"num_format": "#,##0", "num_font": chart_font(), "name": L("Patients"), "name_font": chart_font(9),
                      "major_gridlines": {"visible": True, "line": {"color": "#D9D9D9"}}})
    chart.set_legend({"position": "bottom", "font": chart_font()})
    insert(sheet, chart, slot, CHART_HEIGHT)
    sheet.ws.freeze_panes(slot.row + slot.rows + 1, 1)
    sheet.printable()
