"""train.selection=hypervolume: the kept epoch is the best by validation HV over preferences and fixed candidates."""
from __future__ import annotations

import json
from functools import partial

import numpy as np
import pandas as pd
import pytest
import torch
from conftest import run_cli
from hydra import compose, initialize_config_dir
from omegaconf import OmegaConf

from morec_pareto.__main__ import CONF_DIR
from morec_pareto.config_check import check_config
from morec_pareto.data.split import leave_one_out
from morec_pareto.models.recommender import build_recommender
from morec_pareto.objectives.registry import evaluate_lists_per_user
from morec_pareto.objectives.task import Task, define_task
from morec_pareto.pipeline import load_data
from morec_pareto.ranking.for_objectives import policy_for_objectives
from morec_pareto.ranking.policies import WeightedPolicy
from morec_pareto.run_config import run_parts
from morec_pareto.search.selection import HypervolumeCriterion, SelectionSettings, selection_criterion
from morec_pareto.training.fit import fit
from morec_pareto.training.scoring import stage_data

NDCG_HISTORY = {"epoch", "loss_satisfaction", "loss_revenue", "valid_ndcg@10"}
NDCG_TRAINING = {"method", "best_epoch", "epochs_run", "seconds_per_epoch", "best_valid_ndcg@10", "reused_from",
                 "attribute_gate"}


def _compose(*overrides: str):
    with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
        return compose("config", overrides=list(overrides))


def hv_2d(points: np.ndarray, reference: np.ndarray) -> float:
    """Hypervolume of 2-D points, both maximised, above `reference`: a sweep by decreasing first objective."""
    points = points[(points > reference).all(axis=1)]
    total, best_y = 0.0, reference[1]
    for x, y in points[np.argsort(-points[:, 0], kind="stable")]:
        if y > best_y:
            total += (x - reference[0]) * (y - best_y)
            best_y = y
    return total


@pytest.fixture(scope="module")
def hv_run(tmp_path_factory):
    """A conditioned run selected by HV; the reference point (0, 0) gives every epoch a positive HV at this size
    (the popularity point is not beaten at debug=tiny, so every HV would be 0 and NDCG@10 break every tie)."""
    run_dir = tmp_path_factory.mktemp("hv_run")
    run_cli("debug=tiny", "strategy=conditioned", "train.selection=hypervolume", "objectives.reference_point=[0,0]",
            "train.epochs=4", "threads=1", f"hydra.run.dir={run_dir}")
    return run_dir


def test_hv_selection_records_valid_hv_per_epoch_and_keeps_the_best_epoch(hv_run):
    saved = torch.load(hv_run / "model.pt", weights_only=False)
    history, fit_record = saved["fit"]["history"], saved["fit"]
    summary = json.loads((hv_run / "summary.json").read_text())["training"]
    assert [set(row) for row in history] == [NDCG_HISTORY | {"valid_hv"}] * 4  # every epoch of train.epochs=4
    hv = np.array([row["valid_hv"] for row in history])
    ndcg = np.array([row["valid_ndcg@10"] for row in history])
    best = int(np.argmax(hv))
    assert (hv > 0).all() and np.sum(hv == hv[best]) == 1  # no tie: HV alone decides
    assert summary["best_epoch"] == fit_record["best_epoch"] == best
    assert summary["selection"] == "hypervolume" and summary["best_valid_hv"] == hv[best]
    assert summary["best_valid_ndcg@10"] == ndcg[best]  # the kept epoch's NDCG, not the best NDCG
    written = pd.read_csv(hv_run / "training_history.csv")  # the same history, as the run folder's table
    np.testing.assert_allclose(written["valid_hv"], hv)
    # seed 0: HV peaks before the last epoch and elsewhere than NDCG, so the kept weights are not the last ones
    assert best != len(hv) - 1 and best != int(np.argmax(ndcg)), (hv, ndcg)

    # The saved model's selection value, recomputed from its config, is the recorded best
    cfg = OmegaConf.load(hv_run / ".hydra" / "config.yaml")
    split = leave_one_out(load_data(cfg.data))
    task = define_task(cfg.objectives, cfg.data.get("reference_point"), split, int(cfg.seed))
    settings, train = SelectionSettings.split(OmegaConf.to_container(cfg.train, resolve=True))
    criterion = selection_criterion(settings, task, run_parts(cfg).policy, split, train["max_eval_users"], int(cfg.seed))
    model = build_recommender(split.data, **saved["model"])
    model.load_state_dict(saved["state_dict"])
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # the run's thread count: the same score tables to the last bit
    try:
        assert criterion is not None and criterion(model) == pytest.approx(hv[best], rel=1e-9)
    finally:
        torch.set_num_threads(threads)


def _task(objectives: tuple[str, ...], reference: list[float], n_users: int) -> Task:
    point = np.array(reference, dtype=float)
    return Task(objectives, 10, False, 0.0, np.arange(n_users), {"reference_point": point, "ideal": point,
                                                                 "source": "test"})


@pytest.fixture(scope="module")
def conditioned_model(tiny_split):
    torch.manual_seed(0)
    model = build_recommender(tiny_split.data, max_len=20, d_model=32, user_layers=1, n_preferences=2)
    fit(model, tiny_split, {}, epochs=2, n_negatives=32, method="conditioned", patience=10, progress=False)
    return model


@pytest.mark.parametrize("objectives, reference", [(("oracle_ndcg", "oracle_revenue"), [0.0, 0.0]),
                                                   (("oracle_kl", "oracle_revenue"), [100.0, 0.0])])
def test_criterion_hv_equals_a_direct_recomputation(tiny_split, conditioned_model, objectives, reference):
    """Candidates built by hand, each ranked densely one at a time, HV by a 2-D sweep (KL: minimised, negated)."""
    settings = SelectionSettings("hypervolume", (0.0, 0.5, 1.0), selection_grid=5, selection_random=3)
    task = _task(objectives, reference, tiny_split.sequences.n_users)
    criterion = HypervolumeCriterion(settings, task, partial(policy_for_objectives, WeightedPolicy), tiny_split,
                                     task.users, seed=7)
    hv = criterion(conditioned_model)

    policy = WeightedPolicy(k=10, mask_seen=False)
    grid = np.tile(policy.defaults, (5, 1))
    grid[:, 0] = [0.0, 0.25, 0.5, 0.75, 1.0]  # w_satisfaction
    lower, upper = policy.bounds
    X = np.vstack([grid, np.random.default_rng(7).uniform(lower, upper, (3, 4))])
    np.testing.assert_array_equal(criterion.X, X)
    points = []
    for lam in (0.0, 0.5, 1.0):
        data = stage_data(conditioned_model, tiny_split, "valid", preference=np.array([lam, 1.0 - lam]))
        for x in X:
            points.append(evaluate_lists_per_user(policy.rank(x[None], data), data, objectives)[0].mean(axis=0))
    F = np.array(points)
    np.testing.assert_allclose(criterion.points(conditioned_model), F, rtol=1e-6)
    sign = np.array([-1.0 if name == "oracle_kl" else 1.0 for name in objectives])
    expected = hv_2d(F * sign, np.array(reference) * sign)
    assert expected > 0 and hv == pytest.approx(expected, rel=1e-6)


def test_a_model_without_preferences_is_scored_once(tiny_split, tiny_model):
    model, _ = tiny_model
    settings = SelectionSettings("hypervolume", selection_grid=4, selection_random=2)
    task = _task(("oracle_ndcg", "oracle_revenue"), [0.0, 0.0], tiny_split.sequences.n_users)
    criterion = HypervolumeCriterion(settings, task, partial(policy_for_objectives, WeightedPolicy), tiny_split,
                                     task.users, seed=0)
    assert criterion.points(model).shape == (6, 2)  # 6 candidates, one table


def test_selection_users_are_capped_by_max_eval_users(tiny_split):
    task = _task(("oracle_ndcg", "oracle_revenue"), [0.0, 0.0], tiny_split.sequences.n_users)
    settings = SelectionSettings("hypervolume")
    factory = partial(policy_for_objectives, WeightedPolicy)
    assert selection_criterion(SelectionSettings(), task, factory, tiny_split, 50, 0) is None  # ndcg: no criterion
    criterion = selection_criterion(settings, task, factory, tiny_split, 50, 0)
    assert criterion is not None and len(criterion.users) == 50 and set(criterion.users) <= set(task.users)


@pytest.mark.parametrize("override, message", [
    ("train.selection=best", "config: train.selection='best' is not allowed; choose one of ['ndcg', 'hypervolume']"),
    ("train.selection_preferences=[0.5,2]", "train.selection_preferences must be a non-empty list of numbers in [0, 1]"),
    ("train.selection_random=-1", "train.selection_random=-1 is out of range; it must be >= 0"),
    ("train.selection_grid=0 train.selection_random=0", "must be >= 0 with a positive sum"),
    ("+train.selection_users=5", "unknown key train.selection_users"),
])
def test_bad_selection_values_are_one_line_config_errors(override, message):
    with pytest.raises(ValueError) as info:
        check_config(_compose("debug=tiny", *override.split()))
    assert message in str(info.value) and "\n" not in str(info.value)


def test_ndcg_selection_changes_nothing(tiny_split, tiny_run):
    """The default: history and summary keys as before the option existed, and fit's keys as before."""
    torch.manual_seed(0)
    model = build_recommender(tiny_split.data, max_len=20, d_model=32, user_layers=1)
    result = fit(model, tiny_split, {"satisfaction": 1.0, "revenue": 1.0}, epochs=2, n_negatives=16, progress=False)
    assert [set(row) for row in result.history] == [NDCG_HISTORY] * 2 and result.best_valid_hv is None
    summary = json.loads((tiny_run / "summary.json").read_text())
    assert set(summary["training"]) == NDCG_TRAINING
    settings, rest = SelectionSettings.split(OmegaConf.to_container(_compose("debug=tiny").train, resolve=True))
    assert settings.selection == "ndcg" and settings.cache_key() is None  # model_cache keys unchanged
    assert not any(key.startswith("selection") for key in rest)
