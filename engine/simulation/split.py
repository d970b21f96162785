"""A simulation split by region: groups of regions of about equal population, each simulated whole in a worker process
(its draw, the baseline's evaluation and every scenario), put back together in region order.

Every region draws its patients from random streams of its own, and no group of patients spans two
regions, so a region's results do not depend on the regions simulated beside it: the tables of the
groups, in region order, are those of one run over all of them. Split by region, the draw and the
baseline's evaluation, which every scenario waits for, are shared out too, not only the scenarios.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import reduce

import numpy as np
import pandas as pd

from engine.policy.regions import Regions
from engine.simulation.dimensions import POPULATION_DIMENSIONS


def splits(by: Sequence[str], patients: bool, impact: Sequence[str] | None) -> bool:
    """Whether a simulation's tables can be put together from those of groups of regions: no breakdown (its ratios
    span regions), no per-patient tables, and an impact table whose groups every region has (national, or by
    population dimensions other than the region)."""
    return not by and not patients and (impact is None or all(d in POPULATION_DIMENSIONS and d != "region"
                                                              for d in impact))


def region_groups(region_ids: Sequence[str], data: Regions, parts: int) -> list[tuple[str, ...]]:
    """`region_ids` in at most `parts` groups of about equal population (the most populous region first, each into
    the group with fewest inhabitants so far, or fewest regions among equals), each in the order of `region_ids`;
    no empty group, also when regions have no inhabitants."""
    inhabitants = {r: data.population(r, None) for r in region_ids}
    groups: list[list[str]] = [[] for _ in range(min(parts, len(region_ids)))]
    sizes = [0.0] * len(groups)
    for region in sorted(region_ids, key=lambda r: -inhabitants[r]):
        lightest = min(range(len(groups)), key=lambda i: (sizes[i], len(groups[i])))  # an empty group first
        groups[lightest].append(region)
        sizes[lightest] += inhabitants[region]
    place = {r: i for i, r in enumerate(region_ids)}
    return [tuple(sorted(g, key=place.__getitem__)) for g in groups]


def in_region_order(frames: Sequence[pd.DataFrame], region_ids: Sequence[str]) -> pd.DataFrame:
    """The rows of the groups' tables of one scenario (each in the order of its regions), in the order of
    `region_ids`; within a region, as they were."""
    joined = pd.concat([f for f in frames if len(f)] or frames[:1], ignore_index=True)  # empty ones: text as object
    place = {r: i for i, r in enumerate(region_ids)}
    order = np.argsort(joined["region"].map(place).to_numpy(), kind="stable")
    return joined.take(order).reset_index(drop=True)


def added(frames: Sequence[pd.DataFrame]) -> pd.DataFrame:
    """The sum of the groups' impact sums (the same groups in the same order in each: see `splits`)."""
    if not all(f.index.equals(frames[0].index) for f in frames):
        raise ValueError("the impact sums of the groups of regions have different groups")
    return reduce(lambda a, b: a + b, frames)
