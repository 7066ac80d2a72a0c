"""Figures of fronts: satisfaction vs revenue, evaluated points faint, front highlighted."""
from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt  # headless machines fall back to Agg; notebooks keep their inline backend
import numpy as np

from morec_pareto.io import atomic_path

# Okabe-Ito, then Paul Tol's muted scheme for groups 9-12: colour-blind-safe palettes.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000",
           "#882255", "#44AA99", "#999933", "#AA4499")


def _staircase(front: np.ndarray, signs: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """x, y of the attainment staircase of a 2-D front; `signs` (+1 maximised, -1 minimised) per axis."""
    signs = np.ones(2) if signs is None else np.asarray(signs, dtype=float)
    oriented = front * signs
    order = np.argsort(oriented[:, 0])
    x, y = oriented[order, 0], oriented[order, 1]
    xs = np.repeat(x, 2)[1:]
    ys = np.repeat(y, 2)[:-1]
    return xs * signs[0], ys * signs[1]


def plot_front(
    ax: plt.Axes,
    evaluated: np.ndarray | None,
    front: np.ndarray,
    label: str = "front",
    color: str = PALETTE[0],
    test_front: np.ndarray | None = None,
    signs: np.ndarray | None = None,
) -> None:
    """Draw evaluated points (faint), the front (highlighted, with its staircase) and optionally its test scores.

    `signs` gives each axis's direction (+1 maximised, -1 minimised) for the staircase; default both maximised.
    """
    if evaluated is not None and len(evaluated):
        ax.scatter(evaluated[:, 0], evaluated[:, 1], s=6, color="0.6", alpha=0.35, lw=0, label="evaluated", zorder=1)
    if len(front):
        xs, ys = _staircase(front, signs)
        ax.plot(xs, ys, color=color, lw=1.2, zorder=2)
        ax.scatter(front[:, 0], front[:, 1], s=22, color=color, edgecolor="white", lw=0.5, label=label, zorder=3)
    if test_front is not None and len(test_front):
        ax.scatter(test_front[:, 0], test_front[:, 1], s=22, facecolor="none", edgecolor=PALETTE[3], lw=0.8,
                   label="front re-scored on test", zorder=3)


def save_figure(fig: plt.Figure, stem: str | Path) -> list[Path]:
    """Write `stem`.pdf (vector) and `stem`.png (300 dpi) atomically; return both paths.

    The PDF carries no creation date, so the same figure gives the same bytes (a regenerated report only
    rewrites the figures that changed).
    """
    paths = []
    for ext in ("pdf", "png"):
        path = Path(f"{stem}.{ext}")
        with atomic_path(path) as tmp:
            fig.savefig(tmp, format=ext, dpi=300, bbox_inches="tight",
                        metadata={"CreationDate": None} if ext == "pdf" else None)
        paths.append(path)
    plt.close(fig)
    return paths


def pareto_figure(
    evaluated: np.ndarray, front: np.ndarray, xlabel: str, ylabel: str, title: str = "",
    test_front: np.ndarray | None = None, signs: np.ndarray | None = None,
) -> plt.Figure:
    """The run's satisfaction-vs-revenue figure; a minimised axis (`signs` -1) is drawn reversed, so
    better is always up and to the right."""
    fig, ax = plt.subplots(figsize=(4.2, 3.2))
    plot_front(ax, evaluated, front, label="Pareto front (validation)", test_front=test_front, signs=signs)
    signs = np.ones(2) if signs is None else np.asarray(signs)
    ax.set_xlabel(xlabel + (" (lower is better)" if signs[0] < 0 else ""))
    ax.set_ylabel(ylabel + (" (lower is better)" if signs[1] < 0 else ""))
    if signs[0] < 0:
        ax.invert_xaxis()
    if signs[1] < 0:
        ax.invert_yaxis()
    if title:
        ax.set_title(title, fontsize=9)
    ax.grid(alpha=0.3, lw=0.5)
    ax.legend(fontsize=7, frameon=False)
    fig.tight_layout()
    return fig


def pair_panels(k: int, figsize: tuple[float, float], signs: np.ndarray | None = None
                ) -> tuple[plt.Figure, list[tuple[plt.Axes, int, int]]]:
    """A (k-1) x (k-1) grid for every pair of k objectives: the panels below the diagonal as (axes, x
    objective, y objective), the others turned off; axes of minimised objectives (sign < 0) reversed, so
    better is always up and to the right."""
    signs = np.ones(k) if signs is None else np.asarray(signs)
    fig, axes = plt.subplots(k - 1, k - 1, figsize=figsize, squeeze=False)
    panels = []
    for row in range(1, k):
        for col in range(k - 1):
            ax = axes[row - 1, col]
            if col >= row:
                ax.set_axis_off()
                continue
            if signs[col] < 0:
                ax.invert_xaxis()
            if signs[row] < 0:
                ax.invert_yaxis()
            ax.grid(alpha=0.3, lw=0.4)
            panels.append((ax, col, row))
    return fig, panels


def pairs_figure(evaluated: np.ndarray, front: np.ndarray, labels: list[str], title: str = "",
                 signs: np.ndarray | None = None) -> plt.Figure:
    """A scatter matrix of every pair of k objectives: evaluations faint, the k-dimensional front highlighted.

    A front point need not be non-dominated in a pair's projection; minimised axes are drawn reversed.
    """
    k = front.shape[1]
    fig, panels = pair_panels(k, (2.3 * (k - 1), 2.1 * (k - 1)), signs)
    for ax, col, row in panels:
        ax.scatter(evaluated[:, col], evaluated[:, row], s=4, color="0.6", alpha=0.35, lw=0)
        ax.scatter(front[:, col], front[:, row], s=12, color=PALETTE[0], edgecolor="white", lw=0.3)
        if row == k - 1:
            ax.set_xlabel(labels[col], fontsize=7)
        if col == 0:
            ax.set_ylabel(labels[row], fontsize=7)
        ax.tick_params(labelsize=6)
    if title:
        fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    return fig


def front_3d_figure(front: np.ndarray, labels: list[str], title: str = "") -> plt.Figure:
    """A 3-D view of a three-objective front (natural units)."""
    fig = plt.figure(figsize=(4.4, 4.0))
    ax = fig.add_subplot(projection="3d")
    ax.scatter(front[:, 0], front[:, 1], front[:, 2], s=14, color=PALETTE[0], depthshade=True)
    for setter, label in zip((ax.set_xlabel, ax.set_ylabel, ax.set_zlabel), labels):
        setter(label, fontsize=7)
    ax.tick_params(labelsize=6)
    if title:
        ax.set_title(title, fontsize=9)
    return fig


def group_colors(groups: list[str]) -> dict[str, str]:
    """One Okabe-Ito colour per group, by order, so every figure of a report colours a group alike."""
    return {group: PALETTE[i % len(PALETTE)] for i, group in enumerate(groups)}
