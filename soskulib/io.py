"""Reading raw municipal exports and the processed parquet tables.

Raw side
--------
:func:`discover` finds the raw files under folders, :func:`read_raw` turns one file into
:class:`RawTable` objects (one per CSV/.sav file, one per xlsx sheet). Every cell is read as a
stripped string (``NA`` when empty); parsing into numbers and dates happens column-wise and
vectorised afterwards (:func:`parse_numbers`, :func:`parse_dates`), so that every value that
does not parse can be located and reported instead of silently becoming ``NaN``.

* **CSV**: encoding sniffed from the bytes (a BOM first; then strict UTF-8; a file that is
  mostly UTF-8 with a few bad bytes is decoded with replacement and the damaged cells are
  reported as ``bad_encoding``; a file without any UTF-8 multibyte sequence is decoded as
  cp1252, the Finnish Excel default; anything with NUL bytes or control characters is
  ``not_text``). Delimiter sniffed from the header line (``;``, ``,`` or tab; ``;`` wins ties,
  because a Finnish Excel export uses it). Decimal comma accepted. Row numbers are file line
  numbers (header = 1), counted correctly when a quoted value contains line breaks.
* **xlsx**: every sheet whose name is a table name (python-calamine via pandas); row = sheet
  row.
  Excel date cells are accepted (they arrive as ISO ``yyyy-mm-dd 00:00:00``) and a
  municipality code that Excel turned into a number (``92``) is padded back to ``092``.
* **SPSS .sav** (pyreadstat): file stem = table name; integral numbers lose their ``.0``;
  ROW is the case number + 1, i.e. the row the case would have in a CSV with a header line,
  so the same convention holds for every format.

Reading problems are returned as a *failure frame* (columns :data:`FAILURE_COLUMNS`), the same
shape :mod:`soskulib.validation` uses for rule failures; ``pos == -1`` marks a file-level
problem (row ``"-"``).

Processed side
--------------
:func:`write_processed` writes one table as parquet partitioned by municipality
(``<out>/<table>/municipality=<code>/part-0.parquet``) with an explicit arrow schema and no
pandas/timestamp metadata, so the same input gives identical bytes. :func:`load_processed`
reads it back with the dtype conventions of the project (see :func:`processed_dtypes`).
"""

from __future__ import annotations

import codecs
import csv
import functools
import io
import os
import re
import sys
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.dataset as ds
import pyarrow.parquet as pq
from numpy.typing import ArrayLike

from soskulib import sanitize, schema

#: File suffixes read as raw tables.
RAW_SUFFIXES = (".csv", ".tsv", ".txt", ".xlsx", ".sav")
#: Files in an export folder that are not tables and are skipped silently.
IGNORED_NAMES = ("truth.json", "readme.md", "readme.txt", ".gitkeep")
#: Columns of a failure frame: position in the table, file row, raw column, rule id, message.
FAILURE_COLUMNS = ["pos", "row", "column", "rule", "message"]
#: How symbolic links are handled (stated in the docs and in the ``symlink`` message).
LINK_RULE = ("a symbolic link inside an export folder (to a file or a folder, inside the export "
             "or outside it) is not followed and not read; it is reported as ``symlink`` by its "
             "own name, never by its target. A path named on the command line is read as given.")
#: Folder names ``<3-digit code>_<slug>`` carry the municipality of the files inside.
FOLDER_RE = re.compile(r"^(\d{3})_")
#: Integer-coded columns that are nevertheless float64 in processed data (NaN-able GAS levels,
#: analysed together with ``attainment``), following the project's dtype convention.
FLOAT_INT_COLUMNS = frozenset({"baseline_level"})

#: Longest cell accepted (Excel's limit, 32,767 characters); a longer one is ``too_long``.
MAX_CELL_CHARS = 32_767
#: A sheet whose used range exceeds this many cells is refused before it is allocated
#: (a stray value at XFD1048576 would make the reader allocate 17 billion cells).
MAX_SHEET_CELLS = 50_000_000
#: ... or this many columns (the widest declared table has far fewer).
MAX_SHEET_COLUMNS = 1_000

_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
#: The same characters for RE2 (pyarrow), to locate the cells that contain one.
_CONTROL_RE2 = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]"
_LINE_BREAK_RE = re.compile(r"\r\n|\r|\n")
#: A header cell that is a value, not a name: a date, a number (a municipality code too).
_DATA_LIKE_RE2 = (r"^([0-9]{1,2}\.[0-9]{1,2}\.[0-9]{2,4}|[0-9]{4}-[0-9]{2}-[0-9]{2}.*"
                  r"|[+-]?[0-9]+([.,][0-9]+)?)$")
# A field may be as long as the file (the limit is checked as a located rule, ``too_long``).
csv.field_size_limit(min(sys.maxsize, 2**31 - 1))
_UTF8_MULTIBYTE_RE = re.compile(rb"[\xc2-\xf4][\x80-\xbf]")
#: The bytes _CONTROL_RE matches (for :func:`_count_controls`).
_CONTROL_BYTES = bytes([*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F])
_DATE_FORMATS = ("%d.%m.%Y", "%Y-%m-%d", "%Y-%m-%d %H:%M:%S")
#: RE2 class equal to Python's ``[\s\u00a0]`` (RE2's own ``\s`` is ASCII-only and lacks \v).
_RE2_WHITESPACE = r"[\t\n\x0b\f\r\x1c-\x1f\x{85}\p{Z}]"
#: Decimals that pyarrow and pandas.to_numeric parse to the same float (no exponent, short).
_PLAIN_NUMBER = r"^[+-]?([0-9]{1,15}(\.[0-9]{0,15})?|\.[0-9]{1,15})$"
_NEGATIVE_ZERO = r"^-0*\.?0*$"


@dataclass
class RawTable:
    """One raw table as read from a file (or an xlsx sheet), every cell a string.

    Attributes
    ----------
    source : str
        Path as shown in problem messages (relative to the folder that was given).
    table : schema.Table or None
        The declared table (``None`` when the name is not a table name).
    data : DataFrame
        Cells as stripped strings, ``NA`` where empty; columns are the (lower-cased) header.
    rows : ndarray of int
        File row of every data row (header = 1).
    failures : DataFrame
        Reading problems in the :data:`FAILURE_COLUMNS` layout.
    folder_municipality : str or None
        Municipality code from a ``<code>_<slug>`` parent folder.
    countable : bool
        Whether data rows could be counted at all (``False`` for binary garbage).
    sheet : str or None
        Sheet name for xlsx workbooks.

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp()) / "092_vantaa"
    >>> folder.mkdir()
    >>> _ = (folder / "kaynnit.csv").write_text("kunta;pvm\\n092;1.3.2017\\n", encoding="utf-8")
    >>> raw = read_raw(folder / "kaynnit.csv", "092_vantaa/kaynnit.csv")[0]
    >>> raw.table.name, raw.n_rows, raw.folder_municipality, raw.rows.tolist()
    ('contacts', 1, '092', [2])
    """

    source: str
    table: schema.Table | None
    data: pd.DataFrame
    rows: np.ndarray
    failures: pd.DataFrame
    folder_municipality: str | None = None
    countable: bool = True
    sheet: str | None = None
    path: Path | None = field(default=None, repr=False)

    @property
    def n_rows(self) -> int:
        """Number of data rows."""
        return len(self.data)


def failures(pos: ArrayLike, row: ArrayLike, column: ArrayLike, rule: ArrayLike,
             message: ArrayLike) -> pd.DataFrame:
    """Build a failure frame; scalars broadcast against the array arguments.

    Parameters
    ----------
    pos : array-like of int
        Positions of the failing rows in the table (``-1`` for file-level problems).
    row : scalar or array-like
        File row numbers (header = 1) or ``"-"``.
    column : scalar or array-like of str
        Raw column name or ``"-"``.
    rule : scalar or array-like of str
        Rule id (e.g. ``"impossible_date"``).
    message : scalar or array-like of str
        Message for the user (never quoting an identity code).

    Returns
    -------
    DataFrame
        Columns :data:`FAILURE_COLUMNS` (``pos, row, column, rule, message``).

    Examples
    --------
    >>> failures([-1], "-", "-", "empty_file", "empty_file: the file is empty").shape
    (1, 5)
    """
    frame = pd.DataFrame({"pos": np.asarray(pos, dtype=np.int64)})
    frame["row"] = pd.Series(row, index=frame.index, dtype=object) if np.ndim(row) else row
    for name, value in (("column", column), ("rule", rule), ("message", message)):
        frame[name] = (pd.Series(np.asarray(value, dtype=object), index=frame.index)
                       if np.ndim(value) else value)
    return frame[FAILURE_COLUMNS]


def no_failures() -> pd.DataFrame:
    """An empty failure frame.

    Returns
    -------
    DataFrame
        Zero rows, columns :data:`FAILURE_COLUMNS`.

    Examples
    --------
    >>> no_failures().columns.tolist()
    ['pos', 'row', 'column', 'rule', 'message']
    """
    return failures(np.empty(0, dtype=np.int64), "-", "-", "-", "-")


def _file_failure(source_rule: str, message: str, column: str = "-") -> pd.DataFrame:
    return failures([-1], "-", column, source_rule, f"{source_rule}: {message}")


# ---------------------------------------------------------------------------------------------
# Discovery
# ---------------------------------------------------------------------------------------------


def folder_municipality(path: Path) -> str | None:
    """Municipality code of the ``<code>_<slug>`` folder a file lies in, else ``None``.

    Parameters
    ----------
    path : Path
        A raw file's path.

    Returns
    -------
    str or None
        The 3-digit code of the parent folder name.

    Examples
    --------
    >>> folder_municipality(Path("export/092_vantaa/asiakkaat.csv"))
    '092'
    """
    match = FOLDER_RE.match(path.parent.name)
    return match.group(1) if match else None


def discover(paths: Sequence[Path | str]) -> list[tuple[Path, str]]:
    """Raw files under ``paths`` as ``(path, display name)``, sorted, without duplicates.

    A folder contributes every file with a suffix in :data:`RAW_SUFFIXES` below it (display
    name relative to the folder) and every symbolic link below it; a file is taken as given. Raises ``FileNotFoundError`` for a
    path that does not exist.

    Parameters
    ----------
    paths : sequence of path
        Files and/or folders.

    Returns
    -------
    list of (Path, str)
        Each file with the name shown in problem messages.

    Examples
    --------
    >>> import tempfile
    >>> root = Path(tempfile.mkdtemp())
    >>> (root / "092_vantaa").mkdir()
    >>> _ = (root / "092_vantaa" / "asiakkaat.csv").write_text("kunta\\n092\\n")
    >>> [name for _, name in discover([root])]
    ['092_vantaa/asiakkaat.csv']

    Symbolic links inside a folder are listed but not followed (:data:`LINK_RULE`).
    """
    found: dict[Path, str] = {}
    for given in map(Path, paths):
        if not given.exists():
            raise FileNotFoundError(f"no such file or folder: {given}")
        if given.is_dir():
            for file in _walk(given):
                rel = file.relative_to(given)
                if any(part.startswith(".") for part in rel.parts):
                    continue
                if file.is_symlink():  # reported by read_raw, never followed (see LINK_RULE)
                    found.setdefault(Path(os.path.abspath(file)), rel.as_posix())
                elif file.name.lower() not in IGNORED_NAMES and \
                        file.suffix.lower() in RAW_SUFFIXES:
                    found.setdefault(file.resolve(), rel.as_posix())
        else:
            found.setdefault(given.resolve(), given.as_posix())
    return sorted(((p, name) for p, name in found.items()), key=lambda item: item[1])


def _walk(folder: Path) -> list[Path]:
    """Files and symbolic links (to files or folders) below ``folder``, links not followed."""
    out = []
    for root, dirs, files in os.walk(folder, followlinks=False):
        base = Path(root)
        out.extend(base / d for d in dirs if (base / d).is_symlink())
        out.extend(base / f for f in files)
    return sorted(out)


# ---------------------------------------------------------------------------------------------
# Cells
# ---------------------------------------------------------------------------------------------


def clean_cells(frame: pd.DataFrame) -> pd.DataFrame:
    """Strip every cell and turn empty strings into ``NA`` (all columns become ``str``).

    Parameters
    ----------
    frame : DataFrame
        Raw cells.

    Returns
    -------
    DataFrame
        Same shape and index, ``str`` columns, ``NA`` for empty cells.

    Examples
    --------
    >>> clean_cells(pd.DataFrame({"a": [" x ", "", None]}))["a"].tolist()
    ['x', nan, nan]
    """
    # By position: a header may name a column twice (reported by the reader).
    out = {j: pd.Series(_clean_strings(arrow_strings(frame.iloc[:, j].astype("str")))[0],
                        index=frame.index, dtype="str") for j in range(frame.shape[1])}
    cleaned = pd.DataFrame(out, index=frame.index)
    cleaned.columns = frame.columns
    return cleaned


def _clean_strings(values: pa.Array | pa.ChunkedArray) -> tuple[pa.Array, pa.Array]:
    """Cells trimmed, empty ones as null (what :func:`clean_cells` does), and the empty mask."""
    trimmed = pc.utf8_trim_whitespace(values)
    empty = pc.equal(trimmed, "")
    return pc.if_else(empty, pa.scalar(None, trimmed.type), trimmed), empty


def normalise_header(names: Sequence[object]) -> list[str]:
    """Header names stripped, lower-cased, without BOM; blanks become ``column_<n>``.

    Parameters
    ----------
    names : sequence
        Header cells as read.

    Returns
    -------
    list of str

    Examples
    --------
    >>> normalise_header(["\\ufeffKunta ", None, "PVM"])
    ['kunta', 'column_2', 'pvm']
    """
    clean = [str(n).replace("\ufeff", "").strip().lower() if n is not None and n == n else ""
             for n in names]
    return [c if c else f"column_{i + 1}" for i, c in enumerate(clean)]


def arrow_strings(values: pd.Series) -> pa.Array:
    """A string column as one pyarrow ``large_string`` array (zero-copy for ``str`` columns).

    Parameters
    ----------
    values : Series
        Strings (missing = NA).

    Returns
    -------
    pyarrow.LargeStringArray

    Examples
    --------
    >>> arrow_strings(pd.Series(["a", None])).to_pylist()
    ['a', None]
    """
    arr = pa.array(values, type=pa.large_string(), from_pandas=True)
    return arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr


def arrow_mask(arr: pa.Array) -> np.ndarray:
    """A pyarrow boolean array as a numpy mask, null counting as ``False``.

    Parameters
    ----------
    arr : pyarrow.Array
        Boolean array (may contain nulls).

    Returns
    -------
    ndarray of bool

    Examples
    --------
    >>> arrow_mask(pa.array([True, None, False])).tolist()
    [True, False, False]
    """
    return pc.fill_null(arr, False).to_numpy(zero_copy_only=False)


def per_unique(values: pd.Series, parse: Callable[[pd.Series], object],
               missing: object) -> pd.Series:
    """Apply an element-wise ``parse`` to the distinct values only and broadcast the results.

    Raw columns repeat a few values many times (dates, codes, minutes, the same person's
    identity code on every contact), so parsing the distinct values is much cheaper; it gives
    the same result because ``parse`` treats each value on its own. Missing cells get
    ``missing``.

    Parameters
    ----------
    values : Series
        Cells to parse (missing = NA).
    parse : callable
        Element-wise parser taking and returning a Series (or array) of the distinct values.
    missing : object
        Result for missing cells.

    Returns
    -------
    Series
        Parsed values on the index of ``values``.

    Examples
    --------
    >>> per_unique(pd.Series(["1", "2", "1", None]), lambda s: s.str.len(), -1).tolist()
    [1, 1, 1, -1]
    """
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    parsed = parse(pd.Series(uniques, dtype=values.dtype))
    if isinstance(parsed, pd.Series) and parsed.dtype == "str":  # strings: take in arrow
        taken = arrow_strings(parsed).take(pa.array(codes, mask=codes < 0))
        return pd.Series(taken, index=values.index, dtype="str")
    parsed = np.asarray(parsed)
    parsed = np.append(parsed, np.asarray([missing], dtype=parsed.dtype))  # codes == -1
    return pd.Series(parsed[codes], index=values.index)


def parse_numbers(values: pd.Series) -> pd.Series:
    """Parse strings as numbers (decimal comma, Unicode minus, spaces allowed) into float64.

    Missing stays ``NaN``; a value that is not a number also becomes ``NaN`` (callers locate
    those as ``values.notna() & result.isna()``).

    The common case, a plain decimal such as ``12,5`` or ``-3`` (at most 15 digits on either
    side of the point), is converted by pyarrow's string kernels; anything else (exponents,
    ``inf``, text, very long numbers) goes through :func:`pandas.to_numeric` exactly as before,
    so both paths give the same numbers.

    Parameters
    ----------
    values : Series of str
        Raw cells.

    Returns
    -------
    Series of float64

    Examples
    --------
    >>> parse_numbers(pd.Series(["1,5", "−2", "x", None])).tolist()
    [1.5, -2.0, nan, nan]
    """
    return per_unique(values, _parse_numbers, np.nan).astype("float64")


def _parse_numbers(values: pd.Series) -> np.ndarray:
    arr = arrow_strings(values)
    text = pc.replace_substring(arr, ",", ".")
    plain = arrow_mask(pc.match_substring_regex(text, _PLAIN_NUMBER))
    odd = arr.is_valid().to_numpy(zero_copy_only=False) & ~plain
    if odd.any():  # minus signs and inner spaces are rare: clean only those values
        cleaned = pc.replace_substring(pc.filter(text, pa.array(odd)), "\u2212", "-")
        cleaned = pc.replace_substring_regex(cleaned, _RE2_WHITESPACE, "")
        text = pc.replace_with_mask(text, pa.array(odd), cleaned)
        plain[odd] = arrow_mask(pc.match_substring_regex(cleaned, _PLAIN_NUMBER))
    # to_numeric turns an all-integer column's "-0" into +0.0; keep such columns on that path.
    if arrow_mask(pc.match_substring_regex(pc.filter(text, pa.array(plain)),
                                           _NEGATIVE_ZERO)).any():
        plain[:] = False
    result = np.full(len(arr), np.nan)
    if plain.any():
        result[plain] = pc.cast(pc.filter(text, pa.array(plain)), pa.float64()).to_numpy()
    other = arr.is_valid().to_numpy(zero_copy_only=False) & ~plain
    if other.any():
        rest = pd.Series(pc.filter(text, pa.array(other)), dtype="str")
        result[other] = pd.to_numeric(rest, errors="coerce").astype("float64").to_numpy()
    return result


def parse_dates(values: pd.Series) -> pd.Series:
    """Parse ``dd.mm.yyyy`` (also ``d.m.yyyy``), ISO ``yyyy-mm-dd`` and Excel date cells.

    Returns datetime64[ns]; ``NaT`` for missing and for values that are not real dates
    (``31.02.2017``). Each format is tried only on the values the previous ones left.

    Parameters
    ----------
    values : Series of str
        Raw cells.

    Examples
    --------
    >>> parse_dates(pd.Series(["1.3.2017", "2017-03-02", "31.02.2017"])).dt.day.tolist()
    [1.0, 2.0, nan]
    """
    return per_unique(values, _parse_dates, np.datetime64("NaT", "ns")).astype("datetime64[ns]")


def _parse_dates(values: pd.Series) -> pd.Series:
    result = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns]")
    todo = values.notna()
    for fmt in _DATE_FORMATS:
        if not todo.any():
            break
        parsed = pd.to_datetime(values[todo], format=fmt, errors="coerce")
        result[todo] = parsed.astype("datetime64[ns]")
        todo &= result.isna()
    return result


def normalise_codes(values: pd.Series) -> pd.Series:
    """Code cells as compared with the code lists: lower case, ``1.0`` -> ``1``.

    Parameters
    ----------
    values : Series of str
        Raw code cells.

    Returns
    -------
    Series of str

    Examples
    --------
    >>> normalise_codes(pd.Series(["Valmis", "2.0", None])).tolist()
    ['valmis', '2', nan]
    """
    return values.str.lower().str.replace(r"^(\d+)\.0+$", r"\1", regex=True)


def map_codes(values: pd.Series, codes: dict[str, str]) -> pd.Series:
    """Processed codes of raw code cells (:func:`normalise_codes`, then ``codes``); NA if unknown.

    Parameters
    ----------
    values : Series of str
        Raw code cells.
    codes : dict
        Normalised raw code -> processed code (a :attr:`schema.Column.codes` list).

    Returns
    -------
    Series of str

    Examples
    --------
    >>> map_codes(pd.Series(["Valmis", "x", None]), {"valmis": "completed"}).tolist()
    ['completed', nan, nan]
    """
    return per_unique(values, lambda v: normalise_codes(v).map(codes).astype("str"), None)


def normalise_municipality(values: pd.Series) -> pd.Series:
    """Municipality codes as 3-digit strings (Excel drops leading zeros: ``92`` -> ``092``).

    Parameters
    ----------
    values : Series of str
        Raw municipality cells.

    Returns
    -------
    Series of str
        3-digit codes where the cell is a whole number, else the cell unchanged.

    Examples
    --------
    >>> normalise_municipality(pd.Series(["92", "092", "491.0", "abc"])).tolist()
    ['092', '092', '491', 'abc']
    """
    return per_unique(values, _normalise_municipality, None)


def _normalise_municipality(values: pd.Series) -> pd.Series:
    codes = normalise_codes(values)
    return codes.where(~codes.str.fullmatch(r"\d{1,2}", na=False), codes.str.zfill(3))


# ---------------------------------------------------------------------------------------------
# Text files
# ---------------------------------------------------------------------------------------------


def decode_bytes(data: bytes) -> tuple[str | None, str]:
    """Decode a text file's bytes; return ``(text, encoding)`` or ``(None, reason)``.

    ``encoding`` ends in ``"+replaced"`` when some bytes were not valid UTF-8 in an otherwise
    UTF-8 file (the damaged cells contain U+FFFD and are reported by the reader).

    Parameters
    ----------
    data : bytes
        The file's content.

    Returns
    -------
    (str or None, str)
        The text and the encoding used (UTF-8 with or without BOM, UTF-16 with BOM, else
        cp1252), or ``None`` and why the bytes are not text.

    Examples
    --------
    >>> decode_bytes("kunta;nimi\\n092;Hyvä\\n".encode("cp1252"))
    ('kunta;nimi\\n092;Hyvä\\n', 'cp1252')
    >>> decode_bytes(b"\\x00\\x01\\x02")[0] is None
    True
    """
    for bom, encoding in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
                          (codecs.BOM_UTF16_BE, "utf-16")):
        if data.startswith(bom):
            try:
                text = data.decode(encoding)
            except UnicodeDecodeError:
                return None, f"bytes are not valid {encoding}"
            break
    else:
        # A NUL byte is a control character like any other: a few are located as
        # ``control_character`` in their cells, many make the file binary (below).
        try:
            text, encoding = data.decode("utf-8"), "utf-8"
        except UnicodeDecodeError:
            if _UTF8_MULTIBYTE_RE.search(data):
                text, encoding = data.decode("utf-8", errors="replace"), "utf-8+replaced"
            else:
                try:
                    text, encoding = data.decode("cp1252"), "cp1252"
                except UnicodeDecodeError:
                    return None, "bytes are neither UTF-8 nor cp1252 text"
    n_control = _count_controls(data, text, encoding)
    if n_control > max(2, len(text) // 1000):
        return None, f"contains {n_control} control characters (binary data, not a text table)"
    return text, encoding


def _count_controls(data: bytes, text: str, encoding: str) -> int:
    """Control characters (not tab or line breaks) in the decoded text.

    In UTF-8 and cp1252 every character below U+0080 is the byte of the same value, and no
    other character produces such a byte, so the count is taken on the bytes (deleting them
    with :meth:`bytes.translate` runs at memory speed; a regular-expression scan of a 100 MB
    text takes seconds). UTF-16 is counted on the text.
    """
    if encoding.startswith("utf-16"):
        return len(_CONTROL_RE.findall(text))
    return _count_control_bytes(data)


def _count_control_bytes(data: bytes, chunk: int = 1 << 26) -> int:
    """Bytes that :data:`_CONTROL_RE` matches, counted 64 MiB at a time (no copy of it all)."""
    view = memoryview(data)
    return sum(len(part) - len(part.translate(None, _CONTROL_BYTES))
               for part in (bytes(view[i:i + chunk]) for i in range(0, len(data), chunk)))


def sniff_delimiter(header_line: str) -> str:
    """The most frequent of ``;``, ``,``, tab in the header line (``;`` wins ties).

    Parameters
    ----------
    header_line : str
        First line of the file.

    Returns
    -------
    str

    Examples
    --------
    >>> sniff_delimiter("kunta,pvm,kesto_min")
    ','
    """
    counts = {d: header_line.count(d) for d in (";", "\t", ",")}
    return max(counts, key=lambda d: counts[d])  # dict order breaks ties: ';' first


def _encoding_failures(cells: pd.DataFrame, rows: np.ndarray, encoding: str) -> pd.DataFrame:
    """``bad_encoding`` for cells with replacement characters (file decoded with errors)."""
    fails = [no_failures()]
    if encoding.endswith("+replaced"):
        for j, col in enumerate(cells.columns):
            bad = cells.iloc[:, j].str.contains("\ufffd", regex=False, na=False).to_numpy()
            if bad.any():
                pos = np.flatnonzero(bad)
                fails.append(failures(pos, rows[pos], col, "bad_encoding",
                                      "bad_encoding: bytes that are not valid UTF-8 "
                                      "(save the file as UTF-8)"))
    return pd.concat(fails, ignore_index=True)


def _read_plain_text(header_text: str, data: bytes, offset: int,
                     delimiter: str) -> tuple[list[str], pd.DataFrame] | None:
    """Header and cleaned cells of a well-formed table without quotes, read by pyarrow.

    A file without any ``"`` has one record per line, so :mod:`csv` and pyarrow split it the
    same way; when it also has no blank line and every line has the header's field count, the
    row of record ``i`` is simply ``i + 2``. Anything else (quotes, blank lines or rows of
    empty fields, ragged or truncated rows, bytes that are not UTF-8: what needs the careful
    reader) returns ``None``. ``data[offset:]`` (UTF-8, after any byte-order mark) goes to
    pyarrow without a copy, and the cells are cleaned as :func:`clean_cells` does, but on the
    Arrow columns before they become pandas ones.
    """
    if b'"' in data or data[offset:offset + 1] in (b"\r", b"\n"):
        return None
    header = normalise_header(next(csv.reader(io.StringIO(header_text), delimiter=delimiter)))
    names = [f"c{i}" for i in range(len(header))]
    try:  # pyarrow checks that every value is valid UTF-8
        table = pacsv.read_csv(
            pa.py_buffer(data).slice(offset),
            read_options=pacsv.ReadOptions(column_names=names, skip_rows=1),
            parse_options=pacsv.ParseOptions(delimiter=delimiter, quote_char=False,
                                              ignore_empty_lines=False),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.large_string()), null_values=[],
                strings_can_be_null=False, quoted_strings_can_be_null=False))
    except (pa.ArrowInvalid, ValueError):
        return None
    cleaned = {}
    all_blank = np.ones(table.num_rows, dtype=bool)
    for i, original in enumerate(table.columns):
        values, empty = _clean_strings(original)
        all_blank &= arrow_mask(empty)
        cleaned[i] = pd.Series(values, dtype="str")
    # pyarrow reads a blank line as a record of empty fields, which is not a data row: a row
    # of nothing but empty fields (blank line or not) goes to the careful reader. Such a row
    # is blank after trimming too, so only those few rows are looked at untrimmed.
    if all_blank.any():
        rows = pa.array(np.flatnonzero(all_blank))
        all_empty = np.ones(len(rows), dtype=bool)
        for original in table.columns:
            all_empty &= arrow_mask(pc.equal(pc.binary_length(original.take(rows)), 0))
        if all_empty.any():
            return None
    cells = pd.DataFrame(cleaned, index=pd.RangeIndex(table.num_rows))
    cells.columns = header  # names may repeat; the caller reports that
    return header, cells


def _read_utf8_plain(data: bytes) -> tuple[list[str], pd.DataFrame] | None:
    """:func:`_read_plain_text` straight from the bytes, when they look like UTF-8 text.

    This is the common case (a clean UTF-8 export) and never decodes the whole file into a
    Python string: NUL and control bytes are counted on the bytes, the header line alone is
    decoded, and pyarrow validates the UTF-8 of every value. Anything unusual (UTF-16, a
    control byte, invalid UTF-8, quotes, blank lines) returns ``None`` for the careful path.
    """
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or b"\x00" in data:
        return None
    if _count_control_bytes(data) > 0:
        return None
    offset = len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0
    end = _first_line_end(data, offset)
    try:
        header_text = data[offset:end].decode("utf-8")
    except UnicodeDecodeError:
        return None
    if not header_text.strip():
        return None
    return _read_plain_text(header_text, data, offset, sniff_delimiter(header_text))


def _first_line_end(data: bytes, offset: int = 0) -> int:
    """Position of the first line break (``\\n`` or a lone ``\\r``, as old Mac files end
    their lines) at or after ``offset``; ``len(data)`` when there is none."""
    ends = [i for i in (data.find(b"\n", offset), data.find(b"\r", offset)) if i >= 0]
    return min(ends) if ends else len(data)


def _strip_eof_marker(data: bytes) -> bytes:
    """Without a DOS end-of-file mark (Ctrl-Z, ``\\x1a``) and the blanks after it at the end.

    Old Windows tools end a text file with it; it is not a row. UTF-16 text is left alone
    (its Ctrl-Z is two bytes and is handled as a control character)."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data
    stripped = data.rstrip(b" \t\r\n")
    if stripped.endswith(b"\x1a"):
        return stripped.rstrip(b"\x1a") + b"\n"
    return data


def _read_text_table(data: bytes, source: str) -> tuple[list[str], pd.DataFrame, np.ndarray,
                                                          pd.DataFrame, bool, bool]:
    """Parse CSV bytes: header, cells, file rows, failures, countable, has control bytes."""
    empty = (pd.DataFrame(), np.empty(0, dtype=np.int64))
    data = _strip_eof_marker(data)
    if not data or data.isspace():
        return [], *empty, _file_failure("empty_file", "the file is empty"), True, False
    plain = _read_utf8_plain(data)
    if plain is not None:  # no control byte in it
        header, cells = plain
        rows = 2 + np.arange(len(cells), dtype=np.int64)
        return header, cells, rows, no_failures(), True, False
    text, encoding = decode_bytes(data)
    if text is None:
        return ([], *empty, _file_failure("not_text", f"cannot read the file: {encoding}"),
                False, False)
    if not text.strip():
        return [], *empty, _file_failure("empty_file", "the file has no header or data"), True, False
    return (*_parse_text(text, data, encoding), _count_controls(data, text, encoding) > 0)


def _parse_text(text: str, data: bytes, encoding: str) -> tuple[list[str], pd.DataFrame,
                                                                 np.ndarray, pd.DataFrame, bool]:
    """:func:`_read_text_table` on decoded text: header, cells, rows, failures, countable."""
    header_line = _LINE_BREAK_RE.split(text.lstrip("\ufeff"), maxsplit=1)[0]
    delimiter = sniff_delimiter(header_line)
    if encoding in ("utf-8", "utf-8-sig"):  # the bytes as they are, after any BOM
        offset = len(codecs.BOM_UTF8) if encoding == "utf-8-sig" else 0
        plain = _read_plain_text(header_line, data, offset, delimiter)
    else:
        plain = _read_plain_text(header_line, text.encode("utf-8"), 0, delimiter)
    if plain is not None:
        header, cells = plain
        rows = 2 + np.arange(len(cells), dtype=np.int64)
        return header, cells, rows, _encoding_failures(cells, rows, encoding), True
    # newline="": "\r\n", "\n" and a lone "\r" all end a record (outside quotes).
    records = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    header = normalise_header(records[0])
    width = len(header)
    body = records[1:]
    lengths = np.fromiter(map(len, body), dtype=np.int64, count=len(body))
    blank = lengths == 0
    if (lengths != width).any():  # only ragged rows are touched
        ragged = np.flatnonzero(lengths != width)
        for i in ragged:
            body[i] = (body[i] + [""] * width)[:width]
    # Columns by position first: a header may name a column twice (reported later).
    cells = pd.DataFrame(body, dtype="str") if body else pd.DataFrame(
        {j: pd.Series(dtype="str") for j in range(width)})
    # File line of each record: 1 + record index + line breaks inside earlier quoted values.
    breaks = np.zeros(len(body) + 1, dtype=np.int64)
    breaks[0] = sum(len(_LINE_BREAK_RE.findall(v)) for v in records[0])
    if breaks[0] or '"' in text:
        for j in range(width):
            breaks[1:] += cells.iloc[:, j].str.count(_LINE_BREAK_RE.pattern).fillna(0).to_numpy(
                dtype=np.int64)
    cells.columns = header
    rows = 2 + np.arange(len(body)) + np.cumsum(breaks)[:-1]
    cells = clean_cells(cells)
    fails = [no_failures()]
    truncated = len(body) > 0 and not text.endswith(("\n", "\r")) and lengths[-1] < width
    if truncated:
        fails.append(failures([len(body) - 1], [rows[-1]], "-", "truncated",
                              f"truncated: the file ends in the middle of this row "
                              f"({lengths[-1]} of {width} fields)"))
    ragged_mask = (lengths != width) & ~blank
    if truncated:
        ragged_mask[-1] = False
    if ragged_mask.any():
        pos = np.flatnonzero(ragged_mask)
        fails.append(failures(pos, rows[pos], "-", "wrong_field_count",
                              [f"wrong_field_count: {n} fields, the header has {width}"
                               for n in lengths[pos]]))
    fails.append(_encoding_failures(cells, rows, encoding))
    keep = ~blank  # blank lines are not data rows
    if blank.any():
        fail = pd.concat(fails, ignore_index=True)
        new_pos = np.cumsum(keep) - 1
        fail["pos"] = np.where(fail["pos"] >= 0, new_pos[fail["pos"].clip(lower=0)], -1)
        fails = [fail]
        cells, rows = cells[keep].reset_index(drop=True), rows[keep]
    return header, cells, rows, pd.concat(fails, ignore_index=True), True


# ---------------------------------------------------------------------------------------------
# One file -> RawTables
# ---------------------------------------------------------------------------------------------


def _raw_table(source, name, header, cells, rows, fails, muni, countable, sheet=None, path=None,
               header_row: int = 1, check_controls: bool = True):
    table = schema.table_by_raw_name(name)
    if table is None:
        known = ", ".join(t.raw for t in schema.tables())
        fails = pd.concat([fails, _file_failure(
            "unknown_table", f"{name!r} is not a table name (expected one of: {known})")],
            ignore_index=True)
    rows = np.asarray(rows, dtype=np.int64)
    if header and _header_is_data(header):
        # The header line is missing: the first row of data took its place. Its cells (an
        # identity code, perhaps) are never echoed, and it is counted as a rejected row.
        expected = ";".join(table.raw_columns) if table is not None else ""
        fails = pd.concat([fails, failures(
            [-1], header_row, "-", "no_header",
            "no_header: the first row holds values (an identity code, a date or a number), "
            "not column names; add the header row"
            + (f" ({expected})" if expected else ""))], ignore_index=True)
        n = len(cells) + 1
        return RawTable(source=source, table=table,
                        data=pd.DataFrame(index=pd.RangeIndex(n)),
                        rows=np.r_[header_row, rows].astype(np.int64), failures=fails,
                        folder_municipality=muni, countable=countable, sheet=sheet, path=path)
    if len(header) != len(set(header)):
        dupes = sorted({c for c in header if header.count(c) > 1})
        fails = pd.concat([fails, failures([-1], header_row, dupes[0], "wrong_header",
                                           f"wrong_header: column {dupes[0]!r} appears twice")],
                          ignore_index=True)
        cells = cells.iloc[:, [header.index(c) == j for j, c in enumerate(header)]]
    cells = cells.reset_index(drop=True)
    cells, cell_fails = _check_cells(cells, rows, check_controls)
    fails = pd.concat([fails, cell_fails], ignore_index=True)
    if countable and header and table is not None and len(cells) == 0 and fails.empty:
        fails = failures([-1], "-", "-", "no_rows",
                         "no_rows: the file has a header but no data rows (warning)")
    return RawTable(source=source, table=table, data=cells, rows=rows, failures=fails,
                    folder_municipality=muni, countable=countable, sheet=sheet, path=path)


def _header_is_data(header: Sequence[str]) -> bool:
    """Whether a header row is really a row of values (its header line is missing).

    True when a cell is shaped like an identity code, or when a cell is a date or a number
    and no cell is a declared column name (so an extra column named ``2017`` is not enough).
    """
    names = pd.Series(list(header), dtype="str")
    if sanitize.identity_code_mask(names).any():
        return True
    valueish = arrow_mask(pc.match_substring_regex(arrow_strings(names), _DATA_LIKE_RE2))
    if not valueish.any():
        return False
    declared = {c for t in schema.tables() for c in t.raw_columns}
    return not declared.intersection(header)


def _check_cells(cells: pd.DataFrame, rows: np.ndarray,
                 check_controls: bool) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Row rules on the cells themselves: ``too_long`` and ``control_character``.

    A cell over :data:`MAX_CELL_CHARS` is reported by its length (its text is cut, so the
    rejects stay readable); a cell with a control character (NUL, BEL, Ctrl-Z ... but not tab
    or a line break inside quotes) is reported with the character shown as an escape. Both
    are checked per column with Arrow kernels, the first only when the column's longest cell
    in bytes exceeds the limit, the second only when the reader saw a control byte.
    """
    fails = [no_failures()]
    for j, col in enumerate(cells.columns):
        values = arrow_strings(cells.iloc[:, j])
        lengths = pc.binary_length(values)
        if len(values) and (pc.max(lengths).as_py() or 0) > MAX_CELL_CHARS:
            chars = pc.utf8_length(values).to_numpy(zero_copy_only=False)
            long = np.nan_to_num(chars.astype(float)) > MAX_CELL_CHARS
            if long.any():
                pos = np.flatnonzero(long)
                fails.append(failures(pos, rows[pos], col, "too_long",
                                      [f"too_long: {int(n)} characters; a cell may have at most "
                                       f"{MAX_CELL_CHARS}" for n in chars[pos]]))
                short = pc.utf8_slice_codeunits(values, 0, 200)
                cut = pc.binary_join_element_wise(short, pa.scalar("…[cut]", pa.large_string()),
                                                  pa.scalar("", pa.large_string()))
                values = pc.if_else(pa.array(long), cut, values)
                cells = cells.copy()
                cells.isetitem(j, pd.Series(values, dtype="str"))
        if check_controls:
            bad = arrow_mask(pc.match_substring_regex(values, _CONTROL_RE2))
            if bad.any():
                pos = np.flatnonzero(bad)
                shown = [sanitize.one_line(v)[:60] for v in cells.iloc[pos, j]]
                fails.append(failures(pos, rows[pos], col, "control_character",
                                      [f"control_character: '{v}' contains a control character "
                                       "(shown as \\x..); remove it" for v in shown]))
    return cells, pd.concat(fails, ignore_index=True)


def _empty_raw(source, name, fail, muni, path, countable=False):
    return _raw_table(source, name, [], pd.DataFrame(), np.empty(0, dtype=np.int64), fail, muni,
                      countable, path=path)


def read_raw(path: Path, source: str | None = None) -> list[RawTable]:
    """Read one raw file into :class:`RawTable` objects (never raises for bad content).

    Parameters
    ----------
    path : Path
        A ``.csv``/``.tsv``/``.txt``, ``.xlsx`` or ``.sav`` file.
    source : str, optional
        Name shown in problem messages (default: ``path`` as given).

    Returns
    -------
    list of RawTable
        One per table (one per sheet for ``.xlsx``); reading problems are in each
        :attr:`RawTable.failures`.

    Examples
    --------
    >>> import tempfile
    >>> path = Path(tempfile.mkdtemp()) / "asiakkaat.csv"
    >>> _ = path.write_bytes(b"")
    >>> read_raw(path, "asiakkaat.csv")[0].failures["rule"].tolist()
    ['empty_file']
    """
    path = Path(path)
    source = source or path.as_posix()
    muni = folder_municipality(path)
    suffix = path.suffix.lower()
    stem = path.stem
    if path.is_symlink():
        fail = _file_failure("symlink", "a symbolic link is not followed (it may point outside "
                             "the export); copy the file or folder itself into the export")
        return [RawTable(source, schema.table_by_raw_name(stem), pd.DataFrame(),
                         np.empty(0, dtype=np.int64), fail, muni, countable=False, path=path)]
    if suffix == ".xlsx":
        return _read_xlsx(path, source, muni)
    if suffix == ".sav":
        return [_read_sav(path, source, muni)]
    if suffix not in RAW_SUFFIXES:
        fail = _file_failure("unknown_format", f"cannot read {suffix or 'extension-less'} files; "
                             "use .csv, .xlsx or .sav")
        return [_empty_raw(source, stem, fail, muni, path)]
    header, cells, rows, fails, countable, controls = _read_text_table(path.read_bytes(), source)
    return [_raw_table(source, stem, header, cells, rows, fails, muni, countable, path=path,
                       check_controls=controls)]


def _read_xlsx(path: Path, source: str, muni: str | None) -> list[RawTable]:
    out, readable = [], None
    try:
        extents = xlsx_extents(path)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, ET.ParseError):
        extents = {}  # not a workbook we can look into: the reader below says why
    for sheet, (last_row, last_col) in extents.items():
        if last_col > MAX_SHEET_COLUMNS or last_row * last_col > MAX_SHEET_CELLS:
            # Refused before the reader allocates the whole used range.
            readable = [s for s in extents if s != sheet] if readable is None else [
                s for s in readable if s != sheet]
            where = f"{column_letters(last_col)}{last_row}"
            fail = failures([-1], last_row, column_letters(last_col), "sheet_too_large",
                            f"sheet_too_large: the sheet's used range reaches cell {where} "
                            f"({last_col} columns × {last_row} rows); delete the stray cells "
                            f"outside the table (at most {MAX_SHEET_COLUMNS} columns and "
                            f"{MAX_SHEET_CELLS:,} cells are read)")
            out.append(_empty_raw(f"{source}[{sheet}]", sheet, fail, muni, path))
    try:
        # calamine (Rust) reads a workbook ~10x faster than openpyxl, with the same cells:
        # integral numbers as ints, date cells as datetimes, rows from A1 (no trimming).
        sheets = (pd.read_excel(path, sheet_name=readable, header=None, dtype=str,
                                engine="calamine") if readable is None or readable else {})
    except Exception as exc:  # noqa: BLE001 - any reader failure is a data problem here
        fail = _file_failure("not_xlsx", f"cannot read the workbook ({type(exc).__name__})")
        return [*out, _empty_raw(source, path.stem, fail, muni, path)]
    for sheet, frame in sheets.items():
        label = f"{source}[{sheet}]"
        frame = frame.dropna(how="all")  # blank sheet rows are not data rows
        if frame.empty:
            out.append(_empty_raw(label, sheet, _file_failure("empty_file", "the sheet is empty"),
                                  muni, path, countable=True))
            continue
        header = normalise_header(frame.iloc[0].tolist())
        cells = frame.iloc[1:].copy()
        cells.columns = header
        rows = cells.index.to_numpy(dtype=np.int64) + 1  # sheet rows are 1-based
        out.append(_raw_table(label, sheet, header, clean_cells(cells), rows, no_failures(), muni,
                              True, sheet=sheet, path=path, header_row=int(frame.index[0]) + 1))
    out.extend(_missing_sheet(path, source, muni, [str(s) for s in extents or sheets]))
    return out


def _missing_sheet(path: Path, source: str, muni: str | None,
                   sheets: list[str]) -> list[RawTable]:
    """A workbook named after a table (``asiakkaat.xlsx``) without a sheet of that name."""
    table = schema.table_by_raw_name(path.stem)
    if table is None or any(schema.table_by_raw_name(s) is not None for s in sheets):
        return []
    fail = _file_failure("missing_sheet", f"the workbook has no sheet named {table.raw!r} "
                         f"(its sheets: {', '.join(sheets) or 'none'}); name the sheet after "
                         "the table")
    return [_empty_raw(source, path.stem, fail, muni, path, countable=True)]


def column_letters(number: int) -> str:
    """Spreadsheet column letters of a 1-based column number.

    Parameters
    ----------
    number : int

    Returns
    -------
    str

    Examples
    --------
    >>> column_letters(1), column_letters(28), column_letters(16384)
    ('A', 'AB', 'XFD')
    """
    letters = ""
    while number > 0:
        number, rest = divmod(number - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def _column_number(letters: bytes) -> int:
    number = 0
    for ch in letters:
        number = number * 26 + (ch - ord("A") + 1)
    return number


#: A cell reference attribute (``r="XFD1048576"``; a row's ``r`` has digits only).
_CELL_REF_RE = re.compile(rb" r=\"([A-Z]{1,4})([0-9]{1,9})\"")
_XLSX_NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
            "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
            "p": "http://schemas.openxmlformats.org/package/2006/relationships"}


def _scan_refs(block: bytes, letters: set[bytes], last_row: int) -> tuple[set[bytes], int]:
    refs = _CELL_REF_RE.findall(block)
    if refs:
        cols, rows = zip(*refs, strict=True)
        letters.update(cols)
        last_row = max(last_row, max(map(int, rows)))
    return letters, last_row


def _chunks(book: zipfile.ZipFile, part: str):
    """The XML of a sheet in 4 MiB pieces that end at a tag boundary."""
    with book.open(part) as fh:
        tail = b""
        while chunk := fh.read(1 << 22):
            block = tail + chunk
            cut = block.rfind(b"<")  # a tag may straddle two chunks
            cut = cut if cut > 0 else len(block)
            yield block[:cut]
            tail = block[cut:]
        yield tail


#: A cell reference beyond column AZ or at row 100,000 or below: only then is a sheet measured
#: cell by cell (a table of this project has far fewer columns, a workbook rarely more rows).
_FAR_REF_RE = re.compile(rb" r=\"(?:[A-Z]{3}|[B-Z][A-Z]|[A-Z]{1,2}[0-9]{6})")


def xlsx_extents(path: Path) -> dict[str, tuple[int, int]]:
    """Last row and column holding a cell, per sheet, read from the workbook's XML.

    The reader allocates the whole used range of a sheet at once, so one stray value at
    XFD1048576 asks for 17 billion cells; this looks at the cell references first (the
    ``<dimension>`` element is not trusted: any writer may leave it out or get it wrong). A
    sheet without any reference beyond column AZ or at row 100,000 or below is small enough
    whatever its exact size, and reported as ``(0, 0)`` after one quick pass; the others are
    measured cell by cell.

    Parameters
    ----------
    path : Path
        An ``.xlsx`` file.

    Returns
    -------
    dict
        Sheet name -> ``(last row, last column)``, both 1-based; ``(0, 0)`` for a sheet that
        stays within AZ and 99,999 rows.

    Raises
    ------
    zipfile.BadZipFile, KeyError, xml.etree.ElementTree.ParseError
        The file is not a readable workbook.

    Examples
    --------
    >>> import tempfile, openpyxl
    >>> path = Path(tempfile.mkdtemp()) / "asiakkaat.xlsx"
    >>> book = openpyxl.Workbook()
    >>> book.active.title = "asiakkaat"
    >>> book.active["A1"], book.active["XFD1048576"] = "kunta", "x"
    >>> book.save(path)
    >>> xlsx_extents(path)
    {'asiakkaat': (1048576, 16384)}
    """
    with zipfile.ZipFile(path) as book:
        workbook = ET.fromstring(book.read("xl/workbook.xml"))
        rels = ET.fromstring(book.read("xl/_rels/workbook.xml.rels"))
        targets = {r.get("Id"): r.get("Target", "") for r in rels.findall("p:Relationship",
                                                                           _XLSX_NS)}
        extents = {}
        for sheet in workbook.iterfind("m:sheets/m:sheet", _XLSX_NS):
            target = targets.get(sheet.get(f"{{{_XLSX_NS['r']}}}id"), "")
            part = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
            if part not in book.namelist():
                continue  # the reader reports a sheet it cannot find
            last_row, letters = 0, set()
            if any(_FAR_REF_RE.search(block) for block in _chunks(book, part)):
                for block in _chunks(book, part):
                    letters, last_row = _scan_refs(block, letters, last_row)
            last_col = max((_column_number(c) for c in letters), default=0)
            extents[sheet.get("name", "")] = (last_row, last_col)
    return extents


def _read_sav(path: Path, source: str, muni: str | None) -> RawTable:
    import pyreadstat

    try:
        frame, _meta = pyreadstat.read_sav(str(path))
    except Exception as exc:  # noqa: BLE001 - any reader failure is a data problem here
        fail = _file_failure("not_sav", f"cannot read the SPSS file ({type(exc).__name__})")
        return _empty_raw(source, path.stem, fail, muni, path)
    cells = {}
    for col in frame.columns:
        s = frame[col]
        if pd.api.types.is_float_dtype(s):
            integral = s.notna() & (s % 1 == 0)
            text = s.astype("str").where(~integral, s.where(integral).astype("Int64").astype("str"))
            cells[col] = text.where(s.notna())
        else:
            cells[col] = s.astype("str").where(s.notna())
    cells = pd.DataFrame(cells, index=frame.index)
    cells.columns = normalise_header(list(frame.columns))
    rows = np.arange(len(frame), dtype=np.int64) + 2  # case n -> row n + 1 (header = 1)
    return _raw_table(source, path.stem, list(cells.columns), clean_cells(cells), rows,
                      no_failures(), muni, True, path=path)


# ---------------------------------------------------------------------------------------------
# Processed tables
# ---------------------------------------------------------------------------------------------


def processed_table(name: str) -> schema.Table:
    """The declared table with processed (or raw) name ``name``; ``KeyError`` otherwise.

    Parameters
    ----------
    name : str
        Processed (``"clients"``) or raw (``"asiakkaat"``) table name.

    Returns
    -------
    schema.Table

    Examples
    --------
    >>> processed_table("asiakkaat").name
    'clients'
    """
    for t in schema.tables():
        if name in (t.name, t.raw):
            return t
    known = ", ".join(t.name for t in schema.tables())
    raise KeyError(f"unknown table {name!r}; processed tables are: {known}")


def processed_dtypes(table: schema.Table) -> dict[str, str]:
    """Processed column -> pandas dtype, in processed column order.

    Parameters
    ----------
    table : schema.Table
        A declared table.

    Returns
    -------
    dict
        ``str`` for text, codes and municipality, ``datetime64[ns]`` dates, ``int64`` required
        integers, ``float64`` other numbers and items.

    Examples
    --------
    >>> processed_dtypes(schema.CONTACTS)
    {'municipality': 'str', 'client_id': 'str', 'date': 'datetime64[ns]', 'minutes': 'int64', 'mode': 'str', 'content': 'str', 'worker': 'str', 'method': 'str'}
    """
    dtypes: dict[str, str] = {}
    for c in table.columns:
        if c.kind == "date":
            dtypes[c.name] = "datetime64[ns]"
        elif c.kind == "int" and c.required and c.name not in FLOAT_INT_COLUMNS:
            dtypes[c.name] = "int64"
        elif c.kind in ("int", "float", "item"):
            dtypes[c.name] = "float64"
        else:
            dtypes[c.name] = "str"
    if table.name == schema.CLIENTS.name:
        dtypes.update(age="int64", age_group="str")
    return dtypes


_ARROW_TYPES = {"str": pa.string(), "int64": pa.int64(), "float64": pa.float64(),
                "datetime64[ns]": pa.timestamp("ns")}


def arrow_schema(table: schema.Table, partition: bool = False) -> pa.Schema:
    """Arrow schema of a processed table (without ``municipality`` when ``partition``).

    Parameters
    ----------
    table : schema.Table
        A declared table.
    partition : bool
        Leave out ``municipality`` (it is the partition folder, not a file column).

    Returns
    -------
    pyarrow.Schema

    Examples
    --------
    >>> arrow_schema(schema.CONTACTS, partition=True).names
    ['client_id', 'date', 'minutes', 'mode', 'content', 'worker', 'method']
    """
    return pa.schema([pa.field(name, _ARROW_TYPES[dtype])
                      for name, dtype in processed_dtypes(table).items()
                      if not (partition and name == "municipality")])


def empty_processed(table: schema.Table) -> pd.DataFrame:
    """An empty processed frame with the right columns and dtypes.

    Parameters
    ----------
    table : schema.Table
        A declared table.

    Returns
    -------
    DataFrame

    Examples
    --------
    >>> empty_processed(schema.CONTACTS)["minutes"].dtype
    dtype('int64')
    """
    return pd.DataFrame({n: pd.Series(dtype=d) for n, d in processed_dtypes(table).items()})


def write_processed(frame: pd.DataFrame | pa.Table, out_dir: Path | str,
                    table: schema.Table) -> list[Path]:
    """Write a processed table as parquet partitioned by municipality; return the files.

    Rows are written in the order given within each municipality (sort them first for
    deterministic output); the ``<out>/<table>/`` folder is created even when there are no
    rows so that :func:`load_processed` can tell an empty table from a missing one.

    Parameters
    ----------
    frame : DataFrame or pyarrow.Table
        Processed rows (dtypes of :func:`processed_dtypes`, or the schema of
        :func:`arrow_schema`).
    out_dir : path
        Processed folder; the table goes to ``out_dir/<table.name>/municipality=<code>/``.
    table : schema.Table
        The declared table.

    Returns
    -------
    list of Path
        The parquet files written, one per municipality.

    Raises
    ------
    ValueError
        A row has no municipality (it would belong to no partition).

    Examples
    --------
    >>> import tempfile
    >>> frame = pd.DataFrame({"municipality": ["092"], "client_id": ["0123456789abcdef"],
    ...                       "date": pd.to_datetime(["2017-03-01"]), "minutes": [45],
    ...                       "mode": ["individual"], "content": ["guidance"],
    ...                       "worker": ["w01"], "method": ["conversation"]})
    >>> out = Path(tempfile.mkdtemp())
    >>> [p.relative_to(out).as_posix() for p in write_processed(frame, out, schema.CONTACTS)]
    ['contacts/municipality=092/part-0.parquet']
    >>> load_processed(out, "contacts")["minutes"].tolist()
    [45]
    """
    folder = Path(out_dir) / table.name
    folder.mkdir(parents=True, exist_ok=True)
    full = arrow_schema(table)
    if isinstance(frame, pd.DataFrame):
        frame = pa.Table.from_pandas(frame[full.names], schema=full, preserve_index=False)
    else:
        frame = frame.select(full.names).cast(full)
    municipality = frame["municipality"]
    if municipality.null_count:
        raise ValueError(f"{table.name}: {municipality.null_count} row(s) have no municipality")
    # A stable sort on the municipality alone keeps the given order within each one; the
    # partitions are then contiguous, zero-copy slices.
    order = pc.sort_indices(municipality)
    if not pc.all(pc.equal(order, pa.array(np.arange(len(order))))).as_py() and len(order):
        frame = frame.take(order)
        municipality = frame["municipality"]
    codes = municipality.to_numpy()
    starts = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]]) if len(codes) else []
    stops = [*starts[1:], len(codes)] if len(codes) else []  # an empty table: no partition
    data = frame.drop_columns(["municipality"]).replace_schema_metadata(None)
    written = []
    for start, stop in zip(starts, stops, strict=True):
        target = folder / f"municipality={codes[start]}" / "part-0.parquet"
        target.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(data.slice(start, stop - start), target, compression="zstd")
        written.append(target)
    return written


_PARTITIONING = ds.partitioning(pa.schema([("municipality", pa.string())]), flavor="hive")


@functools.lru_cache(maxsize=1)
def _organisation_names() -> tuple[dict[str, str], frozenset[str], dict[str, str]]:
    """``({casefolded name, slug or short name: code}, codes, {code: Finnish name})`` of the
    SOSKU organisations (:func:`soskulib.schema.organisations`, read once per process)."""
    orgs = schema.organisations()
    names: dict[str, str] = {}
    for row in orgs.itertuples(index=False):
        for name in (row.name_fi, row.name_en, row.slug, row.name_fi.split(" (")[0],
                     row.name_en.split(" (")[0]):
            names.setdefault(name.casefold(), row.code)
    return names, frozenset(orgs["code"]), dict(zip(orgs["code"], orgs["name_fi"], strict=True))


def municipality_codes(municipality: str | int | Sequence[str | int],
                       present: Iterable[str] = ()) -> list[str]:
    """Municipality codes (``"092"``) for codes in any usual form or names.

    Parameters
    ----------
    municipality : str, int or a sequence of them
        A Statistics Finland code as a number or text with or without leading zeros
        (``92``, ``"92"``, ``"092"``), or an organisation's name in Finnish or English, its
        slug or its short name (``"Vantaa"``, ``"Forssa region joint authority"``,
        ``"forssa"``, ``"Essote"``), in any letter case.
    present : iterable of str
        Codes found in the data, accepted besides the SOSKU organisations'
        (:func:`soskulib.schema.organisations`).

    Returns
    -------
    list of str
        Three-digit codes, in the order given.

    Raises
    ------
    ValueError
        A value that is none of these; the message lists the valid choices.
    TypeError
        A value that is neither text nor a whole number.

    Examples
    --------
    >>> municipality_codes(92), municipality_codes(["92", "Rovaniemi", "essote"])
    (['092'], ['092', '698', '491'])
    >>> municipality_codes("Helsinki")
    Traceback (most recent call last):
    ...
    ValueError: unknown municipality 'Helsinki'; choose a code or name of: 061 Forssan seudun hyvinvointikuntayhtymä, 092 Vantaa, 179 Jyväskylä, 186 Järvenpää, 205 Kainuu (SOS-Kainuu, Kainuun sote), 410 Laukaa, 491 Essote (Etelä-Savon sote-kuntayhtymä), 698 Rovaniemi, 743 Seinäjoki
    """
    names, known, label = _organisation_names()
    valid = known | set(present)
    values = [municipality] if isinstance(municipality, (str, int, np.integer)) else municipality
    codes = []
    for value in values:
        if isinstance(value, bool) or not isinstance(value, (str, int, np.integer)):
            raise TypeError(f"municipality must be a code or a name (str or int), got "
                            f"{type(value).__name__}")
        text = str(int(value)) if not isinstance(value, str) else value.strip()
        if text.isdigit() and len(text) <= 3:
            code = text.zfill(3)
        else:
            code = names.get(text.casefold(), text)
        if code not in valid:
            choices = ", ".join(f"{c} {label.get(c, '')}".strip() for c in sorted(valid))
            raise ValueError(f"unknown municipality {value!r}; choose a code or name of: {choices}")
        codes.append(code)
    return codes


def load_processed(processed_dir: Path | str, table: str, columns: Sequence[str] | None = None,
                   municipality: str | int | Sequence[str | int] | None = None,
                   filters: list[tuple[str, str, object]] | None = None) -> pd.DataFrame:
    """Load a processed table as a DataFrame with the project's dtype conventions.

    Parameters
    ----------
    processed_dir : path
        The ``sosku prepare`` output folder (``data/processed``).
    table : str
        Processed table name (``"clients"``, ``"responses_esis"``, ...).
    columns : sequence of str, optional
        Read only these columns (parquet column pruning).
    municipality : str, int or a sequence of them, optional
        Read only these municipalities or joint authorities, each given as its code in any
        usual form (``92``, ``"92"``, ``"092"``) or by name (``"Vantaa"``, ``"essote"``;
        see :func:`municipality_codes`).
    filters : pyarrow expression or DNF list, optional
        Further row filters, as in :func:`pyarrow.parquet.read_table`.

    Returns
    -------
    DataFrame
        ``client_id``/codes/``municipality`` as ``str``, dates ``datetime64[ns]``, required
        integers ``int64``, other numbers ``float64``; rows sorted by municipality and key.

    Raises
    ------
    FileNotFoundError
        The table has not been prepared.
    ValueError
        A municipality that is neither in the data nor among the SOSKU organisations (the
        message lists the valid choices).

    Examples
    --------
    >>> load_processed("/nonexistent", "clients")
    Traceback (most recent call last):
    ...
    FileNotFoundError: no processed table 'clients' in /nonexistent; run `sosku prepare` first
    """
    spec = processed_table(table)
    folder = Path(processed_dir) / spec.name
    if not folder.is_dir():
        raise FileNotFoundError(f"no processed table {spec.name!r} in {processed_dir}; "
                                "run `sosku prepare` first")
    dtypes = processed_dtypes(spec)
    wanted = list(dtypes) if columns is None else list(columns)
    unknown = [c for c in wanted if c not in dtypes]
    if unknown:
        raise KeyError(f"{spec.name} has no column(s) {unknown}; columns are {list(dtypes)}")
    dataset = ds.dataset(folder, format="parquet", partitioning=_PARTITIONING)
    expr = None
    if municipality is not None:
        present = {p.name.split("=", 1)[1] for p in folder.glob("municipality=*")}
        expr = ds.field("municipality").isin(municipality_codes(municipality, present))
    if filters is not None:
        extra = filters if isinstance(filters, ds.Expression) else pq.filters_to_expression(filters)
        expr = extra if expr is None else expr & extra
    if not dataset.files:
        return empty_processed(spec)[wanted]
    frame = dataset.to_table(columns=wanted, filter=expr).to_pandas()
    for j, name in enumerate(frame.columns):  # arrow gives most columns their dtype already
        dtype = pd.api.types.pandas_dtype(dtypes[name])
        if frame[name].dtype != dtype:
            frame.isetitem(j, frame[name].astype(dtype))
    return frame.reset_index(drop=True)
