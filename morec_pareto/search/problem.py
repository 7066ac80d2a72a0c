"""The vectorised pymoo Problem: a population of ranking policies scored on a cached stage in one pass."""
from __future__ import annotations

import time
from collections.abc import Iterator

import numpy as np
import torch
from pymoo.core.problem import Problem

from morec_pareto.objectives.registry import evaluate_lists_per_user
from morec_pareto.ranking.bands import BandedTable, banded_table
from morec_pareto.ranking.policies import RankingPolicy
from morec_pareto.ranking.prune import pruned_table
from morec_pareto.ranking.table import CandidateTable, dense_table
from morec_pareto.scoring.sources import ScoreSource
from morec_pareto.search.signs import to_minimisation
from morec_pareto.types import Stage, StageData, held_out_stage


class PopulationEvaluator:
    """Scores a population of one policy's candidates on stage data: table once, then one pass per user chunk.

    The table of each stage (pruned to every user's K-skyband when `prune` and the policy allows it,
    else dense) is built on `device` the first time the stage is seen and kept for the next
    generations (the `cache_size` most recent stages). A pruned table of a policy with a price
    exponent is split into `bands` price-exponent bands (`ranking.bands`), each candidate ranked on
    its band's narrower table. Lists are ranked on the device in float32; the objectives read them on
    the CPU.
    """

    def __init__(self, policy: RankingPolicy, objectives: tuple[str, ...], device: torch.device | str = "cpu",
                 prune: bool = True, max_elements: int = 2**23, cache_size: int = 4, bands: int = 16) -> None:
        self.policy, self.objectives = policy, tuple(objectives)
        self.device = torch.device(device)
        self.prune = bool(prune) and policy.prunable
        self.bands = bands if self.prune and "price_exponent" in policy.var_names else 1
        self.max_elements, self.cache_size = max_elements, cache_size
        # per stage: its data, its table and the table's user chunks (kept, so per-table caches survive generations)
        self._tables: dict[int, tuple[StageData, CandidateTable | BandedTable, dict]] = {}
        self.table_seconds = 0.0

    def table(self, data: StageData) -> CandidateTable | BandedTable:
        """The (cached) candidate table of a stage: banded when pruning a policy with a price exponent."""
        return self._entry(data)[1]

    def _entry(self, data: StageData) -> tuple[StageData, CandidateTable | BandedTable, dict]:
        hit = self._tables.get(id(data))
        if hit is not None and hit[0] is data:
            return hit
        start = time.perf_counter()
        policy = self.policy
        table: CandidateTable | BandedTable
        if self.prune:
            table = pruned_table(data, policy.k, policy.mask_seen, self.device, self.max_elements)
            if self.bands > 1:
                table = banded_table(table, policy.k, self.bands)
        else:
            table = dense_table(data, policy.mask_seen, self.device)
        self.table_seconds += time.perf_counter() - start
        if len(self._tables) >= self.cache_size:
            self._tables.pop(next(iter(self._tables)))
        self._tables[id(data)] = (data, table, {})
        return self._tables[id(data)]

    def per_user(self, X: np.ndarray, data: StageData, objectives: tuple[str, ...] | None = None) -> np.ndarray:
        """Objective values (P, U, n_obj), natural units, of every candidate in X for every user of `data`."""
        names = self.objectives if objectives is None else tuple(objectives)
        parts = [evaluate_lists_per_user(lists, data.rows(users), names) for users, lists in self.lists(X, data)]
        return np.concatenate(parts, axis=1)

    def lists(self, X: np.ndarray, data: StageData) -> Iterator[tuple[slice, np.ndarray]]:
        """Top-K item lists of candidates X, a chunk of users at a time: (users, lists (P, users, K) on the CPU).

        Users are chunked so that the (P, users, columns) tensors hold at most `max_elements`.
        """
        X = np.atleast_2d(np.asarray(X, dtype=float))
        _, table, chunks = self._entry(data)
        chunk = max(1, self.max_elements // (len(X) * table.width * self.policy.memory_factor))
        for start in range(0, data.n_users, chunk):
            users = slice(start, start + chunk)
            if (start, chunk) not in chunks:
                chunks[(start, chunk)] = table.rows(users)
            yield users, self._rank(X, chunks[(start, chunk)]).cpu().numpy()

    def _rank(self, X: np.ndarray, table: CandidateTable | BandedTable) -> torch.Tensor:
        """Top-K lists (P, U, K) of candidates X, each on its price-exponent band's table when banded."""
        if isinstance(table, CandidateTable):
            return self.policy.rank_table(X, table)
        band = table.band_of(self.policy.column(X, "price_exponent"))
        out = torch.empty((len(X), table.n_users, min(self.policy.k, table.width)), dtype=torch.int64,
                          device=self.device)
        for b in np.unique(band):
            rows = np.flatnonzero(band == b)
            out[torch.as_tensor(rows, device=out.device)] = self.policy.rank_table(X[rows], table.tables[b])
        return out

    def __call__(self, X: np.ndarray, data: StageData, objectives: tuple[str, ...] | None = None) -> np.ndarray:
        """Mean objective values (P, n_obj), natural units, of every candidate in X over all users."""
        return self.per_user(X, data, objectives).mean(axis=1)

    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        state["_tables"] = {}  # tables are rebuilt from the score tables on resume
        return state


def evaluate_population(
    policy: RankingPolicy, X: np.ndarray, data: StageData, objectives: tuple[str, ...], max_elements: int = 2**23,
    prune: bool = False, device: torch.device | str = "cpu",
) -> np.ndarray:
    """Mean objective values (P, n_obj), natural units, of every candidate in X over all users (one-off)."""
    return PopulationEvaluator(policy, objectives, device, prune, max_elements)(X, data)


LAMBDA = "lambda_satisfaction"  # the model-side weight: loss weight or preference of satisfaction


def candidate_space(policy: RankingPolicy, source: ScoreSource) -> tuple[tuple[str, ...], np.ndarray, np.ndarray]:
    """Variable names and bounds of a candidate: [lambda_satisfaction] when the source has levels, then the policy's."""
    xl, xu = policy.bounds
    if not source.n_levels:
        return policy.var_names, xl, xu
    return (LAMBDA, *policy.var_names), np.concatenate([[0.0], xl]), np.concatenate([[1.0], xu])


def evaluate_candidates(
    evaluator: PopulationEvaluator, source: ScoreSource, X: np.ndarray, stage: str | Stage = Stage.VALID,
    objectives: tuple[str, ...] | None = None,
) -> np.ndarray:
    """Mean objectives (P, n_obj) of candidates X on `stage`; one batched pass per model-side weight level."""
    X = np.atleast_2d(np.asarray(X, dtype=float))
    names = evaluator.objectives if objectives is None else tuple(objectives)
    which = 0 if held_out_stage(stage) is Stage.VALID else 1
    if not source.n_levels:
        return evaluator(X, source.stages(0)[which], names)
    level_ids = source.level_index(X[:, 0])
    source.prepare(level_ids)
    F = np.empty((len(X), len(names)))
    for level in np.unique(level_ids):  # a loop over models (at most n_levels), not candidates
        rows = level_ids == level
        F[rows] = evaluator(X[rows, 1:], source.stages(int(level))[which], names)
    return F


class RankingProblem(Problem):
    """pymoo Problem over a candidate's variables; F is the negated mean objectives on validation.

    Every evaluated batch is kept in `log` (X, F natural units) for the evaluations table.
    """

    def __init__(self, evaluator: PopulationEvaluator, source: ScoreSource) -> None:
        self.var_names, xl, xu = candidate_space(evaluator.policy, source)
        super().__init__(n_var=len(xl), n_obj=len(evaluator.objectives), xl=xl, xu=xu)
        self.evaluator, self.source = evaluator, source
        self.log: list[tuple[np.ndarray, np.ndarray]] = []

    def _evaluate(self, X: np.ndarray, out: dict, *args, **kwargs) -> None:
        F = evaluate_candidates(self.evaluator, self.source, X)
        self.log.append((np.array(X, dtype=float), F))
        out["F"] = to_minimisation(F, self.evaluator.objectives)

    def __getstate__(self) -> dict:
        # Checkpoints hold the search state, not the score tables or models (re-attached on resume).
        state = self.__dict__.copy()
        state["source"] = None
        return state
