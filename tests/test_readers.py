"""Readers of real data: hand-checked results of each reader on toy files, and the Hydra configs."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hydra import compose, initialize_config_dir
from test_readers_helpers import check_invariants, write_lines, write_toy_recbole

from morec_pareto.data.readers import load_movielens, load_recbole, load_table
from morec_pareto.data.readers.prices import simulate_prices
from morec_pareto.data.split import leave_one_out, padded_history
from morec_pareto.pipeline import load_data
from morec_pareto.types import CART, CLICK, PURCHASE, VIEW

CONF = Path(__file__).resolve().parents[1] / "conf"


def test_recbole_remaps_ids_orders_ties_by_file_and_maps_ratings(tmp_path):
    data = load_recbole(write_toy_recbole(tmp_path / "toy"), "toy", price_field="price", cache_dir=tmp_path / "c")
    check_invariants(data)
    assert (data.name, data.n_users, data.n_items) == ("toy", 2, 3)  # u3 (2 events) dropped, duplicate removed
    assert data.user.tolist() == [0, 0, 0, 1, 1, 1]
    assert data.item.tolist() == [1, 0, 2, 1, 0, 2]  # u1: b(5), a(10), c(10); u2: b(1), a(7), c(7)
    assert data.timestamp.tolist() == [5, 10, 10, 1, 7, 7]
    assert data.behaviour.tolist() == [CLICK, PURCHASE, CLICK, CLICK, PURCHASE, PURCHASE]  # rating >= 4: purchase
    # categories: first class token, sorted labels (Action, Drama) then one id for unknown; tags sorted, +1
    assert data.n_categories == 3 and data.item_category.tolist() == [1, 0, 2]
    assert data.n_tags == 3 and data.item_tags.tolist() == [[3, 2], [1, 0], [0, 0]]
    assert data.item_price.tolist() == [10.5, 3.0, 7.0] and not data.prices_simulated


def test_recbole_without_price_simulates_seeded_prices(tmp_path):
    folder = write_toy_recbole(tmp_path / "toy")
    a = load_recbole(folder, "toy", cache=False)
    b = load_recbole(folder, "toy", cache=False, price_model={"seed": 1})
    assert a.prices_simulated and np.array_equal(a.item_price, simulate_prices(a.item_category, 3))
    assert not np.array_equal(a.item_price, b.item_price) and (b.item_price >= 0.5).all()


def test_recbole_without_item_attributes_uses_one_category_and_no_tags(tmp_path):
    folder = write_toy_recbole(tmp_path / "toy")
    (folder / "toy.item").unlink()
    data = load_recbole(folder, "toy", category_field=None, tag_field=None, timestamp_field=None, cache=False)
    check_invariants(data)
    assert (data.n_categories, data.n_tags) == (1, 1) and not data.item_tags.any() and data.item_tags.shape == (3, 1)
    assert data.timestamp.tolist() == [0, 1, 3, 6, 2, 4, 5]  # file order; the repeated row is no longer a duplicate


def test_price_model_gives_each_category_its_own_price_level():
    category = np.repeat(np.arange(4), 2000)
    price = simulate_prices(category, 4, median=20.0, category_spread=1.0, item_scale=0.3, seed=3)
    medians = np.array([np.median(price[category == c]) for c in range(4)])
    assert np.array_equal(price, simulate_prices(category, 4, median=20.0, category_spread=1.0, item_scale=0.3, seed=3))
    assert medians.max() / medians.min() > 1.5  # categories differ far more than sampling noise (~1%)
    assert np.allclose(np.log(price[category == 0]).std(), 0.3, atol=0.03)


def _kcore_log(path: Path) -> Path:
    """Users A, B: i1 i2 i3 (+ i6 for A); C: i1 i4 i6. With min_item_count=2, i4 goes, then C, then i6."""
    rows = [("A", "i1"), ("A", "i2"), ("A", "i3"), ("A", "i6"), ("B", "i1"), ("B", "i2"), ("B", "i3"),
            ("C", "i1"), ("C", "i4"), ("C", "i6")]
    return write_lines(path, ["user_id,item_id,timestamp"] + [f"{u},{i},{t}" for t, (u, i) in enumerate(rows)])


def test_k_core_iterates_to_a_fixed_point(tmp_path):
    path = _kcore_log(tmp_path / "log.csv")
    data = load_table(path, min_item_count=2, cache=False)
    check_invariants(data)
    assert (data.n_users, data.n_items, data.n_events) == (2, 3, 6)
    assert np.bincount(data.item).tolist() == [2, 2, 2] and (data.behaviour == CLICK).all()
    assert load_table(path, cache=False).n_events == 10  # no filtering: all three users have 3+ events
    with pytest.raises(ValueError, match="no events left after filtering"):
        load_table(path, min_item_count=3, cache=False)


def test_table_maps_event_types_and_takes_median_event_prices(tmp_path):
    events = pd.DataFrame({
        "visitor": ["x", "x", "x", "x", "y", "y", "y"],
        "sku": [7, 8, 7, 9, 8, 9, 7],
        "ts": ["2024-01-01T00:00:02", "2024-01-01T00:00:01", "2024-01-01T00:00:03", "2024-01-01T00:00:03",
               "2024-01-02", "2024-01-03", "2024-01-04"],
        "event": ["view", "addtocart", "transaction", "fav", "view", "click", "view"],
        "amount": [10.0, 4.0, 12.0, 5.0, 6.0, 5.0, 20.0],
    })
    path = tmp_path / "events.parquet"
    events.to_parquet(path)
    items = write_lines(tmp_path / "items.csv", ["sku,cat", "7,shoes|sport", "8,books", "9,"])
    data = load_table(
        path, columns={"user": "visitor", "item": "sku", "timestamp": "ts", "behaviour": "event", "price": "amount"},
        items_path=str(items), item_columns={"item": "sku", "category": "cat", "tags": "cat"},
        event_map={"view": "view", "click": "click", "addtocart": "cart", "transaction": "purchase"},
        drop_unmapped=True, cache=False,
    )
    check_invariants(data)
    assert data.name == "events" and (data.n_users, data.n_items) == (2, 3)  # 'fav' dropped
    # x: 8 cart (t=1), 7 view (t=2), 7 purchase (t=3); y: 8 view, 9 click, 7 view; items 7 -> 0, 8 -> 1, 9 -> 2
    assert data.item.tolist() == [1, 0, 0, 1, 2, 0]
    assert data.behaviour.tolist() == [CART, VIEW, PURCHASE, VIEW, CLICK, VIEW]
    assert data.timestamp[1] - data.timestamp[0] == 1.0 and data.timestamp[4] - data.timestamp[3] == 86400.0
    assert data.item_price.tolist() == [12.0, 5.0, 5.0] and not data.prices_simulated  # medians of event prices
    assert data.item_category.tolist() == [1, 0, 2] and data.n_categories == 3  # books, shoes, unknown
    assert data.item_tags.tolist() == [[2, 3], [1, 0], [0, 0]] and data.n_tags == 3  # books, shoes, sport


def test_table_ratings_and_dedup_modes(tmp_path):
    path = write_lines(tmp_path / "r.tsv", ["u\ti\tr\tt", "1\t1\t5\t1", "1\t1\t5\t1", "1\t2\t2\t2", "1\t1\t4\t3",
                                            "1\t3\t0.5\t4", "1\t4\t3\t5"])
    cols = {"user": "u", "item": "i", "behaviour": "r", "timestamp": "t"}
    kwargs = dict(columns=cols, event_map=None, rating_thresholds={"view": 1.0, "click": 3.0, "purchase": 4.0}, cache=False)
    exact = load_table(path, **kwargs)
    assert exact.behaviour.tolist() == [PURCHASE, VIEW, PURCHASE, CLICK]  # rating 0.5 is below every threshold
    assert exact.item.tolist() == [0, 1, 0, 2]
    assert load_table(path, dedup="none", **kwargs).n_events == 5
    assert load_table(path, dedup="user_item_behaviour", **kwargs).item.tolist() == [0, 1, 2]


def _movielens_files(folder: Path, variant: str) -> Path:
    """Three users rating movies 1-3 (movie 3 without genre) in one of the raw formats."""
    folder.mkdir()
    ratings = [(1, 1, 5, 30), (1, 2, 3, 10), (1, 3, 4, 20), (2, 2, 1, 5), (2, 1, 4, 6), (2, 3, 2, 6), (3, 1, 5, 1)]
    movies = [(1, "Toy Story (1995)", ["Animation", "Comedy"]), (2, "Heat, The (1995)", ["Crime"]), (3, "Odd (1990)", [])]
    if variant == "100k":
        write_lines(folder / "u.data", ["\t".join(map(str, r)) for r in ratings])
        genres = ["unknown", "Animation", "Comedy", "Crime"]
        write_lines(folder / "u.genre", [f"{g}|{k}" for k, g in enumerate(genres)])
        flags = lambda gs: "|".join("1" if g in gs else "0" for g in genres)  # noqa: E731
        write_lines(folder / "u.item", [f"{m}|{t}|01-Jan-1995||http://x|{flags(gs)}" for m, t, gs in movies])
    elif variant == "1m":
        write_lines(folder / "ratings.dat", ["::".join(map(str, r)) for r in ratings])
        write_lines(folder / "movies.dat", [f"{m}::{t}::{'|'.join(gs) or '(no genres listed)'}" for m, t, gs in movies])
    else:
        write_lines(folder / "ratings.csv", ["userId,movieId,rating,timestamp"] + [",".join(map(str, r)) for r in ratings])
        write_lines(folder / "movies.csv", ["movieId,title,genres"]
                    + [f'{m},"{t}",{"|".join(gs) or "(no genres listed)"}' for m, t, gs in movies])
    return folder


@pytest.mark.parametrize("variant", ["100k", "1m", "latest-small"])
def test_movielens_variants_are_detected_and_agree(tmp_path, variant):
    data = load_movielens(str(_movielens_files(tmp_path / "ml", variant)), cache=False)
    check_invariants(data)
    assert data.name == f"ml-{variant}" and (data.n_users, data.n_items, data.n_events) == (2, 3, 6)  # user 3: 1 rating
    assert data.item.tolist() == [1, 2, 0, 1, 0, 2]  # user 1: 2 (t=10), 3 (20), 1 (30); user 2: 2, 1, 3 (tie: file order)
    assert data.behaviour.tolist() == [CLICK, PURCHASE, PURCHASE, CLICK, PURCHASE, CLICK]
    assert data.item_category.tolist() == [0, 1, 2] and data.n_categories == 3  # Animation, Crime, unknown
    assert data.item_tags.tolist() == [[1, 2], [3, 0], [0, 0]] and data.n_tags == 3
    assert data.prices_simulated


def test_readers_feed_leave_one_out_and_padded_history(tmp_path):
    data = load_recbole(write_toy_recbole(tmp_path / "toy"), "toy", cache_dir=tmp_path / "c")
    split = leave_one_out(data)
    assert split.targets("test").tolist() == [2, 2] and split.targets("valid").tolist() == [0, 0]
    items, behaviours = padded_history(split, "test", 4)
    assert items.tolist() == [[0, 0, 2, 1], [0, 0, 2, 1]]  # b then a, shifted by +1, left-padded
    assert behaviours.tolist() == [[0, 0, CLICK, PURCHASE], [0, 0, CLICK, PURCHASE]]
    items, _ = padded_history(split, "valid", 2)
    assert items.tolist() == [[0, 2], [0, 2]]


@pytest.mark.parametrize("group", ["recbole", "movielens", "table"])
def test_configs_instantiate_with_hydra(tmp_path, group):
    if group == "recbole":
        overrides = [f"data.path={write_toy_recbole(tmp_path / 'toy')}", "data.name=toy"]
    elif group == "movielens":
        overrides = [f"data.path={_movielens_files(tmp_path / 'ml', '100k')}"]
    else:
        overrides = [f"data.path={_kcore_log(tmp_path / 'log.csv')}"]
    with initialize_config_dir(config_dir=str(CONF), version_base="1.3"):
        cfg = compose(config_name="config", overrides=[f"data={group}", f"data.cache_dir={tmp_path / 'cache'}", *overrides])
    data = load_data(cfg.data)  # the reader's arguments, without the data set's reference_point
    check_invariants(data)
    assert data.prices_simulated and len(list((tmp_path / "cache").glob("*.npz"))) == 1
