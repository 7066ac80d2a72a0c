"""Full-ranking accuracy of one held-out item per user (RecBole's protocol for sequential models)."""
from __future__ import annotations

import numpy as np


def target_ranks(scores: np.ndarray, targets: np.ndarray, seen: np.ndarray | None = None) -> np.ndarray:
    """0-based rank of each user's target among all items, shape (U,).

    rank = #items scoring higher + #items scoring equal with a smaller id (a stable, deterministic tie
    break). With `seen`, the user's earlier items are removed from the ranking (the target never is).
    """
    rows = np.arange(len(targets))
    target_score = scores[rows, targets][:, None]
    above = scores > target_score
    ties = (scores == target_score) & (np.arange(scores.shape[1])[None, :] < targets[:, None])
    beats = above | ties
    if seen is not None:
        beats &= ~seen
    return beats.sum(axis=1)


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
