"""Turn JSON Schema errors into 'expected …, found …' messages an analyst can act on."""

from __future__ import annotations

import json

from jsonschema import ValidationError
from jsonschema.exceptions import best_match

from engine.cells import read_decimal
from engine.errors import Problem, did_you_mean

_JSON_TYPES = {dict: "an object", list: "an array", str: "a string", bool: "a boolean",
               int: "a number", float: "a number", type(None): "null"}


def pointer(parts) -> str:
    """A JSON pointer for a path of keys and indices ('/' for the document itself)."""
    escaped = [str(p).replace("~", "~0").replace("/", "~1") for p in parts]
    return "/" + "/".join(escaped) if escaped else "/"


def undeclared(file: str, parts: list, expected: str, allowed, found: str) -> Problem:
    """A value a file names that is not among those declared: where, what was expected (the allowed values) and a
    close match."""
    allowed = list(allowed)
    return Problem(file, pointer(parts), f"expected {expected} ({', '.join(allowed)}), found {found!r}"
                   f"{did_you_mean(found, allowed)}")


def found(value) -> str:
    """How a found value is shown: its type and, when short, the value itself."""
    kind = _JSON_TYPES.get(type(value), type(value).__name__)
    if isinstance(value, dict | list):
        return kind
    text = json.dumps(value, ensure_ascii=False)
    return f"{kind} {text if len(text) <= 40 else text[:37] + '...'}"


def describe(error: ValidationError) -> tuple[str, str]:
    """(JSON pointer, message) for one schema error, descending into anyOf/oneOf alternatives."""
    if error.validator in ("anyOf", "oneOf") and error.context:
        deepest = best_match(error.context)
        if deepest.validator not in ("type",) or len(error.context) == 1:
            return describe(deepest)
    where = pointer(error.absolute_path)
    v, inst, arg = error.validator, error.instance, error.validator_value
    if v == "type":
        types = arg if isinstance(arg, list) else [arg]
        number = {"number", "integer"} & set(types) and isinstance(inst, str) and read_decimal(inst) is not None
        comma = ", with a decimal point" if number and "," in inst else ""
        hint = f": write {read_decimal(inst):g} without quotes{comma}" if number else ""
        return where, f"expected {' or '.join(types)}, found {found(inst)}{hint}"
    if v == "required":
        missing = error.message.split("'")[1]
        return where, f"expected the key '{missing}', found it missing"
    if v == "additionalProperties":
        extra = sorted(set(inst) - set(error.schema.get("properties", {})))
        known = ", ".join(sorted(error.schema.get("properties", {}))) or "none"
        if len(extra) > 1:
            return where, f"expected one of the keys {known}, found unknown keys {', '.join(repr(k) for k in extra)}"
        hint = did_you_mean(extra[0], list(error.schema.get("properties", {})))
        return pointer([*error.absolute_path, extra[0]]), (
            f"expected one of the keys {known}, found unknown key '{extra[0]}'{hint}")
    if v == "propertyNames":
        return where, f"expected a known key, found {error.message.split(' ')[0]}"
    if v == "format" and arg == "date" and error.cause is not None and "YYYY" not in str(error.cause):
        return where, str(error.cause)
    if v in ("format", "pattern") and isinstance(arg, str) and ("date" in arg or r"\d{4}" in arg):
        return where, f"expected a date YYYY-MM-DD, found {found(inst)}"
    if v == "pattern":
        return where, f"expected text matching {arg}, found {found(inst)}"
    what = f" ({error.schema['title']})" if isinstance(error.schema.get("title"), str) else ""
    if v in ("minimum", "maximum"):
        return where, f"expected a number {'>=' if v == 'minimum' else '<='} {arg}{what}, found {found(inst)}"
    if v == "const":
        return where, f"expected {json.dumps(arg)}{what}, found {found(inst)}"
    if v == "enum":
        return where, f"expected one of {', '.join(json.dumps(o) for o in arg)}, found {found(inst)}"
    if v == "minItems":
        return where, f"expected at least {arg} item(s), found {len(inst)}"
    if v == "maxItems":
        return where, f"expected at most {arg} item(s){what}, found {len(inst)}"
    if v in ("minProperties", "maxProperties"):
        keys = f" ({', '.join(inst)})" if inst else ""
        return where, f"expected {'at least' if v == 'minProperties' else 'at most'} {arg} key(s), found {len(inst)}{keys}"
    if v == "uniqueItems" and isinstance(inst, list):
        items = [json.dumps(i, sort_keys=True, ensure_ascii=False) for i in inst]
        again = next((i for i in items if items.count(i) > 1), "an item")
        return where, f"expected each item once, found {again} more than once"
    if v == "minLength":
        return where, f"expected non-empty text, found {found(inst)}"
    return where, f"expected {v} {json.dumps(arg)[:60]}, found {found(inst)}"
