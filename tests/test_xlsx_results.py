"""xlsx results: streamed by xlsxwriter, frozen header, a real Excel table, text never a formula, further sheets."""

from __future__ import annotations

import sys
import zipfile
from pathlib import Path

import pandas as pd
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from engine.claims.write import OUTPUT_COLUMNS, ResultsWriter, write_results
from engine.evaluate.vectorized import evaluate_vectorized

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
