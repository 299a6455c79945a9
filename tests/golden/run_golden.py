"""Strict nbval check of the golden notebook against its committed expected output.

Notebooks are committed without outputs, so the expected output lives in
``golden_national_headline.expected.txt``. This script copies the notebook into a temporary
folder, points it at the repository's ``data/processed``, inserts the expected text as the
code cell's output and runs ``pytest --nbval`` on the copy (character-for-character
comparison). ``--update`` executes the notebook and rewrites the expected file instead.

Usage: ``python tests/golden/run_golden.py [--update]`` from the repository root, after
``sosku prepare``.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat
from nbclient import NotebookClient

HERE = Path(__file__).resolve().parent
NOTEBOOK = HERE / "golden_national_headline.ipynb"
EXPECTED = HERE / "golden_national_headline.expected.txt"
PROCESSED = HERE.parent.parent / "data" / "processed"


def _copy(folder: Path) -> tuple[nbformat.NotebookNode, Path]:
    nb = nbformat.read(NOTEBOOK, as_version=4)
    code = nb.cells[1]
    code.source = code.source.replace('"../../data/processed"', repr(str(PROCESSED)))
    return nb, folder / NOTEBOOK.name


def main(argv: list[str]) -> int:
    if not (PROCESSED / "manifest.json").is_file():
        print(f"run_golden: no prepared data in {PROCESSED}; run `sosku prepare` first",
              file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="sosku-golden-") as tmp:
        nb, path = _copy(Path(tmp))
        if "--update" in argv:
            NotebookClient(nb, kernel_name="python3", resources={"metadata": {"path": tmp}}).execute()
            EXPECTED.write_text("".join(o.get("text", "") for o in nb.cells[1].outputs),
                                encoding="utf-8")
            print(f"run_golden: wrote {EXPECTED}")
            return 0
        nb.cells[1].outputs = [nbformat.v4.new_output(
            "stream", name="stdout", text=EXPECTED.read_text(encoding="utf-8"))]
        nb.cells[1].execution_count = 1
        nbformat.write(nb, path)
        return subprocess.call([sys.executable, "-m", "pytest", "--nbval", str(path),
                                "-p", "no:cacheprovider", "-q", "--rootdir", tmp])


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
