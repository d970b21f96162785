"""Progress bars for long runs (tqdm), drawn on a terminal's stderr only, and only once a run has taken 2 s.

Nothing is drawn when stderr is a file or a pipe, so logs hold no bar frames, nor with `--quiet`;
then tqdm is not even imported. The engine reports progress through plain callbacks: a fraction
done (simulations), or a stage and a fraction done (evaluate: reading, normalizing, evaluating,
writing), which these turn into one bar.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

DELAY = 2.0
"""Seconds before a bar appears: a run that ends sooner draws nothing."""
STEPS = 1000
REDRAW = 0.1
"""Seconds at least between two redraws."""


def _bar(label: str, quiet: bool):
    """A tqdm bar of STEPS steps on stderr, or None when nothing is to be drawn."""
    if quiet or not sys.stderr.isatty():
        return None
    from tqdm import tqdm

    return tqdm(total=STEPS, desc=label, delay=DELAY, mininterval=REDRAW, file=sys.stderr, leave=False, dynamic_ncols=True,
                bar_format="{desc} {bar} {percentage:3.0f}% [{elapsed}<{remaining}]")


def progress_bar(label: str, quiet: bool = False) -> Callable[[float], None]:
    """A callback taking the fraction done (0 to 1) of a run, such as a simulation per scenario or seed."""
    bar = _bar(label, quiet)

    def show(fraction: float) -> None:
        if bar is None:
            return
        bar.update(max(0, round(fraction * STEPS) - bar.n))
        if fraction >= 1:
            bar.close()

    return show


def stage_bar(label: str, quiet: bool = False) -> Callable[[str, float], None]:
    """A callback taking a stage name and the fraction done of the whole run (evaluate's reading, chunks, writing)."""
    bar = _bar(label, quiet)

    def show(stage: str, fraction: float) -> None:
        if bar is None:
            return
        bar.set_description_str(f"{label}: {stage}", refresh=False)
        bar.update(max(0, round(fraction * STEPS) - bar.n))
        if fraction >= 1:
            bar.close()

    return show
