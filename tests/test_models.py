"""Encoders and scorer: shapes, causal masking, padding, conditioning."""
import numpy as np
import pytest
import torch

from morec_pareto.data.split import padded_history
from morec_pareto.models.recommender import build_recommender
from morec_pareto.models.repeat import RepeatBias, history_depths
from morec_pareto.models.scorer import Scorer


@pytest.fixture(scope="module")
def model(tiny_split):
    torch.manual_seed(0)
    m = build_recommender(tiny_split.data, max_len=12, d_model=16, user_layers=2, n_heads=2)
    return m.eval()


def test_shapes(model, tiny_split):
    items, behaviours = padded_history(tiny_split, "valid", 12, np.arange(5))
    states = model.user_encoder(torch.as_tensor(items), torch.as_tensor(behaviours))
    assert states.shape == (5, 12, 16)
    h_i = model.item_encoder(torch.arange(1, 8))
    assert h_i.shape == (7, 16)
    logits = model.logits(states[:, -1], torch.arange(1, 8))
    assert logits.shape == (5, 7, 2)


def test_user_encoder_is_causal(model, tiny_split):
    items, behaviours = padded_history(tiny_split, "valid", 12, np.arange(4))
    items, behaviours = torch.as_tensor(items), torch.as_tensor(behaviours)
    changed = items.clone()
    changed[:, 8] = 1 + (changed[:, 8] % 5)
    a, b = model.user_encoder(items, behaviours), model.user_encoder(changed, behaviours)
    assert torch.allclose(a[:, :8], b[:, :8])
    assert not torch.allclose(a[:, 8:], b[:, 8:])


def test_padding_is_ignored_and_never_nan(model):
    items = torch.tensor([[0, 0, 0, 5, 7, 9, 2, 3, 4, 1, 6, 8], [0] * 11 + [3]])
    behaviours = torch.zeros_like(items)
    states = model.user_encoder(items, behaviours)
    assert torch.isfinite(states).all()
    other_pad = items.clone()
    other_pad[0, :3] = 0  # same padding, must give the same last state regardless of what pads hold
    assert torch.allclose(model.user_encoder.encode(items, behaviours), model.user_encoder.encode(other_pad, behaviours))


def test_item_encoder_uses_attributes(model):
    # items sharing nothing but the id slot differ once the attribute gate opens
    with torch.no_grad():
        model.item_encoder.attribute_gate.fill_(1.0)
        model.item_encoder.id_embedding.weight.zero_()
        h = model.item_encoder(torch.arange(1, 20))
        model.item_encoder.attribute_gate.fill_(0.0)
    assert h.std(dim=0).mean() > 0


def test_scorer_bilinear_is_the_gmf_part_of_the_head():
    torch.manual_seed(0)
    scorer = Scorer(d_model=8, hidden=(16,)).eval()
    h_u, h_i = torch.randn(3, 8), torch.randn(5, 8)
    w = scorer.heads.weight[0, :8]
    expected = torch.einsum("ud,id,d->ui", h_u, h_i, w)
    assert torch.allclose(scorer.bilinear(h_u, h_i), expected, atol=1e-5)
    assert scorer(h_u[:, None], h_i[None]).shape == (3, 5, 2)


def test_conditioned_scorer_needs_a_preference():
    scorer = Scorer(d_model=8, hidden=(16,), n_preferences=2)
    h_u, h_i = torch.randn(3, 8), torch.randn(3, 8)
    with pytest.raises(ValueError, match="preference"):
        scorer(h_u, h_i)
    a = scorer(h_u, h_i, torch.tensor([[1.0, 0.0]]).expand(3, 2))
    b = scorer(h_u, h_i, torch.tensor([[0.0, 1.0]]).expand(3, 2))
    assert a.shape == (3, 2) and not torch.allclose(a, b)


def test_history_depths_hand_case():
    # one sequence, left-padded: item 3 viewed, item 1 carted, item 3 bought (VIEW=0 .. PURCHASE=3)
    items = torch.tensor([[0, 3, 1, 3]])
    behaviours = torch.tensor([[0, 0, 2, 3]])
    last = history_depths(items, behaviours, n_items=4)
    assert last.tolist() == [[3, 0, 4, 0]]  # 1 + deepest behaviour; 0 = not in the sequence
    prefix = history_depths(items, behaviours, n_items=4, every_prefix=True)
    assert prefix[0].tolist() == [[0, 0, 0, 0], [0, 0, 1, 0], [3, 0, 1, 0], [3, 0, 4, 0]]


def test_repeat_bias_leaves_unseen_items_alone():
    bias = RepeatBias(n_behaviours=4)
    optimizer = torch.optim.AdamW(bias.parameters(), lr=0.1, weight_decay=0.1)
    depths = torch.tensor([0, 1, 2, 4])
    for _ in range(3):
        optimizer.zero_grad()
        (bias(depths).sum() + bias.add_to(torch.zeros(4), depths, head=0).sum()).backward()
        optimizer.step()
    offsets = bias(depths)
    assert torch.all(offsets[0] == 0)  # absent items are never shifted
    logits = torch.randn(4, 2)
    assert torch.allclose(bias.add_to(logits, depths), logits + offsets)
    assert torch.allclose(bias.add_to(logits[:, 1], depths, head=1), logits[:, 1] + offsets[:, 1])
    assert torch.all(offsets[1:] < 0)  # the others learn from the (here: decreasing) loss


def test_repeat_bias_learns_the_data_sign(tiny_split, tiny_model):
    # In the shop funnel a user comes back to items seen before (next item = a latent neighbour of the
    # last one, funnel steps on one item), far more often than chance: the learned offset is positive.
    model, _ = tiny_model
    view_offset = model.repeat_bias(torch.tensor(1))[0].item()
    assert view_offset > 0.0
    assert model.repeat_bias(torch.tensor(0)).abs().sum().item() == 0.0


def test_model_logits_add_the_repeat_term_only_at_items_in_the_sequence(tiny_split):
    torch.manual_seed(0)
    m = build_recommender(tiny_split.data, max_len=12, d_model=16, user_layers=1, repeat_bias=True).eval()
    with torch.no_grad():
        m.repeat_bias.offset.weight[1:] = -1.0
    items, behaviours = (torch.as_tensor(a) for a in padded_history(tiny_split, "valid", 12, np.arange(3)))
    depths = history_depths(items, behaviours, tiny_split.data.n_items)
    h_u = m.user_encoder.encode(items, behaviours)
    every = torch.arange(1, tiny_split.data.n_items + 1)
    with torch.no_grad():
        shift = m.logits(h_u, every, depths=depths) - m.logits(h_u, every)
    expected = torch.where(depths[..., None] > 0, -10.0, 0.0).expand_as(shift)  # scale 10 x offset -1
    assert torch.allclose(shift, expected)


@pytest.mark.parametrize("layers", [1, 2])
def test_item_encoder_equals_the_plain_transformer_over_all_tokens(tiny_split, layers):
    # forward reads only the id token's output and shares attribute keys/values; the function is unchanged
    torch.manual_seed(0)
    m = build_recommender(tiny_split.data, d_model=16, item_layers=layers).eval()
    enc = m.item_encoder
    with torch.no_grad():
        enc.attribute_gate.fill_(1.0)
        for p in enc.transformer.parameters():
            p.add_(0.1 * torch.randn_like(p))
        items = torch.tensor([[1, 5, 5], [tiny_split.data.n_items, 2, 3]])
        expected = enc.id_embedding(items) + enc.norm(enc.transformer(enc._tokens(items.reshape(-1)))[:, 0]).reshape(2, 3, 16)
        assert torch.allclose(enc(items), expected, atol=1e-5)


@pytest.mark.parametrize("n_preferences", [0, 2])
def test_scorer_pairs_equals_broadcast_forward_with_gradients(n_preferences):
    torch.manual_seed(0)
    scorer = Scorer(d_model=8, hidden=(16, 8), dropout=0.0, n_preferences=n_preferences)
    h_u, h_i = torch.randn(5, 8, requires_grad=True), torch.randn(7, 8, requires_grad=True)
    pref = torch.rand(5, 2) if n_preferences else None
    a = scorer.pairs(h_u, h_i, pref)
    b = scorer(h_u[:, None], h_i[None], None if pref is None else pref[:, None])
    assert a.shape == (5, 7, 2) and torch.allclose(a, b, atol=1e-5)
    weights = torch.randn(5, 7, 2)
    grads_a = torch.autograd.grad((a * weights).sum(), [h_u, h_i, scorer.layers[0].weight])
    grads_b = torch.autograd.grad((b * weights).sum(), [h_u, h_i, scorer.layers[0].weight])
    for ga, gb in zip(grads_a, grads_b):
        assert torch.allclose(ga, gb, atol=1e-4)


def test_fast_dropout_keeps_one_minus_p_scaled_and_is_seeded():
    from morec_pareto.models.dropout import fast_dropout

    x = torch.ones(400_000)
    torch.manual_seed(0)
    y = fast_dropout(x, 0.2)
    kept = y > 0
    assert abs(kept.double().mean().item() - 0.8) < 0.003  # 400k draws: sd 0.0006
    assert torch.allclose(y[kept], torch.tensor(1 / 0.8), rtol=1e-4)
    torch.manual_seed(0)
    assert torch.equal(fast_dropout(x, 0.2), y)
    assert fast_dropout(x, 0.2, training=False) is x
