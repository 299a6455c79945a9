"""Text from data reaches figures as written, and quarters are written as readers write them."""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.text import Text  # noqa: E402

from soskulib import formatting, narrative, plots  # noqa: E402


def _svg_text(fig) -> str:
    buf = io.StringIO()
    with matplotlib.rc_context({"svg.fonttype": "none"}):  # text kept as text, not paths
        fig.savefig(buf, format="svg")
    return buf.getvalue()


def test_dollar_names_render_literally_in_a_library_figure():
    data = pd.DataFrame({"municipality": ["$x$", "Vantaa"], "share": [0.3, 0.2],
                         "ci_low": [0.2, 0.1], "ci_high": [0.4, 0.35]})
    ax = plots.caterpillar(data, "share", "ci_low", "ci_high", "municipality", lang="en",
                           title="Price $5 and $6")
    fig = ax.figure
    assert all(t.get_parse_math() is False for t in fig.findobj(Text))
    svg = _svg_text(fig)
    assert "$x$" in svg and "Price $5 and $6" in svg
    plt.close(fig)


def test_dollar_label_in_effect_chart_stays_text():
    data = pd.DataFrame({"name": ["$\\alpha$ scale", "ESIS"], "effect": [0.3, 0.1],
                         "effect_ci_low": [0.1, -0.1], "effect_ci_high": [0.5, 0.3]})
    ax = plots.effect_chart(data, lang="fi")
    texts = [t.get_text() for t in ax.figure.findobj(Text) if t.get_text()]
    assert "$\\alpha$ scale" in texts  # not an α: no mathtext
    assert "$\\alpha$ scale" in _svg_text(ax.figure)
    plt.close(ax.figure)


def test_literal_covers_category_ticks_of_any_figure():
    fig, ax = plt.subplots()
    ax.bar(["$x$", "b"], [1, 2])
    formatting.literal(fig)
    assert [t.get_parse_math() for t in ax.get_xticklabels()] == [False, False]
    assert "$x$" in _svg_text(fig)
    plt.close(fig)


@pytest.mark.parametrize(("lang", "one", "span"), [
    ("fi", "II/2016", "II/2016–I/2018"),
    ("en", "Q2 2016", "Q2 2016 – Q1 2018"),
])
def test_quarters_in_the_reader_s_form(lang, one, span):
    assert formatting.quarter("2016Q2", lang) == one
    assert formatting.quarter(pd.Period("2016Q2"), lang) == one
    assert formatting.quarter_span("2016Q2", "2018Q1", lang) == span
    assert formatting.quarter("yhteensä", lang) == "yhteensä"  # not a quarter: unchanged
    chart = pd.DataFrame({"quarter": [str(q) for q in pd.period_range("2016Q1", "2018Q1", freq="Q")]})
    chart["signal"] = [False] + [True] * 8
    chart["reasons"] = ["", *["trend"] * 8]
    chart["p"] = 0.2
    sentence = narrative.spc_sentence(chart, lang)
    assert f"{span} (8 " in sentence and "2016Q2" not in sentence


def test_spc_chart_ticks_are_quarters_in_the_page_language():
    q = pd.period_range("2016Q1", "2017Q4", freq="Q")
    data = pd.DataFrame({"quarter": q.astype(str), "quarter_start": q.to_timestamp(),
                         "p": 0.2, "centre": 0.2, "lcl": 0.0, "ucl": 0.5, "median": 0.2,
                         "signal": False, "reasons": "", "n": 20})
    for lang, first in (("fi", "I/2016"), ("en", "Q1 2016")):
        ax = plots.spc_chart(data, lang=lang)
        ticks = [t.get_text() for t in ax.get_xticklabels()]
        assert ticks[0] == first and not any("Q" in t for t in ticks if lang == "fi")
        plt.close(ax.figure)


def _cut_off(fig) -> bool:
    """Whether anything drawn (texts, legends) reaches beyond the figure's edges."""
    fig.savefig(io.BytesIO(), format="png", dpi=110)
    drawn = fig.get_tightbbox(fig.canvas.get_renderer())  # inches
    width, height = fig.get_size_inches()
    return drawn.x0 < -0.01 or drawn.y0 < -0.01 or drawn.x1 > width + 0.01 or drawn.y1 > height + 0.01


@pytest.mark.parametrize("lang", ["fi", "en"])
def test_codevelopment_legend_is_not_cut_off(lang):
    q = pd.period_range("2016Q1", "2018Q4", freq="Q").astype(str)
    acts = pd.DataFrame({"quarter": list(q) * 4,
                         "activity_type": [t for t in ("workshop", "network_meeting", "experiment",
                                                       "training") for _ in q],
                         "n_events": 2, "n_participants": 40, "n_clients": 6,
                         "n_experts_by_experience": 5})
    ax = plots.codevelopment_timeline(acts, lang=lang)
    assert not _cut_off(ax.figure)
    plt.close(ax.figure)


@pytest.mark.parametrize("lang", ["fi", "en"])
def test_spc_and_quality_figures_fit_their_canvas(lang):
    q = pd.period_range("2016Q1", "2018Q4", freq="Q")
    spc = pd.DataFrame({"quarter": q.astype(str), "quarter_start": q.to_timestamp(),
                        "p": 0.3, "centre": 0.3, "lcl": 0.05, "ucl": 0.6, "median": 0.3,
                        "signal": [False] * 11 + [True], "reasons": [""] * 11 + ["outside_limits"]})
    quality = pd.DataFrame({"municipality": "092", "year": [2016] * 10 + [2018] * 10,
                            "criterion": list(range(1, 11)) * 2, "rating": [1, 2, 3, 4, 3] * 4})
    for ax in (plots.spc_chart(spc, lang=lang),
               plots.quality_heatmap(quality, rows="year", lang=lang)):
        assert not _cut_off(ax.figure), ax.get_title()
        plt.close(ax.figure)


def test_forest_plot_study_names_with_dollars_are_literal():
    from soskulib import meta, meta_plots

    res = meta.meta_analysis([0.1, 0.4, 0.3], [0.02, 0.03, 0.02], labels=["$x$ kunta", "B$", "C"])
    fig = meta_plots.forest_plot(res, lang="fi")
    texts = [t.get_text() for t in fig.findobj(Text)]
    assert "$x$ kunta" in texts and all(t.get_parse_math() is False for t in fig.findobj(Text))
    assert "$x$ kunta" in _svg_text(fig)
    plt.close(fig)


def test_report_plotting_reads_no_mathtext():
    from soskulib import page

    with matplotlib.rc_context():
        page.setup_plotting()  # what every report notebook runs first
        assert matplotlib.rcParams["text.parse_math"] is False


def test_quality_heatmap_names_municipalities_in_the_page_language_by_name():
    quality = pd.DataFrame({"municipality": [m for m in ("092", "491", "061") for _ in range(10)],
                            "year": 2018, "criterion": list(range(1, 11)) * 3,
                            "rating": [1, 2, 3, 4, 3] * 6})
    ax = plots.quality_heatmap(quality, lang="en")
    names = [t.get_text() for t in ax.get_yticklabels()]
    assert names == sorted(names, key=str.casefold) and "Vantaa" in names
    assert any("joint authority" in n for n in names)  # not the Finnish "kuntayhtymä"
    bar = [t.get_text() for t in ax.collections[0].colorbar.ax.get_yticklabels()]
    assert bar[0] == "1 = not in place" and bar[-1] == "4 = fully in place"
    plt.close(ax.figure)


@pytest.mark.parametrize(("lang", "row_heading", "axis"), [
    ("fi", "Kunta", "Standardoitu muutos"),
    ("en", "Municipality", "Standardised change"),
])
def test_forest_plot_defaults_name_municipalities_and_change(lang, row_heading, axis):
    # The rows pooled here are municipalities' before-after changes: the library's own
    # defaults must not say "study" or "effect size" (issue 15, issue 13).
    from soskulib import meta, meta_plots

    res = meta.meta_analysis([0.1, 0.4, 0.3], [0.02, 0.03, 0.02], labels=["A", "B", "C"])
    fig = meta_plots.forest_plot(res, lang=lang)
    texts = [t.get_text() for t in fig.findobj(Text)]
    assert row_heading in texts
    assert fig.axes[0].get_xlabel() == axis
    assert not {"Tutkimus", "Study", "Vaikutuksen koko", "Effect size"} & set(texts)
    plt.close(fig)
