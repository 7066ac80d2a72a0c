"""The report's tests fire on a planted difference and stay quiet on an A/A comparison (debug=tiny, 10 seeds).

Planted: 10 seeds of a model trained 1 epoch against the same 10 seeds at the tiny budget (6 epochs),
grouped by `train.epochs` (paired Wilcoxon). A/A: one configuration, `label=a` on seeds 0-9 against
`label=b` on seeds 10-19, grouped by `label` (Mann-Whitney). Also the per-user paired bootstrap on
two strategies that share one trained model. An A/A test is a real test: any change to training or
search re-draws its runs and fails it with probability alpha (5 %), by design; it passed at
p = 0.064 (Mann-Whitney, A12 0.75) when written.
"""
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import run_cli

from morec_pareto.report.cli import main
from morec_pareto.report.indicators import hypervolume
from morec_pareto.report.paired import main as paired_main

SEEDS = ",".join(map(str, range(10)))
FAST = ["debug=tiny", "search.n_gen=3"]  # a front per run is all the test needs; the training budget is the point


@pytest.fixture(scope="module")
def planted(tmp_path_factory) -> Path:
    sweep = tmp_path_factory.mktemp("planted")
    run_cli("-m", *FAST, "train.epochs=1,6", "train.patience=10", f"seed={SEEDS}", f"hydra.sweep.dir={sweep}")
    return sweep


@pytest.fixture(scope="module")
def a_and_a(tmp_path_factory) -> Path:
    sweep = tmp_path_factory.mktemp("aa")
    run_cli("-m", *FAST, "label=a", f"seed={SEEDS}", f"hydra.sweep.dir={sweep / 'a'}")
    run_cli("-m", *FAST, "label=b", f"seed={','.join(map(str, range(10, 20)))}", f"hydra.sweep.dir={sweep / 'b'}")
    return sweep


def _tests(paths: list[Path], by: str, out: Path) -> pd.DataFrame:
    assert main([*map(str, paths), "--by", by, "--out", str(out)]) == 0
    tests = pd.read_csv(out / "tests.csv")
    return tests[tests["metric"] == "test_hypervolume"].iloc[0]


def test_planted_difference_is_significant(planted, tmp_path):
    row = _tests([planted], "train.epochs", tmp_path / "report")
    assert row["test"] == "wilcoxon" and row["n_a"] == row["n_b"] == 10
    assert row["min_attainable_p"] == pytest.approx(2 / 1024)
    assert row["significant"] and row["p_holm"] < 0.05, row.to_dict()
    assert row["better"] == "weighted train.epochs=6"


def test_a_and_a_comparison_is_not_significant(a_and_a, tmp_path):
    row = _tests([a_and_a / "a", a_and_a / "b"], "label", tmp_path / "report")
    assert row["test"] == "mannwhitneyu" and row["n_a"] == row["n_b"] == 10
    assert row["can_reach_alpha"]  # the test could have fired...
    assert not row["significant"], row.to_dict()  # ...and did not


def test_paired_bootstrap_on_one_model(tmp_path):
    sweep = tmp_path / "pair"
    run_cli("-m", *FAST, "strategy=weighted,non_weighted", "seed=0", f"hydra.sweep.dir={sweep}")
    weighted, non_weighted = sorted(sweep.glob("0_*"))[0], sorted(sweep.glob("1_*"))[0]
    out = tmp_path / "ci.json"
    assert paired_main([str(weighted), str(non_weighted), "--n-resamples", "300", "--out", str(out)]) == 0
    result = json.loads(out.read_text())
    ref = np.array(result["reference_point"])
    for run, key in ((weighted, "hv_a"), (non_weighted, "hv_b")):  # per-user re-scoring = the run's test front
        test = pd.read_csv(run / "front.csv")[["test_satisfaction", "test_revenue"]].to_numpy()
        assert result[key] == pytest.approx(hypervolume(test, ref), rel=1e-5)
    assert result["ci_low"] <= result["difference"] <= result["ci_high"] and result["n_users"] == 120
    other = tmp_path / "other"
    run_cli(*FAST, "seed=1", f"hydra.run.dir={other}")
    proc = subprocess.run([sys.executable, "-m", "morec_pareto.report.paired", str(weighted), str(other)],
                          capture_output=True, text=True)
    assert proc.returncode == 2 and "model weights differ" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
