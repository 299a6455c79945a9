"""soskulib.attrition and soskulib.rtm against R (glm + survey, mice, lm): tests/reference/attrition.R."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from soskulib import attrition, effectsize, rtm

HERE = Path(__file__).parent / "reference"
REF = json.loads((HERE / "attrition_reference.json").read_text())["groups"]
DATA = pd.read_csv(HERE / "attrition_input.csv", dtype={"group": str})
DATA["completed"] = DATA["completed"].astype(bool)


def _group(g: str) -> pd.DataFrame:
    return DATA.loc[DATA["group"] == g].reset_index(drop=True)


@pytest.mark.parametrize("g", sorted(REF))
def test_standardised_differences_match_r(g):
    x = _group(g)
    done = x["completed"].to_numpy()
    for column, binary in (("pre", False), ("age", False), ("female", True)):
        ours = attrition.standardised_difference(x.loc[done, column], x.loc[~done, column], binary=binary)
        assert ours == pytest.approx(REF[g]["smd"][column], rel=1e-10)


@pytest.mark.parametrize("g", sorted(REF))
def test_ipw_matches_glm_and_survey_svymean(g):
    x = _group(g)
    p = attrition.completion_probability(x)
    np.testing.assert_allclose(p[:5], REF[g]["propensity_head"], rtol=1e-7)
    out = attrition.ipw_change(x.assign(instrument="i", municipality=g)).iloc[0]
    ref = REF[g]["ipw"]
    for ours, theirs in (("mean_change", "mean_change"), ("se_change", "se_change"), ("yi", "yi"),
                         ("vi", "vi"), ("ess", "ess")):
        assert out[ours] == pytest.approx(ref[theirs], rel=1e-7), ours
    assert out["n_starters"] == REF[g]["n"] and out["n_completers"] == REF[g]["n_completers"]


@pytest.mark.parametrize("g", sorted(REF))
def test_delta_mi_agrees_with_mice_pmm_within_monte_carlo_error(g):
    """Different PMM implementations and random streams: equal up to imputation noise.

    With m = 200 the Monte Carlo SE of the pooled SMCR is about sqrt(B / m) < 0.005 on each
    side; the PMM draws differ in detail (mice: Bayesian coefficient draw; statsmodels: Gaussian
    perturbation; both 5 donors), hence 0.03.
    """
    x = _group(g).assign(instrument="i", municipality=g)
    out = attrition.delta_mi(x, deltas=[0.0, -0.5], m=200, seed=3).set_index("delta")
    for delta in ("0", "-0.5"):
        ref = REF[g]["mi"][delta]
        assert out.loc[float(delta), "yi"] == pytest.approx(ref["yi"], abs=0.03)
        assert out.loc[float(delta), "vi"] == pytest.approx(ref["vi"], rel=0.15)


def test_delta_shifts_the_estimate_by_the_missing_share():
    """Moving imputed end scores by δ·SD moves the SMCR by J·δ·(missing share), exactly."""
    x = _group("A").assign(instrument="i", municipality="A")
    out = attrition.delta_mi(x, deltas=[0.0, -0.4], m=5, seed=1).set_index("delta")["yi"]
    share = 1 - x["completed"].mean()
    j = float(effectsize.hedges_j_exact(len(x) - 1))
    assert out[-0.4] - out[0.0] == pytest.approx(j * -0.4 * share, rel=1e-9)


def test_imputations_are_reproducible_and_seeded():
    x = _group("B")
    a = attrition.impute_end_scores(x, m=3, seed=5)
    np.testing.assert_array_equal(a, attrition.impute_end_scores(x, m=3, seed=5))
    assert not np.array_equal(a, attrition.impute_end_scores(x, m=3, seed=6))
    observed = set(x["post"].dropna())
    assert set(a.ravel()) <= observed   # predictive mean matching draws observed values


@pytest.mark.parametrize("g", sorted(REF))
def test_fixed_design_imputation_is_statsmodels_micedata_draw_for_draw(g):
    """The cached design changes the speed, not the draws: equal to plain MICEData."""
    from statsmodels.imputation.mice import MICEData

    x = _group(g)
    ours = attrition.impute_end_scores(x, m=4, seed=17)
    frame = pd.DataFrame({"x0": x["pre"], "x1": x["age"], "x2": x["female"].astype(float),
                          "post": x["post"]})
    imp = MICEData(frame, k_pmm=5, rng=np.random.default_rng(17))
    imp.set_imputer("post", formula="x0 + x1 + x2", k_pmm=5)
    missing = frame["post"].isna().to_numpy()
    plain = []
    for _ in range(4):
        imp.update_all(1)
        plain.append(imp.data["post"].to_numpy(float)[missing])
    np.testing.assert_array_equal(ours, np.array(plain))


@pytest.mark.parametrize("g", sorted(REF))
def test_rtm_regression_and_tertiles_match_r(g):
    x = _group(g).assign(instrument="i", name="I", higher_is_better=True)
    reg = rtm.baseline_regression(x).iloc[0]
    ref = REF[g]["rtm"]
    assert reg["intercept"] == pytest.approx(ref["intercept"], rel=1e-9)
    assert reg["slope"] == pytest.approx(ref["slope"], rel=1e-9)
    assert [reg["slope_ci_low"], reg["slope_ci_high"]] == pytest.approx(ref["slope_ci"], rel=1e-9)
    assert reg["slope_pval"] == pytest.approx(ref["slope_p"], rel=1e-6)
    tert = rtm.change_by_baseline(x)
    assert tert["n"].tolist() == ref["tertile_n"]
    np.testing.assert_allclose(tert["mean_change"], ref["tertile_mean_change"], rtol=1e-10)
    done = x.loc[x["completed"]]
    _, adjusted = rtm.rtm_adjusted(done["pre"].mean(), (done["post"] - done["pre"]).mean(), 55.0, 0.8)
    assert adjusted == pytest.approx(ref["rtm_adjusted"], rel=1e-10)


def test_tipping_point_interpolates_and_reports_none():
    assert attrition.tipping_point([0, -0.1, -0.2], [0.2, 0.05, -0.05]) == pytest.approx(-0.15)
    assert np.isnan(attrition.tipping_point([0, -0.1], [0.2, 0.1]))
    assert attrition.tipping_point([-0.1, 0], [-0.2, -0.1]) == 0.0


def test_compare_completers_hides_small_shares():
    x = _group("C").assign(instrument="i", name="I", gender="male", target_group="t")
    x.loc[:2, "gender"] = "female"      # three women: below the threshold
    out = attrition.compare_completers(x.rename(columns={"pre": "pre_raw"}))
    women = out.loc[(out["variable"] == "gender") & (out["level"] == "female")].iloc[0]
    assert np.isnan(women["completers"]) and np.isnan(women["smd"])
    base = out.loc[out["variable"] == "baseline"].iloc[0]
    assert base["smd"] == pytest.approx(REF["C"]["smd"]["pre"], rel=1e-10)


RTM_TIP = json.loads((HERE / "rtm_tipping_reference.json").read_text())


@pytest.mark.parametrize("case", RTM_TIP["rtm"], ids=lambda c: f"rho{c['rho']}")
def test_rtm_correction_predicts_the_simulated_regression_to_the_mean(case):
    """R simulates bivariate-normal scores with no true change and selects low baselines;
    the classical correction must predict the change that selection alone produced."""
    expected, adjusted = rtm.rtm_adjusted(case["mean_pre"], case["mean_change"], case["mu"], case["rho"])
    assert expected == pytest.approx(case["mean_change"], abs=4 * case["mc_se"])
    assert adjusted == pytest.approx(0.0, abs=4 * case["mc_se"])


@pytest.mark.parametrize("case", RTM_TIP["tipping"], ids=lambda c: str(len(c["d"])))
def test_tipping_point_matches_r_approx(case):
    ours = attrition.tipping_point(case["d"], case["v"])
    if case["tip"] is None:
        assert np.isnan(ours)
    else:
        assert ours == pytest.approx(case["tip"], rel=1e-12)
