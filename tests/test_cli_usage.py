"""Every ``sosku`` command answers invalid arguments with one line on stderr and exit code 2."""

from __future__ import annotations

import subprocess
import sys

import pytest

from soskulib import cli


@pytest.mark.parametrize("argv, fragment", [
    (["demo", "--clients", "3"], "--clients must be at least 90"),
    (["demo", "--clients", "-5"], "--clients must be at least"),
    (["demo", "--clients", "many"], "--clients must be a whole number"),
    (["demo", "--clients", "99999999999"], "--clients must be at most"),
    (["demo", "--seed", "-1"], "--seed must be at least 0"),
    (["simulate", "--replicates", "0"], "--replicates must be at least 1"),
    (["simulate", "--jobs", "0"], "--jobs must be at least 1"),
    (["simulate", "--clients", "3"], "--clients must be at least 90"),
    (["simulate", "--first-seed", "-3"], "--first-seed must be at least 0"),
    (["simulate", "--scenario", "programme,k99"], "unknown scenario k99"),
    (["simulate", "--cached-only", "--replicates", "2"], "cached_only needs cache_dir"),
    (["report", "--jobs", "-2"], "--jobs must be at least 1"),
    (["report", "--lang", "sv"], "invalid choice: 'sv'"),
    (["build", "--jobs", "x"], "--jobs must be a whole number"),
    (["audit", "--min-cell", "x"], "invalid int value"),
    (["frobnicate"], "invalid choice: 'frobnicate'"),
    (["validate"], "the following arguments are required: paths"),
    ([], "the following arguments are required: COMMAND"),
])
def test_invalid_arguments_exit_2_with_one_line(argv, fragment, capsys):
    assert cli.main(argv) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.splitlines()
    assert len(lines) == 1, captured.err
    assert lines[0].startswith("sosku") and fragment in lines[0]


def test_help_exits_0(capsys):
    assert cli.main(["demo", "--help"]) == 0
    assert "--clients" in capsys.readouterr().out


def test_demo_clients_3_has_no_traceback():
    proc = subprocess.run([sys.executable, "-m", "soskulib", "demo", "--clients", "3"],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and proc.stdout == ""
    assert proc.stderr.count("\n") == 1


@pytest.mark.parametrize("command", [
    ["prepare", "--raw", "{missing}", "--out", "{tmp}/out"],
    ["report", "--processed", "{missing}", "--out", "{tmp}/rep"],
    ["build", "--raw", "{missing}", "--processed", "{tmp}/p", "--out", "{tmp}/rep"],
    ["validate", "{missing}"],
    ["audit", "{missing}"],
])
def test_missing_folders_exit_2(command, tmp_path, capsys):
    argv = [a.format(missing=tmp_path / "missing", tmp=tmp_path) for a in command]
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_simulate_writes_its_report_into_a_new_folder(tmp_path):
    # --out into a folder that does not exist yet used to end in an internal error after
    # the whole run; the report and its CSV are written there instead.
    out = tmp_path / "new" / "docs" / "truth_coverage.md"
    argv = ["simulate", "--replicates", "1", "--clients", "270", "--jobs", "1",
            "--estimators", "cc", "--out", str(out)]
    assert cli.main(argv) == 0
    assert out.read_text(encoding="utf-8").startswith("# Coverage")
    assert out.with_suffix(".csv").stat().st_size > 0
