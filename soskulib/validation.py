"""Validation of raw exports against the declared schemas of :mod:`soskulib.schema`.

Every rule is derived from the declarations (column kind, ``required``, ``min``/``max``,
``codes``, table ``key``) plus the few cross-column rules declared in :data:`DATE_ORDER` and
:data:`REFERENCES`; nothing is hand-written per table. Each rule is a vectorised boolean mask
over a column; the failing rows (and only those) are turned into located messages
``FILE:ROW:COLUMN: rule_id: what is wrong``.

Why not pandera: its lazy validation reports failure cases by index and *parsed* value, after
coercion has already turned ``'31.02.2017'`` or ``'12,5x'`` into ``NaT``/``NaN``; we need the
raw cell, the file row, one rule id per check (``impossible_date`` vs ``date_out_of_window``)
and several rules per row. Mapping pandera's failure-case frame back to that was more code than
the checks themselves, so the checks are plain pandas masks in the same declarative spirit.

Rules (ids; the demo's planted problems use the same ones, see ``soskulib.demo.PROBLEM_RULES``)

file level
    ``empty_file``, ``not_text`` (binary: many NUL or control characters), ``not_xlsx``,
    ``not_sav``, ``unknown_format``, ``unknown_table`` (file/sheet name is not a table),
    ``wrong_header`` (a column whose values are required is missing, or a column appears twice:
    every row of the file is rejected), ``no_header`` (the first row holds values: the header
    line is missing; every row, that one included, is rejected and none is echoed),
    ``sheet_too_large`` (an xlsx used range too large to read), ``missing_sheet``,
    ``symlink`` (links are not followed, :data:`soskulib.io.LINK_RULE`),
    ``unknown_municipality`` (folder code), and warnings that reject nothing:
    ``unknown_column``, ``missing_optional_column``, ``no_rows`` (header only),
    ``missing_table`` (a municipality folder or workbook lacks one of :data:`FOLDER_TABLES`),
    ``hetu_in_text`` (an identity code in free text, stored masked), ``old_layout`` (columns
    added by the development-work layout are missing: one warning per file naming them).
row level (warning)
    ``level3_not_intensive_site`` (a level-3 activity logged by an organisation that
    ``osahankkeet`` does not mark as an intensive level-3 site; checked when the sub-project
    file with its ``taso3`` column is among the files validated).
row level
    ``too_long`` (a cell over 32,767 characters), ``control_character`` (NUL, BEL, ... shown
    as escapes), ``truncated``, ``wrong_field_count``, ``bad_encoding``, ``missing_required``,
    ``not_a_number``, ``not_an_integer``, ``out_of_range``, ``unknown_code``,
    ``impossible_date``, ``date_out_of_window`` (outside ``FIRST_DATE..LAST_DATE``),
    ``end_before_start``, ``invalid_hetu`` (form, birth-date part, individual number, check
    character), ``implausible_age`` (age at start outside the age bins),
    ``unknown_municipality``, ``municipality_mismatch`` (row code differs from its folder),
    ``duplicate_row`` (exact copy of an earlier row; column ``-``), ``duplicate_key`` (same key
    as an earlier valid row; column = first key column), ``unknown_client`` (contacts/goals/responses of a person who is not an
    accepted client of that municipality; more than :data:`CASCADE_LIMIT` in one file are
    reported as one line for that file).

A row that breaks any rule is rejected once, its ``reason`` listing every rule id it broke.
Missing *optional* values, including unanswered instrument items, break no rule. The first
occurrence of a duplicate is kept. Identity codes are never quoted in a message (a value that
looks like one is shown as ``<hetu>``), and every finding is one line: file names, column
names and messages pass :func:`soskulib.sanitize.scrub` and :func:`soskulib.sanitize.visible`.
An unexpected error (a bug) in one file is recorded, not raised, so the other files'
findings survive (:class:`soskulib.errors.InternalError`, exit code 3).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from soskulib import io as sio
from soskulib import pseudonym, sanitize, schema
from soskulib.errors import ConfigurationError, InternalError, Problem, describe

#: Date pairs that must be in order: processed table -> [(earlier, later)].
DATE_ORDER = {"clients": [("start_date", "end_date")], "goals": [("set_date", "review_date")],
              "experiments": [("start_date", "status_date")]}
#: Tables whose rows must belong to an accepted client of the same municipality.
REFERENCES = ("contacts", "goals") + tuple(
    f"responses_{i}" for i in schema.ASSESSMENT_INSTRUMENTS + schema.IMPORTED_INSTRUMENTS)
#: File-level rules that only warn.
WARNING_RULES = frozenset({"unknown_column", "missing_optional_column", "old_layout",
                           "hetu_in_text", "no_rows", "missing_table",
                           "level3_not_intensive_site"})
_QUOTE_WIDTH = 40
#: Tables every municipality folder delivers (a folder without one: ``missing_table``).
FOLDER_TABLES = ("clients", "contacts", "goals", "activities", "quality")
#: Above this many ``unknown_client`` rows in one file they are reported as one line.
CASCADE_LIMIT = 20


@dataclass(frozen=True, order=True)
class Finding(Problem):
    """A :class:`~soskulib.errors.Problem` that also carries its rule id and level.

    Attributes
    ----------
    file, row, column, message
        As in :class:`~soskulib.errors.Problem` (row as in the file, header = 1; ``"-"`` where
        it does not apply).
    rule : str
        Rule id, e.g. ``"impossible_date"``.
    level : {"error", "warning"}
        Warnings (:data:`WARNING_RULES`) break no rule.

    Examples
    --------
    >>> f = Finding("092_vantaa/kaynnit.csv", 2, "pvm", "impossible_date: not a date",
    ...             "impossible_date")
    >>> print(f)
    092_vantaa/kaynnit.csv:2:pvm: impossible_date: not a date
    >>> f.level
    'error'
    """

    rule: str = ""
    level: str = "error"


@dataclass
class TableResult:
    """Validation outcome of one table (all its files concatenated, in file order).

    ``frame`` holds the parsed processed columns plus bookkeeping columns ``_source``,
    ``_row``, ``_hetu`` (normalised identity code, personal tables) and ``_birth``;
    ``raw`` the raw cells of the rejected rows (index = row position in ``frame``);
    ``reason`` is ``""`` for accepted rows.

    Examples
    --------
    >>> result = validate(read_paths([export_dir])[0])   # doctest: +SKIP
    >>> clients = result.tables["clients"]                # doctest: +SKIP
    >>> int(clients.accepted.sum()), len(clients.reason)  # doctest: +SKIP
    """

    table: schema.Table
    frame: pd.DataFrame
    raw: pd.DataFrame
    reason: pd.Series
    failures: pd.DataFrame

    @property
    def accepted(self) -> np.ndarray:
        """Boolean mask of accepted rows."""
        return (self.reason == "").to_numpy()


@dataclass
class ValidationResult:
    """Everything :func:`validate` found: per-table results, findings, input files.

    Attributes
    ----------
    tables : dict
        Processed table name -> :class:`TableResult`.
    findings : list of Finding
        Every problem, sorted (:func:`sort_findings`).
    inputs : list of dict
        One entry per input file (name, tables, rows, checksum) for the manifest.
    internal_errors : list of (str, str)
        Files met by a bug (name, description); their rows are missing from ``tables``.

    Examples
    --------
    >>> result = validate(read_paths([export_dir])[0])  # doctest: +SKIP
    >>> len(result.errors), sorted(result.tables)[:2]   # doctest: +SKIP
    """

    tables: dict[str, TableResult]
    findings: list[Finding]
    inputs: list[dict] = field(default_factory=list)
    internal_errors: list[tuple[str, str]] = field(default_factory=list)

    @property
    def errors(self) -> list[Finding]:
        """Findings that break a rule (warnings excluded)."""
        return [f for f in self.findings if f.level == "error"]


def quote(values: pd.Series) -> pd.Series:
    """Values as shown in messages: quoted, shortened, identity-code-like text masked.

    Parameters
    ----------
    values : Series
        Raw cell values.

    Returns
    -------
    Series of str
        Each value in single quotes, identity-code-like text replaced by ``<hetu>``
        (:func:`soskulib.sanitize.scrub`), invisible characters written as escapes
        (:func:`soskulib.sanitize.visible`), cut to 40 characters with ``…``.

    Examples
    --------
    >>> quote(pd.Series(["31.02.2017", "id 131052-9085", "valmennus\\x07"])).tolist()
    ["'31.02.2017'", "'id <hetu>'", "'valmennus\\\\x07'"]
    """
    text = sanitize.visible_series(sanitize.scrub(values.astype("str")))
    long = text.str.len() > _QUOTE_WIDTH
    text = text.where(~long, text.str.slice(0, _QUOTE_WIDTH - 1) + "…")
    return "'" + text + "'"


def _fmt(x: float) -> str:
    return f"{x:g}"


class _Collector:
    """Accumulates failures of one raw table (positions local to that table)."""

    def __init__(self, rows: np.ndarray, index: pd.Index):
        self.rows, self.index, self.parts = rows, index, []

    def add(self, mask, column: str, rule: str, text: str | None,
            values: pd.Series | None = None, quoted: bool = True) -> None:
        """Record ``mask`` rows; message ``rule: 'value' text`` (values quoted lazily)."""
        m = np.asarray(mask, dtype=bool)
        if not m.any():
            return
        pos = np.flatnonzero(m)
        if values is not None:
            shown = quote(values[m]) if quoted else values[m].astype("str")
            message = (f"{rule}: " + shown + text).to_numpy(dtype=object)
        else:
            message = None if text is None else f"{rule}: {text}"
        self.parts.append(sio.failures(pos, self.rows[pos], column, rule, message))


def _known_municipalities() -> set[str]:
    return set(schema.organisations()["code"])


def check_raw_table(raw: sio.RawTable) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Parse and check one raw table; return ``(processed frame, failure frame)``.

    The processed frame has the processed column names and dtypes-to-be (unconverted ints are
    float until acceptance) and bookkeeping columns; failures use local row positions.

    Parameters
    ----------
    raw : io.RawTable
        A table read by :func:`soskulib.io.read_raw` whose ``table`` is declared.

    Returns
    -------
    (DataFrame, DataFrame)
        The processed frame and the failures (:data:`soskulib.io.FAILURE_COLUMNS`).

    Examples
    --------
    >>> raw = sio.read_raw(export_dir / "092_vantaa" / "kaynnit.csv")[0]  # doctest: +SKIP
    >>> frame, fails = check_raw_table(raw)                                 # doctest: +SKIP
    >>> fails["rule"].value_counts()                                        # doctest: +SKIP
    """
    table = raw.table
    data = raw.data
    n = len(data)
    out = _Collector(raw.rows, data.index)
    file_fails = [raw.failures]
    present = set(data.columns)
    declared = {c.raw for c in table.columns}
    # A header without its line (no_header) or naming a column twice: columns are unreliable.
    header_rule = next((r for r in ("no_header", "wrong_header")
                        if (raw.failures["rule"] == r).any()), None)
    has_header = raw.countable and len(data.columns) > 0 and header_rule != "no_header"
    header_broken = header_rule is not None
    if has_header:
        added = [c.raw for c in table.columns
                 if c.raw in schema.ADDED_COLUMNS and c.raw not in present]
        if added:
            file_fails.append(sio.failures(
                [-1], 1, "-", "old_layout",
                f"old_layout: the file has the first data layout; columns added since "
                f"({', '.join(added)}) are read as empty (warning; see docs/codebook.md)"))
        for c in table.columns:
            if c.raw in present or c.raw in added:
                continue
            if c.required:
                header_broken = True
                file_fails.append(sio.failures([-1], 1, c.raw, "wrong_header",
                                               f"wrong_header: required column {c.raw!r} is "
                                               f"missing (header: {', '.join(data.columns)})"))
            else:
                file_fails.append(sio.failures([-1], 1, c.raw, "missing_optional_column",
                                               "missing_optional_column: column is missing; "
                                               "its values are taken as empty (warning)"))
        for col in data.columns:
            if col not in declared:
                file_fails.append(sio.failures([-1], 1, col, "unknown_column",
                                               f"unknown_column: {table.raw} has no column "
                                               f"{col!r}; it is ignored (warning)"))
    known = _known_municipalities()
    if raw.folder_municipality and raw.folder_municipality not in known:
        file_fails.append(sio.failures([-1], "-", "-", "unknown_municipality",
                                       f"unknown_municipality: folder code "
                                       f"{raw.folder_municipality!r} is not a SOSKU organisation"))

    # Columns are collected in a dict and framed once (inserting into a DataFrame column by
    # column costs more than the checks on a small file).
    frame: dict[str, object] = {}
    # One category, not a string per row: a file's name repeated 15M times costs ~1 GB.
    frame["_source"] = pd.Categorical.from_codes(np.zeros(n, dtype=np.int8),
                                                 categories=[raw.source])
    frame["_row"] = raw.rows
    empty = pd.Series(pd.NA, index=data.index, dtype="str")
    if header_broken:  # columns are unreliable: reject every row once, report at file level
        out.add(np.ones(n, dtype=bool), "-", header_rule or "wrong_header", None)
    numeric: list[tuple[schema.Column, pd.Series]] = []
    for c in table.columns:
        values = data[c.raw] if (c.raw in present and not header_broken) else empty
        given = values.notna()
        if c.required and not header_broken:
            out.add(~given, c.raw, "missing_required", "required value is missing")
        if c.kind == "municipality":
            codes = sio.normalise_municipality(values)
            out.add(given & ~codes.isin(known), c.raw, "unknown_municipality",
                    " is not a SOSKU municipality code", values=values)
            if raw.folder_municipality:
                out.add(given & codes.isin(known) & (codes != raw.folder_municipality), c.raw,
                        "municipality_mismatch",
                        f" differs from the folder's code "
                        f"{raw.folder_municipality!r}", values=values)
            frame[c.name] = codes
        elif c.kind == "hetu":
            result = pseudonym.check(values)
            out.add(given & ~result["valid"], c.raw, "invalid_hetu", "",
                    values="identity code " + result["problem"], quoted=False)
            frame["_hetu"] = result["normalised"]
            frame["_birth"] = result["birth_date"]
        elif c.kind == "code":
            mapped = sio.map_codes(values, c.codes)
            out.add(given & mapped.isna(), c.raw, "unknown_code",
                    f" is not a {c.name} code (allowed: {', '.join(c.codes)})", values=values)
            frame[c.name] = mapped.astype("str")
        elif c.kind == "date":
            dates = sio.parse_dates(values)
            out.add(given & dates.isna(), c.raw, "impossible_date",
                    " is not a date (dd.mm.yyyy)", values=values)
            outside = (dates < schema.FIRST_DATE) | (dates > schema.LAST_DATE)
            out.add(outside, c.raw, "date_out_of_window",
                    f" is outside {schema.FIRST_DATE:%d.%m.%Y}–"
                    f"{schema.LAST_DATE:%d.%m.%Y}", values=values)
            frame[c.name] = dates
        elif c.kind in ("code_set", "municipality_set"):
            allowed = c.codes if c.kind == "code_set" else {k: k for k in known}
            parsed, unknown = code_sets(values, allowed, municipality=c.kind == "municipality_set")
            what = "target group" if c.kind == "code_set" else "SOSKU municipality"
            out.add(given & unknown.notna(), c.raw, "unknown_code",
                    f" is not a {what} code (allowed: {', '.join(sorted(allowed))}; "
                    "separate several with , or ;)", values=unknown)
            frame[c.name] = parsed
        elif c.kind in ("int", "float", "item"):
            numeric.append((c, values))
            frame[c.name] = None  # parsed below, all numeric columns at once
        else:  # free text: stored, so an identity code typed into it is masked on the way in
            found = sanitize.identity_code_mask(values)
            if found.any():
                out.add(found, c.raw, "hetu_in_text",
                        f"an identity code in free text was stored as {sanitize.MASK} "
                        "(warning; remove it from the source system)")
                values = sanitize.scrub(values)
            frame[c.name] = values
    coding = _answer_coding(table, data, present, header_broken, out)
    _check_numbers(numeric, n, out, frame, coding)
    frame = pd.DataFrame(frame, index=data.index)
    _development_rules(table, frame, out)
    for earlier, later in DATE_ORDER.get(table.name, []):
        col = table.column(later)
        out.add(frame[later] < frame[earlier], col.raw, "end_before_start",
                f"{col.raw} is before {table.column(earlier).raw}")
    if table.name == schema.CLIENTS.name:
        age = pseudonym.age_at(frame["_birth"], frame["start_date"])
        lo, hi = schema.AGE_BINS[0], schema.AGE_BINS[-1] - 1
        out.add((age < lo) | (age > hi), _HETU_RAW, "implausible_age",
                f" is outside {lo}–{hi}", values="age at start " + age.astype("Int64").astype("str"),
                quoted=False)
        frame["age"] = age
        frame["age_group"] = pseudonym.age_group(age)
    fails = pd.concat(file_fails + out.parts, ignore_index=True)
    return frame, fails


def _check_numbers(numeric: list[tuple[schema.Column, pd.Series]], n: int, out: _Collector,
                   frame: dict[str, object],
                   coding: tuple[np.ndarray, dict[float, float], tuple[float, float], str] | None = None,
                   ) -> None:
    """Parse and check every numeric column of a file in one pass (items come in dozens).

    ``coding`` = (rows answered in a declared alternative coding, value map, that coding's
    range, its name): on those rows item values are checked against the alternative range and
    recoded to the instrument's own (:func:`_answer_coding`).
    """
    if not numeric:
        return
    stacked = pd.concat([values for _, values in numeric], ignore_index=True)
    given_all = stacked.notna().to_numpy().reshape(len(numeric), n)
    numbers_all = sio.parse_numbers(stacked).to_numpy().reshape(len(numeric), n)
    for (c, values), given, numbers in zip(numeric, given_all, numbers_all, strict=True):
        parsed = ~np.isnan(numbers)
        out.add(given & ~parsed, c.raw, "not_a_number", " is not a number", values=values)
        if c.kind in ("int", "item"):
            with np.errstate(invalid="ignore"):  # inf % 1 is NaN: not whole either
                fractional = numbers % 1 != 0
            out.add(parsed & fractional, c.raw, "not_an_integer", " is not a whole number",
                    values=values)
        lo = -np.inf if c.min is None else c.min
        hi = np.inf if c.max is None else c.max
        if coding is not None and c.kind == "item":
            rows, mapping, (alt_lo, alt_hi), name = coding
            out.add(rows & ((numbers < alt_lo) | (numbers > alt_hi)), c.raw, "out_of_range",
                    f" is outside {_fmt(alt_lo)}–{_fmt(alt_hi)} (answers coded {name})",
                    values=values)
            recoded = pd.Series(numbers).map(mapping).to_numpy(dtype=float)
            bad = ~rows & ((numbers < lo) | (numbers > hi))
            out.add(bad, c.raw, "out_of_range", f" is outside {_fmt(lo)}–{_fmt(hi)}" + (
                    f" (if the form codes answers {name}, say so in column "
                    f"{_CODING_RAW!r})"), values=values)
            numbers = np.where(rows, recoded, numbers)
        else:
            out.add((numbers < lo) | (numbers > hi), c.raw, "out_of_range",
                    f" is outside {_fmt(lo)}–{_fmt(hi)}", values=values)
        frame[c.name] = pd.Series(numbers, index=values.index)


_CODING_RAW = "koodaus"


def _answer_coding(table: schema.Table, data: pd.DataFrame, present: set[str],
                   header_broken: bool, out: _Collector):
    """Rows of an assessment file answered in a declared alternative coding (e.g. WHODAS 1–5).

    The instrument spec declares its alternative codings (``[codings."1-5"]`` with a value
    ``map``); the raw file says per row which one was used in column ``koodaus`` (empty = the
    instrument's own coding). Returns None when the table has no such column.
    """
    if not table.name.startswith("responses_") or _CODING_RAW not in present or header_broken:
        return None
    from soskulib import instruments

    inst = instruments.get(table.name.removeprefix("responses_"))
    codings = inst.codings
    if len(codings) != 1:  # one alternative per instrument is what the specs declare
        return None
    (name, spec), = codings.items()
    values = data[_CODING_RAW]
    rows = (values.str.strip() == name).fillna(False).to_numpy()
    return rows, spec["map"], spec["range"], name


def code_sets(values: pd.Series, codes: dict[str, str], municipality: bool = False,
              ) -> tuple[pd.Series, pd.Series]:
    """Parse set-valued code cells: ``"nuori, osatyokykyinen"`` -> ``"partial_work_ability;young_adult"``.

    Values are split at any of :data:`soskulib.schema.SET_SEPARATORS` or white space,
    normalised like single codes (:func:`soskulib.io.normalise_codes`; municipality codes as
    3 digits), mapped, de-duplicated and sorted, and joined with ``;``.

    Parameters
    ----------
    values : Series of str
        Raw cells (missing = NA).
    codes : dict
        Normalised raw code -> processed code.
    municipality : bool
        Normalise as municipality codes (``92`` -> ``092``).

    Returns
    -------
    (Series, Series)
        The processed sets (NA where the cell is missing or holds an unknown code) and the
        first unknown raw code of each cell (NA where all are known).

    Examples
    --------
    >>> sets, unknown = code_sets(pd.Series(["nuori; osatyokykyinen", "nuori,x", None]),
    ...                           schema.TARGET_GROUP)
    >>> sets.tolist(), unknown.tolist()
    (['partial_work_ability;young_adult', nan, nan], [nan, 'x', nan])
    """
    separators = "".join("\\" + ch for ch in schema.SET_SEPARATORS)

    def parse(unique: pd.Series) -> np.ndarray:
        result = np.empty((len(unique), 2), dtype=object)
        for i, cell in enumerate(unique.tolist()):
            parts = [p for p in pd.Series(re.split(f"[{separators}\\s]+", str(cell))) if p]
            normal = (sio.normalise_municipality(pd.Series(parts, dtype="str")) if municipality
                      else sio.normalise_codes(pd.Series(parts, dtype="str"))).tolist()
            mapped = [codes.get(p) for p in normal]
            unknown = [p for p, m in zip(parts, mapped, strict=True) if m is None]
            if unknown or not parts:
                result[i] = (None, unknown[0] if unknown else str(cell))
            else:
                result[i] = (";".join(sorted(set(mapped))), None)
        return result

    codes_idx, uniques = pd.factorize(values, use_na_sentinel=True)
    parsed = parse(pd.Series(uniques, dtype="str")) if len(uniques) else np.empty((0, 2), object)
    parsed = np.vstack([parsed, [[None, None]]])  # code -1: missing cell
    sets = pd.Series(parsed[codes_idx, 0], index=values.index, dtype="str")
    unknown = pd.Series(parsed[codes_idx, 1], index=values.index, dtype="str")
    return sets, unknown


def _union_code(sets: pd.Series, single: pd.Series) -> pd.Series:
    """``sets`` with ``single`` added (sorted, ``;``-joined); ``single`` alone where no set."""
    joined = (sets.fillna("") + ";" + single.fillna("")).str.strip(";")
    return sio.per_unique(joined, lambda v: v.map(
        lambda x: ";".join(sorted(set(filter(None, x.split(";")))))).astype("str"), None).where(
        sets.notna() | single.notna())


def _development_rules(table: schema.Table, frame: pd.DataFrame, out: _Collector) -> None:
    """Cross-column rules of the development-work fields, and the derived set columns.

    * clients: ``target_groups`` always holds the primary ``target_group``; a 3- or 6-month
      placement status needs a recorded pathway (``placement_without_pathway``) and an ended
      episode (``placement_before_end``).
    * activities: ``organisations`` always holds the recording organisation; women + men may
      not exceed the participants by role (``gender_count_exceeds_total``).
    * group sessions: women + men may not exceed the participants.
    * assessments: the date may not precede the instrument's ``available_from``
      (``instrument_not_available``).
    """
    name = table.name
    if name == schema.CLIENTS.name:
        frame["target_groups"] = _union_code(frame["target_groups"], frame["target_group"])
        for col, raw in (("placement_3m", "jatkopolku_3kk"), ("placement_6m", "jatkopolku_6kk")):
            given = frame[col].notna().to_numpy()
            out.add(given & frame["pathway"].isna().to_numpy(), raw, "placement_without_pathway",
                    "a placement status needs an onward pathway (jatkopolku)")
            out.add(given & frame["end_date"].isna().to_numpy(), raw, "placement_before_end",
                    "a placement status needs an ended episode (loppupvm)")
    elif name == schema.ACTIVITIES.name:
        frame["organisations"] = _union_code(frame["organisations"], frame["municipality"])
        roles = frame[list(schema.ACTIVITY_ROLES)].sum(axis=1, min_count=1)
        _gender_rule(frame, roles, "naiset", out)
    elif name == schema.GROUP_SESSIONS.name:
        _gender_rule(frame, frame["n_participants"], "naiset", out)
    elif name.startswith("responses_"):
        from soskulib import instruments

        inst = instruments.get(name.removeprefix("responses_"))
        if inst.available_from is not None:
            first = pd.Timestamp(inst.available_from)
            out.add((frame["date"] < first).to_numpy(), "pvm", "instrument_not_available",
                    f"assessment date is before {inst.name} existed (in use from "
                    f"{first:%d.%m.%Y}; see the instrument spec)")


def _gender_rule(frame: pd.DataFrame, total: pd.Series, raw: str, out: _Collector) -> None:
    both = frame["n_women"].fillna(0) + frame["n_men"].fillna(0)
    out.add((both > total).to_numpy(), raw, "gender_count_exceeds_total",
            "women + men exceed the number of participants")


_HETU_RAW = next(c.raw for c in schema.CLIENTS.columns if c.kind == "hetu")


def _key_columns(table: schema.Table) -> list[str]:
    return ["_hetu" if k == "client_id" else k for k in table.key]


def _column_codes(values: pd.Series) -> tuple[np.ndarray, int]:
    """Codes of a column's distinct values (a missing value is a value of its own) and their count."""
    if values.dtype == "str":  # Arrow's hash kernel is several times faster on strings
        encoded = pc.dictionary_encode(sio.arrow_strings(values), null_encoding="encode")
        return encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64), len(
            encoded.dictionary)
    codes, uniques = pd.factorize(values, use_na_sentinel=False)
    return codes.astype(np.int64, copy=False), len(uniques)


def row_groups(columns: Sequence[pd.Series]) -> np.ndarray:
    """Group id per row: rows with equal values in every column share one id.

    Missing values compare equal to each other (as ``groupby(dropna=False)``). Ids are
    numbered in order of first appearance, so a row starts a new group exactly when its id
    exceeds every earlier id. Vectorised: each column is factorised once and the codes are
    combined as mixed-radix numbers (re-factorised only when the product could overflow).

    Parameters
    ----------
    columns : sequence of Series
        Equal-length columns.

    Returns
    -------
    ndarray of int64

    Examples
    --------
    >>> row_groups([pd.Series(["a", "b", "a", None, None]), pd.Series([1, 2, 1, 3, 3])]).tolist()
    [0, 1, 0, 2, 2]
    """
    combined = combine_codes([_column_codes(values) for values in columns],
                             len(columns[0]) if columns else 0)
    return pd.factorize(combined)[0].astype(np.int64, copy=False)


def combine_codes(codes: Sequence[tuple[np.ndarray, int]], n: int) -> np.ndarray:
    """One integer per row from several integer codes, as mixed-radix numbers.

    Rows get equal results exactly when all their codes are equal, and the results order the
    rows as the codes do lexicographically (first code first). When the product of the
    code ranges would overflow int64, what is combined so far is re-ranked densely first
    (same order, fewer values).

    Parameters
    ----------
    codes : sequence of (ndarray of int, int)
        Per key: codes ``0 <= code < size`` and ``size``.
    n : int
        Number of rows (used when ``codes`` is empty).

    Returns
    -------
    ndarray of int64

    Examples
    --------
    >>> combine_codes([(np.array([1, 0, 1]), 2), (np.array([0, 2, 1]), 3)], 3).tolist()
    [3, 2, 4]
    """
    combined, span = np.zeros(n, dtype=np.int64), 1
    for values, size in codes:
        size = max(int(size), 1)
        if span * size >= 2**62:
            combined, uniques = pd.factorize(combined, sort=True)
            combined, span = combined.astype(np.int64), len(uniques)
        combined, span = combined * size + values, span * size
    return combined


def first_of_group(groups: np.ndarray) -> np.ndarray:
    """Position of the first row of each row's group.

    Parameters
    ----------
    groups : ndarray of int
        Non-negative group ids (any numbering, e.g. :func:`row_groups` or a subset of it).

    Returns
    -------
    ndarray of int64
        ``first[i]`` = smallest ``j`` with ``groups[j] == groups[i]``; a row is a repeat
        exactly when ``first[i] != i``.

    Examples
    --------
    >>> first_of_group(np.array([0, 1, 0, 2, 1])).tolist()
    [0, 1, 0, 3, 1]
    >>> first_of_group(np.array([7, 3, 7])).tolist()
    [0, 1, 0]
    """
    groups = np.asarray(groups, dtype=np.int64)
    if not len(groups):
        return np.zeros(0, dtype=np.int64)
    first = np.full(int(groups.max()) + 1, len(groups), dtype=np.int64)
    np.minimum.at(first, groups, np.arange(len(groups)))
    return first[groups]


def _duplicates(frame: pd.DataFrame, raw: pd.DataFrame, table: schema.Table, rows: np.ndarray,
                failed: np.ndarray) -> list[pd.DataFrame]:
    """Exact duplicate rows (all rows) and duplicate keys (among otherwise valid rows)."""
    parts = []
    keycols = _key_columns(table)
    key_groups = row_groups([frame[c] for c in keycols])
    # Equal raw cells parse to equal keys, so only rows whose key repeats can be exact copies:
    # the comparison of every raw cell runs on those few rows, not on the whole table.
    shared_key = np.bincount(key_groups)[key_groups] > 1
    declared = [c.raw for c in table.columns if c.raw in raw.columns]
    candidates = ~raw["_header_broken"].to_numpy() & bool(declared) & shared_key
    exact = np.zeros(len(frame), dtype=bool)
    if candidates.any():
        view = raw.loc[candidates, declared]
        exact, found = _repeats(frame, candidates, row_groups([view[c] for c in declared]),
                                rows, "duplicate_row", "exact copy of")
        parts.extend(found)
    eligible = ~failed & ~exact
    if eligible.any():
        raw_key = "+".join(table.column(k).raw for k in table.key)
        parts.extend(_repeats(frame, eligible, key_groups[eligible], rows, "duplicate_key",
                              f"same {raw_key} as", column=table.column(table.key[0]).raw)[1])
    return parts


def _repeats(frame, subset, groups, rows, rule, text,
             column: str = "-") -> tuple[np.ndarray, list[pd.DataFrame]]:
    """Rows of ``subset`` repeating an earlier one (mask over ``frame``) and their failures,
    each naming the first row of its group."""
    positions = np.flatnonzero(subset)
    first = positions[first_of_group(groups)]
    repeat = first != positions
    flagged = np.zeros(len(frame), dtype=bool)
    if not repeat.any():
        return flagged, []
    flagged[positions[repeat]] = True
    pos, first = positions[repeat], first[repeat]
    src = frame["_source"].iloc[first].to_numpy()
    message = [f"{rule}: {text} {s} row {r}" for s, r in zip(src, rows[first], strict=True)]
    return flagged, [sio.failures(pos, rows[pos], column, rule, message)]


def _cascade_messages(sources: pd.Series, pos: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """``unknown_client`` messages, one per row, or one per file above :data:`CASCADE_LIMIT`.

    A broken clients file makes every contact, goal and response of its municipality
    ``unknown_client``: thousands of lines that say one thing. Above the limit, the file's
    first such row carries a summary (how many rows, which rows) and the others no message;
    every row is still rejected with its reason and listed in the rejects.
    """
    single = ("unknown_client: no accepted client with this identity code in this "
              "municipality")
    messages = np.full(len(pos), single, dtype=object)
    codes = sources.cat.codes.to_numpy()[pos]
    for code, count in zip(*np.unique(codes, return_counts=True), strict=True):
        if count > CASCADE_LIMIT:
            mine = np.flatnonzero(codes == code)
            messages[mine] = None
            messages[mine[0]] = (f"unknown_client: {count} rows of this file (rows "
                                 f"{rows[pos[mine[0]]]}–{rows[pos[mine[-1]]]}) name no accepted "
                                 "client of this municipality; check the clients file first "
                                 "(each row is in the rejects)")
    return messages


def _combine(results: list[tuple[sio.RawTable, pd.DataFrame, pd.DataFrame]]):
    frames, raws, fails, offset = [], [], [], 0
    for raw, frame, fail in results:
        broken = fail["rule"].isin(["wrong_header", "no_header"]).any()
        cells = raw.data.copy()
        cells["_header_broken"] = broken
        frames.append(frame.drop(columns="_source").reset_index(drop=True))
        raws.append(cells.reset_index(drop=True))
        fail = fail.copy()
        fail["pos"] = np.where(fail["pos"] >= 0, fail["pos"] + offset, -1)
        fail["source"] = raw.source
        fails.append(fail)
        offset += raw.n_rows
    frame = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    if frames:  # concat turns categoricals with different categories into strings: rebuild
        sources = [raw.source for raw, _, _ in results]
        categories = list(dict.fromkeys(sources))
        codes = np.repeat([categories.index(s) for s in sources],
                          [raw.n_rows for raw, _, _ in results])
        frame.insert(0, "_source", pd.Categorical.from_codes(codes, categories=categories))
    raw_all = pd.concat(raws, ignore_index=True) if raws else pd.DataFrame()
    return frame, raw_all, pd.concat(fails, ignore_index=True)


def _rejecting(fails: pd.DataFrame) -> pd.Series:
    """Failures that reject their row (located, and not a warning)."""
    return (fails["pos"] >= 0) & ~fails["rule"].isin(WARNING_RULES)


def _reasons(n: int, fails: pd.DataFrame) -> pd.Series:
    row_fails = fails.loc[_rejecting(fails), ["pos", "rule"]].drop_duplicates()
    reason = pd.Series("", index=range(n), dtype="str")
    if len(row_fails):
        joined = row_fails.sort_values(["pos", "rule"]).groupby("pos")["rule"].agg(";".join)
        reason.loc[joined.index] = joined.to_numpy()
    return reason


class _AllFilesFailed(Exception):
    """Every file of a table met an internal error (already recorded)."""


class TableValidator:
    """Validates one table at a time, clients first, carrying the accepted clients along.

    This is what :func:`validate` runs over every table; :func:`soskulib.prepare.prepare`
    uses it directly so that only one table's files are in memory at a time.

    Parameters
    ----------
    check_references : bool
        Run ``unknown_client`` on the tables of :data:`REFERENCES` (only meaningful when the
        export has a clients table, validated before them).

    Examples
    --------
    >>> validator = TableValidator(check_references=True)           # doctest: +SKIP
    >>> clients = validator.validate(schema.CLIENTS, clients_raws)   # doctest: +SKIP
    >>> contacts = validator.validate(schema.CONTACTS, contact_raws) # doctest: +SKIP
    """

    def __init__(self, check_references: bool):
        self.check_references = check_references
        self.accepted_clients = pa.array([], type=pa.large_string())
        #: Organisations marked as intensive level-3 sites (``None``: no sub-project file
        #: with the ``taso3`` column was validated, so nothing to check against).
        self.level3_sites: set[str] | None = None
        #: ``(file, description)`` of every unexpected error (a bug), file by file.
        self.internal_errors: list[tuple[str, str]] = []

    def validate_or_record(self, table: schema.Table,
                           raws: Sequence[sio.RawTable]) -> TableResult | None:
        """:meth:`validate`, recording an unexpected error instead of raising it.

        Returns ``None`` when the table could not be validated at all; the error is in
        :attr:`internal_errors` with the names of the files involved.
        """
        try:
            return self.validate(table, raws)
        except _AllFilesFailed:
            return None
        except Exception as exc:  # noqa: BLE001 - a bug: recorded, the other tables go on
            self.internal_errors.append((", ".join(r.source for r in raws), describe(exc)))
            return None

    def validate(self, table: schema.Table, raws: Sequence[sio.RawTable]) -> TableResult:
        """Check every file of ``table`` (in the order given) as one table.

        Parameters
        ----------
        table : schema.Table
            The declared table.
        raws : sequence of io.RawTable
            Its files (or sheets) as read by :func:`soskulib.io.read_raw`.

        Returns
        -------
        TableResult
            ``raw`` keeps the raw cells of the rejected rows only (what the rejects need).
        """
        checked = []
        for raw in raws:  # a bug met in one file leaves the other files' findings intact
            try:
                checked.append((raw, *check_raw_table(raw)))
            except Exception as exc:  # noqa: BLE001 - recorded; exit code 3 at the end
                self.internal_errors.append((raw.source, describe(exc)))
        if not checked:
            raise _AllFilesFailed(table.name)
        frame, raw_all, fails = _combine(checked)
        rows = frame["_row"].to_numpy(dtype=np.int64)
        failed = np.zeros(len(frame), dtype=bool)
        failed[fails.loc[_rejecting(fails), "pos"].to_numpy(dtype=np.int64)] = True
        extra = _duplicates(frame, raw_all, table, rows, failed)
        if self.check_references and table.name in REFERENCES:
            client_key = frame["municipality"] + "|" + frame["_hetu"]
            checkable = frame["_birth"].notna() & frame["municipality"].notna()  # valid hetu
            known_client = sio.arrow_mask(pc.is_in(sio.arrow_strings(client_key),
                                                   value_set=self.accepted_clients))
            unknown = checkable.to_numpy() & ~known_client
            if unknown.any():
                pos = np.flatnonzero(unknown)
                extra.append(sio.failures(pos, rows[pos], _HETU_RAW, "unknown_client",
                                          _cascade_messages(frame["_source"], pos, rows)))
        if table.name == schema.ACTIVITIES.name and self.level3_sites is not None:
            off_site = ((frame["level"] == "level_3") & frame["municipality"].notna()
                        & ~frame["municipality"].isin(self.level3_sites)).to_numpy()
            if off_site.any():
                pos = np.flatnonzero(off_site)
                extra.append(sio.failures(
                    pos, rows[pos], "taso", "level3_not_intensive_site",
                    "level3_not_intensive_site: a level-3 activity of an organisation that "
                    "osahankkeet.csv does not mark as an intensive level-3 site (taso3 = kylla); "
                    "mark the site or correct the level (warning)"))
        if extra:
            for part in extra:
                part["source"] = frame["_source"].iloc[part["pos"].to_numpy()].to_numpy()
            fails = pd.concat([fails, *extra], ignore_index=True)
        reason = _reasons(len(frame), fails)
        ok = (reason == "").to_numpy()
        if table.name == schema.SUBPROJECTS.name and frame["level3_site"].notna().any():
            self.level3_sites = set(frame.loc[ok & (frame["level3_site"] == "yes").to_numpy(),
                                              "municipality"].dropna())
        if table.name == schema.CLIENTS.name:
            self.accepted_clients = pc.unique(sio.arrow_strings(
                (frame["municipality"] + "|" + frame["_hetu"])[ok].dropna()))
        rejected_cells = raw_all.loc[~ok].drop(columns="_header_broken")
        return TableResult(table, frame, rejected_cells, reason, fails)


def validate(raw_tables: Sequence[sio.RawTable]) -> ValidationResult:
    """Check raw tables against the schema; cross-file rules run on whole tables.

    Referential integrity (``unknown_client``) is checked only when at least one clients file
    is among ``raw_tables`` (validating a lone ``kaynnit.csv`` cannot know the clients).

    Parameters
    ----------
    raw_tables : sequence of io.RawTable
        Tables read by :func:`soskulib.io.read_raw` (files of the same table are concatenated).

    Returns
    -------
    ValidationResult
        Accepted rows and reasons per table, the findings, the inputs read and any internal
        errors.

    Examples
    --------
    >>> from soskulib.examples import raw_folder
    >>> folder = raw_folder({"kaynnit.csv": ["kunta;henkilotunnus;pvm;kesto_min;muoto;sisalto",
    ...                                      "092;131052-9085;01.03.2017;45;yksilo;ohjaus"]})
    >>> result = validate(read_paths([folder])[0])
    >>> int(result.tables["contacts"].accepted.sum()), len(result.errors)
    (1, 0)
    """
    by_table: dict[str, list[sio.RawTable]] = {}
    loose = []
    for raw in raw_tables:
        if raw.table is None:
            loose.append(raw.failures.assign(source=raw.source))
        else:
            by_table.setdefault(raw.table.name, []).append(raw)
    validator = TableValidator(check_references=schema.CLIENTS.name in by_table)
    # clients come before every table that refers to them
    results = {t.name: validator.validate_or_record(t, by_table[t.name])
               for t in schema.tables() if t.name in by_table}
    results = {name: r for name, r in results.items() if r is not None}
    findings = collect_findings([r.failures for r in results.values()] + loose)
    return ValidationResult(results, findings, internal_errors=validator.internal_errors)


def missing_tables(entries: Sequence[tuple[Path, str, str | None]]) -> pd.DataFrame:
    """``missing_table`` warnings for municipality folders without one of :data:`FOLDER_TABLES`.

    A workbook that lost a sheet, or a folder that lost a file, would otherwise leave a whole
    table of one municipality out of the results without a word.

    Parameters
    ----------
    entries : sequence of (Path, str, str or None)
        For every file (or workbook sheet) read: its path, its display name and its table's
        processed name (``None`` when not a table). Only files inside a ``<code>_<slug>``
        folder and shown with that folder in their display name count.

    Returns
    -------
    DataFrame
        Failures (:data:`soskulib.io.FAILURE_COLUMNS` plus ``source`` = the folder).

    Examples
    --------
    >>> fails = missing_tables([(Path("x/092_vantaa/asiakkaat.csv"), "092_vantaa/asiakkaat.csv",
    ...                          "clients")])
    >>> fails["message"].iloc[0]
    "missing_table: no file or sheet for table 'kaynnit' in this folder (warning)"
    """
    present: dict[tuple[Path, str], set[str]] = {}
    for path, name, table in entries:
        path = Path(path)
        if sio.folder_municipality(path) is None or "/" not in name:
            continue
        folder = (path.parent, name.rsplit("/", 1)[0])
        present.setdefault(folder, set())
        if table is not None:
            present[folder].add(table)
    parts = [sio.no_failures().assign(source=pd.Series(dtype="str"))]
    for (_, shown), tables in sorted(present.items(), key=lambda item: item[0][1]):
        for name in FOLDER_TABLES:
            if name not in tables:
                raw = next(t.raw for t in schema.tables() if t.name == name)
                parts.append(sio.failures([-1], "-", "-", "missing_table",
                                          f"missing_table: no file or sheet for table {raw!r} "
                                          "in this folder (warning)").assign(source=shown))
    return pd.concat(parts, ignore_index=True)


def collect_findings(failures: Sequence[pd.DataFrame]) -> list[Finding]:
    """Located findings from failure frames (rows without a message are silent rejections).

    Parameters
    ----------
    failures : sequence of DataFrame
        Failure frames with a ``source`` column (:attr:`TableResult.failures`).

    Returns
    -------
    list of Finding
        Sorted (:func:`sort_findings`).

    Examples
    --------
    >>> fails = sio.failures([0], [2], "pvm", "impossible_date", "impossible_date: not a date")
    >>> [str(f) for f in collect_findings([fails.assign(source="kaynnit.csv")])]
    ['kaynnit.csv:2:pvm: impossible_date: not a date']
    """
    if not failures:
        return []
    fails = pd.concat(failures, ignore_index=True)
    shown = fails[fails["message"].notna()]
    # One finding, one line: file and column names and messages carry data (a header cell,
    # a folder name, a quoted value), so identity codes are masked and invisible characters
    # and line breaks written as escapes (soskulib.sanitize) before anything is printed.
    text = {name: sanitize.visible_series(sanitize.scrub(shown[name].astype("str")))
            for name in ("source", "column", "message")}
    found = [
        Finding(file=src, row=row, column=col, message=msg, rule=rule,
                level="warning" if rule in WARNING_RULES else "error")
        for src, row, col, msg, rule in zip(text["source"], shown["row"], text["column"],
                                            text["message"], shown["rule"], strict=True)
    ]
    return sort_findings(found)


def sort_findings(findings: Sequence[Finding]) -> list[Finding]:
    """Findings ordered by file, row (file-level first), column, message.

    Parameters
    ----------
    findings : sequence of Finding

    Returns
    -------
    list of Finding
        Sorted copies; rows that are file-level (``"-"``) sort before numbered rows.

    Examples
    --------
    >>> fs = [Finding("b.csv", 3, "x", "m2", "r"), Finding("a.csv", "-", "-", "m1", "r")]
    >>> [str(f) for f in sort_findings(fs)]
    ['a.csv:-:-: m1', 'b.csv:3:x: m2']
    """
    def key(f: Finding):
        row = f.row if isinstance(f.row, int | np.integer) else -1
        return (f.file, int(row), f.column, f.message)

    return [
        Finding(f.file, int(f.row) if isinstance(f.row, int | np.integer) else f.row, f.column,
                f.message, f.rule, f.level)
        for f in sorted(findings, key=key)
    ]


def read_paths(paths: Sequence[Path | str]) -> tuple[list[sio.RawTable], list[tuple[Path, str]]]:
    """Discover and read every raw file under ``paths``.

    Parameters
    ----------
    paths : sequence of path
        Raw files and/or export folders.

    Returns
    -------
    (list of io.RawTable, list of (Path, str))
        The tables read and the files found with their display names.

    Raises
    ------
    ConfigurationError
        A path does not exist or holds no raw files (a usage error, exit code 2).
    InternalError
        A file met a bug while being read (see :func:`read_files` to go on past it).

    Examples
    --------
    >>> read_paths(["/nonexistent"])
    Traceback (most recent call last):
    ...
    soskulib.errors.ConfigurationError: no such file or folder: /nonexistent
    """
    files = find_files(paths)
    tables, errors = read_files(files)
    if errors:
        raise InternalError(*errors[0])
    return tables, files


def read_files(files: Sequence[tuple[Path, str]]) -> tuple[list[sio.RawTable],
                                                           list[tuple[str, str]]]:
    """Read files one by one; a bug met in one file is recorded and the others are read.

    Parameters
    ----------
    files : sequence of (Path, str)
        Files and their display names (:func:`find_files`).

    Returns
    -------
    (list of io.RawTable, list of (str, str))
        The tables read, and ``(display name, description)`` of every file that met an
        unexpected error (a bug in soskulib, exit code 3).

    Examples
    --------
    >>> read_files([])
    ([], [])
    """
    tables, errors = [], []
    for path, name in files:
        try:
            tables.extend(sio.read_raw(path, name))
        except Exception as exc:  # noqa: BLE001 - a bug: recorded, the other files go on
            errors.append((name, describe(exc)))
    return tables, errors


def find_files(paths: Sequence[Path | str]) -> list[tuple[Path, str]]:
    """Raw files under ``paths`` with their display names (:func:`soskulib.io.discover`).

    Parameters
    ----------
    paths : sequence of path
        Raw files and/or export folders.

    Returns
    -------
    list of (Path, str)
        Sorted by display name.

    Raises
    ------
    ConfigurationError
        A path does not exist or holds no raw files (a usage error, exit code 2).

    Examples
    --------
    >>> find_files(["/nonexistent"])
    Traceback (most recent call last):
    ...
    soskulib.errors.ConfigurationError: no such file or folder: /nonexistent
    """
    try:
        files = sio.discover(paths)
    except FileNotFoundError as exc:
        raise ConfigurationError(str(exc)) from None
    if not files:
        raise ConfigurationError(f"no raw files ({', '.join(sio.RAW_SUFFIXES)}) under "
                                 f"{', '.join(map(str, paths))}")
    return files


def validate_paths(paths: Sequence[Path | str]) -> list[Finding]:
    """Validate raw files or folders; return every problem found, sorted.

    This is what ``sosku validate PATH...`` runs. Findings print as
    ``FILE:ROW:COLUMN: rule_id: message``; ``level`` tells errors from warnings.

    Parameters
    ----------
    paths : sequence of path
        Raw files and/or export folders.

    Returns
    -------
    list of Finding
        Errors and warnings, sorted by file, row and column.

    Raises
    ------
    InternalError
        A bug was met in a file; it names the file and carries the other files' findings.

    Examples
    --------
    >>> from soskulib.examples import raw_folder
    >>> lines = ["kunta;henkilotunnus;pvm;kesto_min;muoto;sisalto",   # the first layout
    ...          "092;131052-9085;31.02.2017;45;yksilo;ohjaus"]       # 31 February
    >>> for p in validate_paths([raw_folder({"kaynnit.csv": lines})]): print(p)
    kaynnit.csv:1:-: old_layout: the file has the first data layout; columns added since (tyontekija, menetelma) are read as empty (warning; see docs/codebook.md)
    kaynnit.csv:2:pvm: impossible_date: '31.02.2017' is not a date (dd.mm.yyyy)
    """
    files = find_files(paths)
    raw_tables, errors = read_files(files)
    result = validate(raw_tables)
    errors += result.internal_errors
    # Folders given are checked for missing tables (a file given alone is not).
    folders = [p for p in paths if Path(p).is_dir()]
    in_folders = dict(sio.discover(folders)) if folders else {}
    findings = sort_findings([*result.findings, *collect_findings([missing_tables(
        [(r.path, in_folders[r.path], r.table.name if r.table else None)
         for r in raw_tables if r.path in in_folders])])])
    if errors:  # the CLI prints the findings of the other files, then this, and exits 3
        raise InternalError(*errors[0], findings=findings)
    return findings
