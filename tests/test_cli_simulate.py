"""`carepolicy simulate`: readable table, files with the documented columns, clear errors."""

from __future__ import annotations

import pandas as pd
import pytest
from openpyxl import load_workbook

from carepolicy.cli import main


def test_prints_national_totals_and_regions(capsys):
    assert main(["simulate", "-r", "luxemburg", "-r", "namen", "-s", "copay-15"]) == 0
    out = capsys.readouterr().out
    assert "Simulated 2027" in out
    assert out.count("\nbaseline") == 1 and "\ncopay-15" in out
    assert "luxemburg" in out and "namen" in out and "total" in out


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".xlsx"])
def test_writes_the_table(tmp_path, suffix):
    target = tmp_path / f"sim{suffix}"
    assert main(["simulate", "-r", "luxemburg", "-s", "copay-15", "--year", "2024", "-o", str(target)]) == 0
    if suffix == ".csv":
        table = pd.read_csv(target)
    elif suffix == ".parquet":
        table = pd.read_parquet(target)
    else:
        sheet = load_workbook(target).active
        rows = list(sheet.values)
        table = pd.DataFrame(rows[1:], columns=rows[0])
        assert sheet.cell(2, list(rows[0]).index("insurer_cost") + 1).number_format.endswith('"€"')
    assert {"scenario", "region", "patients", "sessions", "insurer_cost", "patient_copay"} <= set(table.columns)
    assert list(table["scenario"]) == ["baseline", "copay-15"]
    assert (table["patients"] > 0).all()


def test_user_errors_are_one_line(capsys, tmp_path):
    assert main(["simulate", "-s", "copay15"]) == 2
    assert main(["simulate", "-r", "Antwrp"]) == 2
    assert main(["simulate", "-o", str(tmp_path / "x.txt")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        "error: unknown scenario 'copay15' — did you mean 'copay-15'? (known: baseline, adult-quota-10, copay-15, "
        "free-until-25, free-until-25-uptake, index-2pct)",
        "error: unknown region 'Antwrp' — did you mean 'antwerpen'? (known: antwerpen, limburg, vlaams_brabant, "
        "west_vlaanderen, oost_vlaanderen, brussel, waals_brabant, henegouwen, luik, luxemburg, namen)",
        f"error: {tmp_path / 'x.txt'}: expected an output file ending in .csv, .parquet, .xlsx, found '.txt'",
    ]
    assert not (tmp_path / "x.txt").exists()


@pytest.mark.parametrize(("argv", "message"), [
    (["simulate", "--year", "abc"], "error: argument --year: invalid int value: 'abc' (see: carepolicy simulate --help)"),
    (["simulat"], "error: argument COMMAND: invalid choice: 'simulat' (choose from "),
    ([], "error: the following arguments are required: COMMAND (see: carepolicy --help)"),
])
def test_a_mistyped_command_line_is_one_line_without_the_usage(capsys, argv, message):
    with pytest.raises(SystemExit) as stop:
        main(argv)
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(message)
