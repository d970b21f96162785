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
    from engine.policy.policies import load_policies
    from engine.policy.scenarios import with_scenario

    day = options.day_value(args.date, "DATE") if args.date else dt.date.today()
    scenario = options.one_scenario(args)
    base = load_policies(args.policy)
    policies = with_scenario(base, scenario)
    resolved = policies.value_at(args.path, day)
    print(resolved.describe())
    source = policies.sources.get(resolved.source, {})
    if source:
        print(f"  source {resolved.source}: {source['title']} ({source['publisher']})")
    if resolved.note:
        print(f"  note: {resolved.note}")
    simulated = _simulated(base, scenario, args.path, day, resolved)
    if simulated:
        print(simulated)
    return 0


def _simulated(base, scenario: str | None, path: str, day: dt.date, resolved) -> str:
    """The value a simulation of the date's year prices with, when the folder's projection indexes it ("" if not)."""
    from engine.policy.projection import load_projection
    from engine.policy.scenarios import with_scenario
    from engine.quantities import quantity
    from engine.simulation.projection import indexed

    projection = load_projection(base.root)
    if projection is None or path not in projection.fee_paths:
        return ""
    value = with_scenario(indexed(base, projection), scenario).value_at(path, day)
    if value.value == resolved.value:
        return ""
    rate = projection.fee_rate
    return (f"  simulate, impact and compare use {quantity(value.value, value.unit)} on this date: the projection "
            f"{projection.id} indexes fees by {rate.value:.1%} a year from {projection.fee_from} ({rate.status}, "
            f"source {rate.source})")
