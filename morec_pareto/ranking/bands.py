"""Price-exponent bands: a narrower pruned table for each slice of the price exponent's range.

A pruned table (`ranking.prune`) keeps the items that some candidate can rank in its top-K for *any*
price exponent alpha in [0, 2]. One candidate has one alpha, and its revenue score at alpha is

    v_i(h) = (1 - h) lb_i + h lq_i,   h = alpha / 2,

linear in h. On a band [h0, h1] of h, item j beats item i for every candidate in the band when j ranks
above i in relevance (the tie-break) and v_j(h) >= v_i(h) for every h in the band; a linear function
is smallest at the band's ends, so checking them suffices. An item with at least K such dominators
cannot enter a list of that band, so each band keeps its own K-skyband of (rank, v(h0), v(h1)): for
random tables at 1,000 x 1,700 about 60-100 columns against about 160-210 for the whole range.

Exact despite float32 rounding: a pair is declared a band dominator only when, in exact arithmetic,
v_j(h) - v_i(h) >= M_ji = 2^-18 (|lb_j| + |lq_j| + |lb_i| + |lq_i|) over the band, which is about 60
times the largest error of the policies' float32 `_mix` and of this module's float32 threshold; pairs
that dominate outright (lb_j >= lb_i and lq_j >= lq_i, exact in floats, as in `ranking.prune`) count
at every h. Candidates are assigned to bands by the float32 h their policy computes.

Every pair dominates on an interval of h (one side of a threshold), so it dominates a run of
consecutive bands; counting all bands costs one difference array per pair whatever the number of
bands (`_band_counts`).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from morec_pareto.ranking.table import _NOWHERE, CandidateTable, pack

_MARGIN = 2.0**-18


@dataclass(frozen=True)
class BandedTable:
    """One pruned table per band of h = alpha / 2: band b covers [edges[b], edges[b + 1]]."""

    edges: np.ndarray  # (B + 1,) float32 band edges of h, 0 first and 1 last
    tables: tuple[CandidateTable, ...]  # (B,) each band's K-skyband, same users

    @property
    def n_users(self) -> int:
        return self.tables[0].n_users

    @property
    def n_items(self) -> int:
        return self.tables[0].n_items

    @property
    def width(self) -> int:
        """The widest band's columns (for sizing user chunks)."""
        return max(t.width for t in self.tables)

    def rows(self, sl: slice) -> BandedTable:
        """The banded table of a slice of users."""
        return BandedTable(self.edges, tuple(t.rows(sl) for t in self.tables))

    def band_of(self, alpha: np.ndarray) -> np.ndarray:
        """Band index (P,) of price exponents alpha, from the float32 h = alpha / 2 the policies compute."""
        h = (np.asarray(alpha, dtype=np.float32) / np.float32(2.0)).astype(np.float32)
        return np.clip(np.searchsorted(self.edges[1:-1], h, side="right"), 0, len(self.tables) - 1)


def band_edges(table: CandidateTable, n_bands: int) -> np.ndarray:
    """Edges of h in [0, 1] spaced evenly in the angle of the revenue direction (float32, exact dyadics).

    v(h) = lb + h (lq - lb): on per-table standardised axes the score's direction turns by the angle
    atan(h s_d / s_b) (s_b, s_d the spreads of lb and of lq - lb = 2 log price), so bands of equal angle
    hold comparable changes of order; with prices spread wider than P(buy) they crowd near h = 0.
    """
    ok = table.allowed
    s_b = float(table.lb[ok].std()) if bool(ok.any()) else 1.0
    s_d = float((table.lq - table.lb)[ok].std()) if bool(ok.any()) else 1.0
    s_b, s_d = max(s_b, 1e-6), max(s_d, 1e-6)
    top = math.atan2(s_d, s_b)
    h = [math.tan(top * b / n_bands) * s_b / s_d for b in range(1, n_bands)]
    inner = sorted({float(np.float32(round(x * 2**20) / 2**20)) for x in h if 0.0 < x < 1.0})
    return np.array([0.0, *inner, 1.0], dtype=np.float32)


def banded_table(table: CandidateTable, k: int, n_bands: int = 16, max_elements: int = 2**22) -> BandedTable:
    """Split a (pruned or dense) table into per-band K-skybands; lists of every candidate stay identical."""
    edges = band_edges(table, n_bands)
    n_users, width = table.n_users, table.width
    chunk = max(1, 2 * max_elements // max(1, width * width))
    counts = torch.cat([_band_counts(table.rows(slice(s, s + chunk)), edges)
                        for s in range(0, n_users, chunk)])  # (U, B, S)
    tables = []
    for b in range(len(edges) - 1):
        keep = table.allowed & (counts[:, b] < k)
        kept, item, pool_rank, rel, lb, lq = pack(keep, table.item, table.pool_rank, table.rel, table.lb, table.lq)
        tables.append(CandidateTable(item, pool_rank.masked_fill(~kept, _NOWHERE).contiguous(), rel, lb, lq,
                                     table.norm_lb, table.norm_lq, table.n_items, True))
    return BandedTable(edges, tuple(tables))


def _band_counts(table: CandidateTable, edges: np.ndarray) -> torch.Tensor:
    """(U, B, S) int16: per band, how many earlier columns dominate each column over the whole band.

    On the CPU a compiled loop over the pairs (`ranking.skyband_cpu`), elsewhere the vectorised form
    (`_band_counts_vectorised`): the same counts.
    """
    if table.lb.device.type == "cpu":
        from morec_pareto.ranking.skyband_cpu import band_counts_cpu  # numba compiles on first use

        return band_counts_cpu(table.lb, table.lq, edges, 2 * _MARGIN)
    return _band_counts_vectorised(table, edges)


def _band_counts_vectorised(table: CandidateTable, edges: np.ndarray) -> torch.Tensor:
    """`_band_counts` over every pair of columns at once, as tensors (for GPUs).

    Pairs (j above i) only, flattened: a pair dominates the bands from `start` to `stop - 1`, added
    to a per-band difference array that a cumulative sum over bands turns into counts. Allowed
    columns are a prefix of each row (tables put seen items and filler last), so a pair whose upper
    item is not allowed has a lower one that is not allowed either, and its count is never read.
    """
    lb, lq = table.lb, table.lq
    n_users, width = lb.shape
    n_bands = len(edges) - 1
    device = lb.device
    above, below = torch.triu_indices(width, width, 1, device=device)  # j = above ranks over i = below
    d_lb = lb.index_select(1, above).sub_(lb.index_select(1, below))  # (U, pairs): j's advantage over i
    d_lq = lq.index_select(1, above).sub_(lq.index_select(1, below))
    slope = d_lq - d_lb  # d/dh of v_j(h) - v_i(h)
    # One margin per user, the largest pair's: a bigger margin only prunes less.
    margin = (lb.abs() + lq.abs()).amax(dim=1, keepdim=True).mul_(2 * _MARGIN)
    # v_j(h) - v_i(h) >= margin  <=>  h >= t (rising slope), h <= t (falling slope); never when flat
    # (a flat pair with d_lb >= margin > 0 dominates outright, below)
    t = (margin - d_lb).div_(slope).masked_fill_(slope == 0, -math.inf)
    e = torch.as_tensor(edges, dtype=torch.float32, device=device)
    below_t = torch.bucketize(t, e)  # how many edges are < t
    rising = slope > 0
    # Rising: the bands whose left edge >= t; falling: those whose right edge < t (strict: an edge
    # equal to t only loses a band, never claims a wrong one). stop >= start throughout.
    start = torch.where(rising, below_t.clamp_max(n_bands), 0)
    stop = torch.where(rising, n_bands, below_t.sub_((t > 0).to(below_t.dtype)))
    outright = (d_lb >= 0).logical_and_(d_lq >= 0)
    start.masked_fill_(outright, 0)
    stop.masked_fill_(outright, n_bands)
    flat = torch.zeros((n_users, (n_bands + 1) * width), dtype=torch.int32, device=device)
    ones = torch.ones_like(start, dtype=torch.int32)
    flat.scatter_add_(1, start.mul_(width).add_(below), ones)
    flat.scatter_add_(1, stop.mul_(width).add_(below), ones.neg_())
    return flat.view(n_users, n_bands + 1, width)[:, :n_bands].cumsum(dim=1).to(torch.int16)
