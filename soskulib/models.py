r"""Linear mixed models of change (clients measured repeatedly, clients within municipalities).

Model (Laird & Ware 1982), for measurement j of client i in municipality m:

.. math:: y_{mij} = x_{mij}'\beta + u_m + c_{mi} + e_{mij},\quad
          u_m \sim N(0, \sigma^2_{mun}),\ c_{mi} \sim N(0, \sigma^2_{client}),\
          e_{mij} \sim N(0, \sigma^2),

with :math:`x'\beta` = occasion × group (+ covariates), fitted by REML. Two random-effect
structures:

* ``structure="nested"`` (default) -- random intercepts for municipality and for client
  within municipality: statsmodels ``groups=municipality, re_formula="1",
  vc_formula={"client": "0 + C(client_id)"}``; R: ``lmer(score ~ time*gender +
  (1 | municipality/client_id), REML = TRUE)``.
* ``structure="client"`` -- random intercept per client, municipality as fixed effects;
  R: ``lmer(score ~ time*gender + municipality + (1 | client_id), REML = TRUE)``. Use it
  when there are too few municipalities (fewer than ~5) to estimate their variance.
* ``structure="municipality"`` -- random intercept per municipality only (clients' repeated
  measurements treated as independent given the municipality); R: ``lmer(score ~
  time*gender + (1 | municipality), REML = TRUE)``. For data with one measurement per
  client per occasion and few repeated clients, or as a sensitivity check.

Variance components are reported from the REML optimum itself: a variance at the boundary is
exactly 0, as lme4 reports it (``VarCorr``), and the optimum is polished by safeguarded
Newton steps on the analytic gradient after L-BFGS-B, so the projected gradient is zero to
rounding.

How the REML estimate is found
------------------------------
With :math:`V = \sigma^2 H(\gamma)`, :math:`H = I + \gamma_c Z_c Z_c' + \gamma_u Z_u Z_u'`
(:math:`\gamma = \sigma^2_{\cdot}/\sigma^2`), the REML criterion profiled over
:math:`\beta` and :math:`\sigma^2` is lme4's (Bates, Mächler, Bolker & Walker 2015,
J Stat Softw 67(1), eq. 41 with :math:`|L_\theta|^2 = |H|`, :math:`R_X'R_X = X'H^{-1}X`)

.. math:: d_R(\theta) = \log|H| + \log|X'H^{-1}X| + (n-p)\,[1 + \log(2\pi\,r^2/(n-p))],
          \quad r^2 = \min_\beta (y - X\beta)'H^{-1}(y - X\beta),

minimised over :math:`\theta = (\sigma_c/\sigma, \sigma_u/\sigma) \ge 0` (lme4's
parametrisation and bounds). For nested random intercepts :math:`H^{-1}` and
:math:`|H|` have closed forms (Searle, Casella & McCulloch 1992, *Variance Components*,
sec. 3.6): per client block :math:`(I + \gamma_c J)^{-1} = I - a_i J`,
:math:`a_i = \gamma_c/(1 + n_i\gamma_c)`, and per municipality a Sherman-Morrison update with
:math:`t_m = \sum_{i \in m} n_i/(1 + n_i\gamma_c)`. Every quadratic form :math:`u'H^{-1}v`
then needs only client and municipality sums, so one evaluation of :math:`d_R` and its
analytic gradient costs O(clients × p²) instead of the dense per-municipality client block
that made statsmodels' own optimiser take 47-100 s per instrument on the demo data.
:math:`d_R` is minimised by L-BFGS-B from the best point of a small grid of start values.

statsmodels ``MixedLM`` stays the engine of record: it is started at that optimum, runs its
own L-BFGS (which can only raise its REML likelihood, and in practice stops at once), and
its ``MixedLMResults`` is :attr:`ModelResult.result`. Its log-likelihood is checked against
:math:`-d_R/2`; the two are independent implementations of the same criterion.

Rank-deficient designs (e.g. no follow-up measurement for the gender ``'other'``) are
handled as lme4 does: columns that are linear combinations of earlier ones are dropped
(R's ``qr`` with tolerance 1e-7), a warning names them, their coefficient is NaN and a change
that depends on them is reported as not estimable (NaN).

Agreement with lme4 1.1-31 (``tests/reference/lme4*.R``; unbalanced data with 4-5
municipalities and a zero municipality variance in ``tests/test_against_r.py``; a
demo-shaped data set with 1,200 clients in 10 municipalities, three occasions and an empty
occasion × gender cell in ``tests/test_models.py``): fixed effects to ~1e-5, their SEs
(lme4's ``vcov``) and variance components to ~1e-5 relative, REML log-likelihood to 1e-9.

Examples
--------
>>> import numpy as np, pandas as pd
>>> rng = np.random.default_rng(1)
>>> n = 60
>>> client = np.repeat([f"c{i:02d}" for i in range(n)], 2)
>>> long = pd.DataFrame({
...     "client_id": client, "municipality": np.repeat(["091", "092", "853"], 2 * n // 3),
...     "occasion": np.tile(["baseline", "end"], n),
...     "gender": np.repeat(rng.choice(["female", "male"], n), 2)})
>>> long["total"] = (50 + 5 * (long["occasion"] == "end") + np.repeat(rng.normal(0, 5, n), 2)
...                  + rng.normal(0, 3, 2 * n))
>>> res = change_model(long, score="total", time="occasion", group="gender")
>>> tab = res.change_by_group()
>>> tab[["group", "occasion"]].values.tolist()
[['female', 'end'], ['male', 'end']]
"""

from __future__ import annotations

import re
import time as _time
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import linalg, optimize, stats

from soskulib.checks import require_columns

__all__ = ["STRUCTURES", "ModelResult", "change_model", "example_data", "fit_change_model",
           "reml_deviance"]

STRUCTURES = ("client", "nested", "municipality")

#: R's ``qr()`` tolerance, used by lme4 to detect aliased fixed-effect columns.
RANK_TOL = 1e-7


def example_data(n_clients: int = 40, seed: int = 1) -> pd.DataFrame:
    """Synthetic baseline and end scores of the examples: clients in two municipalities.

    ``total = 50 + 5·[end] + u_client + e`` with :math:`u \\sim N(0, 4^2)` and
    :math:`e \\sim N(0, 3^2)`; women and men alternate; the first half of the clients are in
    ``"091"``, the rest in ``"092"``.

    Parameters
    ----------
    n_clients : int
        Number of clients (even); two rows each.
    seed : int
        Seed of ``numpy.random.default_rng``.

    Returns
    -------
    DataFrame
        ``client_id, municipality, occasion, gender, total``, one row per client and occasion.

    Examples
    --------
    >>> long = example_data()
    >>> long.shape, long["occasion"].unique().tolist()
    ((80, 5), ['baseline', 'end'])
    """
    rng = np.random.default_rng(seed)
    n = n_clients
    long = pd.DataFrame({
        "client_id": np.repeat([f"c{i}" for i in range(n)], 2),
        "municipality": np.repeat(["091", "092"], n),
        "occasion": np.tile(["baseline", "end"], n),
        "gender": np.repeat(np.tile(["female", "male"], n // 2), 2)})
    long["total"] = (50 + 5 * (long["occasion"] == "end") + np.repeat(rng.normal(0, 4, n), 2)
                     + rng.normal(0, 3, 2 * n))
    return long


def _safe(name: str) -> str:
    return re.sub(r"\W", "_", str(name))


@dataclass
class ModelResult:
    """A fitted mixed model with tidy tables.

    Attributes
    ----------
    result : statsmodels MixedLMResults
        Fit of the estimable columns (``terms`` without ``dropped_terms``).
    terms : list of str
        Readable names of all fixed effects of the design (``intercept``, ``occasion[end]``,
        ``gender[male]``, ``occasion[end]:gender[male]``, covariates, ``municipality[...]``).
    dropped_terms : list of str
        Terms dropped as linear combinations of earlier ones (not estimable; NaN in tables).
    structure : str
        ``"client"``, ``"nested"`` or ``"municipality"``.
    fit_seconds : float
        Wall time of the fit (informative only; results do not depend on it).
    fe_cov : ndarray
        lme4's ``vcov`` of the estimated fixed effects (order of ``result.fe_params``).
    n_obs, n_clients, n_municipalities : int
        Rows used (complete cases), distinct clients and municipalities.
    converged : bool
        Whether the REML optimiser reached a stationary point and statsmodels converged.

    Examples
    --------
    >>> long = example_data()  # 40 clients, two municipalities, baseline and end
    >>> res = change_model(long, structure="client")  # lmer(total ~ occasion*gender
    ...                                               #   + municipality + (1 | client_id))
    >>> res.structure, res.n_obs, res.n_clients, res.dropped_terms
    ('client', 80, 40, [])
    """

    result: Any
    terms: list[str]
    structure: str
    n_obs: int
    n_clients: int
    n_municipalities: int
    fit_seconds: float
    converged: bool
    _levels: dict = field(default_factory=dict, repr=False)
    fe_cov: np.ndarray | None = field(default=None, repr=False)
    dropped_terms: list[str] = field(default_factory=list)
    fe_params: np.ndarray | None = field(default=None, repr=False)
    variances: dict[str, float] = field(default_factory=dict)

    @property
    def _kept(self) -> list[int]:
        dropped = set(self.dropped_terms)
        return [i for i, t in enumerate(self.terms) if t not in dropped]

    def _full_estimates(self) -> tuple[np.ndarray, np.ndarray]:
        """Estimates and covariance over all ``terms``; dropped terms are 0 (a g-inverse)."""
        k, kept = len(self.terms), self._kept
        est = np.zeros(k)
        est[kept] = np.asarray(self.result.fe_params if self.fe_params is None
                               else self.fe_params, dtype=float)
        if self.fe_cov is not None:
            small = self.fe_cov
        else:
            small = np.asarray(self.result.cov_params())[:len(kept), :len(kept)]
        cov = np.zeros((k, k))
        cov[np.ix_(kept, kept)] = small
        return est, cov

    def _estimable(self, L: np.ndarray) -> bool:
        """Whether L'beta is estimable: L is orthogonal to the null space of the design."""
        null = self._levels.get("null_space")
        if null is None or null.size == 0:
            return True
        return bool(np.all(np.abs(L @ null) <= 1e-8 * max(1.0, float(np.abs(L).sum()))))

    def coef_table(self, level: float = 0.95) -> pd.DataFrame:
        """Fixed effects: ``estimate, se, z, pval, ci_low, ci_high`` (Wald, normal quantile).

        SEs are lme4's ``vcov``: :math:`\\hat\\sigma^2 (X'H^{-1}X)^{-1}` at the REML variance
        components (statsmodels' own ``cov_params`` inverts the joint Hessian of fixed effects
        and variance parameters, which differs and can blow up near a zero variance).
        lme4 gives no p values by default (lmerTest would use Satterthwaite t tests), so the
        z-based p values are approximate for few municipalities. Dropped (aliased) terms
        are NaN, as ``fixef(fit, add.dropped = TRUE)`` in lme4.

        Parameters
        ----------
        level : float, default 0.95
            Confidence level of the Wald intervals.

        Returns
        -------
        DataFrame
            Indexed by ``term`` (as :attr:`terms`): ``estimate, se, z, pval, ci_low, ci_high``.
            R: ``fixef(fit)``, ``sqrt(diag(vcov(fit)))``.

        Examples
        --------
        Same numbers as lme4 1.1-31 ``fixef(fit)`` and ``sqrt(diag(vcov(fit)))`` to the
        digits shown:

        >>> long = example_data()  # 40 clients, two municipalities, baseline and end
        >>> res = change_model(long, structure="client")  # lmer(total ~ occasion*gender
        ...                                               #   + municipality + (1 | client_id))
        >>> res.coef_table()[["estimate", "se"]].round(3)  # doctest: +NORMALIZE_WHITESPACE
                                    estimate     se
        term
        intercept                     50.214  1.150
        occasion[end]                  5.155  0.765
        gender[male]                  -0.871  1.364
        occasion[end]:gender[male]    -0.577  1.082
        municipality[092]              0.125  1.253
        """
        est, cov = self._full_estimates()
        se = np.sqrt(np.diag(cov))
        dropped = np.isin(self.terms, self.dropped_terms)
        est, se = np.where(dropped, np.nan, est), np.where(dropped, np.nan, se)
        crit = stats.norm.isf((1 - level) / 2)
        z = est / se
        return pd.DataFrame({
            "estimate": est, "se": se, "z": z, "pval": 2 * stats.norm.sf(np.abs(z)),
            "ci_low": est - crit * se, "ci_high": est + crit * se,
        }, index=pd.Index(self.terms, name="term"))

    def variance_components(self) -> pd.DataFrame:
        """REML variance components (``variance`` and ``sd``) as lme4's ``VarCorr``.

        Returns
        -------
        DataFrame
            Indexed by ``component`` (``municipality`` and ``client_id:municipality`` for the nested
            structure, ``client_id`` for the client structure, ``municipality`` for the
            municipality structure, then ``residual``): ``variance`` and ``sd``; a variance at
            the boundary is exactly 0. R: ``VarCorr(fit)``.

        Examples
        --------
        >>> long = example_data()  # 40 clients, two municipalities, baseline and end
        >>> res = change_model(long, structure="client")  # lmer(total ~ occasion*gender
        ...                                               #   + municipality + (1 | client_id))
        >>> res.variance_components().round(3)  # doctest: +NORMALIZE_WHITESPACE
                   variance     sd
        component
        client_id    12.765  3.573
        residual      5.851  2.419
        """
        if self.variances:  # from the REML optimum: a boundary variance is exactly 0
            out = pd.DataFrame({"variance": pd.Series(self.variances, dtype=float)})
            out.index.name = "component"
            out["sd"] = np.sqrt(out["variance"])
            return out
        r = self.result
        rows = []
        if self.structure == "nested":
            rows.append(("municipality", float(np.asarray(r.cov_re)[0, 0])))
            rows.append(("client_id:municipality", float(np.asarray(r.vcomp)[0])))
        else:
            rows.append(("client_id", float(np.asarray(r.cov_re)[0, 0])))
        rows.append(("residual", float(r.scale)))
        out = pd.DataFrame(rows, columns=["component", "variance"]).set_index("component")
        out["sd"] = np.sqrt(out["variance"])
        return out

    def change_by_group(self, level: float = 0.95) -> pd.DataFrame:
        """Estimated mean change from baseline to each later occasion, per group.

        For group g and occasion t: :math:`\\beta_{t} + \\beta_{t:g}` (the interaction is 0
        for the reference group), SE from the fixed-effect covariance, Wald CI. With
        covariates the change is the same at every covariate value (no covariate × time
        terms). A change that is not estimable (e.g. no measurement of the group at that
        occasion) is NaN with ``estimable=False``.

        Parameters
        ----------
        level : float, default 0.95
            Confidence level of the Wald intervals.

        Returns
        -------
        DataFrame
            One row per group × later occasion: ``group, occasion, change, se, ci_low, ci_high,
            estimable``.

        Examples
        --------
        >>> long = example_data()  # 40 clients, two municipalities, baseline and end
        >>> res = change_model(long, structure="client")  # lmer(total ~ occasion*gender
        ...                                               #   + municipality + (1 | client_id))
        >>> res.change_by_group()[["group", "occasion", "change", "se"]].round(3)
            group occasion  change     se
        0  female      end   5.155  0.765
        1    male      end   4.578  0.765
        """
        lv = self._levels
        est, cov = self._full_estimates()
        index = {t: i for i, t in enumerate(self.terms)}
        rows = []
        crit = stats.norm.isf((1 - level) / 2)
        for g in lv["group"]:
            for t in lv["time"][1:]:
                L = np.zeros(len(self.terms))
                L[index[f"{lv['time_name']}[{t}]"]] = 1
                inter = f"{lv['time_name']}[{t}]:{lv['group_name']}[{g}]"
                if inter in index:
                    L[index[inter]] = 1
                ok = self._estimable(L)
                value = float(L @ est) if ok else np.nan
                se = float(np.sqrt(L @ cov @ L)) if ok else np.nan
                rows.append({"group": g, "occasion": t, "change": value, "se": se,
                             "ci_low": value - crit * se, "ci_high": value + crit * se,
                             "estimable": ok})
        return pd.DataFrame(rows)

    def summary(self) -> str:
        """Readable summary: structure, sizes, fixed effects and variance components.

        Returns
        -------
        str
            Header line, :meth:`coef_table` and :meth:`variance_components` as text.

        Examples
        --------
        >>> long = example_data()  # 40 clients, two municipalities, baseline and end
        >>> res = change_model(long, structure="client")  # lmer(total ~ occasion*gender
        ...                                               #   + municipality + (1 | client_id))
        >>> print(res.summary().splitlines()[0])  # doctest: +ELLIPSIS
        Linear mixed model (REML; structure=client); 80 observations, 40 clients, ...
        """
        dropped = (f"; not estimable (dropped): {', '.join(self.dropped_terms)}"
                   if self.dropped_terms else "")
        return (f"Linear mixed model (REML; structure={self.structure}); "
                f"{self.n_obs} observations, {self.n_clients} clients, "
                f"{self.n_municipalities} municipalities; fit {self.fit_seconds:.1f} s"
                f"{dropped}\n"
                + self.coef_table().to_string(float_format="%.4f") + "\n"
                + self.variance_components().to_string(float_format="%.4f"))


# ------------------------------------------------------------------------------------------
# closed-form profiled REML for (nested) random intercepts
class _NestedIntercepts:
    """Sufficient statistics of ``[X, y]`` for random intercepts of clients within outer groups.

    ``client_codes`` index the innermost units (0..n_clients-1); each client lies in exactly
    one outer group (``outer_codes`` per row). With ``gamma_outer = 0`` the outer grouping
    is irrelevant (``structure="client"``).
    """

    def __init__(self, X: np.ndarray, y: np.ndarray, client_codes: np.ndarray,
                 outer_codes: np.ndarray) -> None:
        self.n, self.p = X.shape
        M = np.column_stack([X, y])
        self.gram = M.T @ M
        n_clients = int(client_codes.max()) + 1
        self.sums = np.zeros((n_clients, self.p + 1))
        np.add.at(self.sums, client_codes, M)
        self.sizes = np.bincount(client_codes, minlength=n_clients).astype(float)
        self.client_outer = np.zeros(n_clients, dtype=np.intp)
        self.client_outer[client_codes] = outer_codes
        if np.any(np.bincount(client_codes, weights=outer_codes) / self.sizes
                  != self.client_outer):
            raise ValueError("each client must lie in one outer group (nest client codes)")
        self.n_outer = int(outer_codes.max()) + 1

    def _outer_sum(self, values: np.ndarray) -> np.ndarray:
        out = np.zeros((self.n_outer,) + values.shape[1:])
        np.add.at(out, self.client_outer, values)
        return out

    def deviance(self, gamma_client: float, gamma_outer: float,
                 gradient: bool = False) -> tuple[float, np.ndarray, dict]:
        """REML deviance d_R, its gradient in (gamma_client, gamma_outer), and the GLS parts."""
        p, ni = self.p, self.sizes
        w = 1.0 / (1.0 + ni * gamma_client)          # A_i^{-1} 1 = w_i 1
        a = gamma_client * w                         # A_i^{-1} = I - a_i J
        t = np.bincount(self.client_outer, ni * w, self.n_outer)   # 1_m' A^{-1} 1_m
        b = gamma_outer / (1.0 + gamma_outer * t)    # Sherman-Morrison weight per group
        T = self._outer_sum(w[:, None] * self.sums)  # 1_m' A^{-1} [X, y]
        G = self.gram - (self.sums * a[:, None]).T @ self.sums - (T * b[:, None]).T @ T
        log_det_h = np.log1p(ni * gamma_client).sum() + np.log1p(gamma_outer * t).sum()
        chol = linalg.cholesky(G[:p, :p], lower=True)
        beta = linalg.cho_solve((chol, True), G[:p, p])
        rss = float(G[p, p] - G[:p, p] @ beta)
        dof = self.n - p
        log_det_xhx = 2 * float(np.log(np.diag(chol)).sum())
        dev = log_det_h + log_det_xhx + dof * (1 + np.log(2 * np.pi * rss / dof))
        parts = {"beta": beta, "rss": rss, "dof": dof, "log_det_h": float(log_det_h),
                 "log_det_xhx": log_det_xhx,
                 "xhx_inv": linalg.cho_solve((chol, True), np.eye(p))}
        grad = np.zeros(2)
        if gradient:
            # d d_R / d gamma_k = tr(H^-1 Z_k Z_k') - tr((X'H^-1X)^-1 X'H^-1 Z_k Z_k' H^-1 X)
            #                    - (n-p)/r^2 * |Z_k' H^-1 r|^2        (Z_k' H^-1 [X, y] = Q_k)
            wn = w * ni
            q_client = w[:, None] * self.sums - (b[self.client_outer] * wn)[:, None] \
                * T[self.client_outer]
            q_outer = T / (1.0 + gamma_outer * t)[:, None]
            trace_client = float((wn - b[self.client_outer] * wn ** 2).sum())
            trace_outer = float((t / (1.0 + gamma_outer * t)).sum())
            coef = np.append(-beta, 1.0)
            for k, (q, tr) in enumerate(((q_client, trace_client), (q_outer, trace_outer))):
                qx = q[:, :p]
                half = linalg.solve_triangular(chol, qx.T, lower=True)
                grad[k] = tr - float((half ** 2).sum()) - dof / rss * float(((q @ coef) ** 2)
                                                                           .sum())
        return float(dev), grad, parts


def reml_deviance(X: np.ndarray, y: np.ndarray, clients: np.ndarray, municipalities: np.ndarray,
                  var_client: float, var_municipality: float, var_residual: float) -> float:
    r"""REML deviance :math:`-2\ell_R` of the nested random-intercept model (not profiled).

    .. math:: -2\ell_R = \log|V| + \log|X'V^{-1}X| + (y - X\hat\beta)'V^{-1}(y - X\hat\beta)
              + (n - p)\log 2\pi,

    with :math:`V = \sigma^2 I + \sigma^2_c Z_c Z_c' + \sigma^2_u Z_u Z_u'`, clients nested in
    municipalities (``client_id:municipality`` as in lme4's ``(1 | municipality/client_id)``).
    Equals ``-2 * logLik(fit)`` of ``lmer(..., REML = TRUE)`` at its estimates and lme4's
    ``devfun`` (``lmer(..., devFunOnly = TRUE)``) at the corresponding theta. Computed in
    closed form (see the module docstring), O(n p²).

    Parameters
    ----------
    X : ndarray, shape (n, p)
        Fixed-effect design matrix of full column rank.
    y : ndarray, shape (n,)
        Outcome.
    clients, municipalities : array-like, shape (n,)
        Client and municipality of each row (clients are nested within municipalities).
    var_client, var_municipality : float
        Random-intercept variances σ²_c and σ²_u (>= 0).
    var_residual : float
        Residual variance σ² (> 0).

    Returns
    -------
    float
        The REML deviance at the given variance components.

    Examples
    --------
    >>> X = np.ones((4, 1)); y = np.array([1.0, 2.0, 4.0, 3.0])
    >>> clients, muns = np.array(["a", "a", "b", "b"]), np.array(["1", "1", "1", "1"])
    >>> d = reml_deviance(X, y, clients, muns, 0.0, 0.0, 1.0)
    >>> bool(np.isclose(d, np.log(4) + 5 + 3 * np.log(2 * np.pi)))
    True
    """
    X, y = np.asarray(X, float), np.asarray(y, float)
    if var_residual <= 0 or var_client < 0 or var_municipality < 0:
        raise ValueError("variances must be >= 0 and the residual variance > 0")
    mun_codes, _ = pd.factorize(np.asarray(municipalities).astype(str))
    client_codes, _ = pd.factorize(
        pd.Series(np.asarray(municipalities).astype(str)) + "|"
        + pd.Series(np.asarray(clients).astype(str)))
    _, _, parts = _NestedIntercepts(X, y, client_codes, mun_codes).deviance(
        var_client / var_residual, var_municipality / var_residual)
    # log|V| = n log s2 + log|H|, log|X'V^-1 X| = log|X'H^-1 X| - p log s2, quad form r^2/s2
    return float(parts["log_det_h"] + parts["log_det_xhx"] + parts["dof"] * np.log(var_residual)
                 + parts["rss"] / var_residual + parts["dof"] * np.log(2 * np.pi))


def _fit_variance_ratios(stats_: _NestedIntercepts,
                         outer: bool) -> tuple[np.ndarray, bool]:
    """Minimise d_R over theta = relative SDs (lme4's theta), theta >= 0.

    At theta_j = 0 the derivative in theta is 0 whatever the data (gamma = theta²), so a
    gradient method started or stopped there cannot leave the boundary. The slope in gamma
    decides instead: where it is negative, the variance is not 0 at the optimum and the
    search restarts inside (lme4's derivative-free bobyqa does not have this blind spot).

    Returns theta (client, outer) and whether the projected gradient in gamma vanished.
    """
    def objective(theta: np.ndarray) -> tuple[float, np.ndarray]:
        th = np.append(theta, 0.0) if not outer else theta
        dev, grad, _ = stats_.deviance(th[0] ** 2, th[1] ** 2, gradient=True)
        g = 2 * th * grad                         # chain rule, gamma = theta^2
        return dev, g[: len(theta)]

    def gamma_slope(theta: np.ndarray) -> np.ndarray:
        th = np.append(theta, 0.0) if not outer else theta
        return stats_.deviance(th[0] ** 2, th[1] ** 2, gradient=True)[1][: len(theta)]

    def minimise(start: np.ndarray) -> np.ndarray:
        fit = optimize.minimize(objective, start, jac=True, method="L-BFGS-B",
                                bounds=[(0.0, None)] * start.size,
                                options={"ftol": 1e-15, "gtol": 1e-9, "maxiter": 1000})
        return _newton_polish(objective, np.clip(fit.x, 0.0, None))

    grid = np.array([0.0, 0.25, 0.5, 1.0, 2.0, 4.0])
    starts = (np.array(np.meshgrid(grid, grid)).reshape(2, -1).T if outer
              else grid[:, None])
    theta = minimise(min(starts, key=lambda th: objective(th)[0]))
    for _ in range(2 * theta.size):  # leave a boundary whose gamma slope points inwards
        inward = (theta <= 0) & (gamma_slope(theta) < 0)
        if not inward.any():
            break
        best = theta
        for size in (1e-3, 1e-2, 0.1):
            trial = minimise(np.where(inward, size, theta))
            if objective(trial)[0] < objective(best)[0]:
                best = trial
        if best is theta:
            break
        theta = best
    slope = gamma_slope(theta)
    # projected gradient: at a zero bound only a negative slope (improvement inwards) counts
    projected = np.where(theta <= 0, np.minimum(slope, 0.0), objective(theta)[1])
    stationary = bool(np.all(np.abs(projected) <= 1e-4 * max(1.0, stats_.n ** 0.5)))
    if not outer:
        theta = np.append(theta, 0.0)
    return theta, stationary


def _newton_polish(objective: Any, theta: np.ndarray, max_steps: int = 30) -> np.ndarray:
    """Safeguarded Newton steps on the free coordinates after L-BFGS-B.

    L-BFGS-B stops when its relative change in d_R is below ftol, which can leave theta a
    little short of the optimum on a flat REML surface. Newton's method on the analytic
    gradient (Hessian by central differences of the gradient) with step halving, accepting only
    steps that do not raise d_R, drives the projected gradient to rounding level.
    """
    dev, grad = objective(theta)
    for _ in range(max_steps):
        free = ~((theta <= 0) & (grad >= 0))  # at the bound with an outward slope: fixed at 0
        if not free.any() or np.max(np.abs(grad[free])) < 1e-10:
            break
        idx = np.flatnonzero(free)
        hess = np.zeros((idx.size, idx.size))
        for a, j in enumerate(idx):
            h = 1e-6 * max(1.0, abs(theta[j]))
            up, down = theta.copy(), theta.copy()
            up[j] += h
            down[j] = max(down[j] - h, 0.0)
            hess[:, a] = (objective(up)[1][idx] - objective(down)[1][idx]) / (up[j] - down[j])
        hess = (hess + hess.T) / 2
        try:
            if np.min(np.linalg.eigvalsh(hess)) <= 0:
                break
            step = np.linalg.solve(hess, grad[idx])
        except np.linalg.LinAlgError:
            break
        for _halving in range(40):
            trial = theta.copy()
            trial[idx] = np.maximum(theta[idx] - step, 0.0)
            new_dev, new_grad = objective(trial)
            if new_dev <= dev:
                break
            step = step / 2
        else:
            break
        moved = float(np.max(np.abs(trial - theta)))
        theta, dev, grad = trial, new_dev, new_grad
        if moved < 1e-14:
            break
    return theta


def _aliased_columns(X: np.ndarray, tol: float = RANK_TOL) -> list[int]:
    """Columns that are (numerically) linear combinations of earlier columns.

    Greedy Gram-Schmidt in column order, as R's ``qr()`` (LINPACK ``dqrdc2``, limited
    pivoting) used by lme4's ``chkRank.drop.cols``: a column whose residual norm after
    projection on the kept columns is below ``tol`` times its own norm is dropped.
    """
    basis = np.zeros((X.shape[0], 0))
    dropped = []
    for j in range(X.shape[1]):
        col = X[:, j]
        norm = np.linalg.norm(col)
        resid = col - basis @ (basis.T @ col)
        resid -= basis @ (basis.T @ resid)         # re-orthogonalise once for stability
        rnorm = np.linalg.norm(resid)
        if norm == 0 or rnorm <= tol * norm:
            dropped.append(j)
        else:
            basis = np.column_stack([basis, resid / rnorm])
    return dropped


def _null_space(X: np.ndarray, dropped: list[int]) -> np.ndarray:
    """Basis of {b : X b = 0}: one vector per dropped column, x_d = X_kept c_d."""
    k = X.shape[1]
    kept = [j for j in range(k) if j not in dropped]
    null = np.zeros((k, len(dropped)))
    for col, d in enumerate(dropped):
        coef, *_ = np.linalg.lstsq(X[:, kept], X[:, d], rcond=None)
        null[d, col] = 1.0
        null[kept, col] = -coef
    return null


def _empty_cells(t_vals: pd.Series, g_vals: pd.Series, time_levels: list[str],
                 group_levels: list[str]) -> list[str]:
    counts = pd.crosstab(t_vals, g_vals).reindex(index=time_levels, columns=group_levels,
                                                  fill_value=0)
    return [f"{t} × {g}" for t in time_levels for g in group_levels if counts.loc[t, g] == 0]


def _levels(series: pd.Series, first: str | None, name: str) -> list[str]:
    values = series.astype(str)
    levels = sorted(values.unique())
    if first is not None:
        if first not in levels:
            raise ValueError(f"{name} has no level {first!r}; levels are {levels}")
        levels.remove(first)
        levels.insert(0, first)
    return levels


def fit_change_model(long_df: pd.DataFrame, score: str = "total", time: str = "occasion",
                     group: str = "gender", covariates: Sequence[str] = (),
                     baseline: str = "baseline", reference_group: str | None = None,
                     client: str = "client_id", municipality: str = "municipality",
                     structure: str = "nested") -> ModelResult:
    """Fit ``score ~ time * group + covariates`` with random intercepts by REML.

    Parameters
    ----------
    long_df : DataFrame
        One row per client and occasion (long format); rows with a missing score, time,
        group or covariate are dropped (complete-case, which is valid under MAR given the
        model's covariates: the mixed model uses clients with only one occasion too).
    score, time, group, covariates, client, municipality : str
        Column names. Numeric covariates enter linearly, text covariates as dummies.
    baseline : str
        Reference occasion (change is measured from it).
    reference_group : str, optional
        Reference level of ``group`` (default: first in sorted order, as R).
    structure : {"nested", "client", "municipality"}
        Random-effect structure, see the module docstring.

    Returns
    -------
    ModelResult

    Warns
    -----
    UserWarning
        When fixed-effect columns are aliased (e.g. an occasion × group cell without
        observations) and dropped, as lme4 does.

    Examples
    --------
    >>> long = example_data()  # 40 clients, two municipalities, baseline and end
    >>> res = fit_change_model(long, structure="client")  # lmer(total ~ occasion*gender
    ...                                                   #   + municipality + (1 | client_id))
    >>> float(round(res.coef_table().loc["occasion[end]", "estimate"], 3))
    5.155
    """
    if structure not in STRUCTURES:
        raise ValueError(f"unknown structure {structure!r}; use one of {', '.join(STRUCTURES)}")
    needed = [score, time, group, client, municipality, *covariates]
    require_columns(long_df, needed, "fit_change_model",
                    "pass long_df with one row per client and occasion")
    df = long_df[needed].dropna().reset_index(drop=True)
    if df.empty:
        raise ValueError("no complete rows to fit")
    y = pd.to_numeric(df[score], errors="coerce")
    if y.isna().any():
        raise TypeError(f"score column {score!r} must be numeric")
    time_levels = _levels(df[time], baseline, time)
    group_levels = _levels(df[group], reference_group, group)
    if len(time_levels) < 2:
        raise ValueError(f"{time} needs at least two occasions to model change")

    t_vals, g_vals = df[time].astype(str), df[group].astype(str)
    cols: dict[str, np.ndarray] = {"intercept": np.ones(len(df))}
    for t in time_levels[1:]:
        cols[f"{time}[{t}]"] = (t_vals == t).to_numpy(float)
    for g in group_levels[1:]:
        cols[f"{group}[{g}]"] = (g_vals == g).to_numpy(float)
    for t in time_levels[1:]:
        for g in group_levels[1:]:
            cols[f"{time}[{t}]:{group}[{g}]"] = cols[f"{time}[{t}]"] * cols[f"{group}[{g}]"]
    for cov in covariates:
        values = pd.to_numeric(df[cov], errors="coerce")
        if values.notna().all():
            cols[cov] = values.to_numpy(float)
        else:
            for lev in _levels(df[cov], None, cov)[1:]:
                cols[f"{cov}[{lev}]"] = (df[cov].astype(str) == lev).to_numpy(float)
    mun_vals = df[municipality].astype(str)
    if structure == "client":
        for lev in _levels(mun_vals, None, municipality)[1:]:
            cols[f"{municipality}[{lev}]"] = (mun_vals == lev).to_numpy(float)
    terms = list(cols)
    X_full = np.column_stack(list(cols.values()))
    if not np.isfinite(X_full).all():
        raise ValueError("covariates must be finite (no inf values)")

    dropped_idx = _aliased_columns(X_full)
    dropped = [terms[j] for j in dropped_idx]
    if dropped:
        empty = _empty_cells(t_vals, g_vals, time_levels, group_levels)
        why = (f"no observations in {time} × {group} cell(s) {', '.join(empty)}; " if empty
               else "")
        warnings.warn(
            f"fixed-effect design is rank deficient: dropped {', '.join(dropped)} ({why}"
            "as lme4 does). These terms and any change that depends on them are reported as "
            f"NaN; to estimate them, merge or drop rare {group} levels or occasions.",
            UserWarning, stacklevel=3)
    kept = [j for j in range(len(terms)) if j not in dropped_idx]
    X = X_full[:, kept]

    start = _time.perf_counter()
    client_vals = df[client].astype(str)
    mun_codes, _ = pd.factorize(mun_vals)
    if structure == "nested":  # lme4's client_id:municipality
        client_codes, _ = pd.factorize(mun_vals + "|" + client_vals)
        outer_codes = mun_codes
    elif structure == "client":
        client_codes, _ = pd.factorize(client_vals)
        outer_codes = np.zeros(len(df), dtype=np.intp)
    else:  # municipality only: the innermost random-intercept unit is the municipality
        client_codes = mun_codes
        outer_codes = np.zeros(len(df), dtype=np.intp)
    y_arr = y.to_numpy(float)
    suff = _NestedIntercepts(X, y_arr, client_codes, outer_codes)
    theta, stationary = _fit_variance_ratios(suff, outer=structure == "nested")
    gamma = theta ** 2
    dev, _, parts = suff.deviance(gamma[0], gamma[1])

    result = _statsmodels_fit(X, y_arr, client_vals.to_numpy(), mun_vals.to_numpy(), structure,
                              parts["beta"], gamma)
    # statsmodels starts at the optimum and can only raise its likelihood; the two REML
    # implementations must agree on the maximum.
    if result.llf < -dev / 2 - 1e-6 * max(1.0, abs(dev)):
        warnings.warn(f"statsmodels REML log-likelihood {result.llf:.6f} is below the "
                      f"closed-form maximum {-dev / 2:.6f}; please report this data set",
                      RuntimeWarning, stacklevel=3)
    # Everything reported comes from the closed-form optimum (statsmodels needs a variance
    # floor of 1e-10 to evaluate its likelihood): sigma² = r²/(n - p), the other variances
    # theta² sigma², exactly 0 at the boundary as in lme4.
    var_res = parts["rss"] / parts["dof"]
    fe_cov = var_res * parts["xhx_inv"]
    if structure == "nested":
        variances = {"municipality": float(gamma[1] * var_res),
                     "client_id:municipality": float(gamma[0] * var_res)}
    elif structure == "client":
        variances = {"client_id": float(gamma[0] * var_res)}
    else:
        variances = {"municipality": float(gamma[0] * var_res)}
    variances["residual"] = float(var_res)
    seconds = _time.perf_counter() - start
    return ModelResult(
        result=result, terms=terms, structure=structure, n_obs=len(df),
        n_clients=int(df[client].nunique()), n_municipalities=int(df[municipality].nunique()),
        fit_seconds=seconds, converged=bool(result.converged and stationary), fe_cov=fe_cov,
        dropped_terms=dropped, fe_params=np.asarray(parts["beta"], dtype=float),
        variances=variances,
        _levels={"time": time_levels, "group": group_levels, "time_name": time,
                 "group_name": group, "null_space": _null_space(X_full, dropped_idx)})


def _statsmodels_fit(X: np.ndarray, y: np.ndarray, clients: np.ndarray,
                     municipalities: np.ndarray, structure: str, beta: np.ndarray,
                     gamma: np.ndarray) -> Any:
    """statsmodels MixedLM started at the closed-form REML optimum (see module docstring)."""
    from statsmodels.regression.mixed_linear_model import MixedLM, MixedLMParams

    exog = pd.DataFrame(X, columns=[f"x{i}" for i in range(X.shape[1])])
    # statsmodels' log-likelihood takes log|cov_re| and is NaN/inf at an exact zero; a
    # variance ratio of 1e-10 changes the REML log-likelihood by ~1e-10 (lme4 reports 0)
    gamma = np.maximum(gamma, 1e-10)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence chatter is reported via .converged
        if structure == "nested":
            # one column per client, nonzero only inside its municipality's block
            client_codes, uniques = pd.factorize(pd.Series(municipalities) + "|"
                                                 + pd.Series(clients))
            exog_vc = {"client": {}}
            mun_series = pd.Series(municipalities)
            for mun, rows in mun_series.groupby(mun_series, sort=False).indices.items():
                codes = client_codes[rows]
                local, _ = pd.factorize(codes)
                block = np.zeros((len(rows), local.max() + 1))
                block[np.arange(len(rows)), local] = 1.0
                exog_vc["client"][mun] = block
            model = MixedLM(y, exog, groups=municipalities, exog_re=np.ones((len(y), 1)),
                            exog_vc=exog_vc)
            start = MixedLMParams.from_components(
                fe_params=beta, cov_re=np.array([[gamma[1]]]), vcomp=np.array([gamma[0]]))
        else:
            model = MixedLM(y, exog, groups=clients if structure == "client" else municipalities,
                            exog_re=np.ones((len(y), 1)))
            start = MixedLMParams.from_components(fe_params=beta,
                                                  cov_re=np.array([[gamma[0]]]))
        # evaluate, do not optimise: statsmodels' L-BFGS started on the boundary (a zero
        # variance) can leave the optimum for a degenerate point (llf = inf)
        return model.fit(reml=True, start_params=start, method=["lbfgs"], maxiter=0)


def change_model(long_df: pd.DataFrame, score: str = "total", time: str = "occasion",
                 group: str = "gender", **kwargs: Any) -> ModelResult:
    """Change from baseline by group: :func:`fit_change_model` with the usual defaults.

    Parameters
    ----------
    long_df : DataFrame
        Long data (one row per client and occasion).
    score, time, group : str
        Score, occasion and grouping columns.
    **kwargs
        Further arguments of :func:`fit_change_model` (``covariates``, ``baseline``,
        ``reference_group``, ``client``, ``municipality``, ``structure``).

    Returns
    -------
    ModelResult

    Examples
    --------
    See the module docstring; ``res.change_by_group()`` gives the change per group with CI
    and ``res.coef_table()`` the fixed effects (the interaction ``occasion[end]:gender[male]``
    is the difference in change between the groups).
    """
    return fit_change_model(long_df, score=score, time=time, group=group, **kwargs)


def change_by_group_table(scored: Mapping[str, pd.DataFrame], *, score: str = "score",
                          group: str = "gender", min_cell: int | None = None,
                          level: float = 0.95, **kwargs: Any) -> pd.DataFrame:
    """The nested change model per instrument, as one tidy table ready for a report.

    For every instrument in ``scored`` (e.g. :func:`soskulib.outcomes.scored_responses`
    with ``attributes=[group]``) fits :func:`change_model` (``score ~ occasion × group`` with
    random intercepts for client within municipality, REML) and stacks
    :meth:`ModelResult.change_by_group` with the number of clients per group and the variance
    components. Group × occasion cells with fewer than ``min_cell`` clients measured at both
    baseline and that occasion (default: the disclosure threshold, 5) are left out of the
    table — they are still in the model — and
    non-estimable changes (no measurement of the group at that occasion) are dropped.
    R: ``lmer(score ~ occasion * gender + (1 | municipality/client_id), REML = TRUE)`` per
    instrument, then the occasion + interaction contrasts.

    Parameters
    ----------
    scored : mapping instrument -> DataFrame
        Long scored responses per instrument with ``client_id``, ``municipality``, ``occasion``,
        ``group`` and ``score`` columns.
    score : str
        Score column.
    group : str
        Grouping column.
    min_cell : int, optional
        Smallest number of paired clients a row may describe (default
        :data:`soskulib.disclosure.MIN_CELL`).
    level : float
        Confidence level of the change intervals.
    **kwargs
        Further arguments of :func:`fit_change_model` (e.g. ``structure="client"``).

    Returns
    -------
    DataFrame
        ``instrument, group, occasion, n_clients, change, se, ci_low, ci_high,
        var_municipality, var_client, var_residual``.

    Examples
    --------
    >>> table = change_by_group_table({"esis": esis_long})  # doctest: +SKIP
    """
    from soskulib import disclosure

    threshold = disclosure.MIN_CELL if min_cell is None else int(min_cell)
    parts = []
    for instrument, frame in scored.items():
        if frame is None or frame.empty or frame["occasion"].nunique() < 2:
            continue
        with warnings.catch_warnings():
            # an empty occasion × group cell (e.g. no follow-up of a tiny group) is expected
            warnings.simplefilter("ignore", UserWarning)
            res = change_model(frame, score=score, group=group, **kwargs)
        table = res.change_by_group(level=level)
        # Disclosure counts the clients measured both at baseline and at the occasion.
        measured = frame.dropna(subset=[score])
        at_baseline = set(measured.loc[measured["occasion"] == "baseline", "client_id"])
        paired = measured.loc[measured["client_id"].isin(at_baseline)]
        n_pairs = paired.groupby([group, "occasion"])["client_id"].nunique()
        table.insert(0, "instrument", instrument)
        keys = pd.MultiIndex.from_arrays([table["group"], table["occasion"]])
        table.insert(3, "n_clients", n_pairs.reindex(keys).fillna(0).astype("int64").to_numpy())
        vc = res.variance_components()["variance"]
        table["var_municipality"] = vc.get("municipality", np.nan)
        table["var_client"] = vc.get("client_id:municipality", vc.get("client_id", np.nan))
        table["var_residual"] = vc["residual"]
        parts.append(table.loc[table["estimable"] & (table["n_clients"] >= threshold)]
                     .drop(columns="estimable"))
    columns = ["instrument", "group", "occasion", "n_clients", "change", "se", "ci_low",
               "ci_high", "var_municipality", "var_client", "var_residual"]
    if not parts:
        return pd.DataFrame(columns=columns)
    return pd.concat(parts, ignore_index=True)[columns]
