"""The benchmark scripts run against today's evaluator (tiny sizes; their timings are not checked here)."""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "experiments" / "bench"))
import population_eval  # noqa: E402


@pytest.fixture
def tiny_size(monkeypatch) -> str:
    monkeypatch.setitem(population_eval.SIZES, "tiny", (30, 80))
    return "tiny"


def test_population_eval_methods_agree_and_report_bands(tiny_size):
    rows = {m: population_eval.run_one(tiny_size, m, pop=6, policy_name="weighted", baseline_rev="43bb915")
            for m in ("pruned", "dense", "loop")}
    np.testing.assert_array_equal(rows["pruned"]["F"], rows["dense"]["F"])  # pruning is exact
    np.testing.assert_allclose(rows["loop"]["F"], np.asarray(rows["dense"]["F"])[: rows["loop"]["candidates"]],
                               rtol=1e-5)  # the careful loop computes the same objectives in float32
    pruned = rows["pruned"]
    assert pruned["bands"] > 1 and 10 <= pruned["width"] <= 80  # the weighted policy's tables are banded
    assert 0 < pruned["mean_survivors"] <= pruned["width"]
    for row in rows.values():
        assert row["ms_per_candidate"] > 0 and row["candidates"] > 0


def test_time_to_target_reads_the_front_of_every_evaluation_so_far():
    import search_vs_optuna

    ref = np.zeros(2)
    trace = [(0.5, np.array([[1.0, 1.0]])), (0.9, np.array([[0.5, 0.5]])), (1.4, np.array([[2.0, 0.5], [0.5, 2.0]]))]
    # HV so far: 1.0, 1.0 (a dominated point adds nothing), then 1 + 2 x (1 x 0.5) = 2.0
    assert search_vs_optuna.time_to_target(trace, ref, 1.0) == (0.5, 1)
    assert search_vs_optuna.time_to_target(trace, ref, 1.2) == (1.4, 3)
    assert search_vs_optuna.time_to_target(trace, ref, 1.99) == (1.4, 3)
    assert search_vs_optuna.time_to_target(trace, ref, 2.01) is None


def test_search_vs_optuna_ours_records_an_anytime_trace(tiny_size):
    import search_vs_optuna

    data = population_eval.random_stage(30, 80)
    F, seconds, trace = search_vs_optuna.run_ours(data, pop=6, gens=3, seed=0)
    assert len(trace) == 3 and sum(len(f) for _, f in trace) == len(F) == 18
    assert 0 < trace[0][0] <= trace[1][0] <= trace[2][0] <= seconds
