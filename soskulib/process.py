"""Development work, how the service was delivered: reach, retention, dose, fidelity, pathways.

Kuntoutussäätiö's role in the SOSKU programme was to collect, structure and analyse each
municipality's development work and results and to feed them back quickly. This module
computes those figures from the processed tables (see :mod:`soskulib.schema`): reach,
retention and exits, time in service, dose, fidelity to THL's four core elements, the
quality-criteria self-assessment, co-development activity, onward pathways and quarterly
trends with run/SPC charts (:mod:`soskulib.spc`). Client change is in
:mod:`soskulib.outcomes`, the national pooling in :mod:`soskulib.synthesis`.

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
>>> from soskulib import process
>>> clients = pd.DataFrame({
...     "client_id": [f"c{i:02d}" for i in range(12)],
...     "municipality": ["092"] * 12,
...     "gender": ["male"] * 7 + ["female"] * 5,
...     "target_group": ["long_term_unemployed"] * 12,
...     "start_date": pd.to_datetime(["2017-01-02"] * 12),
...     "end_date": pd.to_datetime(["2017-06-30"] * 6 + ["2017-09-30"] * 5 + [None]),
...     "end_reason": ["completed"] * 6 + ["dropped_out"] * 5 + [None],
... })
>>> process.exits(clients, min_cell=1)[["end_reason", "n", "n_ended", "share"]]
    end_reason    n  n_ended     share
0    completed  6.0     11.0  0.545455
1  dropped_out  5.0     11.0  0.454545
2        moved  0.0     11.0  0.000000
3        other  0.0     11.0  0.000000
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from soskulib import disclosure, labels, schema, spc
from soskulib.change import wilson_ci
from soskulib.checks import as_list, require_columns
from soskulib.frames import (
    TableOptions,
    group_keys,
    protect,
    quarter,
    quarter_range,
    quarter_start,
    spread,
    table_options,
)
from soskulib.intervals import mean_ci
from soskulib.survival import kaplan_meier, km_quantile

__all__ = [
    "FidelityRule",
    "FIDELITY_ELEMENTS",
    "client_episodes",
    "codevelopment_shares",
    "reach",
    "entries",
    "composition",
    "exits",
    "time_in_service",
    "dose",
    "DOSE_MEASURES",
    "fidelity",
    "fidelity_index",
    "contents_received",
    "elements_received",
    "quality_profile",
    "quality_change",
    "quality_change_table",
    "codevelopment",
    "codevelopment_summary",
    "pathways",
    "dropout_chart",
    "quarterly_frame",
]

#: THL's four core elements of social rehabilitation (seed 004), in reporting order.
FIDELITY_ELEMENTS = ("needs_assessment", "plan_with_goals", "intensive_individual_work",
                     "group_activity")

_DAYS_PER_MONTH = 365.25 / 12
_MODES = tuple(schema.CONTACT_MODE_LABELS)
_CONTENTS = tuple(schema.CONTACT_CONTENT_LABELS)

#: Per-episode dose measures summarised by :func:`dose`.
DOSE_MEASURES = ("n_contacts", "hours", "weeks_in_service", "contacts_per_month",
                 "share_individual", "share_group", "share_outreach")


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
    require_columns(events, [*keys, date_col], "assigning rows to client episodes")
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
    require_columns(clients, ["start_date", "end_date"], "client_episodes")
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
    ep["entry_quarter"] = quarter(ep["start_date"])
    ep["exit_quarter"] = quarter(ep["end_date"])
    months = np.maximum(ep["days_in_service"], 1) / _DAYS_PER_MONTH

    if contacts is not None:
        require_columns(contacts, ["client_id", "municipality", "date", "minutes", "mode", "content"],
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
            require_columns(goals, ["client_id", "municipality", "set_date"], "client_episodes (goals)")
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


@table_options("by", "min_cell", "suppress")
def reach(
    data: pd.DataFrame, subprojects: pd.DataFrame | None = None, *, options: TableOptions
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
    require_columns(data, ["municipality", *options.by], "reach")
    keys = group_keys(data, options.by)
    if options.by:
        table = keys.groupby(options.by, sort=True).size().rename("n_enrolled").reset_index()
    else:
        table = pd.DataFrame({"n_enrolled": [len(data)]})
    count_cols = ["n_enrolled"]
    derived: dict[str, list[str]] = {}
    if subprojects is not None and set(options.by) <= {"municipality"}:
        require_columns(subprojects, ["municipality", "planned_clients"], "reach (subprojects)")
        plan = subprojects.set_index("municipality")["planned_clients"]
        if options.by:
            table["planned_clients"] = table["municipality"].map(plan)
        else:
            present = data["municipality"].dropna().unique()
            table["planned_clients"] = plan.reindex(present).sum(min_count=1)
        table["share_of_plan"] = table["n_enrolled"] / table["planned_clients"]
        derived["share_of_plan"] = ["n_enrolled"]
    return protect(table, count_cols, along={"n_enrolled": options.by}, derived=derived,
                    options=options, keys=options.by)


@table_options("by", "min_cell", "suppress")
def entries(data: pd.DataFrame, *, export_date=None, options: TableOptions) -> pd.DataFrame:
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
    ep = _ensure_episodes(data, export_date)
    keys = group_keys(ep, options.by)
    frame = pd.concat([keys, ep[["entry_quarter"]]], axis=1)
    quarters = quarter_range(ep["start_date"].min(), ep["stop_date"].max())
    counts = frame.groupby([*options.by, "entry_quarter"]).size()
    groups = counts.index.droplevel(-1).unique() if options.by else [()]
    full = pd.MultiIndex.from_tuples(
        [(*(g if isinstance(g, tuple) else (g,)), q) for g in groups for q in quarters],
        names=[*options.by, "entry_quarter"])
    table = counts.reindex(full, fill_value=0).rename("n_entries").reset_index()
    table = table.rename(columns={"entry_quarter": "quarter"})
    table.insert(len(options.by) + 1, "quarter_start", quarter_start(table["quarter"]).to_numpy())
    return protect(table, ["n_entries"], along={"n_entries": ["quarter", *options.by]},
                    options=options, keys=[*options.by, "quarter", "quarter_start"])


def _protected_shares(
    ep: pd.DataFrame,
    column: str,
    categories: Sequence[str] | None,
    denominator: str,
    options: TableOptions,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Shares of the categories of ``column`` within each ``options.by`` group, with Wilson CIs.

    Returns ``(unprotected, protected)``: in the protected table the counts add up along the
    categories (to ``denominator``) and the groups, and a share and its CI are hidden with
    either of its counts; the caller may need the true counts for a further check
    (:func:`_hide_small_rest`).
    """
    keys = group_keys(ep, options.by)
    frame = pd.concat([keys, ep[[column]]], axis=1).dropna(subset=[column])
    cats = list(categories) if categories is not None else sorted(frame[column].unique())
    counts = pd.crosstab(
        [frame[b] for b in options.by] if options.by else pd.Series(0, index=frame.index, name="_all"),
        frame[column]).reindex(columns=cats, fill_value=0)
    counts.columns.name = column
    table = counts.stack().rename("n").reset_index()
    if not options.by:
        table = table.drop(columns="_all")
    totals = table.groupby(options.by)["n"].transform("sum") if options.by else table["n"].sum()
    table[denominator] = totals
    table["share"] = table["n"] / table[denominator]
    table["ci_low"], table["ci_high"] = wilson_ci(table["n"], table[denominator], options.level)
    return table, protect(
        table, ["n", denominator], along={"n": [column, *options.by], denominator: options.by},
        derived={c: ["n", denominator] for c in ("share", "ci_low", "ci_high")},
        options=options, keys=[*options.by, column])


@table_options("by", "level", "min_cell", "suppress")
def composition(
    data: pd.DataFrame, column: str = "target_group", *, options: TableOptions
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
    require_columns(data, [column, *options.by], "composition")
    if column in options.by:
        raise ValueError(f"composition: {column!r} cannot be both the column and in by")
    codes = schema.CODE_LABELS.get(column)
    if column == "age_group":
        codes = dict.fromkeys(schema.AGE_GROUP_LABELS)
    return _protected_shares(data, column, list(codes) if codes else None, "n_group", options)[1]


# ---------------------------------------------------------------------------------------------
# Retention, exits and time in service
# ---------------------------------------------------------------------------------------------


@table_options("by", "level", "min_cell", "suppress")
def exits(data: pd.DataFrame, *, options: TableOptions) -> pd.DataFrame:
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
    2        moved  0.0    NaN
    3        other  0.0    NaN

    The ended total (10) is hidden as well, with every share: the 11 episodes are published
    elsewhere, and 11 − 10 would give the one episode without an end reason back.
    """
    require_columns(data, ["end_reason", *options.by], "exits")
    table, out = _protected_shares(data, "end_reason", list(schema.END_REASON_LABELS), "n_ended",
                                   options)
    if options.suppress:
        _hide_small_rest(data, table, out, options)
    return out


def _hide_small_rest(data: pd.DataFrame, table: pd.DataFrame, out: pd.DataFrame,
                     options: TableOptions) -> None:
    """Hide the ended total where the rest of the group's episodes (ongoing, or ended with no
    reason) is a small group: the page publishes all episodes (reach, clients by gender), so
    ``episodes − ended`` would give it back (:func:`soskulib.disclosure.protect_total`)."""
    # one grouping column by name, not as a list: the group keys stay scalars (pandas 3 would
    # make them 1-tuples when grouping by a one-element list)
    by = options.by
    keys = by[0] if len(by) == 1 else by
    whole = data.groupby(keys, observed=True).size() if by else pd.Series({(): len(data)})
    groups = table.groupby(keys, sort=False, observed=True).groups if by else {(): table.index}
    n_mask, e_mask = disclosure.mask_column("n"), disclosure.mask_column("n_ended")
    for key, rows in groups.items():
        rows = list(rows)
        mask, hide_total = disclosure.protect_total(table.loc[rows, "n"].to_numpy(),
                                                    out.loc[rows, n_mask].to_numpy(),
                                                    float(whole.get(key, 0)),
                                                    min_cell=options.min_cell)
        if not hide_total:
            continue
        out.loc[rows, n_mask] = mask
        out.loc[rows, "n"] = table.loc[rows, "n"].astype(float).mask(mask)
        out.loc[rows, e_mask] = True
        out.loc[rows, "n_ended"] = np.nan
        for col in ("share", "ci_low", "ci_high"):
            out.loc[rows, disclosure.mask_column(col)] = True
            out.loc[rows, col] = np.nan


@table_options("by", "level", "min_cell", "suppress")
def time_in_service(
    data: pd.DataFrame, *, export_date=None, conf_type: str = "log", options: TableOptions
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
    ep = _ensure_episodes(data, export_date)
    km = kaplan_meier(ep, "days_in_service", "ended", by=options.by, level=options.level, conf_type=conf_type)
    keys = group_keys(ep, options.by)
    frame = pd.concat([keys, ep[["ended"]]], axis=1)
    if options.by:
        table = frame.groupby(options.by).agg(n=("ended", "size"), n_ended=("ended", "sum")).reset_index()
        medians = km.groupby(options.by, sort=False).apply(
            lambda g: pd.Series(km_quantile(g), index=["median_days", "median_ci_low", "median_ci_high"]),
            include_groups=False).reset_index()
        table = table.merge(medians, on=options.by, how="left")
    else:
        table = pd.DataFrame({"n": [len(ep)], "n_ended": [int(ep["ended"].sum())]})
        table[["median_days", "median_ci_low", "median_ci_high"]] = [km_quantile(km)]
    table["n_ended"] = table["n_ended"].astype("int64")
    table.insert(len(options.by) + 2, "n_censored", table["n"] - table["n_ended"])
    derived = {c: ["n"] for c in ("median_days", "median_ci_low", "median_ci_high")}
    out = protect(table, ["n", "n_ended", "n_censored"],
                  along={"n": options.by, "n_ended": options.by, "n_censored": options.by},
                  complements={"n_ended": "n", "n_censored": "n"}, derived=derived,
                  options=options, keys=options.by)
    if options.suppress and options.by:
        out = _protect_ended_and_ongoing(table, out, options)
    return out


def _protect_ended_and_ongoing(table: pd.DataFrame, out: pd.DataFrame,
                               options: TableOptions) -> pd.DataFrame:
    """Ended and ongoing are one two-way table (groups × state) whose margins are published:
    ``n`` per group here, the ended total in the end-reasons table, so ongoing too. Protect
    the two columns together, not one by one (``n − ended`` would give a hidden ongoing
    count back)."""
    by = options.by
    long = table[[*by, "n_ended", "n_censored"]].melt(id_vars=by, var_name="state", value_name="k")
    protected = disclosure.suppress_table(long, "k", along=["state", *by], keys=[*by, "state"],
                                          min_cell=options.min_cell)
    n_hidden = out[disclosure.mask_column("n")].to_numpy()
    for state in ("n_ended", "n_censored"):
        hidden = protected.loc[protected["state"] == state, disclosure.mask_column("k")].to_numpy()
        hidden = hidden | n_hidden
        out[state] = table[state].astype(float).mask(hidden)
        out[disclosure.mask_column(state)] = hidden
    return out


# ---------------------------------------------------------------------------------------------
# Dose and fidelity
# ---------------------------------------------------------------------------------------------


@table_options("by", "min_cell", "suppress")
def dose(
    data: pd.DataFrame, *, measures: Sequence[str] = DOSE_MEASURES, options: TableOptions
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
    measures = list(measures)
    require_columns(data, [*measures, *options.by], "dose", "build data with client_episodes(clients, contacts)")
    keys = group_keys(data, options.by)
    long = pd.concat([keys, data[measures].astype(float)], axis=1).melt(
        id_vars=options.by, value_vars=measures, var_name="measure").dropna(subset=["value"])
    grouped = long.groupby([*options.by, "measure"], sort=False)["value"]
    table = grouped.agg(n="size", mean="mean", sd="std").join(
        grouped.quantile([0.25, 0.5, 0.75]).unstack().set_axis(["q1", "median", "q3"], axis=1)
    ).reset_index()
    table["measure"] = pd.Categorical(table["measure"], categories=measures)
    table = table.sort_values([*options.by, "measure"]).reset_index(drop=True)
    table["measure"] = table["measure"].astype(str)
    stats_cols = ["mean", "sd", "q1", "median", "q3"]
    return protect(table, ["n"], along={"n": options.by}, derived=dict.fromkeys(stats_cols, ["n"]),
                    options=options, keys=[*options.by, "measure"])


def _binary_shares(
    data: pd.DataFrame,
    columns: Sequence[str],
    name: str,
    options: TableOptions,
) -> pd.DataFrame:
    keys = group_keys(data, options.by)
    flags = data[list(columns)].astype(bool)
    long = pd.concat([keys, flags], axis=1).melt(id_vars=options.by, value_vars=list(columns),
                                                 var_name=name, value_name="has")
    table = (long.groupby([*options.by, name], sort=False)["has"]
             .agg(n="size", n_with="sum").reset_index())
    table[name] = pd.Categorical(table[name], categories=list(columns))
    table = table.sort_values([*options.by, name]).reset_index(drop=True)
    table[name] = table[name].astype(str)
    table["n_with"] = table["n_with"].astype("int64")
    table["share"] = table["n_with"] / table["n"]
    table["ci_low"], table["ci_high"] = wilson_ci(table["n_with"], table["n"], options.level)
    # Elements overlap (one client can have several): only the groups are additive.
    return protect(table, ["n", "n_with"], along={"n": options.by, "n_with": options.by},
                    complements={"n_with": "n"},
                    derived={c: ["n", "n_with"] for c in ("share", "ci_low", "ci_high")},
                    options=options, keys=[*options.by, name])


@table_options("by", "level", "min_cell", "suppress")
def fidelity(data: pd.DataFrame, *, options: TableOptions) -> pd.DataFrame:
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
    columns = [*FIDELITY_ELEMENTS, "all_four"]
    require_columns(data, [*columns, *options.by], "fidelity",
             "build data with client_episodes(clients, contacts, goals)")
    return _binary_shares(data, columns, "element", options)


def elements_received(
    data: pd.DataFrame,
    by: str = "gender",
    *,
    min_cell: int = disclosure.MIN_CELL,
) -> disclosure.CrossTab:
    """Clients by group and number of core elements received (0–4), protected for publishing.

    The distribution that :func:`soskulib.plots.fidelity_bars` draws, as the table the page
    publishes beside it. The group totals (the clients by ``by``, shown in other tables of
    the page) and the number who received all four elements (shown by :func:`fidelity`) are
    fixed: they are never complements, so the table cannot contradict the page.

    Examples
    --------
    >>> ep = pd.DataFrame({"gender": ["female"] * 9 + ["male"] * 9,
    ...                    "n_elements": [4] * 6 + [1] * 3 + [4] * 5 + [2] * 4})
    >>> elements_received(ep).display()  # doctest: +NORMALIZE_WHITESPACE
    n_elements 0  1  2   3   4 total
    gender
    female     0 ..  ..  0  6     9
    male       0 ..  ..  0  5     9
    total      0 ..  ..  0 11    18
    """
    require_columns(data, ["n_elements", by], "elements_received")
    all_four = len(FIDELITY_ELEMENTS)
    rows = data.assign(n_elements=data["n_elements"].astype(int).astype(
        pd.CategoricalDtype(range(all_four + 1))))
    return disclosure.crosstab(rows, by, "n_elements", min_cell=min_cell, fixed_totals="column",
                               fixed_cells=[("total", all_four)])


@table_options("by", "level", "min_cell", "suppress")
def contents_received(data: pd.DataFrame, *, options: TableOptions) -> pd.DataFrame:
    """Share of episodes that received each §17 content at least once (Wilson CIs).

    Returns
    -------
    DataFrame
        ``by…, content, n, n_with, share, ci_low, ci_high`` (+ masks).
    """
    columns = [f"content_{c}" for c in _CONTENTS]
    require_columns(data, [*columns, *options.by], "contents_received",
             "build data with client_episodes(clients, contacts)")
    table = _binary_shares(data, columns, "content", options)
    table["content"] = table["content"].str.removeprefix("content_")
    return table


@table_options("by", "level", "min_cell", "suppress")
def fidelity_index(data: pd.DataFrame, *, options: TableOptions) -> pd.DataFrame:
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
    require_columns(data, ["n_elements", *options.by], "fidelity_index",
             "build data with client_episodes(clients, contacts, goals)")
    keys = group_keys(data, options.by)
    frame = pd.concat([keys, (data["n_elements"] / len(FIDELITY_ELEMENTS)).rename("x")], axis=1)
    if options.by:
        rows = frame.groupby(options.by)["x"].apply(lambda s: pd.Series(mean_ci(s, options.level),
                                                               index=["index", "ci_low", "ci_high", "n"]))
        table = rows.unstack().reset_index()
    else:
        table = pd.DataFrame([mean_ci(frame["x"], options.level)], columns=["index", "ci_low", "ci_high", "n"])
    table["n"] = table["n"].astype("int64")
    table[["ci_low", "ci_high"]] = table[["ci_low", "ci_high"]].clip(0, 1)
    table = table[[*options.by, "n", "index", "ci_low", "ci_high"]]
    return protect(table, ["n"], along={"n": options.by},
                    derived=dict.fromkeys(["index", "ci_low", "ci_high"], ["n"]),
                    options=options, keys=options.by)


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
    require_columns(quality, ["municipality", "year", "criterion", "rating"], "quality_profile")
    labels.check_lang(lang)
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


def _with_optional_roles(activities: pd.DataFrame) -> pd.DataFrame:
    """Roles (and pairs) added after the first data layout count as 0 where a log lacks them."""
    added = [*schema.OPTIONAL_ACTIVITY_ROLES, "n_peer_pairs"]
    missing = [r for r in added if r not in activities.columns]
    out = activities.assign(**dict.fromkeys(missing, 0)) if missing else activities
    return out.assign(**{r: out[r].fillna(0) for r in added if out[r].isna().any()})


def lived_experience_share(table: pd.DataFrame) -> pd.Series:
    """Share of participants who bring lived experience (co-development share).

    ``Σ lived-experience roles / n_participants`` over :data:`soskulib.schema.LIVED_EXPERIENCE_ROLES`:
    clients, experts by experience, developer clients (kehittäjäasiakkaat), peer instructors
    (vertaisohjaajat) and client panel members (asiakasraati). Professional–peer pairs are
    not added again: the peer of a pair is in the event's head count under their role.
    NaN where nobody took part.

    Examples
    --------
    >>> t = pd.DataFrame({"n_clients": [2, 0], "n_experts_by_experience": [1, 0],
    ...     "n_developer_clients": [3, 0], "n_peer_instructors": [1, 0], "n_client_panel": [1, 0],
    ...     "n_participants": [16, 0]})
    >>> lived_experience_share(t).tolist()
    [0.5, nan]
    """
    lived = table[list(schema.LIVED_EXPERIENCE_ROLES)].sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return (lived / table["n_participants"]).where(table["n_participants"] > 0)


def codevelopment(
    activities: pd.DataFrame,
    *,
    by: str | Sequence[str] | None = None,
) -> pd.DataFrame:
    """Development events per quarter by type, participants by role, lived-experience share.

    ``share_lived_experience`` = participants with lived experience (clients, experts by
    experience, developer clients, peer instructors, client panel members) / all
    participants (:func:`lived_experience_share`); ``n_peer_pairs`` = professional–peer
    pairs at work in the events (pairs, not extra participants).
    The development-activity log is not personal data (``schema.ACTIVITIES.personal`` is
    ``False``: aggregate head counts at workshops, no identifiers), so it is not suppressed.

    Returns
    -------
    DataFrame
        ``by…, quarter, quarter_start, activity_type, n_events, n_<role>…, n_peer_pairs,
        n_participants, share_lived_experience``; every quarter from the first to the last
        event, every type.

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
    by = as_list(by)
    roles = list(schema.ACTIVITY_ROLES)
    activities = _with_optional_roles(activities)
    require_columns(activities, ["date", "activity_type", *roles, *by], "codevelopment")
    keys = group_keys(activities, by)
    frame = pd.concat([keys, activities[["activity_type", *roles, "n_peer_pairs"]]], axis=1)
    frame["quarter"] = quarter(activities["date"])
    agg = frame.groupby([*by, "quarter", "activity_type"]).agg(
        n_events=("activity_type", "size"), **{r: (r, "sum") for r in [*roles, "n_peer_pairs"]})
    quarters = quarter_range(activities["date"].min(), activities["date"].max())
    types = list(schema.ACTIVITY_TYPE_LABELS)
    groups = agg.index.droplevel([-2, -1]).unique() if by else [()]
    full = pd.MultiIndex.from_tuples(
        [(*(g if isinstance(g, tuple) else (g,)), q, t) for g in groups for q in quarters for t in types],
        names=[*by, "quarter", "activity_type"])
    table = agg.reindex(full, fill_value=0).reset_index()
    table["n_participants"] = table[roles].sum(axis=1)
    table["share_lived_experience"] = lived_experience_share(table)
    table.insert(len(by) + 1, "quarter_start", quarter_start(table["quarter"]).to_numpy())
    return table


def codevelopment_shares(events: pd.DataFrame, *, min_cell: int = disclosure.MIN_CELL) -> pd.DataFrame:
    """Lived-experience share of all participants per quarter, protected: what the
    co-development timeline draws as its line.

    Attendance of people with lived experience (:data:`soskulib.schema.LIVED_EXPERIENCE_ROLES`)
    is a count of people outside the staff: in a quarter where they number 1 …
    ``min_cell − 1`` the share is hidden (``share_suppressed``), since the share and the
    quarter's events would give the count back; a quarter without them shows 0.

    Parameters
    ----------
    events : DataFrame
        :func:`codevelopment` output (summed over any ``by`` groups).
    min_cell : int
        Reporting minimum.

    Returns
    -------
    DataFrame
        ``quarter, n_participants, n_lived, share, share_suppressed``, one row per quarter.

    Examples
    --------
    >>> e = pd.DataFrame({"quarter": ["2017Q1", "2017Q2"], "n_participants": [16, 10],
    ...                   "n_clients": [6, 2], "n_experts_by_experience": [1, 0]})
    >>> codevelopment_shares(e)[["quarter", "n_lived", "share", "share_suppressed"]]
      quarter  n_lived   share  share_suppressed
    0  2017Q1        7  0.4375             False
    1  2017Q2        2     NaN              True
    """
    min_cell = disclosure._check_min_cell(min_cell)
    roles = [r for r in schema.LIVED_EXPERIENCE_ROLES if r in events.columns]
    require_columns(events, ["quarter", "n_participants"], "codevelopment_shares")
    per_q = events.groupby("quarter", sort=True)[["n_participants", *roles]].sum()
    lived = per_q[roles].sum(axis=1)
    hidden = ((lived > 0) & (lived < min_cell)).to_numpy()
    share = (lived / per_q["n_participants"].where(per_q["n_participants"] > 0)).to_numpy(float)
    return pd.DataFrame({"quarter": per_q.index.astype(str), "n_participants": per_q["n_participants"].to_numpy(),
                         "n_lived": lived.to_numpy(), "share": np.where(hidden, np.nan, share),
                         "share_suppressed": hidden})


@table_options("by", "level", "min_cell", "suppress")
def pathways(
    data: pd.DataFrame, *, from_col: str = "target_group", options: TableOptions
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
    require_columns(data, [from_col, "pathway", *options.by], "pathways")
    if from_col in options.by or "pathway" in options.by:
        raise ValueError(f"pathways: by must not contain {from_col!r} or 'pathway'")
    frame = data.dropna(subset=[from_col, "pathway"])
    from_codes = schema.CODE_LABELS.get(from_col)
    if from_col == "age_group":
        from_codes = dict.fromkeys(schema.AGE_GROUP_LABELS)
    from_values = [v for v in (from_codes or sorted(frame[from_col].unique()))
                   if v in set(frame[from_col])]
    # A complete grid (every group × every starting point × every pathway, zeros included):
    # a regular table lets secondary suppression use zero cells and exposes no ragged edges.
    keys = group_keys(frame, options.by)
    counts = pd.concat([keys, frame[[from_col, "pathway"]]], axis=1).groupby(
        [*options.by, from_col, "pathway"]).size()
    groups = (keys.drop_duplicates().sort_values(options.by).apply(tuple, axis=1).tolist()
              if options.by else [()])
    full = pd.MultiIndex.from_tuples(
        [(*g, f, p) for g in groups for f in from_values for p in schema.PATHWAY_LABELS],
        names=[*options.by, from_col, "pathway"])
    table = counts.reindex(full, fill_value=0).rename("n").reset_index()
    table["n_from"] = table.groupby([*options.by, from_col], sort=False)["n"].transform("sum")
    with np.errstate(invalid="ignore", divide="ignore"):
        table["share"] = (table["n"] / table["n_from"]).where(table["n_from"] > 0)
    table["ci_low"], table["ci_high"] = wilson_ci(table["n"], table["n_from"], options.level)
    return protect(table, ["n", "n_from"],
                    along={"n": ["pathway", from_col, *options.by], "n_from": [from_col, *options.by]},
                    derived={c: ["n", "n_from"] for c in ("share", "ci_low", "ci_high")},
                    options=options, keys=[*options.by, from_col, "pathway"])


def _exit_series(ep: pd.DataFrame, by: list[str], quarters: list[str]) -> pd.DataFrame:
    ended = ep.loc[ep["ended"]]
    keys = group_keys(ended, by)
    frame = pd.concat([keys, ended[["exit_quarter"]],
                       (ended["end_reason"] == "dropped_out").rename("dropped")], axis=1)
    agg = frame.groupby([*by, "exit_quarter"]).agg(n_exits=("dropped", "size"),
                                                  n_dropped_out=("dropped", "sum"))
    return _every_quarter(agg, ep, by, quarters)


#: Follow-up window of the dropout series by start cohort: 26 weeks (about six months).
DROPOUT_WINDOW_DAYS = 182


def _cohort_series(ep: pd.DataFrame, by: list[str], window_days: int,
                   horizon: pd.Timestamp) -> pd.DataFrame:
    """Episodes by start quarter and how many of them dropped out within ``window_days``.

    Only start quarters whose every episode has the whole window observed (the quarter's
    last day + ``window_days`` on or before ``horizon``) are returned.
    """
    keys = group_keys(ep, by)
    days = (ep["end_date"] - ep["start_date"]).dt.days
    dropped = (ep["end_reason"] == "dropped_out") & ep["ended"] & (days <= window_days)
    frame = pd.concat([keys, ep[["entry_quarter"]], dropped.rename("dropped")], axis=1)
    agg = frame.groupby([*by, "entry_quarter"]).agg(n_started=("dropped", "size"),
                                                   n_dropped_out=("dropped", "sum"))
    last = horizon - pd.Timedelta(days=int(window_days))
    quarters = [q for q in quarter_range(ep["start_date"].min(), ep["start_date"].max())
                if pd.Period(q, freq="Q").end_time.normalize() <= last]
    return _every_quarter(agg, ep, by, quarters)


def _every_quarter(agg: pd.DataFrame, ep: pd.DataFrame, by: list[str],
                   quarters: list[str]) -> pd.DataFrame:
    """Counts by group and quarter on the complete grid (every group × every quarter).

    A quarter with no episodes is a zero, not a missing row: the run-chart rules and the
    secondary suppression both need the regular grid. The count columns stay integers.
    """
    agg.index = agg.index.set_names([*by, "quarter"])
    if by:
        groups = group_keys(ep, by).drop_duplicates().apply(tuple, axis=1).tolist()
        full = pd.MultiIndex.from_tuples([(*g, q) for g in sorted(groups) for q in quarters],
                                         names=[*by, "quarter"])
    else:
        full = pd.Index(quarters, name="quarter")
    table = agg.reindex(full, fill_value=0).reset_index()
    counts = list(agg.columns)
    table[counts] = table[counts].astype("int64")
    return table


@table_options("by", "min_cell", "suppress")
def dropout_chart(
    data: pd.DataFrame,
    *,
    export_date=None,
    series: str = "cohort",
    window_days: int = DROPOUT_WINDOW_DAYS,
    baseline: int | None = None,
    phase_start: str | None = None,
    shift: int = 6,
    trend: int = 5,
    options: TableOptions,
) -> pd.DataFrame:
    """Quarterly dropout share with p-chart limits and run-chart signals, per group.

    Two definitions of the quarterly series (``series``):

    * ``"cohort"`` (default): episodes by **start quarter**; ``n_started`` episodes started
      in the quarter, ``n_dropped_out`` of them dropped out within ``window_days`` of their
      start (26 weeks by default), ``p = n_dropped_out / n_started``: the cumulative
      incidence of dropout in a fixed window. Only start quarters whose whole window is
      observed by the export date are shown, so every point has complete follow-up.
    * ``"exit"``: episodes by **end quarter**; ``n_exits`` ended episodes, ``n_dropped_out``
      of them dropouts, ``p = n_dropped_out / n_exits``. This share is biased while a
      service starts up (the first episodes to end are the short ones, and dropouts are
      short) and when intake stops (the long episodes end last): in the demo it reads about
      0.45 in the first year against a true 0.22–0.35. Use it only for a service running
      in a steady state.

    p-chart (Montgomery 2019, §7.2): centre
    ``p̄ = Σ dropouts / Σ n`` (over the first ``baseline`` quarters with episodes of each
    phase when given), limits ``p̄ ± 3 √(p̄(1 − p̄)/n_i)``. Run-chart rules (Perla et al. 2011)
    around the median of ``p``: shift, trend, astronomical point; plus the Shewhart rule
    (point outside the 3σ limits). ``phase_start`` (e.g. ``"2017Q2"``, the quarter a change
    was introduced) splits the series into phases with their own centre lines.

    Signals are computed from the unsuppressed series; the published counts and ``p`` are
    suppressed as usual (a suppressed point is drawn as a gap).

    Returns
    -------
    DataFrame
        ``by…, quarter, quarter_start, phase, n_started`` (cohort; ``n_exits`` for
        ``"exit"``) ``, n_dropped_out, p, centre, lcl, ucl, median, outside_limits, shift,
        trend, astronomical, signal, reasons, runs, runs_lower, runs_upper, too_few_runs,
        too_many_runs`` (+ masks). ``quarter`` is the start quarter (cohort) or the end
        quarter (exit); ``table.attrs["series"]`` and ``["window_days"]`` say which.

    Examples
    --------
    >>> c = pd.DataFrame({"start_date": pd.to_datetime(["2016-01-10"] * 20 + ["2016-04-10"] * 20),
    ...     "end_date": pd.to_datetime(["2016-03-01"] * 10 + ["2016-12-01"] * 10
    ...                                + ["2016-05-01"] * 2 + ["2017-01-20"] * 18),
    ...     "end_reason": ["dropped_out"] * 10 + ["completed"] * 10 + ["dropped_out"] * 2
    ...                   + ["completed"] * 18})
    >>> out = dropout_chart(c, min_cell=1)
    >>> out[["quarter", "n_started", "p", "centre"]]
      quarter  n_started    p  centre
    0  2016Q1       20.0  0.5     0.3
    1  2016Q2       20.0  0.1     0.3
    >>> dropout_chart(c, series="exit", min_cell=1)[["quarter", "n_exits", "p"]].head(1)
      quarter  n_exits    p
    0  2016Q1     10.0  1.0
    """
    require_columns(data, ["end_reason", *options.by], "dropout_chart")
    if series not in ("cohort", "exit"):
        raise ValueError(f"dropout_chart: series must be 'cohort' or 'exit', got {series!r}")
    if int(window_days) < 1:
        raise ValueError(f"dropout_chart: window_days must be at least 1, got {window_days}")
    ep = _ensure_episodes(data, export_date)
    if series == "exit":
        count = "n_exits"
        table = _exit_series(ep, options.by, quarter_range(ep["start_date"].min(), ep["stop_date"].max()))
    else:
        count = "n_started"
        horizon = pd.Timestamp(export_date) if export_date is not None else ep["stop_date"].max()
        table = _cohort_series(ep, options.by, int(window_days), horizon)
    table["phase"] = "all" if phase_start is None else np.where(
        pd.PeriodIndex(table["quarter"], freq="Q") < pd.Period(phase_start, freq="Q"), "before", "after")
    parts = []
    for _, part in (table.groupby(options.by, sort=False) if options.by else [((), table)]):
        part = part.reset_index(drop=True)
        chart = spc.p_chart(part["n_dropped_out"], part[count], phase=part["phase"],
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
    table.insert(len(options.by) + 1, "quarter_start", quarter_start(table["quarter"]).to_numpy())
    if phase_start is None:
        table = table.drop(columns="phase")
    key_cols = [*options.by, "quarter", "quarter_start"] + ([] if phase_start is None else ["phase"])
    out = protect(table, [count, "n_dropped_out"],
                  along={count: ["quarter", *options.by], "n_dropped_out": ["quarter", *options.by]},
                  complements={"n_dropped_out": count},
                  derived={"p": [count, "n_dropped_out"], "lcl": [count], "ucl": [count]},
                  options=options, keys=key_cols)
    out.attrs["series"] = series
    out.attrs["window_days"] = int(window_days) if series == "cohort" else None
    return out


@table_options("by", "min_cell", "suppress")
def quarterly_frame(
    data: pd.DataFrame,
    activities: pd.DataFrame | None = None,
    changes: pd.DataFrame | None = None,
    *,
    export_date=None,
    options: TableOptions,
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
    by_l = options.by
    if by_l not in ([], ["municipality"]):
        raise ValueError("quarterly_frame can be split by 'municipality' only (the activity "
                         "log has no client attributes)")
    ep = _ensure_episodes(data, export_date)
    first = min(d for d in [ep["start_date"].min(),
                            activities["date"].min() if activities is not None else None]
                if d is not None and pd.notna(d))
    quarters = quarter_range(first, ep["stop_date"].max())
    keys = group_keys(ep, by_l)
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
        lived = list(schema.LIVED_EXPERIENCE_ROLES)
        totals = cod.groupby([*by_l, "quarter"])[["n_events", "n_participants", *lived]].sum()
        totals["share_lived_experience"] = lived_experience_share(totals)
        act = totals.drop(columns=lived).join(wide).reset_index()
        table = table.merge(act, on=[*by_l, "quarter"], how="left")
        event_cols = [c for c in act.columns if c.startswith("n_")]
        table[event_cols] = table[event_cols].fillna(0).astype("int64")
    count_cols = ["n_entries", "n_exits", "n_dropped_out"]
    derived = {"dropout_share": ["n_exits", "n_dropped_out"]}
    if changes is not None:
        require_columns(changes, ["client_id", "date", "change"], "quarterly_frame (changes)")
        ch = changes.dropna(subset=["change", "date"])
        ch = ch.assign(quarter=quarter(ch["date"]))
        if by_l:
            ch = ch.assign(municipality=ch["municipality"]) if "municipality" in ch.columns else \
                ch.merge(ep[["client_id", "municipality"]].drop_duplicates("client_id"), on="client_id")
        agg = ch.groupby([*by_l, "quarter"])["change"].agg(n_change="size", mean_change="mean")
        table = table.merge(agg.reset_index(), on=[*by_l, "quarter"], how="left")
        table["n_change"] = table["n_change"].fillna(0).astype("int64")
        count_cols.append("n_change")
        derived["mean_change"] = ["n_change"]
    table.insert(len(by_l) + 1, "quarter_start", quarter_start(table["quarter"]).to_numpy())
    keys_cols = [*by_l, "quarter", "quarter_start"]
    along = {c: ["quarter", *by_l] for c in count_cols}
    return protect(table, count_cols, along=along, derived=derived,
                    complements={"n_dropped_out": "n_exits"}, options=options, keys=keys_cols)




@table_options("by", "min_cell", "suppress")
def codevelopment_summary(activities: pd.DataFrame, *, options: TableOptions) -> pd.DataFrame:
    """Development events and attendance by activity type over the whole period.

    Attendance of **clients and experts by experience** is a count of people outside the
    staff: it passes through :func:`soskulib.disclosure.suppress_table` (project decision);
    staff and third-sector attendance counts are published as they are. Attendances, not
    distinct people: one person at three workshops counts three times.

    The lived-experience roles are those of :data:`soskulib.schema.LIVED_EXPERIENCE_ROLES`
    (clients, experts by experience, developer clients, peer instructors, client panel
    members), all protected. Professional–peer pairs are not a column here: their peers are
    in the head count under their roles (:func:`soskulib.development.level_activity` shows
    the pairs per level).

    Returns
    -------
    DataFrame
        ``by…, activity_type, n_events, n_managers, n_workers, n_clients,
        n_experts_by_experience, n_third_sector, n_developer_clients, n_peer_instructors,
        n_client_panel, n_participants`` (+ masks); the lived-experience columns hide where
        small.
    """
    roles = list(schema.ACTIVITY_ROLES)
    activities = _with_optional_roles(activities)
    require_columns(activities, ["activity_type", *roles, *options.by], "codevelopment_summary")
    keys = group_keys(activities, options.by)
    frame = pd.concat([keys, activities[["activity_type", *roles]]], axis=1)
    types = list(schema.ACTIVITY_TYPE_LABELS)
    agg = frame.groupby([*options.by, "activity_type"]).agg(
        n_events=("activity_type", "size"), **{r: (r, "sum") for r in roles})
    if options.by:
        groups = agg.index.droplevel(-1).unique()
        full = pd.MultiIndex.from_tuples(
            [(*(g if isinstance(g, tuple) else (g,)), t) for g in groups for t in types],
            names=[*options.by, "activity_type"])
    else:
        full = pd.Index(types, name="activity_type")
    table = agg.reindex(full, fill_value=0).reset_index()
    table[["n_events", *roles]] = table[["n_events", *roles]].astype("int64")
    table["n_participants"] = table[roles].sum(axis=1)
    people = list(schema.LIVED_EXPERIENCE_ROLES)
    return protect(table, people, along=dict.fromkeys(people, ["activity_type", *options.by]),
                    derived={"n_participants": people}, options=options,
                    keys=[*options.by, "activity_type"])



def quality_change_table(changes: pd.DataFrame, lang: str = "fi") -> pd.DataFrame:
    """Change of each quality criterion's rating (first → last year), criteria × municipalities.

    ``changes`` is :func:`soskulib.process.quality_change` output; municipality names in
    ``lang``. Not counts of people.
    """
    from soskulib import schema

    orgs = schema.organisations().set_index("code")[f"name_{labels.check_lang(lang)}"].to_dict()
    wide = spread(changes.assign(criterion_label=changes["criterion"].astype(str) + ". "
                                 + changes["criterion_label"]),
                  "criterion_label", "municipality", "change", labels_for={"municipality": orgs})
    wide.index.name = labels.text("col.criterion", lang)
    wide.columns.name = None
    return wide
