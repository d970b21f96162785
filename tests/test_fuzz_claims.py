"""Fuzzing claims files: whatever bytes, values or structure a claims file holds, evaluate answers 0, 2 or 3.

A valid sample file (CSV, and the same rows as an .xlsx sheet) is mutated at the byte, value and
structure level. `carepolicy evaluate` must exit 0, 2 or 3 without a traceback. On exit 2 the
previous output is untouched; on exit 0 or 3 the output is complete: one result row per input row,
numbered from 1 without a gap.
"""

from __future__ import annotations

import csv
import io

import pandas as pd
from claims_factory import SAMPLE_CSV
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from xlsx_by_hand import sheet_xml, write_book

from carepolicy.cli import main

PREVIOUS = "previous results\n"
HOSTILE = [
    "", " ", "=1+1", "-2+3+cmd|' /C calc'!A0", "@SUM(A1)", "+41", "\t=1+1", "a\nb", "a\r\nb", "\u202eabc", "x\x00y",
    "99999999999999999999", "9007199254740993", "-0.01", "1e400", "NaN", "81,74", "1.234,56", "31/02/2024",
    "1677-09-22", "9999-12-31", "0001-01-01", "19/11/2008", "WAAR", "ONWAAR", "ja", "oui", "TRUE", "é", "🙂",
    '"', '""', "x" * 300, "individual", "group", "children", "adults", "cm", "psychotherapist", "2024-02-29",
]
ROWS = list(csv.reader(io.StringIO(SAMPLE_CSV)))


def _byte_mutation(data: bytes, draw) -> bytes:
    """Insert, delete, overwrite or cut bytes at a random place."""
    at = draw(st.integers(0, len(data)))
    action = draw(st.sampled_from(["insert", "delete", "overwrite", "cut"]))
    if action == "cut":
        return data[:at]
    piece = draw(st.one_of(st.binary(min_size=1, max_size=4),
                           st.sampled_from([b"\x00", b"\xff", b"\xef\xbb\xbf", b'"', b"\r", b"\n", b",", b";",
                                            b"\xe2\x80\xae", b"\xc3"])))
    if action == "insert":
        return data[:at] + piece + data[at:]
    if action == "delete":
        return data[:at] + data[at + len(piece):]
    return data[:at] + piece + data[at + len(piece):]


def _rows_mutation(rows: list[list[str]], draw) -> list[list[str]]:
    """Change a value, or the structure: a column dropped, duplicated or renamed, a row copied or ragged."""
    rows = [list(r) for r in rows]
    action = draw(st.sampled_from(["value", "value", "value", "drop_column", "rename", "copy_row", "ragged"]))
    line = draw(st.integers(1, len(rows) - 1))
    column = draw(st.integers(0, len(rows[0]) - 1))
    if action == "value":
        rows[line][column] = draw(st.sampled_from(HOSTILE) | st.text(max_size=12))
    elif action == "drop_column":
        rows = [r[:column] + r[column + 1:] for r in rows]
    elif action == "rename":
        rows[0][column] = draw(st.sampled_from(HOSTILE + [rows[0][(column + 1) % len(rows[0])]]))
    elif action == "copy_row":
        rows.insert(line, list(rows[line]))
    else:
        rows[line] = rows[line][:-1] if draw(st.booleans()) else rows[line] + ["extra"]
    return rows


def _as_csv(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue().encode("utf-8")


def _check(claims, tmp_path, capsys) -> None:
    """Evaluate the file: exit 0, 2 or 3, no traceback; output untouched on 2 and complete otherwise."""
    output = tmp_path / "out.csv"
    output.write_text(PREVIOUS, encoding="utf-8")
    code = main(["evaluate", str(claims), "-o", str(output)])
    captured = capsys.readouterr()
    event(f"exit {code}")
    assert code in (0, 2, 3), captured.err
    assert "Traceback" not in captured.err and "Traceback" not in captured.out
    if code == 2:
        assert output.read_text(encoding="utf-8") == PREVIOUS
        assert captured.err.strip(), "a refusal says why"
    else:
        rows = pd.read_csv(output, dtype=str, keep_default_na=False)["row"].astype(int).tolist()
        assert rows == list(range(1, len(rows) + 1)) and rows
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".")], "no temporary file is left behind"


FUZZ = settings(max_examples=40, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


@FUZZ
@given(data=st.data())
def test_a_claims_file_with_mutated_bytes_is_refused_or_evaluated(tmp_path_factory, data, capsys):
    folder = tmp_path_factory.mktemp("bytes")
    content = SAMPLE_CSV.encode("utf-8")
    for _ in range(data.draw(st.integers(1, 4))):
        content = _byte_mutation(content, data.draw)
    claims = folder / "claims.csv"
    claims.write_bytes(content)
    _check(claims, folder, capsys)


@FUZZ
@given(data=st.data())
def test_a_claims_file_with_mutated_values_or_structure_is_refused_or_evaluated(tmp_path_factory, data, capsys):
    folder = tmp_path_factory.mktemp("rows")
    rows = ROWS
    for _ in range(data.draw(st.integers(1, 3))):
        rows = _rows_mutation(rows, data.draw)
    claims = folder / "claims.csv"
    claims.write_bytes(_as_csv(rows))
    _check(claims, folder, capsys)
    if all(len(r) == len(rows[0]) for r in rows):
        code = main(["evaluate", str(claims), "-o", str(folder / "out.parquet")])
        assert code in (0, 2, 3)
        if code != 2:
            expected = pd.read_csv(folder / "out.csv", dtype=str, keep_default_na=False)
            assert len(pd.read_parquet(folder / "out.parquet")) == len(expected)


@FUZZ
@given(data=st.data())
def test_an_xlsx_claims_file_with_mutated_cells_or_sheet_bytes_is_refused_or_evaluated(tmp_path_factory, data, capsys):
    folder = tmp_path_factory.mktemp("xlsx")
    rows = _rows_mutation(ROWS, data.draw)
    sheet = sheet_xml(rows, dimension=data.draw(st.sampled_from(["A1", "A1:O8", "A1:B2", "A1:Z100"]))).encode()
    if data.draw(st.booleans()):
        sheet = _byte_mutation(sheet, data.draw)
    claims = write_book(folder / "claims.xlsx", sheet)
    _check(claims, folder, capsys)


def test_line_breaks_in_quoted_values_mark_their_rows_across_read_blocks(tmp_path, capsys):
    """A quoted value with a line break in a file read in several blocks: its row is invalid, the others evaluated."""
    header, first = SAMPLE_CSV.splitlines()[:2]
    broken = first.replace(",individual,", ',"indi\r\nvidual",')
    lines = [header] + [first.replace("c1,p1", f"c{i},p{i}") if i % 997 else broken.replace("c1,p1", f"c{i},p{i}")
                        for i in range(1, 30_001)]
    claims = tmp_path / "claims.csv"
    claims.write_text("\n".join(lines) + "\n", encoding="utf-8")
    output = tmp_path / "out.parquet"
    assert main(["evaluate", str(claims), "-o", str(output), "--chunk-rows", "4000"]) == 3
    results = pd.read_parquet(output)
    broken_rows = results[results["reason"].str.startswith("invalid: kind")]["row"].tolist()
    assert len(results) == 30_000 and broken_rows == [i for i in range(1, 30_001) if i % 997 == 0]
    assert "Traceback" not in capsys.readouterr().err
