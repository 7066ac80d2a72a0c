"""Train the recommender end to end on a weighted sum of objective losses, all positions in one pass."""
from __future__ import annotations

import contextlib
import copy
import time
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F
from tqdm.auto import tqdm

from morec_pareto.data.split import training_windows
from morec_pareto.device import model_device
from morec_pareto.metrics.accuracy import ranking_metrics, target_ranks
from morec_pareto.models.recommender import Recommender
from morec_pareto.models.repeat import history_levels
from morec_pareto.training.allocator import keep_freed_memory
from morec_pareto.training.gradients import mgda_ub_loss
from morec_pareto.training.losses import revenue_loss, satisfaction_loss
from morec_pareto.training.scoring import score_matrix
from morec_pareto.types import PURCHASE, Split


@dataclass
class FitResult:
    """What training did: the best epoch by validation NDCG@10 and per-epoch records."""

    best_epoch: int
    best_valid_ndcg: float
    epochs_run: int
    train_seconds: float
    history: list[dict[str, float]] = field(default_factory=list)
    learned: dict = field(default_factory=dict)  # the model's `learned_terms()` after training
    reused_from: str | None = None  # set when the model was loaded from `model_cache`, not trained here

    @property
    def seconds_per_epoch(self) -> float:
        return self.train_seconds / max(1, self.epochs_run)


def batch_losses(
    model: Recommender,
    windows: torch.Tensor,
    behaviours: torch.Tensor,
    price: torch.Tensor,
    n_negatives: int,
    generator: torch.Generator,
    preference: torch.Tensor | None = None,
    full_softmax: bool = True,
) -> tuple[dict[str, torch.Tensor], torch.Tensor]:
    """Both objective losses of one batch of windows (B, L+1); every position predicts the next event.

    `price` (I+1,) holds prices normalised to mean 1 at index item+1. `preference` (B, n_obj) is fed to
    a preference-conditioned scorer. Returns the losses and the user states they share, (N, d).
    With `full_softmax`, the satisfaction loss adds a cross-entropy over
    every item on the scorer's bilinear (GMF) part: many negatives matter more than depth, and only
    that part is cheap enough to score against all items. A scorer without a deep path (`DotScorer`)
    is bilinear throughout: its satisfaction loss is then that full cross-entropy alone (SASRec's loss).
    Negatives are drawn from `generator` on the CPU (the same draws on every device) and moved to the
    device of `windows`, where everything else runs.
    """
    inputs, targets = windows[:, :-1], windows[:, 1:]
    states = model.user_encoder(inputs, behaviours[:, :-1])  # (B, L, d)
    valid = (targets > 0) & (inputs > 0)
    rows = valid.nonzero(as_tuple=True)[0]
    h_u = states[valid]  # (N, d)
    pos = targets[valid]  # (N,)
    bought = behaviours[:, 1:][valid] == PURCHASE
    n_items = len(price) - 1
    device = windows.device
    neg = torch.randint(1, n_items + 1, (n_negatives,), generator=generator).to(device)  # (M,) shared negatives
    if full_softmax:
        h_every = model.item_encoder(torch.arange(1, n_items + 1, device=device))  # (I, d)
        h_pos, h_neg = h_every[pos - 1], h_every[neg - 1]
    else:
        uniq, inverse = torch.unique(torch.cat([pos, neg]), return_inverse=True)
        h_all = model.item_encoder(uniq)
        h_pos, h_neg = h_all[inverse[: len(pos)]], h_all[inverse[len(pos):]]
    pref_rows = None if preference is None else preference[rows]
    pos_logits = model.scorer(h_u, h_pos, pref_rows)  # (N, 2)
    neg_logits = model.scorer.pairs(h_u, h_neg, pref_rows)  # (N, M, 2)
    levels = None
    if model.repeat_bias is not None:
        levels = history_levels(inputs, behaviours[:, :-1], n_items, every_prefix=True)[valid]  # (N, I) uint8
        pos_logits = model.repeat_bias.add_to(pos_logits, levels.gather(1, (pos - 1)[:, None])[:, 0])
        neg_logits = model.repeat_bias.add_to(neg_logits, levels[:, neg - 1])
    accidental = neg[None, :] == pos[:, None]
    if full_softmax and not model.scorer.has_deep_path:
        satisfaction = F.cross_entropy(_full_logits(model, h_u, h_every, levels, pref_rows), pos - 1)
    else:
        satisfaction = satisfaction_loss(pos_logits[:, 0], neg_logits[..., 0], accidental)
        if full_softmax:
            satisfaction = satisfaction + F.cross_entropy(_full_logits(model, h_u, h_every, levels), pos - 1)
    losses = {
        "satisfaction": satisfaction,
        "revenue": revenue_loss(pos_logits[:, 1], neg_logits[..., 1], bought, price[pos], price[neg], accidental),
    }
    return losses, h_u


def _full_logits(
    model: Recommender, h_u: torch.Tensor, h_every: torch.Tensor, levels: torch.Tensor | None,
    preference: torch.Tensor | None = None,
) -> torch.Tensor:
    """Satisfaction logits (N, I) of user states (N, d) against every item on the scorer's bilinear part.

    `preference` reaches only a scorer without a deep path, whose bilinear part is its whole head.
    """
    if preference is None:
        every_logits = model.scorer.bilinear(h_u, h_every)
    else:
        every_logits = model.scorer.bilinear(h_u, h_every, preference=preference)
    if levels is not None:
        every_logits = model.repeat_bias.add_to(every_logits, levels, head=0)
    return every_logits


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


def _diverged(what: str, epoch: int) -> str:
    """The one-line error of a diverged training run; `epoch` is 0-based, as in FitResult.best_epoch."""
    return f"training diverged: {what} at epoch {epoch}; lower train.lr or check the data"


def _autocast(precision: str, device: torch.device) -> contextlib.AbstractContextManager:
    """A context for the forward pass and losses at `train.precision` on `device` (a new one per use)."""
    if precision == "fp32":
        return contextlib.nullcontext()
    if precision != "bf16":
        raise ValueError(f"train.precision must be fp32 or bf16, got {precision!r}")
    if device.type != "cuda":
        raise ValueError(f"train.precision=bf16 needs a CUDA device, the model is on {device}; use train.precision=fp32")
    return torch.autocast(device_type="cuda", dtype=torch.bfloat16)


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
) -> FitResult:
    """Train end to end; keep the weights of the best validation NDCG@10 epoch.

    Methods (`train.method`):
        weighted: minimise sum_k w_k L_k with w = `loss_weights`.
        mgda: no weights; each step follows the min-norm combination of the losses' gradients
            w.r.t. the shared user states (MGDA-UB), a common descent direction.
        conditioned: the scorer takes a preference vector; each batch draws lambda ~
            Dirichlet(dirichlet_alpha) and minimises sum_k lambda_k L_k at that preference, so one
            model covers the whole front. Early stopping reads preference (1, 0).

    Training runs on the model's device (move the model first). `precision` fp32, or bf16: forward
    and losses under bfloat16 autocast, CUDA only (weights, optimiser and validation stay fp32).
    """
    unknown = set(loss_weights) - {"satisfaction", "revenue"}
    if unknown:
        raise ValueError(f"train.loss_weights has unknown objective(s) {sorted(unknown)}; use satisfaction, revenue")
    if method not in ("weighted", "mgda", "conditioned"):
        raise ValueError(f"train.method must be weighted, mgda or conditioned, got {method!r}")
    conditioned = method == "conditioned"
    if conditioned != bool(model.scorer.n_preferences):
        raise ValueError("train.method=conditioned needs a preference-conditioned scorer (model.n_preferences=2) and only it")
    eval_preference = np.array([1.0, 0.0]) if conditioned else None
    device = model_device(model)
    _autocast(precision, device)  # a bad precision fails before any work
    if device.type == "cpu":
        keep_freed_memory()
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    generator = torch.Generator().manual_seed(seed)
    max_len = model.user_encoder.max_len
    _, windows, behaviours = training_windows(split, max_len)
    windows_t, behaviours_t = torch.as_tensor(windows, device=device), torch.as_tensor(behaviours, device=device)
    price = split.data.item_price / split.data.item_price.mean()
    price_t = torch.as_tensor(np.concatenate([[0.0], price]), dtype=torch.float32, device=device)
    eval_users = np.arange(split.sequences.n_users)
    if len(eval_users) > max_eval_users:
        eval_users = np.sort(rng.choice(eval_users, max_eval_users, replace=False))
    if lr_schedule not in ("constant", "cosine"):
        raise ValueError(f"train.lr_schedule must be constant or cosine, got {lr_schedule!r}")
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)
    steps_per_epoch = -(-len(windows) // batch_size)
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: _lr_factor(step, steps_per_epoch, epochs * steps_per_epoch, lr_schedule)
    )
    result = FitResult(best_epoch=-1, best_valid_ndcg=-1.0, epochs_run=0, train_seconds=0.0)
    best_state = copy.deepcopy(model.state_dict())
    bar = tqdm(range(epochs), desc="train", unit="epoch", disable=not progress)
    for epoch in bar:
        start = time.perf_counter()
        model.train()
        order = rng.permutation(len(windows))
        totals = {"satisfaction": torch.zeros((), dtype=torch.float64, device=device),
                  "revenue": torch.zeros((), dtype=torch.float64, device=device)}
        # A step bar inside the epoch bar, on long epochs only: large data shows it is alive.
        steps = tqdm(range(0, len(order), batch_size), desc=f"epoch {epoch}", unit="step", leave=False,
                     disable=not progress or steps_per_epoch < 200, mininterval=5.0)
        for b in steps:
            idx = torch.as_tensor(order[b : b + batch_size], device=device)
            preference = None
            if conditioned:
                lam = torch.distributions.Dirichlet(torch.full((2,), float(dirichlet_alpha))).sample().to(device)
                preference = lam.expand(len(idx), 2)
            with _autocast(precision, device):
                losses, states = batch_losses(model, windows_t[idx], behaviours_t[idx], price_t, n_negatives,
                                              generator, preference=preference, full_softmax=full_softmax)
            if method == "mgda":
                loss, _ = mgda_ub_loss(losses, states)
            elif conditioned:
                loss = lam[0] * losses["satisfaction"] + lam[1] * losses["revenue"]
            else:
                loss = sum(loss_weights.get(k, 0.0) * v for k, v in losses.items())
            if not torch.isfinite(loss):
                raise FloatingPointError(_diverged(f"non-finite loss ({loss.item()})", epoch))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            scheduler.step()
            for k, v in losses.items():
                totals[k] += v.detach().double() * (len(idx) / len(order))  # no per-step device sync
        totals = {k: float(v) for k, v in totals.items()}
        if not all(torch.isfinite(p).all() for p in model.parameters()):  # a finite loss with an inf gradient
            raise FloatingPointError(_diverged("non-finite weights", epoch))
        valid = validation_metrics(model, split, eval_users, eval_preference)
        result.train_seconds += time.perf_counter() - start
        result.epochs_run = epoch + 1
        record = {"epoch": epoch, **{f"loss_{k}": v for k, v in totals.items()}, "valid_ndcg@10": valid["ndcg@10"]}
        result.history.append(record)
        bar.set_postfix(loss=f"{totals['satisfaction']:.3f}", ndcg10=f"{valid['ndcg@10']:.4f}")
        if np.isfinite(valid["ndcg@10"]) and valid["ndcg@10"] > result.best_valid_ndcg:  # NaN is never best
            result.best_epoch, result.best_valid_ndcg = epoch, valid["ndcg@10"]
            best_state = copy.deepcopy(model.state_dict())
        elif epoch - result.best_epoch >= patience:
            break
    if device.type == "cpu":
        keep_freed_memory(False)  # what follows (score tables of every user x item) should not sit on a kept heap
    if keep_best:
        model.load_state_dict(best_state)
    model.eval()
    result.learned = model.learned_terms()
    return result
