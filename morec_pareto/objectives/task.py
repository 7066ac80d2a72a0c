"""What a run optimises and how it is judged, fixed before any training: objectives, K, masking, users, reference point."""
from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
from omegaconf import DictConfig

from morec_pareto.data.split import repeat_rate
from morec_pareto.objectives.reference import dataset_reference
from morec_pareto.objectives.registry import directions, get_objective
from morec_pareto.types import Split

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Task:
    """The objectives, list length, masking rule, evaluated users and hypervolume reference of a run."""

    objectives: tuple[str, ...]
    k: int
    mask_seen: bool
    repeat_rate: float
    users: np.ndarray  # users the search and the test re-scoring evaluate
    reference: dict  # {"reference_point", "ideal", "source"}

    @property
    def reference_point(self) -> np.ndarray:
        return self.reference["reference_point"]


def define_task(obj_cfg: DictConfig, declared_reference, split: Split, seed: int) -> Task:
    """The run's task from the `objectives` group and the data set's declared reference (`data.reference_point`)."""
    objectives = resolve_objectives(obj_cfg.names, split.data.truth is not None)
    users = eval_users(split, int(obj_cfg.max_users), seed)
    rate = repeat_rate(split)
    k, mask_seen = int(obj_cfg.k), resolve_mask_seen(obj_cfg.mask_seen, rate, float(obj_cfg.repeat_threshold))
    reference = reference_point(obj_cfg.reference_point, declared_reference, split, objectives, k, mask_seen)
    return Task(objectives, k, mask_seen, rate, users, reference)


def resolve_objectives(names: list[str] | None, has_truth: bool) -> tuple[str, ...]:
    """The k >= 2 objectives to optimise (satisfaction and revenue first by convention): the oracle pair on
    synthetic data and the model pair elsewhere unless configured."""
    if names is None:
        names = ["oracle_ndcg", "oracle_revenue"] if has_truth else ["ndcg", "expected_revenue"]
    objectives = tuple(names)
    if len(objectives) < 2 or len(set(objectives)) != len(objectives):
        raise ValueError(f"objectives.names must name at least 2 distinct objectives, got {list(objectives)}")
    for name in objectives:
        if get_objective(name).needs_truth and not has_truth:
            raise ValueError(f"objectives.names: {name!r} needs ground truth, which this data set does not have")
    return objectives


def reference_point(
    configured: list[float] | None, declared: str | list[float] | None, split: Split, objectives: tuple[str, ...],
    k: int, mask_seen: bool,
) -> dict:
    """The fixed hypervolume reference point and normalisation ideal, never from the run's own results.

    `objectives.reference_point` (numbers) wins; else the data set's declared default
    (`data.reference_point`): explicit numbers, or a method computed once per data set and cached
    (see `objectives.reference`). Returns {"reference_point", "ideal", "source"} as arrays and words.
    """
    def numbers(values, key: str) -> np.ndarray:
        if len(values) != len(objectives):
            raise ValueError(f"{key} needs {len(objectives)} values (one per objective), got {len(values)}")
        return np.asarray(values, dtype=float)

    method = declared if isinstance(declared, str) else "popularity"
    record = dataset_reference(split, objectives, k, mask_seen, method)  # the ideal comes from it in every case
    ideal = np.asarray(record["ideal"], dtype=float)
    if configured is not None:
        point, source = numbers(configured, "objectives.reference_point"), "objectives.reference_point (config)"
    elif declared is not None and not isinstance(declared, str):
        point, source = numbers(declared, "data.reference_point"), "data.reference_point (declared numbers)"
    else:
        point, source = np.asarray(record["reference_point"], dtype=float), record["source"]
    sign = directions(objectives)  # the ideal is at least as good as the reference point in every objective
    return {"reference_point": point, "ideal": np.maximum(ideal * sign, point * sign) * sign, "source": source}


def eval_users(split: Split, max_users: int, seed: int) -> np.ndarray:
    """All users, or a seeded sample of `max_users` on large data (the search cost grows with users)."""
    users = np.arange(split.sequences.n_users)
    if len(users) > max_users:
        users = np.sort(np.random.default_rng(seed).choice(users, max_users, replace=False))
    return users


def resolve_mask_seen(configured: bool | None, rate: float, threshold: float) -> bool:
    """objectives.mask_seen, or when null: mask seen items unless the data's repeat rate exceeds `threshold`.

    Masking makes every repeated target a miss, so it caps validation Hit@K at 1 - rate on repeat-heavy data.
    """
    if configured is not None:
        return bool(configured)
    if rate > threshold:
        log.info("repeat rate %.2f > objectives.repeat_threshold %.2f: the search does not mask seen items "
                 "(set objectives.mask_seen=true to force it)", rate, threshold)
        return False
    return True
