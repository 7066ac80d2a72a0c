"""The recommender: item encoder, user encoder and two-headed scorer wired together."""
from __future__ import annotations

import torch
from torch import nn

from morec_pareto.models.item_encoder import IdItemEncoder, ItemEncoder
from morec_pareto.models.repeat import RepeatBias
from morec_pareto.models.scorer import DotScorer, Scorer
from morec_pareto.models.text_encoder import item_embeddings
from morec_pareto.models.user_encoder import UserEncoder
from morec_pareto.types import BEHAVIOURS, Interactions


class Recommender(nn.Module):
    """User states from the behaviour sequence, item states from attributes, pair logits from the scorer.

    With a `repeat_bias`, an item already in the user's sequence has its logits shifted by a learned
    offset per behaviour depth (see `models.repeat`).
    """

    def __init__(
        self, item_encoder: ItemEncoder | IdItemEncoder, user_encoder: UserEncoder, scorer: Scorer | DotScorer,
        repeat_bias: RepeatBias | None = None,
    ) -> None:
        super().__init__()
        self.item_encoder = item_encoder
        self.user_encoder = user_encoder
        self.scorer = scorer
        self.repeat_bias = repeat_bias

    def learned_terms(self) -> dict:
        """Scalars worth reading after training: the attribute gate and the repeat offsets per behaviour."""
        terms: dict = {}
        if isinstance(self.item_encoder, ItemEncoder):
            terms["attribute_gate"] = float(self.item_encoder.attribute_gate.item())
        if self.repeat_bias is not None:
            with torch.no_grad():
                depths = torch.arange(1, len(BEHAVIOURS) + 1, device=self.repeat_bias.offset.weight.device)
                offsets = self.repeat_bias(depths)
            terms["repeat_offsets"] = {
                name: {"satisfaction": float(row[0]), "purchase": float(row[1])} for name, row in zip(BEHAVIOURS, offsets)
            }
        return terms

    def score(
        self, h_u: torch.Tensor, h_i: torch.Tensor, preference: torch.Tensor | None = None,
        depths: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """Logits (B, M, 2) of B user states (B, d) against item states (M, d) or per-row (B, M, d).

        `preference` (B, n_preferences) feeds a conditioned scorer; `depths` (B, M) from
        `history_depths` adds the repeat term when the model has one.
        """
        if h_i.dim() == 2:  # every user against the same items: the scorer's all-pairs form
            out = self.scorer.pairs(h_u, h_i, preference)
        else:
            out = self.scorer(h_u[:, None, :], h_i, None if preference is None else preference[:, None, :])
        if self.repeat_bias is not None and depths is not None:
            out = self.repeat_bias.add_to(out, depths)
        return out

    def logits(
        self, h_u: torch.Tensor, items: torch.Tensor, preference: torch.Tensor | None = None,
        depths: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """`score` against 1-based item ids (M,) or per-row items (B, M)."""
        return self.score(h_u, self.item_encoder(items), preference, depths)

def build_recommender(
    data: Interactions,
    max_len: int = 50,
    d_model: int = 64,
    user_layers: int = 2,
    item_layers: int = 1,
    n_heads: int = 2,
    mlp_hidden: tuple[int, ...] = (64,),
    dropout: float = 0.2,
    n_price_buckets: int = 10,
    n_preferences: int = 0,
    repeat_bias: bool = False,
    item_attributes: bool = True,
    behaviour_tokens: bool = True,
    scorer: str = "mlp",
    text_encoder: str | None = None,
    text_cache_dir: str | None = None,
) -> Recommender:
    """Build the encoders and the scorer for a data set (sizes come from the data, not the config).

    `item_attributes=False` makes the item state the id embedding alone, `behaviour_tokens=False` makes
    the user encoder ignore behaviour types, `scorer="dot"` scores with dot products (`DotScorer`):
    all three together (and no repeat term) give SASRec inside this framework (`model=sasrec`).
    `text_encoder="minilm"` adds a token of frozen sentence embeddings of the items' texts to the item
    encoder (`models.text_encoder`; cached under `text_cache_dir`, None = the data cache's default folder).
    """
    if scorer not in ("mlp", "dot"):
        raise ValueError(f"model.scorer must be mlp or dot, got {scorer!r}")
    text = None
    if text_encoder is not None:
        if not item_attributes:
            raise ValueError("model.text_encoder adds a token to the attribute item encoder: it needs model.item_attributes=true")
        text = item_embeddings(data, text_encoder, text_cache_dir)
    item_encoder: ItemEncoder | IdItemEncoder
    if item_attributes:
        item_encoder = ItemEncoder(
            data.n_items, data.item_category, data.item_tags, data.item_price, data.n_categories, data.n_tags,
            d_model=d_model, n_layers=item_layers, n_heads=n_heads, n_price_buckets=n_price_buckets, dropout=dropout,
            text_embedding=text,
        )
    else:
        item_encoder = IdItemEncoder(data.n_items, d_model)
    user_encoder = UserEncoder(
        item_encoder.id_embedding, len(BEHAVIOURS), max_len, d_model=d_model, n_layers=user_layers,
        n_heads=n_heads, dropout=dropout, behaviour_tokens=behaviour_tokens,
    )
    if scorer == "dot":
        pair_scorer: Scorer | DotScorer = DotScorer(d_model, n_preferences=n_preferences)
    else:  # pair-depth dropout costs a quarter of training time
        pair_scorer = Scorer(d_model, tuple(mlp_hidden), dropout=0.0, n_preferences=n_preferences)
    repeat = RepeatBias(len(BEHAVIOURS)) if repeat_bias else None
    return Recommender(item_encoder, user_encoder, pair_scorer, repeat)
