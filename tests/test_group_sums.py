"""Group sums of per-patient tables: the same groups, order, index and sums as pandas' groupby of the dimensions."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.policy.files import PACKAGE_ROOT
from engine.policy.regions import load_regions
from engine.simulation.breakdown import dimension_columns, group_sums
from engine.simulation.dimensions import DIMENSIONS, POPULATION_DIMENSIONS

DATA = load_regions(PACKAGE_ROOT / "policy")
REGIONS = tuple(DATA.names())
TEXT = {"network": ["adults", "children", "none"], "care": ["first_line", "specialised", "none"],
        "increased": ["no", "yes"], "mutuality": [*DATA.mutualities, "none"]}


@st.composite
def patients(draw) -> pd.DataFrame:
    """A per-patient table of a few patients: any regions, ages and labels (as categoricals, some missing), and whole
    sums."""
    n = draw(st.integers(0, 40))
    column = {
        "region": pd.Categorical.from_codes(draw(st.lists(st.integers(0, len(REGIONS) - 1), min_size=n, max_size=n)),
                                            categories=list(REGIONS)),
        "age": np.asarray(draw(st.lists(st.integers(0, DATA.max_age), min_size=n, max_size=n)), np.int16),
        **{name: pd.Categorical(draw(st.lists(st.sampled_from([*values, None]), min_size=n, max_size=n)))
           for name, values in TEXT.items()},  # None: a missing value, in no group
        "sessions": np.asarray(draw(st.lists(st.integers(0, 40), min_size=n, max_size=n)), np.int64),
        "insurer_cost": np.asarray(draw(st.lists(st.integers(-10**12, 10**12), min_size=n, max_size=n)), np.int64),
        "refused": np.asarray(draw(st.lists(st.booleans(), min_size=n, max_size=n)), bool),
    }
    return pd.DataFrame(column)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(table=patients(), dims=st.lists(st.sampled_from(list(DIMENSIONS)), min_size=1, max_size=3, unique=True))
def test_group_sums_are_those_of_a_groupby(table, dims):
    columns = ["sessions", "insurer_cost", "refused"]
    keys = dimension_columns(table, dims, DATA, REGIONS)
    full = all(d in POPULATION_DIMENSIONS for d in dims)
    expected = table[columns].groupby([pd.Series(keys[d], name=d) for d in dims], observed=not full, sort=True).sum()
    got = group_sums(table, dims, DATA, REGIONS, columns)
    pd.testing.assert_frame_equal(got, expected)
    grouped = table[[d for d in dims if d in TEXT]].notna().all(axis=1)  # rows with every dimension's value
    assert got["insurer_cost"].sum() == sum(int(v) for v in table.loc[grouped, "insurer_cost"])  # whole cents
