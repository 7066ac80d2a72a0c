"""Failures a reviewer fears in the numbers: repeated targets under masking, NaN or inf scores, a diverged loss."""
from dataclasses import replace

import numpy as np
import pytest
import torch
from conftest import random_stage

from morec_pareto.data.split import training_windows
from morec_pareto.metrics.accuracy import ranking_metrics, target_ranks
from morec_pareto.models.recommender import build_recommender
from morec_pareto.ranking.policies import POLICIES, WeightedPolicy
from morec_pareto.training import fit as fit_module
from morec_pareto.training import steps as steps_module
from morec_pareto.training.fit import fit
from morec_pareto.training.scoring import finite_scores


def test_masked_repeated_target_is_a_miss_and_the_user_stays_in_the_mean():
    scores = np.array([[0.9, 0.8, 0.1, 0.5], [0.1, 0.2, 0.3, 0.4], [0.9, 0.1, 0.5, 0.2]])
    targets = np.array([1, 3, 2])
    seen = np.array([[1, 0, 0, 0], [0, 0, 0, 1], [0, 0, 0, 0]], dtype=bool)  # user 1's target is an earlier item
    assert list(target_ranks(scores, targets)) == [1, 0, 1]
    # user 0: the earlier item 0 is removed, target first; user 1: repeated target masked -> rank n_items = 4
    assert list(target_ranks(scores, targets, seen)) == [0, 4, 1]
    m = ranking_metrics(target_ranks(scores, targets, seen), ks=(2,))
    assert m["hit@2"] == pytest.approx(2 / 3)  # three users in the mean, one miss
    assert m["ndcg@2"] == pytest.approx((1.0 + 0.0 + 1 / np.log2(3)) / 3)
    # a miss at every K, even K = n_items
    assert ranking_metrics(target_ranks(scores, targets, seen), ks=(4,))["hit@4"] == pytest.approx(2 / 3)


def test_non_finite_scores_rank_below_every_finite_score():
    nan, inf = np.nan, np.inf
    scores = np.array([
        [nan, 0.2, inf, 0.1, -inf],  # target 1: only the finite 0.2 > 0.1 ordering counts -> rank 0
        [0.3, nan, 0.5, inf, 0.1],  # target 1 (NaN): below the 3 finite items, first of the non-finite by id
        [0.3, inf, 0.5, nan, 0.1],  # target 3 (NaN): 3 finite + the non-finite item 1 with a smaller id
        [-inf, 0.0, -inf, 0.0, 0.0],  # target 4: ties by id with 1 and 3 -> 2; -inf items below
    ])
    assert list(target_ranks(scores, np.array([1, 1, 3, 4]))) == [0, 3, 4, 2]
    # before the fix a NaN target had rank 0 (NDCG 1.0); now never a hit at K <= #finite items
    assert ranking_metrics(target_ranks(scores[1:3], np.array([1, 3])), ks=(3,))["hit@3"] == 0.0


def test_finite_scores_replace_nan_and_inf_only():
    rel = np.array([[0.5, np.nan, np.inf], [-np.inf, 1.0, 2.0]], dtype=np.float32)
    buy = np.array([[0.2, np.nan, 0.3], [np.inf, 0.5, 0.1]], dtype=np.float32)
    rel2, buy2 = finite_scores(rel, buy)
    assert np.isfinite(rel2).all() and np.isfinite(buy2).all() and rel2.dtype == buy2.dtype == np.float32
    assert rel2[0, 0] == 0.5 and rel2[1, 2] == 2.0 and (rel2[[0, 0, 1], [1, 2, 0]] < -1e29).all()
    np.testing.assert_array_equal(buy2, np.array([[0.2, 0.0, 0.3], [0.0, 0.5, 0.1]], dtype=np.float32))
    clean = rel[1:, 1:].copy()
    assert finite_scores(clean, clean)[0] is clean  # finite inputs are not copied


def _planted(item: int | None = None):
    """A random stage and its copy with NaN scores for user 0's `item` (default: the most relevant) and +inf
    relevance for user 1's item 5, sanitised as stage data are built. Returns (clean, planted, item)."""
    data = random_stage(n_users=5, n_items=30, seed=3)
    item = int(np.argmax(data.relevance[0])) if item is None else item
    rel, buy = data.relevance.copy(), data.purchase.copy()
    rel[0, item], buy[0, item], rel[1, 5] = np.nan, np.nan, np.inf
    return data, replace(data, **dict(zip(("relevance", "purchase"), finite_scores(rel, buy)))), item


def test_a_planted_nan_neither_poisons_the_list_nor_enters_it():
    clean, data, bad = _planted()
    # w = 1, pool = all: the satisfaction-only ranking = finite relevance order without the NaN item
    lists = WeightedPolicy(k=5, mask_seen=False).rank(np.array([[1.0, 1.0, 1.0, 1.0]]), data)[0]
    expected_0 = [i for i in np.argsort(-clean.relevance[0], kind="stable") if i != bad][:5]
    assert list(lists[0]) == expected_0
    assert 5 not in lists[1] and list(lists[1]) == [i for i in np.argsort(-clean.relevance[1]) if i != 5][:5]
    np.testing.assert_array_equal(lists[2:], WeightedPolicy(k=5, mask_seen=False).rank(
        np.array([[1.0, 1.0, 1.0, 1.0]]), clean)[0][2:])
    # w = 0, alpha = 1: expected-revenue order; the NaN P(buy) counts as 0, so the item drops out
    rev = WeightedPolicy(k=5, mask_seen=False).rank(np.array([[0.0, 1.0, 1.0, 1.0]]), data)[0]
    value = clean.purchase[0] * clean.price
    value[bad] = -1.0
    assert list(rev[0]) == list(np.argsort(-value, kind="stable")[:5])


@pytest.mark.parametrize("name", sorted(POLICIES))
@pytest.mark.parametrize("mask_seen", [True, False])
def test_every_policy_gives_full_valid_lists_around_a_planted_nan(name, mask_seen):
    _, data, _ = _planted(item=7)
    policy = POLICIES[name](k=6, mask_seen=mask_seen)
    X = np.random.default_rng(0).uniform(*policy.bounds, size=(8, len(policy.variables)))
    lists = policy.rank(X, data)  # (P, U, K)
    assert lists.shape == (8, 5, 6)
    assert all(len(set(row)) == 6 for row in lists.reshape(-1, 6))  # full, no repeats
    assert not (lists[:, 0] == 7).any() and not (lists[:, 1] == 5).any()  # non-finite items never listed
    if mask_seen:
        assert not np.take_along_axis(data.seen[None], lists, axis=2).any()


@pytest.mark.parametrize("n_items", [30, 150])
def test_pareto_layers_lists_unpeeled_items_last(n_items):
    # Regression: unpeeled items held a huge layer sentinel whose product with n_items overflowed int64 for
    # some n_items (30, 150 = synthetic tiny), sending the least relevant items to the top of the list.
    from test_policies import _loop_layers

    data = random_stage(n_users=5, n_items=n_items, seed=3)
    policy = POLICIES["pareto_layers"](k=6, mask_seen=True)
    X = np.random.default_rng(0).uniform(*policy.bounds, size=(8, 2))
    lists = policy.rank(X, data)
    for p, x in enumerate(X):
        np.testing.assert_array_equal(lists[p], _loop_layers(x, data, 6, True))


def _tiny_model(split):
    torch.manual_seed(0)
    return build_recommender(split.data, max_len=20, d_model=16, user_layers=1)


def _poisoned_batch_losses(at_call: int, poison_weights: bool = False):
    """batch_losses that, at its `at_call`-th call, returns a NaN loss or (poison_weights) NaNs a weight."""
    original, calls = steps_module.batch_losses, [0]

    def wrapped(model, *args, **kwargs):
        losses, states = original(model, *args, **kwargs)
        calls[0] += 1
        if calls[0] == at_call:
            if poison_weights:  # the loss is still finite; the weights are not (as after an inf gradient)
                next(model.parameters()).data.fill_(float("nan"))  # .data: autograd does not see the change
            else:
                losses = {**losses, "satisfaction": losses["satisfaction"] * float("nan")}
        return losses, states

    return wrapped


def test_a_non_finite_loss_stops_training_naming_the_epoch(tiny_split, monkeypatch):
    steps = -(-len(training_windows(tiny_split, 20)[0]) // 64)  # batches per epoch
    monkeypatch.setattr(steps_module, "batch_losses", _poisoned_batch_losses(at_call=steps + 2))  # epoch 1, batch 2
    with pytest.raises(FloatingPointError, match=r"^training diverged: non-finite loss \(nan\) at epoch 1; lower train\.lr"):
        fit(_tiny_model(tiny_split), tiny_split, {"satisfaction": 1.0, "revenue": 1.0}, epochs=3, batch_size=64,
            n_negatives=16, progress=False)


def test_non_finite_weights_after_the_last_batch_are_never_kept(tiny_split, monkeypatch):
    steps = -(-len(training_windows(tiny_split, 20)[0]) // 64)
    monkeypatch.setattr(steps_module, "batch_losses", _poisoned_batch_losses(at_call=steps, poison_weights=True))
    with pytest.raises(FloatingPointError, match="non-finite weights at epoch 0"):
        fit(_tiny_model(tiny_split), tiny_split, {"satisfaction": 1.0, "revenue": 1.0}, epochs=1, batch_size=64,
            n_negatives=16, progress=False)


def test_a_nan_validation_metric_is_never_the_best_epoch(tiny_split, monkeypatch):
    values = iter([np.nan, 0.05, np.nan])
    monkeypatch.setattr(fit_module, "validation_metrics", lambda *a, **k: {"ndcg@10": next(values)})
    result = fit(_tiny_model(tiny_split), tiny_split, {"satisfaction": 1.0}, epochs=3, batch_size=256,
                 n_negatives=16, progress=False)
    assert result.best_epoch == 1 and result.best_valid_ndcg == 0.05
