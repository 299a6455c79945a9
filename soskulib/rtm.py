r"""Regression to the mean (RTM): how much of a before–after change the baseline level explains.

Clients enter social rehabilitation when things are at their worst, so their next measurement
tends to be better even without any service: a score measured with error regresses towards
the mean of the population it was drawn from. Three views, shown beside the raw change:

* :func:`change_by_baseline` — mean oriented change by baseline tertile. Under RTM alone
  the worst tertile improves most and the best tertile worsens.
* :func:`baseline_regression` — OLS of the change on the centred baseline,
  :math:`d_i = \alpha + \beta (x_i - \bar x) + e_i`: :math:`\alpha` is the mean change,
  :math:`\beta < 0` the pull towards the mean (R ``lm(change ~ I(pre - mean(pre)))``).
* :func:`rtm_adjusted` — the classical correction from the instrument's reliability
  :math:`\rho`: if clients' true scores did not change, the expected change of a group whose
  baseline mean is :math:`\bar x` is :math:`(1 - \rho)(\mu - \bar x)`, with :math:`\mu` the
  mean of the population the clients were selected from (Davis 1976; Barnett, van der Pols
  & Dobson 2005, eq. 1 for bivariate-normal scores with equal variances). The adjusted change
  is the raw change minus that amount. **Assumption, not verified by the data:** the
  population mean :math:`\mu` and the reliability :math:`\rho` are taken as known; the
  reports use the published population norm where the instrument spec has one (WHODAS-12,
  Andrews et al. 2009, the first norm group: an upper bound, since clients' own long-run mean
  is probably worse than the general population's) and compute no correction otherwise; and
  the published internal-consistency reliability (α), which understates test–retest error
  and so understates RTM.

All changes are oriented (positive = improvement; WHODAS sign-flipped), as in
:func:`soskulib.attrition.starters`.

References
----------
Davis CE (1976). The effect of regression to the mean in epidemiologic and clinical studies.
American Journal of Epidemiology 104:493–498.
Barnett AG, van der Pols JC, Dobson AJ (2005). Regression to the mean: what it is and how to
deal with it. International Journal of Epidemiology 34:215–220.

Examples
--------
>>> rtm_adjusted(mean_pre=40.0, mean_change=6.0, population_mean=50.0, reliability=0.8)
(2.0, 4.0)
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from soskulib import frames


def rtm_adjusted(mean_pre: float, mean_change: float, population_mean: float,
                 reliability: float) -> tuple[float, float]:
    r"""Expected RTM change and the RTM-adjusted mean change (oriented scores).

    :math:`\mathrm{RTM} = (1 - \rho)(\mu - \bar x_{pre})`; adjusted change
    :math:`= \bar d - \mathrm{RTM}` (Davis 1976; Barnett et al. 2005).

    Parameters
    ----------
    mean_pre : float
        Group's baseline mean (oriented: higher = better).
    mean_change : float
        Group's mean change (oriented).
    population_mean : float
        Mean of the population the group was selected from (oriented). An assumption.
    reliability : float
        Reliability ρ of the score, 0 < ρ ≤ 1.

    Returns
    -------
    (float, float)
        ``(expected RTM change, adjusted change)``.

    Notes
    -----
    R (no package): ``rtm <- (1 - rho) * (mu - mean(pre)); mean(change) - rtm``.

    Examples
    --------
    >>> rtm_adjusted(-20.0, 3.0, -12.0, 0.86)   # WHODAS sum, sign-flipped: baseline 20, norm 12
    (1.12, 1.88)
    """
    if not 0 < reliability <= 1:
        raise ValueError(f"reliability must lie in (0, 1], got {reliability!r}")
    rtm = (1 - reliability) * (population_mean - mean_pre)
    return round(float(rtm), 12), round(float(mean_change - rtm), 12)


def change_by_baseline(data: pd.DataFrame, *, by: Sequence[str] = ("instrument", "name"),
                       groups: int = 3, level: float = 0.95, min_cell: int | None = None) -> pd.DataFrame:
    """Mean oriented change by baseline tertile (or other quantile groups) among completers.

    Quantile groups of the baseline score within each ``by`` group (``pandas.qcut``, ties
    broken by rank so the groups are equal-sized), mean change with a t-based CI.

    Parameters
    ----------
    data : DataFrame
        :func:`soskulib.attrition.starters` output (``pre, post, completed``).
    by : sequence of str
        One table per group.
    groups : int
        Number of baseline groups (3 = tertiles).
    level : float
        Confidence level.
    min_cell : int, optional
        Disclosure threshold (default :data:`soskulib.disclosure.MIN_CELL`); a ``by`` group
        whose smallest baseline group is smaller is left out.

    Returns
    -------
    DataFrame
        ``by…, baseline_group`` (1 = worst), ``n, mean_pre, mean_change, ci_low, ci_high``.
        ``mean_pre`` is on the instrument's own scale.

    Examples
    --------
    >>> d = pd.DataFrame({"instrument": "x", "name": "X", "completed": True, "higher_is_better": True,
    ...                   "pre": np.arange(15.0), "post": 7.0})
    >>> change_by_baseline(d)[["baseline_group", "n", "mean_change"]].to_dict("list")
    {'baseline_group': [1, 2, 3], 'n': [5, 5, 5], 'mean_change': [5.0, 0.0, -5.0]}
    """
    from soskulib import disclosure

    min_cell = disclosure.MIN_CELL if min_cell is None else min_cell
    by = list(by)
    done = data.loc[data["completed"].astype(bool)]
    rows = []
    for keys, group in frames.groups(done, by):
        if len(group) < groups * min_cell:
            continue
        pre = group["pre"].to_numpy(float)
        change = group["post"].to_numpy(float) - pre
        cut = pd.qcut(pd.Series(pre).rank(method="first"), groups, labels=False).to_numpy()
        sizes = np.bincount(cut, minlength=groups)
        if sizes.min() < min_cell:
            continue
        sign = 1.0 if bool(group["higher_is_better"].iloc[0]) else -1.0
        for g in range(groups):
            d = change[cut == g]
            n = len(d)
            half = stats.t.ppf(0.5 + level / 2, n - 1) * d.std(ddof=1) / np.sqrt(n)
            rows.append(keys | {
                "baseline_group": g + 1, "n": n, "mean_pre": float(sign * pre[cut == g].mean()),
                "mean_change": float(d.mean()), "ci_low": float(d.mean() - half),
                "ci_high": float(d.mean() + half)})
    return pd.DataFrame(rows, columns=[*by, "baseline_group", "n", "mean_pre", "mean_change",
                                       "ci_low", "ci_high"])


def baseline_regression(data: pd.DataFrame, *, by: Sequence[str] = ("instrument", "name"),
                        level: float = 0.95, min_n: int = 10) -> pd.DataFrame:
    r"""OLS of the oriented change on the centred baseline among completers.

    :math:`d_i = \alpha + \beta (x_i - \bar x) + e_i` (statsmodels ``OLS``, classical
    standard errors; R ``lm(change ~ I(pre - mean(pre)))``). :math:`\alpha` equals the mean
    change; :math:`\beta` is the change per baseline point: negative when those who start
    worst improve most, the signature of RTM (and of any real catch-up).

    Parameters
    ----------
    data : DataFrame
        :func:`soskulib.attrition.starters` output.
    by : sequence of str
        One regression per group.
    level : float
        Confidence level.
    min_n : int
        Groups with fewer completers are left out.

    Returns
    -------
    DataFrame
        ``by…, n, intercept, slope, slope_ci_low, slope_ci_high, slope_pval``.

    Examples
    --------
    >>> d = pd.DataFrame({"instrument": "x", "name": "X", "completed": True,
    ...                   "pre": [1.0, 2, 3, 4, 5, 6, 7, 8, 9, 10],
    ...                   "post": [4.0, 4, 5, 5, 6, 7, 7, 8, 9, 9]})
    >>> baseline_regression(d)[["intercept", "slope"]].round(4).to_numpy().tolist()
    [[0.9, -0.3818]]
    """
    import statsmodels.api as sm

    by = list(by)
    done = data.loc[data["completed"].astype(bool)]
    rows = []
    for keys, group in frames.groups(done, by):
        if len(group) < min_n:
            continue
        pre = group["pre"].to_numpy(float)
        change = group["post"].to_numpy(float) - pre
        fit = sm.OLS(change, sm.add_constant(pre - pre.mean())).fit()
        low, high = fit.conf_int(alpha=1 - level)[1]
        rows.append(keys | {
            "n": len(group), "intercept": float(fit.params[0]), "slope": float(fit.params[1]),
            "slope_ci_low": float(low), "slope_ci_high": float(high),
            "slope_pval": float(fit.pvalues[1])})
    return pd.DataFrame(rows, columns=[*by, "n", "intercept", "slope", "slope_ci_low",
                                       "slope_ci_high", "slope_pval"])


def rtm_table(data: pd.DataFrame, *, by: Sequence[str] = ("instrument", "name"),
              population: pd.DataFrame | None = None, min_n: int = 10) -> pd.DataFrame:
    """Raw change beside the RTM-adjusted change, per instrument (and group), in SMCR units.

    For each group of completers: raw mean change and SMCR (change / baseline SD of the
    completers), the expected RTM change :func:`rtm_adjusted` from the instrument's
    published reliability (``[reliability] alpha`` of its spec) and a population mean, and
    the adjusted change and SMCR.

    Parameters
    ----------
    data : DataFrame
        :func:`soskulib.attrition.starters` output.
    by : sequence of str
        Groups (must include ``instrument``).
    population : DataFrame, optional
        ``instrument, population_mean, source`` (oriented means). Default
        :func:`default_population`: the spec's first published norm mean where there is one;
        instruments without one get no adjusted values (NaN).
    min_n : int
        Groups with fewer completers are left out.

    Returns
    -------
    DataFrame
        ``by…, n, mean_pre, mean_change, smcr, reliability, population_mean, source,
        rtm_change, adjusted_change, adjusted_smcr`` (``mean_pre``, ``population_mean``
        on the instrument's own scale, changes oriented).
    """
    from soskulib import instruments

    by = list(by)
    if population is None:
        population = default_population(data)
    pop = population.set_index("instrument")
    done = data.loc[data["completed"].astype(bool)]
    rows = []
    for keys, group in frames.groups(done, by):
        info = keys
        inst = instruments.get(info["instrument"])
        rho = inst.reliability.get("alpha")
        if len(group) < min_n:
            continue
        sign = 1.0 if bool(group["higher_is_better"].iloc[0]) else -1.0
        pre = group["pre"].to_numpy(float)
        change = group["post"].to_numpy(float) - pre
        known = rho is not None and info["instrument"] in pop.index
        mu = float(pop.loc[info["instrument"], "population_mean"]) if known else np.nan
        rtm, adjusted = (rtm_adjusted(pre.mean(), change.mean(), mu, float(rho)) if known
                         else (np.nan, np.nan))
        sd = pre.std(ddof=1)
        rows.append(info | {
            "n": len(group), "mean_pre": float(sign * pre.mean()), "mean_change": float(change.mean()),
            "smcr": float(change.mean() / sd), "reliability": float(rho) if rho else np.nan,
            "population_mean": sign * mu, "source": str(pop.loc[info["instrument"], "source"])
            if known else "", "rtm_change": rtm, "adjusted_change": adjusted,
            "adjusted_smcr": adjusted / sd})
    return pd.DataFrame(rows, columns=[*by, "n", "mean_pre", "mean_change", "smcr", "reliability",
                                       "population_mean", "source", "rtm_change",
                                       "adjusted_change", "adjusted_smcr"])


def default_population(data: pd.DataFrame) -> pd.DataFrame:
    """Population means for :func:`rtm_table`: the instrument spec's published norm (if any).

    Parameters
    ----------
    data : DataFrame
        :func:`soskulib.attrition.starters` output (all starters, e.g. the national data).

    Returns
    -------
    DataFrame
        ``instrument, population_mean`` (oriented), ``source`` (the norm's citation); only
        instruments with a published norm.
    """
    from soskulib import instruments

    rows = []
    for inst_id in dict.fromkeys(data["instrument"]):
        inst = instruments.get(inst_id)
        sign = 1.0 if inst.scales[inst.headline].higher_is_better else -1.0
        norm = inst.norm(inst.headline)
        if norm is not None:
            group_name = next(g for g in inst.norms if inst.norms[g].get(inst.headline) is not None)
            rows.append({"instrument": inst_id, "population_mean": sign * norm[0],
                         "source": str(inst.norms[group_name].get("source", group_name))})
    return pd.DataFrame(rows, columns=["instrument", "population_mean", "source"])
