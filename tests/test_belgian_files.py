"""Files saved by a Belgian Excel: day-first dates, Dutch/French/English booleans, ';' and decimal commas."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from carepolicy.cli import main
from engine.cells import NO, YES, read_date, read_decimal, read_flag
from xl_addin import convert

ISO = ("claim_id,patient_id,birth_date,session_date,kind,network,care,increased_reimbursement,mutuality,provider,fee_charged\n"
       "a1,p1,2008-11-19,2024-03-04,individual,children,first_line,true,,,\n"
       "a2,p2,1980-01-05,2024-03-04,individual,adults,first_line,false,,,\n"
       "a3,p3,1980-01-05,2024-03-05,individual,,,false,cm,psychotherapist,75.50\n")
BELGIAN = ("claim_id;patient_id;birth_date;session_date;kind;network;care;increased_reimbursement;mutuality;provider;fee_charged\n"
           "a1;p1;19/11/2008;4/3/2024;individual;children;first_line;WAAR;;;\n"
           "a2;p2;05/01/1980;04/03/2024;individual;adults;first_line;ONWAAR;;;\n"
           "a3;p3;5/1/1980;05/03/2024;individual;;;faux;cm;psychotherapist;75,50\n")


@pytest.mark.parametrize("word", [*YES, *[w.upper() for w in YES], "Waar", " Oui "])
def test_every_yes_word_of_dutch_french_and_english_excel_reads_as_true(word):
    assert read_flag(word) is True and convert.flag(word, "f") is True


@pytest.mark.parametrize("word", [*NO, *[w.upper() for w in NO], "Onwaar", " Non "])
def test_every_no_word_reads_as_false(word):
    assert read_flag(word) is False and convert.flag(word, "f") is False


@pytest.mark.parametrize("word", ["", "maybe", "wahr", "si", "2", "true!"])
def test_other_words_are_no_flag(word):
    assert read_flag(word) is None


@pytest.mark.parametrize(("text", "day"), [
    ("2008-11-19", dt.date(2008, 11, 19)), ("19/11/2008", dt.date(2008, 11, 19)), ("4/3/2024", dt.date(2024, 3, 4)),
    ("04.03.2024", dt.date(2024, 3, 4)), ("04-03-2024", dt.date(2024, 3, 4)), (" 29/02/2024 ", dt.date(2024, 2, 29)),
    ("19/11/2008 00:00", dt.date(2008, 11, 19)), ("2008-11-19 00:00:00", dt.date(2008, 11, 19)),
])
def test_dates_iso_and_day_first(text, day):
    assert read_date(text) == day and convert.day(text, "d") == day


@pytest.mark.parametrize("text", ["29/02/2023", "2024/03/04", "4/3/24", "13-2024-01", "04/03-2024", "2024-3-4", ""])
def test_impossible_or_ambiguous_dates_are_refused(text):
    assert read_date(text) is None


def test_decimal_point_or_comma():
    assert read_decimal("5,5") == read_decimal("5.5") == 5.5
    assert read_decimal("1,000") is None and read_decimal("5,5 EUR") is None


def evaluate(tmp_path, capsys, text: str, *more: str) -> pd.DataFrame:
    (tmp_path / "c.csv").write_text(text, encoding="utf-8")
    out = tmp_path / "r.csv"
    assert main(["evaluate", str(tmp_path / "c.csv"), "-o", str(out), *more]) == 0
    capsys.readouterr()
    return out.read_text(encoding="utf-8")


def test_a_belgian_csv_gives_the_results_of_its_iso_twin(tmp_path, capsys):
    assert evaluate(tmp_path, capsys, BELGIAN) == evaluate(tmp_path, capsys, ISO)


def test_excel_be_dialect_writes_semicolons_and_decimal_commas(tmp_path, capsys):
    lines = evaluate(tmp_path, capsys, ISO, "--csv-dialect", "excel-be").replace('"', "").splitlines()
    assert lines[0] == ("row;claim_id;scheme;covered;reason;provider_fee;patient_copay;insurer_amount;care_path_fee;"
                        "supplement_amount;patient_pays;period_start;bundle;rule;tariff_row;co_lead_tariff_row;copayment_rule;benefit_rule;version")
    assert lines[3].startswith("3;a3;cm-psychotherapy;true;;75,50;") and "." not in lines[3].replace("2024-", "")
    plain = evaluate(tmp_path, capsys, ISO).replace('"', "").splitlines()
    assert [line.replace(",", ";").replace(".", ",") for line in plain[1:]] == lines[1:]
