"""Tests for soskulib.process against hand calculations, statsmodels and R references."""

from __future__ import annotations

import doctest
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from statsmodels.stats.proportion import proportion_confint

from soskulib import disclosure, intervals, process, schema

REFERENCE = Path(__file__).parent / "reference"


def test_docstring_examples_run():
    result = doctest.testmod(process, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0


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
    out = process.time_in_service(clients, by="group", min_cell=1)
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
    ep = process.client_episodes(clients, contacts, goals, export_date="2017-12-31")
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
    lenient = process.client_episodes(
        clients, contacts, goals, export_date="2017-12-31",
        rule=process.FidelityRule(min_individual_contacts=4, min_individual_per_month=0.3))
    assert lenient["intensive_individual_work"].tolist() == [True, True, False, False]


def test_client_episodes_validates_dates():
    clients, _, _ = _mini()
    bad = clients.assign(end_date=pd.to_datetime(["2016-01-01"] * 4))
    with pytest.raises(ValueError, match="ends before it starts"):
        process.client_episodes(bad)
    with pytest.raises(KeyError, match="start_date"):
        process.client_episodes(clients.drop(columns="start_date"))


def test_export_date_defaults_to_latest_date(tables):
    ep = process.client_episodes(tables["clients"], tables["contacts"])
    latest = max(tables["clients"]["end_date"].max(), tables["contacts"]["date"].max(),
                 tables["clients"]["start_date"].max())
    assert ep.loc[~ep["ended"], "stop_date"].eq(latest).all()


# --- aggregates: additivity, suppression, hand checks -----------------------------------------


@pytest.mark.parametrize("by", ["municipality", "gender", "age_group", "target_group",
                                ["municipality", "gender"]])
def test_splits_add_up_to_national(episodes, by):
    by_l = [by] if isinstance(by, str) else by
    nat = process.exits(episodes, min_cell=1)
    split = process.exits(episodes, by=by, min_cell=1)
    summed = split.groupby("end_reason")["n"].sum()
    assert summed.to_dict() == nat.set_index("end_reason")["n"].to_dict()
    assert process.reach(episodes, by=by, min_cell=1)["n_enrolled"].sum() == len(episodes)
    ent = process.entries(episodes, by=by, min_cell=1)
    assert ent.groupby("quarter")["n_entries"].sum().equals(
        process.entries(episodes, min_cell=1).set_index("quarter")["n_entries"])
    fid = process.fidelity(episodes, by=by, min_cell=1)
    nat_fid = process.fidelity(episodes, min_cell=1).set_index("element")["n_with"]
    assert fid.groupby("element")["n_with"].sum().reindex(nat_fid.index).equals(nat_fid)
    tis = process.time_in_service(episodes, by=by, min_cell=1)
    assert tis["n_ended"].sum() == episodes["ended"].sum()
    assert list(tis.columns[: len(by_l)]) == by_l


def test_exits_shares_and_wilson(episodes):
    out = process.exits(episodes, min_cell=1)
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
            "exits": (process.exits(episodes, by=["municipality", "gender"]), ["n", "n_ended"]),
            "composition": (process.composition(episodes, "gender", by="municipality"), ["n", "n_group"]),
            "fidelity": (process.fidelity(episodes, by="municipality"), ["n", "n_with"]),
            "pathways": (process.pathways(episodes, by="municipality"), ["n", "n_from"]),
            "entries": (process.entries(episodes, by="municipality"), ["n_entries"]),
            "dropout": (process.dropout_chart(episodes, by="municipality"), ["n_started", "n_dropped_out"]),
            "dropout_exit": (process.dropout_chart(episodes, by="municipality", series="exit"),
                             ["n_exits", "n_dropped_out"]),
            "tis": (process.time_in_service(episodes, by="gender"), ["n", "n_ended", "n_censored"]),
            "reach": (process.reach(episodes, tables["subprojects"], by="municipality"), ["n_enrolled"]),
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
    out = process.exits(episodes, by="municipality")
    hidden_per_group = out.groupby("municipality")["n_suppressed"].sum()
    assert not (hidden_per_group == 1).any()


def test_suppress_false_warns(episodes):
    with pytest.warns(UserWarning, match="disclosure control is off"):
        process.exits(episodes, by="municipality", suppress=False)


def test_composition_age_group_order(episodes):
    out = process.composition(episodes, "age_group", min_cell=1)
    assert out["age_group"].tolist() == list(schema.AGE_GROUP_LABELS)
    assert out["share"].sum() == pytest.approx(1.0)


def test_reach_against_plan(episodes, tables):
    out = process.reach(episodes, tables["subprojects"], by="municipality", min_cell=1)
    assert out["share_of_plan"].tolist() == pytest.approx([120 / 100, 80 / 90, 14 / 20])
    nat = process.reach(episodes, tables["subprojects"], min_cell=1)
    assert nat["share_of_plan"].iloc[0] == pytest.approx(214 / 210)


def test_dose_summary_matches_numpy(episodes):
    out = process.dose(episodes, by="municipality", min_cell=1)
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
        process.dose(tables["clients"])


def test_fidelity_index_matches_t_interval(episodes):
    out = process.fidelity_index(episodes, by="municipality", min_cell=1)
    for muni, row in out.set_index("municipality").iterrows():
        x = episodes.loc[episodes["municipality"] == muni, "n_elements"] / 4
        mean, low, high, n = intervals.mean_ci(x)
        assert row["index"] == pytest.approx(mean) and row["n"] == n
        assert row["ci_low"] == pytest.approx(max(low, 0)) and row["ci_high"] == pytest.approx(min(high, 1))


def test_contents_received(episodes):
    out = process.contents_received(episodes, min_cell=1)
    assert out["content"].tolist() == list(schema.CONTACT_CONTENT_LABELS)
    expected = episodes["content_group_activity"].mean()
    assert out.set_index("content").loc["group_activity", "share"] == pytest.approx(expected)


def test_pathways_rows_sum_to_one(episodes):
    out = process.pathways(episodes, min_cell=1)
    sums = out.groupby("target_group")["share"].sum()
    assert np.allclose(sums, 1.0)
    assert out["n"].sum() == episodes.dropna(subset=["pathway", "target_group"]).shape[0]
    by_m = process.pathways(episodes, by="municipality", min_cell=1)
    assert by_m["n"].sum() == out["n"].sum()


def test_quality_profile_labels_and_change(tables):
    prof = process.quality_profile(tables["quality"], lang="fi")
    crit = schema.quality_criteria().set_index("criterion")["short_fi"]
    assert (prof["criterion_label"] == prof["criterion"].map(crit)).all()
    assert prof["rating_label"].isin([v[0] for v in schema.QUALITY_RATING_LABELS.values()]).all()
    first_year = prof["year"] == 2016
    assert prof.loc[first_year, "change"].isna().all()
    change = process.quality_change(tables["quality"], from_year=2016, to_year=2018)
    q = tables["quality"].set_index(["municipality", "year", "criterion"])["rating"]
    row = change.iloc[0]
    assert row["change"] == q[(row["municipality"], 2018, row["criterion"])] - q[(row["municipality"], 2016, row["criterion"])]
    with pytest.raises(ValueError, match="lang"):
        process.quality_profile(tables["quality"], lang="sv")


def test_codevelopment_sums(tables):
    act = tables["activities"]
    out = process.codevelopment(act, by="municipality")
    assert out["n_events"].sum() == len(act)
    assert out["n_clients"].sum() == act["n_clients"].sum()
    share = out.dropna(subset=["share_lived_experience"])
    assert share["share_lived_experience"].between(0, 1).all()


def test_quarterly_frame_joins_events_and_outcomes(episodes, tables):
    out = process.quarterly_frame(episodes, tables["activities"], by="municipality", min_cell=1)
    assert out["n_events"].sum() == len(tables["activities"])
    assert out["n_entries"].sum() == len(episodes)
    assert out["n_exits"].sum() == episodes["ended"].sum()
    with pytest.raises(ValueError, match="municipality"):
        process.quarterly_frame(episodes, by="gender")


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
    out = process.dropout_chart(clients, series="exit", min_cell=1)
    assert out["n_exits"].eq(100).all()
    assert out["centre"].iloc[0] == pytest.approx(0.25)
    assert out["shift"].all()  # 8 above then 8 below the median
    assert out["too_few_runs"].all()
    # p-chart by hand: 0.25 +- 3 * sqrt(0.25 * 0.75 / 100) = [0.120, 0.380].
    se = np.sqrt(0.25 * 0.75 / 100)
    assert out["ucl"].iloc[0] == pytest.approx(0.25 + 3 * se)
    assert out["lcl"].iloc[0] == pytest.approx(0.25 - 3 * se)
    assert out["outside_limits"].all()
    phased = process.dropout_chart(clients, series="exit", phase_start="2017Q1", min_cell=1)
    assert phased.loc[phased["phase"] == "before", "centre"].iloc[0] == pytest.approx(0.4)
    assert phased.loc[phased["phase"] == "after", "centre"].iloc[0] == pytest.approx(0.1)
    assert not phased["outside_limits"].any()
    assert "shift" in out["reasons"].iloc[0]


def _starting_service(n_quarters=12, per_quarter=200, p_drop=0.3, seed=3):
    """A service in a steady state from its first day: uniform starts, dropouts short."""
    rng = np.random.default_rng(seed)
    n = n_quarters * per_quarter
    start = pd.Timestamp("2016-01-01") + pd.to_timedelta(
        np.sort(rng.integers(0, 91 * n_quarters, n)), unit="D")
    drop = rng.random(n) < p_drop
    days = np.where(drop, rng.gamma(1.5, 80, n), rng.gamma(3.0, 100, n)).astype(int) + 14
    return pd.DataFrame({"start_date": start, "end_date": start + pd.to_timedelta(days, unit="D"),
                         "end_reason": np.where(drop, "dropped_out", "completed")})


def test_dropout_series_by_start_cohort_has_no_start_up_artefact():
    episodes = _starting_service()
    export = pd.Timestamp("2018-12-31")
    episodes.loc[episodes["end_date"] > export, ["end_date", "end_reason"]] = [pd.NaT, None]
    exits = process.dropout_chart(episodes, series="exit", export_date=export, min_cell=1)
    cohort = process.dropout_chart(episodes, export_date=export, min_cell=1)
    # by end quarter the first year is inflated (short dropout episodes end first) ...
    assert exits["p"].iloc[:4].mean() > 0.4
    # ... by start cohort every point is near the true 26-week incidence, flat in time
    window = 182
    truth = 0.3 * stats.gamma(1.5, scale=80).cdf(window - 14)
    assert np.abs(cohort["p"] - truth).max() < 4 * np.sqrt(truth * (1 - truth) / 150)
    assert not cohort["shift"].any() and not cohort["trend"].any()
    # only cohorts whose 26 weeks are observed: the last start quarter is 2018Q2
    assert cohort["quarter"].iloc[-1] == "2018Q2"
    assert cohort.attrs["series"] == "cohort" and cohort.attrs["window_days"] == window
    assert cohort["n_started"].sum() == (episodes["start_date"] < pd.Timestamp("2018-07-01")).sum()
    with pytest.raises(ValueError, match="series"):
        process.dropout_chart(episodes, series="end")


def test_codevelopment_summary_suppresses_people_not_staff(tables):
    acts = tables["activities"]
    out = process.codevelopment_summary(acts.loc[acts["municipality"] == "410"])
    full = process.codevelopment_summary(acts, suppress=False)
    assert full["n_events"].sum() == len(acts)
    assert full["n_workers"].sum() == acts["n_workers"].sum()
    shown = pd.to_numeric(out["n_clients"]).dropna()
    assert ((shown == 0) | (shown >= disclosure.MIN_CELL)).all()
    assert not out["n_workers"].isna().any()  # staff counts are never hidden
