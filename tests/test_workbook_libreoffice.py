"""The comparison workbook recalculated by a real spreadsheet (headless LibreOffice).

Every formula must evaluate to a number, and the Comparison and What-if figures must equal the
engine's to the cent; changing a What-if input must move the budget as the model says.
Skipped when LibreOffice is missing, unless $CAREPOLICY_REQUIRE_LIBREOFFICE=1.
"""

from __future__ import annotations

import zipfile

import openpyxl
import pytest
from libreoffice import recalculate, soffice
from test_workbook import ODD_TITLE, small_simulation

from engine.simulation.run import national
from workbooks.comparison import write_workbook

CENT = 0.005
ERRORS = ("#", "Err:")


@pytest.fixture(scope="module")
def sim(tmp_path_factory):
    soffice()
    return small_simulation(tmp_path_factory.mktemp("scenarios"))


@pytest.fixture(scope="module")
def written(sim, tmp_path_factory):
    """(the workbook as written, the same recalculated by LibreOffice, values only)."""
    folder = tmp_path_factory.mktemp("lo")
    path = write_workbook(sim, folder / "comparison.xlsx")
    return openpyxl.load_workbook(path), openpyxl.load_workbook(recalculate(path, folder / "recalculated"), data_only=True)


def table_rows(ws, name: str) -> list[dict]:
    """The rows of an Excel table as dicts by header."""
    cells = list(ws[ws.tables[name].ref]) if name in ws.tables else None
    if cells is None:
        raise KeyError(name)
    heads = [c.value for c in cells[0]]
    return [dict(zip(heads, (c.value for c in row), strict=True)) for row in cells[1:]]


def test_every_formula_evaluates_to_a_number(written):
    formulas, values = written
    checked = 0
    for ws in formulas:
        for row in ws.iter_rows():
            for cell in row:
                if cell.data_type != "f":
                    continue
                value = values[ws.title][cell.coordinate].value
                assert isinstance(value, int | float) and not isinstance(value, bool), \
                    f"{ws.title}!{cell.coordinate} {cell.value} -> {value!r}"
                checked += 1
    assert checked > 200


def test_no_error_values_anywhere(written):
    _, values = written
    for ws in values:
        for row in ws.iter_rows(values_only=True):
            assert not any(isinstance(v, str) and v.startswith(ERRORS) and not v.startswith("#,") for v in row), row


def test_text_that_looks_like_a_formula_survives(written):
    _, values = written
    titles = [r["Title"] for r in table_rows(values["Scenarios"], "Scenarios")]
    assert ODD_TITLE in titles


def test_comparison_equals_the_engine(written, sim):
    formulas, values = written
    ws = values["Comparison"]
    totals = national(sim.results).set_index("scenario")
    rows = table_rows(formulas["Comparison"], "National")
    got = {r["Scenario"]: i for i, r in enumerate(rows)}
    recalculated = table_rows(ws, "National")
    base = totals.loc["baseline"]
    for scenario, row in totals.iterrows():
        r = recalculated[got[scenario]]
        assert r["Insurer cost"] == pytest.approx(row["insurer_cost"], abs=CENT)
        assert r["Insurer cost vs baseline"] == pytest.approx(row["insurer_cost"] - base["insurer_cost"], abs=CENT)
        assert r["Patient co-payments"] == pytest.approx(row["patient_copay"], abs=CENT)
        assert r["Patient co-payments vs baseline"] == pytest.approx(row["patient_copay"] - base["patient_copay"], abs=CENT)
        assert r["Patients"] == row["patients"] and r["Sessions"] == row["sessions"]
        assert r["Insurer cost per inhabitant"] == pytest.approx(row["cost_per_inhabitant"], abs=CENT)
    by_region = sim.results.set_index(["region", "scenario"])
    for metric in ("insurer_cost", "patient_copay", "patients", "sessions"):
        for r in table_rows(ws, f"By_region_{metric}"):
            for s in sim.scenarios:
                expected = by_region.loc[(r["Region"], s.id), metric]
                assert r[s.id] == pytest.approx(expected, abs=CENT), (metric, r["Region"], s.id)
                if s.id != "baseline":
                    difference = expected - by_region.loc[(r["Region"], "baseline"), metric]
                    assert r[f"{s.id} vs baseline"] == pytest.approx(difference, abs=CENT)


def test_whatif_reproduces_the_engine_to_the_cent(written, sim):
    _, values = written
    base = sim.results[sim.results["scenario"] == "baseline"].set_index("region")
    rows = table_rows(values["What-if"], "WhatIf_Budget")
    assert [r["Region"] for r in rows] == list(sim.region_ids)
    for r in rows:
        engine = base.loc[r["Region"]]
        assert r["Insurer cost, what-if"] == pytest.approx(engine["insurer_cost"], abs=CENT)
        assert r["Insurer cost, engine"] == pytest.approx(engine["insurer_cost"], abs=CENT)
        assert r["Provider fees"] == pytest.approx(engine["provider_income"], abs=CENT)
        assert r["Co-payments"] == pytest.approx(engine["patient_copay"], abs=CENT)
        assert r["Care-path fees"] == pytest.approx(engine["care_path_fees"], abs=CENT)
        assert abs(r["Difference"]) < CENT
    assert values["What-if"]["E3"].value == pytest.approx(base["insurer_cost"].sum(), abs=CENT)


def test_whatif_inputs_move_the_budget(written, sim, tmp_path):
    """Uptake × 1.1 everywhere and an individual co-payment of EUR 15: the budget moves as the drivers say."""
    formulas, _ = written
    ws = formulas["What-if"]
    ws["B3"] = 1.1
    path = "riziv-psy-2021.copayment.rules.individual.amount"
    for row in list(ws[ws.tables["WhatIf_Inputs"].ref])[1:]:
        if row[3].value == path:
            row[2].value = 15
    formulas.save(tmp_path / "changed.xlsx")
    values = openpyxl.load_workbook(recalculate(tmp_path / "changed.xlsx", tmp_path / "out"), data_only=True)
    d = sim.drivers[sim.drivers["scenario"] == "baseline"]
    amount = d["amount"].where(d["path"] != path, d["count"] * 15.0)
    sign = d["kind"].map({"fee": 1, "copay": -1, "care_path_fee": 1})
    expected = (amount * sign * 1.1).groupby(d["region"]).sum()
    engine = sim.results[sim.results["scenario"] == "baseline"].set_index("region")["insurer_cost"]
    rows = table_rows(values["What-if"], "WhatIf_Budget")
    for r in rows:
        assert r["Insurer cost, what-if"] == pytest.approx(round(expected[r["Region"]], 2), abs=CENT)
        assert r["Difference"] == pytest.approx(round(expected[r["Region"]], 2) - engine[r["Region"]], abs=CENT)


def test_libreoffice_recalculates_stale_cached_values(tmp_path):
    """A formula whose cached value is wrong gets its true value: LibreOffice recalculates on load."""
    soffice()
    wb = openpyxl.Workbook()
    wb.active["A1"], wb.active["A2"] = 5, "=A1*2"
    wb.save(tmp_path / "plain.xlsx")
    with zipfile.ZipFile(tmp_path / "plain.xlsx") as src, zipfile.ZipFile(tmp_path / "stale.xlsx", "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                assert b"<f>A1*2</f><v />" in data
                data = data.replace(b"<f>A1*2</f><v />", b"<f>A1*2</f><v>999</v>")
            dst.writestr(item, data)
    assert openpyxl.load_workbook(tmp_path / "stale.xlsx", data_only=True).active["A2"].value == 999
    values = openpyxl.load_workbook(recalculate(tmp_path / "stale.xlsx", tmp_path / "out"), data_only=True)
    assert values.active["A2"].value == 10
