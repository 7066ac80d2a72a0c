"""`morec-pareto-report` on a tiny multirun (2 strategies x 3 seeds): files, tables, one reference point, errors."""
import io
import json
import shutil
import subprocess
import sys
from contextlib import redirect_stderr
from pathlib import Path

import matplotlib.pyplot as plt
import nbformat
import numpy as np
import pandas as pd
import pytest
from conftest import ROOT, run_cli
from hydra import compose, initialize_config_dir
from nbclient import NotebookClient

from morec_pareto.report.cli import main
from morec_pareto.report.collect import collect
from morec_pareto.report.indicators import hypervolume, nondominated_mask

FIGURES = ["fronts", "attainment", "attainment_test", "hv_history", "decisions"]
FILES = ["summary.csv", "summary.md", "summary.tex", "tests.csv", "runs.csv", "choices.csv", "reference_point.json",
         "export_non_weighted_knee.yaml", *[f"{f}.{ext}" for f in FIGURES for ext in ("pdf", "png")]]


@pytest.fixture(scope="session")
def tiny_multirun(tmp_path_factory) -> Path:
    sweep = tmp_path_factory.mktemp("report_multirun")
    # one training epoch and three generations: the report needs fronts, not good ones
    run_cli("-m", "debug=tiny", "strategy=weighted,non_weighted", "seed=0,1,2", "search.n_gen=3", "train.epochs=1",
            f"hydra.sweep.dir={sweep}")
    return sweep


@pytest.fixture(scope="session")
def report(tiny_multirun, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("report") / "out"
    proc = subprocess.run([sys.executable, "-m", "morec_pareto.report", str(tiny_multirun), "--out", str(out),
                           "--export-point", "knee", "--group", "non_weighted"], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return out


def test_every_file_is_written_and_parses(report):
    for name in FILES:
        assert (report / name).is_file(), name
    assert not list(report.glob(".*"))  # no temporary files left behind
    for stem in FIGURES:
        assert (report / f"{stem}.pdf").read_bytes()[:5] == b"%PDF-"
    summary = pd.read_csv(report / "summary.csv")
    assert sorted(summary["group"]) == ["non_weighted", "weighted"]
    assert (summary["n_runs"] == 3).all()
    for column in ("test_hypervolume_median", "test_hypervolume_iqr", "test_hypervolume_mean",
                   "test_hypervolume_ci95_low", "hypervolume_median", "igd_plus_median", "n_front_median",
                   "runtime_s_median", "n_evals_median",
                   "valid_test_igd_plus_median", "share_stay_nondominated_mean"):
        assert summary[column].notna().all(), column
    md = (report / "summary.md").read_text().splitlines()
    header = next(i for i, line in enumerate(md) if line.startswith("| group"))
    assert md[header + 1].startswith("|---") and len(md[header].split("|")) == len(md[header + 2].split("|"))
    tex = (report / "summary.tex").read_text()
    assert r"\toprule" in tex and r"\midrule" in tex and r"\bottomrule" in tex and r"non\_weighted" in tex


def test_runs_table_and_one_reference_point(report, tiny_multirun):
    runs = pd.read_csv(report / "runs.csv")
    assert {"run_dir", "strategy", "data", "seed", "hypervolume", "test_hypervolume", "igd_plus", "n_front",
            "runtime_s", "valid_test_igd_plus", "share_stay_nondominated", "hv_best_point_share",
            "test_hv_best_point_share", "normalised_hypervolume", "test_normalised_hypervolume"} <= set(runs.columns)
    assert ((runs["hv_best_point_share"] > 0) & (runs["hv_best_point_share"] <= 1)).all()
    record = json.loads((report / "reference_point.json").read_text())
    assert record["source"].startswith("derived") and record["margin"] == 0.1
    assert set(record["normalisation"]) >= {"ideal", "nadir"}
    assert len(runs) == 6 and sorted(runs["seed"]) == [0, 0, 1, 1, 2, 2]
    ref = np.array(json.loads((report / "reference_point.json").read_text())["reference_point"])
    for _, row in runs.iterrows():  # every run's HV is against that one point, recomputed from front.csv
        front = pd.read_csv(Path(row["run_dir"]) / "front.csv")
        valid = front[["satisfaction", "revenue"]].to_numpy()
        test = front[["test_satisfaction", "test_revenue"]].to_numpy()
        assert row["hypervolume"] == pytest.approx(hypervolume(valid, ref))
        assert row["test_hypervolume"] == pytest.approx(hypervolume(test[nondominated_mask(test)], ref))
    assert (runs[["igd_plus", "test_igd_plus", "valid_test_igd_plus"]] >= 0).all().all()
    assert ((runs["share_stay_nondominated"] > 0) & (runs["share_stay_nondominated"] <= 1)).all()
    tests = pd.read_csv(report / "tests.csv")
    assert set(tests["test"]) == {"wilcoxon"}  # the same seeds in both groups: paired
    np.testing.assert_allclose(tests["min_attainable_p"], 2 / 2**3)  # 3 paired seeds, one pair per metric
    assert not tests["can_reach_alpha"].any()
    assert "CANNOT reach alpha" in (report / "summary.md").read_text()
    assert ((tests["a12"] >= 0) & (tests["a12"] <= 1)).all() and (tests["p_holm"] >= tests["p_value"]).all()


def test_given_reference_point_is_used_for_every_group(tiny_multirun):
    collection = collect([tiny_multirun], reference_point=[0.1, 1.0])
    np.testing.assert_array_equal(collection.reference_point, [0.1, 1.0])
    configured = collect([tiny_multirun], from_runs=True)
    assert "agree" in configured.reference_source  # every run was configured with the same point


def test_derived_reference_point_is_below_every_front_point(tiny_multirun):
    derived = collect([tiny_multirun])
    assert derived.reference_source.startswith("derived")
    union = np.vstack([r.front[cols].to_numpy() for r in derived.runs
                       for cols in (["satisfaction", "revenue"], ["test_satisfaction", "test_revenue"])])
    ideal, nadir = union.max(axis=0), union.min(axis=0)
    np.testing.assert_allclose(derived.reference_point, nadir - 0.1 * (ideal - nadir))
    np.testing.assert_allclose(derived.ideal, ideal)
    assert (union > derived.reference_point).all()  # every point of every front counts
    best = union[nondominated_mask(union)]  # the best known front: its nadir is closer to the fronts
    front = collect([tiny_multirun], nadir_of="reference_front")
    np.testing.assert_allclose(front.reference_point, best.min(0) - 0.1 * (best.max(0) - best.min(0)))
    assert (front.reference_point >= derived.reference_point).all()


def test_exported_knee_composes_as_an_experiment(report, tmp_path):
    (tmp_path / "experiment").mkdir()
    shutil.copy(report / "export_non_weighted_knee.yaml", tmp_path / "experiment" / "knee.yaml")
    text = (report / "export_non_weighted_knee.yaml").read_text()
    assert text.startswith("# @package _global_") and "policy_point" in text
    with initialize_config_dir(config_dir=str(ROOT / "conf"), version_base="1.3"):
        cfg = compose("config", overrides=["experiment=knee", f"hydra.searchpath=[file://{tmp_path}]"])
    assert cfg.strategy.name == "non_weighted"
    assert set(cfg.policy_point) == {"price_exponent", "pool_fraction"}
    choices = pd.read_csv(report / "choices.csv")
    knee = choices[(choices["group"] == "non_weighted") & (choices["method"] == "knee")].iloc[0]
    assert cfg.policy_point.price_exponent == pytest.approx(knee["price_exponent"])


def _fails(args: list[str], out: Path) -> str:
    err = io.StringIO()
    with redirect_stderr(err):
        assert main([*args, "--out", str(out)]) != 0
    assert not out.exists()  # nothing written
    assert len(err.getvalue().strip().splitlines()) == 1
    return err.getvalue()


def test_bad_input_fails_in_one_line_and_writes_nothing(tiny_multirun, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    assert str(empty) in _fails([str(empty)], tmp_path / "out")
    assert "train.no_such_key" in _fails([str(tiny_multirun), "--by", "train.no_such_key"], tmp_path / "out")
    odd = tmp_path / "odd"
    shutil.copytree(next(tiny_multirun.glob("0_*")), odd, ignore=shutil.ignore_patterns("model.pt"))
    summary = json.loads((odd / "summary.json").read_text())
    summary["objectives"] = ["ndcg", "expected_revenue"]
    (odd / "summary.json").write_text(json.dumps(summary))
    assert str(odd) in _fails([str(tiny_multirun), str(odd)], tmp_path / "out")


def test_many_groups_need_a_control_or_all_pairs(tiny_multirun, tmp_path):
    message = _fails([str(tiny_multirun), "--by", "seed"], tmp_path / "out")  # 6 groups
    assert "--control" in message and "--all-pairs" in message
    assert "no such group" in _fails([str(tiny_multirun), "--control", "nobody"], tmp_path / "out")
    assert main([str(tiny_multirun), "--by", "seed", "--control", "weighted seed=0", "--out", str(tmp_path / "c")]) == 0
    tests = pd.read_csv(tmp_path / "c" / "tests.csv")
    assert (tests["group_a"] == "weighted seed=0").all() and tests.groupby("metric").size().eq(5).all()
    assert main([str(tiny_multirun), "--by", "seed", "--all-pairs", "--out", str(tmp_path / "a")]) == 0
    assert pd.read_csv(tmp_path / "a" / "tests.csv").groupby("metric").size().eq(15).all()


def test_report_ranks_test_revenue_on_held_out_purchases(tiny_multirun, tmp_path):
    assert main([str(tiny_multirun), "--test-revenue", "test_realised_revenue", "--out", str(tmp_path / "r")]) == 0
    record = json.loads((tmp_path / "r" / "reference_point.json").read_text())
    assert record["test_columns"] == ["test_satisfaction", "test_realised_revenue"]
    runs = pd.read_csv(tmp_path / "r" / "runs.csv")
    ref = np.array(record["test_reference_point"])
    for _, row in runs.iterrows():
        test = pd.read_csv(Path(row["run_dir"]) / "front.csv")[["test_satisfaction", "test_realised_revenue"]].to_numpy()
        assert row["test_hypervolume"] == pytest.approx(hypervolume(test[nondominated_mask(test)], ref))


def test_test_attainment_figure_draws_the_test_columns(tiny_multirun):
    """attainment_test.png: the fronts re-scored on test, on realised revenue when the report ranks on it."""
    from morec_pareto.report.figures import attainment_figure, objective_labels

    for test_revenue in ("test_revenue", "test_realised_revenue"):
        collection = collect([tiny_multirun], test_revenue=test_revenue)
        fig = attainment_figure(collection, test=True)
        ax = fig.axes[0]
        label = "Realised revenue" if test_revenue == "test_realised_revenue" else objective_labels(collection)[1]
        assert ax.get_ylabel().startswith(label)
        test = np.vstack([r.front[list(collection.test_columns)].to_numpy(float) for r in collection.runs])
        # the axes hold every test point (with the zoom's margin), whatever the validation fronts span
        assert ax.get_ylim()[0] <= test[:, 1].min() and ax.get_ylim()[1] >= test[:, 1].max()
        drawn = np.concatenate([line.get_ydata() for line in ax.get_lines() if len(line.get_ydata())])
        assert set(np.round(test[:, 1], 9)) & set(np.round(drawn, 9))  # the staircases pass through test values
        plt.close(fig)


def test_by_key_joins_the_group_labels(tiny_multirun):
    collection = collect([tiny_multirun], by=("train.lr",))
    assert len(collection.groups) == 2 and all("train.lr=" in g for g in collection.groups)
    assert "train.lr" in collection.table.columns


def test_report_notebook_executes(tiny_multirun, monkeypatch):
    monkeypatch.setenv("MOREC_MULTIRUN_DIR", str(tiny_multirun))
    monkeypatch.setenv("MPLBACKEND", "Agg")
    notebooks = ROOT / "notebooks"
    nb = nbformat.read(notebooks / "02_report.ipynb", as_version=4)
    NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(notebooks)}}).execute()
    outputs = [o for cell in nb.cells if cell.cell_type == "code" for o in cell.get("outputs", [])]
    assert not [o for o in outputs if o.output_type == "error"]
    assert sum("image/png" in o.get("data", {}) for o in outputs) == len(FIGURES)


def test_runs_with_gzipped_evaluations_give_the_same_report_tables(tiny_multirun, tmp_path):
    # committed results keep evaluations.csv gzipped (experiments/flagship/run.sh); the report reads either
    import gzip

    copy = tmp_path / "copy"
    shutil.copytree(tiny_multirun, copy)
    for ev in copy.rglob("evaluations.csv"):
        ev.with_suffix(".csv.gz").write_bytes(gzip.compress(ev.read_bytes()))
        ev.unlink()
    plain, zipped = collect([tiny_multirun]), collect([copy])
    assert len(zipped.runs) == len(plain.runs) == 6
    for a, b in zip(plain.runs, zipped.runs):
        pd.testing.assert_frame_equal(a.evaluations, b.evaluations)
    pd.testing.assert_frame_equal(plain.table.drop(columns="run_dir"), zipped.table.drop(columns="run_dir"))
