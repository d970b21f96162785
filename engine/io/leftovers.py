"""Temporary files and spill folders of this tool: recognisable names, and removal of those a killed run left.

Every temporary entry is named `.carepolicy-<kind>-<pid>-<random>[-<output name>]`, with the id of
the process that made it. A run that ends normally (or by Ctrl-C or SIGTERM) removes its own; a run
killed outright (kill -9, power loss) cannot. The next run that writes into the same folder removes
entries whose process no longer exists, or that are older than STALE_AFTER (the process id may have
been reused), and names each one it removes. Entries of the naming used before the process id was
part of the name (`.<output name>.<random><suffix>` and `.carepolicy-<random>`) are removed when older
than STALE_AFTER.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import shutil
import sys
import time
from pathlib import Path

PREFIX = ".carepolicy-"
STALE_AFTER = 24 * 3600
"""Seconds after which a temporary entry is stale whatever its process id says."""
_OURS = re.compile(r"^\.carepolicy-(?:tmp|spill)-(\d+)-[A-Za-z0-9_]{8}(?:-.*)?$")
_LEGACY_SPILL = re.compile(r"^\.carepolicy-[A-Za-z0-9_]{8}$")
_RANDOM = "[A-Za-z0-9_]{8}"


def temporary_name(kind: str, ending: str = "") -> str:
    """A fresh name `.carepolicy-<kind>-<pid>-<random><ending>` for a temporary file or folder."""
    token = "".join(secrets.choice(_ALPHABET) for _ in range(8))
    return f"{PREFIX}{kind}-{os.getpid()}-{token}{ending}"


_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789_"


def remove_stale(folder: Path, output: Path | None = None) -> list[str]:
    """Remove this tool's temporary entries in `folder` that no live run owns; the names removed.

    `output`, when given, also matches the older naming of its own temporary files.
    """
    removed = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    legacy = re.compile(rf"^\.{re.escape(output.name)}\.{_RANDOM}{re.escape(output.suffix)}$") if output else None
    now = time.time()
    for entry in entries:
        if not entry.name.startswith(".") or not _stale(entry, legacy, now):
            continue
        with contextlib.suppress(OSError):
            if entry.is_dir(follow_symlinks=False):
                shutil.rmtree(entry.path)
            else:
                os.unlink(entry.path)
            removed.append(entry.name)
            print(f"note: removed {Path(folder, entry.name)}, left by an interrupted earlier run", file=sys.stderr)
    return removed


def _stale(entry: os.DirEntry, legacy: re.Pattern | None, now: float) -> bool:
    ours = _OURS.match(entry.name)
    if not ours and not _LEGACY_SPILL.match(entry.name) and not (legacy and legacy.match(entry.name)):
        return False
    try:
        old = now - entry.stat(follow_symlinks=False).st_mtime > STALE_AFTER
    except OSError:
        return False
    return old or (ours is not None and not _alive(int(ours.group(1))))


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except PermissionError:  # another user's process
        return True
    except (ProcessLookupError, OverflowError):
        return False
    return pid > 0

