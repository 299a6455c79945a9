r"""Meta-analysis of the municipalities' changes: random- and fixed-effects models as metafor.

Every number here reproduces R ``metafor`` (Viechtbauer 2010, version 3.8 checked) for the same
call; ``tests/reference/metafor.R`` computes the reference values the tests compare against.

Model (Raudenbush 2009; Viechtbauer 2010). Study :math:`i = 1..k` reports an estimate
:math:`y_i` with known sampling variance :math:`v_i`;
:math:`y_i = x_i'\beta + u_i + e_i`, :math:`u_i \sim N(0, \tau^2)`, :math:`e_i \sim N(0, v_i)`.
With weights :math:`w_i = 1/(v_i + \hat\tau^2)`:
:math:`\hat\beta = (X'WX)^{-1}X'Wy`, :math:`\mathrm{Var}(\hat\beta) = (X'WX)^{-1}`.

The τ² estimators (``method``) and how the fit is computed without forming P:
:mod:`soskulib.meta_fit`. Meta-regression and subgroups: :mod:`soskulib.meta_regression`.

Inference (``test``): ``"z"`` uses the normal distribution; ``"t"`` the t(k - p) distribution
with the model-based variance; ``"knha"`` is Hartung & Knapp (2001)
/ Sidik & Jonkman (2002): :math:`\mathrm{Var}(\hat\beta)` multiplied by
:math:`s^2 = \sum w_i (y_i - x_i'\hat\beta)^2 / (k - p)` (no truncation at 1: metafor's
default), and t(k - p) quantiles for CIs, p values and the prediction interval; ``"adhoc"``
is knha with :math:`\max(1, s^2)` (Knapp & Hartung 2003). All four as metafor's ``test=``.
The confidence level may be given as 0.95 or, as metafor accepts it, as 95.

Further output as metafor: ``MetaResult.confint()`` (Q-profile CI of tau², tau, I², H²;
Viechtbauer 2007), ``fit_stats()``/``loglik``/``deviance``/``aic``/``bic`` (``fitstats``),
``qm``/``qm_pval`` (omnibus test, for the intercept-only model z² or F = t²). Studies with a
missing yi or vi are dropped with a warning (``na.action = "na.omit"``); ``sei=`` takes
standard errors instead of variances.

Heterogeneity statistics: Cochran's :math:`Q = \sum (1/v_i)(y_i - \hat\beta_{FE})^2` on k - p df;
Higgins & Thompson (2002) :math:`I^2 = 100\,\hat\tau^2/(\hat\tau^2 + \tilde v)` and
:math:`H^2 = (\hat\tau^2 + \tilde v)/\tilde v` with metafor's "typical" within-study variance
:math:`\tilde v = (k - p)/\mathrm{tr}(P)` (for p = 1:
:math:`(k - 1)\sum w_i / ((\sum w_i)^2 - \sum w_i^2)`); for FE models
:math:`I^2 = \max\{0, 100(Q - (k-p))/Q\}`, :math:`H^2 = Q/(k - p)`.

Prediction interval (Higgins, Thompson & Spiegelhalter 2009; Riley et al. 2011):
:math:`\hat\mu \pm c\sqrt{\mathrm{SE}^2 + \hat\tau^2}`. Riley et al. recommend
:math:`c = t_{k-2}`; metafor's ``predict()`` (matched here) uses the same critical value as the
CI: the normal quantile for ``test="z"`` and :math:`t_{k-1}` (with the knha SE) for
``test="knha"``. For FE models the PI equals the CI.

Single study (k = 1): like metafor, :math:`\tau^2 = 0`, the test is switched to ``"z"``,
Q = 0, I² = 0, H² = 1.

Examples
--------
The BCG vaccine data of metafor (``dat.bcg``, log risk ratios from ``escalc("RR")``):

>>> import numpy as np
>>> yi = [-0.8893, -1.5854, -1.3481, -1.4416, -0.2175, -0.7861, -1.6209, 0.0120, -0.4694,
...       -1.3713, -0.3394, 0.4459, -0.0173]
>>> vi = [0.3256, 0.1946, 0.4154, 0.0200, 0.0512, 0.0069, 0.2230, 0.0040, 0.0564, 0.0730,
...       0.0124, 0.5325, 0.0714]
>>> res = meta_analysis(yi, vi)                     # R: rma(yi, vi)
>>> print(f"{res.estimate:.4f} {res.tau2:.4f} {res.i2:.2f}")
-0.7145 0.3133 92.21
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from soskulib import formatting, meta_fit
from soskulib.checks import as_float_vector
from soskulib.compat import forwarder
from soskulib.meta_fit import DEFAULT_CONTROL, METHODS, TESTS, ConvergenceError

__all__ = [
    "METHODS",
    "TESTS",
    "MetaResult",
    "Prediction",
    "ConvergenceError",
    "DEFAULT_CONTROL",
    "leave_one_out",
    "meta_analysis",
]

# --------------------------------------------------------------------------------------------
# results
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Prediction:
    """Predicted (average) effect with confidence and prediction interval (metafor ``predict``).

    ``pi_*`` covers the true effect of a new study: ``pred ± crit·sqrt(se² + tau2)``.

    Attributes
    ----------
    pred, se : float
        Predicted average effect and its standard error.
    ci_low, ci_high : float
        Confidence interval of the average effect.
    pi_low, pi_high : float
        Prediction interval for the true effect of a new study.

    Examples
    --------
    >>> p = meta_analysis([0.10, 0.65], [0.02, 0.05], method="DL").predict()  # predict(res)
    >>> print(f"{p.pred:.4f} [{p.pi_low:.4f}, {p.pi_high:.4f}]")
    0.3477 [-0.5091, 1.2046]
    """

    pred: float
    se: float
    ci_low: float
    ci_high: float
    pi_low: float
    pi_high: float


# Bilingual texts of the summary and forest plot. (Candidates for soskulib.labels.)
# The rows of a forest plot here are municipalities (or joint authorities), and what is
# pooled is their before-after change, not an effect: the defaults say so.
TEXT: dict[str, dict[str, str]] = {
    "en": {
        "study": "Municipality", "n": "n", "weight": "Weight", "estimate_ci": "Estimate ({ci})",
        "pooled": "Pooled ({method})", "pi": "Prediction interval", "effect": "Standardised change",
        "heterogeneity": "Heterogeneity: tau² = {tau2:.3f}, I² = {i2:.1f}%, Q = {q:.2f} "
                         "(df = {df}, {qp})",
        "heterogeneity_plot": "Heterogeneity: τ² = {tau2}, I² = {i2}, Q = {q} ({df} df, {qp})",
        "favours_left": "", "favours_right": "",
    },
    "fi": {
        "study": "Kunta", "n": "n", "weight": "Paino", "estimate_ci": "Estimaatti ({ci})",
        "pooled": "Yhdistetty ({method})", "pi": "Ennusteväli", "effect": "Standardoitu muutos",
        "heterogeneity": "Heterogeenisuus: tau² = {tau2:.3f}, I² = {i2:.1f} %, Q = {q:.2f} "
                         "(df = {df}, {qp})",
        "heterogeneity_plot": "Heterogeenisuus: τ² = {tau2}; I² = {i2}; Q = {q} "
                              "(vapausasteita {df}; {qp})",
        "favours_left": "", "favours_right": "",
    },
}

_METHOD_NAMES = {"FE": "FE", "DL": "DL", "REML": "REML", "PM": "PM"}


#: Words of the text summaries (``summary(lang)``) of the model results.
_SUMMARY_WORDS: dict[str, dict[str, str]] = {
    "en": {"model": "{kind} (k = {k}; τ² estimator: {method}; test: {test})",
           "random": "Random-effects model", "fixed": "Fixed-effects model",
           "heterogeneity": "Heterogeneity: τ² = {tau2}, I² = {i2}, Q = {q} (df = {df}, {qp})",
           "estimate": "estimate", "se": "se", "pi": "{pct} PI", "sep": ", ",
           "regression": "Mixed-effects meta-regression (k = {k}; {method}; test {test})",
           "residual": "τ² (residual) = {tau2}, I² = {i2}, R² = {r2}",
           "between_common": "{stat} (mods = subgroup, common τ²) = {q}, {p}",
           "between_separate": "Q_between (separate τ², FE over subgroup estimates) = {q}, {p}"},
    "fi": {"model": "{kind} (k = {k}; τ²-estimaattori: {method}; testi: {test})",
           "random": "Satunnaisvaikutusten malli", "fixed": "Kiinteiden vaikutusten malli",
           "heterogeneity": "Heterogeenisuus: τ² = {tau2}; I² = {i2}; Q = {q} "
                            "(vapausasteita {df}; {qp})",
           "estimate": "estimaatti", "se": "keskivirhe", "pi": "{pct}:n ennusteväli",
           "sep": "; ",
           "regression": "Sekamallin meta-regressio (k = {k}; {method}; testi {test})",
           "residual": "τ² (jäännös) = {tau2}; I² = {i2}; R² = {r2}",
           "between_common": "{stat} ryhmien välillä (moderaattorina alaryhmä, yhteinen τ²) = "
                             "{q}; {p}",
           "between_separate": "Q ryhmien välillä (erilliset τ², FE alaryhmien estimaateista) "
                               "= {q}; {p}"},
}

#: Column names of the result tables in a Finnish summary.
_COLUMNS_FI = {"estimate": "estimaatti", "se": "keskivirhe", "zval": "z", "tval": "t", "pval": "p",
               "ci_low": "lv alaraja", "ci_high": "lv yläraja", "pi_low": "ennusteväli ala",
               "pi_high": "ennusteväli ylä", "tau2": "τ²", "i2": "I² (%)", "q": "Q",
               "group": "ryhmä", "term": "termi"}


def _summary_words(lang: str) -> dict[str, str]:
    if lang not in _SUMMARY_WORDS:
        raise ValueError(f"lang must be 'fi' or 'en', got {lang!r}")
    return _SUMMARY_WORDS[lang]


def _table_text(table: pd.DataFrame, lang: str, *, index: bool = True) -> str:
    """A result table as text: numbers in the style of ``lang``, Finnish headings for "fi"."""
    shown = table.copy()
    for col in shown.columns:
        if pd.api.types.is_float_dtype(shown[col]):
            pvals = str(col) == "pval"
            shown[col] = [formatting.pvalue(v, lang) if pvals else formatting.number(v, lang, 4)
                          for v in shown[col]]
    if lang == "fi":
        shown = shown.rename(columns=_COLUMNS_FI)
        shown.index.name = _COLUMNS_FI.get(str(shown.index.name), shown.index.name)
    return shown.to_string(index=index)


def _fit_stat(name: str, doc: str) -> property:
    """Read-only fit statistic ``name`` of metafor's ``fitstats`` for the model's likelihood."""

    def get(self: MetaResult) -> float:
        tag = "REML" if self.method == "REML" else "ML"
        return float(self.fit_stats().loc[name, tag])

    return property(get, doc=doc)


@dataclass(frozen=True)
class MetaResult:
    """Fitted random-/fixed-effects model without moderators (metafor ``rma(yi, vi)``).

    Attributes follow metafor: ``estimate`` (= ``beta``), ``se``, ``zval`` (a t value under
    ``test="knha"``), ``pval``, ``ci_low``/``ci_high``, ``tau2``, ``se_tau2``, ``i2`` (percent),
    ``h2``, ``q``/``q_pval`` (Cochran's Q), ``pi_low``/``pi_high`` (``predict()``), ``df``
    (t degrees of freedom for knha, NaN for z), ``weights`` (percent, ``weights(res)``).

    Examples
    --------
    >>> res = meta_analysis([0.2, 0.5, 0.4, 0.1], [0.04, 0.02, 0.03, 0.05])  # rma(yi, vi)
    >>> res.k, res.method, res.test, round(res.estimate, 4), round(res.i2, 2)
    (4, 'REML', 'z', 0.351, 4.07)
    >>> res.weights.round(1).tolist()
    [19.8, 38.3, 26.1, 15.9]
    """

    k: int
    estimate: float
    se: float
    ci_low: float
    ci_high: float
    pval: float
    tau2: float
    i2: float
    q: float
    q_pval: float
    pi_low: float
    pi_high: float
    h2: float
    se_tau2: float
    zval: float
    df: float
    method: str
    test: str
    level: float
    yi: np.ndarray = field(repr=False)
    vi: np.ndarray = field(repr=False)
    labels: tuple[str, ...] = field(repr=False)
    n: np.ndarray | None = field(default=None, repr=False)
    _fit: meta_fit._Fit | None = field(default=None, repr=False, compare=False)

    @property
    def tau(self) -> float:
        """Between-study standard deviation, sqrt(tau2)."""
        return math.sqrt(self.tau2)

    @property
    def weights(self) -> np.ndarray:
        """Study weights in percent, 100 w_i / sum(w), w_i = 1/(v_i + tau2) (``weights(res)``)."""
        w = 1.0 / (self.vi + self.tau2)
        return 100 * w / w.sum()

    @property
    def qm(self) -> float:
        """Omnibus test of the intercept (metafor ``res$QM``): z² under ``test="z"``, the F
        statistic t² on (1, k - 1) df otherwise."""
        return math.nan if self._fit is None else float(self._fit.qm)

    @property
    def qm_pval(self) -> float:
        """p value of :attr:`qm` (metafor ``res$QMp``)."""
        return math.nan if self._fit is None else float(self._fit.qm_pval)

    def fit_stats(self) -> pd.DataFrame:
        """Log-likelihood, deviance, AIC, BIC and AICc under ML and REML (metafor ``fitstats``).

        Returns
        -------
        DataFrame
            Index ``ll, dev, AIC, BIC, AICc``; columns ``ML`` and ``REML``. Formulas in
            :func:`_fit_statistics`; R: ``fitstats(res, REML = FALSE)``, ``fitstats(res)``.

        Examples
        --------
        >>> res = meta_analysis([0.2, 0.5, 0.4, 0.1], [0.04, 0.02, 0.03, 0.05], method="ML")
        >>> round(float(res.fit_stats().loc["ll", "ML"]), 4)  # logLik(rma(yi, vi, method="ML"))
        1.6311
        """
        fs = self._fit.fit_stats if self._fit is not None else {}
        rows = ["ll", "dev", "AIC", "BIC", "AICc"]
        return pd.DataFrame({tag: [fs.get(f"{r}_{tag}", math.nan) for r in rows]
                             for tag in ("ML", "REML")}, index=rows)

    loglik = _fit_stat("ll", "Log-likelihood (REML for ``method=\"REML\"``, ML otherwise; "
                       "metafor ``logLik``).")
    deviance = _fit_stat("dev", "Deviance as metafor ``deviance(res)`` (REML: -2 ll; ML: "
                         "against the saturated model).")
    aic = _fit_stat("AIC", "Akaike information criterion (metafor ``AIC(res)``).")
    bic = _fit_stat("BIC", "Bayesian information criterion (metafor ``BIC(res)``).")

    def confint(self, level: float | None = None) -> pd.DataFrame:
        """Q-profile confidence intervals of tau², tau, I² and H² (metafor ``confint(res)``).

        With six to nine municipalities the point estimate of tau² says little; this interval
        is the honest statement of heterogeneity (Viechtbauer 2007, Stat Med 26:37-52).

        Parameters
        ----------
        level : float, optional
            Confidence level (probability or percent); default the model's level.

        Returns
        -------
        DataFrame
            Index ``tau2, tau, i2, h2`` (I² in percent); columns ``estimate, ci_low, ci_high``.
            NaN limits for FE models and k = 1. Formula: see :func:`meta_fit._qprofile`.

        Examples
        --------
        >>> res = meta_analysis([0.2, 0.5, 0.4, 0.1, 0.9], [0.04, 0.02, 0.03, 0.05, 0.03])
        >>> res.confint().round(4).loc["tau2"].tolist()        # confint(rma(yi, vi))
        [0.0584, 0.0, 0.7646]
        """
        if self._fit is None:
            raise ValueError("this result carries no fit to profile")
        lev = self.level if level is None else meta_fit._check_options(self.method, self.test, level)
        return meta_fit._qprofile(self._fit, lev)

    def predict(self, newmods: Any = None) -> Prediction:
        """Average effect with CI and prediction interval, as metafor ``predict(res)``.

        ``newmods`` must be None: a model without moderators predicts one value.

        Parameters
        ----------
        newmods : None
            Must be None (accepted for symmetry with :meth:`MetaRegressionResult.predict`).

        Returns
        -------
        Prediction
            ``pred, se, ci_low, ci_high, pi_low, pi_high``.

        Examples
        --------
        >>> p = meta_analysis([0.10, 0.65], [0.02, 0.05], method="DL").predict()
        >>> round(p.pred, 4), round(p.ci_low, 4)
        (0.3477, -0.1886)
        """
        if newmods is not None:
            raise ValueError("this model has no moderators; use meta_regression() for newmods")
        return Prediction(self.estimate, self.se, self.ci_low, self.ci_high,
                          self.pi_low, self.pi_high)

    def study_table(self) -> pd.DataFrame:
        """One row per study: label, n, yi, vi, se, CI of the study, weight (%).

        Returns
        -------
        DataFrame
            ``label, n, yi, vi, se, ci_low, ci_high, weight``; the study CIs are Wald intervals
            ``yi ± z·sqrt(vi)`` (normal quantile also under knha, as metafor's ``forest``).

        Examples
        --------
        >>> res = meta_analysis([0.10, 0.65], [0.02, 0.05], method="FE", labels=["A", "B"])
        >>> res.study_table()[["label", "yi", "weight"]].round(2)
          label    yi  weight
        0     A  0.10   71.43
        1     B  0.65   28.57
        """
        crit = float(stats.norm.isf((1 - self.level) / 2))
        sei = np.sqrt(self.vi)
        return pd.DataFrame({
            "label": list(self.labels),
            "n": self.n if self.n is not None else np.full(self.k, np.nan),
            "yi": self.yi, "vi": self.vi, "se": sei,
            "ci_low": self.yi - crit * sei, "ci_high": self.yi + crit * sei,
            "weight": self.weights,
        })

    def to_frame(self) -> pd.DataFrame:
        """The pooled result as a one-row DataFrame (columns = the contract's attributes).

        Returns
        -------
        DataFrame
            Columns ``k, estimate, se, zval, pval, ci_low, ci_high, pi_low, pi_high, tau2, se_tau2,
            i2, h2, q, q_pval, df, method, test, level``.

        Examples
        --------
        >>> res = meta_analysis([0.10, 0.65], [0.02, 0.05], method="FE")
        >>> res.to_frame()[["k", "estimate"]].round(4)
           k  estimate
        0  2    0.2571
        """
        cols = ["k", "estimate", "se", "zval", "pval", "ci_low", "ci_high", "pi_low", "pi_high",
                "tau2", "se_tau2", "i2", "h2", "q", "q_pval", "df", "method", "test", "level"]
        return pd.DataFrame([{c: getattr(self, c) for c in cols}])

    def summary(self, lang: str = "fi") -> str:
        """Readable text summary (what metafor's ``print(res)`` shows), in Finnish or English.

        Numbers follow :mod:`soskulib.formatting` (decimal comma, true minus and "p < 0,001"
        in Finnish), as everywhere in the library; ``str(result)`` is the Finnish summary.

        Parameters
        ----------
        lang : {"fi", "en"}
            Language of the words and of the number style (default Finnish, as the
            library's figures and report text).

        Returns
        -------
        str
            Model line, heterogeneity (τ², I², Q), H², estimate with SE, test statistic
            and p, confidence and prediction interval.

        Examples
        --------
        >>> print(meta_analysis([0.10, 0.65], [0.02, 0.05], method="FE").summary("en"))
        Fixed-effects model (k = 2; τ² estimator: FE; test: z)
        Heterogeneity: τ² = 0.000, I² = 76.9%, Q = 4.32 (df = 1, p = 0.04)
        H² = 4.32
        estimate = 0.2571, se = 0.1195, z = 2.151, p = 0.03
        95% CI 0.0229–0.4914, 95% PI 0.0229–0.4914
        >>> fi = meta_analysis([0.10, 0.65], [0.02, 0.05], method="FE").summary()
        >>> print(fi.replace("\\xa0", " "))  # no-break spaces ("76,9 %") shown as spaces
        Kiinteiden vaikutusten malli (k = 2; τ²-estimaattori: FE; testi: z)
        Heterogeenisuus: τ² = 0,000; I² = 76,9 %; Q = 4,32 (vapausasteita 1; p = 0,04)
        H² = 4,32
        estimaatti = 0,2571; keskivirhe = 0,1195; z = 2,151; p = 0,03
        95 %:n lv 0,0229–0,4914; 95 %:n ennusteväli 0,0229–0,4914
        """
        w = _summary_words(lang)
        num = formatting.number
        stat_name = "z" if self.test == "z" else "t"
        sep = w["sep"]
        lines = [
            w["model"].format(kind=w["fixed" if self.method == "FE" else "random"], k=self.k,
                              method=self.method, test=self.test),
            w["heterogeneity"].format(
                tau2=num(self.tau2, lang, 3), i2=formatting.percent(self.i2, lang, 1),
                q=num(self.q, lang, 2), df=max(self.k - 1, 0),
                qp=formatting.p_equation(self.q_pval, lang)),
            f"H² = {num(self.h2, lang, 2)}",
            sep.join([f"{w['estimate']} = {num(self.estimate, lang, 4)}",
                      f"{w['se']} = {num(self.se, lang, 4)}",
                      f"{stat_name} = {num(self.zval, lang, 3)}",
                      formatting.p_equation(self.pval, lang)]),
            sep.join([f"{formatting.ci_label(lang, self.level)} "
                      f"{formatting.interval(self.ci_low, self.ci_high, lang, 4)}",
                      f"{w['pi'].format(pct=formatting.percent(100 * self.level, lang, 0))} "
                      f"{formatting.interval(self.pi_low, self.pi_high, lang, 4)}"]),
        ]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()

    def plot(self, **kwargs: Any) -> Any:
        """Forest plot of this result (:func:`soskulib.meta_plots.forest_plot`).

        Parameters
        ----------
        **kwargs
            Any keyword argument of :func:`~soskulib.meta_plots.forest_plot` (``lang``,
            ``xlabel``, ``refline``, ...).

        Returns
        -------
        matplotlib.figure.Figure

        Examples
        --------
        >>> fig = meta_analysis([0.10, 0.65], [0.02, 0.05]).plot(lang="fi")  # doctest: +SKIP
        """
        from soskulib.meta_plots import forest_plot

        return forest_plot(self, **kwargs)


def _text(lang: str) -> dict[str, str]:
    if lang not in TEXT:
        raise ValueError(f"unknown language {lang!r}; use one of {', '.join(TEXT)}")
    return TEXT[lang]


def _result_from_fit(fit: meta_fit._Fit, labels: Sequence[str], n: np.ndarray | None) -> MetaResult:
    pred = meta_fit._predict(fit, np.ones((1, 1))).iloc[0]
    return MetaResult(
        k=fit.k, estimate=float(fit.beta[0]), se=float(fit.se[0]), ci_low=float(fit.ci_low[0]),
        ci_high=float(fit.ci_high[0]), pval=float(fit.pval[0]), tau2=fit.tau2, i2=fit.i2,
        q=fit.qe, q_pval=fit.qe_pval, pi_low=float(pred["pi_low"]),
        pi_high=float(pred["pi_high"]), h2=fit.h2, se_tau2=fit.se_tau2,
        zval=float(fit.stat[0]), df=fit.ddf, method=fit.method, test=fit.test,
        level=fit.level, yi=fit.yi, vi=fit.vi, labels=tuple(labels), n=n, _fit=fit)


def meta_analysis(yi: Any, vi: Any = None, method: str = "REML", test: str = "z",
                  level: float = 0.95, *, sei: Any = None, data: pd.DataFrame | None = None,
                  labels: Any = None, n: Any = None,
                  control: Mapping[str, float] | None = None) -> MetaResult:
    """Pool study estimates with a fixed- or random-effects model (metafor ``rma.uni``).

    Parameters
    ----------
    yi, vi : array-like or str
        Estimates and their sampling variances (not standard errors); column names when
        ``data`` is given. ``vi`` must be positive. Studies with a missing ``yi`` or ``vi``
        are left out with a ``UserWarning`` naming them (metafor's ``na.action = "na.omit"``).
    method : {"REML", "DL", "PM", "ML", "HE", "SJ", "EB", "HS", "FE"}
        tau² estimator (see the module docstring for formulas and sources).
    test : {"z", "t", "knha", "adhoc"}
        Normal-based inference; t(k - 1) without adjustment; Hartung-Knapp-Sidik-Jonkman with
        t(k - 1); or the same with the variance factor truncated at 1 (Knapp & Hartung 2003).
    level : float
        Confidence level of CI and prediction interval, as a probability (0.95) or, as
        metafor accepts it, a percentage (95).
    sei : array-like or str, optional
        Standard errors instead of ``vi`` (``vi = sei**2``), as metafor's ``sei=``.
    data : DataFrame, optional
        Source of the columns named by ``yi``, ``vi``, ``labels`` and ``n``.
    labels, n : array-like or str, optional
        Study labels and sample sizes, used by summaries and the forest plot.
    control : dict, optional
        Iteration settings as metafor's ``control`` (see ``DEFAULT_CONTROL``), e.g.
        ``{"stepadj": 0.5}`` when REML's Fisher scoring oscillates (ConvergenceError).

    Returns
    -------
    MetaResult

    Notes
    -----
    R equivalent: ``res <- rma(yi, vi, method=method, test=test, level=100*level);
    predict(res)``. Results agree with metafor 3.8 to about 1e-8 (tests use 1e-5).

    Examples
    --------
    >>> res = meta_analysis([0.10, 0.65], [0.02, 0.05], method="DL")  # rma(..., method="DL")
    >>> print(f"{res.estimate:.4f} [{res.ci_low:.4f}, {res.ci_high:.4f}] tau2={res.tau2:.5f}")
    0.3477 [-0.1886, 0.8841] tau2=0.11625
    >>> knha = meta_analysis([0.10, 0.65], [0.02, 0.05], method="DL", test="knha")
    >>> print(f"{knha.ci_low:.3f} {knha.ci_high:.3f}")                 # t(1) quantile
    -3.129 3.825
    >>> import pandas as pd
    >>> df = pd.DataFrame({"g": [0.2, 0.5, 0.4], "v": [0.04, 0.02, 0.03]})
    >>> meta_analysis(data=df, yi="g", vi="v", method="FE").k
    3
    """
    level = meta_fit._check_options(method, test, level)
    con = meta_fit._control(control)
    yi = meta_fit._column_or_values(data, yi, "yi")
    vi = meta_fit._variances(meta_fit._column_or_values(data, vi, "vi"), meta_fit._column_or_values(data, sei, "sei"))
    labels = meta_fit._column_or_values(data, labels, "labels")
    n = meta_fit._column_or_values(data, n, "n")
    y, v = as_float_vector(yi, "yi"), as_float_vector(vi, "vi")
    if labels is None and isinstance(yi, pd.Series) and not isinstance(yi.index, pd.RangeIndex):
        labels = yi.index
    n_arr = None if n is None else as_float_vector(n, "n")
    if n_arr is not None and n_arr.size != y.size:
        raise ValueError(f"n has {n_arr.size} entries but there are {y.size} studies")
    lab = meta_fit._labels(labels, y.size) if y.size == v.size else []
    if y.size == v.size:
        y, v, missing = meta_fit._drop_missing(y, v, lab)
        lab = [x for x, m in zip(lab, missing, strict=True) if not m]
        n_arr = None if n_arr is None else n_arr[~missing]
    y, v = meta_fit._validate(y, v)
    fit = meta_fit._fit_model(y, v, np.ones((y.size, 1)), method, test, level, con)
    return _result_from_fit(fit, lab, n_arr)


def leave_one_out(result_or_yi: MetaResult | Any, vi: Any = None, method: str = "REML",
                  test: str = "z", level: float = 0.95,
                  control: Mapping[str, float] | None = None) -> pd.DataFrame:
    """Refit the model k times, each time leaving one study out (metafor ``leave1out``).

    Parameters
    ----------
    result_or_yi : MetaResult or array-like
        A fitted result (its method, test and level are reused) or the estimates ``yi``.
    vi, method, test, level
        As in :func:`meta_analysis` when ``yi`` is given.
    control : dict, optional
        Iteration settings as in :func:`meta_analysis` (ignored when a result is given: its own
        settings are reused).

    Returns
    -------
    DataFrame
        One row per omitted study: ``label, estimate, se, zval, pval, ci_low, ci_high, q,
        q_pval, tau2, i2, h2``.

    Notes
    -----
    R: ``leave1out(rma(yi, vi, method=method, test=test))``. A fit on one remaining study
    switches to the z test, as metafor does. A refit whose iteration does not converge
    (:class:`ConvergenceError`) gives NaN in its row and a ``RuntimeWarning`` naming the
    study, while the other rows are returned, as metafor's ``leave1out`` puts NA there.

    Examples
    --------
    >>> loo = leave_one_out([0.1, 0.5, 0.3], [0.02, 0.03, 0.04], method="FE")
    >>> loo["estimate"].round(4).tolist()
    [0.4143, 0.1667, 0.26]
    """
    if isinstance(result_or_yi, MetaResult):
        res = result_or_yi
        y, v, labels = res.yi, res.vi, list(res.labels)
        method, test, level = res.method, res.test, res.level
        con = res._fit.con if res._fit is not None else meta_fit._control(control)
    else:
        level = meta_fit._check_options(method, test, level)
        con = meta_fit._control(control)
        y, v = meta_fit._validate(result_or_yi, vi)
        labels = meta_fit._labels(None, y.size)
    k = y.size
    if k < 2:
        raise ValueError("leave-one-out needs at least 2 studies")
    rows = []
    failed = []
    for i in range(k):  # k small model refits, not a loop over client data
        try:
            fit = meta_fit._fit_model(np.delete(y, i), np.delete(v, i), np.ones((k - 1, 1)), method,
                             test, level, con)
        except ConvergenceError:
            # metafor's leave1out(): a refit that fails gives NA in its row, the rest stays
            failed.append(labels[i])
            rows.append({"label": labels[i]})
            continue
        rows.append({
            "label": labels[i], "estimate": fit.beta[0], "se": fit.se[0], "zval": fit.stat[0],
            "pval": fit.pval[0], "ci_low": fit.ci_low[0], "ci_high": fit.ci_high[0],
            "q": fit.qe, "q_pval": fit.qe_pval, "tau2": fit.tau2, "i2": fit.i2, "h2": fit.h2,
        })
    if failed:
        warnings.warn(f"leave-one-out: the {method} refit without study/studies "
                      f"{', '.join(failed)} did not converge; those rows are NaN (as metafor's "
                      "leave1out)", RuntimeWarning, stacklevel=2)
    columns = ["label", "estimate", "se", "zval", "pval", "ci_low", "ci_high", "q", "q_pval",
               "tau2", "i2", "h2"]
    return pd.DataFrame(rows, columns=columns)


# Names that moved to another module keep working, with a DeprecationWarning (soskulib.compat).
__getattr__ = forwarder("meta")[0]
