"""Report arithmetic on hand-computed toys: indicators, attainment surfaces, decision making, statistics."""
import numpy as np
import pandas as pd
import pytest
from scipy import stats

from morec_pareto.report.attainment import attainment_surfaces, surface_steps
from morec_pareto.report.decision import knee_index, pseudo_weight_index
from morec_pareto.report.indicators import (
    hypervolume,
    igd_plus,
    nadir_reference_point,
    reference_front,
    share_stay_nondominated,
)
from morec_pareto.report.stats import a12, compare, describe, holm, pairwise_tests, significant_best
from morec_pareto.report.tables import tex_escape

STAIRCASE = np.array([[1.0, 3.0], [2.0, 2.0], [3.0, 1.0]])  # maximised


def test_hypervolume_of_a_staircase_is_a_sum_of_rectangles():
    # columns [0,1]x[0,3], [1,2]x[0,2], [2,3]x[0,1]
    assert hypervolume(STAIRCASE, np.zeros(2)) == pytest.approx(3 + 2 + 1)
    # from (0.5, 0.5): [0.5,1]x2.5 + [1,2]x1.5 + [2,3]x0.5
    assert hypervolume(STAIRCASE, np.array([0.5, 0.5])) == pytest.approx(1.25 + 1.5 + 0.5)


def test_igd_plus_on_three_points():
    # d+(z, a) = ||max(z - a, 0)|| when maximising: (1,3)->1, (2,2)->0, (3,1)->1
    assert igd_plus(np.array([[2.0, 2.0]]), STAIRCASE) == pytest.approx(2 / 3)
    assert igd_plus(STAIRCASE, STAIRCASE) == pytest.approx(0.0)


def test_reference_front_nadir_and_share():
    union = reference_front([STAIRCASE, np.array([[2.5, 2.5], [0.5, 0.5]])])
    assert sorted(map(tuple, union)) == [(1, 3), (2.5, 2.5), (3, 1)]
    np.testing.assert_allclose(nadir_reference_point(np.array([[1.0, 3.0], [3.0, 1.0]]), 0.1), [0.8, 0.8])
    assert share_stay_nondominated(np.array([[1.0, 1.0], [2.0, 2.0], [0.0, 3.0]])) == pytest.approx(2 / 3)
    assert share_stay_nondominated(np.array([[1.0, 1.0], [1.0, 1.0]])) == 1.0  # ties stay non-dominated


def test_attainment_surfaces_of_three_fronts():
    fronts = [STAIRCASE, np.array([[2.0, 4.0], [4.0, 2.0]]), np.array([[0.0, 5.0], [5.0, 0.0]])]
    s = attainment_surfaces(fronts)
    np.testing.assert_array_equal(s["best"], [[0, 5], [2, 4], [4, 2], [5, 0]])  # reached by one run
    np.testing.assert_array_equal(s["median"], [[0, 4], [1, 3], [2, 2], [3, 1], [4, 0]])  # by two of three
    np.testing.assert_array_equal(s["worst"], [[0, 3], [3, 0]])  # by all three
    xs, ys = surface_steps(s["worst"], np.array([-1.0, -1.0]))
    np.testing.assert_array_equal(xs, [3, 3, 0, 0, -1])
    np.testing.assert_array_equal(ys, [-1, 0, 0, 3, 3])


def test_knee_and_pseudo_weights():
    F = np.array([[0, 10], [1, 9.9], [2, 9.8], [8, 8], [9.8, 2], [9.9, 1], [10, 0]])
    index, rule = knee_index(F)
    assert (index, rule) == (3, "high_tradeoff")
    line = np.array([[0.0, 1.0], [0.5, 0.5], [1.0, 0.0]])
    assert pseudo_weight_index(line, (0.5, 0.5)) == 1
    assert pseudo_weight_index(line, (1.0, 0.0)) == 2  # all weight on satisfaction: its best point
    assert knee_index(line[:2])[1].startswith("pseudo_weights")  # too few points for a trade-off


def test_a12_and_holm_by_hand():
    # x vs y: 1 beats none; 2 ties twice (2 x 0.5); 3 beats two -> 3 / 9
    assert a12([1, 2, 3], [2, 2, 4]) == pytest.approx(1 / 3)
    assert a12([5, 6], [1, 2]) == 1.0
    # sorted 0.01, 0.03, 0.04 -> 3 x 0.01, 2 x 0.03, max(0.06, 1 x 0.04)
    np.testing.assert_allclose(holm([0.01, 0.04, 0.03]), [0.03, 0.06, 0.06])
    np.testing.assert_allclose(holm([0.5, 0.9]), [1.0, 1.0])


def test_describe_matches_numpy_and_scipy():
    x = np.array([3.0, 1.0, 4.0, 1.0, 5.0])
    d = describe(x)
    assert d["median"] == 3.0 and d["iqr"] == pytest.approx(4.0 - 1.0)
    low, high = stats.t.interval(0.95, len(x) - 1, loc=x.mean(), scale=stats.sem(x))
    assert (d["ci95_low"], d["ci95_high"]) == pytest.approx((low, high))


def test_compare_uses_wilcoxon_when_paired_else_mann_whitney():
    x = pd.Series([1.0, 2.5, 3.0, 4.5, 6.0], index=[0, 1, 2, 3, 4])
    y = pd.Series([0.5, 2.0, 3.5, 3.0, 4.0], index=[0, 1, 2, 3, 4])
    name, statistic, p = compare(x, y)
    expected = stats.wilcoxon(x.to_numpy() - y.to_numpy())
    assert name == "wilcoxon" and (statistic, p) == pytest.approx((expected.statistic, expected.pvalue))
    name, statistic, p = compare(x, y.set_axis([5, 6, 7, 8, 9]))
    expected = stats.mannwhitneyu(x, y, alternative="two-sided")
    assert name == "mannwhitneyu" and (statistic, p) == pytest.approx((expected.statistic, expected.pvalue))
    assert compare(x, x)[2] == 1.0


def test_pairwise_tests_and_bold_only_when_significant():
    seeds = np.arange(8)
    runs = pd.DataFrame({"group": ["a"] * 8 + ["b"] * 8 + ["c"] * 8, "seed": np.tile(seeds, 3),
                         "hv": np.concatenate([seeds + 10.0, seeds + 0.5, seeds + 0.25])})
    tests = pairwise_tests(runs, {"hv": True})
    assert len(tests) == 3 and set(tests["test"]) == {"wilcoxon"}
    np.testing.assert_allclose(tests["p_holm"], holm(tests["p_value"].to_numpy()))
    ab = tests[(tests["group_a"] == "a") & (tests["group_b"] == "b")].iloc[0]
    assert ab["a12"] > 0.5 and ab["better"] == "a" and ab["significant"]
    summary = runs.groupby("group")["hv"].median().rename("hv_median").to_frame()
    assert significant_best(summary, tests, "hv", True) == "a"
    few = runs[runs["seed"] < 3]  # three paired seeds: Wilcoxon cannot reach p < 0.05
    assert significant_best(summary, pairwise_tests(few, {"hv": True}), "hv", True) is None


def test_tex_escape():
    assert tex_escape("non_weighted 50% {x}") == r"non\_weighted 50\% \{x\}"


def test_saved_figures_are_byte_identical_when_saved_twice(tmp_path):
    """No creation date in the PDF: a regenerated report does not rewrite unchanged figures."""
    import matplotlib.pyplot as plt

    from morec_pareto.report.plots import save_figure

    def figure() -> plt.Figure:
        fig, ax = plt.subplots()
        ax.plot([0, 1, 2], [2, 1, 3])
        return fig

    first = [p.read_bytes() for p in save_figure(figure(), tmp_path / "a")]
    second = [p.read_bytes() for p in save_figure(figure(), tmp_path / "b")]
    assert first == second and first[0][:4] == b"%PDF"
