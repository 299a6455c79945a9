"""Standardised change of paired (pre/post) data, from client rows or group summaries, with CIs.

Kinds follow Lakens (2013), "Calculating and reporting effect sizes to facilitate cumulative
science", Frontiers in Psychology 4:863, doi:10.3389/fpsyg.2013.00863:

========  ==================================================  ==========================
kind      estimate                                            CI method
========  ==================================================  ==========================
``dz``    mean(d) / sd(d), d = post - pre                     noncentral t (exact)
``srm``   same number as ``dz`` (responsiveness literature)   noncentral t (exact)
``dav``   mean(d) / ((sd_pre + sd_post) / 2)                  Algina & Keselman (2003)
``gav``   J · d_av, J = 1 - 3 / (4(n - 1) - 1)               Algina & Keselman, × J
========  ==================================================  ==========================

Only complete pairs are used (a client with a missing pre or post value is dropped). All
kinds are signed as post minus pre: orient them (e.g. multiply by -1 for WHODAS, where lower is
better) where the report needs "positive = improvement".

From per-group summaries (:func:`soskulib.change.change_table`), :func:`smcr` gives the
standardised mean change as metafor's ``escalc`` (SMCR with raw-score standardisation, SMCC
with change-score standardisation, exact bias correction :func:`hedges_j_exact`), oriented so
that positive means improvement: the input of the national meta-analysis.

Examples
--------
>>> from soskulib.effectsize import paired_effect_size
>>> movie1 = [9, 7, 8, 9, 8, 9, 9, 10, 9, 9]
>>> movie2 = [9, 6, 7, 8, 7, 9, 8, 8, 8, 7]
>>> es = paired_effect_size(movie2, movie1, kind="dz")   # Lakens (2013) Table 2
>>> round(es.estimate, 2), es.n
(1.5, 10)
>>> round(paired_effect_size(movie2, movie1, kind="dav").estimate, 2)
1.13
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats
from scipy.special import gammaln

from soskulib.checks import as_float_pair, confidence_level, require_columns

KINDS = ("dz", "dav", "gav", "srm")


@dataclass(frozen=True)
class EffectSize:
    """A standardised paired effect size with its confidence interval.

    Attributes
    ----------
    estimate : float
        Point estimate (post minus pre, standardised).
    ci_low, ci_high : float
        Confidence limits at level ``ci``.
    n : int
        Number of complete pairs used.
    kind : str
        ``"dz"``, ``"dav"``, ``"gav"`` or ``"srm"``.
    ci : float
        Confidence level.
    method : str
        How the interval was computed (for reports).

    Examples
    --------
    >>> es = paired_effect_size([9, 7, 8, 9, 8, 9, 9, 10, 9, 9], [9, 6, 7, 8, 7, 9, 8, 8, 8, 7])
    >>> es.kind, es.n, round(es.estimate, 2), es.method
    ('dz', 10, -1.5, 'noncentral t (Goulet-Pelletier & Cousineau 2018)')
    """

    estimate: float
    ci_low: float
    ci_high: float
    n: int
    kind: str
    ci: float = 0.95
    method: str = ""

    def to_dict(self) -> dict[str, float | int | str]:
        """The result as a plain dict (for tables and JSON).

        Returns
        -------
        dict
            Keys ``kind, estimate, ci_low, ci_high, n, ci, method``.

        Examples
        --------
        >>> EffectSize(0.5, 0.1, 0.9, 30, "dz").to_dict()["estimate"]
        0.5
        """
        return {"kind": self.kind, "estimate": self.estimate, "ci_low": self.ci_low,
                "ci_high": self.ci_high, "n": self.n, "ci": self.ci, "method": self.method}


def hedges_j(df: float | np.ndarray) -> float | np.ndarray:
    """Small-sample bias correction J = 1 - 3 / (4·df - 1) (Hedges 1981 approximation).

    Parameters
    ----------
    df : float or array
        Degrees of freedom; for paired data df = n - 1 (Lakens 2013, eq. 4 applied to g_av).

    Returns
    -------
    float or ndarray
        The correction factor J (multiply d by it); same shape as ``df``.

    Examples
    --------
    >>> round(float(hedges_j(9)), 6)
    0.914286
    """
    return 1.0 - 3.0 / (4.0 * np.asarray(df, dtype=float) - 1.0)


def nct_ci(t: float | np.ndarray, df: float | np.ndarray, level: float = 0.95,
           ) -> tuple[np.ndarray, np.ndarray]:
    """Confidence limits for the noncentrality parameter of a noncentral t (vectorised).

    Finds ``lam_low`` and ``lam_high`` with ``P(T <= t | df, lam_low) = 1 - alpha/2`` and
    ``P(T <= t | df, lam_high) = alpha/2`` by bisection on :func:`scipy.stats.nct.cdf`
    (Steiger & Fouladi 1997; Goulet-Pelletier & Cousineau 2018, TQMP 14(4):242-265).
    R equivalent: ``uniroot(function(l) pt(t, df, ncp = l) - (1 - alpha/2), ...)``.

    Parameters
    ----------
    t : float or array
        Observed t statistic(s).
    df : float or array
        Degrees of freedom (> 0).
    level : float
        Confidence level in (0, 1).

    Returns
    -------
    (ndarray, ndarray)
        Lower and upper limits; NaN where ``t`` or ``df`` is not finite or ``df <= 0``.

    Examples
    --------
    >>> lo, hi = nct_ci(0.0, 9)
    >>> bool(np.isclose(lo, -hi))
    True
    """
    confidence_level(level)
    t_arr, df_arr = np.broadcast_arrays(np.asarray(t, dtype=float), np.asarray(df, dtype=float))
    ok = np.isfinite(t_arr) & np.isfinite(df_arr) & (df_arr > 0)
    t_ok, df_ok = t_arr[ok], df_arr[ok]
    alpha = 1.0 - level
    # The ncp limits lie within t ± a few standard errors of the ncp estimate,
    # sqrt(1 + t²/(2 df)); a tight bracket keeps scipy's nct.cdf in its accurate range
    # (far from t it can return NaN, e.g. nct.cdf(4.6, 62, -5)).
    spread = 1.0 + 8.0 * np.sqrt(1.0 + t_ok**2 / (2.0 * df_ok)) * stats.norm.ppf(1 - alpha / 4)
    limits = []
    for target in (1.0 - alpha / 2.0, alpha / 2.0):
        lo, hi = t_ok - spread, t_ok + spread
        # nct.cdf(t; ncp) decreases in ncp: move the bracket end that keeps the root inside.
        # Where the cdf is not computable the ncp is far from t: below t the cdf is ~1.
        for _ in range(200):
            mid = 0.5 * (lo + hi)
            cdf = stats.nct.cdf(t_ok, df_ok, mid)
            above = np.where(np.isnan(cdf), mid < t_ok, cdf > target)
            lo = np.where(above, mid, lo)
            hi = np.where(above, hi, mid)
            if np.all(hi - lo < 1e-12 * (1.0 + np.abs(mid))):
                break
        out = np.full(t_arr.shape, np.nan)
        out[ok] = 0.5 * (lo + hi)
        limits.append(out)
    return limits[0], limits[1]


def paired_effect_size(pre: object, post: object, kind: str = "dz", ci: float = 0.95,
                       ) -> EffectSize:
    """Standardised mean change of paired observations (post minus pre).

    Parameters
    ----------
    pre, post : array-like of float
        Paired scores of the same clients, same length; pairs with a NaN are dropped.
    kind : {"dz", "dav", "gav", "srm"}
        * ``"dz"``: Cohen's d_z = M_diff / SD_diff (Lakens 2013, eq. 6). CI: exact
          noncentral-t inversion of t = d_z·√n with df = n - 1, limits divided by √n
          (Goulet-Pelletier & Cousineau 2018). No bias correction.
        * ``"srm"``: standardised response mean (Liang, Fossel & Larson 1990), numerically the
          same as d_z; reported under its responsiveness-literature name, same CI.
        * ``"dav"``: Cohen's d_av = M_diff / ((SD_pre + SD_post) / 2) (Lakens 2013, eq. 10;
          Cumming 2012). CI: Algina & Keselman (2003) approximation: noncentral-t limits for the
          paired t statistic t = M_diff / (SD_diff/√n), rescaled to the d_av metric by
          multiplying with SD_diff / (√n · SD_av). No bias correction.
        * ``"gav"``: Hedges' g_av = J · d_av with J = 1 - 3 / (4(n - 1) - 1) (Lakens 2013;
          Hedges' approximation, not the exact gamma form). CI: the d_av limits times J.
    ci : float
        Confidence level.

    Returns
    -------
    EffectSize
        ``estimate, ci_low, ci_high, n, kind`` (+ ``ci``, ``method``).

    Notes
    -----
    R equivalents: d_z with its CI is
    ``t <- mean(d)/sd(d)*sqrt(n); uniroot(function(l) pt(t, n-1, ncp=l) - .975, ...)$root/sqrt(n)``
    (see ``tests/reference/effectsize.R``, which also gives d_av/g_av). Fewer than two
    complete pairs, or zero spread, give NaN.

    Examples
    --------
    >>> es = paired_effect_size([9, 7, 8, 9, 8, 9, 9, 10, 9, 9], [9, 6, 7, 8, 7, 9, 8, 8, 8, 7])
    >>> round(es.estimate, 2), round(es.ci_low, 2), round(es.ci_high, 2)
    (-1.5, -2.4, -0.56)
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}; got {kind!r}")
    confidence_level(ci)
    x, y = as_float_pair(pre, post, ("pre", "post"))
    keep = np.isfinite(x) & np.isfinite(y)
    x, y = x[keep], y[keep]
    stats_ = paired_summary(x, y)
    est, low, high, method = _effect_from_summary(stats_, kind, ci)
    return EffectSize(float(est), float(low), float(high), int(stats_["n"]), kind, float(ci), method)


def paired_summary(pre: np.ndarray, post: np.ndarray) -> dict[str, float]:
    """Sufficient statistics of complete pairs: n, means, SDs (n - 1), r, change mean/SD.

    Parameters
    ----------
    pre, post : ndarray of float
        Complete pairs only (drop NaN first), same length.

    Returns
    -------
    dict
        ``n, mean_pre, sd_pre, mean_post, sd_post, mean_change, sd_change, r_prepost`` (SDs with
        n - 1, Pearson r); SDs and r are NaN for fewer than two pairs.

    Examples
    --------
    >>> s = paired_summary(np.array([1.0, 2.0, 3.0]), np.array([2.0, 4.0, 5.0]))
    >>> s["n"], s["mean_change"], round(s["r_prepost"], 4)
    (3, 1.6666666666666667, 0.982)
    """
    n = pre.size
    if n < 2:
        nan = float("nan")
        return {"n": n, "mean_pre": float(np.mean(pre)) if n else nan, "sd_pre": nan,
                "mean_post": float(np.mean(post)) if n else nan, "sd_post": nan,
                "mean_change": float(np.mean(post - pre)) if n else nan, "sd_change": nan,
                "r_prepost": nan}
    diff = post - pre
    sd_pre, sd_post = np.std(pre, ddof=1), np.std(post, ddof=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        r = np.sum((pre - pre.mean()) * (post - post.mean())) / ((n - 1) * sd_pre * sd_post)
    return {"n": n, "mean_pre": float(pre.mean()), "sd_pre": float(sd_pre),
            "mean_post": float(post.mean()), "sd_post": float(sd_post),
            "mean_change": float(diff.mean()), "sd_change": float(np.std(diff, ddof=1)),
            "r_prepost": float(r)}


def effect_from_summaries(summary: pd.DataFrame, kind: str = "dz", ci: float = 0.95,
                          ) -> pd.DataFrame:
    """Vectorised effect sizes from per-group summaries (columns as :func:`paired_summary`).

    Used by :func:`soskulib.change.change_table`; returns columns ``estimate, ci_low,
    ci_high`` on the same index. Formulas as in :func:`paired_effect_size`.

    Parameters
    ----------
    summary : DataFrame
        One row per group with ``n``, ``mean_change``, ``sd_change`` and, for ``"dav"``/``"gav"``,
        ``sd_pre`` and ``sd_post``.
    kind : {"dz", "dav", "gav", "srm"}
        Effect-size kind, as in :func:`paired_effect_size`.
    ci : float
        Confidence level.

    Returns
    -------
    DataFrame
        ``estimate, ci_low, ci_high``, same index as ``summary``; NaN where ``n < 2`` or the
        change SD is 0.

    Examples
    --------
    >>> s = pd.DataFrame({"n": [10], "mean_change": [1.0], "sd_change": [2 / 3],
    ...                   "sd_pre": [0.8233], "sd_post": [0.9487]})
    >>> round(float(effect_from_summaries(s)["estimate"].iloc[0]), 2)
    1.5
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}; got {kind!r}")
    cols = {c: summary[c].to_numpy(dtype=float) for c in ("n", "mean_change", "sd_change")}
    if kind in ("dav", "gav"):
        cols["sd_pre"] = summary["sd_pre"].to_numpy(dtype=float)
        cols["sd_post"] = summary["sd_post"].to_numpy(dtype=float)
    est, low, high, _ = _effect_from_summary(cols, kind, ci)
    return pd.DataFrame({"estimate": est, "ci_low": low, "ci_high": high}, index=summary.index)


def _effect_from_summary(s: dict, kind: str, ci: float):
    n = np.asarray(s["n"], dtype=float)
    mean_d = np.asarray(s["mean_change"], dtype=float)
    sd_d = np.asarray(s["sd_change"], dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        n_ok = np.where(n >= 2, n, np.nan)
        se = sd_d / np.sqrt(n_ok)
        t = np.where(sd_d > 0, mean_d / se, np.nan)
        lam_low, lam_high = nct_ci(t, n_ok - 1.0, ci)
        if kind in ("dz", "srm"):
            scale = np.sqrt(n_ok)
            est = t / scale
            low, high = lam_low / scale, lam_high / scale
            method = "noncentral t (Goulet-Pelletier & Cousineau 2018)"
        else:
            sd_av = (np.asarray(s["sd_pre"], dtype=float) + np.asarray(s["sd_post"], dtype=float)) / 2
            sd_av = np.where(sd_av > 0, sd_av, np.nan)
            est = mean_d / sd_av
            factor = se / sd_av
            low, high = lam_low * factor, lam_high * factor
            method = "noncentral t rescaled (Algina & Keselman 2003)"
            if kind == "gav":
                j = hedges_j(n_ok - 1.0)
                est, low, high = est * j, low * j, high * j
                method += ", Hedges J = 1 - 3/(4(n-1)-1)"
    return est, low, high, method


def hedges_j_exact(m: float | np.ndarray) -> np.ndarray:
    r"""Exact small-sample bias correction J(m) = Γ(m/2) / (√(m/2) Γ((m-1)/2)) (metafor's).

    Hedges (1981); metafor's ``escalc`` uses this exact form (``.cmicalc``), which
    :func:`hedges_j` approximates by 1 - 3/(4m - 1). Computed on the log scale as
    :math:`\exp(\ln\Gamma(m/2) - \tfrac12\ln(m/2) - \ln\Gamma((m-1)/2))`. metafor writes the middle
    term ``log(sqrt(m/2))``, which rounds twice: against the exact value (mpmath, 60 digits)
    the form here is within 7e-17 (relative) for m = 4, 6, 9, where metafor's is off by up to
    3e-16 (one or two units in the last place); for the other m up to 999 the two agree to the bit.
    Both lose digits as m grows (relative error 1e-13 at m = 199): the difference of two large
    log-gammas.

    Parameters
    ----------
    m : float or array
        Degrees of freedom; for a standardised mean change m = n - 1.

    Returns
    -------
    ndarray
        J, NaN where m <= 1.

    Examples
    --------
    >>> round(float(hedges_j_exact(9)), 6)   # R: metafor:::.cmicalc(9)
    0.913875
    """
    m = np.asarray(m, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        j = np.exp(gammaln(m / 2) - 0.5 * np.log(m / 2) - gammaln((m - 1) / 2))
    return np.where(m <= 1, np.nan, j)


def smcr(table: pd.DataFrame, *, higher_is_better: bool = True, measure: str = "SMCR",
         keep: Sequence[str] | None = None) -> pd.DataFrame:
    r"""Standardised mean change per group from a change table (metafor ``escalc``).

    Parameters
    ----------
    table : DataFrame
        Columns ``n, mean_pre, sd_pre, mean_post, r_prepost`` (``sd_post`` too for SMCC),
        one row per group/municipality, as produced by :func:`soskulib.change.change_table`.
    higher_is_better : bool
        When False (e.g. WHODAS, where higher = more disability) the sign is flipped so that a
        positive ``yi`` always means improvement.
    measure : {"SMCR", "SMCC"}
        ``"SMCR"``: raw-score standardisation (Becker 1988),
        :math:`y = J\,(\bar x_{post} - \bar x_{pre})/SD_{pre}`,
        :math:`v = 2(1 - r)/n + y^2/(2n)`.
        ``"SMCC"``: change-score standardisation (Gibbons et al. 1993),
        :math:`y = J\,(\bar x_{post} - \bar x_{pre})/SD_{diff}`,
        :math:`SD_{diff} = \sqrt{SD_{pre}^2 + SD_{post}^2 - 2 r SD_{pre} SD_{post}}`,
        :math:`v = 1/n + y^2/(2n)`.
        Both use metafor's exact bias correction
        :math:`J = \Gamma(m/2) / (\sqrt{m/2}\,\Gamma((m-1)/2))`, m = n - 1 (close to the
        approximation 1 - 3/(4m - 1)), and metafor's large-sample variance (``vtype="LS"``).
    keep : sequence of str, optional
        Extra columns of ``table`` to carry over (e.g. ``["municipality"]``); by default all
        columns are kept.

    Returns
    -------
    DataFrame
        ``table`` with added columns ``yi`` and ``vi`` (ready for :func:`soskulib.meta.meta_analysis`).

    Notes
    -----
    R: ``escalc(measure="SMCR", m1i=mean_post, m2i=mean_pre, sd1i=sd_pre, ni=n,
    ri=r_prepost)``; ``escalc(measure="SMCC", m1i=mean_post, m2i=mean_pre, sd1i=sd_post,
    sd2i=sd_pre, ni=n, ri=r_prepost)``.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"n": [25], "mean_pre": [20.1], "sd_pre": [5.2],
    ...                   "mean_post": [23.4], "r_prepost": [0.55]})
    >>> smcr(t)[["yi", "vi"]].round(5).to_numpy().tolist()
    [[0.61454, 0.04355]]
    """
    if measure not in ("SMCR", "SMCC"):
        raise ValueError(f"unknown measure {measure!r}; use 'SMCR' or 'SMCC'")
    needed = ["n", "mean_pre", "sd_pre", "mean_post", "r_prepost"]
    if measure == "SMCC":
        needed.append("sd_post")
    require_columns(table, needed, "smcr", "pass a change table (change.change_table)")
    num = {c: pd.to_numeric(table[c], errors="coerce").to_numpy(dtype=float) for c in needed}
    n, r = num["n"], num["r_prepost"]
    if np.any(n <= 1):
        raise ValueError("every group needs n >= 2 for a standardised mean change")
    if np.any(np.abs(r) > 1):
        raise ValueError("r_prepost must lie in [-1, 1]")
    if np.any(num["sd_pre"] < 0) or (measure == "SMCC" and np.any(num["sd_post"] < 0)):
        raise ValueError("standard deviations must be non-negative")
    j = hedges_j_exact(n - 1)
    diff = num["mean_post"] - num["mean_pre"]
    if measure == "SMCR":
        yi = j * diff / num["sd_pre"]
        vi = 2 * (1 - r) / n + yi**2 / (2 * n)
    else:
        sd_diff = np.sqrt(num["sd_pre"] ** 2 + num["sd_post"] ** 2
                          - 2 * r * num["sd_pre"] * num["sd_post"])
        yi = j * diff / sd_diff
        vi = 1 / n + yi**2 / (2 * n)
    if not higher_is_better:
        yi = -yi  # vi depends on yi only through yi^2
    out = table[list(keep)].copy() if keep is not None else table.copy()
    out["yi"] = yi
    out["vi"] = vi
    return out
