"""Start-up of `carepolicy --help`, and end-to-end speed of `carepolicy evaluate` on a generated claims file:
rows per second and peak memory.

The claims file is generated once into benchmarks/out/ (git-ignored) and reused; each run is a fresh
`python -m carepolicy evaluate` process, timed from start to exit, so start-up, reading,
normalizing, evaluating and writing all count. The command's own summary gives the seconds of
each phase (read, normalize, evaluate, write). Wall time and the processor time of the child
(user + system) are both shown: on a machine shared with other jobs the wall time grows, the
processor time much less.

    python benchmarks/bench_cli.py [--rows 1000000] [--runs 3] [--output csv] [--chunk-rows N]
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import time
from pathlib import Path

from machine import machine_line

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
OUT = HERE / "out"


def claims_file(rows: int, seed: int) -> Path:
    """The generated claims CSV for `rows` rows, made on first use."""
    path = OUT / f"claims_{rows}_{seed}.csv"
    if not path.exists():
        sys.path.insert(0, str(HERE))
        from claims_generator import main as generate

        generate([str(rows), str(path), "--seed", str(seed)])
    return path


def timed(command: list[str]) -> tuple[float, float, subprocess.CompletedProcess]:
    """(wall seconds, processor seconds of the child, the finished process) of one run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), done


def startup(runs: int = 10) -> None:
    """`carepolicy --help` in a fresh process: the best of `runs`, wall and processor time."""
    walls, cpus = zip(*(timed([sys.executable, "-m", "carepolicy", "--help"])[:2] for _ in range(runs)), strict=True)
    print(f"start-up (carepolicy --help, best of {runs}): {min(walls):.3f} s wall, {min(cpus):.3f} s processor")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Time carepolicy evaluate end to end on generated claims.")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--runs", type=int, default=3, help="timed runs; the best and the median are shown")
    parser.add_argument("--output", choices=["csv", "parquet", "xlsx"], default="csv")
    parser.add_argument("--chunk-rows", type=int, help="force patient-complete chunks of about N rows")
    args = parser.parse_args(argv)
    print(machine_line())
    startup()
    claims = claims_file(args.rows, args.seed)
    results = OUT / f"results_{args.rows}.{args.output}"
    command = [sys.executable, "-m", "carepolicy", "evaluate", str(claims), "-o", str(results), "--quiet"]
    if args.chunk_rows:
        command += ["--chunk-rows", str(args.chunk_rows)]
    print(f"{claims.name}: {claims.stat().st_size / 1e6:.0f} MB, {args.rows:,} rows")
    times = []
    for run in range(args.runs):
        wall, cpu, done = timed(command)
        times.append(wall)
        if done.returncode not in (0, 3):
            print(done.stderr, file=sys.stderr)
            return done.returncode
        print(f"run {run + 1}: {wall:.2f} s end to end ({cpu:.2f} s processor); "
              f"{done.stdout.splitlines()[0].split(': ', 1)[1]}")
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    best, median = min(times), sorted(times)[len(times) // 2]
    print(f"best {best:.2f} s ({args.rows / best:,.0f} rows/s), median {median:.2f} s; peak RSS {peak:,.0f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
