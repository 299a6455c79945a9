"""Shared steps of the tidy result tables: the wide reading layout keeps disclosure markers."""

from __future__ import annotations

import doctest

import numpy as np
import pandas as pd

from soskulib import frames

CDN_MARKERS = ("cdn", "unpkg", "jsdelivr", "require.js")


def test_docstring_examples_run():
    result = doctest.testmod(frames, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0


def test_spread_keeps_markers_and_numbers():
    from soskulib import disclosure

    t = pd.DataFrame({"item": ["a", "a", "b", "b"], "band": ["red", "green"] * 2,
                      "share": [0.2, 0.8, np.nan, 0.5], "share_suppressed": [False, False, True, False]})
    wide = frames.spread(t, "item", "band", "share", scale=100)
    assert wide.loc["b", "red"] == disclosure.MARKER
    assert pd.api.types.is_numeric_dtype(wide["green"]) and wide.loc["a", "green"] == 80
