"""Region data: populations match the published table, names resolve with did-you-mean, bad files are refused."""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path

import pytest

from engine.errors import PolicyError, ResolveError
from engine.policy.regions import load_regions

TABLE = Path(__file__).parent / "data" / "regions_be.csv"  # Statbel figures as gathered, with their sources
BANDS = {"under_18": "pop_under_18", "18_64": "pop_18_64", "65_plus": "pop_65_plus"}


@pytest.fixture(scope="module")
def regions(policies):
    return load_regions(policies.root)


@pytest.fixture(scope="module")
def table() -> list[dict]:
    with TABLE.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def edit(path: Path, change) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(json.dumps(data, indent=2), encoding="utf-8")
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))


def test_regions_and_totals_match_the_published_table(regions, table):
    assert regions.names() == [row["region"] for row in table]
    for row in table:
        region = regions.region(row["region"])
        assert region.total == int(row["pop_total"])
        assert region.counts == {band: int(row[column]) for band, column in BANDS.items()}
        assert (region.name_nl, region.community_region) == (row["region_nl"], row["community_region"].lower())
        assert (region.bim_share.value, region.bim_share.status) == (float(row["bim_share"]), row["bim_share_status"])


def test_single_years_add_up_to_the_band_counts(regions, table):
    for row in table:
        assert regions.population(row["region"]) == pytest.approx(int(row["pop_total"]))
        for band, column in BANDS.items():
            assert regions.population(row["region"], regions.age_bands[band]) == pytest.approx(int(row[column]))
    national = sum(int(row["pop_total"]) for row in table)
    assert regions.population() == pytest.approx(national)
    assert regions.totals["belgium-2023"].value == national


def test_policy_bands_cover_everyone(regions):
    assert sum(regions.population_by_band("brussel").values()) == pytest.approx(regions.population("brussel"))


@pytest.mark.parametrize(("name", "region_id"), [
    ("Antwerpen", "antwerpen"), ("ANTWERP", "antwerpen"), ("Bruxelles", "brussel"), ("Liège", "luik"),
    ("liege", "luik"), ("Vlaams-Brabant", "vlaams_brabant"), ("west vlaanderen", "west_vlaanderen"),
])
def test_regions_by_id_dutch_name_or_alias(regions, name, region_id):
    assert regions.region(name).id == region_id


@pytest.mark.parametrize(("name", "hint"), [("Antwerpn", "antwerpen"), ("Limbrug", "limburg"), ("Atlantis", None)])
def test_unknown_region_says_did_you_mean(regions, name, hint):
    with pytest.raises(ResolveError) as err:
        regions.region(name)
    message = str(err.value)
    assert message.startswith(f"unknown region {name!r}")
    assert message.endswith(f"(known: {', '.join(regions.names())})")
    assert (f"did you mean '{hint}'?" in message) if hint else "did you mean" not in message


def test_unknown_figure_says_did_you_mean(regions):
    with pytest.raises(ResolveError, match="unknown utilisation figure 'uptak' — did you mean 'uptake'"):
        regions.figure("uptak")


def test_cache_until_a_region_file_changes(policy_copy):
    first = load_regions(policy_copy)
    assert load_regions(policy_copy) is first
    edit(policy_copy / "regions" / "population-be.json", lambda d: d["regions"][0]["bim_share"].update(value=0.25))
    second = load_regions(policy_copy)
    assert second is not first and second.region("antwerpen").bim_share.value == 0.25


def test_band_counts_must_add_up_to_the_total(policy_copy):
    edit(policy_copy / "regions" / "population-be.json", lambda d: d["regions"][1]["population"].update(total=1))
    with pytest.raises(PolicyError) as err:
        load_regions(policy_copy)
    lines = str(err.value).splitlines()
    assert lines[0].endswith("population-be.json: /regions/1/population/total: expected the sum of the age bands (895030), found 1")


def test_regions_must_add_up_to_the_national_total(policy_copy):
    edit(policy_copy / "regions" / "population-be.json",
         lambda d: d["regions"][0]["population"].update(total=1910953, counts={**d["regions"][0]["population"]["counts"],
                                                                                "under_18": 385463}))
    with pytest.raises(PolicyError, match=r"/totals/0/total: expected the sum of the regions \(11697558\), found 11697557"):
        load_regions(policy_copy)


def test_a_missing_region_file_is_named(policy_copy):
    (policy_copy / "regions" / "utilisation-be.json").unlink()
    with pytest.raises(PolicyError, match="regions: /: expected a region file of kind 'utilisation', found none"):
        load_regions(policy_copy)


def test_a_second_region_file_of_one_kind_is_refused(policy_copy, monkeypatch):
    monkeypatch.chdir(policy_copy.parent)
    regions = policy_copy / "regions"
    text = (regions / "population-be.json").read_text(encoding="utf-8")
    (regions / "zz-population.json").write_text(text.replace('"id": "population-be"', '"id": "zz-population"'),
                                                encoding="utf-8")
    with pytest.raises(PolicyError) as err:
        load_regions(policy_copy)
    assert [str(p) for p in err.value.problems] == [
        "policy/regions/zz-population.json: /kind: expected one population file in the folder, "
        "found a second beside policy/regions/population-be.json"]
