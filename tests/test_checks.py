"""The shared argument checks: one message format for every module."""

from __future__ import annotations

import doctest

import numpy as np
import pandas as pd
import pytest

from soskulib import checks


def test_docstring_examples_run():
    result = doctest.testmod(checks, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0


@pytest.mark.parametrize(("values", "error", "match"), [
    (None, TypeError, "x is required"),
    (pd.DataFrame({"a": [1.0]}), TypeError, "not a DataFrame"),
    ([True, False], TypeError, "numeric"),
    (["a", "b"], TypeError, "must be numeric"),
    (pd.Series(["a", "1"], dtype=object), TypeError, "non-numeric values"),
    (np.ones((2, 2)), ValueError, "one-dimensional"),
])
def test_as_float_vector_refuses_what_is_not_one_numeric_column(values, error, match):
    with pytest.raises(error, match=match):
        checks.as_float_vector(values, "x")


def test_as_float_vector_keeps_missing_and_converts_numeric_text():
    out = checks.as_float_vector(pd.Series(["1.5", None, "3"], dtype=object), "x")
    np.testing.assert_array_equal(out, [1.5, np.nan, 3.0])
    ints = np.array([1, 2, 3])
    assert checks.as_float_vector(ints, "x").dtype == float


def test_require_columns_lists_at_most_twenty_present_columns():
    wide = pd.DataFrame(columns=[f"c{i}" for i in range(25)])
    with pytest.raises(KeyError) as info:
        checks.require_columns(wide, ["c3", "missing"], "f")
    message = str(info.value)
    assert "f needs column(s) ['missing']" in message and "c19, …" in message and "c20" not in message
