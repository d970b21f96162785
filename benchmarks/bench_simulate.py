"""Benchmark: a full national year (all regions) for the baseline plus the four reform scenarios.

Prints the seconds of each phase (drawing the synthetic claims, evaluating and aggregating the
scenarios), sessions evaluated per second and the peak resident memory.

    python benchmarks/bench_simulate.py [--year 2027] [--repeat 3]
"""

from __future__ import annotations

import argparse
import time

from machine import machine_line, peak_memory_line

from engine.policy.policies import load_policies
from engine.simulation.run import national, simulate

SCENARIOS = ["copay-15", "adult-quota-10", "free-until-25", "index-2pct"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--year", type=int, default=2027)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    policies = load_policies()
    print(machine_line())
    best = None
    for _ in range(args.repeat):
        start = time.perf_counter()
        sim = simulate(policies, SCENARIOS, year=args.year)
        seconds = time.perf_counter() - start
        best = seconds if best is None else min(best, seconds)
    nation = national(sim.results)
    print(f"national year {args.year}: baseline + {len(SCENARIOS)} scenarios, "
          f"{int(nation['patients'].iloc[0]):,} baseline patients, {len(sim.region_ids)} regions")
    print(f"best of {args.repeat}: {best:.2f} s ({best / len(sim.scenarios):.2f} s per scenario)")
    print(peak_memory_line())


if __name__ == "__main__":
    main()
