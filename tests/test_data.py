"""Synthetic simulator and leave-one-out preprocessing."""
import numpy as np
import pytest

from morec_pareto.data.split import leave_one_out, padded_history, seen_matrix, training_windows
from morec_pareto.data.synthetic import SIZES, simulate
from morec_pareto.types import PURCHASE, VIEW


def test_simulator_is_seeded_and_sized():
    a, b, c = simulate("tiny", seed=1), simulate("tiny", seed=1), simulate("tiny", seed=2)
    assert np.array_equal(a.item, b.item) and np.array_equal(a.behaviour, b.behaviour)
    assert not np.array_equal(a.item, c.item)
    assert a.n_users == SIZES["tiny"]["n_users"] and a.n_items == SIZES["tiny"]["n_items"]
    assert set(np.unique(a.behaviour)) <= set(range(VIEW, PURCHASE + 1))
    assert (a.item_price > 0).all() and a.item_tags.shape[0] == a.n_items


def test_default_size_is_near_movielens_100k():
    data = simulate("default")
    assert 800 <= data.n_users <= 1200 and 1500 <= data.n_items <= 2000
    assert 70_000 <= data.n_events <= 130_000


def test_ground_truth_is_a_probability_and_buying_needs_a_click():
    data = simulate("tiny")
    users = np.arange(10)
    click, buy = data.truth.click_prob(users), data.truth.buy_prob(users)
    assert click.shape == buy.shape == (10, data.n_items)
    assert (click >= 0).all() and (click <= 1).all() and (buy <= click + 1e-12).all()


def test_sequences_have_structure_a_sequence_model_can_learn():
    # the next item is one of the previous item's latent neighbours far more often than chance
    from morec_pareto.data.synthetic import _item_neighbours

    data = simulate("tiny", sequential_prob=0.5)
    seqs = leave_one_out(data).sequences
    neighbours = _item_neighbours(data.truth.item_latent, 10)
    prev, nxt = seqs.items[:-1], seqs.items[1:]
    same_user = np.ones(len(prev), bool)
    same_user[seqs.offsets[1:-1] - 1] = False
    rate = (neighbours[prev[same_user]] == nxt[same_user, None]).any(axis=1).mean()
    assert rate > 0.4 > 10 / data.n_items


@pytest.mark.parametrize(
    "kwargs, key",
    [({"n_items": 0}, "data.n_items"), ({"price_scale": -1.0}, "data.price_scale"), ({"n_users": 0}, "data.n_users"),
     ({"size": "huge"}, "data.size"), ({"price_median": -3.0}, "data.price_median")],
)
def test_impossible_settings_name_the_key(kwargs, key):
    with pytest.raises(ValueError, match=key.replace(".", r"\.")):
        simulate(**{"size": "tiny", **kwargs})


def test_max_len_below_one_names_the_key(tiny_split):
    with pytest.raises(ValueError, match=r"max_len"):
        padded_history(tiny_split, "valid", 0)


def test_leave_one_out_targets_and_histories(tiny_split):
    seqs = tiny_split.sequences
    u = 3
    events = seqs.items[seqs.offsets[u] : seqs.offsets[u + 1]]
    assert tiny_split.targets("test")[u] == events[-1] and tiny_split.targets("valid")[u] == events[-2]
    items, behaviours = padded_history(tiny_split, "valid", 5, np.array([u]))
    assert items.shape == behaviours.shape == (1, 5)
    expected = events[:-2][-5:] + 1
    assert list(items[0, -len(expected):]) == list(expected)
    seen = seen_matrix(tiny_split, "test", np.array([u]))[0]
    assert set(np.flatnonzero(seen)) == set(events[:-1])


def test_short_history_is_left_padded(tiny_split):
    lengths = tiny_split.sequences.lengths
    u = int(np.argmin(lengths))
    items, _ = padded_history(tiny_split, "valid", int(lengths.max()), np.array([u]))
    n_hist = lengths[u] - 2
    assert (items[0, :-n_hist] == 0).all() and (items[0, -n_hist:] > 0).all()


def test_training_windows_never_contain_held_out_events(tiny_split):
    users, windows, _ = training_windows(tiny_split, 8)
    assert windows.shape[1] == 9
    seqs = tiny_split.sequences
    for w in range(0, len(users), 7):
        u = users[w]
        train = seqs.items[seqs.offsets[u] : seqs.offsets[u + 1] - 2] + 1
        real = windows[w][windows[w] > 0]
        # each window is a contiguous run of the train part
        starts = [i for i in range(len(train) - len(real) + 1) if np.array_equal(train[i : i + len(real)], real)]
        assert starts, (u, real, train)


def test_users_with_fewer_than_three_events_are_refused():
    from dataclasses import replace

    data = simulate("tiny")
    keep = ~((data.user == 0) & (np.arange(data.n_events) > np.flatnonzero(data.user == 0)[1]))
    short = replace(data, user=data.user[keep], item=data.item[keep], behaviour=data.behaviour[keep],
                    timestamp=data.timestamp[keep])
    with pytest.raises(ValueError, match="fewer than 3 events"):
        leave_one_out(short)
