"""Generated development text: the rules of soskulib.narrative."""

from __future__ import annotations

import doctest

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from soskulib import labels, narrative


def test_docstring_examples_run():
    result = doctest.testmod(narrative, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0


def test_improvement_only_when_whole_ci_above_zero():
    assert "improvement" in narrative.effect_sentence("X", 0.3, 0.01, 0.6, 50, "en")
    assert "no clear change" in narrative.effect_sentence("X", 0.3, -0.01, 0.6, 50, "en")
    assert "deterioration" in narrative.effect_sentence("X", -0.3, -0.6, -0.01, 50, "en")


def test_too_few_pairs_overrides_interval():
    text = narrative.effect_sentence("X", 1.2, 0.8, 1.6, 12, "en", min_n=20)
    assert "only 12 clients" in text


def test_finnish_uses_decimal_comma_and_minus():
    text = narrative.effect_sentence("ESIS", -0.25, -0.45, -0.05, 80, "fi")
    assert "−0,25" in text and "heikkeneminen" in text


@given(st.floats(-3, 3, allow_nan=False))
def test_size_word_follows_cohen_thresholds(d):
    word = narrative.size_word(d, "en")
    expected = ("very small" if abs(d) < 0.2 else "small" if abs(d) < 0.5
                else "moderate" if abs(d) < 0.8 else "large")
    assert word == expected


def test_development_points_flags_reach_dropout_and_coverage():
    out = pd.DataFrame({"name": ["ESIS"], "estimate": [0.1], "ci_low": [-0.1],
                        "ci_high": [0.3], "n": [40], "n_pre": [100]})
    points = narrative.development_points(out, "en", reach_pct=140, dropout_pct=45)
    assert any("140% of the plan" in p for p in points)
    assert any("45% of ended episodes" in p for p in points)
    assert any("only 40% of clients" in p for p in points)


def test_development_points_requires_columns():
    with pytest.raises(KeyError, match="ci_low"):
        narrative.development_points(pd.DataFrame({"name": [], "estimate": [], "n": [],
                                                   "ci_high": []}))


def test_outcomes_from_summary_and_municipality_points():
    import pandas as pd

    summary = pd.DataFrame({"name": ["ESIS", "WHODAS-12"], "effect": [0.4, float("nan")],
                            "effect_ci_low": [0.2, float("nan")], "effect_ci_high": [0.6, float("nan")],
                            "n": [80.0, float("nan")], "n_pre": [100.0, 12.0]})
    reach = pd.DataFrame({"n_enrolled": [50.0], "share_of_plan": [0.5]})
    exits = pd.DataFrame({"end_reason": ["completed", "dropped_out"], "share": [0.6, 0.4]})
    index = pd.DataFrame({"index": [0.4], "ci_low": [0.3], "ci_high": [0.5]})
    chart = pd.DataFrame({"quarter": [f"2017Q{i}" for i in range(1, 5)], "p": [0.5, 0.4, 0.3, None],
                          "signal": [True, True, True, True], "reasons": ["trend"] * 4})
    points = narrative.municipality_points(summary, reach, exits, index, chart, "en")
    text = "\n".join(points)
    assert "Reach was 50%" in text and "40% of ended episodes" in text
    assert "ESIS: small improvement" in text
    assert "WHODAS-12: too few clients" in text  # a suppressed count reads as too few
    assert "only 0" not in text  # with no number: a hidden count is not zero
    assert "fewer than half" in text
    assert "Q1 2017, Q2 2017, Q3 2017: a trend" in text  # the hidden quarter is not named
    headline = narrative.municipality_headline("Vantaa", reach, summary, "en")
    assert headline == "Vantaa: 50 clients (50% of plan); ESIS d_z = 0.40"


def test_spc_sentence_summarises_long_runs():
    import pandas as pd

    chart = pd.DataFrame({"quarter": [f"{2016 + i // 4}Q{i % 4 + 1}" for i in range(6)],
                          "p": [0.1] * 6, "signal": [True] * 6, "reasons": ["shift;trend"] * 6})
    assert narrative.spc_sentence(chart, "en").startswith(
        "Dropout chart signals (non-random variation) in Q1 2016 – Q2 2017 (6 quarters)")
    assert "I/2016–II/2017 (6 neljännestä)" in narrative.spc_sentence(chart, "fi")
    assert narrative.spc_sentence(chart.assign(signal=False), "fi").startswith("Keskeyttämisen")


@pytest.mark.parametrize("lang", ["fi", "en"])
def test_spc_sentence_does_not_describe_a_chart_that_is_not_drawn(lang):
    """Laukaa: every quarter of the dropout chart is hidden, the figure is replaced by a note,
    and the sentence below it used to say "no signals" and that hidden quarters are "gaps in
    the chart"."""
    import matplotlib

    matplotlib.use("Agg")
    from soskulib import plots

    quarters = pd.date_range("2016-01-01", periods=4, freq="QS")
    chart = pd.DataFrame({"quarter": [f"2016Q{i}" for i in range(1, 5)], "quarter_start": quarters,
                          "p": [None] * 4, "p_suppressed": [True] * 4, "centre": 0.2,
                          "lcl": 0.0, "ucl": 0.5, "median": 0.2, "signal": [False, True, False, False],
                          "reasons": ["", "outside_limits", "", ""]})
    with pytest.raises(plots.NothingToPlot):
        plots.spc_chart(chart, lang=lang)
    sentence = narrative.spc_sentence(chart, lang)
    assert sentence == labels.text("nar.spc.all_hidden", lang, k=5)
    none = labels.text("nar.spc.none", lang)
    assert none not in sentence and ("katko" not in sentence) and ("gap" not in sentence)
