"""The Results sheet (the engine's figures per scenario and region) and the Comparison sheet over it.

Comparison holds no numbers of its own: every figure is a SUMIFS formula over Results, so an
analyst who corrects a figure in Results sees the differences and charts follow.
"""

from __future__ import annotations

from dataclasses import dataclass

from openpyxl.chart import BarChart, Reference
from openpyxl.utils import get_column_letter
from openpyxl.workbook import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from engine.policy.scenarios import BASELINE
from engine.simulation.run import METRICS, Simulation
from workbooks.styles import (
    BOLD,
    COUNT,
    DECIMAL,
    EUR,
    NOTE_FONT,
    PERCENT,
    TITLE_FONT,
    TOTAL_FILL,
    Column,
    Formula,
    fit_heights,
    fit_widths,
    formula,
    heading,
    printable,
    put,
    write_table,
)

RESULTS = "Results"
KEYS = ("scenario", "region")
# The metrics compared region by region, each with a block of formulas; the first two get a chart.
REGION_BLOCKS = ("insurer_cost", "patient_copay", "patients", "sessions")
# The national totals: (metric, with its difference against the baseline).
NATIONAL = (("insurer_cost", True), ("patient_copay", True), ("provider_income", False), ("care_path_fees", False),
            ("patients", True), ("sessions", True), ("refused_quota", True))
WIDTH = 16

def metric_format(name: str) -> str | None:
    """The number format of a results column: euros, a ratio with decimals, a count, or none (flags, keys)."""
    unit = METRICS[name].unit if name in METRICS else None
    if unit is None or unit == "flag":
        return None
    if unit.startswith("EUR"):
        return EUR
    return DECIMAL if " per " in unit else COUNT


@dataclass(frozen=True)
class ResultsLayout:
    """Where each results column sits, for formulas that read the Results sheet."""

    columns: dict[str, str]
    first: int
    last: int

    def range(self, column: str) -> str:
        """The absolute range of one results column's data, e.g. Results!$M$2:$M$67."""
        letter = self.columns[column]
        return f"{RESULTS}!${letter}${self.first}:${letter}${self.last}"

    def sumifs(self, column: str, scenario: str, region: str | None = None) -> str:
        """SUMIFS over one column for a scenario (and a region); the criteria are cell references."""
        text = f"SUMIFS({self.range(column)},{self.range('scenario')},{scenario}"
        if region is not None:
            text += f",{self.range('region')},{region}"
        return text + ")"


def results_sheet(wb: Workbook, sim: Simulation) -> ResultsLayout:
    """The engine's results as an Excel table, one row per scenario and region."""
    ws = wb.create_sheet(RESULTS)
    names = list(sim.results.columns)
    columns = [Column(_header(n), metric_format(n)) for n in names]
    rows = ([_cell_value(v) for v in row] for row in sim.results.itertuples(index=False))
    first, last = write_table(ws, "Results", columns, rows)
    ws.freeze_panes = "C2"
    fit_widths(ws, minimum=10)
    printable(ws, "1:1")
    return ResultsLayout({n: get_column_letter(i) for i, n in enumerate(names, start=1)}, first, last)


def _header(name: str) -> str:
    if name in KEYS:
        return name.capitalize()
    metric = METRICS[name]
    return f"{metric.label} ({metric.unit})" if metric.unit not in ("flag",) else metric.label


def _cell_value(value):
    """A pandas/numpy scalar as a plain Python value openpyxl writes."""
    if hasattr(value, "item"):
        value = value.item()
    return value


def comparison_sheet(wb: Workbook, sim: Simulation, layout: ResultsLayout) -> None:
    """National totals and region-by-region differences against the baseline, as formulas, with two charts."""
    ws = wb.create_sheet("Comparison")
    scenarios = [s.id for s in sim.scenarios]
    put(ws.cell(1, 1), f"Scenarios against the baseline, {sim.year}").font = TITLE_FONT
    put(ws.cell(2, 1), "Every figure on this sheet is a formula over the Results sheet; "
        "'vs baseline' is the scenario minus the baseline.").font = NOTE_FONT
    row = _national(ws, scenarios, layout, top=4)
    blocks = []
    for metric in REGION_BLOCKS:
        row, block = _region_block(ws, sim, scenarios, layout, metric, top=row + 2)
        blocks.append(block)
    heading(ws, row + 2, "Charts")
    for i, ((header_row, last_row), metric) in enumerate(zip(blocks[:2], REGION_BLOCKS[:2], strict=True)):
        chart = _bar_chart(ws, header_row, last_row, len(scenarios), METRICS[metric].label)
        ws.add_chart(chart, f"{get_column_letter(1 + i * 7)}{row + 3}")
    ws.column_dimensions["A"].width = 24
    for col in range(2, 2 * len(scenarios) + 1):
        ws.column_dimensions[get_column_letter(col)].width = WIDTH
    fit_heights(ws)
    ws.freeze_panes = "B4"
    printable(ws)


def _national(ws: Worksheet, scenarios: list[str], layout: ResultsLayout, *, top: int) -> int:
    heading(ws, top, "National totals (all simulated regions)")
    header = top + 1
    base = header + 1
    columns, rows = [Column("Scenario")], [[s] for s in scenarios]
    for metric, with_difference in NATIONAL:
        label, fmt = METRICS[metric].label, metric_format(metric)
        col = get_column_letter(1 + len(columns))
        columns.append(Column(label, fmt))
        for i, row in enumerate(rows):
            row.append(Formula(f"={layout.sumifs(metric, f'$A{base + i}')}"))
        if with_difference:
            columns.append(Column(f"{label} vs baseline", fmt))
            for i, row in enumerate(rows):
                row.append(Formula(f"={col}{base + i}-{col}${base}"))
        if metric == "insurer_cost":
            columns.append(Column(f"{label} vs baseline (%)", PERCENT))
            for i, row in enumerate(rows):
                row.append(Formula(f"=IF({col}${base}=0,0,({col}{base + i}-{col}${base})/{col}${base})"))
            columns.append(Column(METRICS["cost_per_inhabitant"].label, EUR))
            for i, row in enumerate(rows):
                inhabitants = layout.sumifs("population", f"$A{base + i}")
                row.append(Formula(f"=IF({inhabitants}=0,0,ROUND({col}{base + i}/{inhabitants},2))"))
    _, last = write_table(ws, "National", columns, rows, top=header)
    return last


def _region_block(ws: Worksheet, sim: Simulation, scenarios: list[str], layout: ResultsLayout, metric: str,
                  *, top: int) -> tuple[int, tuple[int, int]]:
    """A block region × scenario of one metric, the differences against the baseline, and a total row."""
    label, fmt = METRICS[metric].label, metric_format(metric)
    unit = METRICS[metric].unit
    heading(ws, top, f"{label} per region" if unit in ("persons", "sessions") else f"{label} ({unit}) per region")
    header = top + 1
    others = [s for s in scenarios if s != BASELINE]
    columns = [Column("Region"), *[Column(s, fmt) for s in scenarios], *[Column(f"{s} vs baseline", fmt) for s in others]]
    base_col = get_column_letter(2)
    rows = []
    regions = list(sim.region_ids)
    for i, region in enumerate(regions):
        r = header + 1 + i
        row: list = [region]
        row += [Formula(f"={layout.sumifs(metric, f'{get_column_letter(2 + j)}${header}', f'$A{r}')}")
                for j in range(len(scenarios))]
        row += [Formula(f"={get_column_letter(2 + scenarios.index(s))}{r}-{base_col}{r}") for s in others]
        rows.append(row)
    first, last = write_table(ws, f"By_region_{metric}", columns, rows, top=header, style="TableStyleLight9")
    total = last + 1
    put(ws.cell(total, 1), "All regions").font = BOLD
    for j in range(1, len(columns)):
        col = get_column_letter(1 + j)
        formula(ws.cell(total, 1 + j), f"=SUM({col}{first}:{col}{last})", fmt).font = BOLD
    for j in range(len(columns)):
        ws.cell(total, 1 + j).fill = TOTAL_FILL
    return total, (header, last)


def _bar_chart(ws: Worksheet, header: int, last: int, count: int, label: str) -> BarChart:
    """A clustered bar chart: one bar per scenario in each region."""
    chart = BarChart()
    chart.type = "bar"
    chart.grouping = "clustered"
    chart.title = f"{label} per region and scenario (EUR)"
    chart.y_axis.title = "EUR"
    chart.y_axis.numFmt = "#,##0"
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    chart.x_axis.scaling.orientation = "maxMin"
    chart.add_data(Reference(ws, min_col=2, max_col=1 + count, min_row=header, max_row=last), titles_from_data=True)
    chart.set_categories(Reference(ws, min_col=1, min_row=header + 1, max_row=last))
    chart.legend.position = "b"
    chart.width = 24
    chart.height = 16
    return chart
