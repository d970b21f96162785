"""The `carepolicy` program ends quickly once its command has returned, with the command's exit code, every line
of its output and its exit handlers run; when the command did not return, Python ends as usual."""

from __future__ import annotations

import subprocess
import sys

from carepolicy.cli import main

CLAIMS = ("claim_id,patient_id,birth_date,session_date,kind,network,care\n"
          "c1,p1,1980-01-01,2027-02-01,individual,adults,first_line\n"
          "c2,p2,1980-13-01,2027-02-01,individual,adults,first_line\n")


def program(*argv: str, code: str = "sys.exit(entry())") -> subprocess.CompletedProcess:
    script = f"import sys; sys.argv[0] = 'carepolicy'; from carepolicy.cli import entry; {code}"
    return subprocess.run([sys.executable, "-c", script, *argv], capture_output=True, text=True, timeout=300)


def test_the_exit_code_and_all_output_survive_the_quick_exit(tmp_path, capsys):
    listed = program("list", "regions")
    assert main(["list", "regions"]) == 0
    assert listed.returncode == 0 and listed.stderr == ""
    assert listed.stdout == capsys.readouterr().out  # every line reached the pipe
    unknown = program("value", "nope")
    assert (unknown.returncode, unknown.stderr) == (2, "error: unknown parameter 'nope'\n")
    (tmp_path / "c.csv").write_text(CLAIMS)
    invalid = program("evaluate", str(tmp_path / "c.csv"), "-o", str(tmp_path / "r.csv"))
    assert invalid.returncode == 3 and "1 malformed row(s)" in invalid.stderr


def test_exit_handlers_registered_by_the_command_still_run():
    done = program("list", "regions", code="import atexit, carepolicy.cli as cli; main = cli.main; "
                   "cli.main = lambda: (atexit.register(print, 'handler ran'), main())[1]; sys.exit(entry())")
    assert done.returncode == 0 and done.stdout.endswith("handler ran\n")


def test_a_command_that_does_not_return_ends_as_python_does():
    assert program("--no-such-option").returncode == 2
    crashed = program("list", "regions", code="import carepolicy.cli as cli; cli.main = lambda: 1 / 0; entry()")
    assert crashed.returncode == 1 and "ZeroDivisionError" in crashed.stderr
