"""The two threads the evaluator uses for large frames, the sizes from which it uses them, and when a core is free
for the second.

A process started beside others of the same job (the scenarios or seeds of a simulation, in worker
processes) shares the cores with them: a second thread then only competes for a core that is
already busy, at some cost and no gain, so it evaluates its parts one after another, until a core
is left to it (a band's worker, once the process that started it only waits).
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

THREADED = 200_000  # valid rows from which two threads pay off


PART = 250_000  # most rows of one part: bounds the memory of the parts in flight

_busy: int | Any = 1  # the processes of this job that compute at once, this one included (or a shared count of them)


@functools.cache
def pool() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(2, thread_name_prefix="carepolicy-evaluate")


def share(processes: int | Any) -> None:
    """Declare how many processes of this job compute at once, this one included (1 when it is alone again): a
    number, or a count shared with the process that started this one (a `multiprocessing.Value`), which it lowers
    when it stops computing and only waits, so that a second thread takes the core it leaves."""
    global _busy
    _busy = max(1, processes) if isinstance(processes, int) else processes


def mapper(rows: int) -> Callable[[Callable[[Any], Any], Iterable[Any]], Iterator[Any]]:
    """The `map` that runs the parts of work on `rows` rows: on two threads from THREADED rows on when a core is free
    for the second, else one after another."""
    busy = _busy if isinstance(_busy, int) else max(1, _busy.value)
    if rows >= THREADED and (os.cpu_count() or 1) >= 2 * busy:
        return pool().map
    return map


if hasattr(os, "register_at_fork"):  # a forked process (the simulation's workers) has none of the parent's threads
    os.register_at_fork(after_in_child=pool.cache_clear)
