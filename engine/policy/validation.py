"""Validate policy files and folders: every problem of every file, one line each."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from engine.errors import PolicyError, Problem
from engine.policy.fields import condition_problems, declared_texts
from engine.policy.files import BUNDLED_SCHEMAS, check_file, display, policy_root, read_json, schema_problems, source_keys_for
from engine.policy.projection import projection_problems
from engine.policy.schema_messages import pointer

if TYPE_CHECKING:
    from engine.policy.policies import PolicySet


@dataclass(frozen=True)
class FileReport:
    """The outcome for one file: its summary when valid, else its problems."""

    path: Path
    summary: str
    problems: list[Problem]


def files_to_check(target: Path) -> list[Path]:
    """A file, or every JSON file below a folder except the schemas themselves."""
    if target.is_file():
        return [target]
    return sorted(p for p in target.rglob("*.json") if "schema" not in p.relative_to(target).parts)


def summarise(data: dict) -> str:
    """A one-line summary of a valid document."""
    kind = data.get("kind", "document")
    counts = {"sources": lambda d: f"{len(d['sources'])} sources", "cases": lambda d: f"{len(d['cases'])} cases"}
    parts = [kind, data.get("id", "")]
    if "version" in data:
        parts.append(f"version {data['version']}")
    if "valid" in data:
        parts.append(f"valid from {data['valid']['from']}" + (f" to {data['valid']['to']}" if "to" in data["valid"] else ""))
    if kind in counts:
        parts.append(counts[kind](data))
    n = _count_dated(data)
    if n:
        parts.append(f"{n} dated values")
    return ", ".join(p for p in parts if p)


def _count_dated(node) -> int:
    if isinstance(node, dict):
        if "history" in node and "unit" in node:
            return 1
        return sum(_count_dated(v) for v in node.values())
    if isinstance(node, list):
        return sum(_count_dated(v) for v in node)
    return 0


def validate(targets: list[Path]) -> list[FileReport]:
    """Check every file of the targets, then what the policy files of a folder say of each other."""
    reports = []
    if not targets:
        return reports
    for target in targets:
        if not target.exists():
            missing = Problem(display(target), "/", "expected a policy file or folder, found nothing at this path")
            reports.append(FileReport(target, "", [missing]))
            continue
        if target.is_file() and target.suffix.lower() != ".json":
            other = Problem(display(target), "/", f"expected a policy file ending in .json, found {target.suffix or 'no extension'!r}")
            reports.append(FileReport(target, "", [other]))
            continue
        root = policy_root(target)
        keys = source_keys_for(root)
        paths = files_to_check(target)
        registry = root / "sources.json"
        if keys is None and registry.resolve() not in {p.resolve() for p in paths}:
            reports.append(FileReport(registry, "", [Problem(display(registry), "/sources", "expected a readable "
                                      "registry of the sources that values cite, found none")]))
        for path in paths:
            data, problems = check_file(path, keys)
            if isinstance(data, dict) and data.get("kind") == "scenario" and not (problems and schema_problems(path, data)):
                checked = {display(p) for p in [*paths, registry]}  # with the file's own problems, all at once
                problems += [p for p in _scenario_problems(path, root, checked) if p not in problems]
            if not problems and isinstance(data, dict) and data.get("kind") == "projection":
                problems = projection_problems(path, data, root)
            if not problems and isinstance(data, dict) and data.get("kind") in ("population", "utilisation"):
                problems = _region_problems(path, root, data["kind"])
            reports.append(FileReport(path, "" if problems else summarise(data), problems))
        reports = _folder_problems(root, reports) + _schema_copy_problems(root)
    return reports


def _folder_problems(root: Path, reports: list[FileReport]) -> list[FileReport]:
    """Checks across the policy files of a folder (what an override applies to, a tariff row for every session
    the convention may cover, versions that take over by date with a value on every day they are in force),
    once each file is valid alone."""
    from engine.policy.coverage import tariff_gaps
    from engine.policy.policies import load_policies, policy_paths
    from engine.policy.versions import same_day_versions, short_histories, short_overrides

    mine = {p.resolve() for p in policy_paths(root)}
    if not any(r.path.resolve() in mine for r in reports) or any(r.problems for r in reports):
        return reports
    try:
        policies = load_policies(root)
        problems = (same_day_versions(policies) + short_histories(policies) + short_overrides(policies) + tariff_gaps(policies)
                    + _override_problems(policies) + _same_declared_problems(policies))
    except PolicyError as exc:
        problems = exc.problems
    by_file: dict[str, list[Problem]] = {}
    for problem in problems:
        by_file.setdefault(problem.file, []).append(problem)
    return [FileReport(r.path, "", by_file[display(r.path)]) if display(r.path) in by_file else r for r in reports]


def _override_problems(policies: PolicySet) -> list[Problem]:
    """Conditions of a co-payment override on a text its convention declares (a care type) that the convention
    does not declare."""
    problems = []
    for doc in policies.of_kind("copayment_override"):
        declared = declared_texts(policies.doc(doc["applies_to"]))
        problems += condition_problems(display(policies.files[doc["id"]]), doc, declared)
    return problems


SAME_IN_EVERY_VERSION = (("network_types", "network types"), ("leaders", "leaders"), ("settings", "settings"))
"""What every convention version of a folder declares alike (the key of the file and of Convention, and its name)."""


def _same_declared_problems(policies: PolicySet) -> list[Problem]:
    """Every convention version of a folder declares the same network types, leaders and settings (in the same order):
    a claim's values must be ones the convention in force on its date knows, whichever that is, and an empty setting
    takes the same default."""
    from engine.policy.rules import rules_of

    conventions = rules_of(policies).conventions
    if not conventions:
        return []
    first = conventions[0]
    return [Problem(display(policies.files[c.id]), f"/{key}", f"expected the {what} of {first.id} "
                    f"({', '.join(getattr(first, key))}), as every convention version of a folder declares the same, "
                    f"found {', '.join(getattr(c, key))}")
            for key, what in SAME_IN_EVERY_VERSION for c in conventions if getattr(c, key) != getattr(first, key)]


def _schema_copy_problems(root: Path) -> list[FileReport]:
    """A folder's own copy of the schemas is never used: documents are checked against the bundled schemas.

    A copy that differs from them is named, and so is each reference in it that leads outside them
    (such a reference is never followed: nothing is fetched, no other file is read).
    """
    reports = []
    folder = root / "schema"
    if not folder.is_dir() or folder.resolve() == BUNDLED_SCHEMAS.resolve():
        return reports
    bundled = {p.name for p in BUNDLED_SCHEMAS.glob("*.schema.json")}
    for path in sorted(folder.glob("*.schema.json")):
        data, problems = read_json(path)
        if not problems:
            problems = [Problem(display(path), pointer(parts), f"expected a reference within the bundled schemas, "
                                f"found {ref!r} (schemas are never fetched)") for parts, ref in _refs(data, [])
                        if not ref.startswith("#") and ref.split("#")[0] not in bundled]
        if not problems and (path.name not in bundled or data != read_json(BUNDLED_SCHEMAS / path.name)[0]):
            problems = [Problem(display(path), "/", "expected a copy of the bundled schema (documents are checked "
                                "against the bundled schemas), found a changed or unknown schema")]
        if problems:
            reports.append(FileReport(path, "", problems))
    return reports


def _refs(node, parts):
    """(JSON path parts, reference) for every `$ref` of a schema."""
    if isinstance(node, dict):
        if isinstance(node.get("$ref"), str):
            yield [*parts, "$ref"], node["$ref"]
        for key, child in node.items():
            yield from _refs(child, [*parts, key])
    elif isinstance(node, list):
        for i, child in enumerate(node):
            yield from _refs(child, [*parts, i])


def _region_problems(path: Path, root: Path, kind: str) -> list[Problem]:
    """A region file's meaning (ranges, shares, references between the files); the utilisation file must describe
    the members of every mutuality that has a supplementary benefit in the folder, and share care paths between the
    care types and network types the conventions declare."""
    from engine.policy.policies import load_policies
    from engine.policy.regions import benefit_problems, choice_problems, load_regions
    from engine.policy.rules import rules_of

    try:
        regions = load_regions(root)
    except PolicyError as exc:
        return [p for p in exc.problems if p.file == display(path)]
    if kind != "utilisation":
        return []
    try:
        policies = load_policies(root)
    except PolicyError:
        return []  # the policy files' own lines say why
    rules = rules_of(policies)
    return benefit_problems(regions, list(rules.supplementary)) + choice_problems(regions, rules)


def _scenario_problems(path: Path, root: Path, checked: set[str]) -> list[Problem]:
    """A scenario is checked against the policies of its folder (paths, units, dates), as when it is applied.

    When those policies do not load, the scenario cannot be checked: that is a problem of its own,
    unless the files at fault are among those being checked (their lines already say why).
    """
    from engine.policy.policies import load_policies
    from engine.policy.scenarios import load_scenario

    try:
        policies = load_policies(root)
    except PolicyError as exc:
        faulty = sorted({p.file for p in exc.problems} - checked)
        if not faulty:
            return []
        return [Problem(display(path), "/changes", f"expected policies in {display(root)} that load, to check the changes "
                        f"against, found problems in {', '.join(faulty)} (carepolicy validate {display(root)} lists them)")]
    try:
        load_scenario(path, policies)
    except PolicyError as exc:
        own = [p for p in exc.problems if p.file == display(path)]
        faulty = sorted({p.file for p in exc.problems} - checked - {display(path)})
        if faulty:  # the region data it needs; when those files are checked too, their own lines say why
            own.append(Problem(display(path), "/utilisation", f"expected region data in {display(root)} that loads, to "
                               f"check the changes against, found problems in {', '.join(faulty)} (carepolicy "
                               f"validate {display(root)} lists them)"))
        return own
    return []
