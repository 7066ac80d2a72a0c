"""Shared fixtures: tiny data, a briefly trained tiny model, and one `debug=tiny` run folder per session."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from morec_pareto.data.split import leave_one_out
from morec_pareto.data.synthetic import simulate
from morec_pareto.models.recommender import build_recommender
from morec_pareto.training.fit import fit
from morec_pareto.training.scoring import stage_data

ROOT = Path(__file__).resolve().parents[1]


def run_cli(*overrides: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    """Run `python -m morec_pareto` with Hydra overrides; fail the test with its output on error."""
    proc = subprocess.run([sys.executable, "-m", "morec_pareto", *overrides], cwd=cwd, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc


@pytest.fixture(scope="session")
def tiny_split():
    return leave_one_out(simulate("tiny", seed=0))


@pytest.fixture(scope="session")
def tiny_model(tiny_split):
    torch.manual_seed(0)
    model = build_recommender(tiny_split.data, max_len=20, d_model=32, user_layers=1, repeat_bias=True)
    result = fit(model, tiny_split, {"satisfaction": 1.0, "revenue": 1.0}, epochs=10, n_negatives=64, patience=100,
                 progress=False)
    return model, result


@pytest.fixture(scope="session")
def tiny_stages(tiny_split, tiny_model):
    model, _ = tiny_model
    return stage_data(model, tiny_split, "valid"), stage_data(model, tiny_split, "test")


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory) -> Path:
    run_dir = tmp_path_factory.mktemp("tiny_run")
    run_cli("debug=tiny", f"hydra.run.dir={run_dir}")
    return run_dir


def random_stage(n_users: int = 7, n_items: int = 30, seed: int = 0):
    """A StageData of random scores and truth, for policy and objective checks."""
    from morec_pareto.types import StageData

    rng = np.random.default_rng(seed)
    return StageData(
        relevance=rng.normal(size=(n_users, n_items)).astype(np.float32),
        purchase=rng.uniform(0.01, 0.9, size=(n_users, n_items)).astype(np.float32),
        seen=rng.random((n_users, n_items)) < 0.2,
        targets=rng.integers(0, n_items, n_users),
        target_bought=rng.random(n_users) < 0.5,
        price=rng.lognormal(3.0, 0.8, n_items),
        true_click=rng.uniform(0, 1, size=(n_users, n_items)).astype(np.float32),
        true_buy=rng.uniform(0, 0.3, size=(n_users, n_items)).astype(np.float32),
    )
