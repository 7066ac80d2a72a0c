"""Search strategies (the `strategy` config group): which policy family, and how candidates are proposed."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from morec_pareto.ranking.policies import POLICIES, RankingPolicy


@dataclass(frozen=True)
class Strategy:
    """A named way of producing a front.

    Attributes:
        name: the `strategy=` choice.
        policy: key of POLICIES, the ranking family searched.
        sampler: 'nsga2' (evolve all variables), 'weight_grid' (uniform sweep of the objective
            weight, other variables at their defaults, no evolution) or 'random' (uniform random
            candidates); all spend the same budget.
        training: how the model(s) behind the score tables are trained: 'weighted' (one model,
            train.loss_weights), 'mgda' (one model, min-norm gradient combination, no weights),
            'conditioned' (one preference-conditioned model) or 'retrain' (one model per searched
            loss weight, warm-started from a shared checkpoint).
        n_levels: distinct model-side weights lambda for 'conditioned' and 'retrain'.
        warm_epochs: epochs of the shared warm-start model ('retrain').
        epochs_per_candidate: fixed epoch budget of each per-weight model ('retrain').
        parallel: 'process', 'ray' or 'none': how per-weight trainings run ('retrain').
        n_workers: processes of the training pool ('retrain').
    """

    name: str
    policy: str
    sampler: str = "nsga2"
    training: str = "weighted"
    n_levels: int = 21
    warm_epochs: int = 5
    epochs_per_candidate: int = 2
    parallel: str = "process"
    n_workers: int = 2

    def __post_init__(self) -> None:
        if self.policy not in POLICIES:
            raise ValueError(f"strategy.policy must be one of {sorted(POLICIES)}, got {self.policy!r}")
        if self.sampler not in ("nsga2", "weight_grid", "random"):
            raise ValueError(f"strategy.sampler must be 'nsga2', 'weight_grid' or 'random', got {self.sampler!r}")
        if self.training not in ("weighted", "mgda", "conditioned", "retrain"):
            raise ValueError(f"strategy.training must be weighted, mgda, conditioned or retrain, got {self.training!r}")
        if self.training in ("conditioned", "retrain") and self.n_levels < 2:
            raise ValueError(f"strategy.n_levels must be >= 2, got {self.n_levels}")

    @property
    def has_levels(self) -> bool:
        """Whether candidates carry a model-side weight (lambda_satisfaction)."""
        return self.training in ("conditioned", "retrain")

    def make_policy(self, k: int, mask_seen: bool) -> RankingPolicy:
        return POLICIES[self.policy](k=k, mask_seen=mask_seen)


def weight_grid(policy: RankingPolicy, n_points: int) -> np.ndarray:
    """`n_points` candidates: the first variable (the satisfaction weight) swept uniformly on [0, 1]."""
    if policy.var_names[0] != "w_satisfaction":
        raise ValueError(f"a weight grid needs a policy with a 'w_satisfaction' variable, not {policy.var_names}")
    X = np.tile(policy.defaults, (n_points, 1))
    X[:, 0] = np.linspace(0.0, 1.0, n_points)
    return X


def dense_grid(policy: RankingPolicy, points_per_var: int | tuple[int, ...]) -> np.ndarray:
    """Full-factorial grid over all of a policy's variables (the brute-force reference front)."""
    lower, upper = policy.bounds
    counts = np.broadcast_to(np.asarray(points_per_var), lower.shape)
    axes = [np.linspace(lo, hi, int(n)) for lo, hi, n in zip(lower, upper, counts)]
    return np.stack([a.ravel() for a in np.meshgrid(*axes, indexing="ij")], axis=1)
