"""soskulib.sanitize: identity-code scrubber, CSV-injection neutraliser, visible text."""

from __future__ import annotations

import doctest
import io

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from soskulib import demo, sanitize

SIGNS = "+-YXWVUABCDEF"


def test_doctests() -> None:
    result = doctest.testmod(sanitize)
    assert result.failed == 0 and result.attempted > 10


@pytest.mark.parametrize("sign", list(SIGNS) + [s.lower() for s in SIGNS if s.isalpha()])
@pytest.mark.parametrize("check_case", [str.upper, str.lower])
def test_every_century_sign_in_any_case_is_masked(sign: str, check_case) -> None:
    code = f"150900{sign}123{check_case('k')}"
    assert sanitize.scrub_text(f"teema: {code}.") == "teema: <hetu>."
    assert sanitize.contains_identity_code(code)


@pytest.mark.parametrize("text", ["131052-9085", "131052 - 9085", "131052 9085", "1310529085",
                                  "131052\u20139085", "(101263-913u)", "x_131052A908T_y",
                                  "hetu=131052-9085;"])
def test_separators_and_surroundings(text: str) -> None:
    assert "<hetu>" in sanitize.scrub_text(text)
    assert not any(ch.isdigit() for ch in sanitize.scrub_text(text).replace("<hetu>", ""))


@pytest.mark.parametrize("text", ["0.1310529085", "-0,1310529085", "12345678901234",
                                  "2745c820b2d4c70b", "n = 1 234", "2017-03-01",
                                  "9913529085", "123e4567-e89b-12d3-a456-426614174000"])
def test_not_identity_codes(text: str) -> None:
    assert sanitize.scrub_text(text) == text


def test_scrub_series_matches_scalar_and_keeps_dtype() -> None:
    values = pd.Series(["a 131052-9085 b", None, "ok", "131052-9085 ja 010203a923t"],
                       dtype="str")
    out = sanitize.scrub(values)
    assert out.dtype == values.dtype
    assert out.tolist()[2] == "ok" and pd.isna(out.tolist()[1])
    assert out[0] == "a <hetu> b" and out[3] == "<hetu> ja <hetu>"
    clean = pd.Series(["x", "y"], dtype="str")
    assert sanitize.scrub(clean) is clean  # nothing to mask: no copy


def test_demo_identity_codes_all_masked() -> None:
    rng = np.random.default_rng(3)
    birth = np.datetime64("1950-01-01") + rng.integers(0, 25000, 500).astype("timedelta64[D]")
    codes = demo._hetu_strings(birth, rng.integers(100, 999, 500))
    series = pd.Series(codes, dtype="str")
    assert sanitize.identity_code_mask(series).all()
    assert sanitize.identity_code_mask(series.str.lower()).all()


@settings(max_examples=300, derandomize=True, deadline=None)
@given(st.text(max_size=40))
def test_scrub_is_idempotent_and_leaves_no_code(text: str) -> None:
    once = sanitize.scrub_text(text)
    assert sanitize.scrub_text(once) == once
    assert not sanitize.contains_identity_code(once)


@pytest.mark.parametrize("payload", ["=HYPERLINK(\"http://x\",\"y\")", "@SUM(A1:A2)", "+1+2",
                                     "-2+3", "\t=1", "\r=1", " =1+1", "=cmd|' /C calc'!A0",
                                     "\uff1d1+1"])
def test_csv_safe_neutralises_formulas(payload: str) -> None:
    frame = pd.DataFrame({"value": [payload], payload: ["x"]})
    out = sanitize.csv_safe(frame)
    text = out.to_csv(index=False)
    for cell in pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False).to_numpy().ravel():
        assert not sanitize.formula_mask(pd.Series([cell])).any()
    expected = "'" + payload.replace("\r", "\n")  # a bare CR would start a spreadsheet row
    assert out["value"][0] == expected
    assert list(out.columns)[1] == expected


def test_csv_safe_keeps_numbers() -> None:
    frame = pd.DataFrame({"n": [-1, 2], "x": [-0.5, 1.5], "t": ["-3", "-0,25"], "d": ["-", "ok"]})
    out = sanitize.csv_safe(frame)
    assert out is frame
    assert out["n"].tolist() == [-1, 2] and out["x"].tolist() == [-0.5, 1.5]


def test_csv_safe_object_column_with_mixed_cells() -> None:
    frame = pd.DataFrame({"c": pd.Series([1, "=1+1", None, ".."], dtype=object)})
    assert sanitize.csv_safe(frame)["c"].tolist() == [1, "'=1+1", None, ".."]


def test_visible_makes_one_line() -> None:
    text = "a\nb\rc\x00d\u200be\u202ef\x1a"
    shown = sanitize.visible(text)
    assert shown == "a\\nb\\rc\\x00d\\u200be\\u202ef\\x1a"
    assert shown.isprintable()
    series = sanitize.visible_series(pd.Series([text, "plain"], dtype="str"))
    assert series.tolist() == [shown, "plain"]


def test_escape_html() -> None:
    assert sanitize.escape_html("<svg onload=alert(1)>") == "&lt;svg onload=alert(1)&gt;"


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.none(), st.text(alphabet="ab1-=+@ \t\r\n,.'\u00a0\u3000\uff1d\uff0d",
                                             max_size=5)), min_size=1, max_size=8))
def test_the_cell_screen_of_csv_safe_changes_nothing(cells):
    """The quick screen of a small column gives what the Arrow regexes alone give."""
    frame = pd.DataFrame({"x": pd.Series(cells, dtype=object), "y": 1.5})
    screened = sanitize.csv_safe(frame)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(sanitize, "_SCREEN_MAX", -1)
        unscreened = sanitize.csv_safe(frame)
    assert screened["x"].tolist() == unscreened["x"].tolist()
    assert (screened is frame) == (unscreened is frame)
