"""The command line counts in words an analyst reads: `1 row`, `1 scenario × 1 region`, `1,200 rows`."""

from __future__ import annotations

from carepolicy.cli import main
from carepolicy.wording import counted


def test_one_is_singular_and_other_counts_plural():
    assert [counted(n, "row") for n in (0, 1, 2, 1200)] == ["0 rows", "1 row", "2 rows", "1,200 rows"]
    assert counted(1, "analysis", "analyses") == "1 analysis"
    assert counted(3, "analysis", "analyses") == "3 analyses"


def test_a_one_row_simulation_says_so(tmp_path, capsys):
    target = tmp_path / "out.csv"
    assert main(["simulate", "-r", "luxemburg", "--year", "2027", "-o", str(target)]) == 0
    assert f"wrote 1 row (1 scenario × 1 region) to {target}" in capsys.readouterr().out
