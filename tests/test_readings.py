"""The readings the project takes are written in the repository, and every reference to one resolves."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
POLICY = ROOT / "policy"
READINGS = POLICY / "readings.md"
REFERENCE = re.compile(r"readings\.md#([A-Za-z0-9_-]+)")


def readings(text: str) -> dict[str, str]:
    """Each reading's body by its id (a level-3 heading)."""
    parts = re.split(r"^### (\S+)\s*$", text, flags=re.MULTILINE)
    return dict(zip(parts[1::2], parts[2::2], strict=True))


def references() -> list[tuple[str, str]]:
    """(file, reading id) for every `readings.md#id` in the policy files and the README."""
    files = sorted(POLICY.rglob("*.json")) + [ROOT / "README.md"]
    return [(str(f.relative_to(ROOT)), m) for f in files for m in REFERENCE.findall(f.read_text(encoding="utf-8"))]


def test_the_reading_source_points_to_the_readings_in_the_repository():
    source = json.loads((POLICY / "sources.json").read_text(encoding="utf-8"))["sources"]["project-reading"]
    assert source["document"] == "policy/readings.md"
    assert (ROOT / source["document"]).is_file()


def test_every_reading_quotes_its_passage_from_a_known_source_and_says_its_reading():
    known = set(json.loads((POLICY / "sources.json").read_text(encoding="utf-8"))["sources"])
    found = readings(READINGS.read_text(encoding="utf-8"))
    assert len(found) >= 10
    for rid, body in found.items():
        cited = re.search(r"^Passage \(([a-z0-9_.-]+)[;)]", body, flags=re.MULTILINE)
        assert cited, f"{rid}: no 'Passage (<source key>)' line"
        assert cited.group(1) in known, f"{rid}: the passage's source {cited.group(1)!r} is not in sources.json"
        assert re.search(r"^> \S", body, flags=re.MULTILINE), f"{rid}: no quoted passage"
        assert re.search(r"^Reading: \S", body, flags=re.MULTILINE), f"{rid}: no 'Reading:' paragraph"


def test_reading_ids_are_unique():
    ids = re.findall(r"^### (\S+)\s*$", READINGS.read_text(encoding="utf-8"), flags=re.MULTILINE)
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize(("where", "rid"), references())
def test_every_referenced_reading_exists(where, rid):
    assert rid in readings(READINGS.read_text(encoding="utf-8")), f"{where} refers to readings.md#{rid}, which is not there"


def test_the_policy_files_refer_to_readings():
    assert {rid for _, rid in references()} >= {"convention-2024"}


def test_a_missing_reading_is_caught():
    assert "no-such-reading" not in readings(READINGS.read_text(encoding="utf-8"))
    assert REFERENCE.findall("see readings.md#no-such-reading.") == ["no-such-reading"]
