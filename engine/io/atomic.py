"""Atomic file output: write to a temporary file beside the target, then rename over it.

A path that cannot be written (a folder where the file should be, a file where a folder should be,
no permission, a full disk) is the user's to fix: it becomes one InputError naming the path.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

from engine.errors import InputError
from engine.io.leftovers import remove_stale, temporary_name
from engine.policy.files import display


@contextlib.contextmanager
def atomic_path(target: Path | str) -> Iterator[Path]:
    """Yield a temporary path in the target's folder; on success it replaces the target.

    On any error the temporary file is removed, the target is left as it was, and folders made
    for it are removed again. Temporary files that killed runs left in the folder are removed first.
    """
    target = Path(target)
    with _output_folder(target) as folder:
        remove_stale(folder, target)
        tmp_path = folder / temporary_name("tmp", f"-{target.name}")  # named before it exists: always removed
        try:
            with _unwritable(target, replacing=False):
                os.close(os.open(tmp_path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
            with _unwritable(target, tmp_path):
                yield tmp_path
                os.chmod(tmp_path, 0o666 & ~_umask())  # made 0600; give the file the usual permissions
                os.replace(tmp_path, target)
        finally:
            tmp_path.unlink(missing_ok=True)


@contextlib.contextmanager
def temporary_folder(beside: Path | str) -> Iterator[Path]:
    """A temporary folder in the folder of the output `beside` (for spilled data), removed afterwards.

    Its name is chosen before it is made, so that an interrupt at any moment still removes it.
    """
    with _output_folder(Path(beside)) as folder:
        remove_stale(folder, Path(beside))
        made = folder / temporary_name("spill")
        try:
            with _unwritable(Path(beside)):
                os.mkdir(made, 0o700)
            yield made
        finally:
            shutil.rmtree(made, ignore_errors=True)


@contextlib.contextmanager
def _output_folder(target: Path) -> Iterator[Path]:
    """The folder of an output file, made with its parents when missing, and removed again on failure."""
    if target.is_dir():
        raise InputError(f"{display(target)}: expected a file name to write, found a folder")
    blocking = next((p for p in target.parents if p.exists() and not p.is_dir()), None)
    if blocking is not None:
        raise InputError(f"{display(target)}: expected {display(blocking)} to be a folder, found a file")
    made = [p for p in target.parents if not p.exists()]  # deepest first
    with _unwritable(target):
        target.parent.mkdir(parents=True, exist_ok=True)
    try:
        yield target.parent
    except BaseException:
        for folder in made:
            with contextlib.suppress(OSError):  # not empty, or gone: leave it
                folder.rmdir()
        raise


@contextlib.contextmanager
def _unwritable(target: Path, tmp: Path | None = None, replacing: bool = True) -> Iterator[None]:
    """Turn an operating-system error on the output (or its temporary file) into an InputError.

    `replacing` is false while the temporary file is made: a refusal then is the folder's, whether
    or not the output exists already.
    """
    try:
        yield
    except OSError as exc:
        name = os.fsdecode(exc.filename) if isinstance(exc.filename, str | bytes | os.PathLike) else exc.filename
        mine = tmp is None or name is None or (isinstance(name, str) and Path(name) in {target, target.parent, tmp})
        if not mine:
            raise
        if exc.errno == errno.EROFS:
            found = "a read-only file system"
        elif exc.errno in (errno.EACCES, errno.EPERM) and target.exists() and replacing:
            found = "no permission to replace it (is it open in another program, such as Excel?)"
        elif exc.errno in (errno.EACCES, errno.EPERM):
            existing = next((p for p in target.parents if p.exists()), target.parent)
            found = f"no permission to write in {display(existing)}"
        elif exc.errno == errno.ENOSPC:
            found = "no space left on the device"
        else:
            found = exc.strerror or str(exc)
        raise InputError(f"{display(target)}: expected a file that can be written, found {found}") from None


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current
