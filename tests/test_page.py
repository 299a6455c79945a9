"""The page a notebook writes: numbering, tables, CSV, disclosure, parameters, labels."""

from __future__ import annotations

import doctest
import re

import pandas as pd
import pytest

from soskulib import labels, page
from soskulib.errors import ConfigurationError

CDN_MARKERS = ("cdn", "unpkg", "jsdelivr", "require.js")


def test_docstring_examples_run():
    result = doctest.testmod(page, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0


def test_section_and_caption_numbering():
    rep = page.Report("fi", display=False)
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
    rep = page.Report("en", tables_dir=tmp_path / "r_tables", display=False)
    df = pd.DataFrame({"group": ["a", "b", "c"], "n": [12, 3, 40]})
    rep.table(df, "counts", "Counts", counts=["n"], along="group")
    csv = (tmp_path / "r_tables" / "counts.csv").read_text(encoding="utf-8")
    assert "3" not in csv.split("\n", 1)[1].replace("..", "")  # the 3 is hidden ...
    assert csv.count("..") == 2  # ... with one complementary cell


def test_table_rejects_duplicate_names_and_bad_names(tmp_path):
    rep = page.Report("en", tables_dir=tmp_path, display=False)
    rep.table(pd.DataFrame({"x": [1.5]}), "t1", "c")
    with pytest.raises(ValueError, match="already used"):
        rep.table(pd.DataFrame({"x": [1.5]}), "t1", "c")
    with pytest.raises(ValueError, match="a-z"):
        rep.table(pd.DataFrame({"x": [1.5]}), "Bad Name", "c")


def test_csv_bytes_are_deterministic(tmp_path):
    df = pd.DataFrame({"g": ["x", "y"], "v": [1 / 3, 2 / 3]})
    for run in ("a", "b"):
        page.Report("fi", tables_dir=tmp_path / run, display=False).table(df, "t", "c")
    assert (tmp_path / "a" / "t.csv").read_bytes() == (tmp_path / "b" / "t.csv").read_bytes()


def test_relabel_translates_codes_and_columns():
    df = pd.DataFrame({"gender": ["female", "male"], "clients": [10, 12]})
    fi = page.Report("fi", display=False).relabel(df, codes={"gender": "gender"})
    assert list(fi.columns) == ["sukupuoli", "asiakkaita"]
    assert fi.iloc[0, 0] == "nainen"


def test_validate_parameters(tmp_path):
    (tmp_path / "manifest.json").write_text("{}")
    assert page.validate_parameters(tmp_path, "en") == tmp_path.resolve()
    with pytest.raises(ConfigurationError, match="lang"):
        page.validate_parameters(tmp_path, "sv")
    with pytest.raises(ConfigurationError, match="municipality"):
        page.validate_parameters(tmp_path, "fi", municipality=92)


def test_table_columns_keep_masks_and_percent(tmp_path):
    from soskulib import disclosure

    df = pd.DataFrame({"g": ["a", "b", "c"], "n": [9, 3, 12], "share": [0.375, 0.125, 0.5],
                       "year": [2017, 2017, 2017]})
    table = disclosure.suppress_table(df, ["n"], along="g", derived={"share": "n"})
    rep = page.Report("en", tables_dir=tmp_path, display=False)
    rep.table(table, "t", "T", columns=["g", "n", "share", "year"], percent=["share"])
    written = pd.read_csv(tmp_path / "t.csv", dtype=str)
    assert list(written.columns) == ["g", "n", "share (%)", "year"]
    assert (written["n"] == disclosure.MARKER).sum() == 2  # primary + secondary
    assert set(written["share (%)"]) == {disclosure.MARKER, "50"}  # 0.5 → 50 %
    assert set(written["year"]) == {"2017"}


def test_relabel_with_report_string_prefix():
    out = page.Report("en", display=False).relabel(
        pd.DataFrame({"element": ["all_four"]}), codes={"element": "el"}, rename=False)
    assert out["element"].tolist() == ["all four"]


def test_labels_complete_in_both_languages():
    for key, (fi, en) in labels.STRINGS.items():
        assert fi and en, key
        assert set(re.findall(r"{(\w+)}", fi)) == set(re.findall(r"{(\w+)}", en)), key


def test_free_text_is_translated_or_marked_on_english_pages(tmp_path):
    """Our own vocabulary (the demo's descriptions) is translated; a municipality's own words
    are shown as recorded and say so; Finnish pages show both as recorded."""
    df = pd.DataFrame({"experiment_id": ["092-K1", "092-K9"],
                       "description": ["Matalan kynnyksen paluureitti keskeyttämisen ehkäisyyn",
                                       "Kahvila Kohtaamo <b>&</b>"]})
    en = page.Report("en", tables_dir=tmp_path / "en", display=False)
    en.table(df, "experiments", "Register", free_text=["description"])
    shown = en._published["experiments"].iloc[:, 1].tolist()
    assert shown == ["Low-threshold route back, to prevent dropout",
                     "Kahvila Kohtaamo <b>&</b> (in Finnish, as recorded)"]
    fi = page.Report("fi", tables_dir=tmp_path / "fi", display=False)
    fi.table(df, "experiments", "Rekisteri", free_text=["description"])
    assert fi._published["experiments"].iloc[:, 1].tolist() == df["description"].tolist()
    with pytest.raises(KeyError, match="free_text"):
        en.table(df, "other", "Register", free_text=["title"])


def test_every_free_text_the_demo_writes_has_its_english():
    """The demo's descriptions, target services, themes, group and sub-project names all have
    an English entry, so the English demo pages show no untranslated Finnish data text."""
    from soskulib import demo, demo_development, labels

    written: set[str] = set()
    for code in demo.DEFAULT_SIZES:
        register = demo_development.experiments(code, 2015)
        written |= set(register["kuvaus"]) | set(register["kohdepalvelu"])
        written |= set(demo_development.group_sessions(code, 2015)["ryhma"])
    written |= {text for idea in demo_development._IDEAS for text in (idea[0], idea[2])}
    written |= {t for themes in demo.THEMES.values() for t in themes}
    written |= {*demo_development.WORKSHOP_THEMES, demo_development.ARENA_THEME}
    written |= {group[0] for group in demo_development.OPEN_GROUPS.values()}
    written |= {demo.SIGNAL_ACTIVITY["teema"], *(p.name for p in demo.PROFILES.values())}
    missing = sorted(written - set(labels.DATA_TEXT_EN))
    assert not missing, missing


@pytest.mark.parametrize("lang", ["fi", "en"])
def test_no_raw_codes_in_review_strings(lang):
    """Raw export codes are not words a reader knows: the level-3 note names no column
    ("taso3"), and the pooled tables name their inference rather than metafor's "knha"."""
    from soskulib import labels, meta_fit, schema

    raw_columns = {c.raw for t in schema.tables() for c in t.columns  # code-like: "taso3", "hoito_id"
                   if c.raw and re.search(r"[\d_]", c.raw)}
    assert "taso3" in raw_columns
    note = labels.text("na.loop.sites_note", lang)
    assert not [c for c in raw_columns if f"({c})" in note or f" {c} " in note]
    rep = page.Report(lang, display=False)
    shown = rep.relabel(pd.DataFrame({"test": list(meta_fit.TESTS)}), codes={"test": "meta_test"},
                         rename=False)
    assert "Knapp–Hartung" in set(shown["test"])
    assert not set(shown["test"]) & set(meta_fit.TESTS) - {"z", "t"}
    assert labels.text("col.share_level3", lang).endswith("(%)")


def test_report_strings_file_is_checked_when_loaded(tmp_path):
    """The strings are data (soskulib/data/report_strings.toml); a broken entry is named."""
    good = tmp_path / "good.toml"
    good.write_text('["a.b"]\nfi = "Kunta {name}"\nen = "Municipality {name}"\n', encoding="utf-8")
    assert labels.load_strings(good) == {"a.b": ("Kunta {name}", "Municipality {name}")}
    for body, message in [('["k"]\nfi = "x"\n', "exactly the fields fi and en"),
                          ('["k"]\nfi = "x"\nen = "y"\nsv = "z"\n', "exactly the fields fi and en"),
                          ('["k"]\nfi = 1\nen = "y"\n', "must be text"),
                          ('["k"]\nfi = "{n} asiakasta"\nen = "{k} clients"\n', "different fields")]:
        bad = tmp_path / "bad.toml"
        bad.write_text(body, encoding="utf-8")
        with pytest.raises(ValueError, match=message) as err:
            labels.load_strings(bad)
        assert "bad.toml: ['k']" in str(err.value)
    assert labels.load_strings() == labels.STRINGS and len(labels.STRINGS) > 700


def _figures_of_every_kind():
    """Figures built twice, identically: constrained layout with legend, colour bar, fixed
    aspect and twin axes; a figure without a layout engine; one at another dpi."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    def legend():
        fig, ax = plt.subplots(figsize=(5, 3), layout="constrained")
        ax.plot([1, 2, 3], [3, 1, 2], label="naiset")
        ax.bar([1, 2, 3], [1, 2, 1], label="miehet")
        fig.legend(loc="outside right upper")
        ax.set_title("Otsikko, joka on pitkä")
        return fig

    def heatmap():
        fig, axes = plt.subplots(1, 2, figsize=(6, 3), layout="constrained")
        image = axes[0].imshow(np.arange(12.0).reshape(3, 4), aspect="equal")
        fig.colorbar(image, ax=axes[0])
        axes[1].set_aspect(2)
        axes[1].plot([0, 1], [0, 1])
        twin = axes[1].twinx()
        twin.set_ylabel("oikea")
        return fig

    def plain():
        fig, ax = plt.subplots(figsize=(4, 2))
        ax.set_ylabel("pitkä nimiö vasemmalla")
        ax.plot([0, 1], [1, 0])
        return fig

    def other_dpi():
        fig, ax = plt.subplots(figsize=(3, 2), dpi=72, layout="constrained")
        ax.scatter([1, 2], [2, 1])
        return fig

    return [legend, heatmap, plain, other_dpi]


def test_figure_png_is_what_savefig_writes():
    # One Agg draw replaces savefig's two for constrained figures: the pixels must not change.
    import io

    import matplotlib.pyplot as plt
    import numpy as np
    from PIL import Image

    for make in _figures_of_every_kind():
        saved = io.BytesIO()
        fig = make()
        constrained = fig.get_layout_engine() is not None
        fig.savefig(saved, format="png", dpi=110, bbox_inches=None if constrained else "tight",
                    metadata={"Software": None})
        ours = page._png(make(), 110)
        assert ours == page._png(make(), 110), make.__name__  # deterministic
        image, theirs = Image.open(io.BytesIO(ours)), Image.open(saved)
        assert image.info.get("dpi") == theirs.info.get("dpi"), make.__name__
        assert not {"Software", "Creation Time"} & set(image.info), make.__name__
        assert np.array_equal(np.asarray(image.convert("RGBA")), np.asarray(theirs.convert("RGBA"))), \
            make.__name__
        if constrained:  # drawn in one pass and opaque: stored without an alpha channel
            assert image.mode == "RGB", make.__name__
        plt.close("all")


def test_publication_population_is_computed_once_per_data_and_handed_out_as_copies(
        tmp_path, monkeypatch):
    from soskulib.disclosure import PublicationPopulation

    calls = []

    def compute(processed_dir):
        calls.append(processed_dir)
        excluded = pd.DataFrame({"unit": ["092"], "category": ["other"], "n": [3]})
        excluded.attrs["client_ids"] = ("a", "b", "c")
        return PublicationPopulation(pd.DataFrame({"client_id": ["d"]}), excluded, "gender")

    monkeypatch.setattr(page, "_publication_population", compute)
    (tmp_path / "clients.parquet").write_bytes(b"v1")
    first = page.publication_population(tmp_path)
    first.excluded.loc[0, "n"] = 99  # a notebook changing its copy
    second = page.publication_population(tmp_path)
    assert len(calls) == 1 and second.excluded.loc[0, "n"] == 3
    assert second.excluded_ids == {"a", "b", "c"}
    (tmp_path / "clients.parquet").write_bytes(b"v2, prepared again")
    page.publication_population(tmp_path)
    assert len(calls) == 2


@pytest.mark.parametrize("lang", ["fi", "en"])
def test_a_figure_showing_hidden_values_says_what_is_hidden_and_why(lang, monkeypatch):
    """Its legend says only "suppressed" (the block also holds complements of more than 5
    people); the note under the figure names both reasons, for hatched blocks and for ".."
    cells alike, and a figure hiding nothing gets no note."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from soskulib import disclosure, plots

    rep = page.Report(lang, display=False)
    shown: list[str] = []
    monkeypatch.setattr(rep, "_show", lambda body, text, metadata=None: shown.append(body))

    fig, ax = plt.subplots()
    ax.bar([0, 1], [3, 4], label="a")
    ax.bar([2], [5], **plots.SUPPRESSED_STYLE, label=plots.suppressed_legend_patch(lang).get_label())
    ax.legend()
    rep.figure(fig, "hatched")
    fig, ax = plt.subplots()
    ax.imshow([[1.0, float("nan")]])
    ax.text(1, 0, disclosure.MARKER)
    rep.figure(fig, "marked")
    fig, ax = plt.subplots()
    ax.plot([0, 1], [0, 1], label="a")
    ax.legend()
    rep.figure(fig, "plain")
    hatched, marked, plain = shown
    assert labels.text("figure_hatched_note", lang, k=5) in hatched
    assert labels.text("figure_marker_note", lang, k=5, marker="..") in marked
    assert "sosku-tablenote" not in plain
    for body in (hatched, marked):
        note = re.search(r'<p class="sosku-tablenote">([^<]*)</p>', body).group(1)
        assert "5" in note and ("muiden julkaistujen" in note or "other published" in note)


@pytest.mark.parametrize("lang", ["fi", "en"])
def test_relabel_puts_women_before_men_in_both_languages(lang):
    """Alphabetically "mies" < "nainen" but "female" < "male": the reports' one order is the
    schema's display order, women first, in both languages."""
    from soskulib import disclosure, schema

    df = pd.DataFrame({"gender": ["male", "other", "female"] * 6, "g": list("ab") * 9})
    out = page.Report(lang, display=False).relabel(df, codes={"gender": "gender"}, rename=False)
    expected = [schema.label("gender", c, lang) for c in ("female", "male", "other")]
    assert list(out["gender"].cat.categories) == expected
    table = disclosure.crosstab(out, "g", "gender", min_cell=1)
    assert list(table.counts.columns[:3]) == expected


def test_a_cross_tabulation_writes_thousands_as_every_other_table_does(tmp_path, monkeypatch):
    """The national pathways table printed its total as "1322" while other tables write
    "1 322"; the CSVs keep the plain digits."""
    from soskulib import disclosure

    rows = pd.DataFrame({"g": ["a"] * 700 + ["b"] * 622, "c": ["x", "y"] * 661})
    rep = page.Report("fi", tables_dir=tmp_path, display=False)
    shown: list[str] = []
    monkeypatch.setattr(rep, "_show", lambda body, text, metadata=None: shown.append(body))
    rep.table(disclosure.crosstab(rows, "g", "c"), "big", "Iso taulukko")
    assert "1\u00a0322" in shown[0] and ">1322<" not in shown[0]
    assert "1322" in (tmp_path / "big.csv").read_text(encoding="utf-8")


def test_english_strings_do_not_hedge_plurals_with_s_in_brackets():
    """"at least 1 recorded goal(s)", like the index's old "64 input file(s)", reads as a
    form letter; a reviewer's English pages say "1 or more recorded goals"."""
    hedged = [key for key, (_fi, en) in labels.STRINGS.items() if re.search(r"\w\(s\)", en)]
    assert hedged == []
