"""Candidate tables: the per-user columns a ranking policy reads, in relevance order, as float32 torch tensors.

A table is built once per score table (stage data) and re-ranked for every candidate of the search.
Its columns are each user's items sorted by relevance rank (seen items last when masking; ties by
item id), so a tie in any policy's score is broken by column position, i.e. by relevance rank and
then by item id. Everything a policy combines is precomputed once, elementwise, in float32:

    rel_ui = r_ui - max_j r_uj                  (satisfaction logit, max-shifted)
    lb_ui  = log max(b_ui, 1e-12)               (log model P(buy))
    lq_ui  = lb_ui + 2 log price_i              (log P(buy) x price^2)

so that the revenue score at price exponent alpha in [0, 2] is the convex mix
(1 - alpha/2) lb + (alpha/2) lq = log(b p^alpha), a rounding-monotone function of (lb, lq).

A dense table holds every item. A pruned table (`ranking.prune`) holds only the items that can
reach some candidate's top-K. Either way the revenue score is normalised by max_j b_uj p_j^alpha over
*all* items, taken over each user's (lb, lq) skyline (`norm_lb`, `norm_lq`), which attains that max
for every alpha; so pruned and dense tables give identical lists.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cached_property

import numpy as np
import torch

from morec_pareto.types import StageData

_NOWHERE = torch.iinfo(torch.int32).max  # pool rank of a column that may never enter a list


@dataclass(frozen=True)
class CandidateTable:
    """Per-user columns (U, S) in relevance-rank order, and each user's revenue normalisers (U, H)."""

    item: torch.Tensor  # (U, S) int64 item id of each column
    pool_rank: torch.Tensor  # (U, S) int32 relevance rank of an allowed column (in a pool of n iff < n); int32 max if not allowed
    rel: torch.Tensor  # (U, S) float32 r - max r
    lb: torch.Tensor  # (U, S) float32 log P(buy)
    lq: torch.Tensor  # (U, S) float32 log P(buy) + 2 log price
    norm_lb: torch.Tensor  # (U, H) float32 lb of the items on the user's (lb, lq) skyline over all items
    norm_lq: torch.Tensor  # (U, H) float32 their lq (padding repeats a skyline point)
    n_items: int  # items of the whole catalogue (the candidate pool is a share of it)
    pruned: bool

    @property
    def allowed(self) -> torch.Tensor:
        """(U, S) bool: the column may enter a list (unseen when masking; not filler)."""
        return self.pool_rank < _NOWHERE

    @property
    def n_users(self) -> int:
        return self.item.shape[0]

    @property
    def width(self) -> int:
        return self.item.shape[1]

    def rows(self, sl: slice) -> CandidateTable:
        """The table of a slice of users."""
        return replace(self, **{name: getattr(self, name)[sl] for name in _USER_FIELDS})

    def head(self, width: int) -> CandidateTable:
        """The first `width` columns (the most relevant ones): every column a pool of that size can reach."""
        return replace(self, **{name: getattr(self, name)[:, :width] for name in _COLUMN_FIELDS})

    def pool_width(self, n_pool: int) -> int:
        """Columns to keep so that every user's pool of the n_pool most relevant allowed items is inside."""
        return max(1, int(np.searchsorted(self._pool_rank_suffix_min, n_pool, side="left")))

    @cached_property
    def _pool_rank_suffix_min(self) -> np.ndarray:
        """(S,) the least pool rank of any user at this column or right of it: non-decreasing, so the
        columns before the first entry >= n hold every pool rank < n (read once per table)."""
        if self.n_users == 0:
            return np.full(self.width, _NOWHERE)
        least = self.pool_rank.min(dim=0).values.flip(0).cummin(dim=0).values.flip(0)
        return least.cpu().numpy()

    def log_revenue(self, alpha: torch.Tensor) -> torch.Tensor:
        """log(b p^alpha) (P, U, S) for price exponents alpha (P,) in [0, 2], monotone in (lb, lq)."""
        return _mix(self.lb, self.lq, alpha)

    def log_revenue_max(self, alpha: torch.Tensor) -> torch.Tensor:
        """max_j log(b_uj p_j^alpha) over all items (P, U, 1), the same float as the max over every column."""
        return _mix(self.norm_lb, self.norm_lq, alpha).amax(dim=2, keepdim=True)


_COLUMN_FIELDS = ("item", "pool_rank", "rel", "lb", "lq")
_USER_FIELDS = (*_COLUMN_FIELDS, "norm_lb", "norm_lq")


def _mix(lb: torch.Tensor, lq: torch.Tensor, alpha: torch.Tensor) -> torch.Tensor:
    """(1 - alpha/2) lb + (alpha/2) lq, (P, U, n): rounding never reverses the order of dominated points."""
    half = (alpha / 2.0)[:, None, None]
    out = lb[None] * (1.0 - half)
    return out.add_(lq[None] * half)


def item_columns(data: StageData, mask_seen: bool, device: torch.device | str = "cpu") -> dict[str, torch.Tensor]:
    """Every item of every user as (U, I) tensors in relevance-rank order: item, allowed, rel, lb, lq."""
    relevance = torch.as_tensor(np.ascontiguousarray(data.relevance), dtype=torch.float32, device=device)
    seen = torch.as_tensor(np.ascontiguousarray(data.seen), device=device)
    rank_key = relevance.masked_fill(seen, float("-inf")) if mask_seen else relevance
    order = torch.sort(rank_key, dim=1, descending=True, stable=True).indices  # (U, I), ties by item id
    rel = relevance - relevance.max(dim=1, keepdim=True).values
    purchase = torch.as_tensor(np.ascontiguousarray(data.purchase), dtype=torch.float32, device=device)
    lb = torch.log(purchase.clamp_min(1e-12))
    log_price = torch.as_tensor(np.log(data.price), dtype=torch.float32, device=device)
    lq = lb + 2.0 * log_price[None]
    allowed = ~seen if mask_seen else torch.ones_like(seen)
    return {"item": order, "allowed": allowed.gather(1, order), "rel": rel.gather(1, order),
            "lb": lb.gather(1, order), "lq": lq.gather(1, order)}


def skyline_2d(lb: torch.Tensor, lq: torch.Tensor) -> torch.Tensor:
    """(U, I) bool: one item per point of each user's (lb, lq) skyline over all items.

    max_j (1 - a/2) lb_j + (a/2) lq_j over all items equals the max over these, for every a in [0, 2].
    """
    by_lq = torch.sort(lq, dim=1, descending=True, stable=True).indices
    by_lb = torch.sort(lb.gather(1, by_lq), dim=1, descending=True, stable=True).indices
    order = by_lq.gather(1, by_lb)  # lb descending, ties by lq descending
    lq_sorted = lq.gather(1, order)
    best_before = torch.cummax(lq_sorted, dim=1).values
    keep = torch.ones_like(lq_sorted, dtype=torch.bool)
    keep[:, 1:] = lq_sorted[:, 1:] > best_before[:, :-1]
    out = torch.zeros_like(keep)
    out.scatter_(1, order, keep)
    return out


def pack(keep: torch.Tensor, *columns: torch.Tensor) -> tuple[torch.Tensor, ...]:
    """Move each row's kept entries to the left (order kept), cut to the widest row; returns keep first.

    Entries right of a row's kept ones are the row's next unkept entries (the caller masks them).
    """
    width = max(1, int(keep.sum(dim=1).max().item()))
    idx = torch.sort((~keep).to(torch.int8), dim=1, stable=True).indices[:, :width]
    return (keep.gather(1, idx), *(c.gather(1, idx) for c in columns))


def make_table(cols: dict[str, torch.Tensor], keep: torch.Tensor | None, n_items: int) -> CandidateTable:
    """A table of the `keep` columns (all when None) of item columns, with the users' revenue normalisers."""
    on_skyline = skyline_2d(cols["lb"], cols["lq"])
    filled, norm_lb, norm_lq = pack(on_skyline, cols["lb"], cols["lq"])
    # Pad the normalisers with the user's first skyline point: a repeat never changes a max.
    norm_lb = torch.where(filled, norm_lb, norm_lb[:, :1])
    norm_lq = torch.where(filled, norm_lq, norm_lq[:, :1])
    rank = torch.arange(cols["item"].shape[1], device=cols["item"].device, dtype=torch.int32).expand_as(cols["item"])
    pool_rank = rank.masked_fill(~cols["allowed"], _NOWHERE)
    item, rel, lb, lq = cols["item"], cols["rel"], cols["lb"], cols["lq"]
    if keep is not None:
        kept, item, pool_rank, rel, lb, lq = pack(keep, item, pool_rank, rel, lb, lq)
        pool_rank = pool_rank.masked_fill(~kept, _NOWHERE)
    return CandidateTable(item, pool_rank.contiguous(), rel, lb, lq, norm_lb, norm_lq, n_items, keep is not None)


def dense_table(data: StageData, mask_seen: bool, device: torch.device | str = "cpu") -> CandidateTable:
    """A table holding every item of every user (no pruning)."""
    return make_table(item_columns(data, mask_seen, device), None, data.n_items)


def concat_tables(parts: list[CandidateTable]) -> CandidateTable:
    """Stack tables of consecutive user chunks, widening narrower ones with not-allowed filler columns."""
    def widen(x: torch.Tensor, width: int, fill=None) -> torch.Tensor:
        if x.shape[1] == width:
            return x
        extra = x[:, :1].expand(-1, width - x.shape[1])  # a repeat never changes a user's max
        return torch.cat([x, extra if fill is None else torch.full_like(extra, fill)], dim=1)

    width = max(p.width for p in parts)
    n_norm = max(p.norm_lb.shape[1] for p in parts)
    fields = {name: torch.cat([widen(getattr(p, name), width, _NOWHERE if name == "pool_rank" else None)
                               for p in parts]) for name in _COLUMN_FIELDS}
    for name in ("norm_lb", "norm_lq"):
        fields[name] = torch.cat([widen(getattr(p, name), n_norm) for p in parts])
    return CandidateTable(**fields, n_items=parts[0].n_items, pruned=parts[0].pruned)
