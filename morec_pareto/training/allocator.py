"""Keep freed heap memory in the process during CPU training (glibc), instead of page-faulting it back every step."""
from __future__ import annotations

import ctypes
import ctypes.util
import functools
import sys

M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3  # glibc's mallopt parameters (malloc.h)
TRIM_THRESHOLD = 256 << 20  # free heap kept before it is handed back to the OS (bytes)
MMAP_THRESHOLD = 64 << 20  # blocks below this come from the heap, not a fresh mmap (bytes)


DEFAULT_THRESHOLD = 128 << 10  # glibc's default trim and mmap thresholds (bytes)


def keep_freed_memory(keep: bool = True) -> bool:
    """Tell glibc's malloc to keep up to 256 MiB of freed memory and to serve blocks under 64 MiB from it.

    A training step allocates and frees a few pair-sized tensors (user positions x negatives x hidden,
    about 20 MiB at the default size); by default glibc hands them back to the OS each step and the
    next step page-faults them in again, zeroed: 10-14 % of a CPU step here. `keep=False` restores
    glibc's defaults and trims the heap, so that after training the large score tables of big data
    sets come from (and go back to) the OS. Process-wide; returns False where there is no glibc
    (macOS, Windows, musl), which changes nothing.
    """
    libc = _libc()
    if libc is None:
        return False
    trim, mmap = (TRIM_THRESHOLD, MMAP_THRESHOLD) if keep else (DEFAULT_THRESHOLD, DEFAULT_THRESHOLD)
    ok = bool(libc.mallopt(M_TRIM_THRESHOLD, trim)) and bool(libc.mallopt(M_MMAP_THRESHOLD, mmap))
    if not keep:
        libc.malloc_trim(0)
    return ok


@functools.cache
def _libc():
    """glibc through ctypes, or None where it is not the C library."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.mallopt, libc.malloc_trim  # noqa: B018 (both exist in glibc only)
    except (OSError, AttributeError):
        return None
    return libc
