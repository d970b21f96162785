"""The Excel functions called from Python with the values Excel hands them.

Excel passes numbers as floats, dates as datetimes or serial numbers, booleans as TRUE/FALSE or
1/0, empty cells as None and ranges as lists of rows; every function must take all of them and
must answer a mistake with one line of cell text, never a traceback.
"""

from __future__ import annotations

import datetime as dt
import json
import os

import pytest

import xl_addin.functions as fx
from engine.errors import InputError
from xl_addin import convert
from xl_addin.session import Session

FEE = "riziv-psy-2021.tariff.rows.individual.fee"
COPAY = "riziv-psy-2021.copayment.rules.individual.amount"
JUNE_2024 = 45444.0  # Excel's serial number of 2024-06-01
JUNE_2024_DT = dt.datetime(2024, 6, 1)


@pytest.fixture(autouse=True)
def fresh_session():
    """Each test starts from the bundled policies with nothing remembered."""
    fx.SESSION.use(None)
    yield
    fx.SESSION.use(None)


def is_one_line_error(value, *parts: str) -> bool:
    return (isinstance(value, str) and value.startswith("CP error: ") and "\n" not in value and len(value) <= fx.MAX_MESSAGE
            and "Traceback" not in value and all(p in value for p in parts))


# -- convert: Excel-shaped values ---------------------------------------------------------------------

@pytest.mark.parametrize(("serial", "expected"), [
    (1.0, dt.date(1900, 1, 1)), (59.0, dt.date(1900, 2, 28)), (61.0, dt.date(1900, 3, 1)),
    (45292.0, dt.date(2024, 1, 1)), (JUNE_2024, dt.date(2024, 6, 1)), (45444.75, dt.date(2024, 6, 1)), (45444, dt.date(2024, 6, 1)),
])
def test_serials_follow_the_1900_date_system(serial, expected):
    assert convert.day(serial, "on_date") == expected
    if serial >= 61:
        assert convert.date_to_serial(expected) == int(serial)


def test_the_1900_leap_day_quirk_and_impossible_serials_are_refused():
    with pytest.raises(InputError, match="serial 60, Excel's 1900-02-29"):
        convert.day(60.0, "on_date")
    for bad in (0.0, -5.0, 3e6):
        with pytest.raises(InputError, match="on_date: expected a date"):
            convert.day(bad, "on_date")


def test_dates_come_as_datetimes_text_or_defaults():
    assert convert.day(JUNE_2024_DT, "d") == convert.day("2024-06-01", "d") == convert.day(" 2024-06-01 ", "d") == dt.date(2024, 6, 1)
    assert convert.day(dt.date(2024, 6, 1), "d") == dt.date(2024, 6, 1)
    assert convert.day(None, "d", dt.date(2000, 1, 1)) == dt.date(2000, 1, 1)
    assert convert.day([[JUNE_2024]], "d") == dt.date(2024, 6, 1)
    for bad, shown in ((True, "TRUE"), ("01/06/2024", "'01/06/2024'"), ("", "an empty cell")):
        with pytest.raises(InputError, match=f"d: expected a date .* found {shown}"):
            convert.day(bad, "d")
    with pytest.raises(InputError, match="d: expected a single cell, found a range of 2 cells"):
        convert.day([[JUNE_2024, JUNE_2024]], "d")


def test_numbers_flags_and_text():
    assert convert.integer(24.0, "n") == convert.integer("24", "n") == convert.integer(24, "n") == 24
    assert convert.integer(None, "n", 12) == 12
    for bad in (24.5, True, "twelve", JUNE_2024_DT):
        with pytest.raises(InputError, match="n: expected a whole number"):
            convert.integer(bad, "n")
    assert convert.number("13,5", "s") == convert.number(13.5, "s") == 13.5
    for true in (True, 1.0, 1, "TRUE", "yes", "waar"):
        assert convert.flag(true, "f") is True
    for false in (False, 0.0, 0, "false", "no", "onwaar", None, ""):
        assert convert.flag(false, "f") is False
    with pytest.raises(InputError, match="f: expected TRUE or FALSE .*found 2"):
        convert.flag(2.0, "f")
    assert convert.text(24.0, "t") == "24" and convert.text("  group ", "t") == "group"
    with pytest.raises(InputError, match="t: expected a value, found an empty cell"):
        convert.text(None, "t")


def test_ages_from_numbers_or_birth_dates():
    on = dt.date(2024, 6, 1)
    assert convert.age(24.0, "a", on) == 24
    assert convert.age(dt.datetime(2000, 6, 2), "a", on) == 23
    assert convert.age(36679.0, "a", on) == 23  # serial of 2000-06-02
    assert convert.age("2000-06-01", "a", on) == 24
    with pytest.raises(InputError, match="a: expected a birth date on or before 2024-06-01, found 2030-01-01"):
        convert.age("2030-01-01", "a", on)
    with pytest.raises(InputError, match="a: expected a birth date or an age"):
        convert.age(-1.0, "a", on)


def test_ranges_become_lists_of_rows_and_names_split():
    assert convert.rows(5.0, "r") == [[5.0]]
    assert convert.rows((1.0, 2.0), "r") == [[1.0, 2.0]]
    assert convert.rows(((1.0, 2.0), (3.0, None)), "r") == [[1.0, 2.0], [3.0, None]]
    assert convert.names("copay-15, index-2pct; adult-quota-10") == ["copay-15", "index-2pct", "adult-quota-10"]
    assert convert.names([["copay-15"], [None], ["index-2pct"]]) == ["copay-15", "index-2pct"]
    assert convert.names(None) == []


def test_a_table_keeps_its_rows_in_order_but_not_trailing_blank_rows():
    frame = convert.table([["Claim_ID ", "kind", None], ["c1", "individual", None], [None, None, None],
                           ["c2", "group", None], [None, None, None], ["", None, None]], "claims")
    assert list(frame.columns) == ["claim_id", "kind"]
    assert frame["claim_id"].tolist() == ["c1", None, "c2"]
    with pytest.raises(InputError, match="claims: expected a column name above every filled column, found none above column 2"):
        convert.table([["claim_id", None], ["c1", "x"]], "claims")
    with pytest.raises(InputError, match="claims: expected each column name once, found 'Kind' twice"):
        convert.table([["kind", "Kind"], ["a", "b"]], "claims")


# -- the scalar functions --------------------------------------------------------------------------

def test_cp_param_with_serials_datetimes_and_scenarios():
    assert fx.CP_PARAM(FEE, JUNE_2024) == fx.CP_PARAM(FEE, JUNE_2024_DT) == fx.CP_PARAM(FEE, "2024-06-01") == 81.74
    assert fx.CP_PARAM(FEE, dt.datetime(2022, 6, 1)) == 75
    assert fx.CP_PARAM(COPAY, "2027-06-01") == 11
    assert fx.CP_PARAM(COPAY, "2027-06-01", "copay-15") == 15
    assert fx.CP_PARAM(COPAY, "2027-06-01", None) == fx.CP_PARAM(COPAY, "2027-06-01", "") == 11
    assert fx.CP_PARAM([[FEE]], [[JUNE_2024]]) == 81.74


def test_cp_source_names_the_source_status_and_validity():
    text = fx.CP_SOURCE(FEE, JUNE_2024)
    assert text.startswith("seed-002: ") and "assumed, in force from 2023-01-01" in text
    assert "scenario-hypothesis" in fx.CP_SOURCE(COPAY, "2027-06-01", "copay-15")


def test_cp_fee_and_cp_copay():
    assert fx.CP_FEE("individual", None, JUNE_2024) == 81.74
    assert fx.CP_FEE("Group", "other", JUNE_2024) == 137.34
    assert fx.CP_FEE("group", "psychologist", dt.datetime(2022, 6, 1)) == 200
    assert fx.CP_COPAY(30.0, "individual", False, None, JUNE_2024) == 11
    assert fx.CP_COPAY(30.0, "individual", True, 0.0, JUNE_2024) == 4  # increased reimbursement, TRUE
    assert fx.CP_COPAY(30.0, "individual", 1.0, None, JUNE_2024) == 4  # increased reimbursement as 1
    assert fx.CP_COPAY(30.0, "individual", None, True, JUNE_2024) == 0  # first session of a period
    assert fx.CP_COPAY(30.0, "group", None, None, JUNE_2024) == 2.5
    assert fx.CP_COPAY(dt.datetime(2010, 1, 1), "individual", None, None, JUNE_2024) == 0  # 14: free youth care
    assert fx.CP_COPAY(18.0, "individual", None, None, dt.datetime(2023, 6, 1)) == 11  # before free youth care
    assert fx.CP_COPAY(30.0, "individual", None, None, JUNE_2024, "clb_employed") == 0


def test_cp_quota_spills_bundles_with_caps():
    table = fx.CP_QUOTA("adults", "first_line", "individual", JUNE_2024)
    assert table[0] == ["bundle", "cap"]
    caps = dict(table[1:])
    assert caps["fl"] == 8 and caps["fl_sp"] == 8 and caps["sp"] == "not allowed"
    assert dict(fx.CP_QUOTA("children", "specialised", "individual", JUNE_2024)[1:])["sp"] == 20


def test_cp_policies_lists_every_loaded_file():
    table = fx.CP_POLICIES()
    assert table[0][:3] == ["id", "kind", "title"]
    rows = {r[0]: r for r in table[1:]}
    assert {"riziv-psy-2021", "cm-psychotherapy", "vsb-care-budget", "clb-collaboration"} <= set(rows)
    assert rows["riziv-psy-2021"][4] == dt.datetime(2021, 9, 1) and rows["riziv-psy-2021"][7] > 10
    assert all(len(r) == len(table[0]) for r in table)


# -- errors in cells -----------------------------------------------------------------------------------

@pytest.mark.parametrize(("call", "parts"), [
    (lambda: fx.CP_FEE("indiv"), ("kind: expected one of individual, group, found 'indiv'", "did you mean 'individual'?")),
    (lambda: fx.CP_PARAM(FEE + "x", JUNE_2024), (f"unknown parameter '{FEE}x'", f"did you mean '{FEE}'?")),
    (lambda: fx.CP_PARAM(FEE, JUNE_2024, "copy-15"), ("unknown scenario 'copy-15'", "did you mean 'copay-15'?")),
    (lambda: fx.CP_PARAM(FEE, 60.0), ("on_date:", "1900-02-29")),
    (lambda: fx.CP_PARAM(FEE, "2010-01-01"), ("no value on 2010-01-01",)),
    (lambda: fx.CP_PARAM(None), ("path: expected a value, found an empty cell",)),
    (lambda: fx.CP_COPAY(30.0, "individual", 2.0), ("increased: expected TRUE or FALSE",)),
    (lambda: fx.CP_COPAY(30.0, "individual", None, None, JUNE_2024, "school"), ("setting: expected one of",)),
    (lambda: fx.CP_QUOTA("adult", "first_line", "individual"), ("network:", "did you mean 'adults'?")),
])
def test_user_errors_become_one_line_of_cell_text(call, parts):
    assert is_one_line_error(call(), *parts)


def test_an_unexpected_error_is_a_short_line_too(monkeypatch):
    def broken(*args):
        raise KeyError("x" * 1000 + "\nsecond line")

    monkeypatch.setattr(fx.lookups, "fee", broken)
    text = fx.CP_FEE("individual", None, JUNE_2024)
    assert is_one_line_error(text, "unexpected KeyError:")


def test_a_broken_policy_file_is_one_line_naming_file_and_place(policy_copy):
    path = policy_copy / "riziv-psy-2021.json"
    data = json.loads(path.read_text())
    data["tariff"]["rows"][0]["fee"]["history"][0]["value"] = "a lot"
    data["valid"]["from"] = "someday"
    path.write_text(json.dumps(data))
    fx.SESSION.use(policy_copy)
    text = fx.CP_FEE("individual", None, JUNE_2024)
    assert is_one_line_error(text, "riziv-psy-2021.json: /valid/from: expected a date", "more problems; run carepolicy validate)")


# -- the session: load once, reload on change --------------------------------------------------------

class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def test_policies_load_once_and_reload_after_an_edit_at_most_once_per_interval(policy_copy):
    clock = Clock()
    session = Session(policy_copy, clock=clock)
    first = session.policies()
    assert session.policies() is first and session.loads == 1
    path = policy_copy / "riziv-psy-2021.json"
    data = json.loads(path.read_text())
    data["tariff"]["rows"][0]["fee"]["history"][-1]["value"] = 99.5
    path.write_text(json.dumps(data))
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    clock.now = 0.5
    assert session.policies() is first, "files are not looked at within the interval"
    clock.now = 1.5
    assert session.policies().value_at(FEE, dt.date(2024, 6, 1)).value == 99.5
    assert session.loads == 2


def test_remembered_cells_are_forgotten_when_a_policy_changes(policy_copy):
    clock = Clock()
    fx.SESSION.use(policy_copy)
    real_clock, fx.SESSION.clock = fx.SESSION.clock, clock
    try:
        assert fx.CP_FEE("individual", None, JUNE_2024) == 81.74
        path = policy_copy / "riziv-psy-2021.json"
        path.write_text(path.read_text().replace("81.74", "82.5"))
        stat = path.stat()
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
        assert fx.CP_FEE("individual", None, JUNE_2024) == 81.74
        clock.now = 2.0
        assert fx.CP_FEE("individual", None, JUNE_2024) == 82.5
    finally:
        fx.SESSION.clock = real_clock


def test_a_scenario_file_given_by_path_is_reread_when_it_changes(policy_copy, tmp_path):
    source = json.loads((policy_copy / "scenarios" / "copay-15.json").read_text())
    target = tmp_path / "copay-20.json"
    source["id"] = "copay-20"
    source["changes"][0]["value"] = 20
    target.write_text(json.dumps(source))
    clock = Clock()
    fx.SESSION.use(policy_copy)
    real_clock, fx.SESSION.clock = fx.SESSION.clock, clock
    try:
        assert fx.CP_PARAM(COPAY, "2027-06-01", str(target)) == 20
        source["changes"][0]["value"] = 21
        target.write_text(json.dumps(source))
        stat = target.stat()
        os.utime(target, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
        clock.now = 2.0
        assert fx.CP_PARAM(COPAY, "2027-06-01", str(target)) == 21
    finally:
        fx.SESSION.clock = real_clock
