"""Readers on bad input (one-line errors naming file, column or key; no cache entry) and the on-disk cache."""
from __future__ import annotations

import os
from pathlib import Path

import pytest
from test_readers_helpers import assert_same, write_lines, write_toy_recbole

from morec_pareto.data.readers import load_movielens, load_recbole, load_table
from morec_pareto.data.readers import recbole as recbole_module
from morec_pareto.data.readers import tables as tables_module


def _fails(exc: type[Exception], pattern: str, cache_dir: Path, call) -> str:
    """Run `call`, expect `exc` matching `pattern` with a one-line message, and no cache entry written."""
    with pytest.raises(exc, match=pattern) as info:
        call()
    message = str(info.value)
    assert "\n" not in message, message
    assert not cache_dir.exists() or not any(cache_dir.iterdir())
    return message


def _edit(path: Path, old: str, new: str) -> None:
    path.write_text(path.read_text().replace(old, new))


@pytest.fixture()
def toy(tmp_path) -> Path:
    return write_toy_recbole(tmp_path / "toy")


def test_missing_files_name_the_file(toy, tmp_path):
    cache = tmp_path / "cache"
    _fails(FileNotFoundError, r"nope\.inter", cache, lambda: load_recbole(toy, "nope", cache_dir=cache))
    (toy / "toy.item").unlink()
    _fails(FileNotFoundError, r"toy\.item.*data\.category_field", cache, lambda: load_recbole(toy, "toy", cache_dir=cache))
    _fails(FileNotFoundError, r"missing\.csv", cache, lambda: load_table(tmp_path / "missing.csv", cache_dir=cache))
    _fails(FileNotFoundError, r"ratings\.dat", cache, lambda: load_movielens(toy, cache_dir=cache))
    (toy / "ratings.dat").write_text("1::1::5::1\n")
    _fails(FileNotFoundError, r"movies\.dat", cache, lambda: load_movielens(toy, cache_dir=cache))


def test_misspelled_columns_suggest_close_matches(toy, tmp_path):
    cache = tmp_path / "cache"
    msg = _fails(ValueError, r"toy\.inter.*'ratng'.*data\.behaviour_field.*did you mean 'rating'", cache,
                 lambda: load_recbole(toy, "toy", behaviour_field="ratng", cache_dir=cache))
    assert msg.count("'rating'") == 1
    _fails(ValueError, r"toy\.item.*'clas'.*did you mean 'class'", cache,
           lambda: load_recbole(toy, "toy", tag_field="clas", cache_dir=cache))
    path = write_lines(tmp_path / "log.csv", ["user_id,item_id,timestamp", "1,2,3"])
    _fails(ValueError, r"log\.csv.*'user'.*data\.columns.*did you mean 'user_id'", cache,
           lambda: load_table(path, columns={"user": "user"}, cache_dir=cache))
    _fails(ValueError, r"data\.columns\.usr is not a column role; did you mean 'user'", cache,
           lambda: load_table(path, columns={"usr": "user_id"}, cache_dir=cache))
    _fails(ValueError, r"data\.columns\.category is set with data\.items_path", cache,
           lambda: load_table(path, columns={"category": "c"}, items_path=str(path), cache_dir=cache))


@pytest.mark.parametrize("price, pattern", [("abc", "not a finite number"), ("nan", "not a finite number"),
                                            ("", "not a finite number"), ("-2", "not > 0"), ("0", "not > 0")])
def test_bad_prices_name_file_and_column(toy, tmp_path, price, pattern):
    _edit(toy / "toy.item", "b\tB\tAction\t3", f"b\tB\tAction\t{price}")
    _fails(ValueError, rf"toy\.item: column 'price' data row 2: .*{pattern}", tmp_path / "cache",
           lambda: load_recbole(toy, "toy", price_field="price", cache_dir=tmp_path / "cache"))


def test_unknown_header_type_and_bad_cells(toy, tmp_path):
    cache = tmp_path / "cache"
    _edit(toy / "toy.inter", "rating:float", "rating:flaot")
    _fails(ValueError, r"toy\.inter: column 'rating' has unknown type 'flaot'.*did you mean 'float'", cache,
           lambda: load_recbole(toy, "toy", cache_dir=cache))
    _edit(toy / "toy.inter", "rating:flaot", "rating")
    _fails(ValueError, r"toy\.inter: header column 'rating' is not 'name:type'", cache,
           lambda: load_recbole(toy, "toy", cache_dir=cache))
    _edit(toy / "toy.inter", "rating\t", "rating:float\t")
    _edit(toy / "toy.inter", "u2\ta\t4\t7", "u2\ta\tfour\t7")
    _fails(ValueError, r"toy\.inter: column 'rating' data row 3: 'four' is not a finite number", cache,
           lambda: load_recbole(toy, "toy", cache_dir=cache))
    _edit(toy / "toy.inter", "u2\ta\tfour\t7", "u2\ta\t4\tyesterday")
    _fails(ValueError, r"toy\.inter: column 'timestamp' data row 3", cache, lambda: load_recbole(toy, "toy", cache_dir=cache))
    (toy / "toy.inter").write_text("")
    _fails(ValueError, r"toy\.inter: empty file", cache, lambda: load_recbole(toy, "toy", cache_dir=cache))


def test_bad_config_values_name_the_key(toy, tmp_path):
    cache = tmp_path / "cache"
    cases = [
        (dict(dedup="exactly"), r"data\.dedup.*did you mean 'exact'"),
        (dict(min_user_count=-1), r"data\.min_user_count"),
        (dict(rating_thresholds={"purchse": 4.0}), r"data\.rating_thresholds\.purchse.*did you mean 'purchase'"),
        (dict(rating_thresholds={"buy": 4.0}), r"unknown behaviour 'buy', expected one of view, click, cart, purchase$"),
        (dict(rating_thresholds={"click": "high"}), r"data\.rating_thresholds\.click must be a number"),
        (dict(price_model={"medain": 3.0}), r"data\.price_model\.medain.*did you mean 'median'"),
        (dict(price_model={"median": -3.0}), r"data\.price_model\.median must be > 0"),
    ]
    for kwargs, pattern in cases:
        _fails(ValueError, pattern, cache, lambda kw=kwargs: load_recbole(toy, "toy", cache_dir=cache, **kw))
    _fails(ValueError, r"data\.variant", cache, lambda: load_movielens(toy, variant="10k", cache_dir=cache))


def test_unmapped_events_and_empty_results(tmp_path):
    cache = tmp_path / "cache"
    path = write_lines(tmp_path / "log.csv", ["user_id,item_id,timestamp,kind"] + [f"1,{i},{i},view" for i in range(3)]
                       + ["1,9,9,wishlist"])
    kwargs = dict(columns={"behaviour": "kind"}, event_map={"view": "view"}, cache_dir=cache)
    _fails(ValueError, r"log\.csv: column 'kind' has event types not in data\.event_map: 'wishlist'", cache,
           lambda: load_table(path, **kwargs))
    assert load_table(path, drop_unmapped=True, **kwargs).n_events == 3
    for entry in cache.iterdir():
        entry.unlink()
    short = write_lines(tmp_path / "short.csv", ["user_id,item_id,timestamp", "1,1,1", "1,2,2", "2,1,1"])
    _fails(ValueError, r"short\.csv: no events left after filtering", cache, lambda: load_table(short, cache_dir=cache))
    header_only = write_lines(tmp_path / "header.csv", ["user_id,item_id,timestamp"])
    _fails(ValueError, r"header\.csv: no events left", cache, lambda: load_table(header_only, cache_dir=cache))


def test_second_load_comes_from_the_cache(toy, tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    first = load_recbole(toy, "toy", cache_dir=cache)
    entries = list(cache.glob("*.npz"))
    assert len(entries) == 1 and not list(cache.glob(".*"))  # no temporary file left behind

    def refuse(*args, **kwargs):
        raise AssertionError("the cache should have been used")

    monkeypatch.setattr(recbole_module, "read_atomic", refuse)
    assert_same(first, load_recbole(toy, "toy", cache_dir=cache))
    same = dict(rating_thresholds={"purchase": 4, "click": 0}, price_model={"seed": 0})  # the defaults, spelled out
    assert_same(first, load_recbole(toy, "toy", cache_dir=cache, **same))
    with pytest.raises(AssertionError, match="cache should"):  # other settings: another entry, so a re-read
        load_recbole(toy, "toy", cache_dir=cache, min_item_count=1)
    stat = (toy / "toy.inter").stat()
    os.utime(toy / "toy.inter", ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    with pytest.raises(AssertionError, match="cache should"):  # a changed source file: a re-read
        load_recbole(toy, "toy", cache_dir=cache)
    with pytest.raises(AssertionError, match="cache should"):  # cache disabled: always read
        load_recbole(toy, "toy", cache=False)


def test_table_cache_and_corrupt_entries(tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    path = write_lines(tmp_path / "log.csv", ["user_id,item_id,timestamp"] + [f"{u},{i},{i}" for u in range(2) for i in range(3)])
    first = load_table(path, cache_dir=cache)
    (entry,) = cache.glob("*.npz")
    entry.write_bytes(b"not a zip")  # a damaged entry is rebuilt, not trusted
    assert_same(first, load_table(path, cache_dir=cache))
    monkeypatch.setattr(tables_module, "read_table", lambda *a, **k: (_ for _ in ()).throw(AssertionError("re-read")))
    assert_same(first, load_table(path, cache_dir=cache))
