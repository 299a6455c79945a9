"""Tests of soskulib.meta against R metafor 3.8 (values in tests/reference/metafor.json,
made by tests/reference/metafor.R) plus invariants and input validation."""

from __future__ import annotations

import json
import re
import tracemalloc
from fractions import Fraction
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from soskulib import effectsize, meta, meta_fit, meta_plots, meta_regression, simulation

matplotlib.use("Agg")

REF = json.loads((Path(__file__).parent / "reference" / "metafor.json").read_text())
RTOL, ATOL = 1e-5, 1e-8
COMBOS = [(m, t) for m in ("FE", "DL", "REML", "PM") for t in ("z", "knha")]  # metafor.json
FIELDS = ["estimate", "se", "pval", "ci_low", "ci_high", "tau2", "i2", "h2", "q", "q_pval",
          "pi_low", "pi_high"]
_SPECIAL = {"NA": np.nan, "NaN": np.nan, "Inf": np.inf, "-Inf": -np.inf}


def num(x):
    """JSON written by jsonlite (na="string", auto_unbox) -> float array."""
    if isinstance(x, list):
        return np.array([num(v) for v in x], dtype=float)
    if isinstance(x, dict):  # R NULL
        return np.nan
    if isinstance(x, str):
        return _SPECIAL[x]
    return float(x)


def vec(x):
    return np.atleast_1d(num(x))


def close(actual, expected):
    np.testing.assert_allclose(np.asarray(actual, dtype=float), expected, rtol=RTOL, atol=ATOL,
                               equal_nan=True)


def explicit_p(X, w):
    """Reference only: metafor's k x k matrix P = W - WX(X'WX)^-1 X'W, formed explicitly."""
    wx = w[:, None] * X
    return np.diag(w) - wx @ np.linalg.solve(X.T @ wx, wx.T)


CASES = [(name, m, t) for name in REF["cases"] for (m, t) in COMBOS]


@pytest.mark.parametrize(("case", "method", "test"), CASES)
def test_rma_and_predict_match_metafor(case, method, test):
    data = REF["cases"][case]
    ref = data["fits"][f"{method}_{test}"]
    res = meta.meta_analysis(vec(data["yi"]), vec(data["vi"]), method=method, test=test)
    assert res.k == int(num(ref["k"]))
    for f in FIELDS:
        close(getattr(res, f), num(ref[f]))
    close(res.se_tau2, num(ref["se_tau2"]))
    close(res.weights, vec(ref["weights"]))
    pred = res.predict()
    close([pred.pred, pred.se, pred.pi_low], [num(ref["estimate"]), num(ref["pred_se"]),
                                               num(ref["pi_low"])])


@pytest.mark.parametrize(("case", "method", "test"),
                         [c for c in CASES if c[0] != "k1"])
def test_leave_one_out_matches_metafor(case, method, test):
    data = REF["cases"][case]
    ref = data["fits"][f"{method}_{test}"]["loo"]
    res = meta.meta_analysis(vec(data["yi"]), vec(data["vi"]), method=method, test=test,
                             labels=np.atleast_1d(data["labels"]))
    loo = meta.leave_one_out(res)
    assert loo["label"].tolist() == list(np.atleast_1d(data["labels"]))
    for f in ["estimate", "se", "pval", "ci_low", "ci_high", "q", "q_pval", "tau2", "i2", "h2"]:
        close(loo[f], vec(ref[f]))


@pytest.mark.parametrize(("method", "test"), COMBOS)
def test_meta_regression_matches_metafor(method, test):
    data = REF["regression"]
    ref = data["fits"][f"{method}_{test}"]
    res = meta_regression.meta_regression(vec(data["yi"]), vec(data["vi"]), vec(data["mods"]),
                               method=method, test=test)
    close(res.coef["estimate"], vec(ref["coef"]))
    for mine, theirs in [("se", "se"), ("pval", "pval"), ("ci_low", "ci_low"),
                         ("ci_high", "ci_high")]:
        close(res.coef[mine], vec(ref[theirs]))
    for f in ["qm", "qm_pval", "qe", "qe_pval", "tau2", "i2", "h2", "r2"]:
        close(getattr(res, f), num(ref[f]))
    pred = res.predict(vec(data["newmods"]))
    for mine, theirs in [("pred", "pred"), ("se", "pred_se"), ("ci_low", "pred_ci_low"),
                         ("ci_high", "pred_ci_high"), ("pi_low", "pred_pi_low"),
                         ("pi_high", "pred_pi_high")]:
        close(pred[mine], vec(ref[theirs]))


@pytest.mark.parametrize(("method", "test"), COMBOS)
def test_subgroup_analysis_matches_metafor(method, test):
    data = REF["subgroup"]
    ref = data["fits"][f"{method}_{test}"]
    res = meta_regression.subgroup_analysis(vec(data["yi"]), vec(data["vi"]), data["groups"],
                                 method=method, test=test)
    assert res.table["group"].tolist() == ref["groups"]
    for f in ["k", "estimate", "se", "ci_low", "ci_high", "tau2", "i2", "q", "pi_low",
              "pi_high"]:
        close(res.table[f], vec(ref[f]))
    close([res.q_between, res.q_between_pval, res.tau2_common],
          [num(ref["qb_mixed"]), num(ref["qb_mixed_pval"]), num(ref["qb_mixed_tau2"])])
    close([res.q_between_separate, res.q_between_separate_pval],
          [num(ref["qb_separate"]), num(ref["qb_separate_pval"])])
    assert res.q_between_df[0] == 2


def test_smcr_and_smcc_match_escalc():
    eff = REF["effects"]
    table = pd.DataFrame(eff["table"])
    out = effectsize.smcr(table)
    close(out["yi"], vec(eff["smcr_yi"]))
    close(out["vi"], vec(eff["smcr_vi"]))
    out = effectsize.smcr(table, measure="SMCC")
    close(out["yi"], vec(eff["smcc_yi"]))
    close(out["vi"], vec(eff["smcc_vi"]))


def test_smcr_flips_sign_when_lower_is_better():
    table = pd.DataFrame(REF["effects"]["table"])
    up, down = effectsize.smcr(table), effectsize.smcr(table, higher_is_better=False)
    close(down["yi"], -up["yi"])
    close(down["vi"], up["vi"])
    # the bias correction is metafor's exact J, close to Hedges' approximation
    j = effectsize.hedges_j_exact(table["n"].to_numpy(float) - 1)
    approx = 1 - 3 / (4 * (table["n"].to_numpy(float) - 1) - 1)
    np.testing.assert_allclose(j, approx, rtol=2e-3)


def test_smcr_validates_table():
    table = pd.DataFrame(REF["effects"]["table"])
    with pytest.raises(KeyError, match="sd_post"):
        effectsize.smcr(table.drop(columns="sd_post"), measure="SMCC")
    with pytest.raises(ValueError, match="r_prepost"):
        effectsize.smcr(table.assign(r_prepost=1.5))
    with pytest.raises(ValueError, match="n >= 2"):
        effectsize.smcr(table.assign(n=1))


def test_fixed_effect_pi_equals_ci_and_tau2_zero():
    data = REF["cases"]["bcg"]
    res = meta.meta_analysis(vec(data["yi"]), vec(data["vi"]), method="FE")
    assert res.tau2 == 0
    assert (res.pi_low, res.pi_high) == (res.ci_low, res.ci_high)


def test_single_study_switches_to_z_like_metafor():
    res = meta.meta_analysis([0.42], [0.03], method="REML", test="knha")
    assert res.test == "z" and res.tau2 == 0 and res.q == 0 and res.i2 == 0 and res.h2 == 1
    close(res.ci_high, 0.42 + 1.959963984540054 * np.sqrt(0.03))


def test_dataframe_input_equals_positional():
    data = REF["cases"]["normand1999"]
    df = pd.DataFrame({"y": vec(data["yi"]), "v": vec(data["vi"]), "name": data["labels"]})
    a = meta.meta_analysis(data=df, yi="y", vi="v", labels="name", method="PM", test="knha")
    b = meta.meta_analysis(df["y"].to_list(), tuple(df["v"]), "PM", "knha")
    assert a.estimate == b.estimate and a.tau2 == b.tau2
    assert a.labels == tuple(data["labels"])


@pytest.mark.parametrize(("kwargs", "error", "message"), [
    ({"yi": [0.1, 0.2], "vi": [0.01, -0.02]}, ValueError, "positive"),
    ({"yi": [0.1, np.inf], "vi": [0.01, 0.02]}, ValueError, "row\\(s\\) 2"),
    ({"yi": [np.nan, np.nan], "vi": [0.01, 0.02]}, ValueError, "no studies"),
    ({"yi": [0.1, 0.2, 0.3], "vi": [0.01, 0.02]}, ValueError, "length"),
    ({"yi": [], "vi": []}, ValueError, "no studies"),
    ({"yi": [0.1, 0.2], "vi": [0.01, 0.02], "method": "XX"}, ValueError, "unknown method"),
    ({"yi": [0.1, 0.2], "vi": [0.01, 0.02], "test": "q"}, ValueError, "unknown test"),
    ({"yi": [0.1, 0.2], "vi": [0.01, 0.02], "level": 150}, ValueError, "level"),
    ({"yi": ["a", "b"], "vi": [0.01, 0.02]}, TypeError, "numeric"),
    ({"yi": [0.1, 0.2], "vi": [0.01, 0.02], "control": {"iters": 3}}, ValueError, "control"),
])
@pytest.mark.filterwarnings("ignore:.*omitted from the model")
def test_clear_errors(kwargs, error, message):
    with pytest.raises(error, match=message):
        meta.meta_analysis(**kwargs)


def test_missing_column_is_named():
    with pytest.raises(KeyError, match="'vi'"):
        meta.meta_analysis(data=pd.DataFrame({"yi": [0.1]}), yi="yi", vi="vi")


def test_oscillating_reml_raises_like_metafor_and_stepadj_fixes_it():
    # metafor: "Fisher scoring algorithm did not converge" for these data (checked in R 4.x).
    yi = np.array([0.48344593527021973, 0.5998336269891393, 0.3240021559714391,
                   0.5624125415118554, 0.531081903141867, 0.6365403274606439,
                   0.6977148576261518, 0.26020614804549, -0.09170993847608405,
                   0.46149066114596815])
    vi = np.array([0.09594472001362665, 0.10204123693822638, 0.035771420305275234,
                   0.10699437981419259, 0.08131533047381793, 0.0911248177112085,
                   0.15573074380160912, 0.10565884537490917, 0.014150669949444496,
                   0.08638928170351164])
    with pytest.raises(meta.ConvergenceError, match="stepadj"):
        meta.meta_analysis(yi, vi)
    res = meta.meta_analysis(yi, vi, control={"stepadj": 0.5})
    # the REML estimate solves the REML estimating equation y'PPy = tr(P)
    P = explicit_p(np.ones((10, 1)), 1 / (vi + res.tau2))
    yc = yi - yi.mean()
    assert abs((yc @ P @ P @ yc - np.trace(P)) / np.trace(P @ P)) < 1e-4


def test_zeroin_port_finds_roots():
    root = meta_fit._zeroin(lambda x: x**3 - 2, 0.0, 2.0, -2.0, 6.0, 1e-12, 100)
    assert abs(root - 2 ** (1 / 3)) < 1e-10


finite = st.floats(-3, 3, allow_nan=False)
variance = st.floats(0.005, 1.0, allow_nan=False)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(finite, variance), min_size=3, max_size=12),
       st.sampled_from(meta.METHODS), st.floats(-5, 5), st.floats(0.2, 5))
def test_location_scale_equivariance_and_order_invariance(studies, method, shift, scale):
    yi = np.array([s[0] for s in studies])
    vi = np.array([s[1] for s in studies])
    con = {"stepadj": 0.5, "maxiter": 1000, "threshold": 1e-10, "tol": 1e-12}
    base = meta.meta_analysis(yi, vi, method=method, control=con)
    moved = meta.meta_analysis(scale * yi + shift, scale**2 * vi, method=method, control=con)
    np.testing.assert_allclose(moved.estimate, scale * base.estimate + shift, atol=1e-6)
    np.testing.assert_allclose(moved.tau2, scale**2 * base.tau2, rtol=1e-4, atol=1e-7)
    np.testing.assert_allclose(moved.i2, base.i2, atol=1e-3)
    order = np.argsort(-yi, kind="stable")
    perm = meta.meta_analysis(yi[order], vi[order], method=method, control=con)
    np.testing.assert_allclose(perm.estimate, base.estimate, atol=1e-8)
    assert base.ci_low <= base.estimate <= base.ci_high
    assert base.pi_low <= base.ci_low + 1e-12 and base.pi_high >= base.ci_high - 1e-12
    assert 0 <= base.i2 <= 100 and base.tau2 >= 0
    np.testing.assert_allclose(base.weights.sum(), 100)


def test_coverage_of_reml_z_and_knha():
    """Closing-note check: HKSJ keeps nominal coverage where REML-z undercovers (k = 5)."""
    tab = simulation.coverage_simulation(mu=0.3, tau2=0.05, k=5, reps=200, seed=2024).set_index("test")
    assert 0.90 <= tab.loc["knha", "coverage"] <= 0.99
    assert 0.80 <= tab.loc["z", "coverage"] <= 0.97
    assert tab.loc["knha", "mean_width"] > tab.loc["z", "mean_width"]


def test_summary_frame_and_forest_plot():
    data = REF["cases"]["bcg"]
    res = meta.meta_analysis(vec(data["yi"]), vec(data["vi"]), labels=data["labels"],
                             n=np.arange(13) * 10 + 100)
    frame = res.to_frame()
    assert frame.loc[0, "estimate"] == res.estimate and frame.loc[0, "method"] == "REML"
    assert "τ² estimator" in res.summary(lang="en") and "Heterogeenisuus" in res.summary()
    assert str(res) == res.summary()  # Finnish by default, as the rest of the library
    fig = res.plot(lang="fi", xlabel="log RR")
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert "Aronson 1948" in texts and "Paino" in texts and "Ennusteväli" in texts
    weight = f"{res.weights[0]:.1f}".replace(".", ",") + "\u00a0%"
    assert weight in texts and "100\u00a0%" in texts
    # Finnish number style everywhere in the figure: decimal comma, true minus, no "df"/"tau²".
    every = texts + [t.get_text() for t in fig.texts] + [
        t.get_text() for t in fig.axes[0].get_xticklabels()]
    assert not any(re.search(r"\d\.\d", t) for t in every), every
    het = " ".join(t.get_text() for t in fig.texts)
    assert "τ²" in het and "vapausasteita" in het and "df" not in het and "tau" not in het
    assert any(re.fullmatch(r"−?\d+,\d\d \(−?\d+,\d\d( – |–)−?\d+,\d\d\)", t) for t in texts)
    assert fig.axes[0].get_xlabel() == "log RR"
    fig2 = meta_plots.forest_plot(pd.DataFrame({"yi": vec(data["yi"]), "vi": vec(data["vi"])}),
                                  method="FE")
    assert any("FE" in t.get_text() for t in fig2.axes[0].texts)
    import matplotlib.pyplot as plt

    plt.close("all")


def test_regression_with_categorical_moderator_equals_subgroup_mixed_test():
    data = REF["subgroup"]
    res = meta_regression.meta_regression(vec(data["yi"]), vec(data["vi"]), data["groups"], method="REML")
    sub = meta_regression.subgroup_analysis(vec(data["yi"]), vec(data["vi"]), data["groups"])
    close(res.qm, sub.q_between)
    assert list(res.coef.index) == ["intrcpt", "modsrandom", "modssystematic"]
    pred = res.predict(["random"])
    close(pred["pred"], res.coef["estimate"].iloc[0] + res.coef["estimate"].iloc[1])
    with pytest.raises(ValueError, match="unknown level"):
        res.predict(["cluster"])


# --------------------------------------------------------------------------------------------
# the O(k p^2) algebra that replaced the k x k matrix P
@pytest.mark.parametrize("p", [1, 2, 3, 4])
def test_weighted_ls_algebra_equals_explicit_p_matrix(p):
    rng = np.random.default_rng(20260 + p)
    for k in range(max(2, p + 1), 61):
        X = rng.normal(size=(k, p))
        if k % 2:  # half the designs with an intercept, as every meta-regression has
            X[:, 0] = 1.0
        w = 10.0 ** rng.uniform(-2, 2, k)
        y = rng.normal(size=k)
        P = explicit_p(X, w)
        xwx = X.T @ (w[:, None] * X)
        wls = meta_fit._weighted_ls(X, w, y, frobenius=True)
        where = f"p={p} k={k}"
        np.testing.assert_allclose(wls.py, P @ y, rtol=1e-10, atol=1e-10 * np.abs(P @ y).max(),
                                   err_msg=where)
        np.testing.assert_allclose(wls.ypy, y @ P @ y, rtol=1e-10, err_msg=where)
        np.testing.assert_allclose(wls.trace, np.trace(P), rtol=1e-10, err_msg=where)
        np.testing.assert_allclose(wls.frobenius2, np.sum(P * P), rtol=1e-10, err_msg=where)
        beta, vb = wls.coefficients()
        np.testing.assert_allclose(vb, np.linalg.inv(xwx), rtol=1e-10, err_msg=where)
        np.testing.assert_allclose(beta, np.linalg.solve(xwx, X.T @ (w * y)), rtol=1e-10,
                                   atol=1e-12, err_msg=where)
        # the Hedges start uses the same identities with W = I (H the OLS hat matrix)
        ols = meta_fit._weighted_ls(X, np.ones(k), y)
        hat = X @ np.linalg.solve(X.T @ X, X.T)
        np.testing.assert_allclose(ols.ypy, y @ (np.eye(k) - hat) @ y, rtol=1e-10, err_msg=where)
        np.testing.assert_allclose(ols.trace, k - p, rtol=1e-10, err_msg=where)


def exact_p_traces(X, w):
    """Reference only: tr P and tr(PP) in exact rational arithmetic (float inputs are exact)."""
    k, p = X.shape
    x = [[Fraction(float(v)) for v in row] for row in X]
    wf = [Fraction(float(v)) for v in w]
    # Gauss-Jordan inverse of A = X'WX
    aug = [[sum(wf[i] * x[i][a] * x[i][b] for i in range(k)) for b in range(p)]
           + [Fraction(int(a == b)) for b in range(p)] for a in range(p)]
    for c in range(p):
        pivot = next(r for r in range(c, p) if aug[r][c] != 0)
        aug[c], aug[pivot] = aug[pivot], aug[c]
        aug[c] = [v / aug[c][c] for v in aug[c]]
        for r in range(p):
            if r != c:
                aug[r] = [v - aug[r][c] * u for v, u in zip(aug[r], aug[c], strict=True)]
    a_inv = [row[p:] for row in aug]
    P = [[(wf[i] if i == j else 0) - wf[i] * wf[j] * sum(
        x[i][a] * a_inv[a][b] * x[j][b] for a in range(p) for b in range(p))
        for j in range(k)] for i in range(k)]
    return (float(sum(P[i][i] for i in range(k))),
            float(sum(v * v for row in P for v in row)))


@pytest.mark.parametrize("dominant", [1e6, 1e8])
def test_trace_of_pp_survives_one_dominant_weight(dominant):
    # One study with a weight 1e6 or 1e8 times the others (a register study among small
    # trials): the textbook form sum w^2 - 2 tr(A^-1 X'W^3 X) + tr((A^-1 X'W^2 X)^2) subtracts
    # numbers near dominant^2 and is off by a factor 2.4 (1e6) or 6e5 (1e8) here; the
    # prefix-sum form is as accurate as the explicit k x k P (error ~ eps * dominant).
    rng = np.random.default_rng(11)
    k = 6
    X = np.column_stack([np.ones(k), rng.normal(size=k)])
    w = rng.uniform(1, 2, k)
    w[2] = dominant
    trace, frobenius2 = exact_p_traces(X, w)
    wls = meta_fit._weighted_ls(X, w, np.zeros(k), frobenius=True)
    np.testing.assert_allclose(wls.trace, trace, rtol=1e-7)
    np.testing.assert_allclose(wls.frobenius2, frobenius2, rtol=1e-7)


def test_dl_and_reml_fit_twenty_thousand_studies_without_a_k_by_k_matrix():
    rng = np.random.default_rng(7)
    k = 20_000  # an explicit P would need k^2 * 8 bytes = 3.2 GB
    vi = rng.uniform(0.005, 0.08, k)
    yi = 0.3 + rng.normal(0.0, 0.12, k) + rng.normal(0.0, np.sqrt(vi))
    tracemalloc.start()
    try:
        dl = meta.meta_analysis(yi, vi, method="DL")
        reml = meta.meta_analysis(yi, vi, method="REML", test="knha")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 50e6  # O(k) working memory
    # DL against its p = 1 closed form (DerSimonian & Laird 1986)
    w = 1 / vi
    fixed = np.sum(w * yi) / np.sum(w)
    q = np.sum(w * (yi - fixed) ** 2)
    tau2_dl = max(0.0, (q - (k - 1)) / (np.sum(w) - np.sum(w**2) / np.sum(w)))
    np.testing.assert_allclose(dl.tau2, tau2_dl, rtol=1e-9)
    np.testing.assert_allclose(dl.q, q, rtol=1e-9)
    w_re = 1 / (vi + tau2_dl)
    np.testing.assert_allclose(dl.estimate, np.sum(w_re * yi) / np.sum(w_re), rtol=1e-9)
    # REML solves y'PPy = tr P (p = 1 closed forms) to within metafor's stopping rule
    w = 1 / (vi + reml.tau2)
    resid = yi - np.sum(w * yi) / np.sum(w)
    trace = np.sum(w) - np.sum(w**2) / np.sum(w)
    info = np.sum(w**2) - 2 * np.sum(w**3) / np.sum(w) + (np.sum(w**2) / np.sum(w)) ** 2
    assert abs(np.sum(w**2 * resid**2) - trace) / info < 1e-5
    assert 0.5 * 0.12**2 < reml.tau2 < 2 * 0.12**2


def test_summaries_speak_finnish_or_english_with_the_language_s_numbers():
    import re

    res = meta.meta_analysis([0.10, 0.65, -0.2], [0.02, 0.05, 0.03])
    reg = meta_regression.meta_regression([0.1, 0.3, 0.35, 0.6, 0.7], [0.01, 0.02, 0.015, 0.02, 0.03],
                               mods=[1, 2, 3, 4, 5])
    sub = meta_regression.subgroup_analysis([0.1, 0.2, 0.6, 0.7], [0.01, 0.02, 0.01, 0.02],
                                 ["a", "a", "b", "b"])
    for text in (res.summary(), reg.summary(), sub.summary()):
        assert not re.search(r"\d\.\d", text)  # decimal comma only
        assert not re.search(r"tau2|estimate|pval|ci_low|Heterogeneity", text)  # Finnish words
    for text in (res.summary("en"), reg.summary("en"), sub.summary("en")):
        assert not re.search(r"\d,\d", text) and "Heterogeenisuus" not in text
    assert "keskivirhe" in res.summary() and "95\u00a0%:n lv" in res.summary()
    assert "lv alaraja" in reg.summary() and "ennusteväli ala" in sub.summary()
    with pytest.raises(ValueError, match="lang"):
        res.summary("sv")
