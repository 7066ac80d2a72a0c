"""Per-group summary and pairwise tests as CSV-ready frames, Markdown and LaTeX (booktabs) tables."""
from __future__ import annotations

import re

import numpy as np
import pandas as pd

from morec_pareto.objectives.registry import get_objective
from morec_pareto.report.stats import describe, pairwise_tests, significant_best

# runs.csv column -> True when higher is better; every one is summarised per group.
METRICS = {
    "test_hypervolume": True,
    "hypervolume": True,
    "test_normalised_hypervolume": True,
    "normalised_hypervolume": True,
    "test_hv_best_point_share": False,
    "hv_best_point_share": False,
    "igd_plus": False,
    "test_igd_plus": False,
    "valid_test_igd_plus": False,
    "share_stay_nondominated": True,
    "n_front": True,
    "runtime_s": False,
    "n_evals": False,
}
TESTED = ("test_hypervolume", "hypervolume", "igd_plus", "test_igd_plus")  # pairwise tests, Holm within each
_TEX = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_", "{": r"\{",
        "}": r"\}", "~": r"\textasciitilde{}", "^": r"\^{}"}
TITLES = {
    "test_hypervolume": "HV test", "hypervolume": "HV valid.", "test_normalised_hypervolume": "norm. HV test",
    "normalised_hypervolume": "norm. HV valid.", "test_hv_best_point_share": "best-pt share test",
    "hv_best_point_share": "best-pt share valid.", "igd_plus": "IGD+ valid.", "test_igd_plus": "IGD+ test",
    "valid_test_igd_plus": "IGD+ valid.-test", "share_stay_nondominated": "stay non-dom.", "n_front": "front pts.",
    "runtime_s": "wall time (s)", "n_evals": "evaluations",
}


def group_summary(runs: pd.DataFrame, group_keys: tuple[str, ...]) -> pd.DataFrame:
    """One row per group: its keys, run count, seeds, and median/IQR/mean/95% CI of every metric."""
    rows = []
    for group, block in runs.groupby("group", sort=False):
        row = {"group": group, **{k: block[k].iloc[0] for k in group_keys}, "n_runs": len(block),
               "seeds": " ".join(map(str, sorted(block["seed"])))}
        for metric in METRICS:
            row.update({f"{metric}_{stat}": v for stat, v in describe(block[metric].to_numpy(float)).items()})
        rows.append(row)
    return pd.DataFrame(rows)


def tests_table(runs: pd.DataFrame, control: str | None = None) -> pd.DataFrame:
    """Wilcoxon / Mann-Whitney tests with Holm correction and A12, for the tested metrics.

    Every group against `control` when given (k - 1 pairs per metric), else all pairs.
    """
    return pairwise_tests(runs, {m: METRICS[m] for m in TESTED}, control=control)


def power_note(tests: pd.DataFrame, alpha: float = 0.05) -> str:
    """One sentence, in words, on comparisons that could not reach alpha whatever the runs showed."""
    if tests.empty:
        return ""
    blocked = tests[~tests["can_reach_alpha"].astype(bool)]
    if blocked.empty:
        return (f"Every comparison could reach alpha = {alpha:g}: the smallest attainable Holm-adjusted p is "
                f"{tests['min_attainable_p'].max():.2g} at most.")
    worst = blocked.iloc[0]
    n = int(min(worst["n_a"], worst["n_b"]))
    return (f"{len(blocked)} of {len(tests)} comparisons CANNOT reach alpha = {alpha:g} with these runs: with "
            f"{n} seeds per group and {int(len(tests) / tests['metric'].nunique())} comparisons per metric the "
            f"smallest attainable Holm-adjusted p is {worst['min_attainable_p']:.3g}, so 'not significant' says "
            "nothing there. Add seeds (or, with all pairs, compare against one control: --control).")


def objectives_note(objectives: tuple[str, ...] | None) -> str:
    """One sentence naming k >= 3 objectives (in the order of the reference point) and their directions;
    empty for two (satisfaction and revenue, the tables' long-standing wording)."""
    if objectives is None or len(objectives) == 2:
        return ""
    named = ", ".join(f"{n} ({get_objective(n).direction})" for n in objectives)
    return f" {len(objectives)} objectives, in the order of the reference point: {named}."


def _fmt(x: float) -> str:
    return "–" if x is None or (isinstance(x, float) and np.isnan(x)) else f"{x:.4g}"


def display_rows(summary: pd.DataFrame, tests: pd.DataFrame) -> tuple[list[str], list[list[tuple[str, bool]]]]:
    """Header and cells (text, bold) of the summary table; the best group is bold only when significant."""
    indexed = summary.set_index("group")
    best = {m: significant_best(indexed, tests, m, METRICS[m]) for m in TESTED}
    header = ["group", "n"]
    for m in ("test_hypervolume", "hypervolume"):
        header += [f"{TITLES[m]} median (IQR)", f"{TITLES[m]} mean [95% CI]"]
    header += [f"{TITLES[m]} median (IQR)" for m in ("igd_plus", "test_igd_plus", "valid_test_igd_plus")]
    header += [f"{TITLES['test_hv_best_point_share']} (median)"]
    header += [f"{TITLES['share_stay_nondominated']} (mean)"] + [f"{TITLES[m]} (median)"
                                                                 for m in ("n_front", "runtime_s", "n_evals")]
    rows = []
    for _, r in summary.iterrows():
        cells = [(str(r["group"]), False), (str(r["n_runs"]), False)]
        for m in ("test_hypervolume", "hypervolume"):
            bold = best[m] == r["group"]
            cells += [(f"{_fmt(r[f'{m}_median'])} ({_fmt(r[f'{m}_iqr'])})", bold),
                      (f"{_fmt(r[f'{m}_mean'])} [{_fmt(r[f'{m}_ci95_low'])}, {_fmt(r[f'{m}_ci95_high'])}]", bold)]
        for m in ("igd_plus", "test_igd_plus", "valid_test_igd_plus"):
            cells.append((f"{_fmt(r[f'{m}_median'])} ({_fmt(r[f'{m}_iqr'])})", best.get(m) == r["group"]))
        cells.append((_fmt(r["test_hv_best_point_share_median"]), False))
        cells.append((f"{100 * r['share_stay_nondominated_mean']:.0f}%", False))
        cells += [(_fmt(r[f"{m}_median"]), False) for m in ("n_front", "runtime_s", "n_evals")]
        rows.append(cells)
    return header, rows


def _test_rows(tests: pd.DataFrame) -> tuple[list[str], list[list[str]]]:
    header = ["metric", "A vs B", "test", "p", "p (Holm)", "min. attainable p", "A12", "better"]
    rows = [[TITLES[t["metric"]], f"{t['group_a']} vs {t['group_b']}", t["test"], _fmt(t["p_value"]),
             _fmt(t["p_holm"]) + ("*" if t["significant"] else ""), _fmt(t["min_attainable_p"]),
             f"{t['a12']:.2f}", t["better"] or "tie"] for _, t in tests.iterrows()]
    return header, rows


def to_markdown(summary: pd.DataFrame, tests: pd.DataFrame, reference_point: np.ndarray, source: str,
                objectives: tuple[str, ...] | None = None) -> str:
    """The summary and the tests as two GitHub Markdown tables, with a legend (naming k >= 3 `objectives`)."""
    header, rows = display_rows(summary, tests)

    def table(head: list[str], body: list[list[str]]) -> list[str]:
        return ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)] + ["| " + " | ".join(r) + " |" for r in body]

    body = [[f"**{t}**" if b else t for t, b in r] for r in rows]
    ref = ", ".join(f"{v:.4g}" for v in reference_point)
    lines = ["# Run comparison", "", *table(header, body), "",
             f"Hypervolume (HV) against the reference point ({ref}), {source}.{objectives_note(objectives)} "
             "Best-pt share: the share of a "
             "front's HV its single best point carries (near 1, HV ranks fronts by one extreme point). "
             "IGD+ (lower is better) against the "
             "non-dominated union of all runs' fronts, on objectives divided by that front's range. IQR: "
             "interquartile range; CI: Student-t 95% interval of the mean over seeds. Bold: best median, "
             "significantly better than every other group (Holm, alpha 0.05).",
             "", "## Pairwise tests", ""]
    t_head, t_rows = _test_rows(tests)
    lines += table(t_head, t_rows) if t_rows else ["(a single group: nothing to compare)"]
    lines += ["", "Wilcoxon signed-rank when both groups hold the same seeds, else Mann-Whitney U; two-sided; "
              "* p (Holm) < 0.05. Min. attainable p: the smallest Holm-adjusted p the comparison could reach "
              "at these sample sizes. A12: Vargha-Delaney effect of A over B in the metric's better direction.",
              "", power_note(tests)]
    return "\n".join(lines) + "\n"


def tex_escape(text: str) -> str:
    """Escape LaTeX special characters in table text (one pass, so escapes are not escaped again)."""
    return re.sub(r"[\\&%$#_{}~^]", lambda m: _TEX[m.group()], text).replace("–", "--")


def to_latex(summary: pd.DataFrame, tests: pd.DataFrame, reference_point: np.ndarray, source: str,
             objectives: tuple[str, ...] | None = None) -> str:
    """Two booktabs tables (summary, pairwise tests); needs \\usepackage{booktabs} and graphicx."""
    header, rows = display_rows(summary, tests)

    def tabular(head: list[str], body: list[list[str]]) -> list[str]:
        return [r"\begin{tabular}{l" + "r" * (len(head) - 1) + "}", r"\toprule",
                " & ".join(tex_escape(h) for h in head) + r" \\", r"\midrule",
                *[" & ".join(r) + r" \\" for r in body], r"\bottomrule", r"\end{tabular}"]

    body = [[rf"\textbf{{{tex_escape(t)}}}" if b else tex_escape(t) for t, b in r] for r in rows]
    ref = ", ".join(f"{v:.4g}" for v in reference_point)
    lines = [r"\begin{table}[t]", r"\centering", r"\caption{Fronts per group over seeds: hypervolume against the "
             rf"reference point ({ref}; {tex_escape(source)}),{tex_escape(objectives_note(objectives))} "
             r"IGD+ against the union of all fronts "
             r"(objectives divided by its range). Bold: best median, significantly better than every other "
             r"group (Holm, $\alpha=0.05$).}",
             r"\label{tab:report-summary}", r"\resizebox{\textwidth}{!}{%", *tabular(header, body), "}",
             r"\end{table}", ""]
    t_head, t_rows = _test_rows(tests)
    if t_rows:
        lines += [r"\begin{table}[t]", r"\centering", r"\caption{Pairwise two-sided tests (Wilcoxon signed-rank "
                  r"when seeds are paired, else Mann-Whitney U), Holm-corrected per metric; A12: Vargha-Delaney "
                  r"effect size of A over B. " + tex_escape(power_note(tests)) + "}", r"\label{tab:report-tests}",
                  r"\resizebox{\textwidth}{!}{%",
                  *tabular(t_head, [[tex_escape(c) for c in r] for r in t_rows]), "}", r"\end{table}"]
    return "\n".join(lines) + "\n"
