"""Front indicators in natural units: non-dominated filter, hypervolume, IGD+.

Each takes the objectives' names (`objectives=`) and reads their directions from the registry; without
names every objective is taken as maximised (satisfaction and revenue).

pymoo minimises: the sign convention is the search's (`search.signs.to_minimisation`).
"""
from __future__ import annotations

import moocore
import numpy as np
from pymoo.indicators.hv import HV
from pymoo.indicators.igd_plus import IGDPlus
from pymoo.util.nds.non_dominated_sorting import NonDominatedSorting

from morec_pareto.objectives.registry import directions
from morec_pareto.search.signs import to_minimisation

Names = tuple[str, ...] | None


def orient(F: np.ndarray, objectives: Names = None) -> np.ndarray:
    """Natural units -> higher-is-better units: minimised objectives negated (its own inverse)."""
    F = np.asarray(F, dtype=float)
    return F if objectives is None else F * directions(tuple(objectives))


def nondominated_mask(F: np.ndarray, objectives: Names = None) -> np.ndarray:
    """Boolean mask of rows of F (n, m) not dominated by any other row; duplicates keep their first copy."""
    F = orient(F, objectives)
    mask = np.zeros(len(F), dtype=bool)
    if len(F) == 0:
        return mask
    _, first = np.unique(F, axis=0, return_index=True)
    front = NonDominatedSorting().do(to_minimisation(F[first]), only_non_dominated_front=True)
    mask[first[front]] = True
    return mask


def hypervolume(F: np.ndarray, reference_point: np.ndarray, objectives: Names = None) -> float:
    """Hypervolume dominated by F (natural units) and bounded by `reference_point` on the worse side.

    Points not strictly better than the reference point in every objective contribute nothing.
    """
    reference_point = orient(reference_point, objectives)
    F = orient(np.asarray(F, dtype=float).reshape(-1, len(reference_point)), objectives)
    F = F[(F > np.asarray(reference_point)).all(axis=1)]
    if len(F) == 0:
        return 0.0
    return float(HV(ref_point=to_minimisation(reference_point))(to_minimisation(F)))


def best_point_share(F: np.ndarray, reference_point: np.ndarray, objectives: Names = None) -> float:
    """Share of a front's hypervolume that its best single point carries (NaN when the HV is 0).

    share = max_i prod_j (F_ij - r_j) / HV(F), over points strictly better than r in every objective.
    Near 1, the indicator ranks fronts by one extreme point; an affine normalisation of the
    objectives scales numerator and denominator alike, so it does not change the share.
    """
    reference_point = orient(reference_point, objectives)
    F = orient(np.asarray(F, dtype=float).reshape(-1, len(reference_point)), objectives)
    F = F[(F > np.asarray(reference_point)).all(axis=1)]
    total = hypervolume(F, reference_point)
    if total <= 0:
        return float("nan")
    return float(np.prod(F - reference_point, axis=1).max() / total)


def normalise(F: np.ndarray, ideal: np.ndarray, nadir: np.ndarray) -> np.ndarray:
    """Objectives rescaled so that `nadir` maps to 0 and `ideal` to 1 (a zero range scales by 1)."""
    span = np.asarray(ideal, dtype=float) - np.asarray(nadir, dtype=float)
    return (np.asarray(F, dtype=float) - nadir) / np.where(span != 0, span, 1.0)


def igd_plus(F: np.ndarray, reference_front: np.ndarray, objectives: Names = None) -> float:
    """IGD+ of F against a reference front, both in natural units (lower is better)."""
    return float(IGDPlus(to_minimisation(reference_front, objectives))(to_minimisation(F, objectives)))


def reference_front(fronts: list[np.ndarray], objectives: Names = None) -> np.ndarray:
    """Non-dominated points (natural units) of the union of several fronts: the best known front."""
    F = np.vstack([np.asarray(f, dtype=float) for f in fronts])
    return F[nondominated_mask(F, objectives)]


def nadir_reference_point(F: np.ndarray, margin: float = 0.1, objectives: Names = None) -> np.ndarray:
    """A reference point beyond the nadir of F: nadir - margin * (ideal - nadir) per objective, in
    higher-is-better units (so above the nadir of a minimised objective); natural units out.

    A zero range falls back to `margin * max(1, |nadir|)`, so every point of F lies strictly inside it.
    """
    F = orient(F, objectives)
    ideal, nadir = F.max(axis=0), F.min(axis=0)
    span = ideal - nadir
    span = np.where(span > 0, span, np.maximum(1.0, np.abs(nadir)))
    return orient(nadir - margin * span, objectives)


def share_stay_nondominated(test_F: np.ndarray, objectives: Names = None) -> float:
    """Share of a validation front's points whose test scores stay mutually non-dominated.

    share = |{i : no j with test_F[j] dominating test_F[i]}| / n; duplicates count as non-dominated.
    """
    test_F = orient(test_F, objectives)
    if len(test_F) == 0:
        return float("nan")
    return float(moocore.is_nondominated(test_F, maximise=True, keep_weakly=True).mean())
