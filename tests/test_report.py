"""Report helpers and the end-to-end build on a small synthetic export."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import pytest

from soskulib import labels, report
from soskulib.errors import ConfigurationError, DataError

CDN_MARKERS = ("cdn", "unpkg", "jsdelivr", "require.js")


# --- Report: numbering, tables, CSV, disclosure ------------------------------------------------

def test_section_and_caption_numbering():
    rep = report.Report("fi", display=False)
    rep.section("A")
    rep.section("a", level=3)
    rep.section("b", level=3)
    assert rep.last_heading == "1.2 b"
    rep.section("B")
    assert rep.last_heading == "2. B"
    assert rep.caption("table", "x") == "Taulukko 1. x"
    assert rep.caption("table", "y") == "Taulukko 2. y"
    assert rep.caption("figure", "z") == "Kuvio 1. z"


def test_table_writes_csv_and_suppresses_small_counts(tmp_path):
    rep = report.Report("en", tables_dir=tmp_path / "r_tables", display=False)
    df = pd.DataFrame({"group": ["a", "b", "c"], "n": [12, 3, 40]})
    rep.table(df, "counts", "Counts", counts=["n"], along="group")
    csv = (tmp_path / "r_tables" / "counts.csv").read_text(encoding="utf-8")
    assert "3" not in csv.split("\n", 1)[1].replace("..", "")  # the 3 is hidden ...
    assert csv.count("..") == 2  # ... with one complementary cell


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
    page = report._style_table(df, "fi", 1, False, uid="mixed")
    assert _alignment(page, "mixed") == {0: "left", 1: "right", 2: "right", 3: "right",
                                         4: "right", 5: "left", 6: "left"}
    # One rule per column, none per cell: alignment cannot differ within a column.
    assert not re.search(r"#T_mixed_row\d+_col\d+ \{", page)


def test_tables_on_one_page_do_not_share_style_ids():
    rep = report.Report("en", display=False)
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
    rep = report.Report("en", display=False)
    shown = []
    rep._show = lambda body, text, metadata=None: shown.append(body)
    rep.table(disclosure.crosstab(people, "tg", "gender"), "split", "c")
    assert set(_alignment(shown[0], "split").values()) == {"right"}


def test_table_rejects_duplicate_names_and_bad_names(tmp_path):
    rep = report.Report("en", tables_dir=tmp_path, display=False)
    rep.table(pd.DataFrame({"x": [1.5]}), "t1", "c")
    with pytest.raises(ValueError, match="already used"):
        rep.table(pd.DataFrame({"x": [1.5]}), "t1", "c")
    with pytest.raises(ValueError, match="a-z"):
        rep.table(pd.DataFrame({"x": [1.5]}), "Bad Name", "c")


def test_csv_bytes_are_deterministic(tmp_path):
    df = pd.DataFrame({"g": ["x", "y"], "v": [1 / 3, 2 / 3]})
    for run in ("a", "b"):
        report.Report("fi", tables_dir=tmp_path / run, display=False).table(df, "t", "c")
    assert (tmp_path / "a" / "t.csv").read_bytes() == (tmp_path / "b" / "t.csv").read_bytes()


def test_relabel_translates_codes_and_columns():
    df = pd.DataFrame({"gender": ["female", "male"], "clients": [10, 12]})
    fi = report.Report("fi", display=False).relabel(df, codes={"gender": "gender"})
    assert list(fi.columns) == ["sukupuoli", "asiakkaita"]
    assert fi.iloc[0, 0] == "nainen"


def test_validate_parameters(tmp_path):
    (tmp_path / "manifest.json").write_text("{}")
    assert report.validate_parameters(tmp_path, "en") == tmp_path.resolve()
    with pytest.raises(ConfigurationError, match="lang"):
        report.validate_parameters(tmp_path, "sv")
    with pytest.raises(ConfigurationError, match="municipality"):
        report.validate_parameters(tmp_path, "fi", municipality=92)


def test_check_published_finds_identifiers_but_not_in_images():
    with pytest.raises(DataError, match="identity code"):
        report.check_published("<td>131052-9085</td>")
    with pytest.raises(DataError, match="pseudonym"):
        report.check_published("<td>0123456789abcdef</td>", {"0123456789abcdef"})
    report.check_published('<img src="data:image/png;base64,AAAA131052-9085AAAA">')


def test_toc_lists_numbered_headings():
    page = ('<nav><!--SOSKU_TOC--></nav><h2 class="sosku-h" id="s1">1. A</h2>'
            '<h3 class="sosku-h" id="s1-1">1.1 a</h3><h2 class="sosku-h" id="s2">2. B</h2>')
    out = report._insert_toc(page)
    assert '<a href="#s1-1">1.1 a</a>' in out and out.index("s1-1") < out.index('"#s2"')


def test_render_html_is_offline_and_hides_code():
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("analyst note"),
                                         nbformat.v4.new_code_cell("secret_code = 1")])
    nb.cells[1].outputs = [nbformat.v4.new_output(
        "display_data", data={"text/html": '<h2 class="sosku-h" id="s1">1. Otsikko</h2>',
                              "text/plain": "1. Otsikko"})]
    page = report.render_html(nb, title="T", lang="fi")
    assert "secret_code" not in page and "analyst note" not in page
    assert "<script" not in page
    assert not any(m in page.lower() for m in CDN_MARKERS)
    assert '<a href="#s1">1. Otsikko</a>' in page


def test_labels_complete_in_both_languages():
    for key, (fi, en) in labels.STRINGS.items():
        assert fi and en, key
        assert set(re.findall(r"{(\w+)}", fi)) == set(re.findall(r"{(\w+)}", en)), key


# --- End to end -------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """One build (fi) on a small demo export; about a minute on two cores."""
    demo = pytest.importorskip("soskulib.demo")
    prepare = pytest.importorskip("soskulib.prepare")
    root = tmp_path_factory.mktemp("build")
    demo.write_demo(root / "raw", n_clients=300)
    prepare.prepare(root / "raw", root / "processed")
    index = report.build_reports(root / "processed", root / "reports", lang="fi", jobs=2,
                                 progress=False)
    return root, index


def _pages(out: Path) -> list[Path]:
    return sorted(out.rglob("*.html"))


def test_build_writes_index_and_every_page(built):
    root, index = built
    out = root / "reports"
    assert index == out / "index.html"
    names = {p.relative_to(out).as_posix() for p in _pages(out)}
    assert {"index.html", "national_synthesis.html", "data_quality.html",
            "instruments.html"} <= names
    municipal = [n for n in names if n.startswith("municipalities/")]
    assert len(municipal) == len(report.municipalities_in(root / "processed")) > 0
    page = index.read_text(encoding="utf-8")
    for name in names - {"index.html"}:
        assert f'href="{name}"' in page


def test_pages_are_offline_and_code_free(built):
    root, _ = built
    for page in _pages(root / "reports"):
        text = page.read_text(encoding="utf-8")
        # embedded PNGs are base64: "cdn" can occur there by chance
        lower = re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "", text).lower()
        assert not any(m in lower for m in CDN_MARKERS), page.name
        assert "<script" not in lower, page.name
        assert "report.start(" not in text and "import " not in text, page.name


def test_no_identifiers_in_reports(built):
    from soskulib import io as sio

    root, _ = built
    ids = set(sio.load_processed(root / "processed", "clients")["client_id"])
    for path in [*_pages(root / "reports"), *(root / "reports").rglob("*.csv")]:
        text = path.read_text(encoding="utf-8")
        stripped = re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "", text)
        assert not report.HETU_PATTERN.search(stripped), path.name
        assert not ids & set(re.findall(r"[0-9a-f]{16}", stripped)), path.name


def test_csvs_beside_each_report(built):
    root, _ = built
    out = root / "reports"
    for page in _pages(out):
        if page.name == "index.html":
            continue
        tables = page.with_name(page.stem + "_tables")
        csvs = sorted(tables.glob("*.csv"))
        assert csvs, page.name
        text = page.read_text(encoding="utf-8")
        for csv in csvs:
            assert f'href="{tables.name}/{csv.name}"' in text


def test_lang_switch_changes_headings(built):
    root, _ = built
    fi_page = (root / "reports" / "instruments.html").read_text(encoding="utf-8")
    jobs = report._jobs_for((root / "processed").resolve(), root / "reports_en", "en",
                            report.NOTEBOOKS_DIR, [])
    job = next(j for j in jobs if j.notebook.endswith("30_instruments.ipynb"))
    en_page = Path(report._execute_and_render(job).html_path).read_text(encoding="utf-8")
    for key in ("report.instruments.title", "in.summary", "contents"):
        assert labels.text(key, "fi") in fi_page and labels.text(key, "en") not in fi_page
        assert labels.text(key, "en") in en_page
    assert 'lang="en"' in en_page and 'lang="fi"' in fi_page


def test_table_columns_keep_masks_and_percent(tmp_path):
    from soskulib import disclosure

    df = pd.DataFrame({"g": ["a", "b", "c"], "n": [9, 3, 12], "share": [0.375, 0.125, 0.5],
                       "year": [2017, 2017, 2017]})
    table = disclosure.suppress_table(df, ["n"], along="g", derived={"share": "n"})
    rep = report.Report("en", tables_dir=tmp_path, display=False)
    rep.table(table, "t", "T", columns=["g", "n", "share", "year"], percent=["share"])
    written = pd.read_csv(tmp_path / "t.csv", dtype=str)
    assert list(written.columns) == ["g", "n", "share (%)", "year"]
    assert (written["n"] == disclosure.MARKER).sum() == 2  # primary + secondary
    assert set(written["share (%)"]) == {disclosure.MARKER, "50"}  # 0.5 → 50 %
    assert set(written["year"]) == {"2017"}


def test_spread_keeps_markers_and_numbers():
    from soskulib import disclosure

    t = pd.DataFrame({"item": ["a", "a", "b", "b"], "band": ["red", "green"] * 2,
                      "share": [0.2, 0.8, np.nan, 0.5], "share_suppressed": [False, False, True, False]})
    wide = report.spread(t, "item", "band", "share", scale=100)
    assert wide.loc["b", "red"] == disclosure.MARKER
    assert pd.api.types.is_numeric_dtype(wide["green"]) and wide.loc["a", "green"] == 80


def test_relabel_with_report_string_prefix():
    out = report.Report("en", display=False).relabel(
        pd.DataFrame({"element": ["all_four"]}), codes={"element": "el"}, rename=False)
    assert out["element"].tolist() == ["all four"]
