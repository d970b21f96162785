"""The simulation reads quota categories and care types from the convention, not from their names.

A category under another id (its care type and kind unchanged) simulates exactly as the bundled
one, network-level average included; a convention without the care types the simulation draws is
refused with its file and JSON pointer, never simulated into zeros.
"""

from __future__ import annotations

import shutil
import subprocess
import sys

import pandas as pd
import pytest
from conftest import POLICY_DIR
from policy_folders import rename_care_type, rename_category

from engine.errors import PolicyError
from engine.policy.policies import load_policies
from engine.policy.validation import validate
from engine.simulation.run import simulate


def _folder(tmp_path, change):
    folder = tmp_path / "policy"
    shutil.copytree(POLICY_DIR, folder)
    change(folder)
    assert [p for report in validate([folder]) for p in report.problems] == []
    return folder


def test_a_renamed_category_simulates_alike(tmp_path, policies):
    folder = _folder(tmp_path, lambda f: rename_category(f, "specialised_individual", "psy_specialised"))
    renamed = simulate(load_policies(folder), ["adult-quota-10"], year=2027, regions=["luxemburg"], workers=1)
    bundled = simulate(policies, ["adult-quota-10"], year=2027, regions=["luxemburg"], workers=1)
    assert (bundled.results["specialised_average"] > 0).all()
    pd.testing.assert_frame_equal(renamed.results, bundled.results)


def test_a_convention_without_the_simulated_care_types_is_refused(tmp_path):
    folder = _folder(tmp_path, lambda f: rename_care_type(f, "first_line", "support"))
    with pytest.raises(PolicyError) as caught:
        simulate(load_policies(folder), year=2027, regions=["luxemburg"], workers=1)
    assert str(caught.value.problems[0]) == (
        f"{folder / 'riziv-psy-2021.json'}: /care_types: expected the care types of the convention sessions the "
        "simulation draws (first_line, specialised) in the convention in force on 2027-07-01, found support, specialised")
    done = subprocess.run([sys.executable, "-m", "carepolicy", "simulate", "--policy", str(folder), "--year", "2027",
                           "-r", "luxemburg"], capture_output=True, text=True, check=False)
    assert done.returncode == 2 and "Traceback" not in done.stderr and "/care_types: expected" in done.stderr
