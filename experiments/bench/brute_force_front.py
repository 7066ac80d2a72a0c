"""NSGA-II's front against a brute-force front over the same policy family (dense grid), one shared reference point.

The reference point is the nadir of both fronts minus 10% of their range (the report's rule), where the
hypervolume weighs the trade-off; each front's best-point share and the best single grid point's HV
are printed beside it.

    python experiments/bench/brute_force_front.py [--size tiny] [--grid 21 9 9 9] [--pop 40] [--gen 20]

Trains a model on synthetic data, then prints both hypervolumes (oracle objectives, validation), their
ratio, and the evaluations and seconds each needed.
"""
from __future__ import annotations

import argparse
import time

import numpy as np
import torch

from morec_pareto.data.split import leave_one_out
from morec_pareto.data.synthetic import simulate
from morec_pareto.models.recommender import build_recommender
from morec_pareto.ranking.policies import WeightedPolicy
from morec_pareto.report.indicators import best_point_share, hypervolume, nadir_reference_point, nondominated_mask
from morec_pareto.search.algorithms import NSGA2Search, dense_grid
from morec_pareto.search.problem import evaluate_population
from morec_pareto.search.run import run_search
from morec_pareto.training.fit import fit
from morec_pareto.training.scoring import stage_data

ORACLE = ("oracle_ndcg", "oracle_revenue")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="tiny")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--grid", type=int, nargs=4, default=[21, 9, 9, 9])
    parser.add_argument("--pop", type=int, default=40)
    parser.add_argument("--gen", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    torch.manual_seed(args.seed)
    split = leave_one_out(simulate(args.size, seed=0))
    model = build_recommender(split.data, max_len=20 if args.size == "tiny" else 50, d_model=32 if args.size == "tiny" else 64)
    fit(model, split, {"satisfaction": 1.0, "revenue": 1.0}, epochs=args.epochs, seed=args.seed, progress=False)
    valid = stage_data(model, split, "valid")
    ref = np.zeros(2)  # only for the search's history; the comparison below derives its own point
    policy = WeightedPolicy(k=10)
    start = time.perf_counter()
    result = run_search(NSGA2Search(pop_size=args.pop, n_gen=args.gen), policy, valid, ORACLE, ref, seed=args.seed,
                        progress=False)
    t_nsga = time.perf_counter() - start
    grid = dense_grid(policy, tuple(args.grid))
    start = time.perf_counter()
    F = np.concatenate([evaluate_population(policy, X, valid, ORACLE) for X in np.array_split(grid, max(1, len(grid) // 1000))])
    t_grid = time.perf_counter() - start
    front_nsga, front_grid = result.F[result.front_mask], F[nondominated_mask(F)]
    ref = nadir_reference_point(np.vstack([front_nsga, front_grid]), 0.1)
    hv_nsga, hv_grid = hypervolume(front_nsga, ref), hypervolume(front_grid, ref)
    best_single = max(hypervolume(p[None], ref) for p in front_grid)
    print(f"reference point {ref.round(5).tolist()} (nadir of both fronts minus 10% of their range)")
    print(f"NSGA-II     {len(result.F):6d} evaluations {t_nsga:7.1f} s  hypervolume {hv_nsga:.5f}  "
          f"best-point share {best_point_share(front_nsga, ref):.3f}")
    print(f"brute force {len(grid):6d} evaluations {t_grid:7.1f} s  hypervolume {hv_grid:.5f}  "
          f"best-point share {best_point_share(front_grid, ref):.3f}")
    print(f"ratio {hv_nsga / hv_grid:.4f} of the brute-force hypervolume with {len(result.F) / len(grid):.3f} of its "
          f"evaluations; {hv_nsga / best_single:.2f}x the best single grid point's")


if __name__ == "__main__":
    main()
