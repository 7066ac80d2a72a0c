"""Pruned search tables give exactly the dense lists and fronts: planted ties, weight extremes, a trained model."""
import numpy as np
import pytest
import torch
from conftest import random_stage

from morec_pareto.ranking.bands import BandedTable, _band_counts, band_edges
from morec_pareto.ranking.policies import POLICIES, WeightedPolicy
from morec_pareto.ranking.prune import pruned_table, survivor_share
from morec_pareto.ranking.table import CandidateTable, dense_table
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


def banded_lists(policy, X, data, bands: int = 16):
    """Lists of the evaluator's banded pruned table (each candidate on its price-exponent band's table)."""
    evaluator = PopulationEvaluator(policy, ("oracle_ndcg",), prune=True, bands=bands)
    table = evaluator.table(data)
    assert isinstance(table, BandedTable) and len(table.tables) > 1
    return evaluator._rank(X, table), table


def at_band_edges(policy, X: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Copies of X with the price exponent exactly on every band edge (alpha = 2 h)."""
    col = policy.var_names.index("price_exponent")
    out = X[: len(edges)].copy()
    out[:, col] = 2.0 * edges.astype(np.float64)[: len(out)]
    return np.concatenate([X, out])


@pytest.mark.parametrize("name", sorted(POLICIES))
@pytest.mark.parametrize("mask_seen", [True, False])
@pytest.mark.parametrize("k", [1, 5])
def test_banded_lists_equal_dense_lists_with_planted_ties_and_band_edges(name, mask_seen, k):
    policy = POLICIES[name](k=k, mask_seen=mask_seen)
    for seed in range(3):
        data = tied_stage(seed=seed)
        X = candidates(policy, 40, seed)
        _, table = banded_lists(policy, X, data)
        X = at_band_edges(policy, X, table.edges)
        banded, _ = banded_lists(policy, X, data)
        assert torch.equal(banded, policy.rank_table(X, dense_table(data, mask_seen)))


def test_banded_lists_equal_dense_lists_where_revenue_orders_cross_inside_bands():
    # Prices on a fine grid and P(buy) chosen so that many pairs swap revenue order at some alpha:
    # b_j p_j^alpha = b_i p_i^alpha at alpha = log(b_i / b_j) / log(p_j / p_i), often inside a band.
    rng = np.random.default_rng(5)
    data = random_stage(30, 300, 5)
    price = np.exp(rng.uniform(0.0, 3.0, 300))
    purchase = np.exp(-rng.uniform(0.0, 3.0, (30, 300))).astype(np.float32)
    data = type(data)(relevance=data.relevance, purchase=purchase, seen=data.seen, targets=data.targets,
                      target_bought=data.target_bought, price=price, true_click=data.true_click, true_buy=data.true_buy)
    policy = WeightedPolicy(k=10)
    X = candidates(policy, 300, 5)
    banded, table = banded_lists(policy, X, data)
    widths = [t.width for t in table.tables]
    assert max(widths) < pruned_table(data, 10, True).width  # each band is narrower than the whole range
    assert torch.equal(banded, policy.rank_table(X, dense_table(data, True)))


@pytest.mark.parametrize("name", sorted(POLICIES))
def test_banded_lists_equal_dense_lists_on_a_trained_model(name, tiny_stages):
    valid, _ = tiny_stages
    policy = POLICIES[name](k=10, mask_seen=True)
    X = candidates(policy, 60, 1)
    banded, _ = banded_lists(policy, X, valid)
    assert torch.equal(banded, policy.rank_table(X, dense_table(valid, True)))


def test_band_dominator_counts_are_sound_against_exact_arithmetic():
    # Brute force in float64: a counted dominator j of i on band [h0, h1] must rank above i and have
    # v_j(h) >= v_i(h) at both ends (or lb and lq both at least i's); clear dominators must be counted.
    rng = np.random.default_rng(0)
    n_users, width = 6, 40
    lb = rng.uniform(-4.0, -0.5, (n_users, width)).astype(np.float32)
    lq = (lb + rng.uniform(0.0, 8.0, (n_users, width))).astype(np.float32)
    lq[:, 20:30] = lq[:, 10:20]  # planted crossings: pairs whose order flips inside the range
    lb[:, 20:30] = (lb[:, 10:20] + np.float32(1e-6)).astype(np.float32)
    t = torch.from_numpy
    rank = torch.arange(width).expand(n_users, -1)
    table = CandidateTable(item=rank, pool_rank=rank.to(torch.int32).contiguous(), rel=torch.zeros(n_users, width),
                           lb=t(lb), lq=t(lq), norm_lb=t(lb[:, :1]), norm_lq=t(lq[:, :1]),
                           n_items=width, pruned=True)
    edges = band_edges(table, 8)
    counts = _band_counts(table, edges).numpy()
    lb64, lq64 = lb.astype(np.float64), lq.astype(np.float64)
    for b in range(len(edges) - 1):
        ends = (float(edges[b]), float(edges[b + 1]))
        v = [(1 - h) * lb64 + h * lq64 for h in ends]
        for i in range(width):
            beats = np.zeros((n_users, i), bool)
            clear = np.zeros((n_users, i), bool)
            for u in range(n_users):
                outright = (lb64[u, :i] >= lb64[u, i]) & (lq64[u, :i] >= lq64[u, i])
                beats[u] = outright | np.all([vv[u, :i] >= vv[u, i] for vv in v], axis=0)
                clear[u] = outright | np.all([vv[u, :i] >= vv[u, i] + 1e-3 for vv in v], axis=0)
            assert (counts[:, b, i] <= beats.sum(axis=1)).all(), (b, i)
            assert (counts[:, b, i] >= clear.sum(axis=1)).all(), (b, i)


@pytest.mark.parametrize("mask_seen", [True, False])
@pytest.mark.parametrize("k", [1, 3, 10, 200])
def test_cpu_skyband_loop_keeps_exactly_the_sweeps_survivors(mask_seen, k):
    from morec_pareto.ranking.prune import _survivors, _survivors_sweep
    from morec_pareto.ranking.table import item_columns

    for seed in range(3):
        for data in (tied_stage(n_users=12, n_items=150, seed=seed), random_stage(12, 150, seed)):
            cols = item_columns(data, mask_seen)
            loop, sweep = _survivors(cols, k), _survivors_sweep(cols, k, block=16)
            assert torch.equal(loop, sweep)
            assert bool((loop <= cols["allowed"]).all())
            assert k >= 150 or int(loop.sum()) < int(cols["allowed"].sum())  # something pruned unless k is huge


@pytest.mark.parametrize("mask_seen", [True, False])
def test_cpu_band_count_loop_counts_exactly_what_the_vectorised_form_counts(mask_seen):
    from morec_pareto.ranking.bands import _band_counts, _band_counts_vectorised

    for seed in range(3):
        for data in (tied_stage(n_users=10, n_items=120, seed=seed), random_stage(10, 120, seed)):
            table = pruned_table(data, 5, mask_seen)
            for n_bands in (1, 4, 16):
                edges = band_edges(table, n_bands)
                assert torch.equal(_band_counts(table, edges), _band_counts_vectorised(table, edges))
            dense = dense_table(data, mask_seen)
            edges = band_edges(dense, 8)
            assert torch.equal(_band_counts(dense, edges), _band_counts_vectorised(dense, edges))


def test_loops_compile_without_a_writable_cache_place(caplog):
    """A read-only install run by a user without a writable home: numba refuses cache=True (here: a function
    whose source file does not exist), and the loop is compiled per process instead of failing the import."""
    from morec_pareto.ranking.skyband_cpu import compiled

    namespace: dict = {}
    exec(compile("def add_one(x):\n    return x + 1\n", "<no file>", "exec"), namespace)
    with caplog.at_level("WARNING"):
        add_one = compiled(namespace["add_one"])
    assert add_one(41) == 42 and "NUMBA_CACHE_DIR" in caplog.text
