"""`morec-pareto-report PATH... --out DIR`: compare run folders grouped by config; tables, tests, figures."""
from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

import pandas as pd

from morec_pareto.io import write_csv, write_json, write_text
from morec_pareto.report.collect import DEFAULT_MARGIN, Collection, ReportError, collect
from morec_pareto.report.coverage import coverage_points, coverage_summary
from morec_pareto.report.decision import METHODS, choose_points, equal_weights, overlay_yaml, slug
from morec_pareto.report.figures import all_figures
from morec_pareto.report.io import unfinished_runs
from morec_pareto.report.plots import save_figure
from morec_pareto.report.tables import group_summary, tests_table, to_latex, to_markdown

RUN_COLUMNS = ["run_dir", "hypervolume", "test_hypervolume", "normalised_hypervolume", "test_normalised_hypervolume",
               "hv_best_point_share", "test_hv_best_point_share", "igd_plus", "test_igd_plus", "valid_test_igd_plus",
               "share_stay_nondominated", "n_front", "n_evals", "runtime_s"]
MAX_ALL_PAIRS = 3  # above this many groups, all-pairs Holm eats the power of 10 seeds: compare with a control


def parser() -> argparse.ArgumentParser:
    """The command-line interface."""
    p = argparse.ArgumentParser(prog="morec-pareto-report", description=__doc__.split(":", 1)[1].strip())
    p.add_argument("paths", nargs="+", type=Path, help="run folders and/or multirun folders")
    p.add_argument("--out", required=True, type=Path, help="folder to write the report into")
    p.add_argument("--by", action="extend", nargs="+", default=[], metavar="KEY",
                   help="extra config keys that split groups, e.g. train.lr (strategy and data always do)")
    p.add_argument("--reference-point", nargs="+", type=float, metavar="V",
                   help="hypervolume reference point in natural units, one value per objective (default: derived "
                        "from the union of all compared fronts, see --margin)")
    p.add_argument("--nadir-of", choices=["all_points", "reference_front"], default="all_points",
                   help="derived point: the worst point of all compared fronts (default: every front point "
                        "of every run counts) or the nadir of their non-dominated union (the best known front; "
                        "runs below it in an objective score 0)")
    p.add_argument("--runs-reference-point", action="store_true",
                   help="use the reference point the runs were configured with (all must agree) instead")
    p.add_argument("--control", metavar="GROUP",
                   help="compare every group with this one (Holm over k-1 pairs); needed with more than 3 groups")
    p.add_argument("--all-pairs", action="store_true", help="test all pairs of groups even with more than 3 groups")
    p.add_argument("--test-revenue", choices=["test_revenue", "test_realised_revenue"], default="test_revenue",
                   help="front.csv column the test indicators rank revenue on (default test_revenue; "
                        "test_realised_revenue = held-out purchases)")
    p.add_argument("--margin", type=float, default=DEFAULT_MARGIN,
                   help="margin of a derived reference point, as a fraction of the union's range (default 0.1)")
    p.add_argument("--weights", nargs="+", type=float, metavar="W",
                   help="pseudo-weights of the pseudo-weight choice, one per objective (default: equal, 0.5 0.5 "
                        "for two objectives)")
    p.add_argument("--export-point", choices=METHODS, help="export this choice as a Hydra experiment overlay")
    p.add_argument("--group", help="group whose point --export-point exports (needed with several groups)")
    return p


def _export_group(collection: Collection, group: str | None) -> str:
    if group is None:
        if len(collection.groups) > 1:
            raise ReportError(f"--export-point: give --group, one of {collection.groups}")
        return collection.groups[0]
    if group not in collection.groups:
        raise ReportError(f"--group {group!r}: no such group; groups: {collection.groups}")
    return group


def _control(collection: Collection, control: str | None, all_pairs: bool) -> str | None:
    """The control group of the tests, or None for all pairs (allowed up to MAX_ALL_PAIRS groups)."""
    if control is not None:
        if all_pairs:
            raise ReportError("--control and --all-pairs exclude each other")
        if control not in collection.groups:
            raise ReportError(f"--control {control!r}: no such group; groups: {collection.groups}")
        return control
    if len(collection.groups) > MAX_ALL_PAIRS and not all_pairs:
        raise ReportError(f"{len(collection.groups)} groups: name a control with --control GROUP (one of "
                          f"{collection.groups}), or pass --all-pairs")
    return None


def reference_point_record(collection: Collection, margin: float, nadir_of: str) -> dict[str, object]:
    """reference_point.json: the point, how it was derived, and the normalisation of normalised HV."""
    record: dict[str, object] = {
        "reference_point": collection.reference_point.tolist(), "source": collection.reference_source,
        "margin": margin, "nadir_of": nadir_of, "objectives": list(collection.objectives), "k": collection.k,
        "normalisation": {"ideal": collection.ideal.tolist(), "nadir": collection.nadir.tolist(),
                          "rule": "f' = (f - nadir) / (ideal - nadir) per objective, ideal and nadir of the points "
                                  "the reference point was derived from"},
        "n_runs": len(collection.runs), "test_columns": list(collection.test_columns),
    }
    if "test_realised_revenue" in collection.test_columns:
        record["test_reference_point"] = collection.test_reference_point.tolist()
    return record


def build_report(args: argparse.Namespace) -> dict[str, object]:
    """Everything the report writes, by file name, computed in memory (so bad input writes nothing)."""
    collection = collect(args.paths, by=tuple(args.by), reference_point=args.reference_point, margin=args.margin,
                         from_runs=args.runs_reference_point, test_revenue=args.test_revenue,
                         nadir_of=args.nadir_of)
    weights = equal_weights(collection.n_obj) if args.weights is None else tuple(args.weights)
    if len(weights) != collection.n_obj:
        raise ReportError(f"--weights: needs {collection.n_obj} values, got {len(weights)}")
    runs = collection.table
    summary = group_summary(runs, collection.group_keys)
    tests = tests_table(runs, _control(collection, args.control, args.all_pairs))
    choices = choose_points(collection, weights)
    ref, source, objectives = collection.reference_point, collection.reference_source, collection.objectives
    outputs: dict[str, object] = {
        "runs.csv": runs[[*RUN_COLUMNS[:1], "group", *collection.group_keys, "seed", *RUN_COLUMNS[1:]]],
        "summary.csv": summary,
        "tests.csv": tests,
        "choices.csv": choices,
        "summary.md": to_markdown(summary, tests, ref, source, objectives),
        "summary.tex": to_latex(summary, tests, ref, source, objectives),
        "reference_point.json": reference_point_record(collection, args.margin, args.nadir_of),
    }
    if args.export_point:
        group = _export_group(collection, args.group)
        choice = choices[(choices["group"] == group) & (choices["method"] == args.export_point)].iloc[0]
        outputs[f"export_{slug(group)}_{args.export_point}.yaml"] = overlay_yaml(
            choice, collection.var_names(group), ", ".join(collection.objectives), collection.valid_columns)
    points = coverage_points(collection)
    if points is not None:  # runs written before front.csv's test_coverage have none
        outputs["coverage.csv"] = coverage_summary(points)
        outputs["coverage_points.csv"] = points
    outputs["figures"] = all_figures(collection, choices)
    return outputs


def write_report(outputs: dict[str, object], out: Path) -> list[Path]:
    """Write every output atomically into `out`; returns the paths written."""
    written = []
    for name, obj in outputs.items():
        path = out / name
        if name == "figures":
            assert isinstance(obj, dict), "figures: a dict of figures by file stem"
            for stem, fig in obj.items():
                written += save_figure(fig, out / stem)
            continue
        if name.endswith(".csv"):
            write_csv(obj, path)
        elif name.endswith(".json"):
            write_json(obj, path)
        else:
            assert isinstance(obj, str), f"{name}: a text output"
            write_text(obj, path)
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit status (2 on bad input, with a one-line error on stderr)."""
    args = parser().parse_args(argv)
    logging.basicConfig(format="morec-pareto-report: %(message)s")  # a no-op where logging is configured
    logging.getLogger("morec_pareto.report").setLevel(logging.INFO)  # the report's notes (skipped outputs)
    try:
        outputs = build_report(args)
    except ReportError as err:
        print(f"morec-pareto-report: error: {err}", file=sys.stderr)
        return 2
    written = write_report(outputs, args.out)
    runs = outputs["runs.csv"]
    assert isinstance(runs, pd.DataFrame)
    print(f"report of {len(runs)} runs written to {args.out}: {', '.join(p.name for p in written)}")
    for folder, state in unfinished_runs(args.paths):
        print(f"  not in the report (did not finish): {folder} ({state})")
    return 0
