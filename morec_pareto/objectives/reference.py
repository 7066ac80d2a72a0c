"""A data set's hypervolume reference point, fixed before any run: objective values of model-free rankings.

Reference point (`data.reference_point: popularity`): the validation objectives of the popularity
ranking (top-K by training popularity, seen items masked as the search masks them). A front point
adds hypervolume only where it beats that list in every objective, the floor any recommender must
clear. Objectives that read the model's own scores (`reads_model`, e.g. expected revenue from the
purchase head) have no model-free value; their floor is their worst value, 0.

Normalisation (`normalised_hypervolume`): f' = (f - reference) / (ideal - reference), where the ideal
of each objective is its best attainable value where one is known (NDCG: 1), else the best value of
three anchor lists: popularity, the satisfaction anchor (top-K
by true P(click) on synthetic data, else popularity) and the revenue anchor (top-K by price x true
P(buy), else price x the item's smoothed training purchase rate). Model-read objectives are
evaluated on these lists with the same stand-ins for the model's scores.

Both points are computed once per data set, objectives, K and masking, and cached as JSON under the
cache folder keyed by a hash of the event log, so every run on that data set shares them.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np

from morec_pareto.data.readers.cache import default_cache_dir
from morec_pareto.data.split import item_counts, seen_matrix, train_events
from morec_pareto.io import write_json
from morec_pareto.metrics.baselines import popularity_scores
from morec_pareto.objectives.registry import directions, evaluate_lists, get_objective
from morec_pareto.types import PURCHASE, Split, StageData

METHODS = ("popularity", "zero")  # data.reference_point: a method name, or explicit numbers
CACHE_VERSION = 1


def purchase_rate(split: Split) -> np.ndarray:
    """Smoothed training purchase rate per item, (purchases + 1) / (events + 2): a model-free P(buy)."""
    seqs = split.sequences
    in_train = train_events(split)
    items = seqs.items[in_train]
    n_items = split.data.n_items
    events = np.bincount(items, minlength=n_items)
    bought = np.bincount(items, weights=seqs.behaviours[in_train] == PURCHASE, minlength=n_items)
    return (bought + 1.0) / (events + 2.0)


def _anchor_values(split: Split, users: np.ndarray, objectives: tuple[str, ...], k: int, mask_seen: bool) -> np.ndarray:
    """Objective sums (3, n_obj) of the popularity, satisfaction-anchor and revenue-anchor lists over `users`."""
    data = split.data
    popularity = np.asarray(popularity_scores(split, "valid", users), dtype=np.float32)
    stand_in_buy = np.broadcast_to(purchase_rate(split).astype(np.float32), popularity.shape)
    truth = data.truth
    click = None if truth is None else truth.click_prob(users).astype(np.float32)
    buy = None if truth is None else truth.buy_prob(users).astype(np.float32)
    seen = seen_matrix(split, "valid", users)
    end = split.sequences.offsets[1:][users] - 2
    stage = StageData(relevance=popularity, purchase=stand_in_buy, seen=seen, targets=split.targets("valid")[users],
                      target_bought=split.sequences.behaviours[end] == PURCHASE, price=data.item_price,
                      true_click=click, true_buy=buy, item_category=data.item_category,
                      item_popularity=item_counts(split))
    lists = np.stack([
        popularity,
        popularity if click is None else click,
        (stand_in_buy if buy is None else buy) * data.item_price[None, :],
    ])  # (3, U, I)
    if mask_seen:
        lists = np.where(seen[None], -np.inf, lists)
    # a full stable sort, so ties (frequent in popularity counts) go to the smaller item id
    top = np.argsort(-lists, axis=2, kind="stable")[..., :k]
    return evaluate_lists(top, stage, objectives)


def anchor_points(split: Split, objectives: tuple[str, ...], k: int, mask_seen: bool,
                  chunk: int = 500) -> tuple[np.ndarray, np.ndarray]:
    """(floor, ideal) per objective, natural units: the popularity list's values and the anchors' best.

    Means over all users, computed in chunks of `chunk` users so memory does not grow with users x items.
    """
    n_users = split.sequences.n_users
    total = np.zeros((3, len(objectives)))
    for start in range(0, n_users, chunk):
        total += _anchor_values(split, np.arange(start, min(n_users, start + chunk)), objectives, k, mask_seen)
    values = total / n_users
    sign = directions(objectives)
    floor = np.array([0.0 if get_objective(n).reads_model else values[0, j] for j, n in enumerate(objectives)])
    best_anchor = (values * sign).max(axis=0) * sign  # the anchors' best value, whichever way is better
    ideal = np.array([best_anchor[j] if get_objective(n).best is None else get_objective(n).best
                      for j, n in enumerate(objectives)])
    return floor, ideal


def data_fingerprint(split: Split) -> str:
    """Hash of the event log and item prices: the identity of a data set for the cache."""
    h = hashlib.sha256()
    for array in (split.sequences.items, split.sequences.behaviours, split.sequences.offsets, split.data.item_price):
        h.update(np.ascontiguousarray(array).tobytes())
    h.update(split.data.name.encode())
    return h.hexdigest()[:24]


def dataset_reference(split: Split, objectives: tuple[str, ...], k: int, mask_seen: bool,
                      method: str = "popularity", cache_dir: Path | None = None) -> dict:
    """The data set's reference point and normalisation, from the cache or computed once and cached.

    Returns {"reference_point", "ideal", "method", "source"} (lists in natural units).
    """
    if method not in METHODS:
        raise ValueError(f"data.reference_point: unknown method {method!r}; use one of {list(METHODS)} or numbers")
    key = hashlib.sha256(json.dumps([CACHE_VERSION, data_fingerprint(split), list(objectives), k, mask_seen,
                                     method]).encode()).hexdigest()[:24]
    path = (cache_dir or default_cache_dir()) / "reference_points" / f"{key}.json"
    if path.is_file():
        return json.loads(path.read_text())
    sign = directions(objectives)
    if method == "zero" and (sign < 0).any():
        raise ValueError("data.reference_point: 'zero' is the worst value of maximised objectives only; "
                         f"{list(objectives)} has a minimised one (use popularity or numbers)")
    floor, ideal = anchor_points(split, objectives, k, mask_seen)
    if method == "zero":
        floor = np.zeros(len(objectives))
    source = ("each objective's worst value, 0" if method == "zero" else
              "per data set: validation objectives of the popularity ranking (0 for objectives that read model scores)")
    record = {"reference_point": floor.tolist(), "ideal": (np.maximum(ideal * sign, floor * sign) * sign).tolist(),
              "method": method,
              "source": source}
    write_json(record, path)
    return record
