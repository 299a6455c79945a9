"""Developmental-evaluation figures for social rehabilitation (SHL 1301/2014 §17).

Kuntoutussäätiö's role in the SOSKU programme was to collect, structure and analyse each
municipality's development work and results and to feed them back quickly. This module
computes those figures from the processed tables (see :mod:`soskulib.schema`): reach,
retention and exits, time in service, dose, fidelity to THL's four core elements, the
quality-criteria self-assessment, co-development activity, onward pathways, quarterly trends
with run/SPC charts (:mod:`soskulib.spc`) and the association of dose and fidelity with change.

Conventions
-----------
* The unit is the **client episode** (one row of ``clients``); a person with two episodes
  counts twice. :func:`client_episodes` builds the per-episode analysis table (it carries the
  pseudonym ``client_id`` and is never shown in a report); every other function aggregates.
* ``by=`` takes a column name or list (e.g. ``"municipality"``, ``["municipality",
  "gender"]``, ``"age_group"``, ``"target_group"``); ``by=None`` gives the national figure.
  Outputs are tidy DataFrames with the ``by`` columns first. Missing group values form their
  own group, so splits add up to the national figure.
* Counts of people pass through :func:`soskulib.disclosure.suppress_table` (``min_cell=5``;
  ``suppress=False`` needs to be explicit and warns). Secondary suppression treats the
  categories *and* the ``by`` columns as additive, so a hidden cell cannot be recovered from
  the national figure either. Shares, CIs *and* means/SDs computed from hidden counts are
  hidden, also for a group whose count is hidden only as a complement: a mean of
  integer-valued scores is ``S / n``, and at the published precision it can give ``n`` back
  (Vantaa 3X10D, women: 5.15 at two decimals fits only n = 59 of the possible 56–59), and
  with it the small group by subtraction (see :mod:`soskulib.disclosure`).
* The export date (censoring date of ongoing episodes) is the latest date in the data unless
  given.

Examples
--------
>>> import pandas as pd
>>> from soskulib import evaluation
>>> clients = pd.DataFrame({
...     "client_id": [f"c{i:02d}" for i in range(12)],
...     "municipality": ["092"] * 12,
...     "gender": ["male"] * 7 + ["female"] * 5,
...     "target_group": ["long_term_unemployed"] * 12,
...     "start_date": pd.to_datetime(["2017-01-02"] * 12),
...     "end_date": pd.to_datetime(["2017-06-30"] * 6 + ["2017-09-30"] * 5 + [None]),
...     "end_reason": ["completed"] * 6 + ["dropped_out"] * 5 + [None],
... })
>>> evaluation.exits(clients, min_cell=1)[["end_reason", "n", "n_ended", "share"]]
    end_reason    n  n_ended     share
0    completed  6.0     11.0  0.545455
1  dropped_out  5.0     11.0  0.454545
2        moved  0.0     11.0  0.000000
3        other  0.0     11.0  0.000000
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from soskulib import disclosure, schema, spc
from soskulib.change import wilson_ci

__all__ = [
    "FidelityRule",
    "wilson_ci",
    "mean_ci",
    "kaplan_meier",
    "km_quantile",
    "client_episodes",
    "reach",
    "entries",
    "composition",
    "exits",
    "time_in_service",
    "dose",
    "DOSE_MEASURES",
    "fidelity",
    "FIDELITY_ELEMENTS",
    "fidelity_index",
    "contents_received",
    "quality_profile",
    "quality_change",
    "codevelopment",
    "pathways",
    "dropout_chart",
    "quarterly_frame",
    "change_scores",
    "mechanisms",
]

#: THL's four core elements of social rehabilitation (seed 004), in reporting order.
FIDELITY_ELEMENTS = ("needs_assessment", "plan_with_goals", "intensive_individual_work",
                     "group_activity")

#: Per-episode dose measures summarised by :func:`dose`.
DOSE_MEASURES = ("n_contacts", "hours", "weeks_in_service", "contacts_per_month",
                 "share_individual", "share_group", "share_outreach")

_DAYS_PER_MONTH = 365.25 / 12
_MODES = tuple(schema.CONTACT_MODE_LABELS)
_CONTENTS = tuple(schema.CONTACT_CONTENT_LABELS)


# ---------------------------------------------------------------------------------------------
# Small statistical building blocks
# ---------------------------------------------------------------------------------------------


def _z(level: float) -> float:
    if not 0 < level < 1:
        raise ValueError(f"level must be in (0, 1), got {level}")
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


def _as_list(by: str | Sequence[str] | None) -> list[str]:
    if by is None:
        return []
    if isinstance(by, str):
        return [by]
    return list(by)


def _require(df: pd.DataFrame, columns: Sequence[str], what: str, hint: str = "") -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        extra = f"; {hint}" if hint else ""
        raise KeyError(f"{what} needs column(s) {missing}{extra}")


def _group_keys(df: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """Group labels with missing values made explicit, so groupby keeps them."""
    return df[by].astype(object).where(df[by].notna(), "(missing)") if by else df[[]]


def _protect(
    table: pd.DataFrame,
    count_cols: Sequence[str],
    *,
    along: Mapping[str, Sequence[str]],
    derived: Mapping[str, Sequence[str]] | None = None,
    complements: Mapping[str, str] | None = None,
    min_cell: int,
    suppress: bool,
    keys: Sequence[str],
) -> pd.DataFrame:
    return disclosure.suppress_table(
        table, list(count_cols), along=dict(along), derived=dict(derived or {}),
        complements=complements, keys=list(keys), min_cell=min_cell, suppress=suppress,
    )


def _quarter(dates: pd.Series) -> pd.Series:
    """Calendar quarter as text, e.g. ``'2017Q2'`` (missing stays missing)."""
    return dates.dt.to_period("Q").astype(str).where(dates.notna())


def _quarter_range(first: pd.Timestamp, last: pd.Timestamp) -> list[str]:
    return [str(q) for q in pd.period_range(first, last, freq="Q")]


def _quarter_start(quarter: pd.Series) -> pd.Series:
    return pd.PeriodIndex(quarter.astype(str), freq="Q").to_timestamp().to_series(index=quarter.index)


# ---------------------------------------------------------------------------------------------
# Kaplan–Meier (matches R survival::survfit)
# ---------------------------------------------------------------------------------------------


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
        ``by…, time, n_risk, n_event, n_censor, surv, std_err, lower, upper``.

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
    by = _as_list(by)
    _require(data, [time, event, *by], "kaplan_meier")
    if conf_type not in ("log", "log-log", "plain"):
        raise ValueError(f"conf_type must be 'log', 'log-log' or 'plain', got {conf_type!r}")
    frame = pd.DataFrame({"time": pd.to_numeric(data[time], errors="raise").astype(float),
                          "event": data[event].astype(bool)})
    if frame["time"].isna().any():
        raise ValueError(f"column {time!r} has missing times; drop or fix those rows first")
    if (frame["time"] < 0).any():
        bad = int(np.flatnonzero(frame["time"].to_numpy() < 0)[0])
        raise ValueError(f"negative time in row {bad}; check start and end dates")
    keys = _group_keys(data, by)
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
    z = _z(level)
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
    table["std_err"] = table["std_err"].where(np.isfinite(table["std_err"]))
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


# ---------------------------------------------------------------------------------------------
# The per-episode analysis table
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FidelityRule:
    """Operational definition of THL's four core elements (seed 004) for one episode.

    * needs assessment: at least one contact with content ``needs_assessment``;
    * plan with goals: at least ``min_goals`` goals in ``goals`` for the episode;
    * intensive individual work: at least ``min_individual_contacts`` individual contacts in
      total *and* on average at least ``min_individual_per_month`` individual contacts per
      month in service (months = days / 30.44, at least one day);
    * group activity: at least one contact in group mode or with content ``group_activity``.

    The thresholds are assumptions of this toolkit (THL's model names the elements, not
    cut-offs); state them in reports and vary them in sensitivity analyses.
    """

    min_individual_contacts: int = 4
    min_individual_per_month: float = 1.0
    min_goals: int = 1

    def __post_init__(self):
        if self.min_individual_contacts < 0 or self.min_individual_per_month < 0 or self.min_goals < 0:
            raise ValueError("FidelityRule thresholds must be non-negative")


def _export_date(*frames_and_columns: tuple[pd.DataFrame | None, Sequence[str]]) -> pd.Timestamp:
    latest = [frame[col].max() for frame, cols in frames_and_columns if frame is not None
              for col in cols if col in frame.columns]
    latest = [d for d in latest if pd.notna(d)]
    if not latest:
        raise ValueError("cannot infer the export date: no dates in the data; pass export_date")
    return max(latest)


def _assign_to_episodes(events: pd.DataFrame, episodes: pd.DataFrame, date_col: str) -> pd.DataFrame:
    """Attach ``episode`` to contact/goal rows.

    A client with one episode in a municipality gets all their rows; with several episodes a
    row goes to the episode whose period (start … end or export date) contains its date.
    """
    keys = ["client_id", "municipality"]
    _require(events, [*keys, date_col], "assigning rows to client episodes")
    spans = episodes[[*keys, "episode", "start_date", "stop_date"]].copy()
    spans["_n_episodes"] = spans.groupby(keys)["episode"].transform("size")
    joined = events.merge(spans, on=keys, how="inner")
    inside = (joined[date_col] >= joined["start_date"]) & (joined[date_col] <= joined["stop_date"])
    joined = joined.loc[(joined["_n_episodes"] == 1) | inside]
    # Overlapping episodes: the row goes to the earliest one.
    return joined.drop_duplicates(subset=[c for c in events.columns], keep="first") \
        if joined.duplicated(subset=list(events.columns)).any() else joined


def client_episodes(
    clients: pd.DataFrame,
    contacts: pd.DataFrame | None = None,
    goals: pd.DataFrame | None = None,
    *,
    export_date: pd.Timestamp | str | None = None,
    rule: FidelityRule = FidelityRule(),
) -> pd.DataFrame:
    """The per-episode analysis table: status, time in service, dose and fidelity.

    Parameters
    ----------
    clients : DataFrame
        Processed ``clients`` (one row per client episode).
    contacts, goals : DataFrame, optional
        Processed ``contacts`` and ``goals``; without them the dose and fidelity columns are
        left out.
    export_date : date, optional
        Censoring date for ongoing episodes; default the latest date in the tables.
    rule : FidelityRule
        Thresholds for the fidelity elements.

    Returns
    -------
    DataFrame
        The client columns plus ``episode`` (row number), ``ended`` (bool), ``stop_date``
        (end date or export date), ``days_in_service``, ``weeks_in_service``,
        ``entry_quarter``, ``exit_quarter``; with contacts: ``n_contacts``, ``hours``,
        ``n_<mode>`` and ``share_<mode>`` for individual/group/outreach,
        ``contacts_per_month``, ``content_<§17 content>`` (bool); with contacts and goals:
        ``n_goals`` and the four :data:`FIDELITY_ELEMENTS` (bool), ``n_elements`` (0–4) and
        ``all_four``. Contains the pseudonym ``client_id``: analysis data, not for reports.

    Examples
    --------
    >>> clients = pd.DataFrame({"client_id": ["a", "b"], "municipality": ["092", "092"],
    ...     "start_date": pd.to_datetime(["2017-01-01", "2017-03-01"]),
    ...     "end_date": pd.to_datetime(["2017-03-01", None])})
    >>> contacts = pd.DataFrame({"client_id": ["a"] * 5, "municipality": ["092"] * 5,
    ...     "date": pd.to_datetime(["2017-01-02", "2017-01-09", "2017-01-16", "2017-02-01",
    ...                             "2017-02-15"]),
    ...     "minutes": [60] * 5, "mode": ["individual"] * 4 + ["group"],
    ...     "content": ["needs_assessment"] + ["daily_living_coaching"] * 4})
    >>> goals = pd.DataFrame({"client_id": ["a"], "municipality": ["092"],
    ...     "set_date": pd.to_datetime(["2017-01-09"])})
    >>> ep = client_episodes(clients, contacts, goals)
    >>> ep[["days_in_service", "n_contacts", "hours", "n_elements", "all_four"]]
       days_in_service  n_contacts  hours  n_elements  all_four
    0               59           5    5.0           4      True
    1                0           0    0.0           0     False
    """
    _require(clients, ["start_date", "end_date"], "client_episodes")
    if export_date is None:
        export_date = _export_date((clients, ["start_date", "end_date"]),
                                   (contacts, ["date"]), (goals, ["set_date", "review_date"]))
    export_date = pd.Timestamp(export_date)
    ep = clients.reset_index(drop=True).copy()
    ep["episode"] = np.arange(len(ep))
    if (ep["start_date"] > export_date).any():
        raise ValueError("an episode starts after the export date; pass a later export_date")
    ep["ended"] = ep["end_date"].notna()
    ep["stop_date"] = ep["end_date"].fillna(export_date)
    days = (ep["stop_date"] - ep["start_date"]).dt.days
    if (days < 0).any():
        row = int(np.flatnonzero(days.to_numpy() < 0)[0])
        raise ValueError(f"episode in row {row} ends before it starts; fix the dates first")
    ep["days_in_service"] = days.astype("int64")
    ep["weeks_in_service"] = ep["days_in_service"] / 7
    ep["entry_quarter"] = _quarter(ep["start_date"])
    ep["exit_quarter"] = _quarter(ep["end_date"])
    months = np.maximum(ep["days_in_service"], 1) / _DAYS_PER_MONTH

    if contacts is not None:
        _require(contacts, ["client_id", "municipality", "date", "minutes", "mode", "content"],
                 "client_episodes (contacts)")
        c = _assign_to_episodes(contacts, ep, "date")
        per = c.groupby("episode").agg(n_contacts=("date", "size"), minutes=("minutes", "sum"))
        # groupby-size, not pd.crosstab: crosstab counts with a Python len() per cell.
        by_mode = (c.groupby(["episode", "mode"]).size().unstack(fill_value=0)
                   .reindex(columns=list(_MODES), fill_value=0))
        by_content = (c.groupby(["episode", "content"]).size().unstack(fill_value=0)
                      .reindex(columns=list(_CONTENTS), fill_value=0))
        ep = ep.join(per, on="episode")
        ep["n_contacts"] = ep["n_contacts"].fillna(0).astype("int64")
        ep["hours"] = ep["minutes"].fillna(0).astype(float) / 60
        ep = ep.drop(columns="minutes")
        for mode in _MODES:
            ep[f"n_{mode}"] = ep["episode"].map(by_mode[mode]).fillna(0).astype("int64")
            with np.errstate(invalid="ignore", divide="ignore"):
                ep[f"share_{mode}"] = (ep[f"n_{mode}"] / ep["n_contacts"]).where(ep["n_contacts"] > 0)
        ep["contacts_per_month"] = ep["n_contacts"] / months
        for content in _CONTENTS:
            ep[f"content_{content}"] = ep["episode"].map(by_content[content]).fillna(0).gt(0)

        if goals is not None:
            _require(goals, ["client_id", "municipality", "set_date"], "client_episodes (goals)")
            g = _assign_to_episodes(goals, ep, "set_date")
            ep["n_goals"] = ep["episode"].map(g.groupby("episode").size()).fillna(0).astype("int64")
            ep["needs_assessment"] = ep["content_needs_assessment"]
            ep["plan_with_goals"] = ep["n_goals"] >= max(rule.min_goals, 1)
            ep["intensive_individual_work"] = (
                (ep["n_individual"] >= rule.min_individual_contacts)
                & (ep["n_individual"] / months >= rule.min_individual_per_month)
            )
            ep["group_activity"] = (ep["n_group"] > 0) | ep["content_group_activity"]
            ep["n_elements"] = ep[list(FIDELITY_ELEMENTS)].sum(axis=1).astype("int64")
            ep["all_four"] = ep["n_elements"] == len(FIDELITY_ELEMENTS)
    return ep


def _ensure_episodes(data: pd.DataFrame, export_date) -> pd.DataFrame:
    if {"ended", "days_in_service", "entry_quarter"}.issubset(data.columns):
        return data
    return client_episodes(data, export_date=export_date)


# ---------------------------------------------------------------------------------------------
# Reach, entries, composition
# ---------------------------------------------------------------------------------------------


def reach(
    data: pd.DataFrame,
    subprojects: pd.DataFrame | None = None,
    *,
    by: str | Sequence[str] | None = None,
    min_cell: int = disclosure.MIN_CELL,
    suppress: bool = True,
) -> pd.DataFrame:
    """Client episodes enrolled, against the plan where one exists.

    ``share_of_plan = n_enrolled / planned_clients``; the plan (``subprojects``) is per
    municipality, so it is attached when ``by`` is ``None`` (national: sum of plans of the
    municipalities present) or ``"municipality"``.

    Returns
    -------
    DataFrame
        ``by…, n_enrolled[, planned_clients, share_of_plan]`` with suppression masks.

    Examples
    --------
    >>> c = pd.DataFrame({"municipality": ["092"] * 8 + ["698"] * 6})
    >>> plan = pd.DataFrame({"municipality": ["092", "698"], "planned_clients": [10, 5]})
    >>> reach(c, plan, by="municipality")[["municipality", "n_enrolled", "share_of_plan"]]
      municipality  n_enrolled  share_of_plan
    0          092         8.0            0.8
    1          698         6.0            1.2
    """
    by = _as_list(by)
    _require(data, ["municipality", *by], "reach")
    keys = _group_keys(data, by)
    if by:
        table = keys.groupby(by, sort=True).size().rename("n_enrolled").reset_index()
    else:
        table = pd.DataFrame({"n_enrolled": [len(data)]})
    count_cols = ["n_enrolled"]
    derived: dict[str, list[str]] = {}
    if subprojects is not None and set(by) <= {"municipality"}:
        _require(subprojects, ["municipality", "planned_clients"], "reach (subprojects)")
        plan = subprojects.set_index("municipality")["planned_clients"]
        if by:
            table["planned_clients"] = table["municipality"].map(plan)
        else:
            present = data["municipality"].dropna().unique()
            table["planned_clients"] = plan.reindex(present).sum(min_count=1)
        table["share_of_plan"] = table["n_enrolled"] / table["planned_clients"]
        derived["share_of_plan"] = ["n_enrolled"]
    return _protect(table, count_cols, along={"n_enrolled": by}, derived=derived,
                    min_cell=min_cell, suppress=suppress, keys=by)


def entries(
    data: pd.DataFrame,
    *,
    by: str | Sequence[str] | None = None,
    export_date=None,
    min_cell: int = disclosure.MIN_CELL,
    suppress: bool = True,
) -> pd.DataFrame:
    """New client episodes per calendar quarter (all quarters from the first entry to export).

    Returns
    -------
    DataFrame
        ``by…, quarter ('2017Q1'), quarter_start, n_entries`` (+ mask).

    Examples
    --------
    >>> c = pd.DataFrame({"client_id": list("abcdef"), "municipality": ["092"] * 6,
    ...     "start_date": pd.to_datetime(["2017-01-05", "2017-02-01", "2017-07-01",
    ...                                   "2017-08-01", "2017-09-01", "2017-09-02"]),
    ...     "end_date": pd.NaT})
    >>> entries(c, min_cell=1)[["quarter", "n_entries"]]
      quarter  n_entries
    0  2017Q1        2.0
    1  2017Q2        0.0
    2  2017Q3        4.0
    """
    by = _as_list(by)
    ep = _ensure_episodes(data, export_date)
    keys = _group_keys(ep, by)
    frame = pd.concat([keys, ep[["entry_quarter"]]], axis=1)
    quarters = _quarter_range(ep["start_date"].min(), ep["stop_date"].max())
    counts = frame.groupby([*by, "entry_quarter"]).size()
    groups = counts.index.droplevel(-1).unique() if by else [()]
    full = pd.MultiIndex.from_tuples(
        [(*(g if isinstance(g, tuple) else (g,)), q) for g in groups for q in quarters],
        names=[*by, "entry_quarter"])
    table = counts.reindex(full, fill_value=0).rename("n_entries").reset_index()
    table = table.rename(columns={"entry_quarter": "quarter"})
    table.insert(len(by) + 1, "quarter_start", _quarter_start(table["quarter"]).to_numpy())
    return _protect(table, ["n_entries"], along={"n_entries": ["quarter", *by]},
                    min_cell=min_cell, suppress=suppress, keys=[*by, "quarter", "quarter_start"])


def _shares_table(
    ep: pd.DataFrame,
    column: str,
    by: list[str],
    categories: Sequence[str] | None,
    denominator: str,
    level: float,
) -> pd.DataFrame:
    keys = _group_keys(ep, by)
    frame = pd.concat([keys, ep[[column]]], axis=1).dropna(subset=[column])
    cats = list(categories) if categories is not None else sorted(frame[column].unique())
    counts = pd.crosstab(
        [frame[b] for b in by] if by else pd.Series(0, index=frame.index, name="_all"),
        frame[column]).reindex(columns=cats, fill_value=0)
    counts.columns.name = column
    table = counts.stack().rename("n").reset_index()
    if not by:
        table = table.drop(columns="_all")
    totals = table.groupby(by)["n"].transform("sum") if by else table["n"].sum()
    table[denominator] = totals
    table["share"] = table["n"] / table[denominator]
    table["ci_low"], table["ci_high"] = wilson_ci(table["n"], table[denominator], level)
    return table


def composition(
    data: pd.DataFrame,
    column: str = "target_group",
    *,
    by: str | Sequence[str] | None = None,
    level: float = 0.95,
    min_cell: int = disclosure.MIN_CELL,
    suppress: bool = True,
) -> pd.DataFrame:
    """Share of each category of ``column`` (target group, gender, age group…) with Wilson CIs.

    Episodes with a missing ``column`` are left out of the denominator ``n_group``.

    Examples
    --------
    >>> c = pd.DataFrame({"target_group": ["young_adult"] * 6 + ["released_prisoner"] * 9})
    >>> out = composition(c)
    >>> out.loc[out["n"] > 0, ["target_group", "n", "n_group", "share"]]
            target_group    n  n_group  share
    3  released_prisoner  9.0     15.0    0.6
    5        young_adult  6.0     15.0    0.4
    """
    by = _as_list(by)
    _require(data, [column, *by], "composition")
    if column in by:
        raise ValueError(f"composition: {column!r} cannot be both the column and in by")
    codes = schema.CODE_LABELS.get(column)
    if column == "age_group":
        codes = dict.fromkeys(schema.AGE_GROUP_LABELS)
    table = _shares_table(data, column, by, list(codes) if codes else None, "n_group", level)
    return _protect(table, ["n", "n_group"], along={"n": [column, *by], "n_group": by},
                    derived={c: ["n", "n_group"] for c in ("share", "ci_low", "ci_high")},
                    min_cell=min_cell, suppress=suppress, keys=[*by, column])


# ---------------------------------------------------------------------------------------------
# Retention, exits and time in service
# ---------------------------------------------------------------------------------------------


def exits(
    data: pd.DataFrame,
    *,
    by: str | Sequence[str] | None = None,
    level: float = 0.95,
    min_cell: int = disclosure.MIN_CELL,
    suppress: bool = True,
) -> pd.DataFrame:
    """How ended episodes ended: completion, dropout, moving away, other — with Wilson CIs.

    The denominator ``n_ended`` is the ended episodes with a recorded end reason; ongoing
    episodes are not in it (they are censored in :func:`time_in_service`). Wilson (1927)
    intervals, see :func:`wilson_ci`.

    Returns
    -------
    DataFrame
        ``by…, end_reason, n, n_ended, share, ci_low, ci_high`` (+ masks).

    Examples
    --------
    >>> c = pd.DataFrame({"end_reason": ["completed"] * 8 + ["dropped_out"] * 2 + [None]})
    >>> exits(c)[["end_reason", "n", "share"]]
        end_reason    n  share
    0    completed  NaN    NaN
    1  dropped_out  NaN    NaN
    2        moved  0.0    0.0
    3        other  0.0    0.0
    """
    by = _as_list(by)
    _require(data, ["end_reason", *by], "exits")
    table = _shares_table(data, "end_reason", by, list(schema.END_REASON_LABELS), "n_ended", level)
    return _protect(table, ["n", "n_ended"], along={"n": ["end_reason", *by], "n_ended": by},
                    derived={c: ["n", "n_ended"] for c in ("share", "ci_low", "ci_high")},
                    min_cell=min_cell, suppress=suppress, keys=[*by, "end_reason"])


def time_in_service(
    data: pd.DataFrame,
    *,
    by: str | Sequence[str] | None = None,
    export_date=None,
    level: float = 0.95,
    conf_type: str = "log",
    min_cell: int = disclosure.MIN_CELL,
    suppress: bool = True,
) -> pd.DataFrame:
    """Kaplan–Meier median time in service (days) with its CI, ongoing episodes censored.

    Time = days from start to end; an episode still open at the export date is censored
    there. Any end (completed, dropped out, moved, other) is the event. Median and limits
    follow R ``survfit``/``quantile.survfit`` (see :func:`kaplan_meier`, :func:`km_quantile`):
    ``NaN`` when the curve (or its confidence band) never reaches 0.5 — with R's default
    ``conf.type = "log"`` the upper limit is often not reached.

    R: ``print(survfit(Surv(days, ended) ~ group, data))``.

    Returns
    -------
    DataFrame
        ``by…, n, n_ended, n_censored, median_days, median_ci_low, median_ci_high``
        (+ masks; the median is hidden with ``n``).

    Examples
    --------
    >>> c = pd.DataFrame({"start_date": pd.to_datetime(["2017-01-01"] * 6),
    ...     "end_date": pd.to_datetime(["2017-01-11", "2017-01-21", "2017-01-31",
    ...                                 "2017-02-10", "2017-02-20", None]),
    ...     "client_id": list("abcdef"), "municipality": ["092"] * 6})
    >>> time_in_service(c, export_date="2017-03-02", min_cell=1)[["n", "median_days"]]
         n  median_days
    0  6.0         35.0

    The curve is exactly 0.5 from day 30 to day 40, so the median is their midpoint (as R).
    """
    by = _as_list(by)
    ep = _ensure_episodes(data, export_date)
    km = kaplan_meier(ep, "days_in_service", "ended", by=by, level=level, conf_type=conf_type)
    keys = _group_keys(ep, by)
    frame = pd.concat([keys, ep[["ended"]]], axis=1)
    if by:
        table = frame.groupby(by).agg(n=("ended", "size"), n_ended=("ended", "sum")).reset_index()
        medians = km.groupby(by, sort=False).apply(
            lambda g: pd.Series(km_quantile(g), index=["median_days", "median_ci_low", "median_ci_high"]),
            include_groups=False).reset_index()
        table = table.merge(medians, on=by, how="left")
    else:
        table = pd.DataFrame({"n": [len(ep)], "n_ended": [int(ep["ended"].sum())]})
        table[["median_days", "median_ci_low", "median_ci_high"]] = [km_quantile(km)]
    table["n_ended"] = table["n_ended"].astype("int64")
    table.insert(len(by) + 2, "n_censored", table["n"] - table["n_ended"])
    derived = {c: ["n"] for c in ("median_days", "median_ci_low", "median_ci_high")}
    return _protect(table, ["n", "n_ended", "n_censored"],
                    along={"n": by, "n_ended": by, "n_censored": by},
                    complements={"n_ended": "n", "n_censored": "n"}, derived=derived,
                    min_cell=min_cell, suppress=suppress, keys=by)


# ---------------------------------------------------------------------------------------------
# Dose and fidelity
# ---------------------------------------------------------------------------------------------


def dose(
    data: pd.DataFrame,
    *,
    by: str | Sequence[str] | None = None,
    measures: Sequence[str] = DOSE_MEASURES,
    min_cell: int = disclosure.MIN_CELL,
    suppress: bool = True,
) -> pd.DataFrame:
    """Distribution of dose per episode: contacts, hours, weeks, contacts per month, mode mix.

    ``data`` is :func:`client_episodes` output with contacts. Shares of modes are per episode
    among episodes with at least one contact. Weeks and rates run to the end date or, for
    ongoing episodes, the export date.

    Returns
    -------
    DataFrame
        ``by…, measure, n, mean, sd, q1, median, q3`` (quartiles: linear interpolation, R
        ``quantile(type = 7)``); statistics are hidden where ``n`` is.

    Examples
    --------
    >>> ep = pd.DataFrame({"n_contacts": [2, 4, 6, 8, 10], "hours": [1.0, 2, 3, 4, 5]})
    >>> dose(ep, measures=["n_contacts", "hours"])[["measure", "n", "mean", "median"]]
          measure    n  mean  median
    0  n_contacts  5.0   6.0     6.0
    1       hours  5.0   3.0     3.0
    """
    by = _as_list(by)
    measures = list(measures)
    _require(data, [*measures, *by], "dose", "build data with client_episodes(clients, contacts)")
    keys = _group_keys(data, by)
    long = pd.concat([keys, data[measures].astype(float)], axis=1).melt(
        id_vars=by, value_vars=measures, var_name="measure").dropna(subset=["value"])
    grouped = long.groupby([*by, "measure"], sort=False)["value"]
    table = grouped.agg(n="size", mean="mean", sd="std").join(
        grouped.quantile([0.25, 0.5, 0.75]).unstack().set_axis(["q1", "median", "q3"], axis=1)
    ).reset_index()
    table["measure"] = pd.Categorical(table["measure"], categories=measures)
    table = table.sort_values([*by, "measure"]).reset_index(drop=True)
    table["measure"] = table["measure"].astype(str)
    stats_cols = ["mean", "sd", "q1", "median", "q3"]
    return _protect(table, ["n"], along={"n": by}, derived=dict.fromkeys(stats_cols, ["n"]),
                    min_cell=min_cell, suppress=suppress, keys=[*by, "measure"])


def _binary_shares(
    data: pd.DataFrame,
    columns: Sequence[str],
    name: str,
    by: list[str],
    level: float,
    min_cell: int,
    suppress: bool,
) -> pd.DataFrame:
    keys = _group_keys(data, by)
    flags = data[list(columns)].astype(bool)
    long = pd.concat([keys, flags], axis=1).melt(id_vars=by, value_vars=list(columns),
                                                 var_name=name, value_name="has")
    table = (long.groupby([*by, name], sort=False)["has"]
             .agg(n="size", n_with="sum").reset_index())
    table[name] = pd.Categorical(table[name], categories=list(columns))
    table = table.sort_values([*by, name]).reset_index(drop=True)
    table[name] = table[name].astype(str)
    table["n_with"] = table["n_with"].astype("int64")
    table["share"] = table["n_with"] / table["n"]
    table["ci_low"], table["ci_high"] = wilson_ci(table["n_with"], table["n"], level)
    # Elements overlap (one client can have several): only the groups are additive.
    return _protect(table, ["n", "n_with"], along={"n": by, "n_with": by},
                    complements={"n_with": "n"},
                    derived={c: ["n", "n_with"] for c in ("share", "ci_low", "ci_high")},
                    min_cell=min_cell, suppress=suppress, keys=[*by, name])


def fidelity(
    data: pd.DataFrame,
    *,
    by: str | Sequence[str] | None = None,
    level: float = 0.95,
    min_cell: int = disclosure.MIN_CELL,
    suppress: bool = True,
) -> pd.DataFrame:
    """Share of episodes that received each of THL's four core elements, and all four.

    ``data`` is :func:`client_episodes` output with contacts and goals (element definitions
    in :class:`FidelityRule`). Wilson (1927) intervals. A count is also hidden when fewer
    than ``min_cell`` episodes *lack* the element (the complement is implied by ``n``).

    Returns
    -------
    DataFrame
        ``by…, element, n, n_with, share, ci_low, ci_high`` (+ masks); ``element`` is one of
        :data:`FIDELITY_ELEMENTS` or ``"all_four"``.

    Examples
    --------
    >>> ep = pd.DataFrame({e: [True] * 10 + [False] * 10 for e in FIDELITY_ELEMENTS})
    >>> ep["all_four"] = True
    >>> fidelity(ep)[["element", "n", "n_with", "share"]].head(2)
                element     n  n_with  share
    0  needs_assessment  20.0    10.0    0.5
    1   plan_with_goals  20.0    10.0    0.5
    """
    by = _as_list(by)
    columns = [*FIDELITY_ELEMENTS, "all_four"]
    _require(data, [*columns, *by], "fidelity",
             "build data with client_episodes(clients, contacts, goals)")
    return _binary_shares(data, columns, "element", by, level, min_cell, suppress)


def contents_received(
    data: pd.DataFrame,
    *,
    by: str | Sequence[str] | None = None,
    level: float = 0.95,
    min_cell: int = disclosure.MIN_CELL,
    suppress: bool = True,
) -> pd.DataFrame:
    """Share of episodes that received each §17 content at least once (Wilson CIs).

    Returns
    -------
    DataFrame
        ``by…, content, n, n_with, share, ci_low, ci_high`` (+ masks).
    """
    by = _as_list(by)
    columns = [f"content_{c}" for c in _CONTENTS]
    _require(data, [*columns, *by], "contents_received",
             "build data with client_episodes(clients, contacts)")
    table = _binary_shares(data, columns, "content", by, level, min_cell, suppress)
    table["content"] = table["content"].str.removeprefix("content_")
    return table


def fidelity_index(
    data: pd.DataFrame,
    *,
    by: str | Sequence[str] | None = None,
    level: float = 0.95,
    min_cell: int = disclosure.MIN_CELL,
    suppress: bool = True,
) -> pd.DataFrame:
    """Fidelity index: mean number of core elements received / 4, with a t-based CI.

    ``index = mean(n_elements) / 4``, CI ``index ± t_{n−1} · sd(n_elements / 4) / √n``
    (clipped to [0, 1]). R: ``t.test(n_elements / 4)$conf.int``.

    Examples
    --------
    >>> ep = pd.DataFrame({"n_elements": [4, 3, 2, 4, 1, 0, 4, 2]})
    >>> fidelity_index(ep)[["n", "index"]]
         n  index
    0  8.0  0.625
    """
    by = _as_list(by)
    _require(data, ["n_elements", *by], "fidelity_index",
             "build data with client_episodes(clients, contacts, goals)")
    keys = _group_keys(data, by)
    frame = pd.concat([keys, (data["n_elements"] / len(FIDELITY_ELEMENTS)).rename("x")], axis=1)
    if by:
        rows = frame.groupby(by)["x"].apply(lambda s: pd.Series(mean_ci(s, level),
                                                               index=["index", "ci_low", "ci_high", "n"]))
        table = rows.unstack().reset_index()
    else:
        table = pd.DataFrame([mean_ci(frame["x"], level)], columns=["index", "ci_low", "ci_high", "n"])
    table["n"] = table["n"].astype("int64")
    table[["ci_low", "ci_high"]] = table[["ci_low", "ci_high"]].clip(0, 1)
    table = table[[*by, "n", "index", "ci_low", "ci_high"]]
    return _protect(table, ["n"], along={"n": by},
                    derived=dict.fromkeys(["index", "ci_low", "ci_high"], ["n"]),
                    min_cell=min_cell, suppress=suppress, keys=by)


# ---------------------------------------------------------------------------------------------
# Quality criteria
# ---------------------------------------------------------------------------------------------


def quality_profile(quality: pd.DataFrame, lang: str = "en") -> pd.DataFrame:
    """The ten-criterion quality self-assessment per municipality and year, labelled.

    Ratings are 1–4 (:data:`soskulib.schema.QUALITY_RATING_LABELS`); ``change`` is the rating
    minus the same criterion's rating in the municipality's previous assessment year.
    Not counts of people: no suppression.

    Returns
    -------
    DataFrame
        ``municipality, year, criterion, criterion_label, rating, rating_label, change``.

    Examples
    --------
    >>> q = pd.DataFrame({"municipality": ["092"] * 2, "year": [2016, 2017],
    ...                   "criterion": [1, 1], "rating": [2, 4]})
    >>> quality_profile(q)[["year", "criterion_label", "rating", "change"]]
       year    criterion_label  rating  change
    0  2016  Needs assessment       2     NaN
    1  2017  Needs assessment       4     2.0
    """
    _require(quality, ["municipality", "year", "criterion", "rating"], "quality_profile")
    if lang not in ("fi", "en"):
        raise ValueError("lang must be 'fi' or 'en'")
    criteria = schema.quality_criteria().set_index("criterion")[f"short_{lang}"]
    out = quality.sort_values(["municipality", "criterion", "year"]).reset_index(drop=True)
    out["change"] = out.groupby(["municipality", "criterion"])["rating"].diff()
    out = out.sort_values(["municipality", "year", "criterion"]).reset_index(drop=True)
    out["criterion_label"] = out["criterion"].map(criteria)
    rating_labels = {k: (v[0] if lang == "fi" else v[1]) for k, v in schema.QUALITY_RATING_LABELS.items()}
    out["rating_label"] = out["rating"].map(rating_labels)
    return out[["municipality", "year", "criterion", "criterion_label", "rating", "rating_label", "change"]]


def quality_change(
    quality: pd.DataFrame, *, from_year: int | None = None, to_year: int | None = None,
    lang: str = "en",
) -> pd.DataFrame:
    """Change in each criterion's rating between two assessment years per municipality.

    Defaults: each municipality's first and last year.

    Returns
    -------
    DataFrame
        ``municipality, criterion, criterion_label, from_year, to_year, rating_from,
        rating_to, change``.

    Examples
    --------
    >>> q = pd.DataFrame({"municipality": ["092"] * 3, "year": [2016, 2017, 2018],
    ...                   "criterion": [4, 4, 4], "rating": [1, 2, 4]})
    >>> quality_change(q)[["from_year", "to_year", "change"]]
       from_year  to_year  change
    0       2016     2018       3
    """
    prof = quality_profile(quality, lang)
    years = prof.groupby("municipality")["year"]
    prof["_from"] = from_year if from_year is not None else years.transform("min")
    prof["_to"] = to_year if to_year is not None else years.transform("max")
    first = prof.loc[prof["year"] == prof["_from"]]
    last = prof.loc[prof["year"] == prof["_to"]]
    keys = ["municipality", "criterion", "criterion_label"]
    out = first[[*keys, "year", "rating"]].merge(
        last[["municipality", "criterion", "year", "rating"]], on=["municipality", "criterion"],
        suffixes=("_from", "_to"))
    out = out.rename(columns={"year_from": "from_year", "year_to": "to_year"})
    out["change"] = out["rating_to"] - out["rating_from"]
    return out[[*keys, "from_year", "to_year", "rating_from", "rating_to", "change"]] \
        .sort_values(["municipality", "criterion"]).reset_index(drop=True)


# ---------------------------------------------------------------------------------------------
# Co-development, pathways, trends
# ---------------------------------------------------------------------------------------------


def codevelopment(
    activities: pd.DataFrame,
    *,
    by: str | Sequence[str] | None = None,
) -> pd.DataFrame:
    """Development events per quarter by type, participants by role, lived-experience share.

    ``share_lived_experience = (n_clients + n_experts_by_experience) / n_participants``.
    The development-activity log is not personal data (``schema.ACTIVITIES.personal`` is
    ``False``: aggregate head counts at workshops, no identifiers), so it is not suppressed.

    Returns
    -------
    DataFrame
        ``by…, quarter, quarter_start, activity_type, n_events, n_<role>…, n_participants,
        share_lived_experience``; every quarter from the first to the last event, every type.

    Examples
    --------
    >>> a = pd.DataFrame({"municipality": ["092"] * 2,
    ...     "date": pd.to_datetime(["2017-02-01", "2017-02-20"]),
    ...     "activity_type": ["workshop"] * 2, "theme": ["x", "y"],
    ...     "n_managers": [1, 0], "n_workers": [4, 3], "n_clients": [3, 2],
    ...     "n_experts_by_experience": [1, 1], "n_third_sector": [1, 0]})
    >>> out = codevelopment(a)
    >>> out.loc[out["activity_type"] == "workshop",
    ...         ["quarter", "n_events", "n_participants", "share_lived_experience"]]
      quarter  n_events  n_participants  share_lived_experience
    0  2017Q1         2              16                  0.4375
    """
    by = _as_list(by)
    roles = list(schema.ACTIVITY_ROLES)
    _require(activities, ["date", "activity_type", *roles, *by], "codevelopment")
    keys = _group_keys(activities, by)
    frame = pd.concat([keys, activities[["activity_type", *roles]]], axis=1)
    frame["quarter"] = _quarter(activities["date"])
    agg = frame.groupby([*by, "quarter", "activity_type"]).agg(
        n_events=("activity_type", "size"), **{r: (r, "sum") for r in roles})
    quarters = _quarter_range(activities["date"].min(), activities["date"].max())
    types = list(schema.ACTIVITY_TYPE_LABELS)
    groups = agg.index.droplevel([-2, -1]).unique() if by else [()]
    full = pd.MultiIndex.from_tuples(
        [(*(g if isinstance(g, tuple) else (g,)), q, t) for g in groups for q in quarters for t in types],
        names=[*by, "quarter", "activity_type"])
    table = agg.reindex(full, fill_value=0).reset_index()
    table["n_participants"] = table[roles].sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        table["share_lived_experience"] = (
            (table["n_clients"] + table["n_experts_by_experience"]) / table["n_participants"]
        ).where(table["n_participants"] > 0)
    table.insert(len(by) + 1, "quarter_start", _quarter_start(table["quarter"]).to_numpy())
    return table


def pathways(
    data: pd.DataFrame,
    *,
    from_col: str = "target_group",
    by: str | Sequence[str] | None = None,
    level: float = 0.95,
    min_cell: int = disclosure.MIN_CELL,
    suppress: bool = True,
) -> pd.DataFrame:
    """Onward pathways (jatkopolut): transition table ``from_col`` → pathway with shares.

    Ended episodes with a recorded pathway; ``share`` is the row share (of the episodes
    starting from the same ``from_col`` value), with Wilson CIs.

    Returns
    -------
    DataFrame
        ``by…, <from_col>, pathway, n, n_from, share, ci_low, ci_high`` (+ masks).

    Examples
    --------
    >>> c = pd.DataFrame({"target_group": ["young_adult"] * 10,
    ...                   "pathway": ["education"] * 6 + ["work"] * 4})
    >>> out = pathways(c, min_cell=1)
    >>> out.loc[out["n"] > 0, ["pathway", "n", "share"]]
         pathway    n  share
    0       work  4.0    0.4
    1  education  6.0    0.6
    """
    by = _as_list(by)
    _require(data, [from_col, "pathway", *by], "pathways")
    if from_col in by or "pathway" in by:
        raise ValueError(f"pathways: by must not contain {from_col!r} or 'pathway'")
    frame = data.dropna(subset=[from_col, "pathway"])
    from_codes = schema.CODE_LABELS.get(from_col)
    if from_col == "age_group":
        from_codes = dict.fromkeys(schema.AGE_GROUP_LABELS)
    from_values = [v for v in (from_codes or sorted(frame[from_col].unique()))
                   if v in set(frame[from_col])]
    # A complete grid (every group × every starting point × every pathway, zeros included):
    # a regular table lets secondary suppression use zero cells and exposes no ragged edges.
    keys = _group_keys(frame, by)
    counts = pd.concat([keys, frame[[from_col, "pathway"]]], axis=1).groupby(
        [*by, from_col, "pathway"]).size()
    groups = (keys.drop_duplicates().sort_values(by).apply(tuple, axis=1).tolist()
              if by else [()])
    full = pd.MultiIndex.from_tuples(
        [(*g, f, p) for g in groups for f in from_values for p in schema.PATHWAY_LABELS],
        names=[*by, from_col, "pathway"])
    table = counts.reindex(full, fill_value=0).rename("n").reset_index()
    table["n_from"] = table.groupby([*by, from_col], sort=False)["n"].transform("sum")
    with np.errstate(invalid="ignore", divide="ignore"):
        table["share"] = (table["n"] / table["n_from"]).where(table["n_from"] > 0)
    table["ci_low"], table["ci_high"] = wilson_ci(table["n"], table["n_from"], level)
    return _protect(table, ["n", "n_from"],
                    along={"n": ["pathway", from_col, *by], "n_from": [from_col, *by]},
                    derived={c: ["n", "n_from"] for c in ("share", "ci_low", "ci_high")},
                    min_cell=min_cell, suppress=suppress, keys=[*by, from_col, "pathway"])


def _exit_series(ep: pd.DataFrame, by: list[str], quarters: list[str]) -> pd.DataFrame:
    ended = ep.loc[ep["ended"]]
    keys = _group_keys(ended, by)
    frame = pd.concat([keys, ended[["exit_quarter"]],
                       (ended["end_reason"] == "dropped_out").rename("dropped")], axis=1)
    agg = frame.groupby([*by, "exit_quarter"]).agg(n_exits=("dropped", "size"),
                                                  n_dropped_out=("dropped", "sum"))
    agg.index = agg.index.set_names([*by, "quarter"])
    if by:
        groups = _group_keys(ep, by).drop_duplicates().apply(tuple, axis=1).tolist()
        full = pd.MultiIndex.from_tuples([(*g, q) for g in sorted(groups) for q in quarters],
                                         names=[*by, "quarter"])
    else:
        full = pd.Index(quarters, name="quarter")
    table = agg.reindex(full, fill_value=0).reset_index()
    table[["n_exits", "n_dropped_out"]] = table[["n_exits", "n_dropped_out"]].astype("int64")
    return table


def dropout_chart(
    data: pd.DataFrame,
    *,
    by: str | Sequence[str] | None = None,
    export_date=None,
    baseline: int | None = None,
    phase_start: str | None = None,
    shift: int = 6,
    trend: int = 5,
    min_cell: int = disclosure.MIN_CELL,
    suppress: bool = True,
) -> pd.DataFrame:
    """Quarterly dropout share with p-chart limits and run-chart signals, per group.

    For each quarter: ``n_exits`` ended episodes, ``n_dropped_out`` of them dropouts,
    ``p = n_dropped_out / n_exits``. p-chart (Montgomery 2019, §7.2): centre
    ``p̄ = Σ dropouts / Σ exits`` (over the first ``baseline`` quarters with exits of each
    phase when given), limits ``p̄ ± 3 √(p̄(1 − p̄)/n_i)``. Run-chart rules (Perla et al. 2011)
    around the median of ``p``: shift, trend, astronomical point; plus the Shewhart rule
    (point outside the 3σ limits). ``phase_start`` (e.g. ``"2017Q2"``, the quarter a change
    was introduced) splits the series into phases with their own centre lines.

    Signals are computed from the unsuppressed series; the published counts and ``p`` are
    suppressed as usual (a suppressed point is drawn as a gap).

    Returns
    -------
    DataFrame
        ``by…, quarter, quarter_start, phase, n_exits, n_dropped_out, p, centre, lcl, ucl,
        median, outside_limits, shift, trend, astronomical, signal, reasons, runs,
        runs_lower, runs_upper, too_few_runs, too_many_runs`` (+ masks).

    Examples
    --------
    >>> c = pd.DataFrame({"start_date": pd.to_datetime(["2016-01-01"] * 40),
    ...     "end_date": pd.to_datetime(["2016-03-01"] * 20 + ["2016-06-01"] * 20),
    ...     "end_reason": ["dropped_out"] * 10 + ["completed"] * 28 + ["dropped_out"] * 2})
    >>> out = dropout_chart(c, min_cell=1)
    >>> out[["quarter", "n_exits", "p", "centre"]]
      quarter  n_exits    p  centre
    0  2016Q1     20.0  0.5     0.3
    1  2016Q2     20.0  0.1     0.3
    """
    by = _as_list(by)
    _require(data, ["end_reason", *by], "dropout_chart")
    ep = _ensure_episodes(data, export_date)
    quarters = _quarter_range(ep["start_date"].min(), ep["stop_date"].max())
    table = _exit_series(ep, by, quarters)
    table["phase"] = "all" if phase_start is None else np.where(
        pd.PeriodIndex(table["quarter"], freq="Q") < pd.Period(phase_start, freq="Q"), "before", "after")
    parts = []
    for _, part in (table.groupby(by, sort=False) if by else [((), table)]):
        part = part.reset_index(drop=True)
        chart = spc.p_chart(part["n_dropped_out"], part["n_exits"], phase=part["phase"],
                            baseline=baseline)
        part[["p", "centre", "lcl", "ucl", "outside_limits"]] = chart[
            ["p", "centre", "lcl", "ucl", "outside_limits"]].to_numpy()
        run_parts = []
        for _, phase_rows in part.groupby("phase", sort=False):
            rc = spc.run_chart(phase_rows["p"], baseline=baseline, shift=shift, trend=trend)
            pts = rc.points.set_index(phase_rows.index)
            pts = pts.rename(columns={"centre": "median"})[["median", "shift", "trend", "astronomical"]]
            for k, v in rc.summary().items():
                if k in ("runs", "runs_lower", "runs_upper", "too_few_runs", "too_many_runs"):
                    pts[k] = v
            run_parts.append(pts)
        part = part.join(pd.concat(run_parts))
        parts.append(part)
    table = pd.concat(parts, ignore_index=True)
    for col in ("outside_limits", "shift", "trend", "astronomical", "too_few_runs", "too_many_runs"):
        table[col] = table[col].astype(bool)
    for col in ("p", "centre", "lcl", "ucl"):
        table[col] = table[col].astype(float)
    table["signal"] = table[["outside_limits", "shift", "trend", "astronomical"]].any(axis=1)
    table["reasons"] = spc._reasons(table)
    table.insert(len(by) + 1, "quarter_start", _quarter_start(table["quarter"]).to_numpy())
    if phase_start is None:
        table = table.drop(columns="phase")
    key_cols = [*by, "quarter", "quarter_start"] + ([] if phase_start is None else ["phase"])
    return _protect(table, ["n_exits", "n_dropped_out"],
                    along={"n_exits": ["quarter", *by], "n_dropped_out": ["quarter", *by]},
                    complements={"n_dropped_out": "n_exits"},
                    derived={"p": ["n_exits", "n_dropped_out"], "lcl": ["n_exits"],
                             "ucl": ["n_exits"]},
                    min_cell=min_cell, suppress=suppress, keys=key_cols)


def quarterly_frame(
    data: pd.DataFrame,
    activities: pd.DataFrame | None = None,
    changes: pd.DataFrame | None = None,
    *,
    by: str | None = None,
    export_date=None,
    min_cell: int = disclosure.MIN_CELL,
    suppress: bool = True,
) -> pd.DataFrame:
    """One row per quarter joining co-development events with the outcome series.

    Entries, exits, dropouts and dropout share (by quarter of entry/exit), development events
    by type and participants (by quarter of the event), and the mean change score with its
    count (by quarter of the follow-up measurement, ``changes["date"]``) — the frame to look
    at "did dropout fall after the experiment?". ``by`` may be ``None`` (national) or
    ``"municipality"`` (the activity log is per municipality).

    Returns
    -------
    DataFrame
        ``[municipality,] quarter, quarter_start, n_entries, n_exits, n_dropped_out,
        dropout_share, n_events, n_<activity type>…, n_participants,
        share_lived_experience[, n_change, mean_change]`` (+ masks).
    """
    if by not in (None, "municipality"):
        raise ValueError("quarterly_frame can be split by 'municipality' only (the activity "
                         "log has no client attributes)")
    by_l = _as_list(by)
    ep = _ensure_episodes(data, export_date)
    first = min(d for d in [ep["start_date"].min(),
                            activities["date"].min() if activities is not None else None]
                if d is not None and pd.notna(d))
    quarters = _quarter_range(first, ep["stop_date"].max())
    keys = _group_keys(ep, by_l)
    counts = pd.concat([keys, ep[["entry_quarter"]]], axis=1).groupby(
        [*by_l, "entry_quarter"]).size().rename("n_entries")
    counts.index = counts.index.set_names([*by_l, "quarter"])
    table = _exit_series(ep, by_l, quarters)
    table = table.merge(counts.reset_index(), on=[*by_l, "quarter"], how="left")
    table["n_entries"] = table["n_entries"].fillna(0).astype("int64")
    with np.errstate(invalid="ignore", divide="ignore"):
        table["dropout_share"] = (table["n_dropped_out"] / table["n_exits"]).where(table["n_exits"] > 0)
    if activities is not None:
        cod = codevelopment(activities, by=by_l)
        wide = cod.pivot_table(index=[*by_l, "quarter"], columns="activity_type",
                               values="n_events", aggfunc="sum").add_prefix("n_")
        totals = cod.groupby([*by_l, "quarter"]).agg(
            n_events=("n_events", "sum"), n_participants=("n_participants", "sum"),
            _lived=("n_clients", "sum"), _experts=("n_experts_by_experience", "sum"))
        totals["share_lived_experience"] = ((totals["_lived"] + totals["_experts"])
                                            / totals["n_participants"].where(totals["n_participants"] > 0))
        act = totals.drop(columns=["_lived", "_experts"]).join(wide).reset_index()
        table = table.merge(act, on=[*by_l, "quarter"], how="left")
        event_cols = [c for c in act.columns if c.startswith("n_")]
        table[event_cols] = table[event_cols].fillna(0).astype("int64")
    count_cols = ["n_entries", "n_exits", "n_dropped_out"]
    derived = {"dropout_share": ["n_exits", "n_dropped_out"]}
    if changes is not None:
        _require(changes, ["client_id", "date", "change"], "quarterly_frame (changes)")
        ch = changes.dropna(subset=["change", "date"])
        ch = ch.assign(quarter=_quarter(ch["date"]))
        if by_l:
            ch = ch.assign(municipality=ch["municipality"]) if "municipality" in ch.columns else \
                ch.merge(ep[["client_id", "municipality"]].drop_duplicates("client_id"), on="client_id")
        agg = ch.groupby([*by_l, "quarter"])["change"].agg(n_change="size", mean_change="mean")
        table = table.merge(agg.reset_index(), on=[*by_l, "quarter"], how="left")
        table["n_change"] = table["n_change"].fillna(0).astype("int64")
        count_cols.append("n_change")
        derived["mean_change"] = ["n_change"]
    table.insert(len(by_l) + 1, "quarter_start", _quarter_start(table["quarter"]).to_numpy())
    keys_cols = [*by_l, "quarter", "quarter_start"]
    along = {c: ["quarter", *by_l] for c in count_cols}
    return _protect(table, count_cols, along=along, derived=derived,
                    complements={"n_dropped_out": "n_exits"},
                    min_cell=min_cell, suppress=suppress, keys=keys_cols)


# ---------------------------------------------------------------------------------------------
# Mechanisms: association of dose and fidelity with change
# ---------------------------------------------------------------------------------------------


def change_scores(
    responses: Mapping[str, pd.DataFrame],
    *,
    scales: Mapping[str, str] | None = None,
    pre: str = "baseline",
    post: str = "end",
) -> pd.DataFrame:
    """Per-client change on each instrument's headline scale, oriented so positive = better.

    Scores with :func:`soskulib.scoring.score`; ``change = post − pre`` (× −1 where lower is
    better, e.g. WHODAS). Clients without both occasions are left out.

    Parameters
    ----------
    responses : mapping
        ``{instrument id: processed responses_<id> table}``.
    scales : mapping, optional
        ``{instrument id: scale}``; default the instrument's ``headline``.
    pre, post : str
        Occasions to compare.

    Returns
    -------
    DataFrame
        ``client_id, municipality, instrument, scale, baseline, followup, date, change``
        (``date`` = date of the ``post`` assessment).
    """
    from soskulib import instruments, scoring

    parts = []
    for inst_id, table in responses.items():
        inst = instruments.get(inst_id)
        scale = (scales or {}).get(inst_id, inst.headline)
        if scale not in inst.scales:
            raise KeyError(f"{inst.name} has no scale {scale!r}; scales are {', '.join(inst.scales)}")
        _require(table, ["client_id", "municipality", "occasion", "date"], f"change_scores ({inst_id})")
        scored = scoring.score(table, inst)[scale]
        frame = table[["client_id", "municipality", "occasion", "date"]].assign(score=scored.to_numpy())
        wide = frame.loc[frame["occasion"].isin([pre, post])].pivot_table(
            index=["client_id", "municipality"], columns="occasion", values=["score", "date"],
            aggfunc="first")
        if ("score", pre) not in wide.columns or ("score", post) not in wide.columns:
            continue
        out = pd.DataFrame({
            "baseline": wide[("score", pre)], "followup": wide[("score", post)],
            "date": wide[("date", post)]}).dropna(subset=["baseline", "followup"]).reset_index()
        sign = 1.0 if inst.scales[scale].higher_is_better else -1.0
        out["change"] = sign * (out["followup"] - out["baseline"])
        out.insert(2, "instrument", inst.id)
        out.insert(3, "scale", scale)
        parts.append(out)
    columns = ["client_id", "municipality", "instrument", "scale", "baseline", "followup", "date", "change"]
    return pd.concat(parts, ignore_index=True)[columns] if parts else pd.DataFrame(columns=columns)


def mechanisms(
    data: pd.DataFrame,
    changes: pd.DataFrame,
    *,
    predictors: Sequence[str] = (*FIDELITY_ELEMENTS, "log_hours"),
    adjust_baseline: bool = True,
    fixed_effects: str | None = None,
    cov_type: str = "nonrobust",
    level: float = 0.95,
    min_n: int = 20,
) -> pd.DataFrame:
    """Association of fidelity and dose with change, per instrument (OLS with CIs).

    For each instrument: ``change ~ needs_assessment + plan_with_goals +
    intensive_individual_work + group_activity + log_hours [+ baseline]
    [+ C(fixed_effects)]`` with ``log_hours = log(1 + hours)`` and the elements as 0/1.
    Adjusting for the baseline score guards against regression to the mean. These are
    **associations** in observational data — clients who get more (or get it sooner) differ
    from those who do not — not effects of the elements.

    R: ``lm(change ~ needs_assessment + plan_with_goals + intensive_individual_work +
    group_activity + log1p(hours) + baseline, data)`` and ``confint()``; with
    ``cov_type="HC3"``, ``lmtest::coeftest(fit, sandwich::vcovHC(fit, "HC3"))``.

    Parameters
    ----------
    data : DataFrame
        :func:`client_episodes` output with contacts and goals.
    changes : DataFrame
        ``client_id, municipality, instrument, change[, baseline]`` (:func:`change_scores`).
    predictors : sequence of str
        Episode columns (``"log_hours"`` is derived from ``hours``).
    adjust_baseline : bool, default True
        Add the baseline score as a covariate (needs ``changes["baseline"]``).
    fixed_effects : str, optional
        A column (e.g. ``"municipality"``) entered as fixed effects, so associations are
        within groups.
    cov_type : str, default "nonrobust"
        statsmodels covariance type (``"HC3"`` for heteroskedasticity-robust).
    level : float, default 0.95
    min_n : int, default 20
        Instruments with fewer complete cases are skipped.

    Returns
    -------
    DataFrame
        ``instrument, term, estimate, se, ci_low, ci_high, p_value, n`` (fixed-effect dummies
        and the intercept left out).
    """
    import statsmodels.api as sm

    _require(changes, ["client_id", "municipality", "instrument", "change"], "mechanisms")
    ep = data.copy()
    if "log_hours" in predictors and "log_hours" not in ep.columns:
        _require(ep, ["hours"], "mechanisms", "build data with client_episodes(clients, contacts)")
        ep["log_hours"] = np.log1p(ep["hours"])
    base_preds = list(predictors)
    _require(ep, ["client_id", "municipality", *base_preds], "mechanisms",
             "build data with client_episodes(clients, contacts, goals)")
    ep = ep.drop_duplicates(["client_id", "municipality"], keep="first")
    fe_cols = [fixed_effects] if fixed_effects else []
    if fixed_effects and fixed_effects != "municipality":
        _require(ep, [fixed_effects], "mechanisms")
    cols = ["client_id", "municipality", *base_preds, *[c for c in fe_cols if c != "municipality"]]
    merged = changes.merge(ep[cols], on=["client_id", "municipality"], how="inner")
    rows = []
    for inst, part in merged.groupby("instrument", sort=True):
        terms = list(base_preds)
        if adjust_baseline:
            _require(part, ["baseline"], "mechanisms", "pass adjust_baseline=False without baseline")
            terms.append("baseline")
        part = part.dropna(subset=[*terms, "change", *fe_cols])
        if len(part) < min_n:
            continue
        design = part[terms].astype(float)
        if fixed_effects:
            design = design.join(pd.get_dummies(part[fixed_effects].astype(str), prefix="fe",
                                                drop_first=True, dtype=float))
        design = sm.add_constant(design, has_constant="add")
        fit = sm.OLS(part["change"].astype(float), design).fit(cov_type=cov_type)
        ci = fit.conf_int(alpha=1 - level)
        for term in terms:
            rows.append({"instrument": inst, "term": term, "estimate": fit.params[term],
                         "se": fit.bse[term], "ci_low": ci.loc[term, 0], "ci_high": ci.loc[term, 1],
                         "p_value": fit.pvalues[term], "n": int(fit.nobs)})
    return pd.DataFrame(rows, columns=["instrument", "term", "estimate", "se", "ci_low", "ci_high",
                                       "p_value", "n"])


# ---------------------------------------------------------------------------------------------
# Outcomes per instrument (municipality reports) and their synthesis (national report)
# ---------------------------------------------------------------------------------------------

#: Norm groups used for Jacobson–Truax clinical significance: ``{instrument: (scale,
#: dysfunctional norm group, functional norm group)}`` from the instrument specs. Only
#: WHODAS-12 has published norms for both populations (Andrews et al. 2009: mental disorder vs
#: no disorder); ESIS (THL advises group-level use only), 3X10D and EQ-5D VAS have none.
CLINICAL_NORMS: dict[str, tuple[str, str, str]] = {"whodas12": ("total", "mental", "no_disorder")}


def _client_attributes(clients: pd.DataFrame | None, columns: Sequence[str]) -> pd.DataFrame | None:
    """First episode's attributes per (client, municipality): outcome rows are per client."""
    if not columns:
        return None
    if clients is None:
        raise ValueError(f"grouping by {list(columns)} needs the clients table (clients=...)")
    _require(clients, ["client_id", "municipality", *columns], "client attributes")
    return clients.sort_values("start_date" if "start_date" in clients.columns else "client_id") \
        .drop_duplicates(["client_id", "municipality"])[["client_id", "municipality", *columns]]


def scored_responses(
    responses: Mapping[str, pd.DataFrame],
    clients: pd.DataFrame | None = None,
    *,
    attributes: Sequence[str] = (),
) -> dict[str, pd.DataFrame]:
    """Score each instrument's responses on its headline scale, in long layout.

    Parameters
    ----------
    responses : mapping
        ``{instrument id: processed responses_<id> table}``; empty tables are skipped.
    clients : DataFrame, optional
        Processed ``clients``, needed when ``attributes`` are requested.
    attributes : sequence of str
        Client columns (e.g. ``"gender"``, ``"target_group"``) attached from the client's first
        episode in the municipality.

    Returns
    -------
    dict
        ``{instrument id: DataFrame}`` with ``client_id, municipality, occasion, date, score``
        (the headline scale), the instrument's item columns and ``attributes``.
    """
    from soskulib import instruments, scoring

    attrs = _client_attributes(clients, [a for a in attributes if a != "municipality"])
    out = {}
    for inst_id, table in responses.items():
        if table is None or table.empty:
            continue
        inst = instruments.get(inst_id)
        _require(table, ["client_id", "municipality", "occasion"], f"scored_responses ({inst_id})")
        scored = scoring.score(table, inst)[inst.headline].to_numpy()
        frame = table.reset_index(drop=True).assign(score=scored)
        if attrs is not None:
            frame = frame.merge(attrs, on=["client_id", "municipality"], how="left")
        out[inst_id] = frame
    return out


def _orientation(inst_id: str) -> bool:
    from soskulib import instruments

    # The headline is always one of the instrument's scales (checked when the spec loads).
    inst = instruments.get(inst_id)
    return inst.scales[inst.headline].higher_is_better


def outcome_summary(
    responses: Mapping[str, pd.DataFrame],
    clients: pd.DataFrame | None = None,
    *,
    by: str | Sequence[str] | None = None,
    pre: str = "baseline",
    post: str = "end",
    level: float = 0.95,
    min_cell: int = disclosure.MIN_CELL,
    suppress: bool = True,
) -> pd.DataFrame:
    """Pre/post change on each instrument's headline scale, per group, effect oriented.

    For every instrument: :func:`soskulib.change.change_table` on complete pairs (``d_z`` =
    mean change / SD of change with the noncentral-t CI, Lakens 2013), plus the
    direction-oriented effect ``effect = d_z`` when higher is better and ``−d_z`` otherwise
    (WHODAS: lower = better), so a positive ``effect`` is always an improvement.
    ``n_pre`` counts clients with a ``pre`` score, ``n`` complete pairs; ``n / n_pre`` is the
    coverage of the follow-up measurement.

    Returns
    -------
    DataFrame
        ``instrument, name, scale, by…, n_pre, n, mean_pre, sd_pre, mean_post, sd_post,
        mean_change, sd_change, r_prepost, d_z, d_z_ci_low, d_z_ci_high, higher_is_better,
        effect, effect_ci_low, effect_ci_high`` (+ masks: statistics hide with ``n``, also
        where ``n`` is hidden as a complement: means of integer scores are ``S / n`` and the
        ``d_z`` interval is a function of ``d_z`` and ``n``, so either would give ``n`` back).

    Examples
    --------
    >>> r = pd.DataFrame({"client_id": list("aabbccddeeff"), "municipality": "092",
    ...     "occasion": ["baseline", "end"] * 6, "date": pd.Timestamp("2017-01-01"),
    ...     **{f"s{i}": [2.0, 1, 3, 2, 2, 2, 4, 2, 3, 1, 2, 1] for i in range(1, 13)}})
    >>> out = outcome_summary({"whodas12": r})
    >>> out[["name", "n", "mean_change", "effect"]].round(3)
            name    n  mean_change  effect
    0  WHODAS-12  6.0        -14.0    1.55

    Changes of the 12-item sum are −12, −12, 0, −24, −24, −12: mean −14, SD 9.03, so
    d_z = −1.55 and, WHODAS being lower-is-better, the oriented effect is +1.55.
    """
    from soskulib import change, instruments

    by = _as_list(by)
    scored = scored_responses(responses, clients, attributes=by)
    parts = []
    for inst_id, frame in scored.items():
        present = set(frame["occasion"].dropna())
        if not {pre, post} <= present:
            continue
        better = _orientation(inst_id)
        table = change.change_table(frame, score="score", pre=pre, post=post, by=by or None,
                                    higher_is_better=better, ci=level)
        sign = 1.0 if better else -1.0
        limits = np.sort(np.column_stack([sign * table["d_z_ci_low"], sign * table["d_z_ci_high"]]),
                         axis=1)
        table["higher_is_better"] = better
        table["effect"] = sign * table["d_z"]
        table["effect_ci_low"], table["effect_ci_high"] = limits[:, 0], limits[:, 1]
        inst = instruments.get(inst_id)
        table.insert(0, "instrument", inst_id)
        table.insert(1, "name", inst.name)
        table.insert(2, "scale", inst.headline)
        parts.append(table)
    stats_cols = ["mean_pre", "sd_pre", "mean_post", "sd_post", "mean_change", "sd_change",
                  "r_prepost", "d_z", "d_z_ci_low", "d_z_ci_high", "effect", "effect_ci_low",
                  "effect_ci_high"]
    columns = ["instrument", "name", "scale", *by, "n_pre", "n", *stats_cols[:10],
               "higher_is_better", *stats_cols[10:]]
    if not parts:
        return pd.DataFrame(columns=columns)
    table = pd.concat(parts, ignore_index=True)[columns]
    keys = ["instrument", "name", "scale", *by]
    return _protect(table, ["n_pre", "n"], along={"n_pre": by, "n": by},
                    derived=dict.fromkeys(stats_cols, ["n"]), min_cell=min_cell,
                    suppress=suppress, keys=keys)


def change_categories(
    responses: Mapping[str, pd.DataFrame],
    clients: pd.DataFrame | None = None,
    *,
    by: str | Sequence[str] | None = None,
    pre: str = "baseline",
    post: str = "end",
    level: float = 0.95,
    min_cell: int = disclosure.MIN_CELL,
    suppress: bool = True,
) -> pd.DataFrame:
    """Rates of reliable change and of clinically significant change, with Wilson CIs.

    Reliable change (Jacobson & Truax 1991): :func:`soskulib.change.reliable_change_scores`
    on the headline scale, SD of the baseline scores in these data and the spec's reliability
    (single-item scales such as 3X10D ``life_overall`` or the EQ VAS have no internal
    consistency and are skipped). Clinical significance where both norm groups are published
    (:data:`CLINICAL_NORMS`): cutoff *c* of :func:`soskulib.change.jt_cutoffs`. Rates are
    group-level figures (THL advises group-level use of ESIS); ``share`` is of the clients
    with both assessments, with Wilson (1927) intervals.

    Returns
    -------
    DataFrame
        ``instrument, name, analysis ('reliable_change' | 'clinical_significance'), by…,
        category, n, n_total, share, ci_low, ci_high`` (+ masks).
    """
    from soskulib import change, instruments

    by = _as_list(by)
    scored = scored_responses(responses, clients, attributes=by)
    parts = []
    for inst_id, frame in scored.items():
        inst = instruments.get(inst_id)
        scale = inst.headline
        if scale not in inst.scales or len(inst.scales[scale].items) < 2:
            continue
        if not {pre, post} <= set(frame["occasion"].dropna()):
            continue
        long = frame.rename(columns={"score": scale}) if scale not in frame.columns else frame
        analyses = [("reliable_change", None)]
        if inst_id in CLINICAL_NORMS:
            norm_scale, clinical, functional = CLINICAL_NORMS[inst_id]
            m_clin, sd_clin = inst.norm(norm_scale, clinical)
            m_func, sd_func = inst.norm(norm_scale, functional)
            cut = change.jt_cutoffs(m_clin, sd_clin, m_func, sd_func,
                                    higher_is_better=inst.scales[scale].higher_is_better)
            analyses.append(("clinical_significance", cut.c))
        for analysis, cutoff in analyses:
            res = change.reliable_change_scores(long, inst, scale, pre=pre, post=post,
                                                cutoff=cutoff, keep=by)
            rates = change.category_rates(res.dropna(subset=["category"]), by=by or None,
                                          level=level)
            rates["category"] = rates["category"].astype(str)
            rates.insert(0, "instrument", inst_id)
            rates.insert(1, "name", inst.name)
            rates.insert(2, "analysis", analysis)
            parts.append(rates)
    columns = ["instrument", "name", "analysis", *by, "category", "n", "n_total", "share",
               "ci_low", "ci_high"]
    if not parts:
        return pd.DataFrame(columns=columns)
    table = pd.concat(parts, ignore_index=True)[columns]
    return _protect(table, ["n", "n_total"], along={"n": ["category", *by], "n_total": by},
                    derived={c: ["n", "n_total"] for c in ("share", "ci_low", "ci_high")},
                    min_cell=min_cell, suppress=suppress,
                    keys=["instrument", "name", "analysis", *by, "category"])


def gas_summary(
    goals: pd.DataFrame,
    clients: pd.DataFrame | None = None,
    *,
    by: str | Sequence[str] | None = None,
    rho: float = 0.3,
    level: float = 0.95,
    min_cell: int = disclosure.MIN_CELL,
    suppress: bool = True,
) -> pd.DataFrame:
    """GAS T-scores per group: mean with a t-based CI, and the share at or above 50.

    T-scores per client from :func:`soskulib.gas.gas_tscores` (Kiresuk & Sherman 1968,
    ``rho`` = 0.3); 50 means the goals were attained as expected. Clients without a rated goal
    are left out.

    Returns
    -------
    DataFrame
        ``by…, n, tscore_mean, ci_low, ci_high, tscore_sd, share_at_or_above_50`` (+ masks).

    Examples
    --------
    >>> g = pd.DataFrame({"client_id": [f"c{i}" for i in range(6)], "municipality": "092",
    ...                   "weight": 1.0, "attainment": [-1.0, 0, 0, 1, 1, 2]})
    >>> gas_summary(g)[["n", "tscore_mean"]].round(2)
         n  tscore_mean
    0  6.0         55.0

    One goal per client: T = 50 + 10·x, so the mean is 50 + 10 · mean(x) = 55.
    """
    from soskulib import gas

    by = _as_list(by)
    _require(goals, ["client_id", "municipality", "attainment"], "gas_summary")
    weight = "weight" if "weight" in goals.columns else None
    tscores = gas.gas_tscores(goals, weight=weight, rho=rho, keep=["municipality"]).reset_index()
    attrs = _client_attributes(clients, [b for b in by if b != "municipality"])
    if attrs is not None:
        tscores = tscores.merge(attrs, on=["client_id", "municipality"], how="left")
    tscores = tscores.dropna(subset=["tscore"])
    keys = _group_keys(tscores, by)
    frame = pd.concat([keys, tscores[["tscore"]]], axis=1)
    frame["at_or_above"] = frame["tscore"] >= 50 - 1e-9

    def summarise(part: pd.DataFrame) -> pd.Series:
        mean, low, high, n = mean_ci(part["tscore"], level)
        return pd.Series({"n": n, "tscore_mean": mean, "ci_low": low, "ci_high": high,
                          "tscore_sd": part["tscore"].std(ddof=1),
                          "share_at_or_above_50": part["at_or_above"].mean()})

    if by:
        table = frame.groupby(by, sort=True)[["tscore", "at_or_above"]].apply(summarise).reset_index()
    else:
        table = summarise(frame).to_frame().T
    table["n"] = table["n"].astype("int64")
    stats_cols = ["tscore_mean", "ci_low", "ci_high", "tscore_sd", "share_at_or_above_50"]
    table[stats_cols] = table[stats_cols].astype(float)
    return _protect(table[[*by, "n", *stats_cols]], ["n"], along={"n": by},
                    derived=dict.fromkeys(stats_cols, ["n"]), min_cell=min_cell,
                    suppress=suppress, keys=by)


def traffic_light_shares(
    responses: pd.DataFrame,
    *,
    instrument: str = "3x10d",
    occasions: Sequence[str] = ("baseline", "end"),
    min_cell: int = disclosure.MIN_CELL,
    suppress: bool = True,
) -> pd.DataFrame:
    """Share of answers in each traffic-light band per life area and occasion (3X10D).

    Bands come from the instrument spec (red 0–5, yellow 6–7, green 8–10; Diak). The
    respondents of one life area and occasion are the denominator ``n_item``; bands of a life
    area add up to it (secondary suppression along the band).

    Returns
    -------
    DataFrame
        ``occasion, item, band, n, n_item, share`` (+ masks), in spec order.

    Examples
    --------
    >>> r = pd.DataFrame({"occasion": ["baseline"] * 10, "life_overall": [3.0] * 5 + [9.0] * 5})
    >>> out = traffic_light_shares(r, occasions=["baseline"])
    >>> out.loc[out["item"] == "life_overall", ["band", "n", "share"]]
          band    n  share
    27     red  5.0    0.5
    28  yellow  0.0    0.0
    29   green  5.0    0.5
    """
    from soskulib import instruments

    spec = instruments.get(instrument)
    if not spec.traffic_lights:
        raise ValueError(f"{spec.name} has no traffic_lights in its spec")
    _require(responses, ["occasion"], "traffic_light_shares")
    items = [i for i in spec.items if i in responses.columns]
    if not items:
        raise KeyError(f"traffic_light_shares needs the {spec.name} item columns {list(spec.items)}")
    rows = responses.loc[responses["occasion"].isin(list(occasions)), ["occasion", *items]]
    long = rows.melt(id_vars="occasion", var_name="item", value_name="value").dropna()
    bands = list(spec.traffic_lights)
    band = pd.Series(pd.NA, index=long.index, dtype=object)
    for name, (lo, hi) in spec.traffic_lights.items():
        band = band.mask(long["value"].between(lo, hi), name)
    long["band"] = band
    full = pd.MultiIndex.from_product([list(occasions), list(spec.items), bands],
                                      names=["occasion", "item", "band"])
    table = long.groupby(["occasion", "item", "band"]).size().reindex(full, fill_value=0) \
        .rename("n").reset_index()
    table["n_item"] = table.groupby(["occasion", "item"])["n"].transform("sum")
    with np.errstate(invalid="ignore", divide="ignore"):
        table["share"] = (table["n"] / table["n_item"]).where(table["n_item"] > 0)
    return _protect(table, ["n", "n_item"], along={"n": ["band"], "n_item": []},
                    derived={"share": ["n", "n_item"]}, min_cell=min_cell, suppress=suppress,
                    keys=["occasion", "item", "band"])


def codevelopment_summary(
    activities: pd.DataFrame,
    *,
    by: str | Sequence[str] | None = None,
    min_cell: int = disclosure.MIN_CELL,
    suppress: bool = True,
) -> pd.DataFrame:
    """Development events and attendance by activity type over the whole period.

    Attendance of **clients and experts by experience** is a count of people outside the
    staff: it passes through :func:`soskulib.disclosure.suppress_table` (project decision);
    staff and third-sector attendance counts are published as they are. Attendances, not
    distinct people: one person at three workshops counts three times.

    Returns
    -------
    DataFrame
        ``by…, activity_type, n_events, n_managers, n_workers, n_clients,
        n_experts_by_experience, n_third_sector, n_participants`` (+ masks); the lived-
        experience columns hide where small.
    """
    by = _as_list(by)
    roles = list(schema.ACTIVITY_ROLES)
    _require(activities, ["activity_type", *roles, *by], "codevelopment_summary")
    keys = _group_keys(activities, by)
    frame = pd.concat([keys, activities[["activity_type", *roles]]], axis=1)
    types = list(schema.ACTIVITY_TYPE_LABELS)
    agg = frame.groupby([*by, "activity_type"]).agg(
        n_events=("activity_type", "size"), **{r: (r, "sum") for r in roles})
    if by:
        groups = agg.index.droplevel(-1).unique()
        full = pd.MultiIndex.from_tuples(
            [(*(g if isinstance(g, tuple) else (g,)), t) for g in groups for t in types],
            names=[*by, "activity_type"])
    else:
        full = pd.Index(types, name="activity_type")
    table = agg.reindex(full, fill_value=0).reset_index()
    table[["n_events", *roles]] = table[["n_events", *roles]].astype("int64")
    table["n_participants"] = table[roles].sum(axis=1)
    people = ["n_clients", "n_experts_by_experience"]
    return _protect(table, people, along=dict.fromkeys(people, ["activity_type", *by]),
                    derived={"n_participants": people}, min_cell=min_cell, suppress=suppress,
                    keys=[*by, "activity_type"])


def municipality_effects(
    responses: Mapping[str, pd.DataFrame],
    clients: pd.DataFrame | None = None,
    *,
    by: str | Sequence[str] | None = None,
    pre: str = "baseline",
    post: str = "end",
    min_pairs: int = 10,
) -> pd.DataFrame:
    """Standardised mean change (SMCR) per municipality and instrument: the meta-analysis input.

    ``change_table(by=["municipality", *by])`` → :func:`soskulib.meta.smcr` (metafor
    ``escalc(measure = "SMCR")``: ``yi = J (mean_post − mean_pre) / sd_pre``,
    ``vi = 2(1 − r)/n + yi²/(2n)``), sign-oriented so a positive ``yi`` is an improvement.
    Municipalities (or municipality × subgroup cells) with fewer than ``min_pairs`` complete
    pairs are left out: their SMCR is too unstable to pool and ``min_pairs`` ≥ 5 keeps every
    published count above the disclosure threshold.

    Returns
    -------
    DataFrame
        ``instrument, name, municipality, by…, n, mean_pre, sd_pre, mean_post, r_prepost,
        yi, vi``.
    """
    from soskulib import change, instruments, meta

    if min_pairs < disclosure.MIN_CELL:
        raise ValueError(f"min_pairs must be at least {disclosure.MIN_CELL} (disclosure rule)")
    by = _as_list(by)
    groups = ["municipality", *by]
    scored = scored_responses(responses, clients, attributes=by)
    parts = []
    for inst_id, frame in scored.items():
        if not {pre, post} <= set(frame["occasion"].dropna()):
            continue
        better = _orientation(inst_id)
        table = change.change_table(frame, score="score", pre=pre, post=post, by=groups,
                                    higher_is_better=better)
        table = table.loc[table["n"] >= min_pairs]
        if table.empty:
            continue
        es = meta.smcr(table, higher_is_better=better,
                       keep=[*groups, "n", "mean_pre", "sd_pre", "mean_post", "r_prepost"])
        es.insert(0, "instrument", inst_id)
        es.insert(1, "name", instruments.get(inst_id).name)
        parts.append(es)
    columns = ["instrument", "name", *groups, "n", "mean_pre", "sd_pre", "mean_post",
               "r_prepost", "yi", "vi"]
    if not parts:
        return pd.DataFrame(columns=columns)
    return pd.concat(parts, ignore_index=True)[columns]


def _municipality_names(codes: Sequence[str], lang: str) -> list[str]:
    orgs = schema.organisations().set_index("code")[f"name_{lang}"]
    return [str(orgs.get(c, c)) for c in codes]


def meta_by_instrument(
    effects: pd.DataFrame,
    *,
    method: str = "REML",
    test: str = "z",
    level: float = 0.95,
    min_k: int = 2,
    lang: str = "fi",
) -> dict:
    """Random-effects meta-analysis of :func:`municipality_effects`, one per instrument.

    :func:`soskulib.meta.meta_analysis` (metafor ``rma(yi, vi, method, test)``) with the
    municipalities as studies, labelled by name in ``lang`` and carrying their ``n``.
    Instruments with fewer than ``min_k`` municipalities are left out.

    Returns
    -------
    dict
        ``{instrument id: MetaResult}`` in the order of ``effects``.
    """
    from soskulib import meta

    _require(effects, ["instrument", "municipality", "n", "yi", "vi"], "meta_by_instrument")
    fits = {}
    for inst_id in dict.fromkeys(effects["instrument"]):
        part = effects.loc[effects["instrument"] == inst_id]
        if len(part) < min_k:
            continue
        fits[inst_id] = meta.meta_analysis(
            part["yi"].to_numpy(float), part["vi"].to_numpy(float), method=method, test=test,
            level=level, labels=_municipality_names(part["municipality"].tolist(), lang),
            n=part["n"].to_numpy(float))
    return fits


def pooled_table(fits: Mapping[str, Mapping[str, object]]) -> pd.DataFrame:
    """One row per instrument and inference method from :func:`meta_by_instrument` results.

    Parameters
    ----------
    fits : mapping
        ``{test label: {instrument id: MetaResult}}``, e.g. ``{"z": ..., "knha": ...}``.

    Returns
    -------
    DataFrame
        ``instrument, name, test, k, n, estimate, ci_low, ci_high, pval, pi_low, pi_high,
        tau2, i2, q, q_pval``.
    """
    from soskulib import instruments

    rows = []
    for test, by_instrument in fits.items():
        for inst_id, res in by_instrument.items():
            rows.append({
                "instrument": inst_id, "name": instruments.get(inst_id).name, "test": test,
                "k": res.k, "n": int(np.nansum(res.n)) if res.n is not None else np.nan,
                "estimate": res.estimate, "ci_low": res.ci_low, "ci_high": res.ci_high,
                "pval": res.pval, "pi_low": res.pi_low, "pi_high": res.pi_high,
                "tau2": res.tau2, "i2": res.i2, "q": res.q, "q_pval": res.q_pval})
    columns = ["instrument", "name", "test", "k", "n", "estimate", "ci_low", "ci_high", "pval",
               "pi_low", "pi_high", "tau2", "i2", "q", "q_pval"]
    table = pd.DataFrame(rows, columns=columns)
    # Instrument order as given, then the tests in the order of ``fits``.
    rank = {inst: i for i, inst in enumerate(dict.fromkeys(table["instrument"]))}
    table["_order"] = table["instrument"].map(rank)
    return table.sort_values("_order", kind="stable").drop(columns="_order").reset_index(drop=True)


def subgroup_table(
    effects: pd.DataFrame,
    column: str,
    *,
    method: str = "REML",
    test: str = "z",
    min_k: int = 2,
    lang: str = "fi",
) -> pd.DataFrame:
    """Subgroup meta-analysis per instrument (:func:`soskulib.meta.subgroup_analysis`).

    ``effects`` is :func:`municipality_effects` with ``by=column`` (one SMCR per
    municipality × subgroup). Subgroups with fewer than ``min_k`` municipalities are left
    out; an instrument needs two subgroups left. ``q_between`` is metafor's test of
    moderators with one common τ² (``rma(yi, vi, mods = ~ factor(group))``).

    Returns
    -------
    DataFrame
        ``instrument, name, <column>, k, estimate, ci_low, ci_high, tau2, i2, q_between,
        q_between_df, q_between_pval``.
    """
    from soskulib import instruments, meta

    _require(effects, ["instrument", column, "yi", "vi"], "subgroup_table")
    parts = []
    for inst_id in dict.fromkeys(effects["instrument"]):
        part = effects.loc[effects["instrument"] == inst_id].dropna(subset=[column])
        sizes = part[column].value_counts()
        part = part.loc[part[column].isin(sizes[sizes >= min_k].index)]
        if part[column].nunique() < 2:
            continue
        sg = meta.subgroup_analysis(part["yi"].to_numpy(float), part["vi"].to_numpy(float),
                                    part[column].astype(str).to_numpy(), method=method, test=test)
        tab = sg.table[["group", "k", "estimate", "ci_low", "ci_high", "tau2", "i2"]].rename(
            columns={"group": column})
        tab.insert(0, "instrument", inst_id)
        tab.insert(1, "name", instruments.get(inst_id).name)
        tab["q_between"] = sg.q_between
        tab["q_between_df"] = sg.q_between_df[0]
        tab["q_between_pval"] = sg.q_between_pval
        parts.append(tab)
    columns = ["instrument", "name", column, "k", "estimate", "ci_low", "ci_high", "tau2", "i2",
               "q_between", "q_between_df", "q_between_pval"]
    return pd.concat(parts, ignore_index=True)[columns] if parts else pd.DataFrame(columns=columns)


def moderators(
    data: pd.DataFrame,
    *,
    by: str = "municipality",
    min_cell: int = disclosure.MIN_CELL,
) -> pd.DataFrame:
    """Municipality-level process measures for meta-regression: fidelity index and dose.

    From :func:`client_episodes` (with contacts and goals): ``fidelity_index`` = mean number
    of core elements received / 4 (:func:`fidelity_index`), ``mean_hours`` and
    ``mean_contacts`` = mean service hours and contacts per episode, ``share_all_four`` =
    share of episodes with all four elements. Groups under ``min_cell`` episodes are dropped.

    Returns
    -------
    DataFrame
        ``<by>, n, fidelity_index, share_all_four, mean_hours, mean_contacts``.
    """
    _require(data, [by, "n_elements", "all_four", "hours", "n_contacts"], "moderators",
             "build data with client_episodes(clients, contacts, goals)")
    grouped = data.groupby(by, sort=True)
    table = pd.DataFrame({
        "n": grouped.size(),
        "fidelity_index": grouped["n_elements"].mean() / len(FIDELITY_ELEMENTS),
        "share_all_four": grouped["all_four"].mean(),
        "mean_hours": grouped["hours"].mean(),
        "mean_contacts": grouped["n_contacts"].mean(),
    }).reset_index()
    return table.loc[table["n"] >= min_cell].reset_index(drop=True)


def meta_regressions(
    effects: pd.DataFrame,
    moderator_table: pd.DataFrame,
    *,
    terms: Sequence[str] = ("fidelity_index", "mean_hours"),
    method: str = "REML",
    test: str = "knha",
    min_k: int = 5,
) -> pd.DataFrame:
    """One-moderator meta-regressions of the municipality SMCRs (metafor ``rma(mods = ~ x)``).

    Each ``term`` of ``moderator_table`` (:func:`moderators`) is tried alone: with 6–9
    municipalities two moderators at once would leave too few degrees of freedom. The
    Knapp–Hartung test (``test="knha"``, t on k − 2 df) is the default because it keeps its
    nominal level with few studies. Instruments with fewer than ``min_k`` municipalities are
    skipped. An association across municipalities is ecological: it says nothing causal about
    clients.

    Returns
    -------
    DataFrame
        ``instrument, name, moderator, k, slope, se, ci_low, ci_high, pval, tau2, r2``.
    """
    from soskulib import instruments, meta

    _require(effects, ["instrument", "municipality", "yi", "vi"], "meta_regressions")
    _require(moderator_table, ["municipality", *terms], "meta_regressions (moderators)")
    merged = effects.merge(moderator_table[["municipality", *terms]], on="municipality")
    rows = []
    for inst_id in dict.fromkeys(merged["instrument"]):
        part = merged.loc[merged["instrument"] == inst_id]
        if len(part) < min_k:
            continue
        for term in terms:
            fit = meta.meta_regression(part["yi"].to_numpy(float), part["vi"].to_numpy(float),
                                       part[[term]], method=method, test=test)
            coef = fit.to_frame()
            coef = coef if "term" in coef.columns else coef.reset_index(names="term")
            slope = coef.iloc[1]
            rows.append({"instrument": inst_id, "name": instruments.get(inst_id).name,
                         "moderator": term, "k": len(part), "slope": slope["estimate"],
                         "se": slope["se"], "ci_low": slope["ci_low"], "ci_high": slope["ci_high"],
                         "pval": slope["pval"], "tau2": fit.tau2, "r2": fit.r2})
    return pd.DataFrame(rows, columns=["instrument", "name", "moderator", "k", "slope", "se",
                                       "ci_low", "ci_high", "pval", "tau2", "r2"])


def leave_one_out_table(fits: Mapping[str, object]) -> pd.DataFrame:
    """Leave-one-municipality-out pooled estimates (metafor ``leave1out``) for every instrument.

    Returns
    -------
    DataFrame
        ``instrument, name, left_out, estimate, ci_low, ci_high, tau2, i2, shift`` where
        ``shift`` = estimate without the municipality − estimate with all.
    """
    from soskulib import instruments, meta

    parts = []
    for inst_id, res in fits.items():
        if res.k < 3:
            continue
        loo = meta.leave_one_out(res)
        out = pd.DataFrame({"instrument": inst_id, "name": instruments.get(inst_id).name,
                            "left_out": list(res.labels)})
        for col in ("estimate", "ci_low", "ci_high", "tau2", "i2"):
            out[col] = loo[col].to_numpy(float)
        out["shift"] = out["estimate"] - res.estimate
        parts.append(out)
    columns = ["instrument", "name", "left_out", "estimate", "ci_low", "ci_high", "tau2", "i2",
               "shift"]
    return pd.concat(parts, ignore_index=True)[columns] if parts else pd.DataFrame(columns=columns)


def truth_table(pooled: pd.DataFrame, truth: Mapping) -> pd.DataFrame:
    """Pooled estimates next to the demo generator's true mean effect μ (``truth.json``).

    The estimand is the mean SMCR across municipalities (raw-score standardisation); metafor's
    SMCR adds the small-sample factor J, a difference under 1 % at these n.

    Returns
    -------
    DataFrame
        ``pooled`` rows with a known μ plus ``mu_true``, ``bias`` (estimate − μ) and
        ``covered`` (μ inside the CI); ``tau_true`` when the truth gives it.
    """
    _require(pooled, ["instrument", "estimate", "ci_low", "ci_high"], "truth_table")
    specs = truth.get("instruments", {}) if isinstance(truth, Mapping) else {}
    mu = {k: v.get("mu") for k, v in specs.items() if isinstance(v, Mapping)}
    tau = {k: v.get("tau") for k, v in specs.items() if isinstance(v, Mapping)}
    out = pooled.assign(mu_true=pooled["instrument"].map(mu).astype(float),
                        tau_true=pooled["instrument"].map(tau).astype(float))
    out = out.dropna(subset=["mu_true"]).reset_index(drop=True)
    out["bias"] = out["estimate"] - out["mu_true"]
    out["covered"] = (out["ci_low"] <= out["mu_true"]) & (out["mu_true"] <= out["ci_high"])
    return out


def coverage(
    clients: pd.DataFrame,
    subprojects: pd.DataFrame,
    responses: Mapping[str, pd.DataFrame],
    *,
    pre: str = "baseline",
    post: str = "end",
    min_cell: int = disclosure.MIN_CELL,
    suppress: bool = True,
) -> pd.DataFrame:
    """What each municipality contributes: episodes against plan and complete pairs per instrument.

    Returns
    -------
    DataFrame
        ``municipality, n_enrolled, planned_clients, share_of_plan, pairs_<instrument>…``
        (+ masks; pair counts of 1–4 are hidden).
    """
    table = reach(clients, subprojects, by="municipality", min_cell=min_cell, suppress=suppress)
    import warnings

    with warnings.catch_warnings():  # the pair counts are protected below
        warnings.simplefilter("ignore")
        summary = outcome_summary(responses, by="municipality", pre=pre, post=post,
                                  suppress=False)
    pair_cols = []
    for inst_id in dict.fromkeys(summary["instrument"]):
        col = f"pairs_{inst_id}"
        pairs = summary.loc[summary["instrument"] == inst_id].set_index("municipality")["n"]
        table[col] = table["municipality"].map(pairs).fillna(0).astype("int64")
        pair_cols.append(col)
    if pair_cols:
        table = _protect(table.drop(columns=[c for c in table.columns if c.endswith("_suppressed")
                                             and c.removesuffix("_suppressed") in pair_cols]),
                         pair_cols, along=dict.fromkeys(pair_cols, ["municipality"]),
                         min_cell=min_cell, suppress=suppress, keys=["municipality"])
    return table


def _random_intercept_reml(data: pd.DataFrame, smf, warnings) -> tuple:
    """REML fit of ``change ~ 0 + C(g) + (1 | m)`` that agrees with lme4, and lme4's SEs.

    statsmodels' default L-BFGS stalls when the municipality variance is at or near 0 (its
    gradient is singular there); Powell's derivative-free search, polished by Nelder–Mead,
    reaches the REML maximum (checked against lme4). SEs are lme4's ``vcov``,
    ``(X' V⁻¹ X)⁻¹`` at the REML variances, with ``V_m⁻¹ = (I − c_m J) / σ²``,
    ``c_m = σ²_u / (σ² + n_m σ²_u)`` (statsmodels' ``bse_fe`` inverts the joint Hessian).
    """
    model = smf.mixedlm("change ~ 0 + C(g)", data, groups=data["m"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = model.fit(reml=True, method="powell")
        polished = model.fit(reml=True, start_params=fit.params_object, method="nm",
                             maxiter=5000)
    if np.isfinite(polished.llf) and polished.llf > fit.llf:
        fit = polished
    x = pd.get_dummies(data["g"], dtype=float).reindex(columns=sorted(data["g"].unique()))
    sigma2, tau2 = float(fit.scale), max(float(fit.cov_re.iloc[0, 0]), 0.0)
    sizes = data.groupby("m")["g"].transform("size").to_numpy(float)
    c = tau2 / (sigma2 + sizes * tau2)
    col_sums = x.groupby(data["m"].to_numpy()).sum()
    c_group = pd.Series(c, index=data.index).groupby(data["m"].to_numpy()).first()
    xtvx = (x.T @ x).to_numpy() - (col_sums.T * c_group).to_numpy() @ col_sums.to_numpy()
    se = np.sqrt(np.diag(np.linalg.inv(xtvx / sigma2)))
    return fit, se


def change_score_model(
    responses: Mapping[str, pd.DataFrame],
    clients: pd.DataFrame,
    *,
    group: str = "gender",
    levels: Sequence[str] | None = ("female", "male"),
    pre: str = "baseline",
    post: str = "end",
    level: float = 0.95,
) -> pd.DataFrame:
    """Client-level cross-check of the pooled SMCR: a mixed model of change scores.

    For each instrument, on clients with both assessments (``change = post − pre`` of the
    headline score, sign-oriented so positive = improvement)::

        change_i = β_g(i) + u_m(i) + e_i,   u_m ~ N(0, σ²_mun),  e_i ~ N(0, σ²)

    fitted by REML (statsmodels ``MixedLM``, ``groups = municipality``). ``β_g`` is the mean
    change of group ``g``; the municipality random intercept on the change is the
    client-level counterpart of τ² in the meta-analysis. Dividing by the SD of all baseline
    scores (``sd_pre``) gives a standardised change comparable with the pooled SMCR.
    R: ``lmer(change ~ 0 + gender + (1 | municipality), REML = TRUE)``.

    How it relates to the long nested model (:func:`soskulib.models.change_model`, random
    client within municipality, also fitted in the national report through
    :func:`soskulib.models.change_by_group_table`): with complete pairs and two occasions the
    client intercept cancels in the difference, so both estimate the same change contrasts;
    this model also lets the change vary between municipalities, which is what the
    random-effects meta-analysis assumes, while the long model uses clients with a baseline
    only as well.

    Returns
    -------
    DataFrame
        ``instrument, name, <group>, n, estimate, se, ci_low, ci_high, sd_pre, std_estimate,
        std_ci_low, std_ci_high, sigma2_municipality, sigma2_residual, converged``.
    """
    import warnings

    import statsmodels.formula.api as smf

    from soskulib import instruments

    rows = []
    z = _z(level)
    scored = scored_responses(responses, clients, attributes=[group])
    for inst_id, frame in scored.items():
        if not {pre, post} <= set(frame["occasion"].dropna()):
            continue
        sign = 1.0 if _orientation(inst_id) else -1.0
        sd_pre = float(frame.loc[frame["occasion"] == pre, "score"].std(ddof=1))
        wide = frame.loc[frame["occasion"].isin([pre, post])].pivot_table(
            index=["client_id", "municipality", group], columns="occasion", values="score",
            aggfunc="first").dropna(subset=[pre, post]).reset_index()
        if levels is not None:
            wide = wide.loc[wide[group].isin(list(levels))]
        if wide[group].nunique() < 1 or wide["municipality"].nunique() < 2 or len(wide) < 20:
            continue
        data = pd.DataFrame({"change": sign * (wide[post] - wide[pre]).to_numpy(float),
                             "g": wide[group].astype(str).to_numpy(),
                             "m": wide["municipality"].astype(str).to_numpy()})
        fit, se_all = _random_intercept_reml(data, smf, warnings)
        names = sorted(data["g"].unique())
        counts = data["g"].value_counts()
        for i, g in enumerate(names):
            est, se = float(fit.fe_params.iloc[i]), float(se_all[i])
            rows.append({"instrument": inst_id, "name": instruments.get(inst_id).name, group: g,
                         "n": int(counts[g]), "estimate": est, "se": se,
                         "ci_low": est - z * se, "ci_high": est + z * se, "sd_pre": sd_pre,
                         "std_estimate": est / sd_pre, "std_ci_low": (est - z * se) / sd_pre,
                         "std_ci_high": (est + z * se) / sd_pre,
                         "sigma2_municipality": float(fit.cov_re.iloc[0, 0]),
                         "sigma2_residual": float(fit.scale), "converged": bool(fit.converged)})
    return pd.DataFrame(rows, columns=["instrument", "name", group, "n", "estimate", "se", "ci_low",
                                       "ci_high", "sd_pre", "std_estimate", "std_ci_low",
                                       "std_ci_high", "sigma2_municipality", "sigma2_residual",
                                       "converged"])
