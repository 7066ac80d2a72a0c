"""The vectorised pymoo Problem: a population of ranking policies scored on a cached stage in one pass."""
from __future__ import annotations

import numpy as np
from pymoo.core.problem import Problem

from morec_pareto.objectives.registry import evaluate_lists
from morec_pareto.ranking.policies import RankingPolicy
from morec_pareto.report.indicators import to_minimisation
from morec_pareto.types import StageData


def evaluate_population(
    policy: RankingPolicy, X: np.ndarray, data: StageData, objectives: tuple[str, ...], max_elements: int = 2**25
) -> np.ndarray:
    """Mean objective values (P, n_obj), natural units, of every candidate in X over all users.

    Users are processed in chunks so that the (P, users, items) arrays hold at most `max_elements`.
    """
    X = np.atleast_2d(X)
    chunk = max(1, max_elements // (len(X) * data.n_items * policy.memory_factor))
    total = np.zeros((len(X), len(objectives)))
    for start in range(0, data.n_users, chunk):
        part = data.rows(slice(start, start + chunk))
        total += evaluate_lists(policy.rank(X, part), part, objectives)
    return total / data.n_users


class RankingProblem(Problem):
    """pymoo Problem over a ranking policy's variables; F is the negated mean objectives.

    Every evaluated batch is kept in `log` (X, F natural units) for the evaluations table.
    """

    def __init__(self, policy: RankingPolicy, data: StageData, objectives: tuple[str, ...]) -> None:
        xl, xu = policy.bounds
        super().__init__(n_var=len(xl), n_obj=len(objectives), xl=xl, xu=xu)
        self.policy, self.data, self.objectives = policy, data, objectives
        self.log: list[tuple[np.ndarray, np.ndarray]] = []

    def _evaluate(self, X: np.ndarray, out: dict, *args, **kwargs) -> None:
        F = evaluate_population(self.policy, X, self.data, self.objectives)
        self.log.append((np.array(X, dtype=float), F))
        out["F"] = to_minimisation(F)

    def __getstate__(self) -> dict:
        # Checkpoints hold the search state, not the cached score tables (re-attached on resume).
        state = self.__dict__.copy()
        state["data"] = None
        return state
