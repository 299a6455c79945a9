"""HTML of the published pages: column alignment, style ids, table of contents, offline page."""

from __future__ import annotations

import doctest
import re

import nbformat
import pandas as pd

from soskulib import page, rendering

CDN_MARKERS = ("cdn", "unpkg", "jsdelivr", "require.js")


def test_docstring_examples_run():
    result = doctest.testmod(rendering, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0


def _alignment(page: str, uid: str) -> dict[int, str]:
    """Column index -> text-align from the table's per-column style rules."""
    rules = re.findall(rf"#T_{uid} \.col(\d+) {{\s*text-align: (\w+);", page)
    return {int(j): align for j, align in rules}


def test_numeric_columns_align_right_whatever_the_cell_types():
    # Counts with hidden cells (int and ".."), statistics with a missing value, numeric text
    # (CrossTab.display()), years as text, and a labels column.
    df = pd.DataFrame({"group": ["female", "male", "other"], "n": [60, 90, ".."],
                       "mean": [21.5, None, ".."], "shown": ["12", "1\u202f204", ".."],
                       "year": ["2016", "2017", "2018"], "label": ["1. a", "2. b", "18–29"],
                       "flag": [True, False, True]})
    page = rendering.style_table(df, "fi", 1, False, uid="mixed")
    assert _alignment(page, "mixed") == {0: "left", 1: "right", 2: "right", 3: "right",
                                         4: "right", 5: "left", 6: "left"}
    # One rule per column, none per cell: alignment cannot differ within a column.
    assert not re.search(r"#T_mixed_row\d+_col\d+ \{", page)


def test_tables_on_one_page_do_not_share_style_ids():
    rep = page.Report("en", display=False)
    shown = []
    rep._show = lambda body, text, metadata=None: shown.append(body)
    rep.table(pd.DataFrame({"g": ["a", "b"], "n": [12, 30]}), "first", "c")
    rep.table(pd.DataFrame({"n": [12, 30], "g": ["a", "b"]}), "second", "c")
    assert _alignment(shown[0], "first") == {0: "left", 1: "right"}
    assert _alignment(shown[1], "second") == {0: "right", 1: "left"}
    assert 'id="T_first"' in shown[0] and 'id="T_second"' in shown[1]


def test_crosstab_table_counts_are_right_aligned():
    from soskulib import disclosure

    people = pd.DataFrame({"tg": ["a"] * 14 + ["b"] * 14,
                           "gender": ["female"] * 6 + ["male"] * 6 + ["other"] * 2
                           + ["female"] * 5 + ["male"] * 6 + ["other"] * 3})
    rep = page.Report("en", display=False)
    shown = []
    rep._show = lambda body, text, metadata=None: shown.append(body)
    rep.table(disclosure.crosstab(people, "tg", "gender"), "split", "c")
    assert set(_alignment(shown[0], "split").values()) == {"right"}


def test_toc_lists_numbered_headings():
    page = ('<nav><!--SOSKU_TOC--></nav><h2 class="sosku-h" id="s1">1. A</h2>'
            '<h3 class="sosku-h" id="s1-1">1.1 a</h3><h2 class="sosku-h" id="s2">2. B</h2>')
    out = rendering._insert_toc(page)
    assert '<a href="#s1-1">1.1 a</a>' in out and out.index("s1-1") < out.index('"#s2"')


def test_render_html_is_offline_and_hides_code():
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("analyst note"),
                                         nbformat.v4.new_code_cell("secret_code = 1")])
    nb.cells[1].outputs = [nbformat.v4.new_output(
        "display_data", data={"text/html": '<h2 class="sosku-h" id="s1">1. Otsikko</h2>',
                              "text/plain": "1. Otsikko"})]
    page = rendering.render_html(nb, title="T", lang="fi")
    assert "secret_code" not in page and "analyst note" not in page
    assert "<script" not in page
    assert not any(m in page.lower() for m in CDN_MARKERS)
    assert '<a href="#s1">1. Otsikko</a>' in page


def test_numbers_in_tables_are_not_broken_over_lines():
    df = pd.DataFrame({"name": ["a b c", "d"], "p": [0.0001, 0.27], "n": [1096, 12]})
    html = rendering.style_table(df, "fi", 2, False, uid="wrap", pvalues=[1])
    nowrap = {int(j) for j in re.findall(r"#T_wrap td\.col(\d+) \{\s*white-space: nowrap;", html)}
    assert "&lt; 0,001" in html
    assert nowrap == {1, 2}  # p-values and counts stay on one line, labels may wrap


def test_percentages_show_one_decimal_at_most_in_page_and_excel(tmp_path):
    from soskulib import downloads

    df = pd.DataFrame({"mittari": ["ESIS"], "tau²": [0.01234], "I² (%)": [8.0444], "R² (%)": [99.991]})
    html = rendering.style_table(df, "fi", 3, False, uid="pct")
    assert "0,012" in html and "8,0<" in html and "100,0<" in html and "8,044" not in html
    excel = downloads.write_table(df, tmp_path, "pct", lang="fi", digits=3)["excel"]
    assert excel.read_text(encoding="utf-8-sig").splitlines()[1] == "ESIS;0,012;8,0;100,0"


def _plain_and_styler(shown: pd.DataFrame, index: bool) -> tuple[str | None, str]:
    styles = [(f".col{j}", "text-align: right") for j in range(shown.shape[1])] + [
        ("td.col0", "white-space: nowrap")]
    args = (shown, index, "t_1", 'class="sosku-df sosku-wide"', styles)
    return rendering._plain_table_html(*args), rendering._styler_html(*args)


def test_plain_table_html_is_what_styler_writes():
    # The direct writer replaces pandas' Styler for tables of text; the page must not change.
    hostile = ["<script>x</script>", "a & b", "'q'", '"dq"', "=1+2", "", "1\u202f204", "..",
               "–", "ä ö τ²", "x\ny", "&amp;"]
    frames = {
        "text and missing": pd.DataFrame({"a": hostile, "b<": [None, float("nan"), pd.NA] * 4}),
        "one column": pd.DataFrame({"n": ["12"]}),
        "no rows": pd.DataFrame({"a": pd.Series([], dtype=object), "b": pd.Series([], dtype=object)}),
        "named axes": pd.DataFrame([["1", ".."], ["3", "4"]],
                                   index=pd.Index(["naiset", "miehet & muut"], name="Sukupuoli"),
                                   columns=pd.Index(["2016", "yhteensä"], name="Vuosi")),
        "row names only": pd.DataFrame({"x": ["1", "2"]}, index=pd.Index(["<a>", "b"], name="r")),
        "column name only": pd.DataFrame({"x": ["1", "2"]}, index=["a", "b"]).rename_axis(
            columns="c"),
        "unnamed index": pd.DataFrame({"x": ["1", None]}, index=["a", "b"]),
    }
    for name, frame in frames.items():
        # Row labels are shown only when they are text (a RangeIndex is hidden).
        for index in (False, True) if frame.index.dtype == object else (False,):
            shown = frame if index else frame.reset_index(drop=True)
            plain, styler = _plain_and_styler(shown, index)
            assert plain is not None and plain == styler, (name, index)


def test_plain_table_html_leaves_other_tables_to_styler():
    numbers = pd.DataFrame({"n": [1, 2]})
    multi = pd.DataFrame([["1", "2"]], columns=pd.MultiIndex.from_tuples([("a", "x"), ("a", "y")]))
    int_labels = pd.DataFrame({0: ["a"]})
    unsafe_name = pd.DataFrame({"x": ["1"]}, index=pd.Index(["a"], name="<b>"))
    for frame, index in ((numbers, False), (multi, False), (int_labels, False),
                         (unsafe_name, True)):
        assert _plain_and_styler(frame, index)[0] is None
    # style_table still writes them (through Styler).
    assert "<td" in rendering.style_table(multi, "fi", 0, False, uid="m")


def test_column_text_is_what_series_map_gives():
    # _column_text formats a column in one pass over its values; pandas' Series.map (the
    # earlier code) is the reference, on the dtypes a published table can hold.
    import numbers

    import numpy as np

    from soskulib import formatting

    frame = pd.DataFrame({
        "cat": pd.Categorical(["a", None, "b"]), "nint": pd.array([1, None, 3], dtype="Int64"),
        "date": pd.to_datetime(["2020-01-01", None, "2021-02-03"]),
        "string": pd.array(["x", None, "1"], dtype="string"),
        "nbool": pd.array([True, None, False], dtype="boolean"), "bool": [True, False, True],
        "float": [0.5, np.nan, np.inf], "whole": [1.0, 2.0, np.nan], "int": [1, -2, 3],
        "mixed": [1, "..", None], "p": [0.0004, 0.2, np.nan], "catnum": pd.Categorical([1.5, 2.0, None]),
        "osuus (%)": [12.345, 1.0, 2.5]})
    for lang in ("fi", "en"):
        yes, no = ("kyllä", "ei") if lang == "fi" else ("yes", "no")
        for name, col in frame.items():
            pvalue = name == "p"
            if pd.api.types.is_bool_dtype(col):
                expected = col.map({True: yes, False: no})
            elif pvalue:
                expected = col.map(lambda v, lg=lang: formatting.pvalue(v, lg)
                                   if isinstance(v, numbers.Real) and not isinstance(v, bool) else v)
            else:
                values = pd.to_numeric(col, errors="coerce")
                finite = values[np.isfinite(values)]
                whole = bool(len(finite)) and bool((finite % 1 == 0).all())
                places = 0 if whole else formatting.column_digits(name, 3)
                expected = col.map(lambda v, p=places, lg=lang: formatting.cell(v, lg, p))
            got = rendering._column_text(col, lang, formatting.column_digits(name, 3), pvalue)
            want = expected.astype(object).tolist()
            assert [formatting.MISSING if pd.isna(v) else v for v in got] == \
                [formatting.MISSING if pd.isna(v) else v for v in want], (name, lang)
