r"""Meta-regression and subgroup analysis: how the municipalities' changes vary with moderators.

Mixed-effects meta-regression :math:`y_i = x_i'\beta + u_i + e_i` with moderators in
:math:`x_i` (metafor ``rma(yi, vi, mods = ~ x)``), fitted by the same engine and τ² estimators
as the model without moderators (:mod:`soskulib.meta_fit`, :mod:`soskulib.meta`): the omnibus
test of the moderators ``QM`` (chi² on m df, or F(m, k - p) under ``test="knha"``), the
residual heterogeneity ``QE`` and the pseudo-R² of Raudenbush (2009),
:math:`R^2 = \max\{0, (\hat\tau^2_0 - \hat\tau^2)/\hat\tau^2_0\}` with
:math:`\hat\tau^2_0` from the model without moderators. A non-numeric moderator is coded as R
codes a factor (treatment dummies against the first level). Subgroup analysis fits one model
per subgroup and tests the difference between them with a common τ² (the moderator test of
``mods = ~ factor(group)``) and with separate τ² (a fixed-effects Q over the subgroup
estimates), as in Borenstein et al. (2009, ch. 19). Every number reproduces R ``metafor`` 3.8
(``tests/reference/metafor.R``).

Examples
--------
The BCG vaccine data of metafor with absolute latitude as the moderator:

>>> yi = [-0.8893, -1.5854, -1.3481, -1.4416, -0.2175, -0.7861, -1.6209, 0.0120, -0.4694,
...       -1.3713, -0.3394, 0.4459, -0.0173]
>>> vi = [0.3256, 0.1946, 0.4154, 0.0200, 0.0512, 0.0069, 0.2230, 0.0040, 0.0564, 0.0730,
...       0.0124, 0.5325, 0.0714]
>>> ablat = [44, 55, 42, 52, 13, 44, 19, 13, 27, 42, 18, 33, 33]
>>> res = meta_regression(yi, vi, ablat)            # R: rma(yi, vi, mods = ~ ablat)
>>> print(f"{res.coef.loc['mods', 'estimate']:.4f} {res.tau2:.4f}")
-0.0291 0.0764
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from soskulib import formatting, meta_fit
from soskulib.checks import as_float_vector, require_columns
from soskulib.meta import MetaResult, _summary_words, _table_text, meta_analysis

__all__ = ["MetaRegressionResult", "SubgroupResult", "meta_regression", "subgroup_analysis"]


def _design(mods: Any, k: int) -> tuple[np.ndarray, list[str], list[tuple[str, Any]]]:
    """Intercept + moderators; non-numeric columns become treatment dummies (R factor coding).

    Returns the matrix, its column names and a recipe to code new moderator values.
    """
    frame = mods.copy() if isinstance(mods, pd.DataFrame) else None
    if isinstance(mods, pd.Series):  # a named variable keeps its name (R: mods = ~ year)
        frame = pd.DataFrame({str(mods.name) if mods.name is not None else "mods":
                              mods.reset_index(drop=True)})
    if frame is None:
        arr = np.asarray(mods, dtype=object)
        if arr.ndim == 1:
            frame = pd.DataFrame({"mods": pd.Series(list(arr))})
        elif arr.ndim == 2:
            frame = pd.DataFrame(arr.tolist(), columns=[f"mods{j + 1}" for j in range(arr.shape[1])])
        else:
            raise ValueError("mods must be 1- or 2-dimensional")
    if len(frame) != k:
        raise ValueError(f"mods has {len(frame)} rows but there are {k} studies")
    columns, names, recipe = [np.ones(k)], ["intrcpt"], []
    for col in frame.columns:
        s = frame[col]
        numeric = pd.to_numeric(s, errors="coerce")
        if numeric.notna().all() and not isinstance(s.dtype, pd.CategoricalDtype):
            columns.append(numeric.to_numpy(dtype=float))
            names.append(str(col))
            recipe.append((str(col), None))
        else:
            if s.isna().any():
                raise ValueError(f"moderator {col!r} has missing values")
            levels = (list(s.cat.categories) if isinstance(s.dtype, pd.CategoricalDtype)
                      else sorted(s.astype(str).unique()))
            values = s.astype(str).to_numpy()
            for lev in levels[1:]:
                columns.append((values == str(lev)).astype(float))
                names.append(f"{col}{lev}")
            recipe.append((str(col), [str(x) for x in levels]))
    return np.column_stack(columns), names, recipe


def _code_new(newmods: Any, recipe: list[tuple[str, Any]]) -> np.ndarray:
    if isinstance(newmods, pd.DataFrame):
        frame = newmods
    else:
        arr = np.asarray(newmods, dtype=object)
        if arr.ndim == 0:
            arr = arr.reshape(1, 1)
        elif arr.ndim == 1:
            arr = arr.reshape(-1, 1) if len(recipe) == 1 else arr.reshape(1, -1)
        frame = pd.DataFrame(arr.tolist(), columns=[name for name, _ in recipe])
    cols = [np.ones(len(frame))]
    for name, levels in recipe:
        if name not in frame.columns:
            raise KeyError(f"newmods lacks moderator {name!r}")
        if levels is None:
            cols.append(pd.to_numeric(frame[name]).to_numpy(dtype=float))
        else:
            values = frame[name].astype(str).to_numpy()
            unknown = set(values) - set(levels)
            if unknown:
                raise ValueError(f"unknown level(s) {sorted(unknown)} of moderator {name!r}")
            cols.extend((values == lev).astype(float) for lev in levels[1:])
    return np.column_stack(cols)


@dataclass(frozen=True)
class MetaRegressionResult:
    """Mixed-effects meta-regression (metafor ``rma(yi, vi, mods=~x)``).

    ``coef`` is a table of coefficients (``estimate, se, zval, pval, ci_low, ci_high``;
    ``zval`` is a t value under knha). ``qm``/``qm_pval``: omnibus test of the moderators
    (chi² on ``qm_df[0]`` df, or F(qm_df) under knha); ``qe``/``qe_pval``: residual
    heterogeneity; ``tau2``: residual tau²; ``r2``: percentage of tau² accounted for,
    ``max(0, 100 (tau2_RE - tau2)/tau2_RE)`` with the intercept-only model's tau2_RE
    (Raudenbush 2009; metafor's default); for FE models the adjusted R² of the weighted
    regression.

    Examples
    --------
    >>> res = meta_regression([0.1, 0.3, 0.35, 0.6, 0.7], [0.01, 0.02, 0.015, 0.02, 0.03],
    ...                       mods=[1, 2, 3, 4, 5])           # rma(yi, vi, mods = ~ x)
    >>> res.coef.index.tolist(), res.qm_df
    (['intrcpt', 'mods'], (1, nan))
    """

    k: int
    coef: pd.DataFrame
    qm: float
    qm_df: tuple[int, float]
    qm_pval: float
    qe: float
    qe_pval: float
    tau2: float
    se_tau2: float
    i2: float
    h2: float
    r2: float
    method: str
    test: str
    level: float
    _fit: meta_fit._Fit = field(repr=False, compare=False)
    _recipe: list = field(repr=False, compare=False)

    def predict(self, newmods: Any) -> pd.DataFrame:
        """Predicted effects at ``newmods`` with CI and PI (metafor ``predict(res, newmods)``).

        ``newmods``: scalar or 1-D values for one moderator, a 2-D array, or a DataFrame with
        the moderator columns.

        Parameters
        ----------
        newmods : scalar, array-like or DataFrame
            Scalar or 1-D values for one moderator, a 2-D array (one column per moderator), or a
            DataFrame with the moderator columns; text moderators take their original levels.

        Returns
        -------
        DataFrame
            One row per new point: ``pred, se, ci_low, ci_high, pi_low, pi_high``.

        Examples
        --------
        >>> res = meta_regression([0.1, 0.3, 0.35, 0.6, 0.7], [0.01, 0.02, 0.015, 0.02, 0.03],
        ...                       mods=[1, 2, 3, 4, 5], method="FE")
        >>> res.predict([0.0, 6.0])["pred"].round(4).tolist()
        [-0.0477, 0.86]
        """
        return meta_fit._predict(self._fit, _code_new(newmods, self._recipe))

    def summary(self, lang: str = "fi") -> str:
        """Readable text summary in Finnish or English (numbers in the language's style).

        Parameters
        ----------
        lang : {"fi", "en"}
            Language of the words and of the number style (default Finnish).

        Returns
        -------
        str
            Model line, residual τ², I², R², the QE and QM (or F) tests, and the
            coefficient table.

        Examples
        --------
        >>> res = meta_regression([0.1, 0.3, 0.35, 0.6, 0.7], [0.01, 0.02, 0.015, 0.02, 0.03],
        ...                       mods=[1, 2, 3, 4, 5], method="FE")
        >>> print(res.summary("en").splitlines()[0])
        Mixed-effects meta-regression (k = 5; FE; test z)
        >>> print(res.summary().splitlines()[1].replace("\\xa0", " "))
        τ² (jäännös) = 0,0000; I² = 0,0 %; R² = 96,0 %
        """
        w = _summary_words(lang)
        num = formatting.number
        name = "QM" if self.test == "z" else "F"
        return "\n".join([
            w["regression"].format(k=self.k, method=self.method, test=self.test),
            w["residual"].format(tau2=num(self.tau2, lang, 4),
                                 i2=formatting.percent(self.i2, lang, 1),
                                 r2=formatting.percent(self.r2, lang, 1)),
            f"QE = {num(self.qe, lang, 3)} ({formatting.p_equation(self.qe_pval, lang)}){w['sep']}"
            f"{name} = {num(self.qm, lang, 3)} ({formatting.p_equation(self.qm_pval, lang)})",
            _table_text(self.coef, lang)])

    def confint(self, level: float | None = None) -> pd.DataFrame:
        """Q-profile CI of the residual tau², tau, I² and H² (metafor ``confint(res)``).

        Parameters
        ----------
        level : float, optional
            Confidence level (probability or percent); default the model's level.

        Returns
        -------
        DataFrame
            Index ``tau2, tau, i2, h2``; columns ``estimate, ci_low, ci_high`` (see
            :meth:`MetaResult.confint`).

        Examples
        --------
        >>> res = meta_regression([0.1, 0.3, 0.35, 0.6, 0.7, 0.2], [0.01, 0.02, 0.015, 0.02,
        ...                       0.03, 0.02], mods=[1, 2, 3, 4, 5, 6])
        >>> list(res.confint().columns)
        ['estimate', 'ci_low', 'ci_high']
        """
        lev = self.level if level is None else meta_fit._check_options(self.method, self.test, level)
        return meta_fit._qprofile(self._fit, lev)

    def fit_stats(self) -> pd.DataFrame:
        """Log-likelihood, deviance, AIC, BIC, AICc under ML and REML (metafor ``fitstats``).

        Returns
        -------
        DataFrame
            Index ``ll, dev, AIC, BIC, AICc``; columns ``ML`` and ``REML``.

        Examples
        --------
        >>> res = meta_regression([0.1, 0.3, 0.35, 0.6, 0.7], [0.01, 0.02, 0.015, 0.02, 0.03],
        ...                       mods=[1, 2, 3, 4, 5], method="ML")
        >>> res.fit_stats().index.tolist()
        ['ll', 'dev', 'AIC', 'BIC', 'AICc']
        """
        fs = self._fit.fit_stats
        rows = ["ll", "dev", "AIC", "BIC", "AICc"]
        return pd.DataFrame({tag: [fs.get(f"{r}_{tag}", math.nan) for r in rows]
                             for tag in ("ML", "REML")}, index=rows)

    def to_frame(self) -> pd.DataFrame:
        """Coefficient table (same as ``coef``).

        Returns
        -------
        DataFrame
            Indexed by term: ``estimate, se, zval, pval, ci_low, ci_high``.

        Examples
        --------
        >>> res = meta_regression([0.1, 0.3, 0.35, 0.6, 0.7], [0.01, 0.02, 0.015, 0.02, 0.03],
        ...                       mods=[1, 2, 3, 4, 5], method="FE")
        >>> res.to_frame()["estimate"].round(4).tolist()
        [-0.0477, 0.1513]
        """
        return self.coef.copy()


def _r2(y: np.ndarray, v: np.ndarray, fit: meta_fit._Fit) -> float:
    if fit.method == "FE":
        if np.var(y) == 0:
            return 0.0
        w = 1.0 / v
        resid = y - fit.X @ fit.beta
        ybar = np.sum(w * y) / np.sum(w)
        r2 = 1 - np.sum(w * resid**2) / np.sum(w * (y - ybar) ** 2)
        adj = 1 - (1 - r2) * (fit.k - 1) / (fit.k - fit.p)
        return max(0.0, 100 * float(adj))
    tau2_re = meta_fit._fit_model(y, v, np.ones((y.size, 1)), fit.method, fit.test, fit.level,
                         fit.con).tau2
    if tau2_re == 0:
        return 0.0
    return max(0.0, 100 * (tau2_re - fit.tau2) / tau2_re)


def meta_regression(yi: Any, vi: Any, mods: Any, method: str = "REML", test: str = "z",
                    level: float = 0.95, *, sei: Any = None, data: pd.DataFrame | None = None,
                    control: Mapping[str, float] | None = None) -> MetaRegressionResult:
    """Meta-regression on moderator(s) (metafor ``rma(yi, vi, mods=~x)``).

    Parameters
    ----------
    yi, vi : array-like or str
        Estimates and sampling variances (column names with ``data``).
    mods : array-like, Series, DataFrame or str or list of str
        One moderator (1-D) or several (2-D / DataFrame). Numeric columns enter linearly;
        text or categorical columns are dummy coded against their first (sorted) level,
        as R's ``factor``. Coefficients are named after the variable (column name, Series
        name, as R's ``mods = ~ year``); an unnamed 1-D array is called ``mods``.
    sei : array-like or str, optional
        Standard errors instead of ``vi``.
    method, test, level
        As in :func:`meta_analysis`.
    data : DataFrame, optional
        Source of the columns named by ``yi``, ``vi`` and ``mods``.
    control : dict, optional
        Iteration settings, as in :func:`meta_analysis`.

    Returns
    -------
    MetaRegressionResult

    Notes
    -----
    Same estimators as :func:`meta_analysis` with :math:`X = [1, x]` and p = number of
    coefficients: residual tau² by DL/REML/PM, knha with t(k - p), QM = Wald test of all
    non-intercept coefficients (F = QM/m under knha). R:
    ``rma(yi, vi, mods = ~ x, method=method, test=test)``.

    Examples
    --------
    >>> res = meta_regression([0.1, 0.3, 0.35, 0.6, 0.7], [0.01, 0.02, 0.015, 0.02, 0.03],
    ...                       mods=[1, 2, 3, 4, 5], method="FE")
    >>> res.coef["estimate"].round(4).tolist()
    [-0.0477, 0.1513]
    >>> res.predict([6.0])["pred"].round(4).tolist()
    [0.86]
    """
    level = meta_fit._check_options(method, test, level)
    if data is not None and isinstance(mods, str):
        mods = data[[mods]]
    elif data is not None and isinstance(mods, list) and all(isinstance(m, str) for m in mods):
        require_columns(data, mods, "meta_regression", "mods= names columns of data=")
        mods = data[mods]
    y = as_float_vector(meta_fit._column_or_values(data, yi, "yi"), "yi")
    v = as_float_vector(meta_fit._variances(meta_fit._column_or_values(data, vi, "vi"),
                                   meta_fit._column_or_values(data, sei, "sei")), "vi")
    if y.size != v.size:
        raise ValueError(f"yi and vi differ in length ({y.size} vs {v.size})")
    X, names, recipe = _design(mods, y.size)
    y, v, missing = meta_fit._drop_missing(y, v, meta_fit._labels(None, y.size))
    X = X[~missing]
    y, v = meta_fit._validate(y, v)
    fit = meta_fit._fit_model(y, v, X, method, test, level, meta_fit._control(control))
    coef = pd.DataFrame({
        "estimate": fit.beta, "se": fit.se, "zval": fit.stat, "pval": fit.pval,
        "ci_low": fit.ci_low, "ci_high": fit.ci_high,
    }, index=pd.Index(names, name="term"))
    return MetaRegressionResult(
        k=fit.k, coef=coef, qm=fit.qm, qm_df=fit.qm_df, qm_pval=fit.qm_pval, qe=fit.qe,
        qe_pval=fit.qe_pval, tau2=fit.tau2, se_tau2=fit.se_tau2, i2=fit.i2, h2=fit.h2,
        r2=_r2(y, v, fit), method=method, test=fit.test, level=level, _fit=fit,
        _recipe=recipe)


@dataclass(frozen=True)
class SubgroupResult:
    """Subgroup analysis: one model per subgroup plus tests of subgroup differences.

    Attributes
    ----------
    table : DataFrame
        One row per subgroup (sorted levels): ``group, k, estimate, se, pval, ci_low, ci_high,
        pi_low, pi_high, tau2, i2, q``.
    results : dict
        The subgroup :class:`MetaResult` objects by group.
    q_between, q_between_df, q_between_pval
        **Reported test**: the test of moderators of the model with subgroup dummies,
        ``rma(yi, vi, mods=~factor(g), method=method, test=test)`` (QM on G - 1 df; an F
        statistic on (G - 1, k - G) df under knha). For RE methods this model assumes one tau²
        common to all subgroups; for ``method="FE"`` it is the classical
        Q_total - sum(Q_within).
    q_between_separate, q_between_separate_pval
        Alternative allowing a separate tau² per subgroup (Borenstein et al. 2009, ch. 19;
        RevMan): the FE test of moderators over the subgroup estimates and their SEs,
        ``rma(est, sei=se, mods=~factor(group), method="FE")``, chi² on G - 1 df.
    tau2_common : float
        The common tau² of the moderator model behind ``q_between``.
    method, test : str
        Estimator and test used (``test`` is ``"z"`` when the moderator model switched to it).

    Examples
    --------
    >>> sg = subgroup_analysis([0.1, 0.2, 0.6, 0.7], [0.01, 0.02, 0.01, 0.02], ["a", "a", "b", "b"],
    ...                        method="FE")
    >>> sg.table[["group", "k", "estimate"]].round(4)
      group  k  estimate
    0     a  2    0.1333
    1     b  2    0.6333
    """

    table: pd.DataFrame
    results: dict[str, MetaResult]
    q_between: float
    q_between_df: tuple[int, float]
    q_between_pval: float
    tau2_common: float
    q_between_separate: float
    q_between_separate_pval: float
    method: str
    test: str

    def summary(self, lang: str = "fi") -> str:
        """Readable text summary in Finnish or English (numbers in the language's style).

        Parameters
        ----------
        lang : {"fi", "en"}
            Language of the words and of the number style (default Finnish).

        Returns
        -------
        str
            The subgroup table, then both tests of subgroup differences.

        Examples
        --------
        >>> sg = subgroup_analysis([0.1, 0.2, 0.6, 0.7], [0.01, 0.02, 0.01, 0.02],
        ...                        ["a", "a", "b", "b"], method="FE")
        >>> print(sg.summary("en").splitlines()[-1])
        Q_between (separate τ², FE over subgroup estimates) = 18.750, p < 0.001
        >>> print(sg.summary().splitlines()[-1])
        Q ryhmien välillä (erilliset τ², FE alaryhmien estimaateista) = 18,750; p < 0,001
        """
        w = _summary_words(lang)
        num = formatting.number
        stat = ("Q_between" if lang == "en" else "Q") if self.test == "z" else "F"
        return "\n".join([
            _table_text(self.table, lang, index=False),
            w["between_common"].format(stat=stat, q=num(self.q_between, lang, 3),
                                       p=formatting.p_equation(self.q_between_pval, lang)),
            w["between_separate"].format(q=num(self.q_between_separate, lang, 3),
                                         p=formatting.p_equation(self.q_between_separate_pval,
                                                                 lang))])


def subgroup_analysis(yi: Any, vi: Any, groups: Any, method: str = "REML", test: str = "z",
                      level: float = 0.95, *, data: pd.DataFrame | None = None,
                      labels: Any = None,
                      control: Mapping[str, float] | None = None) -> SubgroupResult:
    """Separate meta-analyses per subgroup and the test of subgroup differences.

    Parameters
    ----------
    yi, vi : array-like or str
        Estimates and sampling variances (column names with ``data``).
    groups : array-like or str
        Subgroup of each study (e.g. target group or municipality type).
    method, test, level
        As in :func:`meta_analysis`, used for every subgroup and for the moderator model.
    data : DataFrame, optional
        Source of the columns named by ``yi``, ``vi``, ``groups`` and ``labels``.
    labels : array-like or str, optional
        Study labels, kept in the subgroup results.
    control : dict, optional
        Iteration settings, as in :func:`meta_analysis`.

    Returns
    -------
    SubgroupResult
        See there for which Q-between is reported (both are given).

    Notes
    -----
    R: ``rma(yi, vi, subset = g == lev, method, test)`` per level;
    ``rma(yi, vi, mods = ~ factor(g), method, test)$QM``; and
    ``rma(est, sei = se, mods = ~ factor(lev), method = "FE")$QM``.

    Examples
    --------
    >>> sg = subgroup_analysis([0.1, 0.2, 0.6, 0.7], [0.01, 0.02, 0.01, 0.02], ["a", "a", "b", "b"],
    ...                        method="FE")
    >>> print(f"{sg.q_between:.3f} {sg.q_between_separate:.3f}")
    18.750 18.750
    """
    level = meta_fit._check_options(method, test, level)
    y, v = meta_fit._validate(meta_fit._column_or_values(data, yi, "yi"), meta_fit._column_or_values(data, vi, "vi"))
    g = meta_fit._column_or_values(data, groups, "groups")
    g_arr = pd.Series(np.ravel(np.asarray(g, dtype=object)))
    if len(g_arr) != y.size:
        raise ValueError(f"groups has {len(g_arr)} entries but there are {y.size} studies")
    if g_arr.isna().any():
        raise ValueError("groups has missing values")
    g_str = g_arr.astype(str).to_numpy()
    levels = sorted(set(g_str))
    if len(levels) < 2:
        raise ValueError("subgroup analysis needs at least two subgroups")
    lab = meta_fit._labels(meta_fit._column_or_values(data, labels, "labels"), y.size)
    results = {}
    for lev in levels:
        mask = g_str == lev
        results[lev] = meta_analysis(y[mask], v[mask], method=method, test=test, level=level,
                                     labels=[lab[i] for i in np.flatnonzero(mask)],
                                     control=control)
    table = pd.DataFrame([{
        "group": lev, "k": r.k, "estimate": r.estimate, "se": r.se, "pval": r.pval,
        "ci_low": r.ci_low, "ci_high": r.ci_high, "pi_low": r.pi_low, "pi_high": r.pi_high,
        "tau2": r.tau2, "i2": r.i2, "q": r.q,
    } for lev, r in results.items()])
    mixed = meta_fit._fit_model(y, v, _design(pd.DataFrame({"g": g_str}), y.size)[0], method, test,
                       level, meta_fit._control(control))
    est = table["estimate"].to_numpy(dtype=float)
    se = table["se"].to_numpy(dtype=float)
    if np.any(se <= 0):
        sep_q, sep_p = math.nan, math.nan
    else:
        sep = meta_fit._fit_model(est, se**2, _design(pd.DataFrame({"g": levels}), len(levels))[0],
                   "FE", "z", level)
        sep_q, sep_p = sep.qm, sep.qm_pval
    return SubgroupResult(table=table, results=results, q_between=mixed.qm,
                          q_between_df=mixed.qm_df, q_between_pval=mixed.qm_pval,
                          tau2_common=mixed.tau2, q_between_separate=sep_q,
                          q_between_separate_pval=sep_p, method=method, test=mixed.test)
