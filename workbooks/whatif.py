"""The What-if sheet: the baseline budget as a native-formula model an analyst can change.

Built from Simulation.drivers: for each region, lines of (amount per unit × count). Every distinct
amount becomes an input cell, and an uptake factor (for all regions and per region) scales the counts:

    insurer cost = Σ fee × count × uptake − Σ co-payment × count × uptake + Σ care-path fee × count × uptake

With the inputs untouched the model reproduces the engine's insurer cost to the cent.
"""

from __future__ import annotations

from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.workbook import Workbook
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from engine.policy.scenarios import BASELINE
from engine.simulation.run import Simulation
from workbooks.results import ResultsLayout
from workbooks.styles import (
    BOLD,
    COUNT,
    EUR,
    FACTOR,
    INPUT_BORDER,
    INPUT_FILL,
    NOTE_FONT,
    TITLE_FONT,
    TOTAL_FILL,
    Column,
    Formula,
    fit_heights,
    formula,
    heading,
    printable,
    put,
    write_table,
)

SHEET = "What-if"
KINDS = ("fee", "copay", "care_path_fee")
UPTAKE_NAME = "WhatIf_Uptake"
TOTAL_NAME = "WhatIf_InsurerCost"


def whatif_sheet(wb: Workbook, sim: Simulation, layout: ResultsLayout) -> None:
    """The What-if sheet for the baseline, national and per region."""
    ws = wb.create_sheet(SHEET)
    regions = list(sim.region_ids)
    drivers = sim.drivers[sim.drivers["scenario"] == BASELINE]
    drivers = drivers.sort_values("region", key=lambda r: r.map(regions.index), kind="stable")
    unknown = set(drivers["kind"]) - set(KINDS)
    if unknown:
        raise ValueError(f"drivers of unknown kind {sorted(unknown)}; expected {', '.join(KINDS)}")
    sheet = quote_sheetname(SHEET)
    validation = DataValidation(type="decimal", operator="greaterThanOrEqual", formula1="0", allow_blank=False,
                                showErrorMessage=True, errorTitle="Not a valid input",
                                error="Enter a number of zero or more.")
    ws.add_data_validation(validation)

    put(ws.cell(1, 1), f"What-if: the baseline budget of {sim.year} as a formula model").font = TITLE_FONT
    put(ws.cell(2, 1), "Change the yellow cells: an amount per unit, the uptake factor for all regions or a region's "
        "own factor. Counts are the engine's; the budget follows. Untouched, it equals the engine's insurer cost.").font = NOTE_FONT
    put(ws.cell(3, 1), "Uptake factor, all regions").font = BOLD
    _input(ws.cell(3, 2), 1.0, FACTOR, validation)
    wb.defined_names[UPTAKE_NAME] = DefinedName(UPTAKE_NAME, attr_text=f"{sheet}!$B$3")

    # Inputs: one per distinct (path, amount) among the lines.
    keys = list(dict.fromkeys(zip(drivers["path"], drivers["value"], strict=True)))
    top = 5
    heading(ws, top, "Amounts per unit (EUR)")
    columns = [Column("Kind"), Column("Lines", wrap=True), Column("Your value", EUR), Column("Path"),
               Column("Engine value", EUR)]
    rows = []
    for path, value in keys:
        mine = drivers[(drivers["path"] == path) & (drivers["value"] == value)]
        rows.append(["; ".join(dict.fromkeys(mine["kind"])), "; ".join(dict.fromkeys(mine["line"])), float(value),
                     str(path), float(value)])
    first_input, _ = write_table(ws, "WhatIf_Inputs", columns, rows, top=top + 1)
    input_row = {key: first_input + i for i, key in enumerate(keys)}
    for r in input_row.values():
        _input(ws.cell(r, 3), ws.cell(r, 3).value, EUR, validation)

    # Budget per region, summing the lines below.
    top = first_input + len(keys) + 1
    heading(ws, top, "Budget per region (EUR)")
    budget_header = top + 1
    line_header = budget_header + len(regions) + 4
    lines = f"{sheet}!$A${line_header + 1}:$A${line_header + len(drivers)}"
    kinds = f"{sheet}!$C${line_header + 1}:$C${line_header + len(drivers)}"
    amounts = f"{sheet}!$H${line_header + 1}:$H${line_header + len(drivers)}"
    columns = [Column("Region"), Column("Uptake factor, region", FACTOR), Column("Provider fees", EUR),
               Column("Co-payments", EUR), Column("Care-path fees", EUR), Column("Insurer cost, what-if", EUR),
               Column("Insurer cost, engine", EUR), Column("Difference", EUR)]
    rows = []
    for i, region in enumerate(regions):
        r = budget_header + 1 + i
        by_kind = [Formula(f'=SUMIFS({amounts},{lines},$A{r},{kinds},"{kind}")') for kind in KINDS]
        rows.append([region, 1.0, *by_kind, Formula(f"=ROUND(C{r}-D{r}+E{r},2)"),
                     Formula(f'={layout.sumifs("insurer_cost", chr(34) + BASELINE + chr(34), f"$A{r}")}'),
                     Formula(f"=F{r}-G{r}")])
    first_budget, last_budget = write_table(ws, "WhatIf_Budget", columns, rows, top=budget_header)
    region_row = {region: first_budget + i for i, region in enumerate(regions)}
    for r in region_row.values():
        _input(ws.cell(r, 2), 1.0, FACTOR, validation)
    total = last_budget + 1
    put(ws.cell(total, 1), "All regions").font = BOLD
    for col in range(3, 9):
        letter = get_column_letter(col)
        formula(ws.cell(total, col), f"=SUM({letter}{first_budget}:{letter}{last_budget})", EUR).font = BOLD
    for col in range(1, 9):
        ws.cell(total, col).fill = TOTAL_FILL
    wb.defined_names[TOTAL_NAME] = DefinedName(TOTAL_NAME, attr_text=f"{sheet}!$F${total}")
    put(ws.cell(3, 4), "Insurer cost, what-if").font = BOLD
    formula(ws.cell(3, 5), f"={TOTAL_NAME}", EUR).font = BOLD
    put(ws.cell(3, 6), "engine").font = BOLD
    formula(ws.cell(3, 7), f"=G{total}", EUR)

    # The lines: amount = value × count × uptake.
    heading(ws, line_header - 1, "Lines: amount = your value × count × uptake")
    columns = [Column("Region"), Column("Line", width=55), Column("Kind"), Column("Path", width=60),
               Column("Count", COUNT), Column("Value", EUR), Column("Uptake", FACTOR), Column("Amount", EUR)]
    rows = []
    for r, line in enumerate(drivers.itertuples(index=False), start=line_header + 1):
        rows.append([line.region, line.line, line.kind, str(line.path), int(line.count),
                     Formula(f"=$C${input_row[(line.path, line.value)]}"),
                     Formula(f"={UPTAKE_NAME}*$B${region_row[line.region]}"), Formula(f"=F{r}*E{r}*G{r}")])
    write_table(ws, "WhatIf_Lines", columns, rows, top=line_header, style="TableStyleLight1")
    _widths(ws)
    fit_heights(ws)
    ws.freeze_panes = "A4"
    printable(ws)


def _input(cell, value, number_format: str, validation: DataValidation):
    """An input cell: a value the analyst may change, marked in yellow and checked to be ≥ 0."""
    put(cell, value, number_format)
    cell.fill = INPUT_FILL
    cell.border = INPUT_BORDER
    validation.add(cell)
    return cell


def _widths(ws: Worksheet) -> None:
    for letter, width in zip("ABCDEFGH", (30, 55, 20, 58, 22, 22, 22, 20), strict=True):
        ws.column_dimensions[letter].width = width
