"""Values print as analysts write them: no raw None or True, units in the singular where one is meant."""

from __future__ import annotations

import pytest

from carepolicy.cli import main
from engine.quantities import quantity


@pytest.mark.parametrize(("value", "unit", "text"), [
    (None, "EUR", "not in force"), (None, "years", "not in force"), (True, "flag", "yes"), (False, "flag", "no"),
    (81.74, "EUR", "EUR 81.74"), (75.0, "EUR", "EUR 75.00"), (1234.5, "EUR", "EUR 1,234.50"), (-2.5, "EUR", "-EUR 2.50"),
    (140, "EUR/month", "EUR 140.00 a month"), (4, "months", "4 months"), (1, "months", "1 month"),
    (1, "sessions", "1 session"), (24, "sessions", "24 sessions"), (23, "years", "23 years"), (5.5, "points", "5.5 points"),
    (1, "day", "the 1st"), (2, "day", "the 2nd"), (3, "day", "the 3rd"), (11, "day", "the 11th"), (22, "day", "the 22nd"),
    (24, "day", "the 24th"), (50, "percent", "50%"), (0.25, "share", "25%"), (1.02, "factor", "× 1.02"),
])
def test_quantity(value, unit, text):
    assert quantity(value, unit) == text


@pytest.mark.parametrize(("path", "date", "shown"), [
    ("riziv-psy-2021.copayment.rules.youth_free.when.age", "2023-06-01", "not in force"),
    ("vsb-care-budget.payment.day_of_month", "2024-01-01", "the 24th"),
    ("vsb-care-budget.payment.settings.residential.month_offset", "2024-01-01", "1 month"),
    ("cm-psychotherapy.providers.psychotherapist.recognised", "2024-01-01", "yes"),
    ("riziv-psy-2021.tariff.rows.individual.fee", "2024-06-01", "EUR 81.74"),
])
def test_value_prints_values_for_people(capsys, path, date, shown):
    assert main(["value", path, date]) == 0
    assert capsys.readouterr().out.splitlines()[0].startswith(f"{path} = {shown} [from ")


def test_explain_prints_no_raw_python_values(tmp_path, capsys):
    (tmp_path / "c.csv").write_text(
        "claim_id,patient_id,birth_date,session_date,kind,network,care,mutuality,provider,fee_charged\n"
        "k1,p1,1980-01-01,2024-03-05,individual,,,cm,psychotherapist,70\n"
        "k2,p2,2010-01-01,2023-03-05,individual,children,first_line,,,\n")
    for claim in ("k1", "k2"):
        assert main(["explain", str(tmp_path / "c.csv"), claim]) == 0
        out = capsys.readouterr().out
        assert "None" not in out and "True" not in out and "False" not in out and " 1 months" not in out
    assert "amounts: provider fee EUR 81.74, patient co-payment EUR 0.00, insurer EUR 81.74, care-path fee EUR 60.00" in out
    assert "riziv-psy-2021.quota.period.months = 12 months [from 2021-09-01" in out
