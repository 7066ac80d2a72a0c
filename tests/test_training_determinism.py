"""Same seed, same thread count, same weights: a training step is bitwise reproducible on two threads."""
from __future__ import annotations

import torch

from morec_pareto.models.recommender import build_recommender
from morec_pareto.training.steps import EpochRunner, batch_losses


def test_a_training_steps_gradients_are_identical_run_to_run_on_two_threads(tiny_split):
    """Repeated items' gradient rows were once added with atomics across threads (advanced indexing's backward
    above 32k elements), so two runs of one seed on 2 threads trained to different weights (issue 10)."""
    torch.manual_seed(0)
    model = build_recommender(tiny_split.data, max_len=50, d_model=64)
    runner = EpochRunner.of(tiny_split, model, torch.device("cpu"), 64, 128, True, 1.0, "fp32",
                            torch.Generator().manual_seed(0))
    windows, behaviours = runner.windows[:64], runner.behaviours[:64]
    assert int(((windows[:, 1:] > 0) & (windows[:, :-1] > 0)).sum()) * 64 > 32768  # above torch's grain size
    threads = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        grads = []
        for _ in range(20):
            model.zero_grad()
            torch.manual_seed(1)  # dropout's draws
            losses, _ = batch_losses(model, windows, behaviours, runner.price, 128, torch.Generator().manual_seed(2))
            (losses["satisfaction"] + losses["revenue"]).backward()
            grads.append(torch.cat([p.grad.flatten() for p in model.parameters() if p.grad is not None]))
    finally:
        torch.set_num_threads(threads)
    assert all(torch.equal(g, grads[0]) for g in grads[1:])
