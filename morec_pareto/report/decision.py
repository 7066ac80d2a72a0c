"""Pick an operating point on a group's front (pymoo's decision making) and export it as a Hydra overlay."""
from __future__ import annotations

import re

import numpy as np
import pandas as pd
from pymoo.mcdm.high_tradeoff import HighTradeoffPoints
from pymoo.mcdm.pseudo_weights import PseudoWeights

from morec_pareto.report.collect import COVERAGE, Collection
from morec_pareto.report.indicators import nondominated_mask
from morec_pareto.search.signs import to_minimisation

METHODS = ("knee", "pseudo_weights")


def _normalised(F: np.ndarray, objectives: tuple[str, ...] | None = None) -> np.ndarray:
    """F (natural units) -> minimisation scaled to [0, 1] per objective (constant objectives map to 0)."""
    G = to_minimisation(F, objectives)
    span = G.max(axis=0) - G.min(axis=0)
    return (G - G.min(axis=0)) / np.where(span > 0, span, 1.0)


def equal_weights(n_obj: int) -> tuple[float, ...]:
    """1/k for each of k objectives: (0.5, 0.5) for two."""
    return (1.0 / n_obj,) * n_obj


def pseudo_weight_index(F: np.ndarray, weights: tuple[float, ...] | None = None,
                        objectives: tuple[str, ...] | None = None) -> int:
    """Row of F (maximised) whose pseudo-weights are closest (L1) to `weights` (default: equal weights).

    Pseudo-weight of objective i: w_i = (f_i - min f_i) / (max f_i - min f_i), normalised to sum to 1.
    """
    G = _normalised(np.asarray(F, dtype=float), objectives)
    weights = equal_weights(G.shape[1]) if weights is None else weights
    return int(PseudoWeights(np.asarray(weights, dtype=float)).do(G, ideal=np.zeros(G.shape[1]),
                                                                   nadir=np.ones(G.shape[1])))


def knee_index(F: np.ndarray, objectives: tuple[str, ...] | None = None) -> tuple[int, str]:
    """Row of F (maximised) at the front's knee, and the rule that chose it.

    pymoo's high trade-off points on the normalised front (most deterioration per unit of gain among
    neighbours); when it flags several the one nearest the ideal point wins; with fewer than three
    points or no outlier it falls back to equal pseudo-weights (1/k each of k objectives).
    """
    F = np.asarray(F, dtype=float)
    if len(F) >= 3:
        G = _normalised(F, objectives)
        flagged = HighTradeoffPoints().do(G)
        if flagged is not None and len(np.atleast_1d(flagged)):
            flagged = np.atleast_1d(flagged)
            return int(flagged[np.argmin(np.linalg.norm(G[flagged], axis=1))]), "high_tradeoff"
    weights = equal_weights(F.shape[1])
    return pseudo_weight_index(F, weights, objectives), f"pseudo_weights{weights}"


def pooled_front(collection: Collection, group: str) -> pd.DataFrame:
    """Non-dominated validation points of all of a group's runs, with `run_dir` and `seed` of each."""
    frames = [r.front.assign(run_dir=str(r.path), seed=int(r.summary["seed"])) for r in collection.group_runs(group)]
    pooled = pd.concat(frames, ignore_index=True)
    F = pooled[list(collection.valid_columns)].to_numpy(float)
    return pooled[nondominated_mask(F, collection.objectives)].reset_index(drop=True)


def choose_points(collection: Collection, weights: tuple[float, ...] | None = None) -> pd.DataFrame:
    """Each group's knee and pseudo-weight choice (default: equal weights) on its pooled validation front.

    Returns one row per (group, method) with the rule used, the run folder and seed it comes from, its
    validation and test objectives and its decision variables (NaN where a group lacks a variable); a
    point's test coverage is in the report's coverage export, not here.
    """
    weights = equal_weights(collection.n_obj) if weights is None else tuple(weights)
    rows = []
    for group in collection.groups:
        pooled = pooled_front(collection, group).drop(columns=[COVERAGE], errors="ignore")
        F = pooled[list(collection.valid_columns)].to_numpy(float)
        knee, rule = knee_index(F, collection.objectives)
        picks = {"knee": (knee, rule),
                 "pseudo_weights": (pseudo_weight_index(F, weights, collection.objectives),
                                    f"pseudo_weights{tuple(weights)}")}
        for method, (index, used) in picks.items():
            rows.append({"group": group, "strategy": collection.strategy(group), "method": method, "rule": used,
                         **pooled.iloc[index].to_dict()})
    return pd.DataFrame(rows)


def slug(text: str) -> str:
    """A file-name-safe version of a group label."""
    return re.sub(r"[^A-Za-z0-9_.=-]+", "_", text).strip("_")


def _selection(run_name: str) -> list[str]:
    """Defaults lines that select a run's parts: its preset, or for a mix (`loss+ranking+search`) each group."""
    if "+" not in run_name:
        return [f"  - override /strategy: {run_name}"]
    loss, ranking, search = run_name.split("+")
    return [f"  - override /loss: {loss}", f"  - override /ranking: {ranking}", f"  - override /search: {search}"]


def overlay_yaml(choice: pd.Series, var_names: list[str], source: str,
                 columns: tuple[str, ...] = ("satisfaction", "revenue")) -> str:
    """A `# @package _global_` experiment overlay that selects the strategy and pins the chosen point.

    `columns` name the front.csv columns of the objectives (each with its `test_` column), quoted in a comment.
    """
    valid = ", ".join(f"{c} {choice[c]:.6g}" for c in columns)
    test = ", ".join(f"{choice[f'test_{c}']:.6g}" for c in columns)
    lines = [
        "# @package _global_",
        f"# Operating point '{choice['method']}' ({choice['rule']}) of group '{choice['group']}', chosen by",
        f"# morec-pareto-report on the group's pooled validation front ({source}).",
        f"# From run {choice['run_dir']} (seed {int(choice['seed'])}): validation {valid}; test {test}.",
        "# It selects the strategy and holds the ranking variables under `policy_point` (name -> value).",
        "defaults:",
        *_selection(str(choice["strategy"])),
        "",
        f"seed: {int(choice['seed'])}  # (int) seed of the run the point comes from",
        "policy_point:  # (dict) ranking-policy decision variables of the chosen point",
    ]
    lines += [f"  {name}: {float(choice[name])!r}" for name in var_names]
    return "\n".join(lines) + "\n"

