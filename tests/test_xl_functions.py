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
from engine.claims.contract import RESULT_COLUMNS as CLAIM_RESULTS
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
    assert convert.day("01/06/2024", "d") == convert.day("1/6/2024", "d") == dt.date(2024, 6, 1)  # Belgian Excel text
    for bad, shown in ((True, "TRUE"), ("2024/06/01", "'2024/06/01'"), ("31/06/2024", "'31/06/2024'"), ("", "an empty cell")):
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
    assert convert.integer("24,0", "n") == 24
    for thousands in ("1,000", "1,000.5", "12,345"):  # as fee_charged: a decimal comma takes at most two digits
        for read in (convert.integer, convert.number):
            with pytest.raises(InputError, match=f"^n: expected a (whole )?number without thousands separators .*found '{thousands}'$"):
                read(thousands, "n")
    for true in (True, 1.0, 1, "TRUE", "yes", "waar"):
        assert convert.flag(true, "f") is True
    for false in (False, 0.0, 0, "false", "no", "onwaar", None, ""):
        assert convert.flag(false, "f") is False
    with pytest.raises(InputError, match=r"^f: expected yes/no \(true/false, 1/0, waar/onwaar, ja/nee, vrai/faux, oui/non\), found 2$"):
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
    assert convert.age(" 40 ", "a", on) == 40  # an age typed as text
    with pytest.raises(InputError, match="^a: expected an age in years or a birth date: a date .*, found 'forty'$"):
        convert.age("forty", "a", on)


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
    assert list(frame) == ["claim_id", "kind"]
    assert frame["claim_id"] == ["c1", None, "c2"]
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
    (lambda: fx.CP_COPAY(30.0, "individual", 2.0), ("increased: expected yes/no (true/false, 1/0",)),
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
    assert is_one_line_error(text, "riziv-psy-2021.json: /", "more problem", "run carepolicy validate)")


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


# -- tables: care budget, claims, simulations ------------------------------------------------------------

def test_cp_care_budget_spills_the_schedule_or_says_why_not():
    table = fx.CP_CARE_BUDGET(dt.datetime(2024, 1, 15), "home", "belrai", 14.0, 3.0)
    assert table[0] == ["month", "amount", "payment_date"]
    assert table[1] == ["2024-05", 140.0, dt.datetime(2024, 5, 24)]
    assert len(table) == 4
    assert len(fx.CP_CARE_BUDGET(45306.0, "Home", "BelRAI", "14")) == 13  # serial of 2024-01-15; 12 months by default
    refused = fx.CP_CARE_BUDGET(45306.0, "home", "belrai", 10.0)
    assert refused.startswith("not eligible: the belrai score 10 is below its threshold of 13")
    assert is_one_line_error(fx.CP_CARE_BUDGET(45306.0, "home", "belrai"), "score: proof 'belrai' needs a score")
    assert is_one_line_error(fx.CP_CARE_BUDGET(45306.0, "hom", "belrai", 14.0), "setting:", "did you mean 'home'?")
    assert is_one_line_error(fx.CP_CARE_BUDGET(45306.0, "home", "belrai", 14.0, 2.5), "months: expected a whole number")


CLAIMS_HEADER = ["claim_id", "patient_id", "birth_date", "session_date", "kind", "network", "care",
                 "increased_reimbursement"]


def test_cp_evaluate_takes_an_excel_range_and_spills_results_in_row_order():
    claims = [
        [" Claim_ID", *CLAIMS_HEADER[1:], None],
        ["c1", "p1", dt.datetime(1990, 1, 1), dt.datetime(2024, 6, 1), "individual", "adults", "first_line", False, None],
        ["c2", "p1", 32874.0, 45455.0, "Individual", "adults", "first_line", 0.0, None],  # serials; 1990-01-01, 2024-06-12
        ["c3", "p2", "2012-01-01", "2024-06-03", "individual", "children", "first_line", "TRUE", None],
        ["c4", "p3", "1990-13-01", JUNE_2024, "individual", "adults", "first_line", None, None],
        ["c2", "p1", 32874.0, 45456.0, "individual", "adults", "first_line", 0.0, None],
        [None] * 9,
        [None] * 9,
    ]
    table = fx.CP_EVALUATE(claims)
    assert table[0] == CLAIM_RESULTS
    rows = [dict(zip(table[0], r, strict=True)) for r in table[1:]]
    assert [r["claim_id"] for r in rows] == ["c1", "c2", "c3", "c4", "c2"], "trailing blank rows dropped, the rest in order"
    first, second, youth, bad_date, repeat = rows
    assert first["covered"] is True and first["patient_copay"] == 0 and first["provider_fee"] == 81.74  # first session free
    assert second["covered"] is True and second["patient_copay"] == 11 and second["insurer_amount"] == 70.74
    assert first["period_start"] == dt.datetime(2024, 6, 1)
    assert youth["covered"] is True and youth["patient_copay"] == 0
    assert bad_date["covered"] is False and bad_date["reason"].startswith("invalid: birth_date:") and "1990-13-01" in bad_date["reason"]
    assert repeat["covered"] is False and "claim_id" in repeat["reason"]
    assert all(isinstance(v, str | bool | int | float | dt.datetime) for r in table for v in r), "only cell values"
    under = fx.CP_EVALUATE(claims, "copay-15")
    assert under[2][CLAIM_RESULTS.index("patient_copay")] == 11, "copay-15 starts in 2027"


def test_cp_evaluate_reads_the_former_name_of_earlier_sessions():
    header = ["claim_id", "patient_id", "birth_date", "session_date", "kind", "mutuality", "provider", "fee_charged"]
    row = ["c1", "p1", "1980-01-01", "2024-06-01", "individual", "cm", "psychotherapist", 70]
    counted = {name: fx.CP_EVALUATE([[*header, name], [*row, 24]]) for name in ("earlier_sessions", "earlier_cm_sessions")}
    assert counted["earlier_sessions"] == counted["earlier_cm_sessions"]
    assert counted["earlier_sessions"][1][CLAIM_RESULTS.index("reason")] == "lifetime_cap_reached"


@pytest.mark.parametrize(("claims", "parts"), [
    ([["claim_id", "patient", "birth_date", "session_date", "kind"], ["c1", "p1", 1.0, 2.0, "individual"]],
     ("claims: header: unknown column 'patient' — did you mean 'patient_id'?",)),
    ([CLAIMS_HEADER], ("claims: expected at least one claim row",)),
    ([[None, None], ["c1", "p1"]], ("claims: expected a header row",)),
    ("claim_id", ("claims: header: missing required column 'patient_id'",)),
])
def test_cp_evaluate_mistakes_in_the_range_are_one_line(claims, parts):
    assert is_one_line_error(fx.CP_EVALUATE(claims), *parts)


def test_cp_simulate_spills_regions_and_a_total():
    table = fx.CP_SIMULATE("copay-15", 2027.0, [["Luxemburg"], ["namen"]])
    header = table[0]
    assert header[:2] == ["scenario", "region"] and "insurer_cost" in header
    rows = {r[1]: dict(zip(header, r, strict=True)) for r in table[1:]}
    assert list(rows) == ["luxemburg", "namen", "total"]
    assert all(r["scenario"] == "copay-15" for r in rows.values())
    cost = rows["luxemburg"]["insurer_cost"] + rows["namen"]["insurer_cost"]
    assert rows["total"]["insurer_cost"] == pytest.approx(cost, abs=0.005)
    assert isinstance(rows["namen"]["patients"], int) and rows["namen"]["patients"] > 0
    assert fx.CP_SIMULATE("copay-15", 2027.0, "luxemburg, namen") == table, "same run, by names in one cell"


def test_cp_simulate_breaks_down_by_a_dimension_with_a_total():
    table = fx.CP_SIMULATE("copay-15", 2027.0, "luxemburg", "age_band, increased")
    header = table[0]
    assert header[:3] == ["scenario", "age_band", "increased"] and "insurer_cost" in header
    rows = [dict(zip(header, r, strict=True)) for r in table[1:]]
    assert [r["age_band"] for r in rows[:2]] == ["0-14", "0-14"] and [r["increased"] for r in rows[:2]] == ["no", "yes"]
    assert rows[-1]["age_band"] == "total" and rows[-1]["increased"] == ""
    cost = sum(r["insurer_cost"] for r in rows[:-1])
    assert rows[-1]["insurer_cost"] == pytest.approx(cost, abs=0.005)
    assert fx.CP_SIMULATE("copay-15", 2027.0, "luxemburg", "region") == fx.CP_SIMULATE("copay-15", 2027.0, "luxemburg")


def test_cp_impact_spills_winners_and_losers_with_a_total():
    national = fx.CP_IMPACT("free-until-25", 2027.0, None, "luxemburg")
    header = national[0]
    assert header[:5] == ["scenario", "patients", "better_off", "worse_off", "unchanged"]
    row = dict(zip(header, national[1], strict=True))
    assert len(national) == 2 and row["worse_off"] == 0 and row["better_off"] > 0
    assert row["mean_change_worse_off"] == "" and row["mean_change_better_off"] < 0
    by_band = fx.CP_IMPACT("free-until-25", 2027.0, "age_band", "luxemburg")
    assert by_band[0][:2] == ["scenario", "age_band"] and by_band[-1][:2] == ["free-until-25", "total"]
    assert by_band[-1][2:] == national[1][1:]
    assert sum(r[3] for r in by_band[1:-1]) == row["better_off"]


def test_cp_simulate_runs_once_per_arguments():
    calls = []
    real = fx.simulate

    def counting(*args, **kwargs):
        calls.append(args)
        return real(*args, **kwargs)

    fx.simulate = counting
    try:
        first = fx.CP_SIMULATE(None, None, "luxemburg")
        assert fx.CP_SIMULATE(None, 2027.0, "Luxemburg") == first
        assert len(calls) == 1
    finally:
        fx.simulate = real
    assert first[1][:2] == ["baseline", "luxemburg"] and len(first) == 2


def test_cp_compare_puts_scenarios_side_by_side():
    table = fx.CP_COMPARE([["copay-15"], [None], ["index-2pct"]], "patient_copay", None, "luxemburg")
    assert table[0] == ["region", "baseline", "copay-15", "index-2pct"]
    region, base, copay15, index2 = table[1]
    assert region == "luxemburg" and copay15 > base and index2 == base
    both = fx.CP_COMPARE("copay-15", None, None, "luxemburg,namen")
    assert [r[0] for r in both] == ["region", "luxemburg", "namen", "total"]
    assert both[3][2] == pytest.approx(both[1][2] + both[2][2], abs=0.005)


@pytest.mark.parametrize(("call", "parts"), [
    (lambda: fx.CP_SIMULATE(None, None, "Antwrp"), ("unknown region 'Antwrp' — did you mean 'antwerpen'?",)),
    (lambda: fx.CP_SIMULATE("copay-15, index-2pct"), ("scenario: expected one scenario",)),
    (lambda: fx.CP_SIMULATE("copy-15", None, "luxemburg"), ("did you mean 'copay-15'?",)),
    (lambda: fx.CP_SIMULATE(None, 2027.5, "luxemburg"), ("year: expected a whole number, found 2027.5",)),
    (lambda: fx.CP_SIMULATE(None, None, "luxemburg", "agebands"), ("by: unknown dimension 'agebands' — did you "
                                                                   "mean 'age_band'?",)),
    (lambda: fx.CP_COMPARE("copay-15", "insurer_cst", None, "luxemburg"), ("did you mean 'insurer_cost'?",)),
    (lambda: fx.CP_COMPARE(None), ("scenarios: expected at least one scenario",)),
    (lambda: fx.CP_IMPACT(None), ("scenario: expected one scenario to compare with the baseline, found 0",)),
    (lambda: fx.CP_IMPACT("copay-15", None, "netwrk", "luxemburg"), ("did you mean 'network'?",)),
])
def test_simulation_mistakes_are_one_line(call, parts):
    assert is_one_line_error(call(), *parts)


# -- the example workbook: every formula works and fills exactly its range ------------------------------

def _split(args: str) -> list[str]:
    parts, depth, quoted, current = [], 0, False, ""
    for ch in args:
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch in "()":
            depth += 1 if ch == "(" else -1
        elif not quoted and depth == 0 and ch == ",":
            parts.append(current)
            current = ""
            continue
        current += ch
    return [*parts, current] if args else []


def _value(ws, text: str):
    """A formula argument as Excel would pass it: a cell's value, a range as rows, a literal."""
    if text == "":
        return None
    if text.startswith('"'):
        return text[1:-1].replace('""', '"')
    if text in ("TRUE", "FALSE"):
        return text == "TRUE"
    if text.startswith("DATE("):
        return dt.datetime(*map(int, text[5:-1].split(",")))
    if ":" in text:
        return [[c.value for c in row] for row in ws[text]]
    if text.replace("$", "")[0].isalpha():
        return ws[text.replace("$", "")].value
    return float(text)


def test_the_example_workbook_formulas_all_work_and_fit_their_ranges(tmp_path):
    from openpyxl import load_workbook

    from workbooks.example import build

    book = load_workbook(build(tmp_path / "example.xlsx"))
    checked = 0
    for ws in book.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                text = getattr(cell.value, "text", cell.value)
                if not (isinstance(text, str) and text.startswith("=CP_")):
                    continue
                name, args = text[1:].split("(", 1)
                result = getattr(fx, name)(*(_value(ws, a) for a in _split(args[:-1])))
                label = ws.cell(cell.row, 1).value or ""
                if "error" in label:
                    assert is_one_line_error(result, "kind:", "did you mean 'individual'?")
                    continue
                assert not (isinstance(result, str) and result.startswith("CP error")), (ws.title, cell.coordinate, result)
                ref = getattr(cell.value, "ref", None)
                if ref:
                    first, last = ws[ref][0][0], ws[ref][-1][-1]
                    shape = (last.row - first.row + 1, last.column - first.column + 1)
                    assert (len(result), len(result[0])) == shape, (ws.title, ref)
                else:
                    assert not isinstance(result, list), (ws.title, cell.coordinate)
                checked += 1
    assert checked >= 12


def test_the_committed_example_workbook_is_the_one_the_builder_makes(tmp_path):
    from openpyxl import load_workbook

    from workbooks.example import OUTPUT, build

    def cells(path):
        book = load_workbook(path)
        return {ws.title: [[(getattr(c.value, "text", c.value), getattr(c.value, "ref", None)) for c in row] for row in ws.iter_rows()]
                for ws in book.worksheets}

    assert cells(OUTPUT) == cells(build(tmp_path / "example.xlsx")), "run python -m workbooks.example to regenerate it"
