"""Catalogue coverage of the compared fronts: per point (an export) and per group (mean coverage of a front).

A front point's coverage is the share of the catalogue that appears in at least one user's top-K list
on test, coverage = |U_u L_u| / I, written by the run as front.csv's `test_coverage`. A union over users,
not a mean, so it is reported here and never searched on.
"""
from __future__ import annotations

import logging

import pandas as pd

from morec_pareto.report.collect import COVERAGE, Collection
from morec_pareto.report.stats import describe

log = logging.getLogger(__name__)


def coverage_points(collection: Collection) -> pd.DataFrame | None:
    """Every front point of every run: group, run, seed, validation and test objectives and `test_coverage`.

    None (with one log line) when some run's front.csv has no `test_coverage` (runs written before it).
    """
    lacking = [r for r in collection.runs if COVERAGE not in r.front.columns]
    if lacking:
        log.info("catalogue coverage skipped: %d of %d runs have no %s column in front.csv (e.g. %s)",
                 len(lacking), len(collection.runs), COVERAGE, lacking[0].path)
        return None
    columns = list(dict.fromkeys([*collection.valid_columns, *collection.test_columns, COVERAGE]))
    frames = [run.front[columns].assign(group=group, run_dir=str(run.path), seed=int(run.summary["seed"]))
              for run, group in zip(collection.runs, collection.table["group"])]
    points = pd.concat(frames, ignore_index=True)
    return points[["group", "run_dir", "seed", *columns]]


def coverage_summary(points: pd.DataFrame) -> pd.DataFrame:
    """One row per group: the mean coverage of each run's front points, summarised over the group's runs
    (median, IQR, mean, 95% CI as in summary.csv), and the lowest and highest coverage of any point."""
    rows = []
    for group, block in points.groupby("group", sort=False):
        per_run = block.groupby("run_dir", sort=False)[COVERAGE].mean().to_numpy(float)
        rows.append({"group": group, "n_runs": len(per_run), "n_points": len(block),
                     **{f"front_coverage_{stat}": v for stat, v in describe(per_run).items()},
                     "point_coverage_min": float(block[COVERAGE].min()),
                     "point_coverage_max": float(block[COVERAGE].max())})
    return pd.DataFrame(rows)
