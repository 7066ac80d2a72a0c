"""SASRec-style Transformer user encoder over a behaviour sequence."""
from __future__ import annotations

import torch
from torch import nn

from morec_pareto.models.dropout import FastDropout, use_fast_dropout


class UserEncoder(nn.Module):
    """Encode a left-padded event sequence into one user state per position.

    Input at each position: item embedding + behaviour-type embedding + learned position embedding,
    then a causal Transformer encoder (pre-norm). With `behaviour_tokens=False` the behaviour types
    are ignored (SASRec's input: item + position). `forward` returns every position's state (used by
    all-position training); `encode` returns the last position's state (the user representation).
    """

    def __init__(
        self,
        item_embedding: nn.Embedding,
        n_behaviours: int,
        max_len: int,
        d_model: int = 64,
        n_layers: int = 2,
        n_heads: int = 2,
        dropout: float = 0.2,
        behaviour_tokens: bool = True,
    ) -> None:
        super().__init__()
        if max_len < 1:
            raise ValueError(f"model.max_len must be >= 1, got {max_len}")
        self.item_embedding = item_embedding  # shared with the item encoder's id token
        self.behaviour_embedding = nn.Embedding(n_behaviours + 1, d_model) if behaviour_tokens else None
        self.position_embedding = nn.Embedding(max_len, d_model)
        layer = nn.TransformerEncoderLayer(
            d_model, n_heads, dim_feedforward=d_model * 2, dropout=dropout, batch_first=True, norm_first=True,
            activation="gelu",
        )
        # dropout masks from fast_dropout (same distribution, a fraction of the cost); the attention
        # weights' dropout inside nn.MultiheadAttention stays torch's own
        self.transformer = use_fast_dropout(nn.TransformerEncoder(layer, n_layers, enable_nested_tensor=False))
        self.norm = nn.LayerNorm(d_model)
        self.dropout = FastDropout(dropout)
        self.max_len = max_len
        self.n_heads = n_heads
        # Same small scale as the item embeddings, or position and behaviour drown the item signal.
        if self.behaviour_embedding is not None:
            nn.init.normal_(self.behaviour_embedding.weight, std=0.02)
        nn.init.normal_(self.position_embedding.weight, std=0.02)

    def forward(self, items: torch.Tensor, behaviours: torch.Tensor) -> torch.Tensor:
        """States of every position, (B, L, d); items use 0 as padding and 1.. for item ids."""
        B, L = items.shape
        positions = torch.arange(L, device=items.device)
        x = self.item_embedding(items)
        if self.behaviour_embedding is not None:
            x = x + self.behaviour_embedding(behaviours + (items > 0))
        x = x + self.position_embedding(positions)  # this order keeps the default model's float sums unchanged
        x = self.dropout(x)  # (B, L, d)
        causal = torch.triu(torch.ones(L, L, dtype=torch.bool, device=items.device), diagonal=1)
        # Padded keys are hidden, except from themselves: a padded query must see something or it is NaN.
        padded_key = (items == 0)[:, None, :] & ~torch.eye(L, dtype=torch.bool, device=items.device)
        blocked = (causal[None] | padded_key).repeat_interleave(self.n_heads, dim=0)  # (B * heads, L, L)
        x = self.transformer(x, mask=blocked)
        return self.norm(x)

    def encode(self, items: torch.Tensor, behaviours: torch.Tensor) -> torch.Tensor:
        """The user representation: the state at the last (most recent) position, (B, d)."""
        return self.forward(items, behaviours)[:, -1]
