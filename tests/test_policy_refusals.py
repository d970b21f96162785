"""What validates is safe: numbers, keys, units, ranges, references and periods that would change results are refused.

Each case breaks one thing in a copy of the bundled folder and shows `carepolicy validate`'s line for it.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from carepolicy.cli import main

TARIFF = "policy/riziv-psy-2021.json"
FEE = '"value": 75.0'


@pytest.fixture
def folder(policy_copy: Path, monkeypatch) -> Path:
    monkeypatch.chdir(policy_copy.parent)
    return policy_copy


def replace(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def edit(path: Path, change) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(json.dumps(data, indent=2), encoding="utf-8")


def refusal(capsys) -> str:
    """The one problem line of `validate policy` (exit 2, no traceback)."""
    code = main(["validate", "policy"])
    out, err = capsys.readouterr()
    assert code == 2, out + err
    lines = err.splitlines()
    assert len(lines) == 2 and lines[-1].startswith("1 problem(s)"), lines
    return lines[0]


FEE_VALUE = f"{TARIFF}: /tariff/rows/0/fee/history/0/value"
LARGEST = "expected a number of at most 999,999,999,999,999 (the largest number carepolicy reads)"


def test_nan_is_refused(folder, capsys):
    replace(folder / "riziv-psy-2021.json", FEE, '"value": NaN')
    assert refusal(capsys) == f"{FEE_VALUE}: expected a finite number, found NaN"


def test_infinity_is_refused(folder, capsys):
    replace(folder / "riziv-psy-2021.json", FEE, '"value": -Infinity')
    assert refusal(capsys) == f"{FEE_VALUE}: expected a finite number, found -Infinity"


def test_a_number_beyond_floats_is_refused(folder, capsys):
    replace(folder / "riziv-psy-2021.json", FEE, '"value": 1e400')
    assert refusal(capsys) == f"{FEE_VALUE}: {LARGEST}, found 1e400"


def test_a_thirty_digit_fee_is_refused(folder, capsys):
    replace(folder / "riziv-psy-2021.json", FEE, '"value": 123456789012345678901234567890')
    assert refusal(capsys) == f"{FEE_VALUE}: {LARGEST}, found a number of 30 digits"


def test_a_five_thousand_digit_integer_is_one_line(folder, capsys):
    replace(folder / "riziv-psy-2021.json", FEE, '"value": ' + "9" * 5000)
    assert refusal(capsys) == f"{FEE_VALUE}: {LARGEST}, found a number of 5000 digits"


def test_a_key_given_twice_is_refused(folder, capsys):
    replace(folder / "riziv-psy-2021.json", FEE, '"value": 75.0, "value": 7500.0')
    assert refusal(capsys) == (f"{FEE_VALUE}: expected each key once in an object, found 'value' more than once "
                               "(which one counts would be a guess)")


def test_a_fee_in_sessions_is_refused(folder, capsys):
    edit(folder / "riziv-psy-2021.json", lambda d: d["tariff"]["rows"][0]["fee"].update(unit="sessions"))
    assert refusal(capsys) == (f'{TARIFF}: /tariff/rows/0/fee/unit: expected "EUR" (the unit of an amount), '
                               'found a string "sessions"')


def test_an_age_in_months_is_refused(folder, capsys):
    edit(folder / "riziv-psy-2021.json",
         lambda d: d["eligibility"]["age_bands"]["children"]["max_age"].update(unit="months"))
    assert refusal(capsys) == (f'{TARIFF}: /eligibility/age_bands/children/max_age/unit: expected "years" '
                               '(the unit of an age), found a string "months"')


def test_a_percentage_of_500_is_refused(folder, capsys):
    edit(folder / "cm-psychotherapy.json", lambda d: d["benefits"][0]["percent_of_fee"]["history"][0].update(value=500))
    assert refusal(capsys) == ("policy/cm-psychotherapy.json: /benefits/0/percent_of_fee/history/0/value: "
                               "expected a number <= 100 (a percentage, or null), found a number 500")


def test_a_period_of_zero_months_is_refused(folder, capsys):
    edit(folder / "riziv-psy-2021.json", lambda d: d["quota"]["period"]["months"]["history"][0].update(value=0))
    assert refusal(capsys) == (f"{TARIFF}: /quota/period/months/history/0/value: "
                               "expected a number >= 1 (a period in months), found a number 0")


def test_a_history_beyond_the_limit_is_refused(folder, capsys):
    entry = {"from": "2021-09-01", "value": 75.0, "source": "seed-004", "status": "confirmed"}
    edit(folder / "riziv-psy-2021.json", lambda d: d["tariff"]["rows"][0]["fee"].update(history=[entry] * 1001))
    assert refusal(capsys) == f"{TARIFF}: /tariff/rows/0/fee/history: expected at most 1000 item(s) (a history), found 1001"


@pytest.mark.parametrize(("target", "what"), [
    ("clb-collaboration", "this file itself"),
    ("cm-psychotherapy", "a supplementary_benefit file"),
    ("sources", "a sources file"),
])
def test_an_override_applies_to_a_convention_only(folder, capsys, target, what):
    edit(folder / "clb-collaboration.json", lambda d: d.update(applies_to=target))
    assert refusal(capsys) == ("policy/clb-collaboration.json: /applies_to: expected the id of a loaded convention "
                               f"(riziv-psy-2021), found '{target}' ({what})")


def test_a_gap_between_periods_is_refused(folder, capsys):
    edit(folder / "vsb-care-budget.json", lambda d: d["amount"]["history"][0].update(to="2022-06-30"))
    assert refusal(capsys) == ("policy/vsb-care-budget.json: /amount/history/1/from: expected 2022-07-01, the day "
                               "after the previous value's end (periods must not leave a gap), found 2023-01-01")


def test_an_id_other_than_the_file_name_is_refused(folder, capsys):
    edit(folder / "vsb-care-budget.json", lambda d: d.update(id="vsb"))
    assert refusal(capsys) == "policy/vsb-care-budget.json: /id: expected 'vsb-care-budget' (the file name), found 'vsb'"


def test_nesting_beyond_the_limit_is_refused(folder, capsys):
    def deep(d):
        when = {"field": "age", "op": ">=", "value": 0}
        for _ in range(300):
            when = {"all": [when]}
        d["tariff"]["rows"][0]["when"] = when
    edit(folder / "riziv-psy-2021.json", deep)
    line = refusal(capsys)
    assert line.startswith(f"{TARIFF}: /tariff/rows/0/when/all/0/all/0/")
    assert line.endswith(": expected at most 32 levels of nesting (the limit of carepolicy), found deeper")


def test_a_date_outside_the_supported_range_is_refused(folder, capsys):
    edit(folder / "vsb-care-budget.json", lambda d: d["valid"].update(to="9999-12-31"))
    assert refusal(capsys) == ("policy/vsb-care-budget.json: /valid/to: expected a date from 1900-01-01 to "
                               "2199-12-31 (the dates carepolicy supports), found 9999-12-31")


def test_the_largest_amount_of_the_schemas_is_the_documented_one():
    from engine.limits import limits
    from engine.policy.files import BUNDLED_SCHEMAS

    maxima = set()

    def walk(node):
        if isinstance(node, dict):
            if "maximum" in node and "amount" in str(node.get("title", "")) + str(node.get("description", "")):
                maxima.add(node["maximum"])
            for child in node.values():
                walk(child)
        elif isinstance(node, list):
            for child in node:
                walk(child)

    for path in BUNDLED_SCHEMAS.glob("*.schema.json"):
        walk(json.loads(path.read_text(encoding="utf-8")))
    assert maxima == {limits().largest_amount_eur}


def test_a_list_with_a_single_value_operator_is_refused(folder, capsys):
    edit(folder / "cm-psychotherapy.json", lambda d: d["benefits"][1]["when"]["all"][0].update(value=[]))
    line = refusal(capsys)
    assert line.startswith("policy/cm-psychotherapy.json: /benefits/1/when/all/0/value: expected one value for ")
    assert line.endswith("(a list goes with 'in' or 'not_in'), found an array")
