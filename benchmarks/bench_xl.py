"""Benchmark: the Excel functions as xlwings calls them, in Python (the COM round trip excluded).

Prints microseconds per scalar call (warm: same arguments again, as on a recalculation; and
first-time arguments, every call different), the seconds of CP_EVALUATE on a 10,000-row claims
range shaped as Excel hands it over (datetimes, floats, booleans, None), of a one-region
CP_SIMULATE (cold and warm), and the peak resident memory.

    python benchmarks/bench_xl.py [--rows 10000] [--calls 100000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import resource
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from machine import machine_line

sys.path.insert(0, str(Path(__file__).resolve().parent))

from claims_generator import generate_claims  # noqa: E402

import xl_addin.functions as fx  # noqa: E402
from engine.claims.contract import OPTIONAL, REQUIRED  # noqa: E402

JUNE_2024 = 45444.0


def excel_range(frame: pd.DataFrame) -> list[list]:
    """A claims frame as xlwings passes a range: header row, datetimes, floats, booleans, None for empty cells."""
    columns = REQUIRED + OPTIONAL
    cells = []
    for name in columns:
        values = frame[name]
        if np.issubdtype(values.dtype, np.datetime64):
            out = [None if pd.isna(v) else v.to_pydatetime() for v in values]
        elif values.dtype == bool:
            out = values.tolist()
        elif np.issubdtype(values.dtype, np.number):
            out = [None if pd.isna(v) else float(v) for v in values]
        else:
            out = [v if v else None for v in values]
        cells.append(out)
    return [columns, *(list(row) for row in zip(*cells, strict=True))]


def per_call(fn, calls: int) -> float:
    """Microseconds per call, best of three runs."""
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        fn(calls)
        best = min(best, time.perf_counter() - start)
    return best / calls * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--calls", type=int, default=100_000)
    args = parser.parse_args()
    print(machine_line())
    start = time.perf_counter()
    fx.CP_FEE("individual", None, JUNE_2024)
    print(f"first call (loads the policies): {(time.perf_counter() - start) * 1e3:.0f} ms")

    def warm_fee(n):
        for _ in range(n):
            fx.CP_FEE("individual", None, JUNE_2024)

    def warm_copay(n):
        for _ in range(n):
            fx.CP_COPAY(30.0, "individual", True, None, JUNE_2024)

    births = [dt.datetime(1950, 1, 1) + dt.timedelta(days=i) for i in range(args.calls)]

    def new_copay(n):
        fx.SESSION._cells.clear()
        for birth in births[:n]:
            fx.CP_COPAY(birth, "individual", False, None, JUNE_2024)

    print(f"warm scalar call, same arguments: CP_FEE {per_call(warm_fee, args.calls):.1f} µs, "
          f"CP_COPAY {per_call(warm_copay, args.calls):.1f} µs")
    print(f"scalar call, new arguments each time: CP_COPAY {per_call(new_copay, args.calls):.1f} µs")

    claims = excel_range(generate_claims(args.rows, seed=7))
    best = float("inf")
    for _ in range(5):
        start = time.perf_counter()
        table = fx.CP_EVALUATE(claims)
        best = min(best, time.perf_counter() - start)
    assert isinstance(table, list), table
    print(f"CP_EVALUATE on {args.rows:,} rows: {best:.3f} s best of 5 ({args.rows / best:,.0f} rows/s), "
          f"{len(table) - 1:,} result rows × {len(table[0])} columns")

    start = time.perf_counter()
    fx.CP_SIMULATE("copay-15", None, "luxemburg")
    cold = time.perf_counter() - start
    start = time.perf_counter()
    fx.CP_SIMULATE("copay-15", None, "Luxemburg")
    warm = time.perf_counter() - start
    print(f"CP_SIMULATE one region (baseline + 1 scenario): {cold:.2f} s cold, {warm * 1e3:.1f} ms warm (cached run)")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory: {peak:.0f} MiB")


if __name__ == "__main__":
    main()
