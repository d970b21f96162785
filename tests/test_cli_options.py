"""Options read the same way in every command: -s and -r with comma lists and did-you-mean, decimal commas,
-o naming a folder, --version, a description for every command, and `carepolicy list`."""

from __future__ import annotations

import subprocess
import sys

import pytest

from carepolicy.cli import build_parser, command_names, main

CLAIMS = ("claim_id,patient_id,birth_date,session_date,kind,network,care\n"
          "c1,p1,1980-01-01,2027-02-01,individual,adults,first_line\n")
SCENARIO_HINT = "error: unknown scenario 'copay15' — did you mean 'copay-15'? (known: baseline, adult-quota-10, copay-15, "
REGION_HINT = "error: unknown region 'antwrp' — did you mean 'antwerpen'? (known: antwerpen, limburg,"


def run(capsys, argv: list[str]) -> tuple[int, str, str]:
    try:
        code = main(argv)
    except SystemExit as exit_:  # argparse refusals
        code = exit_.code
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def claims(tmp_path):
    (tmp_path / "c.csv").write_text(CLAIMS)
    return str(tmp_path / "c.csv")


def test_every_command_has_a_description_and_a_help_line():
    sub = next(a for a in build_parser()._actions if a.dest == "command")
    helps = {c.dest: c.help for c in sub._choices_actions}
    assert set(sub.choices) == set(command_names()) >= {"compare", "simulate", "evaluate", "explain", "care-budget",
                                                        "value", "list", "validate"}
    for name, parser in sub.choices.items():
        assert parser.description and helps[name], name


def test_scenarios_and_regions_take_comma_separated_and_repeated_lists():
    args = build_parser().parse_args(["simulate", "-s", "copay-15, index-2pct", "--scenario", "free-until-25",
                                      "-r", "antwerpen,luik", "-r", "namen"])
    assert args.scenario == ["copay-15", "index-2pct", "free-until-25"]
    assert args.region == ["antwerpen", "luik", "namen"]
    for command in (["evaluate", "c.csv", "-o", "r.csv"], ["explain", "c.csv", "c1"], ["compare"], ["list", "parameters"]):
        assert build_parser().parse_args([*command, "-s", "copay-15"]).scenario == ["copay-15"]


def test_a_command_that_applies_one_scenario_refuses_two(capsys, claims, tmp_path):
    code, _, err = run(capsys, ["evaluate", claims, "-o", str(tmp_path / "r.csv"), "-s", "copay-15,index-2pct"])
    assert code == 2
    assert err == "error: --scenario: expected one scenario for evaluate, found 2: copay-15, index-2pct\n"


@pytest.mark.parametrize("argv", [
    ["evaluate", "{claims}", "-o", "{tmp}/r.csv", "-s", "copay15"],
    ["explain", "{claims}", "c1", "--scenario", "copay15"],
    ["simulate", "-s", "copay15"],
    ["compare", "-s", "copay-15,copay15", "-o", "{tmp}/w.xlsx"],
    ["list", "parameters", "-s", "copay15"],
])
def test_a_mistyped_scenario_gets_did_you_mean_in_every_command(capsys, claims, tmp_path, argv):
    code, out, err = run(capsys, [a.format(claims=claims, tmp=tmp_path) for a in argv])
    assert code == 2 and out == "" and err.startswith(SCENARIO_HINT)


@pytest.mark.parametrize("command", ["simulate", "compare"])
def test_a_mistyped_region_gets_did_you_mean_in_every_command(capsys, tmp_path, command):
    code, out, err = run(capsys, [command, "-r", "luik,antwrp", "-o", str(tmp_path / "w.xlsx")])
    assert code == 2 and out == "" and err.startswith(REGION_HINT)


@pytest.mark.parametrize("argv", [
    ["evaluate", "{claims}", "-o", "{tmp}"], ["simulate", "-o", "{tmp}"], ["compare", "-o", "{tmp}"],
    ["care-budget", "--application-date", "2024-01-01", "--setting", "home", "--proof", "belrai", "-o", "{tmp}"],
])
def test_an_output_that_is_a_folder_is_named_as_such(capsys, claims, tmp_path, argv):
    code, _, err = run(capsys, [a.format(claims=claims, tmp=tmp_path) for a in argv])
    assert code == 2
    example = "comparison.xlsx" if argv[0] == "compare" else "results.csv"
    assert err == (f"error: argument -o/--output: {tmp_path}: expected a file to write, such as {tmp_path}/{example}, "
                   f"found an existing folder (see: carepolicy {argv[0]} --help)\n")


def test_a_decimal_comma_is_a_decimal_point(capsys):
    base = ["care-budget", "--application-date", "2023-08-10", "--setting", "home", "--proof", "adl_iadl", "--months", "1"]
    assert run(capsys, [*base, "--score", "5,5"])[1] == run(capsys, [*base, "--score", "5.5"])[1]
    code, out, _ = run(capsys, [*base, "--score", "5,4"])
    assert code == 0 and out.startswith("not eligible: the adl_iadl score 5.4 is below its threshold of 5.5 points")


def test_version():
    done = subprocess.run([sys.executable, "-m", "carepolicy", "--version"], capture_output=True, text=True)
    assert done.returncode == 0 and done.stdout == "carepolicy 0.1.0\n"


def test_help_loads_no_engine():
    """Command modules import the engine inside `run`: `carepolicy --help` starts without pandas or numpy."""
    code = ("import sys; from carepolicy.cli import build_parser; build_parser(); "
            "print(sorted(m for m in ('pandas', 'numpy', 'pyarrow', 'openpyxl', 'jsonschema', 'engine.policy') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.stdout == "[]\n", "a command module imports the engine at its top; import it inside run()"


def test_list_scenarios_regions_and_parameters(capsys):
    code, out, _ = run(capsys, ["list", "scenarios"])
    assert code == 0 and out.splitlines()[:3] == ["baseline              Baseline: the policies as they are",
                                                  "adult-quota-10        Adult first-line quota 10 sessions",
                                                  "copay-15              Adult co-payment EUR 15"]
    code, out, _ = run(capsys, ["list", "regions"])
    assert out.splitlines()[:2] == ["region            name                   inhabitants  other names",
                                    "antwerpen         Antwerpen                1,910,952  Antwerp, Anvers"]
    code, out, _ = run(capsys, ["list", "parameters", "--date", "01/06/2024"])
    lines = out.splitlines()
    assert lines[0] == "parameters on 2024-06-01 (scenario baseline)"
    assert lines[1].split() == ["path", "value", "unit", "status", "source"]
    fee = next(line for line in lines if line.startswith("riziv-psy-2021.tariff.rows.individual.fee "))
    assert fee.split() == ["riziv-psy-2021.tariff.rows.individual.fee", "EUR", "81.74", "EUR", "assumed", "seed-002"]
    code, out, _ = run(capsys, ["list", "parameters", "-s", "copay-15", "--date", "2027-03-01"])
    amount = next(line for line in out.splitlines() if line.startswith("riziv-psy-2021.copayment.rules.individual.amount "))
    assert amount.split()[1:] == ["EUR", "15.00", "EUR", "assumed", "scenario-hypothesis"]
    code, _, err = run(capsys, ["list", "parameters", "--date", "2024-13-01"])
    assert code == 2 and err == "error: --date: expected a date YYYY-MM-DD or DD/MM/YYYY, found '2024-13-01'\n"
