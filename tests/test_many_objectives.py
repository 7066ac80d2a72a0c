"""k >= 3 objectives: NSGA-III through search=auto, a front non-dominated in k dimensions, HV, figures."""
import json

import moocore
import numpy as np
import pandas as pd
import pytest
from conftest import run_cli

from morec_pareto.report.indicators import hypervolume, nondominated_mask
from morec_pareto.search.algorithms import AutoSearch, NSGA3Search, das_dennis_partitions

THREE = ("oracle_ndcg", "oracle_revenue", "novelty")


def test_auto_picks_nsga2_for_two_objectives_and_nsga3_for_more():
    assert type(AutoSearch(pop_size=40).algorithm(2)).__name__ == "NSGA2"
    nsga3 = AutoSearch(pop_size=40).algorithm(3)
    assert type(nsga3).__name__ == "NSGA3" and len(nsga3.ref_dirs) == 36 <= 40  # 7 partitions: C(9, 2) = 36
    assert das_dennis_partitions(3, 40) == 7 and das_dennis_partitions(4, 40) == 4  # C(7, 3) = 35
    assert len(NSGA3Search(pop_size=40, n_partitions=2).algorithm(3).ref_dirs) == 6


@pytest.fixture(scope="module")
def three_objective_run(tmp_path_factory):
    run = tmp_path_factory.mktemp("k3") / "run"
    run_cli("debug=tiny", f"objectives.names=[{','.join(THREE)}]", f"hydra.run.dir={run}")
    return run


def test_three_objective_front_is_nondominated_in_3d_with_moocore_hv(three_objective_run):
    run = three_objective_run
    summary = json.loads((run / "summary.json").read_text())
    assert summary["objectives"] == list(THREE) and summary["directions"] == {n: "max" for n in THREE}
    front = pd.read_csv(run / "front.csv")
    F = front[list(THREE)].to_numpy()
    assert {f"test_{n}" for n in THREE} <= set(front.columns) and "satisfaction" not in front.columns
    assert nondominated_mask(F, THREE).all() and len(F) == summary["n_front"]
    ref = np.array(summary["reference_point"])
    assert summary["hypervolume"] == pytest.approx(hypervolume(F, ref, THREE))
    inside = F[(F > ref).all(axis=1)]
    assert summary["hypervolume"] == pytest.approx(moocore.hypervolume(inside, ref=ref, maximise=True))
    for name in ("pareto.png", "pareto.pdf", "pareto_3d.png", "pareto_3d.pdf"):
        head = (run / name).read_bytes()[:5]
        assert head in (b"\x89PNG\r", b"%PDF-"), name
