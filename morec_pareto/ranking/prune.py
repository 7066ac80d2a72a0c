"""Exact pruning of a score table: keep, per user, only the items some candidate can put in its top-K.

Every ranking policy here scores item i by a function that never decreases in (rel_i, lb_i, lq_i)
(see `ranking.table`) and breaks ties by relevance rank. So item j beats item i for *every* value of
the decision variables when j is allowed, ranks above i, lb_j >= lb_i and lq_j >= lq_i ("j dominates
i"); the relevance-rank condition also puts j in every candidate pool that holds i. An item with at
least K dominators can never enter a top-K list: only each user's K-skyband (items with fewer than K
dominators) needs to be scored. Ties are exact: the test is on the stored float32 values and the
position order, the same values and order the policies rank by, so pruned and dense lists are identical.

Counting dominators among all I items is O(I^2) per user, so items are swept in rank order, a block
at a time, against a small buffer: the 2-D K-skyband of (lb, lq) of the items swept so far (each item
there has fewer than K items of the swept set at least as good in both, exact duplicates ordered by
rank). An earlier item outside the buffer has K dominators inside it (by induction over that order),
and they dominate every later item it dominates, so counting in the buffer and the block decides
exactly. The buffer holds about K log I items, so the sweep costs O(I (K log I + block)) per user,
vectorised over users (and runs on the GPU as it is). On the CPU a compiled loop does the same count
per user, stopping at an item's K-th dominator (`ranking.skyband_cpu`, about ten times faster).
"""
from __future__ import annotations

import torch

from morec_pareto.ranking.table import CandidateTable, concat_tables, item_columns, make_table, pack
from morec_pareto.types import StageData


def _count(mask: torch.Tensor) -> torch.Tensor:
    """Sum a (U, R, N) bool mask over R (the dominators) as int16: the fast reduction on the CPU."""
    return mask.view(torch.uint8).sum(dim=1, dtype=torch.int16)


def _at_least(ref_lb: torch.Tensor, ref_lq: torch.Tensor, lb: torch.Tensor, lq: torch.Tensor) -> torch.Tensor:
    """(U, R, N) bool: reference item r is at least as good as item n in both lb and lq."""
    mask = torch.ge(ref_lb[:, :, None], lb[:, None, :])
    return mask.logical_and_(torch.ge(ref_lq[:, :, None], lq[:, None, :]))


def _count_dominators(pos: torch.Tensor, lb: torch.Tensor, lq: torch.Tensor, ref_pos: torch.Tensor,
                      ref_lb: torch.Tensor, ref_lq: torch.Tensor, ref_ok: torch.Tensor) -> torch.Tensor:
    """Per item (U, N): how many reference items (U, R) dominate it (rank above, lb and lq at least as high)."""
    mask = _at_least(ref_lb, ref_lq, lb, lq)
    mask &= ref_pos[:, :, None] < pos[:, None, :]
    mask &= ref_ok[:, :, None]
    return _count(mask)


def _skyband_2d(pos: torch.Tensor, lb: torch.Tensor, lq: torch.Tensor, ok: torch.Tensor, k: int) -> torch.Tensor:
    """(U, N) bool: items with fewer than k others at least as good in (lb, lq) (equal points: lower pos first)."""
    mask = _at_least(lb, lq, lb, lq)  # (U, R = N, N)
    mask &= ok[:, :, None]
    strictly = (lb[:, :, None] > lb[:, None, :]) | (lq[:, :, None] > lq[:, None, :]) | (pos[:, :, None] < pos[:, None, :])
    mask &= strictly
    return ok & (_count(mask) < k)


def _survivors(cols: dict[str, torch.Tensor], k: int) -> torch.Tensor:
    """(U, I) bool: allowed items with fewer than k dominators (the K-skyband) of a chunk of users' columns.

    On the CPU a compiled per-user loop (`ranking.skyband_cpu`), elsewhere the vectorised sweep below:
    the same survivors.
    """
    if cols["lb"].device.type == "cpu":
        from morec_pareto.ranking.skyband_cpu import survivors_cpu  # numba compiles on first use

        return survivors_cpu(cols["allowed"], cols["lb"], cols["lq"], k)
    return _survivors_sweep(cols, k)


def _survivors_sweep(cols: dict[str, torch.Tensor], k: int, block: int = 64) -> torch.Tensor:
    """`_survivors` vectorised over users, a block of items at a time against a buffer (for GPUs)."""
    allowed, lb, lq = cols["allowed"], cols["lb"], cols["lq"]
    n_users, n = allowed.shape
    device = allowed.device
    pos = torch.arange(n, device=device).expand(n_users, n)
    survive = torch.zeros_like(allowed)
    # Buffer padding is (-inf, -inf): it dominates nothing, so buffer counts need no validity mask.
    buf_pos, buf_lb, buf_lq = pos[:, :0], lb[:, :0], lq[:, :0]
    pruned_width = 0
    for start in range(0, n, block):
        sl = slice(start, start + block)
        b_pos, b_lb, b_lq, b_ok = pos[:, sl], lb[:, sl], lq[:, sl], allowed[:, sl]
        count = _count(_at_least(buf_lb, buf_lq, b_lb, b_lq))
        count += _count_dominators(b_pos, b_lb, b_lq, b_pos, b_lb, b_lq, b_ok)  # earlier items of the block
        new = b_ok & (count < k)
        survive[:, sl] = new
        if not bool(new.any()):
            continue
        # A pruned item is outside the 2-D skyband of the swept items, so only survivors join the buffer.
        _, n_pos, n_lb, n_lq = pack(new, b_pos, b_lb.masked_fill(~new, float("-inf")), b_lq.masked_fill(~new, float("-inf")))
        buf_pos, buf_lb, buf_lq = torch.cat([buf_pos, n_pos], 1), torch.cat([buf_lb, n_lb], 1), torch.cat([buf_lq, n_lq], 1)
        if buf_pos.shape[1] > max(2 * pruned_width, 4 * k):  # re-prune the buffer to the 2-D K-skyband now and then
            buf_ok = buf_lb > float("-inf")
            keep, buf_pos, buf_lb, buf_lq = pack(_skyband_2d(buf_pos, buf_lb, buf_lq, buf_ok, k), buf_pos, buf_lb, buf_lq)
            buf_lb, buf_lq = buf_lb.masked_fill(~keep, float("-inf")), buf_lq.masked_fill(~keep, float("-inf"))
            pruned_width = buf_pos.shape[1]
    return survive


def pruned_table(data: StageData, k: int, mask_seen: bool, device: torch.device | str = "cpu",
                 max_elements: int = 2**24) -> CandidateTable:
    """The table of each user's K-skyband (see module doc); revenue normalisers come from all items."""
    users_per_chunk = max(1, min(data.n_users, 16 * max_elements // max(1, data.n_items * 32)))
    parts = []
    for start in range(0, data.n_users, users_per_chunk):
        cols = item_columns(data.rows(slice(start, start + users_per_chunk)), mask_seen, device)
        parts.append(make_table(cols, _survivors(cols, k), data.n_items))
    return concat_tables(parts)


def survivor_share(table: CandidateTable) -> float:
    """Allowed columns per user over catalogue size, averaged over users (how much pruning saves)."""
    return float(table.allowed.sum(dim=1).double().mean().item() / max(1, table.n_items))
