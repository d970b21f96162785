"""`carepolicy list scenarios|regions|parameters`: the names the other commands accept, with titles and values."""

from __future__ import annotations

import argparse
import datetime as dt

from carepolicy import options


def register(sub) -> None:
    p = sub.add_parser("list", help="list the scenarios, regions or parameters that exist, with titles and values",
                       description="List what the other commands accept: scenarios (name and title), regions (id, "
                                   "name, aliases, inhabitants) or parameters (path, value on a date, unit, status, "
                                   "source), optionally under a scenario.")
    p.add_argument("what", choices=["scenarios", "regions", "parameters"], help="what to list")
    options.add_scenarios(p, "for parameters: apply this scenario first (see: carepolicy list scenarios)")
    p.add_argument("--date", help="for parameters: the date of the values, YYYY-MM-DD or DD/MM/YYYY (default: today)")
    options.add_policy(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if args.what == "scenarios":
        print(scenarios(args.policy))
    elif args.what == "regions":
        print(regions(args.policy))
    else:
        day = options.day_value(args.date, "--date") if args.date else dt.date.today()
        print(parameters(args.policy, options.one_scenario(args), day))
    return 0


def scenarios(policy: str | None) -> str:
    """Every bundled scenario: name and title."""
    from engine.policy.scenarios import list_scenarios

    found = list_scenarios(policy)
    width = max(len(s.name) for s in found) + 2
    return "\n".join(f"{s.name:<{width}}{s.title}" for s in found)


def regions(policy: str | None) -> str:
    """Every region: id, Dutch name, other names and inhabitants."""
    from engine.policy.regions import load_regions

    known = load_regions(policy)
    lines = [f"{'region':<18}{'name':<22}{'inhabitants':>12}  other names"]
    for r in known.regions.values():
        lines.append(f"{r.id:<18}{r.name_nl:<22}{r.total:>12,}  {', '.join(r.aliases)}")
    return "\n".join(lines)


def parameters(policy: str | None, scenario: str | None, day: dt.date) -> str:
    """Every dated value on `day`: path, value, unit, status and source (or why it has none)."""
    from carepolicy.commands.evaluate import policies_for
    from engine.errors import ResolveError
    from engine.quantities import quantity

    policies = policies_for(policy, scenario)
    rows = []
    for path, dated in sorted(policies.values.items()):
        try:
            r = dated.value_at(day)
        except ResolveError:
            rows.append((path, f"no value ({dated.coverage()})", dated.unit, "", ""))
            continue
        rows.append((path, quantity(r.value, r.unit), r.unit, r.status, r.source))
    heads = ("path", "value", "unit", "status", "source")
    widths = [max(len(h), *(len(row[i]) for row in rows)) for i, h in enumerate(heads)]
    lines = [f"parameters on {day} (scenario {policies.scenario})",
             "  ".join(h.ljust(w) for h, w in zip(heads, widths, strict=True)).rstrip()]
    lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in rows]
    return "\n".join(lines)
