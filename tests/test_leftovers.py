"""Temporary files of this tool carry a recognisable name; SIGTERM cleans up like Ctrl-C; stale leftovers are removed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from engine.claims.write import write_claims, write_results
from engine.io.atomic import atomic_path, temporary_folder
from engine.io.leftovers import STALE_AFTER, remove_stale

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from claims_generator import generate_claims  # noqa: E402


def test_temporary_names_are_recognisable_and_carry_the_process_id(tmp_path):
    with atomic_path(tmp_path / "r.csv") as tmp:
        assert tmp.name.startswith(f".carepolicy-tmp-{os.getpid()}-") and tmp.name.endswith("-r.csv")
    with temporary_folder(tmp_path / "r.csv") as folder:
        assert folder.name.startswith(f".carepolicy-spill-{os.getpid()}-")


def dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_a_stale_temporary_of_a_killed_run_is_removed_and_named(tmp_path, capsys):
    stale_file = tmp_path / f".carepolicy-tmp-{dead_pid()}-abcd_123-r.csv"
    stale_file.write_text("half")
    stale_folder = tmp_path / f".carepolicy-spill-{dead_pid()}-zz9_abcd"
    (stale_folder / "inner").mkdir(parents=True)
    (stale_folder / "inner" / "home-1.arrows").write_bytes(b"x" * 100)
    live = tmp_path / f".carepolicy-tmp-{os.getppid()}-abcd_123-r.csv"  # a live process: kept
    live.write_text("in use")
    other = tmp_path / ".hidden-notes.csv"  # not ours: kept
    other.write_text("mine")
    old_style = tmp_path / ".r.csv.k3j_x9qa.csv"  # the older naming, when old enough
    old_style.write_text("half")
    os.utime(old_style, (time.time() - STALE_AFTER - 60,) * 2)
    write_results_of(tmp_path / "r.csv")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([live.name, other.name, "r.csv"])
    err = capsys.readouterr().err
    for name in (stale_file.name, stale_folder.name, old_style.name):
        assert f"note: removed {tmp_path / name}, left by an interrupted earlier run\n" in err


def test_an_old_temporary_is_stale_even_when_its_process_id_was_reused(tmp_path):
    reused = tmp_path / f".carepolicy-tmp-{os.getpid()}-abcd_123-r.csv"
    reused.write_text("half")
    os.utime(reused, (time.time() - STALE_AFTER - 60,) * 2)
    young_old_style = tmp_path / ".r.csv.k3j_x9qa.csv"
    young_old_style.write_text("maybe in use")
    assert remove_stale(tmp_path, tmp_path / "r.csv") == [reused.name]


def write_results_of(path: Path) -> None:
    import pandas as pd

    from engine.claims.write import OUTPUT_COLUMNS

    write_results(pd.DataFrame({c: pd.Series([], dtype=object) for c in OUTPUT_COLUMNS}).astype(
        {"row": "int64", "covered": bool, "period_start": "datetime64[ns]"}), path)


@pytest.mark.parametrize("stage", [".carepolicy-spill-", ".carepolicy-tmp-"])
def test_sigterm_ends_a_run_like_ctrl_c_and_leaves_nothing(tmp_path, stage):
    claims = tmp_path / "c.csv"
    write_claims(generate_claims(3000, seed=2), claims)
    head, *body = claims.read_text().splitlines(keepends=True)
    claims.write_text(head + "".join(body) * 60)  # 180,000 rows: long enough to be caught while writing
    (tmp_path / "r.csv").write_text("previous results\n")
    child = subprocess.Popen([sys.executable, "-m", "carepolicy", "evaluate", str(claims), "-o", str(tmp_path / "r.csv"),
                              "--chunk-rows", "20000"], stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        while not any(p.name.startswith(stage) for p in tmp_path.iterdir()):
            assert child.poll() is None, "the run ended before it could be stopped"
            assert time.monotonic() < deadline
            time.sleep(0.005)
        child.send_signal(signal.SIGTERM)
        _, err = child.communicate(timeout=120)
    finally:
        child.kill()
    assert (child.returncode, err) == (130, "interrupted\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.csv", "r.csv"]
    assert (tmp_path / "r.csv").read_text() == "previous results\n"
