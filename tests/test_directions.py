"""A minimised objective (oracle_kl) through search, run folder and report: nobody negates by hand."""
import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from conftest import run_cli

from morec_pareto.report.indicators import hypervolume, nadir_reference_point, nondominated_mask

KL = ("oracle_kl", "oracle_revenue")


def test_indicators_read_directions():
    F = np.array([[1.0, 3.0], [2.0, 4.0], [0.5, 1.0]])  # minimise the first, maximise the second
    assert nondominated_mask(F, KL).tolist() == [True, True, True]
    assert nondominated_mask(F).tolist() == [False, True, False]  # both maximised: (2, 4) dominates
    # with the reference point (3, 0): rectangles (3 - x) * y of the staircase
    assert hypervolume(F, np.array([3.0, 0.0]), KL) == pytest.approx(2.5 * 1 + 2.0 * 2 + 1.0 * 1)
    ref = nadir_reference_point(F, 0.1, KL)
    assert ref[0] == pytest.approx(2.0 + 0.15) and ref[1] == pytest.approx(1.0 - 0.3)


@pytest.fixture(scope="module")
def kl_sweep(tmp_path_factory):
    sweep = tmp_path_factory.mktemp("kl")
    run_cli("-m", "debug=tiny", "objectives.names=[oracle_kl,oracle_revenue]", "strategy=weighted,non_weighted",
            f"hydra.sweep.dir={sweep}")
    return sweep


def test_a_minimised_objective_runs_end_to_end(kl_sweep):
    run = next(p for p in kl_sweep.iterdir() if p.name.endswith("weighted_seed0") and "non" not in p.name)
    summary = json.loads((run / "summary.json").read_text())
    assert summary["directions"] == {"oracle_kl": "min", "oracle_revenue": "max"}
    front = pd.read_csv(run / "front.csv")
    F = front[["satisfaction", "revenue"]].to_numpy()
    assert nondominated_mask(F, KL).all() and not nondominated_mask(F).all()
    assert (np.diff(F[:, 0]) >= 0).all()  # best (lowest) KL first
    ref = np.array(summary["reference_point"])
    assert summary["hypervolume"] == pytest.approx(hypervolume(F, ref, KL)) and summary["hypervolume"] > 0
    assert (F[:, 0] < ref[0]).all() and 0 < summary["hv_best_point_share"] <= 1


def test_the_report_reads_directions(kl_sweep, tmp_path):
    out = tmp_path / "report"
    done = subprocess.run([sys.executable, "-m", "morec_pareto.report", str(kl_sweep), "--out", str(out)],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    runs = pd.read_csv(out / "runs.csv")
    assert (runs["hypervolume"] > 0).all()
    ref = json.loads((out / "reference_point.json").read_text())["reference_point"]
    fronts = [pd.read_csv(p)[["satisfaction", "revenue"]].to_numpy() for p in kl_sweep.glob("*/front.csv")]
    worst_kl = max(f[:, 0].max() for f in fronts)
    assert ref[0] > worst_kl  # beyond the worst (highest) KL, not below the best
    assert (out / "attainment.png").read_bytes()[:4] == b"\x89PNG"
