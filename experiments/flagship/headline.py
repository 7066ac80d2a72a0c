"""The README's compact table of a flagship report: per strategy, test HV and IGD+ and the tests against the control.

    .venv/bin/python experiments/flagship/headline.py REPORT_DIR [--metrics test_hypervolume test_igd_plus]

Reads `summary.csv`, `tests.csv` and `reference_point.json` of `morec-pareto-report ... --control NAME` and prints
a Markdown table, strategies by median test HV, best first: test HV median (IQR), test IGD+ median (IQR), and
for every non-control strategy and each of `--metrics` the Holm-adjusted p of the paired test against the
control and A12 (the control's side; * where p (Holm) < 0.05).
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import pandas as pd

METRICS = ("test_hypervolume", "test_igd_plus")
LABELS = {"test_hypervolume": "HV", "test_igd_plus": "IGD+"}


def headline(report: Path, metrics: tuple[str, ...] = METRICS) -> str:
    """The Markdown table (and a line naming the reference point) of one report folder."""
    summary = pd.read_csv(report / "summary.csv").sort_values("test_hypervolume_median", ascending=False)
    tests = pd.read_csv(report / "tests.csv")
    controls = set(tests["group_a"])
    if len(controls) != 1:
        raise SystemExit(f"{report / 'tests.csv'}: expected one control group (--control), found {sorted(controls)}")
    control = controls.pop()
    header = "".join(f" {LABELS.get(m, m)}: p (Holm) | A12 |" for m in metrics)
    lines = [f"| strategy | seeds | test HV median (IQR) | test IGD+ median (IQR) |{header}",
             "|---|---|---|---|" + "---|---|" * len(metrics)]
    for row in summary.itertuples():
        cells = [f"**{row.group}** (control)" if row.group == control else str(row.group), str(row.n_runs),
                 f"{row.test_hypervolume_median:.2f} ({row.test_hypervolume_iqr:.2f})",
                 f"{row.test_igd_plus_median:.3f} ({row.test_igd_plus_iqr:.3f})"]
        for metric in metrics:
            test = tests[(tests["metric"] == metric) & (tests["group_b"] == row.group)]
            if test.empty:
                cells += ["", ""]
                continue
            t = test.iloc[0]
            cells += [f"{t.p_holm:.3g}" + (" *" if bool(t.significant) else ""), f"{t.a12:.2f}"]
        lines.append("| " + " | ".join(cells) + " |")
    lines.append(f"\n{_reference_sentence(report)} p: paired two-sided test against {control}, Holm over the other "
                 f"strategies; * p (Holm) < 0.05. A12: the probability that {control} is better in the metric's "
                 "direction (HV higher, IGD+ lower) for a random pair of seeds; below 0.5 the other strategy is.")
    return "\n".join(lines)


def _reference_sentence(report: Path) -> str:
    """The test HV's reference point; a realised-revenue report's own test point, with the validation one beside it."""
    record = json.loads((report / "reference_point.json").read_text())

    def point(values: list[float]) -> str:
        return "(" + ", ".join(f"{v:.4g}" for v in values) + ")"

    if "test_reference_point" in record:  # test revenue is another quantity (--test-revenue): its own point
        return (f"Test HV reference point {point(record['test_reference_point'])} on "
                f"({', '.join(record['test_columns'])}); validation HV's {point(record['reference_point'])}.")
    return f"Reference point {point(record['reference_point'])}."


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("report", type=Path, help="a morec-pareto-report output folder")
    parser.add_argument("--metrics", nargs="+", default=list(METRICS), help="tests.csv metrics the p and A12 columns read")
    args = parser.parse_args()
    print(headline(args.report, tuple(args.metrics)))


if __name__ == "__main__":
    main()
