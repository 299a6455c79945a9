"""Tests for soskulib.survival: Kaplan–Meier curves and medians against R survival::survfit."""

from __future__ import annotations

import doctest
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from soskulib import survival

REFERENCE = Path(__file__).parent / "reference"


def test_docstring_examples_run():
    result = doctest.testmod(survival, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0


@pytest.mark.parametrize("conf_type", ["log", "log-log", "plain"])
def test_km_median_and_ci_match_r_survfit(reference, conf_type):
    data = pd.read_csv(REFERENCE / "evaluation_km_data.csv")
    km = survival.kaplan_meier(data, "days", "ended", by="group", conf_type=conf_type)
    for row in reference["km"][conf_type]:
        got = survival.km_quantile(km.loc[km["group"] == row["group"]])
        want = [np.nan if row[k] is None else row[k] for k in ("median", "lower", "upper")]
        np.testing.assert_allclose(got, want, atol=1e-9, err_msg=f"{conf_type} group {row['group']}")


@pytest.mark.parametrize("conf_type", ["log", "log-log", "plain"])
def test_km_curve_matches_r_survfit(reference, conf_type):
    data = pd.read_csv(REFERENCE / "evaluation_km_data.csv")
    km = survival.kaplan_meier(data.loc[data["group"] == "a"], "days", "ended", conf_type=conf_type)
    ref = reference["km"][f"{conf_type}_curve_a"]

    def arr(key):
        return np.array([np.nan if v is None else v for v in ref[key]], dtype=float)

    np.testing.assert_allclose(km["time"], arr("time"))
    np.testing.assert_array_equal(km["n_risk"], arr("n_risk"))
    np.testing.assert_allclose(km["surv"], arr("surv"), atol=1e-12)
    # evaluation_reference.json writes R's Inf as null; the Inf itself is checked against
    # survival_extra.json in test_std_err_is_inf_where_survfit_gives_inf
    std_err = km["std_err"].where(np.isfinite(km["std_err"]))
    np.testing.assert_allclose(std_err, arr("std_err"), atol=1e-10)
    np.testing.assert_allclose(km["lower"], arr("lower"), atol=1e-10)
    np.testing.assert_allclose(km["upper"], arr("upper"), atol=1e-10)


def test_km_median_by_hand_six_rows():
    # Times 3, 5, 5, 8, 10+, 12: S = 5/6, 3/6 (at 5, flat until 8), 2/6, ...
    d = pd.DataFrame({"t": [3, 5, 5, 8, 10, 12], "e": [1, 1, 1, 1, 0, 1]})
    km = survival.kaplan_meier(d, "t", "e")
    assert km["surv"].tolist()[:3] == pytest.approx([5 / 6, 3 / 6, 2 / 6])
    # S is exactly 0.5 from day 5 to day 8: the median is the midpoint 6.5 (R convention).
    assert survival.km_quantile(km)[0] == pytest.approx(6.5)


def test_std_err_is_inf_where_survfit_gives_inf():
    ref = json.loads((REFERENCE / "survival_extra.json").read_text())
    data = pd.DataFrame(ref["data"])

    def arr(values):
        special = {"Inf": np.inf, "NA": np.nan, "NaN": np.nan}
        return np.array([special[v] if isinstance(v, str) else v for v in values], dtype=float)

    for conf_type in ("log", "log-log", "plain"):
        km = survival.kaplan_meier(data, "days", "ended", by="group", conf_type=conf_type)
        want = ref[conf_type]
        assert km["group"].tolist() == want["group"]
        np.testing.assert_allclose(km["time"], arr(want["time"]))
        np.testing.assert_allclose(km["surv"], arr(want["surv"]), atol=1e-12)
        np.testing.assert_allclose(km["std_err"], arr(want["std_err"]), rtol=1e-10)
        np.testing.assert_allclose(km["lower"], arr(want["lower"]), rtol=1e-10, atol=1e-14)
        np.testing.assert_allclose(km["upper"], arr(want["upper"]), rtol=1e-10, atol=1e-14)
    assert np.isinf(km.loc[km["surv"] == 0, "std_err"]).all()
