"""Combined outcome over correlated instruments against metafor's rma.mv + robust() and
clubSandwich's CR2 (``tests/reference/meta_multivariate.R`` -> ``.json``; seed 16401)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from soskulib import meta, meta_multivariate

REF = json.loads((Path(__file__).parent / "reference" / "meta_multivariate.json").read_text())
FIELDS = ("sigma2", "estimate", "se", "zval", "pval", "ci_low", "ci_high", "robust_se",
          "robust_tval", "robust_pval", "robust_ci_low", "robust_ci_high", "robust_df", "cr2_se",
          "cr2_df", "cr2_pval", "cr2_ci_low", "cr2_ci_high", "loglik")


def scalar(value):
    return float(value[0] if isinstance(value, list) else value)


@pytest.mark.parametrize("case", REF["cases"], ids=lambda c: f"k{len(c['yi'])}-rho{c['rho']}")
def test_combined_outcome_matches_rma_mv_and_robust(case):
    res = meta_multivariate.combined_outcome(case["yi"], case["vi"], case["municipality"],
                                             rho=case["rho"])
    assert res.rho == case["rho"] and res.k == len(case["yi"])
    # the REML maximum is never below metafor's (nlminb) ...
    assert res.loglik >= scalar(case["loglik"]) - 1e-9
    for field in FIELDS:  # ... and every number agrees to 1e-6 (sigma2 on the scale of vi)
        ref = scalar(case[field])
        floor = 0.01 if field == "sigma2" else 1e-3
        assert abs(getattr(res, field) - ref) / max(abs(ref), floor) < 1e-6, field


def test_independent_instruments_reduce_to_a_random_effects_model():
    # one instrument per municipality and rho irrelevant: rma.mv = rma(method = "REML")
    yi, vi = [0.2, 0.5, 0.1, 0.4, 0.35, 0.05], [0.02, 0.03, 0.04, 0.02, 0.05, 0.03]
    res = meta_multivariate.combined_outcome(yi, vi, list("abcdef"), rho=0.5)
    uni = meta.meta_analysis(yi, vi, control={"threshold": 1e-12, "maxiter": 1000})
    assert res.sigma2 == pytest.approx(uni.tau2, rel=1e-6)
    assert res.estimate == pytest.approx(uni.estimate, rel=1e-6)


def test_errors_say_what_to_fix():
    with pytest.raises(ValueError, match="rho"):
        meta_multivariate.combined_outcome([0.1, 0.2, 0.3], [0.01, 0.01, 0.01], list("abc"),
                                           rho=1.0)
    with pytest.raises(ValueError, match="too few"):
        meta_multivariate.combined_outcome([0.1, 0.2], [0.01, 0.01], ["a", "b"], rho=0.5)
    with pytest.raises(ValueError, match="row\\(s\\) 2"):
        meta_multivariate.combined_outcome([0.1, np.nan, 0.3], [0.01, 0.01, 0.01], list("abc"),
                                           rho=0.5)
