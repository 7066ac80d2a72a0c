"""Frozen dataclasses that cross stage boundaries: data, splits, score tables, fronts."""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Protocol

import numpy as np

# Behaviour codes, ordered by depth in the purchase funnel.
VIEW, CLICK, CART, PURCHASE = 0, 1, 2, 3
BEHAVIOURS: tuple[str, ...] = ("view", "click", "cart", "purchase")


class Stage(str, Enum):
    """Where in a user's sequence a model is read: the training prefix, the validation target (the
    second-to-last event) or the test target (the last). `Stage("tset")` is an error, not the test stage."""

    TRAIN = "train"
    VALID = "valid"
    TEST = "test"

    def __str__(self) -> str:
        return self.value

    @property
    def held_out(self) -> int:
        """Events after the history: 2 when predicting validation (and for the training part), 1 for test."""
        return 1 if self is Stage.TEST else 2


def held_out_stage(stage: str | Stage) -> Stage:
    """A validation or test stage; anything else (a typo, 'train') is a one-line error."""
    out = Stage(stage)
    if out is Stage.TRAIN:
        raise ValueError("stage must be 'valid' or 'test' here, got 'train'")
    return out


class GroundTruth(Protocol):
    """True interaction probabilities of a simulated world (absent for real data)."""

    def click_prob(self, users: np.ndarray) -> np.ndarray:
        """P(click | user shown item), shape (len(users), n_items)."""

    def buy_prob(self, users: np.ndarray) -> np.ndarray:
        """P(purchase | user shown item), shape (len(users), n_items)."""


@dataclass(frozen=True)
class Interactions:
    """A multi-behaviour event log with item attributes; ids are contiguous and 0-based.

    Events need not be sorted; `timestamp` orders them per user and ties keep file order.
    """

    name: str
    user: np.ndarray  # (E,) int64 user id
    item: np.ndarray  # (E,) int64 item id
    behaviour: np.ndarray  # (E,) int8 one of VIEW, CLICK, CART, PURCHASE
    timestamp: np.ndarray  # (E,) float64
    n_users: int
    n_items: int
    item_category: np.ndarray  # (I,) int64 in [0, n_categories)
    item_tags: np.ndarray  # (I, T) int64 tag id + 1, 0 = no tag (padding)
    item_price: np.ndarray  # (I,) float64 > 0
    n_categories: int
    n_tags: int
    prices_simulated: bool = False  # True when prices come from a price model, not the data
    truth: GroundTruth | None = field(default=None, compare=False)
    # (I,) one text per item (title, genres, ...) for a pretrained text encoder; None when the data has none
    item_text: tuple[str, ...] | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        n_events = len(self.user)
        for name in ("item", "behaviour", "timestamp"):
            if len(getattr(self, name)) != n_events:
                raise ValueError(f"Interactions.{name} has {len(getattr(self, name))} rows, expected {n_events}")
        for name in ("item_category", "item_tags", "item_price"):
            if len(getattr(self, name)) != self.n_items:
                raise ValueError(f"Interactions.{name} has {len(getattr(self, name))} rows, expected n_items={self.n_items}")
        if self.item_text is not None and len(self.item_text) != self.n_items:
            raise ValueError(f"Interactions.item_text has {len(self.item_text)} rows, expected n_items={self.n_items}")

    @property
    def n_events(self) -> int:
        return len(self.user)


@dataclass(frozen=True)
class Sequences:
    """Every user's events in time order, stored CSR-style: user u owns rows offsets[u]:offsets[u+1]."""

    items: np.ndarray  # (E,) int64
    behaviours: np.ndarray  # (E,) int8
    offsets: np.ndarray  # (U+1,) int64

    @property
    def n_users(self) -> int:
        return len(self.offsets) - 1

    @property
    def lengths(self) -> np.ndarray:
        return np.diff(self.offsets)


@dataclass(frozen=True)
class Split:
    """Per-user chronological leave-one-out: last event test, the one before validation, the rest train."""

    data: Interactions
    sequences: Sequences  # full sequences; every user has at least 3 events

    def n_history(self, stage: str | Stage) -> np.ndarray:
        """Number of events a user's history holds when predicting `stage` ('train' is the full train part)."""
        return self.sequences.lengths - Stage(stage).held_out

    def target_rows(self, stage: str | Stage) -> np.ndarray:
        """Row (into `sequences`) of every user's held-out event for `stage` in {'valid', 'test'}, shape (U,)."""
        return self.sequences.offsets[1:] - held_out_stage(stage).held_out

    def targets(self, stage: str | Stage) -> np.ndarray:
        """Held-out item of every user for `stage` in {'valid', 'test'}, shape (U,)."""
        return self.sequences.items[self.target_rows(stage)]


@dataclass(frozen=True)
class ScoreTable:
    """Model scores of every (user, item) pair for one evaluation stage, computed once per model."""

    stage: Stage  # valid or test
    relevance: np.ndarray  # (U, I) float32 satisfaction-head logits
    purchase: np.ndarray  # (U, I) float32 P(buy) from the purchase head
    targets: np.ndarray  # (U,) int64 held-out item
    seen: np.ndarray  # (U, I) bool items in the user's history at this stage


@dataclass(frozen=True)
class Front:
    """A set of candidate policies and their objective values in natural units (higher is better)."""

    X: np.ndarray  # (n, n_var) decision variables
    F: np.ndarray  # (n, n_obj) objectives, natural units, maximised
    var_names: tuple[str, ...]
    obj_names: tuple[str, ...]


@dataclass(frozen=True)
class StageData:
    """Everything the ranking policies and objectives read for one stage, row-aligned by user.

    Built once per (model, stage) from the score table and, on synthetic data, the ground truth.
    `rows` slices users so the search can chunk over them to bound memory.
    """

    relevance: np.ndarray  # (U, I) float32 satisfaction logits from the model
    purchase: np.ndarray  # (U, I) float32 model P(buy)
    seen: np.ndarray  # (U, I) bool, items in the user's history at this stage
    targets: np.ndarray  # (U,) int64 held-out item
    target_bought: np.ndarray  # (U,) bool, the held-out event is a purchase
    price: np.ndarray  # (I,) float64
    true_click: np.ndarray | None = None  # (U, I) ground-truth P(click), synthetic data only
    true_buy: np.ndarray | None = None  # (U, I) ground-truth P(buy), synthetic data only
    item_category: np.ndarray | None = None  # (I,) int64 category (genre) of each item, for calibration
    item_popularity: np.ndarray | None = None  # (I,) training events of each item, for novelty

    @property
    def n_users(self) -> int:
        return len(self.targets)

    @property
    def n_items(self) -> int:
        return len(self.price)

    def rows(self, sl: slice) -> StageData:
        def cut(a: np.ndarray | None) -> np.ndarray | None:
            return None if a is None else a[sl]

        return StageData(
            relevance=self.relevance[sl], purchase=self.purchase[sl], seen=self.seen[sl], targets=self.targets[sl],
            target_bought=self.target_bought[sl], price=self.price, true_click=cut(self.true_click),
            true_buy=cut(self.true_buy), item_category=self.item_category, item_popularity=self.item_popularity,
        )
