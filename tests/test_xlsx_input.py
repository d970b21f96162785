"""An .xlsx claims file is read whole whatever its <dimension> says; hostile XML is refused in one line (exit 2)."""

from __future__ import annotations

import pandas as pd
import pytest
from xlsx_by_hand import sheet_xml, write_book

from carepolicy.cli import main
from engine.claims import read
from engine.claims.contract import OPTIONAL, REQUIRED
from engine.evaluate.pipeline import read_normalized

HEADER = REQUIRED + OPTIONAL  # 15 columns, A to O


def claim(i: int) -> list[str]:
    values = {"claim_id": f"c{i}", "patient_id": f"p{i}", "birth_date": "1990-05-01", "session_date": "2024-03-04",
              "kind": "individual", "network": "adults", "care": "first_line", "increased_reimbursement": "false",
              "setting": "standard", "mutuality": "", "provider": "", "fee_charged": "", "earlier_sessions": "2"}
    return [values.get(name, "") for name in HEADER]


@pytest.mark.parametrize("dimension", ["A1:O10", "A1:E50", "A1", "B7:C9"])
def test_every_row_and_column_is_read_whatever_the_dimension_says(tmp_path, dimension):
    path = write_book(tmp_path / "c.xlsx", sheet_xml([HEADER] + [claim(i) for i in range(48)], dimension))
    frame = read_normalized(path)
    assert len(frame) == 48 and list(frame["claim_id"]) == [f"c{i}" for i in range(48)]
    assert (frame["invalid"] == "").all() and (frame["earlier_sessions"] == 2).all()
    assert (frame["network"] == "adults").all() and (frame["setting"] == "standard").all()


BILLION_LAUGHS = ('<!DOCTYPE lolz [<!ENTITY lol "lol">'
                  + "".join(f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10 if i > 1 else "&lol;" * 10}">'
                            for i in range(1, 10)) + "]>")
ATTACKS = {
    "billion-laughs": sheet_xml([["claim_id"], ["&lol9;"]], prolog=BILLION_LAUGHS, raw=True),
    "xxe": sheet_xml([["claim_id"], ["&xxe;"]], prolog='<!DOCTYPE w [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>', raw=True),
    "doctype-entity": sheet_xml([["&e;"]], prolog='<!DOCTYPE w [<!ENTITY e "claim_id">]>', raw=True),
    "mismatched-tag": sheet_xml([HEADER, claim(1)]).replace("</sheetData>", "</sheetDta>"),
}


@pytest.mark.parametrize("attack", ATTACKS)
def test_xml_attacks_are_refused_in_one_line(tmp_path, capsys, monkeypatch, attack):
    monkeypatch.chdir(tmp_path)
    write_book(tmp_path / "c.xlsx", ATTACKS[attack])
    assert main(["evaluate", "c.xlsx", "-o", "r.csv"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: c.xlsx: expected an .xlsx workbook, found a file that cannot be read (XmlError: ")
    assert err.count("\n") == 1 and "root:" not in err and "Traceback" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.xlsx"]


def test_a_sheet_with_more_rows_than_the_limit_is_refused_before_it_is_read(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(read, "XLSX_ROWS", 5)
    write_book(tmp_path / "c.xlsx", sheet_xml([HEADER] + [claim(i) for i in range(6)], "A1:O2"))
    monkeypatch.setattr("python_calamine.CalamineWorkbook.from_path", None)  # never reached
    assert main(["evaluate", "c.xlsx", "-o", "r.csv"]) == 2
    assert capsys.readouterr().err == ("error: c.xlsx: expected at most 5 claim rows in an .xlsx file (the most a sheet "
                                       "holds), found more; save the claims as .csv or .parquet instead\n")
    write_book(tmp_path / "c.xlsx", sheet_xml([HEADER] + [claim(i) for i in range(5)], "A1:O2"))
    monkeypatch.undo()
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(read, "XLSX_ROWS", 5)
    assert main(["evaluate", "c.xlsx", "-o", "r.csv"]) == 0
    assert len(pd.read_csv(tmp_path / "r.csv")) == 5
