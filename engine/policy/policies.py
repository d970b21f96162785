"""The loaded policy set: every policy file of a folder, indexed by parameter path, cached."""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
from dataclasses import dataclass, field
from pathlib import Path

from engine.dates import parse_date
from engine.errors import PolicyError, Problem, ResolveError, did_you_mean
from engine.policy.dated import DatedValue, Resolved
from engine.policy.files import default_policy_dir, display, source_keys_for, unique_documents


@dataclass(frozen=True, eq=False)
class PolicySet:
    """All policy documents of a folder and their dated values, addressable by dotted path.

    A path is the document id followed by object keys, with list items named by their `id`:
    `riziv-psy-2021.tariff.rows.individual.fee`.
    """

    root: Path
    docs: dict[str, dict]
    files: dict[str, Path]
    sources: dict[str, dict]
    values: dict[str, DatedValue]
    scenario: str = "baseline"
    overlays: tuple = field(default=())

    def dated(self, path: str) -> DatedValue:
        """The dated value at `path`, or a clear error naming the closest known path."""
        try:
            return self.values[path]
        except KeyError:
            raise ResolveError(f"unknown parameter {path!r}{did_you_mean(path, list(self.values))}") from None

    def value_at(self, path: str, day: dt.date) -> Resolved:
        """The value of a parameter on a date, with its source and status."""
        return self.dated(path).value_at(day)

    def of_kind(self, kind: str) -> list[dict]:
        """The documents of one kind, in id order."""
        return [d for _, d in sorted(self.docs.items()) if d["kind"] == kind]

    def doc(self, doc_id: str) -> dict:
        """One document by id."""
        try:
            return self.docs[doc_id]
        except KeyError:
            raise ResolveError(f"unknown policy {doc_id!r}{did_you_mean(doc_id, list(self.docs))}") from None

    def same_files(self, other: PolicySet) -> bool:
        """Whether `other` holds the same policy documents (a scenario changes dated values, not documents)."""
        return self.docs is other.docs or self.docs == other.docs

    def same_values(self, other: PolicySet) -> bool:
        """Whether `other` has the same files and the same dated values: their units, dates and values (not their
        sources and notes, which no evaluation reads)."""
        def values(policies: PolicySet) -> dict[str, tuple]:
            return {path: (v.unit, tuple((e.start, e.end, e.value) for e in v.entries))
                    for path, v in policies.values.items()}
        return self.same_files(other) and values(self) == values(other)

    def with_values(self, changed: dict[str, DatedValue], scenario: str, overlays: tuple) -> PolicySet:
        """A copy with some dated values replaced (a scenario overlay)."""
        return dataclasses.replace(self, values={**self.values, **changed}, scenario=scenario,
                                   overlays=overlays)


def dated_values(doc_id: str, doc: dict, until: dt.date | None = None) -> dict[str, DatedValue]:
    """Every dated value in a document, by dotted path; `until` is the version's last day."""
    return {path: DatedValue.from_json(path, node, until) for path, (_, node) in dated_nodes(doc_id, doc).items()}


def dated_nodes(doc_id: str, node, parts=(), at=()) -> dict[str, tuple[tuple, dict]]:
    """Every dated value's JSON object in a document, by dotted path, with the JSON pointer parts of the object.

    A condition's value is named by its field (`…youth_free.when.age`), without the all/any level, whether
    the condition is a single leaf or a list of them.
    """
    out: dict[str, tuple[tuple, dict]] = {}
    if isinstance(node, dict):
        if "history" in node and "unit" in node:
            return {".".join([doc_id, *parts]): (at, node)}
        if "field" in node and "op" in node:
            return dated_nodes(doc_id, node["value"], parts, (*at, "value"))
        for key, child in node.items():
            named = parts if key in ("all", "any") else (*parts, str(key))
            if isinstance(child, dict) and "field" in child and "op" in child:
                named = (*named, str(child["field"]))  # a leaf on its own, as in a list
            out |= dated_nodes(doc_id, child, named, (*at, key))
    elif isinstance(node, list):
        for i, child in enumerate(node):
            name = str(i)
            if isinstance(child, dict):
                name = child.get("id") or child.get("field") or name
            found = dated_nodes(doc_id, child, (*parts, name), (*at, i))
            if found.keys() & out.keys():
                found = dated_nodes(doc_id, child, (*parts, f"{name}.{i}"), (*at, i))
            out |= found
    return out


def version_end(doc: dict) -> dt.date | None:
    """The last day of a document's version (None: open-ended)."""
    valid = doc.get("valid", {})
    return parse_date(valid["to"]) if "to" in valid else None


def policy_paths(folder: Path) -> list[Path]:
    """The policy documents of a folder: its top-level JSON files."""
    return sorted(folder.glob("*.json"))


def _signature(folder: Path) -> tuple:
    return tuple((p.name, p.stat().st_mtime_ns, p.stat().st_size) for p in policy_paths(folder))


def load_policies(folder: Path | str | None = None) -> PolicySet:
    """Load and check every policy file of a folder; cached until a file changes.

    Raises PolicyError listing every problem in every file.
    """
    folder = Path(folder) if folder is not None else default_policy_dir()
    folder = folder.resolve()
    if not folder.is_dir():
        raise PolicyError([Problem(display(folder), "/", "expected a policy folder, found none")])
    return _load(folder, _signature(folder))


@functools.lru_cache(maxsize=8)
def _load(folder: Path, signature: tuple) -> PolicySet:
    keys = source_keys_for(folder)
    checked, problems = unique_documents(
        policy_paths(folder), keys, "id", lambda doc_id, first: f"expected a unique policy id, found {doc_id!r}, "
                                                                  f"already used by {display(first)}")
    docs = {doc_id: data for doc_id, (_, data) in checked.items()}
    files = {doc_id: path for doc_id, (path, _) in checked.items()}
    if keys is None:
        problems.append(Problem(display(folder / "sources.json"), "/sources",
                                "expected a readable registry of sources, found none"))
    if problems:  # what an override applies to is checked once every file reads
        raise PolicyError(problems)
    conventions = sorted(i for i, d in docs.items() if d["kind"] == "convention")
    for doc_id, doc in docs.items():
        target = doc.get("applies_to")
        if doc["kind"] == "copayment_override" and target not in conventions:
            what = ("this file itself" if target == doc_id else f"a {docs[target]['kind']} file" if target in docs
                    else "no loaded file")
            problems.append(Problem(display(files[doc_id]), "/applies_to", f"expected the id of a loaded convention "
                                    f"({', '.join(conventions) or 'none'}), found {target!r} ({what})"))
    if problems:
        raise PolicyError(problems)
    values: dict[str, DatedValue] = {}
    for doc_id, doc in docs.items():
        values |= dated_values(doc_id, doc, version_end(doc))
    sources = docs.get("sources", {}).get("sources", {})
    return PolicySet(folder, docs, files, sources, values)
