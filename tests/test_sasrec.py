"""SASRec inside the framework (`model=sasrec`): the dot scorer, the id-only item side, its loss, a whole run."""
from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
import torch.nn.functional as F
from conftest import run_cli

from morec_pareto.data.split import padded_history, training_windows
from morec_pareto.models.item_encoder import IdItemEncoder
from morec_pareto.models.recommender import build_recommender
from morec_pareto.models.scorer import DotScorer
from morec_pareto.training.steps import batch_losses

SASREC = {"item_attributes": False, "behaviour_tokens": False, "scorer": "dot"}


@pytest.fixture
def dot_scorer() -> DotScorer:
    torch.manual_seed(0)
    scorer = DotScorer(d_model=4)
    with torch.no_grad():  # away from the identity start, so the two heads differ
        scorer.purchase.weight.copy_(torch.randn(4, 4))
        scorer.purchase_bias.fill_(-0.7)
    return scorer


def test_dot_scorer_equals_hand_dot_products(dot_scorer):
    h_u = torch.tensor([[1.0, 0.0, 2.0, -1.0], [0.5, 0.5, 0.0, 0.0]])  # (2, 4)
    h_i = torch.tensor([[1.0, 1.0, 1.0, 1.0], [0.0, 2.0, 0.0, 3.0], [-1.0, 0.0, 0.5, 0.0]])  # (3, 4)
    out = dot_scorer(h_u[:, None, :], h_i[None])
    assert out.shape == (2, 3, 2)
    # head 0 by hand: user 0 . item 0 = 1+0+2-1 = 2, . item 1 = 0+0+0-3 = -3, . item 2 = -1+0+1+0 = 0
    assert out[0, :, 0].tolist() == pytest.approx([2.0, -3.0, 0.0])
    assert out[1, :, 0].tolist() == pytest.approx([1.0, 1.0, -0.5])
    W = dot_scorer.purchase.weight.detach().numpy()
    purchase = np.array([[float(u @ (W @ i)) - 0.7 for i in h_i.numpy()] for u in h_u.numpy()])  # loop, not matmul
    assert out[..., 1].detach().numpy() == pytest.approx(purchase, abs=1e-5)


def test_dot_scorer_pairs_and_bilinear_agree(dot_scorer):
    h_u, h_i = torch.randn(5, 4), torch.randn(7, 4)
    grid = dot_scorer(h_u[:, None, :], h_i[None])  # (5, 7, 2)
    assert dot_scorer(h_u, h_i[:5]).shape == (5, 2)  # row-wise pairs
    assert torch.allclose(dot_scorer(h_u, h_i[:5]), grid[torch.arange(5), torch.arange(5)], atol=1e-6)
    assert torch.allclose(dot_scorer.bilinear(h_u, h_i), grid[..., 0], atol=1e-5)
    assert torch.allclose(dot_scorer.bilinear(h_u, h_i, head=1), grid[..., 1] + 0.7, atol=1e-5)  # no bias


def test_conditioned_dot_scorer_needs_and_uses_a_preference():
    scorer = DotScorer(d_model=4, n_preferences=2)
    h_u, h_i = torch.randn(3, 4), torch.randn(3, 4)
    with pytest.raises(ValueError, match="preference"):
        scorer(h_u, h_i)
    with torch.no_grad():
        scorer.film.weight.normal_()
    a = scorer(h_u, h_i, torch.tensor([[1.0, 0.0]]).expand(3, 2))
    b = scorer(h_u, h_i, torch.tensor([[0.0, 1.0]]).expand(3, 2))
    assert a.shape == (3, 2) and not torch.allclose(a, b)


def test_sasrec_model_uses_ids_and_positions_only(tiny_split):
    torch.manual_seed(0)
    model = build_recommender(tiny_split.data, max_len=12, d_model=16, user_layers=1, **SASREC).eval()
    assert isinstance(model.item_encoder, IdItemEncoder) and isinstance(model.scorer, DotScorer)
    ids = torch.arange(1, 9)
    assert torch.equal(model.item_encoder(ids), model.item_encoder.id_embedding.weight[1:9])
    items, behaviours = padded_history(tiny_split, "valid", 12, np.arange(4))
    items, behaviours = torch.as_tensor(items), torch.as_tensor(behaviours)
    assert torch.equal(model.user_encoder(items, behaviours), model.user_encoder(items, (behaviours + 1) % 4))
    assert "attribute_gate" not in model.learned_terms()
    with pytest.raises(ValueError, match="model.scorer"):
        build_recommender(tiny_split.data, scorer="dots")


def test_sasrec_satisfaction_is_the_full_softmax(tiny_split):
    torch.manual_seed(0)
    model = build_recommender(tiny_split.data, max_len=12, d_model=16, user_layers=1, **SASREC).eval()
    _, windows, behaviours = training_windows(tiny_split, 12)
    windows, behaviours = torch.as_tensor(windows[:6]), torch.as_tensor(behaviours[:6])
    price = torch.ones(tiny_split.data.n_items + 1)
    losses, _ = batch_losses(model, windows, behaviours, price, 32, torch.Generator().manual_seed(0))
    # independently: every position's state against the whole id table, cross-entropy on the next item
    inputs, targets = windows[:, :-1], windows[:, 1:]
    states = model.user_encoder(inputs, behaviours[:, :-1])
    keep = (targets > 0) & (inputs > 0)
    logits = states[keep] @ model.item_encoder.id_embedding.weight[1:].T
    assert losses["satisfaction"].item() == pytest.approx(F.cross_entropy(logits, targets[keep] - 1).item(), rel=1e-5)
    assert torch.isfinite(losses["revenue"])


@pytest.mark.parametrize("strategy", ["weighted", "conditioned"])
def test_sasrec_runs_the_whole_pipeline(tmp_path, strategy):
    run_cli("debug=tiny", "model=sasrec", f"strategy={strategy}", "search.n_gen=2", f"hydra.run.dir={tmp_path}")
    front = pd.read_csv(tmp_path / "front.csv")
    assert len(front) > 0 and np.isfinite(front[["test_satisfaction", "test_revenue"]].to_numpy()).all()
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["accuracy"]["ndcg@10"] > 0 and "attribute_gate" not in summary["training"]


def _summary(ndcg: float, masked: float) -> dict:
    metrics = {"ndcg@10": ndcg, "hit@10": 2 * ndcg, "mrr@10": ndcg / 2}
    return {
        "accuracy": {**metrics, "valid": metrics},
        "accuracy_masked": {"test": {**metrics, "ndcg@10": masked}, "valid": {**metrics, "ndcg@10": masked}},
        "accuracy_popularity": {"ndcg@10": 0.0123, "hit@10": 0.02, "mrr@10": 0.01},
        "training": {"seconds_per_epoch": 20.0, "best_epoch": 9},
    }


def test_accuracy_script_reuses_runs_and_labels_protocols(tmp_path):
    for variant, ndcg in (("ours", 0.09), ("no_repeat", 0.06), ("sasrec", 0.065)):
        for seed, shift in ((0, 0.0), (1, 0.002)):
            folder = tmp_path / variant / f"seed{seed}"
            folder.mkdir(parents=True)
            (folder / "summary.json").write_text(json.dumps(_summary(ndcg + shift, ndcg + 0.04 + shift)))
    script = Path(__file__).resolve().parents[1] / "experiments" / "ml100k_accuracy.py"
    out = subprocess.run([sys.executable, str(script), "--data", "unused", "--seeds", "0", "1", "--out", str(tmp_path)],
                         capture_output=True, text=True, check=True).stdout  # no run starts: every summary exists
    unmasked, masked = out.split("== earlier items masked")
    assert "SASRec config (model=sasrec) mean" in unmasked and "0.0660" in unmasked  # mean of 0.065, 0.067
    assert "0.1060" in masked and "0.0660" not in masked.split("sd")[0]  # masked block reads accuracy_masked
    assert "popularity (this run's users)" in unmasked and "popularity" not in masked.split("RecBole")[0]
    assert "LS/TO/full, converged" in unmasked and "history masked" in masked and "BPR" not in unmasked


def test_accuracy_script_variants_compose_to_the_intended_models():
    from hydra import compose, initialize_config_dir

    root = Path(__file__).resolve().parents[1]
    spec = importlib.util.spec_from_file_location("ml100k_accuracy", root / "experiments" / "ml100k_accuracy.py")
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    VARIANTS = script.VARIANTS
    conf = root / "conf"
    with initialize_config_dir(config_dir=str(conf), version_base=None):
        models = {name: compose("config", overrides=["experiment=ml100k_accuracy", "data.path=x", *ov]).model
                  for name, (_, ov) in VARIANTS.items()}
    assert models["ours"].repeat_bias and models["ours"].item_attributes and models["ours"].behaviour_tokens
    assert not models["no_repeat"].repeat_bias and models["no_repeat"].scorer == models["ours"].scorer
    sasrec = models["sasrec"]  # the overlay switches the repeat term on after the model group: the variant undoes it
    switches = (sasrec.repeat_bias, sasrec.item_attributes, sasrec.behaviour_tokens, sasrec.scorer)
    assert switches == (False, False, False, "dot")
    assert models["mlp"].scorer == "mlp" and models["mlp"].repeat_bias
