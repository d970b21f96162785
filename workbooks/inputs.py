"""The sheets that say where the figures come from: Scenarios, Parameters and Regions.

Every value here is copied from the policy, scenario and region files with its source and status;
assumed values are filled in a colour and carry their status in a column.
"""

from __future__ import annotations

import datetime as dt

from openpyxl.workbook import Workbook

from engine.policy.dated import Entry
from engine.policy.scenarios import BASELINE, Scenario
from engine.simulation.run import Simulation
from workbooks.styles import (
    ASSUMED_FILL,
    BOLD,
    COUNT,
    DATE,
    DECIMAL,
    SHARE,
    Column,
    fit_widths,
    mark_row,
    printable,
    put,
    write_table,
)

ASSUMED = "assumed"


def source_title(sim: Simulation, key: str) -> str:
    """The title of a source in the registry of the baseline policies ('' for an unknown key)."""
    return str(sim.policies[BASELINE].sources.get(key, {}).get("title", ""))


def scenarios_sheet(wb: Workbook, sim: Simulation) -> None:
    """One row per change of each scenario: dated-value changes, then utilisation changes."""
    ws = wb.create_sheet("Scenarios")
    columns = [Column("Scenario"), Column("Title", wrap=True, width=40), Column("Change"), Column("Kind"),
               Column("Path or figure", width=85), Column("From", DATE), Column("To", DATE), Column("Value"),
               Column("Factor", DECIMAL), Column("Unit"), Column("Applies to"), Column("Status"), Column("Source"),
               Column("Source title", wrap=True, width=40), Column("Note", wrap=True, width=50)]
    rows, statuses = [], []
    for s in sim.scenarios:
        for row, status in _scenario_rows(s, sim):
            rows.append(row)
            statuses.append(status)
    first, _ = write_table(ws, "Scenarios", columns, rows)
    _mark_assumed(ws, first, statuses, len(columns))
    ws.freeze_panes = "C2"
    fit_widths(ws, dict(enumerate(columns, start=1)))
    printable(ws, "1:1")


def _scenario_rows(s: Scenario, sim: Simulation):
    title = s.title
    if not s.changes and not s.utilisation:
        yield [s.id, title, 0, "no change", "", None, None, "", None, "", "", "", "", "", s.description], ""
    for c in s.changes:
        yield [s.id, title, c.index + 1, "policy value", c.path, c.start, c.end, _shown(c.value) if c.factor is None else "",
               c.factor, c.unit, "", c.status, c.source, source_title(sim, c.source), c.note or ""], c.status
    for u in s.utilisation:
        scope = []
        if u.ages is not None:
            scope.append(f"ages {u.ages[0]}-{u.ages[1]}")
        if u.regions is not None:
            scope.append("regions " + ", ".join(u.regions))
        scope += [f"{name} {value}" for name, value in (("care", u.care), ("kind", u.kind)) if value is not None]
        yield [s.id, title, len(s.changes) + u.index + 1, "utilisation", u.what, u.start, u.end,
               _shown(u.value) if u.value is not None else "", u.factor, "", "; ".join(scope) or "everyone",
               u.status, u.source, source_title(sim, u.source), u.note or ""], u.status


def parameters_sheet(wb: Workbook, sim: Simulation) -> None:
    """Every dated value in force at some time in the simulated year, per scenario, with its source."""
    ws = wb.create_sheet("Parameters")
    columns = [Column("Scenario"), Column("Path", width=85), Column("Value"), Column("Unit"), Column("From", DATE),
               Column("To", DATE), Column("Status"), Column("Source"), Column("Source title", wrap=True, width=60),
               Column("Changed by scenario"), Column("Note", wrap=True, width=50)]
    start, end = dt.date(sim.year, 1, 1), dt.date(sim.year, 12, 31)
    rows, statuses = [], []
    for s in sim.scenarios:
        policies = sim.policies[s.id]
        changed = {c.path for overlay in policies.overlays for c in overlay.changes}
        for path, dated in policies.values.items():
            for e in _in_year(dated.entries, start, end):
                rows.append([s.id, path, _shown(e.value), dated.unit, e.start, e.end, e.status, e.source,
                             source_title(sim, e.source), "yes" if path in changed else "", e.note or ""])
                statuses.append(e.status)
    first, _ = write_table(ws, "Parameters", columns, rows)
    _mark_assumed(ws, first, statuses, len(columns))
    ws.freeze_panes = "C2"
    fit_widths(ws, dict(enumerate(columns, start=1)))
    printable(ws, "1:1")


def _in_year(entries: tuple[Entry, ...], start: dt.date, end: dt.date) -> list[Entry]:
    return [e for e in entries if e.overlaps(start, end)]


def _shown(value):
    """A dated value as a cell holds it: numbers as numbers, flags as yes/no, no value as 'none'."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return "none" if value is None else value


def regions_sheet(wb: Workbook, sim: Simulation) -> None:
    """The inputs per region: inhabitants by age band and the share with increased reimbursement (BIM)."""
    ws = wb.create_sheet("Regions")
    regions = sim.regions
    bands = list(regions.age_bands)
    columns = [Column("Region"), Column("Name (nl)"), Column("Community region"), Column("Population", COUNT),
               *[Column(f"Population {band}", COUNT) for band in bands], Column("Population date", DATE),
               Column("Population status"), Column("Population source"), Column("Population source title", wrap=True, width=40),
               Column("BIM share", SHARE), Column("BIM status"), Column("BIM source"),
               Column("BIM source title", wrap=True, width=40)]
    rows, statuses = [], []
    for name in sim.region_ids:
        r = regions.regions[name]
        pop, bim = r.population, r.bim_share
        rows.append([r.id, r.name_nl, r.community_region, r.total, *[r.counts[b] for b in bands],
                     pop.date or regions.date, pop.status, pop.source, source_title(sim, pop.source),
                     bim.value, bim.status, bim.source, source_title(sim, bim.source)])
        statuses.append(ASSUMED if ASSUMED in (pop.status, bim.status) else "")
    first, _ = write_table(ws, "Regions", columns, rows)
    _mark_assumed(ws, first, statuses, len(columns))
    ws.freeze_panes = "B2"
    fit_widths(ws, dict(enumerate(columns, start=1)))
    printable(ws, "1:1")


def utilisation_sheet(wb: Workbook, sim: Simulation) -> None:
    """The utilisation assumptions by age and the session distributions, the same in every region."""
    ws = wb.create_sheet("Utilisation")
    regions = sim.regions
    put(ws.cell(1, 1), f"Utilisation assumptions of {regions.year}: the same in every region unless a scenario "
        "changes them (see the Scenarios sheet)").font = BOLD
    figure_columns = [Column("Figure"), Column("Ages from", COUNT), Column("Ages to", COUNT), Column("Value", "0.000"),
                      Column("Unit"), Column("Status"), Column("Source"), Column("Source title", wrap=True, width=40),
                      Column("Description", wrap=True, width=50), Column("Note", wrap=True, width=50)]
    rows, statuses = [], []
    for name, table in regions.figures.items():
        for lo, hi, value in table.rows:
            rows.append([name, lo, hi, value, table.unit, table.status, table.source, source_title(sim, table.source),
                         table.description, table.note or ""])
            statuses.append(table.status)
    for d in regions.sessions.values():
        rows.append([f"sessions sought: {d.care} {d.kind}", None, None, d.mean(), "sessions (mean)", d.status, d.source,
                     source_title(sim, d.source), f"distribution {d.id}: " + ", ".join(
                         f"{n} ({share:.0%})" for n, share in zip(d.sessions, d.shares, strict=True)), d.note or ""])
        statuses.append(d.status)
    first, _ = write_table(ws, "Utilisation", figure_columns, rows, top=2)
    _mark_assumed(ws, first, statuses, len(figure_columns))
    ws.freeze_panes = "B3"
    fit_widths(ws, dict(enumerate(figure_columns, start=1)), first_row=2)
    printable(ws, "2:2")


def _mark_assumed(ws, first: int, statuses: list[str], width: int) -> None:
    for i, status in enumerate(statuses):
        if status == ASSUMED:
            mark_row(ws, first + i, 1, width, ASSUMED_FILL)
