"""The CSV downloads beside every published table: one for Excel, one for programs.

Every table a report shows (:meth:`soskulib.page.Report.table`) is written twice, next to
its page in ``<page>_tables/``, with the same cells (hidden cells as the disclosure marker
``..``, the same column headings, rows and order):

``<name>_excel.csv`` – **for Excel and people** (the page's "Excel" link)
    Opens correctly by double-click in Excel of the page's language: UTF-8 *with* a byte
    order mark (so ä, ö and τ² are not garbled), separated by ``;`` with a decimal comma on
    Finnish pages (``,`` and a decimal point on English pages), numbers rounded to the
    decimals shown on the page, no thousands separators (Excel adds its own), an ASCII
    hyphen-minus for negatives (Excel does not read U+2212 as a minus sign).

``<name>.csv`` – **machine-readable** (the page's "CSV" link)
    RFC 4180: UTF-8 without BOM, ``,`` separator, ``.`` decimal point, ``\\n`` line ends,
    full precision (no rounding), for R (``read.csv``), pandas (``read_csv``) and the
    build's own disclosure audit (``sosku audit``), which reads it back.

Both contain only published (disclosure-protected) cells. Text cells, column headings and
row labels that a spreadsheet could run as a formula (``=``, ``+``, ``-``, ``@``, tab, CR at
the start) are neutralised by :func:`soskulib.sanitize.csv_safe` (OWASP CSV injection) in
both files; numbers are left as numbers.

Examples
--------
>>> import pandas as pd, tempfile, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> table = pd.DataFrame({"kunta": ["Vantaa", "Jyväskylä"], "n": [120, 5],
...                       "d": [0.3544662764476021, -0.12], "=cmd": ["..", "x"]})
>>> files = write_table(table, folder, "effects", lang="fi", digits=2)
>>> sorted(p.name for p in files.values())
['effects.csv', 'effects_excel.csv']
>>> print(files["excel"].read_bytes().decode("utf-8"))  # doctest: +NORMALIZE_WHITESPACE
\ufeffkunta;n;d;'=cmd
Vantaa;120;0,35;..
Jyväskylä;5;-0,12;x
>>> print(files["machine"].read_text(encoding="utf-8"))  # doctest: +NORMALIZE_WHITESPACE
kunta,n,d,'=cmd
Vantaa,120,0.3544662764476021,..
Jyväskylä,5,-0.12,x
"""

from __future__ import annotations

import numbers
from pathlib import Path

import numpy as np
import pandas as pd

from soskulib.formatting import column_digits
from soskulib.sanitize import csv_safe

#: Suffix of the Excel variant's file stem.
EXCEL_SUFFIX = "_excel"
#: Separator and decimal mark of the Excel variant per page language.
EXCEL_DIALECT = {"fi": (";", ","), "en": (",", ".")}


def _excel_cell(value: object, decimal: str, digits: int) -> object:
    """A cell as the page shows it, in the Excel variant's number format."""
    if isinstance(value, (bool, np.bool_)) or value is None:
        return value
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if isinstance(value, numbers.Real):
        if not np.isfinite(value):
            return ""
        text = f"{float(value):.{digits}f}"
        if float(text) == 0:
            text = text.lstrip("-")
        return text.replace(".", decimal)
    return value


def excel_frame(table: pd.DataFrame, lang: str, digits: int) -> pd.DataFrame:
    """``table`` with its numbers written as the page shows them, for the Excel variant.

    Float columns are rounded to ``digits`` with the decimal mark of ``lang``; integer
    values (counts, also in float columns) keep no decimals; text is unchanged.

    Examples
    --------
    >>> excel_frame(pd.DataFrame({"n": [12.0, float("nan")], "m": [1.236, -0.001]}), "fi", 2)
        n     m
    0  12  1,24
    1      0,00
    """
    if lang not in EXCEL_DIALECT:
        raise ValueError(f"lang must be one of {', '.join(EXCEL_DIALECT)}, got {lang!r}")
    decimal = EXCEL_DIALECT[lang][1]
    out = table.copy()
    for j, (name, col) in enumerate(table.items()):
        if pd.api.types.is_bool_dtype(col.dtype):
            continue
        if pd.api.types.is_float_dtype(col.dtype):
            if isinstance(col.dtype, np.dtype):
                values = col.to_numpy()
                present = values[~np.isnan(values)]
            else:  # nullable floats
                present = col.dropna().to_numpy()
            integral = bool(len(present)) and bool(np.all(np.mod(present, 1) == 0))
            places = 0 if integral else column_digits(name, digits)
        elif pd.api.types.is_integer_dtype(col.dtype) or col.dtype == object:
            places = digits
        else:
            continue
        cells = np.empty(len(col), dtype=object)
        cells[:] = [_excel_cell(v, decimal, places) for v in col.to_numpy(dtype=object)]
        out.isetitem(j, cells)
    if isinstance(out.index, pd.MultiIndex) or not isinstance(out.index, pd.RangeIndex):
        out.index = out.index.map(lambda v: _excel_cell(v, decimal, digits))
    return out


def write_table(table: pd.DataFrame, folder: str | Path, name: str, *, lang: str,
                digits: int = 2, index: bool = False) -> dict[str, Path]:
    """Write the machine-readable and the Excel variant of a published table.

    Parameters
    ----------
    table : DataFrame
        The published table (protected, relabelled, hidden cells as markers).
    folder : path
        The page's tables folder (created if missing).
    name : str
        File stem.
    lang : {"fi", "en"}
        Page language: the Excel variant's separator and decimal mark.
    digits : int
        Decimals shown on the page (the Excel variant's rounding).
    index : bool
        Whether the index is part of the table (row labels of a cross-tabulation).

    Returns
    -------
    dict
        ``{"machine": path, "excel": path}``.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    machine = folder / f"{name}.csv"
    excel = folder / f"{name}{EXCEL_SUFFIX}.csv"
    safe = csv_safe(table)
    safe.to_csv(machine, index=index, lineterminator="\n", encoding="utf-8")
    sep = EXCEL_DIALECT[lang][0] if lang in EXCEL_DIALECT else ","
    # Neutralised once: the Excel variant only writes numbers as text, and a number written
    # so ("-0,12") is never neutralised, so formatting the safe table is the same as making
    # the formatted table safe.
    excel_frame(safe, lang, digits).to_csv(
        excel, index=index, sep=sep, lineterminator="\r\n", encoding="utf-8-sig")
    return {"machine": machine, "excel": excel}
