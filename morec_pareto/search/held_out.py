"""The found front re-scored on held-out data: test objectives, realised revenue, a configured operating point."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from morec_pareto.objectives.registry import directions
from morec_pareto.scoring.sources import ScoreSource
from morec_pareto.search.problem import PopulationEvaluator, evaluate_candidates
from morec_pareto.search.run import SearchResult
from morec_pareto.types import Stage


@dataclass(frozen=True)
class HeldOutScores:
    """The front's rows (by validation satisfaction, best first) and their held-out values."""

    order: np.ndarray  # rows of the search's evaluations that form the front
    test_F: np.ndarray  # (n_front, n_obj) the search's objectives on test
    realised: np.ndarray  # (n_front, 2) realised revenue of held-out purchases on (validation, test)
    operating_point: dict | None  # a configured `policy_point` re-scored on validation and test


def score_front(result: SearchResult, evaluator: PopulationEvaluator, source: ScoreSource,
                policy_point: dict | None = None) -> HeldOutScores:
    """Re-score the front's candidates on test (and their realised revenue on validation and test)."""
    front_mask = result.front_mask
    best_first = -result.F[front_mask, 0] * directions(evaluator.objectives)[0]  # the first objective, best first
    order = np.flatnonzero(front_mask)[np.argsort(best_first, kind="stable")]
    X = result.X[order]
    with_realised = (*evaluator.objectives, "realised_revenue")
    test_F = evaluate_candidates(evaluator, source, X, Stage.TEST, with_realised)
    realised = np.stack([evaluate_candidates(evaluator, source, X, Stage.VALID, ("realised_revenue",))[:, 0],
                         test_F[:, -1]], axis=1)
    point = None if policy_point is None else operating_point(policy_point, evaluator, source, result.var_names)
    return HeldOutScores(order, test_F[:, :-1], realised, point)


def operating_point(point: dict, evaluator: PopulationEvaluator, source: ScoreSource,
                    var_names: tuple[str, ...]) -> dict:
    """Re-score a configured `policy_point` (e.g. an exported knee) on validation and test."""
    missing = [n for n in var_names if n not in point]
    if missing:
        raise ValueError(f"policy_point: missing variable(s) {missing} of this strategy ({list(var_names)})")
    x = np.array([[float(point[n]) for n in var_names]])
    valid_F = evaluate_candidates(evaluator, source, x, Stage.VALID)[0]
    test_F = evaluate_candidates(evaluator, source, x, Stage.TEST)[0]
    out: dict = {"variables": {n: float(point[n]) for n in var_names}}
    if len(valid_F) == 2:
        out.update(satisfaction=float(valid_F[0]), revenue=float(valid_F[1]), test_satisfaction=float(test_F[0]),
                   test_revenue=float(test_F[1]))
    for j, name in enumerate(evaluator.objectives):
        out[name], out[f"test_{name}"] = float(valid_F[j]), float(test_F[j])
    return out
