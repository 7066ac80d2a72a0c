"""Experiment scripts that read run folders: pairing, ratios and refusals, on summaries written here."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "experiments"))

from conditioned_vs_retrain import main, paired_table, ratio_of_means_interval  # noqa: E402
from flagship.headline import headline  # noqa: E402


def _run(folder: Path, strategy: str, seed: int, points: list[tuple[float, float]], epochs: int,
         seconds: float) -> None:
    """A run folder with a summary and a front whose validation and test scores are `points`."""
    folder.mkdir(parents=True)
    (folder / "summary.json").write_text(json.dumps({
        "strategy": strategy, "seed": seed, "data": "synthetic", "objectives": ["oracle_ndcg", "oracle_revenue"],
        "k": 10, "train_epochs": epochs, "train_seconds": seconds, "reference_point": [0.0, 0.0],
        "n_evals": len(points),
    }))
    front = pd.DataFrame(points, columns=["satisfaction", "revenue"])
    front["test_satisfaction"], front["test_revenue"] = front["satisfaction"], front["revenue"]
    front.to_csv(folder / "front.csv", index=False)
    front.assign(generation=1).to_csv(folder / "evaluations.csv", index=False)
    pd.DataFrame({"generation": [1], "n_evals": [len(points)], "hypervolume": [0.0],
                  "n_nondominated": [len(points)]}).to_csv(folder / "history.csv", index=False)


def test_pairs_by_seed_and_scores_against_the_union_point(tmp_path):
    _run(tmp_path / "0_c", "conditioned", 0, [(1, 3), (3, 1)], 12, 240.0)
    _run(tmp_path / "1_r", "train_weights_full", 0, [(1, 3), (2, 2), (3, 1)], 134, 2600.0)
    _run(tmp_path / "2_c", "conditioned", 1, [(1, 3)], 10, 200.0)  # seed 1 has no retrain run: not paired
    _run(tmp_path / "3_w", "weighted", 0, [(9, 9)], 12, 240.0)  # other strategies are ignored
    table = paired_table([str(tmp_path)], "conditioned", "train_weights_full")
    assert list(table.index) == [0]
    # union of both strategies' points: nadir (1, 1), ideal (3, 3) -> reference point (0.8, 0.8)
    # retrain: 0.2 x 2.2 + 1 x 1.2 + 1 x 0.2 = 1.84; conditioned: 0.2 x 2.2 + 2 x 0.2 = 0.84
    assert table.loc[0, "HV ratio"] == pytest.approx(0.84 / 1.84)
    assert table.loc[0, "epochs ratio"] == pytest.approx(12 / 134)
    assert table.loc[0, "train_weights_full best-pt share"] == pytest.approx(1.2 * 1.2 / 1.84)  # (2, 2)
    # IGD+ against the union front {(1,3), (2,2), (3,1)}, objectives divided by its range (2, 2): only (2, 2)
    # is missed by the conditioned front, by 1 in one objective -> (1 / 2) / 3 points
    assert table.loc[0, "conditioned test IGD+"] == pytest.approx(1 / 6)
    assert table.loc[0, "train_weights_full test IGD+"] == 0
    out = subprocess.run([sys.executable, str(ROOT / "experiments" / "conditioned_vs_retrain.py"), str(tmp_path)],
                         capture_output=True, text=True, check=True).stdout
    assert "bar NOT met" in out and "only 1 of 10 seeds" in out and "(0.8, 0.8)" in out


@pytest.mark.parametrize(("dent", "met"), [(0.02, True), (0.4, False)])
def test_ten_pairs_give_a_bca_interval_of_the_hv_ratio_and_a_verdict(tmp_path, capsys, dent, met):
    rng = np.random.default_rng(0)
    for seed in range(10):  # the conditioned front misses the retrain front's middle point by up to `dent`
        middle = 2 - dent * rng.uniform()
        _run(tmp_path / f"c{seed}", "conditioned", seed, [(1, 3), (middle, middle), (3, 1)], 12, 300.0)
        _run(tmp_path / f"r{seed}", "train_weights_full", seed, [(1, 3), (2, 2), (3, 1)], 134, 3000.0)
    main([str(tmp_path), "--out", str(tmp_path / "out")])
    result = json.loads((tmp_path / "out" / "result.json").read_text())
    pairs = pd.read_csv(tmp_path / "out" / "pairs.csv")
    assert list(pairs["seed"]) == list(range(10)) and result["n_pairs"] == 10 and result["complete"]
    low, high = result["hv_ratio_ci95_bca"]
    assert low < result["hv_ratio"] < high < 1  # every conditioned front is worse: the interval lies below 1
    assert result["epochs_ratio"] == pytest.approx(12 / 134)
    assert result["bar_met"] is met and (low >= 0.97) is met
    for stem in ("pairs", "attainment_test"):  # the paired figure and the two sides' test attainment surfaces
        assert all((tmp_path / "out" / f"{stem}.{ext}").stat().st_size > 1000 for ext in ("png", "pdf"))
    assert ("bar met" if met else "bar NOT met") in capsys.readouterr().out


def test_ratio_interval_is_paired_and_needs_three_pairs():
    a = np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
    low, high = ratio_of_means_interval(a * 0.9, a)  # every pair has ratio 0.9: pairing leaves no spread
    assert low == pytest.approx(0.9) and high == pytest.approx(0.9)
    assert np.isnan(ratio_of_means_interval(a[:2], a[:2])).all()


def test_refuses_folders_without_one_side(tmp_path):
    _run(tmp_path / "c0", "conditioned", 0, [(1, 3)], 12, 300.0)
    with pytest.raises(SystemExit, match="no train_weights_full runs"):
        main([str(tmp_path)])


def test_flagship_runner_shares_models_resumes_and_keeps_what_the_report_reads(tmp_path):
    env = {"RUNS": str(tmp_path / "runs"), "KEEP": str(tmp_path / "keep"), "STRATEGIES": "weighted tchebycheff",
           "EXTRA": "debug=tiny train.epochs=1 search.n_gen=3", "PATH": "/usr/bin:/bin"}

    def run() -> str:
        proc = subprocess.run(["bash", str(ROOT / "experiments" / "flagship" / "run.sh"), "default", "0"], env=env,
                              capture_output=True, text=True, timeout=600)
        assert proc.returncode == 0 and "FAILED" not in proc.stdout, proc.stdout + proc.stderr
        return proc.stdout

    run()
    kept = tmp_path / "keep" / "default"
    for strategy in ("weighted", "tchebycheff"):
        folder = kept / f"{strategy}_seed0"
        assert {"summary.json", "front.csv", "history.csv", "training_history.csv", "evaluations.csv.gz"} <= {
            p.name for p in folder.iterdir()}
        assert (folder / ".hydra" / "config.yaml").is_file()
    summary = json.loads((kept / "tchebycheff_seed0" / "summary.json").read_text())
    assert summary["training"]["reused_from"]  # one training shared by the two strategies
    stamp = (tmp_path / "runs" / "default" / "weighted_seed0" / "summary.json").stat().st_mtime
    run()  # finished runs are skipped
    assert (tmp_path / "runs" / "default" / "weighted_seed0" / "summary.json").stat().st_mtime == stamp
    report = subprocess.run([sys.executable, "-m", "morec_pareto.report", str(kept), "--out", str(tmp_path / "report"),
                             "--control", "weighted"], capture_output=True, text=True)
    assert report.returncode == 0, report.stderr[-2000:]
    assert (tmp_path / "report" / "tests.csv").is_file()
    table = headline(tmp_path / "report").splitlines()  # the README's compact table of that report
    assert table[2].startswith("| **weighted** (control) | 1 |") or table[3].startswith("| **weighted** (control) | 1 |")
    assert any(line.startswith("| tchebycheff | 1 |") for line in table)
    proc = subprocess.run(["bash", str(ROOT / "experiments" / "flagship" / "robustness.sh"), str(tmp_path / "robust")],
                          env={**env, "FLAGSHIP": str(tmp_path / "keep")}, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "ml100k_popularity skipped" in proc.stdout  # only the default data was run here
    for point, source in (("popularity", "configured"), ("union_nadir", "non-dominated union")):
        folder = tmp_path / "robust" / f"default_{point}"
        assert {p.name for p in folder.iterdir()} == {"summary.md", "summary.csv", "tests.csv", "reference_point.json"}
        assert source in json.loads((folder / "reference_point.json").read_text())["source"]


def test_conditioned_vs_retrain_runner_feeds_the_paired_script(tmp_path):
    """The item-3 runner's two sides at debug=tiny: the fair conditioned model and the retrain front, paired."""
    env = {"RUNS": str(tmp_path / "runs"), "KEEP": str(tmp_path / "keep"), "CONDITIONED_EPOCHS": "2",
           "PATH": "/usr/bin:/bin", "EXTRA": "debug=tiny search.n_gen=3",
           "RETRAIN_EXTRA": "loss.n_levels=3 loss.warm_epochs=1 loss.epochs_per_candidate=1"}
    proc = subprocess.run(["bash", str(ROOT / "experiments" / "flagship" / "conditioned_vs_retrain.sh"), "0"], env=env,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0 and "FAILED" not in proc.stdout, proc.stdout + proc.stderr
    kept = tmp_path / "keep" / "default"
    conditioned = json.loads((kept / "conditioned_seed0" / "summary.json").read_text())
    assert conditioned["training"]["selection"] == "hypervolume" and conditioned["train_epochs"] <= 2
    assert "valid_hv" in pd.read_csv(kept / "conditioned_seed0" / "training_history.csv")
    retrain = json.loads((kept / "train_weights_full_seed0" / "summary.json").read_text())
    assert retrain["n_trainings"] == 1 + 3 and retrain["train_epochs"] == 1 + 3 * 1  # warm start + 3 levels x 1 epoch
    table = paired_table([str(kept)], "conditioned", "train_weights_full")
    assert list(table.index) == [0] and table.loc[0, "epochs ratio"] == conditioned["train_epochs"] / retrain["train_epochs"]


def _model_run(folder: Path, strategy: str, seed: int, ndcg: float, reused: bool, losses: tuple[float, float] | None) -> None:
    """A kept run folder with the summary fields and training history that flagship/models.py reads."""
    folder.mkdir(parents=True)
    (folder / "summary.json").write_text(json.dumps({
        "strategy": strategy, "seed": seed, "train_epochs": 20, "train_seconds": 300.0,
        "accuracy": {"ndcg@10": ndcg, "valid": {"ndcg@10": ndcg + 0.01}},
        "training": {"best_epoch": 1, "reused_from": "cache/model.pt" if reused else None},
    }))
    if losses is not None:
        pd.DataFrame({"epoch": [0, 1], "loss_satisfaction": [9.0, losses[0]], "loss_revenue": [1.0, losses[1]]}).to_csv(
            folder / "training_history.csv", index=False)


def test_models_table_reads_each_trained_model_once(tmp_path):
    from flagship.models import markdown, model_rows, model_table, sharing_strategies

    _model_run(tmp_path / "weighted_seed0", "weighted", 0, 0.20, False, (8.0, 0.7))
    _model_run(tmp_path / "weighted_seed1", "weighted", 1, 0.22, False, (8.2, 0.9))
    _model_run(tmp_path / "tchebycheff_seed0", "tchebycheff", 0, 0.20, True, (8.0, 0.7))
    _model_run(tmp_path / "mgda_seed0", "mgda", 0, 0.10, False, None)  # no training history kept
    rows = model_rows(tmp_path)
    assert sharing_strategies(rows) == ["tchebycheff"]
    table = model_table(rows)
    assert list(table.index) == ["weighted", "mgda"]  # best test NDCG@10 first, the sharing strategy has no row
    assert table.loc["weighted", "seeds"] == 2
    assert table.loc["weighted", "test NDCG@10"] == pytest.approx(0.21)
    assert table.loc["weighted", "satisfaction loss"] == pytest.approx(8.1)  # the kept epoch's (1), not epoch 0's
    assert table.loc["weighted", "revenue loss"] == pytest.approx(0.8)
    lines = markdown(table).splitlines()
    assert lines[2].startswith("| weighted | 2 | 0.2200 | 0.2100 | 8.100 | 0.800 | 1 | 20 | 300 |")
    assert lines[3].startswith("| mgda | 1 |") and "| – | – |" in lines[3]


def test_headline_names_the_realised_reports_own_test_point(tmp_path):
    """Test HV on realised revenue is measured at its own point (reference_point.json's test_reference_point)."""
    from flagship.headline import _reference_sentence

    record = {"reference_point": [0.0126, 150.7], "test_columns": ["test_satisfaction", "test_realised_revenue"],
              "test_reference_point": [0.0067, 2.766]}
    (tmp_path / "reference_point.json").write_text(json.dumps(record))
    sentence = _reference_sentence(tmp_path)
    assert sentence.startswith("Test HV reference point (0.0067, 2.766) on (test_satisfaction, test_realised_revenue)")
    assert "validation HV's (0.0126, 150.7)" in sentence
    record = {"reference_point": [0.0051, 146.6], "test_columns": ["test_satisfaction", "test_revenue"]}
    (tmp_path / "reference_point.json").write_text(json.dumps(record))
    assert _reference_sentence(tmp_path) == "Reference point (0.0051, 146.6)."
