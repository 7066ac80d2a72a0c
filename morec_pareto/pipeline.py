"""The main job, stage by stage: data -> encoders + scorer -> score tables -> NSGA-II -> front on test."""
from __future__ import annotations

import hashlib
import json
import logging
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from hydra.utils import instantiate
from omegaconf import DictConfig, OmegaConf

from morec_pareto.data.split import leave_one_out, repeat_rate
from morec_pareto.device import resolve_device
from morec_pareto.io import atomic_path, write_csv, write_json
from morec_pareto.metrics.accuracy import ranking_metrics, target_ranks
from morec_pareto.metrics.baselines import history_scores, popularity_scores
from morec_pareto.models.recommender import build_recommender
from morec_pareto.objectives.registry import get_objective
from morec_pareto.objectives.reference import data_fingerprint, dataset_reference
from morec_pareto.report.indicators import best_point_share, hypervolume, nondominated_mask, normalise
from morec_pareto.report.plots import pareto_figure, save_figure
from morec_pareto.search.problem import PopulationEvaluator, evaluate_candidates
from morec_pareto.search.retrain import CandidateTrainer, RetrainSource, make_runner
from morec_pareto.search.run import SearchResult, run_search
from morec_pareto.search.sources import ConditionedSource, FixedSource, ScoreSource
from morec_pareto.search.strategies import Strategy
from morec_pareto.training.fit import FitResult, fit
from morec_pareto.training.scoring import stage_data
from morec_pareto.types import Interactions, Split, StageData

log = logging.getLogger(__name__)
MODEL_CACHE_VERSION = 2  # bump when training changes what the same settings produce
DATASET_KEYS = ("reference_point",)  # data config keys read by the pipeline, not passed to the reader


def resolve_objectives(names: list[str] | None, has_truth: bool) -> tuple[str, ...]:
    """The (satisfaction, revenue) pair to optimise: the oracle pair on synthetic data unless configured."""
    if names is None:
        names = ["oracle_ndcg", "oracle_revenue"] if has_truth else ["ndcg", "expected_revenue"]
    objectives = tuple(names)
    if len(objectives) != 2:
        raise ValueError(f"objectives.names must name 2 objectives (satisfaction, revenue), got {list(objectives)}")
    for name in objectives:
        if get_objective(name).needs_truth and not has_truth:
            raise ValueError(f"objectives.names: {name!r} needs ground truth, which this data set does not have")
    return objectives


def reference_point(
    configured: list[float] | None, declared: str | list[float] | None, split: Split, objectives: tuple[str, ...],
    k: int, mask_seen: bool,
) -> dict:
    """The fixed hypervolume reference point and normalisation ideal, never from the run's own results.

    `objectives.reference_point` (numbers) wins; else the data set's declared default
    (`data.reference_point`): explicit numbers, or a method computed once per data set and cached
    (see `objectives.reference`). Returns {"reference_point", "ideal", "source"} as arrays and words.
    """
    def numbers(values, key: str) -> np.ndarray:
        if len(values) != len(objectives):
            raise ValueError(f"{key} needs {len(objectives)} values (one per objective), got {len(values)}")
        return np.asarray(values, dtype=float)

    method = declared if isinstance(declared, str) else "popularity"
    record = dataset_reference(split, objectives, k, mask_seen, method)  # the ideal comes from it in every case
    ideal = np.asarray(record["ideal"], dtype=float)
    if configured is not None:
        point, source = numbers(configured, "objectives.reference_point"), "objectives.reference_point (config)"
    elif declared is not None and not isinstance(declared, str):
        point, source = numbers(declared, "data.reference_point"), "data.reference_point (declared numbers)"
    else:
        point, source = np.asarray(record["reference_point"], dtype=float), record["source"]
    return {"reference_point": point, "ideal": np.maximum(ideal, point), "source": source}


def hv_summary(F: np.ndarray, reference: dict, prefix: str = "") -> dict[str, float]:
    """HV in natural units, normalised HV and the best point's share of a front F (natural units)."""
    ref, ideal = reference["reference_point"], reference["ideal"]
    front = F[nondominated_mask(F)]
    return {f"{prefix}hypervolume": hypervolume(front, ref),
            f"{prefix}normalised_hypervolume": hypervolume(normalise(front, ideal, ref), np.zeros(len(ref))),
            f"{prefix}hv_best_point_share": best_point_share(front, ref)}


def load_data(data_cfg: DictConfig) -> Interactions:
    """Instantiate the data config's reader; keys that describe the data set, not the reading, are left out."""
    return instantiate({key: value for key, value in data_cfg.items() if key not in DATASET_KEYS})


def accuracy_report(data: StageData) -> dict[str, float]:
    """Full-ranking accuracy of the satisfaction-only ranking (relevance head), earlier items not masked."""
    return ranking_metrics(target_ranks(data.relevance, data.targets))


def eval_users(split: Split, max_users: int, seed: int) -> np.ndarray:
    """All users, or a seeded sample of `max_users` on large data (the search cost grows with users)."""
    users = np.arange(split.sequences.n_users)
    if len(users) > max_users:
        users = np.sort(np.random.default_rng(seed).choice(users, max_users, replace=False))
    return users


def _write_outputs(
    run_dir: Path, result: SearchResult, order: np.ndarray, test_F: np.ndarray, objectives: tuple[str, ...],
    k: int, title: str, realised: np.ndarray,
) -> pd.DataFrame:
    """front.csv (rows `order` of the evaluations), evaluations.csv, history.csv and the figure.

    `realised` (n_front, 2) is the front's realised revenue on (validation, test): held-out purchases in
    the lists, 0 on data without purchase events.
    """
    names = list(result.var_names)
    front = pd.DataFrame(result.X[order], columns=names)
    front["satisfaction"], front["revenue"] = result.F[order, 0], result.F[order, 1]
    front["test_satisfaction"], front["test_revenue"] = test_F[:, 0], test_F[:, 1]
    front["realised_revenue"], front["test_realised_revenue"] = realised[:, 0], realised[:, 1]
    write_csv(front, run_dir / "front.csv")
    evaluations = pd.DataFrame(result.X, columns=names)
    evaluations.insert(0, "generation", result.generation)
    evaluations["satisfaction"], evaluations["revenue"] = result.F[:, 0], result.F[:, 1]
    write_csv(evaluations, run_dir / "evaluations.csv")
    write_csv(pd.DataFrame(result.history), run_dir / "history.csv")
    labels = [get_objective(n).label.format(k=k) for n in objectives]
    fig = pareto_figure(result.F, result.F[order], labels[0], labels[1], title, test_front=test_F)
    save_figure(fig, run_dir / "pareto")
    return front


def model_cache_path(folder: Path, split: Split, model_kwargs: dict, train_kwargs: dict, method: str,
                     seed: int, device: torch.device | str = "cpu") -> Path:
    """Where a model trained on this data with these settings, seed, device type and torch threads is kept for reuse.

    Strategies that train identically (weighted, tchebycheff, non_weighted, epsilon_constraint, grid,
    random at one seed) then share one training; the key covers everything that shapes the weights.
    """
    key = json.dumps([MODEL_CACHE_VERSION, data_fingerprint(split), model_kwargs, train_kwargs, method, seed,
                      torch.__version__, torch.get_num_threads(), torch.device(device).type], sort_keys=True, default=str)
    return folder / f"model_{hashlib.sha256(key.encode()).hexdigest()[:24]}.pt"


def _train_shared_model(cfg: DictConfig, strategy: Strategy, split: Split, run_dir: Path, seed: int,
                        device: torch.device):
    """Train (or, for a resumed retrain run, reload) the one model every strategy starts from."""
    model_kwargs = OmegaConf.to_container(cfg.model, resolve=True)
    if strategy.training == "conditioned":
        model_kwargs["n_preferences"] = 2
    train_kwargs = OmegaConf.to_container(cfg.train, resolve=True)
    method = {"retrain": "weighted"}.get(strategy.training, strategy.training)
    if strategy.training == "retrain":
        train_kwargs["epochs"] = strategy.warm_epochs
    model = build_recommender(split.data, **model_kwargs).to(device)
    base_path = run_dir / "trainings" / "base.pt"
    cached = None
    if cfg.get("model_cache") and strategy.training != "retrain":
        cached = model_cache_path(Path(cfg.model_cache), split, model_kwargs, train_kwargs, method, seed, device)
    saved_path = base_path if strategy.training == "retrain" else cached
    if saved_path is not None and saved_path.exists():
        saved = torch.load(saved_path, weights_only=False, map_location=device)
        model.load_state_dict(saved["state_dict"])
        fit_result = FitResult(**saved["fit"])
        if cached is not None:
            fit_result.reused_from = str(cached)
            log.info("model reused from %s (same data, model, train config and seed)", cached)
    else:
        fit_result = fit(model, split, seed=seed, method=method, progress=cfg.progress, **train_kwargs)
    payload = {"state_dict": model.state_dict(), "model": model_kwargs, "fit": fit_result.__dict__}
    if cached is not None and not cached.exists():
        with atomic_path(cached) as tmp:
            torch.save({**payload, "fit": {**fit_result.__dict__, "reused_from": None}}, tmp)
    with atomic_path(run_dir / "model.pt") as tmp:
        torch.save(payload, tmp)
    if strategy.training == "retrain" and not base_path.exists():
        with atomic_path(base_path) as tmp:
            torch.save(payload, tmp)
    model.eval()
    return model, model_kwargs, train_kwargs, fit_result, base_path


def build_source(
    cfg: DictConfig, strategy: Strategy, split: Split, users: np.ndarray, run_dir: Path, seed: int,
) -> tuple[ScoreSource, tuple[StageData, StageData], FitResult]:
    """Train what the strategy needs and wrap its score tables; also returns the satisfaction-only stages."""
    model, model_kwargs, train_kwargs, fit_result, base_path = _train_shared_model(cfg, strategy, split, run_dir, seed,
                                                                                   resolve_device(cfg.get("device", "auto")))
    preference = np.array([1.0, 0.0]) if strategy.training == "conditioned" else None
    base = (stage_data(model, split, "valid", users, preference), stage_data(model, split, "test", users, preference))
    if strategy.training == "conditioned":
        return ConditionedSource(model, split, users, strategy.n_levels, base, fit_result.train_seconds,
                                 fit_result.epochs_run), base, fit_result
    if strategy.training == "retrain":
        trainer = CandidateTrainer(split, model_kwargs, train_kwargs, base_path, run_dir / "trainings",
                                   strategy.epochs_per_candidate, seed)
        runner, pool = make_runner(strategy.parallel, strategy.n_workers)
        source = RetrainSource(trainer, users, strategy.n_levels, base, runner, fit_result.train_seconds,
                               fit_result.epochs_run)
        source.pool = pool  # closed by run() when the search is done
        return source, base, fit_result
    return FixedSource(base[0], base[1], fit_result.train_seconds, fit_result.epochs_run), base, fit_result


def _operating_point(
    cfg: DictConfig, evaluator: PopulationEvaluator, source: ScoreSource, var_names: tuple[str, ...],
) -> dict | None:
    """Re-score a configured `policy_point` (e.g. an exported knee) on validation and test."""
    point = cfg.get("policy_point")
    if point is None:
        return None
    missing = [n for n in var_names if n not in point]
    if missing:
        raise ValueError(f"policy_point: missing variable(s) {missing} of this strategy ({list(var_names)})")
    x = np.array([[float(point[n]) for n in var_names]])
    valid_F = evaluate_candidates(evaluator, source, x, stage="valid")[0]
    test_F = evaluate_candidates(evaluator, source, x, stage="test")[0]
    return {"variables": {n: float(point[n]) for n in var_names}, "satisfaction": float(valid_F[0]),
            "revenue": float(valid_F[1]), "test_satisfaction": float(test_F[0]), "test_revenue": float(test_F[1])}


def resolve_mask_seen(configured: bool | None, rate: float, threshold: float) -> bool:
    """objectives.mask_seen, or when null: mask seen items unless the data's repeat rate exceeds `threshold`.

    Masking makes every repeated target a miss, so it caps validation Hit@K at 1 - rate on repeat-heavy data.
    """
    if configured is not None:
        return bool(configured)
    if rate > threshold:
        log.info("repeat rate %.2f > objectives.repeat_threshold %.2f: the search does not mask seen items "
                 "(set objectives.mask_seen=true to force it)", rate, threshold)
        return False
    return True


def run(cfg: DictConfig, run_dir: Path) -> dict:
    """Run the whole pipeline for one config and write the run folder; returns the summary."""
    start = time.perf_counter()
    seed = int(cfg.seed)
    device = resolve_device(cfg.get("device", "auto"))
    prune = bool(cfg.search.get("prune", True))
    torch.manual_seed(seed)
    np.random.seed(seed)
    data = load_data(cfg.data)
    split = leave_one_out(data)
    log.info("data %s: %d users, %d items, %d events", data.name, data.n_users, data.n_items, data.n_events)

    strategy = Strategy(**OmegaConf.to_container(cfg.strategy, resolve=True))
    obj_cfg = cfg.objectives
    objectives = resolve_objectives(obj_cfg.names, data.truth is not None)
    users = eval_users(split, int(obj_cfg.max_users), seed)
    source, (valid, test), fit_result = build_source(cfg, strategy, split, users, run_dir, seed)

    rate = repeat_rate(split)
    k, mask_seen = int(obj_cfg.k), resolve_mask_seen(obj_cfg.mask_seen, rate, float(obj_cfg.repeat_threshold))
    reference = reference_point(obj_cfg.reference_point, cfg.data.get("reference_point"), split, objectives, k,
                                mask_seen)
    ref = reference["reference_point"]
    try:
        result = run_search(
            strategy, source, objectives, ref, k=k, mask_seen=mask_seen, pop_size=int(cfg.search.pop_size),
            n_gen=int(cfg.search.n_gen), seed=seed,
            checkpoint=run_dir / "checkpoint.pkl" if cfg.search.checkpoint else None, progress=cfg.progress,
            device=device, prune=prune,
        )
        front_mask = result.front_mask
        order = np.flatnonzero(front_mask)[np.argsort(-result.F[front_mask, 0], kind="stable")]
        evaluator = PopulationEvaluator(strategy.make_policy(k, mask_seen), objectives, device, prune)
        with_realised = (*objectives, "realised_revenue")
        test_F = evaluate_candidates(evaluator, source, result.X[order], "test", with_realised)
        realised = np.stack([evaluate_candidates(evaluator, source, result.X[order], "valid", ("realised_revenue",))[:, 0],
                             test_F[:, 2]], axis=1)  # (n_front, 2) validation, test
        test_F = test_F[:, :2]
        operating_point = _operating_point(cfg, evaluator, source, result.var_names)
    finally:
        if getattr(source, "pool", None) is not None:
            source.pool.close()
    title = f"{strategy.name} on {data.name}, seed {seed}"
    _write_outputs(run_dir, result, order, test_F, objectives, k, title, realised)

    summary = {
        "strategy": strategy.name,
        "seed": seed,
        "data": data.name,
        "objectives": list(objectives),
        "k": k,
        "reference_point": ref.tolist(),
        "reference_point_source": reference["source"],
        **hv_summary(result.F[front_mask], reference),
        **hv_summary(test_F, reference, prefix="test_"),
        "normalisation": {"nadir": ref.tolist(), "ideal": reference["ideal"].tolist(),
                          "rule": "f' = (f - nadir) / (ideal - nadir) per objective; nadir = the reference point"},
        "n_front": int(front_mask.sum()),
        "n_evals": int(len(result.F)),
        "n_trainings": source.n_trainings,
        "runtime_s": time.perf_counter() - start,
        "train_seconds": source.train_seconds,
        "train_epochs": source.train_epochs,
        "search_seconds": result.seconds,
        "search_table_seconds": result.table_seconds,
        "device": str(device),
        "prune": prune,
        "accuracy": {**accuracy_report(test), "valid": accuracy_report(valid)},
        "accuracy_popularity": ranking_metrics(target_ranks(popularity_scores(split, "test", users), test.targets)),
        # Unmasked like accuracy_popularity: masked, every item the history baseline scores would be removed.
        "accuracy_history": ranking_metrics(target_ranks(history_scores(split, "test", users), test.targets)),
        "repeat_rate": rate,
        "mask_seen": mask_seen,
        "accuracy_masked": {
            "test": ranking_metrics(target_ranks(test.relevance, test.targets, test.seen)),
            "valid": ranking_metrics(target_ranks(valid.relevance, valid.targets, valid.seen)),
        },
        "training": {"method": strategy.training, "best_epoch": fit_result.best_epoch,
                     "epochs_run": fit_result.epochs_run, "seconds_per_epoch": fit_result.seconds_per_epoch,
                     "best_valid_ndcg@10": fit_result.best_valid_ndcg, "reused_from": fit_result.reused_from,
                     **fit_result.learned},
        "n_eval_users": int(len(users)),
        "prices_simulated": bool(data.prices_simulated),
    }
    if operating_point is not None:
        summary["operating_point"] = operating_point
    write_json(summary, run_dir / "summary.json")
    (run_dir / "checkpoint.pkl").unlink(missing_ok=True)
    return summary
