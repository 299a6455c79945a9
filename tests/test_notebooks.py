"""Static checks of the committed notebooks: no outputs, a parameters cell, kernel python3."""

from __future__ import annotations

import ast
from pathlib import Path

import nbformat
import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parent.parent / "notebooks").glob("*.ipynb"))
EXPECTED = {"00_data_quality", "10_municipality", "20_national_synthesis", "30_instruments"}


def test_expected_notebooks_exist():
    assert EXPECTED <= {p.stem for p in NOTEBOOKS}


@pytest.fixture(params=NOTEBOOKS, ids=lambda p: p.stem)
def nb(request):
    return nbformat.read(request.param, as_version=4)


def test_committed_without_outputs(nb):
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [], cell.source[:60]
            assert cell.execution_count is None


def test_kernelspec_is_python3(nb):
    assert nb.metadata["kernelspec"]["name"] == "python3"


def test_parameters_cell_with_repo_defaults(nb):
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1
    cell = tagged[0]
    values = {t.id: ast.literal_eval(node.value) for node in ast.parse(cell.source).body
              for t in node.targets}
    assert values["processed_dir"] == "../data/processed"
    assert values["lang"] == "fi"
    assert "tables_dir" in values
    # the cell right after the parameters validates them (papermill only warns on unknown ones)
    following = nb.cells[nb.cells.index(cell) + 1:]
    first_code = next(c for c in following if c.cell_type == "code")
    assert "page.start(" in first_code.source


def test_municipality_notebook_has_default_municipality():
    nb = nbformat.read(next(p for p in NOTEBOOKS if p.stem == "10_municipality"), as_version=4)
    cell = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
    assert 'municipality = "092"' in cell.source


def test_notebooks_stay_thin(nb):
    """Notebooks call the library; long code cells mean logic belongs in soskulib."""
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert len(cell.source.splitlines()) <= 60, cell.source[:60]


def test_no_data_logic_in_notebooks(nb):
    """Summaries live in soskulib: no groupby/pivot/merge/lambda, short cells, each explained."""
    import re

    previous = None
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert not re.search(r"groupby|pivot|\.merge\(|lambda|\.apply\(", cell.source), \
                cell.source[:80]
            assert len(cell.source.splitlines()) <= 12, cell.source[:60]
            if "parameters" not in cell.metadata.get("tags", []):
                assert previous == "markdown", f"code cell without an explanation: {cell.source[:60]}"
        previous = cell.cell_type
