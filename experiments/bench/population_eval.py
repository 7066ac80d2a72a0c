"""Benchmark: scoring a population of candidates, pruned vs dense batched vs a careful dense per-candidate loop.

    python experiments/bench/population_eval.py [--sizes ml100k ml1m large] [--pop 100] [--policy weighted]
                                                [--baseline-rev 43bb915] [--out experiments/bench/population_eval.json]

Per size (users x items of the search's score tables: ml100k 943 x 1,682; ml1m the search's 5,000-user
sample x 3,706; large 5,000 x 20,000), on random score tables (independent relevance, P(buy) and
price: the hardest case for pruning, trained models' scores are correlated and prune further):

- `pruned`: this framework's evaluator, tables cut to each user's K-skyband (built once per table,
  its time reported apart, as in a search it is paid once for thousands of evaluations);
- `dense`: the same evaluator on every item;
- `loop`: a dense per-candidate loop written with care in float32 torch (combine, mask, topk, metrics);
- `before`: the numpy float64 policy of `--baseline-rev` (the code before issue 10), on a few candidates.

Each method runs in its own process (peak memory = the process's peak RSS above its peak once the
tables were made). Prints ms per candidate, peak memory, the ratios, and the ratio to the time it takes to read
the two dense float32 tables once at this machine's memory bandwidth (measured in the same run);
asserts that pruned and dense give identical objective values. Run it alone on the machine.
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from morec_pareto.io import write_json
from morec_pareto.objectives.registry import evaluate_lists
from morec_pareto.ranking.policies import POLICIES, pool_size
from morec_pareto.search.problem import PopulationEvaluator
from morec_pareto.types import StageData

SIZES = {"ml100k": (943, 1682), "ml1m": (5000, 3706), "large": (5000, 20000)}
OBJECTIVES = ("oracle_ndcg", "oracle_revenue")
ROOT = Path(__file__).resolve().parents[2]


def random_stage(n_users: int, n_items: int, seed: int = 0) -> StageData:
    """Random score tables and ground truth of the given size (float32, 5 % of items seen)."""
    rng = np.random.default_rng(seed)
    shape = (n_users, n_items)

    def uniform(low: float, high: float) -> np.ndarray:  # float32 throughout: no float64 temporaries
        out = rng.random(shape, dtype=np.float32)
        out *= high - low
        out += low
        return out

    return StageData(
        relevance=rng.standard_normal(shape, dtype=np.float32), purchase=uniform(0.01, 0.5),
        seen=rng.random(shape, dtype=np.float32) < 0.05, targets=rng.integers(0, n_items, n_users),
        target_bought=rng.random(n_users) < 0.3, price=rng.lognormal(3.4, 0.8, n_items),
        true_click=uniform(0.0, 1.0), true_buy=uniform(0.0, 0.2),
    )


class DenseLoop:
    """What a careful user would write: per candidate, combine in float32 torch, mask, topk, metrics.

    Everything that does not depend on the candidate (shifted relevance, logs, pool ranks, ideal DCG)
    is computed once, in the constructor.
    """

    def __init__(self, data: StageData, k: int = 10) -> None:
        self.k, self.n_items = k, data.n_items
        rel = torch.from_numpy(data.relevance)
        self.rel = rel - rel.max(dim=1, keepdim=True).values
        self.log_buy = torch.from_numpy(data.purchase).clamp_min(1e-12).log()
        self.log_price = torch.from_numpy(np.log(data.price).astype(np.float32))
        seen = torch.from_numpy(data.seen)
        order = torch.sort(self.rel.masked_fill(seen, float("-inf")), dim=1, descending=True, stable=True).indices
        rank = torch.empty_like(order, dtype=torch.int32)
        rank.scatter_(1, order, torch.arange(data.n_items, dtype=torch.int32).expand_as(order).contiguous())
        self.rank = rank.masked_fill(seen, torch.iinfo(torch.int32).max)
        self.click, self.buy = torch.from_numpy(data.true_click), torch.from_numpy(data.true_buy)
        self.price = torch.from_numpy(data.price.astype(np.float32))
        self.discounts = 1.0 / torch.log2(torch.arange(k, dtype=torch.float32) + 2.0)
        self.idcg = (torch.topk(self.click, k, dim=1).values * self.discounts).sum(dim=1).clamp_min(1e-12)

    def __call__(self, X: np.ndarray) -> np.ndarray:
        """(P, 2) mean oracle NDCG@K and oracle expected revenue@K of weighted-policy candidates X (P, 4)."""
        out = np.empty((len(X), 2))
        for p, (w, alpha, tau, frac) in enumerate(np.atleast_2d(X)):
            log_rev = self.log_buy + float(alpha) * self.log_price
            log_rev -= log_rev.max(dim=1, keepdim=True).values
            score = torch.exp(self.rel / float(tau)).mul_(float(w)).add_(log_rev.exp_().mul_(1 - float(w)))
            n_pool = int(pool_size(np.array([frac]), self.k, self.n_items)[0])
            score.masked_fill_(self.rank >= n_pool, float("-inf"))
            top = torch.topk(score, self.k, dim=1).indices
            ndcg = ((self.click.gather(1, top) * self.discounts).sum(dim=1) / self.idcg).mean()
            revenue = (self.buy.gather(1, top) * self.price[top]).sum(dim=1).mean()
            out[p] = (float(ndcg), float(revenue))
        return out


def load_baseline_policies(rev: str):
    """The policies module as it was at git revision `rev` (None when git or the revision is missing)."""
    try:
        source = subprocess.run(["git", "show", f"{rev}:morec_pareto/ranking/policies.py"], cwd=ROOT,
                                capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    path = Path(tempfile.mkdtemp()) / f"policies_{rev}.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location(f"policies_{rev}", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


def baseline_evaluate(policy, X: np.ndarray, data: StageData, objectives: tuple[str, ...] = OBJECTIVES,
                      max_elements: int = 2**25) -> np.ndarray:
    """The pre-issue-10 search's evaluation of an old-module `policy`: numpy float64, chunks of users."""
    X = np.atleast_2d(X)
    chunk = max(1, max_elements // (len(X) * data.n_items * policy.memory_factor))
    total = np.zeros((len(X), len(objectives)))
    for start in range(0, data.n_users, chunk):
        part = data.rows(slice(start, start + chunk))
        total += evaluate_lists(policy.rank(X, part), part, objectives)
    return total / data.n_users


def rss_mib(field: str = "VmRSS") -> float:
    """Resident memory (VmRSS) or its peak (VmHWM) of this process in MiB.

    VmHWM, unlike getrusage's ru_maxrss, starts afresh at exec: the parent's peak does not leak in.
    """
    with open("/proc/self/status") as fh:
        line = next(line for line in fh if line.startswith(field + ":"))
    return int(line.split()[1]) / 1024


def run_one(size: str, method: str, pop: int, policy_name: str, baseline_rev: str) -> dict:
    """One method at one size, in this process: timings and peak memory above the tables'."""
    torch.set_num_threads(int(os.environ.get("BENCH_THREADS", "1")))
    data = random_stage(*SIZES[size])
    policy = POLICIES[policy_name](k=10)
    X = np.random.default_rng(1).uniform(*policy.bounds, size=(pop, len(policy.variables)))
    base_rss = rss_mib("VmHWM")
    record: dict = {"size": size, "method": method, "users": data.n_users, "items": data.n_items}
    if method in ("pruned", "dense"):
        evaluator = PopulationEvaluator(policy, OBJECTIVES, prune=method == "pruned")
        evaluator.table(data)
        record["table_seconds"] = evaluator.table_seconds
        if method == "pruned":
            table = evaluator.table(data)
            bands = getattr(table, "tables", (table,))  # a BandedTable: one K-skyband per price-exponent band
            record["width"] = table.width  # the widest band's columns
            record["bands"] = len(bands)
            record["mean_survivors"] = float(np.mean([float(t.allowed.sum(dim=1).double().mean()) for t in bands]))
        start = time.perf_counter()
        F = evaluator(X, data)
        seconds, n = time.perf_counter() - start, len(X)
    elif method == "loop":
        if policy_name != "weighted":
            return {**record, "skipped": "the careful loop is written for the weighted policy"}
        n = min(len(X), 20)
        start = time.perf_counter()
        F = DenseLoop(data)(X[:n])
        seconds = time.perf_counter() - start
    else:
        module = load_baseline_policies(baseline_rev)
        if module is None:
            return {**record, "skipped": f"git revision {baseline_rev} not available"}
        n = 3 if data.n_items > 5000 else 5
        start = time.perf_counter()
        F = baseline_evaluate(module.POLICIES[policy_name](k=10), X[:n], data)
        seconds = time.perf_counter() - start
    peak = rss_mib("VmHWM")
    return {**record, "candidates": n, "ms_per_candidate": 1000 * seconds / n,
            "peak_extra_mib": max(0.0, peak - base_rss), "F": np.asarray(F).tolist()}


def bandwidth_gb_s() -> float:
    """Memory read bandwidth of one thread: best of 5 sums over a 1 GiB float32 array."""
    x = np.ones(2**28, dtype=np.float32)
    best = float("inf")
    for _ in range(5):
        start = time.perf_counter()
        x.sum()
        best = min(best, time.perf_counter() - start)
    return x.nbytes / best / 1e9


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", default=list(SIZES), choices=list(SIZES))
    parser.add_argument("--pop", type=int, default=100)
    parser.add_argument("--policy", default="weighted", choices=list(POLICIES))
    parser.add_argument("--methods", nargs="+", default=["pruned", "dense", "loop", "before"])
    parser.add_argument("--baseline-rev", default="43bb915", help="git revision of the code before issue 10")
    parser.add_argument("--out", type=Path, default=Path(__file__).with_suffix(".json"))
    parser.add_argument("--one", nargs=2, metavar=("SIZE", "METHOD"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run_one(args.one[0], args.one[1], args.pop, args.policy, args.baseline_rev)))
        return
    gb_s = bandwidth_gb_s()
    print(f"memory read bandwidth (1 thread): {gb_s:.1f} GB/s; population of {args.pop}, policy {args.policy}, "
          f"torch threads {os.environ.get('BENCH_THREADS', '1')}")
    results = []
    for size in args.sizes:
        users, items = SIZES[size]
        read_ms = 1000 * users * items * 2 * 4 / (gb_s * 1e9)  # relevance + P(buy), float32
        rows = {}
        for method in args.methods:
            cmd = [sys.executable, __file__, "--one", size, method, "--pop", str(args.pop), "--policy", args.policy,
                   "--baseline-rev", args.baseline_rev]
            proc = subprocess.run(cmd, capture_output=True, text=True)
            if proc.returncode:
                sys.exit(f"population_eval: {size} {method} failed:\n{proc.stderr.strip()}")
            rows[method] = json.loads(proc.stdout.strip().splitlines()[-1])
        if "pruned" in rows and "dense" in rows:
            np.testing.assert_array_equal(rows["pruned"]["F"], rows["dense"]["F"])  # same fronts, exactly
        print(f"\n{size}: {users} users x {items} items; reading both dense tables once takes {read_ms:.1f} ms")
        for method, row in rows.items():
            row.pop("F", None)
            if "skipped" in row:
                print(f"  {method:<7} skipped: {row['skipped']}")
                continue
            extra = ""
            if method == "pruned":
                extra = (f"  (table {row['table_seconds']:.1f} s once, {row['bands']} bands, widest {row['width']}, "
                         f"{row['mean_survivors']:.0f} survivors/user per band)")
            elif method == "dense":
                extra = f"  (table {row['table_seconds']:.1f} s once)"
            print(f"  {method:<7} {row['ms_per_candidate']:9.2f} ms/candidate  peak +{row['peak_extra_mib']:7.0f} MiB"
                  f"  {row['ms_per_candidate'] / read_ms:6.2f}x table read{extra}")
        pruned = rows.get("pruned", {}).get("ms_per_candidate")
        for method in ("dense", "loop", "before"):
            other = rows.get(method, {}).get("ms_per_candidate")
            if pruned and other:
                print(f"  pruned is {other / pruned:7.1f}x faster than {method}")
        results.append({"size": size, "users": users, "items": items, "dense_table_read_ms": read_ms, "methods": rows,
                        "speedup_vs": {m: rows[m]["ms_per_candidate"] / pruned for m in ("dense", "loop", "before")
                                       if pruned and "ms_per_candidate" in rows.get(m, {})}})
    payload = {"bandwidth_gb_s": gb_s, "pop": args.pop, "policy": args.policy, "command": " ".join(sys.argv),
               "sizes": results}
    write_json(payload, args.out)
    print(f"\nwrote {args.out}")


if __name__ == "__main__":
    main()
