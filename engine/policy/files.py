"""Reading and checking policy files: JSON syntax, JSON Schema, and the checks a schema cannot express."""

from __future__ import annotations

import datetime as dt
import functools
import json
import os
import re
from collections.abc import Callable, Iterable
from pathlib import Path

from jsonschema import Draft202012Validator, FormatChecker, ValidationError
from referencing import Registry, Resource
from referencing.exceptions import NoSuchResource
from referencing.jsonschema import DRAFT202012

from engine.dates import parse_date
from engine.errors import Problem
from engine.limits import limits
from engine.policy.categories import category_problems
from engine.policy.fields import condition_problems
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


BUNDLED_SCHEMAS = PACKAGE_ROOT / "policy" / "schema"


def _refuse(uri: str):
    """Schemas are never fetched: a reference outside the bundled set does not resolve."""
    raise NoSuchResource(ref=uri)


@functools.cache
def _registry() -> Registry:
    """The bundled schemas by `$id` and by file name; nothing else resolves, nothing is fetched."""
    registry = Registry(retrieve=_refuse)
    for path in sorted(BUNDLED_SCHEMAS.glob("*.schema.json")):
        resource = Resource.from_contents(json.loads(path.read_text(encoding="utf-8")), default_specification=DRAFT202012)
        registry = registry.with_resources([(path.name, resource), *([(resource.id(), resource)] if resource.id() else [])])
    return registry.crawl()


_FORMATS = FormatChecker(formats=())


@_FORMATS.checks("date", raises=ValueError)
def _is_date(text: object) -> bool:
    """A date YYYY-MM-DD within the dates the engine supports (other types are the `type` keyword's concern)."""
    return not isinstance(text, str) or bool(parse_date(text))


@functools.cache
def _validator(schema_name: str) -> Draft202012Validator:
    schema = json.loads((BUNDLED_SCHEMAS / schema_name).read_text(encoding="utf-8"))
    return Draft202012Validator(schema, registry=_registry(), format_checker=_FORMATS)


class _Refused:
    """A number the parser does not take, kept with why so that the walk can name its JSON pointer."""

    def __init__(self, why: str):
        self.why = why


class _Twice(dict):
    """An object in which some keys appear more than once."""

    twice: list[str]


def _number(text: str, kind=float):
    """A JSON number, or a _Refused one: not finite, or beyond the largest number carepolicy reads."""
    largest = limits().largest_number
    digits = len(text.lstrip("-").split(".")[0].split("e")[0].split("E")[0].lstrip("0"))
    if kind is int and digits > len(str(largest)):
        return _Refused(f"expected a number of at most {largest:,} (the largest number carepolicy reads), "
                        f"found a number of {digits} digits")
    value = kind(text)
    if value != value or abs(value) > largest:
        shown = text[:40] + ("..." if text[40:] else "")
        return _Refused(f"expected a number of at most {largest:,} (the largest number carepolicy reads), found {shown}")
    return value


def _constant(text: str) -> _Refused:
    return _Refused(f"expected a finite number, found {text}")


def _object(pairs: list[tuple[str, object]]) -> dict:
    obj = dict(pairs)
    if len(obj) == len(pairs):
        return obj
    seen: set[str] = set()
    twice = _Twice(obj)
    twice.twice = sorted({k for k, _ in pairs if k in seen or seen.add(k)})
    return twice


def _parse_problems(name: str, data: object) -> list[Problem]:
    """Refused numbers, repeated keys and nesting beyond the limit, each at its JSON pointer (no recursion)."""
    problems = []
    deepest = limits().nesting
    stack = [([], data)]
    while stack:
        parts, node = stack.pop()
        if isinstance(node, _Refused):
            problems.append(Problem(name, pointer(parts), node.why))
        elif isinstance(node, dict | list) and len(parts) >= deepest:
            problems.append(Problem(name, pointer(parts), f"expected at most {deepest} levels of nesting "
                                    "(the limit of carepolicy), found deeper"))
        elif isinstance(node, dict):
            if isinstance(node, _Twice):
                problems += [Problem(name, pointer([*parts, key]), "expected each key once in an object, found "
                                     f"{key!r} more than once (which one counts would be a guess)") for key in node.twice]
            stack += [([*parts, k], v) for k, v in reversed(node.items())]
        elif isinstance(node, list):
            stack += [([*parts, i], v) for i, v in reversed(list(enumerate(node)))]
    return problems


def read_json(path: Path) -> tuple[object, list[Problem]]:
    """Parse a JSON file; a syntax error becomes a Problem with line and column, never quoting the file.

    Refused up front, each at its JSON pointer: a number that is not finite or beyond the largest
    number, a key given twice in one object, nesting beyond the limit, a file beyond the size limit.
    """
    name = display(path)
    most = limits().file_bytes
    try:
        size = path.stat().st_size
        if size > most:
            return None, [Problem(name, "/", f"expected a file of at most {most:,} bytes (the limit of carepolicy), "
                                  f"found {size:,} bytes")]
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        return None, [Problem(name, f"byte {exc.start}", "expected UTF-8 text, found undecodable bytes")]
    except OSError as exc:
        return None, [Problem(name, "/", f"expected a readable file, found {exc.strerror}")]
    try:
        data = json.loads(text, parse_float=_number, parse_int=lambda t: _number(t, int),
                          parse_constant=_constant, object_pairs_hook=_object)
    except json.JSONDecodeError as exc:
        return None, [_json_problem(name, text, exc)]
    except RecursionError:
        return None, [Problem(name, "/", f"expected at most {limits().nesting} levels of nesting "
                              "(the limit of carepolicy), found far deeper")]
    problems = _parse_problems(name, data)
    return (None, problems) if problems else (data, [])


def _json_problem(name: str, text: str, exc: json.JSONDecodeError) -> Problem:
    """Where the JSON breaks; a comma before a closing bracket or brace (common when editing by hand) is named as such."""
    before = text[:exc.pos].rstrip()
    if before.endswith(",") and text[exc.pos:exc.pos + 1] in ("]", "}"):
        comma = len(before) - 1
        line, column = text.count("\n", 0, comma) + 1, comma - text.rfind("\n", 0, comma)
        return Problem(name, f"line {line} column {column}", f"expected a value after the comma, found "
                       f"{text[exc.pos]!r}: remove the trailing comma")
    whole, decimals = re.search(r"(-?\d+),\s*$", text[:exc.pos]), re.match(r"\d+", text[exc.pos:])
    if whole and decimals:  # 81,74 written with a decimal comma
        return Problem(name, f"line {exc.lineno} column {exc.colno}", f"expected a number with a decimal point, "
                       f"found '{whole.group(1)},{decimals.group()}': write {whole.group(1)}.{decimals.group()}")
    at_end = not text[exc.pos:].strip()
    found = "the end of the file" if at_end else "something else there"
    return Problem(name, f"line {exc.lineno} column {exc.colno}", f"expected valid JSON ({exc.msg}), found {found}")


def schema_problems(path: Path, data: object) -> list[Problem]:
    """Check a document against the schema its `$schema` names."""
    name = display(path)
    known = sorted(p.name for p in BUNDLED_SCHEMAS.glob("*.schema.json"))
    if not isinstance(data, dict):
        return [Problem(name, "/", f"expected an object, found {found(data)}")]
    ref = data.get("$schema")
    if not isinstance(ref, str) or Path(ref).name not in known:
        return [Problem(name, "/$schema", f"expected the path of one of {', '.join(known)}, "
                        f"found {found(ref) if ref is not None else 'nothing'}")]
    validator = _validator(Path(ref).name)
    errors = sorted(validator.iter_errors(data), key=lambda e: [f"{p:09d}" if isinstance(p, int) else p for p in e.absolute_path])
    return list(dict.fromkeys(Problem(name, *describe(e)) for e in errors))  # a date may fail format and pattern


def schema_errors(data: dict) -> list[ValidationError]:
    """The schema errors of a document against the bundled schema its `$schema` names (a known one)."""
    return list(_validator(Path(data["$schema"]).name).iter_errors(data))


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
        if isinstance(node, dict) and "field" in node and "op" in node:
            problems += _operand_problems(name, parts, node)
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
    return problems + _validity_problems(name, data) + condition_problems(name, data) + category_problems(name, data)


def _validity_problems(name: str, data: dict) -> list[Problem]:
    """A version that ends before it starts (it would never be in force)."""
    valid = data.get("valid")
    if not isinstance(valid, dict) or "to" not in valid:
        return []
    try:
        start, end = parse_date(valid["from"]), parse_date(valid["to"])
    except (KeyError, TypeError, ValueError):
        return []  # the schema reports malformed dates
    if end >= start:
        return []
    return [Problem(name, "/valid/to", f"expected a date on or after {start} (valid.from: a version that ends "
                    f"before it starts is never in force), found {end}")]


def _operand_problems(name: str, parts: list, leaf: dict) -> list[Problem]:
    """A list of values goes with `in`/`not_in` (and is not empty); a single value with the other operators."""
    listed, value = leaf["op"] in ("in", "not_in"), leaf.get("value")
    if listed and (not isinstance(value, list) or not value):
        return [Problem(name, pointer([*parts, "value"]), f"expected a non-empty list of values for {leaf['op']!r}, "
                        f"found {found(value)}")]
    if not listed and isinstance(value, list):
        return [Problem(name, pointer([*parts, "value"]), f"expected one value for {leaf['op']!r} (a list goes with "
                        f"'in' or 'not_in'), found {found(value)}")]
    return []


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
            end = None
        if previous_start is not None and start <= previous_start:
            problems.append(Problem(name, where + "/from",
                                    f"expected a date after {previous_start} (histories are in date order), found {start}"))
        elif previous_end is not None and start <= previous_end:
            problems.append(Problem(name, where + "/from",
                                    f"expected a date after {previous_end} (the previous value's end: "
                                    f"dates must not overlap), found {start}"))
        elif previous_end is not None and start > previous_end + dt.timedelta(days=1):
            problems.append(Problem(name, where + "/from",
                                    f"expected {previous_end + dt.timedelta(days=1)}, the day after the previous value's "
                                    f"end (periods must not leave a gap), found {start}"))
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
    if isinstance(data.get("id"), str) and data["id"] != path.stem:
        problems.append(Problem(display(path), "/id", f"expected {path.stem!r} (the file name), found {data['id']!r}"))
    return data, problems + semantic_problems(path, data, source_keys)


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
