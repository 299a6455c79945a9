"""Tests for soskulib.effectsize: Lakens (2013) example, R references, invariants, bad input."""

from __future__ import annotations

import doctest
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from soskulib import effectsize
from soskulib.effectsize import KINDS, hedges_j, nct_ci, paired_effect_size

REF = Path(__file__).parent / "reference"
MOVIE1 = [9, 7, 8, 9, 8, 9, 9, 10, 9, 9]
MOVIE2 = [9, 6, 7, 8, 7, 9, 8, 8, 8, 7]


def test_doctests() -> None:
    result = doctest.testmod(effectsize)
    assert result.attempted > 0 and result.failed == 0


def test_lakens_2013_reported_values() -> None:
    # Lakens (2013) Table 2: means 8.7 / 7.7, SDs 0.82 / 0.95, r = 0.726, d_z = 1.50,
    # d_av = 1.13; g_av = d_av * (1 - 3/(4*9 - 1)).
    assert np.mean(MOVIE1) == pytest.approx(8.7)
    assert np.std(MOVIE1, ddof=1) == pytest.approx(0.82, abs=0.005)
    assert np.std(MOVIE2, ddof=1) == pytest.approx(0.95, abs=0.005)
    assert np.corrcoef(MOVIE1, MOVIE2)[0, 1] == pytest.approx(0.726, abs=0.0005)
    dz = paired_effect_size(MOVIE2, MOVIE1, kind="dz")
    dav = paired_effect_size(MOVIE2, MOVIE1, kind="dav")
    gav = paired_effect_size(MOVIE2, MOVIE1, kind="gav")
    assert round(dz.estimate, 2) == 1.50
    assert round(dav.estimate, 2) == 1.13
    assert gav.estimate == pytest.approx(dav.estimate * (1 - 3 / 35))
    assert (dz.n, dz.kind) == (10, "dz")


def _reference_cases() -> list[dict]:
    return json.loads((REF / "effectsize_reference.json").read_text())["cases"]


@pytest.mark.parametrize("case", _reference_cases(), ids=lambda c: f"{c['dataset']}-{c['level']}")
def test_agrees_with_r_uniroot(case: dict) -> None:
    data = pd.read_csv(REF / "effectsize_data.csv")
    d = data[data["dataset"] == case["dataset"]]
    for kind, key in (("dz", "dz"), ("srm", "dz"), ("dav", "dav"), ("gav", "gav")):
        es = paired_effect_size(d["pre"], d["post"], kind=kind, ci=case["level"])
        assert es.n == case["n"]
        assert es.estimate == pytest.approx(case[key], rel=1e-10)
        assert es.ci_low == pytest.approx(case[f"{key}_ci_low"], rel=1e-7, abs=1e-9)
        assert es.ci_high == pytest.approx(case[f"{key}_ci_high"], rel=1e-7, abs=1e-9)


def test_nct_ci_inverts_the_cdf() -> None:
    from scipy import stats

    lo, hi = nct_ci(np.array([2.5, -1.0]), np.array([9.0, 30.0]), 0.9)
    assert stats.nct.cdf([2.5, -1.0], [9, 30], lo) == pytest.approx([0.95, 0.95], abs=1e-9)
    assert stats.nct.cdf([2.5, -1.0], [9, 30], hi) == pytest.approx([0.05, 0.05], abs=1e-9)
    assert np.isnan(nct_ci(np.nan, 5)[0])


def test_missing_pairs_dropped_and_degenerate_cases() -> None:
    es = paired_effect_size([1, 2, np.nan, 4, 5], [2, 4, 3, np.nan, 7.5])
    assert es.n == 3
    single = paired_effect_size([1.0], [2.0])
    assert single.n == 1 and np.isnan(single.estimate) and np.isnan(single.ci_low)
    constant = paired_effect_size([1, 2, 3], [2, 3, 4])  # SD of change 0
    assert np.isnan(constant.estimate)


def test_hedges_j() -> None:
    assert hedges_j(9) == pytest.approx(1 - 3 / 35)
    assert hedges_j(1000) == pytest.approx(1.0, abs=1e-3)


pairs = st.integers(min_value=3, max_value=30).flatmap(
    lambda n: st.tuples(
        st.lists(st.floats(-50, 50, allow_nan=False), min_size=n, max_size=n),
        st.lists(st.floats(-50, 50, allow_nan=False), min_size=n, max_size=n),
    )
)


@settings(max_examples=40, deadline=None)
@given(pairs, st.sampled_from(KINDS))
def test_swapping_pre_and_post_flips_sign(data: tuple[list, list], kind: str) -> None:
    pre, post = np.array(data[0]), np.array(data[1])
    diff = post - pre
    if np.std(diff) < 1e-6 or np.std(pre) < 1e-6 or np.std(post) < 1e-6:
        return
    a = paired_effect_size(pre, post, kind=kind)
    b = paired_effect_size(post, pre, kind=kind)
    assert b.estimate == pytest.approx(-a.estimate, rel=1e-9, abs=1e-12)
    assert b.ci_low == pytest.approx(-a.ci_high, rel=1e-6, abs=1e-9)
    assert a.ci_low <= a.estimate <= a.ci_high


@settings(max_examples=30, deadline=None)
@given(pairs, st.floats(0.1, 100))
def test_scale_invariance(data: tuple[list, list], factor: float) -> None:
    pre, post = np.array(data[0]), np.array(data[1])
    if np.std(post - pre) < 1e-6 or np.std(pre) < 1e-6 or np.std(post) < 1e-6:
        return
    a = paired_effect_size(pre, post, kind="dav")
    b = paired_effect_size(pre * factor + 3, post * factor + 3, kind="dav")
    assert b.estimate == pytest.approx(a.estimate, rel=1e-8)


def test_bad_input() -> None:
    with pytest.raises(ValueError, match="same length"):
        paired_effect_size([1, 2, 3], [1, 2])
    with pytest.raises(ValueError, match="kind"):
        paired_effect_size([1, 2, 3], [1, 2, 4], kind="cohen")
    with pytest.raises(TypeError, match="numeric"):
        paired_effect_size(["a", "b", "c"], [1, 2, 3])
    with pytest.raises(TypeError, match="numeric"):
        paired_effect_size(pd.Series(["1", "x"], dtype=object), [1, 2])
    with pytest.raises(ValueError, match="level"):
        paired_effect_size([1, 2, 3], [2, 2, 5], ci=95)
    with pytest.raises(TypeError, match="DataFrame"):
        paired_effect_size(pd.DataFrame({"a": [1, 2]}), [1, 2])


def test_result_to_dict() -> None:
    d = paired_effect_size(MOVIE2, MOVIE1).to_dict()
    assert set(d) >= {"estimate", "ci_low", "ci_high", "n", "kind"}


@pytest.mark.parametrize(
    ("t", "df", "lower", "upper"),
    [
        # R: uniroot on pt(t, df, ncp) (see tests/reference/effectsize.R for the method).
        (0.5795292136567018 * np.sqrt(63), 62, 2.463964974, 6.703902929),
        (30.0, 400, 27.13406727, 32.84726947),
        (-12.0, 20, -16.143821366, -7.786563534),
        (1.0, 5, -1.094567920, 3.006572457),
    ],
)
def test_nct_ci_where_scipy_nct_cdf_returns_nan_far_from_t(t, df, lower, upper):
    # Regression: a wide bracket hit ncp values where scipy's nct.cdf is NaN and the
    # bisection walked to a wrong limit (n = 63, d_z = 0.58 gave [-0.64, 0.84]).
    lo, hi = effectsize.nct_ci(t, df)
    assert float(lo) == pytest.approx(lower, abs=1e-6)
    assert float(hi) == pytest.approx(upper, abs=1e-6)


def test_hedges_j_exact_against_mpmath() -> None:
    """J(m) against the exact value (mpmath, tests/reference/hedges_j_mpmath.py): within 5e-16
    up to m = 11, correctly rounded at m = 4 and 6 where metafor's log(sqrt()) form is not;
    for larger m the difference of two log-gammas loses digits (1e-13 at m = 199) in either
    form."""
    ref = pd.read_csv(REF / "hedges_j_mpmath.csv", dtype={"j": str})
    m = ref["m"].to_numpy(float)
    exact = ref["j"].astype(float).to_numpy()
    got = effectsize.hedges_j_exact(m)
    small = m <= 11
    np.testing.assert_allclose(got[small], exact[small], rtol=5e-16, atol=0)
    np.testing.assert_allclose(got, exact, rtol=1e-13, atol=0)
    for k in (4, 6):
        assert float(effectsize.hedges_j_exact(k)) == float(exact[m == k][0])
    assert np.isnan(effectsize.hedges_j_exact(1.0))


def test_attrition_uses_the_one_small_sample_correction() -> None:
    """The starters' SMCR in attrition is corrected by effectsize.hedges_j_exact (no twin)."""
    from soskulib import attrition

    assert attrition.hedges_j_exact is effectsize.hedges_j_exact
    assert not hasattr(attrition, "_j")
