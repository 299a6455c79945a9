"""Tests for soskulib.gas: Kiresuk-Sherman T-scores (hand-computed values), tables, bad input."""

from __future__ import annotations

import doctest
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from soskulib import gas
from soskulib.gas import LEVEL_LABELS, LEVELS, attainment_summary, gas_tscore, gas_tscores


def test_doctests() -> None:
    result = doctest.testmod(gas)
    assert result.attempted > 0 and result.failed == 0


def test_all_expected_is_50() -> None:
    assert gas_tscore([0, 0, 0, 0, 0]) == 50.0
    assert gas_tscore([0, 0], weights=[3, 1], rho=0.5) == 50.0


@pytest.mark.parametrize("k", [1, 2, 3, 4, 5])
def test_k_goals_at_plus_one_by_hand(k: int) -> None:
    # Equal weights, all at +1: T = 50 + 10k / sqrt(0.7k + 0.3k^2).
    expected = 50 + 10 * k / math.sqrt(0.7 * k + 0.3 * k * k)
    assert gas_tscore([1] * k) == pytest.approx(expected, rel=1e-14)
    assert gas_tscore([-1] * k) == pytest.approx(100 - expected, rel=1e-14)


def test_worked_values() -> None:
    # One goal: T = 50 + 10x regardless of rho and weight.
    assert gas_tscore([2], weights=[7]) == pytest.approx(70.0)
    # Three goals at +2, weights 1: 50 + 60 / sqrt(2.1 + 2.7) = 77.386.
    assert gas_tscore([2, 2, 2]) == pytest.approx(50 + 60 / math.sqrt(4.8))
    # Weighted: x = (2, 0, -1), w = (3, 2, 1): sum wx = 5, sum w^2 = 14, (sum w)^2 = 36.
    assert gas_tscore([2, 0, -1], [3, 2, 1]) == pytest.approx(50 + 50 / math.sqrt(0.7 * 14 + 0.3 * 36))
    # rho = 0: T = 50 + 10 * sum x / sqrt(k) for unit weights.
    assert gas_tscore([1, 1, 1, 1], rho=0.0) == pytest.approx(70.0)


def test_nan_dropped_with_weight() -> None:
    assert gas_tscore([2, np.nan, 0], weights=[3, 100, 1]) == pytest.approx(gas_tscore([2, 0], [3, 1]))
    # A missing weight is fine where the goal is not rated.
    assert gas_tscore([1, np.nan], weights=[2, np.nan]) == pytest.approx(60.0)
    assert math.isnan(gas_tscore([np.nan, np.nan]))
    assert math.isnan(gas_tscore([]))


@pytest.mark.parametrize(
    ("args", "error", "match"),
    [
        (([3, 0],), ValueError, "-2..\\+2"),
        (([1, 0], [1]), ValueError, "same length"),
        (([1, 0], [1, 0]), ValueError, "positive"),
        (([1, 0], [1, np.nan]), ValueError, "positive"),
        ((["a", "b"],), TypeError, "numeric"),
    ],
)
def test_bad_input(args: tuple, error: type, match: str) -> None:
    with pytest.raises(error, match=match):
        gas_tscore(*args)


def test_bad_rho() -> None:
    with pytest.raises(ValueError, match="rho"):
        gas_tscore([1], rho=1.5)
    with pytest.raises(TypeError, match="rho"):
        gas_tscore([1], rho="0.3")


def _goals(seed: int = 5, clients: int = 50) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n_goals = rng.integers(1, 6, clients)
    ids = np.repeat([f"{i:016x}" for i in range(clients)], n_goals)
    att = rng.integers(-2, 3, ids.size).astype(float)
    att[rng.random(ids.size) < 0.15] = np.nan
    return pd.DataFrame({
        "client_id": ids,
        "municipality": np.repeat(rng.choice(["092", "167"], clients), n_goals),
        "goal_no": np.concatenate([np.arange(1, k + 1) for k in n_goals]),
        "life_area": rng.choice(["work", "housing", "health"], ids.size),
        "weight": rng.choice([1.0, 2.0, 3.0], ids.size),
        "baseline_level": rng.integers(-2, 0, ids.size).astype(float),
        "attainment": att,
    })


def test_gas_tscores_match_scalar_function() -> None:
    goals = _goals()
    table = gas_tscores(goals, keep=["municipality"])
    for client_id, rows in goals.groupby("client_id"):
        expected = gas_tscore(rows["attainment"], rows["weight"])
        got = table.loc[client_id, "tscore"]
        assert (math.isnan(expected) and math.isnan(got)) or got == pytest.approx(expected)
        assert table.loc[client_id, "n_goals"] == len(rows)
        assert table.loc[client_id, "n_rated"] == rows["attainment"].notna().sum()
        assert table.loc[client_id, "n_at_or_above_expected"] == (rows["attainment"] >= 0).sum()
        assert table.loc[client_id, "municipality"] == rows["municipality"].iloc[0]
    assert table.index.is_monotonic_increasing and table.attrs["rho"] == 0.3


def test_gas_tscores_unit_weights_and_baseline() -> None:
    goals = _goals()
    unit = gas_tscores(goals, weight=None)
    first = goals[goals["client_id"] == goals["client_id"].iloc[0]]
    assert unit["tscore"].iloc[0] == pytest.approx(gas_tscore(first["attainment"]), nan_ok=True)
    baseline = gas_tscores(goals, attainment="baseline_level")
    assert (baseline["tscore"] < 50).all()   # baselines are -2 or -1


def test_gas_tscores_errors() -> None:
    goals = _goals()
    with pytest.raises(KeyError, match="weight"):
        gas_tscores(goals.drop(columns="weight"))
    bad = goals.copy()
    bad.loc[3, "attainment"] = 4.0
    with pytest.raises(ValueError, match="row\\(s\\) 3"):
        gas_tscores(bad)
    bad_w = goals.copy()
    bad_w.loc[bad_w["attainment"].notna().idxmax(), "weight"] = np.nan
    with pytest.raises(ValueError, match="positive"):
        gas_tscores(bad_w)


def test_attainment_summary() -> None:
    goals = _goals()
    summary = attainment_summary(goals, by="life_area")
    assert summary["life_area"].tolist() == sorted(goals["life_area"].unique())
    for _, row in summary.iterrows():
        rows = goals[goals["life_area"] == row["life_area"]]
        rated = rows["attainment"].dropna()
        assert row["n_goals"] == len(rows) and row["n_rated"] == len(rated)
        assert [row[f"n_level_{lvl}"] for lvl in LEVELS] == [(rated == lvl).sum() for lvl in LEVELS]
        assert row["share_at_or_above_expected"] == pytest.approx((rated >= 0).mean())
        assert row["ci_low"] <= row["share_at_or_above_expected"] <= row["ci_high"]
        assert row["mean_attainment"] == pytest.approx(rated.mean())
        both = rows.dropna(subset=["attainment", "baseline_level"])
        assert row["mean_gain"] == pytest.approx((both["attainment"] - both["baseline_level"]).mean())
    overall = attainment_summary(goals, baseline=None)
    assert len(overall) == 1 and "mean_gain" not in overall.columns
    assert overall["n_goals"].iloc[0] == len(goals)


def test_level_labels_bilingual() -> None:
    assert set(LEVEL_LABELS) == set(LEVELS)
    assert all(fi and en for fi, en in LEVEL_LABELS.values())


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(-2, 2), st.floats(0.1, 10)), min_size=1, max_size=8),
       st.floats(0.0, 0.99))
def test_properties(goals: list, rho: float) -> None:
    x = np.array([g[0] for g in goals], dtype=float)
    w = np.array([g[1] for g in goals])
    t = gas_tscore(x, w, rho)
    # Negating attainments mirrors T around 50; permuting goals leaves it unchanged;
    # scaling all weights by a constant leaves it unchanged.
    assert gas_tscore(-x, w, rho) == pytest.approx(100 - t, abs=1e-9)
    assert gas_tscore(x[::-1], w[::-1], rho) == pytest.approx(t, abs=1e-9)
    assert gas_tscore(x, w * 3.7, rho) == pytest.approx(t, abs=1e-9)
    if (x >= 0).all():
        assert t >= 50 - 1e-9
