"""Individual change: reliable change, clinical significance, and grouped change tables.

Reliable change asks whether one client's pre/post difference is larger than measurement error
alone would plausibly produce; clinical significance adds whether the client moved from the
dysfunctional to the functional range (Jacobson & Truax 1991, J Consult Clin Psychol 59:12-19).

Four reliable-change methods are offered (``method=``); the formulas and sources are in
:func:`reliable_change`. Jacobson-Truax is the default and the contract form. Every result
records its choices in ``DataFrame.attrs`` (method, SD, reliability and where each came from:
``"argument"``, ``"instrument spec"`` or ``"data"``), so a report can state them.

Everything here is **analysis output** (:mod:`soskulib.publication`): exact for every group,
however small, and marked ``attrs["publishable"] = False``. Published change tables come from
the protected functions of :mod:`soskulib.outcomes`.

Individual categories are individual-level screening summaries. For group-level instruments
(ESIS: THL advises group-level use) report the *rates* (:func:`category_rates`), never a single
client's category.

Examples
--------
>>> from soskulib import change
>>> res = change.reliable_change([10, 20, 30], [18, 21, 22], sd=5.0, reliability=0.8)
>>> res["category"].tolist()
['improved', 'unchanged', 'deteriorated']
>>> res.attrs["method"], round(res.attrs["s_diff"], 4)
('jt', 3.1623)
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
from scipy import stats

from soskulib import publication
from soskulib.checks import (
    as_float_pair,
    as_float_vector,
    as_list,
    confidence_level,
    keyword_options,
    require_columns,
)
from soskulib.disclosure import MIN_CELL
from soskulib.effectsize import effect_from_summaries

METHODS = ("jt", "gln", "en", "ha")
#: Default critical |RCI| per method: two-sided 5 % (1.96) except Hageman & Arrindell's
#: one-sided 5 % (1.65), as in their paper and in R clinicalsignificance.
CRITICAL_VALUES = {"jt": 1.96, "gln": 1.96, "en": 1.96, "ha": 1.65}
METHOD_NAMES = {
    "jt": "Jacobson & Truax (1991)",
    "gln": "Gulliksen-Lord-Novick (Hsu 1989)",
    "en": "Edwards-Nunnally (Speer 1992)",
    "ha": "Hageman & Arrindell (1993, 1999)",
}

#: Reliable-change categories, worst to best.
CATEGORIES = ("deteriorated", "unchanged", "improved")
#: Clinical-significance categories, worst to best.
CS_CATEGORIES = ("deteriorated", "unchanged", "improved", "recovered")
#: Finnish and English labels of the categories (for reports).
CATEGORY_LABELS = {
    "deteriorated": ("heikentynyt luotettavasti", "reliably deteriorated"),
    "unchanged": ("ei luotettavaa muutosta", "no reliable change"),
    "improved": ("parantunut luotettavasti", "reliably improved"),
    "recovered": ("toipunut (kliinisesti merkitsevä)", "recovered (clinically significant)"),
}

_RC_DTYPE = pd.CategoricalDtype(list(CATEGORIES), ordered=True)
_CS_DTYPE = pd.CategoricalDtype(list(CS_CATEGORIES), ordered=True)


class JTCutoffs(NamedTuple):
    """Jacobson & Truax (1991) cutoffs between dysfunctional and functional populations.

    Attributes
    ----------
    a : float
        Two SDs beyond the dysfunctional mean, towards the functional side.
    b : float
        Two SDs inside the functional mean, towards the dysfunctional side.
    c : float
        Point equally likely under both populations (weighted midpoint of the means).

    Examples
    --------
    >>> cut = jt_cutoffs(m_clin=20.0, sd_clin=5.0, m_func=30.0, sd_func=5.0)
    >>> cut
    JTCutoffs(a=30.0, b=20.0, c=25.0)
    """

    a: float
    b: float
    c: float


# ---------------------------------------------------------------------------------------------
# Validation helpers
# ---------------------------------------------------------------------------------------------

def _positive_finite(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | np.number):
        raise TypeError(f"{name} must be a number, got {type(value).__name__}")
    value = float(value)
    if not np.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be a positive finite number, got {value}")
    return value


def _reliability(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | np.number):
        raise TypeError(f"reliability must be a number, got {type(value).__name__}")
    value = float(value)
    if not 0.0 < value < 1.0:
        raise ValueError(f"reliability must lie strictly between 0 and 1, got {value}")
    return value


def _finite(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | np.number):
        raise TypeError(f"{name} must be a number, got {type(value).__name__}")
    value = float(value)
    if not np.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value}")
    return value


def _pairs(pre: Any, post: Any) -> tuple[np.ndarray, np.ndarray, pd.Index]:
    """Float arrays of pre and post plus the index the result carries."""
    x, y = as_float_pair(pre, post, ("pre", "post"))
    pre_index = pre.index if isinstance(pre, pd.Series) else None
    post_index = post.index if isinstance(post, pd.Series) else None
    if pre_index is not None and post_index is not None and not pre_index.equals(post_index):
        raise ValueError("pre and post are Series with different indexes; align them first "
                         "(e.g. pre, post = pre.align(post))")
    index = pre_index if pre_index is not None else post_index
    return x, y, index if index is not None else pd.RangeIndex(x.size)


# ---------------------------------------------------------------------------------------------
# Reliable change
# ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ReliableChangeRule:
    """How a client's change is judged reliable: the keywords of :func:`reliable_change` and
    :func:`clinical_significance` (``sd``, ``reliability``, ``higher_is_better``, ``method``,
    ``mean``, ``critical_value``, ``sd_source``, ``reliability_source``; see the Parameters of
    :func:`reliable_change`), declared once as one value
    (:func:`soskulib.checks.keyword_options`).

    Examples
    --------
    >>> ReliableChangeRule(sd=7.5, reliability=0.88).method
    'jt'
    """

    sd: float
    reliability: float
    higher_is_better: bool = True
    method: str = "jt"
    mean: float | None = None
    critical_value: float | None = None
    sd_source: str = "argument"
    reliability_source: str = "argument"


@keyword_options(ReliableChangeRule)
def reliable_change(pre: Any, post: Any, *, options: ReliableChangeRule) -> pd.DataFrame:
    """Reliable change index (RCI) and category for each pre/post pair.

    With SE = SD·√(1 - r) (standard error of measurement), the methods are:

    * ``"jt"`` Jacobson & Truax (1991): RCI = (post - pre) / S_diff, S_diff = √2·SE.
    * ``"gln"`` Gulliksen-Lord-Novick (Hsu 1989; Gulliksen 1950; Lord & Novick 1968), which
      corrects for regression to the mean ``M``:
      RCI = [(post - M) - r·(pre - M)] / (SD·√(1 - r²)).
    * ``"en"`` Edwards-Nunnally (Speer 1992; Edwards et al. 1978): post is compared with the
      estimated true pre score r·(pre - M) + M: RCI = [post - (r·(pre - M) + M)] / SE.
      Speer uses a ±2·SE band; pass ``critical_value=2`` for that.
    * ``"ha"`` Hageman & Arrindell (1993, Behav Res Ther 31:693-700; 1999, Behav Res Ther
      37:1169-1193, RC_INDIV): with sample means, SDs and pre-post correlation
      r₁₂ of the complete pairs, reliabilities r_xx_t = (SD_t² - SE²) / SD_t² and the
      reliability of the difference
      r_dd = (SD₁²r_xx₁ + SD₂²r_xx₂ - 2SD₁SD₂r₁₂) / (SD₁² + SD₂² - 2SD₁SD₂r₁₂),
      RCI = [(post - pre)·r_dd + (M₂ - M₁)(1 - r_dd)] / (√r_dd·√2·SE); critical value 1.65.

    These match R package ``clinicalsignificance`` (``cs_distribution(..., rci_method =
    "JT" | "GLN" | "EN" | "HA")``; Claus et al.), which takes SD and M from the complete pairs
    and uses ``qnorm(.975)`` = 1.959964 (``qnorm(.95)`` = 1.644854 for HA) as critical values:
    pass ``critical_value`` to reproduce it to the last digit. Change is *reliable* when
    |RCI| > critical value (1.96 unless stated, as in Jacobson & Truax); with
    ``higher_is_better=False`` a reliable decrease is ``"improved"``. Hsu (1989), Behavioral
    Assessment 11:459-467, and Speer (1992), J Consult Clin Psychol 60:402-408, give GLN/EN.

    Parameters
    ----------
    pre, post : array-like of float
        Scores of the same clients at two occasions (Series, array or list, same length).
    sd : float
        SD of the pre scores (reference sample or baseline of the data), > 0.
    reliability : float
        Reliability of the scale (Cronbach's alpha or test-retest), strictly in (0, 1).
    higher_is_better : bool
        Direction of the scale.
    method : {"jt", "gln", "en", "ha"}
        Reliable-change method; default Jacobson-Truax.
    mean : float, optional
        Population mean of the pre scores for ``"gln"``/``"en"`` (regression to the mean);
        default the mean pre score of the complete pairs (recorded as ``"data"``).
    critical_value : float, optional
        Critical |RCI|; default :data:`CRITICAL_VALUES` of the method.
    sd_source, reliability_source : str
        Where ``sd`` and ``reliability`` came from; recorded in ``attrs``.

    Returns
    -------
    DataFrame
        Same index as ``pre`` (or ``post``; else 0..n-1), columns ``change`` (post - pre),
        ``rci`` and ``category``: an ordered categorical with categories
        ``"deteriorated" < "unchanged" < "improved"``. A pair with a NaN pre or post gets NaN
        ``change``/``rci`` and a missing (NaN) category. ``attrs`` holds ``method``,
        ``method_name``, ``sd``, ``sd_source``, ``reliability``, ``reliability_source``,
        ``critical_value``, ``higher_is_better``, ``se_measurement``, ``s_diff`` (JT) and,
        by method, ``mean``/``r_dd``.

    Raises
    ------
    ValueError
        Unequal lengths, mismatched Series indexes, ``sd <= 0``, ``reliability`` outside
        (0, 1), an unknown method, or (``"ha"``) too few pairs or non-positive r_dd.
    TypeError
        Non-numeric scores or parameters.

    Examples
    --------
    >>> res = reliable_change([30, 30], [20, 40], sd=7.5, reliability=0.88,
    ...                       higher_is_better=False)
    >>> res["rci"].round(3).tolist(), res["category"].tolist()
    ([-2.722, 2.722], ['improved', 'deteriorated'])
    """
    return _reliable_change(pre, post, options)


def _reliable_change(pre: Any, post: Any, rule: ReliableChangeRule) -> pd.DataFrame:
    method = rule.method
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}; got {method!r}")
    sd = _positive_finite(rule.sd, "sd")
    r = _reliability(rule.reliability)
    crit = CRITICAL_VALUES[method] if rule.critical_value is None else _positive_finite(
        rule.critical_value, "critical_value")
    x, y, index = _pairs(pre, post)
    change = y - x
    se = float(sd * np.sqrt(1.0 - r))
    attrs: dict[str, Any] = {
        "method": method, "method_name": METHOD_NAMES[method], "sd": sd,
        "sd_source": rule.sd_source, "reliability": r,
        "reliability_source": rule.reliability_source, "critical_value": crit,
        "higher_is_better": bool(rule.higher_is_better), "se_measurement": se,
    }
    complete = np.isfinite(x) & np.isfinite(y)
    if method in ("gln", "en"):
        if rule.mean is None:
            m = float(np.mean(x[complete])) if complete.any() else float("nan")
            attrs["mean_source"] = "data"
        else:
            m = _finite(rule.mean, "mean")
            attrs["mean_source"] = "argument"
        attrs["mean"] = m
        if method == "gln":
            rci = ((y - m) - r * (x - m)) / (sd * np.sqrt(1.0 - r * r))
        else:
            rci = (y - (r * (x - m) + m)) / se
    elif method == "ha":
        rci, attrs["r_dd"] = _hageman_arrindell(x[complete], y[complete], change, se)
    else:
        attrs["s_diff"] = float(np.sqrt(2.0) * se)
        rci = change / attrs["s_diff"]
    oriented = rci if rule.higher_is_better else -rci
    codes = np.where(oriented > crit, 2, np.where(oriented < -crit, 0, 1)).astype(np.int8)
    codes[~np.isfinite(rci)] = -1
    out = pd.DataFrame(
        {"change": change, "rci": rci,
         "category": pd.Categorical.from_codes(codes, dtype=_RC_DTYPE)},
        index=index,
    )
    out.attrs.update(attrs)
    return out


def _hageman_arrindell(x: np.ndarray, y: np.ndarray, change: np.ndarray, se: float,
                       ) -> tuple[np.ndarray, float]:
    if x.size < 3:
        raise ValueError("method 'ha' needs at least 3 complete pre/post pairs "
                         f"(it estimates means, SDs and their correlation); got {x.size}")
    sd1, sd2 = np.std(x, ddof=1), np.std(y, ddof=1)
    if sd1 == 0 or sd2 == 0:
        raise ValueError("method 'ha' needs pre and post scores that vary")
    r12 = float(np.corrcoef(x, y)[0, 1])
    rxx1 = (sd1**2 - se**2) / sd1**2
    rxx2 = (sd2**2 - se**2) / sd2**2
    r_dd = (sd1**2 * rxx1 + sd2**2 * rxx2 - 2 * sd1 * sd2 * r12) / (
        sd1**2 + sd2**2 - 2 * sd1 * sd2 * r12)
    if not r_dd > 0:
        raise ValueError(f"method 'ha': the reliability of the difference scores is {r_dd:.3f} "
                         "(<= 0), so the Hageman-Arrindell index is undefined; use method='jt'")
    mean_change = float(np.mean(y) - np.mean(x))
    rci = (change * r_dd + mean_change * (1 - r_dd)) / (np.sqrt(r_dd) * np.sqrt(2.0) * se)
    return rci, float(r_dd)


def jt_cutoffs(m_clin: float, sd_clin: float, m_func: float, sd_func: float, *,
               higher_is_better: bool | None = None) -> JTCutoffs:
    """Jacobson & Truax (1991) cutoffs a, b and c.

    With ``higher_is_better=True`` (functional scores are higher):
    a = M_clin + 2·SD_clin (outside the dysfunctional range), b = M_func - 2·SD_func (inside the
    functional range); with ``False`` the signs flip (a = M_clin - 2·SD_clin,
    b = M_func + 2·SD_func). c = (SD_func·M_clin + SD_clin·M_func) / (SD_func + SD_clin), the
    point equally likely under both distributions (equal to the midpoint when SDs are equal).
    JT recommend c when norms for both populations exist and overlap.

    Parameters
    ----------
    m_clin, sd_clin : float
        Mean and SD of the dysfunctional (clinical) population.
    m_func, sd_func : float
        Mean and SD of the functional (norm) population.
    higher_is_better : bool, optional
        Direction; default inferred from the means (functional mean higher -> True). If given,
        it must agree with the means.

    Returns
    -------
    JTCutoffs
        Named tuple ``(a, b, c)``.

    Examples
    --------
    WHODAS-12 simple sum (lower is better), Andrews et al. (2009) norms, mental disorder vs no
    disorder:

    >>> cut = jt_cutoffs(6.3, 7.1, 1.4, 3.6)
    >>> round(cut.a, 2), round(cut.b, 2), round(cut.c, 3)
    (-7.9, 8.6, 3.049)
    """
    m_clin, m_func = _finite(m_clin, "m_clin"), _finite(m_func, "m_func")
    sd_clin, sd_func = _positive_finite(sd_clin, "sd_clin"), _positive_finite(sd_func, "sd_func")
    if m_clin == m_func:
        raise ValueError("m_clin and m_func are equal: the populations do not separate")
    inferred = m_func > m_clin
    if higher_is_better is None:
        higher_is_better = inferred
    elif bool(higher_is_better) != inferred:
        raise ValueError(f"higher_is_better={higher_is_better} contradicts the means "
                         f"(functional mean {m_func} vs clinical mean {m_clin})")
    sign = 1.0 if higher_is_better else -1.0
    a = m_clin + sign * 2.0 * sd_clin
    b = m_func - sign * 2.0 * sd_func
    c = (sd_func * m_clin + sd_clin * m_func) / (sd_func + sd_clin)
    return JTCutoffs(float(a), float(b), float(c))


@keyword_options(ReliableChangeRule)
def clinical_significance(pre: Any, post: Any, *, cutoff: float,
                          options: ReliableChangeRule) -> pd.DataFrame:
    """Clinically significant change (Jacobson & Truax 1991): reliable change plus a cutoff.

    ``"recovered"`` = reliably improved (see :func:`reliable_change`, same ``method``) AND the
    client crossed the cutoff from the dysfunctional side at pre to the functional side at post.
    Dysfunctional side: strictly below ``cutoff`` when higher is better (strictly above when
    lower is better); a score exactly at the cutoff counts as functional. The remaining clients
    are ``"improved"`` (reliably improved, not recovered), ``"unchanged"`` or
    ``"deteriorated"``, as in :func:`reliable_change`. Equivalent to R
    ``clinicalsignificance::cs_combined(..., cutoff_type = "c")`` with recovered/improved/
    unchanged and harmed+deteriorated merged into ``"deteriorated"``. The same cutoff rule is
    applied whatever the reliable-change ``method`` (R's Hageman-Arrindell variant instead uses
    its own CS_INDIV index; not implemented here).

    Parameters
    ----------
    pre, post, sd, reliability, higher_is_better, method, mean, critical_value, sd_source, \
reliability_source
        As in :func:`reliable_change`.
    cutoff : float
        Cutoff between the dysfunctional and functional ranges, e.g. ``jt_cutoffs(...).c``.

    Returns
    -------
    DataFrame
        Columns ``change, rci, category``; ``category`` ordered categorical
        ``"deteriorated" < "unchanged" < "improved" < "recovered"``; NaN pre or post give a
        missing category. ``attrs`` as in :func:`reliable_change` plus ``cutoff``.

    Examples
    --------
    >>> res = clinical_significance([10, 10, 22], [25, 18, 30], sd=4, reliability=0.8,
    ...                             cutoff=20)
    >>> res["category"].tolist()
    ['recovered', 'improved', 'improved']
    """
    return _clinical_significance(pre, post, cutoff, options)


def _clinical_significance(pre: Any, post: Any, cutoff: float,
                           rule: ReliableChangeRule) -> pd.DataFrame:
    cutoff = _finite(cutoff, "cutoff")
    out = _reliable_change(pre, post, rule)
    x, y, _ = _pairs(pre, post)
    if rule.higher_is_better:
        crossed = (x < cutoff) & (y >= cutoff)
    else:
        crossed = (x > cutoff) & (y <= cutoff)
    codes = out["category"].cat.codes.to_numpy().copy()
    codes[(codes == 2) & crossed] = 3
    attrs = dict(out.attrs, cutoff=cutoff)
    out = out.assign(category=pd.Categorical.from_codes(codes, dtype=_CS_DTYPE))
    out.attrs.update(attrs)
    return out


# ---------------------------------------------------------------------------------------------
# Rates with Wilson intervals
# ---------------------------------------------------------------------------------------------

def wilson_ci(k: Any, n: Any, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval for a binomial proportion k/n (vectorised; Wilson 1927).

    centre = (p + z²/2n) / (1 + z²/n), half-width = z/(1 + z²/n)·√(p(1-p)/n + z²/4n²).
    R equivalent: ``prop.test(k, n, correct = FALSE)$conf.int``. n = 0 gives NaN.

    Parameters
    ----------
    k : int or array-like
        Number of events (successes).
    n : int or array-like
        Number of trials, broadcast against ``k``.
    level : float, default 0.95
        Confidence level in (0, 1).

    Returns
    -------
    (ndarray, ndarray)
        Lower and upper limits in [0, 1] (exactly 0 when ``k = 0`` and 1 when ``k = n``); NaN
        where ``n <= 0``.

    Raises
    ------
    ValueError
        A count lies outside ``0 … n``.

    Examples
    --------
    >>> lo, hi = wilson_ci(3, 10)
    >>> round(float(lo), 4), round(float(hi), 4)
    (0.1078, 0.6032)
    """
    confidence_level(level)
    k = np.asarray(k, dtype=float)
    n = np.asarray(n, dtype=float)
    if np.any(k < 0) or np.any(k > n):
        raise ValueError("successes must lie between 0 and n")
    z = stats.norm.ppf(0.5 + level / 2.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        n_ok = np.where(n > 0, n, np.nan)
        p = k / n_ok
        denom = 1.0 + z * z / n_ok
        centre = (p + z * z / (2.0 * n_ok)) / denom
        half = z / denom * np.sqrt(p * (1.0 - p) / n_ok + z * z / (4.0 * n_ok * n_ok))
    # k = 0 and k = n have exact limits 0 and 1 (avoid rounding residue such as 1e-17).
    low = np.where(k == 0, 0.0, np.clip(centre - half, 0.0, 1.0))
    high = np.where(k == n, 1.0, np.clip(centre + half, 0.0, 1.0))
    nan = ~(n > 0)
    return np.where(nan, np.nan, low), np.where(nan, np.nan, high)


def category_rates(result: pd.DataFrame, by: str | Sequence[str] | None = None,
                   level: float = 0.95) -> pd.DataFrame:
    """Share of clients in each change category, per group, with Wilson confidence intervals.

    Parameters
    ----------
    result : DataFrame
        Output of :func:`reliable_change` or :func:`clinical_significance` (a ``category``
        column), joined with any grouping columns named in ``by``.
    by : str or list of str, optional
        Grouping columns (e.g. ``"municipality"``, ``["municipality", "gender"]``). Missing
        group values form their own group.
    level : float
        Confidence level of the Wilson intervals.

    Returns
    -------
    DataFrame
        One row per group × category (every category, zero counts included): the ``by``
        columns, ``category``, ``n`` (clients in the category), ``n_total`` (clients with a
        category in the group; clients with a missing category are excluded), ``share``,
        ``ci_low``, ``ci_high`` (Wilson score interval, :func:`wilson_ci`; R:
        ``prop.test(n, n_total, correct = FALSE)$conf.int`` per row). Counts are not
        suppressed here: apply :mod:`soskulib.disclosure` before publishing.

    Examples
    --------
    >>> res = reliable_change([10, 10, 10, 10], [20, 10, 11, 0], sd=2, reliability=0.8)
    >>> category_rates(res)[["category", "n", "n_total", "share"]].to_string(index=False)
    '    category  n  n_total  share\\ndeteriorated  1        4   0.25\\n   unchanged  2        4   0.50\\n    improved  1        4   0.25'
    """
    if "category" not in result.columns:
        raise KeyError("result has no 'category' column; pass the output of reliable_change() "
                       "or clinical_significance()")
    by_cols = as_list(by)
    require_columns(result, by_cols, "category_rates", "by= names grouping columns of the result")
    category = result["category"]
    if isinstance(category.dtype, pd.CategoricalDtype):
        levels = list(category.cat.categories)
    else:
        present = set(category.dropna().unique())
        levels = list(CS_CATEGORIES if "recovered" in present else CATEGORIES)
        unknown = present - set(levels)
        if unknown:
            raise ValueError(f"unknown categories in result: {sorted(map(str, unknown))}")
    frame = pd.DataFrame({c: result[c] for c in by_cols})
    frame["category"] = pd.Categorical(category.astype(object), categories=levels, ordered=True)
    frame = frame[frame["category"].notna()]
    if by_cols:
        counts = (frame.groupby(by_cols, dropna=False, observed=True, sort=True)["category"]
                  .value_counts(sort=False).unstack(fill_value=0)
                  .reindex(columns=levels, fill_value=0))
    else:
        counts = frame["category"].value_counts(sort=False).reindex(levels, fill_value=0)
        counts = counts.to_frame().T
    counts.columns = pd.Index(levels, name="category")
    totals = counts.sum(axis=1)
    tidy = counts.stack().rename("n").reset_index()
    if not by_cols:
        tidy = tidy.drop(columns=tidy.columns[0])
    tidy["n"] = tidy["n"].astype("int64")
    tidy["n_total"] = np.repeat(totals.to_numpy(dtype="int64"), len(levels))
    tidy["category"] = pd.Categorical(tidy["category"], categories=levels, ordered=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        tidy["share"] = tidy["n"] / tidy["n_total"].where(tidy["n_total"] > 0)
    tidy["ci_low"], tidy["ci_high"] = wilson_ci(tidy["n"], tidy["n_total"], level)
    return tidy


# ---------------------------------------------------------------------------------------------
# Pairing long data, change tables, instrument-aware reliable change
# ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Pairing:
    """Which rows of a long frame are paired: the keywords ``pre``, ``post``, ``id`` and
    ``occasion`` of :func:`pair_occasions` and :func:`reliable_change_scores`, declared once
    (:func:`soskulib.checks.keyword_options`).

    Examples
    --------
    >>> Pairing().pre, Pairing(post="followup").post
    ('baseline', 'followup')
    """

    pre: str = "baseline"
    post: str = "end"
    id: str = "client_id"
    occasion: str = "occasion"


@keyword_options(Pairing)
def pair_occasions(data: pd.DataFrame, score: str, *, keep: Sequence[str] = (),
                   options: Pairing) -> pd.DataFrame:
    """Turn a long scored frame into one row per client with ``pre`` and ``post`` columns.

    Parameters
    ----------
    data : DataFrame
        Long frame: one row per client × occasion (e.g. :func:`soskulib.scoring.score` output
        with ``client_id`` and ``occasion`` carried along).
    score : str
        Score column to pair.
    pre, post : str
        Occasion values of the two time points (``"baseline"``, ``"end"``, ``"followup"``).
    id, occasion : str
        Client identifier and occasion columns.
    keep : sequence of str
        Further client-level columns (e.g. ``municipality``, ``gender``) carried along, taken
        from the pre row (else the post row).

    Returns
    -------
    DataFrame
        Indexed by client id (sorted): columns ``pre``, ``post`` and ``keep``. Clients seen at
        only one occasion get NaN at the other.

    Examples
    --------
    >>> long = pd.DataFrame({"client_id": ["a", "a", "b"], "occasion": ["baseline", "end",
    ...                      "baseline"], "total": [10.0, 14.0, 12.0]})
    >>> pair_occasions(long, "total").to_dict("index")
    {'a': {'pre': 10.0, 'post': 14.0}, 'b': {'pre': 12.0, 'post': nan}}
    """
    keep = list(keep)
    return _pair_occasions(data, score, keep, options)


def _pair_occasions(data: pd.DataFrame, score: str, keep: Sequence[str],
                    pairing: Pairing) -> pd.DataFrame:
    require_columns(data, [pairing.id, pairing.occasion, score, *keep], "pair_occasions")
    if pairing.pre == pairing.post:
        raise ValueError(f"pre and post occasions are both {pairing.pre!r}")
    occ = data[pairing.occasion].astype(object)
    present = set(occ.dropna().unique())
    for label, value in (("pre", pairing.pre), ("post", pairing.post)):
        if value not in present:
            raise ValueError(f"{label} occasion {value!r} does not occur in column {pairing.occasion!r} "
                             f"(values: {', '.join(sorted(map(str, present)))})")
    rows = data.loc[occ.isin([pairing.pre, pairing.post]).to_numpy(), [pairing.id, pairing.occasion, score, *keep]]
    dup = rows.duplicated([pairing.id, pairing.occasion])
    if dup.any():
        raise ValueError(f"{int(dup.sum())} row(s) repeat a ({pairing.id}, {pairing.occasion}) pair; keep one "
                         "assessment per client and occasion before pairing")
    values = as_float_vector(rows[score], score)
    rows = rows.assign(**{score: values})
    wide = rows.pivot(index=pairing.id, columns=pairing.occasion, values=score)
    out = pd.DataFrame({"pre": wide.get(pairing.pre), "post": wide.get(pairing.post)}, index=wide.index)
    if keep:
        # Client-level columns: prefer the pre row, fall back on the post row.
        ordered = rows.assign(_first=(rows[pairing.occasion] != pairing.pre).astype(int)).sort_values("_first",
                                                                                       kind="stable")
        carried = ordered.drop_duplicates(pairing.id).set_index(pairing.id)[keep]
        out = out.join(carried)
    return out.sort_index()


def change_table(
    data: pd.DataFrame,
    *,
    pre: str,
    post: str,
    by: str | Sequence[str] | None = None,
    score: str | None = None,
    id: str = "client_id",
    occasion: str = "occasion",
    sd: float | None = None,
    reliability: float | None = None,
    higher_is_better: bool = True,
    method: str = "jt",
    ci: float = 0.95,
    warn_below: int | None = MIN_CELL,
) -> pd.DataFrame:
    """Pre/post change summary per group: means, SDs, correlation, d_z with CI, categories.

    Two layouts:

    * **wide** (``score=None``): one row per client; ``pre`` and ``post`` name the two score
      columns, e.g. ``change_table(wide, pre="total_baseline", post="total_end", by="gender")``.
    * **long** (``score`` given): one row per client × occasion; ``pre`` and ``post`` are
      occasion values, e.g. ``change_table(scored, score="total", pre="baseline", post="end",
      by="municipality")``. Grouping columns are taken from the client's pre row.

    Statistics use complete pairs only (clients with both scores); ``n_pre`` counts clients
    with a pre score, so ``n / n_pre`` is the retention of the measurement. SDs use n - 1;
    ``r_prepost`` is Pearson's r; ``d_z`` = mean_change / sd_change with the noncentral-t CI
    of :func:`soskulib.effectsize.paired_effect_size`. All changes are post - pre (not
    direction-oriented). The columns ``n, mean_pre, sd_pre, mean_post, r_prepost`` feed
    ``effectsize.smcr`` (metafor ``escalc(measure = "SMCR")``).

    When both ``sd`` and ``reliability`` are given, each client's reliable change
    (:func:`reliable_change` with ``method`` and ``higher_is_better``) is counted:
    ``n_improved, n_unchanged, n_deteriorated`` and ``share_*`` (of ``n``). Use one common SD
    and reliability for all groups (e.g. from the instrument spec) so categories are comparable.

    Parameters
    ----------
    data : DataFrame
        Wide or long data (see above).
    pre, post : str
        Column names (wide) or occasion values (long).
    by : str or list of str, optional
        Grouping columns (``municipality``, ``gender``, ``target_group``...). Missing group
        values form their own group.
    score : str, optional
        Score column of long data; its presence selects the long layout.
    id, occasion : str
        Client and occasion columns of long data.
    sd, reliability : float, optional
        For reliable-change counts.
    higher_is_better : bool
        Direction used for the categories.
    method : str
        Reliable-change method (see :func:`reliable_change`).
    ci : float
        Confidence level of the d_z interval.
    warn_below : int or None
        Warn (:class:`soskulib.publication.PublicationWarning`) when a group has 1 to
        ``warn_below - 1`` people (default 5, the disclosure threshold); ``None`` for callers
        that protect the table themselves.

    Returns
    -------
    DataFrame
        One row per group (a single row when ``by`` is None): ``by`` columns, ``n_pre``, ``n``,
        ``mean_pre, sd_pre, mean_post, sd_post, mean_change, sd_change, r_prepost, d_z,
        d_z_ci_low, d_z_ci_high`` [+ category counts and shares]. ``attrs`` records the layout
        and the reliable-change settings, ``publishable`` (always ``False``) and
        ``small_groups`` (how many ``n_pre`` or ``n`` values are 1–4).

    Notes
    -----
    **Analysis only, not for publication.** Every group is shown exactly, even a group of two
    clients, whose scores its mean and SD give away. Publish change through the protected
    :func:`soskulib.outcomes.outcome_summary`, or pass this table through
    :func:`soskulib.disclosure.suppress_table` (counts ``n_pre``, ``n``; the statistics as
    ``derived``) first; see :mod:`soskulib.publication`.

    Examples
    --------
    >>> wide = pd.DataFrame({"g": ["x"] * 4 + ["y"] * 3,
    ...                      "t0": [10, 12, 14, 16, 10, 11, 13.0],
    ...                      "t1": [12, 15, 15, 20, 10, 14, 15.0]})
    >>> tab = change_table(wide, pre="t0", post="t1", by="g")
    >>> tab[["g", "n", "mean_change", "d_z"]].round(3).to_string(index=False)
    'g  n  mean_change   d_z\\nx  4        2.500 1.936\\ny  3        1.667 1.091'
    """
    by_cols = [] if by is None else [by] if isinstance(by, str) else list(by)
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"data must be a DataFrame, got {type(data).__name__}")
    if score is None:
        require_columns(data, [pre, post, *by_cols], "change_table (wide layout)")
        x = as_float_vector(data[pre], pre)
        y = as_float_vector(data[post], post)
        frame = pd.DataFrame({c: data[c] for c in by_cols}, index=data.index)
        frame["pre"], frame["post"] = x, y
        layout = "wide"
    else:
        frame = pair_occasions(data, score, pre=pre, post=post, id=id, occasion=occasion,
                               keep=by_cols)
        layout = "long"
    with_categories = sd is not None and reliability is not None
    if with_categories:
        rc = reliable_change(frame["pre"], frame["post"], sd=sd, reliability=reliability,
                             higher_is_better=higher_is_better, method=method)
        frame["category"] = rc["category"]
    elif (sd is None) != (reliability is None):
        raise ValueError("give both sd and reliability (for reliable-change counts) or neither")

    complete = frame["pre"].notna() & frame["post"].notna()
    key = by_cols or (lambda _: 0)  # one group when ungrouped
    grouped_all = frame.groupby(key, dropna=False, sort=True)
    n_pre = grouped_all["pre"].count().rename("n_pre")
    pairs = frame[complete].assign(change=lambda f: f["post"] - f["pre"])
    grouped = pairs.groupby(key, dropna=False, sort=True)
    # Pearson r from within-group centred cross-products (numerically stable).
    centred = pairs[["pre", "post"]] - grouped[["pre", "post"]].transform("mean")
    pairs = pairs.assign(_cross=centred["pre"] * centred["post"])
    grouped = pairs.groupby(key, dropna=False, sort=True)
    summary = pd.DataFrame({
        "n": grouped["pre"].count(),
        "mean_pre": grouped["pre"].mean(), "sd_pre": grouped["pre"].std(ddof=1),
        "mean_post": grouped["post"].mean(), "sd_post": grouped["post"].std(ddof=1),
        "mean_change": grouped["change"].mean(), "sd_change": grouped["change"].std(ddof=1),
    })
    with np.errstate(invalid="ignore", divide="ignore"):
        summary["r_prepost"] = grouped["_cross"].sum() / (
            (summary["n"] - 1) * summary["sd_pre"] * summary["sd_post"])
    table = n_pre.to_frame().join(summary, how="left")
    table["n"] = table["n"].fillna(0).astype("int64")
    effect = effect_from_summaries(table, "dz", ci)
    table["d_z"], table["d_z_ci_low"], table["d_z_ci_high"] = (
        effect["estimate"], effect["ci_low"], effect["ci_high"])
    if with_categories:
        counts = (pairs.groupby(key, dropna=False, sort=True)["category"]
                  .value_counts(sort=False).unstack(fill_value=0)
                  .reindex(columns=list(CATEGORIES), fill_value=0))
        counts = counts.reindex(table.index, fill_value=0)
        for cat in reversed(CATEGORIES):
            table[f"n_{cat}"] = counts[cat].astype("int64")
        for cat in reversed(CATEGORIES):
            table[f"share_{cat}"] = table[f"n_{cat}"] / table["n"].where(table["n"] > 0)
    table = table.reset_index(drop=not by_cols)
    table.attrs.update({"layout": layout, "pre": pre, "post": post, "score": score,
                        "ci": ci, "categories": with_categories})
    # Analysis output: exact statistics for every group, however small (soskulib.publication).
    limit = MIN_CELL if warn_below is None else warn_below
    small = int(((table["n_pre"] > 0) & (table["n_pre"] < limit)).sum()
                + ((table["n"] > 0) & (table["n"] < limit)).sum())
    table.attrs["small_groups"] = small
    publication.mark(table, False, "change.change_table")
    if small and warn_below is not None:
        warnings.warn(
            f"change_table: {small} count(s) of fewer than {warn_below} people; this is an "
            "analysis table (attrs['publishable'] is False) and must not be published as it "
            "is: use outcomes.outcome_summary or disclosure.suppress_table",
            publication.PublicationWarning, stacklevel=2)
    if with_categories:
        table.attrs.update({k: rc.attrs[k] for k in ("method", "method_name", "sd",
                                                     "reliability", "critical_value",
                                                     "higher_is_better")})
    return table


def _scale_reliability(inst: Any, scale: str, baseline: pd.DataFrame) -> tuple[float, str]:
    """Reliability of ``scale``: the spec's alpha, else Cronbach's alpha of baseline items."""
    spec = inst.reliability or {}
    per_scale = spec.get(scale)
    scale_items = tuple(inst.scales[scale].items)
    if isinstance(per_scale, dict) and "alpha" in per_scale:
        return float(per_scale["alpha"]), "instrument spec"
    if "alpha" in spec and set(scale_items) == set(inst.items) and len(scale_items) > 1:
        # The instrument-level alpha describes the scale made of all items (the total).
        return float(spec["alpha"]), "instrument spec"
    if len(scale_items) < 2:
        raise ValueError(f"{inst.name} scale {scale!r} is a single item: internal consistency "
                         "is undefined; pass reliability= (e.g. a test-retest coefficient)")
    missing = [i for i in scale_items if i not in baseline.columns]
    if missing:
        raise ValueError(f"{inst.name} spec gives no reliability for scale {scale!r} and the "
                         f"data lack its items ({', '.join(missing)}) to estimate Cronbach's "
                         "alpha; pass reliability= or include the item columns")
    from soskulib import reliability as reliability_module  # written in parallel; import lazily

    items = baseline[list(scale_items)].astype(float)
    lo_hi = {i: inst.item_range(i) for i in inst.reverse if i in scale_items}
    for item, (lo, hi) in lo_hi.items():
        items[item] = lo + hi - items[item]
    return float(reliability_module.cronbach_alpha(items).alpha), "data"


@keyword_options(Pairing)
def reliable_change_scores(
    data: pd.DataFrame,
    instrument: Any,
    scale: str,
    *,
    method: str = "jt",
    sd: float | None = None,
    reliability: float | None = None,
    cutoff: float | None = None,
    higher_is_better: bool | None = None,
    keep: Sequence[str] = (),
    options: Pairing,
) -> pd.DataFrame:
    """Reliable change (or clinical significance) of one scale from a long scored frame.

    Pairs ``pre`` and ``post`` occasions per client (:func:`pair_occasions`) and applies
    :func:`reliable_change`, or :func:`clinical_significance` when ``cutoff`` is given, with
    parameters taken, unless passed, from:

    * SD: the SD (n - 1) of the scale at the ``pre`` occasion over every client with a pre
      score (``sd_source="data"``);
    * reliability: the instrument spec's ``[reliability] alpha`` when ``scale`` is the scale
      made of all items (or a ``[reliability.<scale>] alpha`` entry), else Cronbach's alpha of
      the scale's items at ``pre`` in ``data`` (:func:`soskulib.reliability.cronbach_alpha`,
      listwise complete rows; reverse-keyed items reversed), recorded as ``"data"``;
    * direction: the scale's ``higher_is_better`` in the spec.

    Parameters
    ----------
    data : DataFrame
        Long frame with ``id``, ``occasion``, the ``scale`` column (e.g.
        :func:`soskulib.scoring.score` output with ids carried along) and, for the data alpha,
        the item columns.
    instrument : str or Instrument
        Instrument id/name or object (:func:`soskulib.instruments.get`).
    scale : str
        Scale name in the instrument (column in ``data``).
    pre, post, id, occasion, keep
        As in :func:`pair_occasions`.
    method, cutoff
        As in :func:`reliable_change` / :func:`clinical_significance`.
    sd, reliability, higher_is_better : optional
        Override the defaults above (recorded as ``"argument"``).

    Returns
    -------
    DataFrame
        Indexed by client: ``pre, post, change, rci, category`` [+ ``keep``]; ``attrs`` state
        method, SD, reliability and their sources.

    Examples
    --------
    >>> long = pd.DataFrame({"client_id": list("aabbcc"),
    ...                      "occasion": ["baseline", "end"] * 3,
    ...                      "total": [40.0, 70, 50, 52, 60, 40]})
    >>> res = reliable_change_scores(long, "esis", "total")
    >>> res["category"].tolist(), res.attrs["reliability_source"], res.attrs["sd_source"]
    (['improved', 'unchanged', 'deteriorated'], 'instrument spec', 'data')
    """
    from soskulib import instruments

    inst = instruments.get(instrument)
    inst.check_scale(scale)
    paired = _pair_occasions(data, scale, keep, options)
    baseline = data.loc[(data[options.occasion].astype(object) == options.pre).to_numpy()]
    if sd is None:
        pre_scores = as_float_vector(baseline[scale], scale)
        pre_scores = pre_scores[np.isfinite(pre_scores)]
        if pre_scores.size < 2:
            raise ValueError(f"fewer than 2 {options.pre!r} scores of {scale!r}: cannot estimate the SD; "
                             "pass sd=")
        sd, sd_source = float(np.std(pre_scores, ddof=1)), "data"
    else:
        sd_source = "argument"
    if reliability is None:
        reliability, reliability_source = _scale_reliability(inst, scale, baseline)
    else:
        reliability_source = "argument"
    if higher_is_better is None:
        higher_is_better = inst.scales[scale].higher_is_better
    rule = ReliableChangeRule(sd=sd, reliability=reliability, higher_is_better=higher_is_better,
                              method=method, sd_source=sd_source,
                              reliability_source=reliability_source)
    if cutoff is None:
        result = _reliable_change(paired["pre"], paired["post"], rule)
    else:
        result = _clinical_significance(paired["pre"], paired["post"], cutoff, rule)
    out = paired[["pre", "post"]].join(result).join(paired[list(keep)])
    out.attrs.update(result.attrs)
    out.attrs.update({"instrument": inst.id, "scale": scale, "pre": options.pre, "post": options.post})
    return out
