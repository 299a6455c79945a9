"""Tests for soskulib.spc: run-chart rules and p-charts on constructed series."""

from __future__ import annotations

import doctest
import itertools
from collections import Counter

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from soskulib import spc


def test_docstring_examples_run():
    result = doctest.testmod(spc, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0


@pytest.mark.parametrize(("n1", "n2"), [(3, 3), (4, 6), (5, 5), (7, 2)])
def test_runs_distribution_matches_brute_force_enumeration(n1, n2):
    counts = Counter()
    for above in itertools.combinations(range(n1 + n2), n1):
        seq = np.zeros(n1 + n2, int)
        seq[list(above)] = 1
        counts[1 + int(np.sum(seq[1:] != seq[:-1]))] += 1
    total = sum(counts.values())
    dist = spc.runs_distribution(n1, n2)
    assert dist.sum() == pytest.approx(1.0)
    for runs, ways in counts.items():
        assert dist[runs] == pytest.approx(ways / total)


def test_runs_limits_even_split_matches_perla_table_entry():
    # Perla et al. (2011) Table 1: 10 useful observations -> too few < 3, too many > 9;
    # checked by hand: P(R <= 2) = 2/252 <= 0.025 < P(R <= 3) = 10/252.
    assert spc.runs_limits(5, 5) == (3, 9)


def test_runs_limits_normal_approximation_formula():
    lo, hi = spc.runs_limits(20, 20, method="normal")
    mean = 1 + 2 * 20 * 20 / 40
    sd = np.sqrt(2 * 20 * 20 * (2 * 20 * 20 - 40) / (40**2 * 39))
    assert lo == pytest.approx(mean - 1.959963985 * sd)
    assert hi == pytest.approx(mean + 1.959963985 * sd)


def test_shift_of_six_signals_and_five_does_not():
    six = [10, 11, 10, 12, 11, 13, 1, 2, 1, 2, 1, 2, 5]  # median 5
    five = [10, 11, 10, 12, 11, 1, 2, 13, 1, 2, 1, 2, 5]
    assert spc.run_chart(six).points["shift"].sum() == 12
    assert not spc.run_chart(five).points["shift"].any()


def test_points_on_the_median_neither_make_nor_break_a_shift():
    # Median is 5: the 5 in the middle must not break the run of six above.
    x = [8, 9, 8, 5, 9, 8, 9, 1, 2, 1, 5, 2, 1]
    pts = spc.run_chart(x, centre=5).points
    assert pts["shift"].tolist()[:7] == [True, True, True, False, True, True, True]
    assert not pts["shift"].iloc[7:].any()  # five below (the median point skipped)


def test_trend_of_five_signals_and_ties_are_skipped():
    up = [1, 2, 3, 3, 4, 5, 2, 2, 1]
    pts = spc.run_chart(up, astronomical_sigma=None).points
    assert pts["trend"].tolist() == [True] * 6 + [False] * 3
    four = [1, 2, 3, 4, 2, 3, 1, 2]
    assert not spc.run_chart(four).points["trend"].any()


def test_too_few_runs_and_too_many_runs():
    few = [9] * 6 + [1] * 6  # 2 runs among 12 useful points
    rc = spc.run_chart(few)
    assert rc.runs == 2 and rc.too_few_runs and not rc.too_many_runs
    many = [9, 1] * 7  # 14 runs among 14 points
    rc = spc.run_chart(many)
    assert rc.runs == 14 and rc.too_many_runs
    random_like = [3, 7, 8, 2, 1, 9, 6, 4, 2, 8, 7, 1]  # 7 runs of 12
    rc = spc.run_chart(random_like)
    assert not rc.too_few_runs and not rc.too_many_runs


def test_astronomical_point():
    x = [10, 11, 9, 10, 12, 10, 11, 40, 10, 9, 11, 10]
    pts = spc.run_chart(x).points
    assert pts["astronomical"].tolist() == [False] * 7 + [True] + [False] * 4
    assert pts.loc[7, "reasons"] == "astronomical"


def test_missing_points_are_skipped():
    x = [8, 9, np.nan, 8, 9, 8, 9, 1, 2, 1, 2, 1, 2]
    pts = spc.run_chart(x).points
    assert pts["shift"].sum() == 12 and not pts.loc[2, "shift"]


@settings(max_examples=50, deadline=None)
@given(st.lists(st.floats(0, 1, allow_nan=False), min_size=3, max_size=40))
def test_run_chart_invariants(values):
    rc = spc.run_chart(values)
    pts = rc.points
    assert len(pts) == len(values)
    assert rc.n_useful == int((pts["side"] != 0).sum())
    assert rc.runs <= max(rc.n_useful, 0)
    assert (pts["signal"] == pts[["shift", "trend", "astronomical"]].any(axis=1)).all()


def test_p_chart_limits_by_hand():
    events = np.array([5, 8, 3, 20])
    n = np.array([25, 40, 30, 50])
    out = spc.p_chart(events, n)
    pbar = 36 / 145
    for i in range(4):
        se = np.sqrt(pbar * (1 - pbar) / n[i])
        assert out["centre"].iloc[i] == pytest.approx(pbar)
        assert out["ucl"].iloc[i] == pytest.approx(min(1, pbar + 3 * se))
        assert out["lcl"].iloc[i] == pytest.approx(max(0, pbar - 3 * se))
    # 20/50 = 0.4 vs UCL = 0.2483 + 3 * 0.0611 = 0.4316: inside; 3/30 = 0.1 vs LCL ~ 0.011: inside.
    assert not out["outside_limits"].any()
    out = spc.p_chart([1, 1, 1, 30], [40, 40, 40, 40])
    assert out["outside_limits"].tolist() == [False, False, False, True]


def test_p_chart_phases_and_baseline():
    events = [10, 12, 11, 2, 3, 2]
    n = [40] * 6
    out = spc.p_chart(events, n, phase=["a"] * 3 + ["b"] * 3)
    assert out["centre"].iloc[0] == pytest.approx(33 / 120)
    assert out["centre"].iloc[5] == pytest.approx(7 / 120)
    base = spc.p_chart(events, n, baseline=3)
    assert base["centre"].nunique() == 1 and base["centre"].iloc[0] == pytest.approx(33 / 120)
    # LCL = 0.275 - 3 * 0.0706 = 0.0632: 2/40 = 0.05 is below it, 3/40 = 0.075 is not.
    assert base["outside_limits"].tolist() == [False, False, False, True, False, True]


def test_p_chart_empty_subgroup_and_validation():
    out = spc.p_chart([0, 3], [0, 10])
    assert np.isnan(out["p"].iloc[0]) and np.isnan(out["ucl"].iloc[0])
    with pytest.raises(ValueError, match="exceed"):
        spc.p_chart([5], [4])
