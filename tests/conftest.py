"""Shared fixtures: the bundled policies and a writable copy of the policy folder."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from engine.policy.files import PACKAGE_ROOT
from engine.policy.policies import load_policies

POLICY_DIR = PACKAGE_ROOT / "policy"


@pytest.fixture(scope="session")
def policies():
    """The bundled policy set."""
    return load_policies(POLICY_DIR)


@pytest.fixture
def policy_copy(tmp_path: Path) -> Path:
    """A throw-away copy of the bundled policy folder that a test may break."""
    target = tmp_path / "policy"
    shutil.copytree(POLICY_DIR, target)
    return target
