"""Rows of the converged-retrain follow-up's table: every finished seed's test HV at item 3's reference point.

Per seed: the retrain side trained 12 epochs per weight (8 + 21 x 12 = 260 epochs, this folder) against the
6-epoch one of `conditioned_vs_retrain_fair` (134 epochs), and the conditioned model at 26 epochs (this
folder) against the 13-epoch one. One reference point for every column: the one item 3 derived from its
compared points, so the numbers compare with that README's.

    .venv/bin/python experiments/results/conditioned_vs_retrain_long/table.py
"""
from __future__ import annotations

import json
from pathlib import Path

from morec_pareto.report.collect import collect

RESULTS = Path("experiments/results")
REFERENCE_POINT = json.loads((RESULTS / "conditioned_vs_retrain_fair" / "result.json").read_text())["reference_point"]
SHORT = RESULTS / "conditioned_vs_retrain_fair" / "default"
LONG = RESULTS / "conditioned_vs_retrain_long" / "default"


def test_hv(run: Path) -> float | None:
    if not (run / "summary.json").exists():
        return None
    return float(collect([str(run)], reference_point=REFERENCE_POINT).table.iloc[0]["test_hypervolume"])


def epochs(run: Path) -> str:
    if not (run / "summary.json").exists():
        return "-"
    return str(int(json.loads((run / "summary.json").read_text())["train_epochs"]))


def cell(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def main() -> None:
    print(f"reference point {REFERENCE_POINT}")
    print("| seed | retrain 134 ep. | retrain 260 ep. | conditioned 13 ep. | conditioned 26 ep. (epochs) "
          "| cond. 26 / retrain 260 |")
    print("|---|---|---|---|---|---|")
    seeds = sorted({int(p.name.rsplit("seed", 1)[1]) for p in LONG.glob("*_seed*") if p.is_dir()})
    for seed in seeds:
        short_r, long_r = test_hv(SHORT / f"train_weights_full_seed{seed}"), test_hv(LONG / f"train_weights_full_seed{seed}")
        short_c, long_c = test_hv(SHORT / f"conditioned_seed{seed}"), test_hv(LONG / f"conditioned_seed{seed}")
        ratio = cell(long_c / long_r) if long_c is not None and long_r else "-"
        print(f"| {seed} | {cell(short_r)} | {cell(long_r)} | {cell(short_c)} | {cell(long_c)} "
              f"({epochs(LONG / f'conditioned_seed{seed}')}) | {ratio} |")


if __name__ == "__main__":
    main()
