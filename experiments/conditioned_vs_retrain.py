"""Issue-4 bar: does one preference-conditioned model reach >= 97% of the retrain-per-candidate front's
test hypervolume at <= 1/10 of its training compute, averaged over seeds?

Reads the run folders of `morec-pareto -m experiment=conditioned_vs_retrain` (strategies `conditioned`
and `train_weights_full`), pairs them by seed and prints, per seed and on average, both test
hypervolumes, their ratio, and the compute ratio in training epochs (machine-independent) and in
training seconds. Hypervolumes are recomputed from front.csv against one reference point derived from
the union of every compared front (its worst point minus 10% of its range, as the report does), so the ratio
measures the trade-off and not each front's best point; each front's best-point share is printed.

    python experiments/conditioned_vs_retrain.py outputs/multirun/conditioned_vs_retrain [--retrain train_weights_full]
"""
from __future__ import annotations

import argparse
import json

import numpy as np
import pandas as pd

from morec_pareto.report.indicators import best_point_share, hypervolume, nadir_reference_point, nondominated_mask
from morec_pareto.report.io import find_runs

TEST = ["test_satisfaction", "test_revenue"]

HV_BAR, COMPUTE_BAR = 0.97, 0.10


def paired_table(paths: list[str], conditioned: str, retrain: str) -> pd.DataFrame:
    """One row per seed that has both strategies: test HVs at the shared derived point, ratios, compute."""
    rows, fronts = [], []
    for run in find_runs(paths):
        s = json.loads((run / "summary.json").read_text())
        if s["strategy"] in (conditioned, retrain):
            front = pd.read_csv(run / "front.csv")
            fronts.append(front)
            rows.append({"seed": s["seed"], "strategy": s["strategy"], "test": front[TEST].to_numpy(float),
                         "epochs": s.get("train_epochs", np.nan), "seconds": s["train_seconds"]})
    if not rows:
        raise SystemExit(f"no {conditioned} or {retrain} runs under {', '.join(paths)}")
    union = np.vstack([f[cols].to_numpy(float) for f in fronts for cols in (["satisfaction", "revenue"], TEST)])
    ref = nadir_reference_point(union, 0.1)  # the report's default rule: every front point counts
    for row in rows:
        test = row.pop("test")
        test = test[nondominated_mask(test)]
        row["test_hv"], row["share"] = hypervolume(test, ref), best_point_share(test, ref)
    runs = pd.DataFrame(rows)
    wide = runs.pivot_table(index="seed", columns="strategy", values=["test_hv", "share", "epochs", "seconds"])
    wide = wide.dropna()
    table = pd.DataFrame({
        f"{conditioned} test HV": wide["test_hv"][conditioned],
        f"{retrain} test HV": wide["test_hv"][retrain],
        "HV ratio": wide["test_hv"][conditioned] / wide["test_hv"][retrain],
        "epochs ratio": wide["epochs"][conditioned] / wide["epochs"][retrain],
        "seconds ratio": wide["seconds"][conditioned] / wide["seconds"][retrain],
        f"{conditioned} epochs": wide["epochs"][conditioned],
        f"{retrain} epochs": wide["epochs"][retrain],
        f"{conditioned} best-pt share": wide["share"][conditioned],
        f"{retrain} best-pt share": wide["share"][retrain],
    })
    table.attrs["reference_point"] = ref
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
    ref = ", ".join(f"{v:.4g}" for v in table.attrs["reference_point"])
    print(f"\nReference point ({ref}): nadir of the union of all fronts minus 10% of its range.")
    print(f"{len(table)} seeds paired. Mean test HV ratio {hv_ratio:.3f} (bar >= {HV_BAR}); mean compute ratio "
          f"{compute_ratio:.3f} in epochs, {table['seconds ratio'].mean():.3f} in seconds (bar <= {COMPUTE_BAR}).")
    met = hv_ratio >= HV_BAR and compute_ratio <= COMPUTE_BAR
    print("bar met" if met else "bar NOT met", "" if len(table) >= 10 else f"(only {len(table)} of 10 seeds)")


if __name__ == "__main__":
    main()
