"""The found front re-scored on held-out data: test objectives, realised revenue, catalogue coverage, a configured
operating point."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from morec_pareto.objectives.registry import directions
from morec_pareto.scoring.sources import ScoreSource
from morec_pareto.search.problem import PopulationEvaluator, evaluate_candidates
from morec_pareto.search.run import SearchResult
from morec_pareto.types import Stage, StageData


@dataclass(frozen=True)
class HeldOutScores:
    """The front's rows (by validation satisfaction, best first) and their held-out values."""

    order: np.ndarray  # rows of the search's evaluations that form the front
    test_F: np.ndarray  # (n_front, n_obj) the search's objectives on test
    realised: np.ndarray  # (n_front, 2) realised revenue of held-out purchases on (validation, test)
    operating_point: dict | None  # a configured `policy_point` re-scored on validation and test
    coverage: np.ndarray | None = None  # (n_front,) share of the catalogue in some user's test top-K list


def score_front(result: SearchResult, evaluator: PopulationEvaluator, source: ScoreSource,
                policy_point: dict | None = None) -> HeldOutScores:
    """Re-score the front's candidates on test (and their realised revenue on validation and test, and
    their catalogue coverage on test)."""
    front_mask = result.front_mask
    best_first = -result.F[front_mask, 0] * directions(evaluator.objectives)[0]  # the first objective, best first
    order = np.flatnonzero(front_mask)[np.argsort(best_first, kind="stable")]
    X = result.X[order]
    with_realised = (*evaluator.objectives, "realised_revenue")
    test_F = evaluate_candidates(evaluator, source, X, Stage.TEST, with_realised)
    realised = np.stack([evaluate_candidates(evaluator, source, X, Stage.VALID, ("realised_revenue",))[:, 0],
                         test_F[:, -1]], axis=1)
    point = None if policy_point is None else operating_point(policy_point, evaluator, source, result.var_names)
    coverage = candidate_coverage(evaluator, source, X, Stage.TEST)
    return HeldOutScores(order, test_F[:, :-1], realised, point, coverage)


def catalogue_coverage(lists: np.ndarray, n_items: int) -> np.ndarray:
    """Share of the catalogue in at least one user's list, per candidate: (P, U, K) item ids -> (P,).

    coverage_p = |U_u {items of L_pu}| / I. A union over users, not a mean: it does not add up over
    users (so it is no search objective), and chunks of users combine by `listed_items`, not by summing.
    """
    return listed_items(lists, n_items).mean(axis=1)


def listed_items(lists: np.ndarray, n_items: int) -> np.ndarray:
    """(P, I) bool: item i is in some user's list of candidate p, for lists (P, U, K) of item ids."""
    listed = np.zeros((lists.shape[0], n_items), dtype=bool)
    listed[np.arange(lists.shape[0])[:, None], lists.reshape(lists.shape[0], -1)] = True
    return listed


def candidate_coverage(evaluator: PopulationEvaluator, source: ScoreSource, X: np.ndarray,
                       stage: Stage = Stage.TEST) -> np.ndarray:
    """Catalogue coverage (P,) of candidates X on `stage`, ranked as the evaluator ranks them (one pass per
    model-side weight level, users in the evaluator's chunks)."""
    which = 0 if stage is Stage.VALID else 1
    if not source.n_levels:
        return _coverage(evaluator, X, source.stages(0)[which])
    level_ids = source.level_index(X[:, 0])
    source.prepare(level_ids)
    coverage = np.empty(len(X))
    for level in np.unique(level_ids):
        rows = level_ids == level
        coverage[rows] = _coverage(evaluator, X[rows, 1:], source.stages(int(level))[which])
    return coverage


def _coverage(evaluator: PopulationEvaluator, X: np.ndarray, data: StageData) -> np.ndarray:
    """Coverage (P,) on one stage's data, from the lists the evaluator ranks (its cached table)."""
    listed = np.zeros((len(X), data.n_items), dtype=bool)
    for _, lists in evaluator.lists(X, data):
        listed |= listed_items(lists, data.n_items)
    return listed.mean(axis=1)


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
