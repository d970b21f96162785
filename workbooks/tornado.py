"""The Sensitivity sheet: how far the budget moves when each assumed figure moves over its range, as a tornado.

Fed by engine.simulation.sensitivity (every assumed figure of the region data varied one at a time).
The bars are the change in the baseline's national insurer cost at the low and the high end of each
figure's range against the central point, the widest on top; the table below also gives each
scenario's difference to the baseline at both ends. Figures in EUR million.
"""

from __future__ import annotations

from engine.policy.scenarios import BASELINE
from engine.simulation.sensitivity import Sensitivity
from workbooks.context import Context
from workbooks.differences import chart_font, insert, reserve
from workbooks.styles import BOLD, FACTOR, MILLION, NOTE, SIGNED_MILLION, TITLE, Column, Formula, cell

LOW, HIGH = "#5B9BD5", "#ED7D31"
BAR_PIXELS = 26
CENTRAL_ROW = 2


def tornado_sheet(ctx: Context, result: Sensitivity) -> None:
    """The tornado chart on top, the table of every figure's low and high end below."""
    L = ctx.labels
    tornado = result.tornado
    others = [s for s in result.scenarios if s != BASELINE]
    sheet = ctx.book.sheet(L("Sensitivity"))
    sheet.text(0, 0, L("How far the budget moves with each assumption, {year}", year=result.year), TITLE)
    seeds = result.seeds
    sheet.text(1, 0, L("Each assumed figure of the region data varied over its range, one at a time ({seeds}); bars: "
                       "the change in the baseline's insurer cost at the low and the high end, the widest on top. "
                       "EUR million.", seeds=L("seed {seed}", seed=seeds[0]) if len(seeds) == 1 else
                       L("mean over seeds {first}–{last}", first=seeds[0], last=seeds[-1])), NOTE)
    central = float(result.central.loc[BASELINE, "mean"]) / 1e6
    sheet.text(CENTRAL_ROW, 0, L("Baseline insurer cost at the central point (EUR million)"), BOLD)
    sheet.value(CENTRAL_ROW, 1, central, MILLION, BOLD)
    height = max(300, 120 + BAR_PIXELS * len(tornado))
    slot = reserve(CENTRAL_ROW + 1, height)
    head = slot.row + slot.rows
    columns = [Column(L("Assumption"), wrap=True, width=54), Column(L("Range, low (factor)"), FACTOR, width=10),
               Column(L("Range, high (factor)"), FACTOR, width=10),
               Column(L("Change at the low end (EUR million)"), SIGNED_MILLION, width=13),
               Column(L("Change at the high end (EUR million)"), SIGNED_MILLION, width=13),
               Column(L("Swing (EUR million)"), MILLION, width=11),
               Column(L("Baseline at the low end (EUR million)"), MILLION, width=13),
               Column(L("Baseline at the high end (EUR million)"), MILLION, width=13),
               *[Column(f"{s} {L('vs baseline')}, {L(side)} ({L('EUR million')})", SIGNED_MILLION, width=14)
                 for s in others for side in ("low end", "high end")],
               Column(L("Where in the data"), wrap=True, width=50)]
    centre = cell(CENTRAL_ROW, 1, absolute=True)
    rows = []
    for i, r in enumerate(tornado.to_dict("records")):
        at = head + 1 + i
        low, high = r["baseline_low"] / 1e6, r["baseline_high"] / 1e6
        row = [r["label"], r["factor_low"], r["factor_high"],
               Formula(f"={cell(at, 6)}-{centre}", low - central), Formula(f"={cell(at, 7)}-{centre}", high - central),
               Formula(f"=ABS({cell(at, 7)}-{cell(at, 6)})", abs(high - low)), low, high]
        row += [r[f"{s}_{side}"] / 1e6 for s in others for side in ("low", "high")]
        rows.append([*row, r["where"]])
    first, last = sheet.table("Tornado", columns, rows, top=head, style="Table Style Light 9")
    chart = ctx.book.chart({"type": "bar"})
    for col, name, colour in ((3, L("At the low end"), LOW), (4, L("At the high end"), HIGH)):
        chart.add_series({"name": name, "categories": [sheet.name, first, 0, last, 0],
                          "values": [sheet.name, first, col, last, col], "fill": {"color": colour},
                          "overlap": 100, "gap": 40})
    chart.set_title({"name": L("Change in the baseline's insurer cost per assumption ({year}, EUR million)",
                               year=result.year), "name_font": chart_font(12, True)})
    # in a bar chart the x axis is the horizontal (value) axis; categories run top to bottom in table order
    chart.set_x_axis({"num_format": "+#,##0.0;-#,##0.0;0", "num_font": chart_font(), "name": L("EUR million"),
                      "name_font": chart_font(9), "major_gridlines": {"visible": True, "line": {"color": "#D9D9D9"}}})
    chart.set_y_axis({"reverse": True, "crossing": "max", "label_position": "low", "num_font": chart_font(8)})
    chart.set_legend({"position": "bottom", "font": chart_font()})
    insert(sheet, chart, slot, height)
    sheet.ws.freeze_panes(head + 1, 1)
    sheet.printable()
