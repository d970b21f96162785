"""Claims files in and out: every malformed row kept with its reason, round trips for .csv, .parquet, .xlsx."""

from __future__ import annotations

import datetime as dt
import re
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from openpyxl import Workbook, load_workbook

from engine.claims.contract import OPTIONAL, REQUIRED, RESULT_COLUMNS
from engine.claims.write import OUTPUT_COLUMNS, write_claims, write_results
from engine.errors import InputError
from engine.evaluate.pipeline import read_normalized
from engine.evaluate.vectorized import evaluate_vectorized

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from claims_generator import generate_claims  # noqa: E402

GOOD = {"claim_id": "ok1", "patient_id": "p1", "birth_date": "1990-05-01", "session_date": "2024-03-04",
        "kind": "individual", "network": "adults", "care": "first_line"}
HEADER = list(GOOD) + ["increased_reimbursement", "group_id", "co_lead", "setting", "mutuality", "provider",
                       "fee_charged", "earlier_sessions"]


def csv_file(path: Path, rows: list[dict], header: list[str] = HEADER, sep: str = ",") -> Path:
    lines = [sep.join(header)] + [sep.join(str(r.get(h, "")) for h in header) for r in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


MALFORMED = [
    ("birth_date", "1990-02-30", "invalid: birth_date: expected a date YYYY-MM-DD or DD/MM/YYYY, found '1990-02-30'"),
    ("session_date", "2024/03/04", "invalid: session_date: expected a date YYYY-MM-DD or DD/MM/YYYY, found '2024/03/04'"),
    ("session_date", "31/02/2024", "invalid: session_date: expected a date YYYY-MM-DD or DD/MM/YYYY, found '31/02/2024'"),
    ("session_date", "", "invalid: session_date: expected a date YYYY-MM-DD or DD/MM/YYYY, found ''"),
    ("session_date", "1989-12-31", "invalid: session_date: expected a date on or after birth_date 1990-05-01, "
                                   "found '1989-12-31'"),
    ("kind", "solo", "invalid: kind: expected individual|group, found 'solo'"),
    ("kind", "", "invalid: kind: expected individual|group, found ''"),
    ("network", "elderly", "invalid: network: expected children|adults or empty, found 'elderly'"),
    ("care", "intensive", "invalid: care: expected first_line|specialised or empty, found 'intensive'"),
    ("setting", "school", "invalid: setting: expected standard|clb_location|clb_employed or empty, found 'school'"),
    ("co_lead", "nurse", "invalid: co_lead: expected psychologist|doctor|other or empty, found 'nurse'"),
    ("increased_reimbursement", "maybe",
     "invalid: increased_reimbursement: expected yes/no (true/false, 1/0, waar/onwaar, ja/nee, vrai/faux, oui/non), found 'maybe'"),
    ("fee_charged", "-5", "invalid: fee_charged: expected an amount of 0 or more, like 75.50 or 75,50, "
                          "without thousands separators, found '-5'"),
    ("fee_charged", "12 EUR", "invalid: fee_charged: expected an amount of 0 or more, like 75.50 or 75,50"),
    ("earlier_sessions", "2.5", "invalid: earlier_sessions: expected a whole number of 0 or more, found '2.5'"),
    ("claim_id", "", "invalid: claim_id: expected a claim id, found ''"),
    ("patient_id", "", "invalid: patient_id: expected a patient id, found ''"),
    ("claim_id", "=HYPERLINK(\"x\")", "invalid: claim_id: expected a plain number or text that is not a formula (no leading "
                                       "=, +, @ or -) and has no control or text-direction characters, found '=HYPERLINK(\"x\")'"),
    ("patient_id", "+32", "invalid: patient_id: expected a plain number or text that is not a formula"),
    ("group_id", "@SUM(1)", "invalid: group_id: expected a plain number or text that is not a formula"),
    ("mutuality", "-cm", "invalid: mutuality: expected a plain number or text that is not a formula"),
    ("provider", "=1+1", "invalid: provider: expected a plain number or text that is not a formula"),
    ("care", "=A1", "invalid: care: expected a plain number or text that is not a formula"),
    ("patient_id", "p\x01", "invalid: patient_id: expected a plain number or text that is not a formula (no leading "
                            "=, +, @ or -) and has no control or text-direction characters, found 'p\\x01'"),
]


@pytest.mark.parametrize(("column", "value", "reason"), MALFORMED, ids=[f"{c}={v!r}" for c, v, _ in MALFORMED])
def test_malformed_row_is_kept_with_its_reason_and_the_others_are_evaluated(tmp_path, policies, column, value, reason):
    bad = {**GOOD, "claim_id": "bad", "patient_id": "p2", column: value}
    later = {**GOOD, "claim_id": "ok2", "session_date": "2024-04-04"}
    frame = read_normalized(csv_file(tmp_path / "claims.csv", [GOOD, bad, later]))
    out = evaluate_vectorized(frame, policies)
    assert list(out["claim_id"]) == ["ok1", bad["claim_id"], "ok2"]
    assert list(frame["row"]) == [1, 2, 3]
    assert out.loc[1, "reason"].startswith(reason) and not out.loc[1, "covered"]
    assert out.loc[1, "provider_fee"] == 0
    assert list(out.loc[[0, 2], "covered"]) == [True, True]
    assert list(out.loc[[0, 2], "reason"]) == ["", ""]


def test_repeated_claim_id_marks_the_later_rows_only(tmp_path, policies):
    rows = [GOOD, {**GOOD, "session_date": "2024-04-04"}, {**GOOD, "claim_id": "ok2", "session_date": "2024-05-04"},
            {**GOOD, "session_date": "2024-06-04"}]
    out = evaluate_vectorized(read_normalized(csv_file(tmp_path / "c.csv", rows)), policies)
    expected = "invalid: claim_id: expected a claim id used once, found 'ok1' (first on row 1)"
    assert list(out["reason"]) == ["", expected, "", expected]
    assert list(out["covered"]) == [True, False, True, False]


def test_a_row_reports_its_first_bad_column(tmp_path):
    frame = read_normalized(csv_file(tmp_path / "c.csv", [{**GOOD, "kind": "solo", "care": "x", "birth_date": "?"}]))
    assert frame.loc[0, "invalid"] == "invalid: birth_date: expected a date YYYY-MM-DD or DD/MM/YYYY, found '?'"


@pytest.mark.parametrize(("text", "value"), [("true", True), ("FALSE", False), ("1", True), ("0", False),
                                             ("Yes", True), ("no", False), ("", False)])
def test_booleans(tmp_path, text, value):
    frame = read_normalized(csv_file(tmp_path / "c.csv", [{**GOOD, "increased_reimbursement": text}]))
    assert frame.loc[0, "invalid"] == "" and frame.loc[0, "increased_reimbursement"] == value


def test_codes_and_values_are_trimmed_and_codes_case_insensitive(tmp_path):
    frame = read_normalized(csv_file(tmp_path / "c.csv", [{**GOOD, "claim_id": " c1 ", "kind": "Individual",
                                                          "network": " ADULTS", "mutuality": "CM", "fee_charged": "\"75,5\""}]))
    row = frame.iloc[0]
    assert (row["invalid"], row["claim_id"], row["kind"], row["network"], row["mutuality"], row["fee_charged"]) \
        == ("", "c1", "individual", "adults", "cm", 75.5)


def test_optional_columns_take_their_defaults(tmp_path):
    frame = read_normalized(csv_file(tmp_path / "c.csv", [GOOD], header=list(GOOD)))
    row = frame.iloc[0]
    assert row["invalid"] == "" and row["setting"] == "standard" and not row["increased_reimbursement"]
    assert np.isnan(row["fee_charged"]) and row["earlier_sessions"] == 0 and row["group_id"] == ""


def test_missing_required_column_names_file_and_column_with_did_you_mean(tmp_path):
    header = ["claim_id", "patient_id", "birth_date", "sesion_date", "kind"]
    path = csv_file(tmp_path / "c.csv", [], header=header)
    with pytest.raises(InputError) as err:
        read_normalized(path)
    lines = str(err.value).splitlines()
    assert any("c.csv: header: missing required column 'session_date' — did you mean 'sesion_date'?" in x for x in lines)
    assert any("unknown column 'sesion_date' — did you mean 'session_date'?" in x for x in lines)


def test_unknown_extra_column_is_an_error(tmp_path):
    path = csv_file(tmp_path / "c.csv", [GOOD], header=[*GOOD, "notes"])
    with pytest.raises(InputError) as err:
        read_normalized(path)
    lines = [line.split("c.csv: ", 1)[1] for line in str(err.value).splitlines()]
    assert lines == ["header: unknown column 'notes'", "header: the known columns are claim_id, patient_id, birth_date, "
                     "session_date, kind, network, care, increased_reimbursement, group_id, co_lead, setting, mutuality, "
                     "provider, fee_charged, earlier_sessions"]


def test_a_results_file_given_as_claims_is_named_as_such(tmp_path, policies):
    path = csv_file(tmp_path / "c.csv", [GOOD])
    results = tmp_path / "results.csv"
    frame = read_normalized(path)
    write_results(evaluate_vectorized(frame, policies).assign(row=frame["row"].to_numpy()), results)
    with pytest.raises(InputError) as err:
        read_normalized(results)
    assert str(err.value).count("\n") == 0
    assert str(err.value).endswith("results.csv: header: expected a claims file, found the columns of a results file "
                                   "(covered, reason, insurer_amount, ...); evaluate reads claims such as claim_id, "
                                   "patient_id, birth_date, session_date, kind")


@pytest.mark.parametrize(("fee", "read"), [("75,50", 75.5), ("75,5", 75.5), ("1000", 1000.0), ("71.39999999999999", 71.4),
                                         ("75.505", 75.51), ("1,000", None), ("1.000,50", None)])
def test_decimal_comma_takes_at_most_two_digits(tmp_path, fee, read):
    path = csv_file(tmp_path / "c.csv", [{**GOOD, "network": "", "care": "", "mutuality": "cm", "provider": "psychotherapist",
                                         "fee_charged": fee}], sep=";")
    frame = read_normalized(path)
    if read is None:
        assert frame.loc[0, "invalid"] == (f"invalid: fee_charged: expected an amount of 0 or more, like 75.50 or 75,50, "
                                           f"without thousands separators, found '{fee}'")
    else:
        assert frame.loc[0, "invalid"] == "" and frame.loc[0, "fee_charged"] == read


def test_semicolon_csv_with_byte_order_mark(tmp_path):
    path = csv_file(tmp_path / "c.csv", [GOOD], header=list(GOOD), sep=";")
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    frame = read_normalized(path)
    assert list(frame["claim_id"]) == ["ok1"] and frame.loc[0, "invalid"] == ""


@pytest.mark.parametrize(("content", "message"), [
    (b"claim_id,patient_id,birth_date,session_date,kind\nc1,p1\n", "line 2: expected 5 fields as in the header, found 2: 'c1,p1'"),
    (b"claim_id,patient_id,birth_date,session_date,kind\nc1,p\xe9,1990-01-01,2024-01-01,individual\n",
     "line 2: expected UTF-8 text, found byte 0xe9 in 'c1,p\ufffd,1990-01-01,2024-01-01,individual' (save the file as CSV UTF-8)"),
    (b"claim_id,patient_id,birth_date,session_date,kind\n" + b"c,p,1990-01-01,2024-01-01,individual\n" * 50_000
     + b"c9,p\xe9,1990-01-01,2024-01-01,individual\n", "line 50002: expected UTF-8 text, found byte 0xe9"),
    (b"", "expected a header line"),
])
def test_unreadable_csv_is_an_input_error(tmp_path, content, message):
    path = tmp_path / "c.csv"
    path.write_bytes(content)
    with pytest.raises(InputError, match=re.escape(message)):
        read_normalized(path)


def test_not_a_parquet_or_xlsx_file_is_an_input_error(tmp_path):
    for name in ("c.parquet", "c.xlsx"):
        (tmp_path / name).write_text("hello")
        with pytest.raises(InputError, match=name):
            read_normalized(tmp_path / name)


def same_frames(a: pd.DataFrame, b: pd.DataFrame) -> None:
    assert list(a.columns) == list(b.columns) == ["row", *REQUIRED, *OPTIONAL, "invalid"]
    for col in a.columns:
        left, right = a[col].to_numpy(), b[col].to_numpy()
        if col == "fee_charged":
            assert np.array_equal(left.astype(float), right.astype(float), equal_nan=True), col
        else:
            assert [str(x) for x in left] == [str(x) for x in right], col


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".xlsx"])
def test_claims_round_trip(tmp_path, suffix):
    frame = generate_claims(400, seed=5)
    path = tmp_path / f"claims{suffix}"
    write_claims(frame, path)
    same_frames(read_normalized(path), frame)


def test_parquet_with_typed_columns(tmp_path):
    table = pa.table({"claim_id": pa.array([1, 2]), "patient_id": pa.array(["p", "p"]).dictionary_encode(),
                      "birth_date": pa.array([dt.datetime(1990, 5, 1, 13, 30), None], pa.timestamp("ms")),
                      "session_date": pa.array([dt.date(2024, 3, 4)] * 2), "kind": ["individual"] * 2,
                      "increased_reimbursement": [True, False], "fee_charged": [75.0, None],
                      "earlier_sessions": pa.array([3, 0], pa.int16())})
    pq.write_table(table, tmp_path / "c.parquet")
    frame = read_normalized(tmp_path / "c.parquet")
    assert list(frame["claim_id"]) == ["1", "2"]
    assert frame.loc[0, "birth_date"] == pd.Timestamp("1990-05-01") and frame.loc[0, "invalid"] == ""
    assert frame.loc[1, "invalid"] == "invalid: birth_date: expected a date YYYY-MM-DD or DD/MM/YYYY, found ''"
    assert list(frame["increased_reimbursement"]) == [True, False] and frame.loc[0, "fee_charged"] == 75.0
    assert frame.loc[0, "earlier_sessions"] == 3


def test_xlsx_input_with_datetimes_numbers_blank_rows_and_formula_text(tmp_path):
    book = Workbook()
    sheet = book.active
    sheet.append(list(GOOD) + ["fee_charged"])
    sheet.append(["c1", 123, dt.datetime(1990, 5, 1, 8, 0), dt.date(2024, 3, 4), "individual", "adults", "first_line", 80])
    sheet.append([None] * 8)
    sheet.append(["c2", "p2", "1990-05-01", "2024-03-04", "group", "adults", "first_line", None])
    sheet["A5"] = "=1+1"
    sheet["A5"].data_type = "s"
    for col, value in zip("BCDE", ["p3", "1990-05-01", "2024-03-04", "individual"], strict=True):
        sheet[f"{col}5"] = value
    book.save(tmp_path / "c.xlsx")
    frame = read_normalized(tmp_path / "c.xlsx")
    assert list(frame["claim_id"]) == ["c1", "c2", "=1+1"] and list(frame["row"]) == [1, 2, 3]
    assert frame.loc[0, "patient_id"] == "123" and frame.loc[0, "birth_date"] == pd.Timestamp("1990-05-01")
    assert frame.loc[0, "fee_charged"] == 80 and frame.loc[0, "invalid"] == ""
    assert frame.loc[2, "invalid"].startswith("invalid: claim_id: expected a plain number or text that is not a formula")


def results_of(policies, n: int = 300) -> pd.DataFrame:
    claims = generate_claims(n, seed=9)
    claims.loc[3, "claim_id"] = "=cmd|' /C calc'!A0"
    claims.loc[3, "invalid"] = "invalid: claim_id: expected text that is not a formula, found '=cmd'"
    results = evaluate_vectorized(claims, policies)
    results.insert(0, "row", claims["row"].to_numpy())
    return results


def test_results_csv_has_exact_cents_and_iso_dates(tmp_path, policies):
    results = results_of(policies)
    write_results(results, tmp_path / "r.csv")
    back = pd.read_csv(tmp_path / "r.csv", dtype=str, keep_default_na=False)
    assert list(back.columns) == OUTPUT_COLUMNS == ["row", *RESULT_COLUMNS]
    assert list(back["claim_id"]) == list(results["claim_id"])
    assert list(back["provider_fee"]) == [f"{x:.2f}" for x in results["provider_fee"]]
    assert list(back["covered"]) == ["true" if c else "false" for c in results["covered"]]
    days = results["period_start"].dt.strftime("%Y-%m-%d").fillna("")
    assert list(back["period_start"]) == list(days)


def test_results_parquet_round_trip(tmp_path, policies):
    results = results_of(policies)
    write_results(results, tmp_path / "r.parquet")
    back = pd.read_parquet(tmp_path / "r.parquet")
    assert list(back.columns) == OUTPUT_COLUMNS
    for col in OUTPUT_COLUMNS:
        left, right = results[col].to_numpy(), back[col].to_numpy()
        if col == "period_start":
            left, right = pd.to_datetime(left).astype(str), pd.to_datetime(right).astype(str)
        assert [str(x) for x in left] == [str(x) for x in right], col


def test_results_xlsx_keeps_formula_like_text_as_text_and_formats_euros(tmp_path, policies):
    results = results_of(policies, 50)
    write_results(results, tmp_path / "r.xlsx")
    sheet = load_workbook(tmp_path / "r.xlsx").active
    assert [c.value for c in sheet[1]] == OUTPUT_COLUMNS
    cell = sheet.cell(row=5, column=2)
    assert cell.value == "=cmd|' /C calc'!A0" and cell.data_type == "s"
    fee = sheet.cell(row=2, column=OUTPUT_COLUMNS.index("provider_fee") + 1)
    assert fee.value == results.loc[0, "provider_fee"] and "€" in fee.number_format
    assert [sheet.cell(row=i + 2, column=2).value for i in range(len(results))] == list(results["claim_id"])


def test_written_claims_text_stays_text_in_xlsx(tmp_path):
    frame = generate_claims(5, seed=1)
    frame.loc[0, "group_id"] = "=G1"
    write_claims(frame, tmp_path / "c.xlsx")
    cell = load_workbook(tmp_path / "c.xlsx").active["I2"]
    assert cell.value == "=G1" and cell.data_type == "s"


def test_failed_write_leaves_no_file(tmp_path, policies):
    results = results_of(policies, 20).drop(columns=["rule"])
    with pytest.raises(KeyError):
        write_results(results, tmp_path / "r.csv")
    assert list(tmp_path.iterdir()) == []


def test_the_former_name_of_earlier_sessions_is_read_with_a_note(tmp_path, capsys):
    path = csv_file(tmp_path / "c.csv", [{**GOOD, "network": "", "care": "", "mutuality": "cm", "provider": "psychotherapist",
                                         "fee_charged": "70", "earlier_cm_sessions": "23"}],
                    header=[*HEADER[:-1], "earlier_cm_sessions"])
    frame = read_normalized(path)
    assert frame.loc[0, "invalid"] == "" and frame.loc[0, "earlier_sessions"] == 23
    assert capsys.readouterr().err == (f"note: {path}: column 'earlier_cm_sessions' is read as 'earlier_sessions', its name "
                                       "since it counts the earlier sessions with any mutuality's benefit\n")
