"""The one model a run starts from: trained here, reloaded from `model_cache`, or (per-weight runs) resumed."""
from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch

from morec_pareto.io import atomic_path
from morec_pareto.models.recommender import Recommender, build_recommender
from morec_pareto.objectives.reference import data_fingerprint
from morec_pareto.training.fit import FitResult, fit
from morec_pareto.training.methods import LossMethod
from morec_pareto.types import Split

log = logging.getLogger(__name__)
MODEL_CACHE_VERSION = 2  # bump when training changes what the same settings produce
TRAINING_CHECKPOINT = "training_checkpoint.pt"  # in the run folder until the run is done; a rerun resumes from it


@dataclass
class TrainedModel:
    """The shared model, the settings it was built and trained with, and where it is saved."""

    model: Recommender
    model_kwargs: dict
    train_kwargs: dict
    fit: FitResult
    path: Path  # run_dir/model.pt


def model_cache_path(folder: Path, split: Split, model_kwargs: dict, train_kwargs: dict, method: str,
                     seed: int, device: torch.device | str = "cpu") -> Path:
    """Where a model trained on this data with these settings, seed, device type and torch threads is kept for reuse.

    Strategies that train identically (weighted, tchebycheff, non_weighted, epsilon_constraint, grid,
    random at one seed) then share one training; the key covers everything that shapes the weights.
    """
    # where text embeddings are cached does not shape the weights, and a model without text keeps the key it had
    # before the text token existed
    model_kwargs = {k: v for k, v in model_kwargs.items()
                    if k != "text_cache_dir" and not (k == "text_encoder" and v is None)}
    key = json.dumps([MODEL_CACHE_VERSION, data_fingerprint(split), model_kwargs, train_kwargs, method, seed,
                      torch.__version__, torch.get_num_threads(), torch.device(device).type], sort_keys=True, default=str)
    return folder / f"model_{hashlib.sha256(key.encode()).hexdigest()[:24]}.pt"


def train_shared_model(loss: LossMethod, model_cfg: dict, train_cfg: dict, split: Split, run_dir: Path, seed: int,
                       device: torch.device, model_cache: str | None = None, progress: bool = True,
                       criterion: Callable[[Recommender], float] | None = None,
                       criterion_key: dict | None = None) -> TrainedModel:
    """Train (or reload) the model every candidate of the run starts from, and save it as run_dir/model.pt.

    A per-weight run keeps it as run_dir/trainings/base.pt too (the warm start a resumed run reloads);
    other runs may share it through `model_cache` with every run that trains identically. `criterion`
    is `fit`'s model-selection criterion (None: validation NDCG@10) and `criterion_key` its settings,
    which join the cache key.
    """
    model_kwargs = {**model_cfg, **loss.model_overrides()}
    train_kwargs = {**train_cfg, **loss.shared_train_overrides()}
    key_kwargs = train_kwargs if criterion_key is None else {**train_kwargs, "selection": criterion_key}
    model = build_recommender(split.data, **model_kwargs).to(device)
    base_path = run_dir / "trainings" / "base.pt"
    cached = None
    if model_cache and loss.reuses_cache:
        cached = model_cache_path(Path(model_cache), split, model_kwargs, key_kwargs, loss.fit_method, seed, device)
    saved_path = cached if loss.reuses_cache else base_path
    if saved_path is not None and saved_path.exists():
        saved = torch.load(saved_path, weights_only=False, map_location=device)
        model.load_state_dict(saved["state_dict"])
        fit_result = FitResult(**saved["fit"])
        if cached is not None:
            fit_result.reused_from = str(cached)
            log.info("model reused from %s (same data, model, train config and seed)", cached)
    else:
        fit_result = fit(model, split, seed=seed, method=loss.fit_method, progress=progress,
                         checkpoint=run_dir / TRAINING_CHECKPOINT, criterion=criterion, **train_kwargs)
    payload = {"state_dict": model.state_dict(), "model": model_kwargs, "fit": fit_result.__dict__}
    if cached is not None and not cached.exists():
        _save({**payload, "fit": {**fit_result.__dict__, "reused_from": None}}, cached)
    _save(payload, run_dir / "model.pt")
    if not loss.reuses_cache and not base_path.exists():
        _save(payload, base_path)
    model.eval()
    return TrainedModel(model, model_kwargs, train_kwargs, fit_result, run_dir / "model.pt")


def _save(payload: dict, path: Path) -> None:
    with atomic_path(path) as tmp:
        torch.save(payload, tmp)
