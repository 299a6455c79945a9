"""Internal consistency and item analysis of an instrument's items.

Cronbach's alpha with Feldt's CI, McDonald's omega total (one factor), corrected item-total
correlations, alpha if item deleted, floor/ceiling.

Every statistic uses the rows where all items are answered (listwise deletion) by default and
reports that ``n``. R ``psych`` uses pairwise covariances by default;
``cronbach_alpha(items, use="pairwise")`` does the same (and then counts every row as psych
does). ``omega_total`` reverses negatively loading items as ``psych::omega(flip = TRUE)`` and
offers a seeded percentile-bootstrap CI.

Items must already be keyed in one direction: use :func:`soskulib.scoring.item_matrix`, which
reverses an instrument's reverse-keyed items.

Examples
--------
>>> import numpy as np, pandas as pd
>>> rng = np.random.default_rng(1)
>>> trait = rng.normal(size=(300, 1))
>>> items = pd.DataFrame(np.round(trait + rng.normal(size=(300, 5))), columns=list("abcde"))
>>> res = item_analysis(items)
>>> round(res.alpha.alpha, 3), round(res.omega.omega, 3), res.alpha.n
(0.806, 0.807, 300)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

import numpy as np
import pandas as pd
from scipy import optimize, stats

if TYPE_CHECKING:
    from soskulib.instruments import Instrument

__all__ = ["AlphaResult", "OmegaResult", "ReliabilityResult", "cronbach_alpha", "omega_total",
           "item_total", "floor_ceiling", "item_analysis"]


# ---------------------------------------------------------------------------------------------
# input


def _checked_items(items: pd.DataFrame, min_items: int, what: str) -> pd.DataFrame:
    """float64 copy of ``items`` (missing values kept) after checking it can be analysed."""
    if not isinstance(items, pd.DataFrame):
        raise TypeError(f"items must be a pandas DataFrame (one column per item), "
                        f"got {type(items).__name__}")
    if items.columns.duplicated().any():
        raise ValueError(f"item columns are duplicated: {sorted(set(items.columns[items.columns.duplicated()]))}")
    bad = [c for c in items.columns
           if pd.api.types.is_bool_dtype(items[c]) or not pd.api.types.is_numeric_dtype(items[c])]
    if bad:
        raise TypeError(f"item columns {bad} are not numeric; convert them (pandas.to_numeric) or "
                        "drop non-item columns such as client_id")
    if items.shape[1] < min_items:
        raise ValueError(f"{what} needs at least {min_items} items, got {items.shape[1]}")
    data = items.astype("float64")
    if not np.isfinite(data.to_numpy()[~np.isnan(data.to_numpy())]).all():
        raise ValueError("items contain infinite values")
    return data


def _complete_items(items: pd.DataFrame, min_items: int, what: str) -> pd.DataFrame:
    """Listwise-complete float64 copy of ``items`` after checking it can be analysed."""
    data = _checked_items(items, min_items, what).dropna()
    if len(data) < 3:
        raise ValueError(f"{what} needs at least 3 rows with every item answered, got {len(data)}")
    constant = data.columns[data.var(ddof=1).to_numpy() == 0].tolist()
    if constant:
        raise ValueError(f"items {constant} have no variance in the complete rows; drop them")
    return data


def _alpha_from_cov(cov: np.ndarray) -> float:
    k = cov.shape[0]
    return k / (k - 1) * (1.0 - np.trace(cov) / cov.sum())


# ---------------------------------------------------------------------------------------------
# alpha


@dataclass(frozen=True)
class AlphaResult:
    """Cronbach's alpha with Feldt's confidence interval.

    Attributes
    ----------
    alpha : float
        Raw alpha (psych ``raw_alpha``).
    ci_low, ci_high : float
        Feldt confidence limits at level ``ci``.
    n : int
        Complete rows used.
    k : int
        Number of items.
    std_alpha : float
        Alpha of the correlation matrix (psych ``std.alpha``).
    ci : float
        Confidence level.
    average_r : float
        Mean inter-item correlation (psych ``average_r``).
    s_n : float
        Signal-to-noise ratio :math:`k\bar r/(1 - \bar r)` (psych ``S/N``).
    ase : float
        Asymptotic standard error of alpha (Duhachek & Iacobucci 2004; psych ``ase``).
    use : str
        ``"complete"`` (listwise rows) or ``"pairwise"`` (pairwise covariances, psych's
        default).

    Examples
    --------
    >>> import pandas as pd
    >>> x = pd.DataFrame({"a": [1, 2, 3, 4, 5, 3], "b": [2, 2, 3, 5, 4, 3],
    ...                   "c": [1, 3, 3, 4, 5, 2]})
    >>> print(cronbach_alpha(x))
    Cronbach's alpha = 0.932 (95% CI 0.711 to 0.990, Feldt), standardised 0.934; k = 3 items, n = 6 complete rows
    """

    alpha: float
    ci_low: float
    ci_high: float
    n: int
    k: int
    std_alpha: float
    ci: float = 0.95
    average_r: float = float("nan")
    s_n: float = float("nan")
    ase: float = float("nan")
    use: str = "complete"

    def to_frame(self) -> pd.DataFrame:
        """One-row DataFrame of the result.

        Returns
        -------
        DataFrame
            Columns ``alpha, ci_low, ci_high, std_alpha, n, k, ci, average_r, s_n, ase, use``.

        Examples
        --------
        >>> AlphaResult(0.8, 0.7, 0.87, 100, 5, 0.81).to_frame()[["alpha", "n", "k"]]
           alpha    n  k
        0    0.8  100  5
        """
        return pd.DataFrame([{"alpha": self.alpha, "ci_low": self.ci_low, "ci_high": self.ci_high,
                              "std_alpha": self.std_alpha, "n": self.n, "k": self.k,
                              "ci": self.ci, "average_r": self.average_r, "s_n": self.s_n,
                              "ase": self.ase, "use": self.use}])

    def summary(self) -> str:
        """One readable line.

        Returns
        -------
        str
            Alpha, its Feldt CI, standardised alpha, k and n (also what ``str(result)`` gives).

        Examples
        --------
        >>> AlphaResult(0.8, 0.7, 0.87, 100, 5, 0.81).summary()
        "Cronbach's alpha = 0.800 (95% CI 0.700 to 0.870, Feldt), standardised 0.810; k = 5 items, n = 100 complete rows"
        """
        rows = "complete rows" if self.use == "complete" else "rows (pairwise covariances)"
        return (f"Cronbach's alpha = {self.alpha:.3f} ({self.ci:.0%} CI {self.ci_low:.3f} to "
                f"{self.ci_high:.3f}, Feldt), standardised {self.std_alpha:.3f}; "
                f"k = {self.k} items, n = {self.n} {rows}")

    def __str__(self) -> str:
        return self.summary()


def _alpha_statistics(cov: np.ndarray, n_rows: int) -> tuple[float, float, float, float, float]:
    """raw alpha, standardised alpha, average r, S/N and ASE of a covariance matrix, as
    psych's ``alpha.1`` (psych 2.2.9)."""
    k = cov.shape[0]
    alpha = _alpha_from_cov(cov)
    sd = np.sqrt(np.diag(cov))
    r = cov / np.outer(sd, sd)
    std_alpha = _alpha_from_cov(r)
    average_r = (r.sum() - k) / (k * (k - 1))
    s_n = k * average_r / (1 - average_r)
    total, trace = cov.sum(), np.trace(cov)
    q = (2 * k**2 / ((k - 1) ** 2 * total**3)) * (total * (np.trace(cov @ cov) + trace**2)
                                                  - 2 * trace * (cov @ cov).sum())
    return float(alpha), float(std_alpha), float(average_r), float(s_n), float(np.sqrt(q / n_rows))


def cronbach_alpha(items: pd.DataFrame, ci: float = 0.95, *,
                   use: Literal["complete", "pairwise"] = "complete") -> AlphaResult:
    """Cronbach's alpha with Feldt's confidence interval, average r, S/N and its ASE.

    ``alpha = k / (k - 1) · (1 - Σ s_i² / s_X²)`` with item variances ``s_i²`` and the
    variance ``s_X²`` of the sum score (Cronbach 1951), from the item covariance matrix C:
    ``(1 - tr C / ΣC) · k/(k - 1)``. Feldt's interval (Feldt, Woodruff &
    Salih 1987) uses ``(1 - alpha) / (1 - ρ) ~ F(n - 1, (n - 1)(k - 1))``:

    ``low = 1 - (1 - alpha) · F_{1-γ/2}``, ``high = 1 - (1 - alpha) · F_{γ/2}``, ``γ = 1 - ci``.

    As psych also: the average inter-item correlation r̄ of R = cov2cor(C), the
    signal-to-noise ratio ``S/N = k r̄ / (1 - r̄)`` (Cortina 1993) and the asymptotic standard
    error of alpha (Duhachek & Iacobucci 2004), ``ASE = sqrt(Q / n)`` with
    ``Q = 2k²/((k-1)² (ΣC)³) · (ΣC (tr C² + (tr C)²) - 2 tr C · Σ(C²))``.

    ``use="complete"`` (the default here, stated in the result) uses the rows where every item
    is answered; ``use="pairwise"`` uses pairwise-complete covariances and counts every row for
    n, as psych's default ``use = "pairwise"``. Agrees with R
    ``psych::alpha(x)$total`` (``raw_alpha, std.alpha, average_r, S/N, ase``) and its ``feldt``
    interval (``psych::alpha.ci``) -- on ``na.omit(x)`` for complete rows, on ``x`` for
    pairwise.

    Parameters
    ----------
    items : DataFrame
        One numeric column per item, keyed in the same direction.
    ci : float, default 0.95
        Confidence level in (0, 1).
    use : {"complete", "pairwise"}
        Missing-item handling, see above.

    Returns
    -------
    AlphaResult
        ``alpha, ci_low, ci_high, n, k, std_alpha, average_r, s_n, ase, use``.

    Examples
    --------
    >>> import pandas as pd
    >>> x = pd.DataFrame({"a": [1, 2, 3, 4, 5, 3], "b": [2, 2, 3, 5, 4, 3], "c": [1, 3, 3, 4, 5, 2]})
    >>> res = cronbach_alpha(x)
    >>> round(res.alpha, 4), round(res.ci_low, 4), round(res.ci_high, 4), res.n
    (0.9318, 0.7109, 0.9897, 6)
    >>> round(res.average_r, 4), round(res.s_n, 3)       # psych::alpha(x)$total
    (0.8242, 14.066)
    """
    if not 0 < ci < 1:
        raise ValueError(f"ci must be a level in (0, 1), got {ci}")
    if use not in ("complete", "pairwise"):
        raise ValueError(f"use must be 'complete' or 'pairwise', got {use!r}")
    if use == "complete":
        data = _complete_items(items, 2, "Cronbach's alpha")
        n, k = data.shape
        cov = np.cov(data.to_numpy(), rowvar=False)
    else:
        data = _checked_items(items, 2, "Cronbach's alpha")
        n, k = data.shape
        cov = data.cov(min_periods=2).to_numpy()
        if not np.isfinite(cov).all():
            pairs = np.argwhere(~np.isfinite(cov))
            i, j = pairs[0]
            raise ValueError(f"items {data.columns[i]!r} and {data.columns[j]!r} have fewer than "
                             "2 rows answered together; pairwise covariances need them")
        constant = data.columns[np.diag(cov) == 0].tolist()
        if constant:
            raise ValueError(f"items {constant} have no variance; drop them")
    alpha, std_alpha, average_r, s_n, ase = _alpha_statistics(cov, n)
    gamma = 1.0 - ci
    df1, df2 = n - 1, (n - 1) * (k - 1)
    low = 1.0 - (1.0 - alpha) * stats.f.ppf(1.0 - gamma / 2, df1, df2)
    high = 1.0 - (1.0 - alpha) * stats.f.ppf(gamma / 2, df1, df2)
    return AlphaResult(float(alpha), float(low), float(high), int(n), int(k), float(std_alpha), ci,
                       average_r, s_n, ase, use)


# ---------------------------------------------------------------------------------------------
# omega


@dataclass(frozen=True)
class OmegaResult:
    """McDonald's omega total from a one-factor model.

    Attributes
    ----------
    omega : float
        Omega total with the chosen ``total_variance``.
    loadings, uniquenesses : Series
        Standardised one-factor loadings λ (oriented so Σλ > 0) and ψ = 1 - λ².
    method : str
        ``"minres"`` or ``"ml"``.
    total_variance : str
        ``"model"``: ``(Σλ)² + Σψ``; ``"observed"``: sum of the correlation matrix.
    n : int
        Complete rows used.
    converged : bool
        Whether the factor fit converged.
    flipped : tuple of str
        Items reversed because they load negatively (psych ``omega(flip = TRUE)``; their
        loadings are reported after reversal).
    ci_low, ci_high : float
        Percentile bootstrap confidence limits (NaN unless asked for, see
        :func:`omega_total`).
    ci, n_boot : float, int
        Confidence level and number of bootstrap resamples behind ``ci_low``/``ci_high``.

    Examples
    --------
    >>> from soskulib.examples import one_factor_items
    >>> res = omega_total(one_factor_items((0.8, 0.7, 0.6)))   # true loadings
    >>> res.method, res.n, res.converged, res.loadings.round(1).tolist()
    ('minres', 5000, True, [0.8, 0.7, 0.6])
    """

    omega: float
    loadings: pd.Series
    uniquenesses: pd.Series
    method: str
    total_variance: str
    n: int
    converged: bool
    flipped: tuple[str, ...] = ()
    ci_low: float = float("nan")
    ci_high: float = float("nan")
    ci: float = float("nan")
    n_boot: int = 0

    def to_frame(self) -> pd.DataFrame:
        """Loadings and uniquenesses per item; omega in ``attrs``.

        Returns
        -------
        DataFrame
            Indexed by item: ``loading``, ``uniqueness``; ``attrs`` holds ``omega``,
            ``method``, ``n``.

        Examples
        --------
        >>> from soskulib.examples import one_factor_items
        >>> omega_total(one_factor_items()).to_frame().round(2)
           loading  uniqueness
        a     0.80        0.36
        b     0.71        0.50
        c     0.62        0.62
        """
        out = pd.DataFrame({"loading": self.loadings, "uniqueness": self.uniquenesses})
        out.attrs.update(omega=self.omega, method=self.method, n=self.n)
        return out

    def summary(self) -> str:
        """One readable line.

        Returns
        -------
        str
            Omega, fitting method, denominator, n and k (also what ``str(result)`` gives).

        Examples
        --------
        >>> OmegaResult(0.75, pd.Series([0.8, 0.7], index=["a", "b"]),
        ...             pd.Series([0.36, 0.51], index=["a", "b"]), "minres", "model", 50,
        ...             True).summary()
        "McDonald's omega total = 0.750 (one factor, minres, model total variance; n = 50, k = 2)"
        """
        ci = (f" ({self.ci:.0%} bootstrap CI {self.ci_low:.3f} to {self.ci_high:.3f}, "
              f"{self.n_boot} resamples)" if self.n_boot else "")
        flipped = f"; reversed: {', '.join(self.flipped)}" if self.flipped else ""
        return (f"McDonald's omega total = {self.omega:.3f}{ci} (one factor, {self.method}, "
                f"{self.total_variance} total variance; n = {self.n}, k = {len(self.loadings)}"
                f"{flipped})")

    def __str__(self) -> str:
        return self.summary()


def _minres_one_factor(r: np.ndarray) -> tuple[np.ndarray, bool]:
    """Loadings minimising Σ_{i<j} (r_ij - λ_i λ_j)² (unweighted least squares off the
    diagonal; the optimum psych's ``fm = "minres"`` searches for)."""
    k = r.shape[0]
    rows, cols = np.triu_indices(k, 1)
    target = r[rows, cols]

    def residuals(lam: np.ndarray) -> np.ndarray:
        return lam[rows] * lam[cols] - target

    def jacobian(lam: np.ndarray) -> np.ndarray:
        jac = np.zeros((len(rows), k))
        jac[np.arange(len(rows)), rows] = lam[cols]
        jac[np.arange(len(rows)), cols] = lam[rows]
        return jac

    values, vectors = np.linalg.eigh(r)
    start = vectors[:, -1] * np.sqrt(values[-1])
    fit = optimize.least_squares(residuals, start, jac=jacobian, method="lm",
                                 xtol=1e-15, ftol=1e-15, gtol=1e-15)
    return fit.x, bool(fit.success)


def _ml_one_factor(r: np.ndarray) -> tuple[np.ndarray, bool]:
    """Maximum-likelihood loadings via the uniquenesses (Jöreskog 1967; the objective and
    gradient of R ``factanal`` and ``psych::fa(fm = "ml")``, ψ bounded in [0.005, 1])."""
    k = r.shape[0]

    def loadings(psi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        scale = 1.0 / np.sqrt(psi)
        values, vectors = np.linalg.eigh(r * np.outer(scale, scale))
        lam = np.sqrt(psi) * vectors[:, -1] * np.sqrt(max(values[-1] - 1.0, 0.0))
        return lam, values

    def objective(psi: np.ndarray) -> float:
        _, values = loadings(psi)
        rest = values[:-1]
        return -(np.sum(np.log(rest) - rest) - 1 + k)

    def gradient(psi: np.ndarray) -> np.ndarray:
        lam, _ = loadings(psi)
        g = np.outer(lam, lam) + np.diag(psi) - r
        return np.diag(g) / psi**2

    start = (1.0 - 0.5 / k) / np.diag(np.linalg.inv(r))  # factanal's start
    fit = optimize.minimize(objective, np.clip(start, 0.005, 1.0), jac=gradient, method="L-BFGS-B",
                            bounds=[(0.005, 1.0)] * k,
                            options={"ftol": 1e-15, "gtol": 1e-12, "maxiter": 10_000})
    lam, _ = loadings(fit.x)
    return lam, bool(fit.success)


def _singular_items(r: np.ndarray, names: list[str]) -> list[str] | None:
    """Items spanning the null space of a (numerically) singular correlation matrix."""
    values, vectors = np.linalg.eigh(r)
    small = values <= 1e-10 * max(float(values[-1]), 1.0)
    if not small.any():
        return None
    weight = np.abs(vectors[:, small]).max(axis=1)
    return [names[i] for i in np.flatnonzero(weight > 1e-6)]


def _omega_from_r(r: np.ndarray, method: str, total_variance: str, flip: bool = True
                  ) -> tuple[float, np.ndarray, np.ndarray, bool, np.ndarray]:
    """Omega, loadings, uniquenesses, convergence and the flip key of one correlation matrix."""
    lam, converged = (_minres_one_factor if method == "minres" else _ml_one_factor)(r)
    if lam.sum() < 0:  # psych's fa orients the factor so that the loadings sum to > 0
        lam = -lam
    # psych omega(flip = TRUE): then reverse the items that still load negatively
    key = np.where(lam < 0, -1.0, 1.0) if flip else np.ones_like(lam)
    lam = key * lam
    r = r * np.outer(key, key)
    psi = 1.0 - lam**2
    if total_variance == "observed":
        omega = (r.sum() - psi.sum()) / r.sum()
    else:
        omega = lam.sum() ** 2 / (lam.sum() ** 2 + psi.sum())
    return float(omega), lam, psi, converged, key


def omega_total(items: pd.DataFrame, *, method: Literal["minres", "ml"] = "minres",
                total_variance: Literal["model", "observed"] = "model",
                flip: bool = True, ci: float | None = None, n_boot: int = 1000,
                seed: int = 20240917, resamples: np.ndarray | None = None) -> OmegaResult:
    """McDonald's omega total from a one-factor model of the item correlations.

    ``omega = (Σλ)² / ((Σλ)² + Σψ)`` (McDonald 1999, Test Theory, eq. 6.20b) with standardised
    loadings λ and uniquenesses ψ = 1 - λ² of a one-factor model fitted to the Pearson
    correlation matrix R of the complete rows. ``total_variance="observed"`` divides by the sum
    of the observed correlation matrix instead, ``omega = (ΣR - Σψ) / ΣR``, which is what
    ``psych::omega(x, nfactors = 1)$omega.tot`` reports.

    As ``psych::omega`` (``flip = TRUE``, its default), an item with a negative loading is
    reversed before omega is computed: λ_i → -λ_i and the signs of its row and column of R
    (so ``ΣR`` above is that of the re-keyed items); the reversed items are listed in
    ``flipped``. With ``flip=False`` nothing is reversed and a negative loading lowers omega.

    The minres fit minimises the squared off-diagonal residuals (R ``psych::fa(x, 1,
    fm = "minres")``); the ML fit maximises the normal likelihood (``psych::fa(x, 1,
    fm = "ml")``, ``factanal``). Both are solved to high precision here, so differences from
    psych are its optimiser tolerance (about 1e-6 in omega).

    Confidence interval (``ci``, e.g. 0.95): percentile bootstrap (Efron & Tibshirani 1993,
    ch. 13; recommended for omega by Kelley & Pornprasertmanit 2016, Psychol Methods
    21:69-92) over ``n_boot`` resamples of the complete rows drawn with
    ``numpy.random.default_rng(seed)`` -- the same seed gives the same interval. Limits are
    R's default (type 7) quantiles of the resampled omegas; a resample whose correlation
    matrix cannot be factored (e.g. a constant item) is skipped. ``resamples`` (an
    ``n_boot × n`` array of 0-based row positions) replays a given bootstrap, e.g. R's.

    Parameters
    ----------
    items : DataFrame
        At least three numeric items.
    method : {"minres", "ml"}
        Factoring method.
    total_variance : {"model", "observed"}
        Denominator, see above.
    flip : bool, default True
        Reverse negatively loading items as psych does.
    ci : float, optional
        Confidence level of a bootstrap interval; None (default) for none.
    n_boot : int
        Number of bootstrap resamples.
    seed : int
        Seed of the bootstrap.
    resamples : ndarray, optional
        Row positions of each resample, replacing the seeded draw.

    Returns
    -------
    OmegaResult

    Raises
    ------
    ValueError
        With ``method="ml"`` when the item correlation matrix is singular (an item is a linear
        combination of others, e.g. a sum score included as an item), naming the items.

    Examples
    --------
    With loadings 0.8, 0.7, 0.6 the model-implied omega is
    2.1² / (2.1² + 0.36 + 0.51 + 0.64) = 0.745:

    >>> import numpy as np, pandas as pd
    >>> lam = np.array([0.8, 0.7, 0.6])
    >>> cov = np.outer(lam, lam) + np.diag(1 - lam**2)
    >>> x = np.random.default_rng(0).multivariate_normal(np.zeros(3), cov, size=100_000)
    >>> round(omega_total(pd.DataFrame(x, columns=list("abc"))).omega, 2)
    0.75

    A reverse-worded item is re-keyed as psych does:

    >>> y = pd.DataFrame(x[:2000] * [1, -1, 1], columns=list("abc"))
    >>> res = omega_total(y, ci=0.95, n_boot=200)
    >>> res.flipped, round(res.omega, 2), res.ci_low < res.omega < res.ci_high
    (('b',), 0.75, True)
    """
    if method not in ("minres", "ml"):
        raise ValueError(f"method must be 'minres' or 'ml', got {method!r}")
    if total_variance not in ("model", "observed"):
        raise ValueError(f"total_variance must be 'model' or 'observed', got {total_variance!r}")
    data = _complete_items(items, 3, "omega (one-factor model)")
    x = data.to_numpy()
    r = np.corrcoef(x, rowvar=False)
    names = [str(c) for c in data.columns]
    if method == "ml":
        dependent = _singular_items(r, names)
        if dependent is not None:
            raise ValueError(
                f"omega (method='ml'): the correlation matrix of items {dependent} is singular "
                "(one is a linear combination of the others, e.g. a sum score or a duplicated "
                "item); drop one of them or use method='minres'")
    omega, lam, psi, converged, key = _omega_from_r(r, method, total_variance, flip)
    flipped = tuple(n for n, k in zip(names, key, strict=True) if k < 0)
    ci_low = ci_high = float("nan")
    used = 0
    if ci is not None:
        if not 0 < ci < 1:
            raise ValueError(f"ci must be a level in (0, 1), got {ci}")
        n = len(x)
        if resamples is None:
            if n_boot < 2:
                raise ValueError(f"n_boot must be at least 2, got {n_boot}")
            resamples = np.random.default_rng(seed).integers(0, n, size=(n_boot, n))
        resamples = np.asarray(resamples)
        boot = []
        for rows in resamples:  # n_boot small factor fits
            sample = x[rows]
            if np.any(sample.std(axis=0) == 0):
                continue
            rb = np.corrcoef(sample, rowvar=False)
            if method == "ml" and _singular_items(rb, names) is not None:
                continue
            boot.append(_omega_from_r(rb, method, total_variance, flip)[0])
        used = len(boot)
        if used < 2:
            raise ValueError("too few bootstrap resamples could be factored for a CI")
        ci_low, ci_high = (float(q) for q in np.quantile(boot, [(1 - ci) / 2, (1 + ci) / 2]))
    return OmegaResult(
        omega=float(omega),
        loadings=pd.Series(lam, index=data.columns, name="loading"),
        uniquenesses=pd.Series(psi, index=data.columns, name="uniqueness"),
        method=method,
        total_variance=total_variance,
        n=len(data),
        converged=converged and bool((psi > 0).all()),
        flipped=flipped,
        ci_low=ci_low, ci_high=ci_high, ci=float("nan") if ci is None else float(ci),
        n_boot=used,
    )


# ---------------------------------------------------------------------------------------------
# item statistics


def item_total(items: pd.DataFrame) -> pd.DataFrame:
    """Corrected item-total correlation and alpha if the item is deleted (complete rows).

    ``r_drop``: Pearson correlation of the item with the sum of the *other* items
    (psych ``item.stats$r.drop``). ``alpha_if_deleted``: raw alpha of the remaining items
    (psych ``alpha.drop$raw_alpha``).

    Parameters
    ----------
    items : DataFrame
        At least three numeric items keyed in the same direction; rows with a missing item are
        dropped (listwise).

    Returns
    -------
    DataFrame
        Indexed by item: ``r_drop`` and ``alpha_if_deleted``. R:
        ``psych::alpha(na.omit(x))$item.stats$r.drop`` and ``$alpha.drop$raw_alpha``.

    Examples
    --------
    >>> import pandas as pd
    >>> x = pd.DataFrame({"a": [1, 2, 3, 4, 5, 3], "b": [2, 2, 3, 5, 4, 3], "c": [1, 3, 3, 4, 5, 2]})
    >>> item_total(x).round(3)
       r_drop  alpha_if_deleted
    a   0.942             0.832
    b   0.807             0.947
    c   0.854             0.908
    """
    data = _complete_items(items, 3, "item-total statistics")
    cov = np.cov(data.to_numpy(), rowvar=False)
    k = cov.shape[0]
    item_var = np.diag(cov)
    cov_with_total = cov.sum(axis=1)
    rest_var = cov.sum() - 2 * cov_with_total + item_var
    r_drop = (cov_with_total - item_var) / np.sqrt(item_var * rest_var)
    keep = ~np.eye(k, dtype=bool)
    alpha_drop = [_alpha_from_cov(cov[np.ix_(keep[j], keep[j])]) for j in range(k)]
    return pd.DataFrame({"r_drop": r_drop, "alpha_if_deleted": alpha_drop}, index=data.columns)


def floor_ceiling(data: pd.DataFrame, low: float | Mapping[str, float],
                  high: float | Mapping[str, float]) -> pd.DataFrame:
    """Percentage of answered values at the lowest and the highest possible value per column.

    Uses every non-missing value of each column (not only complete rows); columns are items or
    scale scores. A floor or ceiling share above 15 % is the usual warning sign
    (Terwee et al. 2007, J Clin Epidemiol 60:34-42).

    Parameters
    ----------
    data : DataFrame
        Numeric columns.
    low, high : float or mapping column -> float
        Lowest and highest possible value (one for all columns or per column).

    Returns
    -------
    DataFrame
        Columns ``n``, ``floor_pct``, ``ceiling_pct`` (0-100), one row per column of ``data``.

    Examples
    --------
    >>> import pandas as pd
    >>> floor_ceiling(pd.DataFrame({"q": [0, 0, 2, 4, None]}), 0, 4)
       n  floor_pct  ceiling_pct
    q  4       50.0         25.0
    """
    columns = list(data.columns)
    lows = pd.Series(low if isinstance(low, Mapping) else dict.fromkeys(columns, low), dtype=float)
    highs = pd.Series(high if isinstance(high, Mapping) else dict.fromkeys(columns, high), dtype=float)
    absent = [c for c in columns if c not in lows.index or c not in highs.index]
    if absent:
        raise KeyError(f"no low/high bound given for columns {absent}")
    bad = [c for c in columns if not pd.api.types.is_numeric_dtype(data[c])]
    if bad:
        raise TypeError(f"columns {bad} are not numeric")
    x = data.to_numpy(dtype="float64", na_value=np.nan)
    answered = ~np.isnan(x)
    n = answered.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        floor = (x == lows[columns].to_numpy()).sum(axis=0) / n * 100
        ceiling = (x == highs[columns].to_numpy()).sum(axis=0) / n * 100
    return pd.DataFrame({"n": n, "floor_pct": floor, "ceiling_pct": ceiling}, index=columns)


# ---------------------------------------------------------------------------------------------
# all together


@dataclass(frozen=True)
class ReliabilityResult:
    """Alpha, omega and the item table of one set of items (see :func:`item_analysis`).

    Examples
    --------
    >>> import pandas as pd
    >>> x = pd.DataFrame({"a": [1, 2, 3, 4, 5, 3], "b": [2, 2, 3, 5, 4, 3],
    ...                   "c": [1, 3, 3, 4, 5, 2]})
    >>> res = item_analysis(x)
    >>> round(res.alpha.alpha, 3), list(res.items.columns)
    (0.932, ['n', 'mean', 'sd', 'r_drop', 'alpha_if_deleted', 'loading'])
    """

    alpha: AlphaResult
    omega: OmegaResult | None
    items: pd.DataFrame
    extra: dict = field(default_factory=dict)

    def to_frame(self) -> pd.DataFrame:
        """The item table (mean, sd, r_drop, alpha_if_deleted, loading, floor/ceiling %).

        Returns
        -------
        DataFrame
            A copy of ``items`` (one row per item).

        Examples
        --------
        >>> import pandas as pd
        >>> x = pd.DataFrame({"a": [1, 2, 3, 4, 5, 3], "b": [2, 2, 3, 5, 4, 3],
        ...                   "c": [1, 3, 3, 4, 5, 2]})
        >>> item_analysis(x).to_frame().index.tolist()
        ['a', 'b', 'c']
        """
        return self.items.copy()

    def summary(self) -> str:
        """Readable multi-line summary.

        Returns
        -------
        str
            The alpha line, the omega line (if any) and the item table rounded to 3 decimals.

        Examples
        --------
        >>> import pandas as pd
        >>> x = pd.DataFrame({"a": [1, 2, 3, 4, 5, 3], "b": [2, 2, 3, 5, 4, 3],
        ...                   "c": [1, 3, 3, 4, 5, 2]})
        >>> print(item_analysis(x).summary().splitlines()[0])
        Cronbach's alpha = 0.932 (95% CI 0.711 to 0.990, Feldt), standardised 0.934; k = 3 items, n = 6 complete rows
        """
        lines = [self.alpha.summary()]
        if self.omega is not None:
            lines.append(self.omega.summary())
        lines.append(self.items.round(3).to_string())
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()


def item_analysis(items: pd.DataFrame, *, low: float | Mapping[str, float] | None = None,
                  high: float | Mapping[str, float] | None = None,
                  instrument: str | Instrument | None = None,
                  ci: float = 0.95, omega_method: Literal["minres", "ml"] = "minres"
                  ) -> ReliabilityResult:
    """Alpha (Feldt CI), omega total, item-total statistics and floor/ceiling in one call.

    The item table has ``n`` (answered), ``mean``, ``sd``, ``r_drop``, ``alpha_if_deleted``,
    ``loading`` (one-factor, ``omega_method``) and, when the possible range is known (``low`` and
    ``high``, or an ``instrument`` whose item ranges are used), ``floor_pct`` and
    ``ceiling_pct``. Alpha, omega, r_drop and alpha_if_deleted use complete rows; n, mean, sd
    and floor/ceiling use each item's answered values. Omega is ``None`` for fewer than three
    items.

    Parameters
    ----------
    items : DataFrame
        One numeric column per item, keyed in the same direction (see
        :func:`soskulib.scoring.item_matrix`).
    low, high : float or mapping column -> float, optional
        Lowest and highest possible item value, for floor/ceiling percentages.
    instrument : str or Instrument, optional
        Take ``low``/``high`` from this instrument's item ranges instead (overrides them).
    ci : float, default 0.95
        Confidence level of alpha's Feldt interval.
    omega_method : {"minres", "ml"}
        Factoring method of :func:`omega_total`.

    Returns
    -------
    ReliabilityResult
        ``alpha`` (:class:`AlphaResult`), ``omega`` (:class:`OmegaResult` or ``None``) and
        ``items`` (the item table above; ``r_drop``, ``alpha_if_deleted`` and ``loading`` only
        with three or more items). R: ``psych::alpha(na.omit(x))``,
        ``psych::omega(na.omit(x), nfactors = 1)``.

    Examples
    --------
    >>> import pandas as pd
    >>> x = pd.DataFrame({"a": [1, 2, 3, 4, 5, 3], "b": [2, 2, 3, 5, 4, 3], "c": [1, 3, 3, 4, 5, 2]})
    >>> res = item_analysis(x, low=1, high=5)
    >>> res.items[["r_drop", "floor_pct", "ceiling_pct"]].round(1)
       r_drop  floor_pct  ceiling_pct
    a     0.9       16.7         16.7
    b     0.8        0.0         16.7
    c     0.9       16.7         16.7
    """
    alpha = cronbach_alpha(items, ci=ci)
    numeric = items.astype("float64")
    table = pd.DataFrame({"n": numeric.notna().sum(), "mean": numeric.mean(), "sd": numeric.std()})
    omega = None
    if items.shape[1] >= 3:
        omega = omega_total(items, method=omega_method)
        table = table.join(item_total(items)).join(omega.loadings)
    if instrument is not None:
        from soskulib import instruments

        inst = instruments.get(instrument)
        low = {c: inst.item_range(c)[0] for c in items.columns}
        high = {c: inst.item_range(c)[1] for c in items.columns}
    if low is not None and high is not None:
        table = table.join(floor_ceiling(items, low, high).drop(columns="n"))
    return ReliabilityResult(alpha=alpha, omega=omega, items=table)
