"""Validation: a corpus of broken exports, each answered at FILE:ROW:COLUMN with its rule id."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from fixtures.rawexport import demo_export, make_hetu, write_csv, write_export
from hypothesis import given
from hypothesis import strategies as st

from soskulib import cli, schema, validation

V = "092_vantaa"
R = "698_rovaniemi"


@pytest.fixture
def export(tmp_path):
    root = tmp_path / "export"
    written = write_export(root)
    return root, written


def _table_for(rel: str) -> schema.Table:
    return schema.table_by_raw_name(Path(rel).stem)


def set_cell(root, written, rel, row_idx, column, value):
    """Rewrite one cell (data row index, raw column) of a fixture file."""
    rows = copy.deepcopy(written[rel])
    table = _table_for(rel)
    rows[row_idx][table.raw_columns.index(column)] = value
    write_csv(root / rel, table.raw_columns, rows)


def append_row(root, written, rel, row):
    table = _table_for(rel)
    write_csv(root / rel, table.raw_columns, written[rel] + [row])
    return len(written[rel]) + 2  # file row of the appended row


def _run_validate(capsys, *paths) -> tuple[int, list[str]]:
    code = cli.main(["validate", *map(str, paths)])
    out = capsys.readouterr().out
    return code, out.splitlines()


# Each case mutates a valid export and returns the expected (file, row, column, rule).
def case_empty_file(root, w):
    (root / V / "kaynnit.csv").write_bytes(b"")
    return f"{V}/kaynnit.csv", "-", "-", "empty_file"


def case_binary_garbage(root, w):
    (root / V / "kehittaminen.csv").write_bytes(np.random.default_rng(3).bytes(2000))
    return f"{V}/kehittaminen.csv", "-", "-", "not_text"


def case_truncated(root, w):
    path = root / V / "asiakkaat.csv"
    data = path.read_bytes()
    path.write_bytes(data[: data.rstrip(b"\n").rfind(b"\n") + 20])  # cut inside the last row
    return f"{V}/asiakkaat.csv", len(w[f"{V}/asiakkaat.csv"]) + 1, "-", "truncated"


def case_wrong_header(root, w):
    table = schema.CONTACTS
    header = [("paiva" if c == "pvm" else c) for c in table.raw_columns]
    write_csv(root / V / "kaynnit.csv", header, w[f"{V}/kaynnit.csv"])
    return f"{V}/kaynnit.csv", 1, "pvm", "wrong_header"


def case_text_in_number_column(root, w):
    set_cell(root, w, f"{V}/kaynnit.csv", 0, "kesto_min", "puoli tuntia")
    return f"{V}/kaynnit.csv", 2, "kesto_min", "not_a_number"


def case_out_of_range_item(root, w):
    set_cell(root, w, f"{V}/mittari_esis.csv", 1, "esis04", 7)
    return f"{V}/mittari_esis.csv", 3, "esis04", "out_of_range"


def case_impossible_date(root, w):
    set_cell(root, w, f"{V}/asiakkaat.csv", 1, "alkupvm", "31.02.2017")
    return f"{V}/asiakkaat.csv", 3, "alkupvm", "impossible_date"


def case_end_before_start(root, w):
    set_cell(root, w, f"{V}/asiakkaat.csv", 0, "loppupvm", "01.01.2016")
    return f"{V}/asiakkaat.csv", 2, "loppupvm", "end_before_start"


def case_unknown_code(root, w):
    set_cell(root, w, f"{V}/kaynnit.csv", 3, "muoto", "puhelin")
    return f"{V}/kaynnit.csv", 5, "muoto", "unknown_code"


def case_duplicate_row(root, w):
    row = append_row(root, w, f"{V}/tavoitteet.csv", w[f"{V}/tavoitteet.csv"][0])
    return f"{V}/tavoitteet.csv", row, "-", "duplicate_row"


def case_duplicate_key(root, w):
    first = list(w[f"{V}/tavoitteet.csv"][0])
    first[schema.GOALS.raw_columns.index("elamanalue")] = "talous"
    row = append_row(root, w, f"{V}/tavoitteet.csv", first)
    return f"{V}/tavoitteet.csv", row, "henkilotunnus", "duplicate_key"


def case_invalid_hetu_check_character(root, w):
    hetu = w[f"{V}/asiakkaat.csv"][2][1]
    wrong = hetu[:-1] + ("A" if hetu[-1] != "A" else "B")
    set_cell(root, w, f"{V}/asiakkaat.csv", 2, "henkilotunnus", wrong)
    return f"{V}/asiakkaat.csv", 4, "henkilotunnus", "invalid_hetu"


def case_hetu_impossible_birth_date(root, w):
    digits = "310279345"  # 31 February 1979; the check character itself is right
    hetu = f"{digits[:6]}-{digits[6:]}{'0123456789ABCDEFHJKLMNPRSTUVWXY'[int(digits) % 31]}"
    set_cell(root, w, f"{V}/asiakkaat.csv", 3, "henkilotunnus", hetu)
    return f"{V}/asiakkaat.csv", 5, "henkilotunnus", "invalid_hetu"


def case_unknown_municipality(root, w):
    set_cell(root, w, f"{V}/laatukriteerit.csv", 2, "kunta", "999")
    return f"{V}/laatukriteerit.csv", 4, "kunta", "unknown_municipality"


def case_municipality_not_folder(root, w):
    set_cell(root, w, f"{V}/kaynnit.csv", 1, "kunta", "698")
    return f"{V}/kaynnit.csv", 3, "kunta", "municipality_mismatch"


def case_unknown_client(root, w):
    stranger = make_hetu(1, 1, 1970, 777)
    row = list(w[f"{V}/kaynnit.csv"][0])
    row[1] = stranger
    line = append_row(root, w, f"{V}/kaynnit.csv", row)
    return f"{V}/kaynnit.csv", line, "henkilotunnus", "unknown_client"


def case_client_of_other_municipality(root, w):
    rows = copy.deepcopy(w[f"{R}/kaynnit.csv"])
    rows[0][1] = w[f"{V}/asiakkaat.csv"][0][1]  # a Vantaa client in Rovaniemi's contacts
    write_csv(root / R / "kaynnit.csv", schema.CONTACTS.raw_columns, rows)
    return f"{R}/kaynnit.csv", 2, "henkilotunnus", "unknown_client"


def case_xlsx_bad_value(root, w):
    rel = f"{R}/laatukriteerit.csv"
    rows = copy.deepcopy(w[rel])
    rows[3][3] = 9
    (root / rel).unlink()
    frame = pd.DataFrame(rows, columns=schema.QUALITY.raw_columns)
    frame.to_excel(root / R / "laatukriteerit.xlsx", sheet_name="laatukriteerit", index=False)
    return f"{R}/laatukriteerit.xlsx[laatukriteerit]", 5, "arvio", "out_of_range"


def case_sav_bad_value(root, w):
    import pyreadstat

    rel = f"{R}/mittari_whodas12.csv"
    table = schema.assessment_table("whodas12")
    frame = pd.DataFrame(copy.deepcopy(w[rel]), columns=table.raw_columns)
    for item in ("s1", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10", "s11", "s12"):
        frame[item] = frame[item].astype("float64")
    frame.loc[4, "s3"] = 9.0
    frame["kunta"] = frame["kunta"].astype(object)
    (root / rel).unlink()
    pyreadstat.write_sav(frame, str(root / R / "mittari_whodas12.sav"))
    return f"{R}/mittari_whodas12.sav", 6, "s3", "out_of_range"


def case_unknown_table(root, w):
    write_csv(root / V / "asiakkaat_vanha.csv", schema.CLIENTS.raw_columns, [])
    return f"{V}/asiakkaat_vanha.csv", "-", "-", "unknown_table"


def case_date_outside_window(root, w):
    set_cell(root, w, f"{V}/kaynnit.csv", 2, "pvm", "01.01.2030")
    return f"{V}/kaynnit.csv", 4, "pvm", "date_out_of_window"


def case_negative_minutes(root, w):
    set_cell(root, w, f"{V}/kaynnit.csv", 4, "kesto_min", "-30")
    return f"{V}/kaynnit.csv", 6, "kesto_min", "out_of_range"


def case_missing_required(root, w):
    set_cell(root, w, f"{V}/asiakkaat.csv", 5, "sukupuoli", "")
    return f"{V}/asiakkaat.csv", 7, "sukupuoli", "missing_required"


def case_not_an_integer(root, w):
    set_cell(root, w, f"{V}/tavoitteet.csv", 1, "tavoite_nro", "1,5")
    return f"{V}/tavoitteet.csv", 3, "tavoite_nro", "not_an_integer"


def case_wrong_field_count(root, w):
    path = root / V / "laatukriteerit.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[3] += ";extra"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return f"{V}/laatukriteerit.csv", 4, "-", "wrong_field_count"


def case_bad_utf8_byte(root, w):
    path = root / V / "kehittaminen.csv"
    text = path.read_text(encoding="utf-8").replace("teema 2", "työpaja ä")
    data = text.encode("utf-8").replace("ä".encode(), b"\xe4")  # one stray cp1252 byte
    data = data.replace(b"ty\xc3\xb6paja \xe4", b"ty\xc3\xb6paja \xe4")
    path.write_bytes(data)
    return f"{V}/kehittaminen.csv", 3, "teema", "bad_encoding"


def case_quoted_newline_keeps_line_numbers(root, w):
    path = root / V / "kehittaminen.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[1] = lines[1].replace("teema 1", '"teema\nkahdella rivillä"')
    lines[2] = lines[2].replace("tyopaja", "sauna")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return f"{V}/kehittaminen.csv", 4, "tyyppi", "unknown_code"  # line 4, not 3


def case_implausible_age(root, w):
    set_cell(root, w, f"{V}/asiakkaat.csv", 6, "henkilotunnus", make_hetu(5, 5, 2010, 123))
    return f"{V}/asiakkaat.csv", 8, "henkilotunnus", "implausible_age"


def case_unknown_folder_code(root, w):
    (root / V).rename(root / "999_nowhere")
    return "999_nowhere/asiakkaat.csv", "-", "-", "unknown_municipality"


CASES = [v for k, v in sorted(globals().items()) if k.startswith("case_")]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.__name__.removeprefix("case_"))
def test_broken_input_is_located(case, export, capsys):
    root, written = export
    file, row, column, rule = case(root, written)
    code, lines = _run_validate(capsys, root)
    expected = f"{file}:{row}:{column}: {rule}:"
    assert code == 1
    assert any(line.startswith(expected) for line in lines), (expected, lines)


def test_corpus_is_large_enough():
    assert len(CASES) >= 20


def test_clean_export_passes(export, capsys):
    root, _ = export
    code, lines = _run_validate(capsys, root)
    assert (code, lines) == (0, [])


def test_cp1252_file_is_read_correctly(export, capsys):
    root, written = export
    rows = copy.deepcopy(written["osahankkeet.csv"])
    rows[0][1] = "Sosku Hyvinvointiä ja työtä Äänekoskelta"
    write_csv(root / "osahankkeet.csv", schema.SUBPROJECTS.raw_columns, rows, encoding="cp1252")
    code, lines = _run_validate(capsys, root)
    assert (code, lines) == (0, [])
    raw_tables, _ = validation.read_paths([root / "osahankkeet.csv"])
    result = validation.validate(raw_tables)
    assert result.tables["subprojects"].frame["name"].iloc[0] == rows[0][1]


def test_one_row_breaking_several_rules_is_rejected_once(export):
    root, written = export
    rows = copy.deepcopy(written[f"{V}/kaynnit.csv"])
    rows[0][2], rows[0][3], rows[0][4] = "32.13.2017", "x", "puhelin"
    write_csv(root / V / "kaynnit.csv", schema.CONTACTS.raw_columns, rows)
    raw_tables, _ = validation.read_paths([root])
    result = validation.validate(raw_tables)
    contacts = result.tables["contacts"]
    assert contacts.reason.iloc[0] == "impossible_date;not_a_number;unknown_code"
    assert (contacts.reason != "").sum() == 1
    rules = {f.rule for f in result.findings if f.row == 2 and "kaynnit" in f.file}
    assert rules == {"impossible_date", "not_a_number", "unknown_code"}


def test_missing_items_break_no_rule(export, capsys):
    root, written = export
    set_cell(root, written, f"{V}/mittari_esis.csv", 0, "esis03", "")
    assert _run_validate(capsys, root) == (0, [])


def test_unknown_column_is_a_warning_only(export, capsys):
    root, written = export
    header = schema.QUALITY.raw_columns + ["huomio"]
    write_csv(root / V / "laatukriteerit.csv", header,
              [r + ["ok"] for r in written[f"{V}/laatukriteerit.csv"]])
    code, lines = _run_validate(capsys, root)
    assert code == 0
    assert lines == [f"{V}/laatukriteerit.csv:1:huomio: unknown_column: laatukriteerit has no "
                     "column 'huomio'; it is ignored (warning)"]


def test_duplicate_keeps_first_occurrence(export):
    root, written = export
    rel = f"{V}/tavoitteet.csv"
    append_row(root, written, rel, written[rel][0])
    result = validation.validate(validation.read_paths([root])[0])
    reason = result.tables["goals"].reason
    n_vantaa = len(written[rel])  # Vantaa's file comes first; its copy is appended last
    assert reason.iloc[0] == "" and reason.iloc[n_vantaa] == "duplicate_row"


def test_messages_never_quote_an_identity_code(export, capsys):
    root, written = export
    hetu = written[f"{V}/asiakkaat.csv"][0][1]
    set_cell(root, written, f"{V}/kaynnit.csv", 0, "pvm", hetu)  # hetu in a date column
    set_cell(root, written, f"{V}/asiakkaat.csv", 2, "henkilotunnus", hetu[:-1] + "G")
    code, lines = _run_validate(capsys, root)
    assert code == 1 and lines
    text = "\n".join(lines)
    assert hetu not in text and hetu[:-1] not in text
    assert "'<hetu>' is not a date" in text


def test_usage_errors_exit_2(tmp_path, capsys):
    assert cli.main(["validate", str(tmp_path / "nope")]) == 2
    assert "no such file or folder" in capsys.readouterr().err
    (tmp_path / "empty").mkdir()
    assert cli.main(["validate", str(tmp_path / "empty")]) == 2


def test_single_file_can_be_validated(export, capsys):
    root, written = export
    set_cell(root, written, f"{V}/kaynnit.csv", 0, "kesto_min", "0")
    code, lines = _run_validate(capsys, root / V / "kaynnit.csv")
    assert code == 1
    assert lines == [f"{root / V / 'kaynnit.csv'}:2:kesto_min: out_of_range: '0' is outside 1–600"]


def test_no_traceback_for_garbage_subprocess(tmp_path):
    folder = tmp_path / "092_vantaa"
    folder.mkdir()
    (folder / "asiakkaat.csv").write_bytes(np.random.default_rng(0).bytes(4096))
    (folder / "kaynnit.csv").write_bytes(b"")
    (folder / "tavoitteet.csv").write_text("kunta;henkilotunnus\n092;131052-9085;x;y\n")
    (folder / "mittari_esis.xlsx").write_bytes(b"PK\x03\x04 not really a workbook")
    (folder / "mittari_3x10d.sav").write_bytes(b"$FL2 not really SPSS")
    proc = subprocess.run([sys.executable, "-m", "soskulib", "validate", str(tmp_path)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr
    rules = {line.split(": ")[1] for line in proc.stdout.splitlines()}
    assert {"not_text", "empty_file", "wrong_header", "not_xlsx", "not_sav"} <= rules
    assert "131052-9085" not in proc.stdout + proc.stderr


def test_demo_planted_problems_are_all_reported():
    out = demo_export()
    from soskulib import demo
    truth = json.loads((out / "truth.json").read_text(encoding="utf-8"))
    findings = validation.validate_paths([out])
    located = {(f.file, str(f.row), f.column, f.rule) for f in findings}
    # An xlsx sheet is reported as FILE[SHEET].
    missing = [p for p in truth["planted_problems"]
               if (p["file"] + (f"[{p['sheet']}]" if p.get("sheet") else ""), str(p["row"]),
                   p["column"], p["rule"]) not in located]
    assert len(truth["planted_problems"]) >= 10
    assert not missing, missing
    assert {p["rule"] for p in truth["planted_problems"]} <= set(demo.PROBLEM_RULES)


# --- duplicate detection (row_groups / first_of_group) -----------------------------------------
_cells = st.lists(st.tuples(st.sampled_from(["a", "b", "ä", None]),
                            st.sampled_from([1.0, 2.0, np.nan]),
                            st.sampled_from([pd.Timestamp("2017-01-02"), pd.NaT])),
                  max_size=40)


@given(_cells)
def test_row_groups_match_pandas_groupby_and_duplicated(cells):
    frame = pd.DataFrame(cells, columns=["s", "x", "d"]).astype(
        {"s": "str", "x": "float64", "d": "datetime64[ns]"})
    groups = validation.row_groups([frame[c] for c in frame.columns])
    expected = frame.groupby(list(frame.columns), dropna=False, sort=False).ngroup()
    assert groups.tolist() == expected.tolist()
    first = validation.first_of_group(groups)
    assert (first != np.arange(len(frame))).tolist() == frame.duplicated().tolist()
    assert all(groups[first[i]] == groups[i] and first[i] <= i for i in range(len(frame)))


def test_exact_copy_of_an_invalid_row_is_still_a_duplicate(export):
    root, written = export
    rel = f"{V}/tavoitteet.csv"
    broken = list(written[rel][0])
    broken[schema.GOALS.raw_columns.index("asetettu_pvm")] = "31.02.2017"
    write_csv(root / rel, schema.GOALS.raw_columns, written[rel] + [broken, broken])
    result = validation.validate(validation.read_paths([root])[0])
    reason = result.tables["goals"].reason
    n_vantaa = len(written[rel])  # Vantaa's file comes first; the two copies end it
    assert reason.iloc[n_vantaa] == "impossible_date"
    assert reason.iloc[n_vantaa + 1] == "duplicate_row;impossible_date"
