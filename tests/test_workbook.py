"""The comparison workbook as openpyxl reads it back: sheets, tables, text that stays text, formulas, atomic writing."""

from __future__ import annotations

import datetime as dt
import json
from itertools import pairwise
from pathlib import Path

import openpyxl
import pytest

from carepolicy.cli import main
from engine.errors import InputError
from engine.policy.policies import load_policies
from engine.simulation.run import simulate
from workbooks.comparison import build_workbook, write_workbook
from workbooks.styles import ASSUMED_FILL, EUR, INPUT_FILL

REGIONS = ["luxemburg", "namen"]
ODD_TITLE = "=1+1 is not a formula"
ODD_NOTE = '=HYPERLINK("http://example.org","click")'


def odd_scenario(folder: Path) -> Path:
    """A scenario file whose title and note look like formulas; it raises the adult co-payment to EUR 13."""
    path = folder / "odd-title.json"
    path.write_text(json.dumps({
        "$schema": "../schema/scenario-1.0.schema.json", "id": "odd-title", "kind": "scenario",
        "title": ODD_TITLE, "description": "+cmd|' /C calc'!A0", "utilisation": [],
        "changes": [{"path": "riziv-psy-2021.copayment.rules.individual.amount", "from": "2027-01-01", "value": 13,
                     "unit": "EUR", "source": "scenario-hypothesis", "status": "assumed", "note": ODD_NOTE}],
    }), encoding="utf-8")
    return path


def small_simulation(folder: Path):
    """Baseline, copay-15, free-until-25-uptake and the odd scenario, in two small regions."""
    return simulate(load_policies(), ["copay-15", "free-until-25-uptake", odd_scenario(folder)], regions=REGIONS)


@pytest.fixture(scope="module")
def sim(tmp_path_factory):
    return small_simulation(tmp_path_factory.mktemp("scenarios"))


@pytest.fixture(scope="module")
def book(sim, tmp_path_factory):
    path = write_workbook(sim, tmp_path_factory.mktemp("book") / "comparison.xlsx")
    return openpyxl.load_workbook(path)


def header(ws, row: int = 1) -> list:
    return [c.value for c in ws[row]]


def test_sheets_in_order_with_tables_and_frozen_headers(book):
    assert book.sheetnames == ["Read me", "Scenarios", "Parameters", "Regions", "Utilisation", "Results",
                               "Comparison", "What-if"]
    for name, table in [("Scenarios", "Scenarios"), ("Parameters", "Parameters"), ("Regions", "Regions"),
                        ("Utilisation", "Utilisation"), ("Results", "Results"), ("Comparison", "National"),
                        ("What-if", "WhatIf_Lines")]:
        assert table in book[name].tables, name
        assert book[name].freeze_panes is not None, name
    assert book["Results"].tables["Results"].ref == f"A1:{book['Results'].cell(1, book['Results'].max_column).column_letter}9"


def test_results_hold_the_engines_figures_with_euro_formats(book, sim):
    ws = book["Results"]
    heads = header(ws)
    assert heads[:2] == ["Scenario", "Region"] and len(heads) == len(sim.results.columns)
    cost = heads.index("Insurer cost (EUR)") + 1
    for i, row in enumerate(sim.results.itertuples(index=False), start=2):
        assert (ws.cell(i, 1).value, ws.cell(i, 2).value) == (row.scenario, row.region)
        assert ws.cell(i, cost).value == pytest.approx(row.insurer_cost, abs=0.001)
        assert ws.cell(i, cost).number_format == EUR


def test_text_from_scenario_files_stays_text(book):
    found = []
    for ws in book:
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and ("=1+1" in cell.value or "HYPERLINK" in cell.value or "cmd" in cell.value):
                    assert cell.data_type == "s", (ws.title, cell.coordinate)
                    assert cell.quotePrefix == cell.value.startswith(("=", "+")), (ws.title, cell.coordinate)
                    found.append((ws.title, cell.value))
                elif cell.data_type == "f":
                    assert "HYPERLINK" not in cell.value and "cmd" not in cell.value
    assert ("Scenarios", ODD_TITLE) in found and ("Read me", ODD_TITLE) in found
    assert ("Scenarios", ODD_NOTE) in found and ("Parameters", f"scenario odd-title: {ODD_NOTE}") in found
    assert ("Read me", "+cmd|' /C calc'!A0") in found


def test_comparison_is_formulas_over_results(book, sim):
    ws = book["Comparison"]
    formulas = [c.value for row in ws.iter_rows() for c in row if c.data_type == "f"]
    numbers = [c.value for row in ws.iter_rows() for c in row if isinstance(c.value, int | float)]
    assert numbers == []
    assert sum("SUMIFS(Results!" in f for f in formulas) == len(sim.scenarios) * (7 + 1 + 4 * len(REGIONS))
    assert len(ws._charts) == 2
    titles = ["".join(r.t for p in c.title.tx.rich.p for r in p.r) for c in ws._charts]
    assert titles == ["Insurer cost per region and scenario (EUR)", "Patient co-payments per region and scenario (EUR)"]
    assert all(c.type == "bar" and c.grouping == "clustered" and len(c.series) == len(sim.scenarios) for c in ws._charts)


def test_parameters_mark_assumed_values_and_scenario_changes(book, sim):
    ws = book["Parameters"]
    heads = header(ws)
    col = {h: heads.index(h) + 1 for h in heads}
    rows = list(ws.iter_rows(min_row=2))
    by_key = {(r[0].value, r[1].value, r[col["From"] - 1].value.date()): r for r in rows}
    changed = by_key[("copay-15", "riziv-psy-2021.copayment.rules.individual.amount", dt.date(2027, 1, 1))]
    assert changed[col["Value"] - 1].value == 15 and changed[col["Status"] - 1].value == "assumed"
    assert changed[col["Changed by scenario"] - 1].value == "yes"
    assert changed[col["Source title"] - 1].value
    statuses = {r[col["Status"] - 1].value for r in rows}
    assert statuses == {"assumed", "confirmed"}
    for r in rows:
        assumed = r[col["Status"] - 1].value == "assumed"
        assert (r[0].fill.fgColor.rgb == ASSUMED_FILL.fgColor.rgb) == assumed
    per_scenario = {s.id: sum(1 for r in rows if r[0].value == s.id) for s in sim.scenarios}
    assert per_scenario["baseline"] >= len(sim.policies["baseline"].values)


def test_whatif_inputs_default_to_the_engine_values(book, sim):
    ws = book["What-if"]
    drivers = sim.drivers[sim.drivers["scenario"] == "baseline"]
    inputs = book["What-if"].tables["WhatIf_Inputs"]
    rows = list(ws[inputs.ref])[1:]
    assert {(r[3].value, r[2].value) for r in rows} == set(zip(drivers["path"], drivers["value"], strict=True))
    assert all(r[2].fill.fgColor.rgb == INPUT_FILL.fgColor.rgb for r in rows)
    lines = list(ws[ws.tables["WhatIf_Lines"].ref])[1:]
    assert len(lines) == len(drivers)
    input_row = {r[2].row: (r[3].value, r[2].value) for r in rows}
    for line in lines:
        target = int(line[5].value.removeprefix("=$C$"))
        assert input_row[target][0] == line[3].value
    assert book.defined_names["WhatIf_Uptake"].attr_text == "'What-if'!$B$3"


def test_writing_is_atomic(sim, tmp_path, monkeypatch):
    target = tmp_path / "comparison.xlsx"
    target.write_bytes(b"the previous workbook")

    def broken_save(self, filename):
        Path(filename).write_bytes(b"half a workbook")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(openpyxl.Workbook, "save", broken_save)
    with pytest.raises(InputError, match="comparison.xlsx: expected a file that can be written, found no space left on the device"):
        write_workbook(sim, target)
    assert target.read_bytes() == b"the previous workbook"
    assert [p.name for p in tmp_path.iterdir()] == ["comparison.xlsx"]


def test_build_is_deterministic_apart_from_the_timestamp(sim):
    when = dt.datetime(2026, 1, 2, 3, 4, 5)
    first, second = build_workbook(sim, when), build_workbook(sim, when)
    for ws in first:
        assert [[c.value for c in r] for r in ws.iter_rows()] == [[c.value for c in r] for r in second[ws.title].iter_rows()]
    assert first["Read me"]["B4"].value == "2026-01-02 03:04:05"


def test_cli_writes_the_workbook_and_a_summary(tmp_path, capsys):
    target = tmp_path / "out" / "cmp.xlsx"
    assert main(["compare", "-r", "luxemburg", "-s", "copay-15", "-o", str(target)]) == 0
    out = capsys.readouterr().out
    assert "baseline" in out and "copay-15" in out and f"wrote {target}" in out
    assert openpyxl.load_workbook(target).sheetnames[0] == "Read me"


def test_cli_user_errors_are_one_line(tmp_path, capsys):
    assert main(["compare", "-o", str(tmp_path / "cmp.csv")]) == 2
    assert main(["compare", "-s", "copay15", "-o", str(tmp_path / "cmp.xlsx")]) == 2
    assert main(["compare", "-r", "luxembrug", "-o", str(tmp_path / "cmp.xlsx")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 3
    assert err[0] == f"error: {tmp_path / 'cmp.csv'}: expected an output file ending in .xlsx, found '.csv'"
    assert "did you mean 'copay-15'" in err[1] and "did you mean 'luxemburg'" in err[2]
    assert list(tmp_path.iterdir()) == []


def test_parameters_show_one_value_in_force_per_day(book):
    ws = book["Parameters"]
    heads = header(ws)
    start, end = heads.index("From"), heads.index("To")
    periods: dict[tuple, list] = {}
    for r in ws.iter_rows(min_row=2, values_only=True):
        periods.setdefault((r[0], r[1]), []).append((r[start].date(), r[end].date() if r[end] else dt.date.max))
    for key, spans in periods.items():
        spans.sort()
        assert all(a[1] < b[0] for a, b in pairwise(spans)), (key, spans)
