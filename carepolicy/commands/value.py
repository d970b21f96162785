"""`carepolicy value PATH [DATE] [--scenario S]`: one dated parameter on a date, with its period and source."""

from __future__ import annotations

import argparse
import datetime as dt

from engine.dates import parse_date
from engine.errors import InputError
from engine.policy.policies import load_policies
from engine.policy.scenarios import with_scenario


def register(sub) -> None:
    p = sub.add_parser("value", help="show a parameter's value on a date, with its source")
    p.add_argument("path", help="dotted parameter path, e.g. riziv-psy-2021.tariff.rows.individual.fee")
    p.add_argument("date", nargs="?", help="YYYY-MM-DD (default: today)")
    p.add_argument("--scenario", help="a bundled scenario name or a scenario file to apply first")
    p.add_argument("--policy", help="policy folder (default: the bundled policy/)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    try:
        day = parse_date(args.date) if args.date else dt.date.today()
    except ValueError as exc:
        raise InputError(f"DATE: {exc}") from None
    policies = with_scenario(load_policies(args.policy), args.scenario)
    resolved = policies.value_at(args.path, day)
    print(resolved.describe())
    source = policies.sources.get(resolved.source, {})
    if source:
        print(f"  source {resolved.source}: {source['title']} ({source['publisher']})")
    if resolved.note:
        print(f"  note: {resolved.note}")
    return 0
