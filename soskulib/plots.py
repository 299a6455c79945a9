"""Figures for the developmental-evaluation reports (seaborn/matplotlib).

Every function takes tidy data (``data=`` plus column names, usually the output of a
function of :mod:`soskulib.process`, :mod:`soskulib.outcomes` or :mod:`soskulib.synthesis`),
draws on ``ax`` (a new figure when not given), labels axes and title in Finnish or English
(``lang=``) and returns the Axes (or the Figure for multi-panel plots). Colours come from
seaborn's ``"colorblind"`` palette (traffic lights use a colour-blind-safe red/yellow/green
triple and are also told apart by position and legend).

Disclosure: no figure is drawn from counts of fewer than ``min_cell`` people. Functions that
receive suppressed tables draw hidden cells as hatched grey ("suppressed") segments or gaps;
functions that receive person-level data aggregate through :mod:`soskulib.disclosure` first
and never draw individual values (box plots have no outlier points).

Examples
--------
>>> import matplotlib
>>> matplotlib.use("Agg")
>>> import pandas as pd
>>> from soskulib import plots
>>> data = pd.DataFrame({"municipality": ["092", "179"], "share": [0.3, 0.2],
...                      "ci_low": [0.2, 0.1], "ci_high": [0.4, 0.35]})
>>> ax = plots.caterpillar(data, "share", "ci_low", "ci_high", "municipality", lang="en")
>>> ax.get_xlabel()
'share'
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.axes import Axes
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from soskulib import disclosure, formatting, instruments, labels, outcomes, process, schema
from soskulib.checks import require_columns

__all__ = [
    "NothingToPlot",
    "spc_chart",
    "entries_chart",
    "effect_chart",
    "truth_chart",
    "tipping_point_chart",
    "funnel_plot",
    "caterpillar",
    "quality_heatmap",
    "fidelity_bars",
    "dose_distribution",
    "pre_post",
    "traffic_light_profile",
    "pathway_heatmap",
    "codevelopment_timeline",
]

class NothingToPlot(ValueError):
    """Raised when every value a figure would show is suppressed or missing (small data).

    A subclass of ``ValueError``; :meth:`soskulib.page.Report.plot` turns it into a short
    "not enough data" note instead of a failed report.

    Examples
    --------
    >>> try:
    ...     effect_chart(pd.DataFrame({"name": ["ESIS"], "effect": [float("nan")],
    ...                                "effect_ci_low": [float("nan")],
    ...                                "effect_ci_high": [float("nan")]}))
    ... except NothingToPlot as exc:
    ...     print(exc)
    effect_chart: no visible estimates (all suppressed or missing)
    """


PALETTE = "colorblind"
# Colour-blind-safe traffic lights (Okabe–Ito vermillion, yellow, bluish green).
TRAFFIC_COLOURS = {"red": "#D55E00", "yellow": "#F0E442", "green": "#009E73"}
SUPPRESSED_STYLE = {"facecolor": "#DDDDDD", "hatch": "///", "edgecolor": "#888888"}



def _t(key: str, lang: str, **fields) -> str:
    return labels.text(key, labels.check_lang(lang), **fields)


def _axes(ax: Axes | None, figsize=(8, 4.5)) -> Axes:
    if ax is None:
        _, ax = plt.subplots(figsize=figsize, layout="constrained")
    return ax


def _decorate(ax: Axes, title: str, *, xlabel: str | None = None, ylabel: str | None = None,
              rotate: int = 0) -> Axes:
    """The labelling every single-panel figure shares: axis labels, title, slanted x ticks."""
    if xlabel is not None:
        ax.set_xlabel(xlabel)
    if ylabel is not None:
        ax.set_ylabel(ylabel)
    ax.set_title(title)
    if rotate:
        ax.tick_params(axis="x", labelrotation=rotate)
        plt.setp(ax.get_xticklabels(), ha="right", rotation_mode="anchor")
    return ax


def _heatmap(ax: Axes, grid: pd.DataFrame, texts: np.ndarray, *, vmin: float, vmax: float,
             cmap: Any, colorbar: dict[str, Any]) -> Any:
    """Draw ``grid`` as a heat map on ``ax``: a cell per value with its text, and a colour bar.

    The same picture as seaborn's ``heatmap`` (a :meth:`~matplotlib.axes.Axes.pcolormesh` of
    cells with white borders, the first row on top, no spines, each text dark or white by the
    relative luminance of its cell's colour, seaborn's own rule) drawn with matplotlib only:
    seaborn's ``heatmap`` draws the whole figure once more inside the call, just to see
    whether its tick labels overlap (seaborn 0.13 ``matrix.py``, unconditionally), which costs
    about as much as drawing the figure for the page. The labels follow a fixed rule
    instead: every row and column is labelled (the reports' heat maps have a dozen at most),
    row labels are horizontal (seaborn turned a few short ones, e.g. a single year, on their
    side) and the callers slant the column labels. No grid lines: they crossed the cells'
    centres and their texts.

    Parameters
    ----------
    ax : Axes
        Where to draw.
    grid : DataFrame
        Values (NaN: no cell colour, the axes' face shows); the index and columns label the
        rows and columns.
    texts : ndarray of str
        The text of each cell, the shape of ``grid`` ("" for none; written only in cells with
        a value).
    vmin, vmax : float
        The ends of the colour scale.
    cmap : str or Colormap
        The colour map.
    colorbar : dict
        Keywords of :meth:`~matplotlib.figure.Figure.colorbar` (``label``, ``format``, ...).

    Returns
    -------
    QuadMesh
        The cells; their colour bar is ``mesh.colorbar``.

    Examples
    --------
    >>> ax = _axes(None)
    >>> grid = pd.DataFrame([[0.2, np.nan], [0.9, 0.5]], index=["a", "b"], columns=["x", "y"])
    >>> mesh = _heatmap(ax, grid, np.array([["20", ""], ["90", "50"]]), vmin=0, vmax=1,
    ...                 cmap="cividis", colorbar={"label": "share"})
    >>> [(t.get_text(), t.get_color()) for t in ax.texts]
    [('20', 'w'), ('90', '.15'), ('50', 'w')]
    >>> [t.get_text() for t in ax.get_yticklabels()], mesh.colorbar.ax.get_ylabel()
    (['a', 'b'], 'share')
    >>> plt.close(ax.figure)
    """
    from seaborn.utils import relative_luminance

    values = np.ma.masked_invalid(grid.to_numpy(dtype=float))
    mesh = ax.pcolormesh(values, cmap=cmap, vmin=vmin, vmax=vmax, linewidths=0.5,
                         edgecolor="white")
    rows, cols = values.shape
    ax.set(xlim=(0, cols), ylim=(rows, 0))  # the first row on top, as in a table
    ax.grid(False)
    ax.spines[:].set_visible(False)
    ax.figure.colorbar(mesh, ax=ax, **colorbar).outline.set_linewidth(0)
    ax.set_xticks(np.arange(cols) + 0.5, [str(c) for c in grid.columns])
    ax.set_yticks(np.arange(rows) + 0.5, [str(r) for r in grid.index], va="center")
    mesh.update_scalarmappable()
    colours = mesh.get_facecolors()
    for k, (text, masked) in enumerate(zip(np.asarray(texts).flat, np.ma.getmaskarray(values).flat,
                                           strict=True)):
        if text and not masked:
            ax.text(k % cols + 0.5, k // cols + 0.5, text, ha="center", va="center",
                    color=".15" if relative_luminance(colours[k]) > .408 else "w")
    return mesh


def legend_below(ax: Axes, handles: Sequence | None = None, names: Sequence[str] | None = None,
                 *, ncol: int = 3) -> None:
    """Put the legend under the axes, where it covers no point or limit, inside the figure.

    In a one-panel figure with constrained layout (every figure of this module) it is a
    figure legend placed "outside lower center", for which the layout makes room; an axes
    legend anchored below the axes was cut off at the figure's edge when it had several
    rows. Otherwise (axes in a larger figure) it is anchored below the axes. Calling it
    again replaces the legend (e.g. after experiments are drawn on a chart).

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> ax = _axes(None)
    >>> _ = ax.plot([0, 1], [0, 1], label="series")
    >>> legend_below(ax)
    >>> [t.get_text() for t in ax.figure.legends[0].get_texts()]
    ['series']
    >>> plt.close(ax.figure)
    """
    from matplotlib.layout_engine import ConstrainedLayoutEngine

    if handles is None or names is None:
        handles, names = ax.get_legend_handles_labels()
    fig = ax.figure
    for old in list(fig.legends):
        old.remove()
    if ax.get_legend() is not None:
        ax.get_legend().remove()
    one_panel = all(a.get_position().bounds == ax.get_position().bounds for a in fig.axes)
    if isinstance(fig.get_layout_engine(), ConstrainedLayoutEngine) and one_panel:
        fig.legend(handles, names, loc="outside lower center", ncol=ncol, fontsize="small",
                   frameon=False)
    else:
        ax.legend(handles, names, loc="upper center", bbox_to_anchor=(0.5, -0.3), ncol=ncol,
                  fontsize="small", frameon=False)


def _group_axis_label(column: str, lang: str) -> str:
    """Axis label of a grouping column: its report string when there is one, else its name."""
    if column == "municipality":
        return _t("plot.municipality", lang)
    return _t(f"plot.{column}", lang) if f"plot.{column}" in labels.STRINGS else column


def _code_label(code_list: str, code, lang: str) -> str:
    try:
        return schema.label(code_list, code, lang)
    except KeyError:
        return str(code)


def _municipality_label(code: str, lang: str = "fi") -> str:
    """The organisation's name in ``lang`` (English pages name joint authorities in English)."""
    orgs = schema.organisations().set_index("code")["name_fi" if lang == "fi" else "name_en"]
    return str(orgs.get(code, code))


def _group_label(column: str, value, lang: str) -> str:
    if column == "municipality":
        return _municipality_label(value, lang)
    if column in schema.CODE_LABELS:
        return _code_label(column, value, lang)
    return str(value)


def _ordered_groups(column: str, values) -> list:
    """Groups of a code-list column in the reports' display order (women, men, other);
    other columns keep the order of ``values``."""
    if column in schema.CODE_LABELS:
        return schema.in_display_order(column, values)
    return list(dict.fromkeys(values))


def _hidden(data: pd.DataFrame, column: str) -> pd.Series:
    mask = disclosure.mask_column(column)
    if mask in data.columns:
        return data[mask].astype(bool)
    return pd.Series(False, index=data.index)


# ---------------------------------------------------------------------------------------------


@formatting.literal_figure
def spc_chart(
    data: pd.DataFrame,
    x: str = "quarter_start",
    y: str = "p",
    *,
    lang: str = "fi",
    title: str | None = None,
    ylabel: str | None = None,
    min_cell: int = disclosure.MIN_CELL,
    ax: Axes | None = None,
) -> Axes:
    """Run/SPC chart: the series, centre line, 3σ limits, median and signals.

    ``data`` is one group of :func:`soskulib.process.dropout_chart` (columns ``p``,
    ``centre``, ``lcl``, ``ucl``, ``median``, ``signal``, ``reasons``). Signalling points are
    drawn as large diamonds; hidden (suppressed) quarters as hatched bands over the whole
    height (never as a point at zero). Ticks are quarters ("I/2016", "Q1 2016"), the share
    axis is in percent, and numbers follow ``lang`` (:mod:`soskulib.formatting`); the legend
    sits under the axes so it covers no limit.

    Parameters
    ----------
    data : DataFrame
        One group's rows of :func:`soskulib.process.dropout_chart`.
    x, y : str
        Time and proportion columns.
    lang : {"fi", "en"}
        Language of titles, axis labels and legends.
    title : str, optional
        Figure title (default: a bilingual standard title).
    ylabel : str, optional
        Label of the series (default: dropout share of ended episodes).
    min_cell : int
        Disclosure threshold (default :data:`soskulib.disclosure.MIN_CELL`, 5).
    ax : matplotlib Axes, optional
        Draw into these axes (default: a new figure).

    Returns
    -------
    Axes
        The axes drawn on.

    Raises
    ------
    NothingToPlot
        Every value is suppressed or missing.
    KeyError
        A required column is missing.

    Examples
    --------
    >>> chart = process.dropout_chart(clients, by="municipality")          # doctest: +SKIP
    >>> ax = spc_chart(chart[chart["municipality"] == "092"], lang="en")      # doctest: +SKIP
    """
    require_columns(data, [x, y, "centre", "signal"], "spc_chart")
    if data[y].notna().sum() == 0:
        raise NothingToPlot("spc_chart: every point is suppressed or missing")
    ax = _axes(ax)
    colours = sns.color_palette(PALETTE)
    d = data.sort_values(x)
    cohort = "n_started" in d.columns  # process.dropout_chart(series="cohort")
    weeks = (data.attrs.get("window_days") or process.DROPOUT_WINDOW_DAYS) // 7
    axis_label = ylabel
    if ylabel is None:
        ylabel = (_t("plot.dropout_share_cohort", lang, weeks=weeks) if cohort
                  else _t("plot.dropout_share", lang))
        # the axis carries a short form: the long one would be cut at the figure's edge
        axis_label = _t("plot.dropout_share_cohort_axis", lang, weeks=weeks) if cohort else ylabel
    ax.plot(d[x], d[y], marker="o", color=colours[0], label=ylabel, zorder=3)
    ax.step(d[x], d["centre"], where="mid", color=colours[2], label=_t("plot.centre", lang))
    if {"lcl", "ucl"} <= set(d.columns):
        ax.step(d[x], d["ucl"], where="mid", color=colours[7], linestyle="--", label=_t("plot.limits", lang))
        ax.step(d[x], d["lcl"], where="mid", color=colours[7], linestyle="--")
    if "median" in d.columns:
        ax.plot(d[x], d["median"], color=colours[4], linestyle=":", label=_t("plot.median", lang))
    signal = d["signal"].astype(bool) & d[y].notna()
    if signal.any():
        ax.scatter(d.loc[signal, x], d.loc[signal, y], s=110, marker="D", color=colours[1],
                   zorder=4, label=_t("plot.signal", lang))
    count = "n_started" if "n_started" in d.columns else "n_exits"
    hidden = _hidden(d, y) | d[y].isna() & _hidden(d, count)
    times = pd.to_datetime(d[x], errors="coerce") if not pd.api.types.is_numeric_dtype(d[x]) \
        else None
    if hidden.any():
        # A hidden quarter is a shaded band over its whole height, not a mark at 0 (which
        # would read as "no dropout").
        half = pd.Timedelta(days=45) if times is not None else 0.5
        for i, centre in enumerate(d.loc[hidden, x]):
            ax.axvspan(centre - half, centre + half, zorder=0, alpha=0.6,
                       label=_t("plot.suppressed", lang, k=min_cell) if i == 0 else None,
                       **SUPPRESSED_STYLE)
    ax.set_ylim(bottom=0)
    if times is not None and times.notna().all():
        # One tick per quarter, labelled as the quarter ("II/2016", as elsewhere), not a month.
        step = max(1, -(-len(d) // 12))
        ax.set_xticks(d[x].iloc[::step], formatting.quarters(times.iloc[::step], lang),
                      rotation=45, ha="right")
    if y == "p" or d[y].dropna().between(0, 1).all():
        ax.yaxis.set_major_formatter(formatting.axis_formatter(lang, percent_axis=True))
    _decorate(ax, title or _t("plot.spc.title", lang),
              xlabel=_t("plot.start_quarter" if cohort else "plot.quarter", lang),
              ylabel=axis_label)
    legend_below(ax)  # covers no limit or point
    formatting.localise_axes(ax, lang)
    return ax


@formatting.literal_figure
def funnel_plot(
    data: pd.DataFrame,
    rate: str = "share",
    n: str = "n_ended",
    label: str = "municipality",
    *,
    centre: float | None = None,
    lang: str = "fi",
    title: str | None = None,
    ylabel: str | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Funnel plot of group rates against their size (Spiegelhalter 2005, *Stat Med*).

    Control limits around the pooled rate ``p̄`` (default ``Σ rate·n / Σ n``):
    ``p̄ ± z √(p̄(1 − p̄)/n)`` for z = 1.96 (95 %) and 3.09 (99.8 %). Groups whose rate is
    suppressed are left out.

    Parameters
    ----------
    data : DataFrame
        One row per group, e.g. :func:`soskulib.process.exits` rows of one end reason.
    rate, n, label : str
        Rate (0-1), denominator and group-label columns.
    centre : float, optional
        Pooled rate; default the n-weighted mean of the visible rates.
    lang : {"fi", "en"}
        Language of titles, axis labels and legends.
    title : str, optional
        Figure title (default: a bilingual standard title).
    ylabel : str, optional
        Y-axis label (default: the ``rate`` column name).
    ax : matplotlib Axes, optional
        Draw into these axes (default: a new figure).

    Returns
    -------
    Axes
        The axes drawn on.

    Raises
    ------
    NothingToPlot
        Every value is suppressed or missing.
    KeyError
        A required column is missing.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> data = pd.DataFrame({"municipality": ["092", "179", "491"], "share": [0.35, 0.2, 0.25],
    ...                      "n_ended": [120, 80, 40]})
    >>> ax = funnel_plot(data, lang="en")
    >>> ax.get_xlabel()
    'number of episodes (n)'
    """
    require_columns(data, [rate, n, label], "funnel_plot")
    ax = _axes(ax)
    d = data.dropna(subset=[rate, n])
    if d.empty:
        raise NothingToPlot("funnel_plot: no visible rates to plot (all suppressed or missing)")
    p_bar = centre if centre is not None else float((d[rate] * d[n]).sum() / d[n].sum())
    sizes = np.linspace(max(1.0, d[n].min() * 0.5), d[n].max() * 1.2, 200)
    colours = sns.color_palette(PALETTE)
    for z, key, style in ((1.96, "plot.funnel.95", "--"), (3.090232, "plot.funnel.998", ":")):
        half = z * np.sqrt(p_bar * (1 - p_bar) / sizes)
        ax.plot(sizes, np.clip(p_bar + half, 0, 1), style, color=colours[7], label=_t(key, lang))
        ax.plot(sizes, np.clip(p_bar - half, 0, 1), style, color=colours[7])
    ax.axhline(p_bar, color=colours[2], label=_t("plot.centre", lang))
    ax.scatter(d[n], d[rate], color=colours[0], zorder=3)
    for _, row in d.iterrows():
        ax.annotate(_group_label(label, row[label], lang), (row[n], row[rate]),
                    textcoords="offset points", xytext=(4, 4), fontsize="small")
    _decorate(ax, title or _t("plot.funnel.title", lang), xlabel=_t("plot.funnel.x", lang),
              ylabel=ylabel or rate)
    ax.legend(fontsize="small")
    formatting.localise_axes(ax, lang)
    return ax


@formatting.literal_figure
def caterpillar(
    data: pd.DataFrame,
    estimate: str,
    ci_low: str,
    ci_high: str,
    label: str = "municipality",
    *,
    lang: str = "fi",
    title: str | None = None,
    xlabel: str | None = None,
    reference: float | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Caterpillar plot: estimates sorted by size with horizontal confidence intervals.

    Parameters
    ----------
    data : DataFrame
        One row per group with an estimate and its CI (suppressed rows have NaN estimates).
    estimate, ci_low, ci_high, label : str
        Column names.
    lang : {"fi", "en"}
        Language of titles, axis labels and legends.
    title : str, optional
        Figure title (default: a bilingual standard title).
    xlabel : str, optional
        X-axis label (default: the ``estimate`` column name).
    reference : float, optional
        Position of a dashed reference line (e.g. the pooled estimate).
    ax : matplotlib Axes, optional
        Draw into these axes (default: a new figure).

    Returns
    -------
    Axes
        The axes drawn on.

    Raises
    ------
    NothingToPlot
        Every value is suppressed or missing.
    KeyError
        A required column is missing.

    Examples
    --------
    See the module docstring.
    """
    require_columns(data, [estimate, ci_low, ci_high, label], "caterpillar")
    d = data.dropna(subset=[estimate]).sort_values(estimate).reset_index(drop=True)
    if d.empty:
        raise NothingToPlot("caterpillar: no visible estimates to plot (all suppressed or missing)")
    ax = _axes(ax, figsize=(7, 0.45 * len(d) + 1.5))
    colour = sns.color_palette(PALETTE)[0]
    pos = np.arange(len(d))
    ax.errorbar(d[estimate], pos, xerr=[d[estimate] - d[ci_low], d[ci_high] - d[estimate]],
                fmt="o", color=colour, capsize=3)
    if reference is not None:
        ax.axvline(reference, color="#666666", linestyle="--")
    ax.set_yticks(pos, [_group_label(label, v, lang) for v in d[label]])
    _decorate(ax, title or _t("plot.caterpillar.title", lang), xlabel=xlabel or estimate,
              ylabel=_t("plot.municipality", lang) if label == "municipality" else label)
    formatting.localise_axes(ax, lang)
    return ax


@formatting.literal_figure
def quality_heatmap(
    data: pd.DataFrame,
    *,
    year: int | None = None,
    rows: str = "municipality",
    lang: str = "fi",
    title: str | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Heatmap of quality-criteria ratings: municipalities (or years) × criteria.

    ``data`` is :func:`soskulib.process.quality_profile` output (or the raw ``quality``
    table). With ``rows="municipality"`` one year is shown (``year``, default the latest);
    with ``rows="year"`` (one municipality's report) every assessment year is a row, so the
    change between years reads down each column.

    Parameters
    ----------
    data : DataFrame
        ``municipality, year, criterion, rating`` rows.
    year : int, optional
        Year shown with ``rows="municipality"`` (default the latest).
    rows : {"municipality", "year"}
        What the heatmap rows are.
    lang : {"fi", "en"}
        Language of titles, axis labels and legends.
    title : str, optional
        Figure title (default: a bilingual standard title).
    ax : matplotlib Axes, optional
        Draw into these axes (default: a new figure).

    Returns
    -------
    Axes
        The axes drawn on.

    Raises
    ------
    ValueError
        ``rows`` is unknown, or ``rows="year"`` with more than one municipality.
    KeyError
        A required column is missing.

    Examples
    --------
    >>> profile = process.quality_profile(quality, lang="fi")      # doctest: +SKIP
    >>> ax = quality_heatmap(profile, lang="fi")                      # doctest: +SKIP
    """
    require_columns(data, ["municipality", "year", "criterion", "rating"], "quality_heatmap")
    if rows not in ("municipality", "year"):
        raise ValueError(f"rows must be 'municipality' or 'year', got {rows!r}")
    if rows == "year":
        if data["municipality"].nunique() != 1:
            raise ValueError("rows='year' shows one municipality; filter the data first")
        d = data
        first, last = int(data["year"].min()), int(data["year"].max())
        year_text = str(first) if first == last else f"{first}–{last}"
    else:
        year = int(data["year"].max()) if year is None else int(year)
        d = data.loc[data["year"] == year]
        year_text = str(year)
    if d.empty:
        raise ValueError(f"quality_heatmap: no ratings for year {year}")
    criteria = schema.quality_criteria().set_index("criterion")[f"short_{labels.check_lang(lang)}"]
    grid = d.pivot_table(index=rows, columns="criterion", values="rating", aggfunc="mean")
    # Every criterion gets its column: one a municipality did not rate is a marked blank, not
    # a column silently missing from its page.
    grid = grid.reindex(columns=sorted(set(criteria.index) | set(grid.columns)))
    grid.index = ([_municipality_label(m, lang) for m in grid.index] if rows == "municipality"
                  else [str(y) for y in grid.index])
    if rows == "municipality":  # by name, as the tables list municipalities
        grid = grid.loc[sorted(grid.index, key=str.casefold)]
    grid.columns = [f"{c}. {criteria.get(c, c)}" for c in grid.columns]
    ax = _axes(ax, figsize=(10, 0.5 * len(grid) + 3))
    texts = np.array([["" if pd.isna(v) else f"{v:.0f}" for v in row] for row in grid.to_numpy()])
    mesh = _heatmap(ax, grid, texts, vmin=1, vmax=4,
                    cmap=ListedColormap(sns.color_palette("cividis", 4)),
                    colorbar={"label": _t("plot.quality.rating", lang)})
    # The scale's ends beside the colour bar's ticks (a long rotated label was cut off).
    mesh.colorbar.set_ticks([1, 2, 3, 4], labels=[
        _t("plot.quality.low", lang), "2", "3", _t("plot.quality.high", lang)])
    # A criterion not rated is a blank cell: marked with a dash, and the legend says what it means
    # (as the quality-change table writes "–").
    blank = np.argwhere(grid.isna().to_numpy())
    for i, j in blank:
        ax.text(j + 0.5, i + 0.5, "–", ha="center", va="center", color="black")
    if len(blank):  # under the colour bar, as one more entry of the scale
        cbar_ax = mesh.colorbar.ax
        cbar_ax.legend(handles=[Patch(facecolor="white", edgecolor="grey", label=_t("plot.quality.missing", lang))],
                       loc="upper left", bbox_to_anchor=(0, -0.02), frameon=False, handlelength=1.2)
    _decorate(ax, title or _t("plot.quality.title", lang, year=year_text),
              xlabel=_t("plot.criterion", lang),
              ylabel=_t("plot.municipality" if rows == "municipality" else "plot.year", lang),
              rotate=45)
    return ax


def _stacked_shares(
    ax: Axes,
    table: pd.DataFrame,
    group: str,
    category: str,
    categories: Sequence,
    colours: Sequence,
    names: Sequence[str],
    lang: str,
    min_cell: int,
) -> None:
    """Horizontal 100 % bars from a protected long table of shares.

    The hidden categories of a group are one hatched segment at the position of the first
    of them, so the visible categories keep their order.
    """
    groups = list(dict.fromkeys(table[group]))
    hatched = _t("plot.suppressed", lang, k=min_cell)
    for pos, g in enumerate(groups):
        rows = table.loc[table[group] == g].set_index(category).reindex(categories)
        shares = rows["share"]
        rest = max(0.0, 1.0 - float(shares.fillna(0).sum()))
        left, placed = 0.0, False
        for cat, colour, name in zip(categories, colours, names, strict=True):
            value = shares.get(cat)
            if pd.isna(value):
                if not placed and rest > 1e-9:
                    ax.barh(pos, rest, left=left, label=hatched, **SUPPRESSED_STYLE)
                    left += rest
                placed = True
                continue
            ax.barh(pos, float(value), left=left, color=colour, edgecolor="white", label=name)
            left += float(value)
    handles, labels_ = ax.get_legend_handles_labels()
    unique = dict(zip(labels_, handles, strict=True))
    order = [n for n in names if n in unique] + ([hatched] if hatched in unique else [])
    ax.legend([unique[n] for n in order], order)
    ax.set_yticks(range(len(groups)), [_group_label(group, g, lang) for g in groups])
    ax.set_xlim(0, 1)
    ax.xaxis.set_major_formatter(formatting.axis_formatter(lang, percent_axis=True))


def _stacked_counts(ax: Axes, table: disclosure.CrossTab, colours: Sequence, lang: str,
                    min_cell: int, group: str) -> list:
    """Horizontal 100 % bars from a protected cross-tabulation (groups × categories).

    Visible cells are drawn as their share of the group's total, in category order; the
    hidden cells of a group are one hatched segment placed where the first of them would be
    (their sum is known, their split is not), so the order of the visible categories stays.
    Groups whose total is hidden are left out. Returns the drawn ``(group, category, share)``
    segments (category ``None`` for the hatched one), which the tests compare with the table.
    """
    counts = table.counts
    inner = counts.drop(index="total", columns="total", errors="ignore")
    totals = counts["total"] if "total" in counts.columns else inner.sum(axis=1, min_count=1)
    groups = [g for g in inner.index if pd.notna(totals.get(g)) and totals[g] > 0]
    drawn = []
    hatched_label = _t("plot.suppressed", lang, k=min_cell)
    for pos, g in enumerate(groups):
        row = inner.loc[g]
        hidden_share = 1.0 - float(row.fillna(0).sum()) / float(totals[g])
        left, placed = 0.0, False
        for k, (cat, value) in enumerate(row.items()):
            if pd.isna(value):
                if not placed and hidden_share > 1e-9:
                    ax.barh(pos, hidden_share, left=left, label=hatched_label, **SUPPRESSED_STYLE)
                    drawn.append((g, None, hidden_share))
                    left += hidden_share
                placed = True
                continue
            share = float(value) / float(totals[g])
            ax.barh(pos, share, left=left, color=colours[k], edgecolor="white", label=str(cat))
            drawn.append((g, cat, share))
            left += share
    ax.set_yticks(range(len(groups)), [_group_label(group, g, lang) for g in groups])
    ax.invert_yaxis()  # the first group of the table on top, as the table lists it
    ax.set_xlim(0, 1)
    ax.xaxis.set_major_formatter(formatting.axis_formatter(lang, percent_axis=True))  # "40 %"
    handles, names = ax.get_legend_handles_labels()
    unique = dict(zip(names, handles, strict=True))  # one legend entry per category
    order = [str(c) for c in inner.columns if str(c) in unique]
    if hatched_label in unique:
        order.append(hatched_label)
    ax.legend([unique[n] for n in order], order, title=_t("plot.fidelity.legend", lang),
              bbox_to_anchor=(1.01, 1), loc="upper left", fontsize="small")
    ax.figure.sosku_plotted = drawn
    return drawn


@formatting.literal_figure
def fidelity_bars(
    data: pd.DataFrame | disclosure.CrossTab,
    *,
    by: str = "municipality",
    lang: str = "fi",
    title: str | None = None,
    min_cell: int = disclosure.MIN_CELL,
    ax: Axes | None = None,
) -> Axes:
    """Stacked bars of the number of core elements (0–4) each client received, per group.

    Drawn from the published, protected table: pass the
    :func:`soskulib.process.elements_received` cross-tabulation that the page publishes (or
    per-episode rows, from which it is made). A hidden cell is never drawn, a visible one always: the hidden
    cells of a group form one hatched "suppressed" segment at the position of the first of
    them (:func:`_stacked_counts`). The drawn segments are kept on the figure as
    ``figure.sosku_plotted`` for the test that compares them with the table.

    Parameters
    ----------
    data : DataFrame or CrossTab
        The protected cross-tabulation, or per-episode rows with ``n_elements`` (0-4) and
        ``by``.
    by : str
        Grouping column (for labels, and for the cross-tabulation made from rows).
    lang : {"fi", "en"}
        Language of titles, axis labels and legends.
    title : str, optional
        Figure title (default: a bilingual standard title).
    min_cell : int
        Disclosure threshold (default :data:`soskulib.disclosure.MIN_CELL`, 5).
    ax : matplotlib Axes, optional
        Draw into these axes (default: a new figure).

    Returns
    -------
    Axes
        The axes drawn on.

    Examples
    --------
    >>> episodes = process.client_episodes(clients, contacts, goals)  # doctest: +SKIP
    >>> ax = fidelity_bars(episodes, by="municipality", lang="en")       # doctest: +SKIP
    """
    if isinstance(data, disclosure.CrossTab):
        table = data
    else:
        table = process.elements_received(data, by, min_cell=min_cell)
    n_groups = len(table.counts.index) - ("total" in table.counts.index)
    ax = _axes(ax, figsize=(8, 0.5 * n_groups + 2))
    n_cats = len(table.counts.columns) - ("total" in table.counts.columns)
    colours = sns.color_palette("viridis", n_cats)
    _stacked_counts(ax, table, colours, lang, min_cell, by)
    _decorate(ax, title or _t("plot.fidelity.title", lang), xlabel=_t("plot.share_clients", lang),
              ylabel=_group_axis_label(by, lang))
    return ax


#: Percentiles the box plots' whiskers reach (no outliers are drawn: no single value shows).
WHISKERS = (10, 90)


def _box_without_individuals(ax: Axes, data: pd.DataFrame, x: str, y: str, *, lang: str,
                             **kwargs) -> None:
    # Whiskers at the 10th/90th percentiles and no outlier markers: no single value is drawn.
    # A reader assumes Tukey's 1.5 × IQR, so the figure itself says what box and whiskers are.
    sns.boxplot(data=data, x=x, y=y, whis=WHISKERS, showfliers=False, ax=ax, **kwargs)
    ax.figure.supxlabel(_t("plot.box_key", lang, low=WHISKERS[0], high=WHISKERS[1]),
                        fontsize="small", color="0.3")


@formatting.literal_figure
def dose_distribution(
    data: pd.DataFrame,
    measure: str = "hours",
    *,
    by: str = "municipality",
    lang: str = "fi",
    title: str | None = None,
    xlabel: str | None = None,
    min_cell: int = disclosure.MIN_CELL,
    ax: Axes | None = None,
    published: pd.DataFrame | None = None,
) -> Axes:
    """Box plots of a per-client dose measure by group (groups under ``min_cell`` left out).

    With ``published`` (the protected :func:`soskulib.process.dose` table the page shows)
    exactly the groups whose ``n`` that table shows for ``measure`` are drawn, labelled with
    that ``n``: a figure never shows a group its table hides, nor hides one it shows.

    Whiskers span the 10th–90th percentiles; individual values are never drawn. The tick
    labels carry each group's n.

    Parameters
    ----------
    data : DataFrame
        Per-client rows (e.g. :func:`soskulib.process.client_episodes`).
    measure : str
        Dose column (``"hours"``, ``"contacts"``, ...).
    by : str
        Grouping column.
    lang : {"fi", "en"}
        Language of titles, axis labels and legends.
    title : str, optional
        Figure title (default: a bilingual standard title).
    xlabel : str, optional
        Label of the measure axis (default: the column name).
    min_cell : int
        Disclosure threshold (default :data:`soskulib.disclosure.MIN_CELL`, 5).
    ax : matplotlib Axes, optional
        Draw into these axes (default: a new figure).
    published : DataFrame, optional
        The protected dose table (``by, measure, n`` with an ``n_suppressed`` mask).

    Returns
    -------
    Axes
        The axes drawn on.

    Raises
    ------
    NothingToPlot
        Every value is suppressed or missing.
    KeyError
        A required column is missing.

    Examples
    --------
    >>> ax = dose_distribution(episodes, "hours", by="municipality", lang="en")  # doctest: +SKIP
    """
    require_columns(data, [measure, by], "dose_distribution")
    d = data.dropna(subset=[measure, by])
    sizes = d.groupby(by).size()
    if published is not None:
        # Exactly the groups the published table shows for this measure, with its n.
        require_columns(published, [by, "measure", "n"], "dose_distribution(published=...)")
        rows = published.loc[published["measure"] == measure]
        visible = rows.loc[rows["n"].notna() & ~_hidden(rows, "n").reindex(rows.index).to_numpy()]
        sizes = visible.set_index(by)["n"].astype(int)
        keep = sizes.index
    else:
        keep = sizes[sizes >= min_cell].index
    d = d.loc[d[by].isin(keep)]
    if d.empty:
        raise NothingToPlot(f"dose_distribution: no group has at least {min_cell} clients")
    order = _ordered_groups(by, sorted(keep))
    ax = _axes(ax, figsize=(8, 0.45 * len(order) + 1.5))
    # Horizontal boxes: long municipality names stay readable.
    _box_without_individuals(ax, d, measure, by, lang=lang, order=order, orient="h",
                             color=sns.color_palette(PALETTE)[0])
    ax.set_yticks(range(len(order)), [f"{_group_label(by, g, lang)} ({_t('plot.n_label', lang, n=sizes[g])})"
                                      for g in order])
    _decorate(ax, title or _t("plot.dose.title", lang), xlabel=xlabel or measure,
              ylabel=_group_axis_label(by, lang))
    formatting.localise_axes(ax, lang)
    return ax


@formatting.literal_figure
def pre_post(
    data: pd.DataFrame,
    *,
    instrument: str = "instrument",
    pre: str = "baseline",
    post: str = "end",
    lang: str = "fi",
    title: str | None = None,
    min_cell: int = disclosure.MIN_CELL,
) -> Figure:
    """Distributions at two occasions per instrument (one panel each), paired clients only.

    ``data`` is :func:`soskulib.outcomes.change_scores` output, whose score columns are named
    after the occasions compared. Instruments with fewer than ``min_cell`` paired clients are
    left out.

    Parameters
    ----------
    data : DataFrame
        :func:`soskulib.outcomes.change_scores` output.
    instrument : str
        Instrument column (one panel per instrument).
    pre, post : str
        The occasions compared: columns of ``data`` and codes of the ``occasion`` list
        (default baseline and end, as in :func:`soskulib.outcomes.change_scores`).
    lang : {"fi", "en"}
        Language of titles, axis labels and legends.
    title : str, optional
        Figure title (default: a bilingual standard title).
    min_cell : int
        Disclosure threshold (default :data:`soskulib.disclosure.MIN_CELL`, 5).

    Returns
    -------
    Figure

    Raises
    ------
    NothingToPlot
        Every value is suppressed or missing.
    KeyError
        A required column is missing.

    Examples
    --------
    >>> fig = pre_post(outcomes.change_scores(responses), lang="en")  # doctest: +SKIP
    """
    require_columns(data, [instrument, pre, post], "pre_post")
    counts = data.groupby(instrument).size()
    insts = [i for i in sorted(counts.index) if counts[i] >= min_cell]
    if not insts:
        raise NothingToPlot(f"pre_post: no instrument has at least {min_cell} paired clients")
    fig, axes = plt.subplots(1, len(insts), figsize=(3.2 * len(insts) + 1, 4), layout="constrained",
                             squeeze=False)
    occ = {pre: _code_label("occasion", pre, lang), post: _code_label("occasion", post, lang)}
    for ax, inst in zip(axes[0], insts, strict=True):
        part = data.loc[data[instrument] == inst, [pre, post]].melt(
            var_name="occasion", value_name="score")
        part["occasion"] = part["occasion"].map(occ)
        _box_without_individuals(ax, part, "occasion", "score", lang=lang, hue="occasion",
                                 palette=PALETTE, legend=False)
        spec = instruments.get(inst)
        # What the headline scale measures ("3X10D: elämä kokonaisuutena"), on two lines.
        name = spec.display_name(lang).replace(": ", ":\n")
        n_text = _t("plot.n_label", lang, n=formatting.integer(counts[inst], lang))
        ax.set_title(f"{name}\n{n_text}", fontsize="medium")
        ax.set_xlabel(_t("plot.occasion", lang))
        ax.set_ylabel(_t("plot.score", lang))
    fig.suptitle(title or _t("plot.prepost.title", lang))
    formatting.localise_axes(fig, lang)
    return fig


@formatting.literal_figure
def traffic_light_profile(
    responses: pd.DataFrame,
    *,
    occasion: str = "baseline",
    instrument: str = "3x10d",
    lang: str = "fi",
    title: str | None = None,
    min_cell: int = disclosure.MIN_CELL,
    ax: Axes | None = None,
) -> Axes:
    """3X10D traffic-light profile: share of clients in red/yellow/green per life area.

    Bands come from the instrument spec (``traffic_lights``: red 0–5, yellow 6–7, green
    8–10, Diak). Counts per band pass through :func:`soskulib.disclosure.suppress_table`
    (bands of one life area add up to its respondents); hidden bands are one hatched segment.

    Parameters
    ----------
    responses : DataFrame
        Processed ``responses_3x10d`` (``occasion`` and the item columns).
    occasion : str
        Occasion shown.
    instrument : str
        Instrument whose spec declares ``traffic_lights``.
    lang : {"fi", "en"}
        Language of titles, axis labels and legends.
    title : str, optional
        Figure title (default: a bilingual standard title).
    min_cell : int
        Disclosure threshold (default :data:`soskulib.disclosure.MIN_CELL`, 5).
    ax : matplotlib Axes, optional
        Draw into these axes (default: a new figure).

    Returns
    -------
    Axes
        The axes drawn on.

    Examples
    --------
    >>> responses = io.load_processed("data/processed", "responses_3x10d")  # doctest: +SKIP
    >>> ax = traffic_light_profile(responses, occasion="baseline", lang="fi")  # doctest: +SKIP
    """
    spec = instruments.get(instrument)
    if not spec.traffic_lights:
        raise ValueError(f"{spec.name} has no traffic_lights in its spec")
    require_columns(responses, ["occasion", *spec.items], "traffic_light_profile")
    bands = list(spec.traffic_lights)
    # drawn from the protected table the page publishes (both occasions: an occasion's
    # respondents are protected against the clients answered at both)
    pair = ("baseline", "end")
    table = outcomes.traffic_light_shares(responses, instrument=instrument,
                                          occasions=pair if occasion in pair else [occasion],
                                          min_cell=min_cell)
    table = table.loc[table["occasion"] == occasion].drop(columns="occasion").reset_index(drop=True)
    table["item"] = table["item"].map(lambda i: spec.label(i, lang))
    ax = _axes(ax, figsize=(8, 5))
    colours = [TRAFFIC_COLOURS.get(b, "#999999") for b in bands]
    names = [_t(f"plot.traffic.{b}", lang) if f"plot.traffic.{b}" in labels.STRINGS else b for b in bands]
    _stacked_shares(ax, table, "item", "band", bands, colours, names, lang, min_cell)
    ax.invert_yaxis()
    _decorate(ax, title or _t("plot.traffic.title", lang, occasion=_code_label("occasion", occasion, lang)),
              xlabel=_t("plot.share_clients", lang), ylabel=_t("plot.life_area", lang))
    legend = ax.get_legend()
    ax.legend(legend.legend_handles, [t.get_text() for t in legend.get_texts()],
              bbox_to_anchor=(1.01, 1), loc="upper left", fontsize="small")
    return ax


@formatting.literal_figure
def pathway_heatmap(
    data: pd.DataFrame,
    *,
    from_col: str = "target_group",
    lang: str = "fi",
    title: str | None = None,
    min_cell: int = disclosure.MIN_CELL,
    ax: Axes | None = None,
) -> Axes:
    """Heatmap of onward-pathway row shares (:func:`soskulib.process.pathways` output).

    Hidden cells are grey and marked with the suppression marker.

    Parameters
    ----------
    data : DataFrame
        :func:`soskulib.process.pathways` output (``from_col``, ``pathway``, ``share``).
    from_col : str
        Row variable.
    lang : {"fi", "en"}
        Language of titles, axis labels and legends.
    title : str, optional
        Figure title (default: a bilingual standard title).
    min_cell : int
        Disclosure threshold (default :data:`soskulib.disclosure.MIN_CELL`, 5).
    ax : matplotlib Axes, optional
        Draw into these axes (default: a new figure).

    Returns
    -------
    Axes
        The axes drawn on.

    Raises
    ------
    NothingToPlot
        Every value is suppressed or missing.
    KeyError
        A required column is missing.

    Examples
    --------
    >>> ax = pathway_heatmap(process.pathways(episodes), lang="en")  # doctest: +SKIP
    """
    require_columns(data, [from_col, "pathway", "share"], "pathway_heatmap")
    if data.empty:
        raise NothingToPlot("pathway_heatmap: no ended episodes with a pathway")
    grid = data.pivot_table(index=from_col, columns="pathway", values="share", aggfunc="first",
                            dropna=False, sort=False)
    hidden = (data.assign(_h=_hidden(data, "share"))
              .pivot_table(index=from_col, columns="pathway", values="_h", aggfunc="first", sort=False)
              .reindex_like(grid).fillna(False).astype(bool))
    annot = grid.map(lambda v: "" if pd.isna(v) else formatting.percent(v, lang, share=True)).mask(
        hidden, disclosure.MARKER)
    grid.index = [_code_label(from_col, v, lang) if from_col in schema.CODE_LABELS else str(v)
                  for v in grid.index]
    grid.columns = [_code_label("pathway", v, lang) for v in grid.columns]
    ax = _axes(ax, figsize=(9, 0.55 * len(grid) + 2.5))
    ax.set_facecolor(SUPPRESSED_STYLE["facecolor"])
    _heatmap(ax, grid, annot.to_numpy(), vmin=0, vmax=1, cmap="cividis",
             colorbar={"label": _t("plot.share_clients", lang),
                       "format": formatting.axis_formatter(lang, percent_axis=True)})
    # A hidden cell has no value (no colour, no text): mark it explicitly.
    for i, j in zip(*np.nonzero(hidden.to_numpy()), strict=True):
        ax.text(j + 0.5, i + 0.5, disclosure.MARKER, ha="center", va="center", color="#333333")
    from_label = (schema.CLIENTS.column(from_col).label_fi if lang == "fi" and from_col in
                  [c.name for c in schema.CLIENTS.columns] else from_col.replace("_", " "))
    # The title names the row variable, as the caption does ("by target group").
    key = f"plot.pathway.title.{from_col}"
    _decorate(ax, title or _t(key if key in labels.STRINGS else "plot.pathway.title", lang),
              xlabel=_t("plot.pathway", lang), ylabel=from_label, rotate=30)
    return ax


@formatting.literal_figure
def codevelopment_timeline(
    data: pd.DataFrame,
    *,
    lang: str = "fi",
    title: str | None = None,
    min_cell: int = disclosure.MIN_CELL,
    ax: Axes | None = None,
) -> Axes:
    """Stacked bars of development events per quarter by type, with the lived-experience share.

    ``data`` is :func:`soskulib.process.codevelopment` output (summed over any ``by``
    groups); the line (right axis) is the share of clients and experts by experience among
    all participants. Attendance of clients and experts by experience counts people outside
    the staff: a quarter where they number 1 to ``min_cell`` − 1 has no point (the share
    would reveal the count); a quarter without them shows 0 %.

    Parameters
    ----------
    data : DataFrame
        :func:`soskulib.process.codevelopment` output.
    lang : {"fi", "en"}
        Language of titles, axis labels and legends.
    title : str, optional
        Figure title (default: a bilingual standard title).
    min_cell : int
        Disclosure threshold (default :data:`soskulib.disclosure.MIN_CELL`, 5).
    ax : matplotlib Axes, optional
        Draw into these axes (default: a new figure).

    Returns
    -------
    Axes
        The axes of the bars (the share line is on a twin axis).

    Examples
    --------
    >>> events = process.codevelopment(activities)     # doctest: +SKIP
    >>> ax = codevelopment_timeline(events, lang="fi")    # doctest: +SKIP
    """
    require_columns(data, ["quarter", "activity_type", "n_events", "n_participants", "n_clients",
                           "n_experts_by_experience"], "codevelopment_timeline")
    grid = data.pivot_table(index="quarter", columns="activity_type", values="n_events", aggfunc="sum",
                            fill_value=0)
    types = [t for t in schema.ACTIVITY_TYPE_LABELS if t in grid.columns]
    grid = grid[types]
    ax = _axes(ax, figsize=(10, 5.5))
    colours = sns.color_palette(PALETTE, len(types))
    bottom = np.zeros(len(grid))
    pos = np.arange(len(grid))
    for t, colour in zip(types, colours, strict=True):
        ax.bar(pos, grid[t], bottom=bottom, color=colour, label=_code_label("activity_type", t, lang))
        bottom += grid[t].to_numpy()
    # the protected share (a quarter with 1 … min_cell − 1 people of lived experience has none)
    shares = process.codevelopment_shares(data, min_cell=min_cell).set_index("quarter")
    share = shares["share"].reindex(grid.index.astype(str))
    twin = ax.twinx()
    twin.plot(pos, share.to_numpy(), color="#333333", marker="o", label=_t("plot.codev.share", lang))
    twin.set_ylim(0, 1)
    twin.set_ylabel(_t("plot.codev.share_axis", lang), fontsize="small")  # the legend says more
    twin.yaxis.set_major_formatter(formatting.axis_formatter(lang, percent_axis=True))
    ax.set_xticks(pos, formatting.quarters(grid.index, lang), rotation=45, ha="right")
    _decorate(ax, title or _t("plot.codev.title", lang), xlabel=_t("plot.quarter", lang),
              ylabel=_t("plot.codev.events", lang))
    handles, names = ax.get_legend_handles_labels()
    h2, n2 = twin.get_legend_handles_labels()
    legend_below(ax, handles + h2, names + n2, ncol=2)  # under the rotated quarter labels
    formatting.localise_axes(ax, lang)
    return ax


def suppressed_legend_patch(lang: str = "fi", min_cell: int = disclosure.MIN_CELL) -> Patch:
    """A legend handle for hidden cells, for composing custom figures.

    Parameters
    ----------
    lang : {"fi", "en"}
        Language of titles, axis labels and legends.
    min_cell : int
        Disclosure threshold (default :data:`soskulib.disclosure.MIN_CELL`, 5).

    Returns
    -------
    matplotlib.patches.Patch

    Examples
    --------
    >>> suppressed_legend_patch("en").get_label()
    'suppressed'
    """
    return Patch(label=_t("plot.suppressed", lang, k=min_cell), **SUPPRESSED_STYLE)


@formatting.literal_figure
def entries_chart(
    data: pd.DataFrame,
    *,
    lang: str = "fi",
    title: str | None = None,
    min_cell: int = disclosure.MIN_CELL,
    ax: Axes | None = None,
) -> Axes:
    """Bars of new client episodes per quarter (:func:`soskulib.process.entries` output).

    Suppressed quarters are drawn as hatched grey bars of height ``min_cell`` (the count is
    somewhere between 1 and ``min_cell − 1``; the bar only shows that there were some).

    Parameters
    ----------
    data : DataFrame
        :func:`soskulib.process.entries` output (``quarter``, ``n_entries``).
    lang : {"fi", "en"}
        Language of titles, axis labels and legends.
    title : str, optional
        Figure title (default: a bilingual standard title).
    min_cell : int
        Disclosure threshold (default :data:`soskulib.disclosure.MIN_CELL`, 5).
    ax : matplotlib Axes, optional
        Draw into these axes (default: a new figure).

    Returns
    -------
    Axes
        The axes drawn on.

    Raises
    ------
    NothingToPlot
        Every value is suppressed or missing.
    KeyError
        A required column is missing.

    Examples
    --------
    >>> ax = entries_chart(process.entries(clients), lang="en")  # doctest: +SKIP
    """
    require_columns(data, ["quarter", "n_entries"], "entries_chart")
    d = data.reset_index(drop=True)
    if d.empty:
        raise NothingToPlot("entries_chart: no quarters to plot")
    hidden = _hidden(d, "n_entries").to_numpy()
    pos = np.arange(len(d))
    ax = _axes(ax, figsize=(8, 3.6))
    ax.bar(pos[~hidden], d.loc[~hidden, "n_entries"].astype(float), color=sns.color_palette(PALETTE)[0])
    if hidden.any():
        ax.bar(pos[hidden], np.full(hidden.sum(), float(min_cell)), label=_t("plot.suppressed", lang, k=min_cell),
               **SUPPRESSED_STYLE)
        ax.legend(fontsize="small")
    step = max(1, len(pos) // 12)
    ax.set_xticks(pos[::step], formatting.quarters(d["quarter"].to_numpy()[::step], lang), rotation=45,
                  ha="right")
    _decorate(ax, title or _t("plot.entries.title", lang), xlabel=_t("plot.quarter", lang),
              ylabel=_t("plot.entries", lang))
    formatting.localise_axes(ax, lang)
    return ax


@formatting.literal_figure
def effect_chart(
    data: pd.DataFrame,
    estimate: str = "effect",
    ci_low: str = "effect_ci_low",
    ci_high: str = "effect_ci_high",
    *,
    label: str = "name",
    group: str | None = None,
    lang: str = "fi",
    title: str | None = None,
    xlabel: str | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Dot-and-whisker chart of effect sizes per instrument (and group), zero line dashed.

    ``data`` is e.g. :func:`soskulib.outcomes.outcome_summary` output; hidden (suppressed)
    rows are left out. Groups are told apart by colour *and* marker shape.

    Parameters
    ----------
    data : DataFrame
        One row per instrument (and group) with an effect size and its CI.
    estimate, ci_low, ci_high : str
        Column names.
    label : str
        Row-label column (instrument name).
    group : str, optional
        Column whose values get their own colour and marker.
    lang : {"fi", "en"}
        Language of titles, axis labels and legends.
    title : str, optional
        Figure title (default: a bilingual standard title).
    xlabel : str, optional
        X-axis label (default: standardised change, positive = improvement).
    ax : matplotlib Axes, optional
        Draw into these axes (default: a new figure).

    Returns
    -------
    Axes
        The axes drawn on.

    Raises
    ------
    NothingToPlot
        Every value is suppressed or missing.
    KeyError
        A required column is missing.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> data = pd.DataFrame({"name": ["ESIS", "WHODAS-12"], "effect": [0.3, 0.2],
    ...                      "effect_ci_low": [0.1, -0.05], "effect_ci_high": [0.5, 0.45]})
    >>> ax = effect_chart(data, lang="en")
    >>> ax.get_xlabel()
    'standardised change (positive = improvement)'
    """
    require_columns(data, [estimate, ci_low, ci_high, label, *([group] if group else [])], "effect_chart")
    d = data.dropna(subset=[estimate, ci_low, ci_high]).reset_index(drop=True)
    if d.empty:
        raise NothingToPlot("effect_chart: no visible estimates (all suppressed or missing)")
    rows = list(dict.fromkeys(d[label]))
    groups = _ordered_groups(group, d[group]) if group else [None]
    ax = _axes(ax, figsize=(8, 0.55 * len(rows) * max(1, len(groups)) ** 0.5 + 1.6))
    colours = sns.color_palette(PALETTE)
    offsets = np.linspace(-0.22, 0.22, len(groups)) if len(groups) > 1 else [0.0]
    for k, (g, off) in enumerate(zip(groups, offsets, strict=True)):
        part = d if g is None else d.loc[d[group] == g]
        y = np.array([rows.index(v) for v in part[label]], dtype=float) + off
        x = part[estimate].to_numpy(float)
        err = np.vstack([x - part[ci_low].to_numpy(float), part[ci_high].to_numpy(float) - x])
        name = None if g is None else _group_label(group, g, lang)
        ax.errorbar(x, y, xerr=err, fmt="osD^v"[k % 5], capsize=3, color=colours[k % len(colours)],
                    label=name)
    ax.axvline(0, color="#666666", linestyle="--", linewidth=0.8)
    ax.set_yticks(range(len(rows)), rows)
    ax.invert_yaxis()
    _decorate(ax, title or _t("plot.effect.title", lang), xlabel=xlabel or _t("plot.effect", lang),
              ylabel=_t("plot.instrument", lang))
    if group:
        ax.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False)
    formatting.localise_axes(ax, lang)
    return ax


@formatting.literal_figure
def truth_chart(
    data: pd.DataFrame,
    *,
    lang: str = "fi",
    test: str = "z",
    title: str | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Pooled estimates with CIs against the demo generator's true μ (one row per instrument).

    ``data`` is :func:`soskulib.synthesis.truth_table` output.

    Parameters
    ----------
    data : DataFrame
        :func:`soskulib.synthesis.truth_table` output (``name, estimate, ci_low, ci_high,
        mu_true``).
    lang : {"fi", "en"}
        Language of titles, axis labels and legends.
    test : str
        Name of the CI method shown in the legend (``"z"`` or ``"knha"``).
    title : str, optional
        Figure title (default: a bilingual standard title).
    ax : matplotlib Axes, optional
        Draw into these axes (default: a new figure).

    Returns
    -------
    Axes
        The axes drawn on.

    Examples
    --------
    >>> ax = truth_chart(synthesis.truth_table(pooled, truth), test="knha")  # doctest: +SKIP
    """
    require_columns(data, ["name", "estimate", "ci_low", "ci_high", "mu_true"], "truth_chart")
    d = data.reset_index(drop=True)
    ax = _axes(ax, figsize=(7.5, 0.6 * len(d) + 1.6))
    colours = sns.color_palette(PALETTE)
    y = np.arange(len(d))
    x = d["estimate"].to_numpy(float)
    ax.errorbar(x, y, xerr=[x - d["ci_low"].to_numpy(float), d["ci_high"].to_numpy(float) - x],
                fmt="o", capsize=3, color=colours[0], label=_t("plot.truth.pooled", lang, test=test))
    ax.scatter(d["mu_true"], y, marker="X", s=90, color=colours[1], zorder=4,
               label=_t("plot.truth.mu", lang))
    ax.axvline(0, color="#666666", linestyle="--", linewidth=0.8)
    ax.set_yticks(y, d["name"])
    ax.invert_yaxis()
    _decorate(ax, title or _t("plot.truth.title", lang), xlabel="SMCR")
    # Under the axes: inside them it covered the last instrument's point and CI.
    ax.legend(fontsize="small", loc="upper center", bbox_to_anchor=(0.5, -0.18), ncol=2,
              frameon=False)
    formatting.localise_axes(ax, lang)
    return ax


@formatting.literal_figure
def tipping_point_chart(
    curve: pd.DataFrame,
    *,
    lang: str = "fi",
    title: str | None = None,
) -> Figure:
    """Tipping-point figure of the delta-adjusted imputation: one panel per instrument.

    The starters' SMCR and its 95 % CI (band) against δ, the shift of the non-completers'
    imputed end scores in baseline SDs (0 = missing at random, going right = non-completers
    fared worse). A dashed line marks no change; a dotted line and its label the δ at which
    the estimate reaches 0 (:func:`soskulib.attrition.tipping_point`). Only estimates are
    drawn (no counts), from :func:`soskulib.attrition.sensitivity` or
    :func:`soskulib.attrition.pooled_sensitivity` output.

    Parameters
    ----------
    curve : DataFrame
        ``name, delta, estimate, ci_low, ci_high`` (one instrument per ``name``).
    lang : {"fi", "en"}
        Language.
    title : str, optional
        Figure title.

    Returns
    -------
    Figure

    Examples
    --------
    >>> c = pd.DataFrame({"name": "ESIS", "delta": [0.0, -0.5, -1.0], "estimate": [0.3, 0.1, -0.1],
    ...                   "ci_low": [0.1, -0.1, -0.3], "ci_high": [0.5, 0.3, 0.1]})
    >>> fig = tipping_point_chart(c, lang="en")
    >>> len(fig.axes)
    1
    """
    from soskulib import attrition

    require_columns(curve, ["name", "delta", "estimate", "ci_low", "ci_high"], "tipping_point_chart")
    d = curve.dropna(subset=["estimate"])
    if d.empty:
        raise NothingToPlot("no tipping-point curve to draw")
    names = list(dict.fromkeys(d["name"]))
    cols = min(2, len(names))
    rows = int(np.ceil(len(names) / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(5.2 * cols, 3.4 * rows + 0.6), squeeze=False,
                             sharey=True, layout="constrained")
    fig.get_layout_engine().set(h_pad=0.1)  # air between the figure's title and the panels'
    colour = sns.color_palette(PALETTE)[0]
    comma = labels.check_lang(lang) == "fi"

    def fmt(v: float, _pos: object = None, digits: int = 1) -> str:
        v = 0.0 if abs(v) < 0.5 * 10**-digits else v   # no "−0,0"
        text = f"{v:.{digits}f}".replace("-", "−")
        return text.replace(".", ",") if comma else text

    for ax, name in zip(axes.ravel(), names, strict=False):
        part = d.loc[d["name"] == name].sort_values("delta", ascending=False)
        x = -part["delta"].to_numpy(float)          # 0 on the left, worse to the right
        ax.fill_between(x, part["ci_low"], part["ci_high"], color=colour, alpha=0.25, linewidth=0)
        ax.plot(x, part["estimate"], color=colour, marker="o", markersize=3)
        ax.axhline(0, color="#666666", linestyle="--", linewidth=0.8)
        tip = attrition.tipping_point(part["delta"], part["estimate"])
        # the label sits at the top of the panel, on a white box, clear of the band and line
        box = {"boxstyle": "round,pad=0.25", "facecolor": "white", "edgecolor": "none", "alpha": 0.9}
        if np.isfinite(tip):
            ax.axvline(-tip, color="#D55E00", linestyle=":", linewidth=1.4)
            right = -tip > 0.5 * float(np.max(x))   # label on the side with room
            ax.annotate(_t("plot.tipping.point", lang, d=fmt(tip, digits=2)), xy=(-tip, 1),
                        xycoords=("data", "axes fraction"), xytext=(-5 if right else 5, -6),
                        textcoords="offset points", ha="right" if right else "left", va="top",
                        color="#B34700", fontsize="medium", bbox=box)
        else:
            ax.annotate(_t("plot.tipping.none", lang, d=fmt(-float(np.max(x)), digits=1)),
                        xy=(0.98, 0.96), xycoords="axes fraction", ha="right", va="top",
                        color="#444444", fontsize="medium", bbox=box)
        ax.set_title(name)
        ax.xaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: fmt(-v)))
        ax.yaxis.set_major_formatter(plt.FuncFormatter(fmt))
        ax.grid(alpha=0.3)
    for ax in axes.ravel()[len(names):]:
        ax.set_visible(False)
    import textwrap

    fig.supxlabel(textwrap.fill(_t("plot.tipping.x", lang), 60 * cols), fontsize="medium")
    fig.supylabel(textwrap.fill(_t("plot.tipping.y", lang), 40 * rows), fontsize="medium")
    fig.suptitle(textwrap.fill(title or _t("plot.tipping.title", lang), 60 * cols))
    return fig
