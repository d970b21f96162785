"""`carepolicy simulate`: the budget of the baseline and scenarios per region, as a table or a file."""

from __future__ import annotations

import argparse

from carepolicy import options
from carepolicy.progress import progress_bar
from carepolicy.wording import counted

REGIONAL = ("note: uptake by age is the same in every region: regional differences reflect population structure only "
            "(age and the share with increased reimbursement)")
SHOWN = {"patients": "patients", "sessions": "sessions", "refused_quota": "refused (quota)",
         "insurer_cost": "insurer EUR", "patient_copay": "co-payments EUR", "supplements": "supplements EUR"}


def register(sub) -> None:
    p = sub.add_parser("simulate", help="simulate the budget per region under the baseline and scenarios",
                       description="Simulate a year of psychological care on synthetic patients for the baseline "
                                   "and the scenarios, per region: patients, sessions, refusals, insurer cost, "
                                   "co-payments. Prints national totals, or writes one row per scenario and region.")
    add_simulation_options(p, "a bundled scenario name or a scenario file, comma-separated or repeated (the baseline "
                              "is always included; see: carepolicy list scenarios)")
    add_years_options(p)
    p.add_argument("--seeds", default="1", metavar="N",
                   help="run N seeds (--seed, --seed + 1, ...) and show each figure's mean and range over them; "
                        "with -o, one row per seed, scenario and region (default 1)")
    p.add_argument("--by", metavar="DIM[,DIM...]", help=by_help())
    p.add_argument("-o", "--output", type=options.output_file,
                   help="write the table to .csv, .parquet or .xlsx instead of printing it")
    p.set_defaults(run=run)


def by_help() -> str:
    """The help of --by, naming the dimensions (read from the engine when help is built)."""
    from engine.simulation.dimensions import DIMENSIONS

    return (f"break the results down by these dimensions, separated by commas: {', '.join(DIMENSIONS)} "
            "(the rows of any breakdown add up to the national totals)")


def add_simulation_options(p: argparse.ArgumentParser, scenario_help: str) -> None:
    """The options simulate and compare share: scenarios, year, regions, seed, policy folder, --quiet."""
    options.add_scenarios(p, scenario_help)
    p.add_argument("--year", type=int, help="simulated year (default: next year)")
    options.add_regions(p)
    p.add_argument("--seed", type=int, help="random seed of the synthetic patients (default 1)")
    options.add_policy(p)
    options.add_quiet(p)


def add_years_options(p, years_help: str = "simulate every year of a range, e.g. 2025-2030, each priced by the "
                      "policies in force on its dates; adds a year column (instead of --year)",
                      scheduler_help: str = "run the simulations") -> None:
    """--years and --scheduler, shared by the commands that run grids of simulations."""
    p.add_argument("--years", metavar="FIRST-LAST", help=years_help)
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help=f"{scheduler_help} on a running dask scheduler (e.g. tcp://10.0.0.5:8786); "
                        "default: a local cluster of processes, or this process for a single run")


def defaults(args: argparse.Namespace) -> argparse.Namespace:
    """Fill in the engine's default year and seed where the options left them out."""
    from engine.simulation.run import DEFAULT_SEED, DEFAULT_YEAR

    args.year = DEFAULT_YEAR if args.year is None else args.year
    args.seed = DEFAULT_SEED if args.seed is None else args.seed
    return args


def run_simulation(args: argparse.Namespace, impact: tuple[str, ...] | None = None, workers: int | None = None):
    """Run the simulation the common options ask for (shared by simulate and compare): an engine Simulation,
    with the impact table by the dimensions `impact` if given, on `workers` processes (default: one per core)."""
    from engine.io.tables import check_output
    from engine.policy.policies import load_policies
    from engine.simulation.breakdown import parse_by
    from engine.simulation.run import simulate

    defaults(args)
    if args.output:
        check_output(args.output)
    policies = load_policies(args.policy)
    return simulate(policies, args.scenario, year=args.year, regions=args.region or None, seed=args.seed,
                    progress=progress_bar(f"simulating {args.year}", args.quiet), by=parse_by(getattr(args, "by", None)),
                    impact=impact, workers=workers)


def seeds_of(args: argparse.Namespace) -> int:
    """The --seeds option as a whole number (checked further where the seeds run)."""
    from engine.errors import InputError

    try:
        return int(args.seeds)
    except ValueError:
        raise InputError(f"seeds: expected a whole number of 1 or more, found {args.seeds!r}") from None


def run(args: argparse.Namespace) -> int:
    from engine.io.tables import write_table
    from engine.simulation.breakdown import parse_by

    defaults(args)
    seeds = seeds_of(args)
    dims = parse_by(args.by)
    if args.years or args.scheduler:
        return run_years(args, seeds, dims)
    if seeds != 1:
        return run_seeds(args, seeds, dims)
    sim = run_simulation(args)
    if dims:
        return _breakdown(args, sim, dims)
    if args.output:
        path = write_table(sim.results, args.output, euro_metrics())
        print(f"wrote {counted(len(sim.results), 'row')} ({counted(len(sim.scenarios), 'scenario')} × "
              f"{counted(len(sim.region_ids), 'region')}) to {path}")
        return 0
    print(summary(sim))
    return 0


def _breakdown(args: argparse.Namespace, sim, dims: tuple[str, ...]) -> int:
    """The results per group of `dims`: to a file, or printed per scenario with a total line."""
    from engine.io.tables import write_table

    table = sim.breakdown
    if args.output:
        path = write_table(table, args.output, euro_metrics())
        print(f"wrote {counted(len(table), 'row')} ({counted(len(sim.scenarios), 'scenario')} × groups of "
              f"{', '.join(dims)}) to {path}")
        return 0
    print(breakdown_summary(sim, dims))
    return 0


def breakdown_summary(sim, dims: tuple[str, ...]) -> str:
    """Per scenario, one line per group of `dims` with the main figures, and the scenario's total."""
    from engine.simulation.run import METRICS

    shown = {**SHOWN, "out_of_pocket": "out of pocket EUR"}
    width = max(24, *(len(" / ".join(map(str, key))) + 2 for key in sim.breakdown[list(dims)].itertuples(index=False)))
    lines = [f"Simulated {sim.year} (seed {sim.seed}), {len(sim.region_ids)} region(s), by {', '.join(dims)}"]
    for scenario, rows in sim.breakdown.groupby("scenario", sort=False):
        lines += ["", f"{scenario}", f"{' / '.join(dims):<{width}}" + "".join(f"{h:>19}" for h in shown.values())]
        for _, row in rows.iterrows():
            label = " / ".join(str(row[d]) for d in dims)
            lines.append(f"{label:<{width}}" + "".join(f"{_fmt(row[c], METRICS[c].unit):>19}" for c in shown))
        lines.append(f"{'total':<{width}}" + "".join(f"{_fmt(rows[c].sum(), METRICS[c].unit):>19}" for c in shown))
    return "\n".join(lines)


def run_seeds(args: argparse.Namespace, seeds: int, dims: tuple[str, ...] = ()) -> int:
    """Several seeds: the long table to a file, or the national band printed."""
    from engine.errors import InputError
    from engine.io.tables import check_output, write_table
    from engine.policy.policies import load_policies
    from engine.simulation.band import simulate_seeds
    from engine.simulation.run import averaged

    if dims and not args.output:
        raise InputError("--by with --seeds: expected -o FILE to write one row per seed, scenario and group, "
                         "found no output file")
    if args.output:
        check_output(args.output)
    policies = load_policies(args.policy)
    table = simulate_seeds(policies, args.scenario, seeds=seeds, seed=args.seed, year=args.year,
                           regions=args.region or None, progress=progress_bar(f"simulating {args.year}, {seeds} seeds", args.quiet),
                           by=dims)
    if args.output:
        path = write_table(table, args.output, euro_metrics())
        groups = f"groups of {', '.join(dims)}" if dims else counted(table["region"].nunique(), "region")
        print(f"wrote {counted(len(table), 'row')} ({counted(seeds, 'seed')} × "
              f"{counted(table['scenario'].nunique(), 'scenario')} × {groups}) to {path}")
        return 0
    print(band_summary(table, args.year, averaged(policies)))
    return 0


def run_years(args: argparse.Namespace, seeds: int, dims: tuple[str, ...] = ()) -> int:
    """Several years (or one year on a dask scheduler): the long table to a file, or national totals per year."""
    from engine.io.tables import write_table

    table, years = years_table(args, seeds, by=dims)
    if args.output:
        path = write_table(table, args.output, euro_metrics())
        groups = f"groups of {', '.join(dims)}" if dims else counted(table["region"].nunique(), "region")
        print(f"wrote {counted(len(table), 'row')} ({counted(len(years), 'year')} × {counted(seeds, 'seed')} × "
              f"{counted(table['scenario'].nunique(), 'scenario')} × {groups}) to {path}")
        return 0
    if "region" in table:
        print(years_summary(table))
    else:
        from engine.policy.regions import load_regions

        data = load_regions(args.policy)
        print(years_summary(table, len({data.region(r).id for r in args.region}) if args.region else len(data.names())))
    if dims:
        print("\n" + years_breakdown(table, dims))
    return 0


def years_table(args: argparse.Namespace, seeds: int, **what):
    """The long table of the years the options ask for (--years, else --year), and those years; `what` goes to
    simulate_years (by, table). The seed column goes when there is one seed."""
    from engine.io.tables import check_output
    from engine.policy.policies import load_policies
    from engine.simulation.years import simulate_years, year_range

    defaults(args)
    years = year_range(args.years) if args.years else [args.year]
    if getattr(args, "output", None):
        check_output(args.output)
    label = f"simulating {years[0]}-{years[-1]}" if len(years) > 1 else f"simulating {years[0]}"
    table = simulate_years(load_policies(args.policy), args.scenario, years=years, seeds=seeds, seed=args.seed,
                           regions=args.region or None, scheduler=args.scheduler,
                           progress=progress_bar(label + (f", {seeds} seeds" if seeds > 1 else ""), args.quiet), **what)
    return (table.drop(columns="seed") if seeds == 1 else table), years


def years_summary(table, regions: int | None = None) -> str:
    """National insurer cost per year and scenario, each scenario's difference to the baseline, and each year's basis.

    `regions` is the number of regions simulated (read from the table's region column when not given)."""
    regions = regions or table["region"].nunique()
    seeds = sorted(table["seed"].unique()) if "seed" in table else []
    keys = ["year", "seed"] if seeds else ["year"]
    nation = table.groupby([*keys, "scenario"], sort=False)["insurer_cost"].sum().unstack("scenario")
    scenarios = list(table["scenario"].unique())
    diffs = nation[scenarios[1:]].sub(nation[scenarios[0]], axis=0)
    mean, dmean = nation.groupby(level="year").mean(), diffs.groupby(level="year").mean()
    years = list(mean.index)
    noise = f", mean over seeds {seeds[0]}–{seeds[-1]}" if len(seeds) > 1 else ""
    lines = [f"Simulated {years[0]}–{years[-1]}, {regions} region(s): national insurer cost (EUR){noise}",
             "", f"{'year':<6}" + "".join(f"{s:>17}" for s in scenarios) + "".join(f"{s + ' vs base':>26}" for s in scenarios[1:])]
    for year in years:
        cells = [f"{mean.loc[year, s]:>17,.0f}" for s in scenarios]
        for s in scenarios[1:]:
            cell = f"{dmean.loc[year, s]:+,.0f}"
            if len(seeds) > 1:
                spread = diffs.xs(year, level="year")[s]
                cell += f" [{spread.min():+,.0f}, {spread.max():+,.0f}]"
            cells.append(f"{cell:>26}")
        lines.append(f"{year:<6}" + "".join(cells))
    if "population_basis" in table:
        lines += ["", "Basis of each year (population; uptake):"]
        bases = table.drop_duplicates("year")
        lines += [f"  {r.year}: {r.population_basis}; {r.uptake_basis}" for r in bases.itertuples()]
    if regions > 1:
        lines.append(REGIONAL)
    return "\n".join(lines)


def years_breakdown(table, dims: tuple[str, ...]) -> str:
    """Per scenario, the insurer cost of each group of `dims` per year (mean over the seeds), with a total line."""
    years = sorted(table["year"].unique())
    groups = table.groupby(["scenario", *dims, "year"], sort=False, observed=True)["insurer_cost"].sum()
    if "seed" in table:
        groups = groups / table["seed"].nunique()
    labels = [" / ".join(map(str, key[1:-1])) for key in groups.index]
    width = max(24, *(len(label) + 2 for label in labels))
    lines = [f"Insurer cost (EUR) by {', '.join(dims)} and year" + (", mean over the seeds" if "seed" in table else "")]
    for scenario in table["scenario"].unique():
        wide = groups.xs(scenario, level="scenario").unstack("year").reindex(columns=years)
        lines += ["", scenario, f"{' / '.join(dims):<{width}}" + "".join(f"{y:>15}" for y in years)]
        for key, row in wide.iterrows():
            label = " / ".join(map(str, key if isinstance(key, tuple) else (key,)))
            lines.append(f"{label:<{width}}" + "".join(f"{v:>15,.0f}" for v in row.fillna(0)))
        lines.append(f"{'total':<{width}}" + "".join(f"{v:>15,.0f}" for v in wide.sum()))
    return "\n".join(lines)


def euro_metrics() -> list[str]:
    """The metrics in euros, written with a euro format."""
    from engine.simulation.run import METRICS

    return [m for m, x in METRICS.items() if x.unit.startswith("EUR")]


def band_summary(table, year: int, averaged: str) -> str:
    """National totals per scenario over several seeds: each figure's mean and its lowest and highest value;
    `averaged` says what the network-level average caps count (engine.simulation.run.averaged)."""
    from engine.simulation.band import band
    from engine.simulation.run import METRICS

    seeds = sorted(table["seed"].unique())
    bands = band(table).set_index(["scenario", "metric"])
    population = bands.xs("population", level="metric")["mean"].iloc[0]
    head = (f"Simulated {year} (seeds {seeds[0]}–{seeds[-1]}), {table['region'].nunique()} region(s), "
            f"{population:,.0f} inhabitants: national totals, mean and range over {len(seeds)} seeds")
    shown = {**SHOWN, "insurer_cost_vs_baseline": "insurer vs base"}
    lines = [head, "", f"{'scenario':<24}{'figure':<20}{'mean':>17}{'low':>17}{'high':>17}"]
    for scenario in bands.index.unique("scenario"):
        for i, (metric, label) in enumerate(shown.items()):
            row = bands.loc[(scenario, metric)]
            unit, signed = ("EUR", True) if metric.endswith("_vs_baseline") else (METRICS[metric].unit, False)
            cells = [_fmt(row[c], unit, signed) for c in ("mean", "low", "high")]
            lines.append(f"{scenario if i == 0 else '':<24}{label:<20}" + "".join(f"{c:>17}" for c in cells))
    flagged = table[table["cap_exceeded"]].groupby(["scenario", "region"], sort=False)["seed"].nunique()
    for (scenario, region), count in flagged.items():
        lines.append(f"note: {scenario}, {region}: the network average of {averaged} exceeds "
                     f"its cap in {count} of {len(seeds)} seeds")
    return "\n".join(lines)


def summary(sim) -> str:
    """A readable text: national totals per scenario, then insurer cost per region and scenario."""
    import pandas as pd

    from engine.simulation.run import METRICS, averaged, national

    nation = national(sim.results).set_index("scenario")
    base = nation.loc["baseline"]
    head = (f"Simulated {sim.year} (seed {sim.seed}), {len(sim.region_ids)} region(s), "
            f"{int(nation['population'].iloc[0]):,} inhabitants")
    heads = [*SHOWN.values(), "insurer vs base"]
    lines = [head, "", f"{'scenario':<24}" + "".join(f"{h:>17}" for h in heads)]
    for scenario, row in nation.iterrows():
        cells = [_fmt(row[c], METRICS[c].unit) for c in SHOWN]
        cells.append(_fmt(row["insurer_cost"] - base["insurer_cost"], "EUR", signed=True))
        lines.append(f"{scenario:<24}" + "".join(f"{c:>17}" for c in cells))
    if len(sim.region_ids) > 1:
        table = sim.results.pivot(index="region", columns="scenario", values="insurer_cost")
        table = table.loc[list(sim.region_ids), [s.id for s in sim.scenarios]]
        lines += ["", "Insurer cost per region (EUR)", f"{'region':<24}" + "".join(f"{s:>17}" for s in table.columns)]
        for region, row in pd.concat([table, table.sum().to_frame("total").T]).iterrows():
            lines.append(f"{region:<24}" + "".join(f"{_fmt(v, 'EUR'):>17}" for v in row))
        lines.append(REGIONAL)
    flagged = sim.results[sim.results["cap_exceeded"]]
    for _, row in flagged.iterrows():
        lines.append(f"note: {row['scenario']}, {row['region']}: network average of "
                     f"{averaged(sim.policies[sim.scenarios[0].id])} {row['network_average']:.2f} exceeds its cap "
                     f"{row['network_average_cap']:g}")
    return "\n".join(lines)


def _fmt(value: float, unit: str, signed: bool = False) -> str:
    if unit == "EUR":
        return f"{value:+,.0f}" if signed else f"{value:,.0f}"
    return f"{value:,.0f}"
