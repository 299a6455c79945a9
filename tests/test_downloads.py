"""CSV downloads: an Excel variant (Finnish Excel dialect) and a machine-readable one."""

from __future__ import annotations

import csv
import io

import numpy as np
import pandas as pd
import pytest

from soskulib import downloads
from soskulib.page import Report


@pytest.fixture
def table():
    return pd.DataFrame({"mittari": ["ESIS", "τ² ja ä", "=HYPERLINK(\"x\")"],
                         "n": [1204, 7, 12],
                         "d_z": [0.3544662764476021, -0.12, float("nan")],
                         "osuus": [".." , "52.5", "3"]})


def test_excel_variant_opens_in_finnish_excel(tmp_path, table):
    files = downloads.write_table(table, tmp_path, "t", lang="fi", digits=2)
    raw = files["excel"].read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")                       # UTF-8 BOM
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == ["mittari", "n", "d_z", "osuus"]
    assert rows[1] == ["ESIS", "1204", "0,35", ".."]              # precision of the page
    assert rows[2][0] == "τ² ja ä" and rows[2][2] == "-0,12"      # ASCII minus for Excel
    assert rows[3][0].startswith("'=")                            # formula neutralised
    assert rows[3][2] == ""


def test_machine_variant_keeps_full_precision(tmp_path, table):
    files = downloads.write_table(table, tmp_path, "t", lang="fi", digits=2)
    raw = files["machine"].read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf")
    back = pd.read_csv(files["machine"])
    assert back["d_z"].iloc[0] == pytest.approx(0.3544662764476021, rel=0, abs=1e-16)
    assert back["n"].tolist() == [1204, 7, 12]
    assert back["mittari"].iloc[2].startswith("'=")


def test_english_excel_variant_is_comma_separated(tmp_path, table):
    files = downloads.write_table(table, tmp_path, "t", lang="en", digits=1)
    rows = list(csv.reader(io.StringIO(files["excel"].read_text(encoding="utf-8-sig"))))
    assert rows[1][:3] == ["ESIS", "1204", "0.4"]


def test_report_table_writes_both_and_links_them(tmp_path):
    rep = Report("fi", tables_dir=tmp_path / "page_tables", display=False)
    rep.table(pd.DataFrame({"kunta": ["Vantaa"], "d": [0.3544]}), "effects", "Muutos")
    names = sorted(p.name for p in (tmp_path / "page_tables").iterdir())
    assert names == ["effects.csv", "effects_excel.csv"]


def test_doctests():
    import doctest

    result = doctest.testmod(downloads, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 3 and result.failed == 0


def test_excel_frame_is_what_series_map_gives():
    # excel_frame writes a column in one pass over its values; Series.map (the earlier code)
    # is the reference, on the dtypes a published table can hold.
    frame = pd.DataFrame({
        "cat": pd.Categorical(["a", None, "=b"]), "nint": pd.array([1, None, 3], dtype="Int64"),
        "date": pd.to_datetime(["2020-01-01", None, "2021-02-03"]),
        "nbool": pd.array([True, None, False], dtype="boolean"), "bool": [True, False, True],
        "float": [0.5, np.nan, -0.001], "whole": [1.0, 2.0, np.nan],
        "nfloat": pd.array([1.5, None, 2.0], dtype="Float64"), "int": [1, -2, 3],
        "mixed": [1, "..", None], "none": [None, None, None], "osuus (%)": [12.345, 1.0, 2.5]})
    for lang, digits in (("fi", 2), ("en", 3)):
        decimal = downloads.EXCEL_DIALECT[lang][1]
        got = downloads.excel_frame(frame, lang, digits)
        for name, col in frame.items():
            if pd.api.types.is_bool_dtype(col):
                want = col
            elif pd.api.types.is_float_dtype(col):
                present = col.dropna()
                integral = bool(len(present)) and bool(np.all(np.mod(present.to_numpy(), 1) == 0))
                places = 0 if integral else downloads.column_digits(name, digits)
                want = col.map(lambda v, p=places, d=decimal: downloads._excel_cell(v, d, p))
            elif pd.api.types.is_integer_dtype(col) or col.dtype == object:
                want = col.map(lambda v, d=decimal, k=digits: downloads._excel_cell(v, d, k))
            else:
                want = col
            assert got[name].astype(object).fillna("").tolist() == \
                want.astype(object).fillna("").tolist(), (name, lang)
