"""Tests for soskulib.intervals and the Wilson interval of soskulib.change, against R."""

from __future__ import annotations

import doctest

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.proportion import proportion_confint

from soskulib import change, intervals


def test_docstring_examples_run():
    result = doctest.testmod(intervals, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0


def test_wilson_matches_statsmodels_and_r(reference):
    ref = reference["wilson"]
    low, high = change.wilson_ci(ref["x"], ref["n"])
    np.testing.assert_allclose(low, ref["low"], atol=1e-10)
    np.testing.assert_allclose(high, ref["high"], atol=1e-10)
    sm_low, sm_high = proportion_confint(np.array(ref["x"]), np.array(ref["n"]), method="wilson")
    np.testing.assert_allclose(low, sm_low, atol=1e-12)
    np.testing.assert_allclose(high, sm_high, atol=1e-12)
    low90, _ = change.wilson_ci(3, 10, level=0.90)
    assert low90 == pytest.approx(proportion_confint(3, 10, alpha=0.10, method="wilson")[0])


def test_wilson_rejects_impossible_counts():
    with pytest.raises(ValueError, match="between 0 and n"):
        change.wilson_ci(11, 10)


def test_mean_ci_matches_r_t_test(reference):
    ref = reference["t_interval"]
    mean, low, high, n = intervals.mean_ci(pd.Series(ref["x"]))
    assert (low, high) == pytest.approx((ref["low"], ref["high"]), abs=1e-10)
    assert n == len(ref["x"]) and mean == pytest.approx(np.mean(ref["x"]))
