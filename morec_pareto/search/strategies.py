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
        sampler: 'nsga2' (evolve all variables) or 'weight_grid' (uniform sweep of the objective
            weight, other variables at their defaults, no evolution).
    """

    name: str
    policy: str
    sampler: str = "nsga2"

    def __post_init__(self) -> None:
        if self.policy not in POLICIES:
            raise ValueError(f"strategy.policy must be one of {sorted(POLICIES)}, got {self.policy!r}")
        if self.sampler not in ("nsga2", "weight_grid"):
            raise ValueError(f"strategy.sampler must be 'nsga2' or 'weight_grid', got {self.sampler!r}")

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
