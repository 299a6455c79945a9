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
