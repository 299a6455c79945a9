"""Short "what this means for development" text generated from numbers and their uncertainty.

The rules are deliberately simple and stated here so a reader can check every sentence:

* a change is called an **improvement** (or a **deterioration**) only when the whole 95 %
  confidence interval of the direction-oriented standardised change lies above (below) zero;
  otherwise the text says the data are compatible with no change and quotes the interval;
* every sentence names its metric (SMCR = change / baseline SD, the reports' headline metric,
  :mod:`soskulib.standardised`; d_z = change / SD of change where only that is given); a
  before–after change is called a change, never an effect (there is no comparison group);
* the size word follows Cohen's (1988) conventional thresholds for standardised mean
  differences: < 0.2 very small, < 0.5 small, < 0.8 moderate, otherwise large;
* fewer than ``min_n`` complete pairs → "too few to judge", whatever the interval says;
* measurement coverage (complete pairs / clients with a baseline) under ``min_coverage``
  → a warning that missing follow-up may bias the result;
* reach under 80 % or over 120 % of the plan, and drop-out above ``max_dropout``, are
  flagged for the development workshop.

Strings live in :mod:`soskulib.labels` (keys ``nar.*``), so the text is Finnish or English.

Examples
--------
>>> effect_sentence("ESIS", 0.42, 0.21, 0.63, 88, lang="en")
'ESIS: small improvement, SMCR = 0.42 (95% CI 0.21–0.63, n = 88).'
>>> effect_sentence("ESIS", 0.10, -0.12, 0.32, 88, lang="en", metric="d_z")
'ESIS: no clear change, d_z = 0.10 (95% CI −0.12 – 0.32, n = 88); the data are compatible with no change.'
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import pandas as pd

from soskulib import formatting, labels
from soskulib.checks import require_columns
from soskulib.disclosure import MIN_CELL

#: Cohen's (1988) thresholds for |d|.
SIZE_THRESHOLDS: tuple[tuple[float, str], ...] = ((0.2, "very_small"), (0.5, "small"),
                                                  (0.8, "moderate"), (math.inf, "large"))


def fmt_number(x: float, lang: str, digits: int = 2) -> str:
    """Format a number in the site's style (:func:`soskulib.formatting.number`).

    Parameters
    ----------
    x : float
        The number.
    lang : {"fi", "en"}
        Language (Finnish uses a decimal comma and a no-break space between thousands).
    digits : int
        Decimals.

    Returns
    -------
    str

    Examples
    --------
    >>> fmt_number(-0.125, "fi")
    '−0,12'
    """
    return formatting.number(x, lang, digits)


def _ci(low: float, high: float, lang: str) -> str:
    """The interval named as in running text: ``95 %:n lv 0,10–0,50``."""
    return f"{formatting.ci_label(lang)} {formatting.interval(low, high, lang)}"


def size_word(d: float, lang: str) -> str:
    """Cohen's size word for ``|d|`` in ``lang``.

    Parameters
    ----------
    d : float
        Standardised mean difference (sign ignored).
    lang : {"fi", "en"}
        Language.

    Returns
    -------
    str
        Very small (< 0.2), small (< 0.5), moderate (< 0.8) or large (Cohen 1988).

    Raises
    ------
    ValueError
        ``d`` is not finite.

    Examples
    --------
    >>> size_word(-0.55, "en")
    'moderate'
    """
    for limit, key in SIZE_THRESHOLDS:
        if abs(d) < limit:
            return labels.text(f"nar.size.{key}", lang)
    raise ValueError(f"effect size must be finite, got {d!r}")


def effect_sentence(name: str, estimate: float, ci_low: float, ci_high: float, n: int | None,
                    lang: str = "fi", min_n: int = 20, metric: str = "SMCR") -> str:
    """One sentence on a direction-oriented standardised change (positive = improvement).

    The rules (whole CI above or below zero, size words, ``min_n``) are in the module docstring.

    Parameters
    ----------
    name : str
        Instrument name as shown in the report.
    estimate, ci_low, ci_high : float
        Direction-oriented effect size (positive = improvement) and its 95 % CI.
    n : int or None
        Complete pairs; ``None``/missing when the count is hidden (disclosure control), which
        reads as "too few to judge" without a number.
    lang : {"fi", "en"}
        Language.
    min_n : int
        Fewer complete pairs than this give "too few to judge".
    metric : str
        Name of the standardised change printed in the sentence ("SMCR" or "d_z").

    Returns
    -------
    str

    Examples
    --------
    >>> effect_sentence("ESIS", 0.42, 0.21, 0.63, 10, lang="en")
    'ESIS: only 10 clients have both a baseline and an end assessment (fewer than 20); change cannot be judged reliably.'
    """
    labels.check_lang(lang)
    if n is None or pd.isna(n):
        return labels.text("nar.too_few_hidden", lang, name=name)
    f = {"name": name, "d": fmt_number(estimate, lang), "ci": _ci(ci_low, ci_high, lang),
         "n": formatting.integer(n, lang),
         "metric": metric}
    if n < min_n or not all(map(math.isfinite, (estimate, ci_low, ci_high))):
        return labels.text("nar.too_few", lang, name=name, n=formatting.integer(n, lang),
                           min_n=min_n)
    if ci_low > 0:
        return labels.text("nar.improved", lang, size=size_word(estimate, lang), **f)
    if ci_high < 0:
        return labels.text("nar.deteriorated", lang, size=size_word(estimate, lang), **f)
    return labels.text("nar.unclear", lang, **f)


def development_points(
    outcomes: pd.DataFrame,
    lang: str = "fi",
    *,
    reach_pct: float | None = None,
    dropout_pct: float | None = None,
    min_n: int = 20,
    min_coverage: float = 0.6,
    max_dropout: float = 30.0,
) -> list[str]:
    """Bullet points for the development workshop, from outcomes and process numbers.

    Parameters
    ----------
    outcomes : DataFrame
        One row per instrument with ``name, estimate, ci_low, ci_high, n`` (change oriented
        so that positive = improvement) and optionally ``n_pre`` (clients with a baseline) and
        ``metric`` (the name of the standardised change, default "SMCR").
    lang : {"fi", "en"}
        Language.
    reach_pct : float, optional
        Clients reached as a percentage of the plan.
    dropout_pct : float, optional
        Percentage of ended episodes that ended by dropping out.
    min_n, min_coverage, max_dropout
        Thresholds (see the module docstring).
    min_n : int
        Fewer complete pairs than this give "too few to judge".
    min_coverage : float
        Share (0-1) of clients with a baseline who must also have an end assessment.
    max_dropout : float
        Dropout percentage above which drop-out is flagged.

    Returns
    -------
    list of str
        The reach point (whenever ``reach_pct`` is given: flagged below 80 % or above 120 %,
        else stated), the drop-out point (above ``max_dropout``), then per instrument its
        effect sentence and any coverage warning.

    Examples
    --------
    >>> out = pd.DataFrame({"name": ["ESIS"], "estimate": [0.3], "ci_low": [0.1],
    ...                     "ci_high": [0.5], "n": [60], "n_pre": [150]})
    >>> for p in development_points(out, "en", reach_pct=65.0):
    ...     print(p)
    Reach was 65% of the plan: review how clients find their way to the service.
    ESIS: small improvement, SMCR = 0.30 (95% CI 0.10–0.50, n = 60).
    ESIS: only 40% of clients with a baseline assessment have an end assessment; missing follow-up may bias the result, so make the end assessment part of every closing visit.
    """
    labels.check_lang(lang)
    require_columns(outcomes, ["ci_high", "ci_low", "estimate", "n", "name"], "development_points")
    points: list[str] = []
    if reach_pct is not None and math.isfinite(reach_pct):
        if reach_pct < 80:
            points.append(labels.text("nar.reach_low", lang, pct=round(reach_pct)))
        elif reach_pct > 120:
            points.append(labels.text("nar.reach_high", lang, pct=round(reach_pct)))
        else:
            points.append(labels.text("nar.reach_ok", lang, pct=round(reach_pct)))
    if dropout_pct is not None and math.isfinite(dropout_pct) and dropout_pct > max_dropout:
        points.append(labels.text("nar.dropout", lang, pct=round(dropout_pct)))
    for row in outcomes.itertuples(index=False):  # one row per instrument, not per client
        points.append(effect_sentence(row.name, row.estimate, row.ci_low, row.ci_high, row.n,
                                      lang, min_n, metric=getattr(row, "metric", "SMCR")))
        n_pre = getattr(row, "n_pre", None)
        if pd.notna(row.n) and pd.notna(n_pre) and n_pre > 0 and row.n / n_pre < min_coverage:
            points.append(labels.text("nar.coverage", lang, name=row.name,
                                      pct=round(100 * row.n / n_pre)))
    if not points:
        points.append(labels.text("nar.nothing", lang))
    return points


def headline(name: str, n_clients: int, reach_pct: float | None,
             best: Sequence[str] = (), lang: str = "fi") -> str:
    """One-line headline of a municipality report for the index page.

    Parameters
    ----------
    name : str
        Municipality name.
    n_clients : int
        Clients enrolled.
    reach_pct : float or None
        Reach as a percentage of the plan (None or NaN: left out).
    best : sequence of str
        Short outcome phrases appended after ``;``.
    lang : {"fi", "en"}
        Language.

    Returns
    -------
    str

    Examples
    --------
    >>> headline("Vantaa", 376, 94.0, ["ESIS +0.35"], "en")
    'Vantaa: 376 clients (94% of plan); ESIS +0.35'
    """
    reach = "" if reach_pct is None or not math.isfinite(reach_pct) else labels.text(
        "nar.headline.reach", lang, pct=round(reach_pct))
    text = labels.text("nar.headline", lang, name=name, n=formatting.integer(n_clients, lang),
                       reach=reach)
    return text + (f"; {'; '.join(best)}" if best else "")


def _first_value(table: pd.DataFrame, column: str, where: dict | None = None) -> float | None:
    """A single visible number of a library table (``None`` when absent or suppressed)."""
    if table is None or table.empty or column not in table.columns:
        return None
    rows = table
    for col, value in (where or {}).items():
        rows = rows.loc[rows[col] == value]
    if rows.empty:
        return None
    value = pd.to_numeric(rows[column], errors="coerce").iloc[0]
    return float(value) if pd.notna(value) else None


def outcomes_from_summary(summary: pd.DataFrame) -> pd.DataFrame:
    """The ``outcomes`` frame of :func:`development_points` from an outcome summary.

    ``summary`` is :func:`soskulib.outcomes.outcome_summary` without ``by`` (one row per
    instrument). The reports' headline metric, the oriented SMCR
    (:func:`soskulib.standardised.with_smcr` columns ``smcr, smcr_ci_low, smcr_ci_high``), is
    used when present; otherwise the oriented ``effect`` (d_z). Either way ``metric`` names it.

    Parameters
    ----------
    summary : DataFrame
        ``name, effect, effect_ci_low, effect_ci_high, n, n_pre`` per instrument.

    Returns
    -------
    DataFrame
        ``name, estimate, ci_low, ci_high, n, n_pre`` (counts as int) and ``metric``.

    Examples
    --------
    >>> s = pd.DataFrame({"name": ["ESIS"], "effect": [0.3], "effect_ci_low": [0.1],
    ...                   "effect_ci_high": [0.5], "n": [60.0], "n_pre": [150.0]})
    >>> outcomes_from_summary(s).to_dict("records")
    [{'name': 'ESIS', 'estimate': 0.3, 'ci_low': 0.1, 'ci_high': 0.5, 'n': 60, 'n_pre': 150, 'metric': 'd_z'}]
    """
    stem, metric = ("smcr", "SMCR") if "smcr" in summary.columns else ("effect", "d_z")
    needed = ["name", stem, f"{stem}_ci_low", f"{stem}_ci_high", "n", "n_pre"]
    require_columns(summary, needed, "outcomes_from_summary", "pass outcomes.outcome_summary output")
    out = summary[needed].rename(columns={stem: "estimate", f"{stem}_ci_low": "ci_low",
                                          f"{stem}_ci_high": "ci_high"})
    out["metric"] = metric
    # A suppressed count stays missing (pd.NA): "too few to judge", without a number (it
    # may be hidden as a complement, so "0" would be wrong as well as revealing).
    out["n"] = pd.to_numeric(out["n"], errors="coerce").round().astype("Int64")
    out["n_pre"] = pd.to_numeric(out["n_pre"], errors="coerce").round().astype("Int64")
    return out.reset_index(drop=True)


def spc_sentence(chart: pd.DataFrame, lang: str = "fi") -> str:
    """One sentence on the signals of a :func:`soskulib.process.dropout_chart`.

    Parameters
    ----------
    chart : DataFrame
        One group's rows of the dropout chart (``quarter``, ``signal``, ``reasons`` and, when
        present, ``p``: points with a suppressed ``p`` are not named).
    lang : {"fi", "en"}
        Language.

    Returns
    -------
    str

    Examples
    --------
    >>> c = pd.DataFrame({"quarter": ["2017Q1", "2017Q2"], "signal": [False, True],
    ...                   "reasons": ["", "outside_limits"]})
    >>> spc_sentence(c, "en")
    'Dropout chart signals (non-random variation) in Q2 2017: outside the 3σ limits. What changed then?'

    A hidden point is named, so the gap it leaves in the line is not read as zero:

    >>> c["p"] = [None, 0.3]
    >>> "The hidden quarter Q1 2017 (fewer than 5 people" in spc_sentence(c, "en")
    True

    When every quarter is hidden no chart is drawn, and the sentence says so:

    >>> c["p"] = [None, None]
    >>> spc_sentence(c, "en")[:45]
    'No dropout p-chart is shown: every quarter is'
    """
    labels.check_lang(lang)
    visible = chart["p"].notna() if "p" in chart.columns else pd.Series(True, index=chart.index)
    if not chart.empty and not visible.any():
        # No chart is drawn: "no signal" and "gaps in the chart" would describe a figure
        # the page does not show.
        return labels.text("nar.spc.all_hidden", lang, k=chart.attrs.get("min_cell", MIN_CELL))
    hidden = "" if visible.all() else " " + labels.text(
        "nar.spc.hidden" if (~visible).sum() == 1 else "nar.spc.hidden_many", lang,
        quarters=", ".join(formatting.quarters(chart.loc[~visible, "quarter"], lang)),
        k=chart.attrs.get("min_cell", MIN_CELL))
    if chart.empty or not chart["signal"].astype(bool).any():
        return labels.text("nar.spc.none", lang) + hidden
    flagged = chart.loc[chart["signal"].astype(bool) & visible]
    if flagged.empty:
        return labels.text("nar.spc.none", lang) + hidden
    quarters = flagged["quarter"].tolist()
    # A trend or shift flags every point of the run: name the span, not each quarter.
    span = ", ".join(formatting.quarters(quarters, lang)) if len(quarters) <= 3 else labels.text(
        "nar.spc.span", lang, span=formatting.quarter_span(quarters[0], quarters[-1], lang),
        k=len(quarters))
    reasons = sorted({r for text in flagged["reasons"].fillna("") for r in str(text).replace(";", ",").split(",")
                      if r})
    words = ", ".join(labels.text(f"nar.spc.{r}", lang) if f"nar.spc.{r}" in labels.STRINGS
                      else r for r in reasons)
    return labels.text("nar.spc.signals", lang, quarters=span, reasons=words) + hidden


def municipality_points(
    summary: pd.DataFrame,
    reach: pd.DataFrame,
    exits: pd.DataFrame,
    fidelity_index: pd.DataFrame | None = None,
    chart: pd.DataFrame | None = None,
    lang: str = "fi",
    **thresholds: float,
) -> list[str]:
    """Development points of a municipality report from the library's tables.

    Reach (:func:`soskulib.process.reach` ``share_of_plan``), the dropout share of ended
    episodes (:func:`soskulib.process.exits`), the outcomes
    (:func:`outcomes_from_summary`) by the rules of :func:`development_points`, then the
    fidelity index with its CI (< 0.5 flagged: fewer than half of the core elements reach the
    average client) and the dropout chart's signals (:func:`spc_sentence`).

    Parameters
    ----------
    summary : DataFrame
        :func:`soskulib.outcomes.outcome_summary` of the municipality (no ``by``).
    reach : DataFrame
        :func:`soskulib.process.reach` of the municipality (``share_of_plan``).
    exits : DataFrame
        :func:`soskulib.process.exits` of the municipality (``end_reason``, ``share``).
    fidelity_index : DataFrame, optional
        One row with ``index``, ``ci_low``, ``ci_high``.
    chart : DataFrame, optional
        The municipality's dropout chart (:func:`spc_sentence`).
    lang : {"fi", "en"}
        Language.
    **thresholds : float
        ``min_n``, ``min_coverage``, ``max_dropout`` of :func:`development_points`.

    Returns
    -------
    list of str

    Examples
    --------
    >>> summary = pd.DataFrame({"name": ["ESIS"], "effect": [0.3], "effect_ci_low": [0.1],
    ...                         "effect_ci_high": [0.5], "n": [60.0], "n_pre": [150.0]})
    >>> reach = pd.DataFrame({"n_enrolled": [376], "share_of_plan": [0.94]})
    >>> exits = pd.DataFrame({"end_reason": ["dropped_out"], "share": [0.4]})
    >>> for p in municipality_points(summary, reach, exits, lang="en"):
    ...     print(p)
    Reach was 94% of the plan.
    40% of ended episodes were drop-outs: hear the experiences of those who left.
    ESIS: small improvement, d_z = 0.30 (95% CI 0.10–0.50, n = 60).
    ESIS: only 40% of clients with a baseline assessment have an end assessment; missing follow-up may bias the result, so make the end assessment part of every closing visit.
    """
    share = _first_value(reach, "share_of_plan")
    dropout = _first_value(exits, "share", {"end_reason": "dropped_out"})
    points = development_points(outcomes_from_summary(summary), lang,
                                reach_pct=None if share is None else 100 * share,
                                dropout_pct=None if dropout is None else 100 * dropout,
                                **thresholds)
    index = _first_value(fidelity_index, "index") if fidelity_index is not None else None
    if index is not None:
        low = _first_value(fidelity_index, "ci_low")
        high = _first_value(fidelity_index, "ci_high")
        key = "nar.fidelity_low" if index < 0.5 else "nar.fidelity"
        points.append(labels.text(key, lang, index=fmt_number(index, lang),
                                  ci=_ci(low, high, lang)))
    if chart is not None and not chart.empty:
        points.append(spc_sentence(chart, lang))
    return points


def municipality_headline(name: str, reach: pd.DataFrame, summary: pd.DataFrame,
                          lang: str = "fi", min_n: int = 20, top: int = 2) -> str:
    """Index-page headline: clients, reach and up to ``top`` instruments with ≥ ``min_n`` pairs.

    Parameters
    ----------
    name : str
        Municipality name.
    reach : DataFrame
        :func:`soskulib.process.reach` of the municipality (``n_enrolled``,
        ``share_of_plan``).
    summary : DataFrame
        :func:`soskulib.outcomes.outcome_summary` of the municipality.
    lang : {"fi", "en"}
        Language.
    min_n : int
        Instruments with fewer complete pairs are not named.
    top : int
        At most this many instruments, in ``summary`` order.

    Returns
    -------
    str

    Examples
    --------
    >>> summary = pd.DataFrame({"name": ["ESIS"], "effect": [0.3], "effect_ci_low": [0.1],
    ...                         "effect_ci_high": [0.5], "n": [60.0], "n_pre": [150.0]})
    >>> reach = pd.DataFrame({"n_enrolled": [376], "share_of_plan": [0.94]})
    >>> municipality_headline("Vantaa", reach, summary, "en")
    'Vantaa: 376 clients (94% of plan); ESIS d_z = 0.30'
    """
    n = _first_value(reach, "n_enrolled")
    share = _first_value(reach, "share_of_plan")
    outcomes = outcomes_from_summary(summary)
    best = [f"{r.name} {r.metric} = {fmt_number(r.estimate, lang)}" for r in outcomes.itertuples()
            if pd.notna(r.n) and r.n >= min_n and math.isfinite(r.estimate)]
    return headline(name, int(n or 0), None if share is None else 100 * share, best[:top], lang)


def national_headline(pooled: pd.DataFrame, k: int, lang: str = "fi") -> str:
    """Index-page headline of the national synthesis: pooled SMCR [CI] per instrument.

    Parameters
    ----------
    pooled : DataFrame
        ``name, estimate, ci_low, ci_high`` per instrument.
    k : int
        Number of municipalities.
    lang : {"fi", "en"}
        Language.

    Returns
    -------
    str

    Examples
    --------
    >>> p = pd.DataFrame({"name": ["ESIS"], "estimate": [0.28], "ci_low": [0.11], "ci_high": [0.45]})
    >>> national_headline(p, 9, "en")
    '9 municipalities and joint authorities; standardised change SMCR (95% CI): ESIS 0.28 (0.11–0.45)'
    """
    effects = "; ".join(f"{r.name} {formatting.estimate_ci(r.estimate, r.ci_low, r.ci_high, lang)}"
                        for r in pooled.itertuples())
    return labels.text("na.headline", lang, k=int(k), effects=effects)


def alpha_headline(summary: pd.DataFrame, lang: str = "fi") -> str:
    """Index-page headline of the instruments report: number of instruments and α range.

    Parameters
    ----------
    summary : DataFrame
        One row per instrument with an ``alpha`` column.
    lang : {"fi", "en"}
        Language.

    Returns
    -------
    str

    Examples
    --------
    >>> alpha_headline(pd.DataFrame({"alpha": [0.81, 0.9]}), "en")
    '2 instruments; α 0.81–0.90'
    """
    alphas = pd.to_numeric(summary["alpha"], errors="coerce").dropna()
    span = (formatting.interval(alphas.min(), alphas.max(), lang)
            if len(alphas) else formatting.MISSING)
    return labels.text("in.headline", lang, k=len(summary), range=span)


def subproject_facts(subprojects: pd.DataFrame, lang: str = "fi") -> str:
    """One sentence on a municipality's sub-project: name, planned clients, instruments.

    Examples
    --------
    >>> sub = pd.DataFrame({"name": ["Polku"], "planned_clients": [40.0],
    ...                     "instruments": ["esis,3x10d"]})
    >>> subproject_facts(sub, "en")
    'Sub-project: Polku (in Finnish, as recorded). Planned clients 40. Instruments: 3X10D, ESIS.'
    """
    if subprojects.empty:
        return labels.text("not_enough_data", lang, what=labels.text("mu.context", lang))
    row = subprojects.iloc[0]
    planned = row.get("planned_clients")
    name = row.get("name")
    return labels.text("mu.context.facts", lang,
                       name=formatting.MISSING if pd.isna(name) else labels.data_text(name, lang),
                       planned="–" if pd.isna(planned) else formatting.integer(planned, lang),
                       instruments=_instrument_names(row.get("instruments")))


def _instrument_names(codes: object) -> str:
    """Instrument names for a delivered list of codes (``"3x10d,esis"`` → ``"3X10D, ESIS"``).

    Codes are matched in any case and spacing; a code no spec knows is shown as delivered.
    """
    from soskulib import instruments

    if codes is None or (isinstance(codes, float) and pd.isna(codes)) or not str(codes).strip():
        return formatting.MISSING
    known = set(instruments.available())
    names = []
    for code in str(codes).replace(";", ",").split(","):
        code = code.strip()
        if not code:
            continue
        key = code.casefold().replace("-", "").replace(" ", "")
        names.append(instruments.get(key).name if key in known else code)
    ids = {n: i for i, n in enumerate(instruments.get(c).name for c in instruments.ORDER
                                      if c in known)}
    return ", ".join(sorted(dict.fromkeys(names), key=lambda n: (ids.get(n, len(ids)), n)))
