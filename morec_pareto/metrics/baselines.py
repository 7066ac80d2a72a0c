"""Reference rankings that any trained model must beat."""
from __future__ import annotations

import numpy as np

from morec_pareto.data.split import item_counts
from morec_pareto.types import Split


def popularity_scores(split: Split, stage: str, users: np.ndarray | None = None) -> np.ndarray:
    """Score (U, I) = how often each item occurs in the train part of all users' sequences (same for every user)."""
    counts = item_counts(split).astype(np.float64)
    n_users = split.sequences.n_users if users is None else len(users)
    return np.broadcast_to(counts, (n_users, len(counts)))


def history_scores(split: Split, stage: str, users: np.ndarray | None = None) -> np.ndarray:
    """Score (U, I) = the user's own history at `stage`, most frequent first, then most recent.

    s_ui = count_ui + (last_ui + 1) / (n_u + 1) for items in the history (count_ui occurrences, the latest
    at 0-based position last_ui of n_u history events), 0 for every other item; the fraction is in (0, 1), so
    frequency decides and recency only breaks its ties. Items outside the history tie and keep id order.
    Under the masked protocol this baseline is void by construction: every item it scores is masked, and what
    is left is ranked by id.
    """
    seqs = split.sequences
    users = np.arange(seqs.n_users) if users is None else np.asarray(users)
    n_items = split.data.n_items
    n_hist = split.n_history(stage)[users]
    rows = np.repeat(np.arange(len(users)), n_hist)  # (H,) one row per history event
    position = np.arange(n_hist.sum()) - np.repeat(np.cumsum(n_hist) - n_hist, n_hist)  # (H,) 0-based in the user
    cells = rows * n_items + seqs.items[np.repeat(seqs.offsets[users], n_hist) + position]
    counts = np.bincount(cells, minlength=len(users) * n_items).astype(np.float64)
    recency = np.zeros(len(users) * n_items)
    np.maximum.at(recency, cells, (position + 1) / (n_hist[rows] + 1))
    return (counts + recency).reshape(len(users), n_items)
