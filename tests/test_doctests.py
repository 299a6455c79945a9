"""Docstring examples of the modules that have no doctest runner in their own test file."""

from __future__ import annotations

import doctest
import importlib

import matplotlib
import pytest

matplotlib.use("Agg")

MODULES = ("examples", "meta", "meta_fit", "meta_regression", "meta_plots", "meta_diagnostics", "models", "standardised", "rtm", "attrition",
           "cli", "codebook", "demo", "demo_development", "development", "development_plots",
           "errors", "io", "labels", "meta_multivariate", "outofcore", "pseudonym",
           "psychometrics", "schema", "simulation", "synthesis", "validation")


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name):
    module = importlib.import_module(f"soskulib.{name}")
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0


#: Modules with examples that are not run here, and why.
NOT_HERE = {"prepare": "its examples write and prepare three demo exports (about a minute); "
                       "tests/test_prepare.py makes the same calls"}


def test_every_module_with_examples_has_a_doctest_runner():
    """A module with ``>>>`` examples is run here or by ``doctest.testmod`` in its own test file."""
    import pathlib
    import re

    root = pathlib.Path(__file__).resolve().parents[1]
    tests = "\n".join(p.read_text(encoding="utf-8") for p in (root / "tests").glob("test_*.py"))
    run_elsewhere = set(re.findall(r"doctest\.testmod\((\w+)", tests))
    # test files import the module under another name (``from soskulib import formatting as fmt``)
    aliases = dict(re.findall(r"from soskulib import (\w+) as (\w+)", tests))
    run_elsewhere |= {m for m, alias in aliases.items() if alias in run_elsewhere}
    missing = []
    for path in sorted((root / "soskulib").glob("*.py")):
        name = path.stem
        has_examples = ">>> " in path.read_text(encoding="utf-8")
        if has_examples and name not in MODULES and name not in run_elsewhere and name not in NOT_HERE:
            missing.append(name)
    assert not missing, f"add these modules to MODULES in {__file__}: {missing}"
