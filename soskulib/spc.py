"""Run charts and Shewhart p-charts for quick feedback loops in developmental evaluation.

Two complementary tools, as used in health and social-care improvement work:

* **Run chart rules** (Perla, Provost & Murray 2011, *BMJ Qual Saf* 20:46–51; Provost &
  Murray 2011, *The Health Care Data Guide*, ch. 3) on a series plotted around its median:

  - *shift*: ``shift`` (default 6) or more consecutive points on the same side of the median;
    points exactly on the median neither add to nor break a run;
  - *trend*: ``trend`` (default 5) or more consecutive points all going up or all going down;
    repeated equal values neither make nor break a trend;
  - *too few / too many runs*: the number of runs (crossings + 1, among points not on the
    median) lies outside the central 95 % of its distribution for a random sequence. The
    exact distribution is the Swed & Eisenhart (1943) runs distribution for the observed
    numbers of points above and below the median (Perla et al.'s Table 1 is its equal-split
    version); a normal approximation (Wald–Wolfowitz) is available;
  - *astronomical point*: "obviously different" is a judgement in Perla et al.; here it is
    operationalised as a point farther than ``astronomical_sigma`` (3) estimated standard
    deviations from the median, σ̂ = mean moving range / 1.128 as in an individuals chart.

  Anhøj (2015, *PLoS ONE* 10:e0121349) argues for the longest-run and crossings rules; the
  shift and runs rules here cover the same ground with the Perla thresholds.

* **Shewhart p-chart** (Montgomery 2019, *Introduction to Statistical Quality Control*, 8th
  ed., §7.2) for a proportion with varying subgroup size ``n_i``: centre line
  ``p̄ = Σ events / Σ n`` (over the baseline points of each phase), limits
  ``p̄ ± 3 √(p̄ (1 − p̄) / n_i)`` clipped to [0, 1]; a point outside the limits signals.
  R equivalent: ``qicharts2::qic(x, events, n, chart = "p")`` (limits; its run rules are
  Anhøj's).

Examples
--------
>>> import numpy as np
>>> from soskulib import spc
>>> rc = spc.run_chart([8, 9, 8, 9, 7, 9, 2, 3, 2, 3, 2, 3, 5])
>>> rc.points["centre"].iloc[0], int(rc.points["shift"].sum()), rc.runs, rc.too_few_runs
(np.float64(5.0), 12, 2, True)
>>> spc.p_chart([6, 5, 7, 1], [20, 20, 20, 20])["outside_limits"].tolist()
[False, False, False, False]
"""

from __future__ import annotations

from dataclasses import dataclass
from math import comb

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy import stats

__all__ = [
    "RunChart",
    "runs_distribution",
    "runs_limits",
    "run_chart",
    "p_chart",
    "SIGNAL_REASONS",
]

#: Codes used in the ``reasons`` column of chart outputs, in the order they are listed.
SIGNAL_REASONS = ("outside_limits", "astronomical", "shift", "trend")

# d2 constant for moving ranges of two consecutive points (Montgomery, Appendix VI).
_D2 = 1.128


def runs_distribution(n_above: int, n_below: int) -> pd.Series:
    """Exact null distribution of the number of runs (Swed & Eisenhart 1943).

    For ``n1`` points above and ``n2`` below the median in random order, with
    ``N = C(n1 + n2, n1)``:
    ``P(R = 2k) = 2 C(n1-1, k-1) C(n2-1, k-1) / N`` and
    ``P(R = 2k+1) = [C(n1-1, k-1) C(n2-1, k) + C(n1-1, k) C(n2-1, k-1)] / N``.

    Parameters
    ----------
    n_above, n_below : int
        Numbers of useful observations (not on the median) above and below it.

    Returns
    -------
    Series
        Probabilities indexed by the number of runs.

    Examples
    --------
    >>> d = runs_distribution(5, 5)
    >>> float(round(d[2], 4)), float(round(d[3], 4)), float(round(d.sum(), 10))
    (0.0079, 0.0317, 1.0)
    """
    n1, n2 = int(n_above), int(n_below)
    if n1 < 0 or n2 < 0:
        raise ValueError("n_above and n_below must be non-negative")
    if n1 == 0 or n2 == 0:
        return pd.Series({1 if n1 + n2 else 0: 1.0}, name="probability")
    total = comb(n1 + n2, n1)
    runs = np.arange(2, 2 * min(n1, n2) + 2)
    probs = []
    for r in runs:
        k = r // 2
        if r % 2 == 0:
            ways = 2 * comb(n1 - 1, k - 1) * comb(n2 - 1, k - 1)
        else:
            ways = comb(n1 - 1, k - 1) * comb(n2 - 1, k) + comb(n1 - 1, k) * comb(n2 - 1, k - 1)
        probs.append(ways / total)
    out = pd.Series(probs, index=runs, name="probability")
    return out[out > 0]


def runs_limits(
    n_above: int, n_below: int, *, alpha: float = 0.05, method: str = "exact"
) -> tuple[float, float]:
    """Limits for the number of runs: fewer than ``lower`` or more than ``upper`` signals.

    ``method="exact"``: ``lower`` is the smallest ``r`` with ``P(R <= r) > alpha/2`` and
    ``upper`` the largest ``r`` with ``P(R >= r) > alpha/2`` under :func:`runs_distribution`.
    With an even split this reproduces Perla et al.'s (2011) Table 1 (e.g. 10 useful
    observations: fewer than 3 or more than 9 runs signal).
    ``method="normal"``: ``E[R] ± z σ_R`` with ``E[R] = 1 + 2 n1 n2 / n`` and
    ``σ_R² = 2 n1 n2 (2 n1 n2 − n) / (n² (n − 1))`` (Wald & Wolfowitz 1940).

    Parameters
    ----------
    n_above, n_below : int
        Useful observations (not on the median) above and below it.
    alpha : float, default 0.05
        Two-sided risk of a signal in a random sequence.
    method : {"exact", "normal"}
        Exact Swed-Eisenhart limits or the Wald-Wolfowitz normal approximation.

    Returns
    -------
    (lower, upper)
        Whole numbers (``int``) for ``"exact"``, floats for ``"normal"``; ``(nan, nan)`` when all
        useful points lie on one side of the median.

    Examples
    --------
    >>> runs_limits(5, 5)
    (3, 9)
    >>> [round(v, 2) for v in runs_limits(15, 15, method="normal")]
    [10.73, 21.27]
    """
    if not 0 < alpha < 1:
        raise ValueError("alpha must be in (0, 1)")
    n1, n2 = int(n_above), int(n_below)
    n = n1 + n2
    if n1 == 0 or n2 == 0:
        return (np.nan, np.nan)
    if method == "exact":
        dist = runs_distribution(n1, n2)
        lower = int(dist.index[np.argmax(dist.cumsum().to_numpy() > alpha / 2)])
        upper = int(dist.index[::-1][np.argmax(dist[::-1].cumsum().to_numpy() > alpha / 2)])
        return (lower, upper)
    if method == "normal":
        mean = 1 + 2 * n1 * n2 / n
        sd = np.sqrt(2 * n1 * n2 * (2 * n1 * n2 - n) / (n**2 * (n - 1)))
        z = stats.norm.ppf(1 - alpha / 2)
        return (float(mean - z * sd), float(mean + z * sd))
    raise ValueError(f"method must be 'exact' or 'normal', got {method!r}")


@dataclass(frozen=True)
class RunChart:
    """Result of :func:`run_chart`.

    Attributes
    ----------
    points : DataFrame
        One row per input point: ``value``, ``centre`` (median), ``side`` (1 above, −1 below,
        0 on the median or missing), ``shift``, ``trend``, ``astronomical`` (bool),
        ``signal`` (any of them) and ``reasons`` (``";"``-joined codes of
        :data:`SIGNAL_REASONS`).
    n_useful : int
        Points not on the median (and not missing).
    runs : int
        Number of runs among the useful points.
    runs_lower, runs_upper : float
        Fewer than ``runs_lower`` runs is "too few", more than ``runs_upper`` "too many".
    too_few_runs, too_many_runs : bool

    Examples
    --------
    >>> rc = run_chart([8, 9, 8, 9, 7, 9, 2, 3, 2, 3, 2, 3, 5])
    >>> rc.n_useful, rc.runs, (rc.runs_lower, rc.runs_upper), rc.too_few_runs
    (12, 2, (4, 10), True)
    """

    points: pd.DataFrame
    n_useful: int
    runs: int
    runs_lower: float
    runs_upper: float
    too_few_runs: bool
    too_many_runs: bool

    def summary(self) -> dict:
        """Chart-level figures as a plain dict (one row of a summary table).

        Returns
        -------
        dict
            ``n_points, n_useful, runs, runs_lower, runs_upper, too_few_runs, too_many_runs,
            n_signals``.

        Examples
        --------
        >>> run_chart([1, 2, 3, 4, 5, 6, 5, 4, 5, 4]).summary()["n_signals"]
        6
        """
        return {
            "n_points": int(self.points["value"].notna().sum()),
            "n_useful": self.n_useful,
            "runs": self.runs,
            "runs_lower": self.runs_lower,
            "runs_upper": self.runs_upper,
            "too_few_runs": self.too_few_runs,
            "too_many_runs": self.too_many_runs,
            "n_signals": int(self.points["signal"].sum()),
        }


def _mark_spans(n: int, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Boolean array with ``[start, end]`` (inclusive) spans set, vectorised."""
    marks = np.zeros(n + 1, dtype=int)
    np.add.at(marks, starts, 1)
    np.add.at(marks, ends + 1, -1)
    return np.cumsum(marks[:-1]) > 0


def _run_bounds(labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start and end positions of runs of equal consecutive labels."""
    if labels.size == 0:
        return np.array([], int), np.array([], int)
    change = np.flatnonzero(labels[1:] != labels[:-1]) + 1
    starts = np.concatenate(([0], change))
    ends = np.concatenate((change - 1, [labels.size - 1]))
    return starts, ends


def _reasons(flags: pd.DataFrame) -> pd.Series:
    present = [c for c in SIGNAL_REASONS if c in flags.columns]
    text = pd.Series("", index=flags.index, dtype=object)
    for code in present:
        text = text.where(~flags[code], text + np.where(text == "", "", ";") + code)
    return text.astype(str)


def run_chart(
    values: ArrayLike,
    *,
    centre: float | None = None,
    baseline: int | None = None,
    shift: int = 6,
    trend: int = 5,
    astronomical_sigma: float | None = 3.0,
    alpha: float = 0.05,
    runs_method: str = "exact",
) -> RunChart:
    """Apply the run-chart rules of Perla, Provost & Murray (2011) to a series.

    Parameters
    ----------
    values : array-like
        The series in time order; ``NaN`` (e.g. a suppressed or empty quarter) is skipped by
        every rule.
    centre : float, optional
        Centre line; default the median of the baseline points.
    baseline : int, optional
        Use the first ``baseline`` non-missing points for the median (a "frozen" baseline when
        testing whether a change after it moved the process); default all points.
    shift, trend : int
        Run lengths that signal (6 and 5 in Perla et al.).
    astronomical_sigma : float or None
        Distance from the centre, in I-chart sigmas (mean moving range / 1.128), beyond which
        a point is "astronomical"; ``None`` switches the rule off.
    alpha : float
        Two-sided risk for the number-of-runs rule.
    runs_method : {"exact", "normal"}
        See :func:`runs_limits`.

    Returns
    -------
    RunChart

    Examples
    --------
    >>> rc = run_chart([1, 2, 3, 4, 5, 6, 5, 4, 5, 4])
    >>> rc.points["trend"].tolist()
    [True, True, True, True, True, True, False, False, False, False]
    >>> rc.runs, rc.too_few_runs
    (2, False)
    """
    x = np.asarray(pd.to_numeric(pd.Series(values), errors="raise"), dtype=float)
    for name, length in (("shift", shift), ("trend", trend)):
        if int(length) < 2:
            raise ValueError(f"{name} must be at least 2 points, got {length}")
    present = np.flatnonzero(np.isfinite(x))
    if centre is None:
        basis = present if baseline is None else present[: int(baseline)]
        centre = float(np.median(x[basis])) if basis.size else np.nan
    n = x.size
    side = np.zeros(n, dtype=int)
    side[present] = np.sign(x[present] - centre).astype(int)

    # Shift: runs among useful points (off the median).
    useful = np.flatnonzero(side != 0)
    shift_flag = np.zeros(n, bool)
    starts, ends = _run_bounds(side[useful])
    long_run = (ends - starts + 1) >= shift
    if long_run.any():
        within = _mark_spans(useful.size, starts[long_run], ends[long_run])
        shift_flag[useful[within]] = True
    n_runs = int(starts.size)

    # Trend: monotone steps among present points, equal neighbours skipped.
    trend_flag = np.zeros(n, bool)
    if present.size >= 2:
        keep = np.concatenate(([True], np.diff(x[present]) != 0))
        distinct = present[keep]
        step = np.sign(np.diff(x[distinct]))
        s_starts, s_ends = _run_bounds(step)
        long_trend = (s_ends - s_starts + 2) >= trend
        if long_trend.any():
            first = distinct[s_starts[long_trend]]
            last = distinct[s_ends[long_trend] + 1]
            span = _mark_spans(n, first, last)
            trend_flag = span & np.isfinite(x)

    astro_flag = np.zeros(n, bool)
    if astronomical_sigma is not None and present.size >= 2:
        sigma = np.mean(np.abs(np.diff(x[present]))) / _D2
        if sigma > 0:
            astro_flag[present] = np.abs(x[present] - centre) > astronomical_sigma * sigma

    n_above = int(np.sum(side == 1))
    n_below = int(np.sum(side == -1))
    lower, upper = runs_limits(n_above, n_below, alpha=alpha, method=runs_method)
    points = pd.DataFrame({
        "value": x,
        "centre": centre,
        "side": side,
        "shift": shift_flag,
        "trend": trend_flag,
        "astronomical": astro_flag,
    }, index=pd.Series(values).index if isinstance(values, pd.Series) else None)
    points["signal"] = points[["shift", "trend", "astronomical"]].any(axis=1)
    points["reasons"] = _reasons(points)
    return RunChart(
        points=points,
        n_useful=int(useful.size),
        runs=n_runs,
        runs_lower=lower,
        runs_upper=upper,
        too_few_runs=bool(n_runs < lower) if np.isfinite(lower) else False,
        too_many_runs=bool(n_runs > upper) if np.isfinite(upper) else False,
    )


def p_chart(
    events: ArrayLike,
    n: ArrayLike,
    *,
    phase: ArrayLike | None = None,
    baseline: int | None = None,
    sigma: float = 3.0,
) -> pd.DataFrame:
    """Shewhart p-chart for a proportion with varying subgroup size (Montgomery 2019, §7.2).

    ``p_i = events_i / n_i``; centre ``p̄ = Σ events / Σ n`` over the baseline points of the
    point's phase; ``σ_i = √(p̄ (1 − p̄) / n_i)``; limits ``p̄ ± sigma · σ_i`` clipped to
    [0, 1]. A subgroup with ``n_i = 0`` has no proportion and no limits.

    Parameters
    ----------
    events, n : array-like of int
        Numbers of events (e.g. dropouts) and of trials (e.g. ended episodes) per period.
    phase : array-like, optional
        Phase label per point (e.g. ``"before"``/``"after"`` a change); each phase gets its
        own centre line and limits.
    baseline : int, optional
        Use only the first ``baseline`` points with ``n > 0`` of each phase for the centre
        line (limits are then extended over the phase); default all points.
    sigma : float, default 3
        Width of the limits in standard errors.

    Returns
    -------
    DataFrame
        ``events, n``, ``phase`` (only when ``phase`` is given), ``p, centre, se, lcl, ucl,
        outside_limits`` (one row per point, same index as ``events`` when it is a Series).

    Examples
    --------
    >>> out = p_chart([2, 3, 10], [20, 20, 20])
    >>> float(round(out["centre"].iloc[0], 4)), float(round(out["ucl"].iloc[0], 4))
    (0.25, 0.5405)
    >>> out["outside_limits"].tolist()
    [False, False, False]
    """
    events_arr = np.asarray(events, dtype=float)
    n_arr = np.asarray(n, dtype=float)
    if events_arr.shape != n_arr.shape:
        raise ValueError("events and n must have the same length")
    if np.any(n_arr < 0) or np.any(events_arr < 0):
        raise ValueError("events and n must be non-negative")
    if np.any(events_arr > n_arr):
        bad = int(np.flatnonzero(events_arr > n_arr)[0])
        raise ValueError(f"events exceed n at position {bad}")
    index = events.index if isinstance(events, pd.Series) else None
    frame = pd.DataFrame({"events": events_arr, "n": n_arr}, index=index)
    frame["phase"] = "all" if phase is None else np.asarray(phase)
    with np.errstate(invalid="ignore", divide="ignore"):
        frame["p"] = np.where(n_arr > 0, events_arr / n_arr, np.nan)
    frame["_use"] = frame["n"] > 0
    if baseline is not None:
        rank = frame.loc[frame["_use"]].groupby("phase", sort=False).cumcount()
        frame["_use"] = False
        frame.loc[rank.index, "_use"] = rank < int(baseline)
    base = frame.loc[frame["_use"]].groupby("phase", sort=False)[["events", "n"]].sum()
    centre = (base["events"] / base["n"]).rename("centre")
    frame = frame.join(centre, on="phase")
    with np.errstate(invalid="ignore", divide="ignore"):
        frame["se"] = np.sqrt(frame["centre"] * (1 - frame["centre"]) / frame["n"].where(frame["n"] > 0))
    frame["lcl"] = (frame["centre"] - sigma * frame["se"]).clip(lower=0)
    frame["ucl"] = (frame["centre"] + sigma * frame["se"]).clip(upper=1)
    frame["outside_limits"] = ((frame["p"] > frame["ucl"]) | (frame["p"] < frame["lcl"])).fillna(False)
    frame = frame.drop(columns="_use")
    if phase is None:
        frame = frame.drop(columns="phase")
    return frame
