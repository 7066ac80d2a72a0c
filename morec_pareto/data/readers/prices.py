"""Item prices: validated from a data column, or drawn from a seeded log-normal-by-category price model."""
from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from morec_pareto.data.readers.fields import parse_float, suggest

# The price model's keys and defaults; the defaults match the synthetic simulator's price scale.
PRICE_MODEL_DEFAULTS: dict[str, float | int] = {"median": 30.0, "category_spread": 0.6, "item_scale": 0.8, "seed": 0}


def parse_price(values: pd.Series, source: str, column: str) -> np.ndarray:
    """Prices of a column as float64; a non-numeric, NaN, infinite, zero or negative price is an error."""
    price = parse_float(values, source, column)
    bad = price <= 0
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(f"{source}: column {column!r} data row {i + 1}: price {values.iloc[i]!r} is not > 0")
    return price


def price_model_args(price_model: Mapping | None) -> dict[str, float | int]:
    """The price model's parameters: defaults overridden by `price_model`, with unknown keys refused."""
    args = dict(PRICE_MODEL_DEFAULTS)
    for key, value in (price_model or {}).items():
        if key not in PRICE_MODEL_DEFAULTS:
            raise ValueError(f"data.price_model.{key} is not a price model key{suggest(str(key), PRICE_MODEL_DEFAULTS)}")
        if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) or not np.isfinite(value):
            raise ValueError(f"data.price_model.{key} must be a number, got {value!r}")
        args[key] = int(value) if key == "seed" else float(value)
    if args["median"] <= 0:
        raise ValueError(f"data.price_model.median must be > 0, got {args['median']}")
    for key in ("category_spread", "item_scale"):
        if args[key] < 0:
            raise ValueError(f"data.price_model.{key} must be >= 0, got {args[key]}")
    return args


def simulate_prices(
    category: np.ndarray, n_categories: int, median: float = 30.0, category_spread: float = 0.6,
    item_scale: float = 0.8, seed: int = 0,
) -> np.ndarray:
    """Log-normal prices by category, for data without prices.

    log m_c = log(median) + category_spread * z_c,   z_c ~ N(0, 1)   (median price of category c)
    log p_i = log m_{c(i)} + item_scale * e_i,        e_i ~ N(0, 1)
    Prices are rounded to cents with a floor of 0.50. The same seed and categories give the same prices.

    Args:
        category: (I,) category of every item, in [0, n_categories).
        n_categories: number of categories.
        median: overall median price.
        category_spread: sigma of the log category medians around log(median).
        item_scale: sigma of an item's log price around its category's log median.
        seed: the random seed.
    """
    rng = np.random.default_rng(seed)
    log_median = np.log(median) + category_spread * rng.normal(0.0, 1.0, size=n_categories)
    price = np.exp(log_median[category] + item_scale * rng.normal(0.0, 1.0, size=len(category)))
    return np.round(np.maximum(price, 0.5), 2)
