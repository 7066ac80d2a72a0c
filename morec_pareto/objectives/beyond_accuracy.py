"""Beyond-accuracy objectives of a list: novelty (per item) and intra-list diversity (per list). Both maximised."""
from __future__ import annotations

import numpy as np

from morec_pareto.types import StageData


def item_novelty(popularity: np.ndarray) -> np.ndarray:
    """-log2 of each item's share of training events, with add-one smoothing: (I,) bits, rarer = higher.

    novelty_i = -log2((count_i + 1) / (sum_j count_j + I))
    """
    counts = np.asarray(popularity, dtype=np.float64)
    return -np.log2((counts + 1.0) / (counts.sum() + len(counts)))


def novelty_scores(data: StageData) -> np.ndarray:
    """Each item's novelty (`item_novelty`, bits, > 0) from the stage's training counts: (I,)."""
    if data.item_popularity is None:
        raise ValueError("objective 'novelty' needs item training counts (StageData.item_popularity)")
    return item_novelty(data.item_popularity)


def novelty(lists: np.ndarray, data: StageData) -> np.ndarray:
    """Per user: mean novelty (`item_novelty`, bits) of the K listed items."""
    return novelty_scores(data)[lists].mean(axis=2)


def category_groups(data: StageData) -> np.ndarray:
    """Each item's category (I,), the groups `diversity` counts pairs across."""
    if data.item_category is None:
        raise ValueError("objective 'diversity' needs item categories (StageData.item_category)")
    return np.asarray(data.item_category)


def diversity(lists: np.ndarray, data: StageData) -> np.ndarray:
    """Per user: intra-list diversity by category, the share of the K(K-1)/2 list pairs in different categories.

    diversity_u = (2 / (K (K - 1))) * sum_{a < b} [category(i_a) != category(i_b)]; 0 for K = 1.
    """
    k = lists.shape[2]
    if k < 2:
        return np.zeros(lists.shape[:2])
    cats = category_groups(data)[lists]  # (P, U, K)
    different = cats[..., :, None] != cats[..., None, :]  # (P, U, K, K), symmetric, zero diagonal
    return different.sum(axis=(2, 3)) / (k * (k - 1))
