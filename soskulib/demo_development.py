"""Synthetic development-work records of the demo export (levels, experiments, roles, pathways).

:mod:`soskulib.demo` draws clients, contacts and outcomes; this module adds what the
programme documents describe about development work and service paths, each from its own
random stream (``default_rng([seed, 20 + k, code])``) so that nothing drawn here changes a
value :mod:`soskulib.demo` draws:

* **Levels and shared events** (seed 000, Kuntoutussäätiö): every activity gets a level;
  level 3 (intensive network development) happens only in :data:`INTENSIVE_SITES`; national or
  regional arenas (level 1) twice a year and cross-project workshop groups (level 2) are
  logged once, by the hosting organisation, with every organisation taking part in
  ``kunnat``. New roles (developer clients, peer instructors, client panel members),
  professional–peer pairs and participants by gender.
* **Idea and experiment register** (``kokeilut.csv``) with two experiments whose true effect
  on the quarterly dropout share is known (:data:`EXPERIMENTS_WITH_TRUTH`): Vantaa's
  low-threshold return route, after which the generator lowers dropout (``demo.PROFILES``),
  and a Jyväskylä peer-support experiment after which nothing changes.
* **Workers and methods on contacts**: every client has a named worker (omatyöntekijä) who
  holds a share :data:`CONTINUITY` of the client's individual contacts; group contacts go to
  a group facilitator; each contact has a method family.
* **Open group sessions** counted without identities (``ryhmakerrat``), e.g. Kainuu's
  "living-room" activity (seed 002: Suomussalmen olohuonetoiminta).
* **Target groups as a set** (``kohderyhmat``) and **pathways held at 3 and 6 months**.

Examples
--------
>>> sorted(EXPERIMENTS_WITH_TRUTH)
['092-K1', '179-K1']
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from soskulib import schema

#: Municipalities with level-3 intensive network development (regionally and by the way
#: services are organised representative: a city, a joint authority, a northern city).
INTENSIVE_SITES = ("092", "491", "698")
#: First day of activity per organisation (SOS-Kainuu ran 2017–2018, seed 002).
FIRST_DAY = {"205": "2017-01-01"}
DEFAULT_FIRST_DAY = "2016-01-01"
#: Share of a client's individual contacts with their named worker, per organisation
#: (Kainuu's project strengthened the named-worker model, seed 002).
CONTINUITY = {"205": 0.85, "092": 0.75, "179": 0.7}
DEFAULT_CONTINUITY = 0.6
#: Dates of the national / regional arenas (level 1), hosted in turn.
ARENAS = ("2016-05-18", "2016-11-16", "2017-05-17", "2017-11-15", "2018-05-16", "2018-11-14")

#: Theme of the shared level-1 arenas.
ARENA_THEME = "SOSKU-areena: kuntien kehittämistyön ja seurantatiedon jakaminen"
#: Themes of the level-2 workshop groups across sub-projects.
WORKSHOP_THEMES = ("Työpajaryhmä: nuorten sosiaalinen kuntoutus", "Työpajaryhmä: arvioinnin mittarit",
                   "Työpajaryhmä: asiakasosallisuus", "Työpajaryhmä: jatkopolut ja TYP-yhteistyö")
#: Open drop-in groups counted without identities: code -> (name, method, first session).
OPEN_GROUPS = {"205": ("Olohuonetoiminta, Suomussalmi", "muu", "2017-09-04"),
               "092": ("Avoin vertaisryhmä", "vertais", "2016-09-05"),
               "698": ("Nuorten avoin liikuntavuoro", "liikunta", "2017-01-09")}
#: The experiments whose true effect on a quarterly series is known (``truth.json``).
EXPERIMENTS_WITH_TRUTH: dict[str, dict[str, Any]] = {
    "092-K1": {
        "municipality": "092", "series": "dropout", "start": "2017-01-01",
        "description": "Matalan kynnyksen paluureitti keskeyttämisen ehkäisyyn",
        "true_effect": "dropout probability 0.35 -> 0.15 for episodes starting from 2017-01-01",
        "expected_signal": True,
    },
    "179-K1": {
        "municipality": "179", "series": "dropout", "start": "2017-04-03",
        "description": "Vertaisohjaajan tuki ryhmissä keskeyttämisen ehkäisyyn",
        "true_effect": "none: dropout probability 0.22 before and after",
        "expected_signal": False,
    },
}

_IDEAS = (
    ("Asiakasraati palvelupolun arvioijana", "clients", "aikuissosiaalityö", "other", "encounter"),
    ("Jalkautuva työ asiakkaan kotiin", "workers", "jalkautuva työ", "entries", "trust"),
    ("Vertaisohjaaja ryhmän rinnalle", "experts_by_experience", "ryhmätoiminta", "esis", "peer_support"),
    ("Yhteinen asiakassuunnitelma TE-palvelujen kanssa", "network", "asiakassuunnitelma", "gas", "multi_agency"),
    ("3X10D-keskustelu tavoitteiden pohjana", "evaluation", "tarpeiden arviointi", "3x10d", "encounter"),
    ("Luontoryhmä nuorille", "clients", "ryhmätoiminta", "esis", "peer_support"),
    ("Digitaalinen yhteydenpito ryhmien välillä", "workers", "ryhmätoiminta", "entries", "trust"),
    ("Ammattilais–vertaistyöpari vastaanotolle", "experts_by_experience", "ohjaus ja neuvonta", "esis", "peer_support"),
)
_STATUS = list(schema.EXPERIMENT_STATUS)  # kokeiltu, vakiintunut, luovuttu
_ORIGIN_RAW = {v: k for k, v in schema.IDEA_ORIGIN.items()}
_MEASURE_RAW = {v: k for k, v in schema.TARGET_MEASURE.items()}
_MECHANISM_RAW = {v: k for k, v in schema.MECHANISM.items()}


def _days(x: str) -> int:
    return int(np.datetime64(x, "D").astype(np.int64))


def _dates(days: np.ndarray) -> np.ndarray:
    return pd.to_datetime(np.asarray(days, dtype="int64"), unit="D").strftime("%d.%m.%Y").to_numpy()


def first_day(code: str) -> int:
    """First day (days since 1970) an organisation is active in the demo.

    Examples
    --------
    >>> first_day("205") == _days("2017-01-01"), first_day("092") == _days("2016-01-01")
    (True, True)
    """
    return _days(FIRST_DAY.get(code, DEFAULT_FIRST_DAY))


def active_codes(day: int) -> list[str]:
    """Organisations active on ``day`` (Kainuu only from 2017)."""
    return [c for c in schema.organisations()["code"] if first_day(c) <= day]


def extend_activities(code: str, log: pd.DataFrame, seed: int) -> pd.DataFrame:
    """Add level, organisations, the new roles, pairs and gender to an activity log.

    ``log`` is :func:`soskulib.demo` output (raw columns, dates as ``dd.mm.yyyy``); events
    before the organisation's first day are dropped, and the shared level-1 and level-2 events
    this organisation hosts are appended.
    """
    rng = np.random.default_rng([seed, 21, int(code)])
    day = pd.to_datetime(log["pvm"].astype(str), format="%d.%m.%Y").to_numpy().astype(
        "datetime64[D]").astype(np.int64)
    log = log.loc[day >= first_day(code)].copy()
    day = day[day >= first_day(code)]
    m = len(log)
    typ = log["tyyppi"].astype(str).to_numpy()
    intensive = code in INTENSIVE_SITES
    level = np.full(m, "2")  # level 1 is the shared arenas (_shared_events)
    rng.random(m)  # keeps the stream's later draws where they were
    if intensive:
        level = np.where((typ == "kokeilu") | ((typ != "koulutus") & (rng.random(m) < .6)), "3", level)
    else:
        level = np.where(typ == "kokeilu", "2", level)
    log["taso"] = level
    log["kunnat"] = code
    hosted = _shared_events(code, rng)
    log = pd.concat([log.assign(_day=day), hosted], ignore_index=True)
    log = _roles(log, intensive, rng)
    log = log.sort_values(["_day", "tyyppi", "teema"], kind="stable").drop(columns="_day")
    log["pvm"] = _dates(pd.to_datetime(log["pvm"], format="%d.%m.%Y").to_numpy().astype(
        "datetime64[D]").astype(np.int64))
    log = log.drop_duplicates(["pvm", "tyyppi", "teema"]).reset_index(drop=True)
    return log[schema.ACTIVITIES.raw_columns]


def _shared_events(code: str, rng: np.random.Generator) -> pd.DataFrame:
    """Level-1 arenas and level-2 workshop groups hosted by ``code`` (one row per event)."""
    codes = list(schema.organisations()["code"])
    rows: list[dict[str, Any]] = []
    for i, date in enumerate(ARENAS):
        day = _days(date)
        active = active_codes(day)
        if active[i % len(active)] != code:
            continue
        rows.append({"kunta": code, "pvm": _dates([day])[0], "tyyppi": "verkosto",
                     "teema": ARENA_THEME,
                     "taso": "1", "kunnat": ",".join(active), "_day": day, "_size": 6.0})
    themes = WORKSHOP_THEMES
    for q, start in enumerate(pd.period_range("2016Q2", "2018Q3", freq="2Q")):
        for j in range(2):  # two workshop groups per half-year, hosted in turn
            if codes[(2 * q + j) % len(codes)] != code:
                continue
            day = _days(str(start.start_time.date())) + int(rng.integers(10, 70))
            if day < first_day(code):
                continue
            others = [c for c in active_codes(day) if c != code]
            partners = rng.choice(others, size=min(len(others), int(rng.integers(2, 4))),
                                  replace=False)
            rows.append({"kunta": code, "pvm": _dates([day])[0], "tyyppi": "tyopaja",
                         "teema": themes[(2 * q + j) % len(themes)], "taso": "2",
                         "kunnat": ",".join(sorted([code, *partners])), "_day": day,
                         "_size": 2.5})
    frame = pd.DataFrame(rows, columns=["kunta", "pvm", "tyyppi", "teema", "taso", "kunnat",
                                        "_day", "_size"])
    if len(frame):
        size = frame["_size"].to_numpy()
        frame["johto"] = rng.poisson(1.5 * size)
        frame["tyontekijat"] = 2 + rng.poisson(6 * size)
        frame["asiakkaat"] = rng.poisson(1.5 * size)
        frame["kokemusasiantuntijat"] = rng.poisson(1.2 * size)
        frame["kolmas_sektori"] = rng.poisson(1.0 * size)
    return frame.drop(columns="_size")


def _roles(log: pd.DataFrame, intensive: bool, rng: np.random.Generator) -> pd.DataFrame:
    """New roles, professional–peer pairs and participants by gender."""
    level3 = (log["taso"] == "3").to_numpy()
    hands_on = log["tyyppi"].isin(["tyopaja", "kokeilu"]).to_numpy()
    boost = np.where(level3, 1.0, 0.25)
    log["kehittajaasiakkaat"] = rng.poisson(boost * np.where(hands_on, 3.0, 1.0))
    log["vertaisohjaajat"] = rng.poisson(boost * np.where(hands_on, 2.0, 0.5))
    log["asiakasraati"] = rng.poisson(np.where(level3 & hands_on, 4.0, 0.3))
    log["ammattilais_vertaisparit"] = rng.poisson(np.where(level3 & hands_on, 1.5, 0.1))
    # Staff are mostly women in Finnish social work; clients and peers mostly men (as the
    # client body: about 60 % men). A few participants' gender is not recorded.
    roles = {raw: col for col, (raw, _, _) in schema.ACTIVITY_ROLES.items()}
    for raw in roles:
        log[raw] = log[raw].fillna(0).astype(np.int64)
    staff = log[["johto", "tyontekijat", "kolmas_sektori"]].sum(axis=1).to_numpy()
    lived = log[["asiakkaat", "kokemusasiantuntijat", "kehittajaasiakkaat", "vertaisohjaajat",
                 "asiakasraati"]].sum(axis=1).to_numpy()
    women = rng.binomial(staff, 0.82) + rng.binomial(lived, 0.42)
    recorded = staff + lived - rng.binomial(staff + lived, 0.03)
    log["naiset"] = np.minimum(women, recorded)
    log["miehet"] = recorded - log["naiset"].to_numpy()
    return log


def experiments(code: str, seed: int) -> pd.DataFrame:
    """The idea and experiment register of one organisation (raw ``kokeilut`` columns)."""
    rng = np.random.default_rng([seed, 22, int(code)])
    rows = []
    for exp_id, spec in EXPERIMENTS_WITH_TRUTH.items():
        if spec["municipality"] != code:
            continue
        adopted = spec["expected_signal"]
        rows.append({"tunnus": exp_id, "kuvaus": spec["description"],
                     "lahde": "kokemusasiantuntijat" if adopted else "tyontekijat",
                     "ideataso": "3" if code in INTENSIVE_SITES else "2",
                     "alkupvm": spec["start"], "kohdepalvelu": "ryhmätoiminta ja yksilötyö",
                     "kohdemittari": "keskeyttaminen",
                     "mekanismi": "luottamus" if adopted else "vertaistuki",
                     "tila": "vakiintunut" if adopted else "luovuttu",
                     "tilapvm": "2018-01-15" if adopted else "2018-03-29",
                     "omaksuttu_taso": "1" if adopted else ""})
    n_ideas = int(rng.integers(2, 5))
    picks = rng.choice(len(_IDEAS), size=n_ideas, replace=False)
    start_first = max(first_day(code), _days("2016-03-01"))
    for k, pick in enumerate(sorted(picks), start=2):
        what, origin, service, measure, mechanism = _IDEAS[pick]
        start = int(rng.integers(start_first, _days("2018-06-30")))
        status = _STATUS[int(rng.choice(3, p=[.35, .40, .25]))]
        raised = str(rng.choice(["1", "2", "3"] if code in INTENSIVE_SITES else ["1", "2"]))
        adopted_level = ""
        if status == "vakiintunut":  # adopted at the level where it was raised, or passed on
            adopted_level = str(rng.choice(["1", "2", "3"] if code in INTENSIVE_SITES else ["1", "2"]))
        status_day = min(start + int(rng.integers(60, 300)), _days("2018-12-31"))
        rows.append({"tunnus": f"{code}-K{k}", "kuvaus": what, "lahde": _ORIGIN_RAW[origin],
                     "ideataso": raised, "alkupvm": str(np.datetime64(start, "D")),
                     "kohdepalvelu": service, "kohdemittari": _MEASURE_RAW[measure],
                     "mekanismi": _MECHANISM_RAW[mechanism], "tila": status,
                     "tilapvm": "" if status == "kokeiltu" else str(np.datetime64(status_day, "D")),
                     "omaksuttu_taso": adopted_level})
    frame = pd.DataFrame(rows)
    for col in ("alkupvm", "tilapvm"):
        text = frame[col].astype(str)
        frame[col] = np.where(text == "", "", pd.to_datetime(text.where(text != ""), format="%Y-%m-%d")
                              .dt.strftime("%d.%m.%Y").fillna(""))
    frame.insert(0, "kunta", code)
    return frame[[c.raw for c in schema.EXPERIMENTS.columns]]


#: The organisation whose WHODAS form codes answers 1–5 (declared in column ``koodaus``).
WHODAS_1_TO_5 = "743"


def whodas_coding(code: str, items: pd.DataFrame, item_names: list[str]) -> pd.DataFrame:
    """Add the ``koodaus`` column to a WHODAS-12 file; recode answers 1–5 where declared."""
    items = items.copy()
    if code == WHODAS_1_TO_5:
        for item in item_names:
            items[item] = items[item] + 1
        coding = "1-5"
    else:
        coding = None
    items.insert(list(items.columns).index("mittauskerta") + 1, "koodaus",
                 pd.Series([coding] * len(items), dtype="object"))
    return items


def group_sessions(code: str, seed: int) -> pd.DataFrame:
    """Open drop-in group sessions counted without identities (raw ``ryhmakerrat`` columns)."""
    rng = np.random.default_rng([seed, 23, int(code)])
    if code not in OPEN_GROUPS:
        return pd.DataFrame(columns=[c.raw for c in schema.GROUP_SESSIONS.columns])
    name, method, first = OPEN_GROUPS[code]
    days = np.arange(_days(first), _days("2018-12-17"), 7)
    days = days[rng.random(len(days)) > 0.12]  # holidays and cancelled weeks
    n = rng.poisson(9, len(days)) + 2
    women = rng.binomial(n, 0.45)
    known = n - rng.binomial(n, 0.05)
    women = np.minimum(women, known)
    return pd.DataFrame({"kunta": code, "pvm": _dates(days), "ryhma": name, "menetelma": method,
                         "kesto_min": 120, "osallistujat": n, "naiset": women,
                         "miehet": known - women, "tyontekija": f"T{code}-01"})


def contact_fields(code: str, who: np.ndarray, mode: np.ndarray, day: np.ndarray, n_clients: int,
                   seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Worker pseudonym and method family per contact.

    Parameters
    ----------
    who : ndarray of int
        Client position of each contact.
    mode : ndarray of str
        Raw mode codes (``yksilo``, ``ryhma``, ``etsiva``).
    day : ndarray of int
        Contact day (days since 1970).
    """
    rng = np.random.default_rng([seed, 24, int(code)])
    n_workers = max(3, int(np.ceil(n_clients / 30)))
    names = np.array([f"T{code}-{i:02d}" for i in range(1, n_workers + 1)])
    named = rng.integers(1, n_workers, n_clients)  # worker 01 facilitates groups
    p = CONTINUITY.get(code, DEFAULT_CONTINUITY)
    k = len(who)
    other = rng.integers(1, n_workers, k)
    worker = np.where(rng.random(k) < p, named[who], other)
    worker = np.where(mode == "ryhma", np.where(rng.random(k) < .7, 0, other), worker)
    late = day >= _days("2018-01-01")
    methods = np.array(["luonto", "luova", "liikunta", "digi", "vertais", "keskustelu", "muu"])
    group_p = np.array([.20, .25, .20, .05, .20, .0, .10])
    ind_p = np.array([.04, .03, .05, .08, .05, .70, .05])
    ind_late = np.array([.04, .03, .05, .20, .05, .58, .05])
    u = rng.random(k)
    cum = np.where((mode == "ryhma")[:, None], np.cumsum(group_p),
                   np.where(late[:, None], np.cumsum(ind_late), np.cumsum(ind_p)))
    method = methods[np.minimum((u[:, None] > cum).sum(axis=1), len(methods) - 1)]
    return names[worker], method


def client_fields(code: str, target: np.ndarray, age: np.ndarray, pathway: np.ndarray,
                  end: np.ndarray, ongoing: np.ndarray, seed: int, export_day: int,
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Target-group sets, the pathway list with the later codes, and 3/6-month placement status.

    Parameters are raw codes (``target``, ``pathway``; ``""`` where none), age at start, end
    day and whether the episode is ongoing. Returns ``(kohderyhmat, jatkopolku, 3 kk, 6 kk)``.
    """
    rng = np.random.default_rng([seed, 25, int(code)])
    n = len(target)
    extra = np.full(n, "", dtype=object)
    u = rng.random((4, n))
    extra = np.where((target == "pitkaaikaistyoton") & (age >= 55), "ikaantynyt_tyoton", extra)
    extra = np.where((target == "kuntouttava_tyotoiminta") & (u[0] < .4), "osatyokykyinen", extra)
    extra = np.where((target == "paihde_mielenterveys") & (u[1] < .3) & (extra == ""),
                     "aikuissosiaalityo", extra)
    extra = np.where((u[2] < .05) & (extra == ""), "valiinputoaja", extra)
    sets = np.where(extra == "", target, np.char.add(np.char.add(target.astype(str), ","),
                                                     extra.astype(str)))
    path = pathway.astype(object).copy()
    young = np.isin(target, ["nuori", "nuori_13_17"])
    path = np.where((path == "tyo") & (u[3] < .4), "palkkatuki", path)
    v = rng.random((3, n))
    path = np.where((path == "kuntouttava_tyotoiminta") & young & (v[0] < .5), "tyopaja", path)
    path = np.where((path == "muut_palvelut") & (v[1] < .15), "kela_kuntoutus", path)
    path = np.where((path == "muut_palvelut") & (v[1] >= .15) & (v[1] < .3), "typ", path)
    hold = {"tyo": .80, "palkkatuki": .75, "koulutus": .75, "tyokokeilu": .60,
            "kuntouttava_tyotoiminta": .70, "tyopaja": .70, "kela_kuntoutus": .80, "typ": .65}
    p_hold = np.array([hold.get(p, np.nan) for p in path], dtype=float)
    placed = ~np.isnan(p_hold) & ~ongoing
    w = rng.random((4, n))
    due3 = placed & (end + 91 <= export_day)
    due6 = placed & (end + 182 <= export_day)
    unknown3 = w[0] < .12
    held3 = w[1] < p_hold
    status3 = np.where(~due3, "", np.where(unknown3, "ei_tietoa", np.where(held3, "jatkuu", "paattynyt")))
    held6 = held3 & (w[2] < .85)
    status6 = np.where(~due6, "", np.where(unknown3 | (w[3] < .08), "ei_tietoa",
                                            np.where(held6, "jatkuu", "paattynyt")))
    return sets.astype(object), path, status3.astype(object), status6.astype(object)
