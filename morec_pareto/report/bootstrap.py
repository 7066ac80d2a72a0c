"""Per-user paired bootstrap of the hypervolume difference of two fronts ranked from one fixed model.

With one trained model, two fronts (two strategies' policies, two searches) are scored on the same
users, so their difference has a sampling error over users that seeds do not show. Resampling users
with replacement, and recomputing both fronts' mean objectives and hypervolumes on each resample,
gives a confidence interval for HV(A) - HV(B) that answers "is this margin more than which users
happened to be held out?".
"""
from __future__ import annotations

import numpy as np
from scipy import stats

from morec_pareto.ranking.policies import RankingPolicy
from morec_pareto.report.indicators import hypervolume
from morec_pareto.types import StageData


def per_user_objectives(policy: RankingPolicy, X: np.ndarray, data: StageData, objectives: tuple[str, ...],
                        max_elements: int = 2**23) -> np.ndarray:
    """Objective values (P, U, n_obj) of each candidate of X (P, n_var) for each user of `data`."""
    from morec_pareto.search.problem import PopulationEvaluator

    return PopulationEvaluator(policy, objectives, max_elements=max_elements).per_user(X, data)


def hv_difference_ci(
    per_user_a: np.ndarray, per_user_b: np.ndarray, reference_point: np.ndarray, confidence: float = 0.95,
    n_resamples: int = 2000, seed: int = 0, method: str = "BCa", objectives: tuple[str, ...] | None = None,
) -> dict[str, float | str]:
    """HV(A) - HV(B) of the users' mean objectives and its paired bootstrap interval over users.

    Args:
        per_user_a, per_user_b: (P_a, U, n_obj) and (P_b, U, n_obj) objective values, natural units,
            the same U users in the same order (the pairing).
        reference_point: hypervolume reference point, natural units.
        confidence: level of the two-sided interval.
        n_resamples: bootstrap resamples of the users.
        seed: seeds the resampling.
        method: scipy.stats.bootstrap's method: "BCa" (default), "percentile" or "basic".

    Returns:
        hv_a, hv_b, difference, ci_low, ci_high, n_users, confidence, method, and `excludes_zero`.
    """
    if per_user_a.shape[1] != per_user_b.shape[1]:
        raise ValueError(f"paired bootstrap needs the same users: {per_user_a.shape[1]} vs {per_user_b.shape[1]}")
    ref = np.asarray(reference_point, dtype=float)

    def difference(users: np.ndarray) -> float:
        return (hypervolume(per_user_a[:, users].mean(axis=1), ref, objectives)
                - hypervolume(per_user_b[:, users].mean(axis=1), ref, objectives))

    n_users = per_user_a.shape[1]
    result = stats.bootstrap((np.arange(n_users),), difference, vectorized=False, paired=False,
                             confidence_level=confidence, n_resamples=n_resamples, method=method,
                             random_state=np.random.default_rng(seed))
    low, high = float(result.confidence_interval.low), float(result.confidence_interval.high)
    hv_a, hv_b = (hypervolume(p.mean(axis=1), ref, objectives) for p in (per_user_a, per_user_b))
    return {"hv_a": hv_a, "hv_b": hv_b, "difference": hv_a - hv_b, "ci_low": low, "ci_high": high,
            "n_users": int(n_users), "confidence": confidence, "method": method,
            "excludes_zero": bool(low > 0 or high < 0)}
