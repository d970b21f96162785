"""The example workbook of the Excel functions opened in LibreOffice, which cannot run them: what it shows.

Single-value function cells show the result stored when the file was built. LibreOffice recalculates every
array formula when it opens a file, even when set never to recalculate on load, so the table functions show
#NAME? there; the workbook's Read me and the README say so. Dates are formatted and inputs are yellow.
Skipped when LibreOffice is missing, unless $CAREPOLICY_REQUIRE_LIBREOFFICE=1.
"""

from __future__ import annotations

import datetime as dt

import openpyxl
import pytest
from libreoffice import convert, soffice
from openpyxl.utils.cell import range_boundaries
from openpyxl.worksheet.formula import ArrayFormula

from workbooks.example import build

YELLOW = "FFFFF2CC"


@pytest.fixture(scope="module")
def opened(tmp_path_factory):
    """(the example as built, its stored values, the same as LibreOffice shows it without recalculating on load)."""
    soffice()
    folder = tmp_path_factory.mktemp("example")
    path = build(folder / "example.xlsx")
    shown = convert(path, "xlsx", folder / "shown", recalculate_all=False)
    return (openpyxl.load_workbook(path), openpyxl.load_workbook(path, data_only=True),
            openpyxl.load_workbook(shown, data_only=True))


def _array_cells(ws) -> set[str]:
    cells = set()
    for row in ws.iter_rows():
        for c in row:
            if isinstance(c.value, ArrayFormula):
                left, top, right, bottom = range_boundaries(c.value.ref)
                cells |= {ws.cell(r, col).coordinate for r in range(top, bottom + 1) for col in range(left, right + 1)}
    return cells


def test_single_value_functions_show_their_stored_results_in_libreoffice(opened):
    formulas, stored, shown = opened
    checked, arrays = 0, 0
    for ws in formulas:
        in_arrays = _array_cells(ws)
        arrays += len(in_arrays)
        for row in ws.iter_rows():
            for c in row:
                if c.data_type != "f" or c.coordinate in in_arrays:
                    continue
                mine, theirs = stored[ws.title][c.coordinate].value, shown[ws.title][c.coordinate].value
                assert theirs == (pytest.approx(mine) if isinstance(mine, float) else mine), (ws.title, c.coordinate)
                checked += 1
    assert checked >= 7 and arrays > 100


def test_table_functions_show_name_errors_in_libreoffice_as_documented(opened):
    """Documents LibreOffice's behaviour (README, section excel; the workbook's Read me): if a LibreOffice version
    keeps the stored results of array formulas, this fails and the documentation should change."""
    formulas, _, shown = opened
    ws = formulas["Lookups"]
    first = sorted(_array_cells(ws))[0]
    assert shown["Lookups"][first].value == "#NAME?"
    readme = " ".join(str(c.value) for row in formulas["Read me"].iter_rows() for c in row if c.value)
    assert "LibreOffice" in readme and "#NAME?" in readme


def test_dates_are_formatted_and_inputs_yellow(opened):
    formulas, _, _ = opened
    dates = [c for ws in formulas for row in ws.iter_rows() for c in row if isinstance(c.value, dt.datetime)]
    assert dates and all(c.number_format == "yyyy-mm-dd" for c in dates)
    claims = formulas["Claims"]
    inputs = [c for row in claims.iter_rows(min_row=2, max_col=14) for c in row]
    assert all(c.fill.fgColor.rgb == YELLOW for c in inputs)
    lookups = formulas["Lookups"]
    assert all(lookups.cell(r, 2).fill.fgColor.rgb == YELLOW for r in range(3, 7))
