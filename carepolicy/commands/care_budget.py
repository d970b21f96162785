"""`carepolicy care-budget`: the Flemish care budget schedule of one person, printed or written to a file."""

from __future__ import annotations

import argparse
from pathlib import Path

from carepolicy import options


def register(sub) -> None:
    p = sub.add_parser("care-budget", help="the care budget schedule of one person: months, amounts, payment dates",
                       description="The Flemish care budget for people with a high need of care, for one person: "
                                   "eligibility, the first entitled month, and per month the amount and payment date, "
                                   "with the source of every value.")
    p.add_argument("--application-date", required=True, metavar="D", help="date of the application, YYYY-MM-DD or DD/MM/YYYY")
    p.add_argument("--setting", required=True, help="home or residential (the policy's payment settings)")
    p.add_argument("--proof", required=True, metavar="KIND",
                   help="belrai, adl_iadl, medico_social, child_support, palliative, residence (the policy's proofs)")
    p.add_argument("--score", help="the score on the proof, for proofs with a threshold (5.5 or 5,5)")
    p.add_argument("--months", default="12", metavar="N", help="number of entitled months to list (default 12)")
    p.add_argument("--renewal", action="store_true",
                   help="not a first application (proofs for a first application only then do not count)")
    p.add_argument("-o", "--output", type=options.output_file, metavar="OUT", help="write the schedule to .csv, .xlsx or .parquet")
    options.add_policy(p)
    p.add_argument("--allowance", help="id of the monthly-allowance policy (default: the only one loaded)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from engine.claims.read import claims_format
    from engine.evaluate.care_budget import schedule
    from engine.policy.files import display
    from engine.policy.policies import load_policies

    if args.output is not None:
        claims_format(args.output, "schedule")
    applied = options.day_value(args.application_date, "--application-date")
    budget = schedule(load_policies(args.policy), applied, args.setting, args.proof,
                      args.score, args.months, first_application=not args.renewal, allowance=args.allowance)
    if not budget.eligible:
        print(f"not eligible: {budget.reason}")
    if args.output is not None:
        write(budget, args.output)
        print(f"wrote {len(budget.rows)} month(s) to {display(args.output)}, total EUR {budget.total:.2f}")
    else:
        show(budget)
    return 0


def show(budget) -> None:
    """The schedule as a table with the source of each amount, a total, and the other values used."""
    if budget.eligible:
        print(f"first entitled month {budget.first_month}")
        print(f"{'month':<8} {'amount':>9}  {'payment date':<12}  source")
        for row in budget.rows.itertuples(index=False):
            print(f"{row.month:<8} {row.amount:>9.2f}  {row.payment_date.isoformat():<12}  "
                  f"{row.source} (from {row.amount_from})")
        print(f"{'total':<8} {budget.total:>9.2f}  ({len(budget.rows)} months)")
    if budget.used:
        print("values used:")
        for resolved in budget.used:
            print(f"  {resolved.describe()}")


def write(budget, path: Path) -> None:
    """The columns month, amount, payment_date to a .csv, .xlsx or .parquet file, atomically."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from engine.claims.read import claims_format
    from engine.evaluate.care_budget import OUTPUT_COLUMNS
    from engine.io.atomic import atomic_path

    schema = pa.schema([("month", pa.string()), ("amount", pa.float64()), ("payment_date", pa.date32())])
    suffix = claims_format(path, "schedule")
    frame = budget.rows[OUTPUT_COLUMNS]
    with atomic_path(path) as tmp:
        if suffix == ".csv":
            frame.to_csv(tmp, index=False, float_format="%.2f")
        elif suffix == ".xlsx":
            frame.to_excel(tmp, index=False, engine="openpyxl")
        else:
            pq.write_table(pa.Table.from_pandas(frame, schema=schema, preserve_index=False), tmp)
