"""`carepolicy compare`: the comparison workbook of the baseline and scenarios, with a short summary."""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from carepolicy.commands.simulate import progress_bar, run_simulation
from engine.errors import InputError
from engine.policy.files import display
from engine.policy.policies import load_policies
from engine.policy.scenarios import BASELINE, list_scenarios
from engine.simulation.band import band, simulate_seeds
from engine.simulation.run import DEFAULT_SEED, DEFAULT_YEAR, Simulation
from workbooks.comparison import DEFAULT_PATH, national_totals, write_workbook
from workbooks.labels import LANGUAGES

DEFAULT_SEEDS = 3


def register(sub) -> None:
    p = sub.add_parser("compare", help="build the comparison workbook (.xlsx) of the baseline and scenarios")
    p.add_argument("--scenario", "-s", action="append", default=[],
                   help="a bundled scenario name or a scenario file (repeatable; default: every bundled scenario; "
                        "the baseline is always included)")
    p.add_argument("--year", type=int, default=DEFAULT_YEAR, help=f"simulated year (default {DEFAULT_YEAR})")
    p.add_argument("--region", "-r", action="append", default=[], help="limit to these regions (repeatable)")
    p.add_argument("--seed", type=int, default=DEFAULT_SEED, help="random seed of the synthetic patients")
    p.add_argument("--seeds", default=str(DEFAULT_SEEDS), metavar="N",
                   help=f"show the band of each change over N seeds (--seed, --seed + 1, ...) on Summary "
                        f"(default {DEFAULT_SEEDS}; 1 for none, which is faster)")
    p.add_argument("--lang", choices=LANGUAGES, default="en",
                   help="language of the sheet labels and region names: en, fr or nl (default en)")
    p.add_argument("-o", "--output", type=Path, default=DEFAULT_PATH,
                   help=f"the workbook to write (default: {display(DEFAULT_PATH)})")
    p.add_argument("--policy", help="policy folder (default: the bundled policy/)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    target = args.output
    if target.suffix.lower() != ".xlsx":
        raise InputError(f"{display(target)}: expected an output file ending in .xlsx, found {target.suffix or 'no extension'!r}")
    if target.is_dir():
        raise InputError(f"{display(target)}: expected an output file ending in .xlsx, found a folder")
    try:
        seeds = int(args.seeds)
    except ValueError:
        seeds = 0
    if seeds < 1:
        raise InputError(f"seeds: expected a whole number of 1 or more, found {args.seeds!r}")
    if not args.scenario:
        args.scenario = [s.name for s in list_scenarios(args.policy) if s.name != BASELINE]
    sim = run_simulation(args)
    seed_band = _band(sim, args, seeds) if seeds > 1 else None
    path = write_workbook(sim, target, band=seed_band, seeds=seeds, lang=args.lang)
    print(summary(sim, seed_band))
    print(f"wrote {display(path)}")
    return 0


def _band(sim: Simulation, args: argparse.Namespace, seeds: int) -> pd.DataFrame:
    """The band over `seeds` seeds: the run already made, and seeds - 1 more."""
    more = simulate_seeds(load_policies(args.policy), args.scenario, seeds=seeds - 1, seed=args.seed + 1, year=args.year,
                          regions=args.region or None, progress=progress_bar(f"seed band, {seeds - 1} more seeds"))
    return band(pd.concat([sim.results.assign(seed=args.seed), more], ignore_index=True))


def summary(sim: Simulation, seed_band: pd.DataFrame | None = None) -> str:
    """National insurer cost and co-payments per scenario, with the difference to the baseline (and its band)."""
    totals = national_totals(sim)
    regions = "all regions" if len(sim.region_ids) == len(sim.regions.regions) else ", ".join(sim.region_ids)
    lines = [f"Compared {len(totals)} scenario(s), {sim.year}, {regions} (EUR)",
             f"{'scenario':<24}{'insurer cost':>17}{'vs baseline':>15}{'co-payments':>15}{'vs baseline':>15}"
             + (f"{'band of the change over the seeds':>40}" if seed_band is not None else "")]
    ranges = {} if seed_band is None else {
        r.scenario: (r.low, r.high) for r in seed_band[seed_band["metric"] == "insurer_cost_vs_baseline"].itertuples()}
    for scenario, row in totals.iterrows():
        line = (f"{scenario:<24}{row['insurer_cost']:>17,.2f}{row['insurer_cost_vs_baseline']:>+15,.2f}"
                f"{row['patient_copay']:>15,.2f}{row['patient_copay_vs_baseline']:>+15,.2f}")
        if scenario in ranges and scenario != BASELINE:
            low, high = ranges[scenario]
            line += f"{f'{low:+,.0f} to {high:+,.0f}':>40}"
        lines.append(line)
    return "\n".join(lines)
