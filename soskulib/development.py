"""Development work in depth: the loop between levels, experiments on the charts, roles, continuity.

The seeds describe Kuntoutussäätiö's developmental evaluation as three levels of support (1
regional and national arenas, 2 workshop groups across sub-projects, 3 intensive network
development in a few municipalities) and a loop: local results go up a level, outputs and new
ideas come back down. This module turns the development-work records of
:mod:`soskulib.schema` (activities with levels, the idea/experiment register, workers and
method families on contacts, open group sessions, placements held) into tables:

* :func:`level_activity` and :func:`level_loop` — events per level and quarter; ideas raised
  at one level and taken up at another (not personal data: no suppression needed);
  :func:`level3_sites` — the intensive level-3 sites (sub-project flag) and their events;
  :func:`theme_groups` — level-2 workshop groups by theme;
* :func:`experiment_tests` — "did the chart move after we changed X?": for each experiment,
  the run-chart rules of :mod:`soskulib.spc` (Perla, Provost & Murray 2011) with the centre
  frozen at the median of the quarters before it; :func:`dropout_series` and
  :func:`outcome_series` give the quarterly series they are tested on;
* :func:`participation` — participation in development work by role and by gender (counts of
  attendances, protected with :func:`soskulib.disclosure.suppress_table`);
* :func:`continuity` — usual-provider continuity per client (Breslau & Reeb 1975);
* :func:`method_mix`, :func:`group_sessions`, :func:`placements`, :func:`target_group_sets`;
* :func:`reach_against_need` — clients per 1,000 of a need population from a user-supplied
  context table (:func:`read_context`; a synthetic demo table ships as
  ``soskulib/data/context_demo.csv``).

Functions whose output counts people return it protected (cells under
:data:`soskulib.disclosure.MIN_CELL` hidden, with ``*_suppressed`` masks) unless
``suppress=False``; the others say in their docstring why they need none.

Examples
--------
>>> import pandas as pd
>>> from soskulib import development
>>> ideas = pd.DataFrame({"municipality": ["092", "092"], "experiment_id": ["a", "b"],
...     "raised_level": ["level_3", "level_2"], "adopted_level": ["level_1", None],
...     "status": ["adopted", "tried"],
...     "start_date": pd.to_datetime(["2017-03-15", "2017-05-01"]),
...     "status_date": pd.to_datetime(["2018-01-15", None])})
>>> development.loop_matrix(ideas)["n_ideas"].tolist()
[1]
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from soskulib import disclosure, schema, spc
from soskulib.change import wilson_ci
from soskulib.errors import ConfigurationError

#: Pathways that are placements whose holding is followed up (§17: "placement ... and
#: preventing drop-out").
PLACEMENT_PATHWAYS = ("work", "education", "work_trial", "rehabilitative_work", "work_workshop",
                      "kela_rehabilitation", "typ_joint_service", "wage_subsidised_work")
#: Contact modes of individual work (continuity is measured on these).
INDIVIDUAL_MODES = ("individual", "outreach")
_LEVELS = list(schema.LEVEL_LABELS)


def _need(df: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise KeyError(f"{what}: missing column(s) {', '.join(missing)}; pass the processed "
                       f"table (soskulib.io.load_processed)")


def _quarter(dates: pd.Series) -> pd.Series:
    return pd.to_datetime(dates).dt.to_period("Q").astype(str).where(pd.notna(dates))


# ---------------------------------------------------------------------------------------------
# Levels and the loop
# ---------------------------------------------------------------------------------------------

def level_activity(activities: pd.DataFrame, *, freq: str = "Q") -> pd.DataFrame:
    """Development events per level and quarter, with the organisations taking part.

    An event shared by several organisations is logged once (by its host) with all of them
    in ``organisations``, so ``n_organisations`` counts distinct organisations that took part
    in at least one event of that level in the quarter. Events of the first data layout
    (no level) are counted under ``level = "(not recorded)"``. Aggregate attendance of
    events is not a count of identified people: no suppression.

    Parameters
    ----------
    activities : DataFrame
        Processed ``activities`` (``date, level, organisations, n_<role>``…).
    freq : {"Q", "Y"}
        Per calendar quarter (column ``quarter``) or year (column ``year``).

    Returns
    -------
    DataFrame
        ``quarter`` (or ``year``)``, level, n_events, n_organisations, n_participants,
        n_peer_pairs`` (professional–peer pairs at work; their people are in
        ``n_participants`` under their roles).

    Examples
    --------
    >>> a = pd.DataFrame({"date": pd.to_datetime(["2017-05-17", "2017-06-01"]),
    ...     "level": ["level_1", "level_2"], "organisations": ["092;179;205", "092"],
    ...     **{r: [3, 1] for r in schema.ACTIVITY_ROLES}})
    >>> level_activity(a)[["level", "n_events", "n_organisations"]].values.tolist()
    [['level_1', 1, 3], ['level_2', 1, 1]]
    """
    _need(activities, ["date", "level", "organisations"], "level_activity")
    if freq not in ("Q", "Y"):
        raise ValueError(f"level_activity: freq must be 'Q' or 'Y', got {freq!r}")
    period = "quarter" if freq == "Q" else "year"
    when = (_quarter(activities["date"]) if freq == "Q"
            else pd.to_datetime(activities["date"]).dt.year)
    frame = activities.assign(**{period: when},
                              level=activities["level"].fillna("(not recorded)"))
    roles = [r for r in schema.ACTIVITY_ROLES if r in frame.columns]
    frame["n_participants"] = frame[roles].sum(axis=1)
    frame["n_peer_pairs"] = (frame["n_peer_pairs"].fillna(0) if "n_peer_pairs" in frame.columns
                             else 0)
    orgs = frame.assign(org=frame["organisations"].fillna(frame.get("municipality", "")).str.split(";"))
    orgs = orgs.explode("org")
    n_orgs = orgs.groupby([period, "level"])["org"].nunique().rename("n_organisations")
    out = frame.groupby([period, "level"]).agg(n_events=("level", "size"),
                                               n_participants=("n_participants", "sum"),
                                               n_peer_pairs=("n_peer_pairs", "sum"))
    out = out.join(n_orgs).reset_index()
    out[["n_participants", "n_peer_pairs"]] = out[["n_participants", "n_peer_pairs"]].astype("int64")
    return out[[period, "level", "n_events", "n_organisations", "n_participants", "n_peer_pairs"]]


def theme_groups(activities: pd.DataFrame, *, level: str = "level_2") -> pd.DataFrame:
    """Workshop groups by theme: events, organisations taking part, first and last quarter.

    The seed's level 2 joins "several sub-projects around a theme"; this table shows, per
    theme (``teema``) of the events at ``level`` shared by at least two organisations, how
    many events there were and how many distinct organisations took part in at least one
    (an organisation's own level-2 events are not cross-project groups). Events, not
    people: no suppression.

    Returns
    -------
    DataFrame
        ``theme, n_events, n_organisations, first_quarter, last_quarter``, most events first.

    Examples
    --------
    >>> a = pd.DataFrame({"level": ["level_2"] * 4 + ["level_3"],
    ...     "theme": ["Nuoret", "Nuoret", "Mittarit", "oma", "x"],
    ...     "organisations": ["092;179", "179;698", "092;410", "092", "092;179"],
    ...     "date": pd.to_datetime(["2016-05-01", "2017-02-01", "2016-09-01", "2016-01-01",
    ...                             "2016-01-01"])})
    >>> theme_groups(a)[["theme", "n_events", "n_organisations", "last_quarter"]].values.tolist()
    [['Nuoret', 2, 3, '2017Q1'], ['Mittarit', 1, 2, '2016Q3']]
    """
    _need(activities, ["level", "theme", "organisations", "date"], "theme_groups")
    rows = activities[(activities["level"] == level) & activities["theme"].notna()
                      & (activities["organisations"].fillna("").str.count(";") >= 1)]
    orgs = rows.assign(org=rows["organisations"].str.split(";")).explode("org")
    out = rows.groupby("theme").agg(n_events=("theme", "size"), first=("date", "min"),
                                    last=("date", "max"))
    out["n_organisations"] = orgs.groupby("theme")["org"].nunique()
    out["first_quarter"] = _quarter(out["first"])
    out["last_quarter"] = _quarter(out["last"])
    out = out.reset_index().sort_values(["n_events", "theme"], ascending=[False, True])
    out[["n_events", "n_organisations"]] = out[["n_events", "n_organisations"]].astype("int64")
    return out[["theme", "n_events", "n_organisations", "first_quarter", "last_quarter"]
               ].reset_index(drop=True)


def level3_sites(subprojects: pd.DataFrame, activities: pd.DataFrame) -> pd.DataFrame:
    """The intensive level-3 sites and the development events each organisation logged.

    The seeds' third level is "intensive network development in a few municipalities,
    representative by region and by how services are organised": ``level3_site`` is the
    sub-project flag (``osahankkeet.taso3``), ``n_level3_events`` the level-3 events the
    organisation logged and ``n_events`` all its events (shared events counted for their
    host). ``consistent`` is False where the two disagree: a flagged site without level-3
    events, or level-3 events of an organisation not flagged (validation warns about the
    latter, rule ``level3_not_intensive_site``). Events, not people: no suppression.

    Parameters
    ----------
    subprojects : DataFrame
        Processed ``subprojects`` (``municipality, level3_site``).
    activities : DataFrame
        Processed ``activities`` (``municipality, level``).

    Returns
    -------
    DataFrame
        ``municipality, level3_site, n_events, n_level3_events, share_level3, consistent``,
        flagged sites first.

    Examples
    --------
    >>> sub = pd.DataFrame({"municipality": ["092", "179"], "level3_site": ["yes", "no"]})
    >>> act = pd.DataFrame({"municipality": ["092", "092", "179"],
    ...                     "level": ["level_3", "level_2", "level_3"]})
    >>> level3_sites(sub, act)[["municipality", "n_level3_events", "consistent"]].values.tolist()
    [['092', 1, True], ['179', 1, False]]
    """
    _need(subprojects, ["municipality", "level3_site"], "level3_sites")
    _need(activities, ["municipality", "level"], "level3_sites")
    acts = activities.assign(municipality=activities["municipality"].astype(str))
    counts = acts.groupby("municipality").agg(
        n_events=("level", "size"), n_level3_events=("level", lambda v: int((v == "level_3").sum())))
    out = subprojects[["municipality", "level3_site"]].assign(
        municipality=subprojects["municipality"].astype(str)).merge(
        counts.reset_index(), on="municipality", how="outer")
    out[["n_events", "n_level3_events"]] = out[["n_events", "n_level3_events"]].fillna(0).astype("int64")
    with np.errstate(invalid="ignore", divide="ignore"):
        out["share_level3"] = (out["n_level3_events"] / out["n_events"]).where(out["n_events"] > 0)
    flagged = out["level3_site"] == "yes"
    out["consistent"] = np.where(out["level3_site"].isna(), True,
                                 flagged == (out["n_level3_events"] > 0))
    out["consistent"] = out["consistent"].astype(bool)
    order = out.assign(_f=~flagged).sort_values(["_f", "municipality"]).drop(columns="_f")
    return order.reset_index(drop=True)


def loop_matrix(experiments: pd.DataFrame) -> pd.DataFrame:
    """Ideas by the level where they were raised × the level where they were taken up.

    Only adopted ideas with both levels recorded enter. ``direction`` is ``"up"`` when the
    level of adoption is more general (a lower number: 3 → 1), ``"down"`` when more local, and
    ``"same"``. Ideas are not people: no suppression.

    Parameters
    ----------
    experiments : DataFrame
        Processed ``experiments``.

    Returns
    -------
    DataFrame
        ``raised_level, adopted_level, direction, n_ideas``.

    Examples
    --------
    >>> e = pd.DataFrame({"raised_level": ["level_3", "level_3", "level_2"],
    ...     "adopted_level": ["level_1", "level_1", "level_2"],
    ...     "status": ["adopted"] * 3})
    >>> loop_matrix(e).values.tolist()
    [['level_2', 'level_2', 'same', 1], ['level_3', 'level_1', 'up', 2]]
    """
    _need(experiments, ["raised_level", "adopted_level", "status"], "loop_matrix")
    done = experiments[(experiments["status"] == "adopted") & experiments["raised_level"].notna()
                       & experiments["adopted_level"].notna()]
    out = done.groupby(["raised_level", "adopted_level"]).size().rename("n_ideas").reset_index()
    out.insert(2, "direction", _direction(out["raised_level"], out["adopted_level"]))
    return out


def _direction(raised: pd.Series, adopted: pd.Series) -> np.ndarray:
    r = raised.str.removeprefix("level_").astype(int).to_numpy()
    a = adopted.str.removeprefix("level_").astype(int).to_numpy()
    return np.where(a < r, "up", np.where(a > r, "down", "same"))


def level_loop(experiments: pd.DataFrame) -> pd.DataFrame:
    """Ideas per quarter: raised at each level, and taken up at another level (the loop).

    Each idea counts once when it is raised (quarter of ``start_date``, at ``raised_level``)
    and, if adopted, once when it is taken up (quarter of ``status_date``, at
    ``adopted_level``); ``n_moved_up`` / ``n_moved_down`` count adoptions at a different level
    than where the idea came from. Not personal data: no suppression.

    Parameters
    ----------
    experiments : DataFrame
        Processed ``experiments``.

    Returns
    -------
    DataFrame
        ``quarter, level, n_raised, n_adopted, n_moved_up, n_moved_down`` over every quarter
        from the first to the last date and every level.

    Examples
    --------
    >>> e = pd.DataFrame({"raised_level": ["level_3"], "adopted_level": ["level_1"],
    ...     "status": ["adopted"], "start_date": pd.to_datetime(["2017-03-15"]),
    ...     "status_date": pd.to_datetime(["2018-01-15"])})
    >>> out = level_loop(e)
    >>> out.loc[out["n_raised"] + out["n_adopted"] > 0,
    ...         ["quarter", "level", "n_raised", "n_adopted", "n_moved_up"]].values.tolist()
    [['2017Q1', 'level_3', 1, 0, 0], ['2018Q1', 'level_1', 0, 1, 1]]
    """
    _need(experiments, ["raised_level", "adopted_level", "status", "start_date", "status_date"],
          "level_loop")
    raised = experiments.dropna(subset=["raised_level", "start_date"])
    raised = pd.DataFrame({"quarter": _quarter(raised["start_date"]), "level": raised["raised_level"],
                           "n_raised": 1})
    adopted = experiments[(experiments["status"] == "adopted")
                          & experiments["adopted_level"].notna() & experiments["status_date"].notna()]
    direction = (_direction(adopted["raised_level"].fillna(adopted["adopted_level"]),
                            adopted["adopted_level"]) if len(adopted) else np.array([], dtype=str))
    adopted = pd.DataFrame({"quarter": _quarter(adopted["status_date"]),
                            "level": adopted["adopted_level"], "n_adopted": 1,
                            "n_moved_up": (direction == "up").astype(int),
                            "n_moved_down": (direction == "down").astype(int)})
    both = pd.concat([raised, adopted], ignore_index=True).fillna(0)
    counts = ["n_raised", "n_adopted", "n_moved_up", "n_moved_down"]
    for c in counts:
        if c not in both:
            both[c] = 0
    agg = both.groupby(["quarter", "level"])[counts].sum()
    if both.empty:
        return pd.DataFrame(columns=["quarter", "level", *counts])
    quarters = pd.period_range(min(both["quarter"]), max(both["quarter"]), freq="Q").astype(str)
    full = pd.MultiIndex.from_product([quarters, _LEVELS], names=["quarter", "level"])
    return agg.reindex(full, fill_value=0).astype("int64").reset_index()


# ---------------------------------------------------------------------------------------------
# Experiments on the charts
# ---------------------------------------------------------------------------------------------

def dropout_series(episodes: pd.DataFrame, *, export_date=None,
                   window_days: int | None = None) -> pd.DataFrame:
    """Quarterly dropout share per municipality by start cohort (unsuppressed: for testing).

    The series :func:`soskulib.process.dropout_chart` draws (its default ``series="cohort"``):
    episodes by **start quarter**, ``value`` = share that dropped out within ``window_days``
    of starting (default :data:`soskulib.process.DROPOUT_WINDOW_DAYS`, 26 weeks), only
    quarters whose whole window is observed. The share of dropouts among episodes *ending* in
    a quarter is not used: it is biased upwards while a service starts up (the first episodes
    to end are the short ones, mostly dropouts) and downwards when intake stops, which made
    run-chart rules flag changes that never happened. Taken with ``suppress=False`` because
    the rules must see every quarter; :func:`experiment_tests` publishes only the verdicts.

    Returns
    -------
    DataFrame
        ``municipality, quarter, value, n, events`` (``value`` = dropout share, ``n`` = episodes
        started, ``events`` = of them dropped out within the window).

    Examples
    --------
    >>> ep = pd.DataFrame({"municipality": "092",
    ...     "start_date": pd.to_datetime(["2016-01-10"] * 10 + ["2016-04-10"] * 10),
    ...     "end_date": pd.to_datetime(["2016-03-01"] * 4 + ["2016-12-01"] * 6
    ...                                + ["2016-05-01"] + ["2017-02-01"] * 9),
    ...     "end_reason": ["dropped_out"] * 4 + ["completed"] * 6 + ["dropped_out"]
    ...                   + ["completed"] * 9})
    >>> dropout_series(ep)[["quarter", "value", "n", "events"]].values.tolist()
    [['2016Q1', 0.4, 10.0, 4.0], ['2016Q2', 0.1, 10.0, 1.0]]
    """
    import warnings

    from soskulib import process

    window = process.DROPOUT_WINDOW_DAYS if window_days is None else int(window_days)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        chart = process.dropout_chart(episodes, by="municipality", export_date=export_date,
                                      series="cohort", window_days=window, suppress=False)
    return pd.DataFrame({"municipality": chart["municipality"], "quarter": chart["quarter"],
                         "value": chart["p"].astype(float), "n": chart["n_started"].astype(float),
                         "events": chart["n_dropped_out"].astype(float)})


def outcome_series(changes: pd.DataFrame, instrument: str) -> pd.DataFrame:
    """Quarterly mean change on one instrument per municipality (by quarter of the end assessment).

    ``changes`` is :func:`soskulib.outcomes.change_scores` output; the change is oriented so
    that positive = improvement (the instrument's ``higher_is_better``). For testing, not
    publishing (means of small quarters are not protected here).

    Returns
    -------
    DataFrame
        ``municipality, quarter, value, n``.
    """
    from soskulib import instruments

    _need(changes, ["municipality", "instrument", "scale", "date", "change"], "outcome_series")
    inst = instruments.get(instrument)
    rows = changes[(changes["instrument"] == instrument) & (changes["scale"] == inst.headline)]
    sign = 1.0 if inst.scales[inst.headline].higher_is_better else -1.0
    frame = rows.assign(quarter=_quarter(rows["date"]), value=sign * rows["change"])
    out = frame.groupby(["municipality", "quarter"]).agg(value=("value", "mean"), n=("value", "size"))
    return out.reset_index()


def outcome_chart(
    changes: pd.DataFrame,
    instrument: str,
    *,
    min_cell: int = disclosure.MIN_CELL,
    suppress: bool = True,
) -> pd.DataFrame:
    """The quarterly mean change on one instrument as published on a chart (protected).

    :func:`outcome_series` with ``quarter_start`` (for a time axis) and disclosure control
    (in the example the quarter of 2 is hidden, and 2017Q2 with it: the total of 15 pairs is
    published elsewhere, so 2 = 15 − 6 − 7 would give it back):
    ``n`` (clients with an end assessment in the quarter) under ``min_cell`` is hidden,
    with secondary suppression along the quarters of a municipality (their sum is the
    instrument's number of pairs, published in the outcome tables), and ``value`` (a mean of
    discrete scores gives ``n`` back) is hidden with it.

    Returns
    -------
    DataFrame
        ``municipality, quarter, quarter_start, n, value`` (+ ``n_suppressed``,
        ``value_suppressed``), one row per quarter from the first to the last.

    Examples
    --------
    >>> ch = pd.DataFrame({"municipality": "092", "instrument": "esis", "scale": "total",
    ...     "date": pd.to_datetime(["2017-05-01"] * 6 + ["2017-08-01"] * 2 + ["2017-11-01"] * 7),
    ...     "change": [1.0] * 15})
    >>> outcome_chart(ch, "esis")[["quarter", "n", "value"]].values.tolist()  # 2 < 5: hidden,
    [['2017Q2', nan, nan], ['2017Q3', nan, nan], ['2017Q4', 7.0, 1.0]]
    """
    from soskulib.frames import quarter_range, quarter_start

    series = outcome_series(changes, instrument)
    parts = []
    for muni, part in series.groupby("municipality", sort=True, observed=True):
        quarters = quarter_range(pd.Period(part["quarter"].min()).start_time,
                                 pd.Period(part["quarter"].max()).start_time)
        full = part.set_index("quarter").reindex(quarters).rename_axis("quarter").reset_index()
        parts.append(full.assign(municipality=muni, n=full["n"].fillna(0)))
    cols = ["municipality", "quarter", "n", "value"]
    table = pd.concat(parts, ignore_index=True)[cols] if parts else pd.DataFrame(columns=cols)
    table["n"] = table["n"].astype(float)
    table.insert(2, "quarter_start", quarter_start(table["quarter"]).to_numpy())
    return disclosure.suppress_table(table, "n", along={"n": "quarter"},
                                     keys=["municipality", "quarter"], derived={"value": "n"},
                                     min_cell=min_cell, suppress=suppress)


def experiment_tests(
    series: pd.DataFrame,
    experiments: pd.DataFrame,
    *,
    measure: str = "dropout",
    shift: int = 6,
    trend: int = 5,
    min_before: int = 4,
    min_cell: int = disclosure.MIN_CELL,
) -> pd.DataFrame:
    """Did the chart move after the experiment? A before/after test by the run-chart rules.

    For each experiment of ``experiments`` that targets ``measure`` in a municipality with a
    series: the quarters that ended before the experiment's start date form the baseline, the
    quarters that began on or after it are "after"; a quarter during which the experiment
    started (after its first day) is neither and is left out. The centre line is frozen at
    the median of the baseline quarters and extended over the quarters after (Provost &
    Murray 2011, ch. 3), and the rules of Perla, Provost & Murray (2011) are applied to the
    quarters after the start: a *shift* (``shift`` or more consecutive after-quarters on one
    side of the frozen median), a *trend* (``trend`` after-quarters going one way; a run or
    trend that began in the baseline says the series was moving before the change, so it is
    not counted), and an "obviously different" point. For a proportion (a series with an ``events`` column,
    e.g. :func:`dropout_series`) that point is one outside the 3σ limits of a p-chart whose
    centre is the baseline's pooled share (Montgomery 2019, §7.2; rule ``outside_limits``):
    the binomial standard error of each quarter is known, so the individuals-chart estimate
    from a handful of moving ranges (``astronomical``, used for means) is not needed; it made
    a chance quarter "astronomical" in about one null series in twelve with ten quarters.
    ``signal`` is True when any rule fires after the start. This is a test that the
    *process changed*, not that the experiment caused the change.

    For a cohort series (:func:`dropout_series`), cohorts that started shortly before the
    experiment are partly exposed to it when it also reaches clients already in service;
    the baseline then moves towards the "after" level and the test is conservative.

    Operating characteristics on the demo's scale (binomial simulation, 3,000 replicates, ten
    quarterly cohorts): a fall of the 26-week dropout share from 0.28 to 0.12 with about 38
    starters per quarter, 4 quarters before and 6 after, is flagged in about 95 % of series;
    a flat series (0.17, about 26 starters per quarter, 5 before, 4 after) in about 5 %.

    Parameters
    ----------
    series : DataFrame
        ``municipality, quarter, value, n`` and, for a proportion, ``events``
        (:func:`dropout_series`, :func:`outcome_series`).
    experiments : DataFrame
        Processed ``experiments`` (``municipality, experiment_id, start_date, target_measure``).
    measure : str
        Target measure code the series belongs to (``"dropout"``, an instrument id).
    shift, trend : int
        Rule lengths (Perla et al.: 6 and 5).
    min_before : int
        Fewer baseline quarters than this: no test (``signal`` NaN, ``note`` says why).
    min_cell : int
        The medians are published only when every quarter of the series has at least this
        many observations (they are shares or means of small groups otherwise).

    Returns
    -------
    DataFrame
        ``municipality, experiment_id, description, start_quarter, n_before, n_after,
        median_before, median_after, direction ("down"/"up"/"none"), rules, signal, note``.

    Examples
    --------
    >>> s = pd.DataFrame({"municipality": "092", "quarter": pd.period_range(
    ...     "2016Q1", "2018Q4", freq="Q").astype(str),
    ...     "value": [.35, .3, .4, .33, .36, .1, .12, .15, .1, .14, .12, .11], "n": 30})
    >>> e = pd.DataFrame({"municipality": ["092"], "experiment_id": ["K1"],
    ...     "description": ["x"], "start_date": pd.to_datetime(["2017-03-15"]),
    ...     "target_measure": ["dropout"]})
    >>> out = experiment_tests(s, e)
    >>> out[["start_quarter", "n_before", "n_after", "direction", "rules", "signal"]].values.tolist()
    [['2017Q1', 4, 7, 'down', 'shift;astronomical', True]]
    """
    _need(series, ["municipality", "quarter", "value", "n"], "experiment_tests")
    _need(experiments, ["municipality", "experiment_id", "start_date", "target_measure"],
          "experiment_tests")
    chosen = experiments[(experiments["target_measure"] == measure)
                         & experiments["start_date"].notna()]
    proportion = "events" in series.columns
    rows = []
    for exp in chosen.itertuples(index=False):
        part = series[series["municipality"] == exp.municipality].sort_values("quarter")
        start = pd.Timestamp(exp.start_date)
        periods = pd.PeriodIndex(part["quarter"].astype(str), freq="Q")
        before = part[periods.end_time.normalize() < start]
        after = part[periods.start_time >= start]
        row = {"municipality": exp.municipality, "experiment_id": exp.experiment_id,
               "description": getattr(exp, "description", ""),
               "start_quarter": str(pd.Period(start, freq="Q")),
               "n_before": int(before["value"].notna().sum()),
               "n_after": int(after["value"].notna().sum()),
               "median_before": np.nan, "median_after": np.nan, "direction": "none",
               "rules": "", "signal": np.nan, "note": ""}
        if row["n_before"] < min_before or row["n_after"] < 1:
            row["note"] = "too_few_quarters"
            rows.append(row)
            continue
        used = pd.concat([before, after]).dropna(subset=["value"])
        centre = float(np.median(before["value"].dropna()))
        # Runs and trends among the quarters after the start only, around the frozen median:
        # a run that begins in the baseline says the series was moving before the change.
        post = spc.run_chart(used["value"].to_numpy()[row["n_before"]:], centre=centre,
                             shift=shift, trend=trend, astronomical_sigma=None).points
        fired = [r for r in ("shift", "trend") if post[r].any()]
        if proportion:
            limits = spc.p_chart(used["events"].to_numpy(), used["n"].to_numpy(),
                                 baseline=row["n_before"])
            if limits["outside_limits"].iloc[row["n_before"]:].any():
                fired.append("outside_limits")
        else:
            whole = spc.run_chart(used["value"].to_numpy(), centre=centre).points
            if whole["astronomical"].iloc[row["n_before"]:].any():
                fired.append("astronomical")
        med_after = float(np.median(after["value"].dropna()))
        row.update(rules=";".join(fired), signal=bool(fired),
                   direction="none" if not fired else ("down" if med_after < centre else "up"))
        if (part["n"] >= min_cell).all():
            row.update(median_before=centre, median_after=med_after)
        else:
            row["note"] = "medians_hidden_small_quarters"
        rows.append(row)
    columns = ["municipality", "experiment_id", "description", "start_quarter", "n_before",
               "n_after", "median_before", "median_after", "direction", "rules", "signal", "note"]
    return pd.DataFrame(rows, columns=columns)


# ---------------------------------------------------------------------------------------------
# Participation by role and gender
# ---------------------------------------------------------------------------------------------

def participation(
    activities: pd.DataFrame,
    *,
    by: str | None = None,
    min_cell: int = disclosure.MIN_CELL,
    suppress: bool = True,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Participation in development work by role, and by gender.

    Counts are attendances (a person at three events counts three times): the log has no
    identities. Both tables are protected with :func:`soskulib.disclosure.suppress_table`
    (attendances of under ``min_cell`` hidden, with complements along the roles or genders
    of a group, whose total is published in the other table). ``share_women`` is of the
    attendances whose gender was recorded.

    Parameters
    ----------
    activities : DataFrame
        Processed ``activities``.
    by : str, optional
        Group column (e.g. ``"level"`` or ``"municipality"``).

    Returns
    -------
    (DataFrame, DataFrame)
        ``by…, role, n`` and ``by…, gender, n, share`` (gender ``female``, ``male``,
        ``other``: attendance whose gender was not recorded).

    Examples
    --------
    >>> a = pd.DataFrame({**{r: [6, 4] for r in schema.ACTIVITY_ROLES},
    ...                   "n_women": [30, 20], "n_men": [14, 8]})
    >>> roles, genders = participation(a)
    >>> genders[["gender", "n"]].values.tolist()
    [['female', 50.0], ['male', 22.0], ['other', 8.0]]
    """
    roles = list(schema.ACTIVITY_ROLES)
    _need(activities, [*roles, "n_women", "n_men"] + ([by] if by else []), "participation")
    keys = [by] if by else []
    frame = activities.assign(_all=activities[roles].sum(axis=1))
    grouped = frame.groupby(keys) if keys else frame.assign(_g=0).groupby("_g")
    sums = grouped[[*roles, "n_women", "n_men", "_all"]].sum(min_count=1).fillna(0)
    long_roles = sums[roles].stack().rename("n").reset_index()
    long_roles = long_roles.rename(columns={long_roles.columns[-2]: "role"})
    if not keys:
        long_roles = long_roles.drop(columns="_g")
    gender = pd.DataFrame({"female": sums["n_women"], "male": sums["n_men"],
                           "other": (sums["_all"] - sums["n_women"] - sums["n_men"]).clip(lower=0)})
    long_gender = gender.stack().rename("n").reset_index()
    long_gender = long_gender.rename(columns={long_gender.columns[-2]: "gender"})
    if not keys:
        long_gender = long_gender.drop(columns="_g")
    recorded = long_gender.loc[long_gender["gender"] != "other"].groupby(keys or (lambda _: 0))["n"].sum() \
        if keys else long_gender.loc[long_gender["gender"] != "other", "n"].sum()
    long_gender["share"] = np.where(
        long_gender["gender"] == "other", np.nan,
        long_gender["n"] / (long_gender[by].map(recorded) if keys else recorded))
    long_roles["n"] = long_roles["n"].astype(float)
    long_gender["n"] = long_gender["n"].astype(float)
    roles_out = disclosure.suppress_table(long_roles, "n", along="role", keys=[*keys, "role"],
                                          min_cell=min_cell, suppress=suppress)
    gender_out = disclosure.suppress_table(long_gender, "n", along="gender",
                                           keys=[*keys, "gender"], derived={"share": "n"},
                                           min_cell=min_cell, suppress=suppress)
    return roles_out, gender_out


# ---------------------------------------------------------------------------------------------
# Continuity of care and methods
# ---------------------------------------------------------------------------------------------

def upc_index(contacts: pd.DataFrame) -> pd.DataFrame:
    """Usual-provider continuity (UPC) per client: the share of contacts with the usual worker.

    ``UPC_i = max_k n_ik / n_i``, where ``n_ik`` is client ``i``'s individual contacts with
    worker ``k`` and ``n_i`` all their individual contacts with a recorded worker (Breslau &
    Reeb 1975, *J Med Educ* 50:965–969; one of the indices compared by Pollack et al. 2016,
    *Med Care* 54:e30–e34). The usual worker is the most frequent one, which is the named
    worker (omatyöntekijä) when that arrangement works. R: ``ave(...)``/``tapply`` as in
    ``tests/reference/continuity.R``. Analysis table (one row per client): never publish it.

    Parameters
    ----------
    contacts : DataFrame
        Processed ``contacts`` (``client_id, municipality, mode, worker``).

    Returns
    -------
    DataFrame
        ``municipality, client_id, n_contacts, n_workers, upc``.

    Examples
    --------
    >>> c = pd.DataFrame({"municipality": "092", "client_id": ["a"] * 4 + ["b"] * 2,
    ...     "mode": "individual", "worker": ["T1", "T1", "T1", "T2", "T3", "T4"]})
    >>> upc_index(c)[["client_id", "n_contacts", "upc"]].values.tolist()
    [['a', 4, 0.75], ['b', 2, 0.5]]
    """
    _need(contacts, ["client_id", "municipality", "mode", "worker"], "upc_index")
    ind = contacts[contacts["mode"].isin(INDIVIDUAL_MODES) & contacts["worker"].notna()]
    per = ind.groupby(["municipality", "client_id", "worker"]).size().rename("k").reset_index()
    agg = per.groupby(["municipality", "client_id"]).agg(
        n_contacts=("k", "sum"), n_workers=("k", "size"), top=("k", "max")).reset_index()
    agg["upc"] = agg["top"] / agg["n_contacts"]
    return agg.drop(columns="top")


def _all_clients(out: pd.DataFrame, keys: list[str],
                 of: float | Mapping[str, float] | pd.Series | None) -> pd.Series:
    """All clients a row's ``n_clients`` is a subset of (itself when ``of`` is not given)."""
    if of is None:
        return out["n_clients"]
    if keys:
        mapped = out[keys[0]].map(pd.Series(of) if isinstance(of, Mapping) else of)
        return mapped.astype(float).fillna(out["n_clients"])
    return pd.Series(float(of), index=out.index)


def continuity(
    contacts: pd.DataFrame,
    *,
    by: str | None = None,
    min_contacts: int = 3,
    level: float = 0.95,
    of: float | Mapping[str, float] | pd.Series | None = None,
    min_cell: int = disclosure.MIN_CELL,
    suppress: bool = True,
) -> pd.DataFrame:
    """Continuity of care per group: mean UPC of clients with enough individual contacts.

    Clients with at least ``min_contacts`` individual contacts with a recorded worker enter
    (with one or two contacts UPC is trivially high). ``mean_upc`` with a t-based CI (R:
    ``t.test(upc)$conf.int``), ``share_upc_75`` = share of clients with UPC ≥ 0.75 with its
    Wilson CI. Protected: groups of fewer than ``min_cell`` clients are hidden. ``of``: the
    number of all clients the page publishes (per ``by`` group: a mapping or Series); the
    clients with too few contacts are then a group too, and where they are 1 … ``min_cell −
    1`` the row is hidden.

    Returns
    -------
    DataFrame
        ``by…, n_clients, mean_upc, ci_low, ci_high, share_upc_75`` (+ masks).

    Examples
    --------
    >>> c = pd.DataFrame({"municipality": "092", "client_id": np.repeat(list("abcdef"), 4),
    ...     "mode": "individual", "worker": ["T1", "T1", "T1", "T2"] * 6})
    >>> continuity(c)[["n_clients", "mean_upc", "share_upc_75"]].values.tolist()
    [[6.0, 0.75, 1.0]]
    """
    per_client = upc_index(contacts)
    per_client = per_client[per_client["n_contacts"] >= min_contacts]
    if by and by not in per_client.columns:
        per_client = per_client.merge(contacts[["client_id", by]].drop_duplicates("client_id"),
                                      on="client_id", how="left")
    keys = [by] if by else []
    grouped = per_client.groupby(keys) if keys else per_client.assign(_g=0).groupby("_g")
    out = grouped["upc"].agg(n_clients="size", mean_upc="mean", sd="std",
                             n75=lambda u: int((u >= 0.75).sum())).reset_index()
    if not keys:
        out = out.drop(columns="_g")
    half = stats.t.ppf(0.5 + level / 2, out["n_clients"] - 1) * out["sd"] / np.sqrt(out["n_clients"])
    out["ci_low"], out["ci_high"] = out["mean_upc"] - half, out["mean_upc"] + half
    out["share_upc_75"] = out["n75"] / out["n_clients"]
    out[["n_clients", "n75"]] = out[["n_clients", "n75"]].astype(float)
    out = out.drop(columns=["sd"])
    out["_all"] = _all_clients(out, keys, of)
    # The share with UPC ≥ 0.75 gives its count back (share × n), and the rest of the
    # clients with it: both are groups of people, protected like counts; so are all
    # clients less those with enough contacts.
    out = disclosure.suppress_table(
        out, ["n_clients", "n75"], keys=keys, min_cell=min_cell, suppress=suppress,
        along={"n_clients": keys, "n75": keys}, complements={"n75": "n_clients", "n_clients": "_all"},
        derived={**{c: "n_clients" for c in ("mean_upc", "ci_low", "ci_high")},
                 "share_upc_75": ["n_clients", "n75"]})
    return out.drop(columns=["n75", disclosure.mask_column("n75"), "_all"])


def method_mix(
    contacts: pd.DataFrame,
    *,
    by: str | None = None,
    of: float | Mapping[str, float] | pd.Series | None = None,
    min_cell: int = disclosure.MIN_CELL,
    suppress: bool = True,
) -> pd.DataFrame:
    """Contacts and clients by method family (nature-based, creative, physical, digital, ...).

    ``n_clients`` = distinct clients with at least one contact of the family (protected);
    ``share_contacts`` = the family's share of the group's contacts with a recorded method.
    Contacts of the first layout (no method) are left out. ``of``: the number of all clients
    the page publishes (per ``by`` group: a mapping or Series); the clients without a family
    are then a group too, and where they are 1 … ``min_cell − 1`` the family's ``n_clients``
    is hidden.

    Returns
    -------
    DataFrame
        ``by…, method, n_contacts, n_clients, share_contacts`` (+ masks).

    Examples
    --------
    >>> c = pd.DataFrame({"client_id": list("abcdefgh"), "method": ["nature"] * 6 + ["digital"] * 2})
    >>> method_mix(c, min_cell=1)[["method", "n_clients", "share_contacts"]].values.tolist()
    [['nature', 6.0, 0.75], ['digital', 2.0, 0.25]]
    """
    _need(contacts, ["client_id", "method"] + ([by] if by else []), "method_mix")
    keys = [by] if by else []
    frame = contacts.dropna(subset=["method"])
    agg = frame.groupby([*keys, "method"]).agg(n_contacts=("client_id", "size"),
                                               n_clients=("client_id", "nunique"))
    methods = [m for m in schema.METHOD_LABELS if m in set(frame["method"])]
    groups = sorted(frame[by].dropna().unique()) if by else [None]
    full = (pd.MultiIndex.from_product([groups, methods], names=[by, "method"]) if by
            else pd.Index(methods, name="method"))
    out = agg.reindex(full, fill_value=0).reset_index()
    total = out.groupby(keys)["n_contacts"].transform("sum") if keys else out["n_contacts"].sum()
    out["share_contacts"] = out["n_contacts"] / total
    out["n_clients"] = out["n_clients"].astype(float)
    out["n_contacts"] = out["n_contacts"].astype(float)
    out["_all"] = _all_clients(out, keys, of)
    # contacts are several per client: a small contact count would reveal a small client group
    out = disclosure.suppress_table(out, ["n_clients", "n_contacts"], keys=[*keys, "method"],
                                    along={"n_contacts": "method", "n_clients": []},
                                    complements={"n_clients": "_all"},
                                    derived={"share_contacts": ["n_clients", "n_contacts"]},
                                    min_cell=min_cell, suppress=suppress)
    return out.drop(columns="_all")


def group_sessions(sessions: pd.DataFrame, *, by: str | None = None) -> pd.DataFrame:
    """Open group sessions counted without identities: sessions, attendance, women and men.

    The table has no identities and a session's attendance is not a count of distinct
    people, so nothing is suppressed; the gender split is of recorded attendance.

    Returns
    -------
    DataFrame
        ``by…, group, method, n_sessions, attendance, mean_per_session, share_women``.

    Examples
    --------
    >>> s = pd.DataFrame({"group": "olohuone", "method": "other", "n_participants": [8, 12],
    ...                   "n_women": [4, 5], "n_men": [4, 7]})
    >>> group_sessions(s)[["n_sessions", "attendance", "share_women"]].values.tolist()
    [[2.0, 20.0, 0.45]]
    """
    _need(sessions, ["group", "n_participants"], "group_sessions")
    keys = ([by] if by else []) + ["group", "method"]
    frame = sessions.assign(method=sessions.get("method", pd.Series(index=sessions.index))
                            .fillna("other"))
    out = frame.groupby(keys).agg(n_sessions=("n_participants", "size"),
                                  attendance=("n_participants", "sum"),
                                  women=("n_women", "sum"), men=("n_men", "sum")).reset_index()
    out["mean_per_session"] = out["attendance"] / out["n_sessions"]
    recorded = out["women"] + out["men"]
    out["share_women"] = (out["women"] / recorded).where(recorded > 0)
    out["attendance"] = out["attendance"].astype("int64")
    return out.drop(columns=["women", "men"])


# ---------------------------------------------------------------------------------------------
# Pathways held, target groups as a set
# ---------------------------------------------------------------------------------------------

def placements(
    clients: pd.DataFrame,
    *,
    by: str | None = None,
    level: float = 0.95,
    min_cell: int = disclosure.MIN_CELL,
    suppress: bool = True,
) -> pd.DataFrame:
    """Placements and whether they held 3 and 6 months after the episode ended.

    Episodes that ended in a placement (:data:`PLACEMENT_PATHWAYS`); at each follow-up,
    ``n_due`` = placements with a status recorded, ``n_known`` = status not "unknown",
    ``held`` = still in place; ``share_held = held / n_known`` with a Wilson CI (R:
    ``prop.test(..., correct = FALSE)$conf.int``). Unknown statuses are shown, not dropped
    silently: a high ``n_due - n_known`` is a follow-up problem, not a success.

    Returns
    -------
    DataFrame
        ``by…, pathway, followup ("3m"/"6m"), n_placed, n_due, n_known, held, share_held,
        ci_low, ci_high`` (+ masks).

    Examples
    --------
    >>> c = pd.DataFrame({"pathway": ["work"] * 20, "placement_3m": ["held"] * 14 + ["ended"] * 6,
    ...                   "placement_6m": ["held"] * 10 + ["ended"] * 5 + [None] * 5})
    >>> out = placements(c)
    >>> out[["followup", "n_known", "held", "share_held"]].round(3).values.tolist()
    [['3m', 20.0, 14.0, 0.7], ['6m', 15.0, 10.0, 0.667]]
    """
    _need(clients, ["pathway", "placement_3m", "placement_6m"] + ([by] if by else []),
          "placements")
    keys = [by] if by else []
    placed = clients[clients["pathway"].isin(PLACEMENT_PATHWAYS)]
    parts = []
    for follow, col in (("3m", "placement_3m"), ("6m", "placement_6m")):
        status = placed[col]
        frame = placed[keys + ["pathway"]].assign(
            followup=follow, n_placed=1, n_due=status.notna().astype(int),
            n_known=status.isin(["held", "ended"]).astype(int),
            held=(status == "held").astype(int))
        parts.append(frame)
    frame = pd.concat(parts, ignore_index=True)
    counts = ["n_placed", "n_due", "n_known", "held"]
    out = frame.groupby([*keys, "pathway", "followup"])[counts].sum().reset_index()
    order = {p: i for i, p in enumerate(schema.PATHWAY_LABELS)}
    out = out.sort_values([*keys, "pathway", "followup"], key=lambda s: s.map(order).fillna(s)
                          if s.name == "pathway" else s).reset_index(drop=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        out["share_held"] = (out["held"] / out["n_known"]).where(out["n_known"] > 0)
    out["ci_low"], out["ci_high"] = wilson_ci(out["held"], out["n_known"], level)
    out[counts] = out[counts].astype(float)
    return disclosure.suppress_table(
        out, counts, keys=[*keys, "pathway", "followup"], along="pathway",
        # Each count is a subset of the one before it; the people between two of them
        # (placed without a recorded status, status unknown, not held) are groups too.
        nested=counts,  # hidden from the first step that would show a group of 1–4 on
        derived={c: ["held", "n_known"] for c in ("share_held", "ci_low", "ci_high")},
        min_cell=min_cell, suppress=suppress)


def target_group_sets(
    clients: pd.DataFrame,
    *,
    min_cell: int = disclosure.MIN_CELL,
    suppress: bool = True,
) -> pd.DataFrame:
    """Clients by target group when groups overlap (each episode may belong to several).

    ``n`` = episodes with the group among their ``target_groups``; ``n_only`` = episodes
    with that group alone. The ``n`` column does not add up to the number of episodes (a
    person is in as many rows as groups); ``n - n_only`` are the overlaps. Protected.

    Returns
    -------
    DataFrame
        ``target_group, n, n_only, share`` (``share`` of all episodes) + masks.

    Examples
    --------
    >>> c = pd.DataFrame({"target_groups": ["long_term_unemployed;older_unemployed"] * 6
    ...                   + ["long_term_unemployed"] * 5})
    >>> target_group_sets(c)[["target_group", "n", "n_only"]].values.tolist()
    [['long_term_unemployed', 11.0, 5.0], ['older_unemployed', 6.0, 0.0]]
    """
    _need(clients, ["target_groups"], "target_group_sets")
    sets = clients["target_groups"].dropna().str.split(";")
    single = sets.str.len() == 1
    exploded = pd.DataFrame({"target_group": sets, "single": single}).explode("target_group")
    out = exploded.groupby("target_group").agg(n=("single", "size"), n_only=("single", "sum"))
    order = [g for g in schema.TARGET_GROUP_LABELS if g in out.index]
    out = out.reindex(order).reset_index()
    out["share"] = out["n"] / len(sets)
    out[["n", "n_only"]] = out[["n", "n_only"]].astype(float)
    return disclosure.suppress_table(out, ["n", "n_only"], keys=["target_group"],
                                     complements={"n_only": "n"}, derived={"share": "n"},
                                     min_cell=min_cell, suppress=suppress)


# ---------------------------------------------------------------------------------------------
# Reach against need
# ---------------------------------------------------------------------------------------------

#: Columns of a context table (see ``docs/context_table.md``).
CONTEXT_COLUMNS = ("municipality", "indicator", "year", "value", "source")


def read_context(path: str | Path | None = None) -> pd.DataFrame:
    """Read a context table of need per municipality (CSV, ``;``-separated, UTF-8).

    Columns :data:`CONTEXT_COLUMNS`: ``municipality`` (3-digit code), ``indicator`` (e.g.
    ``long_term_unemployed`` as published by Sotkanet or Statistics Finland), ``year``,
    ``value`` (persons; decimal comma allowed) and ``source``. Without ``path`` the
    *synthetic* demo table ``soskulib/data/context_demo.csv`` is read (its ``source`` says
    SYNTHETIC on every row).

    Raises
    ------
    ConfigurationError
        A column is missing or a value is not usable, as ``FILE:ROW:COLUMN: message``.

    Examples
    --------
    >>> ctx = read_context()
    >>> ctx["source"].str.startswith("SYNTHETIC").all(), len(ctx) >= 9
    (np.True_, True)
    """
    if path is None:
        handle = resources.files("soskulib.data").joinpath("context_demo.csv")
        name = "context_demo.csv"
        with handle.open(encoding="utf-8") as fh:
            frame = pd.read_csv(fh, sep=";", dtype=str, keep_default_na=False)
    else:
        name = Path(path).name
        try:
            frame = pd.read_csv(path, sep=";", dtype=str, keep_default_na=False, encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError, pd.errors.ParserError) as exc:
            raise ConfigurationError(f"{name}:-:-: cannot read the context table ({exc})") from None
    missing = [c for c in CONTEXT_COLUMNS if c not in frame.columns]
    if missing:
        raise ConfigurationError(f"{name}:1:{missing[0]}: context table has no column "
                                 f"{missing[0]!r} (needs {', '.join(CONTEXT_COLUMNS)})")
    value = pd.to_numeric(frame["value"].str.replace(",", ".", regex=False).str.replace(" ", ""),
                          errors="coerce")
    year = pd.to_numeric(frame["year"], errors="coerce")
    municipality = frame["municipality"].str.strip().str.zfill(3)
    known = set(schema.organisations()["code"])
    for col, bad in (("value", value.isna() | (value <= 0)), ("year", year.isna()),
                     ("municipality", ~municipality.isin(known))):
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0]) + 2
            raise ConfigurationError(f"{name}:{row}:{col}: {frame[col].iloc[row - 2]!r} is not a "
                                     f"valid {col} (value: persons > 0; municipality: a SOSKU code)")
    return pd.DataFrame({"municipality": municipality, "indicator": frame["indicator"].str.strip(),
                         "year": year.astype(int), "value": value, "source": frame["source"]})


def reach_against_need(
    clients: pd.DataFrame,
    context: pd.DataFrame,
    *,
    indicator: str = "long_term_unemployed",
    level: float = 0.95,
    min_cell: int = disclosure.MIN_CELL,
    suppress: bool = True,
) -> pd.DataFrame:
    """Episodes per 1,000 persons in need, per municipality (reach against need, not plan).

    ``rate = 1000 · clients / need`` where ``need`` is the context table's value of
    ``indicator`` (latest year per municipality). Exact Poisson CI for the count (Garwood
    1936: ``χ²_{α/2}(2x)/2``, ``χ²_{1-α/2}(2x+2)/2``), scaled; R: ``poisson.test(x, T =
    need / 1000)$conf.int``. A client count below ``min_cell`` hides the count and the rate.

    Returns
    -------
    DataFrame
        ``municipality, indicator, year, need, n_clients, rate_per_1000, ci_low, ci_high,
        source`` (+ masks).

    Examples
    --------
    >>> c = pd.DataFrame({"municipality": ["092"] * 30})
    >>> ctx = pd.DataFrame({"municipality": ["092"], "indicator": ["long_term_unemployed"],
    ...                     "year": [2017], "value": [6000.0], "source": ["x"]})
    >>> out = reach_against_need(c, ctx)
    >>> float(out["rate_per_1000"].iloc[0]), round(float(out["ci_low"].iloc[0]), 4)
    (5.0, 3.3735)
    """
    _need(clients, ["municipality"], "reach_against_need")
    _need(context, list(CONTEXT_COLUMNS), "reach_against_need")
    ctx = context[context["indicator"] == indicator].sort_values("year")
    ctx = ctx.groupby("municipality").tail(1)
    counts = clients.groupby("municipality").size().rename("n_clients")
    out = ctx.rename(columns={"value": "need"}).merge(counts, on="municipality", how="left")
    out["n_clients"] = out["n_clients"].fillna(0).astype(float)
    alpha = 1 - level
    x = out["n_clients"].to_numpy()
    lo = np.where(x > 0, stats.chi2.ppf(alpha / 2, 2 * x) / 2, 0.0)
    hi = stats.chi2.ppf(1 - alpha / 2, 2 * x + 2) / 2
    scale = 1000.0 / out["need"].to_numpy()
    out["rate_per_1000"] = x * scale
    out["ci_low"], out["ci_high"] = lo * scale, hi * scale
    out = out[["municipality", "indicator", "year", "need", "n_clients", "rate_per_1000",
               "ci_low", "ci_high", "source"]]
    return disclosure.suppress_table(
        out, "n_clients", keys=["municipality", "indicator", "year"], min_cell=min_cell,
        suppress=suppress,
        derived={c: "n_clients" for c in ("rate_per_1000", "ci_low", "ci_high")})


# ---------------------------------------------------------------------------------------------
# Report helpers
# ---------------------------------------------------------------------------------------------

def all_experiment_tests(episodes: pd.DataFrame, responses: dict[str, pd.DataFrame],
                         experiments: pd.DataFrame, *, export_date=None) -> pd.DataFrame:
    """:func:`experiment_tests` for every series the register targets (dropout, instruments).

    Returns
    -------
    DataFrame
        :func:`experiment_tests` columns plus ``target_measure``, one row per experiment that
        targets the dropout share or an instrument with responses.
    """
    from soskulib import outcomes

    parts = []
    if experiments.empty:
        return pd.DataFrame()
    measures = set(experiments["target_measure"].dropna())
    if "dropout" in measures:
        parts.append(experiment_tests(dropout_series(episodes, export_date=export_date),
                                      experiments, measure="dropout").assign(target_measure="dropout"))
    chosen = {m: r for m, r in responses.items() if m in measures and not r.empty}
    if chosen:
        changes = outcomes.change_scores(chosen)
        for measure in chosen:
            series = outcome_series(changes, measure)
            parts.append(experiment_tests(series, experiments, measure=measure)
                         .assign(target_measure=measure))
    parts = [p for p in parts if not p.empty]
    if not parts:
        return pd.DataFrame()
    return pd.concat(parts, ignore_index=True).sort_values(["municipality", "experiment_id"],
                                                           ignore_index=True)


def describe_tests(tests: pd.DataFrame, lang: str = "fi") -> pd.DataFrame:
    """:func:`experiment_tests` output with its codes in words, for a report table.

    Examples
    --------
    >>> t = pd.DataFrame({"direction": ["down"], "rules": ["shift;trend"], "signal": [True],
    ...                   "note": [""]})
    >>> describe_tests(t, "en")[["direction", "rules", "signal"]].values.tolist()
    [['fell', 'shift, trend', 'yes']]

    An experiment with too few quarters before it was not tested: no direction either.

    >>> t = pd.DataFrame({"direction": ["none"], "rules": [""], "signal": [float("nan")],
    ...                   "note": ["too_few_quarters"]})
    >>> describe_tests(t, "en")[["direction", "signal"]].values.tolist()
    [['–', '–']]
    """
    from soskulib import labels

    out = _plain(tests.copy())
    # An experiment not tested (too few quarters before it) has no direction: "–", as its
    # verdict, not "no change", which would claim a test that was never run.
    out["direction"] = ["–" if pd.isna(s) else labels.text(f"dev.direction.{d}", lang)
                        for d, s in zip(out["direction"], out["signal"], strict=True)]
    out["rules"] = out["rules"].fillna("").map(
        lambda r: ", ".join(labels.text(f"dev.rule.{x}", lang) for x in r.split(";") if x))
    out["signal"] = out["signal"].map(
        lambda v: "–" if pd.isna(v) else labels.text("dev.yes" if v else "dev.no", lang))
    out["note"] = out["note"].fillna("").map(
        lambda n: labels.text(f"dev.note.{n}", lang) if n else "")
    return out


def register_table(experiments: pd.DataFrame) -> pd.DataFrame:
    """The experiment register as published: dates as ``d.m.yyyy``, sorted by start.

    Not personal data (ideas and experiments of services): no suppression.
    """
    cols = ["municipality", "experiment_id", "description", "origin", "raised_level",
            "start_date", "target_measure", "status", "adopted_level"]
    out = experiments[[c for c in cols if c in experiments.columns]].sort_values(
        ["start_date", "experiment_id"]).copy()
    out["start_date"] = pd.to_datetime(out["start_date"]).dt.strftime("%-d.%-m.%Y")
    return _plain(out.reset_index(drop=True))


def _plain(frame: pd.DataFrame) -> pd.DataFrame:
    """Categorical columns (the municipality partition) as plain values, for rendering."""
    cats = [c for c in frame.columns if isinstance(frame[c].dtype, pd.CategoricalDtype)]
    return frame.assign(**{c: frame[c].astype(object) for c in cats}) if cats else frame
