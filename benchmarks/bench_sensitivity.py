"""Benchmark: `sensitivity` over every assumed figure for one scenario, national, on a local dask cluster.

Prints the seconds, sensitivity points per second, the five figures that move the budget most, and the
peak resident memory of the main process and of the largest worker.

    python benchmarks/bench_sensitivity.py [--year 2027] [--scenario copay-15] [--executor dask]
"""

from __future__ import annotations

import argparse
import resource
import time

from machine import machine_line

from engine.policy.policies import load_policies
from engine.simulation.sensitivity import sensitivity


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--year", type=int, default=2027)
    parser.add_argument("--scenario", default="copay-15")
    parser.add_argument("--executor", default="dask", choices=["pool", "dask"])
    args = parser.parse_args()
    policies = load_policies()
    print(machine_line())
    start = time.perf_counter()
    result = sensitivity(policies, [args.scenario], year=args.year, executor=args.executor)
    seconds = time.perf_counter() - start
    points = 2 * len(result.figures) + 1
    print(f"{args.executor}: {len(result.figures)} assumed figures, {points} national points × 2 scenarios "
          f"in {seconds:.1f} s ({points / seconds:.2f} points/s)")
    top = result.tornado.head(5)
    for row in top.to_dict("records"):
        print(f"  {row['label']:<44} baseline {row['baseline_low']:>15,.0f} – {row['baseline_high']:>15,.0f} "
              f"(swing {row['swing']:,.0f})")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"peak memory: {peak:.0f} MiB (main process), {children:.0f} MiB (largest worker)")


if __name__ == "__main__":
    main()
