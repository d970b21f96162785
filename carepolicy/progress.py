"""Progress bars for long runs, drawn on a terminal's stderr only."""

from __future__ import annotations

import sys
import time


def progress_bar(label: str, quiet: bool = False):
    """A progress callback drawing a bar on a terminal's stderr once the work has taken more than a second.

    Nothing is drawn when stderr is a file or a pipe, so logs hold no bar frames.
    """
    start = time.monotonic()
    drawn = False

    def show(fraction: float) -> None:
        nonlocal drawn
        if quiet or not sys.stderr.isatty() or (not drawn and (time.monotonic() - start < 1 or fraction >= 1)):
            return
        drawn = True
        filled = int(fraction * 30)
        print(f"\r{label} [{'#' * filled}{'.' * (30 - filled)}] {fraction:4.0%}", end="", file=sys.stderr, flush=True)
        if fraction >= 1:
            print(file=sys.stderr)

    return show
