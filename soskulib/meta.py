r"""Meta-analysis of the municipalities' changes: random- and fixed-effects models as metafor.

Every number here reproduces R ``metafor`` (Viechtbauer 2010, version 3.8 checked) for the same
call; ``tests/reference/metafor.R`` computes the reference values the tests compare against.

Model (Raudenbush 2009; Viechtbauer 2010). Study :math:`i = 1..k` reports an estimate
:math:`y_i` with known sampling variance :math:`v_i`;
:math:`y_i = x_i'\beta + u_i + e_i`, :math:`u_i \sim N(0, \tau^2)`, :math:`e_i \sim N(0, v_i)`.
With weights :math:`w_i = 1/(v_i + \hat\tau^2)`:
:math:`\hat\beta = (X'WX)^{-1}X'Wy`, :math:`\mathrm{Var}(\hat\beta) = (X'WX)^{-1}`.

Heterogeneity estimators (``method``), :math:`P = W - WX(X'WX)^{-1}X'W`, :math:`p` = number of
coefficients:

* ``"FE"`` -- fixed (common/equal) effect: :math:`\tau^2 = 0`.
* ``"DL"`` -- DerSimonian & Laird (1986): with :math:`W = \mathrm{diag}(1/v_i)`,
  :math:`\hat\tau^2 = \max\{0, (Q - (k - p)) / \mathrm{tr}(P)\}`.
* ``"REML"`` -- restricted maximum likelihood (Viechtbauer 2005) by Fisher scoring exactly as
  metafor: start from the Hedges (HE) estimator, step
  :math:`\Delta = (y'PPy - \mathrm{tr}P)/\mathrm{tr}(PP)`, halve the step while it would go
  below 0, stop when :math:`|\Delta\tau^2| < 10^{-5}` (at most 100 iterations); then metafor's
  check that :math:`\tau^2 = 0` does not have a higher restricted likelihood.
* ``"ML"`` -- maximum likelihood, Fisher scoring as REML with step
  :math:`(y'PPy - \sum w_i)/\sum w_i^2` and the same ll0check.
* ``"EB"`` -- empirical Bayes (Morris 1983; Berkey et al. 1995), scoring step
  :math:`(y'Py\,k/(k-p) - k)/\sum w_i` (metafor's), no ll0check.
* ``"HE"`` -- Hedges (1983): :math:`\max\{0, (y'(I-H)y - \mathrm{tr}((I-H)V))/(k-p)\}` with the
  OLS hat matrix H.
* ``"SJ"`` -- Sidik & Jonkman (2005): :math:`\tau_0^2 = \frac1k\sum(y_i-\bar y)^2`,
  :math:`\hat\tau^2 = \tau_0^2\,y'P_0y/(k-p)` with :math:`P_0` at weights
  :math:`1/(v_i + \tau_0^2)`.
* ``"HS"`` -- Hunter & Schmidt (2004): :math:`\max\{0, (Q - k)/\sum(1/v_i)\}`.
* ``"PM"`` -- Paule & Mandel (1982): the root of the generalised Q statistic
  :math:`Q(\tau^2) = y'P(\tau^2)y = k - p`, 0 when :math:`Q(0) < k - p`; solved with a port of
  R's ``uniroot`` (Brent's zeroin, tol = eps^0.25) on :math:`[0, \max(100, 10\,\mathrm{mad}(y)^2)]`.

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

Computation. Every estimator above needs only :math:`Py`, :math:`y'Py`, :math:`\mathrm{tr}P`
and :math:`\mathrm{tr}(PP)`, never P itself (metafor's ``rma.uni`` forms the k x k matrix).
With the thin QR decomposition :math:`W^{1/2}X = QR` (Q is k x p, :math:`h_i = \|q_i\|^2` the
weighted leverages), :math:`P = W^{1/2}(I - QQ')W^{1/2}`, hence
:math:`Py = w \circ (y - X\hat\beta)`, :math:`y'Py = \sum w_i (y_i - x_i'\hat\beta)^2`,
:math:`\mathrm{tr}P = \sum w_i(1 - h_i) = \sum w_i - \mathrm{tr}(A^{-1}X'W^2X)` with
:math:`A = X'WX`, and
:math:`\mathrm{tr}(PP) = \sum_i w_i^2(1 - h_i)^2 + 2\sum_{i<j} w_i w_j (q_i'q_j)^2
= \sum w_i^2 - 2\,\mathrm{tr}(A^{-1}X'W^3X) + \mathrm{tr}((A^{-1}X'W^2X)^2)`
(the first form is evaluated, with prefix sums, because the second cancels catastrophically when
one weight dominates). The HE start of REML uses the same identities with W = I:
:math:`y'(I - H)y` is the OLS residual sum of squares and :math:`\mathrm{diag}(I - H) = 1 - h_i`.
Time and memory are :math:`O(kp^2)` per evaluation, so k = 20000 studies fit in milliseconds;
:math:`\hat\beta` and :math:`(X'WX)^{-1} = R^{-1}R^{-T}` come from the same QR, not from inverting
the normal equations. The REML scoring step is that of Viechtbauer (2005, J Educ Behav Stat
30:261-293) and metafor's ``rma.uni`` source, iterate for iterate.

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
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats
from scipy.linalg import solve_triangular

from soskulib import formatting
from soskulib.checks import as_float_pair, as_float_vector, require_columns
from soskulib.compat import forwarder

__all__ = [
    "METHODS",
    "TESTS",
    "MetaResult",
    "MetaRegressionResult",
    "Prediction",
    "SubgroupResult",
    "ConvergenceError",
    "DEFAULT_CONTROL",
    "leave_one_out",
    "meta_analysis",
    "meta_regression",
    "subgroup_analysis",
]

METHODS = ("FE", "DL", "REML", "PM", "ML", "HE", "SJ", "EB", "HS")
TESTS = ("z", "t", "knha", "adhoc")

_EPS = float(np.finfo(float).eps)
_UNIROOT_TOL = _EPS**0.25

# metafor's rma.uni() control defaults (version 3.8); override via ``control=``.
DEFAULT_CONTROL: dict[str, float] = {
    "threshold": 1e-5,  # REML: stop when |change in tau2| < threshold
    "maxiter": 100,  # REML iterations / PM uniroot iterations
    "stepadj": 1.0,  # REML: Fisher scoring step multiplier (0.5 helps oscillating cases)
    "tau2_max": 100.0,  # PM: upper end of the search, at least 10 * mad(yi)^2
    "tol": _UNIROOT_TOL,  # PM: uniroot tolerance
}


class ConvergenceError(RuntimeError):
    """An iterative tau² estimator did not converge (metafor stops with an error too).

    Examples
    --------
    Raised by REML when Fisher scoring does not settle; refit with a smaller step, as metafor's
    ``control = list(stepadj = 0.5)``:

    >>> try:                                                        # doctest: +SKIP
    ...     res = meta_analysis(yi, vi, method="REML")
    ... except ConvergenceError:
    ...     res = meta_analysis(yi, vi, method="REML", control={"stepadj": 0.5})
    """


def _control(control: Mapping[str, float] | None) -> dict[str, float]:
    out = dict(DEFAULT_CONTROL)
    if control:
        unknown = set(control) - set(out)
        if unknown:
            raise ValueError(f"unknown control setting(s) {sorted(unknown)}; "
                             f"known: {', '.join(out)}")
        out.update(control)
    return out


# --------------------------------------------------------------------------------------------
# input handling
# --------------------------------------------------------------------------------------------
def _column_or_values(data: pd.DataFrame | None, value: Any, name: str) -> Any:
    if data is not None and isinstance(value, str):
        if value not in data.columns:
            raise KeyError(f"column {value!r} (argument {name}) is not in the data frame")
        return data[value]
    return value


def _validate(yi: Any, vi: Any) -> tuple[np.ndarray, np.ndarray]:
    y, v = as_float_pair(yi, vi, ("yi", "vi"))
    if y.size == 0:
        raise ValueError("no studies: yi and vi are empty or all missing")
    bad = np.flatnonzero(~np.isfinite(y) | ~np.isfinite(v))
    if bad.size:
        rows = ", ".join(str(i + 1) for i in bad[:10])
        raise ValueError(f"yi or vi is missing or not finite in study row(s) {rows}; "
                         "drop or fill those studies first")
    nonpos = np.flatnonzero(v <= 0)
    if nonpos.size:
        rows = ", ".join(str(i + 1) for i in nonpos[:10])
        raise ValueError(f"sampling variances vi must be positive; study row(s) {rows} "
                         "have vi <= 0 (did you pass standard errors or a negative value?)")
    return y, v


def _check_options(method: str, test: str, level: float) -> float:
    """Validate method and test; return the confidence level as a probability.

    ``level`` is accepted as metafor accepts it: a probability (0.95) or a percentage (95).
    """
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; use one of {', '.join(METHODS)}")
    if test not in TESTS:
        raise ValueError(f"unknown test {test!r}; use one of {', '.join(TESTS)}")
    if isinstance(level, bool) or not isinstance(level, int | float | np.integer | np.floating):
        raise ValueError(f"level must be a number such as 0.95 or 95; got {level!r}")
    level = float(level)
    if 1 < level < 100:
        level /= 100  # metafor's .level(): 95 means 95 %
    if not 0 < level < 1:
        raise ValueError(f"level must be a probability in (0, 1) or a percentage in (1, 100), "
                         f"e.g. 0.95 or 95; got {level!r}")
    return level


def _labels(labels: Any, k: int) -> list[str]:
    if labels is None:
        return [str(i + 1) for i in range(k)]
    out = [str(x) for x in np.ravel(np.asarray(labels, dtype=object))]
    if len(out) != k:
        raise ValueError(f"labels has {len(out)} entries but there are {k} studies")
    return out


# --------------------------------------------------------------------------------------------
# numerical core (mirrors metafor::rma.uni)
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _WeightedLS:
    """The pieces of :math:`P = W - WX(X'WX)^{-1}X'W` that rma.uni uses, without forming P."""

    r: np.ndarray  # R of the thin QR W^(1/2) X = QR
    qty: np.ndarray  # Q'W^(1/2) y
    py: np.ndarray  # P y = w * (y - X beta)
    ypy: float  # y'Py = sum w (y - X beta)^2
    trace: float  # tr P
    frobenius2: float  # ||P||_F^2 = tr(PP); NaN unless asked for

    def coefficients(self) -> tuple[np.ndarray, np.ndarray]:
        """WLS coefficients (X'WX)^-1 X'Wy = R^-1 Q'W^(1/2)y and their covariance
        (X'WX)^-1 = R^-1 R^-T, without inverting the normal equations."""
        r_inv = solve_triangular(self.r, np.eye(self.r.shape[0]), check_finite=False)
        return r_inv @ self.qty, r_inv @ r_inv.T


def _weighted_ls(X: np.ndarray, w: np.ndarray, y: np.ndarray, *,
                 frobenius: bool = False) -> _WeightedLS:
    r"""WLS of y on X with weights w and the traces of P, in O(k p^2) time and memory.

    With :math:`Z = W^{1/2}X = QR` (thin QR; Q is k x p),
    :math:`P = W^{1/2}(I - QQ')W^{1/2}`, so with the weighted leverages
    :math:`h_i = \|q_i\|^2` (the diagonal of the weighted hat matrix):
    :math:`Py = w \circ (y - X\hat\beta)`, :math:`y'Py = \|e\|^2` for the whitened residual
    :math:`e = W^{1/2}y - QQ'W^{1/2}y`, :math:`\mathrm{tr}P = \sum w_i(1 - h_i)`
    (= :math:`\sum w - \mathrm{tr}(A^{-1}X'W^2X)`, :math:`A = X'WX`) and
    :math:`\|P\|_F^2 = \sum_i w_i^2(1-h_i)^2 + 2\sum_{i<j} w_i w_j (q_i'q_j)^2`
    (= :math:`\sum w^2 - 2\mathrm{tr}(A^{-1}X'W^3X) + \mathrm{tr}((A^{-1}X'W^2X)^2)`).
    The off-diagonal sum runs over prefix sums :math:`C_i = \sum_{j<i} w_j q_j q_j'`: the
    textbook trace form subtracts numbers of size :math:`(\max w)^2` and loses every digit
    when one study's weight dominates (tests/test_meta.py shows it).
    """
    sw = np.sqrt(w)
    z = sw[:, None] * X
    if X.shape[1] == 1:  # the thin QR of one column is its normalisation (no LAPACK call)
        norm = math.sqrt(float(np.sum(z * z)))
        q, r = z / norm, np.array([[norm]])
    else:
        q, r = np.linalg.qr(z)
    # einsum, not BLAS, for the k-long products: no thread start-up on two-core machines and
    # the same bits whatever the BLAS thread count
    qty = np.einsum("ij,i->j", q, sw * y)
    e = sw * y - np.einsum("ij,j->i", q, qty)
    p_diag = w * (1.0 - np.einsum("ij,ij->i", q, q))
    frobenius2 = math.nan
    if frobenius:
        wq = w[:, None] * q
        wqq = wq[:, :, None] * q[:, None, :]  # w_i q_i q_i', k x p x p
        before = np.zeros_like(wqq)
        np.cumsum(wqq[:-1], axis=0, out=before[1:])
        off = np.einsum("ij,ijl,il->", wq, before, q)
        frobenius2 = float(np.sum(p_diag**2) + 2 * off)
    return _WeightedLS(r=r, qty=qty, py=sw * e, ypy=float(e @ e), trace=float(np.sum(p_diag)),
                       frobenius2=frobenius2)


def _r_mad(y: np.ndarray) -> float:
    """R's ``mad()``: 1.4826 * median(|y - median(y)|)."""
    return 1.4826 * float(np.median(np.abs(y - np.median(y))))


def _zeroin(f: Callable[[float], float], ax: float, bx: float, fa: float, fb: float,
            tol: float, maxit: int) -> float:
    """Brent's root finder as in R's ``R_zeroin2`` (used by ``uniroot``), step for step.

    Porting R's algorithm rather than calling :func:`scipy.optimize.brentq` makes the loose
    metafor tolerance (eps^0.25) land on the same iterate as R.
    """
    a, b = ax, bx
    c, fc = a, fa
    if fa == 0.0:
        return a
    if fb == 0.0:
        return b
    for _ in range(maxit + 1):
        prev_step = b - a
        if abs(fc) < abs(fb):
            a, b, c = b, c, b
            fa, fb, fc = fb, fc, fb
        tol_act = 2 * _EPS * abs(b) + tol / 2
        new_step = (c - b) / 2
        if abs(new_step) <= tol_act or fb == 0.0:
            return b
        if abs(prev_step) >= tol_act and abs(fa) > abs(fb):
            cb = c - b
            if a == c:
                t1 = fb / fa
                p = cb * t1
                q = 1.0 - t1
            else:
                q = fa / fc
                t1 = fb / fc
                t2 = fb / fa
                p = t2 * (cb * q * (q - t1) - (b - a) * (t1 - 1.0))
                q = (q - 1.0) * (t1 - 1.0) * (t2 - 1.0)
            if p > 0:
                q = -q
            else:
                p = -p
            if p < (0.75 * cb * q - abs(tol_act * q) / 2) and p < abs(prev_step * q / 2):
                new_step = p / q
        if abs(new_step) < tol_act:
            new_step = tol_act if new_step > 0 else -tol_act
        a, fa = b, fb
        b += new_step
        fb = f(b)
        if (fb > 0 and fc > 0) or (fb < 0 and fc < 0):
            c, fc = a, fa
    raise ConvergenceError("Paule-Mandel root search did not converge (uniroot maxiter reached)")


def _loglik(y: np.ndarray, v: np.ndarray, X: np.ndarray, tau2: float, *,
            reml: bool = True, full: bool = False) -> float:
    """metafor's ML or REML log-likelihood at ``tau2``.

    ML: :math:`-\\tfrac12[k\\log 2\\pi + \\sum\\log(v_i+\\tau^2) + \\sum w_i(y_i - x_i'\\hat\\beta)^2]`;
    REML subtracts :math:`\\tfrac12\\log|X'WX|` and uses k - p in the constant, and with
    ``full=True`` (metafor's ``REMLf``, used in ``logLik()``) adds :math:`\\tfrac12\\log|X'X|`.
    """
    w = 1.0 / (v + tau2)
    xwx = X.T @ (w[:, None] * X)
    beta = np.linalg.solve(xwx, X.T @ (w * y))
    rss = float(np.sum(w * (y - X @ beta) ** 2))
    k, p = X.shape
    if not reml:
        return -0.5 * k * math.log(2 * math.pi) - 0.5 * float(np.sum(np.log(v + tau2))) - 0.5 * rss
    const = 0.5 * float(np.linalg.slogdet(X.T @ X)[1]) if full else 0.0
    return (-0.5 * (k - p) * math.log(2 * math.pi) + const - 0.5 * float(np.sum(np.log(v + tau2)))
            - 0.5 * float(np.linalg.slogdet(xwx)[1]) - 0.5 * rss)


def _reml_loglik(y: np.ndarray, v: np.ndarray, X: np.ndarray, tau2: float) -> float:
    return _loglik(y, v, X, tau2, reml=True)


def _tau2_he_raw(y: np.ndarray, v: np.ndarray, X: np.ndarray) -> float:
    """Hedges (1983) / Cochran's ANOVA estimator before truncation:
    :math:`(y'(I-H)y - \\mathrm{tr}((I-H)V))/(k-p)`, H the OLS hat matrix (thin QR of X)."""
    k, p = X.shape
    q = np.linalg.qr(X)[0]
    ols_resid = y - np.einsum("ij,j->i", q, np.einsum("ij,i->j", q, y))
    one_minus_h = 1.0 - np.einsum("ij,ij->i", q, q)
    return (float(ols_resid @ ols_resid) - float(np.sum(one_minus_h * v))) / (k - p)


def _tau2_scoring(y: np.ndarray, v: np.ndarray, X: np.ndarray, con: Mapping[str, float],
                  kind: str) -> tuple[float, int]:
    """Fisher scoring for REML, ML or EB exactly as metafor's rma.uni (HE start, step halving,
    ``|change| < threshold``), then metafor's ll0check for ML and REML."""
    k, p = X.shape
    tau2 = max(0.0, _tau2_he_raw(y, v, X))
    change, iterations = con["threshold"] + 1, 0
    while change > con["threshold"]:
        iterations += 1
        old = tau2
        w = 1.0 / (v + tau2)
        wls = _weighted_ls(X, w, y, frobenius=kind == "REML")
        with np.errstate(divide="ignore", invalid="ignore"):
            if kind == "REML":
                # Viechtbauer (2005): score y'PPy - tr P over information tr PP
                adj = np.float64(float(wls.py @ wls.py) - wls.trace) / wls.frobenius2
            elif kind == "ML":
                adj = np.float64(float(wls.py @ wls.py) - float(np.sum(w))) / float(np.sum(w**2))
            else:  # EB (Morris 1983; Berkey et al. 1995)
                adj = np.float64(wls.ypy * k / (k - p) - k) / float(np.sum(w))
        adj = con["stepadj"] * adj
        if not np.isfinite(adj):
            adj = 0.0
        while tau2 + adj < 0:  # metafor halves the step instead of truncating
            adj /= 2
        tau2 = tau2 + adj
        change = abs(old - tau2)
        if iterations > con["maxiter"]:
            raise ConvergenceError(
                f"{kind} Fisher scoring did not converge in {con['maxiter']:g} iterations "
                "(metafor stops here too); pass control={'stepadj': 0.5} or use method='PM'")
    # metafor's ll0check: Fisher scoring may stop at a local maximum above tau2 = 0.
    if kind in ("REML", "ML"):
        reml = kind == "REML"
        if (_loglik(y, v, X, 0.0, reml=reml) - _loglik(y, v, X, tau2, reml=reml) > _UNIROOT_TOL
                and tau2 > con["threshold"]):
            tau2 = 0.0
    return max(0.0, tau2), iterations


def _tau2_reml(y: np.ndarray, v: np.ndarray, X: np.ndarray,
               con: Mapping[str, float]) -> tuple[float, int]:
    return _tau2_scoring(y, v, X, con, "REML")


def _dense_p(X: np.ndarray, w: np.ndarray) -> np.ndarray:
    """:math:`P = W - WX(X'WX)^{-1}X'W` as a matrix (for the SEs of HE, SJ, HS; k is small)."""
    wx = w[:, None] * X
    return np.diag(w) - wx @ np.linalg.solve(X.T @ wx, wx.T)


def _tau2_closed_form(y: np.ndarray, v: np.ndarray, X: np.ndarray,
                      method: str) -> tuple[float, float]:
    """HE, SJ and HS estimators and their standard errors, as metafor's rma.uni.

    * HE (Hedges 1983): :math:`\\max\\{0, (y'Py - \\mathrm{tr}(PV))/(k-p)\\}`, P = I - H (OLS).
    * SJ (Sidik & Jonkman 2005): :math:`\\tau_0^2 = \\frac{1}{k}\\sum(y_i-\\bar y)^2`,
      :math:`\\hat\\tau^2 = \\tau_0^2\\, y'P_0y/(k-p)` with weights :math:`1/(v_i+\\tau_0^2)`.
    * HS (Hunter & Schmidt 2004): :math:`\\max\\{0, (Q - k)/\\sum w_i\\}`, :math:`w_i = 1/v_i`.
    """
    k, p = X.shape
    V = np.diag(v)
    if method == "HE":
        P = np.eye(k) - X @ np.linalg.solve(X.T @ X, X.T)
        tau2 = max(0.0, _tau2_he_raw(y, v, X))
        PV = P @ V
        se2 = (2 * float(np.sum(PV * PV.T)) + 4 * tau2 * float(np.trace(PV))
               + 2 * tau2**2 * (k - p)) / (k - p) ** 2
    elif method == "SJ":
        tau2_0 = float(np.mean((y - y.mean()) ** 2))
        P = _dense_p(X, 1.0 / (v + tau2_0))
        tau2 = max(0.0, tau2_0 * float(y @ P @ y) / (k - p))
        PV = P @ V
        se2 = tau2_0**2 / (k - p) ** 2 * (2 * float(np.sum(PV * PV.T))
                                          + 4 * tau2 * float(np.sum(PV * P))
                                          + 2 * tau2**2 * float(np.sum(P * P)))
    else:  # HS
        w = 1.0 / v
        P = _dense_p(X, w)
        tau2 = max(0.0, (float(y @ P @ y) - k) / float(np.sum(w)))
        se2 = (2 * (k - p) + 4 * tau2 * float(np.trace(P)) + 2 * tau2**2 * float(np.sum(P * P))) \
            / float(np.sum(w)) ** 2
    return tau2, math.sqrt(se2)


def _tau2_pm(y: np.ndarray, v: np.ndarray, X: np.ndarray, con: Mapping[str, float]) -> float:
    k, p = X.shape
    target = float(k - p)

    def q_minus_target(tau2: float) -> float:
        return _weighted_ls(X, 1.0 / (v + tau2), y).ypy - target

    f_low = q_minus_target(0.0)
    if f_low < 0:
        return 0.0
    upper = max(con["tau2_max"], 10 * _r_mad(y) ** 2)
    f_up = q_minus_target(upper)
    if f_up > 0:
        raise ConvergenceError(f"Paule-Mandel: tau2 exceeds the search limit {upper:g}; check "
                               "the scale of yi and vi or raise control={'tau2_max': ...}")
    return _zeroin(q_minus_target, 0.0, upper, f_low, f_up, con["tol"], int(con["maxiter"]))


@dataclass
class _Fit:
    """Everything metafor's rma.uni object holds that soskulib uses."""

    yi: np.ndarray
    vi: np.ndarray
    X: np.ndarray
    method: str
    test: str
    level: float
    tau2: float
    se_tau2: float
    beta: np.ndarray
    vb: np.ndarray
    se: np.ndarray
    stat: np.ndarray
    pval: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray
    crit: float
    ddf: float
    qe: float
    qe_pval: float
    i2: float
    h2: float
    vt: float
    qm: float
    qm_df: tuple[int, float]
    qm_pval: float
    iterations: int = 0
    con: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_CONTROL))
    s2w: float = 1.0  # knha/adhoc variance factor (1 for z and t)
    fit_stats: Mapping[str, float] = field(default_factory=dict)

    @property
    def k(self) -> int:
        return int(self.X.shape[0])

    @property
    def p(self) -> int:
        return int(self.X.shape[1])


def _fit_model(y: np.ndarray, v: np.ndarray, X: np.ndarray, method: str, test: str,
               level: float, con: Mapping[str, float] | None = None) -> _Fit:
    con = DEFAULT_CONTROL if con is None else con
    k, p = X.shape
    if k > 1 or p > 1:
        if np.linalg.matrix_rank(X) < p:
            raise ValueError("the moderator matrix is not of full rank (a constant or "
                             "duplicated moderator?)")
        needed = p if method == "FE" else p + 1
        if needed > k:
            raise ValueError(f"{k} studies cannot estimate {p} coefficient(s)"
                             + ("" if method == "FE" else " and tau2"))
    if k == 1:
        test = "z"  # as metafor: a t test on 0 df is impossible
    yc = y - y.mean()  # metafor estimates tau2 from centred yi (no effect with an intercept)
    iterations = 0
    se_tau2 = math.nan
    fe: _WeightedLS | None = None  # the tau2 = 0 fit on yc, for DL and for Q_E
    if method == "FE" or k == 1:
        tau2 = 0.0
    elif method == "DL":
        fe = _weighted_ls(X, 1.0 / v, yc, frobenius=True)
        tau2 = max(0.0, (fe.ypy - (k - p)) / fe.trace)
        se_tau2 = math.sqrt((2 * (k - p) + 4 * tau2 * fe.trace + 2 * tau2**2 * fe.frobenius2)
                            / fe.trace**2)
    elif method == "REML":
        tau2, iterations = _tau2_reml(yc, v, X, con)
        se_tau2 = math.sqrt(2 / _weighted_ls(X, 1.0 / (v + tau2), yc, frobenius=True).frobenius2)
    elif method == "ML":
        tau2, iterations = _tau2_scoring(yc, v, X, con, "ML")
        se_tau2 = math.sqrt(2 / float(np.sum((1.0 / (v + tau2)) ** 2)))
    elif method in ("PM", "EB"):
        if method == "PM":
            tau2 = _tau2_pm(yc, v, X, con)
        else:
            tau2, iterations = _tau2_scoring(yc, v, X, con, "EB")
        se_tau2 = math.sqrt(2 * k**2 / (k - p) / float(np.sum(1.0 / (v + tau2))) ** 2)
    else:  # HE, SJ, HS
        tau2, se_tau2 = _tau2_closed_form(yc, v, X, method)

    wls = _weighted_ls(X, 1.0 / (v + tau2), y)
    beta, vb = wls.coefficients()
    s2w = 1.0
    if test in ("knha", "adhoc"):
        rss = wls.ypy
        s2w = 0.0 if rss <= _EPS else rss / (k - p)
        if test == "adhoc":
            s2w = max(1.0, s2w)  # Knapp & Hartung's (2003) ad hoc truncation
        vb = vb * s2w
    se = np.sqrt(np.diag(vb))
    with np.errstate(divide="ignore", invalid="ignore"):
        stat = beta / se
    alpha = 1 - level
    btt = np.arange(1, p) if p > 1 else np.arange(p)
    try:
        qm = float(beta[btt] @ np.linalg.solve(vb[np.ix_(btt, btt)], beta[btt]))
    except np.linalg.LinAlgError:
        qm = math.nan
    m = btt.size
    if test != "z":  # t, knha, adhoc: t(k - p) and F(m, k - p)
        ddf = float(k - p)
        qm /= m
        qm_df: tuple[int, float] = (m, ddf)
        qm_pval = float(stats.f.sf(qm, m, ddf)) if ddf > 0 else math.nan
        pval = 2 * stats.t.sf(np.abs(stat), ddf)
        crit = float(stats.t.isf(alpha / 2, ddf))
    else:
        ddf = math.nan
        qm_df = (m, math.nan)
        qm_pval = float(stats.chi2.sf(qm, m))
        pval = 2 * stats.norm.sf(np.abs(stat))
        crit = float(stats.norm.isf(alpha / 2))
    ci_low, ci_high = beta - crit * se, beta + crit * se

    if k > p:
        fe = _weighted_ls(X, 1.0 / v, yc) if fe is None else fe
        qe = max(0.0, fe.ypy)
        qe_pval = float(stats.chi2.sf(qe, k - p))
        vt = (k - p) / fe.trace
        if method == "FE":
            # R: max(0, -Inf) = 0 when Q = 0
            i2 = max(0.0, 100 * (qe - (k - p)) / qe) if qe > 0 else 0.0
            h2 = qe / (k - p)
        else:
            i2 = 100 * tau2 / (vt + tau2)
            h2 = tau2 / vt + 1
    else:
        qe, qe_pval, i2, h2, vt = 0.0, 1.0, 0.0, 1.0, 0.0
    return _Fit(y, v, X, method, test, level, float(tau2), se_tau2, beta, vb, se, stat,
                np.asarray(pval, dtype=float), ci_low, ci_high, crit, ddf, qe, qe_pval,
                float(i2), float(h2), vt, qm, qm_df, qm_pval, iterations, dict(con), s2w,
                _fit_statistics(y, v, X, float(tau2), wls.ypy, method))


def _fit_statistics(y: np.ndarray, v: np.ndarray, X: np.ndarray, tau2: float, rss: float,
                    method: str) -> dict[str, float]:
    r"""metafor's ``fitstats()``: log-likelihood, deviance, AIC, BIC, AICc, ML and REML.

    :math:`\ell_{ML} = -	frac12[k\log 2\pi + \sum\log(v_i+\hat	au^2) + RSS]`,
    :math:`\ell_{REML} = -	frac12[(k-p)\log 2\pi - \log|X'X| + \sum\log(v_i+\hat	au^2)
    + \log|X'WX| + RSS]` (metafor's full REML likelihood, ``REMLf = TRUE``), RSS =
    :math:`\sum w_i(y_i - x_i'\hateta)^2`; ML deviance
    :math:`-2(\ell_{ML} - \sum\log\phi(0; v_i))` (against the saturated model), REML deviance
    :math:`-2\ell_{REML}`; with q = p + 1 parameters (p for FE):
    AIC = :math:`-2\ell + 2q`, BIC = :math:`-2\ell + q\log n` (n = k for ML, k - p for REML),
    AICc = :math:`-2\ell + 2q\,\max(n, q+2)/(\max(n, q+2) - q - 1)`.
    """
    k, p = X.shape
    parms = p + (0 if method == "FE" else 1)
    w = 1.0 / (v + tau2)
    ll_ml = -0.5 * k * math.log(2 * math.pi) - 0.5 * float(np.sum(np.log(v + tau2))) - 0.5 * rss
    ll_reml = (-0.5 * (k - p) * math.log(2 * math.pi) + 0.5 * float(np.linalg.slogdet(X.T @ X)[1])
               - 0.5 * float(np.sum(np.log(v + tau2)))
               - 0.5 * float(np.linalg.slogdet(X.T @ (w[:, None] * X))[1]) - 0.5 * rss)
    saturated = float(np.sum(stats.norm.logpdf(0.0, scale=np.sqrt(v))))
    dev_ml = -2 * (ll_ml - saturated) if k > p else 0.0
    out = {"ll_ML": ll_ml, "dev_ML": dev_ml, "ll_REML": ll_reml, "dev_REML": -2 * ll_reml}
    for tag, ll, n in (("ML", ll_ml, k), ("REML", ll_reml, k - p)):
        out[f"AIC_{tag}"] = -2 * ll + 2 * parms
        out[f"BIC_{tag}"] = -2 * ll + parms * math.log(n) if n > 0 else math.nan
        m = max(n, parms + 2)
        out[f"AICc_{tag}"] = -2 * ll + 2 * parms * m / (m - parms - 1)
    return out


def _predict(fit: _Fit, X_new: np.ndarray) -> pd.DataFrame:
    pred = X_new @ fit.beta
    vpred = np.einsum("ij,jk,ik->i", X_new, fit.vb, X_new)
    se = np.sqrt(vpred)
    half_pi = fit.crit * np.sqrt(vpred + fit.tau2)
    return pd.DataFrame({
        "pred": pred, "se": se,
        "ci_low": pred - fit.crit * se, "ci_high": pred + fit.crit * se,
        "pi_low": pred - half_pi, "pi_high": pred + half_pi,
    })


def _qprofile(fit: _Fit, level: float) -> pd.DataFrame:
    r"""Q-profile CI of tau² (Viechtbauer 2007) and the implied CIs of tau, I² and H².

    The generalised Q statistic :math:`Q(	au^2) = \sum w_i(	au^2)(y_i - x_i'\hateta(	au^2))^2`
    with :math:`w_i = 1/(v_i + 	au^2)` is :math:`\chi^2_{k-p}` at the true tau² and decreases
    in tau². The limits solve :math:`Q(	au^2_{lb}) = \chi^2_{k-p;\,1-lpha/2}` and
    :math:`Q(	au^2_{ub}) = \chi^2_{k-p;\,lpha/2}` on :math:`[0, \max(100, 10\hat	au^2)]`
    with R's ``uniroot`` (tol = eps^0.25, the port in :func:`_zeroin`); a limit is 0 when
    :math:`Q(0)` is already below its critical value (both are 0 when
    :math:`Q(0) < \chi^2_{k-p;\,lpha/2}`), and the search limit when Q at the limit is still
    above it. I² and H² follow from tau² with the "typical" within-study variance
    :math:`	ilde v` as in the model: :math:`I^2 = 100	au^2/(	ilde v + 	au^2)`,
    :math:`H^2 = 	au^2/	ilde v + 1`. Matches metafor ``confint(res)`` (type ``"QP"``).
    """
    k, p = fit.k, fit.p
    index = pd.Index(["tau2", "tau", "i2", "h2"], name="parameter")
    if k - p < 1 or fit.method == "FE":
        return pd.DataFrame({"estimate": [fit.tau2, math.sqrt(fit.tau2), fit.i2, fit.h2],
                             "ci_low": math.nan, "ci_high": math.nan}, index=index)
    alpha = 1 - level
    crit_u = float(stats.chi2.isf(alpha / 2, k - p))
    crit_l = float(stats.chi2.ppf(alpha / 2, k - p))
    lo_lim, hi_lim = min(0.0, fit.tau2), max(100.0, 10 * fit.tau2)
    y, v, X = fit.yi, fit.vi, fit.X

    def q_of(tau2: float) -> float:
        return _weighted_ls(X, 1.0 / (v + tau2), y).ypy

    q_min, q_max = q_of(lo_lim), q_of(hi_lim)
    tol, maxit = _UNIROOT_TOL, 1000

    def root(target: float) -> float:
        return _zeroin(lambda t: q_of(t) - target, lo_lim, hi_lim, q_min - target,
                       q_max - target, tol, maxit)

    if q_min < crit_l:
        lb = ub = lo_lim
    else:
        ub = hi_lim if q_max > crit_l else root(crit_l)
    if q_max > crit_u:
        lb = ub = hi_lim
    else:
        lb = lo_lim if q_min < crit_u else root(crit_u)
    vt = fit.vt
    tau2 = np.array([fit.tau2, lb, ub])
    return pd.DataFrame(
        np.column_stack([tau2, np.sqrt(np.maximum(tau2, 0)), 100 * tau2 / (vt + tau2),
                         tau2 / vt + 1]).T,
        index=index, columns=["estimate", "ci_low", "ci_high"])


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
    _fit: _Fit | None = field(default=None, repr=False, compare=False)

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
            NaN limits for FE models and k = 1. Formula: see :func:`_qprofile`.

        Examples
        --------
        >>> res = meta_analysis([0.2, 0.5, 0.4, 0.1, 0.9], [0.04, 0.02, 0.03, 0.05, 0.03])
        >>> res.confint().round(4).loc["tau2"].tolist()        # confint(rma(yi, vi))
        [0.0584, 0.0, 0.7646]
        """
        if self._fit is None:
            raise ValueError("this result carries no fit to profile")
        lev = self.level if level is None else _check_options(self.method, self.test, level)
        return _qprofile(self._fit, lev)

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


def _result_from_fit(fit: _Fit, labels: Sequence[str], n: np.ndarray | None) -> MetaResult:
    pred = _predict(fit, np.ones((1, 1))).iloc[0]
    return MetaResult(
        k=fit.k, estimate=float(fit.beta[0]), se=float(fit.se[0]), ci_low=float(fit.ci_low[0]),
        ci_high=float(fit.ci_high[0]), pval=float(fit.pval[0]), tau2=fit.tau2, i2=fit.i2,
        q=fit.qe, q_pval=fit.qe_pval, pi_low=float(pred["pi_low"]),
        pi_high=float(pred["pi_high"]), h2=fit.h2, se_tau2=fit.se_tau2,
        zval=float(fit.stat[0]), df=fit.ddf, method=fit.method, test=fit.test,
        level=fit.level, yi=fit.yi, vi=fit.vi, labels=tuple(labels), n=n, _fit=fit)


def _variances(vi: Any, sei: Any) -> Any:
    """``vi``, or ``sei**2`` when standard errors are given instead (metafor's ``sei=``)."""
    if sei is None:
        if vi is None:
            raise TypeError("give the sampling variances vi (or their standard errors sei=)")
        return vi
    if vi is not None:
        raise TypeError("give either vi or sei, not both")
    return as_float_vector(sei, "sei") ** 2


def _drop_missing(y: np.ndarray, v: np.ndarray, labels: list[str],
                  extra: np.ndarray | None = None) -> tuple[np.ndarray, ...]:
    """Drop studies whose yi or vi (or extra) is missing, with a warning (metafor ``na.omit``)."""
    missing = np.isnan(y) | np.isnan(v)
    if extra is not None:
        missing |= np.isnan(extra) if extra.ndim == 1 else np.isnan(extra).any(axis=1)
    if not missing.any():
        return y, v, missing
    dropped = [labels[i] for i in np.flatnonzero(missing)]
    warnings.warn(f"{len(dropped)} stud{'y' if len(dropped) == 1 else 'ies'} with a missing "
                  f"yi or vi omitted from the model ({', '.join(dropped[:10])}"
                  f"{', ...' if len(dropped) > 10 else ''}), as metafor's na.action = "
                  "'na.omit'", UserWarning, stacklevel=3)
    return y[~missing], v[~missing], missing


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
    level = _check_options(method, test, level)
    con = _control(control)
    yi = _column_or_values(data, yi, "yi")
    vi = _variances(_column_or_values(data, vi, "vi"), _column_or_values(data, sei, "sei"))
    labels = _column_or_values(data, labels, "labels")
    n = _column_or_values(data, n, "n")
    y, v = as_float_vector(yi, "yi"), as_float_vector(vi, "vi")
    if labels is None and isinstance(yi, pd.Series) and not isinstance(yi.index, pd.RangeIndex):
        labels = yi.index
    n_arr = None if n is None else as_float_vector(n, "n")
    if n_arr is not None and n_arr.size != y.size:
        raise ValueError(f"n has {n_arr.size} entries but there are {y.size} studies")
    lab = _labels(labels, y.size) if y.size == v.size else []
    if y.size == v.size:
        y, v, missing = _drop_missing(y, v, lab)
        lab = [x for x, m in zip(lab, missing, strict=True) if not m]
        n_arr = None if n_arr is None else n_arr[~missing]
    y, v = _validate(y, v)
    fit = _fit_model(y, v, np.ones((y.size, 1)), method, test, level, con)
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
        con = res._fit.con if res._fit is not None else _control(control)
    else:
        level = _check_options(method, test, level)
        con = _control(control)
        y, v = _validate(result_or_yi, vi)
        labels = _labels(None, y.size)
    k = y.size
    if k < 2:
        raise ValueError("leave-one-out needs at least 2 studies")
    rows = []
    failed = []
    for i in range(k):  # k small model refits, not a loop over client data
        try:
            fit = _fit_model(np.delete(y, i), np.delete(v, i), np.ones((k - 1, 1)), method,
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


# --------------------------------------------------------------------------------------------
# meta-regression and subgroups
# --------------------------------------------------------------------------------------------
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
    _fit: _Fit = field(repr=False, compare=False)
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
        return _predict(self._fit, _code_new(newmods, self._recipe))

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
        lev = self.level if level is None else _check_options(self.method, self.test, level)
        return _qprofile(self._fit, lev)

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


def _r2(y: np.ndarray, v: np.ndarray, fit: _Fit) -> float:
    if fit.method == "FE":
        if np.var(y) == 0:
            return 0.0
        w = 1.0 / v
        resid = y - fit.X @ fit.beta
        ybar = np.sum(w * y) / np.sum(w)
        r2 = 1 - np.sum(w * resid**2) / np.sum(w * (y - ybar) ** 2)
        adj = 1 - (1 - r2) * (fit.k - 1) / (fit.k - fit.p)
        return max(0.0, 100 * float(adj))
    tau2_re = _fit_model(y, v, np.ones((y.size, 1)), fit.method, fit.test, fit.level,
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
    level = _check_options(method, test, level)
    if data is not None and isinstance(mods, str):
        mods = data[[mods]]
    elif data is not None and isinstance(mods, list) and all(isinstance(m, str) for m in mods):
        require_columns(data, mods, "meta_regression", "mods= names columns of data=")
        mods = data[mods]
    y = as_float_vector(_column_or_values(data, yi, "yi"), "yi")
    v = as_float_vector(_variances(_column_or_values(data, vi, "vi"),
                                   _column_or_values(data, sei, "sei")), "vi")
    if y.size != v.size:
        raise ValueError(f"yi and vi differ in length ({y.size} vs {v.size})")
    X, names, recipe = _design(mods, y.size)
    y, v, missing = _drop_missing(y, v, _labels(None, y.size))
    X = X[~missing]
    y, v = _validate(y, v)
    fit = _fit_model(y, v, X, method, test, level, _control(control))
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
    level = _check_options(method, test, level)
    y, v = _validate(_column_or_values(data, yi, "yi"), _column_or_values(data, vi, "vi"))
    g = _column_or_values(data, groups, "groups")
    g_arr = pd.Series(np.ravel(np.asarray(g, dtype=object)))
    if len(g_arr) != y.size:
        raise ValueError(f"groups has {len(g_arr)} entries but there are {y.size} studies")
    if g_arr.isna().any():
        raise ValueError("groups has missing values")
    g_str = g_arr.astype(str).to_numpy()
    levels = sorted(set(g_str))
    if len(levels) < 2:
        raise ValueError("subgroup analysis needs at least two subgroups")
    lab = _labels(_column_or_values(data, labels, "labels"), y.size)
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
    mixed = _fit_model(y, v, _design(pd.DataFrame({"g": g_str}), y.size)[0], method, test,
                       level, _control(control))
    est = table["estimate"].to_numpy(dtype=float)
    se = table["se"].to_numpy(dtype=float)
    if np.any(se <= 0):
        sep_q, sep_p = math.nan, math.nan
    else:
        sep = _fit_model(est, se**2, _design(pd.DataFrame({"g": levels}), len(levels))[0],
                   "FE", "z", level)
        sep_q, sep_p = sep.qm, sep.qm_pval
    return SubgroupResult(table=table, results=results, q_between=mixed.qm,
                          q_between_df=mixed.qm_df, q_between_pval=mixed.qm_pval,
                          tau2_common=mixed.tau2, q_between_separate=sep_q,
                          q_between_separate_pval=sep_p, method=method, test=mixed.test)


# Names that moved to another module keep working, with a DeprecationWarning (soskulib.compat).
__getattr__ = forwarder("meta")[0]
