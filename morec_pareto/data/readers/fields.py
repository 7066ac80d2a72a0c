"""Column lookup and typed parsing of raw columns, with one-line errors that name the file, column and key."""
from __future__ import annotations

import difflib
import warnings
from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

from morec_pareto.types import BEHAVIOURS

DEDUP_MODES = ("exact", "user_item_behaviour", "none")
# Default rating mapping: any rating >= 0 is a click, >= 4 (of 5) a purchase-like strong signal.
RATING_THRESHOLDS: dict[str, float] = {"click": 0.0, "purchase": 4.0}


def suggest(name: str, choices: Iterable[str], listing: bool = True) -> str:
    """'; did you mean ...' with difflib's close matches, else (if `listing`) the first 12 available names."""
    choices = [str(c) for c in choices]
    close = difflib.get_close_matches(str(name), choices, n=3, cutoff=0.6)
    if close:
        return "; did you mean " + " or ".join(repr(c) for c in close) + "?"
    if not listing:
        return ""
    shown = ", ".join(repr(c) for c in sorted(choices)[:12])
    return f"; available: {shown}{', ...' if len(choices) > 12 else ''}" if choices else ""


def require_column(columns: Iterable[str], name: str, source: str, key: str) -> str:
    """Return `name` if it is one of `columns`, else raise a ValueError naming file, column and config key."""
    columns = list(columns)
    if name not in columns:
        raise ValueError(f"{source}: no column {name!r} (set by {key}){suggest(name, columns)}")
    return name


def _first_bad(mask: np.ndarray, values: pd.Series) -> str:
    i = int(np.flatnonzero(mask)[0])
    return f"data row {i + 1}: {values.iloc[i]!r}"


def parse_float(values: pd.Series, source: str, column: str) -> np.ndarray:
    """Finite float64 values of a column, or a ValueError pointing at the first non-numeric / NaN / inf cell."""
    if pd.api.types.is_bool_dtype(values.dtype):
        values = values.astype(np.int8)
    num = pd.to_numeric(values, errors="coerce")
    out = np.asarray(num, dtype=np.float64)
    bad = ~np.isfinite(out)
    if bad.any():
        raise ValueError(f"{source}: column {column!r} {_first_bad(bad, values)} is not a finite number")
    return out


def parse_timestamp(values: pd.Series, source: str, column: str) -> np.ndarray:
    """Seconds as float64 from numbers, datetimes or date strings (ISO 8601 and the like, read as UTC)."""
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        stamps = values
    else:
        if pd.api.types.is_bool_dtype(values.dtype):
            values = values.astype(np.int8)
        num = np.asarray(pd.to_numeric(values, errors="coerce"), dtype=np.float64)
        if np.isfinite(num).any() or pd.api.types.is_numeric_dtype(values.dtype):  # numbers, with bad cells
            bad = ~np.isfinite(num)
            if bad.any():
                raise ValueError(f"{source}: column {column!r} {_first_bad(bad, values)} is not a finite timestamp")
            return num
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                stamps = pd.to_datetime(values.astype(str), utc=True, errors="coerce", format="mixed")
        except (ValueError, TypeError, OverflowError):
            stamps = pd.Series(pd.NaT, index=values.index)
    stamps = pd.Series(stamps)
    if stamps.dt.tz is None:
        stamps = stamps.dt.tz_localize("UTC")
    bad = np.asarray(stamps.isna())
    if bad.any():
        raise ValueError(f"{source}: column {column!r} {_first_bad(bad, values)} is neither a number nor a date")
    return np.asarray((stamps - pd.Timestamp(0, tz="UTC")) / pd.Timedelta(seconds=1), dtype=np.float64)


def parse_tokens(values: pd.Series, source: str, column: str) -> np.ndarray:
    """Non-empty string ids (object array); a missing or empty id is an error."""
    if values.isna().any():
        raise ValueError(f"{source}: column {column!r} {_first_bad(np.asarray(values.isna()), values)} is missing")
    out = np.asarray(values.astype(str).str.strip(), dtype=object)
    bad = out == ""
    if bad.any():
        raise ValueError(f"{source}: column {column!r} {_first_bad(bad, values)} is an empty id")
    return out


def split_tokens(values: pd.Series, sep: str | None) -> list[tuple[str, ...]]:
    """Each cell's distinct non-empty tokens, in order (`sep=None` splits on whitespace; list cells are kept)."""
    out: list[tuple[str, ...]] = []
    for cell in values.tolist():
        if cell is None or (isinstance(cell, float) and np.isnan(cell)):
            out.append(())
            continue
        if isinstance(cell, (list, tuple, np.ndarray)):  # a list column (Parquet) holds the tokens already
            tokens = [str(t).strip() for t in cell]
        else:
            tokens = [t.strip() for t in str(cell).split(sep)]
        out.append(tuple(dict.fromkeys(t for t in tokens if t)))
    return out


def _behaviour_code(name: object, key: str) -> int:
    if name not in BEHAVIOURS:
        expected = ", ".join(BEHAVIOURS)
        raise ValueError(f"{key}: unknown behaviour {name!r}, expected one of {expected}{suggest(str(name), BEHAVIOURS, False)}")
    return BEHAVIOURS.index(str(name))


def resolve_thresholds(rating_thresholds: Mapping | None) -> dict[str, float]:
    """Behaviour -> minimum rating as plain floats (RATING_THRESHOLDS when None); bad entries name their key."""
    out = {}
    for b, t in (rating_thresholds or RATING_THRESHOLDS).items():
        _behaviour_code(b, f"data.rating_thresholds.{b}")
        if isinstance(t, bool) or not isinstance(t, (int, float, np.integer, np.floating)) or np.isnan(t):
            raise ValueError(f"data.rating_thresholds.{b} must be a number, got {t!r}")
        out[str(b)] = float(t)
    return out


def map_behaviour(
    values: pd.Series | None, n: int, source: str, column: str | None, *, event_map: Mapping | None,
    rating_thresholds: Mapping | None, drop_unmapped: bool, default_behaviour: str,
) -> tuple[np.ndarray, np.ndarray]:
    """Behaviour codes and a keep mask for every event.

    With `event_map` the column holds event-type strings mapped to behaviour names; otherwise it holds
    numbers (ratings) and each event gets the deepest behaviour whose threshold in `rating_thresholds`
    (default RATING_THRESHOLDS) it reaches, events below every threshold being dropped. Without a column,
    every event is `default_behaviour`.
    Returns (codes (E,) int8, keep (E,) bool).
    """
    if values is None:
        return np.full(n, _behaviour_code(default_behaviour, "data.default_behaviour"), np.int8), np.ones(n, bool)
    assert column is not None, "a behaviour column's values come with its name"
    if event_map:
        lookup = {str(k): _behaviour_code(v, f"data.event_map.{k}") for k, v in event_map.items()}
        events = values.astype(str).str.strip()
        codes = events.map(lookup)
        known = np.asarray(codes.notna())
        if not known.all() and not drop_unmapped:
            unknown = list(dict.fromkeys(events[~known].tolist()))
            raise ValueError(
                f"{source}: column {column!r} has event types not in data.event_map: "
                f"{', '.join(repr(u) for u in unknown[:5])}{' ...' if len(unknown) > 5 else ''}"
                f"{suggest(unknown[0], lookup)} (or set data.drop_unmapped=true)"
            )
        return np.asarray(codes.fillna(0), dtype=np.int8), known
    rules = sorted((t, BEHAVIOURS.index(b)) for b, t in resolve_thresholds(rating_thresholds).items())
    ratings = parse_float(values, source, column)
    codes = np.zeros(n, np.int8)
    keep = np.zeros(n, bool)
    for threshold, code in rules:  # ascending thresholds: a higher one overrides a lower one
        hit = ratings >= threshold
        codes[hit] = np.maximum(codes[hit], code)
        keep |= hit
    return codes, keep


def check_options(dedup: str, min_user_count: int, min_item_count: int, max_tags: int) -> None:
    """Validate the preprocessing keys shared by all readers."""
    if dedup not in DEDUP_MODES:
        modes = ", ".join(DEDUP_MODES)
        raise ValueError(f"data.dedup must be one of {modes}, got {dedup!r}{suggest(str(dedup), DEDUP_MODES)}")
    counts = (("min_user_count", min_user_count, 0), ("min_item_count", min_item_count, 0), ("max_tags", max_tags, 1))
    for key, value, low in counts:
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
            raise ValueError(f"data.{key} must be an integer >= {low}, got {value!r}")
