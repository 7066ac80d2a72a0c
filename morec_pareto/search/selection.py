"""Model selection by validation hypervolume: a fixed, seeded set of ranking candidates scored at several preferences."""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, fields

import numpy as np
import torch

from morec_pareto.models.recommender import Recommender
from morec_pareto.objectives.task import Task
from morec_pareto.ranking.policies import RankingPolicy
from morec_pareto.report.indicators import hypervolume
from morec_pareto.search.algorithms import weight_grid
from morec_pareto.search.problem import PopulationEvaluator
from morec_pareto.training.scoring import stage_data
from morec_pareto.types import Split, Stage, StageData

SELECTIONS = ("ndcg", "hypervolume")
PolicyFactory = Callable[..., RankingPolicy]  # as run_config.PolicyFactory: (k=, mask_seen=, objectives=, data=)


@dataclass(frozen=True)
class SelectionSettings:
    """The `train.selection*` keys: the validation number `fit` keeps its best epoch by (see conf/train/default.yaml)."""

    selection: str = "ndcg"  # ndcg: NDCG@10 at preference (1, 0); hypervolume: `HypervolumeCriterion`
    selection_preferences: tuple[float, ...] | list[float] = (0.0, 0.25, 0.5, 0.75, 1.0)  # lambda_satisfaction values
    selection_grid: int = 11  # weight-grid candidates (`search.algorithms.weight_grid`)
    selection_random: int = 8  # seeded uniform candidates over the policy's variables

    def __post_init__(self) -> None:
        if self.selection not in SELECTIONS:
            raise ValueError(f"train.selection must be one of {list(SELECTIONS)}, got {self.selection!r}")
        prefs = list(self.selection_preferences)
        if not prefs or not all(isinstance(p, (int, float)) and 0.0 <= p <= 1.0 for p in prefs):
            raise ValueError(f"train.selection_preferences must be a non-empty list of numbers in [0, 1], got {prefs}")
        if self.selection_grid < 0 or self.selection_random < 0 or self.selection_grid + self.selection_random < 1:
            raise ValueError(f"train.selection_grid and train.selection_random must be >= 0 with a positive sum, got "
                             f"{self.selection_grid} and {self.selection_random}")

    @classmethod
    def split(cls, train: dict) -> tuple[SelectionSettings, dict]:
        """The selection settings in a `train` config mapping, and the rest of it (what `fit` takes)."""
        names = {f.name for f in fields(cls)}
        settings = cls(**{k: v for k, v in train.items() if k in names})
        return settings, {k: v for k, v in train.items() if k not in names}

    def cache_key(self) -> dict | None:
        """What the selection adds to the `model_cache` key: nothing for ndcg (keys of earlier models stay valid)."""
        if self.selection == "ndcg":
            return None
        return asdict(self)


class HypervolumeCriterion:
    """The validation hypervolume of a model over a fixed candidate set: `fit`'s `criterion` for train.selection=hypervolume.

    HV(model) = HV({F(x, lambda) : x in X, lambda in preferences}, r), where F(x, lambda) are the run's
    objectives (natural units, directions from the registry) of candidate x of the run's policy, ranked
    on the validation score table of the model at preference (lambda, 1 - lambda), averaged over
    `users`, and r is the task's reference point (fixed before training). A model without a
    preference input has one table, so the union is over X alone. X is the policy's weight grid
    (`grid` points, other variables at their defaults; a policy without objective weights contributes
    its defaults) then `random` seeded uniform candidates, built on the first call (the policy needs
    stage data for per-item objectives) and the same at every call.

    Cost of one call: one score table per preference (U x I, both heads), the ground truth on the first
    call only, and len(preferences) x len(X) candidates ranked on the dense tables (`prune` off by default:
    pruning a table to its K-skyband pays off over a search's thousand candidates, not over 19).
    Measured at one thread on the shared 2-core machine, 5 preferences x 19 candidates: debug=tiny
    (120 x 150) 0.12 s per call (an epoch's steps: 0.25 s); default size (1,000 x 1,700 items, an
    untrained model on a 200-user sample, linear in users) 2.0 s per 200 users, so about 10 s per epoch
    at 1,000 users: 6.6 s scoring the 5 tables, 3.4 s ranking and objectives (pruned: 13.5 s), beside
    1.3 s for the NDCG@10 validation and ~26 s for an epoch's training steps. Fewer preferences cut the
    scoring share in proportion. It counts in `train_seconds`.
    """

    def __init__(self, settings: SelectionSettings, task: Task, policy: PolicyFactory, split: Split,
                 users: np.ndarray, seed: int, device: torch.device | str = "cpu", prune: bool = False) -> None:
        self.settings, self.task, self.policy_factory, self.split = settings, task, policy, split
        self.users, self.seed, self.device, self.prune = np.asarray(users), seed, torch.device(device), prune
        self.policy: RankingPolicy | None = None
        self.X: np.ndarray | None = None  # (n_candidates, n_var), set on the first call
        self._truth: StageData | None = None  # ground truth of `users`, computed once
        self.seconds, self.calls = 0.0, 0

    def preferences(self, model: Recommender) -> list[np.ndarray | None]:
        """The preference vectors a model is scored at: (lambda, 1 - lambda) each, or [None] without a preference input."""
        if not model.scorer.n_preferences:
            return [None]
        return [np.array([lam, 1.0 - lam]) for lam in self.settings.selection_preferences]

    def candidates(self, policy: RankingPolicy) -> np.ndarray:
        """The fixed candidate set X: the weight grid, then seeded uniform candidates."""
        parts = []
        if self.settings.selection_grid:
            try:
                parts.append(weight_grid(policy, self.settings.selection_grid))
            except ValueError:  # a policy without objective weights (pareto_layers, epsilon_constraint)
                parts.append(policy.defaults[None])
        if self.settings.selection_random:
            lower, upper = policy.bounds
            parts.append(np.random.default_rng(self.seed).uniform(lower, upper, (self.settings.selection_random, len(lower))))
        return np.vstack(parts)

    def points(self, model: Recommender) -> np.ndarray:
        """Objectives (len(preferences) * len(X), n_obj), natural units: every candidate at every preference."""
        start = time.perf_counter()
        out = []
        for preference in self.preferences(model):
            data = stage_data(model, self.split, Stage.VALID, self.users, preference, truth_of=self._truth)
            if self._truth is None:
                self._truth = data
            if self.policy is None:
                task = self.task
                self.policy = self.policy_factory(k=task.k, mask_seen=task.mask_seen, objectives=task.objectives,
                                                  data=data)
                self.X = self.candidates(self.policy)
            assert self.X is not None
            out.append(PopulationEvaluator(self.policy, self.task.objectives, self.device, self.prune)(self.X, data))
        self.seconds += time.perf_counter() - start
        self.calls += 1
        return np.concatenate(out)

    def __call__(self, model: Recommender) -> float:
        return hypervolume(self.points(model), self.task.reference_point, self.task.objectives)


def selection_criterion(settings: SelectionSettings, task: Task, policy: PolicyFactory, split: Split,
                        max_users: int, seed: int, device: torch.device | str = "cpu",
                        prune: bool = False) -> HypervolumeCriterion | None:
    """`fit`'s criterion for the run: None for ndcg, else the hypervolume criterion on the task's users
    (a seeded sample of `max_users` of them, train.max_eval_users, when there are more)."""
    if settings.selection == "ndcg":
        return None
    users = task.users
    if len(users) > max_users:
        users = np.sort(np.random.default_rng(seed).choice(users, max_users, replace=False))
    return HypervolumeCriterion(settings, task, policy, split, users, seed, device, prune)
