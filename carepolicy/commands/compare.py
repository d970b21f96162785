"""`carepolicy compare`: the comparison workbook of the baseline and scenarios, with a short summary."""

from __future__ import annotations

import argparse

from carepolicy import options
from carepolicy.commands.simulate import add_simulation_options, add_years_options, defaults, run_simulation
from carepolicy.progress import progress_bar
from workbooks.labels import LANGUAGES

DEFAULT_SEEDS = 3


def register(sub) -> None:
    p = sub.add_parser("compare", help="build the comparison workbook (.xlsx) of the baseline and scenarios",
                       description="Simulate the baseline and the scenarios and write the comparison workbook: "
                                   "sources, parameters, results per region, differences to the baseline with "
                                   "formulas and charts, and a What-if sheet. Prints national insurer cost and "
                                   "co-payments per scenario.")
    add_simulation_options(p, "a bundled scenario name or a scenario file, comma-separated or repeated (default: "
                              "every bundled scenario; the baseline is always included; see: carepolicy list scenarios)")
    p.add_argument("--seeds", default=str(DEFAULT_SEEDS), metavar="N",
                   help=f"show the band of each change over N seeds (--seed, --seed + 1, ...) on Summary "
                        f"(default {DEFAULT_SEEDS}; 1 for none, which is faster)")
    add_years_options(p, "add the Several years sheet: the insurer cost of every scenario per year of the range, e.g. "
                         "2025-2030, as lines (the other sheets show --year)", "run the runs of --years and --sensitivity")
    p.add_argument("--sensitivity", action="store_true",
                   help="add the Sensitivity sheet: every assumed figure of the region data varied over its range, "
                        "as a tornado of the baseline's insurer cost (as carepolicy sensitivity; takes minutes)")
    p.add_argument("--lang", choices=LANGUAGES, default="en",
                   help="language of the sheet labels and region names: en, fr or nl (default en)")
    p.add_argument("-o", "--output", type=options.workbook_file,
                   help="the workbook to write (default: workbooks/generated/comparison.xlsx in the repository)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    import contextlib
    import functools

    from engine.errors import InputError
    from engine.policy.files import display
    from engine.policy.policies import load_policies
    from engine.policy.scenarios import BASELINE, list_scenarios
    from engine.simulation.sensitivity import sensitivity
    from engine.simulation.years import check_years, simulate_years, year_range
    from workbooks.comparison import DEFAULT_PATH, write_workbook

    target = args.output or DEFAULT_PATH
    if target.suffix.lower() != ".xlsx":
        raise InputError(f"{display(target)}: expected an output file ending in .xlsx, found {target.suffix or 'no extension'!r}")
    try:
        seeds = int(args.seeds)
    except ValueError:
        seeds = 0
    if seeds < 1:
        raise InputError(f"seeds: expected a whole number of 1 or more, found {args.seeds!r}")
    if not args.scenario:
        args.scenario = [s.name for s in list_scenarios(args.policy) if s.name != BASELINE]
    years = year_range(args.years) if args.years else None
    policies = load_policies(args.policy)
    if years:
        check_years(policies, years)  # before any run starts
    defaults(args)  # the year and seed, which the band's other seeds follow
    with contextlib.ExitStack() as stack:
        more = stack.enter_context(_more_seeds(policies, args, seeds))  # they run beside the first seed's run
        # winners and losers from the same synthetic patients as the comparison (common random numbers)
        sim = run_simulation(args, impact=("age_band",), workers=_cores_left(more))
        winners = sim.impact
        seed_band = functools.cache(lambda: _band(sim, args, seeds, more) if more else None)
        if years or args.sensitivity:  # their runs take every core: the band's seeds and processes end first
            seed_band()
            stack.close()
        by_year = simulate_years(policies, args.scenario, years=years, seed=args.seed, regions=args.region or None,
                                 scheduler=args.scheduler,
                                 progress=progress_bar(f"simulating {years[0]}-{years[-1]}", args.quiet)) if years else None
        varied = sensitivity(policies, args.scenario, year=args.year, seed=args.seed, regions=args.region or None,
                             scheduler=args.scheduler, progress=progress_bar(f"sensitivity of {args.year}", args.quiet)) \
            if args.sensitivity else None
        # the band's seeds finish while this process writes every sheet but the Summary, which waits for them
        path = write_workbook(sim, target, band=seed_band, seeds=seeds, lang=args.lang, impact=winners, years=by_year,
                              sensitivity=varied)
    print(summary(sim, seed_band(), winners))
    print(f"wrote {display(path)}")
    return 0


def _more_seeds(policies, args: argparse.Namespace, seeds: int):
    """The runs of the band's seeds after the first (--seed + 1, ...), started in worker processes; a context that
    stops them if the command fails. Nothing to run (a null context) without a band.

    The band leaves a core to the first seed's run: no more processes compute than there are cores,
    or two on one core (on two cores, one worker runs the further seeds region by region, and this process takes on
    the regions it has not started once the workbook waits for them). Three processes on two cores took a third
    longer, most of it the kernel's, in faulting in the memory of runs that displace each other.
    """
    import contextlib
    import os

    from engine.simulation.band import seeds_beside

    if seeds < 2:
        return contextlib.nullcontext()
    return seeds_beside(policies, args.scenario, seeds=seeds - 1, seed=args.seed + 1, year=args.year,
                        regions=args.region or None, workers=max(1, (os.cpu_count() or 1) - 1),
                        money_only=True)  # the band shows the change in costs


def _cores_left(more) -> int | None:
    """The worker processes of the first seed's run: the cores the band's processes leave (at least one, this
    process); None (one per core) without a band."""
    import os

    return max(1, (os.cpu_count() or 1) - more.workers) if more else None


def _band(sim, args: argparse.Namespace, seeds: int, more):
    """The band over `seeds` seeds of the money columns (a frame): the run already made, and the seeds - 1 runs of
    `more`."""
    import pandas as pd

    from engine.simulation.band import band, seed_table
    from engine.simulation.run import MONEY_COLUMNS

    frames = more.results(progress_bar(f"seed band, {seeds - 1} more seeds", args.quiet))
    first = sim.results[MONEY_COLUMNS].assign(seed=args.seed)
    return band(pd.concat([first, seed_table(frames)], ignore_index=True))


def summary(sim, seed_band=None, winners=None) -> str:
    """National insurer cost and co-payments per scenario, with the difference to the baseline (and its band), and the
    patients better and worse off when an impact table is given."""
    from engine.policy.scenarios import BASELINE
    from workbooks.comparison import national_totals
    from workbooks.winners import national_winners

    totals = national_totals(sim)
    regions = "all regions" if len(sim.region_ids) == len(sim.regions.regions) else ", ".join(sim.region_ids)
    lines = [f"Compared {len(totals)} scenario(s), {sim.year}, {regions} (EUR)",
             f"{'scenario':<24}{'insurer cost':>17}{'vs baseline':>15}{'co-payments':>15}{'vs baseline':>15}"
             + (f"{'better off':>12}{'worse off':>12}" if winners is not None else "")
             + (f"{'band of the change over the seeds':>40}" if seed_band is not None else "")]
    counts = national_winners(winners) if winners is not None else {}
    ranges = {} if seed_band is None else {
        r.scenario: (r.low, r.high) for r in seed_band[seed_band["metric"] == "insurer_cost_vs_baseline"].itertuples()}
    for scenario, row in totals.iterrows():
        line = (f"{scenario:<24}{row['insurer_cost']:>17,.2f}{row['insurer_cost_vs_baseline']:>+15,.2f}"
                f"{row['patient_copay']:>15,.2f}{row['patient_copay_vs_baseline']:>+15,.2f}")
        if winners is not None:
            better, worse = counts.get(scenario, (0, 0))
            line += f"{better:>12,}{worse:>12,}"
        if scenario in ranges and scenario != BASELINE:
            low, high = ranges[scenario]
            line += f"{f'{low:+,.0f} to {high:+,.0f}':>40}"
        lines.append(line)
    return "\n".join(lines)
