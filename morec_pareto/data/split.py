"""Chronological per-user leave-one-out split and padded history sequences."""
from __future__ import annotations

import numpy as np

from morec_pareto.types import Interactions, Sequences, Split

MIN_EVENTS = 3  # leave-one-out needs one train, one validation and one test event


def to_sequences(data: Interactions) -> Sequences:
    """Order every user's events by time; equal timestamps keep their order in the log."""
    order = np.lexsort((np.arange(data.n_events), data.timestamp, data.user))
    counts = np.bincount(data.user, minlength=data.n_users)
    offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    return Sequences(items=data.item[order], behaviours=data.behaviour[order], offsets=offsets)


def leave_one_out(data: Interactions) -> Split:
    """Split every user's sequence: last event test, the one before validation, the rest train.

    Raises:
        ValueError: when a user has fewer than 3 events (readers drop such users beforehand).
    """
    sequences = to_sequences(data)
    short = np.flatnonzero(sequences.lengths < MIN_EVENTS)
    if len(short):
        raise ValueError(
            f"{data.name}: {len(short)} users have fewer than {MIN_EVENTS} events (e.g. user {short[0]}); "
            "drop them before splitting"
        )
    return Split(data=data, sequences=sequences)


def padded_history(split: Split, stage: str, max_len: int, users: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Last `max_len` events of each user's history at `stage`, left-padded.

    Items are shifted by +1 so that 0 is padding. Returns (items, behaviours), each (U, max_len).
    """
    if max_len < 1:
        raise ValueError(f"data.max_len must be >= 1, got {max_len}")
    seqs = split.sequences
    users = np.arange(seqs.n_users) if users is None else np.asarray(users)
    ends = seqs.offsets[users] + split.n_history(stage)[users]  # exclusive
    starts = np.maximum(seqs.offsets[users], ends - max_len)
    cols = np.arange(max_len)[None, :]
    idx = ends[:, None] - max_len + cols  # (U, L) positions into the event arrays
    valid = idx >= starts[:, None]
    idx = np.where(valid, idx, 0)
    items = np.where(valid, seqs.items[idx] + 1, 0)
    behaviours = np.where(valid, seqs.behaviours[idx], 0).astype(np.int64)
    return items.astype(np.int64), behaviours


def seen_matrix(split: Split, stage: str, users: np.ndarray | None = None) -> np.ndarray:
    """Boolean (U, I) matrix of items in each user's history at `stage`."""
    seqs = split.sequences
    users = np.arange(seqs.n_users) if users is None else np.asarray(users)
    seen = np.zeros((len(users), split.data.n_items), dtype=bool)
    n_hist = split.n_history(stage)[users]
    rows = np.repeat(np.arange(len(users)), n_hist)
    pos = np.repeat(seqs.offsets[users], n_hist) + (np.arange(n_hist.sum()) - np.repeat(np.cumsum(n_hist) - n_hist, n_hist))
    seen[rows, seqs.items[pos]] = True
    return seen


def training_windows(split: Split, max_len: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cut every user's train part into windows of `max_len + 1` events for all-position training.

    Windows are taken from the end backwards so the most recent events are always complete; each
    window yields inputs (events 0..L-1) and next-item targets (events 1..L). Returns
    (user, items, behaviours) with items shifted by +1 and 0 as left padding, shapes (W,), (W, L+1), (W, L+1).
    """
    seqs = split.sequences
    n_train = split.n_history("train")
    width = max_len + 1
    n_windows = np.maximum(1, np.ceil((n_train - 1) / max_len).astype(np.int64))
    user = np.repeat(np.arange(seqs.n_users), n_windows)
    k = np.arange(n_windows.sum()) - np.repeat(np.cumsum(n_windows) - n_windows, n_windows)
    ends = seqs.offsets[user] + n_train[user] - k * max_len  # exclusive end of each window
    starts = seqs.offsets[user]
    idx = ends[:, None] - width + np.arange(width)[None, :]
    valid = idx >= starts[:, None]
    idx = np.where(valid, idx, 0)
    items = np.where(valid, seqs.items[idx] + 1, 0).astype(np.int64)
    behaviours = np.where(valid, seqs.behaviours[idx], 0).astype(np.int64)
    return user, items, behaviours


def repeat_rate(split: Split, stage: str = "valid") -> float:
    """Share of users whose `stage` target is an item already in their history at that stage.

    repeat_rate = mean_u [target_u in history_u]; near 0 on rating data (nobody rates a film twice), high in
    shop logs where users come back to items. Above `objectives.repeat_threshold` masking seen items hides
    many true targets, so the search does not mask them by default.
    """
    seqs = split.sequences
    user = np.repeat(np.arange(seqs.n_users), seqs.lengths)  # (E,) owner of each event
    position = np.arange(len(seqs.items)) - seqs.offsets[user]  # (E,) 0-based in the user's sequence
    repeat = (position < split.n_history(stage)[user]) & (seqs.items == split.targets(stage)[user])
    return float(np.bincount(user[repeat], minlength=seqs.n_users).astype(bool).mean())


def item_counts(split: Split) -> np.ndarray:
    """(I,) int64 training events of each item (the train part of every user's sequence): its popularity."""
    return np.bincount(split.sequences.items[train_events(split)], minlength=split.data.n_items)


def train_events(split: Split) -> np.ndarray:
    """(E,) bool: which events of `split.sequences` lie in their user's train part (before validation)."""
    seqs = split.sequences
    owner = np.repeat(np.arange(seqs.n_users), seqs.lengths)
    return np.arange(len(seqs.items)) - seqs.offsets[owner] < split.n_history("train")[owner]
