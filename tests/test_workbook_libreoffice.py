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
from test_workbook import ODD_TITLE, impact_by_age, sensitivity_of, small_simulation, table_rows, years_of

from engine.simulation.run import national
from workbooks.comparison import write_workbook

CENT = 0.005
ERRORS = ("#", "Err:")
COPAY = "riziv-psy-2021.copayment.rules.individual.amount"


@pytest.fixture(scope="module")
def sim(tmp_path_factory):
    soffice()
    return small_simulation(tmp_path_factory.mktemp("scenarios"))


@pytest.fixture(scope="module")
def written(sim, tmp_path_factory):
    """(the workbook as written, its cached values, the same recalculated by LibreOffice (values only), its path)."""
    folder = tmp_path_factory.mktemp("lo")
    path = write_workbook(sim, folder / "comparison.xlsx", impact=impact_by_age(sim), years=years_of(sim),
                          sensitivity=sensitivity_of(sim))
    return (openpyxl.load_workbook(path), openpyxl.load_workbook(path, data_only=True),
            openpyxl.load_workbook(recalculate(path, folder / "recalculated"), data_only=True), path)


def changed_whatif(written, tmp_path, change) -> openpyxl.Workbook:
    """The What-if after `change(sheet, input rows)`, recalculated by LibreOffice."""
    formulas = openpyxl.load_workbook(written[3])
    ws = formulas["What-if"]
    change(ws, {row[6].value: row for row in list(ws[ws.tables["WhatIf_Inputs"].ref])[1:]})
    formulas.save(tmp_path / "changed.xlsx")
    return openpyxl.load_workbook(recalculate(tmp_path / "changed.xlsx", tmp_path / "out"), data_only=True)


def test_every_cached_value_is_what_libreoffice_computes(written):
    """The values stored with the formulas equal LibreOffice's recalculation: numbers to the cent, text exactly."""
    formulas, cached, values, _ = written
    checked = 0
    for ws in formulas:
        for row in ws.iter_rows():
            for cell in row:
                if cell.data_type != "f":
                    continue
                mine, theirs = cached[ws.title][cell.coordinate].value, values[ws.title][cell.coordinate].value
                where = f"{ws.title}!{cell.coordinate} {cell.value}"
                if isinstance(theirs, int | float) and not isinstance(theirs, bool):
                    assert mine == pytest.approx(theirs, abs=CENT, rel=1e-9), where
                else:
                    assert isinstance(theirs, str) and theirs == mine and not theirs.startswith(ERRORS), (where, theirs)
                checked += 1
    assert checked > 500


def test_no_error_values_anywhere(written):
    values = written[2]
    for ws in values:
        for row in ws.iter_rows(values_only=True):
            assert not any(isinstance(v, str) and v.startswith(ERRORS) and not v.startswith("#,") for v in row), row


def test_text_that_looks_like_a_formula_survives(written):
    titles = [r["Title"] for r in table_rows(written[2]["Scenarios"], "Scenarios")]
    assert ODD_TITLE in titles


def test_comparison_equals_the_engine(written, sim):
    ws = written[2]["Comparison"]
    totals = national(sim.results).set_index("scenario")
    rows = {r["Scenario"]: r for r in table_rows(ws, "National")}
    base = totals.loc["baseline"]
    for scenario, row in totals.iterrows():
        r = rows[scenario]
        assert r["Insurer cost (EUR)"] == pytest.approx(row["insurer_cost"], abs=CENT)
        assert r["Insurer cost vs baseline (EUR)"] == pytest.approx(row["insurer_cost"] - base["insurer_cost"], abs=CENT)
        assert r["Patient co-payments (EUR)"] == pytest.approx(row["patient_copay"], abs=CENT)
        assert r["Patient co-payments vs baseline (EUR)"] == pytest.approx(row["patient_copay"] - base["patient_copay"], abs=CENT)
        assert r["Patients"] == row["patients"] and r["Sessions"] == row["sessions"]
        assert r["Insurer cost per inhabitant (EUR per inhabitant)"] == pytest.approx(row["cost_per_inhabitant"], abs=CENT)
    by_region = sim.results.set_index(["region", "scenario"])
    names = {sim.regions.regions[r].name("en"): r for r in sim.region_ids}
    for metric in ("insurer_cost", "patient_copay", "patients", "sessions"):
        for r in table_rows(ws, f"By_region_{metric}"):
            region = names[r["Region"]]
            for s in sim.scenarios:
                expected = by_region.loc[(region, s.id), metric]
                assert r[s.id] == pytest.approx(expected, abs=CENT), (metric, region, s.id)
                if s.id != "baseline":
                    difference = expected - by_region.loc[(region, "baseline"), metric]
                    assert r[f"{s.id} vs baseline"] == pytest.approx(difference, abs=CENT)


def test_whatif_reproduces_the_engine_to_the_cent(written, sim):
    values = written[2]
    base = sim.results[sim.results["scenario"] == "baseline"].set_index("region")
    rows = table_rows(values["What-if"], "WhatIf_Budget")
    assert [r["Region id"] for r in rows] == list(sim.region_ids)
    for r in rows:
        engine = base.loc[r["Region id"]]
        assert r["Insurer cost, what-if (EUR)"] == pytest.approx(engine["insurer_cost"], abs=CENT)
        assert r["Insurer cost, engine (EUR)"] == pytest.approx(engine["insurer_cost"], abs=CENT)
        assert r["Provider fees (EUR)"] == pytest.approx(engine["provider_income"], abs=CENT)
        assert r["Co-payments (EUR)"] == pytest.approx(engine["patient_copay"], abs=CENT)
        assert r["Care-path fees (EUR)"] == pytest.approx(engine["care_path_fees"], abs=CENT)
        assert abs(r["Difference (EUR)"]) < CENT
    assert values["What-if"]["B8"].value == pytest.approx(base["insurer_cost"].sum(), abs=CENT)
    assert values["What-if"]["B6"].value == "All inputs are used."


def test_whatif_inputs_move_the_budget(written, sim, tmp_path):
    """Uptake × 1.1 everywhere and an individual co-payment of EUR 15: the budget moves as the drivers say."""
    def change(ws, inputs):
        ws["B5"] = 1.1
        inputs[COPAY][1].value = 15

    values = changed_whatif(written, tmp_path, change)
    d = sim.drivers[sim.drivers["scenario"] == "baseline"]
    amount = d["amount"].where(d["path"] != COPAY, d["count"] * 15.0)
    sign = d["kind"].map({"fee": 1, "copay": -1, "care_path_fee": 1})
    expected = (amount * sign * 1.1).groupby(d["region"]).sum()
    engine = sim.results[sim.results["scenario"] == "baseline"].set_index("region")["insurer_cost"]
    for r in table_rows(values["What-if"], "WhatIf_Budget"):
        assert r["Insurer cost, what-if (EUR)"] == pytest.approx(round(expected[r["Region id"]], 2), abs=CENT)
        assert r["Difference (EUR)"] == pytest.approx(round(expected[r["Region id"]], 2) - engine[r["Region id"]], abs=CENT)
    status = {r["Path"]: r["Input"] for r in table_rows(values["What-if"], "WhatIf_Inputs")}
    assert status[COPAY] == "your value"
    total = values["What-if"]["B8"].value
    assert values["What-if"]["B10"].value == pytest.approx(total - engine.sum(), abs=CENT)
    assert values["What-if"]["C10"].value == pytest.approx((total - engine.sum()) / engine.sum())


def test_whatif_cannot_be_broken_quietly(written, sim, tmp_path):
    """Text, an emptied cell and a negative number: the engine's values are used, said so, and counted at the top."""
    fee = "riziv-psy-2021.tariff.rows.individual.fee"
    group = "riziv-psy-2021.copayment.rules.group.amount"

    def change(ws, inputs):
        inputs[fee][1].value = "81,74"
        inputs[COPAY][1].value = None
        inputs[group][1].value = -3
        ws["B5"] = "fast"

    values = changed_whatif(written, tmp_path, change)
    ws = values["What-if"]
    engine = sim.result("baseline", "insurer_cost")
    assert ws["B8"].value == pytest.approx(engine, abs=CENT) and ws["B10"].value == pytest.approx(0, abs=CENT)
    assert ws["G6"].value == 4
    assert ws["B6"].value == "Inputs not used (empty, text or below zero): the engine's value is used for them."
    status = {r["Path"]: r["Input"] for r in table_rows(ws, "WhatIf_Inputs")}
    assert status[fee] == "not a number: engine value used"
    assert status[COPAY] == "empty: engine value used"
    assert status[group] == "below zero: engine value used"
    assert ws["D5"].value == "not a number: engine value used"
    for r in table_rows(ws, "WhatIf_Budget"):
        assert all(isinstance(v, int | float | str) and not str(v).startswith(ERRORS) for v in r.values())


def test_whatif_starts_from_a_chosen_scenario(written, sim, tmp_path):
    def change(ws, inputs):
        ws["B4"] = "copay-15"

    ws = changed_whatif(written, tmp_path, change)["What-if"]
    assert ws["C4"].value == "copay-15"
    assert ws["B8"].value == pytest.approx(sim.result("copay-15", "insurer_cost"), abs=CENT)
    assert ws["B10"].value == pytest.approx(0, abs=CENT)
    status = {r["Path"]: r["Engine value (EUR)"] for r in table_rows(ws, "WhatIf_Inputs")}
    assert status[COPAY] == 15


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
