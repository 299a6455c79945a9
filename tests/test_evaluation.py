"""Tests for soskulib.evaluation against hand calculations, statsmodels and R references."""

from __future__ import annotations

import doctest
import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from _evaluation_fixtures import EXPORT_DATE, processed_tables
from statsmodels.stats.proportion import proportion_confint

from soskulib import disclosure, evaluation, schema

REFERENCE = Path(__file__).parent / "reference"


@pytest.fixture(scope="module")
def tables():
    return processed_tables()


@pytest.fixture(scope="module")
def episodes(tables):
    return evaluation.client_episodes(tables["clients"], tables["contacts"], tables["goals"],
                                      export_date=EXPORT_DATE)


@pytest.fixture(scope="module")
def reference():
    return json.loads((REFERENCE / "evaluation_reference.json").read_text())


def test_docstring_examples_run():
    result = doctest.testmod(evaluation, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0


# --- building blocks ------------------------------------------------------------------------


def test_wilson_matches_statsmodels_and_r(reference):
    ref = reference["wilson"]
    low, high = evaluation.wilson_ci(ref["x"], ref["n"])
    np.testing.assert_allclose(low, ref["low"], atol=1e-10)
    np.testing.assert_allclose(high, ref["high"], atol=1e-10)
    sm_low, sm_high = proportion_confint(np.array(ref["x"]), np.array(ref["n"]), method="wilson")
    np.testing.assert_allclose(low, sm_low, atol=1e-12)
    np.testing.assert_allclose(high, sm_high, atol=1e-12)
    low90, _ = evaluation.wilson_ci(3, 10, level=0.90)
    assert low90 == pytest.approx(proportion_confint(3, 10, alpha=0.10, method="wilson")[0])


def test_wilson_rejects_impossible_counts():
    with pytest.raises(ValueError, match="between 0 and n"):
        evaluation.wilson_ci(11, 10)


def test_mean_ci_matches_r_t_test(reference):
    ref = reference["t_interval"]
    mean, low, high, n = evaluation.mean_ci(pd.Series(ref["x"]))
    assert (low, high) == pytest.approx((ref["low"], ref["high"]), abs=1e-10)
    assert n == len(ref["x"]) and mean == pytest.approx(np.mean(ref["x"]))


# --- Kaplan-Meier against R survival ----------------------------------------------------------


@pytest.mark.parametrize("conf_type", ["log", "log-log", "plain"])
def test_km_median_and_ci_match_r_survfit(reference, conf_type):
    data = pd.read_csv(REFERENCE / "evaluation_km_data.csv")
    km = evaluation.kaplan_meier(data, "days", "ended", by="group", conf_type=conf_type)
    for row in reference["km"][conf_type]:
        got = evaluation.km_quantile(km.loc[km["group"] == row["group"]])
        want = [np.nan if row[k] is None else row[k] for k in ("median", "lower", "upper")]
        np.testing.assert_allclose(got, want, atol=1e-9, err_msg=f"{conf_type} group {row['group']}")


@pytest.mark.parametrize("conf_type", ["log", "log-log", "plain"])
def test_km_curve_matches_r_survfit(reference, conf_type):
    data = pd.read_csv(REFERENCE / "evaluation_km_data.csv")
    km = evaluation.kaplan_meier(data.loc[data["group"] == "a"], "days", "ended", conf_type=conf_type)
    ref = reference["km"][f"{conf_type}_curve_a"]

    def arr(key):
        return np.array([np.nan if v is None else v for v in ref[key]], dtype=float)

    np.testing.assert_allclose(km["time"], arr("time"))
    np.testing.assert_array_equal(km["n_risk"], arr("n_risk"))
    np.testing.assert_allclose(km["surv"], arr("surv"), atol=1e-12)
    np.testing.assert_allclose(km["std_err"], arr("std_err"), atol=1e-10)
    np.testing.assert_allclose(km["lower"], arr("lower"), atol=1e-10)
    np.testing.assert_allclose(km["upper"], arr("upper"), atol=1e-10)


def test_km_median_by_hand_six_rows():
    # Times 3, 5, 5, 8, 10+, 12: S = 5/6, 3/6 (at 5, flat until 8), 2/6, ...
    d = pd.DataFrame({"t": [3, 5, 5, 8, 10, 12], "e": [1, 1, 1, 1, 0, 1]})
    km = evaluation.kaplan_meier(d, "t", "e")
    assert km["surv"].tolist()[:3] == pytest.approx([5 / 6, 3 / 6, 2 / 6])
    # S is exactly 0.5 from day 5 to day 8: the median is the midpoint 6.5 (R convention).
    assert evaluation.km_quantile(km)[0] == pytest.approx(6.5)


def test_time_in_service_matches_r_per_group(reference):
    data = pd.read_csv(REFERENCE / "evaluation_km_data.csv")
    start = pd.Timestamp("2016-01-01")
    clients = pd.DataFrame({
        "group": data["group"],
        "start_date": start,
        "end_date": (start + pd.to_timedelta(data["days"], "D")).where(data["ended"] == 1),
    })
    # Censored rows end at their own censoring day: give them that as export date per row.
    clients["days_in_service"] = data["days"]
    clients["ended"] = data["ended"].astype(bool)
    clients["entry_quarter"] = "2016Q1"
    out = evaluation.time_in_service(clients, by="group", min_cell=1)
    for row in reference["km"]["log"]:
        got = out.loc[out["group"] == row["group"], ["median_days", "median_ci_low", "median_ci_high"]]
        want = [np.nan if row[k] is None else row[k] for k in ("median", "lower", "upper")]
        np.testing.assert_allclose(got.to_numpy()[0], want)


# --- per-episode table ------------------------------------------------------------------------


def _mini():
    clients = pd.DataFrame({
        "client_id": ["a", "b", "c", "c"],
        "municipality": ["092"] * 4,
        "start_date": pd.to_datetime(["2017-01-01", "2017-01-01", "2016-01-01", "2017-06-01"]),
        "end_date": pd.to_datetime(["2017-03-01", "2017-12-31", "2016-06-30", None]),
        "end_reason": ["completed", "dropped_out", "completed", None],
    })
    contacts = pd.DataFrame({
        "client_id": ["a"] * 4 + ["b"] * 5 + ["c", "c"],
        "municipality": ["092"] * 11,
        "date": pd.to_datetime(["2017-01-02", "2017-01-10", "2017-02-01", "2017-02-20",
                                "2017-01-05", "2017-03-01", "2017-06-01", "2017-09-01", "2017-11-01",
                                "2016-02-01", "2017-07-01"]),
        "minutes": [90, 60, 60, 30, 60, 60, 60, 60, 120, 45, 45],
        "mode": ["individual"] * 4 + ["individual"] * 4 + ["group", "individual", "outreach"],
        "content": ["needs_assessment", "daily_living_coaching", "other", "other",
                    "counselling_coordination"] + ["other"] * 3 + ["group_activity",
                                                                    "needs_assessment", "other"],
    })
    goals = pd.DataFrame({"client_id": ["a", "c"], "municipality": ["092"] * 2,
                          "set_date": pd.to_datetime(["2017-01-10", "2017-06-15"])})
    return clients, contacts, goals


def test_client_episodes_by_hand():
    clients, contacts, goals = _mini()
    ep = evaluation.client_episodes(clients, contacts, goals, export_date="2017-12-31")
    assert ep["days_in_service"].tolist() == [59, 364, 181, 213]
    assert ep["n_contacts"].tolist() == [4, 5, 1, 1]  # c's contacts split by episode dates
    assert ep["hours"].tolist() == pytest.approx([4.0, 6.0, 0.75, 0.75])
    assert ep["n_individual"].tolist() == [4, 4, 1, 0]
    # a: 4 individual in 59 days (2.1 per month) -> intensive; b: 4 in 364 days (0.33/month) -> not.
    assert ep["intensive_individual_work"].tolist() == [True, False, False, False]
    assert ep["needs_assessment"].tolist() == [True, False, True, False]
    assert ep["plan_with_goals"].tolist() == [True, False, False, True]
    assert ep["group_activity"].tolist() == [False, True, False, False]
    assert ep["n_elements"].tolist() == [3, 1, 1, 1]
    assert ep["contacts_per_month"].iloc[0] == pytest.approx(4 / (59 / (365.25 / 12)))
    lenient = evaluation.client_episodes(
        clients, contacts, goals, export_date="2017-12-31",
        rule=evaluation.FidelityRule(min_individual_contacts=4, min_individual_per_month=0.3))
    assert lenient["intensive_individual_work"].tolist() == [True, True, False, False]


def test_client_episodes_validates_dates():
    clients, _, _ = _mini()
    bad = clients.assign(end_date=pd.to_datetime(["2016-01-01"] * 4))
    with pytest.raises(ValueError, match="ends before it starts"):
        evaluation.client_episodes(bad)
    with pytest.raises(KeyError, match="start_date"):
        evaluation.client_episodes(clients.drop(columns="start_date"))


def test_export_date_defaults_to_latest_date(tables):
    ep = evaluation.client_episodes(tables["clients"], tables["contacts"])
    latest = max(tables["clients"]["end_date"].max(), tables["contacts"]["date"].max(),
                 tables["clients"]["start_date"].max())
    assert ep.loc[~ep["ended"], "stop_date"].eq(latest).all()


# --- aggregates: additivity, suppression, hand checks -----------------------------------------


@pytest.mark.parametrize("by", ["municipality", "gender", "age_group", "target_group",
                                ["municipality", "gender"]])
def test_splits_add_up_to_national(episodes, by):
    by_l = [by] if isinstance(by, str) else by
    nat = evaluation.exits(episodes, min_cell=1)
    split = evaluation.exits(episodes, by=by, min_cell=1)
    summed = split.groupby("end_reason")["n"].sum()
    assert summed.to_dict() == nat.set_index("end_reason")["n"].to_dict()
    assert evaluation.reach(episodes, by=by, min_cell=1)["n_enrolled"].sum() == len(episodes)
    ent = evaluation.entries(episodes, by=by, min_cell=1)
    assert ent.groupby("quarter")["n_entries"].sum().equals(
        evaluation.entries(episodes, min_cell=1).set_index("quarter")["n_entries"])
    fid = evaluation.fidelity(episodes, by=by, min_cell=1)
    nat_fid = evaluation.fidelity(episodes, min_cell=1).set_index("element")["n_with"]
    assert fid.groupby("element")["n_with"].sum().reindex(nat_fid.index).equals(nat_fid)
    tis = evaluation.time_in_service(episodes, by=by, min_cell=1)
    assert tis["n_ended"].sum() == episodes["ended"].sum()
    assert list(tis.columns[: len(by_l)]) == by_l


def test_exits_shares_and_wilson(episodes):
    out = evaluation.exits(episodes, min_cell=1)
    ended = episodes.dropna(subset=["end_reason"])
    for _, row in out.iterrows():
        k = int((ended["end_reason"] == row["end_reason"]).sum())
        assert row["n"] == k and row["n_ended"] == len(ended)
        low, high = proportion_confint(k, len(ended), method="wilson")
        assert (row["ci_low"], row["ci_high"]) == pytest.approx((low, high))


def test_default_output_is_protected(episodes, tables):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        outputs = {
            "exits": (evaluation.exits(episodes, by=["municipality", "gender"]), ["n", "n_ended"]),
            "composition": (evaluation.composition(episodes, "gender", by="municipality"), ["n", "n_group"]),
            "fidelity": (evaluation.fidelity(episodes, by="municipality"), ["n", "n_with"]),
            "pathways": (evaluation.pathways(episodes, by="municipality"), ["n", "n_from"]),
            "entries": (evaluation.entries(episodes, by="municipality"), ["n_entries"]),
            "dropout": (evaluation.dropout_chart(episodes, by="municipality"), ["n_exits", "n_dropped_out"]),
            "tis": (evaluation.time_in_service(episodes, by="gender"), ["n", "n_ended", "n_censored"]),
            "reach": (evaluation.reach(episodes, tables["subprojects"], by="municipality"), ["n_enrolled"]),
        }
    for name, (table, cols) in outputs.items():
        assert disclosure.is_protected(table, cols), name
        for col in cols:
            assert table[col].isna().equals(table[disclosure.mask_column(col)]), name
    # Hidden dropout counts hide their share; complement rule: fewer than 5 completers hide too.
    ex = outputs["exits"][0]
    assert ex.loc[ex["n_suppressed"], "share"].isna().all()
    fid = outputs["fidelity"][0]
    visible = fid.dropna(subset=["n_with"])
    assert not ((visible["n"] - visible["n_with"]).between(1, 4)).any()


def test_exits_secondary_suppression_within_group(episodes):
    out = evaluation.exits(episodes, by="municipality")
    hidden_per_group = out.groupby("municipality")["n_suppressed"].sum()
    assert not (hidden_per_group == 1).any()


def test_suppress_false_warns(episodes):
    with pytest.warns(UserWarning, match="disclosure control is off"):
        evaluation.exits(episodes, by="municipality", suppress=False)


def test_composition_age_group_order(episodes):
    out = evaluation.composition(episodes, "age_group", min_cell=1)
    assert out["age_group"].tolist() == list(schema.AGE_GROUP_LABELS)
    assert out["share"].sum() == pytest.approx(1.0)


def test_reach_against_plan(episodes, tables):
    out = evaluation.reach(episodes, tables["subprojects"], by="municipality", min_cell=1)
    assert out["share_of_plan"].tolist() == pytest.approx([120 / 100, 80 / 90, 14 / 20])
    nat = evaluation.reach(episodes, tables["subprojects"], min_cell=1)
    assert nat["share_of_plan"].iloc[0] == pytest.approx(214 / 210)


def test_dose_summary_matches_numpy(episodes):
    out = evaluation.dose(episodes, by="municipality", min_cell=1)
    sub = episodes.loc[episodes["municipality"] == "179", "hours"]
    row = out.loc[(out["municipality"] == "179") & (out["measure"] == "hours")].iloc[0]
    assert row["n"] == len(sub)
    assert row["mean"] == pytest.approx(sub.mean())
    assert row["sd"] == pytest.approx(sub.std(ddof=1))
    assert (row["q1"], row["median"], row["q3"]) == pytest.approx(tuple(np.percentile(sub, [25, 50, 75])))
    shares = out.loc[out["measure"].str.startswith("share_")]
    assert shares["mean"].between(0, 1).all()


def test_dose_needs_contacts(tables):
    with pytest.raises(KeyError, match="client_episodes"):
        evaluation.dose(tables["clients"])


def test_fidelity_index_matches_t_interval(episodes):
    out = evaluation.fidelity_index(episodes, by="municipality", min_cell=1)
    for muni, row in out.set_index("municipality").iterrows():
        x = episodes.loc[episodes["municipality"] == muni, "n_elements"] / 4
        mean, low, high, n = evaluation.mean_ci(x)
        assert row["index"] == pytest.approx(mean) and row["n"] == n
        assert row["ci_low"] == pytest.approx(max(low, 0)) and row["ci_high"] == pytest.approx(min(high, 1))


def test_contents_received(episodes):
    out = evaluation.contents_received(episodes, min_cell=1)
    assert out["content"].tolist() == list(schema.CONTACT_CONTENT_LABELS)
    expected = episodes["content_group_activity"].mean()
    assert out.set_index("content").loc["group_activity", "share"] == pytest.approx(expected)


def test_pathways_rows_sum_to_one(episodes):
    out = evaluation.pathways(episodes, min_cell=1)
    sums = out.groupby("target_group")["share"].sum()
    assert np.allclose(sums, 1.0)
    assert out["n"].sum() == episodes.dropna(subset=["pathway", "target_group"]).shape[0]
    by_m = evaluation.pathways(episodes, by="municipality", min_cell=1)
    assert by_m["n"].sum() == out["n"].sum()


def test_quality_profile_labels_and_change(tables):
    prof = evaluation.quality_profile(tables["quality"], lang="fi")
    crit = schema.quality_criteria().set_index("criterion")["short_fi"]
    assert (prof["criterion_label"] == prof["criterion"].map(crit)).all()
    assert prof["rating_label"].isin([v[0] for v in schema.QUALITY_RATING_LABELS.values()]).all()
    first_year = prof["year"] == 2016
    assert prof.loc[first_year, "change"].isna().all()
    change = evaluation.quality_change(tables["quality"], from_year=2016, to_year=2018)
    q = tables["quality"].set_index(["municipality", "year", "criterion"])["rating"]
    row = change.iloc[0]
    assert row["change"] == q[(row["municipality"], 2018, row["criterion"])] - q[(row["municipality"], 2016, row["criterion"])]
    with pytest.raises(ValueError, match="lang"):
        evaluation.quality_profile(tables["quality"], lang="sv")


def test_codevelopment_sums(tables):
    act = tables["activities"]
    out = evaluation.codevelopment(act, by="municipality")
    assert out["n_events"].sum() == len(act)
    assert out["n_clients"].sum() == act["n_clients"].sum()
    share = out.dropna(subset=["share_lived_experience"])
    assert share["share_lived_experience"].between(0, 1).all()


def test_quarterly_frame_joins_events_and_outcomes(episodes, tables):
    out = evaluation.quarterly_frame(episodes, tables["activities"], by="municipality", min_cell=1)
    assert out["n_events"].sum() == len(tables["activities"])
    assert out["n_entries"].sum() == len(episodes)
    assert out["n_exits"].sum() == episodes["ended"].sum()
    with pytest.raises(ValueError, match="municipality"):
        evaluation.quarterly_frame(episodes, by="gender")


def test_dropout_chart_detects_constructed_improvement():
    # 16 quarters of 100 exits: dropout 40 % for 8 quarters, then 10 %.
    quarters = pd.period_range("2015Q1", periods=16, freq="Q")
    rows = []
    for i, q in enumerate(quarters):
        dropped = 40 if i < 8 else 10
        end = q.start_time + pd.Timedelta(days=10)
        rows += [{"end_reason": "dropped_out" if k < dropped else "completed", "end_date": end}
                 for k in range(100)]
    clients = pd.DataFrame(rows)
    clients["start_date"] = pd.Timestamp("2015-01-01")
    out = evaluation.dropout_chart(clients, min_cell=1)
    assert out["n_exits"].eq(100).all()
    assert out["centre"].iloc[0] == pytest.approx(0.25)
    assert out["shift"].all()  # 8 above then 8 below the median
    assert out["too_few_runs"].all()
    # p-chart by hand: 0.25 +- 3 * sqrt(0.25 * 0.75 / 100) = [0.120, 0.380].
    se = np.sqrt(0.25 * 0.75 / 100)
    assert out["ucl"].iloc[0] == pytest.approx(0.25 + 3 * se)
    assert out["lcl"].iloc[0] == pytest.approx(0.25 - 3 * se)
    assert out["outside_limits"].all()
    phased = evaluation.dropout_chart(clients, phase_start="2017Q1", min_cell=1)
    assert phased.loc[phased["phase"] == "before", "centre"].iloc[0] == pytest.approx(0.4)
    assert phased.loc[phased["phase"] == "after", "centre"].iloc[0] == pytest.approx(0.1)
    assert not phased["outside_limits"].any()
    assert "shift" in out["reasons"].iloc[0]


def test_mechanisms_match_r_lm(reference):
    data = pd.read_csv(REFERENCE / "evaluation_lm_data.csv")
    data["client_id"] = [f"c{i}" for i in range(len(data))]
    data["municipality"] = "092"
    episodes = data.drop(columns=["change", "baseline"])
    changes = data[["client_id", "municipality", "change", "baseline"]].assign(instrument="esis")
    out = evaluation.mechanisms(episodes, changes)
    ref = reference["lm"]
    assert out["term"].tolist() == ref["term"]
    for col in ("estimate", "se", "ci_low", "ci_high", "p_value"):
        np.testing.assert_allclose(out[col], ref[col], rtol=1e-8, err_msg=col)
    assert (out["n"] == ref["n"]).all()
    fe = evaluation.mechanisms(episodes.assign(municipality=["092", "179"] * 75),
                               changes.assign(municipality=["092", "179"] * 75),
                               fixed_effects="municipality", cov_type="HC3")
    assert len(fe) == len(ref["term"]) and fe["se"].gt(0).all()


def test_change_scores_orientation_and_mechanisms_pipeline(tables, episodes):
    pytest.importorskip("soskulib.scoring")
    changes = evaluation.change_scores({"3x10d": tables["responses_3x10d"]})
    assert set(changes["instrument"]) == {"3x10d"}
    assert (changes["scale"] == "life_overall").all()
    assert changes["change"].equals(changes["followup"] - changes["baseline"])
    out = evaluation.mechanisms(episodes, changes)
    assert set(out["term"]) == {*evaluation.FIDELITY_ELEMENTS, "log_hours", "baseline"}
    assert (out["ci_low"] <= out["estimate"]).all() and (out["estimate"] <= out["ci_high"]).all()


# --- outcomes per instrument and their synthesis ----------------------------------------------


def _responses(clients: pd.DataFrame, inst_id: str, shift: float, seed: int = 3) -> pd.DataFrame:
    """Baseline/end responses of one instrument for 60 % of the clients (seeded)."""
    from soskulib import instruments

    rng = np.random.default_rng(seed)
    inst = instruments.get(inst_id)
    who = clients.sample(frac=0.6, random_state=seed)
    parts = []
    for occasion, delta in (("baseline", 0.0), ("end", shift)):
        frame = who[["client_id", "municipality"]].reset_index(drop=True)
        frame["date"] = (who["start_date"] + pd.to_timedelta(3 if occasion == "baseline" else 150,
                                                             "D")).to_numpy()
        frame["occasion"] = occasion
        latent = rng.normal(0.5 + delta, 0.8, len(who))
        for item in inst.items:
            lo, hi = inst.item_range(item)
            frame[item] = np.clip(np.round(lo + (hi - lo) * (latent + rng.normal(0, 0.6, len(who)))
                                           / 2), lo, hi)
        parts.append(frame)
    return pd.concat(parts, ignore_index=True)


@pytest.fixture(scope="module")
def responses(tables):
    # ESIS improves (higher is better), WHODAS-12 improves by going down.
    return {"esis": _responses(tables["clients"], "esis", 0.3),
            "whodas12": _responses(tables["clients"], "whodas12", -0.3, seed=4),
            "3x10d": tables["responses_3x10d"]}


def test_outcome_summary_orients_effects_and_matches_change_table(tables, responses):
    from soskulib import change, instruments, scoring

    out = evaluation.outcome_summary(responses, tables["clients"])
    for inst_id in ("esis", "whodas12"):
        inst = instruments.get(inst_id)
        scored = scoring.score(responses[inst_id], inst, keep=["client_id", "occasion"])
        ref = change.change_table(scored, score=inst.headline, pre="baseline", post="end")
        row = out.loc[out["instrument"] == inst_id].iloc[0]
        assert row["n"] == ref["n"].iloc[0]
        assert row["d_z"] == pytest.approx(ref["d_z"].iloc[0])
        sign = 1 if inst.scales[inst.headline].higher_is_better else -1
        assert row["effect"] == pytest.approx(sign * ref["d_z"].iloc[0])
        assert row["effect_ci_low"] < row["effect"] < row["effect_ci_high"]
    assert (out.loc[out["instrument"].isin(["esis", "whodas12"]), "effect"] > 0).all()


def test_outcome_summary_by_group_suppresses_small_groups(tables, responses):
    out = evaluation.outcome_summary(responses, tables["clients"], by="gender")
    with pytest.warns(UserWarning, match="disclosure control is off"):
        raw = evaluation.outcome_summary(responses, tables["clients"], by="gender", suppress=False)
    stats_cols = ["mean_pre", "mean_post", "mean_change", "sd_change", "d_z", "effect",
                  "effect_ci_low", "effect_ci_high"]
    small = (raw["n"] > 0) & (raw["n"] < disclosure.MIN_CELL)
    complement = out["n_suppressed"] & ~small
    assert small.any() and complement.any()
    # A small group shows nothing; nor does the group hiding its n as a complement: its exact
    # mean is S / n (integer S for sums), which gives n back, and then the small group too.
    assert out.loc[small | complement, stats_cols].isna().all().all()
    mean = raw.loc[complement & (raw["instrument"] == "3x10d"), "mean_pre"]
    n_true = raw.loc[mean.index, "n"]
    assert len(mean) == 1 and np.allclose(mean * n_true, np.round(mean * n_true))  # the leak this prevents
    visible = pd.to_numeric(out.loc[~out["n_suppressed"], "n"])
    assert ((visible == 0) | (visible >= disclosure.MIN_CELL)).all()
    # No instrument's line of groups hides exactly one n (subtraction from the overall n).
    assert not (out.groupby("instrument")["n_suppressed"].sum() == 1).any()


def test_change_categories_rates_and_clinical_significance(tables, responses):
    from soskulib import change, instruments, scoring

    out = evaluation.change_categories(responses, tables["clients"], min_cell=1)
    assert set(out["analysis"]) == {"reliable_change", "clinical_significance"}
    assert set(out.loc[out["analysis"] == "clinical_significance", "instrument"]) == {"whodas12"}
    sums = out.groupby(["instrument", "analysis"])["share"].sum()
    np.testing.assert_allclose(sums, 1.0)
    inst = instruments.get("esis")
    scored = scoring.score(responses["esis"], inst, keep=["client_id", "occasion"])
    ref = change.reliable_change_scores(scored, inst, "total")["category"].value_counts()
    got = out.loc[(out["instrument"] == "esis")].set_index("category")["n"]
    for category, count in ref.items():
        assert got[category] == count
    recovered = out.loc[(out["analysis"] == "clinical_significance")
                        & (out["category"] == "recovered"), "n"].iloc[0]
    improved_rc = out.loc[(out["instrument"] == "whodas12") & (out["analysis"] == "reliable_change")
                          & (out["category"] == "improved"), "n"].iloc[0]
    assert recovered <= improved_rc  # recovered = reliably improved and crossed the cutoff


def test_gas_summary_matches_tscores(tables):
    from soskulib import gas

    goals = tables["goals"].assign(attainment=np.tile([-1.0, 0.0, 1.0, 0.0, 2.0],
                                                      len(tables["goals"]) // 5 + 1)[:len(tables["goals"])])
    out = evaluation.gas_summary(goals, min_cell=1)
    t = gas.gas_tscores(goals)["tscore"].dropna()
    assert out["n"].iloc[0] == len(t)
    assert out["tscore_mean"].iloc[0] == pytest.approx(t.mean())
    assert out["share_at_or_above_50"].iloc[0] == pytest.approx((t >= 50 - 1e-9).mean())


def test_traffic_light_shares_add_up_and_match_bands(tables):
    lights = evaluation.traffic_light_shares(tables["responses_3x10d"], min_cell=1)
    sums = lights.groupby(["occasion", "item"])["share"].sum()
    np.testing.assert_allclose(sums, 1.0)
    base = tables["responses_3x10d"].query("occasion == 'baseline'")["health"].dropna()
    got = lights.query("occasion == 'baseline' and item == 'health'").set_index("band")["n"]
    assert got["red"] == (base <= 5).sum() and got["green"] == (base >= 8).sum()


def test_codevelopment_summary_suppresses_people_not_staff(tables):
    acts = tables["activities"]
    out = evaluation.codevelopment_summary(acts.loc[acts["municipality"] == "410"])
    full = evaluation.codevelopment_summary(acts, suppress=False)
    assert full["n_events"].sum() == len(acts)
    assert full["n_workers"].sum() == acts["n_workers"].sum()
    shown = pd.to_numeric(out["n_clients"]).dropna()
    assert ((shown == 0) | (shown >= disclosure.MIN_CELL)).all()
    assert not out["n_workers"].isna().any()  # staff counts are never hidden


def test_municipality_effects_and_pooling_match_meta(responses):
    from soskulib import meta

    effects = evaluation.municipality_effects(responses, min_pairs=10)
    assert (effects["n"] >= 10).all()
    whodas = effects.loc[effects["instrument"] == "whodas12"]
    assert (whodas["yi"] > 0).all()  # oriented: WHODAS improves by going down
    fits = evaluation.meta_by_instrument(effects, lang="en")
    ref = meta.meta_analysis(whodas["yi"], whodas["vi"], method="REML")
    assert fits["whodas12"].estimate == pytest.approx(ref.estimate)
    knha = evaluation.meta_by_instrument(effects, test="knha")
    table = evaluation.pooled_table({"z": fits, "knha": knha})
    assert list(table["test"].unique()) == ["z", "knha"]
    assert table.loc[0, "n"] == effects.loc[effects["instrument"] == table.loc[0, "instrument"], "n"].sum()
    with pytest.raises(ValueError, match="min_pairs"):
        evaluation.municipality_effects(responses, min_pairs=2)


def test_truth_table_flags_coverage():
    pooled = pd.DataFrame({"instrument": ["esis", "3x10d"], "estimate": [0.3, 0.5],
                           "ci_low": [0.2, 0.45], "ci_high": [0.4, 0.55]})
    truth = {"instruments": {"esis": {"mu": 0.35, "tau": 0.1}, "3x10d": {"mu": 0.3}}}
    out = evaluation.truth_table(pooled, truth)
    assert out["covered"].tolist() == [True, False]
    assert out["bias"].round(2).tolist() == [-0.05, 0.2]


def test_moderators_and_meta_regressions(episodes, responses):
    from soskulib import meta

    mods = evaluation.moderators(episodes, min_cell=1)
    ref = episodes.groupby("municipality")["hours"].mean()
    np.testing.assert_allclose(mods.set_index("municipality")["mean_hours"], ref)
    effects = evaluation.municipality_effects(responses, min_pairs=5)
    out = evaluation.meta_regressions(effects, mods, min_k=3)
    part = effects.loc[effects["instrument"] == "esis"].merge(mods, on="municipality")
    fit = meta.meta_regression(part["yi"], part["vi"], part[["fidelity_index"]], test="knha")
    row = out.loc[(out["instrument"] == "esis") & (out["moderator"] == "fidelity_index")].iloc[0]
    coef = fit.to_frame()
    coef = coef if "term" in coef.columns else coef.reset_index(names="term")
    assert row["slope"] == pytest.approx(coef["estimate"].iloc[1])


def test_leave_one_out_table_shift(responses):
    fits = evaluation.meta_by_instrument(evaluation.municipality_effects(responses, min_pairs=5))
    loo = evaluation.leave_one_out_table(fits)
    for inst_id, res in fits.items():
        part = loo.loc[loo["instrument"] == inst_id]
        np.testing.assert_allclose(part["shift"], part["estimate"] - res.estimate)


def test_random_intercept_reml_matches_lme4():
    """change ~ 0 + gender + (1 | municipality) against lme4 (tests/reference/change_score_model.R)."""
    import statsmodels.formula.api as smf

    data = pd.read_csv(REFERENCE / "change_score_model_input.csv", dtype={"m": str})
    ref = json.loads((REFERENCE / "change_score_model.json").read_text())
    for inst_id, expected in ref.items():
        part = data.loc[data["instrument"] == inst_id].reset_index(drop=True)
        fit, se = evaluation._random_intercept_reml(part, smf, warnings)
        np.testing.assert_allclose(fit.fe_params.to_numpy(), list(expected["fixef"].values()),
                                   rtol=1e-4, atol=1e-4)
        np.testing.assert_allclose(se, list(expected["se"].values()), rtol=2e-3)
        assert float(fit.cov_re.iloc[0, 0]) == pytest.approx(expected["sigma2_municipality"],
                                                             rel=5e-3, abs=1e-4)
        assert float(fit.scale) == pytest.approx(expected["sigma2_residual"], rel=1e-4)


def test_change_score_model_runs_per_instrument(tables, responses):
    out = evaluation.change_score_model(responses, tables["clients"])
    assert set(out["instrument"]) <= set(responses)
    assert (out["ci_low"] < out["estimate"]).all() and (out["estimate"] < out["ci_high"]).all()
    np.testing.assert_allclose(out["std_estimate"], out["estimate"] / out["sd_pre"])


def test_coverage_counts_pairs(tables, responses):
    out = evaluation.coverage(tables["clients"], tables["subprojects"], responses)
    assert {"pairs_esis", "pairs_whodas12", "n_enrolled", "share_of_plan"} <= set(out.columns)
    shown = pd.to_numeric(out["pairs_esis"]).dropna()
    assert ((shown == 0) | (shown >= disclosure.MIN_CELL)).all()
