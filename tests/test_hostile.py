"""Hostile and messy exports: every class of issue 11 built as a file in ``tmp_path``.

No traceback (exit 3 with one line for a bug), every finding located on one line, rows kept in
the manifest's balance, no identity code outside the raw folder (any case, any century sign),
no live markup in HTML, no formula in a CSV meant for people.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from fixtures.rawexport import make_hetu, write_csv, write_export

from soskulib import cli, data_quality, page, prepare, rendering, sanitize, schema, site, validation
from soskulib import io as sio
from soskulib.errors import DataError

V = "092_vantaa"
LINE = re.compile(r"^[^\n]*:(\d+|-):[^\n]*: [a-z_]+: ")


def _findings(*paths) -> list[str]:
    """Findings as printed; a file given by path is shown by its name alone here."""
    found = [str(f) for f in validation.validate_paths(list(paths))]
    for p in paths:
        if Path(p).is_file():
            found = [f.replace(Path(p).as_posix(), Path(p).name) for f in found]
    return found


def _rules(*paths) -> set[str]:
    return {f.rule for f in validation.validate_paths(list(paths))}


def _prepare(raw: Path, out: Path, monkeypatch) -> dict:
    monkeypatch.delenv("SOSKU_PSEUDO_KEY_FILE", raising=False)
    monkeypatch.delenv("SOSKU_PSEUDO_KEY", raising=False)
    return prepare.prepare(raw, out, log=lambda _msg: None)


def _balanced(manifest: dict) -> bool:
    return all(t["rows_in"] == t["rows_out"] + t["rows_rejected"]
               for t in manifest["tables"].values())


def _contacts(tmp_path: Path) -> tuple[Path, list[list[object]]]:
    """A valid contacts file of 10 rows (no clients file, so no unknown_client)."""
    rows = [_contact(i) for i in range(10)]
    path = write_csv(tmp_path / V / "kaynnit.csv", schema.CONTACTS.raw_columns, rows)
    return path, rows


def _contact(i: int) -> list[object]:
    """A valid contacts row (any columns added to the table left empty)."""
    row = ["092", make_hetu(1 + i, 3, 1980, 100 + i), f"{10 + i}.01.2018", 45, "yksilo", "ohjaus"]
    return row + [""] * (len(schema.CONTACTS.raw_columns) - len(row))


def _text(path: Path) -> bytes:
    return path.read_bytes()


def _lines(data: bytes) -> list[bytes]:
    return data.split(b"\n")


# ---------------------------------------------------------------------------------------------
# Crashes become located findings
# ---------------------------------------------------------------------------------------------


def test_cr_only_line_endings_read_like_lf(tmp_path):
    path, rows = _contacts(tmp_path)
    path.write_bytes(_text(path).replace(b"\n", b"\r"))
    raw = sio.read_raw(path, "kaynnit.csv")[0]
    assert raw.n_rows == len(rows) and raw.rows.tolist() == list(range(2, 12))
    assert _findings(path) == []


def test_bare_cr_in_a_cell_is_located(tmp_path):
    path, _ = _contacts(tmp_path)
    lines = _lines(_text(path))
    lines[4] = lines[4].replace(b"yksilo", b"yks\rilo")  # unquoted: the record breaks there
    lines[6] = lines[6].replace(b"ohjaus", b'"oh\rjaus"')  # quoted: one (wrong) value
    path.write_bytes(b"\n".join(lines))
    found = _findings(path)
    assert found and all(LINE.match(f) for f in found)
    assert any(f.startswith("kaynnit.csv:5:") for f in found)
    assert any("'oh\\rjaus'" in f for f in found)  # shown visibly, on one line


def test_duplicated_csv_header_with_a_quoted_cell(tmp_path):
    path, _ = _contacts(tmp_path)
    lines = _lines(_text(path))
    lines[0] += b";pvm"
    lines[1:] = [line + b';"x"' for line in lines[1:] if line]
    path.write_bytes(b"\n".join(lines) + b"\n")
    assert _findings(path) == ["kaynnit.csv:1:pvm: wrong_header: column 'pvm' appears twice"]


def test_duplicated_xlsx_column(tmp_path):
    frame = pd.DataFrame([[*_contact(0), "x"]], columns=[*schema.CONTACTS.raw_columns, "pvm"])
    path = tmp_path / V / "kaynnit.xlsx"
    path.parent.mkdir(parents=True)
    frame.to_excel(path, sheet_name="kaynnit", index=False)
    found = _findings(path)
    assert any("wrong_header: column 'pvm' appears twice" in f for f in found)


@pytest.mark.parametrize("quoted", [False, True])
def test_cell_over_128_kib_is_too_long(tmp_path, quoted):
    path, _ = _contacts(tmp_path)
    lines = _lines(_text(path))
    big = b"x" * 140_000
    lines[3] = lines[3].replace(b"ohjaus", b'"' + big + b'"' if quoted else big)
    path.write_bytes(b"\n".join(lines))
    found = _findings(path)
    assert any(f.startswith("kaynnit.csv:4:sisalto: too_long: 140000 characters") for f in found)
    assert all(len(f) < 400 for f in found)


def test_stray_value_at_xfd1048576_is_refused_before_allocation(tmp_path):
    import openpyxl

    path = tmp_path / V / "sosku.xlsx"
    path.parent.mkdir(parents=True)
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "kaynnit"
    sheet.append(schema.CONTACTS.raw_columns)
    sheet.append(_contact(0))
    sheet["XFD1048576"] = "stray"
    book.create_sheet("laatukriteerit").append(schema.QUALITY.raw_columns)
    book.save(path)
    start = time.perf_counter()
    found = _findings(path)
    assert time.perf_counter() - start < 30
    assert ("sosku.xlsx[kaynnit]:1048576:XFD: sheet_too_large: the sheet's used range reaches "
            "cell XFD1048576") in "\n".join(found)
    assert any("[laatukriteerit]" in f and "no_rows" in f for f in found)  # the rest is read


def test_nul_byte_is_located_and_rows_stay_in_the_balance(tmp_path, monkeypatch):
    raw = tmp_path / "raw"
    write_export(raw)
    path = raw / V / "kaynnit.csv"
    lines = _lines(_text(path))
    lines[5] = lines[5].replace(b"yksilo", b"yks\x00ilo")
    path.write_bytes(b"\n".join(lines))
    found = _findings(path)
    assert "kaynnit.csv:6:muoto: control_character: 'yks\\x00ilo' contains a control " \
           "character (shown as \\x..); remove it" in found
    manifest = _prepare(raw, tmp_path / "out", monkeypatch)
    assert _balanced(manifest)
    contacts = manifest["tables"]["contacts"]  # 8 clients x 2 contacts x 2 municipalities
    assert contacts["rows_in"] == 32 and contacts["rows_rejected"] == 1


def test_binary_file_is_listed_as_unread(tmp_path, monkeypatch):
    raw = tmp_path / "raw"
    write_export(raw)
    (raw / V / "tavoitteet.csv").write_bytes(bytes(range(256)) * 20)
    manifest = _prepare(raw, tmp_path / "out", monkeypatch)
    assert f"{V}/tavoitteet.csv" in manifest["unread_files"]
    assert _balanced(manifest)


def test_missing_sheet_and_header_only_file_are_reported(tmp_path):
    path = tmp_path / V / "asiakkaat.xlsx"
    path.parent.mkdir(parents=True)
    pd.DataFrame({"kunta": ["092"]}).to_excel(path, sheet_name="Taul1", index=False)
    assert any("missing_sheet: the workbook has no sheet named 'asiakkaat'" in f
               for f in _findings(path))
    header_only = write_csv(tmp_path / V / "kaynnit.csv", schema.CONTACTS.raw_columns, [])
    assert _findings(header_only) == [
        "kaynnit.csv:-:-: no_rows: the file has a header but no data rows (warning)"]


def test_a_workbook_that_lost_a_sheet_is_reported(tmp_path, monkeypatch):
    raw = tmp_path / "raw"
    write_export(raw)
    folder = raw / V
    book = folder / "sosku_vantaa.xlsx"
    with pd.ExcelWriter(book) as writer:
        for csv_path in sorted(folder.glob("*.csv")):
            if csv_path.stem != "kaynnit":  # the contacts sheet is lost
                pd.read_csv(csv_path, sep=";", dtype=str).to_excel(writer, sheet_name=csv_path.stem,
                                                                   index=False)
            csv_path.unlink()
    expected = f"{V}:-:-: missing_table: no file or sheet for table 'kaynnit' in this folder"
    assert any(f.startswith(expected) for f in _findings(raw))
    manifest = _prepare(raw, tmp_path / "out", monkeypatch)
    assert manifest["problems"]["by_rule"]["missing_table"] == 1
    assert _balanced(manifest)


def test_symbolic_links_are_reported_never_followed(tmp_path, capsys):
    outside = tmp_path / "outside_secret_dir"
    outside.mkdir()
    (outside / "kaynnit.csv").write_text("kunta;henkilotunnus\n092;131052-9085\n")
    raw = tmp_path / "raw"
    write_export(raw)
    (raw / V / "kaynnit.csv").unlink()
    os.symlink(outside / "kaynnit.csv", raw / V / "kaynnit.csv")
    os.symlink(outside, raw / "179_jyvaskyla")
    assert cli.main(["validate", str(raw)]) == 1
    out = capsys.readouterr()
    text = out.out + out.err
    assert f"{V}/kaynnit.csv:-:-: symlink: a symbolic link is not followed" in text
    assert "179_jyvaskyla:-:-: symlink:" in text
    assert "outside_secret_dir" not in text and "131052" not in text


def test_invisible_characters_shown_and_one_finding_one_line(tmp_path):
    path, _ = _contacts(tmp_path)
    lines = _lines(_text(path))
    lines[2] = lines[2].replace(b"ohjaus", b"valmennus\x07")
    lines[3] = lines[3].replace(b"ohjaus", '"ohjaus\nyksi\u200b"'.encode())
    path.write_bytes(b"\n".join(lines))
    found = _findings(path)
    assert "kaynnit.csv:3:sisalto: unknown_code: 'valmennus\\x07' is not a content code " \
           "(allowed: arviointi, ohjaus, valmennus, ryhmatoiminta, muu)" in found
    assert any("'ohjaus\\nyksi\\u200b'" in f for f in found)
    assert all("\n" not in f and f.isprintable() for f in found)


def test_ctrl_z_at_the_end_is_not_a_row(tmp_path):
    path, rows = _contacts(tmp_path)
    path.write_bytes(_text(path) + b"\x1a")
    assert sio.read_raw(path)[0].n_rows == len(rows)
    assert _findings(path) == []
    path.write_bytes(_text(path).replace(b"\n", b"\r\n").rstrip(b"\x1a") + b"\x1a\r\n")
    assert sio.read_raw(path)[0].n_rows == len(rows)


def test_unknown_client_cascade_is_one_line_per_file(tmp_path):
    raw = tmp_path / "raw"
    write_export(raw, n_clients=15)
    clients = raw / V / "asiakkaat.csv"
    clients.write_bytes(b"\n".join(_lines(_text(clients))[1:]))  # the header line is lost
    found = [f for f in _findings(raw) if "unknown_client" in f]
    per_file = {f.split(":")[0] for f in found}
    assert len(found) == len(per_file)  # one line per file
    assert any(f"{V}/kaynnit.csv:2:henkilotunnus: unknown_client: 30 rows of this file" in f
               for f in found)


# ---------------------------------------------------------------------------------------------
# Identity codes never leave raw
# ---------------------------------------------------------------------------------------------

CODES = ["101263-913u", "150900a923B", "150900E923B", "010150Y9876", "0101509876"]


def _no_code_under(root: Path) -> list[str]:
    found = []
    for path in root.rglob("*"):
        if path.is_file() and path.suffix != ".parquet":
            if sanitize.contains_identity_code(path.read_text(encoding="utf-8",
                                                              errors="replace")):
                found.append(str(path))
        elif path.is_file():
            frame = pd.read_parquet(path)
            for col in frame.columns:
                if frame[col].dtype == object or pd.api.types.is_string_dtype(frame[col]):
                    if sanitize.identity_code_mask(frame[col]).any():
                        found.append(f"{path}:{col}")
    return found


def test_codes_in_free_text_and_names_never_leave_raw(tmp_path, monkeypatch, capsys):
    raw = tmp_path / "raw"
    write_export(raw)
    dev = raw / V / "kehittaminen.csv"
    lines = _lines(_text(dev))
    lines[1] = lines[1].replace(b"teema 1", f"teema {CODES[0]} ja {CODES[1]}".encode())
    dev.write_bytes(b"\n".join(lines))
    sub = raw / "osahankkeet.csv"
    sub.write_bytes(_text(sub).replace(b"Sosku vantaa", f"Sosku {CODES[2]}".encode()))
    extra = raw / f"{V}_{CODES[3]}"  # a folder named with a code ...
    extra.mkdir()
    shutil.copy(raw / V / "laatukriteerit.csv", extra / f"laatukriteerit_{CODES[4]}.csv")
    headerless = raw / "698_rovaniemi" / "asiakkaat.csv"  # ... and a file that lost its header
    headerless.write_bytes(b"\n".join(_lines(_text(headerless))[1:]).lower())

    assert cli.main(["validate", str(raw)]) == 1
    console = "".join(capsys.readouterr())
    assert not sanitize.contains_identity_code(console)
    assert "698_rovaniemi/asiakkaat.csv:1:-: no_header: the first row holds values" in console
    assert f"{V}/kehittaminen.csv:2:teema: hetu_in_text" in console

    out = tmp_path / "out"
    manifest = _prepare(raw, out, monkeypatch)
    assert _balanced(manifest)
    assert _no_code_under(out) == []
    theme = sio.load_processed(out, "activities")["theme"]
    assert "teema <hetu> ja <hetu>" in set(theme)
    names = [i["file"] for i in manifest["inputs"]]
    assert any("<hetu>" in n for n in names)
    rejects = pd.read_csv(out / "rejects" / "clients.csv", dtype=str)
    assert set(rejects["reason"]) == {"no_header"}
    cells = rejects.drop(columns=["source_file", "source_row", "reason"])
    assert cells.isna().all().all()  # the data-like header row and the rows are never echoed
    assert rejects["source_row"].tolist()[0] == "1"


def test_report_guard_deletes_a_refused_page(tmp_path):
    page = tmp_path / "municipalities" / "092_vantaa.html"
    page.parent.mkdir()
    page.write_text("<p>teema 150900a923b</p>", encoding="utf-8")
    ok = tmp_path / "index.csv"
    ok.write_text("n\n12\n", encoding="utf-8")
    with pytest.raises(DataError, match="deleted, not published"):
        site.guard_published(tmp_path, [page, ok])
    assert not page.exists() and ok.exists()


# ---------------------------------------------------------------------------------------------
# Injection: markup and formulas
# ---------------------------------------------------------------------------------------------

HOSTILE = ['<script>alert(1)</script>', '<img src=x onerror=alert(1)>', '<svg onload=alert(1)>',
           '=HYPERLINK("http://x","y")', "@SUM(A1)", "+1+1", "-1+1", "\t=1", "\r=1"]
#: Live markup: a script/img/svg/iframe element, or an event-handler attribute inside a tag.
LIVE = re.compile(r"<\s*(script|img|svg|iframe)\b|<[^>]*\son\w+\s*=", re.IGNORECASE)


def _formula_cells(path: Path) -> list[str]:
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, header=None)
    cells = pd.Series(frame.to_numpy().ravel(), dtype=object)
    return cells[sanitize.formula_mask(cells)].tolist()


def test_hostile_names_render_escaped(tmp_path):
    shown = []

    class Capturing(page.Report):
        def _show(self, body, text, metadata=None):
            shown.append(body)

    rep = Capturing(lang="fi", tables_dir=str(tmp_path / "t"))
    frame = pd.DataFrame({"file": HOSTILE, "column": HOSTILE[::-1], "problems": range(9)})
    frame[HOSTILE[0]] = HOSTILE
    rep.table(frame, "validation_findings", "caption")
    assert not LIVE.search(shown[0])
    assert "&lt;script&gt;" in shown[0]
    assert _formula_cells(tmp_path / "t" / "validation_findings.csv") == []


def test_formulas_are_neutralised_in_rejects_and_problems(tmp_path, monkeypatch):
    raw = tmp_path / "raw"
    write_export(raw)
    path = raw / V / "kaynnit.csv"
    lines = _lines(_text(path))
    for i, payload in enumerate(HOSTILE[3:8], start=1):
        cells = lines[i].decode().split(";")
        cells[5] = payload  # an unknown content code: rejected, quoted in the message
        lines[i] = ";".join(cells).encode()
    lines[0] += b";=HYPERLINK(1)"  # and as an extra column name
    lines[1:] = [line + b";@x" if line else line for line in lines[1:]]
    path.write_bytes(b"\n".join(lines))
    out = tmp_path / "out"
    manifest = _prepare(raw, out, monkeypatch)
    assert _balanced(manifest)
    for csv_path in [out / "problems.csv", *(out / "rejects").glob("*.csv")]:
        assert _formula_cells(csv_path) == [], csv_path.name
    rejects = pd.read_csv(out / "rejects" / "contacts.csv", dtype=str)
    assert "'=HYPERLINK(\"http://x\",\"y\")" in set(rejects["sisalto"])
    summary = data_quality.problem_summary(out)
    page = rendering.style_table(summary, "fi", 0, False, uid="v")
    assert not LIVE.search(page)


# ---------------------------------------------------------------------------------------------
# Internal errors: exit 3, one line naming the file, the other files' findings first
# ---------------------------------------------------------------------------------------------


def test_a_bug_in_one_file_exits_3_after_the_other_findings(tmp_path, monkeypatch, capsys):
    raw = tmp_path / "raw"
    write_export(raw)
    bad = raw / V / "kaynnit.csv"
    bad.write_bytes(_text(bad).replace(b"yksilo", b"ryhmaa", 1))
    original = sio.read_raw

    def broken(path, source=None):
        if Path(path).name == "tavoitteet.csv" and "092" in str(path):
            raise KeyError("simulated bug")
        return original(path, source)

    monkeypatch.setattr(sio, "read_raw", broken)
    assert cli.main(["validate", str(raw)]) == 3
    out = capsys.readouterr()
    assert f"{V}/kaynnit.csv:2:muoto: unknown_code" in out.out
    err = [line for line in out.err.splitlines() if line.strip()]
    assert len(err) == 1 and f"{V}/tavoitteet.csv" in err[0] and "KeyError" in err[0]
    assert "Traceback" not in out.err


def test_an_unexpected_error_anywhere_exits_3_on_one_line(monkeypatch, capsys):
    monkeypatch.delenv("SOSKU_DEBUG", raising=False)

    def boom(args):
        raise RuntimeError("two\nlines")

    parser = cli.build_parser
    monkeypatch.setattr(cli, "build_parser", lambda: _with(parser(), boom))
    assert cli.main(["validate", "x"]) == 3
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "internal error" in err and "RuntimeError: two\\nlines" in err


def _with(parser, func):
    for action in parser._subparsers._group_actions:
        for sub in action.choices.values():
            sub.set_defaults(func=func)
    return parser


# ---------------------------------------------------------------------------------------------
# A corpus of hostile copies of the demo export through prepare
# ---------------------------------------------------------------------------------------------


def _mutations() -> dict[str, callable]:
    def nul(root):
        path = root / V / "kaynnit.csv"
        data = bytearray(_text(path))
        data[len(data) // 2] = 0
        path.write_bytes(bytes(data))

    def headerless_lower(root):
        path = root / V / "asiakkaat.csv"
        path.write_bytes(b"\n".join(_lines(_text(path))[1:]).lower())

    def mac_and_dup(root):
        path = root / V / "tavoitteet.csv"
        lines = _lines(_text(path))
        lines[0] += b";kunta"
        path.write_bytes(b"\r".join(line + b";1" if i else line for i, line in enumerate(lines)))

    def code_in_names(root):
        (root / V / "kehittaminen.csv").rename(root / V / "kehittaminen_150900a923b.csv")
        sub = root / "osahankkeet.csv"
        lines = _lines(_text(sub))
        lines[1] = lines[1].replace(b";", b"; 010150Y9876 <script>x</script> ", 1)
        sub.write_bytes(b"\n".join(lines))

    def injection(root):
        path = root / V / "kaynnit.csv"
        lines = _lines(_text(path))
        lines[0] += b";<img src=x onerror=alert(1)>"
        lines[1:] = [line + b';=HYPERLINK("x")' if line else line for line in lines[1:]]
        path.write_bytes(b"\n".join(lines))

    return {f.__name__: f for f in (nul, headerless_lower, mac_and_dup, code_in_names, injection)}


@pytest.fixture(scope="module")
def demo_base(tmp_path_factory):
    from soskulib import demo

    return Path(demo.write_demo(tmp_path_factory.mktemp("demo") / "raw", seed=3, n_clients=150))


@pytest.mark.parametrize("name", sorted(_mutations()))
def test_hostile_demo_copies_through_prepare(name, demo_base, tmp_path, monkeypatch, capsys):
    raw = tmp_path / "raw"
    shutil.copytree(demo_base, raw)
    _mutations()[name](raw)
    out = tmp_path / "out"
    monkeypatch.delenv("SOSKU_PSEUDO_KEY", raising=False)
    monkeypatch.delenv("SOSKU_PSEUDO_KEY_FILE", raising=False)
    code = cli.main(["prepare", "--raw", str(raw), "--out", str(out)])
    console = "".join(capsys.readouterr())
    assert code == 0 and "Traceback" not in console
    assert not sanitize.contains_identity_code(console)
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert _balanced(manifest) and not manifest["internal_errors"]
    assert _no_code_under(out) == []
    for csv_path in [out / "problems.csv", *(out / "rejects").glob("*.csv")]:
        assert _formula_cells(csv_path) == [], csv_path.name
    problems = pd.read_csv(out / "problems.csv", dtype=str, keep_default_na=False)
    assert all(str(cell).isprintable() for cell in problems.to_numpy().ravel())  # one line
    assert not LIVE.search(rendering.style_table(data_quality.problem_summary(out), "fi", 0, False))


def test_demo_identity_codes_pass_the_guard_only_masked():
    rng = np.random.default_rng(0)
    codes = [make_hetu(int(d), int(m), int(y), int(n)) for d, m, y, n in
             zip(rng.integers(1, 29, 50), rng.integers(1, 13, 50), rng.integers(1900, 2020, 50),
                 rng.integers(2, 999, 50), strict=True)]
    assert all(sanitize.contains_identity_code(c.lower()) for c in codes)
