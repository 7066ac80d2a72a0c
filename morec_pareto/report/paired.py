"""`python -m morec_pareto.report.paired RUN_A RUN_B`: per-user bootstrap CI of HV(A) - HV(B) on one model.

Both runs must rank from the same trained model (same data, same weights: e.g. `strategy=weighted`
and `strategy=non_weighted` at one seed, which train identically). Their fronts' policies are
re-scored user by user on the chosen stage and the users are resampled (see `report.bootstrap`).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import torch
from omegaconf import DictConfig, OmegaConf

from morec_pareto.data.split import leave_one_out
from morec_pareto.io import write_json
from morec_pareto.models.recommender import build_recommender
from morec_pareto.objectives.task import eval_users
from morec_pareto.pipeline import load_data
from morec_pareto.report.bootstrap import hv_difference_ci, per_user_objectives
from morec_pareto.report.collect import ReportError
from morec_pareto.report.io import RunRecord, load_run
from morec_pareto.run_config import policy_from_run_config, trains_several_models
from morec_pareto.training.scoring import stage_data


def _load(path: Path) -> tuple[RunRecord, dict]:
    try:
        run = load_run(path)
    except (FileNotFoundError, ValueError) as err:
        raise ReportError(str(err).splitlines()[0]) from err
    if run.config is None or not (path / "model.pt").is_file():
        raise ReportError(f"{path}: needs .hydra/config.yaml and model.pt (the fixed model to re-score)")
    return run, torch.load(path / "model.pt", weights_only=False)


def _config(run: RunRecord) -> DictConfig:
    """The saved config of a run `_load` accepted (it refuses a run without one)."""
    assert run.config is not None, f"{run.path}: no .hydra/config.yaml"
    return run.config


def _check_same_model(a: tuple[RunRecord, dict], b: tuple[RunRecord, dict]) -> None:
    (run_a, model_a), (run_b, model_b) = a, b
    for run in (run_a, run_b):
        if trains_several_models(_config(run)):
            raise ReportError(f"{run.path}: strategy trains several models; a per-user bootstrap needs one fixed model")
    if OmegaConf.to_container(_config(run_a).data) != OmegaConf.to_container(_config(run_b).data):
        raise ReportError(f"{run_b.path}: data config differs from {run_a.path}")
    sa, sb = model_a["state_dict"], model_b["state_dict"]
    if sa.keys() != sb.keys() or not all(torch.equal(sa[k], sb[k]) for k in sa):
        raise ReportError(f"{run_b.path}: model weights differ from {run_a.path}; the runs must share one trained model")


def paired_bootstrap(path_a: Path, path_b: Path, stage: str = "test", n_resamples: int = 2000,
                     confidence: float = 0.95, seed: int = 0) -> dict:
    """Re-score both runs' fronts per user on `stage` and bootstrap HV(A) - HV(B) over users."""
    a, b = _load(path_a), _load(path_b)
    _check_same_model(a, b)
    run_a, payload = a
    cfg = _config(run_a)
    split = leave_one_out(load_data(cfg.data))
    users = eval_users(split, int(cfg.objectives.max_users), int(cfg.seed))
    model = build_recommender(split.data, **payload["model"])
    model.load_state_dict(payload["state_dict"])
    data = stage_data(model, split, stage, users)
    objectives = tuple(run_a.summary["objectives"])
    per_user = []
    for run in (run_a, b[0]):
        mask_seen = bool(run.summary.get("mask_seen", True))
        policy = policy_from_run_config(_config(run), int(run.summary["k"]), mask_seen, data=data)
        X = run.front[list(policy.var_names)].to_numpy(float)
        per_user.append(per_user_objectives(policy, X, data, objectives))
    ref = np.asarray(run_a.summary["reference_point"], dtype=float)
    result = hv_difference_ci(per_user[0], per_user[1], ref, confidence, n_resamples, seed, objectives=objectives)
    return {"run_a": str(path_a), "run_b": str(path_b), "stage": stage, "objectives": list(objectives),
            "reference_point": ref.tolist(), **result}


def main(argv: list[str] | None = None) -> int:
    """Entry point; prints the interval and writes it to --out as JSON (2 on bad input)."""
    p = argparse.ArgumentParser(prog="python -m morec_pareto.report.paired", description=__doc__.split(":", 1)[1])
    p.add_argument("run_a", type=Path)
    p.add_argument("run_b", type=Path)
    p.add_argument("--stage", choices=["valid", "test"], default="test")
    p.add_argument("--n-resamples", type=int, default=2000)
    p.add_argument("--confidence", type=float, default=0.95)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", type=Path, help="JSON file to write the result to")
    args = p.parse_args(argv)
    try:
        result = paired_bootstrap(args.run_a, args.run_b, args.stage, args.n_resamples, args.confidence, args.seed)
    except ReportError as err:
        print(f"paired bootstrap: error: {err}", file=sys.stderr)
        return 2
    print(f"HV(A) {result['hv_a']:.5g} - HV(B) {result['hv_b']:.5g} = {result['difference']:.5g}, "
          f"{100 * args.confidence:g}% {result['method']} CI [{result['ci_low']:.5g}, {result['ci_high']:.5g}] "
          f"over {result['n_users']} users ({args.stage})")
    if args.out:
        write_json(result, args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
