"""`carepolicy evaluate CLAIMS -o RESULTS`: who pays what for every claim of a file, and why."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from carepolicy import options

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
    options.add_quiet(p)
    p.set_defaults(run=run)


def policies_for(policy: str | None, scenario: str | None):
    """The policies of a folder (an engine PolicySet), with a scenario applied when one is named."""
    from engine.policy.policies import load_policies
    from engine.policy.scenarios import with_scenario

    return with_scenario(load_policies(policy), scenario)


def run(args: argparse.Namespace) -> int:
    from engine.errors import InputError
    from engine.evaluate.pipeline import evaluate_file
    from engine.policy.files import display

    if args.memory is not None and args.memory < 1:
        raise InputError(f"--memory: expected a number of MiB of 1 or more, found {args.memory}")
    policies = policies_for(args.policy, options.one_scenario(args))
    memory = args.memory * (1 << 20) if args.memory is not None else None
    summary = evaluate_file(args.claims, args.output, policies, chunk_rows=args.chunk_rows, memory=memory,
                            keep_input=args.keep_input, csv_dialect=args.csv_dialect)
    print(report(summary, args.claims, args.output, policies.scenario))
    if summary.invalid:
        print(f"{summary.invalid:,} malformed row(s) kept in {display(args.output)} with covered false and reason "
              f"'invalid: <column>: …' (see the row column)", file=sys.stderr)
        return INVALID_EXIT
    return 0


def euros(cents: int) -> str:
    """Whole cents as euros with thousands separators, exactly."""
    sign = "-" if cents < 0 else ""
    whole, rest = divmod(abs(cents), 100)
    return f"{sign}€ {whole:,}.{rest:02d}"


def report(summary, claims: Path, output: Path, scenario: str) -> str:
    """The short summary printed after an evaluation (`summary`: an engine.evaluate.pipeline.Summary)."""
    from engine.policy.files import display

    total = sum(summary.seconds.values())
    parts = ", ".join(f"{name} {sec:.2f}" for name, sec in summary.seconds.items())
    chunks = (f" in {summary.chunks} patient-complete chunks (largest {summary.largest_chunk:,} rows with the "
              f"other participants of its groups)" if summary.chunks > 1 else "")
    refused = sum(summary.refused.values())
    reasons = ", ".join(f"{reason} {count:,}" for reason, count in summary.refused.most_common())
    c = summary.cents
    return "\n".join([
        f"{display(claims)} -> {display(output)} (scenario {scenario}): {summary.rows:,} rows{chunks} "
        f"in {total:.2f} s ({parts})",
        f"covered {summary.covered:,}; refused {refused:,}" + (f" ({reasons})" if reasons else "")
        + f"; invalid {summary.invalid:,}",
        f"totals: insurer {euros(c['insurer_amount'])} + care-path fees {euros(c['care_path_fee'])}; "
        f"patients {euros(c['patient_pays'])}; mutuality supplements {euros(c['supplement_amount'])}",
    ])
