"""Goal Attainment Scaling (GAS): T-scores per client and goal-level attainment summaries.

Each goal in a client plan is rated on -2 (much less than expected), -1 (less), 0 (expected
level), +1 (more), +2 (much more than expected). Kiresuk & Sherman (1968), Community Mental
Health Journal 4:443-453, combine the goals into a T-score

    T = 50 + 10 · Σ wᵢxᵢ / √((1 - ρ)·Σ wᵢ² + ρ·(Σ wᵢ)²)

with weights wᵢ and ρ the assumed correlation between goal attainments (ρ = 0.3 by
convention), in the corrected form printed in the erratum to Turner-Stokes (2009), Clinical
Rehabilitation 23:362-370. T is 50 when every goal is met exactly and has SD about 10 when the
assumptions hold. There is no R package reference; the worked checks in ``tests/test_gas.py``
are computed by hand from this formula.

Examples
--------
>>> from soskulib import gas
>>> gas.gas_tscore([0, 0, 0])
50.0
>>> round(gas.gas_tscore([1, 1, 1]), 2)
63.69
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from soskulib.change import wilson_ci
from soskulib.checks import as_float_pair, as_float_vector, as_list, require_columns

#: The GAS attainment levels.
LEVELS = (-2, -1, 0, 1, 2)
#: Finnish and English labels of the levels.
LEVEL_LABELS = {
    -2: ("paljon odotettua huonompi", "much less than expected"),
    -1: ("odotettua huonompi", "less than expected"),
    0: ("odotettu taso", "expected level"),
    1: ("odotettua parempi", "more than expected"),
    2: ("paljon odotettua parempi", "much more than expected"),
}


def _check_rho(rho: Any) -> float:
    if isinstance(rho, bool) or not isinstance(rho, int | float | np.number):
        raise TypeError(f"rho must be a number, got {type(rho).__name__}")
    if not 0.0 <= float(rho) <= 1.0:
        raise ValueError(f"rho (inter-goal correlation) must lie in [0, 1], got {rho}")
    return float(rho)


def _bad_rows(index: pd.Index, mask: np.ndarray, limit: int = 5) -> str:
    labels = [str(v) for v in index[mask][:limit]]
    more = int(mask.sum()) - len(labels)
    return ", ".join(labels) + (f" (+{more} more)" if more > 0 else "")


def _check_attainment(x: np.ndarray, index: pd.Index, name: str) -> None:
    bad = np.isfinite(x) & ((x < -2) | (x > 2))
    bad |= np.isinf(x)
    if bad.any():
        raise ValueError(f"{name} must lie in -2..+2; out of range at row(s) "
                         f"{_bad_rows(index, bad)}")


def _check_weights(w: np.ndarray, rated: np.ndarray, index: pd.Index, name: str) -> None:
    bad = rated & ~(np.isfinite(w) & (w > 0))
    if bad.any():
        raise ValueError(f"{name} must be a positive number for every rated goal; missing or "
                         f"non-positive at row(s) {_bad_rows(index, bad)}")


def _tscore(sum_wx: Any, sum_w: Any, sum_w2: Any, rho: float) -> Any:
    with np.errstate(invalid="ignore", divide="ignore"):
        return 50.0 + 10.0 * sum_wx / np.sqrt((1.0 - rho) * sum_w2 + rho * sum_w * sum_w)


def gas_tscore(attainment: Any, weights: Any = None, rho: float = 0.3) -> float:
    """GAS T-score of one client (Kiresuk & Sherman 1968; Turner-Stokes 2009 erratum form).

    T = 50 + 10·Σwx / √((1 - ρ)·Σw² + ρ·(Σw)²).

    Parameters
    ----------
    attainment : array-like of float
        Goal attainment levels in -2..+2; NaN (goal not rated) is dropped with its weight.
    weights : array-like of float, optional
        Positive goal weights (importance × difficulty in Turner-Stokes' scheme); default 1.
    rho : float
        Assumed correlation between goal attainments, in [0, 1]; 0.3 by convention.

    Returns
    -------
    float
        The T-score; NaN when no goal is rated.

    Raises
    ------
    ValueError
        Attainment outside -2..+2, a missing or non-positive weight for a rated goal, unequal
        lengths, or ``rho`` outside [0, 1].

    Examples
    --------
    >>> gas_tscore([1, -1, 0])
    50.0
    >>> round(gas_tscore([2, 0], weights=[3, 1]), 3)
    67.467
    >>> gas_tscore([float("nan")])
    nan
    """
    rho = _check_rho(rho)
    if weights is None:
        x = as_float_vector(attainment, "attainment")
        w = np.ones_like(x)
    else:
        x, w = as_float_pair(attainment, weights, ("attainment", "weights"))
    index = attainment.index if isinstance(attainment, pd.Series) else pd.RangeIndex(x.size)
    _check_attainment(x, index, "attainment")
    rated = np.isfinite(x)
    if weights is not None:
        _check_weights(w, rated, index, "weights")
    if not rated.any():
        return float("nan")
    x, w = x[rated], w[rated]
    return float(_tscore(np.sum(w * x), np.sum(w), np.sum(w * w), rho))


def gas_tscores(
    goals: pd.DataFrame,
    client: str = "client_id",
    attainment: str = "attainment",
    weight: str | None = "weight",
    rho: float = 0.3,
    keep: Sequence[str] = (),
) -> pd.DataFrame:
    """GAS T-score for every client of a long goals table (vectorised with grouped sums).

    Parameters
    ----------
    goals : DataFrame
        One row per goal (the processed ``goals`` table: ``client_id``, ``goal_no``,
        ``weight``, ``baseline_level``, ``attainment``...).
    client : str
        Client column.
    attainment : str
        Attainment column (-2..+2, NaN = not rated). Pass ``"baseline_level"`` for the
        baseline T-score.
    weight : str or None
        Weight column; ``None`` for unit weights.
    rho : float
        Inter-goal correlation of the formula (see :func:`gas_tscore`).
    keep : sequence of str
        Client-level columns carried along (first value per client), e.g. ``municipality``.

    Returns
    -------
    DataFrame
        Indexed by client (sorted): ``tscore`` (NaN when no goal is rated), ``n_goals`` (goal
        rows), ``n_rated`` (goals with an attainment), ``n_at_or_above_expected`` (attainment
        >= 0) and ``keep`` columns. ``attrs`` records ``rho`` and whether weights were used.

    Examples
    --------
    >>> goals = pd.DataFrame({"client_id": ["a", "a", "b", "b"],
    ...                       "weight": [1.0, 1.0, 2.0, 1.0],
    ...                       "attainment": [0.0, 0.0, 1.0, float("nan")]})
    >>> gas_tscores(goals).round(2).to_dict("index")
    {'a': {'tscore': 50.0, 'n_goals': 2, 'n_rated': 2, 'n_at_or_above_expected': 2}, \
'b': {'tscore': 60.0, 'n_goals': 2, 'n_rated': 1, 'n_at_or_above_expected': 1}}
    """
    rho = _check_rho(rho)
    if not isinstance(goals, pd.DataFrame):
        raise TypeError(f"goals must be a DataFrame, got {type(goals).__name__}")
    needed = [client, attainment, *([weight] if weight is not None else []), *keep]
    require_columns(goals, needed, "gas_tscores", "pass the processed goals table")
    x = as_float_vector(goals[attainment], attainment)
    _check_attainment(x, goals.index, attainment)
    rated = np.isfinite(x)
    if weight is None:
        w = np.ones_like(x)
    else:
        w = as_float_vector(goals[weight], weight)
        _check_weights(w, rated, goals.index, weight)
    if goals[client].isna().any():
        raise ValueError(f"{client} is missing at row(s) "
                         f"{_bad_rows(goals.index, goals[client].isna().to_numpy())}")
    w_rated = np.where(rated, w, 0.0)
    parts = pd.DataFrame({
        "wx": np.where(rated, w * np.where(rated, x, 0.0), 0.0),
        "w": w_rated,
        "w2": w_rated * w_rated,
        "n_goals": 1,
        "n_rated": rated.astype(np.int64),
        "n_at_or_above_expected": (rated & (np.where(rated, x, -np.inf) >= 0)).astype(np.int64),
    }, index=goals.index)
    sums = parts.groupby(goals[client].to_numpy(), sort=True).sum()
    tscore = _tscore(sums["wx"], sums["w"], sums["w2"], rho).where(sums["n_rated"] > 0)
    out = pd.DataFrame({
        "tscore": tscore.astype(float),
        "n_goals": sums["n_goals"].astype("int64"),
        "n_rated": sums["n_rated"].astype("int64"),
        "n_at_or_above_expected": sums["n_at_or_above_expected"].astype("int64"),
    })
    out.index.name = client
    if keep:
        first = goals.drop_duplicates(client).set_index(client)[list(keep)]
        out = out.join(first)
    out.attrs.update({"rho": rho, "weighted": weight is not None, "attainment": attainment})
    return out


def attainment_summary(
    goals: pd.DataFrame,
    by: str | Sequence[str] | None = None,
    attainment: str = "attainment",
    baseline: str | None = "baseline_level",
    level: float = 0.95,
) -> pd.DataFrame:
    """Goal-level attainment distribution per group (e.g. life area, municipality).

    Parameters
    ----------
    goals : DataFrame
        One row per goal.
    by : str or list of str, optional
        Grouping columns (e.g. ``"life_area"``); missing values form their own group.
    attainment : str
        Attainment column (-2..+2, NaN = not rated).
    baseline : str or None
        Baseline-level column; when present, ``mean_gain`` = mean(attainment - baseline) over
        goals with both. ``None`` (or absent column) skips it.
    level : float
        Confidence level of the Wilson interval of ``share_at_or_above_expected``.

    Returns
    -------
    DataFrame
        One row per group: ``n_goals``, ``n_rated``, ``n_level_-2 … n_level_2`` (counts of rated
        goals at each level), ``share_at_or_above_expected`` (of rated goals) with ``ci_low``,
        ``ci_high`` (Wilson; R ``prop.test(k, n, correct = FALSE)``), ``mean_attainment`` and
        [``mean_gain``]. Counts are not suppressed here: apply :mod:`soskulib.disclosure`
        before publishing.

    Examples
    --------
    >>> goals = pd.DataFrame({"area": ["work", "work", "home"],
    ...                       "baseline_level": [-2.0, -1.0, -2.0],
    ...                       "attainment": [0.0, 1.0, -1.0]})
    >>> s = attainment_summary(goals, by="area")
    >>> s[["area", "n_rated", "share_at_or_above_expected", "mean_gain"]].to_string(index=False)
    'area  n_rated  share_at_or_above_expected  mean_gain\\nhome        1                         0.0        1.0\\nwork        2                         1.0        2.0'
    """
    by_cols = as_list(by)
    require_columns(goals, [attainment, *by_cols], "attainment_summary", "pass the processed goals table")
    x = as_float_vector(goals[attainment], attainment)
    _check_attainment(x, goals.index, attainment)
    rated = np.isfinite(x)
    parts = pd.DataFrame({"n_goals": np.ones(x.size, dtype=np.int64),
                          "n_rated": rated.astype(np.int64)}, index=goals.index)
    for lvl in LEVELS:
        parts[f"n_level_{lvl}"] = (rated & (np.where(rated, x, np.nan) == lvl)).astype(np.int64)
    parts["_at_or_above"] = (rated & (np.where(rated, x, -np.inf) >= 0)).astype(np.int64)
    parts["_x"] = np.where(rated, x, 0.0)
    use_gain = baseline is not None and baseline in goals.columns
    if use_gain:
        b = as_float_vector(goals[baseline], baseline)
        both = rated & np.isfinite(b)
        parts["_gain"] = np.where(both, x - np.where(both, b, 0.0), 0.0)
        parts["_n_gain"] = both.astype(np.int64)
    keys = [goals[c] for c in by_cols] if by_cols else np.zeros(x.size, dtype=np.int8)
    sums = parts.groupby(keys, dropna=False, sort=True).sum()
    n_rated = sums["n_rated"].where(sums["n_rated"] > 0)
    out = sums[["n_goals", "n_rated", *(f"n_level_{lvl}" for lvl in LEVELS)]].copy()
    out["share_at_or_above_expected"] = sums["_at_or_above"] / n_rated
    out["ci_low"], out["ci_high"] = wilson_ci(sums["_at_or_above"], sums["n_rated"], level)
    out["mean_attainment"] = sums["_x"] / n_rated
    if use_gain:
        out["mean_gain"] = sums["_gain"] / sums["_n_gain"].where(sums["_n_gain"] > 0)
    return out.reset_index(drop=not by_cols)
