"""Spilled data: Arrow IPC stream files in a temporary folder, one or more per key, with few files open at once.

A chunked evaluation of a large file with small chunks has thousands of keys; keeping a writer open
per key would run out of file descriptors (`ulimit -n`, often 1024). At most MAX_OPEN writers are
open at a time: when another is needed, the least recently used is closed, and a later write to its
key starts a new segment file. Reading a key reads its segments in order.
"""

from __future__ import annotations

from collections import OrderedDict
from pathlib import Path

import numpy as np
import pyarrow as pa

MAX_OPEN = 64
"""Writers open at once per set of streams (three sets at most are in use together)."""


class Streams:
    """Arrow IPC stream files in a folder, one series of segments per key, opened on first write."""

    def __init__(self, folder: Path, prefix: str, max_open: int = MAX_OPEN):
        self.folder, self.prefix, self.max_open = folder, prefix, max_open
        self.writers: OrderedDict[int, _Writer] = OrderedDict()
        self.segments: dict[int, int] = {}
        self.schema: pa.Schema | None = None

    def path(self, key: int, segment: int = 0) -> Path:
        return self.folder / f"{self.prefix}-{key}.{segment}.arrows"

    def write(self, key: int, table: pa.Table) -> None:
        if self.schema is None:
            self.schema = table.schema
        writer = self.writers.get(key)
        if writer is None:
            while len(self.writers) >= self.max_open:
                self.writers.popitem(last=False)[1].close()
            segment = self.segments.get(key, -1) + 1
            self.segments[key] = segment
            writer = self.writers[key] = _Writer(self.path(key, segment), self.schema)
        else:
            self.writers.move_to_end(key)
        writer.stream.write_table(table.cast(self.schema))

    def split(self, table: pa.Table, keys: np.ndarray) -> None:
        """Write each row of `table` to the stream of its key."""
        order = np.argsort(keys, kind="stable")
        sorted_keys = keys[order]
        table = table.take(pa.array(order))  # one take, then slices that share its buffers
        for key in np.unique(sorted_keys):
            lo, hi = np.searchsorted(sorted_keys, [key, key + 1])
            self.write(int(key), table.slice(lo, hi - lo))

    def close(self) -> None:
        for writer in self.writers.values():
            writer.close()
        self.writers.clear()

    def read(self, key: int) -> pa.Table | None:
        """Every row written to `key`, in the order written; None when nothing was."""
        if key not in self.segments:
            return None
        tables = []
        for segment in range(self.segments[key] + 1):
            with pa.OSFile(str(self.path(key, segment))) as file, pa.ipc.open_stream(file) as reader:
                tables.append(reader.read_all())
        return pa.concat_tables(tables)


class _Writer:
    """An IPC stream writer and the file it owns, closed together (a writer alone keeps its file open until collected)."""

    def __init__(self, path: Path, schema: pa.Schema):
        self.file = pa.OSFile(str(path), "wb")
        self.stream = pa.ipc.new_stream(self.file, schema)

    def close(self) -> None:
        try:
            self.stream.close()
        finally:
            self.file.close()
