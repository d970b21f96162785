"""The README's "Adding a mutuality" and "A new version" sections, followed literally on a copy of policy/."""

from __future__ import annotations

import csv
import json
import re
import shlex
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def section(name: str) -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index(f"<!-- section: {name} -->")
    end = text.find("<!-- section:", start + 1)
    return text[start:end if end > 0 else None]


def blocks(text: str, lang: str) -> list[str]:
    """The fenced blocks of one language, dedented (they may sit inside list items)."""
    return [textwrap.dedent(m.group(2)) for m in re.finditer(rf"^( *)```{lang}\n(.*?)^\1```", text, re.M | re.S)]


def tables(text: str) -> list[dict[str, object]]:
    """Each `| key | value |` table of JSON values, in order; a value's trailing words in parentheses are comments."""
    found, current = [], None
    for line in text.splitlines():
        row = re.match(r"^\s*\| `([^`]+)` \| `(.+?)`(?: \(.*\))? \|$", line)
        if row:
            current = current if current is not None else {}
            current[row.group(1)] = json.loads(row.group(2))
        elif current is not None and not line.strip().startswith("|"):
            found.append(current)
            current = None
    return found + ([current] if current else [])


def apply(doc: dict, settings: dict[str, object]) -> None:
    """Set each dotted key; a list is entered through the item whose `id` is the key part."""
    for key, value in settings.items():
        *path, last = key.split(".")
        node = doc
        for part in path:
            node = next(i for i in node if i["id"] == part) if isinstance(node, list) else node[part]
        node[last] = value


def edit(path: Path, settings: dict[str, object], replace: tuple[str, str] | None = None) -> None:
    text = path.read_text(encoding="utf-8")
    if replace:
        text = text.replace(*replace)
    doc = json.loads(text)
    apply(doc, settings)
    path.write_text(json.dumps(doc, indent=2, ensure_ascii=False), encoding="utf-8")


def run(command: str, cwd: Path) -> subprocess.CompletedProcess:
    """A README command; `carepolicy` is this interpreter's module, so the test runs this tree."""
    args = shlex.split(command)
    if args[0] == "carepolicy":
        args = [sys.executable, "-m", "carepolicy", *args[1:]]
    done = subprocess.run(args, cwd=cwd, capture_output=True, text=True)
    assert done.returncode == 0, f"{command}: {done.stdout}{done.stderr}"
    return done


def results(folder: Path) -> dict[str, dict[str, str]]:
    with open(folder / "results.csv", encoding="utf-8", newline="") as f:
        return {row["claim_id"]: row for row in csv.DictReader(f)}


def write_claims(folder: Path, rows: list[str]) -> None:
    header = "claim_id,patient_id,birth_date,session_date,kind,mutuality,provider,fee_charged"
    (folder / "claims.csv").write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")


@pytest.fixture
def work(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / "policy", tmp_path / "policy")
    return tmp_path


def test_adding_a_mutuality(work):
    text = section("adding a mutuality")
    source, members = blocks(text, "json")
    copy, check = blocks(text, "bash")
    sources = json.loads((work / "policy/sources.json").read_text(encoding="utf-8"))
    sources["sources"].update(json.loads("{" + source + "}"))
    (work / "policy/sources.json").write_text(json.dumps(sources, indent=2), encoding="utf-8")
    utilisation = json.loads((work / "policy/regions/utilisation-be.json").read_text(encoding="utf-8"))
    utilisation["mutualities"].update(json.loads("{" + members + "}"))
    (work / "policy/regions/utilisation-be.json").write_text(json.dumps(utilisation, indent=2), encoding="utf-8")
    run(copy.strip(), work)
    old, new = re.search(r'replace every `("[^"]+")` by `("[^"]+")`', text).groups()
    settings, = tables(text)
    edit(work / "policy/example-psychotherapy.json", settings, (old, new))
    header, row = re.search(r"one row: `([^`]+)` /\s+`([^`]+)`", text).groups()
    (work / "claims.csv").write_text(f"{header}\n{row}\n", encoding="utf-8")
    validate, evaluate = check.strip().splitlines()
    assert "example-psychotherapy.json: ok" in run(validate, work).stdout
    run(evaluate, work)
    got = results(work)["e1"]
    said = re.search(r"`scheme` `([^`]+)`, `supplement_amount` ([\d.]+) and\s+`patient_pays` (\d+\.\d\d)", text).groups()
    assert (got["scheme"], got["supplement_amount"], got["patient_pays"]) == said == (
        "example-psychotherapy", "12.50", "57.50")


def test_adding_a_mutuality_limits_its_sessions_a_year(work):
    """The copied limit a year acts: the ninth session of 2025 is refused (the README sets 8)."""
    test_adding_a_mutuality(work)
    write_claims(work, [f"e{i},p1,1980-01-01,2025-03-{i + 1:02d},individual,example,psychologist,70.00" for i in range(9)])
    run("carepolicy evaluate claims.csv -o results.csv --policy policy", work)
    got = results(work)
    assert [got[f"e{i}"]["covered"] for i in range(9)] == ["true"] * 8 + ["false"]
    assert got["e8"]["reason"] == "year_cap_reached"


def test_a_new_version(work):
    text = section("a new version")
    copy, = blocks(text, "bash")
    run(copy.strip(), work)
    new_settings, old_settings = tables(text)
    edit(work / "policy/cm-psychotherapy-2026.json", new_settings)
    edit(work / "policy/cm-psychotherapy.json", old_settings)
    assert "cm-psychotherapy-2026.json: ok" in run("carepolicy validate policy", work).stdout
    write_claims(work, ["v1,p1,1980-01-01,2025-12-31,individual,cm,psychotherapist,70.00",
                        "v2,p2,1980-01-01,2026-01-05,individual,cm,psychotherapist,70.00"])
    run("carepolicy evaluate claims.csv -o results.csv --policy policy", work)
    got = results(work)
    assert (got["v1"]["scheme"], got["v1"]["supplement_amount"]) == ("cm-psychotherapy", "10.00")
    assert (got["v2"]["scheme"], got["v2"]["supplement_amount"]) == ("cm-psychotherapy-2026", "12.00")
    said = re.search(r"2025-12-31 is priced by\s+`([^`]+)` \(EUR (\d+)\), one on 2026-01-05 by `([^`]+)` \(EUR (\d+)\)", text)
    assert said.groups() == ("cm-psychotherapy", "10", "cm-psychotherapy-2026", "12")
