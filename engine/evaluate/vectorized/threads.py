"""The two threads the evaluator uses for large frames, and the sizes from which it uses them."""

from __future__ import annotations

import functools
import os
from concurrent.futures import ThreadPoolExecutor

THREADED = 200_000  # valid rows from which two threads pay off


PART = 250_000  # most rows of one part: bounds the memory of the parts in flight


@functools.cache
def pool() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(2, thread_name_prefix="carepolicy-evaluate")


if hasattr(os, "register_at_fork"):  # a forked process (the simulation's workers) has none of the parent's threads
    os.register_at_fork(after_in_child=pool.cache_clear)
