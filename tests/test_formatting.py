"""One number style per language (soskulib.formatting), in text and in figures."""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
import pytest

from soskulib import formatting as fmt
from soskulib import narrative

NB = "\u00a0"


@pytest.mark.parametrize("x, lang, digits, expected", [
    (0.3544662764476021, "fi", 2, "0,35"),
    (-0.125, "fi", 2, "−0,12"),
    (-0.001, "fi", 2, "0,00"),           # rounds to zero: no sign
    (35275, "fi", 0, f"35{NB}275"),
    (35275, "en", 0, "35,275"),
    (1234567.891, "fi", 1, f"1{NB}234{NB}567,9"),
    (-1234.5, "en", 1, "−1,234.5"),
    (math.nan, "fi", 2, "–"),
    (None, "en", 2, "–"),
    (math.inf, "fi", 2, "–"),
])
def test_number(x, lang, digits, expected):
    assert fmt.number(x, lang, digits) == expected


def test_interval_and_estimate_ci():
    assert fmt.interval(0.24, 0.46, "fi") == "0,24–0,46"       # not "[0,24, 0,46]"
    assert fmt.interval(-0.15, 0.54, "fi") == "−0,15 – 0,54"
    assert fmt.interval(-0.5, -0.1, "en") == "−0.50 – −0.10"
    assert fmt.estimate_ci(0.24, 0.20, 0.51, "fi", label=True) == f"0,24 (95{NB}%:n lv 0,20–0,51)"
    assert fmt.estimate_ci(0.24, 0.20, 0.51, "en", label=True) == "0.24 (95% CI 0.20–0.51)"


@pytest.mark.parametrize("p, fi, en", [
    (0.0, "< 0,001", "< 0.001"), (0.00049, "< 0,001", "< 0.001"), (0.001, "0,001", "0.001"),
    (0.0042, "0,004", "0.004"), (0.049, "0,05", "0.05"), (0.5, "0,50", "0.50"),
    (1.0, "1,00", "1.00"), (math.nan, "–", "–"),
])
def test_pvalue_never_zero(p, fi, en):
    assert fmt.pvalue(p, "fi") == fi and fmt.pvalue(p, "en") == en
    assert fmt.pvalue(p, "fi") != "0,00"


def test_percent_and_cell():
    assert fmt.percent(10.1, "fi", 1) == f"10,1{NB}%"
    assert fmt.percent(0.101, "en", 1, share=True) == "10.1%"
    assert fmt.cell(np.int64(6636), "fi") == f"6{NB}636"
    assert fmt.cell(np.float64(0.5), "en", 1) == "0.5"
    assert fmt.cell("..", "fi") == ".." and fmt.cell(True, "fi") is True


def test_bad_language():
    with pytest.raises(ValueError, match="lang must be"):
        fmt.number(1, "sv")


def test_narrative_uses_the_one_style():
    fi = narrative.effect_sentence("ESIS", 0.42, 0.21, 0.63, 1088, lang="fi")
    assert f"95{NB}%:n lv 0,21–0,63" in fi and f"n = 1{NB}088" in fi and "…" not in fi
    import pandas as pd

    pooled = pd.DataFrame({"name": ["ESIS"], "estimate": [0.24], "ci_low": [0.20],
                           "ci_high": [0.46]})
    head = narrative.national_headline(pooled, 6, "fi")
    assert "0,24 (0,20–0,46)" in head and "[" not in head


def _ticks(ax):
    ax.figure.canvas.draw()
    return ([t.get_text() for t in ax.get_xticklabels() if t.get_text()],
            [t.get_text() for t in ax.get_yticklabels() if t.get_text()])


@pytest.mark.parametrize("lang, decimal, wrong, thousands", [("fi", ",", ".", NB),
                                                             ("en", ".", ",", ",")])
def test_figure_ticks_follow_the_language(lang, decimal, wrong, thousands):
    fig, ax = plt.subplots()
    ax.plot([-0.75, 0.5], [1500, 3200])
    fmt.localise_axes(fig, lang)
    xs, ys = _ticks(ax)
    plt.close(fig)
    assert all(decimal in t and wrong not in t for t in xs), xs
    assert any(t.startswith("−") for t in xs) and not any("-" in t for t in xs)
    assert all(thousands in t for t in ys if len(t) > 3), ys


def test_percent_axis():
    fig, ax = plt.subplots()
    ax.plot([0, 1], [0, 0.5])
    ax.yaxis.set_major_formatter(fmt.axis_formatter("fi", percent_axis=True))
    _, ys = _ticks(ax)
    plt.close(fig)
    assert f"50{NB}%" in ys


def test_doctests():
    import doctest

    result = doctest.testmod(fmt)
    assert result.attempted > 10 and result.failed == 0


def test_d_z_is_written_with_a_subscript_in_html_and_never_with_its_underscore():
    page = ('<figure><img alt="muutos d_z ja d_z"><figcaption>d_z (Lakens)</figcaption>'
            '<th>d_z alaraja</th><td>odd_z</td></figure>')
    out = fmt.html_subscripts(page)
    assert "d_z" not in out.replace("odd_z", "")
    assert out.count("d<sub>z</sub>") == 2 and 'alt="muutos dz ja dz"' in out
    assert fmt.html_subscripts(out) == out  # idempotent


def test_d_z_in_a_figure_is_a_mathtext_subscript_and_other_text_stays_literal():
    import io

    import matplotlib

    fig, ax = plt.subplots()
    ax.set_xlabel("muutos d_z (suunnattu)")
    ax.set_title("Hinta $5 ja $6")
    fmt.literal(fig)
    assert ax.xaxis.label.get_text() == "muutos $d_z$ (suunnattu)"
    assert ax.xaxis.label.get_parse_math() and not ax.title.get_parse_math()
    buf = io.StringIO()
    with matplotlib.rc_context({"svg.fonttype": "none"}):
        fig.savefig(buf, format="svg")
    import re

    svg = re.sub(r"<!--.*?-->", "", buf.getvalue(), flags=re.S)  # the source text as comments
    assert "d_z" not in svg and "Hinta $5 ja $6" in svg
    plt.close(fig)
