"""Rows of the uncapped diagnostic's table: each finished seed's test HV at item 3's reference point."""
from __future__ import annotations

import json
from pathlib import Path

from morec_pareto.report.collect import collect

RESULTS = Path("experiments/results")
REFERENCE_POINT = json.loads((RESULTS / "conditioned_vs_retrain_fair" / "result.json").read_text())["reference_point"]
PAIRED = RESULTS / "conditioned_vs_retrain_fair" / "default"
RETRAIN_EPOCHS = 134


def test_hv(run: Path) -> float:
    return float(collect([str(run)], reference_point=REFERENCE_POINT).table.iloc[0]["test_hypervolume"])


for run in sorted((RESULTS / "conditioned_uncapped" / "default").glob("conditioned_seed*")):
    seed = int(run.name.removeprefix("conditioned_seed"))
    summary = json.loads((run / "summary.json").read_text())
    uncapped, capped = test_hv(run), test_hv(PAIRED / f"conditioned_seed{seed}")
    retrain = test_hv(PAIRED / f"train_weights_full_seed{seed}")
    print(f"| {seed} | {summary['training']['epochs_run']} ({summary['training']['best_epoch']}) | {uncapped:.3f} "
          f"| {capped:.3f} | {retrain:.3f} | {uncapped / retrain:.3f} | {summary['train_epochs'] / RETRAIN_EPOCHS:.3f} |")
