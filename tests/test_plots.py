"""Tests for soskulib.plots: every figure function runs on fixture data (Agg backend)."""

from __future__ import annotations

import doctest

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from soskulib import outcomes, plots, process, schema  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _labelled(ax: Axes) -> None:
    assert ax.get_title() or ax.figure.get_suptitle()
    assert ax.get_xlabel() and ax.get_ylabel()


def _texts(ax: Axes) -> str:
    parts = [ax.get_title(), ax.get_xlabel(), ax.get_ylabel()]
    parts += [t.get_text() for t in ax.get_xticklabels() + ax.get_yticklabels()]
    for legend in [ax.get_legend(), *ax.figure.legends]:  # axes or figure legend
        if legend:
            parts += [t.get_text() for t in legend.get_texts()]
    return " ".join(parts)


def test_docstring_examples_run():
    result = doctest.testmod(plots, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0


@pytest.mark.parametrize("lang", ["fi", "en"])
def test_spc_chart(episodes, lang):
    chart = process.dropout_chart(episodes, by="municipality")
    ax = plots.spc_chart(chart.loc[chart["municipality"] == "092"], lang=lang)
    _labelled(ax)
    assert ("Keskeyttäminen" in ax.get_title()) == (lang == "fi")
    # Suppressed quarters are drawn as marks on the axis, never as values.
    hidden = chart.loc[chart["municipality"] == "092", "p_suppressed"]
    assert ("peitetty" in _texts(ax) or "suppressed" in _texts(ax)) == bool(hidden.any())


def test_spc_chart_marks_signals():
    quarters = pd.date_range("2016-01-01", periods=12, freq="QS")
    p = np.r_[[0.4] * 6, [0.1] * 6]
    data = pd.DataFrame({"quarter_start": quarters, "p": p, "centre": 0.25, "lcl": 0.1, "ucl": 0.4,
                         "median": 0.25, "signal": True})
    ax = plots.spc_chart(data, lang="en")
    assert "signal" in _texts(ax)


def test_funnel_and_caterpillar(episodes):
    ex = process.exits(episodes, by="municipality", min_cell=1)
    drop = ex.loc[ex["end_reason"] == "dropped_out"]
    ax = plots.funnel_plot(drop, "share", "n_ended", lang="en", ylabel="dropout share")
    _labelled(ax)
    fid = process.fidelity_index(episodes, by="municipality")
    ax = plots.caterpillar(fid, "index", "ci_low", "ci_high", lang="fi", xlabel="indeksi")
    _labelled(ax)
    assert "Vantaa" in _texts(ax)
    with pytest.raises(ValueError, match="no visible"):
        plots.caterpillar(fid.assign(index=np.nan), "index", "ci_low", "ci_high")


def test_quality_heatmap(tables):
    prof = process.quality_profile(tables["quality"], lang="en")
    ax = plots.quality_heatmap(prof, lang="en")
    _labelled(ax)
    assert "2018" in ax.get_title()
    assert "Needs assessment" in _texts(ax)
    with pytest.raises(ValueError, match="no ratings"):
        plots.quality_heatmap(prof, year=2030)


def test_fidelity_bars_show_suppressed_segment(episodes):
    ax = plots.fidelity_bars(episodes, lang="en")
    _labelled(ax)
    # Laukaa (14 clients) has categories under 5: a hatched "suppressed" segment is drawn.
    assert "suppressed" in _texts(ax)
    widths = {}
    for patch in ax.patches:
        y = round(patch.get_y() + patch.get_height() / 2)
        widths[y] = widths.get(y, 0) + patch.get_width()
    assert all(w == pytest.approx(1.0) for w in widths.values())
    plt.close(ax.figure)
    # Percent ticks in the page's style: "40 %" (no-break space) in Finnish, "40%" in English.
    for lang, suffix in (("fi", "\u00a0%"), ("en", "0%")):
        ax = plots.fidelity_bars(episodes, lang=lang)
        ticks = [t.get_text() for t in ax.get_xticklabels() if t.get_text()]
        assert ticks and all(t.endswith(suffix) for t in ticks), ticks
        plt.close(ax.figure)


@pytest.mark.parametrize(("lang", "word", "small"), [("fi", "peitetty", "alle"),
                                                      ("en", "suppressed", "fewer")])
def test_hatched_legend_does_not_claim_fewer_than_five(episodes, lang, word, small):
    """The hatched block also holds cells hidden as complements (more than 5 people: Vantaa's
    men with 0-1 elements in the demo), so its legend says "suppressed", not "fewer than 5";
    the note the page writes under every figure with a hatched block gives the reason."""
    from soskulib import disclosure, labels

    table = disclosure.crosstab(episodes.assign(n_elements=episodes["n_elements"].astype(int)),
                                "municipality", "n_elements", fixed_totals="column")
    ax = plots.fidelity_bars(table, by="municipality", lang=lang)
    entries = [t.get_text() for t in ax.get_legend().get_texts()]
    assert word in entries
    assert not any(small in e for e in entries), entries
    assert plots.suppressed_legend_patch(lang).get_label() == word
    from soskulib.page import Report

    notes = Report(lang, display=False)._hidden_notes(ax.figure)
    assert len(notes) == 1 and notes[0] == labels.text("figure_hatched_note", lang, k=5)
    assert "5" in notes[0] and small in notes[0] and ("Viivoitettu" in notes[0] or "Hatched" in notes[0])
    assert ("muiden julkaistujen" in notes[0]) or ("other published" in notes[0])


def test_dose_distribution_drops_small_groups(episodes):
    ax = plots.dose_distribution(episodes, "hours", by="gender", lang="en")
    _labelled(ax)
    shown = _texts(ax)
    small = episodes["gender"].value_counts()
    for gender, n in small.items():
        label = {"male": "male", "female": "female", "other": "other / unknown"}[gender]
        assert (label in shown) == (n >= 5)
    # No outlier points: no line carries point markers (fliers would).
    assert all(line.get_marker() in ("", "None", None) or len(line.get_xdata()) == 0 for line in ax.lines)


def _whisker_ends(values: pd.Series) -> list[float]:
    """Where matplotlib ends whiskers at percentiles: the furthest values within them."""
    v = np.asarray(values.dropna(), float)
    low, high = (np.percentile(v, q) for q in plots.WHISKERS)
    return [v[v >= low].min(), v[v <= high].max()]


def _drawn_values(ax: Axes, axis: str) -> np.ndarray:
    return np.concatenate([np.asarray(line.get_xdata() if axis == "x" else line.get_ydata(), float)
                           for line in ax.lines]) if ax.lines else np.array([])


@pytest.mark.parametrize("lang", ["fi", "en"])
def test_box_plots_say_their_whiskers_are_the_10th_and_90th_percentiles(episodes, tables, lang):
    """A reader assumes Tukey's 1.5 × IQR; the figures draw 10–90 % and must say so."""
    pytest.importorskip("soskulib.scoring")
    key = {"fi": "viikset = 10.–90. persentiili", "en": "whiskers = 10th–90th percentile"}[lang]
    ax = plots.dose_distribution(episodes, "hours", by="gender", lang=lang)
    assert key in ax.figure.get_supxlabel()
    drawn = _drawn_values(ax, "x")
    for _g, part in episodes.dropna(subset=["hours"]).groupby("gender"):
        if len(part) >= 5:
            for end in _whisker_ends(part["hours"]):
                assert np.isclose(drawn, end).any()
    changes = outcomes.change_scores({"3x10d": tables["responses_3x10d"]})
    fig = plots.pre_post(changes, lang=lang)
    assert key in fig.get_supxlabel()
    drawn = _drawn_values(fig.axes[0], "y")
    for occasion in ("baseline", "end"):
        for end in _whisker_ends(changes[occasion]):
            assert np.isclose(drawn, end).any()
    # and the municipality page's captions of both box plots say it too
    from soskulib import labels

    for caption in ("mu.dose.figure", "mu.outcomes.dist_figure"):
        assert "10–90" in labels.text(caption, lang)


def test_pre_post(tables):
    pytest.importorskip("soskulib.scoring")
    changes = outcomes.change_scores({"3x10d": tables["responses_3x10d"]})
    fig = plots.pre_post(changes, lang="fi")
    assert isinstance(fig, Figure) and fig.get_suptitle()
    _labelled(fig.axes[0])
    shown = [tick.get_text() for tick in fig.axes[0].get_xticklabels()]
    assert shown == [schema.label("occasion", o, "fi") for o in ("baseline", "end")]
    later = outcomes.change_scores(
        {"3x10d": tables["responses_3x10d"].replace({"occasion": {"end": "followup"}})}, post="followup")
    fig = plots.pre_post(later, post="followup", lang="en")
    shown = [tick.get_text() for tick in fig.axes[0].get_xticklabels()]
    assert shown == [schema.label("occasion", o, "en") for o in ("baseline", "followup")]
    with pytest.raises(ValueError, match="paired"):
        plots.pre_post(changes.head(3))


def test_traffic_light_profile(tables):
    ax = plots.traffic_light_profile(tables["responses_3x10d"], lang="fi")
    _labelled(ax)
    text = _texts(ax)
    assert "punainen 0–5" in text and "terveys" in text


def test_pathway_heatmap(episodes):
    ax = plots.pathway_heatmap(process.pathways(episodes), lang="en")
    _labelled(ax)
    assert "work trial" in _texts(ax)
    small = process.pathways(episodes.loc[episodes["municipality"] == "410"])
    ax = plots.pathway_heatmap(small, lang="fi")
    annotations = [t.get_text() for t in ax.texts]
    assert ".." in annotations  # suppressed cells are marked, not shown
    assert not any(a.endswith("%") for a, hidden in zip(
        small["share"].map(lambda v: "" if pd.isna(v) else f"{v:.0%}"), small["share_suppressed"],
        strict=True) if hidden)


def test_codevelopment_timeline(tables):
    cod = process.codevelopment(tables["activities"])
    ax = plots.codevelopment_timeline(cod, lang="en")
    _labelled(ax)
    assert "workshop" in _texts(ax)


def test_unknown_language_is_rejected(tables):
    with pytest.raises(ValueError, match="language"):
        plots.quality_heatmap(tables["quality"], lang="sv")


def test_quality_heatmap_by_year_for_one_municipality(tables):
    prof = process.quality_profile(tables["quality"].query("municipality == '092'"), "en")
    ax = plots.quality_heatmap(prof, rows="year", lang="en")
    assert [t.get_text() for t in ax.get_yticklabels()] == ["2016", "2017", "2018"]
    assert "2016–2018" in ax.get_title()
    with pytest.raises(ValueError, match="one municipality"):
        plots.quality_heatmap(process.quality_profile(tables["quality"]), rows="year")
    plt.close("all")


def test_entries_chart_draws_suppressed_quarters_hatched(episodes):
    entries = process.entries(episodes.query("municipality == '410'"))
    ax = plots.entries_chart(entries, lang="en")
    hidden = int(entries["n_entries_suppressed"].sum())
    hatched = [p for p in ax.patches if p.get_hatch()]
    assert len(hatched) == hidden and len(ax.patches) == len(entries)
    plt.close("all")


def test_effect_chart_and_truth_chart():
    data = pd.DataFrame({"name": ["ESIS", "ESIS", "WHODAS-12"], "gender": ["female", "male", "male"],
                         "effect": [0.3, 0.2, np.nan], "effect_ci_low": [0.1, 0.0, np.nan],
                         "effect_ci_high": [0.5, 0.4, np.nan]})
    ax = plots.effect_chart(data, group="gender", lang="en")
    assert [t.get_text() for t in ax.get_yticklabels()] == ["ESIS"]  # hidden row left out
    assert {t.get_text() for t in ax.get_legend().get_texts()} == {"female", "male"}
    truth = pd.DataFrame({"name": ["ESIS"], "estimate": [0.28], "ci_low": [0.1], "ci_high": [0.45],
                          "mu_true": [0.35]})
    ax = plots.truth_chart(truth, lang="fi")
    assert ax.get_xlabel() == "SMCR" and len(ax.get_legend().get_texts()) == 2
    plt.close("all")


def test_codevelopment_timeline_hides_small_lived_experience_share(tables):
    acts = tables["activities"].assign(**dict.fromkeys(schema.LIVED_EXPERIENCE_ROLES, 0))
    acts.loc[acts.index[0], "n_clients"] = 2  # one quarter with 2 lived-experience attendees
    ax = plots.codevelopment_timeline(process.codevelopment(acts), lang="en")
    twin = [a for a in ax.figure.axes if a is not ax][0]
    share = twin.lines[0].get_ydata()
    assert np.isnan(share).sum() == 1  # that quarter's share is not drawn
    assert (share[~np.isnan(share)] == 0).all()
    plt.close("all")


def test_spc_chart_hidden_quarters_are_bands_and_ticks_are_quarters():
    quarters = pd.date_range("2016-01-01", periods=8, freq="QS")
    data = pd.DataFrame({"quarter_start": quarters, "p": [0.3, np.nan, 0.25, 0.2, 0.3, 0.2, np.nan, 0.25],
                         "centre": 0.25, "lcl": 0.0, "ucl": 0.6, "median": 0.25, "signal": False,
                         "p_suppressed": [False, True, False, False, False, False, True, False]})
    ax = plots.spc_chart(data, lang="fi")
    ax.figure.canvas.draw()
    # No point is drawn at 0 for a hidden quarter (it would read as "no dropout").
    for coll in ax.collections:
        offsets = np.asarray(coll.get_offsets())
        assert not (offsets.size and np.any(offsets[:, 1] == 0))
    ticks = [t.get_text() for t in ax.get_xticklabels()]
    assert ticks[0] == "I/2016" and all("/20" in t for t in ticks)  # Finnish quarters
    assert all(t.endswith("\u00a0%") for t in (x.get_text() for x in ax.get_yticklabels()) if t)
    # The legend sits under the axes, so it covers no limit or point.
    legend = (ax.get_legend() or ax.figure.legends[0]).get_window_extent()
    assert legend.y1 <= ax.get_window_extent().y0
    plt.close(ax.figure)


def test_truth_chart_legend_is_outside_the_data():
    data = pd.DataFrame({"name": ["3X10D", "EQ VAS"], "estimate": [0.35, 0.28],
                         "ci_low": [0.24, 0.09], "ci_high": [0.46, 0.48], "mu_true": [0.3, 0.2]})
    ax = plots.truth_chart(data, lang="fi")
    ax.figure.canvas.draw()
    assert ax.get_legend().get_window_extent().y1 <= ax.get_window_extent().y0
    assert all("." not in t.get_text() for t in ax.get_xticklabels())
    plt.close(ax.figure)


# --- Figures agree with their published tables ------------------------------------------------


def _published_csv(table, tmp_path, name):
    """Write a protected table as the page would (Report.table) and read it back as a reader."""
    from soskulib import audit, page

    rep = page.Report("en", tables_dir=tmp_path, display=False)
    rep.table(table, name, "caption")
    return audit.read_csv_text((tmp_path / f"{name}.csv").read_text(encoding="utf-8"))


def test_fidelity_bars_draw_exactly_the_published_table(episodes, tmp_path):
    from soskulib import audit, disclosure

    by_gender = episodes.assign(n_elements=episodes["n_elements"].astype(int))
    table = disclosure.crosstab(by_gender, "municipality", "n_elements", fixed_totals="column")
    assert table.suppressed.to_numpy().any()  # the fixture has small cells
    ax = plots.fidelity_bars(table, by="municipality", lang="en")
    drawn = ax.figure.sosku_plotted
    published = _published_csv(table, tmp_path, "fidelity_elements").set_index("municipality")
    categories = [c for c in published.columns if c != "total"]
    for group, row in published.iterrows():
        if group == "total":
            continue
        total = audit.number(row["total"])
        segments = {cat: share for g, cat, share in drawn if g == group}
        for cat in categories:
            value = audit.number(row[cat])
            if audit.is_hidden(row[cat]):
                assert int(cat) not in segments  # never drawn when the table hides it
            elif value:
                assert segments[int(cat)] == pytest.approx(value / total)  # always when shown
        hidden = [c for c in categories if audit.is_hidden(row[c])]
        if hidden:
            shown = sum(audit.number(row[c]) or 0 for c in categories if c not in hidden)
            assert segments[None] == pytest.approx(1 - shown / total)
    # The hatched segment sits where the first hidden category would: the visible categories
    # keep their order along each bar.
    for group in {g for g, _, _ in drawn}:
        order = [cat for g, cat, _ in drawn if g == group and cat is not None]
        assert order == sorted(order)


def test_dose_figure_shows_the_groups_its_table_shows(episodes):
    from soskulib import disclosure

    dose = process.dose(episodes, by="gender", measures=process.DOSE_MEASURES[:4])
    hidden = disclosure.mask_column("n")
    # Hide a group the way complementary suppression would, although it has 5 or more.
    big = dose.loc[dose["measure"] == "hours"].sort_values("n").iloc[-1]["gender"]
    forced = dose.copy()
    forced.loc[forced["gender"] == big, ["n", hidden]] = [np.nan, True]
    ax = plots.dose_distribution(episodes, "hours", by="gender", published=forced, lang="en")
    shown = [t.get_text() for t in ax.get_yticklabels()]
    for row in forced.loc[forced["measure"] == "hours"].itertuples():
        label = {"male": "male", "female": "female", "other": "other / unknown"}[row.gender]
        drawn = any(t.startswith(f"{label} (") for t in shown)
        assert drawn == (not getattr(row, hidden)), row.gender
        if drawn:
            assert f"{label} (n = {int(row.n)})" in shown


@pytest.mark.parametrize(("lang", "entry"), [("fi", "– = ei arvioitu"), ("en", "– = not rated")])
def test_quality_heatmap_says_what_a_blank_cell_means(tables, lang, entry):
    """A criterion a municipality did not rate (Laukaa's in the demo) is marked and explained,
    not left as an unexplained blank."""
    prof = process.quality_profile(tables["quality"], lang=lang)
    latest = prof["year"].max()
    first = prof.loc[prof["year"] == latest].index[0]
    ax = plots.quality_heatmap(prof.drop(index=first), lang=lang)
    legends = [t.get_text() for a in ax.figure.axes if a.get_legend() for t in a.get_legend().get_texts()]
    assert legends == [entry]
    assert [t.get_text() for t in ax.texts if t.get_text() == "–"] == ["–"]
    plt.close(ax.figure)
    ax = plots.quality_heatmap(prof, lang=lang)  # every criterion rated: no such entry
    assert not [a for a in ax.figure.axes if a.get_legend()]


def test_quality_heatmap_of_one_municipality_keeps_the_criterion_it_did_not_rate(tables):
    prof = process.quality_profile(tables["quality"], lang="fi")
    one = prof.loc[(prof["municipality"] == prof["municipality"].iloc[0])]
    one = one.loc[one["criterion"] != 3]
    ax = plots.quality_heatmap(one, rows="year", lang="fi")
    columns = [t.get_text() for t in ax.get_xticklabels()]
    assert len(columns) == 10 and columns[2].startswith("3. ")
    assert "–" in [t.get_text() for t in ax.texts]


@pytest.mark.parametrize("lang", ["fi", "en"])
def test_gender_figures_show_women_first_top_to_bottom_and_in_legends(episodes, lang):
    """The figures list women before men as the tables beside them do (top row, top box,
    first legend entry), whatever order the data come in."""
    from soskulib import disclosure

    women, men = (schema.label("gender", c, lang) for c in ("female", "male"))
    rows = episodes.assign(n_elements=episodes["n_elements"].astype(int))
    rows = rows.loc[rows["gender"].isin(["male", "female"])].sort_values("gender", ascending=False)

    def top_to_bottom(ax):
        ticks = sorted(ax.get_yticklabels(), key=lambda t: -ax.transData.transform(t.get_position())[1])
        return [t.get_text().split(" (")[0] for t in ticks]

    table = disclosure.crosstab(rows, "gender", "n_elements", min_cell=1)
    assert top_to_bottom(plots.fidelity_bars(table, by="gender", lang=lang))[:2] == [women, men]
    assert top_to_bottom(plots.dose_distribution(rows, "hours", by="gender", lang=lang))[:2] == [women, men]
    effects = pd.DataFrame({"name": ["ESIS", "ESIS"], "gender": ["male", "female"],
                            "effect": [0.3, 0.2], "effect_ci_low": [0.1, 0.0], "effect_ci_high": [0.5, 0.4]})
    ax = plots.effect_chart(effects, group="gender", lang=lang)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [women, men]


def test_reach_intro_promises_no_median_line_the_entries_chart_does_not_draw(episodes):
    """The reach section's intro spoke of a run chart's median line above a bar chart."""
    from soskulib import labels

    ax = plots.entries_chart(process.entries(episodes), lang="fi")
    flat = [line for line in ax.lines if len(set(np.asarray(line.get_ydata(), float))) == 1]
    assert not flat  # bars only: no median (or any other horizontal) line
    assert "mediaani" not in labels.text("mu.reach.intro", "fi")
    assert "median" not in labels.text("mu.reach.intro", "en")


@pytest.mark.parametrize("lang", ["fi", "en"])
def test_horizontal_bar_figures_list_groups_top_to_bottom_as_their_tables_do(tables, episodes, lang):
    """The traffic-light profile's life areas and the fidelity bars' groups read from the top
    in the order of the table beside them (a shared helper once turned one of them upside down)."""
    from soskulib import disclosure, instruments

    def top_to_bottom(ax):
        ticks = sorted(ax.get_yticklabels(), key=lambda t: -ax.transData.transform(t.get_position())[1])
        return [t.get_text() for t in ticks]

    spec = instruments.get("3x10d")
    ax = plots.traffic_light_profile(tables["responses_3x10d"], lang=lang)
    assert top_to_bottom(ax) == [spec.label(i, lang) for i in spec.items]
    table = disclosure.crosstab(episodes.assign(n_elements=episodes["n_elements"].astype(int)),
                                "municipality", "n_elements", fixed_totals="column")
    ax = plots.fidelity_bars(table, by="municipality", lang=lang)
    shown = top_to_bottom(ax)
    expected = [plots._group_label("municipality", g, lang) for g in table.counts.index if g != "total"]
    assert shown == [e for e in expected if e in shown] and len(shown) >= 2
