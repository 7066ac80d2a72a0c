"""Reader of generic event tables (CSV, TSV or Parquet) with a column mapping, plus an optional items table."""
from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from morec_pareto.data.readers.cache import cached
from morec_pareto.data.readers.fields import (
    check_options,
    map_behaviour,
    parse_timestamp,
    parse_tokens,
    require_column,
    resolve_thresholds,
    split_tokens,
    suggest,
)
from morec_pareto.data.readers.preprocess import ItemTable, RawLog, build_interactions
from morec_pareto.data.readers.prices import parse_price, price_model_args
from morec_pareto.types import Interactions

# Column roles of the events table and their defaults; None means the table has no such column.
EVENT_COLUMNS: dict[str, str | None] = {
    "user": "user_id", "item": "item_id", "timestamp": "timestamp", "behaviour": None, "price": None,
    "category": None, "tags": None, "text": None,
}
# Column roles of the items table.
ITEM_COLUMNS: dict[str, str | None] = {"item": "item_id", "category": None, "tags": None, "price": None, "text": None}


def _roles(given: Mapping | None, defaults: dict[str, str | None], key: str) -> dict[str, str | None]:
    """Defaults overridden by `given`; an unknown role is an error naming `key`."""
    roles = dict(defaults)
    for role, column in (given or {}).items():
        if role not in defaults:
            raise ValueError(f"{key}.{role} is not a column role{suggest(str(role), defaults)}")
        roles[role] = None if column is None else str(column)
    for role in ("user", "item"):
        if role in roles and roles[role] is None:
            raise ValueError(f"{key}.{role} must name a column")
    return roles


def read_table(path: Path, columns: list[str], sep: str | None, key: str) -> pd.DataFrame:
    """The named columns of a CSV / TSV / Parquet file (CSV cells as strings).

    Raises:
        FileNotFoundError: when the file does not exist.
        ValueError: when it cannot be parsed or lacks a column (naming the config key under `key`).
    """
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file")
    parquet = ".parquet" in path.suffixes or path.suffix == ".pq"
    try:
        if parquet:
            try:
                import pyarrow.parquet as pq  # optional dependency
            except ImportError:
                raise ImportError(f"{path}: reading Parquet needs pyarrow (pip install 'morec-pareto[parquet]')") from None
            names = pq.read_schema(path).names
        else:
            sep = sep or ("\t" if ".tsv" in path.suffixes or ".tab" in path.suffixes else ",")
            names = list(pd.read_csv(path, sep=sep, nrows=0, index_col=False).columns)
            raw = [str(n) for n in pd.read_csv(path, sep=sep, header=None, nrows=1, dtype=str).iloc[0]]
            duplicates = sorted({n for n in raw if raw.count(n) > 1})
            if duplicates:  # pandas would rename the second 'x' to 'x.1' and read the first one silently
                raise ValueError(f"{path}: duplicate column name(s) {duplicates} in the header")
    except pd.errors.EmptyDataError:
        raise ValueError(f"{path}: empty file, expected a header row") from None
    except (ValueError, OSError, pd.errors.ParserError, UnicodeDecodeError, OverflowError) as err:
        if str(err).startswith(f"{path}: duplicate"):
            raise
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise ValueError(f"{path}: cannot parse the header ({first})") from None
    for column in columns:
        require_column(names, column, str(path), key)
    wanted = list(dict.fromkeys(columns))
    try:
        if parquet:
            return pd.read_parquet(path, columns=wanted)
        return pd.read_csv(path, sep=sep, usecols=wanted, dtype=str, keep_default_na=False, na_filter=False,
                           index_col=False)
    except (ValueError, OSError, pd.errors.ParserError, UnicodeDecodeError, OverflowError) as err:
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise ValueError(f"{path}: cannot parse ({first})") from None


def _attributes(frame: pd.DataFrame, roles: Mapping[str, str | None], source: str, tag_sep: str) -> ItemTable:
    """Category, tags, price and text per item from the columns named in `roles` (first row of an item counts).

    An item's text (for a text encoder) is its `text` cell (a title, a description), then its tags joined
    by ', ' (as MovieLens' 'Toy Story (1995); Animation, Comedy'); no text without a `text` column.
    """
    item = roles["item"]
    assert item is not None, "_roles refuses an item role without a column"
    items = parse_tokens(frame[item], source, item)
    category = tags = price = None
    if roles.get("category") is not None:
        category = np.array([row[0] if row else "" for row in split_tokens(frame[roles["category"]], tag_sep)], dtype=object)
    if roles.get("tags") is not None:
        tags = split_tokens(frame[roles["tags"]], tag_sep)
    price_column = roles.get("price")
    if price_column is not None:
        price = parse_price(frame[price_column], source, price_column)
    text = None
    text_column = roles.get("text")
    if text_column is not None:
        cells = frame[text_column].astype(str).str.strip().tolist()
        text = ["; ".join(p for p in (cell, ", ".join(row)) if p) for cell, row in zip(cells, tags or [()] * len(cells))]
    return ItemTable(source, items, category, tags, price, text)


def load_table(
    path: str, columns: Mapping[str, str | None] | None = None, items_path: str | None = None,
    item_columns: Mapping[str, str | None] | None = None, name: str | None = None, sep: str | None = None,
    tag_sep: str = "|", event_map: Mapping[str, str] | None = None,
    rating_thresholds: Mapping[str, float] | None = None, drop_unmapped: bool = False,
    default_behaviour: str = "click", dedup: str = "exact", min_user_count: int = 0, min_item_count: int = 0,
    max_tags: int = 16, price_model: Mapping[str, float] | None = None, cache: bool = True,
    cache_dir: str | None = None,
) -> Interactions:
    """Load an event log from a CSV / TSV / Parquet table whose columns are named in `columns`.

    Item attributes come from the items table when `items_path` is given (roles in `item_columns`),
    else from the events table's `category` / `tags` columns (an item's first row counts). A per-event
    `price` column gives each item the median of its event prices; with no price anywhere, prices are
    drawn from `price_model` (prices_simulated=True).

    Args:
        path: the events table.
        columns: role -> column name for user, item, timestamp (None: file order), behaviour (None: every
            event is `default_behaviour`), price, category, tags; see EVENT_COLUMNS for the defaults.
        event_map: event-type string -> behaviour (view, click, cart, purchase); when None a behaviour column
            is read as ratings and mapped by `rating_thresholds`.
        tag_sep: separator of several tags (and categories: the first one counts) in one cell.

    Remaining arguments are described in conf/data/table.yaml and `build_interactions`.
    """
    check_options(dedup, min_user_count, min_item_count, max_tags)
    # resolved defaults (and refused bad values) up front, so equal settings share a cache entry
    price_model, rating_thresholds = price_model_args(price_model), resolve_thresholds(rating_thresholds)
    roles = _roles(columns, EVENT_COLUMNS, "data.columns")
    item_roles = _roles(item_columns, ITEM_COLUMNS, "data.item_columns")
    events_path = Path(path).expanduser()
    items_file = Path(items_path).expanduser() if items_path is not None else None
    if items_file is not None:
        for role in ("category", "tags", "text"):
            if roles[role] is not None:
                raise ValueError(f"data.columns.{role} is set with data.items_path; name it in data.item_columns.{role}")
        if roles["price"] is not None and item_roles["price"] is not None:
            raise ValueError("data.columns.price and data.item_columns.price are both set; keep one")
    args = {"path": str(events_path.resolve()), "columns": roles, "item_columns": item_roles,
            "items_path": None if items_file is None else str(items_file.resolve()), "name": name, "sep": sep,
            "tag_sep": tag_sep, "event_map": event_map, "rating_thresholds": rating_thresholds,
            "drop_unmapped": drop_unmapped, "default_behaviour": default_behaviour, "dedup": dedup,
            "min_user_count": min_user_count,
            "min_item_count": min_item_count, "max_tags": max_tags, "price_model": price_model}
    data_name = name or events_path.name.split(".")[0]

    def build() -> tuple[Interactions, dict[str, int]]:
        frame = read_table(events_path, [c for c in roles.values() if c is not None], sep, "data.columns")
        source, n = str(events_path), len(frame)
        behaviour, stamp = roles["behaviour"], roles["timestamp"]
        codes, keep = map_behaviour(
            frame[behaviour] if behaviour is not None else None, n, source, behaviour, event_map=event_map,
            rating_thresholds=rating_thresholds, drop_unmapped=drop_unmapped, default_behaviour=default_behaviour,
        )
        stamps = parse_timestamp(frame[stamp], source, stamp) if stamp is not None else np.arange(n, dtype=np.float64)
        price = parse_price(frame[roles["price"]], source, roles["price"]) if roles["price"] is not None else None
        user, item = roles["user"], roles["item"]
        assert user is not None and item is not None, "_roles refuses a user or item role without a column"
        log = RawLog(parse_tokens(frame[user], source, user), parse_tokens(frame[item], source, item), codes, stamps, price)
        if items_file is not None:
            wanted = [c for c in item_roles.values() if c is not None]
            items = _attributes(read_table(items_file, wanted, sep, "data.item_columns"), item_roles, str(items_file), tag_sep)
        elif roles["category"] is not None or roles["tags"] is not None or roles["text"] is not None:
            items = _attributes(frame, {**roles, "price": None}, source, tag_sep)
        else:
            items = None
        return build_interactions(
            data_name, log, items, source=source, keep=keep, dedup=dedup, min_user_count=min_user_count,
            min_item_count=min_item_count, max_tags=max_tags, price_model=price_model,
        )

    for file, key in ((events_path, "data.path"), (items_file, "data.items_path")):
        if file is not None and not file.is_file():
            raise FileNotFoundError(f"{file}: no such file ({key})")
    files = [events_path] + ([items_file] if items_file is not None else [])
    return cached("table", args, files, build, cache=cache, cache_dir=cache_dir)
