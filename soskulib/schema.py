"""The soskulib data model: raw municipal exports and the processed tables built from them.

This module is the single declaration of every table, column, code list and label that the
pipeline knows. Reading (:mod:`soskulib.io`), validation (:mod:`soskulib.validation`),
preparation (:mod:`soskulib.prepare`), the codebook (:mod:`soskulib.codebook`) and the demo
generator (:mod:`soskulib.demo`) all derive their behaviour from it, so a column is renamed or a
code added here and nowhere else.

Layout of a raw export (one folder per municipality or joint authority)::

    data/raw/<export>/
        osahankkeet.csv                 sub-projects: planned clients, instruments in use
        <code>_<slug>/                  e.g. 092_vantaa/
            asiakkaat.csv               clients (one row per client episode)
            kaynnit.csv                 service contacts
            tavoitteet.csv              client-plan goals with GAS attainment
            mittari_<instrument>.csv    item-level assessments, one file per instrument
            kehittaminen.csv            development-activity log (no personal data)
            laatukriteerit.csv          quality-criteria self-assessment
        truth.json                      demo only: the known true effects

A municipality may deliver the same tables as sheets of one ``.xlsx`` workbook (sheet name =
table name) or as SPSS ``.sav`` files (file stem = table name). Raw column names are Finnish;
processed column names are English; labels in both languages are declared here.

Processed tables (``data/processed/<table>/``, parquet partitioned by ``municipality``)
carry a keyed pseudonym ``client_id`` instead of the personal identity code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Literal

import pandas as pd

ColumnKind = Literal["hetu", "municipality", "municipality_set", "code", "code_set", "date", "int",
                     "float", "text", "item"]

#: Separators between the values of a set-valued cell (``code_set``, ``municipality_set``).
SET_SEPARATORS = ",;|/"


@dataclass(frozen=True)
class Column:
    """One column of a table.

    Parameters
    ----------
    raw : str
        Column name in the raw (Finnish) export.
    name : str
        Column name in the processed table.
    kind : str
        ``"hetu"`` personal identity code (pseudonymised in processing), ``"municipality"``
        organisation code (see :func:`organisations`), ``"code"`` a value from ``codes``,
        ``"code_set"`` / ``"municipality_set"`` several codes in one cell separated by any of
        :data:`SET_SEPARATORS` or spaces (processed: the distinct codes sorted and joined
        with ``;``),
        ``"date"`` a ``dd.mm.yyyy`` date, ``"int"``/``"float"`` numbers (decimal comma allowed),
        ``"text"`` free text, ``"item"`` an instrument item (range from the instrument spec).
    label_fi, label_en : str
        Variable labels for the codebook and for reports.
    required : bool
        Whether an empty value breaks a rule.
    codes : dict
        For ``kind="code"``: raw code -> processed code.
    min, max : float or None
        Allowed closed range for numbers.

    Examples
    --------
    >>> col = CLIENTS.column("sukupuoli")
    >>> col.name, col.kind, col.codes["2"]
    ('gender', 'code', 'female')
    """

    raw: str
    name: str
    kind: ColumnKind
    label_fi: str
    label_en: str
    required: bool = True
    codes: dict[str, str] = field(default_factory=dict)
    min: float | None = None
    max: float | None = None


@dataclass(frozen=True)
class Table:
    """A raw/processed table pair.

    Parameters
    ----------
    raw : str
        Raw table name (file stem or sheet name), e.g. ``"asiakkaat"``.
    name : str
        Processed table name, e.g. ``"clients"``.
    columns : tuple of Column
        Declared columns, in export order.
    key : tuple of str
        Processed column names that identify a row; a second row with the same key is a
        duplicate and is rejected.
    personal : bool
        Whether rows describe a person (keyed by henkilötunnus).
    label_fi, label_en : str
        Table labels for the codebook and reports.

    Examples
    --------
    >>> CLIENTS.raw, CLIENTS.name, CLIENTS.personal
    ('asiakkaat', 'clients', True)
    >>> CONTACTS.raw_columns[:3]
    ['kunta', 'henkilotunnus', 'pvm']
    """

    raw: str
    name: str
    label_fi: str
    label_en: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    personal: bool = True

    @property
    def raw_columns(self) -> list[str]:
        """Raw column names in export order."""
        return [c.raw for c in self.columns]

    @property
    def first_layout_columns(self) -> list[str]:
        """Raw columns of the first data layout (before the development-work columns).

        Examples
        --------
        >>> CONTACTS.first_layout_columns
        ['kunta', 'henkilotunnus', 'pvm', 'kesto_min', 'muoto', 'sisalto']
        """
        return [c for c in self.raw_columns if c not in ADDED_COLUMNS]

    def column(self, name: str) -> Column:
        """Return the column with processed ``name`` (or raw name).

        Parameters
        ----------
        name : str
            Processed (English) or raw (Finnish) column name.

        Returns
        -------
        Column

        Raises
        ------
        KeyError
            The table declares no such column.

        Examples
        --------
        >>> CLIENTS.column("sukupuoli").name
        'gender'
        """
        for c in self.columns:
            if name in (c.name, c.raw):
                return c
        raise KeyError(f"table {self.raw!r} has no column {name!r}")


# ---------------------------------------------------------------------------------------------
# Code lists. Raw code (as municipalities export it) -> processed code (English, snake_case).
# Labels: processed code -> (Finnish, English).
# ---------------------------------------------------------------------------------------------

GENDER = {"1": "male", "2": "female", "3": "other"}
GENDER_LABELS = {
    "male": ("mies", "male"),
    "female": ("nainen", "female"),
    "other": ("muu / ei tiedossa", "other / unknown"),
}

TARGET_GROUP = {
    "aikuissosiaalityo": "adult_social_work",
    "pitkaaikaistyoton": "long_term_unemployed",
    "paihde_mielenterveys": "substance_mental_health",
    "vapautuva_vanki": "released_prisoner",
    "kuntouttava_tyotoiminta": "rehabilitative_work",
    "nuori": "young_adult",
    "nuori_13_17": "youth_13_17",
    "osatyokykyinen": "partial_work_ability",
    "ikaantynyt_tyoton": "older_unemployed",
    "valiinputoaja": "between_services",
}
TARGET_GROUP_LABELS = {
    "adult_social_work": ("aikuissosiaalityön asiakas", "adult social-work client"),
    "long_term_unemployed": ("pitkäaikaistyötön", "long-term unemployed"),
    "substance_mental_health": ("päihde- ja mielenterveyskuntoutuja", "substance-use / mental-health rehabilitee"),
    "released_prisoner": ("vankilasta vapautuva", "released prisoner"),
    "rehabilitative_work": ("kuntouttavan työtoiminnan asiakas", "rehabilitative work activity client"),
    "young_adult": ("nuori aikuinen (18–29)", "young adult (18–29)"),
    "youth_13_17": ("nuori 13–17 v", "young person 13–17"),
    "partial_work_ability": ("osatyökykyinen", "partially able to work"),
    "older_unemployed": ("ikääntynyt työtön", "older unemployed"),
    "between_services": ("palvelujen väliinputoaja", "falls between services"),
}
#: The target groups of the first data layout (one code per episode); the later codes were
#: added with the set-valued ``kohderyhmat`` column (seed 001 lists all of them).
TARGET_GROUP_FIRST_LAYOUT = tuple(list(TARGET_GROUP)[:7])

END_REASON = {"valmis": "completed", "keskeytti": "dropped_out", "muutti": "moved", "muu": "other"}
END_REASON_LABELS = {
    "completed": ("päättyi suunnitellusti", "completed"),
    "dropped_out": ("keskeytti", "dropped out"),
    "moved": ("muutti pois", "moved away"),
    "other": ("muu syy", "other"),
}

PATHWAY = {
    "tyo": "work",
    "koulutus": "education",
    "tyokokeilu": "work_trial",
    "kuntouttava_tyotoiminta": "rehabilitative_work",
    "muut_palvelut": "other_services",
    "ei_jatkopolkua": "none",
    "tyopaja": "work_workshop",
    "kela_kuntoutus": "kela_rehabilitation",
    "typ": "typ_joint_service",
    "palkkatuki": "wage_subsidised_work",
}
PATHWAY_LABELS = {
    "work": ("työ", "work"),
    "education": ("koulutus", "education"),
    "work_trial": ("työkokeilu", "work trial"),
    "rehabilitative_work": ("kuntouttava työtoiminta", "rehabilitative work activity"),
    "other_services": ("muut palvelut", "other services"),
    "none": ("ei jatkopolkua", "none"),
    "work_workshop": ("työpaja", "work-activity workshop"),
    "kela_rehabilitation": ("Kelan kuntoutus", "Kela rehabilitation"),
    "typ_joint_service": ("TYP-yhteispalvelu", "TYP joint service"),
    "wage_subsidised_work": ("palkkatuettu työ", "wage-subsidised work"),
}
#: Pathways of the first data layout, in order (the demo draws these, then the later ones).
PATHWAY_FIRST_LAYOUT = tuple(list(PATHWAY)[:6])

# Whether a placement held, asked 3 and 6 months after the episode ended (§17: placement in
# work, work trial, study, workshop or rehabilitation "and preventing drop-out").
PLACEMENT_STATUS = {"jatkuu": "held", "paattynyt": "ended", "ei_tietoa": "unknown"}
PLACEMENT_STATUS_LABELS = {
    "held": ("jatkuu", "held"),
    "ended": ("päättynyt / keskeytynyt", "ended / broke off"),
    "unknown": ("ei tietoa", "not known"),
}

CONTACT_MODE = {"yksilo": "individual", "ryhma": "group", "etsiva": "outreach"}
CONTACT_MODE_LABELS = {
    "individual": ("yksilötyö", "individual"),
    "group": ("ryhmä", "group"),
    "outreach": ("etsivä / jalkautuva työ", "outreach"),
}

# Social Welfare Act 1301/2014 §17 contents of social rehabilitation.
CONTACT_CONTENT = {
    "arviointi": "needs_assessment",
    "ohjaus": "counselling_coordination",
    "valmennus": "daily_living_coaching",
    "ryhmatoiminta": "group_activity",
    "muu": "other",
}
CONTACT_CONTENT_LABELS = {
    "needs_assessment": ("sosiaalisen toimintakyvyn ja kuntoutustarpeen selvittäminen", "assessing functioning and rehabilitation need"),
    "counselling_coordination": ("kuntoutusneuvonta ja -ohjaus, palvelujen yhteensovitus", "rehabilitation counselling, guidance and coordination"),
    "daily_living_coaching": ("valmennus arkielämän taitoihin ja elämänhallintaan", "coaching for daily living and life management"),
    "group_activity": ("ryhmätoiminta ja tuki sosiaalisiin vuorovaikutussuhteisiin", "group activity and support for social relationships"),
    "other": ("muut toimenpiteet", "other measures"),
}

LIFE_AREA = {
    "asuminen": "housing",
    "terveys": "health",
    "talous": "finances",
    "sosiaaliset_suhteet": "social_relationships",
    "arjen_hallinta": "daily_living",
    "tyo_opiskelu": "work_study",
    "paihteet": "substance_use",
    "vapaa_aika": "leisure",
}
LIFE_AREA_LABELS = {
    "housing": ("asuminen", "housing"),
    "health": ("terveys ja hyvinvointi", "health and wellbeing"),
    "finances": ("talous", "finances"),
    "social_relationships": ("sosiaaliset suhteet", "social relationships"),
    "daily_living": ("arjen hallinta", "daily living"),
    "work_study": ("työ ja opiskelu", "work and study"),
    "substance_use": ("päihteet", "substance use"),
    "leisure": ("vapaa-aika", "leisure"),
}

# Method family of a contact or group session (seed 001: nature-based and creative methods,
# methods for health and wellbeing; peer-led and digital work named in the sub-projects).
METHOD = {"luonto": "nature", "luova": "creative_cultural", "liikunta": "physical",
          "digi": "digital", "vertais": "peer_led", "keskustelu": "conversation", "muu": "other"}
METHOD_LABELS = {
    "nature": ("luontolähtöinen", "nature-based"),
    "creative_cultural": ("luova / kulttuurinen", "creative / cultural"),
    "physical": ("liikunnallinen", "physical activity"),
    "digital": ("digitaalinen", "digital"),
    "peer_led": ("vertaisohjattu", "peer-led"),
    "conversation": ("keskusteleva / ohjauksellinen", "conversational / counselling"),
    "other": ("muu", "other"),
}

OCCASION = {"alku": "baseline", "loppu": "end", "seuranta": "followup"}
OCCASION_LABELS = {
    "baseline": ("alkuarviointi", "baseline"),
    "end": ("loppuarviointi", "end"),
    "followup": ("seuranta", "follow-up"),
}

ACTIVITY_TYPE = {
    "tyopaja": "workshop",
    "verkosto": "network_meeting",
    "kokeilu": "experiment",
    "koulutus": "training",
}
ACTIVITY_TYPE_LABELS = {
    "workshop": ("työpaja", "workshop"),
    "network_meeting": ("verkostotapaaminen", "network meeting"),
    "experiment": ("kehittämiskokeilu", "co-development experiment"),
    "training": ("koulutus", "training"),
}

# Kuntoutussäätiö's three levels of development support (seed 000): 1 regional/national arenas
# once or twice a year, 2 workshop groups joining several sub-projects around a theme,
# 3 intensive network development in a few representative municipalities.
LEVEL = {"1": "level_1", "2": "level_2", "3": "level_3"}
LEVEL_LABELS = {
    "level_1": ("taso 1: alueelliset ja valtakunnalliset areenat",
                "level 1: regional and national arenas"),
    "level_2": ("taso 2: hankkeita yhdistävät työpajaryhmät",
                "level 2: workshop groups across sub-projects"),
    "level_3": ("taso 3: intensiivinen verkostokehittäminen",
                "level 3: intensive network development"),
}

# Participant roles in the development-activity log: processed column -> (raw column, fi, en).
ACTIVITY_ROLES = {
    "n_managers": ("johto", "johto ja esihenkilöt", "managers"),
    "n_workers": ("tyontekijat", "työntekijät", "workers"),
    "n_clients": ("asiakkaat", "asiakkaat", "clients"),
    "n_experts_by_experience": ("kokemusasiantuntijat", "kokemusasiantuntijat", "experts by experience"),
    "n_third_sector": ("kolmas_sektori", "kolmas sektori", "third sector"),
    "n_developer_clients": ("kehittajaasiakkaat", "kehittäjäasiakkaat", "developer clients"),
    "n_peer_instructors": ("vertaisohjaajat", "vertaisohjaajat", "peer instructors"),
    "n_client_panel": ("asiakasraati", "asiakasraadin jäsenet", "client panel members"),
}
#: Roles added after the first data layout: optional columns (an old export reads as missing).
OPTIONAL_ACTIVITY_ROLES = ("n_developer_clients", "n_peer_instructors", "n_client_panel")
#: Roles whose people bring lived experience (clients and the client-based roles).
LIVED_EXPERIENCE_ROLES = ("n_clients", "n_experts_by_experience", "n_developer_clients",
                          "n_peer_instructors", "n_client_panel")

#: Sub-project flag: an intensive level-3 site (kolmannen tason intensiivinen
#: verkostokehittäminen: "a few municipalities, representative by region and by how services
#: are organised", Kuntoutussäätiö's SOSKU text).
LEVEL3_SITE = {"kylla": "yes", "ei": "no"}
LEVEL3_SITE_LABELS = {
    "yes": ("kyllä", "yes"),
    "no": ("ei", "no"),
}

# Idea/experiment register (kokeilut).
EXPERIMENT_STATUS = {"kokeiltu": "tried", "vakiintunut": "adopted", "luovuttu": "dropped"}
EXPERIMENT_STATUS_LABELS = {
    "tried": ("kokeiltu", "tried"),
    "adopted": ("vakiintunut käytäntöön", "adopted"),
    "dropped": ("luovuttu", "dropped"),
}
IDEA_ORIGIN = {"asiakkaat": "clients", "kokemusasiantuntijat": "experts_by_experience",
               "tyontekijat": "workers", "johto": "managers", "verkosto": "network",
               "arviointi": "evaluation"}
IDEA_ORIGIN_LABELS = {
    "clients": ("asiakkaat", "clients"),
    "experts_by_experience": ("kokemusasiantuntijat", "experts by experience"),
    "workers": ("työntekijät", "workers"),
    "managers": ("johto", "managers"),
    "network": ("yhteistyöverkosto", "partner network"),
    "evaluation": ("arviointi- ja seurantatieto", "evaluation and monitoring data"),
}
#: Series an experiment may target: the quarterly series the charts draw.
TARGET_MEASURE = {"keskeyttaminen": "dropout", "aloitukset": "entries", "3x10d": "3x10d",
                  "esis": "esis", "whodas12": "whodas12", "eq5d3l": "eq5d3l", "gas": "gas",
                  "muu": "other"}
TARGET_MEASURE_LABELS = {
    "dropout": ("keskeyttäneiden osuus", "dropout share"),
    "entries": ("uudet asiakkuudet", "new episodes"),
    "3x10d": ("3X10D", "3X10D"), "esis": ("ESIS", "ESIS"), "whodas12": ("WHODAS-12", "WHODAS-12"),
    "eq5d3l": ("EQ-5D-3L", "EQ-5D-3L"), "gas": ("GAS", "GAS"),
    "other": ("muu", "other"),
}
# The mechanisms of THL's model (seed 004).
MECHANISM = {"vertaistuki": "peer_support", "monialaisuus": "multi_agency",
             "luottamus": "trust", "kohtaaminen": "encounter", "muu": "other"}
MECHANISM_LABELS = {
    "peer_support": ("vertaistuki", "peer support"),
    "multi_agency": ("monialainen yhteistyö", "multi-agency work"),
    "trust": ("luottamus", "trust"),
    "encounter": ("kohtaamisen taidot", "skill of encounter"),
    "other": ("muu", "other"),
}

QUALITY_RATING_LABELS = {
    1: ("ei toteudu", "not in place"),
    2: ("toteutuu osittain", "partly in place"),
    3: ("toteutuu pääosin", "mostly in place"),
    4: ("toteutuu täysin", "fully in place"),
}

#: Code lists by name, used by the codebook and by reports for labels.
CODE_LABELS: dict[str, dict] = {
    "gender": GENDER_LABELS,
    "target_group": TARGET_GROUP_LABELS,
    "end_reason": END_REASON_LABELS,
    "pathway": PATHWAY_LABELS,
    "mode": CONTACT_MODE_LABELS,
    "content": CONTACT_CONTENT_LABELS,
    "life_area": LIFE_AREA_LABELS,
    "occasion": OCCASION_LABELS,
    "activity_type": ACTIVITY_TYPE_LABELS,
    "placement_status": PLACEMENT_STATUS_LABELS,
    "method": METHOD_LABELS,
    "level": LEVEL_LABELS,
    "level3_site": LEVEL3_SITE_LABELS,
    "experiment_status": EXPERIMENT_STATUS_LABELS,
    "idea_origin": IDEA_ORIGIN_LABELS,
    "target_measure": TARGET_MEASURE_LABELS,
    "mechanism": MECHANISM_LABELS,
    "role": {name: (fi, en) for name, (_, fi, en) in ACTIVITY_ROLES.items()},
    "followup": {"3m": ("3 kk", "3 months"), "6m": ("6 kk", "6 months")},
    "loop_direction": {"up": ("ylös", "up"), "down": ("alas", "down"), "same": ("samalla tasolla", "same level")},
}

#: Instruments with item-level assessment files (``mittari_<id>``); ids as in
#: :func:`soskulib.instruments.available` (GAS lives in the goals table instead).
ASSESSMENT_INSTRUMENTS = ("3x10d", "esis", "whodas12", "eq5d3l")
#: Instruments whose scores are imported from another service's export (``mittari_<id>`` holds
#: the exported scores, not questionnaire answers); not simulated by the demo.
IMPORTED_INSTRUMENTS = ("kykyviisari",)

AGE_BINS = (13, 18, 30, 50, 65, 120)
AGE_GROUP_LABELS = ("13–17", "18–29", "30–49", "50–64", "65+")

# Dates outside this window are impossible for SOSKU-era data.
FIRST_DATE = pd.Timestamp("2015-01-01")
LAST_DATE = pd.Timestamp("2020-12-31")

_HETU = Column("henkilotunnus", "client_id", "hetu", "henkilötunnus (pseudonymisoidaan)", "personal identity code (pseudonymised)")
_MUNI = Column("kunta", "municipality", "municipality", "kunta tai kuntayhtymä (koodi)", "municipality or joint authority (code)")

CLIENTS = Table(
    raw="asiakkaat",
    name="clients",
    label_fi="asiakkaat",
    label_en="clients",
    key=("client_id", "start_date"),
    columns=(
        _MUNI,
        _HETU,
        Column("sukupuoli", "gender", "code", "sukupuoli", "gender", codes=GENDER),
        Column("kohderyhma", "target_group", "code", "kohderyhmä", "target group", codes=TARGET_GROUP),
        Column("alkupvm", "start_date", "date", "asiakkuuden alkupäivä", "start date"),
        Column("loppupvm", "end_date", "date", "asiakkuuden loppupäivä", "end date", required=False),
        Column("paattymissyy", "end_reason", "code", "päättymisen syy", "end reason", required=False, codes=END_REASON),
        Column("jatkopolku", "pathway", "code", "jatkopolku", "onward pathway", required=False, codes=PATHWAY),
        Column("kohderyhmat", "target_groups", "code_set", "kaikki kohderyhmät (joukko)",
               "all target groups (a set)", required=False, codes=TARGET_GROUP),
        Column("jatkopolku_3kk", "placement_3m", "code", "jatkopolku 3 kk jälkeen",
               "placement after 3 months", required=False, codes=PLACEMENT_STATUS),
        Column("jatkopolku_6kk", "placement_6m", "code", "jatkopolku 6 kk jälkeen",
               "placement after 6 months", required=False, codes=PLACEMENT_STATUS),
    ),
)

CONTACTS = Table(
    raw="kaynnit",
    name="contacts",
    label_fi="palvelukäynnit",
    label_en="service contacts",
    key=("client_id", "date", "mode", "content", "minutes"),
    columns=(
        _MUNI,
        _HETU,
        Column("pvm", "date", "date", "käynnin päivä", "contact date"),
        Column("kesto_min", "minutes", "int", "kesto (min)", "duration (minutes)", min=1, max=600),
        Column("muoto", "mode", "code", "toteutustapa", "mode", codes=CONTACT_MODE),
        Column("sisalto", "content", "code", "sisältö (SHL 17 §)", "content (Social Welfare Act §17)", codes=CONTACT_CONTENT),
        Column("tyontekija", "worker", "text", "työntekijä (pseudonyymi)", "worker (pseudonym)",
               required=False),
        Column("menetelma", "method", "code", "menetelmäperhe", "method family", required=False,
               codes=METHOD),
    ),
)

GOALS = Table(
    raw="tavoitteet",
    name="goals",
    label_fi="asiakassuunnitelman tavoitteet",
    label_en="client-plan goals",
    key=("client_id", "goal_no"),
    columns=(
        _MUNI,
        _HETU,
        Column("tavoite_nro", "goal_no", "int", "tavoitteen numero", "goal number", min=1, max=5),
        Column("elamanalue", "life_area", "code", "elämänalue", "life area", codes=LIFE_AREA),
        Column("paino", "weight", "float", "painokerroin", "weight", min=0.1, max=10),
        Column("asetettu_pvm", "set_date", "date", "tavoitteen asettamispäivä", "date goal set"),
        Column("lahtotaso", "baseline_level", "int", "lähtötaso (GAS)", "baseline level (GAS)", min=-2, max=2),
        Column("arvioitu_pvm", "review_date", "date", "arviointipäivä", "review date", required=False),
        Column("saavutus", "attainment", "int", "saavutettu taso (GAS −2…+2)", "attainment (GAS −2…+2)", required=False, min=-2, max=2),
    ),
)

ACTIVITIES = Table(
    raw="kehittaminen",
    name="activities",
    label_fi="kehittämistoiminta",
    label_en="development activities",
    key=("municipality", "date", "activity_type", "theme"),
    personal=False,
    columns=(
        _MUNI,
        Column("pvm", "date", "date", "päivä", "date"),
        Column("tyyppi", "activity_type", "code", "toiminnan tyyppi", "activity type", codes=ACTIVITY_TYPE),
        Column("teema", "theme", "text", "teema", "theme"),
        *(
            Column(raw, name, "int", f"osallistujat: {fi}", f"participants: {en}", min=0, max=500,
                   required=name not in OPTIONAL_ACTIVITY_ROLES)
            for name, (raw, fi, en) in ACTIVITY_ROLES.items()
        ),
        Column("taso", "level", "code", "kehittämisen tuen taso (1–3)", "level of development support (1–3)",
               required=False, codes=LEVEL),
        Column("kunnat", "organisations", "municipality_set", "osallistuvat kunnat ja kuntayhtymät",
               "organisations taking part", required=False),
        Column("ammattilais_vertaisparit", "n_peer_pairs", "int", "ammattilais–vertaistyöparit (paria)",
               "professional–peer pairs (pairs)", required=False, min=0, max=200),
        Column("naiset", "n_women", "int", "osallistujat: naiset", "participants: women",
               required=False, min=0, max=2000),
        Column("miehet", "n_men", "int", "osallistujat: miehet", "participants: men",
               required=False, min=0, max=2000),
    ),
)

EXPERIMENTS = Table(
    raw="kokeilut",
    name="experiments",
    label_fi="ideat ja kokeilut",
    label_en="ideas and experiments",
    key=("municipality", "experiment_id"),
    personal=False,
    columns=(
        _MUNI,
        Column("tunnus", "experiment_id", "text", "kokeilun tunnus", "experiment id"),
        Column("kuvaus", "description", "text", "mitä kokeiltiin", "what was tried"),
        Column("lahde", "origin", "code", "mistä idea tuli", "where the idea came from",
               required=False, codes=IDEA_ORIGIN),
        Column("ideataso", "raised_level", "code", "taso, jolla idea nousi", "level where the idea was raised",
               required=False, codes=LEVEL),
        Column("alkupvm", "start_date", "date", "kokeilun alkupäivä", "start date"),
        Column("kohdepalvelu", "target_service", "text", "palvelu, johon kokeilu kohdistuu",
               "service the experiment targets", required=False),
        Column("kohdemittari", "target_measure", "code", "seurattava tunnusluku tai sarja",
               "indicator or series it targets", codes=TARGET_MEASURE),
        Column("mekanismi", "mechanism", "code", "mekanismi (THL:n malli)", "mechanism (THL model)",
               required=False, codes=MECHANISM),
        Column("tila", "status", "code", "tila", "status", codes=EXPERIMENT_STATUS),
        Column("tilapvm", "status_date", "date", "tilan päivä", "status date", required=False),
        Column("omaksuttu_taso", "adopted_level", "code", "taso, jolla kokeilu otettiin käyttöön",
               "level where it was taken up", required=False, codes=LEVEL),
    ),
)

GROUP_SESSIONS = Table(
    raw="ryhmakerrat",
    name="group_sessions",
    label_fi="avoimet ryhmäkerrat (ilman henkilötietoja)",
    label_en="open group sessions (no personal data)",
    key=("municipality", "date", "group"),
    personal=False,
    columns=(
        _MUNI,
        Column("pvm", "date", "date", "päivä", "date"),
        Column("ryhma", "group", "text", "ryhmä", "group"),
        Column("menetelma", "method", "code", "menetelmäperhe", "method family", required=False,
               codes=METHOD),
        Column("kesto_min", "minutes", "int", "kesto (min)", "duration (minutes)", required=False,
               min=1, max=600),
        Column("osallistujat", "n_participants", "int", "osallistujia", "participants", min=0, max=500),
        Column("naiset", "n_women", "int", "osallistujat: naiset", "participants: women",
               required=False, min=0, max=500),
        Column("miehet", "n_men", "int", "osallistujat: miehet", "participants: men",
               required=False, min=0, max=500),
        Column("tyontekija", "worker", "text", "ohjaaja (pseudonyymi)", "facilitator (pseudonym)",
               required=False),
    ),
)

QUALITY = Table(
    raw="laatukriteerit",
    name="quality",
    label_fi="laatukriteerien itsearviointi",
    label_en="quality-criteria self-assessment",
    key=("municipality", "year", "criterion"),
    personal=False,
    columns=(
        _MUNI,
        Column("vuosi", "year", "int", "vuosi", "year", min=2015, max=2020),
        Column("kriteeri", "criterion", "int", "kriteeri (1–10)", "criterion (1–10)", min=1, max=10),
        Column("arvio", "rating", "int", "arvio (1–4)", "rating (1–4)", min=1, max=4),
    ),
)

SUBPROJECTS = Table(
    raw="osahankkeet",
    name="subprojects",
    label_fi="osahankkeet ja tavoitteet",
    label_en="sub-projects and targets",
    key=("municipality",),
    personal=False,
    columns=(
        _MUNI,
        Column("nimi", "name", "text", "osahankkeen nimi", "sub-project name"),
        Column("suunniteltu_asiakasmaara", "planned_clients", "int", "suunniteltu asiakasmäärä", "planned number of clients", min=1, max=100000),
        Column("mittarit", "instruments", "text", "käytetyt mittarit", "instruments in use", required=False),
        Column("taso3", "level3_site", "code", "tason 3 intensiivinen kehittämiskunta (kylla/ei)",
               "intensive level-3 site (kylla/ei)", required=False, codes=LEVEL3_SITE),
    ),
)


#: Raw columns added to existing tables by the development-work layout (levels, roles by
#: gender, workers, methods, target-group sets, placements held, answer codings). An export in
#: the first layout lacks them: validation says so once per file (rule ``old_layout``, a
#: warning) and reads them as empty. The tables ``kokeilut`` and ``ryhmakerrat`` are new.
ADDED_COLUMNS = frozenset({
    "kohderyhmat", "jatkopolku_3kk", "jatkopolku_6kk",          # asiakkaat
    "tyontekija", "menetelma",                                   # kaynnit
    "kehittajaasiakkaat", "vertaisohjaajat", "asiakasraati",     # kehittaminen
    "taso", "kunnat", "ammattilais_vertaisparit", "naiset", "miehet",
    "taso3",                                                     # osahankkeet
    "koodaus",                                                   # mittari_<id>
})


def assessment_table(instrument_id: str) -> Table:
    """Declare the raw/processed assessment table of one instrument.

    Raw file ``mittari_<id>``, processed table ``responses_<id>``; item columns carry the
    instrument's own item ids in both, ranges come from the instrument spec.

    Parameters
    ----------
    instrument_id : str
        Instrument id (see :func:`soskulib.instruments.available`).

    Returns
    -------
    Table
        Columns ``kunta``/``municipality``, the identity code, ``pvm``/``date``,
        ``mittauskerta``/``occasion`` and one column per item; key ``(client_id, occasion)``.

    Examples
    --------
    >>> assessment_table("esis").name
    'responses_esis'
    """
    from soskulib import instruments

    inst = instruments.get(instrument_id)
    # An instrument with a declared alternative answer coding (WHODAS 1-5) may say per row
    # which coding its answers use.
    coding = tuple(
        Column("koodaus", "coding", "code", "vastausten koodaus", "answer coding", required=False,
               codes={name: name for name in inst.codings})
        for _ in (0,) if inst.codings)
    items = tuple(
        Column(item, item, "item", f"{inst.name}: {item}", f"{inst.name}: {item}", required=False,
               min=inst.item_range(item)[0], max=inst.item_range(item)[1])
        for item in inst.items
    )
    return Table(
        raw=f"mittari_{instrument_id}",
        name=f"responses_{instrument_id}",
        label_fi=f"arvioinnit: {inst.name}",
        label_en=f"assessments: {inst.name}",
        key=("client_id", "occasion"),
        columns=(
            _MUNI,
            _HETU,
            Column("pvm", "date", "date", "arviointipäivä", "assessment date"),
            Column("mittauskerta", "occasion", "code", "mittauskerta", "occasion", codes=OCCASION),
            *coding,
            *items,
        ),
    )


def tables() -> list[Table]:
    """All declared tables: fixed ones first, then one assessment table per instrument.

    Returns
    -------
    list of Table

    Examples
    --------
    >>> [t.name for t in tables()][:3]
    ['subprojects', 'clients', 'contacts']
    """
    return [SUBPROJECTS, CLIENTS, CONTACTS, GOALS, ACTIVITIES, QUALITY, EXPERIMENTS,
            GROUP_SESSIONS] + [assessment_table(i)
                               for i in ASSESSMENT_INSTRUMENTS + IMPORTED_INSTRUMENTS]


def table_by_raw_name(raw: str) -> Table | None:
    """Find the table whose raw name is ``raw`` (case-insensitive), else ``None``.

    Parameters
    ----------
    raw : str
        Raw table name (file stem or sheet name), surrounding space ignored.

    Returns
    -------
    Table or None

    Examples
    --------
    >>> table_by_raw_name(" Asiakkaat ").name
    'clients'
    >>> table_by_raw_name("notes") is None
    True
    """
    raw = raw.strip().lower()
    for t in tables():
        if t.raw == raw:
            return t
    return None


@cache
def organisations() -> pd.DataFrame:
    """The SOSKU municipalities and joint authorities with their codes.

    Codes are Statistics Finland municipality codes; a joint authority carries the code of its
    seat municipality (noted in the ``note`` column). Business IDs are from the programme's
    ESF application (seed 001).

    Returns
    -------
    DataFrame
        One row per organisation, all columns ``str``: ``code, slug, name_fi, name_en, kind,
        business_id, seat_municipality, note`` (read from ``soskulib/data/organisations.csv``).

    Examples
    --------
    >>> orgs = organisations()
    >>> len(orgs), orgs.loc[orgs["code"] == "092", "slug"].item()
    (9, 'vantaa')
    """
    with resources.files("soskulib.data").joinpath("organisations.csv").open(encoding="utf-8") as fh:
        return pd.read_csv(fh, sep=";", dtype=str, keep_default_na=False)


@cache
def quality_criteria() -> pd.DataFrame:
    """The ten quality criteria (THL 2018 recommendation), Finnish and English.

    The wording is a paraphrase that has not been checked against the published
    recommendation (``verified`` column); replace the data file when it has been.

    Returns
    -------
    DataFrame
        ``criterion`` (1-10), ``short_fi, short_en, text_fi, text_en, verified`` (read from
        ``soskulib/data/quality_criteria.csv``).

    Examples
    --------
    >>> qc = quality_criteria()
    >>> len(qc), qc["criterion"].tolist()[:3]
    (10, [1, 2, 3])
    """
    with resources.files("soskulib.data").joinpath("quality_criteria.csv").open(encoding="utf-8") as fh:
        return pd.read_csv(fh, sep=";", dtype={"criterion": int})


def label(code_list: str, code: str, lang: Literal["fi", "en"] = "en") -> str:
    """Return the Finnish or English label of ``code`` in ``code_list``.

    Parameters
    ----------
    code_list : str
        Name of a code list in ``CODE_LABELS`` (``"gender"``, ``"pathway"``, ...).
    code : str
        Processed code.
    lang : {"fi", "en"}
        Language.

    Returns
    -------
    str

    Examples
    --------
    >>> label("pathway", "work_trial", "fi")
    'työkokeilu'
    """
    fi, en = CODE_LABELS[code_list][code]
    return fi if lang == "fi" else en


#: Columns the processed ``clients`` table adds, derived before the identity code is dropped.
DERIVED_CLIENT_COLUMNS = {
    "age": ("ikä asiakkuuden alkaessa", "age at start"),
    "age_group": ("ikäryhmä", "age group"),
}
