r"""Combined outcome over several correlated instruments per municipality.

Several instruments measured on the same clients of a municipality give correlated effect
sizes; pooling them as independent studies overstates the precision. This module fits the
correlated-and-hierarchical working model of metafor's ``rma.mv`` and reports cluster-robust
(sandwich) inference as metafor's ``robust()``, which stays valid when the assumed
within-municipality correlation is wrong (Hedges, Tipton & Johnson 2010, Res Synth Methods
1:39-65; Pustejovsky & Tipton 2022, Prev Sci 23:425-438).

Model. Effect :math:`y_{ji}` of instrument i in municipality j, sampling variance
:math:`v_{ji}`:
:math:`y_{ji} = \mu + u_j + e_{ji}`, :math:`u_j \sim N(0, \sigma^2)`,
:math:`\mathrm{Cov}(e_{ji}, e_{ji'}) = \rho\sqrt{v_{ji}v_{ji'}}` (:math:`i \ne i'`),
:math:`\mathrm{Var}(e_{ji}) = v_{ji}`. The within-municipality sampling correlation
:math:`\rho` is **assumed** (not estimable from the summary data; the correlation of two
instruments' change scores in the same clients is the natural choice) and is reported with
every result. :math:`\Sigma_j = V_j + \sigma^2 J`; :math:`\hat\sigma^2` maximises the
restricted likelihood

.. math:: \ell_R = -\tfrac12\big[(N-p)\log 2\pi - \log|X'X| + \sum_j\log|\Sigma_j|
          + \log|X'\Sigma^{-1}X| + r'\Sigma^{-1}r\big]

(metafor's full REML likelihood) over :math:`\sigma^2 \ge 0` (Brent's method on a log scale of
:math:`\sigma^2`, plus the boundary), and :math:`\hat\beta = (X'WX)^{-1}X'Wy`,
:math:`W = \hat\Sigma^{-1}`, model-based :math:`\mathrm{Var}(\hat\beta) = (X'WX)^{-1}` with
z tests, as ``rma.mv(yi, V, random = ~ 1 | municipality)``.

Robust inference (metafor ``robust(fit, cluster = municipality)``, ``adjust = TRUE``):
:math:`V^R = \frac{m}{m-p} B\,\big[\sum_j X_j'W_j e_j e_j'W_j X_j\big]\,B`,
:math:`B = (X'WX)^{-1}`, m municipalities, residuals :math:`e_j = y_j - X_j\hat\beta`;
t tests and CIs on m - p degrees of freedom (CR1 with the small-sample factor m/(m - p)).

Small-sample robust inference (Pustejovsky & Tipton 2018, J Bus Econ Stat 36:672-683; R
``clubSandwich::coef_test(fit, vcov = "CR2", cluster = municipality)``), recommended when there
are few municipalities (Tipton 2015, Psychol Methods 20:375-393): the bias-reduced CR2
estimator :math:`V^{CR2} = B\,[\sum_j X_j'W_jA_je_je_j'A_j'W_jX_j]\,B` with
:math:`A_j = D_j'\,G_j^{-1/2}D_j`, :math:`\Sigma_j = D_j'D_j` (upper Cholesky factor),
:math:`G_j = D_j(\Sigma_j - X_jBX_j')D_j'`, and a t test on Satterthwaite degrees of freedom
:math:`\nu = (\sum_j p_j'\Sigma p_j)^2 / \sum_{i,j}(p_i'\Sigma p_j)^2` with
:math:`p_j = (I - H)_j'A_j'W_jX_jBc` (H the GLS hat matrix, c selecting the coefficient), the
working model taken as the target.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import optimize, stats

from soskulib.checks import confidence_level

__all__ = ["CombinedResult", "combined_outcome"]


@dataclass(frozen=True)
class CombinedResult:
    """Pooled effect over correlated instruments, model-based and cluster-robust.

    Attributes
    ----------
    k, n_clusters : int
        Effect sizes and municipalities (clusters).
    rho : float
        The assumed within-municipality sampling correlation.
    sigma2 : float
        REML between-municipality variance :math:`\\hat\\sigma^2`.
    estimate : float
        Pooled effect :math:`\\hat\\mu`.
    se, zval, pval, ci_low, ci_high : float
        Model-based inference (normal), as ``rma.mv``.
    robust_se, robust_tval, robust_pval, robust_ci_low, robust_ci_high, robust_df : float
        Cluster-robust inference, as ``robust(fit, cluster)``.
    cr2_se, cr2_df, cr2_pval, cr2_ci_low, cr2_ci_high : float
        Small-sample cluster-robust inference: CR2 standard error and Satterthwaite df, as
        ``clubSandwich::coef_test(fit, vcov = "CR2")``.
    loglik : float
        REML log-likelihood at the optimum (``logLik(fit)``).
    level : float
        Confidence level.

    Examples
    --------
    >>> res = combined_outcome([0.3, 0.2, 0.5, 0.4, 0.1, 0.2], [0.02, 0.03, 0.02, 0.04, 0.03,
    ...                        0.02], ["A", "A", "B", "B", "C", "C"], rho=0.6)
    >>> res.n_clusters, res.rho
    (3, 0.6)
    """

    k: int
    n_clusters: int
    rho: float
    sigma2: float
    estimate: float
    se: float
    zval: float
    pval: float
    ci_low: float
    ci_high: float
    robust_se: float
    robust_tval: float
    robust_pval: float
    robust_ci_low: float
    robust_ci_high: float
    robust_df: float
    cr2_se: float
    cr2_df: float
    cr2_pval: float
    cr2_ci_low: float
    cr2_ci_high: float
    loglik: float
    level: float

    def to_frame(self) -> pd.DataFrame:
        """One-row DataFrame of every attribute.

        Returns
        -------
        DataFrame

        Examples
        --------
        >>> res = combined_outcome([0.3, 0.2, 0.5, 0.4, 0.1], [0.02, 0.03, 0.02, 0.04, 0.03],
        ...                        ["A", "A", "B", "B", "C"], rho=0.5)
        >>> res.to_frame().columns[:4].tolist()
        ['k', 'n_clusters', 'rho', 'sigma2']
        """
        return pd.DataFrame([self.__dict__])


def _blocks(v: np.ndarray, clusters: np.ndarray, rho: float) -> list[tuple[np.ndarray, np.ndarray]]:
    out = []
    for code in pd.unique(clusters):
        idx = np.flatnonzero(clusters == code)
        sd = np.sqrt(v[idx])
        vj = rho * np.outer(sd, sd)
        np.fill_diagonal(vj, v[idx])
        out.append((idx, vj))
    return out


def _gls(y: np.ndarray, X: np.ndarray, blocks: list, sigma2: float) -> dict[str, Any]:
    p = X.shape[1]
    xwx, xwy, logdet, w_blocks = np.zeros((p, p)), np.zeros(p), 0.0, []
    for idx, vj in blocks:
        sj = vj + sigma2
        wj = np.linalg.inv(sj)
        xj = X[idx]
        xwx += xj.T @ wj @ xj
        xwy += xj.T @ wj @ y[idx]
        logdet += float(np.linalg.slogdet(sj)[1])
        w_blocks.append(wj)
    beta = np.linalg.solve(xwx, xwy)
    resid = y - X @ beta
    rss = sum(float(resid[idx] @ wj @ resid[idx]) for (idx, _), wj in zip(blocks, w_blocks,
                                                                           strict=True))
    n = y.size
    ll = -0.5 * ((n - p) * math.log(2 * math.pi) - float(np.linalg.slogdet(X.T @ X)[1])
                 + logdet + float(np.linalg.slogdet(xwx)[1]) + rss)
    return {"beta": beta, "xwx": xwx, "resid": resid, "w": w_blocks, "ll": ll}


def combined_outcome(yi: Any, vi: Any, cluster: Any, *, rho: float, level: float = 0.95
                     ) -> CombinedResult:
    """Pool correlated effect sizes (several instruments per municipality) into one outcome.

    Parameters
    ----------
    yi, vi : array-like
        Effect sizes (e.g. SMCR, oriented so that positive = improvement) and their sampling
        variances, one row per municipality × instrument.
    cluster : array-like
        Municipality of each row.
    rho : float
        Assumed correlation of two instruments' sampling errors within a municipality, in
        [0, 1); state it in the report (e.g. the median correlation of the instruments'
        change scores), and vary it as a sensitivity check: the robust SE does not depend on
        its being right.
    level : float
        Confidence level.

    Returns
    -------
    CombinedResult

    Notes
    -----
    Formulas in the module docstring. R (metafor 3.8), with ``V`` the block-diagonal matrix of
    :math:`V_j`::

        fit <- rma.mv(yi, V, random = ~ 1 | municipality, method = "REML")
        robust(fit, cluster = municipality)

    Examples
    --------
    >>> res = combined_outcome([0.3, 0.2, 0.5, 0.4, 0.1, 0.2], [0.02, 0.03, 0.02, 0.04, 0.03,
    ...                        0.02], ["A", "A", "B", "B", "C", "C"], rho=0.6)
    >>> round(res.estimate, 4), res.robust_df
    (0.31, 2.0)
    """
    y = np.asarray(pd.to_numeric(pd.Series(np.ravel(yi))), dtype=float)
    v = np.asarray(pd.to_numeric(pd.Series(np.ravel(vi))), dtype=float)
    clusters = np.asarray(pd.Series(np.ravel(np.asarray(cluster, dtype=object))).astype(str))
    if not (y.size == v.size == clusters.size):
        raise ValueError(f"yi, vi and cluster differ in length ({y.size}, {v.size}, "
                         f"{clusters.size})")
    bad = np.flatnonzero(~np.isfinite(y) | ~np.isfinite(v) | (v <= 0))
    if bad.size:
        raise ValueError(f"yi must be finite and vi positive; check row(s) "
                         f"{', '.join(str(i + 1) for i in bad[:10])}")
    if not 0 <= rho < 1:
        raise ValueError(f"rho must lie in [0, 1), got {rho}")
    confidence_level(level)
    X = np.ones((y.size, 1))
    blocks = _blocks(v, clusters, rho)
    m, p = len(blocks), X.shape[1]
    if m < p + 2:
        raise ValueError(f"{m} municipalities are too few for a between-municipality variance "
                         "and a robust SE (at least 3 are needed)")

    def negll(log_s2: float) -> float:
        return -_gls(y, X, blocks, math.exp(log_s2))["ll"]

    spread = max(float(np.var(y)), float(np.max(v)), 1e-8)
    opt = optimize.minimize_scalar(negll, bounds=(math.log(spread) - 30, math.log(spread) + 5),
                                   method="bounded", options={"xatol": 1e-12, "maxiter": 500})
    sigma2 = math.exp(opt.x)
    if _gls(y, X, blocks, 0.0)["ll"] >= -opt.fun:
        sigma2 = 0.0  # the boundary is the maximum
    fit = _gls(y, X, blocks, sigma2)
    beta, bread = fit["beta"], np.linalg.inv(fit["xwx"])
    se = math.sqrt(bread[0, 0])
    z = float(stats.norm.isf((1 - level) / 2))
    meat = np.zeros((p, p))
    for (idx, _), wj in zip(blocks, fit["w"], strict=True):
        u = X[idx].T @ wj @ fit["resid"][idx]
        meat += np.outer(u, u)
    vrob = m / (m - p) * bread @ meat @ bread
    rse = math.sqrt(vrob[0, 0])
    df = float(m - p)
    t = float(stats.t.isf((1 - level) / 2, df))
    est = float(beta[0])
    cr2_se, cr2_df = _cr2(X, blocks, fit, bread, sigma2)
    t2 = float(stats.t.isf((1 - level) / 2, cr2_df))
    return CombinedResult(
        k=int(y.size), n_clusters=m, rho=float(rho), sigma2=float(sigma2), estimate=est,
        se=se, zval=est / se, pval=float(2 * stats.norm.sf(abs(est / se))),
        ci_low=est - z * se, ci_high=est + z * se, robust_se=rse, robust_tval=est / rse,
        robust_pval=float(2 * stats.t.sf(abs(est / rse), df)), robust_ci_low=est - t * rse,
        robust_ci_high=est + t * rse, robust_df=df, cr2_se=cr2_se, cr2_df=cr2_df,
        cr2_pval=float(2 * stats.t.sf(abs(est / cr2_se), cr2_df)), cr2_ci_low=est - t2 * cr2_se,
        cr2_ci_high=est + t2 * cr2_se, loglik=float(fit["ll"]), level=level)


def _inv_sqrt(g: np.ndarray) -> np.ndarray:
    """Symmetric inverse square root (clubSandwich's ``matrix_power(g, -1/2)``)."""
    values, vectors = np.linalg.eigh((g + g.T) / 2)
    return (vectors / np.sqrt(values)) @ vectors.T


def _cr2(X: np.ndarray, blocks: list, fit: dict[str, Any], bread: np.ndarray,
         sigma2: float) -> tuple[float, float]:
    """CR2 standard error and Satterthwaite df of the first coefficient (module docstring)."""
    n = X.shape[0]
    sigma_full = np.zeros((n, n))
    w_full = np.zeros((n, n))
    for (idx, vj), wj in zip(blocks, fit["w"], strict=True):
        sigma_full[np.ix_(idx, idx)] = vj + sigma2
        w_full[np.ix_(idx, idx)] = wj
    i_minus_h = np.eye(n) - X @ bread @ X.T @ w_full
    c = np.zeros(X.shape[1])
    c[0] = 1.0
    meat = 0.0
    ps = []
    for (idx, vj), wj in zip(blocks, fit["w"], strict=True):
        sj = vj + sigma2
        d = np.linalg.cholesky(sj).T  # upper: sj = d'd
        g = d @ (sj - X[idx] @ bread @ X[idx].T) @ d.T
        a = d.T @ _inv_sqrt(g) @ d
        q = wj @ X[idx] @ bread @ c  # W_j X_j B c
        meat += float((q @ a @ fit["resid"][idx]) ** 2)
        ps.append(i_minus_h[idx].T @ (a.T @ q))
    p_mat = np.column_stack(ps)
    omega = p_mat.T @ sigma_full @ p_mat
    df = float(np.trace(omega) ** 2 / np.sum(omega**2))
    return math.sqrt(meat), df
