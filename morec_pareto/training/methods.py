"""How training combines the objectives: the `loss` config group, one class per option.

    weighted_sum   one model on sum_k w_k L_k (w = train.loss_weights)
    mgda           one model, no weights: min-norm (MGDA-UB) gradient combination
    conditioned    one preference-conditioned model; the search picks a preference per candidate
    per_weight     one model per searched loss weight, warm-started from a shared model

Each option says what the shared model is (its `fit` method, model and epoch changes) and how many
model-side weights (`n_levels`: the quantised lambda_satisfaction values) its score source serves; the
scoring stage (`morec_pareto.scoring`) turns it into a score source.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar


@dataclass(frozen=True)
class LossMethod:
    """Base of the `loss` options."""

    name: ClassVar[str]
    fit_method: ClassVar[str] = "weighted"  # training.fit's `method` for the shared model
    summary_name: ClassVar[str] = "weighted"  # summary.json's training.method (names of earlier runs)
    n_levels: int = 0  # model-side weight levels the search picks from (0: one fixed model)

    def __post_init__(self) -> None:
        if self.n_levels and self.n_levels < 2:
            raise ValueError(f"loss.n_levels must be >= 2, got {self.n_levels}")

    def model_overrides(self) -> dict:
        """Model config keys this method sets (over the `model` group)."""
        return {}

    def shared_train_overrides(self) -> dict:
        """Train config keys this method sets for the shared model (over the `train` group)."""
        return {}

    @property
    def reuses_cache(self) -> bool:
        """Whether the shared model may come from / go to `model_cache`."""
        return True


@dataclass(frozen=True)
class WeightedSum(LossMethod):
    """One model trained on sum_k w_k L_k with the weights of `train.loss_weights`."""

    name: ClassVar[str] = "weighted_sum"


@dataclass(frozen=True)
class MGDA(LossMethod):
    """One model, no weights: each step follows the min-norm combination of the objectives' gradients."""

    name: ClassVar[str] = "mgda"
    fit_method: ClassVar[str] = "mgda"
    summary_name: ClassVar[str] = "mgda"


@dataclass(frozen=True)
class PreferenceConditioned(LossMethod):
    """One preference-conditioned model (FiLM scorer, Dirichlet preferences per batch): the whole front."""

    name: ClassVar[str] = "conditioned"
    fit_method: ClassVar[str] = "conditioned"
    summary_name: ClassVar[str] = "conditioned"
    n_levels: int = 21

    def model_overrides(self) -> dict:
        return {"n_preferences": 2}


@dataclass(frozen=True)
class PerWeightModels(LossMethod):
    """One model per distinct searched loss weight, warm-started from a shared model trained `warm_epochs`.

    `parallel` (process | ray | none) and `n_workers` say how the per-weight trainings run.
    """

    name: ClassVar[str] = "per_weight"
    summary_name: ClassVar[str] = "retrain"
    n_levels: int = 11
    warm_epochs: int = 5
    epochs_per_candidate: int = 2
    parallel: str = "process"
    n_workers: int = 2

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.parallel not in ("process", "ray", "none"):
            raise ValueError(f"loss.parallel must be process, ray or none, got {self.parallel!r}")

    def shared_train_overrides(self) -> dict:
        return {"epochs": self.warm_epochs}

    @property
    def reuses_cache(self) -> bool:
        return False  # the warm-start model lives in the run folder, where a resumed run finds it


LOSS_METHODS: dict[str, type[LossMethod]] = {
    m.name: m for m in (WeightedSum, MGDA, PreferenceConditioned, PerWeightModels)
}
