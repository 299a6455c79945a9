"""Scoring: spec rules, missing-item rule, reverse keying, layouts, errors, invariants."""

from __future__ import annotations

import doctest
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from soskulib import instruments, scoring

ESIS = [f"esis{i:02d}" for i in range(1, 11)]
WHODAS = [f"s{i}" for i in range(1, 13)]
DIMS = ["mobility", "self_care", "usual_activities", "pain_discomfort", "anxiety_depression"]

# UK MVH TTO value set (Dolan 1997, Med Care 35:1095-1108), the textbook example of this form.
DOLAN_1997 = pd.DataFrame(
    [("constant", None, 0.081), ("n3", None, 0.269),
     ("mobility", 2, 0.069), ("mobility", 3, 0.314),
     ("self_care", 2, 0.104), ("self_care", 3, 0.214),
     ("usual_activities", 2, 0.036), ("usual_activities", 3, 0.094),
     ("pain_discomfort", 2, 0.123), ("pain_discomfort", 3, 0.386),
     ("anxiety_depression", 2, 0.071), ("anxiety_depression", 3, 0.236)],
    columns=["dimension", "level", "decrement"])


def esis_frame(rows, index=None):
    return pd.DataFrame(rows, columns=ESIS, index=index, dtype="float64")


def test_docstring_examples_run():
    result = doctest.testmod(scoring, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0


# --- published scoring rules --------------------------------------------------------------


def test_esis_linear_0_100_with_prorating_from_eight_items():
    rows = [[5] * 10, [1] * 10, [3] * 10, [2] * 5 + [4] * 5,
            [4] * 8 + [np.nan] * 2,           # 8 answered: prorated
            [4] * 7 + [np.nan] * 3]           # 7 answered: NaN
    out = scoring.score(esis_frame(rows), "esis")
    assert list(out.columns) == ["total"]
    expected = [100.0, 0.0, 50.0, 50.0, 75.0, np.nan]
    np.testing.assert_allclose(out["total"], expected)
    # (sum - 10) / 40 * 100 written out
    one = [1, 2, 3, 4, 5, 5, 4, 3, 2, 2]
    assert scoring.score(esis_frame([one]), "esis")["total"].iloc[0] == pytest.approx(
        (sum(one) - 10) / 40 * 100)


def test_whodas_simple_sum_prorated_from_ten_of_twelve():
    rows = [[0] * 12, [4] * 12, list(range(5)) * 2 + [1, 1],
            [2] * 10 + [np.nan] * 2, [2] * 9 + [np.nan] * 3]
    out = scoring.score(pd.DataFrame(rows, columns=WHODAS), "whodas12")
    np.testing.assert_allclose(out["total"], [0, 48, 22, 24, np.nan])


def test_3x10d_has_no_total_and_scores_each_life_area():
    inst = instruments.get("3x10d")
    data = pd.DataFrame([list(range(10)), [10] * 9 + [np.nan]], columns=list(inst.items))
    out = scoring.score(data, inst)
    assert list(out.columns) == list(inst.items)
    assert "total" not in out
    pd.testing.assert_frame_equal(out, data.astype("float64"), check_names=False)


def test_eq5d_profile_level_sum_and_vas():
    data = pd.DataFrame({"mobility": [1, 3], "self_care": [1, 2], "usual_activities": [2, 2],
                         "pain_discomfort": [1, np.nan], "anxiety_depression": [1, 3],
                         "vas": [85, 100]})
    out = scoring.score(data, "eq5d3l")
    assert out["vas"].tolist() == [85.0, 100.0]
    assert out["level_sum"].iloc[0] == 6 and np.isnan(out["level_sum"].iloc[1])
    assert out["mobility"].tolist() == [1.0, 3.0]
    with pytest.raises(ValueError, match="'vas'"):
        scoring.score(data.assign(vas=[85, 101]), "eq5d3l")


def test_gas_tscore_unit_weights_matches_formula_and_gas_module():
    data = pd.DataFrame({"goal1": [0, 1, -2, 2, np.nan], "goal2": [0, 1, -2, np.nan, np.nan],
                         "goal3": [0, 1, np.nan, np.nan, np.nan]})
    out = scoring.score(data, "gas", missing_columns="nan")
    # k goals all at +1: T = 50 + 10 k / sqrt(0.7 k + 0.3 k^2)
    assert out["tscore"].iloc[0] == 50.0
    assert out["tscore"].iloc[1] == pytest.approx(50 + 30 / np.sqrt(0.7 * 3 + 0.3 * 9))
    assert out["tscore"].iloc[2] == pytest.approx(50 - 40 / np.sqrt(0.7 * 2 + 0.3 * 4))
    assert out["tscore"].iloc[3] == pytest.approx(70.0)  # one goal at +2: 50 + 20 / 1
    assert np.isnan(out["tscore"].iloc[4])
    gas = pytest.importorskip("soskulib.gas")
    for row, value in zip(data.to_numpy(), out["tscore"], strict=True):
        np.testing.assert_allclose(gas.gas_tscore(row), value)


def test_reverse_keyed_items_are_reversed_before_scoring():
    esis = instruments.get("esis")
    keyed = replace(esis, reverse=("esis01", "esis02"))
    data = esis_frame([[1, 1] + [5] * 8, [5, 2, 3, 3, 3, 3, 3, 3, 3, 3]])
    out = scoring.score(data, keyed)
    assert out["total"].iloc[0] == 100.0
    manual = data.copy()
    manual[["esis01", "esis02"]] = 6 - manual[["esis01", "esis02"]]
    np.testing.assert_allclose(out["total"], scoring.score(manual, esis)["total"])
    items = scoring.item_matrix(data, keyed)
    assert items["esis01"].tolist() == [5.0, 1.0]


# --- layouts and carried columns ---------------------------------------------------------


def test_keep_carries_columns_and_index():
    data = esis_frame([[5] * 10, [1] * 10], index=[10, 20])
    data["client_id"] = ["a1", "b2"]
    data["occasion"] = ["baseline", "end"]
    out = scoring.score(data, "esis", keep=["client_id", "occasion"])
    assert list(out.columns) == ["client_id", "occasion", "total"]
    assert list(out.index) == [10, 20]
    assert list(scoring.score(data, "esis", keep=True).columns) == ["client_id", "occasion", "total"]
    assert list(scoring.score(data, "esis").columns) == ["total"]
    assert scoring.score(data, "esis").attrs["instrument"] == "esis"
    with pytest.raises(KeyError, match="municipality"):
        scoring.score(data, "esis", keep="municipality")


def test_long_layout_equals_wide_layout():
    rng = np.random.default_rng(3)
    wide = pd.DataFrame(rng.integers(0, 5, (40, 12)).astype(float), columns=WHODAS)
    wide[rng.random((40, 12)) < 0.15] = np.nan
    wide.insert(0, "client_id", [f"c{i // 2}" for i in range(40)])
    wide.insert(1, "occasion", ["baseline", "end"] * 20)
    long = wide.melt(id_vars=["client_id", "occasion"], var_name="item", value_name="value")
    long = long.dropna(subset=["value"]).sample(frac=1.0, random_state=1)
    from_long = scoring.score(long, "whodas12")  # auto-detected
    from_wide = scoring.score(wide, "whodas12", keep=["client_id", "occasion"])
    merged = from_wide.merge(from_long, on=["client_id", "occasion"], suffixes=("_w", "_l"))
    assert len(from_long) == len(merged) <= 40
    np.testing.assert_allclose(merged["total_w"], merged["total_l"])
    explicit = scoring.score(long.rename(columns={"item": "q", "value": "v"}), "whodas12",
                             layout="long", id_cols=["client_id", "occasion"], item_col="q",
                             value_col="v")
    pd.testing.assert_frame_equal(explicit, from_long)


def test_long_layout_errors():
    long = pd.DataFrame({"client_id": ["a", "a", "b"], "item": ["s1", "s1", "s2"],
                         "value": [1, 2, 9]})
    with pytest.raises(ValueError, match="row 2") as err:
        scoring.score(long, "whodas12")
    assert "'s2'" in str(err.value)
    with pytest.raises(ValueError, match="given twice"):
        scoring.score(long.iloc[:2], "whodas12")
    with pytest.raises(KeyError, match="not WHODAS-12 items"):
        scoring.score(long.assign(item=["s1", "x9", "s2"]).iloc[:2], "whodas12")
    both = pd.DataFrame({"s1": [1], "item": ["s1"], "value": [1]})
    with pytest.raises(ValueError, match="layout="):
        scoring.score(both, "whodas12")


# --- bad input -----------------------------------------------------------------------------


def test_out_of_range_names_item_and_row_label():
    data = esis_frame([[3] * 10, [3] * 10, [3] * 10], index=["r1", "r2", "r3"])
    data.loc["r2", "esis04"] = 6
    data.loc["r3", "esis04"] = 0
    with pytest.raises(ValueError, match=r"item 'esis04' is out of range 1-5 at row 'r2'.*2 such"):
        scoring.score(data, "esis")
    with pytest.raises(ValueError, match="esis01"):
        scoring.score(esis_frame([[np.inf] + [3] * 9]), "esis")


def test_wrong_columns_and_non_numeric_values_raise_clear_errors():
    data = esis_frame([[3] * 10])
    with pytest.raises(KeyError, match="esis10"):
        scoring.score(data.drop(columns="esis10"), "esis")
    with pytest.raises(KeyError, match="none of the ESIS item columns"):
        scoring.score(pd.DataFrame({"x": [1]}), "esis")
    with pytest.raises(TypeError, match="'esis03' is not numeric"):
        scoring.score(data.assign(esis03=["3"]), "esis")
    with pytest.raises(TypeError, match="'esis03' holds a non-numeric value at row 1"):
        scoring.score(pd.concat([data, data]).reset_index(drop=True)
                      .astype({"esis03": object}).assign(esis03=[3, "kolme"]), "esis")
    with pytest.raises(TypeError, match="not numeric"):
        scoring.score(data.assign(esis03=[True]), "esis")
    with pytest.raises(KeyError, match="no scales"):
        scoring.score(data, "esis", scales=["mean"])
    with pytest.raises(TypeError, match="DataFrame"):
        scoring.score(data.to_numpy(), "esis")
    # nullable integers and object columns holding numbers are fine
    ok = data.astype("Int64").astype({"esis05": object})
    assert scoring.score(ok, "esis")["total"].iloc[0] == 50.0
    # an absent column may be declared unanswered: 9 of 10 answered, prorated
    assert scoring.score(data.drop(columns="esis10"), "esis",
                         missing_columns="nan")["total"].iloc[0] == 50.0


# --- properties ----------------------------------------------------------------------------

answers = st.lists(st.lists(st.one_of(st.none(), st.integers(0, 4)), min_size=12, max_size=12),
                   min_size=1, max_size=30)


@settings(max_examples=60, deadline=None)
@given(rows=answers, seed=st.integers(0, 2**32 - 1))
def test_score_is_invariant_to_column_and_row_order(rows, seed):
    data = pd.DataFrame(rows, columns=WHODAS, dtype="float64")
    data["client"] = range(len(data))
    rng = np.random.default_rng(seed)
    shuffled = data[list(rng.permutation(data.columns))].iloc[rng.permutation(len(data))]
    expected = scoring.score(data, "whodas12")
    got = scoring.score(shuffled, "whodas12").loc[expected.index]
    pd.testing.assert_frame_equal(got, expected)


@settings(max_examples=60, deadline=None)
@given(rows=st.lists(st.lists(st.integers(1, 5), min_size=10, max_size=10), min_size=1,
                     max_size=20))
def test_prorated_score_equals_full_score_when_all_answered(rows):
    data = esis_frame(rows)
    full = (data.sum(axis=1) - 10) / 40 * 100
    np.testing.assert_allclose(scoring.score(data, "esis")["total"], full)
    no_prorate = replace(instruments.get("esis"), scales={
        "total": replace(instruments.get("esis").scales["total"], prorate=False, min_answered=1.0)})
    np.testing.assert_allclose(scoring.score(data, no_prorate)["total"], full)


@settings(max_examples=60, deadline=None)
@given(rows=st.lists(st.lists(st.one_of(st.none(), st.integers(1, 5)), min_size=10, max_size=10),
                     min_size=1, max_size=20),
       reverse=st.sets(st.sampled_from(ESIS)))
def test_reversing_twice_is_identity_and_reversed_scores_mirror(rows, reverse):
    data = esis_frame(rows)
    keyed = replace(instruments.get("esis"), reverse=tuple(sorted(reverse)))
    pd.testing.assert_frame_equal(
        scoring.reverse_items(scoring.reverse_items(data, keyed), keyed), data)
    # reversing every item mirrors the 0-100 score
    all_reversed = replace(instruments.get("esis"), reverse=tuple(ESIS))
    np.testing.assert_allclose(scoring.score(data, all_reversed)["total"],
                               100 - scoring.score(data, "esis")["total"])


@settings(max_examples=60, deadline=None)
@given(rows=answers)
def test_missing_rule_boundary(rows):
    data = pd.DataFrame(rows, columns=WHODAS, dtype="float64")
    out = scoring.score(data, "whodas12")["total"]
    answered = data.notna().sum(axis=1)
    assert (out.isna() == (answered < 10)).all()
    scorable = answered >= 10
    assert ((out[scorable] >= 0) & (out[scorable] <= 48)).all()


# --- traffic lights and EQ-5D index ------------------------------------------------------


def test_traffic_lights_for_3x10d():
    values = pd.DataFrame({"health": [0, 5, 6, 7, 8, 10], "finances": [None, 7.9, 5.5, 6, 9, 4]})
    out = scoring.traffic_lights(values)
    assert out["health"].tolist() == ["red", "red", "yellow", "yellow", "green", "green"]
    assert out["finances"].isna().iloc[0]
    assert out["finances"].tolist()[1:] == ["yellow", "red", "yellow", "green", "red"]
    assert list(out["health"].cat.categories) == ["red", "yellow", "green"]
    with pytest.raises(ValueError, match="no traffic_lights"):
        scoring.traffic_lights(values["health"], "esis")


def test_eq5d_index_with_a_made_up_value_set():
    value_set = pd.DataFrame({
        "dimension": ["constant", "mobility", "mobility", "self_care", "self_care",
                      "usual_activities", "pain_discomfort", "pain_discomfort",
                      "anxiety_depression"],
        "level": [np.nan, 2, 3, 2, 3, 3, 2, 3, 3],
        "decrement": [0.1, 0.1, 0.3, 0.05, 0.2, 0.15, 0.1, 0.4, 0.25]})
    states = pd.DataFrame([[1, 1, 1, 1, 1], [2, 1, 1, 1, 1], [1, 1, 2, 1, 1], [3, 3, 3, 3, 3],
                           [1, 2, 1, 2, np.nan]], columns=DIMS, index=list("abcde"))
    index = scoring.eq5d_index(states, value_set)
    assert list(index.index) == list("abcde") and index.name == "index"
    # usual_activities level 2 is absent from the set: decrement 0; no n3 term
    np.testing.assert_allclose(index, [1.0, 0.8, 0.9, 1 - 0.1 - 0.3 - 0.2 - 0.15 - 0.4 - 0.25,
                                       np.nan])


def test_eq5d_index_reproduces_dolan_1997_published_values(tmp_path):
    states = pd.DataFrame([[1] * 5, [3] * 5, [1, 1, 1, 1, 2], [1, 1, 1, 1, 3]], columns=DIMS)
    states["vas"] = 50
    path = tmp_path / "uk_tto.csv"
    DOLAN_1997.to_csv(path, index=False)
    index = scoring.eq5d_index(states, path)
    # Dolan (1997): 11111 = 1, 33333 = -0.594, 11112 = 0.848, 11113 = 0.414
    np.testing.assert_allclose(index, [1.0, -0.594, 0.848, 0.414], atol=1e-12)


def test_eq5d_index_rejects_bad_value_sets_and_levels():
    states = pd.DataFrame([[1, 1, 1, 1, 1]], columns=DIMS)
    with pytest.raises(ValueError, match="unsupported terms"):
        scoring.eq5d_index(states, pd.concat([DOLAN_1997, pd.DataFrame(
            {"dimension": ["D1"], "level": [None], "decrement": [0.1]})]))
    with pytest.raises(ValueError, match="same dimension and level twice"):
        scoring.eq5d_index(states, pd.concat([DOLAN_1997, DOLAN_1997.iloc[[3]]]))
    with pytest.raises(KeyError, match="columns"):
        scoring.eq5d_index(states, DOLAN_1997.rename(columns={"decrement": "weight"}))
    with pytest.raises(ValueError, match="whole numbers"):
        scoring.eq5d_index(states.assign(mobility=1.5), DOLAN_1997)
    with pytest.raises(ValueError, match="out of range"):
        scoring.eq5d_index(states.assign(mobility=4), DOLAN_1997)


def test_scoring_is_vectorised_on_a_large_frame():
    # 200k rows x 12 items: one pass, result equal to a direct NumPy computation
    rng = np.random.default_rng(11)
    x = rng.integers(0, 5, (200_000, 12)).astype(float)
    x[rng.random(x.shape) < 0.05] = np.nan
    out = scoring.score(pd.DataFrame(x, columns=WHODAS), "whodas12")["total"].to_numpy()
    n = (~np.isnan(x)).sum(axis=1)
    expected = np.where(n >= 10, np.nansum(x, axis=1) * 12 / n, np.nan)
    np.testing.assert_allclose(out, expected)
