"""Kaplan–Meier survival curves and quantiles (matching R ``survival::survfit``).

Used for time in service (:func:`soskulib.process.time_in_service`): episodes still open at
the export date are censored.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from soskulib.checks import as_list, require_columns
from soskulib.frames import group_keys
from soskulib.intervals import normal_quantile

__all__ = ["kaplan_meier", "km_quantile"]


def kaplan_meier(
    data: pd.DataFrame,
    time: str = "days_in_service",
    event: str = "ended",
    *,
    by: str | Sequence[str] | None = None,
    level: float = 0.95,
    conf_type: str = "log",
) -> pd.DataFrame:
    """Kaplan & Meier (1958) survival table per group, vectorised over groups.

    ``S(t) = Π_{t_i ≤ t} (1 − d_i / n_i)``; Greenwood variance of ``log S``:
    ``Σ d_i / (n_i (n_i − d_i))``. Confidence limits as in R ``survfit``: ``"log"`` (R's
    default) ``S · exp(± z se)`` (upper clipped at 1), ``"log-log"``
    ``S^exp(± z se / log S)``, ``"plain"`` ``S (1 ± z se)`` clipped to [0, 1]. Every distinct
    time (event or censoring) gets a row, like ``survfit``.

    R: ``survival::survfit(Surv(time, event) ~ group, conf.type = "log")``.

    Parameters
    ----------
    data : DataFrame
        One row per episode.
    time, event : str
        Follow-up time (non-negative) and event indicator (bool/0-1) columns.
    by : str or list, optional
        Grouping columns.
    level : float, default 0.95
    conf_type : {"log", "log-log", "plain"}

    Returns
    -------
    DataFrame
        ``by…, time, n_risk, n_event, n_censor, surv, std_err, lower, upper``. ``std_err`` is
        the Greenwood SE of the cumulative hazard as ``survfit``'s ``std.err``: ``inf`` where
        S reaches 0 (everyone at risk had the event), where the limits are NaN, as in R.

    Examples
    --------
    >>> d = pd.DataFrame({"t": [2, 3, 3, 6, 7, 9, 10, 12], "e": [1, 1, 1, 0, 1, 1, 0, 1]})
    >>> km = kaplan_meier(d, "t", "e")
    >>> km[["time", "n_risk", "surv"]].head(3)
       time  n_risk   surv
    0   2.0       8  0.875
    1   3.0       7  0.625
    2   6.0       5  0.625
    """
    by = as_list(by)
    require_columns(data, [time, event, *by], "kaplan_meier")
    if conf_type not in ("log", "log-log", "plain"):
        raise ValueError(f"conf_type must be 'log', 'log-log' or 'plain', got {conf_type!r}")
    frame = pd.DataFrame({"time": pd.to_numeric(data[time], errors="raise").astype(float),
                          "event": data[event].astype(bool)})
    if frame["time"].isna().any():
        raise ValueError(f"column {time!r} has missing times; drop or fix those rows first")
    if (frame["time"] < 0).any():
        bad = int(np.flatnonzero(frame["time"].to_numpy() < 0)[0])
        raise ValueError(f"negative time in row {bad}; check start and end dates")
    keys = group_keys(data, by)
    frame = pd.concat([keys.reset_index(drop=True), frame.reset_index(drop=True)], axis=1)
    table = (frame.groupby([*by, "time"], sort=True)
             .agg(n_event=("event", "sum"), n_total=("event", "size")).reset_index())
    table["n_event"] = table["n_event"].astype(int)
    table["n_censor"] = table["n_total"] - table["n_event"]
    grouped = table.groupby(by, sort=False) if by else None
    # Risk set: everyone with time >= t in the group (reverse cumulative sum).
    if by:
        table["n_risk"] = grouped["n_total"].transform(lambda s: s[::-1].cumsum()[::-1])
    else:
        table["n_risk"] = table["n_total"][::-1].cumsum()[::-1]
    with np.errstate(divide="ignore", invalid="ignore"):
        factor = 1 - table["n_event"] / table["n_risk"]
        greenwood = table["n_event"] / (table["n_risk"] * (table["n_risk"] - table["n_event"]))
    with np.errstate(divide="ignore"):
        table["_log_factor"] = np.log(factor.to_numpy())
    table["_gw"] = greenwood.to_numpy()
    if by:
        table["surv"] = np.exp(table.groupby(by, sort=False)["_log_factor"].cumsum())
        table["std_err"] = np.sqrt(table.groupby(by, sort=False)["_gw"].cumsum())
    else:
        table["surv"] = np.exp(table["_log_factor"].cumsum())
        table["std_err"] = np.sqrt(table["_gw"].cumsum())
    surv = table["surv"].to_numpy()
    se = table["std_err"].to_numpy()
    z = normal_quantile(level)
    with np.errstate(divide="ignore", invalid="ignore"):
        if conf_type == "log":
            s = np.where(surv == 0, np.nan, surv)
            lower = np.exp(np.log(s) - z * se)
            upper = np.minimum(np.exp(np.log(s) + z * se), 1)
        elif conf_type == "log-log":
            s = np.where((surv == 0) | (surv == 1), np.nan, surv)
            width = z * se / np.log(s)
            lower = np.exp(-np.exp(np.log(-np.log(s)) - width))
            upper = np.exp(-np.exp(np.log(-np.log(s)) + width))
        else:
            width = se * surv * z
            lower = np.maximum(surv - width, 0)
            upper = np.minimum(surv + width, 1)
    table["lower"], table["upper"] = lower, upper
    table["n_risk"] = table["n_risk"].astype(int)
    return table[[*by, "time", "n_risk", "n_event", "n_censor", "surv", "std_err", "lower", "upper"]]


def _findq(x: np.ndarray, y: np.ndarray, p: float, tol: float = 1.4901161193847656e-08) -> float:
    """Port of ``survival:::findq``: time where the cumulative curve ``y`` reaches ``p``."""
    if np.all(np.isnan(y)) or np.nanmax(y) < p:
        return np.nan
    xmax = x[-1]
    keep = ~pd.Series(y).duplicated().to_numpy()
    x, y = x[keep], y[keep]

    def first_at_least(shifted: np.ndarray) -> int | None:
        valid = np.flatnonzero(~np.isnan(shifted))
        if valid.size == 0 or p < shifted[valid[0]] or p > shifted[valid[-1]]:
            return None
        return int(valid[np.argmax(shifted[valid] >= p)])

    i1, i2 = first_at_least(y + tol), first_at_least(y - tol)
    if i1 is not None and not np.isnan(y[-1]) and abs(p - y[-1]) < tol:
        return float((x[i1] + xmax) / 2)
    if i1 is None or i2 is None:
        return np.nan
    return float((x[i1] + x[i2]) / 2)


def km_quantile(km: pd.DataFrame, p: float = 0.5) -> tuple[float, float, float]:
    """Quantile of survival time and its CI from one group's :func:`kaplan_meier` table.

    The ``p`` quantile is the first time the curve reaches ``S = 1 − p`` (the midpoint of a
    flat stretch at exactly ``1 − p``), its limits the same times for the lower and upper
    confidence curves (Brookmeyer & Crowley 1982 via the pointwise band), exactly as R
    ``quantile(survfit(...))`` / ``print(survfit(...))``; ``NaN`` where a curve never
    reaches it.

    Examples
    --------
    >>> d = pd.DataFrame({"t": [1, 2, 3, 4, 5, 6], "e": [1] * 6})
    >>> km_quantile(kaplan_meier(d, "t", "e"))
    (3.5, 2.0, nan)

    R: ``quantile(survfit(Surv(1:6, rep(1, 6)) ~ 1), 0.5)`` gives 3.5 [2, NA].
    """
    x = np.concatenate(([0.0], km["time"].to_numpy(float)))

    def at(curve: str) -> float:
        y = np.concatenate(([0.0], 1 - km[curve].to_numpy(float)))
        return _findq(x, y, p)

    # The lower confidence curve drops first, so it gives the lower limit (as in R).
    return at("surv"), at("lower"), at("upper")
