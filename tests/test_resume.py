"""Faults: a run killed (SIGKILL) during training or during the search resumes to the uninterrupted result."""
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from conftest import ROOT, run_cli

ARGS = ["debug=tiny", "seed=1", "train.epochs=8", "train.patience=8", "threads=1"]  # equal threads: equal fronts
TIMINGS = {"runtime_s", "train_seconds", "search_seconds", "search_table_seconds"}


def _summary(run: Path) -> dict:
    summary = json.loads((run / "summary.json").read_text())
    summary["training"].pop("seconds_per_epoch")
    return {k: v for k, v in summary.items() if k not in TIMINGS}


def _kill_when(run: Path, marker: str, too_late: str) -> None:
    """Start the run, SIGKILL it as soon as `marker` appears in its folder; fail if `too_late` exists by then."""
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "morec_pareto", *ARGS, f"hydra.run.dir={run}"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 300
    while not (run / marker).exists():
        assert proc.poll() is None, "the run ended before it could be killed"
        assert time.monotonic() < deadline
        time.sleep(0.005)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert not (run / too_late).exists(), f"killed too late: {too_late} already written"
    assert not (run / "summary.json").exists()


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory):
    run = tmp_path_factory.mktemp("full") / "run"
    run_cli(*ARGS, f"hydra.run.dir={run}")
    return run


@pytest.mark.parametrize("marker, too_late", [("training_checkpoint.pt", "model.pt"), ("checkpoint.pkl", "front.csv")],
                         ids=["during_training", "during_search"])
def test_killed_run_resumes_to_the_same_result(uninterrupted, tmp_path, marker, too_late):
    run = tmp_path / "run"
    _kill_when(run, marker, too_late)
    run_cli(*ARGS, f"hydra.run.dir={run}")  # the same command again
    for name in ("front.csv", "evaluations.csv"):
        assert (run / name).read_bytes() == (uninterrupted / name).read_bytes(), name
    history, expected = (pd.read_csv(folder / "history.csv") for folder in (run, uninterrupted))
    pd.testing.assert_frame_equal(history.drop(columns="seconds"), expected.drop(columns="seconds"))  # seconds: timings
    assert _summary(run) == _summary(uninterrupted)
    assert not (run / "training_checkpoint.pt").exists() and not (run / "checkpoint.pkl").exists()


def test_fit_resumes_at_the_next_epoch_with_identical_weights(tiny_split, tmp_path, monkeypatch):
    import torch

    from morec_pareto.models.recommender import build_recommender
    from morec_pareto.training import fit as fit_module
    from morec_pareto.training.steps import EpochRunner

    def train(checkpoint=None):
        torch.manual_seed(0)
        model = build_recommender(tiny_split.data, max_len=20, d_model=32, user_layers=1)
        result = fit_module.fit(model, tiny_split, {"satisfaction": 1.0, "revenue": 1.0}, epochs=4, n_negatives=16,
                                patience=4, progress=False, checkpoint=checkpoint)
        return model, result

    reference, ref_result = train()
    ckpt = tmp_path / "training_checkpoint.pt"
    original, calls = fit_module.validation_metrics, {"n": 0}

    def dies_in_third_validation(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt  # killed during epoch 2, after epochs 0 and 1 were saved
        return original(*args, **kwargs)

    with monkeypatch.context() as mp:
        mp.setattr(fit_module, "validation_metrics", dies_in_third_validation)
        with pytest.raises(KeyboardInterrupt):
            train(ckpt)
    epochs_trained = []
    counting = EpochRunner.train_epoch

    def count(self, model, order, steps, optimizer, scheduler, method, loss_weights, epoch):
        epochs_trained.append(epoch)
        return counting(self, model, order, steps, optimizer, scheduler, method, loss_weights, epoch)

    monkeypatch.setattr(EpochRunner, "train_epoch", count)
    resumed, result = train(ckpt)
    assert epochs_trained == [2, 3]  # epochs 0 and 1 were not redone
    assert result.history == ref_result.history and result.best_epoch == ref_result.best_epoch
    for name, tensor in reference.state_dict().items():
        assert torch.equal(tensor, resumed.state_dict()[name]), name
