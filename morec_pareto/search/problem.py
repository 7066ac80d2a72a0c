"""The vectorised pymoo Problem: a population of ranking policies scored on a cached stage in one pass."""
from __future__ import annotations

import numpy as np
from pymoo.core.problem import Problem

from morec_pareto.objectives.registry import evaluate_lists
from morec_pareto.ranking.policies import RankingPolicy
from morec_pareto.report.indicators import to_minimisation
from morec_pareto.search.sources import ScoreSource
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


LAMBDA = "lambda_satisfaction"  # the model-side weight: loss weight or preference of satisfaction


def candidate_space(policy: RankingPolicy, source: ScoreSource) -> tuple[tuple[str, ...], np.ndarray, np.ndarray]:
    """Variable names and bounds of a candidate: [lambda_satisfaction] when the source has levels, then the policy's."""
    xl, xu = policy.bounds
    if not source.n_levels:
        return policy.var_names, xl, xu
    return (LAMBDA, *policy.var_names), np.concatenate([[0.0], xl]), np.concatenate([[1.0], xu])


def evaluate_candidates(
    policy: RankingPolicy, source: ScoreSource, X: np.ndarray, objectives: tuple[str, ...], stage: str = "valid",
) -> np.ndarray:
    """Mean objectives (P, n_obj) of candidates X on `stage`; one batched pass per model-side weight level."""
    X = np.atleast_2d(np.asarray(X, dtype=float))
    which = 0 if stage == "valid" else 1
    if not source.n_levels:
        return evaluate_population(policy, X, source.stages(0)[which], objectives)
    level_ids = source.level_index(X[:, 0])
    source.prepare(level_ids)
    F = np.empty((len(X), len(objectives)))
    for level in np.unique(level_ids):  # a loop over models (at most n_levels), not candidates
        rows = level_ids == level
        F[rows] = evaluate_population(policy, X[rows, 1:], source.stages(int(level))[which], objectives)
    return F


class RankingProblem(Problem):
    """pymoo Problem over a candidate's variables; F is the negated mean objectives on validation.

    Every evaluated batch is kept in `log` (X, F natural units) for the evaluations table.
    """

    def __init__(self, policy: RankingPolicy, source: ScoreSource, objectives: tuple[str, ...]) -> None:
        self.var_names, xl, xu = candidate_space(policy, source)
        super().__init__(n_var=len(xl), n_obj=len(objectives), xl=xl, xu=xu)
        self.policy, self.source, self.objectives = policy, source, objectives
        self.log: list[tuple[np.ndarray, np.ndarray]] = []

    def _evaluate(self, X: np.ndarray, out: dict, *args, **kwargs) -> None:
        F = evaluate_candidates(self.policy, self.source, X, self.objectives)
        self.log.append((np.array(X, dtype=float), F))
        out["F"] = to_minimisation(F)

    def __getstate__(self) -> dict:
        # Checkpoints hold the search state, not the score tables or models (re-attached on resume).
        state = self.__dict__.copy()
        state["source"] = None
        return state
