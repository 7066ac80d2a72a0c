"""A learned repeat-consumption term: how a user's earlier events with an item shift its logits."""
from __future__ import annotations

import torch
from torch import nn


def history_depths(items: torch.Tensor, behaviours: torch.Tensor, n_items: int, every_prefix: bool = False) -> torch.Tensor:
    """Deepest behaviour each item reached in a padded sequence, as 0 (absent) or 1 + behaviour.

    `items` (B, L) holds 1-based ids with 0 as padding, `behaviours` (B, L) their behaviour types.
    Returns uint8 (B, I) depths over items 1..I, or with `every_prefix` (B, L, I): the depths of the
    prefix ending at each position (what all-position training needs).
    """
    B, L = items.shape
    depth = torch.where(items > 0, behaviours + 1, torch.zeros_like(behaviours)).to(torch.uint8)
    if not every_prefix:
        out = torch.zeros(B, n_items + 1, dtype=torch.uint8, device=items.device)
        out.scatter_reduce_(1, items, depth, reduce="amax")
        return out[:, 1:]
    out = torch.zeros(B, L, n_items + 1, dtype=torch.uint8, device=items.device)
    out.scatter_(2, items[..., None], depth[..., None])
    for t in range(1, L):  # a running max over positions; ~40x faster than torch.cummax on CPU here
        torch.maximum(out[:, t], out[:, t - 1], out=out[:, t])
    return out[..., 1:]


class RepeatBias(nn.Module):
    """Logit offsets (one per head) for an item already in the user's sequence, by its deepest behaviour.

    Data decide the sign: on rating logs (MovieLens) nobody rates a film twice and the term learns a
    large negative offset; in a shop funnel (view -> click -> cart -> purchase of one item) it learns a
    positive one. It starts at 0, so a model begins as if the term were absent.
    """

    def __init__(self, n_behaviours: int, n_heads: int = 2) -> None:
        super().__init__()
        # row 0 = not in the sequence; as padding_idx it gets no gradient and stays exactly 0
        self.offset = nn.Embedding(n_behaviours + 1, n_heads, padding_idx=0)
        nn.init.zeros_(self.offset.weight)

    # A handful of scalars shared by every pair: stored /10 so that Adam's per-step move (about lr)
    # is 10 lr for them, or they would need thousands of steps to reach offsets of a few logits.
    scale = 10.0

    def forward(self, depths: torch.Tensor) -> torch.Tensor:
        """Offsets (..., n_heads) for depths (...) from `history_depths`."""
        return self.scale * self.offset(depths.long())

    def add_to(self, logits: torch.Tensor, depths: torch.Tensor, head: int | None = None) -> torch.Tensor:
        """`logits` with the offsets added where an item is in the sequence.

        `depths` (...) gives each logit's depth; `logits` is (..., n_heads), or (...) for one `head`.
        Only the few repeated items are touched: a dense gather over every (position, item) pair
        costs more in its backward pass than the rest of a training step.
        """
        where = torch.nonzero(depths, as_tuple=True)
        weight = self.scale * self.offset.weight
        rows = depths[where].long()
        values = weight[rows] if head is None else weight[rows, head]
        return logits.index_put(where, values.to(logits.dtype), accumulate=True)  # bf16 logits under autocast
