"""Benchmark: winners and losers of one scenario, one year, national (all regions), as `carepolicy impact` runs it.

Prints the seconds of the best run, the patients compared per second and the peak resident memory
of the main process and of the largest worker process.

    python benchmarks/bench_impact.py [--scenario copay-15] [--year 2027] [--repeat 3]
"""

from __future__ import annotations

import argparse
import time

from machine import machine_line, peak_memory_line

from engine.policy.policies import load_policies
from engine.simulation.impact import impact


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default="copay-15")
    parser.add_argument("--year", type=int, default=2027)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(machine_line())
    best = None
    for _ in range(args.repeat):
        start = time.perf_counter()
        table = impact(load_policies(), [args.scenario], year=args.year)
        seconds = time.perf_counter() - start
        best = seconds if best is None else min(best, seconds)
    patients = int(table["patients"].iloc[0])
    print(f"impact of {args.scenario}, {args.year}, national: {patients:,} patients compared, "
          f"{int(table['worse_off'].iloc[0]):,} worse off, {int(table['better_off'].iloc[0]):,} better off")
    print(f"best of {args.repeat}: {best:.2f} s ({patients / best:,.0f} patients per second; target < 5 s)")
    print(peak_memory_line() + "; target < 2048 MiB")


if __name__ == "__main__":
    main()
