"""Declarative conditions from policy files, compiled once and evaluated on one claim or on arrays.

A condition is `{field, op, value}` or `{all: [...]}` / `{any: [...]}`. A value is a literal or a
dated value, referred to by its parameter path so that scenario overlays apply to it.
"""

from __future__ import annotations

import datetime as dt
import operator
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from engine.policy.policies import PolicySet, dated_nodes

_OPS = {"==": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le,
        ">": operator.gt, ">=": operator.ge}


@dataclass(frozen=True)
class Leaf:
    field: str
    op: str
    literal: Any = None
    path: str | None = None  # set when the value is a dated value

    def value(self, policies: PolicySet, day: dt.date) -> Any:
        return policies.value_at(self.path, day).value if self.path else self.literal

    def describe(self, policies: PolicySet, day: dt.date) -> str:
        return f"{self.field} {self.op} {self.value(policies, day)!r}"


@dataclass(frozen=True)
class Group:
    mode: str  # "all" or "any"
    items: tuple


Condition = Leaf | Group


def compile_condition(node: dict, path: str) -> Condition:
    """Compile a condition node; `path` is the parameter path of the node (`….rules.youth_free.when`).

    Its dated values take the paths under which the policy set holds them (`dated_nodes`), however deep
    they are nested and however many leaves read the same field.
    """
    head, key = path.rsplit(".", 1)
    paths = {at[1:-1]: name for name, (at, _) in dated_nodes(head, {key: node}).items()}
    return _compiled(node, (), paths)


def _compiled(node: dict, at: tuple, paths: dict[tuple, str]) -> Condition:
    if "field" in node:
        if at in paths:
            return Leaf(node["field"], node["op"], path=paths[at])
        return Leaf(node["field"], node["op"], literal=_literal(node["field"], node["value"]))
    mode = next(iter(node))
    return Group(mode, tuple(_compiled(n, (*at, mode, i), paths) for i, n in enumerate(node[mode])))


def _literal(field: str, value: Any) -> Any:
    if field == "session_date" and isinstance(value, str):
        return dt.date.fromisoformat(value)
    if field == "session_date" and isinstance(value, list):
        return [dt.date.fromisoformat(v) for v in value]
    return value


def leaves(cond: Condition) -> list[Leaf]:
    """The field conditions of a condition."""
    return [cond] if isinstance(cond, Leaf) else [leaf for c in cond.items for leaf in leaves(c)]


def holds(cond: Condition, ctx: dict, policies: PolicySet, day: dt.date) -> bool:
    """Whether a condition holds for one claim (`ctx` maps field names to values)."""
    if isinstance(cond, Group):
        results = (holds(c, ctx, policies, day) for c in cond.items)
        return all(results) if cond.mode == "all" else any(results)
    value = cond.value(policies, day)
    actual = ctx[cond.field]
    if cond.op == "in":
        return actual in value
    if cond.op == "not_in":
        return actual not in value
    if value is None:
        return False  # a rule whose threshold is null is not in force
    return bool(_OPS[cond.op](actual, value))


@dataclass(frozen=True)
class Coded:
    """A text column as integer codes into its distinct values (code -1: no value), for array evaluation."""

    codes: np.ndarray
    categories: np.ndarray  # object array

    def __len__(self) -> int:
        return len(self.codes)

    def take(self, rows: np.ndarray) -> Coded:
        return Coded(self.codes[rows], self.categories)

    def equals(self, text: str) -> np.ndarray:
        """The rows whose value is `text`."""
        hit = np.flatnonzero(self.categories == text)
        return self.codes == hit[0] if len(hit) else np.zeros(len(self.codes), bool)

    def lookup(self, table: dict, default, dtype=None) -> np.ndarray:
        """A value per row from a value per text (`default` for other texts and for rows without one)."""
        return np.array([table.get(c, default) for c in self.categories] + [default], dtype=dtype)[self.codes]


def mask(cond: Condition, ctx: dict[str, np.ndarray | Coded], values: Callable[[str], np.ndarray]) -> np.ndarray:
    """The rows of `ctx` (arrays or Coded text, one element per row) for which a condition holds.

    `values(path)` gives a dated value on each row's date (float, NaN where it is null).
    """
    if isinstance(cond, Group):
        out = None
        for c in cond.items:
            m = mask(c, ctx, values)
            out = m if out is None else (out & m) if cond.mode == "all" else (out | m)
        if out is None:
            n = len(next(iter(ctx.values())))
            return np.full(n, cond.mode == "all")
        return out
    actual = ctx[cond.field]
    if isinstance(actual, Coded):
        if not cond.path:
            per_category = _leaf_mask(cond, actual.categories, None)
            return np.append(per_category, False)[actual.codes]  # code -1 picks the appended False
        actual = np.append(actual.categories, None)[actual.codes]
    return _leaf_mask(cond, np.asarray(actual), values)


def _leaf_mask(cond: Leaf, actual: np.ndarray, values: Callable[[str], np.ndarray] | None) -> np.ndarray:
    n = len(actual)
    if cond.path:
        value = values(cond.path)
        defined = ~np.isnan(value)
        with np.errstate(invalid="ignore"):
            return defined & _OPS[cond.op](actual, value) if cond.op in _OPS else np.zeros(n, bool)
    value = cond.literal
    if isinstance(value, dt.date):
        value = np.datetime64(value, "D")
    if cond.op == "in":
        return np.isin(actual, value)
    if cond.op == "not_in":
        return ~np.isin(actual, value)
    if value is None:
        return np.zeros(n, bool)
    return np.asarray(_OPS[cond.op](actual, value), dtype=bool) & np.ones(n, bool)
