"""Training and scoring on an explicit device; `train.precision` is checked before any work."""
import numpy as np
import pytest
import torch

from morec_pareto.device import model_device
from morec_pareto.models.recommender import build_recommender
from morec_pareto.training.fit import fit
from morec_pareto.training.scoring import score_matrix, stage_data

WEIGHTS = {"satisfaction": 1.0, "revenue": 1.0}


def _model(split):
    torch.manual_seed(0)
    return build_recommender(split.data, max_len=10, d_model=16, user_layers=1, repeat_bias=True)


def test_training_and_scoring_run_on_the_cpu_device(tiny_split):
    model = _model(tiny_split).to(torch.device("cpu"))
    result = fit(model, tiny_split, WEIGHTS, epochs=2, n_negatives=16, progress=False, precision="fp32")
    assert result.epochs_run == 2 and model_device(model).type == "cpu"
    scores = score_matrix(model, tiny_split, "valid", np.arange(5))
    assert scores.dtype == np.float32 and scores.shape == (2, 5, tiny_split.data.n_items)
    stage = stage_data(model, tiny_split, "test", np.arange(5))
    assert stage.relevance.dtype == stage.purchase.dtype == np.float32


def test_same_seed_trains_the_same_weights(tiny_split):
    states = []
    for _ in range(2):
        model = _model(tiny_split)
        fit(model, tiny_split, WEIGHTS, epochs=1, n_negatives=16, progress=False)
        states.append(model.state_dict())
    assert all(torch.equal(states[0][k], states[1][k]) for k in states[0])


def test_bf16_on_the_cpu_is_a_one_line_error_naming_the_key(tiny_split):
    with pytest.raises(ValueError, match=r"^train\.precision=bf16 needs a CUDA device, the model is on cpu"):
        fit(_model(tiny_split), tiny_split, WEIGHTS, epochs=1, progress=False, precision="bf16")
    with pytest.raises(ValueError, match=r"^train\.precision must be fp32 or bf16, got 'fp16'"):
        fit(_model(tiny_split), tiny_split, WEIGHTS, epochs=1, progress=False, precision="fp16")


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
@pytest.mark.parametrize("precision", ["fp32", "bf16"])
def test_training_and_scoring_on_cuda(tiny_split, precision):
    model = _model(tiny_split).to("cuda")
    result = fit(model, tiny_split, WEIGHTS, epochs=2, n_negatives=16, progress=False, precision=precision)
    assert np.isfinite(result.best_valid_ndcg)
    scores = score_matrix(model, tiny_split, "valid", np.arange(5))
    assert scores.dtype == np.float32 and np.isfinite(scores).all()
