"""Per setting: mean (sd) over seeds of best validation NDCG@10, test HV, epochs run, train seconds; a JSON beside.

    python experiments/train_budget/summarise.py OUTDIR
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np


def main() -> None:
    root = Path(sys.argv[1])
    table = {}
    for setting in sorted(p for p in root.iterdir() if p.is_dir()):
        runs = [json.loads(s.read_text()) for s in sorted(setting.glob("seed*/summary.json"))]
        if not runs:
            continue
        cols = {"valid_ndcg@10": [r["training"]["best_valid_ndcg@10"] for r in runs],
                "test_hv": [r["test_hypervolume"] for r in runs],
                "epochs_run": [r["training"]["epochs_run"] for r in runs],
                "best_epoch": [r["training"]["best_epoch"] for r in runs],
                "train_seconds": [r["train_seconds"] for r in runs],
                "seconds_per_epoch": [r["training"]["seconds_per_epoch"] for r in runs]}
        table[setting.name] = {k: {"mean": float(np.mean(v)), "values": v} for k, v in cols.items()}
        print(f"{setting.name:<12} n={len(runs)}  " + "  ".join(f"{k} {np.mean(v):.4f}" for k, v in cols.items()))
    (root / "summary.json").write_text(json.dumps(table, indent=1) + "\n")


if __name__ == "__main__":
    main()
