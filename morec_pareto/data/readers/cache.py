"""On-disk cache of preprocessed interactions, keyed by the reader's arguments and its source files."""
from __future__ import annotations

import hashlib
import json
import logging
import os
import zipfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from morec_pareto.io import atomic_path
from morec_pareto.types import Interactions

log = logging.getLogger(__name__)

CACHE_VERSION = 2  # bump when preprocessing changes, so older entries are not reused (2: item texts)
_ARRAYS = ("user", "item", "behaviour", "timestamp", "item_category", "item_tags", "item_price")
_SCALARS = ("name", "n_users", "n_items", "n_categories", "n_tags", "prices_simulated")


def default_cache_dir() -> Path:
    """$XDG_CACHE_HOME/morec_pareto, i.e. ~/.cache/morec_pareto by default."""
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "morec_pareto"


def plain(obj: Any) -> Any:
    """Config values as plain JSON types (DictConfig / ListConfig become dict / list)."""
    if isinstance(obj, Mapping):
        return {str(k): plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)) or (isinstance(obj, Sequence) and not isinstance(obj, (str, bytes))):
        return [plain(v) for v in obj]
    if isinstance(obj, Path):
        return str(obj)
    if isinstance(obj, np.generic):
        return obj.item()
    return obj


def cache_key(reader: str, args: Mapping[str, Any], files: Sequence[Path]) -> str:
    """Hash of the reader, its resolved arguments and each source file's path, size and modification time."""
    stamps = []
    for f in files:
        st = Path(f).stat()
        stamps.append([str(Path(f).resolve()), st.st_size, st.st_mtime_ns])
    payload = {"version": CACHE_VERSION, "reader": reader, "args": plain(args), "files": stamps}
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()[:24]


def _save(data: Interactions, stats: dict[str, int], path: Path) -> None:
    meta = {k: getattr(data, k) for k in _SCALARS} | {"stats": stats}
    arrays = {k: getattr(data, k) for k in _ARRAYS}
    if data.item_text is not None:  # a unicode array: loads without pickle
        arrays["item_text"] = np.array(data.item_text, dtype=str).reshape(-1)
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as fh:  # a file handle, so numpy does not append its own .npz suffix
            np.savez(fh, meta=np.array(json.dumps(meta)), **arrays)


def _load(path: Path) -> tuple[Interactions, dict[str, int]] | None:
    try:
        with np.load(path, allow_pickle=False) as z:
            meta = json.loads(str(z["meta"]))
            arrays = {k: z[k] for k in _ARRAYS}
            text = tuple(str(t) for t in z["item_text"]) if "item_text" in z.files else None
    except (OSError, ValueError, KeyError, zipfile.BadZipFile, json.JSONDecodeError) as err:
        log.warning("ignoring unreadable cache entry %s (%s)", path, err)
        return None
    stats = meta.pop("stats")
    return Interactions(**arrays, **meta, item_text=text), stats


def cached(
    reader: str, args: Mapping[str, Any], files: Sequence[Path], build: Callable[[], tuple[Interactions, dict[str, int]]],
    *, cache: bool = True, cache_dir: str | Path | None = None,
) -> Interactions:
    """Load the interactions of (`reader`, `args`, `files`) from the cache, or `build` them and store them.

    The entry is written atomically and only after `build` succeeds, so bad input leaves no cache entry.

    Args:
        reader: the reader's name, part of the key.
        args: the reader's resolved arguments (everything that changes the result).
        files: the source files read by `build`.
        build: reads and preprocesses the data; returns (interactions, counts per step).
        cache: False to always build and never write.
        cache_dir: where entries live; None for `default_cache_dir()`.
    """
    if not cache:
        data, stats = build()
        log.info("data %s: %s", data.name, stats)
        return data
    directory = Path(cache_dir).expanduser() if cache_dir else default_cache_dir()
    path = directory / f"{reader}-{cache_key(reader, args, files)}.npz"
    hit = _load(path) if path.is_file() else None
    if hit is not None:
        data, stats = hit
        log.info("data %s from cache %s: %s", data.name, path, stats)
        return data
    data, stats = build()
    _save(data, stats, path)
    log.info("data %s: %s (cached in %s)", data.name, stats, path)
    return data
