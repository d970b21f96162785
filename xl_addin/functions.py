"""The carepolicy functions for Excel (xlwings UDF module `xl_addin.functions`).

Each function converts Excel-shaped arguments (xl_addin.convert), asks the engine, and returns a
value or a table to spill. Every function goes through `cell_function`: a mistake in the input
comes back as one line of text in the cell (`CP error: …`), never as a traceback, and results are
remembered per arguments until a policy file changes (xl_addin.session), so that a recalculation
of many cells does not redo the work.

Argument names are what the Function Wizard shows; they avoid VBA keywords (`date`, `name`, …)
because xlwings writes them into a VBA wrapper.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow as pa
import xlwings as xw

from engine.claims.contract import RESULT_COLUMNS as CLAIM_RESULTS
from engine.claims.normalize import DATES
from engine.claims.read import column_names
from engine.errors import CarePolicyError, InputError, PolicyError, did_you_mean
from engine.evaluate import lookups
from engine.evaluate.care_budget import schedule
from engine.evaluate.pipeline import evaluate_frame, normalized
from engine.policy.regions import load_regions
from engine.simulation.breakdown import parse_by
from engine.simulation.impact import impact_of
from engine.simulation.run import DEFAULT_YEAR, Simulation, national, simulate
from xl_addin import convert
from xl_addin.session import Session

SESSION = Session()
"""The policies and remembered results of this Excel session."""

CATEGORY = "carepolicy"
LONG = "threading"
"""xlwings' async mode for functions that take seconds (simulations): Excel stays responsive, the cell shows
'#N/A waiting...' and then the result. Fast functions stay synchronous, so that a sheet never flickers."""
MAX_MESSAGE = 250
_log = logging.getLogger(__name__)


def one_line(text: str) -> str:
    """A message squeezed onto one line and cut to a length a cell shows whole."""
    flat = " ".join(str(text).split())
    return flat if len(flat) <= MAX_MESSAGE else flat[:MAX_MESSAGE - 1] + "…"


def error_text(exc: Exception) -> str:
    """The cell text for a failed call: the user's mistake as the engine words it, else type and message."""
    if isinstance(exc, PolicyError) and len(exc.problems) > 1:
        more = len(exc.problems) - 1
        return one_line(f"CP error: {exc.problems[0]} (and {more} more problem{'s' if more > 1 else ''}; "
                        f"run carepolicy validate)")
    if isinstance(exc, CarePolicyError):
        return one_line(f"CP error: {exc}")
    return one_line(f"CP error: unexpected {type(exc).__name__}: {exc}")


def _key(value: Any) -> Any:
    """A hashable stand-in for an argument (ranges arrive as lists of rows)."""
    if isinstance(value, list | tuple):
        return tuple(_key(v) for v in value)
    return value


def cell_function(fn: Callable | None = None, *, remember: bool = True) -> Callable:
    """Turn every error into one line of cell text; remember results per arguments (and today's date).

    Applied under @xw.func to every function of this module. The traceback of an unexpected error
    goes to the log (the xlwings console), not into the cell.
    """

    def decorate(fn: Callable) -> Callable:
        @functools.wraps(fn)
        def call(*args: Any, **kwargs: Any) -> Any:
            try:
                if not remember:
                    return fn(*args, **kwargs)
                key = (fn.__name__, _key(args), tuple(sorted(kwargs.items())), dt.date.today())
                return SESSION.remember(key, lambda: fn(*args, **kwargs))
            except CarePolicyError as exc:
                return error_text(exc)
            except Exception as exc:  # a bug must still leave a short line in the cell, not a traceback
                _log.exception("%s failed", fn.__name__)
                return error_text(exc)

        return call

    return decorate(fn) if fn is not None else decorate


def _on(on_date: Any) -> dt.date:
    return convert.day(on_date, "on_date", dt.date.today())


# -- dated values ------------------------------------------------------------------------------------

@xw.func(category=CATEGORY)
@xw.arg("path", doc="Dotted parameter path, e.g. riziv-psy-2021.tariff.rows.individual.fee")
@xw.arg("on_date", doc="Date the value must be in force on (a date cell, serial or YYYY-MM-DD). Empty: today.")
@xw.arg("scenario", doc="Optional scenario: a bundled name (e.g. copay-15) or the path of a scenario file.")
@cell_function
def CP_PARAM(path: Any, on_date: Any = None, scenario: Any = None) -> Any:
    """A policy parameter's value on a date, optionally under a scenario (e.g. a fee, a cap, an age limit)."""
    policies = SESSION.scenario_policies(convert.text(scenario, "scenario", ""))
    value = policies.value_at(convert.text(path, "path"), _on(on_date)).value
    return "" if value is None else value


@xw.func(category=CATEGORY)
@xw.arg("path", doc="Dotted parameter path, e.g. riziv-psy-2021.copayment.rules.individual.amount")
@xw.arg("on_date", doc="Date the value must be in force on (a date cell, serial or YYYY-MM-DD). Empty: today.")
@xw.arg("scenario", doc="Optional scenario: a bundled name (e.g. copay-15) or the path of a scenario file.")
@cell_function
def CP_SOURCE(path: Any, on_date: Any = None, scenario: Any = None) -> Any:
    """Where a parameter's value on a date comes from: source, title, status (confirmed/assumed) and validity."""
    policies = SESSION.scenario_policies(convert.text(scenario, "scenario", ""))
    r = policies.value_at(convert.text(path, "path"), _on(on_date))
    registry = policies.sources.get(r.source)
    title = f": {registry['title']} ({registry['publisher']})" if registry else ""
    until = f" to {r.end}" if r.end else ""
    note = f"; {r.note}" if r.note else ""
    return f"{r.source}{title}; {r.status}, in force from {r.start}{until}{note}"


# -- single sessions ---------------------------------------------------------------------------------

@xw.func(category=CATEGORY)
@xw.arg("kind", doc="Session kind: individual or group.")
@xw.arg("leader", doc="Who leads (for group sessions): one the convention in force declares (its leaders). Empty: the "
                      "convention's lead.")
@xw.arg("on_date", doc="Session date (a date cell, serial or YYYY-MM-DD). Empty: today.")
@cell_function
def CP_FEE(kind: Any, leader: Any = None, on_date: Any = None) -> Any:
    """The convention's provider fee (EUR) for one session of a kind and leader on a date."""
    policies = SESSION.policies()
    day = _on(on_date)
    leader_text = convert.text(leader, "leader", "") or lookups.convention_on(policies, day).lead
    return lookups.fee(policies, convert.text(kind, "kind"), leader_text, day).value


@xw.func(category=CATEGORY)
@xw.arg("birth_date_or_age", doc="The patient's birth date (date cell, serial or YYYY-MM-DD) or age in years on the session date.")
@xw.arg("kind", doc="Session kind: individual or group.")
@xw.arg("increased", doc="TRUE when the patient has increased reimbursement (BIM/VT). Empty: FALSE.")
@xw.arg("first_session", doc="TRUE for the first individual session of a care period (free). Empty: FALSE.")
@xw.arg("on_date", doc="Session date (a date cell, serial or YYYY-MM-DD). Empty: today.")
@xw.arg("setting", doc="Where the session takes place: one the convention in force declares (its settings). Empty: its "
                       "default setting.")
@xw.arg("network", doc="Network type, one the convention in force declares (its network_types), for rules that "
                       "depend on it. Empty: none given.")
@xw.arg("care", doc="Care type, one the convention in force declares (its care_types), for rules that depend on it. "
        "Empty: none given.")
@cell_function
def CP_COPAY(birth_date_or_age: Any, kind: Any, increased: Any = None, first_session: Any = None,
             on_date: Any = None, setting: Any = None, network: Any = None, care: Any = None) -> Any:
    """The patient's co-payment (EUR) for one covered convention session, by the first rule that applies."""
    day = _on(on_date)
    age = convert.age(birth_date_or_age, "birth_date_or_age", day)
    return lookups.copay(SESSION.policies(), age, convert.text(kind, "kind"), day,
                         convert.flag(increased, "increased"), convert.flag(first_session, "first_session"),
                         convert.text(setting, "setting", "") or None, convert.text(network, "network", "") or None,
                         convert.text(care, "care", "") or None).value


@xw.func(category=CATEGORY)
@xw.arg("network", doc="Network type: one the convention in force declares (its network_types).")
@xw.arg("care", doc="Care type: one the convention in force declares (its care_types).")
@xw.arg("kind", doc="Session kind: individual or group.")
@xw.arg("on_date", doc="Date the quota must be in force on. Empty: today.")
@cell_function
def CP_QUOTA(network: Any, care: Any, kind: Any, on_date: Any = None) -> list:
    """The quota per period of one session category (care type and kind) in each bundle (spills: bundle, cap)."""
    caps = lookups.quota(SESSION.policies(), convert.text(network, "network"), convert.text(care, "care"),
                         convert.text(kind, "kind"), _on(on_date))
    return [["bundle", "cap"], *([bundle, "not allowed" if cap is None else cap] for bundle, cap in caps)]


# -- the policies ------------------------------------------------------------------------------------

@xw.func(category=CATEGORY)
@cell_function
def CP_POLICIES() -> list:
    """The loaded policy files: id, kind, title, version, validity, file and number of dated values (spills)."""
    policies = SESSION.policies()
    header = ["id", "kind", "title", "version", "valid_from", "valid_to", "file", "dated_values"]
    out = [header]
    for doc_id, doc in sorted(policies.docs.items()):
        valid = doc.get("valid", {})
        count = sum(1 for path in policies.values if path.startswith(f"{doc_id}."))
        out.append([doc_id, doc["kind"], doc.get("title", ""), doc.get("version", ""),
                    convert.cell(_date_or_none(valid.get("from"))), convert.cell(_date_or_none(valid.get("to"))),
                    policies.files[doc_id].name, count])
    return out


def _date_or_none(text: str | None) -> dt.date | None:
    return dt.date.fromisoformat(text) if text else None


# -- claims ------------------------------------------------------------------------------------------

@xw.func(category=CATEGORY)
@xw.arg("claims", ndim=2, doc="The claims range with its header row: claim_id, patient_id, birth_date, session_date, kind, "
        "and optionally network, care, increased_reimbursement, group_id, co_lead, setting, mutuality, provider, "
        "fee_charged, earlier_sessions.")
@xw.arg("scenario", doc="Optional scenario: a bundled name (e.g. copay-15) or the path of a scenario file.")
@cell_function(remember=False)
def CP_EVALUATE(claims: Any, scenario: Any = None) -> Any:
    """Evaluate a claims table: per row who pays what and why (fee, co-payment, insurer, supplement, reason). Spills."""
    policies = SESSION.scenario_policies(convert.text(scenario, "scenario", ""))
    frame = convert.table(claims, "claims")
    names = column_names(Path("claims"), list(frame))
    columns = dict(zip(names, frame.values(), strict=True))  # by canonical name (a former name is read as its new one)
    if not columns[names[0]]:
        raise InputError("claims: expected at least one claim row under the header, found none")
    text = pa.table([convert.text_column(columns[n], n in DATES) for n in names], names=names)
    return convert.spill(evaluate_frame(normalized(text, policies), policies)[CLAIM_RESULTS])


# -- the care budget ---------------------------------------------------------------------------------

@xw.func(category=CATEGORY)
@xw.arg("application_date", doc="Date of the application (a date cell, serial or YYYY-MM-DD).")
@xw.arg("setting", doc="Where the person lives: home or residential (as named in the care-budget policy).")
@xw.arg("proof", doc="The proof of high care need, e.g. belrai, adl_iadl, medico_social, palliative, residence.")
@xw.arg("score", doc="The proof's score (e.g. BelRAI total) when the proof has a threshold. Empty: none.")
@xw.arg("months", doc="Number of entitled months to list. Empty: 12.")
@xw.arg("first_application", doc="FALSE for a renewal (a palliative attest counts only on a first application). Empty: TRUE.")
@cell_function
def CP_CARE_BUDGET(application_date: Any, setting: Any, proof: Any, score: Any = None, months: Any = None,
                   first_application: Any = None) -> Any:
    """The Flemish care budget schedule: month, amount and payment date (spills), or why the person is not eligible."""
    score_value = None if convert.is_empty(convert.single(score, "score")) else convert.number(score, "score")
    budget = schedule(SESSION.policies(), convert.day(application_date, "application_date"),
                      convert.text(setting, "setting"), convert.text(proof, "proof"), score_value,
                      convert.integer(months, "months", 12),
                      first_application=convert.flag(first_application, "first_application", True))
    if not budget.eligible:
        return f"not eligible: {budget.reason}"
    return [[convert.cell(v) for v in row] for row in budget.table()]


# -- simulations ---------------------------------------------------------------------------------------

def _simulation(scenarios: list[str], year: Any, region: Any, by: tuple[str, ...] = (),
                patients: bool = False) -> Simulation:
    """A simulation for these arguments, run once per session until a policy file changes."""
    policies = SESSION.policies()
    known = load_regions(policies.root)
    regions = tuple(dict.fromkeys(known.region(r).id for r in convert.names(region))) or None
    sim_year = convert.integer(year, "year", DEFAULT_YEAR)
    key = ("simulation", tuple(scenarios), sim_year, regions, by, patients)
    return SESSION.cached(key, lambda: simulate(policies, scenarios, year=sim_year, regions=regions, workers=1, by=by,
                                                patients=patients))


def _total_row(sim: Simulation, columns: list[str], scenario: str) -> list[Any]:
    """The national line of a scenario (sums and recomputed ratios); empty where a column has no total."""
    nation = national(sim.results).set_index("scenario").loc[scenario]
    return [convert.cell(nation[c]) if c in nation.index else "" for c in columns]


@xw.func(category=CATEGORY, async_mode=LONG)
@xw.arg("scenario", doc="A bundled scenario name (e.g. copay-15) or the path of a scenario file. Empty: the baseline.")
@xw.arg("year", doc="The simulated year. Empty: the next budget year of the simulation.")
@xw.arg("region", doc="A region (e.g. antwerpen), several separated by commas, or a range of names. Empty: all.")
@xw.arg("by", doc="Break down by region, age_band, network, care, increased, mutuality (comma list). Empty: region.")
@cell_function
def CP_SIMULATE(scenario: Any = None, year: Any = None, region: Any = None, by: Any = None) -> Any:
    """Simulated budget per region (or per group of `by`) under one scenario: patients, sessions, costs… (spills)."""
    names = convert.names(scenario)
    if len(names) > 1:
        raise InputError(f"scenario: expected one scenario (CP_COMPARE compares several), found {len(names)}")
    dims = parse_by(convert.names(by))
    sim = _simulation(names, year, region, () if dims == ("region",) else dims)
    scenario_id = sim.scenarios[-1].id
    if sim.breakdown is not None:
        rows = sim.breakdown[sim.breakdown["scenario"] == scenario_id]
        columns = ["scenario", *dims, *sim.metrics]
    else:
        rows = sim.results[sim.results["scenario"] == scenario_id]
        columns, dims = ["scenario", "region", *sim.metrics], ("region",)
    table = convert.spill(rows[columns])
    if len(rows) > 1:
        table.append(_labelled_total(_total_row(sim, columns, scenario_id)[1 + len(dims):], scenario_id, dims))
    return table


def _labelled_total(values: list[Any], scenario: str, dims: tuple[str, ...]) -> list[Any]:
    """A total line under a table of groups: the scenario, 'total' under the first dimension, then the values."""
    return [scenario, "total", *([""] * (len(dims) - 1)), *values]


@xw.func(category=CATEGORY, async_mode=LONG)
@xw.arg("scenario", doc="A bundled scenario name (e.g. copay-15) or the path of a scenario file.")
@xw.arg("year", doc="The simulated year. Empty: the next budget year of the simulation.")
@xw.arg("by", doc="Break down by region, age_band, network, care, increased, mutuality (comma list). Empty: national.")
@xw.arg("region", doc="A region, several separated by commas, or a range of names. Empty: all regions.")
@cell_function
def CP_IMPACT(scenario: Any, year: Any = None, by: Any = None, region: Any = None) -> Any:
    """Winners and losers against the baseline: patients better and worse off, their mean change, costs (spills)."""
    names = convert.names(scenario)
    if len(names) != 1:
        raise InputError(f"scenario: expected one scenario to compare with the baseline, found {len(names)}")
    dims = parse_by(convert.names(by))
    sim = _simulation(names, year, region, patients=True)
    table = convert.spill(impact_of(sim, dims))
    if dims:
        table.append(_labelled_total(convert.spill(impact_of(sim))[1][1:], sim.scenarios[-1].id, dims))
    return table


@xw.func(category=CATEGORY, async_mode=LONG)
@xw.arg("scenarios", doc="Scenario names (bundled) or files: one cell with names separated by commas, or a range.")
@xw.arg("metric", doc="The result to compare, e.g. insurer_cost, patient_copay, patients, sessions. Empty: insurer_cost.")
@xw.arg("year", doc="The simulated year. Empty: the next budget year of the simulation.")
@xw.arg("region", doc="A region, several separated by commas, or a range of names. Empty: all regions.")
@cell_function
def CP_COMPARE(scenarios: Any, metric: Any = None, year: Any = None, region: Any = None) -> Any:
    """One result per region (rows) for the baseline and each scenario (columns), with a national total (spills)."""
    names = convert.names(scenarios)
    if not names:
        raise InputError("scenarios: expected at least one scenario name, found an empty cell")
    column = convert.text(metric, "metric", "insurer_cost").lower()
    sim = _simulation(names, year, region)
    if column not in sim.metrics:
        known = list(sim.metrics)
        raise InputError(f"metric: expected a result column, found {column!r}{did_you_mean(column, known)} "
                         f"(known: {', '.join(known)})")
    ids = [s.id for s in sim.scenarios]
    grid = sim.results.pivot(index="region", columns="scenario", values=column).loc[list(sim.region_ids), ids]
    table = [["region", *ids], *([r, *(convert.cell(v) for v in grid.loc[r])] for r in sim.region_ids)]
    if len(sim.region_ids) > 1:
        nation = national(sim.results).set_index("scenario")
        if column in nation.columns:
            table.append(["total", *(convert.cell(nation.loc[i, column]) for i in ids)])
    return table
