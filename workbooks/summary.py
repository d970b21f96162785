"""The Summary sheet: the budget note's first page.

Per scenario the change in insurer cost (EUR million and %), in co-payments and in mutuality supplements,
the band the change spans over several seeds, and one sentence written from those figures; then
what the insurer cost covers against the published budget (from the region data, with sources).
Figures are in EUR million; the cents are in Results.
"""

from __future__ import annotations

from engine.policy.scenarios import BASELINE
from workbooks.context import Context
from workbooks.inputs import source_title
from workbooks.results import ResultsLayout
from workbooks.styles import (
    BOLD,
    COUNT,
    HEADING,
    MILLION,
    NOTE,
    SIGNED_MILLION,
    SIGNED_PERCENT,
    SIGNED_THOUSAND,
    TITLE,
    Column,
    Formula,
    Sheet,
)
from workbooks.winners import national_winners

PUBLISHED_BUDGET = ("budget-2023", "budget-youth-2024")
"""The targets of the region data that make up the published yearly budget of the convention."""
MILLION_DIVISOR = "10^6"


def number(value: float, decimals: int, lang: str, signed: bool = False) -> str:
    """A number as the language writes it: 1,234.5 (en), 1 234,5 (fr), 1.234,5 (nl)."""
    text = f"{abs(value):,.{decimals}f}"
    if lang == "fr":
        text = text.replace(",", "\u202f").replace(".", ",")
    elif lang == "nl":
        text = text.replace(",", "#").replace(".", ",").replace("#", ".")
    sign = "-" if value < 0 and round(abs(value), decimals) else ("+" if signed and round(value, decimals) else "")
    return sign + text


def summary_sheet(ctx: Context, layout: ResultsLayout, sheet: Sheet) -> None:
    """The Summary, on `sheet` (made first, so that it comes first, and written last: see build_workbook)."""
    L, sim = ctx.labels, ctx.sim
    regions = L("all regions") if len(sim.region_ids) == len(sim.regions.regions) else \
        ", ".join(ctx.region_name(r) for r in sim.region_ids)
    sheet.text(0, 0, L("Budget note: psychological care, {year}", year=sim.year), TITLE)
    sheet.text(1, 0, L("The baseline and {count} scenario(s), {regions}. Figures in EUR million; the cents are in "
                       "Results.", count=len(ctx.others), regions=regions), NOTE)
    band = _band(ctx)
    columns = [Column(L("Scenario")), Column(L("Title"), wrap=True, width=34),
               Column(L("Insurer cost (EUR million)"), MILLION, width=12),
               Column(L("Change in insurer cost (EUR million)"), SIGNED_MILLION, width=13),
               Column(L("Change in insurer cost (%)"), SIGNED_PERCENT, width=12)]
    if band is not None:
        columns += [Column(L("Seed band of the change, low (EUR thousand)"), SIGNED_THOUSAND, width=13),
                    Column(L("Seed band of the change, high (EUR thousand)"), SIGNED_THOUSAND, width=13)]
    columns += [Column(L("Change in co-payments (EUR million)"), SIGNED_MILLION, width=13),
                Column(L("Change in mutuality supplements (EUR million)"), SIGNED_MILLION, width=13)]
    winners = national_winners(ctx.impact) if ctx.impact is not None else {}
    if winners:
        columns += [Column(L("Patients better off"), COUNT, width=11), Column(L("Patients worse off"), COUNT, width=11)]
    head = 3
    base = '"' + BASELINE + '"'
    rows = []
    for i, scenario in enumerate(ctx.scenarios):
        ref = f"$A{head + 2 + i}"
        level = ctx.nation.loc[scenario, "insurer_cost"]
        change = ctx.change(scenario, "insurer_cost")
        base_level = ctx.nation.loc[BASELINE, "insurer_cost"]
        row: list = [scenario, sim.scenarios[i].title,
                     Formula(f"={layout.sumifs('insurer_cost', ref)}/{MILLION_DIVISOR}", level / 1e6),
                     _change(layout, "insurer_cost", ref, base, change),
                     Formula(f"=IF({layout.sumifs('insurer_cost', base)}=0,0,({layout.sumifs('insurer_cost', ref)}-"
                             f"{layout.sumifs('insurer_cost', base)})/{layout.sumifs('insurer_cost', base)})",
                             change / base_level if base_level else 0.0)]
        if band is not None:
            low, high = band.get(scenario, (0.0, 0.0))
            row += [low / 1e3, high / 1e3]  # a band spans tens of thousands: in millions both ends would read alike
        row += [_change(layout, "patient_copay", ref, base, ctx.change(scenario, "patient_copay")),
                _change(layout, "supplements", ref, base, ctx.change(scenario, "supplements"))]
        if winners:
            row += list(winners.get(scenario, (0, 0)))
        rows.append(row)
    _, last = sheet.table("Summary", columns, rows, top=head)

    row = last + 2
    sheet.text(row, 0, L("In one sentence"), HEADING)
    for scenario in ctx.others:
        row += 1
        sheet.text(row, 0, scenario, BOLD)
        sheet.merged(row, 1, len(columns) - 1, headline(ctx, scenario, band))
    row += 2
    sheet.text(row, 0, L("What the insurer cost covers"), HEADING)
    for text in scope_note(ctx, band):
        row += 1
        sheet.merged(row, 0, len(columns) - 1, text)
    sheet.set_width(0, 22)
    sheet.ws.freeze_panes(head + 1, 1)
    sheet.printable()


def _change(layout: ResultsLayout, metric: str, ref: str, base: str, value: float) -> Formula:
    return Formula(f"=({layout.sumifs(metric, ref)}-{layout.sumifs(metric, base)})/{MILLION_DIVISOR}", value / 1e6)


def _band(ctx: Context) -> dict[str, tuple[float, float]] | None:
    """Per scenario the lowest and highest change in insurer cost over the seeds (None without a band)."""
    if ctx.band is None:
        return None
    rows = ctx.band[ctx.band["metric"] == "insurer_cost_vs_baseline"]
    return {r.scenario: (float(r.low), float(r.high)) for r in rows.itertuples(index=False)}


def headline(ctx: Context, scenario: str, band: dict[str, tuple[float, float]] | None) -> str:
    """One sentence on a scenario, written from its figures."""
    L, lang, year = ctx.labels, ctx.labels.lang, ctx.sim.year
    title = next(s.title for s in ctx.sim.scenarios if s.id == scenario)
    change = ctx.change(scenario, "insurer_cost")
    base = ctx.nation.loc[BASELINE, "insurer_cost"]
    level = ctx.nation.loc[scenario, "insurer_cost"]
    values = {"title": title, "year": year, "change": number(change / 1e6, 1, lang),
              "percent": number(100 * change / base if base else 0.0, 1, lang, signed=True) + " %",
              "level": number(level / 1e6, 1, lang)}
    if round(change / 1e6, 1) > 0:
        text = L("{title}: the insurer cost rises by EUR {change} million ({percent}) in {year}, to EUR {level} million.",
                 **values)
    elif round(change / 1e6, 1) < 0:
        values["change"] = number(-change / 1e6, 1, lang)
        text = L("{title}: the insurer cost falls by EUR {change} million ({percent}) in {year}, to EUR {level} million.",
                 **values)
    else:
        text = L("{title}: the insurer cost hardly changes in {year} (less than EUR 0.05 million), at EUR {level} million.",
                 **values)
    copay = ctx.change(scenario, "patient_copay") / 1e6
    if round(copay, 1) > 0:
        text += " " + L("Patients pay EUR {amount} million more in co-payments.", amount=number(copay, 1, lang))
    elif round(copay, 1) < 0:
        text += " " + L("Patients pay EUR {amount} million less in co-payments.", amount=number(-copay, 1, lang))
    winners = national_winners(ctx.impact) if ctx.impact is not None else {}
    if scenario in winners:
        better, worse = winners[scenario]
        text += " " + L("{better} patients are better off and {worse} worse off.",
                        better=number(better, 0, lang), worse=number(worse, 0, lang))
        rows = ctx.impact[(ctx.impact["scenario"] == scenario) & (ctx.impact["worse_off"] > 0)]
        sessions = float(rows["sessions_change"].sum())
        if sessions >= 1:  # they may pay more because they have more care
            text += " " + L("'Worse off' counts what patients pay; in the groups with patients worse off, covered "
                            "sessions rise by {sessions}.", sessions=number(sessions, 0, lang))
    if band is not None and scenario in band:
        low, high = band[scenario]
        text += " " + L("Over {seeds} seeds the change lies between EUR {low} and {high} thousand.", seeds=ctx.seeds,
                        low=number(low / 1e3, 0, lang, signed=True), high=number(high / 1e3, 0, lang, signed=True))
    return text


def scope_note(ctx: Context, band: dict | None) -> list[str]:
    """What the insurer cost includes and excludes, against the published budget of the region data."""
    L, lang = ctx.labels, ctx.labels.lang
    lines = [L("Includes: the fees of the convention sessions the simulated patients use, minus their co-payments, "
               "plus the care-path fees, in the simulated regions."),
             L("Excludes: the lump sums for the networks' other missions and coordination, multidisciplinary "
               "consultations, administration, and the mutualities' supplements outside the convention (shown apart: the "
               "mutuality pays them, not the compulsory insurance).")]
    targets = [ctx.sim.regions.targets[t] for t in PUBLISHED_BUDGET if t in ctx.sim.regions.targets]
    if targets and len(ctx.sim.region_ids) < len(ctx.sim.regions.regions):
        lines.append(L("The published budget is national; the simulation covers {count} of the {total} regions, so "
                       "it is not compared with it.", count=len(ctx.sim.region_ids), total=len(ctx.sim.regions.regions)))
    elif targets:
        total = sum(t.value for t in targets)
        base = ctx.nation.loc[BASELINE, "insurer_cost"]
        sources = "; ".join(dict.fromkeys(source_title(ctx, t.source) or t.source for t in targets))
        parts = " + ".join(L("EUR {amount} million ({description}, {year})", amount=number(t.value / 1e6, 1, lang),
                             description=t.description, year=t.year) for t in targets)
        lines.append(L("Published budget: {parts} = EUR {total} million a year (source: {sources}). The simulated "
                       "baseline insurer cost, EUR {base} million, is {share} of it.", parts=parts,
                       total=number(total / 1e6, 1, lang), sources=sources, base=number(base / 1e6, 1, lang),
                       share=number(100 * base / total, 0, lang) + " %"))
    if band is not None and ctx.band is not None:
        levels = ctx.band[(ctx.band["scenario"] == BASELINE) & (ctx.band["metric"] == "insurer_cost")]
        spread = float(levels["high"].iloc[0] - levels["low"].iloc[0]) if not levels.empty else 0.0
        lines.append(L("Sampling: the synthetic patients are drawn again for each seed; every scenario shares them "
                       "within a seed. The baseline's insurer cost moves by EUR {spread} thousand between seeds, so "
                       "figures are shown in EUR million.", spread=number(spread / 1e3, 0, lang)))
    return lines
