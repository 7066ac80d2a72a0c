"""The search before and after its move to float32 torch and pruned tables, on one trained model.

    python experiments/bench/eval_precision.py RUN_DIR [--baseline-rev 43bb915]

Re-runs RUN_DIR's search (same model, seed, strategy, budget and reference point) twice: with the
numpy float64 policies of `--baseline-rev` (the evaluation before issue 10) and with today's float32
evaluator on K-skyband-pruned tables, then re-scores each front on test with its own evaluation. Prints validation and test
hypervolume and search seconds of each, so the change of evaluation is measured apart from training.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import torch
from omegaconf import OmegaConf

sys.path.insert(0, str(Path(__file__).resolve().parent))
from population_eval import baseline_evaluate, load_baseline_policies  # noqa: E402

import morec_pareto.search.run as search_run  # noqa: E402
from morec_pareto.data.split import leave_one_out  # noqa: E402
from morec_pareto.models.recommender import build_recommender  # noqa: E402
from morec_pareto.objectives.task import eval_users  # noqa: E402
from morec_pareto.pipeline import load_data  # noqa: E402
from morec_pareto.report.indicators import hypervolume, nondominated_mask  # noqa: E402
from morec_pareto.run_config import policy_from_run_config  # noqa: E402
from morec_pareto.search.algorithms import NSGA2Search  # noqa: E402
from morec_pareto.search.problem import PopulationEvaluator  # noqa: E402
from morec_pareto.training.scoring import stage_data  # noqa: E402


class BaselineEvaluator:
    """The pre-issue-10 evaluation (numpy float64 policy, chunks of users) behind PopulationEvaluator's interface."""

    def __init__(self, module, policy, objectives, max_elements: int = 2**25) -> None:
        self.old = module.POLICIES[_name(policy)](k=policy.k, mask_seen=policy.mask_seen)
        self.policy, self.objectives, self.max_elements, self.table_seconds = policy, tuple(objectives), max_elements, 0.0

    def __call__(self, X, data, objectives=None):
        names = self.objectives if objectives is None else tuple(objectives)
        return baseline_evaluate(self.old, X, data, names, self.max_elements)


def _name(policy) -> str:
    from morec_pareto.ranking.policies import POLICIES

    return next(name for name, cls in POLICIES.items() if type(policy) is cls)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run_dir", type=Path)
    parser.add_argument("--baseline-rev", default="43bb915")
    args = parser.parse_args()
    cfg = OmegaConf.load(args.run_dir / ".hydra" / "config.yaml")
    summary = OmegaConf.to_container(OmegaConf.load(args.run_dir / "summary.json"))
    payload = torch.load(args.run_dir / "model.pt", weights_only=False, map_location="cpu")
    split = leave_one_out(load_data(cfg.data))
    model = build_recommender(split.data, **payload["model"])
    model.load_state_dict(payload["state_dict"])
    model.eval()
    users = eval_users(split, int(cfg.objectives.max_users), int(cfg.seed))
    valid, test = stage_data(model, split, "valid", users), stage_data(model, split, "test", users)
    objectives, k = tuple(summary["objectives"]), int(summary["k"])
    mask_seen, ref = bool(summary["mask_seen"]), np.asarray(summary["reference_point"], float)
    policy = policy_from_run_config(cfg, k, mask_seen)
    search = NSGA2Search(pop_size=int(cfg.search.pop_size), n_gen=int(cfg.search.n_gen))
    module = load_baseline_policies(args.baseline_rev)
    if module is None:
        raise SystemExit(f"git revision {args.baseline_rev} is not available")
    factories = {"before (numpy float64)": lambda policy, objs, *a: BaselineEvaluator(module, policy, objs),
                 "after (float32, pruned)": PopulationEvaluator}
    print(f"{args.run_dir}: {summary['strategy']}, seed {cfg.seed}, budget {cfg.search.pop_size} x {cfg.search.n_gen}, "
          f"reference point {np.round(ref, 4).tolist()}")
    for label, factory in factories.items():
        search_run.PopulationEvaluator = factory
        result = search_run.run_search(search, policy, valid, objectives, ref, seed=int(cfg.seed), progress=False)
        front = np.flatnonzero(nondominated_mask(result.F))
        test_F = factory(policy, objectives)(result.X[front], test)
        print(f"  {label:<24} valid HV {hypervolume(result.F[front], ref):8.3f}  test HV {hypervolume(test_F, ref):8.3f}  "
              f"front {len(front):3d}  search {result.seconds:6.1f} s")


if __name__ == "__main__":
    main()
