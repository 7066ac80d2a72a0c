"""Reader of RecBole atomic files (NAME.inter, NAME.item): tab-separated, typed headers like `user_id:token`."""
from __future__ import annotations

import csv
from collections.abc import Mapping, Sequence
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

RECBOLE_TYPES = ("token", "token_seq", "float", "float_seq")


def read_header(path: Path, encoding: str) -> dict[str, str]:
    """Field name -> RecBole type from the first line of an atomic file."""
    try:
        with open(path, encoding=encoding, newline="") as fh:
            line = fh.readline()
    except UnicodeDecodeError as err:
        raise ValueError(f"{path}: header is not {encoding} text ({err.reason})") from None
    line = line.rstrip("\r\n")
    if not line.strip():
        raise ValueError(f"{path}: empty file, expected a header such as 'user_id:token'")
    fields: dict[str, str] = {}
    for col in line.split("\t"):
        name, sep, ftype = col.strip().rpartition(":")
        if not sep or not name:
            raise ValueError(f"{path}: header column {col!r} is not 'name:type'")
        if ftype not in RECBOLE_TYPES:
            known = ", ".join(RECBOLE_TYPES)
            raise ValueError(
                f"{path}: column {name!r} has unknown type {ftype!r} (known: {known}){suggest(ftype, RECBOLE_TYPES)}"
            )
        if name in fields:
            raise ValueError(f"{path}: column {name!r} appears twice in the header")
        fields[name] = ftype
    return fields


def read_atomic(path: Path, wanted: Mapping[str, str], encoding: str = "utf-8") -> tuple[pd.DataFrame, dict[str, str]]:
    """Read the fields named in `wanted` (config key -> field name) as strings; returns (frame, field types).

    Raises:
        FileNotFoundError: when the file does not exist.
        ValueError: on a malformed header, an unknown type, or a missing field (naming the config key).
    """
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such RecBole atomic file (check data.path and data.name)")
    types = read_header(path, encoding)
    names = list(types)
    for key, field in wanted.items():
        require_column(names, field, str(path), key)
    usecols = sorted({names.index(f) for f in wanted.values()})
    try:
        frame = pd.read_csv(
            path, sep="\t", header=None, skiprows=1, usecols=usecols, dtype=str, quoting=csv.QUOTE_NONE,
            keep_default_na=False, na_filter=False, index_col=False, encoding=encoding, engine="c",
        )
    except pd.errors.EmptyDataError:
        frame = pd.DataFrame({i: pd.Series([], dtype=str) for i in usecols})
    except (ValueError, pd.errors.ParserError, UnicodeDecodeError, OverflowError) as err:
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise ValueError(f"{path}: cannot parse as a tab-separated atomic file ({first})") from None
    frame.columns = [names[i] for i in frame.columns]
    return frame, types


def text_fields_of(types: Mapping[str, str], text_fields: str | Sequence[str] | None,
                   category_field: str | None, tag_field: str | None) -> list[str]:
    """The NAME.item fields an item's text is made of.

    'auto': the fields whose name contains 'title', then the category and tag fields (deduplicated, those
    present); a list: exactly those fields; None or []: no text.
    """
    if text_fields is None:
        return []
    if isinstance(text_fields, str):
        if text_fields != "auto":
            raise ValueError(f"data.text_fields must be auto, a list of NAME.item fields or null, got {text_fields!r}")
        auto = [name for name in types if "title" in name.lower()] + [f for f in (category_field, tag_field) if f]
        return [f for f in dict.fromkeys(auto) if f in types]
    return [str(f) for f in text_fields]


def _item_table(
    path: Path, item_field: str, category_field: str | None, tag_field: str | None, price_field: str | None,
    encoding: str, text_fields: str | Sequence[str] | None = None,
) -> ItemTable:
    """Category (first token), tags (all tokens), price and text per item from NAME.item.

    An item's text joins its `text_fields` cells (see `text_fields_of`) with '; ', skipping empty ones.
    """
    texts = text_fields_of(read_header(path, encoding), text_fields, category_field, tag_field) if path.is_file() else []
    wanted = {"data.item_field": item_field} | {
        key: field for key, field in (("data.category_field", category_field), ("data.tag_field", tag_field),
                                      ("data.price_field", price_field)) if field is not None
    } | {f"data.text_fields[{k}]": field for k, field in enumerate(texts)}
    if not path.is_file():
        raise FileNotFoundError(
            f"{path}: no such item file; set data.category_field, data.tag_field and data.price_field "
            "to null for data without one"
        )
    frame, _ = read_atomic(path, wanted, encoding)
    source = str(path)
    category = tags = price = None
    if category_field is not None:
        category = np.array([row[0] if row else "" for row in split_tokens(frame[category_field], None)], dtype=object)
    if tag_field is not None:
        tags = split_tokens(frame[tag_field], None)
    if price_field is not None:
        price = parse_price(frame[price_field], source, price_field)
    text = None
    if texts:
        cells = zip(*(frame[f].str.strip().tolist() for f in texts))
        text = ["; ".join(c for c in row if c) for row in cells]
    return ItemTable(source, parse_tokens(frame[item_field], source, item_field), category, tags, price, text)


def load_recbole(
    path: str, name: str, user_field: str = "user_id", item_field: str = "item_id",
    behaviour_field: str | None = "rating", timestamp_field: str | None = "timestamp",
    category_field: str | None = "class", tag_field: str | None = "class", price_field: str | None = None,
    rating_thresholds: Mapping[str, float] | None = None, event_map: Mapping[str, str] | None = None,
    drop_unmapped: bool = False, default_behaviour: str = "click", dedup: str = "exact", min_user_count: int = 0,
    min_item_count: int = 0, max_tags: int = 16, price_model: Mapping[str, float] | None = None,
    encoding: str = "utf-8", text_fields: str | Sequence[str] | None = "auto", cache: bool = True,
    cache_dir: str | None = None,
) -> Interactions:
    """Load a data set in RecBole's atomic format (`DIR/NAME.inter` and, for item attributes, `DIR/NAME.item`).

    Token-sequence fields (`:token_seq`) are space-separated; the category is the first token of
    `category_field` and the tags are all tokens of `tag_field`. `NAME.user` is not read (no user features).

    Args:
        path: folder holding the atomic files.
        name: the data set's name, the files' stem (e.g. 'ml-100k').
        behaviour_field: the rating or event-type column (None: every event is `default_behaviour`).
        timestamp_field: the time column (None: file order).
        rating_thresholds: behaviour -> minimum rating, for numeric behaviour columns.
        event_map: event-type string -> behaviour, for string behaviour columns (takes precedence).
        price_field: the .item price column; None draws prices from `price_model` (prices_simulated=True).
        text_fields: the .item fields of each item's text (`Interactions.item_text`, read by a text encoder):
            'auto' = title-like fields then the category and tag fields; a list; None = no text.

    Remaining arguments are described in conf/data/recbole.yaml and `build_interactions`.
    """
    check_options(dedup, min_user_count, min_item_count, max_tags)
    # resolved defaults (and refused bad values) up front, so equal settings share a cache entry
    price_model, rating_thresholds = price_model_args(price_model), resolve_thresholds(rating_thresholds)
    folder = Path(path).expanduser()
    inter_path, item_path = folder / f"{name}.inter", folder / f"{name}.item"
    if text_fields is not None and not isinstance(text_fields, str):
        text_fields = [str(f) for f in text_fields]  # a ListConfig as a plain list, for the cache key
    # 'auto' text needs no item file; named text fields do
    wants_text = bool(text_fields) and (text_fields != "auto" or item_path.is_file())
    uses_items = any(f is not None for f in (category_field, tag_field, price_field)) or wants_text
    # the cache key: every argument that changes the result (cache settings and derived paths excluded)
    args = {k: v for k, v in locals().items() if k not in ("cache", "cache_dir", "folder", "inter_path", "item_path")}
    args["path"] = str(folder.resolve())

    def build() -> tuple[Interactions, dict[str, int]]:
        wanted = {"data.user_field": user_field, "data.item_field": item_field} | {
            key: field for key, field in (("data.behaviour_field", behaviour_field),
                                          ("data.timestamp_field", timestamp_field)) if field is not None
        }
        frame, _ = read_atomic(inter_path, wanted, encoding)
        source, n = str(inter_path), len(frame)
        codes, keep = map_behaviour(
            frame[behaviour_field] if behaviour_field is not None else None, n, source, behaviour_field,
            event_map=event_map, rating_thresholds=rating_thresholds, drop_unmapped=drop_unmapped,
            default_behaviour=default_behaviour,
        )
        stamps = (parse_timestamp(frame[timestamp_field], source, timestamp_field) if timestamp_field is not None
                  else np.arange(n, dtype=np.float64))
        log = RawLog(parse_tokens(frame[user_field], source, user_field), parse_tokens(frame[item_field], source, item_field),
                     codes, stamps)
        items = (_item_table(item_path, item_field, category_field, tag_field, price_field, encoding, text_fields)
                 if uses_items else None)
        return build_interactions(
            name, log, items, source=source, keep=keep, dedup=dedup, min_user_count=min_user_count,
            min_item_count=min_item_count, max_tags=max_tags, price_model=price_model,
        )

    if not inter_path.is_file():
        raise FileNotFoundError(f"{inter_path}: no such RecBole atomic file (check data.path and data.name)")
    files = [inter_path] + ([item_path] if uses_items and item_path.is_file() else [])
    return cached("recbole", args, files, build, cache=cache, cache_dir=cache_dir)
