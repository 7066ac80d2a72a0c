"""MLP scorer over [h_u; h_i; h_u * h_i] with a satisfaction head and a purchase head."""
from __future__ import annotations

import torch
from torch import nn


class Scorer(nn.Module):
    """Two-headed pair scorer in the NeuMF shape.

    z = MLP([h_u; h_i; h_u * h_i]); each head is linear over [h_u * h_i; z], so the elementwise
    product (a learned weighted dot product, GMF) reaches the heads directly beside the deep path.
    With `n_preferences > 0` the hidden layers are FiLM-modulated by a preference vector.
    Heads: 0 = satisfaction (next-interaction relevance logit), 1 = purchase logit.
    """

    def __init__(self, d_model: int = 64, hidden: tuple[int, ...] = (64,), dropout: float = 0.1, n_preferences: int = 0) -> None:
        super().__init__()
        dims = [3 * d_model, *hidden]
        self.layers = nn.ModuleList(nn.Linear(a, b) for a, b in zip(dims[:-1], dims[1:]))
        self.film = nn.ModuleList(nn.Linear(n_preferences, 2 * b) for b in hidden) if n_preferences else None
        self.dropout = nn.Dropout(dropout)
        self.heads = nn.Linear(d_model + dims[-1], 2)
        self.n_preferences = n_preferences
        # The GMF weights start at 1: both heads begin as a plain dot product (what SASRec scores with).
        with torch.no_grad():
            self.heads.weight[:, :d_model] = 1.0

    def forward(self, h_u: torch.Tensor, h_i: torch.Tensor, preference: torch.Tensor | None = None) -> torch.Tensor:
        """Logits (..., 2) for broadcastable h_u (..., d) and h_i (..., d).

        `preference` (..., n_preferences) broadcastable to the pair shape, required iff n_preferences > 0.
        """
        d = h_u.shape[-1]
        product = h_u * h_i  # (..., d), the only pair-sized input tensor
        # The first layer over [h_u; h_i; h_u*h_i] is applied blockwise so that h_u and h_i are
        # projected once per user and once per item, not once per pair.
        w_u, w_i, w_p = self.layers[0].weight.split(d, dim=1)
        z = h_u @ w_u.T + h_i @ w_i.T + product @ w_p.T + self.layers[0].bias
        for k, layer in enumerate(self.layers):
            if k > 0:
                z = layer(z)
            if self.film is not None:
                if preference is None:
                    raise ValueError("this scorer is preference-conditioned: pass a preference vector")
                gamma, beta = self.film[k](preference).chunk(2, dim=-1)
                z = z * (1 + gamma) + beta
            z = self.dropout(torch.relu(z))
        w_g, w_z = self.heads.weight.split([d, z.shape[-1]], dim=1)
        return product @ w_g.T + z @ w_z.T + self.heads.bias

    def bilinear(self, h_u: torch.Tensor, h_i: torch.Tensor, head: int = 0) -> torch.Tensor:
        """The GMF part of one head, sum_d w_d h_u,d h_i,d, for all pairs as one matmul: (N, d), (M, d) -> (N, M).

        It is cheap enough for a full softmax over every item, which the deep path is not.
        """
        w_g = self.heads.weight[head, : h_u.shape[-1]]
        return (h_u * w_g) @ h_i.T
