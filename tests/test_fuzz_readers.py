"""Property-based fuzz of the readers: ``io.read_raw`` + ``validation.validate`` never raise.

Generated files mix what broke the readers before (bare CRs, duplicated headers, quotes,
NUL and other control bytes, Ctrl-Z, BOMs, huge cells, missing headers, identity codes in
odd places) with plain random bytes. Derandomised, so a CI run is reproducible; a few hundred
examples keep it CI-sized. Every finding must print on one line without an identity code,
and the rows must balance (every data row accepted or rejected).
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from soskulib import io as sio
from soskulib import sanitize, schema, validation

TABLES = list(schema.tables())
NAMES = [t.raw for t in TABLES] + ["tuntematon"]
FOLDERS = ["092_vantaa", "698_rovaniemi", "179_jyvaskyla"]
SPECIAL = ["\r", "\n", "\r\n", '"', ";", ",", "\t", "\x00", "\x07", "\x1a", "\ufeff", "\u200b",
           "131052-9085", "101263-913u", "150900a923B", "=1+1", "-", "", " ", "31.02.2017",
           "092", "yksilo", "1,5", "x" * 40_000, "<script>"]


@st.composite
def text_files(draw) -> tuple[str, bytes]:
    table = draw(st.sampled_from(TABLES))
    columns = list(table.raw_columns)
    header = draw(st.lists(st.sampled_from(columns + ["extra", "pvm", ""]), min_size=1,
                           max_size=len(columns) + 2))
    cell = st.one_of(st.sampled_from(SPECIAL), st.text(max_size=8))
    rows = draw(st.lists(st.lists(cell, min_size=0, max_size=len(header) + 1), max_size=6))
    sep = draw(st.sampled_from([";", ",", "\t"]))
    end = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    lines = [sep.join(header)] if draw(st.booleans()) else []
    lines += [sep.join(r) for r in rows]
    text = end.join(lines) + draw(st.sampled_from(["", end, "\x1a", end + "\x1a"]))
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1252"]))
    data = text.encode(encoding, errors="replace")
    name = draw(st.sampled_from([table.raw, *NAMES])) + draw(st.sampled_from([".csv", ".txt"]))
    return name, data


files = st.one_of(text_files(),
                  st.tuples(st.sampled_from(["kaynnit.csv", "asiakkaat.csv", "x.csv"]),
                            st.binary(max_size=300)))


@settings(max_examples=200, derandomize=True, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(st.lists(files, min_size=1, max_size=3))
def test_readers_and_validation_never_raise(tmp_path, generated) -> None:
    raws = []
    for folder_name, (name, data) in zip(FOLDERS, generated, strict=False):
        folder = tmp_path / folder_name
        folder.mkdir(exist_ok=True)
        for old in folder.iterdir():
            old.unlink()
        path = folder / name
        path.write_bytes(data)
        raws.extend(sio.read_raw(path, f"{folder_name}/{name}"))
    result = validation.validate(raws)
    assert not result.internal_errors
    for finding in result.findings:
        text = str(finding)
        assert text.isprintable(), text
        assert not sanitize.contains_identity_code(text), text
    for name, table in result.tables.items():
        counted = sum(r.n_rows for r in raws if r.table is not None and r.table.name == name)
        assert len(table.reason) == counted, name
