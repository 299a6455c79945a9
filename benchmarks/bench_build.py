"""Whole build: ``make reports`` on the committed demo vs starting the same kernels bare.

Optional (``python -m benchmarks --build``): it needs the notebooks and takes minutes. Timed:
``make reports`` in the repository root as a researcher reruns it: the demo export and its
processed data are there and current (setup prepares them, untimed, when they are not), so
the build checks their fingerprint, executes every notebook and renders the HTML. Reported
alongside (``fresh_build_s``): the same build with ``--fresh``, which prepares the data again.
The floor executes, with the same parallelism
(``--jobs``, default the CPU count as ``sosku report``), as many one-cell notebooks as the build
rendered reports, each in a fresh ``python3`` kernel via nbclient, the cell only importing the
libraries: ``import soskulib, pandas, matplotlib, seaborn, scipy, statsmodels``. Target: the
build within 2× that floor. N is the number of notebooks executed. The size option does not
apply; peak memory is that of the largest single process (a kernel), not the sum.
"""

from __future__ import annotations

import subprocess
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

TITLE = "Whole build: make reports (demo) vs bare kernels importing the libraries"
SIZE_UNIT = "notebooks"
TARGET = 2.0
AUTORANGE = False
FLOOR = ("nbclient: the same number of one-cell notebooks `import soskulib, pandas, matplotlib, "
         "seaborn, scipy, statsmodels`, same parallelism")
ROOT = Path(__file__).resolve().parent.parent
IMPORTS = "import soskulib, pandas, matplotlib, seaborn, scipy, statsmodels"


def _rendered(reports: Path) -> list[Path]:
    return [p for p in reports.rglob("*.html") if p.name != "index.html"]


def sizes(options: dict) -> list[int]:
    # The number of notebooks is known after a build; 0 means "the demo build" until then.
    return [0]


def make_data(size: int, options: dict) -> None:
    """Nothing: ``make reports`` writes the demo export itself when it is missing."""


def setup(size: int, options: dict) -> dict:
    from soskulib import cli, prepare

    raw, processed = ROOT / cli.DEFAULT_RAW, ROOT / cli.DEFAULT_PROCESSED
    if any(raw.glob("*")) and not prepare.is_current(raw, processed):
        prepare.prepare(raw, processed, log=lambda _msg: None)
    return {"jobs": int(options["jobs"])}


def run(context: dict) -> dict:
    subprocess.run(["make", "reports"], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    return {"notebooks": len(_rendered(ROOT / "reports"))}


def extras(context: dict) -> dict:
    """The build that prepares the processed data again (``sosku build --fresh``)."""
    start = time.perf_counter()
    subprocess.run(["make", "reports", "BUILD_FLAGS=--fresh"], cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL)
    return {"fresh_build_s": time.perf_counter() - start}


def _one_kernel(_: int) -> None:
    import nbformat
    from nbclient import NotebookClient

    notebook = nbformat.v4.new_notebook()
    notebook.cells.append(nbformat.v4.new_code_cell(IMPORTS))
    NotebookClient(notebook, kernel_name="python3", timeout=600).execute()


def floor(context: dict) -> dict:
    count = len(_rendered(ROOT / "reports"))
    if count == 0:
        raise RuntimeError("no rendered reports under reports/: run the build step first")
    with ProcessPoolExecutor(max_workers=context["jobs"]) as pool:
        list(pool.map(_one_kernel, range(count)))
    return {"notebooks": count, "jobs": context["jobs"]}
