"""The What-if sheet: a scenario's budget as a native-formula model an analyst can change but not break quietly.

Built from Simulation.drivers: for each scenario and region, lines of (amount per unit × count). Every
distinct amount of a path becomes an input; uptake factors (for all regions and per region) scale the
counts; a yellow cell chooses the scenario the model starts from:

    insurer cost = Σ fee × count × uptake − Σ co-payment × count × uptake + Σ care-path fee × count × uptake

An input that is emptied, text or below zero is not used: the engine's value is, its status says so,
and the check at the top counts it, so no total ever shows an error. The sheet is protected, except
its inputs, without a password. Untouched, the model reproduces the engine's insurer cost to the cent.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from engine.policy.scenarios import BASELINE
from workbooks.context import Context
from workbooks.inputs import periods_in
from workbooks.results import ResultsLayout, quoted
from workbooks.styles import (
    BOLD,
    CHECK_BAD,
    CHECK_OK,
    COUNT,
    EUR,
    FACTOR,
    HEADING,
    INPUT,
    NOTE,
    SIGNED_EUR,
    SIGNED_PERCENT,
    TITLE,
    TOTAL,
    Column,
    Formula,
    Sheet,
    cell,
    column,
)

KINDS = {"fee": "provider fee", "copay": "co-payment", "care_path_fee": "care-path fee"}
SIGN = {"fee": 1, "copay": -1, "care_path_fee": 1}
UPTAKE_NAME = "WhatIf_Uptake"
TOTAL_NAME = "WhatIf_InsurerCost"
SCENARIO_ROW, UPTAKE_ROW, CHECK_ROW, COST_ROW = 3, 4, 5, 7
CHECK_COUNT_COL = 6  # the count of inputs not used; the message spans the columns before its caption


@dataclass(frozen=True)
class Key:
    """An input: the k-th distinct amount of a path within a scenario (k > 0 when a value changes in the year)."""

    path: str
    k: int


def _keys(drivers: pd.DataFrame, scenarios: list[str]) -> dict[str, dict[tuple[str, float], Key]]:
    """Per scenario, the input key of each (path, value) among its lines."""
    out: dict[str, dict[tuple[str, float], Key]] = {}
    for s in scenarios:
        mine = drivers[drivers["scenario"] == s]
        seen: dict[str, list[float]] = {}
        out[s] = {}
        for path, value in dict.fromkeys(zip(mine["path"], mine["value"], strict=True)):
            values = seen.setdefault(path, [])
            out[s][(path, value)] = Key(path, len(values))
            values.append(value)
    return out


def _status(ctx: Context, scenario: str, path: str, value: float) -> str:
    """The status (confirmed/assumed) of the entry holding `value` in the simulated year, '' if none does."""
    dated = ctx.sim.policies[scenario].values.get(path)
    if dated is None:
        return ""
    for e in periods_in(dated, dt.date(ctx.sim.year, 1, 1), dt.date(ctx.sim.year, 12, 31)):
        if e.value == value:
            return ctx.labels(e.status)
    return ""


def whatif_sheet(ctx: Context, layout: ResultsLayout) -> None:
    """The What-if sheet, national and per region, for the scenario chosen in its first input (the baseline)."""
    L, sim = ctx.labels, ctx.sim
    sheet = ctx.book.sheet(L("What-if"))
    name = quoted(sheet.name)
    regions = list(sim.region_ids)
    scenarios = ctx.scenarios
    drivers = sim.drivers.copy()
    unknown = set(drivers["kind"]) - set(KINDS)
    if unknown:
        raise ValueError(f"drivers of unknown kind {sorted(unknown)}; expected {', '.join(KINDS)}")
    drivers["order"] = drivers["region"].map(regions.index)
    drivers = drivers.sort_values(["scenario", "order"], key=lambda c: c.map(scenarios.index) if c.name == "scenario" else c,
                                  kind="stable")
    keys = _keys(drivers, scenarios)
    inputs = list(dict.fromkeys(k for s in scenarios for k in keys[s].values()))
    value_of = {s: {key: value for (path, value), key in keys[s].items()} for s in scenarios}

    sheet.text(0, 0, L("What-if: the budget of {year} as a formula model", year=sim.year), TITLE)
    sheet.text(1, 0, L("Change the yellow cells. An emptied cell, text or a negative number is not used: the engine's "
                       "value is, and the check below says so. Untouched, the model equals the engine to the cent."), NOTE)
    chosen = cell(SCENARIO_ROW, 2, absolute=True)
    uptake_used = cell(UPTAKE_ROW, 2, absolute=True)
    sheet.text(SCENARIO_ROW, 0, L("Starting scenario"), BOLD)
    sheet.text(SCENARIO_ROW, 1, BASELINE, INPUT)
    sheet.ws.data_validation(SCENARIO_ROW, 1, SCENARIO_ROW, 1, {
        "validate": "list", "source": scenarios, "error_title": L("Not a scenario"),
        "error_message": L("Choose a scenario of this workbook.")})
    scenario_list = ",".join('"' + s + '"' for s in scenarios)
    sheet.formula(SCENARIO_ROW, 2, Formula(f'=IF(ISNUMBER(MATCH({cell(SCENARIO_ROW, 1)},{{{scenario_list}}},0)),'
                                           f'{cell(SCENARIO_ROW, 1)},"{BASELINE}")', BASELINE), None, BOLD)
    sheet.text(UPTAKE_ROW, 0, L("Uptake factor, all regions"), BOLD)
    sheet.value(UPTAKE_ROW, 1, 1.0, FACTOR, INPUT)
    _number_check(ctx, sheet, UPTAKE_ROW, 1, 1.0, FACTOR)
    ctx.book.wb.define_name(UPTAKE_NAME, f"={name}!{uptake_used}")

    # Inputs: one per key, with the engine's value of every scenario in hidden columns at the right.
    top = COST_ROW + 5
    sheet.text(top, 0, L("Amounts per unit"), HEADING)
    head = top + 1
    hidden = 7
    columns = [Column(L("Amount"), wrap=True, width=46), Column(L("Your value (EUR)"), EUR, width=14),
               Column(L("Value used (EUR)"), EUR, width=14), Column(L("Engine value (EUR)"), EUR, width=14),
               Column(L("Input"), width=30), Column(L("Status")), Column(L("Path"), width=50),
               *[Column(f"{s} (EUR)", EUR) for s in scenarios], *[Column(f"{s} ({L('status')})") for s in scenarios],
               Column(L("Not used"), COUNT)]
    rows = []
    for i, key in enumerate(inputs):
        r = head + 1 + i
        lines = drivers[drivers["path"] == key.path]
        kind = lines["kind"].iloc[0]
        label = L(KINDS[kind]) + ": " + "; ".join(dict.fromkeys(lines["line"].str.split(": ", n=1).str[-1]))
        per_scenario = [value_of[s].get(key, value_of[s].get(Key(key.path, 0), value_of[BASELINE].get(key)))
                        for s in scenarios]
        per_scenario = [v if v is not None else next(x for x in per_scenario if x is not None) for v in per_scenario]
        statuses = [_status(ctx, s, key.path, v) for s, v in zip(scenarios, per_scenario, strict=True)]
        base = float(per_scenario[0])
        values_range = f"${column(hidden)}{r + 1}:${column(hidden + len(scenarios) - 1)}{r + 1}"
        statuses_range = f"${column(hidden + len(scenarios))}{r + 1}:${column(hidden + 2 * len(scenarios) - 1)}{r + 1}"
        header_values = f"${column(hidden)}${head + 1}:${column(hidden + len(scenarios) - 1)}${head + 1}"
        engine = Formula(f"=INDEX({values_range},MATCH({chosen}&\" (EUR)\",{header_values},0))", base)
        status = Formula(f"=INDEX({statuses_range},MATCH({chosen}&\" (EUR)\",{header_values},0))", statuses[0])
        rows.append([label, Formula(f"={cell(r, 3)}", base), _used(r, 1, cell(r, 3), base), engine,
                     _input_status(ctx, r, 1, cell(r, 3), L("engine value")), status, key.path,
                     *[float(v) for v in per_scenario], *statuses, _not_used(r, 1)])
    first_input, last_input = sheet.table("WhatIf_Inputs", columns, rows, top=head)
    for i in range(len(rows)):
        sheet.formula(first_input + i, 1, rows[i][1], EUR, INPUT)
        sheet.ws.data_validation(first_input + i, 1, first_input + i, 1, _validation(ctx))
    input_row = {key: first_input + i for i, key in enumerate(inputs)}
    used = {key: rows[i][2].value for i, key in enumerate(inputs)}
    sheet.hide(hidden, hidden + 2 * len(scenarios))
    flags = [f"{column(hidden + 2 * len(scenarios))}{first_input + 1}:{column(hidden + 2 * len(scenarios))}{last_input + 1}"]

    # Budget per region; its lines are further below.
    top = last_input + 3
    sheet.text(top, 0, L("Budget per region"), HEADING)
    budget_head = top + 1
    line_head = budget_head + len(regions) + 5
    line_rows = len(drivers)

    def lines_col(j: int) -> str:
        return f"${column(j)}${line_head + 2}:${column(j)}${line_head + 1 + line_rows}"

    columns = [Column(L("Region")), Column(L("Uptake factor, region"), FACTOR, width=14),
               Column(L("Factor used"), FACTOR, width=12), Column(L("Provider fees (EUR)"), EUR, width=16),
               Column(L("Co-payments (EUR)"), EUR, width=16), Column(L("Care-path fees (EUR)"), EUR, width=16),
               Column(L("Insurer cost, what-if (EUR)"), EUR, width=16), Column(L("Insurer cost, engine (EUR)"), EUR, width=16),
               Column(L("Difference (EUR)"), SIGNED_EUR, width=14), Column(L("Region id")), Column(L("Not used"), COUNT)]
    base_drivers = drivers[drivers["scenario"] == BASELINE]
    rows = []
    for i, region in enumerate(regions):
        r = budget_head + 1 + i
        mine = base_drivers[base_drivers["region"] == region]
        by_kind = {k: float(mine.loc[mine["kind"] == k, "amount"].sum()) for k in KINDS}
        sums = [Formula(f'=SUMIFS({lines_col(7)},{lines_col(1)},$A{r + 1},{lines_col(3)},"{L(KINDS[k])}")',
                        by_kind[k]) for k in KINDS]
        what_if = round(by_kind["fee"] - by_kind["copay"] + by_kind["care_path_fee"], 2)
        engine = layout.total("insurer_cost", BASELINE, region)
        rows.append([ctx.region_name(region), 1.0, _used(r, 1, "1", 1.0), *sums,
                     Formula(f"=ROUND(D{r + 1}-E{r + 1}+F{r + 1},2)", what_if),
                     Formula(f"={layout.sumifs('insurer_cost', chosen, f'$J{r + 1}')}", engine),
                     Formula(f"=G{r + 1}-H{r + 1}", round(what_if - engine, 2)), region, _not_used(r, 1)])
    first_budget, last_budget = sheet.table("WhatIf_Budget", columns, rows, top=budget_head)
    for i in range(len(rows)):
        sheet.value(first_budget + i, 1, 1.0, FACTOR, INPUT)
        sheet.ws.data_validation(first_budget + i, 1, first_budget + i, 1, _validation(ctx))
    region_row = {region: first_budget + i for i, region in enumerate(regions)}
    flags.append(f"K{first_budget + 1}:K{last_budget + 1}")
    total = last_budget + 1
    sheet.text(total, 0, L("All regions"), TOTAL)
    summed = {j: columns[j].number_format for j in range(3, 9)}
    for j, fmt in summed.items():
        values = [r[j].value for r in rows]
        letter = column(j)
        sheet.formula(total, j, Formula(f"=SUM({letter}{first_budget + 1}:{letter}{last_budget + 1})", round(sum(values), 2)),
                      fmt, TOTAL)
    for j in (1, 2, 9, 10):
        sheet.value(total, j, None, None, TOTAL)
    ctx.book.wb.define_name(TOTAL_NAME, f"={name}!$G${total + 1}")

    # The headline and the check at the top.
    what_if, engine = sum(r[6].value for r in rows), sum(r[7].value for r in rows)
    sheet.text(COST_ROW, 0, L("Insurer cost, what-if (EUR)"), BOLD)
    sheet.formula(COST_ROW, 1, Formula(f"=G{total + 1}", round(what_if, 2)), EUR, BOLD)
    sheet.text(COST_ROW + 1, 0, L("Insurer cost, engine (EUR)"), BOLD)
    sheet.formula(COST_ROW + 1, 1, Formula(f"=H{total + 1}", round(engine, 2)), EUR)
    sheet.text(COST_ROW + 2, 0, L("Difference (EUR)"), BOLD)
    sheet.formula(COST_ROW + 2, 1, Formula(f"=B{COST_ROW + 1}-B{COST_ROW + 2}", round(what_if - engine, 2)), SIGNED_EUR, BOLD)
    sheet.formula(COST_ROW + 2, 2, Formula(f"=IF(B{COST_ROW + 2}=0,0,B{COST_ROW + 3}/B{COST_ROW + 2})",
                                           (what_if - engine) / engine if engine else 0.0), SIGNED_PERCENT, BOLD)
    uptake_flag = _not_used(UPTAKE_ROW, 1)
    count = "+".join([f"SUM({f})" for f in flags] + [uptake_flag.text[1:]])
    sheet.text(CHECK_ROW, 0, L("Check"), BOLD)
    ok, bad = L("All inputs are used."), L("Inputs not used (empty, text or below zero): the engine's value is used for them.")
    counted = CHECK_COUNT_COL
    sheet.text(CHECK_ROW, counted - 1, L("Not used"), BOLD)
    sheet.formula(CHECK_ROW, counted, Formula(f"={count}", 0), COUNT, BOLD)
    sheet.ws.merge_range(CHECK_ROW, 1, CHECK_ROW, counted - 2, "", ctx.book.format(CHECK_OK))  # room for the message
    sheet.formula(CHECK_ROW, 1, Formula(f'=IF({cell(CHECK_ROW, counted)}=0,"{ok}","{bad}")', ok), None, CHECK_OK)
    sheet.ws.conditional_format(CHECK_ROW, 1, CHECK_ROW, counted, {
        "type": "formula", "criteria": f"={cell(CHECK_ROW, counted, absolute=True)}>0", "format": ctx.book.format(CHECK_BAD)})

    # The lines: amount = value used × count × uptake, for the chosen scenario only.
    sheet.text(line_head, 0, L("Lines: amount = value used × count × uptake (for the chosen scenario)"), HEADING)
    columns = [Column(L("Line")), Column(L("Region")), Column(L("Scenario")), Column(L("Kind")),  # the line where it is wide
               Column(L("Count"), COUNT), Column(L("Value (EUR)"), EUR), Column(L("Uptake"), FACTOR),
               Column(L("Amount (EUR)"), EUR)]
    rows = []
    for r, line in enumerate(drivers.itertuples(index=False), start=line_head + 1):
        key = keys[line.scenario][(line.path, line.value)]
        amount = float(line.amount) if line.scenario == BASELINE else 0.0
        rows.append([line.line, ctx.region_name(line.region), line.scenario, L(KINDS[line.kind]), int(line.count),
                     Formula(f"=$C${input_row[key] + 1}", used[key]),
                     Formula(f"={UPTAKE_NAME}*$C${region_row[line.region] + 1}", 1.0),
                     Formula(f"=IF($C{r + 1}={chosen},F{r + 1}*E{r + 1}*G{r + 1},0)", amount)])
    sheet.table("WhatIf_Lines", columns, rows, top=line_head, style="Table Style Light 1")
    sheet.set_width(0, 46)
    sheet.set_width(2, 14)
    sheet.ws.freeze_panes(COST_ROW + 3, 0)
    sheet.ws.protect("", {"autofilter": True, "format_columns": True, "format_rows": True})
    sheet.printable()


def _used(row: int, col: int, engine: str, value: float) -> Formula:
    """The value the model uses: the input when it is a number of zero or more, else the engine's."""
    mine = cell(row, col)
    return Formula(f"=IF(ISNUMBER({mine}),IF({mine}>=0,{mine},{engine}),{engine})", value)


def _not_used(row: int, col: int) -> Formula:
    """1 when the input is emptied, text or below zero (its engine value is used instead), else 0."""
    mine = cell(row, col)
    return Formula(f"=IF(ISNUMBER({mine}),IF({mine}>=0,0,1),1)", 0)


def _input_status(ctx: Context, row: int, col: int, engine: str, initial: str) -> Formula:
    """What happened to an input: engine value, your value, or why the engine's value is used instead."""
    L, mine = ctx.labels, cell(row, col)
    return Formula(f'=IF(ISBLANK({mine}),"{L("empty: engine value used")}",IF(NOT(ISNUMBER({mine})),'
                   f'"{L("not a number: engine value used")}",IF({mine}<0,"{L("below zero: engine value used")}",'
                   f'IF({mine}={engine},"{L("engine value")}","{L("your value")}"))))', initial)


def _number_check(ctx: Context, sheet: Sheet, row: int, col: int, engine: float, number_format: str) -> None:
    """Beside a single input: the value used (column C) and the input's status (column D)."""
    ctx_labels = ctx.labels
    sheet.formula(row, 2, _used(row, col, repr(engine), engine), number_format, BOLD)
    sheet.formula(row, 3, Formula(f'=IF(ISNUMBER({cell(row, col)}),IF({cell(row, col)}>=0,"{ctx_labels("used")}",'
                                  f'"{ctx_labels("below zero: engine value used")}"),"{ctx_labels("not a number: engine value used")}")',
                                  ctx_labels("used")))


def _validation(ctx: Context) -> dict:
    L = ctx.labels
    return {"validate": "decimal", "criteria": ">=", "value": 0, "ignore_blank": True,
            "error_title": L("Not a valid input"), "error_message": L("Enter a number of zero or more.")}
