"""Benchmark: loading and validating the policy folder cold, and loading it again from the cache (target: cold well under 1 s).

Cold: every cache emptied, then `validate` of every file under policy/ (schemas compiled, every
policy, scenario, region and case file checked) followed by `load_policies` (the dated values
built). Warm: `load_policies` again, which only compares the files' sizes and times. Prints the
best and median times, files and dated values per run, and the peak memory of a cold run
(Python allocations, traced) and of the whole process.

    python benchmarks/bench_load.py [--policy DIR] [--repeat 5]
"""

from __future__ import annotations

import argparse
import resource
import statistics
import time
import tracemalloc
from pathlib import Path

from machine import machine_line

import engine.policy.files as policy_files
import engine.policy.policies as policies_module
from engine.policy.policies import load_policies
from engine.policy.validation import validate


def cold(folder: Path) -> tuple[int, int]:
    """One cold run: caches emptied, every file validated, the policy set built. Returns (files, dated values)."""
    policy_files._validator.cache_clear()
    policies_module._load.cache_clear()
    reports = validate([folder])
    bad = [p for r in reports for p in r.problems]
    if bad:
        raise SystemExit("\n".join(str(p) for p in bad))
    return len(reports), len(load_policies(folder).values)


def timed(run, repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append((time.perf_counter() - start) * 1000)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--policy", type=Path, default=policy_files.default_policy_dir())
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    folder = args.policy.resolve()
    print(machine_line())

    tracemalloc.start()
    files, values = cold(folder)
    _, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    cold_ms = timed(lambda: cold(folder), args.repeat)
    warm_ms = timed(lambda: load_policies(folder), args.repeat * 20)
    print(f"policy folder: {folder} ({files} files, {values} dated values)")
    print(f"cold load + validate: best {min(cold_ms):.1f} ms, median {statistics.median(cold_ms):.1f} ms "
          f"({args.repeat} runs)")
    print(f"warm load (cached):   best {min(warm_ms):.3f} ms, median {statistics.median(warm_ms):.3f} ms "
          f"({len(warm_ms)} runs)")
    print(f"peak memory: {traced_peak / 2**20:.1f} MiB traced in a cold run, "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB resident for the process")


if __name__ == "__main__":
    main()
