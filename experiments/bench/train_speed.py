"""Benchmark: training seconds per epoch and windows per second at the default and ml-100k size.

    python experiments/bench/train_speed.py [--ml100k DIR] [--epochs 2] [--threads N] [--out FILE]

Trains the default model (conf/model, conf/train defaults) for `--epochs` epochs on the default
synthetic data and, when `--ml100k DIR` names a folder from ../shared/data/get-ml-100k (never
downloaded here), on ml-100k with the default model and with `experiment=ml100k_accuracy`'s model.
Seconds per epoch is what summary.json reports as `training.seconds_per_epoch` (training steps plus
the per-epoch validation); windows per second counts training windows (sequences of max_len + 1 events)
over the training steps alone; CPU seconds per epoch (all threads of this process) is the number to
compare on a shared machine, where wall time depends on what else runs. Prints one line per setting
and writes the numbers to `--out`
(default: train_speed.json beside this script).
"""
from __future__ import annotations

import argparse
import platform
import time
from pathlib import Path

import torch
from hydra import compose, initialize_config_dir
from omegaconf import OmegaConf

from morec_pareto.__main__ import CONF_DIR
from morec_pareto.data.split import leave_one_out, training_windows
from morec_pareto.io import write_json
from morec_pareto.models.recommender import build_recommender
from morec_pareto.pipeline import load_data
from morec_pareto.search.selection import SelectionSettings
from morec_pareto.training import fit as fit_module


def settings(ml100k: str | None) -> dict[str, list[str]]:
    """Name -> Hydra overrides of each benchmarked setting."""
    out = {"default": []}
    if ml100k:
        data = ["data=recbole", f"data.path={ml100k}", "data.cache=false"]
        out["ml-100k default model"] = data
        out["ml-100k experiment=ml100k_accuracy"] = ["experiment=ml100k_accuracy", f"data.path={ml100k}", "data.cache=false"]
    return out


def measure(overrides: list[str], epochs: int) -> dict:
    """Train `epochs` epochs under the overrides; seconds per epoch (as summary.json) and windows per second."""
    with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
        cfg = compose("config", overrides=overrides)
    split = leave_one_out(load_data(cfg.data))
    _, train = SelectionSettings.split(OmegaConf.to_container(cfg.train, resolve=True))  # fit's keys (NDCG@10 selection)
    train.update(epochs=epochs, patience=epochs)
    model = build_recommender(split.data, **OmegaConf.to_container(cfg.model, resolve=True))
    n_windows = len(training_windows(split, model.user_encoder.max_len)[1])
    validating = [0.0]
    original = fit_module.validation_metrics

    def timed_validation(*args, **kwargs):
        start = time.perf_counter()
        out = original(*args, **kwargs)
        validating[0] += time.perf_counter() - start
        return out

    fit_module.validation_metrics = timed_validation  # to split steps from validation; restored below
    cpu = time.process_time()
    try:
        result = fit_module.fit(model, split, seed=0, progress=False, **train)
    finally:
        fit_module.validation_metrics = original
    cpu = time.process_time() - cpu
    steps = (result.train_seconds - validating[0]) / result.epochs_run
    return {
        "n_users": int(split.sequences.n_users), "n_items": int(split.data.n_items), "windows": n_windows,
        "batch_size": train["batch_size"], "epochs": result.epochs_run,
        "seconds_per_epoch": result.seconds_per_epoch, "step_seconds_per_epoch": steps,
        "validation_seconds_per_epoch": validating[0] / result.epochs_run, "windows_per_second": n_windows / steps,
        "cpu_seconds_per_epoch": cpu / result.epochs_run,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ml100k", default=None, help="folder of ml-100k's atomic files; omitted = synthetic only")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's own)")
    parser.add_argument("--out", type=Path, default=Path(__file__).with_suffix(".json"))
    args = parser.parse_args()
    if args.ml100k and not (Path(args.ml100k) / "ml-100k.inter").exists():
        parser.error(f"--ml100k {args.ml100k}: no ml-100k.inter there (get it with ../shared/data/get-ml-100k DIR)")
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    record = {"torch": torch.__version__, "threads": torch.get_num_threads(), "machine": platform.processor(),
              "epochs": args.epochs, "results": {}}
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, {args.epochs} epochs each")
    for name, overrides in settings(args.ml100k).items():
        r = measure(overrides, args.epochs)
        record["results"][name] = r
        print(f"{name:<36} {r['n_items']:>5} items {r['windows']:>6} windows  {r['seconds_per_epoch']:6.2f} s/epoch "
              f"({r['step_seconds_per_epoch']:.2f} steps + {r['validation_seconds_per_epoch']:.2f} validation)  "
              f"{r['windows_per_second']:7.1f} windows/s  {r['cpu_seconds_per_epoch']:6.2f} CPU s/epoch")
    if not args.ml100k:
        print("ml-100k: skipped (pass --ml100k DIR)")
    write_json(record, args.out)
    print(f"written: {args.out}")


if __name__ == "__main__":
    main()
