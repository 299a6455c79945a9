"""Confidence intervals of simple summaries: a mean (Student t) and the normal quantile.

The proportion's Wilson interval is :func:`soskulib.change.wilson_ci`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from soskulib.checks import confidence_level

__all__ = ["mean_ci", "normal_quantile"]


def normal_quantile(level: float) -> float:
    confidence_level(level)
    return float(stats.norm.ppf(0.5 + level / 2))


def mean_ci(values: pd.Series, level: float = 0.95) -> tuple[float, float, float, int]:
    """Mean with a t-based confidence interval: ``x̄ ± t_{n−1} s / √n``.

    R: ``t.test(x, conf.level = level)$conf.int``.

    Examples
    --------
    >>> m, lo, hi, n = mean_ci(pd.Series([1.0, 2.0, 3.0, 4.0]))
    >>> round(m, 2), round(lo, 4), round(hi, 4), n
    (2.5, 0.4457, 4.5543, 4)
    """
    x = pd.Series(values, dtype=float).dropna()
    n = int(x.size)
    if n == 0:
        return np.nan, np.nan, np.nan, 0
    mean = float(x.mean())
    if n == 1:
        return mean, np.nan, np.nan, 1
    half = float(stats.t.ppf(0.5 + level / 2, n - 1) * x.std(ddof=1) / np.sqrt(n))
    return mean, mean - half, mean + half, n
