"""Every label of the workbook in English, French and Dutch; region names from the region data in all three."""

from __future__ import annotations

import io
import string

import openpyxl
import pytest
from test_workbook import impact_by_age, sensitivity_of, small_simulation, years_of

from workbooks import labels
from workbooks.comparison import build_workbook
from workbooks.labels import LANGUAGES, Labels, table


@pytest.fixture(scope="module")
def sim(tmp_path_factory):
    return small_simulation(tmp_path_factory.mktemp("scenarios"))


def test_every_label_used_has_all_three_languages(sim):
    labels.USED.clear()
    build_workbook(sim, impact=impact_by_age(sim), years=years_of(sim), sensitivity=sensitivity_of(sim))
    assert len(labels.USED) > 150
    missing = [text for text in sorted(labels.USED)
               if not all(table().get(text, {}).get(lang, "").strip() for lang in LANGUAGES if lang != "en")]
    assert missing == []
    placeholders = [text for text, other in table().items() for lang, shown in other.items()
                    if sorted(_fields(shown)) != sorted(_fields(text))]
    assert placeholders == []


def _fields(text: str) -> list[str]:
    return [name for _, name, _, _ in string.Formatter().parse(text) if name]


@pytest.mark.parametrize("lang", ["fr", "nl"])
def test_a_workbook_in_another_language(sim, lang):
    book = openpyxl.load_workbook(io.BytesIO(build_workbook(sim, lang=lang)), data_only=True)
    L = Labels(lang)
    assert book.sheetnames[:3] == [L("Summary"), L("Read me"), L("Comparison")]
    names = {sim.regions.regions[r].name(lang) for r in sim.region_ids}
    comparison = book[L("Comparison")]
    shown = {row[0].value for row in comparison[comparison.tables["Per_inhabitant"].ref][1:]}
    assert shown == names
    summary = book[L("Summary")]
    assert summary["A1"].value == L("Budget note: psychological care, {year}", year=sim.year)
    whatif = book[L("What-if")]
    assert whatif["B6"].value == L("All inputs are used.")


def test_region_names_in_three_languages(sim):
    for region in sim.regions.regions.values():
        assert all(region.names.get(lang) for lang in LANGUAGES), region.id
    assert sim.regions.region("Flandre orientale").id == "oost_vlaanderen"
    assert sim.regions.regions["luik"].name("fr") == "Liège" and sim.regions.regions["luik"].name("nl") == "Luik"


def test_an_unknown_language_is_refused():
    with pytest.raises(ValueError, match="language: expected one of en, fr, nl, found 'de'"):
        Labels("de")


def test_no_label_is_written_twice():
    """A repeated key in labels.json would silently keep only its last translations."""
    import json

    keys: list[str] = []
    json.loads(labels.FILE.read_text(encoding="utf-8"), object_pairs_hook=lambda pairs: keys.extend(
        k for k, v in pairs if isinstance(v, dict)) or dict(pairs))
    assert sorted(k for k in set(keys) if keys.count(k) > 1) == []
