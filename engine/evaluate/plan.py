"""How a claims file is evaluated, decided before anything heavy is imported: whole in memory, or in
patient-complete chunks when it would not fit; and, in memory, the file read in a thread from the
start, so that reading overlaps the imports and the policy load (Arrow reads without the GIL).
"""

from __future__ import annotations

import threading
from pathlib import Path

import pyarrow as pa

from engine.claims.read import check_input, estimated_rows, read_claims_table
from engine.errors import InputError

BYTES_PER_ROW = 1000
"""Peak memory of an in-memory run per claim row (about 650 MiB for a million rows, benchmarks/bench_cli.py)."""
GUEST_ALLOWANCE = 5
"""A chunk grows by the claims of its patients' group partners: up to about 5 times on the generated mix."""


def available_memory() -> int:
    """Bytes of memory available to a new allocation (MemAvailable), or 4 GiB when unknown."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 4 << 30


def chunk_rows_for(claims: Path, suffix: str, chunk_rows: int | None, memory: int | None) -> int | None:
    """The rows per chunk of a run: `chunk_rows` when given; else None (in memory) when the file fits in `memory`
    bytes (default: half the available memory) or is an .xlsx workbook, which is always read whole."""
    if chunk_rows is not None or suffix == ".xlsx":
        return chunk_rows
    budget = memory if memory is not None else available_memory() // 2
    if estimated_rows(claims) * BYTES_PER_ROW > budget:
        return max(1, budget // (BYTES_PER_ROW * GUEST_ALLOWANCE))
    return None


class ReadAhead:
    """A whole claims file being read in a thread; `table()` waits for it."""

    def __init__(self, claims: Path):
        self.claims = Path(claims)
        self._table: pa.Table | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._read, name="read-claims")
        self._thread.start()

    def _read(self) -> None:
        try:
            self._table = read_claims_table(self.claims)
        except BaseException as exc:  # handed to the caller of table(), in its thread
            self._error = exc

    def table(self) -> pa.Table:
        """The claims table (text columns with canonical names), or the error reading it raised; handed out once."""
        self._thread.join()
        if self._error is not None:
            raise self._error
        table, self._table = self._table, None
        return table


def read_ahead(claims: Path, chunk_rows: int | None = None, memory: int | None = None) -> ReadAhead | None:
    """Start reading a .csv or .parquet claims file that will be evaluated in memory; None when the run will be
    chunked, or the file is an .xlsx workbook (read with the GIL held: nothing to overlap) or cannot be read
    (evaluate_file then says why, in its order of checks)."""
    try:
        suffix = check_input(Path(claims))
    except InputError:
        return None
    if suffix == ".xlsx":
        return None
    return ReadAhead(claims) if chunk_rows_for(Path(claims), suffix, chunk_rows, memory) is None else None
