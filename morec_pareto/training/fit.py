"""Train the recommender end to end on a weighted sum of objective losses, all positions in one pass."""
from __future__ import annotations

import copy
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from tqdm.auto import tqdm

from morec_pareto.device import model_device
from morec_pareto.io import atomic_path
from morec_pareto.metrics.accuracy import ranking_metrics, target_ranks
from morec_pareto.models.recommender import Recommender
from morec_pareto.training.allocator import keep_freed_memory
from morec_pareto.training.scoring import score_matrix
from morec_pareto.training.steps import EpochRunner, autocast_for
from morec_pareto.types import Split


@dataclass
class FitResult:
    """What training did: the best epoch (by validation NDCG@10, or by the criterion's HV) and per-epoch records."""

    best_epoch: int
    best_valid_ndcg: float  # validation NDCG@10 of the kept epoch
    epochs_run: int
    train_seconds: float
    history: list[dict[str, float]] = field(default_factory=list)
    learned: dict = field(default_factory=dict)  # the model's `learned_terms()` after training
    reused_from: str | None = None  # set when the model was loaded from `model_cache`, not trained here
    best_valid_hv: float | None = None  # the criterion's validation HV of the kept epoch (None: selected by NDCG@10)

    @property
    def seconds_per_epoch(self) -> float:
        return self.train_seconds / max(1, self.epochs_run)


def validation_metrics(
    model: Recommender, split: Split, users: np.ndarray | None = None, preference: np.ndarray | None = None,
) -> dict[str, float]:
    """Validation accuracy under full ranking, earlier items not masked (RecBole's protocol)."""
    users = np.arange(split.sequences.n_users) if users is None else users
    relevance = score_matrix(model, split, "valid", users, heads=(0,), preference=preference)[0]
    return ranking_metrics(target_ranks(relevance, split.targets("valid")[users]))


def _lr_factor(step: int, warmup: int, total: int, schedule: str) -> float:
    """Multiplier of the base learning rate at `step` (linear warm-up, then cosine decay)."""
    if schedule == "constant":
        return 1.0
    if step < warmup:
        return (step + 1) / warmup
    progress = min(1.0, (step - warmup) / max(1, total - warmup))
    return 0.5 * (1.0 + float(np.cos(np.pi * progress)))


def fit(
    model: Recommender,
    split: Split,
    loss_weights: dict[str, float],
    epochs: int = 30,
    batch_size: int = 16,
    lr: float = 2e-3,
    weight_decay: float = 0.0,
    n_negatives: int = 128,
    full_softmax: bool = True,
    patience: int = 5,
    seed: int = 0,
    max_eval_users: int = 5000,
    method: str = "weighted",
    dirichlet_alpha: float = 1.0,
    keep_best: bool = True,
    lr_schedule: str = "constant",
    precision: str = "fp32",
    progress: bool = True,
    checkpoint: Path | None = None,
    criterion: Callable[[Recommender], float] | None = None,
) -> FitResult:
    """Train end to end; keep the weights of the best validation epoch (NDCG@10, or `criterion`).

    Methods (`train.method`):
        weighted: minimise sum_k w_k L_k with w = `loss_weights`.
        mgda: no weights; each step follows the min-norm combination of the losses' gradients
            w.r.t. the shared user states (MGDA-UB), a common descent direction.
        conditioned: the scorer takes a preference vector; each batch draws lambda ~
            Dirichlet(dirichlet_alpha) and minimises sum_k lambda_k L_k at that preference, so one
            model covers the whole front. Validation NDCG@10 reads preference (1, 0).

    Model selection: without `criterion` the kept epoch is the best by validation NDCG@10 (at most
    `max_eval_users` users). With it (train.selection=hypervolume: `search.selection.HypervolumeCriterion`),
    `criterion(model)` is called after every epoch, recorded as `valid_hv` in the history, and the kept
    epoch is the best by it, ties broken by NDCG@10 (so epochs whose HV is 0 still compare); `patience`
    counts epochs without a better one. Its cost counts in `train_seconds`.

    Training runs on the model's device (move the model first). `precision` fp32, or bf16: forward
    and losses under bfloat16 autocast, CUDA only (weights, optimiser and validation stay fp32).

    With `checkpoint`, the whole training state (weights, optimiser, schedule, every random state,
    early-stopping state and history) is saved atomically after every epoch, and an existing
    checkpoint is resumed from: a killed training continues at the next epoch and ends with the same
    weights and history as one that was never interrupted (same device and thread count).
    """
    _check_settings(loss_weights, method, model, lr_schedule)
    conditioned = method == "conditioned"
    eval_preference = np.array([1.0, 0.0]) if conditioned else None
    device = model_device(model)
    autocast_for(precision, device)  # a bad precision fails before any work
    if device.type == "cpu":
        keep_freed_memory()
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    runner = EpochRunner.of(split, model, device, batch_size, n_negatives, full_softmax, dirichlet_alpha, precision,
                            torch.Generator().manual_seed(seed))
    eval_users = np.arange(split.sequences.n_users)
    if len(eval_users) > max_eval_users:
        eval_users = np.sort(rng.choice(eval_users, max_eval_users, replace=False))
    steps_per_epoch = -(-runner.n_windows // batch_size)
    optimizer, scheduler = _optimiser(model, lr, weight_decay, steps_per_epoch, epochs, lr_schedule)
    result = FitResult(best_epoch=-1, best_valid_ndcg=-1.0, epochs_run=0, train_seconds=0.0)
    best_state = copy.deepcopy(model.state_dict())
    state = TrainingState(model, optimizer, scheduler, rng, runner.generator)
    first_epoch, stopped = 0, False
    if checkpoint is not None and checkpoint.exists():
        first_epoch, stopped, best_state = state.load(checkpoint, result)
    bar = tqdm(range(first_epoch, epochs), desc="train", unit="epoch", disable=not progress or stopped,
               initial=first_epoch, total=epochs)
    for epoch in [] if stopped else bar:
        start = time.perf_counter()
        model.train()
        steps = tqdm(range(0, runner.n_windows, batch_size), desc=f"epoch {epoch}", unit="step", leave=False,
                     disable=not progress or steps_per_epoch < 200, mininterval=5.0)  # alive on large data
        totals = runner.train_epoch(model, rng.permutation(runner.n_windows), steps, optimizer, scheduler, method,
                                    loss_weights, epoch)
        valid = validation_metrics(model, split, eval_users, eval_preference)
        hv = None if criterion is None else float(criterion(model))
        result.train_seconds += time.perf_counter() - start
        result.epochs_run = epoch + 1
        result.history.append({"epoch": epoch, **{f"loss_{k}": v for k, v in totals.items()},
                               "valid_ndcg@10": valid["ndcg@10"], **({} if hv is None else {"valid_hv": hv})})
        bar.set_postfix(loss=f"{totals['satisfaction']:.3f}", ndcg10=f"{valid['ndcg@10']:.4f}",
                        **({} if hv is None else {"hv": f"{hv:.4g}"}))
        stop = False
        if _improves(valid["ndcg@10"], hv, result):
            result.best_epoch, result.best_valid_ndcg, result.best_valid_hv = epoch, valid["ndcg@10"], hv
            best_state = copy.deepcopy(model.state_dict())
        elif epoch - result.best_epoch >= patience:
            stop = True
        if checkpoint is not None:
            state.save(checkpoint, epoch + 1, stop, result, best_state)
        if stop:
            break
    if device.type == "cpu":
        keep_freed_memory(False)  # what follows (score tables of every user x item) should not sit on a kept heap
    if keep_best:
        model.load_state_dict(best_state)
    model.eval()
    result.learned = model.learned_terms()
    return result


def _improves(ndcg: float, hv: float | None, best: FitResult) -> bool:
    """Whether an epoch beats the best so far: by NDCG@10, or by HV then NDCG@10; NaN is never best."""
    if hv is None:
        return bool(np.isfinite(ndcg) and ndcg > best.best_valid_ndcg)
    if not (np.isfinite(hv) and np.isfinite(ndcg)):
        return False
    if best.best_valid_hv is None or hv > best.best_valid_hv:
        return True
    return hv == best.best_valid_hv and ndcg > best.best_valid_ndcg


class TrainingState:
    """Everything a training run needs to continue exactly where it stopped, saved after each epoch."""

    def __init__(self, model: Recommender, optimizer: torch.optim.Optimizer,
                 scheduler: torch.optim.lr_scheduler.LambdaLR, rng: np.random.Generator,
                 generator: torch.Generator) -> None:
        self.model, self.optimizer, self.scheduler, self.rng, self.generator = model, optimizer, scheduler, rng, generator

    def save(self, path: Path, next_epoch: int, stopped: bool, result: FitResult, best_state: dict) -> None:
        """Write the state atomically: a kill while writing leaves the previous epoch's checkpoint."""
        payload = {
            "next_epoch": next_epoch, "stopped": stopped, "result": dict(result.__dict__),
            "model": self.model.state_dict(), "best_state": best_state, "optimizer": self.optimizer.state_dict(),
            "scheduler": self.scheduler.state_dict(), "numpy_rng": self.rng.bit_generator.state,
            "negatives_rng": self.generator.get_state(), "torch_rng": torch.get_rng_state(),
            "cuda_rng": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else None,
        }
        with atomic_path(path) as tmp:
            torch.save(payload, tmp)

    def load(self, path: Path, result: FitResult) -> tuple[int, bool, dict]:
        """Restore the state into the live objects and `result`; returns (next epoch, stopped, best weights)."""
        saved = torch.load(path, weights_only=False, map_location=model_device(self.model))
        self.model.load_state_dict(saved["model"])
        self.optimizer.load_state_dict(saved["optimizer"])
        self.scheduler.load_state_dict(saved["scheduler"])
        self.rng.bit_generator.state = saved["numpy_rng"]
        self.generator.set_state(saved["negatives_rng"])
        torch.set_rng_state(saved["torch_rng"])
        if saved["cuda_rng"] is not None and torch.cuda.is_available():
            torch.cuda.set_rng_state_all(saved["cuda_rng"])
        result.__dict__.update(saved["result"])
        return int(saved["next_epoch"]), bool(saved["stopped"]), saved["best_state"]


def _optimiser(model: Recommender, lr: float, weight_decay: float, steps_per_epoch: int, epochs: int,
               lr_schedule: str) -> tuple[torch.optim.Optimizer, torch.optim.lr_scheduler.LambdaLR]:
    """AdamW and its per-step learning-rate schedule (constant, or warm-up then cosine)."""
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: _lr_factor(step, steps_per_epoch, epochs * steps_per_epoch, lr_schedule)
    )
    return optimizer, scheduler


def _check_settings(loss_weights: dict[str, float], method: str, model: Recommender, lr_schedule: str) -> None:
    """One-line errors for training settings that do not fit together, before any work."""
    unknown = set(loss_weights) - {"satisfaction", "revenue"}
    if unknown:
        raise ValueError(f"train.loss_weights has unknown objective(s) {sorted(unknown)}; use satisfaction, revenue")
    if method not in ("weighted", "mgda", "conditioned"):
        raise ValueError(f"train.method must be weighted, mgda or conditioned, got {method!r}")
    if (method == "conditioned") != bool(model.scorer.n_preferences):
        raise ValueError("train.method=conditioned needs a preference-conditioned scorer (model.n_preferences=2) and only it")
    if lr_schedule not in ("constant", "cosine"):
        raise ValueError(f"train.lr_schedule must be constant or cosine, got {lr_schedule!r}")
