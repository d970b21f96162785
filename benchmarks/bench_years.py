"""Benchmark: several national years (baseline + four scenarios) as a grid, in this process or on a local dask cluster.

Prints the seconds per executor, simulated years per second and the peak resident memory of the
main process and of the largest worker.

    python benchmarks/bench_years.py [--years 2025-2030] [--executor pool dask]
"""

from __future__ import annotations

import argparse
import resource
import time

from machine import machine_line

from engine.policy.policies import load_policies
from engine.simulation.years import simulate_years, year_range

SCENARIOS = ["copay-15", "adult-quota-10", "free-until-25", "index-2pct"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--years", default="2025-2030")
    parser.add_argument("--executor", nargs="+", default=["pool", "dask"], choices=["pool", "dask"])
    args = parser.parse_args()
    policies = load_policies()
    years = year_range(args.years)
    print(machine_line())
    tables = {}
    for executor in args.executor:
        start = time.perf_counter()
        tables[executor] = simulate_years(policies, SCENARIOS, years=years, executor=executor)
        seconds = time.perf_counter() - start
        print(f"{executor:>5}: {len(years)} national years × {len(SCENARIOS) + 1} scenarios in {seconds:.1f} s "
              f"({len(years) / seconds:.2f} years/s)")
    if len(tables) > 1:
        first, *others = tables.values()
        print("identical tables:", all(first.equals(t) for t in others))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"peak memory: {peak:.0f} MiB (main process), {children:.0f} MiB (largest worker)")


if __name__ == "__main__":
    main()
