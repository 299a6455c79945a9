"""Tests of soskulib.models against R lme4 (tests/reference/lme4.R on lme4_change.csv)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from soskulib import models

HERE = Path(__file__).parent / "reference"
REF = json.loads((HERE / "lme4.json").read_text())
LONG = pd.read_csv(HERE / "lme4_change.csv", dtype={"client_id": str, "municipality": str})


def r_name(term: str) -> str:
    """soskulib term name -> lme4 coefficient name."""
    if term == "intercept":
        return "(Intercept)"
    return re.sub(r"(\w+)\[([^\]]+)\]", r"\1\2", term)


@pytest.fixture(scope="module", params=[("nested", {"structure": "nested"}),
                                        ("client", {"structure": "client"}),
                                        ("nested_age", {"structure": "nested",
                                                        "covariates": ["age"]})],
                ids=lambda p: p[0])
def fitted(request):
    key, kwargs = request.param
    return REF[key], models.change_model(LONG, score="total", time="occasion", group="gender",
                                         **kwargs)


def test_fixed_effects_match_lme4(fitted):
    ref, res = fitted
    assert res.converged
    table = res.coef_table()
    ours = table.rename(index=r_name)
    expected = pd.Series(ref["estimate"], index=ref["terms"])
    assert set(ours.index) == set(expected.index)
    np.testing.assert_allclose(ours.loc[expected.index, "estimate"], expected, rtol=1e-4,
                               atol=1e-4)
    # SEs come from ModelResult.fe_cov, lme4's vcov = sigma^2 (X'V^-1 X)^-1
    np.testing.assert_allclose(ours.loc[expected.index, "se"], ref["se"], rtol=1e-4)
    assert (table["ci_low"] < table["estimate"]).all()


def test_variance_components_match_lme4(fitted):
    ref, res = fitted
    names = {"client_id:municipality": "client_id:municipality", "municipality": "municipality",
             "client_id": "client_id", "Residual": "residual"}
    expected = pd.Series(ref["vc_variance"], index=[names[g] for g in ref["vc_group"]])
    ours = res.variance_components()["variance"]
    np.testing.assert_allclose(ours.loc[expected.index], expected, rtol=1e-3)
    np.testing.assert_allclose(res.result.llf, ref["reml_loglik"], rtol=1e-7)
    assert res.n_obs == ref["nobs"]


def test_change_by_group_is_the_contrast_of_fixed_effects(fitted):
    _, res = fitted
    change = res.change_by_group().set_index("group")
    coef = res.coef_table()["estimate"]
    assert change.loc["female", "change"] == pytest.approx(coef["occasion[end]"])
    assert change.loc["male", "change"] == pytest.approx(
        coef["occasion[end]"] + coef["occasion[end]:gender[male]"])
    # simulated truth: +5 (female), +3 (male); CIs should cover it in this seeded sample
    assert change.loc["female", "ci_low"] < 5 < change.loc["female", "ci_high"]
    assert change.loc["male", "ci_low"] < 3 < change.loc["male", "ci_high"]
    assert "municipalities" in res.summary()


def test_validation_errors():
    with pytest.raises(ValueError, match="structure"):
        models.change_model(LONG, structure="crossed")
    with pytest.raises(KeyError, match="wellbeing"):
        models.change_model(LONG, score="wellbeing")
    with pytest.raises(ValueError, match="no level 'alku'"):
        models.change_model(LONG, baseline="alku")
    with pytest.raises(ValueError, match="two occasions"):
        models.change_model(LONG[LONG["occasion"] == "baseline"])


# ------------------------------------------------------------------------------------------
# demo-shaped regression test (issue 4): 1,200 clients, 10 municipalities, 3 occasions and an
# empty occasion x gender cell. Before the closed-form REML the nested fit took 47-100 s per
# instrument on data of this size and the empty cell raised LinAlgError("Singular matrix").
DEMO_REF = json.loads((HERE / "lme4_demo_shaped.json").read_text())
DEMO = pd.read_csv(HERE / "lme4_demo_shaped.csv", dtype={"client_id": str, "municipality": str})


@pytest.fixture(scope="module", params=["nested", "client"])
def demo_fit(request):
    with pytest.warns(UserWarning, match=r"dropped occasion\[followup\]:gender\[other\].*"
                                         r"followup × other"):
        res = models.change_model(DEMO, score="total", structure=request.param)
    return DEMO_REF[request.param], res


def test_demo_shaped_data_fits_and_matches_lme4(demo_fit):
    # Speed is measured by benchmarks, not asserted here (0.1-0.3 s per fit on a quiet machine).
    ref, res = demo_fit
    assert res.converged
    assert [r_name(t) for t in res.dropped_terms] == [ref["dropped"]]
    table = res.coef_table().rename(index=r_name)
    np.testing.assert_allclose(table.loc[ref["terms"], "estimate"], ref["estimate"], atol=1e-4)
    np.testing.assert_allclose(table.loc[ref["terms"], "se"], ref["se"], rtol=1e-4)
    assert table.loc[ref["dropped"]].isna().all()
    names = {"client_id:municipality": "client_id:municipality", "municipality": "municipality",
             "client_id": "client_id", "Residual": "residual"}
    ours = res.variance_components()["variance"].loc[[names[g] for g in ref["vc_group"]]]
    np.testing.assert_allclose(ours, ref["vc_variance"], rtol=1e-4)
    np.testing.assert_allclose(res.result.llf, ref["reml_loglik"], rtol=1e-9)
    assert "not estimable" in res.summary()


def test_change_of_an_empty_cell_is_not_estimable(demo_fit):
    _, res = demo_fit
    change = res.change_by_group().set_index(["group", "occasion"])
    assert not change.loc[("other", "followup"), "estimable"]
    assert np.isnan(change.loc[("other", "followup"), ["change", "se", "ci_low"]]).all()
    coef = res.coef_table()["estimate"]
    # the other cells stay estimable and are the usual contrasts
    assert change["estimable"].sum() == 5
    assert change.loc[("other", "end"), "change"] == pytest.approx(
        coef["occasion[end]"] + coef["occasion[end]:gender[other]"])
    assert change.loc[("female", "followup"), "change"] == pytest.approx(
        coef["occasion[followup]"])


def test_reml_deviance_equals_lme4_at_its_estimates():
    ref = DEMO_REF["nested"]
    with pytest.warns(UserWarning):
        res = models.change_model(DEMO, score="total")
    X = np.asarray(res.result.model.exog)
    frame = DEMO.dropna()
    v = dict(zip(ref["vc_group"], ref["vc_variance"], strict=True))
    dev = models.reml_deviance(X, frame["total"].to_numpy(), frame["client_id"].to_numpy(),
                               frame["municipality"].to_numpy(), v["client_id:municipality"],
                               v["municipality"], v["Residual"])
    assert dev == pytest.approx(-2 * ref["reml_loglik"], rel=1e-12)
    with pytest.raises(ValueError, match="residual variance"):
        models.reml_deviance(X, frame["total"], frame["client_id"], frame["municipality"],
                             1.0, 1.0, 0.0)


@settings(max_examples=25, deadline=None)
@given(st.floats(0.0, 3.0), st.floats(0.0, 3.0), st.integers(0, 10_000))
def test_analytic_reml_gradient_equals_finite_differences(g_client, g_mun, seed):
    rng = np.random.default_rng(seed)
    n_clients = 40
    clients = rng.integers(0, n_clients, 120)
    client_codes, _ = pd.factorize(clients)
    mun_of_client = rng.integers(0, 5, n_clients)
    mun_codes = mun_of_client[clients]
    X = np.column_stack([np.ones(120), rng.random(120) < 0.5, rng.normal(size=120)])
    y = rng.normal(size=120) + mun_codes + clients % 3
    suff = models._NestedIntercepts(X.astype(float), y, client_codes, mun_codes)
    _, grad, _ = suff.deviance(g_client, g_mun, gradient=True)
    h = 1e-6
    numeric = [(suff.deviance(g_client + h, g_mun)[0] - suff.deviance(g_client - h, g_mun)[0])
               / (2 * h) if g_client > h else np.nan,
               (suff.deviance(g_client, g_mun + h)[0] - suff.deviance(g_client, g_mun - h)[0])
               / (2 * h) if g_mun > h else np.nan]
    ok = ~np.isnan(numeric)
    np.testing.assert_allclose(grad[ok], np.array(numeric)[ok], rtol=1e-5, atol=1e-5)


def test_aliased_columns_follow_r_qr_order():
    x = np.array([[1.0, 1, 0, 1], [1, 0, 1, 0], [1, 1, 0, 1], [1, 0, 1, 2]])
    # column 2 = col0 - col1 (aliased, dropped as R would), column 3 is independent
    assert models._aliased_columns(x) == [2]
    assert models._aliased_columns(np.column_stack([x, np.zeros(4)])) == [2, 4]


def test_change_by_group_table_stacks_instruments_and_hides_small_cells():
    frame = DEMO.rename(columns={"total": "score"})
    with pytest.warns(UserWarning):
        direct = models.change_model(frame, score="score").change_by_group()
    table = models.change_by_group_table({"a": frame, "b": frame})
    assert list(table["instrument"].unique()) == ["a", "b"]
    assert (table["n_clients"] >= 5).all()
    # the tiny 'other' group has no follow-up: not estimable, so not in the table
    assert not ((table["group"] == "other") & (table["occasion"] == "followup")).any()
    first = table[table["instrument"] == "a"].set_index(["group", "occasion"])
    expected = direct[direct["estimable"]].set_index(["group", "occasion"]).loc[first.index]
    np.testing.assert_allclose(first["change"], expected["change"], rtol=1e-12)
    np.testing.assert_allclose(first["ci_high"], expected["ci_high"], rtol=1e-12)
    strict = models.change_by_group_table({"a": frame}, min_cell=10_000)
    assert strict.empty
