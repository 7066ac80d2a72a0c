"""Property-based checks: malformed tables give a valid Interactions or a one-line ValueError, nothing else."""
from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_readers_helpers import check_invariants

from morec_pareto.data.readers import load_recbole, load_table
from morec_pareto.types import PURCHASE

SETTINGS = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Cells that look like ids, numbers, dates, event types, or garbage.
CELLS = st.one_of(
    st.sampled_from(["1", "2", "3", "a", "b", "4.5", "-1", "0", "nan", "NaN", "inf", "", " ", "view", "click",
                     "addtocart", "transaction", "1e308", "1e400", "2024-01-01", "x|y", "\u00e9", '"', "'"]),
    st.integers(-5, 5).map(str),
    st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=6),
)
HEADER = ["user_id", "item_id", "timestamp", "event", "price"]
EVENT_MAP = {"view": "view", "click": "click", "addtocart": "cart", "transaction": "purchase"}


@st.composite
def tables(draw, header: list[str], valid_cells: list[st.SearchStrategy]) -> list[list[str]]:
    """A header and rows that are mostly valid, with a misspelled column and corrupted or ragged rows now and then."""
    header = list(header)
    if draw(st.integers(0, 9)) == 0:
        k = draw(st.integers(0, len(header) - 1))
        header[k] = draw(st.sampled_from(["usr", "", "time stamp", header[k].upper(), header[k] + ":tokn"]))
    rows = [header]
    for _ in range(draw(st.integers(0, 40))):
        row = [draw(cell) for cell in valid_cells]
        if draw(st.integers(0, 14)) == 0:  # a corrupted cell
            row[draw(st.integers(0, len(row) - 1))] = draw(CELLS)
        if draw(st.integers(0, 29)) == 0:  # a ragged row
            row = row[: draw(st.integers(0, len(row)))] + draw(st.lists(CELLS, max_size=2))
        rows.append(row)
    return rows


def _expect_valid_or_value_error(call) -> None:
    try:
        data = call()
    except ValueError as err:
        assert "\n" not in str(err) and str(err), repr(str(err))
        return
    check_invariants(data)


USERS, ITEMS = st.sampled_from(["u1", "u2", "u3"]), st.sampled_from(["i1", "i2", "i3", "i4"])
STAMPS = st.integers(0, 9).map(str)


@SETTINGS
@given(
    rows=tables(HEADER, [USERS, ITEMS, STAMPS, st.sampled_from(list(EVENT_MAP) + ["fav"]), st.sampled_from(["1", "2.5", "10"])]),
    sep=st.sampled_from([",", "\t", ";"]),
    use_event=st.booleans(),
    use_price=st.booleans(),
)
def test_malformed_csv_tables(rows, sep, use_event, use_price):
    with tempfile.TemporaryDirectory() as tmp:
        path, cache = Path(tmp) / "log.csv", Path(tmp) / "cache"
        path.write_text("\n".join(sep.join(r) for r in rows) + "\n", encoding="utf-8")
        columns = {"behaviour": "event" if use_event else None, "price": "price" if use_price else None}
        _expect_valid_or_value_error(lambda: load_table(
            path, columns=columns, sep=sep, event_map=EVENT_MAP, drop_unmapped=True, cache_dir=cache
        ))
        assert not cache.exists() or all(p.suffix == ".npz" and not p.name.startswith(".") for p in cache.iterdir())


@SETTINGS
@given(
    inter=tables(["user_id:token", "item_id:token", "rating:float", "timestamp:float"],
                 [USERS, ITEMS, st.sampled_from(["1", "3", "4.5", "5"]), STAMPS]),
    item=tables(["item_id:token", "class:token_seq", "price:float"],
                [ITEMS, st.sampled_from(["", "Drama", "Drama Comedy", "Action  War"]), st.sampled_from(["1", "9.99"])]),
    use_price=st.booleans(),
)
def test_malformed_recbole_files(inter, item, use_price):
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "x.inter").write_text("\n".join("\t".join(r) for r in inter) + "\n", encoding="utf-8")
        (folder / "x.item").write_text("\n".join("\t".join(r) for r in item) + "\n", encoding="utf-8")
        _expect_valid_or_value_error(lambda: load_recbole(
            folder, "x", price_field="price" if use_price else None, cache_dir=folder / "cache"
        ))


@SETTINGS
@given(
    n_users=st.integers(1, 6), n_items=st.integers(1, 6), n_events=st.integers(0, 60),
    min_user=st.integers(0, 5), min_item=st.integers(0, 5), seed=st.integers(0, 10_000),
)
def test_random_logs_keep_the_k_core_invariants(n_users, n_items, n_events, min_user, min_item, seed):
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({"user_id": rng.integers(0, n_users, n_events), "item_id": rng.integers(0, n_items, n_events),
                          "timestamp": rng.integers(0, 5, n_events), "rating": rng.integers(1, 6, n_events)})
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "log.csv"
        frame.to_csv(path, index=False)
        try:
            data = load_table(path, columns={"behaviour": "rating"}, event_map=None, min_user_count=min_user,
                              min_item_count=min_item, cache=False)
        except ValueError as err:
            assert "no events left after filtering" in str(err)
            return
    check_invariants(data)
    frame["bought"] = frame.rating >= 4  # duplicates are repeats of the mapped event (click / purchase)
    ref = _reference_k_core(frame.drop_duplicates(["user_id", "item_id", "timestamp", "bought"]), max(3, min_user), min_item)
    assert (data.n_users, data.n_items, data.n_events) == (ref.user_id.nunique(), ref.item_id.nunique(), len(ref))
    assert (data.behaviour == PURCHASE).sum() == ref.bought.sum()  # default: rating >= 4 is a purchase


def _reference_k_core(frame: pd.DataFrame, min_user: int, min_item: int) -> pd.DataFrame:
    """Plain pandas k-core: drop rare users and items until nothing changes."""
    while True:
        users = frame.groupby("user_id").user_id.transform("size")
        items = frame.groupby("item_id").item_id.transform("size")
        keep = (users >= min_user) & (items >= min_item)
        if keep.all():
            return frame
        frame = frame[keep]
