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


def test_in_memory_starters_carry_the_reports_covariates():
    """Age (from the identity code, as prepare derives it), gender and the baseline for all."""
    data, truth = simulation._memory_programme(21, "programme", 450)
    assert data[["pre", "age", "female", "completed"]].notna().all().all()
    assert data["age"].between(13, 70).all() and data["age"].nunique() > 20
    assert set(truth["instruments"]) == set(data["instrument"])


def test_in_memory_path_draws_the_export_clients(tmp_path):
    """outcomes_only skips only side tables: baselines, completion, age and gender equal the export's."""
    from soskulib import attrition, demo, io, prepare, schema

    memory, _ = simulation._memory_programme(12, "programme", 450)
    raw, processed = tmp_path / "raw", tmp_path / "processed"
    demo.write_demo(raw, seed=12, n_clients=450)
    prepare.prepare(raw, processed, log=lambda _msg: None)
    export = attrition.starters({i: io.load_processed(processed, f"responses_{i}")
                                 for i in schema.ASSESSMENT_INSTRUMENTS},
                                io.load_processed(processed, "clients"))
    keys = ["instrument", "municipality", "pre", "completed", "age", "female"]

    def rows(d: pd.DataFrame) -> pd.DataFrame:
        # scoring.score and the generator's headline_score prorate in a different order
        d = d.assign(municipality=d["municipality"].astype(str), pre=d["pre"].round(6))[keys]
        return d.sort_values(keys).reset_index(drop=True)

    a, b = rows(memory), rows(export)
    # the export plants a few invalid rows that prepare rejects; everything else is equal
    merged = a.merge(b, how="outer", indicator=True)
    assert (merged["_merge"] == "both").mean() > 0.98


def test_mar_scenario_switches_the_dropout_model_and_restores_it():
    from soskulib import demo

    before = dict(demo.DROPOUT_MODEL)
    data, truth = simulation._memory_programme(5, "mar", 450)
    assert demo.DROPOUT_MODEL == before
    assert data["wellbeing"].notna().all()
    # dropout depends on baseline well-being only: completers are better off at baseline
    done = data.drop_duplicates("client_id")
    assert done.loc[done["completed"], "wellbeing"].mean() > done.loc[~done["completed"], "wellbeing"].mean()
    rows = simulation.replicate(5, n_clients=450, scenario="mar", imputations=2)
    assert set(rows["scenario"]) == {"mar"} and set(rows["estimator"]) == {"cc", "ipw", "mi"}


def test_summary_reports_bias_sd_and_se_ratio_per_target():
    reps = pd.DataFrame({
        "seed": [1, 2, 3, 4], "scenario": "programme", "instrument": "esis", "estimator": "cc",
        "test": "knha", "k": 7, "estimate": [0.3, 0.4, 0.5, 0.2], "se": [0.1, 0.1, 0.1, 0.1],
        "ci_low": [0.1, 0.2, 0.45, 0.0], "ci_high": [0.5, 0.6, 0.7, 0.4], "mu": 0.35,
        "theta_mean": [0.3, 0.3, 0.5, 0.3], "theta_completers_mean": 0.4,
        "covers_mu": [True, True, False, True], "covers_theta_mean": [True, True, True, True],
        "covers_theta_completers": [True, True, False, True],
    })
    s = simulation.CoverageResult(reps, 0.95).summary().iloc[0]
    err = reps["estimate"] - reps["theta_mean"]
    assert s["bias_theta_mean"] == pytest.approx(err.mean())
    assert s["sd_err_theta_mean"] == pytest.approx(err.std())
    # mean half-width 0.18125 over 1.96 × SD of the estimates
    assert s["se_ratio_mu"] == pytest.approx(0.18125 / (1.959964 * reps["estimate"].std()), rel=1e-6)
    # bias vs completers −0.05: shifted intervals [0.15,0.55], [0.25,0.65], [0.5,0.75], [0.05,0.45]
    assert s["coverage_debiased_theta_completers"] == pytest.approx(0.75)
    assert s["bias_theta_completers"] == pytest.approx(-0.05)


def test_explanations_name_bias_width_and_noise():
    base = {"scenario": "programme", "instrument": "esis", "test": "z", "k": 7}
    row = base | {"estimator": "ipw", "coverage_theta_completers": 0.80,
                  "coverage_theta_completers_ci_low": 0.77, "coverage_theta_completers_ci_high": 0.82,
                  "bias_theta_completers": -0.06, "sd_err_theta_completers": 0.05,
                  "se_ratio_theta_completers": 1.0, "coverage_debiased_theta_completers": 0.95}
    assert simulation.explain_coverage(row, "theta_completers").startswith("bias:")
    assert "starters' change" in simulation.explain_coverage(row, "theta_completers")
    narrow = base | {"estimator": "cc", "coverage_mu": 0.90, "coverage_mu_ci_low": 0.88,
                     "coverage_mu_ci_high": 0.92, "bias_mu": 0.0, "sd_err_mu": 0.05,
                     "se_ratio_mu": 0.85, "coverage_debiased_mu": 0.90}
    assert "ignores the uncertainty of τ²" in simulation.explain_coverage(narrow, "mu")
    noise = narrow | {"coverage_mu": 0.925, "coverage_mu_ci_low": 0.90, "coverage_mu_ci_high": 0.951}
    assert simulation.explain_coverage(noise, "mu").startswith("Monte Carlo noise")
    fine = narrow | {"coverage_mu": 0.95}
    assert simulation.explain_coverage(fine, "mu") is None


def test_cached_only_summarises_what_a_stopped_run_left(tmp_path):
    simulation.truth_coverage([3], 270, jobs=1, estimators=("cc",), cache_dir=tmp_path, progress=False)
    res = simulation.truth_coverage(range(1, 50), 270, jobs=1, estimators=("cc",), cache_dir=tmp_path,
                                    progress=False, cached_only=True)
    assert set(res.replicates["seed"]) == {3}
    with pytest.raises(ValueError, match="no cached replicates"):
        simulation.truth_coverage([1], 270, scenario="k20", estimators=("cc",), cache_dir=tmp_path,
                                  progress=False, cached_only=True)


def test_bad_arguments_say_what_to_fix():
    with pytest.raises(ValueError, match="at least one seed"):
        simulation.truth_coverage([])
    with pytest.raises(ValueError, match="scenario"):
        simulation.truth_coverage([1], scenario="k99")
    with pytest.raises(ValueError, match="estimator"):
        simulation.replicate(1, estimators=("bayes",))


def test_guided_calibration_finds_the_same_shifts_within_tolerance():
    from soskulib import demo

    plain = demo.true_effects.__wrapped__(4, 4_000)
    guided = demo.true_effects.__wrapped__(4, 4_000, guided=True)
    for inst, spec in plain["instruments"].items():
        for code, shift in spec["latent_shift"].items():
            assert guided["instruments"][inst]["latent_shift"][code] == pytest.approx(shift, abs=2e-5)
        assert guided["instruments"][inst]["theta"] == spec["theta"]
    # a bracket that misses the root falls back to the full search
    far = demo.calibrate_shift("esis", 0.0, 0.3, seed=1, draws=4_000, bracket=(2.0, 2.5))
    assert far == pytest.approx(demo.calibrate_shift("esis", 0.0, 0.3, seed=1, draws=4_000), abs=2e-5)


def test_report_answers_the_questions_from_its_own_numbers(tmp_path):
    res = {sc: simulation.truth_coverage([2, 3], 300, jobs=1, scenario=sc, imputations=2,
                                         cache_dir=tmp_path, progress=False)
           for sc in ("programme", "mar")}
    text = simulation.coverage_report(res, {sc: f"cmd {sc}" for sc in res})
    assert "## Scenario `programme`: 2 replicates" in text and "`cmd mar`" in text
    assert "The 3X10D question" in text and "The ESIS bias question" in text
    assert "Control `mar` (2 replicates)" in text
    flagged = sum(line.count("⚠") for line in text.splitlines() if line.startswith("| "))
    explained = sum(1 for line in text.splitlines() if line.startswith("* ") and ", vs " in line)
    assert flagged == explained > 0     # every flagged coverage has its reason
    csv = simulation.coverage_csv(res)
    assert set(csv["scenario"]) == {"programme", "mar"} and "se_ratio_mu" in csv


def test_old_truths_in_the_cache_are_recomputed_not_the_estimates(tmp_path, monkeypatch):
    first = simulation.truth_coverage([4], 270, jobs=1, estimators=("cc",), cache_dir=tmp_path,
                                      progress=False).replicates
    assert (first["truth_version"] == simulation.TRUTH_VERSION).all()
    path = next(tmp_path.rglob("4.parquet"))
    # a file as the first v3 runs wrote it: no digest, no municipalities, the old truths
    old = first.drop(columns=["data_digest", "municipalities", "truth_version"]).assign(
        theta_completers_mean=0.0, covers_theta_completers=False)
    old.to_parquet(path, index=False)

    def no_rerun(*args, **kwargs):
        raise AssertionError("the estimates were recomputed")

    monkeypatch.setattr(simulation, "replicate", no_rerun)
    again = simulation.truth_coverage([4], 270, jobs=1, estimators=("cc",), cache_dir=tmp_path,
                                      progress=False, cached_only=True).replicates
    pd.testing.assert_frame_equal(again[first.columns], first)
    # and the file now holds the new truths
    assert (pd.read_parquet(path)["truth_version"] == simulation.TRUTH_VERSION).all()


def test_a_cached_replicate_of_other_data_is_run_again(tmp_path):
    first = simulation.truth_coverage([4], 270, jobs=1, estimators=("cc",), cache_dir=tmp_path,
                                      progress=False).replicates
    path = next(tmp_path.rglob("4.parquet"))
    stale = first.drop(columns=["data_digest", "municipalities"]).assign(
        truth_version=1, estimate=first["estimate"] + 0.01)  # as if the generator had changed
    assert simulation.refresh_truths(stale, 4, 270) is None
    stale.to_parquet(path, index=False)
    again = simulation.truth_coverage([4], 270, jobs=1, estimators=("cc",), cache_dir=tmp_path,
                                      progress=False, cached_only=True).replicates
    pd.testing.assert_frame_equal(again, first)


def test_dropout_decomposition_separates_design_from_estimators():
    """Under MAR (control) conditioning on the models' covariates recovers μ exactly; under the
    demo's MNAR dropout the MAR limit lies further from μ than complete pairs' limit."""
    mar = simulation.dropout_decomposition("mar", draws=40_000, bins=25).set_index("instrument")
    assert (mar["mar_baseline_wellbeing"] - mar["starters"]).abs().max() < 0.01
    assert (mar["bias_cc"] < -0.02).all()            # completers: better off, regress less
    mnar = simulation.dropout_decomposition("programme", draws=40_000, bins=25).set_index("instrument")
    assert (mnar["bias_mar"] > mnar["bias_cc"] + 0.01).all() and (mnar["bias_cc"] > 0.02).all()
    assert (mnar["baseline_gap"] > 0).all()
    row = {"scenario": "programme", "instrument": "esis", "estimator": "ipw", "test": "knha", "k": 7,
           "coverage_mu": 0.80, "coverage_mu_ci_low": 0.78, "coverage_mu_ci_high": 0.83,
           "bias_mu": 0.09, "sd_err_mu": 0.08, "se_ratio_mu": 1.1, "coverage_debiased_mu": 0.94}
    text = simulation.explain_coverage(row, "mu", limits=mnar.loc["esis"].to_dict())
    assert f"{mnar.loc['esis', 'bias_mar']:+.3f}".replace("-", "−") in text
    assert "further off than complete pairs" in text
