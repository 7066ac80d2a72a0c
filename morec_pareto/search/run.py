"""Run a search method on cached score tables: NSGA-II (pymoo), a weight grid or random candidates; history, checkpoints."""
from __future__ import annotations

import logging
import os
import pickle
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from pymoo.core.algorithm import Algorithm
from pymoo.termination import get_termination
from tqdm.auto import tqdm

from morec_pareto.ranking.policies import RankingPolicy
from morec_pareto.report.indicators import hypervolume, nondominated_mask
from morec_pareto.scoring.sources import FixedSource, ScoreSource
from morec_pareto.search.algorithms import Evolutionary, FixedBatches, SearchMethod
from morec_pareto.search.problem import PopulationEvaluator, RankingProblem
from morec_pareto.types import StageData

log = logging.getLogger(__name__)


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
    objectives: tuple[str, ...] | None = None  # names (directions from the registry); None: all maximised

    @property
    def front_mask(self) -> np.ndarray:
        return nondominated_mask(self.F, self.objectives)


def _history_row(problem: RankingProblem, generation: int, reference_point: np.ndarray,
                 seconds: float) -> dict[str, float]:
    """One generation's row of history.csv: the front of every evaluation so far and the search seconds so far."""
    F = np.concatenate([f for _, f in problem.log])
    objectives = problem.evaluator.objectives
    front = F[nondominated_mask(F, objectives)]
    return {"generation": generation, "n_evals": len(F), "hypervolume": hypervolume(front, reference_point, objectives),
            "n_nondominated": len(front), "seconds": seconds}


def _save_checkpoint(path: Path, algorithm: Algorithm) -> bool:
    """Pickle the search state atomically; False (and a warning) when the algorithm cannot be pickled."""
    tmp = path.with_suffix(".tmp")
    try:
        payload = pickle.dumps(algorithm)
    except (pickle.PicklingError, AttributeError, TypeError) as err:  # e.g. an operator holding a closure
        log.warning("search checkpoint not written (%s state cannot be pickled: %s); a killed run restarts the "
                    "search", type(algorithm).__name__, err)
        return False
    tmp.write_bytes(payload)
    os.replace(tmp, path)  # atomic: a kill mid-write leaves the previous checkpoint intact
    return True


def run_search(
    search: SearchMethod,
    policy: RankingPolicy,
    source: ScoreSource | StageData,
    objectives: tuple[str, ...],
    reference_point: np.ndarray,
    seed: int = 0,
    checkpoint: Path | None = None,
    progress: bool = True,
    device: torch.device | str = "cpu",
    label: str = "",
) -> SearchResult:
    """Search the policy's candidates on validation with a budget of pop_size * n_gen evaluations.

    `source` serves the cached score tables (a plain StageData means one fixed model). With
    `checkpoint` (NSGA-II, NSGA-III), the search state is saved after every generation and an existing checkpoint
    is resumed from, so a killed run continues where it stopped. Candidates are ranked on `device`, on
    tables pruned to each user's K-skyband when `search.prune` (same fronts, see `ranking.prune`).
    """
    if isinstance(source, StageData):
        source = FixedSource(source, source)
    # one table per model-side level stays cached: every generation visits every level
    evaluator = PopulationEvaluator(policy, objectives, device, search.prune, cache_size=max(4, source.n_levels + 1))
    problem = RankingProblem(evaluator, source)
    start = time.perf_counter()
    bar = tqdm(total=search.n_gen, desc=f"search:{label or search.name}", unit="gen", disable=not progress)
    if isinstance(search, FixedBatches):
        history = _run_fixed(search, problem, policy, source, seed, reference_point, bar, start)
    else:
        assert isinstance(search, Evolutionary), f"search {search.name}: neither fixed batches nor evolutionary"
        problem, history = _run_evolution(search, problem, source, seed, checkpoint, reference_point, bar, start)
    bar.close()
    generation = np.concatenate([np.full(len(x), g + 1) for g, (x, _) in enumerate(problem.log)])
    return SearchResult(
        X=np.concatenate([x for x, _ in problem.log]), F=np.concatenate([f for _, f in problem.log]),
        generation=generation, history=history, var_names=problem.var_names,
        seconds=time.perf_counter() - start, table_seconds=problem.evaluator.table_seconds,
        objectives=tuple(objectives),
    )


def _run_fixed(search: FixedBatches, problem: RankingProblem, policy: RankingPolicy, source: ScoreSource, seed: int,
               reference_point: np.ndarray, bar: tqdm, start: float) -> list[dict[str, float]]:
    """Evaluate the method's fixed candidates a generation (pop_size) at a time."""
    X_all = search.candidates(policy, problem.xl, problem.xu, source.n_levels, seed)
    history = []
    for gen in range(search.n_gen):
        problem.evaluate(X_all[gen * search.pop_size : (gen + 1) * search.pop_size])
        history.append(_history_row(problem, gen + 1, reference_point, time.perf_counter() - start))
        bar.update(1)
    return history


def _run_evolution(search: Evolutionary, problem: RankingProblem, source: ScoreSource, seed: int, checkpoint: Path | None,
               reference_point: np.ndarray, bar: tqdm, start: float) -> tuple[RankingProblem, list[dict[str, float]]]:
    """The evolutionary search generation by generation, resuming from and saving to `checkpoint` when given.

    A resumed search's `seconds` go on from the checkpoint's last row, so they count the search's own time.
    """
    algorithm, history, offset = None, [], 0.0
    if checkpoint is not None and checkpoint.exists():
        with open(checkpoint, "rb") as fh:
            algorithm = pickle.load(fh)
        algorithm.problem.source = source
        algorithm.problem.evaluator = problem.evaluator  # this run's device and pruning
        problem = algorithm.problem
        history = list(algorithm.morec_history)
        offset = history[-1].get("seconds", 0.0) if history else 0.0
        bar.update(len(history))
    if algorithm is None:
        algorithm = search.algorithm(problem.n_obj)
        algorithm.setup(problem, termination=get_termination("n_gen", search.n_gen), seed=seed, verbose=False)
        algorithm.morec_history = []
    while algorithm.has_next():
        algorithm.next()
        history.append(_history_row(problem, algorithm.n_gen - 1, reference_point, offset + time.perf_counter() - start))
        algorithm.morec_history = history
        if checkpoint is not None and not _save_checkpoint(checkpoint, algorithm):
            checkpoint = None
        bar.update(1)
    return problem, history
