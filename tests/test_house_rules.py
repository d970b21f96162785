"""House rules on the Python source: no policy numbers, no change dates, no eval.

Tariffs, caps, thresholds and change dates live in policy/*.json only. The scan reads the source of
engine/, carepolicy/, xl_addin/ and workbooks/ with `ast` and reports, one line each:
- a literal equal to a policy number with a fraction (81.74, 2.5) or to its amount in cents when that does not end in 0 (8174);
- a float literal equal to a whole policy number (75.0, 11.0), where a plain count would be an int;
- an int literal compared with something (`age <= 23`, `count >= 8`) equal to a policy number;
- a date of the policy files (a `from`, `to`, `version` or `date`) written in a string or as a
  date(y, m, d) call with constant arguments, and any date literal in a comparison
  (`day >= date(2026, 5, 1)`); sample inputs and calendar constants elsewhere are not rules;
- a call of eval or exec (also as a method, e.g. DataFrame.eval).
0 and 1 are not policy numbers here: they are the neutral elements of every sum and product.
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest

from engine.policy.files import PACKAGE_ROOT, default_policy_dir
from engine.policy.rules import rules_of
from engine.policy.schema_messages import pointer

FOLDERS = ["engine", "carepolicy", "xl_addin", "workbooks"]
NEUTRAL = {0, 1}
ISO_DATE = re.compile(r"(?<!\d)\d{4}-\d{2}-\d{2}(?!\d)")
DATE_KEYS = {"from", "to", "version", "date"}
CALENDAR_DATES = {
    "1899-12-30": "serial 0 of Excel's 1900 date system",
    "1900-02-28": "the last day before Excel's phantom leap day",
    "1900-02-29": "Excel's phantom leap day",
    "9999-12-31": "the last date Excel shows",
    "1970-01-01": "the Unix epoch, day 0 of numpy's datetime64",
}
CALENDAR_NUMBERS = {("engine/dates.py", 10): "month index in the days-to-civil-date algorithm"}
DATE_CALLS = {"date", "datetime"}
CODE_RUNNERS = {"eval", "exec"}


def sources() -> list[Path]:
    return sorted(p for folder in FOLDERS for p in (PACKAGE_ROOT / folder).rglob("*.py"))


def policy_numbers(policies) -> dict[float, str]:
    """Every number of a dated value of the policies, with the first path that holds it."""
    numbers: dict[float, str] = {}
    for path, dated in sorted(policies.values.items()):
        for entry in dated.entries:
            if isinstance(entry.value, int | float) and not isinstance(entry.value, bool):
                numbers.setdefault(entry.value, path)
    return numbers


def policy_dates(folder: Path) -> dict[str, str]:
    """Every date a policy, scenario or region file states as a key's value, with the first place it is stated."""
    dates: dict[str, str] = {}

    def walk(node, parts, file):
        if isinstance(node, dict):
            for key, child in node.items():
                if key in DATE_KEYS and isinstance(child, str) and ISO_DATE.fullmatch(child):
                    dates.setdefault(child, f"{file}: {pointer([*parts, key])}")
                walk(child, [*parts, key], file)
        elif isinstance(node, list):
            for i, child in enumerate(node):
                walk(child, [*parts, i], file)

    for path in sorted(folder.rglob("*.json")):
        if not {"schema", "cases"} & set(path.relative_to(folder).parts):
            walk(json.loads(path.read_text(encoding="utf-8")), [], path.relative_to(folder.parent))
    return dates


def _name(func: ast.expr) -> str:
    return func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""


def _is_number(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and type(node.value) in (int, float)


def _date_call(node: ast.AST) -> str | None:
    """The date of a date(y, m, d) or datetime(y, m, d, ...) call with constant arguments."""
    if (isinstance(node, ast.Call) and _name(node.func) in DATE_CALLS and len(node.args) >= 3
            and all(_is_number(a) for a in node.args[:3])):
        return "{:04d}-{:02d}-{:02d}".format(*(a.value for a in node.args[:3]))
    return None


def _date_literal(node: ast.AST) -> str | None:
    """The date a node writes literally: an ISO date string or a constant date call."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str) and ISO_DATE.fullmatch(node.value.strip()):
        return node.value.strip()
    return _date_call(node)


def violations(name: str, text: str, numbers: dict[float, str], dates: dict[str, str]) -> list[str]:
    """Every breach of the house rules in one source file, as `file:line: what`."""
    with_cents = {v: p for v, p in numbers.items() if v != int(v)}
    with_cents |= {round(v * 100): f"{p} (in cents)" for v, p in with_cents.items() if round(v * 100) % 10}
    found = []
    for node in ast.walk(ast.parse(text)):
        where = f"{name}:{getattr(node, 'lineno', 0)}"
        if _is_number(node):
            if node.value in with_cents:
                found.append(f"{where}: literal {node.value!r} equals {with_cents[node.value]}")
            elif type(node.value) is float and node.value in numbers and node.value not in NEUTRAL:
                found.append(f"{where}: literal {node.value!r} equals {numbers[node.value]}")
        elif isinstance(node, ast.Compare):
            for operand in (node.left, *node.comparators):
                day = _date_literal(operand)
                if day is not None and day not in dates and day not in CALENDAR_DATES:
                    found.append(f"{where}: comparison with date literal {day}")
                elif (_is_number(operand) and type(operand.value) is int and operand.value in numbers
                        and operand.value not in NEUTRAL and (name, operand.value) not in CALENDAR_NUMBERS):
                    found.append(f"{where}: comparison with {operand.value} equals {numbers[operand.value]}")
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            found += [f"{where}: date literal {d} is stated in {dates[d]}" for d in ISO_DATE.findall(node.value) if d in dates]
        elif isinstance(node, ast.Call):
            called, day = _name(node.func), _date_call(node)
            if called in CODE_RUNNERS:
                found.append(f"{where}: call of {called}")
            elif day in dates:
                found.append(f"{where}: date literal {day} is stated in {dates[day]}")
    return found


@pytest.fixture(scope="module")
def numbers(policies) -> dict[float, str]:
    return policy_numbers(policies)


@pytest.fixture(scope="module")
def dates() -> dict[str, str]:
    return policy_dates(default_policy_dir())


def test_the_scan_covers_the_code(numbers, dates):
    names = {str(p.relative_to(PACKAGE_ROOT)) for p in sources()}
    assert {"engine/policy/policies.py", "engine/evaluate/reference.py", "carepolicy/cli.py"} <= names
    assert {81.74, 11.0, 23, 140.0} <= set(numbers)
    assert dates["2024-02-01"] == "policy/riziv-psy-2021.json: /copayment/rules/0/when/all/0/value/history/1/from"
    assert {"2021-09-01", "2023-01-01", "2009-03-01", "2027-01-01"} <= set(dates)


@pytest.mark.parametrize("path", sources(), ids=lambda p: str(p.relative_to(PACKAGE_ROOT)))
def test_no_policy_numbers_dates_or_eval_in_code(path: Path, numbers, dates):
    name = str(path.relative_to(PACKAGE_ROOT))
    found = violations(name, path.read_text(encoding="utf-8"), numbers, dates)
    assert not found, "\n".join(found)


POLICY_DATE = "is stated in policy/riziv-psy-2021.json: /copayment/rules/0/when/all/0/value/history/1/from"


@pytest.mark.parametrize(("snippet", "expected"), [
    ("fee = 81.74", "x.py:1: literal 81.74 equals riziv-psy-2021.tariff.rows.individual.fee"),
    ("fee_cents = 8174", "x.py:1: literal 8174 equals riziv-psy-2021.tariff.rows.individual.fee (in cents)"),
    ("copay = 11.0", "x.py:1: literal 11.0 equals riziv-psy-2021.copayment.rules.individual.amount"),
    ("free = age <= 23", "x.py:1: comparison with 23 equals riziv-psy-2021.copayment.rules.youth_free.when.age"),
    ("start = '2024-02-01'", f"x.py:1: date literal 2024-02-01 {POLICY_DATE}"),
    ("text = f'from {x} to 2024-02-01'", f"x.py:1: date literal 2024-02-01 {POLICY_DATE}"),
    ("import datetime\nday = datetime.date(2024, 2, 1)", f"x.py:2: date literal 2024-02-01 {POLICY_DATE}"),
    ("new = day >= dt.date(2026, 5, 1)", "x.py:1: comparison with date literal 2026-05-01"),
    ("new = '2026-05-01' <= text", "x.py:1: comparison with date literal 2026-05-01"),
    ("eval('1 + 1')", "x.py:1: call of eval"),
    ("frame.eval('a + b')", "x.py:1: call of eval"),
])
def test_the_scan_finds_each_kind_of_breach(numbers, dates, snippet, expected):
    assert violations("x.py", snippet, numbers, dates) == [expected]


def test_the_scan_leaves_ordinary_code_alone(numbers, dates):
    code = ("width = 24\nrows = range(8)\nhalf = 0.5\nok = n == 0 or n > 1\nepoch = date(1899, 12, 30)\nevaluate(x)\n"
            "sample = date(1990, 3, 14)\nlast = day <= date(9999, 12, 31)\n")
    assert violations("x.py", code, numbers, dates) == []


def declared_ids(policies) -> dict[str, str]:
    """The ids the policy files declare and the code must not name: care types, network types, leaders, settings,
    quota categories and mutualities, each with where it is declared."""
    rules = rules_of(policies)
    ids = {m: f"the mutuality of {s[0].id}" for m, s in rules.supplementary.items()}
    for conv in rules.conventions:
        ids |= {t: f"{conv.id} care_types" for t in conv.care_types}
        ids |= {t: f"{conv.id} network_types" for t in conv.network_types}
        ids |= {t: f"{conv.id} leaders" for t in conv.leaders}
        ids |= {t: f"{conv.id} settings" for t in conv.settings}
        ids |= {c.id: f"{conv.id} quota.categories" for c in conv.categories}
    return ids


def named_ids(name: str, text: str, ids: dict[str, str]) -> list[str]:
    """String literals of code equal to an id the policy files declare."""
    return [f"{name}:{node.lineno}: literal {node.value!r} is declared in {ids[node.value]}"
            for node in ast.walk(ast.parse(text)) if isinstance(node, ast.Constant) and isinstance(node.value, str)
            and node.value in ids]


NAMELESS = ("engine", "xl_addin", "carepolicy")
"""The folders whose code names no declared id (the workbooks' example and the tests write sample values)."""


def test_the_code_names_no_declared_care_type_network_type_leader_setting_category_or_mutuality(policies):
    ids = declared_ids(policies)
    assert {"first_line", "specialised", "children", "adults", "specialised_individual", "cm", "psychologist",
            "doctor", "other", "standard", "clb_location", "clb_employed"} <= set(ids)
    assert named_ids("x.py", "care = 'first_line'\nnote = f'{x} adults'", ids) == [
        "x.py:1: literal 'first_line' is declared in riziv-psy-2021 care_types"]
    assert named_ids("x.py", "def f(setting='standard'):\n    return lead or 'psychologist'", ids) == [
        "x.py:1: literal 'standard' is declared in riziv-psy-2021 settings",
        "x.py:2: literal 'psychologist' is declared in riziv-psy-2021 leaders"]
    files = sorted(p for folder in NAMELESS for p in (PACKAGE_ROOT / folder).rglob("*.py"))
    assert {"engine/claims/contract.py", "xl_addin/functions.py", "carepolicy/cli.py"} <= {
        str(p.relative_to(PACKAGE_ROOT)) for p in files}
    found = [line for path in files
             for line in named_ids(str(path.relative_to(PACKAGE_ROOT)), path.read_text(encoding="utf-8"), ids)]
    assert found == []
