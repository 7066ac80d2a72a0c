"""Accuracy on MovieLens-100k, like for like: ours, ours without the repeat term, SASRec in our loop, RecBole.

Runs `morec-pareto experiment=ml100k_accuracy data.path=DIR seed=S` for each seed and variant (a run
folder that already holds a summary.json is reused), then prints, with earlier items not masked
(RecBole's protocol for sequential models) and masked, test NDCG@10 / Hit@10 / MRR@10, validation
NDCG@10, seconds per epoch and epochs to the best validation epoch, per seed and as mean and sd; then
the popularity (and, when the summaries hold it, history) baselines and RecBole 1.2.1's rows, each
labelled with the protocol it was measured under.

    python experiments/ml100k_accuracy.py --data DIR [--seeds 0 1 2] [--variants ours no_repeat sasrec]
        [--out outputs/ml100k_accuracy] [HYDRA_OVERRIDE ...]

Variants: `ours` (the experiment's model: the default encoders, dot scorer, repeat term), `no_repeat`
(`model.repeat_bias=false`), `sasrec` (`model=sasrec`: id embeddings, dot products, full softmax, no
behaviour tokens, no repeat term); on request `mlp` (`model.scorer=mlp`, the default model's scorer).
Runs go to OUT/VARIANT/seedS.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import numpy as np

VARIANTS = {  # name -> (row label, Hydra overrides)
    "ours": ("morec-pareto", []),
    "no_repeat": ("  without repeat term", ["model.repeat_bias=false"]),
    # the experiment overlay turns the repeat term on after the model group, so it is switched off again
    "sasrec": ("SASRec config (model=sasrec)", ["model=sasrec", "model.repeat_bias=false"]),
    "mlp": ("  with the default MLP scorer", ["model.scorer=mlp"]),  # the ablation behind `scorer: dot`
}
DEFAULT_VARIANTS = ["ours", "no_repeat", "sasrec"]
PROTOCOLS = {  # summary key of the metrics -> heading
    "accuracy": "earlier items NOT masked (RecBole's protocol for sequential models)",
    "accuracy_masked": "earlier items masked",
}
# RecBole 1.2.1 on its ml-100k copy, test split, measured on a 2-core machine (issue 9), by protocol.
SASREC_PROTOCOL = "RecBole 1.2.1 SASRec: LS/TO/full, converged (best epoch 17)"
REFERENCE = {
    "accuracy": [(SASREC_PROTOCOL, {"ndcg@10": 0.0609, "hit@10": 0.1251, "mrr@10": 0.0417})],
    "accuracy_masked": [
        (SASREC_PROTOCOL + ", history masked", {"ndcg@10": 0.1035, "hit@10": 0.2057, "mrr@10": 0.0727}),
        ("RecBole Pop, general-model protocol: history masked", {"ndcg@10": 0.0354, "hit@10": 0.0710}),
        ("RecBole BPR, general-model protocol: history masked", {"ndcg@10": 0.0631, "hit@10": 0.1166}),
    ],
}
KEYS = ["ndcg@10", "hit@10", "mrr@10", "valid ndcg@10", "s/epoch", "epochs"]


def run_seeds(data: str, seeds: list[int], out: Path, overrides: list[str]) -> list[dict]:
    """Run (or reuse) one satisfaction-only training per seed; returns each seed's summary."""
    summaries = []
    for seed in seeds:
        run_dir = out / f"seed{seed}"
        if not (run_dir / "summary.json").is_file():
            cmd = [sys.executable, "-m", "morec_pareto", "experiment=ml100k_accuracy", f"data.path={data}",
                   f"seed={seed}", f"hydra.run.dir={run_dir}", "progress=false", *overrides]
            print("$", " ".join(cmd), flush=True)
            subprocess.run(cmd, check=True)
        summaries.append(json.loads((run_dir / "summary.json").read_text()))
    return summaries


def metrics_row(summary: dict, protocol: str) -> dict[str, float]:
    """Test metrics, validation NDCG@10 and training cost of one run under one protocol."""
    block = summary[protocol]
    test = block["test"] if "test" in block else block  # `accuracy` is flat, `accuracy_masked` is {test, valid}
    training = summary["training"]
    return {"ndcg@10": test["ndcg@10"], "hit@10": test["hit@10"], "mrr@10": test["mrr@10"],
            "valid ndcg@10": block["valid"]["ndcg@10"], "s/epoch": training["seconds_per_epoch"],
            "epochs": training["best_epoch"] + 1}


def baseline_row(summaries: list[dict], key: str, protocol: str) -> dict[str, float] | None:
    """Mean test metrics of a baseline the summaries carry (`accuracy_popularity`, `accuracy_history`)."""
    rows = []
    for summary in summaries:
        block = summary.get(key)
        if block is None:
            return None
        if protocol in block and isinstance(block[protocol], dict):  # split by protocol
            block = block[protocol]
        elif protocol == "accuracy_masked" and "masked" in block:
            block = block["masked"]
        elif protocol == "accuracy_masked":
            return None  # measured unmasked only
        rows.append(block.get("test", block))
    return {k: float(np.mean([r[k] for r in rows])) for k in ("ndcg@10", "hit@10", "mrr@10") if k in rows[0]}


FORMATS = {"valid ndcg@10": ">14.4f", "s/epoch": ">10.1f", "epochs": ">10.1f"}  # else >10.4f


def header() -> str:
    return f"{'model':<76}" + "".join(f"{k:{FORMATS.get(k, '>10.4f')[:3]}}" for k in KEYS)


def fmt(label: str, row: dict[str, float]) -> str:
    cells = []
    for k in KEYS:
        spec = FORMATS.get(k, ">10.4f")
        cells.append(f"{row[k]:{spec}}" if k in row else " " * int(spec[1:3]))
    return f"{label:<76}" + "".join(cells)


def print_protocol(protocol: str, seeds: list[int], results: dict[str, list[dict]]) -> None:
    """One block: each variant per seed, mean and sd; the summaries' baselines; RecBole's rows."""
    print(f"\n== {PROTOCOLS[protocol]}, test split (valid ndcg@10 under the same protocol)")
    print(header())
    for name, summaries in results.items():
        label = VARIANTS[name][0]
        rows = [metrics_row(s, protocol) for s in summaries]
        for seed, row in zip(seeds, rows):
            print(fmt(f"{label} seed {seed}", row))
        table = np.array([[r[k] for k in KEYS] for r in rows])
        print(fmt(f"{label} mean", dict(zip(KEYS, table.mean(axis=0)))))
        if len(rows) > 1:
            print(fmt(f"{label} sd", dict(zip(KEYS, table.std(axis=0, ddof=1)))))
    first = next(iter(results.values()))
    for key, label in (("accuracy_popularity", "popularity (this run's users)"),
                       ("accuracy_history", "user's own history (this run's users)")):
        row = baseline_row(first, key, protocol)
        if row is not None:
            print(fmt(label, row))
    for label, row in REFERENCE[protocol]:
        print(fmt(label, row))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True, help="folder with ml-100k.inter / ml-100k.item")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--variants", nargs="+", choices=list(VARIANTS), default=DEFAULT_VARIANTS)
    parser.add_argument("--out", default="outputs/ml100k_accuracy")
    parser.add_argument("overrides", nargs="*", help="extra Hydra overrides for every run")
    args = parser.parse_args()
    results = {name: run_seeds(args.data, args.seeds, Path(args.out) / name, [*VARIANTS[name][1], *args.overrides])
               for name in args.variants}
    for protocol in PROTOCOLS:
        print_protocol(protocol, args.seeds, results)


if __name__ == "__main__":
    main()
