"""Figures of development work: experiments on the run/SPC charts and the loop between levels.

Built on :mod:`soskulib.plots` (same palette and localisation); the data come from
:mod:`soskulib.development` and :mod:`soskulib.process`. Experiments are drawn as vertical
lines at their start date labelled with their register id, so a reader sees on the chart
itself whether the series moved after the change.

Examples
--------
>>> import pandas as pd
>>> from soskulib import development_plots
>>> loop = pd.DataFrame({"quarter": ["2017Q1", "2017Q1"], "level": ["level_1", "level_3"],
...                      "n_raised": [1, 2], "n_adopted": [0, 1], "n_moved_up": [0, 0],
...                      "n_moved_down": [0, 0]})
>>> ax = development_plots.loop_chart(loop, lang="en")
>>> ax.get_title()
'Ideas raised and taken up per level and quarter'
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.axes import Axes

from soskulib import disclosure, formatting, labels, plots, schema


def _t(key: str, lang: str, **fields) -> str:
    return labels.text(key, lang, **fields)


#: Vertical distance (points) between the staggered experiment labels above the axes.
_LABEL_STEP = 10


@formatting.literal_figure
def mark_experiments(ax: Axes, experiments: pd.DataFrame, *, lang: str = "fi") -> Axes:
    """Draw each experiment as a vertical line at its start date, labelled with its id.

    The ids are written above the plotting area (staggered when there are several), where
    they cover no point, line or limit of the series; the axes' title is moved up to make
    room for them.

    Parameters
    ----------
    ax : Axes
        A time axis (dates on x).
    experiments : DataFrame
        ``experiment_id, start_date`` (processed ``experiments``; other rows ignored).

    Returns
    -------
    Axes
        ``ax``, with a dash-dotted line and an id label per experiment.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> fig, ax = plt.subplots()
    >>> _ = ax.plot(pd.to_datetime(["2017-01-01", "2017-07-01"]), [1, 2])
    >>> _ = ax.set_title("ESIS")
    >>> exp = pd.DataFrame({"experiment_id": ["092-K3"], "start_date": pd.to_datetime(["2017-04-01"])})
    >>> ax = mark_experiments(ax, exp, lang="en")
    >>> fig.canvas.draw()
    >>> label = ax.texts[0]
    >>> label.get_text(), label.xy[1] >= 1.0   # in axes units: above the plotting area
    ('092-K3', True)
    >>> plt.close(fig)
    """
    if experiments is None or experiments.empty:
        return ax
    colour = sns.color_palette(plots.PALETTE)[3]
    above = ax.get_xaxis_transform()  # x in data units, y in axes units (1 = top edge)
    chosen = experiments.sort_values("start_date")
    for i, exp in enumerate(chosen.itertuples(index=False)):
        ax.axvline(exp.start_date, color=colour, linestyle="-.", linewidth=1.2, zorder=2,
                   label=_t("dev.plot.experiment", lang) if i == 0 else None)
        ax.annotate(str(exp.experiment_id), (ax.convert_xunits(exp.start_date), 1.0), xycoords=above,
                    xytext=(0, 2 + _LABEL_STEP * (i % 3)), textcoords="offset points",
                    ha="center", va="bottom", fontsize="small", color=colour,
                    annotation_clip=False)
    ax.set_title(ax.get_title(), pad=6 + _LABEL_STEP * min(3, len(chosen)))
    return ax


@formatting.literal_figure
def spc_with_experiments(chart: pd.DataFrame, experiments: pd.DataFrame | None, *,
                         lang: str = "fi", measure: str = "dropout",
                         min_cell: int = disclosure.MIN_CELL) -> Axes:
    """The dropout run/SPC chart (:func:`soskulib.plots.spc_chart`) with the experiments on it.

    Only experiments that target ``measure`` are drawn (an experiment on ESIS has no
    business on the dropout chart).

    Examples
    --------
    >>> chart = process.dropout_chart(episodes)                      # doctest: +SKIP
    >>> spc_with_experiments(chart, data["experiments"], lang="en")  # doctest: +SKIP
    """
    ax = plots.spc_chart(chart, lang=lang, min_cell=min_cell)
    if experiments is not None and not experiments.empty:
        chosen = experiments[experiments["target_measure"] == measure]
        mark_experiments(ax, chosen, lang=lang)
        plots.legend_below(ax)
    return ax


@formatting.literal_figure
def outcome_with_experiments(chart: pd.DataFrame, experiments: pd.DataFrame | None,
                             tests: pd.DataFrame | None = None, *, name: str = "",
                             lang: str = "fi", min_cell: int = disclosure.MIN_CELL,
                             ax: Axes | None = None) -> Axes:
    """Quarterly mean change of one instrument with the experiments aimed at it.

    ``chart`` is one municipality's rows of :func:`soskulib.development.outcome_chart` (a
    protected table: hidden quarters are drawn as hatched bands, never as points).
    ``experiments`` are drawn as vertical lines at their start; for each row of ``tests``
    (:func:`soskulib.development.experiment_tests` on the same series) with a published
    ``median_before``, the frozen baseline median is drawn over the quarters before and
    extended (dashed) over the quarters after, and the test's verdict goes in the legend.

    Examples
    --------
    >>> chart = development.outcome_chart(changes, "esis")                  # doctest: +SKIP
    >>> outcome_with_experiments(chart, experiments, tests, name="ESIS")    # doctest: +SKIP
    """
    if chart["value"].notna().sum() == 0:
        raise plots.NothingToPlot("outcome_with_experiments: every quarter is suppressed")
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 4.5), layout="constrained")
    colours = sns.color_palette(plots.PALETTE)
    d = chart.sort_values("quarter_start")
    ax.plot(d["quarter_start"], d["value"], marker="o", color=colours[0], zorder=3,
            label=_t("dev.plot.mean_change", lang))
    hidden = d[disclosure.mask_column("value")] if disclosure.mask_column("value") in d else \
        d["value"].isna()
    for i, start in enumerate(d.loc[hidden.to_numpy(), "quarter_start"]):
        ax.axvspan(start - pd.Timedelta(days=45), start + pd.Timedelta(days=45), zorder=0,
                   alpha=0.6, label=_t("plot.suppressed", lang, k=min_cell) if i == 0 else None,
                   **plots.SUPPRESSED_STYLE)
    ax.axhline(0, color="black", linewidth=0.6)
    for k, row in enumerate((tests if tests is not None else pd.DataFrame()).itertuples()):
        if pd.isna(row.median_before):
            continue
        start = pd.Period(row.start_quarter, freq="Q").start_time
        before = d["quarter_start"] < start
        ax.hlines(row.median_before, d["quarter_start"].min(), start, color=colours[2 + k],
                  linewidth=1.5, label=_t("dev.plot.frozen_median", lang, id=row.experiment_id))
        ax.hlines(row.median_before, start, d["quarter_start"].max(), color=colours[2 + k],
                  linewidth=1.5, linestyle="--")
        if bool(row.signal) and (~before).any():
            after = d.loc[~before & d["value"].notna()]
            ax.scatter(after["quarter_start"], after["value"], s=90, marker="D", zorder=4,
                       color=colours[1], label=_t("dev.plot.signal_after", lang) if k == 0 else None)
    ax.set_title(_t("dev.plot.outcome_title", lang, name=name))
    if experiments is not None and not experiments.empty:
        mark_experiments(ax, experiments, lang=lang)  # its labels go above, under the title
    step = max(1, -(-len(d) // 12))
    ax.set_xticks(d["quarter_start"].iloc[::step],
                  formatting.quarters(d["quarter_start"].iloc[::step], lang), rotation=45,
                  ha="right")
    ax.set_xlabel(_t("dev.plot.end_quarter", lang))
    ax.set_ylabel(_t("dev.plot.outcome_y", lang))
    plots.legend_below(ax)
    formatting.localise_axes(ax, lang)
    return ax


def outcome_caption(tests: pd.DataFrame | None, *, lang: str = "fi") -> str:
    """Caption of :func:`outcome_with_experiments` that says what that figure draws.

    The frozen baseline median (solid before the experiment, dashed after it) is drawn only
    for a test with a published ``median_before``; when the quarters before an experiment
    are too few or hidden, the caption says the median is not drawn and why (the reason of
    :func:`soskulib.development.experiment_tests`). What hatched quarters hide is the
    page's figure note (:meth:`soskulib.page.Report.figure`).

    Parameters
    ----------
    tests : DataFrame or None
        The rows of :func:`soskulib.development.experiment_tests` passed to the figure.
    lang : {"fi", "en"}
        Language.

    Returns
    -------
    str

    Examples
    --------
    >>> tests = pd.DataFrame({"experiment_id": ["092-K3"], "median_before": [float("nan")],
    ...                       "note": ["too_few_quarters"]})
    >>> outcome_caption(tests, lang="en").split("; ")[-1]
    'vertical line = start of the experiment. No baseline median is drawn for 092-K3: too few quarters before the experiment.'
    """
    labels.check_lang(lang)
    parts = [_t("mu.devwork.outcome_figure", lang)]
    rows = tests if tests is not None else pd.DataFrame(columns=["experiment_id", "median_before", "note"])
    drawn = rows.loc[rows["median_before"].notna()]
    if not drawn.empty:
        parts.append(_t("mu.devwork.outcome_figure.median", lang,
                        ids=", ".join(map(str, drawn["experiment_id"]))))
    for row in rows.loc[rows["median_before"].isna()].itertuples(index=False):
        reason = _t(f"dev.note.{row.note}", lang) if isinstance(row.note, str) and row.note else \
            _t("dev.note.too_few_quarters", lang)
        parts.append(_t("mu.devwork.outcome_figure.no_median", lang, id=row.experiment_id,
                        reason=reason))
    return " ".join(parts)


@formatting.literal_figure
def loop_chart(loop: pd.DataFrame, *, lang: str = "fi", ax: Axes | None = None) -> Axes:
    """Ideas raised (bars up) and taken up (bars down) per level and quarter.

    ``loop`` is :func:`soskulib.development.level_loop` output (ideas, not people: nothing
    to suppress).
    """
    if loop.empty:
        raise plots.NothingToPlot("loop_chart: no ideas in the register")
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 4.5), layout="constrained")
    colours = sns.color_palette(plots.PALETTE)
    quarters = sorted(loop["quarter"].unique())
    x = np.arange(len(quarters))
    levels = list(schema.LEVEL_LABELS)
    width = 0.8 / len(levels)
    for k, level in enumerate(levels):
        part = loop.loc[loop["level"] == level, ["quarter", "n_raised", "n_adopted"]].set_index(
            "quarter").reindex(quarters, fill_value=0)
        name = schema.label("level", level, lang).split(":")[0]
        ax.bar(x + (k - 1) * width, part["n_raised"], width, color=colours[k],
               label=_t("dev.plot.raised", lang, level=name))
        ax.bar(x + (k - 1) * width, -part["n_adopted"], width, color=colours[k], alpha=0.5,
               hatch="//", label=_t("dev.plot.adopted", lang, level=name))
    ax.axhline(0, color="black", linewidth=0.8)
    step = max(1, -(-len(quarters) // 12))
    ax.set_xticks(x[::step], formatting.quarters(quarters[::step], lang), rotation=45,
                  ha="right")
    ax.set_xlabel(_t("plot.quarter", lang))
    ax.set_ylabel(_t("dev.plot.ideas", lang))
    # Ideas taken up are drawn downwards but are counts: whole numbers, no minus sign.
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: formatting.number(abs(v), lang, 0)))
    ax.set_title(_t("dev.plot.loop_title", lang))
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.3), ncol=3, fontsize="small",
              frameon=False)
    formatting.localise_axes(ax, lang)
    return ax
