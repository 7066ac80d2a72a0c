"""Issue-4 bar: does one preference-conditioned model reach >= 97% of the retrain-per-candidate front's
test hypervolume at <= 1/10 of its training compute, averaged over seeds?

Reads the run folders of `morec-pareto -m experiment=conditioned_vs_retrain` (strategies `conditioned`
and `train_weights_full`), pairs them by seed and prints, per seed and on average, both test
hypervolumes (same fixed reference point), their ratio, and the compute ratio in training epochs
(machine-independent) and in training seconds.

    python experiments/conditioned_vs_retrain.py outputs/multirun/conditioned_vs_retrain [--retrain train_weights_full]
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import pandas as pd

from morec_pareto.report.io import find_runs

HV_BAR, COMPUTE_BAR = 0.97, 0.10


def paired_table(paths: list[str], conditioned: str, retrain: str) -> pd.DataFrame:
    """One row per seed that has both strategies: test HVs, their ratio, compute ratios."""
    rows = []
    for run in find_runs(paths):
        s = json.loads((run / "summary.json").read_text())
        if s["strategy"] in (conditioned, retrain):
            rows.append({"seed": s["seed"], "strategy": s["strategy"], "test_hv": s["test_hypervolume"],
                         "epochs": s.get("train_epochs", np.nan), "seconds": s["train_seconds"],
                         "reference_point": tuple(s["reference_point"])})
    runs = pd.DataFrame(rows)
    if runs.empty:
        raise SystemExit(f"no {conditioned} or {retrain} runs under {', '.join(paths)}")
    if runs["reference_point"].nunique() != 1:
        raise SystemExit("runs use different hypervolume reference points; their HVs do not compare")
    wide = runs.pivot_table(index="seed", columns="strategy", values=["test_hv", "epochs", "seconds"])
    wide = wide.dropna()
    table = pd.DataFrame({
        f"{conditioned} test HV": wide["test_hv"][conditioned],
        f"{retrain} test HV": wide["test_hv"][retrain],
        "HV ratio": wide["test_hv"][conditioned] / wide["test_hv"][retrain],
        "epochs ratio": wide["epochs"][conditioned] / wide["epochs"][retrain],
        "seconds ratio": wide["seconds"][conditioned] / wide["seconds"][retrain],
        f"{conditioned} epochs": wide["epochs"][conditioned],
        f"{retrain} epochs": wide["epochs"][retrain],
    })
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="+", help="run or multirun folders")
    parser.add_argument("--conditioned", default="conditioned")
    parser.add_argument("--retrain", default="train_weights_full")
    args = parser.parse_args()
    table = paired_table(args.paths, args.conditioned, args.retrain)
    with pd.option_context("display.float_format", "{:.4g}".format, "display.width", 200, "display.max_columns", None):
        print(table)
    hv_ratio = table[f"{args.conditioned} test HV"].mean() / table[f"{args.retrain} test HV"].mean()
    compute_ratio = table[f"{args.conditioned} epochs"].mean() / table[f"{args.retrain} epochs"].mean()
    print(f"\n{len(table)} seeds paired. Mean test HV ratio {hv_ratio:.3f} (bar >= {HV_BAR}); mean compute ratio "
          f"{compute_ratio:.3f} in epochs, {table['seconds ratio'].mean():.3f} in seconds (bar <= {COMPUTE_BAR}).")
    met = hv_ratio >= HV_BAR and compute_ratio <= COMPUTE_BAR
    print("bar met" if met else "bar NOT met", "" if len(table) >= 5 else f"(only {len(table)} of 5 seeds)")


if __name__ == "__main__":
    main()
