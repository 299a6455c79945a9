"""Development-work analyses: against R, on hand-made small exports, and on the demo."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from fixtures.rawexport import write_csv

from soskulib import development, labels, process, schema, validation
from soskulib import io as sio
from soskulib.errors import ConfigurationError

REF = Path(__file__).parent / "reference"


@pytest.fixture(scope="module")
def reference():
    return json.loads((REF / "development_reference.json").read_text(encoding="utf-8"))


# --- against R (tests/reference/development.R) ----------------------------------------------

def test_upc_matches_r(reference):
    contacts = pd.read_csv(REF / "development_contacts.csv", dtype=str)
    upc = development.upc_index(contacts).set_index("client_id")
    for client, value in reference["upc"].items():
        assert upc.loc[client, "upc"] == pytest.approx(value, rel=1e-12)
        assert upc.loc[client, "n_contacts"] == reference["n_contacts"][client]


def test_continuity_mean_and_t_ci_match_r(reference):
    contacts = pd.read_csv(REF / "development_contacts.csv", dtype=str)
    out = development.continuity(contacts, by="municipality", min_cell=1).set_index("municipality")
    for muni, ref in reference["by_municipality"].items():
        row = out.loc[muni]
        assert row["n_clients"] == ref["n"]
        for col, key in (("mean_upc", "mean"), ("ci_low", "ci_low"), ("ci_high", "ci_high"),
                         ("share_upc_75", "share75")):
            assert row[col] == pytest.approx(ref[key], rel=1e-9), (muni, col)


def test_reach_poisson_ci_matches_r(reference):
    codes = ["092", "410"]
    for code, ref in zip(codes, reference["reach"], strict=True):
        clients = pd.DataFrame({"municipality": [code] * int(ref["x"])})
        ctx = pd.DataFrame({"municipality": [code], "indicator": ["long_term_unemployed"],
                            "year": [2017], "value": [float(ref["need"])], "source": ["test"]})
        out = development.reach_against_need(clients, ctx, suppress=False)
        assert out["rate_per_1000"].iloc[0] == pytest.approx(ref["rate"], rel=1e-12)
        assert out["ci_low"].iloc[0] == pytest.approx(ref["ci_low"], rel=1e-9)
        assert out["ci_high"].iloc[0] == pytest.approx(ref["ci_high"], rel=1e-9)


def test_reach_hides_small_counts():
    clients = pd.DataFrame({"municipality": ["410"] * 3})
    ctx = pd.DataFrame({"municipality": ["410"], "indicator": ["long_term_unemployed"],
                        "year": [2017], "value": [380.0], "source": ["test"]})
    out = development.reach_against_need(clients, ctx)
    assert out["n_clients"].isna().all() and out["rate_per_1000"].isna().all()


def test_placement_wilson_ci_matches_r(reference):
    for ref in reference["wilson"]:
        held, known = int(ref["held"]), int(ref["known"])
        c = pd.DataFrame({"pathway": "work",
                          "placement_3m": ["held"] * held + ["ended"] * (known - held),
                          "placement_6m": None})
        out = development.placements(c, suppress=False)
        row = out[out["followup"] == "3m"].iloc[0]
        assert row["ci_low"] == pytest.approx(ref["ci_low"], rel=1e-9)
        assert row["ci_high"] == pytest.approx(ref["ci_high"], rel=1e-9)


# --- the run-chart test of experiments --------------------------------------------------------

def _series(values, muni="092", n=30):
    quarters = pd.period_range("2016Q1", periods=len(values), freq="Q").astype(str)
    return pd.DataFrame({"municipality": muni, "quarter": quarters, "value": values, "n": n})


def _experiment(start, muni="092", measure="dropout"):
    return pd.DataFrame({"municipality": [muni], "experiment_id": ["K"], "description": ["x"],
                         "start_date": pd.to_datetime([start]), "target_measure": [measure]})


def test_experiment_flags_a_shift_after_the_change_and_not_a_flat_series():
    rng = np.random.default_rng(4)
    moved = np.r_[0.35 + rng.normal(0, .03, 5), 0.15 + rng.normal(0, .03, 7)]
    flat = 0.25 + rng.normal(0, .03, 12)
    out = development.experiment_tests(_series(moved), _experiment("2017-04-20"))
    assert out["signal"].iloc[0] and "shift" in out["rules"].iloc[0]
    assert out["direction"].iloc[0] == "down"
    assert out["median_before"].iloc[0] == pytest.approx(np.median(moved[:5]))
    null = development.experiment_tests(_series(flat), _experiment("2017-04-20"))
    assert null["signal"].iloc[0] is False or not null["signal"].iloc[0]


def test_experiment_needs_enough_baseline_quarters():
    out = development.experiment_tests(_series([.3] * 12), _experiment("2016-07-01"))
    assert out["note"].iloc[0] == "too_few_quarters" and np.isnan(out["signal"].iloc[0])


def test_experiment_on_another_measure_is_not_tested_on_this_series():
    out = development.experiment_tests(_series([.3] * 12), _experiment("2017-04-01", measure="esis"))
    assert out.empty


def test_experiment_medians_hidden_when_quarters_are_small():
    out = development.experiment_tests(_series([.3] * 6 + [.1] * 6, n=3), _experiment("2017-04-20"))
    assert np.isnan(out["median_before"].iloc[0]) and out["signal"].iloc[0]


def test_outcome_chart_is_protected_and_draws_the_experiment():
    import matplotlib.pyplot as plt

    from soskulib import development_plots, disclosure

    rng = np.random.default_rng(5)
    sizes = [8, 9, 3, 10, 12, 7, 9, 11]  # the third quarter is small
    quarters = pd.period_range("2017Q1", periods=len(sizes), freq="Q")
    dates = np.concatenate([[q.start_time + pd.Timedelta(days=20)] * k
                            for q, k in zip(quarters, sizes, strict=True)])
    ch = pd.DataFrame({"municipality": "092", "instrument": "esis", "scale": "total",
                       "date": dates, "change": rng.normal(1, 1, sum(sizes))})
    chart = development.outcome_chart(ch, "esis")
    assert np.isnan(chart.loc[2, "n"]) and np.isnan(chart.loc[2, "value"])
    assert chart[disclosure.mask_column("n")].sum() >= 2  # a second quarter hides it
    visible = chart.dropna(subset=["n"])
    assert (visible["n"] >= 5).all()
    raw = development.outcome_series(ch, "esis").set_index("quarter")["value"]
    assert np.allclose(visible.set_index("quarter")["value"], raw.loc[visible["quarter"]])
    exp = _experiment("2018-01-01", measure="esis")
    tests = development.experiment_tests(development.outcome_series(ch, "esis"), exp,
                                         measure="esis")
    ax = development_plots.outcome_with_experiments(chart, exp, tests, name="ESIS", lang="en")
    assert ax.get_title() == "ESIS: mean change by quarter"
    legend = ax.get_legend() or ax.figure.legends[0]
    texts = [t.get_text() for t in legend.get_texts()]
    assert "experiment started" in texts and any("hidden" in t or "suppressed" in t for t in texts)
    # no point is drawn for a hidden quarter
    line = ax.get_lines()[0]
    assert np.isnan(np.asarray(line.get_ydata(), dtype=float)).sum() == chart["value"].isna().sum()
    plt.close("all")


@pytest.mark.parametrize("which", ["outcome", "spc"])
def test_experiment_labels_cover_no_data_and_no_title(which):
    """The ids of the experiments are written above the plotting area (an id on the top point
    of the ESIS chart, "092-K3", used to cover it), below the title, and apart from each other."""
    import matplotlib.pyplot as plt
    from matplotlib.transforms import Bbox

    from soskulib import development_plots, process

    quarters = pd.period_range("2017Q1", periods=8, freq="Q")
    exp = pd.DataFrame({"experiment_id": ["092-K1", "092-K2", "092-K3"], "municipality": "092",
                        "target_measure": "dropout" if which == "spc" else "esis",
                        "start_date": pd.to_datetime(["2017-04-01", "2017-05-01", "2018-04-01"])})
    if which == "outcome":
        chart = pd.DataFrame({"municipality": "092", "quarter": quarters.astype(str),
                              "quarter_start": quarters.start_time, "n": 20.0,
                              "value": [4.0, 5, 6, 5, 10.3, 8.8, 8.6, 9]})
        ax = development_plots.outcome_with_experiments(chart, exp, None, name="ESIS", lang="fi")
    else:
        rng = np.random.default_rng(3)
        start = np.concatenate([[q.start_time + pd.Timedelta(days=10)] * 40 for q in quarters])
        dropped = rng.random(len(start)) < 0.4
        ep = pd.DataFrame({"start_date": start, "end_date": start + pd.Timedelta(days=60),
                           "end_reason": np.where(dropped, "dropped_out", "completed")})
        chart = process.dropout_chart(ep, export_date="2020-12-31")
        ax = development_plots.spc_with_experiments(chart, exp, lang="fi")
    fig = ax.figure
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    plot_area = ax.get_window_extent(renderer)
    labels_ = [t for t in ax.texts if t.get_text() in set(exp["experiment_id"])]
    assert len(labels_) == 3
    boxes = [t.get_window_extent(renderer) for t in labels_]
    title = ax.title.get_window_extent(renderer)
    for box in boxes:
        assert box.y0 >= plot_area.y1 - 0.5  # above every point, line and limit
        assert not box.overlaps(title)
    assert not any(a.overlaps(b) for i, a in enumerate(boxes) for b in boxes[i + 1:])
    assert Bbox.union(boxes).y1 <= fig.bbox.y1  # nothing cut at the top edge
    plt.close(fig)


def test_spc_sentence_names_the_hidden_quarter_so_the_gap_is_not_read_as_zero():
    from soskulib import narrative

    chart = pd.DataFrame({"quarter": ["2017Q1", "2017Q2", "2017Q3"], "p": [0.16, np.nan, 0.12],
                          "signal": [False, False, False], "reasons": ["", "", ""]})
    fi, en = narrative.spc_sentence(chart, "fi"), narrative.spc_sentence(chart, "en")
    assert "II/2017" in fi and "katkos ei tarkoita nollaa" in fi
    assert "Q2 2017" in en and "neither zero" in en
    chart["p"] = [0.16, 0.1, 0.12]
    assert "II/2017" not in narrative.spc_sentence(chart, "fi")


# --- levels and the loop ----------------------------------------------------------------------

def test_loop_counts_ideas_moving_between_levels():
    e = pd.DataFrame({
        "raised_level": ["level_3", "level_3", "level_2", "level_1", "level_2"],
        "adopted_level": ["level_1", "level_3", None, "level_2", "level_1"],
        "status": ["adopted", "adopted", "tried", "adopted", "dropped"],
        "start_date": pd.to_datetime(["2017-01-10", "2017-02-01", "2017-05-01", "2017-05-02",
                                      "2017-06-01"]),
        "status_date": pd.to_datetime(["2017-11-01", "2017-08-01", None, "2017-12-01",
                                       "2017-09-01"]),
    })
    loop = development.level_loop(e).set_index(["quarter", "level"])
    assert loop.loc[("2017Q1", "level_3"), "n_raised"] == 2
    assert loop.loc[("2017Q4", "level_1"), ["n_adopted", "n_moved_up"]].tolist() == [1, 1]
    assert loop.loc[("2017Q4", "level_2"), ["n_adopted", "n_moved_down"]].tolist() == [1, 1]
    assert loop.loc[("2017Q3", "level_3"), "n_adopted"] == 1  # same level: no move
    assert loop["n_raised"].sum() == 5 and loop["n_adopted"].sum() == 3  # dropped: not adopted
    matrix = development.loop_matrix(e)
    assert set(matrix["direction"]) == {"up", "down", "same"}
    # The chart draws ideas taken up downwards, but its ticks are counts: no minus, no decimals.
    import matplotlib.pyplot as plt

    from soskulib import development_plots

    for lang in ("fi", "en"):
        ax = development_plots.loop_chart(development.level_loop(e), lang=lang)
        ax.figure.draw_without_rendering()
        ticks = [t.get_text() for t in ax.get_yticklabels() if t.get_text()]
        assert ticks and all(t.isdigit() for t in ticks), ticks
        plt.close(ax.figure)


def test_shared_event_counts_every_organisation_taking_part():
    a = pd.DataFrame({"municipality": ["092", "179"], "date": pd.to_datetime(["2017-05-17"] * 2),
                      "level": ["level_1", "level_2"], "organisations": ["061;092;179", "179"],
                      **{r: [2, 1] for r in schema.ACTIVITY_ROLES}})
    out = development.level_activity(a).set_index("level")
    assert out.loc["level_1", "n_organisations"] == 3 and out.loc["level_2", "n_events"] == 1


def test_participation_by_gender_is_protected():
    a = pd.DataFrame({**{r: [2, 2] for r in schema.ACTIVITY_ROLES}, "level": ["level_1", "level_2"],
                      "n_women": [10, 12], "n_men": [4, 4]})
    roles, genders = development.participation(a, by="level")
    # 16 attendances per level: women 10, men 4 (< 5), other 2 (< 5) -> men and other hidden
    g1 = genders[genders["level"] == "level_1"].set_index("gender")
    assert np.isnan(g1.loc["male", "n"]) and np.isnan(g1.loc["other", "n"])
    visible = genders["n"].dropna()
    assert (visible >= 5).all() and (roles["n"].dropna().eq(0) | roles["n"].dropna().ge(5)).all()


# --- hand-made small exports: new fields, old layout, malformed new fields ----------------------

def _clients_rows(extra: list[str]) -> list[list[str]]:
    base = [["092", "131052-9085", "2", "pitkaaikaistyoton", "01.02.2017", "30.06.2017",
             "valmis", "tyo"],
            ["092", "010170-901K", "1", "nuori", "01.02.2017", "", "", ""]]
    return [b + extra[i * 3:(i + 1) * 3] for i, b in enumerate(base)]


def _validate(folder: Path):
    tables, _ = validation.read_paths([folder])
    return validation.validate(tables)


def test_new_client_fields_parse(tmp_path):
    folder = tmp_path / "092_vantaa"
    write_csv(folder / "asiakkaat.csv", schema.CLIENTS.raw_columns,
              _clients_rows(["pitkaaikaistyoton, ikaantynyt_tyoton", "jatkuu", "ei_tietoa",
                             "nuori | valiinputoaja", "", ""]))
    result = _validate(folder)
    assert [f.rule for f in result.errors] == []
    frame = result.tables["clients"].frame
    assert frame["target_groups"].tolist() == ["long_term_unemployed;older_unemployed",
                                               "between_services;young_adult"]
    assert frame["placement_3m"].tolist()[0] == "held"


def test_malformed_new_fields_are_located_and_no_row_is_lost(tmp_path):
    folder = tmp_path / "092_vantaa"
    write_csv(folder / "asiakkaat.csv", schema.CLIENTS.raw_columns,
              _clients_rows(["pitkaaikaistyoton,robotti", "ehka", "", "nuori", "jatkuu", ""]))
    write_csv(folder / "kaynnit.csv", schema.CONTACTS.raw_columns,
              [["092", "131052-9085", "05.02.2017", "45", "yksilo", "ohjaus", "T1", "taikuus"]])
    write_csv(folder / "kehittaminen.csv", schema.ACTIVITIES.raw_columns,
              [["092", "05.03.2017", "tyopaja", "t", "1", "3", "5", "1", "0", "1", "0", "2",
                "4", "092,999", "1", "40", "3"]])
    write_csv(folder / "ryhmakerrat.csv", schema.GROUP_SESSIONS.raw_columns,
              [["092", "06.03.2017", "olohuone", "luova", "120", "8", "6", "5", ""]])
    write_csv(folder / "kokeilut.csv", schema.EXPERIMENTS.raw_columns,
              [["092", "K1", "paluureitti", "asiakkaat", "3", "15.03.2017", "", "keskeyttaminen",
                "luottamus", "vakiintunut", "01.01.2017", "7"]])
    result = _validate(folder)
    found = {(f.file.split("/")[-1], f.row, f.column, f.rule) for f in result.errors}
    assert ("asiakkaat.csv", 2, "kohderyhmat", "unknown_code") in found
    assert ("asiakkaat.csv", 2, "jatkopolku_3kk", "unknown_code") in found
    assert ("asiakkaat.csv", 3, "jatkopolku_3kk", "placement_without_pathway") in found
    assert ("asiakkaat.csv", 3, "jatkopolku_3kk", "placement_before_end") in found
    assert ("kaynnit.csv", 2, "menetelma", "unknown_code") in found
    assert ("kehittaminen.csv", 2, "taso", "unknown_code") in found
    assert ("kehittaminen.csv", 2, "kunnat", "unknown_code") in found
    assert ("kehittaminen.csv", 2, "naiset", "gender_count_exceeds_total") in found
    assert ("ryhmakerrat.csv", 2, "naiset", "gender_count_exceeds_total") in found
    assert ("kokeilut.csv", 2, "tilapvm", "end_before_start") in found
    assert ("kokeilut.csv", 2, "omaksuttu_taso", "unknown_code") in found
    assert any("'robotti' is not a target group code" in f.message for f in result.errors)
    for name, table in result.tables.items():
        assert len(table.frame) == int(table.accepted.sum()) + int((~table.accepted).sum()), name


def test_old_layout_export_keeps_working_with_one_warning_per_file(tmp_path):
    folder = tmp_path / "092_vantaa"
    write_csv(folder / "asiakkaat.csv", schema.CLIENTS.first_layout_columns,
              [r[:8] for r in _clients_rows(["", "", "", "", "", ""])])
    write_csv(folder / "kaynnit.csv", schema.CONTACTS.first_layout_columns,
              [["092", "131052-9085", "05.02.2017", "45", "yksilo", "ohjaus"]])
    write_csv(folder / "kehittaminen.csv", schema.ACTIVITIES.first_layout_columns,
              [["092", "05.03.2017", "tyopaja", "t", "1", "3", "5", "1", "0"]])
    result = _validate(folder)
    assert result.errors == []
    warnings = [f for f in result.findings if f.rule == "old_layout"]
    assert sorted(f.file.split("/")[-1] for f in warnings) == ["asiakkaat.csv", "kaynnit.csv",
                                                                 "kehittaminen.csv"]
    assert all(f.row == 1 and "kohderyhmat" in f.message for f in warnings[:1])
    clients = result.tables["clients"].frame
    assert clients["target_groups"].tolist() == ["long_term_unemployed", "young_adult"]
    assert int(result.tables["clients"].accepted.sum()) == 2


def test_whodas_answers_coded_1_to_5_are_recoded_when_declared(tmp_path):
    folder = tmp_path / "092_vantaa"
    table = schema.assessment_table("whodas12")
    header = table.raw_columns
    rows = [["092", "131052-9085", "05.02.2017", "alku", "1-5", *["5"] * 12],
            ["092", "131052-9085", "05.09.2017", "loppu", "", *["4"] * 12],
            ["092", "010170-901K", "05.02.2017", "alku", "", *["5"] * 12]]
    write_csv(folder / "mittari_whodas12.csv", header, rows)
    result = _validate(folder)
    frame = result.tables["responses_whodas12"].frame
    assert frame.loc[0, "s1"] == 4 and frame.loc[1, "s1"] == 4
    bad = [f for f in result.errors if f.rule == "out_of_range"]
    assert bad and all(f.row == 4 for f in bad)
    assert "koodaus" in bad[0].message  # says how to declare the coding


def test_assessment_before_the_instrument_existed_is_refused(tmp_path):
    folder = tmp_path / "092_vantaa"
    table = schema.assessment_table("esis")
    write_csv(folder / "mittari_esis.csv", table.raw_columns,
              [["092", "131052-9085", "05.02.2016", "alku", *["3"] * 10],
               ["092", "131052-9085", "05.02.2017", "loppu", *["3"] * 10]])
    result = _validate(folder)
    found = [(f.row, f.column, f.rule) for f in result.errors]
    assert found == [(2, "pvm", "instrument_not_available")]


def test_context_table_errors_are_located(tmp_path):
    path = tmp_path / "konteksti.csv"
    path.write_text("municipality;indicator;year;value;source\n092;long_term_unemployed;2017;"
                    "6100;x\n179;long_term_unemployed;2017;-3;x\n", encoding="utf-8")
    with pytest.raises(ConfigurationError, match=r"konteksti.csv:3:value:"):
        development.read_context(path)
    path.write_text("municipality;year;value;source\n", encoding="utf-8")
    with pytest.raises(ConfigurationError, match=r"konteksti.csv:1:indicator:"):
        development.read_context(path)


# --- the demo ---------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def demo_processed(tmp_path_factory):
    from soskulib import demo, prepare

    raw = demo.write_demo(tmp_path_factory.mktemp("dev") / "raw", seed=2015)
    out = tmp_path_factory.mktemp("dev") / "processed"
    prepare.prepare(raw, out, log=lambda message: None)
    return raw, out


def _demo_experiment_verdicts(demo_processed):
    raw, out = demo_processed
    truth = json.loads((raw / "truth.json").read_text(encoding="utf-8"))
    known = truth["experiments"]["with_known_effect"]
    clients = sio.load_processed(out, "clients")
    episodes = process.client_episodes(clients, sio.load_processed(out, "contacts"),
                                       sio.load_processed(out, "goals"))
    tests = development.experiment_tests(development.dropout_series(episodes),
                                         sio.load_processed(out, "experiments"))
    verdict = tests.set_index("experiment_id")
    # only the experiments with a known effect target the dropout series in the demo
    assert set(verdict.index) == set(known)
    return known, verdict


def test_demo_charts_flag_the_real_experiment(demo_processed):
    known, verdict = _demo_experiment_verdicts(demo_processed)
    real = [e for e, spec in known.items() if spec["expected_signal"]]
    assert real == ["092-K1"]
    assert bool(verdict.loc["092-K1", "signal"]) is True
    assert verdict.loc["092-K1", "direction"] == "down"


def test_demo_charts_do_not_flag_the_null_experiment(demo_processed):
    known, verdict = _demo_experiment_verdicts(demo_processed)
    null = [e for e, spec in known.items() if not spec["expected_signal"]]
    assert null == ["179-K1"]
    assert bool(verdict.loc["179-K1", "signal"]) is False


def _generated_verdicts(seed: int, truth: dict) -> pd.Series:
    """Signals of the demo's two experiments from the generator's own client tables.

    Only the clients of Vantaa and Jyväskylä are drawn (their draws do not depend on the
    outcome truth, so one calibrated truth serves every seed): about a second per seed.
    """
    from soskulib import demo, demo_development

    parts = []
    for code in ("092", "179"):
        org = demo._generate_org(code, demo.DEFAULT_SIZES[code], seed, truth, demo._HetuRegistry())
        c = org.tables["asiakkaat"]
        parts.append(pd.DataFrame({
            "municipality": code,
            "start_date": pd.to_datetime(c["alkupvm"].astype(str), format="%d.%m.%Y"),
            "end_date": pd.to_datetime(c["loppupvm"].astype(str).replace("", None),
                                       format="%d.%m.%Y"),
            "end_reason": c["paattymissyy"].astype(str).map(schema.END_REASON)}))
    series = development.dropout_series(pd.concat(parts, ignore_index=True),
                                        export_date="2018-12-31")
    register = pd.DataFrame([{"municipality": spec["municipality"], "experiment_id": key,
                              "start_date": pd.Timestamp(spec["start"]),
                              "target_measure": spec["series"]}
                             for key, spec in demo_development.EXPERIMENTS_WITH_TRUTH.items()])
    return development.experiment_tests(series, register).set_index("experiment_id")["signal"]


def test_demo_experiment_verdicts_hold_across_seeds():
    """Seeds 1-5 (fixed before looking): the real experiment flagged in at least 4, the null
    in at most 1. With ten quarterly cohorts and a four-quarter baseline the rules are not
    certain: in 40 seeds the real experiment was flagged in 35 and the null in 4 (a chance
    low baseline median misses the fall; a chance quarter outside the p-chart limits flags
    the null), so one seed deciding alone would be a coin with loaded sides, not a test."""
    from soskulib import demo

    truth = demo.true_effects(2015)
    verdicts = pd.DataFrame({seed: _generated_verdicts(seed, truth) for seed in range(1, 6)})
    assert verdicts.loc["092-K1"].astype(bool).sum() >= 4
    assert verdicts.loc["179-K1"].astype(bool).sum() <= 1


def test_demo_timeline_matches_the_seeds(demo_processed):
    _, out = demo_processed
    clients = sio.load_processed(out, "clients")
    kainuu = clients[clients["municipality"] == "205"]
    assert kainuu["start_date"].min() >= pd.Timestamp("2017-01-01")
    activities = sio.load_processed(out, "activities")
    assert activities.loc[activities["municipality"] == "205", "date"].min() >= pd.Timestamp("2017-01-01")
    assert set(sio.load_processed(out, "quality")["year"]) == {2018}
    esis = sio.load_processed(out, "responses_esis")
    assert esis["date"].min() >= pd.Timestamp("2017-01-01")
    subprojects = sio.load_processed(out, "subprojects").set_index("municipality")
    assert subprojects["planned_clients"].drop("205").sum() == 550
    assert subprojects.loc["205", "planned_clients"] == 100


def test_demo_development_records(demo_processed):
    _, out = demo_processed
    activities = sio.load_processed(out, "activities")
    assert set(activities["level"]) == {"level_1", "level_2", "level_3"}
    level3 = activities.loc[activities["level"] == "level_3", "municipality"]
    assert set(level3) <= {"092", "491", "698"}
    shared = activities["organisations"].str.count(";") >= 1
    assert shared.any() and (activities.loc[activities["level"] == "level_1", "organisations"]
                             .str.count(";") >= 7).all()
    sites = development.level3_sites(sio.load_processed(out, "subprojects"), activities)
    assert set(sites.loc[sites["level3_site"] == "yes", "municipality"]) == {"092", "491", "698"}
    assert sites["consistent"].all()  # the flag and the log agree in the demo
    themes = development.theme_groups(activities)
    assert len(themes) == 4 and (themes["n_organisations"] >= 3).all()
    assert themes["theme"].str.startswith("Työpajaryhmä").all()
    loop = development.loop_matrix(sio.load_processed(out, "experiments"))
    assert (loop["direction"] == "up").any()
    contacts = sio.load_processed(out, "contacts")
    assert contacts["worker"].notna().all() and contacts["method"].notna().all()
    cont = development.continuity(contacts, by="municipality").set_index("municipality")
    assert cont.loc["205", "mean_upc"] > cont.loc["061", "mean_upc"]  # Kainuu's named workers
    sessions = development.group_sessions(sio.load_processed(out, "group_sessions"),
                                          by="municipality")
    assert "205" in set(sessions["municipality"])
    held = development.placements(sio.load_processed(out, "clients"))
    assert (held["share_held"].dropna().between(0.4, 0.95)).all()
    assert {"older_unemployed", "partial_work_ability", "between_services"} <= set(
        development.target_group_sets(sio.load_processed(out, "clients"))["target_group"])
    reach = development.reach_against_need(sio.load_processed(out, "clients"),
                                           development.read_context())
    assert reach["rate_per_1000"].notna().all() and reach["source"].str.contains("SYNTHETIC").all()


def test_level3_sites_shows_flag_and_log_disagreeing_both_ways():
    sub = pd.DataFrame({"municipality": ["092", "179", "698", "410"],
                        "level3_site": ["yes", "no", "yes", None]})
    act = pd.DataFrame({"municipality": ["092", "092", "179", "698", "410"],
                        "level": ["level_3", "level_2", "level_3", "level_2", "level_3"]})
    out = development.level3_sites(sub, act).set_index("municipality")
    assert out.index.tolist()[:2] == ["092", "698"]  # flagged sites first
    assert out.loc["092", "consistent"] and out.loc["092", "share_level3"] == 0.5
    assert not out.loc["179", "consistent"]  # level-3 events, not flagged
    assert not out.loc["698", "consistent"]  # flagged, no level-3 events
    assert out.loc["410", "consistent"]  # no flag recorded (old layout): nothing to compare


@pytest.mark.parametrize("lang", ["fi", "en"])
@pytest.mark.parametrize("baseline", ["published", "hidden"])
def test_outcome_figure_caption_describes_the_median_only_when_it_is_drawn(lang, baseline):
    """The caption used to describe a dashed baseline median on every page, also where the
    quarters before the experiment were hidden and no median was drawn (Vantaa's ESIS)."""
    import matplotlib.pyplot as plt

    from soskulib import development_plots

    quarters = pd.period_range("2017Q1", periods=8, freq="Q")
    chart = pd.DataFrame({"municipality": "092", "quarter": quarters.astype(str),
                          "quarter_start": quarters.start_time, "n": 20.0,
                          "value": [4.0, 5, 6, 5, 10.3, 8.8, 8.6, 9]})
    exp = pd.DataFrame({"experiment_id": ["092-K3"], "municipality": "092", "target_measure": "esis",
                        "start_date": pd.to_datetime(["2018-01-01"])})
    tests = pd.DataFrame({"experiment_id": ["092-K3"], "start_quarter": ["2018Q1"],
                          "median_before": [5.0 if baseline == "published" else np.nan],
                          "signal": [True], "note": ["" if baseline == "published" else "too_few_quarters"]})
    ax = development_plots.outcome_with_experiments(chart, exp, tests, name="ESIS", lang=lang)
    dashed = [c for c in ax.collections if c.get_linestyle()[0][1] is not None]
    caption = development_plots.outcome_caption(tests, lang=lang)
    says_median = ("katkoviiva" in caption) if lang == "fi" else ("dashed" in caption)
    assert says_median == bool(dashed) == (baseline == "published")
    if baseline == "hidden":
        assert labels.text("dev.note.too_few_quarters", lang) in caption
    plt.close("all")


@pytest.mark.parametrize("lang", ["fi", "en"])
def test_an_untested_experiment_is_not_reported_as_no_change(lang):
    """Too few quarters before the experiment: no test was run, so the table must not say
    "ei muutosta" (no change) in its direction column; a test without a signal still does."""
    out = development.experiment_tests(_series([.3] * 12), _experiment("2016-07-01"))
    described = development.describe_tests(out, lang)
    assert described["direction"].tolist() == ["–"] and described["signal"].tolist() == ["–"]
    flat = development.experiment_tests(_series([.3] * 12), _experiment("2017-07-01"))
    assert flat["signal"].iloc[0] == False  # noqa: E712 - tested, no signal
    assert development.describe_tests(flat, lang)["direction"].tolist() == [
        labels.text("dev.direction.none", lang)]
