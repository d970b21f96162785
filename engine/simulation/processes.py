"""Tasks side by side in forked worker processes: the scenarios or groups of regions of a run, the seeds of a band
region by region.

A forked worker inherits what the task holds (drawn patients, loaded policies) without copying it
through a pipe; only each task's argument and result travel. Where processes cannot be forked
(Windows), the tasks run one after another in this process; so do those of `side_by_side` with one worker.
"""

from __future__ import annotations

import concurrent.futures
import multiprocessing
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import TypeVar

from engine.errors import InputError
from engine.evaluate.vectorized import threads

Item = TypeVar("Item")
Result = TypeVar("Result")

_task: list[Callable] = []  # the task of a worker process, set by its initializer


def workers_for(tasks: int, workers: int | None = None) -> int:
    """How many worker processes to use: `workers` (default one per core), at most one per task, 1 without fork."""
    if "fork" not in multiprocessing.get_all_start_methods():
        return 1
    return max(1, min(tasks, workers or os.cpu_count() or 1))


def side_by_side(task: Callable[[Item], Result], items: Sequence[Item], workers: int,
                 done: Callable[[Result], None] | None = None,
                 watch: Callable[[], None] | None = None) -> list[Result]:
    """`task(item)` for every item, results in item order, in `workers` forked processes (or here with one).

    `done` is called with each result as it arrives, in item order; `watch`, if given, every few tenths
    of a second while the workers run, and once when they are done (to show what they report through
    a `Count`).
    """
    if workers > 1:
        with _pool(task, workers, workers) as pool:  # this process waits for them
            started = [pool.submit(_call, item) for item in items]
            if watch:
                while concurrent.futures.wait(started, timeout=_WATCHED).not_done:
                    watch()
                watch()
            return list(_each(_checked(f.result() for f in started), done))
    return list(_each(map(task, items), done))


_WATCHED = 0.25  # seconds between two looks at what the workers report


class Count:
    """A count shared by the processes of a job: one that forked workers add to and this process reads (the steps of a
    run split by region, whose groups run only in forked processes), or one that hands out tickets and one that counts
    the items done (`Beside`, whose items this process runs too)."""

    def __init__(self) -> None:
        self._shared = multiprocessing.get_context("fork").Value("i", 0)

    def add(self, steps: int = 1) -> None:
        with self._shared.get_lock():
            self._shared.value += steps

    def take(self) -> int:
        """Add one, and the count before: a ticket no other process of the job gets."""
        with self._shared.get_lock():
            ticket = self._shared.value
            self._shared.value = ticket + 1
        return ticket

    @property
    def value(self) -> int:
        return self._shared.value

    def watcher(self, progress: Callable[[float], None], steps: int) -> Callable[[], None]:
        """A `watch` for `side_by_side` or `Beside`: gives `progress` the fraction of `steps` counted, when it has
        changed."""
        shown = -1

        def watch() -> None:
            nonlocal shown
            counted = self.value
            if counted != shown:
                shown = counted
                progress(counted / steps)
        return watch


class Beside:
    """`task(item)` for every item, started now in forked processes (`workers` at most), to run beside what this
    process does next; `results()` waits for them, and this process takes on the items no worker has started yet,
    one at a time as the workers do. Where processes cannot be forked, the tasks run in `results()`, one after
    another, here (and `workers` is 0). `join`, if given, makes what `results()` returns of the results in item order.

    Used as a context manager: when the block fails, the worker processes are stopped at once.
    """

    def __init__(self, task: Callable[[Item], Result], items: Sequence[Item], workers: int,
                 join: Callable[[list[Result]], list] | None = None):
        self.task, self.items, self.join = task, list(items), join
        forks = "fork" in multiprocessing.get_all_start_methods() and bool(self.items)
        # the processes computing at once, which the workers read: this one too until it waits for them
        self.busy = multiprocessing.get_context("fork").Value("i", workers + 1, lock=False) if forks else None
        self.tickets, self.done = (Count(), Count()) if forks else (None, None)  # items started, and items done
        self.pool = _pool(self._drain, workers, self.busy) if forks else None  # this process goes on
        self.workers = workers if self.pool else 0
        self.started = [self.pool.submit(_call, None) for _ in range(self.workers)] if self.pool else []
        self._made: list | None = None
        threads.share(self.workers + 1)

    def _drain(self, _=None, stop: Callable[[], bool] = lambda: False,
               watch: Callable[[], None] | None = None) -> list[tuple[int, Result]]:
        """Run the items not started yet, one at a time, until none is left or `stop()` says so: (item index, result)
        of each; `watch` is called after each (the workers call it with the item None)."""
        finished = []
        while not stop() and (i := self.tickets.take()) < len(self.items):
            finished.append((i, self.task(self.items[i])))
            self.done.add()
            if watch:
                watch()
        return finished

    def results(self, progress: Callable[[float], None] | None = None) -> list:
        """The results in item order (or what `join` makes of them), made once; `progress` is given the fraction of
        the items done as they end. This process first runs the items no worker has started (until a worker fails),
        then only waits: the workers may take the core it leaves for a second thread."""
        if self._made is None:
            finished = self._here(progress) if self.pool is None else self._beside(progress)
            self._made = self.join(finished) if self.join else finished
        return self._made

    def _here(self, progress: Callable[[float], None] | None) -> list[Result]:
        finished = []
        for result in map(self.task, self.items):
            finished.append(result)
            if progress:
                progress(len(finished) / len(self.items))
        return finished

    def _beside(self, progress: Callable[[float], None] | None) -> list[Result]:
        watch = self.done.watcher(progress, len(self.items)) if progress else None
        mine = self._drain(stop=lambda: any(f.done() and f.exception() is not None for f in self.started), watch=watch)
        threads.share(1)
        self.busy.value = self.workers
        if watch:
            while concurrent.futures.wait(self.started, timeout=_WATCHED, return_when="FIRST_EXCEPTION").not_done:
                watch()
            watch()
        by_item = dict(mine + [one for batch in _checked(f.result() for f in self.started) for one in batch])
        return [by_item[i] for i in range(len(self.items))]

    def __enter__(self) -> Beside:
        return self

    def __exit__(self, kind, value, trace) -> None:
        threads.share(1)
        if self.pool is None:
            return
        if kind is not None:  # stop the runs now, not after they end (no public way to before Python 3.14)
            for process in list((getattr(self.pool, "_processes", None) or {}).values()):
                process.terminate()
        self.pool.shutdown(wait=True, cancel_futures=True)


def _pool(task: Callable, workers: int, busy) -> ProcessPoolExecutor:
    """Forked worker processes that run `task` (set by their initializer: inherited, not sent through a pipe), among
    `busy` processes of this job that compute at once (a number, or a count shared with this process: see
    `threads.share`)."""
    return ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"), initializer=_set,
                               initargs=(task, busy))


def _checked(results: Iterable[Result]) -> Iterator[Result]:
    """The results of worker processes; a worker that died (killed, out of memory) is a clear error, not a hang."""
    try:
        yield from results
    except BrokenProcessPool:
        raise InputError("a worker process ended before its run did (the system may be out of memory); "
                         "fewer regions, scenarios or seeds need less") from None


def per_seed(one: Callable[[int, int | None, Callable[[float], None] | None], Result], seeds: int,
             workers: int | None, progress: Callable[[float], None] | None) -> list[Result]:
    """`one(i, workers, progress)` for i < seeds. A single seed gets the workers and the progress for its own
    scenarios; several seeds run side by side, each seed's whole run in one worker process (`workers` 1, no progress
    of its own: each finished seed is a step)."""
    if seeds == 1:
        return [one(0, workers, progress)]
    finished = 0

    def done(_) -> None:
        nonlocal finished
        finished += 1
        if progress:
            progress(finished / seeds)

    return side_by_side(lambda i: one(i, 1, None), range(seeds), workers_for(seeds, workers), done)


def _each(results: Iterable[Result], done: Callable[[Result], None] | None):
    for result in results:
        if done:
            done(result)
        yield result


def _set(task: Callable, busy) -> None:
    _task[:] = [task]
    threads.share(busy)


def _call(item):
    return _task[0](item)
