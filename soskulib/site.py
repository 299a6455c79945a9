"""The report site build: execute every notebook, render its page, guard it, write the index.

:func:`build_reports` executes the notebooks with papermill (municipality reports in parallel
processes, each worker reusing one kernel), renders their HTML (:mod:`soskulib.rendering`),
refuses to publish a page that contains a personal identity code or a client pseudonym
(:func:`check_published`) and writes ``index.html``. Every page, the index included, ends with
the build's provenance (:mod:`soskulib.provenance`: commit, environment, data checksum,
settings, key fingerprint, how to reproduce it), and ``manifest.json`` records the same with
the SHA-256 of every CSV download.

Layout written by :func:`build_reports`::

    reports/
        index.html
        manifest.json              provenance, pages, SHA-256 of every CSV
        data_quality.html          data_quality_tables/*.csv
        national_synthesis.html    national_synthesis_tables/*.csv
        instruments.html           instruments_tables/*.csv
        municipalities/<code>_<slug>.html   municipalities/<code>_<slug>_tables/*.csv
"""

from __future__ import annotations

import ast
import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from soskulib import formatting, labels, provenance, sanitize
from soskulib.errors import ConfigurationError, DataError, Problem, SoskuError
from soskulib.page import data_checksum, read_manifest
from soskulib.rendering import render_html, report_css, template_dir

__all__ = ["NOTEBOOKS_DIR", "KERNEL_NAME", "CELL_TIMEOUT", "HETU_PATTERN", "build_reports",
           "check_published", "guard_published", "municipalities_in", "render_index"]

NOTEBOOKS_DIR = Path(__file__).resolve().parent.parent / "notebooks"
KERNEL_NAME = "python3"
#: Seconds a single notebook cell may run before the build gives up.
CELL_TIMEOUT = 900

#: Anything shaped like a personal identity code, in any case and with any century sign
#: (one definition: :data:`soskulib.sanitize.IDENTITY_CODE`).
HETU_PATTERN = sanitize.IDENTITY_CODE
_PSEUDONYM_PATTERN = re.compile(r"(?<![0-9a-f])[0-9a-f]{16}(?![0-9a-f])")
_DATA_URI = re.compile(r"data:[a-z/+.-]+;base64,[A-Za-z0-9+/=]+")
_NETWORK_MARKERS = ("//cdn", "unpkg.com", "jsdelivr", "require.js", "googleapis", "<script src=",
                    '<link rel="stylesheet" href="http')


@dataclass(frozen=True)
class _Job:
    """One notebook to execute and render (picklable for the process pool)."""

    notebook: str
    html_path: str
    tables_dir: str
    parameters: dict[str, Any]
    title: str
    lang: str
    index_href: str
    provenance_html: str = ""


@dataclass(frozen=True)
class _Result:
    html_path: str
    headline: str | None
    seconds: float


#: Environment a kernel adds to this process's. ``PYTHONHASHSEED`` fixes the iteration order
#: of sets. One BLAS/OpenMP thread per kernel: the build already executes one notebook per
#: CPU, so more threads only compete for the same cores (BLAS threads spinning on busy cores
#: made the national model table ten times slower), and a fixed thread count keeps BLAS's
#: order of floating-point summation the same on every machine.
_KERNEL_ENV = {"PYTHONHASHSEED": "0", "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
              "MKL_NUM_THREADS": "1"}

#: Kernels of this process, by working directory: a worker executes its notebooks one after
#: another in one kernel, so the libraries are imported and the kernel started once per worker
#: instead of once per notebook (that was about 3 s of every municipality report).
_KERNELS: dict[str, Any] = {}

# Run once in a new kernel: bring up pyplot (the inline backend adjusts rcParams when it is
# first imported) and keep the resulting rcParams as the state every notebook starts from;
# then import the libraries every report uses (importing them leaves rcParams as they are),
# so that the first notebook of a kernel starts as quickly as the later ones.
_KERNEL_WARMUP = """\
import matplotlib, matplotlib.pyplot
matplotlib._sosku_rc_snapshot = matplotlib.rcParams.copy()
import pandas, scipy.stats, seaborn
import soskulib.page, soskulib.plots
"""
#: Tag of the cell that runs _KERNEL_RESET before a notebook's own cells.
_PREAMBLE_TAG = "sosku-kernel-preamble"
# Run before each notebook: the namespace, open figures and rcParams are as in a new kernel,
# so which notebooks share a kernel cannot change a report. The objects left then (the
# imported libraries) are moved out of the garbage collector's reach (gc.freeze): a full
# collection no longer walks them (about 8 % of a municipality's CPU; no object a notebook
# creates is affected).
_KERNEL_RESET = """\
get_ipython().run_line_magic("reset", "-f")
import gc as _g, warnings as _w, matplotlib as _m, matplotlib.pyplot as _p
_p.close("all")
with _w.catch_warnings():
    _w.simplefilter("ignore")
    _m.rcParams.update(_m._sosku_rc_snapshot)
_g.collect()
_g.freeze()
del _g, _w, _m, _p
"""


def _shutdown_kernel(km: Any) -> None:
    from jupyter_core.utils import run_sync

    try:
        run_sync(km.shutdown_kernel)(now=True)
    except Exception:  # noqa: BLE001 - at exit; the kernel also exits when its parent does
        pass
    shutil.rmtree(Path(km.ip).parent, ignore_errors=True)


def _warm_up(km: Any) -> None:
    """Run :data:`_KERNEL_WARMUP` in a new kernel; raise naming the error if it fails."""
    from jupyter_core.utils import run_sync

    kc = km.client()
    kc.start_channels()
    try:
        run_sync(kc.wait_for_ready)(timeout=CELL_TIMEOUT)
        reply = run_sync(kc.execute_interactive)(_KERNEL_WARMUP, store_history=False,
                                                 timeout=CELL_TIMEOUT,
                                                 output_hook=lambda _msg: None)
    finally:
        kc.stop_channels()
    content = reply["content"]
    if content["status"] != "ok":
        raise SoskuError(f"a new notebook kernel could not import the report libraries "
                         f"({content.get('ename')}: {content.get('evalue')}); check the "
                         "environment (make .venv/.installed)")


def _worker_kernel(cwd: str) -> Any:
    """This process's kernel for notebooks in ``cwd``, started and warmed up on first use.

    Normally the pool's initializer (:func:`_start_worker`) has started it already. A new
    kernel runs :data:`_KERNEL_WARMUP`; every notebook then starts with
    :data:`_KERNEL_RESET`, which runs as a first cell of the executed notebook rather than
    through a client of its own, because every notebook client waits 0.2 s for the kernel's
    output channel to fall quiet.

    The kernel's environment is this process's with :data:`_KERNEL_ENV`. The kernel talks
    over IPC (Unix sockets) rather than unencrypted TCP on localhost, which
    is also what keeps ipykernel's "running over TCP without encryption" warning out of the
    build's output. It is shut down when the process exits (``multiprocessing`` finalizer:
    pool workers leave through ``os._exit``, which skips ``atexit``).
    """
    from multiprocessing import util

    from jupyter_client.manager import AsyncKernelManager
    from jupyter_core.utils import run_sync

    km = _KERNELS.get(cwd)
    if km is not None and run_sync(km.is_alive)():
        return km
    # An absolute socket path: the default ("kernel-ipc") is relative, and the kernel runs in
    # ``cwd`` while this process does not.
    sockets = tempfile.mkdtemp(prefix="sosku-kernel-")
    km = AsyncKernelManager(kernel_name=KERNEL_NAME, transport="ipc",
                            ip=os.path.join(sockets, "ipc"))
    run_sync(km.start_kernel)(cwd=cwd, env={**os.environ, **_KERNEL_ENV})
    try:
        _warm_up(km)
    except BaseException:
        _shutdown_kernel(km)
        raise
    util.Finalize(None, _shutdown_kernel, args=(km,), exitpriority=10)
    _KERNELS[cwd] = km
    return km


def _start_worker(cwd: str) -> None:
    """Pool initializer: start the worker's kernel and import what executing a notebook needs.

    It runs while the main process still collects the provenance and checks the parameters,
    so the kernels' start-up is no longer a serial step before the first notebook. A failure
    here is not raised: the worker's first notebook starts the kernel again and reports it.

    ``rfc3987_syntax`` is kept out of the worker: ``jsonschema`` (imported by ``nbformat``)
    would otherwise compile its IRI grammar at import, about 1.2 s of CPU per worker, for a
    format check that notebook validation never uses.
    """
    import sys

    sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[assignment]
    try:
        _worker_kernel(cwd)
        import nbconvert  # noqa: F401 - imported here, in parallel with the main process
        import papermill  # noqa: F401
    except Exception:  # noqa: BLE001, S110 - retried and reported by the first notebook
        pass


def _started() -> None:
    """A no-op job: submitting one launches a worker (and so its initializer)."""


def _execute_and_render(job: _Job) -> _Result:
    """Execute one notebook with papermill and write its HTML (runs in a worker process)."""
    import time

    import nbformat
    import papermill

    t0 = time.perf_counter()
    cwd = str(Path(job.notebook).parent)
    km = _worker_kernel(cwd)
    source = nbformat.read(job.notebook, as_version=4)
    source.cells.insert(0, nbformat.v4.new_code_cell(
        _KERNEL_RESET, metadata={"tags": [_PREAMBLE_TAG]}))
    html_path = Path(job.html_path)
    tables = Path(job.tables_dir)
    if tables.exists():
        shutil.rmtree(tables)  # stale CSVs from an earlier build must not survive
    with tempfile.TemporaryDirectory(prefix="sosku-nb-") as tmp:
        executed = Path(tmp) / Path(job.notebook).name
        try:
            nb = papermill.execute_notebook(
                source, str(executed), parameters=job.parameters, kernel_name=KERNEL_NAME,
                km=km, cwd=cwd, progress_bar=False, log_output=False,
                request_save_on_cell_execute=False, execution_timeout=CELL_TIMEOUT,
            )
        except Exception as exc:  # papermill raises its own error type with the traceback
            failed = html_path.parent / "_failed"
            failed.mkdir(parents=True, exist_ok=True)
            if executed.exists():
                shutil.copy(executed, failed / executed.name)
            kind = type(exc).__name__
            detail = getattr(exc, "evalue", None) or str(exc).strip().splitlines()[-1:]
            raise SoskuError(f"notebook {Path(job.notebook).name} failed ({kind}: {detail}); "
                             f"the executed notebook is in {failed}") from None
    nb.cells = [c for c in nb.cells if _PREAMBLE_TAG not in c.get("metadata", {}).get("tags", [])]
    headline = _find_headline(nb)
    page = render_html(nb, title=job.title, lang=job.lang, index_href=job.index_href,
                       provenance_html=job.provenance_html)
    fetched = [m for m in _NETWORK_MARKERS if m in _DATA_URI.sub("", page).lower()]
    if fetched:  # a report must work offline
        raise SoskuError(f"{html_path.name} would load {', '.join(fetched)} from the network; "
                         "a notebook output brought in a remote script or stylesheet")
    html_path.parent.mkdir(parents=True, exist_ok=True)
    html_path.write_text(page, encoding="utf-8")
    return _Result(str(html_path), headline, time.perf_counter() - t0)


#: Seconds a notebook takes, as (fixed, per client of the report's scope: its municipality or
#: the whole programme), fitted to the demo build's notebook times (``_Result.seconds``) for
#: longest-first scheduling. Only their order matters.
_COSTS = {"10_municipality.ipynb": (7.5, 0.05), "20_national_synthesis.ipynb": (25.0, 0.008),
          "00_data_quality.ipynb": (4.0, 0.001), "30_instruments.ipynb": (1.6, 0.0)}


def _expected_cost(job: _Job, clients: Mapping[str, int]) -> float:
    """Expected seconds of a notebook (:data:`_COSTS`), ``clients`` by municipality code.

    Examples
    --------
    >>> job = _Job("nb/10_municipality.ipynb", "", "", {"municipality": "092"}, "", "fi", "")
    >>> _expected_cost(job, {"092": 380, "410": 40})
    26.5
    """
    fixed, per_client = _COSTS.get(Path(job.notebook).name, (1.0, 0.0))
    code = job.parameters.get("municipality")
    scope = clients.get(str(code), 0) if code is not None else sum(clients.values())
    return fixed + per_client * scope


def _clients_by_municipality(processed: Path) -> dict[str, int]:
    from soskulib import io as sio

    codes = sio.load_processed(processed, "clients", columns=["municipality"])["municipality"]
    return {str(k): int(v) for k, v in codes.dropna().astype(str).value_counts().items()}


def _find_headline(nb: Any) -> str | None:
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            meta = out.get("metadata", {}).get("sosku", {})
            if "headline" in meta:
                return str(meta["headline"])
    return None



def guard_published(out: Path, paths: Iterable[Path], client_ids: Iterable[str] = ()) -> None:
    """:func:`check_published` on every written page and CSV; delete every refused one.

    A refused file is not left on disk for someone to open or copy: it is deleted, and the
    error names each one (never quoting what was found).

    Raises
    ------
    DataError
        One problem per refused file, saying it was deleted.

    Examples
    --------
    >>> import tempfile
    >>> out = Path(tempfile.mkdtemp())
    >>> _ = (out / "page.html").write_text("<td>010203a923t</td>")
    >>> guard_published(out, [out / "page.html"])
    Traceback (most recent call last):
    ...
    soskulib.errors.DataError: page.html:-:-: a personal identity code appears in the rendered output; the file was deleted, not published
    >>> (out / "page.html").exists()
    False
    """
    ids = set(client_ids)
    refused: list[Problem] = []
    for path in sorted(paths):
        try:
            check_published(path.read_text(encoding="utf-8"), ids,
                            where=str(path.relative_to(out)))
        except DataError as exc:
            path.unlink()
            refused.extend(Problem(p.file, p.row, p.column, p.message.replace(
                "the report was not published", "the file was deleted, not published"))
                for p in exc.problems)
    if refused:
        raise DataError(refused)


def check_published(page: str, client_ids: Iterable[str] = (), where: str = "page") -> None:
    """Refuse to publish text that contains a henkilötunnus or a client pseudonym.

    Embedded images (base64 data URIs) are skipped; neither the identity code nor the
    pseudonym is ever quoted in the error.

    Raises
    ------
    DataError
        Naming ``where`` and what kind of identifier was found.

    Examples
    --------
    >>> check_published("<p>n = 12</p>")
    >>> check_published("<td>010203A923T</td>", where="x.html")
    Traceback (most recent call last):
    ...
    soskulib.errors.DataError: x.html:-:-: a personal identity code appears in the rendered output; the report was not published
    """
    text = _DATA_URI.sub("", page)
    if sanitize.contains_identity_code(text):
        raise DataError(Problem(where, "-", "-", "a personal identity code appears in the "
                                "rendered output; the report was not published"))
    ids = set(client_ids)
    if ids and any(m in ids for m in _PSEUDONYM_PATTERN.findall(text)):
        raise DataError(Problem(where, "-", "-", "a client pseudonym (client_id) appears in the "
                                "rendered output; the report was not published"))


#: The reports of a site besides one per municipality: notebook, page, key of its title.
_REPORTS = (("00_data_quality.ipynb", "data_quality.html", "report.data_quality.title"),
            ("20_national_synthesis.ipynb", "national_synthesis.html", "report.national.title"),
            ("30_instruments.ipynb", "instruments.html", "report.instruments.title"))


def _jobs_for(processed: Path, out: Path, lang: str, notebooks_dir: Path,
              municipalities: Sequence[tuple[str, str, str]],
              provenance_html: str = "") -> list[_Job]:
    def job(nb: str, html_path: Path, params: dict[str, Any], title: str) -> _Job:
        tables = html_path.with_name(html_path.stem + "_tables")
        rel_index = os.path.relpath(out / "index.html", html_path.parent)
        return _Job(str(notebooks_dir / nb), str(html_path), str(tables),
                    {"processed_dir": str(processed), "lang": lang, **params,
                     "tables_dir": str(tables)},
                    title, lang, rel_index, provenance_html)

    jobs = [job(nb, out / page, {}, labels.text(title, lang)) for nb, page, title in _REPORTS]
    for code, slug, name in municipalities:
        jobs.append(job("10_municipality.ipynb", out / "municipalities" / f"{code}_{slug}.html",
                        {"municipality": code},
                        labels.text("report.municipality.title", lang, name=name)))
    return jobs


def _declared_parameters(notebook: str | os.PathLike[str]) -> set[str]:
    """Names assigned in a notebook's ``parameters``-tagged cell (what papermill may inject).

    The first code cell tagged ``parameters`` is read as papermill reads it; the notebook is
    read as JSON, without importing papermill or nbformat (about 1.5 s the build would spend
    before any notebook can start). A notebook without such a cell declares none.

    Raises
    ------
    ConfigurationError
        If the notebook is missing, is not a notebook, or its parameters cell is not Python.

    Examples
    --------
    >>> import json, tempfile
    >>> cell = {"cell_type": "code", "metadata": {"tags": ["parameters"]}, "outputs": [],
    ...         "execution_count": None, "source": ["lang = 'fi'\\n", "n: int = 5  # help"]}
    >>> path = Path(tempfile.mkdtemp()) / "x.ipynb"
    >>> _ = path.write_text(json.dumps({"cells": [cell]}))
    >>> sorted(_declared_parameters(path))
    ['lang', 'n']
    """
    path = Path(notebook)
    if not path.is_file():
        raise ConfigurationError(f"notebook {path} not found")
    try:
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    except (ValueError, KeyError, TypeError) as exc:
        raise ConfigurationError(f"{path.name} is not a Jupyter notebook ({exc})") from None
    for cell in cells:
        if cell.get("cell_type") == "code" and "parameters" in cell.get("metadata", {}).get(
                "tags", []):
            source = cell.get("source", "")
            try:
                body = ast.parse(source if isinstance(source, str) else "".join(source)).body
            except SyntaxError as exc:
                raise ConfigurationError(f"{path.name}: its parameters cell is not valid "
                                         f"Python (line {exc.lineno}: {exc.msg})") from None
            names: set[str] = set()
            for node in body:
                targets = (node.targets if isinstance(node, ast.Assign)
                           else [node.target] if isinstance(node, ast.AnnAssign) else [])
                names.update(t.id for t in targets if isinstance(t, ast.Name))
            return names
    return set()


def _check_parameters(jobs: Sequence[_Job]) -> None:
    """papermill only warns on unknown parameters: refuse them before anything runs."""
    declared: dict[str, set[str]] = {}
    for j in jobs:
        if j.notebook not in declared:
            declared[j.notebook] = _declared_parameters(j.notebook)
        unknown = set(j.parameters) - declared[j.notebook]
        if unknown:
            raise ConfigurationError(
                f"{Path(j.notebook).name} has no parameter(s) {', '.join(sorted(unknown))}; "
                f"its parameters cell declares {', '.join(sorted(declared[j.notebook]))}")


def municipalities_in(processed_dir: str | os.PathLike[str],
                      lang: str = "fi") -> list[tuple[str, str, str]]:
    """``(code, slug, name)`` of every organisation with clients in the processed data.

    ``name`` is in ``lang`` (the English index links "Forssa region joint authority
    (FSHKY)", as its page calls it).
    """
    from soskulib import io as sio
    from soskulib import schema

    labels.check_lang(lang)
    clients = sio.load_processed(processed_dir, "clients", columns=["municipality"])
    present = set(clients["municipality"].dropna().astype(str))
    orgs = schema.organisations()
    orgs = orgs[orgs["code"].isin(present)].sort_values("code")
    return list(zip(orgs["code"], orgs["slug"], orgs[f"name_{lang}"], strict=True))


def build_reports(
    processed_dir: str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    lang: str = "fi",
    jobs: int | None = None,
    *,
    notebooks_dir: str | os.PathLike[str] | None = None,
    progress: bool = True,
) -> Path:
    """Execute every notebook on the processed data, render the HTML reports and the index.

    Parameters
    ----------
    processed_dir : path
        Output of ``sosku prepare`` (must hold ``manifest.json``).
    out_dir : path
        Reports folder (created); see the module docstring for its layout.
    lang : {"fi", "en"}
        Language of the reports.
    jobs : int, optional
        Notebooks executed at once (worker processes, each with its own kernel); default the
        number of CPUs.
    notebooks_dir : path, optional
        Folder of the notebooks (default: ``notebooks/`` of the source tree).
    progress : bool
        Show a tqdm progress bar on stderr.

    Returns
    -------
    Path
        The ``index.html`` written.
    """
    from tqdm.auto import tqdm

    if lang not in labels.LANGUAGES:
        raise ConfigurationError(f"--lang must be one of {', '.join(labels.LANGUAGES)}, got {lang!r}")
    if jobs is not None and jobs < 1:
        raise ConfigurationError(f"--jobs must be at least 1, got {jobs}")
    processed = Path(processed_dir).resolve()
    manifest = read_manifest(processed)
    out = Path(out_dir).resolve()
    out.mkdir(parents=True, exist_ok=True)
    nb_dir = Path(notebooks_dir).resolve() if notebooks_dir else NOTEBOOKS_DIR
    munis = municipalities_in(processed, lang)

    workers = max(1, min(jobs or os.cpu_count() or 1, len(_REPORTS) + len(munis)))
    results: dict[str, _Result] = {}
    # The workers start their kernels (_start_worker) while this process collects the
    # provenance and checks the notebooks' parameters.
    with ProcessPoolExecutor(max_workers=workers, initializer=_start_worker,
                             initargs=(str(nb_dir),)) as pool:
        for _ in range(workers):
            pool.submit(_started)
        prov = _provenance(manifest, lang)  # once per build: every page says the same
        work = _jobs_for(processed, out, lang, nb_dir, munis, prov.to_html())
        _check_parameters(work)
        # Longest first, so the pool is not left waiting on one long notebook at the end.
        costs = _clients_by_municipality(processed)
        order = sorted(work, key=lambda j: _expected_cost(j, costs), reverse=True)
        futures = {pool.submit(_execute_and_render, j): j for j in order}
        with tqdm(total=len(futures), desc="sosku report", unit="notebook",
                  disable=not progress) as bar:
            for fut in as_completed(futures):
                res = fut.result()
                results[res.html_path] = res
                bar.set_postfix_str(Path(res.html_path).name)
                bar.update()

    guard_published(out, [Path(p) for p in results] + list(out.rglob("*_tables/*.csv")),
                    _client_ids(processed))

    index = out / "index.html"
    index.write_text(formatting.html_subscripts(
        render_index(manifest, out, work, results, munis, lang, prov)), encoding="utf-8")
    provenance.write_site_manifest(
        out, prov, {Path(j.html_path).relative_to(out).as_posix(): j.title for j in work})
    return index


def _provenance(manifest: dict[str, Any], lang: str) -> provenance.Provenance:
    """The build's provenance from the processed data's manifest (:mod:`soskulib.provenance`)."""
    return provenance.collect(data_checksum=data_checksum(manifest),
                              key_fingerprint=manifest.get("pseudonym_key_fingerprint"),
                              lang=lang, synthetic=bool(manifest.get("synthetic", False)))


def _client_ids(processed: Path) -> set[str]:
    from soskulib import io as sio

    ids = sio.load_processed(processed, "clients")["client_id"]
    return set(ids.dropna().astype(str))


def render_index(manifest: dict[str, Any], out: Path, work: Sequence[_Job],
                 results: dict[str, _Result], munis: Sequence[tuple[str, str, str]],
                 lang: str, prov: provenance.Provenance | None = None) -> str:
    """The landing page: every report, a headline per municipality, and the provenance block.

    ``prov`` is the build's provenance (collected from ``manifest`` when not given).
    """
    import jinja2
    import markupsafe

    from soskulib import __version__

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(template_dir() / "site")),
        autoescape=True, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
    )
    by_path = {Path(j.html_path): j for j in work}

    def entry(path: Path) -> dict[str, Any]:
        res = results.get(str(path))
        return {"href": path.relative_to(out).as_posix(), "title": by_path[path].title,
                "headline": res.headline if res else None}

    municipal = []
    for code, slug, name in munis:
        e = entry(out / "municipalities" / f"{code}_{slug}.html")
        e["name"] = name
        e["code"] = code
        municipal.append(e)
    # The build time is the one deliberate difference between two builds (it is in the
    # provenance block); SOURCE_DATE_EPOCH pins it.
    prov = prov or _provenance(manifest, lang)
    return env.get_template("index.html.j2").render(
        t=lambda key, **kw: labels.text(key, lang, **kw),
        lang=lang, css=report_css(), version=__version__,
        source=_source_text(manifest, lang), provenance=markupsafe.Markup(prov.to_html()),
        synthetic=bool(manifest.get("synthetic", False)),
        national=entry(out / "national_synthesis.html"),
        supporting=[entry(out / "data_quality.html"), entry(out / "instruments.html")],
        municipalities=municipal,
    )


def _source_text(manifest: dict[str, Any], lang: str = "fi") -> str:
    """Where the data came from, as far as the manifest says, in ``lang``.

    Examples
    --------
    >>> _source_text({"raw_dir": "data/raw/demo", "inputs": [1] * 64, "synthetic": True}, "fi")
    'data/raw/demo, 64 lähtötiedostoa, synteettinen esimerkkiaineisto'
    """
    parts = [str(manifest.get("source") or manifest.get("raw_dir") or "")]
    inputs = manifest.get("inputs")
    if isinstance(inputs, list):
        key = "index.source.input" if len(inputs) == 1 else "index.source.inputs"
        parts.append(labels.text(key, lang, n=formatting.integer(len(inputs), lang)))
    if manifest.get("created_by"):
        parts.append(labels.text("index.source.prepared", lang, by=manifest["created_by"]))
    if manifest.get("synthetic"):
        parts.append(labels.text("index.source.synthetic", lang))
    return ", ".join(p for p in parts if p) or formatting.MISSING
