"""Ranking policies: turn the two heads' scores and prices into top-K lists for a whole population.

Every policy ranks a population of decision vectors X (P, n_var) for a chunk of users in one batched
pass and returns item lists (P, U, K), best first. Decision variables are declared with their bounds
so the search space is derived from the policy. Scores are finite by contract: stage data are built
through `training.scoring.finite_scores`, since one NaN in exp(r - max r) would void a user's whole list.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

import numpy as np

from morec_pareto.types import StageData


@dataclass(frozen=True)
class Variable:
    """One decision variable of a ranking policy."""

    name: str
    lower: float
    upper: float
    default: float  # used by baselines that hold this variable fixed


def pool_size(pool_fraction: np.ndarray, k: int, n_items: int) -> np.ndarray:
    """Candidate-pool size, log-uniform from K (fraction 0) to all items (fraction 1)."""
    return np.round(np.exp(np.log(k) + pool_fraction * (np.log(n_items) - np.log(k)))).astype(np.int64)


def relevance_rank(relevance: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Items of each user by decreasing relevance (ties by id) and each item's 0-based rank, (U, I) each."""
    order = np.argsort(-relevance, axis=1, kind="stable")
    rank = np.empty_like(order)
    np.put_along_axis(rank, order, np.arange(relevance.shape[1])[None, :], axis=1)
    return order, rank


def top_k(scores: np.ndarray, k: int) -> np.ndarray:
    """Indices of the k largest scores along the last axis, best first (ties by index)."""
    k = min(k, scores.shape[-1])
    part = np.argpartition(-scores, k - 1, axis=-1)[..., :k]
    part_scores = np.take_along_axis(scores, part, axis=-1)
    within = np.lexsort((part, -part_scores), axis=-1)
    return np.take_along_axis(part, within, axis=-1)


class RankingPolicy(ABC):
    """A family of rankings indexed by decision variables."""

    variables: tuple[Variable, ...] = ()
    memory_factor: int = 1  # relative size of the policy's temporaries per (candidate, user, item)

    def __init__(self, k: int = 10, mask_seen: bool = True) -> None:
        if k < 1:
            raise ValueError(f"objectives.k must be >= 1, got {k}")
        self.k = k
        self.mask_seen = mask_seen

    @property
    def var_names(self) -> tuple[str, ...]:
        return tuple(v.name for v in self.variables)

    @property
    def bounds(self) -> tuple[np.ndarray, np.ndarray]:
        return np.array([v.lower for v in self.variables]), np.array([v.upper for v in self.variables])

    @property
    def defaults(self) -> np.ndarray:
        return np.array([v.default for v in self.variables])

    def rank(self, X: np.ndarray, data: StageData) -> np.ndarray:
        """Top-K item lists (P, U, K) for every candidate in X (P, n_var) and every user in `data`."""
        X = np.atleast_2d(np.asarray(X, dtype=float))
        if X.shape[1] != len(self.variables):
            raise ValueError(f"{type(self).__name__} expects {len(self.variables)} variables {self.var_names}, got {X.shape[1]}")
        return self._rank(X, data)

    @abstractmethod
    def _rank(self, X: np.ndarray, data: StageData) -> np.ndarray: ...

    def _relevance_order(self, data: StageData) -> tuple[np.ndarray, np.ndarray]:
        """relevance_rank of the items a list may hold: with masking, seen items go last."""
        relevance = np.where(data.seen, -np.inf, data.relevance) if self.mask_seen else data.relevance
        return relevance_rank(relevance)

    def _allowed(self, X_pool: np.ndarray, data: StageData, rank: np.ndarray) -> np.ndarray:
        """(P, U, I) mask: among the pool's n most relevant unseen items (n >= K, so lists are always full)."""
        n_pool = pool_size(X_pool, self.k, data.n_items)  # (P,)
        allowed = rank[None] < n_pool[:, None, None]
        if self.mask_seen:
            allowed &= ~data.seen[None]
        return allowed


def _normalised_objectives(X_tau: np.ndarray, X_alpha: np.ndarray, data: StageData) -> tuple[np.ndarray, np.ndarray]:
    """Per-item satisfaction and revenue scores in (0, 1], each max-normalised per user, (P, U, I) each.

    sat_ui = exp((r_ui - max_j r_uj) / tau);  rev_ui = b_ui p_i^alpha / max_j b_uj p_j^alpha.
    """
    tau, alpha = X_tau[:, None, None], X_alpha[:, None, None]
    rel = data.relevance - data.relevance.max(axis=1, keepdims=True)
    sat = np.exp(rel[None] / tau)
    log_rev = np.log(np.maximum(data.purchase, 1e-12))[None] + alpha * np.log(data.price)[None, None, :]
    rev = np.exp(log_rev - log_rev.max(axis=2, keepdims=True))
    return sat, rev


class WeightedPolicy(RankingPolicy):
    """Scalarised ranking: s = w * sat + (1 - w) * rev inside a relevance candidate pool.

    sat_ui = exp((r_ui - max_j r_uj) / tau)          (softmax of relevance at temperature tau, max-normalised)
    rev_ui = b_ui p_i^alpha / max_j b_uj p_j^alpha   (model P(buy) times price^alpha, max-normalised)
    """

    variables = (
        Variable("w_satisfaction", 0.0, 1.0, 0.5),
        Variable("price_exponent", 0.0, 2.0, 1.0),
        Variable("temperature", 0.05, 5.0, 1.0),
        Variable("pool_fraction", 0.0, 1.0, 1.0),
    )

    def combined_scores(self, X: np.ndarray, data: StageData) -> np.ndarray:
        """The scalarised scores (P, U, I) before pooling and masking."""
        w = X[:, 0, None, None]
        sat, rev = _normalised_objectives(X[:, 2], X[:, 1], data)  # (P, U, I) each
        return w * sat + (1.0 - w) * rev

    def _rank(self, X: np.ndarray, data: StageData) -> np.ndarray:
        scores = self.combined_scores(X, data)
        _, rank = self._relevance_order(data)
        scores = np.where(self._allowed(X[:, 3], data, rank), scores, -np.inf)
        return top_k(scores, self.k)


class ParetoLayerPolicy(RankingPolicy):
    """Weight-free ranking: each user's candidates sorted by Pareto layers of (relevance, expected revenue).

    Layer 0 holds the user's items not dominated in (r_ui, b_ui p_i^alpha), layer 1 those dominated only
    by layer 0, and so on (non-dominated sorting per user); within a layer items keep relevance order.
    Only the price exponent and the candidate pool are searched.
    """

    variables = (
        Variable("price_exponent", 0.0, 2.0, 1.0),
        Variable("pool_fraction", 0.0, 1.0, 1.0),
    )

    def _rank(self, X: np.ndarray, data: StageData) -> np.ndarray:
        order, rank = self._relevance_order(data)
        allowed = self._allowed(X[:, 1], data, rank)  # (P, U, I) in item order
        allowed = np.take_along_axis(allowed, np.broadcast_to(order[None], allowed.shape), axis=2)  # relevance order
        price_sorted = data.price[order]  # (U, I)
        buy_sorted = np.take_along_axis(data.purchase, order, axis=1)
        log_rev = np.log(np.maximum(buy_sorted, 1e-12))[None] + X[:, 0, None, None] * np.log(price_sorted)[None]
        # Items not peeled within K layers sit in layer K, after every peeled one (a huge sentinel here would
        # overflow layer * n_items below and send them to the top of the list).
        layer = np.full(allowed.shape, self.k, dtype=np.int64)
        remaining = allowed.copy()
        # Peel fronts: in relevance order an item is non-dominated iff its revenue beats every
        # remaining item ranked above it. K layers always cover K items, so at most K peels.
        for level in range(self.k):
            y = np.where(remaining, log_rev, -np.inf)
            best_above = np.maximum.accumulate(y, axis=2)
            best_above = np.concatenate([np.full(y.shape[:2] + (1,), -np.inf), best_above[..., :-1]], axis=2)
            front = remaining & (y > best_above)
            layer[front] = level
            remaining &= ~front
            if ((layer < self.k).sum(axis=2) >= min(self.k, data.n_items)).all():
                break
        position = np.arange(data.n_items)[None, None, :]
        key = -(layer * data.n_items + position).astype(np.float64)
        key = np.where(allowed, key, -np.inf)
        picked = top_k(key, self.k)  # positions in relevance order
        return np.take_along_axis(np.broadcast_to(order[None], allowed.shape), picked, axis=2)


class TchebycheffPolicy(WeightedPolicy):
    """Tchebycheff-scalarised ranking through pymoo's decomposition: items closest to the ideal item first.

    Each item is the point (sat_ui, rev_ui) of `WeightedPolicy`, ideal (1, 1) per user; the score is
    -max(w (1 - sat_ui), (1 - w)(1 - rev_ui)), so unlike the weighted sum it can reach items in
    non-convex parts of a user's (satisfaction, revenue) trade-off.
    """

    memory_factor = 6  # the decomposition works on flattened (n, 2) float64 copies

    def combined_scores(self, X: np.ndarray, data: StageData) -> np.ndarray:
        from pymoo.decomposition.tchebicheff import Tchebicheff

        sat, rev = _normalised_objectives(X[:, 2], X[:, 1], data)
        F = -np.stack([sat.ravel(), rev.ravel()], axis=1)  # pymoo minimises
        w = np.broadcast_to(X[:, 0, None, None], sat.shape).ravel()
        weights = np.stack([w, 1.0 - w], axis=1)
        distance = Tchebicheff().do(F, weights, _type="one_to_one", utopian_point=np.array([-1.0, -1.0]))
        return -distance.reshape(sat.shape)


class EpsilonConstraintPolicy(RankingPolicy):
    """Weight-free epsilon-constraint ranking: maximise relevance subject to revenue >= epsilon.

    An item is eligible for user u when rev_ui (model P(buy) x price^alpha, max-normalised per user)
    is at least epsilon; eligible items come first in relevance order, then the rest in relevance
    order, so lists are always full. epsilon = 0 is the satisfaction-only ranking.
    """

    variables = (
        Variable("epsilon", 0.0, 1.0, 0.0),
        Variable("price_exponent", 0.0, 2.0, 1.0),
        Variable("pool_fraction", 0.0, 1.0, 1.0),
    )

    def _rank(self, X: np.ndarray, data: StageData) -> np.ndarray:
        _, rev = _normalised_objectives(np.ones(len(X)), X[:, 1], data)
        _, rank = self._relevance_order(data)
        eligible = rev >= X[:, 0, None, None]
        # lexicographic key: eligible first, then by relevance rank (smaller is better)
        key = -(rank[None] + np.where(eligible, 0, data.n_items)).astype(np.float64)
        key = np.where(self._allowed(X[:, 2], data, rank), key, -np.inf)
        return top_k(key, self.k)


POLICIES: dict[str, type[RankingPolicy]] = {
    "weighted": WeightedPolicy,
    "pareto_layers": ParetoLayerPolicy,
    "tchebycheff": TchebycheffPolicy,
    "epsilon_constraint": EpsilonConstraintPolicy,
}
