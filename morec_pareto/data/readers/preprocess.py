"""Shared preprocessing: duplicate removal, k-core filtering, chronological order, id remapping, item attributes."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from morec_pareto.data.readers.prices import price_model_args, simulate_prices
from morec_pareto.data.split import MIN_EVENTS
from morec_pareto.types import Interactions


@dataclass(frozen=True)
class RawLog:
    """Events as read, in file order, with raw string ids."""

    user: np.ndarray  # (E,) object, raw user ids
    item: np.ndarray  # (E,) object, raw item ids
    behaviour: np.ndarray  # (E,) int8
    timestamp: np.ndarray  # (E,) float64
    price: np.ndarray | None = None  # (E,) float64 > 0, price paid in the event, when the log has one


@dataclass(frozen=True)
class ItemTable:
    """Item attributes keyed by raw item id; a missing attribute is None (or '' / () for one item)."""

    source: str  # the file the attributes come from, for messages
    item: np.ndarray  # (N,) object, raw item ids
    category: np.ndarray | None = None  # (N,) object, category label, '' when unknown
    tags: list[tuple[str, ...]] | None = None  # N tuples of tag labels
    price: np.ndarray | None = None  # (N,) float64 > 0
    text: list[str] | None = None  # N texts (title, genres, ...) for a text encoder


def _dedup_mask(user: np.ndarray, item: np.ndarray, log: RawLog, dedup: str) -> np.ndarray:
    """Rows to keep: 'exact' drops repeats of (user, item, behaviour, timestamp), keeping the first in
    file order; 'user_item_behaviour' keeps the earliest event of each (user, item, behaviour)."""
    keep = np.ones(len(user), bool)
    if dedup == "none" or not len(user):
        return keep
    frame = pd.DataFrame({"u": user, "i": item, "b": log.behaviour, "t": log.timestamp})
    if dedup == "exact":
        return ~frame.duplicated(keep="first").to_numpy()
    order = np.lexsort((np.arange(len(user)), log.timestamp))  # chronological, ties in file order
    dup = frame.iloc[order].duplicated(subset=["u", "i", "b"], keep="first").to_numpy()
    keep[order[dup]] = False
    return keep


def k_core(user: np.ndarray, item: np.ndarray, keep: np.ndarray, min_user: int, min_item: int) -> np.ndarray:
    """Drop events of users with < `min_user` and items with < `min_item` events, repeated to a fixed point.

    Args:
        user: (E,) user codes in [0, U); item: (E,) item codes in [0, I).
        keep: (E,) events still in play.
    Returns the (E,) keep mask after filtering.
    """
    keep = keep.copy()
    n_users, n_items = int(user.max(initial=-1)) + 1, int(item.max(initial=-1)) + 1
    while True:
        user_count = np.bincount(user[keep], minlength=n_users)
        item_count = np.bincount(item[keep], minlength=n_items)
        drop = keep & ((user_count[user] < min_user) | (item_count[item] < min_item))
        if not drop.any():
            return keep
        keep &= ~drop


def _labels_to_ids(labels: list[str]) -> tuple[np.ndarray, int]:
    """Category ids by sorted label; unknown ('') labels share one extra id. Returns (ids, n_categories)."""
    vocab = sorted({lab for lab in labels if lab})
    index = {lab: k for k, lab in enumerate(vocab)}
    ids = np.array([index.get(lab, len(vocab)) for lab in labels], dtype=np.int64)
    n = len(vocab) + int(any(not lab for lab in labels))
    return (ids, n) if n else (np.zeros(len(labels), np.int64), 1)


def _tags_to_ids(tags: list[tuple[str, ...]], max_tags: int) -> tuple[np.ndarray, int]:
    """(I, T) tag id + 1 with 0 padding (vocabulary sorted, first `max_tags` tags per item). Returns (tags, n_tags)."""
    vocab = sorted({t for row in tags for t in row})
    index = {t: k + 1 for k, t in enumerate(vocab)}
    width = max(1, min(max_tags, max((len(row) for row in tags), default=0)))
    out = np.zeros((len(tags), width), dtype=np.int64)
    for r, row in enumerate(tags):
        ids = [index[t] for t in row[:width]]
        out[r, : len(ids)] = ids
    return out, max(1, len(vocab))


def _item_attributes(
    keys: np.ndarray, items: ItemTable | None, event_price: np.ndarray | None, max_tags: int,
    price_model: Mapping | None,
) -> tuple[np.ndarray, int, np.ndarray, int, np.ndarray, bool]:
    """(category, n_categories, tags, n_tags, price, prices_simulated) for the items `keys`, in order."""
    n = len(keys)
    row = np.full(n, -1, np.int64)
    if items is not None and len(items.item):
        index = pd.Index(items.item)
        first = np.flatnonzero(~index.duplicated(keep="first"))  # a repeated item row: the first one counts
        found = index[first].get_indexer(keys)
        row = np.where(found >= 0, first[np.maximum(found, 0)], -1)
    has = row >= 0
    labels = [""] * n
    if items is not None and items.category is not None:
        labels = [items.category[r] if r >= 0 else "" for r in row]
    category, n_categories = _labels_to_ids(labels)
    tag_rows: list[tuple[str, ...]] = [()] * n
    if items is not None and items.tags is not None:
        tag_rows = [items.tags[r] if r >= 0 else () for r in row]
    tags, n_tags = _tags_to_ids(tag_rows, max_tags)
    if event_price is not None:
        return category, n_categories, tags, n_tags, event_price, False
    if items is not None and items.price is not None:
        if not has.all():
            missing = keys[~has]
            raise ValueError(f"{items.source}: {len(missing)} items of the events have no price row (e.g. item {missing[0]!r})")
        return category, n_categories, tags, n_tags, items.price[row], False
    args = price_model_args(price_model)  # seed is an int, the other keys floats
    price = simulate_prices(category, n_categories, median=args["median"], category_spread=args["category_spread"],
                            item_scale=args["item_scale"], seed=int(args["seed"]))
    return category, n_categories, tags, n_tags, price, True


def _item_text(keys: np.ndarray, items: ItemTable | None) -> tuple[str, ...] | None:
    """The text of each item `keys` (its first row in the item table; '' for an item without a row), or None."""
    if items is None or items.text is None:
        return None
    index = pd.Index(items.item)
    first = np.flatnonzero(~index.duplicated(keep="first"))
    found = index[first].get_indexer(keys)
    return tuple(items.text[first[r]] if r >= 0 else "" for r in found)


def build_interactions(
    name: str, log: RawLog, items: ItemTable | None, *, source: str, keep: np.ndarray | None = None,
    dedup: str = "exact", min_user_count: int = 0, min_item_count: int = 0, max_tags: int = 16,
    price_model: Mapping | None = None,
) -> tuple[Interactions, dict[str, int]]:
    """Clean a raw log and turn it into `Interactions`.

    Steps: drop events outside `keep` (e.g. unmapped behaviours); remove duplicates (`dedup`); k-core
    filter with users needing max(min_user_count, 3) events and items `min_item_count`, iterated to a fixed
    point; remap users and items to 0-based ids in order of first appearance in the file; sort events by
    (user, timestamp), equal timestamps keeping file order. An item's price is the median of its event
    prices, else its item-table price, else drawn from the price model (`prices_simulated=True`).

    Returns:
        The interactions and counts of events kept and dropped at each step.

    Raises:
        ValueError: when no event is left, or an item of the events has no price in a priced item table.
    """
    n = len(log.user)
    keep = np.ones(n, bool) if keep is None else keep.copy()
    stats = {"raw_events": n, "unmapped_events": int((~keep).sum())}
    user_codes, _ = pd.factorize(log.user)
    item_codes, _ = pd.factorize(log.item)
    deduped = keep & _dedup_mask(user_codes, item_codes, log, dedup)
    stats["duplicate_events"] = int(keep.sum() - deduped.sum())
    kept = k_core(user_codes, item_codes, deduped, max(min_user_count, MIN_EVENTS), min_item_count)
    stats["filtered_events"] = int(deduped.sum() - kept.sum())
    if not kept.any():
        raise ValueError(
            f"{source}: no events left after filtering (data.dedup={dedup}, data.min_user_count={min_user_count}, "
            f"data.min_item_count={min_item_count}; every user needs >= {MIN_EVENTS} events)"
        )
    idx = np.flatnonzero(kept)
    user, user_keys = pd.factorize(log.user[idx])
    item, item_keys = pd.factorize(log.item[idx])
    timestamp = log.timestamp[idx]
    order = np.lexsort((np.arange(len(idx)), timestamp, user))  # stable: ties keep file order
    event_price = None
    if log.price is not None:
        event_price = pd.Series(log.price[idx]).groupby(item).median().to_numpy()
    category, n_categories, tags, n_tags, price, simulated = _item_attributes(
        np.asarray(item_keys, dtype=object), items, event_price, max_tags, price_model
    )
    data = Interactions(
        name=name, user=user[order].astype(np.int64), item=item[order].astype(np.int64),
        behaviour=log.behaviour[idx][order].astype(np.int8), timestamp=timestamp[order].astype(np.float64),
        n_users=len(user_keys), n_items=len(item_keys), item_category=category, item_tags=tags,
        item_price=np.asarray(price, dtype=np.float64), n_categories=n_categories, n_tags=n_tags,
        prices_simulated=simulated, item_text=_item_text(np.asarray(item_keys, dtype=object), items),
    )
    stats.update(users=data.n_users, items=data.n_items, events=data.n_events)
    return data, stats
