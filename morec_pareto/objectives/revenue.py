"""Revenue objectives: expected revenue@K from the model or the ground truth, and realised revenue."""
from __future__ import annotations

import numpy as np

from morec_pareto.objectives.listed import listed
from morec_pareto.types import StageData


def expected_revenue(lists: np.ndarray, data: StageData) -> np.ndarray:
    """Per user: sum_k price(i_k) * P_model(buy | u, i_k)."""
    buy = listed(data.purchase, lists)
    return (buy * data.price[lists]).sum(axis=2)


def oracle_revenue(lists: np.ndarray, data: StageData) -> np.ndarray:
    """Per user: sum_k price(i_k) * P_true(buy | u, i_k)."""
    if data.true_buy is None:
        raise ValueError("objective 'oracle_revenue' needs ground truth, which only synthetic data has")
    buy = listed(data.true_buy, lists)
    return (buy * data.price[lists]).sum(axis=2)


def realised_revenue(lists: np.ndarray, data: StageData) -> np.ndarray:
    """Per user: price(target) if the held-out event is a purchase and the target is in the list."""
    hit = (lists == data.targets[None, :, None]).any(axis=2)  # (P, U)
    return hit * (data.target_bought * data.price[data.targets])[None]
