"""Weight-free and model-side-weight strategies: MGDA, preference conditioning, per-weight retraining."""
import json

import numpy as np
import pytest
import torch

from morec_pareto.models.recommender import build_recommender
from morec_pareto.ranking.policies import WeightedPolicy
from morec_pareto.scoring.retrain import CandidateTrainer, RetrainSource, make_runner
from morec_pareto.scoring.sources import ConditionedSource
from morec_pareto.search.algorithms import NSGA2Search
from morec_pareto.search.problem import PopulationEvaluator, evaluate_candidates, evaluate_population
from morec_pareto.training.fit import fit
from morec_pareto.training.gradients import mgda_ub_loss, min_norm_weights
from morec_pareto.training.methods import PerWeightModels, PreferenceConditioned
from morec_pareto.training.scoring import score_matrix


def test_min_norm_two_gradients_by_hand():
    # g1 = (2, 0), g2 = (0, 1): a = (g2.g2 - g1.g2) / |g1 - g2|^2 = 1/5, d = (0.4, 0.8)
    g1, g2 = torch.tensor([2.0, 0.0]), torch.tensor([0.0, 1.0])
    a = min_norm_weights([g1, g2])
    assert a.tolist() == pytest.approx([0.2, 0.8])
    d = a[0] * g1.double() + a[1] * g2.double()
    assert d.tolist() == pytest.approx([0.4, 0.8])
    # a common descent direction: equal, positive inner product with both gradients (= |d|^2)
    assert float(d @ g1.double()) == pytest.approx(float(d @ d)) == pytest.approx(float(d @ g2.double()))


def test_min_norm_clips_when_one_gradient_dominates():
    a = min_norm_weights([torch.tensor([1.0, 0.0]), torch.tensor([1.0, 1.0])])
    assert a.tolist() == pytest.approx([1.0, 0.0])  # (1, 0) is the hull's closest point to 0


def test_min_norm_three_gradients_reaches_pareto_stationarity():
    grads = [torch.tensor([1.0, 0.0]), torch.tensor([0.0, 1.0]), torch.tensor([-1.0, 0.0])]
    a = min_norm_weights(grads)
    d = sum(w * g.double() for w, g in zip(a, grads))
    assert float(d.norm()) < 1e-3 and float(a.sum()) == pytest.approx(1.0)


def test_mgda_ub_weights_come_from_the_shared_representation():
    z = torch.tensor([[1.0, 2.0]], requires_grad=True)
    losses = {"satisfaction": (2 * z[:, 0]).sum(), "revenue": z[:, 1].sum()}  # gradients (2, 0) and (0, 1)
    total, weights = mgda_ub_loss(losses, z)
    assert weights["satisfaction"] == pytest.approx(0.2) and weights["revenue"] == pytest.approx(0.8)
    assert total.item() == pytest.approx(0.2 * 2 + 0.8 * 2)


def test_mgda_training_runs_and_learns(tiny_split):
    torch.manual_seed(0)
    model = build_recommender(tiny_split.data, max_len=20, d_model=32, user_layers=1)
    result = fit(model, tiny_split, {}, epochs=3, n_negatives=32, method="mgda", patience=10, progress=False)
    assert result.history[-1]["loss_satisfaction"] < result.history[0]["loss_satisfaction"]


@pytest.fixture(scope="module")
def conditioned_model(tiny_split):
    torch.manual_seed(0)
    model = build_recommender(tiny_split.data, max_len=20, d_model=32, user_layers=1, n_preferences=2)
    fit(model, tiny_split, {}, epochs=10, n_negatives=64, method="conditioned", patience=100, progress=False)
    return model


def _top10(relevance):
    return np.argsort(-relevance, axis=1, kind="stable")[:, :10]


def _overlap(a, b):
    return np.mean([len(set(x) & set(y)) / 10 for x, y in zip(a, b)])


def test_conditioned_model_at_satisfaction_preference_ranks_like_a_satisfaction_only_model(
    tiny_split, conditioned_model
):
    torch.manual_seed(0)
    sat_only = build_recommender(tiny_split.data, max_len=20, d_model=32, user_layers=1)
    fit(sat_only, tiny_split, {"satisfaction": 1.0, "revenue": 0.0}, epochs=10, n_negatives=64, patience=100,
        progress=False)
    reference = _top10(score_matrix(sat_only, tiny_split, "valid", heads=(0,))[0])
    at_sat = _top10(score_matrix(conditioned_model, tiny_split, "valid", heads=(0,), preference=np.array([1.0, 0.0]))[0])
    at_rev = _top10(score_matrix(conditioned_model, tiny_split, "valid", heads=(0,), preference=np.array([0.0, 1.0]))[0])
    overlap_sat, overlap_rev = _overlap(at_sat, reference), _overlap(at_rev, reference)
    assert overlap_sat >= 0.5, overlap_sat
    assert 0.0 <= overlap_rev <= 1.0
    # Which preference ranks closer to the satisfaction-only model is within noise on this tiny model
    # (0.7275 vs 0.7258 before issue 10's training changes, 0.6225 vs 0.6225 after): FiLM modulates only
    # the MLP's deep path, and the unmodulated GMF part dominates both logits (top-10 lists of either
    # head agree on 99 % between the two preferences here). The preference must still reach both heads.
    both = score_matrix(conditioned_model, tiny_split, "valid", preference=np.array([1.0, 0.0]))
    rev_pref = score_matrix(conditioned_model, tiny_split, "valid", preference=np.array([0.0, 1.0]))
    assert np.abs(both[0] - rev_pref[0]).max() > 0.1
    assert np.abs(both[1] - rev_pref[1]).max() > 0.1


def test_conditioned_source_caches_one_table_pair_per_level(tiny_split, tiny_stages, conditioned_model):
    source = ConditionedSource(conditioned_model, tiny_split, np.arange(tiny_split.sequences.n_users), 5, tiny_stages)
    assert source.level_index(np.array([0.0, 0.1, 0.5, 0.99])).tolist() == [0, 0, 2, 4]
    a, b = source.stages(1), source.stages(1)
    assert a is b and len(source.cache) == 1
    assert not np.array_equal(source.stages(0)[0].relevance, source.stages(4)[0].relevance)
    # grouped evaluation equals evaluating each level's members on their own tables
    policy = WeightedPolicy(k=10)
    rng = np.random.default_rng(0)
    X = np.column_stack([rng.choice([0.0, 0.5, 1.0], 9), rng.uniform(*policy.bounds, size=(9, 4))])
    F = evaluate_candidates(PopulationEvaluator(policy, ("oracle_ndcg", "oracle_revenue")), source, X)
    for row, x in enumerate(X):
        level = int(source.level_index(x[:1])[0])
        expected = evaluate_population(policy, x[None, 1:], source.stages(level)[0], ("oracle_ndcg", "oracle_revenue"))
        np.testing.assert_allclose(F[row], expected[0])


def test_retrain_source_trains_each_level_once_and_resumes(tiny_split, tiny_stages, tmp_path):
    torch.manual_seed(0)
    kwargs = dict(max_len=20, d_model=16, user_layers=1)
    base = build_recommender(tiny_split.data, **kwargs)
    torch.save({"state_dict": base.state_dict()}, tmp_path / "base.pt")
    trainer = CandidateTrainer(tiny_split, kwargs, {"n_negatives": 16}, tmp_path / "base.pt", tmp_path, 1, 0)
    runner, _ = make_runner("none", 1)
    users = np.arange(tiny_split.sequences.n_users)
    source = RetrainSource(trainer, users, 3, tiny_stages, runner, base_seconds=1.0, base_epochs=4)
    source.prepare(np.array([0, 2, 2, 0]))
    assert source.train_epochs == 4 + 2 * 1  # the warm start plus one epoch for each of the two levels
    assert source.n_trainings == 3 and sorted(p.name for p in tmp_path.glob("level_*.pt")) == ["level_000.pt", "level_002.pt"]
    mtime = (tmp_path / "level_000.pt").stat().st_mtime_ns
    resumed = RetrainSource(trainer, users, 3, tiny_stages, runner, base_seconds=1.0)  # a restarted run
    resumed.prepare(np.array([0, 2]))
    assert resumed.n_trainings == 3 and (tmp_path / "level_000.pt").stat().st_mtime_ns == mtime
    assert resumed.train_seconds > 1.0
    valid0, valid2 = resumed.stages(0)[0], resumed.stages(2)[0]
    assert not np.array_equal(valid0.purchase, valid2.purchase)


def test_retrain_source_counts_levels_saved_before_a_kill(tiny_split, tiny_stages, tmp_path):
    """A kill between saving a level's model and writing the ledger must not drop that training from the count."""
    torch.manual_seed(0)
    kwargs = dict(max_len=20, d_model=16, user_layers=1)
    torch.save({"state_dict": build_recommender(tiny_split.data, **kwargs).state_dict()}, tmp_path / "base.pt")
    trainer = CandidateTrainer(tiny_split, kwargs, {"n_negatives": 16}, tmp_path / "base.pt", tmp_path, 2, 0)
    runner, _ = make_runner("none", 1)
    users = np.arange(tiny_split.sequences.n_users)
    source = RetrainSource(trainer, users, 3, tiny_stages, runner, base_seconds=1.0, base_epochs=4)
    source.prepare(np.array([0, 1, 2]))
    counted_seconds = source.train_seconds
    ledger = json.loads((tmp_path / "ledger.json").read_text())
    (tmp_path / "ledger.json").write_text(json.dumps({"0": ledger["0"]}))  # levels 1 and 2 saved, never recorded
    resumed = RetrainSource(trainer, users, 3, tiny_stages, runner, base_seconds=1.0, base_epochs=4)
    resumed.prepare(np.array([0, 1, 2]))  # nothing is retrained: every level's model is on disk
    assert resumed.n_trainings == 4 and resumed.train_epochs == 4 + 3 * 2
    assert resumed.train_seconds == pytest.approx(counted_seconds)
    assert json.loads((tmp_path / "ledger.json").read_text()) == pytest.approx(ledger)


def test_group_config_errors_name_the_key():
    with pytest.raises(ValueError, match="loss.parallel"):
        PerWeightModels(parallel="magic")
    with pytest.raises(ValueError, match="loss.n_levels"):
        PreferenceConditioned(n_levels=1)
    with pytest.raises(ValueError, match="search.pop_size"):
        NSGA2Search(pop_size=0)
