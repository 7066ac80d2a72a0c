"""Maximal marginal relevance re-ranking: a scored policy's pool, picked greedily to spread item groups.

Carbonell & Goldstein (SIGIR 1998). With base scores s_i (the policy's, -inf outside its pool) and items
similar when they share a group (e.g. a category), step t of K picks

    argmax_i  (1 - lambda) s_i - lambda max_{c chosen before t} [group_i == group_c]

over the pool's items not yet chosen (ties by column, i.e. relevance rank, then item id). lambda = 0 is
the base policy's list exactly; lambda = 1 takes the most relevant item of a new group while one is left.
The score of an item depends on the items chosen before it, so the policy is not `prunable` (dense table).
"""
from __future__ import annotations

import numpy as np
import torch

from morec_pareto.ranking.policies import RankingPolicy, ScoredPolicy, Variable
from morec_pareto.ranking.table import CandidateTable

_OUTSIDE = torch.finfo(torch.float32).min  # columns outside the pool: after every pool item, before chosen ones


def mmr_columns(scores: torch.Tensor, group: torch.Tensor, lam: torch.Tensor, k: int) -> torch.Tensor:
    """Columns (P, U, k) picked by MMR, best first.

    Args:
        scores: (P, U, S) float32 base scores, -inf where not allowed.
        group: (U, S) int64 group of each column's item.
        lam: (P, 1, 1) float32 trade-off lambda in [0, 1].
        k: list length (<= S).
    """
    allowed = scores > float("-inf")
    base = torch.where(allowed, scores * (1.0 - lam), torch.zeros((), device=scores.device))
    covered = torch.zeros_like(allowed)  # (P, U, S): the column's group is in the list already
    taken = torch.zeros_like(allowed)
    groups = group[None].expand(scores.shape[0], -1, -1)
    out = torch.empty(scores.shape[:2] + (k,), dtype=torch.int64, device=scores.device)
    for t in range(k):
        value = torch.where(allowed, base - lam * covered, _OUTSIDE).masked_fill_(taken, float("-inf"))
        col = value.argmax(dim=2, keepdim=True)  # (P, U, 1): the first maximum, i.e. the lowest column
        out[..., t : t + 1] = col
        taken.scatter_(2, col, True)
        covered |= groups == groups.gather(2, col)
    return out


class MMRPolicy(RankingPolicy):
    """A scored policy whose lists are re-ranked by MMR over item groups; adds the variable `mmr_lambda`."""

    prunable = False  # an item's score depends on the items chosen before it

    def __init__(self, base: ScoredPolicy, groups: np.ndarray) -> None:
        super().__init__(base.k, base.mask_seen)
        self.base, self.groups = base, np.asarray(groups, dtype=np.int64)
        self.variables = (*base.variables, Variable("mmr_lambda", 0.0, 1.0, 0.0))
        self.memory_factor = base.memory_factor + 4

    def _top_columns(self, X: np.ndarray, table: CandidateTable) -> torch.Tensor:
        scores = self.base._scores(X[:, :-1], table)  # the base's variables come first, in its order
        group = torch.as_tensor(self.groups, device=table.item.device)[table.item]
        return mmr_columns(scores, group, self._param(X, "mmr_lambda", table), min(self.k, table.width))
