"""Benchmark: generating the default comparison workbook once the simulation is done (target: under 5 s).

Simulates the baseline and every bundled scenario for all regions (not timed), then builds and writes
the workbook a few times; prints the best time, the workbook's size, and the peak memory of one more build
(Python allocations, traced; tracing slows it, so it is not timed) and of the whole process.

    python benchmarks/bench_workbook.py [--year 2027] [--repeat 3]
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
import tracemalloc
from pathlib import Path

from machine import machine_line

from engine.policy.policies import load_policies
from engine.policy.scenarios import BASELINE, list_scenarios
from engine.simulation.run import simulate
from workbooks.comparison import write_workbook


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--year", type=int, default=2027)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(machine_line())
    names = [s.name for s in list_scenarios() if s.name != BASELINE]
    start = time.perf_counter()
    sim = simulate(load_policies(), names, year=args.year)
    print(f"simulation (not counted): {time.perf_counter() - start:.2f} s, {len(sim.scenarios)} scenarios × "
          f"{len(sim.region_ids)} regions, {len(sim.drivers)} driver lines")
    best = None
    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder) / "comparison.xlsx"
        for _ in range(args.repeat):
            start = time.perf_counter()
            write_workbook(sim, target)
            seconds = time.perf_counter() - start
            best = seconds if best is None else min(best, seconds)
        tracemalloc.start()
        write_workbook(sim, target)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        size = target.stat().st_size
    print(f"workbook: best of {args.repeat} {best:.2f} s (target < 5 s), {size / 1024:.0f} KiB")
    print(f"peak memory: {peak / 2**20:.0f} MiB traced during the build, "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB resident (whole process)")


if __name__ == "__main__":
    main()
