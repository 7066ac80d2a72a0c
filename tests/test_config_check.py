"""Bad configs are rejected before any work, with one line naming the key and what is allowed."""
import subprocess
import sys

import pytest
from conftest import ROOT
from hydra import compose, initialize_config_dir

from morec_pareto.__main__ import CONF_DIR
from morec_pareto.config_check import check_config

BAD = [  # (override, the message must contain)
    ("train.lr=-1", "train.lr=-1 is out of range; it must be > 0"),
    ("train.epochs=0", "train.epochs=0 is out of range; it must be >= 1"),
    ("+train.epoch=5", "unknown key train.epoch; allowed: batch_size"),
    ("train.batch_size=abc", "train.batch_size='abc' has the wrong type; expected int"),
    ("train.patience=-2", "train.patience=-2 is out of range"),
    ("train.precision=fp16", "train.precision='fp16' is not allowed; choose one of ['fp32', 'bf16']"),
    ("train.lr_schedule=linear", "train.lr_schedule='linear' is not allowed"),
    ("model.dropout=1.5", "model.dropout=1.5 is out of range; it must be >= 0 and <= 1"),
    ("model.scorer=cnn", "model.scorer='cnn' is not allowed; choose one of ['mlp', 'dot']"),
    ("model.mlp_hidden=5", "model.mlp_hidden=5 has the wrong type"),
    ("+model.hidden=5", "unknown key model.hidden"),
    ("model.d_model=0", "model.d_model=0 is out of range"),
    ("objectives.k=0", "objectives.k=0 is out of range; it must be >= 1"),
    ("objectives.repeat_threshold=2", "objectives.repeat_threshold=2 is out of range; it must be >= 0 and <= 1"),
    ("objectives.max_users=0", "objectives.max_users=0 is out of range"),
    ("+objectives.kk=3", "unknown key objectives.kk"),
    ("search.pop_size=0", "search.pop_size=0 is out of range; it must be >= 1"),
    ("search.n_gen=-1", "search.n_gen=-1 is out of range"),
    ("+search.generations=5", "unknown key search.generations; allowed: checkpoint, n_gen, pop_size, prune"),
    ("+loss.n_level=3", "unknown key loss.n_level; allowed: n_levels"),
    ("+data.sizee=tiny", "unknown key data.sizee; allowed:"),
    ("data.seed=x", "data.seed='x' has the wrong type; expected int"),
    ("seed=-1", "seed=-1 is out of range; it must be >= 0"),
    ("threads=0", "threads=0 is out of range; it must be >= 1"),
    ("progress=maybe", "progress='maybe' has the wrong type; expected bool"),
    ("+colour=red", "unknown key colour; allowed: device"),
]


def _compose(*overrides: str):
    with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
        return compose("config", overrides=list(overrides))


@pytest.mark.parametrize("override, message", BAD, ids=[o for o, _ in BAD])
def test_bad_config_values_are_one_line_errors_naming_the_key(override, message):
    with pytest.raises(ValueError) as info:
        check_config(_compose("debug=tiny", override))
    assert message in str(info.value) and "\n" not in str(info.value)


@pytest.mark.parametrize("overrides", [["debug=tiny"], ["strategy=train_weights_full"], ["experiment=large"],
                                       ["objectives=kl"], ["model=sasrec"], ["data=movielens", "data.path=x"]])
def test_every_shipped_config_passes(overrides):
    check_config(_compose(*overrides))


def test_the_cli_stops_before_reading_data_and_writes_no_results(tmp_path):
    run = tmp_path / "run"
    done = subprocess.run([sys.executable, "-m", "morec_pareto", "debug=tiny", "train.lr=-1", "data=recbole",
                           f"data.path={tmp_path / 'no_such_data'}", f"hydra.run.dir={run}"], cwd=ROOT,
                          capture_output=True, text=True)
    assert done.returncode != 0
    assert "train.lr=-1 is out of range" in done.stderr
    assert "no such" not in done.stderr.lower()  # the reader never ran: the data folder does not exist
    assert not (run / "front.csv").exists() and not (run / "summary.json").exists()


def test_a_bad_value_in_any_job_stops_the_whole_sweep_before_it_starts(tmp_path):
    sweep = tmp_path / "sweep"
    done = subprocess.run([sys.executable, "-m", "morec_pareto", "-m", "debug=tiny", "train.lr=0.002,-1",
                           f"hydra.sweep.dir={sweep}"], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode != 0
    last = done.stderr.strip().splitlines()[-1]
    assert last == ("config: train.lr=-1 is out of range; it must be > 0 (job: debug=tiny train.lr=-1); "
                    "no job of this sweep was started")
    assert not sweep.exists()  # not even the good job ran


GOOD_ROWS = [f"u{u},i{(u + t) % 6},{t}" for u in range(6) for t in range(5)]  # 6 users x 5 events, 6 items
BAD_FILES = [  # (file contents as bytes, extra overrides, the message must contain)
    (b"", [], "empty"),
    (b"user_id,item_id,timestamp\n", [], "no events left"),
    (("user_id,item,timestamp\n" + "\n".join(GOOD_ROWS)).encode(), [], "'item_id'"),  # a missing column
    (("user_id,item_id,timestamp\n" + "\n".join(r.rsplit(",", 1)[0] + ",noon" for r in GOOD_ROWS)).encode(), [],
     "timestamp"),  # non-numeric, non-date timestamps
    (("user_id,item_id,timestamp,price\n" + "\n".join(r + ",-3" for r in GOOD_ROWS)).encode(), ["data.columns.price=price"],
     "price"),  # negative prices
    (("user_id,item_id,timestamp\n" + "\n".join(f"u{u},i{u},1" for u in range(6))).encode(), [], "no events left"),
    (("user_id,item_id,item_id,timestamp\n" + "\n".join(r.replace(",", ",x,", 1) for r in GOOD_ROWS)).encode(), [],
     "item_id"),  # a duplicate header
    (b"user_id,item_id,timestamp\n\xff\xfe\x00bad,\x81,1\n", [], "log.csv"),  # not UTF-8
]


@pytest.mark.parametrize("content, extra, message", BAD_FILES,
                         ids=["empty", "header_only", "missing_column", "bad_timestamps", "negative_prices",
                              "users_under_3_events", "duplicate_header", "bad_encoding"])
def test_bad_data_files_are_one_line_errors_and_leave_no_results(tmp_path, content, extra, message):
    from morec_pareto.pipeline import run

    path = tmp_path / "log.csv"
    path.write_bytes(content)
    cfg = _compose("debug=tiny", "data=table", f"data.path={path}", f"+data.cache_dir={tmp_path / 'cache'}", *extra)
    run_dir = tmp_path / "run"
    with pytest.raises((ValueError, FileNotFoundError, UnicodeDecodeError)) as info:
        run(cfg, run_dir)
    text = str(info.value)
    assert message in text and "\n" not in text.strip(), text
    assert not (run_dir / "front.csv").exists() and not (run_dir / "summary.json").exists()
    assert not any(p.suffix == ".tmp" for p in tmp_path.rglob("*"))  # nothing half-written
