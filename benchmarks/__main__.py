"""Benchmark runner: ``python -m benchmarks [--sizes 10000,100000,1000000] [--build] ...``.

Runs every benchmark module (see :mod:`benchmarks`) at the requested sizes, each step in a
fresh subprocess, and rewrites ``benchmarks/RESULTS.md`` with the machine, the library
versions, the numbers and the exact command. ``python -m benchmarks --help`` lists options.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import json
import os
import platform
import shlex
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks import BENCHMARKS, OPTIONAL

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
DEFAULT_WORKDIR = Path(__file__).resolve().parent / "_work"
VERSIONS = ("numpy", "pandas", "pyarrow", "duckdb", "scipy", "statsmodels", "soskulib")


def _int_list(text: str) -> list[int]:
    try:
        values = [int(float(v)) for v in text.replace("_", "").split(",") if v.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers, got {text!r}") from None
    if not values or min(values) < 1:
        raise argparse.ArgumentTypeError(f"expected positive integers, got {text!r}")
    return values


def _name_list(text: str) -> list[str]:
    names = [v.strip() for v in text.split(",") if v.strip()]
    unknown = sorted(set(names) - set(BENCHMARKS))
    if unknown:
        raise argparse.ArgumentTypeError(
            f"unknown benchmark(s) {', '.join(unknown)}; known: {', '.join(BENCHMARKS)}")
    return names


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="soskulib speed and memory benchmarks (library vs a bare floor, same run).",
    )
    parser.add_argument("--sizes", type=_int_list, default=[10_000, 100_000, 1_000_000],
                        help="client counts for the demo-based and instrument benchmarks "
                             "(default: 10000,100000,1000000)")
    parser.add_argument("--meta-units", type=_int_list, default=[100, 300, 1000],
                        help="numbers of units k for the meta-analysis (default: 100,300,1000)")
    parser.add_argument("--outofcore-rows", type=_int_list, default=[5_000_000],
                        help="response rows written as partitioned parquet for the DuckDB "
                             "benchmark (default: 5000000)")
    parser.add_argument("--memory-limit", default="1GB",
                        help="DuckDB memory_limit of the out-of-core benchmark (default: 1GB)")
    parser.add_argument("--only", type=_name_list, default=None,
                        help=f"run only these benchmarks (comma-separated: {', '.join(BENCHMARKS)})")
    parser.add_argument("--skip", type=_name_list, default=[], help="benchmarks to leave out")
    parser.add_argument("--build", action="store_true",
                        help="also run the whole-build benchmark (`make reports` vs bare kernels)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1,
                        help="parallel kernels of the build floor (default: CPU count, as "
                             "sosku report)")
    parser.add_argument("--repeat", type=int, default=1,
                        help="subprocess repetitions per step; the fastest is reported (default: 1)")
    parser.add_argument("--seed", type=int, default=2015, help="data seed (default: 2015)")
    parser.add_argument("--workdir", type=Path, default=DEFAULT_WORKDIR,
                        help="where generated data are cached (default: benchmarks/_work, "
                             "git-ignored)")
    parser.add_argument("--results", type=Path, default=DEFAULT_RESULTS,
                        help="Markdown report to rewrite (default: benchmarks/RESULTS.md)")
    parser.add_argument("--label", default="",
                        help="a note printed at the top of the report (e.g. what kind of run)")
    return parser


# ---------------------------------------------------------------------------------------------
# Running steps
# ---------------------------------------------------------------------------------------------


def run_step(module: str, step: str, size: int, options: dict, tag: str) -> dict[str, Any]:
    """Run one step in a fresh subprocess; add its peak RSS (MiB) from ``os.wait4``."""
    workdir = Path(options["workdir"])
    logs = workdir / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    result = logs / f"{module}-{size}-{step}-{tag}.json"
    log = logs / f"{module}-{size}-{step}-{tag}.log"
    result.unlink(missing_ok=True)
    spec = json.dumps({"module": module, "step": step, "size": size, "options": options,
                       "result": str(result)})
    env = {**os.environ, "PYTHONHASHSEED": "0", "MPLBACKEND": "Agg"}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    with log.open("wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "benchmarks._worker", spec], cwd=ROOT,
                                stdout=out, stderr=subprocess.STDOUT, env=env)
        # wait4 gives this child's own rusage: ru_maxrss (KiB on Linux) is the peak RSS of the
        # benchmark process and of any children it waited for.
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0 or not result.exists():
        tail = log.read_text(encoding="utf-8", errors="replace").strip().splitlines()[-3:]
        return {"module": module, "step": step, "size": size,
                "error": " | ".join(tail) or f"exit code {proc.returncode}", "log": str(log)}
    record = json.loads(result.read_text(encoding="utf-8"))
    record["peak_rss_mib"] = usage.ru_maxrss / 1024
    return record


def _best(records: list[dict]) -> dict:
    """Fastest repetition; peak memory is the largest seen over repetitions."""
    ok = [r for r in records if "error" not in r]
    if not ok:
        return records[-1]
    best = dict(min(ok, key=lambda r: r["seconds"]))
    best["peak_rss_mib"] = max(r["peak_rss_mib"] for r in ok)
    best["repetitions"] = len(ok)
    return best


def run_benchmark(name: str, options: dict, repeat: int) -> dict[str, Any]:
    module = importlib.import_module(f"benchmarks.bench_{name}")
    rows = []
    for size in module.sizes(options):
        print(f"[benchmarks] {name}: N = {size:,}", flush=True)
        data = run_step(name, "data", size, options, "0")
        row: dict[str, Any] = {"size": size, "data": data}
        if "error" in data:
            row["error"] = f"data: {data['error']}"
            rows.append(row)
            print(f"[benchmarks]   data failed: {data['error']}", flush=True)
            continue
        for step in ("run", "floor"):
            row[step] = _best([run_step(name, step, size, options, str(i)) for i in range(repeat)])
            shown = (f"{row[step]['seconds']:.4g} s, peak {row[step]['peak_rss_mib']:.0f} MiB"
                     if "error" not in row[step] else f"failed: {row[step]['error']}")
            print(f"[benchmarks]   {step:5s} {shown}", flush=True)
        rows.append(row)
    return {
        "name": name, "title": module.TITLE, "size_unit": module.SIZE_UNIT,
        "target": module.TARGET, "floor": module.FLOOR, "doc": (module.__doc__ or "").strip(),
        "rows": rows,
        "exponent_run": growth_exponent(rows, "run"),
        "exponent_floor": growth_exponent(rows, "floor"),
    }


def growth_exponent(rows: list[dict], step: str) -> float | None:
    """Least-squares slope ``b`` of log(seconds) on log(N): time ∝ N^b (None below 2 sizes).

    Examples
    --------
    >>> rows = [{"size": n, "run": {"seconds": 2e-6 * n}} for n in (10, 100, 1000)]
    >>> round(growth_exponent(rows, "run"), 6)
    1.0
    """
    points = [(r["size"], r[step]["seconds"]) for r in rows
              if step in r and "error" not in r[step] and r[step]["seconds"] > 0]
    if len({n for n, _ in points}) < 2:
        return None
    x, y = np.log([p[0] for p in points]), np.log([p[1] for p in points])
    return float(np.polyfit(x, y, 1)[0])


# ---------------------------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------------------------


def machine() -> dict[str, str]:
    """CPU model, cores, memory, OS and the versions that matter for the numbers."""
    info = {"cpu": platform.processor() or platform.machine(), "nproc": str(os.cpu_count()),
            "memory": "unknown", "os": platform.platform(), "python": platform.python_version()}
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                info["cpu"] = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                info["memory"] = f"{int(line.split()[1]) / 2**20:.1f} GiB"
                break
    except OSError:
        pass
    if hasattr(os, "sched_getaffinity"):
        info["nproc"] = str(len(os.sched_getaffinity(0)))
    for package in VERSIONS:
        try:
            info[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            info[package] = "not installed"
    return info


def _git_commit() -> str:
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, text=True,
                                capture_output=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
                               text=True, capture_output=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return commit + (" + uncommitted changes" if dirty else "")


def _fmt_s(seconds: float) -> str:
    if seconds >= 100:
        return f"{seconds:,.0f}"
    if seconds >= 1:
        return f"{seconds:.2f}"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds * 1e6:.1f} µs"


def _size(size: int) -> str:
    return f"{size:,}" if size else "demo"


def _cell(record: dict | None, key: str) -> str:
    if not record or "error" in record:
        return "failed"
    value = record.get(key)
    if value is None:
        return "–"
    return _fmt_s(value) if key == "seconds" else f"{value:,.0f}"


def _verdict(ratio: float | None, target: float | None) -> str:
    if ratio is None or target is None:
        return "–"
    return f"≤ {target:g}×: {'met' if ratio <= target else 'NOT met'}"


def _ratio(row: dict) -> float | None:
    run, floor = row.get("run"), row.get("floor")
    if not run or not floor or "error" in run or "error" in floor or floor["seconds"] <= 0:
        return None
    return run["seconds"] / floor["seconds"]


def _extras(record: dict | None) -> str:
    if not record or "error" in record or not record.get("extra"):
        return ""
    parts = []
    for key, value in sorted(record["extra"].items()):
        if isinstance(value, float):
            parts.append(f"{key} = {_fmt_s(value) if key.endswith('_s') else f'{value:.6g}'}")
        else:
            parts.append(f"{key} = {value}")
    return "; ".join(parts)


def render(results: list[dict], info: dict[str, str], command: str, label: str,
           started: str, seconds: float) -> str:
    """The Markdown text of RESULTS.md."""
    out = ["# soskulib benchmark results", ""]
    if label:
        out += [f"> **{label}**", ""]
    out += [
        "Every number below was produced by this command, run from the repository root:",
        "", "```bash", command, "```", "",
        f"Started {started} (UTC), took {seconds / 60:.1f} min; code at commit "
        f"`{_git_commit()}`. Re-running the command rewrites this file.", "",
        "## Machine", "", "| | |", "|---|---|",
        f"| CPU | {info['cpu']} |", f"| cores available (`nproc`) | {info['nproc']} |",
        f"| memory | {info['memory']} |", f"| OS | {info['os']} |",
        f"| Python | {info['python']} |",
        *(f"| {p} | {info[p]} |" for p in VERSIONS), "",
        "## How it is measured", "",
        "* Each step (data generation, library run, floor) runs in a **fresh subprocess**; the "
        "input data are generated or loaded before the clock starts.",
        "* **Seconds**: `time.perf_counter()` around the timed call only; calls shorter than "
        "0.2 s are repeated and averaged (timeit-style). With `--repeat R` the fastest of R "
        "subprocesses is reported.",
        "* **Peak memory**: peak resident set size of the benchmark subprocess, "
        "`ru_maxrss` from `os.wait4()` on that child (`getrusage(RUSAGE_CHILDREN)` restricted to "
        "the one process; it includes the interpreter, imports and the loaded input, and for a "
        "step that starts processes the largest single one of them, not their sum). It is *not* "
        "a tracemalloc Python-level peak.",
        "* **Ratio** = library seconds / floor seconds, both from the same run; **b** is the "
        "least-squares slope of log(seconds) on log(N) (time ∝ N^b; ≈ 1 is linear).", "",
        "## Summary", "",
        "| benchmark | N | library | floor | ratio | target | peak MiB library | peak MiB floor |",
        "|---|---:|---:|---:|---:|---|---:|---:|",
    ]
    for bench in results:
        for row in bench["rows"]:
            ratio = _ratio(row)
            out.append(
                f"| {bench['name']} | {_size(row['size'])} | {_cell(row.get('run'), 'seconds')} | "
                f"{_cell(row.get('floor'), 'seconds')} | "
                f"{'–' if ratio is None else f'{ratio:.2f}×'} | {_verdict(ratio, bench['target'])} "
                f"| {_cell(row.get('run'), 'peak_rss_mib')} | "
                f"{_cell(row.get('floor'), 'peak_rss_mib')} |")
    out += ["", "## Growth exponents (time ∝ N^b)", "",
            "| benchmark | N counts | sizes | b library | b floor |", "|---|---|---|---:|---:|"]
    for bench in results:
        sizes = ", ".join(_size(r["size"]) for r in bench["rows"])
        fmt = (lambda b: "–" if b is None else f"{b:.2f}")  # noqa: E731
        out.append(f"| {bench['name']} | {bench['size_unit']} | {sizes} | "
                   f"{fmt(bench['exponent_run'])} | {fmt(bench['exponent_floor'])} |")
    out += ["", "## Benchmarks", ""]
    for bench in results:
        out += [f"### {bench['name']}: {bench['title']}", "", bench["doc"], "",
                f"Floor: {bench['floor']}.", ""]
        notes = []
        for row in bench["rows"]:
            for step in ("data", "run", "floor"):
                record = row.get(step)
                if record and "error" in record:
                    notes.append(f"* N = {_size(row['size'])}, {step} failed: `{record['error']}` "
                                 f"(log: `{Path(record['log']).name}` in the work directory)")
            for step in ("run", "floor"):
                text = _extras(row.get(step))
                if text:
                    notes.append(f"* N = {_size(row['size'])}, {step}: {text}")
            data = row.get("data")
            if data and "error" not in data and data.get("seconds", 0) > 1:
                notes.append(f"* N = {_size(row['size'])}: generating/preparing the input took "
                             f"{_fmt_s(data['seconds'])} s (cached afterwards; not timed)")
        out += notes + ([""] if notes else [])
    out += [
        "## How to reproduce", "",
        "On a quiet machine (nothing else running), from the repository root:", "",
        "```bash",
        "make venv                       # or: python3.11 -m venv .venv && .venv/bin/pip install -e .",
        ".venv/bin/python -m benchmarks  # 10k, 100k, 1M clients; add --build for `make reports`",
        ".venv/bin/python -m benchmarks --sizes 10000 --meta-units 300 --outofcore-rows 200000"
        "  # quick check",
        "```", "",
        "Generated inputs are cached in `benchmarks/_work/` (git-ignored; delete it to "
        "regenerate). Logs of every step are in `benchmarks/_work/logs/`.", "",
    ]
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = build_parser().parse_args(argv)
    if args.repeat < 1 or args.jobs < 1:
        print("python -m benchmarks: --repeat and --jobs must be at least 1", file=sys.stderr)
        return 2
    names = list(args.only) if args.only else [b for b in BENCHMARKS if b not in OPTIONAL]
    if args.build and "build" not in names:
        names.append("build")
    names = [n for n in BENCHMARKS if n in names and n not in args.skip]
    workdir = args.workdir.resolve()
    options = {"sizes": args.sizes, "meta_units": args.meta_units,
               "outofcore_rows": args.outofcore_rows, "memory_limit": args.memory_limit,
               "seed": args.seed, "workdir": str(workdir), "jobs": args.jobs}
    started = dt.datetime.now(dt.UTC)
    results = [run_benchmark(name, options, args.repeat) for name in names]
    elapsed = (dt.datetime.now(dt.UTC) - started).total_seconds()
    command = "python -m benchmarks" + ("" if not argv else " " + shlex.join(argv))
    text = render(results, machine(), command, args.label,
                  started.strftime("%Y-%m-%d %H:%M"), elapsed)
    args.results.parent.mkdir(parents=True, exist_ok=True)
    args.results.write_text(text, encoding="utf-8")
    (workdir / "results.json").write_text(json.dumps(results, indent=1), encoding="utf-8")
    print(f"[benchmarks] wrote {args.results}")
    failed = any("error" in (row.get(s) or {}) for b in results for row in b["rows"]
                 for s in ("data", "run", "floor"))
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
