"""Benchmark: `carepolicy compare` end to end, with the seed band over 3 seeds (target < 10 s) and without (< 5 s).

Runs the command as an analyst would (one year, the baseline and every bundled scenario, all regions)
in a child process and prints its wall time and peak resident memory.

    python benchmarks/bench_compare.py [--year 2027]
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from machine import machine_line


def run(seeds: int, year: int, folder: Path) -> tuple[float, float]:
    """Wall seconds and peak resident MiB of one `carepolicy compare --seeds N` (the largest child so far)."""
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "carepolicy", "compare", "--year", str(year), "--seeds", str(seeds),
                    "-o", str(folder / f"compare-{seeds}.xlsx")], check=True, capture_output=True)
    seconds = time.perf_counter() - start
    return seconds, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--year", type=int, default=2027)
    args = parser.parse_args()
    print(machine_line())
    with tempfile.TemporaryDirectory() as folder:
        for seeds, target in ((3, 10), (1, 5)):
            seconds, peak = run(seeds, args.year, Path(folder))
            print(f"compare --seeds {seeds}: {seconds:.1f} s (target < {target} s), peak {peak:.0f} MiB resident")
    print(f"after: load {machine_line().rsplit('load ', 1)[1]}")


if __name__ == "__main__":
    main()
