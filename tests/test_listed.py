"""`objectives.listed`: the same values as numpy's take_along_axis, for every array the objectives see."""
import numpy as np
import pytest

from morec_pareto.objectives.listed import listed


def _reference(values: np.ndarray, lists: np.ndarray) -> np.ndarray:
    return np.take_along_axis(values[None], np.asarray(lists, dtype=np.int64), axis=2)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_listed_equals_take_along_axis(dtype):
    rng = np.random.default_rng(0)
    values = rng.random((7, 13)).astype(dtype)
    lists = rng.integers(0, 13, (5, 7, 4))
    got = listed(values, lists)
    assert got.dtype == values.dtype
    np.testing.assert_array_equal(got, _reference(values, lists))


def test_listed_on_views_read_only_and_int32_lists():
    rng = np.random.default_rng(1)
    base = rng.random((6, 20)).astype(np.float32)
    lists = rng.integers(0, 10, (3, 4, 5)).astype(np.int32)
    for values in (base[1:5, :10], base[1:5, ::2], base[::-1][:4, :10]):  # row slice, strided, negative stride
        np.testing.assert_array_equal(listed(values, lists), _reference(values, lists))
    frozen = base[:4, :10].copy()
    frozen.flags.writeable = False
    np.testing.assert_array_equal(listed(frozen, lists), _reference(frozen, lists))


def test_listed_rejects_bad_lists():
    values = np.zeros((3, 4), np.float32)
    with pytest.raises(ValueError, match="do not fit"):
        listed(values, np.zeros((2, 5, 1), np.int64))  # 5 users' lists for a 3-user table
    with pytest.raises(RuntimeError):
        listed(values, np.full((1, 3, 2), 4))  # item 4 of a 4-item catalogue
