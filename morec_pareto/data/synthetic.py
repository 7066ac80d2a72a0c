"""Seeded e-commerce simulator that keeps its ground truth (true click and purchase probabilities)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from morec_pareto.types import CART, CLICK, PURCHASE, VIEW, Interactions

# Named sizes: `tiny` for tests, `default` near MovieLens-100k, `large` for scale work.
SIZES: dict[str, dict[str, int]] = {
    "tiny": {"n_users": 120, "n_items": 150, "mean_length": 30},
    "default": {"n_users": 1000, "n_items": 1700, "mean_length": 100},
    "large": {"n_users": 50_000, "n_items": 20_000, "mean_length": 60},
}


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


@dataclass(frozen=True)
class SyntheticTruth:
    """Ground truth of the simulator.

    affinity(u, i) = theta_u . phi_i + b_i
    P(click | u, i) = sigmoid(click_bias + click_scale * affinity)
    P(buy | click)  = sigmoid(buy_bias + buy_scale * affinity - s_u * log(price_i / median price))
    P(buy | u, i)   = P(click | u, i) * P(buy | click)
    """

    user_taste: np.ndarray  # (U, D)
    price_sensitivity: np.ndarray  # (U,) s_u >= 0
    item_latent: np.ndarray  # (I, D)
    item_bias: np.ndarray  # (I,)
    log_rel_price: np.ndarray  # (I,) log(price / median price)
    click_bias: float
    click_scale: float
    buy_bias: float
    buy_scale: float

    def affinity(self, users: np.ndarray) -> np.ndarray:
        return self.user_taste[users] @ self.item_latent.T + self.item_bias  # (u, I)

    def click_prob(self, users: np.ndarray) -> np.ndarray:
        return _sigmoid(self.click_bias + self.click_scale * self.affinity(users))

    def buy_given_click(self, users: np.ndarray) -> np.ndarray:
        a = self.affinity(users)
        s = self.price_sensitivity[users, None]
        return _sigmoid(self.buy_bias + self.buy_scale * a - s * self.log_rel_price)

    def buy_prob(self, users: np.ndarray) -> np.ndarray:
        return self.click_prob(users) * self.buy_given_click(users)


def item_texts(category: np.ndarray, item_tags: np.ndarray) -> tuple[str, ...]:
    """Each item's text for a text encoder, from its category and tags (tag id + 1, 0 = none): 'category 3; tags 5, 17'."""
    rows = zip(category.tolist(), item_tags.tolist())
    return tuple(f"category {c}; tags " + ", ".join(str(t - 1) for t in row if t > 0) for c, row in rows)


def _check(name: str, value: float, low: float, *, strict: bool = True) -> None:
    if value < low or (strict and value == low):
        raise ValueError(f"data.{name} must be {'>' if strict else '>='} {low}, got {value}")


def _item_neighbours(latent: np.ndarray, n_neighbours: int, chunk: int = 2048) -> np.ndarray:
    """Top-`n_neighbours` most similar items of every item by latent dot product, shape (I, M)."""
    n_items = len(latent)
    m = min(n_neighbours, n_items - 1)
    out = np.empty((n_items, m), dtype=np.int64)
    for start in range(0, n_items, chunk):
        sim = latent[start : start + chunk] @ latent.T
        rows = np.arange(sim.shape[0])
        sim[rows, start + rows] = -np.inf  # an item is not its own neighbour
        out[start : start + chunk] = np.argpartition(-sim, m - 1, axis=1)[:, :m]
    return out


def _sample_rows(probs: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """Draw `n` items with replacement from each row's distribution, shape (rows, n)."""
    cdf = np.cumsum(probs, axis=1)
    cdf /= cdf[:, -1:]
    u = rng.random((len(probs), n))
    flat = (cdf + np.arange(len(probs))[:, None]).ravel()
    idx = np.searchsorted(flat, (u + np.arange(len(probs))[:, None]).ravel(), side="right")
    return np.minimum(idx.reshape(len(probs), n) - np.arange(len(probs))[:, None] * probs.shape[1], probs.shape[1] - 1)


def simulate(
    size: str = "default",
    seed: int = 0,
    n_users: int | None = None,
    n_items: int | None = None,
    mean_length: int | None = None,
    n_categories: int = 20,
    n_tags: int = 50,
    tags_per_item: int = 3,
    latent_dim: int = 8,
    price_median: float = 30.0,
    price_scale: float = 0.8,
    category_price_spread: float = 0.6,
    taste_temperature: float = 2.0,
    sequential_prob: float = 0.5,
    n_neighbours: int = 10,
    price_sensitivity_mean: float = 1.0,
    min_length: int = 5,
) -> Interactions:
    """Simulate users browsing a shop: who views what next, and how deep into the funnel they go.

    Each user draws items from a taste distribution softmax(taste_temperature * affinity); with
    probability `sequential_prob` the next item is instead a latent neighbour of the previous one, so a
    sequence model has something to learn. Every viewed item then goes view -> click -> cart -> purchase
    with the true probabilities of `SyntheticTruth`; the event records the deepest stage reached.

    Args:
        size: one of SIZES; explicit n_users / n_items / mean_length override it.
        seed: the random seed; the same seed gives the same data.
        price_scale: sigma of the log-normal price within a category.
    """
    if size not in SIZES:
        raise ValueError(f"data.size must be one of {sorted(SIZES)}, got {size!r}")
    dims = dict(SIZES[size])
    for key, value in (("n_users", n_users), ("n_items", n_items), ("mean_length", mean_length)):
        if value is not None:
            dims[key] = int(value)
    _check("n_users", dims["n_users"], 0)
    _check("n_items", dims["n_items"], 1)
    _check("mean_length", dims["mean_length"], 3, strict=False)
    _check("n_categories", n_categories, 0)
    _check("n_tags", n_tags, 0)
    _check("price_median", price_median, 0)
    _check("price_scale", price_scale, 0, strict=False)
    _check("latent_dim", latent_dim, 0)
    _check("min_length", min_length, 3, strict=False)
    if not 0.0 <= sequential_prob <= 1.0:
        raise ValueError(f"data.sequential_prob must be in [0, 1], got {sequential_prob}")
    rng = np.random.default_rng(seed)
    U, I, D = dims["n_users"], dims["n_items"], latent_dim
    # The draws below keep one order (items, users, sequences, funnel): the same seed gives the same data.
    category, item_latent, item_tags, price, item_bias = _items(rng, I, D, n_categories, n_tags, tags_per_item,
                                                                price_median, price_scale, category_price_spread)
    taste = rng.normal(0, 1, size=(U, D))  # users: a taste vector and a price sensitivity
    sensitivity = rng.gamma(4.0, price_sensitivity_mean / 4.0, size=U)
    truth = SyntheticTruth(
        user_taste=taste, price_sensitivity=sensitivity, item_latent=item_latent, item_bias=item_bias,
        log_rel_price=np.log(price / np.median(price)), click_bias=-2.0, click_scale=1.0,
        buy_bias=-2.5, buy_scale=0.8,
    )
    seq, lengths = _sequences(rng, truth, U, dims["mean_length"], min_length, taste_temperature, sequential_prob,
                              n_neighbours)
    max_len = seq.shape[1]
    mask = np.arange(max_len)[None, :] < lengths[:, None]
    users = np.broadcast_to(np.arange(U)[:, None], (U, max_len))[mask]
    items = seq[mask]
    behaviour = _funnel(rng, truth, users, items)
    step = np.broadcast_to(np.arange(max_len)[None, :], (U, max_len))[mask]
    timestamp = 1_600_000_000.0 + step * 60.0 + rng.random(len(items))  # increasing within user

    return Interactions(
        name=f"synthetic-{size}", user=users.astype(np.int64), item=items, behaviour=behaviour,
        timestamp=timestamp, n_users=U, n_items=I, item_category=category.astype(np.int64),
        item_tags=item_tags.astype(np.int64), item_price=price, n_categories=n_categories,
        n_tags=n_tags, prices_simulated=False, truth=truth, item_text=item_texts(category, item_tags),
    )


def _items(rng: np.random.Generator, I: int, D: int, n_categories: int, n_tags: int, tags_per_item: int,
           price_median: float, price_scale: float, category_price_spread: float) -> tuple[np.ndarray, ...]:
    """Items: a category, tags drawn around the category, a log-normal price by category, a latent vector and bias."""
    category = rng.integers(0, n_categories, size=I)
    cat_centre = rng.normal(0, 1, size=(n_categories, D))
    item_latent = (cat_centre[category] + 0.7 * rng.normal(0, 1, size=(I, D))) / np.sqrt(D)
    cat_tags = rng.integers(0, n_tags, size=(n_categories, tags_per_item * 2))
    pick = rng.integers(0, tags_per_item * 2, size=(I, tags_per_item))
    own = rng.random((I, tags_per_item)) < 0.8  # most tags follow the category, some are random
    tags = np.where(own, cat_tags[category[:, None], pick], rng.integers(0, n_tags, size=(I, tags_per_item)))
    item_tags = np.sort(tags, axis=1) + 1
    item_tags[:, 1:][np.diff(item_tags, axis=1) == 0] = 0  # drop duplicate tags
    cat_log_price = np.log(price_median) + category_price_spread * rng.normal(0, 1, size=n_categories)
    price = np.exp(cat_log_price[category] + price_scale * rng.normal(0, 1, size=I))
    price = np.round(np.maximum(price, 0.5), 2)
    item_bias = 0.5 * rng.normal(0, 1, size=I)
    return category, item_latent, item_tags, price, item_bias


def _sequences(rng: np.random.Generator, truth: SyntheticTruth, U: int, mean_length: int, min_length: int,
               taste_temperature: float, sequential_prob: float, n_neighbours: int) -> tuple[np.ndarray, np.ndarray]:
    """(U, max_len) item sequences and each user's length: taste draws, replaced by a latent neighbour of
    the previous item with probability `sequential_prob`."""
    lengths = np.maximum(min_length, rng.geometric(1.0 / mean_length, size=U))
    lengths = np.minimum(lengths, 8 * mean_length)
    max_len = int(lengths.max())
    neighbours = _item_neighbours(truth.item_latent, n_neighbours)
    seq = np.empty((U, max_len), dtype=np.int64)
    for start in range(0, U, 512):
        users = np.arange(start, min(U, start + 512))
        logits = taste_temperature * truth.affinity(users)
        probs = np.exp(logits - logits.max(axis=1, keepdims=True))
        seq[users] = _sample_rows(probs, max_len, rng)
    follow = rng.random((U, max_len)) < sequential_prob
    pick = rng.integers(0, neighbours.shape[1], size=(U, max_len))
    for t in range(1, max_len):  # loop over time steps, vectorised over users
        seq[:, t] = np.where(follow[:, t], neighbours[seq[:, t - 1], pick[:, t]], seq[:, t])
    return seq, lengths


def _funnel(rng: np.random.Generator, truth: SyntheticTruth, users: np.ndarray, items: np.ndarray) -> np.ndarray:
    """The deepest funnel stage each viewed (user, item) event reaches, with the true probabilities."""
    aff = np.einsum("ed,ed->e", truth.user_taste[users], truth.item_latent[items]) + truth.item_bias[items]
    p_click = _sigmoid(truth.click_bias + truth.click_scale * aff)
    q_buy = _sigmoid(truth.buy_bias + truth.buy_scale * aff - truth.price_sensitivity[users] * truth.log_rel_price[items])
    r = rng.random((len(items), 3))
    clicked = r[:, 0] < p_click
    carted = clicked & (r[:, 1] < np.sqrt(q_buy))
    bought = carted & (r[:, 2] < np.sqrt(q_buy))  # P(cart|click) * P(buy|cart) = q_buy
    behaviour = np.full(len(items), VIEW, dtype=np.int8)
    behaviour[clicked], behaviour[carted], behaviour[bought] = CLICK, CART, PURCHASE
    return behaviour
