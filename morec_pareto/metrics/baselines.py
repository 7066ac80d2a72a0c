"""Reference rankings that any trained model must beat."""
from __future__ import annotations

import numpy as np

from morec_pareto.types import Split


def popularity_scores(split: Split, stage: str, users: np.ndarray | None = None) -> np.ndarray:
    """Score (U, I) = how often each item occurs in the train part of all users' sequences (same for every user)."""
    seqs = split.sequences
    n_train = split.n_history("train")
    in_train = np.arange(len(seqs.items)) - np.repeat(seqs.offsets[:-1], seqs.lengths) < np.repeat(n_train, seqs.lengths)
    counts = np.bincount(seqs.items[in_train], minlength=split.data.n_items).astype(np.float64)
    n_users = seqs.n_users if users is None else len(users)
    return np.broadcast_to(counts, (n_users, len(counts)))
