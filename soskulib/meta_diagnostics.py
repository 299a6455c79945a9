r"""Case diagnostics of a fitted meta-analysis: influence, cumulative pooling, Baujat data.

Every function refits :func:`soskulib.meta.meta_analysis`'s model (same estimator, test, level
and iteration settings) on subsets of the studies and agrees with R ``metafor`` 3.8
(``influence()``, ``cumul()``, ``baujat()``); ``tests/reference/meta_extra.R`` computes the
reference values.

Influence (Viechtbauer & Cheung 2010, Res Synth Methods 1:112-125). With the full fit
:math:`\hat\beta, \hat\tau^2, \mathrm{Var}(\hat\beta)` and the fit without study i
(:math:`\hat\beta_{(i)}, \hat\tau^2_{(i)}`, and the knha factor :math:`s^2_{(i)}`, 1 for
``test="z"``):

* externally standardised residual
  :math:`t_i = (y_i - x_i'\hat\beta_{(i)}) / \sqrt{s^2_{(i)}(v_i + \hat\tau^2_{(i)})
  + x_i'\mathrm{Var}(\hat\beta_{(i)})x_i}`;
* DFFITS :math:`(x_i'\hat\beta - x_i'\hat\beta_{(i)}) / \sqrt{s^2_{(i)} h_i (\hat\tau^2_{(i)}
  + v_i)}` with the hat value :math:`h_i = [X(X'WX)^{-1}X'W]_{ii}`, :math:`W =
  \mathrm{diag}(1/(v_i + \hat\tau^2))`;
* Cook's distance :math:`(\hat\beta - \hat\beta_{(i)})'\mathrm{Var}(\hat\beta)^{-1}
  (\hat\beta - \hat\beta_{(i)})`;
* covariance ratio :math:`\det\mathrm{Var}(\hat\beta_{(i)}) / \det\mathrm{Var}(\hat\beta)`;
* DFBETAS :math:`(\hat\beta - \hat\beta_{(i)}) / \sqrt{s^2_{(i)}\,\mathrm{diag}((X'W_{(i)}X)^{-1})}`
  with :math:`W_{(i)} = \mathrm{diag}(1/(v + \hat\tau^2_{(i)}))` over all k studies;
* leave-one-out :math:`\hat\tau^2_{(i)}` and :math:`Q_{E(i)}`, the weight (percent).

A study is flagged influential (metafor's ``inf = "*"``) when
:math:`|DFFITS| > 3\sqrt{p/(k-p)}`, or :math:`P(\chi^2_p \le D_i) > 0.5`, or
:math:`h_i > 3p/k`, or any :math:`|DFBETAS| > 1`. A refit that does not converge leaves its
row NaN, as in metafor.

Baujat et al. (2002, Stat Med 21:2641-2652), as metafor ``baujat()``: x = the study's
contribution to the heterogeneity, :math:`(y_i - x_i'\hat\beta)^2/(v_i + \hat\tau^2)`;
y = its influence on the pooled result,
:math:`(x_i'\hat\beta_{(i)} - x_i'\hat\beta)^2 / x_i'\mathrm{Var}(\hat\beta_{(i)})x_i`.

Cumulative meta-analysis (Lau et al. 1992, NEJM 327:248-254): the model refitted on the
first 1, 2, ..., k studies in a given order (e.g. the date each municipality started), as
metafor ``cumul(res, order = order(x))``.

Examples
--------
>>> from soskulib import meta
>>> res = meta.meta_analysis([0.1, 0.5, 0.3, 0.9, 0.2], [0.02, 0.03, 0.04, 0.02, 0.05])
>>> inf = influence(res)                                 # R: influence(rma(yi, vi))
>>> inf.columns.tolist()[:5]
['label', 'rstudent', 'dffits', 'cook_d', 'cov_r']
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from soskulib.compat import forwarder
from soskulib.meta import MetaResult
from soskulib.meta_fit import ConvergenceError, _Fit, _fit_model

__all__ = ["baujat", "cumulative", "influence"]


def _full_fit(result: MetaResult) -> _Fit:
    if not isinstance(result, MetaResult) or result._fit is None:
        raise TypeError("pass a fitted MetaResult (from meta.meta_analysis)")
    if result.k < 2:
        raise ValueError("case diagnostics need at least 2 studies")
    return result._fit


def _refit(fit: _Fit, keep: np.ndarray) -> _Fit | None:
    """The model on the studies in ``keep``; None when the iteration does not converge."""
    try:
        return _fit_model(fit.yi[keep], fit.vi[keep], fit.X[keep], fit.method, fit.test,
                          fit.level, fit.con)
    except ConvergenceError:
        return None


def influence(result: MetaResult) -> pd.DataFrame:
    """Leave-one-out influence diagnostics of a fitted model (metafor ``influence()``).

    Parameters
    ----------
    result : MetaResult
        A fit of :func:`soskulib.meta.meta_analysis` with at least two studies.

    Returns
    -------
    DataFrame
        One row per study: ``label, rstudent, dffits, cook_d, cov_r, tau2_del, qe_del, hat,
        weight, dfbetas, influential`` (formulas and flag rule in the module docstring;
        ``weight`` in percent). R: ``inf <- influence(rma(yi, vi, method, test));
        inf$inf; inf$dfbs``.

    Warns
    -----
    RuntimeWarning
        When a refit does not converge (its row is NaN).

    Examples
    --------
    >>> from soskulib import meta
    >>> res = meta.meta_analysis([0.1, 0.5, 0.3, 0.9, 0.2], [0.02, 0.03, 0.04, 0.02, 0.05])
    >>> influence(res)[["label", "hat", "influential"]].round(3)
      label    hat  influential
    0     1  0.221        False
    1     2  0.202        False
    2     3  0.185        False
    3     4  0.221         True
    4     5  0.172        False
    """
    fit = _full_fit(result)
    k, p = fit.k, fit.p
    X, y, v = fit.X, fit.yi, fit.vi
    w = 1.0 / (v + fit.tau2)
    xwx_inv = np.linalg.inv(X.T @ (w[:, None] * X))
    hat = np.einsum("ij,jk,ik->i", X, xwx_inv, X) * w
    svb = np.linalg.inv(fit.vb)
    det_full = float(np.linalg.det(fit.vb))
    pred_full = X @ fit.beta
    cols = {name: np.full(k, np.nan) for name in
            ("rstudent", "dffits", "cook_d", "cov_r", "tau2_del", "qe_del", "dfbetas")}
    dfbs = np.full((k, p), np.nan)
    failed = []
    everyone = np.arange(k)
    for i in range(k):  # k small refits, not a loop over client data
        sub = _refit(fit, everyone != i)
        if sub is None:
            failed.append(result.labels[i])
            continue
        xi = X[i]
        delpred = float(xi @ sub.beta)
        vdelpred = float(xi @ sub.vb @ xi)
        s2w = sub.s2w
        resid = y[i] - delpred
        if abs(resid) < 100 * np.finfo(float).eps:
            resid = 0.0
        cols["rstudent"][i] = resid / math.sqrt(v[i] * s2w + vdelpred + sub.tau2 * s2w)
        cols["dffits"][i] = (pred_full[i] - delpred) / math.sqrt(s2w * hat[i]
                                                                 * (sub.tau2 + v[i]))
        vb_del = np.linalg.inv(X.T @ (X / (v + sub.tau2)[:, None]))
        dfb = fit.beta - sub.beta
        dfbs[i] = dfb / np.sqrt(s2w * np.diag(vb_del))
        cols["cook_d"][i] = float(dfb @ svb @ dfb)
        cols["cov_r"][i] = float(np.linalg.det(sub.vb)) / det_full
        cols["tau2_del"][i] = sub.tau2
        cols["qe_del"][i] = sub.qe
    if failed:
        warnings.warn(f"influence: the refit without study/studies {', '.join(failed)} did not "
                      "converge; those rows are NaN (as metafor)", RuntimeWarning, stacklevel=2)
    with np.errstate(invalid="ignore"):
        flagged = ((np.abs(cols["dffits"]) > 3 * math.sqrt(p / (k - p)) if k > p else False)
                   | (stats.chi2.cdf(cols["cook_d"], p) > 0.5)
                   | (hat > 3 * p / k)
                   | np.any(np.abs(dfbs) > 1, axis=1))
    out = pd.DataFrame({"label": list(result.labels), **{c: cols[c] for c in cols
                                                          if c != "dfbetas"},
                        "hat": hat, "weight": 100 * w / w.sum()})
    out["dfbetas"] = dfbs[:, 0]
    out["influential"] = np.asarray(flagged, dtype=bool)
    return out


def baujat(result: MetaResult) -> pd.DataFrame:
    """Coordinates of the Baujat plot (metafor ``baujat()``, which returns them invisibly).

    Parameters
    ----------
    result : MetaResult
        A fit of :func:`soskulib.meta.meta_analysis`.

    Returns
    -------
    DataFrame
        ``label, x, y``: x the contribution to heterogeneity, y the influence on the pooled
        result (formulas in the module docstring). R: ``baujat(rma(yi, vi))``.

    Examples
    --------
    >>> from soskulib import meta
    >>> res = meta.meta_analysis([0.1, 0.5, 0.3, 0.9, 0.2], [0.02, 0.03, 0.04, 0.02, 0.05])
    >>> baujat(res)["x"].round(3).tolist()
    [0.928, 0.068, 0.1, 2.283, 0.332]
    """
    fit = _full_fit(result)
    X, y, v = fit.X, fit.yi, fit.vi
    pred_full = X @ fit.beta
    ycoord = np.full(fit.k, np.nan)
    everyone = np.arange(fit.k)
    for i in range(fit.k):
        sub = _refit(fit, everyone != i)
        if sub is None:
            continue
        delpred = float(X[i] @ sub.beta)
        ycoord[i] = (delpred - pred_full[i]) ** 2 / float(X[i] @ sub.vb @ X[i])
    xcoord = (y - pred_full) ** 2 / (fit.tau2 + v)
    return pd.DataFrame({"label": list(result.labels), "x": xcoord, "y": ycoord})


def cumulative(result: MetaResult, order: Any = None, *, decreasing: bool = False
               ) -> pd.DataFrame:
    """Cumulative meta-analysis: the model refitted as studies are added in ``order``.

    Parameters
    ----------
    result : MetaResult
        A fit of :func:`soskulib.meta.meta_analysis`.
    order : array-like, optional
        A value per study to sort by (e.g. the date a municipality started); ties keep the
        original order (a stable sort, as R's ``order``). Default the order of the studies.
    decreasing : bool
        Sort from the largest value.

    Returns
    -------
    DataFrame
        One row per added study in the sorted order: ``label, order_value, k, estimate, se,
        pval, ci_low, ci_high, pi_low, pi_high, q, q_pval, tau2, i2`` (each row is the model
        on the studies up to and including that one). R: ``cumul(res, order = order(x))``;
        a refit that does not converge gives NaN.

    Examples
    --------
    >>> from soskulib import meta
    >>> res = meta.meta_analysis([0.1, 0.5, 0.3], [0.02, 0.03, 0.04], method="FE",
    ...                          labels=["A", "B", "C"])
    >>> cumulative(res, order=[2016, 2015, 2017])[["label", "estimate"]].round(4)
      label  estimate
    0     B    0.5000
    1     A    0.2600
    2     C    0.2692
    """
    fit = _full_fit(result) if result.k > 1 else result._fit
    if fit is None:
        raise TypeError("pass a fitted MetaResult (from meta.meta_analysis)")
    k = fit.k
    if order is None:
        values = np.arange(k, dtype=float)
        idx = np.arange(k)
    else:
        values = np.ravel(np.asarray(order, dtype=object))
        if values.size != k:
            raise ValueError(f"order has {values.size} values but the model has {k} studies")
        keys = pd.Series(values)
        if keys.isna().any():
            raise ValueError("order has missing values; give every study a value to sort by")
        idx = keys.sort_values(ascending=not decreasing, kind="stable").index.to_numpy()
    rows = []
    for j in range(1, k + 1):
        keep = idx[:j]
        sub = _refit(fit, keep)
        label = result.labels[idx[j - 1]]
        row = {"label": label, "order_value": values[idx[j - 1]], "k": j}
        if sub is not None:
            half_pi = sub.crit * math.sqrt(float(sub.vb[0, 0]) + sub.tau2)
            row.update({"estimate": sub.beta[0], "se": sub.se[0], "pval": sub.pval[0],
                        "ci_low": sub.ci_low[0], "ci_high": sub.ci_high[0],
                        "pi_low": sub.beta[0] - half_pi, "pi_high": sub.beta[0] + half_pi,
                        "q": sub.qe, "q_pval": sub.qe_pval, "tau2": sub.tau2, "i2": sub.i2})
        rows.append(row)
    columns = ["label", "order_value", "k", "estimate", "se", "pval", "ci_low", "ci_high",
               "pi_low", "pi_high", "q", "q_pval", "tau2", "i2"]
    return pd.DataFrame(rows, columns=columns)


# Names that moved to another module keep working, with a DeprecationWarning (soskulib.compat).
__getattr__ = forwarder("meta_diagnostics")[0]
