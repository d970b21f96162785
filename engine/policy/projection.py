"""The projection of the baseline over the years, from policy/projection/: population, uptake trend, fee indexation.

The region data describe one population date and one utilisation year; the policy files hold the
fees their sources state. How the baseline moves in other years is an assumption of its own, kept
in one file with a source and status per figure, so that a multi-year budget says what it rests on.
Years between two figures are interpolated linearly and said to be.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

from engine.errors import InputError, PolicyError, Problem
from engine.policy.files import check_file, default_policy_dir, display, source_keys_for
from engine.policy.provenance import Provenance, provenance
from engine.policy.regions import Regions, load_regions
from engine.policy.schema_messages import pointer

FOLDER = "projection"


@dataclass(frozen=True)
class Point(Provenance):
    """One figure of a series: an index in a year, with its source and status."""

    year: int
    value: float


@dataclass(frozen=True)
class Series:
    """Index figures by year; a year between two figures is interpolated linearly."""

    points: tuple[Point, ...]

    def at(self, year: int) -> float:
        """The index in `year` (the nearest figure's value outside the figures' years)."""
        pts = self.points
        if year <= pts[0].year:
            return pts[0].value
        for a, b in zip(pts, pts[1:], strict=False):
            if year <= b.year:
                return a.value + (b.value - a.value) * (year - a.year) / (b.year - a.year)
        return pts[-1].value

    def basis(self, year: int) -> str:
        """What the index of `year` rests on: a figure and its status, or the two figures it is interpolated between."""
        pts = self.points
        for p in pts:
            if p.year == year:
                return f"{p.status} ({p.year})"
        before = [p for p in pts if p.year < year]
        after = [p for p in pts if p.year > year]
        if not before or not after:
            edge = before[-1] if before else after[0]
            return f"held at {edge.year} ({edge.status})"
        return f"interpolated {before[-1].year} ({before[-1].status}) - {after[0].year} ({after[0].status})"


@dataclass(frozen=True, eq=False)
class Projection:
    """A checked projection file."""

    id: str
    file: Path
    first: int
    last: int
    population: dict[str, dict[str, Series]]
    uptake: Series
    fee_paths: tuple[str, ...]
    fee_from: int
    fee_rate: Point

    def check_year(self, year: int) -> None:
        """Refuse a year the projection does not cover."""
        if not self.first <= year <= self.last:
            raise InputError(f"year: expected a year the projection covers ({self.first}-{self.last}, "
                             f"{display(self.file)}), found {year}")

    def population_index(self, area: str, band: str, year: int) -> float:
        """Inhabitants of a community region and age band in `year`, relative to the population file's date."""
        return self.population[area][band].at(year)

    def fee_factor(self, year: int) -> float:
        """The cumulated indexation of the fees in `year` (1 before `fee_from`)."""
        return (1 + self.fee_rate.value) ** max(0, year - self.fee_from + 1)

    def basis(self, year: int) -> dict[str, str]:
        """What a year's population and uptake rest on (the least certain figure of the population series)."""
        bases = {s.basis(year) for areas in self.population.values() for s in areas.values()}
        population = next((b for b in sorted(bases) if "assumed" in b), sorted(bases)[0])
        return {"population_basis": population, "uptake_basis": self.uptake.basis(year)}


def projection_file(policies_root: Path | str | None = None) -> Path | None:
    """The projection file of a policy folder, or None when the folder has none."""
    folder = Path(policies_root if policies_root is not None else default_policy_dir()) / FOLDER
    files = sorted(folder.glob("*.json")) if folder.is_dir() else []
    if len(files) > 1:
        raise PolicyError([Problem(display(files[1]), "/", f"expected one projection file in {display(folder)}, "
                                   f"found a second beside {display(files[0])}")])
    return files[0] if files else None


def load_projection(policies_root: Path | str | None = None) -> Projection | None:
    """The checked projection of a policy folder (None without one); cached until the file changes."""
    root = Path(policies_root if policies_root is not None else default_policy_dir()).resolve()
    path = projection_file(root)
    if path is None:
        return None
    stat = path.stat()
    return _load(root, path, stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=8)
def _load(root: Path, path: Path, _mtime: int, _size: int) -> Projection:
    data, problems = check_file(path, source_keys_for(root))
    if not problems:
        problems = projection_problems(path, data, root)
    if problems:
        raise PolicyError(problems)
    series = {area: {band: _series(points) for band, points in bands.items()}
              for area, bands in data["population"]["areas"].items()}
    index = data["fee_indexation"]
    return Projection(data["id"], path, data["years"]["first"], data["years"]["last"], series,
                      _series(data["uptake"]["series"]), tuple(index["paths"]), index["from_year"],
                      Point(index["from_year"], **{k: v for k, v in index["rate"].items() if k != "unit"}))


def _series(points: list[dict]) -> Series:
    return Series(tuple(Point(p["year"], p["value"], **provenance(p)) for p in points))


def projection_problems(path: Path, data: dict, root: Path) -> list[Problem]:
    """What a schema cannot say: years in order, areas and bands of the population file, fee paths that exist."""
    name = display(path)
    problems = []
    first, last = data["years"]["first"], data["years"]["last"]
    if first > last:
        problems.append(Problem(name, "/years/last", f"expected a year on or after first ({first}), found {last}"))
    series = [(["uptake", "series"], data["uptake"]["series"])]
    series += [(["population", "areas", area, band], points)
               for area, bands in data["population"]["areas"].items() for band, points in bands.items()]
    for where, points in series:
        years = [p["year"] for p in points]
        for i in range(1, len(years)):
            if years[i] <= years[i - 1]:
                problems.append(Problem(name, pointer([*where, i, "year"]), f"expected a year after {years[i - 1]} "
                                        f"(figures in year order), found {years[i]}"))
        if years and (years[0] > first or years[-1] < last):
            problems.append(Problem(name, pointer(where), f"expected figures covering {first}-{last} (the projection's "
                                    f"years), found {years[0]}-{years[-1]}"))
    try:
        regions = load_regions(root)
    except PolicyError:
        return problems  # the region files' own lines say why
    problems += _area_problems(name, data["population"]["areas"], regions)
    problems += _path_problems(name, data["fee_indexation"]["paths"], root)
    return problems


def _area_problems(name: str, areas: dict, regions: Regions) -> list[Problem]:
    wanted = sorted({r.community_region for r in regions.regions.values()})
    problems = []
    if sorted(areas) != wanted:
        problems.append(Problem(name, "/population/areas", f"expected the community regions of the population file "
                                f"({', '.join(wanted)}), found {', '.join(sorted(areas))}"))
    for area, bands in areas.items():
        if sorted(bands) != sorted(regions.age_bands):
            problems.append(Problem(name, pointer(["population", "areas", area]), f"expected the age bands of the "
                                    f"population file ({', '.join(regions.age_bands)}), found {', '.join(bands)}"))
    return problems


def _path_problems(name: str, paths: list[str], root: Path) -> list[Problem]:
    from engine.policy.policies import load_policies

    try:
        policies = load_policies(root)
    except PolicyError:
        return []
    problems = []
    for i, path in enumerate(paths):
        dated = policies.values.get(path)
        if dated is None or dated.unit != "EUR":
            problems.append(Problem(name, pointer(["fee_indexation", "paths", i]), f"expected the path of a dated "
                                    f"value in EUR of the loaded policies, found {path!r}"))
    return problems
