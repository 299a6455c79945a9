"""The publishable/analysis-only mark: what describe() tells a researcher about a table."""

from __future__ import annotations

import doctest

import pandas as pd

from soskulib import disclosure, publication


def test_docstring_examples_run():
    result = doctest.testmod(publication, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0


def test_describe_names_the_threshold_the_table_was_suppressed_with():
    counts = pd.DataFrame({"group": ["a", "b", "c"], "n": [12, 7, 40]})
    strict = disclosure.suppress_table(counts, ["n"], along="group", min_cell=10)
    assert publication.is_publishable(strict) is True
    assert "cells under 10 people" in publication.describe(strict)
    usual = disclosure.suppress_table(counts, ["n"], along="group")
    assert f"cells under {disclosure.MIN_CELL} people" in publication.describe(usual)
    assert publication.describe(pd.DataFrame()).startswith("unmarked")
