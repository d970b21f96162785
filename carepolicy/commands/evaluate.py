"""`carepolicy evaluate CLAIMS -o RESULTS`: who pays what for every claim of a file, and why."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from carepolicy import options
from carepolicy.progress import stage_bar

INVALID_EXIT = 3


def register(sub) -> None:
    p = sub.add_parser("evaluate", help="evaluate a claims file (.csv, .parquet, .xlsx) into a results file",
                       description="Evaluate every claim of a file. Exit 0 when every row was valid, 3 when some "
                                   "rows were malformed (they are in the output with reason 'invalid: …'), "
                                   "2 on a user error.")
    p.add_argument("claims", type=Path, help="claims file: .csv, .parquet or .xlsx")
    p.add_argument("-o", "--output", type=options.output_file, required=True, help="results file: .csv, .parquet or .xlsx")
    options.add_scenarios(p, "a bundled scenario name or a scenario file to apply first (see: carepolicy list scenarios)")
    options.add_policy(p)
    p.add_argument("--csv-dialect", choices=["excel", "excel-be"], default="excel",
                   help="a .csv output's separator and decimal mark: excel (',' and '.', the default) or "
                        "excel-be (';' and ',', as a Belgian Excel opens it)")
    p.add_argument("--chunk-rows", type=int, metavar="N",
                   help="evaluate in patient-complete chunks of about N rows (default: only when the file "
                        "would not fit in memory)")
    p.add_argument("--memory", type=int, metavar="MIB",
                   help="memory budget in MiB that decides chunking (default: half the available memory)")
    p.add_argument("--keep-input", action="store_true",
                   help="carry the input's columns into the results, as input_<column>, after the result columns")
    p.add_argument("--summary", type=options.output_file, metavar="FILE",
                   help="also write the rows and amounts by month, scheme and outcome to .csv, .parquet or .xlsx "
                        "(an .xlsx results file holds them anyway, on its sheet 'summary')")
    options.add_quiet(p)
    p.set_defaults(run=run)


def policies_for(policy: str | None, scenario: str | None):
    """The policies of a folder (an engine PolicySet), with a scenario applied when one is named."""
    from engine.policy.policies import load_policies
    from engine.policy.scenarios import with_scenario

    return with_scenario(load_policies(policy), scenario)


def run(args: argparse.Namespace) -> int:
    from engine.errors import InputError
    from engine.evaluate.plan import read_ahead

    if args.memory is not None and args.memory < 1:
        raise InputError(f"--memory: expected a number of MiB of 1 or more, found {args.memory}")
    memory = args.memory * (1 << 20) if args.memory is not None else None
    ahead = read_ahead(args.claims, args.chunk_rows, memory)  # reads while the engine is imported and the policies load

    from engine.evaluate.pipeline import evaluate_file
    from engine.evaluate.summary import in_euros
    from engine.io.tables import check_output, write_table

    if args.summary is not None:
        check_output(args.summary)
    policies = policies_for(args.policy, options.one_scenario(args))
    summary = evaluate_file(args.claims, args.output, policies, chunk_rows=args.chunk_rows, memory=memory,
                            keep_input=args.keep_input, csv_dialect=args.csv_dialect,
                            progress=stage_bar("evaluate", args.quiet), ahead=ahead)
    table = summary.tally.table()
    print(report(summary, table, args.claims, args.output, policies.scenario, args.summary is None))
    if args.summary is not None:
        euros = in_euros(table)
        path = write_table(euros, args.summary, list(AMOUNT_NAMES))
        print(f"wrote the summary by month, scheme and outcome ({len(euros):,} rows) to {path}")
    if summary.invalid:
        print(malformed(summary, args.output), file=sys.stderr)
        return INVALID_EXIT
    return 0


AMOUNT_NAMES = {"insurer_amount": "insurer", "care_path_fee": "care-path fees", "patient_pays": "patients",
                "supplement_amount": "supplements", "provider_fee": "fees charged"}
SHORT_TABLE = 30
"""The summary by month, scheme and outcome is printed when it has at most this many rows."""


def report(summary, table, claims: Path, output: Path, scenario: str, month_hint: bool = True) -> str:
    """The summary printed after an evaluation: rows and time, outcomes, totals of covered sessions by scheme,
    and the rows by month, scheme and outcome (`summary`: an engine.evaluate.pipeline.Summary, `table` its
    tally's table)."""
    from engine.evaluate.summary import COVERED
    from engine.policy.files import display
    from engine.quantities import amount, euro_cents

    total = sum(summary.seconds.values())
    parts = ", ".join(f"{name} {sec:.2f}" for name, sec in summary.seconds.items())
    chunks = (f" in {summary.chunks} patient-complete chunks (largest {summary.largest_chunk:,} rows with the "
              f"other participants of its groups)" if summary.chunks > 1 else "")
    refused = sum(summary.refused.values())
    reasons = ", ".join(f"{reason} {count:,}" for reason, count in summary.refused.most_common())
    covered = table[table["outcome"] == COVERED]
    by_scheme = covered.groupby("scheme")[["rows", *AMOUNT_NAMES]].sum()
    c = by_scheme.sum()
    lines = [
        f"{display(claims)} -> {display(output)} (scenario {scenario}): {summary.rows:,} rows{chunks} "
        f"in {total:.2f} s ({parts})",
        f"covered {summary.covered:,}; refused {refused:,}" + (f" ({reasons})" if reasons else "")
        + f"; invalid {summary.invalid:,}",
        f"totals of covered sessions: insurer {euro_cents(c.get('insurer_amount', 0))} + care-path fees "
        f"{euro_cents(c.get('care_path_fee', 0))}; patients {euro_cents(c.get('patient_pays', 0))}; mutuality supplements "
        f"{euro_cents(c.get('supplement_amount', 0))}",
    ]
    if len(by_scheme):
        heads = ["sessions", *list(AMOUNT_NAMES.values())[:4]]
        lines += ["", f"{'covered, by scheme (EUR)':<26}" + "".join(f"{h:>16}" for h in heads)]
        for scheme, row in by_scheme.iterrows():
            lines.append(f"{scheme:<26}{row['rows']:>16,}" + "".join(f"{amount(row[n]):>16}" for n in list(AMOUNT_NAMES)[:4]))
    refused_fees = table.loc[(table["outcome"] != COVERED) & ~table["outcome"].str.startswith("invalid"), "provider_fee"].sum()
    if refused:
        lines.append(f"refused sessions are in no total; the fees charged for them add up to {euro_cents(refused_fees)} "
                     f"(outside the convention the patient pays them in full)")
    sheet = f" (on the sheet 'summary' of {display(output)})" if output.suffix.lower() == ".xlsx" else ""
    lines += _months(table, sheet or (" (--summary FILE writes it)" if month_hint else ""))
    return "\n".join(lines)


def _months(table, more: str) -> list[str]:
    """The rows by month, scheme and outcome, when short enough to read on a console; else their number and `more`."""
    from engine.quantities import amount

    if len(table) > SHORT_TABLE:
        return [f"by month, scheme and outcome: {len(table):,} lines{more}"]
    lines = ["", f"{'month':<9}{'scheme':<24}{'outcome':<34}{'sessions':>10}{'insurer':>14}{'patients':>14}"
                 f"{'fees charged':>14}"]
    for row in table.itertuples(index=False):
        lines.append(f"{row.month:<9}{row.scheme or '-':<24}{row.outcome:<34}{row.rows:>10,}"
                     f"{amount(row.insurer_amount):>14}{amount(row.patient_pays):>14}{amount(row.provider_fee):>14}")
    return lines


def malformed(summary, output: Path) -> str:
    """The malformed rows: how many, the three most common problems with the first row of each; when every
    row is malformed, the likely cause."""
    from engine.evaluate.summary import found, likely_cause, problem
    from engine.policy.files import display

    tally = summary.tally
    lines = [f"{summary.invalid:,} malformed row(s) kept in {display(output)} with covered false and reason "
             f"'invalid: <column>: …' (see the row column); most common:"]
    for m in tally.most_common(3):
        lines.append(f"  {m.count:,} × {problem(m.reason)} (first on row {m.first_row:,}, found {found(m.reason)})")
    if summary.invalid == summary.rows:
        top = tally.most_common(1)[0]
        lines.append(f"every row is invalid: {top.count:,} of {summary.rows:,} for {problem(top.reason).split(':')[0]} "
                     f"— {likely_cause(top.reason)}")
    return "\n".join(lines)
