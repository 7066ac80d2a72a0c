"""Where the search's cached score tables come from: one model, a preference-conditioned model, or one model per weight.

A source serves (validation, test) StageData for a model-side satisfaction weight lambda, quantised to
`n_levels` values on [0, 1] so that equal weights share one model (trained or conditioned) and its
score tables. Sources without a model-side weight serve the same tables for every lambda.
"""
from __future__ import annotations

import time
from abc import ABC, abstractmethod

import numpy as np

from morec_pareto.training.scoring import rescore_stages
from morec_pareto.types import StageData


class ScoreSource(ABC):
    """Cached (valid, test) stage data, per model-side weight level when the loss method has one."""

    n_levels: int = 0  # 0: no model-side weight
    base: tuple[StageData, StageData]  # the shared model's (valid, test) stage data (satisfaction-only for conditioned)

    def __init__(self, n_trainings: int = 1, train_seconds: float = 0.0, train_epochs: int = 0) -> None:
        self._n_trainings = n_trainings
        self._train_seconds = train_seconds
        self._train_epochs = train_epochs
        self.scoring_seconds = 0.0

    @property
    def n_trainings(self) -> int:
        """Models trained to serve this source (the shared model included)."""
        return self._n_trainings

    @property
    def train_seconds(self) -> float:
        """Seconds spent training them, summed over parallel jobs."""
        return self._train_seconds

    @property
    def train_epochs(self) -> int:
        """Training epochs (passes over the training windows) summed over every model: compute that
        does not depend on the machine or on how busy it was."""
        return self._train_epochs

    @property
    def levels(self) -> np.ndarray:
        return np.linspace(0.0, 1.0, self.n_levels) if self.n_levels else np.zeros(0)

    def level_index(self, lam: np.ndarray) -> np.ndarray:
        """Nearest level of each lambda in [0, 1]."""
        return np.rint(np.clip(lam, 0.0, 1.0) * (self.n_levels - 1)).astype(np.int64)

    def close(self) -> None:  # noqa: B027 - a hook: most sources hold nothing open
        """Release what the source holds open (a training pool); default: nothing."""

    def __enter__(self) -> ScoreSource:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def prepare(self, level_ids: np.ndarray) -> None:  # noqa: B027 - a hook: most sources train nothing
        """Make the tables of these levels available (training what is missing); default: nothing to do."""

    @abstractmethod
    def stages(self, level_id: int) -> tuple[StageData, StageData]:
        """(validation, test) stage data of one level (level_id is ignored without levels)."""


class FixedSource(ScoreSource):
    """One trained model, one pair of score tables."""

    def __init__(self, valid: StageData, test: StageData, train_seconds: float = 0.0, train_epochs: int = 0) -> None:
        super().__init__(1, train_seconds, train_epochs)
        self.valid, self.test = valid, test
        self.base = (valid, test)

    def stages(self, level_id: int) -> tuple[StageData, StageData]:
        return self.valid, self.test


class ConditionedSource(ScoreSource):
    """One preference-conditioned model; each level's tables are scored at preference (lambda, 1 - lambda)."""

    def __init__(self, model, split, users: np.ndarray, n_levels: int, base: tuple[StageData, StageData],
                 train_seconds: float = 0.0, train_epochs: int = 0) -> None:
        super().__init__(1, train_seconds, train_epochs)
        self.model, self.split, self.users, self.n_levels = model, split, users, n_levels
        self.base = base  # seen, targets and truth do not depend on the preference
        self.cache: dict[int, tuple[StageData, StageData]] = {}

    def stages(self, level_id: int) -> tuple[StageData, StageData]:
        if level_id not in self.cache:
            start = time.perf_counter()
            lam = self.levels[level_id]
            preference = np.array([lam, 1.0 - lam])
            self.cache[level_id] = rescore_stages(self.model, self.split, self.base, self.users, preference)
            self.scoring_seconds += time.perf_counter() - start
        return self.cache[level_id]
