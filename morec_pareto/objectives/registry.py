"""Objective registry: each objective maps top-K lists to one value per candidate, higher is better."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from morec_pareto.types import StageData

# fn(lists (P, U, K), data) -> each candidate's value for each user in `data`, shape (P, U); the search
# sums over users and divides by their number, so chunked evaluation adds up exactly, and per-user
# values are there for paired bootstraps over users.
ObjectiveFn = Callable[[np.ndarray, StageData], np.ndarray]


@dataclass(frozen=True)
class Objective:
    """A registered objective with what a plot or table needs to name it."""

    name: str
    kind: str  # 'satisfaction' or 'revenue'
    label: str  # axis label; '{k}' is replaced by the list length
    fn: ObjectiveFn
    needs_truth: bool = False
    reads_model: bool = False  # reads the model's own scores (so no model-free value exists)
    best: float | None = None  # the best value any list can reach, where one is known (NDCG: 1)


OBJECTIVES: dict[str, Objective] = {}


def register(name: str, kind: str, label: str, needs_truth: bool = False, reads_model: bool = False,
             best: float | None = None) -> Callable[[ObjectiveFn], ObjectiveFn]:
    """Decorator that adds an objective function to the registry under `name`."""

    def wrap(fn: ObjectiveFn) -> ObjectiveFn:
        if name in OBJECTIVES:
            raise ValueError(f"objective {name!r} is already registered")
        OBJECTIVES[name] = Objective(name, kind, label, fn, needs_truth, reads_model, best)
        return fn

    return wrap


def get_objective(name: str) -> Objective:
    """Look up an objective by name; the error lists what exists."""
    # Importing the modules registers the built-in objectives.
    from morec_pareto.objectives import revenue, satisfaction  # noqa: F401

    if name not in OBJECTIVES:
        raise ValueError(f"objectives: unknown objective {name!r}; registered: {sorted(OBJECTIVES)}")
    return OBJECTIVES[name]


def evaluate_lists_per_user(lists: np.ndarray, data: StageData, names: tuple[str, ...]) -> np.ndarray:
    """Objective values (P, U, n_obj) of every user of `data` for lists (P, U, K)."""
    return np.stack([get_objective(n).fn(lists, data) for n in names], axis=2)


def evaluate_lists(lists: np.ndarray, data: StageData, names: tuple[str, ...]) -> np.ndarray:
    """Objective sums (P, n_obj) over the users of `data` for lists (P, U, K)."""
    return evaluate_lists_per_user(lists, data, names).sum(axis=1)
