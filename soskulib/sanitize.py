"""Text that leaves the raw folder: identity codes masked, formulas neutralised, made visible.

One place for the three things every output path needs (processed tables, ``manifest.json``,
``rejects/*.csv``, ``problems.csv``, console messages, report pages and their CSV downloads):

* :func:`scrub` / :func:`scrub_text` / :func:`scrub_frame` mask anything shaped like a Finnish
  personal identity code (henkilötunnus) as ``<hetu>``: ``DDMMYY``, a century sign (``+``,
  ``-`` or ``Y X W V U``, ``A`` or ``B C D E F`` as in use since 2023, and the dashes a word
  processor puts in place of ``-``), three digits and a check character, in any letter case,
  with a space around the sign, or without any sign at all (``DDMMYYZZZQ``, then only when
  ``DDMM`` is a possible day and month, so that decimals are not masked). The check
  character is not checked: a mistyped code is as personal as a correct one.
  :func:`contains_identity_code` is the same test for the report guard.
* :func:`csv_safe` neutralises spreadsheet formulas as OWASP's *CSV Injection* guidance
  advises: a text cell that starts with ``=``, ``+``, ``-``, ``@`` (or their full-width
  forms, also after leading blanks), a tab, a carriage return or a line feed gets a leading
  apostrophe, so Excel and LibreOffice show it as text. Numbers stay numbers: numeric
  columns are not touched and a text cell that is a plain number (``-3``, ``-0,5``) is kept.
* :func:`visible` writes invisible characters (control characters, zero-width and bidi
  format characters, unusual spaces, line breaks) as escapes such as ``\\x07`` or
  ``\\u200b``, so a message is one line and shows why ``'valmennus\\x07'`` is not a code.

HTML: everything from the data or the file system goes through :func:`html.escape` (the
report's own helpers) or pandas' Styler with ``escape="html"``; :func:`escape_html` is the
same escape for a value that is not yet a string.

Reference: OWASP, *CSV Injection*, https://owasp.org/www-community/attacks/CSV_Injection.
"""

from __future__ import annotations

import html
import re

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

#: What replaces an identity code.
MASK = "<hetu>"
#: Century signs of the identity code (any case) and dashes typed in place of ``-``.
_SIGN = r"[-+A-FU-Ya-fu-y\u2010-\u2015\u2212]"
_DAY_MONTH = r"(?:0[1-9]|[12]\d|3[01])(?:0[1-9]|1[0-2])\d\d"
#: An identity-code-shaped string (Python ``re``): signed form, or sign-less with a real day
#: and month and not right after a decimal point.
IDENTITY_CODE = re.compile(
    r"(?<![0-9A-Za-z])(?:"
    rf"\d{{6}}[ \t]?{_SIGN}[ \t]?\d{{3}}[0-9A-Za-z]"
    rf"|(?<![.,]){_DAY_MONTH}[ \t]?\d{{3}}[0-9A-Za-z]"
    r")(?![0-9A-Za-z])")
#: RE2 pre-filter (pyarrow) that every match of :data:`IDENTITY_CODE` also matches.
_CANDIDATE = r"\p{Nd}{6}[^\p{Nd}]{0,3}\p{Nd}{3}"

#: Characters :func:`visible` escapes: everything Python does not count as printable
#: (controls, format characters such as zero-width and bidi marks, separators other than the
#: plain space, private-use and unassigned code points) and a few printable-but-blank ones.
_BLANK_PRINTABLE = frozenset("\u034f\u115f\u1160\u17b4\u17b5\u3164\uffa0")
_INVISIBLE_RE2 = (r"[^\p{L}\p{M}\p{N}\p{P}\p{S} ]"
                  r"|[\x{34f}\x{115f}\x{1160}\x{17b4}\x{17b5}\x{3164}\x{ffa0}]")
_NAMED = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}
_CR = re.compile(r"\r\n?")

#: A cell a spreadsheet would read as a formula (OWASP): these first characters, also after
#: blanks, or a leading tab / carriage return / line feed.
_FORMULA = r"^(?:[\t\r\n]|[ \t\r\n\x{a0}\x{3000}]*[=+\-@\x{ff1d}\x{ff0b}\x{ff0d}\x{ff20}])"
#: Text cells that are plain numbers (or a lone sign): left as they are.
_NUMBER = r"^[+-]?(?:[0-9]+(?:[.,][0-9]*)?|[.,][0-9]+)(?:[eE][+-]?[0-9]+)?$|^[+-]$"


def _arrow(values: pd.Series) -> pa.Array:
    arr = pa.array(values, type=pa.large_string(), from_pandas=True)
    return arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr


def _mask(arr: pa.Array) -> np.ndarray:
    return pc.fill_null(arr, False).to_numpy(zero_copy_only=False)


def _string_cells(values: pd.Series) -> tuple[pa.Array, np.ndarray]:
    """Cells as Arrow strings (non-strings null) and the mask of cells that are strings."""
    if values.dtype != object and pd.api.types.is_string_dtype(values.dtype):
        arr = _arrow(values)
        return arr, arr.is_valid().to_numpy(zero_copy_only=False)
    is_str = np.fromiter((isinstance(v, str) for v in values), dtype=bool, count=len(values))
    return _arrow(pd.Series(values.where(is_str, None), dtype=object)), is_str


def scrub_text(text: str) -> str:
    """``text`` with every identity-code-shaped string replaced by ``<hetu>``.

    Parameters
    ----------
    text : str

    Returns
    -------
    str

    Examples
    --------
    >>> scrub_text("asiakas 101263-913u ja 150900a923B, 1310529085")
    'asiakas <hetu> ja <hetu>, <hetu>'
    >>> scrub_text("0,1310529085 and 12.3")  # a decimal is not a code
    '0,1310529085 and 12.3'
    """
    return IDENTITY_CODE.sub(MASK, text)


def contains_identity_code(text: str) -> bool:
    """Whether ``text`` contains an identity-code-shaped string (:data:`IDENTITY_CODE`).

    Parameters
    ----------
    text : str

    Returns
    -------
    bool

    Examples
    --------
    >>> contains_identity_code("<td>010203a923t</td>"), contains_identity_code("n = 12")
    (True, False)
    """
    return IDENTITY_CODE.search(text) is not None


def identity_code_mask(values: pd.Series) -> np.ndarray:
    """Which cells contain an identity-code-shaped string (non-strings and NA: ``False``).

    Vectorised: an RE2 pre-filter (pyarrow) picks the few candidate cells, and only their
    distinct values are tested with :data:`IDENTITY_CODE`.

    Parameters
    ----------
    values : Series

    Returns
    -------
    ndarray of bool

    Examples
    --------
    >>> identity_code_mask(pd.Series(["x 131052-9085", "45", None])).tolist()
    [True, False, False]
    """
    arr, _ = _string_cells(values)
    candidate = _mask(pc.match_substring_regex(arr, _CANDIDATE))
    if not candidate.any():
        return candidate
    found = candidate.copy()
    texts = pc.filter(arr, pa.array(candidate)).to_pylist()
    found[candidate] = [IDENTITY_CODE.search(t) is not None for t in texts]
    return found


def scrub(values: pd.Series) -> pd.Series:
    """:func:`scrub_text` on every string cell of a Series (vectorised pre-filter).

    Cells without a candidate are returned untouched (same object when there is none);
    numbers and NA stay as they are.

    Parameters
    ----------
    values : Series

    Returns
    -------
    Series
        Same index and dtype.

    Examples
    --------
    >>> scrub(pd.Series(["teema 131052-9085", "ok", None], dtype="str")).tolist()
    ['teema <hetu>', 'ok', nan]
    """
    found = identity_code_mask(values)
    if not found.any():
        return values
    out = values.copy()
    out[found] = [scrub_text(t) for t in values[found]]
    return out


def scrub_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """:func:`scrub` on every text column and on the column labels.

    Parameters
    ----------
    frame : DataFrame

    Returns
    -------
    DataFrame
        A copy when something was masked, else ``frame`` itself.

    Examples
    --------
    >>> scrub_frame(pd.DataFrame({"131052-9085": ["a"], "n": [1]})).columns.tolist()
    ['<hetu>', 'n']
    """
    out = frame
    for j in range(frame.shape[1]):
        col = frame.iloc[:, j]
        if col.dtype == object or pd.api.types.is_string_dtype(col.dtype):
            cleaned = scrub(col)
            if cleaned is not col:
                out = out.copy() if out is frame else out
                out.isetitem(j, cleaned)
    labels = [scrub_text(c) if isinstance(c, str) else c for c in frame.columns]
    if labels != list(frame.columns):
        out = out.copy() if out is frame else out
        out.columns = labels
    return out


def _visible_char(char: str) -> str:
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else (f"\\u{code:04x}" if code < 0x10000
                                                   else f"\\U{code:08x}")


def _shown(char: str) -> bool:
    return char.isprintable() and char not in _BLANK_PRINTABLE


def visible(text: str) -> str:
    """``text`` with invisible characters written as escapes (one line, nothing hidden).

    Parameters
    ----------
    text : str

    Returns
    -------
    str

    Examples
    --------
    >>> visible("valmennus\\x07")
    'valmennus\\\\x07'
    >>> visible("two\\nlines\\u200b")
    'two\\\\nlines\\\\u200b'
    """
    if text.isprintable() and _BLANK_PRINTABLE.isdisjoint(text):
        return text
    return "".join(ch if _shown(ch) else _visible_char(ch) for ch in text)


def visible_series(values: pd.Series) -> pd.Series:
    """:func:`visible` on every string cell (vectorised pre-filter; others untouched).

    Parameters
    ----------
    values : Series

    Returns
    -------
    Series

    Examples
    --------
    >>> visible_series(pd.Series(["a\\tb", "c"], dtype="str")).tolist()
    ['a\\\\tb', 'c']
    """
    arr, _ = _string_cells(values)
    hit = _mask(pc.match_substring_regex(arr, _INVISIBLE_RE2))
    if not hit.any():
        return values
    out = values.copy()
    out[hit] = [visible(t) for t in values[hit]]
    return out


def one_line(text: str) -> str:
    """A message as printed: identity codes masked, invisible characters escaped.

    Parameters
    ----------
    text : str

    Returns
    -------
    str

    Examples
    --------
    >>> one_line("bad 'x\\ny' in 010203A923T")
    "bad 'x\\\\ny' in <hetu>"
    """
    return visible(scrub_text(text))


def formula_mask(values: pd.Series) -> np.ndarray:
    """Which cells a spreadsheet would take for a formula (see :func:`csv_safe`).

    Parameters
    ----------
    values : Series

    Returns
    -------
    ndarray of bool
        ``False`` for numbers, NA and text that is a plain number.

    Examples
    --------
    >>> formula_mask(pd.Series(["=1+1", "-3", "-", "@SUM(A1)", "\\tx", "ok"])).tolist()
    [True, False, False, True, True, False]
    """
    if not (values.dtype == object or pd.api.types.is_string_dtype(values.dtype)):
        return np.zeros(len(values), dtype=bool)
    arr, _ = _string_cells(values)
    risky = _mask(pc.match_substring_regex(arr, _FORMULA))
    if risky.any():
        risky &= ~_mask(pc.match_substring_regex(arr, _NUMBER))
    return risky


def csv_safe(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``df`` whose text cannot run as a spreadsheet formula (OWASP CSV injection).

    Every text cell (and text column label or index label) that starts with ``=``, ``+``,
    ``-``, ``@`` (or their full-width forms, also after blanks), a tab, a carriage return or
    a line feed gets a leading ``'``; a carriage return inside a cell becomes a line feed
    (which a CSV writer quotes, so a spreadsheet cannot start a new row there). Numeric columns are not touched, and text that is a
    plain number (``-3``, ``-0,5``, ``+1e3``) or a lone ``-`` is kept, so negative numbers
    stay numbers. Call it on every frame written as a CSV for people.

    Parameters
    ----------
    df : DataFrame

    Returns
    -------
    DataFrame
        ``df`` itself when nothing needed neutralising, else a neutralised copy.

    Examples
    --------
    >>> out = csv_safe(pd.DataFrame({"=HYPERLINK(1)": ["=HYPERLINK(\\"x\\")", "-2", "@A1"],
    ...                              "d": [-1.5, 2.0, 3.0]}))
    >>> out.columns.tolist(), out.iloc[:, 0].tolist(), out["d"].tolist()
    (["'=HYPERLINK(1)", 'd'], ['\\'=HYPERLINK("x")', '-2', "'@A1"], [-1.5, 2.0, 3.0])
    """
    out = df
    for j in range(df.shape[1]):
        col = df.iloc[:, j]
        fixed = _neutralise(col)
        if fixed is not col:
            if out is df:
                out = df.copy()
            out.isetitem(j, fixed)
    for axis in ("columns", "index"):
        labels = getattr(df, axis)
        if isinstance(labels, pd.RangeIndex) or isinstance(labels, pd.MultiIndex):
            continue
        as_series = pd.Series(list(labels), dtype=object)
        fixed = _neutralise(as_series)
        if fixed is not as_series:
            if out is df:
                out = df.copy()
            setattr(out, axis, fixed.tolist())
    return out


#: First characters of a text cell that :data:`_FORMULA` or a carriage return could concern
#: (the formula characters, and the blanks that may precede them).
_RISKY_START = frozenset("\t\r\n =+-@\u00a0\u3000\uff1d\uff0b\uff0d\uff20")
#: Columns up to this length are screened cell by cell before the Arrow regexes run.
_SCREEN_MAX = 10_000


def _cannot_need_neutralising(values: pd.Series) -> bool:
    """True when no text cell starts with a character of :data:`_RISKY_START` or holds a
    carriage return, so :func:`_neutralise` would change nothing (a report's table: the
    Arrow regexes cost more than the screen on a few dozen cells)."""
    if len(values) > _SCREEN_MAX:
        return False
    return not any(isinstance(v, str) and (v[:1] in _RISKY_START or "\r" in v)
                   for v in values)


def _neutralise(values: pd.Series) -> pd.Series:
    """:func:`csv_safe` on one column (the same object when nothing changes)."""
    if not (values.dtype == object or pd.api.types.is_string_dtype(values.dtype)):
        return values
    if _cannot_need_neutralising(values):
        return values
    arr, _ = _string_cells(values)
    # A carriage return is not quoted by a CSV writer whose line ending is "\n", and a
    # spreadsheet starts a new row at it (and a formula after it): written as a line feed,
    # the cell is quoted and stays one cell.
    bare_cr = _mask(pc.match_substring(arr, "\r"))
    if bare_cr.any():
        values = values.copy()
        values[bare_cr] = [_CR.sub("\n", v) for v in values[bare_cr]]
    risky = formula_mask(values)
    if risky.any():
        values = values.copy() if not bare_cr.any() else values
        values[risky] = ["'" + v for v in values[risky]]
    return values


def escape_html(value: object) -> str:
    """Any value as HTML text (``str()`` then :func:`html.escape`, quotes included).

    Parameters
    ----------
    value : object

    Returns
    -------
    str

    Examples
    --------
    >>> escape_html('<img src=x onerror="alert(1)">')
    '&lt;img src=x onerror=&quot;alert(1)&quot;&gt;'
    """
    return html.escape(str(value), quote=True)
