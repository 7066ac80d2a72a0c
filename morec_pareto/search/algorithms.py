"""How candidates are proposed: the `search` config group, one class per option.

    auto     NSGA-II for two objectives, NSGA-III for three or more (the default)
    nsga2    pymoo's NSGA-II over every variable (LHS start, SBX crossover, polynomial mutation)
    nsga3    pymoo's NSGA-III with Das-Dennis reference directions (same operators), for k >= 3 objectives
    grid     a uniform sweep of the satisfaction weight, other variables at their defaults
    random   uniform random candidates

All spend the same budget, pop_size x n_gen evaluations, a generation (a batch of pop_size) at a time.
`prune` and `checkpoint` are read by the run: exact K-skyband pruning of the score tables, and
saving the search state every generation (NSGA-II) so that a killed run resumes.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from math import comb
from typing import Any, ClassVar

import numpy as np
from pymoo.algorithms.moo.nsga2 import NSGA2
from pymoo.algorithms.moo.nsga3 import NSGA3, comp_by_cv_then_random
from pymoo.core.algorithm import Algorithm
from pymoo.core.population import Population
from pymoo.operators.crossover.sbx import SBX
from pymoo.operators.mutation.pm import PM
from pymoo.operators.sampling.lhs import LHS
from pymoo.operators.selection.tournament import TournamentSelection
from pymoo.util.ref_dirs import get_reference_directions

from morec_pareto.ranking.policies import RankingPolicy


@dataclass(frozen=True)
class SearchMethod(ABC):
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
class Evolutionary(SearchMethod):
    """A pymoo algorithm evolving a population; the search state is checkpointed every generation."""

    @abstractmethod
    def algorithm(self, n_obj: int) -> Algorithm:
        """The pymoo algorithm for a problem with n_obj objectives."""


@dataclass(frozen=True)
class NSGA2Search(Evolutionary):
    """pymoo's NSGA-II."""

    name: ClassVar[str] = "nsga2"

    def algorithm(self, n_obj: int) -> Algorithm:
        return NSGA2(pop_size=self.pop_size, sampling=LHS(), crossover=SBX(prob=0.9, eta=15), mutation=PM(eta=20),
                     eliminate_duplicates=True)


@dataclass(frozen=True)
class NSGA3Search(Evolutionary):
    """pymoo's NSGA-III with Das-Dennis reference directions: the most partitions whose directions fit pop_size
    (`n_partitions` to set them), the same operators as NSGA-II."""

    name: ClassVar[str] = "nsga3"
    n_partitions: int | None = None

    def algorithm(self, n_obj: int) -> Algorithm:
        partitions = self.n_partitions or das_dennis_partitions(n_obj, self.pop_size)
        directions = get_reference_directions("das-dennis", n_obj, n_partitions=partitions)
        return NSGA3(ref_dirs=directions, pop_size=max(self.pop_size, len(directions)), sampling=LHS(),
                     selection=TournamentSelection(func_comp=_compare_by_cv_then_random),
                     crossover=SBX(prob=0.9, eta=15), mutation=PM(eta=20), eliminate_duplicates=True)


def _compare_by_cv_then_random(pop: Population, P: np.ndarray, **kwargs: Any) -> np.ndarray:
    """NSGA-III's own tournament (pymoo's `comp_by_cv_then_random`), behind a module-level name.

    pymoo's function is wrapped by a decorator-local closure, which pickle cannot store; this one pickles
    by reference, so NSGA-III's state checkpoints like NSGA-II's. Same function, same draws.
    """
    return comp_by_cv_then_random(pop, P, **kwargs)


@dataclass(frozen=True)
class AutoSearch(Evolutionary):
    """NSGA-II for two objectives, NSGA-III for three or more, with this budget."""

    name: ClassVar[str] = "auto"

    def algorithm(self, n_obj: int) -> Algorithm:
        chosen = NSGA2Search if n_obj <= 2 else NSGA3Search
        return chosen(self.pop_size, self.n_gen, self.checkpoint, self.prune).algorithm(n_obj)


def das_dennis_partitions(n_obj: int, pop_size: int) -> int:
    """The most Das-Dennis partitions p whose C(p + n_obj - 1, n_obj - 1) directions fit in pop_size (at least 1)."""
    p = 1
    while comb(p + 1 + n_obj - 1, n_obj - 1) <= pop_size:
        p += 1
    return p


@dataclass(frozen=True)
class FixedBatches(SearchMethod):
    """Every candidate fixed in advance (no evolution), evaluated pop_size at a time."""

    @abstractmethod
    def candidates(self, policy: RankingPolicy, xl: np.ndarray, xu: np.ndarray, n_levels: int, seed: int) -> np.ndarray:
        """All pop_size x n_gen candidates (rows), over the candidate space with bounds xl, xu."""


@dataclass(frozen=True)
class WeightGridSearch(FixedBatches):
    """The classic baseline: the objective weights swept on a grid (`weight_grid`), other variables at their defaults."""

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


SEARCH_METHODS: dict[str, type[SearchMethod]] = {
    m.name: m for m in (AutoSearch, NSGA2Search, NSGA3Search, WeightGridSearch, RandomSearch)
}


def weight_grid(policy: RankingPolicy, n_points: int) -> np.ndarray:
    """At most `n_points` candidates sweeping the policy's objective weights, other variables at defaults.

    Two scores (`w_satisfaction`): the weight uniformly on [0, 1], exactly `n_points` of them. n >= 3
    scores (`weight_u1`, ..., sorted-uniform variables, `ranking.k_scores`): the Das-Dennis lattice of the
    simplex with the most points not above `n_points`, each weight vector w mapped to its variables
    u_j = w_1 + ... + w_j (every vertex and the centre's neighbourhood included).
    """
    names = policy.var_names
    if "w_satisfaction" in names:
        X = np.tile(policy.defaults, (n_points, 1))
        X[:, names.index("w_satisfaction")] = np.linspace(0.0, 1.0, n_points)
        return X
    u_names = [n for n in names if n.startswith("weight_u")]
    if not u_names:
        raise ValueError(f"a weight grid needs a policy with objective weights, not variables {names}")
    n_weights = len(u_names) + 1
    weights = get_reference_directions("das-dennis", n_weights, n_partitions=das_dennis_partitions(n_weights, n_points))
    X = np.tile(policy.defaults, (len(weights), 1))
    u = np.clip(np.cumsum(weights, axis=1)[:, :-1], 0.0, 1.0)
    for j, name in enumerate(u_names):
        X[:, names.index(name)] = u[:, j]
    return X


def dense_grid(policy: RankingPolicy, points_per_var: int | tuple[int, ...]) -> np.ndarray:
    """Full-factorial grid over all of a policy's variables (the brute-force reference front)."""
    lower, upper = policy.bounds
    counts = np.broadcast_to(np.asarray(points_per_var), lower.shape)
    axes = [np.linspace(lo, hi, int(n)) for lo, hi, n in zip(lower, upper, counts)]
    return np.stack([a.ravel() for a in np.meshgrid(*axes, indexing="ij")], axis=1)
