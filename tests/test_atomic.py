"""Atomic output: whole files or none, and a path that cannot be written is one clear error."""

from __future__ import annotations

import errno
import os
import subprocess
import sys

import pytest

from engine.errors import InputError
from engine.io.atomic import atomic_path, temporary_folder


def test_file_appears_whole_with_usual_permissions_and_missing_folders_made(tmp_path):
    target = tmp_path / "new" / "deeper" / "out.csv"
    with atomic_path(target) as tmp:
        tmp.write_text("a,b\n")
        assert not target.exists()
    assert target.read_text() == "a,b\n"
    assert target.stat().st_mode & 0o777 == 0o666 & ~_umask()
    assert [p.name for p in target.parent.iterdir()] == ["out.csv"]


def test_failure_leaves_the_previous_file_and_no_temporary(tmp_path):
    target = tmp_path / "out.csv"
    target.write_text("old")
    with pytest.raises(ValueError), atomic_path(target) as tmp:
        tmp.write_text("half")
        raise ValueError("boom")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]


def test_folder_at_the_target_is_refused(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "out.csv").mkdir()
    with pytest.raises(InputError, match=r"^out.csv: expected a file name to write, found a folder$"), atomic_path(tmp_path / "out.csv"):
        pass


def test_file_where_a_folder_should_be_is_refused(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "c.csv").write_text("x")
    message = r"^c.csv/sub/out.csv: expected c.csv to be a folder, found a file$"
    with pytest.raises(InputError, match=message), atomic_path(tmp_path / "c.csv" / "sub" / "out.csv"):
        pass


def refuse_temporaries(monkeypatch) -> None:
    """Creating a temporary file or folder of this tool fails as in a folder without write permission."""
    real_open, real_mkdir = os.open, os.mkdir

    def refused(real):
        def create(path, *args, **kwargs):
            if os.path.basename(path).startswith(".carepolicy-"):
                raise PermissionError(errno.EACCES, "Permission denied", str(path))
            return real(path, *args, **kwargs)
        return create

    monkeypatch.setattr(os, "open", refused(real_open))
    monkeypatch.setattr(os, "mkdir", refused(real_mkdir))


def test_no_permission_names_the_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "ro").mkdir()

    refuse_temporaries(monkeypatch)
    message = r"^ro/out.csv: expected a file that can be written, found no permission to write in ro$"
    with pytest.raises(InputError, match=message), atomic_path(tmp_path / "ro" / "out.csv"):
        pass
    with pytest.raises(InputError, match="found no permission to write in ro$"), temporary_folder(tmp_path / "ro" / "out.csv"):
        pass


def test_full_disk_while_writing_is_a_clear_error_and_leaves_nothing(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    message = r"^out.xlsx: expected a file that can be written, found no space left on the device$"
    with pytest.raises(InputError, match=message), atomic_path(tmp_path / "out.xlsx") as tmp:
        tmp.write_text("half")
        raise OSError(errno.ENOSPC, "No space left on device")
    assert list(tmp_path.iterdir()) == []


def test_an_error_on_another_file_is_not_blamed_on_the_output(tmp_path):
    with pytest.raises(FileNotFoundError), atomic_path(tmp_path / "out.csv"):
        (tmp_path / "missing-input.csv").read_text()
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("filename", [7, b"/elsewhere/input.csv"])
def test_an_error_naming_a_descriptor_or_bytes_is_passed_on_as_it_is(tmp_path, filename):
    with pytest.raises(OSError) as err, atomic_path(tmp_path / "out.csv"):
        raise OSError(errno.EBADF, "Bad file descriptor", filename)
    assert err.value.filename == filename
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("args", [
    ["simulate", "-r", "luxemburg", "-o", "{folder}"],
    ["simulate", "-r", "luxemburg", "-o", "{file}/sim.csv"],
    ["care-budget", "--application-date", "2024-01-10", "--setting", "home", "--proof", "belrai", "--score", "20",
     "-o", "{file}/schedule.csv"],
])
def test_commands_refuse_an_unwritable_output_in_one_line(tmp_path, args):
    (tmp_path / "dir.csv").mkdir()
    (tmp_path / "c.csv").write_text("x")
    argv = [a.format(folder="dir.csv", file="c.csv") for a in args]
    run = subprocess.run([sys.executable, "-m", "carepolicy", *argv], capture_output=True, text=True, cwd=tmp_path, check=False)
    assert run.returncode == 2
    assert run.stderr.count("\n") == 1 and run.stderr.startswith("error: ") and "Traceback" not in run.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.csv", "dir.csv"]


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def test_folders_made_for_a_failed_output_are_removed_again(tmp_path):
    (tmp_path / "kept").mkdir()
    with pytest.raises(ValueError), atomic_path(tmp_path / "kept" / "new" / "deeper" / "out.csv") as tmp:
        tmp.write_text("half")
        raise ValueError("boom")
    assert [p.name for p in tmp_path.rglob("*")] == ["kept"]
    with pytest.raises(ValueError), temporary_folder(tmp_path / "made" / "out.csv") as spill:
        (spill / "part-0").write_text("rows")
        raise ValueError("boom")
    assert [p.name for p in tmp_path.rglob("*")] == ["kept"]


def test_a_file_that_cannot_be_replaced_may_be_open_elsewhere(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "book.xlsx").write_text("open in Excel")

    def locked(source, target):
        raise PermissionError(errno.EACCES, "Permission denied", str(source))

    monkeypatch.setattr(os, "replace", locked)
    message = r"^book.xlsx: expected a file that can be written, found no permission to replace it \(is it open in another"
    with pytest.raises(InputError, match=message), atomic_path(tmp_path / "book.xlsx") as tmp:
        tmp.write_text("new")
    assert (tmp_path / "book.xlsx").read_text() == "open in Excel"
    assert [p.name for p in tmp_path.iterdir()] == ["book.xlsx"]
