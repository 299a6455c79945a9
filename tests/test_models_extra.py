"""Mixed-model fixes of issue 16 against lme4 (``tests/reference/lme4_extra.R`` -> ``.json``).

New seeded data: six municipalities, one set without a municipality effect (lme4's municipality
variance is exactly 0 in the nested model) and one with it. Three structures each: the
municipality-only random intercept, the nested model and the client model.
"""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from soskulib import models

HERE = Path(__file__).parent / "reference"
REF = json.loads((HERE / "lme4_extra.json").read_text())
DATA = pd.read_csv(HERE / "lme4_extra.csv", dtype={"municipality": str, "client_id": str})
GROUPS = {"client_id:municipality": "client_id:municipality", "client_id": "client_id",
          "municipality": "municipality", "Residual": "residual"}
CASES = [(s, st) for s in ("seed16201", "seed16202") for st in ("municipality", "nested",
                                                                   "client")]


def r_term(term: str) -> str:
    return "(Intercept)" if term == "intercept" else re.sub(r"(\w+)\[([^\]]+)\]", r"\1\2", term)


@functools.cache
def fitted(data_set: str, structure: str) -> models.ModelResult:
    part = DATA[DATA["data_set"] == data_set]
    return models.change_model(part, score="total", time="occasion", group="gender",
                               structure=structure)


@pytest.mark.parametrize(("data_set", "structure"), CASES)
def test_structures_match_lme4(data_set, structure):
    ref = REF[data_set][structure]
    res = fitted(data_set, structure)
    assert res.converged
    table = res.coef_table().rename(index=r_term).loc[ref["terms"]]
    np.testing.assert_allclose(table["estimate"], ref["estimate"], rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(table["se"], ref["se"], rtol=1e-6)
    vc = res.variance_components()["variance"]
    ours = vc.loc[[GROUPS[g] for g in ref["vc_group"]]].to_numpy()
    # relative to the residual variance (lme4's boundary value 1e-13 is its optimiser's 0)
    np.testing.assert_allclose(ours, ref["vc_variance"], rtol=0,
                               atol=1e-6 * float(vc["residual"]))
    # the REML maximum: never below lme4's (bobyqa, rhoend 1e-12)
    assert res.result.llf >= ref["reml_loglik"] - 1e-9 * abs(ref["reml_loglik"])
    assert res.result.llf == pytest.approx(ref["reml_loglik"], rel=1e-9)


def test_zero_municipality_variance_is_exactly_zero():
    assert REF["seed16201"]["nested"]["vc_variance"][1] == 0  # lme4 says 0
    vc = fitted("seed16201", "nested").variance_components()
    assert vc.loc["municipality", "variance"] == 0.0 and vc.loc["municipality", "sd"] == 0.0


def test_municipality_structure_leaves_the_boundary_when_the_slope_points_inwards():
    # at sigma²_mun = 0 the slope in theta is 0 whatever the data; lme4 finds 0.128 here
    res = fitted("seed16201", "municipality")
    assert res.variance_components().loc["municipality", "variance"] == pytest.approx(
        REF["seed16201"]["municipality"]["vc_variance"][0], rel=1e-5)
    assert res.variance_components().index.tolist() == ["municipality", "residual"]


def test_client_fit_reaches_the_optimum():
    # the profiled REML deviance has zero slope at the reported variance ratio
    res = fitted("seed16202", "client")
    vc = res.variance_components()["variance"]
    part = DATA[DATA["data_set"] == "seed16202"]
    ref = REF["seed16202"]["client"]
    ratio = vc["client_id"] / vc["residual"]
    lme4_ratio = float(np.atleast_1d(ref["theta"])[0]) ** 2
    assert ratio == pytest.approx(lme4_ratio, rel=1e-7)
    assert len(part) == res.n_obs
