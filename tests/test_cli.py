"""`sosku validate` and `sosku prepare` exit codes and output."""

from __future__ import annotations

import json

from fixtures.rawexport import write_export

from soskulib import cli


def test_validate_and_prepare(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("SOSKU_PSEUDO_KEY", raising=False)
    monkeypatch.delenv("SOSKU_PSEUDO_KEY_FILE", raising=False)
    raw = tmp_path / "raw"
    write_export(raw)
    assert cli.main(["validate", str(raw)]) == 0
    assert "no problems found" in capsys.readouterr().err
    out = tmp_path / "out"
    assert cli.main(["prepare", "--raw", str(raw), "--out", str(out)]) == 0
    streams = capsys.readouterr()
    assert "0 row(s) rejected" in streams.out and "DEMO_KEY" in streams.err
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert all(t["rows_rejected"] == 0 for t in manifest["tables"].values())


def test_prepare_usage_errors_exit_2(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("SOSKU_PSEUDO_KEY", raising=False)
    monkeypatch.delenv("SOSKU_PSEUDO_KEY_FILE", raising=False)
    assert cli.main(["prepare", "--raw", str(tmp_path / "missing"), "--out", str(tmp_path)]) == 2
    raw = tmp_path / "real"
    write_export(raw, synthetic=False)
    assert cli.main(["prepare", "--raw", str(raw), "--out", str(tmp_path / "o")]) == 2
    assert "SOSKU_PSEUDO_KEY" in capsys.readouterr().err


def test_validate_prints_located_problems(tmp_path, capsys):
    raw = tmp_path / "raw"
    write_export(raw)
    (raw / "092_vantaa" / "kaynnit.csv").write_bytes(b"")
    assert cli.main(["validate", str(raw), str(raw / "osahankkeet.csv")]) == 1
    captured = capsys.readouterr()
    assert captured.out == "092_vantaa/kaynnit.csv:-:-: empty_file: the file is empty\n"
    assert "1 problem(s) found" in captured.err
