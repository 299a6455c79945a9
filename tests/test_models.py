"""Tests of soskulib.models against R lme4 (tests/reference/lme4.R on lme4_change.csv)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

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
