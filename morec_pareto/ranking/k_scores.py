"""Policies over k per-item scores: satisfaction, revenue and each per-item objective's score (e.g. novelty).

A run whose objectives declare an `item_score` in the registry (`objectives.registry`) ranks on n = 2 + m
per-item scores, in this order, each in (0, 1] and max-normalised per user:

    s_0 = sat_ui = exp((r_ui - max_j r_uj) / tau)
    s_1 = rev_ui = b_ui p_i^alpha / max_j b_uj p_j^alpha
    s_j = x_i / max_l x_l          (j >= 2: the objective's per-item score x, the same for every user)

Weights on the simplex come from n - 1 variables u in [0, 1]^(n-1) by sorted uniforms: the weights are
the spacings of 0 <= u_(1) <= ... <= u_(n-1) <= 1 (`simplex_weights`). Uniform u give uniform weights on
the simplex (the spacings are Dirichlet(1, ..., 1)), every vertex and the centre are reached, and for
n = 2 the one variable is today's `w_satisfaction` with weights (w, 1 - w).

These policies are not `prunable` (their pruning would need the K-skyband in the extra dimensions too):
the evaluator ranks them on the dense table, where each extra score is read through the columns' item ids.
Runs without per-item objectives keep the two-score policies of `ranking.policies` (same fronts).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from morec_pareto.objectives.registry import get_objective
from morec_pareto.ranking.policies import (
    EpsilonConstraintPolicy,
    ParetoLayerPolicy,
    RankingPolicy,
    ScoredPolicy,
    TchebycheffPolicy,
    Variable,
    WeightedPolicy,
    _normalised_objectives,
)
from morec_pareto.ranking.table import CandidateTable
from morec_pareto.types import StageData

PRICE = Variable("price_exponent", 0.0, 2.0, 1.0)
TEMPERATURE = Variable("temperature", 0.05, 5.0, 1.0)
POOL = Variable("pool_fraction", 0.0, 1.0, 1.0)


@dataclass(frozen=True)
class ObjectiveScores:
    """What the run's objectives add to a policy: per-item score columns and item groups for MMR."""

    names: tuple[str, ...]  # per-item objectives, in the run's order
    values: np.ndarray  # (m, I) float64 per-item scores, max-normalised to (0, 1]
    groups: np.ndarray | None  # (I,) int64 item groups of a list-level objective (MMR), None without one


def objective_scores(objectives: tuple[str, ...], data: StageData | None) -> ObjectiveScores:
    """The per-item scores (registry `item_score`) and item groups (`item_groups`) of `objectives` from `data`."""
    registered = [get_objective(n) for n in objectives]
    score_fns = {o.name: o.item_score for o in registered if o.item_score is not None}
    group_fns = {o.name: o.item_groups for o in registered if o.item_groups is not None}
    if len(group_fns) > 1:
        raise ValueError(f"objectives.names: at most one list-level objective per run, got {list(group_fns)}")
    if data is None:
        if score_fns or group_fns:
            raise ValueError(f"objectives {[*score_fns, *group_fns]} need the stage data their item scores come from")
        return ObjectiveScores((), np.zeros((0, 0)), None)
    rows = []
    for name, fn in score_fns.items():
        x = np.asarray(fn(data), dtype=np.float64)
        if x.shape != (data.n_items,) or not (x > 0).all():
            raise ValueError(f"objective {name!r}: item_score must be one positive value per item, got shape {x.shape}")
        rows.append(x / x.max())
    values = np.stack(rows) if rows else np.zeros((0, data.n_items))
    groups = next((np.asarray(fn(data), dtype=np.int64) for fn in group_fns.values()), None)
    return ObjectiveScores(tuple(score_fns), values, groups)


def simplex_weights(u: np.ndarray) -> np.ndarray:
    """Weights (P, n) on the simplex from u (P, n - 1) in [0, 1]: the spacings of 0, sorted(u), 1.

    w_1 = u_(1), w_j = u_(j) - u_(j-1), w_n = 1 - u_(n-1); for n = 2, (u, 1 - u).
    """
    u = np.sort(np.atleast_2d(np.asarray(u, dtype=np.float64)), axis=1)
    edges = np.concatenate([np.zeros((len(u), 1)), u, np.ones((len(u), 1))], axis=1)
    return np.diff(edges, axis=1)


def weight_variables(n: int) -> tuple[Variable, ...]:
    """The n - 1 variables of n weights: `w_satisfaction` for n = 2, else `weight_u1`, ... (defaults: equal weights)."""
    if n == 2:
        return (Variable("w_satisfaction", 0.0, 1.0, 0.5),)
    return tuple(Variable(f"weight_u{j}", 0.0, 1.0, j / n) for j in range(1, n))


class KScorePolicy(ScoredPolicy):
    """A policy over satisfaction, revenue and the run's per-item scores (module docstring)."""

    prunable = False  # ranked on the dense table: the skyband pruning covers (rel, lb, lq) only

    def __init__(self, k: int = 10, mask_seen: bool = True, scores: ObjectiveScores | None = None) -> None:
        super().__init__(k, mask_seen)
        self.scores = scores if scores is not None else ObjectiveScores((), np.zeros((0, 0)), None)
        self.memory_factor = 2 + len(self.scores.names)

    @property
    def n_scores(self) -> int:
        return 2 + len(self.scores.names)

    def extra_scores(self, table: CandidateTable) -> torch.Tensor:
        """The per-item scores of the table's columns, (m, U, S) float32."""
        if not self.scores.names:
            return table.rel.new_zeros((0, *table.rel.shape))
        values = torch.as_tensor(self.scores.values, dtype=torch.float32, device=table.rel.device)
        return values[:, table.item]


class KWeightedPolicy(KScorePolicy):
    """Scalarised ranking over n per-item scores: s = sum_j w_j s_j, w on the simplex from sorted uniforms."""

    def __init__(self, k: int = 10, mask_seen: bool = True, scores: ObjectiveScores | None = None) -> None:
        super().__init__(k, mask_seen, scores)
        self.variables = (*weight_variables(self.n_scores), PRICE, TEMPERATURE, POOL)

    def weights(self, X: np.ndarray, table: CandidateTable) -> list[torch.Tensor]:
        """The n weights of every candidate, each a float32 (P, 1, 1) tensor."""
        u = X[:, [self.var_names.index(v.name) for v in weight_variables(self.n_scores)]]
        w = torch.as_tensor(simplex_weights(u), dtype=torch.float32, device=table.rel.device)
        return [w[:, j, None, None] for j in range(self.n_scores)]

    def score_columns(self, X: np.ndarray, table: CandidateTable) -> list[torch.Tensor]:
        """The n normalised scores, (P, U, S) or (1, U, S) each."""
        sat, rev = _normalised_objectives(self._param(X, "temperature", table), self.column(X, "price_exponent"), table)
        return [sat, rev, *self.extra_scores(table)[:, None]]

    def combined_scores(self, X: np.ndarray, table: CandidateTable) -> torch.Tensor:
        out = None
        for w, s in zip(self.weights(X, table), self.score_columns(X, table)):
            out = s * w if out is None else out.add_(s * w)
        assert out is not None
        return out

    def _scores(self, X: np.ndarray, table: CandidateTable) -> torch.Tensor:
        return self.combined_scores(X, table).masked_fill_(self._blocked(X, table), float("-inf"))


class KTchebycheffPolicy(KWeightedPolicy):
    """Tchebycheff ranking over n per-item scores: s = -max_j w_j (1 - s_j) (utopian point (1, ..., 1))."""

    def combined_scores(self, X: np.ndarray, table: CandidateTable) -> torch.Tensor:
        out = None
        for w, s in zip(self.weights(X, table), self.score_columns(X, table)):
            gap = (1.0 - s) * w
            out = gap if out is None else torch.maximum(out, gap)
        assert out is not None
        return out.neg_()


class KEpsilonConstraintPolicy(KScorePolicy):
    """Maximise relevance subject to one bound per other score: rev_ui >= epsilon and s_j >= epsilon_<name>.

    Items meeting every bound come first in relevance order, then the rest in relevance order (lists stay full).
    """

    def __init__(self, k: int = 10, mask_seen: bool = True, scores: ObjectiveScores | None = None) -> None:
        super().__init__(k, mask_seen, scores)
        bounds = [Variable(f"epsilon_{name}", 0.0, 1.0, 0.0) for name in self.scores.names]
        self.variables = (Variable("epsilon", 0.0, 1.0, 0.0), *bounds, PRICE, POOL)

    def _scores(self, X: np.ndarray, table: CandidateTable) -> torch.Tensor:
        alpha = torch.as_tensor(self.column(X, "price_exponent"), dtype=torch.float32, device=table.rel.device)
        rev = table.log_revenue(alpha).sub_(table.log_revenue_max(alpha)).exp_()
        eligible = rev >= self._param(X, "epsilon", table)
        for name, s in zip(self.scores.names, self.extra_scores(table)):
            eligible &= s[None] >= self._param(X, f"epsilon_{name}", table)
        return eligible.to(torch.float32).masked_fill_(self._blocked(X, table), float("-inf"))


class KParetoLayerPolicy(KScorePolicy):
    """Pareto layers of (relevance rank, revenue, per-item scores); within a layer, relevance order.

    Item j dominates item i when j ranks above i by relevance (ties by item id) and is at least as good in
    log(b p^alpha) and in every per-item score; layer 0 holds the undominated items of the pool, layer 1
    those dominated only by layer 0, ... (exact non-dominated sorting on the stored float32 values, the
    rule `ParetoLayerPolicy` applies in two dimensions). Items not peeled within K layers sit in layer K.
    The score (K - layer) / K feeds MMR re-ranking. Dominance is pairwise: O(S^2) per user and candidate.
    """

    variables = (PRICE, POOL)

    def __init__(self, k: int = 10, mask_seen: bool = True, scores: ObjectiveScores | None = None) -> None:
        super().__init__(k, mask_seen, scores)
        self.memory_factor = 2 + max(self.scores.values.shape[1], 1)  # the (S, S) dominance matrix per user

    def layers(self, X: np.ndarray, table: CandidateTable) -> torch.Tensor:
        """Layer (P, U, S) int64 of each column in its candidate's pool; K for columns outside it or not peeled."""
        remaining = ~self._blocked(X, table)  # (P, U, S)
        alpha = torch.as_tensor(self.column(X, "price_exponent"), dtype=torch.float32, device=table.rel.device)
        log_rev = table.log_revenue(alpha)  # (P, U, S)
        above = torch.ones(table.width, table.width, dtype=torch.bool, device=remaining.device).triu_(1)  # [j, i]: j < i
        dominates = log_rev[..., :, None] >= log_rev[..., None, :]  # (P, U, S_j, S_i)
        dominates &= above
        for s in self.extra_scores(table):
            dominates &= (s[:, :, None] >= s[:, None, :])[None]
        layer = torch.full(remaining.shape, self.k, dtype=torch.int64, device=remaining.device)
        for depth in range(self.k):
            dominated = (dominates & remaining[..., :, None]).any(dim=-2)  # by some remaining item
            front = remaining & ~dominated
            layer[front] = depth
            remaining &= ~front
            if bool(((layer < self.k).sum(dim=2) >= min(self.k, table.n_items)).all()):
                break
        return layer

    def _scores(self, X: np.ndarray, table: CandidateTable) -> torch.Tensor:
        score = (self.k - self.layers(X, table)).to(torch.float32).div_(self.k)
        return score.masked_fill_(self._blocked(X, table), float("-inf"))


K_FORMS: dict[type[RankingPolicy], type[KScorePolicy]] = {
    WeightedPolicy: KWeightedPolicy,
    TchebycheffPolicy: KTchebycheffPolicy,
    EpsilonConstraintPolicy: KEpsilonConstraintPolicy,
    ParetoLayerPolicy: KParetoLayerPolicy,
}
