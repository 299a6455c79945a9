"""The truth-coverage simulation: replicates on both data paths, the cache, and the summary arithmetic."""

from __future__ import annotations

import pandas as pd
import pytest

from soskulib import simulation


def _check_rows(rows: pd.DataFrame) -> None:
    assert set(rows["test"]) == {"z", "knha"}
    assert set(rows["instrument"]) <= {"3x10d", "esis", "whodas12", "eq5d3l"}
    assert (rows["ci_low"] < rows["estimate"]).all() and (rows["estimate"] < rows["ci_high"]).all()
    assert (rows["k"] >= 2).all()
    for target, column in (("mu", "covers_mu"), ("theta_mean", "covers_theta_mean"),
                           ("theta_completers_mean", "covers_theta_completers")):
        expected = (rows["ci_low"] <= rows[target]) & (rows[target] <= rows["ci_high"])
        assert rows[column].tolist() == expected.tolist()
    # z and knha share the estimate; informative dropout: completers' truth above starters'
    z = rows[rows["test"] == "z"].set_index(["instrument", "estimator"])["estimate"]
    knha = rows[rows["test"] == "knha"].set_index(["instrument", "estimator"])["estimate"]
    pd.testing.assert_series_equal(z, knha)
    assert (rows["theta_completers_mean"] > rows["theta_mean"]).all()


def test_one_replicate_in_memory_with_all_estimators():
    rows = simulation.replicate(11, n_clients=450, imputations=2)
    _check_rows(rows)
    assert set(rows["estimator"]) == {"cc", "ipw", "mi"}
    assert rows.loc[rows["instrument"] == "esis", "k"].max() <= 7  # the seven ESIS users


def test_one_replicate_through_the_export_and_prepare():
    rows = simulation.replicate(12, n_clients=450, pipeline="export", estimators=("cc",))
    _check_rows(rows)


def test_k20_scenario_pools_twenty_municipalities():
    # 600 clients: with informative dropout and the instruments' availability dates, 270
    # clients left ESIS with only 5 municipalities of 10+ completers
    rows = simulation.replicate(3, n_clients=600, scenario="k20", estimators=("cc",))
    # twenty organisations use every instrument (more than the nine of the programme); a few
    # may still fall under the 10 completers a municipality needs to enter
    assert 10 <= rows["k"].min() and rows["k"].max() <= 20
    assert set(rows["instrument"]) == {"3x10d", "esis", "whodas12", "eq5d3l"}
    assert set(rows["scenario"]) == {"k20"}


def test_cache_resumes_and_reuses_replicates(tmp_path):
    first = simulation.truth_coverage([5], 270, jobs=1, estimators=("cc",), cache_dir=tmp_path,
                                      progress=False)
    files = list(tmp_path.rglob("*.parquet"))
    assert [f.name for f in files] == ["5.parquet"]
    files[0].write_bytes(b"")  # a cached result is read, not recomputed: a broken file fails
    with pytest.raises(Exception):  # noqa: B017 - pyarrow's error type is not ours to pin
        simulation.truth_coverage([5], 270, jobs=1, estimators=("cc",), cache_dir=tmp_path,
                                  progress=False)
    again = simulation.truth_coverage([5], 270, jobs=1, estimators=("cc",), progress=False)
    pd.testing.assert_frame_equal(first.replicates, again.replicates)  # deterministic


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
    assert s["bias_se"] == pytest.approx(reps["estimate"].std() / 2)
    assert s["mean_ci_width"] == pytest.approx(0.3625)
    # Wilson interval for 3/4 (R: prop.test(3, 4, correct = FALSE)$conf.int)
    assert s["coverage_mu_ci_low"] == pytest.approx(0.3006418, abs=1e-6)
    assert s["coverage_mu_ci_high"] == pytest.approx(0.9544127, abs=1e-6)
    assert "| esis | z | 4 |" in simulation.CoverageResult(reps, 0.95).to_markdown()


def test_bad_arguments_say_what_to_fix():
    with pytest.raises(ValueError, match="at least one seed"):
        simulation.truth_coverage([])
    with pytest.raises(ValueError, match="scenario"):
        simulation.truth_coverage([1], scenario="k99")
    with pytest.raises(ValueError, match="estimator"):
        simulation.replicate(1, estimators=("bayes",))
