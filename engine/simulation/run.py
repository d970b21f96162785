"""Budget microsimulation: synthetic patients per region, evaluated under the baseline and each scenario.

The claims come from engine/simulation/synthetic.py and go through the same vectorized evaluator as real claims,
so quotas, periods, the free first session and group fees act on the budget exactly as on a claim.
Results are aggregated per region; `drivers` breaks each insurer cost into fee, co-payment and
care-path lines (count × value) so that a spreadsheet can rebuild the cost with native formulas.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from engine.errors import InputError
from engine.evaluate.vectorized.output import Output
from engine.evaluate.vectorized.reprice import pricing_only, reprice, same_benefits
from engine.evaluate.vectorized.requota import quota_only, requota
from engine.evaluate.vectorized.run import evaluate_arrays
from engine.policy.policies import PolicySet
from engine.policy.regions import Regions, load_regions
from engine.policy.rules import rules_of
from engine.policy.scenarios import BASELINE, Scenario, apply, load_scenario
from engine.simulation.breakdown import parse_by
from engine.simulation.changes import impact_from_sums, impact_sums, impact_table, patient_changes
from engine.simulation.patients import COMPARED, PERSON, Cohort
from engine.simulation.processes import Count, side_by_side, workers_for
from engine.simulation.projection import for_year
from engine.simulation.split import added, in_region_order, region_groups, splits
from engine.simulation.synthetic import Draw, Synthesizer
from engine.simulation.totals import (
    DRIVER_COLUMNS,
    METRICS,
    MONEY_COLUMNS,
    Metric,
    Part,
    aggregate,
    averaged,
    metrics_of,
    money,
    network_caps,
    patients_of,
    result_columns,
    results_by,
    summed,
)

__all__ = ["DRIVER_COLUMNS", "METRICS", "MONEY_COLUMNS", "Metric", "Run", "Simulation", "averaged", "metrics_of",
           "result_columns", "run_one", "simulate", "summed"]

DEFAULT_YEAR = dt.date.today().year + 1
"""The next budget year, simulated when no year is given."""
DEFAULT_SEED = 1


@dataclass(frozen=True, eq=False)
class Simulation:
    """The outcome of one simulation run: scenarios, their policies, the region data and the result tables."""

    year: int
    seed: int
    scenarios: tuple[Scenario, ...]
    policies: dict[str, PolicySet]
    regions: Regions
    region_ids: tuple[str, ...]
    results: pd.DataFrame
    drivers: pd.DataFrame | None
    by: tuple[str, ...] = ()
    breakdown: pd.DataFrame | None = None
    patients: dict[str, pd.DataFrame] | None = None
    impact: pd.DataFrame | None = None

    @property
    def metrics(self) -> dict[str, Metric]:
        """The result columns of this simulation (those of every simulation, and the sessions of each care type)."""
        return metrics_of(self.policies[self.scenarios[0].id])

    def result(self, scenario: str, metric: str) -> float:
        """A national total (sum over the simulated regions) of a metric for one scenario."""
        rows = self.results[self.results["scenario"] == scenario]
        if rows.empty or metric not in self.metrics:
            raise InputError(f"expected a scenario ({', '.join(s.id for s in self.scenarios)}) and a metric "
                             f"({', '.join(self.metrics)}), found {scenario!r} and {metric!r}")
        return float(rows[metric].sum())


def _scenarios(policies: PolicySet, names: Sequence[str | Path]) -> list[Scenario]:
    loaded = [load_scenario(BASELINE, policies)]
    for name in names:
        scenario = load_scenario(name, policies)
        if all(s.id != scenario.id for s in loaded):
            loaded.append(scenario)
    return loaded


def region_ids_of(data: Regions, regions: Sequence[str] | None) -> tuple[str, ...]:
    """The ids of `regions` (names or ids, each once, an unknown one an error), or of every region of `data`."""
    return tuple(dict.fromkeys(data.region(r).id for r in regions)) if regions else tuple(data.names())


def _draw(policies: PolicySet, data: Regions, year: int, seed: int) -> Draw:
    """The draw of a simulated year, checked: a convention must be in force on its reference day."""
    if seed < 0:
        raise InputError(f"seed: expected a whole number of 0 or more, found {seed}")
    draw = Draw(year, seed, data.reference_day)
    try:
        in_force = rules_of(policies).convention_on(draw.reference_day)
    except ValueError:  # beyond the calendar's dates
        raise InputError(f"year: expected a year of four digits, found {year}") from None
    if in_force is None:
        starts = sorted(c.start for c in rules_of(policies).conventions)
        day = draw.reference_day
        raise InputError(f"year: expected a year in which a convention is in force on {day.day} {day:%B}, the "
                         f"reference day of a simulated year (the first convention starts {starts[0]}), found {year}")
    return draw


@dataclass(frozen=True, eq=False)
class Run:
    """One scenario's simulated year: the per-patient table, the results per region and the cost drivers."""

    scenario: str
    patients: pd.DataFrame
    results: pd.DataFrame
    drivers: pd.DataFrame | None
    _context: tuple = ()  # (applied policies, region data, region ids, draw), for breakdowns

    def by(self, dims: Sequence[str]) -> pd.DataFrame:
        """The results per group of `dims` (see engine/simulation/breakdown.py); by region when empty."""
        dims = tuple(dims)
        if dims in ((), ("region",)):
            return self.results
        policies, data, region_ids, draw = self._context
        return results_by(self.patients, dims, data, region_ids, network_caps(policies, draw), self.scenario,
                          metrics_of(policies))


def run_one(policies: PolicySet, scenario: Scenario | str | Path = BASELINE, *, year: int = DEFAULT_YEAR,
            seed: int = DEFAULT_SEED, data: Regions | None = None, regions: Sequence[str] | None = None) -> Run:
    """One run: the scenario applied to `policies`, its synthetic patients of `year` and `seed` drawn from `data`
    (the policy folder's region data by default) in `regions` (all by default), evaluated and aggregated.

    The year's population, uptake and fees follow the folder's projection, as in `simulate`. The same
    (year, seed, regions) gives the same patients under every scenario with the same utilisation.
    """
    data = data if data is not None else load_regions(policies.root)
    region_ids = region_ids_of(data, regions)
    scenario = scenario if isinstance(scenario, Scenario) else load_scenario(scenario, policies)
    draw = _draw(policies, data, year, seed)
    policies, data = for_year(policies, data, year)
    applied = apply(policies, scenario)
    claims, region = Synthesizer(applied, data, draw).claims(scenario, list(region_ids))
    cohort = Cohort.of(claims, region, region_ids, draw, data)
    return _aggregated(scenario.id, applied, [(cohort, evaluate_arrays(cohort.claims, applied), None)], region_ids, data)


def _aggregated(scenario: str, applied: PolicySet, parts: list[Part], region_ids: tuple[str, ...], data: Regions,
                drivers: bool = True) -> Run:
    patients, results, drivers = aggregate(scenario, parts, region_ids, data, applied, drivers)
    return Run(scenario, patients, results, drivers, (applied, data, region_ids, parts[0][0].draw))


def simulate(policies: PolicySet, scenarios: Sequence[str | Path] = (), *, year: int = DEFAULT_YEAR,
             regions: Sequence[str] | None = None, seed: int = DEFAULT_SEED,
             progress: Callable[[float], None] | None = None, workers: int | None = None,
             by: Sequence[str] = (), patients: bool = False, drivers: bool = True,
             data: Regions | None = None, money_only: bool = False, impact: Sequence[str] | None = None) -> Simulation:
    """Simulate `year` for the baseline and `scenarios` (bundled names or paths) in the given regions (all by default).

    The baseline always comes first. Scenarios without utilisation changes share the baseline's
    synthetic claims; every scenario is evaluated on its own policies. `workers` processes (default:
    one per core) share the work: groups of regions, each simulated whole (engine/simulation/split.py),
    when the tables asked for add up over regions; else the scenarios, side by side (at most one per
    scenario). `by` adds the results per group of those dimensions (`Simulation.breakdown`); `patients`
    keeps every scenario's per-patient table (`Simulation.patients`: who each patient is and the COMPARED columns, what
    engine/simulation/impact.py reads); `impact` (dimensions, () for national rows) adds the winners and
    losers of every scenario against the baseline per group of them (`Simulation.impact`, as
    `impact_of` makes it from the per-patient tables; None with no scenario but the baseline), each
    made in the process that ran the scenario when the workers share the baseline's evaluation, else
    here from the per-patient tables they send. Without `drivers`, `Simulation.drivers` is None. The year's
    population, uptake and fees follow the policy folder's projection; `data` replaces its region
    data (a sensitivity point). With `money_only`, the results hold only the money columns (MONEY_COLUMNS), summed
    from the sessions without per-patient tables, and there are no drivers: what a seed band of costs needs.
    """
    if money_only and (by or patients or impact is not None):
        raise ValueError("a simulation of money only has no breakdown, no per-patient tables and no impact")
    data = data if data is not None else load_regions(policies.root)
    region_ids = region_ids_of(data, regions)
    dims = parse_by(by)
    loaded = _scenarios(policies, scenarios)
    draw = _draw(policies, data, year, seed)
    policies, data = for_year(policies, data, year)
    applied = {s.id: apply(policies, s) for s in loaded}
    impact_dims = None if impact is None else parse_by(impact)
    groups = region_groups(region_ids, data, workers_for(len(region_ids), workers)) \
        if splits(dims, patients, impact_dims) else []
    processes = workers_for(len(loaded), workers)
    state = _State(loaded, applied, region_ids, data, draw, dims, patients, drivers and not money_only, money_only,
                   processes == 1, impact_dims)
    done = 0

    def tick(steps: int = 1) -> None:
        nonlocal done
        done += steps
        if progress:
            progress(done / (len(loaded) + 1))  # drawing the patients counts as one step

    if len(groups) > 1:  # each group reports its draw and each scenario as one step
        count, steps = Count(), len(groups) * (len(loaded) + 1)
        tables = _joined(side_by_side(lambda ids: state.run_regions(ids, count), groups, len(groups),
                                      watch=count.watcher(progress, steps) if progress else None), state)
    else:
        state.prepare()
        tick()
        tasks = state.tasks()
        tables = [t for _, t in sorted(one for batch in side_by_side(state.run_all, tasks, min(processes, len(tasks)),
                                                                     lambda batch: tick(len(batch))) for one in batch)]
    results = pd.concat([t[0] for t in tables], ignore_index=True)
    lines = pd.concat([t[1] for t in tables], ignore_index=True) if state.drivers else None
    breakdown = pd.concat([t[2] for t in tables], ignore_index=True) if dims else None
    kept = {s.id: t[3] for s, t in zip(loaded, tables, strict=True)}
    changes = [t[4] if t[4] is not None else  # made where the scenario ran, or here from the per-patient tables
               impact_table(patient_changes(kept[BASELINE], kept[s.id]), state.impact, data, region_ids, s.id)
               for s, t in zip(loaded, tables, strict=True) if s.id != BASELINE] if impact is not None else []
    return Simulation(year, seed, tuple(loaded), applied, data, region_ids, results, lines, dims, breakdown,
                      kept if patients else None, pd.concat(changes, ignore_index=True) if changes else None)


Tables = tuple[pd.DataFrame, pd.DataFrame | None, pd.DataFrame | None, pd.DataFrame | None, pd.DataFrame | None]


def _joined(groups: list[list[Tables]], state: _State) -> list[Tables]:
    """The tables of every scenario from those of the groups of regions (engine/simulation/split.py): results and
    drivers in region order, the impact table from the sum of the groups' impact sums."""
    tables: list[Tables] = []
    for j, scenario in enumerate(state.loaded):
        mine = [group[j] for group in groups]
        lines = in_region_order([t[1] for t in mine], state.region_ids) if state.drivers else None
        changes = impact_from_sums(added([t[4] for t in mine]), state.impact, scenario.id) \
            if mine[0][4] is not None else None
        tables.append((in_region_order([t[0] for t in mine], state.region_ids), lines, None, None, changes))
    return tables


@dataclass(frozen=True, eq=False)
class _State:
    """What every scenario of a run needs: handed to worker processes by their initializer.

    Scenarios with the same utilisation and age bands share one draw of patients, made once per
    process that needs it. A scenario whose policies differ from an earlier one's only in what
    pricing reads (engine/evaluate/vectorized/reprice.py) is re-priced from that scenario's
    evaluation, its home. So is a scenario whose draw only adds patients to its home's
    (engine/simulation/synthetic.py): its added patients are drawn and evaluated on their own. A
    home's evaluation is made once per process that needs it, so that `prepare` can make the one
    most scenarios share before the workers start, and every scenario is a task of its own (twins,
    re-priced alike, one task together).
    """

    loaded: list[Scenario]
    applied: dict[str, PolicySet]
    region_ids: tuple[str, ...]
    data: Regions
    draw: Draw
    dims: tuple[str, ...]
    patients: bool
    drivers: bool
    money_only: bool
    alone: bool  # every task runs in this process
    impact: tuple[str, ...] | None = None  # the dimensions of the impact table, if one is made
    sums: bool = False  # the impact is left as its sums (a group of regions: engine/simulation/split.py)
    cohorts: dict[tuple, Cohort] = field(default_factory=dict)
    evaluations: dict[int, Output] = field(default_factory=dict)  # of homes, by scenario index
    tables: dict[int, pd.DataFrame] = field(default_factory=dict)  # the per-patient tables of homes
    repriced: dict[int, tuple[Output, int]] = field(default_factory=dict)  # by twin: its re-pricing, uses left here
    synthesizers: dict[str, Synthesizer] = field(default_factory=dict)  # by scenario id: made once, asked often

    def _synthesizer(self, scenario: Scenario) -> tuple[tuple, Synthesizer]:
        """The key of a scenario's draw (scenarios with the same key share it), and its synthesizer (that of its
        policies: the same for the scenario without its changes to the figures drawn, `Synthesizer.base`)."""
        synthesizer = self.synthesizers.get(scenario.id)
        if synthesizer is None:
            synthesizer = self.synthesizers[scenario.id] = Synthesizer(self.applied[scenario.id], self.data, self.draw)
        utilisation = tuple(u for u in scenario.utilisation if u.in_force(self.draw.reference_day))
        return (utilisation, repr(synthesizer.bands)), synthesizer

    @functools.cached_property
    def keys(self) -> list[tuple]:
        """The key of each scenario's draw."""
        return [self._synthesizer(s)[0] for s in self.loaded]

    @functools.cached_property
    def homes(self) -> list[int]:
        """Each scenario's home (by index): itself when evaluated in full, else an earlier scenario evaluated in full
        whose draw it shares, or whose draw its own only adds patients to, and from whose evaluation it is
        re-priced."""
        homes: list[int] = []
        for j, scenario in enumerate(self.loaded):
            synthesizer = self._synthesizer(scenario)[1]
            base = self._synthesizer(synthesizer.base(scenario))[0]
            homes.append(next((i for i in range(j) if homes[i] == i and self.keys[i] in (self.keys[j], base)
                               and pricing_only(self.applied[self.loaded[i].id], self.applied[scenario.id])), j))
        return homes

    @functools.cached_property
    def twins(self) -> list[int]:
        """Each scenario's twin: the first scenario re-priced from the same home under the same policies, whose
        re-pricing it takes (a scenario that adds patients to another's with the same policy changes); itself when
        there is none."""
        def alike(i: int, j: int) -> bool:
            return self.homes[i] == self.homes[j] != i and \
                self.applied[self.loaded[i].id].same_values(self.applied[self.loaded[j].id])
        return [next(i for i in range(j + 1) if i == j or alike(i, j)) for j in range(len(self.loaded))]

    def tasks(self) -> list[tuple[int, ...]]:
        """The tasks: the scenarios (by index) each runs, in the order the tasks start: full evaluations first (those
        with a draw of their own first), then those that add patients, then the re-pricings, so that the workers
        finish together. Twins are one task, so that they share their re-pricing wherever it runs."""
        def cost(j: int) -> tuple[int, int]:
            home = self.homes[j]
            if home == j:
                return (0 if self.keys[j] != self.keys[0] else 1 if j not in self.evaluations else 4), j
            return (2 if self.keys[j] != self.keys[home] else 3), j
        grouped: dict[int, list[int]] = {}
        for j in sorted(range(len(self.loaded)), key=cost):
            grouped.setdefault(self.twins[j] if self._takes_twin(j) else j, []).append(j)
        return [tuple(group) for group in grouped.values()]

    def _takes_twin(self, j: int) -> bool:
        """Whether a scenario can take its twin's re-pricing: its changes to how many people seek care only raise them
        (factors of 1 or more), so its draw adds patients to its home's. One that may lower them is drawn and
        evaluated on its own (if its draw does lower them), and runs as a task of its own."""
        scenario, synthesizer = self.loaded[j], self._synthesizer(self.loaded[j])[1]
        return all(u.factor is not None and u.factor >= 1 for u in scenario.utilisation
                   if u.what in synthesizer.drawn and u.in_force(self.draw.reference_day))

    def prepare(self) -> None:
        """Make the draw and the evaluation most scenarios share (the baseline's), and who its patients are (what
        every per-patient table starts from; not in a run of money only), before the workers start."""
        cohort = self.cohort(self.loaded[0])
        if not self.money_only:
            cohort.people  # noqa: B018 (made here once, not in every worker)
        if self.baseline_shared:
            self.evaluation(0)

    @functools.cached_property
    def baseline_shared(self) -> bool:
        """Whether the baseline's evaluation is made before the workers start: when other scenarios are re-priced from
        it (or add patients to its draw)."""
        return self.homes.count(0) > 1

    def cohort(self, scenario: Scenario) -> Cohort:
        """The drawn patients of a scenario (drawn on first use in this process)."""
        key, synthesizer = self._synthesizer(scenario)
        if key not in self.cohorts:
            claims, region = synthesizer.claims(scenario, list(self.region_ids))
            self.cohorts[key] = Cohort.of(claims, region, self.region_ids, self.draw, self.data)
        return self.cohorts[key]

    def evaluation(self, home: int) -> Output:
        """The evaluation of a home scenario on its draw (made on first use in this process). On the baseline's draw,
        with the baseline's evaluation at hand and the same supplementary benefits, it takes the baseline's results
        outside the convention, and when it changes only quota caps, those of the patients no changed cap reaches."""
        if home not in self.evaluations:
            scenario, applied = self.loaded[home], self.applied[self.loaded[home].id]
            claims = self.cohort(scenario).claims
            base = self.evaluations.get(0) if self.keys[home] == self.keys[0] else None
            alike = base is not None and same_benefits(self.applied[self.loaded[0].id], applied)
            least = quota_only(self.applied[self.loaded[0].id], applied) if alike else None
            self.evaluations[home] = (requota(claims, base, applied, least) if least is not None else
                                      evaluate_arrays(claims, applied, base if alike else None))
        return self.evaluations[home]

    def table(self, home: int) -> pd.DataFrame:
        """The per-patient table of a home scenario (made on first use in this process): the counts its re-pricings
        keep."""
        if home not in self.tables:
            scenario = self.loaded[home]
            self.tables[home] = patients_of([(self.cohort(scenario), self.evaluation(home), None)],
                                            self.applied[scenario.id])
        return self.tables[home]

    def _added(self, scenario: Scenario, cohort: Cohort) -> Cohort | None:
        """The patients a scenario's draw adds to `cohort`, the draw of its base; None when it also removes some."""
        synthesizer = self._synthesizer(scenario)[1]
        groups = len(cohort.categorical("group_id").categories) - 1
        claims, region = synthesizer.claims(scenario, list(self.region_ids), (1,), groups, len(cohort.frame) + 1)
        if synthesizer.lowered:
            return None
        return Cohort.of(claims, region, self.region_ids, self.draw, self.data)

    def _parts(self, j: int) -> list[Part]:
        """The evaluated patients of a scenario: its home's draw (its evaluation, or re-priced), and those it adds."""
        home, scenario = self.homes[j], self.loaded[j]
        applied = self.applied[scenario.id]
        cohort = self.cohort(self.loaded[home])
        if home == j:
            return [(cohort, self.evaluation(j), self.tables.get(j))]
        uptake = self.keys[j] != self.keys[home]  # a scenario that changes uptake: its draw adds patients
        added = self._added(scenario, cohort) if uptake else None
        if uptake and added is None:  # it also removes patients: its own draw, evaluated in full
            own = self.cohort(scenario)
            return [(own, evaluate_arrays(own.claims, applied), None)]
        decided = None if self.money_only else self.table(home)
        parts: list[Part] = [(cohort, self._repriced(j), decided)]
        if added is not None and len(added.frame):
            parts.append((added, evaluate_arrays(added.claims, applied), None))
        return parts

    def _repriced(self, j: int) -> Output:
        """A scenario's re-pricing of its home's evaluation, made once for a scenario and its twins (kept until each has
        taken it, or their task ends: a twin that also lowers uptake draws its own patients)."""
        twin = self.twins[j]
        done, left = self.repriced.pop(twin, (None, self.twins.count(twin)))
        if done is None:
            done = reprice(self.cohort(self.loaded[self.homes[j]]).claims, self.evaluation(self.homes[j]),
                           self.applied[self.loaded[j].id])
        if left > 1:
            self.repriced[twin] = done, left - 1
        return done

    def run_regions(self, region_ids: tuple[str, ...], count: Count) -> list[Tables]:
        """The tables of every scenario on a group of the regions, all made in this process, the impact left as
        its sums; the draw and each scenario add one to `count`."""
        group = dataclasses.replace(self, region_ids=region_ids, alone=True, sums=True, cohorts={}, evaluations={},
                                    tables={}, repriced={})
        group.prepare()
        count.add()
        made = []
        for task in group.tasks():
            made += group.run_all(task)
            count.add(len(task))
        return [t for _, t in sorted(made)]

    def run_all(self, task: tuple[int, ...]) -> list[tuple[int, Tables]]:
        """The scenarios of one task (see `tasks`), one after another."""
        done = [self.run(j) for j in task]
        for j in task:
            self.repriced.pop(self.twins[j], None)  # a re-pricing no twin took
        return done

    def run(self, j: int) -> tuple[int, Tables]:
        """Evaluate and aggregate a scenario: results, drivers, the breakdown, the per-patient table and the impact
        table against the baseline.

        The impact table is made here when the baseline's evaluation is at hand in every process (made
        before the workers start, or all tasks run here); then only that small table travels, not the
        per-patient table (on a group of regions, its sums, which add up). Otherwise every scenario sends
        its per-patient table and `simulate` makes it.
        """
        scenario = self.loaded[j]
        if self.money_only:
            return j, (money(scenario.id, self._parts(j), self.region_ids, self.data), None, None, None, None)
        one = _aggregated(scenario.id, self.applied[scenario.id], self._parts(j), self.region_ids, self.data,
                          self.drivers)
        if self.homes[j] == j:
            self.tables[j] = one.patients
        here = self.impact is not None and (self.alone or self.baseline_shared)
        send = self.patients or self.impact is not None and not here
        kept = one.patients[[*PERSON, *COMPARED]] if send else None  # less to send back
        changes = None
        if here and scenario.id != BASELINE:
            changes = patient_changes(self.table(0), one.patients)
            changes = impact_sums(changes, self.impact, self.data, self.region_ids) if self.sums else \
                impact_table(changes, self.impact, self.data, self.region_ids, scenario.id)
        return j, (one.results, one.drivers, one.by(self.dims) if self.dims else None, kept, changes)


def national(results: pd.DataFrame) -> pd.DataFrame:
    """National totals per scenario: sums of the counts and amounts, recomputed ratios (no network averages); of the
    money columns only for results of money only (MONEY_COLUMNS)."""
    keyed = results.groupby("scenario", sort=False)
    sums = keyed[summed(results.columns)].sum()
    sums["cost_per_inhabitant"] = (sums["insurer_cost"] / sums["population"]).round(2)
    if "care_paths" in results:  # not in results of money only
        weighted = (results["sessions_per_care_path"] * results["care_paths"]).groupby(results["scenario"],
                                                                                       sort=False).sum()
        sums["sessions_per_care_path"] = (weighted / sums["care_paths"]).round(2)
    if "cap_exceeded" in results:
        sums["cap_exceeded"] = keyed["cap_exceeded"].any()
    return sums.reset_index()
