"""How candidates are proposed: the `search` config group, one class per option.

    nsga2    pymoo's NSGA-II over every variable (LHS start, SBX crossover, polynomial mutation)
    grid     a uniform sweep of the satisfaction weight, other variables at their defaults
    random   uniform random candidates

All spend the same budget, pop_size x n_gen evaluations, a generation (a batch of pop_size) at a time.
`prune` and `checkpoint` are read by the run: exact K-skyband pruning of the score tables, and
saving the search state every generation (NSGA-II) so that a killed run resumes.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
from pymoo.algorithms.moo.nsga2 import NSGA2
from pymoo.operators.crossover.sbx import SBX
from pymoo.operators.mutation.pm import PM
from pymoo.operators.sampling.lhs import LHS

from morec_pareto.ranking.policies import RankingPolicy


@dataclass(frozen=True)
class SearchMethod:
    """Base of the `search` options: the budget and the run settings every option shares."""

    name: ClassVar[str]
    pop_size: int = 40
    n_gen: int = 25
    checkpoint: bool = True
    prune: bool = True

    def __post_init__(self) -> None:
        for key in ("pop_size", "n_gen"):
            if getattr(self, key) < 1:
                raise ValueError(f"search.{key} must be >= 1, got {getattr(self, key)}")

    @property
    def budget(self) -> int:
        return self.pop_size * self.n_gen


@dataclass(frozen=True)
class NSGA2Search(SearchMethod):
    """pymoo's NSGA-II; the search state is checkpointed every generation when `checkpoint`."""

    name: ClassVar[str] = "nsga2"

    def algorithm(self) -> NSGA2:
        return NSGA2(pop_size=self.pop_size, sampling=LHS(), crossover=SBX(prob=0.9, eta=15), mutation=PM(eta=20),
                     eliminate_duplicates=True)


@dataclass(frozen=True)
class FixedBatches(SearchMethod):
    """Every candidate fixed in advance (no evolution), evaluated pop_size at a time."""

    def candidates(self, policy: RankingPolicy, xl: np.ndarray, xu: np.ndarray, n_levels: int, seed: int) -> np.ndarray:
        """All pop_size x n_gen candidates (rows), over the candidate space with bounds xl, xu."""
        raise NotImplementedError


@dataclass(frozen=True)
class WeightGridSearch(FixedBatches):
    """The classic baseline: w_satisfaction swept uniformly on [0, 1], other variables at their defaults."""

    name: ClassVar[str] = "grid"

    def candidates(self, policy: RankingPolicy, xl: np.ndarray, xu: np.ndarray, n_levels: int, seed: int) -> np.ndarray:
        if n_levels:
            raise ValueError("search=grid needs a single model (loss weighted_sum or mgda)")
        return weight_grid(policy, self.budget)


@dataclass(frozen=True)
class RandomSearch(FixedBatches):
    """Uniform random candidates over the whole candidate space (seeded)."""

    name: ClassVar[str] = "random"

    def candidates(self, policy: RankingPolicy, xl: np.ndarray, xu: np.ndarray, n_levels: int, seed: int) -> np.ndarray:
        return np.random.default_rng(seed).uniform(xl, xu, size=(self.budget, len(xl)))


SEARCH_METHODS: dict[str, type[SearchMethod]] = {m.name: m for m in (NSGA2Search, WeightGridSearch, RandomSearch)}


def weight_grid(policy: RankingPolicy, n_points: int) -> np.ndarray:
    """`n_points` candidates: the satisfaction weight swept uniformly on [0, 1], other variables at defaults."""
    if "w_satisfaction" not in policy.var_names:
        raise ValueError(f"a weight grid needs a policy with a 'w_satisfaction' variable, not {policy.var_names}")
    X = np.tile(policy.defaults, (n_points, 1))
    X[:, policy.var_names.index("w_satisfaction")] = np.linspace(0.0, 1.0, n_points)
    return X


def dense_grid(policy: RankingPolicy, points_per_var: int | tuple[int, ...]) -> np.ndarray:
    """Full-factorial grid over all of a policy's variables (the brute-force reference front)."""
    lower, upper = policy.bounds
    counts = np.broadcast_to(np.asarray(points_per_var), lower.shape)
    axes = [np.linspace(lo, hi, int(n)) for lo, hi, n in zip(lower, upper, counts)]
    return np.stack([a.ravel() for a in np.meshgrid(*axes, indexing="ij")], axis=1)
