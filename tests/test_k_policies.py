"""Policies over k per-item scores (novelty as a third column) and MMR re-ranking for diversity."""
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
import torch
from conftest import random_stage, run_cli
from hydra import compose, initialize_config_dir
from omegaconf import OmegaConf
from pymoo.util.nds.non_dominated_sorting import NonDominatedSorting

from morec_pareto.__main__ import CONF_DIR
from morec_pareto.objectives.beyond_accuracy import diversity, item_novelty
from morec_pareto.ranking.for_objectives import policy_for_objectives
from morec_pareto.ranking.k_scores import (
    KEpsilonConstraintPolicy,
    KParetoLayerPolicy,
    KTchebycheffPolicy,
    KWeightedPolicy,
    objective_scores,
    simplex_weights,
    weight_variables,
)
from morec_pareto.ranking.mmr import MMRPolicy
from morec_pareto.ranking.policies import (
    EpsilonConstraintPolicy,
    ParetoLayerPolicy,
    TchebycheffPolicy,
    WeightedPolicy,
    pool_size,
)
from morec_pareto.ranking.table import dense_table
from morec_pareto.report.indicators import nondominated_mask
from morec_pareto.run_config import policy_from_run_config, register_resolvers
from morec_pareto.search.algorithms import weight_grid
from morec_pareto.search.problem import PopulationEvaluator, evaluate_population
from morec_pareto.types import StageData

SAT_REV_NOV = ("oracle_ndcg", "oracle_revenue", "novelty")


def _stage(n_users=6, n_items=40, seed=0, n_categories=5):
    data = random_stage(n_users, n_items, seed)
    rng = np.random.default_rng(seed + 100)
    return replace(data, item_category=rng.integers(0, n_categories, n_items),
                   item_popularity=rng.integers(0, 30, n_items))


def _toy(relevance, price, counts, category=None):
    """One user, no seen items, P(buy) = 1: revenue is price^alpha, novelty comes from `counts`."""
    n = len(relevance)
    return StageData(relevance=np.array([relevance], np.float32), purchase=np.ones((1, n), np.float32),
                     seen=np.zeros((1, n), bool), targets=np.zeros(1, np.int64), target_bought=np.zeros(1, bool),
                     price=np.asarray(price, float), item_category=None if category is None else np.asarray(category),
                     item_popularity=np.asarray(counts))


# --- weights on the simplex -------------------------------------------------------------------------------

def test_sorted_uniforms_reach_every_vertex_and_the_centre_of_the_3_simplex():
    u = np.array([[0.0, 0.0], [1.0, 1.0], [0.0, 1.0], [1.0, 0.0], [0.25, 0.75], [0.75, 0.25], [0.5, 0.5]])
    expected = [[0, 0, 1], [1, 0, 0], [0, 1, 0], [0, 1, 0], [0.25, 0.5, 0.25], [0.25, 0.5, 0.25], [0.5, 0, 0.5]]
    np.testing.assert_array_equal(simplex_weights(u), np.array(expected, float))
    np.testing.assert_allclose(simplex_weights([[1 / 3, 2 / 3]]), [[1 / 3, 1 / 3, 1 / 3]], rtol=0, atol=1e-16)


def test_every_simplex_point_has_a_preimage_and_uniform_u_give_uniform_weights():
    w = np.random.default_rng(0).dirichlet(np.ones(4), size=200)
    np.testing.assert_allclose(simplex_weights(np.cumsum(w, axis=1)[:, :-1]), w, atol=1e-15)
    W = simplex_weights(np.random.default_rng(1).uniform(size=(40_000, 2)))
    assert (W >= 0).all() and np.allclose(W.sum(axis=1), 1.0)
    assert np.abs(W.mean(axis=0) - 1 / 3).max() < 0.01  # Dirichlet(1, 1, 1): every weight has mean 1/3
    assert abs((W[:, 0] > 0.5).mean() - 0.25) < 0.01  # and P(w_1 > 1/2) = (1/2)^2


def test_two_scores_reduce_to_w_satisfaction():
    assert weight_variables(2) == (WeightedPolicy.variables[0],)  # same name, bounds, default
    u = np.random.default_rng(2).uniform(size=50)
    W = simplex_weights(u[:, None])
    assert np.array_equal(W[:, 0], u) and np.array_equal(W[:, 1], 1.0 - u)
    assert [v.name for v in weight_variables(3)] == ["weight_u1", "weight_u2"]
    np.testing.assert_allclose(simplex_weights([[v.default for v in weight_variables(4)]]), [[0.25] * 4])


def test_runs_without_per_item_objectives_keep_the_two_score_policies():
    data = _stage()
    for cls in (WeightedPolicy, TchebycheffPolicy, EpsilonConstraintPolicy, ParetoLayerPolicy):
        policy = policy_for_objectives(cls, 5, True, ("oracle_ndcg", "oracle_revenue"), data)
        assert type(policy) is cls and policy.prunable
        assert type(policy_for_objectives(cls, 5, True)) is cls
    k_form = policy_for_objectives(WeightedPolicy, 5, True, SAT_REV_NOV, data)
    assert type(k_form) is KWeightedPolicy and not k_form.prunable
    assert not PopulationEvaluator(k_form, SAT_REV_NOV, prune=True).prune  # the dense fallback


# --- the k-score policies -----------------------------------------------------------------------------------

def _loop_k(x, data, k, combine):
    """Per-user float64 reference of the k-score weighted and Tchebycheff policies."""
    u1, u2, alpha, tau, frac = x
    w = simplex_weights([[u1, u2]])[0]
    nov = item_novelty(data.item_popularity)
    nov = nov / nov.max()
    n_pool = pool_size(np.array([frac]), k, data.n_items)[0]
    lists = []
    for u in range(data.n_users):
        rel = data.relevance[u].astype(float)
        rev = data.purchase[u] * data.price**alpha
        score = combine(w, [np.exp((rel - rel.max()) / tau), rev / rev.max(), nov])
        unseen = [i for i in range(data.n_items) if not data.seen[u, i]]
        pool = sorted(unseen, key=lambda i: (-rel[i], i))[:n_pool]
        position = {i: p for p, i in enumerate(pool)}
        lists.append(sorted(pool, key=lambda i: (-score[i], position[i]))[:k])
    return np.array(lists)


@pytest.mark.parametrize("configured, cls, combine", [
    (WeightedPolicy, KWeightedPolicy, lambda w, s: sum(wj * sj for wj, sj in zip(w, s))),
    (TchebycheffPolicy, KTchebycheffPolicy, lambda w, s: -np.max([wj * (1 - sj) for wj, sj in zip(w, s)], axis=0)),
])
def test_k_score_population_equals_loop(configured, cls, combine):
    data = _stage(seed=3)
    policy = policy_for_objectives(configured, 5, True, SAT_REV_NOV, data)
    assert type(policy) is cls and policy.var_names[:2] == ("weight_u1", "weight_u2")
    X = np.random.default_rng(4).uniform(*policy.bounds, size=(8, 5))
    X[:3, :2] = [[0, 0], [1, 1], [0, 1]]  # the vertices: novelty, satisfaction, revenue only
    lists = policy.rank(X, data)
    for p, x in enumerate(X):
        np.testing.assert_array_equal(lists[p], _loop_k(x, data, 5, combine))


def test_epsilon_constraint_with_two_bounds_on_a_hand_toy():
    # relevance order 0..5; revenue at alpha = 1 is price / 8; novelty is 1 for never-seen items, 0.34 else
    data = _toy([6, 5, 4, 3, 2, 1], [1, 2, 4, 8, 4, 2], [9, 0, 9, 0, 0, 9])
    policy = KEpsilonConstraintPolicy(k=3, mask_seen=False, scores=objective_scores(SAT_REV_NOV, data))
    assert policy.var_names == ("epsilon", "epsilon_novelty", "price_exponent", "pool_fraction")
    X = np.array([[0.4, 0.5, 1, 1], [0.4, 0, 1, 1], [0, 0.5, 1, 1], [0, 0, 1, 1], [1, 1, 1, 1]])
    # eligible: {3, 4} (both bounds), {2, 3, 4} (revenue), {1, 3, 4} (novelty), all, {3}; then relevance order
    expected = [[3, 4, 0], [2, 3, 4], [1, 3, 4], [0, 1, 2], [3, 0, 1]]
    np.testing.assert_array_equal(policy.rank(X, data)[:, 0], expected)


def test_pareto_layers_over_three_scores_on_a_hand_toy_with_ties():
    # items 0 and 1 tie in relevance (item 0 ranks first) and in every score: 0 dominates 1;
    # 3 and 4 tie in revenue and novelty: 3 dominates 4; 5 is dominated by 0, 1 (layer 1) and 2
    data = _toy([5, 5, 4, 3, 2, 1], [1, 1, 4, 2, 2, 1], [9, 9, 9, 0, 0, 9])
    scores = objective_scores(SAT_REV_NOV, data)
    X = np.array([[1.0, 1.0]])
    layers = KParetoLayerPolicy(k=6, mask_seen=False, scores=scores).layers(X, dense_table(data, False))
    np.testing.assert_array_equal(layers[0, 0], [0, 1, 0, 0, 1, 2])
    np.testing.assert_array_equal(KParetoLayerPolicy(k=5, mask_seen=False, scores=scores).rank(X, data)[0, 0],
                                  [0, 2, 3, 1, 4])
    # without novelty, 2 dominates 3 and 3 dominates 4: the two-score layers differ
    np.testing.assert_array_equal(ParetoLayerPolicy(k=5, mask_seen=False).rank(X, data)[0, 0], [0, 2, 1, 3, 4])


@pytest.mark.parametrize("mask_seen", [True, False])
def test_pareto_layers_over_three_scores_equal_pymoo_non_dominated_sorting(mask_seen):
    data = _stage(n_users=5, n_items=30, seed=5)
    policy = KParetoLayerPolicy(k=6, mask_seen=mask_seen, scores=objective_scores(SAT_REV_NOV, data))
    X = np.random.default_rng(6).uniform(*policy.bounds, size=(5, 2))
    table = dense_table(data, mask_seen)
    nov = objective_scores(SAT_REV_NOV, data).values[0].astype(np.float32)
    lists = policy.rank(X, data)
    for p, (alpha, frac) in enumerate(X):
        n_pool = pool_size(np.array([frac]), 6, data.n_items)[0]
        log_rev = table.log_revenue(torch.tensor([alpha], dtype=torch.float32)).numpy()[0]
        for u in range(data.n_users):
            cols = np.flatnonzero(table.pool_rank[u].numpy() < n_pool)  # the pool, in relevance order
            F = -np.stack([-cols, log_rev[u, cols], nov[table.item[u, cols].numpy()]], axis=1)
            layer = np.empty(len(cols), int)
            for level, front in enumerate(NonDominatedSorting().do(F)):
                layer[front] = level
            best = cols[np.lexsort((cols, layer))][:6]
            np.testing.assert_array_equal(lists[p, u], table.item[u, best].numpy())


def test_two_score_pareto_layers_form_equals_the_pareto_layer_policy():
    data = _stage(n_users=6, n_items=35, seed=7)
    k_form = KParetoLayerPolicy(k=6, mask_seen=True, scores=objective_scores(("oracle_ndcg", "oracle_revenue"), data))
    X = np.random.default_rng(8).uniform(*k_form.bounds, size=(6, 2))
    np.testing.assert_array_equal(k_form.rank(X, data), ParetoLayerPolicy(k=6, mask_seen=True).rank(X, data))


# --- MMR ------------------------------------------------------------------------------------------------------

def test_mmr_on_a_hand_toy():
    data = _toy([0, -0.1, -0.2, -0.3, -2, -3], [1] * 6, [0] * 6, category=[0, 0, 0, 1, 1, 2])
    policy = policy_for_objectives(WeightedPolicy, 3, False, ("oracle_ndcg", "oracle_revenue", "diversity"), data)
    assert isinstance(policy, MMRPolicy) and policy.var_names[-1] == "mmr_lambda" and not policy.prunable
    X = np.array([[1.0, 1.0, 1.0, 1.0, lam] for lam in (0.0, 0.1, 0.5, 1.0)])  # satisfaction only
    lists = policy.rank(X, data)[:, 0]
    # lambda 0.1: 0.9 * 0.905 - 0.1 > 0.9 * 0.741 picks item 1, then 0.9 * 0.741 > 0.9 * 0.819 - 0.1 picks 3
    np.testing.assert_array_equal(lists, [[0, 1, 2], [0, 1, 3], [0, 3, 5], [0, 3, 5]])
    np.testing.assert_allclose(diversity(lists[:, None], data)[:, 0], [0, 2 / 3, 1, 1])


@pytest.mark.parametrize("cls", [WeightedPolicy, TchebycheffPolicy, EpsilonConstraintPolicy, ParetoLayerPolicy])
@pytest.mark.parametrize("objectives", [("oracle_ndcg", "diversity"), ("oracle_ndcg", "novelty", "diversity")])
def test_mmr_at_lambda_zero_is_the_base_list_and_lambda_raises_diversity(cls, objectives):
    data = _stage(n_users=8, n_items=40, seed=9, n_categories=8)
    policy = policy_for_objectives(cls, 6, True, objectives, data)
    assert isinstance(policy, MMRPolicy)
    X = np.random.default_rng(10).uniform(*policy.bounds, size=(6, len(policy.variables)))
    X[:, -1] = 0.0
    np.testing.assert_array_equal(policy.rank(X, data), policy.base.rank(X[:, :-1], data))
    if cls is not ParetoLayerPolicy:  # a MMR-free base with the same variables gives the same lists
        base = policy_for_objectives(cls, 6, True, objectives[:-1], data)
        np.testing.assert_array_equal(policy.rank(X, data), base.rank(X[:, :-1], data))
    X[:, -2] = 1.0  # pool_fraction (the last base variable): the whole catalogue as the pool
    X[:, -1] = 1.0  # every user's 6 items from 6 different categories
    np.testing.assert_array_equal(evaluate_population(policy, X, data, ("diversity",))[:, 0], 1.0)
    X[:, -1] = 0.0
    assert evaluate_population(policy, X, data, ("diversity",))[:, 0].max() < 1.0


# --- runs -------------------------------------------------------------------------------------------------------

def _compose(*overrides):
    register_resolvers()
    with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
        return compose("config", overrides=list(overrides))


def test_a_novelty_run_config_ranks_on_the_novelty_score(tiny_stages):
    valid, _ = tiny_stages
    cfg = _compose("debug=tiny", f"objectives.names=[{','.join(SAT_REV_NOV)}]")
    policy = policy_from_run_config(cfg, 10, True, data=valid)
    assert type(policy) is KWeightedPolicy
    X = np.array([[0.0, 0.0, 1.0, 1.0, 1.0], [1.0, 1.0, 1.0, 1.0, 1.0]])  # all weight on novelty; on satisfaction
    F = evaluate_population(policy, X, valid, ("oracle_ndcg", "novelty"))
    assert F[0, 1] > F[1, 1] + 0.5 and F[1, 0] > F[0, 0]
    with pytest.raises(ValueError, match="need the stage data"):
        policy_from_run_config(cfg, 10, True)
    old = OmegaConf.create({"ranking": {"_target_": "morec_pareto.ranking.policies.WeightedPolicy"}})
    assert type(policy_from_run_config(old, 10, True)) is WeightedPolicy  # saved configs without objectives


def test_a_three_objective_run_with_diversity_writes_a_front(tmp_path):
    names = ("oracle_ndcg", "oracle_revenue", "diversity")
    run_cli("debug=tiny", "threads=1", f"objectives.names=[{','.join(names)}]", f"hydra.run.dir={tmp_path}")
    front = pd.read_csv(tmp_path / "front.csv")
    assert {"w_satisfaction", "mmr_lambda", "diversity", "test_diversity"} <= set(front.columns)
    assert len(front) > 1 and nondominated_mask(front[list(names)].to_numpy(), names).all()
    evaluations = pd.read_csv(tmp_path / "evaluations.csv")
    high = evaluations["mmr_lambda"] > 0.5
    assert evaluations.loc[high, "diversity"].mean() > evaluations.loc[~high, "diversity"].mean()


def test_weight_grid_spans_the_simplex_of_three_weights():
    policy = KWeightedPolicy(k=10, scores=objective_scores(SAT_REV_NOV, _stage()))
    X = weight_grid(policy, 40)  # Das-Dennis with 7 partitions: C(9, 2) = 36 points
    weights = simplex_weights(X[:, [policy.var_names.index(n) for n in ("weight_u1", "weight_u2")]])
    assert len(X) == 36 <= 40
    assert np.allclose(weights.sum(axis=1), 1.0) and (weights >= -1e-12).all()
    for vertex in np.eye(3):
        assert np.isclose(weights, vertex).all(axis=1).any()
    others = [i for i, n in enumerate(policy.var_names) if not n.startswith("weight_u")]
    assert (X[:, others] == policy.defaults[others]).all()


def test_a_novelty_run_with_the_weight_grid_writes_a_front(tmp_path):
    run_cli("debug=tiny", "threads=1", "search=grid", f"objectives.names=[{','.join(SAT_REV_NOV)}]",
            f"hydra.run.dir={tmp_path}")
    evaluations = pd.read_csv(tmp_path / "evaluations.csv")
    assert {"weight_u1", "weight_u2"} <= set(evaluations.columns) and len(pd.read_csv(tmp_path / "front.csv")) > 1
