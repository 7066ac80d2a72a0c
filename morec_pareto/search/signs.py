"""The search's sign convention: pymoo minimises, objectives are reported in natural units.

Every objective declares its direction in the registry (`objectives.registry`); this is the one place
that turns natural units into pymoo's minimisation form, and nobody negates by hand elsewhere.
"""
from __future__ import annotations

import numpy as np

from morec_pareto.objectives.registry import directions


def to_minimisation(F: np.ndarray, objectives: tuple[str, ...] | None = None) -> np.ndarray:
    """Objective values in natural units (n, m) -> pymoo's form: maximised ones negated, minimised ones kept.

    Without names every objective is taken as maximised (the report's fronts of satisfaction and revenue).
    """
    F = np.asarray(F, dtype=float)
    sign = np.ones(F.shape[-1]) if objectives is None else directions(tuple(objectives))
    return -F * sign
