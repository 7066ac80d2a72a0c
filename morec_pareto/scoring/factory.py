"""The scoring stage's one factory: the score source a loss method's trained model(s) serve the search."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from morec_pareto.scoring.retrain import CandidateTrainer, RetrainSource, make_runner
from morec_pareto.scoring.sources import ConditionedSource, FixedSource, ScoreSource
from morec_pareto.training.methods import LossMethod, PerWeightModels, PreferenceConditioned
from morec_pareto.training.scoring import stage_data
from morec_pareto.training.shared import TrainedModel
from morec_pareto.types import Split, Stage, StageData


def base_stages(loss: LossMethod, trained: TrainedModel, split: Split, users: np.ndarray) -> tuple[StageData, StageData]:
    """(validation, test) stage data of the shared model (a conditioned model at preference (1, 0))."""
    preference = np.array([1.0, 0.0]) if isinstance(loss, PreferenceConditioned) else None
    valid = stage_data(trained.model, split, Stage.VALID, users, preference)
    return valid, stage_data(trained.model, split, Stage.TEST, users, preference, truth_of=valid)


def open_source(loss: LossMethod, trained: TrainedModel, split: Split, users: np.ndarray, run_dir: Path,
                seed: int) -> ScoreSource:
    """The score source of a run; use it in a `with` block (or call close()) so a training pool is released.

    weighted_sum, mgda: the shared model's tables. conditioned: the conditioned model re-scored per
    preference level. per_weight: one model per loss-weight level, warm-started from the shared one and
    trained on demand (in a pool), kept under run_dir/trainings so a restarted run reuses them.
    """
    base = base_stages(loss, trained, split, users)
    seconds, epochs = trained.fit.train_seconds, trained.fit.epochs_run
    if isinstance(loss, PreferenceConditioned):
        return ConditionedSource(trained.model, split, users, loss.n_levels, base, seconds, epochs)
    if isinstance(loss, PerWeightModels):
        trainer = CandidateTrainer(split, trained.model_kwargs, trained.train_kwargs, run_dir / "trainings" / "base.pt",
                                   run_dir / "trainings", loss.epochs_per_candidate, seed)
        runner, pool = make_runner(loss.parallel, loss.n_workers)
        return RetrainSource(trainer, users, loss.n_levels, base, runner, seconds, epochs, pool=pool)
    return FixedSource(base[0], base[1], seconds, epochs)
