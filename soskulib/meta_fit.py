r"""Fitting the meta-analytic model as metafor's ``rma.uni``: τ² estimators and the weighted fit.

The engine under :func:`soskulib.meta.meta_analysis`,
:func:`soskulib.meta_regression.meta_regression`, the case diagnostics and the coverage simulation: input checks, the estimators of the
between-municipality variance τ² and the weighted least-squares fit with its test statistics.
Model, inference and the result objects: :mod:`soskulib.meta`. Every number reproduces R
``metafor`` 3.8 for the same call (``tests/reference/metafor.R``).

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

Examples
--------
>>> import numpy as np
>>> fit = _fit_model(np.array([0.10, 0.65]), np.array([0.02, 0.05]), np.ones((2, 1)), "DL", "z",
...                  0.95)                              # R: rma(yi, vi, method = "DL")
>>> print(f"{fit.tau2:.4f} {fit.beta[0]:.4f}")
0.1163 0.3477
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats
from scipy.linalg import solve_triangular

from soskulib.checks import as_float_pair, as_float_vector

__all__ = ["METHODS", "TESTS", "DEFAULT_CONTROL", "ConvergenceError"]

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
