"""Ranking policies: turn the two heads' scores and prices into top-K lists for a whole population.

Every policy ranks a population of decision vectors X (P, n_var) for the users of a candidate table
(`ranking.table`) in one batched torch pass, on the table's device, in float32, and returns item
lists (P, U, K), best first. Decision variables are declared with their bounds so the search space is
derived from the policy. Ties in a policy's score are broken by relevance rank, then item id.

Every policy below is `prunable`: its score never decreases in an item's (rel, lb, lq) for any value
of its variables, so a pruned table (`ranking.prune`) gives the same lists as a dense one. A policy
where that fails (a score that falls as relevance or revenue rises, or that depends on the other
items of the list, as MMR-style diversity re-ranking does) must set `prunable = False`; it is then
always evaluated on the dense table.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

import numpy as np
import torch

from morec_pareto.ranking.table import CandidateTable, dense_table
from morec_pareto.types import StageData

_NOT_ALLOWED = torch.iinfo(torch.int64).min
_SHIFT = 2**32  # keys: score bits in the high half, a rank tie-break in the low half


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


def score_keys(scores: torch.Tensor, allowed: torch.Tensor) -> torch.Tensor:
    """Exact int64 sort keys (P, U, S) of float32 scores: higher score first, then lower column (rank).

    A float32's bits, flipped for negative numbers, order like the floats; the column index fills the
    low 32 bits, so equal scores rank by relevance and no two keys of a row are equal.
    """
    bits = (scores + 0.0).contiguous().view(torch.int32).to(torch.int64)  # + 0.0 turns -0.0 into +0.0
    sortable = torch.where(bits < 0, bits ^ 0x7FFFFFFF, bits)
    tie_break = _tie_break(scores.shape[-1], scores.device)
    return torch.where(allowed, sortable * _SHIFT + tie_break, _NOT_ALLOWED + tie_break)


def _tie_break(width: int, device: torch.device) -> torch.Tensor:
    return torch.arange(width - 1, -1, -1, device=device, dtype=torch.int64)


class RankingPolicy(ABC):
    """A family of rankings indexed by decision variables."""

    variables: tuple[Variable, ...] = ()
    prunable: bool = True  # score never decreases in (rel, lb, lq); see the module docstring
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

    def column(self, X: np.ndarray, name: str) -> np.ndarray:
        """One decision variable of every candidate in X (P, n_var), by name."""
        return X[:, self.var_names.index(name)]

    def _check(self, X: np.ndarray) -> np.ndarray:
        X = np.atleast_2d(np.asarray(X, dtype=float))
        if X.shape[1] != len(self.variables):
            raise ValueError(f"{type(self).__name__} expects {len(self.variables)} variables {self.var_names}, got {X.shape[1]}")
        return X

    def rank(self, X: np.ndarray, data: StageData) -> np.ndarray:
        """Top-K item lists (P, U, K) for every candidate in X (P, n_var) and every user in `data` (CPU, dense)."""
        X = self._check(X)
        return self.rank_table(X, dense_table(data, self.mask_seen)).cpu().numpy()

    def rank_table(self, X: np.ndarray, table: CandidateTable, group: int = 8) -> torch.Tensor:
        """Top-K item ids (P, U, K), int64 on the table's device, for candidates X (P, n_var).

        Candidates go in groups of `group` by pool size, each on the table's first columns that its
        largest pool reaches (columns are in relevance order), so small pools cost little.
        """
        X = self._check(X)
        pool = self.column(X, "pool_fraction")
        order = np.argsort(pool, kind="stable")
        n_pool = pool_size(pool, self.k, table.n_items)
        out = torch.empty((len(X), table.n_users, min(self.k, table.width)), dtype=torch.int64, device=table.item.device)
        for start in range(0, len(X), group):
            rows = order[start : start + group]
            head = table.head(max(table.pool_width(int(n_pool[rows].max())), min(self.k, table.width)))
            top = self._top_columns(X[rows], head)
            out[torch.as_tensor(rows, device=out.device)] = head.item[None].expand(len(rows), -1, -1).gather(2, top)
        return out

    @abstractmethod
    def _top_columns(self, X: np.ndarray, table: CandidateTable) -> torch.Tensor:
        """Columns (P, U, K) of the K best allowed items, best first, ties by column (relevance rank)."""

    def _param(self, X: np.ndarray, name: str, table: CandidateTable) -> torch.Tensor:
        """Variable `name` of every candidate as a float32 (P, 1, 1) tensor on the table's device."""
        return torch.as_tensor(self.column(X, name), dtype=torch.float32, device=table.rel.device)[:, None, None]

    def _blocked(self, X: np.ndarray, table: CandidateTable) -> torch.Tensor:
        """(P, U, S) mask of columns outside the pool's n most relevant allowed items (n >= K: lists are full)."""
        n_pool = torch.as_tensor(pool_size(self.column(X, "pool_fraction"), self.k, table.n_items),
                                 device=table.item.device)  # (P,)
        return table.pool_rank[None] >= n_pool.to(torch.int32)[:, None, None]


class ScoredPolicy(RankingPolicy):
    """A policy that gives every column a float score; the K highest make the list."""

    def _top_columns(self, X: np.ndarray, table: CandidateTable) -> torch.Tensor:
        """Columns (P, U, K) of the K best allowed items, best first, ties by column (relevance rank).

        A float top-K settles every row whose K + 1 best scores are distinct; rows with a tie there
        (rare but planted ones and underflowed scores happen) are redone on exact integer keys.
        """
        scores = self._scores(X, table)  # (P, U, S), not-allowed columns at -inf
        k = min(self.k, table.width)
        values, top = torch.topk(scores, min(k + 1, table.width), dim=2)
        tied = (values[..., 1:] == values[..., :-1]).any(dim=2)  # (P, U)
        top = top[..., :k]
        if bool(tied.any()):
            rows = tied.nonzero(as_tuple=True)
            allowed = scores[rows] > float("-inf")
            keys = score_keys(scores[rows], allowed)
            top[rows] = torch.topk(keys, k, dim=1).indices
        return top

    @abstractmethod
    def _scores(self, X: np.ndarray, table: CandidateTable) -> torch.Tensor:
        """float32 scores (P, U, S) of every column for every candidate, -inf where not allowed."""


def _normalised_objectives(tau: torch.Tensor, alpha: np.ndarray, table: CandidateTable) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-item satisfaction and revenue scores in (0, 1], each max-normalised per user, (P, U, S) each.

    sat_ui = exp((r_ui - max_j r_uj) / tau);  rev_ui = b_ui p_i^alpha / max_j b_uj p_j^alpha.
    Fresh tensors, so callers may work on them in place.
    """
    sat = torch.div(table.rel[None], tau).exp_()
    rev = table.log_revenue(torch.as_tensor(alpha, dtype=torch.float32, device=table.rel.device))
    return sat, rev.sub_(table.log_revenue_max(torch.as_tensor(alpha, dtype=torch.float32, device=table.rel.device))).exp_()


class WeightedPolicy(ScoredPolicy):
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

    def combined_scores(self, X: np.ndarray, table: CandidateTable) -> torch.Tensor:
        """The scalarised scores (P, U, S) before pooling and masking."""
        w = self._param(X, "w_satisfaction", table)
        sat, rev = _normalised_objectives(self._param(X, "temperature", table), self.column(X, "price_exponent"), table)
        return sat.mul_(w).add_(rev.mul_(1.0 - w))

    def _scores(self, X: np.ndarray, table: CandidateTable) -> torch.Tensor:
        return self.combined_scores(X, table).masked_fill_(self._blocked(X, table), float("-inf"))


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

    def _top_columns(self, X: np.ndarray, table: CandidateTable) -> torch.Tensor:
        keys = self._keys(X, table)
        return torch.topk(keys, min(self.k, table.width), dim=2).indices

    def _keys(self, X: np.ndarray, table: CandidateTable) -> torch.Tensor:
        allowed = ~self._blocked(X, table)  # (P, U, S), columns in relevance order
        alpha = self.column(X, "price_exponent")
        log_rev = table.log_revenue(torch.as_tensor(alpha, dtype=torch.float32, device=table.rel.device))
        # Items not peeled within K layers sit in layer K, after every peeled one.
        layer = torch.full(allowed.shape, self.k, dtype=torch.int64, device=allowed.device)
        remaining = allowed.clone()
        floor = torch.full(allowed.shape[:2] + (1,), float("-inf"), device=allowed.device)
        # Peel fronts: in relevance order an item is non-dominated iff its revenue beats every
        # remaining item ranked above it. K layers always cover K items, so at most K peels.
        for depth in range(self.k):
            y = log_rev.masked_fill(~remaining, float("-inf"))
            best_above = torch.cat([floor, torch.cummax(y, dim=2).values[..., :-1]], dim=2)
            front = remaining & (y > best_above)
            layer[front] = depth
            remaining &= ~front
            if bool(((layer < self.k).sum(dim=2) >= min(self.k, table.n_items)).all()):
                break
        tie_break = _tie_break(table.width, allowed.device)
        return torch.where(allowed, -layer * _SHIFT + tie_break, _NOT_ALLOWED + tie_break)


class TchebycheffPolicy(WeightedPolicy):
    """Tchebycheff-scalarised ranking: items closest to the ideal item (1, 1) first.

    Each item is the point (sat_ui, rev_ui) of `WeightedPolicy`; the score is
    -max(w (1 - sat_ui), (1 - w)(1 - rev_ui)) (pymoo's `Tchebicheff` decomposition with utopian point
    (1, 1)), so unlike the weighted sum it can reach items in non-convex parts of a user's trade-off.
    """

    def combined_scores(self, X: np.ndarray, table: CandidateTable) -> torch.Tensor:
        w = self._param(X, "w_satisfaction", table)
        sat, rev = _normalised_objectives(self._param(X, "temperature", table), self.column(X, "price_exponent"), table)
        return torch.maximum(sat.neg_().add_(1.0).mul_(w), rev.neg_().add_(1.0).mul_(1.0 - w)).neg_()


class EpsilonConstraintPolicy(ScoredPolicy):
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

    def _scores(self, X: np.ndarray, table: CandidateTable) -> torch.Tensor:
        alpha = torch.as_tensor(self.column(X, "price_exponent"), dtype=torch.float32, device=table.rel.device)
        rev = table.log_revenue(alpha).sub_(table.log_revenue_max(alpha)).exp_()
        eligible = (rev >= self._param(X, "epsilon", table)).to(torch.float32)
        return eligible.masked_fill_(self._blocked(X, table), float("-inf"))


POLICIES: dict[str, type[RankingPolicy]] = {
    "weighted": WeightedPolicy,
    "pareto_layers": ParetoLayerPolicy,
    "tchebycheff": TchebycheffPolicy,
    "epsilon_constraint": EpsilonConstraintPolicy,
}
