"""The objective registry: one explicit table of every objective, its direction and what it needs.

Each objective maps top-K lists to one value per (candidate, user). The search and the report read
`direction` (nobody negates by hand: see `search.problem.to_minimisation`) and `needs` (checked against
the data before any work). The ranking policies read `item_score` (a per-item objective's score, weighed
in as one more column) and `item_groups` (a list-level objective's item groups, spread by MMR
re-ranking): see `ranking.for_objectives`. Built-in objectives are listed in `OBJECTIVES` below; a new one plugs
in with `register(Objective(...))`.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np

from morec_pareto.objectives import beyond_accuracy, divergence, revenue, satisfaction
from morec_pareto.types import StageData

# fn(lists (P, U, K), data) -> each candidate's value for each user in `data`, shape (P, U); the search
# sums over users and divides by their number, so chunked evaluation adds up exactly, and per-user
# values are there for paired bootstraps over users.
ObjectiveFn = Callable[[np.ndarray, StageData], np.ndarray]
Direction = Literal["max", "min"]
Need = Literal["truth", "model_scores"]  # ground truth (synthetic data); the model's own scores
# fn(data) -> (I,) per-item array read from the stage data's item fields (the same for every user and stage)
ItemFn = Callable[[StageData], np.ndarray]


@dataclass(frozen=True)
class Objective:
    """A registered objective: how to compute it, which way is better, what it reads, how to name it."""

    name: str
    fn: ObjectiveFn
    direction: Direction
    label: str  # axis label; '{k}' is replaced by the list length
    needs: frozenset[str] = frozenset()
    best: float | None = None  # the best value any list can reach, where one is known (NDCG: 1)
    # A per-item objective's policy score (I,) float, > 0, higher is better: the policies add it as a column
    item_score: ItemFn | None = None
    # A list-level objective's item groups (I,) int (same group = similar): the policies re-rank by MMR
    item_groups: ItemFn | None = None

    @property
    def needs_truth(self) -> bool:
        return "truth" in self.needs

    @property
    def reads_model(self) -> bool:
        """It reads the model's own scores, so no model-free value (e.g. a popularity anchor's) exists."""
        return "model_scores" in self.needs


def _table(*objectives: Objective) -> dict[str, Objective]:
    return {o.name: o for o in objectives}


OBJECTIVES: dict[str, Objective] = _table(
    Objective("ndcg", satisfaction.ndcg, "max", "NDCG@{k}", best=1.0),
    Objective("recall", satisfaction.recall, "max", "Recall@{k}", best=1.0),
    Objective("oracle_ndcg", satisfaction.oracle_ndcg, "max", "Oracle NDCG@{k} (true P(click))",
              frozenset({"truth"}), best=1.0),
    Objective("expected_revenue", revenue.expected_revenue, "max", "Expected revenue@{k} (model P(buy))",
              frozenset({"model_scores"})),
    Objective("oracle_revenue", revenue.oracle_revenue, "max", "Expected revenue@{k} (true P(buy))",
              frozenset({"truth"})),
    Objective("realised_revenue", revenue.realised_revenue, "max", "Realised revenue@{k} (held-out purchases)"),
    Objective("oracle_kl", divergence.oracle_kl, "min", "Oracle KL@{k} (exposure vs true P(click))",
              frozenset({"truth"}), best=0.0),
    Objective("calibration_kl", divergence.calibration_kl, "min", "Miscalibration KL@{k} (genres vs history)",
              best=0.0),
    Objective("novelty", beyond_accuracy.novelty, "max", "Novelty@{k} (bits)",
              item_score=beyond_accuracy.novelty_scores),
    Objective("diversity", beyond_accuracy.diversity, "max", "Intra-list diversity@{k} (categories)", best=1.0,
              item_groups=beyond_accuracy.category_groups),
)


def register(objective: Objective) -> Objective:
    """Add an objective to the table (a plug-in); names are unique."""
    if objective.name in OBJECTIVES:
        raise ValueError(f"objective {objective.name!r} is already registered")
    if objective.direction not in ("max", "min"):
        raise ValueError(f"objective {objective.name!r}: direction must be 'max' or 'min', got {objective.direction!r}")
    OBJECTIVES[objective.name] = objective
    return objective


def get_objective(name: str) -> Objective:
    """Look up an objective by name; the error lists what exists."""
    if name not in OBJECTIVES:
        raise ValueError(f"objectives: unknown objective {name!r}; registered: {sorted(OBJECTIVES)}")
    return OBJECTIVES[name]


def directions(names: tuple[str, ...]) -> np.ndarray:
    """+1 for each maximised objective, -1 for each minimised one (natural units times this: higher is better)."""
    return np.array([1.0 if get_objective(n).direction == "max" else -1.0 for n in names])


def evaluate_lists_per_user(lists: np.ndarray, data: StageData, names: tuple[str, ...]) -> np.ndarray:
    """Objective values (P, U, n_obj) of every user of `data` for lists (P, U, K)."""
    return np.stack([get_objective(n).fn(lists, data) for n in names], axis=2)


def evaluate_lists(lists: np.ndarray, data: StageData, names: tuple[str, ...]) -> np.ndarray:
    """Objective sums (P, n_obj) over the users of `data` for lists (P, U, K)."""
    return evaluate_lists_per_user(lists, data, names).sum(axis=1)
