"""The one line every benchmark prints first: the machine and the load its figures come from."""

from __future__ import annotations

import os
import platform
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa


def _cpu() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _memory() -> str:
    try:
        pages = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError):
        return "memory unknown"
    return f"{pages / 2**30:.0f} GiB"


def load() -> str:
    """The 1-, 5- and 15-minute load averages."""
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def machine_line() -> str:
    """CPU, cores, memory, Python and library versions, and the current load."""
    return (f"machine: {_cpu()}, {os.cpu_count()} cores, {_memory()}, Python {platform.python_version()}, "
            f"numpy {np.__version__}, pandas {pd.__version__}, pyarrow {pa.__version__}; load {load()}")


def peak_memory_line() -> str:
    """Peak resident memory of this process and of its largest finished worker process."""
    import resource

    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    workers = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return f"peak memory: {own:.0f} MiB (main process), {workers:.0f} MiB (largest worker)"
