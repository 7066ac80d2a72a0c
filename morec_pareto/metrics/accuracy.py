"""Full-ranking accuracy of one held-out item per user (RecBole's protocol for sequential models)."""
from __future__ import annotations

import numpy as np


def target_ranks(scores: np.ndarray, targets: np.ndarray, seen: np.ndarray | None = None) -> np.ndarray:
    """0-based rank of each user's target among all items, shape (U,).

    rank_u = #{i : s_ui > s_ut} + #{i : s_ui = s_ut, i < t}  (a stable, deterministic tie break by id).
    A non-finite score (NaN, +inf, -inf) ranks below every finite one, non-finite items tied among
    themselves by id; so a NaN target is a low rank, never a hit by accident.
    With `seen` (U, I), the user's earlier items are removed from the ranking (RecBole's masked protocol:
    history items get -inf). A target that is itself an earlier item is masked like the others, so it is
    a miss: its rank is n_items, beyond any K, and the user still counts in the mean.
    """
    rows = np.arange(len(targets))
    key = np.where(np.isfinite(scores), scores, -np.inf)  # (U, I); all non-finite tie at -inf
    target_key = key[rows, targets][:, None]
    above = key > target_key
    ties = (key == target_key) & (np.arange(key.shape[1])[None, :] < targets[:, None])
    beats = above | ties
    if seen is None:
        return beats.sum(axis=1)
    ranks = (beats & ~seen).sum(axis=1)
    return np.where(seen[rows, targets], key.shape[1], ranks)


def ranking_metrics(ranks: np.ndarray, ks: tuple[int, ...] = (10, 20)) -> dict[str, float]:
    """NDCG@K, Hit@K (= Recall@K with one target) and MRR@K from 0-based target ranks.

    NDCG@K = mean 1/log2(rank + 2) if rank < K else 0;  Hit@K = mean [rank < K];
    MRR@K = mean 1/(rank + 1) if rank < K else 0.
    """
    out: dict[str, float] = {}
    for k in ks:
        hit = ranks < k
        out[f"ndcg@{k}"] = float(np.mean(np.where(hit, 1.0 / np.log2(ranks + 2.0), 0.0)))
        out[f"hit@{k}"] = float(np.mean(hit))
        out[f"recall@{k}"] = out[f"hit@{k}"]
        out[f"mrr@{k}"] = float(np.mean(np.where(hit, 1.0 / (ranks + 1.0), 0.0)))
    return out
