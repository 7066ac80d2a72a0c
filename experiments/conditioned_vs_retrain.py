"""Issue 14, item 3: does one preference-conditioned model reach >= 97 % of the retrain-per-weight front's
test hypervolume at <= 1/10 of its training epochs? Paired by seed, with a BCa bootstrap interval.

Reads run folders of the two strategies (e.g. `experiments/flagship/run.sh` with STRATEGIES=conditioned and
EXTRA="train.selection=hypervolume ...", and STRATEGIES=train_weights_full; or `morec-pareto -m
experiment=conditioned_vs_retrain`), scores every front as the report does (`report.collect`: one reference
point derived from every compared point, nadir minus 10 % of the range; IGD+ against the non-dominated
union of all compared test fronts, objectives divided by the union's range) and pairs the runs by seed.

The headline is the ratio of mean test hypervolumes, conditioned / retrain, with a BCa bootstrap 95 %
interval over the seed pairs (pairs resampled together). The bar is met when the interval's lower bound is
>= 0.97 and the conditioned side trained <= 1/10 of the retrain side's epochs (warm-start epochs count).

    python experiments/conditioned_vs_retrain.py DIR... [--conditioned conditioned] [--retrain train_weights_full]
        [--out OUT]   # OUT/pairs.csv (one row per seed), OUT/result.json (ratio, interval, verdict),
                      # OUT/pairs.{png,pdf} (per-seed test HV and ratios) and OUT/attainment_test.{png,pdf}
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import matplotlib.pyplot as plt  # headless machines fall back to Agg, as in the report
import numpy as np
import pandas as pd
from scipy import stats

from morec_pareto.io import write_csv, write_json
from morec_pareto.report.collect import Collection, ReportError, collect
from morec_pareto.report.figures import STYLE, attainment_figure
from morec_pareto.report.plots import save_figure

HV_BAR, COMPUTE_BAR, SEEDS_WANTED = 0.97, 0.10, 10
PER_RUN = {"test_hypervolume": "test HV", "test_igd_plus": "test IGD+", "test_hv_best_point_share": "best-pt share",
           "train_epochs": "epochs", "train_seconds": "seconds"}


def paired_table(paths: list[str], conditioned: str, retrain: str) -> pd.DataFrame:
    """One row per seed that has both strategies: each side's indicators and compute, and their ratios.

    `attrs` holds the shared reference point and how it was chosen.
    """
    return paired_runs(paths, conditioned, retrain)[1]


def paired_runs(paths: list[str], conditioned: str, retrain: str) -> tuple[Collection, pd.DataFrame]:
    """The two strategies' runs as the report collects them, and `paired_table`'s table of them."""
    collection = collect(paths, strategies=(conditioned, retrain))
    runs = collection.table.assign(
        train_epochs=[float(r.summary.get("train_epochs", np.nan)) for r in collection.runs],
        train_seconds=[float(r.summary.get("train_seconds", np.nan)) for r in collection.runs],
    )
    if runs.duplicated(["strategy", "seed"]).any():
        dup = runs[runs.duplicated(["strategy", "seed"], keep=False)]
        raise ReportError(f"two runs of one strategy and seed: {', '.join(dup['run_dir'])}")
    wide = runs.pivot(index="seed", columns="strategy", values=list(PER_RUN))
    missing = [s for s in (conditioned, retrain) if s not in wide.columns.get_level_values(1)]
    if missing:
        raise ReportError(f"no {' or '.join(missing)} runs under {', '.join(paths)}")
    wide = wide.dropna(subset=[(m, s) for m in ("test_hypervolume", "train_epochs") for s in (conditioned, retrain)])
    table = pd.DataFrame(index=wide.index)
    for side in (conditioned, retrain):
        for metric, name in PER_RUN.items():
            table[f"{side} {name}"] = wide[(metric, side)]
    table["HV ratio"] = table[f"{conditioned} test HV"] / table[f"{retrain} test HV"]
    table["epochs ratio"] = table[f"{conditioned} epochs"] / table[f"{retrain} epochs"]
    table["seconds ratio"] = table[f"{conditioned} seconds"] / table[f"{retrain} seconds"]
    table.attrs.update(reference_point=collection.reference_point, reference_source=collection.reference_source)
    return collection, table


def bca_interval(statistic, *samples: np.ndarray, confidence: float = 0.95, n_resamples: int = 9999,
                 seed: int = 0) -> tuple[float, float]:
    """BCa bootstrap interval of a vectorised `statistic(*samples, axis)` over pairs resampled together; NaN below 3."""
    if len(samples[0]) < 3:
        return float("nan"), float("nan")
    result = stats.bootstrap(tuple(np.asarray(x, float) for x in samples), statistic, paired=True, vectorized=True,
                             confidence_level=confidence, n_resamples=n_resamples, method="BCa",
                             random_state=np.random.default_rng(seed))
    return float(result.confidence_interval.low), float(result.confidence_interval.high)


def ratio_of_means_interval(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    """BCa bootstrap 95 % interval of mean(a) / mean(b) over pairs (a_i, b_i); NaN below 3 pairs."""
    return bca_interval(lambda x, y, axis=-1: x.mean(axis=axis) / y.mean(axis=axis), a, b)


def verdict(table: pd.DataFrame, conditioned: str, retrain: str) -> dict:
    """The headline numbers of the paired table and whether the bar is met (result.json's content)."""
    hv_c, hv_r = table[f"{conditioned} test HV"].to_numpy(), table[f"{retrain} test HV"].to_numpy()
    igd_c, igd_r = table[f"{conditioned} test IGD+"].to_numpy(), table[f"{retrain} test IGD+"].to_numpy()
    low, high = ratio_of_means_interval(hv_c, hv_r)
    igd_low, igd_high = bca_interval(lambda d, axis=-1: d.mean(axis=axis), igd_c - igd_r)
    epochs_ratio = float(table[f"{conditioned} epochs"].sum() / table[f"{retrain} epochs"].sum())
    wilcoxon_p = float(stats.wilcoxon(hv_c - hv_r).pvalue) if len(table) >= 2 and np.any(hv_c != hv_r) else 1.0
    met = bool(np.isfinite(low) and low >= HV_BAR and epochs_ratio <= COMPUTE_BAR)
    return {
        "conditioned": conditioned, "retrain": retrain, "n_pairs": len(table), "seeds": [int(s) for s in table.index],
        "reference_point": [float(v) for v in table.attrs["reference_point"]],
        "reference_source": table.attrs["reference_source"],
        "hv_ratio": float(hv_c.mean() / hv_r.mean()), "hv_ratio_ci95_bca": [low, high],
        "hv_conditioned_mean": float(hv_c.mean()), "hv_retrain_mean": float(hv_r.mean()),
        "hv_wilcoxon_p": wilcoxon_p,
        "igd_plus_conditioned_mean": float(igd_c.mean()), "igd_plus_retrain_mean": float(igd_r.mean()),
        "igd_plus_difference_ci95_bca": [igd_low, igd_high],
        "epochs_conditioned_mean": float(table[f"{conditioned} epochs"].mean()),
        "epochs_retrain_mean": float(table[f"{retrain} epochs"].mean()),
        "epochs_ratio": epochs_ratio,
        "seconds_ratio": float(table[f"{conditioned} seconds"].sum() / table[f"{retrain} seconds"].sum()),
        "hv_bar": HV_BAR, "compute_bar": COMPUTE_BAR, "bar_met": met, "complete": len(table) >= SEEDS_WANTED,
    }


def pairs_figure(table: pd.DataFrame, result: dict) -> plt.Figure:
    """Left: each seed's test HV of the two sides. Right: each pair's HV ratio, the ratio of means, its BCa
    interval and the bar."""
    conditioned, retrain = result["conditioned"], result["retrain"]
    seeds = table.index.to_numpy()
    with plt.rc_context(STYLE):
        fig, (left, right) = plt.subplots(1, 2, figsize=(8.0, 2.6))
        for column, marker, label in ((f"{retrain} test HV", "s", retrain), (f"{conditioned} test HV", "o", conditioned)):
            left.plot(seeds, table[column], marker, ms=4, label=label)
        left.vlines(seeds, table[f"{conditioned} test HV"], table[f"{retrain} test HV"], color="0.7", lw=0.8)
        left.set(xlabel="seed", ylabel="test hypervolume", xticks=seeds)
        left.legend(frameon=False, fontsize="small")
        right.plot(seeds, table["HV ratio"], "o", ms=4, color="0.2", label="per pair")
        low, high = result["hv_ratio_ci95_bca"]
        right.axhline(result["hv_ratio"], color="C0", lw=1.2, label=f"ratio of means {result['hv_ratio']:.3f}")
        if np.isfinite(low):
            right.axhspan(low, high, color="C0", alpha=0.15, lw=0, label=f"BCa 95 % [{low:.3f}, {high:.3f}]")
        right.axhline(result["hv_bar"], color="C3", ls="--", lw=1.0, label=f"bar {result['hv_bar']}")
        right.set(xlabel="seed", ylabel=f"test HV ratio ({conditioned} / {retrain})", xticks=seeds)
        right.set_title(f"epochs ratio {result['epochs_ratio']:.3f} (bar {result['compute_bar']})", fontsize="small")
        right.legend(frameon=False, fontsize="x-small", loc="upper left", bbox_to_anchor=(1.01, 1.0))
        fig.tight_layout()
    return fig


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="+", help="run folders or folders holding them")
    parser.add_argument("--conditioned", default="conditioned", help="summary strategy of the one-model side")
    parser.add_argument("--retrain", default="train_weights_full", help="summary strategy of the retrain side")
    parser.add_argument("--out", type=Path, help="write pairs.csv, result.json and the two figures here")
    args = parser.parse_args(argv)
    try:
        collection, table = paired_runs(args.paths, args.conditioned, args.retrain)
    except ReportError as err:
        sys.exit(f"conditioned_vs_retrain: {err}")
    if table.empty:
        sys.exit(f"conditioned_vs_retrain: no seed has both a {args.conditioned} and a {args.retrain} run")
    result = verdict(table, args.conditioned, args.retrain)
    with pd.option_context("display.float_format", "{:.4g}".format, "display.width", 250, "display.max_columns", None):
        print(table)
    ref = ", ".join(f"{v:.4g}" for v in result["reference_point"])
    low, high = result["hv_ratio_ci95_bca"]
    igd_low, igd_high = result["igd_plus_difference_ci95_bca"]
    print(f"\nReference point ({ref}): {result['reference_source']}.")
    print(f"{result['n_pairs']} seeds paired. Test HV ratio (mean {args.conditioned} / mean {args.retrain}) "
          f"{result['hv_ratio']:.3f}, BCa 95% [{low:.3f}, {high:.3f}] (bar: lower bound >= {HV_BAR}); "
          f"Wilcoxon p {result['hv_wilcoxon_p']:.3g}.")
    print(f"Test IGD+ vs the union front: {result['igd_plus_conditioned_mean']:.4g} vs "
          f"{result['igd_plus_retrain_mean']:.4g}, mean difference BCa 95% [{igd_low:.3g}, {igd_high:.3g}].")
    print(f"Training epochs {result['epochs_conditioned_mean']:.1f} vs {result['epochs_retrain_mean']:.1f}: ratio "
          f"{result['epochs_ratio']:.3f} (bar <= {COMPUTE_BAR}); seconds ratio {result['seconds_ratio']:.3f}.")
    print("bar met" if result["bar_met"] else "bar NOT met",
          "" if result["complete"] else f"(only {result['n_pairs']} of {SEEDS_WANTED} seeds)")
    if args.out is not None:
        write_csv(table.reset_index(), args.out / "pairs.csv")
        write_json(result, args.out / "result.json")
        save_figure(pairs_figure(table, result), args.out / "pairs")
        save_figure(attainment_figure(collection, test=True), args.out / "attainment_test")


if __name__ == "__main__":
    main()
