"""The report's figures: fronts, attainment surfaces, hypervolume histories, decision variables."""
from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from morec_pareto.objectives.registry import directions, get_objective
from morec_pareto.report.attainment import attainment_surfaces, surface_steps
from morec_pareto.report.collect import VALID, Collection, hv_history
from morec_pareto.report.decision import pooled_front
from morec_pareto.report.indicators import orient
from morec_pareto.report.plots import group_colors, pair_panels

if TYPE_CHECKING:
    from matplotlib.typing import RcKeyType  # rc_context's key type (matplotlib >= 3.10)

log = logging.getLogger(__name__)
COLUMN_WIDTH = 3.4  # inches: one column of a two-column paper, so 8 pt text stays 8 pt in print
STYLE: dict[RcKeyType, Any] = {"font.size": 8, "axes.labelsize": 8, "legend.fontsize": 6.5, "xtick.labelsize": 7,
                               "ytick.labelsize": 7, "pdf.fonttype": 42}  # TrueType in the PDF, so text stays text
MARKERS = {"knee": "*", "pseudo_weights": "D"}
SURFACE_STYLES = {"best": ":", "median": "-", "worst": "--"}


def objective_labels(collection: Collection, objectives: tuple[str, ...] | None = None) -> list[str]:
    """Axis labels with units and K, from the objective registry (a minimised one says so)."""
    names = collection.objectives if objectives is None else objectives
    return [get_objective(n).label.format(k=collection.k) + (" (lower is better)" if get_objective(n).direction == "min"
                                                              else "") for n in names]


def _axes(collection: Collection, height: float = 2.6,
          objectives: tuple[str, ...] | None = None) -> tuple[plt.Figure, plt.Axes]:
    fig, ax = plt.subplots(figsize=(COLUMN_WIDTH, height))
    xlabel, ylabel = objective_labels(collection, objectives)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3, lw=0.4)
    return fig, ax


def _mark_choices(ax: plt.Axes, choices: pd.DataFrame | None, colors: dict[str, str]) -> None:
    """Knee (star) and pseudo-weight choice (diamond) of each group, on validation objectives."""
    if choices is None:
        return
    for _, row in choices.iterrows():
        ax.scatter(row["satisfaction"], row["revenue"], marker=MARKERS[row["method"]], s=70 if row["method"] == "knee"
                   else 28, color=colors[row["group"]], edgecolor="black", lw=0.6, zorder=5)
    for method, marker in MARKERS.items():
        ax.scatter([], [], marker=marker, color="white", edgecolor="black", lw=0.6, label=method.replace("_", "-"))


def fronts_figure(collection: Collection, choices: pd.DataFrame | None = None) -> plt.Figure:
    """Every run's validation front (thin) per group, with the group's median attainment surface (thick)."""
    colors = group_colors(collection.groups)
    sign, ref = _signs(collection), orient(collection.reference_point, collection.objectives)
    with plt.rc_context(STYLE):
        fig, ax = _axes(collection)
        for group in collection.groups:
            fronts = [orient(r.front[VALID].to_numpy(float), collection.objectives) for r in collection.group_runs(group)]
            for F in fronts:  # staircases in higher-is-better units, drawn in natural units
                xs, ys = surface_steps(F, _floor(F, ref))
                ax.plot(xs * sign[0], ys * sign[1], color=colors[group], lw=0.5, alpha=0.45)
                ax.scatter(F[:, 0] * sign[0], F[:, 1] * sign[1], s=5, color=colors[group], alpha=0.6, lw=0)
            median = attainment_surfaces(fronts)["median"]
            xs, ys = surface_steps(median, _floor(median, ref))
            ax.plot(xs * sign[0], ys * sign[1], color=colors[group], lw=1.6, label=f"{group} (median of {len(fronts)})")
        _zoom(ax, collection)
        _mark_choices(ax, choices, colors)
        ax.legend(frameon=False, loc="upper left", bbox_to_anchor=(1.01, 1.0))
        fig.tight_layout()
    return fig


def _signs(collection: Collection) -> np.ndarray:
    """+1 for a maximised, -1 for a minimised objective of the collection."""
    return directions(tuple(collection.objectives))


def _floor(F: np.ndarray, reference_point: np.ndarray) -> np.ndarray:
    """Where a staircase ends (higher-is-better units): the reference point, or the front's own worst
    values when it lies below it (a front under the reference point would otherwise draw long lines up to it)."""
    return np.minimum(reference_point, np.asarray(F, dtype=float).min(axis=0))


def _zoom(ax: plt.Axes, collection: Collection, columns: list[str] = VALID,
          objectives: tuple[str, ...] | None = None) -> None:
    """Limit the axes to the fronts (the staircases run down to the reference point, often far away);
    a minimised objective's axis is reversed, so better is always up and to the right."""
    F = np.vstack([r.front[columns].to_numpy(float) for r in collection.runs])
    lo, hi = F.min(axis=0), F.max(axis=0)
    pad = 0.08 * np.where(hi > lo, hi - lo, 1.0)
    sign = directions(tuple(collection.objectives if objectives is None else objectives))
    ax.set_xlim(*(lo[0] - pad[0], hi[0] + pad[0])[:: int(sign[0])])
    ax.set_ylim(*(lo[1] - pad[1], hi[1] + pad[1])[:: int(sign[1])])


def attainment_figure(collection: Collection, choices: pd.DataFrame | None = None, test: bool = False) -> plt.Figure:
    """Best (dotted), median (solid) and worst (dashed) empirical attainment surfaces of each group.

    Validation fronts (what the search optimised; `choices` are marked on them), or with `test` the same fronts
    re-scored on test, on the test indicators' columns and reference point (realised revenue when the report
    ranks on it); no choices there: they were made on validation.
    """
    colors = group_colors(collection.groups)
    columns = list(collection.test_columns) if test else VALID
    objectives = collection.test_objectives if test else collection.objectives
    point = collection.test_reference_point if test else collection.reference_point
    sign, ref = directions(tuple(objectives)), orient(point, objectives)
    with plt.rc_context(STYLE):
        fig, ax = _axes(collection, objectives=objectives)
        for group in collection.groups:
            surfaces = attainment_surfaces([orient(r.front[columns].to_numpy(float), objectives)
                                            for r in collection.group_runs(group)])
            for name, surface in surfaces.items():
                xs, ys = surface_steps(surface, _floor(surface, ref))
                ax.plot(xs * sign[0], ys * sign[1], color=colors[group], ls=SURFACE_STYLES[name],
                        lw=1.0 + 0.4 * (name == "median"), label=group if name == "median" else None)
        for name, ls in SURFACE_STYLES.items():
            ax.plot([], [], color="0.3", ls=ls, lw=1.0, label=f"{name} surface")
        _zoom(ax, collection, columns, objectives)
        if not test:
            _mark_choices(ax, choices, colors)
        ax.legend(frameon=False, loc="upper left", bbox_to_anchor=(1.01, 1.0))
        fig.tight_layout()
    return fig


def hv_history_figure(collection: Collection) -> plt.Figure:
    """Hypervolume (shared reference point) against evaluations: median over seeds, min-max band."""
    colors = group_colors(collection.groups)
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=(COLUMN_WIDTH, 2.4))
        for group in collection.groups:
            runs = [hv_history(r, collection.reference_point, collection.objectives, collection.valid_columns)
                    for r in collection.group_runs(group)]
            grid = np.unique(np.concatenate([h["n_evals"].to_numpy() for h in runs]))
            curves = np.stack([_steps_at(h, grid) for h in runs])
            ax.fill_between(grid, np.nanmin(curves, axis=0), np.nanmax(curves, axis=0), color=colors[group],
                            alpha=0.2, lw=0)
            ax.plot(grid, np.nanmedian(curves, axis=0), color=colors[group], lw=1.4, marker="o", ms=2.5,
                    label=f"{group} (n={len(runs)})")
        ref = ", ".join(f"{v:.3g}" for v in collection.reference_point)
        ax.set_xlabel("evaluations")
        ax.set_ylabel(f"validation hypervolume\n(ref. point {ref})")
        ax.grid(alpha=0.3, lw=0.4)
        ax.legend(frameon=False, title="median, band: min-max over seeds", title_fontsize=6.5)
        fig.tight_layout()
    return fig


def _steps_at(history: pd.DataFrame, grid: np.ndarray) -> np.ndarray:
    """A run's HV as a step function of evaluations: its last value at or before each grid point."""
    idx = np.searchsorted(history["n_evals"].to_numpy(), grid, side="right") - 1
    values = history["hypervolume"].to_numpy(float)[np.maximum(idx, 0)]
    return np.where(idx >= 0, values, np.nan)


def decisions_figure(collection: Collection, choices: pd.DataFrame | None = None) -> plt.Figure:
    """Parallel coordinates of each group's pooled-front decision variables, each axis min-max scaled."""
    colors = group_colors(collection.groups)
    fronts = {g: pooled_front(collection, g) for g in collection.groups}
    names = list(dict.fromkeys(c for f in fronts.values() for c in f.columns
                               if c not in (*collection.objective_columns, "run_dir", "seed")))
    allvals = pd.concat([f.reindex(columns=names) for f in fronts.values()])
    lo, hi = allvals.min().to_numpy(float), allvals.max().to_numpy(float)
    span = np.where(hi > lo, hi - lo, 1.0)
    x = np.arange(len(names))
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=(COLUMN_WIDTH, 2.4))
        for group, front in fronts.items():
            scaled = (front.reindex(columns=names).to_numpy(float) - lo) / span
            for row in scaled:
                ax.plot(x, row, color=colors[group], lw=0.6, alpha=0.5)
            ax.plot([], [], color=colors[group], lw=1.2, label=group)
        if choices is not None:
            for _, row in choices[choices["method"] == "knee"].iterrows():
                scaled = (row.reindex(names).to_numpy(float) - lo) / span
                ax.plot(x, scaled, color=colors[row["group"]], lw=2.0, marker="*", ms=7, mec="black", mew=0.5)
            ax.plot([], [], color="0.3", lw=2.0, marker="*", ms=7, mec="black", mew=0.5, label="knee")
        for i in range(len(names)):  # the positions in x
            ax.axvline(i, color="0.5", lw=0.5)
            ax.text(i, -0.06, f"{lo[i]:.3g}", ha="center", va="top", fontsize=6)
            ax.text(i, 1.06, f"{hi[i]:.3g}", ha="center", va="bottom", fontsize=6)
        ax.set_xticks(x, [n.replace("_", " ") for n in names], rotation=15)
        ax.set_ylim(-0.2, 1.2)
        ax.set_yticks([])
        ax.spines[["left", "right", "top"]].set_visible(False)
        ax.legend(frameon=False, fontsize=6, loc="upper center", bbox_to_anchor=(0.5, -0.3), ncol=3)
        fig.tight_layout()
    return fig


def front_pairs_figure(collection: Collection, choices: pd.DataFrame | None = None) -> plt.Figure:
    """A scatter matrix of every pair of k objectives: each group's pooled validation front (non-dominated
    in k dimensions, so not in every pair's projection), knee and pseudo-weight choices marked.

    Minimised objectives' axes are reversed, so better is always up and to the right.
    """
    colors, labels, sign = group_colors(collection.groups), objective_labels(collection), _signs(collection)
    columns, k = list(collection.valid_columns), collection.n_obj
    fronts = {g: pooled_front(collection, g)[columns].to_numpy(float) for g in collection.groups}
    with plt.rc_context(STYLE):
        fig, panels = pair_panels(k, (1.1 * COLUMN_WIDTH, 1.1 * COLUMN_WIDTH), sign)
        for ax, col, row in panels:
            for group, F in fronts.items():
                ax.scatter(F[:, col], F[:, row], s=6, color=colors[group], alpha=0.7, lw=0,
                           label=group if (row, col) == (1, 0) else None)
            if choices is not None:
                for _, choice in choices.iterrows():
                    ax.scatter(choice[columns[col]], choice[columns[row]], marker=MARKERS[choice["method"]],
                               s=40 if choice["method"] == "knee" else 16, color=colors[choice["group"]],
                               edgecolor="black", lw=0.5, zorder=5)
            ax.set_xlabel(labels[col] if row == k - 1 else "", fontsize=6)
            ax.set_ylabel(labels[row] if col == 0 else "", fontsize=6)
            ax.tick_params(labelsize=5.5)
        first = panels[0][0]
        for method, marker in MARKERS.items():
            first.scatter([], [], marker=marker, color="white", edgecolor="black", lw=0.5,
                          label=method.replace("_", "-"))
        fig.legend(*first.get_legend_handles_labels(), frameon=False, loc="upper right",
                   title="pooled validation fronts", title_fontsize=6.5)
        fig.tight_layout()
    return fig


def all_figures(collection: Collection, choices: pd.DataFrame | None = None) -> dict[str, plt.Figure]:
    """Every report figure by file stem.

    Two objectives: fronts with median attainment surfaces, and the attainment surfaces of the validation
    fronts (`attainment`) and of the same fronts on test (`attainment_test`). More: `fronts`
    is a scatter matrix of objective pairs (`front_pairs_figure`) and attainment surfaces are skipped
    (a k-dimensional surface has no faithful drawing in pairs), with one log line saying so.
    """
    if collection.n_obj == 2:
        fronts = {"fronts": fronts_figure(collection, choices), "attainment": attainment_figure(collection, choices),
                  "attainment_test": attainment_figure(collection, test=True)}
    else:
        log.info("attainment surfaces skipped: drawn for two objectives, these runs have %d (%s); fronts.png is a "
                 "scatter matrix of objective pairs", collection.n_obj, ", ".join(collection.objectives))
        fronts = {"fronts": front_pairs_figure(collection, choices)}
    return {**fronts, "hv_history": hv_history_figure(collection), "decisions": decisions_figure(collection, choices)}
