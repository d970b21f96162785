"""The vectorized evaluator's thread pool in a forked process, as in the simulation's workers."""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor

from engine.evaluate.vectorized import threads


def _squares_on_the_pool(n: int) -> list[int]:
    return list(threads.pool().map(lambda x: x * x, range(n), timeout=20))


def test_a_forked_worker_runs_on_threads_of_its_own():
    assert _squares_on_the_pool(8) == [x * x for x in range(8)]  # the parent's pool has run, as after a large evaluation
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("fork")) as pool:
        assert pool.submit(_squares_on_the_pool, 8).result(timeout=60) == [x * x for x in range(8)]
