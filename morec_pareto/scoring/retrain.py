"""Training-time weights searched by NSGA-II: one warm-started model per distinct loss weight, trained in parallel."""
from __future__ import annotations

import itertools
import json
import multiprocessing
import os
import time
from pathlib import Path

import numpy as np
import torch
from pymoo.parallelization.starmap import StarmapParallelization

from morec_pareto.io import atomic_path, write_json
from morec_pareto.models.recommender import build_recommender
from morec_pareto.scoring.sources import ScoreSource
from morec_pareto.training.fit import fit
from morec_pareto.training.scoring import rescore_stages
from morec_pareto.types import Split, StageData


class CandidateTrainer:
    """A picklable job: warm-start from the shared checkpoint, train at loss weights (lambda, 1 - lambda), save.

    Called as trainer((level, lam)) by pymoo's parallelisation runners; returns (level, training seconds).
    """

    def __init__(self, split: Split, model_kwargs: dict, train_kwargs: dict, base_path: Path, out_dir: Path,
                 epochs: int, seed: int) -> None:
        self.split, self.model_kwargs, self.train_kwargs = split, model_kwargs, train_kwargs
        self.base_path, self.out_dir, self.epochs, self.seed = base_path, out_dir, epochs, seed

    def path(self, level: int) -> Path:
        return self.out_dir / f"level_{level:03d}.pt"

    def __call__(self, job: tuple[int, float]) -> tuple[int, float]:
        level, lam = job
        torch.set_num_threads(1)  # one core per job; the pool provides the parallelism
        model = build_recommender(self.split.data, **self.model_kwargs)
        model.load_state_dict(torch.load(self.base_path, weights_only=False)["state_dict"])
        kwargs = {**self.train_kwargs, "epochs": self.epochs, "patience": self.epochs, "keep_best": False}
        kwargs.pop("loss_weights", None)  # this job's weights are its lambda
        result = fit(model, self.split, {"satisfaction": float(lam), "revenue": 1.0 - float(lam)},
                     seed=self.seed + level, progress=False, **kwargs)
        with atomic_path(self.path(level)) as tmp:
            torch.save({"state_dict": model.state_dict(), "lambda": float(lam), "train_seconds": result.train_seconds}, tmp)
        return level, result.train_seconds


class LocalRay:
    """A local Ray instance this run started for its trainings; close() shuts it down (the pool role of RetrainSource)."""

    @classmethod
    def start(cls, n_cpus: int) -> LocalRay | None:
        """A local instance of n_cpus CPUs; None where Ray runs already (a Ray launcher job) or RAY_ADDRESS names a cluster."""
        import ray  # optional (the `ray` extra): imported only when chosen

        if ray.is_initialized() or os.environ.get("RAY_ADDRESS"):
            return None  # pymoo's runner calls ray.remote, which joins the running instance or RAY_ADDRESS's cluster
        ray.init(address="local", num_cpus=n_cpus, include_dashboard=False)
        return cls()

    def close(self) -> None:
        import ray

        ray.shutdown()


def make_runner(parallel: str, n_workers: int):
    """A pymoo parallelisation runner: 'process' (a spawn pool), 'ray' (where installed) or 'none'.

    'ray': each training is a Ray task of 1 CPU (and 1 torch thread) on the running Ray instance (inside a
    `hydra/launcher=ray` job), else on the cluster at RAY_ADDRESS, else on a local instance of n_workers
    CPUs started here and shut down by RetrainSource.close().
    """
    if parallel == "ray":
        from pymoo.parallelization.ray import RayParallelization  # optional: imported only when chosen

        return RayParallelization({"num_cpus": 1}), LocalRay.start(n_workers)
    if parallel == "process" and n_workers > 1:
        pool = multiprocessing.get_context("spawn").Pool(n_workers)
        return StarmapParallelization(pool.starmap), pool
    if parallel not in ("process", "none"):
        raise ValueError(f"loss.parallel must be process, ray or none, got {parallel!r}")
    return StarmapParallelization(itertools.starmap), None


class RetrainSource(ScoreSource):
    """One model per lambda level, trained on demand and kept on disk; a restarted run reuses finished ones."""

    def __init__(self, trainer: CandidateTrainer, users: np.ndarray, n_levels: int, base: tuple[StageData, StageData],
                 runner, base_seconds: float = 0.0, base_epochs: int = 0, pool=None) -> None:
        super().__init__(1, base_seconds, base_epochs)
        self.trainer, self.users, self.n_levels, self.base, self.runner = trainer, users, n_levels, base, runner
        self.pool = pool  # a process pool (or a local Ray instance) the runner uses, closed by close()
        self.cache: dict[int, tuple[StageData, StageData]] = {}
        self.ledger_path = trainer.out_dir / "ledger.json"
        self.ledger: dict[str, float] = json.loads(self.ledger_path.read_text()) if self.ledger_path.exists() else {}
        self._add_unrecorded_levels()

    def _add_unrecorded_levels(self) -> None:
        """Put every finished level model missing from the ledger back into it, with the seconds it stores.

        A run killed after a level's model was saved but before the ledger was written (the ledger is written
        once per batch of trainings) would otherwise reuse that model without counting its training.
        """
        missing = {level: self.trainer.path(level) for level in range(self.n_levels)
                   if str(level) not in self.ledger and self.trainer.path(level).exists()}
        for level, path in missing.items():
            self.ledger[str(level)] = float(torch.load(path, map_location="cpu", weights_only=False)["train_seconds"])
        if missing:
            write_json(self.ledger, self.ledger_path)

    @property
    def n_trainings(self) -> int:
        """The shared warm-start model plus every per-level model in the ledger."""
        return 1 + len(self.ledger)

    @property
    def train_seconds(self) -> float:
        return self._train_seconds + float(sum(self.ledger.values()))

    @property
    def train_epochs(self) -> int:
        return self._train_epochs + self.trainer.epochs * len(self.ledger)

    def prepare(self, level_ids: np.ndarray) -> None:
        missing = [int(l) for l in np.unique(level_ids) if not self.trainer.path(int(l)).exists()]
        if not missing:
            return
        done = self.runner(self.trainer, [(l, float(self.levels[l])) for l in missing])
        for level, seconds in done:
            self.ledger[str(level)] = seconds
        write_json(self.ledger, self.ledger_path)

    def close(self) -> None:
        if self.pool is not None:
            self.pool.close()
            self.pool = None

    def stages(self, level_id: int) -> tuple[StageData, StageData]:
        if level_id not in self.cache:
            self.prepare(np.array([level_id]))
            start = time.perf_counter()
            model = build_recommender(self.trainer.split.data, **self.trainer.model_kwargs)
            model.load_state_dict(torch.load(self.trainer.path(level_id), weights_only=False)["state_dict"])
            self.cache[level_id] = rescore_stages(model, self.trainer.split, self.base, self.users)
            self.scoring_seconds += time.perf_counter() - start
        return self.cache[level_id]
