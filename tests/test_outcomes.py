"""Tests for soskulib.outcomes: client change tables against hand calculations and soskulib.change."""

from __future__ import annotations

import doctest

import numpy as np
import pandas as pd
import pytest

from soskulib import change, disclosure, outcomes


def test_docstring_examples_run():
    result = doctest.testmod(outcomes, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0


def test_outcome_summary_orients_effects_and_matches_change_table(tables, responses):
    from soskulib import instruments, scoring

    out = outcomes.outcome_summary(responses, tables["clients"])
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
    out = outcomes.outcome_summary(responses, tables["clients"], by="gender", masks=True)
    with pytest.warns(UserWarning, match="disclosure control is off"):
        raw = outcomes.outcome_summary(responses, tables["clients"], by="gender", suppress=False)
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
    from soskulib import instruments, scoring

    out = outcomes.change_categories(responses, tables["clients"], min_cell=1)
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
    out = outcomes.gas_summary(goals, min_cell=1)
    t = gas.gas_tscores(goals)["tscore"].dropna()
    assert out["n"].iloc[0] == len(t)
    assert out["tscore_mean"].iloc[0] == pytest.approx(t.mean())
    assert out["share_at_or_above_50"].iloc[0] == pytest.approx((t >= 50 - 1e-9).mean())


def test_traffic_light_shares_add_up_and_match_bands(tables):
    lights = outcomes.traffic_light_shares(tables["responses_3x10d"], min_cell=1)
    sums = lights.groupby(["occasion", "item"])["share"].sum()
    np.testing.assert_allclose(sums, 1.0)
    base = tables["responses_3x10d"].query("occasion == 'baseline'")["health"].dropna()
    got = lights.query("occasion == 'baseline' and item == 'health'").set_index("band")["n"]
    assert got["red"] == (base <= 5).sum() and got["green"] == (base >= 8).sum()
