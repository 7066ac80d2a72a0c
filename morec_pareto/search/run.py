"""Run a strategy on a cached stage: NSGA-II (pymoo) or a weight grid, with history and checkpoints."""
from __future__ import annotations

import os
import pickle
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from pymoo.algorithms.moo.nsga2 import NSGA2
from pymoo.operators.crossover.sbx import SBX
from pymoo.operators.mutation.pm import PM
from pymoo.operators.sampling.lhs import LHS
from pymoo.termination import get_termination
from tqdm.auto import tqdm

from morec_pareto.report.indicators import hypervolume, nondominated_mask
from morec_pareto.search.problem import PopulationEvaluator, RankingProblem
from morec_pareto.search.sources import FixedSource, ScoreSource
from morec_pareto.search.strategies import Strategy, weight_grid
from morec_pareto.types import StageData


@dataclass(frozen=True)
class SearchResult:
    """Every evaluated candidate (X, F natural units, generation) and per-generation history."""

    X: np.ndarray  # (n_evals, n_var)
    F: np.ndarray  # (n_evals, n_obj)
    generation: np.ndarray  # (n_evals,) 1-based
    history: list[dict[str, float]]
    var_names: tuple[str, ...]
    seconds: float
    table_seconds: float = 0.0  # of `seconds`: building (and pruning) the candidate tables

    @property
    def front_mask(self) -> np.ndarray:
        return nondominated_mask(self.F)


def _history_row(problem: RankingProblem, generation: int, reference_point: np.ndarray) -> dict[str, float]:
    F = np.concatenate([f for _, f in problem.log])
    front = F[nondominated_mask(F)]
    return {"generation": generation, "n_evals": len(F), "hypervolume": hypervolume(front, reference_point),
            "n_nondominated": len(front)}


def _save_checkpoint(path: Path, algorithm: NSGA2) -> None:
    tmp = path.with_suffix(".tmp")
    with open(tmp, "wb") as fh:
        pickle.dump(algorithm, fh)
    os.replace(tmp, path)  # atomic: a kill mid-write leaves the previous checkpoint intact


def run_search(
    strategy: Strategy,
    source: ScoreSource | StageData,
    objectives: tuple[str, ...],
    reference_point: np.ndarray,
    k: int = 10,
    mask_seen: bool = True,
    pop_size: int = 40,
    n_gen: int = 25,
    seed: int = 0,
    checkpoint: Path | None = None,
    progress: bool = True,
    device: torch.device | str = "cpu",
    prune: bool = True,
) -> SearchResult:
    """Search the strategy's candidates on validation with a budget of pop_size * n_gen evaluations.

    `source` serves the cached score tables (a plain StageData means one fixed model). With
    `checkpoint`, the NSGA-II state is saved after every generation and an existing checkpoint is
    resumed from, so a killed run continues where it stopped. Candidates are ranked on `device`, on
    tables pruned to each user's K-skyband when `prune` (same fronts, see `ranking.prune`).
    """
    if isinstance(source, StageData):
        source = FixedSource(source, source)
    policy = strategy.make_policy(k, mask_seen)
    problem = RankingProblem(PopulationEvaluator(policy, objectives, device, prune), source)
    start = time.perf_counter()
    history: list[dict[str, float]] = []
    bar = tqdm(total=n_gen, desc=f"search:{strategy.name}", unit="gen", disable=not progress)
    if strategy.sampler in ("weight_grid", "random"):
        if strategy.sampler == "weight_grid":
            if source.n_levels:
                raise ValueError(f"strategy {strategy.name}: a weight grid needs a single model (training weighted or mgda)")
            X_all = weight_grid(policy, pop_size * n_gen)
        else:
            X_all = np.random.default_rng(seed).uniform(problem.xl, problem.xu, size=(pop_size * n_gen, problem.n_var))
        for gen in range(n_gen):
            problem.evaluate(X_all[gen * pop_size : (gen + 1) * pop_size])
            history.append(_history_row(problem, gen + 1, reference_point))
            bar.update(1)
    else:
        algorithm = None
        if checkpoint is not None and checkpoint.exists():
            with open(checkpoint, "rb") as fh:
                algorithm = pickle.load(fh)
            algorithm.problem.source = source
            algorithm.problem.evaluator = problem.evaluator  # this run's device and pruning
            problem = algorithm.problem
            history = list(algorithm.morec_history)
            bar.update(len(history))
        if algorithm is None:
            algorithm = NSGA2(pop_size=pop_size, sampling=LHS(), crossover=SBX(prob=0.9, eta=15),
                              mutation=PM(eta=20), eliminate_duplicates=True)
            algorithm.setup(problem, termination=get_termination("n_gen", n_gen), seed=seed, verbose=False)
            algorithm.morec_history = []
        while algorithm.has_next():
            algorithm.next()
            history.append(_history_row(problem, algorithm.n_gen - 1, reference_point))
            algorithm.morec_history = history
            if checkpoint is not None:
                _save_checkpoint(checkpoint, algorithm)
            bar.update(1)
    bar.close()
    generation = np.concatenate([np.full(len(x), g + 1) for g, (x, _) in enumerate(problem.log)])
    return SearchResult(
        X=np.concatenate([x for x, _ in problem.log]), F=np.concatenate([f for _, f in problem.log]),
        generation=generation, history=history, var_names=problem.var_names,
        seconds=time.perf_counter() - start, table_seconds=problem.evaluator.table_seconds,
    )
