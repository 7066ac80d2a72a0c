"""Gather run folders into groups, fix one reference point, and score every run against it."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from omegaconf import OmegaConf

from morec_pareto.report.indicators import (
    best_point_share,
    hypervolume,
    igd_plus,
    nadir_reference_point,
    nondominated_mask,
    normalise,
    orient,
    reference_front,
    share_stay_nondominated,
)
from morec_pareto.report.io import RunRecord, find_runs, load_run

Names = tuple[str, ...] | None
VALID = ["satisfaction", "revenue"]  # front.csv columns of two objectives' validation scores (natural units)
TEST = ["test_satisfaction", "test_revenue"]  # the same points re-scored on test
COVERAGE = "test_coverage"  # front.csv: share of the catalogue in some user's test top-K list (not an objective)
TEST_REVENUE_COLUMNS = ("test_revenue", "test_realised_revenue")  # what test indicators may rank revenue on
OBJECTIVE_COLUMNS = VALID + TEST + ["realised_revenue", "test_realised_revenue"]
DEFAULT_MARGIN = 0.1  # derived reference point: nadir - 10% of the union's range, per objective
_MISSING = object()


class ReportError(ValueError):
    """Bad report input; the message is one line naming the offending path or key."""


@dataclass(frozen=True)
class Collection:
    """Runs grouped by configuration and scored against one reference point and reference front.

    Attributes:
        runs: loaded run folders, in the row order of `table`.
        table: one row per run (the content of runs.csv) with a `group` column.
        groups: group labels in order of first appearance.
        group_keys: config keys that define a group (strategy, data, then `--by` keys).
        objectives: objective names shared by every run (two or more).
        k: list length shared by every run.
        reference_point: the hypervolume reference point (natural units) used for every run.
        reference_source: how the reference point was chosen, in words.
        ideal, nadir: per-objective best and worst values of the union of all compared fronts; the
            normalised indicators map nadir to 0 and ideal to 1 (the EMO convention).
        valid_columns: front.csv columns of the validation objectives, in the order of `objectives`:
            `VALID` for two objectives (as always), the objectives' names for more.
        test_columns: front.csv columns the test indicators read (with two objectives, revenue may be
            realised revenue).
        test_reference_point: the reference point of the test indicators; the same as
            `reference_point` unless test revenue is realised revenue, another quantity.
        valid_reference_front: non-dominated union of all runs' validation fronts.
        test_reference_front: non-dominated union of all runs' test fronts.
        test_objectives: the objectives the test columns are read as (`objectives`, with `realised_revenue`
            in place of revenue when test revenue is realised revenue).
    """

    runs: list[RunRecord]
    table: pd.DataFrame
    groups: list[str]
    group_keys: tuple[str, ...]
    objectives: tuple[str, ...]
    k: int
    reference_point: np.ndarray
    reference_source: str
    ideal: np.ndarray
    nadir: np.ndarray
    valid_columns: tuple[str, ...]
    test_columns: tuple[str, ...]
    test_reference_point: np.ndarray
    valid_reference_front: np.ndarray
    test_reference_front: np.ndarray
    test_objectives: tuple[str, ...]

    def group_runs(self, group: str) -> list[RunRecord]:
        """The runs of one group, in table order."""
        return [r for r, g in zip(self.runs, self.table["group"]) if g == group]

    def var_names(self, group: str) -> list[str]:
        """Decision-variable columns of a group's fronts."""
        return [c for c in self.group_runs(group)[0].front.columns if c not in self.objective_columns]

    @property
    def n_obj(self) -> int:
        """Number of objectives."""
        return len(self.objectives)

    @property
    def objective_columns(self) -> set[str]:
        """front.csv columns that are not decision variables: objective values and the test coverage."""
        return {*OBJECTIVE_COLUMNS, *self.objectives, *(f"test_{n}" for n in self.objectives), COVERAGE}

    def strategy(self, group: str) -> str:
        """The strategy name of a group."""
        return str(self.table.loc[self.table["group"] == group, "strategy"].iloc[0])


def load_runs(paths: list[str | Path]) -> list[RunRecord]:
    """Load every run under `paths`; a path without runs or an incomplete run folder is an error."""
    records = []
    for path in paths:
        if not Path(path).exists():
            raise ReportError(f"{path}: no such file or directory")
        found = find_runs([path])
        if not found:
            raise ReportError(f"{path}: no run folders found (no summary.json under it)")
        for run_dir in found:
            try:
                records.append(load_run(run_dir))
            except (FileNotFoundError, ValueError, OSError) as err:
                raise ReportError(str(err).splitlines()[0]) from err
    return records


def _check_comparable(runs: list[RunRecord]) -> tuple[tuple[str, ...], int]:
    """The objectives (two or more) and K all runs share; runs that disagree are an error naming both folders."""
    first = runs[0]
    objectives, k = tuple(first.summary["objectives"]), int(first.summary["k"])
    for run in runs[1:]:
        if tuple(run.summary["objectives"]) != objectives:
            raise ReportError(f"{run.path}: objectives {list(run.summary['objectives'])} differ from "
                              f"{list(objectives)} of {first.path}")
        if int(run.summary["k"]) != k:
            raise ReportError(f"{run.path}: k={run.summary['k']} differs from k={k} of {first.path}")
    return objectives, k


def group_values(run: RunRecord, by: tuple[str, ...]) -> dict[str, object]:
    """A run's grouping keys: strategy, data and each `by` key looked up in its resolved config."""
    values: dict[str, object] = {"strategy": run.summary["strategy"], "data": run.summary["data"]}
    for key in by:
        value = _MISSING if run.config is None else OmegaConf.select(run.config, key, default=_MISSING)
        if value is _MISSING:
            raise ReportError(f"--by {key}: no such key in the config of {run.path}")
        values[key] = OmegaConf.to_container(value, resolve=True) if OmegaConf.is_config(value) else value
    return values


def _labels(values: pd.DataFrame, by: tuple[str, ...]) -> list[str]:
    """Readable group labels: the strategy, the data set when several, then `key=value` per `--by` key."""
    several_data = values["data"].nunique() > 1
    labels = []
    for _, row in values.iterrows():
        parts = [str(row["strategy"])] + ([str(row["data"])] if several_data else [])
        parts += [f"{key}={row[key]}" for key in by]
        labels.append(" ".join(parts))
    return labels


NADIR_OF = ("all_points", "reference_front")  # what a derived reference point's nadir is taken over


def union_points(runs: list[RunRecord], columns: list[list[str]], nadir_of: str = "all_points",
                 objectives: Names = None) -> np.ndarray:
    """The points a derived reference point is built on: every point of every run's fronts (`all_points`:
    its nadir is the worst point, so every front point counts) or their non-dominated union
    (`reference_front`: the nadir of the best known front)."""
    if nadir_of not in NADIR_OF:
        raise ReportError(f"--nadir-of: must be one of {list(NADIR_OF)}, got {nadir_of!r}")
    union = np.vstack([r.front[cols].to_numpy(float) for r in runs for cols in columns])
    return union[nondominated_mask(union, objectives)] if nadir_of == "reference_front" else union


def union_bounds(runs: list[RunRecord], columns: list[list[str]], nadir_of: str = "all_points",
                 objectives: Names = None) -> tuple[np.ndarray, np.ndarray]:
    """Ideal (best) and nadir (worst) value per objective of `union_points`, natural units."""
    union = orient(union_points(runs, columns, nadir_of, objectives), objectives)
    return orient(union.max(axis=0), objectives), orient(union.min(axis=0), objectives)


def choose_reference_point(runs: list[RunRecord], n_obj: int, configured: list[float] | None,
                           margin: float = DEFAULT_MARGIN, from_runs: bool = False,
                           columns: list[list[str]] | None = None,
                           nadir_of: str = "all_points", objectives: Names = None) -> tuple[np.ndarray, str]:
    """The one reference point for every run, and how it was chosen.

    Default: derived from the union of all compared fronts (validation and test points): its nadir
    (the worst value of each objective over every front point) minus `margin` times its range, i.e.
    -margin in objectives normalised by the union's ideal and nadir. Fixed by the set of runs compared,
    not by any one run, and every point of every front counts. `nadir_of="reference_front"` takes the
    nadir of the union's non-dominated set (the best known front) instead: closer to the fronts, but a
    run whose front lies below that nadir in some objective scores 0, and across seeds most runs do
    (on a 10-seed tiny comparison 17 of 20 runs did), so seed-wise tests lose their power.
    `configured` (--reference-point) overrides; `from_runs` uses the point the runs were configured
    with (all must agree).
    """
    if configured is not None:
        if len(configured) != n_obj:
            raise ReportError(f"--reference-point: needs {n_obj} values, got {len(configured)}")
        return np.asarray(configured, dtype=float), "given on the command line (--reference-point)"
    if from_runs:
        points = [r.summary.get("reference_point") for r in runs]
        known = [p for p in points if p is not None and len(p) == n_obj]
        if len(known) != len(points) or not np.allclose(known, known[0]):
            raise ReportError("--runs-reference-point: the runs' summary.json reference points differ or are missing")
        return np.asarray(known[0], dtype=float), "the runs' configured reference point (all runs agree)"
    union = union_points(runs, columns or [VALID, TEST], nadir_of, objectives)
    what = "the non-dominated union of all compared fronts" if nadir_of == "reference_front" else \
        "all points of all compared fronts"
    return (nadir_reference_point(union, margin, objectives),
            f"derived: nadir of {what} minus {margin:g} x its range per objective")


def _nondominated(F: np.ndarray, objectives: Names = None) -> np.ndarray:
    return F[nondominated_mask(F, objectives)]


def igd_scale(front: np.ndarray) -> np.ndarray:
    """Per-objective range (ideal - nadir) of a reference front; IGD+ divides objectives by it.

    Revenue and satisfaction differ by orders of magnitude, so IGD+ in natural units would measure
    revenue alone; on range-scaled objectives both count. A zero range scales by 1.
    """
    span = front.max(axis=0) - front.min(axis=0)
    return np.where(span > 0, span, 1.0)


def score_run(run: RunRecord, ref: np.ndarray, valid_front: np.ndarray, test_front: np.ndarray,
              bounds: tuple[np.ndarray, np.ndarray], test_columns: tuple[str, ...] = (TEST[0], TEST[1]),
              test_ref: np.ndarray | None = None, objectives: Names = None, test_objectives: Names = None,
              valid_columns: tuple[str, ...] = (VALID[0], VALID[1])) -> dict:
    """Indicators of one run, all recomputed from front.csv against the shared reference point/fronts.

    HV in natural units against `ref` (test: `test_ref`, default `ref`), normalised HV on objectives
    mapped by `bounds` = (ideal, nadir) to [0, 1], the best single point's share of each HV, and IGD+
    on objectives divided by `igd_scale(valid_front)`. `valid_columns` and `test_columns` are the front.csv
    columns of the k objectives; `objectives` (`test_objectives` for the test columns) name them so that
    each is read in its direction.
    """
    test_objectives = objectives if test_objectives is None else test_objectives
    test_ref = ref if test_ref is None else test_ref
    ideal, nadir = bounds
    valid_F, test_F = run.front[list(valid_columns)].to_numpy(float), run.front[list(test_columns)].to_numpy(float)
    valid_nd, test_nd = _nondominated(valid_F, objectives), _nondominated(test_F, test_objectives)
    scale = igd_scale(valid_front)
    return {
        "hypervolume": hypervolume(valid_nd, ref, objectives),
        "test_hypervolume": hypervolume(test_nd, test_ref, test_objectives),
        "normalised_hypervolume": hypervolume(normalise(valid_nd, ideal, nadir), normalise(ref, ideal, nadir)),
        "test_normalised_hypervolume": hypervolume(normalise(test_nd, ideal, nadir), normalise(test_ref, ideal, nadir)),
        "hv_best_point_share": best_point_share(valid_nd, ref, objectives),
        "test_hv_best_point_share": best_point_share(test_nd, test_ref, test_objectives),
        "igd_plus": igd_plus(valid_nd / scale, valid_front / scale, objectives),
        "test_igd_plus": igd_plus(test_nd / scale, test_front / scale, test_objectives),
        "valid_test_igd_plus": igd_plus(test_F / scale, valid_nd / scale, objectives),
        "share_stay_nondominated": share_stay_nondominated(test_F, test_objectives),
        "n_front": int(len(run.front)),
        "n_evals": int(run.summary.get("n_evals", len(run.evaluations))),
        "runtime_s": float(run.summary.get("runtime_s", float("nan"))),
    }


def front_columns(runs: list[RunRecord], objectives: tuple[str, ...],
                  test_revenue: str) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """front.csv columns of the validation and test objectives, and the names the test columns are read as.

    Two objectives read the columns `satisfaction`, `revenue` and `test_satisfaction` plus `test_revenue`
    or `test_realised_revenue`; k >= 3 read the columns named after each objective and `test_<name>`.
    """
    if test_revenue not in TEST_REVENUE_COLUMNS:
        raise ReportError(f"--test-revenue: must be one of {list(TEST_REVENUE_COLUMNS)}, got {test_revenue!r}")
    valid: tuple[str, ...]
    test: tuple[str, ...]
    test_objectives: tuple[str, ...]
    if len(objectives) == 2:
        valid, test = (VALID[0], VALID[1]), (TEST[0], test_revenue)
        test_objectives = objectives if test_revenue == TEST[1] else (objectives[0], "realised_revenue")
    elif test_revenue != TEST[1]:
        raise ReportError(f"--test-revenue {test_revenue}: only with two objectives (satisfaction, revenue); "
                          f"these runs have {len(objectives)} ({', '.join(objectives)})")
    else:
        valid, test, test_objectives = objectives, tuple(f"test_{n}" for n in objectives), objectives
    for run in runs:
        for column in (*test, *valid):
            if column not in run.front.columns:
                hint = " (--test-revenue)" if column == test_revenue else ""
                raise ReportError(f"{run.path / 'front.csv'}: no column {column!r}{hint}")
    return valid, test, test_objectives


def collect(paths: list[str | Path], by: tuple[str, ...] = (), reference_point: list[float] | None = None,
            margin: float = DEFAULT_MARGIN, from_runs: bool = False, test_revenue: str = "test_revenue",
            nadir_of: str = "all_points", strategies: tuple[str, ...] = ()) -> Collection:
    """Load, check, group and score the runs under `paths` (only those of `strategies`, when given).

    Args:
        paths: run folders and/or multirun folders.
        by: extra config keys that split groups (e.g. ("train.lr",) or ("label",)).
        reference_point: hypervolume reference point in natural units; None derives one from the
            union of all compared fronts (see `choose_reference_point`).
        margin: margin of a derived reference point, as a fraction of the union's range.
        from_runs: use the reference point the runs were configured with instead of deriving one.
        test_revenue: front.csv column of test revenue the test indicators use: `test_revenue`
            (the revenue objective re-scored on test) or `test_realised_revenue` (held-out purchases).
        nadir_of: `all_points` (default) or `reference_front`; see `choose_reference_point`.
        strategies: compare only runs whose summary names one of these strategies (every run when empty);
            the reference point and fronts are then built from those runs alone.

    Raises:
        ReportError: no runs under a path, incomparable runs, or an unknown `by` key or column.
    """
    runs = load_runs(paths)
    if strategies:
        runs = [r for r in runs if r.summary["strategy"] in strategies]
        if not runs:
            raise ReportError(f"no runs of {', '.join(strategies)} under {', '.join(map(str, paths))}")
    objectives, k = _check_comparable(runs)
    valid_columns, test_columns, test_objectives = front_columns(runs, objectives, test_revenue)
    values = pd.DataFrame([group_values(r, tuple(by)) for r in runs])
    values.insert(0, "group", _labels(values, tuple(by)))
    same_objectives = test_objectives == objectives
    columns = [list(valid_columns), list(test_columns)] if same_objectives else [list(valid_columns)]
    ref, source = choose_reference_point(runs, len(objectives), reference_point, margin, from_runs, columns,
                                         nadir_of, objectives)
    test_ref = ref
    if not same_objectives:  # realised revenue is another quantity: its own point, from the test fronts
        test_ref = nadir_reference_point(union_points(runs, [list(test_columns)], nadir_of, test_objectives), margin,
                                         test_objectives)
    ideal, nadir = union_bounds(runs, columns, nadir_of, objectives)
    valid_front = reference_front([r.front[list(valid_columns)].to_numpy(float) for r in runs], objectives)
    test_front = reference_front([_nondominated(r.front[list(test_columns)].to_numpy(float), test_objectives)
                                  for r in runs], test_objectives)
    scores = pd.DataFrame([score_run(r, ref, valid_front, test_front, (ideal, nadir), test_columns, test_ref,
                                     objectives, test_objectives, valid_columns) for r in runs])
    seeds = pd.DataFrame({"seed": [int(r.summary["seed"]) for r in runs]})
    values = values.drop(columns=["seed"], errors="ignore")  # `--by seed`: one seed column, from the summary
    table = pd.concat([pd.DataFrame({"run_dir": [str(r.path) for r in runs]}), values, seeds, scores], axis=1)
    order = np.lexsort((table["seed"].to_numpy(), pd.factorize(table["group"])[0]))
    table = table.iloc[order].reset_index(drop=True)
    return Collection(
        runs=[runs[i] for i in order], table=table, groups=list(dict.fromkeys(table["group"])),
        group_keys=("strategy", "data", *by), objectives=objectives, k=k, reference_point=ref,
        reference_source=source, ideal=ideal, nadir=nadir, valid_columns=valid_columns, test_columns=test_columns,
        test_reference_point=test_ref,
        valid_reference_front=valid_front, test_reference_front=test_front, test_objectives=tuple(test_objectives),
    )


def hv_history(run: RunRecord, reference_point: np.ndarray, objectives: Names = None,
               columns: tuple[str, ...] = (VALID[0], VALID[1])) -> pd.DataFrame:
    """Hypervolume of everything evaluated up to each generation, against the shared reference point.

    Recomputed from the evaluations.csv `columns` of the objectives (history.csv holds each run's own
    reference point's values).
    """
    ev = run.evaluations
    rows = []
    for gen in sorted(ev["generation"].unique()):
        F = ev.loc[ev["generation"] <= gen, list(columns)].to_numpy(float)
        rows.append({"generation": int(gen), "n_evals": int(len(F)),
                     "hypervolume": hypervolume(_nondominated(F, objectives), reference_point, objectives)})
    return pd.DataFrame(rows)
