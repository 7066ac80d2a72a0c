"""Two-headed pair scorers (satisfaction, purchase): an MLP over [h_u; h_i; h_u * h_i], or dot products."""
from __future__ import annotations

from typing import cast

import torch
from torch import nn


class Scorer(nn.Module):
    """Two-headed pair scorer in the NeuMF shape.

    z = MLP([h_u; h_i; h_u * h_i]); each head is linear over [h_u * h_i; z], so the elementwise
    product (a learned weighted dot product, GMF) reaches the heads directly beside the deep path.
    With `n_preferences > 0` the hidden layers are FiLM-modulated by a preference vector.
    Heads: 0 = satisfaction (next-interaction relevance logit), 1 = purchase logit.
    """

    has_deep_path = True  # the sampled-softmax loss trains the MLP path, which a full softmax cannot reach

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

    def _film(self, k: int, z: torch.Tensor, preference: torch.Tensor | None) -> torch.Tensor:
        """Hidden layer k's FiLM modulation z (1 + gamma) + beta by the preference (identity if unconditioned)."""
        if self.film is None:
            return z
        if preference is None:
            raise ValueError("this scorer is preference-conditioned: pass a preference vector")
        gamma, beta = self.film[k](preference).chunk(2, dim=-1)
        return z * (1 + gamma) + beta

    def forward(self, h_u: torch.Tensor, h_i: torch.Tensor, preference: torch.Tensor | None = None) -> torch.Tensor:
        """Logits (..., 2) for broadcastable h_u (..., d) and h_i (..., d).

        `preference` (..., n_preferences) broadcastable to the pair shape, required iff n_preferences > 0.
        """
        d = h_u.shape[-1]
        product = h_u * h_i  # (..., d), the only pair-sized input tensor
        # The first layer over [h_u; h_i; h_u*h_i] is applied blockwise so that h_u and h_i are
        # projected once per user and once per item, not once per pair.
        first = cast(nn.Linear, self.layers[0])  # ModuleList indexing is typed as a plain Module
        w_u, w_i, w_p = first.weight.split(d, dim=1)
        z = h_u @ w_u.T + h_i @ w_i.T + product @ w_p.T + first.bias
        for k, layer in enumerate(self.layers):
            if k > 0:
                z = layer(z)
            z = self.dropout(torch.relu(self._film(k, z, preference)))
        w_g, w_z = self.heads.weight.split([d, z.shape[-1]], dim=1)
        return product @ w_g.T + z @ w_z.T + self.heads.bias

    def pairs(self, h_u: torch.Tensor, h_i: torch.Tensor, preference: torch.Tensor | None = None) -> torch.Tensor:
        """`forward` over every pair of N user states (N, d) and M item states (M, d): logits (N, M, 2).

        The same function as `forward(h_u[:, None], h_i[None], preference[:, None])`, arranged so that the
        pair-sized work is one GEMM: the first layer's pre-activation of pair (n, m) is
        h_i,m . (h_u,n * W_p + W_i) + (W_u h_u,n + b), so each user's (d, H) matrix is built once (a
        batched outer product) and all pairs come out of (M, d) @ (d, N*H), with no (N, M, d) product
        tensor and no pair-sized adds; the broadcast form spends twice the time, mostly on those.
        `preference` (N, n_preferences) for a conditioned scorer.
        """
        N, d = h_u.shape
        M = h_i.shape[0]
        first = cast(nn.Linear, self.layers[0])  # ModuleList indexing is typed as a plain Module
        w_u, w_i, w_p = first.weight.split(d, dim=1)  # (H, d) each
        H = w_p.shape[0]
        # per_user[k, n] = h_u[n, k] * w_p[:, k] + w_i[:, k], as a batched (N, 2) @ (2, H) per k, whose
        # backward is batched matmuls too (elementwise broadcasting here costs reductions in the backward)
        factors = torch.stack([h_u.T, h_u.new_ones(d, N)], dim=-1)  # (d, N, 2)
        per_user = torch.bmm(factors, torch.stack([w_p.T, w_i.T], dim=1))  # (d, N, H)
        user_bias = (h_u @ w_u.T + first.bias).reshape(1, N * H)
        z = torch.addmm(user_bias, h_i, per_user.reshape(d, N * H))  # (M, N * H)
        if self.film is None:  # ReLU in place, on the base tensor (not a view): one pair-sized tensor fewer
            z = z.relu_()
        z = z.view(M, N, H)
        for k, layer in enumerate(self.layers):
            if k > 0:
                z = layer(z)
            z = self._film(k, z, preference)  # gamma, beta (N, H_k) broadcast over the M items
            if k > 0 or self.film is not None:
                z = torch.relu(z)
            z = self.dropout(z)
        w_g, w_z = self.heads.weight.split([d, z.shape[-1]], dim=1)
        gmf = torch.stack([(h_u * w_g[k]) @ h_i.T for k in range(len(w_g))], dim=-1)  # (N, M, 2)
        return gmf + (z @ w_z.T).transpose(0, 1) + self.heads.bias

    def bilinear(self, h_u: torch.Tensor, h_i: torch.Tensor, head: int = 0) -> torch.Tensor:
        """The GMF part of one head, sum_d w_d h_u,d h_i,d, for all pairs as one matmul: (N, d), (M, d) -> (N, M).

        It is cheap enough for a full softmax over every item, which the deep path is not.
        """
        w_g = self.heads.weight[head, : h_u.shape[-1]]
        return (h_u * w_g) @ h_i.T


class DotScorer(nn.Module):
    """SASRec's scorer with a purchase head beside it: two dot products, nothing deep.

    Head 0 = h_u . h_i (SASRec's logit); head 1 = h_u . (W h_i) + b, a second bilinear form for the
    purchase logit, so the revenue objective and the search still have a purchase score. With
    `n_preferences > 0` the user state is FiLM-modulated by the preference vector before both products.
    """

    has_deep_path = False  # every logit is bilinear: a full softmax trains all of it

    def __init__(self, d_model: int = 64, n_preferences: int = 0) -> None:
        super().__init__()
        self.purchase = nn.Linear(d_model, d_model, bias=False)  # W
        self.purchase_bias = nn.Parameter(torch.zeros(1))  # b: the base rate of a purchase
        self.film = nn.Linear(n_preferences, 2 * d_model) if n_preferences else None
        self.n_preferences = n_preferences
        nn.init.eye_(self.purchase.weight)  # the purchase head starts as the relevance head

    def _modulate(self, h_u: torch.Tensor, preference: torch.Tensor | None) -> torch.Tensor:
        if self.film is None:
            return h_u
        if preference is None:
            raise ValueError("this scorer is preference-conditioned: pass a preference vector")
        gamma, beta = self.film(preference).chunk(2, dim=-1)
        return h_u * (1 + gamma) + beta

    def forward(self, h_u: torch.Tensor, h_i: torch.Tensor, preference: torch.Tensor | None = None) -> torch.Tensor:
        """Logits (..., 2) for broadcastable h_u (..., d) and h_i (..., d) (and preference, if conditioned)."""
        h_u = self._modulate(h_u, preference)
        relevance = (h_u * h_i).sum(dim=-1)  # (...)
        purchase = (h_u * self.purchase(h_i)).sum(dim=-1) + self.purchase_bias
        return torch.stack([relevance, purchase], dim=-1)

    def pairs(self, h_u: torch.Tensor, h_i: torch.Tensor, preference: torch.Tensor | None = None) -> torch.Tensor:
        """Logits (N, M, 2) of every pair of user states (N, d) and item states (M, d), as two matmuls."""
        h_u = self._modulate(h_u, preference)
        relevance = h_u @ h_i.T
        purchase = h_u @ self.purchase(h_i).T + self.purchase_bias
        return torch.stack([relevance, purchase], dim=-1)

    def bilinear(
        self, h_u: torch.Tensor, h_i: torch.Tensor, head: int = 0, preference: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """One head's logits without the bias, all pairs as one matmul: (N, d), (M, d) -> (N, M).

        `preference` (N, n_preferences) for a conditioned scorer; without it the user state is unmodulated.
        """
        if self.film is not None and preference is not None:
            h_u = self._modulate(h_u, preference)
        return h_u @ (h_i if head == 0 else self.purchase(h_i)).T
