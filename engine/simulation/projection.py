"""A simulated year under the projection: its population, its uptake and its indexed fees.

The region data and the policy files stay as their sources state them; these functions give the
copies a year's run uses, so that every scenario of the year starts from the same projected baseline.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from engine.policy.policies import PolicySet
from engine.policy.projection import Projection, load_projection
from engine.policy.regions import Regions
from engine.policy.scenarios import Change, overlay


def project(data: Regions, projection: Projection, year: int) -> Regions:
    """The region data of `year`: inhabitants per age band and uptake moved by the projection's indices."""
    by_age = {}
    for region_id in data.names():
        area = data.regions[region_id].community_region
        ages = data.population_by_age(region_id)
        for band, (lo, hi) in data.age_bands.items():
            ages[lo:hi + 1] *= projection.population_index(area, band, year)
        by_age[region_id] = ages
    uptake, factor = data.figure("uptake"), projection.uptake.at(year)
    moved = dataclasses.replace(uptake, rows=tuple((lo, hi, value * factor) for lo, hi, value in uptake.rows))
    return dataclasses.replace(data, figures={**data.figures, "uptake": moved}, _by_age=by_age)


def indexed(policies: PolicySet, projection: Projection) -> PolicySet:
    """The policies with the projection's fee indexation: each year from `fee_from` on, the cumulated factor.

    The result keeps the policies' scenario name: indexation is part of the baseline, not a scenario.
    """
    changed = {}
    note = f"projection {projection.id}: fees indexed by {projection.fee_rate.value:.1%} a year from {projection.fee_from}"
    for path in projection.fee_paths:
        dated = policies.dated(path)
        for year in range(projection.fee_from, projection.last + 1):
            end = dt.date(year, 12, 31) if year < projection.last else None
            change = Change(0, path, dt.date(year, 1, 1), end, None, projection.fee_factor(year), 2, dated.unit,
                            source=projection.fee_rate.source, status=projection.fee_rate.status, note=note)
            dated = overlay(dated, change, projection.id)
        changed[path] = dated
    return policies.with_values(changed, policies.scenario, policies.overlays)


def for_year(policies: PolicySet, data: Regions, year: int) -> tuple[PolicySet, Regions]:
    """The policies and region data a simulated year starts from: the projection's, when the folder has one.

    Raises InputError for a year the projection does not cover.
    """
    projection = load_projection(policies.root)
    if projection is None:
        return policies, data
    projection.check_year(year)
    return indexed(policies, projection), project(data, projection, year)
