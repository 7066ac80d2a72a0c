"""Reader of GroupLens' raw MovieLens files: 100k (u.data, u.item), 1M (ratings.dat, movies.dat), latest-small (CSV)."""
from __future__ import annotations

import csv
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
    resolve_thresholds,
    suggest,
)
from morec_pareto.data.readers.preprocess import ItemTable, RawLog, build_interactions
from morec_pareto.data.readers.prices import price_model_args
from morec_pareto.types import Interactions

# Variant -> (ratings file, movies file). 10M uses the 1m format, 20M / 25M / latest the latest-small format.
VARIANTS: dict[str, tuple[str, str]] = {
    "100k": ("u.data", "u.item"),
    "1m": ("ratings.dat", "movies.dat"),
    "latest-small": ("ratings.csv", "movies.csv"),
}
# The 19 genre flags of u.item, in column order (used when u.genre is absent).
GENRES_100K = (
    "unknown", "Action", "Adventure", "Animation", "Children's", "Comedy", "Crime", "Documentary", "Drama", "Fantasy",
    "Film-Noir", "Horror", "Musical", "Mystery", "Romance", "Sci-Fi", "Thriller", "War", "Western",
)
NO_GENRE = "(no genres listed)"


def detect_variant(folder: Path) -> str:
    """The variant whose ratings file `folder` holds."""
    for variant, (ratings, _) in VARIANTS.items():
        if (folder / ratings).is_file():
            return variant
    names = ", ".join(r for r, _ in VARIANTS.values())
    raise FileNotFoundError(f"{folder}: no MovieLens ratings file ({names}); check data.path")


def _read(path: Path, **kwargs) -> pd.DataFrame:
    """pd.read_csv of strings, with parse failures turned into one-line ValueErrors naming the file."""
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file (check data.path and data.variant)")
    try:
        return pd.read_csv(path, dtype=str, keep_default_na=False, na_filter=False, index_col=False, **kwargs)
    except pd.errors.EmptyDataError:
        raise ValueError(f"{path}: empty file") from None
    except (ValueError, pd.errors.ParserError, UnicodeDecodeError, OverflowError) as err:
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise ValueError(f"{path}: cannot parse ({first})") from None


def _columns(frame: pd.DataFrame, n: int, path: Path) -> pd.DataFrame:
    if frame.shape[1] < n:
        raise ValueError(f"{path}: expected {n} columns, found {frame.shape[1]}")
    return frame


def _ratings(path: Path, variant: str) -> pd.DataFrame:
    """user, item, rating, timestamp columns of the ratings file."""
    if variant == "100k":
        frame = _columns(_read(path, sep="\t", header=None, quoting=csv.QUOTE_NONE), 4, path).iloc[:, :4]
    elif variant == "1m":  # 'u::i::r::t' split on ':' gives empty fields between the values
        frame = _columns(_read(path, sep=":", header=None, quoting=csv.QUOTE_NONE), 7, path).iloc[:, [0, 2, 4, 6]]
    else:
        frame = _read(path, sep=",")
        for col in ("userId", "movieId", "rating", "timestamp"):
            if col not in frame.columns:
                raise ValueError(f"{path}: no column {col!r}{suggest(col, frame.columns)}")
        frame = frame[["userId", "movieId", "rating", "timestamp"]]
    frame.columns = ["user", "item", "rating", "timestamp"]
    return frame


def movie_text(title: str, genres: tuple[str, ...]) -> str:
    """An item's text for a text encoder: 'Toy Story (1995); Animation, Children's, Comedy'."""
    return "; ".join(part for part in (title.strip(), ", ".join(genres)) if part)


def _movies(path: Path, variant: str) -> tuple[pd.Series, list[tuple[str, ...]], list[str]]:
    """Movie ids, their genres and their titles (in file order) from the movies file."""
    if variant == "100k":
        genre_file = path.parent / "u.genre"
        names = list(GENRES_100K)
        if genre_file.is_file():
            names = [ln.split("|")[0] for ln in genre_file.read_text(encoding="latin-1").splitlines() if ln.strip()]
        frame = _read(path, sep="|", header=None, quoting=csv.QUOTE_NONE, encoding="latin-1")
        frame = _columns(frame, 5 + len(names), path)  # id, title, release, video release, URL, genre flags
        flags = frame.iloc[:, 5 : 5 + len(names)].to_numpy() == "1"
        genres = [tuple(g for g, f in zip(names, row) if f) for row in flags]
        return frame.iloc[:, 0], genres, frame.iloc[:, 1].tolist()
    if variant == "1m":
        if not path.is_file():
            raise FileNotFoundError(f"{path}: no such file (check data.path and data.variant)")
        rows = [ln.split("::") for ln in path.read_text(encoding="latin-1").splitlines() if ln.strip()]
        bad = [k for k, r in enumerate(rows) if len(r) != 3]
        if bad:
            raise ValueError(f"{path}: line {bad[0] + 1} is not 'MovieID::Title::Genres'")
        ids, cells = pd.Series([r[0] for r in rows], dtype=str), [r[2] for r in rows]
        titles = [r[1] for r in rows]
    else:
        frame = _read(path, sep=",")
        for col in ("movieId", "genres"):
            if col not in frame.columns:
                raise ValueError(f"{path}: no column {col!r}{suggest(col, frame.columns)}")
        ids, cells = frame["movieId"], frame["genres"].tolist()
        titles = frame["title"].tolist() if "title" in frame.columns else [""] * len(frame)
    genres = [tuple(g for g in dict.fromkeys(c.split("|")) if g and g != NO_GENRE) for c in cells]
    return ids, genres, titles


def load_movielens(
    path: str, variant: str = "auto", rating_thresholds: Mapping[str, float] | None = None, dedup: str = "exact",
    min_user_count: int = 0, min_item_count: int = 0, max_tags: int = 16,
    price_model: Mapping[str, float] | None = None, cache: bool = True, cache_dir: str | None = None,
) -> Interactions:
    """Load MovieLens from GroupLens' raw files; the category is a movie's first genre, its tags all its genres.

    MovieLens has no prices, so they are drawn from `price_model` (prices_simulated=True). An item's text
    (`Interactions.item_text`) is its title and genres, e.g. "Toy Story (1995); Animation, Children's, Comedy".

    Args:
        path: folder of the unpacked archive (e.g. ml-100k/ holding u.data and u.item).
        variant: '100k', '1m' (also 10M), 'latest-small' (also 20M, 25M, latest), or 'auto' to detect it by
            the ratings file present.
        rating_thresholds: behaviour -> minimum rating (default: click >= 0, purchase >= 4).

    Remaining arguments are described in conf/data/movielens.yaml and `build_interactions`.
    """
    check_options(dedup, min_user_count, min_item_count, max_tags)
    # resolved defaults (and refused bad values) up front, so equal settings share a cache entry
    price_model, rating_thresholds = price_model_args(price_model), resolve_thresholds(rating_thresholds)
    folder = Path(path).expanduser()
    if variant != "auto" and variant not in VARIANTS:
        known = ", ".join(VARIANTS)
        raise ValueError(f"data.variant must be auto or one of {known}, got {variant!r}{suggest(str(variant), VARIANTS)}")
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder}: no such folder (data.path)")
    variant = detect_variant(folder) if variant == "auto" else variant
    ratings_path, movies_path = (folder / f for f in VARIANTS[variant])
    args = {"path": str(folder.resolve()), "variant": variant, "rating_thresholds": rating_thresholds, "dedup": dedup,
            "min_user_count": min_user_count, "min_item_count": min_item_count, "max_tags": max_tags,
            "price_model": price_model}

    def build() -> tuple[Interactions, dict[str, int]]:
        frame, source = _ratings(ratings_path, variant), str(ratings_path)
        codes, keep = map_behaviour(frame["rating"], len(frame), source, "rating", event_map=None,
                                    rating_thresholds=rating_thresholds, drop_unmapped=False, default_behaviour="click")
        log = RawLog(parse_tokens(frame["user"], source, "user"), parse_tokens(frame["item"], source, "item"), codes,
                     parse_timestamp(frame["timestamp"], source, "timestamp"))
        ids, genres, titles = _movies(movies_path, variant)
        items = ItemTable(str(movies_path), parse_tokens(ids, str(movies_path), "movie id"),
                          np.array([g[0] if g else "" for g in genres], dtype=object), genres,
                          text=[movie_text(t, g) for t, g in zip(titles, genres)])
        return build_interactions(
            f"ml-{variant}", log, items, source=source, keep=keep, dedup=dedup, min_user_count=min_user_count,
            min_item_count=min_item_count, max_tags=max_tags, price_model=price_model,
        )

    missing = [p for p in (ratings_path, movies_path) if not p.is_file()]
    if missing:
        raise FileNotFoundError(f"{missing[0]}: no such file (MovieLens {variant}; check data.path and data.variant)")
    return cached("movielens", args, [ratings_path, movies_path], build, cache=cache, cache_dir=cache_dir)
