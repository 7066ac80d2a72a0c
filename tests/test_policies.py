"""Ranking policies: the vectorised population pass equals a plain per-candidate, per-user loop."""
import numpy as np
import pytest
from conftest import random_stage
from pymoo.util.nds.non_dominated_sorting import NonDominatedSorting

from morec_pareto.objectives.registry import evaluate_lists
from morec_pareto.ranking.policies import (
    EpsilonConstraintPolicy,
    ParetoLayerPolicy,
    TchebycheffPolicy,
    WeightedPolicy,
    pool_size,
)
from morec_pareto.search.problem import evaluate_population


def _loop_scalarised(x, data, k, mask_seen, combine):
    """Plain per-user reference of the weighted and Tchebycheff policies: combine(w, sat, rev) -> score."""
    w, alpha, tau, frac = x
    n_pool = pool_size(np.array([frac]), k, data.n_items)[0]
    lists = []
    for u in range(data.n_users):
        rel = data.relevance[u].astype(float)
        sat = np.exp((rel - rel.max()) / tau)
        rev = data.purchase[u] * data.price**alpha
        rev = rev / rev.max()
        score = combine(w, sat, rev)
        unseen = [i for i in range(data.n_items) if not (mask_seen and data.seen[u, i])]
        allowed = sorted(unseen, key=lambda i: (-rel[i], i))[:n_pool]
        lists.append(sorted(allowed, key=lambda i: (-score[i], i))[:k])
    return np.array(lists)


def _loop_weighted(x, data, k, mask_seen):
    return _loop_scalarised(x, data, k, mask_seen, lambda w, sat, rev: w * sat + (1 - w) * rev)


def _loop_layers(x, data, k, mask_seen):
    alpha, frac = x
    n_pool = pool_size(np.array([frac]), k, data.n_items)[0]
    lists = []
    for u in range(data.n_users):
        rel = data.relevance[u].astype(float)
        rev = np.log(data.purchase[u].astype(float)) + alpha * np.log(data.price)
        unseen = [i for i in range(data.n_items) if not (mask_seen and data.seen[u, i])]
        by_rel = sorted(unseen, key=lambda i: (-rel[i], i))
        cand = by_rel[:n_pool]
        F = -np.stack([rel[cand], rev[cand]], axis=1)
        layer = np.empty(len(cand), int)
        for level, front in enumerate(NonDominatedSorting().do(F)):
            layer[front] = level
        position = {i: p for p, i in enumerate(by_rel)}
        lists.append(sorted(cand, key=lambda i: (layer[cand.index(i)], position[i]))[:k])
    return np.array(lists)


@pytest.mark.parametrize("mask_seen", [True, False])
def test_weighted_population_equals_loop(mask_seen):
    data = random_stage(n_users=6, n_items=40, seed=1)
    policy = WeightedPolicy(k=5, mask_seen=mask_seen)
    X = np.random.default_rng(2).uniform(*policy.bounds, size=(9, 4))
    lists = policy.rank(X, data)
    assert lists.shape == (9, 6, 5)
    for p, x in enumerate(X):
        np.testing.assert_array_equal(lists[p], _loop_weighted(x, data, 5, mask_seen))


@pytest.mark.parametrize("mask_seen", [True, False])
def test_pareto_layers_population_equals_loop(mask_seen):
    data = random_stage(n_users=5, n_items=35, seed=3)
    policy = ParetoLayerPolicy(k=6, mask_seen=mask_seen)
    X = np.random.default_rng(4).uniform(*policy.bounds, size=(7, 2))
    lists = policy.rank(X, data)
    for p, x in enumerate(X):
        np.testing.assert_array_equal(lists[p], _loop_layers(x, data, 6, mask_seen))


def test_chunked_population_evaluation_equals_one_pass():
    data = random_stage(n_users=23, n_items=30, seed=5)
    policy = WeightedPolicy(k=4)
    X = np.random.default_rng(6).uniform(*policy.bounds, size=(5, 4))
    names = ("ndcg", "expected_revenue", "oracle_ndcg", "oracle_revenue")
    whole = evaluate_lists(policy.rank(X, data), data, names) / data.n_users
    chunked = evaluate_population(policy, X, data, names, max_elements=5 * 30 * 4)  # 4 users a chunk
    np.testing.assert_allclose(chunked, whole, rtol=1e-10)


def test_weight_extremes_trade_satisfaction_for_revenue():
    data = random_stage(n_users=50, n_items=60, seed=7)
    policy = WeightedPolicy(k=5)
    X = np.array([[1.0, 1.0, 1.0, 1.0], [0.0, 1.0, 1.0, 1.0]])
    F = evaluate_population(policy, X, data, ("oracle_ndcg", "expected_revenue"))
    assert F[1, 1] > F[0, 1]  # revenue-only ranking earns more expected revenue
    lists = policy.rank(X[:1], data)[0]
    masked_rel = np.where(data.seen, -np.inf, data.relevance)
    np.testing.assert_array_equal(lists[:, 0], masked_rel.argmax(axis=1))  # w = 1: top item by relevance


def test_masked_lists_never_repeat_seen_items():
    data = random_stage(n_users=10, n_items=25, seed=8)
    for policy in (WeightedPolicy(k=5), ParetoLayerPolicy(k=5)):
        X = np.random.default_rng(0).uniform(*policy.bounds, size=(4, len(policy.variables)))
        lists = policy.rank(X, data)
        assert not np.take_along_axis(np.broadcast_to(data.seen, (4,) + data.seen.shape), lists, axis=2).any()
        assert all(len(set(row)) == 5 for row in lists.reshape(-1, 5))


def test_wrong_number_of_variables_is_refused():
    with pytest.raises(ValueError, match="expects 2 variables"):
        ParetoLayerPolicy().rank(np.zeros((1, 3)), random_stage())


def _loop_tchebycheff(x, data, k, mask_seen):
    return _loop_scalarised(x, data, k, mask_seen, lambda w, sat, rev: -np.maximum(w * (1 - sat), (1 - w) * (1 - rev)))


def _loop_epsilon(x, data, k, mask_seen):
    eps, alpha, frac = x
    n_pool = pool_size(np.array([frac]), k, data.n_items)[0]
    lists = []
    for u in range(data.n_users):
        rel = data.relevance[u].astype(float)
        rev = data.purchase[u] * data.price**alpha
        rev = rev / rev.max()
        unseen = [i for i in range(data.n_items) if not (mask_seen and data.seen[u, i])]
        pool = sorted(unseen, key=lambda i: (-rel[i], i))[:n_pool]
        lists.append(sorted(pool, key=lambda i: (rev[i] < eps, -rel[i], i))[:k])
    return np.array(lists)


@pytest.mark.parametrize("policy_cls, loop", [(TchebycheffPolicy, _loop_tchebycheff), (EpsilonConstraintPolicy, _loop_epsilon)])
def test_decomposition_and_constraint_policies_equal_loop(policy_cls, loop):
    data = random_stage(n_users=6, n_items=30, seed=9)
    policy = policy_cls(k=5)
    X = np.random.default_rng(10).uniform(*policy.bounds, size=(6, len(policy.variables)))
    lists = policy.rank(X, data)
    for p, x in enumerate(X):
        np.testing.assert_allclose(lists[p], loop(x, data, 5, True))


def test_tchebycheff_with_full_weight_ranks_by_relevance():
    data = random_stage(n_users=8, n_items=20, seed=11)
    lists = TchebycheffPolicy(k=3, mask_seen=False).rank(np.array([[1.0, 1.0, 1.0, 1.0]]), data)[0]
    np.testing.assert_array_equal(lists, np.argsort(-data.relevance, axis=1, kind="stable")[:, :3])
