"""Finnish and English strings of the rendered reports (headings, captions, fixed prose).

Code-list labels (gender, target group, pathway, ...) live in :mod:`soskulib.schema`;
instrument and item labels in the instrument specs. Everything else a report reader sees is
in one data file, ``soskulib/data/report_strings.toml``, so that a report switches language
with one parameter and a translator edits one file (no Python); this module loads it once into
:data:`STRINGS` and looks strings up. The English of the demo export's own free text is in
``soskulib/data/data_text_en.toml`` (:func:`data_text`).

Each entry maps a key to ``(Finnish, English)``. Strings may contain ``str.format`` fields;
both languages of an entry must use the same fields (checked when the file is loaded).

Examples
--------
>>> from soskulib import labels
>>> labels.text("table", "fi"), labels.text("table", "en")
('Taulukko', 'Table')
>>> labels.text("report.municipality.title", "en", name="Vantaa")
'Municipality report: Vantaa'
"""

from __future__ import annotations

import os
import string
import tomllib
from importlib import resources
from pathlib import Path
from typing import Literal

Lang = Literal["fi", "en"]

#: Report languages; the first is the default.
LANGUAGES: tuple[str, ...] = ("fi", "en")

STRINGS_FILE = "report_strings.toml"
DATA_TEXT_FILE = "data_text_en.toml"


def _read_toml(name: str, path: str | os.PathLike | None = None) -> dict:
    source = Path(path) if path is not None else resources.files("soskulib.data").joinpath(name)
    with source.open("rb") as fh:
        return tomllib.load(fh)


def _format_fields(text: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(text) if field is not None}


def load_strings(path: str | os.PathLike | None = None) -> dict[str, tuple[str, str]]:
    """Read the report strings: key -> ``(Finnish, English)``, in the file's order.

    Parameters
    ----------
    path : path, optional
        A strings file (default ``soskulib/data/report_strings.toml``): one TOML table per
        key with the string fields ``fi`` and ``en``.

    Returns
    -------
    dict
        Key -> ``(Finnish, English)``.

    Raises
    ------
    ValueError
        An entry lacks a language, has another field, is not text, or its two languages use
        different ``str.format`` fields (the message names the file and the key).

    Examples
    --------
    >>> load_strings()["table"]
    ('Taulukko', 'Table')
    """
    strings: dict[str, tuple[str, str]] = {}
    name = str(path) if path is not None else f"soskulib/data/{STRINGS_FILE}"
    for key, entry in _read_toml(STRINGS_FILE, path).items():
        where = f"{name}: [{key!r}]"
        if not isinstance(entry, dict) or set(entry) != set(LANGUAGES):
            raise ValueError(f"{where}: give exactly the fields fi and en, got {entry!r}")
        fi, en = entry["fi"], entry["en"]
        if not (isinstance(fi, str) and isinstance(en, str)):
            raise ValueError(f"{where}: fi and en must be text")
        if _format_fields(fi) != _format_fields(en):
            raise ValueError(f"{where}: the Finnish and English text use different fields "
                             f"({sorted(_format_fields(fi))} vs {sorted(_format_fields(en))})")
        strings[key] = (fi, en)
    return strings


#: Every report string: key -> ``(Finnish, English)`` (from ``report_strings.toml``).
STRINGS: dict[str, tuple[str, str]] = load_strings()



def rule_label(rule: str, lang: str = "fi") -> str:
    """A validation rule or reject reason in words; several reasons (``"a;b"``) joined.

    Unknown ids are shown as they are (a new rule without a label yet).

    Examples
    --------
    >>> rule_label("duplicate_key", "fi"), rule_label("invalid_hetu;out_of_range", "en")
    ('sama tunniste kahdesti', 'invalid personal identity code; out of range')
    """
    parts = [p.strip() for p in str(rule).replace(",", ";").split(";") if p.strip()]
    return "; ".join(text(f"rule.{p}", lang) if f"rule.{p}" in STRINGS else p for p in parts)


def text(key: str, lang: Lang | str = "fi", /, **fields: object) -> str:
    """Return the string ``key`` in ``lang``, formatted with ``fields``.

    Parameters
    ----------
    key : str
        Key in :data:`STRINGS`.
    lang : {"fi", "en"}
        Language.
    **fields
        Values for the ``str.format`` fields of the string.

    Raises
    ------
    KeyError
        If ``key`` is unknown (the message lists similar keys).
    ValueError
        If ``lang`` is not one of :data:`LANGUAGES`.

    Examples
    --------
    >>> text("figure", "en")
    'Figure'
    """
    check_lang(lang)
    try:
        fi, en = STRINGS[key]
    except KeyError:
        prefix = key.split(".")[0]
        near = sorted(k for k in STRINGS if k.startswith(prefix))[:8]
        raise KeyError(f"no report string {key!r}; similar keys: {', '.join(near) or 'none'}. "
                       "Add it to soskulib/data/report_strings.toml.") from None
    s = fi if lang == "fi" else en
    return s.format(**fields) if fields else s


def check_lang(lang: object) -> str:
    """Return ``lang`` if it is a supported report language, else raise ``ValueError``.

    Examples
    --------
    >>> check_lang("en")
    'en'
    """
    if lang not in LANGUAGES:
        raise ValueError(f"report language must be one of {', '.join(LANGUAGES)}, got {lang!r}")
    return str(lang)


def register(strings: dict[str, tuple[str, str]]) -> None:
    """Add report strings (used by notebook-specific prose kept beside the others).

    Raises ``ValueError`` when a key is already defined with different text, so two modules
    cannot silently overwrite each other's wording.
    """
    for key, pair in strings.items():
        if len(pair) != 2:
            raise ValueError(f"report string {key!r} needs (Finnish, English), got {pair!r}")
        if key in STRINGS and STRINGS[key] != tuple(pair):
            raise ValueError(f"report string {key!r} is already defined with different text")
        STRINGS[key] = (pair[0], pair[1])









#: English for the free text the demo export writes (experiment descriptions and target
#: services, activity themes, open groups, sub-project names): our own vocabulary, so English
#: pages translate it. Free text from a real municipality's export that is not in this table
#: is shown as recorded, marked with :data:`AS_RECORDED` (see :func:`data_text`). Read from
#: ``soskulib/data/data_text_en.toml``.
DATA_TEXT_EN: dict[str, str] = _read_toml(DATA_TEXT_FILE)

#: Added after free text shown on an English page as the municipality recorded it.
AS_RECORDED = "(in Finnish, as recorded)"


def data_text(value: object, lang: Lang | str = "fi") -> object:
    """Free text from the data (an experiment's description, a theme, a group's name) for a page.

    Finnish pages show it as recorded. English pages show the English of our own vocabulary
    (:data:`DATA_TEXT_EN`: what the demo export writes); any other text is the
    municipality's own words, shown as recorded and marked :data:`AS_RECORDED`, so that an
    English page never mixes languages silently. Missing values pass through.

    Parameters
    ----------
    value : str or missing
        The text as in the processed data.
    lang : {"fi", "en"}
        Page language.

    Returns
    -------
    str or the missing value

    Examples
    --------
    >>> data_text("Avoin vertaisryhmä", "en"), data_text("Avoin vertaisryhmä", "fi")
    ('Open peer group', 'Avoin vertaisryhmä')
    >>> data_text("Kahvila Kohtaamo", "en")
    'Kahvila Kohtaamo (in Finnish, as recorded)'
    """
    check_lang(lang)
    if lang == "fi" or not isinstance(value, str) or not value.strip():
        return value
    return DATA_TEXT_EN.get(value.strip(), f"{value} {AS_RECORDED}")
