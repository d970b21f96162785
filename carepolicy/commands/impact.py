"""`carepolicy impact`: winners and losers of a scenario against the baseline, patient by patient."""

from __future__ import annotations

import argparse
import math
from typing import TYPE_CHECKING

from carepolicy import options
from carepolicy.commands.simulate import add_years_options, by_help, defaults, seeds_of, years_table
from carepolicy.progress import progress_bar
from carepolicy.wording import counted

if TYPE_CHECKING:
    import pandas as pd

SHOWN = {"patients": "patients", "better_off": "better off", "worse_off": "worse off", "unchanged": "unchanged",
         "out_of_pocket_change": "out of pocket EUR", "mean_change_better_off": "mean gain EUR",
         "mean_change_worse_off": "mean loss EUR", "insurer_cost_change": "insurer EUR",
         "sessions_change": "sessions", "refused_change": "refused"}


def register(sub) -> None:
    p = sub.add_parser("impact", help="who is better or worse off under a scenario than under the baseline",
                       description="Compare each synthetic patient's year under the scenarios with the baseline: "
                                   "patients better and worse off, changes in out-of-pocket, insurer cost, "
                                   "supplements, sessions and refusals, nationally or per group.")
    options.add_scenarios(p, "a bundled scenario name or a scenario file, comma-separated or repeated "
                             "(see: carepolicy list scenarios)")
    p.add_argument("--year", type=int, help="simulated year (default: next year)")
    add_years_options(p)
    p.add_argument("--by", metavar="DIM[,DIM...]", help=by_help().replace("the results", "the winners and losers"))
    options.add_regions(p)
    p.add_argument("--seed", type=int, help="random seed of the synthetic patients (default 1)")
    p.add_argument("--seeds", default="1", metavar="N",
                   help="run N seeds and show each figure's mean and range over them; with -o, one row per seed "
                        "(default 1)")
    p.add_argument("-o", "--output", type=options.output_file,
                   help="write the table to .csv, .parquet or .xlsx instead of printing it")
    options.add_policy(p)
    options.add_quiet(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from engine.errors import InputError
    from engine.io.tables import check_output, write_table
    from engine.policy.policies import load_policies
    from engine.simulation.breakdown import parse_by
    from engine.simulation.impact import MONEY, impact

    if not args.scenario:
        raise InputError("impact: expected a scenario (-s NAME), found none (see: carepolicy list scenarios)")
    defaults(args)
    seeds = seeds_of(args)
    dims = parse_by(args.by)
    if args.years or args.scheduler:
        return run_years(args, seeds, dims)
    if args.output:
        check_output(args.output)
    table = impact(load_policies(args.policy), args.scenario, year=args.year, seed=args.seed,
                   regions=args.region or None, by=dims, seeds=seeds,
                   progress=progress_bar(f"simulating {args.year}" + (f", {seeds} seeds" if seeds > 1 else ""), args.quiet))
    if args.output:
        path = write_table(table, args.output, MONEY)
        print(f"wrote {counted(len(table), 'row')} to {path}")
        return 0
    print(summary(table, dims, args.year, seeds))
    return 0


def run_years(args: argparse.Namespace, seeds: int, dims: tuple[str, ...]) -> int:
    """Several years (or one on a dask scheduler): the long impact table with a year column to a file, or printed
    year by year."""
    from engine.io.tables import write_table
    from engine.simulation.impact import MONEY

    table, years = years_table(args, seeds, by=dims, table="impact")
    if args.output:
        path = write_table(table, args.output, MONEY)
        print(f"wrote {counted(len(table), 'row')} ({counted(len(years), 'year')}) to {path}")
        return 0
    bases = ("year", "population_basis", "uptake_basis")
    for i, (year, rows) in enumerate(table.groupby("year", sort=True)):
        basis = rows.iloc[0]
        print(("\n" if i else "") + summary(rows.drop(columns=[c for c in bases if c in rows]), dims, year, seeds))
        if "population_basis" in rows:
            print(f"basis of {year} (population; uptake): {basis['population_basis']}; {basis['uptake_basis']}")
    return 0


def summary(table: pd.DataFrame, dims: tuple[str, ...], year: int, seeds: int) -> str:
    """Per scenario, one line per group (or the national line); with several seeds, the mean [low, high]."""
    head = (f"Impact in {year} against the baseline, " + (f"by {', '.join(dims)}" if dims else "national")
            + (f", mean [lowest, highest] over {seeds} seeds" if seeds > 1 else "")
            + ": patients better off / worse off by more than one cent in what they pay after mutuality supplements")
    if seeds > 1:
        from engine.simulation.impact import impact_band

        return "\n".join([head, "", _band_lines(impact_band(table), dims)])
    width = max(16, *(len(" / ".join(map(str, row))) + 2 for row in table[list(dims)].itertuples(index=False)))
    lines = [head]
    for scenario, rows in table.groupby("scenario", sort=False):
        lines += ["", scenario, f"{' / '.join(dims) or 'group':<{width}}" + "".join(f"{h:>19}" for h in SHOWN.values())]
        for _, row in rows.iterrows():
            label = " / ".join(str(row[d]) for d in dims) or "national"
            lines.append(f"{label:<{width}}" + "".join(f"{_fmt(row[c], c):>19}" for c in SHOWN))
        if dims:
            lines.append(f"{'total':<{width}}" + "".join(f"{_total(rows, c):>19}" for c in SHOWN))
    return "\n".join(lines)


def _total(rows: pd.DataFrame, column: str) -> str:
    if column.startswith("mean_change_"):
        side = "better_off" if column.endswith("better_off") else "worse_off"
        count = rows[side].sum()
        total = (rows[column].fillna(0) * rows[side]).sum()
        return _fmt(total / count if count else math.nan, column)
    return _fmt(rows[column].sum(), column)


def _fmt(value: float, column: str) -> str:
    from engine.simulation.impact import MONEY

    if isinstance(value, float) and math.isnan(value):
        return "–"
    if column in MONEY:
        return f"{value:+,.2f}" if column.startswith("mean_change_") else f"{value:+,.0f}"
    return f"{value:+,.0f}" if column.endswith("_change") else f"{value:,.0f}"


def _band_lines(bands: pd.DataFrame, dims: tuple[str, ...]) -> str:
    from engine.simulation.impact import IMPACT_METRICS

    lines = [f"{'scenario':<24}{' / '.join(dims) or 'group':<20}{'figure':<24}{'mean':>16}{'low':>16}{'high':>16}"]
    for _, row in bands[bands["metric"].isin(IMPACT_METRICS)].iterrows():
        label = " / ".join(str(row[d]) for d in dims) or "national"
        cells = [_fmt(row[c], row["metric"]) for c in ("mean", "low", "high")]
        lines.append(f"{row['scenario']:<24}{label:<20}{row['metric']:<24}" + "".join(f"{c:>16}" for c in cells))
    return "\n".join(lines)
