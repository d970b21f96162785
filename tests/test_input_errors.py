"""Input files that cannot be used are named for what they are, in one line with exit 2; no traceback."""

from __future__ import annotations

import errno
import os
import resource
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from test_atomic import refuse_temporaries

from carepolicy.cli import main
from engine.claims import read
from engine.claims.write import write_claims
from engine.io import spill

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from claims_generator import generate_claims  # noqa: E402

HEADER = "claim_id,patient_id,birth_date,session_date,kind\n"
ROW = "c1,p1,1990-01-01,2024-03-04,individual\n"


def evaluate(capsys, *args) -> tuple[int, str]:
    code = main(["evaluate", *map(str, args)])
    return code, capsys.readouterr().err


@pytest.mark.parametrize(("kind", "found"), [(pa.binary(), "binary"), (pa.list_(pa.string()), "list<element: string>"),
                                             (pa.struct([("a", pa.string())]), "struct<a: string>")])
def test_a_parquet_column_of_binary_list_or_struct_is_named(tmp_path, capsys, monkeypatch, kind, found):
    monkeypatch.chdir(tmp_path)
    values = {"binary": [b"p1"], "list": [["p1"]], "struct": [{"a": "p1"}]}[str(kind).split("<")[0]]
    table = pa.table({"claim_id": ["c1"], "patient_id": pa.array(values, kind), "birth_date": ["1990-01-01"],
                      "session_date": ["2024-03-04"], "kind": ["individual"]})
    pq.write_table(table, tmp_path / "c.parquet")
    for extra in ([], ["--chunk-rows", "10"]):
        assert evaluate(capsys, "c.parquet", "-o", "r.csv", *extra) == (
            2, f"error: c.parquet: column 'patient_id': expected text, numbers, booleans or dates, found Parquet type {found}\n")


def test_an_unreadable_csv_is_named(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "c.csv").write_text(HEADER + ROW)
    real_open = os.open

    def denied(path, flags, *args, **kwargs):
        if Path(path).name == "c.csv":
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(read.os, "open", denied)
    assert evaluate(capsys, "c.csv", "-o", "r.csv") == (
        2, "error: c.csv: expected a claims file that can be read, found no permission to read it\n")


def test_an_unreadable_csv_is_named_for_a_user_without_permission(tmp_path):
    """The same without a stand-in, when the tests do not run as root (root reads every file)."""
    if os.geteuid() == 0:
        pytest.skip("root reads every file")
    (tmp_path / "c.csv").write_text(HEADER + ROW)
    (tmp_path / "c.csv").chmod(0)
    done = subprocess.run([sys.executable, "-m", "carepolicy", "evaluate", "c.csv", "-o", "r.csv"], cwd=tmp_path,
                          capture_output=True, text=True)
    assert (done.returncode, done.stderr) == (2, "error: c.csv: expected a claims file that can be read, found no permission to read it\n")


def test_a_folder_or_a_fifo_given_as_input_is_named(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "d.csv").mkdir()
    os.mkfifo(tmp_path / "f.csv")
    assert evaluate(capsys, "d.csv", "-o", "r.csv") == (2, "error: d.csv: expected a claims file, found a folder\n")
    assert evaluate(capsys, "f.csv", "-o", "r.csv") == (
        2, "error: f.csv: expected a claims file, found a named pipe (FIFO); save the claims to a file first\n")
    assert evaluate(capsys, "none.csv", "-o", "r.csv") == (2, "error: none.csv: expected a claims file, found nothing at this path\n")


def test_a_nul_in_the_header_is_named(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "c.csv").write_bytes(HEADER.replace("claim_id", "claim_id\x00").encode() + ROW.encode())
    assert evaluate(capsys, "c.csv", "-o", "r.csv") == (
        2, "error: c.csv: header: expected column names, found a NUL character in column 1 ('claim_id\\x00'); "
           "is the file UTF-16 or binary? save it as CSV UTF-8\n")


def test_an_unwritable_folder_with_an_existing_output_is_named_as_such(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "c.csv").write_text(HEADER + ROW)
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "r.csv").write_text("previous")

    refuse_temporaries(monkeypatch)
    assert evaluate(capsys, "c.csv", "-o", "out/r.csv") == (
        2, "error: out/r.csv: expected a file that can be written, found no permission to write in out\n")
    assert (tmp_path / "out" / "r.csv").read_text() == "previous"


def test_small_chunks_keep_few_files_open(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write_claims(generate_claims(3000, seed=3), tmp_path / "c.csv")
    assert main(["evaluate", "c.csv", "-o", "whole.csv"]) == 0
    opened = []
    real_writer = spill._Writer

    def counting(path, schema):
        opened.append(path)
        return real_writer(path, schema)

    monkeypatch.setattr(spill, "_Writer", counting)
    monkeypatch.setattr(spill.Streams.__init__, "__defaults__", (8,))
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 256), hard))
    try:
        assert main(["evaluate", "c.csv", "-o", "chunked.csv", "--chunk-rows", "5"]) == 0
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    assert len(opened) > 256  # more stream files than descriptors allowed, never that many open at once
    assert (tmp_path / "chunked.csv").read_bytes() == (tmp_path / "whole.csv").read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.csv", "chunked.csv", "whole.csv"]
