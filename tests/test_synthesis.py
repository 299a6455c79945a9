"""Tests for soskulib.synthesis against soskulib.meta, statsmodels and R (lm, lme4) references."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from soskulib import disclosure, meta_regression, outcomes, process, synthesis

REFERENCE = Path(__file__).parent / "reference"


def test_mechanisms_match_r_lm(reference):
    data = pd.read_csv(REFERENCE / "evaluation_lm_data.csv")
    data["client_id"] = [f"c{i}" for i in range(len(data))]
    data["municipality"] = "092"
    episodes = data.drop(columns=["change", "baseline"])
    changes = data[["client_id", "municipality", "change", "baseline"]].assign(instrument="esis")
    out = synthesis.mechanisms(episodes, changes)
    ref = reference["lm"]
    assert out["term"].tolist() == ref["term"]
    for col in ("estimate", "se", "ci_low", "ci_high", "p_value"):
        np.testing.assert_allclose(out[col], ref[col], rtol=1e-8, err_msg=col)
    assert (out["n"] == ref["n"]).all()
    fe = synthesis.mechanisms(episodes.assign(municipality=["092", "179"] * 75),
                              changes.assign(municipality=["092", "179"] * 75),
                              fixed_effects="municipality", cov_type="HC3")
    assert len(fe) == len(ref["term"]) and fe["se"].gt(0).all()


def test_change_scores_orientation_and_mechanisms_pipeline(tables, episodes):
    pytest.importorskip("soskulib.scoring")
    changes = outcomes.change_scores({"3x10d": tables["responses_3x10d"]})
    assert set(changes["instrument"]) == {"3x10d"}
    assert (changes["scale"] == "life_overall").all()
    assert changes["change"].equals(changes["end"] - changes["baseline"])
    later = outcomes.change_scores({"3x10d": tables["responses_3x10d"].replace({"occasion": {"end": "followup"}})},
                                   post="followup")
    assert list(later.columns[4:6]) == ["baseline", "followup"]
    assert later["change"].equals(changes["change"])
    out = synthesis.mechanisms(episodes, changes)
    assert set(out["term"]) == {*process.FIDELITY_ELEMENTS, "log_hours", "baseline"}
    # tidy data: the outcome and baseline columns are named, not assumed
    renamed = changes.rename(columns={"baseline": "pre_score", "change": "diff"})
    named = synthesis.mechanisms(episodes, renamed, change="diff", baseline="pre_score")
    np.testing.assert_array_equal(named["estimate"], out["estimate"])
    assert named["term"].tolist() == [t.replace("baseline", "pre_score") for t in out["term"]]
    with pytest.raises(KeyError, match="baseline="):
        synthesis.mechanisms(episodes, renamed, change="diff")
    unadjusted = synthesis.mechanisms(episodes, renamed, change="diff", baseline=None)
    assert "pre_score" not in set(unadjusted["term"])
    assert (out["ci_low"] <= out["estimate"]).all() and (out["estimate"] <= out["ci_high"]).all()


def test_municipality_effects_and_pooling_match_meta(responses):
    from soskulib import meta

    effects = synthesis.municipality_effects(responses, min_pairs=10)
    assert (effects["n"] >= 10).all()
    whodas = effects.loc[effects["instrument"] == "whodas12"]
    assert (whodas["yi"] > 0).all()  # oriented: WHODAS improves by going down
    fits = synthesis.meta_by_instrument(effects, lang="en")
    ref = meta.meta_analysis(whodas["yi"], whodas["vi"], method="REML")
    assert fits["whodas12"].estimate == pytest.approx(ref.estimate)
    knha = synthesis.meta_by_instrument(effects, test="knha")
    table = synthesis.pooled_table({"z": fits, "knha": knha})
    assert list(table["test"].unique()) == ["z", "knha"]
    assert table.loc[0, "n"] == effects.loc[effects["instrument"] == table.loc[0, "instrument"], "n"].sum()
    with pytest.raises(ValueError, match="min_pairs"):
        synthesis.municipality_effects(responses, min_pairs=2)


def test_truth_table_flags_coverage():
    pooled = pd.DataFrame({"instrument": ["esis", "3x10d"], "estimate": [0.3, 0.5],
                           "ci_low": [0.2, 0.45], "ci_high": [0.4, 0.55]})
    truth = {"instruments": {"esis": {"mu": 0.35, "tau": 0.1}, "3x10d": {"mu": 0.3}}}
    out = synthesis.truth_table(pooled, truth)
    assert out["covered"].tolist() == [True, False]
    assert out["bias"].round(2).tolist() == [-0.05, 0.2]


def test_moderators_and_meta_regressions(episodes, responses):

    mods = synthesis.moderators(episodes, min_cell=1)
    ref = episodes.groupby("municipality")["hours"].mean()
    np.testing.assert_allclose(mods.set_index("municipality")["mean_hours"], ref)
    effects = synthesis.municipality_effects(responses, min_pairs=5)
    out = synthesis.meta_regressions(effects, mods, min_k=3)
    part = effects.loc[effects["instrument"] == "esis"].merge(mods, on="municipality")
    fit = meta_regression.meta_regression(part["yi"], part["vi"], part[["fidelity_index"]], test="knha")
    row = out.loc[(out["instrument"] == "esis") & (out["moderator"] == "fidelity_index")].iloc[0]
    coef = fit.to_frame()
    coef = coef if "term" in coef.columns else coef.reset_index(names="term")
    assert row["slope"] == pytest.approx(coef["estimate"].iloc[1])


def test_leave_one_out_table_shift(responses):
    fits = synthesis.meta_by_instrument(synthesis.municipality_effects(responses, min_pairs=5))
    loo = synthesis.leave_one_out_table(fits)
    for inst_id, res in fits.items():
        part = loo.loc[loo["instrument"] == inst_id]
        np.testing.assert_allclose(part["shift"], part["estimate"] - res.estimate)


def test_random_intercept_reml_matches_lme4():
    """change ~ 0 + gender + (1 | municipality) against lme4 (tests/reference/change_score_model.R)."""
    import statsmodels.formula.api as smf

    data = pd.read_csv(REFERENCE / "change_score_model_input.csv", dtype={"m": str})
    ref = json.loads((REFERENCE / "change_score_model.json").read_text())
    for inst_id, expected in ref.items():
        part = data.loc[data["instrument"] == inst_id].reset_index(drop=True)
        fit, se = synthesis._random_intercept_reml(part, smf, warnings)
        np.testing.assert_allclose(fit.fe_params.to_numpy(), list(expected["fixef"].values()),
                                   rtol=1e-4, atol=1e-4)
        np.testing.assert_allclose(se, list(expected["se"].values()), rtol=2e-3)
        assert float(fit.cov_re.iloc[0, 0]) == pytest.approx(expected["sigma2_municipality"],
                                                             rel=5e-3, abs=1e-4)
        assert float(fit.scale) == pytest.approx(expected["sigma2_residual"], rel=1e-4)


def test_change_score_model_runs_per_instrument(tables, responses):
    out = synthesis.change_score_model(responses, tables["clients"])
    assert set(out["instrument"]) <= set(responses)
    assert (out["ci_low"] < out["estimate"]).all() and (out["estimate"] < out["ci_high"]).all()
    np.testing.assert_allclose(out["std_estimate"], out["estimate"] / out["sd_pre"])


def test_coverage_counts_pairs(tables, responses):
    out = synthesis.coverage(tables["clients"], tables["subprojects"], responses)
    assert {"pairs_esis", "pairs_whodas12", "n_enrolled", "share_of_plan"} <= set(out.columns)
    shown = pd.to_numeric(out["pairs_esis"]).dropna()
    assert ((shown == 0) | (shown >= disclosure.MIN_CELL)).all()


def test_heterogeneity_influence_and_start_order_helpers():
    from soskulib import meta, meta_diagnostics

    yi, vi = [0.1, 0.5, 0.3, 0.9, 0.2, 0.4], [0.02, 0.03, 0.04, 0.02, 0.05, 0.03]
    names = ["Vantaa", "Rovaniemi", "A", "B", "C", "D"]
    fits = {"esis": meta.meta_analysis(yi, vi, labels=names),
            "whodas12": meta.meta_analysis(yi[:2], vi[:2], labels=names[:2])}
    het = synthesis.heterogeneity_table(fits)
    ci = fits["esis"].confint()
    assert het["instrument"].tolist() == ["esis", "whodas12"]
    row = het.iloc[0]
    assert (row["tau2_ci_low"], row["tau2_ci_high"]) == (ci.loc["tau2", "ci_low"],
                                                         ci.loc["tau2", "ci_high"])
    assert row["i2_ci_low"] <= row["i2"] <= row["i2_ci_high"]
    infl = synthesis.influence_table(fits)
    assert set(infl["instrument"]) == {"esis"}  # k < 3 is left out
    pd.testing.assert_series_equal(
        infl["cook_d"], meta_diagnostics.influence(fits["esis"])["cook_d"], check_names=False)
    assert infl["municipality"].tolist() == names
    clients = pd.DataFrame({"municipality": ["092", "092", "698"],
                            "start_date": ["2016-03-01", "2015-09-01", "2016-01-15"]})
    start = synthesis.municipality_start(clients, lang="fi")
    assert start.to_dict() == {"Vantaa": pd.Timestamp("2015-09-01"),
                               "Rovaniemi": pd.Timestamp("2016-01-15")}
    order = synthesis.start_order(fits["whodas12"], start)
    assert order == [pd.Timestamp("2015-09-01"), pd.Timestamp("2016-01-15")]
    assert synthesis.start_order(fits["esis"], start)[2] == pd.Timestamp.max


def test_combined_outcome_table_repeats_the_fit_over_rho():
    from soskulib import meta_multivariate

    effects = pd.DataFrame({
        "municipality": ["092", "092", "179", "179", "698", "743", "743"],
        "yi": [0.3, 0.4, 0.1, 0.2, 0.5, 0.25, 0.35],
        "vi": [0.02, 0.03, 0.02, 0.04, 0.03, 0.02, 0.05]})
    table = synthesis.combined_outcome_table(effects, rhos=(0.2, 0.6))
    assert table["rho"].tolist() == [0.2, 0.6] and (table["k"] == 4).all()
    direct = meta_multivariate.combined_outcome(effects["yi"], effects["vi"],
                                                effects["municipality"], rho=0.6)
    assert table.loc[1, "estimate"] == direct.estimate
    assert (table.loc[1, "ci_low"], table.loc[1, "ci_high"]) == (direct.cr2_ci_low,
                                                                 direct.cr2_ci_high)
    assert synthesis.combined_outcome_table(effects.iloc[:4]).empty
