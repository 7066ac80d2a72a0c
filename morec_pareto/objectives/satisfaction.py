"""Satisfaction objectives: NDCG of the held-out item, recall, and oracle NDCG of true click probability."""
from __future__ import annotations

import numpy as np

from morec_pareto.objectives.listed import listed
from morec_pareto.types import StageData


def _discounts(k: int) -> np.ndarray:
    return 1.0 / np.log2(np.arange(k) + 2.0)


def ndcg(lists: np.ndarray, data: StageData) -> np.ndarray:
    """Per user: NDCG@K of the single held-out item: 1/log2(pos + 2) if it is in the list at pos."""
    hits = lists == data.targets[None, :, None]  # (P, U, K)
    return (hits * _discounts(lists.shape[2])).sum(axis=2)


def recall(lists: np.ndarray, data: StageData) -> np.ndarray:
    """Per user: Recall@K (= Hit@K with one held-out item)."""
    return (lists == data.targets[None, :, None]).any(axis=2).astype(float)


def oracle_ndcg(lists: np.ndarray, data: StageData) -> np.ndarray:
    """Per user: DCG@K of the true click probabilities over the ideal DCG@K.

    oracle_ndcg_u = sum_k P(click|u, i_k)/log2(k+2) / the same for the K items of highest P(click).
    """
    if data.true_click is None:
        raise ValueError("objective 'oracle_ndcg' needs ground truth, which only synthetic data has")
    k = lists.shape[2]
    gains = listed(data.true_click, lists)  # (P, U, K)
    dcg = (gains * _discounts(k)).sum(axis=2)
    best = np.sort(np.partition(data.true_click, -k, axis=1)[:, -k:], axis=1)[:, ::-1]  # (U, K) ideal gains
    idcg = (best * _discounts(k)).sum(axis=1)
    return dcg / np.maximum(idcg, 1e-12)[None]
