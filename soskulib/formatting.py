"""How numbers are written on the site: one style per language for tables, figures and text.

Every number a reader sees – in a table, a figure, a headline, a generated sentence, the
index or a spreadsheet download – is written by this module, so a page never mixes styles.

=====================  ==========================  ==========================
what                   Finnish (``"fi"``)          English (``"en"``)
=====================  ==========================  ==========================
decimal                ``0,24``                    ``0.24``
negative               ``−0,15`` (true minus)      ``−0.15``
thousands              ``35 275`` (no-break space) ``35,275``
percent                ``10,1 %`` (no-break space) ``10.1%``
confidence interval    ``0,20–0,51``               ``0.20–0.51``
... with a negative    ``−0,15 – 0,54``            ``−0.15 – 0.54``
estimate and CI        ``0,24 (0,20–0,51)``        ``0.24 (0.20–0.51)``
... in running text    ``0,24 (95 %:n lv 0,20–0,51)``  ``0.24 (95% CI 0.20–0.51)``
p-value                ``< 0,001``, ``0,003``, ``0,27``  ``< 0.001``, ``0.003``, ``0.27``
missing                ``–``                       ``–``
calendar quarter       ``II/2016``                 ``Q2 2016``
span of quarters       ``II/2016–I/2018``          ``Q2 2016 – Q1 2018``
=====================  ==========================  ==========================

The limits of an interval are joined by an en dash ("–"), with no spaces when both limits
are non-negative and with spaces when a limit carries a minus sign, so "−0,15 – 0,54" is
not read as a subtraction (the Finnish style guide's rule for dashes between expressions
that are not single words). A p-value under 0.001 is written "< 0,001"; otherwise with three
decimals below 0.01 and two above, so no p-value is printed as "0,00".

Figures use the same rules: :func:`axis_formatter` is a matplotlib tick formatter and
:func:`localise_axes` puts it on every numeric axis of a figure. Text from data (municipality
and sub-project names, experiment titles) is shown as written: :func:`literal` turns off
matplotlib's mathtext, so a "$" in a name is a dollar sign, not the start of a formula;
every figure function of the library is wrapped in :func:`literal_figure`.

Examples
--------
>>> from soskulib import formatting as fmt
>>> fmt.number(-0.125, "fi"), fmt.number(35275, "fi", 0), fmt.number(35275, "en", 0)
('−0,12', '35\\xa0275', '35,275')
>>> fmt.estimate_ci(0.24, 0.2, 0.51, "fi")
'0,24 (0,20–0,51)'
>>> fmt.estimate_ci(0.24, -0.2, 0.51, "en", label=True)
'0.24 (95% CI −0.20 – 0.51)'
>>> fmt.pvalue(0.0004, "fi"), fmt.percent(0.101, "fi", 1, share=True)
('< 0,001', '10,1\\xa0%')
"""

from __future__ import annotations

import functools
import math
import numbers
import re
from collections.abc import Callable
from typing import Any, NamedTuple

#: No-break space: Finnish thousands separator and the space before "%".
NBSP = "\u00a0"
#: The true minus sign (U+2212) used for negative numbers.
MINUS = "\u2212"
#: En dash between the limits of an interval (and shown for a missing value).
DASH = "\u2013"
#: What a missing number is shown as.
MISSING = DASH

class NumberMarks(NamedTuple):
    """The two marks that write a number in a language: decimal mark and thousands separator."""

    decimal: str
    thousands: str


_MARKS = {"fi": NumberMarks(",", NBSP), "en": NumberMarks(".", ",")}


def _check(lang: str) -> str:
    if lang not in _MARKS:
        raise ValueError(f"lang must be 'fi' or 'en', got {lang!r}")
    return lang


def number_marks(lang: str) -> NumberMarks:
    """The decimal mark and thousands separator of ``lang``.

    Finnish writes ``35 275,5`` (decimal comma, no-break space between thousands), English
    ``35,275.5``. :func:`decimal_mark` and :func:`thousands_mark` give one mark each.

    Examples
    --------
    >>> number_marks("fi")
    NumberMarks(decimal=',', thousands='\\xa0')
    >>> decimal_mark("fi"), thousands_mark("en")
    (',', ',')
    """
    return _MARKS[_check(lang)]


def decimal_mark(lang: str) -> str:
    """``number_marks(lang).decimal``: ``","`` in Finnish, ``"."`` in English."""
    return number_marks(lang).decimal


def thousands_mark(lang: str) -> str:
    """``number_marks(lang).thousands``: a no-break space in Finnish, ``","`` in English."""
    return number_marks(lang).thousands


def _missing(x: Any) -> bool:
    if x is None:
        return True
    try:
        return not math.isfinite(float(x))
    except (TypeError, ValueError):
        return True


def number(x: float | int | None, lang: str, digits: int = 2, *, grouping: bool = True) -> str:
    """``x`` with ``digits`` decimals in the style of ``lang``.

    Parameters
    ----------
    x : float, int or None
        The number; ``None``/NaN/infinite give :data:`MISSING`.
    lang : {"fi", "en"}
        Language.
    digits : int
        Decimals (0 for counts).
    grouping : bool
        Separate thousands (no-break space in Finnish, comma in English). Years and codes
        are not quantities; pass them as text instead.

    Returns
    -------
    str

    Examples
    --------
    >>> number(1234.5, "fi", 1), number(-0.5, "en"), number(float("nan"), "fi")
    ('1\\xa0234,5', '−0.50', '–')
    """
    marks = number_marks(lang)
    if _missing(x):
        return MISSING
    value = float(x)
    text = f"{abs(value):{',' if grouping else ''}.{digits}f}"
    text = text.replace(",", "\0").replace(".", marks.decimal).replace("\0", marks.thousands)
    # A value that rounds to zero carries no sign ("−0,00" reads as a negative number).
    if value < 0 and any(ch not in "0,." for ch in text.replace(marks.thousands, "")):
        text = MINUS + text
    return text


def integer(n: float | int | None, lang: str) -> str:
    """A count with thousands separators.

    Examples
    --------
    >>> integer(6636, "fi"), integer(6636, "en")
    ('6\\xa0636', '6,636')
    """
    return number(n, lang, 0)


def percent(x: float | None, lang: str, digits: int = 0, *, share: bool = False) -> str:
    """A percentage: ``x`` in percent, or a share (0–1) with ``share=True``.

    Examples
    --------
    >>> percent(52.4, "fi", 1), percent(0.524, "en", 0, share=True)
    ('52,4\\xa0%', '52%')
    """
    if _missing(x):
        return MISSING
    value = 100 * float(x) if share else float(x)
    return number(value, lang, digits) + (NBSP + "%" if lang == "fi" else "%")


def interval(low: float | None, high: float | None, lang: str, digits: int = 2) -> str:
    """The limits of an interval joined by an en dash (spaced when a limit is negative).

    Examples
    --------
    >>> interval(0.2, 0.51, "fi"), interval(-0.15, 0.54, "fi")
    ('0,20–0,51', '−0,15 – 0,54')
    """
    lo, hi = number(low, lang, digits), number(high, lang, digits)
    sep = f" {DASH} " if MINUS in lo + hi else DASH
    return f"{lo}{sep}{hi}"


def ci_label(lang: str, level: float = 0.95) -> str:
    """The name of a confidence interval: ``"95 %:n lv"`` or ``"95% CI"``.

    Finnish abbreviates luottamusväli in lower case, as the column headings ("lv alaraja") do.

    Examples
    --------
    >>> ci_label("fi"), ci_label("en", 0.9)
    ('95\\xa0%:n lv', '90% CI')
    """
    pct = f"{100 * level:g}"
    return f"{pct}{NBSP}%:n lv" if _check(lang) == "fi" else f"{pct}% CI"


def estimate_ci(estimate: float | None, low: float | None, high: float | None, lang: str,
                digits: int = 2, *, label: bool = False, level: float = 0.95) -> str:
    """An estimate with its interval in brackets, the site's one style.

    ``label=True`` names the interval (running text, headlines); tables and figures whose
    column heading names it use the short form.

    Examples
    --------
    >>> estimate_ci(0.24, 0.20, 0.51, "fi", label=True)
    '0,24 (95\\xa0%:n lv 0,20–0,51)'
    >>> estimate_ci(0.24, 0.20, 0.51, "en")
    '0.24 (0.20–0.51)'
    """
    name = ci_label(lang, level) + " " if label else ""
    return f"{number(estimate, lang, digits)} ({name}{interval(low, high, lang, digits)})"


def pvalue(p: float | None, lang: str) -> str:
    """A p-value: ``"< 0,001"`` below 0.001, three decimals below 0.01, two otherwise.

    Examples
    --------
    >>> pvalue(0.0002, "fi"), pvalue(0.0042, "fi"), pvalue(0.27, "en")
    ('< 0,001', '0,004', '0.27')
    """
    if _missing(p):
        return MISSING
    p = float(p)
    if p < 0.001:
        return "< " + number(0.001, lang, 3)
    return number(p, lang, 3 if p < 0.01 else 2)


def p_equation(p: float | None, lang: str) -> str:
    """``"p = 0,04"`` or ``"p < 0,001"``.

    Examples
    --------
    >>> p_equation(0.0001, "fi"), p_equation(0.04, "en")
    ('p < 0,001', 'p = 0.04')
    """
    text = pvalue(p, lang)
    return f"p {text}" if text.startswith("<") else f"p = {text}"


#: Most decimals a percentage is shown with in a table ("I² (%)" 8,0, not 8,044).
PERCENT_DIGITS = 1


def column_digits(header: Any, digits: int) -> int:
    """Decimals for a table column: ``digits``, but at most one for a percentage column.

    A column whose heading ends in "(%)" holds percentages; a third decimal of a percentage
    (I², R², shares) is noise, so the page and its Excel download show at most
    :data:`PERCENT_DIGITS`.

    Examples
    --------
    >>> column_digits("I² (%)", 3), column_digits("tau²", 3), column_digits("osuus (%)", 0)
    (1, 3, 0)
    """
    text = str(header).rstrip()
    return min(digits, PERCENT_DIGITS) if text.endswith("(%)") else digits


def cell(value: Any, lang: str, digits: int = 2) -> Any:
    """One table cell as shown on the page: floats with ``digits``, integers grouped.

    Text (labels, disclosure markers) is returned unchanged; missing values become
    :data:`MISSING`.

    Examples
    --------
    >>> cell(0.3544662764476021, "fi"), cell(1500, "fi"), cell("..", "fi"), cell(None, "en")
    ('0,35', '1\\xa0500', '..', '–')
    """
    if isinstance(value, bool):
        return value
    if isinstance(value, numbers.Integral):
        return integer(value, lang)
    if isinstance(value, numbers.Real):
        return number(value, lang, digits)
    if value is None:
        return MISSING
    try:
        import pandas as pd

        if pd.isna(value):
            return MISSING
    except (TypeError, ValueError):
        pass
    return value


# ---------------------------------------------------------------------------------------------
# Calendar quarters
# ---------------------------------------------------------------------------------------------

_ROMAN = ("I", "II", "III", "IV")
_QUARTER_TEXT = re.compile(r"^\d{4}(Q[1-4]|-\d{2}-\d{2})$")


def _year_quarter(value: Any) -> tuple[int, int] | None:
    """``(year, quarter)`` of ``"2016Q2"``, a quarterly Period or a date; ``None`` if missing."""
    import pandas as pd

    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, pd.Period):
        period = value.asfreq("Q")
    elif isinstance(value, str) and not _QUARTER_TEXT.match(value.strip()):
        return None
    else:
        try:
            period = pd.Period(value, freq="Q")
        except (ValueError, TypeError):
            return None
    return int(period.year), int(period.quarter)


def quarter(value: Any, lang: str) -> str:
    """A calendar quarter as a reader writes it: ``"II/2016"`` in Finnish, ``"Q2 2016"`` in English.

    The library's tables key quarters as ``"2016Q2"`` (pandas' quarterly period); pages,
    figures and sentences show them through this function. Finnish writes the quarter
    (vuosineljännes) as a Roman numeral before the year, the way Statistics Finland's
    releases do; English puts "Q2" before the year. Text that is not a quarter is returned
    unchanged, a missing value as :data:`MISSING`.

    Parameters
    ----------
    value : str, pandas.Period or date
        ``"2016Q2"``, ``pd.Period("2016Q2")`` or any date in the quarter.
    lang : {"fi", "en"}
        Language.

    Returns
    -------
    str

    Examples
    --------
    >>> quarter("2016Q2", "fi"), quarter("2016Q2", "en"), quarter("2018-03-31", "fi")
    ('II/2016', 'Q2 2016', 'I/2018')
    """
    _check(lang)
    parts = _year_quarter(value)
    if parts is None:
        return MISSING if value is None or not isinstance(value, str) else value
    year, q = parts
    return f"{_ROMAN[q - 1]}/{year}" if lang == "fi" else f"Q{q} {year}"


def quarter_span(first: Any, last: Any, lang: str) -> str:
    """The quarters from ``first`` to ``last``, joined by an en dash.

    The English form is spaced ("Q2 2016 – Q1 2018"), as its limits are several words.

    Examples
    --------
    >>> quarter_span("2016Q2", "2018Q1", "fi"), quarter_span("2016Q2", "2018Q1", "en")
    ('II/2016–I/2018', 'Q2 2016 – Q1 2018')
    """
    sep = DASH if _check(lang) == "fi" else f" {DASH} "
    return f"{quarter(first, lang)}{sep}{quarter(last, lang)}"


def quarters(values: Any, lang: str) -> list[str]:
    """:func:`quarter` of each of ``values`` (tick labels, a table column).

    Examples
    --------
    >>> quarters(["2017Q1", "2017Q4"], "en")
    ['Q1 2017', 'Q4 2017']
    """
    return [quarter(v, lang) for v in values]


# ---------------------------------------------------------------------------------------------
# Figures
# ---------------------------------------------------------------------------------------------


def axis_formatter(lang: str, digits: int | None = None, *, percent_axis: bool = False) -> Any:
    """A matplotlib tick formatter writing numbers in the style of ``lang``.

    Parameters
    ----------
    lang : {"fi", "en"}
        Language.
    digits : int, optional
        Fixed decimals; by default matplotlib's own choice of decimals for the ticks
        (``ScalarFormatter``) with the decimal mark, minus sign and grouping of ``lang``.
    percent_axis : bool
        The axis holds shares (0–1), shown as percentages ("40 %").

    Returns
    -------
    matplotlib.ticker.Formatter

    Examples
    --------
    >>> from soskulib.examples import axes
    >>> fig, ax = axes()
    >>> _ = ax.plot([0, 0.5], [1000, 2500])
    >>> ax.xaxis.set_major_formatter(axis_formatter("fi"))
    >>> ax.yaxis.set_major_formatter(axis_formatter("fi"))
    >>> fig.draw_without_rendering()
    >>> [t.get_text() for t in ax.get_xticklabels()][1:4]
    ['0,0', '0,1', '0,2']
    >>> [t.get_text() for t in ax.get_yticklabels()][-2]
    '2\xa0400'
    """
    from matplotlib import ticker

    _check(lang)
    if percent_axis:
        return ticker.FuncFormatter(lambda v, _pos: percent(v, lang, digits or 0, share=True))
    if digits is not None:
        return ticker.FuncFormatter(lambda v, _pos: number(v, lang, digits))

    class _Localised(ticker.ScalarFormatter):
        def __call__(self, x: float, pos: int | None = None) -> str:
            text = super().__call__(x, pos)
            return localise_text(text, lang)

        def get_offset(self) -> str:
            return localise_text(super().get_offset(), lang)

    formatter = _Localised(useOffset=False)
    formatter.set_scientific(False)
    return formatter


def localise_text(text: str, lang: str) -> str:
    """Rewrite a number written the Python way (``"-1234.5"``) in the style of ``lang``.

    Only plain numbers are rewritten; other text is returned unchanged.

    Examples
    --------
    >>> localise_text("-1234.5", "fi"), localise_text("0.25", "en"), localise_text("Q1", "fi")
    ('−1\\xa0234,5', '0.25', 'Q1')
    """
    raw = text.replace(MINUS, "-").replace("\u2212", "-").strip()
    try:
        value = float(raw.replace(",", ""))
    except ValueError:
        return text
    digits = len(raw.split(".", 1)[1]) if "." in raw else 0
    return number(value, lang, digits)


def localise_axes(fig_or_ax: Any, lang: str) -> Any:
    """Put :func:`axis_formatter` on every numeric axis that still uses matplotlib's default.

    Axes with a formatter of their own (percentages, dates, category labels) are left alone.
    Returns its argument, so it can wrap a figure function's result.

    Examples
    --------
    >>> from soskulib.examples import axes
    >>> fig, ax = axes()
    >>> _ = ax.plot([-1.5, 2.5], [0, 1])
    >>> _ = localise_axes(fig, "fi")
    >>> fig.draw_without_rendering()
    >>> [t.get_text() for t in ax.get_xticklabels()][:2]
    ['−2,0', '−1,5']
    """
    from matplotlib import ticker

    axes = fig_or_ax.get_axes() if hasattr(fig_or_ax, "get_axes") else [fig_or_ax]
    for ax in axes:
        for axis in (ax.xaxis, ax.yaxis):
            current = axis.get_major_formatter()
            if type(current) is ticker.ScalarFormatter:
                axis.set_major_formatter(axis_formatter(lang))
    return fig_or_ax


#: Symbols written with an underscore in labels and code, shown with a true subscript on pages
#: and in figures: ``d_z`` (Cohen's d for paired change, Lakens 2013) is written d\ :sub:`z`.
SUBSCRIPTS: tuple[str, ...] = ("d_z",)
_SUBSCRIPT = re.compile(r"(<[^>]*>)|(?<![A-Za-z0-9])(" + "|".join(map(re.escape, SUBSCRIPTS)) + r")")


def html_subscripts(page: str) -> str:
    """Write the symbols of :data:`SUBSCRIPTS` with a real subscript in an HTML page.

    In text, ``d_z`` becomes ``d<sub>z</sub>``; inside a tag (an ``alt`` or ``title``
    attribute, where markup cannot go) it becomes ``dz``. Nothing else changes, so a page
    never shows the underscore of the code name.

    Parameters
    ----------
    page : str
        HTML (a whole page or a fragment).

    Returns
    -------
    str
        The same HTML with the subscripts written out.

    Examples
    --------
    >>> html_subscripts('<th title="d_z lower">d_z alaraja</th><td>odd_z</td>')
    '<th title="dz lower">d<sub>z</sub> alaraja</th><td>odd_z</td>'
    """
    def repl(m: re.Match[str]) -> str:
        if m.group(1) is not None:  # a tag: attributes cannot hold markup
            return _SUBSCRIPT_IN_TAG.sub(lambda t: t.group(0).replace("_", ""), m.group(1))
        base, sub = m.group(2).split("_", 1)
        return f"{base}<sub>{sub}</sub>"

    return _SUBSCRIPT.sub(repl, page)


_SUBSCRIPT_IN_TAG = re.compile(r"(?<![A-Za-z0-9])(" + "|".join(map(re.escape, SUBSCRIPTS)) + r")")


def figure_subscripts(text: str) -> tuple[str, bool]:
    """A figure text with :data:`SUBSCRIPTS` as mathtext subscripts, safe for any other text.

    ``d_z`` becomes ``$d_z$`` (an italic d with a subscript z); every other ``$`` and
    backslash of the text is escaped, so text from data stays literal. Returns the text and
    whether it must be drawn with mathtext on (``Text.set_parse_math``). Figure texts are read
    back by :mod:`soskulib.audit` as numbers, and a subscript is never inside a number.

    Examples
    --------
    >>> figure_subscripts("d_z (95% CI)"), figure_subscripts("Price $5")
    (('$d_z$ (95% CI)', True), ('Price $5', False))
    >>> print(figure_subscripts("d_z of $5")[0])
    $d_z$ of \\$5
    """
    if not _SUBSCRIPT_IN_TAG.search(text):
        return text, False
    parts = _SUBSCRIPT_IN_TAG.split(text)
    out = []
    for i, part in enumerate(parts):
        if i % 2:  # a symbol
            out.append(f"${part}$")
        else:
            out.append(part.replace("$", r"\$"))  # outside $…$ only "$" is special
    return "".join(out), True


_FI_VOWELS = "aeiouyäöå"
_FI_WORD = re.compile(r"[a-zäöå]{12,}")


def soft_hyphens(text: str, lang: str) -> str:
    """Mark where long Finnish words may break, so a table heading wraps instead of widening.

    Finnish compounds ("kokemusasiantuntijat") are long and a browser cannot hyphenate them
    (it has no Finnish dictionary). This inserts soft hyphens (U+00AD, invisible unless the
    word breaks there) by a rule of Finnish syllabification that holds across compound
    boundaries too: between two consonants after a vowel, the second starts the syllable
    ("asian-tun-tijat", "asiak-kaat"). Breaks between vowels or before a single consonant
    are not used: without a dictionary they can fall across a compound's seam
    ("kokemus|asiantuntijat"). At least three letters stay on each side. Only lower-case words of 12 letters or more are touched; English
    text is returned unchanged (browsers hyphenate English, ``hyphens: auto``).

    Examples
    --------
    >>> soft_hyphens("kokemusasiantuntijat", "fi").replace("\u00ad", "-")
    'kokemusasian-tun-tijat'
    >>> soft_hyphens("SMCR alaraja", "fi"), soft_hyphens("municipalities", "en")
    ('SMCR alaraja', 'municipalities')
    """
    if lang != "fi":
        return text

    def word(m: re.Match[str]) -> str:
        w = m.group(0)
        # the last consonant of a cluster between vowels starts a syllable: tun|ti, ak|kaat
        cuts = [i for i in range(3, len(w) - 2)
                if w[i - 1] not in _FI_VOWELS and w[i] not in _FI_VOWELS
                and w[i + 1] in _FI_VOWELS and w[i - 2] in _FI_VOWELS]
        return "".join("\u00ad" + c if i in cuts else c for i, c in enumerate(w))

    return _FI_WORD.sub(word, text)


def literal(drawn: Any, *, make_ticks: bool = True) -> Any:
    """Show every text of a figure as written: ``$`` is never read as mathtext.

    Matplotlib reads text between two ``$`` signs as a formula ("$x$" becomes an italic
    *x*, a lone backslash sequence may fail to draw). Names and titles that come from data
    must appear exactly as typed, so every text of the figure (titles, axis labels, tick
    labels, legends, annotations) gets ``parse_math=False``. Tick labels are made up front
    (without drawing) so that category axes are covered too. The library's figures use no
    mathtext (Greek letters and superscripts are Unicode: τ², I²).

    Parameters
    ----------
    drawn : Figure, Axes, or a tuple/list of them
        What a figure function returned; anything else is returned unchanged.
    make_ticks : bool
        Make the tick labels now so that they are covered too. ``False`` when the tick
        labels made later, at drawing, are literal anyway (``rcParams["text.parse_math"]``
        is off, as in the reports: :func:`soskulib.page.setup_plotting`): making them
        before the layout has sized the axes runs every tick locator once more and can
        make ticks the drawn figure does not use.

    Returns
    -------
    The argument, for chaining.

    Examples
    --------
    >>> from soskulib.examples import axes
    >>> fig, ax = axes()
    >>> _ = ax.bar(["$x$ kunta", "Vantaa"], [3, 4])
    >>> _ = ax.set_title("Price $5 and $6")
    >>> _ = literal(fig)
    >>> [t.get_text() for t in ax.get_xticklabels()], ax.title.get_parse_math()
    (['$x$ kunta', 'Vantaa'], False)
    """
    from matplotlib.figure import Figure
    from matplotlib.text import Text

    if isinstance(drawn, (tuple, list)):
        for item in drawn:
            literal(item)
        return drawn
    fig = drawn if isinstance(drawn, Figure) else getattr(drawn, "figure", None)
    if not isinstance(fig, Figure):
        return drawn
    for ax in fig.get_axes() if make_ticks else ():
        for axis in (ax.xaxis, ax.yaxis):
            axis.get_majorticklabels()  # creates the tick labels the figure will draw
    for text in fig.findobj(Text):
        written, math = figure_subscripts(text.get_text())
        if math:
            text.set_text(written)
        text.set_parse_math(math)
    return drawn


def literal_figure(func: Callable[..., Any]) -> Callable[..., Any]:
    """Decorate a figure function so that all its text is literal (see :func:`literal`).

    The function runs with ``rcParams["text.parse_math"] = False`` (legends and tick labels
    made later keep it) and its result passes through :func:`literal`, which makes the tick
    labels up front only when the tick labels made at drawing would read mathtext
    (``parse_math`` on outside the function).

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> @literal_figure
    ... def bars(names):
    ...     fig, ax = plt.subplots()
    ...     ax.barh(names, [1] * len(names))
    ...     ax.legend(["$a$ b"])
    ...     return ax
    >>> ax = bars(["$x$"])
    >>> ax.get_legend().get_texts()[0].get_parse_math()
    False
    >>> plt.close(ax.figure)
    """
    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        import matplotlib as mpl

        make_ticks = bool(mpl.rcParams["text.parse_math"])
        with mpl.rc_context({"text.parse_math": False}):
            return literal(func(*args, **kwargs), make_ticks=make_ticks)

    return wrapper
