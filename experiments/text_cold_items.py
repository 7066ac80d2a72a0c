"""Does the text token help on rarely seen items? Paired runs with and without `model.text_encoder=minilm`.

Reads run folders of `morec-pareto experiment=ml100k_accuracy data.path=DIR seed=S [model.text_encoder=minilm]`
(ROOT/base_seedS without, ROOT/text_seedS with the text token; `--pattern` names them), reloads each saved
model (model.pt, the data from the run's .hydra config), re-scores the test split with full ranking and
reads every user's rank of the held-out item, with earlier items not masked and masked (the protocols of
summary.json's `accuracy` and `accuracy_masked`; the recomputed means are checked against it).

Cold items: test users whose target item has at most `--max-count` (20) events in the training part of
the log (every user's sequence less its validation and test events: what the model was trained on).
Per seed it reports NDCG@10 and Hit@10 overall and on those users, and a paired bootstrap 95% interval
(users resampled, 10,000 draws) of the NDCG@10 difference text - base on the cold users; then the
seeds pooled (user-seed pairs resampled within each seed).

    python experiments/text_cold_items.py --root DIR [--pattern '{kind}_seed{seed}'] [--seeds 0 1 2] [--out FILE.md]
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import torch
from omegaconf import OmegaConf

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from morec_pareto.data.split import leave_one_out  # noqa: E402
from morec_pareto.metrics.accuracy import ranking_metrics, target_ranks  # noqa: E402
from morec_pareto.models.recommender import build_recommender  # noqa: E402
from morec_pareto.pipeline import load_data  # noqa: E402
from morec_pareto.training.scoring import score_table  # noqa: E402
from morec_pareto.types import Split  # noqa: E402

PROTOCOLS = {"accuracy": "not masked", "accuracy_masked": "masked"}


def ndcg(ranks: np.ndarray, k: int = 10) -> np.ndarray:
    """Per-user NDCG@k of one target from 0-based ranks."""
    return np.where(ranks < k, 1.0 / np.log2(ranks + 2.0), 0.0)


def train_counts(split: Split) -> np.ndarray:
    """(I,) events of each item in the training part (each sequence less its last two events)."""
    seq = split.sequences
    n_train = split.n_history("train")
    keep = np.arange(len(seq.items)) < np.repeat(seq.offsets[:-1] + n_train, seq.lengths)
    return np.bincount(seq.items[keep], minlength=split.data.n_items)


def run_ranks(run: Path, splits: dict) -> tuple[dict[str, np.ndarray], Split, dict]:
    """Test ranks per protocol of the model saved in `run`, its split and its summary."""
    cfg = OmegaConf.load(run / ".hydra" / "config.yaml")
    key = json.dumps(OmegaConf.to_container(cfg.data, resolve=True), sort_keys=True)
    if key not in splits:
        splits[key] = leave_one_out(load_data(cfg.data))
    split = splits[key]
    payload = torch.load(run / "model.pt", weights_only=False, map_location="cpu")
    model = build_recommender(split.data, **payload["model"])
    model.load_state_dict(payload["state_dict"])
    model.eval()
    table = score_table(model, split, "test")
    ranks = {"accuracy": target_ranks(table.relevance, table.targets),
             "accuracy_masked": target_ranks(table.relevance, table.targets, table.seen)}
    summary = json.loads((run / "summary.json").read_text())
    for name, r in ranks.items():  # the re-scored model is the run's model
        block = summary[name].get("test", summary[name])  # accuracy_masked keeps test and valid apart
        saved, again = block["ndcg@10"], ranking_metrics(r)["ndcg@10"]
        if abs(saved - again) > 1e-4:
            raise ValueError(f"{run}: recomputed {name} ndcg@10 {again:.5f} differs from summary.json's {saved:.5f}")
    return ranks, split, summary


def bootstrap_diff(diffs: list[np.ndarray], n_boot: int = 10_000, seed: int = 0) -> tuple[float, float, float]:
    """Mean of the pooled per-user differences and a 95% percentile interval, resampling users within each group."""
    rng = np.random.default_rng(seed)
    sizes = np.array([len(d) for d in diffs])
    means = np.zeros(n_boot)
    for d in diffs:
        idx = rng.integers(0, len(d), size=(n_boot, len(d)))
        means += d[idx].sum(axis=1)
    means /= sizes.sum()
    point = float(np.concatenate(diffs).mean())
    lo, hi = np.percentile(means, [2.5, 97.5])
    return point, float(lo), float(hi)


def fmt(x: float) -> str:
    return f"{x:.4f}"


def main(argv: list[str] | None = None) -> str:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, required=True, help="folder holding the run folders")
    parser.add_argument("--pattern", default="{kind}_seed{seed}", help="run folder name under --root")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--max-count", type=int, default=20, help="cold: target item with at most this many training events")
    parser.add_argument("--n-boot", type=int, default=10_000)
    parser.add_argument("--out", type=Path, help="also write the table (markdown) here")
    parser.add_argument("--ranks-out", type=Path, help="also write every user's test ranks per run (CSV) here")
    args = parser.parse_args(argv)

    splits: dict = {}
    rows, pooled, columns = [], {p: [] for p in PROTOCOLS}, {}
    n_cold = None
    for seed in args.seeds:
        runs = {kind: args.root / args.pattern.format(kind=kind, seed=seed) for kind in ("base", "text")}
        if not all((r / "summary.json").is_file() for r in runs.values()):
            print(f"seed {seed}: missing {[str(r) for r in runs.values() if not (r / 'summary.json').is_file()]}, skipped")
            continue
        (base, split, base_sum), (text, _, text_sum) = (run_ranks(runs["base"], splits), run_ranks(runs["text"], splits))
        targets = split.targets("test")
        cold = train_counts(split)[targets] <= args.max_count
        n_cold = int(cold.sum())
        columns["target_train_events"] = train_counts(split)[targets]
        for kind, ranks in (("base", base), ("text", text)):
            for proto, label in PROTOCOLS.items():
                columns[f"{kind}_seed{seed}_rank_{label.replace(' ', '_')}"] = ranks[proto]
        for proto, label in PROTOCOLS.items():
            b, t = ndcg(base[proto]), ndcg(text[proto])
            diff = t[cold] - b[cold]
            pooled[proto].append(diff)
            point, lo, hi = bootstrap_diff([diff], args.n_boot, seed)
            rows.append({
                "seed": seed, "protocol": label,
                "base ndcg@10": b.mean(), "text ndcg@10": t.mean(),
                "base hit@10": (base[proto] < 10).mean(), "text hit@10": (text[proto] < 10).mean(),
                "cold base ndcg@10": b[cold].mean(), "cold text ndcg@10": t[cold].mean(),
                "cold base hit@10": (base[proto][cold] < 10).mean(), "cold text hit@10": (text[proto][cold] < 10).mean(),
                "cold diff": point, "ci": (lo, hi),
                "epochs": (base_sum["training"].get("best_epoch"), text_sum["training"].get("best_epoch")),
            })
    if not rows:
        raise SystemExit("no complete (base, text) pair of run folders")
    lines = [
        f"Test users whose target item has <= {args.max_count} training events: {n_cold} of "
        f"{len(targets)} (the same users in every seed: the split does not depend on the seed).",
        "",
        "| seed | protocol | NDCG@10 base | NDCG@10 text | Hit@10 base | Hit@10 text | cold NDCG@10 base | cold NDCG@10 text "
        "| cold Hit@10 base | cold Hit@10 text | cold NDCG@10 diff (text - base) [95% bootstrap] |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lo, hi = r["ci"]
        lines.append(
            f"| {r['seed']} | {r['protocol']} | {fmt(r['base ndcg@10'])} | {fmt(r['text ndcg@10'])} | {fmt(r['base hit@10'])} "
            f"| {fmt(r['text hit@10'])} | {fmt(r['cold base ndcg@10'])} | {fmt(r['cold text ndcg@10'])} "
            f"| {fmt(r['cold base hit@10'])} | {fmt(r['cold text hit@10'])} | {r['cold diff']:+.4f} [{lo:+.4f}, {hi:+.4f}] |"
        )
    lines += ["", "Mean over seeds (cold interval: per-user differences of all seeds, resampled within each seed):", "",
              "| protocol | seeds | NDCG@10 base | NDCG@10 text | Hit@10 base | Hit@10 text | cold NDCG@10 base "
              "| cold NDCG@10 text | cold NDCG@10 diff [95% bootstrap] |",
              "|---|---|---|---|---|---|---|---|---|"]
    for proto, label in PROTOCOLS.items():
        sel = [r for r in rows if r["protocol"] == label]
        point, lo, hi = bootstrap_diff(pooled[proto], args.n_boot, 1)
        mean = {k: float(np.mean([r[k] for r in sel])) for k in sel[0] if isinstance(sel[0][k], float)}
        lines.append(
            f"| {label} | {len(sel)} | {fmt(mean['base ndcg@10'])} | {fmt(mean['text ndcg@10'])} | {fmt(mean['base hit@10'])} "
            f"| {fmt(mean['text hit@10'])} | {fmt(mean['cold base ndcg@10'])} | {fmt(mean['cold text ndcg@10'])} "
            f"| {point:+.4f} [{lo:+.4f}, {hi:+.4f}] |"
        )
    table = "\n".join(lines)
    print(table)
    if args.ranks_out:  # 0-based test rank of each user's held-out item (rows: users in id order)
        import pandas as pd

        args.ranks_out.parent.mkdir(parents=True, exist_ok=True)
        pd.DataFrame(columns).rename_axis("user").to_csv(args.ranks_out)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(table + "\n")
    return table


if __name__ == "__main__":
    main()
