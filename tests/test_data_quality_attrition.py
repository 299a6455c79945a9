"""Measurement attrition on the data-quality page, and the API errors a researcher meets."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from soskulib import data_quality, outcomes, publication, synthesis


@pytest.fixture(scope="module")
def processed(tmp_path_factory):
    from soskulib import demo, prepare

    root = tmp_path_factory.mktemp("attrition")
    demo.write_demo(root / "raw", n_clients=300)
    prepare.prepare(root / "raw", root / "processed", log=lambda _msg: None)
    return root / "processed"


def test_attrition_table_is_protected_and_consistent(processed):
    table = data_quality.measurement_attrition(processed, lang="fi")
    assert publication.is_publishable(table) is True
    assert list(table.columns[:6]) == ["instrument", "name", "municipality", "n_pre", "n",
                                       "share_end"]
    # One instrument order, and the headline names say what is measured.
    assert list(dict.fromkeys(table["instrument"])) == [
        i for i in ("3x10d", "esis", "whodas12", "eq5d3l") if i in set(table["instrument"])]
    assert "3X10D: elämä kokonaisuutena" in set(table["name"])
    shown = table.loc[~table["share_end_suppressed"]]
    assert np.allclose(shown["share_end"], shown["n"] / shown["n_pre"])
    visible = pd.concat([table.loc[~table["n_pre_suppressed"], "n_pre"],
                         table.loc[~table["n_suppressed"], "n"]])
    assert ((visible == 0) | (visible >= 5)).all()
    assert table["share_end"].isna().sum() >= table["n_suppressed"].sum()
    assert 0.3 < table.attrs["overall_share"] < 0.8


def test_attrition_figure_uses_names_in_order_and_page_numbers(processed):
    table = data_quality.measurement_attrition(processed, lang="fi")
    fig = data_quality.attrition_figure(table, "fi")
    ax = fig.axes[0]
    rows = [t.get_text() for t in ax.get_yticklabels()]
    assert rows == sorted(rows, key=str.casefold) and not any(r.isdigit() for r in rows)
    cells = [t.get_text() for t in ax.texts]
    assert all(c == ".." or c.endswith("\u00a0%") for c in cells)
    plt.close(fig)


def test_completeness_figure_names_municipalities_in_sorted_order(processed):
    comp = data_quality.completeness(processed)
    fig = data_quality.completeness_figure(comp, "en")
    names = [t.get_text() for t in fig.axes[0].get_xticklabels()]
    assert names == sorted(names, key=str.casefold) and not any(n.isdigit() for n in names)
    plt.close(fig)
    # The table beside it lists municipalities in the same (name) order within an instrument.
    from soskulib import schema

    fi = dict(zip(schema.organisations()["code"], schema.organisations()["name_fi"], strict=True))
    for _inst, part in comp.groupby("instrument", sort=False):
        shown = list(dict.fromkeys(part["municipality"].map(fi)))
        assert shown == sorted(shown, key=str.casefold)


def test_one_responses_table_instead_of_a_dict_says_what_was_expected(processed):
    from soskulib import io as sio

    esis = sio.load_processed(processed, "responses_esis")
    for func in (outcomes.outcome_summary, outcomes.change_categories,
                 synthesis.municipality_effects):
        with pytest.raises(TypeError, match=r"needs a dict \{instrument id: responses table\}"):
            func(esis)
    with pytest.raises(TypeError, match="needs a dict"):
        outcomes.change_scores(esis)


def test_outcome_summary_for_reading_has_no_masks_and_whole_counts(processed):
    from soskulib import io as sio

    responses = {"esis": sio.load_processed(processed, "responses_esis")}
    clients = sio.load_processed(processed, "clients")
    full = outcomes.outcome_summary(responses, clients, by="gender", masks=True)
    clean = outcomes.outcome_summary(responses, clients, by="gender")  # the default: for reading
    assert sum(c.endswith("_suppressed") for c in full.columns) > 10
    assert not any(c.endswith("_suppressed") for c in clean.columns)
    assert str(clean["n"].dtype) == "Int64" and str(clean["n_pre"].dtype) == "Int64"
    assert clean["n"].isna().tolist() == full["n_suppressed"].tolist()
    assert publication.is_publishable(clean) is True
    assert clean.attrs["hidden"] == int(full.filter(like="_suppressed").to_numpy(bool).sum()) > 0


def test_completeness_hides_what_the_rest_of_the_site_would_give_back(processed):
    """Issue 10: responses × scorable share gives the unscorable forms, and the responses less
    a count published elsewhere (the clients with a baseline, the complete pairs) give a group
    too."""
    comp = data_quality.completeness(processed)
    pub = data_quality.protect_completeness(comp)
    assert publication.is_publishable(pub) is True
    assert not {"n_scorable", "n_pairs"} & set(pub.columns)  # never published
    both = comp.assign(r=pub["responses"], share=pub["scorable_pct"], items=pub["items_answered_pct"])

    def small(x):
        return (x > 0) & (x < 5)

    unscorable = both["responses"] - both["n_scorable"]
    shown_share = both["share"].notna()
    assert not (shown_share & (small(unscorable) | small(both["n_scorable"]))).any()
    shown = both["r"].notna()
    assert not (shown & small(unscorable)).any()
    over_pairs = both["responses"] - both["n_pairs"].astype(float)
    assert not (shown & small(over_pairs) & (unscorable == 0)).any()
    assert (both["items"].notna() <= shown).all() and (shown_share <= shown).all()
    assert small(unscorable).any()  # the fixture has the case this protects
    # The counts it protects against are the ones the site publishes.
    att = data_quality.measurement_attrition(processed, min_cell=1)
    from soskulib import instruments

    names = {instruments.get(i).display_name("fi"): i for i in att["instrument"]}
    base = comp.loc[comp["occasion"] == "baseline"].assign(instrument=lambda d: d["instrument"].map(names))
    merged = base.merge(att, on=["instrument", "municipality"])
    assert len(merged) and (merged["n_scorable"] == merged["n_pre"]).all()
    assert (merged["n_pairs"] == merged["n"]).all()


def test_rows_table_leaves_people_to_the_protected_tables(processed):
    """The data-quality page's rows count the publication population's records; assessments
    (people: one per client and occasion) are left to the protected completeness table,
    since their total less the clients with a baseline and the complete pairs is a group."""
    from soskulib import page

    rows = data_quality.rows_by_municipality(processed)
    assert not [t for t in rows.index if t.startswith("responses_")]
    population = page.publication_population(processed)
    from soskulib import io as sio

    contacts = population.keep(sio.load_processed(processed, "contacts", columns=["municipality", "client_id"]))
    assert rows.loc["contacts"].to_dict() == contacts["municipality"].value_counts().reindex(rows.columns,
                                                                                            fill_value=0).to_dict()


def test_completeness_figure_keeps_every_row_and_shows_its_hidden_cells(processed):
    """A row whose every cell is hidden stays (in the table's order), and ".." is readable:
    a hidden cell is blank (white), so its mark is dark."""
    import matplotlib.colors as mcolors

    comp = data_quality.protect_completeness(data_quality.completeness(processed))
    fig = data_quality.completeness_figure(comp, "fi")
    ax = fig.axes[0]
    rows = [t.get_text() for t in ax.get_yticklabels()]
    from soskulib import schema

    expected = list(dict.fromkeys(comp["instrument"] + " · " + comp["occasion"].map(
        lambda o: schema.label("occasion", o, "fi"))))
    assert rows == expected
    marks = [t for t in ax.texts if t.get_text() == ".."]
    assert len(marks) == int(comp["scorable_pct_suppressed"].sum())
    assert all(mcolors.to_hex(t.get_color()) != "#ffffff" for t in marks)
    plt.close(fig)


@pytest.mark.parametrize("lang", ["fi", "en"])
def test_completeness_names_each_instrument_as_the_attrition_and_outcome_tables_do(processed, lang):
    """The scorable share is of the headline scale: EQ-5D-3L's is the EQ VAS, 3X10D's the
    item on life as a whole; the page's attrition table and the outcome tables say so, and so
    does the completeness table and its heat map (issue 15: one name)."""
    from soskulib import instruments

    comp = data_quality.completeness(processed, lang=lang)
    att = data_quality.measurement_attrition(processed, lang=lang, min_cell=1)
    shown = set(comp["instrument"])
    assert "EQ VAS" in shown and "EQ-5D-3L" not in shown
    assert set(att["name"]) <= shown
    assert shown == {instruments.get(i).display_name(lang)
                     for i in instruments.ordered(instruments.available()) if i != "gas"} & shown
    fig = data_quality.completeness_figure(data_quality.protect_completeness(comp), lang)
    rows = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert any(r.startswith("EQ VAS · ") for r in rows) and not any("EQ-5D" in r for r in rows)
    plt.close(fig)


@pytest.mark.parametrize("lang", ["fi", "en"])
def test_heat_map_captions_say_what_a_blank_cell_means(processed, lang):
    """Both heat maps leave a cell blank where there is nothing to show (an instrument a
    municipality did not use), and mark hidden ones "..": the captions tell the two apart."""
    from soskulib import labels

    att = data_quality.measurement_attrition(processed, lang=lang)
    fig = data_quality.attrition_figure(att, lang)
    image = fig.axes[0].images[0].get_array()
    blank = int(np.isnan(np.ma.filled(np.ma.asarray(image, dtype=float), np.nan)).sum())
    marks = sum(t.get_text() == ".." for t in fig.axes[0].texts)
    plt.close(fig)
    assert blank > marks  # the fixture has instruments some municipalities did not use
    word = "tyhjä" if lang == "fi" else "blank"
    assert word in labels.text("dq.attrition.figure", lang)
    assert word in labels.text("dq.completeness.figure", lang)
