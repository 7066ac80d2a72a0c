"""A run's ranking policy: the configured policy class, fitted to the objectives the run optimises.

The objectives decide, through the registry (`objectives.registry`), what enters the policy:
- none with an `item_score` or `item_groups` (every two-objective run of satisfaction and revenue): the
  configured class itself, exactly as before;
- objectives with an `item_score` (e.g. `novelty`): the class's k-score form (`ranking.k_scores`), with
  one more per-item score column each and the weights on the simplex;
- an objective with `item_groups` (`diversity`): MMR re-ranking (`ranking.mmr`) of that policy's pool,
  with the variable `mmr_lambda`; selected automatically whenever such an objective is in the run.
Both forms are ranked on the dense table (`prunable = False`).
"""
from __future__ import annotations

from typing import Any

from morec_pareto.ranking.k_scores import K_FORMS, objective_scores
from morec_pareto.ranking.mmr import MMRPolicy
from morec_pareto.ranking.policies import RankingPolicy, ScoredPolicy
from morec_pareto.types import StageData


def policy_for_objectives(cls: type[RankingPolicy], k: int, mask_seen: bool, objectives: tuple[str, ...] = (),
                          data: StageData | None = None, **options: Any) -> RankingPolicy:
    """The policy `cls(k=, mask_seen=, **options)` fitted to `objectives` (module docstring).

    `data` (any stage data of the run: the item fields are the same in every stage) is read only when an
    objective declares per-item scores or item groups.
    """
    scores = objective_scores(tuple(objectives), data)
    if not scores.names and scores.groups is None:
        return cls(k=k, mask_seen=mask_seen, **options)
    policy: RankingPolicy
    if scores.names or not issubclass(cls, ScoredPolicy):  # MMR needs float scores: layers get theirs from the k form
        if cls not in K_FORMS:
            raise ValueError(f"ranking policy {cls.__name__} has no form over per-item objectives {list(objectives)}")
        policy = K_FORMS[cls](k=k, mask_seen=mask_seen, scores=scores, **options)
    else:
        policy = cls(k=k, mask_seen=mask_seen, **options)
    if scores.groups is None:
        return policy
    assert isinstance(policy, ScoredPolicy)
    return MMRPolicy(policy, scores.groups)
