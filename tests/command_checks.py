"""Every command on a policy folder that `validate` accepted: an exit code of 0, 2 or 3 and results that add up,
the same from both evaluators, and the Excel functions' lookups without an unexpected error.

`run_commands` runs the commands in this process through `carepolicy.cli.main` and returns what went wrong,
one line each (an exception, a traceback, an amount that does not add up), so that a long campaign can list
every failure and a test can assert there is none.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import math
import traceback
from pathlib import Path

from carepolicy.cli import main
from engine.policy.files import PACKAGE_ROOT

CLAIMS_HEADER = ("claim_id,patient_id,birth_date,session_date,kind,network,care,increased_reimbursement,group_id,"
                 "co_lead,setting,mutuality,provider,fee_charged,earlier_sessions\n")
PATIENTS = [("a", "1960-03-01", "adults", False), ("b", "2003-02-28", "adults", True),
            ("c", "2012-02-29", "children", False), ("d", "2006-12-31", "children", True),
            ("e", "1920-01-01", "adults", True)]
DAYS = ["2021-09-01", "2023-12-31", "2024-02-01", "2024-02-29", "2026-12-31", "2027-01-01", "2027-02-28",
        "2027-07-01", "2027-12-31", "2028-02-29"]
MUTUALITIES = ["cm", "solidaris", "lm", "helan", "zz"]
PROVIDERS = ["psychotherapist", "clinical_sexologist"]


def claims_csv(care_types: list[str], leaders: list[str] | None = None, settings: list[str] | None = None) -> str:
    """Claims over the edge days: each patient's individual and group sessions of each care type, co-led by the first
    and last of `leaders` or by nobody, in every one of `settings` (default: the bundled convention's) or an empty
    one, and sessions outside the convention under each mutuality (one an unknown one)."""
    bundled = json.loads((PACKAGE_ROOT / "policy" / "riziv-psy-2021.json").read_text(encoding="utf-8"))
    leaders = leaders or [item["id"] for item in bundled["leaders"]]
    settings = settings or [item["id"] for item in bundled["settings"]]
    co_leads, places = [leaders[0], leaders[-1], ""], ["", *settings[1:], settings[0]]
    rows = []
    for p, (patient, birth, network, increased) in enumerate(PATIENTS):
        flag = "true" if increased else "false"
        for d, day in enumerate(DAYS):
            care = care_types[(p + d) % len(care_types)]
            kind = "group" if (p + d) % 3 == 0 else "individual"
            group = f"g{d}" if kind == "group" else ""
            co_lead = co_leads[d % 3] if kind == "group" else ""
            setting = places[(p * d) % len(places)]
            rows.append(f"n{p}-{d},{patient},{birth},{day},{kind},{network},{care},{flag},{group},{co_lead},"
                        f"{setting},,,,")
            mutuality = MUTUALITIES[(p + d) % len(MUTUALITIES)]
            fee = ["70.00", "0.01", "100000", "12.5", ""][(p + 2 * d) % 5]
            rows.append(f"o{p}-{d},{patient},{birth},{day},individual,,,{flag},,,,{mutuality},"
                        f"{PROVIDERS[d % 2]},{fee},{[0, 3, 24, ''][d % 4]}")
    return CLAIMS_HEADER + "\n".join(rows) + "\n"


def declared_claims_csv(folder: Path) -> str:
    """claims_csv with the care types, leaders and settings the folder's convention declares."""
    convention = json.loads((folder / "riziv-psy-2021.json").read_text(encoding="utf-8"))
    return claims_csv(*([item["id"] for item in convention[key]] for key in ("care_types", "leaders", "settings")))


def _amount(row: dict, name: str) -> float:
    text = row.get(name, "")
    return float(text) if text not in ("", None) else 0.0


def result_problems(path: Path) -> list[str]:
    """Amounts of an evaluation's results that the rules cannot produce, one line each."""
    problems = []
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            where = f"results row {row['row']} ({row['claim_id']}, {row['scheme']}, {row['rule']})"
            amounts = {n: _amount(row, n) for n in ("provider_fee", "patient_copay", "insurer_amount",
                                                    "care_path_fee", "supplement_amount", "patient_pays")}
            if any(not math.isfinite(v) or v < 0 for v in amounts.values()):
                problems.append(f"{where}: an amount that is negative or not finite: {amounts}")
                continue
            if row["covered"] != "true":
                if amounts["insurer_amount"] or amounts["supplement_amount"] or amounts["care_path_fee"]:
                    problems.append(f"{where}: a refused session with amounts paid: {amounts}")
                continue
            if row["benefit_rule"]:
                if amounts["insurer_amount"] or amounts["supplement_amount"] > amounts["patient_copay"] + 0.005:
                    problems.append(f"{where}: a supplement above what the patient paid: {amounts}")
                if abs(amounts["patient_copay"] - amounts["supplement_amount"] - amounts["patient_pays"]) > 0.005:
                    problems.append(f"{where}: supplement + patient pays != paid: {amounts}")
            else:
                if abs(amounts["insurer_amount"] + amounts["patient_copay"] - amounts["provider_fee"]) > 0.005:
                    problems.append(f"{where}: insurer + co-payment != fee: {amounts}")
                if amounts["supplement_amount"] or abs(amounts["patient_pays"] - amounts["patient_copay"]) > 0.005:
                    problems.append(f"{where}: a convention session with a supplement or another payment: {amounts}")
    return problems


def simulation_problems(path: Path) -> list[str]:
    """Figures of a simulation table that cannot be: negative or not finite, or parts that do not add up."""
    problems = []
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            where = f"simulation {row['scenario']} {row['region']}"
            numbers = {}
            for key, text in row.items():
                try:
                    numbers[key] = float(text)
                except (TypeError, ValueError):
                    continue
            bad = {k: v for k, v in numbers.items() if not math.isfinite(v) or (v < 0 and not k.endswith("_vs_base"))}
            if bad:
                problems.append(f"{where}: negative or not finite: {bad}")
                continue
            n = numbers
            if n["sessions_individual"] + n["sessions_group"] != n["sessions"]:
                problems.append(f"{where}: individual + group sessions != sessions: {n}")
            income = n["insurer_cost"] - n["care_path_fees"] + n["patient_copay"]
            if abs(income - n["provider_income"]) > 0.01 * max(1.0, n["sessions"]):
                problems.append(f"{where}: insurer - care-path fees + co-payments != provider income: {n}")
            if n["patients"] > n["population"] or (n["sessions"] and not n["patients"]):
                problems.append(f"{where}: patients and sessions do not fit the population: {n}")
    return problems


def money_problems(folder: Path, scenario: str | None, year: int, table: Path) -> list[str]:
    """Where a simulation of money only (what compare's seed band runs) differs from the money columns of the full
    simulation in `table` (one region, Luxembourg)."""
    import numpy as np
    import pandas as pd

    from engine.policy.policies import load_policies
    from engine.simulation.run import MONEY_COLUMNS, simulate

    lean = simulate(load_policies(folder), [scenario] if scenario else [], year=year, regions=["luxemburg"],
                    workers=1, money_only=True).results
    full = pd.read_csv(table)[MONEY_COLUMNS]
    if lean.shape != full.shape or not np.array_equal(lean[MONEY_COLUMNS[2:]].to_numpy(float),
                                                      full[MONEY_COLUMNS[2:]].to_numpy(float)):
        return [f"simulation of money only {year}:\n{lean}\nfull:\n{full}"]
    return []


ADDED_UP = ("patients", "sessions", "refused_quota", "refused_other", "insurer_cost", "care_path_fees", "patient_copay",
            "supplements")


def breakdown_problems(national: Path, groups: Path) -> list[str]:
    """Figures of a breakdown whose groups do not add up to the national figure, per scenario."""
    def rows(path: Path) -> list[dict]:
        with path.open(encoding="utf-8", newline="") as handle:
            return list(csv.DictReader(handle))

    problems = []
    for total in rows(national):
        parts = [r for r in rows(groups) if r["scenario"] == total["scenario"]]
        for name in ADDED_UP:
            added = sum(float(r[name]) for r in parts)
            if abs(added - float(total[name])) > 0.01 * max(1, len(parts)):
                problems.append(f"breakdown {total['scenario']}: {name} of the groups add up to {added}, "
                                f"nationally {total[name]}")
    return problems


def run(args: list[str], log: list[str]) -> int | None:
    """One command in this process; an exception or a traceback is a problem, as is an exit code other than
    0, 2 or 3. Lines it printed to stderr with exit 2 are kept in the log (a refusal after validate)."""
    err = io.StringIO()
    try:
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            code = main(args)
    except SystemExit as exc:
        code = exc.code
    except Exception:  # noqa: BLE001 - every crash is what the campaign looks for
        log.append(f"CRASH {' '.join(args[:2])}: {traceback.format_exc().strip().splitlines()[-1]}")
        log.append(traceback.format_exc())
        return None
    text = err.getvalue()
    if "Traceback" in text:
        log.append(f"TRACEBACK {' '.join(args[:2])}: {text}")
    if code not in (0, 2, 3):
        log.append(f"EXIT {code} {' '.join(args[:2])}: {text.strip()}")
    elif code == 2:
        log.append(f"refused {' '.join(args)}: {text.strip()[:400]}")
    return code


def cell_problems(folder: Path, scenario: str | None) -> list[str]:
    """The Excel functions' lookups on the folder: an unexpected error in a cell is a problem."""
    import xl_addin.functions as fx

    convention = json.loads((folder / "riziv-psy-2021.json").read_text(encoding="utf-8"))
    leaders, settings = ([item["id"] for item in convention[key]] for key in ("leaders", "settings"))
    calls = [("CP_POLICIES", ())]
    for day in DAYS[::3]:
        calls += [("CP_FEE", ("individual", None, day)), ("CP_FEE", ("group", leaders[-1], day)),
                  ("CP_QUOTA", ("adults", "first_line", "individual", day))]
        calls += [("CP_COPAY", (age, kind, increased, first, day, setting))
                  for age, kind, increased, first, setting in ((20, "individual", False, True, None),
                                                              (40, "individual", True, False, settings[1 % len(settings)]),
                                                              (70, "group", False, False, settings[-1]))]
        calls += [("CP_PARAM", ("riziv-psy-2021.tariff.rows.individual.fee", day, scenario)),
                  ("CP_SOURCE", ("cm-psychotherapy.lifetime_cap", day, scenario))]
    calls.append(("CP_CARE_BUDGET", ("2027-01-31", "home", "belrai", 13, 14)))
    fx.SESSION.use(folder)
    try:
        answers = [(name, args, getattr(fx, name)(*args)) for name, args in calls]
    finally:
        fx.SESSION.use(None)
    return [f"{name}{args}: {answer}" for name, args, answer in answers
            if isinstance(answer, str) and answer.startswith("CP error: unexpected")]


def evaluator_problems(folder: Path, claims: Path, scenario: str | None) -> list[str]:
    """The columns in which the reference and vectorized evaluators disagree on the claims, on the threaded path
    too (its thresholds made small)."""
    from engine.claims.read import read_claims_table
    from engine.errors import CarePolicyError
    from engine.evaluate.pipeline import normalized
    from engine.evaluate.reference import evaluate_reference
    from engine.evaluate.vectorized import evaluate_vectorized, threads
    from engine.policy.policies import load_policies
    from engine.policy.scenarios import with_scenario

    try:
        policies = with_scenario(load_policies(folder), scenario)
        frame = normalized(read_claims_table(claims), policies)
        reference, _ = evaluate_reference(frame, policies)
    except CarePolicyError:
        return []  # the commands name the refusal
    problems = []
    for threaded, part in ((threads.THREADED, threads.PART), (1, 7)):
        saved = threads.THREADED, threads.PART
        threads.THREADED, threads.PART = threaded, part
        try:
            vectorized = evaluate_vectorized(frame, policies)
        finally:
            threads.THREADED, threads.PART = saved
        for column in reference.columns:
            left, right = (pd_text(reference[column]), pd_text(vectorized[column]))
            if left != right:
                at = next(i for i, (a, b) in enumerate(zip(left, right, strict=True)) if a != b)
                problems.append(f"evaluators ({'threaded' if part == 7 else 'one thread'}) differ in {column} on "
                                f"row {at + 1}: reference {left[at]}, vectorized {right[at]}")
    return problems


def pd_text(column) -> list[str]:
    """A result column as text, dates as YYYY-MM-DD, for comparing two evaluations."""
    import pandas as pd

    if column.name == "period_start":
        column = pd.to_datetime(column).astype(str)
    return [str(v) for v in column.to_numpy()]


CHEAP = "cheap"
EXPENSIVE = "expensive"


def run_commands(folder: Path, work: Path, level: str = CHEAP, scenario: str | None = None,
                 years: tuple[int, ...] = (2027,)) -> list[str]:
    """Run the commands on a folder `validate` accepted; the problems found and the refusals met, one line each.

    A problem line starts with CRASH, TRACEBACK, EXIT or NONSENSE; a refusal line with 'refused'."""
    log: list[str] = []
    policy = ["--policy", str(folder)]
    claims = work / "claims.csv"
    claims.write_text(declared_claims_csv(folder), encoding="utf-8")
    with_scenario = [[], ["--scenario", scenario]] if scenario else [[]]
    for extra in with_scenario:
        out = work / "out.csv"
        out.unlink(missing_ok=True)
        if run(["evaluate", str(claims), "-o", str(out), *extra, *policy], log) in (0, 3) and out.exists():
            log += [f"NONSENSE {line}" for line in result_problems(out)]
            log += [f"NONSENSE {line}" for line in evaluator_problems(folder, claims, extra[-1] if extra else None)]
            rows = len(out.read_text(encoding="utf-8").splitlines()) - 1
            if rows != len(claims.read_text(encoding="utf-8").splitlines()) - 1:
                log.append(f"NONSENSE evaluate: {rows} result rows for the claims' rows")
        for claim in ("n0-5", "n2-6", "o1-3", "o3-9"):
            run(["explain", str(claims), claim, *extra, *policy], log)
        for path in ("riziv-psy-2021.tariff.rows.individual.fee", "riziv-psy-2021.quota.period.months",
                     "cm-psychotherapy.benefits.adult.flat", "riziv-psy-2021.copayment.rules.youth_free.when.age"):
            for day in ("2021-09-01", "2027-07-01", "2028-02-29"):
                run(["value", path, day, *extra, *policy], log)
    log += [f"CRASH {line}" for line in cell_problems(folder, scenario)]
    run(["list", "parameters", *policy], log)
    run(["list", "scenarios", *policy], log)
    for setting, proof, score in (("home", "belrai", "13"), ("residential", "residence", None),
                                  ("home", "palliative", None)):
        run(["care-budget", "--application-date", "2027-01-31", "--setting", setting, "--proof", proof,
             *(["--score", score] if score else []), "--months", "14", *policy], log)
    if level == EXPENSIVE:
        for year in years:
            table = work / f"sim-{year}.csv"
            table.unlink(missing_ok=True)
            extra = ["-s", scenario] if scenario else []
            if run(["simulate", "-r", "luxemburg", "--year", str(year), "-q", "-o", str(table), *extra, *policy],
                   log) == 0:
                log += [f"NONSENSE {line}" for line in simulation_problems(table)]
                log += [f"NONSENSE {line}" for line in money_problems(folder, scenario, year, table)]
                groups = work / f"by-{year}.csv"
                if run(["simulate", "-r", "luxemburg", "--year", str(year), "-q", "--by", "care,mutuality,network",
                        "-o", str(groups), *extra, *policy], log) == 0:
                    log += [f"NONSENSE {line}" for line in breakdown_problems(table, groups)]
        if scenario:
            run(["impact", "-s", scenario, "-r", "luxemburg", "--year", str(years[0]), "-q", *policy], log)
        run(["compare", "--seeds", "2", "-r", "luxemburg", "-o", str(work / "x.xlsx"), "-q", *policy], log)
    return log


def failures(log: list[str]) -> list[str]:
    """The problem lines of a log (not the refusals)."""
    return [line for line in log if line.split(" ", 1)[0] in ("CRASH", "TRACEBACK", "EXIT", "NONSENSE")]
