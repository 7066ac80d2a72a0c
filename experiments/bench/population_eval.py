"""Benchmark: one vectorised pass over a population vs a per-candidate loop, side by side in one run.

    python experiments/bench/population_eval.py [--users 1000] [--items 1700] [--pop 40]

Prints seconds per generation for both and their ratio (same inputs, same results asserted).
"""
from __future__ import annotations

import argparse
import time

import numpy as np

from morec_pareto.ranking.policies import POLICIES
from morec_pareto.search.problem import evaluate_population
from morec_pareto.types import StageData


def random_stage(n_users: int, n_items: int, seed: int = 0) -> StageData:
    rng = np.random.default_rng(seed)
    return StageData(
        relevance=rng.normal(size=(n_users, n_items)).astype(np.float32),
        purchase=rng.uniform(0.01, 0.5, size=(n_users, n_items)).astype(np.float32),
        seen=rng.random((n_users, n_items)) < 0.05, targets=rng.integers(0, n_items, n_users),
        target_bought=rng.random(n_users) < 0.3, price=rng.lognormal(3.4, 0.8, n_items),
        true_click=rng.uniform(0, 1, size=(n_users, n_items)).astype(np.float32),
        true_buy=rng.uniform(0, 0.2, size=(n_users, n_items)).astype(np.float32),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--items", type=int, default=1700)
    parser.add_argument("--pop", type=int, default=40)
    args = parser.parse_args()
    data = random_stage(args.users, args.items)
    objectives = ("oracle_ndcg", "oracle_revenue")
    print(f"{args.pop} candidates x {args.users} users x {args.items} items")
    for name, cls in POLICIES.items():
        policy = cls(k=10)
        X = np.random.default_rng(1).uniform(*policy.bounds, size=(args.pop, len(policy.variables)))
        start = time.perf_counter()
        batched = evaluate_population(policy, X, data, objectives)
        t_batched = time.perf_counter() - start
        start = time.perf_counter()
        looped = np.concatenate([evaluate_population(policy, x[None], data, objectives) for x in X])
        t_loop = time.perf_counter() - start
        np.testing.assert_allclose(batched, looped, rtol=1e-9)
        print(f"{name:<20} batched {t_batched:7.2f} s   per-candidate loop {t_loop:7.2f} s   ratio {t_loop / t_batched:5.2f}x")


if __name__ == "__main__":
    main()
