"""Compiled loops (numba) for the pruning of tables on the CPU: the K-skyband sweep and the band counts.

`survivors_cpu` is `ranking.prune`'s sweep; `band_counts_cpu` is `ranking.bands._band_counts`.

Per user, items are swept in rank order against the survivors so far, kept strongest first (largest
lb + lq), and an item's scan stops at its K-th dominator. It counts exactly what the torch sweep
counts (survivors that rank above and are at least as good in lb and lq; see `ranking.prune` for why
survivors suffice), about ten times faster on one core, because a pruned item usually meets its K
dominators among the first few dozen survivors instead of being compared with all of them.
"""
from __future__ import annotations

import logging
from collections.abc import Callable

import numpy as np
import torch
from numba import njit

log = logging.getLogger(__name__)


def compiled(func: Callable) -> Callable:
    """`func` compiled by numba, with its machine code cached on disk where numba finds a writable place.

    Numba caches beside the source file or in the user's cache folder (NUMBA_CACHE_DIR overrides both). An
    install whose package folder is read-only, run by a user without a writable home, has neither: numba then
    refuses `cache=True` at import, so the loop is compiled once per process instead (about a second).
    """
    try:
        return njit(cache=True)(func)
    except RuntimeError as err:  # numba: "cannot cache function ...: no locator available"
        log.warning("%s; compiling it in every process (set NUMBA_CACHE_DIR to a writable folder to cache it)", err)
        return njit(func)


@compiled
def _sweep(allowed: np.ndarray, lb: np.ndarray, lq: np.ndarray, k: int, out: np.ndarray) -> None:  # pragma: no cover
    n_users, n = lb.shape
    buf_lb = np.empty(n, np.float32)
    buf_lq = np.empty(n, np.float32)
    buf_key = np.empty(n, np.float32)
    for u in range(n_users):
        size = 0
        for i in range(n):
            if not allowed[u, i]:
                out[u, i] = False
                continue
            x, y = lb[u, i], lq[u, i]
            count = 0
            for r in range(size):
                if buf_lb[r] >= x and buf_lq[r] >= y:
                    count += 1
                    if count >= k:
                        break
            out[u, i] = count < k
            if count < k:  # a new survivor: insert it in order of lb + lq, largest first
                key = x + y
                pos = size
                while pos > 0 and buf_key[pos - 1] < key:
                    buf_lb[pos] = buf_lb[pos - 1]
                    buf_lq[pos] = buf_lq[pos - 1]
                    buf_key[pos] = buf_key[pos - 1]
                    pos -= 1
                buf_lb[pos], buf_lq[pos], buf_key[pos] = x, y, key
                size += 1


def survivors_cpu(allowed: torch.Tensor, lb: torch.Tensor, lq: torch.Tensor, k: int) -> torch.Tensor:
    """(U, I) bool: allowed items with fewer than k dominators, for CPU columns in rank order (as `prune._survivors`)."""
    out = np.empty(tuple(lb.shape), dtype=np.bool_)
    _sweep(np.ascontiguousarray(allowed.numpy()), np.ascontiguousarray(lb.numpy(), dtype=np.float32),
           np.ascontiguousarray(lq.numpy(), dtype=np.float32), int(k), out)
    return torch.from_numpy(out)


@compiled
def _edges_below(edges: np.ndarray, t: np.float32) -> int:  # pragma: no cover
    """How many edges are < t (edges ascending): torch.bucketize(t, edges)."""
    lo, hi = 0, len(edges)
    while lo < hi:
        mid = (lo + hi) // 2
        if edges[mid] < t:
            lo = mid + 1
        else:
            hi = mid
    return lo


@compiled
def _bands(lb: np.ndarray, lq: np.ndarray, edges: np.ndarray, margin_scale: np.float32,
           out: np.ndarray) -> None:  # pragma: no cover
    n_users, width = lb.shape
    n_bands = len(edges) - 1
    diff = np.zeros(n_bands + 1, np.int32)  # one column's per-band difference array
    for u in range(n_users):
        margin = np.float32(0.0)
        for s in range(width):
            margin = max(margin, np.float32(abs(lb[u, s]) + abs(lq[u, s])))
        margin = np.float32(margin * margin_scale)
        for i in range(width):
            diff[:] = 0
            x_lb, x_lq = lb[u, i], lq[u, i]
            for j in range(i):  # j ranks above i
                d_lb = np.float32(lb[u, j] - x_lb)
                d_lq = np.float32(lq[u, j] - x_lq)
                if d_lb >= 0 and d_lq >= 0:  # dominates outright: every band
                    diff[0] += 1
                    continue
                if d_lb < 0 and d_lq < 0:  # worse in both: no band (the float t below is >= 1 or < 0 then too)
                    continue
                slope = np.float32(d_lq - d_lb)
                if slope == 0:  # parallel and not dominating outright: never
                    continue
                t = np.float32(np.float32(margin - d_lb) / slope)
                below_t = _edges_below(edges, t)
                if slope > 0:  # the bands whose left edge >= t (up to the last)
                    diff[min(below_t, n_bands)] += 1
                elif t > 0:  # falling: the bands whose right edge < t
                    diff[0] += 1
                    diff[below_t - 1] -= 1
            running = 0
            for b in range(n_bands):
                running += diff[b]
                out[u, b, i] = running


def band_counts_cpu(lb: torch.Tensor, lq: torch.Tensor, edges: np.ndarray, margin_scale: float) -> torch.Tensor:
    """(U, B, S) int16: per band, the earlier columns that dominate each column (as `bands._band_counts`)."""
    n_users, width = lb.shape
    out = np.empty((n_users, len(edges) - 1, width), dtype=np.int16)
    _bands(np.ascontiguousarray(lb.numpy(), dtype=np.float32), np.ascontiguousarray(lq.numpy(), dtype=np.float32),
           np.asarray(edges, dtype=np.float32), np.float32(margin_scale), out)
    return torch.from_numpy(out)
