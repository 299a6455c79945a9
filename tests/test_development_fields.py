"""Every field of the development-work data model, malformed one at a time in a small export.

For each new field a hand-made export of three rows (the middle one broken) must give a
located ``FILE:ROW:COLUMN: rule`` finding on exactly that row, and lose no row: every row
written is in the validated table, either accepted or rejected with its reason (warnings
reject nothing), and ``sosku prepare``'s manifest balances rows in = rows out + rejected.
Identity codes are artificial (individual numbers 900–999).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fixtures.rawexport import make_hetu, write_csv

from soskulib import prepare, schema, validation

HETU = [make_hetu(13, 10, 1952, 908 + i) for i in range(3)]

#: Three valid rows per raw file (one per identity code or key).
GOOD = {
    "osahankkeet": [["092", "Vantaa", "150", "3x10d,esis", "kylla"],
                    ["179", "Jyväskylä", "90", "esis", "ei"],
                    ["698", "Rovaniemi", "70", "3x10d", "kylla"]],
    "asiakkaat": [["092", h, "2", "pitkaaikaistyoton", "01.02.2017", "30.06.2017", "valmis",
                   "palkkatuki", "pitkaaikaistyoton,osatyokykyinen", "jatkuu", "paattynyt"]
                  for h in HETU],
    "kaynnit": [["092", h, "05.02.2017", "45", "yksilo", "ohjaus", "T1", "luonto"] for h in HETU],
    "kehittaminen": [["092", f"0{i + 3}.03.2017", "tyopaja", "teema", "1", "3", "5", "1", "0",
                      "1", "0", "2", "2", "092,179", "1", "6", "4"] for i in range(3)],
    "kokeilut": [["092", f"K{i}", "kuvaus", "asiakkaat", "3", "15.03.2017", "ryhmätoiminta",
                  "keskeyttaminen", "luottamus", "vakiintunut", "01.09.2017", "1"]
                 for i in range(3)],
    "ryhmakerrat": [["092", f"0{i + 6}.03.2017", "olohuone", "luova", "120", "8", "4", "3", "T2"]
                    for i in range(3)],
    "mittari_whodas12": [["092", h, "05.02.2017", "alku", "1-5", *["3"] * 12] for h in HETU],
}

#: (file, raw column, malformed value, expected rule, rejects the row?)
CASES = [
    ("osahankkeet", "taso3", "ehka", "unknown_code", True),
    ("asiakkaat", "kohderyhmat", "pitkaaikaistyoton,robotti", "unknown_code", True),
    ("asiakkaat", "jatkopolku", "palkka", "unknown_code", True),
    ("asiakkaat", "jatkopolku_3kk", "ehka", "unknown_code", True),
    ("asiakkaat", "jatkopolku_6kk", "ehka", "unknown_code", True),
    ("kaynnit", "tyontekija", HETU[0], "hetu_in_text", False),
    ("kaynnit", "menetelma", "taikuus", "unknown_code", True),
    ("kehittaminen", "teema", f"asiakas {HETU[2]} mukana", "hetu_in_text", False),
    ("kehittaminen", "taso", "4", "unknown_code", True),
    ("kehittaminen", "kunnat", "092,999", "unknown_code", True),
    ("kehittaminen", "kehittajaasiakkaat", "kolme", "not_a_number", True),
    ("kehittaminen", "vertaisohjaajat", "-1", "out_of_range", True),
    ("kehittaminen", "asiakasraati", "2,5", "not_an_integer", True),
    ("kehittaminen", "ammattilais_vertaisparit", "500", "out_of_range", True),
    ("kehittaminen", "naiset", "40", "gender_count_exceeds_total", True),
    ("kehittaminen", "miehet", "x", "not_a_number", True),
    ("kokeilut", "tunnus", "", "missing_required", True),
    ("kokeilut", "kuvaus", f"ks. {HETU[0]}", "hetu_in_text", False),
    ("kokeilut", "lahde", "naapuri", "unknown_code", True),
    ("kokeilut", "ideataso", "5", "unknown_code", True),
    ("kokeilut", "alkupvm", "31.02.2017", "impossible_date", True),
    ("kokeilut", "kohdemittari", "onni", "unknown_code", True),
    ("kokeilut", "mekanismi", "taika", "unknown_code", True),
    ("kokeilut", "tila", "ehka", "unknown_code", True),
    ("kokeilut", "tilapvm", "01.01.2017", "end_before_start", True),
    ("kokeilut", "omaksuttu_taso", "7", "unknown_code", True),
    ("ryhmakerrat", "pvm", "32.01.2017", "impossible_date", True),
    ("ryhmakerrat", "menetelma", "taikuus", "unknown_code", True),
    ("ryhmakerrat", "kesto_min", "puoli", "not_a_number", True),
    ("ryhmakerrat", "osallistujat", "-3", "out_of_range", True),
    ("ryhmakerrat", "naiset", "20", "gender_count_exceeds_total", True),
    ("ryhmakerrat", "tyontekija", HETU[1], "hetu_in_text", False),
    ("mittari_whodas12", "koodaus", "0-9", "unknown_code", True),
]


def _table(raw_name: str) -> schema.Table:
    if raw_name.startswith("mittari_"):
        return schema.assessment_table(raw_name.removeprefix("mittari_"))
    return next(t for t in schema.tables() if t.raw == raw_name)


def _export(root: Path, raw_name: str, column: str | None = None, value: str = "") -> Path:
    """The file ``raw_name`` with three good rows, row 3 (file row) broken in ``column``."""
    table = _table(raw_name)
    rows = [list(r) for r in GOOD[raw_name]]
    if column is not None:
        rows[1][table.raw_columns.index(column)] = value
    folder = root if raw_name == "osahankkeet" else root / "092_vantaa"
    write_csv(folder / f"{raw_name}.csv", table.raw_columns, rows)
    return root


@pytest.mark.parametrize("raw_name", sorted(GOOD))
def test_good_rows_of_every_new_field_are_accepted(tmp_path, raw_name):
    tables, _ = validation.read_paths([_export(tmp_path, raw_name)])
    result = validation.validate(tables)
    assert result.errors == [], raw_name
    assert int(result.tables[_table(raw_name).name].accepted.sum()) == 3


@pytest.mark.parametrize(("raw_name", "column", "value", "rule", "rejects"), CASES,
                         ids=[f"{c[0]}.{c[1]}" for c in CASES])
def test_each_new_field_malformed_is_located_and_no_row_is_lost(tmp_path, raw_name, column,
                                                                 value, rule, rejects):
    tables, _ = validation.read_paths([_export(tmp_path, raw_name, column, value)])
    result = validation.validate(tables)
    mine = [f for f in result.findings if f.rule == rule]
    assert [(Path(f.file).name, f.row, f.column) for f in mine] == [(f"{raw_name}.csv", 3, column)], \
        [str(f) for f in result.findings]
    assert str(mine[0]).startswith(f"{Path(mine[0].file)}:3:{column}: {rule}")
    assert not any(h in str(mine[0]) for h in HETU)
    table = result.tables[_table(raw_name).name]
    assert len(table.frame) == 3  # every row written is in the table ...
    assert table.frame["_row"].tolist() == [2, 3, 4]
    # ... accepted, or rejected with its reason (a warning rejects nothing)
    assert table.reason.ne("").tolist() == [False, rejects, False]
    if rejects:
        assert rule in table.reason.iloc[1].split(";")


@pytest.mark.parametrize(("raw_name", "column", "value", "rule", "rejects"),
                         [c for c in CASES if c[0] != "osahankkeet"][::6],
                         ids=lambda v: str(v)[:20])
def test_prepare_balances_rows_of_a_malformed_export(tmp_path, monkeypatch, raw_name, column,
                                                     value, rule, rejects):
    monkeypatch.setenv("SOSKU_PSEUDO_KEY", "i14-test-key-" + "0" * 40)
    raw = _export(tmp_path / "raw", raw_name, column, value)
    out = tmp_path / "processed"
    prepare.prepare(raw, out, log=lambda message: None)
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    name = _table(raw_name).name
    entry = manifest["tables"][name]
    assert entry["rows_in"] == 3
    assert entry["rows_in"] == entry["rows_out"] + entry["rows_rejected"]
    assert entry["rows_rejected"] == int(rejects)


def test_level3_activity_outside_the_marked_sites_is_a_located_warning(tmp_path):
    _export(tmp_path, "osahankkeet")
    table = schema.ACTIVITIES
    rows = [list(r) for r in GOOD["kehittaminen"]]
    rows[0][table.raw_columns.index("taso")] = "3"  # Vantaa: a marked level-3 site
    write_csv(tmp_path / "092_vantaa" / "kehittaminen.csv", table.raw_columns, rows)
    rows = [[("179" if v == "092" else v) for v in r] for r in GOOD["kehittaminen"]]
    rows[2][table.raw_columns.index("taso")] = "3"  # Jyväskylä: not marked
    write_csv(tmp_path / "179_jyvaskyla" / "kehittaminen.csv", table.raw_columns, rows)
    result = validation.validate(validation.read_paths([tmp_path])[0])
    warned = [f for f in result.findings if f.rule == "level3_not_intensive_site"]
    assert [(Path(f.file).name, Path(f.file).parent.name, f.row, f.column, f.level)
            for f in warned] == [("kehittaminen.csv", "179_jyvaskyla", 4, "taso", "warning")]
    assert int(result.tables["activities"].accepted.sum()) == 6
    # without the flag column (an old osahankkeet.csv) nothing is checked
    write_csv(tmp_path / "osahankkeet.csv", schema.SUBPROJECTS.first_layout_columns,
              [r[:4] for r in GOOD["osahankkeet"]])
    result = validation.validate(validation.read_paths([tmp_path])[0])
    assert not [f for f in result.findings if f.rule == "level3_not_intensive_site"]
    assert [f.rule for f in result.findings if Path(f.file).name == "osahankkeet.csv"] == ["old_layout"]
