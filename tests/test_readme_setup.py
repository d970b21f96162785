"""The README's two commands: a virtual environment in one line, and `.ci/run` runs the second verbatim."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return re.findall(r"```bash\n(.*?)\n```", text, flags=re.S)[:2]


def test_the_first_two_commands_create_and_use_a_virtual_environment():
    first, second = readme_commands()
    assert first == "python3 -m venv .venv && . .venv/bin/activate && pip install -q -e . && carepolicy compare"
    assert second == 'python3 -m venv .venv && . .venv/bin/activate && pip install -q -e ".[test]" && python -m pytest'


def test_ci_runs_the_readme_test_command_verbatim_on_an_externally_managed_python():
    script = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    lines = [line for line in script.splitlines() if line.strip() and not line.startswith("#")]
    assert lines[-1] == readme_commands()[1]
    assert 'export PATH="/usr/bin:$PATH"' in script
    assert "EXTERNALLY-MANAGED" in script and "libreoffice-calc-nogui" in script and "python3-venv" in script
