"""The Comparison sheet: charts of the differences against the baseline on top, the tables that feed them below.

Comparison holds no numbers of its own: every figure is a formula over Results (stored with its
value), so an analyst who corrects a figure in Results sees the differences and charts follow.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from engine.policy.scenarios import BASELINE
from workbooks.context import Context
from workbooks.results import ResultsLayout, header, metric_format
from workbooks.styles import (
    FONT,
    HEADING,
    NOTE,
    PERCENT,
    SIGNED_EUR,
    SIGNED_MILLION,
    TITLE,
    TOTAL,
    Column,
    Formula,
    Sheet,
    cell,
    column,
)

MILLION_DIVISOR = "10^6"
ROW_PIXELS = 20  # the default row height (15 points)
CHART_WIDTH = 960
# The national totals: (metric, with its difference against the baseline).
NATIONAL = (("insurer_cost", True), ("patient_copay", True), ("provider_income", True), ("care_path_fees", True),
            ("supplements", True), ("patients", True), ("sessions", True), ("refused_quota", True))
# The metrics compared region by region.
REGION_BLOCKS = ("insurer_cost", "patient_copay", "patients", "sessions")
# The drivers of the change in insurer cost: (metric, sign in the insurer cost, label), then the supplements beside it.
DRIVERS = (("provider_income", 1, "Provider fees"), ("patient_copay", -1, "Co-payments (a rise lowers the cost)"),
           ("care_path_fees", 1, "Care-path fees"), ("supplements", 1, "Mutuality supplements (paid by the mutuality)"))
SERIES_COLOURS = ("#4472C4", "#ED7D31", "#A5A5A5", "#70AD47", "#FFC000", "#5B9BD5", "#264478", "#9E480E")


def chart_font(size: int = 9, bold: bool = False) -> dict:
    return {"name": FONT, "size": size, "bold": bold}


@dataclass
class ChartSlot:
    """Rows reserved at the top of a sheet for one chart."""

    row: int
    rows: int


def reserve(top: int, height: int) -> ChartSlot:
    """The rows a chart of `height` pixels needs from row `top` (default row heights), plus one blank row."""
    return ChartSlot(top, math.ceil(height / ROW_PIXELS) + 1)


def insert(sheet: Sheet, chart, slot: ChartSlot, height: int, width: int = CHART_WIDTH) -> None:
    chart.set_size({"width": width, "height": height})
    chart.set_chartarea({"border": {"none": True}})
    sheet.ws.insert_chart(slot.row, 0, chart, {"object_position": 1})


def comparison_sheet(ctx: Context, layout: ResultsLayout) -> None:
    """National totals, drivers and region-by-region differences against the baseline, as formulas, with charts."""
    L, sim = ctx.labels, ctx.sim
    sheet = ctx.book.sheet(L("Comparison"))
    sheet.text(0, 0, L("Scenarios against the baseline, {year}", year=sim.year), TITLE)
    sheet.text(1, 0, L("Every figure on this sheet is a formula over the Results sheet; 'vs baseline' is the "
                       "scenario minus the baseline."), NOTE)
    drivers_height = 340
    regions_height = 380
    first = reserve(3, drivers_height)
    second = reserve(first.row + first.rows, regions_height)
    row = second.row + second.rows
    drivers = _drivers(ctx, sheet, layout, top=row)
    per_inhabitant = _per_inhabitant(ctx, sheet, layout, top=drivers[2] + 3)
    row = _national(ctx, sheet, layout, top=per_inhabitant[2] + 3)
    for metric in REGION_BLOCKS:
        row = _region_block(ctx, sheet, layout, metric, top=row + 3)
    insert(sheet, _drivers_chart(ctx, sheet, *drivers), first, drivers_height)
    insert(sheet, _per_inhabitant_chart(ctx, sheet, *per_inhabitant), second, regions_height)
    sheet.set_width(0, 26)
    sheet.ws.freeze_panes(3, 1)
    sheet.printable()


def _quoted(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def _drivers(ctx: Context, sheet: Sheet, layout: ResultsLayout, *, top: int) -> tuple[int, int, int]:
    """Per scenario the change in insurer cost split by driver, in EUR million; returns (header, first, last) rows."""
    L = ctx.labels
    sheet.text(top, 0, L("Change in insurer cost against the baseline, by cost driver"), HEADING)
    head = top + 1
    columns = [Column(L("Scenario")), *[Column(f"{L(label)} ({L('EUR million')})", SIGNED_MILLION)
                                         for _, _, label in DRIVERS],
               Column(f"{L('Insurer cost')} ({L('EUR million')})", SIGNED_MILLION)]
    base = _quoted(BASELINE)
    rows = []
    for i, scenario in enumerate(ctx.others):
        ref = cell(head + 1 + i, 0, absolute=True)
        row: list = [scenario]
        for metric, sign, _ in DRIVERS:
            minus = "-" if sign < 0 else ""
            text = f"={minus}({layout.sumifs(metric, ref)}-{layout.sumifs(metric, base)})/{MILLION_DIVISOR}"
            row.append(Formula(text, sign * ctx.change(scenario, metric) / 1e6))
        parts = ",".join(cell(head + 1 + i, 1 + j) for j in range(3))
        row.append(Formula(f"=SUM({parts})", ctx.change(scenario, "insurer_cost") / 1e6))
        rows.append(row)
    first, last = sheet.table("Drivers", columns, rows, top=head, style="Table Style Light 9")
    return head, first, last


def _drivers_chart(ctx: Context, sheet: Sheet, head: int, first: int, last: int):
    L = ctx.labels
    chart = ctx.book.chart({"type": "column", "subtype": "stacked"})
    for j, (_, _, label) in enumerate(DRIVERS):
        chart.add_series({"name": L(label), "categories": [sheet.name, first, 0, last, 0],
                          "values": [sheet.name, first, 1 + j, last, 1 + j], "fill": {"color": SERIES_COLOURS[j]},
                          "gap": 80})
    chart.set_title({"name": L("Change in cost against the baseline, by driver ({year}, EUR million)",
                               year=ctx.sim.year), "name_font": chart_font(12, True)})
    chart.set_x_axis({"label_position": "low", "num_font": chart_font()})
    chart.set_y_axis({"num_format": "#,##0.0", "num_font": chart_font(),
                      "major_gridlines": {"visible": True, "line": {"color": "#D9D9D9"}},
                      "name": L("EUR million"), "name_font": chart_font(9)})
    chart.set_legend({"position": "bottom", "font": chart_font()})
    return chart


def _per_inhabitant(ctx: Context, sheet: Sheet, layout: ResultsLayout, *, top: int) -> tuple[int, int, int]:
    """Per region the change in insurer cost per inhabitant for each scenario; returns (header, first, last) rows."""
    L, sim = ctx.labels, ctx.sim
    sheet.text(top, 0, L("Change in insurer cost per inhabitant against the baseline, by region"), HEADING)
    head = top + 1
    columns = [Column(L("Region")), *[Column(f"{s} ({L('EUR per inhabitant')})", SIGNED_EUR) for s in ctx.others]]
    base = _quoted(BASELINE)
    rows = []
    for region in sim.region_ids:
        r = _quoted(region)
        population = layout.total("population", BASELINE, region)
        row: list = [ctx.region_name(region)]
        for scenario in ctx.others:
            change = layout.total("insurer_cost", scenario, region) - layout.total("insurer_cost", BASELINE, region)
            text = (f"=IF({layout.sumifs('population', base, r)}=0,0,({layout.sumifs('insurer_cost', _quoted(scenario), r)}"
                    f"-{layout.sumifs('insurer_cost', base, r)})/{layout.sumifs('population', base, r)})")
            row.append(Formula(text, change / population if population else 0.0))
        rows.append(row)
    first, last = sheet.table("Per_inhabitant", columns, rows, top=head, style="Table Style Light 9")
    return head, first, last


def _per_inhabitant_chart(ctx: Context, sheet: Sheet, head: int, first: int, last: int):
    """Clustered columns: regions left to right in table order, one column per scenario, legend in series order."""
    L = ctx.labels
    chart = ctx.book.chart({"type": "column"})
    for j, scenario in enumerate(ctx.others):
        chart.add_series({"name": scenario, "categories": [sheet.name, first, 0, last, 0],
                          "values": [sheet.name, first, 1 + j, last, 1 + j],
                          "fill": {"color": SERIES_COLOURS[j % len(SERIES_COLOURS)]}, "gap": 60})
    chart.set_title({"name": L("Change in insurer cost per inhabitant, by region ({year}, EUR)", year=ctx.sim.year),
                     "name_font": chart_font(12, True)})
    chart.set_x_axis({"label_position": "low", "num_font": {**chart_font(), "rotation": -30}})
    chart.set_y_axis({"num_format": "#,##0.00", "num_font": chart_font(),
                      "major_gridlines": {"visible": True, "line": {"color": "#D9D9D9"}},
                      "name": L("EUR per inhabitant"), "name_font": chart_font(9)})
    chart.set_legend({"position": "bottom", "font": chart_font()})
    return chart


def _national(ctx: Context, sheet: Sheet, layout: ResultsLayout, *, top: int) -> int:
    L = ctx.labels
    sheet.text(top, 0, L("National totals (all simulated regions)"), HEADING)
    head = top + 1
    base_row = head + 1
    columns, rows = [Column(L("Scenario"))], [[s] for s in ctx.scenarios]
    for metric, with_difference in NATIONAL:
        fmt = metric_format(ctx, metric)
        col = column(len(columns))
        title = header(ctx, metric)
        columns.append(Column(title, fmt))
        for i, scenario in enumerate(ctx.scenarios):
            rows[i].append(Formula(f"={layout.sumifs(metric, f'$A{base_row + i + 1}')}", layout.total(metric, scenario)))
        if with_difference:
            columns.append(Column(_vs(ctx, metric), fmt))
            for i, scenario in enumerate(ctx.scenarios):
                rows[i].append(Formula(f"={col}{base_row + i + 1}-{col}${base_row + 1}", ctx.change(scenario, metric)))
        if metric == "insurer_cost":
            columns.append(Column(f"{ctx.metric_label(metric)} {L('vs baseline')} (%)", PERCENT))
            base_value = ctx.nation.loc[BASELINE, metric]
            for i, scenario in enumerate(ctx.scenarios):
                r = base_row + i + 1
                rows[i].append(Formula(f"=IF({col}${base_row + 1}=0,0,({col}{r}-{col}${base_row + 1})/{col}${base_row + 1})",
                                       ctx.change(scenario, metric) / base_value if base_value else 0.0))
            columns.append(Column(header(ctx, "cost_per_inhabitant"), metric_format(ctx, "cost_per_inhabitant")))
            for i, scenario in enumerate(ctx.scenarios):
                r = base_row + i + 1
                inhabitants = layout.sumifs("population", f"$A{r}")
                value = round(ctx.nation.loc[scenario, "insurer_cost"] / ctx.nation.loc[scenario, "population"], 2)
                rows[i].append(Formula(f"=IF({inhabitants}=0,0,ROUND({col}{r}/{inhabitants},2))", value))
    _, last = sheet.table("National", columns, rows, top=head)
    return last


def _vs(ctx: Context, metric: str) -> str:
    L = ctx.labels
    unit = ctx.sim.metrics[metric].unit
    label = f"{ctx.metric_label(metric)} {L('vs baseline')}"
    return f"{label} ({L(unit)})" if unit.startswith("EUR") else label


def _region_block(ctx: Context, sheet: Sheet, layout: ResultsLayout, metric: str, *, top: int) -> int:
    """A block region × scenario of one metric, the differences against the baseline, and a total row."""
    L = ctx.labels
    fmt = metric_format(ctx, metric)
    sheet.text(top, 0, L("{metric} per region", metric=header(ctx, metric)), HEADING)
    head = top + 1
    columns = [Column(L("Region")), *[Column(s, fmt) for s in ctx.scenarios],
               *[Column(f"{s} {L('vs baseline')}", fmt) for s in ctx.others]]
    rows = []
    for i, region in enumerate(ctx.sim.region_ids):
        r = head + 2 + i
        quoted = _quoted(region)
        row: list = [ctx.region_name(region)]
        row += [Formula(f"={layout.sumifs(metric, f'{column(1 + j)}${head + 1}', quoted)}", layout.total(metric, s, region))
                for j, s in enumerate(ctx.scenarios)]
        row += [Formula(f"={column(1 + ctx.scenarios.index(s))}{r}-B{r}",
                        layout.total(metric, s, region) - layout.total(metric, BASELINE, region)) for s in ctx.others]
        rows.append(row)
    first, last = sheet.table(f"By_region_{metric}", columns, rows, top=head, style="Table Style Light 9")
    total = last + 1
    sheet.text(total, 0, L("All regions"), TOTAL)
    for j in range(1, len(columns)):
        letter = column(j)
        values = [r[j].value for r in rows]
        sheet.formula(total, j, Formula(f"=SUM({letter}{first + 1}:{letter}{last + 1})", sum(values)), fmt, TOTAL)
    sheet.place("total", f"By_region_{metric}", total, 0, total, len(columns) - 1)
    return total
