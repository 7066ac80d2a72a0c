"""The report over k = 3 objectives (tiny sweep: 2 strategies x 2 seeds), and catalogue coverage per front point."""
import json
import subprocess
import sys
from pathlib import Path

import moocore
import numpy as np
import pandas as pd
import pytest
from conftest import random_stage, run_cli

from morec_pareto.ranking.policies import WeightedPolicy
from morec_pareto.report.collect import collect
from morec_pareto.report.figures import front_pairs_figure
from morec_pareto.scoring.sources import FixedSource, ScoreSource
from morec_pareto.search.held_out import candidate_coverage, catalogue_coverage
from morec_pareto.search.problem import PopulationEvaluator
from morec_pareto.types import StageData

THREE = ("oracle_ndcg", "oracle_revenue", "novelty")
TEST_THREE = [f"test_{n}" for n in THREE]


@pytest.fixture(scope="module")
def sweep(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("k3_sweep")
    # one training epoch and three generations: the report needs fronts, not good ones
    run_cli("-m", "debug=tiny", "threads=1", "strategy=weighted,non_weighted", "seed=0,1", "search.n_gen=3",
            "train.epochs=1", f"objectives.names=[{','.join(THREE)}]", f"hydra.sweep.dir={folder}")
    return folder


@pytest.fixture(scope="module")
def report(sweep, tmp_path_factory) -> tuple[Path, str]:
    out = tmp_path_factory.mktemp("k3_report") / "out"
    proc = subprocess.run([sys.executable, "-m", "morec_pareto.report", str(sweep), "--out", str(out),
                           "--control", "weighted", "--export-point", "knee", "--group", "non_weighted"],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return out, proc.stderr


def test_tables_have_one_column_per_objective(report):
    out, _ = report
    choices = pd.read_csv(out / "choices.csv")
    assert {*THREE, *TEST_THREE} <= set(choices.columns) and "satisfaction" not in choices.columns
    assert choices[[*THREE, *TEST_THREE]].notna().all().all() and len(choices) == 4  # 2 groups x (knee, weights)
    record = json.loads((out / "reference_point.json").read_text())
    assert record["objectives"] == list(THREE) and len(record["reference_point"]) == 3
    assert record["test_columns"] == TEST_THREE and "test_reference_point" not in record
    assert all(len(record["normalisation"][key]) == 3 for key in ("ideal", "nadir"))
    summary = pd.read_csv(out / "summary.csv")
    assert sorted(summary["group"]) == ["non_weighted", "weighted"] and (summary["n_runs"] == 2).all()
    tests = pd.read_csv(out / "tests.csv")  # paired seeds against the control, one pair per metric
    assert (tests["group_a"] == "weighted").all() and set(tests["test"]) == {"wilcoxon"} and len(tests) == 4
    assert "oracle_ndcg (max), oracle_revenue (max), novelty (max)" in (out / "summary.md").read_text()
    assert r"oracle\_ndcg" in (out / "summary.tex").read_text()
    export = (out / "export_non_weighted_knee.yaml").read_text()
    assert all(f"{n} " in export for n in THREE) and "policy_point" in export


def _igd_plus(A: np.ndarray, R: np.ndarray) -> float:
    """IGD+ for maximisation, by its definition: mean over r in R of min over a in A of ||max(r - a, 0)||."""
    gaps = np.maximum(R[:, None, :] - A[None, :, :], 0.0)
    return float(np.sqrt((gaps**2).sum(axis=2)).min(axis=1).mean())


def test_indicators_equal_independent_recomputation(report):
    out, _ = report
    runs = pd.read_csv(out / "runs.csv")
    ref = np.array(json.loads((out / "reference_point.json").read_text())["reference_point"])
    fronts = {row["run_dir"]: pd.read_csv(Path(row["run_dir"]) / "front.csv") for _, row in runs.iterrows()}
    union = np.vstack([f[list(THREE)].to_numpy() for f in fronts.values()])
    best = union[moocore.is_nondominated(union, maximise=True)]
    scale = best.max(axis=0) - best.min(axis=0)
    for _, row in runs.iterrows():
        front = fronts[row["run_dir"]]
        for column, names in (("hypervolume", list(THREE)), ("test_hypervolume", TEST_THREE)):
            F = front[names].to_numpy()
            inside = F[(F > ref).all(axis=1)]
            expected = moocore.hypervolume(inside, ref=ref, maximise=True) if len(inside) else 0.0
            assert row[column] == pytest.approx(expected, rel=1e-9), (row["run_dir"], column)
        assert row["igd_plus"] == pytest.approx(_igd_plus(front[list(THREE)].to_numpy() / scale, best / scale))
    assert (runs["hypervolume"] > 0).all()


def test_no_attainment_surfaces_and_a_scatter_matrix(report, sweep):
    out, stderr = report
    assert not list(out.glob("attainment.*"))
    notes = [line for line in stderr.splitlines() if "attainment" in line]
    assert len(notes) == 1 and "3 (oracle_ndcg, oracle_revenue, novelty)" in notes[0]
    for stem in ("fronts", "hv_history", "decisions"):
        assert (out / f"{stem}.pdf").read_bytes()[:5] == b"%PDF-"
        assert (out / f"{stem}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    fig = front_pairs_figure(collect([sweep]))
    pairs = [ax for ax in fig.axes if ax.axison]  # the lower triangle: (0, 1), (0, 2), (1, 2)
    assert len(pairs) == 3 and {ax.get_xlabel().split("@")[0] for ax in pairs} >= {"Oracle NDCG", "Expected revenue"}
    assert all(len(ax.collections) >= 2 for ax in pairs)  # one scatter per group


def test_coverage_tables_read_front_csv(report):
    out, _ = report
    points = pd.read_csv(out / "coverage_points.csv")
    assert {*THREE, *TEST_THREE, "test_coverage", "group", "run_dir", "seed"} <= set(points.columns)
    per_run = {run: pd.read_csv(Path(run) / "front.csv")["test_coverage"] for run in points["run_dir"].unique()}
    assert len(points) == sum(len(c) for c in per_run.values())
    assert ((points["test_coverage"] > 0) & (points["test_coverage"] <= 1)).all()
    coverage = pd.read_csv(out / "coverage.csv").set_index("group")
    for group, block in points.groupby("group"):
        means = [per_run[run].mean() for run in block["run_dir"].unique()]
        assert coverage.loc[group, "front_coverage_mean"] == pytest.approx(np.mean(means))
        assert coverage.loc[group, "n_runs"] == 2


def test_coverage_on_a_hand_made_toy():
    # 3 users, K = 2, a catalogue of 6 items; an item listed for several users counts once
    lists = np.array([
        [[0, 1], [1, 2], [0, 2]],  # items {0, 1, 2}: 3 / 6
        [[3, 4], [4, 3], [3, 4]],  # items {3, 4}: 2 / 6 (a mean of per-user coverage would say 2 / 6 too)
        [[0, 1], [2, 3], [4, 5]],  # every item: 6 / 6 (a mean of per-user coverage would say 2 / 6)
    ])
    np.testing.assert_allclose(catalogue_coverage(lists, 6), [0.5, 1 / 3, 1.0])
    assert catalogue_coverage(np.zeros((1, 0, 2), dtype=np.int64), 6)[0] == 0.0  # no users: nothing listed


class _TwoLevels(ScoreSource):
    """A source with a model-side weight: level 0 and level 1 serve different score tables."""

    n_levels = 2

    def __init__(self, stages: tuple[StageData, StageData]) -> None:
        super().__init__()
        self._stages = stages
        self.base = (stages[0], stages[0])

    def stages(self, level_id: int) -> tuple[StageData, StageData]:
        return self._stages[level_id], self._stages[level_id]


def _expected(policy: WeightedPolicy, X: np.ndarray, data: StageData) -> list[float]:
    lists = policy.rank(X, data)  # dense, one pass over all users
    return [len(set(lists[p].ravel().tolist())) / data.n_items for p in range(len(X))]


def test_run_coverage_is_the_union_over_user_chunks_and_levels():
    data, other = random_stage(n_users=9, n_items=40, seed=1), random_stage(n_users=9, n_items=40, seed=2)
    policy = WeightedPolicy(k=3)
    X = np.array([[1.0, 1.0, 1.0, 1.0], [0.0, 2.0, 0.2, 0.5], [0.5, 0.0, 5.0, 0.1]])
    evaluator = PopulationEvaluator(policy, ("ndcg",), max_elements=1)  # one user per chunk
    got = candidate_coverage(evaluator, FixedSource(data, data), X)
    np.testing.assert_allclose(got, _expected(policy, X, data))
    assert len(set(got)) > 1
    lam = np.array([[0.0], [1.0], [1.0]])  # the model-side weight picks each candidate's tables
    got = candidate_coverage(PopulationEvaluator(policy, ("ndcg",)), _TwoLevels((data, other)), np.hstack([lam, X]))
    np.testing.assert_allclose(got, [_expected(policy, X[:1], data)[0], *_expected(policy, X[1:], other)])
