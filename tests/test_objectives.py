"""Objectives and accuracy metrics against hand-computed values on a 3-user toy."""
import numpy as np
import pytest

from morec_pareto.metrics.accuracy import ranking_metrics, target_ranks
from morec_pareto.objectives.registry import OBJECTIVES, Objective, directions, evaluate_lists, get_objective, register
from morec_pareto.types import StageData


@pytest.fixture
def toy() -> tuple[StageData, np.ndarray]:
    price = np.array([10.0, 20.0, 5.0, 40.0])
    purchase = np.array([[0.1, 0.5, 0.3, 0.2], [0.4, 0.4, 0.2, 0.05], [0.9, 0.3, 0.3, 0.1]], dtype=np.float32)
    click = np.array([[0.2, 0.9, 0.1, 0.4], [0.5, 0.5, 0.5, 0.5], [0.1, 0.2, 0.3, 0.8]], dtype=np.float32)
    data = StageData(
        relevance=np.zeros((3, 4), np.float32), purchase=purchase, seen=np.zeros((3, 4), bool),
        targets=np.array([0, 1, 3]), target_bought=np.array([True, True, False]), price=price,
        true_click=click, true_buy=purchase / 2,
    )
    lists = np.array([[[1, 0], [2, 3], [3, 1]]])  # one candidate, K = 2
    return data, lists


def test_ndcg_by_hand(toy):
    data, lists = toy
    # user 0: target at position 1 -> 1/log2(3); user 1: miss; user 2: position 0 -> 1
    expected = (1 / np.log2(3) + 0 + 1) / 3
    assert get_objective("ndcg").fn(lists, data)[0].sum() / 3 == pytest.approx(expected)
    assert get_objective("recall").fn(lists, data)[0].sum() / 3 == pytest.approx(2 / 3)


def test_expected_revenue_by_hand(toy):
    data, lists = toy
    # u0: 20*.5 + 10*.1 = 11; u1: 5*.2 + 40*.05 = 3; u2: 40*.1 + 20*.3 = 10
    assert get_objective("expected_revenue").fn(lists, data)[0].sum() / 3 == pytest.approx(8.0)
    assert get_objective("oracle_revenue").fn(lists, data)[0].sum() / 3 == pytest.approx(4.0)


def test_realised_revenue_counts_held_out_purchases_in_the_list(toy):
    data, lists = toy
    # u0 bought item 0 (price 10) and it is listed; u1's target is not listed; u2's target was not bought
    assert get_objective("realised_revenue").fn(lists, data)[0].sum() == pytest.approx(10.0)


def test_oracle_ndcg_by_hand(toy):
    data, lists = toy
    d = 1 / np.log2(np.arange(2) + 2)
    u0 = (0.9 * d[0] + 0.2 * d[1]) / (0.9 * d[0] + 0.4 * d[1])
    u1 = 1.0  # all gains equal
    u2 = (0.8 * d[0] + 0.2 * d[1]) / (0.8 * d[0] + 0.3 * d[1])
    assert get_objective("oracle_ndcg").fn(lists, data)[0].sum() / 3 == pytest.approx((u0 + u1 + u2) / 3, rel=1e-6)


def test_evaluate_lists_stacks_objectives(toy):
    data, lists = toy
    out = evaluate_lists(lists, data, ("ndcg", "expected_revenue"))
    assert out.shape == (1, 2) and out[0, 1] == pytest.approx(24.0)


def test_registry_rejects_unknown_and_duplicate_names():
    with pytest.raises(ValueError, match="unknown objective 'nope'"):
        get_objective("nope")
    with pytest.raises(ValueError, match="already registered"):
        register(Objective("ndcg", lambda lists, data: lists, "max", "x"))
    with pytest.raises(ValueError, match="direction must be"):
        register(Objective("upward", lambda lists, data: lists, "up", "x"))  # type: ignore[arg-type]
    assert {"ndcg", "expected_revenue", "oracle_ndcg", "oracle_revenue"} <= set(OBJECTIVES)


def test_registry_declares_direction_and_needs_of_every_objective():
    for objective in OBJECTIVES.values():
        assert objective.direction in ("max", "min")
        assert objective.needs <= {"truth", "model_scores"}
    assert get_objective("oracle_ndcg").needs_truth and not get_objective("ndcg").needs_truth
    assert get_objective("expected_revenue").reads_model
    assert directions(("ndcg", "expected_revenue")).tolist() == [1.0, 1.0]


def test_oracle_objectives_refuse_data_without_truth(toy):
    data, lists = toy
    from dataclasses import replace

    with pytest.raises(ValueError, match="ground truth"):
        get_objective("oracle_revenue").fn(lists, replace(data, true_buy=None))


def test_full_ranking_metrics_by_hand():
    scores = np.array([[0.9, 0.8, 0.1, 0.5], [0.1, 0.2, 0.3, 0.4], [0.5, 0.5, 0.5, 0.5]])
    targets = np.array([1, 0, 2])
    ranks = target_ranks(scores, targets)
    assert list(ranks) == [1, 3, 2]  # ties broken by item id
    m = ranking_metrics(ranks, ks=(2,))
    assert m["hit@2"] == pytest.approx(1 / 3)
    assert m["ndcg@2"] == pytest.approx((1 / np.log2(3)) / 3)
    assert m["mrr@2"] == pytest.approx(0.5 / 3)
    seen = np.zeros_like(scores, bool)
    seen[0, 0] = True  # masking the earlier item lifts user 0's target to the top
    assert target_ranks(scores, targets, seen)[0] == 0


def test_oracle_kl_by_hand(toy):
    data, lists = toy  # K = 2: exposure q = (1, 1/log2 3) / (1 + 1/log2 3)
    d = np.array([1.0, 1.0 / np.log2(3.0)])
    q = d / d.sum()
    eps = 1e-6
    click = data.true_click.astype(float)
    p = (1 - eps) * click / click.sum(axis=1, keepdims=True) + eps / 4
    expected = [sum(q[k] * np.log(q[k] / p[u, lists[0, u, k]]) for k in range(2)) for u in range(3)]
    got = get_objective("oracle_kl").fn(lists, data)[0]
    np.testing.assert_allclose(got, expected, rtol=1e-12)
    # user 1's clicks are uniform: KL(q || uniform over 4) = log 4 - H(q)
    assert got[1] == pytest.approx(np.log(4) + (q * np.log(q)).sum(), rel=1e-5)
    # the user's two likeliest items in order give the least value of any list
    best = np.argsort(-click, axis=1, kind="stable")[:, :2][None]
    assert (get_objective("oracle_kl").fn(best, data) <= got + 1e-12).all()
    assert get_objective("oracle_kl").direction == "min"


def test_calibration_kl_by_hand(toy):
    from dataclasses import replace

    data, lists = toy
    seen = np.array([[True, True, False, False], [False, False, True, True], [True, False, False, False]])
    data = replace(data, seen=seen, item_category=np.array([0, 1, 0, 1]))
    # histories: user 0 {0, 1} -> p = (1/2, 1/2); user 1 {2, 3} -> (1/2, 1/2); user 2 {0} -> (1, 0)
    # lists: [1, 0] -> q = (1/2, 1/2); [2, 3] -> (1/2, 1/2); [3, 1] -> (0, 1)
    a = 0.01
    got = get_objective("calibration_kl").fn(lists, data)[0]
    q2 = (1 - a) * 0.0 + a * 1.0  # user 2, genre 0: list has none of it, smoothed toward the history
    np.testing.assert_allclose(got, [0.0, 0.0, 1.0 * np.log(1.0 / q2)], atol=1e-12)
    assert np.isfinite(got).all() and get_objective("calibration_kl").direction == "min"
    with pytest.raises(ValueError, match="item categories"):
        get_objective("calibration_kl").fn(lists, replace(data, item_category=None))


def test_novelty_and_diversity_by_hand(toy):
    from dataclasses import replace

    data, lists = toy  # lists: [1, 0], [2, 3], [3, 1]
    data = replace(data, item_category=np.array([0, 1, 0, 0]), item_popularity=np.array([5, 1, 0, 2]))
    # smoothed shares (c + 1) / (8 + 4): 6/12, 2/12, 1/12, 3/12
    nov = -np.log2(np.array([6, 2, 1, 3]) / 12)
    np.testing.assert_allclose(get_objective("novelty").fn(lists, data)[0],
                               [(nov[1] + nov[0]) / 2, (nov[2] + nov[3]) / 2, (nov[3] + nov[1]) / 2])
    # categories of the lists: (1, 0) differ, (0, 0) same, (0, 1) differ
    np.testing.assert_allclose(get_objective("diversity").fn(lists, data)[0], [1.0, 0.0, 1.0])
    three = np.array([[[0, 1, 2]]])  # categories 0, 1, 0: pairs (a,b) differ, (a,c) same, (b,c) differ
    assert get_objective("diversity").fn(three, data)[0, 0] == pytest.approx(2 / 3)
    assert get_objective("novelty").direction == get_objective("diversity").direction == "max"
