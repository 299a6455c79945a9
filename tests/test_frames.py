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


def test_table_options_keep_the_public_keywords_and_declare_them_once():
    """The result-table functions take by/pre/post/level/min_cell/suppress as before (the
    signature help() shows), with the defaults declared once in frames.TableOptions."""
    import dataclasses
    import inspect

    import pytest

    from soskulib import outcomes, process, synthesis

    expected = {
        process.reach: ["data", "subprojects", "by", "min_cell", "suppress"],
        process.composition: ["data", "column", "by", "level", "min_cell", "suppress"],
        process.time_in_service: ["data", "export_date", "conf_type", "by", "level", "min_cell",
                                  "suppress"],
        process.pathways: ["data", "from_col", "by", "level", "min_cell", "suppress"],
        outcomes.outcome_summary: ["responses", "clients", "masks", "by", "pre", "post", "level",
                                   "min_cell", "suppress"],
        outcomes.traffic_light_shares: ["responses", "instrument", "occasions", "min_cell",
                                        "suppress"],
        synthesis.municipality_effects: ["responses", "clients", "min_pairs", "by", "pre", "post"],
        synthesis.coverage: ["clients", "subprojects", "responses", "pre", "post", "min_cell",
                             "suppress"],
    }
    for func, names in expected.items():
        params = inspect.signature(func).parameters
        assert list(params) == names, func.__name__
        defaults = {f.name: f.default for f in dataclasses.fields(frames.TableOptions)}
        shared = {n: params[n].default for n in names if n in defaults}
        assert shared == {n: defaults[n] for n in shared}
        assert defaults["by"] is None and defaults["min_cell"] == 5 and defaults["suppress"]
        assert all(params[n].kind is inspect.Parameter.KEYWORD_ONLY for n in shared)

    data = pd.DataFrame({"target_group": ["young_adult"] * 6 + ["released_prisoner"] * 9,
                         "municipality": ["092"] * 15})
    by_name = process.composition(data, by="municipality", min_cell=5)
    by_list = process.composition(data, by=["municipality"], min_cell=5)
    pd.testing.assert_frame_equal(by_name, by_list)
    assert by_name["n_group"].dropna().unique().tolist() == [15.0]
    with pytest.raises(TypeError, match=r"^reach\(\): .*'level'"):
        process.reach(data, level=0.9)     # reach has no interval: as before, an error
    with pytest.raises(TypeError, match=r"^composition\(\): "):
        process.composition(data, "target_group", "municipality")   # keywords stay keyword-only


def test_table_options_refuses_a_bad_declaration():
    import pytest

    with pytest.raises(ValueError, match=r"TableOptions has no keywords \['alpha'\]"):
        frames.table_options("by", "alpha")
    with pytest.raises(ValueError, match="keyword-only parameter 'options'"):
        frames.table_options("by")(lambda data, options: None)
