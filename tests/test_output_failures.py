"""A failed or interrupted save never replaces the previous output: failures injected at each write stage."""

from __future__ import annotations

import errno
import os
import sys
from pathlib import Path

import pandas as pd
import pytest

from engine.claims import write
from engine.claims.write import ResultsWriter, write_results
from engine.errors import InputError
from engine.evaluate.vectorized import evaluate_vectorized
from engine.io import atomic
from engine.io.tables import write_table

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from claims_generator import generate_claims  # noqa: E402

FORMATS = [".csv", ".parquet", ".xlsx"]


@pytest.fixture(scope="module")
def results(policies) -> pd.DataFrame:
    claims = generate_claims(200, seed=4)
    out = evaluate_vectorized(claims, policies)
    out.insert(0, "row", claims["row"].to_numpy())
    return out


def previous(tmp_path: Path, suffix: str, results: pd.DataFrame) -> tuple[Path, bytes]:
    target = tmp_path / f"r{suffix}"
    write_results(results.head(5), target)
    return target, target.read_bytes()


def full_disk(*args, **kwargs):
    raise OSError(errno.ENOSPC, "No space left on device")


def interrupt(*args, **kwargs):
    raise KeyboardInterrupt


def after(original, failure):
    """`original`, then `failure` (the file is written whole, then the save fails)."""
    def run(*args, **kwargs):
        original(*args, **kwargs)
        failure()
    return run


@pytest.mark.parametrize("suffix", FORMATS)
@pytest.mark.parametrize("failure", [full_disk, interrupt], ids=["full-disk", "ctrl-c"])
@pytest.mark.parametrize("stage", ["rows", "close", "rename"])
def test_a_failure_at_any_stage_leaves_the_previous_file_byte_identical(tmp_path, monkeypatch, results, suffix, stage, failure):
    target, before = previous(tmp_path, suffix, results)
    sink = write.SINKS[suffix]
    if stage == "rows":
        monkeypatch.setattr(sink, "write", after(sink.write, failure))
    elif stage == "close":
        monkeypatch.setattr(sink, "close", after(sink.close, failure))
    else:
        monkeypatch.setattr(atomic.os, "replace", failure)
    expected = KeyboardInterrupt if failure is interrupt else InputError
    with pytest.raises(expected), ResultsWriter(target) as writer:
        writer.write(results)
    assert target.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == [target.name]


@pytest.mark.parametrize("suffix", FORMATS)
def test_a_full_disk_at_close_is_one_clear_error(tmp_path, monkeypatch, results, suffix):
    monkeypatch.chdir(tmp_path)
    target, before = previous(tmp_path, suffix, results)
    monkeypatch.setattr(write.SINKS[suffix], "close", after(write.SINKS[suffix].close, full_disk))
    with pytest.raises(InputError, match=rf"^r{suffix}: expected a file that can be written, found no space left on the device$"):
        write_results(results, target)
    assert target.read_bytes() == before


@pytest.mark.parametrize("suffix", FORMATS)
@pytest.mark.parametrize("stage", ["rows", "rename"])
def test_a_small_table_keeps_the_previous_file_on_failure(tmp_path, monkeypatch, suffix, stage):
    target = tmp_path / f"t{suffix}"
    frame = pd.DataFrame({"region": ["BXL", "VLA"], "cost": [1.5, 2.25]})
    write_table(frame, target, ["cost"])
    before = target.read_bytes()
    if stage == "rows":
        monkeypatch.setattr(pd.DataFrame, "to_csv", full_disk)
        monkeypatch.setattr(pd.DataFrame, "to_parquet", full_disk)
        monkeypatch.setattr("engine.io.tables._write_xlsx", full_disk)
    else:
        monkeypatch.setattr(os, "replace", full_disk)
    with pytest.raises(InputError):
        write_table(frame.assign(cost=[9.0, 9.0]), target, ["cost"])
    assert target.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == [target.name]
