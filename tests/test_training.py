"""Training: the model learns, and beats popularity on validation NDCG@10."""
import numpy as np
import pytest

from morec_pareto.metrics.accuracy import ranking_metrics, target_ranks
from morec_pareto.metrics.baselines import popularity_scores
from morec_pareto.training.fit import fit, validation_metrics


def test_trained_model_beats_popularity_on_validation(tiny_split, tiny_model):
    model, result = tiny_model
    ours = validation_metrics(model, tiny_split)["ndcg@10"]
    pop = ranking_metrics(target_ranks(popularity_scores(tiny_split, "valid"), tiny_split.targets("valid")))["ndcg@10"]
    assert ours > pop * 1.2, (ours, pop)
    assert result.best_valid_ndcg == pytest.approx(ours, rel=1e-5)  # the best epoch's weights were kept


def test_training_loss_decreases(tiny_model):
    _, result = tiny_model
    losses = [h["loss_satisfaction"] for h in result.history]
    assert losses[-1] < losses[0]


def test_unknown_loss_weight_names_the_key(tiny_split):
    from morec_pareto.models.recommender import build_recommender

    model = build_recommender(tiny_split.data, max_len=5, d_model=8, user_layers=1)
    with pytest.raises(ValueError, match="train.loss_weights"):
        fit(model, tiny_split, {"satisfaction": 1.0, "clicks": 1.0}, epochs=1, progress=False)


def test_score_table_shapes_and_probabilities(tiny_stages, tiny_split):
    valid, test = tiny_stages
    U, I = tiny_split.sequences.n_users, tiny_split.data.n_items
    assert valid.relevance.shape == valid.purchase.shape == (U, I)
    assert ((valid.purchase > 0) & (valid.purchase < 1)).all()
    assert (test.seen.sum(axis=1) >= valid.seen.sum(axis=1)).all()  # test history includes the validation event
    assert not np.array_equal(valid.relevance, test.relevance)


def test_cosine_schedule_warms_up_then_decays_to_zero():
    from morec_pareto.training.fit import _lr_factor

    assert _lr_factor(0, 10, 100, "cosine") == pytest.approx(0.1)
    assert _lr_factor(9, 10, 100, "cosine") == pytest.approx(1.0)
    assert _lr_factor(55, 10, 100, "cosine") == pytest.approx(0.5)
    assert _lr_factor(100, 10, 100, "cosine") == pytest.approx(0.0, abs=1e-12)
    assert _lr_factor(55, 10, 100, "constant") == 1.0


def test_unknown_schedule_names_the_key(tiny_split):
    from morec_pareto.models.recommender import build_recommender

    model = build_recommender(tiny_split.data, max_len=5, d_model=8, user_layers=1)
    with pytest.raises(ValueError, match="train.lr_schedule"):
        fit(model, tiny_split, {"satisfaction": 1.0}, epochs=1, lr_schedule="step", progress=False)
