"""Shared checks for the reader tests (no tests here): the Interactions invariants and toy-file writers."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from morec_pareto.data.split import leave_one_out
from morec_pareto.types import PURCHASE, VIEW, Interactions


def check_invariants(data: Interactions) -> None:
    """Everything the pipeline relies on: contiguous ids, valid codes and attributes, >= 3 events per user."""
    assert data.n_events > 0 and data.truth is None
    assert data.user.dtype == np.int64 and data.item.dtype == np.int64 and data.behaviour.dtype == np.int8
    assert data.timestamp.dtype == np.float64 and np.isfinite(data.timestamp).all()
    assert np.array_equal(np.unique(data.user), np.arange(data.n_users))
    assert np.array_equal(np.unique(data.item), np.arange(data.n_items))
    assert ((data.behaviour >= VIEW) & (data.behaviour <= PURCHASE)).all()
    assert data.n_categories >= 1 and data.n_tags >= 1
    assert data.item_category.shape == (data.n_items,) and data.item_category.dtype == np.int64
    assert ((data.item_category >= 0) & (data.item_category < data.n_categories)).all()
    assert data.item_tags.ndim == 2 and data.item_tags.shape[0] == data.n_items and data.item_tags.shape[1] >= 1
    assert ((data.item_tags >= 0) & (data.item_tags <= data.n_tags)).all()
    assert data.item_price.dtype == np.float64 and np.isfinite(data.item_price).all() and (data.item_price > 0).all()
    assert np.bincount(data.user, minlength=data.n_users).min() >= 3
    leave_one_out(data)


def assert_same(a: Interactions, b: Interactions) -> None:
    """Field-by-field equality of two Interactions (arrays compared by value and dtype)."""
    for name in a.__dataclass_fields__:
        if name == "truth":
            continue
        x, y = getattr(a, name), getattr(b, name)
        if isinstance(x, np.ndarray):
            assert x.dtype == y.dtype and np.array_equal(x, y), name
        else:
            assert x == y, name


def write_lines(path: Path, lines: list[str]) -> Path:
    """Write `lines` joined by newlines (with a final newline)."""
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def write_toy_recbole(folder: Path, name: str = "toy") -> Path:
    """Atomic files with a duplicate, timestamp ties, a short user and an item without class.

    Expected after preprocessing: users u1 -> 0, u2 -> 1 (u3 dropped: 2 events); items a -> 0, b -> 1,
    c -> 2; u1 sees b(t=5), a(10), c(10); u2 sees b(1), a(7), c(7).
    """
    folder.mkdir(parents=True, exist_ok=True)
    rows = [("u1", "a", "5", "10"), ("u1", "b", "3", "5"), ("u2", "a", "4", "7"), ("u1", "c", "1", "10"),
            ("u2", "b", "2", "1"), ("u2", "c", "5", "7"), ("u1", "a", "5", "10"), ("u3", "a", "3", "1"),
            ("u3", "b", "3", "2")]
    write_lines(folder / f"{name}.inter", ["user_id:token\titem_id:token\trating:float\ttimestamp:float"]
                + ["\t".join(r) for r in rows])
    write_lines(folder / f"{name}.item", ["item_id:token\ttitle:token_seq\tclass:token_seq\tprice:float",
                                          "a\tThe A\tDrama Comedy\t10.5", "b\tB\tAction\t3", "c\tC\t\t7",
                                          "d\tD\tHorror\t1"])
    write_lines(folder / f"{name}.user", ["user_id:token\tage:token", "u1\t20", "u2\t30", "u3\t40"])
    return folder
