"""The console summary after evaluate: totals of covered sessions by scheme, the rows by month, scheme and
outcome, and the malformed rows by problem (most common three, the first row of each, the likely cause)."""

from __future__ import annotations

import pandas as pd
import pytest
from openpyxl import load_workbook
from python_calamine import CalamineWorkbook

from carepolicy.cli import main
from engine.claims.write import write_claims
from engine.evaluate.pipeline import evaluate_file
from engine.evaluate.summary import AMOUNTS, COVERED
from tests.test_cli_evaluate import generate_claims, messy_claims

HAND = ("claim_id,patient_id,birth_date,session_date,kind,network,care,mutuality,provider,fee_charged\n"
        "a1,p1,1980-01-01,2024-03-04,individual,adults,first_line,,,\n"
        "a2,p1,1980-01-01,2024-03-04,individual,adults,first_line,,,\n"
        "a3,p2,1980-01-01,2024-03-05,individual,,,cm,psychotherapist,70\n"
        "a4,p3,1980-01-01,2024-04-05,individual,,,cm,astrologer,60\n"
        "a5,p4,1980-01-01,2024-04-05,individual,,,other,psychotherapist,55\n")


def run(tmp_path, capsys, text: str, *more: str) -> tuple[int, list[str], list[str]]:
    (tmp_path / "c.csv").write_text(text, encoding="utf-8")
    code = main(["evaluate", "c.csv", "-o", "r.csv", *more])
    out, err = capsys.readouterr()
    return code, out.splitlines(), err.splitlines()


@pytest.fixture(autouse=True)
def in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)


def test_totals_count_covered_sessions_only_split_by_scheme(tmp_path, capsys):
    code, out, err = run(tmp_path, capsys, HAND)
    assert code == 0 and err == []
    assert out[1:] == [
        "covered 2; refused 3 (one_session_per_day 1, provider_not_recognised 1, no_scheme 1); invalid 0",
        # the refused CM session's row holds patient_pays 60.00 and the no_scheme row 55.00: neither is in the total
        "totals of covered sessions: insurer EUR 81.74 + care-path fees EUR 60.00; patients EUR 60.00; mutuality supplements EUR 10.00",
        "",
        "covered, by scheme (EUR)          sessions         insurer  care-path fees        patients     supplements",
        "cm-psychotherapy                         1            0.00            0.00           60.00           10.00",
        "riziv-psy-2021                           1           81.74           60.00            0.00            0.00",
        "refused sessions are in no total; the fees charged for them add up to EUR 115.00 (outside the convention the "
        "patient pays them in full)",
        "",
        "month    scheme                  outcome                             sessions       insurer      patients  fees charged",
        "2024-03  cm-psychotherapy        covered                                    1          0.00         60.00         70.00",
        "2024-03  riziv-psy-2021          covered                                    1         81.74          0.00         81.74",
        "2024-03  riziv-psy-2021          one_session_per_day                        1          0.00          0.00          0.00",
        "2024-04  -                       no_scheme                                  1          0.00          0.00         55.00",
        "2024-04  cm-psychotherapy        provider_not_recognised                    1          0.00          0.00         60.00",
    ]


def test_the_three_most_common_problems_with_their_first_row(tmp_path, capsys):
    bad = [HAND.splitlines()[0],
           "b1,p1,1980-01-01,2024/03/04,individual,adults,first_line,,,",
           "b2,p2,1980-01-01,2024-03-04,solo,adults,first_line,,,",
           "b3,p3,1980-01-01,2024/03/05,individual,adults,first_line,,,",
           "b4,p4,1980-01-01,2024-03-04,individual,,,cm,psychotherapist,75 EUR",
           "b5,p5,1980-01-01,2024-03-04,individual,adults,first_line,,,",
           "b6,p6,1980-01-01,2024-03-04,duo,adults,first_line,,,",
           "b7,p7,1980-01-01,31/02/2024,individual,adults,first_line,,,",
           "b1,p8,1980-01-01,2024-03-04,individual,adults,first_line,,,"]
    code, out, err = run(tmp_path, capsys, "\n".join(bad) + "\n")
    assert code == 3
    assert err == [
        "7 malformed row(s) kept in r.csv with covered false and reason 'invalid: <column>: …' (see the row column); most common:",
        "  3 × session_date: expected a date YYYY-MM-DD or DD/MM/YYYY (first on row 1, found '2024/03/04')",
        "  2 × kind: expected individual|group (first on row 2, found 'solo')",
        "  1 × fee_charged: expected an amount of 0 or more, like 75.50 or 75,50, without thousands separators "
        "(first on row 4, found '75 EUR')",
    ]


def test_every_row_invalid_names_the_likely_cause_in_one_line(tmp_path, capsys):
    text = ("claim_id,patient_id,birth_date,session_date,kind,network,care\n"
            + "".join(f"c{i},p{i},1980.01.05,2024.03.{i + 10},individual,adults,first_line\n" for i in range(12)))
    code, out, err = run(tmp_path, capsys, text)
    assert code == 3 and "covered 0; refused 0; invalid 12" in out
    assert err[-1] == "every row is invalid: 12 of 12 for birth_date — the file's dates are likely in a format not understood"


def test_summary_file_and_chunked_runs_add_up_to_the_results(tmp_path, capsys, policies):
    write_claims(messy_claims(900), tmp_path / "c.csv")
    whole = evaluate_file(tmp_path / "c.csv", tmp_path / "r.csv", policies).tally.table()
    chunked = evaluate_file(tmp_path / "c.csv", tmp_path / "r2.csv", policies, chunk_rows=200).tally.table()
    pd.testing.assert_frame_equal(whole, chunked)
    results = pd.read_csv(tmp_path / "r.csv", keep_default_na=False)
    covered = results[results["covered"]]
    for name in ("insurer_amount", "care_path_fee", "patient_pays", "supplement_amount"):
        assert whole.loc[whole["outcome"] == COVERED, name].sum() == round(covered[name].sum() * 100)
    assert whole["rows"].sum() == len(results) and whole["provider_fee"].sum() == round(results["provider_fee"].sum() * 100)
    assert main(["evaluate", str(tmp_path / "c.csv"), "-o", str(tmp_path / "r.csv"), "--summary", str(tmp_path / "s.csv")]) == 3
    out = capsys.readouterr().out
    written = pd.read_csv(tmp_path / "s.csv", keep_default_na=False)
    assert f"wrote the summary by month, scheme and outcome ({len(whole):,} rows) to " in out
    assert written["rows"].sum() == 900 and list(written.columns[:4]) == ["month", "scheme", "outcome", "rows"]


@pytest.mark.parametrize("n", [40])
def test_a_long_table_is_not_printed_but_named(tmp_path, capsys, n):
    write_claims(generate_claims(n * 20, seed=5), tmp_path / "c.csv")
    assert main(["evaluate", str(tmp_path / "c.csv"), "-o", str(tmp_path / "r.csv")]) == 0
    last = capsys.readouterr().out.splitlines()[-1]
    assert last.startswith("by month, scheme and outcome: ") and last.endswith(" lines (--summary FILE writes it)")


def test_an_xlsx_result_holds_the_summary_on_its_second_sheet(tmp_path, capsys, policies):
    write_claims(messy_claims(900), tmp_path / "c.csv")
    assert main(["evaluate", "c.csv", "-o", "r.xlsx", "--summary", "s.csv", "--chunk-rows", "300"]) == 3
    assert capsys.readouterr().out.splitlines()[-2].endswith(" lines (on the sheet 'summary' of r.xlsx)")
    book = CalamineWorkbook.from_path(str(tmp_path / "r.xlsx"), load_tables=True)
    assert book.sheet_names == ["results", "summary"] and book.table_names == ["results", "summary"]
    written = pd.read_csv(tmp_path / "s.csv", keep_default_na=False, dtype=str)
    cells = book.get_sheet_by_name("summary").to_python()
    assert cells[0] == list(written.columns) == ["month", "scheme", "outcome", "rows", *AMOUNTS]
    assert [[str(v) if isinstance(v, str) else f"{v:g}" for v in row] for row in cells[1:]] == \
        [[v if i < 3 else f"{float(v):g}" for i, v in enumerate(row)] for row in written.values.tolist()]
    assert sum(row[3] for row in cells[1:]) == 900
    sheet = load_workbook(tmp_path / "r.xlsx")["summary"]
    assert sheet.freeze_panes == "A2" and sheet["E2"].number_format == '#,##0.00 "€"' and sheet["D2"].number_format == "General"
    assert sheet.tables["summary"].ref == f"A1:I{len(written) + 1}"


def test_other_results_formats_keep_the_summary_to_the_console_and_summary_file(tmp_path, capsys):
    write_claims(generate_claims(800, seed=5), tmp_path / "c.csv")
    for suffix in (".csv", ".parquet"):
        assert main(["evaluate", "c.csv", "-o", f"r{suffix}"]) == 0
        assert capsys.readouterr().out.splitlines()[-1].endswith(" lines (--summary FILE writes it)")
