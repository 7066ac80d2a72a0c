"""Pruned search tables give exactly the dense lists and fronts: planted ties, weight extremes, a trained model."""
import numpy as np
import pytest
import torch
from conftest import random_stage

from morec_pareto.ranking.policies import POLICIES, WeightedPolicy
from morec_pareto.ranking.prune import pruned_table, survivor_share
from morec_pareto.ranking.table import dense_table
from morec_pareto.search.algorithms import weight_grid
from morec_pareto.search.problem import PopulationEvaluator


def tied_stage(n_users: int = 9, n_items: int = 80, seed: int = 0):
    """Random scores where many items share relevance, P(buy) and price exactly (coarse grids), and duplicates."""
    data = random_stage(n_users, n_items, seed)
    rng = np.random.default_rng(seed)
    relevance = np.round(rng.normal(size=(n_users, n_items)) * 2) / 2
    purchase = rng.choice([0.05, 0.1, 0.2, 0.4], size=(n_users, n_items))
    price = rng.choice([5.0, 10.0, 20.0, 40.0], size=n_items)
    relevance[:, 10:20] = relevance[:, :10]  # exact duplicates of (relevance, P(buy)) at other ids
    purchase[:, 10:20] = purchase[:, :10]
    price[10:20] = price[:10]
    return type(data)(relevance=relevance.astype(np.float32), purchase=purchase.astype(np.float32), seen=data.seen,
                      targets=data.targets, target_bought=data.target_bought, price=price,
                      true_click=data.true_click, true_buy=data.true_buy)


def candidates(policy, n: int, seed: int) -> np.ndarray:
    """Random candidates plus the grid sampler's points, which hit weights 0 and 1 exactly."""
    X = np.random.default_rng(seed).uniform(*policy.bounds, size=(n, len(policy.variables)))
    lo, hi = policy.bounds
    corners = np.array([lo, hi, np.where(np.arange(len(lo)) % 2 == 0, lo, hi), np.where(np.arange(len(lo)) % 2, lo, hi)])
    grid = weight_grid(policy, 12) if policy.var_names[0] == "w_satisfaction" else np.zeros((0, len(lo)))
    return np.concatenate([X, corners, grid])


def assert_same_lists(policy, X, data):
    dense = policy.rank_table(X, dense_table(data, policy.mask_seen))
    pruned_t = pruned_table(data, policy.k, policy.mask_seen, max_elements=4096)  # small chunks: several passes
    pruned = policy.rank_table(X, pruned_t)
    assert torch.equal(dense, pruned)
    return pruned_t


@pytest.mark.parametrize("name", sorted(POLICIES))
@pytest.mark.parametrize("mask_seen", [True, False])
@pytest.mark.parametrize("k", [1, 5])
def test_pruned_lists_equal_dense_lists_with_planted_ties(name, mask_seen, k):
    policy = POLICIES[name](k=k, mask_seen=mask_seen)
    for seed in range(3):
        data = tied_stage(seed=seed)
        table = assert_same_lists(policy, candidates(policy, 40, seed), data)
        assert table.width < data.n_items  # something was pruned


@pytest.mark.parametrize("name", sorted(POLICIES))
def test_pruned_lists_equal_dense_lists_on_a_trained_model(name, tiny_stages):
    valid, _ = tiny_stages
    policy = POLICIES[name](k=10, mask_seen=True)
    table = assert_same_lists(policy, candidates(policy, 60, 1), valid)
    assert survivor_share(table) < 0.5


def test_pruned_and_dense_evaluators_give_identical_fronts(tiny_stages):
    valid, _ = tiny_stages
    policy = WeightedPolicy(k=10, mask_seen=False)
    X = candidates(policy, 50, 2)
    objectives = ("oracle_ndcg", "oracle_revenue", "ndcg", "expected_revenue")
    F_pruned = PopulationEvaluator(policy, objectives, prune=True)(X, valid)
    F_dense = PopulationEvaluator(policy, objectives, prune=False)(X, valid)
    np.testing.assert_array_equal(F_pruned, F_dense)


def test_an_item_with_k_dominators_is_pruned_and_ties_follow_rank():
    # one user, K = 1: item 0 beats everything in relevance, P(buy) and price; items 1 and 2 are identical
    data = random_stage(1, 4, 0)
    data = type(data)(relevance=np.array([[3.0, 1.0, 1.0, 2.0]], np.float32),
                      purchase=np.array([[0.5, 0.2, 0.2, 0.1]], np.float32), seen=np.zeros((1, 4), bool),
                      targets=np.array([0]), target_bought=np.array([False]), price=np.array([10.0, 10.0, 10.0, 10.0]))
    table = pruned_table(data, k=1, mask_seen=True)
    kept = set(table.item[0][table.allowed[0]].tolist())
    assert kept == {0}  # 1, 2 and 3 each have item 0 above them in all three scores
    table2 = pruned_table(data, k=2, mask_seen=True)
    kept2 = set(table2.item[0][table2.allowed[0]].tolist())
    # item 1 ties item 2 exactly and ranks first (lower id): item 2 has dominators 0 and 1
    assert kept2 == {0, 1, 3}
