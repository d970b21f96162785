"""The memory settings of a command: NumPy's arrays in ordinary pages unless the user asks otherwise."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="transparent huge pages are Linux's")

PROBE = ("from carepolicy import cli; cli.main(['list', 'regions']); "
         "import numpy._core.multiarray as m; print('huge pages', m._get_madvise_hugepage())")


def _huge_pages(env: dict[str, str]) -> str:
    clean = {k: v for k, v in os.environ.items() if k != "NUMPY_MADVISE_HUGEPAGE"}
    done = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, env={**clean, **env},
                          check=True)
    return done.stdout.strip().splitlines()[-1]


def test_a_command_imports_numpy_without_huge_pages():
    assert _huge_pages({}) == "huge pages False"


def test_the_users_setting_wins():
    assert _huge_pages({"NUMPY_MADVISE_HUGEPAGE": "1"}) == "huge pages True"
