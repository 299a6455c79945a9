"""HTML of the published reports: table styling, the page template, the table of contents.

:func:`style_table` writes a published table with numbers in the page's language and one
alignment per column; :func:`render_html` turns an executed notebook into one self-contained
page through the ``soskureport`` template, which loads nothing from the network (no
require.js, MathJax or CDN CSS), and adds a table of contents from the numbered headings.
"""

from __future__ import annotations

import functools
import json
import numbers
import re
from collections.abc import Iterable, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from soskulib import formatting, labels

__all__ = ["TEMPLATE_NAME", "style_table", "render_html", "report_css", "template_dir"]

TEMPLATE_NAME = "soskureport"



# A cell that reads as a quantity: a number written as text (CrossTab.display(), years), with
# an optional sign, group separators, decimals or a percent sign.
_QUANTITY_TEXT = re.compile(r"[+\-\u2212]?\d[\d\s\u202f\u00a0,.]*\s?%?")
# Markers of hidden or missing cells, shown in numeric columns.
_NUMERIC_MARKERS = frozenset({"..", "<5", "–", "-", ""})


def _is_quantity(value: Any) -> bool:
    """Whether ``value`` belongs in a right-aligned (numeric) column; missing values do."""
    if isinstance(value, bool):
        return False
    if isinstance(value, numbers.Number) or value is None or value is pd.NA:
        return True
    if isinstance(value, str):
        text = value.strip()
        return text in _NUMERIC_MARKERS or _QUANTITY_TEXT.fullmatch(text) is not None
    return False


def _numeric_columns(df: pd.DataFrame) -> list[bool]:
    """Per column: numbers, numeric text and disclosure markers only (and not all missing)."""
    flags = []
    for _, col in df.items():
        if pd.api.types.is_bool_dtype(col.dtype):
            flags.append(False)
        elif pd.api.types.is_numeric_dtype(col.dtype):
            flags.append(True)
        else:
            # as objects: a categorical's values, not its codes
            values = col.to_numpy(dtype=object)
            present = values[~pd.isna(values)]
            flags.append(bool(len(present)) and all(_is_quantity(v) for v in present))
    return flags


def _is_code_column(col: Iterable[Any]) -> bool:
    """Whether every shown value is a short code without spaces (an id, a quarter)."""
    values = [v for v in col if isinstance(v, str) and v not in (formatting.MISSING, "")]
    return bool(values) and all(len(v) <= 12 and not any(c.isspace() for c in v) for v in values)


def _column_text(col: pd.Series, lang: str, places: int, pvalues: bool) -> list[Any]:
    """One column's cells as the page shows them (see :func:`style_table`).

    Booleans as words of ``lang``; p-values by :func:`formatting.pvalue`; other cells by
    :func:`formatting.cell`, with ``places`` decimals unless every number of the column is
    whole (counts, also beside hidden cells), then none. Text, markers and missing cells of
    a p-value column are kept as they are.

    Examples
    --------
    >>> _column_text(pd.Series([True, False]), "fi", 2, False)
    ['kyllä', 'ei']
    >>> _column_text(pd.Series([12.0, "..", None]), "fi", 2, False)
    ['12', '..', '–']
    >>> _column_text(pd.Series([0.5, -1.25]), "fi", 2, False)
    ['0,50', '−1,25']
    """
    values = col.to_numpy(dtype=object)  # a categorical's values, not its codes
    if pd.api.types.is_bool_dtype(col.dtype):
        words = {True: "kyllä", False: "ei"} if lang == "fi" else {True: "yes", False: "no"}
        return [words.get(v, np.nan) if isinstance(v, (bool, np.bool_)) else np.nan
                for v in values]
    if pvalues:
        return [formatting.pvalue(v, lang)
                if isinstance(v, numbers.Real) and not isinstance(v, bool) else v
                for v in values]
    numeric = pd.to_numeric(col, errors="coerce")
    if isinstance(numeric.dtype, np.dtype) and numeric.dtype.kind in "fiu":
        array = numeric.to_numpy()
        finite = array[np.isfinite(array)]
        whole = bool(len(finite)) and bool((finite % 1 == 0).all())
    else:  # an extension dtype (nullable integers): pandas' own missing-value rules
        finite = numeric[np.isfinite(numeric)]
        whole = bool(len(finite)) and bool((finite % 1 == 0).all())
    shown_places = 0 if whole else places
    return [formatting.cell(v, lang, shown_places) for v in values]


#: Tables with more columns than this are set in a smaller type (CSS class ``sosku-wide``).
WIDE_COLUMNS = 10


def style_table(df: pd.DataFrame, lang: str, digits: int, index: bool, uid: str = "t",
                pvalues: Sequence[int] = ()) -> str:
    """HTML of a published table: numbers written for ``lang``, one alignment per column.

    Every number is written by :mod:`soskulib.formatting`, like the figures and the text of
    the page: decimal comma and a no-break space between thousands in Finnish, a true minus
    sign, ``digits`` decimals (a column whose numbers are all whole, such as counts with
    hidden cells, without decimals), p-values (columns at the positions ``pvalues``) as
    ``< 0,001`` / ``0,004`` / ``0,27``, missing values as "–". Text is HTML-escaped.

    A column is right-aligned (heading included) when every cell is a number, a number
    written as text or a disclosure marker (``..``), so counts with hidden cells line up with
    the plain counts above and below them; any other column is left-aligned. The alignment
    is set per column, not per cell, so mixed ``int``/``str`` cells cannot differ. ``uid``
    (the table's name) makes the element ids unique on the page: with one fixed id for every
    table, the style rules of one table also hit the cells of the next.

    Examples
    --------
    >>> table = pd.DataFrame({"group": ["a", "b"], "n": [12, ".."], "shown": ["1 204", "7"]})
    >>> _numeric_columns(table)
    [False, True, True]
    >>> "#T_counts .col1" in style_table(table, "en", 0, False, uid="counts")
    True
    >>> ids = style_table(pd.DataFrame({"id": ["092-K1"], "text": ["a long description"]}),
    ...                   "en", 0, False, uid="r")
    >>> re.findall(r"td\\.col(\\d) \\{\\s*white-space: nowrap", ids)   # the id, not the text
    ['0']
    >>> "kyllä" in style_table(pd.DataFrame({"covers": [True]}), "fi", 0, False, uid="b")
    True
    >>> html = style_table(pd.DataFrame({"d": [-0.125], "n": [35275.0], "p": [0.0001]}),
    ...                    "fi", 2, False, uid="f", pvalues=[2])
    >>> "−0,12" in html and "35\xa0275" in html and "&lt; 0,001" in html
    True
    """
    if not index:
        df = df.reset_index(drop=True)
    aligned = _numeric_columns(df)
    texts = [_column_text(col, lang, formatting.column_digits(name, digits), j in set(pvalues))
             for j, (name, col) in enumerate(df.items())]
    cells = np.empty(df.shape, dtype=object)
    for j, text in enumerate(texts):
        cells[:, j] = text
    shown = pd.DataFrame(cells, index=df.index, columns=df.columns, dtype=object, copy=False)
    # Long Finnish words in headings may break (soft hyphens), so a heading wraps instead of
    # widening the table past the page.
    def hyphenate(label: Any) -> Any:
        if isinstance(label, tuple):
            return tuple(hyphenate(part) for part in label)
        return formatting.soft_hyphens(label, lang) if isinstance(label, str) else label

    shown.columns = shown.columns.map(hyphenate)
    # A table of many columns is set smaller, so that it fits the page without scrolling.
    wide = " sosku-wide" if shown.shape[1] + (shown.index.nlevels if index else 0) > WIDE_COLUMNS else ""
    # `.col<j>` marks both the heading and the data cells of column j (not the row headings).
    # A number is never broken over two lines ("< 0,001", "−0,15 – 0,54", "1 096").
    # Nor is a code ("092-K1", "I/2017"): a text column of short values without spaces.
    codes = [j for j, text in enumerate(texts) if not aligned[j] and _is_code_column(text)]
    styles = ([(f".col{j}", f"text-align: {'right' if numeric else 'left'}")
               for j, numeric in enumerate(aligned)]
              + [(f"td.col{j}", "white-space: nowrap") for j, numeric in enumerate(aligned)
                 if numeric or j in codes])
    # A uuid from the table name keeps the HTML identical between builds and unique on the page.
    uuid = re.sub(r"[^A-Za-z0-9_-]", "_", uid)
    attributes = f'class="sosku-df{wide}"'
    plain = _plain_table_html(shown, index, uuid, attributes, styles)
    return plain if plain is not None else _styler_html(shown, index, uuid, attributes, styles)


def _styler_html(shown: pd.DataFrame, index: bool, uuid: str, attributes: str,
                 styles: Sequence[tuple[str, str]]) -> str:
    """``shown`` written by pandas' Styler: text escaped, missing cells as "–", no index
    unless ``index``, ``styles`` (selector, CSS declaration) under the id ``T_<uuid>``."""
    styler = shown.style.format(na_rep=formatting.MISSING, escape="html")
    styler = styler.format_index(escape="html", axis=0).format_index(escape="html", axis=1)
    styler = styler.set_table_attributes(attributes)
    styler = styler.set_table_styles([{"selector": selector, "props": f"{props};"}
                                      for selector, props in styles])
    if not index:
        styler = styler.hide(axis="index")
    return styler.set_uuid(uuid).to_html()


# markupsafe.escape, which pandas' Styler uses for escape="html".
_HTML_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "'": "&#39;",
                               '"': "&#34;"})
# Styler leaves axis names unescaped; a name with one of these goes through Styler itself.
_UNSAFE = re.compile(r"[&<>'\"]")
# Above Styler's default ``styler.render.max_elements`` it trims the table; not written here.
_MAX_PLAIN_CELLS = 200_000


def _plain_table_html(shown: pd.DataFrame, index: bool, uuid: str, attributes: str,
                      styles: Sequence[tuple[str, str]]) -> str | None:
    """The HTML pandas' Styler writes for ``shown``, written directly; None when it cannot be.

    ``style_table`` hands over a table whose cells are already text. For such a table
    (one level of columns and of row labels, every cell text or missing, every label text)
    this writes the markup of ``Styler.format(na_rep="–", escape="html")``,
    ``.format_index(escape="html")`` on both axes, ``set_table_styles``, ``hide(axis=
    "index")`` unless ``index`` and ``set_uuid``, byte for byte, without Styler's per-cell
    formatter calls and template (most of the time a page spends on its tables). Anything
    else (a MultiIndex, a label that is not text, a number cell) returns None, and
    ``style_table`` renders it through Styler. ``tests/test_rendering.py`` compares the two.

    Examples
    --------
    >>> table = pd.DataFrame({"a<b": ["x & y", None]})
    >>> print(_plain_table_html(table, False, "u", 'class="c"', [(".col0", "text-align: left")]))
    ... # doctest: +NORMALIZE_WHITESPACE
    <style type="text/css">
    #T_u .col0 {
      text-align: left;
    }
    </style>
    <table id="T_u" class="c">
      <thead>
        <tr>
          <th id="T_u_level0_col0" class="col_heading level0 col0" >a&lt;b</th>
        </tr>
      </thead>
      <tbody>
        <tr>
          <td id="T_u_row0_col0" class="data row0 col0" >x &amp; y</td>
        </tr>
        <tr>
          <td id="T_u_row1_col0" class="data row1 col0" >–</td>
        </tr>
      </tbody>
    </table>
    <BLANKLINE>
    """
    columns, rows = shown.columns, shown.index
    if (isinstance(columns, pd.MultiIndex) or isinstance(rows, pd.MultiIndex)
            or not len(columns) or shown.size > _MAX_PLAIN_CELLS):
        return None
    headings = list(columns)
    labels_ = list(rows) if index else []
    if not all(isinstance(v, str) for v in (*headings, *labels_)):
        return None
    names = [columns.name, rows.name] if index else []
    if any(n is not None and (not isinstance(n, str) or _UNSAFE.search(n)) for n in names):
        return None
    values = shown.to_numpy(dtype=object)
    cells: list[list[str]] = []
    for row in values:
        out = []
        for v in row:
            if isinstance(v, str):
                out.append(v.translate(_HTML_ESCAPES))
            elif v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float) and v != v):
                out.append(formatting.MISSING)
            else:
                return None
        cells.append(out)
    u = f"T_{uuid}"
    parts = ['<style type="text/css">\n']
    parts += [f"#{u} {selector} {{\n  {props};\n}}\n" for selector, props in styles]
    parts.append(f'</style>\n<table id="{u}" {attributes}>\n  <thead>\n    <tr>\n')
    if index:
        if columns.name is None:
            parts.append('      <th class="blank level0" >&nbsp;</th>\n')
        else:
            parts.append(f'      <th class="index_name level0" >{columns.name}</th>\n')
    parts += [f'      <th id="{u}_level0_col{j}" class="col_heading level0 col{j}" >'
              f"{h.translate(_HTML_ESCAPES)}</th>\n" for j, h in enumerate(headings)]
    parts.append("    </tr>\n")
    if index and rows.name is not None:
        parts.append(f'    <tr>\n      <th class="index_name level0" >{rows.name}</th>\n')
        parts += [f'      <th class="blank col{j}" >&nbsp;</th>\n' for j in range(len(headings))]
        parts.append("    </tr>\n")
    parts.append("  </thead>\n  <tbody>\n")
    for i, row in enumerate(cells):
        parts.append("    <tr>\n")
        if index:
            parts.append(f'      <th id="{u}_level0_row{i}" class="row_heading level0 row{i}" >'
                         f"{labels_[i].translate(_HTML_ESCAPES)}</th>\n")
        parts += [f'      <td id="{u}_row{i}_col{j}" class="data row{i} col{j}" >{v}</td>\n'
                  for j, v in enumerate(row)]
        parts.append("    </tr>\n")
    parts.append("  </tbody>\n</table>\n")
    return "".join(parts)


def template_dir() -> Path:
    return Path(str(resources.files("soskulib").joinpath("templates")))


def report_css() -> str:
    """The stylesheet inlined into every report and the index page."""
    return (template_dir() / TEMPLATE_NAME / "report.css").read_text(encoding="utf-8")


@functools.lru_cache(maxsize=1)
def _html_exporter() -> Any:
    """One exporter per process: its Jinja templates are compiled once, not per report.

    ``optimistic_validation``: the notebook is validated once, after the preprocessors, not
    after each of them (about a dozen schema validations of the whole notebook per page).
    """
    from nbconvert import HTMLExporter

    return HTMLExporter(
        template_name=TEMPLATE_NAME,
        extra_template_basedirs=[str(template_dir())],
        exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True,
        exclude_markdown=True, exclude_raw=True, optimistic_validation=True,
    )


def render_html(nb: Any, *, title: str, lang: str = "fi", index_href: str | None = None,
                provenance_html: str = "") -> str:
    """Render an executed notebook as one self-contained HTML page.

    Code, prompts and markdown cells (notes for the analyst, in English) are left out; the
    reader sees the outputs, which carry the language-specific headings and prose. Output on
    stderr (warnings, logs) is dropped. A table of contents is built from the numbered headings
    of :meth:`Report.section`. ``provenance_html`` (already escaped,
    :meth:`soskulib.provenance.Provenance.to_html`) is placed at the end of the page.
    """
    import nbformat

    nb = nbformat.from_dict(json.loads(json.dumps(nb)))  # private copy
    for number, cell in enumerate(nb.cells):
        cell["id"] = f"c{number}"  # papermill's injected cell has a random id
        if cell.get("cell_type") == "code":
            cell["outputs"] = [o for o in cell.get("outputs", [])
                               if not (o.get("output_type") == "stream"
                                       and o.get("name") == "stderr")]
    exporter = _html_exporter()
    from soskulib import __version__

    resources_in = {
        "sosku": {
            "title": title,
            "lang": lang,
            "css": report_css(),
            "index_href": index_href,
            "back": labels.text("back_to_index", lang),
            "contents": labels.text("contents", lang),
            "generated_by": labels.text("generated_by", lang, version=__version__),
            "provenance": provenance_html,
        }
    }
    body, _ = exporter.from_notebook_node(nb, resources=resources_in)
    return formatting.html_subscripts(_insert_toc(body))


_HEADING = re.compile(r'<h([23]) class="sosku-h" id="([^"]+)">(.*?)</h\1>', re.S)


def _insert_toc(page: str) -> str:
    items: list[str] = []
    open_sub = False
    for level, anchor, label in _HEADING.findall(page):
        if level == "2":
            if open_sub:
                items.append("</ul></li>")
                open_sub = False
            elif items:
                items.append("</li>")
            items.append(f'<li><a href="#{anchor}">{label}</a>')
        else:
            if not open_sub:
                items.append("<ul>")
                open_sub = True
            items.append(f'<li><a href="#{anchor}">{label}</a></li>')
    if items:
        items.append("</ul></li>" if open_sub else "</li>")
    return page.replace("<!--SOSKU_TOC-->", f"<ul>{''.join(items)}</ul>" if items else "", 1)

