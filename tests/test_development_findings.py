"""Issue 14's "What was found", bullet by bullet, on a hand-made export of two organisations.

Each finding of the review (the activity log had no level, shared events, theme or level-3
flag and experiments never reached the charts; roles and gender were missing; contacts had no
worker, anonymous groups and method families could not be recorded; pathways and placements
held were missing; target groups were single codes; the instruments lacked Kykyviisari,
availability dates, the 1–5 WHODAS coding and the right citation; reach was measured only
against the plan) is answered here by the feature that fixes it, run through ``prepare`` on
a small export written by hand. The same features on the demo are checked in
``test_development.py`` (``test_demo_*``), and the pages that show them in
``test_site.py::test_every_finding_of_issue_14_has_a_section_on_the_pages``.
Identity codes are artificial (individual numbers 900–999).
"""

from __future__ import annotations

import pandas as pd
import pytest
from fixtures.rawexport import make_hetu, write_csv

from soskulib import development, development_plots, instruments, prepare, process, schema
from soskulib import io as sio

#: Six clients per organisation, each with its own identity code.
HETU = {code: [make_hetu(3 + i, 4, 1980 + i, 900 + 10 * k + i) for i in range(6)]
        for k, code in enumerate(("092", "179"))}
PATHWAYS = ["tyopaja", "kela_kuntoutus", "typ", "palkkatuki", "tyokokeilu", "koulutus"]


def _clients(code: str) -> list[list[object]]:
    rows = []
    for i, h in enumerate(HETU[code]):
        groups = ["pitkaaikaistyoton,osatyokykyinen", "nuori,valiinputoaja",
                  "ikaantynyt_tyoton", "pitkaaikaistyoton"][i % 4]
        rows.append([code, h, "12"[i % 2], groups.split(",")[0], f"0{1 + i}.02.2017",
                     "30.09.2017", "valmis", PATHWAYS[i], groups,
                     "jatkuu" if i % 3 else "paattynyt", "jatkuu" if i % 2 else "ei_tietoa"])
    return rows


def _contacts(code: str) -> list[list[object]]:
    methods = ["luonto", "luova", "liikunta", "digi", "vertais", "keskustelu"]
    rows = []
    for i, h in enumerate(HETU[code]):
        for k in range(4):  # the named worker holds 3 of 4 individual contacts
            rows.append([code, h, f"{10 + k:02d}.03.2017", 45, "yksilo", "ohjaus",
                         f"T{code}-0{1 if k < 3 else 2}", methods[(i + k) % len(methods)]])
    return rows


ACTIVITIES = [  # kunta, pvm, tyyppi, teema, roles…, taso, kunnat, pairs, women, men
    ["092", "10.03.2017", "verkosto", "Areena", 2, 5, 3, 1, 1, 1, 1, 1, "1", "092,179", 0, 9, 6],
    ["092", "12.04.2017", "tyopaja", "Työpajaryhmä: mittarit", 1, 4, 2, 2, 0, 2, 1, 1, "2",
     "092,179", 1, 7, 6],
    ["092", "05.05.2017", "kokeilu", "Paluureitti", 1, 3, 4, 2, 0, 3, 2, 2, "3", "092", 2, 9, 8],
    ["179", "06.05.2017", "tyopaja", "Oma työpaja", 1, 3, 2, 1, 0, 0, 0, 0, "2", "179", 0, 4, 3],
]
EXPERIMENTS = [  # raised at level 3 in Vantaa, adopted at level 1 (went up)
    ["092", "092-K1", "Paluureitti", "kokemusasiantuntijat", "3", "01.01.2017",
     "ryhmätoiminta", "keskeyttaminen", "luottamus", "vakiintunut", "15.01.2018", "1"],
    ["179", "179-K1", "Vertaisohjaaja", "asiakkaat", "2", "03.04.2017", "ryhmätoiminta",
     "keskeyttaminen", "vertaistuki", "kokeiltu", "", ""],
]


@pytest.fixture(scope="module")
def processed(tmp_path_factory):
    root = tmp_path_factory.mktemp("found")
    raw = root / "raw"
    write_csv(raw / "osahankkeet.csv", schema.SUBPROJECTS.raw_columns,
              [["092", "Vantaa", "10", "whodas12", "kylla"],
               ["179", "Jyväskylä", "10", "whodas12", "ei"]])
    for code, slug in (("092", "vantaa"), ("179", "jyvaskyla")):
        folder = raw / f"{code}_{slug}"
        write_csv(folder / "asiakkaat.csv", schema.CLIENTS.raw_columns, _clients(code))
        write_csv(folder / "kaynnit.csv", schema.CONTACTS.raw_columns, _contacts(code))
        write_csv(folder / "kehittaminen.csv", schema.ACTIVITIES.raw_columns,
                  [r for r in ACTIVITIES if r[0] == code])
        write_csv(folder / "kokeilut.csv", schema.EXPERIMENTS.raw_columns,
                  [r for r in EXPERIMENTS if r[0] == code])
        whodas = schema.assessment_table("whodas12")
        write_csv(folder / "mittari_whodas12.csv", whodas.raw_columns,
                  [[code, h, "05.02.2017", "alku", "1-5", *["4"] * 12] for h in HETU[code]]
                  + [[code, h, "20.09.2017", "loppu", "", *["2"] * 12] for h in HETU[code]])
    write_csv(raw / "092_vantaa" / "ryhmakerrat.csv", schema.GROUP_SESSIONS.raw_columns,
              [["092", f"0{d}.03.2017", "Olohuone", "vertais", 120, 9, 4, 5, ""] for d in (6, 7)])
    (raw / "truth.json").write_text('{"synthetic": true}', encoding="utf-8")  # the demo key
    out = root / "processed"
    manifest = prepare.prepare(raw, out, log=lambda message: None)
    return out, manifest


def _load(out, name):
    return sio.load_processed(out, name)


def test_no_row_of_the_hand_made_export_is_lost(processed):
    out, manifest = processed
    assert _load(out, "clients").shape[0] == 12
    assert _load(out, "activities").shape[0] == len(ACTIVITIES)
    assert _load(out, "experiments").shape[0] == len(EXPERIMENTS)
    assert _load(out, "group_sessions").shape[0] == 2


def test_finding_1_levels_shared_events_themes_level3_sites_and_experiments_on_charts(processed):
    out, _ = processed
    acts = _load(out, "activities")
    levels = development.level_activity(acts)
    assert set(levels["level"]) == {"level_1", "level_2", "level_3"}
    first = levels[levels["level"] == "level_1"].iloc[0]
    assert first["n_organisations"] == 2  # one event, two organisations, logged once
    themes = development.theme_groups(acts)
    assert themes["theme"].tolist() == ["Työpajaryhmä: mittarit"]  # shared; 179's own is not
    sites = development.level3_sites(_load(out, "subprojects"), acts).set_index("municipality")
    assert sites.loc["092", "level3_site"] == "yes" and sites.loc["092", "n_level3_events"] == 1
    assert sites.loc["179", "level3_site"] == "no" and sites["consistent"].all()
    clients = _load(out, "clients")
    chart = process.dropout_chart(clients[clients["municipality"] == "092"],
                                  export_date="2018-12-31", min_cell=1)
    experiments = _load(out, "experiments")
    ax = development_plots.spc_with_experiments(chart, experiments[experiments["municipality"]
                                                                   == "092"], lang="fi")
    assert "092-K1" in [t.get_text() for t in ax.texts]
    import matplotlib.pyplot as plt

    plt.close(ax.figure)


def test_finding_1_the_loop_between_levels(processed):
    out, _ = processed
    loop = development.loop_matrix(_load(out, "experiments"))
    went_up = loop[loop["direction"] == "up"]
    assert len(went_up) == 1 and went_up.iloc[0]["n_ideas"] == 1


def test_finding_2_new_roles_and_participants_by_gender(processed):
    out, _ = processed
    roles, gender = development.participation(_load(out, "activities"), suppress=False)
    by_role = roles.set_index("role")["n"]
    assert {"n_developer_clients", "n_peer_instructors", "n_client_panel"} <= set(by_role.index)
    assert by_role["n_developer_clients"] == 1 + 2 + 3 + 0
    assert by_role["n_peer_instructors"] == 1 + 1 + 2 + 0
    by_gender = gender.set_index("gender")["n"]
    assert by_gender["female"] == 9 + 7 + 9 + 4 and by_gender["male"] == 6 + 6 + 8 + 3


def test_finding_3_named_worker_open_groups_and_method_families(processed):
    out, _ = processed
    contacts = _load(out, "contacts")
    cont = development.continuity(contacts, by="municipality", suppress=False)
    assert cont["mean_upc"].tolist() == pytest.approx([0.75, 0.75])
    sessions = development.group_sessions(_load(out, "group_sessions"))
    assert sessions.iloc[0]["n_sessions"] == 2 and sessions.iloc[0]["attendance"] == 18
    mix = development.method_mix(contacts, suppress=False)
    assert {"nature", "creative_cultural", "physical", "digital", "peer_led"} <= set(mix["method"])


def test_finding_4_new_pathways_and_placements_held(processed):
    out, _ = processed
    clients = _load(out, "clients")
    assert {"work_workshop", "kela_rehabilitation", "typ_joint_service",
            "wage_subsidised_work"} <= set(clients["pathway"])
    held = development.placements(clients, suppress=False)
    three = held[held["followup"] == "3m"]
    assert three["n_known"].sum() == 12 and three["held"].sum() == 8  # "paattynyt" for i = 0, 3
    six = held[held["followup"] == "6m"]
    assert six["n_known"].sum() == 6  # "ei_tietoa" is not known


def test_finding_5_target_groups_as_a_set_with_the_new_groups(processed):
    out, _ = processed
    sets = development.target_group_sets(_load(out, "clients"), suppress=False)
    counts = sets.set_index("target_group")["n"]
    assert counts["partial_work_ability"] == 4 and counts["between_services"] == 4
    assert counts["older_unemployed"] == 2
    assert counts.sum() > 12  # overlapping: a client counts in each of their groups


def test_finding_6_instruments_kykyviisari_dates_whodas_coding_and_citation(processed):
    out, _ = processed
    assert instruments.get("kykyviisari").name
    assert str(instruments.get("esis").available_from) == "2017-01-01"
    whodas = instruments.get("whodas12")
    assert "PMC2791224" in whodas.source and "PMC2971503" not in whodas.source
    responses = _load(out, "responses_whodas12")
    start = responses[responses["occasion"] == "baseline"]
    assert (start["s1"] == 3).all()  # answered 4 on the declared 1–5 coding


def test_finding_7_reach_against_need_not_only_the_plan(processed):
    out, _ = processed
    context = pd.DataFrame({"municipality": ["092", "179"], "indicator": "long_term_unemployed",
                            "year": [2017, 2017], "value": [6000, 3000],
                            "source": ["hand-made", "hand-made"]})
    reach = development.reach_against_need(_load(out, "clients"), context, suppress=False)
    assert reach.set_index("municipality")["rate_per_1000"].to_dict() == pytest.approx(
        {"092": 1.0, "179": 2.0})
