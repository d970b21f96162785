"""The projection: its figures, its checks, and how a simulated year takes its population, uptake and fees from it."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import pytest

from engine.errors import InputError, PolicyError
from engine.policy.policies import load_policies
from engine.policy.projection import load_projection
from engine.policy.regions import load_regions
from engine.policy.validation import validate
from engine.simulation.projection import indexed, project
from engine.simulation.run import simulate

FEE = "riziv-psy-2021.tariff.rows.individual.fee"
STATBEL_2025 = {"flanders": 6864766, "brussels": 1255795, "wallonia": 3704990}


@pytest.fixture(scope="module")
def projection(policies):
    return load_projection(policies.root)


def edit(folder: Path, change) -> Path:
    path = folder / "projection" / "projection-be.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def problems_of(path: Path) -> list[str]:
    return [str(p) for r in validate([path]) for p in r.problems]


def test_2025_population_equals_statbel_per_community_region(policies, projection):
    data = project(load_regions(policies.root), projection, 2025)
    for area, total in STATBEL_2025.items():
        simulated = sum(data.population(r) for r, region in data.regions.items() if region.community_region == area)
        assert simulated == pytest.approx(total, abs=5)  # six-decimal indices


def test_population_date_and_utilisation_year_are_left_as_they_are(policies, projection):
    data = load_regions(policies.root)
    same = project(data, projection, 2023)
    assert np.array_equal(same.population_by_age("limburg"), data.population_by_age("limburg"))
    assert project(data, projection, 2024).figure("uptake").rows == data.figure("uptake").rows


def test_years_between_figures_are_interpolated_and_say_so(projection):
    series = projection.uptake
    assert series.at(2023) == pytest.approx((series.at(2022) + series.at(2024)) / 2)
    assert projection.basis(2023)["uptake_basis"] == "interpolated 2022 (confirmed) - 2024 (confirmed)"
    assert projection.basis(2027) == {"population_basis": "interpolated 2025 (confirmed) - 2030 (assumed)",
                                      "uptake_basis": "interpolated 2025 (assumed) - 2030 (assumed)"}
    assert projection.basis(2025)["population_basis"] == "confirmed (2025)"


def test_fees_are_indexed_from_the_projection_year_only(policies, projection):
    fees = indexed(policies, projection)
    before = policies.value_at(FEE, dt.date(2025, 12, 31)).value
    assert fees.value_at(FEE, dt.date(2025, 12, 31)).value == before
    assert fees.value_at(FEE, dt.date(2026, 1, 1)).value == round(before * 1.02, 2)
    assert fees.value_at(FEE, dt.date(2028, 6, 1)).value == round(before * 1.02 ** 3, 2)
    assert fees.value_at(FEE, dt.date(2035, 12, 31)).value == round(before * 1.02 ** 10, 2)
    assert fees.value_at(FEE, dt.date(2028, 6, 1)).status == "assumed"
    assert fees.scenario == policies.scenario  # indexation belongs to the baseline, it is no scenario


def test_a_simulated_year_uses_the_projected_population(policies):
    sim = simulate(policies, regions=["luxemburg"], year=2030)
    data = project(load_regions(policies.root), load_projection(policies.root), 2030)
    assert sim.results["population"].iloc[0] == round(data.population("luxemburg"))


def test_a_year_outside_the_projection_is_refused(policies):
    with pytest.raises(InputError, match=r"^year: expected a year the projection covers \(2022-2035, "
                                         r".*projection-be.json\), found 2036$"):
        simulate(policies, regions=["luxemburg"], year=2036)


def test_the_bundled_projection_validates(policies):
    assert problems_of(policies.root / "projection") == []


def test_figures_out_of_year_order_are_refused(policy_copy):
    path = edit(policy_copy, lambda d: d["uptake"]["series"].reverse())
    assert any("/uptake/series/1/year: expected a year after 2035 (figures in year order), found 2030" in p
               for p in problems_of(path))
    with pytest.raises(PolicyError):
        load_projection(policy_copy)


def test_areas_bands_and_fee_paths_are_checked_against_the_other_files(policy_copy):
    def change(d):
        d["population"]["areas"]["flandres"] = d["population"]["areas"].pop("flanders")
        del d["population"]["areas"]["brussels"]["65_plus"]
        d["fee_indexation"]["paths"].append("riziv-psy-2021.tariff.rows.individual.fees")
    found = problems_of(edit(policy_copy, change))
    assert any(p.endswith("/population/areas: expected the community regions of the population file "
                          "(brussels, flanders, wallonia), found brussels, flandres, wallonia") for p in found)
    assert any(p.endswith("/population/areas/brussels: expected the age bands of the population file "
                          "(under_18, 18_64, 65_plus), found under_18, 18_64") for p in found)
    assert any(p.endswith("/fee_indexation/paths/3: expected the path of a dated value in EUR of the loaded "
                          "policies, found 'riziv-psy-2021.tariff.rows.individual.fees'") for p in found)


def test_figures_must_cover_the_projection_years(policy_copy):
    path = edit(policy_copy, lambda d: d["years"].update(last=2040))
    assert any("/uptake/series: expected figures covering 2022-2040 (the projection's years), found 2022-2035" in p
               for p in problems_of(path))


def test_a_folder_without_projection_keeps_the_data_as_it_is(policy_copy):
    (policy_copy / "projection" / "projection-be.json").unlink()
    policies = load_policies(policy_copy)
    sim = simulate(policies, regions=["luxemburg"], year=2030)
    assert sim.results["population"].iloc[0] == load_regions(policy_copy).region("luxemburg").total
