"""Objective losses of the recommender: sampled-softmax satisfaction and price-weighted purchase BCE."""
from __future__ import annotations

import torch
import torch.nn.functional as F


def satisfaction_loss(pos_logit: torch.Tensor, neg_logit: torch.Tensor, accidental: torch.Tensor) -> torch.Tensor:
    """Sampled softmax cross-entropy of the next item against shared negatives.

    L = -mean_n log( exp(s_n,pos) / (exp(s_n,pos) + sum_m exp(s_n,m)) ), negatives equal to the
    positive (accidental hits) removed. Shapes: pos (N,), neg (N, M), accidental (N, M) bool.
    """
    neg_logit = neg_logit.masked_fill(accidental, float("-inf"))
    logits = torch.cat([pos_logit[:, None], neg_logit], dim=1)
    return F.cross_entropy(logits, torch.zeros(len(logits), dtype=torch.long, device=logits.device))


def revenue_loss(
    pos_logit: torch.Tensor,
    neg_logit: torch.Tensor,
    bought: torch.Tensor,
    pos_price: torch.Tensor,
    neg_price: torch.Tensor,
    accidental: torch.Tensor,
) -> torch.Tensor:
    """Price-weighted purchase loss: BCE of 'bought' on the next item and 'not bought' on negatives.

    L = mean_n [ p_pos * BCE(s_pos, y_n) + mean_m p_m * BCE(s_m, 0) ], prices p normalised to mean 1,
    so errors on expensive items, which move revenue most, cost most.
    """
    pos = F.binary_cross_entropy_with_logits(pos_logit, bought.float(), reduction="none") * pos_price
    neg = F.binary_cross_entropy_with_logits(neg_logit, torch.zeros_like(neg_logit), reduction="none") * neg_price[None]
    neg = neg.masked_fill(accidental, 0.0).mean(dim=1)
    return (pos + neg).mean()


LOSSES = ("satisfaction", "revenue")
