"""Search: NSGA-II against a brute-force front, history, baselines, checkpoint and resume."""
import pickle

import numpy as np
import pytest

from morec_pareto.ranking.policies import ParetoLayerPolicy, WeightedPolicy
from morec_pareto.report.indicators import best_point_share, hypervolume, nadir_reference_point, nondominated_mask
from morec_pareto.search.algorithms import NSGA2Search, NSGA3Search, WeightGridSearch, dense_grid, weight_grid
from morec_pareto.search.problem import RankingProblem, evaluate_population
from morec_pareto.search.run import run_search

ORACLE = ("oracle_ndcg", "oracle_revenue")
REF = np.zeros(2)


def test_nsga2_front_against_a_brute_force_front_and_any_single_point(tiny_stages):
    valid, _ = tiny_stages
    policy = WeightedPolicy(k=10)
    result = run_search(NSGA2Search(pop_size=40, n_gen=20), policy, valid, ORACLE, REF, seed=0, progress=False)
    grid = dense_grid(policy, (21, 9, 9, 9))  # 15,309 policies, 15x the NSGA-II budget
    F_grid = np.concatenate([evaluate_population(policy, X, valid, ORACLE) for X in np.array_split(grid, 16)])
    front_grid, front_nsga = F_grid[nondominated_mask(F_grid)], result.F[result.front_mask]
    # a point that measures the trade-off: the nadir of both fronts minus 10% of their range
    ref = nadir_reference_point(np.vstack([front_grid, front_nsga]), 0.1)
    hv_grid, hv_nsga = hypervolume(front_grid, ref), hypervolume(front_nsga, ref)
    # At this point more than one point carries the volume (0.85 for the best one on today's tiny model;
    # how much depends on the trained model's front, not on the search).
    assert best_point_share(front_grid, ref) < 0.95
    assert hv_nsga >= 0.95 * hv_grid, (hv_nsga, hv_grid)
    # the searched front adds most of what the brute-force trade-off adds beyond its best single point
    best_single = max(hypervolume(p[None], ref) for p in front_grid)
    assert hv_nsga - best_single >= 0.7 * (hv_grid - best_single), (hv_nsga, hv_grid, best_single)


@pytest.mark.parametrize("policy, search", [(WeightedPolicy, NSGA2Search), (ParetoLayerPolicy, NSGA2Search),
                                            (WeightedPolicy, WeightGridSearch)])
def test_strategies_log_every_evaluation_and_monotone_history(tiny_stages, policy, search):
    valid, _ = tiny_stages
    result = run_search(search(pop_size=8, n_gen=4), policy(k=10), valid, ORACLE, REF, seed=1, progress=False)
    hv = [h["hypervolume"] for h in result.history]
    assert len(hv) == 4 and all(b >= a for a, b in zip(hv, hv[1:]))
    assert result.history[-1]["n_evals"] == len(result.F) == len(result.generation)
    assert result.generation.min() == 1 and result.generation.max() == 4
    assert hv[-1] == pytest.approx(hypervolume(result.F[result.front_mask], REF))
    if search is WeightGridSearch:
        assert len(result.F) == 32 and np.allclose(np.diff(result.X[:, 0]), 1 / 31)


def test_weight_grid_holds_other_variables_at_defaults():
    X = weight_grid(WeightedPolicy(), 5)
    assert np.allclose(X[:, 0], [0, 0.25, 0.5, 0.75, 1]) and np.allclose(X[:, 1:], WeightedPolicy().defaults[1:])


@pytest.mark.parametrize("search, objectives, ref", [
    (NSGA2Search(pop_size=10, n_gen=6), ORACLE, REF),
    (NSGA3Search(pop_size=10, n_gen=6), (*ORACLE, "novelty"), np.zeros(3)),  # NSGA-III's state pickles too
])
def test_same_seed_same_front_and_resume_continues(tiny_stages, tmp_path, search, objectives, ref):
    valid, _ = tiny_stages
    policy = WeightedPolicy(k=10)
    kwargs = dict(seed=3, progress=False)
    full = run_search(search, policy, valid, objectives, ref, **kwargs)
    again = run_search(search, policy, valid, objectives, ref, **kwargs)
    np.testing.assert_array_equal(full.X, again.X)

    # a run killed during generation 4 resumes from its checkpoint without redoing generations 1-3
    ckpt = tmp_path / "checkpoint.pkl"
    calls = {"n": 0}
    original = RankingProblem._evaluate

    def dies_at_fourth_generation(self, X, out, *args, **kw):
        calls["n"] += 1
        if calls["n"] == 4:
            raise KeyboardInterrupt
        return original(self, X, out, *args, **kw)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(RankingProblem, "_evaluate", dies_at_fourth_generation)
        with pytest.raises(KeyboardInterrupt):
            run_search(search, policy, valid, objectives, ref, **kwargs, checkpoint=ckpt)
    with open(ckpt, "rb") as fh:
        algorithm = pickle.load(fh)
    assert algorithm.problem.source is None  # score tables are not pickled
    assert len(algorithm.problem.log) == 3
    resumed = run_search(search, policy, valid, objectives, ref, **kwargs, checkpoint=ckpt)
    assert [h["generation"] for h in resumed.history] == list(range(1, 7))
    seconds = [h["seconds"] for h in resumed.history]  # the resumed generations go on from the checkpoint's time
    assert all(b >= a for a, b in zip(seconds, seconds[1:])) and seconds[3] >= seconds[2] > 0
    assert len(resumed.F) == len(full.F)
    np.testing.assert_array_equal(resumed.X[: len(resumed.X) // 2], full.X[: len(full.X) // 2])
    assert resumed.history[-1]["hypervolume"] > 0


def test_indicators_by_hand():
    front = np.array([[3.0, 1.0], [2.0, 2.0], [1.0, 3.0]])
    assert hypervolume(front, np.zeros(2)) == pytest.approx(3 + 2 + 1)  # staircase of unit-wide rectangles
    assert hypervolume(np.array([[-1.0, 5.0]]), np.zeros(2)) == 0.0  # worse than the reference point
    F = np.array([[1.0, 1.0], [2.0, 0.5], [0.5, 0.5], [1.0, 1.0]])
    assert list(nondominated_mask(F)) == [True, True, False, False]
