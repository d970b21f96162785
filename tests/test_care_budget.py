"""The care budget schedule: eligibility per proof, first entitled month, amounts, payment dates, the CLI."""

from __future__ import annotations

import datetime as dt
import functools
import itertools
import json

import pandas as pd
import pytest

from carepolicy.cli import main
from engine.dates import add_months
from engine.errors import InputError, ResolveError
from engine.evaluate.care_budget import schedule
from engine.policy.policies import load_policies

D = dt.date.fromisoformat
DOC = "vsb-care-budget"


def doc_of(policies) -> dict:
    return policies.doc(DOC)


def thresholds(policies) -> dict[str, float]:
    """Proof id -> its current threshold, read from the policy file."""
    return {p["id"]: p["min_score"]["history"][-1]["value"] for p in doc_of(policies)["proofs"] if "min_score" in p}


def edit(folder, change) -> None:
    path = folder / f"{DOC}.json"
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data))


# first entitled month

@pytest.mark.parametrize("applied, first", [
    ("2024-01-10", "2024-05"),   # DOMAIN.md: apply in January, entitled from May
    ("2024-01-31", "2024-05"),
    ("2022-09-01", "2023-01"),   # across a year end
    ("2022-10-15", "2023-02"),
    ("2023-12-31", "2024-04"),
])
def test_first_month_is_the_fourth_month_after_the_application_month(policies, applied, first):
    budget = schedule(policies, applied, "home", "belrai", 20)
    assert budget.eligible and budget.reason == ""
    assert budget.first_month == first
    assert budget.rows["month"].iloc[0] == first


def test_months_follow_each_other_across_a_year_end(policies):
    rows = schedule(policies, "2022-10-15", "home", "belrai", 20, months=4).rows
    assert list(rows["month"]) == ["2023-02", "2023-03", "2023-04", "2023-05"]
    rows = schedule(policies, "2023-08-01", "home", "belrai", 20, months=3).rows
    assert list(rows["month"]) == ["2023-12", "2024-01", "2024-02"]


def test_start_delay_comes_from_the_policy_file(policy_copy):
    edit(policy_copy, lambda d: d["start_delay_months"]["history"].append(
        {"from": "2025-01-01", "value": 2, "source": "seed-003", "status": "assumed"}))
    policies = load_policies(policy_copy)
    assert schedule(policies, "2024-12-31", "home", "belrai", 20).first_month == "2025-04"
    assert schedule(policies, "2025-01-01", "home", "belrai", 20).first_month == "2025-03"


# amounts

def test_amount_changes_on_the_dates_of_its_history(policies):
    history = doc_of(policies)["amount"]["history"]
    assert [(e["from"], e["value"]) for e in history] == [
        ("2009-03-01", 130.0), ("2023-01-01", 135.0), ("2024-01-01", 140.0)]
    for before, after in itertools.pairwise(history):
        change = D(after["from"])
        first = add_months(change, -1)  # the first entitled month is the month before the change
        applied = add_months(first, -4).replace(day=15)
        rows = schedule(policies, applied, "home", "belrai", 13, months=2).rows
        assert list(rows["month"]) == [first.strftime("%Y-%m"), change.strftime("%Y-%m")]
        assert list(rows["amount"]) == [before["value"], after["value"]]
        assert list(rows["amount_from"]) == [D(before["from"]), D(after["from"])]
        assert list(rows["source"]) == [before["source"], after["source"]]


def test_a_year_spanning_the_2024_change_shows_both_amounts_and_their_total(policies):
    budget = schedule(policies, "2023-05-20", "home", "belrai", 13)
    assert list(budget.rows["month"])[:2] == ["2023-09", "2023-10"]
    assert list(budget.rows["amount"]) == [135.0] * 4 + [140.0] * 8
    assert budget.total == 4 * 135 + 8 * 140


def test_amount_and_payment_day_come_from_the_policy_file(policy_copy):
    def change(d):
        d["amount"]["history"].append({"from": "2025-01-01", "value": 143.37, "source": "seed-003", "status": "assumed"})
        d["payment"]["day_of_month"]["history"][0]["value"] = 31
    edit(policy_copy, change)
    rows = schedule(load_policies(policy_copy), "2024-08-05", "home", "belrai", 13, months=4).rows
    assert list(rows["amount"]) == [140.0, 143.37, 143.37, 143.37]
    # the 31st of a shorter month is its last day
    assert list(rows["payment_date"]) == [D("2024-12-31"), D("2025-01-31"), D("2025-02-28"), D("2025-03-31")]


# payment dates

def test_home_care_is_paid_on_the_24th_of_the_same_month(policies):
    rows = schedule(policies, "2023-08-01", "home", "belrai", 13, months=3).rows
    assert list(rows["payment_date"]) == [D("2023-12-24"), D("2024-01-24"), D("2024-02-24")]


def test_residents_are_paid_on_the_24th_of_the_following_month_december_in_january(policies):
    rows = schedule(policies, "2023-08-01", "residential", "belrai", 13, months=3).rows
    assert list(rows["month"]) == ["2023-12", "2024-01", "2024-02"]
    assert list(rows["payment_date"]) == [D("2024-01-24"), D("2024-02-24"), D("2024-03-24")]


def test_the_values_used_are_listed_with_their_sources(policies):
    used = schedule(policies, "2023-08-01", "residential", "belrai", 13, months=2).used
    paths = [r.path for r in used]
    assert paths == [f"{DOC}.proofs.belrai.min_score", f"{DOC}.start_delay_months",
                     f"{DOC}.payment.settings.residential.month_offset", f"{DOC}.payment.day_of_month"]
    assert all(r.source in policies.sources for r in used)


# eligibility per proof

def test_the_issue_proof_kinds_are_in_the_policy(policies):
    ids = {p["id"] for p in doc_of(policies)["proofs"]}
    assert {"belrai", "adl_iadl", "medico_social", "child_support", "palliative", "residence"} <= ids
    assert thresholds(policies) == {"belrai": 13, "adl_iadl": 5.5, "medico_social": 15, "child_support": 18}


@pytest.mark.parametrize("proof, at, below", [
    ("belrai", 13, 12.9), ("adl_iadl", 5.5, 5.4), ("medico_social", 15, 14.9), ("child_support", 18, 17.9)])
@pytest.mark.parametrize("setting", ["home", "residential"])
def test_a_score_at_its_threshold_is_eligible_and_just_below_is_not(policies, proof, at, below, setting):
    assert thresholds(policies)[proof] == at
    yes = schedule(policies, "2024-03-10", setting, proof, at)
    assert yes.eligible and len(yes.rows) == 12 and yes.first_month == "2024-07"
    no = schedule(policies, "2024-03-10", setting, proof, below)
    assert not no.eligible and no.rows.empty and no.first_month is None
    assert no.reason.startswith(f"the {proof} score {below:g} is below its threshold of {at:g} points")


def test_a_score_as_text_is_read_as_a_number(policies):
    assert schedule(policies, "2024-03-10", "home", "adl_iadl", " 5.5 ").eligible
    assert not schedule(policies, "2024-03-10", "home", "adl_iadl", "5.49").eligible


def test_palliative_attest_needs_no_score_and_waives_the_waiting_period(policies):
    budget = schedule(policies, "2024-03-10", "home", "palliative")
    assert budget.eligible and budget.first_month == "2024-03"
    assert f"{DOC}.start_delay_months" not in [r.path for r in budget.used]


def test_palliative_attest_counts_only_for_a_first_application(policies):
    budget = schedule(policies, "2024-03-10", "home", "palliative", first_application=False)
    assert not budget.eligible and budget.rows.empty
    assert budget.reason == "proof palliative counts only for a first application, not for a renewal"
    assert schedule(policies, "2024-03-10", "home", "belrai", 13, first_application=False).eligible


def test_residence_counts_for_residents_only(policies):
    assert schedule(policies, "2024-03-10", "residential", "residence").first_month == "2024-07"
    budget = schedule(policies, "2024-03-10", "home", "residence")
    assert not budget.eligible
    assert budget.reason == "proof residence counts only for the setting residential, not for home"


def test_table_for_a_spreadsheet_range(policies):
    table = schedule(policies, "2023-08-01", "home", "belrai", 13, months=2).table()
    assert table == [["month", "amount", "payment_date"],
                     ["2023-12", 135.0, D("2023-12-24")], ["2024-01", 140.0, D("2024-01-24")]]
    assert schedule(policies, "2023-08-01", "home", "belrai", 1).table() == [["month", "amount", "payment_date"]]


# bad input

@pytest.mark.parametrize("kwargs, message", [
    (dict(setting="hom"), r"^setting: expected one of home, residential, found 'hom' — did you mean 'home'\?$"),
    (dict(proof="belray"), r"^proof: expected one of belrai, .*residence, found 'belray' — did you mean 'belrai'\?$"),
    (dict(score=None), r"^score: proof 'belrai' needs a score \(at least 13 points on 2024-03-10\), found none$"),
    (dict(score="high"), r"^score: expected a number of at least 0, found 'high'$"),
    (dict(score=-1), r"^score: expected a number of at least 0, found -1$"),
    (dict(score=float("nan")), r"^score: expected a number of at least 0, found nan$"),
    (dict(proof="palliative", score=3), r"^score: proof 'palliative' has no threshold, so it takes no score; found 3$"),
    (dict(months=0), r"^months: expected a whole number of at least 1, found 0$"),
    (dict(months=2.5), r"^months: expected a whole number of at least 1, found 2.5$"),
    (dict(months="twelve"), r"^months: expected a whole number of at least 1, found 'twelve'$"),
    (dict(application_date="2024-02-30"), r"^application date: expected a date YYYY-MM-DD, found '2024-02-30'$"),
    (dict(allowance="vsb"), r"^allowance: expected one of vsb-care-budget, found 'vsb'"),
])
def test_bad_input_is_refused_in_one_line(policies, kwargs, message):
    args = dict(application_date="2024-03-10", setting="home", proof="belrai", score=14) | kwargs
    with pytest.raises(InputError, match=message):
        schedule(policies, **args)


def test_a_date_before_the_history_gets_the_resolver_message(policies):
    with pytest.raises(ResolveError, match=rf"^{DOC}.proofs.belrai.min_score: no value on 2009-02-28: "
                                           r"its history covers 2009-03-01 onwards$"):
        schedule(policies, "2009-02-28", "home", "belrai", 14)
    with pytest.raises(ResolveError, match=rf"^{DOC}.amount: no value on 2009-02-01"):
        schedule(policies, "2009-02-28", "home", "palliative")


# the command

def run(capsys, *args):
    code = main(["care-budget", *args])
    out, err = capsys.readouterr()
    return code, out, err


BASE = ["--application-date", "2023-08-01", "--setting", "residential", "--proof", "belrai"]
OPTIONS = {"--application-date": "2023-08-01", "--setting": "residential", "--proof": "belrai", "--score": "14"}


def test_cli_prints_the_schedule_and_its_total(capsys):
    code, out, err = run(capsys, *BASE, "--score", "13", "--months", "3")
    assert code == 0 and err == ""
    lines = out.splitlines()
    assert lines[0] == "first entitled month 2023-12"
    assert lines[2].split()[:3] == ["2023-12", "135.00", "2024-01-24"]
    assert lines[4].split()[:3] == ["2024-02", "140.00", "2024-03-24"]
    assert lines[5].split()[:2] == ["total", "415.00"]
    assert f"{DOC}.payment.day_of_month = the 24th" in out


def test_cli_reads_a_day_first_application_date_as_the_iso_one(capsys):
    iso = run(capsys, *BASE, "--score", "13")
    assert run(capsys, *[("1/8/2023" if a == "2023-08-01" else a) for a in BASE], "--score", "13") == iso
    assert iso[0] == 0


def test_cli_ineligible_exits_0_with_the_reason_and_no_rows(capsys, tmp_path):
    code, out, _ = run(capsys, *BASE, "--score", "12")
    assert code == 0
    assert out.startswith("not eligible: the belrai score 12 is below its threshold of 13 points")
    assert "total" not in out
    target = tmp_path / "none.csv"
    code, out, _ = run(capsys, *BASE, "--score", "12", "-o", str(target))
    assert code == 0 and "not eligible" in out
    assert target.read_text().strip() == "month,amount,payment_date"


@pytest.mark.parametrize("suffix", [".csv", ".xlsx", ".parquet"])
def test_cli_writes_month_amount_payment_date(capsys, tmp_path, suffix):
    target = tmp_path / f"out{suffix}"
    code, out, _ = run(capsys, *BASE, "--score", "13", "--months", "3", "-o", str(target))
    assert code == 0 and "total EUR 415.00" in out
    read_xlsx = functools.partial(pd.read_excel, engine="calamine")
    frame = {".csv": pd.read_csv, ".xlsx": read_xlsx, ".parquet": pd.read_parquet}[suffix](target)
    assert list(frame.columns) == ["month", "amount", "payment_date"]
    assert list(frame["month"]) == ["2023-12", "2024-01", "2024-02"]
    assert list(frame["amount"]) == [135.0, 140.0, 140.0]
    assert [str(d)[:10] for d in frame["payment_date"]] == ["2024-01-24", "2024-02-24", "2024-03-24"]
    assert [p.name for p in tmp_path.iterdir()] == [target.name]


@pytest.mark.parametrize("option, message", [
    ({"--setting": "hom"}, "error: setting: expected one of home, residential, found 'hom' — did you mean 'home'?"),
    ({"--score": "abc"}, "error: score: expected a number of at least 0, found 'abc'"),
    ({"--months": "-3"}, "error: months: expected a whole number of at least 1, found '-3'"),
    ({"--application-date": "31/02/2023"},
     "error: --application-date: expected a date YYYY-MM-DD or DD/MM/YYYY, found '31/02/2023'"),
    ({"-o": "out.txt"}, "error: out.txt: expected a schedule file ending in .csv, .parquet, .xlsx, found '.txt'"),
])
def test_cli_user_errors_exit_2_with_one_line(capsys, option, message):
    code, out, err = run(capsys, *itertools.chain.from_iterable((OPTIONS | option).items()))
    assert code == 2 and out == ""
    assert err.splitlines() == [message]
