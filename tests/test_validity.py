"""Numbers a reviewer can trust: best-point share, attainable p-values, the data set's reference point."""
import json

import numpy as np
import pandas as pd
import pytest

from morec_pareto.data.split import seen_matrix
from morec_pareto.objectives import reference as reference_module
from morec_pareto.objectives.reference import anchor_points, dataset_reference, purchase_rate
from morec_pareto.report.bootstrap import hv_difference_ci
from morec_pareto.report.indicators import best_point_share, hypervolume, normalise
from morec_pareto.report.stats import comparison_pairs, pairwise_tests, smallest_p
from morec_pareto.types import PURCHASE

STAIRCASE = np.array([[1.0, 3.0], [2.0, 2.0], [3.0, 1.0]])  # maximised


def test_best_point_share_by_hand():
    # HV from (0, 0) is 3 + 2 + 1 = 6; the best single box is (2, 2) with 4
    assert best_point_share(STAIRCASE, np.zeros(2)) == pytest.approx(4 / 6)
    # from (0.5, 0.5): boxes 0.5*2.5, 1.5*1.5, 2.5*0.5; HV 1.25 + 1.5 + 0.5 = 3.25
    assert best_point_share(STAIRCASE, np.array([0.5, 0.5])) == pytest.approx(2.25 / 3.25)
    assert best_point_share(STAIRCASE[:1], np.zeros(2)) == 1.0  # one point carries everything
    assert np.isnan(best_point_share(STAIRCASE, np.array([5.0, 5.0])))  # nothing above the point


def test_share_is_unchanged_by_normalisation():
    ref, ideal = np.array([0.5, 0.5]), np.array([3.0, 30.0])
    scaled = STAIRCASE * [1.0, 10.0]
    ref_scaled = ref * [1.0, 10.0]
    share = best_point_share(scaled, ref_scaled)
    normalised = normalise(scaled, ideal, ref_scaled)
    assert best_point_share(normalised, np.zeros(2)) == pytest.approx(share)
    np.testing.assert_allclose(normalise(ideal, ideal, ref_scaled), [1.0, 1.0])


def test_smallest_attainable_p_by_hand():
    assert smallest_p("wilcoxon", 5, 5) == pytest.approx(0.0625)  # 2 / 2^5: 5 seeds never reach 0.05
    assert smallest_p("wilcoxon", 10, 10) == pytest.approx(2 / 1024)
    assert smallest_p("mannwhitneyu", 10, 10) == pytest.approx(2 / 184756)  # C(20, 10) = 184756


def _runs(n_groups: int, n_seeds: int) -> pd.DataFrame:
    seeds = np.arange(n_seeds)
    return pd.DataFrame({"group": np.repeat([f"g{i}" for i in range(n_groups)], n_seeds),
                         "seed": np.tile(seeds, n_groups),
                         "hv": np.concatenate([seeds + 10.0 * i for i in range(n_groups)])})


def test_control_comparisons_can_reach_significance_where_all_pairs_cannot():
    runs = _runs(9, 10)
    assert comparison_pairs(["a", "b", "c"], "b") == [("b", "a"), ("b", "c")]
    control = pairwise_tests(runs, {"hv": True}, control="g0")
    assert len(control) == 8
    np.testing.assert_allclose(control["min_attainable_p"], 8 * 2 / 1024)  # 0.0156 < 0.05
    assert control["can_reach_alpha"].all() and control["significant"].all()
    every = pairwise_tests(runs, {"hv": True})
    assert len(every) == 36
    np.testing.assert_allclose(every["min_attainable_p"], 36 * 2 / 1024)  # 0.07: never significant
    assert not every["can_reach_alpha"].any() and not every["significant"].any()
    with pytest.raises(ValueError, match="no such group"):
        comparison_pairs(["a"], "z")


def _popularity_list_by_hand(split, user: int, mask: bool) -> list[int]:
    seqs = split.sequences
    counts: dict[int, int] = {}
    for u in range(seqs.n_users):
        start, n_train = seqs.offsets[u], split.n_history("train")[u]
        for item in seqs.items[start:start + n_train]:
            counts[int(item)] = counts.get(int(item), 0) + 1
    history = set(seqs.items[seqs.offsets[user]:seqs.offsets[user] + split.n_history("valid")[user]].tolist())
    items = [i for i in range(split.data.n_items) if not (mask and i in history)]
    return sorted(items, key=lambda i: (-counts.get(i, 0), i))[:10]


def test_dataset_reference_is_the_popularity_list_by_hand(tiny_split):
    floor, ideal = anchor_points(tiny_split, ("oracle_ndcg", "oracle_revenue"), 10, mask_seen=True)
    truth, price = tiny_split.data.truth, tiny_split.data.item_price
    ndcg, revenue = [], []
    discounts = 1.0 / np.log2(np.arange(10) + 2.0)
    for user in range(tiny_split.sequences.n_users):
        ranked = _popularity_list_by_hand(tiny_split, user, mask=True)
        click, buy = truth.click_prob(np.array([user]))[0], truth.buy_prob(np.array([user]))[0]
        ndcg.append((click[ranked] * discounts).sum() / (np.sort(click)[::-1][:10] * discounts).sum())
        revenue.append((buy[ranked] * price[ranked]).sum())
    np.testing.assert_allclose(floor, [np.mean(ndcg), np.mean(revenue)], rtol=1e-5)
    assert ideal[0] == 1.0 and ideal[1] > floor[1]  # NDCG's best value is 1; revenue anchor beats popularity


def test_model_read_objectives_have_a_zero_floor_and_a_stand_in_ideal(tiny_split):
    floor, ideal = anchor_points(tiny_split, ("ndcg", "expected_revenue"), 10, mask_seen=False)
    assert floor[1] == 0.0 and floor[0] > 0 and ideal[1] > 0
    seqs = tiny_split.sequences
    item = int(seqs.items[0])  # the stand-in P(buy) of one item, by hand: (purchases + 1) / (events + 2)
    events = purchases = 0
    for u in range(seqs.n_users):
        start, n_train = seqs.offsets[u], tiny_split.n_history("train")[u]
        for i, b in zip(seqs.items[start:start + n_train], seqs.behaviours[start:start + n_train]):
            events += int(i == item)
            purchases += int(i == item and b == PURCHASE)
    assert purchase_rate(tiny_split)[item] == pytest.approx((purchases + 1) / (events + 2))


def test_dataset_reference_is_cached_once_per_data_set(tiny_split, tmp_path, monkeypatch):
    first = dataset_reference(tiny_split, ("oracle_ndcg", "oracle_revenue"), 10, True, cache_dir=tmp_path)
    assert len(list((tmp_path / "reference_points").glob("*.json"))) == 1

    def fail(*args, **kwargs):
        raise AssertionError("recomputed although cached")

    with monkeypatch.context() as patch:
        patch.setattr(reference_module, "anchor_points", fail)
        again = dataset_reference(tiny_split, ("oracle_ndcg", "oracle_revenue"), 10, True, cache_dir=tmp_path)
    assert again == first
    with pytest.raises(ValueError, match="data.reference_point"):
        dataset_reference(tiny_split, ("oracle_ndcg", "oracle_revenue"), 10, True, method="best", cache_dir=tmp_path)
    assert seen_matrix(tiny_split, "valid").any()  # so the unmasked variant is another entry, another point
    unmasked = dataset_reference(tiny_split, ("oracle_ndcg", "oracle_revenue"), 10, False, cache_dir=tmp_path)
    assert len(list((tmp_path / "reference_points").glob("*.json"))) == 2
    assert unmasked["reference_point"] != first["reference_point"]


def test_paired_bootstrap_finds_a_planted_margin_and_not_a_null_one():
    rng = np.random.default_rng(0)
    base = rng.gamma(2.0, 1.0, size=(5, 400, 2))  # 5 front points, 400 users
    better = base * 1.05  # every point 5% better for every user
    result = hv_difference_ci(better, base, np.zeros(2), n_resamples=500)
    assert result["excludes_zero"] and result["ci_low"] > 0
    assert result["difference"] == pytest.approx(hypervolume(better.mean(1), np.zeros(2))
                                                 - hypervolume(base.mean(1), np.zeros(2)))
    null = hv_difference_ci(base, base + 0.0, np.zeros(2), n_resamples=200, method="percentile")
    assert null["ci_low"] == pytest.approx(0.0) and null["ci_high"] == pytest.approx(0.0)
    other = rng.gamma(2.0, 1.0, size=(5, 400, 2))  # same distribution, independent values: no real margin
    aa = hv_difference_ci(other, base, np.zeros(2), n_resamples=500)
    assert aa["ci_low"] < 0 < aa["ci_high"]


def test_summary_carries_the_new_indicators(tiny_run):
    summary = json.loads((tiny_run / "summary.json").read_text())
    front = pd.read_csv(tiny_run / "front.csv")
    ref = np.array(summary["reference_point"])
    valid = front[["satisfaction", "revenue"]].to_numpy()
    assert summary["hypervolume"] == pytest.approx(hypervolume(valid, ref))
    assert summary["hv_best_point_share"] == pytest.approx(best_point_share(valid, ref))
    ideal = np.array(summary["normalisation"]["ideal"])
    assert summary["normalised_hypervolume"] == pytest.approx(hypervolume(valid, ref) / np.prod(ideal - ref))
    assert "popularity" in summary["reference_point_source"]
    assert 0 < summary["test_hv_best_point_share"] <= 1
