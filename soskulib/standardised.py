"""The reports' one named standardised change: SMCR, with d_z beside it and always labelled.

Decision (issue 13). Every headline, caption and forest plot names its metric, and the metric
the reports lead with is the **standardised mean change with raw-score standardisation**,

.. math:: \\mathrm{SMCR} = J\\,\\frac{\\bar x_{end} - \\bar x_{baseline}}{SD_{baseline}},
   \\qquad v = \\frac{2(1 - r)}{n} + \\frac{\\mathrm{SMCR}^2}{2n}

(Becker 1988; Morris & DeShon 2002; metafor ``escalc(measure = "SMCR")``), oriented so that a
positive value is an improvement. Reasons: (1) it is the number the national synthesis pools,
so a municipality's page and the forest plot show the same value; (2) its denominator, the
spread of clients at baseline, does not depend on how strongly baseline and end correlate,
so municipalities and instruments with different pre–post correlations stay comparable;
(3) it is the estimand of the demo's known truth. ``d_z`` (mean change / SD of change, Lakens
2013) answers another question, how consistent the change is across clients; it is larger
than SMCR whenever ``r > 0.5``. The municipality tables keep it, labelled "d_z".

Examples
--------
>>> import pandas as pd
>>> s = pd.DataFrame({"n": [25.0], "mean_pre": [20.1], "sd_pre": [5.2], "mean_post": [23.4],
...                   "r_prepost": [0.55], "higher_is_better": [True]})
>>> with_smcr(s)[["smcr", "smcr_ci_low", "smcr_ci_high"]].round(4).to_numpy().tolist()
[[0.6145, 0.2055, 1.0236]]
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from soskulib.checks import confidence_level, require_columns

#: The name the reports print for their standardised change.
METRIC = "SMCR"

_NEEDED = ("n", "mean_pre", "sd_pre", "mean_post", "r_prepost", "higher_is_better")


def with_smcr(summary: pd.DataFrame, level: float = 0.95) -> pd.DataFrame:
    """Add the oriented SMCR and its Wald CI to an outcome summary.

    Computed from the summary's own published statistics (``n, mean_pre, sd_pre, mean_post,
    r_prepost``), so a row whose statistics are suppressed gets no SMCR either; the SMCR is a
    function of statistics already shown and so discloses nothing new.

    Parameters
    ----------
    summary : DataFrame
        :func:`soskulib.outcomes.outcome_summary` output (any ``by``), with
        ``higher_is_better``.
    level : float
        Confidence level of ``smcr ± z·√v`` (metafor ``summary(escalc(...))``).

    Returns
    -------
    DataFrame
        A copy with ``smcr, smcr_vi, smcr_ci_low, smcr_ci_high`` (positive = improvement).

    Notes
    -----
    R: ``summary(metafor::escalc(measure = "SMCR", m1i = mean_post, m2i = mean_pre,
    sd1i = sd_pre, ni = n, ri = r_prepost))`` gives ``yi``, ``ci.lb``, ``ci.ub`` (sign flipped
    for lower-is-better scales).

    Examples
    --------
    >>> s = pd.DataFrame({"n": [40.0, np.nan], "mean_pre": [30.0, np.nan],
    ...                   "sd_pre": [8.0, np.nan], "mean_post": [27.0, np.nan],
    ...                   "r_prepost": [0.6, np.nan], "higher_is_better": [False, True]})
    >>> with_smcr(s)["smcr"].round(3).tolist()   # WHODAS-like: a fall is an improvement
    [0.368, nan]
    """
    from soskulib import effectsize

    require_columns(summary, _NEEDED, "with_smcr", "pass outcomes.outcome_summary output")
    confidence_level(level)
    out = summary.copy()
    for col in ("smcr", "smcr_vi", "smcr_ci_low", "smcr_ci_high"):
        out[col] = np.nan
    num = out[list(_NEEDED[:-1])].apply(pd.to_numeric, errors="coerce")
    ok = (num.notna().all(axis=1) & (num["n"] > 1) & (num["sd_pre"] > 0)).to_numpy()
    if not ok.any():
        return out
    z = stats.norm.ppf(0.5 + level / 2)
    for better in (True, False):
        rows = ok & (out["higher_is_better"].astype(bool).to_numpy() == better)
        if not rows.any():
            continue
        es = effectsize.smcr(num.loc[rows], higher_is_better=better, keep=[])
        half = z * np.sqrt(es["vi"].to_numpy(float))
        out.loc[rows, "smcr"] = es["yi"].to_numpy(float)
        out.loc[rows, "smcr_vi"] = es["vi"].to_numpy(float)
        out.loc[rows, "smcr_ci_low"] = es["yi"].to_numpy(float) - half
        out.loc[rows, "smcr_ci_high"] = es["yi"].to_numpy(float) + half
    return out
