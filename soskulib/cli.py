"""The ``sosku`` command line: demo, validate, prepare, simulate, report, build, audit.

Exit codes: 0 success, 1 a data rule is broken (problems printed one per line as
``FILE:ROW:COLUMN: message``), 2 usage or configuration errors, 3 an internal error (a bug,
not a data problem): the findings of the other files are printed first, then one line naming
the file being read. No Python traceback reaches the user; set ``SOSKU_DEBUG=1`` to see it.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from soskulib.errors import ConfigurationError, DataError, InternalError, SoskuError, describe

DEFAULT_RAW = Path("data/raw/demo")
DEFAULT_PROCESSED = Path("data/processed")
DEFAULT_REPORTS = Path("reports")

#: Upper bounds of the numeric options: beyond them a run would not finish on one machine.
MAX_CLIENTS = 10_000_000
MAX_REPLICATES = 100_000
MAX_JOBS = 512
MAX_SEED = 2**63 - 1


class _Parser(argparse.ArgumentParser):
    """An argument parser whose usage errors are one line on stderr and exit code 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"{self.prog}: {message} (see '{self.prog} --help')\n")


def _bounded_int(name: str, low: int | None, high: int | None = None,
                 low_reason: str = "") -> object:
    """An argparse ``type`` accepting whole numbers in ``[low, high]``, with a clear message."""

    def parse(text: str) -> int:
        try:
            value = int(text.strip().replace("_", ""))
        except ValueError:
            raise argparse.ArgumentTypeError(f"{name} must be a whole number, got {text!r}") from None
        lo = low() if callable(low) else low
        if lo is not None and value < lo:
            raise argparse.ArgumentTypeError(f"{name} must be at least {lo}{low_reason}, got {value}")
        if high is not None and value > high:
            raise argparse.ArgumentTypeError(f"{name} must be at most {high}, got {value}")
        return value

    parse.__name__ = name  # argparse names the type in its messages
    return parse


def _min_clients() -> int:
    from soskulib import demo

    return demo.MIN_ORG_SIZE * len(demo.DEFAULT_SIZES)


_CLIENTS = _bounded_int("--clients", _min_clients, MAX_CLIENTS,
                        " (the demo's smallest organisation size times its organisations)")
_SEED = _bounded_int("--seed", 0, MAX_SEED)
_JOBS = _bounded_int("--jobs", 1, MAX_JOBS)


def _cmd_demo(args: argparse.Namespace) -> int:
    from soskulib import demo

    out = demo.write_demo(args.out, seed=args.seed, n_clients=args.clients)
    print(f"sosku demo: synthetic export written to {out}")
    return 0


def _cmd_validate(args: argparse.Namespace) -> int:
    from soskulib import validation

    problems = validation.validate_paths([Path(p) for p in args.paths])
    for p in problems:
        print(p)
    # Warnings (e.g. an unknown extra column) are reported but break no rule.
    errors = [p for p in problems if getattr(p, "level", "error") == "error"]
    if errors:
        print(f"sosku validate: {len(errors)} problem(s) found"
              f"{f' and {len(problems) - len(errors)} warning(s)' if len(problems) > len(errors) else ''}",
              file=sys.stderr)
        return 1
    print(f"sosku validate: no problems found ({len(problems)} warning(s))" if problems
          else "sosku validate: no problems found", file=sys.stderr)
    return 0


def _cmd_prepare(args: argparse.Namespace) -> int:
    from soskulib import prepare

    manifest = prepare.prepare(args.raw, args.out)
    rejected = sum(t["rows_rejected"] for t in manifest["tables"].values())
    print(f"sosku prepare: processed data in {args.out} ({rejected} row(s) rejected, "
          f"see {Path(args.out) / 'rejects'})")
    return 0


def _cmd_report(args: argparse.Namespace) -> int:
    from soskulib import site

    index = site.build_reports(args.processed, args.out, lang=args.lang, jobs=args.jobs)
    print(f"sosku report: open {index}")
    return 0


def _cmd_build(args: argparse.Namespace) -> int:
    from soskulib import prepare, site

    raw = Path(args.raw)
    if raw == DEFAULT_RAW and not any(raw.glob("*")):
        from soskulib import demo  # only then: it imports scipy.optimize

        demo.write_demo(raw)
        print(f"sosku build: synthetic demo export written to {raw}")
    if not args.fresh and prepare.is_current(raw, args.processed):
        print(f"sosku build: processed data in {args.processed} are up to date (same export, "
              "code and key; --fresh prepares them again)")
    else:
        prepare.prepare(raw, args.processed)
        print(f"sosku build: processed data in {args.processed}")
    index = site.build_reports(args.processed, args.out, lang=args.lang, jobs=args.jobs)
    # The last step: attack what was just published; a finding fails the build.
    from soskulib import audit

    if _print_audit(audit.audit_site(args.out), Path(args.out)):
        print("sosku build: the reports were written but must not be published", file=sys.stderr)
        return 1
    print(f"sosku build: reports ready, open {Path(index).resolve()}")
    return 0


def _cmd_audit(args: argparse.Namespace) -> int:
    from soskulib import audit

    reports = Path(args.reports)
    if args.min_cell < 2:
        raise ConfigurationError(f"--min-cell must be at least 2, got {args.min_cell}")
    if not (reports / "index.html").is_file():
        raise ConfigurationError(f"{reports}: not a built site (no index.html); run sosku build first")
    return _print_audit(audit.audit_site(reports, min_cell=args.min_cell), reports)


def _print_audit(findings: list, reports: Path) -> int:
    for finding in findings:
        print(finding)
    if findings:
        print(f"sosku audit: {len(findings)} cell(s) or statistic(s) of fewer than 5 people can be "
              f"recovered from what {reports} publishes; do not publish it", file=sys.stderr)
        return 1
    print(f"sosku audit: nothing in {reports} can be recovered (every CSV download and "
          "headline attacked)", file=sys.stderr)
    return 0


def _cmd_simulate(args: argparse.Namespace) -> int:
    from soskulib import simulation

    if args.replicates < 1:
        print("sosku simulate: --replicates must be at least 1", file=sys.stderr)
        return 2
    scenarios = [s.strip() for s in args.scenario.split(",") if s.strip()]
    unknown = sorted(set(scenarios) - set(simulation.SCENARIOS))
    if unknown or not scenarios:
        print(f"sosku simulate: unknown scenario {', '.join(unknown) or '(none)'}; use a comma-"
              f"separated subset of {','.join(simulation.SCENARIOS)}", file=sys.stderr)
        return 2
    seeds = range(args.first_seed, args.first_seed + args.replicates)
    results, commands = {}, {}
    try:
        for scenario in scenarios:
            results[scenario] = simulation.truth_coverage(
                seeds, args.clients, jobs=args.jobs, scenario=scenario, pipeline=args.pipeline,
                imputations=args.imputations, estimators=args.estimators.split(","),
                cache_dir=args.cache, cached_only=args.cached_only)
            commands[scenario] = (
                f"sosku simulate --scenario {scenario} --replicates {args.replicates} "
                f"--first-seed {args.first_seed} --pipeline {args.pipeline} "
                f"--imputations {args.imputations} --estimators {args.estimators}"
                + (f" --clients {args.clients}" if args.clients else "")
                + (" --cache CACHE --cached-only" if args.cached_only else ""))
    except ValueError as exc:
        print(f"sosku simulate: {exc}", file=sys.stderr)
        return 2
    for scenario, result in results.items():
        print(f"## {scenario}\n{result.to_markdown()}\n")
    if args.out:
        # The report may go to a folder that does not exist yet (e.g. a fresh docs/ copy).
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        # where each estimator converges under each scenario's dropout (a few seconds each)
        limits = {scenario: simulation.dropout_decomposition(scenario) for scenario in results}
        variance = {scenario: simulation.variance_bias(
            scenario, seed=args.first_seed, n_clients=args.clients,
            theta=limits[scenario].set_index("instrument")["completers"].to_dict())
            for scenario in results}
        Path(args.out).write_text(simulation.coverage_report(results, commands, limits, variance),
                                  encoding="utf-8")
        simulation.coverage_csv(results).to_csv(Path(args.out).with_suffix(".csv"), index=False)
        print(f"sosku simulate: written {args.out}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``sosku`` (exposed for documentation and tests).

    Returns
    -------
    argparse.ArgumentParser
        With subcommands ``demo``, ``validate``, ``prepare``, ``simulate``, ``report``,
        ``build`` and ``audit``.

    Examples
    --------
    >>> args = build_parser().parse_args(["demo", "--seed", "7"])
    >>> args.command, args.seed, args.out.as_posix()
    ('demo', 7, 'data/raw/demo')
    """
    parser = _Parser(
        prog="sosku",
        description="soskulib: evaluation toolkit for Finnish social rehabilitation (SHL §17).",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("demo", help="write the synthetic demo export")
    p.add_argument("--out", type=Path, default=DEFAULT_RAW, help="output folder (default: %(default)s)")
    p.add_argument("--seed", type=_SEED, default=2015, help="random seed (default: %(default)s)")
    p.add_argument("--clients", type=_CLIENTS, default=None,
                   help="total number of clients (default: the programme's realistic ~1,500)")
    p.set_defaults(func=_cmd_demo)

    p = sub.add_parser("validate", help="check raw export files or folders")
    p.add_argument("paths", nargs="+", help="files or folders to check")
    p.set_defaults(func=_cmd_validate)

    p = sub.add_parser("prepare", help="raw export -> processed parquet tables")
    p.add_argument("--raw", type=Path, default=DEFAULT_RAW, help="raw export folder (default: %(default)s)")
    p.add_argument("--out", type=Path, default=DEFAULT_PROCESSED, help="processed folder (default: %(default)s)")
    p.set_defaults(func=_cmd_prepare)

    p = sub.add_parser("simulate", help="coverage of the pooled effect over synthetic programmes")
    p.add_argument("--replicates", type=_bounded_int("--replicates", 1, MAX_REPLICATES), default=100, help="programmes (default: %(default)s)")
    p.add_argument("--first-seed", type=_bounded_int("--first-seed", 0, MAX_SEED), default=1, help="first demo seed (default: %(default)s)")
    p.add_argument("--clients", type=_CLIENTS, default=None, help="clients per programme (default: demo size)")
    p.add_argument("--jobs", type=_JOBS, default=None, help="parallel processes (default: CPU count)")
    p.add_argument("--out", type=Path, default=None, help="write a Markdown summary (and .csv rows) here")
    p.add_argument("--scenario", default="programme",
                   help="comma-separated: programme (the demo's nine organisations, k 6-7), k20 "
                        "(twenty), mar (programme with dropout missing at random) "
                        "(default: %(default)s)")
    p.add_argument("--cached-only", action="store_true",
                   help="summarise only the replicates already in --cache (a stopped run)")
    p.add_argument("--pipeline", choices=("memory", "export"), default="memory",
                   help="memory: generator in memory; export: write + prepare (default: %(default)s)")
    p.add_argument("--imputations", type=int, default=5, help="MI imputations (default: %(default)s)")
    p.add_argument("--estimators", default="cc,ipw,mi",
                   help="comma-separated subset of cc,ipw,mi (default: %(default)s)")
    p.add_argument("--cache", type=Path, default=None,
                   help="per-seed result cache: resume an interrupted run, extend a finished one")
    p.set_defaults(func=_cmd_simulate)

    p = sub.add_parser("audit", help="attack a built site: can a small group be recovered?")
    p.add_argument("reports", nargs="?", type=Path, default=DEFAULT_REPORTS,
                   help="reports folder (default: %(default)s)")
    p.add_argument("--min-cell", type=int, default=5, help="reporting minimum (default: %(default)s)")
    p.set_defaults(func=_cmd_audit)

    for name, helptext in (("report", "execute notebooks and render HTML reports"),
                           ("build", "demo (if needed) + prepare + report + audit")):
        p = sub.add_parser(name, help=helptext)
        if name == "build":
            p.add_argument("--raw", type=Path, default=DEFAULT_RAW, help="raw export folder (default: %(default)s)")
            p.add_argument("--fresh", action="store_true",
                           help="prepare the processed data even when they are up to date")
        p.add_argument("--processed", type=Path, default=DEFAULT_PROCESSED,
                       help="processed folder (default: %(default)s)")
        p.add_argument("--out", type=Path, default=DEFAULT_REPORTS, help="reports folder (default: %(default)s)")
        p.add_argument("--lang", choices=("fi", "en"), default="fi", help="report language (default: %(default)s)")
        p.add_argument("--jobs", type=_JOBS, default=None, help="parallel notebook executions (default: CPU count)")
        p.set_defaults(func=_cmd_build if name == "build" else _cmd_report)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run ``sosku``; return the process exit code.

    Parameters
    ----------
    argv : list of str, optional
        Arguments without the program name (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        0 success, 1 a data rule is broken (problems printed one per line as
        ``FILE:ROW:COLUMN: message``), 2 a usage or configuration error, 3 an internal error
        (a bug: one line naming the file, after the other files' findings), 130 interrupted.

    Examples
    --------
    >>> main(["validate", "/nonexistent"])  # no such folder: a usage error
    2
    """
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # usage error (2) or --help (0): already printed on one line
        return exc.code if isinstance(exc.code, int) else 2
    try:
        return int(args.func(args))
    except DataError as exc:
        for problem in exc.problems:
            print(_one_line(str(problem)))
        print(f"sosku {args.command}: {len(exc.problems)} data problem(s); nothing was written "
              "for the failing step", file=sys.stderr)
        return 1
    except ConfigurationError as exc:  # may name a path given: masked like every message
        print(f"sosku {args.command}: {_one_line(str(exc))}", file=sys.stderr)
        return 2
    except InternalError as exc:
        for problem in exc.findings:
            print(problem)
        print(f"sosku {args.command}: {exc}", file=sys.stderr)
        return 3
    except SoskuError as exc:
        print(f"sosku {args.command}: {_one_line(str(exc))}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"sosku {args.command}: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug: one line, exit 3 (SOSKU_DEBUG=1 shows the traceback)
        if os.environ.get("SOSKU_DEBUG"):
            raise
        print(f"sosku {args.command}: internal error in {_where(exc)}: {describe(exc)} (a bug "
              "in soskulib, not a data problem; please report it)", file=sys.stderr)
        return 3


def _one_line(text: str) -> str:
    from soskulib.sanitize import one_line  # imported late: `sosku --help` stays fast

    return one_line(text)


def _where(exc: BaseException) -> str:
    """``module.py:line`` of the innermost soskulib frame of a traceback (else ``-``)."""
    import traceback

    frames = [f for f in traceback.extract_tb(exc.__traceback__)
              if "soskulib" in Path(f.filename).parts]
    return f"{Path(frames[-1].filename).name}:{frames[-1].lineno}" if frames else "-"


if __name__ == "__main__":
    raise SystemExit(main())
