"""Figures of a meta-analysis: forest plot, Baujat plot and cumulative forest plot.

The models are fitted in :mod:`soskulib.meta` (:func:`~soskulib.meta.meta_analysis`) and
diagnosed in :mod:`soskulib.meta_diagnostics` (:func:`~soskulib.meta_diagnostics.baujat`,
:func:`~soskulib.meta_diagnostics.cumulative`); this module draws them, as metafor's
``forest()``, ``baujat()`` and ``forest(cumul())`` do. Every figure is drawn from one fitted
result (municipality-level estimates: no count of people is drawn), labels its texts in Finnish
or English (``lang=``) with the language's number format, and returns the Figure.

Examples
--------
>>> import matplotlib
>>> matplotlib.use("Agg")
>>> from soskulib import meta, meta_plots
>>> res = meta.meta_analysis([0.10, 0.65, 0.3], [0.02, 0.05, 0.03], labels=["A", "B", "C"])
>>> fig = meta_plots.forest_plot(res, lang="en", xlabel="SMCR")
>>> fig.axes[0].get_xlabel()
'SMCR'
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from soskulib import formatting, labels
from soskulib.checks import as_float_vector
from soskulib.meta import _METHOD_NAMES, MetaResult, _text, meta_analysis
from soskulib.meta_diagnostics import baujat, cumulative
from soskulib.meta_fit import _labels

__all__ = ["baujat_plot", "cumulative_forest_plot", "forest_plot"]


@formatting.literal_figure
def forest_plot(result: MetaResult | pd.DataFrame, labels: Any = None, n: Any = None, *,
                method: str = "REML", test: str = "z", lang: str = "en",
                xlabel: str | None = None, refline: float | None = 0.0,
                text: Mapping[str, str] | None = None, ax: Any = None,
                digits: int = 2, show_pi: bool = True) -> Any:
    """Publication-grade forest plot (cf. metafor ``forest(res)``).

    Parameters
    ----------
    result : MetaResult or DataFrame
        A fitted result, or a DataFrame with ``yi`` and ``vi`` (and optional ``label``,
        ``n``) which is pooled with ``method``/``test``.
    labels, n : array-like, optional
        Row labels (municipalities) and sample sizes (override those stored in the result).
    lang : {"en", "fi"}
        Language of the column headings and legend texts; ``text`` overrides single entries
        (keys as in ``meta.TEXT["en"]``).
    xlabel : str, optional
        Axis label, e.g. "Standardised mean change (SMCR)"; defaults to the language's
        "Standardised change" ("Standardoitu muutos").
    refline : float or None
        Position of the no-effect line.
    digits : int
        Decimals in the estimate [CI] column.
    show_pi : bool
        Draw the prediction interval under the diamond (random-effects models).
    method, test : str
        Estimator and test when ``result`` is a DataFrame (see :func:`meta_analysis`).
    text : mapping, optional
        Replacement texts for single entries of ``meta.TEXT[lang]``.
    ax : matplotlib Axes, optional
        Draw into this axes (its figure is returned); default a new figure sized to ``k``.

    Returns
    -------
    matplotlib.figure.Figure

    Notes
    -----
    Square areas are proportional to the study weights (``weights(res)``), horizontal lines
    are the studies' Wald CIs ``yi ± z sqrt(vi)``, the diamond spans the pooled CI, and the
    line under it the prediction interval.

    Examples
    --------
    >>> res = meta_analysis([0.10, 0.65, 0.3], [0.02, 0.05, 0.03], labels=["A", "B", "C"])
    >>> fig = forest_plot(res, lang="en", xlabel="SMCR")  # doctest: +SKIP
    >>> fig.savefig("forest.png", dpi=150)                # doctest: +SKIP
    """
    import matplotlib.pyplot as plt
    from matplotlib.patches import Polygon

    if isinstance(result, pd.DataFrame):
        df = result
        result = meta_analysis(df["yi"], df["vi"], method=method, test=test,
                               labels=df["label"] if "label" in df.columns else None,
                               n=df["n"] if "n" in df.columns else None)
    if not isinstance(result, MetaResult):
        raise TypeError("forest_plot needs a MetaResult or a DataFrame with yi and vi")
    t = dict(_text(lang))
    if text:
        t.update(text)
    studies = result.study_table()
    if labels is not None:
        studies["label"] = _labels(labels, result.k)
    if n is not None:
        studies["n"] = as_float_vector(n, "n")
    k = result.k
    est_head = t["estimate_ci"].format(ci=formatting.ci_label(lang, result.level))

    height = 1.8 + 0.32 * (k + 3)
    if ax is None:
        fig, ax = plt.subplots(figsize=(10, height))
    else:
        fig = ax.figure
    rows = np.arange(k, 0, -1).astype(float)  # first study on top
    colour = "#0072B2"  # Okabe-Ito blue, colour-blind safe
    wmax = float(studies["weight"].max())
    sizes = 160 * studies["weight"].to_numpy() / wmax  # marker area ∝ weight
    ax.hlines(rows, studies["ci_low"], studies["ci_high"], color="black", lw=1)
    ax.scatter(studies["yi"], rows, s=sizes, marker="s", color=colour, zorder=3)
    pooled_y = -0.2
    diamond = Polygon([(result.ci_low, pooled_y), (result.estimate, pooled_y + 0.3),
                       (result.ci_high, pooled_y), (result.estimate, pooled_y - 0.3)],
                      closed=True, facecolor="#D55E00", edgecolor="black", zorder=3)
    ax.add_patch(diamond)
    lows = [float(studies["ci_low"].min()), result.ci_low]
    highs = [float(studies["ci_high"].max()), result.ci_high]
    if show_pi and result.method != "FE" and result.k > 1:
        pi_y = pooled_y - 0.6
        ax.hlines(pi_y, result.pi_low, result.pi_high, color="#D55E00", lw=2)
        ax.vlines([result.pi_low, result.pi_high], pi_y - 0.12, pi_y + 0.12, color="#D55E00")
        lows.append(result.pi_low)
        highs.append(result.pi_high)
    if refline is not None:
        ax.axvline(refline, color="grey", lw=1, ls="--", zorder=1)
    lo, hi = min(lows), max(highs)
    pad = 0.05 * (hi - lo if hi > lo else 1.0)
    ax.set_xlim(lo - pad, hi + pad)
    ax.set_ylim(-1.0, k + 1.2)
    ax.set_yticks([])
    for side in ("left", "right", "top"):
        ax.spines[side].set_visible(False)
    ax.set_xlabel(xlabel or t["effect"])

    def fmt(e: float, a: float, b: float) -> str:
        return formatting.estimate_ci(e, a, b, lang, digits)

    from matplotlib.transforms import blended_transform_factory

    # text columns in figure coordinates (x) and data rows (y): label | n | plot | weight | CI
    trans = blended_transform_factory(fig.transFigure, ax.transData)
    x_label, x_n, x_weight, x_ci = 0.02, 0.335, 0.74, 0.985
    has_n = studies["n"].notna().any()
    head_y = k + 0.9
    bold = {"transform": trans, "weight": "bold", "va": "center"}
    plain = {"transform": trans, "va": "center"}
    ax.text(x_label, head_y, t["study"], ha="left", **bold)
    if has_n:
        ax.text(x_n, head_y, t["n"], ha="right", **bold)
    ax.text(x_weight, head_y, t["weight"], ha="right", **bold)
    ax.text(x_ci, head_y, est_head, ha="right", **bold)
    for row, rec in zip(rows, studies.itertuples(index=False), strict=True):
        ax.text(x_label, row, rec.label, ha="left", **plain)
        if has_n and np.isfinite(rec.n):
            ax.text(x_n, row, formatting.integer(rec.n, lang), ha="right", **plain)
        ax.text(x_weight, row, formatting.percent(rec.weight, lang, 1), ha="right", **plain)
        ax.text(x_ci, row, fmt(rec.yi, rec.ci_low, rec.ci_high), ha="right", **plain)
    pooled_label = t["pooled"].format(method=_METHOD_NAMES[result.method]
                                      + (", HKSJ" if result.test == "knha" else ""))
    ax.text(x_label, pooled_y, pooled_label, ha="left", **bold)
    if has_n:
        ax.text(x_n, pooled_y, formatting.integer(np.nansum(studies["n"]), lang), ha="right",
                **bold)
    ax.text(x_weight, pooled_y, formatting.percent(100, lang), ha="right", **bold)
    ax.text(x_ci, pooled_y, fmt(result.estimate, result.ci_low, result.ci_high), ha="right",
            **bold)
    if show_pi and result.method != "FE" and result.k > 1:
        ax.text(x_label, pooled_y - 0.6, t["pi"], ha="left", **plain)
        ax.text(x_ci, pooled_y - 0.6,
                f"({formatting.interval(result.pi_low, result.pi_high, lang, digits)})",
                ha="right", **plain)
    het = t["heterogeneity_plot"].format(
        tau2=formatting.number(result.tau2, lang, 3), i2=formatting.percent(result.i2, lang, 1),
        q=formatting.number(result.q, lang, 2), df=max(k - 1, 0),
        qp=formatting.p_equation(result.q_pval, lang))
    bottom = min(0.3, 1.1 / height)
    fig.subplots_adjust(left=0.36, right=0.64, top=1 - 0.3 / height, bottom=bottom)
    fig.text(x_label, 0.15 / height, het, ha="left", va="bottom", fontsize="small")
    formatting.localise_axes(ax, lang)
    return fig


@formatting.literal_figure
def baujat_plot(result: MetaResult, *, ax: Any = None, lang: str = "fi",
                xlabel: str | None = None, ylabel: str | None = None) -> Any:
    """Baujat plot: each study's contribution to heterogeneity against its influence.

    Studies in the upper right both drive the heterogeneity and move the pooled estimate.

    Parameters
    ----------
    result : MetaResult
        A fit of :func:`soskulib.meta.meta_analysis` (its labels name the points).
    ax : matplotlib Axes, optional
        Draw into this axes; default a new figure.
    lang : {"fi", "en"}
        Language of the default axis titles.
    xlabel, ylabel : str, optional
        Axis titles replacing the defaults.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> res = meta_analysis([0.1, 0.5, 0.3, 0.9, 0.2], [0.02, 0.03, 0.04, 0.02, 0.05],
    ...                     labels=list("ABCDE"))
    >>> fig = baujat_plot(res, lang="en")  # doctest: +SKIP
    """
    import matplotlib.pyplot as plt

    texts = {"fi": ("Osuus heterogeenisuudesta (Q)", "Vaikutus yhdistettyyn tulokseen"),
             "en": ("Contribution to heterogeneity (Q)", "Influence on the pooled result")}
    labels.check_lang(lang)
    data = baujat(result)
    if ax is None:
        fig, ax = plt.subplots(figsize=(6.5, 5))
    else:
        fig = ax.figure
    ax.scatter(data["x"], data["y"], s=30, color="#0072B2", zorder=3)
    for rec in data.itertuples(index=False):
        if np.isfinite(rec.y):
            ax.annotate(str(rec.label), (rec.x, rec.y), textcoords="offset points",
                        xytext=(4, 4), fontsize="small")
    ax.set_xlabel(xlabel or texts[lang][0])
    ax.set_ylabel(ylabel or texts[lang][1])
    ax.grid(True, color="#dddddd", lw=0.6)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    fig.tight_layout()
    formatting.localise_axes(ax, lang)
    return fig


@formatting.literal_figure
def cumulative_forest_plot(result: MetaResult, order: Any = None, *, ax: Any = None,
                           lang: str = "fi", xlabel: str | None = None,
                           refline: float | None = 0.0, digits: int = 2,
                           number: Any = None) -> Any:
    """Cumulative forest plot: the pooled estimate and CI as each study is added.

    Parameters
    ----------
    result : MetaResult
        A fit of :func:`soskulib.meta.meta_analysis`.
    order : array-like, optional
        Sort key per study, as in :func:`cumulative`.
    ax : matplotlib Axes, optional
        Draw into this axes; default a new figure sized to k.
    lang : {"fi", "en"}
        Language of headings.
    xlabel : str, optional
        Axis title (default "pooled estimate" in the language).
    refline : float or None
        Position of the no-change line.
    digits : int
        Decimals in the estimate [CI] column.
    number : callable, optional
        Formats one number; default :func:`soskulib.formatting.number` in ``lang``.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> res = meta_analysis([0.1, 0.5, 0.3], [0.02, 0.03, 0.04], labels=["A", "B", "C"])
    >>> fig = cumulative_forest_plot(res, order=[2016, 2015, 2017])  # doctest: +SKIP
    """
    import matplotlib.pyplot as plt
    from matplotlib.transforms import blended_transform_factory

    heads = {"fi": ("+ kunta", "Yhdistetty ({ci})", "Yhdistetty arvio"),
             "en": ("+ municipality", "Pooled ({ci})", "Pooled estimate")}
    labels.check_lang(lang)
    fmt = number or (lambda x: formatting.number(x, lang, digits))
    table = cumulative(result, order)
    k = len(table)
    height = 1.4 + 0.32 * (k + 1)
    if ax is None:
        fig, ax = plt.subplots(figsize=(10.5, height))
    else:
        fig = ax.figure
    rows = np.arange(k, 0, -1).astype(float)
    ok = table["estimate"].notna().to_numpy()
    ax.hlines(rows[ok], table["ci_low"][ok], table["ci_high"][ok], color="black", lw=1)
    ax.scatter(table["estimate"][ok], rows[ok], marker="D", s=28, color="#D55E00", zorder=3)
    if refline is not None:
        ax.axvline(refline, color="grey", lw=1, ls="--", zorder=1)
    ax.set_yticks([])
    ax.set_ylim(0.3, k + 1)
    for side in ("left", "right", "top"):
        ax.spines[side].set_visible(False)
    ax.set_xlabel(xlabel or heads[lang][2])
    trans = blended_transform_factory(fig.transFigure, ax.transData)
    head = heads[lang][1].format(ci=formatting.ci_label(lang, result.level))
    ax.text(0.02, k + 0.6, heads[lang][0], ha="left", va="center", weight="bold",
            transform=trans)
    ax.text(0.985, k + 0.6, head, ha="right", va="center", weight="bold", transform=trans)
    for row, rec in zip(rows, table.itertuples(index=False), strict=True):
        ax.text(0.02, row, f"{rec.label} (k = {rec.k})", ha="left", va="center",
                transform=trans)
        if np.isfinite(rec.estimate):
            limits = (f"{fmt(rec.ci_low)}{formatting.DASH}{fmt(rec.ci_high)}"
                      if number else formatting.interval(rec.ci_low, rec.ci_high, lang, digits))
            ax.text(0.985, row, f"{fmt(rec.estimate)} ({limits})",
                    ha="right", va="center", transform=trans)
    fig.subplots_adjust(left=0.42, right=0.76, top=1 - 0.25 / height, bottom=0.6 / height)
    formatting.localise_axes(ax, lang)
    return fig
