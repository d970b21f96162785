"""Reading and checking policy files: JSON syntax, JSON Schema, and the checks a schema cannot express."""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Callable, Iterable
from pathlib import Path

from jsonschema import Draft202012Validator

from engine.dates import parse_date
from engine.errors import Problem
from engine.policy.schema_messages import describe, found, pointer

PACKAGE_ROOT = Path(__file__).resolve().parents[2]


def default_policy_dir() -> Path:
    """The policy folder: $CAREPOLICY_POLICY, else the bundled `policy/`."""
    return Path(os.environ.get("CAREPOLICY_POLICY", PACKAGE_ROOT / "policy"))


def display(path: Path) -> str:
    """A path as the user should see it: relative to the working directory when below it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def policy_root(path: Path) -> Path:
    """The folder holding `schema/` for a policy file or folder."""
    here = path.resolve() if path.is_dir() else path.resolve().parent
    for folder in (here, *here.parents):
        if (folder / "schema").is_dir():
            return folder
    return default_policy_dir().resolve()


@functools.cache
def _validator(schema_file: Path) -> Draft202012Validator:
    schema = json.loads(schema_file.read_text(encoding="utf-8"))
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def read_json(path: Path) -> tuple[object, list[Problem]]:
    """Parse a JSON file; a syntax error becomes a Problem with line and column."""
    name = display(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        return None, [Problem(name, f"byte {exc.start}", "expected UTF-8 text, found undecodable bytes")]
    except OSError as exc:
        return None, [Problem(name, "/", f"expected a readable file, found {exc.strerror}")]
    try:
        return json.loads(text), []
    except json.JSONDecodeError as exc:
        return None, [_json_problem(name, text, exc)]


def _json_problem(name: str, text: str, exc: json.JSONDecodeError) -> Problem:
    """Where the JSON breaks; a comma before a closing bracket or brace (common when editing by hand) is named as such."""
    before = text[:exc.pos].rstrip()
    if before.endswith(",") and text[exc.pos:exc.pos + 1] in ("]", "}"):
        comma = len(before) - 1
        line, column = text.count("\n", 0, comma) + 1, comma - text.rfind("\n", 0, comma)
        return Problem(name, f"line {line} column {column}", f"expected a value after the comma, found "
                       f"{text[exc.pos]!r}: remove the trailing comma")
    at_end = not text[exc.pos:].strip()
    snippet = "the end of the file" if at_end else repr(text.splitlines()[exc.lineno - 1].strip()[:40])
    return Problem(name, f"line {exc.lineno} column {exc.colno}", f"expected valid JSON ({exc.msg}), found {snippet}")


def schema_problems(path: Path, data: object) -> list[Problem]:
    """Check a document against the schema its `$schema` names."""
    name = display(path)
    schema_dir = policy_root(path) / "schema"
    known = sorted(p.name for p in schema_dir.glob("*.schema.json"))
    if not isinstance(data, dict):
        return [Problem(name, "/", f"expected an object, found {found(data)}")]
    ref = data.get("$schema")
    if not isinstance(ref, str) or Path(ref).name not in known:
        return [Problem(name, "/$schema", f"expected the path of one of {', '.join(known)}, "
                        f"found {found(ref) if ref is not None else 'nothing'}")]
    validator = _validator(schema_dir / Path(ref).name)
    errors = sorted(validator.iter_errors(data), key=lambda e: [f"{p:09d}" if isinstance(p, int) else p for p in e.absolute_path])
    return list(dict.fromkeys(Problem(name, *describe(e)) for e in errors))  # a date may fail format and pattern


def _walk(node, parts):
    """Yield (json path parts, node) for every object and array in a document."""
    yield parts, node
    if isinstance(node, dict):
        for key, child in node.items():
            yield from _walk(child, [*parts, key])
    elif isinstance(node, list):
        for i, child in enumerate(node):
            yield from _walk(child, [*parts, i])


def semantic_problems(path: Path, data: dict, source_keys: set[str] | None) -> list[Problem]:
    """Checks beyond the schema: ordered, non-overlapping histories; known sources; unique ids."""
    name = display(path)
    problems = []
    for parts, node in _walk(data, []):
        if isinstance(node, dict) and isinstance(node.get("history"), list):
            problems += _history_problems(name, parts, node["history"])
        if (source_keys is not None and isinstance(node, dict) and isinstance(node.get("source"), str)
                and node["source"] not in source_keys):
            problems.append(Problem(name, pointer([*parts, "source"]),
                                    f"expected a key of sources.json, found unknown source {node['source']!r}"))
        if isinstance(node, list):
            seen: dict[str, int] = {}
            for i, item in enumerate(node):
                if isinstance(item, dict) and isinstance(item.get("id"), str):
                    if item["id"] in seen:
                        problems.append(Problem(name, pointer([*parts, i, "id"]),
                                                f"expected a unique id, found {item['id']!r} again "
                                                f"(first at {pointer([*parts, seen[item['id']]])})"))
                    seen.setdefault(item["id"], i)
    return problems


def _history_problems(name: str, parts: list, history: list) -> list[Problem]:
    problems = []
    previous_start = previous_end = None
    for i, entry in enumerate(history):
        try:
            start = parse_date(entry["from"])
            end = parse_date(entry["to"]) if "to" in entry else None
        except (KeyError, TypeError, ValueError):
            return problems  # the schema reports malformed entries
        where = pointer([*parts, "history", i])
        if end is not None and end < start:
            problems.append(Problem(name, where + "/to", f"expected a date on or after {start}, found {end}"))
        if previous_start is not None and start <= previous_start:
            problems.append(Problem(name, where + "/from",
                                    f"expected a date after {previous_start} (histories are in date order), found {start}"))
        elif previous_end is not None and start <= previous_end:
            problems.append(Problem(name, where + "/from",
                                    f"expected a date after {previous_end} (the previous value's end: "
                                    f"dates must not overlap), found {start}"))
        previous_start, previous_end = start, end
    return problems


def check_file(path: Path, source_keys: set[str] | None) -> tuple[object, list[Problem]]:
    """All problems of one file: syntax, schema, then semantic checks."""
    data, problems = read_json(path)
    if problems:
        return None, problems
    problems = schema_problems(path, data)
    if problems:
        return data, problems
    return data, semantic_problems(path, data, source_keys)


def unique_documents(paths: Iterable[Path], source_keys: set[str] | None, field: str,
                     second: Callable[[str, Path], str]) -> tuple[dict[str, tuple[Path, dict]], list[Problem]]:
    """Check every file and keep the valid documents by the value of `field`.

    A document repeating a value already kept is a problem at `/field`, worded by `second(value, first_path)`.
    """
    docs: dict[str, tuple[Path, dict]] = {}
    problems: list[Problem] = []
    for path in paths:
        data, found = check_file(path, source_keys)
        problems += found
        if found:
            continue
        value = data[field]
        if value in docs:
            problems.append(Problem(display(path), f"/{field}", second(value, docs[value][0])))
            continue
        docs[value] = (path, data)
    return docs, problems


def source_keys_for(root: Path) -> set[str] | None:
    """The keys of the source registry in a policy root, or None when it is missing or broken."""
    data, problems = read_json(root / "sources.json")
    if problems or not isinstance(data, dict) or not isinstance(data.get("sources"), dict):
        return None
    return set(data["sources"])
