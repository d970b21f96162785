"""`carepolicy sensitivity`: how far the budget moves when each assumed figure of the region data moves over its range."""

from __future__ import annotations

import argparse

from carepolicy import options
from carepolicy.commands.simulate import add_simulation_options, defaults
from carepolicy.progress import progress_bar
from carepolicy.wording import counted


def register(sub) -> None:
    p = sub.add_parser("sensitivity", help="vary every assumed figure over its range: a tornado table of the budget",
                       description="Vary every assumed figure of the region data over its range and show how far "
                                   "the national insurer cost moves, per scenario: a tornado table sorted by swing.")
    add_simulation_options(p, "a bundled scenario name or a scenario file, comma-separated or repeated (the baseline "
                              "is always included; see: carepolicy list scenarios)")
    p.add_argument("--seeds", default="1", metavar="N",
                   help="run every point with N seeds (--seed, --seed + 1, ...): the tornado holds the means, and the "
                        "central point's range over the seeds shows the sampling noise (default 1)")
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="run the points on a running dask scheduler (e.g. tcp://10.0.0.5:8786); "
                        "default: a local cluster of processes")
    p.add_argument("-o", "--output", type=options.output_file,
                   help="write the tornado table to .csv, .parquet or .xlsx instead of printing it")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from engine.errors import InputError
    from engine.io.tables import check_output, write_table
    from engine.policy.policies import load_policies
    from engine.simulation.sensitivity import sensitivity

    defaults(args)
    try:
        seeds = int(args.seeds)
    except ValueError:
        raise InputError(f"seeds: expected a whole number of 1 or more, found {args.seeds!r}") from None
    if args.output:
        check_output(args.output)
    result = sensitivity(load_policies(args.policy), args.scenario, year=args.year, seeds=seeds, seed=args.seed,
                         regions=args.region or None, scheduler=args.scheduler,
                         progress=progress_bar(f"sensitivity of {args.year}", args.quiet))
    if args.output:
        money = [c for c in result.tornado.columns if c.endswith(("_low", "_high")) and not c.startswith("factor")]
        path = write_table(result.tornado, args.output, [*money, "swing"])
        print(f"wrote {counted(len(result.tornado), 'row')} (one per assumed figure) to {path}")
        return 0
    print(summary(result))
    return 0


def summary(result) -> str:
    """The tornado as text (an engine Sensitivity): per figure its range, the baseline's insurer cost at both ends and
    each scenario's difference."""
    from engine.policy.scenarios import BASELINE

    seeds = result.seeds
    c = result.central
    noise = (f", mean over seeds {seeds[0]}–{seeds[-1]}" if len(seeds) > 1 else f" (seed {seeds[0]})")
    lines = [f"Sensitivity of {result.year}{noise}: {len(result.figures)} assumed figures, each varied over its range; "
             f"national insurer cost (EUR), scenarios as their difference to the baseline",
             f"central: baseline {c.loc[BASELINE, 'mean']:,.0f}" + "".join(
                 f"; {s} {c.loc[s, 'mean']:+,.0f}" for s in result.scenarios if s != BASELINE)]
    if len(seeds) > 1:
        lines.append("sampling noise at the central point (lowest – highest over the seeds): " + "; ".join(
            f"{s} {c.loc[s, 'low']:,.0f} – {c.loc[s, 'high']:,.0f}" for s in result.scenarios))
    others = [s for s in result.scenarios if s != BASELINE]
    width = max(len("figure"), *(len(f.label) for f in result.figures)) + 2
    head = f"{'figure':<{width}}{'range':>13}{'baseline low':>15}{'baseline high':>15}{'swing':>12}"
    head += "".join(f"{s + ' low':>20}{s + ' high':>20}" for s in others)
    lines += ["", head]
    for r in result.tornado.to_dict("records"):
        span = f"×{r['factor_low']:g}–{r['factor_high']:g}"
        line = f"{r['label']:<{width}}{span:>13}{r['baseline_low']:>15,.0f}{r['baseline_high']:>15,.0f}{r['swing']:>12,.0f}"
        lines.append(line + "".join(f"{r[s + '_low']:>+20,.0f}{r[s + '_high']:>+20,.0f}" for s in others))
    return "\n".join(lines)
