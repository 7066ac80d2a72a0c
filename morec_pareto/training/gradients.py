"""Weight-free combination of objective gradients: the min-norm point of their convex hull (MGDA)."""
from __future__ import annotations

import numpy as np
import torch


def min_norm_weights(grads: list[torch.Tensor]) -> torch.Tensor:
    """Convex weights a minimising ||sum_k a_k g_k||^2 (Desideri's MGDA; Sener & Koltun 2018).

    Two gradients have the closed form a_1 = clip((g_2 - g_1).g_2 / ||g_1 - g_2||^2, 0, 1); more solve
    the quadratic programme on the simplex over the Gram matrix with scipy's SLSQP. The combined direction
    sum_k a_k g_k is a common descent direction
    of every objective, or zero at a Pareto-stationary point.
    """
    flat = torch.stack([g.reshape(-1) for g in grads]).double()  # (K, P)
    gram = flat @ flat.T
    k = len(grads)
    if k == 1:
        return torch.ones(1, dtype=gram.dtype, device=gram.device)
    if k == 2:
        denom = gram[0, 0] + gram[1, 1] - 2 * gram[0, 1]
        a = ((gram[1, 1] - gram[0, 1]) / denom).clamp(0, 1) if denom > 0 else gram.new_tensor(0.5)
        return torch.stack([a, 1 - a])
    from scipy.optimize import minimize

    G = gram.cpu().numpy()
    scale = max(float(np.abs(G).max()), 1e-30)  # a well-conditioned objective for the solver
    solution = minimize(
        lambda a: a @ G @ a / scale, np.full(k, 1.0 / k), jac=lambda a: 2 * G @ a / scale, method="SLSQP",
        bounds=[(0.0, 1.0)] * k, constraints=[{"type": "eq", "fun": lambda a: a.sum() - 1.0}],
        options={"ftol": 1e-15, "maxiter": 200},
    )
    a = np.clip(solution.x, 0.0, None)
    return torch.as_tensor(a / a.sum(), dtype=gram.dtype, device=gram.device)


def mgda_ub_loss(losses: dict[str, torch.Tensor], shared: torch.Tensor) -> tuple[torch.Tensor, dict[str, float]]:
    """MGDA-UB: min-norm weights from gradients w.r.t. the shared representation (not all parameters).

    Returns the weighted loss to back-propagate and the weights used. Gradients w.r.t. `shared`
    (the user states, computed once per batch) upper-bound the parameter-space problem at the cost of
    one extra backward pass through the heads only.
    """
    names = list(losses)
    grads = [torch.autograd.grad(losses[n], shared, retain_graph=True)[0] for n in names]
    weights = min_norm_weights(grads).to(shared.dtype)
    total = sum(w * losses[n] for w, n in zip(weights, names))
    return total, {n: float(w) for n, w in zip(names, weights)}
