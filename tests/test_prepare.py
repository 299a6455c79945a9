"""prepare: balanced manifest, parquet schemas, rejects, determinism, privacy, pseudonym keys."""

from __future__ import annotations

import copy
import json
import re
import shutil
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from fixtures.rawexport import demo_export, write_csv, write_export
from hypothesis import given
from hypothesis import strategies as st

from soskulib import io as sio
from soskulib import prepare, pseudonym, schema
from soskulib.errors import ConfigurationError

V = "092_vantaa"
HETU_RE = re.compile(rb"\d{6}[-+A-FU-Y]\d{3}[0-9A-Y]")


@pytest.fixture
def messy_export(tmp_path):
    """The fixture export with a few broken rows and files."""
    root = tmp_path / "raw"
    written = write_export(root)
    rows = copy.deepcopy(written[f"{V}/asiakkaat.csv"])
    rows[1][4] = "31.02.2017"                     # impossible date: client rejected ...
    rows[2][1] = rows[2][1][:-1] + "G"            # invalid hetu (G is never a check char)
    rows.append(list(rows[0]))                    # exact duplicate
    write_csv(root / V / "asiakkaat.csv", schema.CLIENTS.raw_columns, rows)
    header = [("paiva" if c == "pvm" else c) for c in schema.ACTIVITIES.raw_columns]
    write_csv(root / V / "kehittaminen.csv", header, written[f"{V}/kehittaminen.csv"])
    (root / "698_rovaniemi" / "laatukriteerit.csv").write_bytes(b"\x00\x01garbage\xff" * 50)
    return root, written


def _prepare(raw, out, monkeypatch, key=None):
    monkeypatch.delenv("SOSKU_PSEUDO_KEY_FILE", raising=False)
    if key is None:
        monkeypatch.delenv("SOSKU_PSEUDO_KEY", raising=False)
    else:
        monkeypatch.setenv("SOSKU_PSEUDO_KEY", key)
    return prepare.prepare(raw, out, log=lambda _msg: None)


def test_manifest_balances_and_lists_inputs(messy_export, tmp_path, monkeypatch):
    raw, written = messy_export
    manifest = _prepare(raw, tmp_path / "out", monkeypatch)
    tables = manifest["tables"]
    assert set(tables) == {t.name for t in schema.tables()}
    for name, t in tables.items():
        assert t["rows_in"] == t["rows_out"] + t["rows_rejected"], name
    n_clients = len(written[f"{V}/asiakkaat.csv"]) * 2 + 1
    assert tables["clients"] == {"rows_in": n_clients, "rows_out": n_clients - 3,
                                 "rows_rejected": 3}
    # wrong header: every row of the file counted and rejected
    assert tables["activities"]["rows_rejected"] == len(written[f"{V}/kehittaminen.csv"])
    # binary garbage: no countable rows, listed with rows = null
    garbage = next(i for i in manifest["inputs"] if i["file"] == "698_rovaniemi/laatukriteerit.csv")
    assert garbage["rows"] is None and len(garbage["sha256"]) == 64
    assert tables["quality"]["rows_in"] == len(written[f"{V}/laatukriteerit.csv"])
    assert manifest["synthetic"] is True and manifest["created_by"].startswith("soskulib ")
    on_disk = json.loads((tmp_path / "out" / "manifest.json").read_text(encoding="utf-8"))
    assert on_disk == manifest


def test_parquet_schema_and_dtypes(messy_export, tmp_path, monkeypatch):
    raw, _ = messy_export
    out = tmp_path / "out"
    _prepare(raw, out, monkeypatch)
    for table in schema.tables():
        frame = sio.load_processed(out, table.name)
        expected = sio.processed_dtypes(table)
        assert list(frame.columns) == list(expected), table.name
        assert {c: str(t) for c, t in frame.dtypes.items()} == expected, table.name
    clients = sio.load_processed(out, "clients")
    assert clients["client_id"].str.fullmatch(r"[0-9a-f]{16}").all()
    assert set(clients["municipality"]) == {"092", "698"}
    assert clients["age_group"].isin(schema.AGE_GROUP_LABELS).all()
    files = sorted(p.relative_to(out).as_posix() for p in (out / "clients").rglob("*.parquet"))
    assert files == ["clients/municipality=092/part-0.parquet",
                     "clients/municipality=698/part-0.parquet"]
    assert pq.read_schema(out / files[0]).metadata is None  # no pandas/time metadata


def test_load_processed_columns_and_filters(messy_export, tmp_path, monkeypatch):
    raw, _ = messy_export
    out = tmp_path / "out"
    _prepare(raw, out, monkeypatch)
    contacts = sio.load_processed(out, "contacts", columns=["client_id", "minutes"],
                                  municipality="698")
    assert list(contacts.columns) == ["client_id", "minutes"]
    every = sio.load_processed(out, "contacts")
    assert len(contacts) == (every["municipality"] == "698").sum() > 0
    long = sio.load_processed(out, "contacts", filters=[("minutes", ">", 40)])
    assert len(long) == (every["minutes"] > 40).sum()
    assert sio.load_processed(out, "activities").query("municipality == '092'").empty
    with pytest.raises(KeyError, match="no column"):
        sio.load_processed(out, "contacts", columns=["henkilotunnus"])


def test_rejects_carry_reason_and_pseudonym(messy_export, tmp_path, monkeypatch):
    raw, written = messy_export
    out = tmp_path / "out"
    _prepare(raw, out, monkeypatch)
    rejects = pd.read_csv(out / "rejects" / "clients.csv", dtype=str)
    assert list(rejects.columns[:3]) == ["source_file", "source_row", "reason"]
    assert "henkilotunnus" not in rejects.columns and "client_id" in rejects.columns
    assert rejects[["source_row", "reason"]].values.tolist() == [
        ["3", "impossible_date"], ["4", "invalid_hetu"],
        [str(len(written[f"{V}/asiakkaat.csv"]) + 2), "duplicate_row"]]
    bad_hetu = written[f"{V}/asiakkaat.csv"][2][1][:-1] + "G"
    assert rejects["client_id"].iloc[1] == pseudonym.pseudonymise(pd.Series([bad_hetu]),
                                                                  pseudonym.DEMO_KEY).iloc[0]
    activities = pd.read_csv(out / "rejects" / "activities.csv", dtype=str)
    assert set(activities["reason"]) == {"wrong_header"}
    problems = pd.read_csv(out / "problems.csv", dtype=str)
    assert list(problems.columns) == prepare.PROBLEM_COLUMNS
    assert {"impossible_date", "invalid_hetu", "duplicate_row", "wrong_header",
            "not_text"} <= set(problems["rule"])


def test_contacts_of_rejected_client_become_unknown_client(messy_export, tmp_path, monkeypatch):
    raw, written = messy_export
    out = tmp_path / "out"
    manifest = _prepare(raw, out, monkeypatch)
    rejects = pd.read_csv(out / "rejects" / "contacts.csv", dtype=str)
    assert set(rejects["reason"]) == {"unknown_client"}
    assert manifest["tables"]["contacts"]["rows_rejected"] == 4  # 2 clients x 2 contacts


def test_no_identity_code_anywhere_under_out(messy_export, tmp_path, monkeypatch):
    raw, written = messy_export
    out = tmp_path / "out"
    _prepare(raw, out, monkeypatch)
    hetus = {r[1] for rel, rows in written.items() if "asiakkaat" in rel for r in rows}
    for path in out.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert not HETU_RE.search(data), path
            assert not any(h.encode() in data for h in hetus), path
    for table in schema.tables():  # parquet pages are compressed: check decoded values too
        frame = sio.load_processed(out, table.name)
        for col in frame.select_dtypes("str"):
            assert not frame[col].str.contains(HETU_RE.pattern.decode(), na=False).any()


def test_output_is_deterministic(messy_export, tmp_path, monkeypatch):
    raw, _ = messy_export
    first, second = tmp_path / "a", tmp_path / "b"
    _prepare(raw, first, monkeypatch)
    _prepare(raw, second, monkeypatch)
    files = sorted(p.relative_to(first) for p in first.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(second) for p in second.rglob("*") if p.is_file())
    for rel in files:
        assert (first / rel).read_bytes() == (second / rel).read_bytes(), rel


def test_row_order_of_input_does_not_change_output(tmp_path, monkeypatch):
    raw = tmp_path / "raw"
    written = write_export(raw)
    _prepare(raw, tmp_path / "a", monkeypatch)
    rows = written[f"{V}/kaynnit.csv"][::-1]
    write_csv(raw / V / "kaynnit.csv", schema.CONTACTS.raw_columns, rows)
    _prepare(raw, tmp_path / "b", monkeypatch)
    part = Path("contacts/municipality=092/part-0.parquet")
    assert (tmp_path / "a" / part).read_bytes() == (tmp_path / "b" / part).read_bytes()


def test_pseudonyms_stable_per_key(tmp_path, monkeypatch):
    raw = tmp_path / "raw"
    write_export(raw, synthetic=False)
    key_a, key_b = "a" * 32, "b" * 32
    _prepare(raw, tmp_path / "a1", monkeypatch, key=key_a)
    _prepare(raw, tmp_path / "a2", monkeypatch, key=key_a)
    _prepare(raw, tmp_path / "b", monkeypatch, key=key_b)
    ids = {name: sio.load_processed(tmp_path / name, "clients")["client_id"].tolist()
           for name in ("a1", "a2", "b")}
    assert ids["a1"] == ids["a2"]
    assert not set(ids["a1"]) & set(ids["b"])
    manifest = json.loads((tmp_path / "a1" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["pseudonym_key"] == "SOSKU_PSEUDO_KEY" and manifest["synthetic"] is False
    assert key_a not in (tmp_path / "a1" / "manifest.json").read_text(encoding="utf-8")


def test_real_export_without_key_is_a_configuration_error(tmp_path, monkeypatch):
    raw = tmp_path / "raw"
    write_export(raw, synthetic=False)
    with pytest.raises(ConfigurationError, match="SOSKU_PSEUDO_KEY"):
        _prepare(raw, tmp_path / "out", monkeypatch)
    assert not (tmp_path / "out").exists()  # nothing written before the key is known


def test_rerun_replaces_only_own_outputs(tmp_path, monkeypatch):
    raw = tmp_path / "raw"
    write_export(raw)
    out = tmp_path / "out"
    out.mkdir()
    (out / "README.md").write_text("keep me", encoding="utf-8")
    (out / "clients" / "municipality=999").mkdir(parents=True)
    _prepare(raw, out, monkeypatch)
    assert (out / "README.md").read_text(encoding="utf-8") == "keep me"
    assert not (out / "clients" / "municipality=999").exists()
    assert (out / "codebook.md").is_file() and (out / "truth.json").is_file()


def test_demo_end_to_end(tmp_path, monkeypatch):
    raw = demo_export()
    out = tmp_path / "processed"
    manifest = _prepare(raw, out, monkeypatch)
    truth = json.loads((raw / "truth.json").read_text(encoding="utf-8"))
    assert manifest["synthetic"] is True and manifest["pseudonym_key"] == "DEMO_KEY"
    for name, t in manifest["tables"].items():
        assert t["rows_in"] == t["rows_out"] + t["rows_rejected"], name
        # the demo simulates every table except instruments imported from other services
        imported = {f"responses_{i}" for i in schema.IMPORTED_INSTRUMENTS}
        assert (t["rows_in"] == 0) == (name in imported), name
    rejected = sum(t["rows_rejected"] for t in manifest["tables"].values())
    assert rejected >= len(truth["planted_problems"]) - 1  # a row may carry two problems
    assert json.loads((out / "truth.json").read_text(encoding="utf-8")) == truth
    clients = sio.load_processed(out, "clients")
    assert clients["municipality"].nunique() == 9
    for path in out.rglob("*"):
        if path.is_file():
            assert not HETU_RE.search(path.read_bytes()), path


def test_is_current_tracks_inputs_and_key(messy_export, tmp_path, monkeypatch):
    raw, _ = messy_export
    out = tmp_path / "out"
    key = "a long random secret for this test only"
    monkeypatch.setenv("SOSKU_PSEUDO_KEY", key)
    assert not prepare.is_current(raw, out)
    _prepare(raw, out, monkeypatch, key=key)
    assert prepare.is_current(raw, out)
    monkeypatch.setenv("SOSKU_PSEUDO_KEY", key + " but another one")
    assert not prepare.is_current(raw, out)  # other key, other pseudonyms
    monkeypatch.setenv("SOSKU_PSEUDO_KEY", key)
    assert prepare.is_current(raw, out)
    with (raw / V / "kaynnit.csv").open("ab") as fh:  # one more byte in one input
        fh.write(b"\n")
    assert not prepare.is_current(raw, out)
    _prepare(raw, out, monkeypatch, key=key)
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["fingerprint"] == prepare.fingerprint(raw)
    assert key not in json.dumps(manifest)
    shutil.rmtree(out / "contacts")
    assert not prepare.is_current(raw, out)  # a table folder went missing


@given(st.lists(st.tuples(st.sampled_from(["b", "a", "ä", "B", None]),
                          st.sampled_from([3, 1, 2]),
                          st.sampled_from(["x2", "x1", "x10"])), max_size=40))
def test_sort_order_matches_a_stable_pandas_sort(rows):
    frame = pd.DataFrame(rows, columns=["s", "i", "d"]).astype({"s": "str", "i": "int64"})
    keys = [pa.array(frame["s"], from_pandas=True), pa.array(frame["i"]),
            pc.dictionary_encode(pa.array(frame["d"], type=pa.string()))]  # as client_id
    expected = frame.sort_values(["s", "i", "d"], kind="stable", na_position="last").index
    assert prepare._sort_order(keys).tolist() == expected.tolist()
