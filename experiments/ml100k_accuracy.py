"""Accuracy on MovieLens-100k beside RecBole's reference numbers (issue: real data and SASRec parity).

Runs `morec-pareto experiment=ml100k_accuracy data.path=DIR seed=S` for each seed, then prints test
NDCG@10 / Hit@10 / MRR@10, seconds per epoch and epochs to best beside RecBole 1.2.1's Pop, BPR and
SASRec on the same protocol (leave-one-out, full ranking, earlier items not masked).

    python experiments/ml100k_accuracy.py --data DIR [--seeds 0 1 2] [--out outputs/ml100k_accuracy]
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import numpy as np

# RecBole 1.2.1 on its ml-100k copy, this protocol, test split (measured on a 2-core machine; see the issue).
REFERENCE = {
    "Pop": {"ndcg@10": 0.0354, "hit@10": 0.0710, "mrr@10": float("nan"), "s/epoch": float("nan"), "epochs": float("nan")},
    "BPR": {"ndcg@10": 0.0631, "hit@10": 0.1166, "mrr@10": float("nan"), "s/epoch": float("nan"), "epochs": 58},
    "SASRec": {"ndcg@10": 0.0609, "hit@10": 0.1251, "mrr@10": float("nan"), "s/epoch": 83.0, "epochs": 22},
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True, help="folder with ml-100k.inter / ml-100k.item")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--out", default="outputs/ml100k_accuracy")
    parser.add_argument("overrides", nargs="*", help="extra Hydra overrides")
    args = parser.parse_args()
    rows = []
    for seed in args.seeds:
        run_dir = Path(args.out) / f"seed{seed}"
        if not (run_dir / "summary.json").is_file():
            cmd = [sys.executable, "-m", "morec_pareto", "experiment=ml100k_accuracy", f"data.path={args.data}",
                   f"seed={seed}", f"hydra.run.dir={run_dir}", *args.overrides]
            print("$", " ".join(cmd), flush=True)
            subprocess.run(cmd, check=True)
        summary = json.loads((run_dir / "summary.json").read_text())
        acc, training = summary["accuracy"], summary["training"]
        rows.append({"ndcg@10": acc["ndcg@10"], "hit@10": acc["hit@10"], "mrr@10": acc["mrr@10"],
                     "ndcg@20": acc["ndcg@20"], "hit@20": acc["hit@20"], "valid ndcg@10": acc["valid"]["ndcg@10"],
                     "s/epoch": training["seconds_per_epoch"], "epochs": training["best_epoch"] + 1,
                     "train s": summary["train_seconds"]})
    keys = ["ndcg@10", "hit@10", "mrr@10", "s/epoch", "epochs"]
    print(f"\n{'model':<28}" + "".join(f"{k:>10}" for k in keys))
    for name, ref in REFERENCE.items():
        print(f"{'RecBole ' + name:<28}" + "".join(f"{ref[k]:>10.4g}" for k in keys))
    for seed, row in zip(args.seeds, rows):
        print(f"{f'morec-pareto seed {seed}':<28}" + "".join(f"{row[k]:>10.4g}" for k in keys))
    mean = {k: float(np.mean([r[k] for r in rows])) for k in rows[0]}
    print(f"{'morec-pareto mean':<28}" + "".join(f"{mean[k]:>10.4g}" for k in keys))
    print(f"\nmean test ndcg@20 {mean['ndcg@20']:.4f}, hit@20 {mean['hit@20']:.4f}; valid ndcg@10 "
          f"{mean['valid ndcg@10']:.4f}; training {mean['train s']:.0f} s per seed on this machine")


if __name__ == "__main__":
    main()
