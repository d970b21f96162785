"""A value is a plain number or free of formula triggers and hidden characters; the CSV result keeps the input text."""

from __future__ import annotations

import csv
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from carepolicy.cli import main
from engine.claims.normalize import is_unsafe
from engine.evaluate.pipeline import read_normalized

HEADER = ["claim_id", "patient_id", "birth_date", "session_date", "kind", "network", "care", "fee_charged"]
GOOD = ["c1", "p1", "1990-05-01", "2024-03-04", "individual", "adults", "first_line", ""]
REFUSED = "expected a plain number or text that is not a formula (no leading =, +, @ or -) and has no control or text-direction characters"


def claims_csv(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f, lineterminator="\n").writerows([HEADER, *rows])
    return path


@pytest.mark.parametrize("value", ["-2+3+cmd|' /C calc'!A0", "-1+1", "p\tq", "p\nq", "p\rq", "\t=1+1", "=1+1\t",
                                   "abc\u202edcba", "x\u2066y", "\u200fp", "-", "+5", "@x", "=5", "-5-5", "-1e3",
                                   "5\n", "-5\n", "-75,50\n"])  # a number is plain only up to its last character
def test_refused(value):
    assert is_unsafe(value)


@pytest.mark.parametrize("value", ["-5", "-75,50", "-0.5", "75.50", "0", "C-001", "a=b", "p1", "élève", "1-2"])
def test_accepted(value):
    assert not is_unsafe(value)


@pytest.mark.parametrize("column", ["claim_id", "patient_id", "network", "fee_charged"])
@pytest.mark.parametrize("value", ["-2+3+cmd|' /C calc'!A0", "a\tb", "a\nb", "a\rb", "ab\u202e"])
def test_every_column_refuses_formulas_and_hidden_characters(tmp_path, column, value):
    row = GOOD.copy()
    row[HEADER.index(column)] = value
    rows = [row, ["c2", *GOOD[1:]]]
    pq.write_table(pa.table({name: [r[i] for r in rows] for i, name in enumerate(HEADER)}), tmp_path / "c.parquet")
    frame = read_normalized(tmp_path / "c.parquet")  # Parquet holds any text; a CSV line break would end the row
    assert frame.loc[0, "invalid"].startswith(f"invalid: {column}: {REFUSED}, found ")
    assert frame.loc[1, "invalid"] == ""


def test_the_csv_result_keeps_the_input_text_exactly(tmp_path, capsys):
    ids = ["\t=1+1", "-2+3+cmd|' /C calc'!A0", "ok\u202e1", "plain"]
    claims_csv(tmp_path / "c.csv", [[claim_id, f"p{i}", *GOOD[2:]] for i, claim_id in enumerate(ids)])
    assert main(["evaluate", str(tmp_path / "c.csv"), "-o", str(tmp_path / "r.csv")]) == 3
    with (tmp_path / "r.csv").open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert [r["claim_id"] for r in rows] == ids
    assert [r["reason"].startswith("invalid: claim_id") for r in rows] == [True, True, True, False]
