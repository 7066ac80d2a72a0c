"""Empirical attainment surfaces of a group's fronts (moocore does the arithmetic)."""
from __future__ import annotations

import moocore
import numpy as np

from morec_pareto.search.signs import to_minimisation

SURFACES = ("best", "median", "worst")


def attainment_surfaces(fronts: list[np.ndarray]) -> dict[str, np.ndarray]:
    """Best, median and worst empirical attainment surfaces of n fronts (natural units, maximised).

    The k%-surface bounds the region attained by at least k% of the runs: best = 100/n % (attained
    by one run), median = 50 % (by at least half), worst = 100 % (by every run). Each surface is
    returned as its points (p, 2) sorted by the first objective ascending.
    """
    fronts = [np.asarray(f, dtype=float) for f in fronts if len(f)]
    if not fronts:
        return {name: np.empty((0, 2)) for name in SURFACES}
    points = np.vstack(fronts)
    sets = np.repeat(np.arange(len(fronts)), [len(f) for f in fronts])
    levels = {"best": 100.0 / len(fronts), "median": 50.0, "worst": 100.0}
    eaf = moocore.eaf(to_minimisation(points), sets, percentiles=sorted(set(levels.values())))
    surfaces = {}
    for name, level in levels.items():
        surface = to_minimisation(eaf[np.isclose(eaf[:, -1], level), :-1])
        surfaces[name] = surface[np.argsort(surface[:, 0], kind="stable")]
    return surfaces


def surface_steps(surface: np.ndarray, reference_point: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """x, y of a maximised 2-D attainment surface drawn as a staircase closed to the reference point axes."""
    if len(surface) == 0:
        return np.empty(0), np.empty(0)
    order = np.argsort(-surface[:, 0], kind="stable")  # from the best x (lowest y) to the worst x
    x, y = surface[order, 0], surface[order, 1]
    xs = np.concatenate([np.repeat(x, 2), [reference_point[0]]])  # up, left, up, left, ..., to ref x
    ys = np.concatenate([[reference_point[1]], np.repeat(y, 2)])
    return xs, ys
