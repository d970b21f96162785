"""`carepolicy value PATH [DATE] [--scenario S]`: one dated parameter on a date, with its period and source."""

from __future__ import annotations

import argparse
import datetime as dt

from carepolicy import options


def register(sub) -> None:
    p = sub.add_parser("value", help="show a parameter's value on a date, with its source",
                       description="Show one dated parameter on a date: its value and unit, the period it belongs "
                                   "to, its source and status (see: carepolicy list parameters).")
    p.add_argument("path", help="dotted parameter path, e.g. riziv-psy-2021.tariff.rows.individual.fee")
    p.add_argument("date", nargs="?", help="YYYY-MM-DD or DD/MM/YYYY (default: today)")
    options.add_scenarios(p, "a bundled scenario name or a scenario file to apply first (see: carepolicy list scenarios)")
    options.add_policy(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from carepolicy.commands.evaluate import policies_for

    day = options.day_value(args.date, "DATE") if args.date else dt.date.today()
    policies = policies_for(args.policy, options.one_scenario(args))
    resolved = policies.value_at(args.path, day)
    print(resolved.describe())
    source = policies.sources.get(resolved.source, {})
    if source:
        print(f"  source {resolved.source}: {source['title']} ({source['publisher']})")
    if resolved.note:
        print(f"  note: {resolved.note}")
    return 0
