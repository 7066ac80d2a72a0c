"""Item encoders: a Transformer over attribute tokens (id, category, tags, price bucket), or the id alone."""
from __future__ import annotations

import numpy as np
import torch
from torch import nn


def price_buckets(price: np.ndarray, n_buckets: int) -> np.ndarray:
    """Quantile bucket of every price in [0, n_buckets)."""
    edges = np.quantile(np.log(price), np.linspace(0, 1, n_buckets + 1)[1:-1])
    return np.searchsorted(edges, np.log(price), side="right")


class ItemEncoder(nn.Module):
    """Encode every item from its attribute tokens.

    Tokens of item i: [id_i, category_i, tags_i, price_bucket_i], where the tags token is the mean of
    the item's tag embeddings (four tokens whatever the number of tags keeps encoding every item at
    every step affordable); each field has its own embedding table plus a field embedding; a Transformer encoder mixes them, and the id token's output,
    scaled by a learned gate that starts at 0, is added to the raw id embedding to give the item state.
    """

    def __init__(
        self,
        n_items: int,
        item_category: np.ndarray,
        item_tags: np.ndarray,
        item_price: np.ndarray,
        n_categories: int,
        n_tags: int,
        d_model: int = 64,
        n_layers: int = 1,
        n_heads: int = 2,
        n_price_buckets: int = 10,
        dropout: float = 0.2,
    ) -> None:
        super().__init__()
        self.id_embedding = nn.Embedding(n_items + 1, d_model, padding_idx=0)  # 0 = padding
        self.category_embedding = nn.Embedding(n_categories, d_model)
        self.tag_embedding = nn.Embedding(n_tags + 1, d_model, padding_idx=0)
        self.price_embedding = nn.Embedding(n_price_buckets, d_model)
        self.field_embedding = nn.Embedding(4, d_model)
        layer = nn.TransformerEncoderLayer(
            d_model, n_heads, dim_feedforward=d_model * 2, dropout=dropout, batch_first=True, norm_first=True,
            activation="gelu",
        )
        self.transformer = nn.TransformerEncoder(layer, n_layers, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(d_model)
        # ReZero-style gate: the item state starts as its id embedding and lets attributes in as they help;
        # an ungated attribute path drowns the id signal and training stalls.
        self.attribute_gate = nn.Parameter(torch.zeros(1))
        pad = np.zeros((1,), dtype=np.int64)
        self.register_buffer("category", torch.as_tensor(np.concatenate([pad, item_category])), persistent=False)
        self.register_buffer("tags", torch.as_tensor(np.concatenate([np.zeros((1, item_tags.shape[1]), np.int64), item_tags])), persistent=False)
        self.register_buffer("price_bucket", torch.as_tensor(np.concatenate([pad, price_buckets(item_price, n_price_buckets)])), persistent=False)
        for table in (self.id_embedding, self.category_embedding, self.tag_embedding, self.price_embedding, self.field_embedding):
            nn.init.normal_(table.weight, std=0.02)
        with torch.no_grad():  # padding rows stay zero: "no tag" adds nothing to the tag mean
            self.id_embedding.weight[0].zero_()
            self.tag_embedding.weight[0].zero_()

    def forward(self, items: torch.Tensor) -> torch.Tensor:
        """Item states for 1-based item ids of any shape (...,) -> (..., d)."""
        flat = items.reshape(-1)
        tags = self.tags[flat]  # (N, T), 0 = no tag (a zero embedding)
        n_tags = (tags > 0).sum(dim=1, keepdim=True).clamp(min=1)
        tokens = torch.stack(
            [
                self.id_embedding(flat),
                self.category_embedding(self.category[flat]),
                self.tag_embedding(tags).sum(dim=1) / n_tags,
                self.price_embedding(self.price_bucket[flat]),
            ],
            dim=1,
        )  # (N, 4, d)
        out = self.transformer(tokens + self.field_embedding.weight[None])
        state = self.id_embedding(flat) + self.attribute_gate * self.norm(out[:, 0])
        return state.reshape(*items.shape, -1)


class IdItemEncoder(nn.Module):
    """The item state is the item-id embedding alone (SASRec's item side): no attribute tokens."""

    def __init__(self, n_items: int, d_model: int = 64) -> None:
        super().__init__()
        self.id_embedding = nn.Embedding(n_items + 1, d_model, padding_idx=0)  # 0 = padding
        nn.init.normal_(self.id_embedding.weight, std=0.02)
        with torch.no_grad():
            self.id_embedding.weight[0].zero_()

    def forward(self, items: torch.Tensor) -> torch.Tensor:
        """Item states for 1-based item ids of any shape (...,) -> (..., d)."""
        return self.id_embedding(items)
