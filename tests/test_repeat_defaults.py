"""Repeat-aware defaults: the repeat rate, the history baseline, mask_seen=null and realised test revenue."""
import json
import logging

import numpy as np
import pandas as pd
import pytest
from conftest import run_cli

from morec_pareto.data.split import leave_one_out, repeat_rate, seen_matrix
from morec_pareto.data.synthetic import simulate
from morec_pareto.metrics.accuracy import target_ranks
from morec_pareto.metrics.baselines import history_scores
from morec_pareto.objectives.task import resolve_mask_seen
from morec_pareto.types import VIEW, Interactions

# Three users over five items, in time order; the last event is test, the one before it validation.
TOY = {0: [1, 2, 1, 3, 1, 4], 1: [0, 2, 2, 0, 2], 2: [3, 4, 0]}


@pytest.fixture
def toy_split():
    user = np.concatenate([[u] * len(s) for u, s in TOY.items()])
    item = np.concatenate(list(TOY.values()))
    n_items = 5
    data = Interactions(
        name="toy", user=user, item=item, behaviour=np.full(len(user), VIEW, dtype=np.int8),
        timestamp=np.concatenate([np.arange(len(s), dtype=float) for s in TOY.values()]), n_users=3,
        n_items=n_items, item_category=np.zeros(n_items, dtype=np.int64), item_tags=np.zeros((n_items, 1), dtype=np.int64),
        item_price=np.ones(n_items), n_categories=1, n_tags=0,
    )
    return leave_one_out(data)


def test_repeat_rate_by_hand(toy_split):
    # valid targets 1, 0, 4: users 0 and 1 had them before (histories [1,2,1,3], [0,2,2]); user 2's is [3]
    assert repeat_rate(toy_split, "valid") == pytest.approx(2 / 3)
    # test targets 4, 2, 0: only user 1 had it before (history [0,2,2,0])
    assert repeat_rate(toy_split, "test") == pytest.approx(1 / 3)


def test_history_baseline_by_hand(toy_split):
    scores = history_scores(toy_split, "test")
    expected = np.array([
        [0, 3 + 5 / 6, 1 + 2 / 6, 1 + 4 / 6, 0],  # history 1,2,1,3,1: item 1 x3; 3 later than 2
        [2 + 4 / 5, 0, 2 + 3 / 5, 0, 0],  # history 0,2,2,0: both twice, 0 more recent
        [0, 0, 0, 1 + 1 / 3, 1 + 2 / 3],  # history 3,4: 4 more recent
    ])
    np.testing.assert_allclose(scores, expected)
    # orders 1,3,2,0,4 | 0,2,1,3,4 | 4,3,0,1,2 against test targets 4, 2, 0
    assert list(target_ranks(scores, toy_split.targets("test"))) == [4, 1, 2]
    # a user subset gives that subset's rows
    np.testing.assert_allclose(history_scores(toy_split, "test", np.array([2, 0])), expected[[2, 0]])


def test_masked_history_baseline_misses_every_repeat(toy_split):
    seen = seen_matrix(toy_split, "test")
    ranks = target_ranks(history_scores(toy_split, "test"), toy_split.targets("test"), seen)
    # user 1's target 2 was seen: a miss (rank n_items); the others rank among unseen items by id
    assert list(ranks) == [1, 5, 0]


def test_mask_seen_null_follows_the_repeat_rate(caplog):
    with caplog.at_level(logging.INFO, logger="morec_pareto.objectives.task"):
        assert resolve_mask_seen(None, 0.64, 0.2) is False
    assert "repeat rate 0.64 > objectives.repeat_threshold 0.20" in caplog.text
    assert "objectives.mask_seen=true" in caplog.text
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="morec_pareto.objectives.task"):
        assert resolve_mask_seen(None, 0.05, 0.2) is True
        assert resolve_mask_seen(True, 0.64, 0.2) is True
        assert resolve_mask_seen(False, 0.05, 0.2) is False
    assert caplog.text == ""


def test_tiny_run_reports_repeat_rate_history_baseline_and_realised_revenue(tiny_run):
    summary = json.loads((tiny_run / "summary.json").read_text())
    assert summary["repeat_rate"] == pytest.approx(repeat_rate(leave_one_out(simulate("tiny", seed=0))))
    assert summary["repeat_rate"] > 0.2
    assert summary["mask_seen"] is False  # mask_seen: null on repeat-heavy data
    assert 0.0 < summary["accuracy_history"]["hit@10"] <= 1.0
    front = pd.read_csv(tiny_run / "front.csv")
    for col in ("test_revenue", "realised_revenue", "test_realised_revenue"):
        assert col in front.columns and np.isfinite(front[col]).all() and (front[col] >= 0).all()
    assert (front["test_realised_revenue"] > 0).any()  # the shop simulator has held-out purchases


def test_mask_seen_true_is_honoured(tmp_path):
    run_cli("debug=tiny", "search.n_gen=1", "objectives.mask_seen=true", f"hydra.run.dir={tmp_path}")
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["mask_seen"] is True
