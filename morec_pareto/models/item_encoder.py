"""Item encoders: a Transformer over attribute tokens (id, category, tags, price bucket), or the id alone."""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from morec_pareto.models.dropout import fast_dropout, use_fast_dropout


def price_buckets(price: np.ndarray, n_buckets: int) -> np.ndarray:
    """Quantile bucket of every price in [0, n_buckets)."""
    edges = np.quantile(np.log(price), np.linspace(0, 1, n_buckets + 1)[1:-1])
    return np.searchsorted(edges, np.log(price), side="right")


class ItemEncoder(nn.Module):
    """Encode every item from its attribute tokens.

    With `text_embedding` (I, E), frozen sentence embeddings of the items' texts (`models.text_encoder`),
    a fifth token joins them: a learned Linear projection of the item's embedding into d_model (the
    embedding itself is a buffer, never trained).

    Tokens of item i: [id_i, category_i, tags_i, price_bucket_i], where the tags token is the mean of
    the item's tag embeddings (four tokens whatever the number of tags keeps encoding every item at
    every step affordable); each field has its own embedding table plus a field embedding; a Transformer
    encoder mixes them, and the id token's output,
    scaled by a learned gate that starts at 0, is added to the raw id embedding to give the item state.

    Only the id token's output is read, so the last layer runs for that one query (its keys and values
    still come from all four tokens), and in a one-layer encoder the keys and values of the category,
    tags and price tokens, which depend on the attribute value alone, are computed once per distinct
    value (20 categories, 10 buckets, the distinct tag sets) and gathered: the function is the Transformer
    encoder's (`_reference_forward`, to float rounding), at about a third of its cost over every item.
    """

    # buffers (register_buffer), declared for the type checker
    category: torch.Tensor  # (I+1,) category of each item, 0 = padding
    tags: torch.Tensor  # (I+1, T) tag ids of each item
    tag_sets: torch.Tensor  # (S, T) distinct tag rows
    tag_set: torch.Tensor  # (I+1,) each item's row in tag_sets
    price_bucket: torch.Tensor  # (I+1,) price bucket of each item
    text_embedding: torch.Tensor | None  # (I+1, E) frozen text embedding of each item, row 0 = padding

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
        text_embedding: np.ndarray | None = None,
    ) -> None:
        super().__init__()
        self.id_embedding = nn.Embedding(n_items + 1, d_model, padding_idx=0)  # 0 = padding
        self.category_embedding = nn.Embedding(n_categories, d_model)
        self.tag_embedding = nn.Embedding(n_tags + 1, d_model, padding_idx=0)
        self.price_embedding = nn.Embedding(n_price_buckets, d_model)
        self.field_embedding = nn.Embedding(4 if text_embedding is None else 5, d_model)
        layer = nn.TransformerEncoderLayer(
            d_model, n_heads, dim_feedforward=d_model * 2, dropout=dropout, batch_first=True, norm_first=True,
            activation="gelu",
        )
        self.transformer = use_fast_dropout(nn.TransformerEncoder(layer, n_layers, enable_nested_tensor=False))
        self.norm = nn.LayerNorm(d_model)
        # ReZero-style gate: the item state starts as its id embedding and lets attributes in as they help;
        # an ungated attribute path drowns the id signal and training stalls.
        self.attribute_gate = nn.Parameter(torch.zeros(1))
        pad = np.zeros((1,), dtype=np.int64)
        self.register_buffer("category", torch.as_tensor(np.concatenate([pad, item_category])), persistent=False)
        tags = np.concatenate([np.zeros((1, item_tags.shape[1]), np.int64), item_tags])
        self.register_buffer("tags", torch.as_tensor(tags), persistent=False)
        tag_sets, tag_set = np.unique(tags, axis=0, return_inverse=True)  # distinct tag rows, each item's row
        self.register_buffer("tag_sets", torch.as_tensor(tag_sets), persistent=False)  # (S, T)
        self.register_buffer("tag_set", torch.as_tensor(tag_set.reshape(-1)), persistent=False)  # (I+1,)
        buckets = np.concatenate([pad, price_buckets(item_price, n_price_buckets)])
        self.register_buffer("price_bucket", torch.as_tensor(buckets), persistent=False)
        for table in (self.id_embedding, self.category_embedding, self.tag_embedding, self.price_embedding, self.field_embedding):
            nn.init.normal_(table.weight, std=0.02)
        with torch.no_grad():  # padding rows stay zero: "no tag" adds nothing to the tag mean
            self.id_embedding.weight[0].zero_()
            self.tag_embedding.weight[0].zero_()
        self.text_projection: nn.Linear | None = None
        if text_embedding is None:
            self.text_embedding = None
        else:  # created last, so a model without text draws the same initial weights as before
            if text_embedding.shape[0] != n_items:
                raise ValueError(f"text_embedding has {text_embedding.shape[0]} rows, expected n_items={n_items}")
            text = np.concatenate([np.zeros((1, text_embedding.shape[1]), np.float32), text_embedding.astype(np.float32)])
            self.register_buffer("text_embedding", torch.as_tensor(text), persistent=False)  # frozen: no gradient
            self.text_projection = nn.Linear(text.shape[1], d_model)

    def _tag_mean(self, tags: torch.Tensor) -> torch.Tensor:
        """Mean tag embedding of tag rows (N, T), 0 = no tag (a zero embedding): (N, d)."""
        n_tags = (tags > 0).sum(dim=1, keepdim=True).clamp(min=1)
        return self.tag_embedding(tags).sum(dim=1) / n_tags

    def _text(self, flat: torch.Tensor) -> torch.Tensor:
        """The learned projection of items' (N,) frozen text embeddings: (N, d)."""
        assert self.text_embedding is not None and self.text_projection is not None, "a model with a text token"
        return self.text_projection(self.text_embedding[flat])

    def _tokens(self, flat: torch.Tensor) -> torch.Tensor:
        """The four (five with text) attribute tokens of items (N,), field embeddings added: (N, F, d)."""
        parts = [
            self.id_embedding(flat),
            self.category_embedding(self.category[flat]),
            self._tag_mean(self.tags[flat]),
            self.price_embedding(self.price_bucket[flat]),
        ]
        if self.text_embedding is not None:
            parts.append(self._text(flat))
        tokens = torch.stack(parts, dim=1)  # (N, F, d)
        return tokens + self.field_embedding.weight[None]

    def _reference_forward(self, items: torch.Tensor) -> torch.Tensor:
        """`forward` as the plain Transformer encoder over all tokens computes it (kept for tests)."""
        flat = items.reshape(-1)
        out = self.transformer(self._tokens(flat))
        state = self.id_embedding(flat) + self.attribute_gate * self.norm(out[:, 0])
        return state.reshape(*items.shape, -1)

    def forward(self, items: torch.Tensor) -> torch.Tensor:
        """Item states for 1-based item ids of any shape (...,) -> (..., d)."""
        flat = items.reshape(-1)
        *first, last = self.transformer.layers
        field = self.field_embedding.weight  # (4, d)
        if first:  # deeper encoders: every token through all but the last layer
            x = self._tokens(flat)
            for layer in first:
                x = layer(x)
            k, v = _keys_values(last, x)  # (N, 4, d) each
            query = x[:, 0]
        else:  # one layer: attribute tokens' keys and values once per distinct value, then gathered
            query = self.id_embedding(flat) + field[0]
            k_id, v_id = _keys_values(last, query)
            shared = [
                (self.category_embedding.weight + field[1], self.category[flat]),
                (self._tag_mean(self.tag_sets) + field[2], self.tag_set[flat]),
                (self.price_embedding.weight + field[3], self.price_bucket[flat]),
            ]
            keys, values = [k_id], [v_id]
            for table, index in shared:
                k_table, v_table = _keys_values(last, table)
                keys.append(k_table[index])
                values.append(v_table[index])
            if self.text_embedding is not None:  # one text per item: its keys and values per item
                k_text, v_text = _keys_values(last, self._text(flat) + field[4])
                keys.append(k_text)
                values.append(v_text)
            k, v = torch.stack(keys, dim=1), torch.stack(values, dim=1)  # (N, F, d)
        out = _id_query_layer(last, query, k, v)
        state = self.id_embedding(flat) + self.attribute_gate * self.norm(out)
        return state.reshape(*items.shape, -1)


def _keys_values(layer: nn.TransformerEncoderLayer, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Keys and values (..., d) each of a pre-norm layer's self-attention for tokens x (..., d)."""
    attn = layer.self_attn
    d = x.shape[-1]
    w, b = attn.in_proj_weight[d:], attn.in_proj_bias[d:]
    k, v = F.linear(layer.norm1(x), w, b).chunk(2, dim=-1)
    return k, v


def _id_query_layer(layer: nn.TransformerEncoderLayer, x: torch.Tensor, k: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """A pre-norm `TransformerEncoderLayer`'s output at one query token x (N, d) over keys, values (N, S, d).

    The same computation as the layer restricted to that output: self-attention (dropout on the
    attention weights), dropout, residual, then the GELU feed-forward block with its dropouts, residual.
    """
    attn = layer.self_attn
    N, S, d = k.shape
    h = attn.num_heads
    q = F.linear(layer.norm1(x), attn.in_proj_weight[:d], attn.in_proj_bias[:d]) * (d // h) ** -0.5  # (N, d)
    k, v = k.view(N, S, h, d // h), v.view(N, S, h, d // h)
    # one query over S = 4 keys: elementwise products beat a batched matmul of N*h tiny matrices
    weights = (k * q.view(N, 1, h, d // h)).sum(dim=-1).softmax(dim=1)  # (N, S, h)
    weights = fast_dropout(weights, attn.dropout, layer.training)
    a = (weights[..., None] * v).sum(dim=1)  # (N, h, d/h)
    x = x + layer.dropout1(attn.out_proj(a.reshape(N, d)))
    ff = layer.linear2(layer.dropout(layer.activation(layer.linear1(layer.norm2(x)))))
    return x + layer.dropout2(ff)


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
