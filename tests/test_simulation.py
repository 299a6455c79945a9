"""The truth-coverage simulation: one small programme end to end, and the summary arithmetic."""

from __future__ import annotations

import pandas as pd
import pytest

from soskulib import simulation


def test_one_replicate_runs_the_whole_pipeline_and_compares_with_truth():
    rows = simulation.replicate(11, n_clients=450)
    assert set(rows["test"]) == {"z", "knha"}
    assert set(rows["instrument"]) <= {"3x10d", "esis", "whodas12", "eq5d3l"}
    assert (rows["ci_low"] < rows["estimate"]).all() and (rows["estimate"] < rows["ci_high"]).all()
    # knha intervals are t-based with the rescaled SE: their width differs from z's
    z = rows[rows["test"] == "z"].set_index("instrument")
    knha = rows[rows["test"] == "knha"].set_index("instrument")
    pd.testing.assert_series_equal(z["estimate"], knha["estimate"])
    assert (rows["k"] >= 2).all()
    expected = (rows["ci_low"] <= rows["mu"]) & (rows["mu"] <= rows["ci_high"])
    assert rows["covers_mu"].tolist() == expected.tolist()


def test_summary_counts_coverage_with_wilson_interval():
    reps = pd.DataFrame({
        "seed": [1, 2, 3, 4], "instrument": ["esis"] * 4, "test": ["z"] * 4, "k": [7] * 4,
        "estimate": [0.3, 0.4, 0.5, 0.2], "ci_low": [0.1, 0.2, 0.45, 0.0],
        "ci_high": [0.5, 0.6, 0.7, 0.4], "mu": [0.35] * 4, "theta_mean": [0.3] * 4,
        "covers_mu": [True, True, False, True], "covers_theta_mean": [True, True, False, True],
    })
    s = simulation.CoverageResult(reps, 0.95).summary().iloc[0]
    assert s["coverage_mu"] == pytest.approx(0.75)
    assert s["bias"] == pytest.approx(0.35 - 0.35)
    assert s["mean_ci_width"] == pytest.approx(0.3625)
    # Wilson interval for 3/4 (R: prop.test(3, 4, correct = FALSE)$conf.int)
    assert s["coverage_mu_ci_low"] == pytest.approx(0.3006418, abs=1e-6)
    assert s["coverage_mu_ci_high"] == pytest.approx(0.9544127, abs=1e-6)
    assert "| esis | z | 4 |" in simulation.CoverageResult(reps, 0.95).to_markdown()


def test_truth_coverage_needs_seeds():
    with pytest.raises(ValueError, match="at least one seed"):
        simulation.truth_coverage([])
