"""xlsx speed and memory: results written by the bulk writer (engine.io.xlsx, the one `evaluate` uses)
against xlsxwriter in constant-memory mode and openpyxl's write-only mode (one Python call per cell),
and claims read by python-calamine against openpyxl's read-only mode.

Each measurement runs in a fresh process, so that its peak memory is its own. Wall and processor
time are both shown (the bulk writer compresses in a second thread; on a busy machine wall time grows).

    python benchmarks/bench_xlsx.py [--rows 1000000] [--cell-rows 100000] [--read-rows 100000]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

from machine import machine_line

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
OUT = HERE / "out"
VERBS = {"write": "writing", "read": "reading"}
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))


def _results(rows: int):
    from claims_generator import generate_claims

    from engine.evaluate.vectorized import evaluate_vectorized
    from engine.policy.policies import load_policies

    claims = generate_claims(rows, seed=7)
    results = evaluate_vectorized(claims, load_policies())
    results.insert(0, "row", claims["row"].to_numpy())
    return results


def _write_xlsxwriter(results, path: Path) -> None:
    """xlsxwriter in constant-memory mode, a cell at a time, with the euro and date formats (for comparison)."""
    import pandas as pd
    import xlsxwriter

    from engine.claims.write import AMOUNTS, OUTPUT_COLUMNS

    book = xlsxwriter.Workbook(str(path), {"constant_memory": True, "strings_to_formulas": False,
                                           "strings_to_numbers": False, "strings_to_urls": False})
    euro, day = book.add_format({"num_format": '#,##0.00 "€"'}), book.add_format({"num_format": "yyyy-mm-dd"})
    sheet = book.add_worksheet("results")
    sheet.write_row(0, 0, OUTPUT_COLUMNS)
    columns = []
    for name in OUTPUT_COLUMNS:
        values = results[name]
        if name in AMOUNTS:
            columns.append((sheet.write_number, values.round(2).tolist(), euro))
        elif name == "period_start":
            columns.append((sheet.write_datetime, [None if v is pd.NaT else v.to_pydatetime() for v in values], day))
        elif name in ("row", "covered"):
            columns.append((sheet.write, values.tolist(), None))
        else:
            columns.append((sheet.write_string, [v or None for v in values.astype(object).tolist()], None))
    for i, row in enumerate(zip(*(values for _, values, _ in columns), strict=True), start=1):
        for j, (value, (write, _, cell_format)) in enumerate(zip(row, columns, strict=True)):
            if value is not None:
                write(i, j, value, cell_format)
    book.close()


def _write_openpyxl(results, path: Path) -> None:
    """The write-only openpyxl path the results used before (for comparison)."""
    from openpyxl import Workbook

    from engine.claims.write import OUTPUT_COLUMNS

    book = Workbook(write_only=True)
    sheet = book.create_sheet("results")
    sheet.append(OUTPUT_COLUMNS)
    for row in zip(*(results[c].astype(object).tolist() for c in OUTPUT_COLUMNS), strict=True):
        sheet.append([None if v != v else v for v in row])
    book.save(path)


def _read_openpyxl(path: Path) -> int:
    from openpyxl import load_workbook

    book = load_workbook(path, read_only=True, data_only=True)
    rows = sum(1 for _ in book.worksheets[0].iter_rows(values_only=True)) - 1
    book.close()
    return rows


def one(task: str, rows: int) -> dict:
    """Run one measurement in this process: rows per second and peak memory."""
    from engine.claims.read import read_claims_table
    from engine.claims.write import write_claims, write_results

    OUT.mkdir(exist_ok=True)
    claims_xlsx = OUT / f"claims_{rows}.xlsx"
    if task.startswith("read") and not claims_xlsx.exists():
        from claims_generator import generate_claims

        write_claims(generate_claims(rows, seed=7), claims_xlsx)
    results = _results(rows) if task.startswith("write") else None
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start, processor = time.perf_counter(), time.process_time()
    if task == "write-bulk":
        write_results(results, OUT / "results.xlsx")
    elif task == "write-xlsxwriter":
        _write_xlsxwriter(results, OUT / "results-xlsxwriter.xlsx")
    elif task == "write-openpyxl":
        _write_openpyxl(results, OUT / "results-openpyxl.xlsx")
    elif task == "read-calamine":
        assert read_claims_table(claims_xlsx).num_rows == rows
    else:
        assert _read_openpyxl(claims_xlsx) == rows
    seconds, processor = time.perf_counter() - start, time.process_time() - processor
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"task": task, "rows": rows, "seconds": seconds, "processor": processor, "peak_mib": peak / 1024,
            "grew_mib": (peak - before) / 1024}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="xlsx write and read speed and memory.")
    parser.add_argument("--rows", type=int, default=1_000_000, help="result rows to write with the bulk writer")
    parser.add_argument("--cell-rows", type=int, default=100_000, help="result rows to write a cell at a time")
    parser.add_argument("--read-rows", type=int, default=100_000, help="claim rows to read")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one:
        print(json.dumps(one(args.one, args.rows)))
        return 0
    print(machine_line())
    for task, rows in [("write-bulk", args.rows), ("write-xlsxwriter", args.cell_rows), ("write-openpyxl", args.cell_rows),
                       ("read-calamine", args.read_rows), ("read-openpyxl", args.read_rows)]:
        done = subprocess.run([sys.executable, __file__, "--one", task, "--rows", str(rows)], capture_output=True, text=True)
        if done.returncode:
            print(done.stderr, file=sys.stderr)
            return done.returncode
        r = json.loads(done.stdout.splitlines()[-1])
        print(f"{task:17} {r['rows']:>9,} rows in {r['seconds']:6.1f} s = {r['rows'] / r['seconds']:>9,.0f} rows/s "
              f"({r['processor']:.1f} s processor = {r['rows'] / r['processor']:,.0f} rows per processor-second); "
              f"peak {r['peak_mib']:,.0f} MiB (grew {r['grew_mib']:,.0f} MiB while {VERBS[task.split('-')[0]]}, "
              f"{r['grew_mib'] / r['rows'] * 1e6 / 1024:.2f} GiB per million rows)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
