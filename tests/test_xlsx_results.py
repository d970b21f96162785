"""xlsx results: streamed, frozen header, a real Excel table, exact values, text never a formula, further sheets;
read back by openpyxl, python-calamine and LibreOffice."""

from __future__ import annotations

import datetime as dt
import re
import sys
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from libreoffice import convert, soffice
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from python_calamine import CalamineWorkbook

from engine.claims.write import AMOUNTS, OUTPUT_COLUMNS, ResultsWriter, write_results
from engine.evaluate.vectorized import evaluate_vectorized
from engine.io import xlsx

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from claims_generator import generate_claims  # noqa: E402

LAST = get_column_letter(len(OUTPUT_COLUMNS))  # the results' last column


def results_of(policies, n: int) -> pd.DataFrame:
    claims = generate_claims(n, seed=5)
    claims.loc[2, "claim_id"] = "=HYPERLINK(\"http://x\")"
    out = evaluate_vectorized(claims, policies)
    out.insert(0, "row", claims["row"].to_numpy())
    return out


def test_results_have_a_frozen_header_and_a_real_table(tmp_path, policies):
    results = results_of(policies, 40)
    write_results(results, tmp_path / "r.xlsx")
    sheet = load_workbook(tmp_path / "r.xlsx")["results"]
    assert sheet.freeze_panes == "A2"
    assert [(name, ref) for name, ref in sheet.tables.items()] == [("results", f"A1:{LAST}{len(results) + 1}")]
    table = sheet.tables["results"]
    assert [c.name for c in table.tableColumns] == OUTPUT_COLUMNS and table.autoFilter.ref == table.ref
    assert [c.value for c in sheet[1]] == OUTPUT_COLUMNS
    assert [sheet.cell(i + 2, 2).value for i in range(len(results))] == list(results["claim_id"])
    assert sheet["B4"].value == "=HYPERLINK(\"http://x\")" and sheet["B4"].data_type == "s"
    with zipfile.ZipFile(tmp_path / "r.xlsx") as archive:
        assert "<f>" not in archive.read("xl/worksheets/sheet1.xml").decode()  # no formula anywhere


def test_a_summary_can_follow_as_a_second_sheet(tmp_path, policies):
    results = results_of(policies, 30)
    summary = pd.DataFrame({"month": ["2024-03", "2024-04"], "scheme": ["convention", "=evil"], "claims": [3, 4],
                            "insurer": [120.5, 80.25]})
    with ResultsWriter(tmp_path / "r.xlsx") as writer:
        writer.write(results.iloc[:10])
        writer.write(results.iloc[10:])
        writer.add_sheet("summary", summary)
    book = load_workbook(tmp_path / "r.xlsx")
    assert book.sheetnames == ["results", "summary"]
    sheet = book["summary"]
    assert [[c.value for c in row] for row in sheet.iter_rows()] == [list(summary.columns), *summary.values.tolist()]
    assert sheet["B3"].data_type == "s" and list(sheet.tables) == ["summary"] and sheet.freeze_panes == "A2"
    with ResultsWriter(tmp_path / "r.csv") as writer:  # other formats have no sheets
        writer.write(results)
        writer.add_sheet("summary", summary)
    assert len(pd.read_csv(tmp_path / "r.csv")) == len(results)


def test_no_rows_gives_a_header_with_filter_buttons(tmp_path, policies):
    write_results(results_of(policies, 5).iloc[0:0], tmp_path / "r.xlsx")
    sheet = load_workbook(tmp_path / "r.xlsx")["results"]
    assert [c.value for c in sheet[1]] == OUTPUT_COLUMNS and sheet.max_row == 1 and sheet.auto_filter.ref == f"A1:{LAST}1"


def test_keep_input_carries_the_input_columns_in_every_format(tmp_path, capsys):
    from carepolicy.cli import main
    from engine.claims.write import write_claims

    claims = generate_claims(600, seed=8)
    for suffix in (".csv", ".parquet", ".xlsx"):
        write_claims(claims, tmp_path / f"c{suffix}")
    source = pd.read_csv(tmp_path / "c.csv", dtype=str, keep_default_na=False)
    expected = source.add_prefix("input_")
    for suffix in (".csv", ".parquet", ".xlsx"):
        for out, chunks in ((".csv", []), (".parquet", []), (".xlsx", []), (".csv", ["--chunk-rows", "100"])):
            if chunks and suffix == ".xlsx":
                continue
            target = tmp_path / f"r{out}"
            assert main(["evaluate", str(tmp_path / f"c{suffix}"), "-o", str(target), "--keep-input", *chunks]) == 0
            frame = {".csv": lambda p: pd.read_csv(p, dtype=str, keep_default_na=False), ".parquet": pd.read_parquet,
                     ".xlsx": lambda p: pd.read_excel(p, dtype=str, keep_default_na=False, engine="openpyxl")}[out](target)
            assert list(frame.columns) == [*OUTPUT_COLUMNS, *expected.columns], (suffix, out)
            kept = frame[list(expected.columns)].astype(str).replace({"nan": ""})
            assert kept.to_dict("list") == expected.to_dict("list"), (suffix, out, chunks)
            assert list(frame["claim_id"].astype(str)) == list(source["claim_id"])
    capsys.readouterr()


SPECIAL = ["<&>\"'", "Zoë Ĳsselmeer 🙂 €", " padded ", "=HYPERLINK(\"http://x\")", "+32 2 000 00 00", "@sum", "-1+1",
           "_x0041_ stays literal", "tab\there", "line\nbreak", "cr\rhere", "bell\x07 and \x1f", ""]
EXCEL_ESCAPES = re.compile("[\x00-\x08\x0b-\x1f\ufffe\uffff]|_x[0-9A-Fa-f]{4}_")


def special_results(policies) -> pd.DataFrame:
    """Results with awkward text, cents, negative amounts, an empty date and empty text."""
    results = results_of(policies, len(SPECIAL) + 6)
    results["claim_id"] = results["claim_id"].astype(object)
    results.loc[: len(SPECIAL) - 1, "claim_id"] = SPECIAL
    results["bundle"] = results["bundle"].astype(object)
    results.loc[0, "bundle"] = "a<b & c>d"
    results.loc[1, "bundle"] = ""
    results.loc[1, "period_start"] = pd.NaT
    results.loc[:3, "insurer_amount"] = [0.01, 1234567.89, -0.05, 81.74]
    return results


def expected_rows(results: pd.DataFrame, empty) -> list[list]:
    """The cells a reader should find: amounts to the cent, dates as dates, `empty` for empty text and dates."""
    rows = []
    for record in results[OUTPUT_COLUMNS].itertuples(index=False):
        row = []
        for name, value in zip(OUTPUT_COLUMNS, record, strict=True):
            if name in AMOUNTS:
                row.append(round(value, 2))
            elif name == "period_start":
                row.append(empty if pd.isna(value) else value.date())
            elif name in ("row", "covered"):
                row.append(value)
            else:
                row.append(value if value != "" else empty)
        rows.append(row)
    return rows


@pytest.mark.parametrize("text", ["shared", "inline"])
def test_values_read_back_exactly_through_calamine_and_openpyxl(tmp_path, policies, monkeypatch, text):
    if text == "inline":
        monkeypatch.setattr(xlsx, "SHARED_LIMIT", 0)  # the shared-string table is full: every text inline
    monkeypatch.setattr(xlsx, "BLOCK_ROWS", 7)  # rows built in several blocks
    results = special_results(policies)
    with ResultsWriter(tmp_path / "r.xlsx") as writer:
        writer.write(results.iloc[:9])
        writer.write(results.iloc[9:])

    book = CalamineWorkbook.from_path(str(tmp_path / "r.xlsx"), load_tables=True)
    assert book.sheet_names == ["results"]
    cells = book.get_sheet_by_name("results").to_python()
    assert cells[0] == OUTPUT_COLUMNS
    assert cells[1:] == expected_rows(results, "")
    table = book.get_table_by_name("results")
    assert (table.columns, table.start, table.end) == (OUTPUT_COLUMNS, (1, 0), (len(results), len(OUTPUT_COLUMNS) - 1))

    sheet = load_workbook(tmp_path / "r.xlsx")["results"]
    read = [[c.value for c in row] for row in sheet.iter_rows(min_row=2)]
    for got, want in zip(read, expected_rows(results, None), strict=True):
        # openpyxl leaves Excel's escapes of control characters as they are (`_x0007_`); calamine (above) decodes them
        kept = [not (isinstance(w, str) and EXCEL_ESCAPES.search(w)) for w in want]
        assert [g.date() if isinstance(g, dt.datetime) else g for g, k in zip(got, kept, strict=True) if k] == \
            [w for w, k in zip(want, kept, strict=True) if k]
    assert sheet["D2"].number_format == "General" and sheet["I2"].number_format == '#,##0.00 "€"'
    assert sheet["L2"].number_format == "yyyy-mm-dd" and isinstance(sheet["L2"].value, dt.datetime)
    assert all(sheet.cell(i + 2, 2).data_type == "s" for i in range(len(SPECIAL)) if SPECIAL[i])
    assert sheet.freeze_panes == "A2" and sheet.tables["results"].ref == f"A1:{LAST}{len(results) + 1}"
    with zipfile.ZipFile(tmp_path / "r.xlsx") as archive:
        xml = archive.read("xl/worksheets/sheet1.xml").decode() + archive.read("xl/sharedStrings.xml").decode()
    assert "<f>" not in xml and "bell_x0007_ and _x001F_" in xml and "_x005F_x0041_ stays literal" in xml


def test_the_table_covers_every_row_across_blocks(tmp_path, policies, monkeypatch):
    monkeypatch.setattr(xlsx, "BLOCK_ROWS", 64)
    results = results_of(policies, 1000)
    with ResultsWriter(tmp_path / "r.xlsx") as writer:
        for start in range(0, len(results), 300):
            writer.write(results.iloc[start: start + 300])
    book = CalamineWorkbook.from_path(str(tmp_path / "r.xlsx"), load_tables=True)
    cells = book.get_sheet_by_name("results").to_python()
    assert len(cells) == 1001 and [r[0] for r in cells[1:]] == list(range(1, 1001))
    assert [r[1] for r in cells[1:]] == list(results["claim_id"])
    assert book.get_table_by_name("results").end == (1000, len(OUTPUT_COLUMNS) - 1)


def test_libreoffice_opens_the_results_and_reads_the_same_values(tmp_path, policies):
    soffice()
    results = special_results(policies)
    summary = pd.DataFrame({"month": ["2024-03"], "scheme": ["=x"], "insurer": [120.5]})
    with ResultsWriter(tmp_path / "r.xlsx") as writer:
        writer.write(results)
        writer.add_sheet("summary", summary, ["insurer"])
    # every sheet as CSV (UTF-8, values rather than as shown, text quoted)
    convert(tmp_path / "r.xlsx", "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,true,false,false,false,false,-1", tmp_path / "lo")
    shown = pd.read_csv(tmp_path / "lo" / "r-results.csv", dtype=str, keep_default_na=False)
    assert list(shown.columns) == OUTPUT_COLUMNS
    plain = [not EXCEL_ESCAPES.search(v) and "\r" not in v for v in results["claim_id"]]
    assert list(shown["claim_id"][plain]) == list(results["claim_id"][plain])
    assert list(shown["bundle"][:2]) == ["a<b & c>d", ""]
    assert [round(float(v) * 100) for v in shown["insurer_amount"]] == list(np.round(results["insurer_amount"] * 100))
    assert list(shown["period_start"][:3]) == [str(results["period_start"][0].date()), "", str(results["period_start"][2].date())]
    assert pd.read_csv(tmp_path / "lo" / "r-summary.csv", dtype=str).values.tolist() == [["2024-03", "=x", "120.5"]]


def test_text_xml_cannot_hold_is_written_as_excel_writes_it():
    assert xlsx.xstring("a<b&c>\x07\r\ufffe_x0041_") == "a&lt;b&amp;c&gt;_x0007__x000D__xFFFE__x005F_x0041_"
    assert xlsx.xstring("tab\tline\n é 🙂") == "tab\tline\n é 🙂"


def test_more_columns_than_a_sheet_holds_is_one_clear_error(tmp_path, capsys, monkeypatch):
    from carepolicy.cli import main
    from engine.claims.write import write_claims

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(xlsx, "MAX_COLUMNS", 25)  # a sheet of 25 columns; the claims file has 15
    write_claims(generate_claims(20, seed=8), tmp_path / "c.csv")
    (tmp_path / "r.xlsx").write_bytes(b"previous")
    assert main(["evaluate", "c.csv", "-o", "r.xlsx", "--keep-input"]) == 2
    assert capsys.readouterr().err.splitlines()[-1] == (
        f"error: r.xlsx: expected at most 25 columns, the most a sheet holds, found {len(OUTPUT_COLUMNS) + 15} with the "
        "input's; write .csv or .parquet instead")
    assert (tmp_path / "r.xlsx").read_bytes() == b"previous" and sorted(p.name for p in tmp_path.iterdir()) == ["c.csv", "r.xlsx"]
