"""Mutualities are data: every mutuality with a benefit file is simulated from its members' figures in the region data."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from carepolicy.cli import main
from engine.errors import CarePolicyError
from engine.evaluate.vectorized import evaluate_vectorized
from engine.policy.files import PACKAGE_ROOT
from engine.policy.policies import load_policies
from engine.policy.regions import load_regions
from engine.policy.rules import rules_of
from engine.policy.scenarios import BASELINE, load_scenario
from engine.simulation.run import run_one, simulate
from engine.simulation.synthetic import Draw, Synthesizer

REGION = ["luxemburg"]
UTILISATION = Path("regions") / "utilisation-be.json"


def _edit(folder: Path, relative: Path, change) -> None:
    path = folder / relative
    doc = json.loads(path.read_text())
    change(doc)
    path.write_text(json.dumps(doc))


def _second_mutuality(folder: Path, figures: bool = True) -> None:
    """A copy of the CM benefit as mutuality 'xm', with (or without) its members' figures in the region data."""
    doc = json.loads((folder / "cm-psychotherapy.json").read_text())
    doc.update(id="xm-psychotherapy", mutuality="xm")
    (folder / "xm-psychotherapy.json").write_text(json.dumps(doc))
    if figures:
        def add(use):
            use["mutualities"]["xm"] = {**use["mutualities"]["cm"], "label": "a second mutuality",
                                        "member_share": {"value": 0.05, "source": "scenario-hypothesis",
                                                         "status": "assumed"}}
        _edit(folder, UTILISATION, add)


def test_a_second_mutuality_with_a_benefit_file_is_simulated(policy_copy, policies):
    _second_mutuality(policy_copy)
    two = load_policies(policy_copy)
    rows = simulate(two, regions=REGION, workers=1, by=["mutuality"]).breakdown.set_index("mutuality")
    assert rows.loc["xm", "supplements"] > 0 and rows.loc["xm", "supplement_patients"] > 0
    assert rows.loc["xm", "patients"] > 0, "convention patients are members too"
    bundled = simulate(policies, regions=REGION, workers=1, by=["mutuality"]).breakdown.set_index("mutuality")
    for column in ("supplements", "supplement_patients", "supplement_sessions"):
        assert rows.loc["cm", column] == bundled.loc["cm", column], "adding a mutuality keeps the others' draws"
    # the new members' sessions are priced by their own benefit file
    draw = Draw(2027, 1, load_regions(policy_copy).reference_day)
    claims, _ = Synthesizer(two, load_regions(policy_copy), draw).claims(load_scenario(BASELINE, two), REGION)
    evaluated = evaluate_vectorized(claims, two)
    xm = (claims["mutuality"] == "xm").to_numpy()
    assert set(evaluated.loc[xm & (evaluated["supplement_amount"] > 0).to_numpy(), "scheme"]) == {"xm-psychotherapy"}


def test_a_benefit_file_without_members_figures_is_refused(policy_copy, capsys):
    _second_mutuality(policy_copy, figures=False)
    expected = (f"{UTILISATION.as_posix()}: /mutualities: expected the members' figures of mutuality 'xm', which has a "
                "supplementary benefit file (member_share, outside_uptake, sessions, provider), found none")
    assert main(["validate", str(policy_copy)]) == 2
    assert expected in capsys.readouterr().err
    assert main(["simulate", "--policy", str(policy_copy), "-r", "luxemburg"]) == 2
    assert expected in capsys.readouterr().err


def test_members_are_drawn_by_the_shares_of_their_region(policy_copy, policies):
    def luxemburg_cm(use):
        use["mutualities"]["cm"]["regions"] = {"luxemburg": {"value": 0.8, "source": "scenario-hypothesis",
                                                             "status": "assumed"}}
        for name in ("solidaris", "lm", "helan"):
            use["mutualities"][name]["member_share"]["value"] = 0.05
    _edit(policy_copy, UTILISATION, luxemburg_cm)
    assert load_regions(policy_copy).mutualities["cm"].share_in("luxemburg") == 0.8
    for folder in (PACKAGE_ROOT / "policy", policy_copy):
        data = load_regions(folder)
        patients = run_one(load_policies(folder), regions=["luxemburg", "namen"]).patients
        convention = patients[patients["patients"] > 0]
        for region in ("luxemburg", "namen"):
            members = convention.loc[convention["region"] == region, "mutuality"]
            for mutuality in data.mutualities.values():
                share = mutuality.share_in(region)
                assert (members == mutuality.id).mean() == pytest.approx(share, abs=0.02), (folder, region, mutuality.id)


def test_the_reference_day_comes_from_the_region_data(policy_copy):
    shutil.rmtree(policy_copy / "projection")  # the first convention's year lies before the projection
    with pytest.raises(CarePolicyError, match="in force on 1 July, the reference day"):
        simulate(load_policies(policy_copy), regions=REGION, year=2021)

    def december(use):
        use["reference_day"].update(month=12, day=1)
    _edit(policy_copy, UTILISATION, december)
    sim = simulate(load_policies(policy_copy), regions=REGION, year=2021, workers=1)
    assert sim.result("baseline", "patients") > 0


def test_the_simulation_names_no_mutuality_or_provider_kind():
    ids = {s.mutuality for values in rules_of(load_policies()).supplementary.values() for s in values}
    kinds = {m.provider for m in load_regions().mutualities.values()}
    for path in (PACKAGE_ROOT / "engine" / "simulation").glob("*.py"):
        text = path.read_text()
        for name in ids | kinds:
            assert f'"{name}"' not in text and f"'{name}'" not in text, f"{path.name} names {name!r}"
