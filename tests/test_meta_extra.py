"""metafor features of issue 16 against R (``tests/reference/meta_extra.R`` -> ``.json``).

The data are new seeded random sets, two metafor data sets and the failing case of the issue;
none was used to develop the code. ``python tests/test_meta_extra.py`` prints the number of
comparisons and the largest relative difference per field.
"""

from __future__ import annotations

import json
import math
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from soskulib import meta, meta_diagnostics, meta_plots, meta_regression

REF = json.loads((Path(__file__).parent / "reference" / "meta_extra.json").read_text())
RTOL = 1e-6
_SPECIAL = {"NA": math.nan, "NaN": math.nan, "Inf": math.inf, "-Inf": -math.inf}
FIT_FIELDS = ("estimate", "se", "zval", "pval", "ci_low", "ci_high", "tau2", "se_tau2", "i2",
              "h2", "q", "q_pval", "qm", "qm_pval", "pi_low", "pi_high")
STAT_FIELDS = tuple(f"{s}_{t}" for t in ("ML", "REML") for s in ("ll", "dev", "AIC", "BIC", "AICc"))
UNITLESS = {"zval", "pval", "i2", "h2", "q", "q_pval", "qm", "qm_pval", *STAT_FIELDS}


def num(values: object) -> np.ndarray:
    def one(v: object) -> float:
        if v is None:
            return math.nan
        return _SPECIAL[v] if isinstance(v, str) else float(v)
    return np.array([one(v) for v in np.asarray(values, dtype=object).ravel()])


def rel(ours: object, ref: object, floor: float) -> float:
    a = np.atleast_1d(np.asarray(ours, dtype=float))
    b = num(ref)
    assert a.shape == b.shape, (a, b)
    same = (np.isnan(a) & np.isnan(b)) | (np.isinf(a) & (a == b))
    with np.errstate(invalid="ignore"):
        d = np.abs(a - b) / np.maximum(np.abs(b), floor)
    d = np.where(same, 0.0, d)
    return float(np.max(np.where(np.isnan(d), np.inf, d))) if d.size else 0.0


def scale(yi: list, vi: list) -> float:
    return float(np.max(np.abs(yi)) + np.sqrt(np.max(vi)))


def fit(yi, vi, method, test):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return meta.meta_analysis(yi, vi, method=method, test=test)


FIT_CASES = [(name, key) for name, case in REF["cases"].items() for key in case["fits"]]


def fit_values(res: meta.MetaResult) -> dict[str, float]:
    out = {f: getattr(res, f) for f in FIT_FIELDS}
    fs = res.fit_stats()
    for field in STAT_FIELDS:
        stat, tag = field.split("_")
        out[field] = fs.loc[stat, tag]
    return out


@pytest.mark.parametrize(("case", "key"), FIT_CASES)
def test_estimators_tests_and_fit_statistics_match_metafor(case, key):
    data = REF["cases"][case]
    ref = data["fits"][key]
    method, test = key.split("_")
    res = fit(data["yi"], data["vi"], method, test)
    assert res.k == ref["k"]
    s = scale(data["yi"], data["vi"])
    for field, value in fit_values(res).items():
        if method == "FE" and field.startswith("pi_"):
            continue  # metafor 3.8 gives no PI for FE models; soskulib's equals the CI
        floor = 1.0 if field in UNITLESS else (s**2 if "tau2" in field else s)
        assert rel(value, ref[field], floor) < RTOL, (case, key, field, value, ref[field])


CI_CASES = [(name, key) for name, key in FIT_CASES
            if REF["cases"][name]["fits"][key].get("confint")]


@pytest.mark.parametrize(("case", "key"), CI_CASES)
def test_q_profile_confint_matches_metafor(case, key):
    data = REF["cases"][case]
    ref = data["fits"][key]["confint"]
    method, test = key.split("_")
    ci = fit(data["yi"], data["vi"], method, test).confint()
    s = scale(data["yi"], data["vi"])
    floors = {"tau2": s**2, "tau": s, "i2": 1.0, "h2": 1.0}
    for par, floor in floors.items():
        assert rel(ci.loc[par].to_numpy(), ref[par], floor) < RTOL, (case, key, par)


def test_leave_one_out_survives_a_failing_refit():
    data = REF["cases"]["issue16"]
    res = meta.meta_analysis(data["yi"], data["vi"])
    with pytest.warns(RuntimeWarning, match="without study/studies 9 did not converge"):
        loo = meta.leave_one_out(res)
    assert len(loo) == 15 and loo.loc[8, ["estimate", "tau2", "q"]].isna().all()
    for field, ref in REF["loo_issue16"].items():
        assert rel(loo[field].to_numpy(), ref, 1.0) < RTOL, field


def test_level_percent_sei_and_missing_values_as_metafor():
    data, misc = REF["cases"]["rand06"], REF["misc"]
    pct = meta.meta_analysis(data["yi"], data["vi"], level=90)
    for field in ("ci_low", "ci_high", "pi_low", "pi_high"):
        assert rel(getattr(pct, field), misc["level90"][field], 1.0) < RTOL
    assert pct.level == pytest.approx(0.9)
    by_se = meta.meta_analysis(data["yi"], sei=np.sqrt(data["vi"]), method="DL")
    for field in ("estimate", "tau2", "se"):
        assert rel(getattr(by_se, field), misc["sei_dl"][field], 1.0) < RTOL
    yi, vi = np.array(data["yi"]), np.array(data["vi"])
    yi[1], vi[3] = np.nan, np.nan
    with pytest.warns(UserWarning, match=r"2 studies with a missing yi or vi omitted .*\(2, 4\)"):
        dropped = meta.meta_analysis(yi, vi)
    assert dropped.k == misc["na"]["k"]
    assert rel(dropped.estimate, misc["na"]["estimate"], 1.0) < RTOL
    assert rel(dropped.tau2, misc["na"]["tau2"], 1.0) < RTOL
    with pytest.raises(TypeError, match="either vi or sei"):
        meta.meta_analysis(data["yi"], data["vi"], sei=np.sqrt(data["vi"]))


def test_regression_names_fit_statistics_and_confint():
    ref = REF["regression"]
    res = meta_regression.meta_regression(ref["yi"], ref["vi"], mods=pd.Series(ref["x"], name="x"),
                               method="ML")
    assert res.coef.index.tolist() == ref["names"] == ["intrcpt", "x"]
    assert rel(res.coef["estimate"].to_numpy(), ref["estimate"], 1.0) < RTOL
    assert rel(res.qm, ref["qm"], 1.0) < RTOL
    fs = res.fit_stats()
    assert rel(fs.loc["ll", "ML"], ref["ll"], 1.0) < RTOL
    assert rel(fs.loc["AIC", "ML"], ref["aic"], 1.0) < RTOL
    assert rel(fs.loc["BIC", "ML"], ref["bic"], 1.0) < RTOL
    assert rel(res.confint().loc["tau2"].to_numpy(), ref["confint_tau2"], 1.0) < RTOL
    frame = pd.DataFrame({"yi": ref["yi"], "vi": ref["vi"], "start_year": ref["x"]})
    named = meta_regression.meta_regression("yi", "vi", mods="start_year", data=frame, method="ML")
    assert named.coef.index.tolist() == ["intrcpt", "start_year"]


INFLUENCE_CASES = sorted(REF["influence"])
INFLUENCE_FIELDS = ("rstudent", "dffits", "cook_d", "cov_r", "tau2_del", "qe_del", "hat",
                    "weight", "dfbetas")


@pytest.mark.parametrize("case", INFLUENCE_CASES)
def test_influence_cumul_and_baujat_match_metafor(case):
    ref = REF["influence"][case]
    res = fit(ref["yi"], ref["vi"], ref["method"], ref["test"])
    inf = meta_diagnostics.influence(res)
    for field in INFLUENCE_FIELDS:
        assert rel(inf[field].to_numpy(), ref[field], 1.0) < RTOL, (case, field)
    assert inf["influential"].tolist() == ref["inf"]
    cum = meta_diagnostics.cumulative(res, order=ref["order_by"])
    for field, values in ref["cumul"].items():
        if field == "tau2" and ref["method"] == "FE":
            assert (cum["tau2"] == 0).all()  # metafor's cumul() leaves tau2 out for FE
            continue
        assert rel(cum[field].to_numpy(), values, 1.0) < RTOL, (case, "cumul", field)
    bj = meta_diagnostics.baujat(res)
    assert rel(bj["x"].to_numpy(), ref["baujat_x"], 1.0) < RTOL
    assert rel(bj["y"].to_numpy(), ref["baujat_y"], 1.0) < RTOL


def test_diagnostic_plots_draw():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    res = meta.meta_analysis([0.1, 0.5, 0.3, 0.9, 0.2], [0.02, 0.03, 0.04, 0.02, 0.05],
                             labels=list("ABCDE"))
    fig = meta_plots.baujat_plot(res, lang="fi")
    assert fig.axes[0].get_xlabel().startswith("Osuus")
    fig2 = meta_plots.cumulative_forest_plot(res, order=[5, 4, 3, 2, 1], lang="fi",
                                                   number=lambda x: f"{x:.2f}".replace(".", ","))
    texts = [t.get_text() for t in fig2.axes[0].texts]
    assert texts[2].startswith("E (k = 1)") and any("–" in t for t in texts)
    plt.close("all")


def test_influence_and_cumulative_survive_a_failing_refit():
    data = REF["cases"]["issue16"]
    res = meta.meta_analysis(data["yi"], data["vi"])
    with pytest.warns(RuntimeWarning, match="without study/studies 9"):
        inf = meta_diagnostics.influence(res)
    assert inf.loc[8, ["rstudent", "cook_d", "tau2_del"]].isna().all()
    assert inf.drop(index=8)[["rstudent", "cook_d", "tau2_del"]].notna().all().all()
    cum = meta_diagnostics.cumulative(res)
    assert cum["estimate"].iloc[-1] == pytest.approx(res.estimate)


def report() -> None:  # pragma: no cover - manual summary
    worst: dict[str, float] = {}
    count = 0
    for case, key in FIT_CASES:
        data = REF["cases"][case]
        res = fit(data["yi"], data["vi"], *key.split("_"))
        for field, value in fit_values(res).items():
            if key.startswith("FE") and field.startswith("pi_"):
                continue
            worst[field] = max(worst.get(field, 0.0), rel(value, data["fits"][key][field], 1.0))
            count += 1
    print(f"{count} rma() comparisons; worst relative difference per field:")
    for field, value in sorted(worst.items()):
        print(f"  {field:10s} {value:.2e}")


if __name__ == "__main__":  # pragma: no cover
    report()

