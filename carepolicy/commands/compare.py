"""`carepolicy compare`: the comparison workbook of the baseline and scenarios, with a short summary."""

from __future__ import annotations

import argparse
from pathlib import Path

from carepolicy.commands.simulate import run_simulation
from engine.errors import InputError
from engine.policy.files import display
from engine.policy.scenarios import BASELINE, list_scenarios
from engine.simulation.run import DEFAULT_SEED, DEFAULT_YEAR, Simulation
from workbooks.comparison import DEFAULT_PATH, national_totals, write_workbook


def register(sub) -> None:
    p = sub.add_parser("compare", help="build the comparison workbook (.xlsx) of the baseline and scenarios")
    p.add_argument("--scenario", "-s", action="append", default=[],
                   help="a bundled scenario name or a scenario file (repeatable; default: every bundled scenario; "
                        "the baseline is always included)")
    p.add_argument("--year", type=int, default=DEFAULT_YEAR, help=f"simulated year (default {DEFAULT_YEAR})")
    p.add_argument("--region", "-r", action="append", default=[], help="limit to these regions (repeatable)")
    p.add_argument("--seed", type=int, default=DEFAULT_SEED, help="random seed of the synthetic patients")
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
    if not args.scenario:
        args.scenario = [s.name for s in list_scenarios(args.policy) if s.name != BASELINE]
    sim = run_simulation(args)
    path = write_workbook(sim, target)
    print(summary(sim))
    print(f"wrote {display(path)}")
    return 0


def summary(sim: Simulation) -> str:
    """National insurer cost and co-payments per scenario, with the difference to the baseline."""
    totals = national_totals(sim)
    regions = "all regions" if len(sim.region_ids) == len(sim.regions.regions) else ", ".join(sim.region_ids)
    lines = [f"Compared {len(totals)} scenario(s), {sim.year}, {regions} (EUR)",
             f"{'scenario':<24}{'insurer cost':>17}{'vs baseline':>15}{'co-payments':>15}{'vs baseline':>15}"]
    for scenario, row in totals.iterrows():
        lines.append(f"{scenario:<24}{row['insurer_cost']:>17,.2f}{row['insurer_cost_vs_baseline']:>+15,.2f}"
                     f"{row['patient_copay']:>15,.2f}{row['patient_copay_vs_baseline']:>+15,.2f}")
    return "\n".join(lines)
