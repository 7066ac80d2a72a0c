"""Keep freed heap memory in the process during CPU training (glibc), instead of page-faulting it back every step."""
from __future__ import annotations

import ctypes
import ctypes.util
import functools
import sys

M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3  # glibc's mallopt parameters (malloc.h)
TRIM_THRESHOLD = 256 << 20  # free heap kept before it is handed back to the OS (bytes)
MMAP_THRESHOLD = 64 << 20  # blocks below this come from the heap, not a fresh mmap (bytes)


@functools.cache
def keep_freed_memory() -> bool:
    """Tell glibc's malloc to keep up to 256 MiB of freed memory and to serve blocks under 64 MiB from it.

    A training step allocates and frees a few pair-sized tensors (user positions x negatives x hidden,
    about 20 MiB at the default size); by default glibc hands them back to the OS each step and the
    next step page-faults them in again, zeroed: 10-14 % of a CPU step here. Process-wide and once;
    returns False where there is no glibc (macOS, Windows, musl), which changes nothing.
    """
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    return bool(mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD)) and bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD))
