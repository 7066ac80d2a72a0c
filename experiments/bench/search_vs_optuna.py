"""Benchmark: our NSGA-II (pymoo, whole population per pass, pruned tables) vs Optuna's NSGAIISampler.

    pip install -e .[bench]
    python experiments/bench/search_vs_optuna.py [--users 1000] [--items 1700] [--pop 100] [--gens 50]
                                                 [--seeds 0 1 2 3 4] [--out experiments/bench/search_vs_optuna.json]

The same objective (mean oracle NDCG@10 and oracle expected revenue@10 of the weighted policy's lists
on random score tables) and the same budget (pop x gens evaluations) for three searches, per seed:

- `ours`: `search.run.run_search` as the main job runs it (pymoo NSGA-II, the whole population in one
  batched pass on K-skyband-pruned tables; the pruning is inside the wall time);
- `optuna_dense`: Optuna's NSGAIISampler (same population size) driving a careful float32 torch
  dense evaluation one trial at a time in process: the code a user would write (the headline ratio);
- `optuna_pruned`: the same sampler driving our pruned evaluator one trial at a time (its table
  built once beforehand, outside the timings), which isolates Optuna's own per-trial overhead.

Hypervolume is measured at one reference point fixed for the whole comparison by the report's
rule (the nadir of every point of every compared front minus 10 % of their range, so every run's
points count). Prints wall time, hypervolume and hypervolume per second (means over seeds) and the
ratios, then an anytime reading of the same runs: the search seconds after which our front of every
evaluation so far first reaches the hypervolume `optuna_dense` ends with (same seed); writes the JSON.
Run it alone on the machine. `BENCH_THREADS` (default 1) sets torch's threads for all three; the
committed JSON is at 2, this machine's cores.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from population_eval import DenseLoop, random_stage  # noqa: E402

from morec_pareto.io import write_json  # noqa: E402
from morec_pareto.ranking.policies import WeightedPolicy  # noqa: E402
from morec_pareto.report.indicators import hypervolume, nadir_reference_point, nondominated_mask  # noqa: E402
from morec_pareto.search.algorithms import NSGA2Search  # noqa: E402
from morec_pareto.search.problem import PopulationEvaluator  # noqa: E402
from morec_pareto.search.run import run_search  # noqa: E402

OBJECTIVES = ("oracle_ndcg", "oracle_revenue")


def run_ours(data, pop: int, gens: int, seed: int) -> tuple[np.ndarray, float, list[tuple[float, np.ndarray]]]:
    """All evaluations, wall seconds and per generation (search seconds so far, that generation's points)."""
    start = time.perf_counter()
    result = run_search(NSGA2Search(pop_size=pop, n_gen=gens, prune=True), WeightedPolicy(k=10), data, OBJECTIVES,
                        np.zeros(2), seed=seed, progress=False)
    seconds = time.perf_counter() - start
    trace = [(row["seconds"], result.F[result.generation == row["generation"]]) for row in result.history]
    return result.F, seconds, trace


def time_to_target(trace: list[tuple[float, np.ndarray]], ref: np.ndarray, target: float) -> tuple[float, int] | None:
    """(search seconds, generations) at which the front of every evaluation so far first reaches `target` HV."""
    so_far = np.empty((0, ref.size))
    for generation, (seconds, F) in enumerate(trace, start=1):
        so_far = np.vstack([so_far, F])
        if hypervolume(so_far[nondominated_mask(so_far)], ref) >= target:
            return seconds, generation
    return None


def run_optuna(data, pop: int, gens: int, seed: int, evaluate) -> tuple[np.ndarray, float]:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    policy = WeightedPolicy(k=10)
    lower, upper = policy.bounds
    start = time.perf_counter()
    study = optuna.create_study(directions=["maximize", "maximize"],
                                sampler=optuna.samplers.NSGAIISampler(population_size=pop, seed=seed))

    def objective(trial) -> tuple[float, float]:
        x = np.array([[trial.suggest_float(v.name, lo, hi) for v, lo, hi in zip(policy.variables, lower, upper)]])
        return tuple(float(f) for f in evaluate(x)[0])

    study.optimize(objective, n_trials=pop * gens)
    F = np.array([t.values for t in study.trials])
    return F, time.perf_counter() - start


def anytime(runs: dict[str, list[dict]], traces: dict[int, list[tuple[float, np.ndarray]]], ref: np.ndarray,
            table: dict[str, dict]) -> None:
    """Time to target: when our search's front of all evaluations so far first reaches the hypervolume Optuna's
    `optuna_dense` run of the same seed ends with, against that run's whole wall time (an anytime reading of
    the same runs; the whole-budget ratio above is the other reading)."""
    optuna = {r["seed"]: r for r in runs["optuna_dense"]}
    reached = []
    for r in runs["ours"]:
        hit = time_to_target(traces[r["seed"]], ref, optuna[r["seed"]]["hypervolume"])
        r["seconds_to_optuna_dense_hv"], r["generations_to_optuna_dense_hv"] = hit if hit else (None, None)
        if hit:
            reached.append((hit[0], optuna[r["seed"]]["seconds"]))
            print(f"  seed {r['seed']} ours reaches optuna_dense's HV {optuna[r['seed']]['hypervolume']:.4f} after "
                  f"{hit[1]} generations, {hit[0]:.2f} s (1/{optuna[r['seed']]['seconds'] / hit[0]:.1f} of its "
                  f"{optuna[r['seed']]['seconds']:.1f} s)")
        else:
            print(f"  seed {r['seed']} ours never reaches optuna_dense's HV")
    table["ours"]["n_seeds_reaching_optuna_dense_hv"] = len(reached)
    if len(reached) == len(runs["ours"]):
        ours_s, optuna_s = np.array(reached).T
        ratio = float(optuna_s.mean() / ours_s.mean())
        table["ours"]["seconds_to_optuna_dense_hv_mean"] = float(ours_s.mean())
        table["ours"]["time_to_target_ratio_vs_optuna_dense"] = ratio
        print(f"time to target: ours reaches optuna_dense's final HV in {ours_s.mean():.2f} s on average, "
              f"1/{ratio:.1f} of its wall time")


def versions() -> dict[str, str]:
    """Versions of the libraries whose speed the comparison measures."""
    from importlib.metadata import version

    return {name: version(name) for name in ("optuna", "pymoo", "torch", "numpy")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--items", type=int, default=1700)
    parser.add_argument("--pop", type=int, default=100)
    parser.add_argument("--gens", type=int, default=50)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--methods", nargs="+", default=["ours", "optuna_pruned", "optuna_dense"])
    parser.add_argument("--out", type=Path, default=Path(__file__).with_suffix(".json"))
    args = parser.parse_args()
    torch.set_num_threads(int(os.environ.get("BENCH_THREADS", "1")))
    data = random_stage(args.users, args.items)
    pruned = PopulationEvaluator(WeightedPolicy(k=10), OBJECTIVES, prune=True)
    pruned.table(data)  # built once, outside the timings: optuna_pruned shows Optuna's per-trial overhead
    evaluators = {"optuna_pruned": lambda x: pruned(x, data), "optuna_dense": DenseLoop(data)}
    print(f"{args.users} users x {args.items} items, budget {args.pop} x {args.gens} = {args.pop * args.gens} "
          f"evaluations, seeds {args.seeds}")
    runs: dict[str, list[dict]] = {m: [] for m in args.methods}
    traces: dict[int, list[tuple[float, np.ndarray]]] = {}
    for seed in args.seeds:
        for method in args.methods:
            if method == "ours":
                F, seconds, traces[seed] = run_ours(data, args.pop, args.gens, seed)
            else:
                F, seconds = run_optuna(data, args.pop, args.gens, seed, evaluators[method])
            runs[method].append({"seed": seed, "seconds": seconds, "front": F[nondominated_mask(F)].tolist(),
                                 "n_evals": len(F)})
            print(f"  seed {seed} {method:<14} {seconds:8.1f} s  {len(F)} evaluations", flush=True)
    every_point = np.vstack([np.asarray(r["front"]) for rs in runs.values() for r in rs])
    ref = nadir_reference_point(every_point)
    print(f"reference point (nadir of all fronts - 10 % of range): {np.round(ref, 4).tolist()}")
    table = {}
    for method, rs in runs.items():
        for r in rs:
            r["hypervolume"] = hypervolume(np.asarray(r["front"]), ref)
        seconds = np.array([r["seconds"] for r in rs])
        hv = np.array([r["hypervolume"] for r in rs])
        table[method] = {"seconds_mean": float(seconds.mean()), "hv_mean": float(hv.mean()),
                         "hv_sd": float(hv.std(ddof=1)) if len(hv) > 1 else 0.0,
                         "hv_per_second": float((hv / seconds).mean())}
        row = table[method]
        print(f"{method:<14} wall {row['seconds_mean']:8.1f} s  HV {row['hv_mean']:.5f} (sd {row['hv_sd']:.5f})  "
              f"HV/s {row['hv_per_second']:.6f}")
    if "ours" in table:
        for other in ("optuna_dense", "optuna_pruned"):
            if other in table:
                ratio = table[other]["seconds_mean"] / table["ours"]["seconds_mean"]
                print(f"ours takes 1/{ratio:.1f} of {other}'s wall time; HV ours - {other}: "
                      f"{table['ours']['hv_mean'] - table[other]['hv_mean']:+.5f}")
                table["ours"][f"wall_ratio_vs_{other}"] = ratio
        if "optuna_dense" in table:
            anytime(runs, traces, ref, table)
    threads = f"BENCH_THREADS={os.environ['BENCH_THREADS']} " if "BENCH_THREADS" in os.environ else ""
    payload = {"command": f"{threads}python {' '.join(sys.argv)}", "torch_threads": torch.get_num_threads(),
               "versions": versions(), "users": args.users, "items": args.items, "pop": args.pop, "gens": args.gens,
               "seeds": args.seeds, "reference_point": ref.tolist(), "summary": table,
               "runs": {m: [{k: v for k, v in r.items() if k != "front"} for r in rs] for m, rs in runs.items()}}
    write_json(payload, args.out)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
