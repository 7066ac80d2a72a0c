"""One training step and one epoch of steps: both objective losses of a batch, their combination, the update."""
from __future__ import annotations

import contextlib
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from morec_pareto.data.split import training_windows
from morec_pareto.models.recommender import Recommender
from morec_pareto.models.repeat import history_depths
from morec_pareto.models.scorer import DotScorer
from morec_pareto.training.gradients import mgda_ub_loss
from morec_pareto.training.losses import revenue_loss, satisfaction_loss
from morec_pareto.types import PURCHASE, Split


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
    # Rows are gathered with F.embedding, not h_every[pos - 1]: on the CPU with 2+ threads, advanced indexing's
    # backward adds the gradients of repeated rows with atomics in whatever order the threads run, so the same
    # seed trained to different weights run to run; embedding's backward adds them in index order (what the
    # 1-thread indexing backward does too, so 1-thread results are unchanged).
    if full_softmax:
        h_every = model.item_encoder(torch.arange(1, n_items + 1, device=device))  # (I, d)
        h_pos, h_neg = F.embedding(pos - 1, h_every), F.embedding(neg - 1, h_every)
    else:
        uniq, inverse = torch.unique(torch.cat([pos, neg]), return_inverse=True)
        h_all = model.item_encoder(uniq)
        h_pos, h_neg = F.embedding(inverse[: len(pos)], h_all), F.embedding(inverse[len(pos):], h_all)
    pref_rows = None if preference is None else preference[rows]
    pos_logits = model.scorer(h_u, h_pos, pref_rows)  # (N, 2)
    neg_logits = model.scorer.pairs(h_u, h_neg, pref_rows)  # (N, M, 2)
    depths = None
    if model.repeat_bias is not None:
        depths = history_depths(inputs, behaviours[:, :-1], n_items, every_prefix=True)[valid]  # (N, I) uint8
        pos_logits = model.repeat_bias.add_to(pos_logits, depths.gather(1, (pos - 1)[:, None])[:, 0])
        neg_logits = model.repeat_bias.add_to(neg_logits, depths[:, neg - 1])
    accidental = neg[None, :] == pos[:, None]
    if full_softmax and not model.scorer.has_deep_path:
        satisfaction = F.cross_entropy(_full_logits(model, h_u, h_every, depths, pref_rows), pos - 1)
    else:
        satisfaction = satisfaction_loss(pos_logits[:, 0], neg_logits[..., 0], accidental)
        if full_softmax:
            satisfaction = satisfaction + F.cross_entropy(_full_logits(model, h_u, h_every, depths), pos - 1)
    losses = {
        "satisfaction": satisfaction,
        "revenue": revenue_loss(pos_logits[:, 1], neg_logits[..., 1], bought, price[pos], price[neg], accidental),
    }
    return losses, h_u


def _full_logits(
    model: Recommender, h_u: torch.Tensor, h_every: torch.Tensor, depths: torch.Tensor | None,
    preference: torch.Tensor | None = None,
) -> torch.Tensor:
    """Satisfaction logits (N, I) of user states (N, d) against every item on the scorer's bilinear part.

    `preference` reaches only a scorer without a deep path, whose bilinear part is its whole head.
    """
    if preference is None:
        every_logits = model.scorer.bilinear(h_u, h_every)
    else:
        scorer = model.scorer
        assert isinstance(scorer, DotScorer), "a preference reaches only a scorer without a deep path"
        every_logits = scorer.bilinear(h_u, h_every, preference=preference)
    if depths is not None:
        assert model.repeat_bias is not None, "depths are computed only for a model with a repeat bias"
        every_logits = model.repeat_bias.add_to(every_logits, depths, head=0)
    return every_logits


def _diverged(what: str, epoch: int) -> str:
    """The one-line error of a diverged training run; `epoch` is 0-based, as in FitResult.best_epoch."""
    return f"training diverged: {what} at epoch {epoch}; lower train.lr or check the data"


def autocast_for(precision: str, device: torch.device) -> contextlib.AbstractContextManager:
    """A context for the forward pass and losses at `train.precision` on `device` (a new one per use)."""
    if precision == "fp32":
        return contextlib.nullcontext()
    if precision != "bf16":
        raise ValueError(f"train.precision must be fp32 or bf16, got {precision!r}")
    if device.type != "cuda":
        raise ValueError(f"train.precision=bf16 needs a CUDA device, the model is on {device}; use train.precision=fp32")
    return torch.autocast(device_type="cuda", dtype=torch.bfloat16)


@dataclass
class EpochRunner:
    """The training windows on the model's device and how one epoch of steps over them runs."""

    windows: torch.Tensor  # (N, L+1) item ids
    behaviours: torch.Tensor  # (N, L+1)
    price: torch.Tensor  # (I+1,) prices normalised to mean 1, index item+1
    device: torch.device
    batch_size: int
    n_negatives: int
    full_softmax: bool
    dirichlet_alpha: float
    precision: str
    generator: torch.Generator

    @classmethod
    def of(cls, split: Split, model: Recommender, device: torch.device, *settings) -> EpochRunner:
        _, windows, behaviours = training_windows(split, model.user_encoder.max_len)
        price = split.data.item_price / split.data.item_price.mean()
        return cls(torch.as_tensor(windows, device=device), torch.as_tensor(behaviours, device=device),
                   torch.as_tensor(np.concatenate([[0.0], price]), dtype=torch.float32, device=device), device, *settings)

    @property
    def n_windows(self) -> int:
        return len(self.windows)

    def train_epoch(self, model: Recommender, order: np.ndarray, steps, optimizer, scheduler, method: str,
                    loss_weights: dict[str, float], epoch: int) -> dict[str, float]:
        """One pass over the windows in `order`; returns each objective's mean loss."""
        device = self.device
        totals = {"satisfaction": torch.zeros((), dtype=torch.float64, device=device),
                  "revenue": torch.zeros((), dtype=torch.float64, device=device)}
        for b in steps:
            idx = torch.as_tensor(order[b : b + self.batch_size], device=device)
            preference = lam = None
            if method == "conditioned":
                lam = torch.distributions.Dirichlet(torch.full((2,), float(self.dirichlet_alpha))).sample().to(device)
                preference = lam.expand(len(idx), 2)
            with autocast_for(self.precision, device):
                losses, states = batch_losses(model, self.windows[idx], self.behaviours[idx], self.price,
                                              self.n_negatives, self.generator, preference=preference,
                                              full_softmax=self.full_softmax)
            loss = _combined_loss(method, losses, states, lam, loss_weights)
            if not torch.isfinite(loss):
                raise FloatingPointError(_diverged(f"non-finite loss ({loss.item()})", epoch))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            scheduler.step()
            for k, v in losses.items():
                totals[k] += v.detach().double() * (len(idx) / len(order))  # no per-step device sync
        if not all(torch.isfinite(p).all() for p in model.parameters()):  # a finite loss with an inf gradient
            raise FloatingPointError(_diverged("non-finite weights", epoch))
        return {k: float(v) for k, v in totals.items()}


def _combined_loss(method: str, losses: dict[str, torch.Tensor], states: torch.Tensor, lam: torch.Tensor | None,
                   loss_weights: dict[str, float]) -> torch.Tensor:
    """The step's scalar loss: MGDA's min-norm combination, the sampled preference, or the weighted sum."""
    if method == "mgda":
        return mgda_ub_loss(losses, states)[0]
    if method == "conditioned":
        assert lam is not None, "the conditioned method samples a preference every step"
        return lam[0] * losses["satisfaction"] + lam[1] * losses["revenue"]
    total = sum(loss_weights.get(k, 0.0) * v for k, v in losses.items())
    assert isinstance(total, torch.Tensor), "losses is never empty"
    return total
