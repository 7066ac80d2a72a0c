"""Statistics over seeds: descriptive summaries, pairwise rank tests with Holm correction, Vargha-Delaney A12."""
from __future__ import annotations

from itertools import combinations
from math import comb
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

ALPHA = 0.05  # family-wise error rate of each metric's pairwise comparisons (Holm)


def describe(values: np.ndarray) -> dict[str, float]:
    """Median, IQR (q75 - q25), mean and the 95% Student-t confidence interval of the mean.

    ci95 = mean -/+ t_{0.975, n-1} * s / sqrt(n); with one value the interval is the value itself.
    """
    x = np.asarray(values, dtype=float)
    x = x[~np.isnan(x)]
    if len(x) == 0:
        return dict.fromkeys(("median", "iqr", "mean", "ci95_low", "ci95_high"), float("nan"))
    q25, med, q75 = np.percentile(x, [25, 50, 75])
    mean = float(x.mean())
    half = float(stats.t.ppf(0.975, len(x) - 1) * stats.sem(x)) if len(x) > 1 else 0.0
    return {"median": float(med), "iqr": float(q75 - q25), "mean": mean,
            "ci95_low": mean - half, "ci95_high": mean + half}


def a12(x: np.ndarray, y: np.ndarray) -> float:
    """Vargha-Delaney A12: probability that a draw from x beats a draw from y, ties counting half.

    A12 = (#{x_i > y_j} + 0.5 #{x_i = y_j}) / (m n); 0.5 means no effect, 0.71+ is a large one.
    """
    x, y = np.asarray(x, dtype=float)[:, None], np.asarray(y, dtype=float)[None, :]
    return float(((x > y).sum() + 0.5 * (x == y).sum()) / (x.size * y.size))


def holm(p_values: np.ndarray) -> np.ndarray:
    """Holm step-down adjusted p-values: p_(i) -> max_{j<=i} min(1, (m - j + 1) p_(j)) in ascending order."""
    p = np.asarray(p_values, dtype=float)
    order = np.argsort(p, kind="stable")
    scaled = (len(p) - np.arange(len(p))) * p[order]
    adjusted = np.empty_like(p)
    adjusted[order] = np.minimum(1.0, np.maximum.accumulate(scaled))
    return adjusted


def compare(x: pd.Series, y: pd.Series) -> tuple[str, float, float]:
    """Two-sided rank test of two groups' values indexed by seed: (test name, statistic, p-value).

    Wilcoxon signed-rank on the seed-wise differences when both groups hold the same seeds
    (paired), else Mann-Whitney U. No difference at all (every pair tied) gives p = 1.
    """
    paired = len(x) == len(y) and set(x.index) == set(y.index) and x.index.is_unique and y.index.is_unique
    if paired:
        diff = x.sort_index().to_numpy() - y.sort_index().to_numpy()
        if not np.any(diff):
            return "wilcoxon", float("nan"), 1.0
        result = stats.wilcoxon(diff, alternative="two-sided")
        return "wilcoxon", float(result.statistic), float(result.pvalue)
    result = stats.mannwhitneyu(x.to_numpy(), y.to_numpy(), alternative="two-sided")
    return "mannwhitneyu", float(result.statistic), float(result.pvalue)


def smallest_p(test: str, n_a: int, n_b: int) -> float:
    """The smallest two-sided p-value a rank test can return with these sample sizes (exact null).

    Wilcoxon signed-rank on n pairs: every difference on one side, p = 2 / 2^n. Mann-Whitney U on
    n_a and n_b values: complete separation, p = 2 / C(n_a + n_b, n_a). Both capped at 1.
    """
    if test == "wilcoxon":
        return min(1.0, 2.0 / 2.0 ** n_a)
    return min(1.0, 2.0 / comb(n_a + n_b, n_a))


def comparison_pairs(names: list[str], control: str | None = None) -> list[tuple[str, str]]:
    """The pairs of groups to test: each group against `control` (k - 1 pairs), else all pairs."""
    if control is None:
        return list(combinations(names, 2))
    if control not in names:
        raise ValueError(f"--control {control!r}: no such group; groups: {names}")
    return [(control, other) for other in names if other != control]


def pairwise_tests(runs: pd.DataFrame, metrics: dict[str, bool], group: str = "group",
                   seed: str = "seed", alpha: float = ALPHA, control: str | None = None) -> pd.DataFrame:
    """Pairs of groups on each metric, Holm-corrected within each metric.

    Args:
        runs: one row per run with columns `group`, `seed` and each metric.
        metrics: metric column -> True when higher is better.
        group: column naming each run's group.
        seed: column holding each run's seed (pairs runs across groups).
        alpha: family-wise significance level.
        control: compare every group with this one only (Holm over k - 1 pairs); None = all pairs.

    Returns:
        One row per (metric, group_a, group_b): test, statistic, p_value, p_holm, a12 (A12 of a over b
        in the metric's better direction), significant, `better` (the group favoured by A12), and
        `min_attainable_p`: the smallest Holm-adjusted p this comparison could reach at these sample
        sizes (m x the test's smallest p, m comparisons per metric); when it is not below alpha, no
        outcome of the runs could make the comparison significant (`can_reach_alpha` False).
    """
    rows = []
    pairs = comparison_pairs(list(dict.fromkeys(runs[group])), control)
    for metric, higher in metrics.items():
        block: list[dict[str, Any]] = []
        for a, b in pairs:
            x = runs.loc[runs[group] == a].set_index(seed)[metric].dropna()
            y = runs.loc[runs[group] == b].set_index(seed)[metric].dropna()
            if len(x) == 0 or len(y) == 0:
                continue
            test, statistic, p = compare(x, y)
            effect = a12(x, y) if higher else a12(-x.to_numpy(), -y.to_numpy())
            block.append({"metric": metric, "group_a": a, "group_b": b, "test": test, "n_a": len(x),
                          "n_b": len(y), "statistic": statistic, "p_value": p, "a12": effect,
                          "better": a if effect > 0.5 else b if effect < 0.5 else ""})
        if block:
            adjusted = holm(np.array([r["p_value"] for r in block]))
            for r, p_adj in zip(block, adjusted):
                r["p_holm"] = float(p_adj)
                r["significant"] = bool(p_adj < alpha)
                r["min_attainable_p"] = min(1.0, len(block) * smallest_p(r["test"], r["n_a"], r["n_b"]))
                r["can_reach_alpha"] = bool(r["min_attainable_p"] < alpha)
            rows.extend(block)
    columns = ["metric", "group_a", "group_b", "test", "n_a", "n_b", "statistic", "p_value", "p_holm", "a12",
               "better", "significant", "min_attainable_p", "can_reach_alpha"]
    return pd.DataFrame(rows, columns=columns)


def significant_best(summary: pd.DataFrame, tests: pd.DataFrame, metric: str, higher: bool) -> str | None:
    """The group with the best median on `metric` if it beats every other group significantly, else None.

    Args:
        summary: per-group table indexed by group with a `<metric>_median` column.
        tests: output of `pairwise_tests`.
        metric: the metric column.
        higher: True when higher is better.
    """
    medians = summary[f"{metric}_median"].dropna()
    if len(medians) < 2:
        return None
    best = medians.idxmax() if higher else medians.idxmin()
    mine = tests[(tests["metric"] == metric) & ((tests["group_a"] == best) | (tests["group_b"] == best))]
    if len(mine) != len(medians) - 1:
        return None
    return best if bool((mine["significant"] & (mine["better"] == best)).all()) else None
