r"""Linear mixed models of change (clients measured repeatedly, clients within municipalities).

Model (Laird & Ware 1982), for measurement j of client i in municipality m:

.. math:: y_{mij} = x_{mij}'\beta + u_m + c_{mi} + e_{mij},\quad
          u_m \sim N(0, \sigma^2_{mun}),\ c_{mi} \sim N(0, \sigma^2_{client}),\
          e_{mij} \sim N(0, \sigma^2),

with :math:`x'\beta` = occasion × group (+ covariates), fitted by REML with statsmodels
``MixedLM``. Two random-effect structures:

* ``structure="nested"`` (default) -- random intercepts for municipality and for client
  within municipality: statsmodels ``groups=municipality, re_formula="1",
  vc_formula={"client": "0 + C(client_id)"}``; R: ``lmer(score ~ time*gender +
  (1 | municipality/client_id), REML = TRUE)``. Measured fit time for 1,500 clients x 2
  occasions in 50 municipalities: 1.3 s (``tests/reference/lme4_timing.txt``), so the
  nested model is fast enough to be the default.
* ``structure="client"`` -- random intercept per client, municipality as fixed effects;
  R: ``lmer(score ~ time*gender + municipality + (1 | client_id), REML = TRUE)``. Use it
  when there are too few municipalities (fewer than ~5) to estimate their variance; it was
  slower in the timing run (3.1 s: 49 municipality dummies).

Both agree with lme4 (tests/reference/lme4.R; unbalanced data with 4-5 municipalities and a
zero municipality variance in tests/test_against_r.py): fixed effects to ~1e-5, their SEs
(lme4's ``vcov``) and the variance components to ~1e-5 relative. The REML fit is L-BFGS
polished by Nelder-Mead, because L-BFGS alone can stop short of the maximum.

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
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

__all__ = ["STRUCTURES", "ModelResult", "change_model", "fit_change_model"]

STRUCTURES = ("client", "nested")


def _safe(name: str) -> str:
    return re.sub(r"\W", "_", str(name))


@dataclass
class ModelResult:
    """A fitted mixed model with tidy tables.

    Attributes
    ----------
    result : statsmodels MixedLMResults
    terms : list of str
        Readable names of the fixed effects (``intercept``, ``occasion[end]``,
        ``gender[male]``, ``occasion[end]:gender[male]``, covariates, ``municipality[...]``).
    structure : str
        ``"client"`` or ``"nested"``.
    fit_seconds : float
        Wall time of the fit (informative only; results do not depend on it).
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

    def _fixed_cov(self) -> np.ndarray:
        """Covariance of the fixed effects: lme4's ``vcov`` if computed, else statsmodels'."""
        if self.fe_cov is not None:
            return self.fe_cov
        k = len(self.terms)
        return np.asarray(self.result.cov_params())[:k, :k]

    def coef_table(self, level: float = 0.95) -> pd.DataFrame:
        """Fixed effects: ``estimate, se, z, pval, ci_low, ci_high`` (Wald, normal quantile).

        SEs are lme4's ``vcov``: :math:`\\hat\\sigma^2 (X'V^{-1}X)^{-1}` at the REML variance
        components (statsmodels' own ``cov_params`` inverts the joint Hessian of fixed effects
        and variance parameters, which differs and can blow up near a zero variance).
        lme4 gives no p values by default (lmerTest would use Satterthwaite t tests), so the
        z-based p values are approximate for few municipalities.
        """
        est = np.asarray(self.result.fe_params, dtype=float)
        se = np.sqrt(np.diag(self._fixed_cov()))
        crit = stats.norm.isf((1 - level) / 2)
        z = est / se
        return pd.DataFrame({
            "estimate": est, "se": se, "z": z, "pval": 2 * stats.norm.sf(np.abs(z)),
            "ci_low": est - crit * se, "ci_high": est + crit * se,
        }, index=pd.Index(self.terms, name="term"))

    def variance_components(self) -> pd.DataFrame:
        """REML variance components (``variance`` and ``sd``) as lme4's ``VarCorr``."""
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
        terms).
        """
        lv = self._levels
        k = len(self.terms)
        est = np.asarray(self.result.fe_params, dtype=float)
        cov = self._fixed_cov()
        index = {t: i for i, t in enumerate(self.terms)}
        rows = []
        crit = stats.norm.isf((1 - level) / 2)
        for g in lv["group"]:
            for t in lv["time"][1:]:
                L = np.zeros(k)
                L[index[f"{lv['time_name']}[{t}]"]] = 1
                inter = f"{lv['time_name']}[{t}]:{lv['group_name']}[{g}]"
                if inter in index:
                    L[index[inter]] = 1
                value = float(L @ est)
                se = float(np.sqrt(L @ cov @ L))
                rows.append({"group": g, "occasion": t, "change": value, "se": se,
                             "ci_low": value - crit * se, "ci_high": value + crit * se})
        return pd.DataFrame(rows)

    def summary(self) -> str:
        """Readable summary: structure, sizes, fixed effects and variance components."""
        return (f"Linear mixed model (REML; structure={self.structure}); "
                f"{self.n_obs} observations, {self.n_clients} clients, "
                f"{self.n_municipalities} municipalities; fit {self.fit_seconds:.1f} s\n"
                + self.coef_table().to_string(float_format="%.4f") + "\n"
                + self.variance_components().to_string(float_format="%.4f"))


def _fixed_effect_cov(X: np.ndarray, result: Any, structure: str, clients: np.ndarray,
                      municipalities: np.ndarray) -> np.ndarray:
    r"""lme4's ``vcov(fit)``: :math:`(X'V^{-1}X)^{-1}` at the REML variance components.

    :math:`V = \sigma^2 I + Z G Z'` with indicator matrices Z of the random intercepts and
    G = diag(variances). With :math:`U = Z G^{1/2}` (Woodbury, sparse; a zero variance is fine):
    :math:`X'V^{-1}X = \sigma^{-2}\,[X'X - X'U(\sigma^2 I + U'U)^{-1}U'X]`.
    """
    from scipy import sparse
    from scipy.sparse.linalg import splu

    n = X.shape[0]
    blocks, scales = [], []
    if structure == "nested":
        levels = {"mun": municipalities,
                  "client": np.char.add(np.char.add(municipalities.astype(str), "|"),
                                        clients.astype(str))}
        variances = {"mun": float(np.asarray(result.cov_re)[0, 0]),
                     "client": float(np.asarray(result.vcomp)[0])}
    else:
        levels = {"client": clients}
        variances = {"client": float(np.asarray(result.cov_re)[0, 0])}
    for name, values in levels.items():
        codes, uniques = pd.factorize(values)
        blocks.append(sparse.csr_matrix((np.ones(n), (np.arange(n), codes)),
                                        shape=(n, len(uniques))))
        scales.append(np.full(len(uniques), np.sqrt(max(variances[name], 0.0))))
    sigma2 = float(result.scale)
    U = sparse.hstack(blocks).tocsr() @ sparse.diags(np.concatenate(scales))
    A = (sigma2 * sparse.identity(U.shape[1]) + U.T @ U).tocsc()
    UtX = np.asarray(U.T @ X)
    xtvix = (X.T @ X - UtX.T @ splu(A).solve(UtX)) / sigma2
    return np.linalg.inv(xtvix)


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
    structure : {"client", "nested"}
        Random-effect structure, see the module docstring.

    Returns
    -------
    ModelResult
    """
    if structure not in STRUCTURES:
        raise ValueError(f"unknown structure {structure!r}; use 'client' or 'nested'")
    needed = [score, time, group, client, municipality, *covariates]
    missing = [c for c in needed if c not in long_df.columns]
    if missing:
        raise KeyError(f"long_df lacks column(s) {missing}")
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
    if structure == "client":
        for lev in _levels(df[municipality], None, municipality)[1:]:
            cols[f"{municipality}[{lev}]"] = (df[municipality].astype(str) == lev).to_numpy(float)
    terms = list(cols)
    safe = [f"x{i}_{_safe(t)}" for i, t in enumerate(terms)]
    design = pd.DataFrame(dict(zip(safe, cols.values(), strict=True)))
    design["_y"] = y.to_numpy(float)
    design["_client"] = df[client].astype(str).to_numpy()
    design["_mun"] = df[municipality].astype(str).to_numpy()
    formula = "_y ~ 0 + " + " + ".join(safe)

    import statsmodels.formula.api as smf

    start = _time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence chatter is reported via .converged
        if structure == "nested":
            model = smf.mixedlm(formula, design, groups=design["_mun"], re_formula="1",
                                vc_formula={"client": "0 + C(_client)"})
        else:
            model = smf.mixedlm(formula, design, groups=design["_client"])
        result = model.fit(reml=True, method=["lbfgs", "powell"])
        # L-BFGS can report convergence short of the REML maximum, notably when a variance
        # is near 0 (4 municipalities, unbalanced data: fixed effects off by 0.03-0.4 from
        # lme4). Polish with Nelder-Mead from that point; keep whichever likelihood is higher.
        polished = model.fit(reml=True, start_params=result.params_object, method="nm",
                             maxiter=10_000, xtol=1e-10, ftol=1e-12)
        if polished.converged and polished.llf >= result.llf:
            result = polished
    fe_cov = _fixed_effect_cov(design[safe].to_numpy(float), result, structure,
                               design["_client"].to_numpy(), design["_mun"].to_numpy())
    seconds = _time.perf_counter() - start
    return ModelResult(
        result=result, terms=terms, structure=structure, n_obs=len(df),
        n_clients=int(df[client].nunique()), n_municipalities=int(df[municipality].nunique()),
        fit_seconds=seconds, converged=bool(result.converged), fe_cov=fe_cov,
        _levels={"time": time_levels, "group": group_levels, "time_name": time,
                 "group_name": group})


def change_model(long_df: pd.DataFrame, score: str = "total", time: str = "occasion",
                 group: str = "gender", **kwargs: Any) -> ModelResult:
    """Change from baseline by group: :func:`fit_change_model` with the usual defaults.

    Examples
    --------
    See the module docstring; ``res.change_by_group()`` gives the change per group with CI
    and ``res.coef_table()`` the fixed effects (the interaction ``occasion[end]:gender[male]``
    is the difference in change between the groups).
    """
    return fit_change_model(long_df, score=score, time=time, group=group, **kwargs)
