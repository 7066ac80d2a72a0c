"""Everything a run writes into its folder: front.csv, evaluations.csv, history.csv, training_history.csv, the figure
and summary.json.

Every file is written atomically (`io.write_csv`, `io.write_json`, `report.plots.save_figure`).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from morec_pareto.io import write_csv, write_json
from morec_pareto.metrics.accuracy import ranking_metrics, target_ranks
from morec_pareto.metrics.baselines import history_scores, popularity_scores
from morec_pareto.objectives.registry import directions, get_objective
from morec_pareto.objectives.task import Task
from morec_pareto.report.indicators import best_point_share, hypervolume, nondominated_mask, normalise
from morec_pareto.report.plots import front_3d_figure, pairs_figure, pareto_figure, save_figure
from morec_pareto.scoring.sources import ScoreSource
from morec_pareto.search.held_out import HeldOutScores
from morec_pareto.search.run import SearchResult
from morec_pareto.training.fit import FitResult
from morec_pareto.training.shared import TRAINING_CHECKPOINT
from morec_pareto.types import Split, StageData


@dataclass(frozen=True)
class RunOutcome:
    """What the stages of one run produced, as the run folder needs it."""

    name: str  # the run's name (preset, or loss+ranking+search)
    training_method: str  # summary's training.method
    seed: int
    split: Split
    task: Task
    source: ScoreSource
    fit: FitResult
    result: SearchResult
    held_out: HeldOutScores
    device: str
    prune: bool
    runtime_s: float


STATE_FILE = "state.json"  # {"state": running | done | failed, "error": one line or null}


def write_state(run_dir: Path, state: str, error: str | None = None) -> None:
    """Record how far a run got, so that a report skips (and names) runs that did not finish."""
    write_json({"state": state, "error": error}, run_dir / STATE_FILE)


def write_run(run_dir: Path, run: RunOutcome) -> dict:
    """Write the run's tables, figure and summary.json; remove the checkpoints; return the summary."""
    write_front_tables(run_dir, run)
    if run.fit.history:  # per epoch: losses, valid_ndcg@10 and (selection=hypervolume) valid_hv
        write_csv(pd.DataFrame(run.fit.history), run_dir / "training_history.csv")
    summary = build_summary(run)
    write_json(summary, run_dir / "summary.json")
    (run_dir / "checkpoint.pkl").unlink(missing_ok=True)
    (run_dir / TRAINING_CHECKPOINT).unlink(missing_ok=True)
    return summary


def write_front_tables(run_dir: Path, run: RunOutcome) -> pd.DataFrame:
    """front.csv (the front's rows with their test and realised values), evaluations.csv, history.csv and the figure.

    Every objective has a column named after it (and `test_<name>` in front.csv); with two objectives
    the columns `satisfaction`, `revenue`, `test_satisfaction` and `test_revenue` come first, as always.
    front.csv's last column, `test_coverage`, is each point's share of the catalogue in some user's test list.
    """
    result, held_out, order, objectives = run.result, run.held_out, run.held_out.order, run.task.objectives
    names = list(result.var_names)
    front = pd.DataFrame(result.X[order], columns=names)
    if len(objectives) == 2:
        front["satisfaction"], front["revenue"] = result.F[order, 0], result.F[order, 1]
        front["test_satisfaction"], front["test_revenue"] = held_out.test_F[:, 0], held_out.test_F[:, 1]
    front["realised_revenue"], front["test_realised_revenue"] = held_out.realised[:, 0], held_out.realised[:, 1]
    for j, name in enumerate(objectives):
        front[name], front[f"test_{name}"] = result.F[order, j], held_out.test_F[:, j]
    if held_out.coverage is not None:  # last, so that every earlier column stays as it was
        front["test_coverage"] = held_out.coverage
    write_csv(front, run_dir / "front.csv")
    evaluations = pd.DataFrame(result.X, columns=names)
    evaluations.insert(0, "generation", result.generation)
    if len(objectives) == 2:
        evaluations["satisfaction"], evaluations["revenue"] = result.F[:, 0], result.F[:, 1]
    for j, name in enumerate(objectives):
        evaluations[name] = result.F[:, j]
    write_csv(evaluations, run_dir / "evaluations.csv")
    write_csv(pd.DataFrame(result.history), run_dir / "history.csv")
    labels = [get_objective(n).label.format(k=run.task.k) for n in objectives]
    title = f"{run.name} on {run.split.data.name}, seed {run.seed}"
    if len(objectives) == 2:
        fig = pareto_figure(result.F, result.F[order], labels[0], labels[1], title, test_front=held_out.test_F,
                            signs=directions(objectives))
        save_figure(fig, run_dir / "pareto")
    else:
        save_figure(pairs_figure(result.F, result.F[order], labels, title, directions(objectives)), run_dir / "pareto")
        if len(objectives) == 3:
            save_figure(front_3d_figure(result.F[order], labels, title), run_dir / "pareto_3d")
    return front


def hv_summary(F: np.ndarray, reference: dict, objectives: tuple[str, ...], prefix: str = "") -> dict[str, float]:
    """HV in natural units, normalised HV and the best point's share of a front F (natural units).

    Normalised units are higher-is-better for every objective (0 at the reference point, 1 at the ideal).
    """
    ref, ideal = reference["reference_point"], reference["ideal"]
    front = F[nondominated_mask(F, objectives)]
    return {f"{prefix}hypervolume": hypervolume(front, ref, objectives),
            f"{prefix}normalised_hypervolume": hypervolume(normalise(front, ideal, ref), np.zeros(len(ref))),
            f"{prefix}hv_best_point_share": best_point_share(front, ref, objectives)}


def build_summary(run: RunOutcome) -> dict:
    """summary.json: the run's front quality (validation and test), cost, accuracy and training record."""
    task, result, source, fit = run.task, run.result, run.source, run.fit
    ref = task.reference_point
    summary = {
        "strategy": run.name,
        "seed": run.seed,
        "data": run.split.data.name,
        "objectives": list(task.objectives),
        "directions": {name: get_objective(name).direction for name in task.objectives},
        "k": task.k,
        "reference_point": ref.tolist(),
        "reference_point_source": task.reference["source"],
        **hv_summary(result.F[result.front_mask], task.reference, task.objectives),
        **hv_summary(run.held_out.test_F, task.reference, task.objectives, prefix="test_"),
        "normalisation": {"nadir": ref.tolist(), "ideal": task.reference["ideal"].tolist(),
                          "rule": "f' = (f - nadir) / (ideal - nadir) per objective; nadir = the reference point"},
        "n_front": int(result.front_mask.sum()),
        "n_evals": int(len(result.F)),
        "n_trainings": source.n_trainings,
        "runtime_s": run.runtime_s,
        "train_seconds": source.train_seconds,
        "train_epochs": source.train_epochs,
        "search_seconds": result.seconds,
        "search_table_seconds": result.table_seconds,
        "device": run.device,
        # the CPU's vector unit as torch's kernels see it (AVX2, AVX512, ...): runs on different ones differ in
        # the last bits of training (README, "Same seed, same device type")
        "cpu_capability": torch.backends.cpu.get_cpu_capability(),
        "prune": run.prune,
        **accuracy_summary(run.split, task, *source.base),
        "training": {"method": run.training_method, "best_epoch": fit.best_epoch, "epochs_run": fit.epochs_run,
                     "seconds_per_epoch": fit.seconds_per_epoch, "best_valid_ndcg@10": fit.best_valid_ndcg,
                     "reused_from": fit.reused_from, **fit.learned,
                     **({} if fit.best_valid_hv is None  # train.selection=hypervolume only: ndcg runs keep their keys
                        else {"selection": "hypervolume", "best_valid_hv": fit.best_valid_hv})},
        "n_eval_users": int(len(task.users)),
        "prices_simulated": bool(run.split.data.prices_simulated),
    }
    if run.held_out.operating_point is not None:
        summary["operating_point"] = run.held_out.operating_point
    return summary


def accuracy_summary(split: Split, task: Task, valid: StageData, test: StageData) -> dict:
    """Full-ranking accuracy of the satisfaction-only ranking (masked and not) beside popularity and history."""
    def accuracy(data: StageData, mask: bool = False) -> dict[str, float]:
        return ranking_metrics(target_ranks(data.relevance, data.targets, data.seen if mask else None))

    users = task.users
    return {
        "accuracy": {**accuracy(test), "valid": accuracy(valid)},
        "accuracy_popularity": ranking_metrics(target_ranks(popularity_scores(split, "test", users), test.targets)),
        # Unmasked like accuracy_popularity: masked, every item the history baseline scores would be removed.
        "accuracy_history": ranking_metrics(target_ranks(history_scores(split, "test", users), test.targets)),
        "repeat_rate": task.repeat_rate,
        "mask_seen": task.mask_seen,
        "accuracy_masked": {"test": accuracy(test, True), "valid": accuracy(valid, True)},
    }
