"""The disclosure attack (`soskulib.audit`, `sosku audit`) on hand-made published sites.

Each site is written as a reader gets it (index, pages, CSV downloads) with a known
recoverable cell: within one table, across two tables, through the index headline, and
through a mean × n; and the same tables made safe give no finding.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from soskulib import audit, cli

PAGE = "municipalities/410_laukaa.html"


def write_site(root: Path, tables: dict[str, str], headline: str | None = None,
               index_headline: str | None = None) -> Path:
    """A minimal built site: index + Laukaa's page with the given CSV downloads."""
    (root / "municipalities" / "410_laukaa_tables").mkdir(parents=True)
    row = (f'<tr><td><a href="municipalities/410_laukaa.html">Laukaa</a> '
           f'<span class="sosku-code">(410)</span></td><td>{index_headline or "–"}</td></tr>')
    (root / "index.html").write_text(f'<html lang="fi"><body><table>{row}</table></body></html>',
                                     encoding="utf-8")
    body = f'<p class="sosku-headline">{headline}</p>' if headline else ""
    (root / PAGE).write_text(f'<html lang="fi"><body>{body}</body></html>', encoding="utf-8")
    for name, text in tables.items():
        (root / "municipalities" / "410_laukaa_tables" / f"{name}.csv").write_text(
            text, encoding="utf-8")
    return root


AGE_LEAKY = """ikäryhmä,mies,nainen,muu / ei tiedossa,yhteensä
18–29,10,7,..,..
30–49,9,..,..,14
50–64,5,..,..,8
yhteensä,24,15,..,..
"""

TARGET = """kohderyhmä,mies,nainen,muu / ei tiedossa,yhteensä
aikuissosiaalityön asiakas,12,11,..,..
pitkäaikaistyötön,12,12,..,..
yhteensä,24,23,..,..
"""


def cells(findings):
    return {(f.table, f.cell) for f in findings}


def test_within_one_table(tmp_path):
    findings = audit.audit_site(write_site(tmp_path, {"clients_by_age_group": AGE_LEAKY}))
    assert ("clients_by_age_group", "50–64 / nainen") in cells(findings)
    message = next(f for f in findings if f.cell == "50–64 / nainen").message
    assert "[3, 3]" in message
    assert all(f.page == PAGE for f in findings)


def test_across_two_tables(tmp_path):
    # The target-group table alone hides other/unknown and the grand total ...
    alone = audit.audit_site(write_site(tmp_path / "a", {"clients_by_target_group": TARGET}))
    assert not [f for f in alone if "muu" in f.cell]
    # ... but the reach table publishes the total: 48 − 24 − 23 = 1 of other/unknown.
    reach = "asiakkuuksia,suunniteltu,suunnitelmasta (%)\n48,50,96\n"
    both = audit.audit_site(write_site(tmp_path / "b", {"clients_by_target_group": TARGET,
                                                        "reach": reach}))
    assert ("clients_by_target_group", "yhteensä / muu / ei tiedossa") in cells(both)


def test_through_the_index_headline(tmp_path):
    alone = audit.audit_site(write_site(tmp_path / "a", {"clients_by_target_group": TARGET}))
    site = write_site(tmp_path / "b", {"clients_by_target_group": TARGET},
                      index_headline="Laukaa: 48 asiakasta (96 % suunnitellusta)")
    found = audit.audit_site(site)
    assert len(found) > len(alone)
    assert ("clients_by_target_group", "yhteensä / muu / ei tiedossa") in cells(found)
    # The page's own headline is read the same way.
    site = write_site(tmp_path / "c", {"clients_by_target_group": TARGET},
                      headline="Laukaa: 48 asiakasta (96 % suunnitellusta)")
    assert ("clients_by_target_group", "yhteensä / muu / ei tiedossa") in cells(audit.audit_site(site))


OUTCOMES = """mittari,alkuarvioituja,n,ka alussa,ka lopussa,"muutos, ka"
ESIS,40,30,60.0,64.0,4.0
"""
BY_GENDER = """mittari,sukupuoli,alkuarvioituja,n,ka alussa,ka lopussa,"muutos, ka"
ESIS,nainen,20,15,58.0,63.0,5.0
ESIS,mies,..,..,..,..,..
ESIS,muu / ei tiedossa,..,..,..,..,..
"""


def test_through_mean_times_n(tmp_path):
    # Men's statistics are hidden as a complement of the small other/unknown group, but the
    # men's n is shown: n of other/unknown = 30 − 15 − 12 = 3.
    men_n = BY_GENDER.replace("ESIS,mies,..,..,..,..,..", "ESIS,mies,..,12,..,..,..")
    site = write_site(tmp_path, {"outcomes": OUTCOMES, "outcomes_by_gender": men_n})
    found = audit.audit_site(site)
    # With men's means hidden, two sums are unknown: the small group's mean is safe ...
    assert not [f for f in found if "mean" in f.message]
    # ... but with men's mean published, the 3 people's mean is 30·64 − 15·63 − 12·m.
    shown = men_n.replace("ESIS,mies,..,12,..,..,..", "ESIS,mies,..,12,61.0,65.0,4.0")
    found = audit.audit_site(write_site(tmp_path / "b", {"outcomes": OUTCOMES,
                                                         "outcomes_by_gender": shown}))
    means = [f for f in found if "mean of a group of 3 people" in f.message]
    assert all(f.cell.startswith("ESIS / muu / ei tiedossa / ") for f in means)
    assert {f.cell.rsplit(" / ", 1)[1] for f in means} == {"ka alussa", "ka lopussa", "muutos, ka"}


def test_small_visible_count_is_a_finding(tmp_path):
    table = "mittari,kunta,mittauskerta,vastauksia\nESIS,Laukaa,seuranta,4\n"
    (tmp_path / "data_quality_tables").mkdir()
    site = write_site(tmp_path, {})
    (site / "data_quality.html").write_text('<html lang="fi"></html>', encoding="utf-8")
    (site / "data_quality_tables" / "completeness.csv").write_text(table, encoding="utf-8")
    found = audit.audit_site(site)
    assert [str(f) for f in found] == [
        "data_quality.html:completeness:ESIS / Laukaa / seuranta / vastauksia: "
        "a count of 4 people is shown"]


SAFE = """ikäryhmä,mies,nainen,yhteensä
18–29,10,7,17
30–49,9,..,..
50–64,..,6,..
65+,..,..,12
yhteensä,30,20,50
"""


def test_safe_tables_give_no_finding(tmp_path):
    reach = "asiakkuuksia,suunniteltu,suunnitelmasta (%)\n50,50,100\n"
    site = write_site(tmp_path, {"clients_by_age_group": SAFE, "reach": reach},
                      index_headline="Laukaa: 50 asiakasta (100 % suunnitellusta)")
    assert audit.audit_site(site) == []


def test_excel_variant_is_read_like_the_machine_readable_one(tmp_path):
    excel = "\ufeff" + AGE_LEAKY.replace(",", ";")
    found = audit.audit_site(write_site(tmp_path, {"clients_by_age_group": excel}))
    assert ("clients_by_age_group", "50–64 / nainen") in cells(found)
    assert audit.read_csv_text("a;b\n1 234,5;..\n").attrs["decimal_comma"]
    assert audit.number("1 234,5", decimal_comma=True) == 1234.5


def test_command_exit_codes(tmp_path, capsys):
    leaky = write_site(tmp_path / "leaky", {"clients_by_age_group": AGE_LEAKY})
    assert cli.main(["audit", str(leaky)]) == 1
    out = capsys.readouterr()
    lines = out.out.strip().splitlines()
    assert lines and all(line.startswith(f"{PAGE}:clients_by_age_group:") for line in lines)
    assert "do not publish" in out.err
    safe = write_site(tmp_path / "safe", {"clients_by_age_group": SAFE})
    assert cli.main(["audit", str(safe)]) == 0
    assert cli.main(["audit", str(tmp_path / "nothing")]) == 2
    assert cli.main(["audit", str(safe), "--min-cell", "1"]) == 2


def test_contradicting_links_are_reported_not_hidden(tmp_path):
    reach = "asiakkuuksia,suunniteltu,suunnitelmasta (%)\n99,50,100\n"
    found = audit.audit_site(write_site(tmp_path, {"clients_by_age_group": AGE_LEAKY.replace(
        "yhteensä,24,15,..,..", "yhteensä,24,15,..,40"), "reach": reach}))
    assert any("contradict" in f.message for f in found)


def test_attack_on_a_frame():
    frame = pd.DataFrame({"g": ["a", "b", "yhteensä"], "x": ["..", "..", "9"],
                          "y": ["..", "..", "9"], "yhteensä": ["8", "10", "18"]})
    attack = audit.Attack()
    attack.add_crosstab("p", "t", "s", "clients", frame)
    assert attack.findings() == []
    with pytest.raises(FileNotFoundError):
        audit.audit_site("/nonexistent")


def test_docstring_examples():
    import doctest

    result = doctest.testmod(audit, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0


def _published(ct) -> pd.DataFrame:
    """A cross-tabulation as its CSV download reads: labels and texts, ``..`` where hidden."""
    shown = ct.display()
    shown = shown.rename(index={"total": "yhteensä"}, columns={"total": "yhteensä"})
    frame = shown.reset_index()
    frame.columns = [str(c) for c in frame.columns]
    return frame.astype(str)


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(2, 6), st.integers(2, 4), st.integers(0, 100_000), st.booleans())
def test_random_crosstabs_protected_by_the_library_cannot_be_attacked(n_rows, n_cols, seed, kept):
    import numpy as np

    from soskulib import disclosure

    rng = np.random.default_rng(seed)
    table = np.where(rng.random((n_rows, n_cols)) < 0.4, rng.integers(0, 5, (n_rows, n_cols)),
                     rng.integers(5, 60, (n_rows, n_cols)))
    rows, cols = np.indices(table.shape)
    people = pd.DataFrame({
        "row": np.repeat([f"r{i}" for i in rows.ravel()], table.ravel()),
        "col": np.repeat([f"c{j}" for j in cols.ravel()], table.ravel()),
    })
    people["row"] = pd.Categorical(people["row"], categories=[f"r{i}" for i in range(n_rows)])
    people["col"] = pd.Categorical(people["col"], categories=[f"c{j}" for j in range(n_cols)])
    ct = disclosure.crosstab(people, "row", "col", keep_visible=["c0", "c1"] if kept else [],
                             fixed_totals="row" if kept else None)
    attack = audit.Attack()
    attack.add_crosstab("p.html", "t", "000", "clients", _published(ct))
    assert attack.findings() == []


END_REASONS = """päättymisen syy,n,päättyneitä,osuus (%),lv alaraja,lv yläraja
päättyi suunnitellusti,5,8,62.5,30.6,86.3
keskeytti,..,8,..,..,..
muutti pois,..,8,..,..,..
muu syy,..,8,..,..,..
"""
REACH_10 = "asiakkuuksia,suunniteltu,suunnitelmasta (%)\n10,16,62.5\n"


def test_ongoing_episodes_through_reach_minus_ended(tmp_path):
    # 10 episodes, 8 ended: the 2 still going on follow from two tables of the page.
    found = audit.audit_site(write_site(tmp_path / "a", {"end_reasons": END_REASONS,
                                                         "reach": REACH_10}))
    assert ("end_reasons", "päättyneitä / käynnissä") in cells(found)
    # With the ended total hidden (as process.exits hides it), only [5, 10] is known.
    hidden = END_REASONS.replace(",8,", ",..,").replace("62.5,30.6,86.3", "..,..,..")
    assert audit.audit_site(write_site(tmp_path / "b", {"end_reasons": hidden,
                                                        "reach": REACH_10})) == []


def test_national_pathways_bound_the_ended(tmp_path):
    # The national table of pathways counts Laukaa's ended episodes with a pathway (8 of
    # 10): at least 8 ended, so at most 2 ongoing, although the page hides its ended total.
    hidden = END_REASONS.replace(",8,", ",..,").replace("62.5,30.6,86.3", "..,..,..")
    site = write_site(tmp_path, {"end_reasons": hidden, "reach": REACH_10})
    folder = site / "national_synthesis_tables"
    folder.mkdir()
    (site / "national_synthesis.html").write_text('<html lang="fi"></html>', encoding="utf-8")
    (folder / "pathways_by_municipality.csv").write_text(
        "kunta,työ,koulutus,yhteensä\nLaukaa,..,..,8\nVantaa,20,30,50\nyhteensä,..,..,58\n",
        encoding="utf-8")
    assert ("end_reasons", "päättyneitä / käynnissä") in cells(audit.audit_site(site))


def test_reconciliation_gives_the_people_left_out(tmp_path):
    site = write_site(tmp_path, {"reach": REACH_10})
    (site / "data_quality_tables").mkdir()
    (site / "data_quality.html").write_text('<html lang="fi"></html>', encoding="utf-8")
    recon = "taulu,rivejä saapui,rivejä käsitelty,rivejä hylätty,täsmää\nasiakkaat,{n},{n},0,kyllä\n"
    table = site / "data_quality_tables" / "reconciliation.csv"
    cell = ("reconciliation", "asiakkaat / rivejä käsitelty − Σ municipalities")
    table.write_text(recon.format(n=12), encoding="utf-8")  # 12 rows, 10 people published
    assert cell in cells(audit.audit_site(site))  # at most 2 people left out
    # Counting the publication population (data_quality.reconciliation(left_out=...)):
    table.write_text(recon.format(n=10), encoding="utf-8")
    assert cell not in cells(audit.audit_site(site))


# --- Figures against their tables ------------------------------------------------------------


def _entries_table():
    from soskulib import disclosure

    return disclosure.suppress_table(
        pd.DataFrame({"quarter": ["2017Q1", "2017Q2", "2017Q3", "2017Q4"], "n_entries": [12.0, 3.0, 9.0, 6.0]}),
        "n_entries", along="quarter")


def test_a_figure_drawn_from_its_protected_table_agrees():
    import matplotlib

    matplotlib.use("Agg")
    from soskulib import plots

    table = _entries_table()
    assert table["n_entries_suppressed"].sum() == 2  # the 3 and a complement
    ax = plots.entries_chart(table, lang="en")
    assert audit.figure_findings(ax.figure, audit.FigureCheck(table, "n_entries")) == []
    drawn = audit.drawn_values(ax.figure, "bars")
    assert drawn.hidden == 2 and sorted(drawn.values) == sorted(
        table.loc[~table["n_entries_suppressed"], "n_entries"])


def test_a_figure_that_draws_a_hidden_value_or_leaves_a_shown_one_out_is_found():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    table = _entries_table()
    raw = [12.0, 3.0, 9.0, 6.0]
    fig, ax = plt.subplots()
    ax.bar(range(4), raw)  # the figure drawn from the unprotected counts
    found = audit.figure_findings(fig, audit.FigureCheck(table, "n_entries"))
    assert any("draws 3" in f for f in found)
    assert "the table hides values but the figure marks none" in found
    fig, ax = plt.subplots()
    ax.bar([0], [12.0])  # a shown value left out (and nothing marked hidden)
    ax.bar([1, 2], [5.0, 5.0], hatch="//")
    found = audit.figure_findings(fig, audit.FigureCheck(table, "n_entries"))
    shown = table.loc[~table["n_entries_suppressed"], "n_entries"]
    missing = [v for v in shown if v != 12.0]
    assert found == [f"does not draw {v:g} which the table shows" for v in missing]
    plt.close("all")


def test_heatmap_and_point_figures_are_read_from_their_artists():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import seaborn as sns

    fig, ax = plt.subplots()
    grid = pd.DataFrame([[0.5, None], [0.25, 0.75]])
    sns.heatmap(grid, ax=ax)
    ax.text(1.5, 0.5, "..")
    drawn = audit.drawn_values(fig, "cells")  # the colour bar is not data
    assert sorted(drawn.values) == [0.25, 0.5, 0.75] and drawn.hidden == 1
    fig, ax = plt.subplots()
    ax.errorbar([0.3, 0.6], [0, 1], xerr=[[0.1, 0.1], [0.2, 0.2]], fmt="o", capsize=3)
    assert audit.drawn_values(fig, "points_x").values == (0.3, 0.6)  # not the interval ends
    ax.set_title("ESIS\nn = 14")
    assert audit.drawn_values(fig, "labels").values == (14.0,)
    plt.close("all")


def test_report_refuses_a_figure_that_disagrees_with_its_published_table(tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from soskulib import page, plots

    rep = page.Report("en", tables_dir=tmp_path, display=False)
    table = _entries_table()
    rep.table(table, "entries", "New episodes", columns=["quarter", "n_entries"])
    rep.plot(plots.entries_chart, table, lang="en", caption="ok",
             check=audit.FigureCheck("entries", "n_entries"))
    fig, ax = plt.subplots()
    ax.bar(range(4), [12.0, 3.0, 9.0, 6.0])
    with pytest.raises(ValueError, match="disagrees with its table"):
        rep.figure(fig, "leaky", check=audit.FigureCheck("entries", "n_entries"))
    with pytest.raises(KeyError, match="not published"):
        rep.figure(plt.subplots()[0], "x", check=audit.FigureCheck("nowhere", "n"))


def test_forest_plot_rows_are_read_back_against_the_protected_municipality_table():
    """A forest plot draws each municipality's SMCR as a square and its n as text: read back
    (``markers_x``, ``numbers``) they match :func:`synthesis.forest_source`; a municipality
    whose n the table hides (here 4 pairs) is found when drawn."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from soskulib import meta, meta_plots, synthesis

    effects = pd.DataFrame({"instrument": ["esis"] * 3, "municipality": ["092", "179", "410"],
                            "n": [40, 12, 4], "yi": [0.52, 0.31, 0.9], "vi": [0.03, 0.09, 0.3]})
    drawn = synthesis.forest_source(effects)
    assert drawn["yi_suppressed"].tolist() == [False, False, True, False]
    checks = [audit.FigureCheck(drawn, "yi", kind="markers_x", where={"instrument": "esis"}),
              audit.FigureCheck(drawn, "n", kind="numbers", where={"instrument": "esis"})]
    kept = effects.iloc[:2]
    res = meta.meta_analysis(kept["yi"], kept["vi"], labels=["Vantaa", "Jyväskylä"], n=kept["n"])
    fig = meta_plots.forest_plot(res, lang="fi")
    assert audit.drawn_values(fig, "numbers").values == (40.0, 12.0, 52.0)
    assert sorted(audit.drawn_values(fig, "markers_x").values) == [0.31, 0.52]
    # the pooled row sums all three; the published pooled n then differs from what is drawn
    assert audit.figure_findings(fig, checks[0]) == []
    assert audit.figure_findings(fig, checks[1]) == ["draws 52 which the table does not show",
                                                     "does not draw 56 which the table shows"]
    res_all = meta.meta_analysis(effects["yi"], effects["vi"], labels=["V", "J", "L"], n=effects["n"])
    leaky = meta_plots.forest_plot(res_all, lang="fi")
    assert "draws 0.9 which the table does not show" in audit.figure_findings(leaky, checks[0])
    assert "draws 4 which the table does not show" in audit.figure_findings(leaky, checks[1])
    plt.close("all")


def test_codevelopment_timeline_draws_only_the_protected_shares():
    """The timeline's lived-experience line is read back against
    :func:`process.codevelopment_shares`: a quarter with 1–4 people of lived experience has no
    point; a timeline drawing every share is found."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from soskulib import plots, process

    events = pd.DataFrame({"quarter": ["2017Q1", "2017Q2", "2017Q3"], "activity_type": ["workshop"] * 3,
                           "n_events": [2, 1, 3], "n_participants": [16, 10, 20], "n_clients": [6, 2, 0],
                           "n_experts_by_experience": [1, 0, 0]})
    shares = process.codevelopment_shares(events)
    assert shares["share_suppressed"].tolist() == [False, True, False]
    ax = plots.codevelopment_timeline(events, lang="fi")
    check = audit.FigureCheck(shares, "share", kind="points_y")
    assert audit.figure_findings(ax.figure, check) == []
    fig, ax2 = plt.subplots()
    ax2.plot([0, 1, 2], [7 / 16, 0.2, 0.0], marker="o")  # the 2 of 10 drawn
    assert audit.figure_findings(fig, check) == ["draws 0.2 which the table does not show"]
    plt.close("all")


def test_a_figure_with_two_checks_is_refused_when_either_disagrees(tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from soskulib import page

    rep = page.Report("en", tables_dir=tmp_path, display=False)
    table = pd.DataFrame({"x": [0.5, 0.25], "n": [12.0, 9.0]})
    fig, ax = plt.subplots()
    ax.scatter([0.5, 0.25], [1, 2])
    ax.text(0.1, 1, "12")
    ax.text(0.1, 2, "7")  # a count the table does not have
    checks = [audit.FigureCheck(table, "x", kind="markers_x"), audit.FigureCheck(table, "n", kind="numbers")]
    with pytest.raises(ValueError, match="draws 7"):
        rep.figure(fig, "two", check=checks)
    fig, ax = plt.subplots()
    ax.scatter([0.5, 0.25], [1, 2])
    ax.text(0.1, 1, "12")
    ax.text(0.1, 2, "9")
    rep.figure(fig, "two", check=checks)  # both agree: no error


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(2, 4), st.integers(2, 4), st.integers(0, 10_000))
def test_the_attacks_shortcuts_find_what_every_interval_finds(rows, cols, seed):
    """``findings`` decides wide counts by shared LPs; the full intervals say the same."""
    import numpy as np

    rng = np.random.default_rng(seed)
    inner = rng.choice([0, 1, 2, 3, 4, 6, 9, 15, 40], size=(rows, cols))
    table = np.zeros((rows + 1, cols + 1), dtype=int)
    table[:rows, :cols] = inner
    table[rows, :cols], table[:rows, cols], table[rows, cols] = inner.sum(0), inner.sum(1), inner.sum()
    shown = np.where(rng.random(table.shape) < 0.45, "..", table.astype(str))
    frame = pd.DataFrame(shown, columns=[f"c{j}" for j in range(cols)] + ["total"])
    frame.insert(0, "row", [f"r{i}" for i in range(rows)] + ["total"])
    attack = audit.Attack()
    attack.add_crosstab("p.html", "t", "national", "clients", frame)
    expected = set()
    for v, (lo, hi) in attack.intervals().items():
        if lo < 5 and hi - lo < 3 and not (lo == hi == 0):
            where = next(a for a in attack._seen[v] if a.value is None)
            expected.add((where.page, where.table, where.cell))
    found = {(f.page, f.table, f.cell) for f in attack.findings()
             if "recoverable" in f.message}
    assert found == expected


# --- A set minus a visible subset -------------------------------------------------------------

OUTCOMES_SUBSET = """mittari,alkuarvioituja,n,ka alussa,ka lopussa,"muutos, ka"
ESIS,{pre},30,60.0,64.0,4.0
"""


def test_baseline_minus_complete_pairs_is_a_group_of_people(tmp_path):
    """Starters with a baseline (n_pre) minus complete pairs (n) are the non-completers: 33 − 30
    = 3 people is found; 40 − 30 = 10 is not; a hidden n_pre leaves [0, ∞)."""
    cell = ("outcomes", "ESIS / n_pre − n")
    small = audit.audit_site(write_site(tmp_path / "a", {"outcomes": OUTCOMES_SUBSET.format(pre=33)}))
    assert cell in cells(small)
    assert "a difference of two published counts is 3 people" in {f.message for f in small}
    assert audit.audit_site(write_site(tmp_path / "b", {"outcomes": OUTCOMES_SUBSET.format(pre=40)})) == []
    assert audit.audit_site(write_site(tmp_path / "c", {"outcomes": OUTCOMES_SUBSET.format(pre="..")})) == []


def test_a_hidden_count_between_two_visible_ones_of_a_chain_is_found(tmp_path):
    """Placements: placed 6, status recorded hidden, status known 5: recorded is 5 or 6, so
    the placed without a recorded status are 0 or 1 (a difference narrowed, not a cell)."""
    table = ("jatkopolku,seuranta,sijoittuneita,tila kirjattu,tila tiedossa,jatkui,jatkui (%)\n"
             "työkokeilu,3 kk,6,{due},{known},..,..\n")
    found = audit.audit_site(write_site(tmp_path / "a", {"placements": table.format(due="..", known=5)}))
    assert ("placements", "työkokeilu / 3 kk / sijoittuneita − tila kirjattu") in cells(found)
    # hidden from the first step on (disclosure.suppress_table(nested=...)): nothing narrowed
    assert audit.audit_site(write_site(tmp_path / "b", {"placements": table.format(due="..", known="..")})) == []


def test_clients_with_a_method_minus_all_clients(tmp_path):
    mix = "menetelmä,käyntejä,asiakkaat,käynneistä (%)\nluontolähtöinen,120,{n},60\ndigitaalinen,80,30,40\n"
    site = write_site(tmp_path / "a", {"method_mix": mix.format(n=46), "reach": REACH_48})
    assert ("method_mix", "luontolähtöinen / clients − asiakkaat") in cells(audit.audit_site(site))
    site = write_site(tmp_path / "b", {"method_mix": mix.format(n=".."), "reach": REACH_48})
    assert audit.audit_site(site) == []


REACH_48 = "asiakkuuksia,suunniteltu,suunnitelmasta (%)\n48,50,96\n"


def test_every_table_the_notebooks_publish_has_a_model():
    """Each table a notebook publishes (``rep.table(..., "name", rep.t(...))``) is described in
    :data:`audit.TABLE_MODELS`, so the attack links it to the rest of the site (a table of
    no people is declared as such there, not left to the generic rules)."""
    import json
    import re

    root = Path(__file__).resolve().parents[1] / "notebooks"
    names: set[str] = set()
    for path in sorted(root.glob("*.ipynb")):
        cells_ = json.loads(path.read_text(encoding="utf-8"))["cells"]
        source = "\n".join("".join(c["source"]) for c in cells_ if c["cell_type"] == "code")
        calls = source.count("rep.table(")
        literal = re.findall(r'"([a-z][a-z0-9_]+)",\s*rep\.t\(', source)
        formatted = re.findall(r'f"([a-z][a-z0-9_]*)\{', source)
        assert len(literal) + len(formatted) == calls, path.name  # every call's name was read
        names |= set(literal)
    assert len(names) > 50
    assert sorted(n for n in names if n not in audit.TABLE_MODELS) == []
    for prefix in ("items_", "subgroup_"):  # the names a notebook formats
        assert any(n.startswith(prefix) for n in audit.TABLE_MODELS)


def test_the_independent_attack_finds_what_it_should(tmp_path):
    """tests/independent_attack.py (the cross-check of `sosku audit` on built sites) on
    hand-made tables: a line with one hidden cell, starters − pairs, a method's complement."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("independent_attack",
                                                  Path(__file__).with_name("independent_attack.py"))
    attack = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(attack)
    folder = tmp_path / "410_laukaa_tables"
    folder.mkdir()
    (folder / "clients_by_age_group.csv").write_text(  # women 30–49 = 15 − 7 − 5 = 3
        "ikäryhmä,mies,nainen,yhteensä\n18–29,10,7,17\n30–49,9,..,..\n50–64,5,5,10\n"
        "yhteensä,24,15,39\n", encoding="utf-8")
    (folder / "outcomes.csv").write_text(OUTCOMES_SUBSET.format(pre=33), encoding="utf-8")
    (folder / "reach.csv").write_text(REACH_48, encoding="utf-8")
    (folder / "method_mix.csv").write_text(
        "menetelmä,käyntejä,asiakkaat,käynneistä (%)\nluontolähtöinen,120,45,60\n", encoding="utf-8")
    found = attack.attack_page(folder)
    assert any("clients_by_age_group" in f and "(line sum)" in f for f in found)
    assert any("starters − pairs = 3" in f for f in found)
    assert any("method_mix" in f and "= 3" in f for f in found)
    (folder / "outcomes.csv").write_text(OUTCOMES_SUBSET.format(pre=40), encoding="utf-8")
    (folder / "clients_by_age_group.csv").unlink()
    (folder / "method_mix.csv").unlink()
    assert attack.attack_page(folder) == []


def _data_quality_site(root: Path, tables: dict[str, str]) -> Path:
    site = write_site(root, {})
    (site / "data_quality_tables").mkdir()
    (site / "data_quality.html").write_text('<html lang="fi"></html>', encoding="utf-8")
    for name, text in tables.items():
        (site / "data_quality_tables" / f"{name}.csv").write_text(text, encoding="utf-8")
    return site


COMPLETENESS = ("mittari,kunta,mittauskerta,vastauksia,vastattuja osioita (%),pisteytettävissä (%)\n"
                "ESIS,Laukaa,loppuarviointi,12,96.7,{share}\n")
ATTRITION = ("mittari,kunta,alkuarvioituja,myös loppuarvioituja,loppuarvioitu (%)\n"
             "ESIS,Laukaa,27,{pairs},..\n")


def test_completeness_unscorable_forms_are_a_group(tmp_path):
    """Scorable share × responses gives the unscorable forms (12 × 83.3 % = 10: 2 left)."""
    leaky = _data_quality_site(tmp_path / "a", {"completeness": COMPLETENESS.format(share=83.33333333333334)})
    assert [f.cell for f in audit.audit_site(leaky)] == [
        "ESIS / Laukaa / loppuarviointi / vastauksia − scorable"]
    safe = _data_quality_site(tmp_path / "b", {"completeness": COMPLETENESS.format(share="..")})
    assert audit.audit_site(safe) == []


def test_completeness_responses_less_the_pairs_are_a_group(tmp_path):
    """Every end response scorable, and the complete pairs published on the attrition table:
    12 − 9 = 3 people with an end assessment but no complete pair."""
    tables = {"completeness": COMPLETENESS.format(share=100.0), "measurement_attrition": ATTRITION.format(pairs=9)}
    found = audit.audit_site(_data_quality_site(tmp_path / "a", tables))
    assert "ESIS / Laukaa / loppuarviointi / scorable − pairs" in {f.cell for f in found}
    tables["measurement_attrition"] = ATTRITION.format(pairs=6)
    assert audit.audit_site(_data_quality_site(tmp_path / "b", tables)) == []


def test_completeness_baseline_responses_less_the_starters_are_a_group(tmp_path):
    """At baseline the scorable responses are the starters of the attrition table, so the
    responses give the unscorable forms even with the share hidden (29 − 27 = 2)."""
    base = COMPLETENESS.replace("loppuarviointi,12", "alkuarviointi,29").format(share="..")
    tables = {"completeness": base, "measurement_attrition": ATTRITION.format(pairs=9)}
    found = audit.audit_site(_data_quality_site(tmp_path, tables))
    assert any(f.cell.startswith("ESIS / Laukaa / alkuarviointi") for f in found), found


def test_a_site_built_into_a_subfolder_is_not_read_as_pages_of_this_one(tmp_path):
    """`sosku report --lang en --out reports/en` puts a second site inside the first: its
    English tables are not this site's (and were read with Finnish headers: a crash)."""
    site = write_site(tmp_path, {"clients_by_age_group": SAFE})
    write_site(site / "en", {"clients_by_age_group": AGE_LEAKY})
    assert audit.audit_site(site) == []
    assert audit.audit_site(site / "en")  # attacked on its own
