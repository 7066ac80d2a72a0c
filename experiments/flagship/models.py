"""The trained models behind a flagship comparison: per strategy, the kept model's accuracy and training losses.

    .venv/bin/python experiments/flagship/models.py RUNS_DIR [--out FILE.csv]

RUNS_DIR is a folder of kept runs (`experiments/results/flagship/<data>/<strategy>_seed<S>/`, as run.sh writes
them). Prints a Markdown table, one row per strategy (medians over its seeds): NDCG@10 of the kept model on
validation and on test (the summary's `accuracy`, full ranking), both training losses at the kept epoch
(`training_history.csv`; "–" where a run kept none), the epoch kept, and the training epochs and seconds the run
counts. Strategies whose every run reused another's training (`training.reused_from`: same seed, same loss)
have no row of their own; a line under the table names them. This says where a strategy's front starts from:
a ranking stage can only trade off what its model's two heads learned.

What `accuracy` measures depends on the model: the weighted-sum model itself; a preference-conditioned model at
preference (1, 0) (satisfaction only); per-weight retraining (`train_weights`): its warm-start model, the one
trained before the per-weight levels.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import pandas as pd


def model_rows(runs_dir: Path) -> pd.DataFrame:
    """One row per run folder with a summary.json below `runs_dir`: strategy, seed and the model's numbers."""
    rows = []
    for summary_path in sorted(runs_dir.glob("*/summary.json")):
        summary = json.loads(summary_path.read_text())
        training = summary.get("training") or {}
        accuracy = summary.get("accuracy") or {}
        row = {"strategy": summary["strategy"], "seed": summary["seed"],
               "valid NDCG@10": (accuracy.get("valid") or {}).get("ndcg@10"), "test NDCG@10": accuracy.get("ndcg@10"),
               "kept epoch": training.get("best_epoch"), "train epochs": summary.get("train_epochs"),
               "train seconds": summary.get("train_seconds"), "shared": training.get("reused_from") is not None}
        history_path = summary_path.parent / "training_history.csv"
        history = pd.read_csv(history_path).set_index("epoch") if history_path.is_file() else None
        if history is not None and training.get("best_epoch") in history.index:
            kept = history.loc[training["best_epoch"]]
            row["satisfaction loss"], row["revenue loss"] = kept.get("loss_satisfaction"), kept.get("loss_revenue")
        rows.append(row)
    if not rows:
        raise SystemExit(f"{runs_dir}: no run folders with a summary.json")
    return pd.DataFrame(rows)


def sharing_strategies(rows: pd.DataFrame) -> list[str]:
    """Strategies none of whose runs trained a model of their own."""
    shared = rows.groupby("strategy")["shared"].all()
    return sorted(shared.index[shared])


def model_table(rows: pd.DataFrame) -> pd.DataFrame:
    """Medians per strategy that trains its own models (best test NDCG@10 first)."""
    rows = rows[~rows["strategy"].isin(sharing_strategies(rows))]
    numbers = ["valid NDCG@10", "test NDCG@10", "satisfaction loss", "revenue loss", "kept epoch", "train epochs",
               "train seconds"]
    numbers = [c for c in numbers if c in rows]
    table = rows.groupby("strategy")[numbers].median()
    table.insert(0, "seeds", rows.groupby("strategy")["seed"].nunique())
    return table.sort_values("test NDCG@10", ascending=False)


def markdown(table: pd.DataFrame) -> str:
    """The table as Markdown: NDCG to 4 decimals, losses to 3, epochs and seconds whole."""
    formats = {"seeds": "{:.0f}", "valid NDCG@10": "{:.4f}", "test NDCG@10": "{:.4f}", "satisfaction loss": "{:.3f}",
               "revenue loss": "{:.3f}", "kept epoch": "{:g}", "train epochs": "{:g}", "train seconds": "{:.0f}"}
    columns = ["strategy", *table.columns]
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for strategy, row in table.iterrows():
        cells = [str(strategy)] + [(formats[c].format(row[c]) if pd.notna(row[c]) else "–") if c in formats else str(row[c])
                                   for c in table.columns]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs_dir", type=Path, help="folder of kept runs, e.g. experiments/results/flagship/ml100k")
    parser.add_argument("--out", type=Path, default=None, help="also write the per-strategy medians as CSV")
    args = parser.parse_args()
    if not args.runs_dir.is_dir():
        parser.error(f"{args.runs_dir}: not a folder")
    rows = model_rows(args.runs_dir)
    table = model_table(rows)
    print(markdown(table))
    print("\nMedians over seeds. Reusing another strategy's training (same seed, same loss), so no row of their "
          f"own: {', '.join(sharing_strategies(rows)) or 'none'}")
    if args.out is not None:
        tmp = args.out.with_suffix(args.out.suffix + ".tmp")
        table.to_csv(tmp)
        tmp.replace(args.out)
        print(f"written: {args.out}")


if __name__ == "__main__":
    main()
