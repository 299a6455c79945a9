"""The soskulib data model: raw municipal exports and the processed tables built from them.

Every table, column, code list and label that the pipeline knows is declared once, as data, in
``soskulib/data/schema.toml``; this module reads it into :class:`Table` and :class:`Column`
objects and code-list dicts. Reading (:mod:`soskulib.io`), validation
(:mod:`soskulib.validation`), preparation (:mod:`soskulib.prepare`), the codebook
(:mod:`soskulib.codebook`) and the demo generator (:mod:`soskulib.demo`) all derive their
behaviour from it, so a column is renamed or a code added there and nowhere else.

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

import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any, Literal

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
# The declarations: soskulib/data/schema.toml, read once.
# ---------------------------------------------------------------------------------------------

SCHEMA_FILE = "schema.toml"


def _read_spec() -> dict[str, Any]:
    with resources.files("soskulib.data").joinpath(SCHEMA_FILE).open("rb") as fh:
        return tomllib.load(fh)


_SPEC = _read_spec()

#: Code lists by name: processed code -> (Finnish, English) label, in report order. Used by
#: the codebook and by reports for labels.
CODE_LABELS: dict[str, dict] = {
    name: {row["code"]: (row["fi"], row["en"]) for row in rows}
    for name, rows in _SPEC["code_lists"].items()
}
#: Code lists by name: raw code (as municipalities export it) -> processed code (English,
#: snake_case); only the lists that have raw codes.
CODES: dict[str, dict[str, str]] = {
    name: {row["raw"]: row["code"] for row in rows}
    for name, rows in _SPEC["code_lists"].items() if all("raw" in row for row in rows)
}

# The code lists by the names the modules use: raw -> processed code ...
GENDER = CODES["gender"]
TARGET_GROUP = CODES["target_group"]
END_REASON = CODES["end_reason"]
PATHWAY = CODES["pathway"]
PLACEMENT_STATUS = CODES["placement_status"]
CONTACT_MODE = CODES["mode"]
CONTACT_CONTENT = CODES["content"]
LIFE_AREA = CODES["life_area"]
METHOD = CODES["method"]
OCCASION = CODES["occasion"]
ACTIVITY_TYPE = CODES["activity_type"]
LEVEL = CODES["level"]
LEVEL3_SITE = CODES["level3_site"]
EXPERIMENT_STATUS = CODES["experiment_status"]
IDEA_ORIGIN = CODES["idea_origin"]
TARGET_MEASURE = CODES["target_measure"]
MECHANISM = CODES["mechanism"]
# ... and processed code -> (Finnish, English) label.
GENDER_LABELS = CODE_LABELS["gender"]
TARGET_GROUP_LABELS = CODE_LABELS["target_group"]
END_REASON_LABELS = CODE_LABELS["end_reason"]
PATHWAY_LABELS = CODE_LABELS["pathway"]
PLACEMENT_STATUS_LABELS = CODE_LABELS["placement_status"]
CONTACT_MODE_LABELS = CODE_LABELS["mode"]
CONTACT_CONTENT_LABELS = CODE_LABELS["content"]
LIFE_AREA_LABELS = CODE_LABELS["life_area"]
METHOD_LABELS = CODE_LABELS["method"]
OCCASION_LABELS = CODE_LABELS["occasion"]
ACTIVITY_TYPE_LABELS = CODE_LABELS["activity_type"]
LEVEL_LABELS = CODE_LABELS["level"]
LEVEL3_SITE_LABELS = CODE_LABELS["level3_site"]
EXPERIMENT_STATUS_LABELS = CODE_LABELS["experiment_status"]
IDEA_ORIGIN_LABELS = CODE_LABELS["idea_origin"]
TARGET_MEASURE_LABELS = CODE_LABELS["target_measure"]
MECHANISM_LABELS = CODE_LABELS["mechanism"]

#: The target groups of the first data layout (one code per episode); the later codes were
#: added with the set-valued ``kohderyhmat`` column (seed 001 lists all of them).
TARGET_GROUP_FIRST_LAYOUT = tuple(list(TARGET_GROUP)[:7])
#: Pathways of the first data layout, in order (the demo draws these, then the later ones).
PATHWAY_FIRST_LAYOUT = tuple(list(PATHWAY)[:6])

_ROLES = _SPEC["code_lists"]["role"]
#: Participant roles in the development-activity log: processed column -> (raw column, fi, en).
ACTIVITY_ROLES = {row["code"]: (row["raw"], row["fi"], row["en"]) for row in _ROLES}
#: Roles added after the first data layout: optional columns (an old export reads as missing).
OPTIONAL_ACTIVITY_ROLES = tuple(row["code"] for row in _ROLES if row.get("optional"))
#: Roles whose people bring lived experience (clients and the client-based roles).
LIVED_EXPERIENCE_ROLES = tuple(row["code"] for row in _ROLES if row.get("lived_experience"))

QUALITY_RATING_LABELS = {
    1: ("ei toteudu", "not in place"),
    2: ("toteutuu osittain", "partly in place"),
    3: ("toteutuu pääosin", "mostly in place"),
    4: ("toteutuu täysin", "fully in place"),
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



def _column(spec: Mapping[str, Any], where: str) -> Column:
    fields = dict(spec)
    codes = fields.pop("codes", None)
    try:
        return Column(**fields, codes=CODES[codes] if codes else {})
    except (TypeError, KeyError) as err:
        raise ValueError(f"soskulib/data/{SCHEMA_FILE}: {where}: {err}") from None


def _role_columns(spec: Mapping[str, Any]) -> list[Column]:
    """One participant-count column per role (``{ roles = "<kind>", ... }`` in a table)."""
    return [Column(raw, name, spec["roles"], spec["label_fi"].format(fi=fi),
                   spec["label_en"].format(en=en), required=name not in OPTIONAL_ACTIVITY_ROLES,
                   min=spec.get("min"), max=spec.get("max"))
            for name, (raw, fi, en) in ACTIVITY_ROLES.items()]


_SHARED_COLUMNS = {name: _column(spec, f"[columns.{name}]")
                   for name, spec in _SPEC["columns"].items()}
_MUNI, _HETU = _SHARED_COLUMNS["municipality"], _SHARED_COLUMNS["identity_code"]


def _table(name: str, spec: Mapping[str, Any]) -> Table:
    columns: list[Column] = []
    for i, col in enumerate(spec["columns"]):
        if "shared" in col:
            columns.append(_SHARED_COLUMNS[col["shared"]])
        elif "roles" in col:
            columns.extend(_role_columns(col))
        else:
            columns.append(_column(col, f"[tables.{name}] column {i + 1}"))
    return Table(raw=spec["raw"], name=name, label_fi=spec["label_fi"],
                 label_en=spec["label_en"], columns=tuple(columns), key=tuple(spec["key"]),
                 personal=spec.get("personal", True))


#: The fixed tables by processed name, in the order of :func:`tables`.
TABLES: dict[str, Table] = {name: _table(name, spec) for name, spec in _SPEC["tables"].items()}
SUBPROJECTS, CLIENTS, CONTACTS, GOALS = (TABLES[n] for n in ("subprojects", "clients",
                                                            "contacts", "goals"))
ACTIVITIES, QUALITY, EXPERIMENTS, GROUP_SESSIONS = (TABLES[n] for n in (
    "activities", "quality", "experiments", "group_sessions"))


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
    return [*TABLES.values()] + [assessment_table(i)
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


#: Order in which the reports show a code list's categories, where it differs from the
#: export's code order. Gender: women, men, other ("naiset ja miehet", the order of the
#: population note), in every table, figure, legend and CSV of both languages; the export
#: codes men as 1, so the code list itself keeps men first.
DISPLAY_ORDER: dict[str, tuple[str, ...]] = {"gender": ("female", "male", "other")}


def display_order(code_list: str) -> tuple[str, ...]:
    """Codes of ``code_list`` in the order the reports show them (:data:`DISPLAY_ORDER`).

    Parameters
    ----------
    code_list : str
        Name of a code list in ``CODE_LABELS``.

    Returns
    -------
    tuple of str

    Examples
    --------
    >>> display_order("gender")
    ('female', 'male', 'other')
    >>> display_order("occasion")[:2]
    ('baseline', 'end')
    """
    codes = tuple(CODE_LABELS[code_list])
    first = DISPLAY_ORDER.get(code_list, ())
    return first + tuple(c for c in codes if c not in first)


def in_display_order(code_list: str, values: Iterable[Any]) -> list[Any]:
    """Distinct ``values`` (codes, or their Finnish or English labels) in display order.

    Values that are neither codes nor labels of ``code_list`` come last, sorted as text.

    Parameters
    ----------
    code_list : str
        Name of a code list in ``CODE_LABELS``.
    values : iterable
        Codes or labels, in any order, duplicates allowed.

    Returns
    -------
    list

    Examples
    --------
    >>> in_display_order("gender", ["mies", "muu / ei tiedossa", "nainen", "mies"])
    ['nainen', 'mies', 'muu / ei tiedossa']
    >>> in_display_order("gender", ["male", "female"])
    ['female', 'male']
    """
    rank: dict[Any, int] = {}
    for i, code in enumerate(display_order(code_list)):
        for key in (code, *CODE_LABELS[code_list][code]):
            rank.setdefault(key, i)
    distinct = list(dict.fromkeys(values))
    return sorted(distinct, key=lambda v: (rank.get(v, len(rank)), str(v)))


#: Columns the processed ``clients`` table adds, derived before the identity code is dropped.
DERIVED_CLIENT_COLUMNS = {
    "age": ("ikä asiakkuuden alkaessa", "age at start"),
    "age_group": ("ikäryhmä", "age group"),
}
