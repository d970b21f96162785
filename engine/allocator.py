"""Memory settings for many large temporary arrays: freed memory is kept for the next ones, in ordinary pages.

An evaluation or a simulation makes many temporary arrays of some megabytes each. By default glibc
gives each of them fresh pages from the system and returns them when freed, so the next array
faults its pages in again; on a virtual machine a page fault costs microseconds, and a simulated
year made hundreds of thousands of them. With these settings arrays up to the largest mmap
threshold glibc allows come from the heap, and freed heap memory is kept for reuse (glibc only).

NumPy also asks the kernel for transparent huge pages for every array of 4 MiB or more. Where the
system grants them on request only (`madvise`, the Debian and Ubuntu default), a fault may first
compact memory to find a free 2 MiB page. For arrays that live a few milliseconds that costs more
than it saves: a national `compare` spent about 1.5 s more processor time in the kernel with them.
"""

from __future__ import annotations

import ctypes
import os
import sys

_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # mallopt parameters (malloc.h)
_MMAP_THRESHOLD = 4 * 1024 * 1024 * ctypes.sizeof(ctypes.c_long)  # glibc's upper limit: 32 MiB on 64-bit systems
_TRIM_THRESHOLD = 1 << 30  # freed memory at the top of the heap is returned to the system beyond 1 GiB
HUGE_PAGES = "NUMPY_MADVISE_HUGEPAGE"  # read by NumPy when it is imported


def keep_freed_memory() -> None:
    """Tune glibc's malloc for large temporary arrays; does nothing on other C libraries and systems.

    Also asks NumPy, when it is imported after this call, for ordinary pages (unless the environment
    sets NUMPY_MADVISE_HUGEPAGE); worker processes started later inherit the setting.
    """
    os.environ.setdefault(HUGE_PAGES, "0")
    if not sys.platform.startswith("linux"):
        return
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):  # no mallopt: not glibc
        return
    mallopt(_M_MMAP_THRESHOLD, _MMAP_THRESHOLD)
    mallopt(_M_TRIM_THRESHOLD, _TRIM_THRESHOLD)
