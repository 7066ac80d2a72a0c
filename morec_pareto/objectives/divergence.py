"""Satisfaction as a divergence from the user's real behaviour (lower is better): oracle KL and calibration KL."""
from __future__ import annotations

import numpy as np

from morec_pareto.objectives.listed import listed
from morec_pareto.types import StageData

ORACLE_SMOOTHING = 1e-6  # share of the uniform distribution mixed into P_u, so KL stays finite
CALIBRATION_SMOOTHING = 0.01  # Steck's alpha: the list's genre distribution is mixed with the history's


def exposure(k: int) -> np.ndarray:
    """Position-discounted exposure distribution over K list positions: q_k = (1/log2(k+2)) / sum_j 1/log2(j+2)."""
    d = 1.0 / np.log2(np.arange(k) + 2.0)
    return d / d.sum()


def oracle_kl(lists: np.ndarray, data: StageData) -> np.ndarray:
    """Per user: KL(Q_u || P_u) of the list's exposure from the user's true click distribution.

    Q_u puts exposure q_k (`exposure`) on the item at position k; P_u is the user's true P(click)
    normalised over all items, smoothed toward uniform so that no listed item has probability 0:

        P_u(i) = (1 - eps) * c_ui / sum_j c_uj + eps / I,   eps = ORACLE_SMOOTHING
        oracle_kl_u = sum_k q_k log(q_k / P_u(i_k))

    Only listed items contribute: the value measures how much exposure goes to items the user is
    unlikely to want. Lower is better; its least value lists the user's K most likely clicks.
    """
    if data.true_click is None:
        raise ValueError("objective 'oracle_kl' needs ground truth, which only synthetic data has")
    click = data.true_click.astype(np.float64)
    p = click / np.maximum(click.sum(axis=1, keepdims=True), 1e-300)  # (U, I)
    p = (1.0 - ORACLE_SMOOTHING) * p + ORACLE_SMOOTHING / click.shape[1]
    q = exposure(lists.shape[2])  # (K,)
    p_listed = listed(p, lists)  # (P, U, K)
    return (q * (np.log(q) - np.log(p_listed))).sum(axis=2)


def category_distribution(data: StageData) -> np.ndarray:
    """(U, G) genre distribution of each user's history at this stage: the share of the distinct
    items seen (`data.seen`) in each category (Steck's p(g|u) with equal item weights)."""
    categories = _categories(data)
    n_categories = int(categories.max()) + 1
    one_hot = np.zeros((data.n_items, n_categories))
    one_hot[np.arange(data.n_items), categories] = 1.0
    counts = data.seen.astype(np.float64) @ one_hot  # (U, G)
    return counts / np.maximum(counts.sum(axis=1, keepdims=True), 1.0)


def calibration_kl(lists: np.ndarray, data: StageData) -> np.ndarray:
    """Per user: Steck's miscalibration (RecSys 2018) of the list's genres against the history's.

    With p(g|u) the genre distribution of the user's history (`category_distribution`) and q(g|u)
    that of the K listed items (each item's category, equal weights):

        q~(g|u) = (1 - a) q(g|u) + a p(g|u),   a = CALIBRATION_SMOOTHING
        calibration_kl_u = sum_g p(g|u) log(p(g|u) / q~(g|u))   (terms with p(g|u) = 0 are 0)

    Finite for every list, 0 when the list's genres match the history's proportions; lower is better.
    A user without history has an all-zero p and value 0.
    """
    p = category_distribution(data)  # (U, G)
    categories = _categories(data)[lists]  # (P, U, K)
    q = np.zeros((*lists.shape[:2], p.shape[1]))
    for k in range(lists.shape[2]):  # K is small: add each position's 1/K to its item's category
        idx = categories[..., k : k + 1]
        np.put_along_axis(q, idx, np.take_along_axis(q, idx, axis=2) + 1.0 / lists.shape[2], axis=2)
    q = (1.0 - CALIBRATION_SMOOTHING) * q + CALIBRATION_SMOOTHING * p[None]
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(p[None] > 0, p[None] * (np.log(p[None]) - np.log(q)), 0.0)
    return terms.sum(axis=2)


def _categories(data: StageData) -> np.ndarray:
    if data.item_category is None:
        raise ValueError("objective 'calibration_kl' needs item categories (StageData.item_category)")
    return np.asarray(data.item_category, dtype=np.int64)
