"""Output piped into a program that stops reading ends the command quietly with exit 0 (a real pipe)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

CLAIMS = ("claim_id,patient_id,birth_date,session_date,kind,network,care\n"
          + "".join(f"c{i},p{i},1980-01-01,2027-02-01,individual,adults,first_line\n" for i in range(50)))
ARGS = {
    "evaluate": ["evaluate", "{tmp}/c.csv", "-o", "{tmp}/r.csv"],
    "explain": ["explain", "{tmp}/c.csv", "c7"],
    "care-budget": ["care-budget", "--application-date", "2023-08-10", "--setting", "home", "--proof", "belrai",
                    "--score", "14", "--months", "400"],
}


def closed_pipe(argv: list[str]) -> subprocess.CompletedProcess:
    """Run carepolicy with stdout a pipe whose reading end is closed before anything is written."""
    read, write = os.pipe()
    os.close(read)
    try:
        return subprocess.run([sys.executable, "-m", "carepolicy", *argv], stdout=write, stderr=subprocess.PIPE,
                              text=True, timeout=300)
    finally:
        os.close(write)


@pytest.mark.parametrize("command", sorted(ARGS))
def test_a_reader_that_has_gone_ends_the_command_quietly_with_0(tmp_path, command):
    (tmp_path / "c.csv").write_text(CLAIMS)
    done = closed_pipe([a.format(tmp=tmp_path) for a in ARGS[command]])
    assert done.stderr == "" and done.returncode == 0


def test_head_reads_the_first_lines_and_the_pipeline_succeeds(tmp_path):
    (tmp_path / "c.csv").write_text(CLAIMS)
    script = f"set -o pipefail; {sys.executable} -m carepolicy explain {tmp_path}/c.csv c7 | head -1"
    done = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0 and done.stderr == ""
    assert done.stdout.startswith("claim c7, row 8: patient p7, 2027-02-01")
