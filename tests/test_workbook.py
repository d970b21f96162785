"""The comparison workbook as openpyxl and pandas read it back, without a spreadsheet: sheets, tables, text
that stays text, formulas stored with the values Python computed, charts that overlap nothing, atomic writing."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from itertools import pairwise
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from carepolicy.cli import main
from engine.errors import InputError
from engine.policy.policies import load_policies
from engine.policy.scenarios import BASELINE
from engine.simulation.band import band, simulate_seeds
from engine.simulation.run import national, simulate
from engine.simulation.sensitivity import Sensitivity
from engine.simulation.years import simulate_years
from workbooks.comparison import build_workbook, write_workbook
from workbooks.context import Context
from workbooks.labels import Labels
from workbooks.summary import scope_note

REGIONS = ["luxemburg", "namen"]
ODD_TITLE = "=1+1 is not a formula"
ODD_NOTE = '=HYPERLINK("http://example.org","click")'
CENT = 0.005
SHEETS = ["Summary", "Read me", "Comparison", "Several years", "Sensitivity", "What-if", "Scenarios", "Parameters",
          "Regions", "Utilisation", "Results"]
ASSUMED_RGB, CHANGED_RGB, INPUT_RGB = "FFFCE4D6", "FFE2EFDA", "FFFFF2CC"


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


SCENARIOS = ["copay-15", "free-until-25-uptake", "index-2pct"]


def small_simulation(folder: Path):
    """Baseline, copay-15, free-until-25-uptake, index-2pct and the odd scenario, in two small regions, 2027."""
    return simulate(load_policies(), [*SCENARIOS, odd_scenario(folder)], regions=REGIONS, year=2027)


@pytest.fixture(scope="module")
def sim(tmp_path_factory):
    return small_simulation(tmp_path_factory.mktemp("scenarios"))


@pytest.fixture(scope="module")
def seed_band(sim):
    names = [s.file for s in sim.scenarios[1:]]
    table = simulate_seeds(load_policies(), names, seeds=2, seed=sim.seed + 1, year=sim.year, regions=REGIONS)
    return band(pd.concat([sim.results.assign(seed=sim.seed), table], ignore_index=True))


def years_of(sim) -> pd.DataFrame:
    """The simulation's scenarios over 2026-2027 (the bundled reforms start in 2027), as `compare --years` runs them."""
    return simulate_years(load_policies(), [s.file for s in sim.scenarios[1:]], years=[2026, 2027], seed=sim.seed,
                          regions=list(sim.region_ids), executor="pool")


def sensitivity_of(sim) -> Sensitivity:
    """A sensitivity run of the simulation's scenarios as engine.simulation.sensitivity gives it (hand-made tornado:
    uptake moves the baseline most, one figure moves nothing)."""
    base = sim.result(BASELINE, "insurer_cost")
    rows = []
    for name, low, high in (("uptake", 0.9, 0.95), ("sessions", 0.97, 1.02), ("fee_outside_convention", 1.0, 1.0)):
        row = {"figure": name, "label": f"{name} (assumed)", "where": f"regions/utilisation-be.json#/figures/{name}",
               "factor_low": 0.9, "factor_high": 1.1, "baseline_low": base * low, "baseline_high": base * high,
               "swing": base * (high - low)}
        for s in sim.scenarios[1:]:
            change = sim.result(s.id, "insurer_cost") - base
            row[f"{s.id}_low"], row[f"{s.id}_high"] = change * low, change * high
        rows.append(row)
    ids = tuple(s.id for s in sim.scenarios)
    central = pd.DataFrame({"mean": [base] + [sim.result(s, "insurer_cost") - base for s in ids[1:]]}, index=ids)
    return Sensitivity(sim.year, (sim.seed,), ids, (), pd.DataFrame(), pd.DataFrame(rows),
                       central.assign(low=central["mean"], high=central["mean"]))


@pytest.fixture(scope="module")
def years(sim):
    return years_of(sim)


@pytest.fixture(scope="module")
def path(sim, seed_band, years, tmp_path_factory):
    return write_workbook(sim, tmp_path_factory.mktemp("book") / "comparison.xlsx", band=seed_band, seeds=3,
                          years=years, sensitivity=sensitivity_of(sim))


@pytest.fixture(scope="module")
def book(path):
    return openpyxl.load_workbook(path)


@pytest.fixture(scope="module")
def values(path):
    return openpyxl.load_workbook(path, data_only=True)


def header(ws, row: int = 1) -> list:
    return [c.value for c in ws[row]]


def table_rows(ws, name: str) -> list[dict]:
    """The rows of an Excel table as dicts by header."""
    cells = list(ws[ws.tables[name].ref])
    heads = [c.value for c in cells[0]]
    return [dict(zip(heads, (c.value for c in row), strict=True)) for row in cells[1:]]


def test_sheets_in_order_with_tables_and_frozen_headers(book):
    assert book.sheetnames == SHEETS
    for name, table in [("Summary", "Summary"), ("Scenarios", "Scenarios"), ("Parameters", "Parameters"),
                        ("Regions", "Regions"), ("Utilisation", "Utilisation"), ("Results", "Results"),
                        ("Comparison", "National"), ("Comparison", "Drivers"), ("What-if", "WhatIf_Lines")]:
        assert table in book[name].tables, name
        assert book[name].freeze_panes is not None, name
    assert book["Results"].tables["Results"].ref == f"A1:{book['Results'].cell(1, book['Results'].max_column).column_letter}11"


def test_results_hold_the_engines_figures_to_the_cent(book, sim):
    ws = book["Results"]
    heads = header(ws)
    assert heads[:2] == ["Scenario", "Region"] and len(heads) == len(sim.results.columns)
    cost = heads.index("Insurer cost (EUR)") + 1
    for i, row in enumerate(sim.results.itertuples(index=False), start=2):
        assert (ws.cell(i, 1).value, ws.cell(i, 2).value) == (row.scenario, row.region)
        assert ws.cell(i, cost).value == pytest.approx(row.insurer_cost, abs=0.001)
        assert ws.cell(i, cost).number_format == "#,##0.00;[Red]-#,##0.00"


def test_text_from_scenario_files_stays_text(book):
    found = []
    for ws in book:
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and ("=1+1" in cell.value or "HYPERLINK" in cell.value or "cmd" in cell.value) \
                        and cell.data_type == "s":
                    assert cell.quotePrefix == cell.value.startswith(("=", "+")), (ws.title, cell.coordinate)
                    found.append((ws.title, cell.value))
                elif cell.data_type == "f":
                    assert "HYPERLINK" not in cell.value and "cmd" not in cell.value, (ws.title, cell.coordinate)
    assert {("Scenarios", ODD_TITLE), ("Read me", ODD_TITLE), ("Summary", ODD_TITLE)} <= set(found)
    assert ("Scenarios", ODD_NOTE) in found and ("Read me", "+cmd|' /C calc'!A0") in found


def test_every_formula_carries_its_value(book, values):
    """What a file preview, Protected View or pandas shows: every formula cell holds a cached number or text."""
    checked = 0
    for ws in book:
        for row in ws.iter_rows():
            for cell in row:
                if cell.data_type == "f":
                    cached = values[ws.title][cell.coordinate].value
                    assert cached is not None and not (isinstance(cached, str) and cached.startswith("#")), \
                        (ws.title, cell.coordinate, cell.value)
                    checked += 1
    assert checked > 500


def test_cached_comparison_equals_the_engine(values, sim):
    totals = national(sim.results).set_index("scenario")
    base = totals.loc["baseline"]
    rows = {r["Scenario"]: r for r in table_rows(values["Comparison"], "National")}
    assert list(rows) == [s.id for s in sim.scenarios]
    for scenario, row in totals.iterrows():
        r = rows[scenario]
        assert r["Insurer cost (EUR)"] == pytest.approx(row["insurer_cost"], abs=CENT)
        assert r["Insurer cost vs baseline (EUR)"] == pytest.approx(row["insurer_cost"] - base["insurer_cost"], abs=CENT)
        assert r["Insurer cost vs baseline (%)"] == pytest.approx((row["insurer_cost"] - base["insurer_cost"]) / base["insurer_cost"])
        assert r["Patient co-payments (EUR)"] == pytest.approx(row["patient_copay"], abs=CENT)
        assert r["Patients"] == row["patients"] and r["Sessions"] == row["sessions"]
        assert r["Insurer cost per inhabitant (EUR per inhabitant)"] == pytest.approx(row["cost_per_inhabitant"], abs=CENT)
    drivers = {r["Scenario"]: r for r in table_rows(values["Comparison"], "Drivers")}
    for scenario, r in drivers.items():
        parts = [v for k, v in r.items() if k != "Scenario" and "supplements" not in k and not k.startswith("Insurer")]
        assert sum(parts) == pytest.approx(r["Insurer cost (EUR million)"], abs=1e-9)
        assert r["Insurer cost (EUR million)"] == pytest.approx((totals.loc[scenario, "insurer_cost"] - base["insurer_cost"]) / 1e6)


def test_pandas_reads_numbers_not_nan(path, sim):
    """pandas.read_excel (openpyxl, cached values) on Comparison and Summary: numbers everywhere a formula is."""
    summary = pd.read_excel(path, sheet_name="Summary", header=3, nrows=len(sim.scenarios), engine="openpyxl")
    assert list(summary["Scenario"]) == [s.id for s in sim.scenarios]
    numeric = summary.drop(columns=["Scenario", "Title"])
    assert not numeric.isna().any().any()
    totals = national(sim.results).set_index("scenario")
    assert list(summary["Insurer cost (EUR million)"]) == pytest.approx(list(totals["insurer_cost"] / 1e6))


def test_summary_headlines_band_and_scope(values, sim, seed_band):
    ws = values["Summary"]
    rows = {r["Scenario"]: r for r in table_rows(ws, "Summary")}
    copay = rows["copay-15"]
    assert copay["Change in insurer cost (EUR million)"] < 0 < copay["Change in co-payments (EUR million)"]
    low, high = copay["Seed band of the change, low (EUR thousand)"], copay["Seed band of the change, high (EUR thousand)"]
    assert low <= high < 0
    expected = seed_band[(seed_band["scenario"] == "copay-15") & (seed_band["metric"] == "insurer_cost_vs_baseline")]
    assert low == pytest.approx(expected["low"].iloc[0] / 1e3) and high == pytest.approx(expected["high"].iloc[0] / 1e3)
    texts = [c.value for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    sentence = next(t for t in texts if t.startswith("Adult co-payment EUR 15: the insurer cost falls by EUR "))
    change = -copay["Change in insurer cost (EUR million)"]
    assert f"falls by EUR {change:.1f} million" in sentence and "Patients pay EUR" in sentence and "Over 3 seeds" in sentence
    assert "The published budget is national; the simulation covers 2 of the 11 regions, so it is not compared with " \
           "it." in texts and not any(t.startswith("Published budget: ") for t in texts)
    assert any(t.startswith("Excludes: ") for t in texts) and any(t.startswith("Includes: ") for t in texts)


def test_a_simulation_of_every_region_is_set_against_the_published_budget(sim):
    whole = dataclasses.replace(sim, region_ids=tuple(sim.regions.regions))
    ctx = Context(None, whole, Labels("en"), dt.datetime(2027, 1, 1))
    published = next(t for t in scope_note(ctx, None) if t.startswith("Published budget: "))
    assert "EUR 165.0 million" in published and "EUR 54.0 million" in published and "EUR 219.0 million" in published


def test_charts_sit_above_the_tables_and_overlap_nothing(book):
    """Every chart's cell rectangle (anchors from the drawing) is clear of every other chart and every written cell."""
    charted = 0
    for ws in book:
        boxes = []
        for chart in ws._charts:
            a = chart.anchor
            boxes.append((a._from.row, a._from.col, a.to.row, a.to.col))
        for i, (r0, c0, r1, c1) in enumerate(boxes):
            for r2, c2, r3, c3 in boxes[i + 1:]:
                assert r1 < r2 or r3 < r0 or c1 < c2 or c3 < c0, (ws.title, boxes)
            for row in ws.iter_rows(min_row=r0 + 1, max_row=r1 + 1, max_col=c1 + 1):
                assert all(c.value is None for c in row if c.column - 1 >= c0), (ws.title, row[0].row)
            for table in ws.tables.values():
                first, last = openpyxl.utils.cell.range_boundaries(table.ref)[1::2]
                assert last - 1 < r0 or first - 1 > r1, (ws.title, table.name)
            charted += 1
        if boxes:
            assert min(b[0] for b in boxes) <= 3, ws.title
    assert charted >= 5  # Comparison (2), Several years (2), Sensitivity (1)


def test_parameters_show_true_periods_and_mark_scenario_changes(book, sim):
    ws = book["Parameters"]
    heads = header(ws, 2)
    col = {h: heads.index(h) for h in heads}
    rows = [[c for c in r] for r in ws.iter_rows(min_row=3)]
    key = "riziv-psy-2021.tariff.rows.individual.fee"
    fees = [r for r in rows if r[0].value == "baseline" and r[1].value == key]
    assert [r[col["Value"]].value for r in fees] == [sim.policies["baseline"].values[key].entry_at(dt.date(2027, 6, 1)).value]
    for r in rows:
        start, end = r[col["From"]].value, r[col["To"]].value
        assert start.year <= 2027 and (end is None or end.year >= 2027), (r[1].value, start, end)
    changed = next(r for r in rows if r[0].value == "copay-15" and r[1].value == "riziv-psy-2021.copayment.rules.individual.amount"
                   and r[col["Value"]].value == 15)
    assert changed[col["Changed by scenario"]].value == "yes" and changed[0].fill.fgColor.rgb == CHANGED_RGB
    unchanged = next(r for r in rows if r[0].value == "copay-15" and r[1].value == key)
    assert unchanged[col["Changed by scenario"]].value is None
    for r in rows:
        if r[col["Status"]].value == "assumed" and r[col["Changed by scenario"]].value is None:
            assert r[0].fill.fgColor.rgb == ASSUMED_RGB


def test_scenarios_show_each_changes_resulting_value(book, sim):
    rows = table_rows(book["Scenarios"], "Scenarios")
    index = [r for r in rows if r["Scenario"] == "index-2pct" and r["Kind"] == "policy value"]
    assert index and all(r["Factor"] and r["Resulting value"] for r in index)
    fee = next(r for r in index if r["Path or figure"] == "riziv-psy-2021.tariff.rows.individual.fee")
    expected = sim.policies["index-2pct"].values[fee["Path or figure"]].entry_at(fee["From"].date()).value
    assert fee["Resulting value"] == expected and expected != sim.policies["baseline"].values[fee["Path or figure"]].entry_at(
        fee["From"].date()).value


def test_whatif_is_protected_except_its_inputs(book, values, sim):
    ws = book["What-if"]
    assert ws.protection.sheet and not ws.protection.password
    inputs = table_rows(book["What-if"], "WhatIf_Inputs")
    drivers = sim.drivers[sim.drivers["scenario"] == "baseline"]
    assert {r["Path"] for r in inputs} >= set(drivers["path"])
    cells = list(ws[ws.tables["WhatIf_Inputs"].ref])[1:]
    for row in cells:
        assert row[1].fill.fgColor.rgb == INPUT_RGB and row[1].protection.locked is False
        assert row[2].protection.locked is not False
    cached = table_rows(values["What-if"], "WhatIf_Inputs")
    assert {r["Status"] for r in cached} <= {"confirmed", "assumed"} and {r["Input"] for r in cached} == {"engine value"}
    assert ws["B4"].value == "baseline" and ws["B4"].protection.locked is False and ws["B5"].protection.locked is False
    assert values["What-if"]["B6"].value == "All inputs are used."
    assert values["What-if"]["B8"].value == pytest.approx(sim.result("baseline", "insurer_cost"), abs=CENT)
    assert book.defined_names["WhatIf_Uptake"].attr_text == "'What-if'!$C$5"


def test_writing_is_atomic(sim, tmp_path, monkeypatch):
    target = tmp_path / "comparison.xlsx"
    target.write_bytes(b"the previous workbook")
    real = Path.write_bytes

    def broken_write(self, data):
        real(self, b"half a workbook")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Path, "write_bytes", broken_write)
    with pytest.raises(InputError, match="comparison.xlsx: expected a file that can be written, found no space left on the device"):
        write_workbook(sim, target)
    monkeypatch.undo()
    assert target.read_bytes() == b"the previous workbook"
    assert [p.name for p in tmp_path.iterdir()] == ["comparison.xlsx"]


def test_build_is_deterministic_apart_from_the_timestamp(sim):
    when = dt.datetime(2026, 1, 2, 3, 4, 5)
    assert build_workbook(sim, when) == build_workbook(sim, when)


def test_a_band_still_running_is_asked_for_once_and_makes_the_same_workbook(sim, seed_band):
    """A band given as a function (its seeds run in other processes) is asked for once, when only the Summary is left
    to write: the workbook is the one its table makes."""
    when = dt.datetime(2026, 1, 2, 3, 4, 5)
    asked = []

    def pending():
        asked.append(len(asked))
        return seed_band

    assert build_workbook(sim, when, band=pending, seeds=3) == build_workbook(sim, when, band=seed_band, seeds=3)
    assert asked == [0]
    assert build_workbook(sim, when, band=lambda: None) == build_workbook(sim, when)


def test_cli_writes_the_workbook_and_a_summary(tmp_path, capsys):
    target = tmp_path / "out" / "cmp.xlsx"
    assert main(["compare", "-r", "luxemburg", "-s", "copay-15", "--seeds", "1", "-o", str(target)]) == 0
    out = capsys.readouterr().out
    assert "baseline" in out and "copay-15" in out and f"wrote {target}" in out
    assert openpyxl.load_workbook(target).sheetnames[0] == "Summary"


def test_cli_user_errors_are_one_line(tmp_path, capsys):
    assert main(["compare", "-o", str(tmp_path / "cmp.csv")]) == 2
    assert main(["compare", "-s", "copay15", "-o", str(tmp_path / "cmp.xlsx")]) == 2
    assert main(["compare", "-r", "luxembrug", "-o", str(tmp_path / "cmp.xlsx")]) == 2
    assert main(["compare", "--seeds", "0", "-o", str(tmp_path / "cmp.xlsx")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 4
    assert err[0] == f"error: {tmp_path / 'cmp.csv'}: expected an output file ending in .xlsx, found '.csv'"
    assert "did you mean 'copay-15'" in err[1] and "did you mean 'luxemburg'" in err[2]
    assert err[3] == "error: seeds: expected a whole number of 1 or more, found '0'"
    assert list(tmp_path.iterdir()) == []


def test_parameters_show_one_value_in_force_per_day(book):
    ws = book["Parameters"]
    heads = header(ws, 2)
    start, end = heads.index("From"), heads.index("To")
    periods: dict[tuple, list] = {}
    for r in ws.iter_rows(min_row=3, values_only=True):
        periods.setdefault((r[0], r[1]), []).append((r[start].date(), r[end].date() if r[end] else dt.date.max))
    for key, spans in periods.items():
        spans.sort()
        assert all(a[1] < b[0] for a, b in pairwise(spans)), (key, spans)


def impact_by_age(sim) -> pd.DataFrame:
    """An impact table by age band as engine.simulation.impact gives it (hand-made: copay-15 hurts adults only)."""
    rows = []
    for scenario in [s.id for s in sim.scenarios[1:]]:
        for band_id, better, worse in (("0-14", 0, 0), ("18-23", 0, 0), ("26-44", 0, 1200), ("45-64", 0, 800)):
            worse = worse if scenario == "copay-15" else 0
            rows.append({"scenario": scenario, "age_band": band_id, "patients": 2000, "better_off": better,
                         "worse_off": worse, "unchanged": 2000 - better - worse, "out_of_pocket_change": 4.0 * worse,
                         "mean_change_better_off": None, "mean_change_worse_off": 4.0 if worse else None,
                         "insurer_cost_change": -4.0 * worse, "supplement_change": 0.0, "sessions_change": 0,
                         "refused_change": 0})
    return pd.DataFrame(rows)


def test_worse_off_with_more_care_is_said_so(sim, tmp_path):
    """Where patients are worse off in groups whose covered sessions rise (a higher quota, more uptake), the headline
    says so with the sessions of those groups only; worse off for the same care (copay-15) it does not."""
    table = impact_by_age(sim)
    uptake = table["scenario"] == "free-until-25-uptake"
    table.loc[uptake & (table["age_band"] == "26-44"), ["worse_off", "sessions_change"]] = [103, 57]
    table.loc[uptake & (table["age_band"] == "18-23"), "sessions_change"] = 900  # nobody worse off there
    values = openpyxl.load_workbook(write_workbook(sim, tmp_path / "more.xlsx", impact=table), data_only=True)
    sentences = [c.value for r in values["Summary"].iter_rows() for c in r
                 if isinstance(c.value, str) and "patients are better off" in c.value]
    assert len(sentences) == len(sim.scenarios) - 1
    said = next(v for v in sentences if v.startswith("Free care up to and including 25, with more young adults"))
    assert said.endswith("0 patients are better off and 103 worse off. 'Worse off' counts what patients pay; in the "
                         "groups with patients worse off, covered sessions rise by 57.")
    assert [v for v in sentences if "'Worse off' counts" in v] == [said]  # not copay-15's 2,000, for the same care
    plain = openpyxl.load_workbook(write_workbook(sim, tmp_path / "plain.xlsx", impact=impact_by_age(sim)),
                                   data_only=True)
    assert not any("'Worse off' counts" in str(c.value) for r in plain["Summary"].iter_rows() for c in r)


def test_winners_and_losers_when_an_impact_table_is_given(sim, tmp_path):
    path = write_workbook(sim, tmp_path / "impact.xlsx", impact=impact_by_age(sim))
    book, values = openpyxl.load_workbook(path), openpyxl.load_workbook(path, data_only=True)
    assert book.sheetnames[:5] == ["Summary", "Read me", "Comparison", "Winners and losers", "What-if"]
    rows = {r["Scenario"]: r for r in table_rows(values["Summary"], "Summary")}
    assert (rows["copay-15"]["Patients better off"], rows["copay-15"]["Patients worse off"]) == (0, 2000)
    assert (rows["index-2pct"]["Patients better off"], rows["index-2pct"]["Patients worse off"]) == (0, 0)
    sentence = next(c.value for r in values["Summary"].iter_rows() for c in r
                    if isinstance(c.value, str) and c.value.startswith("Adult co-payment EUR 15:"))
    assert "0 patients are better off and 2,000 worse off." in sentence
    ws = book["Winners and losers"]
    assert len(ws._charts) == 1 and ws._charts[0].anchor._from.row == 3
    groups = table_rows(ws, "Winners")
    assert groups[2]["Group"] == "copay-15 · 26-44" and groups[2]["Worse off"] == 1200
    assert ws.tables["Winners"].ref.startswith(f"A{ws._charts[0].anchor.to.row + 2}")


def test_cli_fills_winners_and_losers_from_the_same_patients(tmp_path, capsys):
    """compare's Winners and losers sheet and Summary columns are the impact of the compared run, by age band."""
    from engine.simulation.impact import impact

    target = tmp_path / "cmp.xlsx"
    assert main(["compare", "-r", "luxemburg", "-s", "copay-15,free-until-25", "--seeds", "1", "-q",
                 "-o", str(target)]) == 0
    printed = capsys.readouterr().out.splitlines()
    expected = impact(load_policies(), ["copay-15", "free-until-25"], year=2027, regions=["luxemburg"], by="age_band")
    values = openpyxl.load_workbook(target, data_only=True)
    assert "Winners and losers" in values.sheetnames
    groups = table_rows(values["Winners and losers"], "Winners")
    assert [(g["Scenario"], g["Age band"], g["Better off"], g["Worse off"]) for g in groups] == [
        (r.scenario, r.age_band, r.better_off, r.worse_off) for r in expected.itertuples()]
    summary = {r["Scenario"]: r for r in table_rows(values["Summary"], "Summary")}
    totals = expected.groupby("scenario")[["better_off", "worse_off"]].sum()
    for scenario in ("copay-15", "free-until-25"):
        assert (summary[scenario]["Patients better off"], summary[scenario]["Patients worse off"]) == \
            tuple(totals.loc[scenario])
    assert summary["copay-15"]["Patients better off"] == 0 < summary["copay-15"]["Patients worse off"]
    assert summary["free-until-25"]["Patients worse off"] == 0 < summary["free-until-25"]["Patients better off"]
    assert printed[1].endswith("  better off   worse off")
    copay = next(line for line in printed if line.startswith("copay-15 "))
    assert copay.endswith(f"{0:>12,}{totals.loc['copay-15', 'worse_off']:>12,}")


def test_several_years_show_each_scenarios_cost_per_year_as_lines(book, values, years):
    ws, cached = book["Several years"], values["Several years"]
    assert [c.tagname for c in ws._charts] == ["lineChart", "lineChart"]
    rows = table_rows(cached, "Years")
    nation = years.groupby(["year", "scenario"])["insurer_cost"].sum()
    assert [r["Year"] for r in rows] == ["2026", "2027"]
    for r in rows:
        year = int(r["Year"])
        assert r["baseline (EUR million)"] == pytest.approx(nation[(year, "baseline")] / 1e6, abs=1e-9)
        change = (nation[(year, "copay-15")] - nation[(year, "baseline")]) / 1e6
        assert r["copay-15 vs baseline (EUR million)"] == pytest.approx(change, abs=1e-9)
        assert (change == 0) == (year == 2026)  # the reform starts on 2027-01-01
        assert r["Basis (population; uptake)"].startswith("interpolated 2025 (confirmed) - 2030 (assumed); ")
    # the 2027 column equals the single-year simulation of 2027 to the cent
    assert rows[1]["index-2pct (EUR million)"] * 1e6 == pytest.approx(
        national(years[years["year"] == 2027]).set_index("scenario").loc["index-2pct", "insurer_cost"], abs=CENT)


def test_sensitivity_tornado_sorted_by_swing(book, values, sim):
    ws, cached = book["Sensitivity"], values["Sensitivity"]
    (chart,) = ws._charts
    assert chart.tagname == "barChart" and chart.barDir == "bar" and chart.overlap == 100
    rows = table_rows(cached, "Tornado")
    assert [r["Assumption"] for r in rows] == ["uptake (assumed)", "sessions (assumed)",
                                               "fee_outside_convention (assumed)"]
    base = sim.result(BASELINE, "insurer_cost") / 1e6
    assert cached["B3"].value == pytest.approx(base)
    assert rows[0]["Change at the low end (EUR million)"] == pytest.approx(-0.1 * base)
    assert rows[0]["Change at the high end (EUR million)"] == pytest.approx(-0.05 * base)
    assert [r["Swing (EUR million)"] for r in rows] == pytest.approx([0.05 * base, 0.05 * base, 0.0])
    assert rows[2]["copay-15 vs baseline, low end (EUR million)"] == pytest.approx(
        sim.result("copay-15", "insurer_cost") / 1e6 - base)


def test_cli_adds_the_years_and_refuses_years_outside_the_projection(tmp_path, capsys):
    target = tmp_path / "cmp.xlsx"
    assert main(["compare", "-r", "luxemburg", "-s", "copay-15", "--seeds", "2", "--years", "2026-2027", "-q",
                 "-o", str(target)]) == 0
    book = openpyxl.load_workbook(target, data_only=True)
    rows = table_rows(book["Several years"], "Years")
    assert [r["Year"] for r in rows] == ["2026", "2027"]
    summary = table_rows(book["Summary"], "Summary")  # the band, ended before the years ran
    assert summary[1]["Seed band of the change, low (EUR thousand)"] <= summary[1]["Seed band of the change, high (EUR thousand)"]
    assert main(["compare", "-r", "luxemburg", "--years", "2030-2040", "-o", str(tmp_path / "late.xlsx")]) == 2
    assert capsys.readouterr().err.startswith("error: year: expected a year the projection covers (2022-2035, ")
    assert not (tmp_path / "late.xlsx").exists()


def test_cli_sensitivity_runs_the_grid_of_the_compared_year_scenarios_and_regions(tmp_path, monkeypatch):
    """compare --sensitivity asks engine.simulation.sensitivity for the workbook's own year, scenarios, regions and
    seed (the grid itself is tested in test_sensitivity.py) and adds the Sensitivity sheet."""
    import engine.simulation.sensitivity as module

    asked = {}

    def fake(policies, scenarios, **options):
        asked.update(options, scenarios=list(scenarios))
        return sensitivity_of(simulate(policies, scenarios, year=options["year"], regions=options["regions"],
                                       seed=options["seed"]))

    monkeypatch.setattr(module, "sensitivity", fake)
    target = tmp_path / "cmp.xlsx"
    assert main(["compare", "-r", "luxemburg", "-s", "copay-15", "--year", "2028", "--seed", "4", "--seeds", "1",
                 "--sensitivity", "-q", "-o", str(target)]) == 0
    assert (asked["scenarios"], asked["year"], asked["regions"], asked["seed"]) == (["copay-15"], 2028, ["luxemburg"], 4)
    rows = table_rows(openpyxl.load_workbook(target, data_only=True)["Sensitivity"], "Tornado")
    assert [r["Assumption"] for r in rows][0] == "uptake (assumed)"


def test_whatif_lines_name_their_region_as_the_budget_does(book, sim):
    names = [sim.regions.regions[r].name("en") for r in sim.region_ids]
    budget = table_rows(book["What-if"], "WhatIf_Budget")
    assert [r["Region"] for r in budget] == names
    lines = table_rows(book["What-if"], "WhatIf_Lines")
    assert {r["Region"] for r in lines} == set(names)
    ws = book["What-if"]
    first = ws.tables["WhatIf_Budget"].ref.split(":")[0]
    fees = ws.cell(ws[first].row + 1, ws[first].column + 3).value  # the first region's provider fees
    assert '$A' in fees and "SUMIFS" in fees  # summed over the lines of the region named in column A
