"""Smoke test of the benchmark runner at a tiny size (a check that it works, not a timing)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# `benchmarks` is a top-level package of the repository, not of the installed soskulib.
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks import BENCHMARKS  # noqa: E402
from benchmarks.__main__ import build_parser, growth_exponent, render  # noqa: E402


def test_growth_exponent_recovers_power_law():
    rows = [{"size": n, "run": {"seconds": 3e-7 * n**1.5}} for n in (100, 1000, 10_000)]
    assert growth_exponent(rows, "run") == pytest.approx(1.5)
    assert growth_exponent(rows[:1], "run") is None
    rows[1]["run"] = {"error": "boom"}
    assert growth_exponent(rows, "run") == pytest.approx(1.5)


def test_parser_rejects_unknown_benchmark_and_bad_sizes(capsys):
    parser = build_parser()
    for argv in (["--only", "nonsense"], ["--sizes", "0"], ["--sizes", "ten"]):
        with pytest.raises(SystemExit):
            parser.parse_args(argv)
    assert parser.parse_args(["--sizes", "1_000,2e3"]).sizes == [1000, 2000]


def test_render_reports_failures_and_targets():
    bench = {"name": "scoring", "title": "t", "size_unit": "clients", "target": 3.0,
             "floor": "numpy", "doc": "doc", "exponent_run": None, "exponent_floor": None,
             "rows": [{"size": 10, "data": {"seconds": 0.1},
                       "run": {"seconds": 4.0, "peak_rss_mib": 100.0},
                       "floor": {"seconds": 1.0, "peak_rss_mib": 90.0}},
                      {"size": 20, "data": {"seconds": 0.1},
                       "run": {"error": "ValueError: x", "log": "/w/logs/a.log"},
                       "floor": {"seconds": 1.0, "peak_rss_mib": 90.0}}]}
    info = {k: "?" for k in ("cpu", "nproc", "memory", "os", "python", "numpy", "pandas",
                             "pyarrow", "duckdb", "scipy", "statsmodels", "soskulib")}
    text = render([bench], info, "python -m benchmarks --sizes 10,20", "LABEL", "now", 60.0)
    assert "python -m benchmarks --sizes 10,20" in text and "> **LABEL**" in text
    assert "4.00×" in text and "NOT met" in text
    assert "run failed: `ValueError: x`" in text


def test_runner_end_to_end_at_tiny_size(tmp_path):
    results = tmp_path / "RESULTS.md"
    argv = ["--only", "instruments,meta", "--sizes", "200", "--meta-units", "20,40",
            "--workdir", str(tmp_path / "w"), "--results", str(results), "--label", "smoke test"]
    done = subprocess.run([sys.executable, "-m", "benchmarks", *argv], cwd=ROOT,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    text = results.read_text(encoding="utf-8")
    assert "python -m benchmarks " + " ".join(argv[:6]) in text
    assert "## Machine" in text and "duckdb" in text and "nproc" in text
    for name in ("instruments", "meta"):
        assert f"| {name} |" in text
    assert "failed" not in text
    assert (tmp_path / "w" / "results.json").exists()
    # the meta benchmark ran two sizes, so it has a growth exponent
    meta_line = next(line for line in text.splitlines() if line.startswith("| meta | units"))
    assert "–" not in meta_line.split("|")[4]


def test_every_benchmark_module_defines_the_protocol():
    import importlib

    for name in BENCHMARKS:
        module = importlib.import_module(f"benchmarks.bench_{name}")
        for attribute in ("TITLE", "SIZE_UNIT", "TARGET", "FLOOR", "sizes", "make_data", "setup",
                          "run", "floor"):
            assert hasattr(module, attribute), f"bench_{name} lacks {attribute}"
