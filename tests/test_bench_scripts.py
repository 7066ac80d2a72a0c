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
