"""The `debug=tiny` main job through the CLI: every output, valid and consistent."""
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import run_cli

from morec_pareto.report.indicators import hypervolume, nondominated_mask

RUN_FILES = [".hydra/config.yaml", "model.pt", "front.csv", "evaluations.csv", "history.csv", "training_history.csv",
             "summary.json", "pareto.png", "pareto.pdf"]


def test_every_output_exists(tiny_run):
    for name in RUN_FILES:
        assert (tiny_run / name).is_file(), name
    assert not (tiny_run / "checkpoint.pkl").exists()
    assert (tiny_run / "pareto.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    pdf = (tiny_run / "pareto.pdf").read_bytes()
    assert pdf[:5] == b"%PDF-" and b"%%EOF" in pdf[-64:]


def test_front_is_mutually_nondominated_and_consistent(tiny_run):
    front = pd.read_csv(tiny_run / "front.csv")
    evaluations = pd.read_csv(tiny_run / "evaluations.csv")
    summary = json.loads((tiny_run / "summary.json").read_text())
    assert {"w_satisfaction", "price_exponent", "temperature", "pool_fraction", "satisfaction", "revenue",
            "test_satisfaction", "test_revenue"} <= set(front.columns)
    F = front[["satisfaction", "revenue"]].to_numpy()
    assert nondominated_mask(F).all()
    # the front is exactly the non-dominated set of everything evaluated
    E = evaluations[["satisfaction", "revenue"]].to_numpy()
    assert len(front) == nondominated_mask(E).sum() == summary["n_front"]
    assert len(evaluations) == summary["n_evals"] and evaluations["generation"].min() == 1
    ref = np.array(summary["reference_point"])
    assert (F > ref).all() and (front[["test_satisfaction", "test_revenue"]].to_numpy() > ref).all()
    assert summary["hypervolume"] == pytest.approx(hypervolume(F, ref))


def test_history_hypervolume_never_decreases(tiny_run):
    history = pd.read_csv(tiny_run / "history.csv")
    assert list(history.columns[:4]) == ["generation", "n_evals", "hypervolume", "n_nondominated"]
    assert (np.diff(history["hypervolume"]) >= 0).all()
    assert (np.diff(history["n_evals"]) > 0).all()
    assert (history["seconds"] > 0).all() and (np.diff(history["seconds"]) >= 0).all()  # search seconds so far


def test_training_history_has_one_row_per_epoch(tiny_run):
    training = json.loads((tiny_run / "summary.json").read_text())["training"]
    history = pd.read_csv(tiny_run / "training_history.csv")
    assert list(history["epoch"]) == list(range(training["epochs_run"]))
    assert history.loc[training["best_epoch"], "valid_ndcg@10"] == pytest.approx(training["best_valid_ndcg@10"])
    assert "valid_hv" not in history  # only with train.selection=hypervolume
    assert {"loss_satisfaction", "loss_revenue"} <= set(history.columns)


def test_summary_keys(tiny_run):
    summary = json.loads((tiny_run / "summary.json").read_text())
    for key in ("strategy", "seed", "data", "reference_point", "hypervolume", "test_hypervolume", "n_front",
                "n_evals", "runtime_s", "accuracy"):
        assert key in summary, key
    assert summary["strategy"] == "weighted" and summary["data"] == "synthetic-tiny"
    for key in ("ndcg@10", "recall@10", "mrr@10"):
        assert 0.0 <= summary["accuracy"][key] <= 1.0
    assert summary["test_hypervolume"] > 0
    assert summary["train_epochs"] == summary["training"]["epochs_run"] > 0
    assert "attribute_gate" in summary["training"] and "repeat_offsets" not in summary["training"]  # off by default


def test_same_seed_gives_the_same_front_and_a_configured_point_is_rescored(tiny_run, tmp_path):
    front = pd.read_csv(tiny_run / "front.csv")
    knee = front.iloc[len(front) // 2]
    names = ("w_satisfaction", "price_exponent", "temperature", "pool_fraction")
    point = [f"+policy_point.{n}={float(knee[n])!r}" for n in names]
    run_cli("debug=tiny", f"hydra.run.dir={tmp_path}", *point)
    assert (tmp_path / "front.csv").read_text() == (tiny_run / "front.csv").read_text()
    operating = json.loads((tmp_path / "summary.json").read_text())["operating_point"]
    assert operating["satisfaction"] == pytest.approx(knee["satisfaction"])
    assert operating["test_revenue"] == pytest.approx(knee["test_revenue"])


def test_multirun_sweeps_strategies(tmp_path):
    run_cli("-m", "debug=tiny", "strategy=non_weighted,grid", "search.n_gen=2", "model.repeat_bias=true",
            f"hydra.sweep.dir={tmp_path}")
    summaries = [json.loads(p.read_text()) for p in sorted(tmp_path.glob("*/summary.json"))]
    assert sorted(s["strategy"] for s in summaries) == ["grid", "non_weighted"]
    assert all(set(s["training"]["repeat_offsets"]) == {"view", "click", "cart", "purchase"} for s in summaries)
    front = pd.read_csv(next(tmp_path.glob("*non_weighted*/front.csv")))
    assert "w_satisfaction" not in front.columns and "price_exponent" in front.columns


def test_bad_override_fails_with_the_key(tmp_path):
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-m", "morec_pareto", "debug=tiny", "data.price_scale=-1",
                           f"hydra.run.dir={tmp_path}"], capture_output=True, text=True)
    assert proc.returncode != 0 and "data.price_scale" in proc.stderr
    assert not (tmp_path / "summary.json").exists()


def test_console_script_finds_the_configs_from_any_folder(tmp_path):
    import subprocess
    import sys

    script = Path(sys.executable).parent / "morec-pareto"
    proc = subprocess.run([str(script), "debug=tiny", "--cfg", "job"], cwd=tmp_path, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "strategy:" in proc.stdout and "name: weighted" in proc.stdout
