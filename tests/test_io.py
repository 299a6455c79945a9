"""Reading raw files: encodings, delimiters, row numbers, xlsx, .sav; processed dtypes."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from soskulib import io as sio
from soskulib import schema

HEADER = "kunta;henkilotunnus;pvm;kesto_min;muoto;sisalto"


def _read(tmp_path, data: bytes, name: str = "kaynnit.csv", folder: str = "092_vantaa"):
    path = tmp_path / folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    [raw] = sio.read_raw(path, f"{folder}/{name}")
    return raw


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252", "utf-16"])
def test_encodings_are_detected(tmp_path, encoding):
    text = "kunta;nimi;suunniteltu_asiakasmaara;mittarit\n092;Hyvinvointiä Äänekoski;5;ö\n"
    raw = _read(tmp_path, text.encode(encoding), "osahankkeet.csv", folder="x")
    assert raw.failures.empty
    assert list(raw.data.columns) == ["kunta", "nimi", "suunniteltu_asiakasmaara", "mittarit"]
    assert raw.data.loc[0, "nimi"] == "Hyvinvointiä Äänekoski"


@pytest.mark.parametrize("sep", [";", ",", "\t"])
def test_delimiters_and_crlf(tmp_path, sep):
    text = f"{HEADER.replace(';', sep)}\r\n092{sep}x{sep}01.02.2017{sep}45{sep}yksilo{sep}ohjaus\r\n"
    raw = _read(tmp_path, text.encode())
    assert raw.data.loc[0, "kesto_min"] == "45" and raw.data.loc[0, "sisalto"] == "ohjaus"
    assert raw.rows.tolist() == [2]


def test_row_numbers_count_quoted_line_breaks_and_blank_lines(tmp_path):
    text = (f"{HEADER}\n092;a;01.02.2017;45;yksilo;\"two\nlines\"\n\n"
            "092;b;01.02.2017;45;yksilo;ohjaus\n")
    raw = _read(tmp_path, text.encode())
    assert raw.rows.tolist() == [2, 5]
    assert raw.data["henkilotunnus"].tolist() == ["a", "b"]


def test_binary_and_empty_files_are_data_problems(tmp_path):
    garbage = _read(tmp_path, np.random.default_rng(1).bytes(3000))
    assert garbage.failures["rule"].tolist() == ["not_text"] and not garbage.countable
    empty = _read(tmp_path, b"  \n", "tavoitteet.csv")
    assert empty.failures["rule"].tolist() == ["empty_file"] and empty.n_rows == 0


def test_truncated_and_ragged_rows(tmp_path):
    text = f"{HEADER}\n092;a;01.02.2017;45;yksilo;ohjaus;extra\n092;b;01.02.2017;4"
    raw = _read(tmp_path, text.encode())
    fails = raw.failures.sort_values("pos")
    assert fails[["pos", "row", "rule"]].values.tolist() == [
        [0, 2, "wrong_field_count"], [1, 3, "truncated"]]


def test_mixed_encoding_is_located(tmp_path):
    text = f"{HEADER}\n092;a;01.02.2017;45;yksilö;ohjaus\n092;b;01.02.2017;45;yksilo;ohjaus\n"
    data = text.encode("utf-8").replace(b"yksilo;ohjaus", b"yksil\xf6;ohjaus")
    raw = _read(tmp_path, data)
    assert raw.failures[["row", "column", "rule"]].values.tolist() == [[3, "muoto", "bad_encoding"]]


def test_parse_numbers_and_dates():
    numbers = sio.parse_numbers(pd.Series(["1,5", " 2 ", "−3", "1 000", "abc", None]))
    assert numbers.tolist()[:4] == [1.5, 2.0, -3.0, 1000.0] and numbers[4:].isna().all()
    dates = sio.parse_dates(pd.Series(["1.2.2017", "01.02.2017", "2017-02-01",
                                       "2017-02-01 00:00:00", "29.02.2017", "1/2/2017"]))
    assert dates.dtype == "datetime64[ns]"
    assert (dates[:4] == pd.Timestamp("2017-02-01")).all() and dates[4:].isna().all()


@given(st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2099, 12, 31)))
def test_date_formats_round_trip(day):
    text = pd.Series([day.strftime("%d.%m.%Y"), day.isoformat()])
    assert (sio.parse_dates(text) == pd.Timestamp(day)).all()


@given(st.integers(min_value=-10**6, max_value=10**6), st.integers(min_value=0, max_value=99))
def test_decimal_comma_round_trip(whole, cents):
    value = whole + (cents / 100 if whole >= 0 else -cents / 100)
    text = f"{value:.2f}".replace(".", ",")
    assert sio.parse_numbers(pd.Series([text]))[0] == pytest.approx(value)


def test_municipality_codes_are_padded():
    assert sio.normalise_municipality(pd.Series(["92", "092", "61.0", "1234"])).tolist() == [
        "092", "092", "061", "1234"]


def test_xlsx_rows_are_sheet_rows_and_excel_dates_work(tmp_path):
    path = tmp_path / "092_vantaa" / "book.xlsx"
    path.parent.mkdir()
    frame = pd.DataFrame({"kunta": [92, 92], "henkilotunnus": ["a", "b"],
                          "pvm": [dt.datetime(2017, 2, 1), dt.datetime(2017, 3, 1)],
                          "kesto_min": [45, 60], "muoto": ["yksilo", "ryhma"],
                          "sisalto": ["ohjaus", "muu"]})
    with pd.ExcelWriter(path) as writer:
        frame.to_excel(writer, sheet_name="kaynnit", index=False)
        frame.to_excel(writer, sheet_name="muistiinpanot", index=False)
    raws = sio.read_raw(path, "092_vantaa/book.xlsx")
    contacts = next(r for r in raws if r.sheet == "kaynnit")
    assert contacts.table is schema.CONTACTS and contacts.rows.tolist() == [2, 3]
    assert sio.parse_dates(contacts.data["pvm"]).tolist() == [pd.Timestamp("2017-02-01"),
                                                              pd.Timestamp("2017-03-01")]
    assert contacts.data["kunta"].tolist() == ["92", "92"]
    notes = next(r for r in raws if r.sheet == "muistiinpanot")
    assert notes.table is None and notes.failures["rule"].tolist() == ["unknown_table"]


def test_sav_is_read_with_integral_numbers_as_integers(tmp_path):
    import pyreadstat

    path = tmp_path / "092_vantaa" / "laatukriteerit.sav"
    path.parent.mkdir()
    frame = pd.DataFrame({"kunta": ["092", "092"], "vuosi": [2018.0, 2018.0],
                          "kriteeri": [1.0, 2.0], "arvio": [3.0, np.nan]})
    frame["kunta"] = frame["kunta"].astype(object)
    pyreadstat.write_sav(frame, str(path))
    [raw] = sio.read_raw(path)
    assert raw.table is schema.QUALITY and raw.rows.tolist() == [2, 3]
    assert raw.data["kriteeri"].tolist() == ["1", "2"]
    assert raw.data["arvio"].isna().tolist() == [False, True]


def test_discover_skips_non_tables_and_missing_path_raises(tmp_path):
    (tmp_path / "092_vantaa").mkdir()
    (tmp_path / "092_vantaa" / "kaynnit.csv").write_text(HEADER + "\n")
    (tmp_path / "truth.json").write_text("{}")
    (tmp_path / "README.md").write_text("x")
    assert [name for _p, name in sio.discover([tmp_path])] == ["092_vantaa/kaynnit.csv"]
    with pytest.raises(FileNotFoundError):
        sio.discover([tmp_path / "missing"])


def test_processed_dtypes_follow_the_convention():
    goals = sio.processed_dtypes(schema.GOALS)
    assert goals["goal_no"] == "int64" and goals["baseline_level"] == "float64"
    assert goals["attainment"] == "float64" and goals["weight"] == "float64"
    assert sio.processed_dtypes(schema.CLIENTS)["age"] == "int64"
    esis = sio.processed_dtypes(schema.assessment_table("esis"))
    assert esis["esis01"] == "float64" and esis["occasion"] == "str"


def test_load_processed_empty_and_unknown(tmp_path):
    empty = tmp_path / "contacts"
    empty.mkdir()
    frame = sio.load_processed(tmp_path, "contacts")
    assert frame.empty and frame["minutes"].dtype == "int64"
    with pytest.raises(KeyError, match="unknown table"):
        sio.load_processed(tmp_path, "nope")


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(alphabet="0123456789.,-+e \u2212\u00a0\u202fx", max_size=8), max_size=30))
def test_parse_numbers_agrees_with_to_numeric(cells):
    # The pyarrow fast path must give exactly what pandas.to_numeric gives on the cleaned text.
    values = pd.Series(cells, dtype="str").str.strip()
    values = values.where(values != "")
    text = (values.str.replace("\u2212", "-", regex=False).str.replace(",", ".", regex=False)
            .str.replace(r"[\s\u00a0]", "", regex=True))
    expected = pd.to_numeric(text, errors="coerce").astype("float64").to_numpy()
    got = sio.parse_numbers(values).to_numpy()
    np.testing.assert_array_equal(got, expected)
    np.testing.assert_array_equal(np.signbit(got), np.signbit(expected))


def test_files_with_and_without_quotes_read_alike(tmp_path):
    # Without quotes the fast pyarrow reader is used, with them the csv module: same cells.
    body = ["092;131052-9085; 1.3.2017 ;45;yksilo;ohjaus", "092;131052-9085;2.3.2017;;ryhma;muu"]
    header = "kunta;henkilotunnus;pvm;kesto_min;muoto;sisalto"
    plain = tmp_path / "plain" / "kaynnit.csv"
    quoted = tmp_path / "quoted" / "kaynnit.csv"
    for path, lines in ((plain, body), (quoted, [body[0], body[1].replace("muu", '"muu"')])):
        path.parent.mkdir()
        path.write_text("\n".join([header, *lines]) + "\n", encoding="utf-8")
    [a], [b] = sio.read_raw(plain), sio.read_raw(quoted)
    pd.testing.assert_frame_equal(a.data, b.data)
    assert a.rows.tolist() == b.rows.tolist() == [2, 3]
    assert a.data["pvm"].tolist() == ["1.3.2017", "2.3.2017"] and pd.isna(a.data["kesto_min"][1])
