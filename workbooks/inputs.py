"""The sheets that say where the figures come from: Scenarios, Parameters, Regions and Utilisation.

Every value here is copied from the policy, scenario and region files with its source and status;
assumed values are filled in a colour and carry their status in a column, and the values a
scenario changes are filled in another.
"""

from __future__ import annotations

import datetime as dt

from engine.errors import ResolveError
from engine.policy.dated import DatedValue, Entry
from engine.policy.scenarios import BASELINE, Scenario
from workbooks.context import Context
from workbooks.styles import ASSUMED, CHANGED, COUNT, DATE, FACTOR, HEADING, SHARE, Column

ASSUMED_STATUS = "assumed"
SHARE_UNITS = ("rate", "share")


def source_title(ctx: Context, key: str) -> str:
    """The title of a source in the registry of the baseline policies ('' for an unknown key)."""
    return str(ctx.sim.policies[BASELINE].sources.get(key, {}).get("title", ""))


def _fill(status: str, changed: bool = False) -> dict | None:
    if changed:
        return CHANGED
    return ASSUMED if status == ASSUMED_STATUS else None


def scenarios_sheet(ctx: Context) -> None:
    """One row per change of each scenario, with the value it results in: dated-value changes, then utilisation."""
    L = ctx.labels
    sheet = ctx.book.sheet(L("Scenarios"))
    columns = [Column(L("Scenario")), Column(L("Title"), wrap=True, width=36), Column(L("Change")), Column(L("Kind")),
               Column(L("Path or figure"), wrap=True, width=48), Column(L("From"), DATE), Column(L("To"), DATE),
               Column(L("Value")), Column(L("Factor"), FACTOR), Column(L("Resulting value")), Column(L("Unit")),
               Column(L("Applies to"), wrap=True, width=24), Column(L("Status")), Column(L("Source")),
               Column(L("Source title"), wrap=True, width=40), Column(L("Note"), wrap=True, width=50)]
    rows, fills = [], []
    for s in ctx.sim.scenarios:
        for row, status in _scenario_rows(ctx, s):
            rows.append(row)
            fills.append(_fill(status))
    sheet.table("Scenarios", columns, rows, row_styles=fills)
    sheet.ws.freeze_panes(1, 2)
    sheet.printable((0, 0))


def _scenario_rows(ctx: Context, s: Scenario):
    L = ctx.labels
    if not s.changes and not s.utilisation:
        yield [s.id, s.title, 0, L("no change"), "", None, None, "", None, "", "", "", "", "", "", s.description], ""
    for c in s.changes:
        result = ctx.sim.policies[s.id].values[c.path].entry_at(c.start).value
        yield [s.id, s.title, c.index + 1, L("policy value"), c.path, c.start, c.end,
               _shown(ctx, c.value) if c.factor is None else "", c.factor, _shown(ctx, result), c.unit, "", c.status,
               c.source, source_title(ctx, c.source), c.note or ""], c.status
    for u in s.utilisation:
        scope = []
        if u.ages is not None:
            scope.append(L("ages {low}-{high}", low=u.ages[0], high=u.ages[1]))
        if u.regions is not None:
            scope.append(L("regions") + " " + ", ".join(ctx.region_name(r) for r in u.regions))
        scope += [f"{name} {value}" for name, value in (("care", u.care), ("kind", u.kind)) if value is not None]
        yield [s.id, s.title, len(s.changes) + u.index + 1, L("utilisation"), u.what, u.start, u.end,
               _shown(ctx, u.value) if u.value is not None else "", u.factor, "", "", "; ".join(scope) or L("everyone"),
               u.status, u.source, source_title(ctx, u.source), u.note or ""], u.status


def periods_in(dated: DatedValue, start: dt.date, end: dt.date) -> list[Entry]:
    """The entries of a dated value in force at some time between `start` and `end` (each carries its true end)."""
    return [e for e in dated.entries if e.overlaps(start, end)]


def parameters_sheet(ctx: Context) -> None:
    """Per scenario, every dated value in force during the simulated year, with its true period, status and source."""
    L, sim = ctx.labels, ctx.sim
    sheet = ctx.book.sheet(L("Parameters"))
    sheet.text(0, 0, L("Values in force during {year}, per scenario; a period runs from its first to its last day. "
                       "Green: changed by the scenario; orange: assumed.", year=sim.year), HEADING)
    columns = [Column(L("Scenario")), Column(L("Path"), wrap=True, width=52), Column(L("Value")), Column(L("Unit")),
               Column(L("From"), DATE), Column(L("To"), DATE), Column(L("Status")), Column(L("Source")),
               Column(L("Source title"), wrap=True, width=48), Column(L("Changed by scenario")),
               Column(L("Note"), wrap=True, width=50)]
    start, end = dt.date(sim.year, 1, 1), dt.date(sim.year, 12, 31)
    baseline = sim.policies[BASELINE].values
    rows, fills = [], []
    for s in sim.scenarios:
        for path, dated in sim.policies[s.id].values.items():
            for e in periods_in(dated, start, end):
                changed = s.id != BASELINE and _changed(baseline.get(path), e)
                rows.append([s.id, path, _shown(ctx, e.value), dated.unit, e.start, e.end, e.status, e.source,
                             source_title(ctx, e.source), L("yes") if changed else "", e.note or ""])
                fills.append(_fill(e.status, changed))
    sheet.table("Parameters", columns, rows, top=1, row_styles=fills)
    sheet.ws.freeze_panes(2, 2)
    sheet.printable((1, 1))


def _changed(baseline: DatedValue | None, entry: Entry) -> bool:
    """Whether a scenario's entry differs from what the baseline has in force on its first day."""
    if baseline is None:
        return True
    try:
        before = baseline.entry_at(entry.start)
    except ResolveError:
        return True
    return (before.value, before.source) != (entry.value, entry.source)


def _shown(ctx: Context, value):
    """A dated value as a cell holds it: numbers as numbers, flags as yes/no, no value as 'none'."""
    if isinstance(value, bool):
        return ctx.labels("yes") if value else ctx.labels("no")
    return ctx.labels("none") if value is None else value


def regions_sheet(ctx: Context) -> None:
    """The inputs per region: inhabitants by age band and the share with increased reimbursement (BIM)."""
    L, regions = ctx.labels, ctx.sim.regions
    sheet = ctx.book.sheet(L("Regions"))
    bands = list(regions.age_bands)
    columns = [Column(L("Region")), Column(L("Region id")), Column(L("Community region")), Column(L("Population"), COUNT),
               *[Column(L("Population {band}", band=band), COUNT) for band in bands], Column(L("Population date"), DATE),
               Column(L("Population status")), Column(L("Population source")),
               Column(L("Population source title"), wrap=True, width=36), Column(L("BIM share"), SHARE),
               Column(L("BIM status")), Column(L("BIM source")), Column(L("BIM source title"), wrap=True, width=36)]
    rows, fills = [], []
    for name in ctx.sim.region_ids:
        r = regions.regions[name]
        pop, bim = r.population, r.bim_share
        rows.append([ctx.region_name(r.id), r.id, r.community_region, r.total, *[r.counts[b] for b in bands],
                     pop.date or regions.date, pop.status, pop.source, source_title(ctx, pop.source),
                     bim.value, bim.status, bim.source, source_title(ctx, bim.source)])
        fills.append(_fill(ASSUMED_STATUS if ASSUMED_STATUS in (pop.status, bim.status) else ""))
    sheet.table("Regions", columns, rows, row_styles=fills)
    sheet.ws.freeze_panes(1, 1)
    sheet.printable((0, 0))


def utilisation_sheet(ctx: Context) -> None:
    """The utilisation assumptions by age and the session distributions, the same in every region."""
    L, regions = ctx.labels, ctx.sim.regions
    sheet = ctx.book.sheet(L("Utilisation"))
    sheet.text(0, 0, L("Utilisation assumptions of {year}: the same in every region unless a scenario changes them "
                       "(see the Scenarios sheet)", year=regions.year), HEADING)
    columns = [Column(L("Figure")), Column(L("Ages from"), COUNT), Column(L("Ages to"), COUNT), Column(L("Value")),
               Column(L("Unit")), Column(L("Status")), Column(L("Source")), Column(L("Source title"), wrap=True, width=40),
               Column(L("Description"), wrap=True, width=50), Column(L("Note"), wrap=True, width=50)]
    rows, fills, formats = [], [], []
    for name, table in regions.figures.items():
        share = table.unit in SHARE_UNITS
        for lo, hi, value in table.rows:
            rows.append([name, lo, hi, value, L("% ({unit})", unit=L(table.unit)) if share else L(table.unit),
                         table.status, table.source, source_title(ctx, table.source), table.description, table.note or ""])
            fills.append(_fill(table.status))
            formats.append(SHARE if share else None)
    for d in regions.sessions.values():
        rows.append([L("sessions sought: {care} {kind}", care=d.care, kind=d.kind), None, None, round(d.mean(), 2),
                     L("sessions (mean)"), d.status, d.source, source_title(ctx, d.source), f"{d.id}: " + ", ".join(
                         f"{n} ({share:.0%})" for n, share in zip(d.sessions, d.shares, strict=True)), d.note or ""])
        fills.append(_fill(d.status))
        formats.append("0.00")
    first, _ = sheet.table("Utilisation", columns, rows, top=1, row_styles=fills)
    for i, (row, fmt) in enumerate(zip(rows, formats, strict=True)):
        sheet.value(first + i, 3, row[3], fmt, fills[i])
    sheet.ws.freeze_panes(2, 1)
    sheet.printable((1, 1))
