"""The vectorized evaluator's thread pool in a forked process, as in the simulation's workers."""

from __future__ import annotations

import multiprocessing
import time
from concurrent.futures import ProcessPoolExecutor

from engine.evaluate.vectorized import threads
from engine.simulation.processes import Beside, side_by_side


def _squares_on_the_pool(n: int) -> list[int]:
    return list(threads.pool().map(lambda x: x * x, range(n), timeout=20))


def test_a_forked_worker_runs_on_threads_of_its_own():
    assert _squares_on_the_pool(8) == [x * x for x in range(8)]  # the parent's pool has run, as after a large evaluation
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("fork")) as pool:
        assert pool.submit(_squares_on_the_pool, 8).result(timeout=60) == [x * x for x in range(8)]


def _threaded(_=None) -> bool:
    return threads.mapper(threads.THREADED) is not map


_STARTED = multiprocessing.get_context("fork").Event()  # set by a task when it starts in a worker process


def _threaded_where(_=None) -> tuple[bool, bool]:
    """Whether this process would take a second thread, and whether it is a worker (then it says it has looked)."""
    threaded, worker = _threaded(), multiprocessing.parent_process() is not None
    if worker:
        _STARTED.set()
    return threaded, worker


def test_a_second_thread_only_when_a_core_is_free(monkeypatch):
    monkeypatch.setattr("os.cpu_count", lambda: 2)
    assert _threaded() and threads.mapper(threads.THREADED - 1) is map  # small work: one thread
    threads.share(2)
    try:
        assert not _threaded()
    finally:
        threads.share(1)
    assert _threaded()


def test_processes_side_by_side_evaluate_on_one_thread_each(monkeypatch):
    """Two workers on two cores, or one beside this process: every process of the job on one thread."""
    monkeypatch.setattr("os.cpu_count", lambda: 2)
    assert side_by_side(_threaded, range(2), 2) == [False, False]
    _STARTED.clear()
    with Beside(_threaded_where, range(1), 1) as started:
        assert not _threaded()  # this process, while the worker computes beside it
        assert _STARTED.wait(30)  # the worker has looked, while this process computes
        assert started.results() == [(False, True)]
    assert _threaded()
    monkeypatch.setattr("os.cpu_count", lambda: 4)
    assert side_by_side(_threaded, range(2), 2) == [True, True]  # a core free for each second thread


def _threaded_once_alone(_=None) -> bool:
    """Whether this worker is given a second thread within a few seconds."""
    _STARTED.set()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if _threaded():
            return True
        time.sleep(0.02)
    return False


def test_a_worker_beside_takes_a_second_thread_once_this_process_only_waits(monkeypatch):
    """On two cores, a worker started beside this process evaluates on one thread while this process computes, and
    on two once it waits for the results (the core it leaves)."""
    monkeypatch.setattr("os.cpu_count", lambda: 2)
    _STARTED.clear()
    with Beside(_threaded_once_alone, range(1), 1) as started:
        assert _STARTED.wait(30)  # the item is the worker's, not this process's
        time.sleep(0.3)  # the worker looks while this process computes
        assert not started.started[0].done()
        assert started.results() == [True]
