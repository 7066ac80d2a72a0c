"""The README's compact table of a flagship report: per strategy, test HV and IGD+ and the test against the control.

    .venv/bin/python experiments/flagship/headline.py REPORT_DIR [--metric test_hypervolume]

Reads `summary.csv`, `tests.csv` and `reference_point.json` of `morec-pareto-report ... --control NAME` and prints
a Markdown table, strategies by median test HV, best first: test HV median (IQR), test IGD+ median (IQR), and
for every non-control strategy the Holm-adjusted p of the paired test on `--metric`, A12 and which side is better.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import pandas as pd


def headline(report: Path, metric: str = "test_hypervolume") -> str:
    """The Markdown table (and a line naming the reference point) of one report folder."""
    summary = pd.read_csv(report / "summary.csv").sort_values("test_hypervolume_median", ascending=False)
    tests = pd.read_csv(report / "tests.csv")
    tests = tests[tests["metric"] == metric]
    controls = set(tests["group_a"])
    if len(controls) != 1:
        raise SystemExit(f"{report / 'tests.csv'}: expected one control group (--control), found {sorted(controls)}")
    control = controls.pop()
    lines = [f"| strategy | seeds | test HV median (IQR) | test IGD+ median (IQR) | vs {control}: p (Holm) | A12 | better |",
             "|---|---|---|---|---|---|---|"]
    for row in summary.itertuples():
        hv = f"{row.test_hypervolume_median:.2f} ({row.test_hypervolume_iqr:.2f})"
        igd = f"{row.test_igd_plus_median:.3f} ({row.test_igd_plus_iqr:.3f})"
        test = tests[tests["group_b"] == row.group]
        if row.group == control or test.empty:
            lines.append(f"| **{row.group}** (control) | {row.n_runs} | {hv} | {igd} | | | |")
            continue
        t = test.iloc[0]
        p = f"{t.p_holm:.3g}" + (" *" if bool(t.significant) else "")
        lines.append(f"| {row.group} | {row.n_runs} | {hv} | {igd} | {p} | {t.a12:.2f} | {t.better} |")
    ref = json.loads((report / "reference_point.json").read_text())["reference_point"]
    point = ", ".join(f"{v:.4g}" for v in ref)
    lines.append(f"\nReference point ({point}); * p (Holm) < 0.05; A12: the probability that {control} beats the "
                 f"other strategy on {metric} in a random pair of seeds.")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("report", type=Path, help="a morec-pareto-report output folder")
    parser.add_argument("--metric", default="test_hypervolume", help="tests.csv metric the p and A12 columns read")
    args = parser.parse_args()
    print(headline(args.report, args.metric))


if __name__ == "__main__":
    main()
